/* wire.c - encoders and decoders of the fixed-layout parts of spec/FORMAT.md. */
#include "config.h"

#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack and in handles */
#include <xxhash.h>

#include "icarc.h"
#include "wire.h"

uint64_t wire_seed(const uint8_t id[WIRE_ID_LEN])
{
	return wire_get64(id);
}

void wire_record_encode(uint8_t out[WIRE_RECORD_HDR], const struct wire_record *r)
{
	out[0] = r->type;
	out[1] = r->flags;
	wire_put16(out + 2, 0);
	wire_put32(out + 4, r->length);
	wire_put64(out + 8, r->checksum);
}

int wire_record_decode(const uint8_t in[WIRE_RECORD_HDR], struct wire_record *r)
{
	r->type = in[0];
	r->flags = in[1];
	r->length = wire_get32(in + 4);
	r->checksum = wire_get64(in + 8);
	if ((r->flags & WIRE_RF_RESERVED) != 0 || wire_get16(in + 2) != 0)
		return -1;
	return 0;
}

void wire_header_encode(uint8_t out[WIRE_HEADER_FIXED], const struct wire_header *h)
{
	memset(out, 0, WIRE_HEADER_FIXED);
	wire_put16(out, h->version);
	wire_put16(out + 2, h->flags);
	memcpy(out + 4, h->id, WIRE_ID_LEN);
	wire_put32(out + 20, h->chunk_size);
	out[24] = h->hash_alg;
	out[25] = h->cipher;
	out[26] = h->compression;
	wire_put16(out + 28, h->n_stanzas);
}

int wire_header_decode(const uint8_t *in, size_t n, struct wire_header *h, const char **why)
{
	if (n < WIRE_HEADER_FIXED) {
		*why = "HEADER record shorter than its fixed fields";
		return ICARC_E_FORMAT;
	}
	h->version = (uint16_t)wire_get16(in);
	h->flags = (uint16_t)wire_get16(in + 2);
	memcpy(h->id, in + 4, WIRE_ID_LEN);
	h->chunk_size = wire_get32(in + 20);
	h->hash_alg = in[24];
	h->cipher = in[25];
	h->compression = in[26];
	h->n_stanzas = (uint16_t)wire_get16(in + 28);
	if (h->version != ICARC_FORMAT_VERSION) {
		*why = "Format_Version is not 1";
		return ICARC_E_VERSION;
	}
	if ((h->flags & WIRE_HF_RESERVED) != 0) {
		*why = "reserved Header_Flags bit set";
		return ICARC_E_VERSION;
	}
	if (in[27] != 0 || wire_get16(in + 30) != 0) {
		*why = "reserved HEADER field not zero";
		return ICARC_E_FORMAT;
	}
	if (h->chunk_size < ICARC_CHUNK_ALIGN || h->chunk_size > ICARC_CHUNK_MAX || h->chunk_size % ICARC_CHUNK_ALIGN) {
		*why = "Chunk_Size is not a multiple of 64 KiB between 64 KiB and 16 MiB";
		return ICARC_E_FORMAT;
	}
	if (h->hash_alg != WIRE_HASH_XXH3_128 || h->compression != WIRE_COMPRESSION_ZSTD) {
		*why = "unknown Hash_Algorithm or Compression";
		return ICARC_E_VERSION;
	}
	int enc = (h->flags & WIRE_HF_ENCRYPTED) != 0;
	if ((enc && h->cipher != WIRE_CIPHER_XCHACHA20POLY1305) || (!enc && h->cipher != WIRE_CIPHER_NONE)) {
		*why = "Cipher does not match the Encrypted flag";
		return enc && h->cipher != WIRE_CIPHER_NONE ? ICARC_E_VERSION : ICARC_E_FORMAT;
	}
	if ((enc && h->n_stanzas == 0) || (!enc && h->n_stanzas != 0) || h->n_stanzas > WIRE_MAX_STANZAS) {
		*why = "Stanza_Count does not fit the mode (1..64 when encrypted, 0 otherwise)";
		return ICARC_E_FORMAT;
	}
	return 0;
}

void wire_chunk_encode(uint8_t out[WIRE_CHUNK_PREFIX], const struct wire_chunk *c)
{
	memset(out, 0, WIRE_CHUNK_PREFIX);
	wire_put32(out, c->entry);
	out[4] = c->flags;
	wire_put64(out + 8, c->index);
	wire_put64(out + 16, c->offset);
	wire_put32(out + 24, c->plain_len);
}

int wire_chunk_decode(const uint8_t in[WIRE_CHUNK_PREFIX], struct wire_chunk *c)
{
	c->entry = wire_get32(in);
	c->flags = in[4];
	c->index = wire_get64(in + 8);
	c->offset = wire_get64(in + 16);
	c->plain_len = wire_get32(in + 24);
	if (in[5] | in[6] | in[7] || wire_get32(in + 28) != 0)
		return -1;
	return 0;
}

void wire_row_encode(uint8_t out[WIRE_ROW_LEN], const struct wire_row *r)
{
	memset(out, 0, WIRE_ROW_LEN);
	wire_put32(out, r->entry);
	out[4] = r->flags;
	wire_put64(out + 8, r->index);
	wire_put64(out + 16, r->stored_offset);
	wire_put32(out + 24, r->stored_size);
	wire_put32(out + 28, r->plain_len);
	memcpy(out + 32, r->hash, WIRE_HASH_LEN);
}

int wire_row_decode(const uint8_t in[WIRE_ROW_LEN], struct wire_row *r)
{
	r->entry = wire_get32(in);
	r->flags = in[4];
	r->index = wire_get64(in + 8);
	r->stored_offset = wire_get64(in + 16);
	r->stored_size = wire_get32(in + 24);
	r->plain_len = wire_get32(in + 28);
	memcpy(r->hash, in + 32, WIRE_HASH_LEN);
	return (in[5] | in[6] | in[7]) ? -1 : 0;
}

void wire_entry_row_encode(uint8_t out[WIRE_ENTRY_ROW_LEN], const struct wire_entry_row *e)
{
	memset(out, 0, WIRE_ENTRY_ROW_LEN);
	wire_put32(out, e->id);
	wire_put16(out + 4, e->name_len);
	wire_put64(out + 8, e->size);
	wire_put64(out + 16, e->chunks);
	wire_put64(out + 24, e->record_offset);
	wire_put32(out + 32, e->first_segment);
}

int wire_entry_row_decode(const uint8_t in[WIRE_ENTRY_ROW_LEN], struct wire_entry_row *e)
{
	e->id = wire_get32(in);
	e->name_len = (uint16_t)wire_get16(in + 4);
	e->size = wire_get64(in + 8);
	e->chunks = wire_get64(in + 16);
	e->record_offset = wire_get64(in + 24);
	e->first_segment = wire_get32(in + 32);
	return (wire_get16(in + 6) != 0 || wire_get32(in + 36) != 0) ? -1 : 0;
}

void wire_segref_encode(uint8_t out[WIRE_SEGREF_LEN], const struct wire_segref *s)
{
	memset(out, 0, WIRE_SEGREF_LEN);
	wire_put64(out, s->offset);
	wire_put32(out + 8, s->size);
	wire_put32(out + 12, s->rows);
	wire_put32(out + 16, s->first_entry);
	wire_put64(out + 24, s->first_chunk);
}

int wire_segref_decode(const uint8_t in[WIRE_SEGREF_LEN], struct wire_segref *s)
{
	s->offset = wire_get64(in);
	s->size = wire_get32(in + 8);
	s->rows = wire_get32(in + 12);
	s->first_entry = wire_get32(in + 16);
	s->first_chunk = wire_get64(in + 24);
	return wire_get32(in + 20) != 0 ? -1 : 0;
}

void wire_footer_encode(uint8_t out[WIRE_FOOTER_LEN], const struct wire_footer *f)
{
	wire_put64(out, f->index_offset);
	wire_put64(out + 8, f->index_size);
	wire_put64(out + 16, f->record_count);
	wire_put64(out + 24, f->records_digest);
	memcpy(out + 32, f->id, WIRE_ID_LEN);
	wire_put64(out + 48, XXH3_64bits(out, 48));
	memcpy(out + 56, WIRE_FOOTER_MAGIC, 8);
}

int wire_footer_decode(const uint8_t in[WIRE_FOOTER_LEN], struct wire_footer *f, const char **why)
{
	if (memcmp(in + 56, WIRE_FOOTER_MAGIC, 8) != 0) {
		*why = "no footer magic at the end (cut, or not an icarc archive)";
		return ICARC_E_TRUNCATED;
	}
	if (wire_get64(in + 48) != XXH3_64bits(in, 48)) {
		*why = "footer checksum mismatch";
		return ICARC_E_CHECKSUM;
	}
	f->index_offset = wire_get64(in);
	f->index_size = wire_get64(in + 8);
	f->record_count = wire_get64(in + 16);
	f->records_digest = wire_get64(in + 24);
	memcpy(f->id, in + 32, WIRE_ID_LEN);
	return 0;
}
