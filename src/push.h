/* push.h - icarc push: an archive back into a canister. A snapshot archive becomes a new snapshot
 * (upload_canister_snapshot_metadata, then every component with upload_canister_snapshot_data),
 * optionally loaded; a stable-memory archive is written with the canister's stable_write
 * (spec/CANISTER.md). Shared by cmd_push.c, uploader.c, target_snapshot.c, target_stable.c and
 * push_meta.c. */
#ifndef ICARC_PUSH_H
#define ICARC_PUSH_H
#include <signal.h>

#include "pull.h"
#include "snapshot_dir.h"

struct push_ctx {
	struct ic_agent *agent;
	struct ic_principal canister;
	char canister_text[IC_PRINCIPAL_MAXTEXT];
	struct icarc_archive *a;
	const char *archive;
	unsigned concurrency;
	struct progress progress;
	/* snapshot */
	const uint8_t *replace; /* --replace: a snapshot to replace, or NULL */
	size_t replace_len;
	int load, stop;
	int all_pages; /* --all-pages: send zero pages too */
	uint8_t sid[IC_SNAPSHOT_ID_MAX]; /* the uploaded snapshot */
	size_t sid_len;
	const uint8_t *resume; /* --resume: an incomplete upload of this archive to finish, or NULL */
	size_t resume_len;
	int loaded;
	/* stable */
	const char *size_method, *write_method;
	uint64_t size_before;
	/* totals */
	uint64_t bytes, skipped, requests;
	uint64_t present; /* --resume: bytes found already written, not sent again */
};

/* ---- uploader.c: archive slices into update calls, many in flight, memory bounded ---- */

#define UP_PAGE 65536U
/* bytes per call: 30 pages, the largest page multiple under 2,000,000 bytes (the snapshot API's
 * slice limit; and the 2 MiB ingress limit leaves room for the envelope): whole pages, so that
 * zero pages can be skipped */
#define UP_SLICE (30U * UP_PAGE)

struct up_entry {
	size_t index;     /* archive entry */
	uint64_t size;
	int kind;         /* the target's tag */
	int whole;        /* one call with the whole entry (a wasm chunk; at most one slice) */
	uint8_t hash[32]; /* whole: the SHA-256 the bytes must have */
	const char *name;
};

struct up_target {
	/* Build the call that writes p[0..n) at offset `off` of e. 0, or -1 (out of memory). */
	int (*request)(void *ctx, const struct up_entry *e, uint64_t off, const uint8_t *p, size_t n, struct ic_buf *arg,
	               struct ic_call *c);
	void *ctx;
	uint32_t slice;    /* bytes per call */
	int skip_zero;     /* the target reads zero where nothing is written: skip zero pages (never an
	                      entry's last page, which sets the size) */
	const char *what;  /* the method, for messages */
	/* --resume: read what is there first, and send only what differs. `check` builds the call
	 * that reads n bytes at `off` of e; `got` gives the bytes of its reply (0), or -1 when the reply
	 * holds none (then the slice is sent). NULL: everything is sent. */
	int (*check)(void *ctx, const struct up_entry *e, uint64_t off, size_t n, struct ic_buf *arg, struct ic_call *c);
	int (*got)(void *ctx, const struct ic_result *r, const uint8_t **p, size_t *n);
};

/* Write the entries, in order. Every byte comes from icarc_archive_read (authenticated before it
 * is returned); a damaged chunk stops the run before anything of it is sent. Returns an exit
 * code (message printed); the calls already in flight are waited for. */
int up_run(struct push_ctx *p, const struct up_target *t, const struct up_entry *e, size_t n);

/* ---- push_meta.c: icp-cli's metadata.json as upload_canister_snapshot_metadata's argument ---- */

struct push_meta {
	struct ic_snapshot_upload_metadata m;
	struct ic_snapshot_global *globals;
	uint8_t certified_data[32];
};
/* Parse metadata.json text. 0, or -1 with a message. Free with push_meta_free. */
int push_meta_parse(const char *text, size_t len, struct push_meta *pm, char *err, size_t errlen);
void push_meta_free(struct push_meta *pm);

/* ---- the targets ---- */

/* A management call to the canister's subnet that must succeed; *res (free it) on EXIT_OK. */
int push_mgmt(struct push_ctx *p, const char *method, struct ic_buf *arg, struct ic_result **res);
int push_snapshot(struct push_ctx *p);
/* While a snapshot is uploaded, SIGINT and SIGTERM only set push_interrupted (once: a second one
 * kills as usual); the upload stops, the incomplete snapshot is deleted, and push exits with
 * EXIT_INTERRUPTED. push_interrupt_check: EXIT_INTERRUPTED (message printed) once one came. */
extern volatile sig_atomic_t push_interrupted;
void push_interrupt_catch(int on);
int push_interrupt_check(void);
int push_stable(struct push_ctx *p);
#endif
