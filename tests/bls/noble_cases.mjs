// noble_cases.mjs - random BLS cases for the cross-check of ic_bls_verify against @noble/curves.
// Usage: node noble_cases.mjs NODE_MODULES_DIR COUNT > cases.txt
// Each line: "<sig hex> <pk hex> <msg hex or -> <0|1> <kind>", where 0/1 is noble's decision:
// bls12_381.shortSignatures.verify(sig, shortSignatures.hash(msg), pk) with DST
// BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_ (noble's default for short signatures), and a
// throw (malformed point) counted as 0. tests/unit/test_bls_cross.c compares line by line.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [mods, countArg] = process.argv.slice(2);
const { bls12_381: bls } = await import(pathToFileURL(join(mods, '@noble/curves/bls12-381.js')).href);
const S = bls.shortSignatures;
const P = bls.fields.Fp.ORDER;
const count = Number(countArg || 300);

const hex = (b) => Buffer.from(b).toString('hex');
const rand = (n) => new Uint8Array(randomBytes(n));
const flip = (b) => {
	const c = Uint8Array.from(b);
	const i = Math.floor(Math.random() * c.length);
	c[i] ^= 1 << Math.floor(Math.random() * 8);
	return c;
};
const be = (v, n) => {
	const out = new Uint8Array(n);
	for (let i = n - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
	return out;
};
const num = (b) => BigInt('0x' + (hex(b) || '0'));

function decide(sig, pk, msg) {
	try {
		return S.verify(sig, S.hash(msg), pk) ? 1 : 0;
	} catch {
		return 0;
	}
}

const kinds = ['valid', 'sigbit', 'pkbit', 'msgbit', 'msgextra', 'otherkey', 'othermsg', 'randsig', 'randpk',
	'negsig', 'negpk', 'infsig', 'infpk', 'noncanon', 'noflag', 'infflag', 'valid2'];
const lines = [];
let prev = null;
for (let i = 0; i < count; i++) {
	const sk = bls.utils.randomSecretKey();
	const msg = rand(Math.floor(Math.random() * 80));
	const pk = S.getPublicKey(sk).toBytes(true);
	let sig = S.sign(S.hash(msg), sk).toBytes(true);
	let k = pk, m = msg;
	const kind = kinds[i % kinds.length];
	switch (kind) {
	case 'sigbit': sig = flip(sig); break;
	case 'pkbit': k = flip(pk); break;
	case 'msgbit': m = msg.length ? flip(msg) : Uint8Array.of(0); break;
	case 'msgextra': m = Uint8Array.from([...msg, 0]); break;
	case 'otherkey': if (prev) k = prev.pk; break;
	case 'othermsg': if (prev) m = prev.msg; break;
	case 'randsig': sig = rand(48); sig[0] = (sig[0] & 0x3f) | 0x80; break; /* often off curve or outside G1 */
	case 'randpk': k = rand(96); k[0] = (k[0] & 0x3f) | 0x80; break;
	case 'negsig': sig = Uint8Array.from(sig); sig[0] ^= 0x20; break;
	case 'negpk': k = Uint8Array.from(pk); k[0] ^= 0x20; break;
	case 'infsig': sig = new Uint8Array(48); sig[0] = 0xc0; break;
	case 'infpk': k = new Uint8Array(96); k[0] = 0xc0; break;
	case 'noncanon': { /* x + p when it still fits in 381 bits, else x.c0 + p of the key if it fits */
		const flags = sig[0] & 0xe0, x = num(sig) & ((1n << 381n) - 1n);
		if (x + P < (1n << 381n)) {
			sig = be(x + P, 48);
			sig[0] |= flags;
		} else {
			k = Uint8Array.from(pk);
			k.set(be(num(pk.slice(48)) + P, 48), 48); /* x.c0 + p < 2^384 always */
		}
		break;
	}
	case 'noflag': sig = Uint8Array.from(sig); sig[0] &= 0x7f; break;
	case 'infflag': sig = Uint8Array.from(sig); sig[0] |= 0x40; break;
	default: break;
	}
	lines.push(`${hex(sig)} ${hex(k)} ${m.length ? hex(m) : '-'} ${decide(sig, k, m)} ${kind}`);
	prev = { pk, msg };
}
process.stdout.write(lines.join('\n') + '\n');
