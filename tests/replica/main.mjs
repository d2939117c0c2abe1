#!/usr/bin/env node
// icarc's local IC test replica. See README.md for the command line, the protocol it speaks, the admin API
// and the fault settings.
import fs from 'node:fs';
import path from 'node:path';
import { State } from './lib/state.mjs';
import { Replica } from './lib/server.mjs';
import { principalText, principalBytes } from './lib/util.mjs';

const USAGE = `usage: node main.mjs --port N --state-dir DIR [--host ADDR] [--tls-cert PEM --tls-key PEM] [--subnet-delegation]
       [--latency-ms N] [--jitter-ms N]
       [--fault KEY=VALUE]... [--seed CANISTER_ID:stable_memory=FILE[,wasm_memory=FILE][,wasm_module=FILE]
       [,controller=PRINCIPAL]...[,reader=PRINCIPAL|*]...[,chunk=FILE]...]...`;

function die(msg) {
  process.stderr.write(`replica: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseSeed(spec) {
  const i = spec.indexOf(':');
  if (i < 0) die(`--seed ${spec}: expected CANISTER_ID:key=value,...`);
  const id = spec.slice(0, i);
  try { principalText(principalBytes(id)); } catch (e) { die(`--seed: bad canister id '${id}': ${e.message}`); }
  const out = { id, controllers: [], readers: [], chunks: [] };
  for (const kv of spec.slice(i + 1).split(',').filter(Boolean)) {
    const j = kv.indexOf('=');
    if (j < 0) die(`--seed: expected key=value, got '${kv}'`);
    const k = kv.slice(0, j), v = kv.slice(j + 1);
    if (['stable_memory', 'wasm_memory', 'wasm_module'].includes(k)) {
      if (!fs.existsSync(v)) die(`--seed: ${k} file '${v}' does not exist`);
      out[k] = path.resolve(v);
    } else if (k === 'controller') out.controllers.push(principalText(principalBytes(v)));
    else if (k === 'reader') out.readers.push(v === '*' ? '*' : principalText(principalBytes(v)));
    else if (k === 'chunk') {
      if (!fs.existsSync(v)) die(`--seed: chunk file '${v}' does not exist`);
      out.chunks.push(path.resolve(v));
    }
    else die(`--seed: unknown key '${k}'`);
  }
  return out;
}

const args = process.argv.slice(2);
const opt = { port: null, stateDir: null, host: '127.0.0.1', faults: {}, seeds: [], tlsCert: null, tlsKey: null, delegation: false };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const next = () => { if (i + 1 >= args.length) die(`${a} needs a value`); return args[++i]; };
  switch (a) {
    case '--port': opt.port = Number(next()); break;
    case '--host': opt.host = next(); break;
    case '--tls-cert': opt.tlsCert = next(); break;
    case '--subnet-delegation': opt.delegation = true; break;
    case '--tls-key': opt.tlsKey = next(); break;
    case '--state-dir': opt.stateDir = next(); break;
    case '--latency-ms': opt.faults.latency_ms = next(); break;
    case '--jitter-ms': opt.faults.jitter_ms = next(); break;
    case '--fault': {
      const kv = next();
      const j = kv.indexOf('=');
      if (j < 0) die(`--fault ${kv}: expected KEY=VALUE`);
      opt.faults[kv.slice(0, j)] = kv.slice(j + 1);
      break;
    }
    case '--seed': opt.seeds.push(parseSeed(next())); break;
    case '-h': case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
    default: die(`unknown argument '${a}'`);
  }
}
if (opt.port === null || !Number.isInteger(opt.port) || opt.port < 0) die('--port N is required');
if (!opt.stateDir) die('--state-dir DIR is required');
if (!opt.tlsCert !== !opt.tlsKey) die('--tls-cert and --tls-key go together');
let tls = null;
if (opt.tlsCert) {
  try { tls = { cert: fs.readFileSync(opt.tlsCert), key: fs.readFileSync(opt.tlsKey) }; } catch (e) { die(e.message); }
}

const state = new State(path.resolve(opt.stateDir), { delegation: opt.delegation });
for (const s of opt.seeds) {
  const existing = state.get(s.id);
  if (existing) {
    state.seedMemories(existing, s);
    if (s.controllers.length) existing.meta.controllers = s.controllers;
    if (s.readers.length) existing.meta.readers = s.readers;
    existing.save();
  } else {
    state.create(s);
  }
  const c = state.get(s.id);
  for (const f of s.chunks) {
    const r = c.addChunk(new Uint8Array(fs.readFileSync(f)));
    if (r.error) die(`--seed: chunk ${f}: ${r.error}`);
  }
}
let replica;
try {
  replica = new Replica(state, { faults: opt.faults });
} catch (e) { die(e.message); }
const port = await replica.listen(opt.port, opt.host, tls);
process.stdout.write(`${tls ? 'https' : 'http'}://${opt.host}:${port}\n`);
const stop = () => { replica.close().then(() => process.exit(0)); setTimeout(() => process.exit(0), 500).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
