/* cbor.c - strict CBOR decoding into a flat item array, and encoding helpers (see cbor.h). */
#include "ic/cbor.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct ic_cbor_limits ic_cbor_default_limits = {64, 1000000, 1024};

struct dec {
	const uint8_t *buf;
	size_t len, pos;
	const struct ic_cbor_limits *lim;
	struct ic_cbor_item *items;
	size_t n, cap;
	char *err;
	size_t errlen;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(struct dec *d, size_t off, const char *fmt, ...)
{
	if (d->err != NULL && d->errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		int k = vsnprintf(d->err, d->errlen, fmt, ap);
		va_end(ap);
		if (k >= 0 && (size_t)k < d->errlen)
			snprintf(d->err + k, d->errlen - (size_t)k, " at byte %zu", off);
	}
	return -1;
}

int ic_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t k;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static int head(struct dec *d, unsigned *major, uint64_t *v)
{
	size_t off = d->pos;
	if (d->pos >= d->len)
		return fail(d, off, "cbor: unexpected end of input");
	uint8_t ib = d->buf[d->pos++];
	*major = ib >> 5;
	unsigned ai = ib & 31;
	if (ai < 24) {
		*v = ai;
		return 0;
	}
	if (ai == 31)
		return fail(d, off, "cbor: indefinite length (not used by the IC)");
	if (ai > 27)
		return fail(d, off, "cbor: reserved additional info %u", ai);
	size_t k = (size_t)1 << (ai - 24);
	if (d->len - d->pos < k)
		return fail(d, off, "cbor: truncated head");
	uint64_t r = 0;
	for (size_t i = 0; i < k; i++)
		r = r << 8 | d->buf[d->pos + i];
	d->pos += k;
	*v = r;
	return 0;
}

static int item(struct dec *d, unsigned depth)
{
	size_t off = d->pos;
	unsigned major = 0;
	uint64_t v = 0;
	if (head(d, &major, &v) != 0)
		return -1;
	if (d->n >= d->lim->max_items)
		return fail(d, off, "cbor: more than %zu items", d->lim->max_items);
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct ic_cbor_item *it = realloc(d->items, cap * sizeof *it);
		if (it == NULL)
			return fail(d, off, "cbor: out of memory");
		d->items = it;
		d->cap = cap;
	}
	size_t me = d->n++;
	struct ic_cbor_item *it = &d->items[me];
	memset(it, 0, sizeof *it);
	it->type = (uint8_t)major;
	it->v = v;
	it->off = off;
	switch (major) {
	case 0:
	case 1:
		break;
	case 2:
	case 3:
		if (v > d->len - d->pos)
			return fail(d, off, "cbor: string of %llu bytes exceeds the input", (unsigned long long)v);
		it->p = d->buf + d->pos;
		if (major == 3 && !ic_utf8_valid(it->p, (size_t)v))
			return fail(d, off, "cbor: text string is not valid UTF-8");
		d->pos += (size_t)v;
		break;
	case 4:
	case 5: {
		if (depth >= d->lim->max_depth)
			return fail(d, off, "cbor: nesting deeper than %u", d->lim->max_depth);
		/* each element needs at least one byte: reject impossible counts before looping */
		uint64_t need = major == 5 ? v * 2 : v;
		if (v > d->len || need > d->len - d->pos)
			return fail(d, off, "cbor: %s of %llu elements exceeds the input", major == 4 ? "array" : "map",
			            (unsigned long long)v);
		if (major == 5 && v > d->lim->max_map_pairs)
			return fail(d, off, "cbor: map of %llu pairs (limit %zu)", (unsigned long long)v,
			            d->lim->max_map_pairs);
		for (uint64_t k = 0; k < need; k++)
			if (item(d, depth + 1) != 0)
				return -1;
		if (major == 5) { /* unique keys: compare each key with the ones before it */
			size_t a = me + 1;
			for (uint64_t k = 0; k < v; k++) {
				const struct ic_cbor_item *ka = &d->items[a];
				size_t b = me + 1;
				for (uint64_t j = 0; j < k; j++) {
					const struct ic_cbor_item *kb = &d->items[b];
					if (ka->type == kb->type && ka->v == kb->v && ka->size == 1 && kb->size == 1 &&
					    (ka->p == NULL || memcmp(ka->p, kb->p, (size_t)ka->v) == 0))
						return fail(d, ka->off, "cbor: duplicate map key");
					b += kb->size;
					b += d->items[b].size;
				}
				a += ka->size;
				a += d->items[a].size;
			}
		}
		break;
	}
	case 6:
		if (depth >= d->lim->max_depth)
			return fail(d, off, "cbor: nesting deeper than %u", d->lim->max_depth);
		if (item(d, depth + 1) != 0)
			return -1;
		break;
	default:
		if (v != 20 && v != 21 && v != 22)
			return fail(d, off, "cbor: unsupported simple value or float (%llu)", (unsigned long long)v);
		break;
	}
	d->items[me].size = (uint32_t)(d->n - me);
	return 0;
}

int ic_cbor_decode(const uint8_t *buf, size_t len, const struct ic_cbor_limits *lim, struct ic_cbor_doc *doc,
                   char *err, size_t errlen)
{
	struct dec d = {buf, len, 0, lim ? lim : &ic_cbor_default_limits, NULL, 0, 0, err, errlen};
	doc->items = NULL;
	doc->n = 0;
	if (d.lim->max_items > UINT32_MAX) {
		fail(&d, 0, "cbor: item limit too large");
		return -1;
	}
	if (item(&d, 0) != 0) {
		free(d.items);
		return -1;
	}
	if (d.pos != len) {
		fail(&d, d.pos, "cbor: %zu trailing bytes", len - d.pos);
		free(d.items);
		return -1;
	}
	doc->items = d.items;
	doc->n = d.n;
	return 0;
}

void ic_cbor_doc_free(struct ic_cbor_doc *doc)
{
	free(doc->items);
	doc->items = NULL;
	doc->n = 0;
}

size_t ic_cbor_untag(const struct ic_cbor_doc *d, size_t i)
{
	while (i < d->n && d->items[i].type == IC_CBOR_TAG && d->items[i].v == IC_CBOR_TAG_SELF_DESCRIBE)
		i++;
	return i < d->n ? i : IC_CBOR_NONE;
}

size_t ic_cbor_map_get(const struct ic_cbor_doc *d, size_t map, const char *key)
{
	map = ic_cbor_untag(d, map);
	if (map == IC_CBOR_NONE || d->items[map].type != IC_CBOR_MAP)
		return IC_CBOR_NONE;
	size_t klen = strlen(key), k = map + 1;
	for (uint64_t j = 0; j < d->items[map].v; j++) {
		const struct ic_cbor_item *ki = &d->items[k];
		size_t val = k + ki->size;
		if (ki->type == IC_CBOR_TEXT && ki->v == klen && memcmp(ki->p, key, klen) == 0)
			return val;
		k = val + d->items[val].size;
	}
	return IC_CBOR_NONE;
}

size_t ic_cbor_array_at(const struct ic_cbor_doc *d, size_t arr, size_t k)
{
	if (arr >= d->n || d->items[arr].type != IC_CBOR_ARRAY || k >= d->items[arr].v)
		return IC_CBOR_NONE;
	size_t i = arr + 1;
	while (k-- > 0)
		i += d->items[i].size;
	return i;
}

int ic_cbor_get_bytes(const struct ic_cbor_doc *d, size_t i, const uint8_t **p, size_t *len)
{
	if (i >= d->n || d->items[i].type != IC_CBOR_BYTES)
		return -1;
	*p = d->items[i].p;
	*len = (size_t)d->items[i].v;
	return 0;
}

int ic_cbor_get_text(const struct ic_cbor_doc *d, size_t i, const char **p, size_t *len)
{
	if (i >= d->n || d->items[i].type != IC_CBOR_TEXT)
		return -1;
	*p = (const char *)d->items[i].p;
	*len = (size_t)d->items[i].v;
	return 0;
}

int ic_cbor_get_uint(const struct ic_cbor_doc *d, size_t i, uint64_t *v)
{
	if (i >= d->n || d->items[i].type != IC_CBOR_UINT)
		return -1;
	*v = d->items[i].v;
	return 0;
}

void ic_cbor_put_head(struct ic_buf *b, unsigned major, uint64_t v)
{
	uint8_t t[9];
	size_t n;
	uint8_t m = (uint8_t)(major << 5);
	if (v < 24) {
		t[0] = m | (uint8_t)v, n = 1;
	} else if (v <= 0xff) {
		t[0] = m | 24, t[1] = (uint8_t)v, n = 2;
	} else if (v <= 0xffff) {
		t[0] = m | 25, n = 3;
	} else if (v <= 0xffffffffULL) {
		t[0] = m | 26, n = 5;
	} else {
		t[0] = m | 27, n = 9;
	}
	if (n > 2)
		for (size_t i = 1; i < n; i++)
			t[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	ic_buf_put(b, t, n);
}

void ic_cbor_put_uint(struct ic_buf *b, uint64_t v)
{
	ic_cbor_put_head(b, 0, v);
}

void ic_cbor_put_bytes(struct ic_buf *b, const void *p, size_t n)
{
	ic_cbor_put_head(b, 2, n);
	ic_buf_put(b, p, n);
}

void ic_cbor_put_textn(struct ic_buf *b, const char *s, size_t n)
{
	ic_cbor_put_head(b, 3, n);
	ic_buf_put(b, s, n);
}

void ic_cbor_put_text(struct ic_buf *b, const char *s)
{
	ic_cbor_put_textn(b, s, strlen(s));
}

void ic_cbor_put_self_describe(struct ic_buf *b)
{
	static const uint8_t tag[3] = {0xd9, 0xd9, 0xf7};
	ic_buf_put(b, tag, 3);
}
