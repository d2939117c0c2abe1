/* cli_stream.c - drive a streaming reader from a file descriptor (a pipe or a file). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define STREAM_IN (1U << 20)
#define STREAM_OUT (1U << 20)

static ssize_t read_some(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, buf, n);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

int cli_stream(struct icarc_reader *r, int fd, const char *name, const struct cli_keys *keys, const struct cli_stream_cb *cb,
               int *exit_code)
{
	uint8_t *ib = malloc(STREAM_IN), *ob = cb->on_data ? malloc(STREAM_OUT) : NULL;
	int st = ICARC_E_NOMEM;
	*exit_code = EXIT_OK;
	if (ib == NULL || (cb->on_data && ob == NULL)) {
		*exit_code = cli_fail(EXIT_IO, "out of memory");
		goto out;
	}
	/* Fill the first block enough to see the header flags, so that a passphrase is asked for only
	 * when the archive is encrypted (a pipe cannot be read twice). */
	size_t have = 0;
	while (have < 64) {
		ssize_t n = read_some(fd, ib + have, STREAM_IN - have);
		if (n < 0) {
			*exit_code = cli_fail(EXIT_IO, "reading %s: %s", name, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	struct cli_keys k = *keys;
	k.ask_passphrase = keys->ask_passphrase && have >= 27 && memcmp(ib, "\x89ICARC\r\n", 8) == 0 && (ib[26] & 1) != 0;
	*exit_code = cli_keys_apply_reader(&k, r);
	if (*exit_code != EXIT_OK)
		goto out;
	int eof = 0;
	struct icarc_in in = {ib, have, 0};
	for (;;) {
		struct icarc_out out = {ob, ob ? STREAM_OUT : 0, 0};
		st = icarc_reader_pull(r, &in, cb->on_data ? &out : NULL);
		if (out.pos && cb->on_data(cb->ctx, ob, out.pos) != 0) {
			st = ICARC_E_IO;
			*exit_code = EXIT_IO;
			goto out;
		}
		if (st < 0)
			goto out;
		if (st == ICARC_NEED_INPUT) {
			if (eof) {
				st = icarc_reader_finish(r);
				goto out;
			}
			ssize_t n = read_some(fd, ib, STREAM_IN);
			if (n < 0) {
				*exit_code = cli_fail(EXIT_IO, "reading %s: %s", name, strerror(errno));
				st = ICARC_E_IO;
				goto out;
			}
			in.size = (size_t)n;
			in.pos = 0;
			eof = n == 0;
			continue;
		}
		if (st == ICARC_ARCHIVE_END) {
			/* anything after the footer is an error: keep reading to see it */
			if (in.pos < in.size)
				continue;
			ssize_t n = read_some(fd, ib, STREAM_IN);
			if (n > 0) {
				in.size = (size_t)n;
				in.pos = 0;
				continue;
			}
			goto out;
		}
		if (st != ICARC_NEED_OUTPUT && cb->on_event && cb->on_event(cb->ctx, st, r) != 0) {
			st = ICARC_E_IO;
			*exit_code = EXIT_IO;
			goto out;
		}
	}
out:
	free(ib);
	free(ob);
	return st;
}
