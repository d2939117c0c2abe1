// Execution: the stable-memory canister interface (spec/CANISTER.md) and the management canister
// (snapshot API, canister_status, stop/start). Results are { reply } or { reject: {code, message, error_code} }.
// Error codes and texts: dfinity/ic rs/types/error_types (ErrorCode) and
// rs/execution_environment/src/canister_manager.rs (CanisterManagerError → UserError).
import fs from 'node:fs';
import path from 'node:path';
import { Principal } from '@icp-sdk/core/principal';
import * as C from './candid.mjs';
import { hex, unhex, sha256, principalText, nowNs, toBig, leb128 } from './util.mjs';
import { PAGE, MAX_SNAPSHOTS } from './state.mjs';

export const MAX_SLICE = 2000000;
export const MAX_REPLY_UPDATE = 2 * 1024 * 1024;
export const MAX_REPLY_QUERY = 3 * 1024 * 1024;
const MAX_CHUNK = 1024 * 1024;

export const reject = (code, error_code, message) => ({ reject: { code, error_code, message } });
const canisterReject = (message) => reject(4, 'IC0406', message);
const trapped = (id, what) => reject(5, 'IC0502', `Error from Canister ${id}: Canister trapped: ${what}.`);
const payload = (message) => reject(4, 'IC0408', message);
export const notFound = (id) => reject(3, 'IC0301', `Canister ${id} not found.`);
const snapshotNotFound = (cid, sid) => reject(3, 'IC0305', `Could not find the snapshot ID ${sid} for canister ${cid}.`);
const invalidController = (c, sender) => reject(5, 'IC0512',
  `Only the controllers of the canister ${c.text} can control it.\nCanister's controllers: ${c.meta.controllers.join(' ')}\nSender's ID: ${sender}`);
const stopped = (c) => reject(5, 'IC0508', `Canister ${c.text} is stopped and therefore does not have a CallContextManager`);

const STABLE_QUERIES = new Set(['stable_size', 'stable_read', 'stable_token']);
const STABLE_UPDATES = new Set(['stable_write']);
const MGMT_QUERIES = new Set(['canister_status']);
const MGMT_UPDATES = new Set(['canister_status', 'stop_canister', 'start_canister', 'take_canister_snapshot',
  'load_canister_snapshot', 'list_canister_snapshots', 'delete_canister_snapshot', 'read_canister_snapshot_metadata',
  'read_canister_snapshot_data', 'upload_canister_snapshot_metadata', 'upload_canister_snapshot_data',
  'upload_chunk', 'stored_chunks', 'clear_chunk_store']);

export class Executor {
  constructor(state, counters) { this.state = state; this.counters = counters; }

  // Checks done before a message is accepted (the replica's ingress filter). null = accepted.
  ingressFilter(ctx) {
    if (ctx.canisterId.length === 0) {
      if (!MGMT_UPDATES.has(ctx.method)) {
        return reject(4, 'IC0407', `Management canister has no method '${ctx.method}'`);
      }
      const target = this.state.get(ctx.ecid);
      if (!target) return notFound(principalText(ctx.ecid));
      if (!target.isController(ctx.senderText)) {
        return reject(5, 'IC0512', `Only controllers of canister ${target.text} can call ic00 method ${ctx.method}`);
      }
      return null;
    }
    const c = this.state.get(ctx.canisterId);
    if (!c) return notFound(principalText(ctx.canisterId));
    if (c.meta.status === 'stopped') return stopped(c);
    if (c.meta.status === 'stopping') return reject(5, 'IC0509', `Canister ${c.text} is stopping`);
    if (!STABLE_UPDATES.has(ctx.method) && !STABLE_QUERIES.has(ctx.method)) {
      return reject(5, 'IC0536', `Error from Canister ${c.text}: Canister has no update method '${ctx.method}'.`);
    }
    return null;
  }

  run(ctx) {
    const res = this.#run(ctx);
    if (res.reply) {
      const limit = ctx.replicated ? MAX_REPLY_UPDATE : MAX_REPLY_QUERY;
      if (res.reply.length > limit) {
        const id = ctx.canisterId.length ? principalText(ctx.canisterId) : 'aaaaa-aa';
        return reject(5, 'IC0504', `Error from Canister ${id}: Canister violated contract: ic0.msg_reply_data_append: application payload size (${res.reply.length}) cannot be larger than ${limit}.`);
      }
    }
    return res;
  }

  #run(ctx) {
    if (ctx.canisterId.length === 0) return this.#management(ctx);
    const c = this.state.get(ctx.canisterId);
    if (!c) return notFound(principalText(ctx.canisterId));
    if (c.meta.status === 'stopped') return stopped(c);
    const known = STABLE_QUERIES.has(ctx.method) || STABLE_UPDATES.has(ctx.method);
    if (!known) {
      return reject(5, 'IC0536', `Error from Canister ${c.text}: Canister has no ${ctx.replicated ? 'update' : 'query'} method '${ctx.method}'.`);
    }
    return this.#stable(c, ctx);
  }

  #mayRead(c, ctx) {
    return c.isController(ctx.senderText) || c.meta.readers.includes('*') || c.meta.readers.includes(ctx.senderText)
      || (c.meta.writers ?? []).includes(ctx.senderText);
  }
  #mayWrite(c, ctx) { return c.isController(ctx.senderText) || (c.meta.writers ?? []).includes(ctx.senderText); }

  #stable(c, ctx) {
    let args;
    try {
      switch (ctx.method) {
        case 'stable_size': case 'stable_token': args = C.decode([], ctx.arg); break;
        case 'stable_read': args = C.decode([C.IDL.Nat64, C.IDL.Nat64], ctx.arg); break;
        case 'stable_write': args = C.decode([C.IDL.Nat64, C.IDL.Vec(C.IDL.Nat8)], ctx.arg); break;
        default: break;
      }
    } catch (e) {
      return reject(5, 'IC0503', `Error from Canister ${c.text}: Canister called \`ic0.trap\` with message: 'failed to decode call arguments: ${e.message.split('\n')[0]}'.`);
    }
    if (ctx.method === 'stable_write' ? !this.#mayWrite(c, ctx) : !this.#mayRead(c, ctx)) {
      return canisterReject(`Caller ${ctx.senderText} is not authorized to call ${ctx.method} on canister ${c.text}`);
    }
    switch (ctx.method) {
      case 'stable_size':
        return { reply: C.encode([C.IDL.Nat64], [BigInt(c.stableSize)]) };
      case 'stable_token': {
        const t = new Uint8Array(8);
        new DataView(t.buffer).setBigUint64(0, BigInt(c.meta.token));
        return { reply: C.encodeBlob(t) };
      }
      case 'stable_read': {
        const [offset, len] = args.map(Number);
        if (offset + len > c.stableSize) return trapped(c.text, 'stable memory out of bounds');
        if (len > C.MAX_REPLY_GUARD) return { reply: { length: 9 + leb128(len).length + len } }; // refused by run() unread
        this.counters.stable_reads += 1;
        this.counters.stable_read_bytes += len;
        return { reply: len ? c.mem.stable_memory.read(offset, len, C.blobPrefix(len)) : C.encodeBlob(new Uint8Array(0)) };
      }
      case 'stable_write': {
        if (!ctx.replicated) return { reply: C.EMPTY_REPLY }; // executed as a query: state changes are discarded
        const offset = Number(args[0]);
        const data = args[1];
        const end = offset + data.length;
        if (end > c.stableSize) {
          const size = Math.ceil(end / PAGE) * PAGE;
          c.mem.stable_memory.truncate(size);
          c.meta.stable_size = size;
        }
        c.mem.stable_memory.write(offset, data);
        c.touchStable();
        c.save();
        return { reply: C.EMPTY_REPLY };
      }
      default: return reject(5, 'IC0536', `Canister has no method '${ctx.method}'`);
    }
  }

  #management(ctx) {
    const m = ctx.method;
    if (!ctx.replicated && !MGMT_QUERIES.has(m)) {
      return reject(3, 'IC0536', `Management canister has no query method '${m}'`);
    }
    if (!MGMT_UPDATES.has(m)) return reject(4, 'IC0407', `Management canister has no method '${m}'`);
    const T = {
      canister_status: C.CanisterIdArg, stop_canister: C.CanisterIdArg, start_canister: C.CanisterIdArg,
      take_canister_snapshot: C.TakeSnapshotArgs, load_canister_snapshot: C.LoadSnapshotArgs,
      list_canister_snapshots: C.CanisterIdArg, delete_canister_snapshot: C.SnapshotRef,
      read_canister_snapshot_metadata: C.SnapshotRef, read_canister_snapshot_data: C.ReadDataArgs,
      upload_canister_snapshot_metadata: C.UploadMetadataArgs, upload_canister_snapshot_data: C.UploadDataArgs,
      upload_chunk: C.UploadChunkArgs, stored_chunks: C.CanisterIdArg, clear_chunk_store: C.CanisterIdArg,
    }[m];
    let a;
    try {
      [a] = C.decode([T], ctx.arg);
    } catch (e) {
      return payload(`Error decoding candid: ${e.message.split('\n')[0]}`);
    }
    const c = this.state.get(a.canister_id.toUint8Array());
    if (!c) return notFound(a.canister_id.toText());
    if (!c.isController(ctx.senderText)) return invalidController(c, ctx.senderText);
    this.counters.management[m] = (this.counters.management[m] ?? 0) + 1;
    switch (m) {
      case 'canister_status': return { reply: C.encode([C.CanisterStatusResult], [this.#status(c)]) };
      case 'stop_canister': c.meta.status = 'stopped'; c.bump(); c.save(); return { reply: C.EMPTY_REPLY };
      case 'start_canister': c.meta.status = 'running'; c.bump(); c.save(); return { reply: C.EMPTY_REPLY };
      case 'list_canister_snapshots':
        return { reply: C.encode([C.IDL.Vec(C.Snapshot)], [c.listSnapshots().map((s) => this.#snapRecord(c, s))]) };
      case 'take_canister_snapshot': return this.#take(c, a);
      case 'delete_canister_snapshot': {
        const sid = hex(a.snapshot_id);
        if (!c.getSnapshot(sid)) return this.#missingSnapshot(c, sid);
        c.deleteSnapshot(sid);
        return { reply: C.EMPTY_REPLY };
      }
      case 'load_canister_snapshot': return this.#load(c, a, ctx);
      case 'read_canister_snapshot_metadata': {
        const s = c.getSnapshot(hex(a.snapshot_id));
        if (!s) return this.#missingSnapshot(c, hex(a.snapshot_id));
        return { reply: C.encode([C.SnapshotMetadata], [this.#metadata(s)]) };
      }
      case 'read_canister_snapshot_data': return this.#readData(c, a);
      case 'upload_canister_snapshot_metadata': return this.#uploadMetadata(c, a);
      case 'upload_canister_snapshot_data': return this.#uploadData(c, a);
      case 'upload_chunk': {
        const r = c.addChunk(a.chunk);
        if (r.error) return reject(5, 'IC0504', `Error from Wasm chunk store: ${r.error}.`);
        return { reply: C.encode([C.ChunkHash], [{ hash: unhex(r.hash) }]) };
      }
      case 'stored_chunks':
        return { reply: C.encode([C.IDL.Vec(C.ChunkHash)], [c.meta.chunks.map((h) => ({ hash: unhex(h) }))]) };
      case 'clear_chunk_store':
        c.clearChunks();
        return { reply: C.EMPTY_REPLY };
      default: return reject(4, 'IC0407', `Management canister has no method '${m}'`);
    }
  }

  #missingSnapshot(c, sid) {
    // A snapshot id that names another canister: CanisterSnapshotInvalidOwnership.
    const bytes = unhex(sid);
    if (bytes.length > 8 && hex(bytes.subarray(8)) !== hex(c.id)) {
      return reject(4, 'IC0406', `The snapshot ${sid} does not belong to canister ${c.text}.`);
    }
    return snapshotNotFound(c.text, sid);
  }

  #status(c) {
    const vis = { controllers: null };
    const n = (x) => BigInt(x);
    const snapshots = c.listSnapshots().reduce((acc, s) => acc + c.snapshotTotal(s), 0);
    const chunkBytes = c.meta.chunks.length * MAX_CHUNK;
    const mh = c.moduleHash();
    return {
      status: { [c.meta.status]: null },
      ready_for_migration: false,
      version: n(c.meta.version),
      settings: {
        controllers: c.meta.controllers.map((p) => Principal.fromText(p)),
        compute_allocation: 0n, memory_allocation: 0n, freezing_threshold: 2592000n,
        reserved_cycles_limit: 5000000000000n, minimum_incoming_canister_call_cycles: 0n,
        log_visibility: vis, log_memory_limit: 4096n, snapshot_visibility: vis, status_visibility: vis,
        wasm_memory_limit: 3221225472n, wasm_memory_threshold: 0n, environment_variables: [],
      },
      module_hash: mh ? [mh] : [],
      memory_size: n(c.meta.wasm_size + c.meta.stable_size + c.meta.module_size + chunkBytes + snapshots),
      memory_metrics: {
        wasm_memory_size: n(c.meta.wasm_size), stable_memory_size: n(c.meta.stable_size), global_memory_size: 0n,
        wasm_binary_size: n(c.meta.module_size), custom_sections_size: 0n, canister_history_size: 0n,
        wasm_chunk_store_size: n(chunkBytes), snapshots_size: n(snapshots), log_memory_store_size: 0n,
      },
      cycles: BigInt(c.meta.cycles), reserved_cycles: 0n, idle_cycles_burned_per_day: 0n,
      query_stats: { num_calls_total: 0n, num_instructions_total: 0n, request_payload_bytes_total: 0n, response_payload_bytes_total: 0n },
    };
  }

  #snapRecord(c, s) {
    return { id: unhex(s.id), taken_at_timestamp: BigInt(s.taken_at), total_size: BigInt(c.snapshotTotal(s)) };
  }

  #metadata(s) {
    const g = (x) => {
      const [k, v] = Object.entries(x)[0];
      return { [k]: k === 'f32' || k === 'f64' || k === 'i32' ? Number(v) : BigInt(v) };
    };
    const timer = s.global_timer == null ? [] : [s.global_timer === 'inactive' ? { inactive: null } : { active: BigInt(s.global_timer.active) }];
    return {
      source: s.source === 'metadata_upload' ? { metadata_upload: null } : { taken_from_canister: null },
      taken_at_timestamp: BigInt(s.taken_at),
      wasm_module_size: BigInt(s.wasm_module_size),
      globals: (s.globals ?? []).map(g),
      wasm_memory_size: BigInt(s.wasm_memory_size),
      stable_memory_size: BigInt(s.stable_memory_size),
      wasm_chunk_store: s.chunks.map((h) => ({ hash: unhex(h) })),
      canister_version: BigInt(s.canister_version),
      certified_data: unhex(s.certified_data ?? ''),
      global_timer: timer,
      on_low_wasm_memory_hook_status: s.hook_status ? [{ [s.hook_status]: null }] : [],
    };
  }

  #makeRoom(c, a) {
    const existing = c.listSnapshots();
    let replace = null;
    if (a.replace_snapshot.length) {
      replace = hex(a.replace_snapshot[0]);
      if (!c.getSnapshot(replace)) return { err: this.#missingSnapshot(c, replace) };
    } else if (existing.length >= MAX_SNAPSHOTS) {
      return {
        err: reject(4, 'IC0406', `Canister ${c.text} has reached the maximum number of snapshots allowed: ${MAX_SNAPSHOTS}.\nConsider deleting an unnecessary snapshot of the specified canister before creating a new one.`),
      };
    }
    return { replace };
  }

  #take(c, a) {
    if (!c.meta.module_size) return reject(4, 'IC0406', `Failed to create snapshot for empty canister ${c.text}:`);
    const { err, replace } = this.#makeRoom(c, a);
    if (err) return err;
    const { seq, id } = c.newSnapshotId();
    const s = {
      id, seq, source: 'taken_from_canister', taken_at: String(nowNs()),
      wasm_module_size: c.meta.module_size, wasm_memory_size: c.meta.wasm_size, stable_memory_size: c.meta.stable_size,
      chunks: [...c.meta.chunks], canister_version: c.meta.version, certified_data: c.meta.certified_data,
      globals: c.meta.globals ?? [], global_timer: c.meta.global_timer ?? null, hook_status: null,
    };
    c.take(s);
    if (replace) c.deleteSnapshot(replace);
    if (a.uninstall_code.length && a.uninstall_code[0]) {
      c.close();
      fs.writeFileSync(c.mem.wasm_module.file, '');
      fs.writeFileSync(c.mem.wasm_memory.file, '');
      c.meta.module_size = 0; c.meta.wasm_size = 0;
    }
    c.bump();
    c.save();
    return { reply: C.encode([C.Snapshot], [this.#snapRecord(c, s)]) };
  }

  #load(c, a, ctx) {
    const sid = hex(a.snapshot_id);
    const owner = a.snapshot_id.length > 8 ? this.state.get(a.snapshot_id.subarray(8)) : null;
    const from = owner && hex(owner.id) !== hex(c.id) ? owner : c;
    if (from !== c && !from.isController(ctx.senderText)) return invalidController(from, ctx.senderText);
    const s = from.getSnapshot(sid);
    if (!s) return snapshotNotFound(c.text, sid);
    if (s.wasm_module_size === 0) return payload(`Snapshot ${sid} has an empty wasm module`);
    if (from === c) c.load(s);
    else {
      // Loading a snapshot of another canister (same subnet): copy it over first.
      fs.cpSync(from.snapshotDir(sid), c.snapshotDir(sid), { recursive: true });
      c.load(s);
      c.deleteSnapshot(sid);
    }
    return { reply: C.EMPTY_REPLY };
  }

  #readData(c, a) {
    const sid = hex(a.snapshot_id);
    const s = c.getSnapshot(sid);
    if (!s) return this.#missingSnapshot(c, sid);
    const [kind, v] = Object.entries(a.kind)[0];
    if (kind === 'wasm_chunk') {
      const h = hex(v.hash);
      if (!s.chunks.includes(h)) return payload(`Invalid chunk hash ${h}: not in the snapshot's chunk store`);
      return { reply: C.encodeChunkRecord(new Uint8Array(fs.readFileSync(path.join(c.snapshotDir(sid), 'chunks', `${h}.bin`)))) };
    }
    const offset = toBig(v.offset), size = toBig(v.size);
    if (size > BigInt(MAX_SLICE)) return payload(`Requested slice too large: ${size} > ${MAX_SLICE}`);
    if (offset + size > BigInt(s[`${kind}_size`])) {
      return payload(`Invalid subslice into wasm module / main memory / stable memory: offset: ${offset}, size: ${size}`);
    }
    this.counters.snapshot_read_bytes += Number(size);
    return { reply: c.snapshotMemory(sid, kind).read(Number(offset), Number(size), C.chunkRecordPrefix(Number(size))) };
  }

  #uploadMetadata(c, a) {
    const { err, replace } = this.#makeRoom(c, a);
    if (err) return err;
    const { seq, id } = c.newSnapshotId();
    const globals = a.globals.map((x) => {
      const [k, v] = Object.entries(x)[0];
      return { [k]: typeof v === 'bigint' ? String(v) : v };
    });
    const s = {
      id, seq, source: 'metadata_upload', taken_at: String(nowNs()),
      wasm_module_size: Number(a.wasm_module_size), wasm_memory_size: Number(a.wasm_memory_size),
      stable_memory_size: Number(a.stable_memory_size), chunks: [], canister_version: c.meta.version,
      certified_data: hex(a.certified_data), globals,
      global_timer: a.global_timer.length ? ('inactive' in a.global_timer[0] ? 'inactive' : { active: String(a.global_timer[0].active) }) : null,
      hook_status: a.on_low_wasm_memory_hook_status.length ? Object.keys(a.on_low_wasm_memory_hook_status[0])[0] : null,
    };
    const dir = c.snapshotDir(id);
    fs.mkdirSync(path.join(dir, 'chunks'), { recursive: true });
    for (const kind of ['wasm_module', 'wasm_memory', 'stable_memory']) {
      fs.writeFileSync(path.join(dir, `${kind}.bin`), '');
      fs.truncateSync(path.join(dir, `${kind}.bin`), s[`${kind}_size`]); // zeroed and sparse
    }
    c.saveSnapshot(s);
    if (replace) c.deleteSnapshot(replace);
    c.bump();
    c.save();
    return { reply: C.encode([C.UploadMetadataResult], [{ snapshot_id: unhex(id) }]) };
  }

  #uploadData(c, a) {
    const sid = hex(a.snapshot_id);
    const s = c.getSnapshot(sid);
    if (!s) return this.#missingSnapshot(c, sid);
    if (s.source !== 'metadata_upload') return reject(4, 'IC0409', 'Only canister snapshots created by metadata upload can be mutated.');
    const [kind, v] = Object.entries(a.kind)[0];
    const chunk = a.chunk;
    if (kind === 'wasm_chunk') {
      if (chunk.length > MAX_CHUNK) return reject(5, 'IC0504', `Error from Wasm chunk store: Wasm chunk size ${chunk.length} exceeds the maximum chunk size of ${MAX_CHUNK}.`);
      const h = hex(sha256(chunk));
      if (!s.chunks.includes(h)) {
        fs.writeFileSync(path.join(c.snapshotDir(sid), 'chunks', `${h}.bin`), chunk);
        s.chunks.push(h);
        c.saveSnapshot(s);
      }
      return { reply: C.EMPTY_REPLY };
    }
    if (chunk.length > MAX_SLICE) return payload(`Requested slice too large: ${chunk.length} > ${MAX_SLICE}`);
    const offset = toBig(v.offset);
    if (offset + BigInt(chunk.length) > BigInt(s[`${kind}_size`])) {
      return payload(`Invalid subslice into wasm module / main memory / stable memory: offset: ${offset}, size: ${chunk.length}`);
    }
    c.snapshotMemory(sid, kind).write(Number(offset), chunk);
    return { reply: C.EMPTY_REPLY };
  }
}
