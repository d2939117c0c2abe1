/* bdiff.c - changed byte ranges, skipping chunks whose hashes match (see bdiff.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bdiff.h"

#define BLOCK (1U << 20) /* bytes compared at a time when there are no hashes */

struct acc {
	bd_range_fn *emit;
	void *ctx;
	struct bd_stats *st;
	uint64_t start, end;  /* the pending range; start == end: none */
	uint64_t last_page;   /* pages counted so far are < last_page */
	int failed;
};

static void flush_range(struct acc *c)
{
	if (c->start == c->end)
		return;
	c->st->ranges++;
	c->st->changed_bytes += c->end - c->start;
	uint64_t p0 = c->start / BD_PAGE, p1 = (c->end - 1) / BD_PAGE + 1;
	if (p0 < c->last_page)
		p0 = c->last_page;
	if (p1 > p0)
		c->st->changed_pages += p1 - p0;
	if (p1 > c->last_page)
		c->last_page = p1;
	if (!c->failed && c->emit != NULL && c->emit(c->ctx, c->start, c->end) != 0)
		c->failed = 1;
	c->start = c->end = 0;
}

static void add_range(struct acc *c, uint64_t s, uint64_t e)
{
	if (c->start != c->end && s == c->end) {
		c->end = e;
		return;
	}
	flush_range(c);
	c->start = s;
	c->end = e;
}

/* Differing runs of x and y (n bytes at offset base). */
static void compare(struct acc *c, const unsigned char *x, const unsigned char *y, size_t n, uint64_t base)
{
	size_t i = 0;
	while (i < n) {
		/* equal words fast */
		while (i + 8 <= n) {
			uint64_t p, q;
			memcpy(&p, x + i, 8);
			memcpy(&q, y + i, 8);
			if (p != q)
				break;
			i += 8;
		}
		while (i < n && x[i] == y[i])
			i++;
		if (i == n)
			break;
		size_t j = i;
		while (j < n && x[j] != y[j])
			j++;
		add_range(c, base + i, base + j);
		i = j;
	}
}

static int read_both(struct bd_side *a, struct bd_side *b, uint64_t off, size_t n, unsigned char *x,
                     unsigned char *y, char *err, size_t errlen)
{
	if (st_read(a->src, off, x, n) != 0) {
		snprintf(err, errlen, "%s", a->src->err);
		return -1;
	}
	if (st_read(b->src, off, y, n) != 0) {
		snprintf(err, errlen, "%s", b->src->err);
		return -1;
	}
	return 0;
}

static int compare_range(struct acc *c, struct bd_side *a, struct bd_side *b, uint64_t start, uint64_t end,
                         unsigned char *x, unsigned char *y, size_t blk, char *err, size_t errlen)
{
	for (uint64_t off = start; off < end;) {
		size_t n = end - off < blk ? (size_t)(end - off) : blk;
		if (read_both(a, b, off, n, x, y, err, errlen) != 0)
			return -1;
		compare(c, x, y, n, off);
		off += n;
	}
	return 0;
}

int bd_diff(struct bd_side *a, struct bd_side *b, bd_range_fn *emit, void *ctx, struct bd_stats *st, char *err,
            size_t errlen)
{
	memset(st, 0, sizeof *st);
	struct acc c = {emit, ctx, st, 0, 0, 0, 0};
	uint64_t common = a->src->size < b->src->size ? a->src->size : b->src->size;
	uint64_t longest = a->src->size < b->src->size ? b->src->size : a->src->size;
	st->pages = (longest + BD_PAGE - 1) / BD_PAGE;
	size_t blk = common < BLOCK ? (size_t)common + 1 : BLOCK; /* small inputs, small buffers */
	unsigned char *x = malloc(blk), *y = malloc(blk);
	int rc = -1;
	if (x == NULL || y == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	int hashes = a->chunk != NULL && b->chunk != NULL && a->chunk_size == b->chunk_size && a->chunk_size > 0 &&
	             a->chunk_size <= BLOCK;
	st->used_hashes = hashes;
	if (hashes) {
		uint64_t n = a->nchunks < b->nchunks ? a->nchunks : b->nchunks;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t oa, ob;
			uint32_t la, lb;
			unsigned char ha[16], hb[16];
			if (a->chunk(a->ctx, i, &oa, &la, ha) != 0) {
				snprintf(err, errlen, "chunk %llu of A: %s", (unsigned long long)i, a->src->err);
				goto out;
			}
			if (b->chunk(b->ctx, i, &ob, &lb, hb) != 0) {
				snprintf(err, errlen, "chunk %llu of B: %s", (unsigned long long)i, b->src->err);
				goto out;
			}
			if (oa != ob || oa >= common) {
				if (oa != ob) {
					snprintf(err, errlen, "chunk %llu starts at %llu in one index and %llu in the other",
					         (unsigned long long)i, (unsigned long long)oa, (unsigned long long)ob);
					goto out;
				}
				break;
			}
			st->chunks++;
			if (la == lb && memcmp(ha, hb, 16) == 0)
				continue;
			uint64_t end = oa + (la < lb ? la : lb);
			if (end > common)
				end = common;
			st->chunks_read++;
			if (compare_range(&c, a, b, oa, end, x, y, blk, err, errlen) != 0)
				goto out;
		}
	} else {
		st->chunks = (common + BLOCK - 1) / BLOCK;
		st->chunks_read = st->chunks;
		if (compare_range(&c, a, b, 0, common, x, y, blk, err, errlen) != 0)
			goto out;
	}
	if (longest > common)
		add_range(&c, common, longest);
	flush_range(&c);
	if (c.failed) {
		snprintf(err, errlen, "cannot write the output");
		goto out;
	}
	rc = 0;
out:
	free(x);
	free(y);
	return rc;
}
