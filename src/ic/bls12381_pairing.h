/* bls12381_pairing.h - the optimal ate pairing on BLS12-381: a shared Miller loop over several
 * pairs and the final exponentiation. */
#ifndef ICARC_IC_BLS12381_PAIRING_H
#define ICARC_IC_BLS12381_PAIRING_H
#include <stddef.h>

#include "ic/bls12381_curve.h"
#include "ic/bls12381_tower.h"

#define BLS_PAIRING_MAX 4
/* f = prod_i f_{x,Q_i}(P_i), conjugated for the negative x; pairs with a point at infinity
 * contribute 1. n <= BLS_PAIRING_MAX. */
void bls_miller_loop(fp12 *f, const g1p *p, const g2p *q, size_t n);
void bls_final_exp(fp12 *r, const fp12 *f);
/* The cube of the reduced pairing product (the hard part uses 3 * (p^4 - p^2 + 1) / r, and 3 is
 * prime to r, so "== 1" decides the same as with the true pairing). */
void bls_pairing(fp12 *r, const g1p *p, const g2p *q, size_t n);
#endif
