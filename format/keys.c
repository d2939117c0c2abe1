/* keys.c - X25519 key pairs and their text forms, the key schedule, file-key stanzas, keyrings,
 * and the authenticated opening of the archive header (spec/FORMAT.md: Keys). */
#include "config.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define RECIPIENT_PREFIX "icarc1"
#define IDENTITY_PREFIX "ICARC-SECRET-KEY-1"
#define TEXT_CHECK_LEN 4U
#define B32_LEN(n) (((n) * 8 + 4) / 5)

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static void b32_encode(char *out, const uint8_t *in, size_t n, int upper)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			char c = b32[(acc >> (bits - 5)) & 31];
			out[o++] = upper ? (char)toupper((unsigned char)c) : c;
			bits -= 5;
		}
	}
	if (bits > 0) {
		char c = b32[(acc << (5 - bits)) & 31];
		out[o++] = upper ? (char)toupper((unsigned char)c) : c;
	}
	out[o] = '\0';
}

/* Strict: exactly B32_LEN(n) characters of one case, zero padding bits. */
static int b32_decode(uint8_t *out, size_t n, const char *in, int upper)
{
	if (strlen(in) != B32_LEN(n))
		return -1;
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (const char *p = in; *p; p++) {
		int c = (unsigned char)*p;
		if (upper ? islower(c) : isupper(c))
			return -1;
		const char *hit = strchr(b32, tolower(c));
		if (hit == NULL || c == 0)
			return -1;
		acc = (acc << 5) | (uint32_t)(hit - b32);
		bits += 5;
		if (bits >= 8) {
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return (o == n && (acc & ((1u << bits) - 1)) == 0) ? 0 : -1;
}

static void text_check(uint8_t out[TEXT_CHECK_LEN], const char *prefix, const unsigned char key[32])
{
	uint8_t h[32];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)prefix, strlen(prefix));
	crypto_generichash_update(&st, key, 32);
	crypto_generichash_final(&st, h, sizeof h);
	memcpy(out, h, TEXT_CHECK_LEN);
}

static int key_encode(char *out, const char *prefix, const unsigned char key[32], int upper)
{
	uint8_t buf[32 + TEXT_CHECK_LEN];
	memcpy(buf, key, 32);
	text_check(buf + 32, prefix, key);
	size_t pl = strlen(prefix);
	memcpy(out, prefix, pl);
	b32_encode(out + pl, buf, sizeof buf, upper);
	sodium_memzero(buf, sizeof buf);
	return ICARC_OK;
}

static int key_decode(unsigned char key[32], const char *text, const char *prefix, int upper)
{
	uint8_t buf[32 + TEXT_CHECK_LEN], check[TEXT_CHECK_LEN];
	size_t pl = strlen(prefix);
	if (text == NULL || strncmp(text, prefix, pl) != 0 || b32_decode(buf, sizeof buf, text + pl, upper) != 0)
		return ICARC_E_FORMAT;
	text_check(check, prefix, buf);
	int ok = sodium_memcmp(check, buf + 32, TEXT_CHECK_LEN) == 0;
	if (ok)
		memcpy(key, buf, 32);
	sodium_memzero(buf, sizeof buf);
	return ok ? ICARC_OK : ICARC_E_FORMAT;
}

int icarc_keygen(unsigned char pk[ICARC_PUBLICKEYBYTES], unsigned char sk[ICARC_SECRETKEYBYTES])
{
	return crypto_box_keypair(pk, sk) == 0 ? ICARC_OK : ICARC_E_USAGE;
}

int icarc_sk_to_pk(unsigned char pk[ICARC_PUBLICKEYBYTES], const unsigned char sk[ICARC_SECRETKEYBYTES])
{
	return crypto_scalarmult_base(pk, sk) == 0 ? ICARC_OK : ICARC_E_USAGE;
}

int icarc_recipient_encode(char out[ICARC_RECIPIENT_MAXLEN], const unsigned char pk[ICARC_PUBLICKEYBYTES])
{
	return key_encode(out, RECIPIENT_PREFIX, pk, 0);
}

int icarc_recipient_decode(unsigned char pk[ICARC_PUBLICKEYBYTES], const char *text)
{
	return key_decode(pk, text, RECIPIENT_PREFIX, 0);
}

int icarc_identity_encode(char out[ICARC_IDENTITY_MAXLEN], const unsigned char sk[ICARC_SECRETKEYBYTES])
{
	return key_encode(out, IDENTITY_PREFIX, sk, 1);
}

int icarc_identity_decode(unsigned char sk[ICARC_SECRETKEYBYTES], const char *text)
{
	return key_decode(sk, text, IDENTITY_PREFIX, 1);
}

/* ---- key schedule ---- */

struct icarc_keys *Icarc_keys_new(void)
{
	struct icarc_keys *k = sodium_malloc(sizeof *k);
	if (k != NULL)
		sodium_memzero(k, sizeof *k);
	return k;
}

void Icarc_keys_free(struct icarc_keys *k)
{
	sodium_free(k); /* wipes */
}

/* K_label = BLAKE2b-256(key = File_Key, "icarc-v1 " || label || Archive_Id) */
static void derive(unsigned char out[32], const unsigned char file_key[32], const char *label, const uint8_t id[WIRE_ID_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, file_key, 32, 32);
	crypto_generichash_update(&st, (const uint8_t *)"icarc-v1 ", 9);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, id, WIRE_ID_LEN);
	crypto_generichash_final(&st, out, 32);
}

void Icarc_keys_derive(struct icarc_keys *k, const uint8_t id[WIRE_ID_LEN])
{
	derive(k->header_key, k->file_key, "header", id);
	derive(k->payload_key, k->file_key, "payload", id);
}

/* Header_MAC = BLAKE2b-256(key = K_header, Magic || record header bytes 0..7 || body before the MAC) */
void Icarc_header_mac(const struct icarc_keys *k, const uint8_t rec_hdr[WIRE_RECORD_HDR], const uint8_t *body, size_t n,
                      uint8_t mac[WIRE_MAC_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, k->header_key, 32, WIRE_MAC_LEN);
	crypto_generichash_update(&st, (const uint8_t *)WIRE_MAGIC, WIRE_MAGIC_LEN);
	crypto_generichash_update(&st, rec_hdr, 8);
	crypto_generichash_update(&st, body, n);
	crypto_generichash_final(&st, mac, WIRE_MAC_LEN);
}

/* ---- stanzas ---- */

int Icarc_stanza_x25519_wrap(uint8_t out[WIRE_X25519_STANZA_LEN], const unsigned char *file_key, const unsigned char pk[32])
{
	return crypto_box_seal(out, file_key, 32, pk) == 0 ? ICARC_OK : ICARC_E_USAGE;
}

int Icarc_stanza_x25519_unwrap(unsigned char *file_key, const uint8_t in[WIRE_X25519_STANZA_LEN], const unsigned char sk[32])
{
	unsigned char pk[32];
	crypto_scalarmult_base(pk, sk);
	return crypto_box_seal_open(file_key, in, WIRE_X25519_STANZA_LEN, pk, sk) == 0 ? ICARC_OK : ICARC_E_AUTH;
}

static int pass_key(unsigned char wrap[32], const uint8_t salt[16], const char *pass, size_t len, uint32_t ops,
                    uint32_t mem_kib)
{
	return crypto_pwhash(wrap, 32, pass, len, salt, ops, (size_t)mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13);
}

static void pass_ad(uint8_t ad[40], const uint8_t id[WIRE_ID_LEN], const uint8_t *stanza)
{
	memcpy(ad, "icarc-v1 pass", 13);
	memcpy(ad + 13, id, WIRE_ID_LEN);
	memcpy(ad + 29, stanza + 16, 8); /* Opslimit, Memlimit_KiB */
	memset(ad + 37, 0, 3);
}

int Icarc_stanza_pass_wrap(uint8_t out[WIRE_ARGON2ID_STANZA_LEN], const unsigned char *file_key, const uint8_t id[WIRE_ID_LEN],
                           const char *pass, size_t len, uint32_t ops, uint32_t mem_kib)
{
	unsigned char *wrap = sodium_malloc(32);
	uint8_t ad[40];
	if (wrap == NULL)
		return ICARC_E_NOMEM;
	Icarc_random(out, 16);
	wire_put32(out + 16, ops);
	wire_put32(out + 20, mem_kib);
	Icarc_random(out + 24, WIRE_NONCE_LEN);
	if (pass_key(wrap, out, pass, len, ops, mem_kib) != 0) {
		sodium_free(wrap);
		return ICARC_E_NOMEM;
	}
	pass_ad(ad, id, out);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 48, NULL, file_key, 32, ad, sizeof ad, NULL, out + 24, wrap);
	sodium_free(wrap);
	return ICARC_OK;
}

int Icarc_stanza_pass_unwrap(unsigned char *file_key, const uint8_t in[WIRE_ARGON2ID_STANZA_LEN], const uint8_t id[WIRE_ID_LEN],
                             const char *pass, size_t len, uint64_t max_mem)
{
	uint32_t ops = wire_get32(in + 16), mem_kib = wire_get32(in + 20);
	if ((uint64_t)mem_kib * 1024 > max_mem || ops > 64)
		return ICARC_E_LIMIT;
	if (ops < crypto_pwhash_OPSLIMIT_MIN || (size_t)mem_kib * 1024 < crypto_pwhash_MEMLIMIT_MIN)
		return ICARC_E_FORMAT;
	unsigned char *wrap = sodium_malloc(32);
	uint8_t ad[40];
	if (wrap == NULL)
		return ICARC_E_NOMEM;
	if (pass_key(wrap, in, pass, len, ops, mem_kib) != 0) {
		sodium_free(wrap);
		return ICARC_E_NOMEM;
	}
	pass_ad(ad, id, in);
	int r = crypto_aead_xchacha20poly1305_ietf_decrypt(file_key, NULL, NULL, in + 48, 48, ad, sizeof ad, in + 24, wrap);
	sodium_free(wrap);
	return r == 0 ? ICARC_OK : ICARC_E_AUTH;
}

/* ---- keyrings ---- */

int Icarc_keyring_add_sk(struct icarc_keyring *kr, const unsigned char sk[32])
{
	if (kr->n_sk >= WIRE_MAX_STANZAS)
		return ICARC_E_USAGE;
	unsigned char(*n)[32] = sodium_malloc((kr->n_sk + 1) * 32);
	if (n == NULL)
		return ICARC_E_NOMEM;
	if (kr->n_sk)
		memcpy(n, kr->sk, kr->n_sk * 32);
	memcpy(n[kr->n_sk], sk, 32);
	sodium_free(kr->sk);
	kr->sk = n;
	kr->n_sk++;
	return ICARC_OK;
}

int Icarc_keyring_add_pass(struct icarc_keyring *kr, const char *pass, size_t len)
{
	char *p = sodium_malloc(len + 1);
	if (p == NULL)
		return ICARC_E_NOMEM;
	memcpy(p, pass, len);
	p[len] = '\0';
	if (kr->pass)
		sodium_free(kr->pass);
	kr->pass = p;
	kr->pass_len = len;
	kr->have_pass = 1;
	return ICARC_OK;
}

void Icarc_keyring_clear(struct icarc_keyring *kr)
{
	sodium_free(kr->sk);
	sodium_free(kr->pass);
	memset(kr, 0, sizeof *kr);
}

/* ---- header ---- */

int Icarc_header_open(struct icarc_err *e, const uint8_t *buf, size_t n, const struct icarc_keyring *kr, int no_key,
                      uint64_t max_kdf_mem, struct header_info *hi, struct icarc_keys **keys_out)
{
	const char *why = NULL;
	const uint8_t *body = buf + WIRE_MAGIC_LEN + WIRE_RECORD_HDR;
	size_t body_len = n - WIRE_MAGIC_LEN - WIRE_RECORD_HDR;
	int r = wire_header_decode(body, body_len, &hi->h, &why);
	*keys_out = NULL;
	if (r < 0)
		return Icarc_set_error(e, r, "header at offset 8: %s", why);
	int enc = (hi->h.flags & WIRE_HF_ENCRYPTED) != 0;
	/* stanzas: Type u8, Reserved u8, Length u16, data */
	size_t pos = WIRE_HEADER_FIXED;
	size_t mac_len = enc ? WIRE_MAC_LEN : 0;
	const uint8_t *st_x[WIRE_MAX_STANZAS], *st_pass = NULL;
	size_t n_x = 0;
	for (unsigned i = 0; i < hi->h.n_stanzas; i++) {
		if (body_len - mac_len < pos + 4 || body_len < mac_len)
			return Icarc_set_error(e, ICARC_E_FORMAT, "header at offset 8: stanza %u runs past the record", i);
		unsigned type = body[pos], len = wire_get16(body + pos + 2);
		if (body[pos + 1] != 0 || pos + 4 + len > body_len - mac_len)
			return Icarc_set_error(e, ICARC_E_FORMAT, "header at offset 8: stanza %u is malformed", i);
		if (type == WIRE_STANZA_X25519 && len == WIRE_X25519_STANZA_LEN)
			st_x[n_x++] = body + pos + 4;
		else if (type == WIRE_STANZA_ARGON2ID && len == WIRE_ARGON2ID_STANZA_LEN && st_pass == NULL)
			st_pass = body + pos + 4;
		else if (type == WIRE_STANZA_X25519 || type == WIRE_STANZA_ARGON2ID)
			return Icarc_set_error(e, ICARC_E_FORMAT, "header at offset 8: stanza %u has a bad length", i);
		/* unknown stanza types are skipped: another key type may open the archive */
		pos += 4 + len;
	}
	if (pos + mac_len != body_len)
		return Icarc_set_error(e, ICARC_E_FORMAT, "header at offset 8: %zu bytes after the stanzas",
		                       body_len - pos - mac_len);
	hi->stanzas_len = pos - WIRE_HEADER_FIXED;
	if (!enc || no_key)
		return ICARC_OK;

	struct icarc_keys *k = Icarc_keys_new();
	if (k == NULL)
		return Icarc_set_error(e, ICARC_E_NOMEM, "out of memory for keys");
	int found = 0, limit = 0, pass_tried = 0;
	for (size_t i = 0; i < n_x && !found; i++)
		for (size_t j = 0; j < kr->n_sk && !found; j++)
			found = Icarc_stanza_x25519_unwrap(k->file_key, st_x[i], kr->sk[j]) == ICARC_OK;
	if (!found && st_pass != NULL && kr->have_pass) {
		pass_tried = 1;
		r = Icarc_stanza_pass_unwrap(k->file_key, st_pass, hi->h.id, kr->pass, kr->pass_len, max_kdf_mem);
		found = r == ICARC_OK;
		limit = r == ICARC_E_LIMIT;
		if (r == ICARC_E_NOMEM || r == ICARC_E_FORMAT) {
			Icarc_keys_free(k);
			return Icarc_set_error(e, r, "header at offset 8: %s", r == ICARC_E_FORMAT ?
			                       "passphrase stanza has Argon2id parameters below the minimum" :
			                       "out of memory for Argon2id");
		}
	}
	if (!found) {
		Icarc_keys_free(k);
		if (limit)
			return Icarc_set_error(e, ICARC_E_LIMIT, "the passphrase stanza asks for more Argon2id memory or passes than allowed");
		if (kr->n_sk == 0 && !kr->have_pass)
			return Icarc_set_error(e, ICARC_E_NOKEY, "archive is encrypted: give an identity (-i) or a passphrase%s",
			                       st_pass ? "" : " (it has no passphrase stanza: recipients only)");
		return Icarc_set_error(e, ICARC_E_NOKEY, "none of the %zu identit%s%s opens this archive (%zu recipient stanza%s%s)",
		                       kr->n_sk, kr->n_sk == 1 ? "y" : "ies", pass_tried ? " nor the passphrase" : "", n_x,
		                       n_x == 1 ? "" : "s", st_pass ? ", one passphrase stanza" : "");
	}
	Icarc_keys_derive(k, hi->h.id);
	uint8_t mac[WIRE_MAC_LEN];
	Icarc_header_mac(k, buf + WIRE_MAGIC_LEN, body, body_len - WIRE_MAC_LEN, mac);
	if (sodium_memcmp(mac, buf + n - WIRE_MAC_LEN, WIRE_MAC_LEN) != 0) {
		Icarc_keys_free(k);
		return Icarc_set_error(e, ICARC_E_AUTH, "header at offset 8: MAC does not verify (header modified)");
	}
	*keys_out = k;
	return ICARC_OK;
}
