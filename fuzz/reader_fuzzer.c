/* reader_fuzzer.c - a whole archive through the streaming reader (icarc_reader_pull), fed in
 * input pieces and drained through output windows of random sizes, then icarc_reader_finish.
 * The reader holds the identity and the passphrase of spec/vectors/keys, so the encrypted paths
 * run on the vectors and on what the fuzzer derives from them.
 * Input: the archive, then 4 bytes of knobs (read from the end): bit 0 ICARC_OPT_KEEP_GOING,
 * bit 1 ICARC_OPT_NO_KEY, bit 2 recompute the record checksums and the footer first (so that
 * mutations reach the parsers behind them), the rest seeds the window sizes.
 * Properties: no crash, leak or sanitizer report; the event sequence is well formed (ENTRY and
 * ENTRY_END alternate, plaintext comes only inside an entry, icarc_reader_entry_size counts it,
 * ARCHIVE_END only once all input is consumed); errors are sticky and carry a message;
 * icarc_peek_encrypted / icarc_peek_passphrase stay in range on any bytes. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "icarc.h"
#include "fuzz/fixup.h"
#include "wire.h"

#define IDENTITY "ICARC-SECRET-KEY-1Y26ZD63DTJEZQ3E47MWVH3USO6JFVG3LYZ7XVCLSSSLOGWYAULDSBG2XQE" /* alice */
#define PASSPHRASE "correct horse battery staple"
#define OUT_MAX (1U << 20)
#define RELEASE_MAX (64ULL << 20) /* plaintext per input: zero runs can claim a lot */

static uint32_t next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *out_buf;
	static unsigned char sk[ICARC_SECRETKEYBYTES];
	if (out_buf == NULL) {
		FUZZ_ASSERT(icarc_init() >= 0);
		FUZZ_ASSERT(icarc_identity_decode(sk, IDENTITY) == ICARC_OK);
		out_buf = malloc(OUT_MAX);
		FUZZ_ASSERT(out_buf != NULL);
	}
	struct fuzz_producer fp = {data, size};
	uint32_t knobs = fuzz_u32(&fp, 0, 0x7fffffff), seed = knobs | 1;
	size_t n = fp.size;
	uint8_t *fixed = NULL;
	if (knobs & 4) { /* mutations past the checksums */
		fixed = malloc(n ? n : 1);
		FUZZ_ASSERT(fixed != NULL);
		memcpy(fixed, data, n);
		fuzz_fix_checksums(fixed, n);
		data = fixed;
	}

	/* the peeks read an unauthenticated header: any answer is fine, but only within their range,
	 * and a passphrase stanza is claimed only for an encrypted archive */
	int enc = icarc_peek_encrypted(data, n), pass = icarc_peek_passphrase(data, n);
	FUZZ_ASSERT(enc >= -1 && enc <= 1 && pass >= -1 && pass <= 1);
	FUZZ_ASSERT(pass != 1 || enc == 1);

	struct icarc_reader *r = icarc_reader_new();
	FUZZ_ASSERT(r != NULL);
	FUZZ_ASSERT(icarc_reader_set_option(r, ICARC_OPT_WORKERS, 0) == ICARC_OK);
	FUZZ_ASSERT(icarc_reader_set_option(r, ICARC_OPT_KEEP_GOING, knobs & 1) == ICARC_OK);
	FUZZ_ASSERT(icarc_reader_set_option(r, ICARC_OPT_NO_KEY, (knobs >> 1) & 1) == ICARC_OK);
	FUZZ_ASSERT(icarc_reader_set_option(r, ICARC_OPT_MAX_KDF_MEM, 64 * 1024) == ICARC_OK);
	FUZZ_ASSERT(icarc_reader_set_option(r, ICARC_OPT_MAX_ENTRIES, 10000) == ICARC_OK);
	FUZZ_ASSERT(icarc_reader_add_identity(r, sk) == ICARC_OK);
	FUZZ_ASSERT(icarc_reader_add_passphrase(r, PASSPHRASE, strlen(PASSPHRASE)) == ICARC_OK);

	size_t fed = 0;
	struct icarc_in in = {data, 0, 0};
	int in_entry = 0, need_input = 0, ended = 0;
	uint64_t entry_bytes = 0, released = 0;
	for (;;) {
		if (in.pos == in.size && fed + in.size < n) { /* the next piece: mostly small */
			fed += in.size;
			size_t piece = next(&seed) % 8 == 0 ? 1 + next(&seed) % 65536 : 1 + next(&seed) % 512;
			if (piece > n - fed)
				piece = n - fed;
			in = (struct icarc_in){data + fed, piece, 0};
		}
		size_t room = next(&seed) % 8 == 0 ? 1 + next(&seed) % 64 : 65536 + next(&seed) % (OUT_MAX - 65536);
		struct icarc_out out = {out_buf, room, 0};
		int finishing = need_input && in.pos == in.size && fed + in.size == n;
		size_t in_before = in.pos;
		int ev = finishing ? icarc_reader_finish(r) : icarc_reader_pull(r, &in, &out);
		FUZZ_ASSERT(in.pos >= in_before && in.pos <= in.size && out.pos <= room);
		if (out.pos > 0) {
			FUZZ_ASSERT_MSG(in_entry, "plaintext outside an entry");
			entry_bytes += out.pos;
			released += out.pos;
		}
		need_input = ev == ICARC_NEED_INPUT;
		if (ev < 0) {
			const char *msg = icarc_reader_error(r);
			FUZZ_ASSERT_MSG(msg != NULL && msg[0] != '\0', "error without a message");
			struct icarc_in again = {data, n, 0};
			struct icarc_out o2 = {out_buf, OUT_MAX, 0};
			FUZZ_ASSERT_MSG(icarc_reader_pull(r, &again, &o2) == ev && again.pos == 0 && o2.pos == 0,
			                "error not sticky");
			break;
		}
		if (ev == ICARC_NEED_INPUT) {
			FUZZ_ASSERT(in.pos == in.size);
		} else if (ev == ICARC_ENTRY) {
			FUZZ_ASSERT_MSG(!in_entry, "ENTRY inside an entry");
			in_entry = 1;
			entry_bytes = 0;
			if (!((knobs >> 1) & 1) || icarc_reader_encrypted(r) == 0)
				FUZZ_ASSERT_MSG(icarc_reader_entry_name(r) != NULL, "an entry without a name");
		} else if (ev == ICARC_ENTRY_END) {
			FUZZ_ASSERT_MSG(in_entry, "ENTRY_END outside an entry");
			FUZZ_ASSERT(icarc_reader_entry_size(r) == entry_bytes);
			in_entry = 0;
		} else if (ev == ICARC_CHUNK_BAD) {
			const char *name;
			uint64_t s, e;
			int st;
			FUZZ_ASSERT_MSG(knobs & 1, "CHUNK_BAD without KEEP_GOING");
			FUZZ_ASSERT(icarc_reader_bad_chunk(r, &name, &s, &e, &st) == ICARC_OK);
			FUZZ_ASSERT(st < 0 && s <= e);
		} else if (ev == ICARC_ARCHIVE_END) {
			if (finishing) {
				FUZZ_ASSERT_MSG(ended && !in_entry, "finish: complete, but pull never said so");
				break;
			}
			ended = 1;
		} else if (ev != ICARC_NEED_OUTPUT) {
			FUZZ_ASSERT_MSG(0, "unknown event");
		}
		if (released > RELEASE_MAX)
			break;
	}
	icarc_reader_free(r);
	free(fixed);
	return 0;
}
