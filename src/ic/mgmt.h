/* mgmt.h - arguments and replies of the management canister (aaaaa-aa) methods icarc uses: the
 * canister snapshot API and canister status (ic-protocol.md §8, types of the current ic.did).
 * Calls to these go to the management canister (empty canister id) with the target canister as
 * the effective canister id. Replies decode with Candid subtyping, so fields added or missing
 * (older replicas) are handled as the spec says. */
#ifndef ICARC_IC_MGMT_H
#define ICARC_IC_MGMT_H
#include <stddef.h>
#include <stdint.h>

#include "ic/buf.h"
#include "ic/candid.h"
#include "ic/principal.h"

#define IC_SNAPSHOT_SLICE_MAX 2000000U /* replica MAX_SLICE_SIZE_BYTES */
#define IC_SNAPSHOT_ID_MAX 64U

enum ic_snapshot_kind { IC_SNAP_WASM_MODULE, IC_SNAP_WASM_MEMORY, IC_SNAP_STABLE_MEMORY, IC_SNAP_WASM_CHUNK };

/* The parsed management types (parsed once, kept for the process). NULL on failure. */
const struct ic_ctable *ic_mgmt_types(void);
/* Type references in that table, by name of the .did ("snapshot", "read_canister_snapshot_metadata_response",
 * "canister_status_result", ...); -1 if unknown. */
int32_t ic_mgmt_type(const char *name);

/* Arguments. All return 0, or -1 (out of memory, or a snapshot id over 64 bytes). */
int ic_mgmt_arg_canister(struct ic_buf *out, const struct ic_principal *canister); /* {canister_id} */
int ic_mgmt_arg_take_snapshot(struct ic_buf *out, const struct ic_principal *canister, const uint8_t *replace,
                              size_t replace_len /* 0: none */);
int ic_mgmt_arg_snapshot(struct ic_buf *out, const struct ic_principal *canister, const uint8_t *sid,
                         size_t sid_len); /* {canister_id; snapshot_id}: metadata, delete */
int ic_mgmt_arg_read_snapshot_data(struct ic_buf *out, const struct ic_principal *canister, const uint8_t *sid,
                                   size_t sid_len, enum ic_snapshot_kind kind, uint64_t offset, uint64_t size,
                                   const uint8_t *chunk_hash, size_t hash_len);

/* upload_canister_snapshot_metadata's argument (what read_canister_snapshot_metadata returns, less
 * what the IC sets itself: source, time, version, chunk store). */
enum ic_global_kind { IC_GLOBAL_I32, IC_GLOBAL_I64, IC_GLOBAL_F32, IC_GLOBAL_F64, IC_GLOBAL_V128 };
struct ic_snapshot_global {
	enum ic_global_kind kind;
	int64_t i;          /* i32, i64 */
	float f32;
	double f64;
	uint8_t v128[16];   /* a nat: little endian magnitude, v128_len bytes */
	size_t v128_len;
};
enum { IC_TIMER_NONE = -1, IC_TIMER_INACTIVE = 0, IC_TIMER_ACTIVE = 1 };
enum { IC_HOOK_NONE = -1, IC_HOOK_CONDITION_NOT_SATISFIED = 0, IC_HOOK_READY = 1, IC_HOOK_EXECUTED = 2 };
struct ic_snapshot_upload_metadata {
	uint64_t wasm_module_size, wasm_memory_size, stable_memory_size;
	const struct ic_snapshot_global *globals;
	size_t n_globals;
	const uint8_t *certified_data;
	size_t certified_data_len;
	int global_timer;          /* IC_TIMER_*: none (null), inactive, active at global_timer_at */
	uint64_t global_timer_at;
	int hook_status;           /* IC_HOOK_* */
};
int ic_mgmt_arg_upload_snapshot_metadata(struct ic_buf *out, const struct ic_principal *canister,
                                         const uint8_t *replace, size_t replace_len /* 0: none */,
                                         const struct ic_snapshot_upload_metadata *m);
/* upload_canister_snapshot_data: `n` bytes at `offset` of a memory or the module, or (kind
 * IC_SNAP_WASM_CHUNK, offset ignored) one chunk-store entry. */
int ic_mgmt_arg_upload_snapshot_data(struct ic_buf *out, const struct ic_principal *canister, const uint8_t *sid,
                                     size_t sid_len, enum ic_snapshot_kind kind, uint64_t offset, const uint8_t *chunk,
                                     size_t n);
/* load_canister_snapshot {canister_id; snapshot_id; sender_canister_version = null}. */
int ic_mgmt_arg_load_snapshot(struct ic_buf *out, const struct ic_principal *canister, const uint8_t *sid,
                              size_t sid_len);

struct ic_snapshot {
	uint8_t id[IC_SNAPSHOT_ID_MAX];
	size_t id_len;
	uint64_t taken_at_timestamp, total_size;
};
/* take_canister_snapshot's reply. 0 ok, -1 with a message. */
int ic_mgmt_decode_snapshot(const uint8_t *reply, size_t len, struct ic_snapshot *s, char *err, size_t errlen);
/* list_canister_snapshots' reply: up to max entries into s, count in *n. */
int ic_mgmt_decode_snapshot_list(const uint8_t *reply, size_t len, struct ic_snapshot *s, size_t max, size_t *n,
                                 char *err, size_t errlen);
/* read_canister_snapshot_data's reply: the chunk, pointing into reply (zero copy). */
int ic_mgmt_decode_chunk(const uint8_t *reply, size_t len, const uint8_t **chunk, size_t *n, char *err, size_t errlen);

/* upload_canister_snapshot_metadata's reply: the new snapshot's id (1..IC_SNAPSHOT_ID_MAX bytes). */
int ic_mgmt_decode_upload_metadata(const uint8_t *reply, size_t len, uint8_t *sid, size_t *sid_len, char *err,
                                   size_t errlen);
/* canister_status's reply: "running", "stopping" or "stopped" into status. */
int ic_mgmt_decode_status(const uint8_t *reply, size_t len, char *status, size_t statuslen, char *err, size_t errlen);

/* read_canister_snapshot_metadata's reply: the sizes and chunk hashes icarc needs; the whole
 * decoded record stays available in *value (arena owned by the caller) for metadata.json. */
struct ic_snapshot_metadata {
	uint64_t taken_at_timestamp, wasm_module_size, wasm_memory_size, stable_memory_size, canister_version;
	size_t n_chunks;
	const uint8_t *const *chunk_hash; /* n_chunks hashes (32 bytes each), into the reply */
	const uint8_t *certified_data;
	size_t certified_data_len;
	const struct ic_cvalue *value;
};
int ic_mgmt_decode_snapshot_metadata(const uint8_t *reply, size_t len, struct ic_arena *arena,
                                     struct ic_snapshot_metadata *m, char *err, size_t errlen);
#endif
