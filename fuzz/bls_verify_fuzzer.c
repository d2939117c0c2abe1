/* bls_verify_fuzzer.c - BLS12-381 point decoding and ic_bls_verify on arbitrary bytes.
 * Input: sig (48 bytes) || pk (96 bytes) || msg (the rest); shorter inputs are zero-padded.
 * Properties: a G1 or G2 encoding that decodes re-encodes to exactly the same bytes (one canonical
 * encoding per point) and decodes to a point on the curve in the prime-order subgroup;
 * ic_bls_verify answers 0 or 1 and never crashes. */
#include <string.h>

#include "fuzz/fuzz.h"
#include "ic/bls.h"
#include "ic/bls12381_curve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sig[48] = {0}, pk[96] = {0}, again[96];
	g1p p;
	g2p q;
	memcpy(sig, data, size < 48 ? size : 48);
	if (size > 48)
		memcpy(pk, data + 48, size - 48 < 96 ? size - 48 : 96);
	const uint8_t *msg = size > 144 ? data + 144 : NULL;
	size_t len = size > 144 ? size - 144 : 0;

	if (bls_g1_decompress(&p, sig)) {
		FUZZ_ASSERT(bls_g1_on_curve(&p) && bls_g1_in_subgroup(&p) && !bls_g1_is_inf(&p));
		bls_g1_compress(again, &p);
		FUZZ_ASSERT_MSG(memcmp(again, sig, 48) == 0, "G1 encoding not canonical");
	}
	if (bls_g2_decompress(&q, pk)) {
		FUZZ_ASSERT(bls_g2_on_curve(&q) && bls_g2_in_subgroup(&q) && !bls_g2_is_inf(&q));
		bls_g2_compress(again, &q);
		FUZZ_ASSERT_MSG(memcmp(again, pk, 96) == 0, "G2 encoding not canonical");
	}
	int v = ic_bls_verify(sig, pk, msg, len);
	FUZZ_ASSERT(v == 0 || v == 1);
	return 0;
}
