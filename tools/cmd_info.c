/* cmd_info.c - icarc info: what an archive holds (header, entries, sizes, metadata). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: icarc info [--json] [-i IDENTITY]... [--passphrase-file FILE] ARCHIVE\n\n"
	           "Show an archive's mode, chunk size, entries (size, chunks, stored bytes, zero chunks, ratio) and\n"
	           "metadata. Encrypted archives need a key: their index is encrypted.\n");
}

static void hex(FILE *f, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static int printable(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 && p[i] != '\t')
			return 0;
	return 1;
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     CLI_KEY_OPTIONS,
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct cli_keys keys = {.ask_passphrase = 1};
	int json = 0, c;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'i':
		case CLI_OPT_PASSPHRASE_FILE:
			if (cli_keys_option(&keys, c, optarg) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *path = argv[optind];
	struct icarc_archive *a;
	int fd;
	int rc = cli_open_archive(path, &keys, &a, &fd);
	if (rc != EXIT_OK)
		return rc;
	unsigned char id[ICARC_IDBYTES];
	icarc_archive_id(a, id);
	size_t n = icarc_archive_entry_count(a);
	uint64_t total = 0, stored = 0;
	for (size_t i = 0; i < n; i++) {
		struct icarc_entry_info e;
		if (icarc_archive_entry(a, i, &e) == ICARC_OK) {
			total += e.size;
			stored += e.stored_bytes;
		}
	}
	if (json) {
		printf("{\"archive\":");
		cli_json_string(stdout, path, strlen(path));
		printf(",\"format_version\":%u,\"archive_id\":\"", icarc_format_version());
		hex(stdout, id, sizeof id);
		printf("\",\"encrypted\":%s,\"chunk_size\":%u,\"file_size\":%llu,\"size\":%llu,\"entries\":[",
		       icarc_archive_encrypted(a) ? "true" : "false", icarc_archive_chunk_size(a),
		       (unsigned long long)icarc_archive_file_size(a), (unsigned long long)total);
		for (size_t i = 0; i < n; i++) {
			struct icarc_entry_info e;
			if (icarc_archive_entry(a, i, &e) != ICARC_OK)
				continue;
			printf("%s{\"name\":", i ? "," : "");
			cli_json_string(stdout, e.name, strlen(e.name));
			printf(",\"size\":%llu,\"chunks\":%llu,\"stored_bytes\":%llu,\"zero_chunks\":%llu}",
			       (unsigned long long)e.size, (unsigned long long)e.chunks, (unsigned long long)e.stored_bytes,
			       (unsigned long long)e.zero_chunks);
		}
		printf("],\"metadata\":{");
		for (size_t i = 0; i < icarc_archive_meta_count(a); i++) {
			const char *k;
			const void *v;
			size_t len;
			if (icarc_archive_meta(a, i, &k, &v, &len) != ICARC_OK)
				continue;
			printf("%s", i ? "," : "");
			cli_json_string(stdout, k, strlen(k));
			putchar(':');
			cli_json_string(stdout, v, len);
		}
		printf("}}\n");
	} else {
		printf("archive:      %s\nformat:       icarc %u\nid:           ", path, icarc_format_version());
		hex(stdout, id, sizeof id);
		printf("\nmode:         %s\nchunk size:   %u\nfile size:    %llu\ncontent:      %llu bytes in %zu entr%s",
		       icarc_archive_encrypted(a) ? "encrypted (XChaCha20-Poly1305)" : "unencrypted (integrity only)",
		       icarc_archive_chunk_size(a), (unsigned long long)icarc_archive_file_size(a), (unsigned long long)total, n,
		       n == 1 ? "y" : "ies");
		if (total)
			printf(", stored in %llu (%.1f%%)", (unsigned long long)stored, 100.0 * (double)stored / (double)total);
		printf("\n\n%-14s %14s %8s %6s %14s  %s\n", "", "size", "chunks", "zero", "stored", "name");
		for (size_t i = 0; i < n; i++) {
			struct icarc_entry_info e;
			if (icarc_archive_entry(a, i, &e) == ICARC_OK)
				printf("%-14s %14llu %8llu %6llu %14llu  %s\n", "entry", (unsigned long long)e.size,
				       (unsigned long long)e.chunks, (unsigned long long)e.zero_chunks,
				       (unsigned long long)e.stored_bytes, e.name);
		}
		if (icarc_archive_meta_count(a))
			printf("\nmetadata:\n");
		for (size_t i = 0; i < icarc_archive_meta_count(a); i++) {
			const char *k;
			const void *v;
			size_t len;
			if (icarc_archive_meta(a, i, &k, &v, &len) != ICARC_OK)
				continue;
			printf("  %s = ", k);
			if (printable(v, len))
				printf("%.*s\n", (int)len, (const char *)v);
			else {
				printf("0x");
				hex(stdout, v, len);
				putchar('\n');
			}
		}
	}
	icarc_archive_free(a);
	close(fd);
	return fflush(stdout) == 0 ? EXIT_OK : cli_fail(EXIT_IO, "writing stdout failed");
}
