/* bls_verify_fuzzer.c - BLS12-381 point decoding, hashing and ic_bls_verify on arbitrary bytes.
 * Input: sig (48 bytes) || pk (96 bytes) || msg (the rest); shorter inputs are zero-padded.
 * Properties:
 *  - an encoding that decodes re-encodes to exactly the same bytes (one encoding per point) and
 *    gives a finite point on the curve;
 *  - the fast (endomorphism) subgroup test agrees with [r]P = O on every decoded point;
 *  - H(msg) is a finite point of G1;
 *  - ic_bls_verify answers 0 or 1, and 1 only for encodings that decompress. */
#include <string.h>

#include "fuzz/fuzz.h"
#include "ic/bls.h"
#include "ic/bls12381_curve.h"
#include "ic/bls12381_hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char dst[] = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";
	uint8_t sig[48] = {0}, pk[96] = {0}, again[96];
	g1p p, h;
	g2p q;
	bool sig_ok = false, pk_ok = false;
	memcpy(sig, data, size < 48 ? size : 48);
	if (size > 48)
		memcpy(pk, data + 48, size - 48 < 96 ? size - 48 : 96);
	const uint8_t *msg = size > 144 ? data + 144 : NULL;
	size_t len = size > 144 ? size - 144 : 0;

	if (bls_g1_decode_on_curve(&p, sig)) {
		FUZZ_ASSERT(bls_g1_on_curve(&p) && !bls_g1_is_inf(&p));
		bls_g1_compress(again, &p);
		FUZZ_ASSERT_MSG(memcmp(again, sig, 48) == 0, "G1 encoding not canonical");
		sig_ok = bls_g1_in_subgroup(&p);
		FUZZ_ASSERT_MSG(sig_ok == bls_g1_in_subgroup_by_order(&p), "G1 subgroup tests disagree");
	}
	FUZZ_ASSERT(bls_g1_decompress(&p, sig) == sig_ok);
	if (bls_g2_decode_on_curve(&q, pk)) {
		FUZZ_ASSERT(bls_g2_on_curve(&q) && !bls_g2_is_inf(&q));
		bls_g2_compress(again, &q);
		FUZZ_ASSERT_MSG(memcmp(again, pk, 96) == 0, "G2 encoding not canonical");
		pk_ok = bls_g2_in_subgroup(&q);
		FUZZ_ASSERT_MSG(pk_ok == bls_g2_in_subgroup_by_order(&q), "G2 subgroup tests disagree");
	}
	FUZZ_ASSERT(bls_g2_decompress(&q, pk) == pk_ok);
	bls_hash_to_g1(&h, msg, len, (const uint8_t *)dst, sizeof(dst) - 1);
	FUZZ_ASSERT_MSG(!bls_g1_is_inf(&h) && bls_g1_on_curve(&h) && bls_g1_in_subgroup(&h), "H(msg) not in G1");
	int v = ic_bls_verify(sig, pk, msg, len);
	FUZZ_ASSERT(v == 0 || v == 1);
	FUZZ_ASSERT(v == 0 || (sig_ok && pk_ok));
	return 0;
}
