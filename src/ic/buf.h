/* buf.h - a growable byte buffer and LEB128 helpers shared by the IC codecs.
 * Errors are sticky: after a failed allocation `oom` is set, later appends do nothing, and the
 * owner checks `oom` once at the end (so encoders need no error path per byte). */
#ifndef ICARC_IC_BUF_H
#define ICARC_IC_BUF_H
#include <stddef.h>
#include <stdint.h>

struct ic_buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

void ic_buf_init(struct ic_buf *b);
void ic_buf_free(struct ic_buf *b);
/* Make room for n more bytes; returns a pointer to them or NULL (and sets oom). */
uint8_t *ic_buf_reserve(struct ic_buf *b, size_t n);
void ic_buf_put(struct ic_buf *b, const void *p, size_t n);
void ic_buf_put_u8(struct ic_buf *b, uint8_t v);
void ic_buf_put_leb(struct ic_buf *b, uint64_t v);
void ic_buf_put_sleb(struct ic_buf *b, int64_t v);
/* Detach the bytes (the caller frees them); the buffer becomes empty. */
uint8_t *ic_buf_take(struct ic_buf *b, size_t *len);

/* Encode v as shortest LEB128 into out (at least 10 bytes); returns the length. */
size_t ic_leb_encode(uint64_t v, uint8_t out[10]);
size_t ic_sleb_encode(int64_t v, uint8_t out[10]);
/* Decode an unsigned LEB128 that fits in 64 bits. Returns bytes used, 0 if truncated or too big. */
size_t ic_leb_decode(const uint8_t *p, size_t len, uint64_t *v);

void ic_hex(char *out, const uint8_t *p, size_t n); /* out holds 2n+1 bytes */
/* Parse exactly 2n hex digits (either case). 0 ok, -1 bad. */
int ic_unhex(uint8_t *out, size_t n, const char *hex, size_t hexlen);
#endif
