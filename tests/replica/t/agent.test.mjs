// The replica against the official JS agent (@icp-sdk/core HttpAgent, root key fetched, query signature
// verification on, as agent-js does by default): queries, v4 sync update, v2 call + read_state polling,
// the v2 fallback on a 404 from v4, read_state (canister paths and subnet), the management canister's
// snapshot API with its rules, and the "evil" fault modes, which the agent must refuse.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { HttpAgent, Actor, CanisterStatus, Certificate, Cbor } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { startReplica, tmpDir, pseudoRandom, writeTmp, admin, stableIdl } from './lib.mjs';

const CID = 'ryjl3-tyaaa-aaaaa-aaaba-cai';
const SIZE = 48 * 65536; // 3 MiB: more than one 2,000,000-byte slice
const owner = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(0x11));
const stranger = Secp256k1KeyIdentity.fromSecretKey(new Uint8Array(32).fill(0x22));
const dir = tmpDir();
const stable = pseudoRandom(SIZE, 7);
const wasmMem = pseudoRandom(2 * 65536, 8);
let r, urls = [];

const recordingFetch = (...a) => { urls.push(new URL(a[0]).pathname); return fetch(...a); };
const agentFor = (identity, extra = {}) => HttpAgent.create({ host: r.url, identity, shouldFetchRootKey: true, fetch: recordingFetch, ...extra });
const stableActor = (agent) => Actor.createActor(stableIdl, { agent, canisterId: CID });

// management canister (SPEC ic.did, the parts used here)
const Blob = IDL.Vec(IDL.Nat8);
const Snapshot = IDL.Record({ id: Blob, taken_at_timestamp: IDL.Nat64, total_size: IDL.Nat64 });
const Globals = IDL.Vec(IDL.Variant({ i32: IDL.Int32, i64: IDL.Int64, f32: IDL.Float32, f64: IDL.Float64, v128: IDL.Nat }));
const mgmtIdl = ({ IDL: I }) => I.Service({
  upload_chunk: I.Func([I.Record({ canister_id: I.Principal, chunk: Blob })], [I.Record({ hash: Blob })], []),
  stored_chunks: I.Func([I.Record({ canister_id: I.Principal })], [I.Vec(I.Record({ hash: Blob }))], []),
  clear_chunk_store: I.Func([I.Record({ canister_id: I.Principal })], [], []),
  stop_canister: I.Func([I.Record({ canister_id: I.Principal })], [], []),
  start_canister: I.Func([I.Record({ canister_id: I.Principal })], [], []),
  take_canister_snapshot: I.Func([I.Record({ canister_id: I.Principal, replace_snapshot: I.Opt(Blob) })], [Snapshot], []),
  list_canister_snapshots: I.Func([I.Record({ canister_id: I.Principal })], [I.Vec(Snapshot)], []),
  delete_canister_snapshot: I.Func([I.Record({ canister_id: I.Principal, snapshot_id: Blob })], [], []),
  load_canister_snapshot: I.Func([I.Record({ canister_id: I.Principal, snapshot_id: Blob })], [], []),
  read_canister_snapshot_metadata: I.Func([I.Record({ canister_id: I.Principal, snapshot_id: Blob })], [I.Record({
    source: I.Variant({ taken_from_canister: I.Reserved, metadata_upload: I.Reserved }),
    taken_at_timestamp: I.Nat64, wasm_module_size: I.Nat64, globals: Globals, wasm_memory_size: I.Nat64,
    stable_memory_size: I.Nat64, wasm_chunk_store: I.Vec(I.Record({ hash: Blob })), canister_version: I.Nat64,
    certified_data: Blob,
  })], []),
  read_canister_snapshot_data: I.Func([I.Record({
    canister_id: I.Principal, snapshot_id: Blob,
    kind: I.Variant({
      wasm_module: I.Record({ offset: I.Nat64, size: I.Nat64 }), wasm_memory: I.Record({ offset: I.Nat64, size: I.Nat64 }),
      stable_memory: I.Record({ offset: I.Nat64, size: I.Nat64 }), wasm_chunk: I.Record({ hash: Blob }),
    }),
  })], [I.Record({ chunk: Blob })], []),
  upload_canister_snapshot_metadata: I.Func([I.Record({
    canister_id: I.Principal, replace_snapshot: I.Opt(Blob), wasm_module_size: I.Nat64, globals: Globals,
    wasm_memory_size: I.Nat64, stable_memory_size: I.Nat64, certified_data: Blob,
  })], [I.Record({ snapshot_id: Blob })], []),
  upload_canister_snapshot_data: I.Func([I.Record({
    canister_id: I.Principal, snapshot_id: Blob,
    kind: I.Variant({ wasm_module: I.Record({ offset: I.Nat64 }), wasm_memory: I.Record({ offset: I.Nat64 }), stable_memory: I.Record({ offset: I.Nat64 }), wasm_chunk: I.Null }),
    chunk: Blob,
  })], [], []),
});
const mgmt = (agent) => Actor.createActor(mgmtIdl, {
  agent, canisterId: 'aaaaa-aa',
  callTransform: (_m, args) => ({ effectiveCanisterId: args[0].canister_id }),
  queryTransform: (_m, args) => ({ effectiveCanisterId: args[0].canister_id }),
});
const P = Principal.fromText(CID);

before(async () => {
  const sm = writeTmp(dir, 'stable.bin', stable);
  const wm = writeTmp(dir, 'wasm.bin', wasmMem);
  r = await startReplica({ seeds: [`${CID}:stable_memory=${sm},wasm_memory=${wm},controller=${owner.getPrincipal().toText()}`] });
});
after(async () => { await r?.stop(); fs.rmSync(dir, { recursive: true, force: true }); if (r) fs.rmSync(r.stateDir, { recursive: true, force: true }); });

test('status serves a 133-byte BLS root key that the agent fetches', async () => {
  const body = Buffer.from(await (await fetch(`${r.url}/api/v2/status`)).arrayBuffer());
  assert.deepEqual([...body.subarray(0, 3)], [0xd9, 0xd9, 0xf7], 'self-describing CBOR tag');
  const st = Cbor.decode(body);
  assert.equal(st.root_key.length, 133);
  assert.equal(Buffer.from(st.root_key.subarray(0, 37)).toString('hex'), '308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100');
  const agent = await agentFor(owner);
  assert.deepEqual(Buffer.from(agent.rootKey), Buffer.from(st.root_key));
});

test('queries, with node signatures verified by the agent', async () => {
  const a = stableActor(await agentFor(owner));
  assert.equal(await a.stable_size(), BigInt(SIZE));
  const first = await a.stable_read(0n, 2_000_000n);
  assert.ok(Buffer.from(first).equals(stable.subarray(0, 2_000_000)));
  const last = await a.stable_read(BigInt(SIZE - 5), 5n);
  assert.ok(Buffer.from(last).equals(stable.subarray(SIZE - 5)));
  assert.ok(urls.some((u) => u === `/api/v3/canister/${CID}/query`), 'agent used the v3 query endpoint');
  await assert.rejects(a.stable_read(BigInt(SIZE - 4), 5n), /stable memory out of bounds/);
  await assert.rejects(stableActor(await agentFor(stranger)).stable_size(), /not authorized/);
});

test('v4 synchronous update call, certificate checked by the agent', async () => {
  const a = stableActor(await agentFor(owner));
  const t0 = Buffer.from(await a.stable_token());
  urls = [];
  await a.stable_write(65536n, [1, 2, 3, 4]);
  assert.ok(urls.includes(`/api/v4/canister/${CID}/call`), `v4 used: ${urls}`);
  assert.ok(!urls.some((u) => u.includes('read_state')), 'no polling needed');
  assert.deepEqual([...(await a.stable_read(65536n, 4n))], [1, 2, 3, 4]);
  assert.notDeepEqual(Buffer.from(await a.stable_token()), t0, 'the token changes on a write');
  stable.set([1, 2, 3, 4], 65536);
  // growing: a write past the end grows to whole pages
  await a.stable_write(BigInt(SIZE), [9]);
  assert.equal(await a.stable_size(), BigInt(SIZE + 65536));
});

test('v2 asynchronous call and read_state polling', async () => {
  const agent = await agentFor(owner);
  urls = [];
  const arg = IDL.encode([IDL.Nat64, IDL.Vec(IDL.Nat8)], [70000n, [5, 6]]);
  const res = await agent.update(CID, { methodName: 'stable_write', arg, callSync: false });
  assert.ok(urls.includes(`/api/v2/canister/${CID}/call`), `v2 used: ${urls}`);
  assert.ok(urls.includes(`/api/v3/canister/${CID}/read_state`), `polled: ${urls}`);
  assert.equal(Buffer.from(res.reply).toString('hex'), '4449444c0000');
  assert.deepEqual([...(await stableActor(agent).stable_read(70000n, 2n))], [5, 6]);
  stable.set([5, 6], 70000);
});

test('agent falls back to v2 when v4 answers 404 (fault no_v4)', async () => {
  await admin(r.url, 'POST', '/_/faults', { no_v4: 1 });
  try {
    const agent = await agentFor(owner);
    urls = [];
    await stableActor(agent).stable_write(80000n, [7]);
    assert.ok(urls.includes(`/api/v4/canister/${CID}/call`) && urls.includes(`/api/v2/canister/${CID}/call`), `${urls}`);
    assert.deepEqual([...(await stableActor(agent).stable_read(80000n, 1n))], [7]);
    stable.set([7], 80000);
  } finally { await admin(r.url, 'POST', '/_/faults', {}); }
});

test('read_state: time, controllers, module hash, candid metadata, subnet node keys', async () => {
  const agent = await agentFor(owner);
  const st = await CanisterStatus.request({ agent, canisterId: P, paths: ['time', 'controllers', 'module_hash', 'subnet', 'candid'] });
  const t = st.get('time');
  assert.ok(Math.abs(t.getTime() - Date.now()) < 60_000, `certified time ${t.toISOString()}`);
  assert.deepEqual(st.get('controllers').map((p) => p.toText()), [owner.getPrincipal().toText()]);
  assert.match(st.get('module_hash'), /^[0-9a-f]{64}$/);
  assert.match(st.get('candid'), /stable_read/);
  const subnet = st.get('subnet');
  assert.ok(subnet.nodeKeys.size >= 1, 'node keys listed');
  // a raw read_state certificate for /time, verified with Certificate.create
  const rs = await agent.readState(CID, { paths: [[new TextEncoder().encode('time')]] });
  const cert = await Certificate.create({ certificate: rs.certificate, rootKey: agent.rootKey, principal: { canisterId: P } });
  assert.ok(cert.lookup_path(['time']));
  // v2 read_state still answers (deprecated endpoint)
  const v2 = await fetch(`${r.url}/api/v2/canister/${CID}/read_state`, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body: await signedReadState(agent, [['time']]) });
  assert.equal(v2.status, 200);
});

async function signedReadState(agent, paths) {
  const req = await agent.createReadStateRequest({ paths: paths.map((p) => p.map((l) => new TextEncoder().encode(l))) });
  return Cbor.encode(req.body);
}

test('snapshot API: take, list, read metadata and data, rules and refusals', async () => {
  const m = mgmt(await agentFor(owner));
  await m.stop_canister({ canister_id: P });
  const snap = await m.take_canister_snapshot({ canister_id: P, replace_snapshot: [] });
  assert.equal(snap.id.length, 18, 'snapshot id = 8-byte local id || canister id');
  assert.deepEqual(Buffer.from(snap.id.slice(8)), Buffer.from(P.toUint8Array()));
  const list = await m.list_canister_snapshots({ canister_id: P });
  assert.equal(list.length, 1);
  const md = await m.read_canister_snapshot_metadata({ canister_id: P, snapshot_id: snap.id });
  assert.ok('taken_from_canister' in md.source);
  assert.equal(md.stable_memory_size, BigInt(SIZE + 65536));
  assert.equal(md.wasm_memory_size, BigInt(wasmMem.length));
  const parts = [];
  for (let off = 0; off < Number(md.stable_memory_size); off += 2_000_000) {
    const size = Math.min(2_000_000, Number(md.stable_memory_size) - off);
    parts.push(Buffer.from((await m.read_canister_snapshot_data({ canister_id: P, snapshot_id: snap.id, kind: { stable_memory: { offset: BigInt(off), size: BigInt(size) } } })).chunk));
  }
  const got = Buffer.concat(parts);
  assert.ok(got.subarray(0, SIZE).equals(stable), 'snapshot stable memory = seeded memory + writes');
  const wm = await m.read_canister_snapshot_data({ canister_id: P, snapshot_id: snap.id, kind: { wasm_memory: { offset: 0n, size: BigInt(wasmMem.length) } } });
  assert.ok(Buffer.from(wm.chunk).equals(wasmMem));
  // rules
  await assert.rejects(m.read_canister_snapshot_data({ canister_id: P, snapshot_id: snap.id, kind: { stable_memory: { offset: 0n, size: 2_000_001n } } }),
    /Requested slice too large: 2000001 > 2000000/);
  await assert.rejects(m.read_canister_snapshot_data({ canister_id: P, snapshot_id: snap.id, kind: { stable_memory: { offset: md.stable_memory_size - 1n, size: 2n } } }),
    /Invalid subslice/);
  await assert.rejects(m.upload_canister_snapshot_data({ canister_id: P, snapshot_id: snap.id, kind: { stable_memory: { offset: 0n } }, chunk: [1] }),
    /Only canister snapshots created by metadata upload can be mutated/);
  // the ingress filter says "Only controllers of canister X can call ic00 method M", execution says
  // "Only the controllers of the canister X can control it."; both are IC0512, reject code 5
  const notController = /controllers of (the )?canister[\s\S]*IC0512/;
  await assert.rejects(mgmt(await agentFor(stranger)).list_canister_snapshots({ canister_id: P }), notController);
  await assert.rejects(mgmt(await agentFor(stranger)).read_canister_snapshot_data({ canister_id: P, snapshot_id: snap.id, kind: { stable_memory: { offset: 0n, size: 1n } } }), notController);
  // at most 10 snapshots; replace_snapshot works at the limit
  const ids = [snap.id];
  for (let i = 1; i < 10; i++) ids.push((await m.take_canister_snapshot({ canister_id: P, replace_snapshot: [] })).id);
  await assert.rejects(m.take_canister_snapshot({ canister_id: P, replace_snapshot: [] }), /maximum number of snapshots/);
  const repl = await m.take_canister_snapshot({ canister_id: P, replace_snapshot: [ids[9]] });
  assert.equal((await m.list_canister_snapshots({ canister_id: P })).length, 10);
  for (const id of ids.slice(1, 9)) await m.delete_canister_snapshot({ canister_id: P, snapshot_id: id });
  await m.delete_canister_snapshot({ canister_id: P, snapshot_id: repl.id });
  assert.equal((await m.list_canister_snapshots({ canister_id: P })).length, 1);
  await m.start_canister({ canister_id: P });
});

test('snapshot upload creates a zeroed snapshot; load restores it', async () => {
  const m = mgmt(await agentFor(owner));
  const a = stableActor(await agentFor(owner));
  const newStable = pseudoRandom(3 * 65536, 99);
  const up = await m.upload_canister_snapshot_metadata({
    canister_id: P, replace_snapshot: [], wasm_module_size: 8n, globals: [], wasm_memory_size: 65536n,
    stable_memory_size: BigInt(newStable.length + 65536), certified_data: [],
  });
  const sid = up.snapshot_id;
  const md = await m.read_canister_snapshot_metadata({ canister_id: P, snapshot_id: sid });
  assert.ok('metadata_upload' in md.source);
  const z = await m.read_canister_snapshot_data({ canister_id: P, snapshot_id: sid, kind: { stable_memory: { offset: 0n, size: 1000n } } });
  assert.ok(Buffer.from(z.chunk).equals(Buffer.alloc(1000)), 'an uploaded snapshot starts zeroed');
  await m.upload_canister_snapshot_data({ canister_id: P, snapshot_id: sid, kind: { stable_memory: { offset: 0n } }, chunk: newStable });
  await m.upload_canister_snapshot_data({ canister_id: P, snapshot_id: sid, kind: { wasm_module: { offset: 0n } }, chunk: Buffer.from('0061736d01000000', 'hex') });
  await assert.rejects(m.upload_canister_snapshot_data({ canister_id: P, snapshot_id: sid, kind: { wasm_module: { offset: 4n } }, chunk: Buffer.alloc(5) }), /Invalid subslice/);
  await m.stop_canister({ canister_id: P });
  await m.load_canister_snapshot({ canister_id: P, snapshot_id: sid });
  await m.start_canister({ canister_id: P });
  assert.equal(await a.stable_size(), BigInt(newStable.length + 65536));
  assert.ok(Buffer.from(await a.stable_read(0n, BigInt(newStable.length))).equals(newStable));
  assert.ok(Buffer.from(await a.stable_read(BigInt(newStable.length), 65536n)).equals(Buffer.alloc(65536)));
  await m.delete_canister_snapshot({ canister_id: P, snapshot_id: sid });
});

test('Wasm chunk store: upload_chunk, stored_chunks, copied by snapshots, read back, restored by load', async () => {
  const m = mgmt(await agentFor(owner));
  const chunk = pseudoRandom(300_000, 31);
  const { hash } = await m.upload_chunk({ canister_id: P, chunk });
  assert.equal(Buffer.from(hash).toString('hex'), createHash('sha256').update(chunk).digest('hex'), 'hash = SHA-256 of the chunk');
  assert.deepEqual((await m.stored_chunks({ canister_id: P })).map((h) => Buffer.from(h.hash).toString('hex')), [Buffer.from(hash).toString('hex')]);
  await assert.rejects(m.upload_chunk({ canister_id: P, chunk: new Uint8Array(1024 * 1024 + 1) }), /chunk/i, 'over 1 MiB refused');
  await m.stop_canister({ canister_id: P });
  const snap = await m.take_canister_snapshot({ canister_id: P, replace_snapshot: [] });
  const md = await m.read_canister_snapshot_metadata({ canister_id: P, snapshot_id: snap.id });
  assert.deepEqual(md.wasm_chunk_store.map((h) => Buffer.from(h.hash).toString('hex')), [Buffer.from(hash).toString('hex')]);
  const got = await m.read_canister_snapshot_data({ canister_id: P, snapshot_id: snap.id, kind: { wasm_chunk: { hash } } });
  assert.ok(Buffer.from(got.chunk).equals(chunk));
  await m.clear_chunk_store({ canister_id: P });
  assert.equal((await m.stored_chunks({ canister_id: P })).length, 0);
  await m.load_canister_snapshot({ canister_id: P, snapshot_id: snap.id });
  assert.equal((await m.stored_chunks({ canister_id: P })).length, 1, 'load restores the chunk store');
  await m.delete_canister_snapshot({ canister_id: P, snapshot_id: snap.id });
  await m.clear_chunk_store({ canister_id: P });
  await m.start_canister({ canister_id: P });
});

for (const [mode, call] of [
  ['bad-signature', 'update'], ['stale-time', 'update'], ['wrong-reply', 'update'],
  ['unknown-node-key', 'query'], ['wrong-reply', 'query'],
]) {
  test(`evil mode ${mode}: the agent refuses the ${call}`, async () => {
    const agent = await agentFor(owner);
    const a = stableActor(agent);
    const before16 = Buffer.from(await a.stable_read(0n, 16n)); // node keys and root key fetched while honest
    // stale-time: read_state stays honest, else agent-js "syncs" its clock to the stale time and accepts
    const only = call === 'query' ? 'query' : mode === 'stale-time' ? 'call' : 'call,read_state';
    await admin(r.url, 'POST', '/_/faults', { evil: mode, only });
    try {
      if (call === 'update') await assert.rejects(a.stable_write(0n, [0x42]));
      else await assert.rejects(a.stable_read(0n, 16n));
    } finally { await admin(r.url, 'POST', '/_/faults', {}); }
    if (call === 'query') assert.ok(Buffer.from(await a.stable_read(0n, 16n)).equals(before16), 'honest again');
  });
}
