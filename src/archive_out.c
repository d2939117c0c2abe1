/* archive_out.c - the archive pull and import write: keys, metadata, entries pushed through the
 * libicarc writer, output to ARCHIVE.part renamed only once complete (or to stdout). */
#define _GNU_SOURCE /* sync_file_range */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pull.h"

#define OUT_BUF (4U << 20)

/* A writer with the options and keys; the created/tool metadata. */
static int new_writer(struct aout *o)
{
	const struct aout_opts *op = o->opts;
	o->w = icarc_writer_new();
	if (o->w == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	if ((op->level > 0 && icarc_writer_set_option(o->w, ICARC_OPT_LEVEL, op->level) != ICARC_OK) ||
	    (op->workers >= 0 && icarc_writer_set_option(o->w, ICARC_OPT_WORKERS, op->workers) != ICARC_OK))
		return cli_fail(EXIT_USAGE, "%s", icarc_writer_error(o->w));
	for (size_t i = 0; i < op->n_recipients; i++) {
		int rc = cli_add_recipients(o->w, op->recipients[i]);
		if (rc != EXIT_OK)
			return rc;
	}
	if (o->pass && icarc_writer_add_passphrase(o->w, o->pass, o->pass_len) != ICARC_OK)
		return cli_fail(EXIT_IO, "%s", icarc_writer_error(o->w));
	char now[32];
	time_t t = time(NULL);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	int rc = aout_meta(o, "created", now);
	return rc == EXIT_OK ? aout_meta(o, "tool", "icarc " PACKAGE_VERSION) : rc;
}

int aout_open(struct aout *o, const struct aout_opts *op)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	o->opts = op;
	if (op->no_encrypt && (op->n_recipients || op->passphrase_file))
		return cli_fail(EXIT_USAGE, "--no-encrypt contradicts -r and --passphrase-file");
	if (op->output == NULL && isatty(STDOUT_FILENO))
		return cli_fail(EXIT_USAGE, "refusing to write an archive to a terminal: use -o ARCHIVE");
	o->to_stdout = op->output == NULL || strcmp(op->output, "-") == 0;
	o->buf = malloc(OUT_BUF);
	if (o->buf == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	if (!op->no_encrypt && (op->passphrase_file || op->n_recipients == 0)) {
		int rc = cli_read_passphrase(op->passphrase_file, 1, &o->pass, &o->pass_len);
		if (rc != EXIT_OK) {
			o->pass = NULL;
			if (op->passphrase_file == NULL)
				cli_warn("encryption is on by default: give -r RECIPIENT, --passphrase-file FILE, or --no-encrypt");
			return rc;
		}
	}
	int rc = new_writer(o);
	if (rc != EXIT_OK)
		return rc;
	if (o->to_stdout) {
		o->fd = STDOUT_FILENO;
		o->streamed = 1;
		return EXIT_OK;
	}
	o->path = op->output;
	struct stat st;
	if (stat(op->output, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* -o /dev/null or a FIFO: written in place (a .part renamed over it would replace it) */
		if (S_ISDIR(st.st_mode))
			return cli_fail(EXIT_USAGE, "-o %s is a directory", op->output);
		o->fd = open(op->output, O_WRONLY | O_CLOEXEC);
		if (o->fd < 0)
			return cli_fail(EXIT_IO, "cannot open '%s': %s", op->output, strerror(errno));
		o->streamed = 1;
		return EXIT_OK;
	}
	size_t n = strlen(op->output) + 6;
	o->part = malloc(n);
	if (o->part == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	snprintf(o->part, n, "%s.part", op->output);
	o->fd = open(o->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o->fd < 0)
		return cli_fail(EXIT_IO, "cannot create '%s': %s", o->part, strerror(errno));
	return EXIT_OK;
}

int aout_restart(struct aout *o)
{
	if (o->streamed)
		return cli_fail(EXIT_USAGE, "cannot restart an archive written to %s", o->to_stdout ? "a pipe" : o->path);
	icarc_writer_free(o->w);
	o->w = NULL;
	o->plain_bytes = 0;
	o->entry_open = 0;
	o->wb_ahead = 0;
	if (ftruncate(o->fd, 0) != 0 || lseek(o->fd, 0, SEEK_SET) != 0)
		return cli_fail(EXIT_IO, "cannot truncate '%s': %s", o->part, strerror(errno));
	return new_writer(o);
}

int aout_meta(struct aout *o, const char *key, const char *value)
{
	return icarc_writer_set_meta(o->w, key, value, strlen(value)) == ICARC_OK
	               ? EXIT_OK
	               : cli_fail(EXIT_USAGE, "metadata %s: %s", key, icarc_writer_error(o->w));
}

/* Written bytes of ARCHIVE.part are handed to the disk every 8 MiB (sync_file_range starts the
 * writeback and does not wait), as libicarc's own file output does: the fsync that makes the
 * archive durable before its rename then waits for the last few MiB, not the whole archive
 * (0.23 s of a 1 GiB pull's 3.8 s were that fsync). */
#define WRITEBACK (8U << 20)
static int write_out(struct aout *o, const void *p, size_t n)
{
	if (cli_write_all(o->fd, p, n) != 0)
		return -1;
#if defined(SYNC_FILE_RANGE_WRITE)
	if (o->part != NULL && (o->wb_ahead += n) >= WRITEBACK) {
		off_t end = lseek(o->fd, 0, SEEK_CUR);
		if (end >= (off_t)o->wb_ahead)
			(void)sync_file_range(o->fd, end - (off_t)o->wb_ahead, (off_t)o->wb_ahead, SYNC_FILE_RANGE_WRITE);
		o->wb_ahead = 0;
	}
#endif
	return 0;
}

/* Push in with mode, writing every byte produced. */
static int pump(struct aout *o, const void *p, size_t n, enum icarc_push_mode mode)
{
	struct icarc_in in = {p, n, 0};
	int st;
	do {
		struct icarc_out out = {o->buf, OUT_BUF, 0};
		st = icarc_writer_push(o->w, &out, &in, mode);
		if (st < 0)
			return cli_fail(cli_exit_for(st), "%s", icarc_writer_error(o->w));
		if (out.pos && write_out(o, o->buf, out.pos) != 0)
			return cli_fail(EXIT_IO, "writing %s: %s", o->to_stdout ? "stdout" : o->part ? o->part : o->path,
			                strerror(errno));
	} while (st == ICARC_NEED_OUTPUT || in.pos < in.size);
	return EXIT_OK;
}

int aout_begin(struct aout *o, const char *entry)
{
	if (icarc_writer_begin_entry(o->w, entry) != ICARC_OK)
		return cli_fail(EXIT_USAGE, "entry %s: %s", entry, icarc_writer_error(o->w));
	o->entry_open = 1;
	return EXIT_OK;
}

int aout_push(struct aout *o, const void *p, size_t n, int last)
{
	o->plain_bytes += n;
	int rc = pump(o, p, n, last ? ICARC_END_ENTRY : ICARC_CONTINUE);
	if (last)
		o->entry_open = 0;
	return rc;
}

int aout_entry(struct aout *o, const char *name, const void *p, size_t n)
{
	if (o->resumed) { /* the cut archive may hold it already, or have begun it */
		size_t have = icarc_writer_entry_count(o->w);
		for (size_t i = 0; i < have; i++) {
			const char *nm;
			uint64_t committed;
			int complete;
			if (icarc_writer_entry_state(o->w, i, &nm, &committed, &complete) != ICARC_OK || strcmp(nm, name) != 0)
				continue;
			if (complete)
				return EXIT_OK;
			return committed <= n ? aout_push(o, (const uint8_t *)p + committed, n - committed, 1)
			                      : cli_fail(EXIT_USAGE, "cannot resume: entry %s holds more than %zu bytes", name, n);
		}
	}
	int rc = aout_begin(o, name);
	return rc == EXIT_OK ? aout_push(o, p, n, 1) : rc;
}

int aout_finish(struct aout *o)
{
	int rc = o->w ? pump(o, NULL, 0, ICARC_FINISH) : cli_fail(EXIT_INTERNAL, "no writer");
	if (rc != EXIT_OK || o->to_stdout)
		return rc;
	if (o->streamed) { /* a device or FIFO: nothing to make durable or rename */
		int fd = o->fd;
		o->fd = -1;
		return close(fd) == 0 ? EXIT_OK : cli_fail(EXIT_IO, "writing %s: %s", o->path, strerror(errno));
	}
	if (fsync(o->fd) != 0)
		return cli_fail(EXIT_IO, "writing %s: %s", o->part, strerror(errno));
	int fd = o->fd;
	o->fd = -1;
	if (close(fd) != 0)
		return cli_fail(EXIT_IO, "writing %s: %s", o->part, strerror(errno));
	if (rename(o->part, o->path) != 0)
		return cli_fail(EXIT_IO, "cannot rename '%s' to '%s': %s", o->part, o->path, strerror(errno));
	free(o->part);
	o->part = NULL;
	return EXIT_OK;
}

/* Read the cut ARCHIVE.part through a reader (every chunk authenticated), then continue it with a
 * writer that takes the reader's state; the file is cut back to the last complete record. */
int aout_resume(struct aout *o, const struct aout_opts *op, const struct cli_keys *keys, int *complete)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	o->opts = op;
	*complete = 0;
	struct stat ost;
	if (op->output == NULL || strcmp(op->output, "-") == 0 ||
	    (stat(op->output, &ost) == 0 && !S_ISREG(ost.st_mode)))
		return cli_fail(EXIT_USAGE, "--resume needs -o ARCHIVE, a file (it continues ARCHIVE.part)");
	o->path = op->output;
	size_t pn = strlen(op->output) + 6;
	o->part = malloc(pn);
	o->buf = malloc(OUT_BUF);
	uint8_t *ib = malloc(1U << 20);
	struct icarc_reader *r = icarc_reader_new();
	int rc = EXIT_OK;
	if (o->part == NULL || o->buf == NULL || ib == NULL || r == NULL)
		rc = cli_fail(EXIT_IO, "out of memory");
	if (rc == EXIT_OK) {
		snprintf(o->part, pn, "%s.part", op->output);
		o->fd = open(o->part, O_RDWR | O_CLOEXEC);
		if (o->fd < 0)
			rc = cli_fail(errno == ENOENT ? EXIT_USAGE : EXIT_IO, "cannot resume: '%s': %s", o->part, strerror(errno));
		o->keep_part = 1; /* the user's: never removed by a resume */
	}
	if (rc == EXIT_OK) {
		struct cli_keys k = *keys;
		k.ask_passphrase = 0;
		if (k.n_identities == 0 && k.passphrase_file == NULL && cli_archive_is_encrypted(o->fd) == 1)
			rc = cli_fail(EXIT_KEY, "%s is encrypted: give -i IDENTITY (for a recipient) or --passphrase-file FILE to "
			                        "resume it",
			              o->part);
		else if (lseek(o->fd, 0, SEEK_SET) != 0)
			rc = cli_fail(EXIT_IO, "%s: %s", o->part, strerror(errno));
		else
			rc = cli_keys_apply_reader(&k, r);
	}
	int st = ICARC_NEED_INPUT;
	while (rc == EXIT_OK) {
		ssize_t n = read(o->fd, ib, 1U << 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = cli_fail(EXIT_IO, "reading %s: %s", o->part, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		struct icarc_in in = {ib, (size_t)n, 0};
		do {
			struct icarc_out out = {o->buf, OUT_BUF, 0}; /* plaintext: checked and dropped */
			st = icarc_reader_pull(r, &in, &out);
		} while (st > 0 && st != ICARC_NEED_INPUT && st != ICARC_ARCHIVE_END);
		if (st < 0 || st == ICARC_ARCHIVE_END)
			break;
	}
	if (rc == EXIT_OK && st >= 0 && st != ICARC_ARCHIVE_END)
		st = icarc_reader_finish(r);
	if (rc == EXIT_OK && st == ICARC_ARCHIVE_END) {
		*complete = 1; /* cut between its last byte and the rename */
		rc = cli_fail(EXIT_USAGE, "%s is a complete archive (cut before its rename): check it with icarc verify, "
		                          "then rename it to %s",
		              o->part, o->path);
	} else if (rc == EXIT_OK && st != ICARC_E_TRUNCATED) {
		rc = cli_fail(cli_exit_for(st), "cannot resume %s: %s", o->part, icarc_reader_error(r));
	} else if (rc == EXIT_OK) {
		uint64_t off = 0;
		o->w = icarc_writer_new();
		if (o->w == NULL)
			rc = cli_fail(EXIT_IO, "out of memory");
		else if ((op->level > 0 && icarc_writer_set_option(o->w, ICARC_OPT_LEVEL, op->level) != ICARC_OK) ||
		         (op->workers >= 0 && icarc_writer_set_option(o->w, ICARC_OPT_WORKERS, op->workers) != ICARC_OK))
			rc = cli_fail(EXIT_USAGE, "%s", icarc_writer_error(o->w));
		else if ((st = icarc_writer_resume(o->w, r, &off)) < 0)
			rc = cli_fail(cli_exit_for(st), "cannot resume %s: %s", o->part, icarc_writer_error(o->w));
		else if (ftruncate(o->fd, (off_t)off) != 0 || lseek(o->fd, (off_t)off, SEEK_SET) != (off_t)off)
			rc = cli_fail(EXIT_IO, "cannot cut '%s' at %llu: %s", o->part, (unsigned long long)off, strerror(errno));
		else {
			size_t n = icarc_writer_entry_count(o->w);
			int done = 1;
			if (n > 0 && icarc_writer_entry_state(o->w, n - 1, NULL, NULL, &done) == ICARC_OK)
				o->entry_open = !done;
		}
	}
	o->resumed = rc == EXIT_OK;
	icarc_reader_free(r);
	free(ib);
	return rc;
}

const char *aout_resumed_meta(const struct aout *o, const char *key, char *buf, size_t len)
{
	const void *v;
	size_t n;
	if (o->w == NULL || icarc_writer_meta_get(o->w, key, &v, &n) != ICARC_OK)
		return NULL;
	snprintf(buf, len, "%.*s", (int)n, (const char *)v);
	return buf;
}

int aout_resume_entries(struct aout *o, size_t first, struct enc_entry *e, size_t n, uint64_t *done_bytes)
{
	size_t have = o->resumed ? icarc_writer_entry_count(o->w) : 0;
	*done_bytes = 0;
	have = have > first ? have - first : 0;
	if (have > n)
		return cli_fail(EXIT_USAGE, "cannot resume: %s holds %zu entries, this pull has %zu", o->part, have + first,
		                n + first);
	for (size_t i = 0; i < have; i++) {
		const char *name;
		uint64_t committed;
		int complete;
		if (icarc_writer_entry_state(o->w, first + i, &name, &committed, &complete) != ICARC_OK)
			return cli_fail(EXIT_INTERNAL, "entry state %zu", first + i);
		if (strcmp(name, e[i].name) != 0)
			return cli_fail(EXIT_USAGE, "cannot resume: entry %zu of %s is %s, this pull's is %s", i, o->part, name,
			                e[i].name);
		if (e[i].size != ENC_WHOLE && committed > e[i].size)
			return cli_fail(EXIT_USAGE, "cannot resume: entry %s of %s holds %llu bytes, more than %llu", name, o->part,
			                (unsigned long long)committed, (unsigned long long)e[i].size);
		if (complete && e[i].size != ENC_WHOLE && committed != e[i].size)
			return cli_fail(EXIT_USAGE, "cannot resume: entry %s of %s holds %llu bytes, this pull's %llu", name,
			                o->part, (unsigned long long)committed, (unsigned long long)e[i].size);
		e[i].skip = complete;
		e[i].start = committed;
		e[i].begun = !complete;
		*done_bytes += committed;
	}
	return EXIT_OK;
}

uint64_t aout_archive_bytes(const struct aout *o)
{
	return o->w ? icarc_writer_offset(o->w) : 0;
}

void aout_close(struct aout *o)
{
	if (o->part) {
		if (o->fd >= 0)
			close(o->fd);
		if (!o->keep_part)
			unlink(o->part); /* never leave a partial archive behind, unless to resume it */
		free(o->part);
	} else if (o->streamed && !o->to_stdout && o->fd >= 0) {
		close(o->fd);
	}
	o->part = NULL;
	o->fd = -1;
	icarc_writer_free(o->w);
	o->w = NULL;
	if (o->pass)
		cli_secret_free(o->pass, o->pass_len);
	o->pass = NULL;
	free(o->buf);
	o->buf = NULL;
}

int aout_option(struct aout_opts *ao, int c, const char *arg)
{
	uint64_t v;
	switch (c) {
	case 'o': ao->output = arg; return EXIT_OK;
	case 'r':
		if (ao->n_recipients == sizeof ao->recipients / sizeof ao->recipients[0])
			return cli_fail(EXIT_USAGE, "too many -r options");
		ao->recipients[ao->n_recipients++] = arg;
		return EXIT_OK;
	case 'p': ao->passphrase_file = arg; return EXIT_OK;
	case 'N': ao->no_encrypt = 1; return EXIT_OK;
	case 'l':
		if (cli_parse_u64(arg, &v) != 0 || v < 1 || v > 19)
			return cli_fail(EXIT_USAGE, "--level wants 1..19, got '%s'", arg);
		ao->level = (int)v;
		return EXIT_OK;
	default: return -1;
	}
}
