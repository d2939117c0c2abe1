/* transport.c - libcurl multi transport (see transport.h). */
#include "config.h"

#include "ic/transport.h"

#include <curl/curl.h>
#include "ic/curl_lazy.h" /* curl_* calls go to libcurl loaded on first use */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ic_http {
	CURLM *multi;
	struct ic_http_opts o;
	struct ic_http_req *done, *done_tail;
	size_t running, ndone;
	struct ic_http_budget *budget;
	struct ic_http_req *paused; /* in the order they were paused */
};

void ic_http_budget_release(struct ic_http_budget *b, size_t n)
{
	if (b == NULL || n == 0)
		return;
	b->used = n < b->used ? b->used - n : 0;
	b->released = 1;
}

void ic_http_budget_unref(struct ic_http_budget *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

static void budget_take(struct ic_http_budget *b, struct ic_http_req *r, size_t n)
{
	b->used += n;
	r->counted += n;
	if (b->used > b->peak)
		b->peak = b->used;
}

static void unlink_paused(struct ic_http *h, struct ic_http_req *r)
{
	for (struct ic_http_req **pp = &h->paused; *pp != NULL; pp = &(*pp)->next_paused)
		if (*pp == r) {
			*pp = r->next_paused;
			break;
		}
	r->next_paused = NULL;
	r->paused = 0;
}

/* Resume paused transfers that are exempt or fit in the budget now, oldest pause first. */
static void resume_paused(struct ic_http *h)
{
	struct ic_http_budget *b = h->budget;
	b->released = 0;
	struct ic_http_req **pp = &h->paused;
	while (*pp != NULL) {
		struct ic_http_req *r = *pp;
		if (!(r->exempt || b->used == 0 || b->limit == 0 || b->used + r->expect <= b->limit)) {
			pp = &r->next_paused;
			continue;
		}
		*pp = r->next_paused;
		r->next_paused = NULL;
		r->paused = 0;
		budget_take(b, r, r->expect); /* admitted: its whole announced body is reserved */
		if (r->expect)
			ic_buf_reserve(&r->resp, r->expect);
		curl_easy_pause(r->easy, CURLPAUSE_CONT); /* may deliver (and pause others) at once */
	}
}

struct ic_http_budget *ic_http_budget(struct ic_http *h)
{
	return h->budget;
}

void ic_http_set_exempt(struct ic_http *h, struct ic_http_req *r, int exempt)
{
	r->exempt = exempt;
	if (exempt && r->paused)
		h->budget->released = 1; /* look at the paused ones again */
}

void ic_http_body_free(struct ic_http *h, struct ic_http_req *r)
{
	ic_buf_free(&r->resp);
	ic_http_budget_release(h->budget, r->counted);
	r->counted = 0;
}

static int global_ready;
static const char *http_error = "out of memory";

const char *ic_http_error(void)
{
	return http_error;
}

struct ic_http *ic_http_new(const struct ic_http_opts *o)
{
	if (!global_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			http_error = ic_curl_error();
			return NULL;
		}
		global_ready = 1;
	}
	struct ic_http *h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	h->o = *o;
	h->multi = curl_multi_init();
	h->budget = calloc(1, sizeof *h->budget);
	if (h->multi == NULL || h->budget == NULL) {
		if (h->multi != NULL)
			curl_multi_cleanup(h->multi);
		free(h->budget);
		free(h);
		return NULL;
	}
	h->budget->limit = o->body_budget;
	h->budget->refs = 1;
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)(o->max_connections ? o->max_connections : 8));
	return h;
}

static void release(struct ic_http_req *r)
{
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	if (r->headers != NULL)
		curl_slist_free_all(r->headers);
	r->easy = NULL;
	r->headers = NULL;
}

void ic_http_free(struct ic_http *h)
{
	if (h == NULL)
		return;
	curl_multi_cleanup(h->multi);
	ic_http_budget_unref(h->budget);
	free(h);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct ic_http_req *r = ud;
	size_t len = size * n;
	static const char cl[] = "content-length:";
	if (len > sizeof cl && strncasecmp(p, cl, sizeof cl - 1) == 0) {
		/* the body is pre-sized from this when admitted (on_body), so a large reply is written
		 * once, never moved; not here: a transfer waiting for the budget would hold the memory */
		char tmp[32];
		size_t k = len - (sizeof cl - 1) < sizeof tmp - 1 ? len - (sizeof cl - 1) : sizeof tmp - 1;
		memcpy(tmp, p + sizeof cl - 1, k);
		tmp[k] = 0;
		char *end;
		unsigned long long v = strtoull(tmp, &end, 10);
		if (end != tmp && v > 0 && v <= 64ULL << 20)
			r->expect = (size_t)v;
	}
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct ic_http_req *r = ud;
	struct ic_http_budget *b = r->http->budget;
	size_t len = size * n;
	if (r->counted == 0 && len > 0) {
		/* the first bytes: admit the whole body, or wait (before any byte is kept) until replies
		 * held elsewhere are released; the exempt one (the reply its owner waits for) and a lone
		 * one always go on, so the budget never stops everything */
		size_t need = r->expect ? r->expect : len;
		/* over HTTP/1.1 a paused transfer keeps its connection: with more transfers than
		 * connections, the one its owner waits for could be queued behind paused ones */
		int crowded = r->http->running > (r->http->o.max_connections ? r->http->o.max_connections : 8);
		if (b->limit && !r->exempt && !crowded && b->used > 0 && b->used + need > b->limit) {
			if (!r->paused) {
				struct ic_http_req **pp = &r->http->paused;
				while (*pp != NULL)
					pp = &(*pp)->next_paused;
				*pp = r;
				r->next_paused = NULL;
				r->paused = 1;
				b->pauses++;
			}
			return CURL_WRITEFUNC_PAUSE;
		}
		budget_take(b, r, need);
		if (r->expect)
			ic_buf_reserve(&r->resp, r->expect);
	}
	/* CURLOPT_MAXFILESIZE only knows announced sizes: bound chunked bodies here */
	if (r->max_response && len > r->max_response - r->resp.len)
		return 0;
	ic_buf_put(&r->resp, p, len);
	if (r->resp.len > r->counted) /* longer than announced, or no Content-Length */
		budget_take(b, r, r->resp.len - r->counted);
	return r->resp.oom ? 0 : len;
}

int ic_http_start(struct ic_http *h, struct ic_http_req *r)
{
	release(r);
	r->http = h;
	ic_http_body_free(h, r);
	if (r->paused)
		unlink_paused(h, r);
	r->expect = 0;
	r->status = 0;
	r->retry_after_s = -1;
	r->failed = 0;
	r->error[0] = 0;
	r->next_done = NULL;
	r->max_response = h->o.max_response;
	CURL *e = curl_easy_init();
	if (e == NULL) {
		snprintf(r->error, sizeof r->error, "out of memory");
		return -1;
	}
	r->easy = e;
	struct curl_slist *hd = NULL;
	if (r->body != NULL) {
		hd = curl_slist_append(hd, "Content-Type: application/cbor");
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, (const char *)r->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	hd = curl_slist_append(hd, "Expect:"); /* no 100-continue round trip for large bodies */
	r->headers = hd;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(e, CURLOPT_URL, r->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
#endif
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* over TLS, wait for a connection being set up if it may turn out to multiplex (HTTP/2); plain
	 * http never does here (2TLS), and waiting would hold a second request until the first's answer */
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, strncmp(r->url, "https://", 8) == 0 ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "icarc/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(h->o.connect_timeout_ms ? h->o.connect_timeout_ms : 10000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(h->o.request_timeout_ms ? h->o.request_timeout_ms : 60000));
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	if (h->o.ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->o.ca_file);
	if (h->o.max_response)
		curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->o.max_response);
	if (h->o.verbose)
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		snprintf(r->error, sizeof r->error, "cannot start the request");
		release(r);
		return -1;
	}
	r->running = 1;
	h->running++;
	return 0;
}

void ic_http_abort(struct ic_http *h, struct ic_http_req *r)
{
	if (r->paused)
		unlink_paused(h, r);
	if (r->running) {
		curl_multi_remove_handle(h->multi, r->easy);
		r->running = 0;
		h->running--;
	}
	/* it may already sit in the done list: unlink it */
	struct ic_http_req **pp = &h->done, *prev = NULL;
	while (*pp != NULL) {
		if (*pp == r) {
			*pp = r->next_done;
			if (h->done_tail == r)
				h->done_tail = prev;
			h->ndone--;
			break;
		}
		prev = *pp;
		pp = &(*pp)->next_done;
	}
	release(r);
}

/* Move finished transfers to the done list. */
static void collect(struct ic_http *h)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct ic_http_req *r = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r == NULL)
			continue;
		CURLcode rc = m->data.result;
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
		r->new_connections = 0;
		curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &r->new_connections);
		long version = 0;
		curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &version);
		r->http2 = version == CURL_HTTP_VERSION_2_0;
		curl_off_t ra = -1;
		if (curl_easy_getinfo(r->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
			r->retry_after_s = (long)ra;
		if (rc != CURLE_OK) {
			r->failed = 1;
			if (r->error[0] == 0)
				snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(rc));
		} else if (r->resp.oom) {
			r->failed = 1;
			snprintf(r->error, sizeof r->error, "out of memory for the response");
		}
		if (r->paused) /* e.g. its timeout struck while it waited for the budget */
			unlink_paused(h, r);
		curl_multi_remove_handle(h->multi, r->easy);
		release(r);
		r->running = 0;
		h->running--;
		r->next_done = NULL;
		if (h->done_tail)
			h->done_tail->next_done = r;
		else
			h->done = r;
		h->done_tail = r;
		h->ndone++;
	}
}

int ic_http_wait(struct ic_http *h, int timeout_ms)
{
	int still, numfds;
	if (h->budget->released && h->paused != NULL)
		resume_paused(h);
	curl_multi_perform(h->multi, &still);
	collect(h);
	/* sleep in poll only when nothing finished yet: a transfer that completed within the
	 * perform above would otherwise wait out the whole timeout */
	if (h->ndone == 0 && h->running > 0 && timeout_ms > 0) {
		curl_multi_poll(h->multi, NULL, 0, timeout_ms, &numfds);
		curl_multi_perform(h->multi, &still);
		collect(h);
	}
	return (int)h->ndone;
}

struct ic_http_req *ic_http_take_done(struct ic_http *h)
{
	struct ic_http_req *r = h->done;
	if (r == NULL)
		return NULL;
	h->done = r->next_done;
	if (h->done == NULL)
		h->done_tail = NULL;
	h->ndone--;
	r->next_done = NULL;
	return r;
}

size_t ic_http_running(const struct ic_http *h)
{
	return h->running;
}
