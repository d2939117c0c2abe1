/* curl_lazy.h - libcurl, loaded with dlopen() by the first exchange instead of at program start.
 *
 * Why: libcurl brings about 30 shared libraries (TLS, Kerberos, LDAP, SSH, IDN...) that the dynamic
 * loader maps and relocates on every start of `icarc`, 8-9 ms of CPU on this project's machines,
 * while most commands (pack, extract, verify, decode, diff) never touch the network: for them, that
 * was 5-15% of their whole run on a 256 MiB image (tests/bench/RESULTS.md). Included by transport.c
 * after <curl/curl.h>: the curl_* calls it makes go through a table filled from the library. */
#ifndef IC_CURL_LAZY_H
#define IC_CURL_LAZY_H

#include <curl/curl.h>
#include <stddef.h>

struct ic_curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *h);
	CURLcode (*easy_setopt)(CURL *h, CURLoption o, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO i, ...);
	CURLcode (*easy_pause)(CURL *h, int bitmask);
	const char *(*easy_strerror)(CURLcode c);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption o, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd extra[], unsigned n, int timeout_ms, int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* The table once ic_curl_global_init has loaded the library (NULL before). */
extern const struct ic_curl_api *ic_curl;

/* Load libcurl (the first time) and run curl_global_init. CURLE_FAILED_INIT when the library is
 * missing: ic_curl_error() then says which names were tried and why they failed. */
CURLcode ic_curl_global_init(long flags);
const char *ic_curl_error(void);

#ifndef IC_CURL_LAZY_NO_MACROS
/* curl.h's type-checking wrappers (typecheck-gcc.h) are macros of these names */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init(f) ic_curl_global_init(f)
#define curl_easy_init() (ic_curl->easy_init())
#define curl_easy_cleanup(h) (ic_curl->easy_cleanup(h))
#define curl_easy_setopt(h, o, v) (ic_curl->easy_setopt((h), (o), (v)))
#define curl_easy_getinfo(h, i, p) (ic_curl->easy_getinfo((h), (i), (p)))
#define curl_easy_pause(h, b) (ic_curl->easy_pause((h), (b)))
#define curl_easy_strerror(c) (ic_curl->easy_strerror(c))
#define curl_multi_init() (ic_curl->multi_init())
#define curl_multi_cleanup(m) (ic_curl->multi_cleanup(m))
#define curl_multi_setopt(m, o, v) (ic_curl->multi_setopt((m), (o), (v)))
#define curl_multi_add_handle(m, h) (ic_curl->multi_add_handle((m), (h)))
#define curl_multi_remove_handle(m, h) (ic_curl->multi_remove_handle((m), (h)))
#define curl_multi_perform(m, r) (ic_curl->multi_perform((m), (r)))
#define curl_multi_poll(m, e, n, t, f) (ic_curl->multi_poll((m), (e), (n), (t), (f)))
#define curl_multi_info_read(m, l) (ic_curl->multi_info_read((m), (l)))
#define curl_slist_append(l, s) (ic_curl->slist_append((l), (s)))
#define curl_slist_free_all(l) (ic_curl->slist_free_all(l))
#endif

#endif
