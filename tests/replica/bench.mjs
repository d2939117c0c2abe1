#!/usr/bin/env node
// Throughput of 2,000,000-byte reads against a running replica; keep-alive connections, reply bodies
// counted and discarded, nothing verified, so the client costs little.
//   node bench.mjs URL CANISTER_ID [seconds=5] [concurrency=4] [size=2000000]
//     stable_read queries (anonymous, pre-encoded; the canister must let anyone read: reader=*)
//   BENCH_MODE=snapshot node bench.mjs URL CANISTER_ID ...
//     read_canister_snapshot_data update calls (v4, certified): makes an Ed25519 identity the controller
//     through the admin API, takes a snapshot, then signs every request (fresh nonce).
//   BENCH_MODE=upload node bench.mjs URL CANISTER_ID ...
//     upload_canister_snapshot_data update calls of `size` bytes into a snapshot created by
//     upload_canister_snapshot_metadata (stable memory as large as the canister's).
import http from 'node:http';
import * as cbor from '@dfinity/cbor';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';

const [url, cid, secs = '5', conc = '4', sizeArg = '2000000'] = process.argv.slice(2);
if (!url || !cid) { process.stderr.write('usage: node bench.mjs URL CANISTER_ID [seconds] [concurrency] [size]\n'); process.exit(2); }
const size = Number(sizeArg);
const target = Principal.fromText(cid);
const sizeRes = await fetch(`${url}/_/canisters/${cid}`).then((r) => r.json());
const stable = sizeRes.stable_size;
const pages = Math.max(1, Math.floor(stable / size));
// One pre-encoded request per slice (anonymous queries are exempt from the expiry check).
const bodies = [];
const snapshotMode = process.env.BENCH_MODE === 'snapshot' || process.env.BENCH_MODE === 'upload';
const uploadMode = process.env.BENCH_MODE === 'upload';
let makeBody = null;
if (snapshotMode) makeBody = await snapshotSetup();
for (let i = 0; i < Math.min(pages, 64); i++) {
  const content = {
    request_type: 'query', canister_id: target.toUint8Array(), method_name: 'stable_read',
    arg: new Uint8Array(IDL.encode([IDL.Nat64, IDL.Nat64], [BigInt(i * size), BigInt(size)])),
    sender: new Uint8Array([4]), ingress_expiry: 0n,
  };
  bodies.push(Buffer.from(cbor.encodeWithSelfDescribedTag({ content })));
}
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conc) });
const u = new URL(`${url}/api/${snapshotMode ? 'v4' : 'v3'}/canister/${cid}/${snapshotMode ? 'call' : 'query'}`);
let bytes = 0, n = 0, errors = 0, k = 0;
const deadline = Date.now() + Number(secs) * 1000;
function one() {
  return new Promise((resolve) => {
    const body = makeBody ? makeBody(k++ % pages) : bodies[k++ % bodies.length];
    const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/cbor', 'content-length': body.length } }, (res) => {
      let got = 0;
      res.on('data', (c) => { got += c.length; });
      res.on('end', () => { if (res.statusCode === 200 && (uploadMode || got > size)) { bytes += size; n += 1; } else errors += 1; resolve(); });
    });
    req.on('error', () => { errors += 1; resolve(); });
    req.end(body);
  });
}
const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: Number(conc) }, async () => { while (Date.now() < deadline) await one(); }));
const dt = Number(process.hrtime.bigint() - t0) / 1e9;
const out = { requests: n, errors, seconds: +dt.toFixed(2), MB_per_s: +(bytes / dt / 1e6).toFixed(1), slice: size, concurrency: Number(conc) };
process.stdout.write(`${JSON.stringify(out)}\n`);
agent.destroy();

async function snapshotSetup() {
  const { Ed25519KeyIdentity } = await import('@icp-sdk/core/identity');
  const { HttpAgent, IC_REQUEST_DOMAIN_SEPARATOR } = await import('@icp-sdk/core/agent');
  const { requestId: requestIdOf } = await import('./lib/util.mjs'); // node's SHA-256: a cheap client
  const { createPrivateKey, sign, randomBytes } = await import('node:crypto');
  const seed = new Uint8Array(32).fill(42);
  const id = Ed25519KeyIdentity.fromSecretKey(seed);
  await fetch(`${url}/_/canisters/${cid}/controllers`, { method: 'POST', body: JSON.stringify({ controllers: [id.getPrincipal().toText()] }) });
  const agent = await HttpAgent.create({ host: url, identity: id, shouldFetchRootKey: true });
  const before = await fetch(`${url}/_/canisters/${cid}`).then((r) => r.json());
  const replace = before.snapshots.length ? [Buffer.from(before.snapshots.at(-1).id, 'hex')] : [];
  const res = uploadMode
    ? await agent.call(Principal.managementCanister(), {
      methodName: 'upload_canister_snapshot_metadata', effectiveCanisterId: target,
      arg: IDL.encode([IDL.Record({ canister_id: IDL.Principal, replace_snapshot: IDL.Opt(IDL.Vec(IDL.Nat8)), wasm_module_size: IDL.Nat64,
        globals: IDL.Vec(IDL.Variant({ i32: IDL.Int32 })), wasm_memory_size: IDL.Nat64, stable_memory_size: IDL.Nat64, certified_data: IDL.Vec(IDL.Nat8) })],
      [{ canister_id: target, replace_snapshot: replace, wasm_module_size: 8n, globals: [], wasm_memory_size: 0n, stable_memory_size: BigInt(stable), certified_data: new Uint8Array(0) }]),
    })
    : await agent.call(Principal.managementCanister(), {
      methodName: 'take_canister_snapshot', effectiveCanisterId: target,
      arg: IDL.encode([IDL.Record({ canister_id: IDL.Principal, replace_snapshot: IDL.Opt(IDL.Vec(IDL.Nat8)) })], [{ canister_id: target, replace_snapshot: replace }]),
    });
  void res;
  const snapshots = await fetch(`${url}/_/canisters/${cid}`).then((r) => r.json());
  const sid = Buffer.from(snapshots.snapshots.at(-1).id, 'hex');
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
  const Slice = IDL.Record({ offset: IDL.Nat64, size: IDL.Nat64 });
  const Args = IDL.Record({ canister_id: IDL.Principal, snapshot_id: IDL.Vec(IDL.Nat8),
    kind: IDL.Variant({ wasm_module: Slice, wasm_memory: Slice, stable_memory: Slice, wasm_chunk: IDL.Record({ hash: IDL.Vec(IDL.Nat8) }) }) });
  const pubkey = id.getPublicKey().toDer();
  const sender = id.getPrincipal().toUint8Array();
  const UpArgs = IDL.Record({ canister_id: IDL.Principal, snapshot_id: IDL.Vec(IDL.Nat8),
    kind: IDL.Variant({ wasm_module: IDL.Record({ offset: IDL.Nat64 }), wasm_memory: IDL.Record({ offset: IDL.Nat64 }), stable_memory: IDL.Record({ offset: IDL.Nat64 }), wasm_chunk: IDL.Null }),
    chunk: IDL.Vec(IDL.Nat8) });
  const payload = new Uint8Array(size).map((_, j) => (j * 7) & 255);
  const upArgs = new Map();
  return (i) => {
    let arg;
    if (uploadMode) {
      arg = upArgs.get(i % 16);
      if (!arg) { arg = new Uint8Array(IDL.encode([UpArgs], [{ canister_id: target, snapshot_id: sid, kind: { stable_memory: { offset: BigInt((i % 16) * size) } }, chunk: payload }])); upArgs.set(i % 16, arg); }
    } else {
      arg = new Uint8Array(IDL.encode([Args], [{ canister_id: target, snapshot_id: sid, kind: { stable_memory: { offset: BigInt(i * size), size: BigInt(size) } } }]));
    }
    const content = {
      request_type: 'call', canister_id: new Uint8Array(0), method_name: uploadMode ? 'upload_canister_snapshot_data' : 'read_canister_snapshot_data',
      arg,
      sender, ingress_expiry: BigInt(Date.now() + 120000) * 1000000n, nonce: new Uint8Array(randomBytes(16)),
    };
    const rid = requestIdOf(content);
    const sig = sign(null, Buffer.concat([Buffer.from(IC_REQUEST_DOMAIN_SEPARATOR), Buffer.from(rid)]), key);
    return Buffer.from(cbor.encodeWithSelfDescribedTag({ content, sender_pubkey: pubkey, sender_sig: new Uint8Array(sig) }));
  };
}
