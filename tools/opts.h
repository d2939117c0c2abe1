/* opts.h - the small option matcher the state commands share: `--name VALUE` and `--name=VALUE`. */
#ifndef ICARC_TOOLS_OPTS_H
#define ICARC_TOOLS_OPTS_H
#include <string.h>

#include "cli.h"

/* 1: argv[*i] is option `name` and *val its value (consumed); 0: another argument; -1: no value. */
static inline int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != 0)
		return 0;
	if (*i + 1 >= argc) {
		cli_fail(EXIT_USAGE, "%s needs a value", name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}
#endif
