/* test_bls_vectors.c - BLS12-381 against independent vectors (files in tests/bls/):
 *  - expand_xmd_sha256.txt: every RFC 9380 expand_message_xmd SHA-256 vector (K.1);
 *  - h2c_g1_ro.txt: every RFC 9380 BLS12381G1_XMD:SHA-256_SSWU_RO_ vector (J.9.1): u, Q0, Q1, P;
 *  - ic_cert_sigs.txt: the BLS checks of the mainnet certificates in ../shared/vectors/ic-certificates
 *    (agent-rs), extracted by tests/bls/extract_ic_certs.py (delegation signed by the IC root key,
 *    outer certificate by the subnet key; message "\x0dic-state-root" || root hash). All must
 *    verify, and corrupted variants (any flipped bit of sig, pk or msg tried at a spread of
 *    positions, swapped keys, truncated or extended messages) must not;
 *  - noble_cases.txt: 170 decisions of @noble/curves recorded by tests/bls/noble_cases.mjs (valid,
 *    corrupted and malformed signatures and keys); ic_bls_verify must decide the same. */
#include <stdlib.h>

#include "ic/bls.h"
#include "ic/bls12381_hash.h"
#include "tap.h"

#define MAXF 24
#define MAXV 1200

struct rec { int n; char key[MAXF][32]; char val[MAXF][MAXV]; };

/* Reads the next blank-line separated record; 0 at end of file. */
static int next_rec(FILE *f, struct rec *r)
{
	char line[MAXV + 64];
	r->n = 0;
	while (fgets(line, sizeof(line), f)) {
		size_t l = strlen(line);
		while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = 0;
		if (line[0] == '#')
			continue;
		if (l == 0) {
			if (r->n > 0)
				return 1;
			continue;
		}
		char *eq = strstr(line, " = ");
		if (eq == NULL && l >= 2 && strcmp(line + l - 2, " =") == 0)
			eq = line + l - 2; /* "msg =" with an empty value */
		if (eq == NULL || r->n == MAXF || (size_t)(eq - line) >= 32)
			continue;
		*eq = 0;
		snprintf(r->key[r->n], 32, "%s", line);
		snprintf(r->val[r->n], MAXV, "%s", eq[1] ? eq + 3 : "");
		r->n++;
	}
	return r->n > 0;
}

static const char *get(const struct rec *r, const char *k)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->key[i], k) == 0)
			return r->val[i];
	return NULL;
}

static size_t unhex(uint8_t *out, size_t max, const char *hex)
{
	size_t n = strlen(hex) / 2;
	if (n > max)
		return (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return (size_t)-1;
		out[i] = (uint8_t)v;
	}
	return n;
}

static FILE *open_vec(const char *name)
{
	char path[4096];
	const char *src = getenv("ICARC_SRCDIR");
	snprintf(path, sizeof(path), "%s/tests/bls/%s", src ? src : ".", name);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		TAP_OK(0, "open %s", path);
	return f;
}

static int fp_is_hex(const fp *a, const char *hex)
{
	uint8_t want[48], got[48];
	if (hex == NULL || unhex(want, 48, hex) != 48)
		return 0;
	bls_fp_to_bytes(got, a);
	return memcmp(want, got, 48) == 0;
}

static int point_is(const g1p *p, const char *hx, const char *hy)
{
	fp x, y;
	return bls_g1_to_affine(&x, &y, p) && fp_is_hex(&x, hx) && fp_is_hex(&y, hy);
}

static void expand_vectors(void)
{
	FILE *f = open_vec("expand_xmd_sha256.txt");
	struct rec r;
	int n = 0;
	if (f == NULL)
		return;
	while (next_rec(f, &r)) {
		const char *dst = get(&r, "dst"), *msg = get(&r, "msg"), *len = get(&r, "len_in_bytes");
		const char *want_hex = get(&r, "uniform_bytes");
		uint8_t want[256], got[256];
		if (!dst || !msg || !len || !want_hex)
			continue;
		size_t l = (size_t)atoi(len);
		int ok = l <= sizeof(got) && unhex(want, sizeof(want), want_hex) == l &&
		         bls_expand_message_xmd(got, l, (const uint8_t *)msg, strlen(msg), (const uint8_t *)dst,
		                                strlen(dst)) == 0 &&
		         memcmp(got, want, l) == 0;
		TAP_OK(ok, "expand_message_xmd SHA-256 dst %zu bytes, msg %.16s (%zu bytes), len %zu", strlen(dst),
		       msg, strlen(msg), l);
		n++;
	}
	fclose(f);
	TAP_IS(n, 20, "expand_message_xmd vectors read");
	uint8_t out[8];
	TAP_IS(bls_expand_message_xmd(out, 0, (const uint8_t *)"", 0, (const uint8_t *)"d", 1), -1, "len 0 refused");
	uint8_t *big = malloc(255 * 32 + 1);
	TAP_IS(bls_expand_message_xmd(big, 255 * 32 + 1, (const uint8_t *)"", 0, (const uint8_t *)"d", 1), -1,
	       "len above 255*32 refused");
	TAP_IS(bls_expand_message_xmd(big, 255 * 32, (const uint8_t *)"", 0, (const uint8_t *)"d", 1), 0,
	       "len 255*32 accepted");
	free(big);
}

static void h2c_vectors(void)
{
	FILE *f = open_vec("h2c_g1_ro.txt");
	struct rec r;
	int n = 0;
	if (f == NULL)
		return;
	while (next_rec(f, &r)) {
		const char *dst = get(&r, "dst"), *msg = get(&r, "msg");
		fp u[2];
		g1p q0, q1, p;
		if (!dst || !msg)
			continue;
		const uint8_t *m = (const uint8_t *)msg, *d = (const uint8_t *)dst;
		bls_hash_to_field_g1(u, m, strlen(msg), d, strlen(dst));
		TAP_OK(fp_is_hex(&u[0], get(&r, "u0")) && fp_is_hex(&u[1], get(&r, "u1")),
		       "hash_to_field u0, u1 for msg %.16s (%zu bytes)", msg, strlen(msg));
		bls_map_to_curve_g1(&q0, &u[0]);
		bls_map_to_curve_g1(&q1, &u[1]);
		TAP_OK(point_is(&q0, get(&r, "Q0.x"), get(&r, "Q0.y")), "map_to_curve Q0 for msg %.16s", msg);
		TAP_OK(point_is(&q1, get(&r, "Q1.x"), get(&r, "Q1.y")), "map_to_curve Q1 for msg %.16s", msg);
		bls_hash_to_g1(&p, m, strlen(msg), d, strlen(dst));
		TAP_OK(point_is(&p, get(&r, "P.x"), get(&r, "P.y")), "hash_to_curve P for msg %.16s", msg);
		TAP_OK(bls_g1_on_curve(&p) && bls_g1_in_subgroup(&p), "P is in G1");
		n++;
	}
	fclose(f);
	TAP_IS(n, 5, "hash_to_curve vectors read");
}

/* flip one bit at each of a spread of positions; every variant must fail */
static int all_flips_fail(const uint8_t *sig, const uint8_t *pk, const uint8_t *msg, size_t len, int which)
{
	uint8_t s[48], k[96], m[64];
	size_t n = which == 0 ? 48 : which == 1 ? 96 : len;
	for (size_t pos = 0; pos < n; pos += (which == 2 ? 3 : 5)) {
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(s, sig, 48);
			memcpy(k, pk, 96);
			memcpy(m, msg, len);
			uint8_t *t = which == 0 ? s : which == 1 ? k : m;
			t[pos] ^= (uint8_t)(1u << bit);
			if (ic_bls_verify(s, k, m, len)) {
				TAP_DIAG("accepted a flip of bit %d at byte %zu of %s", bit, pos,
				         which == 0 ? "sig" : which == 1 ? "pk" : "msg");
				return 0;
			}
		}
	}
	return 1;
}

static void cert_vectors(void)
{
	FILE *f = open_vec("ic_cert_sigs.txt");
	struct rec r;
	int n = 0;
	uint8_t prev_pk[96];
	int have_prev = 0;
	if (f == NULL)
		return;
	while (next_rec(f, &r)) {
		uint8_t pk[96], sig[48], msg[64], m2[65];
		const char *hp = get(&r, "pk"), *hs = get(&r, "sig"), *hm = get(&r, "msg");
		if (!hp || !hs || !hm || unhex(pk, 96, hp) != 96 || unhex(sig, 48, hs) != 48 ||
		    unhex(msg, sizeof(msg), hm) != 46) {
			TAP_OK(0, "malformed record in ic_cert_sigs.txt");
			continue;
		}
		n++;
		TAP_OK(ic_bls_verify(sig, pk, msg, 46) == 1, "mainnet certificate signature %d verifies", n);
		if (n > 2)
			continue; /* the other files repeat these signatures; corrupt the first two only */
		TAP_OK(all_flips_fail(sig, pk, msg, 46, 0), "certificate %d: flipped signature bits refused", n);
		TAP_OK(all_flips_fail(sig, pk, msg, 46, 1), "certificate %d: flipped key bits refused", n);
		TAP_OK(all_flips_fail(sig, pk, msg, 46, 2), "certificate %d: flipped message bits refused", n);
		TAP_OK(!ic_bls_verify(sig, pk, msg, 45), "certificate %d: truncated message refused", n);
		memcpy(m2, msg, 46);
		m2[46] = 0;
		TAP_OK(!ic_bls_verify(sig, pk, m2, 47), "certificate %d: extended message refused", n);
		TAP_OK(!ic_bls_verify(sig, pk, msg + 14, 32), "certificate %d: root hash without separator refused", n);
		if (have_prev)
			TAP_OK(!ic_bls_verify(sig, prev_pk, msg, 46), "certificate %d: the other key refused", n);
		memcpy(prev_pk, pk, 96);
		have_prev = 1;
	}
	fclose(f);
	TAP_IS(n, 8, "certificate signatures read");
}

/* tests/bls/noble_cases.txt: recorded @noble/curves decisions, "<sig> <pk> <msg or -> <0|1> <kind>" */
static void noble_recorded(void)
{
	FILE *f = open_vec("noble_cases.txt");
	static char line[4096];
	char hs[200], hp[300], hm[1024], kind[32];
	int want, n = 0, bad = 0, accepted = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		uint8_t sig[48], pk[96], msg[512];
		size_t lm = 0;
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%199s %299s %1023s %d %31s", hs, hp, hm, &want, kind) != 5 || unhex(sig, 48, hs) != 48 ||
		    unhex(pk, 96, hp) != 96 || (strcmp(hm, "-") != 0 && (lm = unhex(msg, sizeof(msg), hm)) == (size_t)-1)) {
			TAP_OK(0, "malformed line in noble_cases.txt");
			continue;
		}
		int got = ic_bls_verify(sig, pk, lm ? msg : NULL, lm);
		n++;
		accepted += got;
		if (got != want) {
			bad++;
			TAP_DIAG("MISMATCH (%s): icarc %d, noble %d: %s", kind, got, want, line);
		}
	}
	fclose(f);
	TAP_IS(n, 170, "recorded noble cases read");
	TAP_IS(accepted, 20, "recorded noble cases accepted (the valid ones)");
	TAP_IS(bad, 0, "decisions that differ from the recorded noble ones");
}

int main(void)
{
	expand_vectors();
	h2c_vectors();
	cert_vectors();
	noble_recorded();
	return tap_done();
}
