// Persistent replica state under --state-dir: keys, canisters, memories (sparse files read and written
// in place), snapshots. Layout:
//   keys.json                              BLS root secret key, Ed25519 node seed
//   canisters/<id>/canister.json           controllers, status, sizes, version, token, readers, ...
//   canisters/<id>/{stable_memory,wasm_memory,wasm_module}.bin, chunks/<sha256>.bin
//   canisters/<id>/snapshots/<snapshot id hex>/{snapshot.json, *.bin, chunks/}
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, createPrivateKey, createPublicKey, sign as edSign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Signer, randomBlsKey, LEAF_SEP } from './cert.mjs';
import { hex, unhex, sha256, concat, selfAuthenticating, principalText, principalBytes, nowNs } from './util.mjs';

export const PAGE = 65536;
export const MAX_SNAPSHOTS = 10;
const MEMS = ['stable_memory', 'wasm_memory', 'wasm_module'];
// A minimal valid Wasm module (magic + version) used when none is seeded.
export const EMPTY_WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

// The stable-memory interface (spec/CANISTER.md, spec/canister.did), served as candid:service metadata.
export const CANISTER_DID = `service : {
  stable_size : () -> (nat64) query;
  stable_read : (offset : nat64, length : nat64) -> (vec nat8) query;
  stable_write : (offset : nat64, data : vec nat8) -> ();
  stable_token : () -> (blob) query;
}
`;

// Custom sections (id 0) of a Wasm module: [[name, data], ...]; stops quietly at anything malformed.
export function customSections(mod) {
  const out = [];
  if (mod.length < 8 || mod[0] !== 0 || mod[1] !== 0x61 || mod[2] !== 0x73 || mod[3] !== 0x6d) return out;
  let i = 8;
  const leb = () => {
    let v = 0, shift = 0, b;
    do { if (i >= mod.length) throw new Error('eof'); b = mod[i++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return v;
  };
  try {
    while (i < mod.length) {
      const id = mod[i++];
      const size = leb();
      const end = i + size;
      if (end > mod.length) break;
      if (id === 0) {
        const n = leb();
        const name = new TextDecoder().decode(mod.subarray(i, i + n));
        out.push([name, mod.slice(i + n, end)]);
      }
      i = end;
    }
  } catch { /* truncated module */ }
  return out;
}

function writeJson(file, obj) {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(obj, null, 1));
  fs.renameSync(tmp, file);
}
const roundPages = (n) => Math.ceil(n / PAGE) * PAGE;

// Copy a file keeping holes (a 4 GiB mostly-empty memory stays small on disk).
export function copySparse(src, dst) {
  try {
    execFileSync('cp', ['--sparse=always', '--reflink=auto', src, dst]);
  } catch {
    fs.copyFileSync(src, dst);
  }
}

export class NodeKey {
  constructor(seed) {
    const pkcs8 = concat(unhex('302e020100300506032b657004220420'), seed);
    this.key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    this.der = new Uint8Array(createPublicKey(this.key).export({ format: 'der', type: 'spki' }));
    this.id = selfAuthenticating(this.der);
  }
  sign(msg) { return new Uint8Array(edSign(null, msg, this.key)); }
}

// One open file per memory; reads and writes go straight to the file.
class Memory {
  constructor(file) { this.file = file; this.fd = null; }
  open() { if (this.fd === null) this.fd = fs.openSync(this.file, fs.existsSync(this.file) ? 'r+' : 'w+'); return this.fd; }
  close() { if (this.fd !== null) { fs.closeSync(this.fd); this.fd = null; } }
  size() { return fs.existsSync(this.file) ? fs.statSync(this.file).size : 0; }
  // `len` bytes at `offset`, after `prefix` in the same buffer (so a Candid header costs no extra copy).
  // The hash tree's leaf separator goes in front, unseen, for hashLeafAhead.
  read(offset, len, prefix = null) {
    const p = LEAF_SEP.length + (prefix ? prefix.length : 0);
    const buf = Buffer.allocUnsafe(p + len);
    buf.set(LEAF_SEP, 0);
    if (prefix) buf.set(prefix, LEAF_SEP.length);
    let done = 0;
    const fd = this.open();
    while (done < len) {
      const n = fs.readSync(fd, buf, p + done, len - done, offset + done);
      if (n === 0) { buf.fill(0, p + done); break; }
      done += n;
    }
    return new Uint8Array(buf.buffer, buf.byteOffset + LEAF_SEP.length, p - LEAF_SEP.length + len);
  }
  write(offset, data) {
    const fd = this.open();
    let done = 0;
    while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, offset + done);
  }
  truncate(len) { fs.ftruncateSync(this.open(), len); }
}

export class Canister {
  constructor(dir, meta) {
    this.dir = dir;
    this.meta = meta;
    this.id = principalBytes(meta.id);
    this.mem = Object.fromEntries(MEMS.map((m) => [m, new Memory(path.join(dir, `${m}.bin`))]));
  }
  get text() { return this.meta.id; }
  save() { writeJson(path.join(this.dir, 'canister.json'), this.meta); }
  close() { for (const m of Object.values(this.mem)) m.close(); }
  isController(p) { return this.meta.controllers.includes(typeof p === 'string' ? p : principalText(p)); }
  bump() { this.meta.version += 1; }
  touchStable() { this.meta.token += 1; this.bump(); }
  get stableSize() { return this.meta.stable_size; }
  // Custom sections of the module named "icp:public N" / "icp:private N" (the canister metadata), plus a
  // public candid:service describing the stable-memory interface when the module has none.
  metadata() {
    const out = new Map();
    const mod = this.meta.module_size ? this.mem.wasm_module.read(0, this.meta.module_size) : new Uint8Array(0);
    for (const [name, data] of customSections(mod)) {
      const m = name.match(/^icp:(public|private) (.+)$/);
      if (m) out.set(m[2], { public: m[1] === 'public', data });
    }
    if (!out.has('candid:service')) out.set('candid:service', { public: true, data: new TextEncoder().encode(CANISTER_DID) });
    return out;
  }
  moduleHash() {
    if (!this.meta.module_size) return null;
    return sha256(this.mem.wasm_module.read(0, this.meta.module_size));
  }
  chunkFile(h) { return path.join(this.dir, 'chunks', `${h}.bin`); }
  // The canister's Wasm chunk store (upload_chunk): entries of at most 1 MiB, named by SHA-256, at most 100.
  addChunk(data) {
    if (data.length > 1048576) return { error: `Wasm chunk size ${data.length} exceeds the maximum chunk size of 1048576` };
    const h = hex(sha256(data));
    if (!this.meta.chunks.includes(h)) {
      if (this.meta.chunks.length >= 100) return { error: 'Wasm chunk store is full (at most 100 chunks)' };
      fs.mkdirSync(path.join(this.dir, 'chunks'), { recursive: true });
      fs.writeFileSync(this.chunkFile(h), data);
      this.meta.chunks.push(h);
      this.bump();
      this.save();
    }
    return { hash: h };
  }
  clearChunks() {
    fs.rmSync(path.join(this.dir, 'chunks'), { recursive: true, force: true });
    fs.mkdirSync(path.join(this.dir, 'chunks'), { recursive: true });
    this.meta.chunks = [];
    this.bump();
    this.save();
  }
  snapshotDir(idHex) { return path.join(this.dir, 'snapshots', idHex); }
  listSnapshots() {
    const d = path.join(this.dir, 'snapshots');
    if (!fs.existsSync(d)) return [];
    return fs.readdirSync(d).filter((n) => fs.existsSync(path.join(d, n, 'snapshot.json')))
      .map((n) => JSON.parse(fs.readFileSync(path.join(d, n, 'snapshot.json'), 'utf8')))
      .sort((a, b) => a.seq - b.seq);
  }
  getSnapshot(idHex) {
    const f = path.join(this.snapshotDir(idHex), 'snapshot.json');
    return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null;
  }
  saveSnapshot(s) { writeJson(path.join(this.snapshotDir(s.id), 'snapshot.json'), s); }
  // Open files of snapshot memories are kept (reads of many slices); closed when the snapshot goes.
  snapshotMemory(idHex, kind) {
    this.snapMems ??= new Map();
    const key = `${idHex}/${kind}`;
    let m = this.snapMems.get(key);
    if (!m) { m = new Memory(path.join(this.snapshotDir(idHex), `${kind}.bin`)); this.snapMems.set(key, m); }
    return m;
  }
  closeSnapshot(idHex) {
    for (const [k, m] of this.snapMems ?? []) if (k.startsWith(`${idHex}/`)) { m.close(); this.snapMems.delete(k); }
  }
  deleteSnapshot(idHex) { this.closeSnapshot(idHex); fs.rmSync(this.snapshotDir(idHex), { recursive: true, force: true }); }
  newSnapshotId() {
    const seq = this.meta.next_snapshot++;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(seq));
    return { seq, id: hex(concat(b, this.id)) };
  }
  snapshotTotal(s) {
    return s.wasm_module_size + s.wasm_memory_size + s.stable_memory_size + s.chunks.length * 1048576;
  }
  // Copy the canister's current state into a new snapshot directory.
  take(s) {
    const dir = this.snapshotDir(s.id);
    fs.mkdirSync(path.join(dir, 'chunks'), { recursive: true });
    for (const m of MEMS) {
      if (fs.existsSync(this.mem[m].file)) copySparse(this.mem[m].file, path.join(dir, `${m}.bin`));
      else fs.writeFileSync(path.join(dir, `${m}.bin`), '');
    }
    for (const h of this.meta.chunks) copySparse(this.chunkFile(h), path.join(dir, 'chunks', `${h}.bin`));
    this.saveSnapshot(s);
  }
  // Restore module, memories and chunk store from a snapshot.
  load(s) {
    const dir = this.snapshotDir(s.id);
    this.close();
    for (const m of MEMS) copySparse(path.join(dir, `${m}.bin`), this.mem[m].file);
    fs.rmSync(path.join(this.dir, 'chunks'), { recursive: true, force: true });
    fs.mkdirSync(path.join(this.dir, 'chunks'), { recursive: true });
    for (const h of s.chunks) copySparse(path.join(dir, 'chunks', `${h}.bin`), this.chunkFile(h));
    this.meta.chunks = [...s.chunks];
    this.meta.stable_size = s.stable_memory_size;
    this.meta.wasm_size = s.wasm_memory_size;
    this.meta.module_size = s.wasm_module_size;
    this.meta.certified_data = s.certified_data;
    this.meta.globals = s.globals;
    if (s.source === 'metadata_upload' && s.global_timer !== undefined) this.meta.global_timer = s.global_timer;
    this.meta.token += 1;
    this.bump();
    this.save();
  }
}

export class State {
  // opts.delegation: act as an application subnet whose key is certified by the root key through a
  // delegation certificate (as on mainnet), instead of the root subnet itself.
  constructor(dir, opts = {}) {
    this.dir = dir;
    fs.mkdirSync(path.join(dir, 'canisters'), { recursive: true });
    const kf = path.join(dir, 'keys.json');
    if (!fs.existsSync(kf)) {
      writeJson(kf, { root_secret_key: hex(randomBlsKey()), node_seed: hex(randomBytes(32)), next_canister: 16 });
    }
    this.keys = JSON.parse(fs.readFileSync(kf, 'utf8'));
    this.signer = new Signer(unhex(this.keys.root_secret_key));
    this.node = new NodeKey(unhex(this.keys.node_seed));
    // An Ed25519 key that is NOT in the subnet tree (evil mode "unknown-node-key").
    this.strangerNode = new NodeKey(sha256(unhex(this.keys.node_seed)));
    // The node that joins the subnet with the fault "node_joined".
    this.joinedNode = new NodeKey(sha256(concat(unhex(this.keys.node_seed), new Uint8Array([1]))));
    if (opts.delegation) {
      if (!this.keys.subnet_secret_key) { this.keys.subnet_secret_key = hex(randomBlsKey()); this.saveKeys(); }
      this.subnetSigner = new Signer(unhex(this.keys.subnet_secret_key));
    } else this.subnetSigner = this.signer;
    this.delegated = !!opts.delegation;
    this.subnetId = selfAuthenticating(this.subnetSigner.der);
    this.canisters = new Map();
    for (const name of fs.readdirSync(path.join(dir, 'canisters'))) {
      const f = path.join(dir, 'canisters', name, 'canister.json');
      if (fs.existsSync(f)) {
        const meta = JSON.parse(fs.readFileSync(f, 'utf8'));
        this.canisters.set(meta.id, new Canister(path.dirname(f), meta));
      }
    }
  }
  saveKeys() { writeJson(path.join(this.dir, 'keys.json'), this.keys); }
  get(idBytesOrText) {
    const t = typeof idBytesOrText === 'string' ? idBytesOrText : principalText(idBytesOrText);
    return this.canisters.get(t) ?? null;
  }
  allocateId() {
    for (;;) {
      const n = this.keys.next_canister++;
      const b = new Uint8Array(10);
      new DataView(b.buffer).setBigUint64(0, BigInt(n));
      b[8] = 1; b[9] = 1;
      const t = principalText(b);
      if (!this.canisters.has(t)) { this.saveKeys(); return t; }
    }
  }
  // Create a canister. opts: { id, controllers: [text], stable_memory, wasm_memory, wasm_module (file paths),
  // readers: [text] | ['*'], status }
  create(opts = {}) {
    const id = opts.id ?? this.allocateId();
    principalBytes(id); // validates
    if (this.canisters.has(id)) throw new Error(`canister ${id} already exists`);
    const dir = path.join(this.dir, 'canisters', id);
    fs.mkdirSync(path.join(dir, 'chunks'), { recursive: true });
    const meta = {
      id, controllers: opts.controllers ?? [], status: opts.status ?? 'running', version: 0, token: 0,
      created_ns: String(nowNs()), stable_size: 0, wasm_size: 0, module_size: 0, chunks: [],
      certified_data: '', globals: [], global_timer: null, next_snapshot: 1, readers: opts.readers ?? [],
      cycles: '3000000000000',
    };
    const c = new Canister(dir, meta);
    this.seedMemories(c, opts);
    if (!opts.wasm_module) {
      fs.writeFileSync(c.mem.wasm_module.file, EMPTY_WASM);
      meta.module_size = EMPTY_WASM.length;
    }
    c.save();
    this.canisters.set(id, c);
    return c;
  }
  // Replace memories from files (copied in, sparse); sizes of memories are rounded up to whole pages.
  seedMemories(c, opts) {
    c.close();
    for (const [kind, field] of [['stable_memory', 'stable_size'], ['wasm_memory', 'wasm_size'], ['wasm_module', 'module_size']]) {
      if (!opts[kind]) continue;
      copySparse(opts[kind], c.mem[kind].file);
      const len = fs.statSync(c.mem[kind].file).size;
      const size = kind === 'wasm_module' ? len : roundPages(len);
      if (size !== len) c.mem[kind].truncate(size);
      c.meta[field] = size;
    }
    if (!fs.existsSync(c.mem.stable_memory.file)) fs.writeFileSync(c.mem.stable_memory.file, '');
    if (!fs.existsSync(c.mem.wasm_memory.file)) fs.writeFileSync(c.mem.wasm_memory.file, '');
    c.meta.token += 1;
    c.bump();
    c.save();
  }
}
