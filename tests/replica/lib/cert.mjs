// Certified state: a labeled tree, its witness for the requested paths, the root hash and the BLS
// signature. Layout and hashing: SPEC certification.md (../shared/docs/ic-protocol.md §5).
import { Worker } from 'node:worker_threads';
import { webcrypto } from 'node:crypto'; // not globalThis.crypto: Debian 12's Node 18 has it only behind a flag
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { sha256, utf8, concat, compareBytes, unhex } from './util.mjs';

const ds = (s) => concat(new Uint8Array([s.length]), utf8(s));
const D_EMPTY = ds('ic-hashtree-empty');
const D_FORK = ds('ic-hashtree-fork');
const D_LABELED = ds('ic-hashtree-labeled');
const D_LEAF = ds('ic-hashtree-leaf');
export const STATE_ROOT_SEP = ds('ic-state-root');
export const BLS_DER_PREFIX = unhex('308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100');

const toLabel = (l) => (typeof l === 'string' ? utf8(l) : l);

// A state node is { leaf: Uint8Array } or { entries: [[label, node], ...] } (sorted on construction).
export const leaf = (v) => ({ leaf: typeof v === 'string' ? utf8(v) : v });
export function node(entries) {
  const e = entries.filter((x) => x && x[1]).map(([l, n]) => [toLabel(l), n]);
  e.sort((a, b) => compareBytes(a[0], b[0]));
  return { entries: e };
}

// Hash tree (CBOR arrays) from a state node, keeping only what the paths need.
// Paths: arrays of labels (Uint8Array). A path that ends at a node keeps its whole subtree.
export function witness(n, paths) {
  if (paths.some((p) => p.length === 0)) return full(n);
  if (n.leaf) return [4, hashOf(n)];
  const items = n.entries.map(([label, child]) => {
    const sub = paths.filter((p) => compareBytes(p[0], label) === 0).map((p) => p.slice(1));
    return [2, label, sub.length ? witness(child, sub) : [4, hashOf(child)]];
  });
  return forks(items);
}
export function full(n) {
  if (n.leaf) return [3, n.leaf];
  return forks(n.entries.map(([label, child]) => [2, label, full(child)]));
}
function forks(items) {
  if (items.length === 0) return [0];
  if (items.length === 1) return items[0];
  const mid = Math.ceil(items.length / 2);
  return [1, forks(items.slice(0, mid)), forks(items.slice(mid))];
}
// Root hash of a state node (= reconstruct(full(n))), memoised per node so that a round's tree hashes
// each (possibly 2 MB) leaf once, however many witnesses are cut from it.
const hashCache = new WeakMap();
export function hashOf(n) {
  let h = hashCache.get(n);
  if (h) return h;
  if (n.leaf) h = leafHashes.get(n.leaf) ?? sha256(D_LEAF, n.leaf);
  else h = forkHash(n.entries.map(([label, child]) => sha256(D_LABELED, label, hashOf(child))));
  hashCache.set(n, h);
  return h;
}
// The leaf hash of a big reply, computed ahead on libuv's threadpool (WebCrypto's digest is async there):
// hashing 2 MB slices was a third of the main thread's time, which bounded what the replica serves.
// Memory.read leaves the leaf's domain separator in front of the bytes, so nothing is copied here.
// A reply of zeros after its Candid header (memories are mostly zero pages) is hashed once per
// header and length, as icarc's agent does: the bytes are compared, the hash is still theirs.
const leafHashes = new WeakMap();
const zeroLeaves = new Map();
let zeros = new Uint8Array(0);
const HEAD = 256;
export async function hashLeafAhead(bytes) {
  if (bytes.length > zeros.length) zeros = new Uint8Array(bytes.length);
  const zeroTail = bytes.length > HEAD && Buffer.compare(bytes.subarray(HEAD), zeros.subarray(0, bytes.length - HEAD)) === 0;
  const key = zeroTail ? `${bytes.length}:${Buffer.from(bytes.buffer, bytes.byteOffset, HEAD).toString('hex')}` : null;
  const known = key && zeroLeaves.get(key);
  if (known) { leafHashes.set(bytes, known); return; }
  const n = D_LEAF.length;
  let whole;
  if (bytes.byteOffset >= n && compareBytes(new Uint8Array(bytes.buffer, bytes.byteOffset - n, n), D_LEAF) === 0) {
    whole = new Uint8Array(bytes.buffer, bytes.byteOffset - n, n + bytes.length);
  } else {
    whole = concat(D_LEAF, bytes);
  }
  const h = new Uint8Array(await webcrypto.subtle.digest('SHA-256', whole));
  leafHashes.set(bytes, h);
  if (key) { if (zeroLeaves.size >= 8) zeroLeaves.clear(); zeroLeaves.set(key, h); }
}
export const LEAF_SEP = D_LEAF;
function forkHash(items) {
  if (items.length === 0) return sha256(D_EMPTY);
  if (items.length === 1) return items[0];
  const mid = Math.ceil(items.length / 2);
  return sha256(D_FORK, forkHash(items.slice(0, mid)), forkHash(items.slice(mid)));
}
export function reconstruct(t) {
  switch (t[0]) {
    case 0: return sha256(D_EMPTY);
    case 1: return sha256(D_FORK, reconstruct(t[1]), reconstruct(t[2]));
    case 2: return sha256(D_LABELED, t[1], reconstruct(t[2]));
    case 3: return sha256(D_LEAF, t[1]);
    case 4: return t[1];
    default: throw new Error('bad hash tree');
  }
}

export class Signer {
  constructor(sk) {
    this.sk = sk;
    this.pk = bls12_381.shortSignatures.getPublicKey(sk).toBytes(true);
    this.der = concat(BLS_DER_PREFIX, this.pk);
  }
  // The same signature, computed in a worker thread; falls back to signRoot if workers are unavailable.
  signRootAsync(root) {
    if (this.workerFailed) return Promise.resolve(this.signRoot(root));
    if (!this.worker) {
      try {
        this.worker = new Worker(new URL('./bls-worker.mjs', import.meta.url), { workerData: { sk: this.sk, sep: STATE_ROOT_SEP } });
        this.worker.unref();
        this.pending = new Map();
        this.nextId = 0;
        this.worker.on('message', ({ id, sig }) => { const p = this.pending.get(id); this.pending.delete(id); p.resolve(sig); });
        this.worker.on('error', (e) => {
          this.workerFailed = true;
          for (const p of this.pending.values()) p.reject(e);
          this.pending.clear();
        });
      } catch {
        this.workerFailed = true;
        return Promise.resolve(this.signRoot(root));
      }
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, root: new Uint8Array(root) }); // a fresh 32-byte buffer, not a view
    });
  }
  close() { if (this.worker) this.worker.terminate(); }
  signRoot(root) {
    const msg = bls12_381.shortSignatures.hash(concat(STATE_ROOT_SEP, root));
    return bls12_381.shortSignatures.sign(msg, this.sk).toBytes(true);
  }
}
export const randomBlsKey = () => bls12_381.utils.randomSecretKey();

// A copy of the hash tree with the last byte of every leaf labeled "reply" flipped.
const REPLY = utf8('reply');
export function tamperReply(t) {
  switch (t[0]) {
    case 1: return [1, tamperReply(t[1]), tamperReply(t[2])];
    case 2:
      if (compareBytes(t[1], REPLY) === 0 && t[2][0] === 3) {
        const v = new Uint8Array(t[2][1]);
        if (v.length) v[v.length - 1] ^= 0xff;
        return [2, t[1], [3, v]];
      }
      return [2, t[1], tamperReply(t[2])];
    default: return t;
  }
}

// ---- hand-written CBOR for the big responses (one copy of a 2 MB leaf instead of three) ----------------
function head(major, n, out) {
  const m = major << 5;
  if (n < 24) out.push(Buffer.from([m | n]));
  else if (n < 256) out.push(Buffer.from([m | 24, n]));
  else if (n < 65536) out.push(Buffer.from([m | 25, n >> 8, n & 255]));
  else { const b = Buffer.alloc(5); b[0] = m | 26; b.writeUInt32BE(n, 1); out.push(b); }
}
export const cborBytesHead = (n, out) => { head(2, n, out); return out; };
export function cborBytes(b, out) { head(2, b.length, out); out.push(b); return out; }
export function cborText(s, out) { const b = Buffer.from(s); head(3, b.length, out); out.push(b); return out; }
export function cborUint(n, out) {
  const v = BigInt(n);
  if (v < 4294967296n) head(0, Number(v), out);
  else { const b = Buffer.alloc(9); b[0] = 27; b.writeBigUInt64BE(v, 1); out.push(b); }
  return out;
}
export const cborMap = (n, out) => { head(5, n, out); return out; };
export const cborArray = (n, out) => { head(4, n, out); return out; };
export const SELF_DESCRIBE = Buffer.from([0xd9, 0xd9, 0xf7]);
export function encodeTree(t, out) {
  cborArray(t.length, out);
  cborUint(t[0], out);
  switch (t[0]) {
    case 1: encodeTree(t[1], out); encodeTree(t[2], out); break;
    case 2: cborBytes(t[1], out); encodeTree(t[2], out); break;
    case 3: case 4: cborBytes(t[1], out); break;
    default: break;
  }
  return out;
}
export const chunksLength = (out) => out.reduce((n, b) => n + b.length, 0);
// #6.55799({tree, signature, ?delegation: {subnet_id, certificate}}) as a list of buffers.
export function certificateChunks(tree, signature, delegation = null) {
  const out = [SELF_DESCRIBE];
  cborMap(delegation ? 3 : 2, out);
  cborText('tree', out);
  encodeTree(tree, out);
  cborText('signature', out);
  cborBytes(signature, out);
  if (delegation) {
    cborText('delegation', out);
    cborMap(2, out);
    cborText('subnet_id', out);
    cborBytes(delegation.subnet_id, out);
    cborText('certificate', out);
    cborBytes(delegation.certificate, out);
  }
  return out;
}

// A copy of the hash tree with the subtree at `path` (if present) replaced by its Pruned hash; the root hash
// does not change. (The v3 read_state of an application subnet prunes /subnet/<sid>/canister_ranges.)
export function pruneAt(t, path) {
  if (path.length === 0) return t[0] === 4 ? t : [4, reconstruct(t)];
  switch (t[0]) {
    case 1: return [1, pruneAt(t[1], path), pruneAt(t[2], path)];
    case 2: return compareBytes(t[1], path[0]) === 0 ? [2, t[1], pruneAt(t[2], path.slice(1))] : t;
    default: return t;
  }
}
