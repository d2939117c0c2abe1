/* ic.h - the IC agent as the icarc program uses it: many requests in flight on one thread.
 *
 * Usage (icarc pull reading 2,000,000-byte slices concurrently):
 *
 *   struct ic_agent_config cfg;
 *   ic_agent_config_init(&cfg);
 *   cfg.url = "https://icp-api.io";          // or the local replica's URL, with cfg.fetch_root_key = 1
 *   cfg.identity = &id;                       // from ic_identity_from_file(); NULL = anonymous
 *   struct ic_agent *a;
 *   if (ic_agent_new(&a, &cfg, err, sizeof err) != 0) ...
 *
 *   struct ic_call c = {0};
 *   c.canister = management (len 0);  c.effective = target canister;  c.method = "read_canister_snapshot_data";
 *   c.arg = candid; c.arg_len = n;  c.user = slice;          // arg is copied at submit
 *   uint64_t id = ic_agent_submit(a, IC_OP_CALL, &c);        // returns at once; 0 on a usage error
 *   ...submit more, up to the window you want...
 *   while (ic_agent_pending(a) > 0) {
 *       ic_agent_poll(a, 1000);                               // drives sockets, timers, retries
 *       struct ic_result *r;
 *       while ((r = ic_agent_next(a)) != NULL) {             // completions, in completion order
 *           if (r->status == IC_OK) use(r->user, r->reply, r->reply_len);   // points into the body
 *           else report(r->error);
 *           ic_result_free(r);
 *       }
 *   }
 *   ic_agent_free(a);
 *
 * Memory: a reply is copied once, from libcurl's buffer into the result's body (pre-sized from
 * Content-Length); the certificate, its hash tree and the Candid reply are decoded in place, so
 * r->reply (and any blob decoded from it with ic_candid_decode) points into that body until
 * ic_result_free. Reply bodies count against a byte budget (cfg.reply_budget, default 24 MiB)
 * from their first byte until ic_result_free: while it is spent, further transfers wait before
 * their first byte (libcurl pause; the server's data stays in the network), so many requests may
 * be in flight (most of their time is latency) while the memory their replies take stays bounded.
 * The reply the caller waits for (ic_agent_prefer, else the oldest) and the agent's own reads are
 * never held back, so keeping results does not stall the agent; the budget is exceeded by at
 * most that one reply. Update replies are accepted only after the certificate verified (BLS, delegation,
 * canister ranges, time; the root hash is recomputed for every certificate, the pairing skipped
 * when that root, signature and key verified before: replies of one round share them); query replies only after their node signatures verified (node keys read
 * with a certified read_state of the subnet, cached per subnet with the canister ranges certified
 * with them: another canister in those ranges needs no new read; an unknown signing node makes
 * that query read the keys again once, if they were read before it was sent).
 *
 * Calls go to /api/v4/.../call; a 404 falls back to v3, then v2 + read_state polling; a 202 polls.
 * 429 (honouring Retry-After), 5xx and transport errors are retried with exponential backoff and
 * jitter until the operation's deadline; requests older than resign_after_ms are signed again with
 * a new expiry (a call only once its earlier request id provably cannot execute any more);
 * "Invalid request expiry" resynchronises the clock from a certificate's /time.
 *
 * Threads: an agent belongs to one thread. Process-wide state (libcurl's global init, the
 * secp256k1 context, the parsed management types) is set up on first use: create the first agent
 * (or call ic_mgmt_types()) before starting other threads that use src/ic. */
#ifndef ICARC_IC_H
#define ICARC_IC_H
#include <stddef.h>
#include <stdint.h>

#include "ic/certificate.h"
#include "ic/identity.h"
#include "ic/principal.h"
#include "ic/request.h" /* struct ic_path */

struct ic_http_budget;

enum ic_status {
	IC_OK = 0,
	IC_E_REJECTED = -1, /* the IC or the canister rejected: reject_code, reject_message, error_code */
	IC_E_NETWORK = -2,  /* transport errors or 5xx/429 until the deadline */
	IC_E_HTTP = -3,     /* a 4xx answer (the body text is in error) */
	IC_E_PROTOCOL = -4, /* a malformed answer */
	IC_E_VERIFY = -5,   /* certificate or signature verification failed */
	IC_E_TIMEOUT = -6,  /* the deadline passed (e.g. polling a status that never became final) */
	IC_E_USAGE = -7,
	IC_E_NOMEM = -8
};
const char *ic_status_name(int status);

enum ic_op { IC_OP_QUERY, IC_OP_CALL, IC_OP_READ_STATE };

struct ic_agent_config {
	const char *url;                    /* base URL, no trailing path */
	const struct ic_identity *identity; /* copied; NULL = anonymous */
	const uint8_t *root_key;            /* 96 raw bytes; NULL = the mainnet key (or fetched) */
	int fetch_root_key;                 /* read /api/v2/status's root_key (local replicas only); the
	                                     * read goes out with the first operations, which wait for
	                                     * it; if it fails they fail with IC_E_NETWORK naming it */
	unsigned max_connections;           /* per host (HTTP/2 multiplexes over fewer); default 8 */
	unsigned connect_timeout_ms;        /* default 10 s */
	unsigned request_timeout_ms;        /* one HTTP exchange; default 60 s */
	unsigned deadline_ms;               /* one operation, retries and polling included; default 5 min */
	unsigned backoff_initial_ms;        /* default 250 */
	unsigned backoff_max_ms;            /* default 10 s */
	unsigned resign_after_ms;           /* default 120 s */
	unsigned expiry_ms;                 /* ingress_expiry = now + this, rounded; default 4 min */
	int verify_query_signatures;        /* default 1 */
	int check_certificate_time;         /* default 1; 0 only for tests */
	int verbose;                        /* log requests and retries to stderr */
	int call_api_version;               /* first call endpoint tried: 4 (default), 3 or 2 */
	const char *ca_file;                /* a CA bundle (PEM) to trust instead of the system's (private
	                                       networks, tests); TLS verification is never turned off */
	int64_t clock_skew_ns;              /* tests: pretend the local clock is off by this much */
	size_t reply_budget;                /* bytes of reply bodies being received or held by results
	                                       not yet freed; past it, transfers wait before their
	                                       first byte (see "Memory" above); 0: no limit */
};
#define IC_REPLY_BUDGET_DEFAULT (24U << 20)
void ic_agent_config_init(struct ic_agent_config *c);

struct ic_call {
	struct ic_principal canister;  /* content.canister_id; the management canister is len 0 */
	struct ic_principal effective; /* the URL's effective canister id */
	const char *method;
	const uint8_t *arg;
	size_t arg_len;
	/* read_state: paths (labels are copied at submit) */
	const struct ic_path *paths;
	size_t npaths;
	void *user;
};

struct ic_result {
	uint64_t id;
	void *user;
	enum ic_op op;
	int status; /* enum ic_status */
	const uint8_t *reply; /* IC_OK call/query: the Candid reply (into the body) */
	size_t reply_len;
	uint64_t reject_code; /* IC_E_REJECTED */
	char reject_message[1024];
	char error_code[32];
	int certified;          /* 1: the reply came from a verified certificate (update) */
	uint64_t cert_time_ns;  /* time of that certificate (update) or of the node signature (query) */
	struct ic_cert cert;    /* IC_OP_READ_STATE: the verified certificate (into the body) */
	int http_status;        /* last HTTP status seen (0: none) */
	unsigned retries;
	char error[1024];       /* what failed, for people */
	uint8_t request_id[32];
	/* private */
	uint8_t *body;
	size_t body_len;
	int has_cert;
	struct ic_http_budget *budget_; /* where body_len's bytes are counted */
	size_t budget_bytes_;
	struct ic_result *next_;
};
void ic_result_free(struct ic_result *r);

struct ic_agent;
/* Create the agent (fetches the root key when asked: blocking). 0 ok, -1 with a message. */
int ic_agent_new(struct ic_agent **out, const struct ic_agent_config *cfg, char *err, size_t errlen);
void ic_agent_free(struct ic_agent *a);
/* Start an operation; returns its id (>= 1), or 0 on a usage error or out of memory. */
uint64_t ic_agent_submit(struct ic_agent *a, enum ic_op op, const struct ic_call *c);
/* Operations submitted and not yet taken with ic_agent_next. */
size_t ic_agent_pending(const struct ic_agent *a);
/* Drive the network for up to timeout_ms (returns earlier when something completes). Returns the
 * number of results ready to take. */
int ic_agent_poll(struct ic_agent *a, int timeout_ms);
/* The next completed result, or NULL; the caller frees it. */
struct ic_result *ic_agent_next(struct ic_agent *a);
/* The operation the caller waits for first (e.g. the oldest slice of an in-order consumer): the
 * reply budget never holds it back. Without it (or once it is done), the oldest outstanding
 * operation is the one. */
void ic_agent_prefer(struct ic_agent *a, uint64_t id);
/* Blocking convenience: submit and wait for that one operation. */
struct ic_result *ic_agent_run(struct ic_agent *a, enum ic_op op, const struct ic_call *c);
/* The agent's principal, root key, and clock (ns, corrected by the last resync). */
const struct ic_principal *ic_agent_principal(const struct ic_agent *a);
const uint8_t *ic_agent_root_key(const struct ic_agent *a); /* NULL while still being fetched */
uint64_t ic_agent_now_ns(const struct ic_agent *a);
/* Counters for progress displays and tests. */
struct ic_agent_stats {
	uint64_t http_requests, retries, resigns, clock_resyncs, fallbacks, polls, bytes_in;
	uint64_t connections; /* TCP/TLS connections opened (the rest were reused) */
	uint64_t rechecks;    /* calls whose earlier request id was polled before signing them again */
	uint64_t http2;       /* exchanges that used HTTP/2 */
	uint64_t subnet_reads; /* certified reads of a subnet's node keys (read_state of /subnet) */
	/* the reply budget: bytes of bodies being received or held by results not yet freed, now and
	 * at most; transfers that had to wait for it */
	uint64_t reply_bytes, reply_bytes_peak, reply_pauses;
	/* certificate signatures (BLS) paired, and accepted as a (key, signature, root hash) that
	 * verified before: the replies of one round share them (certificate.h, ic_sig_cache) */
	uint64_t cert_pairings, cert_cache_hits;
};
void ic_agent_stats(const struct ic_agent *a, struct ic_agent_stats *s);
#endif
