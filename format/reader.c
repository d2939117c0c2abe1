/* reader.c - the streaming archive reader (spec/FORMAT.md: Reading a stream).
 *
 * The parser walks records as bytes arrive and appends "items" to a FIFO: chunks (decoded by the
 * worker pool, straight from the slot the record was read into), entry boundaries, index segments,
 * the index, errors. Items leave the FIFO strictly in file order, so plaintext is released only from
 * chunks that authenticated, an error surfaces after every good byte before it (salvage), and checks
 * that need plaintext hashes (segments, index) run when every chunk before them is decoded. */
#include "config.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack and in handles */
#include <xxhash.h>

#include "private.h"

#define READER_MAGIC 0x52454144u
#define BODY_MAX_SMALL (16U << 20) /* any record other than CHUNK and INDEX */
#define FIFO_MAX 64

enum phase { P_MAGIC, P_RECHDR, P_BODY, P_FOOTER, P_END, P_STOP };
enum item_kind { I_CHUNK, I_ENTRY, I_ENTRY_END, I_SEGMENT, I_INDEX, I_END, I_ERROR };

struct rslot {
	struct pool_job job;
	struct icarc_reader *r;
	uint8_t *rec, *plain;
	size_t rec_len;
	struct wire_chunk c;
	int status; /* of the decode */
	int skip;   /* record checksum failed (keep-going): nothing to decode */
	uint8_t hash[WIRE_HASH_LEN];
	char why[160];
};

struct item {
	enum item_kind kind;
	struct rslot *slot;  /* I_CHUNK with a decode */
	struct wire_row row; /* I_CHUNK */
	uint32_t entry;
	uint8_t *data;       /* I_SEGMENT rows / I_INDEX body, owned */
	size_t len;
	uint64_t offset;     /* archive offset of the record */
	uint32_t count;      /* I_SEGMENT: rows; I_INDEX: entries */
	int status;          /* I_ERROR */
	char *msg;           /* I_ERROR, owned */
	size_t delivered;    /* I_CHUNK: plaintext bytes released */
};

struct rentry {
	char *name;
	uint64_t size, chunks, record_offset;
	uint32_t first_segment;
	int closed;
	int damaged; /* a chunk was reported bad: its size is not known for sure */
};

struct icarc_reader {
	uint32_t magic;
	int fatal;
	struct icarc_err err;
	int workers, no_key, keep_going;
	uint64_t max_entries, max_kdf_mem;
	struct icarc_keyring kr;

	enum phase phase;
	uint8_t hdr[WIRE_MAGIC_LEN + WIRE_RECORD_HDR];
	size_t hdr_have;
	struct wire_record rec;
	int rec_damaged; /* reserved header bits set (verify mode reads on) */
	uint64_t rec_offset, consumed;
	uint8_t *body, *target; /* target: where the body goes (body, or a slot's record) */
	size_t body_cap, body_have;
	struct rslot *target_slot;
	uint8_t foot[WIRE_FOOTER_LEN];
	size_t foot_have;

	struct header_info hi;
	int encrypted;
	struct icarc_keys *keys;
	uint64_t seed;
	uint64_t records;
	XXH3_state_t *digest; /* XXH3_createState: the state wants 64-byte alignment */

	struct rentry *entries;
	size_t n_entries, cap_entries;
	int entry_open;
	uint64_t next_index;
	uint32_t segments, metas; /* parsed */
	uint32_t segments_checked; /* released */
	struct wire_segref *segs;
	struct { uint64_t offset; uint32_t size; } *metarefs;
	struct meta_map meta;
	uint64_t total_chunks;
	uint64_t index_offset, index_size;

	/* rows since the last segment, as delivered (hashes known) */
	struct wire_row *rows;
	size_t n_rows;
	int *row_bad;

	int read_ahead; /* Icarc_reader_read_ahead: NEED_INPUT rather than wait while slots are free */
	int view;       /* inside Icarc_reader_pull_view */
	const uint8_t *view_p;
	size_t view_n;
	struct item fifo[FIFO_MAX];
	size_t f_head, f_len;
	struct pool *pool;
	struct chunk_ctx *cc; /* this thread's: zero runs */
	struct rslot *slots;
	size_t nslots, s_head, s_used;

	/* what the caller sees */
	size_t out_entry;
	int have_out_entry;
	uint64_t out_size;
	struct { size_t entry; uint64_t start, end; int status; } bad;
};

#define CHECK(r)                                                 \
	do {                                                     \
		if ((r) == NULL || (r)->magic != READER_MAGIC)   \
			return ICARC_E_USAGE;                    \
		if ((r)->fatal)                                  \
			return (r)->err.status;                  \
	} while (0)

static int fatal(struct icarc_reader *r, int status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
static int fatal(struct icarc_reader *r, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err.msg, sizeof r->err.msg, fmt, ap);
	va_end(ap);
	r->err.status = status;
	r->fatal = 1;
	return status;
}

struct icarc_reader *icarc_reader_new(void)
{
	struct icarc_reader *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->magic = READER_MAGIC;
	r->workers = -1;
	r->max_entries = ICARC_DEFAULT_MAX_ENTRIES;
	r->max_kdf_mem = ICARC_DEFAULT_MAX_KDF_MEM;
	r->digest = XXH3_createState();
	if (r->digest == NULL) {
		free(r);
		return NULL;
	}
	XXH3_64bits_reset(r->digest);
	return r;
}

int icarc_reader_set_option(struct icarc_reader *r, enum icarc_option opt, int64_t v)
{
	CHECK(r);
	if (r->phase != P_MAGIC || r->hdr_have)
		return Icarc_set_error(&r->err, ICARC_E_USAGE, "options must be set before reading");
	switch (opt) {
	case ICARC_OPT_WORKERS:
		if (v < 0 || v > 64)
			return Icarc_set_error(&r->err, ICARC_E_USAGE, "workers must be 0..64");
		r->workers = (int)v;
		return ICARC_OK;
	case ICARC_OPT_NO_KEY: r->no_key = v != 0; return ICARC_OK;
	case ICARC_OPT_KEEP_GOING: r->keep_going = v != 0; return ICARC_OK;
	case ICARC_OPT_MAX_ENTRIES:
		if (v < 1)
			return Icarc_set_error(&r->err, ICARC_E_USAGE, "max entries must be >= 1");
		r->max_entries = (uint64_t)v;
		return ICARC_OK;
	case ICARC_OPT_MAX_KDF_MEM:
		if (v < 1)
			return Icarc_set_error(&r->err, ICARC_E_USAGE, "max KDF memory must be >= 1");
		r->max_kdf_mem = (uint64_t)v;
		return ICARC_OK;
	default:
		return Icarc_set_error(&r->err, ICARC_E_USAGE, "option does not apply to a reader");
	}
}

int icarc_reader_add_identity(struct icarc_reader *r, const unsigned char sk[ICARC_SECRETKEYBYTES])
{
	CHECK(r);
	return sk ? Icarc_keyring_add_sk(&r->kr, sk) : ICARC_E_USAGE;
}

int icarc_reader_add_passphrase(struct icarc_reader *r, const char *pass, size_t len)
{
	CHECK(r);
	return pass ? Icarc_keyring_add_pass(&r->kr, pass, len) : ICARC_E_USAGE;
}

/* ---- the FIFO ---- */

static struct item *push_item(struct icarc_reader *r, enum item_kind kind)
{
	struct item *it = &r->fifo[(r->f_head + r->f_len++) % FIFO_MAX];
	memset(it, 0, sizeof *it);
	it->kind = kind;
	return it;
}

static void free_item(struct item *it)
{
	free(it->data);
	free(it->msg);
	it->data = NULL;
	it->msg = NULL;
}

/* Queue an error behind everything before it; parsing stops. */
static int queue_error(struct icarc_reader *r, int status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
static int queue_error(struct icarc_reader *r, int status, const char *fmt, ...)
{
	char buf[ICARC_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	struct item *it = push_item(r, I_ERROR);
	it->status = status;
	it->msg = strdup(buf);
	r->phase = P_STOP;
	return ICARC_OK;
}

/* ---- decoding on the workers ---- */

static void *make_ctx(void *arg)
{
	(void)arg;
	return Icarc_chunk_ctx_new(1);
}

static void free_ctx(void *c)
{
	Icarc_chunk_ctx_free(c);
}

static void run_slot(struct pool_job *job, void *ctx)
{
	struct rslot *s = (struct rslot *)job;
	/* a zero run is not written to the slot: release() writes the zeros into the caller's buffer */
	uint8_t *plain = (s->c.flags & WIRE_CF_CODEC_MASK) == ICARC_CODEC_ZERO ? NULL : s->plain;
	s->status = Icarc_chunk_open(ctx, s->r->keys, s->r->hi.h.id, s->rec, s->rec_len, &s->c, plain, s->hash, s->why,
	                             sizeof s->why);
}

static int setup_slots(struct icarc_reader *r)
{
	unsigned workers = r->workers < 0 ? Icarc_cpu_count() : (unsigned)r->workers;
	r->nslots = workers ? 2 * workers + 1 : 1;
	if (r->nslots > FIFO_MAX / 4)
		r->nslots = FIFO_MAX / 4;
	r->slots = calloc(r->nslots, sizeof *r->slots);
	r->rows = malloc(WIRE_SEGMENT_ROWS * sizeof *r->rows);
	r->row_bad = calloc(WIRE_SEGMENT_ROWS, sizeof *r->row_bad);
	if (r->slots == NULL || r->rows == NULL || r->row_bad == NULL)
		return fatal(r, ICARC_E_NOMEM, "out of memory");
	size_t rec_max = Icarc_chunk_record_max(r->hi.h.chunk_size);
	for (size_t i = 0; i < r->nslots; i++) {
		r->slots[i].r = r;
		r->slots[i].job.run = run_slot;
		r->slots[i].plain = Icarc_slot_alloc(r->hi.h.chunk_size, rec_max);
		r->slots[i].rec = r->slots[i].plain ? r->slots[i].plain + r->hi.h.chunk_size : NULL;
		if (r->slots[i].plain == NULL)
			return fatal(r, ICARC_E_NOMEM, "out of memory for %zu chunk buffers", r->nslots);
	}
	r->pool = Icarc_pool_new(workers, make_ctx, free_ctx, NULL);
	r->cc = Icarc_chunk_ctx_new(1);
	if (r->pool == NULL || r->cc == NULL)
		return fatal(r, ICARC_E_NOMEM, "cannot start worker threads");
	return ICARC_OK;
}

/* ---- record handlers (parse time) ---- */

static const char *type_name(unsigned t)
{
	switch (t) {
	case WIRE_HEADER: return "HEADER";
	case WIRE_ENTRY: return "ENTRY";
	case WIRE_CHUNK: return "CHUNK";
	case WIRE_META: return "META";
	case WIRE_SEGMENT: return "SEGMENT";
	case WIRE_INDEX: return "INDEX";
	default: return "unknown";
	}
}

static const char *entry_label(struct icarc_reader *r, size_t id, char *buf, size_t n)
{
	if (id < r->n_entries && r->entries[id].name)
		snprintf(buf, n, "'%s'", r->entries[id].name);
	else
		snprintf(buf, n, "#%zu", id);
	return buf;
}

/* Open the sealed part of a small record in place. Returns its plaintext (or NULL after queueing
 * an error); with no key, returns NULL and sets *len = 0 without error. */
static uint8_t *unseal(struct icarc_reader *r, uint8_t *body, size_t prefix_len, size_t *len, int *err)
{
	uint8_t *msg = body + prefix_len;
	size_t n = r->rec.length - prefix_len;
	*err = 0;
	if (!r->encrypted) {
		*len = n;
		return msg;
	}
	if (r->keys == NULL) {
		*len = 0;
		return NULL;
	}
	uint8_t hdr[WIRE_RECORD_HDR];
	struct wire_record wr = r->rec;
	wire_record_encode(hdr, &wr);
	uint8_t ad[WIRE_ID_LEN + 8 + 64];
	size_t ad_len = Icarc_ad(ad, r->hi.h.id, hdr, body, prefix_len);
	if (Icarc_open(r->keys, msg, n, ad, ad_len) != 0) {
		queue_error(r, ICARC_E_AUTH, "%s record at offset %llu does not authenticate", type_name(r->rec.type),
		            (unsigned long long)r->rec_offset);
		*err = 1;
		return NULL;
	}
	*len = n - WIRE_SEAL_OVERHEAD;
	return msg + WIRE_NONCE_LEN;
}

static int on_header(struct icarc_reader *r)
{
	uint8_t *buf = malloc(WIRE_MAGIC_LEN + WIRE_RECORD_HDR + r->rec.length);
	if (buf == NULL)
		return fatal(r, ICARC_E_NOMEM, "out of memory");
	memcpy(buf, r->hdr, WIRE_MAGIC_LEN + WIRE_RECORD_HDR);
	if (r->rec.length)
		memcpy(buf + WIRE_MAGIC_LEN + WIRE_RECORD_HDR, r->body, r->rec.length);
	int ret = Icarc_header_open(&r->err, buf, WIRE_MAGIC_LEN + WIRE_RECORD_HDR + r->rec.length, &r->kr, r->no_key,
	                            r->max_kdf_mem, &r->hi, &r->keys);
	free(buf);
	if (ret < 0) {
		r->fatal = 1; /* Icarc_header_open wrote the message */
		return ret;
	}
	r->encrypted = (r->hi.h.flags & WIRE_HF_ENCRYPTED) != 0;
	r->seed = wire_seed(r->hi.h.id);
	return setup_slots(r);
}

static int on_entry(struct icarc_reader *r)
{
	char lab[64];
	if (r->entry_open)
		return queue_error(r, ICARC_E_FORMAT, "ENTRY record at offset %llu before entry %s had its last chunk",
		                   (unsigned long long)r->rec_offset, entry_label(r, r->n_entries - 1, lab, sizeof lab));
	if (r->rec.length < WIRE_ENTRY_PREFIX || wire_get32(r->body + 4) != 0)
		return queue_error(r, ICARC_E_FORMAT, "ENTRY record at offset %llu is malformed", (unsigned long long)r->rec_offset);
	uint32_t id = wire_get32(r->body);
	if (id != r->n_entries)
		return queue_error(r, ICARC_E_FORMAT, "ENTRY record at offset %llu has Entry_Id %u, expected %zu",
		                   (unsigned long long)r->rec_offset, id, r->n_entries);
	if (r->n_entries >= r->max_entries)
		return queue_error(r, ICARC_E_LIMIT, "more than %llu entries", (unsigned long long)r->max_entries);
	if (r->n_entries == r->cap_entries) {
		size_t cap = r->cap_entries ? r->cap_entries * 2 : 8;
		struct rentry *n = realloc(r->entries, cap * sizeof *n);
		if (n == NULL)
			return fatal(r, ICARC_E_NOMEM, "out of memory");
		r->entries = n;
		r->cap_entries = cap;
	}
	struct rentry *e = &r->entries[r->n_entries];
	memset(e, 0, sizeof *e);
	e->record_offset = r->rec_offset;
	int err;
	size_t len;
	uint8_t *msg = unseal(r, r->body, WIRE_ENTRY_PREFIX, &len, &err);
	if (err)
		return ICARC_OK;
	if (msg) {
		size_t nl = len >= 2 ? wire_get16(msg) : 0;
		if (len < 4 || nl == 0 || len != nl + 4 || wire_get16(msg + 2 + nl) != 0 || memchr(msg + 2, 0, nl))
			return queue_error(r, ICARC_E_FORMAT, "ENTRY record at offset %llu: bad name field",
			                   (unsigned long long)r->rec_offset);
		e->name = malloc(nl + 1);
		if (e->name == NULL)
			return fatal(r, ICARC_E_NOMEM, "out of memory");
		memcpy(e->name, msg + 2, nl);
		e->name[nl] = '\0';
		for (size_t i = 0; i < r->n_entries; i++)
			if (r->entries[i].name && strcmp(r->entries[i].name, e->name) == 0) {
				free(e->name);
				return queue_error(r, ICARC_E_FORMAT, "ENTRY record at offset %llu repeats the name '%s'",
				                   (unsigned long long)r->rec_offset, r->entries[i].name);
			}
	}
	r->n_entries++;
	r->entry_open = 1;
	r->next_index = 0;
	struct item *it = push_item(r, I_ENTRY);
	it->entry = id;
	return ICARC_OK;
}

/* Check a CHUNK record's clear prefix against where the stream is. */
static int chunk_prefix_ok(struct icarc_reader *r, const struct wire_chunk *c, char *why, size_t n)
{
	uint32_t cs = r->hi.h.chunk_size;
	unsigned codec = c->flags & WIRE_CF_CODEC_MASK;
	int last = (c->flags & WIRE_CF_LAST) != 0;
	if (!r->entry_open)
		snprintf(why, n, "chunk outside any entry");
	else if (c->entry != r->n_entries - 1)
		snprintf(why, n, "chunk of entry %u inside entry %zu", c->entry, r->n_entries - 1);
	else if (c->index != r->next_index)
		snprintf(why, n, "chunk %llu where chunk %llu was expected (dropped, repeated or reordered)",
		         (unsigned long long)c->index, (unsigned long long)r->next_index);
	else if (c->offset != c->index * cs)
		snprintf(why, n, "Logical_Offset %llu is not Chunk_Index x Chunk_Size", (unsigned long long)c->offset);
	else if (c->plain_len > cs || (!last && c->plain_len != cs) || (c->plain_len == 0 && c->index != 0))
		snprintf(why, n, "Plain_Length %u does not fit the chunk's place", c->plain_len);
	else if ((c->flags & WIRE_CF_RESERVED) || codec > ICARC_CODEC_PARENT)
		snprintf(why, n, "reserved Chunk_Flags set");
	else if (((r->rec.flags & WIRE_RF_SEALED) != 0) != r->encrypted)
		snprintf(why, n, "Sealed flag does not match the archive's mode");
	else
		return 1;
	return 0;
}

/* A CHUNK record is complete in r->target (a slot, or r->body when it cannot be decoded). */
static int on_chunk(struct icarc_reader *r, int checksum_ok)
{
	struct rslot *s = r->target_slot;
	uint8_t *rec = s ? s->rec : NULL;
	const uint8_t *body = s ? s->rec + WIRE_RECORD_HDR : r->body;
	struct wire_chunk c;
	char why[200], lab[64];
	uint64_t off = r->rec_offset;
	int prefix_bad = r->rec.length < WIRE_CHUNK_PREFIX || wire_chunk_decode(body, &c) != 0;
	int prefix_fits = !prefix_bad && chunk_prefix_ok(r, &c, why, sizeof why);
	if (checksum_ok && !prefix_fits)
		return queue_error(r, ICARC_E_FORMAT, "CHUNK record at offset %llu: %s", (unsigned long long)off,
		                   prefix_bad ? "malformed" : why);
	if (!checksum_ok) {
		/* damaged: name the chunk due here; believe the clear prefix only where it fits */
		if (!r->entry_open)
			return queue_error(r, ICARC_E_CHECKSUM, "CHUNK record at offset %llu (outside any entry): record checksum mismatch",
			                   (unsigned long long)off);
		/* a prefix that fits its place is believed (the damage is most likely in the body);
		 * otherwise the chunk due here is named, covering a whole chunk */
		if (!prefix_fits)
			c = (struct wire_chunk){(uint32_t)(r->n_entries - 1), 0, r->next_index,
			                        r->next_index * (uint64_t)r->hi.h.chunk_size, r->hi.h.chunk_size};
		/* a fitting prefix fixes a chunk's length by its place, except for an entry's last chunk,
		 * which may hold any length: its Plain_Length may be the damage, so the range named is the
		 * most it can cover (spec/FORMAT.md, Reading a damaged archive) */
		if (c.flags & WIRE_CF_LAST)
			c.plain_len = r->hi.h.chunk_size;
		if (!r->keep_going)
			return queue_error(r, ICARC_E_CHECKSUM,
			                   "CHUNK record at offset %llu (entry %s, bytes %llu..%llu): record checksum mismatch",
			                   (unsigned long long)off, entry_label(r, c.entry, lab, sizeof lab),
			                   (unsigned long long)c.offset, (unsigned long long)(c.offset + c.plain_len));
	}
	struct item *it = push_item(r, I_CHUNK);
	it->entry = c.entry;
	it->offset = off;
	it->row = (struct wire_row){c.entry, c.flags, c.index, off, WIRE_RECORD_HDR + r->rec.length, c.plain_len, {0}};
	it->status = checksum_ok ? ICARC_OK : ICARC_E_CHECKSUM;
	if (s) {
		s->c = c;
		s->rec_len = WIRE_RECORD_HDR + r->rec.length;
		s->skip = !checksum_ok;
		s->status = checksum_ok ? ICARC_OK : ICARC_E_CHECKSUM;
		snprintf(s->why, sizeof s->why, "record checksum mismatch");
		it->slot = s;
		r->s_used++;
		if (checksum_ok) {
			struct wire_record wr = r->rec;
			wire_record_encode(rec, &wr);
			if ((c.flags & WIRE_CF_CODEC_MASK) == ICARC_CODEC_ZERO) {
				/* opening a zero run takes microseconds: cheaper here than two thread
				 * wake-ups through a worker (writer.c does the same) */
				run_slot(&s->job, r->cc);
				s->job.done = 1;
			} else {
				Icarc_pool_submit(r->pool, &s->job);
			}
		} else {
			s->job.done = 1;
		}
	}
	r->next_index++;
	r->total_chunks++;
	if (c.flags & WIRE_CF_LAST) {
		r->entry_open = 0;
		r->entries[c.entry].closed = 1;
		struct item *e = push_item(r, I_ENTRY_END);
		e->entry = c.entry;
	}
	return ICARC_OK;
}

static int on_meta(struct icarc_reader *r)
{
	if (r->entry_open)
		return queue_error(r, ICARC_E_FORMAT, "META record at offset %llu inside an entry", (unsigned long long)r->rec_offset);
	if (r->rec.length < WIRE_META_PREFIX || wire_get32(r->body) != r->metas || wire_get32(r->body + 4) != 0)
		return queue_error(r, ICARC_E_FORMAT, "META record at offset %llu: bad Meta_Seq", (unsigned long long)r->rec_offset);
	int err;
	size_t len;
	uint8_t *msg = unseal(r, r->body, WIRE_META_PREFIX, &len, &err);
	if (err)
		return ICARC_OK;
	const char *why;
	if (msg && Icarc_meta_decode(&r->meta, msg, len, &why) != ICARC_OK)
		return queue_error(r, ICARC_E_FORMAT, "META record at offset %llu: %s", (unsigned long long)r->rec_offset, why);
	void *n = realloc(r->metarefs, (r->metas + 1) * sizeof *r->metarefs);
	if (n == NULL)
		return fatal(r, ICARC_E_NOMEM, "out of memory");
	r->metarefs = n;
	r->metarefs[r->metas].offset = r->rec_offset;
	r->metarefs[r->metas].size = WIRE_RECORD_HDR + r->rec.length;
	r->metas++;
	return ICARC_OK;
}

static int on_segment(struct icarc_reader *r)
{
	if (r->rec.length < WIRE_SEGMENT_PREFIX || wire_get32(r->body) != r->segments)
		return queue_error(r, ICARC_E_FORMAT, "SEGMENT record at offset %llu: bad Segment_Seq",
		                   (unsigned long long)r->rec_offset);
	uint32_t rows = wire_get32(r->body + 4);
	if (rows == 0 || rows > WIRE_SEGMENT_ROWS)
		return queue_error(r, ICARC_E_FORMAT, "SEGMENT record at offset %llu: Row_Count %u", (unsigned long long)r->rec_offset, rows);
	int err;
	size_t len;
	uint8_t *msg = unseal(r, r->body, WIRE_SEGMENT_PREFIX, &len, &err);
	if (err)
		return ICARC_OK;
	if (msg && len != (size_t)rows * WIRE_ROW_LEN)
		return queue_error(r, ICARC_E_FORMAT, "SEGMENT record at offset %llu: %zu bytes for %u rows",
		                   (unsigned long long)r->rec_offset, len, rows);
	void *n = realloc(r->segs, (r->segments + 1) * sizeof *r->segs);
	if (n == NULL)
		return fatal(r, ICARC_E_NOMEM, "out of memory");
	r->segs = n;
	struct item *it = push_item(r, I_SEGMENT);
	it->offset = r->rec_offset;
	it->count = rows;
	it->len = WIRE_RECORD_HDR + r->rec.length; /* record size */
	if (msg) {
		it->data = malloc(len);
		if (it->data == NULL)
			return fatal(r, ICARC_E_NOMEM, "out of memory");
		memcpy(it->data, msg, len);
	}
	r->segments++;
	return ICARC_OK;
}

static int on_index(struct icarc_reader *r)
{
	if (r->entry_open)
		return queue_error(r, ICARC_E_TRUNCATED, "INDEX record at offset %llu before the last chunk of the last entry",
		                   (unsigned long long)r->rec_offset);
	if (r->rec.length < WIRE_INDEX_PREFIX || wire_get32(r->body + 12) != 0)
		return queue_error(r, ICARC_E_FORMAT, "INDEX record at offset %llu is malformed", (unsigned long long)r->rec_offset);
	const uint8_t *p = r->body;
	if (wire_get32(p) != r->n_entries || wire_get32(p + 4) != r->segments || wire_get32(p + 8) != r->metas ||
	    wire_get64(p + 16) != r->total_chunks)
		return queue_error(r, ICARC_E_FORMAT,
		                   "INDEX record at offset %llu counts %u entries, %u segments, %u metadata records, %llu chunks; "
		                   "the archive has %zu, %u, %u, %llu (records dropped or added)",
		                   (unsigned long long)r->rec_offset, wire_get32(p), wire_get32(p + 4), wire_get32(p + 8),
		                   (unsigned long long)wire_get64(p + 16), r->n_entries, r->segments, r->metas,
		                   (unsigned long long)r->total_chunks);
	int err;
	size_t len;
	uint8_t *msg = unseal(r, r->body, WIRE_INDEX_PREFIX, &len, &err);
	if (err)
		return ICARC_OK;
	struct item *it = push_item(r, I_INDEX);
	it->offset = r->rec_offset;
	if (msg) {
		it->data = malloc(len ? len : 1);
		if (it->data == NULL)
			return fatal(r, ICARC_E_NOMEM, "out of memory");
		memcpy(it->data, msg, len);
		it->len = len;
	}
	r->index_offset = r->rec_offset;
	r->index_size = WIRE_RECORD_HDR + r->rec.length;
	r->phase = P_FOOTER;
	return ICARC_OK;
}

static int on_footer(struct icarc_reader *r)
{
	struct wire_footer f;
	const char *why;
	int st = wire_footer_decode(r->foot, &f, &why);
	if (st < 0)
		return queue_error(r, st == ICARC_E_TRUNCATED ? ICARC_E_FORMAT : st, "footer at offset %llu: %s",
		                   (unsigned long long)(r->consumed - WIRE_FOOTER_LEN), why);
	if (f.index_offset != r->index_offset || f.index_size != r->index_size || f.record_count != r->records ||
	    f.records_digest != XXH3_64bits_digest(r->digest) || memcmp(f.id, r->hi.h.id, WIRE_ID_LEN) != 0)
		return queue_error(r, ICARC_E_FORMAT, "footer at offset %llu does not describe this archive's records",
		                   (unsigned long long)(r->consumed - WIRE_FOOTER_LEN));
	push_item(r, I_END);
	r->phase = P_END;
	return ICARC_OK;
}

static size_t body_limit(struct icarc_reader *r, unsigned type)
{
	if (type == WIRE_CHUNK)
		return Icarc_chunk_record_max(r->hi.h.chunk_size) - WIRE_RECORD_HDR;
	if (type == WIRE_INDEX)
		return ICARC_INDEX_MAX + 4096;
	return BODY_MAX_SMALL;
}

/* A record's header is complete: validate it and choose where its body goes.
 * Returns 1 to go on, 0 when blocked (no free slot), < 0 on fatal error. */
static int begin_body(struct icarc_reader *r)
{
	const uint8_t *h = r->hdr + (r->phase == P_MAGIC ? WIRE_MAGIC_LEN : 0);
	r->rec_damaged = 0;
	if (wire_record_decode(h, &r->rec) != 0) {
		/* a chunk of the open entry with a damaged header: when verifying, read it as the
		 * bad chunk it is and go on (its checksum cannot match) */
		if (!(r->keep_going && r->entry_open && r->rec.type == WIRE_CHUNK && r->phase == P_RECHDR)) {
			queue_error(r, ICARC_E_FORMAT, "record at offset %llu: reserved bits set in its header",
			            (unsigned long long)r->rec_offset);
			return 1;
		}
		r->rec_damaged = 1;
		r->rec.flags &= (uint8_t)~WIRE_RF_RESERVED;
	}
	unsigned t = r->rec.type;
	if (r->phase == P_MAGIC && t != WIRE_HEADER)
		return fatal(r, ICARC_E_FORMAT, "offset 8: the first record is not a HEADER");
	if (r->phase != P_MAGIC && t == WIRE_HEADER) {
		queue_error(r, ICARC_E_FORMAT, "record at offset %llu: a second HEADER", (unsigned long long)r->rec_offset);
		return 1;
	}
	if (t > WIRE_INDEX && !(r->rec.flags & WIRE_RF_OPTIONAL)) {
		queue_error(r, ICARC_E_VERSION, "record at offset %llu has unknown critical type 0x%02x",
		            (unsigned long long)r->rec_offset, t);
		return 1;
	}
	if (t == WIRE_CHUNK && r->keep_going && r->entry_open && ((r->rec.flags & WIRE_RF_SEALED) != 0) != r->encrypted) {
		r->rec_damaged = 1; /* read on: the checksum will fail and the chunk be named */
		r->rec.flags ^= WIRE_RF_SEALED;
	}
	if (t != WIRE_HEADER && r->phase != P_MAGIC && ((r->rec.flags & WIRE_RF_SEALED) != 0) != r->encrypted) {
		queue_error(r, ICARC_E_FORMAT, "%s record at offset %llu: Sealed flag does not match the archive's mode",
		            type_name(t), (unsigned long long)r->rec_offset);
		return 1;
	}
	size_t lim = t == WIRE_HEADER ? WIRE_HEADER_FIXED + WIRE_MAX_STANZAS * (4 + 256) + WIRE_MAC_LEN : body_limit(r, t);
	if (r->rec.length > lim) {
		if (r->phase == P_MAGIC)
			return fatal(r, ICARC_E_FORMAT, "offset 8: HEADER record length %u is implausible", r->rec.length);
		char lab[64], where[128] = "";
		if (t == WIRE_CHUNK && r->entry_open) { /* name the chunk due here */
			uint64_t at = r->next_index * (uint64_t)r->hi.h.chunk_size;
			snprintf(where, sizeof where, " (entry %s, bytes %llu..%llu)", entry_label(r, r->n_entries - 1, lab, sizeof lab),
			         (unsigned long long)at, (unsigned long long)(at + r->hi.h.chunk_size));
		}
		queue_error(r, t == WIRE_CHUNK ? ICARC_E_FORMAT : ICARC_E_LIMIT,
		            "%s record at offset %llu%s: Body_Length %u exceeds %zu", type_name(t),
		            (unsigned long long)r->rec_offset, where, r->rec.length, lim);
		return 1;
	}
	r->target_slot = NULL;
	if (t == WIRE_CHUNK && !(r->encrypted && r->keys == NULL)) {
		if (r->s_used == r->nslots || r->f_len + 2 > FIFO_MAX)
			return 0;
		r->target_slot = &r->slots[(r->s_head + r->s_used) % r->nslots];
		r->target = r->target_slot->rec + WIRE_RECORD_HDR;
	} else {
		if (r->f_len + 2 > FIFO_MAX)
			return 0;
		r->target = NULL; /* r->body, grown as bytes arrive: a claimed length costs nothing */
	}
	r->body_have = 0;
	r->phase = P_BODY;
	return 1;
}

static int end_body(struct icarc_reader *r)
{
	int header = r->rec.type == WIRE_HEADER;
	const uint8_t *h = r->hdr + (header ? WIRE_MAGIC_LEN : 0);
	uint64_t sum = Icarc_record_checksum(header ? 0 : r->seed, h, r->target, r->rec.length);
	int ok = sum == r->rec.checksum && !r->rec_damaged;
	XXH3_64bits_update(r->digest, h + 8, 8);
	r->records++;
	r->phase = P_RECHDR;
	r->hdr_have = 0;
	if (header) {
		if (!ok)
			return fatal(r, ICARC_E_CHECKSUM, "offset 8: HEADER record checksum mismatch");
		return on_header(r);
	}
	if (r->rec.type == WIRE_CHUNK)
		return on_chunk(r, ok);
	if (!ok)
		return queue_error(r, ICARC_E_CHECKSUM, "%s record at offset %llu: record checksum mismatch",
		                   type_name(r->rec.type), (unsigned long long)r->rec_offset);
	switch (r->rec.type) {
	case WIRE_ENTRY: return on_entry(r);
	case WIRE_META: return on_meta(r);
	case WIRE_SEGMENT: return on_segment(r);
	case WIRE_INDEX: return on_index(r);
	default: return ICARC_OK; /* optional record of an unknown type: skipped */
	}
}

/* Consume input. Returns 1 when progress was made, 0 when blocked or out of input, < 0 fatal. */
static int parse(struct icarc_reader *r, struct icarc_in *in)
{
	const uint8_t *src = (const uint8_t *)in->src;
	while (in->pos < in->size) {
		size_t avail = in->size - in->pos;
		switch (r->phase) {
		case P_MAGIC:
		case P_RECHDR: {
			size_t want = (r->phase == P_MAGIC ? WIRE_MAGIC_LEN : 0) + WIRE_RECORD_HDR;
			size_t n = want - r->hdr_have;
			if (n > avail)
				n = avail;
			if (r->hdr_have == 0)
				r->rec_offset = r->consumed + (r->phase == P_MAGIC ? WIRE_MAGIC_LEN : 0);
			memcpy(r->hdr + r->hdr_have, src + in->pos, n);
			if (r->phase == P_MAGIC && r->hdr_have < WIRE_MAGIC_LEN &&
			    memcmp(r->hdr, WIRE_MAGIC, r->hdr_have + n < WIRE_MAGIC_LEN ? r->hdr_have + n : WIRE_MAGIC_LEN) != 0)
				return fatal(r, ICARC_E_FORMAT, "offset 0: not an icarc archive (bad magic)");
			/* the INDEX is followed by the footer, not by a record */
			r->hdr_have += n;
			in->pos += n;
			r->consumed += n;
			if (r->hdr_have == want) {
				int b = begin_body(r);
				if (b <= 0) {
					if (b == 0) { /* blocked: give the header bytes back */
						r->hdr_have -= n;
						in->pos -= n;
						r->consumed -= n;
					}
					return b;
				}
				if (r->rec.length == 0) {
					int e = end_body(r);
					if (e < 0)
						return e;
				}
			}
			break;
		}
		case P_BODY: {
			size_t n = r->rec.length - r->body_have;
			if (n > avail)
				n = avail;
			if (r->target_slot == NULL && r->body_have + n > r->body_cap) {
				size_t cap = r->body_cap ? r->body_cap : 4096;
				while (cap < r->body_have + n)
					cap *= 2;
				if (cap > r->rec.length)
					cap = r->rec.length;
				uint8_t *nb = realloc(r->body, cap);
				if (nb == NULL)
					return fatal(r, ICARC_E_NOMEM, "out of memory for a %u-byte record", r->rec.length);
				r->body = nb;
				r->body_cap = cap;
			}
			if (r->target_slot == NULL)
				r->target = r->body;
			memcpy(r->target + r->body_have, src + in->pos, n);
			r->body_have += n;
			in->pos += n;
			r->consumed += n;
			if (r->body_have == r->rec.length) {
				int e = end_body(r);
				if (e < 0)
					return e;
			}
			break;
		}
		case P_FOOTER: {
			size_t n = WIRE_FOOTER_LEN - r->foot_have;
			if (n > avail)
				n = avail;
			memcpy(r->foot + r->foot_have, src + in->pos, n);
			r->foot_have += n;
			in->pos += n;
			r->consumed += n;
			if (r->foot_have == WIRE_FOOTER_LEN) {
				int e = on_footer(r);
				if (e < 0)
					return e;
			}
			break;
		}
		case P_END:
			queue_error(r, ICARC_E_FORMAT, "%zu bytes after the end of the archive at offset %llu", avail,
			            (unsigned long long)r->consumed);
			return 1;
		case P_STOP:
			return 0;
		}
		if (r->phase == P_STOP)
			return 1;
		/* hand back control whenever an item was queued, so output flows while parsing */
		if (r->f_len > 0)
			return 1;
	}
	return 0;
}

/* ---- releasing items, in order ---- */

static void pop(struct icarc_reader *r)
{
	struct item *it = &r->fifo[r->f_head];
	if (it->kind == I_CHUNK && it->slot) {
		r->s_head = (r->s_head + 1) % r->nslots;
		r->s_used--;
	}
	free_item(it);
	r->f_head = (r->f_head + 1) % FIFO_MAX;
	r->f_len--;
}

static int add_row(struct icarc_reader *r, const struct wire_row *row, int bad)
{
	if (r->n_rows == WIRE_SEGMENT_ROWS)
		return fatal(r, ICARC_E_FORMAT, "CHUNK record at offset %llu: more than %u chunks without a SEGMENT",
		             (unsigned long long)row->stored_offset, WIRE_SEGMENT_ROWS);
	r->row_bad[r->n_rows] = bad;
	r->rows[r->n_rows++] = *row;
	struct rentry *e = &r->entries[row->entry];
	e->damaged |= bad && (r->encrypted ? r->keys != NULL : 1);
	if (row->index == 0)
		e->first_segment = r->segments_checked;
	e->chunks++;
	e->size += row->plain_len;
	return ICARC_OK;
}

static int check_segment(struct icarc_reader *r, struct item *it)
{
	if (it->count != r->n_rows)
		return fatal(r, ICARC_E_FORMAT, "SEGMENT record at offset %llu lists %u chunks, %zu precede it",
		             (unsigned long long)it->offset, it->count, r->n_rows);
	for (size_t i = 0; it->data && i < r->n_rows; i++) {
		struct wire_row row;
		const struct wire_row *have = &r->rows[i];
		/* a chunk already reported bad is compared by its place only: its own fields were damaged */
		int bad = r->row_bad[i];
		if (wire_row_decode(it->data + i * WIRE_ROW_LEN, &row) != 0 || row.entry != have->entry ||
		    row.index != have->index || row.stored_offset != have->stored_offset ||
		    (!bad && (row.flags != have->flags || row.stored_size != have->stored_size ||
		              row.plain_len != have->plain_len || memcmp(row.hash, have->hash, WIRE_HASH_LEN) != 0)))
			return fatal(r, ICARC_E_FORMAT, "SEGMENT record at offset %llu: row %zu does not match the CHUNK record at offset %llu",
			             (unsigned long long)it->offset, i, (unsigned long long)have->stored_offset);
	}
	struct wire_segref *s = &r->segs[r->segments_checked++];
	s->offset = it->offset;
	s->size = (uint32_t)it->len;
	s->rows = it->count;
	s->first_entry = r->rows[0].entry;
	s->first_chunk = r->rows[0].index;
	r->n_rows = 0;
	return ICARC_OK;
}

static int check_index(struct icarc_reader *r, struct item *it)
{
	if (r->n_rows != 0)
		return fatal(r, ICARC_E_FORMAT, "INDEX record at offset %llu: %zu chunks after the last SEGMENT",
		             (unsigned long long)it->offset, r->n_rows);
	if (it->data == NULL)
		return ICARC_OK; /* no key: the clear counts were checked at parse time */
	const uint8_t *p = it->data;
	size_t n = it->len, pos = 0;
	for (size_t i = 0; i < r->n_entries; i++) {
		struct wire_entry_row er;
		struct rentry *e = &r->entries[i];
		if (n - pos < WIRE_ENTRY_ROW_LEN || wire_entry_row_decode(p + pos, &er) != 0 ||
		    n - pos - WIRE_ENTRY_ROW_LEN < er.name_len)
			return fatal(r, ICARC_E_FORMAT, "INDEX record at offset %llu: entry %zu is malformed", (unsigned long long)it->offset, i);
		const char *name = (const char *)p + pos + WIRE_ENTRY_ROW_LEN;
		if (er.id != i || (er.size != e->size && !e->damaged) || er.chunks != e->chunks || er.record_offset != e->record_offset ||
		    er.first_segment != e->first_segment || er.name_len != strlen(e->name) || memcmp(name, e->name, er.name_len))
			return fatal(r, ICARC_E_FORMAT, "INDEX record at offset %llu: entry %zu ('%s') does not match the archive",
			             (unsigned long long)it->offset, i, e->name);
		pos += WIRE_ENTRY_ROW_LEN + er.name_len;
	}
	if (n - pos != (size_t)r->segments * WIRE_SEGREF_LEN + (size_t)r->metas * WIRE_METAREF_LEN)
		return fatal(r, ICARC_E_FORMAT, "INDEX record at offset %llu has the wrong size", (unsigned long long)it->offset);
	for (uint32_t i = 0; i < r->segments; i++, pos += WIRE_SEGREF_LEN) {
		struct wire_segref s;
		const struct wire_segref *h = &r->segs[i];
		if (wire_segref_decode(p + pos, &s) != 0 || s.offset != h->offset || s.size != h->size || s.rows != h->rows ||
		    s.first_entry != h->first_entry || s.first_chunk != h->first_chunk)
			return fatal(r, ICARC_E_FORMAT, "INDEX record at offset %llu: segment %u does not match", (unsigned long long)it->offset, i);
	}
	for (uint32_t i = 0; i < r->metas; i++, pos += WIRE_METAREF_LEN)
		if (wire_get64(p + pos) != r->metarefs[i].offset || wire_get32(p + pos + 8) != r->metarefs[i].size ||
		    wire_get32(p + pos + 12) != 0)
			return fatal(r, ICARC_E_FORMAT, "INDEX record at offset %llu: metadata record %u does not match",
			             (unsigned long long)it->offset, i);
	return ICARC_OK;
}

/* Icarc_reader_pull_view shows at most this much at a time: a piece that stays in the core's L2
 * cache is cheaper for the caller to write out (fdio.c) */
#define VIEW_MAX (256U << 10)
/* What it shows of a zero run: never written, so it stays in .bss and every page of it is the
 * kernel's one zero page (cheap to read, to write out and to compare) */
static uint8_t zero_view[VIEW_MAX];

/* Release the head item. Returns an event (> 0), 0 to go on, or < 0. */
static int release(struct icarc_reader *r, struct icarc_out *out)
{
	struct item *it = &r->fifo[r->f_head];
	char lab[64];
	int st;
	switch (it->kind) {
	case I_CHUNK: {
		struct rslot *s = it->slot;
		if (s == NULL) { /* no key: structure only */
			if ((st = add_row(r, &it->row, 1)) < 0)
				return st;
			int bad = it->status < 0;
			if (bad) {
				r->bad.entry = it->row.entry;
				r->bad.start = it->row.index * (uint64_t)r->hi.h.chunk_size;
				r->bad.end = r->bad.start + it->row.plain_len;
				r->bad.status = it->status;
				snprintf(r->err.msg, sizeof r->err.msg,
				         "CHUNK record at offset %llu (entry %s, bytes %llu..%llu): record checksum mismatch",
				         (unsigned long long)it->offset, entry_label(r, it->row.entry, lab, sizeof lab),
				         (unsigned long long)r->bad.start, (unsigned long long)r->bad.end);
			}
			pop(r);
			return bad ? ICARC_CHUNK_BAD : 0;
		}
		if (s->status != ICARC_OK) {
			uint64_t start = s->c.offset, end = start + (s->c.plain_len ? s->c.plain_len : 0);
			if (!r->keep_going)
				return fatal(r, s->status, "CHUNK record at offset %llu (entry %s, bytes %llu..%llu): %s",
				             (unsigned long long)it->offset, entry_label(r, s->c.entry, lab, sizeof lab),
				             (unsigned long long)start, (unsigned long long)end, s->why);
			snprintf(r->err.msg, sizeof r->err.msg, "CHUNK record at offset %llu (entry %s, bytes %llu..%llu): %s",
			         (unsigned long long)it->offset, entry_label(r, s->c.entry, lab, sizeof lab),
			         (unsigned long long)start, (unsigned long long)end, s->why);
			r->bad.entry = s->c.entry;
			r->bad.start = start;
			r->bad.end = end;
			r->bad.status = s->status;
			if ((st = add_row(r, &it->row, 1)) < 0)
				return st;
			pop(r);
			return ICARC_CHUNK_BAD;
		}
		size_t left = s->c.plain_len - it->delivered;
		int viewed = 0;
		if (r->view && left) { /* Icarc_reader_pull_view: no copy; the caller uses it before the next call */
			size_t n = left < VIEW_MAX ? left : VIEW_MAX;
			int zero = (s->c.flags & WIRE_CF_CODEC_MASK) == ICARC_CODEC_ZERO;
			r->view_p = zero ? zero_view : s->plain + it->delivered;
			r->view_n = n;
			it->delivered += n;
			r->out_size += n;
			if (n < left)
				return ICARC_NEED_OUTPUT;
			viewed = 1;
		} else if (out != NULL) {
			size_t room = out->size - out->pos;
			size_t n = left < room ? left : room;
			if ((s->c.flags & WIRE_CF_CODEC_MASK) == ICARC_CODEC_ZERO)
				memset((uint8_t *)out->dst + out->pos, 0, n);
			else
				memcpy((uint8_t *)out->dst + out->pos, s->plain + it->delivered, n);
			out->pos += n;
			it->delivered += n;
			r->out_size += n;
			if (n < left)
				return ICARC_NEED_OUTPUT;
		} else {
			r->out_size += left;
		}
		memcpy(it->row.hash, s->hash, WIRE_HASH_LEN);
		if ((st = add_row(r, &it->row, 0)) < 0)
			return st;
		pop(r);
		/* a viewed slot is free now, but no worker may refill it before the caller has used it */
		return viewed ? ICARC_NEED_OUTPUT : 0;
	}
	case I_ENTRY:
		r->out_entry = it->entry;
		r->have_out_entry = 1;
		r->out_size = 0;
		pop(r);
		return ICARC_ENTRY;
	case I_ENTRY_END:
		pop(r);
		return ICARC_ENTRY_END;
	case I_SEGMENT:
		st = check_segment(r, it);
		pop(r);
		return st;
	case I_INDEX:
		st = check_index(r, it);
		pop(r);
		return st;
	case I_END:
		pop(r);
		r->have_out_entry = 0;
		return ICARC_ARCHIVE_END;
	case I_ERROR:
	default:
		st = fatal(r, it->status, "%s", it->msg ? it->msg : "error");
		pop(r);
		return st;
	}
}

int icarc_reader_pull(struct icarc_reader *r, struct icarc_in *in, struct icarc_out *out)
{
	CHECK(r);
	if (in == NULL || in->pos > in->size || (out && out->pos > out->size))
		return Icarc_set_error(&r->err, ICARC_E_USAGE, "bad buffer");
	for (;;) {
		if (r->f_len > 0) {
			struct item *it = &r->fifo[r->f_head];
			if (it->kind == I_CHUNK && it->slot && !Icarc_pool_is_done(r->pool, &it->slot->job)) {
				int p = parse(r, in); /* read ahead while the head decodes */
				if (p < 0)
					return p;
				if (p == 0 && r->read_ahead && in->pos == in->size && r->s_used < r->nslots)
					return ICARC_NEED_INPUT; /* fdio.c reads on while the head decodes */
				if (p == 0)
					Icarc_pool_wait(r->pool, &it->slot->job);
				continue;
			}
			int ev = release(r, out);
			if (ev != 0)
				return ev;
			continue;
		}
		int p = parse(r, in);
		if (p < 0)
			return p;
		if (p == 0 && r->f_len == 0)
			return ICARC_NEED_INPUT;
	}
}

int icarc_reader_finish(struct icarc_reader *r)
{
	CHECK(r);
	if (r->f_len > 0)
		return Icarc_set_error(&r->err, ICARC_E_USAGE, "call icarc_reader_pull until it needs input first");
	if (r->phase == P_END)
		return ICARC_ARCHIVE_END;
	const char *where;
	switch (r->phase) {
	case P_MAGIC: where = r->consumed ? "inside the magic or HEADER" : "before any byte (empty input)"; break;
	case P_RECHDR: where = r->hdr_have ? "inside a record header" : "at a record boundary, before the INDEX"; break;
	case P_BODY: where = "inside a record"; break;
	case P_FOOTER: where = "inside the footer"; break;
	default: where = "early"; break;
	}
	char lab[64], tail[160] = "";
	if (r->n_entries > 0)
		snprintf(tail, sizeof tail, "; complete up to entry %s byte %llu",
		         entry_label(r, r->n_entries - 1, lab, sizeof lab), (unsigned long long)r->entries[r->n_entries - 1].size);
	return fatal(r, ICARC_E_TRUNCATED, "archive is cut at offset %llu, %s%s", (unsigned long long)r->consumed, where, tail);
}

int icarc_reader_encrypted(const struct icarc_reader *r)
{
	if (r == NULL || r->magic != READER_MAGIC || r->phase == P_MAGIC)
		return -1;
	return r->encrypted;
}

const char *icarc_reader_entry_name(const struct icarc_reader *r)
{
	if (r == NULL || r->magic != READER_MAGIC || !r->have_out_entry)
		return NULL;
	return r->entries[r->out_entry].name;
}

uint64_t icarc_reader_entry_size(const struct icarc_reader *r)
{
	return r && r->magic == READER_MAGIC ? r->out_size : 0;
}

int icarc_reader_bad_chunk(const struct icarc_reader *r, const char **entry, uint64_t *start, uint64_t *end, int *status)
{
	if (r == NULL || r->magic != READER_MAGIC || r->bad.status == 0)
		return ICARC_E_USAGE;
	if (entry)
		*entry = r->bad.entry < r->n_entries ? r->entries[r->bad.entry].name : NULL;
	if (start)
		*start = r->bad.start;
	if (end)
		*end = r->bad.end;
	if (status)
		*status = r->bad.status;
	return ICARC_OK;
}

uint64_t icarc_reader_offset(const struct icarc_reader *r)
{
	return r && r->magic == READER_MAGIC ? r->consumed : 0;
}

int Icarc_reader_pull_view(struct icarc_reader *r, struct icarc_in *in, const uint8_t **p, size_t *n)
{
	CHECK(r);
	r->view = 1;
	r->view_n = 0;
	int st = icarc_reader_pull(r, in, NULL);
	r->view = 0;
	*p = r->view_p;
	*n = r->view_n;
	return st;
}

void Icarc_reader_read_ahead(struct icarc_reader *r, int on)
{
	r->read_ahead = on;
}

struct icarc_err *Icarc_reader_err(struct icarc_reader *r)
{
	return &r->err;
}

const char *icarc_reader_error(const struct icarc_reader *r)
{
	if (r == NULL || r->magic != READER_MAGIC)
		return "not a reader handle";
	return Icarc_error_text(&r->err);
}

static void release_all(struct icarc_reader *r)
{
	Icarc_pool_free(r->pool);
	Icarc_chunk_ctx_free(r->cc);
	while (r->f_len)
		pop(r);
	if (r->slots)
		for (size_t i = 0; i < r->nslots; i++) {
			if (r->slots[i].plain)
				sodium_memzero(r->slots[i].plain, r->hi.h.chunk_size);
			free(r->slots[i].plain); /* and rec, in the same block */
		}
	free(r->slots);
	free(r->rows);
	free(r->row_bad);
	free(r->body);
	free(r->segs);
	free(r->metarefs);
	for (size_t i = 0; i < r->n_entries; i++)
		free(r->entries[i].name);
	free(r->entries);
	Icarc_meta_clear(&r->meta);
	Icarc_keys_free(r->keys);
}

int icarc_reader_reset(struct icarc_reader *r)
{
	if (r == NULL || r->magic != READER_MAGIC)
		return ICARC_E_USAGE;
	release_all(r);
	struct icarc_keyring kr = r->kr;
	int workers = r->workers, no_key = r->no_key, keep = r->keep_going;
	uint64_t me = r->max_entries, mk = r->max_kdf_mem;
	XXH3_state_t *digest = r->digest;
	memset(r, 0, sizeof *r);
	r->digest = digest;
	r->magic = READER_MAGIC;
	r->kr = kr;
	r->workers = workers;
	r->no_key = no_key;
	r->keep_going = keep;
	r->max_entries = me;
	r->max_kdf_mem = mk;
	XXH3_64bits_reset(r->digest);
	return ICARC_OK;
}

void icarc_reader_free(struct icarc_reader *r)
{
	if (r == NULL || r->magic != READER_MAGIC)
		return;
	release_all(r);
	Icarc_keyring_clear(&r->kr);
	XXH3_freeState(r->digest);
	r->magic = 0;
	free(r);
}

int Icarc_reader_take_resume(struct icarc_reader *r, struct resume_state *st, struct icarc_err *e)
{
	memset(st, 0, sizeof *st);
	if (r == NULL || r->magic != READER_MAGIC)
		return Icarc_set_error(e, ICARC_E_USAGE, "not a reader handle");
	if (r->err.status != ICARC_E_TRUNCATED || r->f_len != 0)
		return Icarc_set_error(e, ICARC_E_USAGE, "only an archive cut short can be resumed (the reader says: %s)",
		                       Icarc_error_text(&r->err));
	if (r->phase != P_RECHDR && r->phase != P_BODY)
		return Icarc_set_error(e, ICARC_E_USAGE, "the archive is cut %s: nothing to resume",
		                       r->phase == P_MAGIC ? "inside its header" : "after its index (only the footer is missing)");
	if (r->encrypted && r->keys == NULL)
		return Icarc_set_error(e, ICARC_E_NOKEY, "resuming an encrypted archive needs a key that opens it");
	size_t n_segs = r->segments_checked;
	st->segs = malloc((n_segs ? n_segs : 1) * sizeof *st->segs);
	st->rows = malloc((r->n_rows ? r->n_rows : 1) * sizeof *st->rows);
	st->entries = calloc(r->n_entries ? r->n_entries : 1, sizeof *st->entries);
	st->meta_offsets = malloc((r->metas ? r->metas : 1) * sizeof *st->meta_offsets);
	st->meta_sizes = malloc((r->metas ? r->metas : 1) * sizeof *st->meta_sizes);
	if (st->segs == NULL || st->rows == NULL || st->entries == NULL || st->meta_offsets == NULL || st->meta_sizes == NULL) {
		free(st->segs);
		free(st->rows);
		free(st->entries);
		free(st->meta_offsets);
		free(st->meta_sizes);
		memset(st, 0, sizeof *st);
		return Icarc_set_error(e, ICARC_E_NOMEM, "out of memory");
	}
	memcpy(st->id, r->hi.h.id, WIRE_ID_LEN);
	st->chunk_size = r->hi.h.chunk_size;
	st->offset = r->phase == P_RECHDR && r->hdr_have == 0 ? r->consumed : r->rec_offset;
	st->records = r->records;
	st->total_chunks = r->total_chunks;
	st->keys = r->keys;
	r->keys = NULL;
	st->digest = r->digest;
	r->digest = NULL;
	for (size_t i = 0; i < r->n_entries; i++) {
		struct rentry *re = &r->entries[i];
		st->entries[i] = (struct resume_entry){re->name, re->size, re->chunks, re->record_offset, re->first_segment};
		re->name = NULL;
	}
	st->n_entries = r->n_entries;
	st->entry_open = r->entry_open;
	st->next_index = r->next_index;
	if (n_segs)
		memcpy(st->segs, r->segs, n_segs * sizeof *st->segs);
	st->n_segs = (uint32_t)n_segs;
	if (r->n_rows)
		memcpy(st->rows, r->rows, r->n_rows * sizeof *st->rows);
	st->n_rows = r->n_rows;
	for (uint32_t i = 0; i < r->metas; i++) {
		st->meta_offsets[i] = r->metarefs[i].offset;
		st->meta_sizes[i] = r->metarefs[i].size;
	}
	st->n_metas = r->metas;
	st->meta = r->meta;
	memset(&r->meta, 0, sizeof r->meta);
	return ICARC_OK;
}
