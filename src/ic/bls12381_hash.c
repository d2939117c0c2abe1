/* bls12381_hash.c - hash_to_curve for BLS12-381 G1, suite BLS12381G1_XMD:SHA-256_SSWU_RO_
 * (RFC 9380 8.8.1). Straightforward, not constant time: the inputs are public. */
#include <sodium.h>
#include <string.h>

#include "ic/bls12381_const.h"
#include "ic/bls12381_hash.h"

int bls_expand_message_xmd(uint8_t *out, size_t outlen, const uint8_t *msg, size_t msglen, const uint8_t *dst,
                           size_t dstlen)
{
	static const uint8_t zpad[64];
	static const char oversize[] = "H2C-OVERSIZE-DST-";
	uint8_t dsthash[32], b0[32], bi[32], prime[256];
	size_t ell = (outlen + 31) / 32;
	crypto_hash_sha256_state st;

	if (outlen == 0 || ell > 255 || (msglen > 0 && msg == NULL) || (dstlen > 0 && dst == NULL))
		return -1;
	if (dstlen > 255) {
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, (const uint8_t *)oversize, sizeof(oversize) - 1);
		crypto_hash_sha256_update(&st, dst, dstlen);
		crypto_hash_sha256_final(&st, dsthash);
		dst = dsthash;
		dstlen = 32;
	}
	/* DST_prime = DST || I2OSP(len(DST), 1) */
	if (dstlen > 0)
		memcpy(prime, dst, dstlen);
	prime[dstlen] = (uint8_t)dstlen;

	uint8_t lib[3] = {(uint8_t)(outlen >> 8), (uint8_t)outlen, 0};
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, zpad, sizeof(zpad)); /* Z_pad: the SHA-256 block size */
	if (msglen > 0)
		crypto_hash_sha256_update(&st, msg, msglen);
	crypto_hash_sha256_update(&st, lib, 3);
	crypto_hash_sha256_update(&st, prime, dstlen + 1);
	crypto_hash_sha256_final(&st, b0);

	memset(bi, 0, sizeof(bi)); /* b_0 xor 0 = b_0 for the first block */
	for (size_t i = 1; i <= ell; i++) {
		uint8_t x[32], idx = (uint8_t)i;
		for (int k = 0; k < 32; k++)
			x[k] = b0[k] ^ bi[k];
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, x, 32);
		crypto_hash_sha256_update(&st, &idx, 1);
		crypto_hash_sha256_update(&st, prime, dstlen + 1);
		crypto_hash_sha256_final(&st, bi);
		size_t off = (i - 1) * 32, n = outlen - off < 32 ? outlen - off : 32;
		memcpy(out + off, bi, n);
	}
	return 0;
}

/* count = 2, m = 1, L = 64 */
void bls_hash_to_field_g1(fp u[2], const uint8_t *msg, size_t msglen, const uint8_t *dst, size_t dstlen)
{
	uint8_t uniform[128];
	if (bls_expand_message_xmd(uniform, sizeof(uniform), msg, msglen, dst, dstlen) != 0) {
		/* unreachable with outlen = 128 unless pointers are NULL with nonzero lengths */
		memset(uniform, 0, sizeof(uniform));
	}
	bls_fp_from_bytes64(&u[0], uniform);
	bls_fp_from_bytes64(&u[1], uniform + 64);
}

/* g(x) = x^3 + A' x + B' on the isogenous curve E' */
static void gx_iso(fp *r, const fp *x)
{
	fp t;
	bls_fp_sqr(&t, x);
	bls_fp_add(&t, &t, &bls_sswu_a);
	bls_fp_mul(&t, &t, x);
	bls_fp_add(r, &t, &bls_sswu_b);
}

/* RFC 9380 6.6.2 (simplified SWU, the plain non-constant-time form) */
static void sswu(fp *x, fp *y, const fp *u)
{
	fp u2, zu2, tv1, x1, gx, t;
	bls_fp_sqr(&u2, u);
	bls_fp_mul(&zu2, &bls_sswu_z, &u2);
	bls_fp_sqr(&tv1, &zu2);
	bls_fp_add(&tv1, &tv1, &zu2); /* Z^2 u^4 + Z u^2 */
	bls_fp_inv(&tv1, &tv1);
	if (bls_fp_is_zero(&tv1)) {
		x1 = bls_sswu_b_over_za;
	} else {
		bls_fp_add(&t, &tv1, &bls_one);
		bls_fp_mul(&x1, &bls_sswu_minus_b_over_a, &t);
	}
	gx_iso(&gx, &x1);
	if (bls_fp_sqrt(y, &gx)) {
		*x = x1;
	} else {
		bls_fp_mul(x, &zu2, &x1); /* x2 = Z u^2 x1, and g(x2) is then a square */
		gx_iso(&gx, x);
		if (!bls_fp_sqrt(y, &gx))
			bls_fp_set_zero(y); /* impossible for a correct A', B', Z */
	}
	if (bls_fp_sgn0(u) != bls_fp_sgn0(y))
		bls_fp_neg(y, y);
}

/* Horner evaluation of sum k[i] x^i (i < n), plus x^n when monic */
static void poly(fp *r, const fp *k, int n, bool monic, const fp *x)
{
	fp acc;
	int i;
	if (monic) {
		acc = bls_one;
		i = n;
	} else {
		acc = k[n - 1];
		i = n - 1;
	}
	while (i-- > 0) {
		bls_fp_mul(&acc, &acc, x);
		bls_fp_add(&acc, &acc, &k[i]);
	}
	*r = acc;
}

void bls_map_to_curve_g1(g1p *r, const fp *u)
{
	fp xp, yp, xn, xd, yn, yd, x, y;
	sswu(&xp, &yp, u);
	poly(&xn, bls_iso_xnum, 12, false, &xp);
	poly(&xd, bls_iso_xden, 10, true, &xp);
	poly(&yn, bls_iso_ynum, 16, false, &xp);
	poly(&yd, bls_iso_yden, 15, true, &xp);
	if (bls_fp_is_zero(&xd) || bls_fp_is_zero(&yd)) {
		bls_g1_set_inf(r); /* the isogeny's kernel maps to the identity */
		return;
	}
	bls_fp_inv(&xd, &xd);
	bls_fp_inv(&yd, &yd);
	bls_fp_mul(&x, &xn, &xd);
	bls_fp_mul(&y, &yn, &yd);
	bls_fp_mul(&y, &y, &yp);
	bls_g1_from_affine(r, &x, &y);
}

void bls_hash_to_g1(g1p *r, const uint8_t *msg, size_t msglen, const uint8_t *dst, size_t dstlen)
{
	static const uint64_t h_eff = 0xd201000000010001ULL;
	fp u[2];
	g1p q0, q1;
	bls_hash_to_field_g1(u, msg, msglen, dst, dstlen);
	bls_map_to_curve_g1(&q0, &u[0]);
	bls_map_to_curve_g1(&q1, &u[1]);
	bls_g1_add(&q0, &q0, &q1);
	bls_g1_mul(r, &q0, &h_eff, 1);
}
