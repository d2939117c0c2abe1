/* test_bls_cross.c - ic_bls_verify against @noble/curves. Runs tests/bls/noble_cases.mjs with
 * $NODE (the modules from tests/replica/node_modules, installed there by its npm ci), which writes
 * BLS_CROSS_N random cases (default 300; `make bls-crosscheck` runs 5000), valid and corrupted,
 * one a line: "<sig hex> <pk hex> <msg hex or -> <noble's 0|1> <kind>"; every decision must
 * match. With a file argument, replays that file instead (a kept failing run). Skips without
 * node or the modules. */
#include <stdio.h>
#include <stdlib.h>

#include "ic/bls.h"
#include "tap.h"

#define NKINDS 32

static int unhex(uint8_t *out, size_t max, const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	if (strcmp(hex, "-") == 0) {
		*len = 0;
		return 1;
	}
	if (n % 2 || n / 2 > max)
		return 0;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 1;
}

int main(int argc, char **argv)
{
	static char line[4096], cmd[8192];
	char hs[200], hp[300], hm[1024], kind[32];
	char kinds[NKINDS][32];
	int per_kind[NKINDS] = {0}, bad_kind[NKINDS] = {0}, nk = 0;
	int want, n = 0, bad = 0, accepted = 0, malformed = 0;
	FILE *f;
	const char *src = getenv("ICARC_SRCDIR"), *node = getenv("NODE"), *count = getenv("BLS_CROSS_N");

	if (argc > 1) {
		f = fopen(argv[1], "r");
	} else {
		if (src == NULL || node == NULL || node[0] == 0) {
			printf("1..0 # SKIP NODE or ICARC_SRCDIR not set\n");
			return 0;
		}
		snprintf(cmd, sizeof(cmd), "%s/tests/replica/node_modules/@noble/curves/bls12-381.js", src);
		FILE *probe = fopen(cmd, "r");
		if (probe == NULL) {
			printf("1..0 # SKIP %s missing (npm ci in tests/replica)\n", cmd);
			return 0;
		}
		fclose(probe);
		snprintf(cmd, sizeof(cmd), "'%s' '%s/tests/bls/noble_cases.mjs' '%s/tests/replica/node_modules' %d", node,
		         src, src, count ? atoi(count) : 300);
		f = popen(cmd, "r");
	}
	if (f == NULL) {
		TAP_OK(0, "open the cases");
		return tap_done();
	}
	while (fgets(line, sizeof(line), f)) {
		uint8_t sig[48], pk[96], msg[512];
		size_t ls, lp, lm;
		int k;
		if (sscanf(line, "%199s %299s %1023s %d %31s", hs, hp, hm, &want, kind) != 5 ||
		    !unhex(sig, 48, hs, &ls) || !unhex(pk, 96, hp, &lp) || !unhex(msg, sizeof(msg), hm, &lm) ||
		    ls != 48 || lp != 96) {
			malformed++;
			continue;
		}
		int got = ic_bls_verify(sig, pk, lm ? msg : NULL, lm);
		for (k = 0; k < nk && strcmp(kinds[k], kind) != 0; k++)
			;
		if (k == nk && nk < NKINDS)
			snprintf(kinds[nk++], 32, "%s", kind);
		n++;
		accepted += got;
		if (k < nk)
			per_kind[k]++;
		if (got != want) {
			bad++;
			if (k < nk)
				bad_kind[k]++;
			TAP_DIAG("MISMATCH (%s): icarc %d, noble %d: %s", kind, got, want, line);
		}
	}
	int rc = argc > 1 ? fclose(f) : pclose(f);
	TAP_OK(rc == 0, "cases produced (%s)", argc > 1 ? argv[1] : "node noble_cases.mjs");
	TAP_IS(malformed, 0, "malformed case lines");
	TAP_OK(n >= (argc > 1 ? 1 : (count ? atoi(count) : 300)), "%d cases read", n);
	for (int k = 0; k < nk; k++)
		TAP_OK(bad_kind[k] == 0, "%s: %d cases, %d mismatches", kinds[k], per_kind[k], bad_kind[k]);
	TAP_OK(accepted > 0 && accepted < n, "%d of %d accepted by both", accepted, n);
	TAP_IS(bad, 0, "decisions that differ from noble");
	return tap_done();
}
