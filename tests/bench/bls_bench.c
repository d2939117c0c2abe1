/* bls_bench.c - time of one ic_bls_verify (a mainnet certificate signature: ivg37_delegated_v2.bin's
 * delegation, signed with the IC root key; see tests/bls/ic_cert_sigs.txt) and of its parts.
 * Run: make bench-bls (or tests/bench/bls_bench [iterations]). Times are process CPU time. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ic/bls.h"
#include "ic/bls12381_hash.h"
#include "ic/bls12381_pairing.h"

static const uint8_t pk[96] =
	"\x81\x4c\x0e\x6e\xc7\x1f\xab\x58\x3b\x08\xbd\x81\x37\x3c\x25\x5c"
	"\x3c\x37\x1b\x2e\x84\x86\x3c\x98\xa4\xf1\xe0\x8b\x74\x23\x5d\x14"
	"\xfb\x5d\x9c\x0c\xd5\x46\xd9\x68\x5f\x91\x3a\x0c\x0b\x2c\xc5\x34"
	"\x15\x83\xbf\x4b\x43\x92\xe4\x67\xdb\x96\xd6\x5b\x9b\xb4\xcb\x71"
	"\x71\x12\xf8\x47\x2e\x0d\x5a\x4d\x14\x50\x5f\xfd\x74\x84\xb0\x12"
	"\x91\x09\x1c\x5f\x87\xb9\x88\x83\x46\x3f\x98\x09\x1a\x0b\xaa\xae";
static const uint8_t sig[48] =
	"\xac\xe9\xfc\xdd\x9b\xc9\x77\xe0\x5d\x63\x28\xf8\x89\xdc\x4e\x7c"
	"\x99\x11\x4c\x73\x7a\x49\x46\x53\xcb\x27\xa1\xf5\x5c\x06\xf4\x55"
	"\x5e\x0f\x16\x09\x80\xaf\x5e\xad\x09\x8a\xcc\x19\x50\x10\xb2\xf7";
static const uint8_t msg[46] =
	"\x0d\x69\x63\x2d\x73\x74\x61\x74\x65\x2d\x72\x6f\x6f\x74\xe6\xc0"
	"\x1e\x90\x9b\x49\x23\x34\x5c\xe5\x97\x09\x62\xbc\xfe\x30\x04\xbf"
	"\xd8\x47\x4a\x21\xda\xe2\x8f\x50\x69\x25\x02\xf4\x6d\x90";

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	static const char dst[] = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";
	g1p p[2];
	g2p q[2];
	fp12 f;
	double t0;
	int ok = 1;
	if (n < 1)
		n = 1;

	t0 = now_ms();
	for (int i = 0; i < n; i++)
		ok &= bls_g1_decompress(&p[0], sig);
	printf("G1 decompress + subgroup check: %8.3f ms\n", (now_ms() - t0) / n);
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		ok &= bls_g2_decompress(&q[1], pk);
	printf("G2 decompress + subgroup check: %8.3f ms\n", (now_ms() - t0) / n);
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		bls_hash_to_g1(&p[1], msg, sizeof(msg), (const uint8_t *)dst, sizeof(dst) - 1);
	printf("hash_to_curve G1:               %8.3f ms\n", (now_ms() - t0) / n);
	bls_g2_generator(&q[0]);
	bls_g2_neg(&q[0], &q[0]);
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		bls_miller_loop(&f, p, q, 2);
	printf("Miller loop (2 pairs):          %8.3f ms\n", (now_ms() - t0) / n);
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		bls_final_exp(&f, &f);
	printf("final exponentiation:           %8.3f ms\n", (now_ms() - t0) / n);
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		ok &= ic_bls_verify(sig, pk, msg, sizeof(msg));
	printf("ic_bls_verify:                  %8.3f ms (%d runs)\n", (now_ms() - t0) / n, n);
	if (!ok)
		fprintf(stderr, "verification FAILED\n");
	return ok ? 0 : 1;
}
