/* request.c - request ids and envelopes (ic-protocol.md §1.2, §2). */
#include "ic/request.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/identity.h"

static void sha(uint8_t out[32], const void *p, size_t n)
{
	crypto_hash_sha256(out, p, n);
}

static int cmp64(const void *a, const void *b)
{
	return memcmp(a, b, 64);
}

int ic_hash_of_value(const struct ic_cbor_doc *d, size_t i, uint8_t out[32])
{
	const struct ic_cbor_item *it = &d->items[i];
	uint8_t t[10];
	switch (it->type) {
	case IC_CBOR_BYTES:
	case IC_CBOR_TEXT:
		sha(out, it->p, (size_t)it->v);
		return 0;
	case IC_CBOR_UINT:
		sha(out, t, ic_leb_encode(it->v, t));
		return 0;
	case IC_CBOR_NEGINT:
		if (it->v > (uint64_t)INT64_MAX)
			return -1;
		sha(out, t, ic_sleb_encode(-1 - (int64_t)it->v, t));
		return 0;
	case IC_CBOR_ARRAY: {
		crypto_hash_sha256_state st;
		crypto_hash_sha256_init(&st);
		size_t c = i + 1;
		for (uint64_t k = 0; k < it->v; k++) {
			uint8_t h[32];
			if (ic_hash_of_value(d, c, h) != 0)
				return -1;
			crypto_hash_sha256_update(&st, h, 32);
			c += d->items[c].size;
		}
		crypto_hash_sha256_final(&st, out);
		return 0;
	}
	case IC_CBOR_MAP: {
		size_t n = (size_t)it->v;
		uint8_t *pairs = malloc(n ? n * 64 : 1);
		if (pairs == NULL)
			return -1;
		size_t c = i + 1;
		for (size_t k = 0; k < n; k++) {
			const struct ic_cbor_item *key = &d->items[c];
			if (key->type != IC_CBOR_TEXT) {
				free(pairs);
				return -1;
			}
			sha(pairs + 64 * k, key->p, (size_t)key->v);
			c += key->size;
			if (ic_hash_of_value(d, c, pairs + 64 * k + 32) != 0) {
				free(pairs);
				return -1;
			}
			c += d->items[c].size;
		}
		qsort(pairs, n, 64, cmp64);
		sha(out, pairs, n * 64);
		free(pairs);
		return 0;
	}
	default:
		return -1;
	}
}

int ic_query_response_hash(const struct ic_cbor_doc *d, size_t resp, const uint8_t rid[32], uint64_t timestamp,
                           uint8_t out[32])
{
	static const char *const keys[] = {"status", "reply", "reject_code", "reject_message", "error_code"};
	uint8_t pairs[7 * 64], t[10];
	size_t n = 0;
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		size_t v = ic_cbor_map_get(d, resp, keys[k]);
		if (v == IC_CBOR_NONE)
			continue;
		sha(pairs + 64 * n, keys[k], strlen(keys[k]));
		if (ic_hash_of_value(d, v, pairs + 64 * n + 32) != 0)
			return -1;
		n++;
	}
	if (n == 0)
		return -1;
	sha(pairs + 64 * n, "timestamp", 9);
	sha(pairs + 64 * n + 32, t, ic_leb_encode(timestamp, t));
	n++;
	sha(pairs + 64 * n, "request_id", 10);
	sha(pairs + 64 * n + 32, rid, 32);
	n++;
	qsort(pairs, n, 64, cmp64);
	sha(out, pairs, n * 64);
	return 0;
}

static const char *type_name(enum ic_request_type t)
{
	return t == IC_REQ_CALL ? "call" : t == IC_REQ_QUERY ? "query" : "read_state";
}

void ic_request_encode_content(const struct ic_request *r, struct ic_buf *b)
{
	size_t n = 3 + (r->nonce_len > 0);
	n += r->type == IC_REQ_READ_STATE ? 1 : 3;
	ic_cbor_put_head(b, 5, n);
	ic_cbor_put_text(b, "request_type");
	ic_cbor_put_text(b, type_name(r->type));
	if (r->type != IC_REQ_READ_STATE) {
		ic_cbor_put_text(b, "canister_id");
		ic_cbor_put_bytes(b, r->canister_id.b, r->canister_id.len);
		ic_cbor_put_text(b, "method_name");
		ic_cbor_put_text(b, r->method);
		ic_cbor_put_text(b, "arg");
		ic_cbor_put_bytes(b, r->arg, r->arg_len);
	} else {
		ic_cbor_put_text(b, "paths");
		ic_cbor_put_head(b, 4, r->npaths);
		for (size_t i = 0; i < r->npaths; i++) {
			ic_cbor_put_head(b, 4, r->paths[i].n);
			for (size_t j = 0; j < r->paths[i].n; j++)
				ic_cbor_put_bytes(b, r->paths[i].labels[j].p, r->paths[i].labels[j].len);
		}
	}
	ic_cbor_put_text(b, "sender");
	ic_cbor_put_bytes(b, r->sender.b, r->sender.len);
	ic_cbor_put_text(b, "ingress_expiry");
	ic_cbor_put_uint(b, r->ingress_expiry);
	if (r->nonce_len > 0) {
		ic_cbor_put_text(b, "nonce");
		ic_cbor_put_bytes(b, r->nonce, r->nonce_len);
	}
}

/* Hash the encoded content through the generic path: one definition of the hash, used for
 * requests and responses alike. */
static int rid_of_encoded(const uint8_t *p, size_t len, uint8_t rid[32])
{
	struct ic_cbor_doc d;
	if (ic_cbor_decode(p, len, NULL, &d, NULL, 0) != 0)
		return -1;
	int rc = ic_hash_of_value(&d, 0, rid);
	ic_cbor_doc_free(&d);
	return rc;
}

int ic_request_id(const struct ic_request *r, uint8_t rid[32])
{
	struct ic_buf b;
	ic_buf_init(&b);
	ic_request_encode_content(r, &b);
	int rc = b.oom ? -1 : rid_of_encoded(b.p, b.len, rid);
	ic_buf_free(&b);
	return rc;
}

int ic_envelope_build(const struct ic_request *r, const struct ic_identity *id, struct ic_buf *out,
                      uint8_t rid[32], char *err, size_t errlen)
{
	/* the content is encoded in place and its request id computed there: an upload's 2 MB
	 * argument is copied once, into a buffer sized for it at once */
	int anon = id == NULL || id->kind == IC_IDENTITY_ANONYMOUS;
	(void)ic_buf_reserve(out, 512 + (r->type != IC_REQ_READ_STATE ? r->arg_len : 0));
	ic_cbor_put_self_describe(out);
	ic_cbor_put_head(out, 5, anon ? 1 : 3);
	ic_cbor_put_text(out, "content");
	size_t at = out->len;
	ic_request_encode_content(r, out);
	if (out->oom || rid_of_encoded(out->p + at, out->len - at, rid) != 0) {
		snprintf(err, errlen, "request: out of memory");
		return -1;
	}
	if (!anon) {
		uint8_t msg[IC_SEP_REQUEST_LEN + 32], sig[64];
		memcpy(msg, IC_SEP_REQUEST, IC_SEP_REQUEST_LEN);
		memcpy(msg + IC_SEP_REQUEST_LEN, rid, 32);
		if (ic_identity_sign(id, msg, sizeof msg, sig) != 0) {
			snprintf(err, errlen, id->kind == IC_IDENTITY_P256 ?
			         "request: P-256 keys cannot sign here; use a secp256k1 or Ed25519 identity" : "request: signing failed");
			return -1;
		}
		ic_cbor_put_text(out, "sender_pubkey");
		ic_cbor_put_bytes(out, id->der, id->der_len);
		ic_cbor_put_text(out, "sender_sig");
		ic_cbor_put_bytes(out, sig, 64);
	}
	if (out->oom) {
		snprintf(err, errlen, "request: out of memory");
		return -1;
	}
	return 0;
}

uint64_t ic_ingress_expiry(uint64_t now_ns, uint64_t ttl_ns)
{
	const uint64_t s = 1000000000ULL, min = 60 * s;
	uint64_t e = now_ns + ttl_ns;
	uint64_t rounded = e / min * min;
	if (rounded >= now_ns + min)
		return rounded;
	return e / s * s;
}
