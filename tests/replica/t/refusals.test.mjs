// Refusals, with raw HTTP requests built here (not through an agent, so that each check is exact):
// status codes and message texts as the real replica (../shared/docs/ic-protocol.md §1.3, §4; dfinity/ic
// rs/http_endpoints/public and rs/validator).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Cbor, requestIdOf } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { startReplica, tmpDir, pseudoRandom, writeTmp } from './lib.mjs';

const CID = 'ryjl3-tyaaa-aaaaa-aaaba-cai';
const OTHER = 'r7inp-6aaaa-aaaaa-aaabq-cai';
const owner = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(0x31));
const k1Secret = new Uint8Array(32).fill(0x32);
const k1 = Secp256k1KeyIdentity.fromSecretKey(k1Secret);
const stranger = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(0x33));
const DS = new Uint8Array([0x0a, ...new TextEncoder().encode('ic-request')]);
const dir = tmpDir();
let r;

before(async () => {
  const sm = writeTmp(dir, 'stable.bin', pseudoRandom(4 * 65536, 3));
  r = await startReplica({ seeds: [
    `${CID}:stable_memory=${sm},controller=${owner.getPrincipal().toText()},controller=${k1.getPrincipal().toText()}`,
    `${OTHER}:stable_memory=${sm},controller=${owner.getPrincipal().toText()}`,
  ] });
});
after(async () => { await r?.stop(); fs.rmSync(dir, { recursive: true, force: true }); if (r) fs.rmSync(r.stateDir, { recursive: true, force: true }); });

const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const expiry = (deltaS = 120) => nowNs() + BigInt(deltaS) * 1_000_000_000n;
const readArg = (off, len) => IDL.encode([IDL.Nat64, IDL.Nat64], [BigInt(off), BigInt(len)]);
const hex = (b) => Buffer.from(b).toString('hex');

function content(kind, over = {}) {
  const c = { request_type: kind, sender: owner.getPrincipal(), ingress_expiry: expiry() };
  if (kind !== 'read_state') Object.assign(c, { canister_id: Principal.fromText(CID), method_name: 'stable_size', arg: IDL.encode([], []) });
  if (kind === 'call') c.nonce = new Uint8Array(16).fill(9);
  return Object.assign(c, over);
}
async function envelope(c, identity = owner, { tamper = false, tag = true } = {}) {
  const rid = requestIdOf(c);
  const env = { content: c };
  if (identity) {
    env.sender_pubkey = identity.getPublicKey().toDer();
    env.sender_sig = new Uint8Array(await identity.sign(new Uint8Array([...DS, ...rid])));
    if (tamper) env.sender_sig[5] ^= 1;
  }
  let body = Cbor.encode(env);
  if (!tag) body = body.subarray(3);
  return { rid, body };
}
async function post(path, body) {
  const res = await fetch(`${r.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, bytes, text: bytes.toString('utf8'), cbor: () => Cbor.decode(bytes) };
}
const Q = `/api/v3/canister/${CID}/query`, C4 = `/api/v4/canister/${CID}/call`, C2 = `/api/v2/canister/${CID}/call`, RS = `/api/v3/canister/${CID}/read_state`;

test('a well-formed signed query is answered (control case)', async () => {
  const { body } = await envelope(content('query'));
  const res = await post(Q, body);
  assert.equal(res.status, 200);
  assert.equal(res.cbor().status, 'replied');
});

test('envelopes without the self-describe tag are accepted (as sent by agent-rs / icp CLI)', async () => {
  const { body } = await envelope(content('query'), owner, { tag: false });
  assert.notEqual(body[0], 0xd9);
  assert.equal((await post(Q, body)).status, 200);
});

test('bad signature: 403 "Failed to authenticate request 0x<rid> due to: Invalid signature: ..."', async () => {
  for (const [path, kind] of [[Q, 'query'], [C4, 'call'], [RS, 'read_state']]) {
    const c = content(kind, kind === 'read_state' ? { paths: [[new TextEncoder().encode('time')]] } : {});
    const { rid, body } = await envelope(c, owner, { tamper: true });
    const res = await post(path, body);
    assert.equal(res.status, 403, `${kind}: ${res.text}`);
    assert.ok(res.text.startsWith(`Failed to authenticate request 0x${hex(rid)} due to: Invalid signature: Invalid basic signature:`), res.text);
  }
});

test('wrong sender: 403 "... The user id X does not match the public key ..."', async () => {
  const { rid, body } = await envelope(content('query', { sender: stranger.getPrincipal() }), owner);
  const res = await post(Q, body);
  assert.equal(res.status, 403);
  assert.equal(res.text, `Failed to authenticate request 0x${hex(rid)} due to: The user id ${stranger.getPrincipal().toText()} does not match the public key ${hex(owner.getPublicKey().toDer())}`);
});

test('anonymous rules: no signature allowed; a signature without a sender key is refused', async () => {
  const anon = content('query', { sender: Principal.anonymous() });
  const res = await post(Q, (await envelope(anon, null)).body);
  assert.equal(res.status, 200, 'anonymous query without signature is fine');
  const { rid, body } = await envelope(anon, owner);
  const signed = await post(Q, body);
  assert.equal(signed.status, 403, signed.text);
  assert.equal(signed.text, `Failed to authenticate request 0x${hex(rid)} due to: Signature is not allowed for the anonymous user`);
  const missing = content('query');
  const r2 = await post(Q, (await envelope(missing, null)).body);
  assert.equal(r2.status, 403, r2.text);
  assert.match(r2.text, /Missing signature from user/);
});

test('expired and too-far-future ingress_expiry: 400 "Invalid request expiry: ..."', async () => {
  for (const d of [-60, 6 * 60]) {
    const res = await post(C4, (await envelope(content('call', { ingress_expiry: expiry(d) }))).body);
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /^Invalid request expiry: Specified ingress_expiry not within expected range: Minimum allowed expiry: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} UTC, Maximum allowed expiry: .* UTC, Provided expiry: .* UTC$/);
  }
  // 5 min + 30 s drift is the upper bound: 5 min 20 s is accepted
  assert.equal((await post(Q, (await envelope(content('query', { ingress_expiry: expiry(320) }))).body)).status, 200);
  // anonymous query and read_state are exempt from the expiry check
  const old = expiry(-3600);
  assert.equal((await post(Q, (await envelope(content('query', { sender: Principal.anonymous(), ingress_expiry: old }), null)).body)).status, 200);
  const rs = content('read_state', { sender: Principal.anonymous(), ingress_expiry: old, paths: [[new TextEncoder().encode('time')]] });
  assert.equal((await post(RS, (await envelope(rs, null)).body)).status, 200);
});

test('oversized call: 413 "Request 0x<rid> is too large. Message byte size N is larger than the max allowed 2097152."', async () => {
  const arg = IDL.encode([IDL.Nat64, IDL.Vec(IDL.Nat8)], [0n, new Uint8Array(2_100_000)]);
  const { rid, body } = await envelope(content('call', { method_name: 'stable_write', arg }));
  const res = await post(C4, body);
  assert.equal(res.status, 413);
  assert.match(res.text, new RegExp(`^Request 0x${hex(rid)} is too large\\. Message byte size \\d+ is larger than the max allowed 2097152\\.$`));
  // 2,000,000 bytes of data fit (the budget icarc relies on for uploads)
  const ok = IDL.encode([IDL.Nat64, IDL.Vec(IDL.Nat8)], [0n, new Uint8Array(2_000_000)]);
  const res2 = await post(C4, (await envelope(content('call', { method_name: 'stable_write', arg: ok }))).body);
  assert.equal(res2.status, 200, res2.text);
});

test('canister id differing from the effective canister id in the URL: 400', async () => {
  const res = await post(`/api/v3/canister/${OTHER}/query`, (await envelope(content('query'))).body);
  assert.equal(res.status, 400);
  assert.equal(res.text, `Specified CanisterId ${CID} does not match effective canister id in URL ${OTHER}`);
});

test('nonce longer than 32 bytes is refused', async () => {
  const res = await post(C4, (await envelope(content('call', { nonce: new Uint8Array(33) }))).body);
  assert.ok(res.status === 400 || res.status === 403, `${res.status}`);
  assert.match(res.text, /Nonce in request is too big: got 33 bytes, but at most 32 are allowed/);
});

test('read_state path limits: more than 127 labels refused with the validator text', async () => {
  const deep = content('read_state', { paths: [Array.from({ length: 128 }, () => new TextEncoder().encode('time'))] });
  const { rid, body } = await envelope(deep);
  const res = await post(RS, body);
  assert.ok(res.status === 400 || res.status === 403, `${res.status}`);
  assert.equal(res.text, `Failed to authenticate request 0x${hex(rid)} due to: At least one path in read state request is too deep: got 128 labels, but at most 127 are allowed`);
});

test('malformed CBOR: 400', async () => {
  const res = await post(C4, Buffer.from('d9d9f7a1ff', 'hex'));
  assert.equal(res.status, 400);
});

test('secp256k1 signatures, high-S accepted as by the replica', async () => {
  const c = content('query', { sender: k1.getPrincipal() });
  const rid = requestIdOf(c);
  const msg = sha256(new Uint8Array([...DS, ...rid]));
  const sig = secp256k1.sign(msg, k1Secret, { prehash: false, format: 'compact' });
  const n = secp256k1.Point.Fn.ORDER;
  const s = BigInt('0x' + hex(sig.slice(32)));
  const high = new Uint8Array(sig); high.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
  for (const sg of [sig, high]) {
    const body = Cbor.encode({ content: c, sender_pubkey: k1.getPublicKey().toDer(), sender_sig: sg });
    const res = await post(Q, body);
    assert.equal(res.status, 200, res.text);
  }
});

test('read_state of a request status by another sender: 403', async () => {
  const call = content('call', { method_name: 'stable_write', arg: IDL.encode([IDL.Nat64, IDL.Vec(IDL.Nat8)], [0n, [1]]) });
  const { rid, body } = await envelope(call);
  assert.equal((await post(C2, body)).status, 202);
  const paths = [[new TextEncoder().encode('request_status'), rid]];
  const mine = await post(RS, (await envelope(content('read_state', { paths }))).body);
  assert.equal(mine.status, 200);
  const theirs = await post(RS, (await envelope(content('read_state', { sender: stranger.getPrincipal(), paths }), stranger)).body);
  assert.equal(theirs.status, 403);
  assert.equal(theirs.text, 'The user tries to access Request ID not signed by the caller.');
});

test('non-controller snapshot access: non_replicated_rejection, reject code 5, IC0512', async () => {
  const arg = IDL.encode([IDL.Record({ canister_id: IDL.Principal })], [{ canister_id: Principal.fromText(CID) }]);
  const c = content('call', { sender: stranger.getPrincipal(), canister_id: Principal.managementCanister(), method_name: 'take_canister_snapshot', arg });
  const res = await post(C4, (await envelope(c, stranger)).body);
  assert.equal(res.status, 200, res.text);
  const b = res.cbor();
  assert.equal(b.status, 'non_replicated_rejection');
  assert.equal(Number(b.reject_code), 5);
  assert.equal(b.error_code, 'IC0512');
  assert.match(b.reject_message, /controllers of (the )?canister ryjl3-tyaaa-aaaaa-aaaba-cai/);
  // v2: 200 with the rejection as well (no certificate, nothing to poll)
  const c2 = { ...c, nonce: new Uint8Array(16).fill(1) };
  const res2 = await post(`/api/v2/canister/${CID}/call`, (await envelope(c2, stranger)).body);
  assert.equal(res2.status, 200, res2.text);
  assert.equal(res2.cbor().error_code, 'IC0512');
});

test('unknown endpoints: 404; no /api/v4/.../query', async () => {
  assert.equal((await post(`/api/v4/canister/${CID}/query`, (await envelope(content('query'))).body)).status, 404);
  assert.equal((await fetch(`${r.url}/api/v1/status`)).status, 404);
});
