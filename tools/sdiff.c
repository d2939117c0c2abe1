/* sdiff.c - the structural diff (see sdiff.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/sdiff.h"

struct side {
	struct st_src *src;
	struct st_reader r;
	struct dec d;
	uint64_t start, end;
};

struct idx_entry {
	uint64_t hash;
	size_t key_at;      /* offset of the normalised key in the arena */
	uint32_t key_len;
	uint64_t key_off;   /* the key token in B */
	uint64_t val_off;   /* its value in B */
	uint8_t seen;
};

struct index {
	struct idx_entry *e;   /* in B's order */
	size_t n;
	uint32_t *slot;        /* open addressing: entry number + 1, 0 empty */
	size_t nslots;
	unsigned char *arena;
	size_t arena_len;
	size_t bytes;          /* counted against SDIFF_MAX_INDEX_BYTES */
};

enum { F_ARRAY, F_MAP };

struct frame {
	int kind, phase;
	size_t path_len;
	uint64_t a_pos, b_pos, i, na, nb, j;
	struct index *idx;
};

struct sd {
	struct side A, B;
	const struct sdiff_opts *o;
	struct jout *out;
	struct frame *stack;
	size_t top, cap;
	char *path;            /* the JSON Pointer of the current value */
	size_t path_len, path_cap;
	unsigned char *ka, *kb; /* normalised keys */
	size_t ka_len, kb_len;
	size_t index_bytes;
	int64_t changes;
	char *err;
	size_t errlen;
	unsigned char *ba, *bb; /* compare buffers */
};

#define CMPBUF 65536U

static int sd_fail(struct sd *s, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static int sd_fail(struct sd *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int side_fail(struct sd *s, struct side *x)
{
	return sd_fail(s, "%s: %s (path %s)", x == &s->A ? "A" : "B", x->r.failed ? x->r.err : "unexpected end",
	               s->path_len ? s->path : "(top)");
}

/* ---- reading ---- */

static int tok_at(struct sd *s, struct side *x, uint64_t off, struct mp_tok *t)
{
	st_reader_seek(&x->r, off);
	int rc = mp_next(&x->r, t);
	if (rc != 0)
		return side_fail(s, x);
	return 0;
}

static int skip_at(struct sd *s, struct side *x, uint64_t off, uint64_t *end)
{
	st_reader_seek(&x->r, off);
	if (mp_skip(&x->r) != 0)
		return side_fail(s, x);
	*end = st_reader_off(&x->r);
	return 0;
}

static int bytes_equal(struct sd *s, uint64_t pa, uint64_t pb, uint64_t len, int *eq)
{
	*eq = 1;
	for (uint64_t k = 0; k < len && *eq;) {
		size_t n = len - k < CMPBUF ? (size_t)(len - k) : CMPBUF;
		if (st_read(s->A.src, pa + k, s->ba, n) != 0)
			return sd_fail(s, "A: %s", s->A.src->err);
		if (st_read(s->B.src, pb + k, s->bb, n) != 0)
			return sd_fail(s, "B: %s", s->B.src->err);
		*eq = memcmp(s->ba, s->bb, n) == 0;
		k += n;
	}
	return 0;
}

/* ---- paths ---- */

static int path_set(struct sd *s, size_t base, const char *seg, size_t n)
{
	/* "/" + seg with '~' -> "~0" and '/' -> "~1" */
	size_t need = base + 1 + 2 * n + 1;
	if (need > s->path_cap) {
		size_t cap = s->path_cap ? s->path_cap : 256;
		while (cap < need)
			cap *= 2;
		char *p = realloc(s->path, cap);
		if (p == NULL)
			return sd_fail(s, "out of memory for a path");
		s->path = p;
		s->path_cap = cap;
	}
	size_t k = base;
	s->path[k++] = '/';
	for (size_t i = 0; i < n; i++) {
		if (seg[i] == '~')
			s->path[k++] = '~', s->path[k++] = '0';
		else if (seg[i] == '/')
			s->path[k++] = '~', s->path[k++] = '1';
		else
			s->path[k++] = seg[i];
	}
	s->path[k] = 0;
	s->path_len = k;
	return 0;
}

static int path_index(struct sd *s, size_t base, uint64_t i)
{
	char b[24];
	int n = snprintf(b, sizeof b, "%llu", (unsigned long long)i);
	return path_set(s, base, b, (size_t)n);
}

/* Undo our own JSON string escapes (jout_jstr_body): the member name as raw bytes. */
static size_t unescape(char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\\' || i + 1 >= n) {
			p[k++] = p[i];
			continue;
		}
		char c = p[++i];
		switch (c) {
		case 'b': p[k++] = '\b'; break;
		case 'f': p[k++] = '\f'; break;
		case 'n': p[k++] = '\n'; break;
		case 'r': p[k++] = '\r'; break;
		case 't': p[k++] = '\t'; break;
		case 'u':
			if (i + 4 < n) {
				unsigned v = 0;
				for (int j = 1; j <= 4; j++) {
					char h = p[i + j];
					v = v * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
				}
				p[k++] = (char)v; /* we only write \u00XX */
				i += 4;
			}
			break;
		default: p[k++] = c; break;
		}
	}
	return k;
}

static int path_key(struct sd *s, size_t base, struct side *x, uint64_t key_off)
{
	struct jout t;
	if (jout_init(&t, NULL, NULL, 256) != 0)
		return sd_fail(s, "out of memory");
	st_reader_seek(&x->r, key_off);
	x->d.top = 0;
	int rc = dec_key(&x->d, &t);
	if (rc != 0 || t.failed || t.len < 2) {
		jout_free(&t);
		return sd_fail(s, "%s: %s", x == &s->A ? "A" : "B", x->d.err);
	}
	size_t n = unescape(t.buf + 1, t.len - 2);
	rc = path_set(s, base, t.buf + 1, n);
	jout_free(&t);
	return rc;
}

/* ---- output ---- */

static int value_out(struct sd *s, struct side *x, uint64_t off)
{
	st_reader_seek(&x->r, off);
	x->d.top = 0;
	x->d.format = DEC_JSON;
	if (dec_run(&x->d, s->out) != 0)
		return sd_fail(s, "%s: %s", x == &s->A ? "A" : "B", x->d.err);
	return 0;
}

/* op: '~' replace, '+' add, '-' remove; a_off / b_off: the old / new value (UINT64_MAX: none) */
static int change(struct sd *s, char op, uint64_t a_off, uint64_t b_off)
{
	struct jout *o = s->out;
	static const char *const names[] = {"replace", "add", "remove"};
	const char *name = names[op == '~' ? 0 : op == '+' ? 1 : 2];
	if (s->o->mode == SD_TEXT) {
		jout_ch(o, op);
		jout_ch(o, ' ');
		if (s->path_len == 0)
			jout_str(o, "(top)");
		else
			jout_raw(o, s->path, s->path_len);
		jout_str(o, ": ");
		if (a_off != UINT64_MAX && value_out(s, &s->A, a_off) != 0)
			return -1;
		if (op == '~')
			jout_str(o, " -> ");
		if (b_off != UINT64_MAX && value_out(s, &s->B, b_off) != 0)
			return -1;
		jout_ch(o, '\n');
	} else {
		if (s->changes > 0)
			jout_ch(o, ',');
		jout_str(o, "{\"op\":\"");
		jout_str(o, name);
		jout_str(o, "\",\"path\":");
		jout_jstr(o, (const unsigned char *)(s->path_len ? s->path : ""), s->path_len);
		if (s->o->mode == SD_JSON && a_off != UINT64_MAX) {
			jout_str(o, ",\"old\":");
			if (value_out(s, &s->A, a_off) != 0)
				return -1;
		}
		if (b_off != UINT64_MAX) {
			jout_str(o, ",\"value\":");
			if (value_out(s, &s->B, b_off) != 0)
				return -1;
		}
		jout_ch(o, '}');
	}
	s->changes++;
	if (o->failed || jout_flush(o) != 0)
		return sd_fail(s, "cannot write the output");
	return 0;
}

/* ---- keys ---- */

static int norm_key(struct sd *s, struct side *x, uint64_t off, unsigned char **buf, size_t *len,
                    uint64_t *val_off)
{
	struct mp_tok t;
	if (tok_at(s, x, off, &t) != 0)
		return -1;
	unsigned char *b = *buf;
	size_t n = 0;
	uint64_t pay = st_reader_off(&x->r);
	if (t.kind == MP_UINT || t.kind == MP_INT) {
		b[n++] = t.kind == MP_UINT ? 'u' : 'i';
		memcpy(b + n, &t.v.u, 8);
		n += 8;
		*val_off = pay;
	} else if (t.kind == MP_STR || t.kind == MP_BIN || t.kind == MP_EXT) {
		if (t.len > SDIFF_MAX_KEY - 2)
			return sd_fail(s, "%s: offset %llu: a map key of %u bytes (more than %u)", x == &s->A ? "A" : "B",
			               (unsigned long long)t.off, t.len, SDIFF_MAX_KEY - 2);
		b[n++] = t.kind == MP_STR ? 's' : t.kind == MP_BIN ? 'b' : 'e';
		b[n++] = (unsigned char)t.ext_type;
		if (st_read(x->src, pay, b + n, t.len) != 0)
			return sd_fail(s, "%s", x->src->err);
		n += t.len;
		*val_off = pay + t.len;
	} else {
		/* any other key: its encoded bytes */
		uint64_t end;
		if (skip_at(s, x, off, &end) != 0)
			return -1;
		if (end - off > SDIFF_MAX_KEY - 1)
			return sd_fail(s, "%s: offset %llu: a map key of more than %u bytes", x == &s->A ? "A" : "B",
			               (unsigned long long)off, SDIFF_MAX_KEY - 1);
		b[n++] = 'r';
		if (st_read(x->src, off, b + n, (size_t)(end - off)) != 0)
			return sd_fail(s, "%s", x->src->err);
		n += (size_t)(end - off);
		*val_off = end;
	}
	*len = n;
	return 0;
}

static uint64_t hash_bytes(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a, then a final mix */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

static void index_free(struct index *x)
{
	if (x == NULL)
		return;
	free(x->e);
	free(x->slot);
	free(x->arena);
	free(x);
}

/* Index B's pairs from b_pos on (count pairs). */
static int index_build(struct sd *s, struct frame *f, uint64_t count)
{
	struct index *x = calloc(1, sizeof *x);
	if (x == NULL)
		return sd_fail(s, "out of memory");
	f->idx = x;
	uint64_t need = count * (sizeof *x->e + 4 * sizeof *x->slot);
	if (need > SDIFF_MAX_INDEX_BYTES - s->index_bytes)
		return sd_fail(s, "B: a map of %llu keys at %s is too large to index (limit %llu bytes)",
		               (unsigned long long)count, s->path_len ? s->path : "(top)", SDIFF_MAX_INDEX_BYTES);
	size_t nslots = 16;
	while (nslots < count * 2)
		nslots *= 2;
	x->e = malloc((count ? count : 1) * sizeof *x->e);
	x->slot = calloc(nslots, sizeof *x->slot);
	if (x->e == NULL || x->slot == NULL)
		return sd_fail(s, "out of memory for a map index");
	x->nslots = nslots;
	x->bytes = (size_t)need;
	s->index_bytes += x->bytes;
	size_t arena_cap = 0;
	uint64_t pos = f->b_pos;
	for (uint64_t k = 0; k < count; k++) {
		struct idx_entry *e = &x->e[x->n];
		uint64_t val;
		if (norm_key(s, &s->B, pos, &s->kb, &s->kb_len, &val) != 0)
			return -1;
		if (s->kb_len > SDIFF_MAX_INDEX_BYTES - s->index_bytes)
			return sd_fail(s, "B: the keys of the map at %s are too large to index",
			               s->path_len ? s->path : "(top)");
		if (x->arena_len + s->kb_len > arena_cap) {
			size_t cap = arena_cap ? arena_cap : 4096;
			while (cap < x->arena_len + s->kb_len)
				cap *= 2;
			unsigned char *a = realloc(x->arena, cap);
			if (a == NULL)
				return sd_fail(s, "out of memory for a map index");
			x->arena = a;
			s->index_bytes += cap - arena_cap;
			x->bytes += cap - arena_cap;
			arena_cap = cap;
		}
		memcpy(x->arena + x->arena_len, s->kb, s->kb_len);
		e->key_at = x->arena_len;
		e->key_len = (uint32_t)s->kb_len;
		x->arena_len += s->kb_len;
		e->hash = hash_bytes(s->kb, s->kb_len);
		e->key_off = pos;
		e->val_off = val;
		e->seen = 0;
		size_t h = (size_t)e->hash & (nslots - 1);
		while (x->slot[h] != 0)
			h = (h + 1) & (nslots - 1);
		x->slot[h] = (uint32_t)(x->n + 1);
		x->n++;
		if (skip_at(s, &s->B, val, &pos) != 0)
			return -1;
	}
	f->b_pos = pos;
	return 0;
}

/* The first unseen entry with key ka, or NULL. */
static struct idx_entry *index_find(struct index *x, const unsigned char *k, size_t n)
{
	uint64_t h = hash_bytes(k, n);
	for (size_t i = (size_t)h & (x->nslots - 1); x->slot[i] != 0; i = (i + 1) & (x->nslots - 1)) {
		struct idx_entry *e = &x->e[x->slot[i] - 1];
		if (e->hash == h && !e->seen && e->key_len == n && memcmp(x->arena + e->key_at, k, n) == 0)
			return e;
	}
	return NULL;
}

/* ---- the walk ---- */

static int push(struct sd *s, int kind, uint64_t a_pos, uint64_t b_pos, uint64_t na, uint64_t nb)
{
	if (s->top >= s->o->max_depth)
		return sd_fail(s, "nesting deeper than %u at %s", s->o->max_depth, s->path_len ? s->path : "(top)");
	if (s->top == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct frame *f = realloc(s->stack, cap * sizeof *f);
		if (f == NULL)
			return sd_fail(s, "out of memory");
		s->stack = f;
		s->cap = cap;
	}
	struct frame *f = &s->stack[s->top++];
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->path_len = s->path_len;
	f->a_pos = a_pos;
	f->b_pos = b_pos;
	f->na = na;
	f->nb = nb;
	return 0;
}

/* Compare the values at a_off and b_off (the path is set); may push a frame. */
static int compare(struct sd *s, uint64_t a_off, uint64_t b_off)
{
	uint64_t a_end, b_end;
	if (skip_at(s, &s->A, a_off, &a_end) != 0 || skip_at(s, &s->B, b_off, &b_end) != 0)
		return -1;
	int eq = 0;
	if (a_end - a_off == b_end - b_off && bytes_equal(s, a_off, b_off, a_end - a_off, &eq) != 0)
		return -1;
	if (eq)
		return 0;
	struct mp_tok ta, tb;
	if (tok_at(s, &s->A, a_off, &ta) != 0)
		return -1;
	uint64_t pa = st_reader_off(&s->A.r);
	if (tok_at(s, &s->B, b_off, &tb) != 0)
		return -1;
	uint64_t pb = st_reader_off(&s->B.r);
	if (ta.kind == tb.kind && (ta.kind == MP_MAP || ta.kind == MP_ARRAY))
		return push(s, ta.kind == MP_MAP ? F_MAP : F_ARRAY, pa, pb, ta.len, tb.len);
	if (ta.kind == tb.kind) {
		switch (ta.kind) {
		case MP_NIL: return 0;
		case MP_BOOL: eq = ta.v.b == tb.v.b; break;
		case MP_UINT: case MP_INT: eq = ta.v.u == tb.v.u; break;
		case MP_F32: eq = memcmp(&ta.v.f, &tb.v.f, 4) == 0; break;
		case MP_F64: eq = memcmp(&ta.v.d, &tb.v.d, 8) == 0; break;
		default:
			/* str/bin/ext with different header sizes */
			eq = ta.len == tb.len && ta.ext_type == tb.ext_type;
			if (eq && bytes_equal(s, pa, pb, ta.len, &eq) != 0)
				return -1;
			break;
		}
		if (eq)
			return 0;
	}
	return change(s, '~', a_off, b_off);
}

static int step_array(struct sd *s, struct frame *f)
{
	uint64_t common = f->na < f->nb ? f->na : f->nb;
	size_t base = f->path_len;
	if (f->phase == 0) {
		if (f->i < common) {
			uint64_t a = f->a_pos, b = f->b_pos, i = f->i++;
			if (skip_at(s, &s->A, a, &f->a_pos) != 0 || skip_at(s, &s->B, b, &f->b_pos) != 0)
				return -1;
			if (path_index(s, base, i) != 0)
				return -1;
			return compare(s, a, b);
		}
		f->phase = 1;
	}
	if (f->phase == 1) {
		if (f->i < f->nb) {
			uint64_t b = f->b_pos, i = f->i++;
			if (skip_at(s, &s->B, b, &f->b_pos) != 0 || path_index(s, base, i) != 0)
				return -1;
			return change(s, '+', UINT64_MAX, b);
		}
		f->phase = 2;
		f->i = common;
	}
	if (f->i < f->na) {
		if (s->o->mode == SD_PATCH) {
			/* from the highest index down, so each index is still valid when removed */
			uint64_t i = f->na - 1 - (f->i++ - common);
			if (path_index(s, base, i) != 0)
				return -1;
			return change(s, '-', UINT64_MAX, UINT64_MAX);
		}
		uint64_t a = f->a_pos, i = f->i++;
		if (skip_at(s, &s->A, a, &f->a_pos) != 0 || path_index(s, base, i) != 0)
			return -1;
		return change(s, '-', a, UINT64_MAX);
	}
	s->top--;
	s->path_len = base;
	return 0;
}

static int step_map(struct sd *s, struct frame *f)
{
	size_t base = f->path_len;
	uint64_t va, vb;
	if (f->phase == 0) {
		/* keys in the same order on both sides: no index */
		if (f->i < f->na && f->i < f->nb) {
			if (norm_key(s, &s->A, f->a_pos, &s->ka, &s->ka_len, &va) != 0 ||
			    norm_key(s, &s->B, f->b_pos, &s->kb, &s->kb_len, &vb) != 0)
				return -1;
			if (s->ka_len == s->kb_len && memcmp(s->ka, s->kb, s->ka_len) == 0) {
				uint64_t key = f->a_pos;
				f->i++;
				if (skip_at(s, &s->A, va, &f->a_pos) != 0 || skip_at(s, &s->B, vb, &f->b_pos) != 0)
					return -1;
				if (path_key(s, base, &s->A, key) != 0)
					return -1;
				return compare(s, va, vb);
			}
		}
		if (index_build(s, f, f->nb - f->i) != 0)
			return -1;
		f->phase = 1;
	}
	if (f->phase == 1) {
		if (f->i < f->na) {
			uint64_t key = f->a_pos;
			f->i++;
			if (norm_key(s, &s->A, key, &s->ka, &s->ka_len, &va) != 0 || skip_at(s, &s->A, va, &f->a_pos) != 0 ||
			    path_key(s, base, &s->A, key) != 0)
				return -1;
			struct idx_entry *e = index_find(f->idx, s->ka, s->ka_len);
			if (e == NULL)
				return change(s, '-', s->o->mode == SD_PATCH ? UINT64_MAX : va, UINT64_MAX);
			e->seen = 1;
			return compare(s, va, e->val_off);
		}
		f->phase = 2;
		f->j = 0;
	}
	while (f->j < f->idx->n) {
		struct idx_entry *e = &f->idx->e[f->j++];
		if (e->seen)
			continue;
		if (path_key(s, base, &s->B, e->key_off) != 0)
			return -1;
		return change(s, '+', UINT64_MAX, e->val_off);
	}
	s->index_bytes -= f->idx->bytes;
	index_free(f->idx);
	f->idx = NULL;
	s->top--;
	s->path_len = base;
	return 0;
}

static int side_init(struct sd *s, struct side *x, struct st_src *src, uint64_t start, uint64_t end)
{
	x->src = src;
	x->start = start;
	x->end = end;
	if (st_reader_init(&x->r, src, start, end, 1U << 16) != 0)
		return sd_fail(s, "out of memory");
	dec_init(&x->d, &x->r);
	x->d.binary = s->o->binary;
	x->d.max_depth = s->o->max_depth;
	return 0;
}

int64_t sdiff_run(struct st_src *a, uint64_t a_start, uint64_t a_end, struct st_src *b, uint64_t b_start,
                  uint64_t b_end, const struct sdiff_opts *o, struct jout *out, char *err, size_t errlen)
{
	struct sd s;
	memset(&s, 0, sizeof s);
	s.o = o;
	s.out = out;
	s.err = err;
	s.errlen = errlen;
	int rc = -1;
	s.ka = malloc(SDIFF_MAX_KEY);
	s.kb = malloc(SDIFF_MAX_KEY);
	s.ba = malloc(CMPBUF);
	s.bb = malloc(CMPBUF);
	s.path = calloc(1, 256);
	s.path_cap = 256;
	if (s.ka == NULL || s.kb == NULL || s.ba == NULL || s.bb == NULL || s.path == NULL) {
		sd_fail(&s, "out of memory");
		goto out;
	}
	if (side_init(&s, &s.A, a, a_start, a_end) != 0 || side_init(&s, &s.B, b, b_start, b_end) != 0)
		goto out;
	if (compare(&s, a_start, b_start) != 0)
		goto out;
	while (s.top > 0) {
		struct frame *f = &s.stack[s.top - 1];
		s.path_len = f->path_len;
		if (s.path != NULL)
			s.path[s.path_len] = 0;
		if ((f->kind == F_ARRAY ? step_array(&s, f) : step_map(&s, f)) != 0)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < s.top; i++)
		index_free(s.stack[i].idx);
	free(s.stack);
	free(s.path);
	free(s.ka);
	free(s.kb);
	free(s.ba);
	free(s.bb);
	dec_free(&s.A.d);
	dec_free(&s.B.d);
	st_reader_free(&s.A.r);
	st_reader_free(&s.B.r);
	return rc == 0 ? s.changes : -1;
}
