// --subnet-delegation: the replica as an application subnet whose certificates carry a delegation signed
// by the root key (as on mainnet). agent-js and the icp CLI (agent-rs) verify the delegation and the
// canister ranges: sharded /canister_ranges/<sid>/<shard> with v4 call and v3 read_state, legacy
// /subnet/<sid>/canister_ranges with v3 call and v2 read_state; a canister outside the ranges is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { HttpAgent, Actor, Cbor, Certificate, requestIdOf, lookupResultToBuffer } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { startReplica, tmpDir, pseudoRandom, writeTmp, admin, stableIdl, ICP } from './lib.mjs';

const CID = 'ryjl3-tyaaa-aaaaa-aaaba-cai';
const P = Principal.fromText(CID);
const OUTSIDE = Principal.fromUint8Array(Buffer.from('ffffffffffffffff0102', 'hex')); // above every ...0101 id
const owner = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(0x81));
const DS = new Uint8Array([0x0a, ...new TextEncoder().encode('ic-request')]);
const dir = tmpDir();
const STABLE = pseudoRandom(40 * 65536, 23);
let r, rootKey;

before(async () => {
  r = await startReplica({ args: ['--subnet-delegation'], seeds: [`${CID}:stable_memory=${writeTmp(dir, 's.bin', STABLE)},controller=${owner.getPrincipal().toText()}`] });
  rootKey = new Uint8Array(Cbor.decode(Buffer.from(await (await fetch(`${r.url}/api/v2/status`)).arrayBuffer())).root_key);
});
after(async () => { await r?.stop(); fs.rmSync(dir, { recursive: true, force: true }); if (r) fs.rmSync(r.stateDir, { recursive: true, force: true }); });

async function send(p, content) {
  const c = { sender: owner.getPrincipal(), ingress_expiry: BigInt(Date.now() + 120_000) * 1_000_000n, ...content };
  const rid = requestIdOf(c);
  const body = Cbor.encode({ content: c, sender_pubkey: owner.getPublicKey().toDer(), sender_sig: new Uint8Array(await owner.sign(new Uint8Array([...DS, ...rid]))) });
  const res = await fetch(`${r.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, bytes.toString());
  return { rid, body: Cbor.decode(bytes) };
}
const call = () => ({ request_type: 'call', canister_id: P, method_name: 'stable_size', arg: IDL.encode([], []), nonce: crypto.getRandomValues(new Uint8Array(16)) });
const inner = (certBytes) => {
  const outer = Cbor.decode(certBytes);
  assert.ok(outer.delegation, 'certificate carries a delegation');
  return { outer, sid: Principal.fromUint8Array(new Uint8Array(outer.delegation.subnet_id)), cert: Cbor.decode(outer.delegation.certificate) };
};
// top-level labels of a hash tree ([1, l, r] forks, [2, label, subtree])
const labels = (t) => (t[0] === 1 ? [...labels(t[1]), ...labels(t[2])] : t[0] === 2 ? [Buffer.from(t[1]).toString()] : []);
const verify = (certificate, principal) => Certificate.create({ certificate: new Uint8Array(certificate), rootKey, principal });

test('agent-js: queries (node keys through the delegation), v4 update, v2 fallback with polling', async () => {
  const agent = await HttpAgent.create({ host: r.url, identity: owner, shouldFetchRootKey: true });
  const a = Actor.createActor(stableIdl, { agent, canisterId: CID });
  assert.equal(await a.stable_size(), BigInt(STABLE.length));
  await a.stable_write(0n, [4, 2]);
  assert.deepEqual([...(await a.stable_read(0n, 2n))], [4, 2]);
  await admin(r.url, 'POST', '/_/faults', { no_v4: 1 });
  try { await a.stable_write(2n, [7]); } finally { await admin(r.url, 'POST', '/_/faults', {}); }
  assert.deepEqual([...(await a.stable_read(2n, 1n))], [7]);
});

test('v4 call: sharded canister ranges in the delegation; the subnet is not the root', async () => {
  const { rid, body } = await send(`/api/v4/canister/${CID}/call`, call());
  const { sid, cert } = inner(body.certificate);
  assert.notEqual(sid.toText(), Principal.selfAuthenticating(rootKey).toText());
  const c = await verify(body.certificate, { canisterId: P });
  assert.equal(new TextDecoder().decode(lookupResultToBuffer(c.lookup_path(['request_status', rid, 'status']))), 'replied');
  await assert.rejects(verify(body.certificate, { canisterId: OUTSIDE }), /not include the canister|canister ranges|not authorized/i);
  const top = labels(cert.tree);
  assert.ok(top.includes('canister_ranges'), `sharded ranges at the top of the delegation tree: ${top}`);
});

test('v3 call and v2 read_state: legacy ranges (/subnet/<sid>/canister_ranges) in the delegation', async () => {
  const { body } = await send(`/api/v3/canister/${CID}/call`, call());
  const { sid, cert } = inner(body.certificate);
  assert.ok(!labels(cert.tree).includes('canister_ranges'), 'no sharded ranges with v3 call');
  assert.ok(labels(cert.tree).includes('subnet'));
  const legacy = (await Certificate.create({ certificate: new Uint8Array(Cbor.decode(body.certificate).delegation.certificate), rootKey, principal: { subnetId: sid }, disableTimeVerification: true }))
    .lookup_path(['subnet', sid.toUint8Array(), 'canister_ranges']);
  assert.ok(lookupResultToBuffer(legacy), 'legacy ranges leaf present');
  assert.ok(await verify(body.certificate, { canisterId: P }));
  await assert.rejects(verify(body.certificate, { canisterId: OUTSIDE }));
  const rs = await send(`/api/v2/canister/${CID}/read_state`, { request_type: 'read_state', paths: [[new TextEncoder().encode('time')]] });
  await verify(rs.body.certificate, { canisterId: P });
  await assert.rejects(verify(rs.body.certificate, { canisterId: OUTSIDE }));
});

test('icp CLI (agent-rs) verifies the delegation: query, update, snapshot download', { skip: !fs.existsSync(ICP) && 'icp CLI not installed' }, () => {
  const home = fs.mkdtempSync(path.join(dir, 'home-'));
  const env = { ...process.env, HOME: home };
  for (const k of Object.keys(env)) if (k.startsWith('ICP_')) delete env[k];
  const icp = (...args) => {
    const res = spawnSync(ICP, args, { cwd: home, env, encoding: 'utf8', timeout: 120_000 });
    if (res.status !== 0) throw new Error(`icp ${args.join(' ')}: ${res.stderr}`);
    return res.stdout.trim();
  };
  const pem = path.join(home, 'owner.pem');
  // the owner's Ed25519 key as PKCS#8 PEM for `icp identity import`
  const seed = new Uint8Array(32).fill(0x81);
  fs.writeFileSync(pem, `-----BEGIN PRIVATE KEY-----\n${Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]).toString('base64')}\n-----END PRIVATE KEY-----\n`);
  icp('identity', 'import', 'owner', '--from-pem', pem, '--storage', 'plaintext');
  assert.equal(icp('identity', 'principal', '--identity', 'owner'), owner.getPrincipal().toText());
  const n = ['-n', r.url, '-k', 'fetch', '--identity', 'owner'];
  assert.equal(icp('canister', 'call', CID, 'stable_read', '(2, 1)', '--query', ...n), '(blob "\\07")');
  assert.equal(icp('canister', 'call', CID, 'stable_write', '(3, blob "\\08")', ...n), '()');
  icp('canister', 'stop', CID, ...n);
  const sid = icp('canister', 'snapshot', 'create', CID, ...n, '-q');
  icp('canister', 'snapshot', 'download', CID, sid, '-o', path.join(home, 'dl'), ...n);
  icp('canister', 'start', CID, ...n);
  const expect = Buffer.from(STABLE); expect.set([4, 2, 7, 8], 0);
  assert.ok(fs.readFileSync(path.join(home, 'dl', 'stable_memory.bin')).equals(expect));
});
