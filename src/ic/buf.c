/* buf.c - growable byte buffer and LEB128 helpers. */
#include "ic/buf.h"

#include <stdlib.h>
#include <string.h>

void ic_buf_init(struct ic_buf *b)
{
	memset(b, 0, sizeof *b);
}

void ic_buf_free(struct ic_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

uint8_t *ic_buf_reserve(struct ic_buf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (n > SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return NULL;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = 1;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	return b->p + b->len;
}

void ic_buf_put(struct ic_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	uint8_t *d = ic_buf_reserve(b, n);
	if (d == NULL)
		return;
	memcpy(d, p, n);
	b->len += n;
}

void ic_buf_put_u8(struct ic_buf *b, uint8_t v)
{
	ic_buf_put(b, &v, 1);
}

void ic_buf_put_leb(struct ic_buf *b, uint64_t v)
{
	uint8_t t[10];
	ic_buf_put(b, t, ic_leb_encode(v, t));
}

void ic_buf_put_sleb(struct ic_buf *b, int64_t v)
{
	uint8_t t[10];
	ic_buf_put(b, t, ic_sleb_encode(v, t));
}

uint8_t *ic_buf_take(struct ic_buf *b, size_t *len)
{
	uint8_t *p = b->p;
	*len = b->len;
	if (p == NULL && !b->oom)
		p = malloc(1); /* an empty result is still a valid pointer */
	memset(b, 0, sizeof *b);
	return p;
}

size_t ic_leb_encode(uint64_t v, uint8_t out[10])
{
	size_t n = 0;
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		out[n++] = byte | (v ? 0x80 : 0);
	} while (v);
	return n;
}

size_t ic_sleb_encode(int64_t v, uint8_t out[10])
{
	size_t n = 0;
	for (;;) {
		uint8_t byte = (uint8_t)(v & 0x7f);
		v >>= 7; /* arithmetic shift: gcc and clang define it for negative values */
		int done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
		out[n++] = byte | (done ? 0 : 0x80);
		if (done)
			return n;
	}
}

size_t ic_leb_decode(const uint8_t *p, size_t len, uint64_t *v)
{
	uint64_t r = 0;
	for (size_t i = 0; i < len && i < 10; i++) {
		uint64_t part = p[i] & 0x7f;
		if (i == 9 && part > 1)
			return 0;
		r |= part << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = r;
			return i + 1;
		}
	}
	return 0;
}

void ic_hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
}

static int nib(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ic_unhex(uint8_t *out, size_t n, const char *hex, size_t hexlen)
{
	if (hexlen != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
