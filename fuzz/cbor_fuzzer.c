/* cbor_fuzzer.c - the strict CBOR decoder (src/ic/cbor.c) and the representation-independent
 * hash over whatever it accepts. */
#include <string.h>

#include "fuzz/fuzz.h"
#include "ic/cbor.h"
#include "ic/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ic_cbor_doc d;
	char err[200];
	if (ic_cbor_decode(data, size, NULL, &d, err, sizeof err) != 0) {
		FUZZ_ASSERT(strstr(err, "at byte") != NULL);
		return 0;
	}
	FUZZ_ASSERT(d.n >= 1 && d.items[0].size == d.n);
	for (size_t i = 0; i < d.n; i++) {
		const struct ic_cbor_item *it = &d.items[i];
		FUZZ_ASSERT(it->size >= 1 && i + it->size <= d.n && it->off < size);
		if (it->type == IC_CBOR_BYTES || it->type == IC_CBOR_TEXT)
			FUZZ_ASSERT(it->p >= data && it->p + it->v <= data + size);
	}
	size_t top = ic_cbor_untag(&d, 0);
	uint8_t h[32];
	if (top != IC_CBOR_NONE) {
		(void)ic_hash_of_value(&d, top, h);
		(void)ic_cbor_map_get(&d, top, "certificate");
		(void)ic_cbor_array_at(&d, top, 1);
	}
	ic_cbor_doc_free(&d);
	return 0;
}
