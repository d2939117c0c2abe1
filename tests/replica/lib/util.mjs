// Small helpers: hashing, LEB128, hex, principals, request ids (representation-independent hash).
// Request-id rules: SPEC https-interface.md §Request ids (see ../shared/docs/ic-protocol.md §2).
import { createHash } from 'node:crypto';
import { Principal } from '@icp-sdk/core/principal';

export const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest().buffer, 0, 32);
};
export const sha224 = (b) => new Uint8Array(createHash('sha224').update(b).digest());

export const hex = (b) => Buffer.from(b.buffer ?? b, b.byteOffset ?? 0, b.byteLength ?? b.length).toString('hex');
export const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));
export const utf8 = (s) => new TextEncoder().encode(s);
export const concat = (...parts) => {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
export const bytesEqual = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
export const compareBytes = (a, b) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length));

export function leb128(n) {
  let v = BigInt(n);
  if (v < 0n) throw new Error('leb128 of a negative number');
  const out = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return new Uint8Array(out);
}
export function sleb128(n) {
  let v = BigInt(n);
  const out = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0)) { out.push(byte); break; }
    out.push(byte | 0x80);
  }
  return new Uint8Array(out);
}

// hash_of_map / H(value) with node's SHA-256 (fast on 2 MB arguments).
export function hashValue(v) {
  if (v instanceof Uint8Array) return sha256(v);
  if (typeof v === 'string') return sha256(utf8(v));
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (v < 0) return sha256(sleb128(v));
    return sha256(leb128(v));
  }
  if (Array.isArray(v)) return sha256(...v.map(hashValue));
  if (v && typeof v === 'object') return hashOfMap(v);
  throw new Error(`cannot hash value of type ${typeof v}`);
}
export function hashOfMap(m) {
  const pairs = [];
  for (const [k, v] of Object.entries(m)) {
    if (v === undefined) continue;
    pairs.push(Buffer.from(concat(sha256(utf8(k)), hashValue(v))));
  }
  pairs.sort(Buffer.compare);
  return sha256(...pairs);
}
export const requestId = (content) => hashOfMap(content);

export const principalText = (bytes) => Principal.fromUint8Array(bytes).toText();
export const principalBytes = (text) => Principal.fromText(text).toUint8Array();
export const selfAuthenticating = (der) => concat(sha224(der), new Uint8Array([2]));
export const ANONYMOUS = new Uint8Array([4]);
export const isAnonymous = (b) => b.length === 1 && b[0] === 4;
export const isCanisterId = (b) => b.length === 10 && b[8] === 1 && b[9] === 1;

// "2025-05-01 23:55:18.005285297 UTC" as the replica prints Time.
export function fmtTime(ns) {
  const n = BigInt(ns);
  const ms = Number(n / 1000000n);
  const d = new Date(ms);
  const pad = (x, w = 2) => String(x).padStart(w, '0');
  const frac = String(n % 1000000000n).padStart(9, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${frac} UTC`;
}
export const nowNs = () => BigInt(Date.now()) * 1000000n;
export const toBig = (x) => (typeof x === 'bigint' ? x : BigInt(x));
