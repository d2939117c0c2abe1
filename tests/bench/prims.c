/* prims.c - the machine's primitive speeds on one core, on the bench's own image, so the distance
 * between icarc and the limit is visible: XXH3-128, zstd-3 (1 MiB chunks, as icarc and as zstd
 * would do them), XChaCha20-Poly1305 over the compressed bytes, and the way back.
 *
 * usage: prims IMAGE [REPEATS]
 * Prints "name MB/s" lines (MB = 10^6 bytes of the image, per CPU-second of this thread, best of
 * REPEATS: the machine is shared, and the best run is the closest to what the core can do). */
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#include <zstd.h>

#include "allzero.h" /* the writer's own zero check (format/allzero.c) */
uint8_t *Icarc_slot_alloc(size_t plain_len, size_t rec_len); /* format/hugebuf.c */

#define CHUNK (1U << 20)

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}


static uint8_t *img, *zbuf, *plain;
static size_t img_len, nchunks;
static size_t *zlen;  /* compressed size of each chunk (0: all zero) */
static uint8_t *zero; /* chunk is all zero */
static ZSTD_CCtx *cctx;
static ZSTD_DCtx *dctx;
static size_t zcap;
static volatile uint64_t sink;
static uint8_t key[32], nonce[24];

static size_t clen(size_t i)
{
	return i + 1 < nchunks ? CHUNK : img_len - i * CHUNK;
}

enum what { HASH, ZSTD_ALL, ZSTD_NONZERO, AEAD, UNAEAD, UNZSTD, ZEROCHECK };

static void run(enum what w)
{
	for (size_t i = 0; i < nchunks; i++) {
		const uint8_t *p = img + i * CHUNK;
		size_t n = clen(i);
		uint8_t *z = zbuf + i * zcap;
		switch (w) {
		case HASH: sink += XXH3_128bits(p, n).low64; break;
		case ZEROCHECK: sink += (uint64_t)Icarc_all_zero(p, n); break;
		case ZSTD_ALL:
		case ZSTD_NONZERO:
			if (w == ZSTD_NONZERO && zero[i])
				break;
			zlen[i] = ZSTD_compress2(cctx, z, zcap - 16, p, n);
			if (ZSTD_isError(zlen[i]) || zlen[i] >= n)
				zlen[i] = n; /* stored raw */
			break;
		case AEAD:
			if (zero[i])
				break;
			crypto_aead_xchacha20poly1305_ietf_encrypt_detached(z, z + zlen[i], NULL, z, zlen[i], NULL, 0, NULL,
			                                                    nonce, key);
			break;
		case UNAEAD:
			if (zero[i])
				break;
			if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(z, NULL, z, zlen[i], z + zlen[i], NULL, 0,
			                                                        nonce, key) != 0) {
				fprintf(stderr, "prims: AEAD round trip failed\n");
				exit(1);
			}
			break;
		case UNZSTD:
			if (zero[i] || zlen[i] == n)
				break;
			sink += ZSTD_decompressDCtx(dctx, plain, CHUNK, z, zlen[i]);
			break;
		}
	}
}

static double best(enum what w, int reps)
{
	double b = 1e9;
	for (int r = 0; r < reps; r++) {
		double t = cpu_now();
		run(w);
		t = cpu_now() - t;
		if (t < b)
			b = t;
	}
	return b;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: prims IMAGE [REPEATS]\n");
		return 2;
	}
	int reps = argc > 2 ? atoi(argv[2]) : 3;
	if (reps < 1)
		reps = 1;
	if (sodium_init() < 0)
		return 1;
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(argv[1]);
		return 1;
	}
	img_len = (size_t)st.st_size;
	nchunks = (img_len + CHUNK - 1) / CHUNK;
	zcap = ZSTD_compressBound(CHUNK) + 64;
	/* the buffers icarc itself uses (huge pages where the kernel has them), so that the limit
	 * is the primitives at their best, not slowed down by TLB misses icarc does not have */
	img = Icarc_slot_alloc(img_len, 0);
	zbuf = Icarc_slot_alloc(nchunks * zcap, 0);
	plain = Icarc_slot_alloc(CHUNK, 0);
	zlen = calloc(nchunks, sizeof *zlen);
	zero = calloc(nchunks, 1);
	if (!img || !zbuf || !plain || !zlen || !zero)
		return 1;
	for (size_t off = 0; off < img_len;) {
		ssize_t n = read(fd, img + off, img_len - off);
		if (n <= 0) {
			perror("read");
			return 1;
		}
		off += (size_t)n;
	}
	close(fd);
	cctx = ZSTD_createCCtx();
	dctx = ZSTD_createDCtx();
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	randombytes_buf(key, sizeof key);
	randombytes_buf(nonce, sizeof nonce);
	size_t nz = 0;
	for (size_t i = 0; i < nchunks; i++)
		nz += zero[i] = (uint8_t)Icarc_all_zero(img + i * CHUNK, clen(i));

	double mb = (double)img_len / 1e6;
	double t_hash = best(HASH, reps), t_zc = best(ZEROCHECK, reps);
	double t_zall = best(ZSTD_ALL, reps);
	size_t out = 0;
	for (size_t i = 0; i < nchunks; i++)
		out += zlen[i];
	double t_znz = best(ZSTD_NONZERO, reps);
	size_t stored = 0;
	for (size_t i = 0; i < nchunks; i++)
		stored += zero[i] ? 0 : zlen[i];
	double t_aead = best(AEAD, 1);
	double t_unaead = best(UNAEAD, 1); /* undoes the one AEAD pass: once only */
	double t_unzstd = best(UNZSTD, reps);

	printf("image_bytes %zu\nchunks %zu\nzero_chunks %zu\nstored_bytes %zu\n", img_len, nchunks, nz, stored);
	printf("xxh3_128 %.0f\n", mb / t_hash);
	printf("zero_check %.0f\n", mb / t_zc);
	printf("zstd3_all_chunks %.0f\n", mb / t_zall);
	printf("zstd3_nonzero_chunks %.0f\n", mb / t_znz);
	printf("xchacha20poly1305_seal %.0f\n", mb / t_aead);
	printf("xchacha20poly1305_seal_per_stored_byte %.0f\n", (double)stored / 1e6 / t_aead);
	printf("xchacha20poly1305_open %.0f\n", mb / t_unaead);
	printf("zstd_decompress %.0f\n", mb / t_unzstd);
	/* one core doing all of a chunk's work: the pack limit is twice this on two cores */
	printf("pack_one_core %.0f\n", mb / (t_hash + t_zall + t_aead));
	printf("pack_one_core_zero_runs %.0f\n", mb / (t_hash + t_zc + t_znz + t_aead));
	printf("unpack_one_core %.0f\n", mb / (t_unaead + t_unzstd + t_hash));
	(void)out;
	return 0;
}
