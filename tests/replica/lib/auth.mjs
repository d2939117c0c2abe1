// Envelope authentication as the replica's ingress validator does it: sender vs public key, signature
// (Ed25519; ECDSA secp256k1 with high-S accepted; ECDSA P-256), delegation chains.
// Domain separators and key formats: ../shared/docs/ic-protocol.md §2.2, §3.2.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { hex, unhex, utf8, concat, sha256, bytesEqual, selfAuthenticating, principalText, hashOfMap, toBig, fmtTime } from './util.mjs';

const ED25519_PREFIX = unhex('302a300506032b6570032100');
const SECP256K1_PREFIX = unhex('3056301006072a8648ce3d020106052b8104000a034200');
const P256_PREFIX = unhex('3059301306072a8648ce3d020106082a8648ce3d030107034200');
const REQUEST_SEP = concat(new Uint8Array([10]), utf8('ic-request'));
const DELEGATION_SEP = concat(new Uint8Array([26]), utf8('ic-request-auth-delegation'));

const startsWith = (b, p) => b.length > p.length && bytesEqual(b.subarray(0, p.length), p);

export class AuthError extends Error {}

// Parsed Ed25519 keys, by DER hex (a few hundred recent senders).
const edKeys = new Map();
function edKey(der) {
  const k = hex(der);
  let key = edKeys.get(k);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
    if (edKeys.size > 512) edKeys.clear();
    edKeys.set(k, key);
  }
  return key;
}

// Verify `sig` over `msg` with a DER public key; throws AuthError with the replica's wording.
export function verifySig(der, msg, sig) {
  if (der.length === 44 && startsWith(der, ED25519_PREFIX)) {
    let ok = false;
    try {
      ok = sig.length === 64 && nodeVerify(null, msg, edKey(der), sig);
    } catch { ok = false; }
    if (!ok) throw new AuthError(`Invalid signature: Invalid basic signature: Ed25519 signature could not be verified: public key ${hex(der.subarray(12))}, signature ${hex(sig)}`);
    return;
  }
  const ecdsa = der.length === 88 && startsWith(der, SECP256K1_PREFIX) ? ['secp256k1', secp256k1]
    : der.length === 91 && startsWith(der, P256_PREFIX) ? ['P-256', p256] : null;
  if (ecdsa) {
    const [name, curve] = ecdsa;
    const point = der.subarray(der.length - 65);
    let ok = false;
    try {
      // lowS: false — the replica verifies "with malleability" (high-S accepted).
      ok = sig.length === 64 && point[0] === 4 && curve.verify(sig, sha256(msg), point, { prehash: false, lowS: false, format: 'compact' });
    } catch { ok = false; }
    if (!ok) throw new AuthError(`Invalid signature: Invalid basic signature: ECDSA ${name} signature could not be verified: public key ${hex(der)}, signature ${hex(sig)}`);
    return;
  }
  throw new AuthError(`Invalid signature: Invalid basic signature: Unsupported public key algorithm for key ${hex(der)}`);
}

// env: decoded envelope; rid: request id; opts: { now (ns bigint), target (canister id bytes or null) }.
export function authenticate(env, rid, opts) {
  const c = env.content;
  const sender = c.sender;
  const anonymous = sender.length === 1 && sender[0] === 4;
  if (anonymous) {
    if (env.sender_pubkey !== undefined || env.sender_sig !== undefined || env.sender_delegation !== undefined) {
      throw new AuthError('Signature is not allowed for the anonymous user');
    }
    return null;
  }
  const pub = env.sender_pubkey, sig = env.sender_sig;
  if (!(pub instanceof Uint8Array) || !(sig instanceof Uint8Array)) {
    throw new AuthError(`Missing signature from user: ${principalText(sender)}`);
  }
  if (!bytesEqual(selfAuthenticating(pub), sender)) {
    throw new AuthError(`The user id ${principalText(sender)} does not match the public key ${hex(pub)}`);
  }
  let key = pub;
  const dels = env.sender_delegation ?? [];
  if (!Array.isArray(dels) || !dels.every((sd) => sd?.delegation?.pubkey instanceof Uint8Array && sd.signature instanceof Uint8Array
    && (typeof sd.delegation.expiration === 'number' || typeof sd.delegation.expiration === 'bigint'))) {
    throw new AuthError('Invalid delegation: malformed sender_delegation');
  }
  // As the replica's validator: expiry of every delegation first (its own 400 error), then the chain.
  for (const sd of dels) {
    if (toBig(sd.delegation.expiration) < opts.now) {
      throw new AuthError(`Invalid delegation expiry: Specified sender delegation has expired: Provided expiry: ${fmtTime(sd.delegation.expiration)}, Local time: ${fmtTime(opts.now)}`);
    }
  }
  if (dels.length > 20) throw new AuthError(`Invalid delegation: Chain of delegations is too long: got ${dels.length} delegations, but at most 20 are allowed`);
  const seen = new Set([hex(pub)]);
  let targets = null; // null = all canisters
  for (const sd of dels) {
    const d = sd.delegation;
    try {
      verifySig(key, concat(DELEGATION_SEP, hashOfMap(d)), sd.signature);
    } catch (e) { throw new AuthError(`Invalid delegation: ${e.message}`); }
    if (seen.has(hex(d.pubkey))) throw new AuthError(`Invalid delegation: Chain of delegations contains at least one cycle: first repeating public key encountered ${hex(d.pubkey)}`);
    seen.add(hex(d.pubkey));
    if (d.targets !== undefined) {
      if (!Array.isArray(d.targets) || !d.targets.every((t) => t instanceof Uint8Array)) throw new AuthError('Invalid delegation: malformed targets');
      if (d.targets.length > 1000) throw new AuthError(`Invalid delegation: Delegation targets has ${d.targets.length} targets, but at most 1000 are allowed`);
      const set = new Set(d.targets.map(hex));
      targets = targets === null ? set : new Set([...targets].filter((t) => set.has(t)));
    }
    if (d.permissions === 'queries' && opts.kind === 'call') {
      throw new AuthError('Invalid delegation: the delegation only permits queries');
    }
    key = d.pubkey;
  }
  verifySig(key, concat(REQUEST_SEP, rid), sig);
  if (targets !== null && opts.target && !targets.has(hex(opts.target))) {
    throw new AuthError(`Canister ${principalText(opts.target)} is not one of the delegation targets`);
  }
  return targets;
}
