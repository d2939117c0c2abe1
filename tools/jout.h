/* jout.h - a buffered text sink with the JSON primitives the state tools write. */
#ifndef ICARC_TOOLS_JOUT_H
#define ICARC_TOOLS_JOUT_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Where full buffers go: 0 ok, -1 error. NULL: the text is kept in memory (grows, for tests) or,
 * with discard set, dropped (fuzzers). */
typedef int jout_flush_fn(void *ctx, const char *buf, size_t len);

struct jout {
	char *buf;
	size_t len, cap;
	jout_flush_fn *flush;
	void *ctx;
	int discard;
	int failed;
};

int jout_init(struct jout *o, jout_flush_fn *flush, void *ctx, size_t cap);
void jout_free(struct jout *o);
int jout_flush(struct jout *o); /* 0 ok, -1 failed (now or before) */
/* Make room for n bytes (n <= cap, or any n in memory mode); 0 ok, -1 failed. */
int jout_reserve(struct jout *o, size_t n);

void jout_raw_slow(struct jout *o, const void *p, size_t n);
static inline void jout_raw(struct jout *o, const void *p, size_t n)
{
	if (o->cap - o->len >= n) {
		memcpy(o->buf + o->len, p, n);
		o->len += n;
	} else {
		jout_raw_slow(o, p, n);
	}
}
static inline void jout_ch(struct jout *o, char c)
{
	if (o->len < o->cap || jout_reserve(o, 1) == 0)
		o->buf[o->len++] = c;
}
static inline void jout_str(struct jout *o, const char *s);
void jout_u64(struct jout *o, uint64_t v);
void jout_i64(struct jout *o, int64_t v);
/* Floats: the shortest decimal that reads back to the same float32/float64, always with a '.' or
 * an exponent (so it stays a float). Non-finite values are the caller's business. */
void jout_f32(struct jout *o, float v);
void jout_f64(struct jout *o, double v);
/* A JSON string (quoted) of valid UTF-8 bytes; control characters, '"' and '\\' escaped. */
void jout_jstr(struct jout *o, const unsigned char *s, size_t n);
/* The body (no quotes) of the same. */
void jout_jstr_body(struct jout *o, const unsigned char *s, size_t n);
/* base64 (RFC 4648, padded) or lowercase hex of bytes, without quotes. For pieces, base64 needs
 * whole 3-byte groups except in the last piece. */
void jout_base64(struct jout *o, const unsigned char *s, size_t n);
void jout_hex(struct jout *o, const unsigned char *s, size_t n);

/* 1 if s is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int utf8_valid(const unsigned char *s, size_t n);
/* The length of the longest prefix of s that does not end inside a multi-byte sequence (for
 * validating in pieces): n minus the bytes of a trailing incomplete sequence (0..3). */
size_t utf8_cut(const unsigned char *s, size_t n);

static inline void jout_str(struct jout *o, const char *s)
{
	jout_raw(o, s, strlen(s));
}
#endif
