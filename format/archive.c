/* archive.c - random access to a seekable archive (spec/FORMAT.md: Reading a seekable file):
 * header, footer, authenticated index, then only the segments and chunks a request touches. */
#include "config.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

#define ARCHIVE_MAGIC 0x41524348u

struct aentry {
	char *name;
	uint64_t size, chunks, record_offset, first_global, stored_bytes, zero_chunks;
	uint32_t first_segment;
};

struct icarc_archive {
	uint32_t magic;
	int fatal, open;
	struct icarc_err err;
	uint64_t max_entries, max_kdf_mem;
	struct icarc_keyring kr;

	icarc_read_at_fn *read_at;
	void *ctx;
	int fd;
	uint64_t size;

	struct header_info hi;
	int encrypted;
	struct icarc_keys *keys;
	uint64_t seed;
	uint64_t total_chunks;

	struct aentry *entries;
	size_t n_entries;
	struct wire_segref *segs;
	uint64_t *seg_start; /* global chunk number of each segment's first row */
	uint32_t n_segs;
	struct meta_map meta;

	struct wire_row *rows; /* cached segment */
	long cached_seg;
	struct chunk_ctx *cc;
	uint8_t *rec, *plain;
	size_t cached_entry;
	uint64_t cached_chunk;
	int have_plain;
};

#define CHECK(a)                                                        \
	do {                                                            \
		if ((a) == NULL || (a)->magic != ARCHIVE_MAGIC)         \
			return ICARC_E_USAGE;                           \
		if ((a)->fatal)                                         \
			return (a)->err.status;                         \
	} while (0)

static int fail(struct icarc_archive *a, int status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
static int fail(struct icarc_archive *a, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->err.msg, sizeof a->err.msg, fmt, ap);
	va_end(ap);
	a->err.status = status;
	if (!a->open)
		a->fatal = 1;
	return status;
}

struct icarc_archive *icarc_archive_new(void)
{
	struct icarc_archive *a = calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	a->magic = ARCHIVE_MAGIC;
	a->fd = -1;
	a->cached_seg = -1;
	a->max_entries = ICARC_DEFAULT_MAX_ENTRIES;
	a->max_kdf_mem = ICARC_DEFAULT_MAX_KDF_MEM;
	return a;
}

int icarc_archive_set_option(struct icarc_archive *a, enum icarc_option opt, int64_t v)
{
	CHECK(a);
	if (a->open)
		return Icarc_set_error(&a->err, ICARC_E_USAGE, "options must be set before opening");
	switch (opt) {
	case ICARC_OPT_WORKERS: return v >= 0 && v <= 64 ? ICARC_OK : ICARC_E_USAGE; /* reads are synchronous */
	case ICARC_OPT_MAX_ENTRIES:
		if (v < 1)
			return ICARC_E_USAGE;
		a->max_entries = (uint64_t)v;
		return ICARC_OK;
	case ICARC_OPT_MAX_KDF_MEM:
		if (v < 1)
			return ICARC_E_USAGE;
		a->max_kdf_mem = (uint64_t)v;
		return ICARC_OK;
	default: return Icarc_set_error(&a->err, ICARC_E_USAGE, "option does not apply to an archive handle");
	}
}

int icarc_archive_add_identity(struct icarc_archive *a, const unsigned char sk[ICARC_SECRETKEYBYTES])
{
	CHECK(a);
	return sk ? Icarc_keyring_add_sk(&a->kr, sk) : ICARC_E_USAGE;
}

int icarc_archive_add_passphrase(struct icarc_archive *a, const char *pass, size_t len)
{
	CHECK(a);
	return pass ? Icarc_keyring_add_pass(&a->kr, pass, len) : ICARC_E_USAGE;
}

static int rd(struct icarc_archive *a, uint64_t off, void *buf, size_t len, const char *what)
{
	if (off > a->size || len > a->size - off)
		return fail(a, ICARC_E_FORMAT, "%s at offset %llu (%zu bytes) lies outside the %llu-byte file", what,
		            (unsigned long long)off, len, (unsigned long long)a->size);
	if (a->read_at(a->ctx, off, buf, len) != 0)
		return fail(a, ICARC_E_IO, "reading %s at offset %llu: %s", what, (unsigned long long)off, strerror(errno));
	return ICARC_OK;
}

/* Read a whole record of `type` at `off`, `size` bytes long; check its header and checksum. */
static int read_record(struct icarc_archive *a, uint64_t off, uint64_t size, unsigned type, uint8_t *buf, const char *what)
{
	struct wire_record rec;
	if (size < WIRE_RECORD_HDR)
		return fail(a, ICARC_E_FORMAT, "%s at offset %llu: size %llu too small", what, (unsigned long long)off,
		            (unsigned long long)size);
	int st = rd(a, off, buf, (size_t)size, what);
	if (st < 0)
		return st;
	if (wire_record_decode(buf, &rec) != 0 || rec.type != type || rec.length != size - WIRE_RECORD_HDR)
		return fail(a, ICARC_E_FORMAT, "%s at offset %llu: not the record the index points to", what, (unsigned long long)off);
	if (Icarc_record_checksum(a->seed, buf, buf + WIRE_RECORD_HDR, rec.length) != rec.checksum)
		return fail(a, ICARC_E_CHECKSUM, "%s at offset %llu: record checksum mismatch", what, (unsigned long long)off);
	if (((rec.flags & WIRE_RF_SEALED) != 0) != a->encrypted)
		return fail(a, ICARC_E_FORMAT, "%s at offset %llu: Sealed flag does not match the archive's mode", what,
		            (unsigned long long)off);
	return ICARC_OK;
}

/* Open a record's sealed part in place; returns the plaintext and its length. */
static uint8_t *unseal(struct icarc_archive *a, uint8_t *rec, size_t prefix_len, size_t *len, uint64_t off, const char *what)
{
	uint32_t body = wire_get32(rec + 4);
	uint8_t *msg = rec + WIRE_RECORD_HDR + prefix_len;
	size_t n = body - prefix_len;
	if (!a->encrypted) {
		*len = n;
		return msg;
	}
	uint8_t ad[WIRE_ID_LEN + 8 + 64];
	size_t ad_len = Icarc_ad(ad, a->hi.h.id, rec, rec + WIRE_RECORD_HDR, prefix_len);
	if (Icarc_open(a->keys, msg, n, ad, ad_len) != 0) {
		fail(a, ICARC_E_AUTH, "%s at offset %llu does not authenticate", what, (unsigned long long)off);
		return NULL;
	}
	*len = n - WIRE_SEAL_OVERHEAD;
	return msg + WIRE_NONCE_LEN;
}

static int open_header(struct icarc_archive *a)
{
	uint8_t first[WIRE_MAGIC_LEN + WIRE_RECORD_HDR];
	struct wire_record rec;
	if (a->size < sizeof first + WIRE_HEADER_FIXED + WIRE_FOOTER_LEN)
		return fail(a, ICARC_E_TRUNCATED, "file of %llu bytes is too short for an archive", (unsigned long long)a->size);
	int st = rd(a, 0, first, sizeof first, "header");
	if (st < 0)
		return st;
	if (memcmp(first, WIRE_MAGIC, WIRE_MAGIC_LEN) != 0)
		return fail(a, ICARC_E_FORMAT, "offset 0: not an icarc archive (bad magic)");
	if (wire_record_decode(first + WIRE_MAGIC_LEN, &rec) != 0 || rec.type != WIRE_HEADER ||
	    rec.length > WIRE_HEADER_FIXED + WIRE_MAX_STANZAS * (4 + 256) + WIRE_MAC_LEN)
		return fail(a, ICARC_E_FORMAT, "offset 8: no valid HEADER record");
	size_t n = sizeof first + rec.length;
	uint8_t *buf = malloc(n);
	if (buf == NULL)
		return fail(a, ICARC_E_NOMEM, "out of memory");
	memcpy(buf, first, sizeof first);
	st = rd(a, sizeof first, buf + sizeof first, rec.length, "header");
	if (st == ICARC_OK &&
	    Icarc_record_checksum(0, buf + WIRE_MAGIC_LEN, buf + sizeof first, rec.length) != rec.checksum)
		st = fail(a, ICARC_E_CHECKSUM, "offset 8: HEADER record checksum mismatch");
	if (st == ICARC_OK) {
		st = Icarc_header_open(&a->err, buf, n, &a->kr, 0, a->max_kdf_mem, &a->hi, &a->keys);
		if (st < 0)
			a->fatal = 1;
	}
	free(buf);
	if (st < 0)
		return st;
	a->encrypted = (a->hi.h.flags & WIRE_HF_ENCRYPTED) != 0;
	a->seed = wire_seed(a->hi.h.id);
	return ICARC_OK;
}

static int open_index(struct icarc_archive *a)
{
	uint8_t foot[WIRE_FOOTER_LEN];
	struct wire_footer f;
	const char *why;
	uint64_t foot_at = a->size - WIRE_FOOTER_LEN;
	int st = rd(a, foot_at, foot, sizeof foot, "footer");
	if (st < 0)
		return st;
	st = wire_footer_decode(foot, &f, &why);
	if (st < 0)
		return fail(a, st, "footer at offset %llu: %s", (unsigned long long)foot_at, why);
	if (memcmp(f.id, a->hi.h.id, WIRE_ID_LEN) != 0)
		return fail(a, ICARC_E_FORMAT, "footer at offset %llu belongs to another archive", (unsigned long long)foot_at);
	if (f.index_size > ICARC_INDEX_MAX + 4096 || f.index_offset + f.index_size != foot_at)
		return fail(a, ICARC_E_FORMAT, "footer at offset %llu: the index is not right before it", (unsigned long long)foot_at);
	uint8_t *rec = malloc((size_t)f.index_size);
	if (rec == NULL)
		return fail(a, ICARC_E_NOMEM, "out of memory for a %llu-byte index", (unsigned long long)f.index_size);
	st = read_record(a, f.index_offset, f.index_size, WIRE_INDEX, rec, "INDEX record");
	if (st < 0 || f.index_size < WIRE_RECORD_HDR + WIRE_INDEX_PREFIX) {
		free(rec);
		return st < 0 ? st : fail(a, ICARC_E_FORMAT, "INDEX record too short");
	}
	const uint8_t *pre = rec + WIRE_RECORD_HDR;
	uint32_t n_entries = wire_get32(pre), n_segs = wire_get32(pre + 4), n_meta = wire_get32(pre + 8);
	a->total_chunks = wire_get64(pre + 16);
	size_t len;
	uint8_t *p = unseal(a, rec, WIRE_INDEX_PREFIX, &len, f.index_offset, "INDEX record");
	if (p == NULL) {
		free(rec);
		return a->err.status;
	}
	if (n_entries > a->max_entries) {
		free(rec);
		return fail(a, ICARC_E_LIMIT, "index lists %u entries (limit %llu)", n_entries, (unsigned long long)a->max_entries);
	}
	/* counts are checked against the bytes present before anything is allocated for them */
	if ((uint64_t)n_entries * WIRE_ENTRY_ROW_LEN + (uint64_t)n_segs * WIRE_SEGREF_LEN + (uint64_t)n_meta * WIRE_METAREF_LEN > len) {
		free(rec);
		return fail(a, ICARC_E_FORMAT, "INDEX record at offset %llu: %u entries, %u segments, %u metadata records do "
		            "not fit in its %zu bytes", (unsigned long long)f.index_offset, n_entries, n_segs, n_meta, len);
	}
	a->entries = calloc(n_entries ? n_entries : 1, sizeof *a->entries);
	a->segs = calloc(n_segs ? n_segs : 1, sizeof *a->segs);
	a->seg_start = calloc(n_segs + 1, sizeof *a->seg_start);
	if (a->entries == NULL || a->segs == NULL || a->seg_start == NULL) {
		free(rec);
		return fail(a, ICARC_E_NOMEM, "out of memory for the index");
	}
	size_t pos = 0;
	uint64_t global = 0;
	st = ICARC_OK;
	for (uint32_t i = 0; i < n_entries && st == ICARC_OK; i++) {
		struct wire_entry_row er;
		uint32_t cs = a->hi.h.chunk_size;
		if (len - pos < WIRE_ENTRY_ROW_LEN || wire_entry_row_decode(p + pos, &er) != 0 || er.id != i ||
		    er.name_len == 0 || len - pos - WIRE_ENTRY_ROW_LEN < er.name_len ||
		    memchr(p + pos + WIRE_ENTRY_ROW_LEN, 0, er.name_len) != NULL ||
		    /* the size needs exactly `chunks` chunks; an empty entry has one empty chunk */
		    er.chunks != (er.size == 0 ? 1 : er.size / cs + (er.size % cs != 0)) || er.chunks > a->total_chunks - global) {
			st = fail(a, ICARC_E_FORMAT, "INDEX record: entry %u is malformed", i);
			break;
		}
		struct aentry *e = &a->entries[i];
		e->name = malloc(er.name_len + 1u);
		if (e->name == NULL) {
			st = fail(a, ICARC_E_NOMEM, "out of memory");
			break;
		}
		memcpy(e->name, p + pos + WIRE_ENTRY_ROW_LEN, er.name_len);
		e->name[er.name_len] = '\0';
		a->n_entries++;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(a->entries[j].name, e->name) == 0)
				st = fail(a, ICARC_E_FORMAT, "INDEX record: entry name '%s' repeated", e->name);
		e->size = er.size;
		e->chunks = er.chunks;
		e->record_offset = er.record_offset;
		e->first_segment = er.first_segment;
		e->first_global = global;
		global += er.chunks;
		pos += WIRE_ENTRY_ROW_LEN + er.name_len;
	}
	if (st == ICARC_OK && (global != a->total_chunks ||
	                       len - pos != (size_t)n_segs * WIRE_SEGREF_LEN + (size_t)n_meta * WIRE_METAREF_LEN))
		st = fail(a, ICARC_E_FORMAT, "INDEX record: counts do not add up");
	uint64_t rows = 0;
	for (uint32_t i = 0; i < n_segs && st == ICARC_OK; i++, pos += WIRE_SEGREF_LEN) {
		struct wire_segref *s = &a->segs[i];
		if (wire_segref_decode(p + pos, s) != 0 || s->rows == 0 || s->rows > WIRE_SEGMENT_ROWS ||
		    s->size != WIRE_RECORD_HDR + WIRE_SEGMENT_PREFIX + (a->encrypted ? WIRE_SEAL_OVERHEAD : 0) + s->rows * WIRE_ROW_LEN ||
		    s->offset >= f.index_offset)
			st = fail(a, ICARC_E_FORMAT, "INDEX record: segment %u is malformed", i);
		a->seg_start[i] = rows;
		rows += s->rows;
		a->n_segs++;
	}
	a->seg_start[a->n_segs] = rows;
	if (st == ICARC_OK && rows != a->total_chunks)
		st = fail(a, ICARC_E_FORMAT, "INDEX record: segments hold %llu chunks, the entries %llu",
		          (unsigned long long)rows, (unsigned long long)a->total_chunks);
	for (uint32_t i = 0; i < n_meta && st == ICARC_OK; i++, pos += WIRE_METAREF_LEN) {
		uint64_t off = wire_get64(p + pos);
		uint32_t size = wire_get32(p + pos + 8);
		if (size > (16U << 20) || size < WIRE_RECORD_HDR + WIRE_META_PREFIX || off > a->size || size > a->size - off) {
			st = fail(a, ICARC_E_FORMAT, "INDEX record: metadata record %u is malformed", i);
			break;
		}
		uint8_t *m = malloc(size);
		if (m == NULL) {
			st = fail(a, ICARC_E_NOMEM, "out of memory");
			break;
		}
		st = read_record(a, off, size, WIRE_META, m, "META record");
		size_t ml;
		uint8_t *mp = st == ICARC_OK ? unseal(a, m, WIRE_META_PREFIX, &ml, off, "META record") : NULL;
		if (st == ICARC_OK && mp == NULL)
			st = a->err.status;
		if (st == ICARC_OK && (st = Icarc_meta_decode(&a->meta, mp, ml, &why)) != ICARC_OK)
			st = fail(a, st, "META record at offset %llu: %s", (unsigned long long)off, why);
		free(m);
	}
	free(rec);
	return st;
}

static int load_segment(struct icarc_archive *a, uint32_t i)
{
	if (a->cached_seg == (long)i)
		return ICARC_OK;
	struct wire_segref *s = &a->segs[i];
	uint8_t *rec = malloc(s->size);
	if (rec == NULL)
		return fail(a, ICARC_E_NOMEM, "out of memory");
	int st = read_record(a, s->offset, s->size, WIRE_SEGMENT, rec, "SEGMENT record");
	size_t len = 0;
	uint8_t *p = NULL;
	if (st == ICARC_OK && (wire_get32(rec + WIRE_RECORD_HDR) != i || wire_get32(rec + WIRE_RECORD_HDR + 4) != s->rows))
		st = fail(a, ICARC_E_FORMAT, "SEGMENT record at offset %llu is not segment %u", (unsigned long long)s->offset, i);
	if (st == ICARC_OK && (p = unseal(a, rec, WIRE_SEGMENT_PREFIX, &len, s->offset, "SEGMENT record")) == NULL)
		st = a->err.status;
	if (st == ICARC_OK && len != (size_t)s->rows * WIRE_ROW_LEN)
		st = fail(a, ICARC_E_FORMAT, "SEGMENT record at offset %llu has the wrong size", (unsigned long long)s->offset);
	a->cached_seg = -1;
	for (uint32_t j = 0; st == ICARC_OK && j < s->rows; j++) {
		struct wire_row *row = &a->rows[j];
		uint64_t g = a->seg_start[i] + j;
		if (wire_row_decode(p + j * WIRE_ROW_LEN, row) != 0 || row->entry >= a->n_entries ||
		    g != a->entries[row->entry].first_global + row->index || row->index >= a->entries[row->entry].chunks ||
		    (j == 0 && (row->entry != s->first_entry || row->index != s->first_chunk))) {
			st = fail(a, ICARC_E_FORMAT, "SEGMENT record at offset %llu: row %u is out of place", (unsigned long long)s->offset, j);
			break;
		}
		/* [R-CHUNK]: every chunk but the last is full, the last holds the rest, only it is Last */
		const struct aentry *e = &a->entries[row->entry];
		uint64_t start = row->index * (uint64_t)a->hi.h.chunk_size;
		uint64_t want = e->size - start < a->hi.h.chunk_size ? e->size - start : a->hi.h.chunk_size;
		int last = row->index == e->chunks - 1;
		if (row->plain_len != want || ((row->flags & WIRE_CF_LAST) != 0) != last || (row->flags & WIRE_CF_RESERVED))
			st = fail(a, ICARC_E_FORMAT, "SEGMENT record at offset %llu: chunk %llu of entry '%s' has length %u (%llu expected)%s",
			          (unsigned long long)s->offset, (unsigned long long)row->index, e->name, row->plain_len,
			          (unsigned long long)want, last ? "" : " or a wrong Last flag");
	}
	free(rec);
	if (st == ICARC_OK)
		a->cached_seg = i;
	return st;
}

/* Per-entry totals that need every segment: stored bytes and zero chunks. */
static int scan_segments(struct icarc_archive *a)
{
	for (uint32_t i = 0; i < a->n_segs; i++) {
		int st = load_segment(a, i);
		if (st < 0)
			return st;
		for (uint32_t j = 0; j < a->segs[i].rows; j++) {
			struct aentry *e = &a->entries[a->rows[j].entry];
			e->stored_bytes += a->rows[j].stored_size;
			if ((a->rows[j].flags & WIRE_CF_CODEC_MASK) == ICARC_CODEC_ZERO)
				e->zero_chunks++;
		}
	}
	return ICARC_OK;
}

int icarc_archive_open_cb(struct icarc_archive *a, icarc_read_at_fn *read_at, void *ctx, uint64_t size)
{
	CHECK(a);
	if (a->open || read_at == NULL)
		return Icarc_set_error(&a->err, ICARC_E_USAGE, "handle already open, or no read function");
	a->read_at = read_at;
	a->ctx = ctx;
	a->size = size;
	int st = open_header(a);
	if (st == ICARC_OK) {
		a->rows = malloc(WIRE_SEGMENT_ROWS * sizeof *a->rows);
		a->cc = Icarc_chunk_ctx_new(1);
		a->plain = Icarc_slot_alloc(a->hi.h.chunk_size, Icarc_chunk_record_max(a->hi.h.chunk_size));
		a->rec = a->plain ? a->plain + a->hi.h.chunk_size : NULL;
		if (a->rows == NULL || a->cc == NULL || a->plain == NULL)
			st = fail(a, ICARC_E_NOMEM, "out of memory");
	}
	if (st == ICARC_OK)
		st = open_index(a);
	if (st == ICARC_OK)
		st = scan_segments(a);
	if (st < 0) {
		a->fatal = 1;
		return st;
	}
	a->open = 1;
	return ICARC_OK;
}

static int fd_read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
	int fd = *(int *)ctx;
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO; /* the file shrank under us */
			return -1;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int icarc_archive_open_fd(struct icarc_archive *a, int fd)
{
	CHECK(a);
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return Icarc_set_error(&a->err, ICARC_E_USAGE, "random access needs a regular file");
	a->fd = fd;
	return icarc_archive_open_cb(a, fd_read_at, &a->fd, (uint64_t)st.st_size);
}

int icarc_archive_encrypted(const struct icarc_archive *a)
{
	return a && a->magic == ARCHIVE_MAGIC && a->open ? a->encrypted : -1;
}

void icarc_archive_id(const struct icarc_archive *a, unsigned char id[ICARC_IDBYTES])
{
	if (a && a->magic == ARCHIVE_MAGIC)
		memcpy(id, a->hi.h.id, ICARC_IDBYTES);
}

uint32_t icarc_archive_chunk_size(const struct icarc_archive *a)
{
	return a && a->magic == ARCHIVE_MAGIC ? a->hi.h.chunk_size : 0;
}

uint64_t icarc_archive_file_size(const struct icarc_archive *a)
{
	return a && a->magic == ARCHIVE_MAGIC ? a->size : 0;
}

size_t icarc_archive_entry_count(const struct icarc_archive *a)
{
	return a && a->magic == ARCHIVE_MAGIC && a->open ? a->n_entries : 0;
}

int icarc_archive_entry(const struct icarc_archive *a, size_t i, struct icarc_entry_info *info)
{
	if (a == NULL || a->magic != ARCHIVE_MAGIC || !a->open || info == NULL)
		return ICARC_E_USAGE;
	if (i >= a->n_entries)
		return ICARC_E_NOTFOUND;
	const struct aentry *e = &a->entries[i];
	info->name = e->name;
	info->size = e->size;
	info->chunks = e->chunks;
	info->stored_bytes = e->stored_bytes;
	info->zero_chunks = e->zero_chunks;
	return ICARC_OK;
}

int icarc_archive_find(const struct icarc_archive *a, const char *name)
{
	if (a == NULL || a->magic != ARCHIVE_MAGIC || !a->open || name == NULL)
		return ICARC_E_USAGE;
	for (size_t i = 0; i < a->n_entries; i++)
		if (strcmp(a->entries[i].name, name) == 0)
			return (int)i;
	return ICARC_E_NOTFOUND;
}

static int find_row(struct icarc_archive *a, size_t entry, uint64_t chunk, const struct wire_row **row)
{
	if (entry >= a->n_entries || chunk >= a->entries[entry].chunks)
		return Icarc_set_error(&a->err, ICARC_E_NOTFOUND, "no chunk %llu in entry %zu", (unsigned long long)chunk, entry);
	uint64_t g = a->entries[entry].first_global + chunk;
	uint32_t lo = 0, hi = a->n_segs; /* last segment whose start <= g */
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (a->seg_start[mid] <= g)
			lo = mid;
		else
			hi = mid;
	}
	int st = load_segment(a, lo);
	if (st < 0)
		return st;
	*row = &a->rows[g - a->seg_start[lo]];
	return ICARC_OK;
}

int icarc_archive_chunk(struct icarc_archive *a, size_t entry, uint64_t chunk, struct icarc_chunk_info *info)
{
	CHECK(a);
	const struct wire_row *row;
	if (!a->open || info == NULL)
		return ICARC_E_USAGE;
	int st = find_row(a, entry, chunk, &row);
	if (st < 0)
		return st;
	info->offset = chunk * a->hi.h.chunk_size;
	info->length = row->plain_len;
	info->codec = row->flags & WIRE_CF_CODEC_MASK;
	info->stored_offset = row->stored_offset;
	info->stored_size = row->stored_size;
	memcpy(info->hash, row->hash, ICARC_HASHBYTES);
	return ICARC_OK;
}

/* Decode chunk `chunk` of `entry` into a->plain, authenticated and hash-checked. */
static int load_chunk(struct icarc_archive *a, size_t entry, uint64_t chunk)
{
	if (a->have_plain && a->cached_entry == entry && a->cached_chunk == chunk)
		return ICARC_OK;
	const struct wire_row *rowp;
	int st = find_row(a, entry, chunk, &rowp);
	if (st < 0)
		return st;
	struct wire_row row = *rowp;
	a->have_plain = 0;
	if (row.stored_size > Icarc_chunk_record_max(a->hi.h.chunk_size))
		return fail(a, ICARC_E_FORMAT, "index: chunk %llu of entry '%s' has an implausible size", (unsigned long long)chunk,
		            a->entries[entry].name);
	st = read_record(a, row.stored_offset, row.stored_size, WIRE_CHUNK, a->rec, "CHUNK record");
	if (st < 0)
		return st;
	struct wire_chunk c;
	if (row.stored_size < WIRE_RECORD_HDR + WIRE_CHUNK_PREFIX || wire_chunk_decode(a->rec + WIRE_RECORD_HDR, &c) != 0 ||
	    c.entry != entry || c.index != chunk || c.offset != chunk * a->hi.h.chunk_size || c.flags != row.flags ||
	    c.plain_len != row.plain_len || c.plain_len > a->hi.h.chunk_size)
		return fail(a, ICARC_E_FORMAT, "CHUNK record at offset %llu is not chunk %llu of entry '%s' as the index says",
		            (unsigned long long)row.stored_offset, (unsigned long long)chunk, a->entries[entry].name);
	uint8_t hash[WIRE_HASH_LEN];
	char why[160];
	st = Icarc_chunk_open(a->cc, a->keys, a->hi.h.id, a->rec, row.stored_size, &c, a->plain, hash, why, sizeof why);
	if (st == ICARC_OK && memcmp(hash, row.hash, WIRE_HASH_LEN) != 0) {
		st = ICARC_E_CHECKSUM;
		snprintf(why, sizeof why, "plaintext hash differs from the index");
	}
	if (st < 0)
		return fail(a, st, "CHUNK record at offset %llu (entry '%s', bytes %llu..%llu): %s",
		            (unsigned long long)row.stored_offset, a->entries[entry].name, (unsigned long long)c.offset,
		            (unsigned long long)(c.offset + c.plain_len), why);
	a->cached_entry = entry;
	a->cached_chunk = chunk;
	a->have_plain = 1;
	return ICARC_OK;
}

int icarc_archive_read(struct icarc_archive *a, size_t entry, uint64_t offset, void *buf, size_t len)
{
	CHECK(a);
	if (!a->open || (buf == NULL && len))
		return ICARC_E_USAGE;
	if (entry >= a->n_entries || offset > a->entries[entry].size || len > a->entries[entry].size - offset)
		return Icarc_set_error(&a->err, ICARC_E_NOTFOUND, "range %llu+%zu is outside the entry", (unsigned long long)offset, len);
	uint8_t *out = buf;
	uint32_t cs = a->hi.h.chunk_size;
	while (len > 0) {
		uint64_t chunk = offset / cs;
		size_t in = (size_t)(offset % cs);
		int st = load_chunk(a, entry, chunk);
		if (st < 0)
			return st;
		size_t n = cs - in;
		if (n > len)
			n = len;
		memcpy(out, a->plain + in, n);
		out += n;
		offset += n;
		len -= n;
	}
	return ICARC_OK;
}

size_t icarc_archive_meta_count(const struct icarc_archive *a)
{
	return a && a->magic == ARCHIVE_MAGIC ? a->meta.n : 0;
}

int icarc_archive_meta(const struct icarc_archive *a, size_t i, const char **key, const void **value, size_t *len)
{
	if (a == NULL || a->magic != ARCHIVE_MAGIC || i >= a->meta.n)
		return ICARC_E_NOTFOUND;
	*key = a->meta.items[i].key;
	*value = a->meta.items[i].value;
	*len = a->meta.items[i].len;
	return ICARC_OK;
}

int icarc_archive_meta_get(const struct icarc_archive *a, const char *key, const void **value, size_t *len)
{
	if (a == NULL || a->magic != ARCHIVE_MAGIC || key == NULL)
		return ICARC_E_USAGE;
	const struct meta_item *it = Icarc_meta_find(&a->meta, key);
	if (it == NULL)
		return ICARC_E_NOTFOUND;
	*value = it->value;
	*len = it->len;
	return ICARC_OK;
}

const char *icarc_archive_error(const struct icarc_archive *a)
{
	if (a == NULL || a->magic != ARCHIVE_MAGIC)
		return "not an archive handle";
	return Icarc_error_text(&a->err);
}

void icarc_archive_free(struct icarc_archive *a)
{
	if (a == NULL || a->magic != ARCHIVE_MAGIC)
		return;
	for (size_t i = 0; i < a->n_entries; i++)
		free(a->entries[i].name);
	free(a->entries);
	free(a->segs);
	free(a->seg_start);
	free(a->rows);
	Icarc_chunk_ctx_free(a->cc);
	if (a->plain) {
		sodium_memzero(a->plain, a->hi.h.chunk_size);
		free(a->plain); /* and rec, in the same block */
	}
	Icarc_meta_clear(&a->meta);
	Icarc_keys_free(a->keys);
	Icarc_keyring_clear(&a->kr);
	a->magic = 0;
	free(a);
}
