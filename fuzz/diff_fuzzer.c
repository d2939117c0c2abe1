/* diff_fuzzer.c - the byte diff (with and without chunk hashes) against a naive comparison, and
 * the structural diff in every output mode, on the two halves of the input. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "tools/bdiff.h"
#include "tools/sdiff.h"

#define CHUNK 16U /* a chunk's "hash" is its bytes: no collisions, so a skipped chunk is equal */

struct side_ctx {
	const uint8_t *p;
	size_t n;
};

static int chunk(void *ctx, uint64_t i, uint64_t *off, uint32_t *len, unsigned char hash[16])
{
	struct side_ctx *s = ctx;
	*off = i * CHUNK;
	*len = (uint32_t)(s->n - *off < CHUNK ? s->n - *off : CHUNK);
	memset(hash, 0, 16);
	memcpy(hash, s->p + *off, *len);
	return 0;
}

struct check {
	const uint8_t *a, *b;
	size_t na, nb;
	uint64_t last_end;
	int first;
};

static int check_range(void *ctx, uint64_t start, uint64_t end)
{
	struct check *c = ctx;
	size_t common = c->na < c->nb ? c->na : c->nb;
	FUZZ_ASSERT(start < end);
	FUZZ_ASSERT(c->first || start > c->last_end); /* increasing, adjacent ones merged */
	for (uint64_t i = c->first ? 0 : c->last_end; i < start; i++)
		FUZZ_ASSERT(i < common && c->a[i] == c->b[i]);
	for (uint64_t i = start; i < end; i++)
		FUZZ_ASSERT(i >= common || c->a[i] != c->b[i]);
	c->first = 0;
	c->last_end = end;
	return 0;
}

static void byte_diff(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, int hashes)
{
	struct st_src *sa = st_src_mem(a, na, "A"), *sb = st_src_mem(b, nb, "B");
	struct side_ctx ca = {a, na}, cb = {b, nb};
	struct bd_side A = {sa, NULL, &ca, (na + CHUNK - 1) / CHUNK, CHUNK};
	struct bd_side B = {sb, NULL, &cb, (nb + CHUNK - 1) / CHUNK, CHUNK};
	if (hashes)
		A.chunk = B.chunk = chunk;
	struct check c = {a, b, na, nb, 0, 1};
	struct bd_stats st;
	char err[256];
	FUZZ_ASSERT(bd_diff(&A, &B, check_range, &c, &st, err, sizeof err) == 0);
	size_t longest = na > nb ? na : nb;
	for (uint64_t i = c.first ? 0 : c.last_end; i < longest; i++)
		FUZZ_ASSERT(i < na && i < nb && a[i] == b[i]);
	st_close(sa);
	st_close(sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t half = size / 2;
	const uint8_t *a = data, *b = data + half;
	size_t na = half, nb = size - half;
	byte_diff(a, na, b, nb, 0);
	byte_diff(a, na, b, nb, 1);
	static const enum sd_mode modes[] = {SD_TEXT, SD_JSON, SD_PATCH};
	for (int m = 0; m < 3; m++) {
		struct st_src *sa = st_src_mem(a, na, "A"), *sb = st_src_mem(b, nb, "B");
		struct sdiff_opts o = {modes[m], DEC_BASE64, 100};
		struct jout out;
		char err[512];
		jout_init(&out, NULL, NULL, 4096);
		out.discard = 1;
		int64_t n = sdiff_run(sa, 0, na, sb, 0, nb, &o, &out, err, sizeof err);
		/* identical halves never differ */
		if (na == nb && memcmp(a, b, na) == 0 && na > 0)
			FUZZ_ASSERT(n <= 0);
		jout_free(&out);
		st_close(sa);
		st_close(sb);
	}
	return 0;
}
