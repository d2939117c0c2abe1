/* header_fuzzer.c - the record codec of format/wire.c alone (no zstd, no libsodium): the fastest
 * harness. Input: one record as it sits in an archive (16-byte record header, then the body),
 * optionally followed by more bytes; the last 64 bytes are also decoded as a footer.
 * Properties:
 *  - every decoder stays within the bytes it is given (ASan);
 *  - whatever a decoder accepts re-encodes to exactly the same bytes (one encoding per value:
 *    reserved fields are checked, not ignored);
 *  - wire_header_decode and wire_footer_decode give a reason with every error, and only the
 *    statuses their contracts allow. */
#include <string.h>

#include "fuzz/fuzz.h"
#include "icarc.h"
#include "wire.h"

/* `n` bytes at `p`, zero-padded to `len` in `buf` */
static const uint8_t *pad(uint8_t *buf, size_t len, const uint8_t *p, size_t n)
{
	memset(buf, 0, len);
	memcpy(buf, p, n < len ? n : len);
	return buf;
}

static void fixed_decoders(const uint8_t *p, size_t n)
{
	uint8_t in[WIRE_FOOTER_LEN], out[WIRE_FOOTER_LEN];

	struct wire_chunk c;
	if (wire_chunk_decode(pad(in, WIRE_CHUNK_PREFIX, p, n), &c) == 0) {
		wire_chunk_encode(out, &c);
		FUZZ_ASSERT_MSG(memcmp(in, out, WIRE_CHUNK_PREFIX) == 0, "chunk prefix does not re-encode");
	}
	struct wire_row row;
	if (wire_row_decode(pad(in, WIRE_ROW_LEN, p, n), &row) == 0) {
		wire_row_encode(out, &row);
		FUZZ_ASSERT_MSG(memcmp(in, out, WIRE_ROW_LEN) == 0, "index row does not re-encode");
	}
	struct wire_entry_row er;
	if (wire_entry_row_decode(pad(in, WIRE_ENTRY_ROW_LEN, p, n), &er) == 0) {
		wire_entry_row_encode(out, &er);
		FUZZ_ASSERT_MSG(memcmp(in, out, WIRE_ENTRY_ROW_LEN) == 0, "entry row does not re-encode");
	}
	struct wire_segref s;
	if (wire_segref_decode(pad(in, WIRE_SEGREF_LEN, p, n), &s) == 0) {
		wire_segref_encode(out, &s);
		FUZZ_ASSERT_MSG(memcmp(in, out, WIRE_SEGREF_LEN) == 0, "segment reference does not re-encode");
	}
}

static void header_body(const uint8_t *p, size_t n)
{
	struct wire_header h;
	const char *why = NULL;
	int st = wire_header_decode(p, n, &h, &why);
	if (st == 0) {
		uint8_t out[WIRE_HEADER_FIXED];
		FUZZ_ASSERT(n >= WIRE_HEADER_FIXED);
		wire_header_encode(out, &h);
		FUZZ_ASSERT_MSG(memcmp(p, out, WIRE_HEADER_FIXED) == 0, "header does not re-encode");
		FUZZ_ASSERT(h.chunk_size % ICARC_CHUNK_ALIGN == 0 && h.chunk_size <= ICARC_CHUNK_MAX);
		FUZZ_ASSERT(h.n_stanzas <= WIRE_MAX_STANZAS);
	} else {
		FUZZ_ASSERT_MSG(st == ICARC_E_FORMAT || st == ICARC_E_VERSION, "unexpected header status");
		FUZZ_ASSERT_MSG(why != NULL && why[0] != '\0', "header error without a reason");
	}
}

/* INDEX body: prefix, entry rows with names, segment references, metadata references. */
static void index_body(const uint8_t *p, size_t n)
{
	if (n < WIRE_INDEX_PREFIX)
		return;
	uint32_t entries = wire_get32(p), segs = wire_get32(p + 4);
	size_t pos = WIRE_INDEX_PREFIX;
	for (uint32_t i = 0; i < entries && n - pos >= WIRE_ENTRY_ROW_LEN; i++) {
		struct wire_entry_row er;
		if (wire_entry_row_decode(p + pos, &er) != 0 || n - pos - WIRE_ENTRY_ROW_LEN < er.name_len)
			return;
		pos += WIRE_ENTRY_ROW_LEN + er.name_len;
	}
	for (uint32_t i = 0; i < segs && n - pos >= WIRE_SEGREF_LEN; i++, pos += WIRE_SEGREF_LEN) {
		struct wire_segref s;
		if (wire_segref_decode(p + pos, &s) != 0)
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[WIRE_FOOTER_LEN], out[WIRE_FOOTER_LEN];

	/* the record header, and the body it announces (as far as the input goes) */
	struct wire_record r;
	const uint8_t *hdr = pad(buf, WIRE_RECORD_HDR, data, size);
	if (wire_record_decode(hdr, &r) == 0) {
		wire_record_encode(out, &r);
		FUZZ_ASSERT_MSG(memcmp(hdr, out, WIRE_RECORD_HDR) == 0, "record header does not re-encode");
		FUZZ_ASSERT((r.flags & WIRE_RF_RESERVED) == 0);
	}
	const uint8_t *body = size > WIRE_RECORD_HDR ? data + WIRE_RECORD_HDR : NULL;
	size_t avail = size > WIRE_RECORD_HDR ? size - WIRE_RECORD_HDR : 0;
	size_t n = r.length < avail ? r.length : avail;
	if (body != NULL) {
		switch (r.type) {
		case WIRE_HEADER: header_body(body, n); break;
		case WIRE_INDEX: index_body(body, n); break;
		case WIRE_SEGMENT:
			for (size_t pos = WIRE_SEGMENT_PREFIX; n >= pos && n - pos >= WIRE_ROW_LEN; pos += WIRE_ROW_LEN) {
				struct wire_row row;
				(void)wire_row_decode(body + pos, &row);
			}
			break;
		default: break;
		}
		header_body(body, avail); /* whatever the type: the variable-length decoder on all of it */
		fixed_decoders(body, avail);
	}
	fixed_decoders(data, size);
	(void)wire_seed(pad(buf, WIRE_ID_LEN, data, size));

	/* the footer: the last 64 bytes */
	struct wire_footer f;
	const char *why = NULL;
	const uint8_t *foot = size >= WIRE_FOOTER_LEN ? data + size - WIRE_FOOTER_LEN : pad(buf, WIRE_FOOTER_LEN, data, size);
	int st = wire_footer_decode(foot, &f, &why);
	if (st == 0) {
		wire_footer_encode(out, &f);
		FUZZ_ASSERT_MSG(memcmp(foot, out, WIRE_FOOTER_LEN) == 0, "footer does not re-encode");
	} else {
		FUZZ_ASSERT_MSG(st == ICARC_E_TRUNCATED || st == ICARC_E_CHECKSUM, "unexpected footer status");
		FUZZ_ASSERT_MSG(why != NULL && why[0] != '\0', "footer error without a reason");
	}
	return 0;
}
