/* cli_net.c - parsing of the network options (cli_net.h). */
#include "config.h"

#include "cli_net.h"

int net_option(struct net_opts *no, int c, const char *arg)
{
	uint64_t v;
	switch (c) {
	case NET_OPT_NETWORK: no->network = arg; return EXIT_OK;
	case NET_OPT_ROOT_KEY: no->root_key = arg; return EXIT_OK;
	case NET_OPT_IDENTITY: no->identity = arg; return EXIT_OK;
	case NET_OPT_VERBOSE: no->verbose = 1; return EXIT_OK;
	case NET_OPT_CONCURRENCY:
		if (cli_parse_u64(arg, &v) != 0 || v < 1 || v > 256)
			return cli_fail(EXIT_USAGE, "--concurrency wants 1..256, got '%s'", arg);
		no->concurrency = (unsigned)v;
		return EXIT_OK;
	default: return -1;
	}
}
