/* cmd_extract.c - icarc extract: entries or byte ranges out of an archive, from a file or a pipe. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define MAX_OUTS 4096

static void usage(FILE *f)
{
	fprintf(f, "usage: icarc extract [-o OUT|DIR|-] [--entry NAME] [--range START:END] [-i IDENTITY]...\n"
	           "                     [--passphrase-file FILE] [--salvage] ARCHIVE|-\n\n"
	           "Write an entry (or, with -o DIR, every entry as DIR/NAME) of an archive. From a file, --entry and\n"
	           "--range read only the chunks they need; from a pipe the archive is read once, front to back.\n"
	           "Every chunk is authenticated before its bytes are written. Files are written as NAME.part and\n"
	           "renamed only when the whole archive checked out; --salvage keeps what a damaged or cut archive\n"
	           "gave (exit 4 all the same).\n"
	           "  --range START:END   bytes [START, END) of the entry (END omitted: to the end)\n\n"
	           "exit: 0 ok, 2 usage, 3 I/O, 4 damaged or truncated, 5 no key opens it\n");
}

struct xstate {
	const char *want;   /* --entry */
	const char *output; /* NULL/"-": stdout */
	int dir;            /* output is a directory */
	int fd;             /* current output, -1 when skipping */
	struct cli_output *cur; /* the current output file, NULL for stdout */
	int entries_seen, selected;
	struct cli_output outs[MAX_OUTS];
	size_t n_outs;
	const char *error;
};

static int safe_name(const char *n)
{
	if (n == NULL || n[0] == '/' || n[0] == '\0')
		return 0;
	for (const char *p = n; *p;) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += l + (e != NULL);
	}
	return 1;
}

static int mkdirs(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		int r = mkdir(path, 0755);
		*p = '/';
		if (r != 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int open_out(struct xstate *x, const char *final)
{
	if (x->n_outs == MAX_OUTS) {
		cli_warn("more than %d output files", MAX_OUTS);
		return -1;
	}
	int r = 0;
	if (x->dir) { /* entry names may hold '/' */
		char *dirs = strdup(final);
		if (dirs == NULL)
			return -1;
		r = mkdirs(dirs);
		free(dirs);
	}
	if (r != 0) {
		cli_warn("cannot create the directories of '%s': %s", final, strerror(errno));
		return -1;
	}
	struct cli_output *o = &x->outs[x->n_outs++];
	if ((final == NULL || strcmp(final, "-") == 0 ? cli_output_stdout(o) : cli_output_open(o, final)) != EXIT_OK)
		return -1;
	x->fd = o->fd;
	x->cur = o;
	return 0;
}

/* The entry is complete: close its file (renamed by settle() once the whole archive checked out). */
static int close_out(struct xstate *x)
{
	int r = 0;
	if (x->cur && cli_output_close(x->cur) != EXIT_OK)
		r = -1;
	x->fd = -1;
	x->cur = NULL;
	return r;
}

/* Rename (keep) or delete every .part file. */
static int settle(struct xstate *x, int keep)
{
	int r = 0;
	for (size_t i = 0; i < x->n_outs; i++)
		if (cli_output_finish(&x->outs[i], keep) != EXIT_OK)
			r = -1;
	x->n_outs = 0;
	return r;
}

static int on_event(void *ctx, int ev, struct icarc_reader *r)
{
	struct xstate *x = ctx;
	if (ev == ICARC_ENTRY_END) {
		return close_out(x);
	}
	if (ev != ICARC_ENTRY)
		return 0;
	const char *name = icarc_reader_entry_name(r);
	x->entries_seen++;
	if (x->want) {
		if (name == NULL || strcmp(name, x->want) != 0)
			return 0;
	} else if (!x->dir && x->entries_seen > 1) {
		x->error = "the archive holds several entries: choose one with --entry NAME, or give -o DIR";
		return -1;
	}
	x->selected++;
	if (x->dir) {
		if (!safe_name(name)) {
			cli_warn("entry name '%s' is not a safe relative path: skipped", name ? name : "?");
			return 0;
		}
		size_t n = strlen(x->output) + strlen(name) + 2;
		char *path = malloc(n);
		if (path == NULL)
			return -1;
		snprintf(path, n, "%s/%s", x->output, name);
		int rc = open_out(x, path);
		free(path);
		return rc;
	}
	return open_out(x, x->output);
}

static int on_data(void *ctx, const void *p, size_t n)
{
	struct xstate *x = ctx;
	if (x->fd < 0)
		return 0;
	if ((x->cur ? cli_output_write(x->cur, p, n) : cli_write_all(x->fd, p, n)) != 0) {
		cli_warn("writing: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int parse_range(const char *s, uint64_t *start, uint64_t *end, int *open_end)
{
	const char *colon = strchr(s, ':');
	if (colon == NULL || colon == s)
		return -1;
	char buf[64];
	size_t l = (size_t)(colon - s);
	if (l >= sizeof buf)
		return -1;
	memcpy(buf, s, l);
	buf[l] = '\0';
	if (cli_parse_size(buf, start) != 0)
		return -1;
	*open_end = colon[1] == '\0';
	if (!*open_end && (cli_parse_size(colon + 1, end) != 0 || *end < *start))
		return -1;
	return 0;
}

/* From a file: read only the chunks of the range. */
static int extract_random(const char *path, const struct cli_keys *keys, const char *entry, const char *range,
                          const char *output)
{
	struct icarc_archive *a;
	int afd;
	int rc = cli_open_archive(path, keys, &a, &afd);
	if (rc != EXIT_OK)
		return rc;
	int idx;
	if (entry) {
		idx = icarc_archive_find(a, entry);
		if (idx < 0)
			rc = cli_fail(EXIT_USAGE, "%s: no entry named '%s'", path, entry);
	} else if (icarc_archive_entry_count(a) == 1) {
		idx = 0;
	} else {
		idx = -1;
		rc = cli_fail(EXIT_USAGE, "%s holds %zu entries: choose one with --entry NAME", path, icarc_archive_entry_count(a));
	}
	struct icarc_entry_info info;
	uint64_t start = 0, end = 0;
	int open_end = 1;
	if (rc == EXIT_OK && icarc_archive_entry(a, (size_t)idx, &info) != ICARC_OK)
		rc = cli_fail(EXIT_INTERNAL, "entry lookup failed");
	if (rc == EXIT_OK && range && parse_range(range, &start, &end, &open_end) != 0)
		rc = cli_fail(EXIT_USAGE, "--range wants START:END with START <= END, got '%s'", range);
	if (rc == EXIT_OK) {
		if (open_end)
			end = info.size;
		if (end > info.size || start > end)
			rc = cli_fail(EXIT_USAGE, "--range %llu:%llu is outside entry '%s' of %llu bytes", (unsigned long long)start,
			              (unsigned long long)end, info.name, (unsigned long long)info.size);
	}
	struct xstate x = {.fd = -1};
	if (rc == EXIT_OK) {
		if (open_out(&x, output) != 0)
			rc = EXIT_IO;
	}
	size_t bufsize = icarc_archive_chunk_size(a);
	uint8_t *buf = rc == EXIT_OK ? malloc(bufsize) : NULL;
	if (rc == EXIT_OK && buf == NULL)
		rc = cli_fail(EXIT_IO, "out of memory");
	for (uint64_t off = start; rc == EXIT_OK && off < end;) {
		size_t n = end - off < bufsize ? (size_t)(end - off) : bufsize;
		int st = icarc_archive_read(a, (size_t)idx, off, buf, n);
		if (st < 0)
			rc = cli_fail(cli_exit_for(st) == EXIT_KEY ? EXIT_CORRUPT : cli_exit_for(st), "%s: %s", path,
			              icarc_archive_error(a));
		else if (on_data(&x, buf, n) != 0)
			rc = EXIT_IO;
		off += n;
	}
	free(buf);
	if (close_out(&x) != 0 && rc == EXIT_OK)
		rc = EXIT_IO;
	if (settle(&x, rc == EXIT_OK) != 0 && rc == EXIT_OK)
		rc = EXIT_IO;
	icarc_archive_free(a);
	close(afd);
	return rc;
}

int cmd_extract(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
	                                     {"entry", required_argument, NULL, 'e'},
	                                     {"range", required_argument, NULL, 'R'},
	                                     CLI_KEY_OPTIONS,
	                                     {"salvage", no_argument, NULL, 's'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct cli_keys keys = {.ask_passphrase = 1};
	const char *output = NULL, *entry = NULL, *range = NULL;
	int salvage = 0, c;
	while ((c = getopt_long(argc, argv, "o:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'e': entry = optarg; break;
		case 'R': range = optarg; break;
		case 'i':
		case CLI_OPT_PASSPHRASE_FILE:
			if (cli_keys_option(&keys, c, optarg) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 's': salvage = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *path = argv[optind];
	struct stat st;
	int is_dir = output && strcmp(output, "-") != 0 && stat(output, &st) == 0 && S_ISDIR(st.st_mode);
	if ((output == NULL || strcmp(output, "-") == 0) && isatty(STDOUT_FILENO))
		return cli_fail(EXIT_USAGE, "refusing to write binary data to a terminal: use -o OUT or pipe it");
	if (range && is_dir)
		return cli_fail(EXIT_USAGE, "--range writes one file, not a directory");
	int is_file = strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
	if (is_file && !salvage && !is_dir && (entry || range))
		return extract_random(path, &keys, entry, range, output);
	if (range)
		return cli_fail(EXIT_USAGE, "--range needs a seekable archive file (not a pipe) and no --salvage");

	int fd = is_file ? open(path, O_RDONLY | O_CLOEXEC) : strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(EXIT_IO, "cannot open '%s': %s", path, strerror(errno));
	struct icarc_reader *r = icarc_reader_new();
	if (r == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	struct xstate x = {.want = entry, .output = output, .dir = is_dir, .fd = -1};
	struct cli_stream_cb cb = {on_event, on_data, &x};
	int rc;
	int s = cli_stream(r, fd, strcmp(path, "-") == 0 ? "stdin" : path, &keys, &cb, &rc);
	if (x.error)
		rc = cli_fail(EXIT_USAGE, "%s", x.error);
	else if (rc == EXIT_OK && s < 0)
		rc = cli_fail(s == ICARC_E_NOKEY ? EXIT_KEY : s == ICARC_E_IO ? EXIT_IO : EXIT_CORRUPT, "%s: %s", path,
		              icarc_reader_error(r));
	if (rc == EXIT_OK && entry && x.selected == 0)
		rc = cli_fail(EXIT_USAGE, "%s: no entry named '%s'", path, entry);
	if (close_out(&x) != 0 && rc == EXIT_OK)
		rc = EXIT_IO;
	int keep = rc == EXIT_OK || (salvage && rc == EXIT_CORRUPT);
	if (settle(&x, keep) != 0 && rc == EXIT_OK)
		rc = EXIT_IO;
	if (salvage && rc == EXIT_CORRUPT)
		cli_warn("salvaged what authenticated before the damage; the output is incomplete");
	icarc_reader_free(r);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}
