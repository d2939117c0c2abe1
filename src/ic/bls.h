/* bls.h - BLS12-381 signature verification for IC certificates (ic-protocol.md §5.4).
 * Ciphersuite BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_ ("min-sig": signatures in G1, public
 * keys in G2). Public data only: not constant time, correct on every input. */
#ifndef ICARC_IC_BLS_H
#define ICARC_IC_BLS_H
#include <stddef.h>
#include <stdint.h>

#define IC_BLS_SIGBYTES 48U /* compressed G1 point */
#define IC_BLS_PKBYTES 96U  /* compressed G2 point */

/* 1: the signature is valid for msg under pk. 0: invalid, including any malformed, non-canonical,
 * off-curve, wrong-subgroup or infinity encoding of sig or pk. */
int ic_bls_verify(const uint8_t sig[IC_BLS_SIGBYTES], const uint8_t pk[IC_BLS_PKBYTES], const uint8_t *msg,
                  size_t len);
#endif
