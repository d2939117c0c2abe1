/* jout.c - buffered output, numbers, JSON strings, base64/hex, UTF-8 checks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/jout.h"

int jout_init(struct jout *o, jout_flush_fn *flush, void *ctx, size_t cap)
{
	memset(o, 0, sizeof *o);
	o->flush = flush;
	o->ctx = ctx;
	o->cap = cap < 256 ? 256 : cap;
	o->buf = malloc(o->cap);
	if (o->buf == NULL) {
		o->failed = 1;
		return -1;
	}
	return 0;
}

void jout_free(struct jout *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

int jout_flush(struct jout *o)
{
	if (o->failed)
		return -1;
	if (o->flush != NULL && o->len > 0) {
		if (o->flush(o->ctx, o->buf, o->len) != 0) {
			o->failed = 1;
			return -1;
		}
		o->len = 0;
	} else if (o->discard) {
		o->len = 0;
	}
	return 0;
}

int jout_reserve(struct jout *o, size_t n)
{
	if (o->failed)
		return -1;
	if (o->cap - o->len >= n)
		return 0;
	if (o->flush != NULL || o->discard) {
		if (jout_flush(o) != 0)
			return -1;
		if (o->cap >= n)
			return 0;
	}
	size_t cap = o->cap;
	while (cap - o->len < n) {
		if (cap > SIZE_MAX / 2) {
			o->failed = 1;
			return -1;
		}
		cap *= 2;
	}
	char *b = realloc(o->buf, cap);
	if (b == NULL) {
		o->failed = 1;
		return -1;
	}
	o->buf = b;
	o->cap = cap;
	return 0;
}

void jout_raw_slow(struct jout *o, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		size_t room = o->cap - o->len;
		if (room == 0) {
			if (jout_reserve(o, n < o->cap ? n : o->cap) != 0)
				return;
			room = o->cap - o->len;
		}
		size_t k = n < room ? n : room;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

void jout_u64(struct jout *o, uint64_t v)
{
	char tmp[24];
	char *p = tmp + sizeof tmp;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	jout_raw(o, p, (size_t)(tmp + sizeof tmp - p));
}

void jout_i64(struct jout *o, int64_t v)
{
	if (v < 0) {
		jout_ch(o, '-');
		jout_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		jout_u64(o, (uint64_t)v);
	}
}

static void float_text(struct jout *o, char *b, size_t cap)
{
	if (strpbrk(b, ".eEn") == NULL) /* "1" would read back as an integer */
		strncat(b, ".0", cap - strlen(b) - 1);
	jout_str(o, b);
}

/* The shortest decimal in fixed notation that reads back to m * 2^e (e <= 0) under round-half-even,
 * found exactly with 128-bit integers: everything is scaled by 2^(2-e), so the value is 4m and
 * the numbers that round to it lie within 2 (1 below a power of two) of it. For q = 0, 1, 2...
 * fractional digits, look for an integer c with c / 10^q in that interval; the first q that has
 * one gives the fewest digits, and the c nearest the value is taken. -1 when out of this range
 * (the caller then uses printf). */
static int shortest_fixed(struct jout *o, uint64_t m, int e, int closer_below, int neg)
{
	int s = 2 - e;
	if (m == 0 || e > 0 || s > 70 || m >= (1ULL << 54))
		return -1;
	typedef unsigned __int128 u128;
	u128 V = (u128)m * 4, L = V - (closer_below ? 1 : 2), H = V + 2, p10;
	int incl = (m & 1) == 0; /* ties go to the even mantissa: the ends round to us */
	static const u128 pow10[20] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
		10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
		10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
		100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL};
	/* a q that works stays working for q + 1: binary search for the first */
	int qlo = 0, qhi = 20;
	u128 cl = 0, ch = 0;
	while (qlo < qhi) {
		int q = (qlo + qhi) / 2;
		u128 lo = L * pow10[q], hi = H * pow10[q];
		u128 a = lo >> s, b = hi >> s;
		if ((a << s) < lo || ((a << s) == lo && !incl))
			a++;
		int found = (b << s) == hi && !incl ? a < b : a <= b; /* hi itself is out */
		if (found)
			qhi = q;
		else
			qlo = q + 1;
	}
	if (qlo > 19)
		return -1;
	{
		int q = qlo;
		p10 = pow10[q];
		u128 lo = L * p10, hi = H * p10, vv = V * p10;
		cl = lo >> s, ch = hi >> s;
		if ((cl << s) < lo || ((cl << s) == lo && !incl))
			cl++;
		if ((ch << s) == hi && !incl)
			ch--; /* hi > 0, and cl <= ch held above */
		u128 c = vv >> s, rem = vv - (c << s), half = (u128)1 << (s - 1);
		if (rem > half || (rem == half && (c & 1)))
			c++;
		if (c < cl)
			c = cl;
		if (c > ch)
			c = ch;
		if (c >> 64)
			return -1; /* more than 19 digits: never the shortest of a double */
		uint64_t c64 = (uint64_t)c; /* 64-bit division is much cheaper than 128-bit */
		char d[48], out[64];
		int nd = 0, k = 0;
		do {
			d[nd++] = (char)('0' + (int)(c64 % 10));
			c64 /= 10;
		} while (c64 != 0);
		if (neg)
			out[k++] = '-';
		if (nd <= q) {
			out[k++] = '0';
			out[k++] = '.';
			for (int z = 0; z < q - nd; z++)
				out[k++] = '0';
			while (nd > 0)
				out[k++] = d[--nd];
		} else {
			while (nd > q)
				out[k++] = d[--nd];
			out[k++] = '.';
			if (q == 0)
				out[k++] = '0';
			while (nd > 0)
				out[k++] = d[--nd];
		}
		jout_raw(o, out, (size_t)k);
		return 0;
	}
	return -1;
}

void jout_f32(struct jout *o, float v)
{
	uint32_t bits;
	memcpy(&bits, &v, 4);
	unsigned ex = (bits >> 23) & 0xff;
	float a = v < 0 ? -v : v;
	if (ex != 0 && a >= 1e-3f &&
	    shortest_fixed(o, (bits & 0x7fffff) | 0x800000, (int)ex - 150, (bits & 0x7fffff) == 0 && ex > 1,
	                   v < 0) == 0)
		return;
	char b[48];
	for (int prec = 6; prec <= 9; prec++) {
		snprintf(b, sizeof b, "%.*g", prec, (double)v);
		if (strtof(b, NULL) == v)
			break;
	}
	float_text(o, b, sizeof b);
}

void jout_f64(struct jout *o, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, 8);
	unsigned ex = (unsigned)(bits >> 52) & 0x7ff;
	double a = v < 0 ? -v : v;
	uint64_t frac = bits & ((1ULL << 52) - 1);
	if (ex != 0 && a >= 1e-3 &&
	    shortest_fixed(o, frac | (1ULL << 52), (int)ex - 1075, frac == 0 && ex > 1, v < 0) == 0)
		return;
	char b[48];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(b, sizeof b, "%.*g", prec, v);
		if (strtod(b, NULL) == v)
			break;
	}
	float_text(o, b, sizeof b);
}

/* 0: copy as is; otherwise the letter after the backslash ('u': \u00XX). */
static const char esc[256] = {
	['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r', ['"'] = '"', ['\\'] = '\\',
	[0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u', [0x06] = 'u',
	[0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u', [0x12] = 'u',
	[0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u', [0x18] = 'u', [0x19] = 'u',
	[0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u', [0x1e] = 'u', [0x1f] = 'u',
};

void jout_jstr_body(struct jout *o, const unsigned char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	size_t i = 0;
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	while (i < n) {
		size_t j = i;
		/* eight bytes at a time while none is < 0x20, '"' or '\\' */
		while (j + 8 <= n) {
			uint64_t w, q, b;
			memcpy(&w, s + j, 8);
			q = w ^ (ones * '"');
			b = w ^ (ones * '\\');
			if (((w - ones * 0x20) & ~w & highs) | ((q - ones) & ~q & highs) | ((b - ones) & ~b & highs))
				break;
			j += 8;
		}
		while (j < n && esc[s[j]] == 0)
			j++;
		if (j > i)
			jout_raw(o, s + i, j - i);
		if (j == n)
			break;
		char e = esc[s[j]];
		if (e == 'u') {
			char u[6] = {'\\', 'u', '0', '0', hexd[s[j] >> 4], hexd[s[j] & 15]};
			jout_raw(o, u, 6);
		} else {
			char u[2] = {'\\', e};
			jout_raw(o, u, 2);
		}
		i = j + 1;
	}
}

void jout_jstr(struct jout *o, const unsigned char *s, size_t n)
{
	jout_ch(o, '"');
	jout_jstr_body(o, s, n);
	jout_ch(o, '"');
}

void jout_base64(struct jout *o, const unsigned char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = tab[v & 63];
		jout_raw(o, q, 4);
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = '=';
		jout_raw(o, q, 4);
	}
}

void jout_hex(struct jout *o, const unsigned char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	char q[64];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		q[k++] = hexd[s[i] >> 4];
		q[k++] = hexd[s[i] & 15];
		if (k == sizeof q) {
			jout_raw(o, q, k);
			k = 0;
		}
	}
	jout_raw(o, q, k);
}

int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		/* ASCII runs, eight bytes at a time */
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t k;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

size_t utf8_cut(const unsigned char *s, size_t n)
{
	/* look back at most 3 bytes for the start of a sequence that does not fit */
	for (size_t back = 1; back <= 3 && back <= n; back++) {
		unsigned c = s[n - back];
		if ((c & 0xc0) == 0x80)
			continue;
		size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back ? n - back : n;
	}
	return n;
}
