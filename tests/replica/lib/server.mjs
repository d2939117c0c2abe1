// The HTTP front end: /api/v2/status, query (v2, v3), call (v2, v3, v4), read_state (v2, v3; canister and
// subnet), with the replica's checks and status codes (../shared/docs/ic-protocol.md §1, §4), plus the
// admin API under /_/ for tests.
import http from 'node:http';
import http2 from 'node:http2';
import fs from 'node:fs';
import * as cbor from '@dfinity/cbor';
import { Principal } from '@icp-sdk/core/principal';
import { node, leaf, witness, hashOf, hashLeafAhead, pruneAt, certificateChunks, tamperReply, cborMap, cborText, cborBytes, cborBytesHead, cborUint, cborArray, chunksLength, SELF_DESCRIBE } from './cert.mjs';
import { Executor } from './exec.mjs';
import { argCanisterId } from './candid.mjs';
import { authenticate, AuthError } from './auth.mjs';
import { Faults } from './faults.mjs';
import {
  hex, unhex, utf8, concat, leb128, requestId, hashOfMap, principalText, isAnonymous, fmtTime, nowNs, toBig,
  bytesEqual, compareBytes, sha256, selfAuthenticating,
} from './util.mjs';

const MAX_INGRESS = 2 * 1024 * 1024;
const MAX_BODY = 5 * 1024 * 1024;
const MAX_TTL_NS = 300n * 1000000000n;
const DRIFT_NS = 30n * 1000000000n;
const STALE_NS = 600n * 1000000000n;
const REPLY_BUDGET = 512 * 1024 * 1024;
const RESPONSE_SEP = concat(new Uint8Array([11]), utf8('ic-response'));
// This subnet hosts every canister id: one range over all 10-byte ...0101 ids.
export const RANGE_START = unhex('00000000000000000101');
export const RANGE_END = unhex('ffffffffffffffff0101');

// A query response (SPEC https-interface.md §Query call), signed by `nodeKey` over
// "\x0Bic-response" ‖ hash_of_map({status, reply | reject_*, timestamp, request_id}); CBOR chunks.
// evil: 'bad-signature' flips a signature bit, 'wrong-reply' changes the reply after signing.
export function queryResponse(nodeKey, rid, result, timestamp, evil = null) {
  const resp = result.reply
    ? { status: 'replied', reply: { arg: result.reply } }
    : { status: 'rejected', reject_code: result.reject.code, reject_message: result.reject.message, error_code: result.reject.error_code };
  let signature = nodeKey.sign(concat(RESPONSE_SEP, hashOfMap({ ...resp, timestamp, request_id: rid })));
  if (evil === 'bad-signature') { signature = new Uint8Array(signature); signature[0] ^= 1; }
  const out = [SELF_DESCRIBE];
  if (resp.reply) {
    let arg = resp.reply.arg;
    if (evil === 'wrong-reply') { arg = new Uint8Array(arg); arg[arg.length - 1] ^= 0xff; }
    cborMap(3, out); cborText('status', out); cborText('replied', out);
    cborText('reply', out); cborMap(1, out); cborText('arg', out); cborBytes(arg, out);
  } else {
    cborMap(5, out); cborText('status', out); cborText('rejected', out);
    cborText('reject_code', out); cborUint(resp.reject_code, out);
    cborText('reject_message', out); cborText(resp.reject_message, out);
    cborText('error_code', out); cborText(resp.error_code, out);
  }
  cborText('signatures', out); cborArray(1, out); cborMap(3, out);
  cborText('timestamp', out); cborUint(timestamp, out);
  cborText('signature', out); cborBytes(signature, out);
  cborText('identity', out); cborBytes(nodeKey.id, out);
  return out;
}

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export class Replica {
  constructor(state, opts = {}) {
    this.state = state;
    this.faults = new Faults();
    if (opts.faults) this.faults.set(opts.faults);
    this.counters = { requests: {}, status: {}, faults: {}, stable_reads: 0, stable_read_bytes: 0, snapshot_read_bytes: 0, management: {}, mutations: 0 };
    this.exec = new Executor(state, this.counters);
    this.requests = new Map(); // request id hex -> { sender, result, time }
    this.rounds = new Map(); // evil mode ('' = none) -> round being collected
    this.chain = Promise.resolve();
    this.height = 1;
  }

  // tls: { cert, key } (PEM) serves HTTPS with HTTP/2 and HTTP/1.1 (ALPN); otherwise plain HTTP/1.1.
  listen(port, host = '127.0.0.1', tls = null) {
    const handler = (req, res) => {
      this.#handle(req, res).catch((e) => {
        if (!res.headersSent) { res.writeHead(500); res.end(`Internal error: ${e.message}`); }
        else res.destroy();
        process.stderr.write(`replica: internal error: ${e.stack}\n`);
      });
    };
    this.server = tls
      ? http2.createSecureServer({ cert: tls.cert, key: tls.key, allowHTTP1: true }, handler)
      : http.createServer({ keepAliveTimeout: 60000, requestTimeout: 0 }, handler);
    if (tls) {
      this.sessions = new Set();
      this.server.on('session', (s) => { this.sessions.add(s); s.on('close', () => this.sessions.delete(s)); });
    }
    return new Promise((resolve) => this.server.listen(port, host, () => resolve(this.server.address().port)));
  }
  close() {
    this.state.signer.close();
    this.state.subnetSigner.close();
    const done = new Promise((r) => this.server.close(r));
    this.server.closeAllConnections?.();
    for (const sess of this.sessions ?? []) sess.destroy();
    return done;
  }

  #count(group, key) { this.counters[group][key] = (this.counters[group][key] ?? 0) + 1; }

  async #readBody(req) {
    const chunks = [];
    let n = 0;
    for await (const c of req) {
      n += c.length;
      if (n > MAX_BODY) throw new HttpError(413, `Request body is too large: more than ${MAX_BODY} bytes.`);
      chunks.push(c);
    }
    const b = Buffer.concat(chunks);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }

  async #handle(req, res) {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/_/')) return this.#admin(req, res, url);
    const m = url.pathname.match(/^\/api\/v(\d)\/(canister|subnet)\/([^/]+)\/(call|query|read_state)$/);
    const endpoint = url.pathname === '/api/v2/status' ? 'status' : m ? m[4] : 'other';
    this.#count('requests', m ? `v${m[1]} ${m[2]} ${m[4]}` : url.pathname);
    let body;
    let out;
    try {
      body = req.method === 'POST' ? await this.#readBody(req) : new Uint8Array(0);
      const delay = this.faults.delayMs(endpoint);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      const f = this.faults.pick(endpoint);
      if (f) {
        this.#count('faults', f.status ? String(f.status) : f.reset ? 'reset' : 'cut');
        if (f.reset) {
          if (req.stream) req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR); // HTTP/2: RST_STREAM
          else if (req.socket.resetAndDestroy) req.socket.resetAndDestroy();
          else req.socket.destroy();
          return;
        }
        if (f.status) {
          const text = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service is overloaded, try again later.', 429: 'Too Many Requests' }[f.status];
          const h = f.status === 429 || f.status === 503 ? { 'retry-after': String(this.faults.cfg.retry_after ?? 1) } : {};
          return this.#send(res, f.status, text, h, endpoint);
        }
        if (f.cut) out = { cut: true };
      }
      let r;
      const health = this.faults.cfg.health ?? 'healthy';
      if (health !== 'healthy' && m) {
        const variant = health.split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
        throw new HttpError(503, `Replica is unhealthy: ${variant}. Check the /api/v2/status for more information.`);
      }
      if (endpoint === 'status' && req.method === 'GET') r = this.#status();
      else if ((endpoint === 'status' || m) && req.method !== (m ? 'POST' : 'GET')) throw new HttpError(405, '');
      else if (!m) throw new HttpError(404, `Not found: ${req.method} ${url.pathname}`);
      else if ((req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() !== 'application/cbor') {
        throw new HttpError(400, 'Unexpected content-type, expected application/cbor.');
      }
      else r = await this.#api(Number(m[1]), m[2], m[3], m[4], body, endpoint);
      if (out?.cut) {
        const b = Array.isArray(r.body) ? Buffer.concat(r.body) : Buffer.from(r.body);
        res.writeHead(r.status, { 'content-type': 'application/cbor', 'content-length': b.length });
        res.write(b.subarray(0, b.length >> 1));
        setTimeout(() => res.destroy(), 5);
        return;
      }
      return this.#send(res, r.status, r.body, r.cbor ? { 'content-type': 'application/cbor' } : {}, endpoint);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      this.#send(res, e.status, e.message, {}, endpoint);
      if (e.status === 413) req.resume();
    }
  }

  #send(res, status, body, headers, endpoint) {
    this.#count('status', String(status));
    const t = this.faults.trickle(endpoint);
    if (Array.isArray(body) && !t) {
      res.writeHead(status, { ...headers, 'content-length': chunksLength(body) });
      res.cork?.();
      for (const c of body) res.write(c);
      res.end();
      return;
    }
    const b = Array.isArray(body) ? Buffer.concat(body) : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.length);
    res.writeHead(status, { ...headers, 'content-length': b.length });
    if (!t || b.length === 0) { res.end(b); return; }
    let o = 0;
    const step = () => {
      if (res.destroyed) return;
      const part = b.subarray(o, o + t.bytes);
      o += part.length;
      if (o >= b.length) res.end(part);
      else { res.write(part); setTimeout(step, t.ms); }
    };
    step();
  }

  // The replica's clock: the host's, shifted by the clock_skew_ms fault (to test clients' time resync).
  now() {
    const skew = this.faults.cfg.clock_skew_ms;
    return skew ? nowNs() + BigInt(Math.trunc(skew)) * 1000000n : nowNs();
  }
  certTime(endpoint) { return this.faults.evil(endpoint) === 'stale-time' ? this.now() - STALE_NS : this.now(); }

  #status() {
    const body = cbor.encodeWithSelfDescribedTag({
      ic_api_version: '0.18.0',
      impl_source: 'https://github.com/icarc (tests/replica)',
      impl_version: 'icarc-test-replica-0.1.0',
      impl_revision: '0',
      root_key: this.state.signer.der,
      replica_health_status: this.faults.cfg.health ?? 'healthy',
      certified_height: this.height,
    });
    return { status: 200, body, cbor: true };
  }

  // ---- envelope checks --------------------------------------------------------------------------------
  #envelope(kind, body) {
    let env;
    try {
      env = cbor.decode(body);
    } catch (e) {
      throw new HttpError(400, `Could not parse body as ${kind} message: ${e.message}`);
    }
    const bad = (why) => new HttpError(400, `Could not parse body as ${kind} message: ${why}`);
    if (!env || typeof env !== 'object' || Array.isArray(env) || env instanceof Uint8Array) throw bad('invalid type: expected a map');
    const c = env.content;
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw bad('missing field `content`');
    const rt = kind === 'read_state' ? 'read_state' : kind;
    if (c.request_type !== rt) throw bad(`invalid value: string "${c.request_type}", expected "${rt}"`);
    const isBytes = (x) => x instanceof Uint8Array;
    if (!isBytes(c.sender)) throw bad('missing field `sender`');
    if (c.sender.length > 29) throw bad('invalid sender: principal too long');
    const exp = c.ingress_expiry;
    if (!((typeof exp === 'number' && Number.isInteger(exp) && exp >= 0) || (typeof exp === 'bigint' && exp >= 0n))) {
      throw bad(exp === undefined ? 'missing field `ingress_expiry`' : 'invalid type for `ingress_expiry`: expected u64');
    }
    if (kind === 'read_state') {
      if (!Array.isArray(c.paths) || !c.paths.every((p) => Array.isArray(p) && p.every(isBytes))) throw bad('missing or invalid field `paths`');
    } else {
      if (!isBytes(c.canister_id)) throw bad('missing field `canister_id`');
      if (typeof c.method_name !== 'string') throw bad('missing field `method_name`');
      if (!isBytes(c.arg)) throw bad('missing field `arg`');
    }
    if (c.nonce !== undefined && !isBytes(c.nonce)) throw bad('invalid type for `nonce`');
    for (const k of ['sender_pubkey', 'sender_sig']) if (env[k] !== undefined && !isBytes(env[k])) throw bad(`invalid type for \`${k}\``);
    let rid;
    try { rid = requestId(c); } catch (e) { throw bad(`invalid value in content: ${e.message}`); }
    return { env, content: c, rid };
  }

  #validate(kind, env, content, rid, body, target) {
    const ridText = `0x${hex(rid)}`;
    if (kind === 'call' && body.length > MAX_INGRESS) {
      throw new HttpError(413, `Request ${ridText} is too large. Message byte size ${body.length} is larger than the max allowed ${MAX_INGRESS}.`);
    }
    const now = this.now();
    const exempt = kind !== 'call' && isAnonymous(content.sender);
    if (!exempt) {
      const exp = toBig(content.ingress_expiry);
      const max = now + MAX_TTL_NS + DRIFT_NS;
      if (exp < now || exp > max) {
        throw new HttpError(400, `Invalid request expiry: Specified ingress_expiry not within expected range: Minimum allowed expiry: ${fmtTime(now)}, Maximum allowed expiry: ${fmtTime(max)}, Provided expiry: ${fmtTime(exp)}`);
      }
    }
    if (content.nonce && content.nonce.length > 32) {
      throw new HttpError(403, `Failed to authenticate request ${ridText} due to: Nonce in request is too big: got ${content.nonce.length} bytes, but at most 32 are allowed`);
    }
    if (kind === 'read_state') {
      if (content.paths.length > 1000) throw new HttpError(403, `Failed to authenticate request ${ridText} due to: Too many paths in read state request: got ${content.paths.length} paths, but at most 1000 are allowed`);
      const long = content.paths.find((p) => p.length > 127);
      if (long) throw new HttpError(403, `Failed to authenticate request ${ridText} due to: At least one path in read state request is too deep: got ${long.length} labels, but at most 127 are allowed`);
    }
    try {
      return authenticate(env, rid, { now, target, kind });
    } catch (e) {
      if (!(e instanceof AuthError)) throw e;
      if (e.message.startsWith('Invalid delegation expiry')) throw new HttpError(400, e.message);
      throw new HttpError(403, `Failed to authenticate request ${ridText} due to: ${e.message}`);
    }
  }

  // ---- API ----------------------------------------------------------------------------------------------
  async #api(version, scope, idText, kind, body, endpoint) {
    const valid = scope === 'canister'
      ? { query: [2, 3], call: [2, 3, 4], read_state: [2, 3] }[kind].includes(version)
      : kind === 'read_state' && [2, 3].includes(version);
    if (!valid || (version === 4 && this.faults.cfg.no_v4) || this.faults.cfg.disable?.includes(`v${version}-${kind}`)) {
      throw new HttpError(404, `Not found: /api/v${version}/${scope}/${idText}/${kind}`);
    }
    let eid;
    try { eid = Principal.fromText(idText).toUint8Array(); } catch (e) {
      throw new HttpError(400, `Could not parse ${scope === 'canister' ? 'effective canister id' : 'effective subnet id'} '${idText}': ${e.message}`);
    }
    const { env, content, rid } = this.#envelope(kind, body);
    if (scope === 'subnet') {
      if (!bytesEqual(eid, this.state.subnetId)) throw new HttpError(404, `Subnet ${idText} not found.`);
      this.#validate(kind, env, content, rid, body, null);
      return await this.#readState(content, rid, { subnet: eid, endpoint, version });
    }
    if (kind === 'read_state') {
      const targets = this.#validate(kind, env, content, rid, body, null);
      return await this.#readState(content, rid, { canister: eid, endpoint, version, targets });
    }
    // query or call: the effective canister id must match
    const cid = content.canister_id;
    const target = cid.length === 0 ? argCanisterId(content.arg) : cid;
    this.#validate(kind, env, content, rid, body, cid.length ? cid : new Uint8Array(0));
    if (!target || !bytesEqual(target, eid)) {
      throw new HttpError(400, `Specified CanisterId ${target ? principalText(target) : '<none>'} does not match effective canister id in URL ${idText}`);
    }
    if (compareBytes(eid, RANGE_START) < 0 || compareBytes(eid, RANGE_END) > 0 || eid.length !== 10) {
      throw new HttpError(400, `Canister ${idText} does not belong to any subnet.`);
    }
    const ctx = {
      sender: content.sender, senderText: principalText(content.sender), canisterId: cid, ecid: eid,
      expiry: toBig(content.ingress_expiry),
      method: content.method_name, arg: content.arg,
    };
    if (kind === 'query') return this.#query(ctx, rid, endpoint);
    return await this.#call(ctx, rid, version, endpoint);
  }

  #query(ctx, rid, endpoint) {
    ctx.replicated = false;
    const result = this.exec.run(ctx);
    const evil = this.faults.evil(endpoint);
    const nodeKey = evil === 'unknown-node-key' ? this.state.strangerNode
      : this.faults.cfg.node_joined ? this.state.joinedNode : this.state.node;
    const out = queryResponse(nodeKey, rid, result, this.certTime(endpoint), evil);
    this.#maybeMutate(ctx);
    return { status: 200, body: out, cbor: true };
  }

  // "State mutated during a read": change a page of stable memory after every Nth stable_read.
  #maybeMutate(ctx) {
    if (ctx.method !== 'stable_read' || ctx.canisterId.length === 0) return;
    const c = this.state.get(ctx.canisterId);
    if (!c || !c.stableSize || !this.faults.shouldMutate()) return;
    const pages = c.stableSize / 65536;
    const page = Math.floor(this.faults.random() * pages);
    const data = new Uint8Array(64);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(this.faults.random() * 256);
    c.mem.stable_memory.write(page * 65536, data);
    c.touchStable();
    c.save();
    this.counters.mutations += 1;
  }

  async #call(ctx, rid, version, endpoint) {
    ctx.replicated = true;
    const key = hex(rid);
    let entry = this.requests.get(key);
    if (!entry) {
      const refused = this.exec.ingressFilter(ctx);
      if (refused) {
        const r = refused.reject;
        if (version === 2) {
          return { status: 200, body: cbor.encodeWithSelfDescribedTag({ reject_code: r.code, reject_message: r.message, error_code: r.error_code }), cbor: true };
        }
        return {
          status: 200, cbor: true,
          body: cbor.encodeWithSelfDescribedTag({ status: 'non_replicated_rejection', reject_code: r.code, reject_message: r.message, error_code: r.error_code }),
        };
      }
      const result = this.exec.run(ctx);
      this.height += 1;
      entry = { sender: hex(ctx.sender), result, time: this.now(), receiver: hex(ctx.canisterId), expiry: ctx.expiry };
      if (result.reply) this.replyBytes = (this.replyBytes ?? 0) + result.reply.length;
      if (result.reply?.length >= 65536) entry.hashing = hashLeafAhead(result.reply);
      this.requests.set(key, entry);
      this.#gc();
    }
    if (version === 2) return { status: 202, body: new Uint8Array(0) };
    const cert = await this.#certify({ rids: [rid], canisters: [] }, [[utf8('request_status'), rid]], endpoint, version === 3 ? 'legacy' : 'sharded');
    const out = [SELF_DESCRIBE];
    cborMap(2, out); cborText('status', out); cborText('replied', out);
    cborText('certificate', out); cborBytesHead(chunksLength(cert), out);
    return { status: 200, body: out.concat(cert), cbor: true };
  }

  // Certification in rounds, as the IC does: every request waiting for a certificate joins the current
  // round; the round's state tree holds all their request statuses and canisters, its root is signed once,
  // and each request gets its own witness (pruned to its paths, plus /time) with that one signature.
  // The delegation certificate (signed by the root key) for this subnet, in the canister-range form the
  // endpoint uses: 'sharded' /canister_ranges/<sid>/<shard> (v4 call, v3 read_state) or 'legacy'
  // /subnet/<sid>/canister_ranges (v3 call, v2 read_state). Re-made every 5 minutes (fresh /time).
  #delegation(form) {
    const s = this.state;
    const now = this.now();
    this.delegations ??= new Map();
    const cached = this.delegations.get(form);
    if (cached && now - cached.time < 300n * 1000000000n) return cached.value;
    const ranges = cbor.encodeWithSelfDescribedTag([[RANGE_START, RANGE_END]]);
    const subnet = [['public_key', leaf(s.subnetSigner.der)], ['type', leaf('application')]];
    let tree;
    const paths = [[utf8('subnet'), s.subnetId, utf8('public_key')], [utf8('time')]];
    if (form === 'legacy') {
      tree = node([['subnet', node([[s.subnetId, node([...subnet, ['canister_ranges', leaf(ranges)]])]])], ['time', leaf(leb128(now))]]);
      paths.push([utf8('subnet'), s.subnetId, utf8('canister_ranges')]);
    } else {
      tree = node([
        ['canister_ranges', node([[s.subnetId, node([[RANGE_START, leaf(ranges)]])]])],
        ['subnet', node([[s.subnetId, node(subnet)]])],
        ['time', leaf(leb128(now))],
      ]);
      paths.push([utf8('canister_ranges'), s.subnetId]);
    }
    const certificate = Buffer.concat(certificateChunks(witness(tree, paths), s.signer.signRoot(hashOf(tree))));
    const value = { subnet_id: s.subnetId, certificate };
    this.delegations.set(form, { time: now, value });
    return value;
  }

  #certify(want, paths, endpoint, form = 'sharded') {
    const evil = this.faults.evil(endpoint) ?? '';
    let round = this.rounds.get(evil);
    if (!round) {
      round = { rids: [], canisters: [], waiters: [] };
      this.rounds.set(evil, round);
      // One round is signed at a time; requests arriving meanwhile gather in the next round.
      setImmediate(() => { this.chain = this.chain.then(() => this.#flush(evil)); });
    }
    round.rids.push(...want.rids);
    round.canisters.push(...want.canisters);
    // v3 read_state on an application subnet: /subnet/<sid>/canister_ranges is pruned (KeepOnlyNNS).
    const pruneLegacy = this.state.delegated && form === 'sharded';
    return new Promise((resolve, rejectP) => round.waiters.push({ paths, form, pruneLegacy, resolve, reject: rejectP }));
  }

  async #flush(evil) {
    const round = this.rounds.get(evil);
    this.rounds.delete(evil);
    try {
      await Promise.all(round.rids.map((rid) => this.requests.get(hex(rid))?.hashing));
      const tree = this.#tree({ rids: round.rids, canisters: round.canisters }, evil || null);
      let root = hashOf(tree);
      if (evil === 'bad-signature') root = sha256(root);
      const signature = await this.state.subnetSigner.signRootAsync(root);
      this.counters.certificates = (this.counters.certificates ?? 0) + 1;
      for (const w of round.waiters) {
        let t = witness(tree, [...w.paths, [utf8('time')]]);
        if (w.pruneLegacy) t = pruneAt(t, [utf8('subnet'), this.state.subnetId, utf8('canister_ranges')]);
        if (evil === 'wrong-reply') t = tamperReply(t);
        w.resolve(certificateChunks(t, signature, this.state.delegated ? this.#delegation(w.form) : null));
      }
    } catch (e) {
      for (const w of round.waiters) w.reject(e);
    }
  }

  // Request statuses are kept (replay protection) until well after their expiry; reply bytes are kept
  // while the total stays under REPLY_BUDGET, oldest first dropped: the status then reads "done" (the
  // spec's "response already forgotten"), as on the IC once a reply has been pruned.
  #gc() {
    this.replyBytes = (this.replyBytes ?? 0);
    const now = this.now();
    for (const [k, v] of this.requests) {
      const dropReply = this.replyBytes > REPLY_BUDGET || v.expiry < now;
      if (!dropReply) break;
      if (v.result.reply) { this.replyBytes -= v.result.reply.length; v.result = { done: true }; }
      if (v.time < now - 2n * (MAX_TTL_NS + DRIFT_NS)) this.requests.delete(k);
      else if (this.replyBytes <= REPLY_BUDGET) break;
    }
  }

  // The state tree, with only what the request may see: the given request statuses and canisters.
  // The subnet's nodes: one, or two once a node joined (fault "node_joined").
  #nodes() {
    return this.faults.cfg.node_joined ? [this.state.node, this.state.joinedNode] : [this.state.node];
  }

  #tree({ rids = [], canisters = [] }, evil) {
    const s = this.state;
    const ranges = cbor.encodeWithSelfDescribedTag([[RANGE_START, RANGE_END]]);
    const seen = new Set();
    rids = rids.filter((r) => { const k = hex(r); if (seen.has(k)) return false; seen.add(k); return true; });
    canisters = canisters.filter((c) => { const k = `c${hex(c)}`; if (seen.has(k)) return false; seen.add(k); return true; });
    const statusEntries = rids.map((rid) => {
      const e = this.requests.get(hex(rid));
      if (!e) return null;
      const r = e.result;
      let n;
      if (r.done) {
        n = node([['status', leaf('done')]]);
      } else if (r.reply) {
        n = node([['status', leaf('replied')], ['reply', leaf(r.reply)]]);
      } else {
        n = node([['status', leaf('rejected')], ['reject_code', leaf(leb128(r.reject.code))],
          ['reject_message', leaf(r.reject.message)], ['error_code', leaf(r.reject.error_code)]]);
      }
      return [rid, n];
    });
    const canisterEntries = canisters.map((cid) => {
      const c = s.get(cid);
      if (!c) return null;
      const mh = c.moduleHash();
      const ctl = cbor.encodeWithSelfDescribedTag(c.meta.controllers.map((p) => Principal.fromText(p).toUint8Array()));
      const md = [...c.metadata()].map(([name, e]) => [name, leaf(e.data)]);
      return [cid, node([['controllers', leaf(ctl)], ['metadata', node(md)], mh ? ['module_hash', leaf(mh)] : null])];
    });
    let time = this.now();
    if (evil === 'stale-time') time -= STALE_NS;
    return node([
      ['canister', node(canisterEntries)],
      ['canister_ranges', node([[s.subnetId, node([[RANGE_START, leaf(ranges)]])]])],
      ['request_status', node(statusEntries)],
      ['subnet', node([[s.subnetId, node([
        ['canister_ranges', leaf(ranges)],
        ['node', node(this.#nodes().map((n) => [n.id, node([['public_key', leaf(n.der)]])]))],
        ['public_key', leaf(s.subnetSigner.der)],
        ['type', leaf('application')],
      ])]])],
      ['time', leaf(leb128(time))],
    ]);
  }

  // Which paths a read_state may ask for, as dfinity/ic rs/http_endpoints/public/src/read_state/
  // {canister,subnet}.rs (verify_paths); anything else is 404 "Invalid path requested.".
  async #readState(content, rid, where) {
    const paths = content.paths;
    const L = (b) => Buffer.from(b).toString('latin1');
    const rids = [];
    const canisters = [];
    const invalid = () => new HttpError(404, 'Invalid path requested.');
    const principalOf = (b) => {
      if (b.length > 29) throw new HttpError(400, `Could not parse principal ID: Principal ID must be at most 29 bytes long, got ${b.length}.`);
      return b;
    };
    const samePrincipal = (b, eff) => {
      if (!bytesEqual(principalOf(b), eff)) {
        throw new HttpError(400, `Effective principal id in URL ${principalText(eff)} does not match requested principal id: ${principalText(b)}.`);
      }
    };
    const nnsId = selfAuthenticating(this.state.signer.der);
    for (const p of paths) {
      const l = p.map(L);
      const n = p.length;
      if (n === 1 && l[0] === 'time') continue;
      if (l[0] === 'api_boundary_nodes' && (n === 1 || n === 2 || (n === 3 && ['domain', 'ipv4_address', 'ipv6_address'].includes(l[2])))) continue;
      if (l[0] === 'subnet') {
        if (n === 1 || n === 2) continue;
        if (n === 3 && (l[2] === 'public_key' || l[2] === 'node')) continue;
        if ((n === 4 && l[2] === 'node') || (n === 5 && l[2] === 'node' && l[4] === 'public_key')) continue;
        if (n === 3 && l[2] === 'canister_ranges') {
          if (where.subnet || where.version === 2 || bytesEqual(principalOf(p[1]), nnsId)) continue;
          throw invalid();
        }
        if (n === 3 && l[2] === 'metrics' && where.subnet) { samePrincipal(p[1], where.subnet); continue; }
        throw invalid();
      }
      if (where.subnet) {
        if (n === 2 && l[0] === 'canister_ranges') continue; // /canister_ranges/<subnet_id> (sharded form)
        throw invalid();
      }
      if (l[0] === 'request_status' && (n === 2 || (n === 3 && ['status', 'reply', 'reject_code', 'reject_message', 'error_code'].includes(l[2])))) {
        const r = p[1];
        if (r.length !== 32) throw new HttpError(400, 'Invalid request id in paths. Maybe the request ID is not of 32 bytes in length?!');
        if (rids.length && !bytesEqual(rids[0], r)) {
          throw new HttpError(400, `More than one non-unique request ID exists in request_status paths: ${hex(rids[0])} and ${hex(r)}.`);
        }
        if (!rids.length) rids.push(r);
        const e = this.requests.get(hex(r));
        if (e && e.sender !== hex(content.sender)) throw new HttpError(403, 'The user tries to access Request ID not signed by the caller.');
        if (e && where.targets && !where.targets.has(e.receiver)) {
          throw new HttpError(403, 'The user tries to access request IDs for canisters not belonging to sender delegation targets.');
        }
        continue;
      }
      if (l[0] === 'canister' && n === 3 && (l[2] === 'controllers' || l[2] === 'module_hash')) {
        samePrincipal(p[1], where.canister);
        canisters.push(p[1]);
        continue;
      }
      if (l[0] === 'canister' && n === 4 && l[2] === 'metadata') {
        let name;
        try { name = new TextDecoder('utf-8', { fatal: true }).decode(p[3]); } catch (e) {
          throw new HttpError(400, `Could not parse the custom section name: ${e.message}.`);
        }
        samePrincipal(p[1], where.canister);
        const c = this.state.get(p[1]);
        const entry = c?.metadata().get(name);
        if (entry && !entry.public && !c.isController(content.sender)) {
          throw new HttpError(403, `Custom section ${name.slice(0, 100)} can only be requested by the controllers of the canister.`);
        }
        canisters.push(p[1]);
        continue;
      }
      throw invalid();
    }
    const cert = await this.#certify({ rids, canisters }, paths, where.endpoint, where.version === 2 ? 'legacy' : 'sharded');
    const out = [SELF_DESCRIBE];
    cborMap(1, out); cborText('certificate', out); cborBytesHead(chunksLength(cert), out);
    return { status: 200, body: out.concat(cert), cbor: true };
  }

  // ---- admin API ----------------------------------------------------------------------------------------
  async #admin(req, res, url) {
    const json = (status, obj) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj, (k, v) => (typeof v === 'bigint' ? String(v) : v))); };
    try {
      const body = req.method === 'POST' ? JSON.parse(Buffer.from(await this.#readBody(req)).toString() || '{}') : {};
      const p = url.pathname;
      const cm = p.match(/^\/_\/canisters\/([^/]+)(?:\/(controllers|memory|state|chunks))?$/);
      if (p === '/_/counters' && req.method === 'GET') return json(200, this.counters);
      if (p === '/_/info' && req.method === 'GET') {
        return json(200, {
          root_key: hex(this.state.signer.der), subnet_id: principalText(this.state.subnetId), node_id: principalText(this.state.node.id),
          delegated: this.state.delegated, subnet_key: hex(this.state.subnetSigner.der), canisters: [...this.state.canisters.keys()],
        });
      }
      if (p === '/_/faults') {
        if (req.method === 'POST') this.faults.set(body);
        return json(200, this.faults.get());
      }
      if (p === '/_/canisters' && req.method === 'POST') {
        const c = this.state.create(body);
        if (body.writers) { c.meta.writers = body.writers; c.save(); }
        return json(200, { id: c.text });
      }
      if (cm) {
        const c = this.state.get(cm[1]);
        if (!c) return json(404, { error: `canister ${cm[1]} not found` });
        if (!cm[2] && req.method === 'GET') return json(200, { ...c.meta, snapshots: c.listSnapshots() });
        if (cm[2] === 'controllers' && req.method === 'POST') {
          c.meta.controllers = body.controllers.map((t) => Principal.fromText(t).toText());
          c.bump(); c.save();
          return json(200, { controllers: c.meta.controllers });
        }
        if (cm[2] === 'memory' && req.method === 'POST') {
          const kind = body.kind ?? 'stable_memory';
          if (body.offset === undefined) this.state.seedMemories(c, { [kind]: body.file });
          else {
            const data = body.hex !== undefined ? unhex(body.hex) : new Uint8Array(fs.readFileSync(body.file));
            const end = Number(body.offset) + data.length;
            const field = { stable_memory: 'stable_size', wasm_memory: 'wasm_size', wasm_module: 'module_size' }[kind];
            if (end > c.meta[field]) {
              const size = kind === 'wasm_module' ? end : Math.ceil(end / 65536) * 65536;
              c.mem[kind].truncate(size);
              c.meta[field] = size;
            }
            c.mem[kind].write(Number(body.offset), data);
            c.touchStable(); c.save();
          }
          return json(200, { stable_size: c.meta.stable_size, wasm_size: c.meta.wasm_size, module_size: c.meta.module_size, token: c.meta.token });
        }
        if (cm[2] === 'chunks' && req.method === 'POST') {
          const r = c.addChunk(body.hex !== undefined ? unhex(body.hex) : new Uint8Array(fs.readFileSync(body.file)));
          if (r.error) return json(400, { error: r.error });
          return json(200, { hash: r.hash, chunks: c.meta.chunks });
        }
        if (cm[2] === 'state' && req.method === 'POST') {
          for (const k of ['status', 'readers', 'writers', 'cycles']) if (body[k] !== undefined) c.meta[k] = body[k];
          c.bump(); c.save();
          return json(200, c.meta);
        }
      }
      return json(404, { error: `no admin route ${req.method} ${p}` });
    } catch (e) {
      return json(400, { error: e.message });
    }
  }
}

