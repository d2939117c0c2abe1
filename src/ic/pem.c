/* pem.c - private keys from PEM text: SEC1 and PKCS#8 (ic-protocol.md §3.3). Only the DER shapes
 * that key tools write are accepted; every length is checked against its container. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/identity.h"

/* OIDs, DER-encoded with tag and length */
static const uint8_t oid_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const uint8_t oid_ec_public_key[] = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_secp256k1[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};


struct tlv {
	uint8_t tag;
	const uint8_t *p; /* content */
	size_t len;
	size_t off; /* offset of the tag in the whole DER */
};

struct der {
	const uint8_t *p;
	size_t len, pos, base; /* base: offset of p within the whole DER, for messages */
};

static int next(struct der *d, struct tlv *t)
{
	if (d->len - d->pos < 2)
		return -1;
	t->off = d->base + d->pos;
	t->tag = d->p[d->pos++];
	size_t n = d->p[d->pos++];
	if (n & 0x80) {
		size_t k = n & 0x7f;
		if (k == 0 || k > 2 || d->len - d->pos < k)
			return -1;
		n = 0;
		while (k--)
			n = n << 8 | d->p[d->pos++];
	}
	if (n > d->len - d->pos)
		return -1;
	t->p = d->p + d->pos;
	t->len = n;
	d->pos += n;
	return 0;
}

static struct der inside(const struct tlv *t, const struct der *outer)
{
	struct der d = {t->p, t->len, 0, (size_t)(t->p - outer->p) + outer->base};
	return d;
}

static int is(const struct tlv *t, const uint8_t *enc, size_t n)
{
	return t->tag == enc[0] && t->len == n - 2 && memcmp(t->p, enc + 2, n - 2) == 0;
}

enum curve { CURVE_DEFAULT, CURVE_K1, CURVE_P256 };

static enum curve curve_of(const struct tlv *oid)
{
	if (is(oid, oid_secp256k1, sizeof oid_secp256k1))
		return CURVE_K1;
	if (is(oid, oid_p256, sizeof oid_p256))
		return CURVE_P256;
	return CURVE_DEFAULT;
}

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)

/* The public key in a BIT STRING (`03 len 00 key`) of one of the given lengths, or NULL. */
static const uint8_t *bitstring_key(const uint8_t *p, size_t len, size_t keylen, size_t alt, size_t *got)
{
	if (len < 1 || p[0] != 0 || (len - 1 != keylen && len - 1 != alt))
		return NULL;
	*got = len - 1;
	return p + 1;
}

/* [1] publicKey: explicit (a1 { 03 ... }, what SEC1 and ring's v2 write) or implicit (81 ...).
 * alt: a second accepted length (33 for compressed EC points), or 0. */
static const uint8_t *pubkey_field(const struct tlv *t, const struct der *outer, size_t keylen, size_t alt,
                                   size_t *got)
{
	if (t->tag == 0x81)
		return bitstring_key(t->p, t->len, keylen, alt, got);
	if (t->tag == 0xa1) {
		struct der in = inside(t, outer);
		struct tlv bs;
		if (next(&in, &bs) != 0 || bs.tag != 0x03 || in.pos != in.len)
			return NULL;
		return bitstring_key(bs.p, bs.len, keylen, alt, got);
	}
	return NULL;
}

static int check_pub(const struct ic_identity *id, const uint8_t *pub, size_t keylen)
{
	if (id->kind == IC_IDENTITY_SECP256K1) /* compressed or not: compare the points */
		return ic_secp256k1_pub_matches(id, pub, keylen);
	return memcmp(id->der + id->der_len - keylen, pub, keylen) == 0;
}

/* SEC1 ECPrivateKey: SEQUENCE { 1, OCTET STRING(32), [0] curve?, [1] publicKey? }. The curve comes
 * from [0], or from the PKCS#8 algorithm / an EC PARAMETERS block (hint); secp256k1 by default. */
static int sec1(struct ic_identity *id, const struct tlv *seq, const struct der *outer, enum curve hint, char *err,
                size_t errlen)
{
	struct der d = inside(seq, outer);
	struct tlv v, k, t;
	enum curve curve = hint;
	if (next(&d, &v) != 0 || v.tag != 0x02 || v.len != 1 || v.p[0] != 1)
		return BAD("EC PRIVATE KEY: expected version 1 at byte %zu", d.base);
	if (next(&d, &k) != 0 || k.tag != 0x04 || k.len != 32)
		return BAD("EC PRIVATE KEY: expected a 32-byte private key at byte %zu", v.off + 3);
	const uint8_t *pub = NULL;
	size_t publen = 0;
	while (d.pos < d.len) {
		if (next(&d, &t) != 0)
			return BAD("EC PRIVATE KEY: malformed DER at byte %zu", d.base + d.pos);
		if (t.tag == 0xa0) {
			struct der c = inside(&t, &d);
			struct tlv oid;
			enum curve named = next(&c, &oid) == 0 ? curve_of(&oid) : CURVE_DEFAULT;
			if (named == CURVE_DEFAULT || (hint != CURVE_DEFAULT && named != hint))
				return BAD("EC PRIVATE KEY: the curve at byte %zu is not supported (secp256k1; P-256 for the "
				           "principal only)", t.off);
			curve = named;
		} else if (t.tag == 0xa1) {
			pub = pubkey_field(&t, &d, 65, 33, &publen);
			if (pub == NULL || (publen == 65 ? pub[0] != 0x04 : pub[0] != 0x02 && pub[0] != 0x03))
				return BAD("EC PRIVATE KEY: malformed public key at byte %zu", t.off);
		} else {
			return BAD("EC PRIVATE KEY: unexpected field 0x%02x at byte %zu", t.tag, t.off);
		}
	}
	if (curve == CURVE_P256) {
		/* no P-256 arithmetic here: the principal comes from the public key in the file */
		if (pub == NULL || publen != 65)
			return BAD("EC PRIVATE KEY: a P-256 key without its uncompressed public key; re-export it with "
			           "OpenSSL (`openssl ec -in KEY -out KEY2`)");
		ic_identity_from_p256_public(id, pub);
		return 0;
	}
	if (ic_identity_from_secp256k1(id, k.p) != 0)
		return BAD("EC PRIVATE KEY: the private key is not a valid secp256k1 scalar");
	if (pub != NULL && !check_pub(id, pub, publen))
		return BAD("EC PRIVATE KEY: the public key does not belong to the private key");
	return 0;
}

/* PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5958). */
static int pkcs8(struct ic_identity *id, const struct tlv *seq, const struct der *outer, char *err, size_t errlen)
{
	struct der d = inside(seq, outer);
	struct tlv v, alg, key, t;
	if (next(&d, &v) != 0 || v.tag != 0x02 || v.len != 1 || v.p[0] > 1)
		return BAD("PRIVATE KEY: expected version 0 or 1 at byte %zu", d.base);
	if (next(&d, &alg) != 0 || alg.tag != 0x30)
		return BAD("PRIVATE KEY: expected an algorithm identifier at byte %zu", d.base + 3);
	struct der a = inside(&alg, &d);
	struct tlv oid, param;
	if (next(&a, &oid) != 0)
		return BAD("PRIVATE KEY: malformed algorithm identifier at byte %zu", alg.off);
	if (next(&d, &key) != 0 || key.tag != 0x04)
		return BAD("PRIVATE KEY: expected the private key OCTET STRING after byte %zu", alg.off);
	if (is(&oid, oid_ed25519, sizeof oid_ed25519)) {
		if (a.pos != a.len)
			return BAD("PRIVATE KEY: unexpected Ed25519 parameters at byte %zu", alg.off);
		/* CurvePrivateKey ::= OCTET STRING (32) */
		if (key.len != 34 || key.p[0] != 0x04 || key.p[1] != 32)
			return BAD("PRIVATE KEY: expected a 32-byte Ed25519 seed at byte %zu", key.off);
		const uint8_t *pub = NULL;
		size_t publen = 0;
		while (d.pos < d.len) { /* [0] attributes are skipped; [1] public key (dfx's v2) */
			if (next(&d, &t) != 0)
				return BAD("PRIVATE KEY: malformed DER at byte %zu", d.base + d.pos);
			if (t.tag == 0xa1 || t.tag == 0x81) {
				pub = pubkey_field(&t, &d, 32, 0, &publen);
				if (pub == NULL)
					return BAD("PRIVATE KEY: malformed Ed25519 public key at byte %zu", t.off);
			} else if (t.tag != 0xa0) {
				return BAD("PRIVATE KEY: unexpected field 0x%02x at byte %zu", t.tag, t.off);
			}
		}
		if (ic_identity_from_ed25519_seed(id, key.p + 2) != 0)
			return BAD("PRIVATE KEY: Ed25519 key setup failed");
		if (pub != NULL && !check_pub(id, pub, 32))
			return BAD("PRIVATE KEY: the Ed25519 public key does not belong to the seed");
		return 0;
	}
	if (is(&oid, oid_ec_public_key, sizeof oid_ec_public_key)) {
		enum curve curve = next(&a, &param) == 0 ? curve_of(&param) : CURVE_DEFAULT;
		if (curve == CURVE_DEFAULT)
			return BAD("PRIVATE KEY: the EC curve at byte %zu is not supported (secp256k1; P-256 for the principal "
			           "only)", alg.off);
		struct der k = inside(&key, &d);
		struct tlv s;
		if (next(&k, &s) != 0 || s.tag != 0x30 || k.pos != k.len)
			return BAD("PRIVATE KEY: malformed EC private key at byte %zu", key.off);
		return sec1(id, &s, &k, curve, err, errlen);
	}
	return BAD("PRIVATE KEY: unsupported key algorithm at byte %zu (Ed25519 and secp256k1 are supported)", oid.off);
}

static const char *find(const char *s, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = s; p != NULL && (size_t)(end - p) >= n; p++)
		if (memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

static const char encrypted_help[] =
	"the PEM file is encrypted; export a plaintext key first, e.g. `dfx identity export NAME > key.pem` "
	"or `icp identity export NAME > key.pem` (keep that file private)";

int ic_identity_from_pem(struct ic_identity *id, const char *pem, size_t len, char *err, size_t errlen)
{
	const char *end = pem + len, *p = pem;
	enum curve hint = CURVE_DEFAULT;
	if (find(pem, end, "ENCRYPTED") != NULL)
		return BAD("%s", encrypted_help);
	for (;;) {
		const char *b = find(p, end, "-----BEGIN ");
		if (b == NULL)
			return BAD("no private key found (expected -----BEGIN EC PRIVATE KEY----- or "
			           "-----BEGIN PRIVATE KEY-----)");
		const char *label = b + 11, *le = find(label, end, "-----");
		if (le == NULL)
			return BAD("malformed PEM header at byte %zu", (size_t)(b - pem));
		size_t ll = (size_t)(le - label);
		char endmark[64];
		if (ll > 40)
			return BAD("malformed PEM header at byte %zu", (size_t)(b - pem));
		snprintf(endmark, sizeof endmark, "-----END %.*s-----", (int)ll, label);
		const char *body = le + 5, *e = find(body, end, endmark);
		if (e == NULL)
			return BAD("PEM block \"%.*s\" at byte %zu has no END line", (int)ll, label, (size_t)(b - pem));
		size_t cap = (size_t)(e - body) / 4 * 3 + 3, dlen = 0;
		uint8_t *der = malloc(cap ? cap : 1);
		if (der == NULL)
			return BAD("out of memory");
		if (sodium_base642bin(der, cap, body, (size_t)(e - body), " \t\r\n", &dlen, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0) {
			free(der);
			return BAD("PEM block \"%.*s\" at byte %zu: invalid base64 (headers are not supported)", (int)ll,
			           label, (size_t)(b - pem));
		}
		int rc;
		struct der d = {der, dlen, 0, 0};
		struct tlv top;
		if (ll == 13 && memcmp(label, "EC PARAMETERS", 13) == 0) {
			hint = next(&d, &top) == 0 && d.pos == d.len ? curve_of(&top) : CURVE_DEFAULT;
			rc = hint != CURVE_DEFAULT ? 1 : BAD("EC PARAMETERS: the curve is not supported (secp256k1; P-256)");
		} else if ((ll == 14 && memcmp(label, "EC PRIVATE KEY", 14) == 0) ||
		           (ll == 11 && memcmp(label, "PRIVATE KEY", 11) == 0)) {
			if (next(&d, &top) != 0 || top.tag != 0x30) {
				rc = BAD("%.*s: not a DER SEQUENCE", (int)ll, label);
			} else if (d.pos != d.len) {
				rc = BAD("%.*s: %zu bytes after the key", (int)ll, label, d.len - d.pos);
			} else {
				rc = ll == 11 ? pkcs8(id, &top, &d, err, errlen) : sec1(id, &top, &d, hint, err, errlen);
			}
		} else {
			rc = BAD("unsupported PEM block \"%.*s\"", (int)ll, label);
		}
		sodium_memzero(der, cap ? cap : 1);
		free(der);
		if (rc <= 0)
			return rc;
		p = e + strlen(endmark); /* EC PARAMETERS: the key follows */
	}
}

int ic_identity_from_file(struct ic_identity *id, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return BAD("%s: cannot open", path);
	char buf[16384];
	size_t n = fread(buf, 1, sizeof buf, f);
	int big = n == sizeof buf, rerr = ferror(f);
	fclose(f);
	if (rerr)
		return BAD("%s: read error", path);
	if (big) {
		sodium_memzero(buf, sizeof buf);
		return BAD("%s: larger than 16 KiB, not a key file", path);
	}
	int rc = ic_identity_from_pem(id, buf, n, err, errlen);
	sodium_memzero(buf, sizeof buf);
	if (rc != 0 && errlen > 0) { /* prefix the file name */
		char tmp[512];
		snprintf(tmp, sizeof tmp, "%s: %s", path, err);
		snprintf(err, errlen, "%s", tmp);
	}
	return rc;
}
