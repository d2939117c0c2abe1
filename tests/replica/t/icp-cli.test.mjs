// The replica against the official icp CLI (npm @icp-sdk/icp-cli-linux-x64, pinned in package.json),
// used exactly as a person would: `-n <url> -k fetch` (root key fetched from /api/v2/status), a
// plaintext identity in a throwaway HOME. Shows: query and update calls to a stable-memory canister
// (interface found through the canister's candid:service metadata), the snapshot round trip
// create/list/download/upload/restore with files byte-identical to the seeded memories and chunk-store
// entry, a message
// signed offline with --sign-only and submitted with `icp message send`, and a refusal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { startReplica, tmpDir, pseudoRandom, writeTmp, admin, ICP, SPEC_DID } from './lib.mjs';

const CID = 'ryjl3-tyaaa-aaaaa-aaaba-cai';
const home = tmpDir('replica-icp-home-');
const STABLE = pseudoRandom(77 * 65536, 21); // 5,046,272 bytes: three 2,000,000-byte slices
const WASM = pseudoRandom(3 * 65536, 22);
const CHUNK = pseudoRandom(100_000, 24); // a Wasm chunk-store entry
const CHUNK_HASH = createHash('sha256').update(CHUNK).digest('hex');
let r, net;

const env = { ...process.env, HOME: home };
for (const k of Object.keys(env)) if (k.startsWith('ICP_')) delete env[k]; // no ICP_NETWORK etc. from outside
function icp(args, { ok = true, input } = {}) {
  const res = spawnSync(ICP, args, { cwd: home, env, encoding: 'utf8', input, timeout: 120_000 });
  if (ok && res.status !== 0) throw new Error(`icp ${args.join(' ')} failed (${res.status}): ${res.stderr}`);
  return { status: res.status, out: res.stdout.trim(), err: res.stderr };
}
const call = (...a) => icp(['canister', 'call', CID, ...a, ...net, '--identity', 'owner']).out;

before(async () => {
  if (!fs.existsSync(ICP)) throw new Error(`icp CLI not installed at ${ICP} (npm ci in tests/replica)`);
  for (const name of ['owner', 'other']) icp(['identity', 'new', name, '--storage', 'plaintext']);
  const owner = icp(['identity', 'principal', '--identity', 'owner']).out;
  const sm = writeTmp(home, 'seed-stable.bin', STABLE);
  const wm = writeTmp(home, 'seed-wasm.bin', WASM);
  const ch = writeTmp(home, 'seed-chunk.bin', CHUNK);
  r = await startReplica({ seeds: [`${CID}:stable_memory=${sm},wasm_memory=${wm},chunk=${ch},controller=${owner}`] });
  net = ['-n', r.url, '-k', 'fetch'];
});
after(async () => { await r?.stop(); fs.rmSync(home, { recursive: true, force: true }); if (r) fs.rmSync(r.stateDir, { recursive: true, force: true }); });

test('icp canister call: query and update on the stable-memory interface', () => {
  assert.equal(call('stable_size', '()', '--query'), `(${STABLE.length.toLocaleString('en').replace(/,/g, '_')} : nat64)`);
  assert.equal(call('stable_read', '(5, 3)', '--query', '-o', 'hex'), `4449444c016d7b010003${STABLE.subarray(5, 8).toString('hex')}`);
  assert.equal(call('stable_write', '(5, blob "\\01\\02\\03")'), '()');
  assert.equal(call('stable_read', '(5, 3)', '--query'), '(blob "\\01\\02\\03")');
  assert.equal(call('stable_write', `(5, blob "${[...STABLE.subarray(5, 8)].map((b) => '\\' + b.toString(16).padStart(2, '0')).join('')}")`), '()');
});

test('icp canister snapshot: create, list, download (byte-identical), upload, restore', () => {
  const n = [...net, '--identity', 'owner'];
  icp(['canister', 'stop', CID, ...n]);
  const sid = icp(['canister', 'snapshot', 'create', CID, ...n, '-q']).out;
  assert.match(sid, /^[0-9a-f]{16}00000000000000020101$/, 'snapshot id = 8-byte local id || canister id, hex');
  assert.ok(icp(['canister', 'snapshot', 'list', CID, ...n]).out.includes(sid));
  const dl = path.join(home, 'dl');
  icp(['canister', 'snapshot', 'download', CID, sid, '-o', dl, ...n]);
  assert.ok(fs.readFileSync(path.join(dl, 'stable_memory.bin')).equals(STABLE), 'stable_memory.bin = seeded file');
  assert.ok(fs.readFileSync(path.join(dl, 'wasm_memory.bin')).equals(WASM), 'wasm_memory.bin = seeded file');
  assert.ok(fs.readFileSync(path.join(dl, 'wasm_chunk_store', `${CHUNK_HASH}.bin`)).equals(CHUNK), 'chunk store entry = seeded chunk');
  const md = JSON.parse(fs.readFileSync(path.join(dl, 'metadata.json'), 'utf8'));
  assert.equal(md.stable_memory_size, STABLE.length);
  assert.deepEqual(md.source, { taken_from_canister: null });
  // change the canister, then upload the downloaded snapshot and restore it
  icp(['canister', 'start', CID, ...n]);
  call('stable_write', '(0, blob "\\de\\ad\\be\\ef")');
  icp(['canister', 'stop', CID, ...n]);
  const up = icp(['canister', 'snapshot', 'upload', CID, '-i', dl, ...n, '-q']).out;
  assert.notEqual(up, sid);
  icp(['canister', 'snapshot', 'restore', CID, up, ...n]);
  icp(['canister', 'start', CID, ...n]);
  assert.equal(call('stable_read', '(0, 4)', '--query', '-o', 'hex'), `4449444c016d7b010004${STABLE.subarray(0, 4).toString('hex')}`, 'restored');
  const dl2 = path.join(home, 'dl2');
  icp(['canister', 'snapshot', 'download', CID, up, '-o', dl2, ...n]);
  for (const f of ['stable_memory.bin', 'wasm_memory.bin', 'wasm_module.bin']) {
    assert.ok(fs.readFileSync(path.join(dl2, f)).equals(fs.readFileSync(path.join(dl, f))), `${f} identical after upload`);
  }
  assert.ok(fs.readFileSync(path.join(dl2, 'wasm_chunk_store', `${CHUNK_HASH}.bin`)).equals(CHUNK), 'chunk store entry after upload');
  const md2 = JSON.parse(fs.readFileSync(path.join(dl2, 'metadata.json'), 'utf8'));
  assert.deepEqual(md2.source, { metadata_upload: null });
  icp(['canister', 'snapshot', 'delete', CID, up, ...n]);
  icp(['canister', 'snapshot', 'delete', CID, sid, ...n]);
});

test('icp canister call --sign-only, then icp message send (once; a resend does not execute twice)', async () => {
  const info = await admin(r.url, 'GET', '/_/info');
  assert.equal(info.root_key.length, 266);
  const msg = path.join(home, 'msg.json');
  icp(['canister', 'call', CID, 'stable_write', '(100, blob "\\aa\\bb")', '-n', r.url, '-k', info.root_key,
    '--identity', 'owner', '--candid', SPEC_DID, '--sign-only', msg]);
  const signed = JSON.parse(fs.readFileSync(msg, 'utf8'));
  assert.equal(signed.request.type, 'update');
  const token = call('stable_token', '()', '--query', '-o', 'hex');
  assert.equal(icp(['message', 'send', msg, '-y']).out, '()');
  assert.equal(call('stable_read', '(100, 2)', '--query'), '(blob "\\aa\\bb")');
  const token2 = call('stable_token', '()', '--query', '-o', 'hex');
  assert.notEqual(token2, token);
  assert.equal(icp(['message', 'send', msg, '-y']).out, '()');
  assert.equal(call('stable_token', '()', '--query', '-o', 'hex'), token2, 'the same signed message is not executed again');
});

test('icp refuses what the replica refuses: a non-controller cannot list snapshots', () => {
  const res = icp(['canister', 'snapshot', 'list', CID, ...net, '--identity', 'other'], { ok: false });
  assert.notEqual(res.status, 0);
  assert.match(res.err, /controllers of (the )?canister/);
  assert.match(res.err, /IC0512/);
});
