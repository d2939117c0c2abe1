/* candid.h - the Candid binary format (dfinity/candid spec/Candid.md): type tables, decoding at an
 * expected type with the spec's subtyping and coercion rules, encoding, and a parser for Candid
 * type text so expected types are written as in a .did file.
 *
 * Usage:
 *   struct ic_ctable t; int32_t args[1]; size_t n = 1;
 *   ic_ctable_parse(&t, "type r = record { chunk : blob };", "(r)", args, &n, err, sizeof err);
 *   struct ic_cvalue *v;
 *   ic_candid_decode(msg, len, &t, args, 1, NULL, &arena, &v, err, sizeof err);
 *   const struct ic_cvalue *chunk = ic_cvalue_field(&t, &v[0], "chunk");  // chunk->u.s: into msg
 * Blobs (vec nat8 at vec nat8) and text point into the message: nothing is copied. */
#ifndef ICARC_IC_CANDID_H
#define ICARC_IC_CANDID_H
#include <stddef.h>
#include <stdint.h>

#include "ic/arena.h"
#include "ic/buf.h"

/* Type references: < 0 is a type opcode (primitives), >= 0 an index into a type table. */
enum {
	IC_CT_NULL = -1,
	IC_CT_BOOL = -2,
	IC_CT_NAT = -3,
	IC_CT_INT = -4,
	IC_CT_NAT8 = -5,
	IC_CT_NAT16 = -6,
	IC_CT_NAT32 = -7,
	IC_CT_NAT64 = -8,
	IC_CT_INT8 = -9,
	IC_CT_INT16 = -10,
	IC_CT_INT32 = -11,
	IC_CT_INT64 = -12,
	IC_CT_FLOAT32 = -13,
	IC_CT_FLOAT64 = -14,
	IC_CT_TEXT = -15,
	IC_CT_RESERVED = -16,
	IC_CT_EMPTY = -17,
	IC_CT_OPT = -18,
	IC_CT_VEC = -19,
	IC_CT_RECORD = -20,
	IC_CT_VARIANT = -21,
	IC_CT_FUNC = -22,
	IC_CT_SERVICE = -23,
	IC_CT_PRINCIPAL = -24,
	IC_CT_ALIAS = -100 /* parser only: a named type, resolved through `inner` */
};

#define IC_CANN_QUERY 1U
#define IC_CANN_ONEWAY 2U
#define IC_CANN_COMPOSITE 4U

struct ic_cfield {
	uint32_t id;       /* field id (hash of the name), or the position for tuples and func args */
	int32_t type;
	const char *name;  /* service methods (UTF-8, not NUL-terminated); record/variant names if parsed */
	uint32_t name_len;
};

struct ic_ctype {
	int32_t op;    /* IC_CT_OPT .. IC_CT_SERVICE, or an opcode below -24 (future type) */
	int32_t inner; /* opt, vec, alias */
	struct ic_cfield *f; /* record/variant fields, func args then results, service methods */
	uint32_t nf, nargs;  /* func: f[0..nargs) are arguments */
	uint8_t ann;         /* func annotations */
	uint8_t zero;        /* decoder scratch: 1 maybe zero-sized, 2 not */
	const char *name;    /* alias: the name */
	uint32_t name_len;
};

struct ic_ctable {
	struct ic_ctype *t;
	size_t n;
	struct ic_arena arena; /* owns t, fields and names */
};

/* Parse Candid type text: `defs` holds `type NAME = T;` definitions (may be NULL), `tuple` an
 * argument list such as "(record { a : nat }, opt text)". The table owns everything; free it with
 * ic_ctable_free. 0 ok, -1 with a message (line and column) in err. */
int ic_ctable_parse(struct ic_ctable *t, const char *defs, const char *tuple, int32_t *args, size_t *nargs,
                    char *err, size_t errlen);
void ic_ctable_free(struct ic_ctable *t);
/* Follow aliases. */
int32_t ic_ctype_resolve(const struct ic_ctable *t, int32_t ty);
uint32_t ic_candid_hash(const char *name, size_t len);

struct ic_cvalue {
	int32_t type; /* the expected type (resolved) the value was decoded at */
	union {
		int b;           /* bool */
		uint64_t u;      /* nat8..nat64 */
		int64_t i;       /* int8..int64 */
		float f32;
		double f64;
		struct {
			const uint8_t *p; /* text (UTF-8), principal bytes, blob */
			size_t len;
		} s;
		struct {
			uint8_t *mag; /* nat, int: magnitude, little endian, no trailing zero bytes */
			size_t len;
			int neg;
		} big;
		struct ic_cvalue *opt; /* NULL: none */
		struct {
			struct ic_cvalue *v; /* vec elements; record: one per expected field, in order */
			size_t n;
			const uint8_t *blob; /* vec nat8: the bytes, never NULL (v is NULL) */
		} vec;
		struct {
			uint32_t idx; /* into the expected variant's fields */
			struct ic_cvalue *v;
		} var;
		struct {
			const uint8_t *p; /* func/service: the service principal */
			size_t len;
			const char *method; /* func: method name */
			size_t mlen;
		} ref;
	} u;
};

struct ic_candid_limits {
	uint64_t max_cost;     /* values decoded or skipped (the spacebomb guard); 0: 4 per input byte + 10000 */
	unsigned max_depth;    /* nesting of values and types */
	size_t max_table;      /* entries in the type table */
	size_t max_arena;      /* bytes of decoded values */
};
extern const struct ic_candid_limits ic_candid_default_limits;

/* Decode a whole message at the expected argument types. On success *out is an array of
 * nexp values in `arena` (which the caller initialises and frees). The wire type table is
 * temporary. 0 ok; -1 with a message (byte offset) in err. */
int ic_candid_decode(const uint8_t *msg, size_t len, const struct ic_ctable *exp, const int32_t *args, size_t nexp,
                     const struct ic_candid_limits *lim, struct ic_arena *arena, struct ic_cvalue **out, char *err,
                     size_t errlen);

/* Record field by name (or by id with name NULL); NULL if absent or v is not a record. */
const struct ic_cvalue *ic_cvalue_field(const struct ic_ctable *t, const struct ic_cvalue *v, const char *name);
const struct ic_cvalue *ic_cvalue_field_id(const struct ic_ctable *t, const struct ic_cvalue *v, uint32_t id);
/* Variant case name (if parsed) and its value. */
const char *ic_cvalue_variant(const struct ic_ctable *t, const struct ic_cvalue *v, uint32_t *id, size_t *name_len);
/* A nat/int that fits: 0 ok, -1 too large or wrong type. */
int ic_cvalue_u64(const struct ic_cvalue *v, uint64_t *out);
/* Structural equality of two values of the same type (NaN equals NaN bit for bit). */
int ic_cvalue_equal(const struct ic_ctable *t, const struct ic_cvalue *a, const struct ic_cvalue *b);

/* Encode values of the given types (a table from ic_ctable_parse). 0 ok, -1 on a value that does
 * not match its type (message in err). */
int ic_candid_encode(const struct ic_ctable *t, const int32_t *args, const struct ic_cvalue *vals, size_t n,
                     struct ic_buf *out, char *err, size_t errlen);
#endif
