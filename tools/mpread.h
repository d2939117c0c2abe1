/* mpread.h - a streaming (pull) MessagePack tokenizer over a bounded buffer.
 *
 * Why not msgpack-c's unpacker: msgpack_unpacker_next() returns a whole msgpack_object tree, so
 * the complete top-level value (and every str/bin it holds, referenced in the unpacker buffer)
 * must be in memory before anything is returned. A canister state is typically ONE top-level map
 * of up to several GiB, so that would need the state's size in RAM (plus the zone's objects), and
 * its C API trusts array/map counts from the input (it allocates n objects up front). This reader
 * returns one token at a time (a scalar, a container header with its count, or a str/bin/ext
 * header whose payload the caller reads or skips in pieces), holding at most the reader's buffer;
 * nesting is the caller's business, kept on an explicit stack (decode.c) or as a pending count
 * (mp_skip). Every count and length is checked against the bytes left before it is trusted. */
#ifndef ICARC_TOOLS_MPREAD_H
#define ICARC_TOOLS_MPREAD_H
#include <stdint.h>

#include "tools/stsrc.h"

enum mp_kind {
	MP_NIL, MP_BOOL, MP_UINT, MP_INT, MP_F32, MP_F64, MP_STR, MP_BIN, MP_EXT, MP_ARRAY, MP_MAP
};

struct mp_tok {
	enum mp_kind kind;
	int8_t ext_type;    /* MP_EXT */
	uint32_t len;       /* STR/BIN/EXT: payload bytes; ARRAY: elements; MAP: pairs */
	uint64_t off;       /* source offset of the token's first byte */
	union {
		uint64_t u;     /* MP_UINT (and non-negative signed ints) */
		int64_t i;      /* MP_INT: always negative */
		float f;
		double d;
		int b;
	} v;
};

const char *mp_kind_name(enum mp_kind k);

/* The next token. 0 ok; 1 at the reader's end (no byte left); -1 malformed or truncated (message
 * with the offset in r->err). A STR/BIN/EXT payload is NOT consumed: follow with mp_skip_payload
 * or read it (st_reader_fill / mp_payload_piece). Container counts are checked against the bytes
 * left (each element takes at least one byte). */
int mp_next(struct st_reader *r, struct mp_tok *t);
/* Skip n payload bytes (checked). 0 ok, -1 truncated. */
int mp_skip_payload(struct st_reader *r, const struct mp_tok *t);
/* Skip one whole value whose first token is t (payload not yet consumed), without recursion:
 * a count of values still to skip. 0 ok, -1 error. */
int mp_skip_rest(struct st_reader *r, const struct mp_tok *t);
/* Skip the next whole value. 0 ok, 1 at end, -1 error. */
int mp_skip(struct st_reader *r);
#endif
