/* allzero.c - the zero check of every chunk (writer, chunk codec), in a file of its own so that
 * tests/bench/prims measures the very same code. */
#include "config.h"

#include "allzero.h"

#include <string.h>

int Icarc_all_zero(const uint8_t *p, size_t n)
{
	uint64_t acc = 0;
	size_t i = 0;
	/* 64 bytes per step, stopping at the first non-zero block: cheap on data, exact on zeros */
	for (; i + 64 <= n; i += 64) {
		uint64_t w[8];
		memcpy(w, p + i, 64);
		if ((w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) != 0)
			return 0;
	}
	for (; i < n; i++)
		acc |= p[i];
	return acc == 0;
}
