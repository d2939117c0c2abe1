/* test_ic_codec.c - CBOR, principals, request ids, identities and envelopes against the golden
 * vectors of ic-protocol.md (spec examples, agent-rs request_id.rs tests, agent-js-generated
 * envelopes re-verified in Python, icp-cli's principals for PEM files), SHA-256 (FIPS 180-4 examples,
 * and the SHA-instruction path against libsodium's). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/cbor.h"
#include "ic/identity.h"
#include "ic/principal.h"
#include "ic/request.h"
#include "ic/sha256.h"
#include "tap.h"
#include "ic_hex.h"

static void test_cbor(void)
{
	uint8_t b[512];
	char err[200];
	struct ic_cbor_doc d;
	/* the spec's pruned hash tree: arrays, uints, byte strings */
	size_t n = unhex(b, sizeof b, "8301830183024161830183018302417882034568656c6c6f810083024179820345776f726c6483024162820344676f6f648301830241638100830241648203476d6f726e696e67");
	TAP_OK(ic_cbor_decode(b, n, NULL, &d, err, sizeof err) == 0, "cbor: spec hash tree decodes");
	TAP_IS(d.items[0].type, IC_CBOR_ARRAY, "cbor: top is an array");
	TAP_IS(d.items[0].size, d.n, "cbor: subtree size of the root covers every item");
	size_t third = ic_cbor_array_at(&d, 0, 2);
	TAP_OK(third != IC_CBOR_NONE && d.items[third].type == IC_CBOR_ARRAY && d.items[third].v == 3,
	       "cbor: array_at skips subtrees");
	ic_cbor_doc_free(&d);

	/* tagged map with text keys, zero-copy strings */
	n = unhex(b, sizeof b, "d9d9f7a266737461747573677265706c696564657265706c79a163617267464449444c0000");
	TAP_OK(ic_cbor_decode(b, n, NULL, &d, err, sizeof err) == 0, "cbor: tagged map decodes");
	size_t st = ic_cbor_map_get(&d, 0, "status");
	const char *s;
	size_t sl;
	TAP_OK(ic_cbor_get_text(&d, st, &s, &sl) == 0 && sl == 7 && memcmp(s, "replied", 7) == 0, "cbor: map_get status");
	size_t arg = ic_cbor_map_get(&d, ic_cbor_map_get(&d, 0, "reply"), "arg");
	const uint8_t *bp;
	TAP_OK(ic_cbor_get_bytes(&d, arg, &bp, &sl) == 0 && sl == 6 && bp >= b && bp < b + n, "cbor: bytes point into the input");
	TAP_OK(ic_cbor_map_get(&d, 0, "nope") == IC_CBOR_NONE, "cbor: missing key");
	ic_cbor_doc_free(&d);

	static const struct {
		const char *hex, *what, *msg;
	} bad[] = {
		{"5f", "indefinite byte string", "indefinite"},
		{"43aabb", "string longer than input", "exceeds the input"},
		{"8301", "array missing elements", "exceeds the input"},
		{"0000", "trailing byte", "trailing"},
		{"a2616101616102", "duplicate map key", "duplicate"},
		{"f93c00", "half float", "float"},
		{"62c328", "invalid UTF-8 text", "UTF-8"},
		{"1c", "reserved additional info", "reserved"},
		{"9bffffffffffffffff", "huge array count", "exceeds the input"},
		{"", "empty input", "end of input"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		n = unhex(b, sizeof b, bad[i].hex);
		int rc = ic_cbor_decode(b, n, NULL, &d, err, sizeof err);
		TAP_OK(rc != 0 && strstr(err, bad[i].msg) != NULL && strstr(err, "at byte") != NULL,
		       "cbor: rejects %s (%s)", bad[i].what, rc ? err : "accepted");
	}
	/* depth limit: 100 nested arrays */
	memset(b, 0x81, 100);
	b[100] = 0;
	TAP_OK(ic_cbor_decode(b, 101, NULL, &d, err, sizeof err) != 0 && strstr(err, "nesting") != NULL,
	       "cbor: rejects nesting past the depth limit");
	struct ic_cbor_limits lim = {64, 3, 16};
	n = unhex(b, sizeof b, "83010203");
	TAP_OK(ic_cbor_decode(b, n, &lim, &d, err, sizeof err) != 0 && strstr(err, "items") != NULL,
	       "cbor: item limit");

	struct ic_buf e;
	ic_buf_init(&e);
	ic_cbor_put_uint(&e, 0);
	ic_cbor_put_uint(&e, 23);
	ic_cbor_put_uint(&e, 24);
	ic_cbor_put_uint(&e, 256);
	ic_cbor_put_uint(&e, 1700000000000000000ULL);
	ic_cbor_put_text(&e, "a");
	TAP_OK(!e.oom && hexeq(e.p, e.len, "0017181819010" "01b17979cfe362a00006161"), "cbor: encoder heads are shortest");
	ic_buf_free(&e);
}

static void test_principal(void)
{
	static const struct {
		const char *hex, *text;
	} v[] = {
		{"abcd01", "em77e-bvlzu-aq"},
		{"04", "2vxsx-fae"},
		{"", "aaaaa-aa"},
		{"caffee", "w7x7r-cok77-xa"},
		{"efcdab000000000001", "2chl6-4hpzw-vqaaa-aaaaa-c"},
		{"00000000000000020101", "ryjl3-tyaaa-aaaaa-aaaba-cai"},
	};
	char err[200], t[IC_PRINCIPAL_MAXTEXT];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct ic_principal p, q;
		uint8_t b[29];
		size_t n = unhex(b, sizeof b, v[i].hex);
		ic_principal_from_bytes(&p, b, n);
		ic_principal_to_text(&p, t);
		TAP_OK(strcmp(t, v[i].text) == 0, "principal: %s -> %s (got %s)", v[i].hex, v[i].text, t);
		int rc = ic_principal_from_text(&q, v[i].text, strlen(v[i].text), err, sizeof err);
		TAP_OK(rc == 0 && q.len == n && memcmp(q.b, b, n) == 0, "principal: %s parses back", v[i].text);
	}
	struct ic_principal p;
	TAP_OK(ic_principal_from_text(&p, "RYJL3-TYAAA-AAAAA-AAABA-CAI", 27, err, sizeof err) == 0 && p.len == 10,
	       "principal: upper case accepted");
	static const char *badt[] = {"ryjl3-tyaaa-aaaaa-aaaba-caj", "ryjl3tyaaa-aaaaa-aaaba-cai", "ryjl3-tyaaa-aaaaa-aaaba-ca1",
	                             "ryjl3-tyaaa-aaaaa-aaaba-cai-", "aa", "2vxsx-fae-", "em77e-bvlzu-ar"};
	for (size_t i = 0; i < sizeof badt / sizeof badt[0]; i++)
		TAP_OK(ic_principal_from_text(&p, badt[i], strlen(badt[i]), err, sizeof err) != 0, "principal: rejects \"%s\" (%s)",
		       badt[i], err);
	/* mainnet root key DER -> root subnet id (ic-protocol.md §5.4) */
	uint8_t der[133];
	unhex(der, sizeof der, "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae");
	ic_principal_self_authenticating(&p, der, sizeof der);
	ic_principal_to_text(&p, t);
	TAP_OK(strcmp(t, "tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe") == 0,
	       "principal: self-authenticating id of the mainnet root key (%s)", t);
}

/* hash of a hand-encoded CBOR value */
static int hash_hex(const struct ic_buf *b, const char *want)
{
	struct ic_cbor_doc d;
	uint8_t h[32];
	if (b->oom || ic_cbor_decode(b->p, b->len, NULL, &d, NULL, 0) != 0)
		return 0;
	int rc = ic_hash_of_value(&d, 0, h);
	ic_cbor_doc_free(&d);
	return rc == 0 && hexeq(h, 32, want);
}

static void test_request_id(void)
{
	static const uint8_t arg[] = {'D', 'I', 'D', 'L', 0, 0xfd, '*'};
	static const uint8_t cid[] = {0, 0, 0, 0, 0, 0, 4, 0xd2};
	struct ic_request r = {0};
	r.type = IC_REQ_CALL;
	ic_principal_from_bytes(&r.canister_id, cid, 8);
	r.method = "hello";
	r.arg = arg;
	r.arg_len = sizeof arg;
	r.sender.len = 1;
	r.sender.b[0] = 4;
	r.ingress_expiry = 1685570400000000000ULL;
	uint8_t rid[32];
	TAP_OK(ic_request_id(&r, rid) == 0 && hexeq(rid, 32, "1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101"),
	       "request id: the spec's example");

	struct ic_buf b;
	ic_buf_init(&b); /* without sender and ingress_expiry */
	ic_cbor_put_head(&b, 5, 4);
	ic_cbor_put_text(&b, "request_type"), ic_cbor_put_text(&b, "call");
	ic_cbor_put_text(&b, "canister_id"), ic_cbor_put_bytes(&b, cid, 8);
	ic_cbor_put_text(&b, "method_name"), ic_cbor_put_text(&b, "hello");
	ic_cbor_put_text(&b, "arg"), ic_cbor_put_bytes(&b, arg, sizeof arg);
	TAP_OK(hash_hex(&b, "8781291c347db32a9d8c10eb62b710fce5a93be676474c42babc74c51858f94b"), "request id: agent-rs, no sender/expiry");
	ic_buf_free(&b);

	ic_buf_init(&b);
	ic_cbor_put_head(&b, 5, 2);
	ic_cbor_put_text(&b, "sender"), ic_cbor_put_bytes(&b, cid, 8);
	ic_cbor_put_text(&b, "paths"), ic_cbor_put_head(&b, 4, 3);
	ic_cbor_put_head(&b, 4, 0);
	ic_cbor_put_head(&b, 4, 1), ic_cbor_put_bytes(&b, "", 0);
	ic_cbor_put_head(&b, 4, 2), ic_cbor_put_bytes(&b, "hello", 5), ic_cbor_put_bytes(&b, "world", 5);
	TAP_OK(hash_hex(&b, "97d6f297aea699aec85d3377c7643ea66db810aba5c4372fbc2082c999f452dc"), "request id: agent-rs, paths");
	ic_buf_free(&b);

	ic_buf_init(&b);
	ic_cbor_put_head(&b, 5, 1), ic_cbor_put_text(&b, "paths"), ic_cbor_put_head(&b, 4, 0);
	TAP_OK(hash_hex(&b, "99daa8c80a61e87ac1fdf9dd49e39963bfe4dafb2a45095ebf4cad72d916d5be"), "request id: agent-rs, paths []");
	ic_buf_free(&b);
	ic_buf_init(&b);
	ic_cbor_put_head(&b, 5, 1), ic_cbor_put_text(&b, "paths"), ic_cbor_put_head(&b, 4, 1), ic_cbor_put_head(&b, 4, 0);
	TAP_OK(hash_hex(&b, "ea01a9c3d3830db108e0a87995ea0d4183dc9c6e51324e9818fced5c57aa64f5"), "request id: agent-rs, paths [[]]");
	ic_buf_free(&b);
	ic_buf_init(&b);
	ic_cbor_put_head(&b, 5, 2);
	ic_cbor_put_text(&b, "foo"), ic_cbor_put_head(&b, 5, 2);
	ic_cbor_put_text(&b, "baz"), ic_cbor_put_text(&b, "hello");
	ic_cbor_put_text(&b, "quux"), ic_cbor_put_uint(&b, 3);
	ic_cbor_put_text(&b, "bar"), ic_cbor_put_bytes(&b, "world", 5);
	TAP_OK(hash_hex(&b, "3d447339cc0c2b894ee215c8141770bf4b86c72b6c37d9873213a786ec7f9f31"), "request id: agent-rs, nested map");
	ic_buf_free(&b);
	/* a negative int hashes as its shortest signed LEB128: -123456 -> c0 bb 78 */
	ic_buf_init(&b);
	ic_cbor_put_head(&b, 1, 123455);
	uint8_t want[32];
	static const uint8_t sl[] = {0xc0, 0xbb, 0x78};
	crypto_hash_sha256(want, sl, 3);
	char wh[65];
	ic_hex(wh, want, 32);
	TAP_OK(hash_hex(&b, wh), "request id: negative int as sleb128");
	ic_buf_free(&b);

	/* expiry rounding */
	const uint64_t s = 1000000000ULL;
	TAP_IS(ic_ingress_expiry(1000 * s + 5, 240 * s), 1200 * s, "ingress_expiry: rounded down to the minute");
	TAP_IS(ic_ingress_expiry(1000 * s + 5, 70 * s), 1070 * s, "ingress_expiry: to the second when a minute would be too short");
}

static void test_envelopes(void)
{
	static const struct {
		const char *pem, *rid, *env;
	} v[] = {
		{"dfx_ed25519_v2.pem", "9bc8bd7b2e08bd328a006f6b6b2023af7c9d6d39a0ba5428ae77635aea2fa395",
		 "d9d9f7a367636f6e74656e74a76c726571756573745f747970656571756572796b63616e69737465725f69644a000000000000000201016b6d6574686f645f6e616d6565677265657463617267464449444c00006673656e646572581d843a074a51e3fa44d734c66ec13cb0c44cd7d9af2d570de135a12fff026e696e67726573735f6578706972791b17979cfe362a0000656e6f6e6365500102030405060708090a0b0c0d0e0f106d73656e6465725f7075626b6579582c302a300506032b6570032100d5925dacb5d69ec810ef7dbd2de2acbdbe1b2feb12e5d6fee9ee2d0d3b5fbda76a73656e6465725f73696758406b568bfde8f4fdad03f9af7369d58cf11623ab714105ca3ac5b6e066137fa64bcad954e8c8905f3dfb7c574d9fb7a14038a68cbfb6a0e727d5a58b76d4d9510f"},
		{"quill_secp256k1.pem", "8dedcb36bd7a6f9065e0c0b6a1aa0ccd13b804cc20989ccb9a3afe0293ca4e36",
		 "d9d9f7a367636f6e74656e74a76c726571756573745f747970656571756572796b63616e69737465725f69644a000000000000000201016b6d6574686f645f6e616d6565677265657463617267464449444c00006673656e646572581dae34386c92b3da8183bd9d75e967e7158bdfcf885c8628d9abfec5a0026e696e67726573735f6578706972791b17979cfe362a0000656e6f6e6365500102030405060708090a0b0c0d0e0f106d73656e6465725f7075626b657958583056301006072a8648ce3d020106052b8104000a034200040502a7d022f2880fdf41fe8bf12d3bfcc0c9f642094f366f9b68c5a36ff2bd24e819e7be5f33ff182138d3c65c64533513052c9270c1a12774105d4fcc5466266a73656e6465725f7369675840db449280c82ff4ee8d868bd9eac8dd5f9f6077ea1e45f13bd1ea4e1e869069af713980418f26718b1b6db5c8a7f43b7782f75c8ba6bd918b618d5a978053ffd9"},
	};
	const char *srcdir = getenv("ICARC_SRCDIR");
	for (size_t i = 0; i < 2; i++) {
		char path[4096], err[300];
		snprintf(path, sizeof path, "%s/tests/ic/pem/%s", srcdir ? srcdir : ".", v[i].pem);
		struct ic_identity id;
		if (!TAP_OK(ic_identity_from_file(&id, path, err, sizeof err) == 0, "envelope: load %s (%s)", v[i].pem, err))
			continue;
		static const uint8_t arg[] = {'D', 'I', 'D', 'L', 0, 0};
		static const uint8_t cid[] = {0, 0, 0, 0, 0, 0, 0, 2, 1, 1};
		struct ic_request r = {0};
		r.type = IC_REQ_QUERY;
		ic_principal_from_bytes(&r.canister_id, cid, sizeof cid);
		r.method = "greet";
		r.arg = arg;
		r.arg_len = sizeof arg;
		r.sender = id.principal;
		r.ingress_expiry = 1700000000000000000ULL;
		for (int k = 0; k < 16; k++)
			r.nonce[k] = (uint8_t)(k + 1);
		r.nonce_len = 16;
		struct ic_buf b;
		uint8_t rid[32];
		ic_buf_init(&b);
		int rc = ic_envelope_build(&r, &id, &b, rid, err, sizeof err);
		TAP_OK(rc == 0 && hexeq(rid, 32, v[i].rid), "envelope: %s request id", v[i].pem);
		TAP_OK(rc == 0 && hexeq(b.p, b.len, v[i].env), "envelope: %s byte-identical to agent-js (%zu bytes)", v[i].pem, b.len);
		ic_buf_free(&b);
		ic_identity_wipe(&id);
	}
	/* Ed25519 seeds -> principals (icp-js-core e2e mainnet.test.ts snapshot) */
	static const char *seedp[3] = {"535yc-uxytb-gfk7h-tny7p-vjkoe-i4krp-3qmcl-uqfgr-cpgej-yqtjq-rqe",
	                               "wf3fv-4c4nr-7ks2b-xa4u7-kf3no-32glf-lf7e4-4ng4a-wwtlu-a2vnq-nae",
	                               "52mr2-fw2ng-2ofst-7jekz-xbymo-3ysz7-itwdk-bgstz-r7g4g-oz5vi-pqe"};
	for (int i = 0; i < 3; i++) {
		uint8_t seed[32];
		struct ic_identity id;
		char t[IC_PRINCIPAL_MAXTEXT];
		memset(seed, i, 32);
		ic_identity_from_ed25519_seed(&id, seed);
		ic_principal_to_text(&id.principal, t);
		TAP_OK(strcmp(t, seedp[i]) == 0, "identity: Ed25519 seed %02x*32 -> %s", i, t);
	}
	struct ic_identity anon;
	ic_identity_anonymous(&anon);
	struct ic_request r = {0};
	r.type = IC_REQ_READ_STATE;
	r.sender = anon.principal;
	r.ingress_expiry = 1;
	struct ic_label l = {(const uint8_t *)"time", 4};
	struct ic_path path = {&l, 1};
	r.paths = &path;
	r.npaths = 1;
	struct ic_buf b;
	uint8_t rid[32];
	char err[100];
	ic_buf_init(&b);
	int rc = ic_envelope_build(&r, &anon, &b, rid, err, sizeof err);
	TAP_OK(rc == 0 &&
	       hexeq(b.p, b.len, "d9d9f7a167636f6e74656e74a46c726571756573745f747970656a726561645f7374617465657061746873818144"
	                         "74696d656673656e6465724104"
	                         "6e696e67726573735f65787069727901"),
	       "envelope: anonymous read_state has content only");
	ic_buf_free(&b);
}

/* ic-protocol.md A.5: node signatures over query responses (synthetic, verified in Python) */
static void test_query_response(void)
{
	uint8_t body[512], rid[32], h[32], sig[64], der[44];
	size_t n = unhex(body, sizeof body, "d9d9f7a366737461747573677265706c696564657265706c79a163617267464449444c00006a7369676e61747572657381a36974696d657374616d701b17979cfe3d85cd15697369676e61747572655840759d8e64a2b1bc6203d243bb0cc7931d4d0b396f059a419c178b195b08796127797781af59c3cb6dd085b0479389a32a1b3f0379a88d96d359945d9da989d80e686964656e74697479581d79e962f37090cdcc6f86eb0fbf97d0289983595fea630061fb2ad8f902");
	unhex(rid, sizeof rid, "9bc8bd7b2e08bd328a006f6b6b2023af7c9d6d39a0ba5428ae77635aea2fa395");
	unhex(der, sizeof der, "302a300506032b6570032100d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737");
	struct ic_cbor_doc d;
	char err[200];
	if (!TAP_OK(ic_cbor_decode(body, n, NULL, &d, err, sizeof err) == 0, "query response: decodes"))
		return;
	size_t top = ic_cbor_untag(&d, 0);
	size_t sigs = ic_cbor_map_get(&d, top, "signatures");
	size_t s0 = ic_cbor_array_at(&d, sigs, 0);
	uint64_t ts = 0;
	const uint8_t *sp, *ip;
	size_t sl, il;
	ic_cbor_get_uint(&d, ic_cbor_map_get(&d, s0, "timestamp"), &ts);
	ic_cbor_get_bytes(&d, ic_cbor_map_get(&d, s0, "signature"), &sp, &sl);
	ic_cbor_get_bytes(&d, ic_cbor_map_get(&d, s0, "identity"), &ip, &il);
	TAP_OK(ts == 1700000000123456789ULL && sl == 64, "query response: timestamp and signature fields");
	struct ic_principal node, want;
	ic_principal_from_bytes(&node, ip, il);
	ic_principal_from_text(&want, "r772c-4dz5f-rpg4e-qzxgg-7bxlb-67zpu-bitgb-vsx7k-mmagd-6zk3d-4qe", 63, err, sizeof err);
	TAP_OK(ic_principal_cmp(&node, &want) == 0, "query response: node identity");
	struct ic_principal self;
	ic_principal_self_authenticating(&self, der, 44);
	TAP_OK(ic_principal_cmp(&node, &self) == 0, "query response: node id is self-authenticating of its key");
	TAP_OK(ic_query_response_hash(&d, top, rid, ts, h) == 0 &&
	       hexeq(h, 32, "3a4e5896673e43aef2a7d207c43f9fd9c3b4bf647c453dedbb56af006d784ea9"), "query response: replied hash");
	uint8_t msg[12 + 32];
	memcpy(msg, IC_SEP_RESPONSE, 12);
	memcpy(msg + 12, h, 32);
	TAP_OK(ic_ed25519_der_verify(der, 44, msg, sizeof msg, sp), "query response: node signature verifies");
	msg[20] ^= 1;
	TAP_OK(!ic_ed25519_der_verify(der, 44, msg, sizeof msg, sp), "query response: altered hash fails");
	ic_cbor_doc_free(&d);

	struct ic_buf b;
	ic_buf_init(&b);
	ic_cbor_put_head(&b, 5, 4);
	ic_cbor_put_text(&b, "status"), ic_cbor_put_text(&b, "rejected");
	ic_cbor_put_text(&b, "reject_code"), ic_cbor_put_uint(&b, 4);
	ic_cbor_put_text(&b, "reject_message"), ic_cbor_put_text(&b, "nope");
	ic_cbor_put_text(&b, "error_code"), ic_cbor_put_text(&b, "IC0406");
	ic_cbor_decode(b.p, b.len, NULL, &d, err, sizeof err);
	TAP_OK(ic_query_response_hash(&d, 0, rid, 1700000000123456789ULL, h) == 0 &&
	       hexeq(h, 32, "bf71cbbb243cfa790dc89e577bd20bf1eee33e7edb12fcfccae9aa999cb5eef6"), "query response: rejected hash");
	unhex(sig, sizeof sig, "e28e5af28e853288d63cae102448d8d1a9da8aa6fcd7d6c3dfbdb390f9f422f9e51b6ecaf1337c0d856280daa4c71f52c4373fec06c9f624bbe8025aabaa000f");
	memcpy(msg + 12, h, 32);
	msg[20] = h[8];
	TAP_OK(ic_ed25519_der_verify(der, 44, msg, sizeof msg, sig), "query response: rejected signature verifies");
	ic_cbor_doc_free(&d);
	ic_buf_free(&b);
}

static void test_pem(void)
{
	const char *srcdir = getenv("ICARC_SRCDIR");
	char path[4096], line[512], err[400];
	snprintf(path, sizeof path, "%s/tests/ic/pem/expected.txt", srcdir ? srcdir : ".");
	FILE *f = fopen(path, "r");
	if (!TAP_OK(f != NULL, "pem: open %s", path))
		return;
	int count = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		char file[128], want[80];
		if (line[0] == '#' || sscanf(line, "%127s %79s", file, want) != 2) /* NOLINT: test input */
			continue;
		snprintf(path, sizeof path, "%s/tests/ic/pem/%s", srcdir ? srcdir : ".", file);
		struct ic_identity id;
		char t[IC_PRINCIPAL_MAXTEXT] = "";
		int rc = ic_identity_from_file(&id, path, err, sizeof err);
		if (rc == 0)
			ic_principal_to_text(&id.principal, t);
		TAP_OK(rc == 0 && strcmp(t, want) == 0, "pem: %s -> %s as icp-cli prints (%s)", file, want, rc ? err : t);
		/* the key must also sign: sign and verify one message */
		if (rc == 0 && id.kind == IC_IDENTITY_ED25519) {
			uint8_t sig[64];
			TAP_OK(ic_identity_sign(&id, (const uint8_t *)"m", 1, sig) == 0 &&
			       ic_ed25519_der_verify(id.der, id.der_len, (const uint8_t *)"m", 1, sig),
			       "pem: %s signs", file);
		}
		count++;
	}
	fclose(f);
	TAP_OK(count >= 8, "pem: %d files checked", count);

	snprintf(path, sizeof path, "%s/tests/ic/pem/encrypted_pkcs8.pem", srcdir ? srcdir : ".");
	struct ic_identity id;
	TAP_OK(ic_identity_from_file(&id, path, err, sizeof err) != 0 && strstr(err, "encrypted") && strstr(err, "export"),
	       "pem: encrypted key refused with advice (%s)", err);
	snprintf(path, sizeof path, "%s/tests/ic/pem/p256.pem", srcdir ? srcdir : ".");
	uint8_t sig[64];
	TAP_OK(ic_identity_from_file(&id, path, err, sizeof err) == 0 && id.kind == IC_IDENTITY_P256 && id.der_len == 91 &&
	       ic_identity_sign(&id, (const uint8_t *)"m", 1, sig) != 0, "pem: P-256 key read for its principal, cannot sign");
	struct ic_request rq = {0};
	struct ic_buf eb;
	uint8_t rid[32];
	rq.type = IC_REQ_READ_STATE, rq.sender = id.principal;
	ic_buf_init(&eb);
	TAP_OK(ic_envelope_build(&rq, &id, &eb, rid, err, sizeof err) != 0 && strstr(err, "P-256"),
	       "pem: signing with P-256 refused clearly (%s)", err);
	ic_buf_free(&eb);
	static const char *bad[] = {
		"", "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEICzs0W8MwJXM4R6cYHIy2sOHWgnxaTyMAw3NRhlB7xG\n-----END PRIVATE KEY-----\n",
		"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEICzs0W8MwJXM4R6cYHIy2sOHWgnxaTyMAw3NRhlB7xGg\n",
		"-----BEGIN PRIVATE KEY-----\nMC0CAQAwBQYDK2VwBCEEICzs0W8MwJXM4R6cYHIy2sOHWgnxaTyMAw3NRhlB7xGg\n-----END PRIVATE KEY-----\n",
		"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		TAP_OK(ic_identity_from_pem(&id, bad[i], strlen(bad[i]), err, sizeof err) != 0, "pem: rejects bad input %zu (%s)",
		       i, err);
	/* a key file whose public key is not the private key's: refused (quill's key, last byte changed) */
	static const char quill_b64[] = "MHQCAQEEIE+3ipe2ruuJOmeBAhImUP/jic7Qwk2fXC8BaAmu6VK4oAcGBSuBBAAKoUQDQgAEBQKn0CLyiA/fQf6L8S07/MDJ9kIJTzZvm2jFo2/yvSToGee+XzP/GCE408ZcZFM1EwUsknDBoSd0EF1PzFRmJg==";
	uint8_t der[200];
	size_t dl = 0;
	char b64[400], pem[600];
	sodium_base642bin(der, sizeof der, quill_b64, strlen(quill_b64), NULL, &dl, NULL, sodium_base64_VARIANT_ORIGINAL);
	der[dl - 1] ^= 1;
	sodium_bin2base64(b64, sizeof b64, der, dl, sodium_base64_VARIANT_ORIGINAL);
	snprintf(pem, sizeof pem, "-----BEGIN EC PRIVATE KEY-----\n%s\n-----END EC PRIVATE KEY-----\n", b64);
	TAP_OK(dl == 118 && ic_identity_from_pem(&id, pem, strlen(pem), err, sizeof err) != 0 && strstr(err, "does not belong"),
	       "pem: a public key that does not match the private key is refused (%s)", err);
}

/* ic_sha256: the FIPS 180-4 examples (NIST CSRC "SHA256.pdf"), then every length 0..300 and some
 * large ones, fed whole and in odd pieces, against libsodium; on both paths when the CPU has the
 * SHA instructions. */
static void test_sha256(void)
{
	static const struct {
		const char *msg;
		const char *hex;
	} v[] = {{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	         {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	         {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"}};
	int accel = ic_sha256_accelerated();
	TAP_DIAG("sha256: SHA instructions %s", accel ? "used" : "not available (libsodium only)");
	size_t big = 3 * 1000 * 1000 + 17;
	uint8_t *buf = malloc(big);
	if (buf == NULL) {
		TAP_OK(0, "sha256: out of memory");
		return;
	}
	randombytes_buf(buf, big);
	for (int pass = 0; pass < 2; pass++) {
		ic_sha256_accel_off(pass);
		const char *path = pass ? "libsodium" : accel ? "SHA instructions" : "libsodium";
		for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
			uint8_t got[32], want[32];
			ic_sha256(got, (const uint8_t *)v[i].msg, strlen(v[i].msg));
			unhex(want, sizeof want, v[i].hex);
			TAP_MEM(got, want, 32, "sha256: FIPS example");
		}
		int bad = 0;
		size_t lens[] = {1000, 4096, 65536 + 7, 2000000, big};
		for (size_t n = 0; n < 300 + sizeof lens / sizeof lens[0]; n++) {
			size_t len = n < 300 ? n : lens[n - 300];
			uint8_t got[32], split[32], want[32];
			crypto_hash_sha256(want, buf, len);
			ic_sha256(got, buf, len);
			struct ic_sha256 s;
			ic_sha256_init(&s);
			for (size_t off = 0, step = 1; off < len; off += step, step = step * 3 % 101 + 1)
				ic_sha256_update(&s, buf + off, step < len - off ? step : len - off);
			ic_sha256_final(&s, split);
			if (memcmp(got, want, 32) != 0 || memcmp(split, want, 32) != 0) {
				if (bad++ == 0)
					TAP_DIAG("sha256 (%s): length %zu differs from libsodium", path, len);
			}
		}
		TAP_OK(bad == 0, "sha256 (%s): 305 lengths up to %zu bytes, whole and in pieces, equal libsodium's", path, big);
	}
	ic_sha256_accel_off(0);
	free(buf);
}

int main(void)
{
	if (sodium_init() < 0)
		return 99;
	test_cbor();
	test_principal();
	test_request_id();
	test_envelopes();
	test_query_response();
	test_pem();
	test_sha256();
	return tap_done();
}
