/* cmd_pull.c - icarc pull: a canister's state, through a snapshot or its stable-memory query
 * interface, into an archive (entries wasm_module, wasm_memory, stable_memory, wasm_chunk/<hex>,
 * metadata.json; or stable_memory alone). */
#include "config.h"

#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_net.h"
#include "pull.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: icarc pull CANISTER (--snapshot new|ID [--stop] | --stable-memory)\n"
	        "                  [--network ic|URL] [--root-key mainnet|fetch|HEX] [--identity PEM]\n"
	        "                  [-o ARCHIVE|-] [-r RECIPIENT]... [--passphrase-file FILE] [--no-encrypt]\n"
	        "                  [--concurrency N] [--resume] [--progress] [--json]\n\n"
	        "Read a canister's state into an archive, many requests in flight, memory bounded.\n\n"
	        "  --snapshot new      take a snapshot (the canister must be stopped, or pass --stop to stop it\n"
	        "                      first and start it again after) and read it\n"
	        "  --snapshot ID       read an existing snapshot (hex id, as `icp canister snapshot list` shows)\n"
	        "                      entries: metadata.json (as icp-cli writes it), wasm_module, wasm_memory,\n"
	        "                      stable_memory, wasm_chunk/<sha256 hex>; needs a controller's --identity\n"
	        "  --delete-snapshot   delete the snapshot once the archive is complete (a canister keeps at\n"
	        "                      most 10: for daily backups with --snapshot new)\n"
	        "  --stable-memory     read stable memory with the canister's queries (spec/CANISTER.md):\n"
	        "                      entry stable_memory; the consistency token is read before and after\n"
	        "  --size-method NAME, --read-method NAME, --token-method NAME\n"
	        "                      method names (stable_size, stable_read, stable_token; '' = no token)\n"
	        "  --restarts N        query mode: start again up to N times when the state changed (default 2)\n"
	        "  --certified         query mode: call the methods as update calls, so every reply is certified\n"
	        "                      by the subnet rather than signed by one node (slower; 2,000,000-byte slices)\n"
	        "  --check-every SIZE  query mode: read the token every SIZE bytes too, to stop early when the\n"
	        "                      state changed (default 256M)\n"
	        "  --slice SIZE        query mode: bytes per stable_read (default: 3 MiB - 4 KiB, under the query\n"
	        "                      reply limit); halved whenever the canister says a reply is too large\n"
	        "  --network ic|URL    the IC (https://icp-api.io, default) or a replica's URL\n"
	        "  --root-key K        mainnet (default for ic), fetch (local replicas only), or the key in hex\n"
	        "  --identity PEM      sign as this key (dfx/icp-cli PEM); anonymous without one\n"
	        "  -o ARCHIVE          output (default: stdout if not a terminal); written as ARCHIVE.part and\n"
	        "                      renamed when complete\n"
	        "  -r RECIPIENT        encrypt to a recipient (icarc1..., or a file of them); repeatable\n"
	        "  --passphrase-file F encrypt with the passphrase in F (asked on the terminal without -r)\n"
	        "  --no-encrypt        integrity only\n"
	        "  --level N           zstd level 1..19 (default 3)\n"
	        "  --concurrency N     requests in flight (default 128); the reorder window holds 1.5N slices,\n"
	        "                      and at most 24 MiB of replies are received or held at once (others\n"
	        "                      wait before their first byte)\n"
	        "  --resume            continue a cut ARCHIVE.part (kept after a network failure, or left by a\n"
	        "                      crash) without reading its complete chunks again; refused when the\n"
	        "                      canister, snapshot id, size or consistency token differ\n"
	        "  -i IDENTITY         with --resume: an identity that opens the cut archive (needed when it is\n"
	        "                      encrypted to recipients only; a passphrase comes from --passphrase-file)\n"
	        "  --progress          progress line on stderr even when it is not a terminal\n"
	        "  --no-progress       no progress line\n"
	        "  --json              a summary as JSON at the end (on stderr when the archive goes to stdout)\n"
	        "  --verbose           log requests and retries\n\n"
	        "Exit codes: 0 ok, 2 usage, 3 I/O, 5 key, 6 network (the IC could not be reached or kept\n"
	        "failing), 7 remote (the IC or the canister refused, or the state changed during the pull).\n");
}

static void json_summary(FILE *f, const struct pull_ctx *p, const char *source, const char *network,
                         const char *principal, const char *output, double seconds, uint64_t archive_bytes,
                         const struct ic_agent_stats *st)
{
	fprintf(f, "{\"canister\":\"%s\",\"source\":\"%s\",\"network\":", p->canister_text, source);
	cli_json_string(f, network, strlen(network));
	fprintf(f, ",\"principal\":\"%s\"", principal);
	if (p->sid_len) {
		char h[2 * IC_SNAPSHOT_ID_MAX + 1];
		ic_hex(h, p->sid, p->sid_len);
		fprintf(f, ",\"snapshot_id\":\"%s\"", h);
	}
	if (p->have_token) {
		char h[129];
		ic_hex(h, p->token, p->token_len);
		fprintf(f, ",\"consistency_token\":\"%s\"", h);
	}
	fprintf(f, ",\"archive\":");
	if (output)
		cli_json_string(f, output, strlen(output));
	else
		fprintf(f, "\"-\"");
	fprintf(f,
	        ",\"bytes\":%llu,\"archive_bytes\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.2f,\"requests\":%llu,"
	        "\"http_requests\":%llu,\"retries\":%llu,\"size_rejects\":%llu,\"certificate_time_first\":%llu,"
	        "\"certificate_time_last\":%llu}\n",
	        (unsigned long long)p->enc.stats.bytes, (unsigned long long)archive_bytes, seconds,
	        seconds > 0 ? (double)p->enc.stats.bytes / seconds / 1e6 : 0.0, (unsigned long long)p->enc.stats.requests,
	        (unsigned long long)st->http_requests, (unsigned long long)st->retries,
	        (unsigned long long)p->enc.stats.size_rejects, (unsigned long long)p->enc.stats.cert_time_min,
	        (unsigned long long)p->enc.stats.cert_time_max);
}

#ifdef HAVE_LIBCURL
static int check_resumed(struct pull_ctx *p, struct aout *out, const char *source)
{
	char have[128];
	if (aout_resumed_meta(out, "canister_id", have, sizeof have) == NULL || strcmp(have, p->canister_text) != 0)
		return cli_fail(EXIT_USAGE, "cannot resume: %s holds canister %s, not %s", out->part,
		                aout_resumed_meta(out, "canister_id", have, sizeof have) ? have : "(none)", p->canister_text);
	if (aout_resumed_meta(out, "source", have, sizeof have) == NULL || strcmp(have, source) != 0)
		return cli_fail(EXIT_USAGE, "cannot resume: %s was pulled from the %s, not the %s", out->part,
		                aout_resumed_meta(out, "source", have, sizeof have) ? have : "(unknown)", source);
	char now[32];
	time_t t = time(NULL);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	return aout_meta(out, "resumed", now);
}

static int run(struct pull_ctx *p, struct net_opts *no, struct aout_opts *ao, const struct cli_keys *keys, int resume,
               const char *snapshot, int stop, int stable, int json, int delete_after)
{
	struct ic_identity id;
	memset(&id, 0, sizeof id);
	int rc = net_open(&p->agent, no, &id);
	char principal[IC_PRINCIPAL_MAXTEXT];
	ic_principal_to_text(&id.principal, principal);
	ic_identity_wipe(&id);
	if (rc != EXIT_OK)
		return rc;
	struct aout out;
	int complete = 0;
	rc = resume ? aout_resume(&out, ao, keys, &complete) : aout_open(&out, ao);
	p->out = &out;
	p->enc.agent = p->agent;
	p->enc.out = &out;
	p->enc.progress = &p->progress;
	const char *network = no->network ? no->network : "ic";
	double t0 = progress_now();
	if (rc == EXIT_OK && out.resumed) {
		rc = check_resumed(p, &out, stable ? "stable_memory" : "snapshot");
	} else {
		if (rc == EXIT_OK)
			rc = aout_meta(&out, "canister_id", p->canister_text);
		if (rc == EXIT_OK)
			rc = aout_meta(&out, "network", network);
		if (rc == EXIT_OK)
			rc = aout_meta(&out, "principal", principal);
	}
	if (rc == EXIT_OK)
		rc = stable ? pull_stable(p) : pull_snapshot(p, snapshot, stop);
	progress_end(&p->progress);
	char num[32];
	if (rc == EXIT_OK && p->enc.stats.cert_time_min) {
		snprintf(num, sizeof num, "%llu", (unsigned long long)p->enc.stats.cert_time_min);
		rc = aout_meta(&out, "certificate_time", num);
		snprintf(num, sizeof num, "%llu", (unsigned long long)p->enc.stats.cert_time_max);
		if (rc == EXIT_OK)
			rc = aout_meta(&out, "certificate_time_last", num);
	}
	uint64_t archive_bytes = 0;
	if (rc == EXIT_OK) {
		rc = aout_finish(&out);
		archive_bytes = aout_archive_bytes(&out);
	}
	/* the archive is complete and renamed: only now may the snapshot go */
	if (rc == EXIT_OK && delete_after) {
		rc = pull_delete_snapshot(p);
		if (rc != EXIT_OK)
			cli_warn("the archive is complete; the snapshot was not deleted");
	}
	if (rc == EXIT_OK && p->sid_len && strcmp(snapshot, "new") == 0 && !delete_after && !resume) {
		char h[2 * IC_SNAPSHOT_ID_MAX + 1];
		ic_hex(h, p->sid, p->sid_len);
		if (!json)
			fprintf(stderr, "icarc pull: snapshot %s of %s\n", h, p->canister_text);
	}
	if (rc == EXIT_OK && json) {
		struct ic_agent_stats st;
		ic_agent_stats(p->agent, &st);
		json_summary(out.to_stdout ? stderr : stdout, p, stable ? "stable_memory" : "snapshot", network, principal,
		             out.to_stdout ? NULL : ao->output, progress_now() - t0, archive_bytes, &st);
	}
	/* kept for --resume when it holds something: a network that fails at the first call (say, an
	 * unreachable replica) leaves no empty ARCHIVE.part behind */
	if (rc == EXIT_NETWORK && out.part && !out.to_stdout && out.fd >= 0 && (out.plain_bytes > 0 || out.keep_part)) {
		out.keep_part = 1;
		cli_warn("%s is kept: run the same command with --resume to continue it%s", out.part,
		         ao->n_recipients && !ao->passphrase_file ? " (and -i IDENTITY to open it)" : "");
	}
	aout_close(&out);
	return rc;
}
#endif

int cmd_pull(int argc, char **argv)
{
	static const struct option opts[] = {
		{"snapshot", required_argument, NULL, 's'},     {"stable-memory", no_argument, NULL, 'S'},
		{"stop", no_argument, NULL, 'T'},               NET_OPTIONS,
		{"output", required_argument, NULL, 'o'},       {"recipient", required_argument, NULL, 'r'},
		{"passphrase-file", required_argument, NULL, 'p'}, {"no-encrypt", no_argument, NULL, 'N'},
		{"level", required_argument, NULL, 'l'},
		{"resume", no_argument, NULL, 'R'},             {"progress", no_argument, NULL, 'P'},
		{"no-progress", no_argument, NULL, 'Q'},        {"json", no_argument, NULL, 'j'},
		{"size-method", required_argument, NULL, 1},    {"read-method", required_argument, NULL, 2},
		{"token-method", required_argument, NULL, 3},   {"restarts", required_argument, NULL, 4},
		{"slice", required_argument, NULL, 6},          {"check-every", required_argument, NULL, 7},
		{"delete-snapshot", no_argument, NULL, 8},      {"certified", no_argument, NULL, 9},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct aout_opts ao;
	struct net_opts no;
	struct pull_ctx p;
	struct cli_keys keys;
	memset(&keys, 0, sizeof keys);
	memset(&ao, 0, sizeof ao);
	memset(&no, 0, sizeof no);
	memset(&p, 0, sizeof p);
	ao.workers = -1;
#ifdef __GLIBC__
	/* Reply bodies of ~2 MB come and go hundreds of times a second. Past glibc's mmap threshold each
	 * one was a fresh mapping: 512 page faults, zeroing and an munmap per reply, half the pull's
	 * system time (tests/bench/RESULTS.md, pull 2026-11-22 05:35). From the heap, kept up to the
	 * trim threshold, they reuse the same pages; the reply budget bounds them either way (+1 MiB
	 * peak RSS measured). */
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
	no.concurrency = 128; /* measured: tests/bench/RESULTS.md, pull run 3: at 200 ms 64 in flight left the
	                          replica idle half the time (a round's replies all wait out the latency);
	                          96 and 160-192 were slower than 128 */
	p.size_method = "stable_size";
	p.read_method = "stable_read";
	p.token_method = "stable_token";
	p.restarts = 2;
	const char *snapshot = NULL;
	int stable = 0, stop = 0, resume = 0, progress = -1, json = 0, delete_after = 0, c;
	uint64_t v;
	while ((c = getopt_long(argc, argv, "o:r:i:h", opts, NULL)) != -1) {
		int nr = net_option(&no, c, optarg);
		if (nr == EXIT_USAGE)
			return EXIT_USAGE;
		if (nr == EXIT_OK)
			continue;
		switch (c) {
		case 's': snapshot = optarg; break;
		case 'S': stable = 1; break;
		case 'T': stop = 1; break;
		case 'o': case 'r': case 'p': case 'N': case 'l':
			if (aout_option(&ao, c, optarg) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'R': resume = 1; break;
		case 'i':
			if (keys.n_identities == sizeof keys.identity_files / sizeof keys.identity_files[0])
				return cli_fail(EXIT_USAGE, "too many -i options");
			keys.identity_files[keys.n_identities++] = optarg;
			break;
		case 'P': progress = 1; break;
		case 'Q': progress = 0; break;
		case 'j': json = 1; break;
		case 1: p.size_method = optarg; break;
		case 2: p.read_method = optarg; break;
		case 3: p.token_method = optarg; break;
		case 4:
			if (cli_parse_u64(optarg, &v) != 0 || v > 100)
				return cli_fail(EXIT_USAGE, "--restarts wants 0..100, got '%s'", optarg);
			p.restarts = (unsigned)v;
			break;
		case 6:
			if (cli_parse_size(optarg, &v) != 0 || v < 65536 || v > (64U << 20))
				return cli_fail(EXIT_USAGE, "--slice wants 64K..64M, got '%s'", optarg);
			p.slice = v;
			break;
		case 7:
			if (cli_parse_size(optarg, &v) != 0 || v == 0)
				return cli_fail(EXIT_USAGE, "--check-every wants a size, got '%s'", optarg);
			p.check_every = v;
			break;
		case 8: delete_after = 1; break;
		case 9: p.certified = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((snapshot != NULL) == stable)
		return cli_fail(EXIT_USAGE, "give one source: --snapshot new|ID or --stable-memory");
	if (stop && !snapshot)
		return cli_fail(EXIT_USAGE, "--stop goes with --snapshot new");
	if (net_canister_arg(argv[optind], &p.canister, p.canister_text) != EXIT_OK)
		return EXIT_USAGE;
	p.progress.enabled = progress == 1 || (progress == -1 && isatty(STDERR_FILENO));
	p.json = json;
	p.enc.concurrency = no.concurrency;
	p.enc.window = 0; /* 1.5C + 1 slots; reply bytes: the agent's budget */
#ifdef HAVE_LIBCURL
	keys.passphrase_file = ao.passphrase_file;
	if (p.certified && !stable)
		return cli_fail(EXIT_USAGE, "--certified goes with --stable-memory (snapshot reads are always certified)");
	if (delete_after && !snapshot)
		return cli_fail(EXIT_USAGE, "--delete-snapshot goes with --snapshot");
	int rc = run(&p, &no, &ao, &keys, resume, snapshot, stop, stable, json, delete_after);
	ic_agent_free(p.agent);
	return rc;
#else
	(void)json_summary;
	(void)resume;
	(void)delete_after;
	return cli_fail(EXIT_USAGE, "this icarc was built without libcurl: no network commands");
#endif
}
