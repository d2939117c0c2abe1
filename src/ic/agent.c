/* agent.c - query / call / read_state over the transport, as a set of small state machines driven
 * by ic_agent_poll (see ic.h). Endpoint choice, fallbacks, retries and polling follow the official
 * agents (agent-rs ic-agent/src/agent/mod.rs, agent-js agent/http/index.ts; ic-protocol.md §1, §4). */
#include "config.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ic/hashtree.h"
#include "ic/ic.h"
#include "ic/network.h"
#include "ic/request.h"
#include "ic/transport.h"

enum st { ST_READY, ST_HTTP, ST_WAIT_KEYS, ST_WAIT_CLOCK, ST_WAIT_ROOT, ST_DONE };
enum root { ROOT_KNOWN, ROOT_FETCHING, ROOT_FAILED };
enum purpose { P_USER, P_KEYS, P_CLOCK };
enum phase { PH_SUBMIT, PH_POLL };

struct op {
	struct op *next;
	uint64_t id;
	enum ic_op kind;
	enum purpose purpose;
	enum st state;
	enum phase phase;
	int api; /* URL version: call 4/3/2, query 3/2, read_state 3 */
	struct ic_principal canister, effective;
	char *method;
	uint8_t *arg;
	size_t arg_len;
	struct ic_path *paths;
	struct ic_label *labels;
	size_t npaths;
	void *user;
	uint64_t deadline_ms, wake_ms, signed_ms, sent_ms;
	int must_resign;
	struct ic_buf env;
	uint8_t rid[32];
	unsigned attempt, polls;
	int clock_resynced, keys_refetched;
	int maybe_delivered; /* a call attempt got no clear answer: it may have reached the IC */
	int checking;        /* polling the old request id before signing the call again */
	uint64_t expiry_ns;  /* ingress_expiry of the call's current request id */
	struct ic_buf poll_env; /* a call's read_state of its status (env keeps the call itself) */
	struct ic_http_req http;
	struct ic_result *res;
};

struct node_key {
	struct ic_principal node;
	uint8_t der[44];
};

/* The node keys of one subnet and the canister ranges certified with them (as agent-rs's subnet
 * cache): a canister inside the ranges is answered from here without reading /subnet again. */
struct keyset {
	struct ic_principal asked;  /* the canister whose read_state of /subnet fills (filled) this set */
	struct ic_principal subnet; /* valid once has_subnet */
	int has_subnet;
	struct node_key *nodes;
	size_t n;
	struct ic_canister_range *ranges;
	size_t nranges;
	int state; /* 0 fetching, 1 ready, -1 failed */
	uint64_t fetched_ms;
	char error[1100];
};

struct ic_agent {
	struct ic_agent_config cfg;
	char url[400];
	struct ic_identity id, anon;
	uint8_t root_key[96];
	/* cfg.fetch_root_key: /api/v2/status is read while the first requests go out; their answers
	 * wait (ST_WAIT_ROOT) for the key that verifies them */
	enum root root_state;
	struct ic_http_req *root_req;
	unsigned root_attempt;
	uint64_t root_deadline_ms, root_wake_ms;
	char root_error[800];
	struct ic_http *http;
	int64_t clock_offset_ns;
	int call_api, query_api;
	struct op *ops;
	size_t user_ops;
	struct ic_result *ready, *ready_tail;
	size_t nready;
	uint64_t next_id;
	struct keyset *keys;
	size_t nkeys;
	int clock_syncing;
	uint64_t prefer; /* ic_agent_prefer */
	struct ic_agent_stats st;
	struct ic_sig_cache sigs; /* certificate signatures verified (a round's replies share one) */
};

const char *ic_status_name(int s)
{
	switch (s) {
	case IC_OK:
		return "ok";
	case IC_E_REJECTED:
		return "rejected";
	case IC_E_NETWORK:
		return "network";
	case IC_E_HTTP:
		return "http";
	case IC_E_PROTOCOL:
		return "protocol";
	case IC_E_VERIFY:
		return "verification";
	case IC_E_TIMEOUT:
		return "timeout";
	case IC_E_USAGE:
		return "usage";
	default:
		return "out of memory";
	}
}

void ic_agent_config_init(struct ic_agent_config *c)
{
	memset(c, 0, sizeof *c);
	c->max_connections = 8;
	c->connect_timeout_ms = 10000;
	c->request_timeout_ms = 60000;
	c->deadline_ms = 300000;
	c->backoff_initial_ms = 250;
	c->backoff_max_ms = 10000;
	c->resign_after_ms = 120000;
	c->expiry_ms = 240000;
	c->verify_query_signatures = 1;
	c->check_certificate_time = 1;
	c->reply_budget = IC_REPLY_BUDGET_DEFAULT;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t ic_agent_now_ns(const struct ic_agent *a)
{
	return (uint64_t)((int64_t)wall_ns() + a->clock_offset_ns);
}

const struct ic_principal *ic_agent_principal(const struct ic_agent *a)
{
	return &a->id.principal;
}

const uint8_t *ic_agent_root_key(const struct ic_agent *a)
{
	return a->root_state == ROOT_KNOWN ? a->root_key : NULL;
}

void ic_agent_stats(const struct ic_agent *a, struct ic_agent_stats *s)
{
	*s = a->st;
	const struct ic_http_budget *b = ic_http_budget(a->http);
	s->reply_bytes = b->used;
	s->reply_bytes_peak = b->peak;
	s->reply_pauses = b->pauses;
	s->cert_pairings = a->sigs.misses;
	s->cert_cache_hits = a->sigs.hits;
}

void ic_agent_prefer(struct ic_agent *a, uint64_t id)
{
	a->prefer = id;
}

/* The reply budget never pauses the agent's own reads (node keys, clock: user replies wait for
 * them) nor the one user operation the caller waits for: the one it named with ic_agent_prefer
 * while that is outstanding, else the oldest. So one reply can always complete. */
static void set_exemptions(struct ic_agent *a)
{
	struct op *oldest = NULL, *pref = NULL;
	for (struct op *op = a->ops; op != NULL; op = op->next) {
		if (op->state == ST_DONE || op->purpose != P_USER)
			continue;
		if (op->id == a->prefer)
			pref = op;
		if (oldest == NULL || op->id < oldest->id)
			oldest = op;
	}
	struct op *x = pref != NULL ? pref : oldest;
	for (struct op *op = a->ops; op != NULL; op = op->next)
		if (op->http.running)
			ic_http_set_exempt(a->http, &op->http, op->purpose != P_USER || op == x);
}

void ic_result_free(struct ic_result *r)
{
	if (r == NULL)
		return;
	if (r->has_cert)
		ic_cert_free(&r->cert);
	free(r->body);
	if (r->budget_ != NULL) { /* the body's bytes go back to the agent's reply budget */
		ic_http_budget_release(r->budget_, r->budget_bytes_);
		ic_http_budget_unref(r->budget_);
	}
	free(r);
}

static void logf_(const struct ic_agent *a, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static void logf_(const struct ic_agent *a, const char *fmt, ...)
{
	if (!a->cfg.verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "ic agent %llu.%03llu: ", (unsigned long long)(now_ms() / 1000 % 1000), (unsigned long long)(now_ms() % 1000));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- results ---- */

static void push_ready(struct ic_agent *a, struct ic_result *r)
{
	r->next_ = NULL;
	if (a->ready_tail)
		a->ready_tail->next_ = r;
	else
		a->ready = r;
	a->ready_tail = r;
	a->nready++;
}

static void keys_done(struct ic_agent *a, struct op *kop, int ok, const char *error);
static void clock_done(struct ic_agent *a, int ok, int64_t offset);

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void finish(struct ic_agent *a, struct op *op, int status, const char *fmt, ...)
{
	struct ic_result *r = op->res;
	r->status = status;
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->error, sizeof r->error, fmt, ap);
		va_end(ap);
	}
	memcpy(r->request_id, op->rid, 32);
	op->state = ST_DONE;
	if (op->purpose == P_USER) {
		op->res = NULL;
		push_ready(a, r);
		a->user_ops--;
		logf_(a, "op %llu done: %s%s%s", (unsigned long long)op->id, ic_status_name(status), r->error[0] ? ": " : "",
		      r->error);
		return;
	}
	if (op->purpose == P_KEYS)
		keys_done(a, op, status == IC_OK, r->error);
	else
		clock_done(a, status == IC_OK, 0);
	/* internal results are consumed here */
	ic_result_free(r);
	op->res = NULL;
}

/* ---- building requests ---- */

/* A call or query argument of this size or more lives only in the op's envelope once signed. */
#define ARG_KEPT_IN_ENVELOPE (64U << 10)

/* The argument inside a signed envelope (content.arg), pointing into it. */
static int arg_of_envelope(const struct ic_buf *env, const uint8_t **arg, size_t *len)
{
	struct ic_cbor_doc d;
	if (ic_cbor_decode(env->p, env->len, NULL, &d, NULL, 0) != 0)
		return -1;
	size_t content = ic_cbor_map_get(&d, 0, "content");
	int rc = ic_cbor_get_bytes(&d, ic_cbor_map_get(&d, content, "arg"), arg, len);
	ic_cbor_doc_free(&d);
	return rc;
}

static int sign_envelope(struct ic_agent *a, struct op *op)
{
	struct ic_request rq;
	memset(&rq, 0, sizeof rq);
	const struct ic_identity *who = op->purpose == P_USER ? &a->id : &a->anon;
	static const struct ic_label rs = {(const uint8_t *)"request_status", 14};
	struct ic_label poll_labels[2] = {rs, {op->rid, 32}};
	struct ic_path poll_path = {poll_labels, 2};
	rq.sender = who->principal;
	rq.ingress_expiry = ic_ingress_expiry(ic_agent_now_ns(a), (uint64_t)a->cfg.expiry_ms * 1000000ULL);
	if (op->phase == PH_POLL) {
		rq.type = IC_REQ_READ_STATE;
		rq.paths = &poll_path;
		rq.npaths = 1;
	} else if (op->kind == IC_OP_READ_STATE) {
		rq.type = IC_REQ_READ_STATE;
		rq.paths = op->paths;
		rq.npaths = op->npaths;
	} else {
		rq.type = op->kind == IC_OP_CALL ? IC_REQ_CALL : IC_REQ_QUERY;
		rq.canister_id = op->canister;
		rq.method = op->method;
		rq.arg = op->arg;
		rq.arg_len = op->arg_len;
		if (op->arg == NULL && arg_of_envelope(&op->env, &rq.arg, &rq.arg_len) != 0)
			return -1;
		if (op->kind == IC_OP_CALL) { /* as both agents do: a fresh 16-byte nonce per update */
			randombytes_buf(rq.nonce, 16);
			rq.nonce_len = 16;
		}
	}
	uint8_t rid[32];
	char err[200];
	/* a new envelope of the call itself takes its argument from the old one, so both exist for a
	 * moment; a status poll goes to its own buffer */
	struct ic_buf next;
	ic_buf_init(&next);
	if (ic_envelope_build(&rq, who, &next, rid, err, sizeof err) != 0) {
		ic_buf_free(&next);
		return -1;
	}
	struct ic_buf *env = op->phase == PH_POLL ? &op->poll_env : &op->env;
	ic_buf_free(env);
	*env = next;
	if (op->phase == PH_SUBMIT && op->arg != NULL && op->arg_len >= ARG_KEPT_IN_ENVELOPE) {
		free(op->arg); /* the envelope holds it: one copy of an upload's 2 MB per call, not two */
		op->arg = NULL;
	}
	if (op->phase == PH_SUBMIT) {
		memcpy(op->rid, rid, 32);
		op->expiry_ns = rq.ingress_expiry;
	}
	op->signed_ms = now_ms();
	op->must_resign = 0;
	return 0;
}

static void url_for(struct ic_agent *a, struct op *op, char *out, size_t n)
{
	char ecid[IC_PRINCIPAL_MAXTEXT];
	ic_principal_to_text(&op->effective, ecid);
	if (op->phase == PH_POLL || op->kind == IC_OP_READ_STATE)
		snprintf(out, n, "%s/api/v3/canister/%s/read_state", a->url, ecid);
	else if (op->kind == IC_OP_CALL)
		snprintf(out, n, "%s/api/v%d/canister/%s/call", a->url, op->api, ecid);
	else
		snprintf(out, n, "%s/api/v%d/canister/%s/query", a->url, op->api, ecid);
}

static void send_op(struct ic_agent *a, struct op *op)
{
	uint64_t now = now_ms();
	if (a->root_state == ROOT_FAILED) {
		finish(a, op, IC_E_NETWORK, "%s", a->root_error);
		return;
	}
	if (now > op->deadline_ms) {
		finish(a, op, IC_E_TIMEOUT, "the deadline passed after %u retries and %u polls", op->attempt, op->polls);
		return;
	}
	int resign = op->env.len == 0 || op->must_resign || op->phase == PH_POLL ||
	             now - op->signed_ms > a->cfg.resign_after_ms;
	if (resign && op->kind == IC_OP_CALL && op->phase == PH_SUBMIT && op->env.len != 0 && op->maybe_delivered) {
		/* A new signature is a new request id: if the old one reached the IC, both could execute
		 * (twice the snapshot). Poll the old id instead, until it is known or provably expired. */
		op->checking = 1;
		op->phase = PH_POLL;
		a->st.rechecks++;
		logf_(a, "op %llu: checking the status of the earlier request before signing again", (unsigned long long)op->id);
	}
	if (resign) {
		if (op->env.len != 0 && op->phase == PH_SUBMIT)
			a->st.resigns++;
		if (sign_envelope(a, op) != 0) {
			finish(a, op, IC_E_NOMEM, "cannot sign the request");
			return;
		}
	}
	url_for(a, op, op->http.url, sizeof op->http.url);
	const struct ic_buf *env = op->phase == PH_POLL ? &op->poll_env : &op->env;
	op->http.body = env->p;
	op->http.body_len = env->len;
	op->http.owner = op;
	if (ic_http_start(a->http, &op->http) != 0) {
		finish(a, op, IC_E_NETWORK, "%s", op->http.error);
		return;
	}
	a->st.http_requests++;
	op->sent_ms = now_ms();
	if (op->phase == PH_POLL)
		a->st.polls++;
	op->state = ST_HTTP;
	logf_(a, "op %llu: POST %s (%zu bytes)", (unsigned long long)op->id, op->http.url, op->http.body_len);
}

static void schedule(struct op *op, uint64_t delay_ms)
{
	op->state = ST_READY;
	op->wake_ms = now_ms() + delay_ms;
}

/* exponential backoff with jitter, at least Retry-After; gives up at the deadline */
static void retry(struct ic_agent *a, struct op *op, long retry_after_s, const char *why)
{
	op->attempt++;
	op->res->retries++;
	a->st.retries++;
	uint64_t b = a->cfg.backoff_initial_ms;
	for (unsigned i = 1; i < op->attempt && b < a->cfg.backoff_max_ms; i++)
		b *= 2;
	if (b > a->cfg.backoff_max_ms)
		b = a->cfg.backoff_max_ms;
	uint64_t delay = b / 2 + (b ? randombytes_uniform((uint32_t)(b > UINT32_MAX ? UINT32_MAX : b)) : 0);
	if (retry_after_s > 0 && (uint64_t)retry_after_s * 1000 > delay)
		delay = (uint64_t)retry_after_s * 1000;
	if (now_ms() + delay > op->deadline_ms) {
		finish(a, op, IC_E_NETWORK, "gave up after %u attempts: %s", op->attempt, why);
		return;
	}
	logf_(a, "op %llu: retry %u in %llu ms: %s", (unsigned long long)op->id, op->attempt, (unsigned long long)delay,
	      why);
	schedule(op, delay);
}

static void schedule_poll(struct ic_agent *a, struct op *op)
{
	/* agent-rs: 500 ms, x1.4, at most 1 s, with jitter */
	uint64_t d = 500;
	for (unsigned i = 0; i < op->polls && d < 1000; i++)
		d = d * 14 / 10;
	if (d > 1000)
		d = 1000;
	d = d * 8 / 10 + randombytes_uniform((uint32_t)(d * 4 / 10 + 1));
	if (now_ms() + d > op->deadline_ms) {
		finish(a, op, IC_E_TIMEOUT, "the request status was still not final at the deadline (%u polls)", op->polls);
		return;
	}
	op->polls++;
	schedule(op, d);
}

/* ---- responses ---- */

/* The response body becomes the result's (no copy), with its bytes in the reply budget. */
static void take_body(struct ic_agent *a, struct op *op)
{
	struct ic_result *r = op->res;
	free(r->body);
	if (r->budget_ == NULL) {
		r->budget_ = ic_http_budget(a->http);
		r->budget_->refs++;
	}
	ic_http_budget_release(r->budget_, r->budget_bytes_);
	r->body = ic_buf_take(&op->http.resp, &r->body_len);
	r->budget_bytes_ = op->http.counted;
	op->http.counted = 0;
}

static void copy_text(char *dst, size_t cap, const char *p, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, p, n);
	dst[n] = 0;
}

static int decode_body(struct op *op, struct ic_cbor_doc *d, size_t *top, char *err, size_t errlen)
{
	struct ic_result *r = op->res;
	if (ic_cbor_decode(r->body, r->body_len, NULL, d, err, errlen) != 0)
		return -1;
	*top = ic_cbor_untag(d, 0);
	if (*top == IC_CBOR_NONE || d->items[*top].type != IC_CBOR_MAP) {
		snprintf(err, errlen, "the response is not a CBOR map");
		ic_cbor_doc_free(d);
		return -1;
	}
	return 0;
}

/* reject_code / reject_message / error_code of a map (non-replicated rejections, query rejects) */
static void read_reject(struct op *op, const struct ic_cbor_doc *d, size_t top)
{
	struct ic_result *r = op->res;
	const char *s;
	size_t n;
	ic_cbor_get_uint(d, ic_cbor_map_get(d, top, "reject_code"), &r->reject_code);
	if (ic_cbor_get_text(d, ic_cbor_map_get(d, top, "reject_message"), &s, &n) == 0)
		copy_text(r->reject_message, sizeof r->reject_message, s, n);
	if (ic_cbor_get_text(d, ic_cbor_map_get(d, top, "error_code"), &s, &n) == 0)
		copy_text(r->error_code, sizeof r->error_code, s, n);
}

static void verify_policy(struct ic_agent *a, struct op *op, struct ic_cert_policy *p)
{
	ic_cert_policy_init(p, a->root_key, ic_agent_now_ns(a));
	p->cache = &a->sigs;
	p->target = op->effective;
	p->check_time = a->cfg.check_certificate_time && op->purpose != P_CLOCK;
}

/* Decode and verify the certificate in a {certificate} or {status, certificate} body. */
static int cert_of_body(struct ic_agent *a, struct op *op, const struct ic_cbor_doc *d, size_t top)
{
	struct ic_result *r = op->res;
	const uint8_t *cb;
	size_t cl;
	char err[512];
	if (ic_cbor_get_bytes(d, ic_cbor_map_get(d, top, "certificate"), &cb, &cl) != 0) {
		finish(a, op, IC_E_PROTOCOL, "the response has no certificate");
		return -1;
	}
	if (ic_cert_decode(&r->cert, cb, cl, err, sizeof err) != 0) {
		finish(a, op, IC_E_PROTOCOL, "%s", err);
		return -1;
	}
	r->has_cert = 1;
	struct ic_cert_policy p;
	verify_policy(a, op, &p);
	if (ic_cert_verify(&r->cert, &p, err, sizeof err) != 0) {
		finish(a, op, IC_E_VERIFY, "%s", err);
		return -1;
	}
	ic_cert_time(&r->cert, &r->cert_time_ns);
	return 0;
}

static void drop_cert(struct ic_result *r)
{
	if (r->has_cert) {
		ic_cert_free(&r->cert);
		r->has_cert = 0;
	}
}

/* A certified request status: finish, or keep polling. */
static void on_status_cert(struct ic_agent *a, struct op *op, const struct ic_cbor_doc *d, size_t top)
{
	struct ic_result *r = op->res;
	if (cert_of_body(a, op, d, top) != 0)
		return;
	struct ic_request_status s;
	char err[300];
	if (ic_cert_request_status(&r->cert, op->rid, &s, err, sizeof err) != 0) {
		finish(a, op, IC_E_VERIFY, "%s", err);
		return;
	}
	switch (s.state) {
	case IC_STATUS_REPLIED:
		r->reply = s.reply; /* into r->body: the one copy */
		r->reply_len = s.reply_len;
		r->certified = 1;
		drop_cert(r);
		finish(a, op, IC_OK, NULL);
		return;
	case IC_STATUS_REJECTED:
		r->reject_code = s.reject_code;
		copy_text(r->reject_message, sizeof r->reject_message, s.reject_message, s.reject_message_len);
		if (s.error_code)
			copy_text(r->error_code, sizeof r->error_code, s.error_code, s.error_code_len);
		r->certified = 1;
		drop_cert(r);
		finish(a, op, IC_E_REJECTED, "rejected (code %llu%s%s): %s", (unsigned long long)r->reject_code,
		       r->error_code[0] ? ", " : "", r->error_code, r->reject_message);
		return;
	case IC_STATUS_DONE:
		drop_cert(r);
		finish(a, op, IC_E_PROTOCOL, "the request is done but its reply is no longer available");
		return;
	default:
		if (s.state == IC_STATUS_UNKNOWN && op->checking && r->cert_time_ns > op->expiry_ns) {
			/* the IC's time is past the old request's expiry and it never arrived: it can no longer
			 * execute, so signing the call again is safe */
			drop_cert(r);
			op->checking = 0;
			op->maybe_delivered = 0;
			op->must_resign = 1;
			op->phase = PH_SUBMIT;
			schedule(op, 0);
			return;
		}
		if (s.state != IC_STATUS_UNKNOWN)
			op->checking = 0; /* it arrived: follow it to its reply */
		drop_cert(r);
		op->phase = PH_POLL;
		schedule_poll(a, op);
		return;
	}
}

/* The subnet whose certified ranges hold the canister, else the set read (or being read) for it. */
static struct keyset *find_keys(struct ic_agent *a, const struct ic_principal *ecid)
{
	for (size_t i = 0; i < a->nkeys; i++)
		if (ic_canister_ranges_has(a->keys[i].ranges, a->keys[i].nranges, ecid))
			return &a->keys[i];
	for (size_t i = 0; i < a->nkeys; i++)
		if (ic_principal_cmp(&a->keys[i].asked, ecid) == 0)
			return &a->keys[i];
	return NULL;
}

static void finish_query(struct ic_agent *a, struct op *op, const struct keyset *ks);
static struct op *new_op(struct ic_agent *a, enum ic_op kind, enum purpose purpose);

/* Start reading the node keys of ecid's subnet (read_state of /subnet, anonymous) into ks; what
 * ks held stays until the answer replaces it, and queries of its canisters wait meanwhile. */
static int start_keys_fetch(struct ic_agent *a, struct keyset *ks, const struct ic_principal *ecid)
{
	static const struct ic_label subnet = {(const uint8_t *)"subnet", 6};
	ks->asked = *ecid;
	ks->state = 0;
	struct op *k = new_op(a, IC_OP_READ_STATE, P_KEYS);
	if (k == NULL)
		return -1;
	a->st.subnet_reads++;
	k->effective = *ecid;
	k->labels = malloc(sizeof *k->labels);
	k->paths = malloc(sizeof *k->paths);
	if (k->labels == NULL || k->paths == NULL) {
		k->state = ST_DONE; /* swept later */
		return -1;
	}
	k->labels[0] = subnet;
	k->paths[0].labels = k->labels;
	k->paths[0].n = 1;
	k->npaths = 1;
	return 0;
}

static void need_keys(struct ic_agent *a, struct op *op)
{
	struct keyset *ks = find_keys(a, &op->effective);
	if (ks != NULL && ks->state < 0 && now_ms() - ks->fetched_ms > 10000) {
		/* the last attempt failed a while ago (network, deadline): try again */
		op->state = ST_WAIT_KEYS;
		if (start_keys_fetch(a, ks, &op->effective) != 0) {
			ks->state = -1;
			finish_query(a, op, ks);
		}
		return;
	}
	if (ks != NULL && ks->state != 0) {
		finish_query(a, op, ks);
		return;
	}
	op->state = ST_WAIT_KEYS;
	if (ks != NULL)
		return; /* a fetch is under way */
	struct keyset *nk = realloc(a->keys, (a->nkeys + 1) * sizeof *nk);
	if (nk == NULL) {
		finish(a, op, IC_E_NOMEM, "out of memory");
		return;
	}
	a->keys = nk;
	ks = &a->keys[a->nkeys++];
	memset(ks, 0, sizeof *ks);
	if (start_keys_fetch(a, ks, &op->effective) != 0) {
		ks->state = -1;
		snprintf(ks->error, sizeof ks->error, "out of memory");
		finish_query(a, op, ks);
	}
}

struct collect {
	const struct ic_cbor_doc *d;
	struct node_key *nodes;
	size_t n;
	int bad;
};

static int collect_node(void *ctx, const uint8_t *label, size_t len, size_t child)
{
	struct collect *c = ctx;
	const struct ic_label pk = {(const uint8_t *)"public_key", 10};
	const uint8_t *der;
	size_t dl;
	if (ic_hashtree_lookup(c->d, child, &pk, 1, &der, &dl) != IC_LOOKUP_FOUND)
		return 0; /* pruned: not usable */
	if (dl != 44 || len > IC_PRINCIPAL_MAXBYTES) {
		c->bad = 1;
		return 1;
	}
	struct node_key *n = realloc(c->nodes, (c->n + 1) * sizeof *n);
	if (n == NULL) {
		c->bad = 1;
		return 1;
	}
	c->nodes = n;
	ic_principal_from_bytes(&n[c->n].node, label, len);
	memcpy(n[c->n].der, der, 44);
	c->n++;
	return 0;
}

/* Put the subnet's fresh node keys and ranges into ks. Another set of the same subnet (read for a
 * canister its ranges did not show) is merged into ks: one set per subnet, ranges united. */
static void keys_store(struct ic_agent *a, struct keyset *ks, const struct ic_principal *subnet, struct collect *c,
                       struct ic_canister_range *ranges, size_t nranges)
{
	int same = ks->has_subnet && ic_principal_cmp(&ks->subnet, subnet) == 0;
	free(ks->nodes);
	ks->nodes = c->nodes;
	ks->n = c->n;
	c->nodes = NULL;
	for (size_t i = 0; i < a->nkeys; i++) {
		struct keyset *o = &a->keys[i];
		if (o == ks || !o->has_subnet || ic_principal_cmp(&o->subnet, subnet) != 0 || o->state == 0)
			continue;
		struct ic_canister_range *m = realloc(ranges, (nranges + o->nranges) * sizeof *m);
		if (m != NULL && o->nranges > 0) {
			memcpy(m + nranges, o->ranges, o->nranges * sizeof *m);
			ranges = m, nranges += o->nranges;
		} else if (m != NULL) {
			ranges = m;
		}
		free(o->nodes);
		free(o->ranges);
		*o = a->keys[--a->nkeys];
		if (ks == &a->keys[a->nkeys])
			ks = o; /* the last one moved into the hole */
		i--;
	}
	if (same && ks->nranges > 0) { /* a re-read of the same subnet: keep what other shards told */
		struct ic_canister_range *m = realloc(ranges, (nranges + ks->nranges) * sizeof *m);
		if (m != NULL) {
			memcpy(m + nranges, ks->ranges, ks->nranges * sizeof *m);
			ranges = m, nranges += ks->nranges;
		}
	}
	free(ks->ranges);
	ks->ranges = ranges;
	ks->nranges = nranges;
	ks->subnet = *subnet;
	ks->has_subnet = 1;
	ks->state = 1;
}

static void keys_done(struct ic_agent *a, struct op *kop, int ok, const char *error)
{
	struct keyset *ks = NULL;
	for (size_t i = 0; i < a->nkeys && ks == NULL; i++)
		if (a->keys[i].state == 0 && ic_principal_cmp(&a->keys[i].asked, &kop->effective) == 0)
			ks = &a->keys[i];
	if (ks == NULL)
		return;
	char err[300];
	if (ok) {
		struct ic_result *r = kop->res;
		struct ic_principal subnet;
		ic_cert_signing_subnet(&r->cert, a->root_key, &subnet);
		struct ic_label p[3] = {{(const uint8_t *)"subnet", 6}, {subnet.b, subnet.len}, {(const uint8_t *)"node", 4}};
		size_t sub;
		struct collect c = {&r->cert.doc, NULL, 0, 0};
		if (ic_hashtree_subtree(&r->cert.doc, r->cert.tree, p, 3, &sub) == IC_LOOKUP_FOUND)
			ic_hashtree_each_label(&r->cert.doc, sub, collect_node, &c);
		struct ic_canister_range *ranges = NULL;
		size_t nranges = 0;
		if (c.bad || c.n == 0) {
			ok = 0;
			error = c.bad ? "malformed node keys in the subnet certificate" : "no node keys in the subnet certificate";
		} else if (ic_cert_canister_ranges(&r->cert, a->root_key, &ranges, &nranges, err, sizeof err) != 0) {
			ok = 0;
			error = err;
		}
		if (ok) {
			keys_store(a, ks, &subnet, &c, ranges, nranges);
			ks = find_keys(a, &kop->effective); /* keys_store may have moved it */
		} else {
			free(ranges);
		}
		free(c.nodes);
	}
	if (ks == NULL)
		return;
	ks->fetched_ms = now_ms();
	if (!ok) {
		ks->state = -1;
		snprintf(ks->error, sizeof ks->error, "node keys for query signatures: %s", error);
	}
	/* the queries waiting for this subnet (a query may start a new read for a node it does not
	 * know: the others then wait for that one) */
	for (struct op *op = a->ops; op != NULL; op = op->next) {
		if (op->state != ST_WAIT_KEYS)
			continue;
		struct keyset *k = find_keys(a, &op->effective);
		if (k != NULL && k->state != 0)
			finish_query(a, op, k);
	}
}

static void request_clock(struct ic_agent *a, struct op *op)
{
	op->state = ST_WAIT_CLOCK;
	if (a->clock_syncing)
		return;
	struct op *c = new_op(a, IC_OP_READ_STATE, P_CLOCK);
	static const struct ic_label time_label = {(const uint8_t *)"time", 4};
	if (c != NULL) {
		c->effective = op->effective;
		c->labels = malloc(sizeof *c->labels);
		c->paths = malloc(sizeof *c->paths);
		if (c->labels && c->paths) {
			c->labels[0] = time_label;
			c->paths[0].labels = c->labels;
			c->paths[0].n = 1;
			c->npaths = 1;
			a->clock_syncing = 1;
			return;
		}
		c->state = ST_DONE;
	}
	op->state = ST_READY;
	op->wake_ms = now_ms();
}

static void clock_done(struct ic_agent *a, int ok, int64_t offset)
{
	a->clock_syncing = 0;
	if (ok) {
		a->clock_offset_ns = offset;
		a->st.clock_resyncs++;
		logf_(a, "clock resynchronised: offset %lld ms", (long long)(offset / 1000000));
	}
	for (struct op *op = a->ops; op != NULL; op = op->next)
		if (op->state == ST_WAIT_CLOCK) {
			op->must_resign = 1;
			op->state = ST_READY;
			op->wake_ms = now_ms();
		}
}

static void finish_query(struct ic_agent *a, struct op *op, const struct keyset *ks)
{
	struct ic_result *r = op->res;
	struct ic_cbor_doc d;
	size_t top;
	char err[300];
	if (decode_body(op, &d, &top, err, sizeof err) != 0) {
		finish(a, op, IC_E_PROTOCOL, "query response: %s", err);
		return;
	}
	const char *st;
	size_t stl;
	if (ic_cbor_get_text(&d, ic_cbor_map_get(&d, top, "status"), &st, &stl) != 0) {
		ic_cbor_doc_free(&d);
		finish(a, op, IC_E_PROTOCOL, "query response without status");
		return;
	}
	if (ks != NULL) {
		if (ks->state < 0) {
			ic_cbor_doc_free(&d);
			finish(a, op, IC_E_VERIFY, "%s", ks->error);
			return;
		}
		size_t sigs = ic_cbor_map_get(&d, top, "signatures");
		if (sigs == IC_CBOR_NONE || d.items[sigs].type != IC_CBOR_ARRAY || d.items[sigs].v == 0 ||
		    d.items[sigs].v > ks->n) {
			ic_cbor_doc_free(&d);
			finish(a, op, IC_E_VERIFY, "query response: missing or too many node signatures");
			return;
		}
		for (size_t k = 0; k < d.items[sigs].v; k++) {
			size_t s = ic_cbor_array_at(&d, sigs, k);
			uint64_t ts;
			const uint8_t *sig, *idb;
			size_t sl, il;
			if (ic_cbor_get_uint(&d, ic_cbor_map_get(&d, s, "timestamp"), &ts) != 0 ||
			    ic_cbor_get_bytes(&d, ic_cbor_map_get(&d, s, "signature"), &sig, &sl) != 0 || sl != 64 ||
			    ic_cbor_get_bytes(&d, ic_cbor_map_get(&d, s, "identity"), &idb, &il) != 0) {
				ic_cbor_doc_free(&d);
				finish(a, op, IC_E_VERIFY, "query response: malformed node signature");
				return;
			}
			struct ic_principal node;
			const struct node_key *nk = NULL;
			if (ic_principal_from_bytes(&node, idb, il) == 0)
				for (size_t j = 0; j < ks->n && nk == NULL; j++)
					if (ic_principal_cmp(&ks->nodes[j].node, &node) == 0)
						nk = &ks->nodes[j];
			if (nk == NULL && !op->keys_refetched && ks->fetched_ms <= op->sent_ms) {
				/* the subnet may have changed since the keys were read (a node joined): read them
				 * again, once for this query, as agent-rs does; keys read after the query was sent
				 * are recent enough, so an unknown signer then is refused at once */
				struct keyset *mine = find_keys(a, &op->effective);
				ic_cbor_doc_free(&d);
				op->keys_refetched = 1;
				op->state = ST_WAIT_KEYS;
				if (mine == NULL || (mine->state != 0 && start_keys_fetch(a, mine, &op->effective) != 0)) {
					finish(a, op, IC_E_NOMEM, "out of memory");
				}
				return;
			}
			if (nk == NULL) {
				char t[IC_PRINCIPAL_MAXTEXT];
				ic_principal_to_text(&node, t);
				ic_cbor_doc_free(&d);
				finish(a, op, IC_E_VERIFY, "query response signed by node %s, which is not in the subnet's certified keys", t);
				return;
			}
			uint64_t now = ic_agent_now_ns(a), skew = 300000000000ULL;
			if (a->cfg.check_certificate_time && (ts + skew < now || ts > now + skew)) {
				ic_cbor_doc_free(&d);
				finish(a, op, IC_E_VERIFY, "query response signature timestamp is more than 5 minutes off");
				return;
			}
			uint8_t msg[IC_SEP_RESPONSE_LEN + 32];
			memcpy(msg, IC_SEP_RESPONSE, IC_SEP_RESPONSE_LEN);
			if (ic_query_response_hash(&d, top, op->rid, ts, msg + IC_SEP_RESPONSE_LEN) != 0 ||
			    !ic_ed25519_der_verify(nk->der, 44, msg, sizeof msg, sig)) {
				ic_cbor_doc_free(&d);
				finish(a, op, IC_E_VERIFY, "query response: node signature does not verify");
				return;
			}
			r->cert_time_ns = ts;
		}
	}
	if (stl == 7 && memcmp(st, "replied", 7) == 0) {
		size_t arg = ic_cbor_map_get(&d, ic_cbor_map_get(&d, top, "reply"), "arg");
		if (ic_cbor_get_bytes(&d, arg, &r->reply, &r->reply_len) != 0) {
			ic_cbor_doc_free(&d);
			finish(a, op, IC_E_PROTOCOL, "query reply without arg");
			return;
		}
		ic_cbor_doc_free(&d);
		finish(a, op, IC_OK, NULL);
	} else if (stl == 8 && memcmp(st, "rejected", 8) == 0) {
		read_reject(op, &d, top);
		ic_cbor_doc_free(&d);
		finish(a, op, IC_E_REJECTED, "rejected (code %llu%s%s): %s", (unsigned long long)r->reject_code,
		       r->error_code[0] ? ", " : "", r->error_code, r->reject_message);
	} else {
		ic_cbor_doc_free(&d);
		finish(a, op, IC_E_PROTOCOL, "query response with status \"%.*s\"", (int)(stl > 40 ? 40 : stl), st);
	}
}

static void body_text(const struct ic_result *r, char *out, size_t n)
{
	size_t k = r->body_len < n - 1 ? r->body_len : n - 1;
	for (size_t i = 0; i < k; i++) {
		char c = (char)r->body[i];
		out[i] = (c >= 32 && c < 127) || c == '\n' ? c : '?';
	}
	out[k] = 0;
}

static void on_200(struct ic_agent *a, struct op *op)
{
	struct ic_result *r = op->res;
	struct ic_cbor_doc d;
	size_t top;
	char err[300];
	if (op->kind == IC_OP_QUERY && op->phase == PH_SUBMIT) {
		if (a->cfg.verify_query_signatures)
			need_keys(a, op);
		else
			finish_query(a, op, NULL);
		return;
	}
	if (r->body_len == 0 && op->kind == IC_OP_CALL && op->phase == PH_SUBMIT) {
		op->phase = PH_POLL; /* an empty 200 from v2 behaves like 202 */
		schedule_poll(a, op);
		return;
	}
	if (decode_body(op, &d, &top, err, sizeof err) != 0) {
		finish(a, op, IC_E_PROTOCOL, "response: %s", err);
		return;
	}
	if (op->kind == IC_OP_CALL && op->phase == PH_SUBMIT) {
		const char *st = NULL;
		size_t stl = 0;
		ic_cbor_get_text(&d, ic_cbor_map_get(&d, top, "status"), &st, &stl);
		if (ic_cbor_map_get(&d, top, "reject_code") != IC_CBOR_NONE) {
			/* non_replicated_rejection (v3/v4), or a v2 rejection without status */
			read_reject(op, &d, top);
			ic_cbor_doc_free(&d);
			finish(a, op, IC_E_REJECTED, "rejected before execution (code %llu%s%s): %s",
			       (unsigned long long)r->reject_code, r->error_code[0] ? ", " : "", r->error_code,
			       r->reject_message);
			return;
		}
		if (st != NULL && !(stl == 7 && memcmp(st, "replied", 7) == 0)) {
			ic_cbor_doc_free(&d);
			finish(a, op, IC_E_PROTOCOL, "call response with status \"%.*s\"", (int)(stl > 40 ? 40 : stl), st);
			return;
		}
		on_status_cert(a, op, &d, top);
		ic_cbor_doc_free(&d);
		return;
	}
	if (op->phase == PH_POLL) {
		on_status_cert(a, op, &d, top);
		ic_cbor_doc_free(&d);
		return;
	}
	/* read_state: user, node keys, or clock */
	int rc = cert_of_body(a, op, &d, top);
	ic_cbor_doc_free(&d);
	if (rc != 0)
		return;
	if (op->purpose == P_CLOCK) {
		int64_t offset = (int64_t)r->cert_time_ns - (int64_t)wall_ns();
		a->clock_syncing = 0;
		op->state = ST_DONE;
		clock_done(a, 1, offset);
		ic_result_free(r);
		op->res = NULL;
		return;
	}
	finish(a, op, IC_OK, NULL);
}

static void on_response(struct ic_agent *a, struct op *op)
{
	struct ic_http_req *h = &op->http;
	struct ic_result *r = op->res;
	r->http_status = (int)h->status;
	take_body(a, op);
	a->st.bytes_in += r->body_len;
	a->st.connections += (uint64_t)(h->new_connections > 0 ? h->new_connections : 0);
	a->st.http2 += h->http2 ? 1 : 0;
	if (h->failed) {
		if (op->kind == IC_OP_CALL && op->phase == PH_SUBMIT)
			op->maybe_delivered = 1; /* sent, but no answer: it may have arrived */
		retry(a, op, -1, h->error);
		return;
	}
	long s = h->status;
	logf_(a, "op %llu: HTTP %ld (%zu bytes)", (unsigned long long)op->id, s, r->body_len);
	if (op->kind == IC_OP_CALL && op->phase == PH_SUBMIT && (s == 500 || s == 502 || s == 504))
		op->maybe_delivered = 1; /* a gateway error says nothing about whether the call went through */
	char text[400];
	if (s == 200) {
		op->attempt = 0;
		on_200(a, op);
		return;
	}
	if (s == 202 && op->kind == IC_OP_CALL) {
		op->attempt = 0;
		op->phase = PH_POLL;
		schedule_poll(a, op);
		return;
	}
	if (s == 404 && op->phase == PH_SUBMIT && op->kind != IC_OP_READ_STATE &&
	    ((op->kind == IC_OP_CALL && op->api > 2) || (op->kind == IC_OP_QUERY && op->api > 2))) {
		/* the endpoint version is not served: fall back (v4 -> v3 -> v2; query v3 -> v2) */
		op->api--;
		if (op->kind == IC_OP_CALL)
			a->call_api = op->api;
		else
			a->query_api = op->api;
		a->st.fallbacks++;
		logf_(a, "op %llu: falling back to /api/v%d", (unsigned long long)op->id, op->api);
		schedule(op, 0);
		return;
	}
	body_text(r, text, sizeof text);
	if (s == 429 || s >= 500) {
		char why[512];
		snprintf(why, sizeof why, "HTTP %ld: %s", s, text);
		retry(a, op, h->retry_after_s, why);
		return;
	}
	if (s == 400 && strstr(text, "Invalid request expiry") != NULL && !op->clock_resynced) {
		op->clock_resynced = 1;
		request_clock(a, op);
		return;
	}
	finish(a, op, IC_E_HTTP, "HTTP %ld: %s", s, text);
}

/* ---- the root key ---- */

/* The root key of a local replica, from /api/v2/status: started by ic_agent_new, driven by
 * ic_agent_poll beside the first operations (whose answers wait for it), retried on 5xx, 429 and
 * transport errors as before; a final failure fails every operation. */
static int root_start(struct ic_agent *a)
{
	struct ic_http_req *h = a->root_req;
	ic_http_body_free(a->http, h);
	memset(h, 0, sizeof *h);
	ic_buf_init(&h->resp);
	snprintf(h->url, sizeof h->url, "%s/api/v2/status", a->url);
	if (ic_http_start(a->http, h) != 0) {
		snprintf(a->root_error, sizeof a->root_error, "%s: %s", h->url, h->error);
		return -1;
	}
	ic_http_set_exempt(a->http, h, 1);
	logf_(a, "GET %s", h->url);
	return 0;
}

static void root_failed(struct ic_agent *a)
{
	a->root_state = ROOT_FAILED;
	logf_(a, "root key: %s", a->root_error);
	for (struct op *op = a->ops; op != NULL; op = op->next)
		if (op->state != ST_DONE)
			finish(a, op, IC_E_NETWORK, "%s", a->root_error);
}

static void root_done(struct ic_agent *a)
{
	struct ic_http_req *h = a->root_req;
	a->st.connections += (uint64_t)(h->new_connections > 0 ? h->new_connections : 0);
	if (h->failed || h->status != 200) {
		logf_(a, "GET %s: %s", h->url, h->failed ? h->error : "HTTP error");
		if (a->root_attempt++ < 5 && now_ms() < a->root_deadline_ms && (h->failed || h->status >= 500 || h->status == 429)) {
			a->root_wake_ms = now_ms() + 200U * a->root_attempt;
			a->st.retries++;
			return;
		}
		if (h->failed)
			snprintf(a->root_error, sizeof a->root_error, "%s: %s", h->url, h->error);
		else
			snprintf(a->root_error, sizeof a->root_error, "%s: unexpected HTTP status %ld", h->url, h->status);
		ic_http_body_free(a->http, h);
		root_failed(a);
		return;
	}
	struct ic_cbor_doc d;
	const uint8_t *k;
	size_t kl;
	char e2[200];
	if (ic_cbor_decode(h->resp.p, h->resp.len, NULL, &d, e2, sizeof e2) != 0) {
		snprintf(a->root_error, sizeof a->root_error, "%s: %s", h->url, e2);
		ic_http_body_free(a->http, h);
		root_failed(a);
		return;
	}
	int ok = ic_cbor_get_bytes(&d, ic_cbor_map_get(&d, 0, "root_key"), &k, &kl) == 0 && kl == IC_ROOT_KEY_DER_LEN &&
	         memcmp(k, ic_bls_der_prefix, IC_BLS_DER_PREFIX_LEN) == 0;
	if (ok)
		memcpy(a->root_key, k + IC_BLS_DER_PREFIX_LEN, 96);
	ic_cbor_doc_free(&d);
	ic_http_body_free(a->http, h); /* its bytes were counted in the reply budget */
	if (!ok) {
		snprintf(a->root_error, sizeof a->root_error,
		         "%s: no BLS root_key in the status (only local replicas publish one)", h->url);
		root_failed(a);
		return;
	}
	a->root_state = ROOT_KNOWN;
	logf_(a, "root key fetched");
	for (struct op *op = a->ops; op != NULL; op = op->next)
		if (op->state == ST_WAIT_ROOT) {
			op->state = ST_HTTP;
			on_response(a, op);
		}
}

/* A finished exchange: the root key's, or an operation's (held while the key is being fetched). */
static void on_exchange(struct ic_agent *a, struct ic_http_req *h)
{
	if (h == a->root_req) {
		root_done(a);
		return;
	}
	struct op *op = h->owner;
	if (a->root_state == ROOT_FETCHING)
		op->state = ST_WAIT_ROOT;
	else if (a->root_state == ROOT_FAILED)
		finish(a, op, IC_E_NETWORK, "%s", a->root_error);
	else
		on_response(a, op);
}

/* ---- operations ---- */

static struct op *new_op(struct ic_agent *a, enum ic_op kind, enum purpose purpose)
{
	struct op *op = calloc(1, sizeof *op);
	if (op == NULL)
		return NULL;
	op->res = calloc(1, sizeof *op->res);
	if (op->res == NULL) {
		free(op);
		return NULL;
	}
	op->id = ++a->next_id;
	op->kind = kind;
	op->purpose = purpose;
	op->api = kind == IC_OP_CALL ? a->call_api : kind == IC_OP_QUERY ? a->query_api : 3;
	op->deadline_ms = now_ms() + a->cfg.deadline_ms;
	op->state = ST_READY;
	op->wake_ms = now_ms();
	op->res->id = op->id;
	op->res->op = kind;
	ic_buf_init(&op->env);
	ic_buf_init(&op->poll_env);
	ic_buf_init(&op->http.resp);
	op->next = a->ops;
	a->ops = op;
	return op;
}

static void free_op(struct ic_agent *a, struct op *op)
{
	if (op->http.running || op->http.easy)
		ic_http_abort(a->http, &op->http);
	ic_http_body_free(a->http, &op->http);
	ic_buf_free(&op->env);
	ic_buf_free(&op->poll_env);
	free(op->method);
	free(op->arg);
	free(op->paths);
	free(op->labels); /* for user read_state: labels and their bytes in one block */
	ic_result_free(op->res);
	free(op);
}

uint64_t ic_agent_submit(struct ic_agent *a, enum ic_op kind, const struct ic_call *c)
{
	if (kind == IC_OP_READ_STATE ? c->npaths == 0 || c->npaths > 1000 : c->method == NULL)
		return 0;
	struct op *op = new_op(a, kind, P_USER);
	if (op == NULL)
		return 0;
	op->canister = c->canister;
	op->effective = c->effective;
	op->user = c->user;
	op->res->user = c->user;
	int oom = 0;
	if (kind != IC_OP_READ_STATE) {
		op->method = strdup(c->method);
		op->arg = malloc(c->arg_len ? c->arg_len : 1);
		oom = op->method == NULL || op->arg == NULL;
		if (!oom && c->arg_len)
			memcpy(op->arg, c->arg, c->arg_len);
		op->arg_len = c->arg_len;
	} else {
		/* one block: labels of every path, then their bytes */
		size_t nl = 0, bytes = 0;
		for (size_t i = 0; i < c->npaths; i++) {
			nl += c->paths[i].n;
			for (size_t k = 0; k < c->paths[i].n; k++)
				bytes += c->paths[i].labels[k].len;
		}
		op->paths = calloc(c->npaths, sizeof *op->paths);
		op->labels = malloc(nl * sizeof *op->labels + bytes + 1);
		oom = op->paths == NULL || op->labels == NULL;
		if (!oom) {
			uint8_t *store = (uint8_t *)(op->labels + nl);
			size_t li = 0;
			for (size_t i = 0; i < c->npaths; i++) {
				op->paths[i].labels = op->labels + li;
				op->paths[i].n = c->paths[i].n;
				for (size_t k = 0; k < c->paths[i].n; k++, li++) {
					if (c->paths[i].labels[k].len)
						memcpy(store, c->paths[i].labels[k].p, c->paths[i].labels[k].len);
					op->labels[li].p = store;
					op->labels[li].len = c->paths[i].labels[k].len;
					store += c->paths[i].labels[k].len;
				}
			}
			op->npaths = c->npaths;
		}
	}
	if (oom) {
		op->state = ST_DONE;
		return 0;
	}
	a->user_ops++;
	return op->id;
}

size_t ic_agent_pending(const struct ic_agent *a)
{
	return a->user_ops + a->nready;
}

static void sweep(struct ic_agent *a)
{
	struct op **pp = &a->ops;
	while (*pp != NULL) {
		struct op *op = *pp;
		if (op->state == ST_DONE) {
			*pp = op->next;
			free_op(a, op);
		} else {
			pp = &op->next;
		}
	}
}

int ic_agent_poll(struct ic_agent *a, int timeout_ms)
{
	uint64_t start = now_ms(), end = start + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		uint64_t now = now_ms(), next_wake = UINT64_MAX;
		if (a->root_state == ROOT_FETCHING && !a->root_req->running) {
			if (a->root_wake_ms > now)
				next_wake = a->root_wake_ms;
			else if (root_start(a) != 0)
				root_failed(a);
		}
		for (struct op *op = a->ops; op != NULL; op = op->next) {
			if (op->state != ST_READY)
				continue;
			if (op->wake_ms <= now)
				send_op(a, op);
			else if (op->wake_ms < next_wake)
				next_wake = op->wake_ms;
		}
		sweep(a);
		if (a->nready > 0)
			return (int)a->nready;
		now = now_ms();
		uint64_t until = end < next_wake ? end : next_wake;
		int wait = until > now ? (int)(until - now) : 0;
		set_exemptions(a);
		if (ic_http_running(a->http) > 0) {
			ic_http_wait(a->http, wait);
		} else if (wait > 0) {
			struct timespec ts = {wait / 1000, (long)(wait % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
		struct ic_http_req *h;
		while ((h = ic_http_take_done(a->http)) != NULL)
			on_exchange(a, h);
		sweep(a);
		if (a->nready > 0 || now_ms() >= end)
			return (int)a->nready;
	}
}

struct ic_result *ic_agent_next(struct ic_agent *a)
{
	struct ic_result *r = a->ready;
	if (r == NULL)
		return NULL;
	a->ready = r->next_;
	if (a->ready == NULL)
		a->ready_tail = NULL;
	a->nready--;
	r->next_ = NULL;
	return r;
}

struct ic_result *ic_agent_run(struct ic_agent *a, enum ic_op kind, const struct ic_call *c)
{
	uint64_t id = ic_agent_submit(a, kind, c);
	if (id == 0)
		return NULL;
	for (;;) {
		struct ic_result **pp = &a->ready, *prev = NULL;
		for (; *pp != NULL; prev = *pp, pp = &(*pp)->next_) {
			if ((*pp)->id != id)
				continue;
			struct ic_result *r = *pp;
			*pp = r->next_;
			if (a->ready_tail == r)
				a->ready_tail = prev;
			a->nready--;
			r->next_ = NULL;
			return r;
		}
		ic_agent_poll(a, 1000);
	}
}

/* ---- setup ---- */

int ic_agent_new(struct ic_agent **out, const struct ic_agent_config *cfg, char *err, size_t errlen)
{
	*out = NULL;
	if (cfg->url == NULL || strlen(cfg->url) >= 400 ||
	    (strncmp(cfg->url, "https://", 8) != 0 && strncmp(cfg->url, "http://", 7) != 0)) {
		snprintf(err, errlen, "the network URL must start with https:// or http://");
		return -1;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	if (cfg->fetch_root_key && cfg->root_key == NULL) {
		char u[400], e2[200];
		int mainnet = 0;
		if (ic_network_url(cfg->url, u, sizeof u, &mainnet, e2, sizeof e2) == 0 && mainnet) {
			/* whoever answers could hand us any key: the IC's own is built in */
			snprintf(err, errlen, "refusing to fetch the root key of the IC itself (use the built-in mainnet key)");
			return -1;
		}
	}
	if (cfg->identity != NULL && cfg->identity->kind == IC_IDENTITY_P256) {
		snprintf(err, errlen, "P-256 keys cannot sign requests here; use a secp256k1 or Ed25519 identity");
		return -1;
	}
	struct ic_agent *a = calloc(1, sizeof *a);
	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->cfg = *cfg;
	snprintf(a->url, sizeof a->url, "%s", cfg->url);
	size_t ul = strlen(a->url);
	while (ul > 0 && a->url[ul - 1] == '/')
		a->url[--ul] = 0;
	ic_identity_anonymous(&a->anon);
	if (cfg->identity != NULL)
		a->id = *cfg->identity;
	else
		a->id = a->anon;
	a->call_api = cfg->call_api_version >= 2 && cfg->call_api_version <= 4 ? cfg->call_api_version : 4;
	a->query_api = 3;
	a->clock_offset_ns = cfg->clock_skew_ns;
	struct ic_http_opts ho = {cfg->max_connections, cfg->connect_timeout_ms, cfg->request_timeout_ms, 64U << 20,
	                          cfg->reply_budget, cfg->ca_file, cfg->verbose > 1};
	a->http = ic_http_new(&ho);
	if (a->http == NULL) {
		snprintf(err, errlen, "cannot initialise libcurl: %s", ic_http_error());
		free(a);
		return -1;
	}
	if (cfg->root_key != NULL)
		memcpy(a->root_key, cfg->root_key, 96);
	else if (!cfg->fetch_root_key)
		memcpy(a->root_key, ic_mainnet_root_key, 96);
	else {
		a->root_state = ROOT_FETCHING;
		a->root_deadline_ms = now_ms() + a->cfg.request_timeout_ms;
		a->root_req = calloc(1, sizeof *a->root_req);
		if (a->root_req == NULL || root_start(a) != 0) {
			snprintf(err, errlen, "%s", a->root_req ? a->root_error : "out of memory");
			ic_agent_free(a);
			return -1;
		}
	}
	*out = a;
	return 0;
}

void ic_agent_free(struct ic_agent *a)
{
	if (a == NULL)
		return;
	while (a->ops != NULL) {
		struct op *op = a->ops;
		a->ops = op->next;
		free_op(a, op);
	}
	struct ic_result *r;
	while ((r = ic_agent_next(a)) != NULL)
		ic_result_free(r);
	for (size_t i = 0; i < a->nkeys; i++) {
		free(a->keys[i].nodes);
		free(a->keys[i].ranges);
	}
	free(a->keys);
	if (a->root_req != NULL) {
		if (a->root_req->running || a->root_req->easy)
			ic_http_abort(a->http, a->root_req);
		ic_http_body_free(a->http, a->root_req);
		free(a->root_req);
	}
	ic_http_free(a->http);
	sodium_memzero(&a->id, sizeof a->id);
	free(a);
}
