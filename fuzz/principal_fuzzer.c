/* principal_fuzzer.c - principal text parsing; every accepted text is canonical and round-trips,
 * and every byte string of at most 29 bytes round-trips through text. */
#include <string.h>
#include <strings.h>

#include "fuzz/fuzz.h"
#include "ic/principal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ic_principal p, q;
	char err[200], t[IC_PRINCIPAL_MAXTEXT];
	if (ic_principal_from_text(&p, (const char *)data, size, err, sizeof err) == 0) {
		size_t n = ic_principal_to_text(&p, t);
		FUZZ_ASSERT(n == size && strncasecmp(t, (const char *)data, n) == 0);
	}
	if (size <= IC_PRINCIPAL_MAXBYTES) {
		FUZZ_ASSERT(ic_principal_from_bytes(&p, data, size) == 0);
		size_t n = ic_principal_to_text(&p, t);
		FUZZ_ASSERT(n < IC_PRINCIPAL_MAXTEXT);
		FUZZ_ASSERT_MSG(ic_principal_from_text(&q, t, n, err, sizeof err) == 0, err);
		FUZZ_ASSERT(ic_principal_cmp(&p, &q) == 0);
	}
	return 0;
}
