/* bls12381_tower.c - Fp6 and Fp12 arithmetic (Karatsuba throughout). */
#include "ic/bls12381_const.h"
#include "ic/bls12381_tower.h"

void bls_fp6_add(fp6 *r, const fp6 *a, const fp6 *b)
{
	bls_fp2_add(&r->c0, &a->c0, &b->c0);
	bls_fp2_add(&r->c1, &a->c1, &b->c1);
	bls_fp2_add(&r->c2, &a->c2, &b->c2);
}

void bls_fp6_sub(fp6 *r, const fp6 *a, const fp6 *b)
{
	bls_fp2_sub(&r->c0, &a->c0, &b->c0);
	bls_fp2_sub(&r->c1, &a->c1, &b->c1);
	bls_fp2_sub(&r->c2, &a->c2, &b->c2);
}

void bls_fp6_neg(fp6 *r, const fp6 *a)
{
	bls_fp2_neg(&r->c0, &a->c0);
	bls_fp2_neg(&r->c1, &a->c1);
	bls_fp2_neg(&r->c2, &a->c2);
}

void bls_fp6_mul(fp6 *r, const fp6 *a, const fp6 *b)
{
	fp2 t0, t1, t2, s, u, c0, c1, c2;
	bls_fp2_mul(&t0, &a->c0, &b->c0);
	bls_fp2_mul(&t1, &a->c1, &b->c1);
	bls_fp2_mul(&t2, &a->c2, &b->c2);
	/* c0 = t0 + xi((a1+a2)(b1+b2) - t1 - t2) */
	bls_fp2_add(&s, &a->c1, &a->c2);
	bls_fp2_add(&u, &b->c1, &b->c2);
	bls_fp2_mul(&s, &s, &u);
	bls_fp2_sub(&s, &s, &t1);
	bls_fp2_sub(&s, &s, &t2);
	bls_fp2_mul_xi(&s, &s);
	bls_fp2_add(&c0, &s, &t0);
	/* c1 = (a0+a1)(b0+b1) - t0 - t1 + xi t2 */
	bls_fp2_add(&s, &a->c0, &a->c1);
	bls_fp2_add(&u, &b->c0, &b->c1);
	bls_fp2_mul(&s, &s, &u);
	bls_fp2_sub(&s, &s, &t0);
	bls_fp2_sub(&s, &s, &t1);
	bls_fp2_mul_xi(&u, &t2);
	bls_fp2_add(&c1, &s, &u);
	/* c2 = (a0+a2)(b0+b2) - t0 - t2 + t1 */
	bls_fp2_add(&s, &a->c0, &a->c2);
	bls_fp2_add(&u, &b->c0, &b->c2);
	bls_fp2_mul(&s, &s, &u);
	bls_fp2_sub(&s, &s, &t0);
	bls_fp2_sub(&s, &s, &t2);
	bls_fp2_add(&c2, &s, &t1);
	r->c0 = c0;
	r->c1 = c1;
	r->c2 = c2;
}

void bls_fp6_sqr(fp6 *r, const fp6 *a)
{
	bls_fp6_mul(r, a, a);
}

void bls_fp6_mul_v(fp6 *r, const fp6 *a)
{
	fp2 t;
	bls_fp2_mul_xi(&t, &a->c2);
	r->c2 = a->c1;
	r->c1 = a->c0;
	r->c0 = t;
}

void bls_fp6_inv(fp6 *r, const fp6 *a)
{
	fp2 c0, c1, c2, t, f;
	/* c0 = a0^2 - xi a1 a2, c1 = xi a2^2 - a0 a1, c2 = a1^2 - a0 a2 */
	bls_fp2_sqr(&c0, &a->c0);
	bls_fp2_mul(&t, &a->c1, &a->c2);
	bls_fp2_mul_xi(&t, &t);
	bls_fp2_sub(&c0, &c0, &t);
	bls_fp2_sqr(&c1, &a->c2);
	bls_fp2_mul_xi(&c1, &c1);
	bls_fp2_mul(&t, &a->c0, &a->c1);
	bls_fp2_sub(&c1, &c1, &t);
	bls_fp2_sqr(&c2, &a->c1);
	bls_fp2_mul(&t, &a->c0, &a->c2);
	bls_fp2_sub(&c2, &c2, &t);
	/* f = a0 c0 + xi (a2 c1 + a1 c2) */
	bls_fp2_mul(&f, &a->c2, &c1);
	bls_fp2_mul(&t, &a->c1, &c2);
	bls_fp2_add(&f, &f, &t);
	bls_fp2_mul_xi(&f, &f);
	bls_fp2_mul(&t, &a->c0, &c0);
	bls_fp2_add(&f, &f, &t);
	bls_fp2_inv(&f, &f);
	bls_fp2_mul(&r->c0, &c0, &f);
	bls_fp2_mul(&r->c1, &c1, &f);
	bls_fp2_mul(&r->c2, &c2, &f);
}

/* (a0 + a1 v + a2 v^2)^p = a0^p + a1^p v^p + a2^p v^2p, v^p = xi^((p-1)/3) v */
void bls_fp6_frob(fp6 *r, const fp6 *a)
{
	bls_fp2_conj(&r->c0, &a->c0);
	bls_fp2_conj(&r->c1, &a->c1);
	bls_fp2_conj(&r->c2, &a->c2);
	bls_fp2_mul(&r->c1, &r->c1, &bls_frob_v1);
	bls_fp2_mul(&r->c2, &r->c2, &bls_frob_v2);
}

bool bls_fp6_eq(const fp6 *a, const fp6 *b)
{
	return bls_fp2_eq(&a->c0, &b->c0) && bls_fp2_eq(&a->c1, &b->c1) && bls_fp2_eq(&a->c2, &b->c2);
}

void bls_fp6_set_zero(fp6 *r)
{
	bls_fp2_set_zero(&r->c0);
	bls_fp2_set_zero(&r->c1);
	bls_fp2_set_zero(&r->c2);
}

void bls_fp6_set_one(fp6 *r)
{
	bls_fp2_set_one(&r->c0);
	bls_fp2_set_zero(&r->c1);
	bls_fp2_set_zero(&r->c2);
}

/* (a + b w)(c + d w) = (ac + bd v) + ((a+b)(c+d) - ac - bd) w */
void bls_fp12_mul(fp12 *r, const fp12 *a, const fp12 *b)
{
	fp6 ac, bd, s, t;
	bls_fp6_mul(&ac, &a->c0, &b->c0);
	bls_fp6_mul(&bd, &a->c1, &b->c1);
	bls_fp6_add(&s, &a->c0, &a->c1);
	bls_fp6_add(&t, &b->c0, &b->c1);
	bls_fp6_mul(&s, &s, &t);
	bls_fp6_sub(&s, &s, &ac);
	bls_fp6_sub(&r->c1, &s, &bd);
	bls_fp6_mul_v(&bd, &bd);
	bls_fp6_add(&r->c0, &ac, &bd);
}

/* (a + b w)^2 = (a + b)(a + v b) - ab - v ab + 2ab w */
void bls_fp12_sqr(fp12 *r, const fp12 *a)
{
	fp6 ab, s, t, vab;
	bls_fp6_mul(&ab, &a->c0, &a->c1);
	bls_fp6_add(&s, &a->c0, &a->c1);
	bls_fp6_mul_v(&t, &a->c1);
	bls_fp6_add(&t, &t, &a->c0);
	bls_fp6_mul(&s, &s, &t);
	bls_fp6_mul_v(&vab, &ab);
	bls_fp6_sub(&s, &s, &ab);
	bls_fp6_sub(&r->c0, &s, &vab);
	bls_fp6_add(&r->c1, &ab, &ab);
}

/* (x + y s)^2 in Fp4 = Fp2[s]/(s^2 - xi) */
static void fp4_sqr(fp2 *rx, fp2 *ry, const fp2 *x, const fp2 *y)
{
	fp2 t0, t1, t;
	bls_fp2_sqr(&t0, x);
	bls_fp2_sqr(&t1, y);
	bls_fp2_add(&t, x, y);
	bls_fp2_sqr(&t, &t);
	bls_fp2_sub(&t, &t, &t0);
	bls_fp2_sub(ry, &t, &t1);
	bls_fp2_mul_xi(&t1, &t1);
	bls_fp2_add(rx, &t0, &t1);
}

/* r = 3 t - 2 z (sign -1) or 3 t + 2 z (sign +1) */
static void three_two(fp2 *r, const fp2 *t, const fp2 *z, int sign)
{
	fp2 u;
	if (sign < 0)
		bls_fp2_sub(&u, t, z);
	else
		bls_fp2_add(&u, t, z);
	bls_fp2_dbl(&u, &u);
	bls_fp2_add(r, &u, t);
}

/* Granger, Scott, "Faster squaring in the cyclotomic subgroup of sixth degree extensions"
 * (PKC 2010): with s = w^3 (s^2 = xi), Fp4 = Fp2[s] and a = A + B w + C w^2 over Fp4, where
 * A = a0 + b1 s, B = b0 + a2 s, C = a1 + b2 s for a = (a0 + a1 v + a2 v^2) + (b0 + b1 v + b2 v^2) w.
 * On the cyclotomic subgroup a^2 = (3A^2 - 2 conj(A)) + (3 s C^2 + 2 conj(B)) w +
 * (3B^2 - 2 conj(C)) w^2, conj being s -> -s. The unit test compares with bls_fp12_sqr. */
void bls_fp12_cyclotomic_sqr(fp12 *r, const fp12 *a)
{
	fp2 ax, ay, bx, by, cx, cy;
	const fp12 in = *a;
	fp4_sqr(&ax, &ay, &in.c0.c0, &in.c1.c1); /* A^2 */
	fp4_sqr(&bx, &by, &in.c1.c0, &in.c0.c2); /* B^2 */
	fp4_sqr(&cx, &cy, &in.c0.c1, &in.c1.c2); /* C^2 */
	three_two(&r->c0.c0, &ax, &in.c0.c0, -1);
	three_two(&r->c1.c1, &ay, &in.c1.c1, +1);
	bls_fp2_mul_xi(&cy, &cy); /* s C^2 = xi (C^2)_y + (C^2)_x s */
	three_two(&r->c1.c0, &cy, &in.c1.c0, +1);
	three_two(&r->c0.c2, &cx, &in.c0.c2, -1);
	three_two(&r->c0.c1, &bx, &in.c0.c1, -1);
	three_two(&r->c1.c2, &by, &in.c1.c2, +1);
}

/* (a + b w)^-1 = (a - b w) / (a^2 - v b^2) */
void bls_fp12_inv(fp12 *r, const fp12 *a)
{
	fp6 t0, t1;
	bls_fp6_sqr(&t0, &a->c0);
	bls_fp6_sqr(&t1, &a->c1);
	bls_fp6_mul_v(&t1, &t1);
	bls_fp6_sub(&t0, &t0, &t1);
	bls_fp6_inv(&t0, &t0);
	bls_fp6_mul(&r->c0, &a->c0, &t0);
	bls_fp6_mul(&r->c1, &a->c1, &t0);
	bls_fp6_neg(&r->c1, &r->c1);
}

void bls_fp12_conj(fp12 *r, const fp12 *a)
{
	r->c0 = a->c0;
	bls_fp6_neg(&r->c1, &a->c1);
}

/* (a + b w)^p = a^p + b^p w^p, w^p = xi^((p-1)/6) w */
void bls_fp12_frob(fp12 *r, const fp12 *a)
{
	bls_fp6_frob(&r->c0, &a->c0);
	bls_fp6_frob(&r->c1, &a->c1);
	bls_fp2_mul(&r->c1.c0, &r->c1.c0, &bls_frob_w);
	bls_fp2_mul(&r->c1.c1, &r->c1.c1, &bls_frob_w);
	bls_fp2_mul(&r->c1.c2, &r->c1.c2, &bls_frob_w);
}

/* x (c0 + c1 v): 5 multiplications */
static void fp6_mul_by_01(fp6 *r, const fp6 *x, const fp2 *c0, const fp2 *c1)
{
	fp2 t0, t1, s, u, r0, r1, r2;
	bls_fp2_mul(&t0, &x->c0, c0);
	bls_fp2_mul(&t1, &x->c1, c1);
	bls_fp2_add(&s, &x->c0, &x->c1);
	bls_fp2_add(&u, c0, c1);
	bls_fp2_mul(&s, &s, &u);
	bls_fp2_sub(&s, &s, &t0);
	bls_fp2_sub(&r1, &s, &t1); /* x0 c1 + x1 c0 */
	bls_fp2_mul(&s, &x->c2, c0);
	bls_fp2_add(&r2, &t1, &s); /* x1 c1 + x2 c0 */
	bls_fp2_mul(&s, &x->c2, c1);
	bls_fp2_mul_xi(&s, &s);
	bls_fp2_add(&r0, &t0, &s); /* x0 c0 + xi x2 c1 */
	r->c0 = r0;
	r->c1 = r1;
	r->c2 = r2;
}

/* x (c1 v) */
static void fp6_mul_by_1(fp6 *r, const fp6 *x, const fp2 *c1)
{
	fp2 r0;
	bls_fp2_mul(&r0, &x->c2, c1);
	bls_fp2_mul_xi(&r0, &r0);
	bls_fp2_mul(&r->c2, &x->c1, c1);
	bls_fp2_mul(&r->c1, &x->c0, c1);
	r->c0 = r0;
}

/* a (l0 + l1 w) with l0 = c0 + c1 v and l1 = c4 v, Karatsuba over Fp6 */
void bls_fp12_mul_by_014(fp12 *r, const fp12 *a, const fp2 *c0, const fp2 *c1, const fp2 *c4)
{
	fp6 t0, t1, s;
	fp2 c14;
	fp6_mul_by_01(&t0, &a->c0, c0, c1);
	fp6_mul_by_1(&t1, &a->c1, c4);
	bls_fp2_add(&c14, c1, c4);
	bls_fp6_add(&s, &a->c0, &a->c1);
	fp6_mul_by_01(&s, &s, c0, &c14);
	bls_fp6_sub(&s, &s, &t0);
	bls_fp6_sub(&r->c1, &s, &t1);
	bls_fp6_mul_v(&t1, &t1);
	bls_fp6_add(&r->c0, &t0, &t1);
}

bool bls_fp12_eq(const fp12 *a, const fp12 *b)
{
	return bls_fp6_eq(&a->c0, &b->c0) && bls_fp6_eq(&a->c1, &b->c1);
}

bool bls_fp12_is_one(const fp12 *a)
{
	fp12 one;
	bls_fp12_set_one(&one);
	return bls_fp12_eq(a, &one);
}

void bls_fp12_set_one(fp12 *r)
{
	bls_fp6_set_one(&r->c0);
	bls_fp6_set_zero(&r->c1);
}
