/* certificate_fuzzer.c - certificate decoding and verification structure (delegation, ranges,
 * time) with the mainnet root key, request status lookup, and the subnet's canister ranges.
 * Signatures only verify for real certificates, so the checks before and after the BLS call are
 * what this exercises. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "ic/certificate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ic_cert c;
	char err[400];
	if (ic_cert_decode(&c, data, size, err, sizeof err) != 0)
		return 0;
	static const char ivg37[] = "ivg37-qiaaa-aaaab-aaaga-cai"; /* the canister of the recorded vectors */
	struct ic_cert_policy p;
	ic_cert_policy_init(&p, ic_mainnet_root_key, 0);
	p.check_time = 0;
	FUZZ_ASSERT(ic_principal_from_text(&p.target, ivg37, sizeof ivg37 - 1, err, sizeof err) == 0);
	(void)ic_cert_verify(&c, &p, err, sizeof err);
	uint64_t t;
	(void)ic_cert_time(&c, &t);
	uint8_t rid[32];
	memset(rid, 0, sizeof rid);
	struct ic_request_status st;
	if (ic_cert_request_status(&c, rid, &st, err, sizeof err) == 0 && st.reply != NULL)
		FUZZ_ASSERT(st.reply >= data && st.reply + st.reply_len <= data + size);
	struct ic_principal sub;
	ic_cert_signing_subnet(&c, ic_mainnet_root_key, &sub);
	struct ic_canister_range *r = NULL;
	size_t n = 0;
	if (ic_cert_canister_ranges(&c, ic_mainnet_root_key, &r, &n, err, sizeof err) == 0)
		(void)ic_canister_ranges_has(r, n, &p.target);
	free(r);
	ic_cert_free(&c);
	return 0;
}
