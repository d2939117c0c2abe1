// Fault injection and the admin API (README.md "Admin API", "Faults"): each fault is observed from the
// client side with plain HTTP, and agent-js is shown to get through a replica that fails 40% of its
// requests with 503/429.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { HttpAgent, Actor, Cbor } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { startReplica, tmpDir, pseudoRandom, writeTmp, admin, stableIdl } from './lib.mjs';

const CID = 'ryjl3-tyaaa-aaaaa-aaaba-cai';
const owner = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(0x41));
const dir = tmpDir();
const STABLE = pseudoRandom(16 * 65536, 11);
let r;

before(async () => {
  r = await startReplica({ seeds: [`${CID}:stable_memory=${writeTmp(dir, 's.bin', STABLE)},controller=${owner.getPrincipal().toText()},reader=*`] });
});
after(async () => { await r?.stop(); fs.rmSync(dir, { recursive: true, force: true }); if (r) fs.rmSync(r.stateDir, { recursive: true, force: true }); });

const faults = (cfg) => admin(r.url, 'POST', '/_/faults', cfg);
// an anonymous stable_read query (anonymous queries are exempt from the expiry check)
const queryBody = (off, len) => Cbor.encode({ content: {
  request_type: 'query', canister_id: Principal.fromText(CID), method_name: 'stable_read',
  arg: IDL.encode([IDL.Nat64, IDL.Nat64], [BigInt(off), BigInt(len)]), sender: Principal.anonymous(), ingress_expiry: 0n,
} });
/** raw POST with node:http, so that resets and short bodies are seen as they are */
function rawQuery(body) {
  const u = new URL(`${r.url}/api/v3/canister/${CID}/query`);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false,
      headers: { 'content-type': 'application/cbor', 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), ms: Date.now() - t0, complete: res.complete }));
      res.on('error', (e) => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), error: e.code || e.message, complete: false }));
      res.on('aborted', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), error: 'aborted', complete: false }));
    });
    req.on('error', (e) => resolve({ error: e.code || e.message }));
    req.end(body);
  });
}

test('HTTP 500/502/503/429 with plain-text bodies; 429 and 503 carry Retry-After', async () => {
  for (const code of [500, 502, 503, 429]) {
    await faults({ [`rate_${code}`]: 1, retry_after: 3, only: 'query' });
    const res = await rawQuery(queryBody(0, 16));
    assert.equal(res.status, code);
    assert.ok(!res.body.subarray(0, 3).equals(Buffer.from('d9d9f7', 'hex')), 'not CBOR');
    if (code === 429 || code === 503) assert.equal(res.headers['retry-after'], '3');
    else assert.equal(res.headers['retry-after'], undefined);
  }
  await faults({ rate_503: 1, only: 'call' });
  assert.equal((await rawQuery(queryBody(0, 16))).status, 200, '`only` limits the endpoints');
  assert.equal((await fetch(`${r.url}/_/counters`)).status, 200, 'never applied to the admin API');
  await faults({});
});

test('connection reset and cut bodies', async () => {
  await faults({ reset_rate: 1 });
  const reset = await rawQuery(queryBody(0, 16));
  assert.ok(reset.error, `reset seen as an error: ${JSON.stringify(reset)}`);
  await faults({ cut_rate: 1 });
  const cut = await rawQuery(queryBody(0, 100_000));
  assert.equal(cut.status, 200);
  assert.ok(!cut.complete, 'body cut short');
  assert.ok(cut.body.length < Number(cut.headers['content-length']), `${cut.body.length} < ${cut.headers['content-length']}`);
  await faults({});
  const whole = await rawQuery(queryBody(0, 100_000));
  assert.ok(whole.complete && whole.body.length === Number(whole.headers['content-length']));
});

test('latency, jitter and trickle slow answers down but keep them intact', async () => {
  await faults({ latency_ms: 150, jitter_ms: 50 });
  const slow = await rawQuery(queryBody(0, 16));
  assert.equal(slow.status, 200);
  assert.ok(slow.ms >= 150, `${slow.ms} ms`);
  await faults({ trickle_bytes: 1000, trickle_ms: 5 });
  const tr = await rawQuery(queryBody(0, 20_000));
  assert.equal(tr.status, 200);
  assert.ok(tr.complete);
  assert.ok(tr.ms >= 90, `20 pieces of 1000 bytes every 5 ms: ${tr.ms} ms`);
  const reply = Cbor.decode(tr.body);
  assert.equal(reply.status, 'replied');
  assert.ok(Buffer.from(reply.reply.arg).subarray(-20_000).equals(STABLE.subarray(0, 20_000)));
  await faults({});
});

test('mutate_every: the state changes during a read, and the consistency token shows it', async () => {
  const a = Actor.createActor(stableIdl, { agent: await HttpAgent.create({ host: r.url, identity: owner, shouldFetchRootKey: true }), canisterId: CID });
  const t0 = Buffer.from(await a.stable_token());
  const before = Buffer.from(await a.stable_read(0n, BigInt(STABLE.length)));
  await faults({ mutate_every: 2 });
  await a.stable_read(0n, 16n);
  await a.stable_read(0n, 16n); // the 2nd read mutates a random page right after answering
  await faults({});
  const t1 = Buffer.from(await a.stable_token());
  const after = Buffer.from(await a.stable_read(0n, BigInt(STABLE.length)));
  assert.notDeepEqual(t1, t0, 'token changed');
  assert.ok(!after.equals(before), 'memory changed');
  const counters = await admin(r.url, 'GET', '/_/counters');
  assert.ok(counters.mutations >= 1, JSON.stringify(counters.mutations));
});

test('agent-js gets through a replica failing 40% of its requests with 503/429', async () => {
  const c0 = await admin(r.url, 'GET', '/_/counters');
  await faults({ rate_503: 0.2, rate_429: 0.2, retry_after: 0, seed: 7 });
  try {
    const agent = await HttpAgent.create({ host: r.url, identity: owner, shouldFetchRootKey: true, retryTimes: 12,
      backoffStrategy: () => ({ next: () => 10 }) });
    const a = Actor.createActor(stableIdl, { agent, canisterId: CID });
    for (let i = 0; i < 5; i++) assert.equal(await a.stable_size(), BigInt(STABLE.length));
    await a.stable_write(0n, [1, 2, 3]);
    assert.deepEqual([...(await a.stable_read(0n, 3n))], [1, 2, 3]);
  } finally { await faults({}); }
  const c = await admin(r.url, 'GET', '/_/counters');
  const n = (x) => (x.status['503'] ?? 0) + (x.status['429'] ?? 0);
  assert.ok(n(c) - n(c0) >= 2, `503/429 answers were injected: ${JSON.stringify(c.status)}`);
});

test('admin API: create a canister, set controllers, patch memory, change state', async () => {
  const f = writeTmp(dir, 'new.bin', pseudoRandom(65536, 12));
  const { id } = await admin(r.url, 'POST', '/_/canisters', { stable_memory: f, controllers: [owner.getPrincipal().toText()] });
  const agent = await HttpAgent.create({ host: r.url, identity: owner, shouldFetchRootKey: true });
  const a = Actor.createActor(stableIdl, { agent, canisterId: id });
  assert.equal(await a.stable_size(), 65536n);
  await admin(r.url, 'POST', `/_/canisters/${id}/memory`, { offset: 65536 + 10, hex: 'c0ffee' });
  assert.equal(await a.stable_size(), 131072n, 'a patch past the end grows to whole pages');
  assert.deepEqual([...(await a.stable_read(65546n, 3n))], [0xc0, 0xff, 0xee]);
  await admin(r.url, 'POST', `/_/canisters/${id}/state`, { status: 'stopped' });
  await assert.rejects(a.stable_size(), /stopped/);
  await admin(r.url, 'POST', `/_/canisters/${id}/state`, { status: 'running' });
  const other = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(0x42));
  await admin(r.url, 'POST', `/_/canisters/${id}/controllers`, { controllers: [other.getPrincipal().toText()] });
  await assert.rejects(a.stable_size(), /not authorized/);
  const rec = await admin(r.url, 'GET', `/_/canisters/${id}`);
  assert.deepEqual(rec.controllers, [other.getPrincipal().toText()]);
});

test('state survives a restart: root key, canisters, memories', async () => {
  const info = await admin(r.url, 'GET', '/_/info');
  await r.stop();
  r = await startReplica({ stateDir: r.stateDir });
  const info2 = await admin(r.url, 'GET', '/_/info');
  assert.equal(info2.root_key, info.root_key);
  const a = Actor.createActor(stableIdl, { agent: await HttpAgent.create({ host: r.url, identity: owner, shouldFetchRootKey: true }), canisterId: CID });
  assert.deepEqual([...(await a.stable_read(0n, 3n))], [1, 2, 3]);
  assert.equal(await a.stable_size(), BigInt(STABLE.length));
});
