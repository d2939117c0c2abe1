/* test_fdio.c - icarc_writer_push_fd on regular files, where the workers pread() their chunks
 * themselves and holes are zero runs without a read (format/fdio.c, writer.c): sparse files, a
 * starting offset, a file that grows or shrinks while it is packed, and pipes for comparison. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "icarc.h"
#include "tests/unit/tap.h"

#define MiB (1u << 20)

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static void random_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		p[i] = (uint8_t)rng;
	}
}

static char dir[] = "/tmp/icarc-fdio-XXXXXX";

static int temp_file(const char *name, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", dir, name);
	return open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, off_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, off);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Pack in_fd into a new archive file (workers as given); returns the archive fd or -1, and the
 * status of icarc_writer_push_fd with its message. */
static int pack(int in_fd, int workers, uint32_t chunk, int *status, char *msg, size_t msgcap)
{
	char path[256];
	int out = temp_file("a.icarc", path, sizeof path);
	struct icarc_writer *w = icarc_writer_new();
	*status = ICARC_E_USAGE;
	if (out < 0 || w == NULL)
		return -1;
	if (icarc_writer_set_option(w, ICARC_OPT_WORKERS, workers) == ICARC_OK &&
	    icarc_writer_set_option(w, ICARC_OPT_CHUNK_SIZE, chunk) == ICARC_OK &&
	    icarc_writer_begin_entry(w, "stable_memory") == ICARC_OK)
		*status = icarc_writer_push_fd(w, in_fd, out, ICARC_FINISH);
	snprintf(msg, msgcap, "%s", icarc_writer_error(w));
	icarc_writer_free(w);
	return out;
}

/* The archive's one entry equals want[0..n); counts its zero-run chunks. */
static int entry_is(int arc_fd, const uint8_t *want, size_t n, uint64_t *zero_chunks)
{
	struct icarc_archive *a = icarc_archive_new();
	struct icarc_entry_info info;
	uint8_t *got = malloc(n ? n : 1);
	int ok = a && got && icarc_archive_open_fd(a, arc_fd) == ICARC_OK && icarc_archive_entry(a, 0, &info) == ICARC_OK &&
	         info.size == n && (n == 0 || icarc_archive_read(a, 0, 0, got, n) == ICARC_OK) && memcmp(got, want, n) == 0;
	if (!ok && a)
		TAP_DIAG("archive: %s", icarc_archive_error(a));
	if (ok && zero_chunks)
		*zero_chunks = info.zero_chunks;
	free(got);
	icarc_archive_free(a);
	return ok;
}

/* Holes, data in the middle of a chunk, a tail that is not a whole chunk, and a start offset. */
static void test_sparse(void)
{
	const size_t size = 9 * MiB + 12345;
	uint8_t *img = calloc(1, size);
	char path[256];
	int fd = temp_file("sparse", path, sizeof path);
	if (img == NULL || fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		TAP_OK(0, "set up a sparse file: %s", strerror(errno));
		free(img);
		return;
	}
	/* data: [1 MiB + 4096, +8192), [5 MiB, 6.5 MiB), the last 12345 bytes + 1000 before */
	random_bytes(img + MiB + 4096, 8192);
	random_bytes(img + 5 * MiB, 3 * MiB / 2);
	random_bytes(img + size - 13345, 13345);
	pwrite_all(fd, img + MiB + 4096, 8192, MiB + 4096);
	pwrite_all(fd, img + 5 * MiB, 3 * MiB / 2, 5 * MiB);
	pwrite_all(fd, img + size - 13345, 13345, (off_t)(size - 13345));

	for (int workers = 0; workers <= 2; workers += 2) {
		int st;
		char msg[600];
		lseek(fd, 0, SEEK_SET);
		int a = pack(fd, workers, MiB, &st, msg, sizeof msg);
		TAP_IS(st, ICARC_OK, "a sparse file packs");
		uint64_t zero = 0;
		TAP_OK(entry_is(a, img, size, &zero), "a sparse file reads back whole (workers %d)", workers);
		/* chunks 0, 2, 3, 4 and 7 are all holes; 1, 5, 6, 8 and 9 hold data */
		TAP_IS(zero, 5, "its hole chunks are zero runs");
		TAP_IS(lseek(fd, 0, SEEK_CUR), (long long)size, "the input is consumed to its end, as by read()");
		close(a);
	}

	/* from the middle: what read() would give from the current offset */
	off_t start = 5 * MiB + 777;
	lseek(fd, start, SEEK_SET);
	int st;
	char msg[600];
	int a = pack(fd, 2, 64 * 1024, &st, msg, sizeof msg);
	TAP_IS(st, ICARC_OK, "a file packs from its current offset");
	TAP_OK(entry_is(a, img + start, size - (size_t)start, NULL), "the entry is the file from that offset");
	close(a);

	/* and the same bytes through a pipe (the read() path) give the same entry */
	int p[2];
	if (pipe(p) == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			close(p[0]);
			for (size_t off = 0; off < size;) {
				ssize_t w = write(p[1], img + off, size - off > 65536 ? 65536 : size - off);
				if (w <= 0)
					_exit(1);
				off += (size_t)w;
			}
			_exit(0);
		}
		close(p[1]);
		a = pack(p[0], 2, MiB, &st, msg, sizeof msg);
		close(p[0]);
		waitpid(pid, NULL, 0);
		TAP_IS(st, ICARC_OK, "the same image packs from a pipe");
		TAP_OK(entry_is(a, img, size, NULL), "and reads back the same");
		close(a);
	}
	close(fd);
	free(img);
}

struct bg {
	int in_fd, out_fd, status;
	char msg[600];
};

static void *bg_pack(void *arg)
{
	struct bg *b = arg;
	struct icarc_writer *w = icarc_writer_new();
	b->status = ICARC_E_USAGE;
	if (w && icarc_writer_set_option(w, ICARC_OPT_WORKERS, 2) == ICARC_OK &&
	    icarc_writer_begin_entry(w, "stable_memory") == ICARC_OK)
		b->status = icarc_writer_push_fd(w, b->in_fd, b->out_fd, ICARC_FINISH);
	snprintf(b->msg, sizeof b->msg, "%s", w ? icarc_writer_error(w) : "no writer");
	icarc_writer_free(w);
	close(b->out_fd);
	return NULL;
}

/* A file changed while it is packed. The archive goes to a pipe that this thread reads: the
 * writer blocks on it after a few chunks, which is when the file is changed, so the change falls
 * behind the chunks already read and before the ones still to come. */
static size_t changed_while_packed(int shrink, uint8_t *img, size_t size, size_t grow, struct bg *b, uint8_t **arc)
{
	char path[256];
	int fd = temp_file("changing", path, sizeof path);
	int p[2];
	size_t cap = 64 * MiB, len = 0;
	*arc = malloc(cap);
	if (fd < 0 || pipe(p) != 0 || *arc == NULL || pwrite_all(fd, img, size, 0) != 0)
		return 0;
	*b = (struct bg){fd, p[1], 0, ""};
	pthread_t t;
	if (pthread_create(&t, NULL, bg_pack, b) != 0)
		return 0;
	int changed = 0;
	for (;;) {
		ssize_t n = read(p[0], *arc + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (!changed && len >= 4096) {
			changed = 1;
			if (shrink ? ftruncate(fd, (off_t)(size / 2)) != 0 : pwrite_all(fd, img + size, grow, (off_t)size) != 0)
				TAP_DIAG("changing the file: %s", strerror(errno));
		}
	}
	pthread_join(t, NULL);
	close(p[0]);
	close(fd);
	return len;
}

static void test_changing(void)
{
	const size_t size = 48 * MiB, grow = 3 * MiB + 100;
	uint8_t *img = malloc(size + grow);
	if (img == NULL)
		return;
	random_bytes(img, size + grow); /* incompressible: the pipe fills after a few chunks */

	struct bg b;
	uint8_t *arc;
	size_t len = changed_while_packed(1, img, size, 0, &b, &arc);
	TAP_IS(b.status, ICARC_E_IO, "a file that shrinks while it is packed is an I/O error");
	TAP_OK(strstr(b.msg, "shrank") && strstr(b.msg, "offset"), "that says so, and where: %s", b.msg);
	struct icarc_reader *r = icarc_reader_new();
	struct icarc_in in = {arc, len, 0};
	int st = ICARC_OK;
	while (r && st >= 0 && st != ICARC_ARCHIVE_END && in.pos < in.size)
		st = icarc_reader_pull(r, &in, NULL);
	if (r && st >= 0 && st != ICARC_ARCHIVE_END)
		st = icarc_reader_finish(r);
	TAP_OK(st == ICARC_E_TRUNCATED, "and what was written of the archive is not complete (%d: %s)", st,
	       r ? icarc_reader_error(r) : "");
	icarc_reader_free(r);
	free(arc);

	len = changed_while_packed(0, img, size, grow, &b, &arc);
	TAP_IS(b.status, ICARC_OK, "a file that grows while it is packed packs");
	char path[256];
	int a = temp_file("grown.icarc", path, sizeof path);
	pwrite_all(a, arc, len, 0);
	TAP_OK(entry_is(a, img, size + grow, NULL), "to its new end, as read() would have read it");
	close(a);
	free(arc);
	free(img);
}

int main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_sparse();
	test_changing();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		TAP_DIAG("could not remove %s", dir);
	return tap_done();
}
