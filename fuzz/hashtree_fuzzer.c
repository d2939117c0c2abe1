/* hashtree_fuzzer.c - hash tree checks, digests and lookups (src/ic/hashtree.c); the lookup path
 * is taken from the end of the input. */
#include <string.h>

#include "fuzz/fuzz.h"
#include "ic/hashtree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_producer fp = {data, size};
	unsigned nlab = fuzz_u32(&fp, 0, 4);
	struct ic_label l[4];
	for (unsigned i = 0; i < nlab; i++) {
		unsigned len = fuzz_u32(&fp, 0, 4);
		if (len > fp.size)
			len = (unsigned)fp.size;
		fp.size -= len;
		l[i].p = fp.data + fp.size;
		l[i].len = len;
	}
	struct ic_cbor_doc d;
	char err[200];
	if (ic_cbor_decode(fp.data, fp.size, NULL, &d, err, sizeof err) != 0)
		return 0;
	if (ic_hashtree_check(&d, 0, err, sizeof err) == 0) {
		uint8_t h[32];
		const uint8_t *v;
		size_t vl;
		ic_hashtree_digest(&d, 0, h);
		enum ic_lookup r = ic_hashtree_lookup(&d, 0, l, nlab, &v, &vl);
		if (r == IC_LOOKUP_FOUND)
			FUZZ_ASSERT(v >= fp.data && v + vl <= fp.data + fp.size);
	}
	ic_cbor_doc_free(&d);
	return 0;
}
