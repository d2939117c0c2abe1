/* bdiff.h - the exact changed byte ranges between two versions of one entry.
 *
 * When both sides know the hash of each fixed-size chunk (archive indexes: XXH3-128 of the
 * plaintext) and use the same chunk size, chunks with equal hashes and lengths are skipped without
 * reading them (so an encrypted archive never decrypts them); only the chunks whose hashes differ
 * are read and compared byte by byte. Otherwise every byte is compared, in bounded blocks.
 * Ranges are reported in increasing order, end exclusive, adjacent ones merged (also across chunk
 * boundaries); bytes past the shorter side's end form one changed range. */
#ifndef ICARC_TOOLS_BDIFF_H
#define ICARC_TOOLS_BDIFF_H
#include <stdint.h>

#include "tools/stsrc.h"

#define BD_PAGE 65536U

/* Chunk i of a side: its plaintext offset, length and 16-byte hash. 0 ok, -1 error (message in
 * the side's source err). */
typedef int bd_chunk_fn(void *ctx, uint64_t i, uint64_t *off, uint32_t *len, unsigned char hash[16]);

struct bd_side {
	struct st_src *src;
	bd_chunk_fn *chunk;   /* NULL: no hashes */
	void *ctx;
	uint64_t nchunks;
	uint32_t chunk_size;
};

typedef int bd_range_fn(void *ctx, uint64_t start, uint64_t end); /* nonzero stops with an error */

struct bd_stats {
	uint64_t ranges, changed_bytes, changed_pages, pages;
	uint64_t chunks, chunks_read;  /* chunks looked at; chunks whose bytes were read */
	int used_hashes;
};

/* 0: done (stats say whether anything changed); -1: error (err). */
int bd_diff(struct bd_side *a, struct bd_side *b, bd_range_fn *emit, void *ctx, struct bd_stats *st, char *err,
            size_t errlen);
#endif
