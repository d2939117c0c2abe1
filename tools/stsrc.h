/* stsrc.h - byte sources for the state tools, and a buffered reader over one.
 *
 * A source is anything that can read a byte range at an offset: a plain file (pread), an archive
 * entry (icarc_archive_read), a window of another source (a length-prefixed value), or a virtual
 * memory of ic-stable-structures' MemoryManager (buckets scattered over the parent). The decoder
 * and diff only ever see `struct st_src`, so every layout composes with every input. */
#ifndef ICARC_TOOLS_STSRC_H
#define ICARC_TOOLS_STSRC_H
#include <stddef.h>
#include <stdint.h>

struct st_src;
/* Read exactly len bytes at off (off + len <= size is checked by the caller). 0 ok, -1 error
 * with the message in src->err. */
typedef int st_read_fn(struct st_src *src, uint64_t off, void *buf, size_t len);

struct st_src {
	st_read_fn *read_at;
	void (*close)(struct st_src *src); /* frees what the source owns; NULL: nothing */
	uint64_t size;
	char err[256];
	/* what the source is, for messages: "file X", "entry Y", "memory 3" */
	char what[128];
};

int st_read(struct st_src *src, uint64_t off, void *buf, size_t len);
void st_close(struct st_src *src); /* NULL ok */

/* A plain file (fd stays the caller's). */
struct st_src *st_src_fd(int fd, uint64_t size, const char *name);
/* A caller's memory buffer (tests, fuzzers). */
struct st_src *st_src_mem(const void *data, size_t len, const char *name);
/* Bytes [start, start + len) of base (base outlives the window). */
struct st_src *st_src_window(struct st_src *base, uint64_t start, uint64_t len, const char *what);

/* The buffered reader: sequential reads of [pos, end) of a source with a bounded buffer; seekable. */
struct st_reader {
	struct st_src *src;
	unsigned char *buf;
	size_t cap;     /* buffer size */
	size_t len;     /* valid bytes in buf */
	size_t pos;     /* next unread byte in buf */
	uint64_t base;  /* source offset of buf[0] */
	uint64_t end;   /* reading stops here (source offset) */
	char err[320];  /* the first error, with its offset */
	int failed;
};

#define ST_READER_CAP (1U << 20)

int st_reader_init(struct st_reader *r, struct st_src *src, uint64_t start, uint64_t end, size_t cap);
void st_reader_free(struct st_reader *r);
static inline uint64_t st_reader_off(const struct st_reader *r) { return r->base + r->pos; }
static inline uint64_t st_reader_left(const struct st_reader *r) { return r->end - (r->base + r->pos); }
/* Make n (<= cap) bytes available at r->buf + r->pos. 0 ok; -1 on a read error or when fewer than
 * n bytes are left before end (the caller reports truncation with its own words). */
int st_reader_fill(struct st_reader *r, size_t n);
/* Move to a source offset in [start of source, end]. */
void st_reader_seek(struct st_reader *r, uint64_t off);
/* Record an error (printf style) once; returns -1. */
int st_reader_fail(struct st_reader *r, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
#endif
