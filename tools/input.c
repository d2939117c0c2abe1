/* input.c - opening archives and plain files for the state commands. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/input.h"

int tool_input_open(struct tool_input *in, const char *path, const struct cli_keys *k)
{
	memset(in, 0, sizeof *in);
	in->path = path;
	in->fd = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(EXIT_IO, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cli_fail(EXIT_USAGE, "%s: not a regular file (decode and diff need random access)", path);
	}
	unsigned char m[ICARC_MAGICBYTES] = {0};
	ssize_t n = pread(fd, m, sizeof m, 0);
	if (n == (ssize_t)sizeof m && icarc_is_archive(m, sizeof m)) {
		close(fd);
		int rc = cli_open_archive(path, k, &in->a, &in->fd);
		if (rc != EXIT_OK)
			return rc;
		return EXIT_OK;
	}
	in->fd = fd;
	in->file_size = (uint64_t)st.st_size;
	return EXIT_OK;
}

void tool_input_close(struct tool_input *in)
{
	if (in->a != NULL)
		icarc_archive_free(in->a);
	if (in->fd >= 0)
		close(in->fd);
	in->a = NULL;
	in->fd = -1;
}

int tool_input_pick(struct tool_input *in, const char *name, size_t *index)
{
	*index = 0;
	if (in->a == NULL) {
		if (name != NULL)
			return cli_fail(EXIT_USAGE, "%s is a plain file, not an archive: --entry does not apply", in->path);
		return EXIT_OK;
	}
	size_t n = icarc_archive_entry_count(in->a);
	if (name != NULL) {
		int i = icarc_archive_find(in->a, name);
		if (i < 0)
			return cli_fail(EXIT_USAGE, "%s: no entry named '%s'", in->path, name);
		*index = (size_t)i;
		return EXIT_OK;
	}
	if (n == 1)
		return EXIT_OK;
	int i = icarc_archive_find(in->a, "stable_memory");
	if (i >= 0) {
		*index = (size_t)i;
		return EXIT_OK;
	}
	char list[512];
	size_t k = 0;
	list[0] = 0;
	for (size_t e = 0; e < n && k + 1 < sizeof list; e++) {
		struct icarc_entry_info info;
		if (icarc_archive_entry(in->a, e, &info) == 0)
			k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", e ? ", " : "", info.name);
		if (k >= sizeof list)
			k = sizeof list - 1;
	}
	return cli_fail(EXIT_USAGE, "%s has %zu entries (%s): choose one with --entry", in->path, n, list);
}

struct arch_src {
	struct st_src s;
	struct tool_input *in;
	size_t entry;
};

static int arch_read(struct st_src *src, uint64_t off, void *buf, size_t len)
{
	struct arch_src *a = (struct arch_src *)src;
	int rc = icarc_archive_read(a->in->a, a->entry, off, buf, len);
	if (rc < 0) {
		a->in->last_status = rc;
		snprintf(src->err, sizeof src->err, "%s", icarc_archive_error(a->in->a));
		return -1;
	}
	return 0;
}

struct st_src *tool_input_src(struct tool_input *in, size_t index)
{
	if (in->a == NULL)
		return st_src_fd(in->fd, in->file_size, in->path);
	struct icarc_entry_info info;
	if (icarc_archive_entry(in->a, index, &info) < 0)
		return NULL;
	struct arch_src *a = calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	a->in = in;
	a->entry = index;
	a->s.read_at = arch_read;
	a->s.size = info.size;
	snprintf(a->s.what, sizeof a->s.what, "entry %.56s of %.56s", info.name, in->path);
	return &a->s;
}

const char *tool_one_input(int argc, char **argv, const char *usage_text)
{
	if (argc - optind > 1) {
		cli_fail(EXIT_USAGE, "one input only ('%s' and '%s')", argv[optind], argv[optind + 1]);
		return NULL;
	}
	if (optind == argc) {
		fputs(usage_text, stderr);
		return NULL;
	}
	return argv[optind];
}

int tool_input_exit(const struct tool_input *in, int fallback)
{
	return in->last_status < 0 ? cli_exit_for(in->last_status) : fallback;
}

