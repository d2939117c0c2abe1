/* chunk.c - one chunk to one CHUNK record and back: zero-run detection, XXH3-128, zstd,
 * XChaCha20-Poly1305 (spec/FORMAT.md: CHUNK). Runs on worker threads: no shared state. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack and in handles */
#include <xxhash.h>
#include <zstd.h>

#include "private.h"

struct chunk_ctx {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	int level;
	/* XXH3-128 of the last all-zero length seen: canister memories are mostly zero runs, and
	 * their hash is the same every time (the zero check reads faster than XXH3 hashes) */
	uint32_t zero_len;
	uint8_t zero_hash[WIRE_HASH_LEN];
};

struct chunk_ctx *Icarc_chunk_ctx_new(int level)
{
	struct chunk_ctx *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->cctx = ZSTD_createCCtx();
	c->dctx = ZSTD_createDCtx();
	c->level = level;
	if (c->cctx == NULL || c->dctx == NULL ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(c->dctx, ZSTD_d_windowLogMax, 24))) {
		Icarc_chunk_ctx_free(c);
		return NULL;
	}
	return c;
}

void Icarc_chunk_ctx_free(struct chunk_ctx *c)
{
	if (c == NULL)
		return;
	ZSTD_freeCCtx(c->cctx);
	ZSTD_freeDCtx(c->dctx);
	free(c);
}

size_t Icarc_chunk_record_max(uint32_t chunk_size)
{
	size_t bound = ZSTD_compressBound(chunk_size);
	if (bound < chunk_size)
		bound = chunk_size;
	return WIRE_RECORD_HDR + WIRE_CHUNK_PREFIX + WIRE_SEAL_OVERHEAD + WIRE_HASH_LEN + bound;
}

static void hash128(uint8_t out[WIRE_HASH_LEN], const uint8_t *p, size_t n)
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(p, n));
	memcpy(out, c.digest, WIRE_HASH_LEN);
}

/* The hash of `n` zero bytes: computed once per length and worker. */
static void zero_hash128(struct chunk_ctx *cc, uint8_t out[WIRE_HASH_LEN], uint32_t n)
{
	static const uint8_t zeros[65536];
	if (cc->zero_len != n || n == 0) {
		XXH3_state_t st;
		XXH3_INITSTATE(&st);
		XXH3_128bits_reset(&st);
		for (uint32_t left = n; left;) {
			uint32_t k = left < sizeof zeros ? left : (uint32_t)sizeof zeros;
			XXH3_128bits_update(&st, zeros, k);
			left -= k;
		}
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(&st));
		memcpy(cc->zero_hash, c.digest, WIRE_HASH_LEN);
		cc->zero_len = n;
	}
	memcpy(out, cc->zero_hash, WIRE_HASH_LEN);
}

size_t Icarc_chunk_seal(struct chunk_ctx *cc, const struct icarc_keys *k, const uint8_t id[WIRE_ID_LEN],
                        const struct wire_chunk *c, const uint8_t *plain, uint8_t *rec, struct wire_row *row)
{
	size_t nonce = k ? WIRE_NONCE_LEN : 0;
	uint8_t *msg = rec + WIRE_RECORD_HDR + WIRE_CHUNK_PREFIX + nonce; /* Hash || Data */
	uint8_t *data = msg + WIRE_HASH_LEN;
	size_t data_len;
	unsigned codec;

	if (plain == NULL || Icarc_all_zero(plain, c->plain_len)) { /* NULL: known zero (writer.c) */
		zero_hash128(cc, msg, c->plain_len);
		codec = ICARC_CODEC_ZERO;
		data_len = 0;
	} else {
		hash128(msg, plain, c->plain_len);
		size_t cap = ZSTD_compressBound(c->plain_len);
		size_t z = ZSTD_compress2(cc->cctx, data, cap, plain, c->plain_len);
		if (!ZSTD_isError(z) && z < c->plain_len) {
			codec = ICARC_CODEC_ZSTD;
			data_len = z;
		} else {
			codec = ICARC_CODEC_RAW; /* did not shrink: store as is */
			memcpy(data, plain, c->plain_len);
			data_len = c->plain_len;
		}
	}
	struct wire_chunk hdr = *c;
	hdr.flags = (uint8_t)((c->flags & WIRE_CF_LAST) | codec);
	uint8_t *prefix = rec + WIRE_RECORD_HDR;
	wire_chunk_encode(prefix, &hdr);
	size_t msg_len = WIRE_HASH_LEN + data_len;
	uint32_t body_len = (uint32_t)(WIRE_CHUNK_PREFIX + msg_len + (k ? WIRE_SEAL_OVERHEAD : 0));
	struct wire_record r = {WIRE_CHUNK, k ? WIRE_RF_SEALED : 0, body_len, 0};
	wire_record_encode(rec, &r);

	memcpy(row->hash, msg, WIRE_HASH_LEN);
	if (k) {
		uint8_t ad[WIRE_ID_LEN + 8 + WIRE_CHUNK_PREFIX];
		size_t ad_len = Icarc_ad(ad, id, rec, prefix, WIRE_CHUNK_PREFIX);
		Icarc_seal_placed(k, prefix + WIRE_CHUNK_PREFIX, msg_len, ad, ad_len); /* nonce: the writer's */
	}
	Icarc_record_finish(rec, WIRE_CHUNK, r.flags, body_len, wire_seed(id));
	row->entry = c->entry;
	row->flags = hdr.flags;
	row->index = c->index;
	row->plain_len = c->plain_len;
	row->stored_size = WIRE_RECORD_HDR + body_len;
	return WIRE_RECORD_HDR + body_len;
}

int Icarc_chunk_open(struct chunk_ctx *cc, const struct icarc_keys *k, const uint8_t id[WIRE_ID_LEN], uint8_t *rec,
                     size_t rec_len, const struct wire_chunk *c, uint8_t *plain, uint8_t hash_out[WIRE_HASH_LEN],
                     char *why, size_t why_len)
{
	uint8_t *prefix = rec + WIRE_RECORD_HDR;
	uint8_t *msg = prefix + WIRE_CHUNK_PREFIX;
	size_t msg_len = rec_len - WIRE_RECORD_HDR - WIRE_CHUNK_PREFIX;
	unsigned codec = c->flags & WIRE_CF_CODEC_MASK;

	if (codec == ICARC_CODEC_PARENT) {
		snprintf(why, why_len, "chunk refers to a parent archive (reserved for incremental archives, not in version 1)");
		return ICARC_E_VERSION;
	}
	if (codec > ICARC_CODEC_PARENT) {
		snprintf(why, why_len, "unknown chunk codec %u", codec);
		return ICARC_E_VERSION;
	}
	if (k) {
		uint8_t ad[WIRE_ID_LEN + 8 + WIRE_CHUNK_PREFIX];
		size_t ad_len = Icarc_ad(ad, id, rec, prefix, WIRE_CHUNK_PREFIX);
		if (Icarc_open(k, msg, msg_len, ad, ad_len) != 0) {
			snprintf(why, why_len, "chunk does not authenticate (modified, moved, or from another archive)");
			return ICARC_E_AUTH;
		}
		msg += WIRE_NONCE_LEN;
		msg_len -= WIRE_SEAL_OVERHEAD;
	}
	if (msg_len < WIRE_HASH_LEN) {
		snprintf(why, why_len, "chunk record too short for its hash");
		return ICARC_E_FORMAT;
	}
	const uint8_t *data = msg + WIRE_HASH_LEN;
	size_t data_len = msg_len - WIRE_HASH_LEN;
	switch (codec) {
	case ICARC_CODEC_RAW:
		if (data_len != c->plain_len) {
			snprintf(why, why_len, "raw chunk holds %zu bytes, Plain_Length says %u", data_len, c->plain_len);
			return ICARC_E_FORMAT;
		}
		memcpy(plain, data, data_len);
		break;
	case ICARC_CODEC_ZERO:
		if (data_len != 0) {
			snprintf(why, why_len, "zero-run chunk carries %zu data bytes", data_len);
			return ICARC_E_FORMAT;
		}
		if (plain) /* NULL: the caller writes the zeros where they go (reader.c) */
			memset(plain, 0, c->plain_len);
		zero_hash128(cc, hash_out, c->plain_len);
		goto hashed;
	default: { /* ICARC_CODEC_ZSTD */
		unsigned long long fcs = ZSTD_getFrameContentSize(data, data_len);
		if (fcs != c->plain_len || ZSTD_findFrameCompressedSize(data, data_len) != data_len) {
			snprintf(why, why_len, "zstd frame does not hold exactly one frame of %u bytes", c->plain_len);
			return ICARC_E_CODEC;
		}
		size_t z = ZSTD_decompressDCtx(cc->dctx, plain, c->plain_len, data, data_len);
		if (ZSTD_isError(z) || z != c->plain_len) {
			snprintf(why, why_len, "zstd: %s", ZSTD_isError(z) ? ZSTD_getErrorName(z) : "short output");
			return ICARC_E_CODEC;
		}
		break;
	}
	}
	hash128(hash_out, plain, c->plain_len);
hashed:
	if (memcmp(hash_out, msg, WIRE_HASH_LEN) != 0) {
		snprintf(why, why_len, "XXH3-128 of the chunk's plaintext does not match");
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
		return ICARC_E_CHECKSUM;
#endif
	}
	return ICARC_OK;
}
