/* bls12381_pairing.c - Miller loop with homogeneous projective coordinates on the twist and
 * line values in the sparse form c0 + c1 v + c4 v w, then the final exponentiation.
 *
 * The twist is of M type: (x', y') on E' maps to (x'/w^2, y'/w^3) on E. A line through points
 * of E', evaluated at P = (xP, yP) and multiplied by w^3 (an Fp4 factor, which the final
 * exponentiation removes, as it does any Fp2 scaling), is (l x' - y') - l xP v + yP v w for the
 * slope l on E'. Formulas: Costello, Lange, Naehrig, "Faster pairing computations on curves with
 * high-degree twists" (PKC 2010), section 5. */
#include "ic/bls12381_const.h"
#include "ic/bls12381_pairing.h"

#define X_ABS 0xd201000000010000ULL /* the BLS parameter is x = -X_ABS */

typedef struct { fp2 x, y, z; } proj;

/* T = 2T (scaled by 4 to avoid halvings); line at P from the old T:
 * (Y^2 - 3b'Z^2) - 3X^2 xP v + 2YZ yP v w */
static void dbl_step(proj *t, fp2 *c0, fp2 *c1, fp2 *c4, const fp *xp, const fp *yp)
{
	fp2 X2, B, C, E, F, H, s, u;
	bls_fp2_sqr(&X2, &t->x);
	bls_fp2_sqr(&B, &t->y);
	bls_fp2_sqr(&C, &t->z);
	bls_fp2_mul(&E, &C, &bls_b2_x3);
	bls_fp2_dbl(&F, &E);
	bls_fp2_add(&F, &F, &E);
	bls_fp2_add(&H, &t->y, &t->z);
	bls_fp2_sqr(&H, &H);
	bls_fp2_sub(&H, &H, &B);
	bls_fp2_sub(&H, &H, &C); /* 2YZ */

	bls_fp2_sub(c0, &B, &E);
	bls_fp2_dbl(&s, &X2);
	bls_fp2_add(&s, &s, &X2);
	bls_fp2_mul_fp(&s, &s, xp);
	bls_fp2_neg(c1, &s);
	bls_fp2_mul_fp(c4, &H, yp);

	/* X3 = 2XY(B - F), Y3 = (B + F)^2 - 12E^2, Z3 = 4BH */
	bls_fp2_mul(&s, &t->x, &t->y);
	bls_fp2_dbl(&s, &s);
	bls_fp2_sub(&u, &B, &F);
	bls_fp2_mul(&t->x, &s, &u);
	bls_fp2_add(&s, &B, &F);
	bls_fp2_sqr(&s, &s);
	bls_fp2_sqr(&u, &E);
	bls_fp2_dbl(&u, &u);
	bls_fp2_dbl(&u, &u); /* 4E^2 */
	bls_fp2_sub(&s, &s, &u);
	bls_fp2_sub(&s, &s, &u);
	bls_fp2_sub(&t->y, &s, &u);
	bls_fp2_mul(&s, &B, &H);
	bls_fp2_dbl(&s, &s);
	bls_fp2_dbl(&t->z, &s);
}

/* T = T + Q (Q affine); line at P: (th x2 - la y2) - th xP v + la yP v w with
 * th = Y - y2 Z, la = X - x2 Z */
static void add_step(proj *t, fp2 *c0, fp2 *c1, fp2 *c4, const fp2 *x2, const fp2 *y2, const fp *xp, const fp *yp)
{
	fp2 th, la, C, D, E, F, G, H, s, u;
	bls_fp2_mul(&s, y2, &t->z);
	bls_fp2_sub(&th, &t->y, &s);
	bls_fp2_mul(&s, x2, &t->z);
	bls_fp2_sub(&la, &t->x, &s);

	bls_fp2_mul(&s, &th, x2);
	bls_fp2_mul(&u, &la, y2);
	bls_fp2_sub(c0, &s, &u);
	bls_fp2_mul_fp(&s, &th, xp);
	bls_fp2_neg(c1, &s);
	bls_fp2_mul_fp(c4, &la, yp);

	bls_fp2_sqr(&C, &th);
	bls_fp2_sqr(&D, &la);
	bls_fp2_mul(&E, &D, &la);
	bls_fp2_mul(&F, &t->z, &C);
	bls_fp2_mul(&G, &t->x, &D);
	bls_fp2_add(&H, &E, &F);
	bls_fp2_sub(&H, &H, &G);
	bls_fp2_sub(&H, &H, &G);
	bls_fp2_mul(&t->x, &la, &H);
	bls_fp2_sub(&s, &G, &H);
	bls_fp2_mul(&s, &th, &s);
	bls_fp2_mul(&u, &t->y, &E);
	bls_fp2_sub(&t->y, &s, &u);
	bls_fp2_mul(&t->z, &t->z, &E);
}

void bls_miller_loop(fp12 *f, const g1p *p, const g2p *q, size_t n)
{
	fp px[BLS_PAIRING_MAX], py[BLS_PAIRING_MAX];
	fp2 qx[BLS_PAIRING_MAX], qy[BLS_PAIRING_MAX];
	proj t[BLS_PAIRING_MAX];
	size_t m = 0;
	fp2 c0, c1, c4;

	for (size_t i = 0; i < n && i < BLS_PAIRING_MAX; i++) {
		if (!bls_g1_to_affine(&px[m], &py[m], &p[i]) || !bls_g2_to_affine(&qx[m], &qy[m], &q[i]))
			continue;
		t[m].x = qx[m];
		t[m].y = qy[m];
		bls_fp2_set_one(&t[m].z);
		m++;
	}
	bls_fp12_set_one(f);
	if (m == 0)
		return;
	for (int bit = 62; bit >= 0; bit--) {
		bls_fp12_sqr(f, f);
		for (size_t i = 0; i < m; i++) {
			dbl_step(&t[i], &c0, &c1, &c4, &px[i], &py[i]);
			bls_fp12_mul_by_014(f, f, &c0, &c1, &c4);
		}
		if ((X_ABS >> bit) & 1) {
			for (size_t i = 0; i < m; i++) {
				add_step(&t[i], &c0, &c1, &c4, &qx[i], &qy[i], &px[i], &py[i]);
				bls_fp12_mul_by_014(f, f, &c0, &c1, &c4);
			}
		}
	}
	bls_fp12_conj(f, f);
}

/* g^x for g in the cyclotomic subgroup, where inversion is conjugation */
static void exp_by_x(fp12 *r, const fp12 *g)
{
	fp12 acc = *g;
	for (int bit = 62; bit >= 0; bit--) {
		bls_fp12_cyclotomic_sqr(&acc, &acc);
		if ((X_ABS >> bit) & 1)
			bls_fp12_mul(&acc, &acc, g);
	}
	bls_fp12_conj(r, &acc);
}

/* f^((p^12 - 1)/r * 3). Easy part f^((p^6 - 1)(p^2 + 1)), then the hard part with
 * 3 (p^4 - p^2 + 1)/r = (x - 1)^2 (x + p)(x^2 + p^2 - 1) + 3 (Hayashida, Hayasaka, Teruya,
 * "Efficient final exponentiation via cyclotomic structure for pairings over families of
 * elliptic curves", 2020). */
void bls_final_exp(fp12 *r, const fp12 *f)
{
	fp12 g, a, b, c, t;
	bls_fp12_inv(&t, f);
	bls_fp12_conj(&g, f);
	bls_fp12_mul(&g, &g, &t); /* f^(p^6 - 1) */
	bls_fp12_frob(&t, &g);
	bls_fp12_frob(&t, &t);
	bls_fp12_mul(&g, &g, &t); /* ^(p^2 + 1) */

	exp_by_x(&a, &g);
	bls_fp12_conj(&t, &g);
	bls_fp12_mul(&a, &a, &t); /* a = g^(x-1) */
	exp_by_x(&b, &a);
	bls_fp12_conj(&t, &a);
	bls_fp12_mul(&b, &b, &t); /* b = g^((x-1)^2) */
	exp_by_x(&c, &b);
	bls_fp12_frob(&t, &b);
	bls_fp12_mul(&c, &c, &t); /* c = b^(x+p) */
	exp_by_x(&a, &c);
	exp_by_x(&a, &a);
	bls_fp12_frob(&t, &c);
	bls_fp12_frob(&t, &t);
	bls_fp12_mul(&a, &a, &t);
	bls_fp12_conj(&t, &c);
	bls_fp12_mul(&a, &a, &t); /* c^(x^2 + p^2 - 1) */
	bls_fp12_cyclotomic_sqr(&t, &g);
	bls_fp12_mul(&t, &t, &g);
	bls_fp12_mul(r, &a, &t); /* times g^3 */
}

void bls_pairing(fp12 *r, const g1p *p, const g2p *q, size_t n)
{
	fp12 f;
	bls_miller_loop(&f, p, q, n);
	bls_final_exp(r, &f);
}
