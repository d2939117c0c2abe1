/* test_decode.c - the MessagePack tokenizer and the JSON/NDJSON/tree decoder on hand-written bytes
 * (each case's bytes follow msgpack/msgpack spec.md, written out by hand, not by our encoder). */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tools/decode.h"

/* Decode bytes with the given format (and path) into a NUL-terminated string; NULL on error with
 * the message in errbuf. */
static char *decode(const void *bytes, size_t n, enum dec_format fmt, enum dec_binary bin, const char *path,
                    size_t cap, char *errbuf, size_t errlen)
{
	struct st_src *src = st_src_mem(bytes, n, "test");
	struct st_reader r;
	struct dec d;
	struct jout o;
	char *res = NULL;
	st_reader_init(&r, src, 0, n, cap);
	dec_init(&d, &r);
	d.format = fmt;
	d.binary = bin;
	d.max_depth = 100;
	jout_init(&o, NULL, NULL, 256);
	struct dec_path p = {0};
	int rc = 0;
	errbuf[0] = 0;
	if (path != NULL && (rc = dec_path_parse(path, &p, errbuf, errlen)) != 0)
		goto out;
	if (path != NULL && (rc = dec_select(&d, &p)) != 0) {
		snprintf(errbuf, errlen, "%s", d.err);
		goto out;
	}
	rc = dec_run(&d, &o);
	if (rc != 0) {
		snprintf(errbuf, errlen, "%s", rc < 0 ? d.err : "empty");
		goto out;
	}
	jout_ch(&o, 0);
	res = malloc(o.len);
	if (res != NULL)
		memcpy(res, o.buf, o.len);
out:
	dec_path_free(&p);
	jout_free(&o);
	dec_free(&d);
	st_reader_free(&r);
	st_close(src);
	return res;
}

static void is_json(const char *what, const void *bytes, size_t n, const char *want)
{
	char err[700];
	char *got = decode(bytes, n, DEC_JSON, DEC_BASE64, NULL, 64, err, sizeof err);
	tap_ok(got != NULL && strcmp(got, want) == 0, "%s: %s (want %s)%s%s", what, got ? got : "(error)",
	       want, got ? "" : " ", got ? "" : err);
	free(got);
}

#define B(...) ((const unsigned char[]){__VA_ARGS__}), sizeof((const unsigned char[]){__VA_ARGS__})

static void scalars(void)
{
	is_json("nil", B(0xc0), "null");
	is_json("true", B(0xc3), "true");
	is_json("false", B(0xc2), "false");
	is_json("positive fixint", B(0x7f), "127");
	is_json("negative fixint", B(0xe0), "-32");
	is_json("uint64 max", B(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "18446744073709551615");
	is_json("int64 min", B(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0), "-9223372036854775808");
	is_json("int8 positive", B(0xd0, 0x05), "5");
	is_json("int16 -300", B(0xd1, 0xfe, 0xd4), "-300");
	is_json("uint16", B(0xcd, 0x01, 0x00), "256");
	is_json("float64 1.5", B(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0), "1.5");
	is_json("float64 1.0 stays a float", B(0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0), "1.0");
	is_json("float64 0.1 shortest", B(0xcb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a), "0.1");
	is_json("float32 1.1 shortest", B(0xca, 0x3f, 0x8c, 0xcc, 0xcd), "1.1");
	is_json("float32 NaN bits", B(0xca, 0x7f, 0xc0, 0x00, 0x01), "{\"$float32\":\"7fc00001\"}");
	is_json("float64 -inf", B(0xcb, 0xff, 0xf0, 0, 0, 0, 0, 0, 0), "{\"$float64\":\"fff0000000000000\"}");
	is_json("fixstr", B(0xa3, 'a', '"', 'b'), "\"a\\\"b\"");
	is_json("str8 control", B(0xd9, 2, 0x01, '\n'), "\"\\u0001\\n\"");
	is_json("str utf-8", B(0xa2, 0xc3, 0xa9), "\"\xc3\xa9\"");
	is_json("str invalid utf-8", B(0xa2, 0xc3, 0x28), "{\"$str\":\"wyg=\"}");
	is_json("str surrogate is invalid", B(0xa3, 0xed, 0xa0, 0x80), "{\"$str\":\"7aCA\"}");
	is_json("bin8", B(0xc4, 3, 1, 2, 3), "{\"$bin\":\"AQID\"}");
	is_json("bin32 empty", B(0xc6, 0, 0, 0, 0), "{\"$bin\":\"\"}");
	is_json("fixext1", B(0xd4, 0x05, 0xaa), "{\"$ext\":5,\"$data\":\"qg==\"}");
	is_json("ext8 type -1", B(0xc7, 2, 0xff, 1, 2), "{\"$ext\":-1,\"$data\":\"AQI=\"}");
	is_json("ext16", B(0xc8, 0, 1, 7, 9), "{\"$ext\":7,\"$data\":\"CQ==\"}");
	is_json("ext32", B(0xc9, 0, 0, 0, 1, 0x80, 9), "{\"$ext\":-128,\"$data\":\"CQ==\"}");
}

static void containers(void)
{
	is_json("empty map", B(0x80), "{}");
	is_json("empty array", B(0x90), "[]");
	is_json("array", B(0x93, 1, 0xc0, 0xa1, 'x'), "[1,null,\"x\"]");
	is_json("map", B(0x82, 0xa1, 'a', 1, 0xa1, 'b', 0x91, 2), "{\"a\":1,\"b\":[2]}");
	is_json("nested", B(0x91, 0x91, 0x81, 0xa1, 'k', 0x90), "[[{\"k\":[]}]]");
	is_json("int key", B(0x81, 0x2a, 0xc3), "{\"$42\":true}");
	is_json("negative key", B(0x81, 0xff, 0xc0), "{\"$-1\":null}");
	is_json("nil key", B(0x81, 0xc0, 1), "{\"$null\":1}");
	is_json("$ key escaped", B(0x81, 0xa2, '$', 'x', 1), "{\"$$x\":1}");
	is_json("array key", B(0x81, 0x92, 1, 0xa1, 'a', 2), "{\"$[1,\\\"a\\\"]\":2}");
	is_json("map key", B(0x81, 0x81, 0xa1, 'a', 1, 2), "{\"${\\\"a\\\":1}\":2}");
	is_json("bin key", B(0x81, 0xc4, 1, 0xff, 2), "{\"${\\\"$bin\\\":\\\"/w==\\\"}\":2}");
	is_json("invalid utf-8 key", B(0x81, 0xa1, 0xff, 2), "{\"${\\\"$str\\\":\\\"/w==\\\"}\":2}");
	is_json("duplicate keys kept in order", B(0x82, 0xa1, 'a', 1, 0xa1, 'a', 2), "{\"a\":1,\"a\":2}");
	is_json("array16", B(0xdc, 0, 2, 1, 2), "[1,2]");
	is_json("map16", B(0xde, 0, 1, 1, 2), "{\"$1\":2}");
	/* a string longer than the reader's buffer (64 bytes) goes through in pieces */
	unsigned char big[3 + 300];
	big[0] = 0xda;
	big[1] = 300 >> 8;
	big[2] = 300 & 255;
	char want[310];
	want[0] = '"';
	for (int i = 0; i < 300; i++)
		big[3 + i] = (unsigned char)('a' + i % 26), want[1 + i] = (char)('a' + i % 26);
	want[301] = '"';
	want[302] = 0;
	is_json("str longer than the buffer", big, sizeof big, want);
	/* the same with a 2-byte sequence across a piece boundary, and an invalid one */
	for (int i = 0; i < 300; i += 2)
		big[3 + i] = 0xc3, big[4 + i] = 0xa9;
	char err[700];
	char *got = decode(big, sizeof big, DEC_JSON, DEC_BASE64, NULL, 64, err, sizeof err);
	TAP_OK(got != NULL && strlen(got) == 302 && got[1] == (char)0xc3, "long UTF-8 str in pieces");
	free(got);
	big[3 + 150] = 0xff;
	got = decode(big, sizeof big, DEC_JSON, DEC_HEX, NULL, 64, err, sizeof err);
	TAP_OK(got != NULL && strncmp(got, "{\"$str\":\"c3a9", 13) == 0 && strlen(got) == 9 + 600 + 2,
	       "long invalid str as hex in pieces");
	free(got);
}

static void formats_and_paths(void)
{
	char err[700];
	/* {"users":[{"h":"a"},{"h":"b"}],"n":7} */
	static const unsigned char doc[] = {0x82, 0xa5, 'u', 's', 'e', 'r', 's', 0x92, 0x81, 0xa1, 'h', 0xa1,
	                                    'a', 0x81, 0xa1, 'h', 0xa1, 'b', 0xa1, 'n', 7};
	char *got = decode(doc, sizeof doc, DEC_NDJSON, DEC_BASE64, NULL, 64, err, sizeof err);
	tap_ok(got && strcmp(got, "{\"users\":[{\"h\":\"a\"},{\"h\":\"b\"}]}\n{\"n\":7}\n") == 0, "ndjson map%s%s", got ? "" : ": ", got ? "" : err);
	free(got);
	got = decode(doc, sizeof doc, DEC_NDJSON, DEC_BASE64, "users", 64, err, sizeof err);
	tap_ok(got && strcmp(got, "{\"h\":\"a\"}\n{\"h\":\"b\"}\n") == 0, "ndjson --path users%s%s", got ? "" : ": ", got ? "" : err);
	free(got);
	got = decode(doc, sizeof doc, DEC_JSON, DEC_BASE64, "users.1.h", 64, err, sizeof err);
	tap_ok(got && strcmp(got, "\"b\"") == 0, "--path users.1.h: %s", got ? got : err);
	free(got);
	got = decode(doc, sizeof doc, DEC_JSON, DEC_BASE64, "users[1]", 64, err, sizeof err);
	tap_ok(got && strcmp(got, "{\"h\":\"b\"}") == 0, "--path users[1]: %s", got ? got : err);
	free(got);
	got = decode(doc, sizeof doc, DEC_JSON, DEC_BASE64, "n", 64, err, sizeof err);
	tap_ok(got && strcmp(got, "7") == 0, "--path n: %s", got ? got : err);
	free(got);
	got = decode(doc, sizeof doc, DEC_JSON, DEC_BASE64, "users[2]", 64, err, sizeof err);
	tap_ok(got == NULL && strstr(err, "past the end") && strstr(err, "users"), "--path past the end: %s", err);
	free(got);
	got = decode(doc, sizeof doc, DEC_JSON, DEC_BASE64, "nope", 64, err, sizeof err);
	tap_ok(got == NULL && strstr(err, "no key 'nope'"), "--path missing key: %s", err);
	free(got);
	got = decode(doc, sizeof doc, DEC_TREE, DEC_BASE64, NULL, 64, err, sizeof err);
	tap_ok(got && strcmp(got, "{2}\n\"users\": [2]\n  [0]: {1}\n    \"h\": \"a\"\n  [1]: {1}\n    \"h\": \"b\"\n"
	                          "\"n\": 7\n") == 0, "tree format%s%s", got ? "" : ": ", got ? "" : err);
	free(got);
	got = decode(B(0x2a), DEC_NDJSON, DEC_BASE64, NULL, 64, err, sizeof err);
	tap_ok(got && strcmp(got, "42\n") == 0, "ndjson scalar");
	free(got);
	/* an int map key matches a numeric component */
	got = decode(B(0x81, 0x2a, 0xa1, 'v'), DEC_JSON, DEC_BASE64, "42", 64, err, sizeof err);
	tap_ok(got && strcmp(got, "\"v\"") == 0, "--path 42 matches an int key: %s", got ? got : err);
	free(got);
	struct dec_path p;
	TAP_OK(dec_path_parse("a[x]", &p, err, sizeof err) != 0, "bad index rejected: %s", err);
	TAP_OK(dec_path_parse("a..b", &p, err, sizeof err) != 0, "empty component rejected: %s", err);
	TAP_OK(dec_path_parse("a\\.b[3].c", &p, err, sizeof err) == 0 && p.n == 3 && strcmp(p.c[0].key, "a.b") == 0 &&
	       p.c[1].num == 3 && strcmp(p.c[2].key, "c") == 0, "escaped dot and index");
	dec_path_free(&p);
}

static void errors(void)
{
	char err[700];
	char *got;
	got = decode(B(0x92, 1), DEC_JSON, DEC_BASE64, NULL, 64, err, sizeof err);
	tap_ok(got == NULL && strstr(err, "offset 0") && strstr(err, "2 elements"), "count past the end: %s", err);
	free(got);
	got = decode(B(0x81, 0xa1, 'k', 0xa5, 'a'), DEC_JSON, DEC_BASE64, NULL, 64, err, sizeof err);
	tap_ok(got == NULL && strstr(err, "offset 3") && strstr(err, "path reached: k"), "truncated str: %s", err);
	free(got);
	got = decode(B(0x91, 0xc1), DEC_JSON, DEC_BASE64, NULL, 64, err, sizeof err);
	tap_ok(got == NULL && strstr(err, "0xc1") && strstr(err, "offset 1") && strstr(err, "[0]"), "0xc1: %s", err);
	free(got);
	got = decode(B(0xcf, 1, 2), DEC_JSON, DEC_BASE64, NULL, 64, err, sizeof err);
	tap_ok(got == NULL && strstr(err, "truncated header"), "truncated uint64: %s", err);
	free(got);
	/* depth: 101 nested arrays against a limit of 100 */
	unsigned char deep[102];
	memset(deep, 0x91, 101);
	deep[101] = 0xc0;
	got = decode(deep, sizeof deep, DEC_JSON, DEC_BASE64, NULL, 64, err, sizeof err);
	tap_ok(got == NULL && strstr(err, "nesting deeper than 100"), "depth limit: %.80s", err);
	free(got);
	got = decode(deep + 1, sizeof deep - 1, DEC_JSON, DEC_BASE64, NULL, 64, err, sizeof err);
	TAP_OK(got != NULL && strlen(got) == 100 * 2 + 4, "depth 100 is fine");
	free(got);
	/* map keys nested in map keys */
	got = decode(B(0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 1, 1, 1, 1, 1, 1, 1), DEC_JSON, DEC_BASE64, NULL, 64,
	             err, sizeof err);
	tap_ok(got == NULL && strstr(err, "more than 4 deep"), "keys in keys: %s", err);
	free(got);
	/* skipping announces counts too */
	struct st_src *src = st_src_mem((const unsigned char[]){0xdd, 0xff, 0xff, 0xff, 0xff, 1}, 6, "t");
	struct st_reader r;
	st_reader_init(&r, src, 0, 6, 64);
	TAP_OK(mp_skip(&r) < 0 && strstr(r.err, "4294967295 elements"), "skip checks counts: %s", r.err);
	st_reader_free(&r);
	st_close(src);
}

/* Significant digits of a decimal (leading and trailing zeros dropped). */
static int sig_digits(const char *s)
{
	char d[64];
	int n = 0, a = 0;
	for (; *s && *s != 'e' && n < 64; s++)
		if (*s >= '0' && *s <= '9')
			d[n++] = *s;
	while (a < n && d[a] == '0')
		a++;
	while (n > a && d[n - 1] == '0')
		n--;
	return n - a;
}

/* jout_f64/f32 against the C library: every float reads back exactly (strtod/strtof) and never
 * takes more significant digits than the shortest of printf's %.15g..%.17g (%.6g..%.9g). */
static void floats_shortest(void)
{
	struct jout o;
	jout_init(&o, NULL, NULL, 256);
	uint64_t x = 88172645463325252ULL;
	long bad = 0, n = 0;
	char first[160] = "";
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		double v;
		switch (i % 4) {
		case 0: memcpy(&v, &x, 8); break;
		case 1: v = (double)(x % 100000) / 7.0; break;
		case 2: v = (double)(x % 1000000) / 1000.0; break;
		default: v = ldexp((double)(x >> 11), -(int)(x % 90)); break;
		}
		if (!isfinite(v))
			continue;
		float f = (float)v;
		for (int w = 0; w < 2; w++) {
			if (w == 1 && !isfinite(f))
				continue;
			o.len = 0;
			if (w == 0)
				jout_f64(&o, v);
			else
				jout_f32(&o, f);
			jout_ch(&o, 0);
			char ref[64];
			for (int p = w ? 6 : 15; p <= (w ? 9 : 17); p++) {
				snprintf(ref, sizeof ref, "%.*g", p, w ? (double)f : v);
				if (w ? strtof(ref, NULL) == f : strtod(ref, NULL) == v)
					break;
			}
			int back = w ? strtof(o.buf, NULL) == f : strtod(o.buf, NULL) == v;
			if (!back || sig_digits(o.buf) > sig_digits(ref) || strpbrk(o.buf, ".e") == NULL) {
				if (bad++ == 0)
					snprintf(first, sizeof first, "%s %s (printf: %s)", w ? "float32" : "float64", o.buf, ref);
			}
			n++;
		}
	}
	tap_ok(bad == 0, "%ld floats: shortest and exact%s%s", n, bad ? "; first bad: " : "", first);
	jout_free(&o);
}

int main(void)
{
	floats_shortest();
	scalars();
	containers();
	formats_and_paths();
	errors();
	return tap_done();
}
