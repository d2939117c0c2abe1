/* principal.c - principal text form: Grouped(Base32(CRC32(b) || b)) (ic-protocol.md §3.1). */
#include "ic/principal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* libsodium has no SHA-224, but it is SHA-256 with another initial state, truncated to 28
 * bytes (FIPS 180-4 §5.3.2), so the state of libsodium's SHA-256 is started with that IV. */
void ic_sha224(uint8_t out[28], const uint8_t *p, size_t n)
{
	static const uint32_t iv[8] = {0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939,
	                               0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4};
	crypto_hash_sha256_state st;
	uint8_t full[32];
	crypto_hash_sha256_init(&st);
	memcpy(st.state, iv, sizeof iv);
	crypto_hash_sha256_update(&st, p, n);
	crypto_hash_sha256_final(&st, full);
	memcpy(out, full, 28);
}

uint32_t ic_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffU;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320U & (0U - (c & 1)));
	}
	return c ^ 0xffffffffU;
}

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

size_t ic_principal_to_text(const struct ic_principal *p, char out[IC_PRINCIPAL_MAXTEXT])
{
	uint8_t raw[4 + IC_PRINCIPAL_MAXBYTES];
	uint32_t crc = ic_crc32(p->b, p->len);
	raw[0] = (uint8_t)(crc >> 24), raw[1] = (uint8_t)(crc >> 16), raw[2] = (uint8_t)(crc >> 8), raw[3] = (uint8_t)crc;
	memcpy(raw + 4, p->b, p->len);
	size_t n = 4 + p->len, o = 0, chars = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 5) {
			if (chars > 0 && chars % 5 == 0)
				out[o++] = '-';
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			chars++;
			bits -= 5;
		}
	}
	if (bits > 0) {
		if (chars > 0 && chars % 5 == 0)
			out[o++] = '-';
		out[o++] = b32[(acc << (5 - bits)) & 31];
	}
	out[o] = 0;
	return o;
}

int ic_principal_from_bytes(struct ic_principal *p, const uint8_t *b, size_t n)
{
	if (n > IC_PRINCIPAL_MAXBYTES)
		return -1;
	p->len = (uint8_t)n;
	if (n > 0)
		memcpy(p->b, b, n);
	return 0;
}

int ic_principal_from_text(struct ic_principal *p, const char *s, size_t n, char *err, size_t errlen)
{
	uint8_t raw[4 + IC_PRINCIPAL_MAXBYTES + 1];
	size_t nr = 0;
	uint32_t acc = 0;
	int bits = 0;
	if (n >= IC_PRINCIPAL_MAXTEXT) {
		snprintf(err, errlen, "principal: text of %zu characters is too long", n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '-')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		const char *q = c ? strchr(b32, c) : NULL;
		if (q == NULL) {
			snprintf(err, errlen, "principal: invalid character at position %zu", i);
			return -1;
		}
		acc = (acc << 5) | (uint32_t)(q - b32);
		bits += 5;
		if (bits >= 8) {
			if (nr == sizeof raw) {
				snprintf(err, errlen, "principal: more than %u bytes", IC_PRINCIPAL_MAXBYTES);
				return -1;
			}
			raw[nr++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if (nr < 4 || nr > 4 + IC_PRINCIPAL_MAXBYTES) {
		snprintf(err, errlen, "principal: %s", nr < 4 ? "too short" : "more than 29 bytes");
		return -1;
	}
	struct ic_principal t;
	t.len = (uint8_t)(nr - 4);
	memcpy(t.b, raw + 4, t.len);
	uint32_t crc = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	if (crc != ic_crc32(t.b, t.len)) {
		snprintf(err, errlen, "principal: checksum mismatch in \"%.*s\"", (int)n, s);
		return -1;
	}
	/* canonical means: re-encoding gives the same text (grouping, no stray bits), up to case */
	char canon[IC_PRINCIPAL_MAXTEXT];
	size_t cl = ic_principal_to_text(&t, canon);
	int same = cl == n;
	for (size_t i = 0; same && i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		same = c == canon[i];
	}
	if (!same) {
		snprintf(err, errlen, "principal: \"%.*s\" is not in canonical form (expected \"%s\")", (int)n, s, canon);
		return -1;
	}
	*p = t;
	return 0;
}

void ic_principal_self_authenticating(struct ic_principal *p, const uint8_t *der, size_t len)
{
	ic_sha224(p->b, der, len);
	p->b[28] = 0x02;
	p->len = 29;
}

void ic_principal_anonymous(struct ic_principal *p)
{
	p->len = 1;
	p->b[0] = 0x04;
}

int ic_bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t m = alen < blen ? alen : blen;
	int c = m ? memcmp(a, b, m) : 0;
	if (c != 0)
		return c < 0 ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

int ic_principal_cmp(const struct ic_principal *a, const struct ic_principal *b)
{
	return ic_bytes_cmp(a->b, a->len, b->b, b->len);
}
