/* allzero.h - whether n bytes are all zero (canister memories are mostly zero pages). */
#ifndef ICARC_ALLZERO_H
#define ICARC_ALLZERO_H
#include <stddef.h>
#include <stdint.h>

/* 1 when the n bytes at p are all zero; stops at the first 64 bytes that are not. */
int Icarc_all_zero(const uint8_t *p, size_t n);
#endif
