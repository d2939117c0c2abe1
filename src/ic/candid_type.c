/* candid_type.c - Candid type text (the .did type grammar) into a type table, and table helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/candid.h"

uint32_t ic_candid_hash(const char *name, size_t len)
{
	uint32_t h = 0;
	for (size_t i = 0; i < len; i++)
		h = h * 223U + (uint8_t)name[i];
	return h;
}

int32_t ic_ctype_resolve(const struct ic_ctable *t, int32_t ty)
{
	/* aliases are resolved to non-aliases when parsing ends, so one step suffices */
	if (ty >= 0 && (size_t)ty < t->n && t->t[ty].op == IC_CT_ALIAS)
		return t->t[ty].inner;
	return ty;
}

void ic_ctable_free(struct ic_ctable *t)
{
	free(t->t);
	ic_arena_free(&t->arena);
	memset(t, 0, sizeof *t);
}

struct parser {
	const char *s, *start;
	struct ic_ctable *t;
	size_t cap;
	char *err;
	size_t errlen;
	int failed;
	unsigned depth;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(struct parser *p, const char *fmt, ...)
{
	if (p->failed)
		return -1;
	p->failed = 1;
	unsigned line = 1, col = 1;
	for (const char *c = p->start; c < p->s; c++) {
		if (*c == '\n')
			line++, col = 1;
		else
			col++;
	}
	if (p->err != NULL && p->errlen > 0) {
		int k = snprintf(p->err, p->errlen, "candid type %u:%u: ", line, col);
		if (k > 0 && (size_t)k < p->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
			va_end(ap);
		}
	}
	return -1;
}

static void skip_ws(struct parser *p)
{
	for (;;) {
		while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
			p->s++;
		if (p->s[0] == '/' && p->s[1] == '/') {
			while (*p->s && *p->s != '\n')
				p->s++;
		} else if (p->s[0] == '/' && p->s[1] == '*') {
			int level = 0; /* Candid block comments nest */
			do {
				if (p->s[0] == '/' && p->s[1] == '*')
					level++, p->s += 2;
				else if (p->s[0] == '*' && p->s[1] == '/')
					level--, p->s += 2;
				else if (*p->s)
					p->s++;
				else
					return;
			} while (level > 0);
		} else {
			return;
		}
	}
}

static int is_id0(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_id(char c)
{
	return is_id0(c) || (c >= '0' && c <= '9');
}

static int peek(struct parser *p, char c)
{
	skip_ws(p);
	return *p->s == c;
}

static int eat(struct parser *p, char c)
{
	if (!peek(p, c))
		return 0;
	p->s++;
	return 1;
}

static int expect(struct parser *p, char c)
{
	if (!eat(p, c))
		return fail(p, "expected '%c'", c);
	return 0;
}

/* identifier: returns its length (0 if none), not consumed */
static size_t ident_len(struct parser *p)
{
	skip_ws(p);
	if (!is_id0(*p->s))
		return 0;
	size_t n = 1;
	while (is_id(p->s[n]))
		n++;
	return n;
}

static int keyword(struct parser *p, const char *kw)
{
	size_t n = ident_len(p);
	if (n != strlen(kw) || memcmp(p->s, kw, n) != 0)
		return 0;
	p->s += n;
	return 1;
}

/* A text literal into the arena (with its length). */
static int text_lit(struct parser *p, const char **out, uint32_t *outlen)
{
	skip_ws(p);
	if (*p->s != '"')
		return fail(p, "expected a text literal");
	const char *q = p->s + 1;
	size_t cap = 0;
	while (q[cap] && q[cap] != '"')
		cap += q[cap] == '\\' && q[cap + 1] ? 2 : 1;
	char *buf = ic_arena_alloc(&p->t->arena, cap + 1);
	if (buf == NULL)
		return fail(p, "out of memory");
	size_t n = 0;
	p->s++;
	while (*p->s && *p->s != '"') {
		char c = *p->s++;
		if (c != '\\') {
			buf[n++] = c;
			continue;
		}
		char e = *p->s++;
		static const char hex[] = "0123456789abcdef0123456789ABCDEF";
		const char *h1, *h2;
		if (e == 'n') {
			buf[n++] = '\n';
		} else if (e == 't') {
			buf[n++] = '\t';
		} else if (e == 'r') {
			buf[n++] = '\r';
		} else if (e == '\\' || e == '"' || e == '\'') {
			buf[n++] = e;
		} else if (e && (h1 = strchr(hex, e)) != NULL && *p->s && (h2 = strchr(hex, *p->s)) != NULL) {
			buf[n++] = (char)(((h1 - hex) % 16) << 4 | (h2 - hex) % 16);
			p->s++;
		} else {
			return fail(p, "unsupported escape in a type's text literal");
		}
	}
	if (*p->s != '"')
		return fail(p, "unterminated text literal");
	p->s++;
	*out = buf;
	*outlen = (uint32_t)n;
	return 0;
}

static int nat_lit(struct parser *p, uint32_t *v)
{
	skip_ws(p);
	uint64_t r = 0;
	int base = 10, digits = 0;
	if (p->s[0] == '0' && (p->s[1] == 'x' || p->s[1] == 'X'))
		base = 16, p->s += 2;
	for (;; p->s++) {
		char c = *p->s;
		int d;
		if (c == '_')
			continue;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		r = r * (uint64_t)base + (uint64_t)d;
		if (r > UINT32_MAX)
			return fail(p, "field id larger than 2^32-1");
		digits++;
	}
	if (!digits)
		return fail(p, "expected a number");
	*v = (uint32_t)r;
	return 0;
}

static int32_t add_type(struct parser *p, int32_t op)
{
	struct ic_ctable *t = p->t;
	if (t->n >= 100000) {
		fail(p, "too many types");
		return INT32_MIN;
	}
	if (t->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct ic_ctype *nt = realloc(t->t, cap * sizeof *nt);
		if (nt == NULL) {
			fail(p, "out of memory");
			return INT32_MIN;
		}
		t->t = nt;
		p->cap = cap;
	}
	memset(&t->t[t->n], 0, sizeof t->t[t->n]);
	t->t[t->n].op = op;
	t->t[t->n].inner = INT32_MIN;
	return (int32_t)t->n++;
}

static int32_t named(struct parser *p, const char *name, size_t n)
{
	for (size_t i = 0; i < p->t->n; i++) {
		const struct ic_ctype *c = &p->t->t[i];
		if (c->op == IC_CT_ALIAS && c->name_len == n && memcmp(c->name, name, n) == 0)
			return (int32_t)i;
	}
	int32_t i = add_type(p, IC_CT_ALIAS);
	if (i == INT32_MIN)
		return i;
	char *copy = ic_arena_alloc(&p->t->arena, n + 1);
	if (copy == NULL) {
		fail(p, "out of memory");
		return INT32_MIN;
	}
	memcpy(copy, name, n);
	p->t->t[i].name = copy;
	p->t->t[i].name_len = (uint32_t)n;
	return i;
}

static const struct {
	const char *name;
	int32_t op;
} prims[] = {{"null", IC_CT_NULL},       {"bool", IC_CT_BOOL},     {"nat", IC_CT_NAT},         {"int", IC_CT_INT},
             {"nat8", IC_CT_NAT8},       {"nat16", IC_CT_NAT16},   {"nat32", IC_CT_NAT32},     {"nat64", IC_CT_NAT64},
             {"int8", IC_CT_INT8},       {"int16", IC_CT_INT16},   {"int32", IC_CT_INT32},     {"int64", IC_CT_INT64},
             {"float32", IC_CT_FLOAT32}, {"float64", IC_CT_FLOAT64}, {"text", IC_CT_TEXT},     {"reserved", IC_CT_RESERVED},
             {"empty", IC_CT_EMPTY},     {"principal", IC_CT_PRINCIPAL}};

static int32_t datatype(struct parser *p);

struct fbuf {
	struct ic_cfield f[512];
	uint32_t n;
};

static int cmp_field(const void *a, const void *b)
{
	const struct ic_cfield *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int store_fields(struct parser *p, int32_t ty, struct fbuf *fb, int sort)
{
	struct ic_cfield *f = ic_arena_array(&p->t->arena, fb->n ? fb->n : 1, sizeof *f);
	if (f == NULL)
		return fail(p, "out of memory");
	memcpy(f, fb->f, fb->n * sizeof *f);
	if (sort) {
		qsort(f, fb->n, sizeof *f, cmp_field);
		for (uint32_t i = 1; i < fb->n; i++)
			if (f[i].id == f[i - 1].id)
				return fail(p, "duplicate field id %u", f[i].id);
	}
	p->t->t[ty].f = f;
	p->t->t[ty].nf = fb->n;
	return 0;
}

/* record or variant body after the keyword */
static int32_t fields(struct parser *p, int32_t op)
{
	struct fbuf *fb = calloc(1, sizeof *fb);
	if (fb == NULL || expect(p, '{') != 0) {
		free(fb);
		return fb ? INT32_MIN : (fail(p, "out of memory"), INT32_MIN);
	}
	uint32_t next_id = 0;
	while (!peek(p, '}') && !p->failed) {
		if (fb->n == 512) {
			fail(p, "more than 512 fields");
			break;
		}
		struct ic_cfield *f = &fb->f[fb->n];
		memset(f, 0, sizeof *f);
		const char *save = p->s;
		size_t il = ident_len(p);
		int labeled = 0;
		skip_ws(p);
		if (*p->s >= '0' && *p->s <= '9') {
			if (nat_lit(p, &f->id) != 0)
				break;
			labeled = 1;
		} else if (*p->s == '"') {
			if (text_lit(p, &f->name, &f->name_len) != 0)
				break;
			f->id = ic_candid_hash(f->name, f->name_len);
			labeled = 1;
		} else if (il > 0) {
			const char *name = p->s;
			p->s += il;
			if (peek(p, ':') || op == IC_CT_VARIANT) {
				char *copy = ic_arena_alloc(&p->t->arena, il + 1);
				if (copy == NULL) {
					fail(p, "out of memory");
					break;
				}
				memcpy(copy, name, il);
				f->name = copy;
				f->name_len = (uint32_t)il;
				f->id = ic_candid_hash(name, il);
				labeled = 1;
			} else {
				p->s = save;
			}
		}
		if (labeled && eat(p, ':')) {
			f->type = datatype(p);
		} else if (labeled && op == IC_CT_VARIANT) {
			f->type = IC_CT_NULL;
		} else if (labeled) {
			fail(p, "expected ':' after a field label");
			break;
		} else {
			f->id = next_id;
			f->type = datatype(p);
		}
		next_id = f->id + 1;
		fb->n++;
		if (!eat(p, ';'))
			break;
	}
	int32_t ty = INT32_MIN;
	if (!p->failed && expect(p, '}') == 0) {
		ty = add_type(p, op);
		if (ty != INT32_MIN && store_fields(p, ty, fb, 1) != 0)
			ty = INT32_MIN;
	}
	free(fb);
	return p->failed ? INT32_MIN : ty;
}

/* "(T, name : T, ...)" into fb with positional ids */
static int tuple(struct parser *p, struct fbuf *fb)
{
	if (expect(p, '(') != 0)
		return -1;
	while (!peek(p, ')') && !p->failed) {
		if (fb->n == 512)
			return fail(p, "more than 512 arguments");
		const char *save = p->s;
		size_t il = ident_len(p);
		skip_ws(p);
		if (il > 0) {
			p->s += il;
			if (!eat(p, ':'))
				p->s = save;
		} else if (*p->s == '"') {
			const char *nm;
			uint32_t nl;
			if (text_lit(p, &nm, &nl) != 0 || expect(p, ':') != 0)
				return -1;
		}
		fb->f[fb->n].id = fb->n;
		fb->f[fb->n].type = datatype(p);
		fb->f[fb->n].name = NULL;
		fb->f[fb->n].name_len = 0;
		fb->n++;
		if (!eat(p, ','))
			break;
	}
	return p->failed ? -1 : expect(p, ')');
}

static int32_t functype(struct parser *p)
{
	struct fbuf *a = calloc(1, sizeof *a), *r = calloc(1, sizeof *r);
	int32_t ty = INT32_MIN;
	if (a == NULL || r == NULL) {
		fail(p, "out of memory");
		goto out;
	}
	if (tuple(p, a) != 0)
		goto out;
	skip_ws(p);
	if (p->s[0] != '-' || p->s[1] != '>') {
		fail(p, "expected '->'");
		goto out;
	}
	p->s += 2;
	if (tuple(p, r) != 0)
		goto out;
	uint8_t ann = 0;
	for (;;) {
		if (keyword(p, "query"))
			ann |= IC_CANN_QUERY;
		else if (keyword(p, "oneway"))
			ann |= IC_CANN_ONEWAY;
		else if (keyword(p, "composite_query"))
			ann |= IC_CANN_COMPOSITE;
		else
			break;
	}
	ty = add_type(p, IC_CT_FUNC);
	if (ty == INT32_MIN)
		goto out;
	if (a->n + r->n > 512) {
		fail(p, "too many arguments");
		ty = INT32_MIN;
		goto out;
	}
	memcpy(&a->f[a->n], r->f, r->n * sizeof r->f[0]);
	uint32_t nargs = a->n;
	a->n += r->n;
	if (store_fields(p, ty, a, 0) != 0) {
		ty = INT32_MIN;
		goto out;
	}
	p->t->t[ty].nargs = nargs;
	p->t->t[ty].ann = ann;
out:
	free(a);
	free(r);
	return p->failed ? INT32_MIN : ty;
}

static int cmp_method(const void *a, const void *b)
{
	const struct ic_cfield *x = a, *y = b;
	size_t m = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = m ? memcmp(x->name, y->name, m) : 0;
	if (c)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static int32_t servicetype(struct parser *p)
{
	struct fbuf *fb = calloc(1, sizeof *fb);
	int32_t ty = INT32_MIN;
	if (fb == NULL) {
		fail(p, "out of memory");
		return ty;
	}
	if (expect(p, '{') != 0)
		goto out;
	while (!peek(p, '}') && !p->failed) {
		if (fb->n == 512) {
			fail(p, "more than 512 methods");
			goto out;
		}
		struct ic_cfield *f = &fb->f[fb->n];
		size_t il = ident_len(p);
		if (il > 0) {
			char *copy = ic_arena_alloc(&p->t->arena, il + 1);
			if (copy == NULL) {
				fail(p, "out of memory");
				goto out;
			}
			memcpy(copy, p->s, il);
			p->s += il;
			f->name = copy;
			f->name_len = (uint32_t)il;
		} else if (text_lit(p, &f->name, &f->name_len) != 0) {
			goto out;
		}
		if (expect(p, ':') != 0)
			goto out;
		f->type = peek(p, '(') ? functype(p) : datatype(p);
		fb->n++;
		if (!eat(p, ';'))
			break;
	}
	if (p->failed || expect(p, '}') != 0)
		goto out;
	ty = add_type(p, IC_CT_SERVICE);
	if (ty == INT32_MIN)
		goto out;
	if (store_fields(p, ty, fb, 0) != 0) {
		ty = INT32_MIN;
		goto out;
	}
	qsort(p->t->t[ty].f, fb->n, sizeof(struct ic_cfield), cmp_method);
	for (uint32_t i = 1; i < fb->n; i++)
		if (cmp_method(&p->t->t[ty].f[i], &p->t->t[ty].f[i - 1]) == 0)
			fail(p, "duplicate method name");
out:
	free(fb);
	return p->failed ? INT32_MIN : ty;
}

static int32_t datatype(struct parser *p)
{
	if (p->failed)
		return INT32_MIN;
	if (++p->depth > 100) {
		fail(p, "type nested too deeply");
		return INT32_MIN;
	}
	int32_t r = INT32_MIN;
	size_t il = ident_len(p);
	if (il == 0) {
		fail(p, "expected a type");
		goto out;
	}
	for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
		if (strlen(prims[i].name) == il && memcmp(prims[i].name, p->s, il) == 0) {
			p->s += il;
			r = prims[i].op;
			goto out;
		}
	if (keyword(p, "opt") || keyword(p, "vec")) {
		int32_t op = p->s[-1] == 't' ? IC_CT_OPT : IC_CT_VEC;
		int32_t inner = datatype(p);
		if (inner == INT32_MIN)
			goto out;
		r = add_type(p, op);
		if (r != INT32_MIN)
			p->t->t[r].inner = inner;
	} else if (keyword(p, "blob")) {
		r = add_type(p, IC_CT_VEC);
		if (r != INT32_MIN)
			p->t->t[r].inner = IC_CT_NAT8;
	} else if (keyword(p, "record")) {
		r = fields(p, IC_CT_RECORD);
	} else if (keyword(p, "variant")) {
		r = fields(p, IC_CT_VARIANT);
	} else if (keyword(p, "func")) {
		r = functype(p);
	} else if (keyword(p, "service")) {
		r = servicetype(p);
	} else {
		r = named(p, p->s, il);
		p->s += il;
	}
out:
	p->depth--;
	return p->failed ? INT32_MIN : r;
}

int ic_ctable_parse(struct ic_ctable *t, const char *defs, const char *tup, int32_t *args, size_t *nargs, char *err,
                    size_t errlen)
{
	memset(t, 0, sizeof *t);
	ic_arena_init(&t->arena, 0);
	struct parser p = {defs ? defs : "", defs ? defs : "", t, 0, err, errlen, 0, 0};
	while (defs && !p.failed) {
		skip_ws(&p);
		if (*p.s == 0)
			break;
		if (keyword(&p, "type")) {
			size_t il = ident_len(&p);
			if (il == 0) {
				fail(&p, "expected a type name");
				break;
			}
			int32_t a = named(&p, p.s, il);
			p.s += il;
			if (a == INT32_MIN || expect(&p, '=') != 0)
				break;
			if (t->t[a].inner != INT32_MIN) {
				fail(&p, "type %.*s defined twice", (int)il, t->t[a].name);
				break;
			}
			int32_t v = datatype(&p);
			if (v == INT32_MIN)
				break;
			t->t[a].inner = v;
			if (expect(&p, ';') != 0)
				break;
		} else if (keyword(&p, "import") || keyword(&p, "service")) {
			fail(&p, "only type definitions are supported here");
		} else {
			fail(&p, "expected 'type'");
		}
	}
	if (!p.failed && tup != NULL) {
		p.s = p.start = tup;
		struct fbuf *fb = calloc(1, sizeof *fb);
		if (fb == NULL) {
			fail(&p, "out of memory");
		} else {
			if (tuple(&p, fb) == 0) {
				skip_ws(&p);
				if (*p.s)
					fail(&p, "trailing text after the argument types");
				else if (fb->n > *nargs)
					fail(&p, "more than %zu argument types", *nargs);
				for (uint32_t i = 0; !p.failed && i < fb->n; i++)
					args[i] = fb->f[i].type;
				if (!p.failed)
					*nargs = fb->n;
			}
			free(fb);
		}
	}
	/* resolve aliases; a chain that comes back to itself is vacuous (type t = t) */
	for (size_t i = 0; !p.failed && i < t->n; i++) {
		if (t->t[i].op != IC_CT_ALIAS)
			continue;
		int32_t x = (int32_t)i;
		size_t steps = 0;
		while (x >= 0 && t->t[x].op == IC_CT_ALIAS) {
			if (t->t[x].inner == INT32_MIN) {
				snprintf(err, errlen, "candid type: unknown type name %.*s", (int)t->t[x].name_len, t->t[x].name);
				p.failed = 1;
				break;
			}
			if (++steps > t->n) {
				snprintf(err, errlen, "candid type: %.*s is vacuous (defined as itself)", (int)t->t[i].name_len,
				         t->t[i].name);
				p.failed = 1;
				break;
			}
			x = t->t[x].inner;
		}
		if (!p.failed)
			t->t[i].inner = x;
	}
	if (p.failed) {
		ic_ctable_free(t);
		return -1;
	}
	return 0;
}
