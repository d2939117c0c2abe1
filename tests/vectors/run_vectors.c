/* run_vectors.c - reads every vector of spec/vectors/ (NAME.test describes NAME's archive, the
 * keys and the outcome; see spec/vectors/README.md) and prints one TAP line per vector.
 *
 * Each archive is read three times: twice with the streaming reader (no worker thread, then two),
 * fed in small pieces of random size with output windows of random size, and once through the
 * random-access API, one chunk per call. A success vector must give every entry with its SHA-256
 * (and the metadata); a failure vector must fail with the stated status and class, the streaming
 * reader must have released exactly the stated plaintext before failing, and a random-access read
 * that fails must leave the caller's buffer untouched. Last, mkvectors run again must write the
 * same bytes as the committed vectors.
 *
 * Environment: ICARC_VECTORS (the vectors), ICARC_BUILDDIR (for tests/vectors/mkvectors). With
 * arguments, reads only the named vectors (NAME or NAME.test). */
#include "config.h"

#include <dirent.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "icarc.h"
#include "tests/unit/tap.h"
#include "tests/vectors/vecutil.h"

#define MAXENT 16
#define MAXMETA 16
#define LINE_MAX_ 8192

static const char *vdir;

struct vdesc {
	char name[256], archive[256], expect[64], comment[1024], todo[1024];
	int status, random_status, keyless_status;
	char identity[4][256];
	int n_id;
	char passphrase[256];
	struct {
		char hex[65], name[4097];
		size_t size;
	} ents[MAXENT];
	int n_ents;
	struct {
		char key[256];
		uint8_t val[1024];
		size_t len;
	} meta[MAXMETA];
	int n_meta;
	size_t released;
	char released_hex[65];
	int have_released;
};

/* what a read produced */
struct result {
	int status;      /* ICARC_OK or the first error */
	char msg[600];
	int n_ents;
	char names[MAXENT][4097];
	size_t sizes[MAXENT];
	char hex[MAXENT][65];
	size_t released; /* streaming: every plaintext byte released */
	char released_hex[65];
	int saw_entry;   /* streaming: an ICARC_ENTRY came */
	char problem[1024]; /* a broken invariant of the API, whatever the outcome */
};

static char diag[4096];
#define PROBLEM(res, ...) do { if (!(res)->problem[0]) snprintf((res)->problem, sizeof (res)->problem, __VA_ARGS__); } while (0)

static int parse_desc(const char *path, struct vdesc *d)
{
	FILE *f = fopen(path, "r");
	char line[LINE_MAX_];
	if (f == NULL)
		return -1;
	memset(d, 0, sizeof *d);
	d->status = d->random_status = d->keyless_status = 1; /* unset */
	int bad = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		size_t n = strlen(line);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *colon = strstr(line, ": ");
		if (n == 0)
			continue;
		if (colon == NULL) {
			bad = 1;
			continue;
		}
		*colon = '\0';
		const char *k = line, *v = colon + 2;
		if (strcmp(k, "archive") == 0)
			snprintf(d->archive, sizeof d->archive, "%s", v);
		else if (strcmp(k, "expect") == 0)
			snprintf(d->expect, sizeof d->expect, "%s", v);
		else if (strcmp(k, "status") == 0)
			bad |= !vu_status_parse(v, &d->status);
		else if (strcmp(k, "random-status") == 0)
			bad |= !vu_status_parse(v, &d->random_status);
		else if (strcmp(k, "keyless-status") == 0)
			bad |= !vu_status_parse(v, &d->keyless_status);
		else if (strcmp(k, "identity") == 0 && d->n_id < 4)
			snprintf(d->identity[d->n_id++], sizeof d->identity[0], "%s", v);
		else if (strcmp(k, "passphrase") == 0)
			snprintf(d->passphrase, sizeof d->passphrase, "%s", v);
		else if (strcmp(k, "comment") == 0)
			snprintf(d->comment, sizeof d->comment, "%s", v);
		else if (strcmp(k, "todo") == 0)
			snprintf(d->todo, sizeof d->todo, "%s", v);
		else if (strcmp(k, "sha256") == 0 && d->n_ents < MAXENT) {
			int at = 0;
			if (sscanf(v, "%64s %zu %n", d->ents[d->n_ents].hex, &d->ents[d->n_ents].size, &at) != 2 || at == 0)
				bad = 1;
			else
				snprintf(d->ents[d->n_ents++].name, sizeof d->ents[0].name, "%s", v + at);
		} else if (strcmp(k, "meta") == 0 && d->n_meta < MAXMETA) {
			char hex[2100];
			if (sscanf(v, "%255s %2099s", d->meta[d->n_meta].key, hex) != 2)
				bad = 1;
			else if (strcmp(hex, "-") != 0 && sodium_hex2bin(d->meta[d->n_meta].val, sizeof d->meta[0].val, hex,
			                                                 strlen(hex), NULL, &d->meta[d->n_meta].len, NULL) != 0)
				bad = 1;
			d->n_meta++;
		} else if (strcmp(k, "released") == 0) {
			d->have_released = sscanf(v, "%zu %64s", &d->released, d->released_hex) == 2;
			bad |= !d->have_released;
		} else
			bad = 1;
	}
	fclose(f);
	int ok = strcmp(d->expect, "success") == 0;
	if (!d->archive[0] || !d->expect[0] || d->keyless_status == 1 || (!ok && (d->status == 1 || d->random_status == 1 || !d->have_released)))
		bad = 1;
	return bad ? -1 : 0;
}

/* ---- keys ---- */

struct keys {
	unsigned char sk[4][32];
	int n_sk;
	char pass[1024];
	size_t pass_len;
	int have_pass;
};

static int load_keys(const struct vdesc *d, struct keys *k)
{
	char path[4096], line[1024];
	memset(k, 0, sizeof *k);
	for (int i = 0; i < d->n_id; i++) {
		snprintf(path, sizeof path, "%s/%s", vdir, d->identity[i]);
		FILE *f = fopen(path, "r");
		int got = 0;
		if (f == NULL)
			return -1;
		while (!got && fgets(line, sizeof line, f) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '\0' || line[0] == '#')
				continue;
			got = icarc_identity_decode(k->sk[k->n_sk], line) == ICARC_OK;
			break;
		}
		fclose(f);
		if (!got)
			return -1;
		k->n_sk++;
	}
	if (d->passphrase[0]) {
		snprintf(path, sizeof path, "%s/%s", vdir, d->passphrase);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			return -1;
		if (fgets(k->pass, sizeof k->pass, f) == NULL)
			k->pass[0] = '\0';
		fclose(f);
		k->pass[strcspn(k->pass, "\r\n")] = '\0';
		k->pass_len = strlen(k->pass);
		k->have_pass = 1;
	}
	return 0;
}

/* ---- the streaming reader ---- */

static void stream_read(const uint8_t *a, size_t n, const struct keys *k, int workers, int no_key, uint64_t seed,
                        struct result *res)
{
	memset(res, 0, sizeof *res);
	struct icarc_reader *r = icarc_reader_new();
	size_t out_cap = 70000;
	uint8_t *obuf = malloc(out_cap);
	crypto_hash_sha256_state all, ent;
	unsigned char h[32];
	int in_entry = 0;
	if (r == NULL || obuf == NULL) {
		PROBLEM(res, "out of memory");
		goto out;
	}
	if (icarc_reader_set_option(r, ICARC_OPT_WORKERS, workers) != ICARC_OK ||
	    icarc_reader_set_option(r, ICARC_OPT_NO_KEY, no_key) != ICARC_OK)
		PROBLEM(res, "set_option failed");
	for (int i = 0; i < k->n_sk; i++)
		if (icarc_reader_add_identity(r, k->sk[i]) != ICARC_OK)
			PROBLEM(res, "add_identity failed");
	if (k->have_pass && icarc_reader_add_passphrase(r, k->pass, k->pass_len) != ICARC_OK)
		PROBLEM(res, "add_passphrase failed");
	crypto_hash_sha256_init(&all);
	size_t fed = 0, piece = 0;
	struct icarc_in in = {a, 0, 0};
	struct icarc_out out = {obuf, 1, 0};
	int ended = 0, need_input = 0;
	for (unsigned long iter = 0;; iter++) {
		if (iter > 4 * n + 100000) {
			PROBLEM(res, "the reader makes no progress");
			res->status = ICARC_E_USAGE;
			break;
		}
		if (in.pos == in.size) { /* next piece: 1..300 bytes, sometimes up to 5000 */
			fed += in.size;
			piece = (size_t)(vu_next(&seed) % 8 == 0 ? vu_range(&seed, 1, 5000) : vu_range(&seed, 1, 300));
			if (piece > n - fed)
				piece = n - fed;
			in = (struct icarc_in){a + fed, piece, 0};
		}
		out.size = (size_t)(vu_next(&seed) % 4 == 0 ? vu_range(&seed, 1, 64) : vu_range(&seed, 1, out_cap));
		out.pos = 0;
		int ev, finishing = in.size == 0 && fed == n && need_input;
		if (finishing) /* only once pull has asked for input */
			ev = icarc_reader_finish(r);
		else
			ev = icarc_reader_pull(r, &in, &out);
		/* released bytes belong to the entry open before this event */
		if (out.pos > 0) {
			if (!in_entry)
				PROBLEM(res, "plaintext released outside an entry");
			else {
				crypto_hash_sha256_update(&ent, obuf, out.pos);
				res->sizes[res->n_ents - 1] += out.pos;
			}
			crypto_hash_sha256_update(&all, obuf, out.pos);
			res->released += out.pos;
		}
		need_input = ev == ICARC_NEED_INPUT;
		if (ev == ICARC_NEED_INPUT) {
			if (in.pos != in.size)
				PROBLEM(res, "NEED_INPUT with input left");
			continue;
		}
		if (ev == ICARC_NEED_OUTPUT)
			continue;
		if (ev == ICARC_ENTRY) {
			if (in_entry)
				PROBLEM(res, "ENTRY before the previous ENTRY_END");
			if (res->n_ents == MAXENT) {
				PROBLEM(res, "too many entries");
				continue;
			}
			const char *nm = icarc_reader_entry_name(r);
			snprintf(res->names[res->n_ents], sizeof res->names[0], "%s", nm ? nm : "(null)");
			res->sizes[res->n_ents++] = 0;
			crypto_hash_sha256_init(&ent);
			in_entry = 1;
			res->saw_entry = 1;
			continue;
		}
		if (ev == ICARC_ENTRY_END) {
			if (!in_entry) {
				PROBLEM(res, "ENTRY_END without ENTRY");
				continue;
			}
			if (icarc_reader_entry_size(r) != res->sizes[res->n_ents - 1])
				PROBLEM(res, "entry_size %llu, released %zu", (unsigned long long)icarc_reader_entry_size(r),
				        res->sizes[res->n_ents - 1]);
			crypto_hash_sha256_final(&ent, h);
			sodium_bin2hex(res->hex[res->n_ents - 1], 65, h, 32);
			in_entry = 0;
			continue;
		}
		if (ev == ICARC_ARCHIVE_END) {
			if (finishing) { /* done */
				if (!ended)
					PROBLEM(res, "finish gave ARCHIVE_END but pull never did");
				res->status = ICARC_OK;
				break;
			}
			ended = 1;
			continue;
		}
		if (ev == ICARC_CHUNK_BAD) {
			PROBLEM(res, "CHUNK_BAD without ICARC_OPT_KEEP_GOING");
			continue;
		}
		if (ev >= 0) {
			PROBLEM(res, "unknown event %d", ev);
			res->status = ICARC_E_USAGE;
			break;
		}
		res->status = ev;
		snprintf(res->msg, sizeof res->msg, "%s", icarc_reader_error(r));
		/* errors are sticky */
		struct icarc_in again = {a, n, 0};
		if (icarc_reader_pull(r, &again, &out) != ev || again.pos != 0)
			PROBLEM(res, "the error %s (%s) is not sticky", vu_status_name(ev), res->msg);
		break;
	}
	if (in_entry && res->status == ICARC_OK)
		PROBLEM(res, "archive ended inside an entry");
	if (in_entry)
		crypto_hash_sha256_final(&ent, h);
	crypto_hash_sha256_final(&all, h);
	sodium_bin2hex(res->released_hex, sizeof res->released_hex, h, 32);
out:
	icarc_reader_free(r);
	free(obuf);
}

/* ---- random access ---- */

struct mem {
	const uint8_t *p;
	size_t n;
};

static int mem_read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct mem *m = ctx;
	if (off > m->n || len > m->n - off) {
		errno = EIO;
		return -1;
	}
	memcpy(buf, m->p + off, len);
	return 0;
}

/* Read every entry one chunk per call; a failed call must not touch the buffer. */
static void random_read(const uint8_t *a, size_t n, const struct keys *k, const struct vdesc *d, uint64_t seed,
                        struct result *res)
{
	memset(res, 0, sizeof *res);
	struct mem m = {a, n};
	struct icarc_archive *ar = icarc_archive_new();
	uint8_t *buf = NULL, *pattern = NULL, *whole = NULL;
	if (ar == NULL) {
		PROBLEM(res, "out of memory");
		return;
	}
	for (int i = 0; i < k->n_sk; i++)
		if (icarc_archive_add_identity(ar, k->sk[i]) != ICARC_OK)
			PROBLEM(res, "add_identity failed");
	if (k->have_pass && icarc_archive_add_passphrase(ar, k->pass, k->pass_len) != ICARC_OK)
		PROBLEM(res, "add_passphrase failed");
	int st = icarc_archive_open_cb(ar, mem_read_at, &m, n);
	if (st != ICARC_OK) {
		res->status = st;
		snprintf(res->msg, sizeof res->msg, "%s", icarc_archive_error(ar));
		if (st > 0)
			PROBLEM(res, "open returned %d", st);
		goto out;
	}
	uint32_t cs = icarc_archive_chunk_size(ar);
	buf = malloc(cs);
	pattern = malloc(cs);
	if (buf == NULL || pattern == NULL) {
		PROBLEM(res, "out of memory");
		goto out;
	}
	vu_gen_random(pattern, cs, seed);
	size_t ne = icarc_archive_entry_count(ar);
	for (size_t e = 0; e < ne && res->status == ICARC_OK; e++) {
		struct icarc_entry_info info;
		if (icarc_archive_entry(ar, e, &info) != ICARC_OK || e >= MAXENT) {
			PROBLEM(res, "entry %zu: no info", e);
			break;
		}
		snprintf(res->names[e], sizeof res->names[0], "%s", info.name);
		res->sizes[e] = info.size;
		res->n_ents++;
		if (icarc_archive_find(ar, info.name) != (int)e)
			PROBLEM(res, "find('%s') is not %zu", info.name, e);
		/* the chunk table must tile the entry */
		uint64_t sum = 0;
		for (uint64_t c = 0; c < info.chunks; c++) {
			struct icarc_chunk_info ci;
			if (icarc_archive_chunk(ar, e, c, &ci) != ICARC_OK) {
				res->status = ICARC_E_FORMAT; /* reported below if unexpected */
				snprintf(res->msg, sizeof res->msg, "chunk info: %s", icarc_archive_error(ar));
				break;
			}
			if (ci.offset != sum || ci.codec > ICARC_CODEC_ZERO)
				PROBLEM(res, "entry '%s' chunk %llu: offset %llu, codec %u", info.name, (unsigned long long)c,
				        (unsigned long long)ci.offset, ci.codec);
			sum += ci.length;
		}
		if (res->status == ICARC_OK && sum != info.size)
			PROBLEM(res, "entry '%s': chunks hold %llu bytes, size %llu", info.name, (unsigned long long)sum,
			        (unsigned long long)info.size);
		crypto_hash_sha256_state hs;
		unsigned char h[32];
		crypto_hash_sha256_init(&hs);
		free(whole);
		whole = malloc(info.size ? info.size : 1);
		if (whole == NULL) {
			PROBLEM(res, "out of memory");
			break;
		}
		for (uint64_t off = 0; off < info.size && res->status == ICARC_OK; off += cs) {
			size_t len = info.size - off < cs ? (size_t)(info.size - off) : cs;
			memcpy(buf, pattern, cs);
			st = icarc_archive_read(ar, e, off, buf, len);
			if (st != ICARC_OK) {
				res->status = st;
				snprintf(res->msg, sizeof res->msg, "%s", icarc_archive_error(ar));
				if (memcmp(buf, pattern, cs) != 0)
					PROBLEM(res, "a failed read wrote into the caller's buffer");
				break;
			}
			crypto_hash_sha256_update(&hs, buf, len);
			memcpy(whole + off, buf, len);
		}
		crypto_hash_sha256_final(&hs, h);
		sodium_bin2hex(res->hex[e], 65, h, 32);
		/* random ranges must agree with the chunk-by-chunk read */
		for (int t = 0; t < 8 && res->status == ICARC_OK && info.size > 0; t++) {
			uint64_t off = vu_range(&seed, 0, info.size - 1);
			size_t len = (size_t)vu_range(&seed, 0, info.size - off < 3 * (uint64_t)cs ? info.size - off : 3 * cs);
			uint8_t *tmp = malloc(len ? len : 1);
			if (tmp == NULL)
				break;
			if (icarc_archive_read(ar, e, off, tmp, len) != ICARC_OK || memcmp(tmp, whole + off, len) != 0)
				PROBLEM(res, "entry '%s': range %llu+%zu differs from the whole read", info.name,
				        (unsigned long long)off, len);
			free(tmp);
		}
		if (res->status == ICARC_OK) {
			uint8_t one;
			if (icarc_archive_read(ar, e, info.size, &one, 1) != ICARC_E_NOTFOUND)
				PROBLEM(res, "entry '%s': reading past the end is not ICARC_E_NOTFOUND", info.name);
		}
	}
	/* metadata, when the vector lists it */
	if (res->status == ICARC_OK && strcmp(d->expect, "success") == 0) {
		if (icarc_archive_meta_count(ar) != (size_t)d->n_meta)
			PROBLEM(res, "%zu metadata items, expected %d", icarc_archive_meta_count(ar), d->n_meta);
		for (int i = 0; i < d->n_meta; i++) {
			const void *v;
			size_t len;
			if (icarc_archive_meta_get(ar, d->meta[i].key, &v, &len) != ICARC_OK || len != d->meta[i].len ||
			    (len && memcmp(v, d->meta[i].val, len) != 0))
				PROBLEM(res, "metadata '%s' differs", d->meta[i].key);
		}
	}
out:
	icarc_archive_free(ar);
	free(buf);
	free(pattern);
	free(whole);
}

/* ---- checking ---- */

static int class_ok(const char *expect, int st, const struct result *res)
{
	if (strcmp(expect, "truncated") == 0)
		return st == ICARC_E_TRUNCATED;
	if (strcmp(expect, "checksum failure") == 0)
		return st == ICARC_E_CHECKSUM;
	if (strcmp(expect, "auth failure") == 0)
		return st == ICARC_E_AUTH;
	if (strcmp(expect, "no key") == 0)
		return st == ICARC_E_NOKEY;
	if (strcmp(expect, "header failure") == 0) /* before any entry, whatever the check */
		return st < 0 && st != ICARC_E_NOKEY && (res == NULL || (!res->saw_entry && res->released == 0));
	if (strcmp(expect, "format failure") == 0)
		return st == ICARC_E_FORMAT || st == ICARC_E_VERSION || st == ICARC_E_LIMIT || st == ICARC_E_CODEC;
	return 0;
}

#define FAIL(...) (snprintf(diag, sizeof diag, __VA_ARGS__), 0)

static int check_entries(const struct vdesc *d, const struct result *res, const char *how)
{
	if (res->n_ents != d->n_ents)
		return FAIL("%s: %d entries, expected %d", how, res->n_ents, d->n_ents);
	for (int i = 0; i < d->n_ents; i++)
		if (strcmp(res->names[i], d->ents[i].name) != 0 || res->sizes[i] != d->ents[i].size ||
		    strcmp(res->hex[i], d->ents[i].hex) != 0)
			return FAIL("%s: entry %d is '%s' (%zu bytes, sha256 %s), expected '%s' (%zu, %s)", how, i, res->names[i],
			            res->sizes[i], res->hex[i], d->ents[i].name, d->ents[i].size, d->ents[i].hex);
	return 1;
}

static int check_stream(const struct vdesc *d, const struct result *res, const char *how)
{
	if (res->problem[0])
		return FAIL("%s: %s", how, res->problem);
	if (strcmp(d->expect, "success") == 0) {
		if (res->status != ICARC_OK)
			return FAIL("%s: %s (%s)", how, vu_status_name(res->status), res->msg);
		return check_entries(d, res, how);
	}
	if (res->status != d->status)
		return FAIL("%s: status %s, expected %s (%s)", how, vu_status_name(res->status), vu_status_name(d->status),
		            res->msg);
	if (!class_ok(d->expect, res->status, res))
		return FAIL("%s: %s is not a '%s' (entry seen %d, %zu bytes released)", how, vu_status_name(res->status),
		            d->expect, res->saw_entry, res->released);
	if (res->released != d->released || strcmp(res->released_hex, d->released_hex) != 0)
		return FAIL("%s: released %zu bytes (sha256 %s), expected %zu (%s)", how, res->released, res->released_hex,
		            d->released, d->released_hex);
	if (res->status != ICARC_E_NOKEY && strstr(res->msg, "offset") == NULL)
		return FAIL("%s: the message does not name an archive offset: %s", how, res->msg);
	return 1;
}

static int check_random(const struct vdesc *d, const struct result *res)
{
	if (res->problem[0])
		return FAIL("random access: %s", res->problem);
	if (res->status != d->random_status && !(strcmp(d->expect, "success") == 0 && res->status == ICARC_OK))
		return FAIL("random access: status %s, expected %s (%s)", vu_status_name(res->status),
		            strcmp(d->expect, "success") == 0 ? "ICARC_OK" : vu_status_name(d->random_status), res->msg);
	if (strcmp(d->expect, "success") == 0 || d->random_status == ICARC_OK)
		return strcmp(d->expect, "success") == 0 ? check_entries(d, res, "random access") : 1;
	if (!class_ok(d->expect, res->status, NULL) && strcmp(d->expect, "format failure") != 0)
		return FAIL("random access: %s is not a '%s'", vu_status_name(res->status), d->expect);
	if (res->msg[0] == '\0')
		return FAIL("random access: no error message");
	return 1;
}

static int run_one(const char *name)
{
	char path[4096];
	struct vdesc d;
	struct keys k;
	size_t n;
	snprintf(path, sizeof path, "%s/%s.test", vdir, name);
	if (parse_desc(path, &d) != 0)
		return tap_ok(0, "%s: cannot parse %s", name, path);
	if (load_keys(&d, &k) != 0)
		return tap_ok(0, "%s: cannot load its keys", name);
	snprintf(path, sizeof path, "%s/%s", vdir, d.archive);
	uint8_t *a = vu_read_file(path, &n);
	if (a == NULL)
		return tap_ok(0, "%s: cannot read %s", name, path);
	/* an exact-size copy, so ASan sees any read past the end */
	uint8_t *exact = malloc(n ? n : 1);
	if (exact == NULL) {
		free(a);
		return tap_ok(0, "%s: out of memory", name);
	}
	memcpy(exact, a, n);
	free(a);
	uint64_t seed = vu_hash_str(name);
	struct result *res = malloc(sizeof *res);
	int ok = res != NULL;
	diag[0] = '\0';
	if (ok) {
		stream_read(exact, n, &k, 0, 0, seed, res);
		ok = check_stream(&d, res, "stream, no worker");
	}
	if (ok) {
		stream_read(exact, n, &k, 2, 0, seed + 1, res);
		ok = check_stream(&d, res, "stream, two workers");
	}
	if (ok) {
		random_read(exact, n, &k, &d, seed + 2, res);
		ok = check_random(&d, res);
	}
	if (ok) { /* without the key: structure and checksums only */
		struct keys none;
		memset(&none, 0, sizeof none);
		stream_read(exact, n, &none, 0, 1, seed + 3, res);
		if (res->problem[0])
			ok = FAIL("keyless: %s", res->problem);
		else if (res->status != d.keyless_status)
			ok = FAIL("keyless: status %s, expected %s (%s)", vu_status_name(res->status),
			          vu_status_name(d.keyless_status), res->msg);
	}
	free(res);
	free(exact);
	sodium_memzero(&k, sizeof k);
	if (!ok && d.todo[0]) { /* a known shortcoming of libicarc: reported, not failed */
		TAP_DIAG("%s: %s", name, diag);
		printf("not ok %d - %s: %s # TODO %s\n", ++tap_n, name, d.expect, d.todo);
		return 0;
	}
	if (ok && d.todo[0])
		TAP_DIAG("%s passes now: drop its todo in mkvectors.c (%s)", name, d.todo);
	if (!ok)
		TAP_DIAG("%s: %s", name, diag);
	if (strcmp(d.expect, "success") == 0)
		return tap_ok(ok, "%s: success (%s)", name, d.comment);
	return tap_ok(ok, "%s: %s, %s (%s)", name, d.expect, vu_status_name(d.status), d.comment);
}

static int cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Sorted names in `dir` ending in `suffix` (suffix stripped when strip). */
static char **list(const char *dir, const char *suffix, int strip, size_t *count)
{
	DIR *dp = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0, sl = strlen(suffix);
	*count = 0;
	if (dp == NULL)
		return NULL;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l <= sl || strcmp(de->d_name + l - sl, suffix) != 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			char **t = realloc(names, cap * sizeof *t);
			if (t == NULL)
				break;
			names = t;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL)
			break;
		if (strip)
			names[n][l - sl] = '\0';
		n++;
	}
	closedir(dp);
	if (n > 1) /* qsort must not get a NULL array */
		qsort(names, n, sizeof *names, cmp);
	*count = n;
	return names;
}

static void free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Every archive is read by some description. */
static void check_orphans(char **tests, size_t nt)
{
	size_t na;
	char **arcs = list(vdir, ".icarc", 0, &na);
	size_t orphans = 0;
	for (size_t i = 0; i < na; i++) {
		int used = 0;
		for (size_t j = 0; j < nt && !used; j++) {
			char path[4096];
			struct vdesc d;
			snprintf(path, sizeof path, "%s/%s.test", vdir, tests[j]);
			used = parse_desc(path, &d) == 0 && strcmp(d.archive, arcs[i]) == 0;
		}
		if (!used) {
			TAP_DIAG("%s is read by no .test file", arcs[i]);
			orphans++;
		}
	}
	tap_ok(orphans == 0 && na > 0, "every one of %zu archives has a description", na);
	free_list(arcs, na);
}

/* Compare two files; 0 when equal. */
static int same_file(const char *x, const char *y)
{
	size_t nx, ny;
	uint8_t *a = vu_read_file(x, &nx), *b = vu_read_file(y, &ny);
	int same = a && b && nx == ny && memcmp(a, b, nx) == 0;
	free(a);
	free(b);
	return same;
}

static int compare_dirs(const char *fresh, const char *sub)
{
	char fd[4096], cd[4096], fp[8192], cp[8192];
	snprintf(fd, sizeof fd, "%s%s", fresh, sub);
	snprintf(cd, sizeof cd, "%s%s", vdir, sub);
	int bad = 0;
	/* every generated file is committed, byte for byte; every committed one is generated */
	static const char *const kinds[] = {".icarc", ".test", ".key", ".pub", ".txt"};
	for (size_t t = 0; t < sizeof kinds / sizeof kinds[0]; t++) {
		size_t nf, nc;
		char **f = list(fd, kinds[t], 0, &nf), **c = list(cd, kinds[t], 0, &nc);
		for (size_t i = 0; i < nf; i++) {
			snprintf(fp, sizeof fp, "%s/%s", fd, f[i]);
			snprintf(cp, sizeof cp, "%s/%s", cd, f[i]);
			if (!same_file(fp, cp)) {
				TAP_DIAG("mkvectors writes %s%s/%s differently from the committed one", "spec/vectors", sub, f[i]);
				bad = 1;
			}
		}
		if (nf != nc) {
			TAP_DIAG("mkvectors writes %zu %s files in %s, %zu are committed", nf, kinds[t], cd, nc);
			bad = 1;
		}
		free_list(f, nf);
		free_list(c, nc);
	}
	return bad;
}

static void rm_tree(const char *dir)
{
	static const char *const subs[] = {"/keys", ""};
	for (int s = 0; s < 2; s++) {
		char d[4096];
		snprintf(d, sizeof d, "%s%s", dir, subs[s]);
		DIR *dp = opendir(d);
		if (dp == NULL)
			continue;
		struct dirent *de;
		while ((de = readdir(dp)) != NULL) {
			char p[8192];
			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof p, "%s/%s", d, de->d_name);
			unlink(p);
		}
		closedir(dp);
		rmdir(d);
	}
}

static void check_reproducible(void)
{
	const char *bd = getenv("ICARC_BUILDDIR");
	char prog[4096], tmpl[] = "/tmp/icarc-vectors-XXXXXX";
	if (bd == NULL) {
		tap_skip("ICARC_BUILDDIR is not set: cannot run mkvectors");
		return;
	}
	snprintf(prog, sizeof prog, "%s/tests/vectors/mkvectors", bd);
	if (access(prog, X_OK) != 0) {
		tap_skip("tests/vectors/mkvectors is not built");
		return;
	}
	/* zstd writes the compressed bytes: another version may differ, validly */
	char path[4096], want[128], have[128];
	snprintf(path, sizeof path, "%s/generated-with.txt", vdir);
	snprintf(have, sizeof have, "zstd %s\n", ZSTD_versionString());
	FILE *f = fopen(path, "r");
	if (f == NULL || fgets(want, sizeof want, f) == NULL)
		want[0] = '\0';
	if (f)
		fclose(f);
	if (strcmp(want, have) != 0) {
		want[strcspn(want, "\n")] = '\0';
		have[strcspn(have, "\n")] = '\0';
		printf("ok %d # SKIP mkvectors reproduces spec/vectors: they were written with %s, this is %s\n", ++tap_n,
		       want[0] ? want : "an unknown zstd", have);
		return;
	}
	if (mkdtemp(tmpl) == NULL) {
		tap_ok(0, "mkvectors reproduces spec/vectors: cannot make a temporary directory");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl(prog, prog, tmpl, (char *)NULL);
		_exit(127);
	}
	int wst = 0;
	int ran = pid > 0 && waitpid(pid, &wst, 0) == pid && WIFEXITED(wst) && WEXITSTATUS(wst) == 0;
	int bad = !ran || compare_dirs(tmpl, "") || compare_dirs(tmpl, "/keys");
	if (!ran)
		TAP_DIAG("%s %s failed", prog, tmpl);
	rm_tree(tmpl);
	tap_ok(!bad, "mkvectors run again writes the committed spec/vectors byte for byte");
}

int main(int argc, char **argv)
{
	vdir = getenv("ICARC_VECTORS");
	if (vdir == NULL)
		vdir = "spec/vectors";
	if (icarc_init() < 0) {
		printf("Bail out! icarc_init failed\n");
		return 1;
	}
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			char nm[1024];
			snprintf(nm, sizeof nm, "%s", argv[i]);
			size_t l = strlen(nm);
			if (l > 5 && strcmp(nm + l - 5, ".test") == 0)
				nm[l - 5] = '\0';
			run_one(nm);
		}
		return tap_done();
	}
	size_t nt;
	char **tests = list(vdir, ".test", 1, &nt);
	if (nt == 0)
		tap_ok(0, "no vectors in %s", vdir);
	for (size_t i = 0; i < nt; i++)
		run_one(tests[i]);
	check_orphans(tests, nt);
	free_list(tests, nt);
	check_reproducible();
	return tap_done();
}
