/* source_snapshot.c - the snapshot reader: take (or pick) a canister snapshot through the
 * management canister, read its metadata and every component (wasm module, wasm memory, stable
 * memory, chunk store) with read_canister_snapshot_data in 2,000,000-byte slices. Update calls,
 * certified: consistent by construction. */
#include "config.h"
#ifdef HAVE_LIBCURL
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ic/candid.h"
#include "pull.h"

enum { K_MODULE, K_WASM, K_STABLE, K_CHUNK };

const enum ic_snapshot_kind snapshot_kind[4] = {IC_SNAP_WASM_MODULE, IC_SNAP_WASM_MEMORY, IC_SNAP_STABLE_MEMORY,
                                                IC_SNAP_WASM_CHUNK};

int snapshot_read_call(const struct ic_principal *canister, const uint8_t *sid, size_t sid_len, int kind,
                       uint64_t off, uint64_t len, const uint8_t *hash, struct ic_buf *arg, struct ic_call *c)
{
	if (ic_mgmt_arg_read_snapshot_data(arg, canister, sid, sid_len, snapshot_kind[kind], off, len,
	                                   kind == K_CHUNK ? hash : NULL, kind == K_CHUNK ? 32 : 0) != 0)
		return -1;
	net_mgmt_call_of(c, canister, "read_canister_snapshot_data", arg);
	return 0;
}

static int snap_request(void *ctx, const struct enc_entry *e, uint64_t off, uint64_t len, struct ic_buf *arg,
                        struct ic_call *c)
{
	struct pull_ctx *p = ctx;
	return snapshot_read_call(&p->canister, p->sid, p->sid_len, e->kind, off, len, e->hash, arg, c);
}

static int snap_bytes(void *ctx, const struct enc_entry *e, const struct ic_result *r, const uint8_t **out, size_t *n,
                      char *err, size_t errlen)
{
	(void)ctx;
	if (!r->certified) {
		snprintf(err, errlen, "the reply is not certified");
		return -1;
	}
	if (ic_mgmt_decode_chunk(r->reply, r->reply_len, out, n, err, errlen) != 0)
		return -1;
	if (e->kind == K_CHUNK) {
		uint8_t h[32];
		crypto_hash_sha256(h, *out, *n);
		if (memcmp(h, e->hash, 32) != 0) {
			snprintf(err, errlen, "the chunk's SHA-256 is not the hash it was asked by");
			return -1;
		}
	}
	return 0;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	ic_hex(out, p, n);
}

/* A management call that must succeed; *res is the result (free it) on EXIT_OK. */
static int mgmt(struct pull_ctx *p, const char *method, struct ic_buf *arg, struct ic_result **res)
{
	int rc = net_mgmt(p->agent, &p->canister, p->canister_text, method, arg, res);
	if (rc == EXIT_OK)
		enc_note_time(&p->enc.stats, (*res)->cert_time_ns);
	return rc;
}

static int take(struct pull_ctx *p, int stop)
{
	int rc;
	if (stop) {
		rc = net_canister_call(p->agent, &p->canister, p->canister_text, "stop_canister");
		if (rc != EXIT_OK)
			return rc;
	} else {
		char st[32];
		rc = net_canister_status(p->agent, &p->canister, p->canister_text, st, sizeof st);
		if (rc != EXIT_OK)
			return rc;
		if (strcmp(st, "stopped") != 0)
			return cli_fail(EXIT_USAGE,
			                "canister %s is %s: stop it first (icp canister stop), or pass --stop to stop it for the "
			                "snapshot and start it again after",
			                p->canister_text, st);
	}
	struct ic_buf b;
	ic_buf_init(&b);
	ic_mgmt_arg_take_snapshot(&b, &p->canister, NULL, 0);
	struct ic_result *r;
	rc = mgmt(p, "take_canister_snapshot", &b, &r);
	ic_buf_free(&b);
	if (rc == EXIT_OK) {
		struct ic_snapshot s;
		char err[300];
		if (ic_mgmt_decode_snapshot(r->reply, r->reply_len, &s, err, sizeof err) != 0) {
			rc = cli_fail(EXIT_REMOTE, "take_canister_snapshot of %s: %s", p->canister_text, err);
		} else {
			memcpy(p->sid, s.id, s.id_len);
			p->sid_len = s.id_len;
		}
		ic_result_free(r);
	}
	if (stop) { /* start it again, whatever happened */
		int rc2 = net_canister_call(p->agent, &p->canister, p->canister_text, "start_canister");
		if (rc == EXIT_OK)
			rc = rc2;
	}
	return rc;
}

int pull_delete_snapshot(struct pull_ctx *p)
{
	struct ic_buf b;
	ic_buf_init(&b);
	ic_mgmt_arg_snapshot(&b, &p->canister, p->sid, p->sid_len);
	struct ic_result *r;
	int rc = mgmt(p, "delete_canister_snapshot", &b, &r);
	ic_buf_free(&b);
	ic_result_free(r);
	return rc;
}

int pull_snapshot(struct pull_ctx *p, const char *which, int stop)
{
	int rc;
	char resumed_sid[2 * IC_SNAPSHOT_ID_MAX + 1];
	if (strcmp(which, "new") == 0 && p->out->resumed) {
		/* the same command again with --resume: go on with the snapshot the cut archive holds */
		if (aout_resumed_meta(p->out, "snapshot_id", resumed_sid, sizeof resumed_sid) == NULL)
			return cli_fail(EXIT_USAGE, "cannot resume: %s names no snapshot", p->out->part);
		which = resumed_sid;
		stop = 0;
		cli_warn("resuming snapshot %s of %s", which, p->canister_text);
	}
	if (strcmp(which, "new") == 0) {
		rc = take(p, stop);
		if (rc != EXIT_OK)
			return rc;
	} else {
		size_t n = strlen(which);
		if (stop)
			return cli_fail(EXIT_USAGE, "--stop goes with --snapshot new");
		if (n == 0 || n % 2 || n / 2 > IC_SNAPSHOT_ID_MAX || ic_unhex(p->sid, n / 2, which, n) != 0)
			return cli_fail(EXIT_USAGE, "--snapshot wants 'new' or a snapshot id in hex, got '%s'", which);
		p->sid_len = n / 2;
	}
	char sidhex[2 * IC_SNAPSHOT_ID_MAX + 1];
	hex(sidhex, p->sid, p->sid_len);
	if (p->out->resumed) {
		char have[2 * IC_SNAPSHOT_ID_MAX + 1];
		if (aout_resumed_meta(p->out, "snapshot_id", have, sizeof have) == NULL || strcmp(have, sidhex) != 0)
			return cli_fail(EXIT_USAGE, "cannot resume: %s holds snapshot %s, not %s", p->out->part,
			                aout_resumed_meta(p->out, "snapshot_id", have, sizeof have) ? have : "(none)", sidhex);
	}

	struct ic_buf b;
	ic_buf_init(&b);
	ic_mgmt_arg_snapshot(&b, &p->canister, p->sid, p->sid_len);
	struct ic_result *r;
	rc = mgmt(p, "read_canister_snapshot_metadata", &b, &r);
	ic_buf_free(&b);
	if (rc != EXIT_OK)
		return rc;
	struct ic_arena ar;
	ic_arena_init(&ar, 0);
	struct ic_snapshot_metadata m;
	char err[300];
	if (ic_mgmt_decode_snapshot_metadata(r->reply, r->reply_len, &ar, &m, err, sizeof err) != 0) {
		ic_arena_free(&ar);
		ic_result_free(r);
		return cli_fail(EXIT_REMOTE, "read_canister_snapshot_metadata of %s, snapshot %s: %s", p->canister_text,
		                sidhex, err);
	}
	size_t jlen;
	char *json = snapshot_metadata_json(&m, &jlen);
	size_t n = 3 + m.n_chunks;
	struct enc_entry *ent = calloc(n, sizeof *ent);
	if (json == NULL || ent == NULL) {
		free(json);
		free(ent);
		ic_arena_free(&ar);
		ic_result_free(r);
		return cli_fail(EXIT_IO, "out of memory");
	}
	static const char *names[] = {"wasm_module", "wasm_memory", "stable_memory"};
	uint64_t sizes[] = {m.wasm_module_size, m.wasm_memory_size, m.stable_memory_size};
	for (int k = 0; k < 3; k++) {
		snprintf(ent[k].name, sizeof ent[k].name, "%s", names[k]);
		ent[k].kind = k;
		ent[k].size = sizes[k];
	}
	for (size_t k = 0; k < m.n_chunks; k++) {
		struct enc_entry *e = &ent[3 + k];
		char h[65];
		hex(h, m.chunk_hash[k], 32);
		snprintf(e->name, sizeof e->name, "wasm_chunk/%s", h);
		e->kind = K_CHUNK;
		e->size = ENC_WHOLE;
		memcpy(e->hash, m.chunk_hash[k], 32);
	}
	char num[32];
	snprintf(num, sizeof num, "%llu", (unsigned long long)m.taken_at_timestamp);
	uint64_t total = m.wasm_module_size + m.wasm_memory_size + m.stable_memory_size;
	ic_arena_free(&ar);
	ic_result_free(r);

	rc = EXIT_OK;
	if (!p->out->resumed) {
		rc = aout_meta(p->out, "source", "snapshot");
		if (rc == EXIT_OK)
			rc = aout_meta(p->out, "snapshot_id", sidhex);
		if (rc == EXIT_OK)
			rc = aout_meta(p->out, "snapshot_taken_at", num);
	}
	/* metadata.json first: a stream reader sees what the snapshot holds before its bytes */
	if (rc == EXIT_OK)
		rc = aout_entry(p->out, "metadata.json", json, jlen);
	free(json);
	uint64_t done = 0;
	if (rc == EXIT_OK)
		rc = aout_resume_entries(p->out, 1, ent, n, &done);
	if (rc == EXIT_OK) {
		progress_init(&p->progress, p->progress.enabled, "pull", total - (done < total ? done : total));
		p->total = total;
		struct enc_source src = {IC_OP_CALL, IC_SNAPSHOT_SLICE_MAX, IC_SNAPSHOT_SLICE_MAX, snap_request, snap_bytes, NULL,
		                         p, "read_canister_snapshot_data", NULL, 0};
		rc = enc_run(&p->enc, &src, ent, n);
	}
	free(ent);
	return rc;
}
#endif
