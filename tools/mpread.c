/* mpread.c - the MessagePack tokenizer (format: msgpack/msgpack spec.md). */
#include "config.h"

#include <string.h>

#include "tools/mpread.h"

const char *mp_kind_name(enum mp_kind k)
{
	static const char *const names[] = {"nil", "bool", "uint", "int", "float32", "float64",
	                                    "str", "bin", "ext", "array", "map"};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static inline uint16_t be16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64(const unsigned char *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

/* Bytes of the header that follow the type byte, by type byte 0xc0..0xdf (0: none; 255: unused). */
static const unsigned char extra_len[32] = {
	0, 255, 0, 0, 1, 2, 4, 2, 3, 5, 4, 8,  /* c0 nil, c1, false, true, bin8/16/32, ext8/16/32, f32, f64 */
	1, 2, 4, 8, 1, 2, 4, 8,                /* cc..d3 uint8..64, int8..64 */
	1, 1, 1, 1, 1,                         /* d4..d8 fixext 1/2/4/8/16: the type byte (data is payload) */
	1, 2, 4,                               /* d9..db str8/16/32 */
	2, 4, 2, 4                             /* dc..df array16/32, map16/32 */
};

static int truncated(struct st_reader *r, uint64_t off, const char *what, uint64_t need)
{
	if (r->failed)
		return -1;
	return st_reader_fail(r, "offset %llu: truncated %s (needs %llu bytes, %llu left)",
	                      (unsigned long long)off, what, (unsigned long long)need,
	                      (unsigned long long)(r->end - off));
}

static int payload(struct st_reader *r, struct mp_tok *t, enum mp_kind kind, uint64_t len, size_t hdr)
{
	t->kind = kind;
	t->len = (uint32_t)len;
	r->pos += hdr;
	if (len > st_reader_left(r))
		return truncated(r, t->off, mp_kind_name(kind), hdr + len);
	return 0;
}

static int container(struct st_reader *r, struct mp_tok *t, enum mp_kind kind, uint64_t n, size_t hdr)
{
	t->kind = kind;
	t->len = (uint32_t)n;
	r->pos += hdr;
	/* every element takes at least one byte: a larger count cannot be right */
	uint64_t need = kind == MP_MAP ? 2 * n : n;
	if (need > st_reader_left(r))
		return st_reader_fail(r, "offset %llu: %s of %llu %s but only %llu bytes left",
		                      (unsigned long long)t->off, mp_kind_name(kind), (unsigned long long)n,
		                      kind == MP_MAP ? "pairs" : "elements",
		                      (unsigned long long)st_reader_left(r));
	return 0;
}

int mp_next(struct st_reader *r, struct mp_tok *t)
{
	if (r->failed)
		return -1;
	if (r->pos >= r->len && st_reader_fill(r, 1) != 0)
		return r->failed ? -1 : 1;
	t->off = st_reader_off(r);
	t->ext_type = 0;
	const unsigned char *p = r->buf + r->pos;
	unsigned c = p[0];
	if (c <= 0x7f) {
		t->kind = MP_UINT;
		t->v.u = c;
		r->pos++;
		return 0;
	}
	if (c >= 0xe0) {
		t->kind = MP_INT;
		t->v.i = (int8_t)c;
		r->pos++;
		return 0;
	}
	if (c <= 0x8f)
		return container(r, t, MP_MAP, c & 0x0f, 1);
	if (c <= 0x9f)
		return container(r, t, MP_ARRAY, c & 0x0f, 1);
	if (c <= 0xbf)
		return payload(r, t, MP_STR, c & 0x1f, 1);
	size_t extra = extra_len[c - 0xc0];
	if (extra == 255)
		return st_reader_fail(r, "offset %llu: byte 0xc1 is never used in MessagePack",
		                      (unsigned long long)t->off);
	if (st_reader_fill(r, 1 + extra) != 0)
		return truncated(r, t->off, "header", 1 + extra);
	p = r->buf + r->pos;
	const unsigned char *q = p + 1;
	switch (c) {
	case 0xc0: t->kind = MP_NIL; break;
	case 0xc2: case 0xc3: t->kind = MP_BOOL; t->v.b = c == 0xc3; break;
	case 0xc4: return payload(r, t, MP_BIN, q[0], 2);
	case 0xc5: return payload(r, t, MP_BIN, be16(q), 3);
	case 0xc6: return payload(r, t, MP_BIN, be32(q), 5);
	case 0xc7: t->ext_type = (int8_t)q[1]; return payload(r, t, MP_EXT, q[0], 3);
	case 0xc8: t->ext_type = (int8_t)q[2]; return payload(r, t, MP_EXT, be16(q), 4);
	case 0xc9: t->ext_type = (int8_t)q[4]; return payload(r, t, MP_EXT, be32(q), 6);
	case 0xca: {
		uint32_t b = be32(q);
		t->kind = MP_F32;
		memcpy(&t->v.f, &b, 4);
		break;
	}
	case 0xcb: {
		uint64_t b = be64(q);
		t->kind = MP_F64;
		memcpy(&t->v.d, &b, 8);
		break;
	}
	case 0xcc: t->kind = MP_UINT; t->v.u = q[0]; break;
	case 0xcd: t->kind = MP_UINT; t->v.u = be16(q); break;
	case 0xce: t->kind = MP_UINT; t->v.u = be32(q); break;
	case 0xcf: t->kind = MP_UINT; t->v.u = be64(q); break;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
		int64_t v = c == 0xd0 ? (int8_t)q[0] : c == 0xd1 ? (int16_t)be16(q)
		          : c == 0xd2 ? (int32_t)be32(q) : (int64_t)be64(q);
		if (v >= 0) {
			t->kind = MP_UINT;
			t->v.u = (uint64_t)v;
		} else {
			t->kind = MP_INT;
			t->v.i = v;
		}
		break;
	}
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		t->ext_type = (int8_t)q[0];
		return payload(r, t, MP_EXT, (uint64_t)1 << (c - 0xd4), 2);
	case 0xd9: return payload(r, t, MP_STR, q[0], 2);
	case 0xda: return payload(r, t, MP_STR, be16(q), 3);
	case 0xdb: return payload(r, t, MP_STR, be32(q), 5);
	case 0xdc: return container(r, t, MP_ARRAY, be16(q), 3);
	case 0xdd: return container(r, t, MP_ARRAY, be32(q), 5);
	case 0xde: return container(r, t, MP_MAP, be16(q), 3);
	default:   return container(r, t, MP_MAP, be32(q), 5);
	}
	r->pos += 1 + extra;
	return 0;
}

int mp_skip_payload(struct st_reader *r, const struct mp_tok *t)
{
	if (t->kind != MP_STR && t->kind != MP_BIN && t->kind != MP_EXT)
		return 0;
	if (t->len > st_reader_left(r))
		return truncated(r, t->off, mp_kind_name(t->kind), t->len);
	st_reader_seek(r, st_reader_off(r) + t->len);
	return 0;
}

int mp_skip_rest(struct st_reader *r, const struct mp_tok *t)
{
	uint64_t pending = 0; /* values still to skip; bounded by the bytes left, so no overflow */
	struct mp_tok cur = *t;
	for (;;) {
		if (cur.kind == MP_ARRAY)
			pending += cur.len;
		else if (cur.kind == MP_MAP)
			pending += 2 * (uint64_t)cur.len;
		else if (mp_skip_payload(r, &cur) != 0)
			return -1;
		if (pending > st_reader_left(r))
			return st_reader_fail(r, "offset %llu: %llu values announced but only %llu bytes left",
			                      (unsigned long long)cur.off, (unsigned long long)pending,
			                      (unsigned long long)st_reader_left(r));
		if (pending == 0)
			return 0;
		int rc = mp_next(r, &cur);
		if (rc != 0)
			return rc < 0 ? -1 : truncated(r, st_reader_off(r), "container", pending);
		pending--;
	}
}

int mp_skip(struct st_reader *r)
{
	struct mp_tok t;
	int rc = mp_next(r, &t);
	if (rc != 0)
		return rc;
	return mp_skip_rest(r, &t);
}
