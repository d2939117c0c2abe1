// Certification in rounds under concurrency: a burst of update calls through v4, v3 and v2 (+ v2/v3
// read_state polling) sent at once shares a few BLS signatures; every certificate must still verify with
// @icp-sdk/core (Certificate.create against the root key) and carry that request's own reply.
// Also the same with --subnet-delegation. Run: node --test tests/replica/selftest/
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Cbor, requestIdOf, IC_REQUEST_DOMAIN_SEPARATOR, Certificate, lookupResultToBuffer } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { IDL } from '@icp-sdk/core/candid';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../main.mjs');
const CID = 'lxzze-o7777-77777-aaaaa-cai';
const enc = new TextEncoder();

async function startReplica(extra = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replica-rounds-'));
  const mem = path.join(dir, 'stable.bin');
  fs.writeFileSync(mem, Buffer.alloc(300000, 7));
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--state-dir', path.join(dir, 'state'), '--seed', `${CID}:stable_memory=${mem}`, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => { buf += d; const i = buf.indexOf('\n'); if (i >= 0) resolve(buf.slice(0, i)); });
    child.on('exit', (code) => reject(new Error(`replica exited with ${code}`)));
  });
  return { url, stop: () => { child.kill(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

async function burst(url, n) {
  const info = await (await fetch(`${url}/_/info`)).json();
  const cid = Principal.fromText(CID);
  const rootKey = Buffer.from(info.root_key, 'hex');
  const id = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(5));
  await fetch(`${url}/_/canisters/${CID}/controllers`, { method: 'POST', body: JSON.stringify({ controllers: [id.getPrincipal().toText()] }) });
  const signed = async (content) => {
    const rid = requestIdOf(content);
    return { rid, body: Cbor.encode({ content, sender_pubkey: id.getPublicKey().toDer(), sender_sig: await id.sign(new Uint8Array([...IC_REQUEST_DOMAIN_SEPARATOR, ...rid])) }) };
  };
  const post = (p, body) => fetch(`${url}${p}`, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body });
  const exp = () => BigInt(Date.now() + 120000) * 1000000n;
  const send = async (i) => {
    const len = 1000 + i * 37;
    const { rid, body } = await signed({ request_type: 'call', canister_id: cid, method_name: 'stable_read',
      arg: IDL.encode([IDL.Nat64, IDL.Nat64], [BigInt(i), BigInt(len)]), sender: id.getPrincipal(), ingress_expiry: exp(), nonce: new Uint8Array(16).fill(i) });
    const v = [4, 3, 2][i % 3];
    let r = await post(`/api/v${v}/canister/${CID}/call`, body);
    if (v === 2) {
      assert.equal(r.status, 202);
      const rs = await signed({ request_type: 'read_state', sender: id.getPrincipal(), ingress_expiry: exp(), paths: [[enc.encode('request_status'), rid]] });
      r = await post(`/api/v${i % 2 ? 2 : 3}/canister/${CID}/read_state`, rs.body);
    }
    return { i, rid, len, status: r.status, body: new Uint8Array(await r.arrayBuffer()) };
  };
  const before = (await (await fetch(`${url}/_/counters`)).json()).certificates ?? 0;
  const results = await Promise.all(Array.from({ length: n }, (_, i) => send(i)));
  const rounds = (await (await fetch(`${url}/_/counters`)).json()).certificates - before;
  for (const r of results) {
    assert.equal(r.status, 200, `request ${r.i}`);
    const cert = await Certificate.create({ certificate: Cbor.decode(r.body).certificate, rootKey, principal: { canisterId: cid } });
    assert.equal(new TextDecoder().decode(lookupResultToBuffer(cert.lookup_path(['request_status', r.rid, 'status']))), 'replied');
    const [data] = IDL.decode([IDL.Vec(IDL.Nat8)], lookupResultToBuffer(cert.lookup_path(['request_status', r.rid, 'reply'])));
    assert.equal(data.length, r.len, `request ${r.i} got its own reply`);
    assert.ok(data.every((b) => b === 7));
  }
  return rounds;
}

test('a burst of concurrent calls shares certification rounds; every certificate verifies', async () => {
  const r = await startReplica();
  try {
    const rounds = await burst(r.url, 24);
    assert.ok(rounds < 24, `24 certified requests used ${rounds} rounds`);
  } finally { r.stop(); }
});

test('the same with --subnet-delegation (certificates carry the root-signed delegation)', async () => {
  const r = await startReplica(['--subnet-delegation']);
  try {
    const rounds = await burst(r.url, 12);
    assert.ok(rounds < 12, `12 certified requests used ${rounds} rounds`);
  } finally { r.stop(); }
});
