/* cmd_export.c - icarc export: a snapshot archive (from icarc pull --snapshot or icarc import) into
 * the directory `icp canister snapshot upload` reads, laid out as `icp canister snapshot download`
 * writes it. metadata.json is written last, so a cut export is never mistaken for a complete one. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "pull.h"
#include "snapshot_dir.h"

#define IO_BUF (1U << 20)

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: icarc export [-i IDENTITY]... [--passphrase-file FILE] ARCHIVE DIR\n\n"
	        "Write a snapshot archive's entries as a snapshot directory (DIR is created, or must be empty):\n"
	        "metadata.json, wasm_module.bin and wasm_memory.bin (when not empty), stable_memory.bin,\n"
	        "wasm_chunk_store/<hash>.bin -- what `icp canister snapshot download` writes and\n"
	        "`icp canister snapshot upload -i DIR` reads. Every chunk is authenticated as it is read;\n"
	        "metadata.json comes last.\n\n"
	        "  -i IDENTITY         an identity file that opens the archive (repeatable)\n"
	        "  --passphrase-file F the passphrase (asked on the terminal when needed otherwise)\n");
}

/* DIR must not exist (it is created) or be empty. */
static int make_dir(const char *dir)
{
	if (mkdir(dir, 0755) == 0)
		return EXIT_OK;
	if (errno != EEXIST)
		return cli_fail(EXIT_IO, "cannot create '%s': %s", dir, strerror(errno));
	DIR *d = opendir(dir);
	if (d == NULL)
		return cli_fail(EXIT_IO, "'%s': %s", dir, strerror(errno));
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty ? EXIT_OK : cli_fail(EXIT_USAGE, "'%s' is not empty", dir);
}

/* Entry i of the archive into DIR/file. */
static int write_entry(struct icarc_archive *a, size_t i, uint64_t size, const char *dir, const char *file,
                       uint8_t *buf)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *path = malloc(n);
	if (path == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	snprintf(path, n, "%s/%s", dir, file);
	int rc = EXIT_OK;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		rc = cli_fail(EXIT_IO, "cannot create '%s': %s", path, strerror(errno));
	for (uint64_t off = 0; rc == EXIT_OK && off < size; off += IO_BUF) {
		size_t len = size - off < IO_BUF ? (size_t)(size - off) : IO_BUF;
		int st = icarc_archive_read(a, i, off, buf, len);
		if (st < 0)
			rc = cli_fail(cli_exit_for(st), "%s", icarc_archive_error(a));
		else if (cli_write_all(fd, buf, len) != 0)
			rc = cli_fail(EXIT_IO, "writing '%s': %s", path, strerror(errno));
	}
	if (fd >= 0 && close(fd) != 0 && rc == EXIT_OK)
		rc = cli_fail(EXIT_IO, "writing '%s': %s", path, strerror(errno));
	free(path);
	return rc;
}

static int entry_size(struct icarc_archive *a, const char *name, size_t *idx, uint64_t *size)
{
	int i = icarc_archive_find(a, name);
	struct icarc_entry_info info;
	if (i < 0 || icarc_archive_entry(a, (size_t)i, &info) != ICARC_OK)
		return -1;
	*idx = (size_t)i;
	*size = info.size;
	return 0;
}

static int export(struct icarc_archive *a, const char *archive, const char *dir)
{
	size_t mi;
	uint64_t msize;
	if (entry_size(a, "metadata.json", &mi, &msize) != 0)
		return cli_fail(EXIT_USAGE,
		                "%s holds no metadata.json: not a snapshot archive (pulled with --stable-memory? use icarc "
		                "extract --entry stable_memory)",
		                archive);
	if (msize > SNAPDIR_META_MAX)
		return cli_fail(EXIT_CORRUPT, "%s: metadata.json is too large (%llu bytes)", archive, (unsigned long long)msize);
	char *text = malloc((size_t)msize + 1), err[300];
	uint8_t *buf = malloc(IO_BUF);
	int rc = EXIT_OK;
	if (text == NULL || buf == NULL)
		rc = cli_fail(EXIT_IO, "out of memory");
	int st;
	if (rc == EXIT_OK && (st = icarc_archive_read(a, mi, 0, text, (size_t)msize)) < 0)
		rc = cli_fail(cli_exit_for(st), "%s", icarc_archive_error(a));
	struct snapdir_meta m;
	memset(&m, 0, sizeof m);
	if (rc == EXIT_OK && snapdir_meta_parse(text, (size_t)msize, &m, err, sizeof err) != 0)
		rc = cli_fail(EXIT_CORRUPT, "%s: metadata.json: %s", archive, err);
	/* the entries must be what metadata.json says, before anything is written */
	size_t idx[3];
	for (int k = 0; rc == EXIT_OK && k < 3; k++) {
		uint64_t size;
		if (entry_size(a, snapdir_entry[k], &idx[k], &size) != 0)
			rc = cli_fail(EXIT_CORRUPT, "%s has no %s entry", archive, snapdir_entry[k]);
		else if (size != m.sizes[k])
			rc = cli_fail(EXIT_CORRUPT, "%s: entry %s holds %llu bytes, metadata.json says %llu", archive,
			              snapdir_entry[k], (unsigned long long)size, (unsigned long long)m.sizes[k]);
	}
	char hex[65], name[128];
	for (size_t i = 0; rc == EXIT_OK && i < m.n_chunks; i++) {
		ic_hex(hex, m.hashes[i], 32);
		snprintf(name, sizeof name, "wasm_chunk/%s", hex);
		size_t ci;
		uint64_t cs;
		if (entry_size(a, name, &ci, &cs) != 0)
			rc = cli_fail(EXIT_CORRUPT, "%s has no %s entry", archive, name);
	}
	if (rc == EXIT_OK)
		rc = make_dir(dir);
	/* icp-cli's layout: the module and wasm memory only when not empty, stable memory always */
	for (int k = 0; rc == EXIT_OK && k < 3; k++)
		if (m.sizes[k] > 0 || k == 2)
			rc = write_entry(a, idx[k], m.sizes[k], dir, snapdir_file[k], buf);
	if (rc == EXIT_OK) {
		size_t n = strlen(dir) + 32;
		char *cs = malloc(n);
		if (cs == NULL)
			rc = cli_fail(EXIT_IO, "out of memory");
		else {
			snprintf(cs, n, "%s/wasm_chunk_store", dir);
			if (mkdir(cs, 0755) != 0)
				rc = cli_fail(EXIT_IO, "cannot create '%s': %s", cs, strerror(errno));
			free(cs);
		}
	}
	for (size_t i = 0; rc == EXIT_OK && i < m.n_chunks; i++) {
		ic_hex(hex, m.hashes[i], 32);
		snprintf(name, sizeof name, "wasm_chunk/%s", hex);
		size_t ci;
		uint64_t cs;
		if (entry_size(a, name, &ci, &cs) != 0)
			continue; /* checked above */
		char file[128];
		snprintf(file, sizeof file, "wasm_chunk_store/%s.bin", hex);
		rc = write_entry(a, ci, cs, dir, file, buf);
	}
	if (rc == EXIT_OK)
		rc = write_entry(a, mi, msize, dir, "metadata.json", buf);
	snapdir_meta_free(&m);
	free(text);
	free(buf);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {{"identity", required_argument, NULL, 'i'},
	                                     {"passphrase-file", required_argument, NULL, 'p'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct cli_keys keys;
	memset(&keys, 0, sizeof keys);
	keys.ask_passphrase = 1;
	int c;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (keys.n_identities == sizeof keys.identity_files / sizeof keys.identity_files[0])
				return cli_fail(EXIT_USAGE, "too many -i options");
			keys.identity_files[keys.n_identities++] = optarg;
			break;
		case 'p': keys.passphrase_file = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	struct icarc_archive *a;
	int fd;
	int rc = cli_open_archive(argv[optind], &keys, &a, &fd);
	if (rc != EXIT_OK)
		return rc;
	rc = export(a, argv[optind], argv[optind + 1]);
	icarc_archive_free(a);
	close(fd);
	return rc;
}
