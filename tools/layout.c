/* layout.c - layout recognition and the MemoryManager virtual memories (see layout.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/layout.h"
#include "tools/mpread.h"

static const char *const names[] = {"auto", "raw", "u32le", "u64le", "stable-cell", "memory-manager"};

const char *lay_name(enum lay_kind k)
{
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static int simple_kind(const char *s, size_t n, enum lay_kind *k)
{
	for (unsigned i = 0; i < 5; i++) {
		if (strlen(names[i]) == n && strncmp(s, names[i], n) == 0) {
			*k = (enum lay_kind)i;
			return 0;
		}
	}
	return -1;
}

int lay_parse(const char *text, struct lay_spec *spec, char *err, size_t errlen)
{
	memset(spec, 0, sizeof *spec);
	spec->mem_id = -1;
	if (simple_kind(text, strlen(text), &spec->kind) == 0)
		return 0;
	static const char mm[] = "memory-manager:";
	if (strncmp(text, mm, sizeof mm - 1) == 0) {
		const char *p = text + sizeof mm - 1;
		char *end;
		long id = strtol(p, &end, 10);
		if (end == p || id < 0 || id >= MGR_MAX_MEMORIES || (*end != 0 && *end != ':')) {
			snprintf(err, errlen, "--layout %s: the memory id must be 0..254", text);
			return -1;
		}
		spec->kind = LAY_MGR;
		spec->mem_id = (int)id;
		spec->inner = LAY_AUTO;
		if (*end == ':' && simple_kind(end + 1, strlen(end + 1), &spec->inner) != 0) {
			snprintf(err, errlen, "--layout %s: unknown layout '%s' inside the memory", text, end + 1);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown --layout '%s' (auto, raw, u32le, u64le, stable-cell, memory-manager:ID)",
	         text);
	return -1;
}

void lay_result_free(struct lay_result *res)
{
	if (res->owned)
		st_close(res->src);
	res->src = NULL;
	res->owned = 0;
}

/* ---- value checks ---- */

static int all_zero(struct st_src *src, uint64_t start, uint64_t end, uint64_t *first_nonzero,
                    char *err, size_t errlen)
{
	unsigned char buf[65536];
	for (uint64_t off = start; off < end;) {
		size_t n = end - off < sizeof buf ? (size_t)(end - off) : sizeof buf;
		if (st_read(src, off, buf, n) != 0) {
			snprintf(err, errlen, "%s", src->err);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			if (buf[i] != 0) {
				*first_nonzero = off + i;
				return 1;
			}
		}
		off += n;
	}
	return 0;
}

int lay_check_value(struct st_src *src, uint64_t start, uint64_t end, int exact, uint64_t *value_end,
                    char *err, size_t errlen)
{
	struct st_reader r;
	if (st_reader_init(&r, src, start, end, 65536) != 0) {
		snprintf(err, errlen, "%s", r.err);
		st_reader_free(&r);
		return -1;
	}
	int rc = mp_skip(&r);
	uint64_t at = st_reader_off(&r);
	if (rc != 0) {
		snprintf(err, errlen, "%s", rc < 0 ? r.err : "no bytes");
		st_reader_free(&r);
		return -1;
	}
	st_reader_free(&r);
	*value_end = at;
	if (exact) {
		if (at != end) {
			snprintf(err, errlen, "the value ends at %llu, %llu bytes before the end of its frame",
			         (unsigned long long)at, (unsigned long long)(end - at));
			return -1;
		}
		return 0;
	}
	uint64_t nz = 0;
	int z = all_zero(src, at, end, &nz, err, errlen);
	if (z < 0)
		return -1;
	if (z > 0) {
		snprintf(err, errlen, "the value ends at %llu but a non-zero byte follows at %llu",
		         (unsigned long long)at, (unsigned long long)nz);
		return -1;
	}
	return 0;
}

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A length prefix of w bytes at offset: fills the frame; -1 with err if it cannot be one. */
static int prefixed(struct st_src *src, uint64_t offset, int w, struct lay_result *res, int check,
                    char *err, size_t errlen)
{
	unsigned char b[8];
	if (src->size < offset || src->size - offset < (uint64_t)w) {
		snprintf(err, errlen, "no room for a %d-byte length at offset %llu", w,
		         (unsigned long long)offset);
		return -1;
	}
	if (st_read(src, offset, b, (size_t)w) != 0) {
		snprintf(err, errlen, "%s", src->err);
		return -1;
	}
	uint64_t len = le(b, w);
	uint64_t room = src->size - offset - (uint64_t)w;
	if (len == 0 || len > room) {
		snprintf(err, errlen, "u%d LE length %llu at offset %llu does not fit the %llu bytes after it",
		         w * 8, (unsigned long long)len, (unsigned long long)offset, (unsigned long long)room);
		return -1;
	}
	res->start = offset + (uint64_t)w;
	res->end = res->start + len;
	res->exact = 1;
	if (check) {
		uint64_t ve;
		char why[200];
		if (lay_check_value(src, res->start, res->end, 1, &ve, why, sizeof why) != 0) {
			snprintf(err, errlen, "u%d LE length %llu at offset %llu does not frame one value: %s",
			         w * 8, (unsigned long long)len, (unsigned long long)offset, why);
			return -1;
		}
	}
	return 0;
}

static int stable_cell(struct st_src *src, uint64_t offset, struct lay_result *res, int check, char *err,
                       size_t errlen)
{
	unsigned char h[8];
	if (src->size < offset || src->size - offset < 8 || st_read(src, offset, h, 8) != 0 ||
	    memcmp(h, "SCL", 3) != 0) {
		snprintf(err, errlen, "no StableCell header (\"SCL\") at offset %llu", (unsigned long long)offset);
		return -1;
	}
	if (h[3] != 1) {
		snprintf(err, errlen, "StableCell at offset %llu has layout version %u; only 1 is known",
		         (unsigned long long)offset, h[3]);
		return -1;
	}
	uint64_t len = le(h + 4, 4);
	if (len > src->size - offset - 8) {
		snprintf(err, errlen, "StableCell at offset %llu: value length %llu is past the end (%llu)",
		         (unsigned long long)offset, (unsigned long long)len, (unsigned long long)src->size);
		return -1;
	}
	res->start = offset + 8;
	res->end = res->start + len;
	res->exact = 1;
	(void)check;
	return 0;
}

/* Resolve a non-MGR layout on src. */
static int resolve_simple(struct st_src *src, uint64_t offset, enum lay_kind kind, struct lay_result *res,
                          char *err, size_t errlen)
{
	res->found = kind;
	if (offset > src->size) {
		snprintf(err, errlen, "%s: offset %llu is past its end (%llu bytes)", src->what,
		         (unsigned long long)offset, (unsigned long long)src->size);
		return -1;
	}
	switch (kind) {
	case LAY_RAW:
		res->start = offset;
		res->end = src->size;
		res->exact = 0;
		return 0;
	case LAY_U32LE: return prefixed(src, offset, 4, res, 0, err, errlen);
	case LAY_U64LE: return prefixed(src, offset, 8, res, 0, err, errlen);
	case LAY_STABLE_CELL: return stable_cell(src, offset, res, 0, err, errlen);
	default: break;
	}
	/* auto */
	char why32[300], why64[300], whyraw[300];
	unsigned char m[3] = {0};
	if (src->size >= offset + 3 && st_read(src, offset, m, 3) == 0 && memcmp(m, "SCL", 3) == 0 &&
	    stable_cell(src, offset, res, 1, why32, sizeof why32) == 0) {
		res->found = LAY_STABLE_CELL;
		snprintf(res->note, sizeof res->note, "StableCell at offset %llu, value of %llu bytes",
		         (unsigned long long)offset, (unsigned long long)(res->end - res->start));
		return 0;
	}
	if (prefixed(src, offset, 4, res, 1, why32, sizeof why32) == 0) {
		res->found = LAY_U32LE;
		snprintf(res->note, sizeof res->note, "u32 LE length prefix at offset %llu: %llu bytes",
		         (unsigned long long)offset, (unsigned long long)(res->end - res->start));
		return 0;
	}
	if (prefixed(src, offset, 8, res, 1, why64, sizeof why64) == 0) {
		res->found = LAY_U64LE;
		snprintf(res->note, sizeof res->note, "u64 LE length prefix at offset %llu: %llu bytes",
		         (unsigned long long)offset, (unsigned long long)(res->end - res->start));
		return 0;
	}
	uint64_t ve;
	/* a 0 byte would be the integer 0 followed by padding: an empty memory, not a state */
	if (offset < src->size && st_read(src, offset, m, 1) == 0 && m[0] == 0)
		snprintf(whyraw, sizeof whyraw, "offset %llu holds a zero byte (an empty memory?)",
		         (unsigned long long)offset);
	else if (offset <= src->size && lay_check_value(src, offset, src->size, 0, &ve, whyraw, sizeof whyraw) == 0) {
		res->found = LAY_RAW;
		res->start = offset;
		res->end = src->size;
		res->exact = 0;
		snprintf(res->note, sizeof res->note, "a bare value at offset %llu of %llu bytes, zeros after it",
		         (unsigned long long)offset, (unsigned long long)(ve - offset));
		return 0;
	}
	snprintf(err, errlen, "%s: no layout recognised at offset %llu: %s; %s; as a bare value: %s",
	         src->what, (unsigned long long)offset, why32, why64, whyraw);
	return -1;
}

int lay_resolve(struct st_src *src, uint64_t offset, const struct lay_spec *spec, struct lay_result *res,
                char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	res->src = src;
	res->mem_id = -1;
	int id = -1;
	enum lay_kind inner = spec->kind;
	if (spec->kind == LAY_MGR) {
		id = spec->mem_id;
		inner = spec->inner;
	} else if (spec->kind == LAY_AUTO && offset == 0 && mgr_probe(src) == 1) {
		id = 0;
		inner = LAY_AUTO;
	}
	if (id >= 0) {
		struct mgr_info *m = malloc(sizeof *m);
		if (m == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (mgr_read(src, m, err, errlen) != 0) {
			free(m);
			return -1;
		}
		struct st_src *vm = mgr_memory(src, m, id, err, errlen);
		free(m);
		if (vm == NULL)
			return -1;
		res->src = vm;
		res->owned = 1;
		res->mem_id = id;
		/* the offset applies inside the memory when one was named */
		uint64_t inner_off = spec->kind == LAY_MGR ? offset : 0;
		if (resolve_simple(vm, inner_off, inner, res, err, errlen) != 0) {
			size_t k = strlen(err);
			if (spec->kind == LAY_AUTO && k + 1 < errlen)
				snprintf(err + k, errlen - k, " (a MemoryManager: `icarc memories` lists its memories; "
				         "choose one with --layout memory-manager:ID)");
			lay_result_free(res);
			return -1;
		}
		char note[sizeof res->note];
		snprintf(note, sizeof note, "MemoryManager memory %d (%llu bytes)%s%.180s", id,
		         (unsigned long long)vm->size, res->note[0] ? ": " : "", res->note);
		memcpy(res->note, note, sizeof note);
		return 0;
	}
	return resolve_simple(src, offset, inner, res, err, errlen);
}

/* ---- MemoryManager ---- */

int mgr_probe(struct st_src *src)
{
	unsigned char m[3];
	if (src->size < MGR_ALLOC_OFFSET)
		return 0;
	if (st_read(src, 0, m, 3) != 0)
		return -1;
	return memcmp(m, "MGR", 3) == 0;
}

int mgr_read(struct st_src *src, struct mgr_info *m, char *err, size_t errlen)
{
	unsigned char h[MGR_ALLOC_OFFSET];
	memset(m, 0, sizeof *m);
	if (src->size < MGR_ALLOC_OFFSET) {
		snprintf(err, errlen, "%s: %llu bytes is too small for a MemoryManager header (%u)", src->what,
		         (unsigned long long)src->size, MGR_ALLOC_OFFSET);
		return -1;
	}
	if (st_read(src, 0, h, sizeof h) != 0) {
		snprintf(err, errlen, "%s", src->err);
		return -1;
	}
	if (memcmp(h, "MGR", 3) != 0) {
		snprintf(err, errlen, "%s: no MemoryManager magic \"MGR\" at offset 0", src->what);
		return -1;
	}
	m->version = h[3];
	if (m->version != 1) {
		snprintf(err, errlen, "%s: MemoryManager layout version %u at offset 3; only version 1 is known",
		         src->what, m->version);
		return -1;
	}
	m->allocated_buckets = (unsigned)le(h + 4, 2);
	m->bucket_pages = (unsigned)le(h + 6, 2);
	if (m->allocated_buckets > MGR_MAX_BUCKETS || m->bucket_pages == 0) {
		snprintf(err, errlen, "%s: MemoryManager header: %u allocated buckets (max %u), bucket size %u pages",
		         src->what, m->allocated_buckets, MGR_MAX_BUCKETS, m->bucket_pages);
		return -1;
	}
	for (int i = 0; i < MGR_MAX_MEMORIES; i++)
		m->sizes[i] = le(h + 40 + 8 * i, 8);
	if (src->size - MGR_ALLOC_OFFSET < m->allocated_buckets) {
		snprintf(err, errlen, "%s: the MemoryManager bucket table (%u bytes at %u) is cut off", src->what,
		         m->allocated_buckets, MGR_ALLOC_OFFSET);
		return -1;
	}
	if (st_read(src, MGR_ALLOC_OFFSET, m->owner, m->allocated_buckets) != 0) {
		snprintf(err, errlen, "%s", src->err);
		return -1;
	}
	for (unsigned b = 0; b < m->allocated_buckets; b++) {
		if (m->owner[b] < MGR_MAX_MEMORIES)
			m->nbuckets[m->owner[b]]++;
	}
	return 0;
}

struct mgr_src {
	struct st_src s;
	struct st_src *base;
	uint64_t bucket_bytes;
	uint32_t n;
	uint16_t bucket[]; /* the memory's buckets, ascending */
};

static int mgr_read_at(struct st_src *src, uint64_t off, void *buf, size_t len)
{
	struct mgr_src *v = (struct mgr_src *)src;
	unsigned char *p = buf;
	while (len > 0) {
		uint64_t k = off / v->bucket_bytes, in = off % v->bucket_bytes;
		size_t n = v->bucket_bytes - in < len ? (size_t)(v->bucket_bytes - in) : len;
		uint64_t phys = MGR_BUCKETS_OFFSET + (uint64_t)v->bucket[k] * v->bucket_bytes + in;
		if (st_read(v->base, phys, p, n) != 0) {
			snprintf(src->err, sizeof src->err, "%.150s (bucket %u of %.80s)", v->base->err, v->bucket[k],
			         src->what);
			return -1;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

struct st_src *mgr_memory(struct st_src *src, const struct mgr_info *m, int id, char *err, size_t errlen)
{
	if (id < 0 || id >= MGR_MAX_MEMORIES) {
		snprintf(err, errlen, "memory id %d is not 0..254", id);
		return NULL;
	}
	uint32_t n = m->nbuckets[id];
	uint64_t bucket_bytes = (uint64_t)m->bucket_pages * MGR_PAGE;
	uint64_t size = m->sizes[id];
	if (size > UINT64_MAX / MGR_PAGE || size * MGR_PAGE > (uint64_t)n * bucket_bytes) {
		snprintf(err, errlen, "%s: MemoryManager memory %d claims %llu pages but owns %u buckets of %u pages",
		         src->what, id, (unsigned long long)size, n, m->bucket_pages);
		return NULL;
	}
	struct mgr_src *v = calloc(1, sizeof *v + n * sizeof v->bucket[0]);
	if (v == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned b = 0; b < m->allocated_buckets; b++) {
		if (m->owner[b] == id)
			v->bucket[v->n++] = (uint16_t)b;
	}
	uint64_t last_end = n ? MGR_BUCKETS_OFFSET + ((uint64_t)v->bucket[n - 1] + 1) * bucket_bytes : 0;
	if (size > 0 && last_end > src->size) {
		/* the last bucket may be partly past the end of a memory that was not grown fully */
		uint64_t need = MGR_BUCKETS_OFFSET + (uint64_t)v->bucket[(size * MGR_PAGE - 1) / bucket_bytes] *
		                bucket_bytes + (size * MGR_PAGE - 1) % bucket_bytes + 1;
		if (need > src->size) {
			snprintf(err, errlen, "%s: MemoryManager memory %d needs bytes up to %llu, past the end (%llu)",
			         src->what, id, (unsigned long long)need, (unsigned long long)src->size);
			free(v);
			return NULL;
		}
	}
	v->base = src;
	v->bucket_bytes = bucket_bytes;
	v->s.read_at = mgr_read_at;
	v->s.size = size * MGR_PAGE;
	snprintf(v->s.what, sizeof v->s.what, "memory %d of %.100s", id, src->what);
	return &v->s;
}
