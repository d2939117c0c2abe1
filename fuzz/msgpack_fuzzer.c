/* msgpack_fuzzer.c - the streaming MessagePack decoder on arbitrary bytes: every format, a small
 * read buffer (so strings go through the piecewise paths), and one invariant: when the decoder
 * accepts a value, mp_skip ends at the same offset. */
#include "config.h"

#include <string.h>

#include "fuzz/fuzz.h"
#include "tools/decode.h"

static int run(const uint8_t *data, size_t size, enum dec_format fmt, enum dec_binary bin, size_t cap,
               uint64_t *end)
{
	struct st_src *src = st_src_mem(data, size, "fuzz");
	struct st_reader r;
	struct dec d;
	struct jout o;
	FUZZ_ASSERT(src != NULL);
	st_reader_init(&r, src, 0, size, cap);
	dec_init(&d, &r);
	d.format = fmt;
	d.binary = bin;
	d.max_depth = 200;
	jout_init(&o, NULL, NULL, 4096);
	o.discard = 1;
	int rc = dec_run(&d, &o);
	*end = st_reader_off(&r);
	jout_free(&o);
	dec_free(&d);
	st_reader_free(&r);
	st_close(src);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t end, end2;
	int rc = run(data, size, DEC_JSON, DEC_BASE64, 64, &end);
	run(data, size, DEC_NDJSON, DEC_HEX, 4096, &end2);
	run(data, size, DEC_TREE, DEC_BASE64, 100, &end2);
	struct st_src *src = st_src_mem(data, size, "fuzz");
	struct st_reader r;
	st_reader_init(&r, src, 0, size, 64);
	int src_rc = mp_skip(&r);
	if (rc == 0) {
		FUZZ_ASSERT_MSG(src_rc == 0, r.err);
		FUZZ_ASSERT(st_reader_off(&r) == end);
	}
	st_reader_free(&r);
	st_close(src);
	/* --path selection on a path made of the input's last bytes */
	if (size > 4) {
		char expr[16];
		size_t n = data[size - 1] % 12;
		for (size_t i = 0; i < n; i++) {
			char c = (char)data[size - 2 - i % (size - 2)];
			expr[i] = c == 0 ? 'a' : c;
		}
		expr[n] = 0;
		struct dec_path p;
		char err[256];
		if (dec_path_parse(expr, &p, err, sizeof err) == 0) {
			src = st_src_mem(data, size, "fuzz");
			st_reader_init(&r, src, 0, size, 64);
			struct dec d;
			dec_init(&d, &r);
			if (dec_select(&d, &p) == 0) {
				struct jout o;
				jout_init(&o, NULL, NULL, 4096);
				o.discard = 1;
				dec_run(&d, &o);
				jout_free(&o);
			}
			dec_free(&d);
			st_reader_free(&r);
			st_close(src);
			dec_path_free(&p);
		}
	}
	return 0;
}
