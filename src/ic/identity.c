/* identity.c - keys, public key DER and signing with libsodium and libsecp256k1. */
#include "ic/identity.h"

#include <secp256k1.h>
#include <sodium.h>
#include <string.h>

const uint8_t ic_der_prefix_ed25519[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
const uint8_t ic_der_prefix_secp256k1[23] = {0x30, 0x56, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
                                             0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a, 0x03, 0x42, 0x00};

/* RFC 5480: id-ecPublicKey with prime256v1 (ic-protocol.md §3.2, checked with Python cryptography) */
const uint8_t ic_der_prefix_p256[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

void ic_identity_from_p256_public(struct ic_identity *id, const uint8_t pub[65])
{
	memset(id, 0, sizeof *id);
	id->kind = IC_IDENTITY_P256;
	memcpy(id->der, ic_der_prefix_p256, 26);
	memcpy(id->der + 26, pub, 65);
	id->der_len = 91;
	ic_principal_self_authenticating(&id->principal, id->der, id->der_len);
}

void ic_identity_anonymous(struct ic_identity *id)
{
	memset(id, 0, sizeof *id);
	id->kind = IC_IDENTITY_ANONYMOUS;
	ic_principal_anonymous(&id->principal);
}

int ic_identity_from_ed25519_seed(struct ic_identity *id, const uint8_t seed[32])
{
	uint8_t pk[32];
	memset(id, 0, sizeof *id);
	if (sodium_init() < 0 || crypto_sign_seed_keypair(pk, id->sk, seed) != 0)
		return -1;
	id->kind = IC_IDENTITY_ED25519;
	memcpy(id->der, ic_der_prefix_ed25519, 12);
	memcpy(id->der + 12, pk, 32);
	id->der_len = 44;
	ic_principal_self_authenticating(&id->principal, id->der, id->der_len);
	return 0;
}

static secp256k1_context *ctx(void)
{
	/* one context per process: creating one precomputes tables (slow); it is read-only after
	 * creation, so sharing it between threads is safe */
	static secp256k1_context *c;
	if (c == NULL)
		c = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
	return c;
}

int ic_identity_from_secp256k1(struct ic_identity *id, const uint8_t sk[32])
{
	secp256k1_pubkey pub;
	size_t n = 65;
	memset(id, 0, sizeof *id);
	if (ctx() == NULL || !secp256k1_ec_seckey_verify(ctx(), sk) || !secp256k1_ec_pubkey_create(ctx(), &pub, sk))
		return -1;
	id->kind = IC_IDENTITY_SECP256K1;
	memcpy(id->sk, sk, 32);
	memcpy(id->der, ic_der_prefix_secp256k1, 23);
	secp256k1_ec_pubkey_serialize(ctx(), id->der + 23, &n, &pub, SECP256K1_EC_UNCOMPRESSED);
	id->der_len = 23 + 65;
	ic_principal_self_authenticating(&id->principal, id->der, id->der_len);
	return 0;
}

int ic_identity_sign(const struct ic_identity *id, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	if (id->kind == IC_IDENTITY_ED25519)
		return crypto_sign_detached(sig, NULL, msg, len, id->sk) == 0 ? 0 : -1;
	if (id->kind == IC_IDENTITY_SECP256K1) {
		uint8_t h[32];
		secp256k1_ecdsa_signature s;
		crypto_hash_sha256(h, msg, len);
		/* NULL nonce function = RFC 6979; libsecp256k1 always produces low-S */
		if (ctx() == NULL || !secp256k1_ecdsa_sign(ctx(), &s, h, id->sk, NULL, NULL))
			return -1;
		secp256k1_ecdsa_signature_serialize_compact(ctx(), sig, &s);
		return 0;
	}
	return -1;
}

int ic_ed25519_der_verify(const uint8_t *der, size_t der_len, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
	if (der_len != 44 || memcmp(der, ic_der_prefix_ed25519, 12) != 0)
		return 0;
	return crypto_sign_verify_detached(sig, msg, len, der + 12) == 0;
}

int ic_secp256k1_pub_matches(const struct ic_identity *id, const uint8_t *pub, size_t len)
{
	secp256k1_pubkey pk;
	uint8_t full[65];
	size_t n = sizeof full;
	if (id->kind != IC_IDENTITY_SECP256K1 || ctx() == NULL || !secp256k1_ec_pubkey_parse(ctx(), &pk, pub, len))
		return 0;
	secp256k1_ec_pubkey_serialize(ctx(), full, &n, &pk, SECP256K1_EC_UNCOMPRESSED);
	return n == 65 && memcmp(full, id->der + 23, 65) == 0;
}

void ic_identity_wipe(struct ic_identity *id)
{
	sodium_memzero(id, sizeof *id);
}
