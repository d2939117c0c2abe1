// decode_npm.mjs - icarc decode against the npm @msgpack/msgpack encoder and decoder (pinned in
// package.json): values encoded by npm, decoded by icarc, compared with npm's own decoding mapped
// per the documented JSON mapping (man/icarc-decode.1). Prints TAP.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, encode, ExtData } from "@msgpack/msgpack";

const ICARC = process.env.ICARC;
const dir = mkdtempSync(join(tmpdir(), "icarc-npm-"));
let n = 0, failed = 0;
const ok = (cond, what) => {
	n++;
	if (!cond) failed++;
	console.log(`${cond ? "ok" : "not ok"} ${n} - ${what}`);
};

const b64 = (u8) => Buffer.from(u8).toString("base64");
const keyName = (k) => (typeof k === "string" ? (k.startsWith("$") ? "$" + k : k) : "$" + JSON.stringify(k));

// npm's decoded value -> the JSON icarc documents (objects compare without regard to key order)
function expected(v) {
	if (v === null || typeof v === "boolean" || typeof v === "string") return v;
	if (typeof v === "bigint") return { $bigint: v.toString() };
	if (typeof v === "number") return Number.isFinite(v) ? v : { $nonfinite: String(v) };
	if (v instanceof Uint8Array) return { $bin: b64(v) };
	if (v instanceof ExtData) return { $ext: v.type, $data: b64(v.data) };
	if (Array.isArray(v)) return v.map(expected);
	const o = {};
	for (const [k, x] of Object.entries(v)) o[keyName(k)] = expected(x);
	return o;
}

function same(got, exp, f32, path = "$") {
	if (exp && typeof exp === "object" && "$nonfinite" in exp) {
		const tag = got && (got.$float64 ?? got.$float32);
		if (!tag) return `${path}: want a non-finite float object, got ${JSON.stringify(got)}`;
		const bits = Buffer.from(tag, "hex");
		const y = bits.length === 8 ? bits.readDoubleBE(0) : bits.readFloatBE(0);
		return String(y) === exp.$nonfinite ? null : `${path}: ${y} != ${exp.$nonfinite}`;
	}
	if (typeof exp === "number") {
		if (typeof got !== "number") return `${path}: ${JSON.stringify(got)} != ${exp}`;
		if (got === exp || (f32 && Math.fround(got) === Math.fround(exp))) return null;
		return `${path}: ${got} != ${exp}`;
	}
	if (exp === null || typeof exp !== "object") return got === exp ? null : `${path}: ${JSON.stringify(got)} != ${JSON.stringify(exp)}`;
	if (Array.isArray(exp)) {
		if (!Array.isArray(got) || got.length !== exp.length) return `${path}: array length`;
		for (let i = 0; i < exp.length; i++) {
			const r = same(got[i], exp[i], f32, `${path}[${i}]`);
			if (r) return r;
		}
		return null;
	}
	const ek = Object.keys(exp), gk = got && typeof got === "object" ? Object.keys(got) : [];
	if (ek.length !== gk.length) return `${path}: keys ${gk.slice(0, 5)} != ${ek.slice(0, 5)}`;
	for (const k of ek) {
		if (!(k in got)) return `${path}: missing key ${k}`;
		const r = same(got[k], exp[k], f32, `${path}.${k}`);
		if (r) return r;
	}
	return null;
}

function icarc(...args) {
	return spawnSync(ICARC, args, { maxBuffer: 1 << 28 });
}

function check(name, value, opts = {}, f32 = false) {
	const bytes = encode(value, { maxDepth: 5000, ...opts });
	const file = join(dir, name.replace(/\W+/g, "_") + ".mp");
	writeFileSync(file, bytes);
	const p = icarc("decode", "--layout", "raw", file);
	if (p.status !== 0) return ok(false, `${name}: exit ${p.status}: ${p.stderr}`);
	const ref = decode(bytes, { useBigInt64: !!opts.useBigInt64 });
	const r = same(JSON.parse(p.stdout), expected(ref), f32);
	ok(r === null, `${name}${r ? ": " + r : ""}`);
	return p.stdout.toString();
}

check("integers", [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1,
	-1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53) + 1]);
check("negative fixint", [-1, -2, -16, -31, -32]);
// 64-bit extremes: compared as text, since JSON.parse would round them
const big = encode([18446744073709551615n, -9223372036854775808n, 9223372036854775807n], { useBigInt64: true });
writeFileSync(join(dir, "big.mp"), big);
let p = icarc("decode", join(dir, "big.mp"));
ok(p.stdout.toString() === "[18446744073709551615,-9223372036854775808,9223372036854775807]\n",
	"uint64 max and int64 min exact: " + p.stdout.toString().trim());
check("floats64", [0.1, -2.5, 1e300, 5e-324, 123456.789, -0, NaN, Infinity, -Infinity]);
check("floats32", [1.1, 0.1, 3.4028234663852886e38, 16777216, NaN, -Infinity], { forceFloat32: true }, true);
const f32nan = encode(NaN, { forceFloat32: true });
writeFileSync(join(dir, "nan32.mp"), f32nan);
p = icarc("decode", join(dir, "nan32.mp"));
ok(JSON.parse(p.stdout).$float32 === Buffer.from(f32nan.subarray(1)).toString("hex"),
	"float32 NaN bits as npm wrote them: " + p.stdout.toString().trim());
check("strings", ["", "a", "x".repeat(31), "y".repeat(32), "z".repeat(255), "w".repeat(256), "v".repeat(65535),
	"u".repeat(65536), "héllo", "日本語", "emoji 😀", "ctl \u0000\u0001\u001f\u007f \" \\ / \b\f\n\r\t", "\u2028"]);
check("bin 8/16/32", [new Uint8Array(0), new Uint8Array([0, 1, 255]), new Uint8Array(300).fill(7),
	new Uint8Array(70000).map((_, i) => i & 255)]);
check("ext fixext 1/2/4/8/16, ext 8/16/32, negative types", [new ExtData(1, new Uint8Array([1])),
	new ExtData(2, new Uint8Array(2)), new ExtData(3, new Uint8Array(4)), new ExtData(-5, new Uint8Array(8)),
	new ExtData(127, new Uint8Array(16)), new ExtData(-128, new Uint8Array(3)), new ExtData(9, new Uint8Array(300)),
	new ExtData(10, new Uint8Array(70000))]);
check("maps", { a: 1, $dollar: 2, "": 3, "with.dot": [true, false, null], nested: { deep: { er: {} } } });
let deep = null;
for (let i = 0; i < 1000; i++) deep = [deep];
check("depth 1000 arrays", deep);
let deepm = 1;
for (let i = 0; i < 1000; i++) deepm = { k: deepm };
check("depth 1000 maps", deepm);
const doc = { users: Array.from({ length: 200 }, (_, i) => ({ id: i, handle: `h${i}`, bal: i * 1.5, bio: new Uint8Array(i % 7) })) };
check("a state document", doc);
writeFileSync(join(dir, "doc.mp"), encode(doc));
p = icarc("decode", join(dir, "doc.mp"), "--path", "users.42.handle");
ok(JSON.parse(p.stdout) === "h42", "--path users.42.handle");
p = icarc("decode", join(dir, "doc.mp"), "--format", "ndjson", "--path", "users");
const lines = p.stdout.toString().trim().split("\n");
ok(lines.length === 200 && same(JSON.parse(lines[199]), expected(decode(encode(doc.users[199])))) === null,
	"ndjson: 200 lines");

console.log(`1..${n}`);
console.log(`${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
