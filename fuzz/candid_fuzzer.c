/* candid_fuzzer.c - Candid decoding at several expected types (the management canister's replies,
 * a recursive type, reserved); whatever decodes must encode again and decode to an equal value. */
#include <string.h>

#include "fuzz/fuzz.h"
#include "ic/candid.h"
#include "ic/mgmt.h"

static const char *const types[] = {"read_canister_snapshot_metadata_response", "snapshot_list",
                                    "read_canister_snapshot_data_response", "read_canister_snapshot_data_args"};

static void roundtrip(const struct ic_ctable *t, const int32_t *args, size_t n, const uint8_t *data, size_t size)
{
	struct ic_arena a;
	struct ic_cvalue *v, *w;
	char err[300];
	ic_arena_init(&a, 64U << 20);
	if (ic_candid_decode(data, size, t, args, n, NULL, &a, &v, err, sizeof err) != 0) {
		FUZZ_ASSERT(strstr(err, "candid") != NULL);
		ic_arena_free(&a);
		return;
	}
	struct ic_buf b;
	ic_buf_init(&b);
	FUZZ_ASSERT_MSG(ic_candid_encode(t, args, v, n, &b, err, sizeof err) == 0, err);
	FUZZ_ASSERT_MSG(ic_candid_decode(b.p, b.len, t, args, n, NULL, &a, &w, err, sizeof err) == 0, err);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT_MSG(ic_cvalue_equal(t, &v[i], &w[i]), "re-encoded value differs");
	ic_buf_free(&b);
	ic_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ic_ctable misc;
	static int32_t margs[4];
	static size_t nm;
	if (nm == 0) {
		char err[200];
		nm = 4;
		if (ic_ctable_parse(&misc, "type List = opt record { head : int; tail : List };",
		                    "(List, vec opt variant { a : float64; b : text; c : principal }, reserved, nat)", margs, &nm,
		                    err, sizeof err) != 0)
			return 0;
	}
	const struct ic_ctable *t = ic_mgmt_types();
	FUZZ_ASSERT(t != NULL);
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		int32_t ty = ic_mgmt_type(types[i]);
		FUZZ_ASSERT(ty >= 0);
		roundtrip(t, &ty, 1, data, size);
	}
	roundtrip(&misc, margs, nm, data, size);
	return 0;
}
