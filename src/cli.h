/* cli.h - what the icarc subcommands share: exit codes, messages, keys, archive opening. */
#ifndef ICARC_CLI_H
#define ICARC_CLI_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "icarc.h"

/* Exit codes of every subcommand (documented in icarc.1 and README). */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_DIFFERENT = 1, /* diff: the inputs differ */
	EXIT_USAGE = 2,     /* bad command line */
	EXIT_IO = 3,        /* a file could not be read or written */
	EXIT_CORRUPT = 4,   /* the archive or input is damaged, truncated, or not an archive */
	EXIT_KEY = 5,       /* no key opens the archive, or authentication failed */
	EXIT_NETWORK = 6,   /* the IC could not be reached, or kept failing */
	EXIT_REMOTE = 7,    /* the IC or the canister refused the request */
	EXIT_INTERNAL = 70, /* a bug (EX_SOFTWARE) */
	EXIT_INTERRUPTED = 130 /* SIGINT or SIGTERM, after cleaning up (128 + SIGINT, as shells report it) */
};

#define ICARC_COMMAND(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef ICARC_COMMAND

extern const char *cli_progname; /* "icarc CMD", for messages */

/* Messages to stderr, prefixed with "icarc CMD: ". */
#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif
void cli_warn(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Print the message and return `code` (for `return cli_fail(EXIT_IO, ...)`). */
int cli_fail(int code, const char *fmt, ...) CLI_PRINTF(2, 3);
/* The exit code for a libicarc status. */
int cli_exit_for(int status);

/* Parse a size with an optional K/M/G/Ki/Mi/Gi suffix (binary multiples). 0 ok, -1 bad. */
int cli_parse_size(const char *s, uint64_t *out);
int cli_parse_u64(const char *s, uint64_t *out);

/* Keys given on the command line: identity files (-i) and a passphrase file. */
struct cli_keys {
	const char *identity_files[16];
	size_t n_identities;
	const char *passphrase_file; /* "-" is not allowed: stdin may carry the archive */
	int ask_passphrase;          /* read one from the terminal when nothing else is given */
	const char *pass;            /* a passphrase read already (borrowed), e.g. one for two archives */
	size_t pass_len;
};
/* getopt_long entries for -i/--identity and --passphrase-file, and their handling: returns EXIT_OK
 * when `c` was one of them, EXIT_USAGE on a bad value (message printed), -1 for another option. */
#define CLI_OPT_PASSPHRASE_FILE 0x100
#define CLI_KEY_OPTIONS {"identity", required_argument, NULL, 'i'}, \
	{"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE}
int cli_keys_option(struct cli_keys *k, int c, const char *arg);
/* -r: a recipient string (icarc1...), or a file of recipients or identities, one per line. */
int cli_add_recipients(struct icarc_writer *w, const char *arg);

/* Give the keys to a reader or an archive handle. Returns an exit code (EXIT_OK on success). */
int cli_keys_apply_reader(const struct cli_keys *k, struct icarc_reader *r);
int cli_keys_apply_archive(const struct cli_keys *k, struct icarc_archive *a);
/* Read a passphrase: from `file` (first line, without the newline) or, if NULL, from the
 * terminal (twice when `confirm`). The buffer is sodium_malloc'd: free it with cli_secret_free. */
int cli_read_passphrase(const char *file, int confirm, char **pass, size_t *len);
void cli_secret_free(char *secret, size_t len);

/* Load the X25519 secret of an identity file (as written by `icarc keygen`). */
int cli_load_identity(const char *path, unsigned char sk[ICARC_SECRETKEYBYTES]);
/* 1 if the archive open on fd says it is encrypted, 0 if not, -1 if unreadable. */
int cli_archive_is_encrypted(int fd);
/* 1: an encrypted archive with a passphrase stanza, -1: encrypted, cannot tell, 0: no passphrase opens it */
int cli_archive_wants_passphrase(int fd);
/* The same for a file by name: 0 too when it cannot be opened (the error comes when it is read). */
int cli_file_wants_passphrase(const char *path);

/* Open a seekable archive (a regular file) with the keys. Returns an exit code; on success
 * *out is the handle and *fd_out its file descriptor (close both). */
int cli_open_archive(const char *path, const struct cli_keys *k, struct icarc_archive **out, int *fd_out);

/* Read an archive stream from fd through r, asking for a passphrase only if it is encrypted.
 * on_event gets ICARC_ENTRY, ICARC_ENTRY_END and ICARC_CHUNK_BAD; on_data (may be NULL: the
 * plaintext is then verified and dropped) gets authenticated plaintext; each returns 0 to go on.
 * Returns the last status: ICARC_ARCHIVE_END when complete, else < 0 (see icarc_reader_error);
 * *exit_code is set when the failure was the caller's side (I/O, keys). */
struct cli_stream_cb {
	icarc_event_fn *on_event;
	icarc_data_fn *on_data;
	void *ctx;
};
int cli_stream(struct icarc_reader *r, int fd, const char *name, const struct cli_keys *keys, const struct cli_stream_cb *cb,
               int *exit_code);

/* An output file that never looks complete before it is: a regular (or new) file is written as
 * PATH.part and renamed by cli_output_finish(keep = 1), or deleted (keep = 0); a device or FIFO
 * is written directly. Returns an exit code; the message is printed. */
struct cli_output {
	int fd;
	char *path, *part; /* part NULL: written in place */
	int failed;
	int sparse;        /* zero pages become holes */
	int borrowed;      /* standard output: not closed here */
	uint64_t base;     /* file offset where writing began */
	uint64_t size;     /* bytes written through cli_output_write, holes included */
	int sparse_tail;   /* the file ends in a hole not yet materialised */
};
/* Write to an output; into a regular file, whole 64 KiB pages of zeros become holes (canister
 * memories are mostly zero pages), as `zstd -d -o` and `cp --sparse` do. 0 ok, -1 error (errno). */
int cli_output_write(struct cli_output *o, const void *p, size_t n);
int cli_output_open(struct cli_output *o, const char *path);
/* Standard output, written in place and never closed here. Zero pages become holes only where that
 * is safe: a regular file, not O_APPEND, written from its end (what `> FILE` gives), so that a
 * skipped page reads as zeros; a trailing hole is materialised at close. Pipes get every byte. */
int cli_output_stdout(struct cli_output *o);
int cli_output_close(struct cli_output *o); /* done writing (fsync, close); finish renames later */
int cli_output_finish(struct cli_output *o, int keep);

/* Write all of buf to fd (retrying short writes and EINTR). 0 ok, -1 error (errno). */
int cli_write_all(int fd, const void *buf, size_t len);

/* JSON output helpers (strings escaped per RFC 8259; invalid UTF-8 as \ufffd). */
void cli_json_string(FILE *f, const char *s, size_t len);
#endif
