/* fuzz.h - the one entry point every fuzz/<name>_fuzzer.c defines.
 *
 * Build modes:
 *  - default (make check): linked with fuzz/standalone_main.c, which replays every file in
 *    fuzz/<name>_fuzzer.in/ (seeds) and fuzz/<name>_fuzzer.repro/ (crash reproducers), one TAP
 *    line per file; a crash or sanitizer report fails the test.
 *  - ./configure --enable-fuzzers LIB_FUZZING_ENGINE=-fsanitize=fuzzer: a libFuzzer/AFL++/OSS-Fuzz
 *    binary (fuzz/oss-fuzz/build.sh).
 * Knobs:
 *  - FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (set by OSS-Fuzz): plaintext XXH3 mismatches are
 *    reported but not fatal, so coverage gets past them. AEAD checks are never relaxed.
 * A harness must not leak, must not write files, and returns 0. */
#ifndef ICARC_FUZZ_H
#define ICARC_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT_MSG(cond, msg)                                                          \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: assertion failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
			        (msg));                                                     \
			abort();                                                            \
		}                                                                           \
	} while (0)
#define FUZZ_ASSERT(cond) FUZZ_ASSERT_MSG(cond, "")

/* A tiny data producer: takes parameters from the end of the input (zstd's fuzz_data_producer). */
struct fuzz_producer { const uint8_t *data; size_t size; };
static inline uint32_t fuzz_u32(struct fuzz_producer *p, uint32_t min, uint32_t max)
{
	uint32_t v = 0;
	for (int i = 0; i < 4 && p->size > 0; i++)
		v = (v << 8) | p->data[--p->size];
	return max > min ? min + v % (max - min + 1) : min;
}
#endif
