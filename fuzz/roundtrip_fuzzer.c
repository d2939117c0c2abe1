/* roundtrip_fuzzer.c - write an archive with fuzz-chosen options, keys, entries, metadata and
 * push pieces, then read it back with the streaming reader (random windows) and with random
 * access; both must give exactly the bytes, names and metadata that went in ("Corruption!").
 * Input: knobs are read from the end (fuzz_u32); the rest is a pool of bytes that entries,
 * names and metadata values are cut from. Entries may be padded with zeros or repeated past
 * chunk boundaries, so zero-run, zstd and raw chunks and multi-chunk entries all occur.
 * The random source is deterministic (libsodium's randombytes replaced before icarc_init, as
 * OSS-Fuzz's libsodium project does), so a crash reproduces byte for byte. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "icarc.h"

#define PASSPHRASE "correct horse battery staple"
#define MAX_ENTRIES 4
#define MAX_META 4

static uint64_t rng_counter;

static const char *rng_name(void)
{
	return "icarc-fuzz-deterministic";
}

static void rng_buf(void *buf, const size_t n)
{
	unsigned char seed[randombytes_SEEDBYTES] = {0};
	memcpy(seed, &rng_counter, sizeof rng_counter);
	rng_counter++;
	randombytes_buf_deterministic(buf, n, seed);
}

static uint32_t rng_random(void)
{
	uint32_t v;
	rng_buf(&v, sizeof v);
	return v;
}

static void rng_stir(void)
{
}

static int rng_close(void)
{
	return 0;
}

static struct randombytes_implementation rng_impl = {rng_name, rng_random, rng_stir, NULL, rng_buf, rng_close};

static uint32_t next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void push(struct icarc_writer *w, struct buf *o, const uint8_t *p, size_t len, enum icarc_push_mode mode,
                 uint32_t *seed)
{
	struct icarc_in in = {p, len, 0};
	for (;;) {
		size_t room = next(seed) % 4 == 0 ? 1 + next(seed) % 100 : 1 + next(seed) % 200000;
		if (o->cap - o->n < room) {
			o->cap = (o->n + room) * 2;
			o->p = realloc(o->p, o->cap);
			FUZZ_ASSERT(o->p != NULL);
		}
		struct icarc_out out = {o->p + o->n, room, 0};
		int r = icarc_writer_push(w, &out, &in, mode);
		o->n += out.pos;
		FUZZ_ASSERT_MSG(r == ICARC_OK || r == ICARC_NEED_OUTPUT, icarc_writer_error(w));
		if (r == ICARC_OK) {
			FUZZ_ASSERT(in.pos == in.size);
			return;
		}
	}
}

struct entry {
	char name[32];
	uint8_t *data;
	size_t len;
};

struct meta {
	char key[8];
	const uint8_t *value;
	size_t len;
};

struct mem {
	const uint8_t *p;
	size_t n;
};

static int read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct mem *m = ctx;
	if (off > m->n || len > m->n - off)
		return -1;
	memcpy(buf, m->p + off, len);
	return 0;
}

static void read_stream(const struct buf *arc, const struct entry *ents, int n_ents, int mode, const unsigned char *sk,
                        uint32_t seed)
{
	struct icarc_reader *r = icarc_reader_new();
	static uint8_t out_buf[200000];
	FUZZ_ASSERT(r != NULL && icarc_reader_set_option(r, ICARC_OPT_WORKERS, next(&seed) % 2) == ICARC_OK);
	if (mode & 1)
		FUZZ_ASSERT(icarc_reader_add_identity(r, sk) == ICARC_OK);
	if ((mode & 2) && (!(mode & 1) || next(&seed) % 2))
		FUZZ_ASSERT(icarc_reader_add_passphrase(r, PASSPHRASE, strlen(PASSPHRASE)) == ICARC_OK);
	size_t fed = 0, at = 0;
	int cur = -1, need_input = 0, done = 0;
	struct icarc_in in = {arc->p, 0, 0};
	while (!done) {
		if (in.pos == in.size && fed + in.size < arc->n) {
			fed += in.size;
			size_t piece = 1 + next(&seed) % 5000;
			in = (struct icarc_in){arc->p + fed, piece < arc->n - fed ? piece : arc->n - fed, 0};
		}
		struct icarc_out out = {out_buf, 1 + next(&seed) % sizeof out_buf, 0};
		int finishing = need_input && in.pos == in.size && fed + in.size == arc->n;
		int ev = finishing ? icarc_reader_finish(r) : icarc_reader_pull(r, &in, &out);
		FUZZ_ASSERT_MSG(ev > 0, icarc_reader_error(r));
		if (out.pos) {
			FUZZ_ASSERT(cur >= 0 && at + out.pos <= ents[cur].len);
			FUZZ_ASSERT_MSG(memcmp(out_buf, ents[cur].data + at, out.pos) == 0, "Corruption!");
			at += out.pos;
		}
		need_input = ev == ICARC_NEED_INPUT;
		switch (ev) {
		case ICARC_ENTRY:
			cur++;
			at = 0;
			FUZZ_ASSERT(cur < n_ents && strcmp(icarc_reader_entry_name(r), ents[cur].name) == 0);
			break;
		case ICARC_ENTRY_END:
			FUZZ_ASSERT_MSG(at == ents[cur].len, "entry too short");
			break;
		case ICARC_ARCHIVE_END:
			done = finishing;
			break;
		case ICARC_NEED_INPUT:
		case ICARC_NEED_OUTPUT:
			break;
		default:
			FUZZ_ASSERT_MSG(0, "unexpected event");
		}
	}
	FUZZ_ASSERT_MSG(cur == n_ents - 1, "entries missing");
	icarc_reader_free(r);
}

static void read_random(const struct buf *arc, const struct entry *ents, int n_ents, const struct meta *meta,
                        int n_meta, int mode, const unsigned char *sk, uint32_t chunk_size)
{
	struct mem m = {arc->p, arc->n};
	struct icarc_archive *a = icarc_archive_new();
	FUZZ_ASSERT(a != NULL);
	if (mode & 1)
		FUZZ_ASSERT(icarc_archive_add_identity(a, sk) == ICARC_OK);
	else if (mode & 2)
		FUZZ_ASSERT(icarc_archive_add_passphrase(a, PASSPHRASE, strlen(PASSPHRASE)) == ICARC_OK);
	FUZZ_ASSERT_MSG(icarc_archive_open_cb(a, read_at, &m, arc->n) == ICARC_OK, icarc_archive_error(a));
	FUZZ_ASSERT(icarc_archive_encrypted(a) == (mode != 0));
	FUZZ_ASSERT(icarc_archive_chunk_size(a) == chunk_size);
	FUZZ_ASSERT(icarc_archive_entry_count(a) == (size_t)n_ents);
	for (int e = 0; e < n_ents; e++) {
		struct icarc_entry_info info;
		FUZZ_ASSERT(icarc_archive_entry(a, (size_t)e, &info) == ICARC_OK);
		FUZZ_ASSERT(strcmp(info.name, ents[e].name) == 0 && info.size == ents[e].len);
		uint8_t *got = malloc(ents[e].len ? ents[e].len : 1);
		FUZZ_ASSERT(got != NULL);
		FUZZ_ASSERT_MSG(icarc_archive_read(a, (size_t)e, 0, got, ents[e].len) == ICARC_OK, icarc_archive_error(a));
		FUZZ_ASSERT_MSG(memcmp(got, ents[e].data, ents[e].len) == 0, "Corruption!");
		free(got);
	}
	/* metadata: the last value set for each key */
	size_t distinct = 0;
	for (int i = 0; i < n_meta; i++) {
		int last = 1;
		for (int j = i + 1; j < n_meta; j++)
			last &= strcmp(meta[i].key, meta[j].key) != 0;
		if (!last)
			continue;
		distinct++;
		const void *v;
		size_t len;
		FUZZ_ASSERT(icarc_archive_meta_get(a, meta[i].key, &v, &len) == ICARC_OK);
		FUZZ_ASSERT_MSG(len == meta[i].len && (len == 0 || memcmp(v, meta[i].value, len) == 0), "metadata differs");
	}
	FUZZ_ASSERT(icarc_archive_meta_count(a) == distinct);
	icarc_archive_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	static unsigned char pk[ICARC_PUBLICKEYBYTES], sk[ICARC_SECRETKEYBYTES];
	if (!init) {
		/* before icarc_init (sodium_init): libsodium takes its generator once */
		FUZZ_ASSERT(randombytes_set_implementation(&rng_impl) == 0);
		FUZZ_ASSERT(icarc_init() >= 0);
		FUZZ_ASSERT(icarc_keygen(pk, sk) == ICARC_OK);
		init = 1;
	}
	struct fuzz_producer fp = {data, size};
	int mode = (int)fuzz_u32(&fp, 0, 3); /* bit 0: recipient, bit 1: passphrase */
	uint32_t chunk_size = ICARC_CHUNK_ALIGN * fuzz_u32(&fp, 1, 2);
	int level = (int)fuzz_u32(&fp, 1, 3);
	int n_ents = (int)fuzz_u32(&fp, 0, MAX_ENTRIES);
	int n_meta = (int)fuzz_u32(&fp, 0, MAX_META);
	uint32_t seed = fuzz_u32(&fp, 1, 0x7fffffff);
	const uint8_t *pool = data;
	size_t pool_len = fp.size, used = 0;

	struct entry ents[MAX_ENTRIES];
	struct meta meta[MAX_META];
	for (int e = 0; e < n_ents; e++) {
		size_t take = fuzz_u32(&fp, 0, (uint32_t)(pool_len - used));
		int shape = (int)fuzz_u32(&fp, 0, 3);
		size_t len = take;
		if (shape == 1) /* zero padded to a few chunks: zero runs */
			len = take + chunk_size * fuzz_u32(&fp, 0, 3) + fuzz_u32(&fp, 0, 100);
		else if (shape == 2) /* repeated: compressible, crosses chunk boundaries */
			len = take ? fuzz_u32(&fp, 1, 3 * chunk_size) : 0;
		else if (shape == 3) /* repeated to end exactly on a chunk boundary */
			len = take ? chunk_size * fuzz_u32(&fp, 1, 2) : 0;
		ents[e].data = calloc(1, len ? len : 1);
		FUZZ_ASSERT(ents[e].data != NULL);
		ents[e].len = len;
		for (size_t i = 0; take && i < (shape >= 2 ? len : take); i += take)
			memcpy(ents[e].data + i, pool + used, len - i < take ? len - i : take);
		/* names: a few pool bytes made printable, and the index to keep them unique */
		int nl = snprintf(ents[e].name, sizeof ents[e].name, "e%d-", e);
		for (size_t i = 0; i < 8 && used + i < pool_len; i++)
			ents[e].name[nl++] = (char)(33 + pool[used + i] % 94);
		ents[e].name[nl] = '\0';
		used += take;
	}
	for (int i = 0; i < n_meta; i++) {
		snprintf(meta[i].key, sizeof meta[i].key, "k%u", fuzz_u32(&fp, 0, 2)); /* keys may repeat */
		size_t take = fuzz_u32(&fp, 0, (uint32_t)(pool_len - used < 300 ? pool_len - used : 300));
		meta[i].value = pool + used;
		meta[i].len = take;
		used += take;
	}

	struct icarc_writer *w = icarc_writer_new();
	FUZZ_ASSERT(w != NULL);
	FUZZ_ASSERT(icarc_writer_set_option(w, ICARC_OPT_CHUNK_SIZE, chunk_size) == ICARC_OK);
	FUZZ_ASSERT(icarc_writer_set_option(w, ICARC_OPT_LEVEL, level) == ICARC_OK);
	FUZZ_ASSERT(icarc_writer_set_option(w, ICARC_OPT_WORKERS, 0) == ICARC_OK);
	if (mode & 1)
		FUZZ_ASSERT(icarc_writer_add_recipient(w, pk) == ICARC_OK);
	if (mode & 2) {
		FUZZ_ASSERT(icarc_writer_set_kdf(w, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN) == ICARC_OK);
		FUZZ_ASSERT(icarc_writer_add_passphrase(w, PASSPHRASE, strlen(PASSPHRASE)) == ICARC_OK);
	}
	struct buf arc = {0};
	int meta_done = 0;
	for (int e = 0; e <= n_ents; e++) {
		/* metadata before some entry (or at the end): the writer puts it between entries */
		while (meta_done < n_meta && (e == n_ents || next(&seed) % 2)) {
			FUZZ_ASSERT(icarc_writer_set_meta(w, meta[meta_done].key, meta[meta_done].value, meta[meta_done].len) ==
			            ICARC_OK);
			meta_done++;
		}
		if (e == n_ents)
			break;
		FUZZ_ASSERT(icarc_writer_begin_entry(w, ents[e].name) == ICARC_OK);
		size_t pos = 0;
		while (pos < ents[e].len) { /* pieces of random size, the last maybe with END_ENTRY */
			size_t piece = next(&seed) % 3 == 0 ? 1 + next(&seed) % 64 : 1 + next(&seed) % (2 * chunk_size);
			if (piece > ents[e].len - pos)
				piece = ents[e].len - pos;
			int last = pos + piece == ents[e].len && next(&seed) % 2;
			push(w, &arc, ents[e].data + pos, piece, last ? ICARC_END_ENTRY : ICARC_CONTINUE, &seed);
			pos += piece;
			if (last)
				goto ended;
		}
		if (next(&seed) % 2) /* else the next begin_entry, or ICARC_FINISH, ends it */
			push(w, &arc, NULL, 0, ICARC_END_ENTRY, &seed);
		else if (ents[e].len == 0) /* begin_entry twice in a row is refused: push once between */
			push(w, &arc, NULL, 0, ICARC_CONTINUE, &seed);
	ended:;
	}
	push(w, &arc, NULL, 0, ICARC_FINISH, &seed);
	FUZZ_ASSERT(icarc_writer_offset(w) == arc.n);
	icarc_writer_free(w);

	read_stream(&arc, ents, n_ents, mode, sk, seed);
	read_random(&arc, ents, n_ents, meta, n_meta, mode, sk, chunk_size);

	free(arc.p);
	for (int e = 0; e < n_ents; e++)
		free(ents[e].data);
	return 0;
}
