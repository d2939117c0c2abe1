/* wire.h - the on-disk records of spec/FORMAT.md: constants, and I/O-free encoders and decoders.
 * Nothing here includes zstd or libsodium; every decoder bounds-checks against the bytes given. */
#ifndef ICARC_WIRE_H
#define ICARC_WIRE_H
#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC "\x89ICARC\r\n"     /* 8 bytes, first in the file */
#define WIRE_MAGIC_LEN 8U
#define WIRE_FOOTER_MAGIC "ICARCEOF"   /* 8 bytes, last in the file */
#define WIRE_FOOTER_LEN 64U
#define WIRE_RECORD_HDR 16U            /* Type, Flags, Reserved, Body_Length, Checksum */

/* Record types (spec: Record_Type). */
enum wire_type {
	WIRE_HEADER = 0x01,
	WIRE_ENTRY = 0x02,
	WIRE_CHUNK = 0x03,
	WIRE_META = 0x04,
	WIRE_SEGMENT = 0x05,
	WIRE_INDEX = 0x06
};
/* Record flags. Bits 2-7 are reserved: must be zero. */
#define WIRE_RF_OPTIONAL 0x01U /* a reader that does not know the type skips the record */
#define WIRE_RF_SEALED 0x02U   /* the body ends with a sealed (encrypted) part */
#define WIRE_RF_RESERVED 0xfcU

/* Header_Flags. */
#define WIRE_HF_ENCRYPTED 0x0001U
#define WIRE_HF_RESERVED 0xfffeU

#define WIRE_HASH_XXH3_128 1U
#define WIRE_CIPHER_NONE 0U
#define WIRE_CIPHER_XCHACHA20POLY1305 1U
#define WIRE_COMPRESSION_ZSTD 1U

/* Stanzas: how the file key is wrapped. */
#define WIRE_STANZA_X25519 1U
#define WIRE_STANZA_ARGON2ID 2U
#define WIRE_X25519_STANZA_LEN 80U   /* crypto_box_seal of the 32-byte file key */
#define WIRE_ARGON2ID_STANZA_LEN 96U /* Salt 16, Opslimit 4, Memlimit_KiB 4, Nonce 24, Wrapped 48 */
#define WIRE_MAX_STANZAS 64U

/* Chunk_Flags: bits 0-2 codec, bit 3 last chunk of the entry, bits 4-7 reserved. */
#define WIRE_CF_CODEC_MASK 0x07U
#define WIRE_CF_LAST 0x08U
#define WIRE_CF_RESERVED 0xf0U

#define WIRE_HEADER_FIXED 32U  /* HEADER body before its stanzas */
#define WIRE_ENTRY_PREFIX 8U   /* Entry_Id, Reserved */
#define WIRE_CHUNK_PREFIX 32U  /* Entry_Id, Chunk_Flags, Reserved, Chunk_Index, Logical_Offset, Plain_Length, Reserved */
#define WIRE_META_PREFIX 8U    /* Meta_Seq, Reserved */
#define WIRE_SEGMENT_PREFIX 8U /* Segment_Seq, Row_Count */
#define WIRE_INDEX_PREFIX 24U  /* Entry_Count, Segment_Count, Meta_Count, Reserved, Total_Chunks */
#define WIRE_ROW_LEN 48U       /* one chunk in an index segment */
#define WIRE_ENTRY_ROW_LEN 40U /* one entry in the index, before its name */
#define WIRE_SEGREF_LEN 32U    /* one segment reference in the index */
#define WIRE_METAREF_LEN 16U   /* one metadata record reference in the index */
#define WIRE_SEGMENT_ROWS 4096U
#define WIRE_HASH_LEN 16U
#define WIRE_ID_LEN 16U
#define WIRE_NONCE_LEN 24U
#define WIRE_TAG_LEN 16U
#define WIRE_SEAL_OVERHEAD (WIRE_NONCE_LEN + WIRE_TAG_LEN)
#define WIRE_MAC_LEN 32U
#define WIRE_NAME_MAX 4096U
#define WIRE_META_KEY_MAX 255U
#define WIRE_META_VALUE_MAX (1U << 20)

static inline void wire_put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void wire_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void wire_put64(uint8_t *p, uint64_t v) { wire_put32(p, (uint32_t)v); wire_put32(p + 4, (uint32_t)(v >> 32)); }
static inline uint32_t wire_get16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t wire_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t wire_get64(const uint8_t *p) { return (uint64_t)wire_get32(p) | (uint64_t)wire_get32(p + 4) << 32; }

/* The 16-byte header of every record. */
struct wire_record {
	uint8_t type, flags;
	uint32_t length;   /* Body_Length */
	uint64_t checksum; /* XXH3-64 over header bytes 0..7 and the body, seeded (see wire_seed) */
};
void wire_record_encode(uint8_t out[WIRE_RECORD_HDR], const struct wire_record *r);
/* 0, or -1 when a reserved bit or field is not zero. */
int wire_record_decode(const uint8_t in[WIRE_RECORD_HDR], struct wire_record *r);
/* Checksum seed: 0 for the HEADER record, else the archive id's first 8 bytes read little-endian. */
uint64_t wire_seed(const uint8_t id[WIRE_ID_LEN]);

struct wire_header {
	uint16_t version, flags;
	uint8_t id[WIRE_ID_LEN];
	uint32_t chunk_size;
	uint8_t hash_alg, cipher, compression;
	uint16_t n_stanzas;
};
void wire_header_encode(uint8_t out[WIRE_HEADER_FIXED], const struct wire_header *h);
/* 0, or a negative ICARC_E_* status (FORMAT for a bad field, VERSION for unknown values). */
int wire_header_decode(const uint8_t *in, size_t n, struct wire_header *h, const char **why);

struct wire_chunk {
	uint32_t entry;
	uint8_t flags;
	uint64_t index, offset;
	uint32_t plain_len;
};
void wire_chunk_encode(uint8_t out[WIRE_CHUNK_PREFIX], const struct wire_chunk *c);
int wire_chunk_decode(const uint8_t in[WIRE_CHUNK_PREFIX], struct wire_chunk *c);

/* A chunk row of an index segment. */
struct wire_row {
	uint32_t entry;
	uint8_t flags;
	uint64_t index, stored_offset;
	uint32_t stored_size, plain_len;
	uint8_t hash[WIRE_HASH_LEN];
};
void wire_row_encode(uint8_t out[WIRE_ROW_LEN], const struct wire_row *r);
int wire_row_decode(const uint8_t in[WIRE_ROW_LEN], struct wire_row *r);

/* An entry of the index (followed by Name_Length bytes of name). */
struct wire_entry_row {
	uint32_t id;
	uint16_t name_len;
	uint64_t size, chunks, record_offset;
	uint32_t first_segment;
};
void wire_entry_row_encode(uint8_t out[WIRE_ENTRY_ROW_LEN], const struct wire_entry_row *e);
int wire_entry_row_decode(const uint8_t in[WIRE_ENTRY_ROW_LEN], struct wire_entry_row *e);

struct wire_segref {
	uint64_t offset;
	uint32_t size, rows, first_entry;
	uint64_t first_chunk;
};
void wire_segref_encode(uint8_t out[WIRE_SEGREF_LEN], const struct wire_segref *s);
int wire_segref_decode(const uint8_t in[WIRE_SEGREF_LEN], struct wire_segref *s);

struct wire_footer {
	uint64_t index_offset, index_size, record_count, records_digest;
	uint8_t id[WIRE_ID_LEN];
};
/* The footer's own checksum and magic are written and checked here. */
void wire_footer_encode(uint8_t out[WIRE_FOOTER_LEN], const struct wire_footer *f);
int wire_footer_decode(const uint8_t in[WIRE_FOOTER_LEN], struct wire_footer *f, const char **why);
#endif
