/* identity.h - who signs requests: anonymous, Ed25519 or secp256k1 keys read from PEM files as
 * dfx, quill, icp-cli and OpenSSL write them (ic-protocol.md §3.2-3.3). */
#ifndef ICARC_IC_IDENTITY_H
#define ICARC_IC_IDENTITY_H
#include <stddef.h>
#include <stdint.h>

#include "ic/principal.h"

/* P-256 (secp256r1) keys, which icp-cli accepts, are read for their principal only: signing with
 * them needs ECDSA over P-256, which none of icarc's libraries provides. */
enum ic_identity_kind { IC_IDENTITY_ANONYMOUS, IC_IDENTITY_ED25519, IC_IDENTITY_SECP256K1, IC_IDENTITY_P256 };

struct ic_identity {
	enum ic_identity_kind kind;
	uint8_t sk[64];  /* Ed25519: libsodium secret key (seed || public); secp256k1: 32-byte scalar */
	uint8_t der[96]; /* DER SubjectPublicKeyInfo (44, 88 or 91 bytes) */
	size_t der_len;
	struct ic_principal principal;
};

void ic_identity_anonymous(struct ic_identity *id);
/* From an Ed25519 seed / a secp256k1 scalar. 0 ok, -1 invalid key. */
int ic_identity_from_ed25519_seed(struct ic_identity *id, const uint8_t seed[32]);
int ic_identity_from_secp256k1(struct ic_identity *id, const uint8_t sk[32]);
/* Parse a PEM file's text: `EC PRIVATE KEY` (SEC1, optionally after an `EC PARAMETERS` block),
 * `PRIVATE KEY` (PKCS#8: Ed25519 v1, dfx's nonconforming v2, secp256k1), LF or CRLF.
 * Encrypted PEM is refused with a message saying how to export a plaintext key.
 * 0 ok, -1 with a message in err. */
int ic_identity_from_pem(struct ic_identity *id, const char *pem, size_t len, char *err, size_t errlen);
int ic_identity_from_file(struct ic_identity *id, const char *path, char *err, size_t errlen);
/* Sign msg as the agents do: Ed25519 over msg; ECDSA secp256k1 over SHA-256(msg), RFC 6979,
 * low-S, r||s. 0 ok, -1 (anonymous cannot sign). */
int ic_identity_sign(const struct ic_identity *id, const uint8_t *msg, size_t len, uint8_t sig[64]);
/* Check an Ed25519 signature against a 44-byte DER key (query response node keys). 1 valid. */
int ic_ed25519_der_verify(const uint8_t *der, size_t der_len, const uint8_t *msg, size_t len, const uint8_t sig[64]);
void ic_identity_wipe(struct ic_identity *id);
/* 1 if pub (33-byte compressed or 65-byte uncompressed point) is the secp256k1 identity's key. */
int ic_secp256k1_pub_matches(const struct ic_identity *id, const uint8_t *pub, size_t len);

extern const uint8_t ic_der_prefix_ed25519[12];
extern const uint8_t ic_der_prefix_secp256k1[23];
extern const uint8_t ic_der_prefix_p256[26];
/* A P-256 identity from its uncompressed public key (04 || X || Y); it cannot sign. */
void ic_identity_from_p256_public(struct ic_identity *id, const uint8_t pub[65]);
#endif
