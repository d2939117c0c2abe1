/* cmd_identity.c - icarc identity principal: the principal a PEM key signs IC requests as. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ic/identity.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: icarc identity principal [--identity PEM | --anonymous]\n\n"
	           "Print the principal that requests signed with the key in PEM come from: the same text that\n"
	           "`icp identity principal` and `dfx identity get-principal` print for that key. Add it as a\n"
	           "controller of the canisters to back up, e.g.\n"
	           "  icp canister settings update CANISTER --add-controller PRINCIPAL\n\n"
	           "Accepted keys: secp256k1 (SEC1 `EC PRIVATE KEY`, with or without `EC PARAMETERS`, or PKCS#8\n"
	           "`PRIVATE KEY`, as dfx, quill, icp-cli and OpenSSL write them) and Ed25519 (PKCS#8, including\n"
	           "old dfx files). Encrypted PEM files are refused: export a plaintext copy first\n"
	           "(`icp identity export NAME` or `dfx identity export NAME`).\n");
}

int cmd_identity(int argc, char **argv)
{
	static const struct option opts[] = {{"identity", required_argument, NULL, 'i'},
	                                     {"anonymous", no_argument, NULL, 'a'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *pem = NULL;
	int anonymous = 0, c;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': pem = optarg; break;
		case 'a': anonymous = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || strcmp(argv[optind], "principal") != 0 || (pem == NULL) == !anonymous) {
		usage(stderr);
		return EXIT_USAGE;
	}
	struct ic_identity id;
	char err[600], text[IC_PRINCIPAL_MAXTEXT];
	if (anonymous) {
		ic_identity_anonymous(&id);
	} else {
		FILE *f = fopen(pem, "rb");
		if (f == NULL)
			return cli_fail(EXIT_IO, "%s: %s", pem, strerror(errno));
		fclose(f);
		if (ic_identity_from_file(&id, pem, err, sizeof err) != 0)
			return cli_fail(EXIT_KEY, "%s", err);
	}
	ic_principal_to_text(&id.principal, text);
	ic_identity_wipe(&id);
	if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
		return cli_fail(EXIT_IO, "cannot write to standard output");
	return EXIT_OK;
}
