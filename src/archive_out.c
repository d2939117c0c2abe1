/* archive_out.c - the archive pull and import write: keys, metadata, entries pushed through the
 * libicarc writer, output to ARCHIVE.part renamed only once complete (or to stdout). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pull.h"

#define OUT_BUF (4U << 20)

/* -r: a recipient string, or a file of recipients or identities, one per line. */
static int add_recipients(struct icarc_writer *w, const char *arg)
{
	unsigned char pk[ICARC_PUBLICKEYBYTES];
	if (icarc_recipient_decode(pk, arg) == ICARC_OK)
		return icarc_writer_add_recipient(w, pk) == ICARC_OK ? EXIT_OK
		                                                     : cli_fail(EXIT_USAGE, "%s", icarc_writer_error(w));
	if (strncmp(arg, "icarc1", 6) == 0)
		return cli_fail(EXIT_USAGE, "recipient '%s' is mistyped (its checksum does not match)", arg);
	FILE *f = fopen(arg, "re");
	if (f == NULL)
		return cli_fail(EXIT_USAGE, "-r %s: neither a recipient (icarc1...) nor a readable file (%s)", arg, strerror(errno));
	char line[256];
	unsigned lineno = 0;
	int rc = EXIT_OK, found = 0;
	while (rc == EXIT_OK && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		unsigned char sk[ICARC_SECRETKEYBYTES];
		if (icarc_recipient_decode(pk, line) == ICARC_OK) {
		} else if (icarc_identity_decode(sk, line) == ICARC_OK) {
			icarc_sk_to_pk(pk, sk);
			sodium_memzero(sk, sizeof sk);
		} else {
			rc = cli_fail(EXIT_USAGE, "%s, line %u: not a recipient or identity", arg, lineno);
			break;
		}
		found++;
		if (icarc_writer_add_recipient(w, pk) != ICARC_OK)
			rc = cli_fail(EXIT_USAGE, "%s", icarc_writer_error(w));
	}
	sodium_memzero(line, sizeof line);
	fclose(f);
	if (rc == EXIT_OK && found == 0)
		rc = cli_fail(EXIT_USAGE, "%s holds no recipient", arg);
	return rc;
}

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
		int rc = add_recipients(o->w, op->recipients[i]);
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
		return EXIT_OK;
	}
	o->path = op->output;
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
	if (o->to_stdout)
		return cli_fail(EXIT_USAGE, "cannot restart an archive written to a pipe");
	icarc_writer_free(o->w);
	o->w = NULL;
	o->plain_bytes = 0;
	o->entry_open = 0;
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
		if (out.pos && cli_write_all(o->fd, o->buf, out.pos) != 0)
			return cli_fail(EXIT_IO, "writing %s: %s", o->to_stdout ? "stdout" : o->part, strerror(errno));
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
	int rc = aout_begin(o, name);
	return rc == EXIT_OK ? aout_push(o, p, n, 1) : rc;
}

int aout_finish(struct aout *o)
{
	int rc = pump(o, NULL, 0, ICARC_FINISH);
	if (rc != EXIT_OK || o->to_stdout)
		return rc;
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

uint64_t aout_archive_bytes(const struct aout *o)
{
	return o->w ? icarc_writer_offset(o->w) : 0;
}

void aout_close(struct aout *o)
{
	if (o->part) {
		if (o->fd >= 0)
			close(o->fd);
		unlink(o->part); /* never leave a partial archive behind */
		free(o->part);
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
