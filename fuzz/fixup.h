/* fixup.h - make a mutated archive's checksums right again, so that a fuzzer's mutations get
 * past the record checksums into the parsers (archive_fuzzer, reader_fuzzer). */
#ifndef ICARC_FUZZ_FIXUP_H
#define ICARC_FUZZ_FIXUP_H
#include <stdint.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "wire.h"

/* Recompute every record checksum, then the footer (place of the index, record count, digest,
 * id, checksum; not its magic), so that mutations get past the checksums into the parsers. AEAD
 * tags stay as they are: encrypted bodies still have to authenticate. */
static inline void fuzz_fix_checksums(uint8_t *a, size_t n)
{
	if (n < WIRE_MAGIC_LEN + WIRE_RECORD_HDR + WIRE_FOOTER_LEN || memcmp(a, WIRE_MAGIC, WIRE_MAGIC_LEN) != 0)
		return;
	size_t pos = WIRE_MAGIC_LEN, index_at = 0, index_size = 0;
	uint64_t seed = 0, count = 0;
	uint8_t id[WIRE_ID_LEN] = {0};
	XXH3_state_t digest, st;
	XXH3_INITSTATE(&st); /* before a seeded reset, or 0.8.1 may reuse a stale secret */
	XXH3_64bits_reset(&digest);
	while (pos + WIRE_RECORD_HDR <= n) {
		size_t len = wire_get32(a + pos + 4);
		if (len > n - pos - WIRE_RECORD_HDR)
			return;
		int header = pos == WIRE_MAGIC_LEN;
		if (header && len >= 4 + WIRE_ID_LEN) {
			memcpy(id, a + pos + WIRE_RECORD_HDR + 4, WIRE_ID_LEN);
			seed = wire_get64(id);
		}
		XXH3_64bits_reset_withSeed(&st, header ? 0 : seed);
		XXH3_64bits_update(&st, a + pos, 8);
		XXH3_64bits_update(&st, a + pos + WIRE_RECORD_HDR, len);
		wire_put64(a + pos + 8, XXH3_64bits_digest(&st));
		XXH3_64bits_update(&digest, a + pos + 8, 8);
		count++;
		if (a[pos] == WIRE_INDEX) {
			index_at = pos;
			index_size = WIRE_RECORD_HDR + len;
			pos += index_size;
			break;
		}
		pos += WIRE_RECORD_HDR + len;
	}
	if (index_size == 0 || n - pos < WIRE_FOOTER_LEN)
		return;
	uint8_t *f = a + pos;
	wire_put64(f, index_at);
	wire_put64(f + 8, index_size);
	wire_put64(f + 16, count);
	wire_put64(f + 24, XXH3_64bits_digest(&digest));
	memcpy(f + 32, id, WIRE_ID_LEN);
	wire_put64(f + 48, XXH3_64bits(f, 48));
}
#endif
