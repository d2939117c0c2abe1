/* ic_live.c - the agent against tests/replica (started by tests/ic/live.sh):
 *   ic_live URL CANISTER STABLE_FILE IDENTITY_PEM
 * Queries (node signatures checked), v4 update calls (certificates checked), v2 calls with polling,
 * the v4 -> v3 fallback, rejects, concurrent 2,000,000-byte snapshot slices equal to the seeded
 * file, retries under injected 503/429/resets, clock resynchronisation, and every "evil" mode of
 * the replica refused, node keys cached per subnet and read again when a node joins. Prints TAP. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/candid.h"
#include "ic/ic.h"
#include "ic/mgmt.h"
#include "tap.h"

static const char *url;
static struct ic_principal canister, canister2, management;
static int have_canister2;
static struct ic_identity ident;
static uint8_t *stable;
static size_t stable_len;
static const char *ca_file;

static int admin_faults(const char *json)
{
	char u[600];
	snprintf(u, sizeof u, "%s/_/faults", url);
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, u);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	FILE *null = fopen("/dev/null", "w");
	curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
	long status = 0;
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	fclose(null);
	return rc == CURLE_OK && status == 200 ? 0 : -1;
}

static unsigned resign_ms = 120000, expiry_ms = 240000;

static size_t reply_budget = IC_REPLY_BUDGET_DEFAULT;
static unsigned max_connections = 8;

static struct ic_agent *agent(const struct ic_identity *id, int api, int64_t skew)
{
	struct ic_agent_config cfg;
	ic_agent_config_init(&cfg);
	cfg.url = url;
	cfg.identity = id;
	cfg.fetch_root_key = 1;
	cfg.call_api_version = api;
	cfg.clock_skew_ns = skew;
	cfg.deadline_ms = 60000;
	cfg.backoff_initial_ms = 50;
	cfg.backoff_max_ms = 1000;
	cfg.resign_after_ms = resign_ms;
	cfg.expiry_ms = expiry_ms;
	cfg.ca_file = ca_file;
	cfg.reply_budget = reply_budget;
	cfg.max_connections = max_connections;
	cfg.verbose = getenv("IC_LIVE_VERBOSE") != NULL;
	struct ic_agent *a = NULL;
	char err[300];
	if (ic_agent_new(&a, &cfg, err, sizeof err) != 0)
		TAP_DIAG("agent: %s", err);
	return a;
}

/* Candid (nat64, nat64) for stable_read */
static void arg_read(struct ic_buf *b, uint64_t off, uint64_t len)
{
	static const uint8_t hdr[] = {'D', 'I', 'D', 'L', 0, 2, 0x78, 0x78};
	ic_buf_put(b, hdr, sizeof hdr);
	for (int i = 0; i < 8; i++)
		ic_buf_put_u8(b, (uint8_t)(off >> (8 * i)));
	for (int i = 0; i < 8; i++)
		ic_buf_put_u8(b, (uint8_t)(len >> (8 * i)));
}

/* A call of `method` on `to`, its effective canister the test canister; arg stays the caller's. */
static struct ic_call call_of(const struct ic_principal *to, const char *method, const struct ic_buf *arg)
{
	struct ic_call c;
	memset(&c, 0, sizeof c);
	c.canister = *to;
	c.effective = canister;
	c.method = method;
	c.arg = arg->p;
	c.arg_len = arg->len;
	return c;
}

/* Submit a stable_read query of [off, off + len) of the test canister without waiting. */
static uint64_t submit_read(struct ic_agent *a, uint64_t off, uint64_t len, int user)
{
	struct ic_buf arg;
	ic_buf_init(&arg);
	arg_read(&arg, off, len);
	struct ic_call c = call_of(&canister, "stable_read", &arg);
	c.user = (void *)(uintptr_t)user;
	uint64_t id = ic_agent_submit(a, IC_OP_QUERY, &c);
	ic_buf_free(&arg); /* copied at submit */
	return id;
}

static struct ic_result *query(struct ic_agent *a, const char *method, const struct ic_buf *arg)
{
	struct ic_call c = call_of(&canister, method, arg);
	return ic_agent_run(a, IC_OP_QUERY, &c);
}

static struct ic_result *mgmt_call(struct ic_agent *a, const char *method, const struct ic_buf *arg)
{
	struct ic_call c = call_of(&management, method, arg);
	return ic_agent_run(a, IC_OP_CALL, &c);
}

static int blob_reply(const struct ic_result *r, const uint8_t **p, size_t *n)
{
	struct ic_ctable t;
	int32_t ty;
	size_t one = 1;
	char err[200];
	struct ic_arena ar;
	struct ic_cvalue *v;
	if (r == NULL || r->status != IC_OK || ic_ctable_parse(&t, NULL, "(blob)", &ty, &one, err, sizeof err) != 0)
		return -1;
	ic_arena_init(&ar, 0);
	int rc = ic_candid_decode(r->reply, r->reply_len, &t, &ty, 1, NULL, &ar, &v, err, sizeof err);
	if (rc == 0) {
		*p = v[0].u.vec.blob;
		*n = v[0].u.vec.n;
	}
	ic_arena_free(&ar);
	ic_ctable_free(&t);
	return rc;
}

/* stable_read(0, 1000) of canister c as a query: 1 if it is accepted and equals the seeded bytes */
static int read_ok(struct ic_agent *a, const struct ic_principal *c, char *err, size_t errlen)
{
	struct ic_buf b;
	ic_buf_init(&b);
	arg_read(&b, 0, 1000);
	struct ic_call q;
	memset(&q, 0, sizeof q);
	q.canister = *c;
	q.effective = *c;
	q.method = "stable_read";
	q.arg = b.p;
	q.arg_len = b.len;
	struct ic_result *r = ic_agent_run(a, IC_OP_QUERY, &q);
	const uint8_t *p;
	size_t n;
	int ok = blob_reply(r, &p, &n) == 0 && n == 1000 && memcmp(p, stable, n) == 0;
	snprintf(err, errlen, "%s", r == NULL ? "no result" : r->error);
	ic_result_free(r);
	ic_buf_free(&b);
	return ok;
}

static uint64_t subnet_reads(const struct ic_agent *a)
{
	struct ic_agent_stats st;
	ic_agent_stats(a, &st);
	return st.subnet_reads;
}

/* Node keys are cached per subnet with its certified canister ranges: a second canister of the
 * same subnet needs no new read of /subnet. A node that joins the subnet later and signs a query
 * makes the agent read the keys once more, and then it is accepted; a node still unknown after
 * that read is refused. */
static void test_subnet_cache(const char *what)
{
	if (!have_canister2)
		return;
	struct ic_agent *a = agent(&ident, 4, 0);
	if (a == NULL)
		return;
	char e1[1024], e2[1024];
	int ok1 = read_ok(a, &canister, e1, sizeof e1), ok2 = read_ok(a, &canister2, e2, sizeof e2);
	TAP_OK(ok1 && ok2 && subnet_reads(a) == 1,
	       "%s: queries of two canisters on one subnet verified with one read of /subnet (%llu reads; %s; %s)", what,
	       (unsigned long long)subnet_reads(a), e1, e2);
	if (TAP_OK(admin_faults("{\"node_joined\":1}") == 0, "%s: a node joins the subnet and signs the queries", what)) {
		ok1 = read_ok(a, &canister, e1, sizeof e1);
		TAP_OK(ok1 && subnet_reads(a) == 2, "%s: the unknown signer makes the agent read the keys again once, then the "
		       "query is accepted (%llu reads; %s)", what, (unsigned long long)subnet_reads(a), e1);
		ok2 = read_ok(a, &canister2, e2, sizeof e2);
		TAP_OK(ok2 && subnet_reads(a) == 2, "%s: the other canister's query by the new node uses the new keys (%llu reads; %s)",
		       what, (unsigned long long)subnet_reads(a), e2);
	}
	if (TAP_OK(admin_faults("{\"evil\":\"unknown-node-key\"}") == 0, "%s: a node outside the subnet signs", what)) {
		uint64_t before = subnet_reads(a);
		ok1 = read_ok(a, &canister, e1, sizeof e1);
		TAP_OK(!ok1 && subnet_reads(a) == before + 1 && strstr(e1, "not in the subnet's certified keys") != NULL,
		       "%s: still unknown after one more read of the keys: refused (%llu more reads; %s)", what,
		       (unsigned long long)(subnet_reads(a) - before), e1);
	}
	admin_faults("{}");
	ic_agent_free(a);
}

/* The reply budget: 16 queries of 2,000,000 bytes in flight at once with a 6 MiB budget. The
 * consumer keeps results until it can use them in its own order (as icarc pull's reorder window):
 * in submission order, then in reverse order naming the one it waits for with ic_agent_prefer.
 * Every reply arrives intact, transfers were made to wait, and the bytes held never exceeded the
 * budget by more than one reply (the agent's counters, not timing). */
static void test_reply_budget(void)
{
	enum { N = 16, SLICE = 2000000 };
	size_t saved = reply_budget;
	reply_budget = 6U << 20;
	max_connections = N + 1; /* over HTTP/1.1 the budget pauses only when each has its connection */
	struct ic_agent *a = agent(&ident, 4, 0);
	reply_budget = saved;
	max_connections = 8;
	if (a == NULL)
		return;
	for (int reverse = 0; reverse < 2; reverse++) {
		uint64_t ids[N];
		struct ic_result *got[N] = {0};
		for (int i = 0; i < N; i++)
			ids[i] = submit_read(a, (uint64_t)(i % 2) * SLICE, SLICE, i);
		int next = 0, good = 0; /* consumed in order: 0..N-1, or N-1..0 */
		while (next < N) {
			int want = reverse ? N - 1 - next : next;
			if (reverse)
				ic_agent_prefer(a, ids[want]);
			if (got[want] == NULL) {
				ic_agent_poll(a, 1000);
				struct ic_result *x;
				while ((x = ic_agent_next(a)) != NULL)
					got[(uintptr_t)x->user] = x;
				continue;
			}
			const uint8_t *p;
			size_t n;
			if (blob_reply(got[want], &p, &n) == 0 && n == SLICE && memcmp(p, stable + (want % 2) * SLICE, n) == 0)
				good++;
			else
				TAP_DIAG("read %d: %s", want, got[want]->error);
			ic_result_free(got[want]);
			got[want] = NULL;
			next++;
		}
		struct ic_agent_stats st;
		ic_agent_stats(a, &st);
		TAP_OK(good == N, "reply budget%s: %d queries of 2,000,000 bytes in flight, all intact", reverse ? " (reverse, ic_agent_prefer)" : "", good);
		TAP_OK(st.reply_pauses > 0 && st.reply_bytes_peak <= (6U << 20) + SLICE + 65536,
		       "reply budget%s: transfers waited %llu times, at most %llu bytes held (budget 6 MiB + one reply)",
		       reverse ? " (reverse)" : "", (unsigned long long)st.reply_pauses, (unsigned long long)st.reply_bytes_peak);
		TAP_OK(st.reply_bytes == 0, "reply budget%s: every byte given back once the results are freed (%llu held)",
		       reverse ? " (reverse)" : "", (unsigned long long)st.reply_bytes);
	}
	ic_agent_free(a);
}

static uint8_t empty_candid[] = {'D', 'I', 'D', 'L', 0, 0}; /* never written */
static const struct ic_buf empty_arg = {empty_candid, sizeof empty_candid, sizeof empty_candid, 0};

static void test_queries(struct ic_agent *a)
{
	struct ic_buf b;
	ic_buf_init(&b);
	ic_buf_put(&b, empty_candid, sizeof empty_candid);
	struct ic_result *r = query(a, "stable_size", &b);
	uint64_t size = 0;
	if (r && r->status == IC_OK && r->reply_len == 15)
		for (int i = 0; i < 8; i++)
			size |= (uint64_t)r->reply[7 + i] << (8 * i);
	TAP_OK(r && r->status == IC_OK && size == stable_len, "query stable_size = %zu (got %llu; %s)", stable_len,
	       (unsigned long long)size, r ? r->error : "no result");
	TAP_OK(r && r->cert_time_ns > 0, "query: node signature checked (timestamp %llu)", r ? (unsigned long long)r->cert_time_ns : 0ULL);
	ic_result_free(r);
	ic_buf_free(&b);

	/* 12 concurrent reads of 100,000 bytes at different offsets */
	uint64_t ids[12];
	for (int i = 0; i < 12; i++)
		ids[i] = submit_read(a, (uint64_t)i * 300000, 100000, i);
	int good = 0, done = 0;
	while (ic_agent_pending(a) > 0) {
		ic_agent_poll(a, 1000);
		struct ic_result *x;
		while ((x = ic_agent_next(a)) != NULL) {
			const uint8_t *p;
			size_t n;
			size_t i = (size_t)(uintptr_t)x->user;
			if (blob_reply(x, &p, &n) == 0 && n == 100000 && memcmp(p, stable + i * 300000, n) == 0)
				good++;
			else
				TAP_DIAG("read %zu: %s", i, x->error);
			done++;
			ic_result_free(x);
		}
	}
	TAP_OK(ids[11] != 0 && done == 12 && good == 12, "12 concurrent stable_read queries equal the seeded bytes (%d good)", good);

	ic_buf_init(&b);
	arg_read(&b, stable_len - 10, 100);
	r = query(a, "stable_read", &b);
	TAP_OK(r && r->status == IC_E_REJECTED && r->reject_code == 5 && strcmp(r->error_code, "IC0502") == 0,
	       "query out of bounds: rejected 5 IC0502 (%s)", r ? r->error : "");
	ic_result_free(r);
	ic_buf_free(&b);
}

static int take_snapshot(struct ic_agent *a, struct ic_snapshot *s, const char *what)
{
	struct ic_buf b;
	ic_buf_init(&b);
	ic_mgmt_arg_take_snapshot(&b, &canister, NULL, 0);
	struct ic_result *r = mgmt_call(a, "take_canister_snapshot", &b);
	char err[300] = "";
	int ok = r && r->status == IC_OK && r->certified && ic_mgmt_decode_snapshot(r->reply, r->reply_len, s, err, sizeof err) == 0;
	TAP_OK(ok && s->id_len == 18, "%s: take_canister_snapshot (%s%s)", what, r ? r->error : "no result", err);
	ic_result_free(r);
	ic_buf_free(&b);
	return ok ? 0 : -1;
}

static void delete_snapshot(struct ic_agent *a, const struct ic_snapshot *s)
{
	struct ic_buf b;
	ic_buf_init(&b);
	ic_mgmt_arg_snapshot(&b, &canister, s->id, s->id_len);
	ic_result_free(mgmt_call(a, "delete_canister_snapshot", &b));
	ic_buf_free(&b);
}

/* read the snapshot's stable memory in 2,000,000-byte slices, all in flight at once */
static int read_slices(struct ic_agent *a, const struct ic_snapshot *s, const char *what)
{
	size_t n = (stable_len + IC_SNAPSHOT_SLICE_MAX - 1) / IC_SNAPSHOT_SLICE_MAX, good = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t off = (uint64_t)i * IC_SNAPSHOT_SLICE_MAX;
		uint64_t len = stable_len - off < IC_SNAPSHOT_SLICE_MAX ? stable_len - off : IC_SNAPSHOT_SLICE_MAX;
		struct ic_buf b;
		ic_buf_init(&b);
		ic_mgmt_arg_read_snapshot_data(&b, &canister, s->id, s->id_len, IC_SNAP_STABLE_MEMORY, off, len, NULL, 0);
		struct ic_call c;
		memset(&c, 0, sizeof c);
		c.canister = management;
		c.effective = canister;
		c.method = "read_canister_snapshot_data";
		c.arg = b.p;
		c.arg_len = b.len;
		c.user = (void *)(uintptr_t)i;
		ic_agent_submit(a, IC_OP_CALL, &c);
		ic_buf_free(&b);
	}
	while (ic_agent_pending(a) > 0) {
		ic_agent_poll(a, 1000);
		struct ic_result *r;
		while ((r = ic_agent_next(a)) != NULL) {
			size_t i = (size_t)(uintptr_t)r->user;
			const uint8_t *p;
			size_t len;
			char err[200];
			size_t want = stable_len - i * IC_SNAPSHOT_SLICE_MAX < IC_SNAPSHOT_SLICE_MAX ? stable_len - i * IC_SNAPSHOT_SLICE_MAX
			                                                                           : IC_SNAPSHOT_SLICE_MAX;
			if (r->status == IC_OK && r->certified && ic_mgmt_decode_chunk(r->reply, r->reply_len, &p, &len, err, sizeof err) == 0 &&
			    len == want && memcmp(p, stable + i * IC_SNAPSHOT_SLICE_MAX, len) == 0 && p >= r->body &&
			    p + len <= r->body + r->body_len)
				good++;
			else
				TAP_DIAG("%s slice %zu: %s", what, i, r->error);
			ic_result_free(r);
		}
	}
	return TAP_OK(good == n, "%s: %zu snapshot slices of 2,000,000 bytes equal the seeded stable memory, in place in the body", what, n)
	               ? 0
	               : -1;
}

static void test_calls(struct ic_agent *a)
{
	struct ic_snapshot s;
	if (take_snapshot(a, &s, "v4") != 0)
		return;
	read_slices(a, &s, "v4");
	struct ic_buf b;
	ic_buf_init(&b);
	ic_mgmt_arg_snapshot(&b, &canister, s.id, s.id_len);
	struct ic_result *r = mgmt_call(a, "read_canister_snapshot_metadata", &b);
	struct ic_arena ar;
	ic_arena_init(&ar, 0);
	struct ic_snapshot_metadata m;
	char err[300] = "";
	TAP_OK(r && r->status == IC_OK && ic_mgmt_decode_snapshot_metadata(r->reply, r->reply_len, &ar, &m, err, sizeof err) == 0 &&
	       m.stable_memory_size == stable_len && m.wasm_module_size == 8,
	       "v4: read_canister_snapshot_metadata sizes (%s%s)", r ? r->error : "", err);
	ic_arena_free(&ar);
	ic_result_free(r);
	ic_buf_free(&b);
	/* a slice that is too large: rejected by the canister, certified */
	ic_buf_init(&b);
	ic_mgmt_arg_read_snapshot_data(&b, &canister, s.id, s.id_len, IC_SNAP_STABLE_MEMORY, 0, 2000001, NULL, 0);
	r = mgmt_call(a, "read_canister_snapshot_data", &b);
	TAP_OK(r && r->status == IC_E_REJECTED && r->reject_code == 4 && strcmp(r->error_code, "IC0408") == 0 && r->certified,
	       "v4: slice over 2,000,000 bytes rejected 4 IC0408, certified (%s)", r ? r->error : "");
	ic_result_free(r);
	ic_buf_free(&b);
	delete_snapshot(a, &s);

	/* read_state of /time */
	struct ic_label l = {(const uint8_t *)"time", 4};
	struct ic_path path = {&l, 1};
	struct ic_call c;
	memset(&c, 0, sizeof c);
	c.effective = canister;
	c.paths = &path;
	c.npaths = 1;
	r = ic_agent_run(a, IC_OP_READ_STATE, &c);
	uint64_t t = 0, now = ic_agent_now_ns(a);
	TAP_OK(r && r->status == IC_OK && ic_cert_time(&r->cert, &t) == 0 && t + 60000000000ULL > now && t < now + 60000000000ULL,
	       "read_state /time: verified certificate, time within a minute of ours (%s)", r ? r->error : "");
	ic_result_free(r);
}

static void test_http_errors(struct ic_agent *a)
{
	/* a call over the 2 MiB ingress limit: 413, not retried */
	struct ic_buf b;
	ic_buf_init(&b);
	static const uint8_t hdr[] = {'D', 'I', 'D', 'L', 1, 0x6d, 0x7b, 1, 0};
	ic_buf_put(&b, hdr, sizeof hdr);
	ic_buf_put_leb(&b, 2200000);
	uint8_t *z = ic_buf_reserve(&b, 2200000);
	if (z != NULL) {
		memset(z, 0, 2200000);
		b.len += 2200000;
	}
	struct ic_call c;
	memset(&c, 0, sizeof c);
	c.canister = canister;
	c.effective = canister;
	c.method = "stable_write";
	c.arg = b.p;
	c.arg_len = b.len;
	struct ic_result *r = ic_agent_run(a, IC_OP_CALL, &c);
	TAP_OK(r && r->status == IC_E_HTTP && r->http_status == 413 && r->retries == 0 && strstr(r->error, "too large"),
	       "a 2.2 MB call: HTTP 413, not retried (%s)", r ? r->error : "");
	ic_result_free(r);
	ic_buf_free(&b);
	/* read_state of a path the replica does not serve: 404, no fallback */
	struct ic_label l = {(const uint8_t *)"no_such_path", 12};
	struct ic_path path = {&l, 1};
	memset(&c, 0, sizeof c);
	c.effective = canister;
	c.paths = &path;
	c.npaths = 1;
	r = ic_agent_run(a, IC_OP_READ_STATE, &c);
	TAP_OK(r && r->status == IC_E_HTTP && r->http_status == 404, "read_state of an unknown path: HTTP 404 (%s)", r ? r->error : "");
	ic_result_free(r);
	/* the status of our call, read by someone else: 403 */
	ic_buf_init(&b);
	ic_mgmt_arg_canister(&b, &canister);
	r = mgmt_call(a, "list_canister_snapshots", &b);
	ic_buf_free(&b);
	struct ic_agent *anon = agent(NULL, 4, 0);
	if (r != NULL && anon != NULL) {
		struct ic_label rl[2] = {{(const uint8_t *)"request_status", 14}, {r->request_id, 32}};
		struct ic_path rp = {rl, 2};
		memset(&c, 0, sizeof c);
		c.effective = canister;
		c.paths = &rp;
		c.npaths = 1;
		struct ic_result *x = ic_agent_run(anon, IC_OP_READ_STATE, &c);
		TAP_OK(x && x->status == IC_E_HTTP && x->http_status == 403 && x->retries == 0,
		       "request status read by another sender: HTTP 403, not retried (%s)", x ? x->error : "");
		ic_result_free(x);
	}
	ic_result_free(r);
	ic_agent_free(anon);
}

static void test_v2_polling(void)
{
	struct ic_agent *a = agent(&ident, 2, 0);
	struct ic_snapshot s;
	if (a == NULL || take_snapshot(a, &s, "v2") != 0) {
		ic_agent_free(a);
		return;
	}
	struct ic_agent_stats st;
	ic_agent_stats(a, &st);
	TAP_OK(st.polls > 0, "v2: the call was polled with read_state (%llu polls)", (unsigned long long)st.polls);
	read_slices(a, &s, "v2");
	delete_snapshot(a, &s);
	ic_agent_free(a);
}

static void test_anonymous(void)
{
	struct ic_agent *a = agent(NULL, 4, 0);
	if (a == NULL)
		return;
	struct ic_buf b;
	ic_buf_init(&b);
	ic_mgmt_arg_canister(&b, &canister);
	struct ic_result *r = mgmt_call(a, "list_canister_snapshots", &b);
	TAP_OK(r && r->status == IC_E_REJECTED && r->reject_code == 5 && strcmp(r->error_code, "IC0512") == 0 && !r->certified,
	       "anonymous management call: non-replicated rejection 5 IC0512 (%s)", r ? r->error : "");
	ic_result_free(r);
	ic_buf_free(&b);
	ic_agent_free(a);
}

static void test_no_v4(void)
{
	if (!TAP_OK(admin_faults("{\"no_v4\":1}") == 0, "faults: no_v4 set"))
		return;
	struct ic_agent *a = agent(&ident, 4, 0);
	struct ic_snapshot s;
	if (a != NULL && take_snapshot(a, &s, "no_v4") == 0) {
		struct ic_agent_stats st;
		ic_agent_stats(a, &st);
		TAP_OK(st.fallbacks == 1, "no_v4: one fallback from /api/v4 (%llu)", (unsigned long long)st.fallbacks);
		delete_snapshot(a, &s);
	}
	ic_agent_free(a);
	admin_faults("{}");
	/* a replica without /api/v3/.../query: the query falls back to v2 */
	if (!TAP_OK(admin_faults("{\"disable\":\"v3-query\"}") == 0, "faults: v3 query disabled"))
		return;
	a = agent(&ident, 4, 0);
	if (a != NULL) {
		struct ic_buf b;
		ic_buf_init(&b);
		arg_read(&b, 4096, 8192);
		struct ic_result *r = query(a, "stable_read", &b);
		const uint8_t *p;
		size_t n;
		struct ic_agent_stats st;
		ic_agent_stats(a, &st);
		TAP_OK(blob_reply(r, &p, &n) == 0 && n == 8192 && memcmp(p, stable + 4096, n) == 0 && st.fallbacks == 1,
		       "query: 404 on v3 falls back to v2 (%s)", r ? r->error : "");
		ic_result_free(r);
		ic_buf_free(&b);
	}
	ic_agent_free(a);
	admin_faults("{}");
}

/* Update calls with a 200,000-byte argument, retried under the faults with a new signature each
 * time: the agent keeps such an argument only in the signed envelope and takes it from there to
 * sign again. stable_write of the bytes already there, read back: a garbled argument would show. */
static void big_calls_resigned(struct ic_agent *a)
{
	enum { N = 200000 };
	struct ic_agent_stats st0, st1;
	ic_agent_stats(a, &st0);
	int good = 0, calls = 0;
	for (uint64_t off = 0; calls < 10 && off + N <= stable_len; off += 300000, calls++) {
		struct ic_buf b;
		ic_buf_init(&b);
		static const uint8_t hdr[] = {'D', 'I', 'D', 'L', 1, 0x6d, 0x7b, 2, 0x78, 0};
		ic_buf_put(&b, hdr, sizeof hdr);
		for (int i = 0; i < 8; i++)
			ic_buf_put_u8(&b, (uint8_t)(off >> (8 * i)));
		ic_buf_put_leb(&b, N);
		ic_buf_put(&b, stable + off, N);
		struct ic_call c = call_of(&canister, "stable_write", &b);
		struct ic_result *r = ic_agent_run(a, IC_OP_CALL, &c);
		good += r && r->status == IC_OK;
		ic_result_free(r);
		ic_buf_free(&b);
		ic_agent_stats(a, &st1);
		if (st1.resigns > st0.resigns)
			break;
	}
	ic_agent_stats(a, &st1);
	struct ic_buf b;
	ic_buf_init(&b);
	arg_read(&b, 0, 300000ULL * (unsigned)calls + N);
	struct ic_result *r = query(a, "stable_read", &b);
	const uint8_t *p;
	size_t n;
	int same = blob_reply(r, &p, &n) == 0 && n == 300000ULL * (unsigned)calls + N && memcmp(p, stable, n) == 0;
	ic_result_free(r);
	ic_buf_free(&b);
	TAP_OK(good == calls + (calls < 10) && st1.resigns > st0.resigns && same,
	       "faults: %d update calls of 200,000-byte arguments, signed again from their envelopes (%llu re-signs), "
	       "wrote what they carried", good, (unsigned long long)(st1.resigns - st0.resigns));
}

static void test_faults(void)
{
	if (!TAP_OK(admin_faults("{\"rate_503\":0.2,\"rate_429\":0.1,\"rate_500\":0.05,\"retry_after\":1,\"reset_rate\":0.1,"
	                         "\"cut_rate\":0.05,\"seed\":7}") == 0,
	            "faults: 503/429/500/resets/cut bodies set"))
		return;
	resign_ms = 1; /* every retry signs the request again, with a new expiry */
	struct ic_agent *a = agent(&ident, 4, 0);
	resign_ms = 120000;
	struct ic_snapshot s;
	if (a != NULL && take_snapshot(a, &s, "faults") == 0) {
		read_slices(a, &s, "faults");
		test_queries(a);
		big_calls_resigned(a);
		struct ic_agent_stats st;
		ic_agent_stats(a, &st);
		TAP_OK(st.retries > 0, "faults: everything succeeded after %llu retries", (unsigned long long)st.retries);
		TAP_OK(st.resigns > 0, "faults: %llu retries were signed again (resign_after_ms = 1)", (unsigned long long)st.resigns);
		admin_faults("{}");
		delete_snapshot(a, &s);
	}
	admin_faults("{}");
	ic_agent_free(a);
}

static size_t count_snapshots(struct ic_agent *a, struct ic_snapshot *s, size_t max)
{
	struct ic_buf b;
	size_t n = 0;
	char err[200];
	ic_buf_init(&b);
	ic_mgmt_arg_canister(&b, &canister);
	struct ic_result *r = mgmt_call(a, "list_canister_snapshots", &b);
	if (r == NULL || r->status != IC_OK || ic_mgmt_decode_snapshot_list(r->reply, r->reply_len, s, max, &n, err, sizeof err) != 0)
		n = (size_t)-1;
	ic_result_free(r);
	ic_buf_free(&b);
	return n;
}

/* Every answer to a call is cut in half after the call executed: the agent must not sign the call
 * again (a new request id, a second execution) but poll the first request id, so exactly one
 * snapshot is taken. */
static void test_no_double_execution(void)
{
	struct ic_agent *a = agent(&ident, 4, 0);
	struct ic_snapshot before[10], after[10];
	size_t n0 = a ? count_snapshots(a, before, 10) : (size_t)-1;
	if (!TAP_OK(n0 != (size_t)-1 && admin_faults("{\"cut_rate\":1,\"only\":\"call\"}") == 0,
	            "cut answers to calls: set (%zu snapshots before)", n0)) {
		ic_agent_free(a);
		return;
	}
	resign_ms = 1;
	expiry_ms = 15000;
	struct ic_agent *b = agent(&ident, 4, 0);
	resign_ms = 120000;
	expiry_ms = 240000;
	struct ic_snapshot s;
	int ok = b != NULL && take_snapshot(b, &s, "cut answers to calls") == 0;
	struct ic_agent_stats st;
	if (b != NULL)
		ic_agent_stats(b, &st);
	admin_faults("{}");
	size_t n1 = count_snapshots(a, after, 10);
	TAP_OK(ok && n1 == n0 + 1 && st.rechecks >= 1,
	       "cut answers to calls: exactly one snapshot taken (%zu -> %zu; %llu retries, %llu status checks)",
	       n0, n1, b ? (unsigned long long)st.retries : 0ULL, b ? (unsigned long long)st.rechecks : 0ULL);
	for (size_t i = 0; n1 != (size_t)-1 && i < n1; i++) {
		int old = 0;
		for (size_t k = 0; k < n0; k++)
			old |= before[k].id_len == after[i].id_len && memcmp(before[k].id, after[i].id, after[i].id_len) == 0;
		if (!old)
			delete_snapshot(a, &after[i]);
	}
	ic_agent_free(b);
	ic_agent_free(a);
}

static void test_clock(void)
{
	struct ic_agent *a = agent(&ident, 4, -600LL * 1000000000LL); /* our clock 10 minutes slow */
	struct ic_snapshot s;
	if (a != NULL && take_snapshot(a, &s, "clock 10 min slow") == 0) {
		struct ic_agent_stats st;
		ic_agent_stats(a, &st);
		TAP_OK(st.clock_resyncs == 1, "clock: resynchronised once from a certificate's /time (%llu)",
		       (unsigned long long)st.clock_resyncs);
		delete_snapshot(a, &s);
	}
	ic_agent_free(a);
}

/* Certificates of one round share their root hash and signature: with many calls in flight the
 * agent pairs once per (key, signature, root) and accepts the rest from its cache (certificate.h).
 * A warm cache still refuses a bad signature (the replica's evil mode signs another root). */
static void test_sig_cache(void)
{
	enum { N = 16 };
	struct ic_agent *a = agent(&ident, 4, 0);
	if (a == NULL)
		return;
	struct ic_buf b;
	ic_buf_init(&b);
	ic_mgmt_arg_canister(&b, &canister);
	for (int i = 0; i < N; i++) {
		struct ic_call c;
		memset(&c, 0, sizeof c);
		c.canister = management;
		c.effective = canister;
		c.method = "list_canister_snapshots";
		c.arg = b.p;
		c.arg_len = b.len;
		ic_agent_submit(a, IC_OP_CALL, &c);
	}
	int good = 0;
	while (ic_agent_pending(a) > 0) {
		ic_agent_poll(a, 1000);
		struct ic_result *r;
		while ((r = ic_agent_next(a)) != NULL) {
			good += r->status == IC_OK && r->certified;
			ic_result_free(r);
		}
	}
	struct ic_agent_stats st;
	ic_agent_stats(a, &st);
	TAP_OK(good == N && st.cert_cache_hits > 0 && st.cert_pairings + st.cert_cache_hits == N,
	       "signature cache: %d of %d concurrent calls certified with %llu pairings and %llu cache hits", good, N,
	       (unsigned long long)st.cert_pairings, (unsigned long long)st.cert_cache_hits);
	if (TAP_OK(admin_faults("{\"evil\":\"bad-signature\"}") == 0, "signature cache: evil bad-signature set")) {
		struct ic_result *r = mgmt_call(a, "list_canister_snapshots", &b);
		TAP_OK(r && r->status == IC_E_VERIFY, "signature cache: a bad signature is refused with a warm cache (%s)",
		       r ? r->error : "");
		ic_result_free(r);
		admin_faults("{}");
	}
	ic_buf_free(&b);
	ic_agent_free(a);
}

static void test_evil(void)
{
	static const struct {
		const char *mode;
		int query, call;
	} m[] = {{"bad-signature", 1, 1}, {"stale-time", 1, 1}, {"wrong-reply", 1, 1}, {"unknown-node-key", 1, 0}};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		char json[100];
		snprintf(json, sizeof json, "{\"evil\":\"%s\"}", m[i].mode);
		if (!TAP_OK(admin_faults(json) == 0, "evil %s: set", m[i].mode))
			continue;
		struct ic_agent *a = agent(&ident, 4, 0);
		if (a == NULL)
			continue;
		struct ic_buf b;
		ic_buf_init(&b);
		arg_read(&b, 0, 1000);
		struct ic_result *r = query(a, "stable_read", &b);
		TAP_OK(r && (m[i].query ? r->status == IC_E_VERIFY : r->status == IC_OK), "evil %s: query %s (%s)", m[i].mode,
		       m[i].query ? "refused" : "accepted", r ? r->error : "");
		ic_result_free(r);
		ic_buf_free(&b);
		ic_buf_init(&b);
		ic_mgmt_arg_canister(&b, &canister);
		r = mgmt_call(a, "list_canister_snapshots", &b);
		TAP_OK(r && (m[i].call ? r->status == IC_E_VERIFY : r->status == IC_OK), "evil %s: update call %s (%s)", m[i].mode,
		       m[i].call ? "refused" : "accepted", r ? r->error : "");
		ic_result_free(r);
		ic_buf_free(&b);
		ic_agent_free(a);
	}
	admin_faults("{}");
}

/* The root key is read beside the first operations: a status answering 503 is read again, and
 * one that never answers fails every operation waiting for it (IC_E_NETWORK, naming the status). */
static void test_root_key(void)
{
	admin_faults("{\"rate_503\":0.5,\"only\":\"status\",\"seed\":7}"); /* 503, 503, then 200 */
	struct ic_agent *a = agent(&ident, 4, 0);
	struct ic_result *r = a ? query(a, "stable_size", &empty_arg) : NULL;
	struct ic_agent_stats st = {0};
	if (a != NULL)
		ic_agent_stats(a, &st);
	TAP_OK(r && r->status == IC_OK && ic_agent_root_key(a) != NULL && st.retries == 2,
	       "root key: a status answering 503 twice is read a third time (%llu retries; %s)",
	       (unsigned long long)st.retries, r ? r->error : "no agent");
	ic_result_free(r);
	ic_agent_free(a);

	admin_faults("{\"rate_503\":1,\"only\":\"status\"}");
	a = agent(&ident, 4, 0);
	int failed = 0;
	if (a != NULL) {
		for (int i = 0; i < 3; i++)
			submit_read(a, (uint64_t)i * 1000, 1000, i);
		while (ic_agent_pending(a) > 0) {
			ic_agent_poll(a, 1000);
			while ((r = ic_agent_next(a)) != NULL) {
				failed += r->status == IC_E_NETWORK && strstr(r->error, "/api/v2/status: unexpected HTTP status 503");
				ic_result_free(r);
			}
		}
	}
	TAP_OK(failed == 3 && ic_agent_root_key(a) == NULL,
	       "root key: a status that keeps answering 503 fails the 3 reads waiting for it (%d did)", failed);
	ic_agent_free(a);
	admin_faults("{}");
}

/* https with our own CA, HTTP/2, and certificates delegated to a subnet */
static void tls_mode(const char *ca)
{
	struct ic_agent *a = agent(&ident, 4, 0);
	struct ic_result *refused = a ? query(a, "stable_size", &empty_arg) : NULL;
	TAP_OK(refused && refused->status == IC_E_NETWORK && strstr(refused->error, "/api/v2/status") != NULL,
	       "tls: without the test CA the server certificate is refused (verification is on): %s",
	       refused ? refused->error : "no agent");
	ic_result_free(refused);
	ic_agent_free(a);
	ca_file = ca;
	a = agent(&ident, 4, 0);
	if (!TAP_OK(a != NULL, "tls: root key fetched over https with the test CA"))
		return;
	test_queries(a);
	test_calls(a);
	test_subnet_cache("delegation");
	test_reply_budget(); /* HTTP/2: paused streams share connections */
	struct ic_label l = {(const uint8_t *)"time", 4};
	struct ic_path path = {&l, 1};
	struct ic_call c;
	memset(&c, 0, sizeof c);
	c.effective = canister;
	c.paths = &path;
	c.npaths = 1;
	struct ic_result *r = ic_agent_run(a, IC_OP_READ_STATE, &c);
	TAP_OK(r && r->status == IC_OK && r->cert.delegated, "delegation: read_state certificate delegated to a subnet, verified");
	ic_result_free(r);
	struct ic_agent_stats st;
	ic_agent_stats(a, &st);
	TAP_OK(st.http2 == st.http_requests && st.http2 > 0, "tls: every exchange used HTTP/2 (%llu of %llu)",
	       (unsigned long long)st.http2, (unsigned long long)st.http_requests);
	TAP_OK(st.connections >= 1 && st.connections <= 2, "tls: %llu requests multiplexed over %llu connection(s)", (unsigned long long)st.http_requests,
	       (unsigned long long)st.connections);
	ic_agent_free(a);
}

int main(int argc, char **argv)
{
	char err[300];
	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: ic_live URL CANISTER STABLE_FILE IDENTITY_PEM [CA_FILE]\n");
		return 99;
	}
	url = argv[1];
	if (ic_principal_from_text(&canister, argv[2], strlen(argv[2]), err, sizeof err) != 0 ||
	    ic_identity_from_file(&ident, argv[4], err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 99;
	}
	management.len = 0;
	FILE *f = fopen(argv[3], "rb");
	if (f == NULL)
		return 99;
	fseek(f, 0, SEEK_END);
	stable_len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	stable = malloc(stable_len);
	if (stable == NULL || fread(stable, 1, stable_len, f) != stable_len)
		return 99;
	fclose(f);
	const char *c2 = getenv("IC_LIVE_CANISTER2"); /* a second canister (controller: the identity) */
	if (c2 != NULL && ic_principal_from_text(&canister2, c2, strlen(c2), err, sizeof err) == 0)
		have_canister2 = 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (argc == 6) {
		tls_mode(argv[5]);
		free(stable);
		curl_global_cleanup();
		return tap_done();
	}
	admin_faults("{}");

	struct ic_agent *a = agent(&ident, 4, 0);
	if (TAP_OK(a != NULL && ic_agent_root_key(a) == NULL, "agent: created while %s/api/v2/status is read", url)) {
		test_queries(a);
		TAP_OK(ic_agent_root_key(a) != NULL, "agent: the first query waited for the root key and was verified with it");
		test_calls(a);
		test_http_errors(a);
		struct ic_agent_stats st;
		ic_agent_stats(a, &st);
		TAP_OK(st.fallbacks == 0 && st.retries == 0 && st.polls == 0, "v4: no fallback, retry or poll without faults");
		TAP_OK(st.connections >= 1 && st.connections <= 9, "connections reused: %llu opened for %llu requests",
		       (unsigned long long)st.connections, (unsigned long long)st.http_requests);
		ic_agent_free(a);
	}
	test_root_key();
	test_v2_polling();
	test_anonymous();
	test_no_v4();
	test_no_double_execution();
	test_clock();
	test_subnet_cache("root subnet");
	test_reply_budget();
	test_evil();
	test_sig_cache();
	test_faults();
	free(stable);
	curl_global_cleanup();
	return tap_done();
}
