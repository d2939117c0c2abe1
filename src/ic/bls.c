/* bls.c - ic_bls_verify: BLS signature verification, ciphersuite
 * BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_ (signatures in G1, public keys in G2), as the one
 * product-of-pairings check e(sig, -g2) * e(H(m), pk) == 1. */
#include "ic/bls.h"
#include "ic/bls12381_hash.h"
#include "ic/bls12381_pairing.h"

static const char dst[] = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";

int ic_bls_verify(const uint8_t sig[IC_BLS_SIGBYTES], const uint8_t pk[IC_BLS_PKBYTES], const uint8_t *msg,
                  size_t len)
{
	g1p p[2];
	g2p q[2];
	fp12 f;

	if (sig == NULL || pk == NULL || (msg == NULL && len > 0))
		return 0;
	/* decompression checks canonical x, on curve, subgroup, and refuses infinity */
	if (!bls_g1_decompress(&p[0], sig) || !bls_g2_decompress(&q[1], pk))
		return 0;
	bls_hash_to_g1(&p[1], msg, len, (const uint8_t *)dst, sizeof(dst) - 1);
	if (bls_g1_is_inf(&p[1]))
		return 0; /* probability 2^-255; the check would then need sig = infinity */
	bls_g2_generator(&q[0]);
	bls_g2_neg(&q[0], &q[0]);
	bls_pairing(&f, p, q, 2);
	return bls_fp12_is_one(&f) ? 1 : 0;
}
