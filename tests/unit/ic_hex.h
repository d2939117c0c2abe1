/* ic_hex.h - hex helpers of the src/ic unit tests (over ic_hex/ic_unhex of src/ic/buf.h). */
#ifndef ICARC_TEST_IC_HEX_H
#define ICARC_TEST_IC_HEX_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/buf.h"

/* Decode a hex literal of the test itself: bad hex is a broken test (exit 99, a hard error). */
static inline size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex) / 2;
	if (n > cap || ic_unhex(out, n, hex, 2 * n) != 0) {
		fprintf(stderr, "bad hex in test\n");
		exit(99);
	}
	return n;
}

/* 1 when p[0..n) is the bytes of `hex` (lower case). */
static inline int hexeq(const uint8_t *p, size_t n, const char *hex)
{
	char buf[4096];
	if (2 * n + 1 > sizeof buf)
		return 0;
	ic_hex(buf, p, n);
	return strcmp(buf, hex) == 0;
}
#endif
