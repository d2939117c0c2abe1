/* cmd_push.c - icarc push: restore an archive into a canister. A snapshot archive (from icarc pull
 * --snapshot or icarc import) becomes a new snapshot of the canister, loaded with --load; a
 * stable-memory archive (icarc pull --stable-memory) is written back with the canister's
 * stable_write. Every byte sent was authenticated first; a damaged archive stops the push. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_net.h"
#include "push.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: icarc push ARCHIVE CANISTER [--network ic|URL] [--root-key mainnet|fetch|HEX]\n"
	        "                  [--identity PEM] [-i KEYFILE]... [--passphrase-file F] [--concurrency N]\n"
	        "                  [--load [--stop]] [--replace SNAPSHOT_ID] [--resume SNAPSHOT_ID] [--stable-memory]\n"
	        "                  [--size-method NAME] [--write-method NAME] [--all-pages] [--progress] [--json]\n\n"
	        "Restore an archive into a canister, many calls in flight, memory bounded.\n\n"
	        "A snapshot archive (icarc pull --snapshot, icarc import) becomes a new snapshot of CANISTER, as\n"
	        "`icp canister snapshot upload` makes one: its metadata from the archive's metadata.json, then\n"
	        "the wasm module, wasm memory, stable memory (30-page slices, under the 2,000,000-byte limit; zero\n"
	        "pages are not sent: a new snapshot reads zero there) and every chunk-store entry.\n"
	        "The new snapshot's id is printed. A stable-memory archive (icarc pull --stable-memory) is\n"
	        "written with the canister's stable_write method (spec/CANISTER.md).\n\n"
	        "  --load              load the uploaded snapshot into the canister (it must be stopped)\n"
	        "  --stop              with --load: stop the canister first and start it again after\n"
	        "  --replace ID        the new snapshot replaces snapshot ID (hex; a canister holds at most 10)\n"
	        "  --resume ID         finish an upload of this archive into snapshot ID that the network cut\n"
	        "                      short (the snapshot it kept): what is there is read back and compared,\n"
	        "                      only what differs or is missing is sent\n"
	        "  --stable-memory     write the archive's stable_memory entry with stable_write, even from a\n"
	        "                      snapshot archive (the default for an archive without metadata.json)\n"
	        "  --all-pages         send zero pages too\n"
	        "  --size-method NAME, --write-method NAME\n"
	        "                      the canister's method names (stable_size, stable_write); zero pages are\n"
	        "                      skipped only when the stable memory was empty before\n"
	        "  --network ic|URL    the IC (https://icp-api.io, default) or a replica's URL\n"
	        "  --root-key K        mainnet (default for ic), fetch (local replicas only), or the key in hex\n"
	        "  --identity PEM      sign as this key (dfx/icp-cli PEM): a controller of CANISTER\n"
	        "  -i KEYFILE          an identity file that opens the archive (repeatable)\n"
	        "  --passphrase-file F the archive's passphrase (asked on the terminal when needed otherwise)\n"
	        "  --concurrency N     calls in flight (default 12; each carries up to 2 MB)\n"
	        "  --progress          progress line on stderr even when it is not a terminal\n"
	        "  --no-progress       no progress line\n"
	        "  --json              a summary as JSON on stdout instead of the snapshot id\n"
	        "  --verbose           log requests and retries\n\n"
	        "Exit codes: 0 ok, 2 usage, 3 I/O, 4 the archive is damaged (nothing of the damaged chunk is sent;\n"
	        "an incomplete snapshot is deleted), 5 key, 6 network (an incomplete snapshot is kept for\n"
	        "--resume), 7 remote (the IC or the canister refused, e.g. an identity that is not a controller),\n"
	        "130 interrupted (Ctrl-C or SIGTERM during a snapshot upload: the calls in flight end and the\n"
	        "incomplete snapshot is deleted; a second one stops at once and leaves it).\n");
}

static void json_summary(const struct push_ctx *p, int stable, const char *network, const char *principal,
                         double seconds, const struct ic_agent_stats *st)
{
	printf("{\"canister\":\"%s\",\"target\":\"%s\",\"network\":", p->canister_text, stable ? "stable_memory" : "snapshot");
	cli_json_string(stdout, network, strlen(network));
	printf(",\"principal\":\"%s\",\"archive\":", principal);
	cli_json_string(stdout, p->archive, strlen(p->archive));
	if (p->sid_len) {
		char h[2 * IC_SNAPSHOT_ID_MAX + 1];
		ic_hex(h, p->sid, p->sid_len);
		printf(",\"snapshot_id\":\"%s\",\"loaded\":%s", h, p->loaded ? "true" : "false");
	}
	if (stable)
		printf(",\"stable_size_before\":%llu", (unsigned long long)p->size_before);
	if (p->resume)
		printf(",\"present_bytes\":%llu", (unsigned long long)p->present);
	printf(",\"bytes\":%llu,\"skipped_zero_bytes\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.2f,\"requests\":%llu,"
	       "\"http_requests\":%llu,\"retries\":%llu}\n",
	       (unsigned long long)p->bytes, (unsigned long long)p->skipped, seconds,
	       seconds > 0 ? (double)p->bytes / seconds / 1e6 : 0.0, (unsigned long long)p->requests,
	       (unsigned long long)st->http_requests, (unsigned long long)st->retries);
}

/* A snapshot id in hex into id[IC_SNAPSHOT_ID_MAX]. */
static int snapshot_id_arg(const char *opt, const char *hex, uint8_t *id, size_t *len)
{
	size_t n = strlen(hex);
	if (n == 0 || n % 2 || n / 2 > IC_SNAPSHOT_ID_MAX || ic_unhex(id, n / 2, hex, n) != 0)
		return cli_fail(EXIT_USAGE, "%s wants a snapshot id in hex, got '%s'", opt, hex);
	*len = n / 2;
	return EXIT_OK;
}

#ifdef HAVE_LIBCURL
static int run(struct push_ctx *p, const struct net_opts *no, const struct cli_keys *keys, int stable, int json)
{
	int fd;
	int rc = cli_open_archive(p->archive, keys, &p->a, &fd);
	if (rc != EXIT_OK)
		return rc;
	if (!stable && icarc_archive_find(p->a, "metadata.json") < 0) {
		if (icarc_archive_find(p->a, "stable_memory") < 0) {
			rc = cli_fail(EXIT_USAGE, "%s holds neither metadata.json nor stable_memory: not a canister archive",
			              p->archive);
			goto out;
		}
		stable = 1; /* a stable-memory archive */
	}
	if (stable && p->load) {
		rc = cli_fail(EXIT_USAGE, "--load and --stop go with a snapshot push, not stable memory");
		goto out;
	}
	const void *v;
	size_t vl;
	if (icarc_archive_meta_get(p->a, "canister_id", &v, &vl) == ICARC_OK &&
	    (vl != strlen(p->canister_text) || memcmp(v, p->canister_text, vl) != 0))
		cli_warn("%s was taken from canister %.*s; restoring it into %s", p->archive, (int)(vl < 64 ? vl : 64),
		         (const char *)v, p->canister_text);
	struct ic_identity id;
	memset(&id, 0, sizeof id);
	rc = net_open(&p->agent, no, &id);
	char principal[IC_PRINCIPAL_MAXTEXT];
	ic_principal_to_text(&id.principal, principal);
	ic_identity_wipe(&id);
	if (rc != EXIT_OK)
		goto out;
	double t0 = progress_now();
	rc = stable ? push_stable(p) : push_snapshot(p);
	char h[2 * IC_SNAPSHOT_ID_MAX + 1];
	ic_hex(h, p->sid, p->sid_len);
	if (rc != EXIT_OK && p->sid_len) /* uploaded completely; what came after failed */
		cli_warn("snapshot %s of %s is complete%s", h, p->canister_text,
		         p->load && !p->loaded ? " but was not loaded: load it with `icp canister snapshot restore` (with the "
		                                 "canister stopped)"
		                               : "");
	if (rc == EXIT_OK && json) {
		struct ic_agent_stats st;
		ic_agent_stats(p->agent, &st);
		json_summary(p, stable, no->network ? no->network : "ic", principal, progress_now() - t0, &st);
	} else if (rc == EXIT_OK && !stable) {
		printf("%s\n", h);
		cli_warn("snapshot %s of %s %s", h, p->canister_text,
		         p->loaded ? "uploaded and loaded" : "uploaded (load it with --load, or icp canister snapshot restore)");
	} else if (rc == EXIT_OK) {
		cli_warn("stable memory of %s written: %llu bytes (%llu zero bytes skipped)", p->canister_text,
		         (unsigned long long)p->bytes, (unsigned long long)p->skipped);
	}
out:
	icarc_archive_free(p->a);
	close(fd);
	return rc;
}
#endif

int cmd_push(int argc, char **argv)
{
	/* not CLI_KEY_OPTIONS: --identity is the signing key here, as in pull; archive keys are -i */
	static const struct option opts[] = {NET_OPTIONS,
	                                     {"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE},
	                                     {"load", no_argument, NULL, 'L'},
	                                     {"stop", no_argument, NULL, 'T'},
	                                     {"replace", required_argument, NULL, 'R'},
	                                     {"resume", required_argument, NULL, 'U'},
	                                     {"stable-memory", no_argument, NULL, 'S'},
	                                     {"all-pages", no_argument, NULL, 'A'},
	                                     {"size-method", required_argument, NULL, 1},
	                                     {"write-method", required_argument, NULL, 2},
	                                     {"progress", no_argument, NULL, 'P'},
	                                     {"no-progress", no_argument, NULL, 'Q'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct net_opts no;
	struct cli_keys keys;
	struct push_ctx p;
	memset(&no, 0, sizeof no);
	memset(&keys, 0, sizeof keys);
	memset(&p, 0, sizeof p);
	keys.ask_passphrase = 1;
	no.concurrency = 12;
	p.size_method = "stable_size";
	p.write_method = "stable_write";
	const char *replace = NULL, *resume = NULL;
	int stable = 0, progress = -1, json = 0, c;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		int r = net_option(&no, c, optarg);
		if (r == -1)
			r = cli_keys_option(&keys, c, optarg);
		if (r == EXIT_USAGE)
			return EXIT_USAGE;
		if (r == EXIT_OK)
			continue;
		switch (c) {
		case 'L': p.load = 1; break;
		case 'T': p.stop = 1; break;
		case 'R': replace = optarg; break;
		case 'U': resume = optarg; break;
		case 'S': stable = 1; break;
		case 'A': p.all_pages = 1; break;
		case 1: p.size_method = optarg; break;
		case 2: p.write_method = optarg; break;
		case 'P': progress = 1; break;
		case 'Q': progress = 0; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (p.stop && !p.load)
		return cli_fail(EXIT_USAGE, "--stop goes with --load");
	if (stable && (p.load || replace))
		return cli_fail(EXIT_USAGE, "--load, --stop and --replace go with a snapshot push, not --stable-memory");
	if (p.size_method[0] == '\0' || p.write_method[0] == '\0')
		return cli_fail(EXIT_USAGE, "--size-method and --write-method want a method name");
	if (stable && resume)
		return cli_fail(EXIT_USAGE, "--resume goes with a snapshot push (a stable-memory push is simply run again)");
	uint8_t rep[IC_SNAPSHOT_ID_MAX], res[IC_SNAPSHOT_ID_MAX];
	if (replace && snapshot_id_arg("--replace", replace, rep, &p.replace_len) != EXIT_OK)
		return EXIT_USAGE;
	if (resume && snapshot_id_arg("--resume", resume, res, &p.resume_len) != EXIT_OK)
		return EXIT_USAGE;
	p.replace = replace ? rep : NULL;
	p.resume = resume ? res : NULL;
	p.archive = argv[optind];
	if (net_canister_arg(argv[optind + 1], &p.canister, p.canister_text) != EXIT_OK)
		return EXIT_USAGE;
	p.concurrency = no.concurrency;
	p.progress.enabled = progress == 1 || (progress == -1 && isatty(STDERR_FILENO));
#ifdef HAVE_LIBCURL
	int rc = run(&p, &no, &keys, stable, json);
	ic_agent_free(p.agent);
	return rc;
#else
	(void)json_summary;
	(void)json;
	return cli_fail(EXIT_USAGE, "this icarc was built without libcurl: no network commands");
#endif
}
