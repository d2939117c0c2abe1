/* bls12381_hash.h - hashing to G1 per RFC 9380: expand_message_xmd with SHA-256 (5.3.1),
 * hash_to_field (5.2), simplified SWU on the 11-isogenous curve (6.6.2, 6.6.3), the 11-isogeny
 * (Appendix E.2) and cofactor clearing by h_eff (8.8.1). */
#ifndef ICARC_IC_BLS12381_HASH_H
#define ICARC_IC_BLS12381_HASH_H
#include <stddef.h>
#include <stdint.h>

#include "ic/bls12381_curve.h"

/* 0 on success, -1 when outlen is 0 or above 255*32 (the RFC's limits). A DST longer than 255
 * bytes is first hashed as "H2C-OVERSIZE-DST-" || DST (5.3.3). */
int bls_expand_message_xmd(uint8_t *out, size_t outlen, const uint8_t *msg, size_t msglen, const uint8_t *dst,
                           size_t dstlen);
/* hash_to_field with count 2, m 1, L 64: the two field elements of the G1 suite */
void bls_hash_to_field_g1(fp u[2], const uint8_t *msg, size_t msglen, const uint8_t *dst, size_t dstlen);
/* map_to_curve: SSWU on E' followed by the isogeny to E (not yet in G1) */
void bls_map_to_curve_g1(g1p *r, const fp *u);
void bls_hash_to_g1(g1p *r, const uint8_t *msg, size_t msglen, const uint8_t *dst, size_t dstlen);
#endif
