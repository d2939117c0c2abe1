// A strict Candid decoder for the arguments this replica receives, written because IDL.decode of
// @icp-sdk/core spends ~20 ms per 2 MB blob inside a record (it re-checks every element), which made
// snapshot uploads crawl. Wire format: dfinity/candid spec/Candid.md §Binary format; decoding against the
// expected type follows the spec's coercion rules for what we need (records by field id, missing opt
// fields null, unknown fields skipped, variants, opt, vec, blob as a zero-copy view).
// decode(types, bytes) takes @icp-sdk/core IDL types and returns values shaped like IDL.decode's.
import { Principal } from '@icp-sdk/core/principal';
import { idlLabelToId } from '@icp-sdk/core/candid';

class Reader {
  constructor(b) { this.b = b; this.i = 0; this.dv = new DataView(b.buffer, b.byteOffset, b.length); }
  need(n) { if (n > this.b.length - this.i) throw new Error('Candid: unexpected end of input'); }
  byte() { this.need(1); return this.b[this.i++]; }
  bytes(n) { this.need(n); const v = this.b.subarray(this.i, this.i + n); this.i += n; return v; }
  leb() {
    let v = 0n, shift = 0n, b;
    do { b = this.byte(); v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
    return v;
  }
  lebN() { const v = this.leb(); if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('Candid: length too large'); return Number(v); }
  sleb() {
    let v = 0n, shift = 0n, b;
    do { b = this.byte(); v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
    if (b & 0x40) v -= 1n << shift;
    return v;
  }
}

const PRIM = { '-1': 'null', '-2': 'bool', '-3': 'nat', '-4': 'int', '-5': 'nat8', '-6': 'nat16', '-7': 'nat32',
  '-8': 'nat64', '-9': 'int8', '-10': 'int16', '-11': 'int32', '-12': 'int64', '-13': 'float32', '-14': 'float64',
  '-15': 'text', '-16': 'reserved', '-17': 'empty', '-24': 'principal' };

function readTypes(r) {
  if (r.b.length < 4 || r.b[0] !== 0x44 || r.b[1] !== 0x49 || r.b[2] !== 0x44 || r.b[3] !== 0x4c) throw new Error('Candid: wrong magic number');
  r.i = 4;
  const n = r.lebN();
  if (n > 10000) throw new Error('Candid: type table too large');
  const table = [];
  for (let k = 0; k < n; k++) {
    const op = Number(r.sleb());
    if (op === -18 || op === -19) table.push({ k: op === -18 ? 'opt' : 'vec', t: Number(r.sleb()) });
    else if (op === -20 || op === -21) {
      const m = r.lebN();
      const fields = [];
      let prev = -1;
      for (let j = 0; j < m; j++) {
        const id = r.lebN();
        if (id <= prev || id > 0xffffffff) throw new Error('Candid: field ids not strictly increasing');
        prev = id;
        fields.push([id, Number(r.sleb())]);
      }
      table.push({ k: op === -20 ? 'record' : 'variant', fields });
    } else throw new Error(`Candid: unsupported type opcode ${op} in the type table`);
  }
  const check = (t) => { if (t >= 0 ? t >= n : !PRIM[t]) throw new Error(`Candid: bad type reference ${t}`); };
  for (const e of table) { if (e.t !== undefined) check(e.t); for (const f of e.fields ?? []) check(f[1]); }
  const argc = r.lebN();
  const args = [];
  for (let k = 0; k < argc; k++) { const t = Number(r.sleb()); check(t); args.push(t); }
  return { table, args };
}

// Read a value of wire type t; returns a generic value (records: Map id -> value; variants: {id, v}).
function readValue(r, table, t, depth = 0) {
  if (depth > 100) throw new Error('Candid: nesting too deep');
  if (t < 0) {
    switch (PRIM[t]) {
      case 'null': case 'reserved': return null;
      case 'bool': { const b = r.byte(); if (b > 1) throw new Error('Candid: bad bool'); return b === 1; }
      case 'nat': return r.leb();
      case 'int': return r.sleb();
      case 'nat8': return r.byte();
      case 'nat16': r.need(2); r.i += 2; return r.dv.getUint16(r.i - 2, true);
      case 'nat32': r.need(4); r.i += 4; return r.dv.getUint32(r.i - 4, true);
      case 'nat64': r.need(8); r.i += 8; return r.dv.getBigUint64(r.i - 8, true);
      case 'int8': r.need(1); r.i += 1; return r.dv.getInt8(r.i - 1);
      case 'int16': r.need(2); r.i += 2; return r.dv.getInt16(r.i - 2, true);
      case 'int32': r.need(4); r.i += 4; return r.dv.getInt32(r.i - 4, true);
      case 'int64': r.need(8); r.i += 8; return r.dv.getBigInt64(r.i - 8, true);
      case 'float32': r.need(4); r.i += 4; return r.dv.getFloat32(r.i - 4, true);
      case 'float64': r.need(8); r.i += 8; return r.dv.getFloat64(r.i - 8, true);
      case 'text': return new TextDecoder('utf-8', { fatal: true }).decode(r.bytes(r.lebN()));
      case 'principal': {
        if (r.byte() !== 1) throw new Error('Candid: opaque principal reference');
        const n = r.lebN();
        if (n > 29) throw new Error('Candid: principal too long');
        return r.bytes(n);
      }
      default: throw new Error(`Candid: cannot decode ${PRIM[t]}`);
    }
  }
  const e = table[t];
  switch (e.k) {
    case 'opt': { const tag = r.byte(); if (tag > 1) throw new Error('Candid: bad opt tag'); return tag ? { some: readValue(r, table, e.t, depth + 1) } : { none: true }; }
    case 'vec': {
      const n = r.lebN();
      if (e.t === -5) return r.bytes(n); // blob: a view, no copy
      if (n > r.b.length - r.i && !(e.t === -1 || e.t === -16)) throw new Error('Candid: vector longer than the input');
      if (n > 1e6) throw new Error('Candid: vector too long');
      const out = [];
      for (let k = 0; k < n; k++) out.push(readValue(r, table, e.t, depth + 1));
      return out;
    }
    case 'record': {
      const m = new Map();
      for (const [id, ft] of e.fields) m.set(id, readValue(r, table, ft, depth + 1));
      return m;
    }
    case 'variant': {
      const k = r.lebN();
      if (k >= e.fields.length) throw new Error('Candid: variant index out of range');
      const [id, ft] = e.fields[k];
      return { id, v: readValue(r, table, ft, depth + 1) };
    }
    default: throw new Error('Candid: bad type');
  }
}

// Coerce a generic wire value to the expected IDL type (subset of the spec's rules).
function coerce(T, v) {
  const c = T.constructor.name;
  switch (c) {
    case 'RecordClass': case 'TupleClass': {
      if (!(v instanceof Map)) throw new Error('Candid: expected a record');
      const out = c === 'TupleClass' ? [] : {};
      T._fields.forEach(([name, FT], idx) => {
        const id = c === 'TupleClass' ? idx : idlLabelToId(name);
        if (v.has(id)) out[c === 'TupleClass' ? idx : name] = coerce(FT, v.get(id));
        else if (FT.constructor.name === 'OptClass') out[c === 'TupleClass' ? idx : name] = [];
        else if (FT.constructor.name === 'NullClass' || FT.constructor.name === 'ReservedClass') out[name] = null;
        else throw new Error(`Candid: record field ${name} missing`);
      });
      return out;
    }
    case 'VariantClass': {
      if (!v || v.id === undefined) throw new Error('Candid: expected a variant');
      const f = T._fields.find(([name]) => idlLabelToId(name) === v.id);
      if (!f) throw new Error(`Candid: unexpected variant tag ${v.id}`);
      return { [f[0]]: coerce(f[1], v.v) };
    }
    case 'OptClass': {
      if (v === null || v?.none) return [];
      if (v?.some !== undefined) { try { return [coerce(T._type, v.some)]; } catch { return []; } }
      try { return [coerce(T._type, v)]; } catch { return []; }
    }
    case 'VecClass': {
      if (v instanceof Uint8Array) {
        if (T._type.constructor.name === 'FixedNatClass' && T._type._bits === 8) return v;
        throw new Error('Candid: expected a vector');
      }
      if (!Array.isArray(v)) throw new Error('Candid: expected a vector');
      return v.map((x) => coerce(T._type, x));
    }
    case 'PrincipalClass':
      if (!(v instanceof Uint8Array)) throw new Error('Candid: expected a principal');
      return Principal.fromUint8Array(new Uint8Array(v));
    case 'FixedNatClass':
      if (T._bits === 64) { if (typeof v !== 'bigint' || v < 0n) throw new Error('Candid: expected nat64'); return v; }
      if (typeof v !== 'number' || v < 0) throw new Error(`Candid: expected nat${T._bits}`);
      return v;
    case 'FixedIntClass':
      if (T._bits === 64) { if (typeof v !== 'bigint') throw new Error('Candid: expected int64'); return v; }
      if (typeof v !== 'number') throw new Error(`Candid: expected int${T._bits}`);
      return v;
    case 'NatClass': if (typeof v !== 'bigint' || v < 0n) throw new Error('Candid: expected nat'); return v;
    case 'IntClass': if (typeof v !== 'bigint') throw new Error('Candid: expected int'); return v;
    case 'FloatClass': if (typeof v !== 'number') throw new Error('Candid: expected a float'); return v;
    case 'BoolClass': if (typeof v !== 'boolean') throw new Error('Candid: expected bool'); return v;
    case 'TextClass': if (typeof v !== 'string') throw new Error('Candid: expected text'); return v;
    case 'NullClass': case 'ReservedClass': return null;
    default: throw new Error(`Candid: cannot decode into ${c}`);
  }
}

export function decode(types, bytes) {
  const r = new Reader(bytes);
  const { table, args } = readTypes(r);
  const vals = args.map((t) => readValue(r, table, t));
  if (vals.length < types.length) {
    // missing trailing arguments are fine only where null is acceptable
    for (let k = vals.length; k < types.length; k++) {
      const c = types[k].constructor.name;
      if (c !== 'OptClass' && c !== 'NullClass' && c !== 'ReservedClass') throw new Error('Candid: too few arguments');
      vals.push(null);
    }
  }
  return types.map((T, k) => coerce(T, vals[k]));
}
