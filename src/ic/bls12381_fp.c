/* bls12381_fp.c - arithmetic in Fp, p the 381-bit BLS12-381 prime, Montgomery form R = 2^384. */
#include <string.h>

#include "ic/bls12381_const.h"
#include "ic/bls12381_field.h"

typedef unsigned __int128 u128;

/* a >= b on 6 plain limbs */
static bool geq(const uint64_t *a, const uint64_t *b)
{
	for (int i = 5; i >= 0; i--) {
		if (a[i] != b[i])
			return a[i] > b[i];
	}
	return true;
}

/* r = a - b, returns the borrow */
static uint64_t sub6(uint64_t *r, const uint64_t *a, const uint64_t *b)
{
	uint64_t borrow = 0;
	for (int i = 0; i < 6; i++) {
		u128 d = (u128)a[i] - b[i] - borrow;
		r[i] = (uint64_t)d;
		borrow = (uint64_t)(d >> 64) & 1;
	}
	return borrow;
}

void bls_fp_add(fp *r, const fp *a, const fp *b)
{
	uint64_t carry = 0;
	for (int i = 0; i < 6; i++) {
		u128 s = (u128)a->l[i] + b->l[i] + carry;
		r->l[i] = (uint64_t)s;
		carry = (uint64_t)(s >> 64);
	}
	/* 2p < 2^384, so there is never a carry out of the top limb; subtract p unless that borrows */
	uint64_t d[6];
	if (!sub6(d, r->l, bls_p.l))
		memcpy(r->l, d, sizeof(d));
}

void bls_fp_sub(fp *r, const fp *a, const fp *b)
{
	if (sub6(r->l, a->l, b->l)) {
		uint64_t carry = 0;
		for (int i = 0; i < 6; i++) {
			u128 s = (u128)r->l[i] + bls_p.l[i] + carry;
			r->l[i] = (uint64_t)s;
			carry = (uint64_t)(s >> 64);
		}
	}
}

void bls_fp_neg(fp *r, const fp *a)
{
	if (bls_fp_is_zero(a))
		bls_fp_set_zero(r);
	else
		sub6(r->l, bls_p.l, a->l);
}

void bls_fp_dbl(fp *r, const fp *a)
{
	bls_fp_add(r, a, a);
}

/* p and -p^-1 mod 2^64 as literals, so the unrolled multiplication uses immediates (the same
 * values as bls_p and bls_p_inv in the generated bls12381_const.c; a mismatch fails every test) */
#define P0 0xb9feffffffffaaabULL
#define P1 0x1eabfffeb153ffffULL
#define P2 0x6730d2a0f6b0f624ULL
#define P3 0x64774b84f38512bfULL
#define P4 0x4b1ba7b6434bacd7ULL
#define P5 0x1a0111ea397fe69aULL
#define P_INV 0x89f3fffcfffcfffdULL

/* CIOS Montgomery multiplication, unrolled, without the extra carry word: valid because the top
 * limb of p is below (2^64-1)/2 - 1, so t stays below 2p inside 6 limbs (inputs must be < p). */
static void mont_mul(uint64_t *r, const uint64_t *a, const uint64_t *b)
{
	const uint64_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5];
	uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, hi, c, m, bi;
	u128 uv, w;

#define MONT_ROW(i) \
	bi = b[i]; \
	uv = (u128)a0 * bi + t0; \
	hi = (uint64_t)(uv >> 64); \
	t0 = (uint64_t)uv; \
	m = t0 * P_INV; \
	w = (u128)m * P0 + t0; \
	c = (uint64_t)(w >> 64); \
	uv = (u128)a1 * bi + t1 + hi; \
	hi = (uint64_t)(uv >> 64); \
	w = (u128)m * P1 + (uint64_t)uv + c; \
	c = (uint64_t)(w >> 64); \
	t0 = (uint64_t)w; \
	uv = (u128)a2 * bi + t2 + hi; \
	hi = (uint64_t)(uv >> 64); \
	w = (u128)m * P2 + (uint64_t)uv + c; \
	c = (uint64_t)(w >> 64); \
	t1 = (uint64_t)w; \
	uv = (u128)a3 * bi + t3 + hi; \
	hi = (uint64_t)(uv >> 64); \
	w = (u128)m * P3 + (uint64_t)uv + c; \
	c = (uint64_t)(w >> 64); \
	t2 = (uint64_t)w; \
	uv = (u128)a4 * bi + t4 + hi; \
	hi = (uint64_t)(uv >> 64); \
	w = (u128)m * P4 + (uint64_t)uv + c; \
	c = (uint64_t)(w >> 64); \
	t3 = (uint64_t)w; \
	uv = (u128)a5 * bi + t5 + hi; \
	hi = (uint64_t)(uv >> 64); \
	w = (u128)m * P5 + (uint64_t)uv + c; \
	c = (uint64_t)(w >> 64); \
	t4 = (uint64_t)w; \
	t5 = c + hi;

	MONT_ROW(0)
	MONT_ROW(1)
	MONT_ROW(2)
	MONT_ROW(3)
	MONT_ROW(4)
	MONT_ROW(5)
#undef MONT_ROW
	const uint64_t t[6] = {t0, t1, t2, t3, t4, t5};
	uint64_t s[6];
	/* t < 2p: subtract p unless that borrows */
	memcpy(r, sub6(s, t, bls_p.l) ? t : s, sizeof(s));
}

void bls_fp_mul(fp *r, const fp *a, const fp *b)
{
	mont_mul(r->l, a->l, b->l);
}

void bls_fp_sqr(fp *r, const fp *a)
{
	mont_mul(r->l, a->l, a->l);
}

void bls_fp_pow(fp *r, const fp *a, const uint64_t *exp, int nlimbs)
{
	fp acc = bls_one, base = *a;
	int top = nlimbs * 64 - 1;
	while (top >= 0 && !((exp[top / 64] >> (top % 64)) & 1))
		top--;
	for (int i = top; i >= 0; i--) {
		bls_fp_sqr(&acc, &acc);
		if ((exp[i / 64] >> (i % 64)) & 1)
			bls_fp_mul(&acc, &acc, &base);
	}
	*r = acc;
}

void bls_fp_inv(fp *r, const fp *a)
{
	bls_fp_pow(r, a, bls_exp_p_minus_2, 6); /* a^(p-2); 0 stays 0 */
}

bool bls_fp_sqrt(fp *r, const fp *a)
{
	fp s, check;
	bls_fp_pow(&s, a, bls_exp_p_plus_1_quarter, 6); /* p = 3 mod 4 */
	bls_fp_sqr(&check, &s);
	if (!bls_fp_eq(&check, a))
		return false;
	*r = s;
	return true;
}

bool bls_fp_is_square(const fp *a)
{
	fp e;
	if (bls_fp_is_zero(a))
		return true;
	bls_fp_pow(&e, a, bls_exp_p_minus_1_half, 6);
	return bls_fp_eq(&e, &bls_one);
}

bool bls_fp_is_zero(const fp *a)
{
	return (a->l[0] | a->l[1] | a->l[2] | a->l[3] | a->l[4] | a->l[5]) == 0;
}

bool bls_fp_eq(const fp *a, const fp *b)
{
	return memcmp(a->l, b->l, sizeof(a->l)) == 0;
}

void bls_fp_set_zero(fp *r)
{
	memset(r, 0, sizeof(*r));
}

void bls_fp_set_one(fp *r)
{
	*r = bls_one;
}

void bls_fp_set_u64(fp *r, uint64_t v)
{
	uint64_t in[6] = {v, 0, 0, 0, 0, 0};
	bls_fp_to_mont(r, in); /* v < p always */
}

void bls_fp_from_mont(uint64_t out[6], const fp *a)
{
	static const uint64_t one[6] = {1, 0, 0, 0, 0, 0};
	mont_mul(out, a->l, one);
}

void bls_fp_to_mont(fp *r, const uint64_t in[6])
{
	mont_mul(r->l, in, bls_r2.l);
}

static void load_be(uint64_t out[6], const uint8_t in[48])
{
	for (int i = 0; i < 6; i++) {
		uint64_t w = 0;
		for (int j = 0; j < 8; j++)
			w = (w << 8) | in[(5 - i) * 8 + j];
		out[i] = w;
	}
}

bool bls_fp_from_bytes(fp *r, const uint8_t in[48])
{
	uint64_t v[6];
	load_be(v, in);
	if (geq(v, bls_p.l))
		return false;
	bls_fp_to_mont(r, v);
	return true;
}

void bls_fp_to_bytes(uint8_t out[48], const fp *a)
{
	uint64_t v[6];
	bls_fp_from_mont(v, a);
	for (int i = 0; i < 6; i++) {
		for (int j = 0; j < 8; j++)
			out[(5 - i) * 8 + j] = (uint8_t)(v[i] >> (56 - 8 * j));
	}
}

void bls_fp_from_bytes64(fp *r, const uint8_t in[64])
{
	uint64_t lo[6], hi[6] = {0, 0, 0, 0, 0, 0};
	fp a, b;
	/* in = hi * 2^384 + lo with hi < 2^128 */
	load_be(lo, in + 16);
	for (int j = 0; j < 16; j++)
		hi[1 - j / 8] = (hi[1 - j / 8] << 8) | in[j];
	while (geq(lo, bls_p.l)) /* lo < 2^384 < 10p: a few subtractions */
		sub6(lo, lo, bls_p.l);
	mont_mul(a.l, lo, bls_r2.l); /* lo * R */
	mont_mul(b.l, hi, bls_r3.l); /* hi * 2^384 * R */
	bls_fp_add(r, &a, &b);
}

int bls_fp_sgn0(const fp *a)
{
	uint64_t v[6];
	bls_fp_from_mont(v, a);
	return (int)(v[0] & 1);
}

bool bls_fp_is_lexlargest(const fp *a)
{
	uint64_t v[6];
	bls_fp_from_mont(v, a);
	return !geq(bls_p_minus_1_half.l, v);
}
