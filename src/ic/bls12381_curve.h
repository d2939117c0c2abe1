/* bls12381_curve.h - the groups G1 (on E: y^2 = x^3 + 4 over Fp) and G2 (on the twist
 * E': y^2 = x^3 + 4(1+u) over Fp2), points in Jacobian coordinates (x/z^2, y/z^3), z = 0 is the
 * point at infinity. */
#ifndef ICARC_IC_BLS12381_CURVE_H
#define ICARC_IC_BLS12381_CURVE_H
#include <stddef.h>

#include "ic/bls12381_field.h"

typedef struct { fp x, y, z; } g1p;
typedef struct { fp2 x, y, z; } g2p;

void bls_g1_set_inf(g1p *r);
bool bls_g1_is_inf(const g1p *a);
void bls_g1_from_affine(g1p *r, const fp *x, const fp *y);
bool bls_g1_to_affine(fp *x, fp *y, const g1p *a); /* false for infinity */
void bls_g1_dbl(g1p *r, const g1p *a);
void bls_g1_add(g1p *r, const g1p *a, const g1p *b);
void bls_g1_neg(g1p *r, const g1p *a);
void bls_g1_mul(g1p *r, const g1p *a, const uint64_t *k, int nlimbs); /* little-endian limbs */
bool bls_g1_eq(const g1p *a, const g1p *b);
bool bls_g1_on_curve(const g1p *a);
bool bls_g1_in_subgroup(const g1p *a);          /* phi(a) = [-x^2]a */
bool bls_g1_in_subgroup_by_order(const g1p *a); /* [r]a = O */
void bls_g1_generator(g1p *r);
/* ZCash compressed format; false unless a canonical, on-curve, prime-order, finite point. */
bool bls_g1_decompress(g1p *r, const uint8_t in[48]);
bool bls_g1_decode_on_curve(g1p *r, const uint8_t in[48]); /* all checks but the subgroup */
void bls_g1_compress(uint8_t out[48], const g1p *a);

void bls_g2_set_inf(g2p *r);
bool bls_g2_is_inf(const g2p *a);
void bls_g2_from_affine(g2p *r, const fp2 *x, const fp2 *y);
bool bls_g2_to_affine(fp2 *x, fp2 *y, const g2p *a);
void bls_g2_dbl(g2p *r, const g2p *a);
void bls_g2_add(g2p *r, const g2p *a, const g2p *b);
void bls_g2_neg(g2p *r, const g2p *a);
void bls_g2_mul(g2p *r, const g2p *a, const uint64_t *k, int nlimbs);
bool bls_g2_eq(const g2p *a, const g2p *b);
bool bls_g2_on_curve(const g2p *a);
bool bls_g2_in_subgroup(const g2p *a);          /* psi(a) = [x]a */
bool bls_g2_in_subgroup_by_order(const g2p *a); /* [r]a = O */
void bls_g2_generator(g2p *r);
bool bls_g2_decompress(g2p *r, const uint8_t in[96]);
bool bls_g2_decode_on_curve(g2p *r, const uint8_t in[96]);
void bls_g2_compress(uint8_t out[96], const g2p *a);
#endif
