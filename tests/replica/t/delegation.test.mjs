// Delegated identities (SPEC https-interface.md §Authentication): agent-js DelegationChain /
// DelegationIdentity against the replica. A valid chain works for query and update; an expired one,
// one whose targets exclude the canister, and a tampered one are refused with the replica's texts
// (dfinity/ic rs/validator/src/ingress_validation.rs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { HttpAgent, Actor, Cbor, requestIdOf } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { Ed25519KeyIdentity, DelegationChain, DelegationIdentity } from '@icp-sdk/core/identity';
import { startReplica, tmpDir, pseudoRandom, writeTmp, stableIdl } from './lib.mjs';

const CID = 'ryjl3-tyaaa-aaaaa-aaaba-cai';
const OTHER = 'r7inp-6aaaa-aaaaa-aaabq-cai';
const root = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(0x71));
const session = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(0x72));
const dir = tmpDir();
let r;

before(async () => {
  const sm = writeTmp(dir, 's.bin', pseudoRandom(65536, 19));
  r = await startReplica({ seeds: [`${CID}:stable_memory=${sm},controller=${root.getPrincipal().toText()}`, `${OTHER}:stable_memory=${sm},controller=${root.getPrincipal().toText()}`] });
});
after(async () => { await r?.stop(); fs.rmSync(dir, { recursive: true, force: true }); if (r) fs.rmSync(r.stateDir, { recursive: true, force: true }); });

const hour = () => new Date(Date.now() + 3600_000);
async function delegated(opts = {}) {
  const chain = await DelegationChain.create(root, session.getPublicKey(), opts.expiration ?? hour(), opts.targets ? { targets: opts.targets } : undefined);
  return DelegationIdentity.fromDelegation(session, chain);
}
async function rawQuery(identity, canister = CID) {
  const content = { request_type: 'query', canister_id: Principal.fromText(canister), method_name: 'stable_size', arg: IDL.encode([], []),
    sender: identity.getPrincipal(), ingress_expiry: BigInt(Date.now() + 120_000) * 1_000_000n };
  const req = await identity.transformRequest({ endpoint: 'read', request: {}, body: content });
  const res = await fetch(`${r.url}/api/v3/canister/${canister}/query`, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body: Cbor.encode(req.body) });
  return { rid: requestIdOf(content), status: res.status, text: await res.text() };
}

test('a delegated identity acts as the delegating principal (query and update)', async () => {
  const id = await delegated();
  assert.equal(id.getPrincipal().toText(), root.getPrincipal().toText());
  const a = Actor.createActor(stableIdl, { agent: await HttpAgent.create({ host: r.url, identity: id, shouldFetchRootKey: true }), canisterId: CID });
  assert.equal(await a.stable_size(), 65536n);
  await a.stable_write(0n, [1]);
  assert.deepEqual([...(await a.stable_read(0n, 1n))], [1]);
});

test('delegation targets: allowed canister works, another is refused', async () => {
  const id = await delegated({ targets: [Principal.fromText(CID)] });
  assert.equal((await rawQuery(id, CID)).status, 200);
  const res = await rawQuery(id, OTHER);
  assert.equal(res.status, 403, res.text);
  assert.equal(res.text, `Failed to authenticate request 0x${Buffer.from(res.rid).toString('hex')} due to: Canister ${OTHER} is not one of the delegation targets`);
});

test('expired delegation: 400 "Invalid delegation expiry: ..."', async () => {
  const id = await delegated({ expiration: new Date(Date.now() - 60_000) });
  const res = await rawQuery(id);
  assert.equal(res.status, 400, res.text);
  assert.match(res.text, /^Invalid delegation expiry: /);
});

test('a delegation signed by another key is refused: 403 "... Invalid delegation: ..."', async () => {
  const stranger = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(0x73));
  const chain = await DelegationChain.create(stranger, session.getPublicKey(), hour());
  // claim to be root while the chain starts at stranger's key: sender ≠ self-authenticating(pubkey)
  const forged = DelegationIdentity.fromDelegation(session, DelegationChain.fromDelegations(chain.delegations, root.getPublicKey().toDer()));
  const res = await rawQuery(forged);
  assert.equal(res.status, 403, res.text);
  assert.match(res.text, /due to: Invalid delegation: /);
});
