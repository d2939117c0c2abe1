/* cmd_diff.c - icarc diff: what changed between two snapshots (archives or plain files). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tools/bdiff.h"
#include "tools/input.h"
#include "tools/layout.h"
#include "tools/sdiff.h"

static const char usage_text[] =
	"usage: icarc diff A B [--json] [--entry NAME] [--decode [--layout LAYOUT] [--offset N] [--json-patch]]\n"
	"                  [-i IDENTITY]... [--passphrase-file F] [--a-identity F] [--b-identity F]\n"
	"                  [--a-passphrase-file F] [--b-passphrase-file F] [--quiet]\n\n"
	"Compare two snapshots: archives (chunk hashes from the indexes first; only chunks whose hashes\n"
	"differ are decrypted and compared) or plain files.\n\n"
	"  --json            one JSON document: \"ranges\" (every changed byte range, end exclusive,\n"
	"                    adjacent ones merged), \"entries\" (status, sizes, counts), \"same\"\n"
	"  --entry NAME      compare this entry only (for an archive against a plain file: the\n"
	"                    archive's entry; default the only one, or stable_memory)\n"
	"  --decode          compare the decoded MessagePack states instead: added, removed and changed\n"
	"                    paths; maps by key, arrays by position\n"
	"  --layout, --offset  where the value is (as in icarc decode; default auto)\n"
	"  --json-patch      with --decode: an RFC 6902 JSON Patch that turns A's JSON into B's\n"
	"  -i, --identity F  an identity for both archives; --a-identity / --b-identity for one\n"
	"  --quiet           no listing, only the exit code\n\n"
	"Exit: 0 same, 1 different, 2 usage, 3 I/O, 4 damaged input, 5 key.\n";

struct chunk_ctx {
	struct tool_input *in;
	size_t entry;
	struct st_src *src; /* where a failure is described */
};

static int archive_chunk(void *ctx, uint64_t i, uint64_t *off, uint32_t *len, unsigned char hash[16])
{
	struct chunk_ctx *c = ctx;
	struct icarc_chunk_info info;
	int rc = icarc_archive_chunk(c->in->a, c->entry, i, &info);
	if (rc < 0) {
		c->in->last_status = rc;
		snprintf(c->src->err, sizeof c->src->err, "%s: %s", c->in->path, icarc_archive_error(c->in->a));
		return -1;
	}
	*off = info.offset;
	*len = info.length;
	memcpy(hash, info.hash, 16);
	return 0;
}

struct emit_ctx {
	int json, quiet;
	int first;       /* no range printed yet (json) */
	const char *entry;
};

static int emit_range(void *ctx, uint64_t start, uint64_t end)
{
	struct emit_ctx *e = ctx;
	if (e->quiet)
		return 0;
	if (e->json) {
		printf("%s{\"entry\":", e->first ? "" : ",");
		cli_json_string(stdout, e->entry, strlen(e->entry));
		printf(",\"start\":%llu,\"end\":%llu}", (unsigned long long)start, (unsigned long long)end);
	} else {
		printf("  [%llu, %llu) %llu bytes\n", (unsigned long long)start, (unsigned long long)end,
		       (unsigned long long)(end - start));
	}
	e->first = 0;
	return ferror(stdout) ? -1 : 0;
}

struct entry_result {
	char name[256];
	const char *status;   /* same, changed, added, removed */
	uint64_t size_a, size_b;
	struct bd_stats st;
};

/* One pair of sources: the byte diff. */
static int diff_pair(struct tool_input *ia, size_t ea, struct tool_input *ib, size_t eb, struct emit_ctx *em,
                     struct entry_result *res)
{
	char err[600];
	struct st_src *sa = tool_input_src(ia, ea), *sb = tool_input_src(ib, eb);
	int ret = EXIT_OK;
	if (sa == NULL || sb == NULL) {
		ret = cli_fail(EXIT_INTERNAL, "out of memory");
		goto out;
	}
	struct chunk_ctx ca = {ia, ea, sa}, cb = {ib, eb, sb};
	struct bd_side a = {sa, NULL, NULL, 0, 0}, b = {sb, NULL, NULL, 0, 0};
	struct icarc_entry_info info;
	if (ia->a != NULL && icarc_archive_entry(ia->a, ea, &info) == 0) {
		a.chunk = archive_chunk, a.ctx = &ca, a.nchunks = info.chunks;
		a.chunk_size = icarc_archive_chunk_size(ia->a);
	}
	if (ib->a != NULL && icarc_archive_entry(ib->a, eb, &info) == 0) {
		b.chunk = archive_chunk, b.ctx = &cb, b.nchunks = info.chunks;
		b.chunk_size = icarc_archive_chunk_size(ib->a);
	}
	res->size_a = sa->size;
	res->size_b = sb->size;
	if (!em->json && !em->quiet)
		printf("entry %s:\n", res->name);
	em->entry = res->name;
	if (bd_diff(&a, &b, emit_range, em, &res->st, err, sizeof err) != 0) {
		int code = tool_input_exit(ia, EXIT_OK);
		if (code == EXIT_OK)
			code = tool_input_exit(ib, EXIT_CORRUPT);
		ret = cli_fail(code, "%s", err);
		goto out;
	}
	res->status = res->st.ranges ? "changed" : "same";
	if (!em->json && !em->quiet) {
		if (res->st.ranges == 0)
			printf("  same (%llu bytes)\n", (unsigned long long)res->size_a);
		else
			printf("  %llu changed ranges, %llu bytes; %llu of %llu 64 KiB pages changed; sizes %llu -> %llu%s\n",
			       (unsigned long long)res->st.ranges, (unsigned long long)res->st.changed_bytes,
			       (unsigned long long)res->st.changed_pages, (unsigned long long)res->st.pages,
			       (unsigned long long)res->size_a, (unsigned long long)res->size_b,
			       res->st.used_hashes ? "" : " (compared byte by byte)");
	}
out:
	st_close(sa);
	st_close(sb);
	return ret;
}

static void entry_name(struct tool_input *in, size_t i, char *out, size_t cap)
{
	struct icarc_entry_info info;
	if (in->a != NULL && icarc_archive_entry(in->a, i, &info) == 0)
		snprintf(out, cap, "%s", info.name);
	else
		snprintf(out, cap, "%s", "data");
}

static void print_json_entries(struct entry_result *r, size_t n)
{
	printf("],\"entries\":[");
	for (size_t i = 0; i < n; i++) {
		printf("%s{\"name\":", i ? "," : "");
		cli_json_string(stdout, r[i].name, strlen(r[i].name));
		printf(",\"status\":\"%s\"", r[i].status);
		if (strcmp(r[i].status, "added") != 0)
			printf(",\"size_a\":%llu", (unsigned long long)r[i].size_a);
		if (strcmp(r[i].status, "removed") != 0)
			printf(",\"size_b\":%llu", (unsigned long long)r[i].size_b);
		if (strcmp(r[i].status, "same") == 0 || strcmp(r[i].status, "changed") == 0)
			printf(",\"changed_ranges\":%llu,\"changed_bytes\":%llu,\"changed_pages\":%llu,\"pages\":%llu,"
			       "\"chunks_compared\":%llu,\"chunks_read\":%llu,\"by_hash\":%s",
			       (unsigned long long)r[i].st.ranges, (unsigned long long)r[i].st.changed_bytes,
			       (unsigned long long)r[i].st.changed_pages, (unsigned long long)r[i].st.pages,
			       (unsigned long long)r[i].st.chunks, (unsigned long long)r[i].st.chunks_read,
			       r[i].st.used_hashes ? "true" : "false");
		putchar('}');
	}
	putchar(']');
}

static int byte_diff(struct tool_input *ia, struct tool_input *ib, const char *entry, int json, int quiet)
{
	struct emit_ctx em = {json, quiet, 1, NULL};
	struct entry_result *res = NULL;
	size_t nres = 0;
	int ret = EXIT_OK, differ = 0;
	if (json && !quiet) {
		printf("{\"a\":");
		cli_json_string(stdout, ia->path, strlen(ia->path));
		printf(",\"b\":");
		cli_json_string(stdout, ib->path, strlen(ib->path));
		printf(",\"ranges\":[");
	}
	if (ia->a != NULL && ib->a != NULL && entry == NULL) {
		/* every entry of A, then those only in B */
		size_t na = icarc_archive_entry_count(ia->a), nb = icarc_archive_entry_count(ib->a);
		res = calloc(na + nb + 1, sizeof *res);
		if (res == NULL)
			return cli_fail(EXIT_INTERNAL, "out of memory");
		for (size_t i = 0; i < na && ret == EXIT_OK; i++) {
			struct entry_result *r = &res[nres++];
			entry_name(ia, i, r->name, sizeof r->name);
			int j = icarc_archive_find(ib->a, r->name);
			if (j < 0) {
				struct icarc_entry_info info;
				r->status = "removed";
				if (icarc_archive_entry(ia->a, i, &info) == 0)
					r->size_a = info.size;
				differ = 1;
				if (!json && !quiet)
					printf("entry %s: only in A (removed, %llu bytes)\n", r->name,
					       (unsigned long long)r->size_a);
				continue;
			}
			ret = diff_pair(ia, i, ib, (size_t)j, &em, r);
			differ |= ret == EXIT_OK && r->st.ranges > 0;
		}
		for (size_t j = 0; j < nb && ret == EXIT_OK; j++) {
			char name[256];
			entry_name(ib, j, name, sizeof name);
			if (icarc_archive_find(ia->a, name) >= 0)
				continue;
			struct entry_result *r = &res[nres++];
			struct icarc_entry_info info;
			memcpy(r->name, name, sizeof name);
			r->status = "added";
			if (icarc_archive_entry(ib->a, j, &info) == 0)
				r->size_b = info.size;
			differ = 1;
			if (!json && !quiet)
				printf("entry %s: only in B (added, %llu bytes)\n", r->name, (unsigned long long)r->size_b);
		}
	} else {
		size_t ea = 0, eb = 0;
		if ((ret = tool_input_pick(ia, ia->a ? entry : NULL, &ea)) != EXIT_OK ||
		    (ret = tool_input_pick(ib, ib->a ? entry : NULL, &eb)) != EXIT_OK)
			return ret;
		res = calloc(1, sizeof *res);
		if (res == NULL)
			return cli_fail(EXIT_INTERNAL, "out of memory");
		entry_name(ia->a ? ia : ib, ia->a ? ea : eb, res->name, sizeof res->name);
		nres = 1;
		ret = diff_pair(ia, ea, ib, eb, &em, res);
		differ = ret == EXIT_OK && res->st.ranges > 0;
	}
	if (ret == EXIT_OK && json && !quiet) {
		print_json_entries(res, nres);
		printf(",\"same\":%s}\n", differ ? "false" : "true");
	}
	free(res);
	if (fflush(stdout) != 0 && ret == EXIT_OK)
		ret = cli_fail(EXIT_IO, "cannot write the output");
	if (ret != EXIT_OK)
		return ret;
	return differ ? EXIT_DIFFERENT : EXIT_OK;
}

struct out_fd {
	int fd;
};

static int flush_fd(void *ctx, const char *buf, size_t len)
{
	return cli_write_all(((struct out_fd *)ctx)->fd, buf, len);
}

/* --decode: the structural diff of the two decoded values. */
static int decoded_diff(struct tool_input *in, const char *entry, const struct lay_spec *spec, uint64_t offset,
                        enum sd_mode mode, int quiet)
{
	struct st_src *src[2] = {NULL, NULL};
	struct lay_result res[2];
	char err[1024];
	int ret = EXIT_OK, nres = 0;
	struct jout o = {0};
	struct out_fd ofd = {1};
	memset(res, 0, sizeof res);
	for (int k = 0; k < 2; k++) {
		size_t index;
		if ((ret = tool_input_pick(&in[k], in[k].a ? entry : NULL, &index)) != EXIT_OK)
			goto out;
		src[k] = tool_input_src(&in[k], index);
		if (src[k] == NULL) {
			ret = cli_fail(EXIT_INTERNAL, "out of memory");
			goto out;
		}
		if (lay_resolve(src[k], offset, spec, &res[k], err, sizeof err) != 0) {
			ret = cli_fail(tool_input_exit(&in[k], EXIT_CORRUPT), "%s: %s", in[k].path, err);
			goto out;
		}
		nres++;
	}
	if (jout_init(&o, flush_fd, &ofd, 1U << 16) != 0) {
		ret = cli_fail(EXIT_INTERNAL, "out of memory");
		goto out;
	}
	if (quiet)
		o.flush = NULL, o.discard = 1;
	if (mode == SD_JSON) {
		jout_str(&o, "{\"a\":");
		jout_jstr(&o, (const unsigned char *)in[0].path, strlen(in[0].path));
		jout_str(&o, ",\"b\":");
		jout_jstr(&o, (const unsigned char *)in[1].path, strlen(in[1].path));
		jout_str(&o, ",\"changes\":[");
	} else if (mode == SD_PATCH) {
		jout_ch(&o, '[');
	}
	struct sdiff_opts so = {mode, DEC_BASE64, DEC_MAX_DEPTH_DEFAULT};
	int64_t n = sdiff_run(res[0].src, res[0].start, res[0].end, res[1].src, res[1].start, res[1].end, &so, &o,
	                      err, sizeof err);
	if (n < 0) {
		jout_flush(&o);
		int code = tool_input_exit(&in[0], EXIT_OK);
		if (code == EXIT_OK)
			code = tool_input_exit(&in[1], EXIT_CORRUPT);
		ret = cli_fail(code, "%s", err);
		goto out;
	}
	if (mode == SD_JSON)
		jout_str(&o, n > 0 ? "],\"same\":false}\n" : "],\"same\":true}\n");
	else if (mode == SD_PATCH)
		jout_str(&o, "]\n");
	if (jout_flush(&o) != 0) {
		ret = cli_fail(EXIT_IO, "cannot write the output");
		goto out;
	}
	ret = n > 0 ? EXIT_DIFFERENT : EXIT_OK;
out:
	jout_free(&o);
	for (int k = 0; k < nres; k++)
		lay_result_free(&res[k]);
	st_close(src[0]);
	st_close(src[1]);
	return ret;
}

int cmd_diff(int argc, char **argv)
{
	/* keys for both archives (-i, --passphrase-file), or for one: --a-... / --b-... */
	enum { O_JSON = 0x200, O_DECODE, O_PATCH, O_ENTRY, O_LAYOUT, O_OFFSET, O_A_ID, O_B_ID, O_A_PASS, O_B_PASS };
	static const struct option opts[] = {{"json", no_argument, NULL, O_JSON},
	                                     {"decode", no_argument, NULL, O_DECODE},
	                                     {"json-patch", no_argument, NULL, O_PATCH},
	                                     {"entry", required_argument, NULL, O_ENTRY},
	                                     {"layout", required_argument, NULL, O_LAYOUT},
	                                     {"offset", required_argument, NULL, O_OFFSET},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     CLI_KEY_OPTIONS,
	                                     {"a-identity", required_argument, NULL, O_A_ID},
	                                     {"b-identity", required_argument, NULL, O_B_ID},
	                                     {"a-passphrase-file", required_argument, NULL, O_A_PASS},
	                                     {"b-passphrase-file", required_argument, NULL, O_B_PASS},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *entry = NULL, *layout = "auto";
	int json = 0, quiet = 0, decode = 0, patch = 0, c;
	uint64_t offset = 0;
	struct cli_keys keys[2];
	memset(keys, 0, sizeof keys);
	while ((c = getopt_long(argc, argv, "i:qh", opts, NULL)) != -1) {
		switch (c) {
		case O_JSON: json = 1; break;
		case O_DECODE: decode = 1; break;
		case O_PATCH: patch = 1; break;
		case O_ENTRY: entry = optarg; break;
		case O_LAYOUT: layout = optarg; break;
		case O_OFFSET:
			if (cli_parse_size(optarg, &offset) != 0)
				return cli_fail(EXIT_USAGE, "--offset: '%s' is not a size", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'i':
		case CLI_OPT_PASSPHRASE_FILE:
			if (cli_keys_option(&keys[0], c, optarg) != EXIT_OK || cli_keys_option(&keys[1], c, optarg) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case O_A_ID:
		case O_B_ID:
		case O_A_PASS:
		case O_B_PASS:
			if (cli_keys_option(&keys[c == O_B_ID || c == O_B_PASS],
			                    c == O_A_ID || c == O_B_ID ? 'i' : CLI_OPT_PASSPHRASE_FILE, optarg) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind > 2)
		return cli_fail(EXIT_USAGE, "two inputs only ('%s' is a third)", argv[optind + 2]);
	if (argc - optind < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	const char *files[2] = {argv[optind], argv[optind + 1]};
	if (patch && !decode)
		return cli_fail(EXIT_USAGE, "--json-patch needs --decode");
	struct lay_spec spec;
	char err[512];
	if (lay_parse(layout, &spec, err, sizeof err) != 0)
		return cli_fail(EXIT_USAGE, "%s", err);
	/* archives that only a passphrase opens, and no key given for them: one question for both (two
	 * days of backups usually share one passphrase; --a-/--b-passphrase-file when they do not) */
	char *pass = NULL;
	size_t pass_len = 0;
	int ask[2];
	for (int s = 0; s < 2; s++)
		ask[s] = keys[s].n_identities == 0 && keys[s].passphrase_file == NULL &&
		         cli_file_wants_passphrase(files[s]) != 0;
	if (ask[0] || ask[1]) {
		int rc2 = cli_read_passphrase(NULL, 0, &pass, &pass_len);
		if (rc2 != EXIT_OK)
			return rc2;
		for (int s = 0; s < 2; s++)
			if (ask[s]) {
				keys[s].pass = pass;
				keys[s].pass_len = pass_len;
			}
	}
	struct tool_input in[2];
	int ret = tool_input_open(&in[0], files[0], &keys[0]);
	if (ret == EXIT_OK && (ret = tool_input_open(&in[1], files[1], &keys[1])) != EXIT_OK)
		tool_input_close(&in[0]);
	if (pass)
		cli_secret_free(pass, pass_len); /* the handles hold their own copies */
	if (ret != EXIT_OK)
		return ret;
	if (decode)
		ret = decoded_diff(in, entry, &spec, offset, patch ? SD_PATCH : json ? SD_JSON : SD_TEXT, quiet);
	else
		ret = byte_diff(&in[0], &in[1], entry, json, quiet);
	tool_input_close(&in[0]);
	tool_input_close(&in[1]);
	return ret;
}
