/* cli_stream.c - drive a streaming reader from a file descriptor (a pipe or a file). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

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
	/* Read the header first, so that a passphrase is asked for only when the archive has a
	 * passphrase stanza (a pipe cannot be read twice); the reader then starts with these bytes. */
	uint8_t head[ICARC_PEEKMAX];
	size_t have = 0;
	*exit_code = EXIT_OK;
	while (have < sizeof head) {
		ssize_t n = read_some(fd, head + have, sizeof head - have);
		if (n < 0) {
			*exit_code = cli_fail(EXIT_IO, "reading %s: %s", name, strerror(errno));
			return ICARC_E_IO;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	struct cli_keys k = *keys;
	k.ask_passphrase = keys->ask_passphrase && icarc_peek_encrypted(head, have) == 1 && icarc_peek_passphrase(head, have) != 0;
	*exit_code = cli_keys_apply_reader(&k, r);
	if (*exit_code != EXIT_OK)
		return ICARC_E_USAGE;
	return icarc_reader_pull_fd(r, fd, head, have, cb->on_data, cb->on_event, cb->ctx);
}
