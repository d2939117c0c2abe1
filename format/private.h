/* private.h - what the parts of libicarc share: error state, keys, the chunk codec, the pool. */
#ifndef ICARC_PRIVATE_H
#define ICARC_PRIVATE_H
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "allzero.h"
#include "icarc.h"
#include "wire.h"

#define ICARC_MSG_MAX 512

/* Per-handle error: a status and a message. Sticky: once `status` < 0 (except E_USAGE), only
 * _error, _reset and _free work on the handle. */
struct icarc_err {
	int status;
	char msg[ICARC_MSG_MAX];
};
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int Icarc_set_error(struct icarc_err *e, int status, const char *fmt, ...);
const char *Icarc_error_text(const struct icarc_err *e);
/* The error state of a handle, for code outside its own file (fdio.c). */
struct icarc_err *Icarc_writer_err(struct icarc_writer *w);
struct icarc_err *Icarc_reader_err(struct icarc_reader *r);
/* For a caller that always has more input until end of file (fdio.c): icarc_reader_pull returns
 * ICARC_NEED_INPUT as soon as the input is used up and a slot is free, even while decoded chunks
 * wait, instead of waiting for the oldest; the next reads then overlap the workers. Off at EOF. */
void Icarc_reader_read_ahead(struct icarc_reader *r, int on);
/* icarc_reader_pull without copying the plaintext: *p, *n show released bytes in the reader's own
 * buffers (*n == 0: none this time), valid until the next call on r. Events as icarc_reader_pull;
 * ICARC_NEED_OUTPUT means "use *p, then call again". */
int Icarc_reader_pull_view(struct icarc_reader *r, struct icarc_in *in, const uint8_t **p, size_t *n);

/* Input that the writer's workers read themselves from a regular file (fdio.c): [pos, end) of fd,
 * read with pread() into the chunk buffers; holes (lseek SEEK_DATA) are zero runs without a read.
 * data_at/hole_at cache the extent lseek last reported: set both to 0 when `end` grows. */
struct Icarc_file_in {
	int fd;
	uint64_t pos, end;
	uint64_t data_at, hole_at;
};
/* icarc_writer_push for fdio.c, from a buffer (in) or a file range (file), one of them or neither.
 * Records go to `out`, except that a chunk record may be shown in place instead (*view_len > 0):
 * the caller writes out's bytes, then the view, before the next call (ICARC_NEED_OUTPUT). */
int Icarc_writer_push_view(struct icarc_writer *w, struct icarc_out *out, struct icarc_in *in, struct Icarc_file_in *file,
                           enum icarc_push_mode mode, const uint8_t **view, size_t *view_len);

/* One block for a slot: plain_len bytes of plaintext, then rec_len of record (at block + plain_len),
 * on transparent huge pages where it is large enough (hugebuf.c). free() frees it. */
uint8_t *Icarc_slot_alloc(size_t plain_len, size_t rec_len);

/* Keys of one archive: the file key and what is derived from it (spec: Key schedule). */
struct icarc_keys {
	unsigned char file_key[32];
	unsigned char header_key[32];  /* BLAKE2b MAC over the header */
	unsigned char payload_key[32]; /* XChaCha20-Poly1305 for every sealed part */
};
/* sodium_malloc'd; NULL on failure. Freed (and wiped) with Icarc_keys_free. */
struct icarc_keys *Icarc_keys_new(void);
void Icarc_keys_free(struct icarc_keys *k);
void Icarc_keys_derive(struct icarc_keys *k, const uint8_t id[WIRE_ID_LEN]);
void Icarc_header_mac(const struct icarc_keys *k, const uint8_t rec_hdr[WIRE_RECORD_HDR], const uint8_t *body, size_t n,
                      uint8_t mac[WIRE_MAC_LEN]);

/* Stanzas: wrap the file key for a recipient or a passphrase, and unwrap. */
int Icarc_stanza_x25519_wrap(uint8_t out[WIRE_X25519_STANZA_LEN], const unsigned char *file_key, const unsigned char pk[32]);
int Icarc_stanza_x25519_unwrap(unsigned char *file_key, const uint8_t in[WIRE_X25519_STANZA_LEN], const unsigned char sk[32]);
int Icarc_stanza_pass_wrap(uint8_t out[WIRE_ARGON2ID_STANZA_LEN], const unsigned char *file_key, const uint8_t id[WIRE_ID_LEN],
                           const char *pass, size_t len, uint32_t ops, uint32_t mem_kib);
/* ICARC_OK, ICARC_E_AUTH (wrong passphrase), ICARC_E_LIMIT (cost above max_mem), ICARC_E_NOMEM. */
int Icarc_stanza_pass_unwrap(unsigned char *file_key, const uint8_t in[WIRE_ARGON2ID_STANZA_LEN], const uint8_t id[WIRE_ID_LEN],
                             const char *pass, size_t len, uint64_t max_mem);

/* The secrets a reader may try: identities and passphrases, in sodium_malloc'd memory. */
struct icarc_keyring {
	unsigned char (*sk)[32];
	size_t n_sk;
	char *pass;     /* sodium_malloc'd, NUL-terminated */
	size_t pass_len;
	int have_pass;
};
int Icarc_keyring_add_sk(struct icarc_keyring *kr, const unsigned char sk[32]);
int Icarc_keyring_add_pass(struct icarc_keyring *kr, const char *pass, size_t len);
void Icarc_keyring_clear(struct icarc_keyring *kr);
/* Parse and authenticate the HEADER body (record header bytes included in `rec`, magic first).
 * On success *keys is set for encrypted archives (NULL otherwise). */
struct header_info {
	struct wire_header h;
	size_t stanzas_len; /* bytes of stanzas */
};
int Icarc_header_open(struct icarc_err *e, const uint8_t *magic_and_record, size_t n, const struct icarc_keyring *kr,
                      int no_key, uint64_t max_kdf_mem, struct header_info *hi, struct icarc_keys **keys);

/* Sealing: XChaCha20-Poly1305-IETF, nonce stored in front, associated data given. */
void Icarc_random(void *buf, size_t n);
/* AD of a record: Archive_Id || record header bytes 0..7 || the body's clear prefix. */
size_t Icarc_ad(uint8_t *ad, const uint8_t id[WIRE_ID_LEN], const uint8_t rec_hdr[WIRE_RECORD_HDR], const uint8_t *prefix,
                size_t prefix_len);
/* Encrypt in place: buf holds room for nonce (24) + msg + tag (16); the msg sits at buf + 24. */
void Icarc_seal(const struct icarc_keys *k, uint8_t *buf, size_t msg_len, const uint8_t *ad, size_t ad_len);
/* The same with the nonce already at buf (drawn by the caller). */
void Icarc_seal_placed(const struct icarc_keys *k, uint8_t *buf, size_t msg_len, const uint8_t *ad, size_t ad_len);
/* Decrypt in place; 0 ok, -1 authentication failure. The plaintext is at buf + 24. */
int Icarc_open(const struct icarc_keys *k, uint8_t *buf, size_t sealed_len, const uint8_t *ad, size_t ad_len);

/* Record checksum over header bytes 0..7 and the body. */
uint64_t Icarc_record_checksum(uint64_t seed, const uint8_t hdr[WIRE_RECORD_HDR], const uint8_t *body, size_t n);
/* Fill in length and checksum of a record whose body is at rec + 16. */
void Icarc_record_finish(uint8_t *rec, uint8_t type, uint8_t flags, uint32_t body_len, uint64_t seed);

/* ---- the chunk codec (chunk.c) ---- */
struct chunk_ctx; /* per worker: zstd contexts */
struct chunk_ctx *Icarc_chunk_ctx_new(int level);
void Icarc_chunk_ctx_free(struct chunk_ctx *c);
/* Bytes needed for a CHUNK record of a chunk of `chunk_size` plaintext bytes. */
size_t Icarc_chunk_record_max(uint32_t chunk_size);
/* Encode the chunk `c` (plain bytes in `plain`) as a full CHUNK record at `rec`; returns its size.
 * Encrypted: the caller has put the record's random nonce at rec + 16 + 32 (Nonce).
 * Fills `row` (hash, flags, sizes; stored_offset is the caller's). `plain` NULL: the caller knows
 * the chunk is all zero (Icarc_all_zero). */
size_t Icarc_chunk_seal(struct chunk_ctx *cc, const struct icarc_keys *k, const uint8_t id[WIRE_ID_LEN],
                        const struct wire_chunk *c, const uint8_t *plain, uint8_t *rec, struct wire_row *row);
/* Decode the CHUNK record `rec` of `rec_len` bytes (header included, checksum already checked) into
 * `plain` (room for c->plain_len; NULL is allowed for a zero-run chunk, whose zeros are then not
 * written). Returns ICARC_OK or an error status with a message in `why`. */
int Icarc_chunk_open(struct chunk_ctx *cc, const struct icarc_keys *k, const uint8_t id[WIRE_ID_LEN], uint8_t *rec,
                     size_t rec_len, const struct wire_chunk *c, uint8_t *plain, uint8_t hash_out[WIRE_HASH_LEN],
                     char *why, size_t why_len);

/* ---- worker pool (pool.c): jobs run on N threads, or inline when N = 0 ---- */
struct pool_job {
	void (*run)(struct pool_job *job, void *worker_ctx);
	struct pool_job *next;
	int done;
};
struct pool;
/* make_ctx/free_ctx give each worker thread its own context (zstd contexts). */
struct pool *Icarc_pool_new(unsigned threads, void *(*make_ctx)(void *arg), void (*free_ctx)(void *ctx), void *arg);
void Icarc_pool_submit(struct pool *p, struct pool_job *job);
void Icarc_pool_wait(struct pool *p, struct pool_job *job);
int Icarc_pool_is_done(struct pool *p, struct pool_job *job);
void Icarc_pool_free(struct pool *p);
unsigned Icarc_cpu_count(void);

/* Metadata (meta.c): a sorted key -> value map. */
struct meta_item {
	char *key;
	uint8_t *value;
	size_t len;
};
struct meta_map {
	struct meta_item *items;
	size_t n, cap;
};
int Icarc_meta_set(struct meta_map *m, const char *key, size_t key_len, const void *value, size_t len);
void Icarc_meta_clear(struct meta_map *m);
const struct meta_item *Icarc_meta_find(const struct meta_map *m, const char *key); /* NULL: absent */
size_t Icarc_meta_encoded_size(const struct meta_map *m);
void Icarc_meta_encode(const struct meta_map *m, uint8_t *out);
/* Merge the encoded pairs into `m`; ICARC_OK or ICARC_E_FORMAT with `why`. */
int Icarc_meta_decode(struct meta_map *m, const uint8_t *in, size_t n, const char **why);

/* What a reader hands a writer to continue a cut archive (icarc_writer_resume). */
struct resume_entry {
	char *name;
	uint64_t size, chunks, record_offset;
	uint32_t first_segment;
};
struct resume_state {
	uint8_t id[WIRE_ID_LEN];
	uint32_t chunk_size;
	struct icarc_keys *keys; /* moved out of the reader; NULL when unencrypted */
	void *digest;            /* XXH3_state_t *, moved: Records_Digest so far */
	uint64_t offset;         /* end of the last complete record: the writer goes on from here */
	uint64_t records, total_chunks;
	struct resume_entry *entries;
	size_t n_entries;
	int entry_open;
	uint64_t next_index;
	struct wire_segref *segs;
	uint32_t n_segs;
	struct wire_row *rows; /* since the last SEGMENT */
	size_t n_rows;
	uint64_t *meta_offsets;
	uint32_t *meta_sizes;
	uint32_t n_metas;
	struct meta_map meta;
};
/* Take the state of a reader whose input ended early (icarc_reader_finish: ICARC_E_TRUNCATED).
 * Everything in *st is owned by the caller afterwards. */
int Icarc_reader_take_resume(struct icarc_reader *r, struct resume_state *st, struct icarc_err *e);

#define ICARC_DEFAULT_MAX_ENTRIES 1000000
#define ICARC_DEFAULT_MAX_KDF_MEM (1ULL << 30)
#define ICARC_INDEX_MAX (256U << 20) /* an INDEX record's body: bounded by the entry limit */
#endif
