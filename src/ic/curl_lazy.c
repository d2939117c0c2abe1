/* curl_lazy.c - libcurl loaded on first use (see curl_lazy.h). */
#include "config.h"

#define IC_CURL_LAZY_NO_MACROS
#include "ic/curl_lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Before the library is loaded every entry fails cleanly instead of crashing a cleanup path. */
static CURLcode no_global_init(long f)
{
	(void)f;
	return CURLE_FAILED_INIT;
}
static CURL *no_easy_init(void)
{
	return NULL;
}
static void no_easy_cleanup(CURL *h)
{
	(void)h;
}
static CURLcode no_easy_setopt(CURL *h, CURLoption o, ...)
{
	(void)h;
	(void)o;
	return CURLE_FAILED_INIT;
}
static CURLcode no_easy_getinfo(CURL *h, CURLINFO i, ...)
{
	(void)h;
	(void)i;
	return CURLE_FAILED_INIT;
}
static CURLcode no_easy_pause(CURL *h, int b)
{
	(void)h;
	(void)b;
	return CURLE_FAILED_INIT;
}
static const char *no_easy_strerror(CURLcode c)
{
	(void)c;
	return "libcurl is not loaded";
}
static CURLM *no_multi_init(void)
{
	return NULL;
}
static CURLMcode no_multi_cleanup(CURLM *m)
{
	(void)m;
	return CURLM_BAD_HANDLE;
}
static CURLMcode no_multi_setopt(CURLM *m, CURLMoption o, ...)
{
	(void)m;
	(void)o;
	return CURLM_BAD_HANDLE;
}
static CURLMcode no_multi_handle(CURLM *m, CURL *h)
{
	(void)m;
	(void)h;
	return CURLM_BAD_HANDLE;
}
static CURLMcode no_multi_perform(CURLM *m, int *r)
{
	(void)m;
	*r = 0;
	return CURLM_BAD_HANDLE;
}
static CURLMcode no_multi_poll(CURLM *m, struct curl_waitfd e[], unsigned n, int t, int *f)
{
	(void)m;
	(void)e;
	(void)n;
	(void)t;
	if (f)
		*f = 0;
	return CURLM_BAD_HANDLE;
}
static CURLMsg *no_multi_info_read(CURLM *m, int *l)
{
	(void)m;
	*l = 0;
	return NULL;
}
static struct curl_slist *no_slist_append(struct curl_slist *l, const char *s)
{
	(void)l;
	(void)s;
	return NULL;
}
static void no_slist_free_all(struct curl_slist *l)
{
	(void)l;
}

static const struct ic_curl_api unloaded = {
	no_global_init,  no_easy_init,    no_easy_cleanup,    no_easy_setopt,  no_easy_getinfo,  no_easy_pause,
	no_easy_strerror, no_multi_init,  no_multi_cleanup,   no_multi_setopt, no_multi_handle,  no_multi_handle,
	no_multi_perform, no_multi_poll,  no_multi_info_read, no_slist_append, no_slist_free_all};

const struct ic_curl_api *ic_curl = &unloaded;
static struct ic_curl_api loaded;
static char error[512];

/* The sonames libcurl 7.16+ and 8.x are packaged under (Debian: libcurl4 (OpenSSL),
 * libcurl3-gnutls, libcurl3-nss); the ABI is the same. */
static const char *const names[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl-nss.so.4"};

static int load(void)
{
	size_t used = 0;
	/* ICARC_LIBCURL: a libcurl elsewhere (a path or a soname), tried alone */
	const char *env = getenv("ICARC_LIBCURL");
	const char *const *list = names;
	size_t count = sizeof names / sizeof *names;
	if (env != NULL && env[0] != '\0') {
		list = &env;
		count = 1;
	}
	error[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		/* RTLD_LOCAL: its symbols stay its own; RTLD_NOW: a broken library fails here, not later */
		void *lib = dlopen(list[i], RTLD_NOW | RTLD_LOCAL);
		if (lib == NULL) {
			const char *e = dlerror();
			int k = snprintf(error + used, sizeof error - used, "%s%s", used ? "; " : "", e ? e : list[i]);
			if (k > 0 && (size_t)k < sizeof error - used)
				used += (size_t)k;
			continue;
		}
		struct {
			const char *sym;
			void **slot;
		} t[] = {
#define S(f) {"curl_" #f, (void **)&loaded.f}
			S(global_init),      S(easy_init),     S(easy_cleanup),   S(easy_setopt),     S(easy_getinfo),
			S(easy_pause),       S(easy_strerror), S(multi_init),     S(multi_cleanup),   S(multi_setopt),
			S(multi_add_handle), S(multi_remove_handle), S(multi_perform), S(multi_poll), S(multi_info_read),
			S(slist_append),     S(slist_free_all),
#undef S
		};
		size_t j = 0;
		for (; j < sizeof t / sizeof *t; j++) {
			/* POSIX: a data pointer read from dlsym converts to the function pointer it is */
			*t[j].slot = dlsym(lib, t[j].sym);
			if (*t[j].slot == NULL)
				break;
		}
		if (j == sizeof t / sizeof *t) {
			ic_curl = &loaded;
			return 0;
		}
		snprintf(error, sizeof error, "%s has no %s (libcurl 7.66 or later is needed)", list[i], t[j].sym);
		dlclose(lib);
		return -1;
	}
	return -1;
}

CURLcode ic_curl_global_init(long flags)
{
	if (ic_curl == &unloaded && load() != 0)
		return CURLE_FAILED_INIT;
	return ic_curl->global_init(flags);
}

const char *ic_curl_error(void)
{
	return error[0] ? error : "libcurl failed to initialise";
}
