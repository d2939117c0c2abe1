/* candid_enc.c - Candid encoding of values built by the program (the arguments icarc sends). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/candid.h"

struct enc {
	const struct ic_ctable *t;
	int32_t *map; /* table index -> emitted index (aliases resolved) */
	struct ic_buf *b;
	char *err;
	size_t errlen;
};

static int32_t ref(const struct enc *e, int32_t ty)
{
	ty = ic_ctype_resolve(e->t, ty);
	return ty < 0 ? ty : e->map[ty];
}

static int op_of(const struct ic_ctable *t, int32_t ty)
{
	return ty < 0 ? ty : t->t[ty].op;
}

static int value(struct enc *e, int32_t ty, const struct ic_cvalue *v, unsigned depth)
{
	ty = ic_ctype_resolve(e->t, ty);
	int o = op_of(e->t, ty);
	struct ic_buf *b = e->b;
	if (depth > 100) {
		snprintf(e->err, e->errlen, "candid encode: value nested too deeply");
		return -1;
	}
	switch (o) {
	case IC_CT_NULL:
	case IC_CT_RESERVED:
		return 0;
	case IC_CT_BOOL:
		ic_buf_put_u8(b, v->u.b ? 1 : 0);
		return 0;
	case IC_CT_NAT:
	case IC_CT_INT: {
		/* LEB128 from the magnitude; int: two's complement of the negated magnitude */
		size_t n = v->u.big.len, bits = n * 8 + 1, groups = bits / 7 + 1;
		int neg = o == IC_CT_INT && v->u.big.neg;
		uint8_t *tmp = calloc(n + 2, 1);
		if (tmp == NULL) {
			b->oom = 1;
			return -1;
		}
		if (n)
			memcpy(tmp, v->u.big.mag, n);
		if (neg) {
			unsigned carry = 1;
			for (size_t i = 0; i < n + 2; i++) {
				unsigned x = (uint8_t)~tmp[i] + carry;
				tmp[i] = (uint8_t)x;
				carry = x >> 8;
			}
		}
		for (size_t g = 0; g < groups; g++) {
			unsigned byte = 0;
			for (unsigned j = 0; j < 7; j++) {
				size_t bit = g * 7 + j;
				unsigned x = bit / 8 < n + 2 ? (tmp[bit / 8] >> (bit % 8)) & 1 : (unsigned)neg;
				byte |= x << j;
			}
			/* stop once the rest is all sign: zeros (and bit 6 clear) or ones (and bit 6 set) */
			int last = 1;
			for (size_t bit = (g + 1) * 7; bit < (n + 2) * 8 && last; bit++)
				last = ((tmp[bit / 8] >> (bit % 8)) & 1) == (unsigned)neg;
			if (o == IC_CT_INT)
				last = last && ((byte >> 6) & 1) == (unsigned)neg;
			ic_buf_put_u8(b, (uint8_t)(byte | (last ? 0 : 0x80)));
			if (last)
				break;
		}
		free(tmp);
		return 0;
	}
	case IC_CT_NAT8:
	case IC_CT_NAT16:
	case IC_CT_NAT32:
	case IC_CT_NAT64:
	case IC_CT_INT8:
	case IC_CT_INT16:
	case IC_CT_INT32:
	case IC_CT_INT64: {
		static const int size[] = {1, 2, 4, 8};
		int k = o >= IC_CT_NAT64 ? size[IC_CT_NAT8 - o] : size[IC_CT_INT8 - o];
		uint64_t x = o >= IC_CT_NAT64 ? v->u.u : (uint64_t)v->u.i;
		for (int i = 0; i < k; i++)
			ic_buf_put_u8(b, (uint8_t)(x >> (8 * i)));
		return 0;
	}
	case IC_CT_FLOAT32: {
		uint32_t x;
		memcpy(&x, &v->u.f32, 4);
		for (int i = 0; i < 4; i++)
			ic_buf_put_u8(b, (uint8_t)(x >> (8 * i)));
		return 0;
	}
	case IC_CT_FLOAT64: {
		uint64_t x;
		memcpy(&x, &v->u.f64, 8);
		for (int i = 0; i < 8; i++)
			ic_buf_put_u8(b, (uint8_t)(x >> (8 * i)));
		return 0;
	}
	case IC_CT_TEXT:
		ic_buf_put_leb(b, v->u.s.len);
		ic_buf_put(b, v->u.s.p, v->u.s.len);
		return 0;
	case IC_CT_PRINCIPAL:
		ic_buf_put_u8(b, 1);
		ic_buf_put_leb(b, v->u.s.len);
		ic_buf_put(b, v->u.s.p, v->u.s.len);
		return 0;
	case IC_CT_SERVICE:
	case IC_CT_FUNC:
		ic_buf_put_u8(b, 1);
		if (o == IC_CT_FUNC)
			ic_buf_put_u8(b, 1);
		ic_buf_put_leb(b, v->u.ref.len);
		ic_buf_put(b, v->u.ref.p, v->u.ref.len);
		if (o == IC_CT_FUNC) {
			ic_buf_put_leb(b, v->u.ref.mlen);
			ic_buf_put(b, v->u.ref.method, v->u.ref.mlen);
		}
		return 0;
	case IC_CT_OPT:
		ic_buf_put_u8(b, v->u.opt ? 1 : 0);
		return v->u.opt ? value(e, e->t->t[ty].inner, v->u.opt, depth + 1) : 0;
	case IC_CT_VEC:
		ic_buf_put_leb(b, v->u.vec.n);
		if (v->u.vec.blob != NULL) {
			if (op_of(e->t, ic_ctype_resolve(e->t, e->t->t[ty].inner)) != IC_CT_NAT8) {
				snprintf(e->err, e->errlen, "candid encode: blob given for a vec that is not vec nat8");
				return -1;
			}
			ic_buf_put(b, v->u.vec.blob, v->u.vec.n);
			return 0;
		}
		for (size_t i = 0; i < v->u.vec.n; i++)
			if (value(e, e->t->t[ty].inner, &v->u.vec.v[i], depth + 1) != 0)
				return -1;
		return 0;
	case IC_CT_RECORD:
		if (v->u.vec.n != e->t->t[ty].nf) {
			snprintf(e->err, e->errlen, "candid encode: record value has %zu fields, its type %u", v->u.vec.n,
			         e->t->t[ty].nf);
			return -1;
		}
		for (uint32_t i = 0; i < e->t->t[ty].nf; i++)
			if (value(e, e->t->t[ty].f[i].type, &v->u.vec.v[i], depth + 1) != 0)
				return -1;
		return 0;
	case IC_CT_VARIANT:
		if (v->u.var.idx >= e->t->t[ty].nf || v->u.var.v == NULL) {
			snprintf(e->err, e->errlen, "candid encode: variant case %u out of range", v->u.var.idx);
			return -1;
		}
		ic_buf_put_leb(b, v->u.var.idx);
		return value(e, e->t->t[ty].f[v->u.var.idx].type, v->u.var.v, depth + 1);
	default:
		snprintf(e->err, e->errlen, "candid encode: type %d has no values", o);
		return -1;
	}
}

int ic_candid_encode(const struct ic_ctable *t, const int32_t *args, const struct ic_cvalue *vals, size_t n,
                     struct ic_buf *out, char *err, size_t errlen)
{
	struct enc e = {t, calloc(t->n ? t->n : 1, sizeof(int32_t)), out, err, errlen};
	if (e.map == NULL) {
		snprintf(err, errlen, "candid encode: out of memory");
		return -1;
	}
	/* emit only the types reachable from the arguments, in first-visit order (as agent-js does),
	 * so a message does not carry a whole .did's worth of types */
	size_t cap = n + 1;
	for (size_t i = 0; i < t->n; i++)
		cap += t->t[i].nf + 1; /* every type is expanded at most once */
	int32_t *stack = calloc(cap, sizeof *stack), *order = calloc(t->n + 1, sizeof *order);
	if (stack == NULL || order == NULL) {
		free(stack);
		free(order);
		free(e.map);
		snprintf(err, errlen, "candid encode: out of memory");
		return -1;
	}
	for (size_t i = 0; i < t->n; i++)
		e.map[i] = -1;
	size_t k = 0, sp = 0;
	for (size_t i = n; i-- > 0;)
		stack[sp++] = args[i];
	while (sp > 0) {
		int32_t ty = ic_ctype_resolve(t, stack[--sp]);
		if (ty < 0 || e.map[ty] >= 0)
			continue;
		e.map[ty] = (int32_t)k;
		order[k++] = ty;
		const struct ic_ctype *c = &t->t[ty];
		if (c->op == IC_CT_OPT || c->op == IC_CT_VEC) {
			stack[sp++] = c->inner;
		} else {
			for (uint32_t j = c->nf; j-- > 0;)
				stack[sp++] = c->f[j].type;
		}
	}
	free(stack);
	ic_buf_put(out, "DIDL", 4);
	ic_buf_put_leb(out, k);
	for (size_t i = 0; i < k; i++) {
		const struct ic_ctype *c = &t->t[order[i]];
		ic_buf_put_sleb(out, c->op);
		switch (c->op) {
		case IC_CT_OPT:
		case IC_CT_VEC:
			ic_buf_put_sleb(out, ref(&e, c->inner));
			break;
		case IC_CT_RECORD:
		case IC_CT_VARIANT:
			ic_buf_put_leb(out, c->nf);
			for (uint32_t j = 0; j < c->nf; j++) {
				ic_buf_put_leb(out, c->f[j].id);
				ic_buf_put_sleb(out, ref(&e, c->f[j].type));
			}
			break;
		case IC_CT_FUNC:
			ic_buf_put_leb(out, c->nargs);
			for (uint32_t j = 0; j < c->nf; j++) {
				if (j == c->nargs)
					ic_buf_put_leb(out, c->nf - c->nargs);
				ic_buf_put_sleb(out, ref(&e, c->f[j].type));
			}
			if (c->nargs == c->nf)
				ic_buf_put_leb(out, 0);
			ic_buf_put_leb(out, (c->ann & IC_CANN_QUERY ? 1 : 0) + (c->ann & IC_CANN_ONEWAY ? 1 : 0) +
			                        (c->ann & IC_CANN_COMPOSITE ? 1 : 0));
			if (c->ann & IC_CANN_QUERY)
				ic_buf_put_u8(out, 1);
			if (c->ann & IC_CANN_ONEWAY)
				ic_buf_put_u8(out, 2);
			if (c->ann & IC_CANN_COMPOSITE)
				ic_buf_put_u8(out, 3);
			break;
		case IC_CT_SERVICE:
			ic_buf_put_leb(out, c->nf);
			for (uint32_t j = 0; j < c->nf; j++) {
				ic_buf_put_leb(out, c->f[j].name_len);
				ic_buf_put(out, c->f[j].name, c->f[j].name_len);
				ic_buf_put_sleb(out, ref(&e, c->f[j].type));
			}
			break;
		default:
			break;
		}
	}
	ic_buf_put_leb(out, n);
	for (size_t i = 0; i < n; i++)
		ic_buf_put_sleb(out, ref(&e, args[i]));
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = value(&e, args[i], &vals[i], 0);
	free(e.map);
	free(order);
	if (rc == 0 && out->oom) {
		snprintf(err, errlen, "candid encode: out of memory");
		rc = -1;
	}
	return rc;
}
