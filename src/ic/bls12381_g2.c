/* bls12381_g2.c - G2 points: arithmetic (bls12381_point.inc) and the ZCash compressed format
 * (x.c1 first, then x.c0, flags in the first byte as for G1). */
#include <string.h>

#include "ic/bls12381_const.h"
#include "ic/bls12381_curve.h"

#define PT g2p
#define FE fp2
#define PFX(n) bls_g2_##n
#define FE_(n) bls_fp2_##n
#define CURVE_B bls_b2
#include "ic/bls12381_point.inc"

#define X_ABS 0xd201000000010000ULL /* the BLS parameter is x = -X_ABS */

/* a is in G2 iff psi(a) = [x]a, psi the untwist-Frobenius-twist endomorphism
 * (conj(x) / xi^((p-1)/3), conj(y) / xi^((p-1)/2)) (Scott, ePrint 2021/1130). In Jacobian
 * coordinates z is conjugated too. */
bool bls_g2_in_subgroup(const g2p *a)
{
	static const uint64_t x_abs = X_ABS;
	g2p psi, t;
	bls_fp2_conj(&psi.x, &a->x);
	bls_fp2_mul(&psi.x, &psi.x, &bls_psi_cx);
	bls_fp2_conj(&psi.y, &a->y);
	bls_fp2_mul(&psi.y, &psi.y, &bls_psi_cy);
	bls_fp2_conj(&psi.z, &a->z);
	bls_g2_mul(&t, a, &x_abs, 1);
	bls_g2_neg(&t, &t);
	return bls_g2_eq(&psi, &t);
}

void bls_g2_generator(g2p *r)
{
	bls_g2_from_affine(r, &bls_g2_x, &bls_g2_y);
}

bool bls_g2_decode_on_curve(g2p *r, const uint8_t in[96])
{
	uint8_t buf[48];
	fp2 x, y, rhs;
	if ((in[0] & 0x80) == 0 || (in[0] & 0x40) != 0)
		return false;
	memcpy(buf, in, 48);
	buf[0] &= 0x1f;
	if (!bls_fp_from_bytes(&x.c1, buf) || !bls_fp_from_bytes(&x.c0, in + 48))
		return false;
	bls_fp2_sqr(&rhs, &x);
	bls_fp2_mul(&rhs, &rhs, &x);
	bls_fp2_add(&rhs, &rhs, &bls_b2);
	if (!bls_fp2_sqrt(&y, &rhs))
		return false;
	if (bls_fp2_is_lexlargest(&y) != ((in[0] & 0x20) != 0))
		bls_fp2_neg(&y, &y);
	bls_g2_from_affine(r, &x, &y);
	return true;
}

bool bls_g2_decompress(g2p *r, const uint8_t in[96])
{
	return bls_g2_decode_on_curve(r, in) && bls_g2_in_subgroup(r);
}

void bls_g2_compress(uint8_t out[96], const g2p *a)
{
	fp2 x, y;
	if (!bls_g2_to_affine(&x, &y, a)) {
		memset(out, 0, 96);
		out[0] = 0xc0;
		return;
	}
	bls_fp_to_bytes(out, &x.c1);
	bls_fp_to_bytes(out + 48, &x.c0);
	out[0] |= 0x80;
	if (bls_fp2_is_lexlargest(&y))
		out[0] |= 0x20;
}
