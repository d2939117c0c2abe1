/* vecutil.h - what mkvectors, run_vectors and test_corrupt share: a seeded PRNG, plaintext
 * generators, files, SHA-256 in hex, a walker over an archive's records, status names.
 * Header-only (static functions), so each test program stays one C file plus this. */
#ifndef ICARC_VECUTIL_H
#define ICARC_VECUTIL_H
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icarc.h"
#include "wire.h"

#if defined(__GNUC__)
#define VU_UNUSED __attribute__((unused))
#else
#define VU_UNUSED
#endif

/* splitmix64: plaintext and test randomness that owes nothing to libsodium */
VU_UNUSED static uint64_t vu_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [lo, hi] (hi - lo small: the bias does not matter here) */
VU_UNUSED static uint64_t vu_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return lo + vu_next(s) % (hi - lo + 1);
}

VU_UNUSED static uint64_t vu_hash_str(const char *str)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *str; str++)
		h = (h ^ (unsigned char)*str) * 1099511628211ULL;
	return h;
}

/* Compressible bytes that look like a canister's records: 64-byte lines drawn from a table of 16,
 * so zstd shrinks a 64 KiB chunk to a few KiB while every chunk differs. */
VU_UNUSED static void vu_gen_text(uint8_t *p, size_t n, uint64_t seed)
{
	static const char *const words[] = {"account", "balance", "owner", "memo", "ledger", "block", "subaccount",
	                                    "principal", "fee", "created_at", "token", "allowance"};
	char table[16][64], line[160];
	for (int k = 0; k < 16; k++) {
		uint64_t r = vu_next(&seed);
		memset(line, ' ', sizeof line);
		int len = snprintf(line, sizeof line, "%s=%u %s=%u %s=%u;", words[r % 12], (unsigned)(r >> 8) % 100000u,
		                   words[(r >> 32) % 12], (unsigned)(r >> 40) % 1000u, words[(r >> 50) % 12],
		                   (unsigned)(r >> 20) % 77u);
		line[len] = ' '; /* pad with spaces to 63 bytes and a newline */
		memcpy(table[k], line, 63);
		table[k][63] = '\n';
	}
	size_t i = 0;
	while (i < n) {
		int k = (int)(vu_next(&seed) & 15);
		for (int j = 0; j < 64 && i < n; j++)
			p[i++] = (uint8_t)table[k][j];
	}
}

/* Bytes zstd cannot shrink: stored raw. */
VU_UNUSED static void vu_gen_random(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = vu_next(&seed);
		for (size_t j = 0; j < 8 && i + j < n; j++)
			p[i + j] = (uint8_t)(r >> (8 * j));
	}
}

VU_UNUSED static void vu_sha256_hex(char out[65], const void *p, size_t n)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, p, n);
	sodium_bin2hex(out, 65, h, sizeof h);
}

/* Whole file into a malloc'd buffer; NULL (errno set) on failure. */
VU_UNUSED static uint8_t *vu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf != NULL) {
		if (n == cap) {
			uint8_t *b = realloc(buf, cap * 2);
			if (b == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (buf != NULL && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

VU_UNUSED static int vu_write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	int ok = fwrite(p, 1, n, f) == n;
	ok &= fclose(f) == 0;
	return ok ? 0 : -1;
}

/* One record of an archive: where it is, what it is. `size` includes the 16-byte header. */
struct vu_rec {
	size_t off, size;
	unsigned type;
	uint32_t entry;  /* CHUNK: Entry_Id */
	uint64_t index;  /* CHUNK: Chunk_Index */
	uint64_t offset; /* CHUNK: Logical_Offset */
	uint32_t plain;  /* CHUNK: Plain_Length */
	int last;        /* CHUNK: the entry's last chunk */
};

/* Walk the records of a well-formed archive (magic, records up to INDEX, footer). Returns the
 * number of records (at most max), or -1 when the bytes do not parse. */
VU_UNUSED static int vu_walk(const uint8_t *a, size_t n, struct vu_rec *out, int max)
{
	size_t pos = WIRE_MAGIC_LEN;
	int count = 0;
	if (n < WIRE_MAGIC_LEN + WIRE_FOOTER_LEN || memcmp(a, WIRE_MAGIC, WIRE_MAGIC_LEN) != 0)
		return -1;
	while (pos + WIRE_RECORD_HDR <= n - WIRE_FOOTER_LEN && count < max) {
		struct vu_rec *r = &out[count++];
		memset(r, 0, sizeof *r);
		r->off = pos;
		r->type = a[pos];
		r->size = WIRE_RECORD_HDR + (size_t)wire_get32(a + pos + 4);
		if (r->size > n - pos)
			return -1;
		if (r->type == WIRE_CHUNK && r->size >= WIRE_RECORD_HDR + WIRE_CHUNK_PREFIX) {
			const uint8_t *b = a + pos + WIRE_RECORD_HDR;
			r->entry = wire_get32(b);
			r->index = wire_get64(b + 8);
			r->offset = wire_get64(b + 16);
			r->plain = wire_get32(b + 24);
			r->last = (b[4] & WIRE_CF_LAST) != 0;
		}
		pos += r->size;
		if (r->type == WIRE_INDEX)
			return pos + WIRE_FOOTER_LEN == n ? count : -1;
	}
	return -1;
}

/* The index (into recs) of chunk `index` of entry `entry`, or -1. */
VU_UNUSED static int vu_find_chunk(const struct vu_rec *recs, int n, uint32_t entry, uint64_t index)
{
	for (int i = 0; i < n; i++)
		if (recs[i].type == WIRE_CHUNK && recs[i].entry == entry && recs[i].index == index)
			return i;
	return -1;
}

VU_UNUSED static int vu_find_type(const struct vu_rec *recs, int n, unsigned type)
{
	for (int i = 0; i < n; i++)
		if (recs[i].type == type)
			return i;
	return -1;
}

static const struct {
	int status;
	const char *name;
} vu_statuses[] = {
	{ICARC_OK, "ICARC_OK"},
	{ICARC_E_USAGE, "ICARC_E_USAGE"},
	{ICARC_E_NOMEM, "ICARC_E_NOMEM"},
	{ICARC_E_IO, "ICARC_E_IO"},
	{ICARC_E_FORMAT, "ICARC_E_FORMAT"},
	{ICARC_E_VERSION, "ICARC_E_VERSION"},
	{ICARC_E_TRUNCATED, "ICARC_E_TRUNCATED"},
	{ICARC_E_LIMIT, "ICARC_E_LIMIT"},
	{ICARC_E_CHECKSUM, "ICARC_E_CHECKSUM"},
	{ICARC_E_AUTH, "ICARC_E_AUTH"},
	{ICARC_E_NOKEY, "ICARC_E_NOKEY"},
	{ICARC_E_CODEC, "ICARC_E_CODEC"},
	{ICARC_E_NOTFOUND, "ICARC_E_NOTFOUND"},
};

VU_UNUSED static const char *vu_status_name(int st)
{
	for (size_t i = 0; i < sizeof vu_statuses / sizeof vu_statuses[0]; i++)
		if (vu_statuses[i].status == st)
			return vu_statuses[i].name;
	return "?";
}

/* 1 and *st set when `name` is a status name. */
VU_UNUSED static int vu_status_parse(const char *name, int *st)
{
	for (size_t i = 0; i < sizeof vu_statuses / sizeof vu_statuses[0]; i++)
		if (strcmp(vu_statuses[i].name, name) == 0) {
			*st = vu_statuses[i].status;
			return 1;
		}
	return 0;
}
#endif
