/* cli_net.c - parsing of the network options (cli_net.h). */
#include "config.h"

#include <string.h>

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

int net_canister_arg(const char *text, struct ic_principal *canister, char canonical[IC_PRINCIPAL_MAXTEXT])
{
	char err[300];
	if (ic_principal_from_text(canister, text, strlen(text), err, sizeof err) != 0)
		return cli_fail(EXIT_USAGE, "canister '%s': %s", text, err);
	if (canister->len == 0)
		return cli_fail(EXIT_USAGE, "canister '%s': that is the management canister, not a canister to back up or "
		                "restore", text);
	if (canister->b[canister->len - 1] != 0x01) /* canister ids are opaque ids (the interface spec's class 1) */
		return cli_fail(EXIT_USAGE, "canister '%s': not a canister id (a user's or the anonymous principal?)", text);
	ic_principal_to_text(canister, canonical);
	return EXIT_OK;
}
