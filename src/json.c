/* json.c - a small strict JSON reader (RFC 8259) for the metadata.json of snapshot directories:
 * depth and size limits, numbers kept as text (u64 values must not go through a double), strings
 * decoded to UTF-8 with \u escapes and surrogate pairs. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pull.h"

#define JSON_MAX_DEPTH 64

struct parser {
	const char *s;
	size_t n, i;
	char *err;
	size_t errlen;
	int failed;
};

static int fail(struct parser *p, const char *what)
{
	if (!p->failed)
		snprintf(p->err, p->errlen, "JSON: %s at byte %zu", what, p->i);
	p->failed = 1;
	return -1;
}

static void ws(struct parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int lit(struct parser *p, const char *w)
{
	size_t l = strlen(w);
	if (p->n - p->i < l || memcmp(p->s + p->i, w, l) != 0)
		return fail(p, "unexpected text");
	p->i += l;
	return 0;
}

static int hex4(struct parser *p, unsigned *out)
{
	if (p->n - p->i < 4)
		return fail(p, "short \\u escape");
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p->s[p->i++];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, "bad \\u escape");
	}
	*out = v;
	return 0;
}

static size_t utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A string at p->i (the opening quote); decoded into a malloc'd buffer. */
static int string(struct parser *p, char **out, size_t *len)
{
	p->i++; /* " */
	size_t start = p->i;
	/* the decoded form is never longer than the source */
	size_t end = start;
	while (end < p->n && p->s[end] != '"') {
		if (p->s[end] == '\\')
			end++;
		end++;
	}
	if (end >= p->n)
		return fail(p, "unterminated string");
	char *o = malloc(end - start + 1);
	if (o == NULL)
		return fail(p, "out of memory");
	size_t k = 0;
	while (p->s[p->i] != '"') {
		unsigned char c = (unsigned char)p->s[p->i];
		if (c < 0x20) {
			free(o);
			return fail(p, "control character in a string");
		}
		if (c != '\\') {
			o[k++] = (char)c;
			p->i++;
			continue;
		}
		p->i++;
		char e = p->s[p->i++];
		unsigned cp;
		switch (e) {
		case '"': o[k++] = '"'; break;
		case '\\': o[k++] = '\\'; break;
		case '/': o[k++] = '/'; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 't': o[k++] = '\t'; break;
		case 'u':
			if (hex4(p, &cp) != 0) {
				free(o);
				return -1;
			}
			if (cp >= 0xD800 && cp < 0xDC00) {
				unsigned lo;
				if (p->n - p->i < 6 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u') {
					free(o);
					return fail(p, "lone surrogate");
				}
				p->i += 2;
				if (hex4(p, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
					free(o);
					return fail(p, "bad surrogate pair");
				}
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			} else if (cp >= 0xDC00 && cp < 0xE000) {
				free(o);
				return fail(p, "lone surrogate");
			}
			k += utf8(o + k, cp); /* \uXXXX is 6 bytes, its UTF-8 at most 4 */
			break;
		default: free(o); return fail(p, "bad escape");
		}
	}
	p->i++;
	o[k] = '\0';
	*out = o;
	*len = k;
	return 0;
}

static int number(struct parser *p, struct json *j)
{
	size_t s = p->i;
	if (p->s[p->i] == '-')
		p->i++;
	if (p->i >= p->n)
		return fail(p, "bad number");
	if (p->s[p->i] == '0')
		p->i++;
	else if (p->s[p->i] >= '1' && p->s[p->i] <= '9')
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	else
		return fail(p, "bad number");
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		size_t d = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (d == p->i)
			return fail(p, "bad fraction");
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		size_t d = p->i;
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
		if (d == p->i)
			return fail(p, "bad exponent");
	}
	j->type = JSON_NUMBER;
	j->num = p->s + s;
	j->num_len = p->i - s;
	return 0;
}

static int value(struct parser *p, struct json *j, int depth);

static int push(struct parser *p, struct json *j, struct json **kid)
{
	if (j->n % 16 == 0) {
		struct json *k = realloc(j->kids, (j->n + 16) * sizeof *k);
		if (k == NULL)
			return fail(p, "out of memory");
		j->kids = k;
	}
	*kid = &j->kids[j->n++];
	memset(*kid, 0, sizeof **kid);
	return 0;
}

static int container(struct parser *p, struct json *j, int depth, int object)
{
	if (depth >= JSON_MAX_DEPTH)
		return fail(p, "nested too deeply");
	j->type = object ? JSON_OBJECT : JSON_ARRAY;
	char close = object ? '}' : ']';
	p->i++;
	ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		return 0;
	}
	for (;;) {
		struct json *k;
		if (push(p, j, &k) != 0)
			return -1;
		if (object) {
			ws(p);
			size_t kl;
			if (p->i >= p->n || p->s[p->i] != '"' || string(p, &k->key, &kl) != 0)
				return fail(p, "expected a member name");
			ws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				return fail(p, "expected ':'");
			p->i++;
		}
		if (value(p, k, depth + 1) != 0)
			return -1;
		ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == close) {
			p->i++;
			return 0;
		}
		return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int value(struct parser *p, struct json *j, int depth)
{
	ws(p);
	if (p->i >= p->n)
		return fail(p, "unexpected end");
	switch (p->s[p->i]) {
	case '{': return container(p, j, depth, 1);
	case '[': return container(p, j, depth, 0);
	case '"': j->type = JSON_STRING; return string(p, &j->str, &j->str_len);
	case 't': j->type = JSON_BOOL; j->b = 1; return lit(p, "true");
	case 'f': j->type = JSON_BOOL; return lit(p, "false");
	case 'n': j->type = JSON_NULL; return lit(p, "null");
	default: return number(p, j);
	}
}

static void clear(struct json *j)
{
	for (size_t i = 0; i < j->n; i++)
		clear(&j->kids[i]);
	free(j->kids);
	free(j->str);
	free(j->key);
}

void json_free(struct json *j)
{
	if (j == NULL)
		return;
	clear(j);
	free(j);
}

int json_parse(const char *text, size_t len, struct json **out, char *err, size_t errlen)
{
	struct parser p = {text, len, 0, err, errlen, 0};
	struct json *j = calloc(1, sizeof *j);
	*out = NULL;
	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (value(&p, j, 0) == 0) {
		ws(&p);
		if (p.i != p.n)
			fail(&p, "text after the value");
	}
	if (p.failed) {
		json_free(j);
		return -1;
	}
	*out = j;
	return 0;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->kids[i].key, key) == 0)
			return &obj->kids[i];
	return NULL;
}

int json_u64(const struct json *j, uint64_t *out)
{
	if (j == NULL || j->type != JSON_NUMBER || j->num_len == 0 || j->num_len > 20)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < j->num_len; i++) {
		char c = j->num[i];
		if (c < '0' || c > '9')
			return -1;
		unsigned d = (unsigned)(c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}
