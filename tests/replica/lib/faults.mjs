// Fault injection for reliability tests. All probabilities come from a seeded PRNG so runs repeat.
// Settings (CLI --fault k=v, or POST /_/faults with a JSON object):
//   latency_ms, jitter_ms             delay every API response by latency + uniform[0, jitter)
//   rate_500, rate_502, rate_503, rate_429   probability of answering with that status (plain text)
//   retry_after                       seconds in Retry-After for 429/503 (default 1)
//   reset_rate                        probability of resetting the connection instead of answering
//   cut_rate                          probability of sending the headers and only half of the body
//   trickle_bytes, trickle_ms         send bodies in pieces of N bytes every M ms
//   mutate_every                      every Nth stable_read changes a random page of that canister's
//                                     stable memory (and its token) right after answering
//   evil                              bad-signature | stale-time | wrong-reply | unknown-node-key
//   no_v4                             1: answer 404 on /api/v4/.../call, like a replica without v4
//                                     (agent-js then falls back to v2 call + read_state polling)
//   disable                           comma list of endpoints that answer 404, e.g. v4-call,v3-call,v3-query
//                                     (to exercise clients' fallbacks: v4 → v3 → v2 call, v3 → v2 query)
//   clock_skew_ms                     shift the replica's clock (expiry checks, /time, query timestamps) by
//                                     N ms, negative allowed (to exercise clients' time resync)
//   node_joined                       1: a second node has joined the subnet: /subnet/<sid>/node lists it
//                                     next to the first, and it signs the query responses (agents must
//                                     read the node keys again when an unknown node signs)
//   health                            healthy (default) | starting | waiting_for_certified_state |
//                                     waiting_for_root_delegation | certified_state_behind: anything but
//                                     healthy makes /api/v2/status say so and every other /api/ request
//                                     answer 503 "Replica is unhealthy: <State>. Check the /api/v2/status ..."
//   only                              comma list of endpoints the faults apply to:
//                                     status,query,call,read_state (default: all)
//   seed                              PRNG seed (default 1)
export const FAULT_KEYS = ['latency_ms', 'jitter_ms', 'rate_500', 'rate_502', 'rate_503', 'rate_429', 'retry_after',
  'reset_rate', 'cut_rate', 'trickle_bytes', 'trickle_ms', 'mutate_every', 'evil', 'only', 'seed', 'no_v4', 'disable', 'clock_skew_ms', 'health', 'node_joined'];
export const HEALTH = ['healthy', 'starting', 'waiting_for_certified_state', 'waiting_for_root_delegation', 'certified_state_behind'];
const EVIL = new Set(['bad-signature', 'stale-time', 'wrong-reply', 'unknown-node-key', '']);

export class Faults {
  constructor() { this.set({}); }
  set(cfg) {
    const c = {};
    for (const [k, v] of Object.entries(cfg)) {
      if (!FAULT_KEYS.includes(k)) throw new Error(`unknown fault setting '${k}' (known: ${FAULT_KEYS.join(', ')})`);
      if (k === 'health') {
        if (!HEALTH.includes(String(v))) throw new Error(`unknown health '${v}' (known: ${HEALTH.join(', ')})`);
        c[k] = String(v);
      } else if (k === 'evil') { if (!EVIL.has(String(v))) throw new Error(`unknown evil mode '${v}'`); c[k] = String(v) || null; }
      else if (k === 'only' || k === 'disable') {
        c[k] = Array.isArray(v) ? v : String(v).split(',').filter(Boolean);
        if (k === 'disable') for (const e of c[k]) if (!/^v[234]-(call|query|read_state)$/.test(e)) throw new Error(`bad endpoint '${e}' in disable (e.g. v4-call, v3-query)`);
      } else {
        const n = Number(v);
        if (!Number.isFinite(n) || (n < 0 && k !== 'clock_skew_ms')) throw new Error(`bad value for ${k}: ${v}`);
        c[k] = n;
      }
    }
    this.cfg = c;
    this.state = (c.seed ?? 1) >>> 0 || 1;
    this.readCount = 0;
  }
  get() { return { ...this.cfg }; }
  random() {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  applies(endpoint) { return !this.cfg.only || this.cfg.only.includes(endpoint); }
  evil(endpoint) { return this.applies(endpoint) ? this.cfg.evil ?? null : null; }
  delayMs(endpoint) {
    if (!this.applies(endpoint)) return 0;
    return (this.cfg.latency_ms ?? 0) + (this.cfg.jitter_ms ? this.random() * this.cfg.jitter_ms : 0);
  }
  // One of: null, {status}, {reset: true}, {cut: true}
  pick(endpoint) {
    if (!this.applies(endpoint)) return null;
    for (const code of [500, 502, 503, 429]) {
      const p = this.cfg[`rate_${code}`];
      if (p && this.random() < p) return { status: code };
    }
    if (this.cfg.reset_rate && this.random() < this.cfg.reset_rate) return { reset: true };
    if (this.cfg.cut_rate && this.random() < this.cfg.cut_rate) return { cut: true };
    return null;
  }
  trickle(endpoint) {
    if (!this.applies(endpoint) || !this.cfg.trickle_bytes) return null;
    return { bytes: this.cfg.trickle_bytes, ms: this.cfg.trickle_ms ?? 10 };
  }
  shouldMutate() {
    if (!this.cfg.mutate_every) return false;
    this.readCount += 1;
    return this.readCount % this.cfg.mutate_every === 0;
  }
}
