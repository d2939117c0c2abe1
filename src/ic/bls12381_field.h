/* bls12381_field.h - the BLS12-381 base field Fp and its quadratic extension Fp2 = Fp[u]/(u^2+1).
 * Fp elements are 6 little-endian 64-bit limbs in Montgomery form (a*2^384 mod p), always fully
 * reduced (< p), so equality is limb equality. Nothing here is constant time: verification only
 * handles public data (bls.h). */
#ifndef ICARC_IC_BLS12381_FIELD_H
#define ICARC_IC_BLS12381_FIELD_H
#include <stdbool.h>
#include <stdint.h>

typedef struct { uint64_t l[6]; } fp;
typedef struct { fp c0, c1; } fp2;

void bls_fp_add(fp *r, const fp *a, const fp *b);
void bls_fp_sub(fp *r, const fp *a, const fp *b);
void bls_fp_neg(fp *r, const fp *a);
void bls_fp_dbl(fp *r, const fp *a);
void bls_fp_mul(fp *r, const fp *a, const fp *b);
void bls_fp_sqr(fp *r, const fp *a);
void bls_fp_pow(fp *r, const fp *a, const uint64_t *exp, int nlimbs);
void bls_fp_inv(fp *r, const fp *a); /* 0 maps to 0 (RFC 9380 inv0) */
bool bls_fp_sqrt(fp *r, const fp *a); /* false (r unspecified) when a is not a square */
bool bls_fp_is_square(const fp *a);
bool bls_fp_is_zero(const fp *a);
bool bls_fp_eq(const fp *a, const fp *b);
void bls_fp_set_zero(fp *r);
void bls_fp_set_one(fp *r);
void bls_fp_set_u64(fp *r, uint64_t v);
/* Montgomery form <-> plain integer limbs (a < p for from). */
void bls_fp_from_mont(uint64_t out[6], const fp *a);
void bls_fp_to_mont(fp *r, const uint64_t in[6]);
/* Big-endian 48 bytes; false when the integer is >= p (non-canonical). */
bool bls_fp_from_bytes(fp *r, const uint8_t in[48]);
void bls_fp_to_bytes(uint8_t out[48], const fp *a);
/* 64 big-endian bytes reduced mod p (RFC 9380 hash_to_field with L = 64). */
void bls_fp_from_bytes64(fp *r, const uint8_t in[64]);
int bls_fp_sgn0(const fp *a);              /* parity of the integer (RFC 9380 sgn0) */
bool bls_fp_is_lexlargest(const fp *a);    /* integer > (p-1)/2 (ZCash sort flag) */

void bls_fp2_add(fp2 *r, const fp2 *a, const fp2 *b);
void bls_fp2_sub(fp2 *r, const fp2 *a, const fp2 *b);
void bls_fp2_neg(fp2 *r, const fp2 *a);
void bls_fp2_dbl(fp2 *r, const fp2 *a);
void bls_fp2_conj(fp2 *r, const fp2 *a);
void bls_fp2_mul(fp2 *r, const fp2 *a, const fp2 *b);
void bls_fp2_mul_fp(fp2 *r, const fp2 *a, const fp *b);
void bls_fp2_sqr(fp2 *r, const fp2 *a);
void bls_fp2_mul_xi(fp2 *r, const fp2 *a); /* times xi = 1 + u */
void bls_fp2_inv(fp2 *r, const fp2 *a);    /* 0 maps to 0 */
bool bls_fp2_sqrt(fp2 *r, const fp2 *a);
bool bls_fp2_is_zero(const fp2 *a);
bool bls_fp2_eq(const fp2 *a, const fp2 *b);
void bls_fp2_set_zero(fp2 *r);
void bls_fp2_set_one(fp2 *r);
bool bls_fp2_is_lexlargest(const fp2 *a); /* ZCash order: c1 first, c0 when c1 = 0 */
#endif
