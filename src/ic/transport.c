/* transport.c - libcurl multi transport (see transport.h). */
#include "config.h"

#include "ic/transport.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ic_http {
	CURLM *multi;
	struct ic_http_opts o;
	struct ic_http_req *done, *done_tail;
	size_t running, ndone;
};

static int global_ready;

struct ic_http *ic_http_new(const struct ic_http_opts *o)
{
	if (!global_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		global_ready = 1;
	}
	struct ic_http *h = calloc(1, sizeof *h);
	if (h == NULL)
		return NULL;
	h->o = *o;
	h->multi = curl_multi_init();
	if (h->multi == NULL) {
		free(h);
		return NULL;
	}
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
	free(h);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct ic_http_req *r = ud;
	size_t len = size * n;
	static const char cl[] = "content-length:";
	if (len > sizeof cl && strncasecmp(p, cl, sizeof cl - 1) == 0) {
		/* pre-size the body so a large reply is written once, never moved */
		char tmp[32];
		size_t k = len - (sizeof cl - 1) < sizeof tmp - 1 ? len - (sizeof cl - 1) : sizeof tmp - 1;
		memcpy(tmp, p + sizeof cl - 1, k);
		tmp[k] = 0;
		char *end;
		unsigned long long v = strtoull(tmp, &end, 10);
		if (end != tmp && v > 0 && v <= 64ULL << 20)
			ic_buf_reserve(&r->resp, (size_t)v);
	}
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct ic_http_req *r = ud;
	size_t len = size * n;
	/* CURLOPT_MAXFILESIZE only knows announced sizes: bound chunked bodies here */
	if (r->max_response && len > r->max_response - r->resp.len)
		return 0;
	ic_buf_put(&r->resp, p, len);
	return r->resp.oom ? 0 : len;
}

int ic_http_start(struct ic_http *h, struct ic_http_req *r)
{
	release(r);
	ic_buf_free(&r->resp);
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
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
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
