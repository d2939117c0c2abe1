/* candid.c - Candid binary decoding with subtyping and coercion, and encoding (Candid.md
 * §Binary Format, §Decoding). Decoding follows the spec's value-based rules: a value that does
 * not fit the expected type inside an `opt` becomes null; malformed bytes are always an error.
 * Internally "mismatch" (1) and "malformed" (-1) are kept apart for exactly that reason. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/candid.h"
#include "ic/cbor.h" /* ic_utf8_valid */

const struct ic_candid_limits ic_candid_default_limits = {0, 128, 10000, 512U << 20};

enum { OK = 0, MISMATCH = 1, HARD = -1 };

struct pair {
	const struct ic_ctable *ta, *tb;
	int32_t a, b;
};

struct dec {
	const uint8_t *m;
	size_t len, pos;
	struct ic_ctable w; /* wire types */
	const struct ic_ctable *e;
	struct ic_arena *a;
	uint64_t cost, max_cost;
	unsigned max_depth;
	char *err;
	size_t errlen;
	int failed;
	struct pair *memo;
	size_t nmemo, capmemo;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int hard(struct dec *d, const char *fmt, ...)
{
	if (!d->failed && d->err != NULL && d->errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		int k = vsnprintf(d->err, d->errlen, fmt, ap);
		va_end(ap);
		if (k >= 0 && (size_t)k < d->errlen)
			snprintf(d->err + k, d->errlen - (size_t)k, " at byte %zu", d->pos);
	}
	d->failed = 1;
	return HARD;
}

static int charge(struct dec *d, uint64_t n)
{
	d->cost += n;
	if (d->cost > d->max_cost)
		return hard(d, "candid: decoding cost exceeds the limit of %llu (too many values for the input size)",
		            (unsigned long long)d->max_cost);
	return OK;
}

static int rd_byte(struct dec *d, uint8_t *b)
{
	if (d->pos >= d->len) {
		*b = 0;
		return hard(d, "candid: unexpected end of input");
	}
	*b = d->m[d->pos++];
	return OK;
}

static int rd_leb(struct dec *d, uint64_t *v)
{
	uint64_t r = 0;
	unsigned shift = 0;
	uint8_t b;
	do {
		if (rd_byte(d, &b) != OK)
			return HARD;
		uint64_t part = b & 0x7f;
		if (shift < 64) {
			if (shift == 63 && part > 1)
				return hard(d, "candid: LEB128 number too large");
			r |= part << shift;
			shift += 7;
		} else if (part != 0) {
			return hard(d, "candid: LEB128 number too large");
		}
	} while (b & 0x80);
	*v = r;
	return OK;
}

static int rd_sleb(struct dec *d, int64_t *v)
{
	int64_t r = 0;
	unsigned shift = 0;
	uint8_t b;
	do {
		if (rd_byte(d, &b) != OK)
			return HARD;
		if (shift >= 63 && shift < 70) {
			/* the last byte may only hold sign bits */
			uint8_t payload = b & 0x7f;
			if (shift == 63 && payload != 0 && payload != 0x7f)
				return hard(d, "candid: SLEB128 number too large");
		} else if (shift >= 70) {
			return hard(d, "candid: SLEB128 number too large");
		}
		if (shift < 64)
			r |= (int64_t)((uint64_t)(b & 0x7f) << shift);
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		r |= (int64_t)(~(uint64_t)0 << shift);
	*v = r;
	return OK;
}

static int op_of(const struct ic_ctable *t, int32_t ty)
{
	if (ty < 0)
		return ty;
	return t->t[ty].op;
}

/* ---- the wire type table ---- */

static int valid_ref(struct dec *d, int64_t r)
{
	if (r >= 0)
		return (size_t)r < d->w.n;
	return (r >= IC_CT_EMPTY && r <= IC_CT_NULL) || r == IC_CT_PRINCIPAL;
}

static int rd_ref(struct dec *d, int32_t *out)
{
	int64_t r;
	size_t at = d->pos;
	if (rd_sleb(d, &r) != OK)
		return HARD;
	if (!valid_ref(d, r)) {
		d->pos = at;
		return hard(d, "candid: invalid type reference %lld", (long long)r);
	}
	*out = (int32_t)r;
	return OK;
}

static int read_table(struct dec *d, size_t max_table)
{
	uint64_t n;
	if (rd_leb(d, &n) != OK)
		return HARD;
	if (n > max_table || n > d->len - d->pos)
		return hard(d, "candid: type table of %llu entries is too large", (unsigned long long)n);
	d->w.t = calloc(n ? n : 1, sizeof *d->w.t);
	if (d->w.t == NULL)
		return hard(d, "candid: out of memory");
	d->w.n = (size_t)n;
	for (size_t i = 0; i < n; i++) {
		struct ic_ctype *t = &d->w.t[i];
		int64_t op;
		size_t at = d->pos;
		if (rd_sleb(d, &op) != OK)
			return HARD;
		if (op >= 0 || op < INT32_MIN) {
			d->pos = at;
			return hard(d, "candid: type table entry %zu has opcode %lld (only composite types belong there)", i,
			            (long long)op);
		}
		t->op = (int32_t)op;
		switch (op) {
		case IC_CT_OPT:
		case IC_CT_VEC:
			if (rd_ref(d, &t->inner) != OK)
				return HARD;
			break;
		case IC_CT_RECORD:
		case IC_CT_VARIANT: {
			uint64_t nf;
			if (rd_leb(d, &nf) != OK)
				return HARD;
			if (nf > d->len - d->pos)
				return hard(d, "candid: %llu fields exceed the input", (unsigned long long)nf);
			t->f = ic_arena_array(&d->w.arena, nf ? nf : 1, sizeof *t->f);
			if (t->f == NULL)
				return hard(d, "candid: out of memory");
			t->nf = (uint32_t)nf;
			for (uint64_t k = 0; k < nf; k++) {
				uint64_t id;
				size_t fat = d->pos;
				if (rd_leb(d, &id) != OK)
					return HARD;
				if (id > UINT32_MAX || (k > 0 && id <= t->f[k - 1].id)) {
					d->pos = fat;
					return hard(d, "candid: field id %llu is %s", (unsigned long long)id,
					            id > UINT32_MAX ? "larger than 2^32-1" : "not above the previous one (fields must be sorted and unique)");
				}
				t->f[k].id = (uint32_t)id;
				if (rd_ref(d, &t->f[k].type) != OK)
					return HARD;
			}
			break;
		}
		case IC_CT_FUNC: {
			uint64_t na, nr, nann;
			if (rd_leb(d, &na) != OK)
				return HARD;
			if (na > d->len - d->pos)
				return hard(d, "candid: func argument count exceeds the input");
			size_t save = d->pos;
			/* two passes would be simpler to read; one allocation of na + nr is enough */
			for (uint64_t k = 0; k < na; k++) {
				int32_t r;
				if (rd_ref(d, &r) != OK)
					return HARD;
			}
			if (rd_leb(d, &nr) != OK)
				return HARD;
			if (nr > d->len - d->pos)
				return hard(d, "candid: func result count exceeds the input");
			t->f = ic_arena_array(&d->w.arena, na + nr + 1, sizeof *t->f);
			if (t->f == NULL)
				return hard(d, "candid: out of memory");
			d->pos = save;
			for (uint64_t k = 0; k < na; k++) {
				t->f[k].id = (uint32_t)k;
				rd_ref(d, &t->f[k].type);
			}
			rd_leb(d, &nr);
			for (uint64_t k = 0; k < nr; k++) {
				t->f[na + k].id = (uint32_t)k;
				if (rd_ref(d, &t->f[na + k].type) != OK)
					return HARD;
			}
			t->nargs = (uint32_t)na;
			t->nf = (uint32_t)(na + nr);
			if (rd_leb(d, &nann) != OK)
				return HARD;
			if (nann > d->len - d->pos)
				return hard(d, "candid: func annotation count exceeds the input");
			for (uint64_t k = 0; k < nann; k++) {
				uint8_t a;
				if (rd_byte(d, &a) != OK)
					return HARD;
				if (a == 1)
					t->ann |= IC_CANN_QUERY;
				else if (a == 2)
					t->ann |= IC_CANN_ONEWAY;
				else if (a == 3)
					t->ann |= IC_CANN_COMPOSITE;
				else
					return hard(d, "candid: unknown func annotation %u", a);
			}
			break;
		}
		case IC_CT_SERVICE: {
			uint64_t nm;
			if (rd_leb(d, &nm) != OK)
				return HARD;
			if (nm > d->len - d->pos)
				return hard(d, "candid: service method count exceeds the input");
			t->f = ic_arena_array(&d->w.arena, nm ? nm : 1, sizeof *t->f);
			if (t->f == NULL)
				return hard(d, "candid: out of memory");
			t->nf = (uint32_t)nm;
			for (uint64_t k = 0; k < nm; k++) {
				uint64_t l;
				if (rd_leb(d, &l) != OK)
					return HARD;
				if (l > d->len - d->pos)
					return hard(d, "candid: method name exceeds the input");
				const uint8_t *name = d->m + d->pos;
				if (!ic_utf8_valid(name, (size_t)l))
					return hard(d, "candid: method name is not UTF-8");
				d->pos += (size_t)l;
				t->f[k].name = (const char *)name;
				t->f[k].name_len = (uint32_t)l;
				if (k > 0) {
					const struct ic_cfield *p = &t->f[k - 1];
					size_t mn = p->name_len < l ? p->name_len : (size_t)l;
					int c = mn ? memcmp(p->name, name, mn) : 0;
					if (c > 0 || (c == 0 && p->name_len >= l))
						return hard(d, "candid: service methods not sorted or not unique");
				}
				if (rd_ref(d, &t->f[k].type) != OK)
					return HARD;
			}
			break;
		}
		default:
			if (op < IC_CT_PRINCIPAL) { /* a future type: skip its description */
				uint64_t l;
				if (rd_leb(d, &l) != OK)
					return HARD;
				if (l > d->len - d->pos)
					return hard(d, "candid: future type exceeds the input");
				d->pos += (size_t)l;
				break;
			}
			d->pos = at;
			return hard(d, "candid: type table entry %zu has opcode %lld (only composite types belong there)", i,
			            (long long)op);
		}
	}
	/* service methods must have function types */
	for (size_t i = 0; i < d->w.n; i++)
		if (d->w.t[i].op == IC_CT_SERVICE)
			for (uint32_t k = 0; k < d->w.t[i].nf; k++)
				if (op_of(&d->w, d->w.t[i].f[k].type) != IC_CT_FUNC)
					return hard(d, "candid: a service method's type is not a function type");
	return OK;
}

/* ---- subtyping (for references, whose values carry no data to check) ---- */

static int optish(const struct ic_ctable *t, int32_t ty)
{
	int o = op_of(t, ic_ctype_resolve(t, ty));
	return o == IC_CT_OPT || o == IC_CT_NULL || o == IC_CT_RESERVED;
}

static const struct ic_cfield *find_id(const struct ic_ctype *t, uint32_t id)
{
	size_t lo = 0, hi = t->nf;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->f[mid].id == id)
			return &t->f[mid];
		if (t->f[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int subtype(struct dec *d, const struct ic_ctable *ta, int32_t a, const struct ic_ctable *tb, int32_t b,
                   unsigned depth);

/* tuple of ta fields fa[0..na) <: tuple of tb fields fb[0..nb) */
static int tuple_sub(struct dec *d, const struct ic_ctable *ta, const struct ic_cfield *fa, uint32_t na,
                     const struct ic_ctable *tb, const struct ic_cfield *fb, uint32_t nb, unsigned depth)
{
	for (uint32_t i = 0; i < nb; i++) {
		if (i < na) {
			if (!subtype(d, ta, fa[i].type, tb, fb[i].type, depth + 1))
				return 0;
		} else if (!optish(tb, fb[i].type)) {
			return 0;
		}
	}
	return 1;
}

static int subtype(struct dec *d, const struct ic_ctable *ta, int32_t a, const struct ic_ctable *tb, int32_t b,
                   unsigned depth)
{
	a = ic_ctype_resolve(ta, a);
	b = ic_ctype_resolve(tb, b);
	int ao = op_of(ta, a), bo = op_of(tb, b);
	/* the assumption list is searched linearly: charge for it so the total stays bounded */
	if (depth > d->max_depth || d->failed || charge(d, 1 + d->nmemo / 8) != OK)
		return 0;
	if (bo == IC_CT_RESERVED || ao == IC_CT_EMPTY)
		return 1;
	if (bo == IC_CT_OPT) /* the spec's opt rules together make every type a subtype of an opt */
		return 1;
	if (ao < IC_CT_PRINCIPAL)
		return 0;
	if (ao == IC_CT_SERVICE && bo == IC_CT_PRINCIPAL) /* spec: service <actortype> <: principal */
		return 1;
	if (a < 0 || b < 0)
		return ao == bo || (ao == IC_CT_NAT && bo == IC_CT_INT);
	for (size_t i = 0; i < d->nmemo; i++) /* coinduction: an assumed pair holds */
		if (d->memo[i].ta == ta && d->memo[i].tb == tb && d->memo[i].a == a && d->memo[i].b == b)
			return 1;
	if (d->nmemo == d->capmemo) {
		size_t cap = d->capmemo ? d->capmemo * 2 : 16;
		struct pair *m = realloc(d->memo, cap * sizeof *m);
		if (m == NULL)
			return hard(d, "candid: out of memory"), 0;
		d->memo = m;
		d->capmemo = cap;
	}
	d->memo[d->nmemo++] = (struct pair){ta, tb, a, b};
	const struct ic_ctype *x = &ta->t[a], *y = &tb->t[b];
	if (ao != bo)
		return 0;
	switch (ao) {
	case IC_CT_VEC:
		return subtype(d, ta, x->inner, tb, y->inner, depth + 1);
	case IC_CT_RECORD:
		for (uint32_t i = 0; i < y->nf; i++) {
			const struct ic_cfield *f = find_id(x, y->f[i].id);
			if (f ? !subtype(d, ta, f->type, tb, y->f[i].type, depth + 1) : !optish(tb, y->f[i].type))
				return 0;
		}
		return 1;
	case IC_CT_VARIANT:
		for (uint32_t i = 0; i < x->nf; i++) {
			const struct ic_cfield *f = find_id(y, x->f[i].id);
			if (f == NULL || !subtype(d, ta, x->f[i].type, tb, f->type, depth + 1))
				return 0;
		}
		return 1;
	case IC_CT_FUNC:
		if (x->ann != y->ann)
			return 0;
		/* arguments contravariant, results covariant, both as tuples */
		return tuple_sub(d, tb, y->f, y->nargs, ta, x->f, x->nargs, depth) &&
		       tuple_sub(d, ta, x->f + x->nargs, x->nf - x->nargs, tb, y->f + y->nargs, y->nf - y->nargs, depth);
	case IC_CT_SERVICE:
		for (uint32_t i = 0; i < y->nf; i++) {
			const struct ic_cfield *f = NULL;
			for (uint32_t k = 0; k < x->nf && f == NULL; k++)
				if (x->f[k].name_len == y->f[i].name_len &&
				    memcmp(x->f[k].name, y->f[i].name, y->f[i].name_len) == 0)
					f = &x->f[k];
			if (f == NULL || !subtype(d, ta, f->type, tb, y->f[i].type, depth + 1))
				return 0;
		}
		return 1;
	default:
		return 0;
	}
}

static int is_subtype(struct dec *d, int32_t wt, int32_t et)
{
	d->nmemo = 0; /* assumptions of an earlier, possibly failed, check must not leak */
	int r = subtype(d, &d->w, wt, d->e, et, 0);
	d->nmemo = 0;
	return r;
}

/* ---- values ---- */

/* 1 if a value of wire type ty may take no bytes at all (null, reserved, records of those) */
static int maybe_zero(struct dec *d, int32_t ty, unsigned depth)
{
	int o = op_of(&d->w, ty);
	if (o == IC_CT_NULL || o == IC_CT_RESERVED)
		return 1;
	if (o != IC_CT_RECORD || depth > d->max_depth)
		return o == IC_CT_RECORD;
	struct ic_ctype *t = &d->w.t[ty];
	if (t->zero)
		return t->zero != 2;
	t->zero = 1; /* while visiting: assume yes (a cyclic record has no finite value anyway) */
	for (uint32_t i = 0; i < t->nf; i++)
		if (!maybe_zero(d, t->f[i].type, depth + 1)) {
			t->zero = 2;
			return 0;
		}
	return 1;
}

static int vec_count(struct dec *d, int32_t inner, uint64_t *n)
{
	if (rd_leb(d, n) != OK)
		return HARD;
	if (*n > d->len - d->pos && !maybe_zero(d, inner, 0))
		return hard(d, "candid: vec of %llu elements exceeds the input", (unsigned long long)*n);
	if (*n > d->max_cost - d->cost)
		return hard(d, "candid: vec of %llu elements exceeds the decoding cost limit", (unsigned long long)*n);
	return OK;
}

static int rd_text(struct dec *d, const uint8_t **p, size_t *n)
{
	uint64_t l;
	if (rd_leb(d, &l) != OK)
		return HARD;
	if (l > d->len - d->pos)
		return hard(d, "candid: text of %llu bytes exceeds the input", (unsigned long long)l);
	if (!ic_utf8_valid(d->m + d->pos, (size_t)l))
		return hard(d, "candid: text is not valid UTF-8");
	*p = d->m + d->pos;
	*n = (size_t)l;
	d->pos += (size_t)l;
	return OK;
}

/* principal, or the service part of a reference: 01 len bytes */
static int rd_principal(struct dec *d, const uint8_t **p, size_t *n)
{
	uint8_t flag;
	uint64_t l;
	if (rd_byte(d, &flag) != OK)
		return HARD;
	if (flag == 0)
		return hard(d, "candid: opaque references are not supported");
	if (flag != 1)
		return hard(d, "candid: invalid reference flag %u", flag);
	if (rd_leb(d, &l) != OK)
		return HARD;
	if (l > 29)
		return hard(d, "candid: principal of %llu bytes (at most 29)", (unsigned long long)l);
	if (l > d->len - d->pos)
		return hard(d, "candid: principal exceeds the input");
	*p = d->m + d->pos;
	*n = (size_t)l;
	d->pos += (size_t)l;
	return OK;
}

static int rd_func(struct dec *d, struct ic_cvalue *v)
{
	uint8_t flag;
	const uint8_t *p = NULL, *m = NULL;
	size_t n = 0, ml = 0;
	if (rd_byte(d, &flag) != OK)
		return HARD;
	if (flag == 0)
		return hard(d, "candid: opaque references are not supported");
	if (flag != 1)
		return hard(d, "candid: invalid func reference flag %u", flag);
	if (rd_principal(d, &p, &n) != OK || rd_text(d, &m, &ml) != OK)
		return HARD;
	if (v) {
		v->u.ref.p = p, v->u.ref.len = n;
		v->u.ref.method = (const char *)m, v->u.ref.mlen = ml;
	}
	return OK;
}

static int fixed_size(int op)
{
	switch (op) {
	case IC_CT_NAT8:
	case IC_CT_INT8:
		return 1;
	case IC_CT_NAT16:
	case IC_CT_INT16:
		return 2;
	case IC_CT_NAT32:
	case IC_CT_INT32:
	case IC_CT_FLOAT32:
		return 4;
	case IC_CT_NAT64:
	case IC_CT_INT64:
	case IC_CT_FLOAT64:
		return 8;
	default:
		return 0;
	}
}

static int skip(struct dec *d, int32_t wt, unsigned depth)
{
	int o = op_of(&d->w, wt);
	if (depth > d->max_depth)
		return hard(d, "candid: value nested deeper than %u", d->max_depth);
	if (charge(d, 1) != OK)
		return HARD;
	int fs = fixed_size(o);
	if (fs) {
		if ((size_t)fs > d->len - d->pos)
			return hard(d, "candid: unexpected end of input");
		d->pos += (size_t)fs;
		return OK;
	}
	uint8_t b;
	uint64_t n;
	const uint8_t *p;
	size_t l;
	switch (o) {
	case IC_CT_NULL:
	case IC_CT_RESERVED:
		return OK;
	case IC_CT_EMPTY:
		return hard(d, "candid: a value of type empty cannot exist");
	case IC_CT_BOOL:
		if (rd_byte(d, &b) != OK)
			return HARD;
		return b <= 1 ? OK : hard(d, "candid: invalid bool byte %u", b);
	case IC_CT_NAT:
	case IC_CT_INT:
		do {
			if (rd_byte(d, &b) != OK)
				return HARD;
		} while (b & 0x80);
		return OK;
	case IC_CT_TEXT:
		return rd_text(d, &p, &l);
	case IC_CT_PRINCIPAL:
	case IC_CT_SERVICE:
		return rd_principal(d, &p, &l);
	case IC_CT_FUNC:
		return rd_func(d, NULL);
	case IC_CT_OPT:
		if (rd_byte(d, &b) != OK)
			return HARD;
		if (b == 0)
			return OK;
		if (b != 1)
			return hard(d, "candid: invalid opt tag %u", b);
		return skip(d, d->w.t[wt].inner, depth + 1);
	case IC_CT_VEC: {
		int32_t in = d->w.t[wt].inner;
		if (vec_count(d, in, &n) != OK)
			return HARD;
		if (op_of(&d->w, in) == IC_CT_NAT8) {
			d->pos += (size_t)n; /* vec_count checked it fits */
			return OK;
		}
		for (uint64_t k = 0; k < n; k++)
			if (skip(d, in, depth + 1) != OK)
				return HARD;
		return OK;
	}
	case IC_CT_RECORD:
		for (uint32_t k = 0; k < d->w.t[wt].nf; k++)
			if (skip(d, d->w.t[wt].f[k].type, depth + 1) != OK)
				return HARD;
		return OK;
	case IC_CT_VARIANT:
		if (rd_leb(d, &n) != OK)
			return HARD;
		if (n >= d->w.t[wt].nf)
			return hard(d, "candid: variant index %llu out of range", (unsigned long long)n);
		return skip(d, d->w.t[wt].f[n].type, depth + 1);
	default: /* future type: byte count, reference count, bytes */
		if (rd_leb(d, &n) != OK || rd_leb(d, (uint64_t *)&l) != OK)
			return HARD;
		if (n > d->len - d->pos)
			return hard(d, "candid: future-type value exceeds the input");
		d->pos += (size_t)n;
		return OK;
	}
}

/* nat/int of any size into a little-endian magnitude */
static int rd_big(struct dec *d, int is_signed, struct ic_cvalue *v)
{
	size_t start = d->pos, k = 0;
	uint8_t b;
	do {
		if (rd_byte(d, &b) != OK)
			return HARD;
		k++;
	} while (b & 0x80);
	if (charge(d, k / 8) != OK)
		return HARD;
	size_t nb = k * 7 / 8 + 2;
	uint8_t *mag = ic_arena_alloc(d->a, nb);
	if (mag == NULL)
		return hard(d, "candid: out of memory (arena limit)");
	size_t bit = 0;
	for (size_t i = 0; i < k; i++) {
		unsigned g = d->m[start + i] & 0x7f;
		for (int j = 0; j < 7; j++, bit++)
			if (g >> j & 1)
				mag[bit / 8] |= (uint8_t)(1u << (bit % 8));
	}
	int neg = is_signed && (d->m[start + k - 1] & 0x40);
	if (neg) { /* sign-extend to nb bytes, then negate: magnitude = -(value) */
		for (; bit < nb * 8; bit++)
			mag[bit / 8] |= (uint8_t)(1u << (bit % 8));
		unsigned carry = 1;
		for (size_t i = 0; i < nb; i++) {
			unsigned x = (uint8_t)~mag[i] + carry;
			mag[i] = (uint8_t)x;
			carry = x >> 8;
		}
	}
	while (nb > 0 && mag[nb - 1] == 0)
		nb--;
	v->u.big.mag = mag;
	v->u.big.len = nb;
	v->u.big.neg = neg && nb > 0;
	return OK;
}

static int decode(struct dec *d, int32_t wt, int32_t et, struct ic_cvalue *v, unsigned depth);

static int set_missing(struct dec *d, int32_t et, struct ic_cvalue *v)
{
	et = ic_ctype_resolve(d->e, et);
	int o = op_of(d->e, et);
	v->type = et;
	if (o == IC_CT_OPT || o == IC_CT_NULL || o == IC_CT_RESERVED)
		return OK;
	return MISMATCH;
}

static int decode_opt(struct dec *d, int32_t wt, int32_t et, struct ic_cvalue *v, unsigned depth)
{
	int wo = op_of(&d->w, wt);
	int32_t in = ic_ctype_resolve(d->e, d->e->t[et].inner);
	v->u.opt = NULL;
	if (wo == IC_CT_NULL || wo == IC_CT_RESERVED)
		return OK;
	int32_t from = wt;
	if (wo == IC_CT_OPT) {
		uint8_t b;
		if (rd_byte(d, &b) != OK)
			return HARD;
		if (b == 0)
			return OK;
		if (b != 1)
			return hard(d, "candid: invalid opt tag %u", b);
		from = d->w.t[wt].inner;
	}
	struct ic_cvalue *x = ic_arena_alloc(d->a, sizeof *x);
	if (x == NULL)
		return hard(d, "candid: out of memory (arena limit)");
	size_t save = d->pos;
	int r = decode(d, from, in, x, depth + 1);
	if (r == MISMATCH) { /* does not fit: null, but the bytes must still be a valid value */
		d->pos = save;
		return skip(d, from, depth + 1);
	}
	if (r == OK)
		v->u.opt = x;
	return r;
}

static int decode(struct dec *d, int32_t wt, int32_t et, struct ic_cvalue *v, unsigned depth)
{
	et = ic_ctype_resolve(d->e, et);
	int eo = op_of(d->e, et), wo = op_of(&d->w, wt);
	v->type = et;
	if (depth > d->max_depth)
		return hard(d, "candid: value nested deeper than %u", d->max_depth);
	if (eo == IC_CT_RESERVED)
		return skip(d, wt, depth);
	if (wo == IC_CT_EMPTY)
		return hard(d, "candid: a value of type empty cannot exist");
	if (charge(d, 1) != OK)
		return HARD;
	if (eo == IC_CT_OPT)
		return decode_opt(d, wt, et, v, depth);
	int fs = fixed_size(eo);
	if (fs) {
		if (wo != eo)
			return MISMATCH;
		if ((size_t)fs > d->len - d->pos)
			return hard(d, "candid: unexpected end of input");
		uint64_t x = 0;
		for (int i = fs - 1; i >= 0; i--)
			x = x << 8 | d->m[d->pos + (size_t)i];
		d->pos += (size_t)fs;
		if (eo == IC_CT_FLOAT32) {
			uint32_t y = (uint32_t)x;
			memcpy(&v->u.f32, &y, 4);
		} else if (eo == IC_CT_FLOAT64) {
			memcpy(&v->u.f64, &x, 8);
		} else if (eo >= IC_CT_NAT64) {
			v->u.u = x;
		} else { /* sign-extend int8..int64 */
			unsigned sh = (unsigned)(64 - 8 * fs);
			v->u.i = (int64_t)(x << sh) >> sh;
		}
		return OK;
	}
	uint8_t b;
	uint64_t n;
	switch (eo) {
	case IC_CT_NULL:
		return wo == IC_CT_NULL ? OK : MISMATCH;
	case IC_CT_BOOL:
		if (wo != IC_CT_BOOL)
			return MISMATCH;
		if (rd_byte(d, &b) != OK)
			return HARD;
		if (b > 1)
			return hard(d, "candid: invalid bool byte %u", b);
		v->u.b = b;
		return OK;
	case IC_CT_NAT:
		return wo == IC_CT_NAT ? rd_big(d, 0, v) : MISMATCH;
	case IC_CT_INT:
		return wo == IC_CT_INT || wo == IC_CT_NAT ? rd_big(d, wo == IC_CT_INT, v) : MISMATCH;
	case IC_CT_TEXT:
		return wo == IC_CT_TEXT ? rd_text(d, &v->u.s.p, &v->u.s.len) : MISMATCH;
	case IC_CT_PRINCIPAL:
		/* a service reference has the same encoding and decodes at principal */
		return wo == IC_CT_PRINCIPAL || wo == IC_CT_SERVICE ? rd_principal(d, &v->u.s.p, &v->u.s.len) : MISMATCH;
	case IC_CT_EMPTY:
		return MISMATCH;
	case IC_CT_FUNC:
		if (wo != IC_CT_FUNC)
			return MISMATCH;
		if (rd_func(d, v) != OK)
			return HARD;
		return is_subtype(d, wt, et) ? OK : d->failed ? HARD : MISMATCH;
	case IC_CT_SERVICE:
		if (wo != IC_CT_SERVICE)
			return MISMATCH;
		if (rd_principal(d, &v->u.ref.p, &v->u.ref.len) != OK)
			return HARD;
		return is_subtype(d, wt, et) ? OK : d->failed ? HARD : MISMATCH;
	case IC_CT_VEC: {
		if (wo != IC_CT_VEC)
			return MISMATCH;
		int32_t win = d->w.t[wt].inner, ein = ic_ctype_resolve(d->e, d->e->t[et].inner);
		if (vec_count(d, win, &n) != OK)
			return HARD;
		if (op_of(&d->w, win) == IC_CT_NAT8 && op_of(d->e, ein) == IC_CT_NAT8) {
			v->u.vec.blob = d->m + d->pos; /* zero copy */
			v->u.vec.n = (size_t)n;
			d->pos += (size_t)n;
			return OK;
		}
		struct ic_cvalue *xs = ic_arena_array(d->a, n ? (size_t)n : 1, sizeof *xs);
		if (xs == NULL)
			return hard(d, "candid: out of memory (arena limit)");
		v->u.vec.v = xs;
		v->u.vec.n = (size_t)n;
		for (uint64_t k = 0; k < n; k++) {
			int r = decode(d, win, ein, &xs[k], depth + 1);
			if (r != OK)
				return r;
		}
		if (op_of(d->e, ein) == IC_CT_NAT8) {
			/* a vec nat8 is always given as bytes (here: an empty vec of another wire type) */
			uint8_t *bytes = ic_arena_alloc(d->a, (size_t)n + 1);
			if (bytes == NULL)
				return hard(d, "candid: out of memory (arena limit)");
			for (uint64_t k = 0; k < n; k++)
				bytes[k] = (uint8_t)xs[k].u.u;
			v->u.vec.v = NULL;
			v->u.vec.blob = bytes;
		}
		return OK;
	}
	case IC_CT_RECORD: {
		if (wo != IC_CT_RECORD)
			return MISMATCH;
		const struct ic_ctype *w = &d->w.t[wt], *e = &d->e->t[et];
		struct ic_cvalue *xs = ic_arena_array(d->a, e->nf ? e->nf : 1, sizeof *xs);
		if (xs == NULL)
			return hard(d, "candid: out of memory (arena limit)");
		v->u.vec.v = xs;
		v->u.vec.n = e->nf;
		uint32_t j = 0;
		for (uint32_t i = 0; i < w->nf; i++) {
			for (; j < e->nf && e->f[j].id < w->f[i].id; j++)
				if (set_missing(d, e->f[j].type, &xs[j]) != OK)
					return MISMATCH;
			int r;
			if (j < e->nf && e->f[j].id == w->f[i].id) {
				r = decode(d, w->f[i].type, e->f[j].type, &xs[j], depth + 1);
				j++;
			} else {
				r = skip(d, w->f[i].type, depth + 1);
			}
			if (r != OK)
				return r;
		}
		for (; j < e->nf; j++)
			if (set_missing(d, e->f[j].type, &xs[j]) != OK)
				return MISMATCH;
		return OK;
	}
	case IC_CT_VARIANT: {
		if (wo != IC_CT_VARIANT)
			return MISMATCH;
		const struct ic_ctype *w = &d->w.t[wt], *e = &d->e->t[et];
		if (rd_leb(d, &n) != OK)
			return HARD;
		if (n >= w->nf)
			return hard(d, "candid: variant index %llu out of range", (unsigned long long)n);
		const struct ic_cfield *f = find_id(e, w->f[n].id);
		if (f == NULL)
			return MISMATCH;
		struct ic_cvalue *x = ic_arena_alloc(d->a, sizeof *x);
		if (x == NULL)
			return hard(d, "candid: out of memory (arena limit)");
		v->u.var.idx = (uint32_t)(f - e->f);
		v->u.var.v = x;
		return decode(d, w->f[n].type, f->type, x, depth + 1);
	}
	default:
		return MISMATCH;
	}
}

int ic_candid_decode(const uint8_t *msg, size_t len, const struct ic_ctable *exp, const int32_t *args, size_t nexp,
                     const struct ic_candid_limits *lim, struct ic_arena *arena, struct ic_cvalue **out, char *err,
                     size_t errlen)
{
	if (lim == NULL)
		lim = &ic_candid_default_limits;
	struct dec d;
	memset(&d, 0, sizeof d);
	d.m = msg, d.len = len, d.e = exp, d.a = arena, d.err = err, d.errlen = errlen;
	d.max_depth = lim->max_depth;
	d.max_cost = lim->max_cost ? lim->max_cost : 4 * (uint64_t)len + 10000;
	ic_arena_init(&d.w.arena, 0);
	if (arena->limit == 0)
		arena->limit = lim->max_arena;
	int rc = HARD;
	uint64_t nw = 0;
	int32_t *wargs = NULL;
	*out = NULL;
	if (len < 4 || memcmp(msg, "DIDL", 4) != 0) {
		hard(&d, "candid: missing DIDL magic");
		goto done;
	}
	d.pos = 4;
	if (read_table(&d, lim->max_table) != OK || rd_leb(&d, &nw) != OK)
		goto done;
	if (nw > d.len - d.pos) {
		hard(&d, "candid: %llu argument types exceed the input", (unsigned long long)nw);
		goto done;
	}
	wargs = malloc((nw ? nw : 1) * sizeof *wargs);
	if (wargs == NULL) {
		hard(&d, "candid: out of memory");
		goto done;
	}
	for (uint64_t i = 0; i < nw; i++)
		if (rd_ref(&d, &wargs[i]) != OK)
			goto done;
	struct ic_cvalue *vals = ic_arena_array(arena, nexp ? nexp : 1, sizeof *vals);
	if (vals == NULL) {
		hard(&d, "candid: out of memory");
		goto done;
	}
	for (size_t i = 0; i < nexp; i++) {
		int r = i < nw ? decode(&d, wargs[i], args[i], &vals[i], 0) : set_missing(&d, args[i], &vals[i]);
		if (r == MISMATCH) {
			hard(&d, "candid: argument %zu does not match the expected type", i);
			goto done;
		}
		if (r != OK)
			goto done;
	}
	for (uint64_t i = nexp; i < nw; i++) /* extra arguments are ignored, but must be well-formed */
		if (skip(&d, wargs[i], 0) != OK)
			goto done;
	if (d.pos != d.len) {
		hard(&d, "candid: %zu bytes left after the arguments", d.len - d.pos);
		goto done;
	}
	*out = vals;
	rc = 0;
done:
	free(wargs);
	free(d.w.t);
	ic_arena_free(&d.w.arena);
	free(d.memo);
	return rc == 0 ? 0 : -1;
}

/* ---- access ---- */

const struct ic_cvalue *ic_cvalue_field_id(const struct ic_ctable *t, const struct ic_cvalue *v, uint32_t id)
{
	if (v == NULL || v->type < 0 || t->t[v->type].op != IC_CT_RECORD)
		return NULL;
	const struct ic_ctype *r = &t->t[v->type];
	const struct ic_cfield *f = find_id(r, id);
	return f ? &v->u.vec.v[f - r->f] : NULL;
}

const struct ic_cvalue *ic_cvalue_field(const struct ic_ctable *t, const struct ic_cvalue *v, const char *name)
{
	return ic_cvalue_field_id(t, v, ic_candid_hash(name, strlen(name)));
}

const char *ic_cvalue_variant(const struct ic_ctable *t, const struct ic_cvalue *v, uint32_t *id, size_t *name_len)
{
	if (v == NULL || v->type < 0 || t->t[v->type].op != IC_CT_VARIANT)
		return NULL;
	const struct ic_cfield *f = &t->t[v->type].f[v->u.var.idx];
	if (id)
		*id = f->id;
	if (name_len)
		*name_len = f->name_len;
	return f->name ? f->name : "";
}

int ic_cvalue_u64(const struct ic_cvalue *v, uint64_t *out)
{
	if (v->type == IC_CT_NAT8 || v->type == IC_CT_NAT16 || v->type == IC_CT_NAT32 || v->type == IC_CT_NAT64) {
		*out = v->u.u;
		return 0;
	}
	if ((v->type != IC_CT_NAT && v->type != IC_CT_INT) || v->u.big.neg || v->u.big.len > 8)
		return -1;
	uint64_t r = 0;
	for (size_t i = v->u.big.len; i-- > 0;)
		r = r << 8 | v->u.big.mag[i];
	*out = r;
	return 0;
}

int ic_cvalue_equal(const struct ic_ctable *t, const struct ic_cvalue *a, const struct ic_cvalue *b)
{
	int32_t ty = a->type;
	if (ty != b->type)
		return 0;
	int o = op_of(t, ty);
	switch (o) {
	case IC_CT_NULL:
	case IC_CT_RESERVED:
		return 1;
	case IC_CT_BOOL:
		return a->u.b == b->u.b;
	case IC_CT_NAT:
	case IC_CT_INT:
		return a->u.big.neg == b->u.big.neg && a->u.big.len == b->u.big.len &&
		       (a->u.big.len == 0 || memcmp(a->u.big.mag, b->u.big.mag, a->u.big.len) == 0);
	case IC_CT_FLOAT32:
		return memcmp(&a->u.f32, &b->u.f32, 4) == 0 || a->u.f32 == b->u.f32;
	case IC_CT_FLOAT64:
		return memcmp(&a->u.f64, &b->u.f64, 8) == 0 || a->u.f64 == b->u.f64;
	case IC_CT_TEXT:
	case IC_CT_PRINCIPAL:
		return a->u.s.len == b->u.s.len && (a->u.s.len == 0 || memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0);
	case IC_CT_SERVICE:
	case IC_CT_FUNC:
		return a->u.ref.len == b->u.ref.len && a->u.ref.mlen == b->u.ref.mlen &&
		       (a->u.ref.len == 0 || memcmp(a->u.ref.p, b->u.ref.p, a->u.ref.len) == 0) &&
		       (a->u.ref.mlen == 0 || memcmp(a->u.ref.method, b->u.ref.method, a->u.ref.mlen) == 0);
	case IC_CT_OPT:
		if (a->u.opt == NULL || b->u.opt == NULL)
			return a->u.opt == b->u.opt;
		return ic_cvalue_equal(t, a->u.opt, b->u.opt);
	case IC_CT_VARIANT:
		return a->u.var.idx == b->u.var.idx && ic_cvalue_equal(t, a->u.var.v, b->u.var.v);
	case IC_CT_VEC:
		if (a->u.vec.n != b->u.vec.n)
			return 0;
		if (a->u.vec.blob || b->u.vec.blob)
			return a->u.vec.blob && b->u.vec.blob && (a->u.vec.n == 0 || memcmp(a->u.vec.blob, b->u.vec.blob, a->u.vec.n) == 0);
		/* fall through */
	case IC_CT_RECORD:
		for (size_t i = 0; i < a->u.vec.n; i++)
			if (!ic_cvalue_equal(t, &a->u.vec.v[i], &b->u.vec.v[i]))
				return 0;
		return 1;
	default:
		return a->u.u == b->u.u; /* fixed-width ints */
	}
}
