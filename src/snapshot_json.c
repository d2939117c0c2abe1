/* snapshot_json.c - read_canister_snapshot_metadata's reply as the metadata.json that icp-cli (and
 * dfx) write in a snapshot directory: serde_json's pretty form (two-space indent, no final
 * newline) of ic-management-canister-types' ReadCanisterSnapshotMetadataResult. Byte for byte, so
 * that `icarc export` gives the directory `icp canister snapshot download` gives:
 *   - blobs are arrays of numbers, options are the value or null, unit variants are strings
 *     ("inactive"), variants with a value are {"name": value}, `reserved` is null;
 *   - floats as serde_json (1.0.147 and later: zmij) prints them: shortest round trip, plain from
 *     1e-5 (f32: 1e-6) up to 1e16 (f32: 1e13) ("1.0", "0.001"), else "1e+21", "1.5e-7"; NaN and
 *     infinities as null; a `nat` (v128 globals) as num-bigint's u32 digits, least significant
 *     first. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ic/buf.h"
#include "ic/candid.h"
#include "pull.h"

struct jw {
	struct ic_buf b;
	int depth;
};

static void put(struct jw *j, const char *s)
{
	ic_buf_put(&j->b, s, strlen(s));
}

static void putf(struct jw *j, const char *fmt, ...) CLI_PRINTF(2, 3);
static void putf(struct jw *j, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		ic_buf_put(&j->b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void newline(struct jw *j)
{
	put(j, "\n");
	for (int i = 0; i < j->depth; i++)
		put(j, "  ");
}

/* Containers: open, then item() before each element, then close(count). */
static void open_(struct jw *j, const char *c)
{
	put(j, c);
	j->depth++;
}
static void item(struct jw *j, size_t i)
{
	if (i)
		put(j, ",");
	newline(j);
}
static void key(struct jw *j, size_t i, const char *k)
{
	item(j, i);
	putf(j, "\"%s\": ", k);
}
static void close_(struct jw *j, const char *c, size_t n)
{
	j->depth--;
	if (n)
		newline(j);
	put(j, c);
}

static void blob(struct jw *j, const uint8_t *p, size_t n)
{
	open_(j, "[");
	for (size_t i = 0; i < n; i++) {
		item(j, i);
		putf(j, "%u", p[i]);
	}
	close_(j, "]", n);
}

/* Shortest decimal digits that read back as v (as float when is32), and the decimal exponent:
 * v = 0.DIGITS x 10^kk, i.e. 10^(kk-1) <= |v| < 10^kk. */
static int shortest(double v, int is32, char digits[32], int *kk)
{
	char tmp[48];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
		int ok = is32 ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v;
		if (ok || prec == 17)
			break;
	}
	/* tmp: d[.ddd]e[+-]xx */
	int n = 0;
	const char *p = tmp;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*kk = atoi(p + 1) + 1;
	return n;
}

/* serde_json's float output (zmij; ryu before 1.0.147 differed only by the "+" of exponents). */
static void ryu_like(struct jw *j, double v, int is32)
{
	if (!isfinite(v)) {
		put(j, "null");
		return;
	}
	if (signbit(v))
		put(j, "-");
	v = fabs(v);
	if (v == 0) {
		put(j, "0.0");
		return;
	}
	char d[32];
	int kk, len = shortest(v, is32, d, &kk);
	int k = kk - len, maxk = is32 ? 13 : 16, mink = is32 ? -6 : -5;
	char out[64];
	int o = 0;
	if (k >= 0 && kk <= maxk) {
		o += snprintf(out + o, sizeof out - (size_t)o, "%s", d);
		for (int i = len; i < kk; i++)
			out[o++] = '0';
		out[o++] = '.';
		out[o++] = '0';
	} else if (kk > 0 && kk <= maxk) {
		memcpy(out, d, (size_t)kk);
		o = kk;
		out[o++] = '.';
		memcpy(out + o, d + kk, (size_t)(len - kk));
		o += len - kk;
	} else if (kk > mink && kk <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -kk; i++)
			out[o++] = '0';
		memcpy(out + o, d, (size_t)len);
		o += len;
	} else {
		out[o++] = d[0];
		if (len > 1) {
			out[o++] = '.';
			memcpy(out + o, d + 1, (size_t)(len - 1));
			o += len - 1;
		}
		o += snprintf(out + o, sizeof out - (size_t)o, "e%s%d", kk - 1 >= 0 ? "+" : "", kk - 1);
	}
	out[o] = '\0';
	put(j, out);
}

/* A nat as num-bigint serialises it: u32 digits, least significant first, none for zero. */
static void nat_digits(struct jw *j, const struct ic_cvalue *v)
{
	size_t n = (v->u.big.len + 3) / 4;
	while (n > 0) { /* drop zero high digits */
		uint32_t d = 0;
		for (size_t b = 0; b < 4 && 4 * (n - 1) + b < v->u.big.len; b++)
			d |= (uint32_t)v->u.big.mag[4 * (n - 1) + b] << (8 * b);
		if (d)
			break;
		n--;
	}
	open_(j, "[");
	for (size_t i = 0; i < n; i++) {
		uint32_t d = 0;
		for (size_t b = 0; b < 4 && 4 * i + b < v->u.big.len; b++)
			d |= (uint32_t)v->u.big.mag[4 * i + b] << (8 * b);
		item(j, i);
		putf(j, "%u", d);
	}
	close_(j, "]", n);
}

/* A variant: "name" when its value is null-typed and the Rust enum case is a unit (timer,
 * hook status), {"name": null} for `reserved` payloads (source), {"name": value} otherwise. */
static void variant(struct jw *j, const struct ic_ctable *t, const struct ic_cvalue *v, int unit_as_string)
{
	uint32_t id;
	size_t nl;
	const char *name = ic_cvalue_variant(t, v, &id, &nl);
	const struct ic_cvalue *x = v->u.var.v;
	int32_t ty = x ? ic_ctype_resolve(t, x->type) : IC_CT_NULL;
	if (unit_as_string && ty == IC_CT_NULL) {
		putf(j, "\"%.*s\"", (int)nl, name ? name : "");
		return;
	}
	open_(j, "{");
	item(j, 0);
	putf(j, "\"%.*s\": ", (int)nl, name ? name : "");
	switch (ty) {
	case IC_CT_NULL:
	case IC_CT_RESERVED: put(j, "null"); break;
	case IC_CT_INT32:
	case IC_CT_INT64: putf(j, "%lld", (long long)x->u.i); break;
	case IC_CT_NAT64: putf(j, "%llu", (unsigned long long)x->u.u); break;
	case IC_CT_FLOAT32: ryu_like(j, (double)x->u.f32, 1); break;
	case IC_CT_FLOAT64: ryu_like(j, x->u.f64, 0); break;
	case IC_CT_NAT: nat_digits(j, x); break;
	default: put(j, "null"); break;
	}
	close_(j, "}", 1);
}

static void opt_variant(struct jw *j, const struct ic_ctable *t, const struct ic_cvalue *v, int unit_as_string)
{
	if (v == NULL || v->u.opt == NULL)
		put(j, "null");
	else
		variant(j, t, v->u.opt, unit_as_string);
}

char *snapshot_metadata_json(const struct ic_snapshot_metadata *m, size_t *len)
{
	const struct ic_ctable *t = ic_mgmt_types();
	const struct ic_cvalue *v = m->value;
	struct jw j;
	memset(&j, 0, sizeof j);
	ic_buf_init(&j.b);
	size_t i = 0;
	open_(&j, "{");
	key(&j, i++, "source");
	opt_variant(&j, t, ic_cvalue_field(t, v, "source"), 0);
	key(&j, i++, "taken_at_timestamp");
	putf(&j, "%llu", (unsigned long long)m->taken_at_timestamp);
	key(&j, i++, "wasm_module_size");
	putf(&j, "%llu", (unsigned long long)m->wasm_module_size);
	key(&j, i++, "globals");
	const struct ic_cvalue *g = ic_cvalue_field(t, v, "globals");
	size_t ng = g ? g->u.vec.n : 0;
	open_(&j, "[");
	for (size_t k = 0; k < ng; k++) {
		item(&j, k);
		opt_variant(&j, t, &g->u.vec.v[k], 0);
	}
	close_(&j, "]", ng);
	key(&j, i++, "wasm_memory_size");
	putf(&j, "%llu", (unsigned long long)m->wasm_memory_size);
	key(&j, i++, "stable_memory_size");
	putf(&j, "%llu", (unsigned long long)m->stable_memory_size);
	key(&j, i++, "wasm_chunk_store");
	open_(&j, "[");
	for (size_t k = 0; k < m->n_chunks; k++) {
		item(&j, k);
		open_(&j, "{");
		key(&j, 0, "hash");
		blob(&j, m->chunk_hash[k], 32);
		close_(&j, "}", 1);
	}
	close_(&j, "]", m->n_chunks);
	key(&j, i++, "canister_version");
	putf(&j, "%llu", (unsigned long long)m->canister_version);
	key(&j, i++, "certified_data");
	blob(&j, m->certified_data, m->certified_data_len);
	key(&j, i++, "global_timer");
	opt_variant(&j, t, ic_cvalue_field(t, v, "global_timer"), 1);
	key(&j, i++, "on_low_wasm_memory_hook_status");
	opt_variant(&j, t, ic_cvalue_field(t, v, "on_low_wasm_memory_hook_status"), 1);
	close_(&j, "}", i);
	if (j.b.oom) {
		ic_buf_free(&j.b);
		return NULL;
	}
	return (char *)ic_buf_take(&j.b, len);
}
