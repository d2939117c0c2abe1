/* pull.h - what icarc pull, import and export share: the archive being written (archive_out.c),
 * the IC connection (net.c), the stream encoder (encoder.c), the canister readers
 * (source_snapshot.c, source_stable.c), snapshot metadata as icp-cli's metadata.json
 * (snapshot_json.c, json.c) and the progress line (progress.c). */
#ifndef ICARC_PULL_H
#define ICARC_PULL_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "ic/ic.h"
#include "ic/mgmt.h"

/* ---- archive_out.c: an archive being written to ARCHIVE.part (renamed when complete) or stdout ---- */

struct aout_opts {
	const char *output;          /* path, "-" or NULL: stdout */
	const char *recipients[64];  /* -r: recipient strings or files */
	size_t n_recipients;
	const char *passphrase_file;
	int no_encrypt;
	int level;                   /* 0: default */
	int workers;                 /* -1: default */
};

struct aout {
	struct icarc_writer *w;
	int fd;
	int to_stdout;
	int streamed;         /* written in place (stdout, a device, a FIFO): no .part, no restart */
	char *part;           /* ARCHIVE.part */
	const char *path;     /* ARCHIVE */
	uint8_t *buf;
	char *pass;           /* kept (sodium_malloc'd) so that a restart can key a new writer */
	size_t pass_len;
	const struct aout_opts *opts;
	uint64_t plain_bytes; /* plaintext pushed */
	int entry_open;
	int resumed;          /* continues a cut ARCHIVE.part */
	int keep_part;        /* on failure, leave ARCHIVE.part for --resume */
	uint64_t wb_ahead;    /* bytes written since the last writeback hint */
};

/* The archive-output options shared by pull and import (-o, -r, --passphrase-file as 'p',
 * --no-encrypt as 'N', --level as 'l'): EXIT_OK when `c` was one, EXIT_USAGE on a bad value,
 * -1 for another option. */
int aout_option(struct aout_opts *ao, int c, const char *arg);
/* Open the output and a keyed writer. Returns an exit code. */
int aout_open(struct aout *o, const struct aout_opts *opts);
/* Continue a cut ARCHIVE.part (opened with the keys in `keys`); *complete = 1 if it was in fact
 * complete (then nothing is to be written: aout_finish renames it). Exit code. */
struct enc_entry;
int aout_resume(struct aout *o, const struct aout_opts *opts, const struct cli_keys *keys, int *complete);
/* The resumed archive's metadata value for key (into buf), or NULL. */
const char *aout_resumed_meta(const struct aout *o, const char *key, char *buf, size_t len);
/* Mark the entries the cut archive holds from its entry `first` on (skip: complete; start/begun:
 * open) after checking that they are this pull's, in order. *done_bytes: plaintext already in the archive. Exit code. */
int aout_resume_entries(struct aout *o, size_t first, struct enc_entry *e, size_t n, uint64_t *done_bytes);
/* Throw away everything written and start a new archive (seekable output only). Exit code. */
int aout_restart(struct aout *o);
int aout_meta(struct aout *o, const char *key, const char *value);
int aout_begin(struct aout *o, const char *entry);
/* Push plaintext of the open entry; last = 1 ends the entry with these bytes. Exit code. */
int aout_push(struct aout *o, const void *p, size_t n, int last);
/* A whole entry from memory. */
int aout_entry(struct aout *o, const char *name, const void *p, size_t n);
/* Index, footer, fsync, rename. Exit code. */
int aout_finish(struct aout *o);
/* Free everything; an unfinished ARCHIVE.part is removed (never a partial archive left behind)
 * unless keep_part is set (a resumable failure, or a resumed file). */
void aout_close(struct aout *o);
uint64_t aout_archive_bytes(const struct aout *o);

/* ---- net.c: the IC agent from the command line's network flags ---- */

struct net_opts {
	const char *network;  /* "ic" (default) or a URL */
	const char *root_key; /* "mainnet", "fetch" or hex (133-byte DER or 96 raw bytes); NULL: by network */
	const char *identity; /* PEM file, NULL: anonymous */
	unsigned concurrency;
	int verbose;
};
int net_open(struct ic_agent **out, const struct net_opts *o, struct ic_identity *id);
/* The exit code for a failed IC result, and a message naming what failed:
 * "<what>: <method> ...: HTTP 503 / reject code 4 (IC0406): ..." */
int net_fail(const struct ic_result *r, const char *fmt, ...) CLI_PRINTF(2, 3);
/* Blocking call/query; the caller frees the result. NULL only when out of memory. */
struct ic_result *net_run(struct ic_agent *a, enum ic_op op, const struct ic_principal *canister,
                          const struct ic_principal *effective, const char *method, const uint8_t *arg, size_t len);
extern const struct ic_principal net_management; /* aaaaa-aa */
/* A management canister call about `canister` that must succeed: EXIT_OK with *res (the caller
 * frees it), or the exit code after a message naming the method and the canister, with a hint when
 * the IC says only a controller may do it (IC0512). */
int net_mgmt(struct ic_agent *a, const struct ic_principal *canister, const char *canister_text, const char *method,
             const struct ic_buf *arg, struct ic_result **res);
void net_controller_hint(const struct ic_result *r, const char *canister_text);
/* A management call whose argument is {canister_id} (stop_canister, start_canister); exit code. */
int net_canister_call(struct ic_agent *a, const struct ic_principal *canister, const char *canister_text,
                      const char *method);
/* canister_status: "running", "stopping" or "stopped" into out; exit code. */
int net_canister_status(struct ic_agent *a, const struct ic_principal *canister, const char *canister_text, char *out,
                        size_t outlen);
/* After a refusal for the 10-snapshot limit: what to do about it. */
void net_snapshot_limit_hint(const struct ic_result *r);

/* ---- progress.c: a progress line on a terminal (bytes, rate, ETA, retries) ---- */

struct progress {
	int enabled;
	uint64_t total, done;
	uint64_t retries;
	double start, last_draw;
	const char *label;
	int drawn;
};
void progress_init(struct progress *p, int enabled, const char *label, uint64_t total);
void progress_update(struct progress *p, uint64_t done, uint64_t retries);
void progress_end(struct progress *p);
double progress_now(void);

/* ---- encoder.c: many reads in flight, a bounded reorder window, bytes to the writer in order ---- */

#define ENC_WHOLE UINT64_MAX /* an entry read with one request whose reply is all of it (wasm chunks) */

struct enc_entry {
	char name[96];
	int kind;           /* the source's own tag */
	uint64_t size;      /* bytes, or ENC_WHOLE */
	uint8_t hash[32];   /* wasm chunks: SHA-256 that the bytes must have */
	/* resume: skip a complete entry; start reading at `start` of an entry already begun */
	int skip, begun;
	uint64_t start;
};

struct enc_source {
	enum ic_op op;
	uint64_t slice;     /* bytes per request (halved on a "reply too large" reject) */
	uint64_t min_slice; /* do not halve below this */
	/* Build the call for [off, off+len) of e (len = 0 for ENC_WHOLE). 0, or -1 (out of memory). */
	int (*request)(void *ctx, const struct enc_entry *e, uint64_t off, uint64_t len, struct ic_buf *arg,
	               struct ic_call *c);
	/* The bytes of a successful reply (pointing into r). 0, or -1 with a message. */
	int (*bytes)(void *ctx, const struct enc_entry *e, const struct ic_result *r, const uint8_t **p, size_t *n,
	             char *err, size_t errlen);
	/* 1 if a rejection means the reply would have been too large (then the slice is halved). */
	int (*too_large)(void *ctx, const struct ic_result *r);
	void *ctx;
	const char *what; /* "read_canister_snapshot_data", "stable_read": for messages */
	/* Optional: called every check_every bytes (query mode: has the state changed?); an exit
	 * code other than EXIT_OK stops the run. */
	int (*check)(void *ctx);
	uint64_t check_every;
};

struct enc_stats {
	uint64_t requests, bytes, size_rejects;
	uint64_t cert_time_min, cert_time_max; /* ns; 0: none */
};

struct encoder {
	struct ic_agent *agent;
	struct aout *out;
	unsigned concurrency, window; /* window: slots (0: 1.5C + 1); reply bytes: the agent's budget */
	struct progress *progress;
	struct enc_stats stats;
};
/* Read the entries, in order, into the archive. Returns an exit code (message printed). */
int enc_run(struct encoder *e, const struct enc_source *s, struct enc_entry *entries, size_t n);
/* Note a certificate or signature time. */
void enc_note_time(struct enc_stats *s, uint64_t ns);

/* ---- source_snapshot.c / source_stable.c ---- */

struct pull_ctx {
	struct ic_agent *agent;
	struct ic_principal canister;
	char canister_text[IC_PRINCIPAL_MAXTEXT];
	struct aout *out;
	struct encoder enc;
	struct progress progress;
	int json;
	/* snapshot */
	uint8_t sid[IC_SNAPSHOT_ID_MAX];
	size_t sid_len;
	/* stable */
	const char *size_method, *read_method, *token_method;
	unsigned restarts;
	uint64_t slice;       /* query mode: first slice size, 0: the default */
	uint64_t check_every; /* query mode: token read every this many bytes, 0: the default */
	int certified;        /* query mode: update calls (subnet-certified replies) instead of queries */
	uint8_t token[64];
	size_t token_len;
	int have_token;
	int changed; /* query mode: the token changed during the read (found by a check) */
	uint64_t total;
};
/* `--snapshot new|ID`: take (optionally stopping the canister) or use a snapshot, then read it. */
int pull_snapshot(struct pull_ctx *p, const char *which, int stop);
/* A management-canister call of `method` about `canister` (its effective canister), arg borrowed. */
void net_mgmt_call_of(struct ic_call *c, const struct ic_principal *canister, const char *method,
                      const struct ic_buf *arg);
/* The snapshot API's kind of each component: 0 wasm module, 1 wasm memory, 2 stable memory, 3 chunk. */
extern const enum ic_snapshot_kind snapshot_kind[4];
/* The read_canister_snapshot_data call for len bytes at off of a component (kind 0 wasm module,
 * 1 wasm memory, 2 stable memory; 3 the chunk-store entry `hash`, 32 bytes); push --resume reads
 * back with it too. 0, or -1 out of memory. */
int snapshot_read_call(const struct ic_principal *canister, const uint8_t *sid, size_t sid_len, int kind,
                       uint64_t off, uint64_t len, const uint8_t *hash, struct ic_buf *arg, struct ic_call *c);
/* Delete the snapshot read (--delete-snapshot, once the archive is complete). */
int pull_delete_snapshot(struct pull_ctx *p);
/* `--stable-memory`: the canister's query interface (spec/CANISTER.md). */
int pull_stable(struct pull_ctx *p);

/* ---- snapshot_json.c: read_canister_snapshot_metadata's reply as icp-cli writes metadata.json ---- */
/* The JSON text (malloc'd, *len bytes, no trailing newline), NULL when out of memory. */
char *snapshot_metadata_json(const struct ic_snapshot_metadata *m, size_t *len);

/* ---- json.c: a small strict JSON reader (metadata.json of snapshot directories) ---- */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };
struct json {
	enum json_type type;
	int b;
	const char *num; /* number text, num_len bytes */
	size_t num_len;
	char *str;       /* decoded string (NUL-terminated); object member names too */
	size_t str_len;
	struct json *kids; /* array elements / object members (their `key`) */
	size_t n;
	char *key;
};
/* Parse text; *out is freed with json_free. 0, or -1 with a message (byte offset). */
int json_parse(const char *text, size_t len, struct json **out, char *err, size_t errlen);
void json_free(struct json *j);
const struct json *json_get(const struct json *obj, const char *key);
/* A non-negative integer that fits u64. 0 ok, -1 not one. */
int json_u64(const struct json *j, uint64_t *out);
#endif
