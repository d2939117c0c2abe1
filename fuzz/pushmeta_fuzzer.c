/* pushmeta_fuzzer.c - icarc push's reader of an archive's metadata.json (src/push_meta.c over
 * src/json.c): an archive is not trusted, and what is read goes into a Candid argument. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "push.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[300];
	struct push_meta pm;
	if (push_meta_parse((const char *)data, size, &pm, err, sizeof err) == 0) {
		struct ic_principal c;
		memset(&c, 0, sizeof c);
		struct ic_buf b;
		ic_buf_init(&b);
		/* what was accepted must encode */
		FUZZ_ASSERT(ic_mgmt_arg_upload_snapshot_metadata(&b, &c, NULL, 0, &pm.m) == 0 || b.oom);
		ic_buf_free(&b);
		push_meta_free(&pm);
	} else {
		FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL);
	}
	return 0;
}
