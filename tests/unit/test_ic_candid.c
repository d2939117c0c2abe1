/* test_ic_candid.c - the management canister's snapshot arguments and replies against the
 * agent-js encodings of ic-protocol.md §8.4, Candid number encoding, and round trips. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/candid.h"
#include "ic/mgmt.h"
#include "tap.h"
#include "ic_hex.h"

static const uint8_t ledger[10] = {0, 0, 0, 0, 0, 0, 0, 2, 1, 1};
static const uint8_t sid[18] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 1};

static int decode_at(const char *type, const uint8_t *p, size_t n, struct ic_arena *a, struct ic_cvalue **v)
{
	int32_t ty = ic_mgmt_type(type);
	char err[300];
	int rc = ic_candid_decode(p, n, ic_mgmt_types(), &ty, 1, NULL, a, v, err, sizeof err);
	if (rc != 0)
		TAP_DIAG("decode %s: %s", type, err);
	return rc;
}

static void test_agent_js_vectors(void)
{
	const struct ic_ctable *t = ic_mgmt_types();
	if (!TAP_OK(t != NULL, "mgmt: the ic.did types parse"))
		return;
	struct ic_principal c;
	ic_principal_from_bytes(&c, ledger, 10);
	struct ic_buf b;
	ic_buf_init(&b);
	TAP_OK(ic_mgmt_arg_canister(&b, &c) == 0 &&
	       hexeq(b.p, b.len, "4449444c016c01b3c4b1f204680100010a00000000000000020101"),
	       "mgmt: {canister_id} byte-identical to agent-js");
	ic_buf_free(&b);

	uint8_t m[512];
	struct ic_arena a;
	struct ic_cvalue *v;
	ic_arena_init(&a, 0);
	size_t n = unhex(m, sizeof m, "4449444c036d7b6e006c02efc1e4cf0101b3c4b1f20468010200010a00000000000000020101");
	TAP_OK(decode_at("take_canister_snapshot_args", m, n, &a, &v) == 0 &&
	       ic_cvalue_field(t, v, "replace_snapshot")->u.opt == NULL &&
	       ic_cvalue_field(t, v, "canister_id")->u.s.len == 10 && memcmp(ic_cvalue_field(t, v, "canister_id")->u.s.p, ledger, 10) == 0,
	       "mgmt: agent-js take_canister_snapshot arg decodes");
	/* ours decodes to the same value */
	struct ic_cvalue *w;
	ic_buf_init(&b);
	TAP_OK(ic_mgmt_arg_take_snapshot(&b, &c, NULL, 0) == 0 && decode_at("take_canister_snapshot_args", b.p, b.len, &a, &w) == 0 &&
	       ic_cvalue_equal(t, v, w), "mgmt: our take_canister_snapshot arg equals agent-js's");
	ic_buf_free(&b);
	ic_buf_init(&b);
	TAP_OK(ic_mgmt_arg_take_snapshot(&b, &c, sid, 18) == 0 && decode_at("take_canister_snapshot_args", b.p, b.len, &a, &w) == 0 &&
	       ic_cvalue_field(t, w, "replace_snapshot")->u.opt != NULL &&
	       ic_cvalue_field(t, w, "replace_snapshot")->u.opt->u.vec.n == 18, "mgmt: take_canister_snapshot with replace_snapshot");
	ic_buf_free(&b);

	n = unhex(m, sizeof m, "4449444c026d7b6c02b3c4b1f20468b6b897890f000101010a0000000000000002010112000000000000000100000000000000020101");
	ic_buf_init(&b);
	TAP_OK(decode_at("snapshot_args", m, n, &a, &v) == 0 && ic_mgmt_arg_snapshot(&b, &c, sid, 18) == 0 &&
	       decode_at("snapshot_args", b.p, b.len, &a, &w) == 0 && ic_cvalue_equal(t, v, w) &&
	       ic_cvalue_field(t, v, "snapshot_id")->u.vec.n == 18,
	       "mgmt: read_canister_snapshot_metadata arg: agent-js's and ours decode equal");
	ic_buf_free(&b);

	n = unhex(m, sizeof m, "4449444c056c02c1c1cee2047893affe8106786d7b6c01cedfa0a804016b04a79fc97e00fccbfb9d0500c586d3970900d2c7b5c00f026c03d4c2a7b80403b3c4b1f20468b6b897890f0101040280841e00000000000000000000000000010a0000000000000002010112000000000000000100000000000000020101");
	ic_buf_init(&b);
	int ok = decode_at("read_canister_snapshot_data_args", m, n, &a, &v) == 0;
	const struct ic_cvalue *k = ok ? ic_cvalue_field(t, v, "kind") : NULL;
	size_t nl = 0;
	const char *kn = k ? ic_cvalue_variant(t, k, NULL, &nl) : NULL;
	uint64_t off = 1, size = 0;
	if (kn != NULL) {
		off = ic_cvalue_field(t, k->u.var.v, "offset")->u.u;
		size = ic_cvalue_field(t, k->u.var.v, "size")->u.u;
	}
	TAP_OK(kn && nl == 13 && memcmp(kn, "stable_memory", 13) == 0 && off == 0 && size == 2000000,
	       "mgmt: agent-js read_canister_snapshot_data arg: stable_memory {offset 0, size 2000000}");
	TAP_OK(ic_mgmt_arg_read_snapshot_data(&b, &c, sid, 18, IC_SNAP_STABLE_MEMORY, 0, 2000000, NULL, 0) == 0 &&
	       decode_at("read_canister_snapshot_data_args", b.p, b.len, &a, &w) == 0 && ic_cvalue_equal(t, v, w),
	       "mgmt: our read_canister_snapshot_data arg equals agent-js's");
	ic_buf_free(&b);
	uint8_t hash[32];
	memset(hash, 0xab, 32);
	ic_buf_init(&b);
	ok = ic_mgmt_arg_read_snapshot_data(&b, &c, sid, 18, IC_SNAP_WASM_CHUNK, 0, 0, hash, 32) == 0 &&
	     decode_at("read_canister_snapshot_data_args", b.p, b.len, &a, &w) == 0;
	k = ok ? ic_cvalue_field(t, w, "kind") : NULL;
	kn = k ? ic_cvalue_variant(t, k, NULL, &nl) : NULL;
	TAP_OK(kn && nl == 10 && memcmp(kn, "wasm_chunk", 10) == 0 && ic_cvalue_field(t, k->u.var.v, "hash")->u.vec.n == 32,
	       "mgmt: read_canister_snapshot_data wasm_chunk {hash}");
	ic_buf_free(&b);
	ic_buf_init(&b);
	ok = ic_mgmt_arg_read_snapshot_data(&b, &c, sid, 18, IC_SNAP_WASM_MEMORY, 4000000, 1234, NULL, 0) == 0 &&
	     decode_at("read_canister_snapshot_data_args", b.p, b.len, &a, &w) == 0;
	k = ok ? ic_cvalue_field(t, w, "kind") : NULL;
	kn = k ? ic_cvalue_variant(t, k, NULL, &nl) : NULL;
	TAP_OK(kn && nl == 11 && memcmp(kn, "wasm_memory", 11) == 0 && ic_cvalue_field(t, k->u.var.v, "offset")->u.u == 4000000 &&
	       ic_cvalue_field(t, k->u.var.v, "size")->u.u == 1234, "mgmt: read_canister_snapshot_data wasm_memory offset/size");
	ic_buf_free(&b);

	n = unhex(m, sizeof m, "4449444c026d7b6c01ed8c8bae0400010103010203");
	const uint8_t *chunk;
	size_t cl;
	char err[200];
	TAP_OK(ic_mgmt_decode_chunk(m, n, &chunk, &cl, err, sizeof err) == 0 && cl == 3 && chunk == m + n - 3,
	       "mgmt: chunk reply decodes in place (zero copy)");
	n = unhex(m, sizeof m, "4449444c026d7b6c01ed8c8bae0400010103010202");
	TAP_OK(ic_mgmt_decode_chunk(m, n - 1, &chunk, &cl, err, sizeof err) != 0 && strstr(err, "at byte"),
	       "mgmt: truncated chunk reply refused (%s)", err);
	ic_arena_free(&a);
}

static void test_numbers(void)
{
	struct ic_ctable t;
	int32_t args[4];
	size_t na = 4;
	char err[200];
	if (!TAP_OK(ic_ctable_parse(&t, NULL, "(nat, int, vec int, record { a : nat64; b : opt text })", args, &na, err, sizeof err) == 0 && na == 4,
	            "candid: parse a tuple type (%s)", err))
		return;
	static const struct {
		const char *mag; /* little-endian hex */
		int neg;
		const char *leb;
	} ints[] = {{"", 0, "00"}, {"3f", 0, "3f"}, {"40", 0, "c000"}, {"01", 1, "7f"}, {"80", 1, "807f"},
	            {"81", 1, "ff7e"}, {"40e201", 1, "c0bb78"}, {"0000000000000000", 0, "00"}};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		uint8_t mag[16];
		size_t ml = unhex(mag, sizeof mag, ints[i].mag);
		while (ml > 0 && mag[ml - 1] == 0)
			ml--;
		struct ic_cvalue v[4];
		memset(v, 0, sizeof v);
		v[0].type = IC_CT_NAT, v[0].u.big.mag = mag, v[0].u.big.len = ml;
		v[1].type = IC_CT_INT, v[1].u.big.mag = mag, v[1].u.big.len = ml, v[1].u.big.neg = ints[i].neg && ml > 0;
		struct ic_cvalue rec[2];
		memset(rec, 0, sizeof rec);
		rec[0].u.u = 7;
		v[3].u.vec.v = rec, v[3].u.vec.n = 2;
		struct ic_buf b;
		ic_buf_init(&b);
		int rc = ic_candid_encode(&t, args, v, 4, &b, err, sizeof err);
		/* the int is the second value: find it after the nat */
		struct ic_arena a;
		struct ic_cvalue *d;
		ic_arena_init(&a, 0);
		int dr = rc == 0 ? ic_candid_decode(b.p, b.len, &t, args, 4, NULL, &a, &d, err, sizeof err) : -1;
		TAP_OK(rc == 0 && dr == 0 && ic_cvalue_equal(&t, &v[1], &d[1]) && ic_cvalue_equal(&t, &v[0], &d[0]) &&
		       ic_cvalue_field_id(&t, &d[3], ic_candid_hash("a", 1))->u.u == 7,
		       "candid: int %s%s round trip (%s)", ints[i].neg ? "-" : "", ints[i].mag, dr ? err : "ok");
		ic_arena_free(&a);
		ic_buf_free(&b);
	}
	/* exact LEB of nat 624485 (e5 8e 26) and int -123456 (c0 bb 78), as in the spec's examples */
	int32_t one[2];
	size_t n1 = 2;
	struct ic_ctable t2;
	ic_ctable_parse(&t2, NULL, "(nat, int)", one, &n1, err, sizeof err);
	uint8_t m1[3] = {0x65, 0x87, 0x09}, m2[3] = {0x40, 0xe2, 0x01};
	struct ic_cvalue v[2];
	memset(v, 0, sizeof v);
	v[0].u.big.mag = m1, v[0].u.big.len = 3;
	v[1].u.big.mag = m2, v[1].u.big.len = 3, v[1].u.big.neg = 1;
	struct ic_buf b;
	ic_buf_init(&b);
	TAP_OK(ic_candid_encode(&t2, one, v, 2, &b, err, sizeof err) == 0 && hexeq(b.p, b.len, "4449444c00027d7ce58e26c0bb78"),
	       "candid: nat 624485 and int -123456 encode as the spec's LEB128");
	ic_buf_free(&b);
	ic_ctable_free(&t2);
	ic_ctable_free(&t);
}

static void test_type_parser(void)
{
	struct ic_ctable t;
	int32_t args[2];
	size_t n = 2;
	char err[200];
	TAP_OK(ic_ctable_parse(&t, "type a = b; type b = a;", "(a)", args, &n, err, sizeof err) != 0 && strstr(err, "vacuous"),
	       "candid type: vacuous definitions refused (%s)", err);
	n = 2;
	TAP_OK(ic_ctable_parse(&t, NULL, "(record { a : nat; a : int })", args, &n, err, sizeof err) != 0 && strstr(err, "duplicate"),
	       "candid type: duplicate field refused (%s)", err);
	n = 2;
	TAP_OK(ic_ctable_parse(&t, NULL, "(unknown_t)", args, &n, err, sizeof err) != 0 && strstr(err, "unknown"),
	       "candid type: unknown name refused (%s)", err);
	n = 2;
	TAP_OK(ic_ctable_parse(&t, NULL, "(record { a : nat ", args, &n, err, sizeof err) != 0 && strstr(err, "1:"),
	       "candid type: errors give line:column (%s)", err);
	n = 2;
	TAP_OK(ic_ctable_parse(&t, "type List = opt record { head : int; tail : List };", "(List, service { m : (nat) -> (List) query })",
	                       args, &n, err, sizeof err) == 0 && n == 2, "candid type: recursive and service types parse");
	ic_ctable_free(&t);
}

int main(void)
{
	test_agent_js_vectors();
	test_numbers();
	test_type_parser();
	return tap_done();
}
