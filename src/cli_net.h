/* cli_net.h - the network options of the commands that talk to the IC (icarc pull, push):
 * --network, --root-key, --identity (a PEM signing key, not -i, which names the archive's keys),
 * --concurrency, --verbose. */
#ifndef ICARC_CLI_NET_H
#define ICARC_CLI_NET_H
#include "pull.h"

#define NET_OPT_NETWORK 0x200
#define NET_OPT_ROOT_KEY 0x201
#define NET_OPT_IDENTITY 0x202
#define NET_OPT_CONCURRENCY 0x203
#define NET_OPT_VERBOSE 0x204
#define NET_OPTIONS {"network", required_argument, NULL, NET_OPT_NETWORK}, \
	{"root-key", required_argument, NULL, NET_OPT_ROOT_KEY}, \
	{"identity", required_argument, NULL, NET_OPT_IDENTITY}, \
	{"concurrency", required_argument, NULL, NET_OPT_CONCURRENCY}, \
	{"verbose", no_argument, NULL, NET_OPT_VERBOSE}

/* EXIT_OK when `c` was one of NET_OPTIONS (stored in no), EXIT_USAGE on a bad value (message
 * printed), -1 for another option. */
int net_option(struct net_opts *no, int c, const char *arg);
/* The CANISTER argument: a canister id (not the management canister, not a user's principal) into
 * *canister and its canonical text. EXIT_OK, or EXIT_USAGE with a message. */
int net_canister_arg(const char *text, struct ic_principal *canister, char canonical[IC_PRINCIPAL_MAXTEXT]);
#endif
