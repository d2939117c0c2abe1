/* cmd_import.c - icarc import: an icp-cli or dfx snapshot directory into an archive, with the same
 * entries as `icarc pull --snapshot` writes. Every file is checked against metadata.json first
 * (sizes, chunk hashes), so an incomplete download never becomes a complete-looking archive. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pull.h"
#include "snapshot_dir.h"

#define IO_BUF (1U << 20)

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: icarc import [-o ARCHIVE|-] [-r RECIPIENT]... [--passphrase-file FILE] [--no-encrypt]\n"
	        "                    [--level N] [--canister ID] DIR\n\n"
	        "Pack a snapshot directory written by `icp canister snapshot download` or `dfx canister snapshot\n"
	        "download` (metadata.json, wasm_module.bin, wasm_memory.bin, stable_memory.bin,\n"
	        "wasm_chunk_store/<hash>.bin) into an archive with the entries icarc pull writes: metadata.json\n"
	        "(the file's bytes), wasm_module, wasm_memory, stable_memory, wasm_chunk/<hash>. Sizes and\n"
	        "chunk hashes are checked against metadata.json first.\n\n"
	        "  -o ARCHIVE          output (default: stdout if not a terminal); ARCHIVE.part until complete\n"
	        "  -r RECIPIENT        encrypt to a recipient (repeatable); --passphrase-file F; --no-encrypt\n"
	        "  --canister ID       record the canister id in the archive's metadata\n");
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* The whole file (up to max bytes), NUL-terminated. */
static int slurp(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(EXIT_IO, "cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size > max) {
		close(fd);
		return cli_fail(EXIT_IO, "'%s' is too large (over %zu bytes)", path, max);
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = 0;
	while (buf && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (buf == NULL || n != (size_t)st.st_size) {
		free(buf);
		return cli_fail(EXIT_IO, "cannot read '%s'", path);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return EXIT_OK;
}

/* Stream a file of exactly `size` bytes (absent = empty when size is 0) into an entry. */
static int put_file(struct aout *o, const char *dir, const char *file, const char *entry, uint64_t size, uint8_t *buf)
{
	char *path = path_join(dir, file);
	if (path == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = EXIT_OK;
	struct stat st;
	if (fd < 0 && errno == ENOENT && size == 0) {
		rc = aout_entry(o, entry, NULL, 0);
		free(path);
		return rc;
	}
	if (fd < 0)
		rc = cli_fail(EXIT_IO, "cannot open '%s': %s", path, strerror(errno));
	else if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != size)
		rc = cli_fail(EXIT_CORRUPT, "'%s' holds %llu bytes, metadata.json says %llu (an incomplete download?)", path,
		              (unsigned long long)st.st_size, (unsigned long long)size);
	if (rc == EXIT_OK)
		rc = aout_begin(o, entry);
	uint64_t done = 0;
	while (rc == EXIT_OK) {
		ssize_t r = read(fd, buf, IO_BUF);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cli_fail(EXIT_IO, "reading '%s': %s", path, strerror(errno));
			break;
		}
		done += (uint64_t)r;
		if (done > size || (r == 0 && done != size)) {
			rc = cli_fail(EXIT_IO, "'%s' changed while it was read", path);
			break;
		}
		rc = aout_push(o, buf, (size_t)r, done == size);
		if (done == size)
			break;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static int import(struct aout *o, const char *dir, const char *canister)
{
	char *path = path_join(dir, "metadata.json"), *text = NULL, err[300];
	size_t len;
	if (path == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	int rc = slurp(path, SNAPDIR_META_MAX, &text, &len);
	struct snapdir_meta m;
	memset(&m, 0, sizeof m);
	if (rc == EXIT_OK && snapdir_meta_parse(text, len, &m, err, sizeof err) != 0)
		rc = cli_fail(EXIT_CORRUPT, "%s: %s", path, err);
	uint8_t *buf = malloc(IO_BUF);
	if (rc == EXIT_OK && buf == NULL)
		rc = cli_fail(EXIT_IO, "out of memory");
	/* check every chunk-store file before writing anything */
	char hex[65], file[128];
	for (size_t i = 0; rc == EXIT_OK && i < m.n_chunks; i++) {
		ic_hex(hex, m.hashes[i], 32);
		snprintf(file, sizeof file, "wasm_chunk_store/%s.bin", hex);
		char *cp = path_join(dir, file), *data = NULL;
		size_t n;
		rc = cp ? slurp(cp, 16U << 20, &data, &n) : cli_fail(EXIT_IO, "out of memory");
		uint8_t h[32];
		if (rc == EXIT_OK) {
			crypto_hash_sha256(h, (const unsigned char *)data, n);
			if (memcmp(h, m.hashes[i], 32) != 0)
				rc = cli_fail(EXIT_CORRUPT, "'%s': its SHA-256 is not its name", cp);
		}
		free(data);
		free(cp);
	}
	char num[32];
	snprintf(num, sizeof num, "%llu", (unsigned long long)m.taken_at_timestamp);
	if (rc == EXIT_OK)
		rc = aout_meta(o, "source", "import");
	if (rc == EXIT_OK)
		rc = aout_meta(o, "snapshot_taken_at", num);
	if (rc == EXIT_OK && canister)
		rc = aout_meta(o, "canister_id", canister);
	if (rc == EXIT_OK)
		rc = aout_entry(o, "metadata.json", text, len);
	for (int k = 0; rc == EXIT_OK && k < 3; k++)
		rc = put_file(o, dir, snapdir_file[k], snapdir_entry[k], m.sizes[k], buf);
	for (size_t i = 0; rc == EXIT_OK && i < m.n_chunks; i++) {
		ic_hex(hex, m.hashes[i], 32);
		char entry[96];
		snprintf(file, sizeof file, "wasm_chunk_store/%s.bin", hex);
		snprintf(entry, sizeof entry, "wasm_chunk/%s", hex);
		char *cp = path_join(dir, file), *data = NULL;
		size_t n;
		rc = cp ? slurp(cp, 16U << 20, &data, &n) : cli_fail(EXIT_IO, "out of memory");
		uint8_t h[32];
		if (rc == EXIT_OK) {
			crypto_hash_sha256(h, (const unsigned char *)data, n);
			rc = memcmp(h, m.hashes[i], 32) != 0 ? cli_fail(EXIT_IO, "'%s' changed while it was read", cp)
			                                    : aout_entry(o, entry, data, n);
		}
		free(data);
		free(cp);
	}
	if (rc == EXIT_OK)
		rc = aout_finish(o);
	free(buf);
	snapdir_meta_free(&m);
	free(text);
	free(path);
	return rc;
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},          {"recipient", required_argument, NULL, 'r'},
		{"passphrase-file", required_argument, NULL, 'p'}, {"no-encrypt", no_argument, NULL, 'N'},
		{"level", required_argument, NULL, 'l'},           {"canister", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},                  {NULL, 0, NULL, 0}};
	struct aout_opts ao;
	memset(&ao, 0, sizeof ao);
	ao.workers = -1;
	const char *canister = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "o:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': case 'r': case 'p': case 'N': case 'l':
			if (aout_option(&ao, c, optarg) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'C': canister = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (canister) {
		struct ic_principal pr;
		char err[300];
		if (ic_principal_from_text(&pr, canister, strlen(canister), err, sizeof err) != 0)
			return cli_fail(EXIT_USAGE, "--canister '%s': %s", canister, err);
	}
	struct aout o;
	int rc = aout_open(&o, &ao);
	if (rc == EXIT_OK)
		rc = import(&o, argv[optind], canister);
	aout_close(&o);
	return rc;
}
