// Candid types of the management canister methods this replica serves (current interface spec ic.did,
// dfinity/developer-docs public/references/ic.did) and of the stable-memory interface (spec/CANISTER.md).
import { IDL } from '@icp-sdk/core/candid';
import { leb128, concat } from './util.mjs';
import { decode as fastDecode } from './cdecode.mjs';

export { IDL };
const P = IDL.Principal, B = IDL.Vec(IDL.Nat8), N64 = IDL.Nat64, Opt = IDL.Opt;

const visibility = IDL.Variant({ controllers: IDL.Null, public: IDL.Null, allowed_viewers: IDL.Vec(P) });
export const CanisterIdArg = IDL.Record({ canister_id: P });
const definiteSettings = IDL.Record({
  controllers: IDL.Vec(P),
  compute_allocation: IDL.Nat,
  memory_allocation: IDL.Nat,
  freezing_threshold: IDL.Nat,
  reserved_cycles_limit: IDL.Nat,
  minimum_incoming_canister_call_cycles: IDL.Nat,
  log_visibility: visibility,
  log_memory_limit: IDL.Nat,
  snapshot_visibility: visibility,
  status_visibility: visibility,
  wasm_memory_limit: IDL.Nat,
  wasm_memory_threshold: IDL.Nat,
  environment_variables: IDL.Vec(IDL.Record({ name: IDL.Text, value: IDL.Text })),
});
export const CanisterStatusResult = IDL.Record({
  status: IDL.Variant({ running: IDL.Null, stopping: IDL.Null, stopped: IDL.Null }),
  ready_for_migration: IDL.Bool,
  version: N64,
  settings: definiteSettings,
  module_hash: Opt(B),
  memory_size: IDL.Nat,
  memory_metrics: IDL.Record({
    wasm_memory_size: IDL.Nat, stable_memory_size: IDL.Nat, global_memory_size: IDL.Nat,
    wasm_binary_size: IDL.Nat, custom_sections_size: IDL.Nat, canister_history_size: IDL.Nat,
    wasm_chunk_store_size: IDL.Nat, snapshots_size: IDL.Nat, log_memory_store_size: IDL.Nat,
  }),
  cycles: IDL.Nat,
  reserved_cycles: IDL.Nat,
  idle_cycles_burned_per_day: IDL.Nat,
  query_stats: IDL.Record({
    num_calls_total: IDL.Nat, num_instructions_total: IDL.Nat,
    request_payload_bytes_total: IDL.Nat, response_payload_bytes_total: IDL.Nat,
  }),
});
export const UploadChunkArgs = IDL.Record({ canister_id: P, chunk: B });
export const ChunkHash = IDL.Record({ hash: B });
export const Snapshot = IDL.Record({ id: B, taken_at_timestamp: N64, total_size: N64 });
export const TakeSnapshotArgs = IDL.Record({
  canister_id: P, replace_snapshot: Opt(B), uninstall_code: Opt(IDL.Bool), sender_canister_version: Opt(N64),
});
export const LoadSnapshotArgs = IDL.Record({ canister_id: P, snapshot_id: B, sender_canister_version: Opt(N64) });
export const SnapshotRef = IDL.Record({ canister_id: P, snapshot_id: B });
const Global = IDL.Variant({ i32: IDL.Int32, i64: IDL.Int64, f32: IDL.Float32, f64: IDL.Float64, v128: IDL.Nat });
const GlobalTimer = IDL.Variant({ inactive: IDL.Null, active: N64 });
const HookStatus = IDL.Variant({ condition_not_satisfied: IDL.Null, ready: IDL.Null, executed: IDL.Null });
export const SnapshotMetadata = IDL.Record({
  source: IDL.Variant({ taken_from_canister: IDL.Reserved, metadata_upload: IDL.Reserved }),
  taken_at_timestamp: N64,
  wasm_module_size: N64,
  globals: IDL.Vec(Global),
  wasm_memory_size: N64,
  stable_memory_size: N64,
  wasm_chunk_store: IDL.Vec(IDL.Record({ hash: B })),
  canister_version: N64,
  certified_data: B,
  global_timer: Opt(GlobalTimer),
  on_low_wasm_memory_hook_status: Opt(HookStatus),
});
const Slice = IDL.Record({ offset: N64, size: N64 });
export const ReadDataArgs = IDL.Record({
  canister_id: P, snapshot_id: B,
  kind: IDL.Variant({ wasm_module: Slice, wasm_memory: Slice, stable_memory: Slice, wasm_chunk: IDL.Record({ hash: B }) }),
});
export const ReadDataResult = IDL.Record({ chunk: B });
export const UploadMetadataArgs = IDL.Record({
  canister_id: P, replace_snapshot: Opt(B), wasm_module_size: N64, globals: IDL.Vec(Global),
  wasm_memory_size: N64, stable_memory_size: N64, certified_data: B,
  global_timer: Opt(GlobalTimer), on_low_wasm_memory_hook_status: Opt(HookStatus),
});
export const UploadMetadataResult = IDL.Record({ snapshot_id: B });
const Off = IDL.Record({ offset: N64 });
export const UploadDataArgs = IDL.Record({
  canister_id: P, snapshot_id: B,
  kind: IDL.Variant({ wasm_module: Off, wasm_memory: Off, stable_memory: Off, wasm_chunk: IDL.Null }),
  chunk: B,
});

export const encode = (types, vals) => new Uint8Array(IDL.encode(types, vals));
export const decode = (types, bytes) => fastDecode(types, bytes);

// Fast paths for the hot replies: (vec nat8) and record { chunk : blob } without copying through IDL.
const BLOB_PREFIX = new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0x01, 0x6d, 0x7b, 0x01, 0x00]);
// field id of "chunk" = 0x45c2c66d (leb128 ed 8c 8b ae 04)
const CHUNK_PREFIX = new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0x02, 0x6d, 0x7b, 0x6c, 0x01, 0xed, 0x8c, 0x8b, 0xae, 0x04, 0x00, 0x01, 0x01]);
export const encodeBlob = (b) => concat(BLOB_PREFIX, leb128(b.length), b);
export const encodeChunkRecord = (b) => concat(CHUNK_PREFIX, leb128(b.length), b);
// The Candid bytes before a blob of length n, for reading memory straight after them.
export const blobPrefix = (n) => concat(BLOB_PREFIX, leb128(n));
export const chunkRecordPrefix = (n) => concat(CHUNK_PREFIX, leb128(n));
export const EMPTY_REPLY = new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0x00, 0x00]);

// The canister_id field of a management-canister argument (for the effective canister id), or null.
export function argCanisterId(arg) {
  for (const T of [CanisterIdArg, IDL.Record({ target_canister: P })]) {
    try {
      const [v] = fastDecode([T], arg);
      const p = v.canister_id ?? v.target_canister;
      if (p) return p.toUint8Array();
    } catch { /* try the next shape */ }
  }
  return null;
}
export const MAX_REPLY_GUARD = 3 * 1024 * 1024;
