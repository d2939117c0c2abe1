/* fdio.c - file-descriptor conveniences over the I/O-free core: the loops every program driving
 * a writer or a reader from files or pipes would otherwise write again. */
#define _GNU_SOURCE /* sync_file_range */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

/* 256 KiB blocks for what still passes through a buffer here (a piped input, the archive going
 * out, archive bytes coming in): a buffer that stays in the core's L2 cache keeps the copies on
 * each side of read() and write() cheap (with 4 MiB blocks, writing out an extracted entry cost a
 * third more CPU). Plaintext going out is shown to the callback in pieces of the same size from the
 * reader's buffers (reader.c, VIEW_MAX). */
#define FD_IN_BUF (256U << 10)
#define FD_OUT_BUF (256U << 10)

static ssize_t read_some(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, buf, n);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The archive's output file. Written bytes are handed to the disk every 8 MiB
 * (sync_file_range SYNC_FILE_RANGE_WRITE starts writeback and does not wait): a caller that
 * fsyncs at the end, as a backup should, then waits for the last few MiB only instead of the whole
 * archive, and the disk works while the cores compress. Nothing else changes: on a pipe, or
 * without sync_file_range, this is a plain write. */
#define FD_WRITEBACK (8U << 20)
struct out_file {
	int fd;
	uint64_t at;    /* archive offset of the next byte, for messages */
	off_t from;     /* start of the bytes not yet handed to the disk; -1: not a file */
	uint64_t ahead; /* how many */
};

static void out_init(struct out_file *o, int fd, uint64_t at)
{
	struct stat st;
	o->fd = fd;
	o->at = at;
	o->ahead = 0;
	o->from = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? lseek(fd, 0, SEEK_CUR) : -1;
}

static int out_write(struct icarc_writer *w, struct out_file *o, const uint8_t *p, size_t n)
{
	if (write_all(o->fd, p, n) != 0)
		return Icarc_set_error(Icarc_writer_err(w), ICARC_E_IO, "writing the archive at offset %llu: %s",
		                       (unsigned long long)o->at, strerror(errno));
	o->at += n;
#if defined(SYNC_FILE_RANGE_WRITE)
	if (o->from >= 0 && (o->ahead += n) >= FD_WRITEBACK) {
		(void)sync_file_range(o->fd, o->from, (off_t)o->ahead, SYNC_FILE_RANGE_WRITE); /* a hint */
		o->from += (off_t)o->ahead;
		o->ahead = 0;
	}
#endif
	return ICARC_OK;
}

/* One step of the writer; its output goes to the file as it comes, chunk records straight from
 * the writer's slots. */
static int step(struct icarc_writer *w, struct icarc_in *in, struct Icarc_file_in *file, enum icarc_push_mode mode,
                uint8_t *ob, struct out_file *o)
{
	struct icarc_out out = {ob, FD_OUT_BUF, 0};
	const uint8_t *view;
	size_t view_len;
	int st = Icarc_writer_push_view(w, &out, in, file, mode, &view, &view_len);
	if (out.pos && out_write(w, o, ob, out.pos) != ICARC_OK)
		return ICARC_E_IO;
	if (view_len && out_write(w, o, view, view_len) != ICARC_OK)
		return ICARC_E_IO;
	return st;
}

/* Push one block of input. */
static int push_block(struct icarc_writer *w, struct icarc_in *in, enum icarc_push_mode mode, uint8_t *ob,
                      struct out_file *o)
{
	int st;
	do
		st = step(w, in, NULL, mode, ob, o);
	while (st == ICARC_NEED_OUTPUT || (st >= 0 && in->pos < in->size));
	return st;
}

/* A regular file is not read() here: the workers pread() their chunks themselves (writer.c), so
 * the copy out of the page cache, a quarter of pack's CPU time, is spread over the cores instead of
 * serialising everything on this thread; holes are not read at all. Not mmap(): a mapped file that
 * shrinks while it is packed kills the process with SIGBUS, and a library must never crash its
 * host, whatever another process does to a file (a shrinking file is an ICARC_E_IO here). A file
 * that grows is packed to its end as it is when the last chunk has been handed out. */
static int push_file(struct icarc_writer *w, int in_fd, const struct stat *st, struct out_file *o,
                     enum icarc_push_mode mode, uint8_t *ob)
{
	off_t at = lseek(in_fd, 0, SEEK_CUR);
	if (at < 0)
		return 1; /* not seekable after all: read() it */
	struct Icarc_file_in f = {in_fd, (uint64_t)at, (uint64_t)(st->st_size > at ? st->st_size : at), 0, 0};
	int rc;
	enum icarc_push_mode m = ICARC_CONTINUE;
	for (;;) {
		/* at the end, once: has the file grown? (after `mode` is passed, it stays: the entry or
		 * the archive is being closed while its last records drain) */
		if (f.pos == f.end && m == ICARC_CONTINUE) {
			struct stat now;
			if (fstat(in_fd, &now) == 0 && (uint64_t)now.st_size > f.end) {
				f.end = (uint64_t)now.st_size;
				f.data_at = f.hole_at = 0;
				continue;
			}
			m = mode;
		}
		rc = step(w, NULL, &f, m, ob, o);
		if (rc < 0 || (m == mode && rc != ICARC_NEED_OUTPUT))
			break;
	}
	if (rc >= 0)
		lseek(in_fd, (off_t)f.pos, SEEK_SET); /* consumed, as read() would have left it */
	return rc < 0 ? rc : ICARC_OK;
}

int icarc_writer_push_fd(struct icarc_writer *w, int in_fd, int out_fd, enum icarc_push_mode mode)
{
	if (w == NULL || mode == ICARC_CONTINUE)
		return ICARC_E_USAGE;
	uint8_t *ib = NULL, *ob = malloc(FD_OUT_BUF);
	int st = ICARC_OK;
	if (ob == NULL) {
		st = Icarc_set_error(Icarc_writer_err(w), ICARC_E_NOMEM, "out of memory");
		goto out;
	}
	struct out_file o;
	out_init(&o, out_fd, icarc_writer_offset(w));
	struct stat sb;
	/* (a regular file of size 0 may be one of /proc's, whose bytes only read() knows) */
	if (in_fd >= 0 && fstat(in_fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
		st = push_file(w, in_fd, &sb, &o, mode, ob);
		if (st <= 0)
			goto out;
		st = ICARC_OK;
	}
	if ((ib = malloc(FD_IN_BUF)) == NULL) {
		st = Icarc_set_error(Icarc_writer_err(w), ICARC_E_NOMEM, "out of memory");
		goto out;
	}
	for (int eof = in_fd < 0; st >= 0;) {
		struct icarc_in in = {ib, 0, 0};
		if (!eof) {
			ssize_t n = read_some(in_fd, ib, FD_IN_BUF);
			if (n < 0) {
				st = Icarc_set_error(Icarc_writer_err(w), ICARC_E_IO, "reading the input: %s", strerror(errno));
				break;
			}
			in.size = (size_t)n;
			eof = n == 0;
		}
		st = push_block(w, &in, eof ? mode : ICARC_CONTINUE, ob, &o);
		if (eof)
			break;
	}
out:
	free(ib);
	free(ob);
	return st < 0 ? st : ICARC_OK;
}

int icarc_reader_pull_fd(struct icarc_reader *r, int in_fd, const void *prefix, size_t prefix_len, icarc_data_fn *data,
                         icarc_event_fn *event, void *ctx)
{
	if (r == NULL)
		return ICARC_E_USAGE;
	uint8_t *ib = malloc(FD_IN_BUF);
	int st;
	if (ib == NULL) {
		st = Icarc_set_error(Icarc_reader_err(r), ICARC_E_NOMEM, "out of memory");
		goto out;
	}
	struct icarc_in in = {prefix, prefix_len, 0};
	int eof = 0, ended = 0;
	Icarc_reader_read_ahead(r, 1);
	for (;;) {
		/* the plaintext goes to `data` from the reader's own buffers, not through a copy */
		const uint8_t *p = NULL;
		size_t n = 0;
		st = data ? Icarc_reader_pull_view(r, &in, &p, &n) : icarc_reader_pull(r, &in, NULL);
		if (n && data(ctx, p, n) != 0) {
			st = Icarc_set_error(Icarc_reader_err(r), ICARC_E_IO, "the data callback failed");
			break;
		}
		if (st < 0)
			break;
		if (st == ICARC_ARCHIVE_END)
			ended = 1;
		if (st == ICARC_NEED_INPUT || (ended && in.pos == in.size)) {
			if (eof) {
				st = icarc_reader_finish(r);
				break;
			}
			ssize_t got = read_some(in_fd, ib, FD_IN_BUF);
			if (got < 0) {
				st = Icarc_set_error(Icarc_reader_err(r), ICARC_E_IO, "reading the archive at offset %llu: %s",
				                     (unsigned long long)icarc_reader_offset(r), strerror(errno));
				break;
			}
			in = (struct icarc_in){ib, (size_t)got, 0};
			eof = got == 0; /* bytes after the end are read, so that the reader can refuse them */
			if (eof)
				Icarc_reader_read_ahead(r, 0);
			continue;
		}
		if (st != ICARC_NEED_OUTPUT && st != ICARC_ARCHIVE_END && event && event(ctx, st, r) != 0) {
			st = Icarc_set_error(Icarc_reader_err(r), ICARC_E_IO, "the event callback stopped reading");
			break;
		}
	}
out:
	Icarc_reader_read_ahead(r, 0);
	free(ib);
	return st;
}
