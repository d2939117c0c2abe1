/* cmd_keygen.c - icarc keygen: a new X25519 identity file (mode 0600); prints its recipient. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: icarc keygen -o IDENTITY\n"
	           "       icarc keygen -y IDENTITY\n\n"
	           "Write a new secret identity to IDENTITY (mode 0600, never overwritten) and print its public\n"
	           "recipient (icarc1...) for `icarc pack -r` / `icarc pull -r`. With -y, print the recipient of an\n"
	           "existing identity.\n");
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *output = NULL, *show = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "o:y:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'y': show = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || (output == NULL) == (show == NULL)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	unsigned char pk[ICARC_PUBLICKEYBYTES], *sk = sodium_malloc(ICARC_SECRETKEYBYTES);
	char *text = sodium_malloc(ICARC_IDENTITY_MAXLEN);
	char recipient[ICARC_RECIPIENT_MAXLEN];
	int rc = EXIT_OK;
	if (sk == NULL || text == NULL) {
		sodium_free(sk);
		sodium_free(text);
		return cli_fail(EXIT_IO, "out of memory");
	}
	if (show) {
		rc = cli_load_identity(show, sk);
		if (rc == EXIT_OK) {
			icarc_sk_to_pk(pk, sk);
			icarc_recipient_encode(recipient, pk);
			printf("%s\n", recipient);
		}
		goto out;
	}
	icarc_keygen(pk, sk);
	icarc_identity_encode(text, sk);
	icarc_recipient_encode(recipient, pk);
	int fd = open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = cli_fail(EXIT_IO, "cannot create '%s': %s%s", output, strerror(errno),
		              errno == EEXIST ? " (an identity is never overwritten)" : "");
		goto out;
	}
	char head[256], now[32];
	time_t t = time(NULL);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	snprintf(head, sizeof head, "# icarc identity, created %s\n# recipient: %s\n", now, recipient);
	if (cli_write_all(fd, head, strlen(head)) != 0 || cli_write_all(fd, text, strlen(text)) != 0 ||
	    cli_write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
		rc = cli_fail(EXIT_IO, "writing '%s': %s", output, strerror(errno));
		close(fd);
		unlink(output);
		goto out;
	}
	close(fd);
	printf("%s\n", recipient);
out:
	sodium_free(sk);
	sodium_free(text);
	return rc;
}
