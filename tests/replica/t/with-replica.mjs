#!/usr/bin/env node
// with-replica.mjs — run a command against a fresh test replica (for other areas' shell tests).
//
//   node tests/replica/t/with-replica.mjs [REPLICA ARGS...] -- COMMAND [ARGS...]
//
// REPLICA ARGS go to main.mjs (--seed ..., --fault K=V, --latency-ms N, --state-dir DIR ...); --port 0 is
// always used and a temporary --state-dir unless one is given. COMMAND runs with, in its environment:
//   REPLICA_URL        http://127.0.0.1:PORT
//   REPLICA_ROOT_KEY   the root key: hex of the 133-byte DER (what `icp ... -k <hex>` takes)
//   REPLICA_STATE_DIR  the state directory
// Exit status: COMMAND's; 77 (skip) when tests/replica/node_modules is missing; 99 when the replica does
// not start. The replica is stopped afterwards and a temporary state dir removed.
// Example (from a make check shell test, where $NODE and $ICARC_SRCDIR are set):
//   "$NODE" "$ICARC_SRCDIR/tests/replica/t/with-replica.mjs" \
//       --seed "ryjl3-tyaaa-aaaaa-aaaba-cai:stable_memory=mem.bin,controller=$P" -- \
//       sh -c '"$ICARC" pull --network "$REPLICA_URL" --root-key "$REPLICA_ROOT_KEY" ...'
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startReplica, REPLICA_DIR } from './lib.mjs';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (sep < 0 || sep === argv.length - 1) {
  process.stderr.write('usage: with-replica.mjs [REPLICA ARGS...] -- COMMAND [ARGS...]\n');
  process.exit(2);
}
if (!fs.existsSync(path.join(REPLICA_DIR, 'node_modules/@icp-sdk/core'))) {
  process.stderr.write('with-replica: tests/replica/node_modules missing: run ./dev deps (npm ci in tests/replica)\n');
  process.exit(77);
}
let args = argv.slice(0, sep);
const cmd = argv.slice(sep + 1);
let stateDir;
const si = args.indexOf('--state-dir');
if (si >= 0) { stateDir = args[si + 1]; args = args.filter((_, i) => i !== si && i !== si + 1); }
const tmpState = !stateDir;
if (tmpState) stateDir = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'with-replica-'));
args = args.filter((a, i) => a !== '--port' && args[i - 1] !== '--port');

let r;
try { r = await startReplica({ stateDir, args }); }
catch (e) { process.stderr.write(`with-replica: ${e.message}\n`); if (tmpState) fs.rmSync(stateDir, { recursive: true, force: true }); process.exit(99); }
const info = await (await fetch(`${r.url}/_/info`)).json();
const child = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit', env: { ...process.env, REPLICA_URL: r.url, REPLICA_ROOT_KEY: info.root_key, REPLICA_STATE_DIR: stateDir } });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
const code = await new Promise((resolve) => {
  child.on('error', (e) => { process.stderr.write(`with-replica: ${cmd[0]}: ${e.message}\n`); resolve(127); });
  child.on('exit', (c, s) => resolve(c ?? (s ? 128 : 1)));
});
await r.stop();
if (tmpState) fs.rmSync(stateDir, { recursive: true, force: true });
process.exit(code);
