// HTTPS (--tls-cert/--tls-key): the URL line says https, certificate verification is real (refused
// without the CA, accepted with it), HTTP/2 is negotiated by ALPN, and agent-js works over it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import https from 'node:https';
import http2 from 'node:http2';
import { spawnSync } from 'node:child_process';
import { HttpAgent, Actor, Cbor } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { startReplica, tmpDir, pseudoRandom, writeTmp, stableIdl } from './lib.mjs';

const CID = 'ryjl3-tyaaa-aaaaa-aaaba-cai';
const owner = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(0x61));
const dir = tmpDir();
const STABLE = pseudoRandom(2 * 65536, 17);
let r, ca;

before(async () => {
  const cert = path.join(dir, 'cert.pem'), key = path.join(dir, 'key.pem');
  const o = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (o.status !== 0) throw new Error(`openssl: ${o.stderr}`);
  ca = fs.readFileSync(cert);
  r = await startReplica({ args: ['--tls-cert', cert, '--tls-key', key],
    seeds: [`${CID}:stable_memory=${writeTmp(dir, 's.bin', STABLE)},controller=${owner.getPrincipal().toText()}`] });
});
after(async () => { await r?.stop(); fs.rmSync(dir, { recursive: true, force: true }); if (r) fs.rmSync(r.stateDir, { recursive: true, force: true }); });

function get(url, opts) {
  return new Promise((resolve) => {
    https.get(url, opts, (res) => { const c = []; res.on('data', (d) => c.push(d)); res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(c) })); })
      .on('error', (e) => resolve({ error: e.code || e.message }));
  });
}
// fetch over node:https with our CA, for HttpAgent's `fetch` option
function tlsFetch(url, init = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = https.request(u, { method: init.method || 'GET', headers: init.headers, ca }, (res) => {
      const c = []; res.on('data', (d) => c.push(d));
      res.on('end', () => resolve(new Response(res.statusCode === 204 ? null : Buffer.concat(c), { status: res.statusCode, statusText: res.statusMessage, headers: res.headers })));
    });
    req.on('error', reject);
    req.end(init.body ? Buffer.from(init.body) : undefined);
  });
}

test('the URL line is https, and certificate verification is real', async () => {
  assert.match(r.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const bad = await get(`${r.url}/api/v2/status`, {});
  assert.ok(bad.error, 'refused without the CA');
  const ok = await get(`${r.url}/api/v2/status`, { ca });
  assert.equal(ok.status, 200);
  assert.equal(Cbor.decode(ok.body).root_key.length, 133);
});

test('HTTP/2 by ALPN', async () => {
  const session = http2.connect(r.url, { ca });
  try {
    await new Promise((res, rej) => { session.once('connect', res); session.once('error', rej); });
    assert.equal(session.alpnProtocol, 'h2');
    const status = await new Promise((res, rej) => {
      const s = session.request({ ':path': '/api/v2/status' });
      s.on('response', (h) => res(h[':status'])); s.on('error', rej); s.resume(); s.end();
    });
    assert.equal(status, 200);
  } finally { session.close(); }
});

test('agent-js over HTTPS: query and update', async () => {
  const agent = await HttpAgent.create({ host: r.url, identity: owner, shouldFetchRootKey: true, fetch: tlsFetch });
  const a = Actor.createActor(stableIdl, { agent, canisterId: CID });
  assert.equal(await a.stable_size(), BigInt(STABLE.length));
  await a.stable_write(3n, [9, 9]);
  assert.deepEqual([...(await a.stable_read(3n, 2n))], [9, 9]);
});
