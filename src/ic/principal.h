/* principal.h - IC principals: bytes <-> text, self-authenticating ids (ic-protocol.md §3.1). */
#ifndef ICARC_IC_PRINCIPAL_H
#define ICARC_IC_PRINCIPAL_H
#include <stddef.h>
#include <stdint.h>

#define IC_PRINCIPAL_MAXBYTES 29U
#define IC_PRINCIPAL_MAXTEXT 64U /* 63 characters and the NUL */

struct ic_principal {
	uint8_t len;
	uint8_t b[IC_PRINCIPAL_MAXBYTES];
};

/* Parse the textual form (case-insensitive). Rejects a wrong checksum, bad characters, more than
 * 29 bytes, and any grouping other than the canonical one. 0 ok, -1 with a message in err. */
int ic_principal_from_text(struct ic_principal *p, const char *s, size_t n, char *err, size_t errlen);
/* The canonical text (lower case); returns its length. */
size_t ic_principal_to_text(const struct ic_principal *p, char out[IC_PRINCIPAL_MAXTEXT]);
/* 0 ok, -1 if more than 29 bytes. */
int ic_principal_from_bytes(struct ic_principal *p, const uint8_t *b, size_t n);
/* SHA-224(der) || 0x02. */
void ic_principal_self_authenticating(struct ic_principal *p, const uint8_t *der, size_t len);
void ic_principal_anonymous(struct ic_principal *p);
/* Bytewise with a shorter prefix first (agent-js order; equal to Rust's for 10-byte canister ids). */
int ic_principal_cmp(const struct ic_principal *a, const struct ic_principal *b);
int ic_bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

void ic_sha224(uint8_t out[28], const uint8_t *p, size_t n);
uint32_t ic_crc32(const uint8_t *p, size_t n);
#endif
