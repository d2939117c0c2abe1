/* snapmeta_fuzzer.c - the metadata.json reader of icarc import and export (src/json.c,
 * src/snapshot_dir.c): a snapshot directory, or an archive's metadata.json entry, is not trusted. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "pull.h"
#include "snapshot_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[300];
	struct json *j;
	if (json_parse((const char *)data, size, &j, err, sizeof err) == 0) {
		FUZZ_ASSERT(j != NULL);
		uint64_t v;
		(void)json_u64(json_get(j, "wasm_module_size"), &v);
		json_free(j);
	} else {
		FUZZ_ASSERT(memchr(err, '\0', sizeof err) != NULL);
	}
	struct snapdir_meta m;
	if (snapdir_meta_parse((const char *)data, size, &m, err, sizeof err) == 0) {
		for (size_t i = 0; i < m.n_chunks; i++)
			FUZZ_ASSERT(m.hashes[i][0] == m.hashes[i][0]);
		snapdir_meta_free(&m);
	}
	return 0;
}
