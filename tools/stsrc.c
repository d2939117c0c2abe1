/* stsrc.c - plain-file, memory and window sources; the buffered reader. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/stsrc.h"

int st_read(struct st_src *src, uint64_t off, void *buf, size_t len)
{
	if (off > src->size || len > src->size - off) {
		snprintf(src->err, sizeof src->err, "%s: read of %zu bytes at %llu is past its end (%llu)",
		         src->what, len, (unsigned long long)off, (unsigned long long)src->size);
		return -1;
	}
	if (len == 0)
		return 0;
	return src->read_at(src, off, buf, len);
}

void st_close(struct st_src *src)
{
	if (src == NULL)
		return;
	if (src->close != NULL)
		src->close(src);
	else
		free(src);
}

struct fd_src {
	struct st_src s;
	int fd;
};

static int fd_read(struct st_src *src, uint64_t off, void *buf, size_t len)
{
	struct fd_src *f = (struct fd_src *)src;
	unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = pread(f->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(src->err, sizeof src->err, "%s: read at offset %llu: %s", src->what,
			         (unsigned long long)off, n < 0 ? strerror(errno) : "unexpected end of file");
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

struct st_src *st_src_fd(int fd, uint64_t size, const char *name)
{
	struct fd_src *f = calloc(1, sizeof *f);
	if (f == NULL)
		return NULL;
	f->fd = fd;
	f->s.read_at = fd_read;
	f->s.size = size;
	snprintf(f->s.what, sizeof f->s.what, "%s", name);
	return &f->s;
}

struct mem_src {
	struct st_src s;
	const unsigned char *data;
};

static int mem_read(struct st_src *src, uint64_t off, void *buf, size_t len)
{
	memcpy(buf, ((struct mem_src *)src)->data + off, len);
	return 0;
}

struct st_src *st_src_mem(const void *data, size_t len, const char *name)
{
	struct mem_src *m = calloc(1, sizeof *m);
	if (m == NULL)
		return NULL;
	m->data = data;
	m->s.read_at = mem_read;
	m->s.size = len;
	snprintf(m->s.what, sizeof m->s.what, "%s", name);
	return &m->s;
}

struct win_src {
	struct st_src s;
	struct st_src *base;
	uint64_t start;
};

static int win_read(struct st_src *src, uint64_t off, void *buf, size_t len)
{
	struct win_src *w = (struct win_src *)src;
	if (st_read(w->base, w->start + off, buf, len) != 0) {
		snprintf(src->err, sizeof src->err, "%s", w->base->err);
		return -1;
	}
	return 0;
}

struct st_src *st_src_window(struct st_src *base, uint64_t start, uint64_t len, const char *what)
{
	if (start > base->size || len > base->size - start)
		return NULL;
	struct win_src *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->base = base;
	w->start = start;
	w->s.read_at = win_read;
	w->s.size = len;
	snprintf(w->s.what, sizeof w->s.what, "%s", what);
	return &w->s;
}

int st_reader_init(struct st_reader *r, struct st_src *src, uint64_t start, uint64_t end, size_t cap)
{
	memset(r, 0, sizeof *r);
	if (cap < 64)
		cap = 64;
	r->src = src;
	r->cap = cap;
	r->base = start;
	r->end = end > src->size ? src->size : end;
	if (r->base > r->end)
		r->base = r->end;
	r->buf = malloc(cap);
	if (r->buf == NULL) {
		snprintf(r->err, sizeof r->err, "out of memory for a %zu-byte read buffer", cap);
		r->failed = 1;
		return -1;
	}
	return 0;
}

void st_reader_free(struct st_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

int st_reader_fail(struct st_reader *r, const char *fmt, ...)
{
	if (r->failed)
		return -1;
	r->failed = 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	return -1;
}

int st_reader_fill(struct st_reader *r, size_t n)
{
	if (r->len - r->pos >= n)
		return 0;
	if (r->failed || n > r->cap || n > st_reader_left(r))
		return -1;
	/* keep the unread tail, then read as much as fits (but not past end) */
	size_t keep = r->len - r->pos;
	memmove(r->buf, r->buf + r->pos, keep);
	r->base += r->pos;
	r->pos = 0;
	r->len = keep;
	uint64_t left = r->end - (r->base + keep);
	size_t want = r->cap - keep;
	if (want > left)
		want = (size_t)left;
	if (st_read(r->src, r->base + keep, r->buf + keep, want) != 0)
		return st_reader_fail(r, "%s", r->src->err);
	r->len += want;
	return 0;
}

void st_reader_seek(struct st_reader *r, uint64_t off)
{
	if (off >= r->base && off <= r->base + r->len) {
		r->pos = (size_t)(off - r->base);
		return;
	}
	r->base = off > r->end ? r->end : off;
	r->pos = r->len = 0;
}
