/* cmd_decode.c - icarc decode: a MessagePack state (in an archive or a file) as JSON. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tools/decode.h"
#include "tools/input.h"
#include "tools/layout.h"

static const char usage_text[] =
	"usage: icarc decode ARCHIVE|FILE [--entry NAME] [--layout LAYOUT] [--offset N] [--path EXPR]\n"
	"                    [--format json|ndjson|tree] [--binary base64|hex] [--max-depth N]\n"
	"                    [-i IDENTITY]... [--passphrase-file FILE] [-v]\n\n"
	"Decode the MessagePack value in a canister memory to JSON, streaming with bounded memory.\n\n"
	"  --entry NAME      the archive entry (default: the only one, or stable_memory)\n"
	"  --layout LAYOUT   auto (default), raw, u32le, u64le, stable-cell, memory-manager:ID[:INNER]\n"
	"  --offset N        where the layout starts (inside the memory for memory-manager:ID)\n"
	"  --path EXPR       only the value at EXPR: users.42.handle, posts[3], a\\.b (escaped dot)\n"
	"  --format F        json (one document), ndjson (one line per member/element), tree\n"
	"  --binary B        bin, ext and invalid-UTF-8 strings as base64 (default) or hex\n"
	"  --max-depth N     refuse nesting deeper than N (default 10000)\n"
	"  -i, --identity F  an identity file for an encrypted archive (repeatable)\n"
	"  --passphrase-file F  the archive passphrase, first line of F\n"
	"  -v, --verbose     say which layout was found\n\n"
	"The JSON mapping (lossless) is in icarc-decode(1). Exit: 0 ok, 2 usage, 3 I/O, 4 malformed\n"
	"input (message with the byte offset and the path reached), 5 key.\n";

struct out_fd {
	int fd;
};

static int flush_fd(void *ctx, const char *buf, size_t len)
{
	return cli_write_all(((struct out_fd *)ctx)->fd, buf, len);
}

int cmd_decode(int argc, char **argv)
{
	enum { O_ENTRY = 0x200, O_LAYOUT, O_OFFSET, O_PATH, O_FORMAT, O_BINARY, O_MAX_DEPTH };
	static const struct option opts[] = {{"entry", required_argument, NULL, O_ENTRY},
	                                     {"layout", required_argument, NULL, O_LAYOUT},
	                                     {"offset", required_argument, NULL, O_OFFSET},
	                                     {"path", required_argument, NULL, O_PATH},
	                                     {"format", required_argument, NULL, O_FORMAT},
	                                     {"binary", required_argument, NULL, O_BINARY},
	                                     {"max-depth", required_argument, NULL, O_MAX_DEPTH},
	                                     {"verbose", no_argument, NULL, 'v'},
	                                     CLI_KEY_OPTIONS,
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *entry = NULL, *layout = "auto", *path = NULL, *format = "json", *binary = "base64";
	uint64_t offset = 0, max_depth = DEC_MAX_DEPTH_DEFAULT;
	int verbose = 0, c, rc;
	struct cli_keys keys = {.ask_passphrase = 1}; /* on the terminal when nothing else is given */
	while ((c = getopt_long(argc, argv, "i:vh", opts, NULL)) != -1) {
		switch (c) {
		case O_ENTRY: entry = optarg; break;
		case O_LAYOUT: layout = optarg; break;
		case O_PATH: path = optarg; break;
		case O_FORMAT: format = optarg; break;
		case O_BINARY: binary = optarg; break;
		case O_OFFSET:
			if (cli_parse_size(optarg, &offset) != 0)
				return cli_fail(EXIT_USAGE, "--offset: '%s' is not a size", optarg);
			break;
		case O_MAX_DEPTH:
			if (cli_parse_u64(optarg, &max_depth) != 0 || max_depth == 0 || max_depth > 100000000)
				return cli_fail(EXIT_USAGE, "--max-depth: '%s' is not 1..100000000", optarg);
			break;
		case 'v': verbose = 1; break;
		case 'i':
		case CLI_OPT_PASSPHRASE_FILE:
			if (cli_keys_option(&keys, c, optarg) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	const char *file = tool_one_input(argc, argv, usage_text);
	if (file == NULL)
		return EXIT_USAGE;
	enum dec_format fmt;
	if (strcmp(format, "json") == 0)
		fmt = DEC_JSON;
	else if (strcmp(format, "ndjson") == 0)
		fmt = DEC_NDJSON;
	else if (strcmp(format, "tree") == 0)
		fmt = DEC_TREE;
	else
		return cli_fail(EXIT_USAGE, "--format: '%s' is not json, ndjson or tree", format);
	if (strcmp(binary, "base64") != 0 && strcmp(binary, "hex") != 0)
		return cli_fail(EXIT_USAGE, "--binary: '%s' is not base64 or hex", binary);
	char err[1024];
	struct lay_spec spec;
	if (lay_parse(layout, &spec, err, sizeof err) != 0)
		return cli_fail(EXIT_USAGE, "%s", err);
	struct dec_path dpath = {0};
	if (path != NULL && dec_path_parse(path, &dpath, err, sizeof err) != 0)
		return cli_fail(EXIT_USAGE, "%s", err);

	struct tool_input in;
	size_t index = 0;
	struct st_src *src = NULL;
	struct lay_result res = {0};
	struct st_reader r = {0};
	struct dec d;
	struct jout o = {0};
	struct out_fd ofd = {1};
	int ret = tool_input_open(&in, file, &keys);
	dec_init(&d, &r);
	if (ret != EXIT_OK)
		goto out_path;
	if ((ret = tool_input_pick(&in, entry, &index)) != EXIT_OK)
		goto out_input;
	src = tool_input_src(&in, index);
	if (src == NULL) {
		ret = cli_fail(EXIT_INTERNAL, "out of memory");
		goto out_input;
	}
	if (lay_resolve(src, offset, &spec, &res, err, sizeof err) != 0) {
		ret = cli_fail(tool_input_exit(&in, EXIT_CORRUPT), "%s", err);
		goto out_src;
	}
	if (verbose)
		cli_warn("layout %s%s%s", lay_name(res.found), res.note[0] ? ": " : "", res.note);
	if (st_reader_init(&r, res.src, res.start, res.end, ST_READER_CAP) != 0 ||
	    jout_init(&o, flush_fd, &ofd, 1U << 20) != 0) {
		ret = cli_fail(EXIT_INTERNAL, "out of memory");
		goto out_all;
	}
	dec_init(&d, &r);
	d.format = fmt;
	d.binary = strcmp(binary, "hex") == 0 ? DEC_HEX : DEC_BASE64;
	d.max_depth = (uint32_t)max_depth;
	if (path != NULL && dec_select(&d, &dpath) != 0) {
		ret = cli_fail(tool_input_exit(&in, EXIT_CORRUPT), "%s: %s", res.src->what, d.err);
		goto out_all;
	}
	rc = dec_run(&d, &o);
	if (rc == 0 && fmt == DEC_JSON)
		jout_ch(&o, '\n');
	if (jout_flush(&o) != 0) {
		ret = cli_fail(EXIT_IO, "cannot write the output");
		goto out_all;
	}
	if (rc != 0) {
		ret = cli_fail(tool_input_exit(&in, EXIT_CORRUPT), "%s: %s", res.src->what,
		               rc > 0 ? "no value (the input is empty)" : d.err);
		goto out_all;
	}
	if (res.exact && path == NULL && st_reader_off(&r) != res.end)
		cli_warn("%llu bytes after the value inside its %s frame (at %llu) were not decoded",
		         (unsigned long long)(res.end - st_reader_off(&r)), lay_name(res.found),
		         (unsigned long long)st_reader_off(&r));
	ret = EXIT_OK;
out_all:
	jout_free(&o);
	st_reader_free(&r);
	lay_result_free(&res);
out_src:
	st_close(src);
out_input:
	tool_input_close(&in);
out_path:
	dec_free(&d);
	dec_path_free(&dpath);
	return ret;
}
