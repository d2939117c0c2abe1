/* cbor.h - a small strict CBOR (RFC 8949) codec for the IC's HTTP interface.
 *
 * Why not libcbor (Debian's libcbor 0.8): its decoder copies every byte string into its own
 * allocation (a 2 MB reply would be copied again), builds a tree of separately allocated items,
 * and has no depth or size limits of its own. The protocol needs a tiny subset (unsigned and
 * negative ints, byte and text strings, arrays, maps, tags, true/false/null), so this codec
 * decodes into one flat array of items whose strings point into the input (zero copy).
 *
 * Strict means: definite lengths only, no floats or other simple values, text must be UTF-8,
 * map keys unique, no trailing bytes, every length checked against the input before use, and
 * depth and item-count limits. Errors name the byte offset. Integer heads longer than needed are
 * accepted (they are well-formed CBOR; the IC never sends them). */
#ifndef ICARC_IC_CBOR_H
#define ICARC_IC_CBOR_H
#include <stddef.h>
#include <stdint.h>

#include "ic/buf.h"

enum ic_cbor_type {
	IC_CBOR_UINT = 0,
	IC_CBOR_NEGINT = 1, /* value is -1 - v */
	IC_CBOR_BYTES = 2,
	IC_CBOR_TEXT = 3,
	IC_CBOR_ARRAY = 4,
	IC_CBOR_MAP = 5,
	IC_CBOR_TAG = 6,
	IC_CBOR_SIMPLE = 7 /* v: 20 false, 21 true, 22 null */
};

#define IC_CBOR_TAG_SELF_DESCRIBE 55799U

/* Items are stored in pre-order; an item's subtree is items[i .. i + size - 1], so its first
 * child is i + 1 and the next sibling of child c is c + items[c].size. */
struct ic_cbor_item {
	uint8_t type;
	uint32_t size;    /* items in this subtree, itself included */
	uint64_t v;       /* int value, string length, element count, pair count, tag, simple */
	const uint8_t *p; /* string bytes (into the input) */
	size_t off;       /* byte offset of the item's head in the input */
};

struct ic_cbor_doc {
	struct ic_cbor_item *items;
	size_t n;
};

struct ic_cbor_limits {
	unsigned max_depth;  /* nesting of arrays, maps and tags */
	size_t max_items;    /* items in the whole document */
	size_t max_map_pairs; /* pairs in one map (uniqueness is checked pairwise) */
};
/* Defaults: depth 64 (certificate trees are the deepest thing the IC sends, about 30), items
 * 1,000,000, map pairs 1024. */
extern const struct ic_cbor_limits ic_cbor_default_limits;

/* Decode exactly buf[0..len). The document borrows buf: keep it alive while using the items.
 * 0 ok; -1 with a message in err (may be NULL) on malformed input or out of memory. */
int ic_cbor_decode(const uint8_t *buf, size_t len, const struct ic_cbor_limits *lim, struct ic_cbor_doc *doc,
                   char *err, size_t errlen);
void ic_cbor_doc_free(struct ic_cbor_doc *doc);

#define IC_CBOR_NONE SIZE_MAX
/* Skip any number of tag 55799 wrappers (the IC's self-describe tag). */
size_t ic_cbor_untag(const struct ic_cbor_doc *d, size_t i);
/* Value of text key `key` in map i (after untagging i), or IC_CBOR_NONE. */
size_t ic_cbor_map_get(const struct ic_cbor_doc *d, size_t map, const char *key);
/* The k-th element of array i (IC_CBOR_NONE if out of range or not an array). */
size_t ic_cbor_array_at(const struct ic_cbor_doc *d, size_t arr, size_t k);
static inline size_t ic_cbor_next(const struct ic_cbor_doc *d, size_t i)
{
	return i + d->items[i].size;
}
/* Checked accessors: 0 ok, -1 when the item has another type (or is IC_CBOR_NONE). */
int ic_cbor_get_bytes(const struct ic_cbor_doc *d, size_t i, const uint8_t **p, size_t *len);
int ic_cbor_get_text(const struct ic_cbor_doc *d, size_t i, const char **p, size_t *len);
int ic_cbor_get_uint(const struct ic_cbor_doc *d, size_t i, uint64_t *v);

/* Encoder: heads and strings appended to a buffer. */
void ic_cbor_put_head(struct ic_buf *b, unsigned major, uint64_t v);
void ic_cbor_put_uint(struct ic_buf *b, uint64_t v);
void ic_cbor_put_bytes(struct ic_buf *b, const void *p, size_t n);
void ic_cbor_put_text(struct ic_buf *b, const char *s);
void ic_cbor_put_textn(struct ic_buf *b, const char *s, size_t n);
void ic_cbor_put_self_describe(struct ic_buf *b);

/* 1 if p[0..n) is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
int ic_utf8_valid(const uint8_t *p, size_t n);
#endif
