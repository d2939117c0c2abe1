/* hashtree.c - hash tree checks, digests and lookups (spec: certification.md §Lookup). */
#include "ic/hashtree.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/principal.h" /* ic_bytes_cmp */
#include "ic/sha256.h"    /* the leaves: every reply byte */

enum { EMPTY = 0, FORK = 1, LABELED = 2, LEAF = 3, PRUNED = 4 };

static int tag_of(const struct ic_cbor_doc *d, size_t i)
{
	return (int)d->items[i + 1].v;
}

int ic_hashtree_check(const struct ic_cbor_doc *d, size_t i, char *err, size_t errlen)
{
	/* iterative over the pre-order items of the subtree: every array in it must be a node */
	size_t end = i + d->items[i].size;
	for (size_t k = i; k < end;) {
		const struct ic_cbor_item *it = &d->items[k];
		if (it->type != IC_CBOR_ARRAY || it->v < 1 || d->items[k + 1].type != IC_CBOR_UINT) {
			snprintf(err, errlen, "hash tree: expected a node [tag, ...] at byte %zu", it->off);
			return -1;
		}
		uint64_t tag = d->items[k + 1].v;
		static const uint64_t arity[] = {1, 3, 3, 2, 2};
		if (tag > 4 || it->v != arity[tag]) {
			snprintf(err, errlen, "hash tree: node tag %llu with %llu elements at byte %zu", (unsigned long long)tag,
			         (unsigned long long)it->v, it->off);
			return -1;
		}
		size_t a = k + 2; /* first operand */
		if (tag == LABELED || tag == LEAF || tag == PRUNED) {
			if (d->items[a].type != IC_CBOR_BYTES) {
				snprintf(err, errlen, "hash tree: expected a byte string at byte %zu", d->items[a].off);
				return -1;
			}
			if (tag == PRUNED && d->items[a].v != 32) {
				snprintf(err, errlen, "hash tree: pruned hash of %llu bytes at byte %zu",
				         (unsigned long long)d->items[a].v, d->items[a].off);
				return -1;
			}
		}
		/* descend: the next item to check is the first child node (or the next sibling) */
		if (tag == FORK)
			k = a;
		else if (tag == LABELED)
			k = a + 1;
		else
			k += it->size;
	}
	return 0;
}

static void sha_parts(uint8_t out[32], const char *sep, size_t seplen, const uint8_t *a, size_t alen,
                      const uint8_t *b, size_t blen)
{
	struct ic_sha256 st;
	ic_sha256_init(&st);
	ic_sha256_update(&st, (const uint8_t *)sep, seplen);
	ic_sha256_update(&st, a, alen);
	ic_sha256_update(&st, b, blen);
	ic_sha256_final(&st, out);
}

/* Whether p[0..n) is all zero bytes; libc's memcmp against a zero block does the scanning. */
static int all_zero(const uint8_t *p, size_t n)
{
	static const uint8_t zero[4096];
	for (; n >= sizeof zero; p += sizeof zero, n -= sizeof zero)
		if (memcmp(p, zero, sizeof zero) != 0)
			return 0;
	return memcmp(p, zero, n) == 0;
}

/* The leaf hash of a reply. Canister memories are mostly zero pages, and every slice of zeros of
 * one size is the same reply, byte for byte (the same Candid header, then zeros): its hash is
 * remembered, per thread, with the head it was computed from, and a leaf with that length and head
 * and nothing but zeros after the head gets it without hashing 2 MB again. The bytes are compared,
 * never assumed: the result is SHA-256 of exactly these bytes. */
#define LEAF_HEAD 256
#define LEAF_REMEMBERED (64U << 10) /* shorter leaves are hashed: the check would cost as much */
struct zero_leaf {
	size_t len;
	uint8_t head[LEAF_HEAD];
	uint8_t hash[32];
};
static _Thread_local struct zero_leaf zero_leaves[2];
static _Thread_local unsigned zero_leaf_next;

static void leaf_digest(const uint8_t *v, size_t n, uint8_t out[32])
{
	int zero_tail = n >= LEAF_REMEMBERED && all_zero(v + LEAF_HEAD, n - LEAF_HEAD);
	if (zero_tail)
		for (unsigned k = 0; k < 2; k++)
			if (zero_leaves[k].len == n && memcmp(zero_leaves[k].head, v, LEAF_HEAD) == 0) {
				memcpy(out, zero_leaves[k].hash, 32);
				return;
			}
	sha_parts(out, "\x10" "ic-hashtree-leaf", 17, v, n, NULL, 0);
	if (zero_tail) {
		struct zero_leaf *z = &zero_leaves[zero_leaf_next++ % 2];
		z->len = n;
		memcpy(z->head, v, LEAF_HEAD);
		memcpy(z->hash, out, 32);
	}
}

void ic_hashtree_digest(const struct ic_cbor_doc *d, size_t i, uint8_t out[32])
{
	size_t a = i + 2;
	uint8_t h1[32], h2[64];
	switch (tag_of(d, i)) {
	case EMPTY:
		sha_parts(out, "\x11" "ic-hashtree-empty", 18, NULL, 0, NULL, 0);
		return;
	case FORK:
		ic_hashtree_digest(d, a, h2);
		ic_hashtree_digest(d, a + d->items[a].size, h2 + 32);
		sha_parts(out, "\x10" "ic-hashtree-fork", 17, h2, 64, NULL, 0);
		return;
	case LABELED:
		ic_hashtree_digest(d, a + 1, h1);
		sha_parts(out, "\x13" "ic-hashtree-labeled", 20, d->items[a].p, (size_t)d->items[a].v, h1, 32);
		return;
	case LEAF:
		leaf_digest(d->items[a].p, (size_t)d->items[a].v, out);
		return;
	default:
		memcpy(out, d->items[a].p, 32);
		return;
	}
}

/* flatten_forks into a list of node indices */
struct flat {
	size_t *v;
	size_t n, cap;
	int oom;
};

static void flatten(const struct ic_cbor_doc *d, size_t i, struct flat *f)
{
	if (f->oom)
		return;
	int tag = tag_of(d, i);
	if (tag == EMPTY)
		return;
	if (tag == FORK) {
		size_t a = i + 2;
		flatten(d, a, f);
		flatten(d, a + d->items[a].size, f);
		return;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		size_t *v = realloc(f->v, cap * sizeof *v);
		if (v == NULL) {
			f->oom = 1;
			return;
		}
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = i;
}

static int label_cmp(const struct ic_cbor_doc *d, size_t node, const struct ic_label *l)
{
	const struct ic_cbor_item *lab = &d->items[node + 2];
	return ic_bytes_cmp(lab->p, (size_t)lab->v, l->p, l->len);
}

static enum ic_lookup find_label(const struct ic_cbor_doc *d, size_t tree, const struct ic_label *l, size_t *sub)
{
	struct flat f = {0};
	flatten(d, tree, &f);
	if (f.oom) {
		free(f.v);
		return IC_LOOKUP_ERROR;
	}
	enum ic_lookup r = IC_LOOKUP_UNKNOWN;
	if (f.n == 0 || (f.n == 1 && tag_of(d, f.v[0]) == LEAF))
		r = IC_LOOKUP_ABSENT;
	for (size_t k = 0; k < f.n && r == IC_LOOKUP_UNKNOWN; k++) {
		if (tag_of(d, f.v[k]) != LABELED)
			continue;
		int c = label_cmp(d, f.v[k], l); /* label(k) vs l */
		if (c == 0) {
			*sub = f.v[k] + 3;
			r = IC_LOOKUP_FOUND;
		} else if (c > 0 && k == 0) {
			r = IC_LOOKUP_ABSENT; /* l < first label */
		} else if (c < 0 && k + 1 == f.n) {
			r = IC_LOOKUP_ABSENT; /* last label < l */
		} else if (c < 0 && k + 1 < f.n && tag_of(d, f.v[k + 1]) == LABELED && label_cmp(d, f.v[k + 1], l) > 0) {
			r = IC_LOOKUP_ABSENT; /* between two adjacent labels */
		}
	}
	free(f.v);
	return r;
}

enum ic_lookup ic_hashtree_subtree(const struct ic_cbor_doc *d, size_t tree, const struct ic_label *path, size_t n,
                                   size_t *sub)
{
	for (size_t k = 0; k < n; k++) {
		enum ic_lookup r = find_label(d, tree, &path[k], &tree);
		if (r != IC_LOOKUP_FOUND)
			return r;
	}
	*sub = tree;
	return IC_LOOKUP_FOUND;
}

enum ic_lookup ic_hashtree_lookup(const struct ic_cbor_doc *d, size_t tree, const struct ic_label *path, size_t n,
                                  const uint8_t **val, size_t *len)
{
	size_t t;
	enum ic_lookup r = ic_hashtree_subtree(d, tree, path, n, &t);
	if (r != IC_LOOKUP_FOUND)
		return r;
	switch (tag_of(d, t)) {
	case EMPTY:
		return IC_LOOKUP_ABSENT;
	case LEAF:
		*val = d->items[t + 2].p;
		*len = (size_t)d->items[t + 2].v;
		return IC_LOOKUP_FOUND;
	case PRUNED:
		return IC_LOOKUP_UNKNOWN;
	default:
		return IC_LOOKUP_ERROR;
	}
}

int ic_hashtree_each_label(const struct ic_cbor_doc *d, size_t tree,
                           int (*fn)(void *ctx, const uint8_t *label, size_t len, size_t child), void *ctx)
{
	struct flat f = {0};
	flatten(d, tree, &f);
	int rc = f.oom ? -1 : 0;
	for (size_t k = 0; k < f.n && rc == 0; k++)
		if (tag_of(d, f.v[k]) == LABELED)
			rc = fn(ctx, d->items[f.v[k] + 2].p, (size_t)d->items[f.v[k] + 2].v, f.v[k] + 3);
	free(f.v);
	return rc;
}

const char *ic_lookup_name(enum ic_lookup r)
{
	static const char *const n[] = {"Found", "Absent", "Unknown", "Error"};
	return n[r];
}
