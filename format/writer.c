/* writer.c - the streaming archive writer (spec/FORMAT.md: Writing).
 *
 * Input is cut into fixed-size chunks in "slots"; full slots go to the worker pool (hash, zstd,
 * seal) and come back in submission order, so the output is deterministic for a given key and
 * randomness whatever the thread timing. A full chunk is held until the next byte arrives, since
 * only then is it known whether it is the entry's last (its Last flag is bound into the AEAD).
 * Every record is appended to `obuf` when its turn comes, and drained into the caller's buffer;
 * fdio.c's loops instead take chunk records straight from their slots (Icarc_writer_push_view) and
 * give the workers file ranges to pread themselves (Icarc_file_in). */
#define _GNU_SOURCE /* SEEK_DATA, SEEK_HOLE */
#include "config.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack and in handles */
#include <xxhash.h>

#include "private.h"

#define WRITER_MAGIC 0x57524954u

enum wstate { W_NEW, W_OPEN, W_DONE, W_FATAL };

struct slot {
	struct pool_job job; /* first: the pool hands this back */
	struct icarc_writer *w;
	uint8_t *plain, *rec;
	size_t fill, rec_len;
	int zero; /* the `fill` bytes so far are all zero and were not copied; a chunk that ends so is
	           * sealed by the caller's thread */
	struct wire_chunk c;
	struct wire_row row;
	/* plain[0..rd_len) is still in the input file at rd_off: the worker reads it (pread) before
	 * sealing, so that reading, like hashing and compressing, is spread over the workers */
	int rd_fd, rd_err; /* rd_err: errno of a failed read, -1 when the file ended early */
	size_t rd_len;
	uint64_t rd_off;
};

struct wentry {
	char *name;
	uint64_t size, chunks, record_offset;
	uint32_t first_segment;
};

struct icarc_writer {
	uint32_t magic;
	enum wstate state;
	struct icarc_err err;
	uint8_t id[WIRE_ID_LEN];
	uint32_t chunk_size;
	int level;
	int workers;
	uint32_t kdf_ops, kdf_mem_kib;

	struct icarc_keys *keys; /* NULL: unencrypted */
	uint8_t *stanzas;
	size_t stanzas_len;
	int have_pass;

	struct meta_map meta;
	int meta_dirty;
	uint32_t meta_seq;
	struct { uint64_t offset; uint32_t size; } *metarefs;
	size_t n_metarefs;

	struct wentry *entries;
	size_t n_entries, cap_entries;
	char **pending; /* entries begun and not yet written (the first gets the next data) */
	size_t n_pending, cap_pending;
	int entry_open, need_end;
	uint64_t next_index; /* chunks of the open entry handed out so far */

	struct pool *pool;
	struct chunk_ctx *cc; /* the caller's thread: zero runs */
	struct slot *slots;
	size_t nslots, head, inflight;
	struct slot *cur;

	struct wire_row *rows; /* the current index segment */
	size_t n_rows;
	struct wire_segref *segrefs;
	size_t n_segrefs, cap_segrefs;
	uint64_t total_chunks;

	int view;              /* inside Icarc_writer_push_view */
	const uint8_t *view_p; /* a chunk record shown in its slot */
	size_t view_n;
	uint8_t *obuf; /* output not yet delivered */
	size_t olen, opos, ocap;
	uint64_t offset; /* file offset of the next record */
	uint64_t records;
	XXH3_state_t *digest; /* XXH3_createState: the state wants 64-byte alignment */
	int header_done, index_done;
};

static int fail(struct icarc_writer *w, int status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
static int fail(struct icarc_writer *w, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->err.msg, sizeof w->err.msg, fmt, ap);
	va_end(ap);
	if (status != ICARC_E_USAGE) {
		w->err.status = status;
		w->state = W_FATAL;
	}
	return status;
}

#define CHECK(w, ...)                                                                   \
	do {                                                                            \
		if ((w) == NULL || (w)->magic != WRITER_MAGIC)                          \
			return ICARC_E_USAGE;                                           \
		if ((w)->state == W_FATAL)                                              \
			return (w)->err.status;                                         \
	} while (0)

struct icarc_writer *icarc_writer_new(void)
{
	struct icarc_writer *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->magic = WRITER_MAGIC;
	w->chunk_size = ICARC_CHUNK_DEFAULT;
	w->level = 3;
	w->workers = -1;
	w->kdf_ops = 3;
	w->kdf_mem_kib = 64 * 1024;
	Icarc_random(w->id, WIRE_ID_LEN);
	w->digest = XXH3_createState();
	if (w->digest == NULL) {
		free(w);
		return NULL;
	}
	XXH3_64bits_reset(w->digest);
	return w;
}

int icarc_writer_set_option(struct icarc_writer *w, enum icarc_option opt, int64_t v)
{
	CHECK(w);
	if (w->state != W_NEW)
		return fail(w, ICARC_E_USAGE, "options must be set before the first entry");
	switch (opt) {
	case ICARC_OPT_CHUNK_SIZE:
		if (v < ICARC_CHUNK_ALIGN || v > ICARC_CHUNK_MAX || v % ICARC_CHUNK_ALIGN)
			return fail(w, ICARC_E_USAGE, "chunk size must be a multiple of 64 KiB from 64 KiB to 16 MiB");
		w->chunk_size = (uint32_t)v;
		return ICARC_OK;
	case ICARC_OPT_LEVEL:
		if (v < 1 || v > 19)
			return fail(w, ICARC_E_USAGE, "zstd level must be 1..19");
		w->level = (int)v;
		return ICARC_OK;
	case ICARC_OPT_WORKERS:
		if (v < 0 || v > 64)
			return fail(w, ICARC_E_USAGE, "workers must be 0..64");
		w->workers = (int)v;
		return ICARC_OK;
	default:
		return fail(w, ICARC_E_USAGE, "option does not apply to a writer");
	}
}

static int ensure_keys(struct icarc_writer *w)
{
	if (w->keys)
		return ICARC_OK;
	w->keys = Icarc_keys_new();
	if (w->keys == NULL)
		return fail(w, ICARC_E_NOMEM, "out of memory for keys");
	Icarc_random(w->keys->file_key, 32);
	Icarc_keys_derive(w->keys, w->id);
	return ICARC_OK;
}

static int add_stanza(struct icarc_writer *w, unsigned type, const uint8_t *data, size_t len)
{
	if (w->stanzas_len / (4 + WIRE_X25519_STANZA_LEN) >= WIRE_MAX_STANZAS - 1)
		return fail(w, ICARC_E_USAGE, "too many recipients (at most 63)");
	uint8_t *n = realloc(w->stanzas, w->stanzas_len + 4 + len);
	if (n == NULL)
		return fail(w, ICARC_E_NOMEM, "out of memory");
	w->stanzas = n;
	n += w->stanzas_len;
	n[0] = (uint8_t)type;
	n[1] = 0;
	wire_put16(n + 2, (uint32_t)len);
	memcpy(n + 4, data, len);
	w->stanzas_len += 4 + len;
	return ICARC_OK;
}

int icarc_writer_add_recipient(struct icarc_writer *w, const unsigned char pk[ICARC_PUBLICKEYBYTES])
{
	CHECK(w);
	if (w->state != W_NEW || pk == NULL)
		return fail(w, ICARC_E_USAGE, "recipients must be added before the first entry");
	uint8_t st[WIRE_X25519_STANZA_LEN];
	int r = ensure_keys(w);
	if (r < 0)
		return r;
	if (Icarc_stanza_x25519_wrap(st, w->keys->file_key, pk) != ICARC_OK)
		return fail(w, ICARC_E_USAGE, "invalid recipient public key");
	return add_stanza(w, WIRE_STANZA_X25519, st, sizeof st);
}

int icarc_writer_set_kdf(struct icarc_writer *w, uint64_t ops, uint64_t mem)
{
	CHECK(w);
	if (w->state != W_NEW || ops < crypto_pwhash_OPSLIMIT_MIN || ops > 64 || mem < crypto_pwhash_MEMLIMIT_MIN ||
	    mem > (4ULL << 30) || mem % 1024)
		return fail(w, ICARC_E_USAGE, "Argon2id cost out of range (ops 1..64, memory 8 KiB..4 GiB in KiB)");
	w->kdf_ops = (uint32_t)ops;
	w->kdf_mem_kib = (uint32_t)(mem / 1024);
	return ICARC_OK;
}

int icarc_writer_add_passphrase(struct icarc_writer *w, const char *pass, size_t len)
{
	CHECK(w);
	if (w->state != W_NEW || pass == NULL || w->have_pass)
		return fail(w, ICARC_E_USAGE, "one passphrase, before the first entry");
	uint8_t st[WIRE_ARGON2ID_STANZA_LEN];
	int r = ensure_keys(w);
	if (r < 0)
		return r;
	r = Icarc_stanza_pass_wrap(st, w->keys->file_key, w->id, pass, len, w->kdf_ops, w->kdf_mem_kib);
	if (r < 0)
		return fail(w, r, "Argon2id failed (out of memory?)");
	w->have_pass = 1;
	return add_stanza(w, WIRE_STANZA_ARGON2ID, st, sizeof st);
}

int icarc_writer_set_meta(struct icarc_writer *w, const char *key, const void *value, size_t len)
{
	CHECK(w);
	size_t kl = key ? strlen(key) : 0;
	if (w->state == W_DONE || kl == 0 || kl > WIRE_META_KEY_MAX || len > WIRE_META_VALUE_MAX || (len && !value))
		return fail(w, ICARC_E_USAGE, "metadata key must be 1..255 bytes, value at most 1 MiB");
	int r = Icarc_meta_set(&w->meta, key, kl, value ? value : "", len);
	if (r < 0)
		return fail(w, r, "out of memory");
	w->meta_dirty = 1;
	return ICARC_OK;
}

static void *make_ctx(void *arg)
{
	return Icarc_chunk_ctx_new(*(int *)arg);
}

static void free_ctx(void *c)
{
	Icarc_chunk_ctx_free(c);
}

/* pread() all of n bytes; 0, or -1 with errno (0 when the file ended first). */
static int pread_full(int fd, uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* A failed pread_full (errno 0: the file ended first). */
static int read_failed(struct icarc_writer *w, uint64_t off, int err)
{
	return fail(w, ICARC_E_IO, "reading the input at offset %llu: %s", (unsigned long long)off,
	            err ? strerror(err) : "the file shrank while it was packed");
}

static void run_slot(struct pool_job *job, void *ctx)
{
	struct slot *s = (struct slot *)job;
	if (s->rd_len && pread_full(s->rd_fd, s->plain, s->rd_len, s->rd_off) != 0) {
		s->rd_err = errno ? errno : -1;
		return;
	}
	s->rec_len = Icarc_chunk_seal(ctx, s->w->keys, s->w->id, &s->c, s->plain, s->rec, &s->row);
}

static int start(struct icarc_writer *w)
{
	unsigned workers = w->workers < 0 ? Icarc_cpu_count() : (unsigned)w->workers;
	w->nslots = workers ? 2 * workers + 1 : 1;
	w->slots = calloc(w->nslots, sizeof *w->slots);
	w->rows = malloc(WIRE_SEGMENT_ROWS * sizeof *w->rows);
	if (w->slots == NULL || w->rows == NULL)
		return fail(w, ICARC_E_NOMEM, "out of memory");
	size_t rec_max = Icarc_chunk_record_max(w->chunk_size);
	for (size_t i = 0; i < w->nslots; i++) {
		w->slots[i].w = w;
		w->slots[i].job.run = run_slot;
		w->slots[i].plain = Icarc_slot_alloc(w->chunk_size, rec_max);
		w->slots[i].rec = w->slots[i].plain ? w->slots[i].plain + w->chunk_size : NULL;
		if (w->slots[i].plain == NULL)
			return fail(w, ICARC_E_NOMEM, "out of memory for chunk buffers");
	}
	w->pool = Icarc_pool_new(workers, make_ctx, free_ctx, &w->level);
	if (w->pool == NULL)
		return fail(w, ICARC_E_NOMEM, "cannot start worker threads");
	w->cc = Icarc_chunk_ctx_new(w->level);
	if (w->cc == NULL)
		return fail(w, ICARC_E_NOMEM, "out of memory");
	w->state = W_OPEN;
	return ICARC_OK;
}

int icarc_writer_begin_entry(struct icarc_writer *w, const char *name)
{
	CHECK(w);
	size_t nl = name ? strlen(name) : 0;
	if (w->state == W_DONE || nl == 0 || nl > WIRE_NAME_MAX)
		return fail(w, ICARC_E_USAGE, "entry name must be 1..4096 bytes, before ICARC_FINISH");
	for (size_t i = 0; i < w->n_entries; i++)
		if (strcmp(w->entries[i].name, name) == 0)
			return fail(w, ICARC_E_USAGE, "entry name '%s' is already in the archive", name);
	for (size_t i = 0; i < w->n_pending; i++)
		if (strcmp(w->pending[i], name) == 0)
			return fail(w, ICARC_E_USAGE, "entry name '%s' is already in the archive", name);
	if (w->n_entries + w->n_pending >= ICARC_DEFAULT_MAX_ENTRIES)
		return fail(w, ICARC_E_USAGE, "too many entries");
	if (w->n_pending == w->cap_pending) {
		size_t cap = w->cap_pending ? 2 * w->cap_pending : 4;
		char **n = realloc(w->pending, cap * sizeof *n);
		if (n == NULL)
			return fail(w, ICARC_E_NOMEM, "out of memory");
		w->pending = n;
		w->cap_pending = cap;
	}
	if (w->state == W_NEW) {
		int r = start(w);
		if (r < 0)
			return r;
	}
	if ((w->pending[w->n_pending] = strdup(name)) == NULL)
		return fail(w, ICARC_E_NOMEM, "out of memory");
	w->n_pending++;
	if (w->entry_open)
		w->need_end = 1;
	return ICARC_OK;
}

/* Append bytes to the output, in file order. */
static int emit_raw(struct icarc_writer *w, const uint8_t *p, size_t len)
{
	if (w->olen + len > w->ocap) {
		size_t cap = w->ocap ? w->ocap : 65536;
		while (cap < w->olen + len)
			cap *= 2;
		uint8_t *n = realloc(w->obuf, cap);
		if (n == NULL)
			return fail(w, ICARC_E_NOMEM, "out of memory for output");
		w->obuf = n;
		w->ocap = cap;
	}
	memcpy(w->obuf + w->olen, p, len);
	w->olen += len;
	w->offset += len;
	return ICARC_OK;
}

/* Append one finished record; Records_Digest takes every record's checksum (bytes 8..15). */
static int emit(struct icarc_writer *w, const uint8_t *rec, size_t len)
{
	XXH3_64bits_update(w->digest, rec + 8, 8);
	w->records++;
	return emit_raw(w, rec, len);
}

/* Build a record with a clear prefix and a body that is sealed in encrypted archives, and emit it. */
static int emit_record(struct icarc_writer *w, uint8_t type, const uint8_t *prefix, size_t prefix_len, const uint8_t *msg,
                       size_t msg_len)
{
	size_t seal = w->keys ? WIRE_SEAL_OVERHEAD : 0;
	size_t body = prefix_len + seal + msg_len;
	if (body > UINT32_MAX)
		return fail(w, ICARC_E_USAGE, "record too large");
	uint8_t *rec = malloc(WIRE_RECORD_HDR + body);
	if (rec == NULL)
		return fail(w, ICARC_E_NOMEM, "out of memory");
	uint8_t flags = w->keys ? WIRE_RF_SEALED : 0;
	struct wire_record r = {type, flags, (uint32_t)body, 0};
	wire_record_encode(rec, &r);
	memcpy(rec + WIRE_RECORD_HDR, prefix, prefix_len);
	uint8_t *m = rec + WIRE_RECORD_HDR + prefix_len;
	memcpy(m + (w->keys ? WIRE_NONCE_LEN : 0), msg, msg_len);
	if (w->keys) {
		uint8_t ad[WIRE_ID_LEN + 8 + 64];
		size_t ad_len = Icarc_ad(ad, w->id, rec, prefix, prefix_len);
		Icarc_seal(w->keys, m, msg_len, ad, ad_len);
	}
	Icarc_record_finish(rec, type, flags, (uint32_t)body, wire_seed(w->id));
	int ret = emit(w, rec, WIRE_RECORD_HDR + body);
	free(rec);
	return ret;
}

static int emit_header(struct icarc_writer *w)
{
	size_t mac = w->keys ? WIRE_MAC_LEN : 0;
	size_t body = WIRE_HEADER_FIXED + w->stanzas_len + mac;
	uint8_t *rec = malloc(WIRE_MAGIC_LEN + WIRE_RECORD_HDR + body);
	if (rec == NULL)
		return fail(w, ICARC_E_NOMEM, "out of memory");
	struct wire_header h = {ICARC_FORMAT_VERSION, w->keys ? WIRE_HF_ENCRYPTED : 0, {0}, w->chunk_size,
	                        WIRE_HASH_XXH3_128, w->keys ? WIRE_CIPHER_XCHACHA20POLY1305 : WIRE_CIPHER_NONE,
	                        WIRE_COMPRESSION_ZSTD, 0};
	memcpy(h.id, w->id, WIRE_ID_LEN);
	/* count stanzas: each is 4 bytes + its data */
	for (size_t p = 0; p < w->stanzas_len; p += 4 + wire_get16(w->stanzas + p + 2))
		h.n_stanzas++;
	memcpy(rec, WIRE_MAGIC, WIRE_MAGIC_LEN);
	uint8_t *r = rec + WIRE_MAGIC_LEN, *b = r + WIRE_RECORD_HDR;
	wire_header_encode(b, &h);
	if (w->stanzas_len)
		memcpy(b + WIRE_HEADER_FIXED, w->stanzas, w->stanzas_len);
	struct wire_record wr = {WIRE_HEADER, 0, (uint32_t)body, 0};
	wire_record_encode(r, &wr);
	if (w->keys)
		Icarc_header_mac(w->keys, r, b, body - mac, b + body - mac);
	Icarc_record_finish(r, WIRE_HEADER, 0, (uint32_t)body, 0);
	int ret = emit_raw(w, rec, WIRE_MAGIC_LEN);
	if (ret == ICARC_OK)
		ret = emit(w, r, WIRE_RECORD_HDR + body);
	free(rec);
	w->header_done = 1;
	return ret;
}

static int emit_segment(struct icarc_writer *w)
{
	if (w->n_rows == 0)
		return ICARC_OK;
	if (w->n_segrefs == w->cap_segrefs) {
		size_t cap = w->cap_segrefs ? w->cap_segrefs * 2 : 16;
		struct wire_segref *n = realloc(w->segrefs, cap * sizeof *n);
		if (n == NULL)
			return fail(w, ICARC_E_NOMEM, "out of memory");
		w->segrefs = n;
		w->cap_segrefs = cap;
	}
	uint8_t *msg = malloc(w->n_rows * WIRE_ROW_LEN);
	if (msg == NULL)
		return fail(w, ICARC_E_NOMEM, "out of memory");
	for (size_t i = 0; i < w->n_rows; i++)
		wire_row_encode(msg + i * WIRE_ROW_LEN, &w->rows[i]);
	uint8_t prefix[WIRE_SEGMENT_PREFIX];
	wire_put32(prefix, (uint32_t)w->n_segrefs);
	wire_put32(prefix + 4, (uint32_t)w->n_rows);
	struct wire_segref *s = &w->segrefs[w->n_segrefs];
	s->offset = w->offset;
	s->rows = (uint32_t)w->n_rows;
	s->first_entry = w->rows[0].entry;
	s->first_chunk = w->rows[0].index;
	uint64_t before = w->offset;
	int r = emit_record(w, WIRE_SEGMENT, prefix, sizeof prefix, msg, w->n_rows * WIRE_ROW_LEN);
	free(msg);
	s->size = (uint32_t)(w->offset - before);
	w->n_segrefs++;
	w->n_rows = 0;
	return r;
}

/* The head slot is done: its record goes out, its row into the index. */
static int emit_head(struct icarc_writer *w)
{
	struct slot *s = &w->slots[w->head];
	if (s->rd_len && s->rd_err)
		return read_failed(w, s->rd_off, s->rd_err < 0 ? 0 : s->rd_err);
	s->row.stored_offset = w->offset;
	int r = ICARC_OK;
	if (w->view && w->opos == w->olen) {
		/* Icarc_writer_push_view: the record is shown in its slot, not copied twice through
		 * obuf and the caller's buffer; push() returns before the slot can be refilled */
		XXH3_64bits_update(w->digest, s->rec + 8, 8);
		w->records++;
		w->offset += s->rec_len;
		w->view_p = s->rec;
		w->view_n = s->rec_len;
	} else {
		r = emit(w, s->rec, s->rec_len);
	}
	if (r < 0)
		return r;
	struct wentry *e = &w->entries[s->c.entry];
	if (s->c.index == 0)
		e->first_segment = (uint32_t)w->n_segrefs;
	e->size += s->c.plain_len;
	e->chunks++;
	w->rows[w->n_rows++] = s->row;
	w->total_chunks++;
	w->head = (w->head + 1) % w->nslots;
	w->inflight--;
	if (w->n_rows == WIRE_SEGMENT_ROWS)
		return emit_segment(w);
	return ICARC_OK;
}

static int wait_head(struct icarc_writer *w)
{
	Icarc_pool_wait(w->pool, &w->slots[w->head].job);
	return emit_head(w);
}

static void submit_cur(struct icarc_writer *w, int last)
{
	struct slot *s = w->cur;
	s->c.plain_len = (uint32_t)s->fill;
	s->c.flags = last ? WIRE_CF_LAST : 0;
	w->cur = NULL;
	w->inflight++;
	/* the nonce is drawn here, in chunk order, not on a worker: with a given random source the
	 * archive's bytes never depend on thread timing (spec/vectors are made with workers too) */
	if (w->keys)
		Icarc_random(s->rec + WIRE_RECORD_HDR + WIRE_CHUNK_PREFIX, WIRE_NONCE_LEN);
	if (s->zero) {
		/* A zero run costs a few microseconds to seal: a trip through a worker would cost two
		 * thread wake-ups, which on a loaded machine take longer than the work. The slot still
		 * keeps its place in the order, and the randomness is drawn in the same order. */
		s->rec_len = Icarc_chunk_seal(w->cc, w->keys, w->id, &s->c, NULL, s->rec, &s->row);
		s->job.done = 1;
		return;
	}
	Icarc_pool_submit(w->pool, &s->job);
}

static int take_slot(struct icarc_writer *w)
{
	if (w->inflight == w->nslots)
		return wait_head(w);
	struct slot *s = &w->slots[(w->head + w->inflight) % w->nslots];
	s->fill = 0;
	s->zero = 0;
	s->rd_len = 0;
	s->rd_err = 0;
	s->c.entry = (uint32_t)(w->n_entries - 1);
	s->c.index = w->next_index++;
	s->c.offset = s->c.index * w->chunk_size;
	w->cur = s;
	return ICARC_OK;
}

static int emit_entry(struct icarc_writer *w)
{
	if (w->n_entries == w->cap_entries) {
		size_t cap = w->cap_entries ? w->cap_entries * 2 : 8;
		struct wentry *n = realloc(w->entries, cap * sizeof *n);
		if (n == NULL)
			return fail(w, ICARC_E_NOMEM, "out of memory");
		w->entries = n;
		w->cap_entries = cap;
	}
	char *name = w->pending[0];
	size_t nl = strlen(name);
	uint8_t *msg = malloc(nl + 4);
	if (msg == NULL)
		return fail(w, ICARC_E_NOMEM, "out of memory");
	wire_put16(msg, (uint32_t)nl);
	memcpy(msg + 2, name, nl);
	wire_put16(msg + 2 + nl, 0);
	uint8_t prefix[WIRE_ENTRY_PREFIX] = {0};
	wire_put32(prefix, (uint32_t)w->n_entries);
	struct wentry *e = &w->entries[w->n_entries];
	memset(e, 0, sizeof *e);
	e->name = name;
	e->record_offset = w->offset;
	memmove(w->pending, w->pending + 1, --w->n_pending * sizeof *w->pending);
	w->n_entries++;
	w->entry_open = 1;
	w->next_index = 0;
	if (w->n_pending)
		w->need_end = 1; /* another entry was begun before any data: this one is empty */
	int r = emit_record(w, WIRE_ENTRY, prefix, sizeof prefix, msg, nl + 4);
	free(msg);
	return r;
}

static int emit_meta(struct icarc_writer *w)
{
	void *n = realloc(w->metarefs, (w->n_metarefs + 1) * sizeof *w->metarefs);
	size_t len = Icarc_meta_encoded_size(&w->meta);
	uint8_t *msg = malloc(len);
	if (n == NULL || msg == NULL) {
		free(msg);
		if (n)
			w->metarefs = n;
		return fail(w, ICARC_E_NOMEM, "out of memory");
	}
	w->metarefs = n;
	Icarc_meta_encode(&w->meta, msg);
	uint8_t prefix[WIRE_META_PREFIX] = {0};
	wire_put32(prefix, w->meta_seq++);
	uint64_t before = w->offset;
	int r = emit_record(w, WIRE_META, prefix, sizeof prefix, msg, len);
	free(msg);
	w->metarefs[w->n_metarefs].offset = before;
	w->metarefs[w->n_metarefs].size = (uint32_t)(w->offset - before);
	w->n_metarefs++;
	w->meta_dirty = 0;
	return r;
}

static int emit_index(struct icarc_writer *w)
{
	size_t len = w->n_segrefs * WIRE_SEGREF_LEN + w->n_metarefs * WIRE_METAREF_LEN;
	for (size_t i = 0; i < w->n_entries; i++)
		len += WIRE_ENTRY_ROW_LEN + strlen(w->entries[i].name);
	if (len > ICARC_INDEX_MAX)
		return fail(w, ICARC_E_USAGE, "index larger than 256 MiB");
	uint8_t *msg = malloc(len ? len : 1), *p = msg;
	if (msg == NULL)
		return fail(w, ICARC_E_NOMEM, "out of memory");
	for (size_t i = 0; i < w->n_entries; i++) {
		struct wentry *e = &w->entries[i];
		struct wire_entry_row er = {(uint32_t)i, (uint16_t)strlen(e->name), e->size, e->chunks, e->record_offset,
		                            e->first_segment};
		wire_entry_row_encode(p, &er);
		memcpy(p + WIRE_ENTRY_ROW_LEN, e->name, er.name_len);
		p += WIRE_ENTRY_ROW_LEN + er.name_len;
	}
	for (size_t i = 0; i < w->n_segrefs; i++, p += WIRE_SEGREF_LEN)
		wire_segref_encode(p, &w->segrefs[i]);
	for (size_t i = 0; i < w->n_metarefs; i++, p += WIRE_METAREF_LEN) {
		wire_put64(p, w->metarefs[i].offset);
		wire_put32(p + 8, w->metarefs[i].size);
		wire_put32(p + 12, 0);
	}
	uint8_t prefix[WIRE_INDEX_PREFIX] = {0};
	wire_put32(prefix, (uint32_t)w->n_entries);
	wire_put32(prefix + 4, (uint32_t)w->n_segrefs);
	wire_put32(prefix + 8, (uint32_t)w->n_metarefs);
	wire_put64(prefix + 16, w->total_chunks);
	uint64_t at = w->offset;
	int r = emit_record(w, WIRE_INDEX, prefix, sizeof prefix, msg, len);
	free(msg);
	if (r < 0)
		return r;
	struct wire_footer f = {at, w->offset - at, w->records, XXH3_64bits_digest(w->digest), {0}};
	memcpy(f.id, w->id, WIRE_ID_LEN);
	uint8_t foot[WIRE_FOOTER_LEN];
	wire_footer_encode(foot, &f);
	w->index_done = 1;
	return emit_raw(w, foot, sizeof foot);
}

/* A slot's bytes still in the file, when more input follows them: read them now. */
static int read_pending(struct icarc_writer *w, struct slot *s)
{
	if (s->rd_len == 0)
		return ICARC_OK;
	if (pread_full(s->rd_fd, s->plain, s->rd_len, s->rd_off) != 0)
		return read_failed(w, s->rd_off, errno);
	s->rd_len = 0;
	return ICARC_OK;
}

/* Whether [pos, pos + n) of the file is a hole (reads as zeros, has no storage): lseek is asked
 * once per extent of data or hole, not per chunk. Without SEEK_DATA, everything is data. */
static int file_hole(struct Icarc_file_in *f, size_t n)
{
#if !defined(SEEK_DATA) || !defined(SEEK_HOLE)
	(void)n;
	return 0;
#else
	if (f->hole_at <= f->pos) {
		off_t d = lseek(f->fd, (off_t)f->pos, SEEK_DATA);
		if (d < 0) {
			f->data_at = errno == ENXIO ? UINT64_MAX : 0; /* ENXIO: no data up to the end */
			f->hole_at = UINT64_MAX;
		} else {
			off_t h = lseek(f->fd, d, SEEK_HOLE);
			f->data_at = (uint64_t)d;
			f->hole_at = h < 0 ? UINT64_MAX : (uint64_t)h;
		}
	}
	return f->pos + n <= f->data_at;
#endif
}

/* Take input from a file range: full chunks are handed to the workers as reads (run_slot). */
static int take_file(struct icarc_writer *w, struct Icarc_file_in *f)
{
	struct slot *cs = w->cur;
	int r = read_pending(w, cs);
	if (r < 0)
		return r;
	uint64_t left = f->end - f->pos;
	size_t n = w->chunk_size - cs->fill;
	if (n > left)
		n = (size_t)left;
	if ((cs->fill == 0 || cs->zero) && file_hole(f, n)) {
		cs->zero = 1;
	} else {
		if (cs->zero) {
			memset(cs->plain, 0, cs->fill);
			cs->zero = 0;
		}
		if (cs->fill == 0) {
			cs->rd_fd = f->fd;
			cs->rd_off = f->pos;
			cs->rd_len = n;
		} else if (pread_full(f->fd, cs->plain + cs->fill, n, f->pos) != 0) {
			return read_failed(w, f->pos, errno);
		}
	}
	cs->fill += n;
	f->pos += n;
	return ICARC_OK;
}

static int push(struct icarc_writer *w, struct icarc_out *out, struct icarc_in *in, struct Icarc_file_in *file,
                enum icarc_push_mode mode)
{
	if (w->state == W_DONE)
		return w->olen > w->opos ? ICARC_NEED_OUTPUT : fail(w, ICARC_E_USAGE, "archive already finished");
	if (w->state == W_NEW) {
		int r = start(w);
		if (r < 0)
			return r;
	}
	int r = ICARC_OK;
	for (;;) {
		if (r < 0)
			return r;
		if (w->view_n) /* the caller writes what is in `out`, then the record shown */
			return ICARC_NEED_OUTPUT;
		if (w->opos < w->olen) { /* 1. deliver what is ready */
			size_t n = w->olen - w->opos, room = out->size - out->pos;
			if (n > room)
				n = room;
			memcpy((uint8_t *)out->dst + out->pos, w->obuf + w->opos, n);
			out->pos += n;
			w->opos += n;
			if (w->opos < w->olen)
				return ICARC_NEED_OUTPUT;
		}
		w->opos = w->olen = 0;
		if (w->index_done) {
			w->state = W_DONE;
			return ICARC_OK;
		}
		if (!w->header_done) {
			r = emit_header(w);
			continue;
		}
		if (w->inflight && Icarc_pool_is_done(w->pool, &w->slots[w->head].job)) {
			r = emit_head(w);
			continue;
		}
		if (w->need_end) { /* the open entry's last chunk: possibly empty */
			if (w->cur == NULL) {
				if (w->next_index > 0) {
					/* cannot happen: a handed-out chunk stays `cur` until more data comes */
					return fail(w, ICARC_E_USAGE, "internal: entry ended without a current chunk");
				}
				r = take_slot(w);
				if (w->cur == NULL)
					continue;
			}
			submit_cur(w, 1);
			w->need_end = 0;
			w->entry_open = 0;
			continue;
		}
		int in_left = (in && in->pos < in->size) || (file && file->pos < file->end);
		int finishing = mode == ICARC_FINISH && !in_left;
		if (finishing && w->entry_open) {
			w->need_end = 1;
			continue;
		}
		/* metadata goes between entries, never between the chunks of one */
		int meta_now = w->meta_dirty && !w->entry_open;
		if ((w->n_pending || meta_now || finishing) && w->inflight) {
			r = wait_head(w);
			continue;
		}
		if (meta_now) {
			r = emit_meta(w);
			continue;
		}
		if (w->n_pending) {
			r = emit_entry(w);
			continue;
		}
		if (finishing) {
			if (w->n_rows) {
				r = emit_segment(w);
				continue;
			}
			r = emit_index(w);
			continue;
		}
		if (in_left) { /* 2. take input */
			if (!w->entry_open)
				return fail(w, ICARC_E_USAGE, "data pushed before icarc_writer_begin_entry");
			if (w->cur && w->cur->fill == w->chunk_size) {
				submit_cur(w, 0);
				continue;
			}
			if (w->cur == NULL) {
				r = take_slot(w);
				continue;
			}
			if (file && file->pos < file->end) {
				r = take_file(w, file);
				continue;
			}
			if ((r = read_pending(w, w->cur)) < 0)
				continue;
			size_t n = w->chunk_size - w->cur->fill, avail = in->size - in->pos;
			if (n > avail)
				n = avail;
			const uint8_t *src = (const uint8_t *)in->src + in->pos;
			struct slot *cs = w->cur;
			if ((cs->fill == 0 || cs->zero) && Icarc_all_zero(src, n)) {
				/* canister memories are mostly zero: while a chunk is, nothing is copied */
				cs->zero = 1;
				cs->fill += n;
				in->pos += n;
				continue;
			}
			if (cs->zero) { /* data after zeros: the zeros that were not copied */
				memset(cs->plain, 0, cs->fill);
				cs->zero = 0;
			}
			memcpy(cs->plain + cs->fill, src, n);
			w->cur->fill += n;
			in->pos += n;
			continue;
		}
		if (mode == ICARC_END_ENTRY) {
			if (w->entry_open) {
				w->need_end = 1;
				continue;
			}
			if (w->inflight) {
				r = wait_head(w);
				continue;
			}
		}
		return ICARC_OK;
	}
}

int icarc_writer_push(struct icarc_writer *w, struct icarc_out *out, struct icarc_in *in, enum icarc_push_mode mode)
{
	CHECK(w);
	if (out == NULL || out->pos > out->size || (in && in->pos > in->size) || mode > ICARC_FINISH)
		return fail(w, ICARC_E_USAGE, "bad buffer or mode");
	return push(w, out, in, NULL, mode);
}

int Icarc_writer_push_view(struct icarc_writer *w, struct icarc_out *out, struct icarc_in *in, struct Icarc_file_in *file,
                           enum icarc_push_mode mode, const uint8_t **view, size_t *view_len)
{
	CHECK(w);
	*view_len = 0;
	if (out == NULL || out->pos > out->size || (in && in->pos > in->size) || (file && file->pos > file->end) ||
	    mode > ICARC_FINISH)
		return fail(w, ICARC_E_USAGE, "bad buffer or mode");
	w->view = 1;
	w->view_n = 0;
	int r = push(w, out, in, file, mode);
	w->view = 0;
	*view = w->view_p;
	*view_len = w->view_n;
	w->view_n = 0;
	return r;
}

uint64_t icarc_writer_offset(const struct icarc_writer *w)
{
	return w ? w->offset - (w->olen - w->opos) : 0;
}

void icarc_writer_archive_id(const struct icarc_writer *w, unsigned char id[ICARC_IDBYTES])
{
	if (w)
		memcpy(id, w->id, ICARC_IDBYTES);
}

struct icarc_err *Icarc_writer_err(struct icarc_writer *w)
{
	return &w->err;
}

const char *icarc_writer_error(const struct icarc_writer *w)
{
	if (w == NULL || w->magic != WRITER_MAGIC)
		return "not a writer handle";
	return Icarc_error_text(&w->err);
}

void icarc_writer_free(struct icarc_writer *w)
{
	if (w == NULL || w->magic != WRITER_MAGIC)
		return;
	Icarc_pool_free(w->pool); /* joins the workers before their slots go */
	Icarc_chunk_ctx_free(w->cc);
	if (w->slots)
		for (size_t i = 0; i < w->nslots; i++) {
			/* plaintext passed through here: wipe it */
			if (w->slots[i].plain)
				sodium_memzero(w->slots[i].plain, w->chunk_size);
			free(w->slots[i].plain); /* and rec, in the same block */
		}
	free(w->slots);
	free(w->rows);
	free(w->segrefs);
	free(w->metarefs);
	for (size_t i = 0; i < w->n_entries; i++)
		free(w->entries[i].name);
	free(w->entries);
	for (size_t i = 0; i < w->n_pending; i++)
		free(w->pending[i]);
	free(w->pending);
	Icarc_meta_clear(&w->meta);
	free(w->stanzas);
	free(w->obuf);
	Icarc_keys_free(w->keys);
	XXH3_freeState(w->digest);
	w->magic = 0;
	free(w);
}

int icarc_writer_resume(struct icarc_writer *w, struct icarc_reader *r, uint64_t *resume_offset)
{
	CHECK(w);
	if (w->state != W_NEW || w->keys || w->stanzas_len || w->meta.n || resume_offset == NULL)
		return fail(w, ICARC_E_USAGE, "resume a new writer, before any key, metadata or entry");
	struct resume_state st;
	int rc = Icarc_reader_take_resume(r, &st, &w->err);
	if (rc < 0)
		return rc;
	/* the archive's own parameters and keys replace the writer's */
	memcpy(w->id, st.id, WIRE_ID_LEN);
	w->chunk_size = st.chunk_size;
	w->keys = st.keys;
	XXH3_freeState(w->digest);
	w->digest = st.digest;
	rc = start(w);
	w->entries = calloc(st.n_entries ? st.n_entries : 1, sizeof *w->entries);
	w->metarefs = malloc((st.n_metas ? st.n_metas : 1) * sizeof *w->metarefs);
	w->segrefs = st.segs;
	w->n_segrefs = w->cap_segrefs = st.n_segs;
	if (rc == ICARC_OK && (w->entries == NULL || w->metarefs == NULL))
		rc = fail(w, ICARC_E_NOMEM, "out of memory");
	for (size_t i = 0; i < st.n_entries; i++) {
		if (rc == ICARC_OK)
			w->entries[i] = (struct wentry){st.entries[i].name, st.entries[i].size, st.entries[i].chunks,
			                                st.entries[i].record_offset, st.entries[i].first_segment};
		else
			free(st.entries[i].name);
	}
	if (rc == ICARC_OK) {
		w->n_entries = w->cap_entries = st.n_entries;
		w->entry_open = st.entry_open;
		w->next_index = st.next_index;
		memcpy(w->rows, st.rows, st.n_rows * sizeof *st.rows);
		w->n_rows = st.n_rows;
		for (uint32_t i = 0; i < st.n_metas; i++) {
			w->metarefs[i].offset = st.meta_offsets[i];
			w->metarefs[i].size = st.meta_sizes[i];
		}
		w->n_metarefs = st.n_metas;
		w->meta_seq = st.n_metas;
		w->meta = st.meta;
		memset(&st.meta, 0, sizeof st.meta);
		w->offset = st.offset;
		w->records = st.records;
		w->total_chunks = st.total_chunks;
		w->header_done = 1;
		*resume_offset = st.offset;
		if (w->n_rows == WIRE_SEGMENT_ROWS) /* cut right before a SEGMENT was due */
			rc = emit_segment(w);
	}
	Icarc_meta_clear(&st.meta);
	free(st.entries);
	free(st.rows);
	free(st.meta_offsets);
	free(st.meta_sizes);
	if (rc < 0)
		w->state = W_FATAL;
	return rc;
}

size_t icarc_writer_entry_count(const struct icarc_writer *w)
{
	return w && w->magic == WRITER_MAGIC ? w->n_entries : 0;
}

int icarc_writer_entry_state(const struct icarc_writer *w, size_t i, const char **name, uint64_t *committed, int *complete)
{
	if (w == NULL || w->magic != WRITER_MAGIC)
		return ICARC_E_USAGE;
	if (i >= w->n_entries)
		return ICARC_E_NOTFOUND;
	if (name)
		*name = w->entries[i].name;
	if (committed)
		*committed = w->entries[i].size;
	if (complete)
		*complete = !(w->entry_open && i == w->n_entries - 1);
	return ICARC_OK;
}

int icarc_writer_meta_get(const struct icarc_writer *w, const char *key, const void **value, size_t *len)
{
	if (w == NULL || w->magic != WRITER_MAGIC || key == NULL)
		return ICARC_E_USAGE;
	const struct meta_item *it = Icarc_meta_find(&w->meta, key);
	if (it == NULL)
		return ICARC_E_NOTFOUND;
	*value = it->value;
	*len = it->len;
	return ICARC_OK;
}
