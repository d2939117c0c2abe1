/* main.c - the icarc command line: dispatch to the subcommands of commands.def. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
#define ICARC_COMMAND(name, fn, summary) {name, fn, summary},
#include "commands.def"
#undef ICARC_COMMAND
};

static void usage(FILE *f)
{
	fprintf(f, "usage: icarc COMMAND [OPTIONS] [ARGS]\n\n"
	           "Back up Internet Computer canisters into chunked, hashed, compressed, encrypted archives.\n\n"
	           "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`icarc COMMAND --help` describes a command; `man icarc` the exit codes and formats.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("icarc %s (libicarc %s, archive format %u)\n", PACKAGE_VERSION, icarc_version_string(),
		       icarc_format_version());
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			static char prog[64];
			snprintf(prog, sizeof prog, "icarc %s", commands[i].name);
			cli_progname = prog;
			if (icarc_init() < 0) {
				fprintf(stderr, "icarc: cannot initialise libsodium\n");
				return EXIT_INTERNAL;
			}
			return commands[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "icarc: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
