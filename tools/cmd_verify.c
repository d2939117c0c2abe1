/* cmd_verify.c - icarc verify: check every chunk, the index and completeness; name each bad chunk. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: icarc verify [-i IDENTITY]... [--passphrase-file FILE] [--no-key] [--json] ARCHIVE|-\n\n"
	           "Read the whole archive and check every record checksum, every chunk's authentication tag and\n"
	           "XXH3-128, the index and the footer. Bad chunks are named (entry, byte range) and reading goes on.\n"
	           "--no-key checks structure and checksums only (a storage host without the key).\n\n"
	           "exit: 0 all good, 4 damaged, truncated or modified, 5 no given key opens it, 2 usage, 3 I/O\n");
}

struct vstate {
	int json;
	size_t bad;
	size_t entries;
	int first_json;
};

static int on_event(void *ctx, int ev, struct icarc_reader *r)
{
	struct vstate *v = ctx;
	if (ev == ICARC_ENTRY)
		v->entries++;
	if (ev != ICARC_CHUNK_BAD)
		return 0;
	const char *entry;
	uint64_t start, end;
	int status;
	if (icarc_reader_bad_chunk(r, &entry, &start, &end, &status) != ICARC_OK)
		return 0;
	v->bad++;
	if (v->json) {
		printf("%s{\"entry\":", v->first_json ? "" : ",");
		v->first_json = 0;
		if (entry)
			cli_json_string(stdout, entry, strlen(entry));
		else
			printf("null");
		printf(",\"start\":%llu,\"end\":%llu,\"error\":", (unsigned long long)start, (unsigned long long)end);
		const char *msg = icarc_reader_error(r);
		cli_json_string(stdout, msg, strlen(msg));
		putchar('}');
	} else {
		printf("BAD   entry %s bytes %llu..%llu: %s\n", entry ? entry : "?", (unsigned long long)start,
		       (unsigned long long)end, icarc_reader_error(r));
	}
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     CLI_KEY_OPTIONS,
	                                     {"no-key", no_argument, NULL, 'n'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct cli_keys keys = {.ask_passphrase = 1};
	struct vstate v = {.first_json = 1};
	int no_key = 0, c;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': v.json = 1; break;
		case 'i':
		case CLI_OPT_PASSPHRASE_FILE:
			if (cli_keys_option(&keys, c, optarg) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'n': no_key = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (no_key && (keys.n_identities || keys.passphrase_file))
		return cli_fail(EXIT_USAGE, "--no-key contradicts -i and --passphrase-file");
	if (no_key)
		keys.ask_passphrase = 0;
	const char *path = argv[optind];
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(EXIT_IO, "cannot open '%s': %s", path, strerror(errno));
	struct icarc_reader *r = icarc_reader_new();
	if (r == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	if (icarc_reader_set_option(r, ICARC_OPT_KEEP_GOING, 1) != ICARC_OK ||
	    icarc_reader_set_option(r, ICARC_OPT_NO_KEY, no_key) != ICARC_OK) {
		icarc_reader_free(r);
		return cli_fail(EXIT_INTERNAL, "reader options refused");
	}
	if (v.json) {
		printf("{\"archive\":");
		cli_json_string(stdout, path, strlen(path));
		printf(",\"bad_chunks\":[");
	}
	struct cli_stream_cb cb = {on_event, NULL, &v};
	int rc;
	int st = cli_stream(r, fd, strcmp(path, "-") == 0 ? "stdin" : path, &keys, &cb, &rc);
	const char *err = st < 0 && rc == EXIT_OK ? icarc_reader_error(r) : NULL;
	if (rc == EXIT_OK && st < 0)
		rc = st == ICARC_E_NOKEY ? EXIT_KEY : st == ICARC_E_IO || st == ICARC_E_NOMEM ? EXIT_IO : EXIT_CORRUPT;
	if (rc == EXIT_OK && v.bad)
		rc = EXIT_CORRUPT;
	int enc = icarc_reader_encrypted(r);
	if (v.json) {
		printf("],\"encrypted\":%s,\"entries\":%zu,\"bytes\":%llu,\"checked\":\"%s\",\"ok\":%s,\"error\":",
		       enc == 1 ? "true" : enc == 0 ? "false" : "null", v.entries, (unsigned long long)icarc_reader_offset(r),
		       no_key && enc == 1 ? "structure" : "all", rc == EXIT_OK ? "true" : "false");
		if (err)
			cli_json_string(stdout, err, strlen(err));
		else
			printf("null");
		printf("}\n");
	} else if (err) {
		printf("ERROR %s\n", err);
	}
	if (!v.json && rc == EXIT_OK)
		printf("OK    %s: %zu entr%s, %llu bytes%s\n", path, v.entries, v.entries == 1 ? "y" : "ies",
		       (unsigned long long)icarc_reader_offset(r),
		       no_key && enc == 1 ? " (structure and checksums only: no key)"
		       : enc == 1         ? ", every chunk authenticated"
		                          : ", every chunk checked (unencrypted: integrity, not authenticity)");
	else if (!v.json && (v.bad || err))
		fprintf(stderr, "icarc verify: %s: FAILED (%zu bad chunk%s)%s%s\n", path, v.bad, v.bad == 1 ? "" : "s",
		        err ? ": " : "", err ? err : "");
	icarc_reader_free(r);
	if (fd != STDIN_FILENO)
		close(fd);
	fflush(stdout);
	return rc;
}
