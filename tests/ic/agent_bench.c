/* agent_bench.c - throughput of the agent against a replica: read a canister's stable memory in
 * 2,000,000-byte slices with N requests in flight, as snapshot reads (update calls, certified)
 * or stable_read queries (node-signed). Used by bench.sh; not part of make check.
 *   agent_bench URL CANISTER IDENTITY_PEM BYTES CONCURRENCY snapshot|query */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ic/ic.h"
#include "ic/mgmt.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: agent_bench URL CANISTER IDENTITY_PEM BYTES CONCURRENCY snapshot|query\n");
		return 2;
	}
	char err[600];
	struct ic_principal canister, mgmt = {0};
	struct ic_identity id;
	if (ic_principal_from_text(&canister, argv[2], strlen(argv[2]), err, sizeof err) != 0 ||
	    ic_identity_from_file(&id, argv[3], err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	uint64_t total = strtoull(argv[4], NULL, 10);
	unsigned conc = (unsigned)atoi(argv[5]);
	int snapshot = strcmp(argv[6], "snapshot") == 0;
	struct ic_agent_config cfg;
	ic_agent_config_init(&cfg);
	cfg.url = argv[1];
	cfg.identity = &id;
	cfg.fetch_root_key = 1;
	cfg.max_connections = conc > 8 ? conc : 8;
	cfg.verbose = getenv("IC_VERBOSE") ? atoi(getenv("IC_VERBOSE")) : 0;
	struct ic_agent *a;
	if (ic_agent_new(&a, &cfg, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct ic_snapshot s = {0};
	if (snapshot) {
		struct ic_buf b;
		ic_buf_init(&b);
		ic_mgmt_arg_take_snapshot(&b, &canister, NULL, 0);
		struct ic_call c = {0};
		c.canister = mgmt, c.effective = canister, c.method = "take_canister_snapshot", c.arg = b.p, c.arg_len = b.len;
		struct ic_result *r = ic_agent_run(a, IC_OP_CALL, &c);
		if (r == NULL || r->status != IC_OK || ic_mgmt_decode_snapshot(r->reply, r->reply_len, &s, err, sizeof err) != 0) {
			fprintf(stderr, "take_canister_snapshot: %s\n", r ? r->error : err);
			return 1;
		}
		ic_result_free(r);
		ic_buf_free(&b);
	}
	uint64_t next = 0, got = 0;
	unsigned inflight = 0;
	double t0 = now_s();
	int bad = 0;
	while ((next < total || inflight > 0) && !bad) {
		while (next < total && inflight < conc) {
			uint64_t len = total - next < IC_SNAPSHOT_SLICE_MAX ? total - next : IC_SNAPSHOT_SLICE_MAX;
			struct ic_buf b;
			ic_buf_init(&b);
			struct ic_call c = {0};
			c.effective = canister;
			if (snapshot) {
				ic_mgmt_arg_read_snapshot_data(&b, &canister, s.id, s.id_len, IC_SNAP_STABLE_MEMORY, next, len, NULL, 0);
				c.canister = mgmt, c.method = "read_canister_snapshot_data";
			} else {
				static const uint8_t hdr[] = {'D', 'I', 'D', 'L', 0, 2, 0x78, 0x78};
				ic_buf_put(&b, hdr, sizeof hdr);
				for (int i = 0; i < 8; i++)
					ic_buf_put_u8(&b, (uint8_t)(next >> (8 * i)));
				for (int i = 0; i < 8; i++)
					ic_buf_put_u8(&b, (uint8_t)(len >> (8 * i)));
				c.canister = canister, c.method = "stable_read";
			}
			c.arg = b.p, c.arg_len = b.len;
			ic_agent_submit(a, snapshot ? IC_OP_CALL : IC_OP_QUERY, &c);
			ic_buf_free(&b);
			next += len;
			inflight++;
		}
		ic_agent_poll(a, 1000);
		struct ic_result *r;
		while ((r = ic_agent_next(a)) != NULL) {
			inflight--;
			if (r->status != IC_OK) {
				fprintf(stderr, "%s\n", r->error);
				bad = 1;
			}
			got += r->reply_len;
			ic_result_free(r);
		}
	}
	double dt = now_s() - t0;
	struct ic_agent_stats st;
	ic_agent_stats(a, &st);
	printf("%s concurrency %u: %.1f MB in %.2f s = %.1f MB/s (%llu requests, %llu connections, %llu retries)\n",
	       argv[6], conc, (double)got / 1e6, dt, (double)got / 1e6 / dt, (unsigned long long)st.http_requests,
	       (unsigned long long)st.connections, (unsigned long long)st.retries);
	ic_agent_free(a);
	return bad;
}
