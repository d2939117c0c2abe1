// Protocol details beyond what the agents exercise by default: v2 query, v3 sync call, subnet read_state
// (node keys, subnet public key, canister ranges in the sharded and the legacy form, both verified with
// @icp-sdk/core), read_state rules (allowed paths, Absent for an unknown request id), reply size limits
// (2 MiB replicated, 3 MiB query), and management calls whose effective id comes from the Candid arg.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Cbor, Certificate, requestIdOf, lookupResultToBuffer } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { startReplica, tmpDir, pseudoRandom, writeTmp, admin } from './lib.mjs';

const CID = 'ryjl3-tyaaa-aaaaa-aaaba-cai';
const P = Principal.fromText(CID);
const owner = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(0x51));
const DS = new Uint8Array([0x0a, ...new TextEncoder().encode('ic-request')]);
const utf8 = (s) => new TextEncoder().encode(s);
const dir = tmpDir();
const STABLE = pseudoRandom(64 * 65536, 13); // 4 MiB
let r, rootKey, subnetId;

before(async () => {
  r = await startReplica({ seeds: [`${CID}:stable_memory=${writeTmp(dir, 's.bin', STABLE)},controller=${owner.getPrincipal().toText()}`] });
  const st = Cbor.decode(Buffer.from(await (await fetch(`${r.url}/api/v2/status`)).arrayBuffer()));
  rootKey = st.root_key;
  subnetId = Principal.selfAuthenticating(rootKey);
});
after(async () => { await r?.stop(); fs.rmSync(dir, { recursive: true, force: true }); if (r) fs.rmSync(r.stateDir, { recursive: true, force: true }); });

const expiry = () => BigInt(Date.now() + 120_000) * 1_000_000n;
async function send(path, content) {
  const c = { sender: owner.getPrincipal(), ingress_expiry: expiry(), ...content };
  const rid = requestIdOf(c);
  const body = Cbor.encode({ content: c, sender_pubkey: owner.getPublicKey().toDer(), sender_sig: new Uint8Array(await owner.sign(new Uint8Array([...DS, ...rid]))) });
  const res = await fetch(`${r.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { rid, status: res.status, text: bytes.toString(), cbor: () => Cbor.decode(bytes) };
}
const call = (method, arg, extra = {}) => ({ request_type: 'call', canister_id: P, method_name: method, arg, nonce: crypto.getRandomValues(new Uint8Array(16)), ...extra });
const query = (method, arg) => ({ request_type: 'query', canister_id: P, method_name: method, arg });
const readArgs = (o, l) => IDL.encode([IDL.Nat64, IDL.Nat64], [BigInt(o), BigInt(l)]);
// a copy: agent-js reads .buffer of what it is given, and Cbor.decode returns views into the body
const cert = (bytes, principal) => Certificate.create({ certificate: new Uint8Array(bytes), rootKey: new Uint8Array(rootKey), principal });

test('v2 query (deprecated endpoint) answers like v3', async () => {
  const v2 = await send(`/api/v2/canister/${CID}/query`, query('stable_read', readArgs(0, 8)));
  assert.equal(v2.status, 200);
  const b = v2.cbor();
  assert.equal(b.status, 'replied');
  assert.ok(Buffer.from(b.reply.arg).subarray(-8).equals(STABLE.subarray(0, 8)));
  assert.equal(b.signatures.length, 1);
});

test('v3 sync call returns a certificate with time and the request status', async () => {
  const res = await send(`/api/v3/canister/${CID}/call`, call('stable_size', IDL.encode([], [])));
  assert.equal(res.status, 200, res.text);
  const body = res.cbor();
  assert.equal(body.status, 'replied');
  const c = await cert(body.certificate, { canisterId: P });
  assert.equal(new TextDecoder().decode(lookupResultToBuffer(c.lookup_path(['request_status', res.rid, 'status']))), 'replied');
  const reply = lookupResultToBuffer(c.lookup_path(['request_status', res.rid, 'reply']));
  assert.equal(IDL.decode([IDL.Nat64], reply)[0], BigInt(STABLE.length));
  assert.ok(lookupResultToBuffer(c.lookup_path(['time'])));
});

test('subnet read_state: public key, node keys, canister ranges (sharded) covering the canister', async () => {
  const sid = subnetId.toUint8Array();
  const res = await send(`/api/v3/subnet/${subnetId.toText()}/read_state`, { request_type: 'read_state', paths: [[utf8('subnet'), sid], [utf8('canister_ranges'), sid]] });
  assert.equal(res.status, 200, res.text);
  const c = await cert(res.cbor().certificate, { subnetId });
  assert.deepEqual(Buffer.from(lookupResultToBuffer(c.lookup_path(['subnet', sid, 'public_key']))), Buffer.from(rootKey));
  const shards = c.lookup_subtree(['canister_ranges', sid]);
  assert.ok(shards, 'sharded ranges present');
  // the shard label <= canister id, its leaf = CBOR [[start, end]] containing the canister
  const ranges = (await import('@icp-sdk/core/agent')).lookupCanisterRanges({ subnetId, tree: c.cert.tree, canisterId: P });
  assert.ok(ranges, 'ranges for the canister found by agent-js');
  const nodes = c.lookup_subtree(['subnet', sid, 'node']);
  assert.ok(nodes, 'node keys present');
});

test('legacy canister ranges (/subnet/<id>/canister_ranges) via v2 canister read_state', async () => {
  const res = await send(`/api/v2/canister/${CID}/read_state`, { request_type: 'read_state', paths: [[utf8('subnet')]] });
  assert.equal(res.status, 200, res.text);
  const c = await cert(res.cbor().certificate, { canisterId: P });
  const leaf = lookupResultToBuffer(c.lookup_path(['subnet', subnetId.toUint8Array(), 'canister_ranges']));
  assert.ok(leaf, 'legacy ranges leaf');
  const ranges = Cbor.decode(leaf);
  const id = Buffer.from(P.toUint8Array());
  assert.ok(ranges.some(([a, b]) => Buffer.compare(Buffer.from(a), id) <= 0 && Buffer.compare(id, Buffer.from(b)) <= 0), 'covers the canister');
});

test('read_state rules: unknown request id reads Absent; disallowed paths 404', async () => {
  const unknown = new Uint8Array(32).fill(7);
  const res = await send(`/api/v3/canister/${CID}/read_state`, { request_type: 'read_state', paths: [[utf8('request_status'), unknown]] });
  assert.equal(res.status, 200, res.text);
  const c = await cert(res.cbor().certificate, { canisterId: P });
  assert.equal(c.lookup_path(['request_status', unknown, 'status']).status, 'Absent');
  const bad = await send(`/api/v3/canister/${CID}/read_state`, { request_type: 'read_state', paths: [[utf8('nonsense')]] });
  assert.equal(bad.status, 404);
  assert.equal(bad.text, 'Invalid path requested.');
});

test('reply limits: 3 MiB for queries, 2 MiB for replicated calls', async () => {
  const q = await send(`/api/v3/canister/${CID}/query`, query('stable_read', readArgs(0, 3_000_000)));
  assert.equal(q.cbor().status, 'replied', 'a 3,000,000-byte query reply fits 3 MiB');
  const q2 = await send(`/api/v3/canister/${CID}/query`, query('stable_read', readArgs(0, 3_200_000)));
  const b2 = q2.cbor();
  assert.equal(b2.status, 'rejected');
  assert.equal(b2.error_code, 'IC0504');
  assert.match(b2.reject_message, /application payload size \(\d+\) cannot be larger than 3145728/);
  const u = await send(`/api/v4/canister/${CID}/call`, call('stable_read', readArgs(0, 2_100_000)));
  assert.equal(u.status, 200, u.text);
  const c = await cert(u.cbor().certificate, { canisterId: P });
  assert.equal(new TextDecoder().decode(lookupResultToBuffer(c.lookup_path(['request_status', u.rid, 'status']))), 'rejected');
  assert.match(new TextDecoder().decode(lookupResultToBuffer(c.lookup_path(['request_status', u.rid, 'reject_message']))), /cannot be larger than 2097152/);
  const ok = await send(`/api/v4/canister/${CID}/call`, call('stable_read', readArgs(0, 2_000_000)));
  const c2 = await cert(ok.cbor().certificate, { canisterId: P });
  assert.equal(new TextDecoder().decode(lookupResultToBuffer(c2.lookup_path(['request_status', ok.rid, 'status']))), 'replied');
});

test('management canister: effective id from the Candid argument', async () => {
  const arg = IDL.encode([IDL.Record({ canister_id: IDL.Principal })], [{ canister_id: P }]);
  const mg = (extra = {}) => call('list_canister_snapshots', arg, { canister_id: Principal.managementCanister(), ...extra });
  const res = await send(`/api/v4/canister/${CID}/call`, mg());
  assert.equal(res.status, 200, res.text);
  const c = await cert(res.cbor().certificate, { canisterId: P });
  assert.equal(new TextDecoder().decode(lookupResultToBuffer(c.lookup_path(['request_status', res.rid, 'status']))), 'replied');
  // an argument without canister_id cannot be routed
  const noId = await send(`/api/v4/canister/${CID}/call`, mg({ arg: IDL.encode([IDL.Record({ x: IDL.Nat })], [{ x: 1n }]) }));
  assert.notEqual(noId.status, 202);
  assert.ok(noId.status >= 400 || noId.cbor().status === 'non_replicated_rejection', `${noId.status} ${noId.text}`);
});

test('HTTP surface: content type must be application/cbor (400), wrong method 405', async () => {
  const body = Cbor.encode({ content: { request_type: 'query', canister_id: P, method_name: 'stable_size', arg: IDL.encode([], []), sender: Principal.anonymous(), ingress_expiry: 0n } });
  const res = await fetch(`${r.url}/api/v3/canister/${CID}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.status, 400);
  assert.equal(await res.text(), 'Unexpected content-type, expected application/cbor.');
  const get = await fetch(`${r.url}/api/v3/canister/${CID}/query`);
  assert.equal(get.status, 405);
});

test('fault disable=v3-query: 404 there, v2 query still served', async () => {
  await admin(r.url, 'POST', '/_/faults', { disable: 'v3-query' });
  try {
    assert.equal((await send(`/api/v3/canister/${CID}/query`, query('stable_size', IDL.encode([], [])))).status, 404);
    assert.equal((await send(`/api/v2/canister/${CID}/query`, query('stable_size', IDL.encode([], [])))).status, 200);
  } finally { await admin(r.url, 'POST', '/_/faults', {}); }
});

test('fault clock_skew_ms: a client 20 minutes ahead is refused, agent-js resyncs from /time and succeeds', async () => {
  await admin(r.url, 'POST', '/_/faults', { clock_skew_ms: -20 * 60_000 });
  try {
    const res = await send(`/api/v4/canister/${CID}/call`, call('stable_size', IDL.encode([], [])));
    assert.equal(res.status, 400);
    assert.match(res.text, /^Invalid request expiry: /);
    const { HttpAgent } = await import('@icp-sdk/core/agent');
    const agent = await HttpAgent.create({ host: r.url, identity: owner, shouldFetchRootKey: true });
    const out = await agent.update(CID, { methodName: 'stable_size', arg: IDL.encode([], []) });
    assert.equal(IDL.decode([IDL.Nat64], out.reply)[0], BigInt(STABLE.length));
    assert.ok(agent.getTimeDiffMsecs() < -19 * 60_000, `agent's time diff ${agent.getTimeDiffMsecs()} ms`);
  } finally { await admin(r.url, 'POST', '/_/faults', {}); }
});
