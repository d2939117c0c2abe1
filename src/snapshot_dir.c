/* snapshot_dir.c - what icarc import and export know of icp-cli's and dfx's snapshot directories:
 * the sizes and chunk hashes of metadata.json, which say which files must exist and how large. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pull.h"
#include "snapshot_dir.h"

const char *const snapdir_entry[3] = {"wasm_module", "wasm_memory", "stable_memory"};
const char *const snapdir_file[3] = {"wasm_module.bin", "wasm_memory.bin", "stable_memory.bin"};

void snapdir_meta_free(struct snapdir_meta *m)
{
	free(m->hashes);
	m->hashes = NULL;
}

int snapdir_meta_parse(const char *text, size_t len, struct snapdir_meta *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	struct json *j;
	if (json_parse(text, len, &j, err, errlen) != 0)
		return -1;
	static const char *keys[3] = {"wasm_module_size", "wasm_memory_size", "stable_memory_size"};
	int rc = -1;
	for (int k = 0; k < 3; k++)
		if (json_u64(json_get(j, keys[k]), &m->sizes[k]) != 0) {
			snprintf(err, errlen, "%s is missing or not a number", keys[k]);
			goto out;
		}
	/* older writers may lack these two: no timestamp, no chunk store */
	const struct json *ts = json_get(j, "taken_at_timestamp");
	if (ts != NULL && json_u64(ts, &m->taken_at_timestamp) != 0) {
		snprintf(err, errlen, "taken_at_timestamp is not a number");
		goto out;
	}
	const struct json *store = json_get(j, "wasm_chunk_store");
	static const struct json none = {JSON_ARRAY, 0, NULL, 0, NULL, 0, NULL, 0, NULL};
	if (store == NULL)
		store = &none;
	if (store->type != JSON_ARRAY) {
		snprintf(err, errlen, "wasm_chunk_store is not an array");
		goto out;
	}
	m->hashes = calloc(store->n + 1, sizeof *m->hashes);
	if (m->hashes == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < store->n; i++) {
		const struct json *h = json_get(&store->kids[i], "hash");
		if (h == NULL || h->type != JSON_ARRAY || h->n != 32) {
			snprintf(err, errlen, "wasm_chunk_store[%zu].hash is not an array of 32 bytes", i);
			goto out;
		}
		for (size_t b = 0; b < 32; b++) {
			uint64_t v;
			if (json_u64(&h->kids[b], &v) != 0 || v > 255) {
				snprintf(err, errlen, "wasm_chunk_store[%zu].hash[%zu] is not a byte", i, b);
				goto out;
			}
			m->hashes[i][b] = (uint8_t)v;
		}
	}
	m->n_chunks = store->n;
	rc = 0;
out:
	json_free(j);
	if (rc != 0)
		snapdir_meta_free(m);
	return rc;
}
