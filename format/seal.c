/* seal.c - the symmetric layer: randomness, record checksums, sealing of record parts. */
#include "config.h"

#include <sodium.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack and in handles */
#include <xxhash.h>

#include "private.h"

/* All randomness goes through here; test programs make it deterministic with
 * randombytes_set_implementation() (tests/vectors/mkvectors.c), the library never does. */
void Icarc_random(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

uint64_t Icarc_record_checksum(uint64_t seed, const uint8_t hdr[WIRE_RECORD_HDR], const uint8_t *body, size_t n)
{
	XXH3_state_t st;
	/* a stack state must be initialised before a seeded reset: 0.8.1 reads its old seed to
	 * decide whether to rebuild the secret (xxhash.h, XXH3_INITSTATE) */
	XXH3_INITSTATE(&st);
	XXH3_64bits_reset_withSeed(&st, seed);
	XXH3_64bits_update(&st, hdr, 8);
	XXH3_64bits_update(&st, body, n);
	return XXH3_64bits_digest(&st);
}

void Icarc_record_finish(uint8_t *rec, uint8_t type, uint8_t flags, uint32_t body_len, uint64_t seed)
{
	struct wire_record r = {type, flags, body_len, 0};
	wire_record_encode(rec, &r);
	r.checksum = Icarc_record_checksum(seed, rec, rec + WIRE_RECORD_HDR, body_len);
	wire_record_encode(rec, &r);
}

size_t Icarc_ad(uint8_t *ad, const uint8_t id[WIRE_ID_LEN], const uint8_t rec_hdr[WIRE_RECORD_HDR], const uint8_t *prefix,
                size_t prefix_len)
{
	memcpy(ad, id, WIRE_ID_LEN);
	memcpy(ad + WIRE_ID_LEN, rec_hdr, 8);
	memcpy(ad + WIRE_ID_LEN + 8, prefix, prefix_len);
	return WIRE_ID_LEN + 8 + prefix_len;
}

void Icarc_seal(const struct icarc_keys *k, uint8_t *buf, size_t msg_len, const uint8_t *ad, size_t ad_len)
{
	Icarc_random(buf, WIRE_NONCE_LEN);
	Icarc_seal_placed(k, buf, msg_len, ad, ad_len);
}

void Icarc_seal_placed(const struct icarc_keys *k, uint8_t *buf, size_t msg_len, const uint8_t *ad, size_t ad_len)
{
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(buf + WIRE_NONCE_LEN, buf + WIRE_NONCE_LEN + msg_len, NULL,
	                                                    buf + WIRE_NONCE_LEN, msg_len, ad, ad_len, NULL, buf,
	                                                    k->payload_key);
}

int Icarc_open(const struct icarc_keys *k, uint8_t *buf, size_t sealed_len, const uint8_t *ad, size_t ad_len)
{
	if (sealed_len < WIRE_SEAL_OVERHEAD)
		return -1;
	size_t msg_len = sealed_len - WIRE_SEAL_OVERHEAD;
	/* libsodium checks the tag before it decrypts, so nothing unauthenticated is ever written */
	return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(buf + WIRE_NONCE_LEN, NULL, buf + WIRE_NONCE_LEN,
	                                                           msg_len, buf + WIRE_NONCE_LEN + msg_len, ad, ad_len,
	                                                           buf, k->payload_key);
}
