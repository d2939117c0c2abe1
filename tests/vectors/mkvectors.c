/* mkvectors.c - writes the test vectors of spec/vectors/ (README.md there says what they are):
 * golden archives, the keys that open them, and negative vectors made by cutting, flipping,
 * swapping and splicing records; one NAME.test description per vector.
 *
 *   mkvectors OUTDIR
 *
 * Deterministic: libsodium's random source is replaced, before icarc_init(), by a generator
 * that is reseeded from a label before each key and archive, so every run writes the same bytes
 * and a new vector does not change the others. This is for test builds only: nothing in
 * libicarc can make its randomness predictable. Writers run with no worker threads, since chunk
 * nonces are drawn on the workers and their order would otherwise follow thread timing. */
#include "config.h"

#include <sodium.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>
#include <zstd.h>

#include "icarc.h"
#include "tests/vectors/vecutil.h"
#include "wire.h"

#define CS 65536U /* chunk size of the vectors: multi-chunk archives stay small */
#define MAXREC 256

static const char *outdir;

/* ---- deterministic randomness ---- */

static unsigned char det_seed[randombytes_SEEDBYTES];
static uint64_t det_counter;

static const char *det_name(void)
{
	return "icarc-mkvectors-deterministic";
}

static void det_buf(void *buf, const size_t n)
{
	unsigned char seed[randombytes_SEEDBYTES];
	memcpy(seed, det_seed, sizeof seed);
	for (int i = 0; i < 8; i++)
		seed[i] ^= (unsigned char)(det_counter >> (8 * i));
	det_counter++;
	randombytes_buf_deterministic(buf, n, seed);
}

static uint32_t det_random(void)
{
	uint32_t v;
	det_buf(&v, sizeof v);
	return v;
}

static void det_stir(void)
{
}

static int det_close(void)
{
	return 0;
}

static struct randombytes_implementation det_impl = {det_name, det_random, det_stir, NULL, det_buf, det_close};

/* Every key and archive draws from its own stream, named by a label. */
static void det_reseed(const char *label)
{
	crypto_generichash(det_seed, sizeof det_seed, (const unsigned char *)label, strlen(label),
	                   (const unsigned char *)"icarc test vectors", 18);
	det_counter = 0;
}

/* ---- helpers ---- */

static void die(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2), noreturn))
#endif
	;
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "mkvectors: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void put_file(const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", outdir, name);
	if (vu_write_file(path, p, n) != 0)
		die("cannot write %s: %s", path, strerror(errno));
}

struct ent {
	const char *name;
	const uint8_t *data;
	size_t len;
};

struct meta {
	const char *key;
	const void *value;
	size_t len;
};

struct spec {
	const char *seed;      /* label of the randomness */
	uint32_t chunk_size;   /* 0: the library's default */
	const unsigned char *rcpt; /* n_rcpt public keys of 32 bytes */
	int n_rcpt;
	const char *pass;
	const struct ent *ents;
	int n_ents;
	const struct meta *meta;
	int n_meta;
};

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void push_all(struct icarc_writer *w, struct buf *b, const void *data, size_t len, enum icarc_push_mode mode)
{
	struct icarc_in in = {data, len, 0};
	for (;;) {
		if (b->cap - b->n < 65536) {
			b->cap = b->cap ? b->cap * 2 : 1 << 20;
			b->p = realloc(b->p, b->cap);
			if (b->p == NULL)
				die("out of memory");
		}
		struct icarc_out out = {b->p, b->cap, b->n};
		int r = icarc_writer_push(w, &out, &in, mode);
		b->n = out.pos;
		if (r == ICARC_OK)
			return;
		if (r != ICARC_NEED_OUTPUT)
			die("writer: %s", icarc_writer_error(w));
	}
}

static uint8_t *build(const struct spec *s, size_t *len)
{
	det_reseed(s->seed);
	struct icarc_writer *w = icarc_writer_new();
	struct buf b = {0};
	if (w == NULL)
		die("out of memory");
	if (icarc_writer_set_option(w, ICARC_OPT_WORKERS, 0) != ICARC_OK ||
	    icarc_writer_set_option(w, ICARC_OPT_CHUNK_SIZE, s->chunk_size ? s->chunk_size : ICARC_CHUNK_DEFAULT) != ICARC_OK ||
	    icarc_writer_set_option(w, ICARC_OPT_LEVEL, 3) != ICARC_OK)
		die("writer options: %s", icarc_writer_error(w));
	for (int i = 0; i < s->n_rcpt; i++)
		if (icarc_writer_add_recipient(w, s->rcpt + 32 * i) != ICARC_OK)
			die("recipient: %s", icarc_writer_error(w));
	if (s->pass) {
		/* the cheapest Argon2id libsodium allows: vectors are read thousands of times */
		if (icarc_writer_set_kdf(w, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN) != ICARC_OK ||
		    icarc_writer_add_passphrase(w, s->pass, strlen(s->pass)) != ICARC_OK)
			die("passphrase: %s", icarc_writer_error(w));
	}
	for (int i = 0; i < s->n_meta; i++)
		if (icarc_writer_set_meta(w, s->meta[i].key, s->meta[i].value, s->meta[i].len) != ICARC_OK)
			die("meta: %s", icarc_writer_error(w));
	for (int i = 0; i < s->n_ents; i++) {
		if (icarc_writer_begin_entry(w, s->ents[i].name) != ICARC_OK)
			die("entry: %s", icarc_writer_error(w));
		push_all(w, &b, s->ents[i].data, s->ents[i].len, ICARC_END_ENTRY);
	}
	push_all(w, &b, NULL, 0, ICARC_FINISH);
	icarc_writer_free(w);
	*len = b.n;
	return b.p;
}

/* ---- keys ---- */

static unsigned char pk_alice[32], pk_bob[32], pk_carol[32]; /* no archive is encrypted to carol */

static void make_key(const char *who, unsigned char pk[32])
{
	char label[64], text[ICARC_IDENTITY_MAXLEN], rcpt[ICARC_RECIPIENT_MAXLEN], file[64], body[512];
	unsigned char sk[32];
	snprintf(label, sizeof label, "key %s", who);
	det_reseed(label);
	if (icarc_keygen(pk, sk) != ICARC_OK || icarc_identity_encode(text, sk) != ICARC_OK ||
	    icarc_recipient_encode(rcpt, pk) != ICARC_OK)
		die("keygen");
	snprintf(body, sizeof body, "# icarc identity of the test vectors (public: never use it for real data)\n"
	                            "# recipient: %s\n%s\n", rcpt, text);
	snprintf(file, sizeof file, "keys/%s.key", who);
	put_file(file, body, strlen(body));
	snprintf(body, sizeof body, "%s\n", rcpt);
	snprintf(file, sizeof file, "keys/%s.pub", who);
	put_file(file, body, strlen(body));
	sodium_memzero(sk, sizeof sk);
}

#define PASSPHRASE "correct horse battery staple"
#define WRONG_PASSPHRASE "Correct horse battery staple"

/* ---- descriptions ---- */

struct desc {
	const char *name;
	const char *archive;    /* file, NULL: NAME.icarc */
	const char *expect;
	int status, random_status;
	const char *identity[2];
	const char *passphrase;
	const char *comment;
	const struct ent *ents; /* success: the entries; failure: the plaintext before the failure */
	int n_ents;
	const struct meta *meta;
	int n_meta;
	size_t released;        /* failure: plaintext bytes the streaming reader releases first */
	const char *todo;       /* a known shortcoming of libicarc on this vector (run_vectors: TODO) */
};

/* What a reader that checks without the key (ICARC_OPT_NO_KEY: structure, record checksums,
 * the footer's record count and digest, and plaintext hashes of unencrypted chunks) must say;
 * vectors not listed read as complete. */
static const struct {
	const char *name;
	int status;
} keyless[] = {
	{"cut_header", ICARC_E_TRUNCATED},
	{"cut_chunk", ICARC_E_TRUNCATED},
	{"cut_record_boundary", ICARC_E_TRUNCATED},
	{"cut_before_index", ICARC_E_TRUNCATED},
	{"cut_footer", ICARC_E_TRUNCATED},
	{"flip_header", ICARC_E_CHECKSUM},
	{"flip_header_resum", ICARC_E_CHECKSUM}, /* the Archive_Id seeds every later record checksum */
	{"bad_magic", ICARC_E_FORMAT},
	{"version2", ICARC_E_VERSION},
	{"flip_chunk", ICARC_E_CHECKSUM},
	/* flip_chunk_resum: only the AEAD tag could tell, and its record checksum is part of the
	 * footer's Records_Digest; the footer still holds the old one */
	{"flip_chunk_resum", ICARC_E_FORMAT},
	{"flip_chunk_plain", ICARC_E_CHECKSUM}, /* unencrypted chunks are decoded even without a key */
	{"flip_index", ICARC_E_CHECKSUM},
	{"flip_footer", ICARC_E_CHECKSUM},
	{"swap_chunks", ICARC_E_FORMAT},
	{"swap_chunks_relabel", ICARC_E_FORMAT}, /* Records_Digest */
	{"drop_chunk", ICARC_E_FORMAT},
	{"foreign_chunk", ICARC_E_CHECKSUM},
	{"foreign_chunk_resum", ICARC_E_FORMAT}, /* Records_Digest */
	{"unknown_critical_record", ICARC_E_VERSION},
	{"short_chunk", ICARC_E_FORMAT},
};

static void write_desc(const struct desc *d)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.test", outdir, d->name);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		die("cannot write %s: %s", path, strerror(errno));
	int ok = strcmp(d->expect, "success") == 0;
	fprintf(f, "archive: %s%s\n", d->archive ? d->archive : d->name, d->archive ? "" : ".icarc");
	fprintf(f, "expect: %s\n", d->expect);
	if (!ok) {
		fprintf(f, "status: %s\n", vu_status_name(d->status));
		fprintf(f, "random-status: %s\n", vu_status_name(d->random_status));
	}
	int ks = ICARC_OK;
	for (size_t i = 0; i < sizeof keyless / sizeof keyless[0]; i++)
		if (strcmp(keyless[i].name, d->name) == 0)
			ks = keyless[i].status;
	fprintf(f, "keyless-status: %s\n", vu_status_name(ks));
	for (int i = 0; i < 2; i++)
		if (d->identity[i])
			fprintf(f, "identity: keys/%s.key\n", d->identity[i]);
	if (d->passphrase)
		fprintf(f, "passphrase: keys/%s\n", d->passphrase);
	if (ok) {
		for (int i = 0; i < d->n_ents; i++) {
			char hex[65];
			vu_sha256_hex(hex, d->ents[i].data, d->ents[i].len);
			fprintf(f, "sha256: %s %zu %s\n", hex, d->ents[i].len, d->ents[i].name);
		}
		for (int i = 0; i < d->n_meta; i++) {
			char *hex = malloc(2 * d->meta[i].len + 1);
			if (hex == NULL)
				die("out of memory");
			sodium_bin2hex(hex, 2 * d->meta[i].len + 1, d->meta[i].value, d->meta[i].len);
			fprintf(f, "meta: %s %s\n", d->meta[i].key, d->meta[i].len ? hex : "-");
			free(hex);
		}
	} else {
		/* the first `released` bytes of the entries' plaintext, concatenated */
		crypto_hash_sha256_state st;
		unsigned char h[32];
		char hex[65];
		size_t left = d->released;
		crypto_hash_sha256_init(&st);
		for (int i = 0; i < d->n_ents && left > 0; i++) {
			size_t n = d->ents[i].len < left ? d->ents[i].len : left;
			crypto_hash_sha256_update(&st, d->ents[i].data, n);
			left -= n;
		}
		if (left)
			die("%s: released more than the plaintext", d->name);
		crypto_hash_sha256_final(&st, h);
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		fprintf(f, "released: %zu %s\n", d->released, hex);
	}
	fprintf(f, "comment: %s\n", d->comment);
	if (d->todo)
		fprintf(f, "todo: %s\n", d->todo);
	if (fclose(f) != 0)
		die("cannot write %s", path);
}

/* ---- byte surgery on archives ---- */

static uint8_t *copy(const uint8_t *a, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	if (c == NULL)
		die("out of memory");
	memcpy(c, a, n);
	return c;
}

static int walk(const uint8_t *a, size_t n, struct vu_rec *recs)
{
	int k = vu_walk(a, n, recs, MAXREC);
	if (k < 0)
		die("an archive mkvectors wrote does not walk");
	return k;
}

/* Recompute the record checksum of the record at `off` (a HEADER is checksummed with seed 0). */
static void resum(uint8_t *a, size_t off)
{
	uint8_t *rec = a + off;
	uint64_t seed = rec[0] == WIRE_HEADER ? 0 : wire_get64(a + WIRE_MAGIC_LEN + WIRE_RECORD_HDR + 4);
	XXH3_state_t st;
	XXH3_64bits_reset_withSeed(&st, seed);
	XXH3_64bits_update(&st, rec, 8);
	XXH3_64bits_update(&st, rec + WIRE_RECORD_HDR, wire_get32(rec + 4));
	wire_put64(rec + 8, XXH3_64bits_digest(&st));
}

/* Rewrite the footer of an archive whose records were changed: count, digest, index place. */
static void refooter(uint8_t *a, size_t n)
{
	struct vu_rec recs[MAXREC];
	int k = walk(a, n, recs);
	struct wire_footer f;
	XXH3_state_t st;
	XXH3_64bits_reset(&st);
	for (int i = 0; i < k; i++)
		XXH3_64bits_update(&st, a + recs[i].off + 8, 8);
	f.index_offset = recs[k - 1].off;
	f.index_size = recs[k - 1].size;
	f.record_count = (uint64_t)k;
	f.records_digest = XXH3_64bits_digest(&st);
	memcpy(f.id, a + WIRE_MAGIC_LEN + WIRE_RECORD_HDR + 4, WIRE_ID_LEN);
	wire_footer_encode(a + n - WIRE_FOOTER_LEN, &f);
}

/* ---- plaintext ---- */

static uint8_t *text(size_t n, uint64_t seed)
{
	uint8_t *p = malloc(n ? n : 1);
	if (p == NULL)
		die("out of memory");
	vu_gen_text(p, n, seed);
	return p;
}

static uint8_t *zeros(size_t n)
{
	uint8_t *p = calloc(1, n ? n : 1);
	if (p == NULL)
		die("out of memory");
	return p;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkvectors OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	/* before icarc_init (sodium_init): libsodium takes its generator once */
	if (randombytes_set_implementation(&det_impl) != 0 || icarc_init() < 0)
		die("cannot initialise libsodium");
	char path[4096];
	snprintf(path, sizeof path, "%s/keys", outdir);
	mkdir(outdir, 0777);
	mkdir(path, 0777);

	/* the compressed bytes are zstd's: another version may write other (equally valid) ones */
	char gen[128];
	snprintf(gen, sizeof gen, "zstd %s\n", ZSTD_versionString());
	put_file("generated-with.txt", gen, strlen(gen));

	make_key("alice", pk_alice);
	make_key("bob", pk_bob);
	make_key("carol", pk_carol);
	put_file("keys/passphrase.txt", PASSPHRASE "\n", strlen(PASSPHRASE) + 1);
	put_file("keys/wrong-passphrase.txt", WRONG_PASSPHRASE "\n", strlen(WRONG_PASSPHRASE) + 1);
	unsigned char alice[32], both[64];
	memcpy(alice, pk_alice, 32);
	memcpy(both, pk_alice, 32);
	memcpy(both + 32, pk_bob, 32);

	size_t n;
	uint8_t *a;

	/* -- unencrypted: zstd, zero-run and raw chunks in one entry, and metadata -- */
	size_t sm_len = 3 * CS + 3000;
	uint8_t *sm = malloc(sm_len);
	if (sm == NULL)
		die("out of memory");
	vu_gen_text(sm, CS, 1);
	memset(sm + CS, 0, CS);
	vu_gen_text(sm + 2 * CS, CS, 2);
	vu_gen_random(sm + 3 * CS, 3000, 3);
	struct ent e_unenc[] = {{"stable_memory", sm, sm_len}};
	struct meta m_unenc[] = {{"canister_id", "ryjl3-tyaaa-aaaaa-aaaba-cai", 27}, {"network", "local", 5}};
	struct spec s_unenc = {"unencrypted", CS, NULL, 0, NULL, e_unenc, 1, m_unenc, 2};
	size_t unenc_len;
	uint8_t *unenc = build(&s_unenc, &unenc_len);
	put_file("unencrypted.icarc", unenc, unenc_len);
	write_desc(&(struct desc){.name = "unencrypted", .expect = "success", .ents = e_unenc, .n_ents = 1, .meta = m_unenc,
	                          .n_meta = 2,
	                          .comment = "no encryption, integrity only: a zstd chunk, a zero run, a zstd chunk, a raw "
	                                     "last chunk of 3000 bytes; two metadata items"});

	/* -- passphrase -- */
	uint8_t *pass_data = text(100000, 10);
	struct ent e_pass[] = {{"stable_memory", pass_data, 100000}};
	struct spec s_pass = {"passphrase", CS, NULL, 0, PASSPHRASE, e_pass, 1, NULL, 0};
	a = build(&s_pass, &n);
	put_file("passphrase.icarc", a, n);
	free(a);
	write_desc(&(struct desc){.name = "passphrase", .expect = "success", .passphrase = "passphrase.txt",
	                          .ents = e_pass, .n_ents = 1,
	                          .comment = "encrypted for a passphrase only (Argon2id at libsodium's minimum cost: ops 1, "
	                                     "8 KiB)"});
	write_desc(&(struct desc){.name = "wrong_passphrase", .archive = "passphrase.icarc", .expect = "no key",
	                          .status = ICARC_E_NOKEY, .random_status = ICARC_E_NOKEY,
	                          .passphrase = "wrong-passphrase.txt", .ents = e_pass, .n_ents = 1,
	                          .comment = "the passphrase differs in one letter's case: no plaintext"});

	/* -- two X25519 recipients -- */
	uint8_t *rcpt_data = text(150000, 11);
	struct ent e_rcpt[] = {{"wasm_memory", rcpt_data, 150000}};
	struct spec s_rcpt = {"recipients", CS, both, 2, NULL, e_rcpt, 1, NULL, 0};
	a = build(&s_rcpt, &n);
	put_file("recipients.icarc", a, n);
	free(a);
	write_desc(&(struct desc){.name = "recipients_alice", .archive = "recipients.icarc", .expect = "success",
	                          .identity = {"alice"}, .ents = e_rcpt, .n_ents = 1,
	                          .comment = "encrypted to two X25519 recipients, opened by the first"});
	write_desc(&(struct desc){.name = "recipients_bob", .archive = "recipients.icarc", .expect = "success",
	                          .identity = {"carol", "bob"}, .ents = e_rcpt, .n_ents = 1,
	                          .comment = "encrypted to two X25519 recipients, opened by the second (a reader given a "
	                                     "wrong identity too must try the next)"});
	write_desc(&(struct desc){.name = "wrong_key", .archive = "recipients.icarc", .expect = "no key",
	                          .status = ICARC_E_NOKEY, .random_status = ICARC_E_NOKEY, .identity = {"carol"},
	                          .ents = e_rcpt, .n_ents = 1,
	                          .comment = "an identity that is not a recipient: no plaintext"});
	write_desc(&(struct desc){.name = "no_key_given", .archive = "recipients.icarc", .expect = "no key",
	                          .status = ICARC_E_NOKEY, .random_status = ICARC_E_NOKEY, .ents = e_rcpt, .n_ents = 1,
	                          .comment = "an encrypted archive read with no identity and no passphrase"});

	/* -- sparse memory: 16 chunks, 13 of them zero runs -- */
	size_t sp_len = 16 * CS;
	uint8_t *sp = zeros(sp_len);
	vu_gen_text(sp, 4096, 12);
	vu_gen_text(sp + 5 * CS + 1000, 3000, 13);
	vu_gen_text(sp + sp_len - 100, 100, 14);
	struct ent e_sparse[] = {{"stable_memory", sp, sp_len}};
	struct spec s_sparse = {"sparse", CS, alice, 1, NULL, e_sparse, 1, NULL, 0};
	a = build(&s_sparse, &n);
	put_file("sparse.icarc", a, n);
	free(a);
	write_desc(&(struct desc){.name = "sparse", .expect = "success", .identity = {"alice"}, .ents = e_sparse,
	                          .n_ents = 1,
	                          .comment = "1 MiB of sparse memory in 64 KiB chunks: data in chunks 0, 5 and 15, the "
	                                     "other 13 stored as zero runs; encrypted to one recipient"});

	/* -- several entries and metadata, a recipient and a passphrase -- */
	size_t wm_len = 200000, mod_len = 5000;
	uint8_t *wm = zeros(wm_len), *mod = malloc(mod_len);
	if (mod == NULL)
		die("out of memory");
	vu_gen_text(wm + 100000, 1000, 21);
	memcpy(mod, "\0asm\1\0\0\0", 8);
	vu_gen_random(mod + 8, mod_len - 8, 22);
	static const char snap[] = "{\"canister_id\":\"ryjl3-tyaaa-aaaaa-aaaba-cai\",\"snapshot_id\":\"0000000000000001\","
	                           "\"taken_at_timestamp\":1763769600000000000,\"wasm_module_size\":5000}";
	uint8_t *many_data = text(70000, 20);
	struct ent e_many[] = {{"stable_memory", many_data, 70000},
	                       {"wasm_memory", wm, wm_len},
	                       {"wasm_module", mod, mod_len},
	                       {"snapshot_metadata", (const uint8_t *)snap, sizeof snap - 1}};
	struct meta m_many[] = {{"canister_id", "ryjl3-tyaaa-aaaaa-aaaba-cai", 27},
	                        {"network", "https://icp-api.io", 18},
	                        {"snapshot_id", "0000000000000001", 16},
	                        {"taken_at", "2025-11-22T00:00:00Z", 20},
	                        {"tool", "icarc test vectors", 18}};
	struct spec s_many = {"entries", CS, alice, 1, PASSPHRASE, e_many, 4, m_many, 5};
	a = build(&s_many, &n);
	put_file("entries.icarc", a, n);
	free(a);
	write_desc(&(struct desc){.name = "entries", .expect = "success", .identity = {"alice"}, .ents = e_many,
	                          .n_ents = 4, .meta = m_many, .n_meta = 5,
	                          .comment = "four named entries (stable memory, sparse wasm memory, a raw wasm module, "
	                                     "snapshot metadata) and five metadata items; a recipient and a passphrase"});
	write_desc(&(struct desc){.name = "entries_passphrase", .archive = "entries.icarc", .expect = "success",
	                          .passphrase = "passphrase.txt", .ents = e_many, .n_ents = 4, .meta = m_many, .n_meta = 5,
	                          .comment = "the same archive opened by its passphrase stanza"});

	/* -- an empty entry between two others -- */
	struct ent e_empty[] = {{"first", (const uint8_t *)"0123456789", 10}, {"empty", (const uint8_t *)"", 0}, {"last", (const uint8_t *)"!", 1}};
	struct spec s_empty = {"empty_entry", CS, NULL, 0, NULL, e_empty, 3, NULL, 0};
	a = build(&s_empty, &n);
	put_file("empty_entry.icarc", a, n);
	free(a);
	write_desc(&(struct desc){.name = "empty_entry", .expect = "success", .ents = e_empty, .n_ents = 3,
	                          .comment = "an empty entry (one empty last chunk) between a 10-byte and a 1-byte entry"});

	/* -- no entries at all -- */
	struct spec s_none = {"empty_archive", CS, NULL, 0, NULL, NULL, 0, NULL, 0};
	a = build(&s_none, &n);
	put_file("empty_archive.icarc", a, n);
	free(a);
	write_desc(&(struct desc){.name = "empty_archive", .expect = "success",
	                          .comment = "no entries and no metadata: a header, an index and a footer"});

	/* -- metadata only, with binary and empty values -- */
	uint8_t bin[256];
	for (int i = 0; i < 256; i++)
		bin[i] = (uint8_t)i;
	struct meta m_bin[] = {{"binary", bin, 256}, {"empty", "", 0}, {"x", "y", 1}};
	struct spec s_meta = {"metadata_only", CS, alice, 1, NULL, NULL, 0, m_bin, 3};
	a = build(&s_meta, &n);
	put_file("metadata_only.icarc", a, n);
	free(a);
	write_desc(&(struct desc){.name = "metadata_only", .expect = "success", .identity = {"alice"}, .meta = m_bin,
	                          .n_meta = 3,
	                          .comment = "encrypted metadata and no entries: a 256-byte binary value, an empty value"});

	/* -- entries at chunk boundaries -- */
	uint8_t *ex[3] = {text(CS, 30), text(2 * CS, 31), text(CS + 1, 32)};
	struct ent e_exact[] = {{"one_chunk", ex[0], CS}, {"two_chunks", ex[1], 2 * CS}, {"chunk_plus_one", ex[2], CS + 1}};
	struct spec s_exact = {"exact_chunks", CS, alice, 1, NULL, e_exact, 3, NULL, 0};
	a = build(&s_exact, &n);
	put_file("exact_chunks.icarc", a, n);
	free(a);
	write_desc(&(struct desc){.name = "exact_chunks", .expect = "success", .identity = {"alice"}, .ents = e_exact,
	                          .n_ents = 3,
	                          .comment = "entries of exactly one and two chunks (the last chunk is full) and of one "
	                                     "chunk plus one byte"});

	/* -- the default chunk size (1 MiB) -- */
	uint8_t *def_data = text(5000, 40);
	struct ent e_def[] = {{"stable_memory", def_data, 5000}};
	struct spec s_def = {"default_chunk_size", 0, NULL, 0, NULL, e_def, 1, NULL, 0};
	a = build(&s_def, &n);
	put_file("default_chunk_size.icarc", a, n);
	free(a);
	write_desc(&(struct desc){.name = "default_chunk_size", .expect = "success", .ents = e_def, .n_ents = 1,
	                          .comment = "Chunk_Size 1 MiB (the default), one short entry"});

	/* ---- negative vectors ---- */
	/* base: one entry of four chunks, chunks 1 and 2 alike (equal stored sizes), to one recipient */
	size_t nb_len = 3 * CS + 20000;
	uint8_t *nb = malloc(nb_len);
	if (nb == NULL)
		die("out of memory");
	vu_gen_text(nb, CS, 50);
	vu_gen_text(nb + CS, CS, 51);
	vu_gen_text(nb + 2 * CS, CS, 51);
	vu_gen_text(nb + 3 * CS, 20000, 52);
	struct ent e_nb[] = {{"stable_memory", nb, nb_len}};
	struct spec s_nb = {"four_chunks", CS, alice, 1, NULL, e_nb, 1, NULL, 0};
	size_t base_len;
	uint8_t *base = build(&s_nb, &base_len);
	put_file("four_chunks.icarc", base, base_len);
	write_desc(&(struct desc){.name = "four_chunks", .expect = "success", .identity = {"alice"}, .ents = e_nb,
	                          .n_ents = 1,
	                          .comment = "the base of the negative vectors: four chunks (1 and 2 hold the same bytes), "
	                                     "encrypted to one recipient"});
	struct spec s_other = s_nb;
	s_other.seed = "four_chunks other";
	size_t other_len;
	uint8_t *other = build(&s_other, &other_len); /* same plaintext and key, another archive */

	struct vu_rec r[MAXREC], ro[MAXREC];
	int nr = walk(base, base_len, r);
	if (walk(other, other_len, ro) != nr)
		die("the two four-chunk archives differ in shape");
	int c1 = vu_find_chunk(r, nr, 0, 1), c2 = vu_find_chunk(r, nr, 0, 2), ix = vu_find_type(r, nr, WIRE_INDEX);
	if (c1 < 0 || c2 < 0 || ix < 0 || r[c1].size != r[c2].size || ro[c1].size != r[c1].size)
		die("unexpected layout of the four-chunk archive");
	struct desc d;
#define NEG(nm, ex, st, rst, rel, cm)                                                                                 \
	(d = (struct desc){.name = (nm), .expect = (ex), .status = (st), .random_status = (rst), .identity = {"alice"},  \
	                   .ents = e_nb, .n_ents = 1, .released = (rel), .comment = (cm)},                                \
	 write_desc(&d))
	char file[128];
#define PUT(nm, p, len) (snprintf(file, sizeof file, "%s.icarc", (nm)), put_file(file, (p), (len)))

	/* truncation: a reader must never report a cut archive complete (salvage: it releases the
	 * chunks before the cut) */
	PUT("cut_header", base, 40);
	NEG("cut_header", "truncated", ICARC_E_TRUNCATED, ICARC_E_TRUNCATED, 0, "cut 40 bytes in, inside the HEADER record");
	PUT("cut_chunk", base, r[c2].off + r[c2].size / 2);
	NEG("cut_chunk", "truncated", ICARC_E_TRUNCATED, ICARC_E_TRUNCATED, 2 * CS,
	    "cut in the middle of chunk 2: chunks 0 and 1 are released, nothing of chunk 2");
	PUT("cut_record_boundary", base, r[c2].off);
	NEG("cut_record_boundary", "truncated", ICARC_E_TRUNCATED, ICARC_E_TRUNCATED, 2 * CS,
	    "cut right after chunk 1, which is not the entry's last: a record boundary is no end");
	PUT("cut_before_index", base, r[ix].off);
	NEG("cut_before_index", "truncated", ICARC_E_TRUNCATED, ICARC_E_TRUNCATED, nb_len,
	    "cut right before the INDEX record: every chunk is released, the archive is still incomplete");
	PUT("cut_footer", base, base_len - 10);
	NEG("cut_footer", "truncated", ICARC_E_TRUNCATED, ICARC_E_TRUNCATED, nb_len,
	    "the last 10 bytes of the footer are missing");

	/* one flipped bit */
	a = copy(base, base_len);
	a[r[0].off + WIRE_RECORD_HDR + 20] ^= 0x01; /* Chunk_Size, low byte */
	PUT("flip_header", a, base_len);
	free(a);
	NEG("flip_header", "header failure", ICARC_E_CHECKSUM, ICARC_E_CHECKSUM, 0,
	    "one bit of the HEADER's Chunk_Size flipped: the record checksum fails");
	a = copy(base, base_len);
	a[r[0].off + WIRE_RECORD_HDR + 4] ^= 0x80; /* Archive_Id, first byte */
	resum(a, r[0].off);
	PUT("flip_header_resum", a, base_len);
	free(a);
	NEG("flip_header_resum", "header failure", ICARC_E_AUTH, ICARC_E_AUTH, 0,
	    "one bit of the Archive_Id flipped and the record checksum recomputed: the header MAC fails");
	a = copy(unenc, unenc_len);
	a[1] ^= 0x01;
	PUT("bad_magic", a, unenc_len);
	free(a);
	d = (struct desc){.name = "bad_magic", .expect = "header failure", .status = ICARC_E_FORMAT,
	                  .random_status = ICARC_E_FORMAT, .ents = e_unenc, .n_ents = 1,
	                  .comment = "one bit of the magic flipped: not an icarc archive"};
	write_desc(&d);
	a = copy(unenc, unenc_len);
	wire_put16(a + WIRE_MAGIC_LEN + WIRE_RECORD_HDR, 2);
	resum(a, WIRE_MAGIC_LEN);
	PUT("version2", a, unenc_len);
	free(a);
	d = (struct desc){.name = "version2", .expect = "header failure", .status = ICARC_E_VERSION,
	                  .random_status = ICARC_E_VERSION, .ents = e_unenc, .n_ents = 1,
	                  .comment = "Format_Version 2 (checksum recomputed): a version 1 reader refuses it"};
	write_desc(&d);

	a = copy(base, base_len);
	a[r[c2].off + r[c2].size - 1] ^= 0x10; /* the AEAD tag */
	PUT("flip_chunk", a, base_len);
	free(a);
	NEG("flip_chunk", "checksum failure", ICARC_E_CHECKSUM, ICARC_E_CHECKSUM, 2 * CS,
	    "one bit of chunk 2's tag flipped: its record checksum fails; chunks 0 and 1 are released");
	a = copy(base, base_len);
	a[r[c2].off + r[c2].size / 2] ^= 0x04; /* the ciphertext */
	resum(a, r[c2].off);
	PUT("flip_chunk_resum", a, base_len);
	free(a);
	NEG("flip_chunk_resum", "auth failure", ICARC_E_AUTH, ICARC_E_AUTH, 2 * CS,
	    "one bit of chunk 2's ciphertext flipped and its record checksum recomputed: only the AEAD tag "
	    "catches it");
	{
		struct vu_rec ru[MAXREC];
		int nu = walk(unenc, unenc_len, ru), c3 = vu_find_chunk(ru, nu, 0, 3);
		if (c3 < 0 || (unenc[ru[c3].off + WIRE_RECORD_HDR + 4] & WIRE_CF_CODEC_MASK) != ICARC_CODEC_RAW)
			die("chunk 3 of the unencrypted vector is not raw");
		a = copy(unenc, unenc_len);
		a[ru[c3].off + ru[c3].size - 100] ^= 0x01;
		resum(a, ru[c3].off);
		PUT("flip_chunk_plain", a, unenc_len);
		free(a);
		d = (struct desc){.name = "flip_chunk_plain", .expect = "checksum failure", .status = ICARC_E_CHECKSUM,
		                  .random_status = ICARC_E_CHECKSUM, .ents = e_unenc, .n_ents = 1, .released = 3 * CS,
		                  .comment = "unencrypted: one bit of the raw chunk 3 flipped and its record checksum "
		                             "recomputed: the XXH3-128 of the plaintext catches it"};
		write_desc(&d);
	}
	a = copy(base, base_len);
	a[r[ix].off + r[ix].size - 1] ^= 0x01;
	PUT("flip_index", a, base_len);
	free(a);
	NEG("flip_index", "checksum failure", ICARC_E_CHECKSUM, ICARC_E_CHECKSUM, nb_len,
	    "one bit of the INDEX record flipped: every chunk is released, the archive does not verify");
	a = copy(base, base_len);
	a[base_len - WIRE_FOOTER_LEN] ^= 0x01; /* Index_Offset */
	PUT("flip_footer", a, base_len);
	free(a);
	NEG("flip_footer", "checksum failure", ICARC_E_CHECKSUM, ICARC_E_CHECKSUM, nb_len,
	    "one bit of the footer's Index_Offset flipped: the footer checksum fails");

	/* chunks moved, dropped, from elsewhere */
	a = copy(base, base_len);
	memcpy(a + r[c1].off, base + r[c2].off, r[c1].size);
	memcpy(a + r[c2].off, base + r[c1].off, r[c2].size);
	PUT("swap_chunks", a, base_len);
	NEG("swap_chunks", "format failure", ICARC_E_FORMAT, ICARC_E_FORMAT, CS,
	    "chunk records 1 and 2 (same size, same plaintext) swapped: chunk 2 arrives where chunk 1 belongs");
	/* relabel: give each moved record the Chunk_Index and Logical_Offset of its new place */
	wire_put64(a + r[c1].off + WIRE_RECORD_HDR + 8, 1);
	wire_put64(a + r[c1].off + WIRE_RECORD_HDR + 16, CS);
	wire_put64(a + r[c2].off + WIRE_RECORD_HDR + 8, 2);
	wire_put64(a + r[c2].off + WIRE_RECORD_HDR + 16, 2 * CS);
	resum(a, r[c1].off);
	resum(a, r[c2].off);
	PUT("swap_chunks_relabel", a, base_len);
	free(a);
	NEG("swap_chunks_relabel", "auth failure", ICARC_E_AUTH, ICARC_E_AUTH, CS,
	    "chunks 1 and 2 swapped, their clear Chunk_Index and Logical_Offset rewritten to fit and their checksums "
	    "recomputed: the AEAD binds the place, so chunk 1 fails to authenticate");
	a = malloc(base_len);
	if (a == NULL)
		die("out of memory");
	memcpy(a, base, r[c1].off);
	memcpy(a + r[c1].off, base + r[c2].off, base_len - r[c2].off);
	PUT("drop_chunk", a, base_len - r[c1].size);
	free(a);
	NEG("drop_chunk", "format failure", ICARC_E_FORMAT, ICARC_E_FORMAT, CS,
	    "chunk 1 removed: chunk 2 arrives where chunk 1 belongs; the footer no longer finds the index");
	a = copy(base, base_len);
	memcpy(a + r[c1].off, other + ro[c1].off, r[c1].size);
	PUT("foreign_chunk", a, base_len);
	NEG("foreign_chunk", "checksum failure", ICARC_E_CHECKSUM, ICARC_E_CHECKSUM, CS,
	    "chunk 1 replaced by chunk 1 of another archive with the same plaintext and recipient: the record "
	    "checksum is seeded with the Archive_Id");
	resum(a, r[c1].off);
	PUT("foreign_chunk_resum", a, base_len);
	free(a);
	NEG("foreign_chunk_resum", "auth failure", ICARC_E_AUTH, ICARC_E_AUTH, CS,
	    "the same, with the checksum recomputed for this archive: the AEAD (key and associated data bound to "
	    "the Archive_Id) rejects it");

	/* a chunk shorter than Chunk_Size that is not its entry's last: crafted by hand (unencrypted,
	 * every checksum, hash and index field consistent), since no writer makes one */
	{
		uint8_t *pl = text(CS, 60), sd[100];
		memset(sd, 'S', sizeof sd);
		struct ent e1[] = {{"stable_memory", pl, CS}};
		struct spec s1 = {"short_chunk", CS, NULL, 0, NULL, e1, 1, NULL, 0};
		size_t n1;
		uint8_t *one = build(&s1, &n1); /* HEADER ENTRY CHUNK(0, last) SEGMENT INDEX footer */
		struct vu_rec r1[MAXREC];
		int k1 = walk(one, n1, r1);
		if (k1 != 5 || r1[2].type != WIRE_CHUNK)
			die("unexpected layout of the short_chunk base");
		size_t cap = n1 + 1024, at = 0;
		uint8_t *o = calloc(1, cap);
		if (o == NULL)
			die("out of memory");
		memcpy(o, one, r1[2].off); /* magic, HEADER, ENTRY */
		at = r1[2].off;
		/* chunk 0: 100 raw bytes, not the last */
		size_t ch0 = at, c0_size = WIRE_RECORD_HDR + WIRE_CHUNK_PREFIX + WIRE_HASH_LEN + sizeof sd;
		struct wire_chunk wc = {0, ICARC_CODEC_RAW, 0, 0, sizeof sd};
		wire_chunk_encode(o + at + WIRE_RECORD_HDR, &wc);
		XXH128_canonical_t h0, h1;
		XXH128_canonicalFromHash(&h0, XXH3_128bits(sd, sizeof sd));
		XXH128_canonicalFromHash(&h1, XXH3_128bits(pl, CS));
		memcpy(o + at + WIRE_RECORD_HDR + WIRE_CHUNK_PREFIX, h0.digest, WIRE_HASH_LEN);
		memcpy(o + at + WIRE_RECORD_HDR + WIRE_CHUNK_PREFIX + WIRE_HASH_LEN, sd, sizeof sd);
		struct wire_record wr = {WIRE_CHUNK, 0, (uint32_t)(c0_size - WIRE_RECORD_HDR), 0};
		wire_record_encode(o + at, &wr);
		at += c0_size;
		/* chunk 1: the writer's full chunk, moved to index 1 (still the last) */
		size_t ch1 = at;
		memcpy(o + at, one + r1[2].off, r1[2].size);
		wire_put64(o + at + WIRE_RECORD_HDR + 8, 1);
		wire_put64(o + at + WIRE_RECORD_HDR + 16, CS);
		at += r1[2].size;
		/* a segment of the two rows */
		size_t seg = at, seg_size = WIRE_RECORD_HDR + WIRE_SEGMENT_PREFIX + 2 * WIRE_ROW_LEN;
		wire_put32(o + at + WIRE_RECORD_HDR, 0);
		wire_put32(o + at + WIRE_RECORD_HDR + 4, 2);
		struct wire_row row0 = {0, ICARC_CODEC_RAW, 0, ch0, (uint32_t)c0_size, sizeof sd, {0}};
		struct wire_row row1 = {0, o[ch1 + WIRE_RECORD_HDR + 4], 1, ch1, (uint32_t)r1[2].size, CS, {0}};
		memcpy(row0.hash, h0.digest, WIRE_HASH_LEN);
		memcpy(row1.hash, h1.digest, WIRE_HASH_LEN);
		wire_row_encode(o + at + WIRE_RECORD_HDR + WIRE_SEGMENT_PREFIX, &row0);
		wire_row_encode(o + at + WIRE_RECORD_HDR + WIRE_SEGMENT_PREFIX + WIRE_ROW_LEN, &row1);
		wr = (struct wire_record){WIRE_SEGMENT, 0, (uint32_t)(seg_size - WIRE_RECORD_HDR), 0};
		wire_record_encode(o + at, &wr);
		at += seg_size;
		/* the index: the entry (size 100 + 64 KiB, two chunks) and the segment */
		size_t nl = strlen(e1[0].name), ix_size = WIRE_RECORD_HDR + WIRE_INDEX_PREFIX + WIRE_ENTRY_ROW_LEN + nl + WIRE_SEGREF_LEN;
		uint8_t *ib = o + at + WIRE_RECORD_HDR;
		wire_put32(ib, 1);
		wire_put32(ib + 4, 1);
		wire_put64(ib + 16, 2);
		struct wire_entry_row er = {0, (uint16_t)nl, sizeof sd + CS, 2, r1[1].off, 0};
		wire_entry_row_encode(ib + WIRE_INDEX_PREFIX, &er);
		memcpy(ib + WIRE_INDEX_PREFIX + WIRE_ENTRY_ROW_LEN, e1[0].name, nl);
		struct wire_segref sg = {seg, (uint32_t)seg_size, 2, 0, 0};
		wire_segref_encode(ib + WIRE_INDEX_PREFIX + WIRE_ENTRY_ROW_LEN + nl, &sg);
		wr = (struct wire_record){WIRE_INDEX, 0, (uint32_t)(ix_size - WIRE_RECORD_HDR), 0};
		wire_record_encode(o + at, &wr);
		at += ix_size + WIRE_FOOTER_LEN;
		struct vu_rec r2[MAXREC];
		int k2 = walk(o, at, r2);
		for (int i = 1; i < k2; i++)
			resum(o, r2[i].off);
		refooter(o, at);
		put_file("short_chunk.icarc", o, at);
		uint8_t *sp2 = malloc(sizeof sd + CS);
		if (sp2 == NULL)
			die("out of memory");
		memcpy(sp2, sd, sizeof sd);
		memcpy(sp2 + sizeof sd, pl, CS);
		struct ent e2[] = {{"stable_memory", sp2, sizeof sd + CS}};
		d = (struct desc){.name = "short_chunk", .expect = "format failure", .status = ICARC_E_FORMAT,
		                  .random_status = ICARC_E_FORMAT, .ents = e2, .n_ents = 1, .released = 0,
		                  .comment = "unencrypted, crafted: chunk 0 holds 100 bytes but is not the entry's last "
		                             "(every checksum, hash and index field agrees): a chunk that is not the last "
		                             "must hold Chunk_Size bytes"};
		write_desc(&d);
		free(sp2);
		free(o);
		free(one);
		free(pl);
	}

	/* extensibility: records of a type this reader does not know */
	for (int critical = 0; critical <= 1; critical++) {
		struct vu_rec ru[MAXREC];
		int nu = walk(unenc, unenc_len, ru), ux = vu_find_type(ru, nu, WIRE_INDEX);
		static const char body[] = "a record from a future version";
		size_t extra = WIRE_RECORD_HDR + sizeof body - 1, at = ru[ux].off;
		a = malloc(unenc_len + extra);
		if (a == NULL)
			die("out of memory");
		memcpy(a, unenc, at);
		memcpy(a + at + extra, unenc + at, unenc_len - at);
		struct wire_record wr = {0x40, critical ? 0 : WIRE_RF_OPTIONAL, (uint32_t)(sizeof body - 1), 0};
		wire_record_encode(a + at, &wr);
		memcpy(a + at + WIRE_RECORD_HDR, body, sizeof body - 1);
		resum(a, at);
		refooter(a, unenc_len + extra);
		const char *nm = critical ? "unknown_critical_record" : "unknown_optional_record";
		PUT(nm, a, unenc_len + extra);
		free(a);
		if (critical)
			d = (struct desc){.name = nm, .expect = "format failure", .status = ICARC_E_VERSION,
			                  .random_status = ICARC_OK, .ents = e_unenc, .n_ents = 1, .released = sm_len,
			                  .comment = "a critical record of unknown type 0x40 before the INDEX (footer "
			                             "recomputed): a streaming reader must refuse it; random access reads only "
			                             "what the index points to and does not meet it"};
		else
			d = (struct desc){.name = nm, .expect = "success", .ents = e_unenc, .n_ents = 1, .meta = m_unenc,
			                  .n_meta = 2,
			                  .comment = "an optional record (Flags bit 0) of unknown type 0x40 before the INDEX "
			                             "(footer recomputed): readers skip it"};
		write_desc(&d);
	}

	free(base);
	free(other);
	free(unenc);
	free(sm);
	free(pass_data);
	free(rcpt_data);
	free(sp);
	free(many_data);
	free(wm);
	free(mod);
	for (int i = 0; i < 3; i++)
		free(ex[i]);
	free(def_data);
	free(nb);
	return 0;
}
