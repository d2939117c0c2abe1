/* decode.c - the streaming MessagePack to text decoder (mapping in decode.h). */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/decode.h"

void dec_init(struct dec *d, struct st_reader *r)
{
	memset(d, 0, sizeof *d);
	d->r = r;
	d->format = DEC_JSON;
	d->binary = DEC_BASE64;
	d->max_depth = DEC_MAX_DEPTH_DEFAULT;
}

void dec_free(struct dec *d)
{
	free(d->stack);
	d->stack = NULL;
	d->top = d->cap = 0;
}

/* ---- messages: the path reached ---- */

static void key_label(struct dec *d, uint64_t off, char *buf, size_t cap)
{
	struct st_reader kr;
	struct mp_tok t;
	buf[0] = 0;
	if (st_reader_init(&kr, d->r->src, off, d->r->end, 128) != 0) {
		st_reader_free(&kr);
		return;
	}
	if (mp_next(&kr, &t) == 0) {
		if (t.kind == MP_STR) {
			size_t n = t.len < 48 ? t.len : 48;
			if (st_reader_fill(&kr, n) == 0) {
				size_t k = 0;
				for (size_t i = 0; i < n && k + 5 < cap; i++) {
					unsigned char c = kr.buf[kr.pos + i];
					if (c == '.' || c == '[' || c == '\\')
						buf[k++] = '\\';
					buf[k++] = (c >= 0x20 && c < 0x7f) || c >= 0x80 ? (char)c : '?';
				}
				if (n < t.len && k + 4 < cap)
					buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
				buf[k] = 0;
			}
		} else if (t.kind == MP_UINT) {
			snprintf(buf, cap, "%" PRIu64, t.v.u);
		} else if (t.kind == MP_INT) {
			snprintf(buf, cap, "%" PRId64, t.v.i);
		} else {
			snprintf(buf, cap, "<%s key>", mp_kind_name(t.kind));
		}
	}
	st_reader_free(&kr);
}

static void path_reached(struct dec *d, char *out, size_t cap)
{
	size_t k = 0;
	out[0] = 0;
	for (size_t i = 0; i < d->top && k + 1 < cap; i++) {
		const struct dec_frame *f = &d->stack[i];
		char lab[200];
		if (f->is_map) {
			if (!f->has_key)
				break;
			key_label(d, f->key_off, lab, sizeof lab);
			k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? "." : "", lab);
		} else {
			k += (size_t)snprintf(out + k, cap - k, "[%" PRIu64 "]", f->index);
		}
		if (k >= cap)
			k = cap - 1;
	}
	if (k == 0)
		snprintf(out, cap, "(top)");
}

static int fail(struct dec *d, const char *msg)
{
	char path[400];
	path_reached(d, path, sizeof path);
	snprintf(d->err, sizeof d->err, "%s (path reached: %s)", msg, path);
	return -1;
}

static int fail_reader(struct dec *d)
{
	return fail(d, d->r->failed ? d->r->err : "unexpected end of input");
}

/* ---- scalars ---- */

/* Stream a payload of t.len bytes through fn in pieces of at most `piece` bytes. */
typedef void piece_fn(struct jout *o, const unsigned char *s, size_t n);

static int payload_pieces(struct dec *d, const struct mp_tok *t, struct jout *o, piece_fn *fn, size_t piece)
{
	struct st_reader *r = d->r;
	uint64_t left = t->len;
	while (left > 0) {
		size_t n = left < piece ? (size_t)left : piece;
		if (st_reader_fill(r, n) != 0) {
			st_reader_fail(r, "offset %llu: truncated %s payload", (unsigned long long)t->off,
			               mp_kind_name(t->kind));
			return -1;
		}
		fn(o, r->buf + r->pos, n);
		r->pos += n;
		left -= n;
	}
	return 0;
}

static int bytes_text(struct dec *d, const struct mp_tok *t, struct jout *o)
{
	size_t piece = d->r->cap - d->r->cap % 3; /* base64 pieces must be whole 3-byte groups */
	jout_ch(o, '"');
	int rc = payload_pieces(d, t, o, d->binary == DEC_HEX ? jout_hex : jout_base64, piece);
	jout_ch(o, '"');
	return rc;
}

/* Is the str payload at the reader valid UTF-8? Does not consume it. */
static int str_is_utf8(struct dec *d, const struct mp_tok *t, int *valid)
{
	struct st_reader *r = d->r;
	if (t->len <= r->cap) {
		if (st_reader_fill(r, t->len) != 0)
			return -1;
		*valid = utf8_valid(r->buf + r->pos, t->len);
		return 0;
	}
	/* longer than the buffer: check in pieces cut at sequence boundaries, then come back */
	uint64_t start = st_reader_off(r), left = t->len;
	*valid = 1;
	while (left > 0 && *valid) {
		size_t n = left < r->cap ? (size_t)left : r->cap;
		if (st_reader_fill(r, n) != 0)
			return -1;
		size_t k = n == left ? n : utf8_cut(r->buf + r->pos, n);
		if (k == 0)
			k = n; /* three stray bytes: utf8_valid rejects them */
		*valid = utf8_valid(r->buf + r->pos, k);
		r->pos += k;
		left -= k;
	}
	st_reader_seek(r, start);
	return 0;
}

static int str_text(struct dec *d, const struct mp_tok *t, struct jout *o, int as_key)
{
	int valid;
	if (str_is_utf8(d, t, &valid) != 0)
		return fail_reader(d);
	if (!valid) {
		if (as_key)
			jout_str(o, "\"$");
		jout_str(o, as_key ? "{\\\"$str\\\":\\\"" : "{\"$str\":\"");
		size_t piece = d->r->cap - d->r->cap % 3;
		int rc = payload_pieces(d, t, o, d->binary == DEC_HEX ? jout_hex : jout_base64, piece);
		jout_str(o, as_key ? "\\\"}\"" : "\"}");
		return rc == 0 ? 0 : fail_reader(d);
	}
	jout_ch(o, '"');
	if (as_key && t->len > 0) {
		if (st_reader_fill(d->r, 1) != 0)
			return fail_reader(d);
		if (d->r->buf[d->r->pos] == '$')
			jout_ch(o, '$');
	}
	if (payload_pieces(d, t, o, jout_jstr_body, d->r->cap) != 0)
		return fail_reader(d);
	jout_ch(o, '"');
	return 0;
}

static void float_bits(struct jout *o, const char *tag, uint64_t bits, int hexdigits)
{
	char b[64];
	snprintf(b, sizeof b, "{\"%s\":\"%0*" PRIx64 "\"}", tag, hexdigits, bits);
	jout_str(o, b);
}

/* A scalar token (payload at the reader) as JSON. */
static int scalar(struct dec *d, const struct mp_tok *t, struct jout *o)
{
	switch (t->kind) {
	case MP_NIL: jout_str(o, "null"); return 0;
	case MP_BOOL: jout_str(o, t->v.b ? "true" : "false"); return 0;
	case MP_UINT: jout_u64(o, t->v.u); return 0;
	case MP_INT: jout_i64(o, t->v.i); return 0;
	case MP_F32:
		if (isfinite(t->v.f)) {
			jout_f32(o, t->v.f);
		} else {
			uint32_t b;
			memcpy(&b, &t->v.f, 4);
			float_bits(o, "$float32", b, 8);
		}
		return 0;
	case MP_F64:
		if (isfinite(t->v.d)) {
			jout_f64(o, t->v.d);
		} else {
			uint64_t b;
			memcpy(&b, &t->v.d, 8);
			float_bits(o, "$float64", b, 16);
		}
		return 0;
	case MP_STR: return str_text(d, t, o, 0);
	case MP_BIN:
		jout_str(o, "{\"$bin\":");
		if (bytes_text(d, t, o) != 0)
			return fail_reader(d);
		jout_ch(o, '}');
		return 0;
	case MP_EXT:
		jout_str(o, "{\"$ext\":");
		jout_i64(o, t->ext_type);
		jout_str(o, ",\"$data\":");
		if (bytes_text(d, t, o) != 0)
			return fail_reader(d);
		jout_ch(o, '}');
		return 0;
	default: return fail(d, "internal: not a scalar");
	}
}

/* ---- the walk ---- */

static int push(struct dec *d, const struct mp_tok *t)
{
	if (d->top >= d->max_depth) {
		char m[128];
		snprintf(m, sizeof m, "offset %llu: nesting deeper than %u", (unsigned long long)t->off,
		         d->max_depth);
		return fail(d, m);
	}
	if (d->top == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct dec_frame *s = realloc(d->stack, cap * sizeof *s);
		if (s == NULL)
			return fail(d, "out of memory for the nesting stack");
		d->stack = s;
		d->cap = cap;
	}
	struct dec_frame *f = &d->stack[d->top++];
	memset(f, 0, sizeof *f);
	f->is_map = t->kind == MP_MAP;
	f->remaining = f->is_map ? 2 * (uint64_t)t->len : t->len;
	return 0;
}

static void indent(struct jout *o, size_t level)
{
	for (size_t i = 0; i < level; i++)
		jout_raw(o, "  ", 2);
}

static int render(struct dec *d, struct jout *o, enum dec_format fmt, int key_level);

/* A map key as a JSON member name (mapping in decode.h). */
static int key_text(struct dec *d, const struct mp_tok *t, struct jout *o, int key_level)
{
	if (t->kind == MP_STR)
		return str_text(d, t, o, 1);
	/* any other key: '$' + its compact JSON, escaped as a string; a bounded recursion (keys
	 * nested in keys) with a bounded buffer */
	if (key_level >= 4)
		return fail(d, "map keys nested inside map keys more than 4 deep");
	struct jout tmp;
	if (jout_init(&tmp, NULL, NULL, 256) != 0)
		return fail(d, "out of memory for a map key");
	int rc = 0;
	st_reader_seek(d->r, t->off);
	rc = render(d, &tmp, DEC_JSON, key_level + 1);
	if (rc == 0 && (tmp.failed || tmp.len > DEC_MAX_KEY_TEXT)) {
		char m[128];
		snprintf(m, sizeof m, "offset %llu: a map key renders to more than %u bytes",
		         (unsigned long long)t->off, DEC_MAX_KEY_TEXT);
		rc = fail(d, m);
	}
	if (rc == 0) {
		jout_raw(o, "\"$", 2);
		jout_jstr_body(o, (const unsigned char *)tmp.buf, tmp.len);
		jout_ch(o, '"');
	}
	jout_free(&tmp);
	return rc;
}

/* Called when a value (scalar or container) is complete, with base the frame count of this
 * render: closes ndjson lines. */
static void value_done(struct dec *d, struct jout *o, enum dec_format fmt, size_t base)
{
	if (fmt == DEC_NDJSON && d->top == base + 1) {
		if (d->stack[base].is_map)
			jout_ch(o, '}');
		jout_ch(o, '\n');
	} else if (fmt == DEC_NDJSON && d->top == base) {
		jout_ch(o, '\n'); /* a scalar at the top */
	}
}

static int render(struct dec *d, struct jout *o, enum dec_format fmt, int key_level)
{
	struct st_reader *r = d->r;
	const size_t base = d->top;
	int started = 0;
	for (;;) {
		/* close finished containers */
		while (d->top > base && d->stack[d->top - 1].remaining == 0) {
			struct dec_frame *f = &d->stack[d->top - 1];
			int was_map = f->is_map;
			if (fmt == DEC_JSON || (fmt == DEC_NDJSON && d->top > base + 1))
				jout_ch(o, was_map ? '}' : ']');
			d->top--;
			if (d->top > base) {
				d->stack[d->top - 1].index++;
				value_done(d, o, fmt, base);
			}
			if (o->failed)
				return fail(d, "cannot write the output");
		}
		if (d->top == base && started)
			return 0;
		struct mp_tok t;
		int rc = mp_next(r, &t);
		if (rc != 0) {
			if (rc > 0 && !started)
				return 1;
			return fail_reader(d);
		}
		started = 1;
		struct dec_frame *f = d->top > base ? &d->stack[d->top - 1] : NULL;
		int is_key = f != NULL && f->is_map && f->remaining % 2 == 0;
		size_t level = d->top - base; /* tree indentation */
		if (f != NULL) {
			f->remaining--;
			int ndtop = fmt == DEC_NDJSON && d->top == base + 1;
			if (is_key || !f->is_map) {
				if (fmt == DEC_JSON || (fmt == DEC_NDJSON && !ndtop)) {
					if (f->index > 0)
						jout_ch(o, ',');
				} else if (fmt == DEC_TREE) {
					indent(o, level - 1);
					if (!f->is_map) {
						jout_ch(o, '[');
						jout_u64(o, f->index);
						jout_str(o, "]: ");
					}
				}
				if (ndtop && f->is_map)
					jout_ch(o, '{');
			}
			if (is_key) {
				f->key_off = t.off;
				f->has_key = 1;
				if (key_text(d, &t, o, key_level) != 0)
					return -1;
				jout_str(o, fmt == DEC_TREE ? ": " : ":");
				continue;
			}
		}
		if (t.kind == MP_ARRAY || t.kind == MP_MAP) {
			if (push(d, &t) != 0)
				return -1;
			int top_nd = fmt == DEC_NDJSON && d->top == base + 1;
			if (fmt == DEC_JSON || (fmt == DEC_NDJSON && !top_nd)) {
				jout_ch(o, t.kind == MP_MAP ? '{' : '[');
			} else if (fmt == DEC_TREE) {
				char b[40];
				snprintf(b, sizeof b, t.kind == MP_MAP ? "{%u}\n" : "[%u]\n", t.len);
				jout_str(o, b);
			}
			continue;
		}
		if (scalar(d, &t, o) != 0)
			return -1;
		if (fmt == DEC_TREE)
			jout_ch(o, '\n');
		if (f != NULL)
			f->index++;
		value_done(d, o, fmt, base);
		if (o->failed)
			return fail(d, "cannot write the output");
		if (f == NULL)
			return 0;
	}
}

int dec_key(struct dec *d, struct jout *out)
{
	struct mp_tok t;
	int rc = mp_next(d->r, &t);
	if (rc != 0)
		return rc < 0 ? fail_reader(d) : fail(d, "no key at the end of the input");
	return key_text(d, &t, out, 0);
}

int dec_run(struct dec *d, struct jout *out)
{
	d->err[0] = 0;
	return render(d, out, d->format, 0);
}

/* ---- --path ---- */

void dec_path_free(struct dec_path *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->c[i].key);
	free(p->c);
	p->c = NULL;
	p->n = 0;
}

static int add_comp(struct dec_path *p, const char *s, size_t len, int bracket)
{
	struct dec_path_comp *c = realloc(p->c, (p->n + 1) * sizeof *c);
	if (c == NULL)
		return -1;
	p->c = c;
	struct dec_path_comp *k = &p->c[p->n];
	memset(k, 0, sizeof *k);
	k->key = malloc(len + 1);
	if (k->key == NULL)
		return -1;
	memcpy(k->key, s, len);
	k->key[len] = 0;
	k->len = len;
	k->bracket = bracket;
	p->n++;
	/* a decimal integer? */
	size_t i = 0;
	int neg = 0;
	if (len > 0 && s[0] == '-')
		neg = 1, i = 1;
	if (i < len && len - i <= 19) {
		uint64_t v = 0;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		if (i == len && v <= (uint64_t)INT64_MAX) {
			k->is_num = 1;
			k->num = neg ? -(int64_t)v : (int64_t)v;
		}
	}
	return 0;
}

int dec_path_parse(const char *expr, struct dec_path *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	size_t n = strlen(expr);
	char *tok = malloc(n + 1);
	if (tok == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t i = 0, k = 0;
	int have = 0;
	while (i <= n) {
		char c = i < n ? expr[i] : 0;
		if (c == '\\' && i + 1 < n) {
			tok[k++] = expr[i + 1];
			have = 1;
			i += 2;
			continue;
		}
		if (c == '.' || c == '[' || c == 0) {
			if (have && add_comp(p, tok, k, 0) != 0)
				goto nomem;
			if (!have && c == '.' ) {
				snprintf(err, errlen, "--path '%s': empty component at character %zu", expr, i + 1);
				goto bad;
			}
			k = 0;
			have = 0;
			if (c == 0)
				break;
			if (c == '[') {
				const char *close = strchr(expr + i, ']');
				if (close == NULL || close == expr + i + 1) {
					snprintf(err, errlen, "--path '%s': '[' at character %zu needs an index and ']'",
					         expr, i + 1);
					goto bad;
				}
				size_t len = (size_t)(close - (expr + i + 1));
				if (add_comp(p, expr + i + 1, len, 1) != 0)
					goto nomem;
				if (!p->c[p->n - 1].is_num || p->c[p->n - 1].num < 0) {
					snprintf(err, errlen, "--path '%s': [%.*s] is not an index", expr, (int)len,
					         expr + i + 1);
					goto bad;
				}
				i = (size_t)(close - expr) + 1;
				if (i < n && expr[i] == '.')
					i++;
				continue;
			}
			i++;
			continue;
		}
		tok[k++] = c;
		have = 1;
		i++;
	}
	free(tok);
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
bad:
	free(tok);
	dec_path_free(p);
	return -1;
}

static int key_matches(struct dec *d, const struct mp_tok *t, const struct dec_path_comp *c, int *match)
{
	*match = 0;
	if (t->kind == MP_STR) {
		if (t->len != c->len || c->bracket)
			return 0;
		if (t->len > d->r->cap)
			return 0; /* a component is never that long */
		if (st_reader_fill(d->r, t->len) != 0)
			return -1;
		*match = memcmp(d->r->buf + d->r->pos, c->key, c->len) == 0;
	} else if (t->kind == MP_UINT) {
		*match = c->is_num && c->num >= 0 && (uint64_t)c->num == t->v.u;
	} else if (t->kind == MP_INT) {
		*match = c->is_num && c->num == t->v.i;
	}
	return 0;
}

int dec_select(struct dec *d, const struct dec_path *p)
{
	struct st_reader *r = d->r;
	char m[400];
	for (size_t i = 0; i < p->n; i++) {
		const struct dec_path_comp *c = &p->c[i];
		struct mp_tok t;
		int rc = mp_next(r, &t);
		if (rc != 0)
			return fail(d, rc < 0 ? r->err : "no value at the reader's position");
		if (t.kind == MP_MAP) {
			if (push(d, &t) != 0)
				return -1;
			struct dec_frame *f = &d->stack[d->top - 1];
			int found = 0;
			for (uint32_t k = 0; k < t.len && !found; k++) {
				struct mp_tok kt;
				if (mp_next(r, &kt) != 0)
					return fail_reader(d);
				f->key_off = kt.off;
				f->has_key = 1;
				f->index = k;
				if (key_matches(d, &kt, c, &found) != 0)
					return fail_reader(d);
				if (mp_skip_rest(r, &kt) != 0 || (!found && mp_skip(r) != 0))
					return fail_reader(d);
			}
			if (!found) {
				f->has_key = 0;
				snprintf(m, sizeof m, "--path: no key '%s' in the map at offset %llu (%u keys)",
				         c->key, (unsigned long long)t.off, t.len);
				return fail(d, m);
			}
		} else if (t.kind == MP_ARRAY) {
			if (!c->is_num || c->num < 0) {
				snprintf(m, sizeof m, "--path: '%s' is not an index, and the value at offset %llu is an array",
				         c->key, (unsigned long long)t.off);
				return fail(d, m);
			}
			if ((uint64_t)c->num >= t.len) {
				snprintf(m, sizeof m, "--path: index %s is past the end of the array at offset %llu (%u elements)",
				         c->key, (unsigned long long)t.off, t.len);
				return fail(d, m);
			}
			if (push(d, &t) != 0)
				return -1;
			struct dec_frame *f = &d->stack[d->top - 1];
			for (int64_t k = 0; k < c->num; k++) {
				f->index = (uint64_t)k;
				if (mp_skip(r) != 0)
					return fail_reader(d);
			}
			f->index = (uint64_t)c->num;
		} else {
			snprintf(m, sizeof m, "--path: the %s at offset %llu has no member '%s'",
			         mp_kind_name(t.kind), (unsigned long long)t.off, c->key);
			return fail(d, m);
		}
	}
	/* the frames stay, so messages from dec_run name the whole path */
	return 0;
}
