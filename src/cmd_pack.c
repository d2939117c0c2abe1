/* cmd_pack.c - icarc pack: a file or stdin into an archive. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: icarc pack [-o ARCHIVE|-] [--entry NAME] [--level N] [--chunk-size SIZE] [--workers N]\n"
	        "                  [-r RECIPIENT|FILE]... [--passphrase-file FILE] [--no-encrypt] [--meta KEY=VALUE]...\n"
	        "                  INPUT|-\n\n"
	        "Pack INPUT (a file, or - for stdin) into an archive: fixed chunks (default 1 MiB), each hashed\n"
	        "(XXH3-128), compressed (zstd) and encrypted (XChaCha20-Poly1305) to every recipient (-r: an icarc1...\n"
	        "string, or a file of them or of identities) and/or a passphrase (--passphrase-file, or asked on the\n"
	        "terminal when neither -r nor --no-encrypt is given).\n\n"
	        "  -o ARCHIVE          output (default: stdout if it is not a terminal); written as ARCHIVE.part and\n"
	        "                      renamed when complete\n"
	        "  --entry NAME        entry name (default: INPUT's base name, 'stdin' for -)\n"
	        "  --level N           zstd level 1..19 (default 3)\n"
	        "  --chunk-size SIZE   multiple of 64K from 64K to 16M (default 1M)\n"
	        "  --workers N         compression threads (default: one per CPU)\n"
	        "  --no-encrypt        integrity only (checksums, no secrecy)\n"
	        "  --meta KEY=VALUE    authenticated archive metadata\n");
}

static int set_meta_arg(struct icarc_writer *w, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL || eq == kv || (size_t)(eq - kv) > 255)
		return cli_fail(EXIT_USAGE, "--meta wants KEY=VALUE, got '%s'", kv);
	char key[256];
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	return icarc_writer_set_meta(w, key, eq + 1, strlen(eq + 1)) == ICARC_OK ? EXIT_OK
	                                                                        : cli_fail(EXIT_USAGE, "%s", icarc_writer_error(w));
}

int cmd_pack(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},  {"entry", required_argument, NULL, 'e'},
		{"level", required_argument, NULL, 'l'},   {"chunk-size", required_argument, NULL, 'c'},
		{"workers", required_argument, NULL, 'w'}, {"recipient", required_argument, NULL, 'r'},
		{"passphrase-file", required_argument, NULL, 'p'}, {"no-encrypt", no_argument, NULL, 'n'},
		{"meta", required_argument, NULL, 'm'},    {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *output = NULL, *entry = NULL, *pass_file = NULL;
	const char *recips[64], *metas[64];
	size_t n_recips = 0, n_metas = 0;
	int no_encrypt = 0, c;
	uint64_t level = 3, chunk = ICARC_CHUNK_DEFAULT, workers = 0;
	int have_workers = 0;
	while ((c = getopt_long(argc, argv, "o:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'e': entry = optarg; break;
		case 'l':
			if (cli_parse_u64(optarg, &level) != 0 || level < 1 || level > 19)
				return cli_fail(EXIT_USAGE, "--level wants 1..19, got '%s'", optarg);
			break;
		case 'c':
			if (cli_parse_size(optarg, &chunk) != 0 || chunk % ICARC_CHUNK_ALIGN || chunk < ICARC_CHUNK_ALIGN ||
			    chunk > ICARC_CHUNK_MAX)
				return cli_fail(EXIT_USAGE, "--chunk-size wants a multiple of 64K from 64K to 16M, got '%s'", optarg);
			break;
		case 'w':
			if (cli_parse_u64(optarg, &workers) != 0 || workers > 64)
				return cli_fail(EXIT_USAGE, "--workers wants 0..64, got '%s'", optarg);
			have_workers = 1;
			break;
		case 'r':
			if (n_recips == 64)
				return cli_fail(EXIT_USAGE, "too many -r options");
			recips[n_recips++] = optarg;
			break;
		case 'p': pass_file = optarg; break;
		case 'n': no_encrypt = 1; break;
		case 'm':
			if (n_metas == 64)
				return cli_fail(EXIT_USAGE, "too many --meta options");
			metas[n_metas++] = optarg;
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *input = argv[optind];
	if (no_encrypt && (n_recips || pass_file))
		return cli_fail(EXIT_USAGE, "--no-encrypt contradicts -r and --passphrase-file");
	if (output == NULL && isatty(STDOUT_FILENO))
		return cli_fail(EXIT_USAGE, "refusing to write an archive to a terminal: use -o ARCHIVE");
	int to_stdout = output == NULL || strcmp(output, "-") == 0;
	if (entry == NULL) {
		const char *slash = strrchr(input, '/');
		entry = strcmp(input, "-") == 0 ? "stdin" : slash ? slash + 1 : input;
	}

	struct icarc_writer *w = icarc_writer_new();
	if (w == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	int rc = EXIT_OK;
	if (icarc_writer_set_option(w, ICARC_OPT_LEVEL, (int64_t)level) != ICARC_OK ||
	    icarc_writer_set_option(w, ICARC_OPT_CHUNK_SIZE, (int64_t)chunk) != ICARC_OK ||
	    (have_workers && icarc_writer_set_option(w, ICARC_OPT_WORKERS, (int64_t)workers) != ICARC_OK))
		rc = cli_fail(EXIT_USAGE, "%s", icarc_writer_error(w));
	for (size_t i = 0; rc == EXIT_OK && i < n_recips; i++)
		rc = cli_add_recipients(w, recips[i]);
	if (rc == EXIT_OK && !no_encrypt && (pass_file || n_recips == 0)) {
		char *pass;
		size_t len;
		rc = cli_read_passphrase(pass_file, 1, &pass, &len);
		if (rc == EXIT_OK) {
			if (icarc_writer_add_passphrase(w, pass, len) != ICARC_OK)
				rc = cli_fail(EXIT_IO, "%s", icarc_writer_error(w));
			cli_secret_free(pass, len);
		} else if (pass_file == NULL) {
			cli_warn("encryption is on by default: give -r RECIPIENT, --passphrase-file FILE, or --no-encrypt");
		}
	}
	char now[32];
	time_t t = time(NULL);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (rc == EXIT_OK && (icarc_writer_set_meta(w, "created", now, strlen(now)) != ICARC_OK ||
	                      icarc_writer_set_meta(w, "tool", "icarc " PACKAGE_VERSION, strlen("icarc " PACKAGE_VERSION)) != ICARC_OK))
		rc = cli_fail(EXIT_USAGE, "%s", icarc_writer_error(w));
	for (size_t i = 0; rc == EXIT_OK && i < n_metas; i++)
		rc = set_meta_arg(w, metas[i]);
	if (rc == EXIT_OK && icarc_writer_begin_entry(w, entry) != ICARC_OK)
		rc = cli_fail(EXIT_USAGE, "%s", icarc_writer_error(w));

	int in_fd = -1;
	struct cli_output out = {.fd = -1};
	if (rc == EXIT_OK) {
		in_fd = strcmp(input, "-") == 0 ? STDIN_FILENO : open(input, O_RDONLY | O_CLOEXEC);
		if (in_fd < 0)
			rc = cli_fail(EXIT_IO, "cannot open '%s': %s", input, strerror(errno));
	}
	if (rc == EXIT_OK && !to_stdout)
		rc = cli_output_open(&out, output);
	if (rc == EXIT_OK) {
		int st = icarc_writer_push_fd(w, in_fd, to_stdout ? STDOUT_FILENO : out.fd, ICARC_FINISH);
		if (st < 0)
			rc = cli_fail(cli_exit_for(st), "%s -> %s: %s", strcmp(input, "-") == 0 ? "stdin" : input,
			              to_stdout ? "stdout" : output, icarc_writer_error(w));
	}
	if (in_fd > STDIN_FILENO)
		close(in_fd);
	if (!to_stdout) {
		int r2 = cli_output_finish(&out, rc == EXIT_OK);
		if (rc == EXIT_OK)
			rc = r2;
	}
	icarc_writer_free(w);
	return rc;
}
