/* sha256.h - SHA-256 for the agent's bulk hashing (every certified reply's bytes go through the hash
 * tree's leaf hash: 1 GiB per GiB pulled). With the x86 SHA extensions (checked at run time) the
 * blocks are compressed by the CPU's SHA-256 instructions, several times faster than libsodium's
 * portable code; otherwise libsodium's crypto_hash_sha256 does the work. Same results either way
 * (FIPS 180-4). */
#ifndef ICARC_IC_SHA256_H
#define ICARC_IC_SHA256_H
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

struct ic_sha256 {
	int accel; /* 1: the fields below; 0: sodium */
	uint32_t h[8];
	uint64_t bytes;
	uint8_t buf[64];
	size_t n;
	crypto_hash_sha256_state sodium;
};

void ic_sha256_init(struct ic_sha256 *s);
void ic_sha256_update(struct ic_sha256 *s, const uint8_t *p, size_t n);
void ic_sha256_final(struct ic_sha256 *s, uint8_t out[32]);
void ic_sha256(uint8_t out[32], const uint8_t *p, size_t n);

/* Tests: 1 when the SHA instructions are used. ic_sha256_accel_off(1) makes later inits take
 * libsodium's path (process-wide; for comparing the two). */
int ic_sha256_accelerated(void);
void ic_sha256_accel_off(int off);
#endif
