/* sha256.c - SHA-256 (FIPS 180-4) with the x86 SHA extensions when the CPU has them, else
 * libsodium. The compression uses the instructions as Intel documents them ("Intel SHA
 * Extensions", 2013): the state is kept as the register pair ABEF / CDGH, sha256rnds2 does two
 * rounds, sha256msg1/msg2 extend the message schedule four words at a time. */
#include "ic/sha256.h"

#include <stdatomic.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define IC_SHA_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

static atomic_int have = -1; /* -1: not asked yet */
static atomic_int off_;

#ifdef IC_SHA_X86
static int cpu_has_sha(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & (1u << 9)) || !(c & (1u << 19))) /* SSSE3, SSE4.1 */
		return 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b >> 29) & 1; /* SHA */
}

/* Four rounds: cdgh and abef swap roles after each sha256rnds2, so they are back after two. */
#define ROUNDS4(w, i)                                                                                                  \
	do {                                                                                                           \
		__m128i wk = _mm_add_epi32((w), _mm_loadu_si128((const __m128i *)&K[i]));                              \
		cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                                                          \
		abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));                                 \
	} while (0)
/* The next four schedule words from the last sixteen (w0 oldest):
 * W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]. */
#define NEXT(w0, w1, w2, w3) \
	_mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)), _mm_alignr_epi8((w3), (w2), 4)), (w3))

__attribute__((target("sha,sse4.1,ssse3"))) static void blocks_x86(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1); /* B A D C */
	__m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B); /* H G F E */
	__m128i abef = _mm_alignr_epi8(dcba, hgfe, 8);                                   /* lanes F E B A */
	__m128i cdgh = _mm_blend_epi16(hgfe, dcba, 0xF0);                                /* lanes H G D C */
	for (; nblocks > 0; nblocks--, p += 64) {
		__m128i sa = abef, sc = cdgh;
		__m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
		__m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
		__m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
		__m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
		ROUNDS4(w0, 0);
		ROUNDS4(w1, 4);
		ROUNDS4(w2, 8);
		ROUNDS4(w3, 12);
		for (int i = 16; i < 64; i += 16) {
			w0 = NEXT(w0, w1, w2, w3);
			ROUNDS4(w0, i);
			w1 = NEXT(w1, w2, w3, w0);
			ROUNDS4(w1, i + 4);
			w2 = NEXT(w2, w3, w0, w1);
			ROUNDS4(w2, i + 8);
			w3 = NEXT(w3, w0, w1, w2);
			ROUNDS4(w3, i + 12);
		}
		abef = _mm_add_epi32(abef, sa);
		cdgh = _mm_add_epi32(cdgh, sc);
	}
	__m128i feba = _mm_shuffle_epi32(abef, 0x1B); /* lanes A B E F */
	__m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1); /* lanes G H C D */
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xF0));
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}
#else
static int cpu_has_sha(void)
{
	return 0;
}
static void blocks_x86(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	(void)h, (void)p, (void)nblocks;
}
#endif

int ic_sha256_accelerated(void)
{
	int v = atomic_load_explicit(&have, memory_order_relaxed);
	if (v < 0) {
		v = cpu_has_sha();
		atomic_store_explicit(&have, v, memory_order_relaxed);
	}
	return v && !atomic_load_explicit(&off_, memory_order_relaxed);
}

void ic_sha256_accel_off(int off)
{
	atomic_store_explicit(&off_, off != 0, memory_order_relaxed);
}

void ic_sha256_init(struct ic_sha256 *s)
{
	s->accel = ic_sha256_accelerated();
	if (!s->accel) {
		crypto_hash_sha256_init(&s->sodium);
		return;
	}
	memcpy(s->h, H0, sizeof H0);
	s->bytes = 0;
	s->n = 0;
}

void ic_sha256_update(struct ic_sha256 *s, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (!s->accel) {
		crypto_hash_sha256_update(&s->sodium, p, n);
		return;
	}
	s->bytes += n;
	if (s->n > 0) {
		size_t k = 64 - s->n < n ? 64 - s->n : n;
		memcpy(s->buf + s->n, p, k);
		s->n += k;
		p += k;
		n -= k;
		if (s->n < 64)
			return;
		blocks_x86(s->h, s->buf, 1);
		s->n = 0;
	}
	if (n >= 64) {
		blocks_x86(s->h, p, n / 64);
		p += n & ~(size_t)63;
		n &= 63;
	}
	if (n > 0)
		memcpy(s->buf, p, n);
	s->n = n;
}

void ic_sha256_final(struct ic_sha256 *s, uint8_t out[32])
{
	if (!s->accel) {
		crypto_hash_sha256_final(&s->sodium, out);
		return;
	}
	uint64_t bits = s->bytes * 8;
	s->buf[s->n++] = 0x80;
	if (s->n > 56) {
		memset(s->buf + s->n, 0, 64 - s->n);
		blocks_x86(s->h, s->buf, 1);
		s->n = 0;
	}
	memset(s->buf + s->n, 0, 56 - s->n);
	for (int i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	blocks_x86(s->h, s->buf, 1);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
	sodium_memzero(s, sizeof *s);
}

void ic_sha256(uint8_t out[32], const uint8_t *p, size_t n)
{
	struct ic_sha256 s;
	ic_sha256_init(&s);
	ic_sha256_update(&s, p, n);
	ic_sha256_final(&s, out);
}
