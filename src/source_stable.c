/* source_stable.c - the query reader (spec/CANISTER.md): stable_size, stable_read and the
 * optional stable_token, as queries (node-signed replies). Slices as large as a query reply allows,
 * halved when the canister rejects a reply as too large. The token and the size are read before
 * and after the pages: if either changed, pages of two states may be mixed, so the archive is
 * thrown away and the pull starts again (up to --restarts times), or fails; never a silent mix. */
#include "config.h"
#ifdef HAVE_LIBCURL
#include <stdlib.h>
#include <string.h>

#include "ic/candid.h"
#include "pull.h"

/* The query reply limit is 3 MiB with the Candid framing; a little less for the framing. */
#define QUERY_SLICE (3U * 1048576U - 4096U)
/* --certified: update calls, whose replies must fit 2 MiB; the snapshot API's slice */
#define CALL_SLICE 2000000U
#define QUERY_MIN_SLICE 65536U

static const uint8_t empty_args[] = {'D', 'I', 'D', 'L', 0, 0};

static int read_request(void *ctx, const struct enc_entry *e, uint64_t off, uint64_t len, struct ic_buf *arg,
                        struct ic_call *c)
{
	struct pull_ctx *p = ctx;
	(void)e;
	static const uint8_t hdr[] = {'D', 'I', 'D', 'L', 0, 2, 0x78, 0x78};
	ic_buf_put(arg, hdr, sizeof hdr);
	for (int i = 0; i < 8; i++)
		ic_buf_put_u8(arg, (uint8_t)(off >> (8 * i)));
	for (int i = 0; i < 8; i++)
		ic_buf_put_u8(arg, (uint8_t)(len >> (8 * i)));
	c->canister = p->canister;
	c->effective = p->canister;
	c->method = p->read_method;
	c->arg = arg->p;
	c->arg_len = arg->len;
	return 0;
}

/* One value of type `ty` ("blob", "nat64") from a reply. */
static int decode_one(const uint8_t *msg, size_t len, const char *ty, struct ic_cvalue *out, char *err, size_t errlen)
{
	struct ic_ctable t;
	int32_t arg;
	size_t one = 1;
	char tuple[32];
	snprintf(tuple, sizeof tuple, "(%s)", ty);
	if (ic_ctable_parse(&t, NULL, tuple, &arg, &one, err, errlen) != 0)
		return -1;
	struct ic_arena ar;
	struct ic_cvalue *v;
	ic_arena_init(&ar, 0);
	int rc = ic_candid_decode(msg, len, &t, &arg, 1, NULL, &ar, &v, err, errlen);
	if (rc == 0)
		*out = v[0]; /* blobs point into msg, not into the arena */
	ic_arena_free(&ar);
	ic_ctable_free(&t);
	return rc;
}

static int read_bytes(void *ctx, const struct enc_entry *e, const struct ic_result *r, const uint8_t **out, size_t *n,
                      char *err, size_t errlen)
{
	const struct pull_ctx *p = ctx;
	(void)e;
	if (p->certified && !r->certified) {
		snprintf(err, errlen, "the reply is not certified");
		return -1;
	}
	struct ic_cvalue v;
	if (decode_one(r->reply, r->reply_len, "blob", &v, err, errlen) != 0)
		return -1;
	*out = v.u.vec.blob;
	*n = v.u.vec.n;
	return 0;
}

static int read_too_large(void *ctx, const struct ic_result *r)
{
	(void)ctx;
	return strcmp(r->error_code, "IC0504") == 0 || strstr(r->reject_message, "cannot be larger than") != NULL ||
	       strstr(r->reject_message, "too large") != NULL;
}

/* What to do about a refusal (spec/CANISTER.md §4). */
static void hint(const struct pull_ctx *p, const struct ic_result *r, const char *method)
{
	if (r == NULL || r->status != IC_E_REJECTED)
		return;
	if (strcmp(r->error_code, "IC0508") == 0)
		cli_warn("%s is stopped: start it (icp canister start %s), or use --snapshot", p->canister_text, p->canister_text);
	else if (strcmp(r->error_code, "IC0406") == 0)
		cli_warn("not authorized to read stable memory: pull as a controller (--identity) or one the canister allows");
	else if (strcmp(r->error_code, "IC0536") == 0)
		cli_warn("the canister has no method '%s': give its name with --size-method/--read-method", method);
}

static int query(struct pull_ctx *p, const char *method, struct ic_result **out)
{
	*out = net_run(p->agent, p->certified ? IC_OP_CALL : IC_OP_QUERY, &p->canister, &p->canister, method, empty_args,
	               sizeof empty_args);
	return *out != NULL && (*out)->status == IC_OK ? 0 : -1;
}

static int read_size(struct pull_ctx *p, uint64_t *size)
{
	struct ic_result *r;
	if (query(p, p->size_method, &r) != 0) {
		int rc = net_fail(r, "query %s of %s", p->size_method, p->canister_text);
		hint(p, r, p->size_method);
		ic_result_free(r);
		return rc;
	}
	struct ic_cvalue v;
	char err[300];
	int rc = EXIT_OK;
	if (decode_one(r->reply, r->reply_len, "nat64", &v, err, sizeof err) != 0)
		rc = cli_fail(EXIT_REMOTE, "query %s of %s: %s", p->size_method, p->canister_text, err);
	else
		*size = v.u.u;
	enc_note_time(&p->enc.stats, r->cert_time_ns);
	ic_result_free(r);
	return rc;
}

/* The token into tok/len; *have = 0 when the canister has no token method (reads unverified). */
static int read_token(struct pull_ctx *p, uint8_t *tok, size_t *len, int *have)
{
	*have = 0;
	*len = 0;
	if (p->token_method == NULL || p->token_method[0] == '\0')
		return EXIT_OK;
	struct ic_result *r;
	if (query(p, p->token_method, &r) != 0) {
		if (r && r->status == IC_E_REJECTED && (strcmp(r->error_code, "IC0536") == 0 || r->reject_code == 3)) {
			ic_result_free(r);
			return EXIT_OK; /* no such method: consistency cannot be checked */
		}
		int rc = net_fail(r, "query %s of %s", p->token_method, p->canister_text);
		hint(p, r, p->token_method);
		ic_result_free(r);
		return rc;
	}
	struct ic_cvalue v;
	char err[300];
	int rc = EXIT_OK;
	if (decode_one(r->reply, r->reply_len, "blob", &v, err, sizeof err) != 0)
		rc = cli_fail(EXIT_REMOTE, "query %s of %s: %s", p->token_method, p->canister_text, err);
	else if (v.u.vec.n > 64)
		rc = cli_fail(EXIT_REMOTE, "query %s of %s: a token of %zu bytes (at most 64)", p->token_method,
		              p->canister_text, v.u.vec.n);
	else {
		memcpy(tok, v.u.vec.blob, v.u.vec.n);
		*len = v.u.vec.n;
		*have = 1;
	}
	ic_result_free(r);
	return rc;
}

/* Every QUERY_CHECK_BYTES: has the token changed already? Then stop early (no point reading the
 * rest of a state that will be thrown away). The token of the start is in p->token. */
#define QUERY_CHECK_BYTES (256U << 20)
static int check_token(void *ctx)
{
	struct pull_ctx *p = ctx;
	uint8_t t[64];
	size_t l;
	int h;
	int rc = read_token(p, t, &l, &h);
	if (rc != EXIT_OK)
		return rc;
	if (h && (l != p->token_len || memcmp(t, p->token, l) != 0)) {
		p->changed = 1;
		return EXIT_REMOTE;
	}
	return EXIT_OK;
}

int pull_stable(struct pull_ctx *p)
{
	for (unsigned attempt = 0;; attempt++) {
		uint8_t t0[64], t1[64];
		size_t l0 = 0, l1 = 0;
		int h0 = 0, h1 = 0;
		uint64_t size = 0, size1 = 0;
		int rc = read_token(p, t0, &l0, &h0);
		if (rc == EXIT_OK)
			rc = read_size(p, &size);
		if (rc == EXIT_OK && attempt > 0)
			rc = aout_restart(p->out);
		char num[32], tokhex[129];
		snprintf(num, sizeof num, "%llu", (unsigned long long)size);
		ic_hex(tokhex, t0, l0);
		if (rc == EXIT_OK && p->out->resumed) {
			/* the cut archive's pages are of one state: go on only in the same state */
			char have[160], hsize[32];
			if (!h0 || aout_resumed_meta(p->out, "consistency_token", have, sizeof have) == NULL)
				rc = cli_fail(EXIT_USAGE, "cannot resume: without a consistency token, the canister may have changed "
				                          "since %s was cut (start again without --resume)",
				              p->out->part);
			else if (strcmp(have, tokhex) != 0 || aout_resumed_meta(p->out, "stable_size", hsize, sizeof hsize) == NULL ||
			         strcmp(hsize, num) != 0)
				rc = cli_fail(EXIT_USAGE, "cannot resume: the canister changed since %s was cut (token %s, now %s): "
				                          "start again without --resume",
				              p->out->part, have, tokhex);
			if (rc != EXIT_OK)
				return rc;
		} else {
			if (rc == EXIT_OK)
				rc = aout_meta(p->out, "source", "stable_memory");
			if (rc == EXIT_OK)
				rc = aout_meta(p->out, "stable_size", num);
			if (rc == EXIT_OK)
				rc = aout_meta(p->out, "consistency", h0 ? "token" : "unverified");
			if (rc == EXIT_OK && h0)
				rc = aout_meta(p->out, "consistency_token", tokhex);
		}
		if (rc != EXIT_OK)
			return rc;
		if (rc == EXIT_OK && !p->out->resumed && p->certified)
			rc = aout_meta(p->out, "reads", "certified (update calls)");
		if (rc != EXIT_OK)
			return rc;
		if (!h0 && attempt == 0)
			cli_warn("%s has no %s method: consistency is not verified (stop its writers first, or use --snapshot)",
			         p->canister_text, p->token_method && p->token_method[0] ? p->token_method : "token");
		struct enc_entry e;
		memset(&e, 0, sizeof e);
		snprintf(e.name, sizeof e.name, "stable_memory");
		e.size = size;
		struct enc_source src = {p->certified ? IC_OP_CALL : IC_OP_QUERY,
		                         p->slice ? p->slice : p->certified ? CALL_SLICE : QUERY_SLICE, QUERY_MIN_SLICE, read_request,
		                         read_bytes, read_too_large, p, p->read_method, h0 ? check_token : NULL,
		                         p->check_every ? p->check_every : QUERY_CHECK_BYTES};
		memcpy(p->token, t0, l0);
		p->token_len = l0;
		p->changed = 0;
		uint64_t done = 0;
		rc = aout_resume_entries(p->out, 0, &e, 1, &done);
		if (rc != EXIT_OK)
			return rc;
		progress_init(&p->progress, p->progress.enabled, "pull", size - done);
		p->total = size;
		rc = enc_run(&p->enc, &src, &e, 1);
		if (rc != EXIT_OK && p->changed)
			rc = EXIT_OK; /* found early: t1 and size1 below say how */
		if (rc == EXIT_OK)
			rc = read_token(p, t1, &l1, &h1);
		if (rc == EXIT_OK)
			rc = read_size(p, &size1);
		if (rc != EXIT_OK)
			return rc;
		if (h0 == h1 && l0 == l1 && memcmp(t0, t1, l0) == 0 && size == size1) {
			memcpy(p->token, t0, l0);
			p->token_len = l0;
			p->have_token = h0;
			return EXIT_OK;
		}
		char after[129];
		ic_hex(after, t1, l1);
		if (attempt < p->restarts && !p->out->streamed && !p->out->resumed) {
			cli_warn("the stable memory of %s changed during the pull (token %s -> %s, size %llu -> %llu): "
			         "starting again (%u of %u)",
			         p->canister_text, tokhex, after, (unsigned long long)size, (unsigned long long)size1,
			         attempt + 1, p->restarts);
			p->enc.stats.bytes = 0;
			continue;
		}
		return cli_fail(EXIT_REMOTE,
		                "the stable memory of %s changed during the pull (token %s -> %s, size %llu -> %llu)%s: %s "
		                "(stop the canister's writers, or use --snapshot)",
		                p->canister_text, tokhex, after, (unsigned long long)size, (unsigned long long)size1,
		                attempt ? ", again after restarting" : "",
		                p->out->streamed ? "the archive written in place is left incomplete" : "no archive written");
	}
}
#endif
