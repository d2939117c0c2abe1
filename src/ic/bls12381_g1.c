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

void bls_g1_generator(g1p *r)
{
	bls_g1_from_affine(r, &bls_g1_x, &bls_g1_y);
}

/* Flags in the top three bits of the first byte: 0x80 compressed, 0x40 infinity, 0x20 the
 * lexicographically larger y. Infinity is never a valid signature here, so it is refused. */
bool bls_g1_decompress(g1p *r, const uint8_t in[48])
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
	return bls_g1_in_subgroup(r);
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
