/* bls12381_tower.h - Fp6 = Fp2[v]/(v^3 - xi), xi = 1 + u, and Fp12 = Fp6[w]/(w^2 - v), the
 * target group of the pairing. */
#ifndef ICARC_IC_BLS12381_TOWER_H
#define ICARC_IC_BLS12381_TOWER_H
#include "ic/bls12381_field.h"

typedef struct { fp2 c0, c1, c2; } fp6;
typedef struct { fp6 c0, c1; } fp12;

void bls_fp6_add(fp6 *r, const fp6 *a, const fp6 *b);
void bls_fp6_sub(fp6 *r, const fp6 *a, const fp6 *b);
void bls_fp6_neg(fp6 *r, const fp6 *a);
void bls_fp6_mul(fp6 *r, const fp6 *a, const fp6 *b);
void bls_fp6_sqr(fp6 *r, const fp6 *a);
void bls_fp6_mul_v(fp6 *r, const fp6 *a);
void bls_fp6_inv(fp6 *r, const fp6 *a);
void bls_fp6_frob(fp6 *r, const fp6 *a);
bool bls_fp6_eq(const fp6 *a, const fp6 *b);
void bls_fp6_set_zero(fp6 *r);
void bls_fp6_set_one(fp6 *r);

void bls_fp12_mul(fp12 *r, const fp12 *a, const fp12 *b);
void bls_fp12_sqr(fp12 *r, const fp12 *a);
void bls_fp12_cyclotomic_sqr(fp12 *r, const fp12 *a); /* a in the cyclotomic subgroup only */
void bls_fp12_inv(fp12 *r, const fp12 *a);
void bls_fp12_conj(fp12 *r, const fp12 *a);
void bls_fp12_frob(fp12 *r, const fp12 *a); /* a^p */
/* r = a * (c0 + c1 v + c4 v w): the sparse line values of the Miller loop */
void bls_fp12_mul_by_014(fp12 *r, const fp12 *a, const fp2 *c0, const fp2 *c1, const fp2 *c4);
bool bls_fp12_eq(const fp12 *a, const fp12 *b);
bool bls_fp12_is_one(const fp12 *a);
void bls_fp12_set_one(fp12 *r);
#endif
