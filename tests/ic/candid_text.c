/* candid_text.c - textual Candid values at an expected type (test-suite support, not used by icarc). */
#include "candid_text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/cbor.h"
#include "ic/principal.h"

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

uint8_t *cs_unescape(const char *s, const char *e, size_t *len, struct ic_arena *a)
{
	uint8_t *out = ic_arena_alloc(a, (size_t)(e - s) + 1);
	size_t n = 0;
	if (out == NULL)
		return NULL;
	while (s < e) {
		if (*s != '\\') {
			out[n++] = (uint8_t)*s++;
			continue;
		}
		s++;
		if (s >= e)
			return NULL;
		char c = *s++;
		if (c == 'n')
			out[n++] = '\n';
		else if (c == 'r')
			out[n++] = '\r';
		else if (c == 't')
			out[n++] = '\t';
		else if (c == '\\' || c == '"' || c == '\'')
			out[n++] = (uint8_t)c;
		else if (c == 'u') {
			if (s >= e || *s != '{')
				return NULL;
			uint32_t cp = 0;
			for (s++; s < e && *s != '}'; s++) {
				if (*s == '_')
					continue;
				int h = hexv(*s);
				if (h < 0 || cp > 0x10ffff)
					return NULL;
				cp = cp * 16 + (uint32_t)h;
			}
			if (s >= e)
				return NULL;
			s++;
			if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				return NULL;
			if (cp < 0x80) {
				out[n++] = (uint8_t)cp;
			} else if (cp < 0x800) {
				out[n++] = (uint8_t)(0xc0 | cp >> 6), out[n++] = (uint8_t)(0x80 | (cp & 63));
			} else if (cp < 0x10000) {
				out[n++] = (uint8_t)(0xe0 | cp >> 12), out[n++] = (uint8_t)(0x80 | (cp >> 6 & 63));
				out[n++] = (uint8_t)(0x80 | (cp & 63));
			} else {
				out[n++] = (uint8_t)(0xf0 | cp >> 18), out[n++] = (uint8_t)(0x80 | (cp >> 12 & 63));
				out[n++] = (uint8_t)(0x80 | (cp >> 6 & 63)), out[n++] = (uint8_t)(0x80 | (cp & 63));
			}
		} else {
			int h1 = hexv(c), h2 = s < e ? hexv(*s) : -1;
			if (h1 < 0 || h2 < 0)
				return NULL;
			s++;
			out[n++] = (uint8_t)(h1 << 4 | h2);
		}
	}
	*len = n;
	return out;
}

struct tp {
	const char *p, *e;
	const struct ic_ctable *t;
	struct ic_arena *a;
	char *err;
	size_t errlen;
	int failed;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(struct tp *x, const char *fmt, ...)
{
	if (!x->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(x->err, x->errlen, fmt, ap);
		va_end(ap);
	}
	x->failed = 1;
	return -1;
}

static void ws(struct tp *x)
{
	for (;;) {
		while (x->p < x->e && isspace((unsigned char)*x->p))
			x->p++;
		if (x->e - x->p >= 2 && x->p[0] == '/' && x->p[1] == '/') {
			while (x->p < x->e && *x->p != '\n')
				x->p++;
		} else {
			return;
		}
	}
}

static int eat(struct tp *x, char c)
{
	ws(x);
	if (x->p < x->e && *x->p == c) {
		x->p++;
		return 1;
	}
	return 0;
}

static int word(struct tp *x, const char *w)
{
	ws(x);
	size_t n = strlen(w);
	if ((size_t)(x->e - x->p) >= n && memcmp(x->p, w, n) == 0 &&
	    (x->p + n == x->e || !(isalnum((unsigned char)x->p[n]) || x->p[n] == '_'))) {
		x->p += n;
		return 1;
	}
	return 0;
}

static int text(struct tp *x, const uint8_t **out, size_t *len)
{
	ws(x);
	if (x->p >= x->e || *x->p != '"')
		return fail(x, "expected a text literal");
	const char *s = ++x->p;
	while (x->p < x->e && *x->p != '"')
		x->p += *x->p == '\\' ? 2 : 1;
	if (x->p >= x->e)
		return fail(x, "unterminated text");
	const char *end = x->p++;
	*out = cs_unescape(s, end, len, x->a);
	return *out ? 0 : fail(x, "bad escape");
}

static int op_of(const struct ic_ctable *t, int32_t ty)
{
	return ty < 0 ? ty : t->t[ty].op;
}

/* skip any value (for reserved): balanced brackets up to , ; ) } at depth 0 */
static int skip_value(struct tp *x)
{
	int lvl = 0;
	ws(x);
	while (x->p < x->e) {
		char c = *x->p;
		if (c == '"') {
			const uint8_t *s;
			size_t l;
			if (text(x, &s, &l) != 0)
				return -1;
			continue;
		}
		if ((c == ',' || c == ';' || c == ')' || c == '}') && lvl == 0)
			return 0;
		if (c == '(' || c == '{')
			lvl++;
		if (c == ')' || c == '}')
			lvl--;
		x->p++;
	}
	return 0;
}

/* a number token into sign + decimal/hex magnitude */
static int number(struct tp *x, int *neg, uint8_t **mag, size_t *len, double *f, int *isfloat)
{
	ws(x);
	const char *s = x->p;
	*neg = 0;
	*isfloat = 0;
	if (x->p < x->e && (*x->p == '+' || *x->p == '-'))
		*neg = *x->p++ == '-';
	const char *ds = x->p;
	int hex = x->e - x->p > 2 && x->p[0] == '0' && (x->p[1] == 'x' || x->p[1] == 'X');
	if (hex)
		x->p += 2;
	while (x->p < x->e && (isalnum((unsigned char)*x->p) || *x->p == '_' || *x->p == '.' ||
	                       ((*x->p == '+' || *x->p == '-') && !hex && (x->p[-1] == 'e' || x->p[-1] == 'E'))))
		x->p++;
	if (x->p == ds)
		return fail(x, "expected a number");
	char buf[512];
	size_t k = 0;
	for (const char *c = s; c < x->p && k < sizeof buf - 1; c++)
		if (*c != '_')
			buf[k++] = *c;
	buf[k] = 0;
	for (size_t i = 0; i < k; i++)
		if (!hex && (buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E' || isalpha((unsigned char)buf[i])))
			*isfloat = 1;
	char *end;
	errno = 0;
	*f = strtod(buf, &end);
	if (*isfloat) {
		if (*end)
			return fail(x, "bad number %s", buf);
		*mag = NULL;
		*len = 0;
		return 0;
	}
	/* exact magnitude: repeated multiply-add on a little-endian byte array */
	uint8_t *m = ic_arena_alloc(x->a, k + 2);
	size_t n = 0;
	const char *c = buf + (buf[0] == '+' || buf[0] == '-') + (hex ? 2 : 0);
	for (; *c; c++) {
		int dgt = hex ? hexv(*c) : (*c >= '0' && *c <= '9' ? *c - '0' : -1);
		if (dgt < 0)
			return fail(x, "bad digit in %s", buf);
		unsigned carry = (unsigned)dgt;
		for (size_t i = 0; i < n; i++) {
			unsigned v = m[i] * (hex ? 16u : 10u) + carry;
			m[i] = (uint8_t)v;
			carry = v >> 8;
		}
		while (carry)
			m[n++] = (uint8_t)carry, carry >>= 8;
	}
	*mag = m;
	*len = n;
	return 0;
}

static int value(struct tp *x, int32_t ty, struct ic_cvalue *v, int depth);

static int fields_missing(struct tp *x, const struct ic_ctype *r, struct ic_cvalue *xs, const uint8_t *set)
{
	for (uint32_t j = 0; j < r->nf; j++) {
		if (set[j])
			continue;
		int32_t ft = ic_ctype_resolve(x->t, r->f[j].type);
		int o = op_of(x->t, ft);
		xs[j].type = ft;
		if (o != IC_CT_OPT && o != IC_CT_NULL && o != IC_CT_RESERVED)
			return fail(x, "record field %u missing", r->f[j].id);
	}
	return 0;
}

static int label(struct tp *x, uint32_t *id)
{
	ws(x);
	if (x->p < x->e && isdigit((unsigned char)*x->p)) {
		uint64_t r = 0;
		while (x->p < x->e && (isdigit((unsigned char)*x->p) || *x->p == '_')) {
			if (*x->p != '_')
				r = r * 10 + (uint64_t)(*x->p - '0');
			x->p++;
		}
		*id = (uint32_t)r;
		return 0;
	}
	if (x->p < x->e && *x->p == '"') {
		const uint8_t *s;
		size_t l;
		if (text(x, &s, &l) != 0)
			return -1;
		*id = ic_candid_hash((const char *)s, l);
		return 0;
	}
	const char *s = x->p;
	while (x->p < x->e && (isalnum((unsigned char)*x->p) || *x->p == '_'))
		x->p++;
	if (x->p == s)
		return fail(x, "expected a label");
	*id = ic_candid_hash(s, (size_t)(x->p - s));
	return 0;
}

static int value(struct tp *x, int32_t ty, struct ic_cvalue *v, int depth)
{
	ty = ic_ctype_resolve(x->t, ty);
	int o = op_of(x->t, ty);
	v->type = ty;
	if (depth > 100)
		return fail(x, "too deep");
	ws(x);
	if (x->p < x->e && *x->p == '(') { /* (v : T) annotation, or parenthesised value */
		x->p++;
		if (value(x, ty, v, depth + 1) != 0)
			return -1;
		if (eat(x, ':')) {
			int lvl = 0;
			while (x->p < x->e && (lvl > 0 || *x->p != ')')) {
				lvl += *x->p == '(' || *x->p == '{';
				lvl -= *x->p == ')' || *x->p == '}';
				x->p++;
			}
		}
		return eat(x, ')') ? 0 : fail(x, "expected ')'");
	}
	if (o == IC_CT_RESERVED)
		return skip_value(x);
	int neg, isf;
	uint8_t *mag;
	size_t len;
	double f;
	const uint8_t *s;
	switch (o) {
	case IC_CT_NULL:
		return word(x, "null") ? 0 : fail(x, "expected null");
	case IC_CT_BOOL:
		if (word(x, "true"))
			v->u.b = 1;
		else if (word(x, "false"))
			v->u.b = 0;
		else
			return fail(x, "expected a bool");
		return 0;
	case IC_CT_NAT:
	case IC_CT_INT:
		if (number(x, &neg, &mag, &len, &f, &isf) != 0)
			return -1;
		if (isf || (neg && o == IC_CT_NAT && len > 0))
			return fail(x, "not a %s", o == IC_CT_NAT ? "nat" : "int");
		v->u.big.mag = mag, v->u.big.len = len, v->u.big.neg = neg && len > 0;
		return 0;
	case IC_CT_FLOAT32:
	case IC_CT_FLOAT64:
		if (number(x, &neg, &mag, &len, &f, &isf) != 0)
			return -1;
		if (o == IC_CT_FLOAT32)
			v->u.f32 = (float)f;
		else
			v->u.f64 = f;
		return 0;
	case IC_CT_NAT8:
	case IC_CT_NAT16:
	case IC_CT_NAT32:
	case IC_CT_NAT64:
	case IC_CT_INT8:
	case IC_CT_INT16:
	case IC_CT_INT32:
	case IC_CT_INT64: {
		if (number(x, &neg, &mag, &len, &f, &isf) != 0)
			return -1;
		if (isf || len > 8)
			return fail(x, "number out of range");
		uint64_t u = 0;
		for (size_t i = len; i-- > 0;)
			u = u << 8 | mag[i];
		int bits = o >= IC_CT_NAT64 ? 8 << (IC_CT_NAT8 - o) : 8 << (IC_CT_INT8 - o);
		if (o >= IC_CT_NAT64) {
			if ((neg && u) || (bits < 64 && u >> bits))
				return fail(x, "number out of range");
			v->u.u = u;
		} else {
			uint64_t lim = (uint64_t)1 << (bits - 1);
			if (neg ? u > lim : u >= lim)
				return fail(x, "number out of range");
			v->u.i = neg ? (int64_t)(0 - u) : (int64_t)u;
		}
		return 0;
	}
	case IC_CT_TEXT:
		if (text(x, &s, &len) != 0)
			return -1;
		if (!ic_utf8_valid(s, len))
			return fail(x, "text is not UTF-8");
		v->u.s.p = s, v->u.s.len = len;
		return 0;
	case IC_CT_PRINCIPAL:
	case IC_CT_SERVICE:
	case IC_CT_FUNC: {
		const char *kw = o == IC_CT_PRINCIPAL ? "principal" : o == IC_CT_SERVICE ? "service" : "func";
		if (!word(x, kw) || text(x, &s, &len) != 0)
			return fail(x, "expected %s \"...\"", kw);
		struct ic_principal pr;
		char e2[200];
		if (ic_principal_from_text(&pr, (const char *)s, len, e2, sizeof e2) != 0)
			return fail(x, "%s", e2);
		uint8_t *b = ic_arena_alloc(x->a, pr.len + 1);
		memcpy(b, pr.b, pr.len);
		v->u.ref.p = b, v->u.ref.len = pr.len;
		if (o == IC_CT_PRINCIPAL) {
			v->u.s.p = b, v->u.s.len = pr.len;
			return 0;
		}
		if (o == IC_CT_FUNC) {
			if (!eat(x, '.'))
				return fail(x, "expected .method");
			ws(x);
			if (x->p < x->e && *x->p == '"') {
				if (text(x, &s, &len) != 0)
					return -1;
				v->u.ref.method = (const char *)s, v->u.ref.mlen = len;
			} else {
				const char *m = x->p;
				while (x->p < x->e && (isalnum((unsigned char)*x->p) || *x->p == '_'))
					x->p++;
				v->u.ref.method = m, v->u.ref.mlen = (size_t)(x->p - m);
			}
		}
		return 0;
	}
	case IC_CT_OPT: {
		if (word(x, "null")) {
			v->u.opt = NULL;
			return 0;
		}
		struct ic_cvalue *in = ic_arena_alloc(x->a, sizeof *in);
		v->u.opt = in;
		int explicit_opt = word(x, "opt");
		(void)explicit_opt;
		return value(x, x->t->t[ty].inner, in, depth + 1);
	}
	case IC_CT_VEC: {
		int32_t in = ic_ctype_resolve(x->t, x->t->t[ty].inner);
		if (word(x, "blob")) {
			if (op_of(x->t, in) != IC_CT_NAT8 || text(x, &s, &len) != 0)
				return fail(x, "blob at a type other than vec nat8");
			v->u.vec.blob = s, v->u.vec.n = len;
			return 0;
		}
		if (!word(x, "vec") || !eat(x, '{'))
			return fail(x, "expected vec {");
		size_t cap = 16, n = 0;
		struct ic_cvalue *xs = ic_arena_array(x->a, cap, sizeof *xs);
		while (!eat(x, '}')) {
			if (n == cap) {
				struct ic_cvalue *nx = ic_arena_array(x->a, cap * 2, sizeof *nx);
				memcpy(nx, xs, n * sizeof *xs);
				xs = nx, cap *= 2;
			}
			if (value(x, in, &xs[n++], depth + 1) != 0)
				return -1;
			if (!eat(x, ';')) {
				if (!eat(x, '}'))
					return fail(x, "expected ; or }");
				break;
			}
		}
		if (op_of(x->t, in) == IC_CT_NAT8) { /* keep blobs in one representation for == */
			uint8_t *b = ic_arena_alloc(x->a, n + 1);
			for (size_t i = 0; i < n; i++)
				b[i] = (uint8_t)xs[i].u.u;
			v->u.vec.blob = b;
			v->u.vec.n = n;
			return 0;
		}
		v->u.vec.v = xs, v->u.vec.n = n;
		return 0;
	}
	case IC_CT_RECORD: {
		const struct ic_ctype *r = &x->t->t[ty];
		if (!word(x, "record") || !eat(x, '{'))
			return fail(x, "expected record {");
		struct ic_cvalue *xs = ic_arena_array(x->a, r->nf + 1, sizeof *xs);
		uint8_t *set = ic_arena_alloc(x->a, r->nf + 1);
		uint32_t next = 0;
		v->u.vec.v = xs, v->u.vec.n = r->nf;
		while (!eat(x, '}')) {
			const char *save = x->p;
			uint32_t id;
			if (label(x, &id) == 0 && eat(x, '=')) {
				;
			} else {
				x->failed = 0;
				x->p = save;
				id = next;
			}
			next = id + 1;
			uint32_t j = 0;
			while (j < r->nf && r->f[j].id != id)
				j++;
			if (j == r->nf) { /* a field the type does not know is ignored, as decoding does */
				if (skip_value(x) != 0)
					return -1;
			} else {
				set[j] = 1;
				if (value(x, r->f[j].type, &xs[j], depth + 1) != 0)
					return -1;
			}
			if (!eat(x, ';')) {
				if (!eat(x, '}'))
					return fail(x, "expected ; or }");
				break;
			}
		}
		return fields_missing(x, r, xs, set);
	}
	case IC_CT_VARIANT: {
		const struct ic_ctype *r = &x->t->t[ty];
		uint32_t id;
		if (!word(x, "variant") || !eat(x, '{') || label(x, &id) != 0)
			return fail(x, "expected variant { label");
		uint32_t j = 0;
		while (j < r->nf && r->f[j].id != id)
			j++;
		if (j == r->nf)
			return fail(x, "variant case %u not in the type", id);
		struct ic_cvalue *in = ic_arena_alloc(x->a, sizeof *in);
		v->u.var.idx = j, v->u.var.v = in;
		if (eat(x, '=')) {
			if (value(x, r->f[j].type, in, depth + 1) != 0)
				return -1;
		} else {
			in->type = ic_ctype_resolve(x->t, r->f[j].type);
			if (op_of(x->t, in->type) != IC_CT_NULL)
				return fail(x, "variant case without a value needs type null");
		}
		eat(x, ';');
		return eat(x, '}') ? 0 : fail(x, "expected }");
	}
	default:
		return fail(x, "no textual values of this type");
	}
}

int cs_parse_values(const char *s, const char *e, const struct ic_ctable *t, const int32_t *args, size_t n,
                    struct ic_arena *a, struct ic_cvalue **out, char *err, size_t errlen)
{
	size_t len;
	uint8_t *src = cs_unescape(s, e, &len, a); /* the test text is itself a literal */
	if (src == NULL) {
		snprintf(err, errlen, "bad escape in the textual input");
		return -1;
	}
	struct tp x = {(const char *)src, (const char *)src + len, t, a, err, errlen, 0};
	struct ic_cvalue *vals = ic_arena_array(a, n + 1, sizeof *vals);
	if (!eat(&x, '(')) {
		snprintf(err, errlen, "expected (");
		return -1;
	}
	size_t i = 0;
	while (!eat(&x, ')')) {
		if (i >= n) {
			if (skip_value(&x) != 0)
				return -1;
		} else if (value(&x, args[i], &vals[i], 0) != 0) {
			return -1;
		}
		i++;
		if (!eat(&x, ',')) {
			if (!eat(&x, ')'))
				return fail(&x, "expected , or )");
			break;
		}
	}
	for (; i < n; i++) {
		int32_t ty = ic_ctype_resolve(t, args[i]);
		int o = op_of(t, ty);
		vals[i].type = ty;
		if (o != IC_CT_OPT && o != IC_CT_NULL && o != IC_CT_RESERVED)
			return fail(&x, "missing argument %zu", i);
	}
	ws(&x);
	if (x.p != x.e)
		return fail(&x, "trailing text");
	*out = vals;
	return 0;
}
