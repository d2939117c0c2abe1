/* bls12381_fp2.c - arithmetic in Fp2 = Fp[u]/(u^2 + 1). */
#include "ic/bls12381_const.h"
#include "ic/bls12381_field.h"

void bls_fp2_add(fp2 *r, const fp2 *a, const fp2 *b)
{
	bls_fp_add(&r->c0, &a->c0, &b->c0);
	bls_fp_add(&r->c1, &a->c1, &b->c1);
}

void bls_fp2_sub(fp2 *r, const fp2 *a, const fp2 *b)
{
	bls_fp_sub(&r->c0, &a->c0, &b->c0);
	bls_fp_sub(&r->c1, &a->c1, &b->c1);
}

void bls_fp2_neg(fp2 *r, const fp2 *a)
{
	bls_fp_neg(&r->c0, &a->c0);
	bls_fp_neg(&r->c1, &a->c1);
}

void bls_fp2_dbl(fp2 *r, const fp2 *a)
{
	bls_fp_dbl(&r->c0, &a->c0);
	bls_fp_dbl(&r->c1, &a->c1);
}

void bls_fp2_conj(fp2 *r, const fp2 *a)
{
	r->c0 = a->c0;
	bls_fp_neg(&r->c1, &a->c1);
}

void bls_fp2_mul(fp2 *r, const fp2 *a, const fp2 *b)
{
	fp t0, t1, s0, s1;
	bls_fp_mul(&t0, &a->c0, &b->c0);
	bls_fp_mul(&t1, &a->c1, &b->c1);
	bls_fp_add(&s0, &a->c0, &a->c1);
	bls_fp_add(&s1, &b->c0, &b->c1);
	bls_fp_mul(&s0, &s0, &s1); /* (a0+a1)(b0+b1) */
	bls_fp_sub(&r->c0, &t0, &t1);
	bls_fp_sub(&s0, &s0, &t0);
	bls_fp_sub(&r->c1, &s0, &t1);
}

void bls_fp2_mul_fp(fp2 *r, const fp2 *a, const fp *b)
{
	bls_fp_mul(&r->c0, &a->c0, b);
	bls_fp_mul(&r->c1, &a->c1, b);
}

void bls_fp2_sqr(fp2 *r, const fp2 *a)
{
	fp s, d, m;
	bls_fp_add(&s, &a->c0, &a->c1);
	bls_fp_sub(&d, &a->c0, &a->c1);
	bls_fp_mul(&m, &a->c0, &a->c1);
	bls_fp_mul(&r->c0, &s, &d);
	bls_fp_dbl(&r->c1, &m);
}

void bls_fp2_mul_xi(fp2 *r, const fp2 *a)
{
	fp t0;
	bls_fp_sub(&t0, &a->c0, &a->c1);
	bls_fp_add(&r->c1, &a->c0, &a->c1);
	r->c0 = t0;
}

void bls_fp2_inv(fp2 *r, const fp2 *a)
{
	fp n, t;
	bls_fp_sqr(&n, &a->c0);
	bls_fp_sqr(&t, &a->c1);
	bls_fp_add(&n, &n, &t);
	bls_fp_inv(&n, &n);
	bls_fp_mul(&r->c0, &a->c0, &n);
	bls_fp_mul(&t, &a->c1, &n);
	bls_fp_neg(&r->c1, &t);
}

/* Square root through the norm: for a = a0 + a1 u with a1 != 0, x = x0 + x1 u where
 * x0^2 = (a0 +- sqrt(a0^2 + a1^2)) / 2 and x1 = a1 / (2 x0). The result is checked by squaring. */
bool bls_fp2_sqrt(fp2 *r, const fp2 *a)
{
	fp2 x, check;
	if (bls_fp_is_zero(&a->c1)) {
		fp t;
		if (bls_fp_sqrt(&t, &a->c0)) {
			x.c0 = t;
			bls_fp_set_zero(&x.c1);
		} else {
			/* -a0 is then a square: (t u)^2 = -t^2 = a0 */
			bls_fp_neg(&t, &a->c0);
			if (!bls_fp_sqrt(&x.c1, &t))
				return false;
			bls_fp_set_zero(&x.c0);
		}
	} else {
		fp n, t, s, half, x0, inv2x0;
		bls_fp_sqr(&n, &a->c0);
		bls_fp_sqr(&t, &a->c1);
		bls_fp_add(&n, &n, &t);
		if (!bls_fp_sqrt(&s, &n))
			return false;
		bls_fp_set_u64(&half, 2);
		bls_fp_inv(&half, &half);
		bls_fp_add(&t, &a->c0, &s);
		bls_fp_mul(&t, &t, &half);
		if (!bls_fp_sqrt(&x0, &t)) {
			bls_fp_sub(&t, &a->c0, &s);
			bls_fp_mul(&t, &t, &half);
			if (!bls_fp_sqrt(&x0, &t))
				return false;
		}
		bls_fp_dbl(&inv2x0, &x0);
		bls_fp_inv(&inv2x0, &inv2x0);
		x.c0 = x0;
		bls_fp_mul(&x.c1, &a->c1, &inv2x0);
	}
	bls_fp2_sqr(&check, &x);
	if (!bls_fp2_eq(&check, a))
		return false;
	*r = x;
	return true;
}

bool bls_fp2_is_zero(const fp2 *a)
{
	return bls_fp_is_zero(&a->c0) && bls_fp_is_zero(&a->c1);
}

bool bls_fp2_eq(const fp2 *a, const fp2 *b)
{
	return bls_fp_eq(&a->c0, &b->c0) && bls_fp_eq(&a->c1, &b->c1);
}

void bls_fp2_set_zero(fp2 *r)
{
	bls_fp_set_zero(&r->c0);
	bls_fp_set_zero(&r->c1);
}

void bls_fp2_set_one(fp2 *r)
{
	r->c0 = bls_one;
	bls_fp_set_zero(&r->c1);
}

bool bls_fp2_is_lexlargest(const fp2 *a)
{
	if (!bls_fp_is_zero(&a->c1))
		return bls_fp_is_lexlargest(&a->c1);
	return bls_fp_is_lexlargest(&a->c0);
}
