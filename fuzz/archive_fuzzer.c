/* archive_fuzzer.c - random access (icarc_archive_open_cb) on the input bytes as a seekable file:
 * header, footer, authenticated index, segments, metadata; then entry and chunk listings and
 * reads, on the input as it is and again with its record checksums and footer recomputed (so that
 * mutations reach the parsers behind them). The handle holds the identity and the passphrase of
 * spec/vectors/keys.
 * Properties: no crash, leak or sanitizer report; what the index says is coherent (chunks tile
 * each entry); a range read equals the same bytes read one chunk at a time; a failed read leaves
 * the caller's buffer untouched; reading past an entry is ICARC_E_NOTFOUND. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "icarc.h"
#include "fuzz/fixup.h"
#include "wire.h"

#define IDENTITY "ICARC-SECRET-KEY-1Y26ZD63DTJEZQ3E47MWVH3USO6JFVG3LYZ7XVCLSSSLOGWYAULDSBG2XQE" /* alice */
#define PASSPHRASE "correct horse battery staple"
#define SPAN_MAX (4U << 20) /* plaintext read per entry */
#define CHUNKS_MAX 16       /* chunks listed per entry */

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

static unsigned char sk[ICARC_SECRETKEYBYTES];
static uint8_t *whole, *piece;

static void run(const uint8_t *data, size_t size)
{
	struct mem m = {data, size};
	struct icarc_archive *a = icarc_archive_new();
	FUZZ_ASSERT(a != NULL);
	FUZZ_ASSERT(icarc_archive_set_option(a, ICARC_OPT_MAX_KDF_MEM, 64 * 1024) == ICARC_OK);
	FUZZ_ASSERT(icarc_archive_set_option(a, ICARC_OPT_MAX_ENTRIES, 10000) == ICARC_OK);
	FUZZ_ASSERT(icarc_archive_add_identity(a, sk) == ICARC_OK);
	FUZZ_ASSERT(icarc_archive_add_passphrase(a, PASSPHRASE, strlen(PASSPHRASE)) == ICARC_OK);
	int st = icarc_archive_open_cb(a, read_at, &m, size);
	if (st != ICARC_OK) {
		FUZZ_ASSERT_MSG(st < 0, "open returned an event");
		const char *msg = icarc_archive_error(a);
		FUZZ_ASSERT_MSG(msg != NULL && msg[0] != '\0', "error without a message");
		icarc_archive_free(a);
		return;
	}
	uint32_t cs = icarc_archive_chunk_size(a);
	FUZZ_ASSERT(cs >= ICARC_CHUNK_ALIGN && cs <= ICARC_CHUNK_MAX && cs % ICARC_CHUNK_ALIGN == 0);
	FUZZ_ASSERT(icarc_archive_file_size(a) == size);
	size_t ne = icarc_archive_entry_count(a);
	for (size_t e = 0; e < ne; e++) {
		struct icarc_entry_info info;
		FUZZ_ASSERT(icarc_archive_entry(a, e, &info) == ICARC_OK);
		FUZZ_ASSERT(info.name != NULL && info.name[0] != '\0');
		FUZZ_ASSERT(info.chunks == (info.size == 0 ? 1 : (info.size + cs - 1) / cs));
		FUZZ_ASSERT(info.zero_chunks <= info.chunks);
		int found = icarc_archive_find(a, info.name);
		FUZZ_ASSERT_MSG(found == (int)e, "find does not give the entry back");
		uint64_t off = 0;
		for (uint64_t c = 0; c < info.chunks && c < CHUNKS_MAX; c++) {
			struct icarc_chunk_info ci;
			st = icarc_archive_chunk(a, e, c, &ci);
			if (st != ICARC_OK)
				break;
			FUZZ_ASSERT_MSG(ci.offset == off && ci.offset == c * cs, "chunks do not tile the entry");
			FUZZ_ASSERT(ci.length <= cs && (c + 1 == info.chunks || ci.length == cs));
			off += ci.length;
		}
		/* a span of at most SPAN_MAX bytes: whole, then one chunk at a time */
		size_t span = info.size < SPAN_MAX ? (size_t)info.size : SPAN_MAX;
		memset(whole, 0xa5, span);
		int whole_st = icarc_archive_read(a, e, 0, whole, span), piece_failed = 0;
		FUZZ_ASSERT(whole_st <= 0);
		for (size_t p = 0; p < span; p += cs) {
			size_t len = span - p < cs ? span - p : cs;
			memset(piece, 0x5a, len);
			st = icarc_archive_read(a, e, p, piece, len);
			if (whole_st == ICARC_OK) {
				FUZZ_ASSERT_MSG(st == ICARC_OK, "a chunk that read before fails now");
				FUZZ_ASSERT_MSG(memcmp(piece, whole + p, len) == 0, "chunk-by-chunk read differs from the whole");
			} else if (st != ICARC_OK) {
				for (size_t i = 0; i < len; i++)
					FUZZ_ASSERT_MSG(piece[i] == 0x5a, "a failed read wrote into the buffer");
				piece_failed = 1;
				break;
			}
		}
		if (whole_st != ICARC_OK) {
			FUZZ_ASSERT_MSG(piece_failed, "a range fails, but each of its chunks reads");
			continue;
		}
		if (span == info.size) {
			uint8_t one = 0x77;
			FUZZ_ASSERT(icarc_archive_read(a, e, info.size, &one, 1) == ICARC_E_NOTFOUND && one == 0x77);
		}
	}
	size_t nm = icarc_archive_meta_count(a);
	for (size_t i = 0; i < nm; i++) {
		const char *key;
		const void *v, *v2;
		size_t len, len2;
		FUZZ_ASSERT(icarc_archive_meta(a, i, &key, &v, &len) == ICARC_OK);
		FUZZ_ASSERT(icarc_archive_meta_get(a, key, &v2, &len2) == ICARC_OK && v2 == v && len2 == len);
	}
	icarc_archive_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (whole == NULL) {
		FUZZ_ASSERT(icarc_init() >= 0);
		FUZZ_ASSERT(icarc_identity_decode(sk, IDENTITY) == ICARC_OK);
		whole = malloc(SPAN_MAX);
		piece = malloc(SPAN_MAX);
		FUZZ_ASSERT(whole != NULL && piece != NULL);
	}
	run(data, size);
	/* again with the record checksums and the footer recomputed: mutations reach the parsers */
	uint8_t *fixed = malloc(size ? size : 1);
	FUZZ_ASSERT(fixed != NULL);
	memcpy(fixed, data, size);
	fuzz_fix_checksums(fixed, size);
	if (memcmp(fixed, data, size) != 0)
		run(fixed, size);
	free(fixed);
	return 0;
}
