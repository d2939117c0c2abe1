/* pem_fuzzer.c - PEM and DER key parsing (src/ic/pem.c). */
#include <string.h>

#include "fuzz/fuzz.h"
#include "ic/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ic_identity id;
	char err[400];
	if (ic_identity_from_pem(&id, (const char *)data, size, err, sizeof err) == 0) {
		FUZZ_ASSERT(id.kind == IC_IDENTITY_ED25519 || id.kind == IC_IDENTITY_SECP256K1 || id.kind == IC_IDENTITY_P256);
		FUZZ_ASSERT(id.principal.len == 29 && id.principal.b[28] == 2);
		uint8_t sig[64];
		/* P-256 keys are read for their principal only */
		FUZZ_ASSERT((ic_identity_sign(&id, data, size < 64 ? size : 64, sig) == 0) == (id.kind != IC_IDENTITY_P256));
		ic_identity_wipe(&id);
	} else {
		FUZZ_ASSERT(err[0] != 0);
	}
	return 0;
}
