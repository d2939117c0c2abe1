/* input.h - what decode, diff and memories read: an icarc archive (one entry of it) or a plain file. */
#ifndef ICARC_TOOLS_INPUT_H
#define ICARC_TOOLS_INPUT_H
#include <stdint.h>

#include "cli.h"
#include "tools/stsrc.h"

struct tool_input {
	const char *path;
	int fd;
	struct icarc_archive *a;  /* NULL: a plain file */
	uint64_t file_size;
	int last_status;          /* the last libicarc error behind a failed read (0: none) */
};

/* Open path: an archive if it starts with the archive magic (then with the keys), else a plain
 * file. Returns an exit code. */
int tool_input_open(struct tool_input *in, const char *path, const struct cli_keys *k);
void tool_input_close(struct tool_input *in);
/* The entry to read: `name`, or if NULL the only entry, or "stable_memory". For plain files
 * `name` must be NULL. Sets *index (archives) and returns an exit code. */
int tool_input_pick(struct tool_input *in, const char *name, size_t *index);
/* A source over the plain file or over entry `index` of the archive (freed with st_close). */
struct st_src *tool_input_src(struct tool_input *in, size_t index);
/* The one input left after getopt (argv[optind]); NULL after a usage message when there is none
 * or more than one. */
const char *tool_one_input(int argc, char **argv, const char *usage_text);
/* The exit code for a failed read from a source of this input. */
int tool_input_exit(const struct tool_input *in, int fallback);

#endif
