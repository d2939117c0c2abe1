/*
 * icarc.h - libicarc, the icarc archive format (spec/FORMAT.md), the one installed header.
 *
 * The core is I/O-free: the caller moves bytes through `struct icarc_in` and `struct icarc_out`
 * cursors (as zstd's ZSTD_inBuffer/ZSTD_outBuffer), so the same code serves files, pipes, sockets
 * and fuzzers. Thin file-descriptor conveniences sit on top.
 *
 * Writing an archive:
 *   1) icarc_init() once per process.
 *   2) w = icarc_writer_new(); set options (icarc_writer_set_option), keys
 *      (icarc_writer_add_recipient / icarc_writer_add_passphrase; none = unencrypted, integrity only)
 *      and metadata (icarc_writer_set_meta).
 *   3) for each entry: icarc_writer_begin_entry(w, name), then icarc_writer_push(w, &out, &in, mode)
 *      with ICARC_CONTINUE while data comes, ICARC_END_ENTRY with its last bytes.
 *   4) icarc_writer_push(w, &out, &in, ICARC_FINISH) until it returns ICARC_OK: index and footer.
 *   5) icarc_writer_free(w) wipes the keys.
 *
 * Reading a stream (pipe): icarc_reader_new, add keys, call icarc_reader_pull() in a loop and act on
 * the events it returns (> 0) until ICARC_ARCHIVE_END; at end of input call icarc_reader_finish().
 * Plaintext is released only from chunks that have authenticated.
 *
 * Reading a seekable file (random access): icarc_archive_new, add keys, icarc_archive_open_fd or
 * icarc_archive_open_cb, then list entries, chunks and metadata and read byte ranges.
 *
 * Errors: functions return an int status, >= 0 on success (or a progress event), < 0 on error
 * (enum icarc_status). Each handle keeps a message naming what failed and where (archive offset,
 * entry, chunk): icarc_*_error(). Errors are sticky: after one, only _error, _reset and _free work.
 */
#ifndef ICARC_H
#define ICARC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ICARC_BUILDING) && defined(__GNUC__)
#define ICARC_API __attribute__((visibility("default")))
#else
#define ICARC_API
#endif
#if defined(__GNUC__)
#define ICARC_WUR __attribute__((warn_unused_result))
#else
#define ICARC_WUR
#endif

#define ICARC_VERSION_MAJOR 0
#define ICARC_VERSION_MINOR 1
#define ICARC_VERSION_PATCH 0
#define ICARC_VERSION_NUMBER (ICARC_VERSION_MAJOR * 10000 + ICARC_VERSION_MINOR * 100 + ICARC_VERSION_PATCH)
#define ICARC_VERSION_STRING "0.1.0"
ICARC_API unsigned icarc_version_number(void);
ICARC_API const char *icarc_version_string(void);

/* Archive format version written by this library (spec/FORMAT.md, Format_Version). */
#define ICARC_FORMAT_VERSION 1
ICARC_API unsigned icarc_format_version(void);

/* Initialise libsodium and the library. 0: ok, 1: already done, < 0: failure. Thread-safe. */
ICARC_API int icarc_init(void);

/* Status codes. Stable numbers, append-only, never renumbered. */
enum icarc_status {
	ICARC_OK = 0,
	ICARC_E_USAGE = -1,      /* wrong handle, state or argument; the handle stays usable */
	ICARC_E_NOMEM = -2,      /* out of memory */
	ICARC_E_IO = -3,         /* the OS or a callback failed (see the handle message) */
	ICARC_E_FORMAT = -10,    /* malformed structure: bad magic, field, record, order */
	ICARC_E_VERSION = -11,   /* unsupported format version or critical feature */
	ICARC_E_TRUNCATED = -12, /* input ended before the archive was complete */
	ICARC_E_LIMIT = -13,     /* a value exceeds a limit of this reader */
	ICARC_E_CHECKSUM = -20,  /* a record checksum or plaintext XXH3 does not match */
	ICARC_E_AUTH = -21,      /* authentication (AEAD tag, header MAC) failed */
	ICARC_E_NOKEY = -22,     /* encrypted archive, and no given key or passphrase opens it */
	ICARC_E_CODEC = -30,     /* zstd reported an error */
	ICARC_E_NOTFOUND = -31   /* no such entry, or a range outside an entry */
};
ICARC_API const char *icarc_strerror(int status); /* static text, never NULL */

/* Progress events returned (> 0) by icarc_writer_push and icarc_reader_pull. */
enum icarc_event {
	ICARC_NEED_INPUT = 1,   /* all input consumed; call again with more (or icarc_reader_finish) */
	ICARC_NEED_OUTPUT = 2,  /* the output buffer is full; drain it and call again */
	ICARC_ENTRY = 3,        /* reader: an entry begins; see icarc_reader_entry_name() */
	ICARC_ENTRY_END = 4,    /* reader: the entry's last chunk authenticated and was released */
	ICARC_ARCHIVE_END = 5,  /* reader: the index authenticated; the archive is complete */
	ICARC_CHUNK_BAD = 6     /* reader with ICARC_OPT_KEEP_GOING: one chunk failed, see _bad_chunk() */
};

struct icarc_in { const void *src; size_t size; size_t pos; };
struct icarc_out { void *dst; size_t size; size_t pos; };

enum icarc_push_mode {
	ICARC_CONTINUE = 0,  /* more data of this entry follows */
	ICARC_END_ENTRY = 1, /* the entry ends with this input */
	ICARC_FINISH = 2     /* end the entry if one is open, write metadata, index and footer */
};

/* Options (icarc_*_set_option). Values are int64_t; each lists the handles it applies to. */
enum icarc_option {
	ICARC_OPT_CHUNK_SIZE = 1,  /* writer: plaintext chunk size, multiple of 64 KiB, 64 KiB..16 MiB */
	ICARC_OPT_LEVEL = 2,       /* writer: zstd level, 1..19, default 3 */
	ICARC_OPT_WORKERS = 3,     /* writer, reader, archive: worker threads, 0 = one per CPU */
	ICARC_OPT_NO_KEY = 4,      /* reader: check structure and checksums only, decrypt nothing */
	ICARC_OPT_KEEP_GOING = 5,  /* reader: report a bad chunk (ICARC_CHUNK_BAD) and go on */
	ICARC_OPT_MAX_ENTRIES = 6, /* reader, archive: limit on entries, default 1,000,000 */
	ICARC_OPT_MAX_KDF_MEM = 7  /* reader, archive: Argon2id memory limit in bytes, default 1 GiB */
};

/* Sizes, as macro + function pairs (libsodium). */
#define ICARC_PUBLICKEYBYTES 32U   /* X25519 recipient public key */
#define ICARC_SECRETKEYBYTES 32U   /* X25519 identity secret key */
#define ICARC_HASHBYTES 16U        /* XXH3-128 of a chunk's plaintext, canonical (big-endian) */
#define ICARC_IDBYTES 16U          /* archive id */
#define ICARC_CHUNK_ALIGN 65536U   /* chunk sizes are multiples of the Wasm page */
#define ICARC_CHUNK_DEFAULT 1048576U
#define ICARC_CHUNK_MAX 16777216U
#define ICARC_RECIPIENT_MAXLEN 80U /* text form of a recipient, with the NUL */
#define ICARC_IDENTITY_MAXLEN 96U  /* text form of an identity secret, with the NUL */
ICARC_API size_t icarc_publickeybytes(void);
ICARC_API size_t icarc_secretkeybytes(void);
ICARC_API size_t icarc_hashbytes(void);
ICARC_API size_t icarc_idbytes(void);
ICARC_API size_t icarc_chunk_default(void);

/* Recognise an archive from its first bytes, e.g. before choosing how to open a file or whether to
 * ask for a passphrase: icarc_is_archive() is 1 when buf starts with the magic (len >= 8);
 * icarc_peek_encrypted() is 1 or 0 from the header flags (len >= 28), -1 when it cannot tell. */
#define ICARC_MAGICBYTES 8U
#define ICARC_PEEKBYTES 28U
ICARC_API int icarc_is_archive(const void *buf, size_t len);
ICARC_API int icarc_peek_encrypted(const void *buf, size_t len);
/* Whether a passphrase could open it: 1 when the HEADER (whole within buf: ICARC_PEEKMAX bytes hold
 * it for up to 40 recipients) has a passphrase stanza, 0 when it has none or the archive is not
 * encrypted, -1 when it cannot tell. The header is not authenticated here: for choosing whether to
 * ask for a passphrase, never for trusting the archive. */
#define ICARC_PEEKMAX 4096U
ICARC_API int icarc_peek_passphrase(const void *buf, size_t len);

/* ---- keys ---- */

/* A new X25519 key pair. */
ICARC_API int icarc_keygen(unsigned char pk[ICARC_PUBLICKEYBYTES], unsigned char sk[ICARC_SECRETKEYBYTES]);
/* The public key of a secret key. */
ICARC_API int icarc_sk_to_pk(unsigned char pk[ICARC_PUBLICKEYBYTES], const unsigned char sk[ICARC_SECRETKEYBYTES]);
/* Text forms ("icarc1..." recipients, "ICARC-SECRET-KEY-1..." identities), with a checksum that
 * catches typing errors. Encoders write a NUL-terminated string; decoders return ICARC_E_FORMAT. */
ICARC_API int icarc_recipient_encode(char out[ICARC_RECIPIENT_MAXLEN], const unsigned char pk[ICARC_PUBLICKEYBYTES]);
ICARC_API int icarc_recipient_decode(unsigned char pk[ICARC_PUBLICKEYBYTES], const char *text) ICARC_WUR;
ICARC_API int icarc_identity_encode(char out[ICARC_IDENTITY_MAXLEN], const unsigned char sk[ICARC_SECRETKEYBYTES]);
ICARC_API int icarc_identity_decode(unsigned char sk[ICARC_SECRETKEYBYTES], const char *text) ICARC_WUR;

/* ---- writer ---- */

struct icarc_writer;
struct icarc_reader;

ICARC_API struct icarc_writer *icarc_writer_new(void); /* NULL: out of memory */
ICARC_API int icarc_writer_set_option(struct icarc_writer *w, enum icarc_option opt, int64_t value) ICARC_WUR;
/* Encrypt to an X25519 recipient; may be called for any number of recipients. */
ICARC_API int icarc_writer_add_recipient(struct icarc_writer *w, const unsigned char pk[ICARC_PUBLICKEYBYTES]) ICARC_WUR;
/* Encrypt for a passphrase (Argon2id); at most one. The passphrase is not kept. */
ICARC_API int icarc_writer_add_passphrase(struct icarc_writer *w, const char *pass, size_t len) ICARC_WUR;
/* Argon2id cost for the passphrase (defaults: ops 3, mem 64 MiB); before add_passphrase. */
ICARC_API int icarc_writer_set_kdf(struct icarc_writer *w, uint64_t opslimit, uint64_t memlimit) ICARC_WUR;
/* Authenticated archive metadata, key (UTF-8, 1..255 bytes) = value (up to 1 MiB). A key set
 * twice keeps the last value. Written before the next entry, or at ICARC_FINISH. */
ICARC_API int icarc_writer_set_meta(struct icarc_writer *w, const char *key, const void *value, size_t len) ICARC_WUR;
/* Start a new entry (name: UTF-8, 1..4096 bytes, unique in the archive). Ends any open entry. */
ICARC_API int icarc_writer_begin_entry(struct icarc_writer *w, const char *name) ICARC_WUR;
/* Consume `in`, produce archive bytes into `out`. Returns ICARC_OK when all of `in` is consumed
 * and `mode` is complete with every byte it produced in `out`; ICARC_NEED_OUTPUT when `out` is
 * full (call again with the same mode and the rest of `in`); < 0 on error. */
ICARC_API int icarc_writer_push(struct icarc_writer *w, struct icarc_out *out, struct icarc_in *in,
                                enum icarc_push_mode mode) ICARC_WUR;
/* Bytes of archive output so far (the offset of the next byte out). */
ICARC_API uint64_t icarc_writer_offset(const struct icarc_writer *w);
ICARC_API void icarc_writer_archive_id(const struct icarc_writer *w, unsigned char id[ICARC_IDBYTES]);
ICARC_API const char *icarc_writer_error(const struct icarc_writer *w);
ICARC_API void icarc_writer_free(struct icarc_writer *w); /* NULL ok; joins workers, wipes keys */

/* Continue an archive that was cut short (a crash, a lost connection): read the cut file with a
 * reader that has a key opening it, until icarc_reader_finish() says ICARC_E_TRUNCATED; then give
 * that reader to a new writer (options may be set first, but no key, metadata or entry). The writer
 * takes the archive's id, keys, chunk size, entries and index state; the caller truncates the file
 * at *resume_offset (the end of the last complete record) and appends the writer's output there.
 * The last entry may still be open (icarc_writer_entry_state: complete = 0, committed = bytes in
 * its complete chunks): push the rest of its data from that offset, then go on as usual. */
ICARC_API int icarc_writer_resume(struct icarc_writer *w, struct icarc_reader *r, uint64_t *resume_offset) ICARC_WUR;
ICARC_API size_t icarc_writer_entry_count(const struct icarc_writer *w);
ICARC_API int icarc_writer_entry_state(const struct icarc_writer *w, size_t i, const char **name, uint64_t *committed,
                                       int *complete) ICARC_WUR;
ICARC_API int icarc_writer_meta_get(const struct icarc_writer *w, const char *key, const void **value, size_t *len) ICARC_WUR;

/* ---- streaming reader ---- */

struct icarc_reader;

ICARC_API struct icarc_reader *icarc_reader_new(void);
ICARC_API int icarc_reader_set_option(struct icarc_reader *r, enum icarc_option opt, int64_t value) ICARC_WUR;
ICARC_API int icarc_reader_add_identity(struct icarc_reader *r, const unsigned char sk[ICARC_SECRETKEYBYTES]) ICARC_WUR;
ICARC_API int icarc_reader_add_passphrase(struct icarc_reader *r, const char *pass, size_t len) ICARC_WUR;
/* Consume `in`, release authenticated plaintext of the current entry into `out`.
 * Returns an event (> 0) or an error (< 0). */
ICARC_API int icarc_reader_pull(struct icarc_reader *r, struct icarc_in *in, struct icarc_out *out) ICARC_WUR;
/* No more input: ICARC_ARCHIVE_END if the archive was complete, else ICARC_E_TRUNCATED. */
ICARC_API int icarc_reader_finish(struct icarc_reader *r) ICARC_WUR;
ICARC_API int icarc_reader_encrypted(const struct icarc_reader *r); /* 1, 0, or -1 before the header */
/* The entry being read (after ICARC_ENTRY, until the next one). Borrowed. */
ICARC_API const char *icarc_reader_entry_name(const struct icarc_reader *r);
ICARC_API uint64_t icarc_reader_entry_size(const struct icarc_reader *r); /* bytes released so far */
/* After ICARC_CHUNK_BAD: which chunk failed, its plaintext byte range [start, end), the status. */
ICARC_API int icarc_reader_bad_chunk(const struct icarc_reader *r, const char **entry, uint64_t *start,
                                     uint64_t *end, int *status);
ICARC_API uint64_t icarc_reader_offset(const struct icarc_reader *r); /* archive bytes consumed */
ICARC_API const char *icarc_reader_error(const struct icarc_reader *r);
ICARC_API int icarc_reader_reset(struct icarc_reader *r); /* keeps keys and options */
ICARC_API void icarc_reader_free(struct icarc_reader *r);

/* ---- file-descriptor conveniences ---- */

/* Push everything readable from in_fd (until end of file) as data of the open entry, then `mode`
 * (ICARC_END_ENTRY or ICARC_FINISH); archive bytes go to out_fd. in_fd < 0: no data, only `mode`.
 * Returns ICARC_OK or < 0 (ICARC_E_IO names the failing side). A regular file is read from its
 * current offset by the worker threads (pread), holes are not read, and the offset is left at its
 * end; a file that shrinks meanwhile fails with ICARC_E_IO, one that grows is packed to its new
 * end. Written archive bytes in a regular file are handed to the disk every 8 MiB
 * (sync_file_range), so that a final fsync is short. */
ICARC_API int icarc_writer_push_fd(struct icarc_writer *w, int in_fd, int out_fd, enum icarc_push_mode mode) ICARC_WUR;

/* Callbacks of icarc_reader_pull_fd; a non-zero return stops reading with ICARC_E_IO. */
typedef int icarc_data_fn(void *ctx, const void *buf, size_t len);      /* authenticated plaintext */
typedef int icarc_event_fn(void *ctx, int event, struct icarc_reader *r); /* ENTRY, ENTRY_END, CHUNK_BAD */
/* Read a whole archive: first the `prefix` bytes (already read from in_fd by the caller, e.g. to
 * look at the header; may be empty), then in_fd to its end. `data` may be NULL: the plaintext is
 * then checked and dropped. Returns ICARC_ARCHIVE_END when the archive was complete and nothing
 * followed it, else < 0. */
ICARC_API int icarc_reader_pull_fd(struct icarc_reader *r, int in_fd, const void *prefix, size_t prefix_len,
                                   icarc_data_fn *data, icarc_event_fn *event, void *ctx) ICARC_WUR;

/* ---- random access (seekable archives) ---- */

struct icarc_archive;

/* Read exactly `len` bytes at `offset`; return 0, or -1 with errno set. */
typedef int icarc_read_at_fn(void *ctx, uint64_t offset, void *buf, size_t len);

struct icarc_entry_info {
	const char *name;       /* borrowed from the archive handle */
	uint64_t size;          /* plaintext bytes */
	uint64_t chunks;        /* number of chunks (an empty entry has one empty chunk) */
	uint64_t stored_bytes;  /* bytes of its chunk records in the file */
	uint64_t zero_chunks;   /* chunks stored as zero runs */
};

enum icarc_codec { ICARC_CODEC_RAW = 0, ICARC_CODEC_ZSTD = 1, ICARC_CODEC_ZERO = 2, ICARC_CODEC_PARENT = 3 };

struct icarc_chunk_info {
	uint64_t offset;        /* plaintext offset in the entry */
	uint32_t length;        /* plaintext bytes */
	uint32_t codec;         /* enum icarc_codec */
	uint64_t stored_offset; /* offset of the chunk record in the archive */
	uint32_t stored_size;   /* size of the chunk record */
	unsigned char hash[ICARC_HASHBYTES]; /* XXH3-128 of the plaintext, canonical form */
};

ICARC_API struct icarc_archive *icarc_archive_new(void);
ICARC_API int icarc_archive_set_option(struct icarc_archive *a, enum icarc_option opt, int64_t value) ICARC_WUR;
ICARC_API int icarc_archive_add_identity(struct icarc_archive *a, const unsigned char sk[ICARC_SECRETKEYBYTES]) ICARC_WUR;
ICARC_API int icarc_archive_add_passphrase(struct icarc_archive *a, const char *pass, size_t len) ICARC_WUR;
/* Read the header, footer and index (authenticated). `size` is the file size. */
ICARC_API int icarc_archive_open_cb(struct icarc_archive *a, icarc_read_at_fn *read_at, void *ctx, uint64_t size) ICARC_WUR;
ICARC_API int icarc_archive_open_fd(struct icarc_archive *a, int fd) ICARC_WUR; /* fd stays the caller's */
ICARC_API int icarc_archive_encrypted(const struct icarc_archive *a);
ICARC_API void icarc_archive_id(const struct icarc_archive *a, unsigned char id[ICARC_IDBYTES]);
ICARC_API uint32_t icarc_archive_chunk_size(const struct icarc_archive *a);
ICARC_API uint64_t icarc_archive_file_size(const struct icarc_archive *a);
ICARC_API size_t icarc_archive_entry_count(const struct icarc_archive *a);
ICARC_API int icarc_archive_entry(const struct icarc_archive *a, size_t i, struct icarc_entry_info *info) ICARC_WUR;
/* Index of the entry named `name`, or ICARC_E_NOTFOUND. */
ICARC_API int icarc_archive_find(const struct icarc_archive *a, const char *name) ICARC_WUR;
ICARC_API int icarc_archive_chunk(struct icarc_archive *a, size_t entry, uint64_t chunk, struct icarc_chunk_info *info) ICARC_WUR;
/* Read `len` plaintext bytes of entry `entry` from `offset` into `buf`; every chunk touched is
 * authenticated and its XXH3 checked first. A range past the end is ICARC_E_NOTFOUND. */
ICARC_API int icarc_archive_read(struct icarc_archive *a, size_t entry, uint64_t offset, void *buf, size_t len) ICARC_WUR;
/* Metadata, in key order. Value pointers are borrowed from the handle. */
ICARC_API size_t icarc_archive_meta_count(const struct icarc_archive *a);
ICARC_API int icarc_archive_meta(const struct icarc_archive *a, size_t i, const char **key, const void **value, size_t *len) ICARC_WUR;
ICARC_API int icarc_archive_meta_get(const struct icarc_archive *a, const char *key, const void **value, size_t *len) ICARC_WUR;
ICARC_API const char *icarc_archive_error(const struct icarc_archive *a);
ICARC_API void icarc_archive_free(struct icarc_archive *a);

#ifdef __cplusplus
}
#endif
#endif /* ICARC_H */
