// Unit checks of the replica's own protocol code against golden vectors from
// ../shared/docs/ic-protocol.md (request ids §2.1, hash tree §5.2, envelopes A.4, query signature A.5)
// and against @icp-sdk/core (independent implementation). Run: node --test tests/replica/selftest/
import test from 'node:test';
import assert from 'node:assert/strict';
import * as cbor from '@dfinity/cbor';
import { requestIdOf, reconstruct as sdkReconstruct, lookup_path, Certificate } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { requestId, hex, unhex, utf8, leb128, selfAuthenticating } from '../lib/util.mjs';
import { node, leaf, witness, full, reconstruct, hashOf, Signer, certificateChunks } from '../lib/cert.mjs';
import { authenticate, AuthError } from '../lib/auth.mjs';
import { NodeKey, customSections } from '../lib/state.mjs';
import { queryResponse } from '../lib/server.mjs';

const H = (s) => unhex(s);

test('request id: spec example and agent-rs vectors (brief §2.1)', () => {
  const spec = {
    request_type: 'call', sender: new Uint8Array([4]), ingress_expiry: 1685570400000000000n,
    canister_id: H('00000000000004d2'), method_name: 'hello', arg: H('4449444c00fd2a'),
  };
  assert.equal(hex(requestId(spec)), '1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101');
  const { sender, ingress_expiry, ...noSender } = spec;
  void sender; void ingress_expiry;
  assert.equal(hex(requestId(noSender)), '8781291c347db32a9d8c10eb62b710fce5a93be676474c42babc74c51858f94b');
  assert.equal(hex(requestId({ sender: H('00000000000004d2'), paths: [[], [utf8('')], [utf8('hello'), utf8('world')]] })),
    '97d6f297aea699aec85d3377c7643ea66db810aba5c4372fbc2082c999f452dc');
  assert.equal(hex(requestId({ paths: [] })), '99daa8c80a61e87ac1fdf9dd49e39963bfe4dafb2a45095ebf4cad72d916d5be');
  assert.equal(hex(requestId({ paths: [[]] })), 'ea01a9c3d3830db108e0a87995ea0d4183dc9c6e51324e9818fced5c57aa64f5');
  assert.equal(hex(requestId({ foo: { baz: 'hello', quux: 3 }, bar: utf8('world') })),
    '3d447339cc0c2b894ee215c8141770bf4b86c72b6c37d9873213a786ec7f9f31');
  // and the same as @icp-sdk/core on a big argument
  const big = { ...spec, arg: new Uint8Array(2000000).fill(7), nonce: new Uint8Array(16) };
  assert.equal(hex(requestId(big)), hex(requestIdOf(big)));
});

test('hash tree: spec example root of the full and the pruned tree; our witnesses keep the root (brief §5.2)', async () => {
  const root = 'eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0';
  const specFull = cbor.decode(H('8301830183024161830183018302417882034568656c6c6f810083024179820345776f726c6483024162820344676f6f648301830241638100830241648203476d6f726e696e67'));
  const specPruned = cbor.decode(H('83018301830241618301820458201b4feff9bef8131788b0c9dc6dbad6e81e524249c879e9f10f71ce3749f5a63883024179820345776f726c6483024162820458207b32ac0c6ba8ce35ac82c255fc7906f7fc130dab2a090f80fe12f9c2cae83ba6830182045820ec8324b8a1f1ac16bd2e806edba78006479c9877fed4eb464a25485465af601d830241648203476d6f726e696e67'));
  assert.equal(hex(reconstruct(specFull)), root);
  assert.equal(hex(reconstruct(specPruned)), root);
  const t = node([
    ['a', node([['x', leaf('hello')], ['y', leaf('world')]])],
    ['b', leaf('good')], ['c', node([])], ['d', leaf('morning')],
  ]);
  const r = hex(hashOf(t));
  assert.equal(hex(reconstruct(full(t))), r);
  assert.equal(hex(await sdkReconstruct(full(t))), r);
  const w = witness(t, [[utf8('a'), utf8('y')], [utf8('d')]]);
  assert.equal(hex(await sdkReconstruct(w)), r);
  assert.equal(Buffer.from(lookup_path(['a', 'y'], w).value).toString(), 'world');
  assert.equal(Buffer.from(lookup_path(['d'], w).value).toString(), 'morning');
  assert.equal(lookup_path(['b'], w).status, 'Unknown');
  assert.equal(lookup_path(['e'], w).status, 'Absent');
  assert.equal(lookup_path(['a', 'z'], w).status, 'Absent');
});

test('certificate: BLS-signed witness accepted by @icp-sdk/core Certificate.create, tampering refused', async () => {
  const signer = new Signer(new Uint8Array(32).fill(3));
  const cid = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai');
  const now = BigInt(Date.now()) * 1000000n;
  const t = node([['time', leaf(leb128(now))], ['request_status', node([[new Uint8Array(32), node([['status', leaf('replied')]])]])]]);
  const tree = witness(t, [[utf8('time')]]);
  const cert = new Uint8Array(Buffer.concat(certificateChunks(tree, signer.signRoot(hashOf(t)))));
  const c = await Certificate.create({ certificate: cert, rootKey: signer.der, principal: { canisterId: cid } });
  assert.deepEqual(c.lookup_path(['time']).value, leb128(now));
  const bad = new Uint8Array(Buffer.concat(certificateChunks(tree, signer.signRoot(new Uint8Array(32)))));
  await assert.rejects(Certificate.create({ certificate: bad, rootKey: signer.der, principal: { canisterId: cid } }));
});

test('envelopes A.4 authenticate; high-S secp256k1 accepted; wrong sender and bad signature refused', () => {
  const ed = cbor.decode(H('d9d9f7a367636f6e74656e74a76c726571756573745f747970656571756572796b63616e69737465725f69644a000000000000000201016b6d6574686f645f6e616d6565677265657463617267464449444c00006673656e646572581d843a074a51e3fa44d734c66ec13cb0c44cd7d9af2d570de135a12fff026e696e67726573735f6578706972791b17979cfe362a0000656e6f6e6365500102030405060708090a0b0c0d0e0f106d73656e6465725f7075626b6579582c302a300506032b6570032100d5925dacb5d69ec810ef7dbd2de2acbdbe1b2feb12e5d6fee9ee2d0d3b5fbda76a73656e6465725f73696758406b568bfde8f4fdad03f9af7369d58cf11623ab714105ca3ac5b6e066137fa64bcad954e8c8905f3dfb7c574d9fb7a14038a68cbfb6a0e727d5a58b76d4d9510f'));
  const k1 = cbor.decode(H('d9d9f7a367636f6e74656e74a76c726571756573745f747970656571756572796b63616e69737465725f69644a000000000000000201016b6d6574686f645f6e616d6565677265657463617267464449444c00006673656e646572581dae34386c92b3da8183bd9d75e967e7158bdfcf885c8628d9abfec5a0026e696e67726573735f6578706972791b17979cfe362a0000656e6f6e6365500102030405060708090a0b0c0d0e0f106d73656e6465725f7075626b657958583056301006072a8648ce3d020106052b8104000a034200040502a7d022f2880fdf41fe8bf12d3bfcc0c9f642094f366f9b68c5a36ff2bd24e819e7be5f33ff182138d3c65c64533513052c9270c1a12774105d4fcc5466266a73656e6465725f7369675840db449280c82ff4ee8d868bd9eac8dd5f9f6077ea1e45f13bd1ea4e1e869069af713980418f26718b1b6db5c8a7f43b7782f75c8ba6bd918b618d5a978053ffd9'));
  const opts = { now: 1n, target: null, kind: 'query' };
  const edRid = requestId(ed.content);
  assert.equal(hex(edRid), '9bc8bd7b2e08bd328a006f6b6b2023af7c9d6d39a0ba5428ae77635aea2fa395');
  authenticate(ed, edRid, opts);
  const k1Rid = requestId(k1.content);
  assert.equal(hex(k1Rid), '8dedcb36bd7a6f9065e0c0b6a1aa0ccd13b804cc20989ccb9a3afe0293ca4e36');
  authenticate(k1, k1Rid, opts);
  const s = BigInt(`0x${hex(k1.sender_sig.subarray(32))}`);
  const highS = unhex((secp256k1.Point.CURVE().n - s).toString(16).padStart(64, '0'));
  authenticate({ ...k1, sender_sig: new Uint8Array([...k1.sender_sig.subarray(0, 32), ...highS]) }, k1Rid, opts);
  const flipped = new Uint8Array(ed.sender_sig); flipped[0] ^= 1;
  assert.throws(() => authenticate({ ...ed, sender_sig: flipped }, edRid, opts), (e) => e instanceof AuthError && /Invalid signature/.test(e.message));
  assert.throws(() => authenticate({ ...ed, content: { ...ed.content, sender: k1.content.sender } }, edRid, opts), /does not match the public key/);
  assert.throws(() => authenticate({ content: { ...ed.content, sender: new Uint8Array([4]) }, sender_sig: ed.sender_sig }, edRid, opts), AuthError);
  assert.throws(() => authenticate({ content: ed.content }, edRid, opts), /Missing signature/);
});

test('query response A.5: node principal, signature and body byte for byte', () => {
  const nodeKey = new NodeKey(new Uint8Array(32).fill(0x11));
  assert.equal(hex(nodeKey.der), '302a300506032b6570032100d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737');
  assert.equal(Principal.fromUint8Array(nodeKey.id).toText(), 'r772c-4dz5f-rpg4e-qzxgg-7bxlb-67zpu-bitgb-vsx7k-mmagd-6zk3d-4qe');
  assert.deepEqual(nodeKey.id, selfAuthenticating(nodeKey.der));
  const rid = H('9bc8bd7b2e08bd328a006f6b6b2023af7c9d6d39a0ba5428ae77635aea2fa395');
  const body = Buffer.concat(queryResponse(nodeKey, rid, { reply: H('4449444c0000') }, 1700000000123456789n));
  assert.equal(body.toString('hex'), 'd9d9f7a366737461747573677265706c696564657265706c79a163617267464449444c00006a7369676e61747572657381a36974696d657374616d701b17979cfe3d85cd15697369676e61747572655840759d8e64a2b1bc6203d243bb0cc7931d4d0b396f059a419c178b195b08796127797781af59c3cb6dd085b0479389a32a1b3f0379a88d96d359945d9da989d80e686964656e74697479581d79e962f37090cdcc6f86eb0fbf97d0289983595fea630061fb2ad8f902');
  const rej = cbor.decode(Buffer.concat(queryResponse(nodeKey, rid, { reject: { code: 4, message: 'nope', error_code: 'IC0406' } }, 1700000000123456789n)));
  assert.equal(hex(rej.signatures[0].signature), 'e28e5af28e853288d63cae102448d8d1a9da8aa6fcd7d6c3dfbdb390f9f422f9e51b6ecaf1337c0d856280daa4c71f52c4373fec06c9f624bbe8025aabaa000f');
  const evil = cbor.decode(Buffer.concat(queryResponse(nodeKey, rid, { reply: H('4449444c0000') }, 1700000000123456789n, 'wrong-reply')));
  assert.notEqual(hex(evil.reply.arg), '4449444c0000');
});

test('wasm custom sections (canister metadata)', () => {
  const section = (name, data) => { const n = utf8(name); const body = [n.length, ...n, ...data]; return [0, body.length, ...body]; };
  const mod = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section('icp:public candid:service', utf8('service:{}')), 1, 1, 0, ...section('icp:private x', [9])]);
  const s = customSections(mod);
  assert.deepEqual(s.map(([n]) => n), ['icp:public candid:service', 'icp:private x']);
  assert.equal(Buffer.from(s[0][1]).toString(), 'service:{}');
  assert.deepEqual(customSections(mod.subarray(0, 20)).length, 0);
});

test('Candid decoder: brief §8.4 golden encodings, agreement with IDL.decode, refusals', async () => {
  const C = await import('../lib/candid.mjs');
  const { decode } = await import('../lib/cdecode.mjs');
  const cid = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai');
  const sid = H('000000000000000100000000000000020101');
  let [a] = decode([C.ReadDataArgs], H('4449444c056c02c1c1cee2047893affe8106786d7b6c01cedfa0a804016b04a79fc97e00fccbfb9d0500c586d3970900d2c7b5c00f026c03d4c2a7b80403b3c4b1f20468b6b897890f0101040280841e00000000000000000000000000010a0000000000000002010112000000000000000100000000000000020101'));
  assert.equal(a.canister_id.toText(), cid.toText());
  assert.deepEqual(Buffer.from(a.snapshot_id), Buffer.from(sid));
  assert.deepEqual(a.kind, { stable_memory: { offset: 0n, size: 2000000n } });
  [a] = decode([C.UploadDataArgs], H('4449444c046d7b6c0193affe8106786b04a79fc97e01fccbfb9d0501c586d3970901d2c7b5c00f7f6c04ed8c8bae0400d4c2a7b80402b3c4b1f20468b6b897890f00010302aabb020000010000000000010a0000000000000002010112000000000000000100000000000000020101'));
  assert.deepEqual(a.kind, { stable_memory: { offset: 65536n } });
  assert.equal(hex(a.chunk), 'aabb');
  [a] = decode([C.TakeSnapshotArgs], H('4449444c036d7b6e006c02efc1e4cf0101b3c4b1f20468010200010a00000000000000020101'));
  assert.deepEqual(a.replace_snapshot, []);
  assert.deepEqual(a.uninstall_code, []); // absent opt fields are null
  const meta = { canister_id: cid, replace_snapshot: [sid], wasm_module_size: 8n, globals: [{ i32: -5 }, { i64: 7n }, { f32: 1.5 }, { f64: -2.25 }, { v128: 2n ** 100n }],
    wasm_memory_size: 65536n, stable_memory_size: 0n, certified_data: H('0102'), global_timer: [{ active: 5n }], on_low_wasm_memory_hook_status: [{ ready: null }] };
  const enc = C.encode([C.UploadMetadataArgs], [meta]);
  const norm = (v) => JSON.stringify(v, (k, q) => (typeof q === 'bigint' ? `${q}n` : q instanceof Uint8Array ? hex(q) : q?._isPrincipal ? Principal.fromUint8Array(q._arr).toText() : q));
  assert.equal(norm(decode([C.UploadMetadataArgs], enc)), norm(C.IDL.decode([C.UploadMetadataArgs], enc)));
  const big = C.encode([C.UploadDataArgs], [{ canister_id: cid, snapshot_id: sid, kind: { wasm_memory: { offset: 0n } }, chunk: new Uint8Array(2000000).fill(9) }]);
  const t0 = process.hrtime.bigint();
  [a] = decode([C.UploadDataArgs], big);
  assert.ok(Number(process.hrtime.bigint() - t0) < 50e6, 'a 2 MB blob decodes without per-byte work');
  assert.equal(a.chunk.length, 2000000);
  assert.equal(a.chunk[1999999], 9);
  assert.throws(() => decode([C.UploadDataArgs], big.subarray(0, big.length - 1)), /end of input/);
  assert.throws(() => decode([C.CanisterIdArg], H('4449444c016c01b3c4b1f204680100010a000000000000000201')), /end of input/);
  assert.throws(() => decode([C.CanisterIdArg], H('4449444d016c01b3c4b1f204680100010a00000000000000020101')), /magic/);
  assert.throws(() => decode([C.CanisterIdArg], H('4449444c016c02b3c4b1f20468b3c4b1f204680100010a00000000000000020101')), /strictly increasing/);
  assert.throws(() => decode([C.CanisterIdArg], H('4449444c016c01b3c4b1f20468010501')), /bad type reference/);
});
