/* snapshot_dir.h - the snapshot directory of icp-cli and dfx (ic-protocol.md §8.3, prior-art.md §A4):
 *   metadata.json                      ReadCanisterSnapshotMetadataResult as JSON
 *   wasm_module.bin, wasm_memory.bin   (icp-cli: only when not empty; dfx: always)
 *   stable_memory.bin                  (icp-cli: always; dfx: only when not empty)
 *   wasm_chunk_store/<sha256 hex>.bin  one file per chunk-store entry (icp-cli: the folder always)
 * and the archive entries that hold the same: metadata.json, wasm_module, wasm_memory, stable_memory,
 * wasm_chunk/<sha256 hex>. */
#ifndef ICARC_SNAPSHOT_DIR_H
#define ICARC_SNAPSHOT_DIR_H
#include <stddef.h>
#include <stdint.h>

#define SNAPDIR_META_MAX (64U << 20) /* metadata.json: 10,000 chunks are ~1.5 MB; far above */

struct snapdir_meta {
	uint64_t sizes[3]; /* wasm_module, wasm_memory, stable_memory */
	uint64_t taken_at_timestamp;
	size_t n_chunks;
	uint8_t (*hashes)[32];
};
extern const char *const snapdir_entry[3]; /* "wasm_module", "wasm_memory", "stable_memory" */
extern const char *const snapdir_file[3];  /* "wasm_module.bin", ... */

/* Parse metadata.json text. 0, or -1 with a message. Free with snapdir_meta_free. */
int snapdir_meta_parse(const char *text, size_t len, struct snapdir_meta *m, char *err, size_t errlen);
void snapdir_meta_free(struct snapdir_meta *m);
#endif
