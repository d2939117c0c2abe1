#!/usr/bin/env node
// Throughput of 2,000,000-byte stable_read queries against a running replica (anonymous, pre-encoded
// requests, keep-alive connections, reply bodies counted and discarded; nothing is verified, so the
// client costs little). usage: node bench.mjs URL CANISTER_ID [seconds=5] [concurrency=4] [size=2000000]
// The canister must let anyone read (reader=* / admin readers ["*"]) and hold at least `size` bytes.
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
for (let i = 0; i < Math.min(pages, 64); i++) {
  const content = {
    request_type: 'query', canister_id: target.toUint8Array(), method_name: 'stable_read',
    arg: new Uint8Array(IDL.encode([IDL.Nat64, IDL.Nat64], [BigInt(i * size), BigInt(size)])),
    sender: new Uint8Array([4]), ingress_expiry: 0n,
  };
  bodies.push(Buffer.from(cbor.encodeWithSelfDescribedTag({ content })));
}
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conc) });
const u = new URL(`${url}/api/v3/canister/${cid}/query`);
let bytes = 0, n = 0, errors = 0, k = 0;
const deadline = Date.now() + Number(secs) * 1000;
function one() {
  return new Promise((resolve) => {
    const body = bodies[k++ % bodies.length];
    const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/cbor', 'content-length': body.length } }, (res) => {
      let got = 0;
      res.on('data', (c) => { got += c.length; });
      res.on('end', () => { if (res.statusCode === 200 && got > size) { bytes += size; n += 1; } else errors += 1; resolve(); });
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
