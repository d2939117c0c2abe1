// Helpers for the replica's own tests: start main.mjs on a free port with a fresh state dir, make
// seed files, small assertions. Each test file is run by its .sh wrapper (make check) or directly with
// `node --test tests/replica/t/NAME.test.mjs`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPLICA_DIR = path.resolve(HERE, '..');
export const MAIN = path.join(REPLICA_DIR, 'main.mjs');
export const ICP = path.join(REPLICA_DIR, 'node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp');
export const SPEC_DID = path.resolve(REPLICA_DIR, '../../spec/canister.did');

export function tmpDir(prefix = 'replica-t-') {
  return fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), prefix));
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function pseudoRandom(n, seed = 1) {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; out[i] = x & 0xff; }
  return out;
}
export const sha256hex = (b) => createHash('sha256').update(b).digest('hex');

export function writeTmp(dir, name, bytes) {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
}

/**
 * Start the replica. seeds: array of strings as given to --seed. Resolves once the URL line is
 * printed. stop() sends SIGTERM and waits for the exit.
 */
export function startReplica({ stateDir, seeds = [], args = [], env = {} } = {}) {
  stateDir = stateDir || tmpDir('replica-state-');
  const argv = [MAIN, '--port', '0', '--state-dir', stateDir, ...args];
  for (const s of seeds) argv.push('--seed', s);
  const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; if (process.env.REPLICA_VERBOSE) process.stderr.write(d); });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`replica did not start in 20 s: ${stderr}`)); }, 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0 && timer) {
        clearTimeout(timer);
        const url = out.slice(0, nl).trim();
        if (!/^https?:\/\/127\.0\.0\.1:\d+$/.test(url)) { reject(new Error(`first stdout line is not a URL: ${url}`)); return; }
        resolve({
          url, stateDir, proc,
          stderr: () => stderr,
          stop: () => new Promise((res) => {
            if (proc.exitCode !== null) { res(proc.exitCode); return; }
            proc.once('exit', (code) => res(code));
            proc.kill('SIGTERM');
          }),
        });
      }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`replica exited with ${code} before printing its URL: ${stderr}`)); });
  });
}

/** POST/GET JSON to the admin API */
export async function admin(url, method, p, body) {
  const r = await fetch(new URL(p, url), { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json; try { json = JSON.parse(text); } catch { json = text; }
  if (!r.ok) throw new Error(`admin ${method} ${p}: ${r.status} ${text}`);
  return json;
}

/** Candid interface of spec/canister.did for agent-js Actors */
export const stableIdl = ({ IDL }) => IDL.Service({
  stable_size: IDL.Func([], [IDL.Nat64], ['query']),
  stable_read: IDL.Func([IDL.Nat64, IDL.Nat64], [IDL.Vec(IDL.Nat8)], ['query']),
  stable_write: IDL.Func([IDL.Nat64, IDL.Vec(IDL.Nat8)], [], []),
  stable_token: IDL.Func([], [IDL.Vec(IDL.Nat8)], ['query']),
});
