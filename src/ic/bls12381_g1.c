/* bls12381_g1.c - G1 points: arithmetic (bls12381_point.inc) and the ZCash compressed format. */
#include <string.h>

#include "ic/bls12381_const.h"
#include "ic/bls12381_curve.h"

#define PT g1p
#define FE fp
#define PFX(n) bls_g1_##n
#define FE_(n) bls_fp_##n
#define CURVE_B bls_b1
#include "ic/bls12381_point.inc"

#define X_ABS 0xd201000000010000ULL /* the BLS parameter is x = -X_ABS */

/* a is in G1 iff phi(a) = [-x^2]a with phi(x, y) = (beta x, y), beta a cube root of unity (the
 * one for which phi acts as -x^2 on G1; gen_constants.py picks and checks it). M. Scott, "A note
 * on group membership tests for G1, G2 and GT on BLS pairing-friendly curves", ePrint 2021/1130. */
bool bls_g1_in_subgroup(const g1p *a)
{
	static const uint64_t x_abs = X_ABS;
	g1p phi = *a, t;
	bls_fp_mul(&phi.x, &a->x, &bls_g1_beta);
	bls_g1_mul(&t, a, &x_abs, 1);
	bls_g1_mul(&t, &t, &x_abs, 1);
	bls_g1_neg(&t, &t);
	return bls_g1_eq(&phi, &t);
}

void bls_g1_generator(g1p *r)
{
	bls_g1_from_affine(r, &bls_g1_x, &bls_g1_y);
}

/* Flags in the top three bits of the first byte: 0x80 compressed, 0x40 infinity, 0x20 the
 * lexicographically larger y. Infinity is never a valid signature here, so it is refused. */
bool bls_g1_decode_on_curve(g1p *r, const uint8_t in[48])
{
	uint8_t buf[48];
	fp x, y, rhs;
	if ((in[0] & 0x80) == 0 || (in[0] & 0x40) != 0)
		return false;
	memcpy(buf, in, 48);
	buf[0] &= 0x1f;
	if (!bls_fp_from_bytes(&x, buf))
		return false;
	bls_fp_sqr(&rhs, &x);
	bls_fp_mul(&rhs, &rhs, &x);
	bls_fp_add(&rhs, &rhs, &bls_b1);
	if (!bls_fp_sqrt(&y, &rhs))
		return false;
	if (bls_fp_is_lexlargest(&y) != ((in[0] & 0x20) != 0))
		bls_fp_neg(&y, &y);
	bls_g1_from_affine(r, &x, &y);
	return true;
}

bool bls_g1_decompress(g1p *r, const uint8_t in[48])
{
	return bls_g1_decode_on_curve(r, in) && bls_g1_in_subgroup(r);
}

void bls_g1_compress(uint8_t out[48], const g1p *a)
{
	fp x, y;
	if (!bls_g1_to_affine(&x, &y, a)) {
		memset(out, 0, 48);
		out[0] = 0xc0;
		return;
	}
	bls_fp_to_bytes(out, &x);
	out[0] |= 0x80;
	if (bls_fp_is_lexlargest(&y))
		out[0] |= 0x20;
}
