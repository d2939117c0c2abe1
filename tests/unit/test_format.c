/* test_format.c - libicarc round trips through the public API: every mode, edge sizes, entries,
 * metadata, streaming in random pieces, random access, keys, API contracts. */
#include "config.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "icarc.h"
#include "tests/unit/tap.h"

enum mode { M_NONE, M_PASS, M_RECIP };
static const char *mode_name[] = {"unencrypted", "passphrase", "recipients"};
static unsigned char pk1[32], sk1[32], pk2[32], sk2[32];
static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Memory-like content: zero pages, text, and incompressible runs. */
static void fill(uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t run = 1 + next() % 100000;
		if (run > n - i)
			run = n - i;
		switch (next() % 3) {
		case 0: memset(p + i, 0, run); break;
		case 1:
			for (size_t j = 0; j < run; j++)
				p[i + j] = "icarc backs up canisters "[j % 25];
			break;
		default:
			for (size_t j = 0; j < run; j++)
				p[i + j] = (uint8_t)next();
		}
		i += run;
	}
}

struct entry_spec {
	const char *name;
	const uint8_t *data;
	size_t size;
};

/* Write an archive of the entries, feeding input in random pieces and draining output through a
 * small buffer. Returns a malloc'd archive. */
static uint8_t *write_archive(const struct entry_spec *e, size_t n, enum mode m, uint32_t chunk, int workers, size_t *len)
{
	struct icarc_writer *w = icarc_writer_new();
	size_t cap = 1 << 16, used = 0;
	uint8_t *arc = malloc(cap), ob[7000];
	int ok = w != NULL && arc != NULL;
	ok = ok && icarc_writer_set_option(w, ICARC_OPT_CHUNK_SIZE, chunk) == ICARC_OK;
	ok = ok && icarc_writer_set_option(w, ICARC_OPT_WORKERS, workers) == ICARC_OK;
	if (m == M_PASS)
		ok = ok && icarc_writer_set_kdf(w, 1, 8192) == ICARC_OK &&
		     icarc_writer_add_passphrase(w, "correct horse", 13) == ICARC_OK;
	if (m == M_RECIP)
		ok = ok && icarc_writer_add_recipient(w, pk1) == ICARC_OK && icarc_writer_add_recipient(w, pk2) == ICARC_OK;
	ok = ok && icarc_writer_set_meta(w, "canister_id", "aaaaa-aa", 8) == ICARC_OK;
	for (size_t i = 0; ok && i <= n; i++) {
		if (i < n)
			ok = icarc_writer_begin_entry(w, e[i].name) == ICARC_OK;
		size_t pos = 0, size = i < n ? e[i].size : 0;
		int st;
		do {
			size_t piece = 1 + next() % 300000;
			if (piece > size - pos)
				piece = size - pos;
			struct icarc_in in = {i < n ? e[i].data + pos : NULL, piece, 0};
			enum icarc_push_mode mode = i == n ? ICARC_FINISH : pos + piece == size ? ICARC_END_ENTRY : ICARC_CONTINUE;
			do {
				struct icarc_out out = {ob, 1 + next() % sizeof ob, 0};
				st = icarc_writer_push(w, &out, &in, mode);
				if (used + out.pos > cap) {
					cap = 2 * (used + out.pos);
					arc = realloc(arc, cap);
				}
				memcpy(arc + used, ob, out.pos);
				used += out.pos;
			} while (st == ICARC_NEED_OUTPUT);
			pos += in.pos;
			if (st < 0) {
				TAP_DIAG("writer: %s", icarc_writer_error(w));
				ok = 0;
			}
		} while (ok && pos < size);
	}
	TAP_OK(ok && icarc_writer_offset(w) == used, "write %zu entries (%s, chunk %u, %d workers): %zu bytes", n, mode_name[m],
	       chunk, workers, used);
	icarc_writer_free(w);
	*len = used;
	return arc;
}

static int add_keys_reader(struct icarc_reader *r, enum mode m)
{
	if (m == M_PASS)
		return icarc_reader_add_passphrase(r, "correct horse", 13);
	if (m == M_RECIP)
		return icarc_reader_add_identity(r, sk2);
	return ICARC_OK;
}

/* Read the archive as a stream in random pieces; compare each entry. */
static void read_stream(const uint8_t *arc, size_t len, const struct entry_spec *e, size_t n, enum mode m, int workers)
{
	struct icarc_reader *r = icarc_reader_new();
	int ok = icarc_reader_set_option(r, ICARC_OPT_WORKERS, workers) == ICARC_OK && add_keys_reader(r, m) == ICARC_OK;
	size_t pos = 0, entry = (size_t)-1, got = 0, entries = 0, ends = 0;
	int st = 0, done = 0;
	uint8_t ob[5000];
	while (ok && !done) {
		size_t piece = 1 + next() % 200000;
		if (piece > len - pos)
			piece = len - pos;
		struct icarc_in in = {arc + pos, piece, 0};
		for (;;) {
			struct icarc_out out = {ob, 1 + next() % sizeof ob, 0};
			st = icarc_reader_pull(r, &in, &out);
			if (out.pos) {
				if (entry >= n || got + out.pos > e[entry].size || memcmp(ob, e[entry].data + got, out.pos) != 0)
					ok = 0;
				got += out.pos;
			}
			if (st == ICARC_ENTRY) {
				entry++;
				entries++;
				got = 0;
				if (entry >= n || strcmp(icarc_reader_entry_name(r), e[entry].name) != 0)
					ok = 0;
			} else if (st == ICARC_ENTRY_END) {
				ends++;
				if (got != e[entry].size || icarc_reader_entry_size(r) != got)
					ok = 0;
			} else if (st == ICARC_ARCHIVE_END) {
				done = 1;
				break;
			} else if (st == ICARC_NEED_INPUT || st < 0) {
				break;
			}
		}
		pos += in.pos;
		if (st < 0) {
			TAP_DIAG("reader: %s", icarc_reader_error(r));
			ok = 0;
		}
		if (!done && pos == len && st == ICARC_NEED_INPUT) {
			TAP_DIAG("finish: %d %s", icarc_reader_finish(r), icarc_reader_error(r));
			ok = 0;
		}
	}
	TAP_OK(ok && done && entries == n && ends == n && pos == len && icarc_reader_finish(r) == ICARC_ARCHIVE_END,
	       "stream read (%s, %d workers): %zu entries identical", mode_name[m], workers, n);
	icarc_reader_free(r);
}

struct mem { const uint8_t *p; size_t n; };
static int mem_read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem *m = ctx;
	if (off > m->n || len > m->n - off)
		return -1;
	memcpy(buf, m->p + off, len);
	return 0;
}

static void read_random(const uint8_t *arc, size_t len, const struct entry_spec *e, size_t n, enum mode m, uint32_t chunk)
{
	struct icarc_archive *a = icarc_archive_new();
	struct mem mem = {arc, len};
	int st = m == M_PASS ? icarc_archive_add_passphrase(a, "correct horse", 13)
	         : m == M_RECIP ? icarc_archive_add_identity(a, sk1) : ICARC_OK;
	if (st == ICARC_OK)
		st = icarc_archive_open_cb(a, mem_read_at, &mem, len);
	int ok = st == ICARC_OK && icarc_archive_entry_count(a) == n && icarc_archive_encrypted(a) == (m != M_NONE) &&
	         icarc_archive_chunk_size(a) == chunk;
	if (st != ICARC_OK)
		TAP_DIAG("open: %s", icarc_archive_error(a));
	const void *v;
	size_t vl;
	ok = ok && icarc_archive_meta_get(a, "canister_id", &v, &vl) == ICARC_OK && vl == 8 && memcmp(v, "aaaaa-aa", 8) == 0;
	uint8_t *buf = malloc(300000);
	for (size_t i = 0; ok && i < n; i++) {
		struct icarc_entry_info info;
		ok = icarc_archive_entry(a, i, &info) == ICARC_OK && info.size == e[i].size && strcmp(info.name, e[i].name) == 0 &&
		     icarc_archive_find(a, e[i].name) == (int)i;
		ok = ok && info.chunks == (e[i].size ? (e[i].size + chunk - 1) / chunk : 1);
		/* every chunk's index hash is the XXH3-128 of its plaintext */
		for (uint64_t c = 0; ok && c < info.chunks; c++) {
			struct icarc_chunk_info ci;
			XXH128_canonical_t h;
			ok = icarc_archive_chunk(a, i, c, &ci) == ICARC_OK && ci.offset == c * chunk;
			size_t l = e[i].size - ci.offset < chunk ? e[i].size - ci.offset : chunk;
			XXH128_canonicalFromHash(&h, XXH3_128bits(e[i].data + ci.offset, l));
			ok = ok && ci.length == l && memcmp(h.digest, ci.hash, 16) == 0;
		}
		for (int k = 0; ok && k < 20 && e[i].size; k++) {
			uint64_t off = next() % e[i].size;
			size_t l = (size_t)(next() % 300000);
			if (l > e[i].size - off)
				l = e[i].size - off;
			ok = icarc_archive_read(a, i, off, buf, l) == ICARC_OK && memcmp(buf, e[i].data + off, l) == 0;
		}
		ok = ok && icarc_archive_read(a, i, e[i].size, buf, 1) == ICARC_E_NOTFOUND;
	}
	TAP_OK(ok, "random access (%s): entries, chunk hashes, metadata and 20 random ranges per entry", mode_name[m]);
	free(buf);
	icarc_archive_free(a);
}

static void roundtrip(const struct entry_spec *e, size_t n, enum mode m, uint32_t chunk, int workers)
{
	size_t len;
	uint8_t *arc = write_archive(e, n, m, chunk, workers, &len);
	read_stream(arc, len, e, n, m, workers);
	read_random(arc, len, e, n, m, chunk);
	free(arc);
}

static void test_sizes(void)
{
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 1048575, 1048576, 1048577};
	uint8_t *data = malloc(1048577);
	fill(data, 1048577);
	for (int m = M_NONE; m <= M_RECIP; m++)
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			struct entry_spec e = {"stable_memory", data, sizes[i]};
			TAP_DIAG("size %zu, %s", sizes[i], mode_name[m]);
			roundtrip(&e, 1, (enum mode)m, i % 2 ? ICARC_CHUNK_DEFAULT : 65536, (int)(i % 3));
		}
	free(data);
}

static void test_entries(void)
{
	uint8_t *a = malloc(3 << 20), *b = malloc(200000);
	fill(a, 3 << 20);
	fill(b, 200000);
	struct entry_spec e[] = {{"wasm_module", b, 200000}, {"wasm_memory", a, 3 << 20}, {"empty", a, 0},
	                         {"stable_memory", a + 5, (3 << 20) - 5}, {"wasm_chunk/0a1b", b, 1}};
	for (int m = M_NONE; m <= M_RECIP; m++)
		roundtrip(e, 5, (enum mode)m, 65536 * 4, 2);
	free(a);
	free(b);
}

/* 100 MiB of sparse memory: zero chunks cost nothing to store. */
static void test_sparse(void)
{
	size_t n = 100u << 20;
	uint8_t *mem = calloc(n, 1);
	for (size_t i = 0; i < 40; i++)
		fill(mem + (next() % (n - 70000)), 70000);
	struct entry_spec e = {"stable_memory", mem, n};
	size_t len;
	uint8_t *arc = write_archive(&e, 1, M_RECIP, ICARC_CHUNK_DEFAULT, 2, &len);
	TAP_OK(len < 8u << 20, "100 MiB sparse image stores in %zu bytes", len);
	read_stream(arc, len, &e, 1, M_RECIP, 2);
	read_random(arc, len, &e, 1, M_RECIP, ICARC_CHUNK_DEFAULT);
	free(arc);
	free(mem);
}

static void test_keys(void)
{
	uint8_t data[100000];
	fill(data, sizeof data);
	struct entry_spec e = {"x", data, sizeof data};
	size_t len;
	uint8_t *arc = write_archive(&e, 1, M_RECIP, 65536, 0, &len);
	unsigned char pk3[32], sk3[32];
	icarc_keygen(pk3, sk3);
	uint8_t ob[1 << 17];
	for (int k = 0; k < 3; k++) {
		struct icarc_reader *r = icarc_reader_new();
		int added = k == 1 ? icarc_reader_add_identity(r, sk3) : k == 2 ? icarc_reader_add_passphrase(r, "guess", 5) : 0;
		TAP_IS(added, ICARC_OK, "key added");
		struct icarc_in in = {arc, len, 0};
		struct icarc_out out = {ob, sizeof ob, 0};
		int st = icarc_reader_pull(r, &in, &out);
		TAP_OK(st == ICARC_E_NOKEY && out.pos == 0 && icarc_reader_pull(r, &in, &out) == ICARC_E_NOKEY,
		       "%s: ICARC_E_NOKEY, no plaintext, sticky (%s)", k == 0 ? "no key" : k == 1 ? "wrong identity" : "wrong passphrase",
		       icarc_reader_error(r));
		icarc_reader_free(r);
	}
	struct icarc_reader *r = icarc_reader_new();
	TAP_IS(icarc_reader_set_option(r, ICARC_OPT_NO_KEY, 1), ICARC_OK, "no-key option");
	struct icarc_in in = {arc, len, 0};
	int st, evs = 0;
	while ((st = icarc_reader_pull(r, &in, NULL)) > 0 && st != ICARC_ARCHIVE_END && st != ICARC_NEED_INPUT)
		evs++;
	TAP_OK(st == ICARC_ARCHIVE_END && evs == 2 && icarc_reader_entry_name(r) == NULL,
	       "no-key mode checks structure to the end without decrypting (%s)", icarc_reader_error(r));
	icarc_reader_free(r);
	free(arc);

	char text[ICARC_RECIPIENT_MAXLEN], id[ICARC_IDENTITY_MAXLEN];
	unsigned char back[32];
	icarc_recipient_encode(text, pk1);
	TAP_OK(strncmp(text, "icarc1", 6) == 0 && strlen(text) == 64 && icarc_recipient_decode(back, text) == ICARC_OK &&
	       memcmp(back, pk1, 32) == 0, "recipient text round trip: %s", text);
	text[20] = text[20] == 'a' ? 'b' : 'a';
	TAP_OK(icarc_recipient_decode(back, text) == ICARC_E_FORMAT, "a mistyped recipient is refused");
	icarc_identity_encode(id, sk1);
	TAP_OK(icarc_identity_decode(back, id) == ICARC_OK && memcmp(back, sk1, 32) == 0 &&
	       icarc_identity_decode(back, "ICARC-SECRET-KEY-1AAAA") == ICARC_E_FORMAT, "identity text round trip");
	unsigned char pk[32];
	icarc_sk_to_pk(pk, sk1);
	TAP_MEM(pk, pk1, 32, "public key from secret key");
}

static void test_api(void)
{
	/* status numbers are API: pinned */
	TAP_OK(ICARC_E_USAGE == -1 && ICARC_E_NOMEM == -2 && ICARC_E_IO == -3 && ICARC_E_FORMAT == -10 &&
	       ICARC_E_VERSION == -11 && ICARC_E_TRUNCATED == -12 && ICARC_E_LIMIT == -13 && ICARC_E_CHECKSUM == -20 &&
	       ICARC_E_AUTH == -21 && ICARC_E_NOKEY == -22 && ICARC_E_CODEC == -30 && ICARC_E_NOTFOUND == -31,
	       "status codes keep their numbers");
	TAP_OK(icarc_publickeybytes() == ICARC_PUBLICKEYBYTES && icarc_secretkeybytes() == ICARC_SECRETKEYBYTES &&
	       icarc_hashbytes() == ICARC_HASHBYTES && icarc_idbytes() == ICARC_IDBYTES &&
	       icarc_chunk_default() == ICARC_CHUNK_DEFAULT && icarc_version_number() == ICARC_VERSION_NUMBER,
	       "constants: macro == function");
	for (int s = -31; s <= 6; s++)
		if (icarc_strerror(s) == NULL)
			TAP_OK(0, "strerror(%d) is NULL", s);
	TAP_OK(strcmp(icarc_strerror(12345), "unknown status") == 0, "strerror of an unknown status");

	struct icarc_writer *w = icarc_writer_new();
	uint8_t ob[4096];
	struct icarc_out out = {ob, sizeof ob, 0};
	struct icarc_in in = {"abc", 3, 0};
	struct icarc_in none = {NULL, 0, 0};
	int peek_ok = icarc_writer_add_recipient(w, pk1) == ICARC_OK && icarc_writer_begin_entry(w, "e") == ICARC_OK &&
	              icarc_writer_push(w, &out, &none, ICARC_FINISH) == ICARC_OK;
	TAP_OK(peek_ok && icarc_is_archive(ob, out.pos) == 1 && icarc_is_archive(ob, 7) == 0 &&
	       icarc_is_archive("\x89ICARC\r\r", 8) == 0 && icarc_peek_encrypted(ob, ICARC_PEEKBYTES) == 1 &&
	       icarc_peek_encrypted(ob, ICARC_PEEKBYTES - 1) == -1, "icarc_is_archive / icarc_peek_encrypted");
	TAP_OK(icarc_peek_passphrase(ob, out.pos) == 0 && icarc_peek_passphrase(ob, ICARC_PEEKBYTES) == -1,
	       "icarc_peek_passphrase: recipients only (0), or a header cut short (-1)");
	icarc_writer_free(w);
	w = icarc_writer_new();
	out.pos = 0;
	peek_ok = icarc_writer_add_recipient(w, pk1) == ICARC_OK && icarc_writer_set_kdf(w, 1, 8192) == ICARC_OK &&
	          icarc_writer_add_passphrase(w, "pw", 2) == ICARC_OK && icarc_writer_begin_entry(w, "e") == ICARC_OK &&
	          icarc_writer_push(w, &out, &none, ICARC_FINISH) == ICARC_OK;
	TAP_OK(peek_ok && icarc_peek_passphrase(ob, out.pos) == 1, "icarc_peek_passphrase: a passphrase stanza after a recipient");
	icarc_writer_free(w);
	w = icarc_writer_new();
	out.pos = 0;
	peek_ok = icarc_writer_begin_entry(w, "e") == ICARC_OK && icarc_writer_push(w, &out, &none, ICARC_FINISH) == ICARC_OK;
	TAP_OK(peek_ok && icarc_peek_passphrase(ob, out.pos) == 0, "icarc_peek_passphrase: unencrypted (0)");
	icarc_writer_free(w);
	w = icarc_writer_new();
	out.pos = 0;
	TAP_IS(icarc_writer_push(w, &out, &in, ICARC_CONTINUE), ICARC_E_USAGE, "data before an entry is a usage error");
	TAP_IS(icarc_writer_begin_entry(w, "a"), ICARC_OK, "and the handle stays usable");
	TAP_IS(icarc_writer_set_option(w, ICARC_OPT_LEVEL, 5), ICARC_E_USAGE, "options after the first entry are refused");
	TAP_IS(icarc_writer_push(w, &out, &in, ICARC_END_ENTRY), ICARC_OK, "entry written");
	TAP_IS(icarc_writer_begin_entry(w, "a"), ICARC_E_USAGE, "a repeated entry name is refused");
	TAP_IS(icarc_writer_begin_entry(w, "b"), ICARC_OK, "begin an entry");
	TAP_IS(icarc_writer_begin_entry(w, "c"), ICARC_OK, "begin another before any data: b is empty");
	TAP_IS(icarc_writer_begin_entry(w, "b"), ICARC_E_USAGE, "a name waiting to begin counts as taken");
	struct icarc_in cdata = {"xyz", 3, 0};
	out.pos = 0;
	TAP_IS(icarc_writer_push(w, &out, &cdata, ICARC_FINISH), ICARC_OK, "the data goes to c");
	TAP_IS(icarc_writer_entry_count(w), 3, "three entries written");
	uint64_t bsize = 9, csize = 0;
	TAP_OK(icarc_writer_entry_state(w, 1, NULL, &bsize, NULL) == ICARC_OK && bsize == 0 &&
	       icarc_writer_entry_state(w, 2, NULL, &csize, NULL) == ICARC_OK && csize == 3, "b empty, c holds the data");
	TAP_IS(icarc_writer_set_option(NULL, ICARC_OPT_LEVEL, 5), ICARC_E_USAGE, "NULL handle");
	icarc_writer_free(w);
	icarc_writer_free(NULL);
	icarc_reader_free(NULL);
	icarc_archive_free(NULL);
	w = icarc_writer_new();
	TAP_IS(icarc_writer_set_option(w, ICARC_OPT_CHUNK_SIZE, 65536 + 1), ICARC_E_USAGE, "chunk size must be page aligned");
	TAP_IS(icarc_writer_set_option(w, ICARC_OPT_CHUNK_SIZE, 32u << 20), ICARC_E_USAGE, "chunk size at most 16 MiB");
	icarc_writer_free(w);

	struct icarc_reader *r = icarc_reader_new();
	struct icarc_in junk = {"PK\x03\x04 not an archive", 20, 0};
	TAP_IS(icarc_reader_pull(r, &junk, &out), ICARC_E_FORMAT, "not an archive: ICARC_E_FORMAT at once");
	TAP_OK(strstr(icarc_reader_error(r), "offset 0") != NULL, "and the message names the offset: %s", icarc_reader_error(r));
	icarc_reader_free(r);
	r = icarc_reader_new();
	struct icarc_in empty = {"", 0, 0};
	TAP_IS(icarc_reader_pull(r, &empty, &out), ICARC_NEED_INPUT, "empty input needs more");
	TAP_IS(icarc_reader_finish(r), ICARC_E_TRUNCATED, "and ends as truncated");
	icarc_reader_free(r);
}

/* Cut an archive at `cut`, resume it, and finish writing the same entries: the result must read
 * back as the original content. */
static int resume_once(const uint8_t *arc, size_t full_len, size_t cut, const struct entry_spec *e, size_t n, enum mode m)
{
	struct icarc_reader *r = icarc_reader_new();
	int ok = r && icarc_reader_set_option(r, ICARC_OPT_WORKERS, 1) == ICARC_OK && add_keys_reader(r, m) == ICARC_OK;
	struct icarc_in in = {arc, cut, 0};
	int st;
	while (ok && (st = icarc_reader_pull(r, &in, NULL)) > 0 && st != ICARC_NEED_INPUT && st != ICARC_ARCHIVE_END)
		;
	ok = ok && icarc_reader_finish(r) == ICARC_E_TRUNCATED;
	struct icarc_writer *w = icarc_writer_new();
	uint64_t off = 0;
	ok = ok && icarc_writer_set_option(w, ICARC_OPT_WORKERS, 2) == ICARC_OK;
	st = ok ? icarc_writer_resume(w, r, &off) : -1;
	icarc_reader_free(r);
	if (st != ICARC_OK) {
		/* only a cut inside the magic + HEADER or after the INDEX (in the footer) is refused */
		size_t hdr_end = 24 + (size_t)arc[12] + ((size_t)arc[13] << 8) + ((size_t)arc[14] << 16);
		int refusable = cut < hdr_end || cut >= full_len - 64;
		icarc_writer_free(w);
		return refusable && st == ICARC_E_USAGE ? 2 : 0;
	}
	size_t cap = cut + (32u << 20), used = off;
	uint8_t *out = malloc(cap);
	memcpy(out, arc, off);
	size_t have = icarc_writer_entry_count(w);
	for (size_t i = have ? have - 1 : 0; ok && i <= n; i++) {
		uint64_t from = 0;
		int complete = 1;
		const char *name;
		if (i < have && icarc_writer_entry_state(w, i, &name, &from, &complete) != ICARC_OK)
			ok = 0;
		if (i < have && complete)
			continue;
		if (i >= have && i < n && icarc_writer_begin_entry(w, e[i].name) != ICARC_OK)
			ok = 0;
		struct icarc_in d = {i < n ? e[i].data + from : NULL, i < n ? e[i].size - from : 0, 0};
		do {
			struct icarc_out o = {out + used, cap - used, 0};
			st = icarc_writer_push(w, &o, &d, i == n ? ICARC_FINISH : ICARC_END_ENTRY);
			used += o.pos;
		} while (st == ICARC_NEED_OUTPUT);
		if (st < 0) {
			TAP_DIAG("resume writer at %zu: %s", cut, icarc_writer_error(w));
			ok = 0;
		}
	}
	icarc_writer_free(w);
	/* read it all back */
	struct icarc_archive *a = icarc_archive_new();
	struct mem mem = {out, used};
	st = m == M_PASS ? icarc_archive_add_passphrase(a, "correct horse", 13) : m == M_RECIP ? icarc_archive_add_identity(a, sk1) : 0;
	ok = ok && st == ICARC_OK && icarc_archive_open_cb(a, mem_read_at, &mem, used) == ICARC_OK && icarc_archive_entry_count(a) == n;
	uint8_t *buf = malloc(4u << 20);
	for (size_t i = 0; ok && i < n; i++) {
		ok = icarc_archive_read(a, i, 0, buf, e[i].size) == ICARC_OK && memcmp(buf, e[i].data, e[i].size) == 0;
	}
	if (!ok)
		TAP_DIAG("resume at %zu (from %llu): %s", cut, (unsigned long long)off, icarc_archive_error(a));
	icarc_archive_free(a);
	free(buf);
	free(out);
	return ok;
}

static void test_resume(void)
{
	uint8_t *a = malloc(3u << 20);
	fill(a, 3u << 20);
	struct entry_spec e[] = {{"wasm_module", a + 7, 100000}, {"stable_memory", a, 3u << 20}, {"empty", a, 0}, {"z", a + 9, 70000}};
	for (int m = M_NONE; m <= M_RECIP; m++) {
		size_t len;
		uint8_t *arc = write_archive(e, 4, (enum mode)m, 65536, 2, &len);
		int good = 0, refused = 0, bad = 0;
		for (int k = 0; k < 40; k++) {
			size_t cut = k == 0 ? len - 1 : k == 1 ? 300 : (size_t)(next() % len);
			int r = resume_once(arc, len, cut, e, 4, (enum mode)m);
			good += r == 1;
			refused += r == 2;
			bad += r == 0;
		}
		TAP_OK(bad == 0 && good >= 30 && refused >= 1, "resume after 40 cuts (%s): %d resumed and complete, %d refused (cut in the header or footer)",
		       mode_name[m], good, refused);
		free(arc);
	}
	free(a);
}

int main(void)
{
	if (icarc_init() < 0)
		return 99;
	icarc_keygen(pk1, sk1);
	icarc_keygen(pk2, sk2);
	test_api();
	test_keys();
	test_sizes();
	test_entries();
	test_sparse();
	test_resume();
	return tap_done();
}
