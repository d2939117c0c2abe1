/* transport.h - HTTP exchanges over one libcurl multi handle: many in flight on one thread,
 * connection reuse, HTTP/2 multiplexing when the server offers it (TLS ALPN), timeouts, TLS
 * verification always on, proxies from the environment (libcurl's http_proxy/https_proxy/
 * no_proxy handling). Only this file and agent.c depend on libcurl. */
#ifndef ICARC_IC_TRANSPORT_H
#define ICARC_IC_TRANSPORT_H
#include <stddef.h>
#include <stdint.h>

#include "ic/buf.h"

/* A byte budget for response bodies: the bodies being received by the transfers of one ic_http
 * and those their owners keep (the agent's results) until released. A transfer is admitted when
 * its first body bytes come (its whole Content-Length is reserved then) and paused before any
 * byte (CURL_WRITEFUNC_PAUSE) while the budget is spent, unless it is exempt or nothing is held;
 * released bytes resume paused transfers in the order they were paused. Reference counted: a
 * result may outlive its agent. */
struct ic_http_budget {
	size_t limit; /* 0: none */
	size_t used, peak;
	uint64_t pauses; /* transfers paused for want of budget */
	unsigned refs;
	int released; /* bytes came back since the last look */
};
void ic_http_budget_release(struct ic_http_budget *b, size_t n);
void ic_http_budget_unref(struct ic_http_budget *b);

struct ic_http_opts {
	unsigned max_connections;
	unsigned connect_timeout_ms, request_timeout_ms;
	size_t max_response; /* bytes; larger bodies fail the exchange */
	size_t body_budget;  /* see struct ic_http_budget; 0: none */
	const char *ca_file; /* extra CA bundle (PEM) instead of the system's; verification stays on */
	int verbose;
};

struct ic_http_req {
	/* in: set before ic_http_start */
	char url[512];
	const uint8_t *body; /* POST body (borrowed until done); NULL: GET */
	size_t body_len;
	void *owner;
	/* out: valid once done */
	long status;         /* HTTP status, 0 if no answer */
	long retry_after_s;  /* Retry-After in seconds, -1 if absent */
	int failed;          /* transport error (no HTTP answer, or cut short) */
	char error[256];
	struct ic_buf resp;  /* response body (the one copy of it) */
	long new_connections; /* connections this exchange had to open (0: reused one) */
	int http2;            /* the exchange used HTTP/2 */
	int exempt;           /* never paused for the budget (set with ic_http_set_exempt) */
	size_t counted;       /* bytes of resp counted in the budget (hand them on with the body) */
	/* private */
	struct ic_http *http;
	size_t expect; /* Content-Length, 0 if none */
	int paused;
	struct ic_http_req *next_paused;
	void *easy;
	void *headers;
	size_t max_response;
	struct ic_http_req *next_done;
	int running;
};

struct ic_http;
struct ic_http *ic_http_new(const struct ic_http_opts *o);
const char *ic_http_error(void); /* why ic_http_new failed (libcurl missing, out of memory) */
void ic_http_free(struct ic_http *h);
/* Start an exchange (the response buffer is reset). 0 ok, -1 (r->error says why). */
int ic_http_start(struct ic_http *h, struct ic_http_req *r);
/* Stop an exchange that is running; nothing is reported for it. */
void ic_http_abort(struct ic_http *h, struct ic_http_req *r);
/* Wait up to timeout_ms for network activity and handle it. Returns the number of finished
 * exchanges ready in ic_http_take_done. */
int ic_http_wait(struct ic_http *h, int timeout_ms);
struct ic_http_req *ic_http_take_done(struct ic_http *h);
size_t ic_http_running(const struct ic_http *h);
/* The budget (a reference to keep with bytes handed on: refs++). */
struct ic_http_budget *ic_http_budget(struct ic_http *h);
/* Exempt a transfer from the budget, or not (a paused one resumes when exempted). */
void ic_http_set_exempt(struct ic_http *h, struct ic_http_req *r, int exempt);
/* Free r's response body and give its counted bytes back. */
void ic_http_body_free(struct ic_http *h, struct ic_http_req *r);
#endif
