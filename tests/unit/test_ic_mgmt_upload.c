/* test_ic_mgmt_upload.c - the snapshot upload and load arguments (src/ic/mgmt.c) and icarc push's
 * metadata.json reader (src/push_meta.c) against agent-js: each vector below is IDL.encode of
 * @icp-sdk/core (tests/replica/node_modules) at the types of ic.did; ours must decode to the same
 * value, and the agent-js bytes must decode at our types. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/candid.h"
#include "ic/mgmt.h"
#include "push.h"
#include "tap.h"
#include "ic_hex.h"

/* ryjl3-tyaaa-aaaaa-aaaba-cai and a snapshot id of it */
static const uint8_t cid[10] = {0, 0, 0, 0, 0, 0, 0, 2, 1, 1};
static const uint8_t sid[16] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x20, 1, 1};

static const char js_meta[] =
	"4449444c096b0585a5b60273a4aab60272c8b2bf0275e7b7bf0274818f92f1047d6d006d7b6e026b02c68399b20178ebaec0d1067f6e046b"
	"03a2efe5f1037f8fc9effa0b7fe3c0eab50e7f6e066c09b08be4a10101efc1e4cf0103c2b9a19c0302a9c9dbae030580f6c7e30407999fb5"
	"eb0478b3c4b1f20468bbfeb3af0678a4cadab30d7801080502fbffffff03cb04fb711f010000000000c03f0100000000000002c004ffffff"
	"ff7f01100000000000000001000000000020010103010203010000002a36fe9c971701021900000000000000010a00000000000000020101"
	"00004d00000000000000030000000000";
static const char js_meta0[] =
	"4449444c096b0585a5b60273a4aab60272c8b2bf0275e7b7bf0274818f92f1047d6d006d7b6e026b02c68399b20178ebaec0d1067f6e046b"
	"03a2efe5f1037f8fc9effa0b7fe3c0eab50e7f6e066c09b08be4a10101efc1e4cf0103c2b9a19c0302a9c9dbae030580f6c7e30407999fb5"
	"eb0478b3c4b1f20468bbfeb3af0678a4cadab30d7801080000000101000800000000000000010a0000000000000002010100000100000000"
	"000000000000000000";
static const char js_data[] =
	"4449444c046d7b6c0193affe8106786b04a79fc97e01fccbfb9d0501c586d3970901d2c7b5c00f7f6c04ed8c8bae0400d4c2a7b80402b3c4"
	"b1f20468b6b897890f000103036162630200093d0000000000010a000000000000000201011000000000000000010000000000200101";
static const char js_chunk[] =
	"4449444c046d7b6c0193affe8106786b04a79fc97e01fccbfb9d0501c586d3970901d2c7b5c00f7f6c04ed8c8bae0400d4c2a7b80402b3c4"
	"b1f20468b6b897890f00010302090803010a000000000000000201011000000000000000010000000000200101";
static const char js_load[] =
	"4449444c036e786d7b6c03b3c4b1f20468ca9998b40d00b6b897890f010102010a0000000000000002010100100000000000000001000000"
	"0000200101";
static const char js_resp[] = "4449444c026d7b6c01b6b897890f0001011000000000000000010000000000200101";

/* the metadata.json of the js_meta value, as icp-cli writes it */
static const char meta_json[] =
	"{\n  \"source\": {\n    \"taken_from_canister\": null\n  },\n  \"taken_at_timestamp\": 5,\n"
	"  \"wasm_module_size\": 25,\n  \"globals\": [{\"i32\": -5}, {\"i64\": 1234567890123}, {\"f32\": 1.5},\n"
	"    {\"f64\": -2.25}, {\"v128\": [4294967295, 7]}],\n  \"wasm_memory_size\": 196608,\n"
	"  \"stable_memory_size\": 5046272,\n  \"wasm_chunk_store\": [],\n  \"canister_version\": 9,\n"
	"  \"certified_data\": [1, 2, 3],\n  \"global_timer\": {\"active\": 1700000000000000000},\n"
	"  \"on_low_wasm_memory_hook_status\": \"ready\"\n}";

static struct ic_arena arena;

static const struct ic_cvalue *decode_at(const char *type, const uint8_t *p, size_t n)
{
	int32_t ty = ic_mgmt_type(type);
	char err[300];
	struct ic_cvalue *v;
	if (ty < 0 || ic_candid_decode(p, n, ic_mgmt_types(), &ty, 1, NULL, &arena, &v, err, sizeof err) != 0) {
		TAP_DIAG("decode %s: %s", ty < 0 ? type : type, ty < 0 ? "no such type" : err);
		return NULL;
	}
	return v;
}

/* Ours (b) and agent-js's (hex) decode at `type` to equal values. */
static void same(const char *type, const struct ic_buf *b, const char *hex, const char *what)
{
	static uint8_t m[4096];
	size_t n = unhex(m, sizeof m, hex);
	const struct ic_cvalue *theirs = decode_at(type, m, n);
	const struct ic_cvalue *ours = b->oom ? NULL : decode_at(type, b->p, b->len);
	TAP_OK(theirs && ours && ic_cvalue_equal(ic_mgmt_types(), theirs, ours), "%s: equals agent-js's", what);
}

int main(void)
{
	ic_arena_init(&arena, 0);
	struct ic_principal c;
	ic_principal_from_bytes(&c, cid, sizeof cid);
	struct ic_buf b;

	/* upload_canister_snapshot_metadata: every kind of global, replace, timer, hook */
	struct ic_snapshot_global g[5];
	memset(g, 0, sizeof g);
	g[0].kind = IC_GLOBAL_I32, g[0].i = -5;
	g[1].kind = IC_GLOBAL_I64, g[1].i = 1234567890123LL;
	g[2].kind = IC_GLOBAL_F32, g[2].f32 = 1.5f;
	g[3].kind = IC_GLOBAL_F64, g[3].f64 = -2.25;
	g[4].kind = IC_GLOBAL_V128;
	static const uint8_t v128[] = {0xff, 0xff, 0xff, 0xff, 7};
	memcpy(g[4].v128, v128, sizeof v128);
	g[4].v128_len = sizeof v128;
	static const uint8_t cd[] = {1, 2, 3};
	struct ic_snapshot_upload_metadata m = {25, 196608, 5046272, g, 5, cd, 3, IC_TIMER_ACTIVE, 1700000000000000000ULL,
	                                        IC_HOOK_READY};
	ic_buf_init(&b);
	TAP_OK(ic_mgmt_arg_upload_snapshot_metadata(&b, &c, sid, sizeof sid, &m) == 0, "upload metadata arg encodes");
	same("upload_canister_snapshot_metadata_args", &b, js_meta, "upload metadata, all fields");
	ic_buf_free(&b);
	struct ic_snapshot_upload_metadata m0 = {8, 0, 65536, NULL, 0, NULL, 0, IC_TIMER_INACTIVE, 0, IC_HOOK_NONE};
	ic_buf_init(&b);
	TAP_OK(ic_mgmt_arg_upload_snapshot_metadata(&b, &c, NULL, 0, &m0) == 0, "upload metadata arg, nothing optional");
	same("upload_canister_snapshot_metadata_args", &b, js_meta0, "upload metadata, no globals, inactive timer");
	ic_buf_free(&b);
	m0.hook_status = 7;
	ic_buf_init(&b);
	TAP_OK(ic_mgmt_arg_upload_snapshot_metadata(&b, &c, NULL, 0, &m0) == -1, "an unknown hook status is refused");
	ic_buf_free(&b);

	/* icarc push's metadata.json reader gives the same argument */
	struct push_meta pm;
	char err[300];
	int ok = push_meta_parse(meta_json, strlen(meta_json), &pm, err, sizeof err) == 0;
	if (!TAP_OK(ok, "push_meta_parse reads icp-cli's metadata.json"))
		TAP_DIAG("%s", err);
	ic_buf_init(&b);
	if (ok && ic_mgmt_arg_upload_snapshot_metadata(&b, &c, sid, sizeof sid, &pm.m) != 0)
		b.oom = 1;
	same("upload_canister_snapshot_metadata_args", &b, js_meta, "metadata.json -> upload metadata");
	ic_buf_free(&b);
	if (ok)
		push_meta_free(&pm);
	static const char *const bad[] = {
		"{\"wasm_module_size\":1,\"wasm_memory_size\":0,\"stable_memory_size\":0,\"globals\":[null]}",
		"{\"wasm_module_size\":1,\"wasm_memory_size\":0,\"stable_memory_size\":0,\"globals\":[{\"i32\":2147483648}]}",
		"{\"wasm_module_size\":1,\"wasm_memory_size\":0,\"stable_memory_size\":0,\"globals\":[{\"f64\":null}]}",
		"{\"wasm_module_size\":1,\"wasm_memory_size\":0,\"stable_memory_size\":0,\"globals\":[{\"v128\":[1,2,3,4,5]}]}",
		"{\"wasm_module_size\":1,\"wasm_memory_size\":0,\"stable_memory_size\":0,\"global_timer\":\"active\"}",
		"{\"wasm_module_size\":1,\"wasm_memory_size\":0,\"stable_memory_size\":0,\"on_low_wasm_memory_hook_status\":1}",
		"{\"wasm_module_size\":1,\"wasm_memory_size\":0,\"stable_memory_size\":0,\"certified_data\":[256]}",
		"{\"wasm_module_size\":1,\"wasm_memory_size\":0}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		TAP_OK(push_meta_parse(bad[i], strlen(bad[i]), &pm, err, sizeof err) == -1 && err[0],
		       "push_meta_parse refuses bad metadata %zu (%s)", i, err);

	/* upload_canister_snapshot_data: a memory slice, a chunk-store entry */
	ic_buf_init(&b);
	TAP_OK(ic_mgmt_arg_upload_snapshot_data(&b, &c, sid, sizeof sid, IC_SNAP_STABLE_MEMORY, 4000000,
	                                        (const uint8_t *)"abc", 3) == 0,
	       "upload data arg encodes");
	same("upload_canister_snapshot_data_args", &b, js_data, "upload data, stable_memory at 4000000");
	ic_buf_free(&b);
	/* the comparison sees a wrong offset or kind (the type tables differ in order, not the values) */
	ic_buf_init(&b);
	uint8_t m1[4096];
	size_t n1 = unhex(m1, sizeof m1, js_data);
	const struct ic_cvalue *theirs = decode_at("upload_canister_snapshot_data_args", m1, n1);
	TAP_OK(ic_mgmt_arg_upload_snapshot_data(&b, &c, sid, sizeof sid, IC_SNAP_WASM_MEMORY, 4000000,
	                                        (const uint8_t *)"abc", 3) == 0 && theirs &&
	               !ic_cvalue_equal(ic_mgmt_types(), theirs, decode_at("upload_canister_snapshot_data_args", b.p, b.len)),
	       "upload data: another kind is told apart");
	ic_buf_free(&b);
	ic_buf_init(&b);
	TAP_OK(ic_mgmt_arg_upload_snapshot_data(&b, &c, sid, sizeof sid, IC_SNAP_WASM_CHUNK, 0, (const uint8_t *)"\x09\x08", 2) == 0,
	       "upload data arg, a chunk");
	same("upload_canister_snapshot_data_args", &b, js_chunk, "upload data, wasm_chunk");
	ic_buf_free(&b);

	/* load_canister_snapshot */
	ic_buf_init(&b);
	TAP_OK(ic_mgmt_arg_load_snapshot(&b, &c, sid, sizeof sid) == 0, "load arg encodes");
	same("load_canister_snapshot_args", &b, js_load, "load");
	ic_buf_free(&b);

	/* upload_canister_snapshot_metadata's reply */
	uint8_t r[128], id[IC_SNAPSHOT_ID_MAX];
	size_t n = unhex(r, sizeof r, js_resp), idl = 0;
	TAP_OK(ic_mgmt_decode_upload_metadata(r, n, id, &idl, err, sizeof err) == 0 && idl == sizeof sid &&
	               memcmp(id, sid, idl) == 0,
	       "upload metadata reply: the snapshot id");
	TAP_OK(ic_mgmt_decode_upload_metadata(r, n - 1, id, &idl, err, sizeof err) == -1, "a cut reply is refused");
	ic_arena_free(&arena);
	return tap_done();
}
