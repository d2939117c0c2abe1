/* bls12381_const.h - constants generated into bls12381_const.c by tests/bls/gen_constants.py. */
#ifndef ICARC_IC_BLS12381_CONST_H
#define ICARC_IC_BLS12381_CONST_H
#include "ic/bls12381_field.h"

extern const uint64_t bls_p_inv;
extern const fp bls_p, bls_p_minus_1_half, bls_one, bls_r2, bls_r3; /* plain limbs except bls_one */
extern const uint64_t bls_exp_p_minus_2[6], bls_exp_p_plus_1_quarter[6], bls_exp_p_minus_1_half[6];
extern const uint64_t bls_r_order[4];
extern const fp bls_b1, bls_g1_x, bls_g1_y;
extern const fp2 bls_b2, bls_b2_x3, bls_g2_x, bls_g2_y;
extern const fp2 bls_frob_v1, bls_frob_v2, bls_frob_w;
extern const fp bls_g1_beta;
extern const fp2 bls_psi_cx, bls_psi_cy;
extern const fp bls_sswu_a, bls_sswu_b, bls_sswu_z, bls_sswu_minus_b_over_a, bls_sswu_b_over_za;
extern const fp bls_iso_xnum[12], bls_iso_xden[10], bls_iso_ynum[16], bls_iso_yden[15];
#endif
