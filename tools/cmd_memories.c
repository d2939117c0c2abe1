/* cmd_memories.c - icarc memories: the virtual memories of an ic-stable-structures MemoryManager. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tools/input.h"
#include "tools/layout.h"
#include "tools/mpread.h"

static const char usage_text[] =
	"usage: icarc memories ARCHIVE|FILE [--entry NAME] [--json] [-i IDENTITY]... [--passphrase-file FILE]\n\n"
	"List the virtual memories of an ic-stable-structures MemoryManager (\"MGR\" header, layout v1):\n"
	"id, size, buckets, and what each seems to hold (a stable structure's magic, or a length-prefixed\n"
	"or bare MessagePack value). Decode one with `icarc decode --layout memory-manager:ID`.\n";

/* What the memory seems to hold, from its first bytes only (cheap: no full parse). */
static void sniff(struct st_src *vm, char *out, size_t cap)
{
	static const struct { const char magic[4]; const char *what; } magics[] = {
		{"BTR", "BTreeMap"}, {"SCL", "StableCell"}, {"SVC", "StableVec"}, {"SMH", "MinHeap"},
		{"GLI", "StableLog index"}, {"GLD", "StableLog data"}, {"MGR", "nested MemoryManager"},
	};
	unsigned char h[16] = {0};
	size_t n = vm->size < sizeof h ? (size_t)vm->size : sizeof h;
	if (n == 0) {
		snprintf(out, cap, "empty");
		return;
	}
	if (st_read(vm, 0, h, n) != 0) {
		snprintf(out, cap, "unreadable: %s", vm->err);
		return;
	}
	for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
		if (n >= 3 && memcmp(h, magics[i].magic, 3) == 0) {
			snprintf(out, cap, "%s (\"%s\" v%u)", magics[i].what, magics[i].magic, h[3]);
			return;
		}
	}
	uint64_t len32 = (uint64_t)h[0] | (uint64_t)h[1] << 8 | (uint64_t)h[2] << 16 | (uint64_t)h[3] << 24;
	struct st_reader r;
	struct mp_tok t;
	if (len32 > 0 && len32 <= vm->size - 4 && st_reader_init(&r, vm, 4, 4 + len32, 4096) == 0) {
		if (mp_next(&r, &t) == 0) {
			snprintf(out, cap, "u32le-prefixed %llu bytes; MessagePack %s?", (unsigned long long)len32,
			         mp_kind_name(t.kind));
			st_reader_free(&r);
			return;
		}
	}
	st_reader_free(&r);
	if (h[0] != 0 && st_reader_init(&r, vm, 0, vm->size, 4096) == 0 && mp_next(&r, &t) == 0) {
		snprintf(out, cap, "bare MessagePack %s?", mp_kind_name(t.kind));
		st_reader_free(&r);
		return;
	}
	st_reader_free(&r);
	int zero = 1;
	for (size_t i = 0; i < n; i++)
		zero &= h[i] == 0;
	snprintf(out, cap, "%s", zero ? "starts with zeros" : "unknown");
}

int cmd_memories(int argc, char **argv)
{
	enum { O_ENTRY = 0x200, O_JSON };
	static const struct option opts[] = {{"entry", required_argument, NULL, O_ENTRY},
	                                     {"json", no_argument, NULL, O_JSON},
	                                     CLI_KEY_OPTIONS,
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *entry = NULL;
	int json = 0, c;
	struct cli_keys keys = {.ask_passphrase = 1}; /* on the terminal when nothing else is given */
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case O_ENTRY: entry = optarg; break;
		case O_JSON: json = 1; break;
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
	struct tool_input in;
	size_t index;
	int ret = tool_input_open(&in, file, &keys);
	if (ret != EXIT_OK)
		return ret;
	struct st_src *src = NULL;
	struct mgr_info *m = malloc(sizeof *m);
	char err[512];
	if ((ret = tool_input_pick(&in, entry, &index)) != EXIT_OK)
		goto out;
	src = tool_input_src(&in, index);
	if (src == NULL || m == NULL) {
		ret = cli_fail(EXIT_INTERNAL, "out of memory");
		goto out;
	}
	if (mgr_read(src, m, err, sizeof err) != 0) {
		ret = cli_fail(tool_input_exit(&in, EXIT_CORRUPT), "%s", err);
		goto out;
	}
	unsigned used = 0;
	for (unsigned b = 0; b < m->allocated_buckets; b++)
		used += m->owner[b] != 255;
	if (json) {
		printf("{\"version\":%u,\"allocated_buckets\":%u,\"bucket_size_pages\":%u,\"memories\":[", m->version,
		       m->allocated_buckets, m->bucket_pages);
	} else {
		printf("MemoryManager v%u: %u buckets of %u pages (%llu bytes) allocated, %u owned\n", m->version,
		       m->allocated_buckets, m->bucket_pages, (unsigned long long)m->bucket_pages * MGR_PAGE, used);
		printf("%4s %10s %14s %8s  %s\n", "id", "pages", "bytes", "buckets", "content");
	}
	int first = 1;
	for (int id = 0; id < MGR_MAX_MEMORIES; id++) {
		if (m->sizes[id] == 0 && m->nbuckets[id] == 0)
			continue;
		char what[300];
		struct st_src *vm = mgr_memory(src, m, id, err, sizeof err);
		if (vm == NULL)
			snprintf(what, sizeof what, "damaged: %.200s", err);
		else
			sniff(vm, what, sizeof what);
		st_close(vm);
		if (json) {
			printf("%s{\"id\":%d,\"pages\":%llu,\"bytes\":%llu,\"buckets\":%u,\"content\":", first ? "" : ",", id,
			       (unsigned long long)m->sizes[id], (unsigned long long)(m->sizes[id] * MGR_PAGE),
			       m->nbuckets[id]);
			cli_json_string(stdout, what, strlen(what));
			putchar('}');
		} else {
			printf("%4d %10llu %14llu %8u  %s\n", id, (unsigned long long)m->sizes[id],
			       (unsigned long long)(m->sizes[id] * MGR_PAGE), m->nbuckets[id], what);
		}
		first = 0;
	}
	if (json)
		printf("]}\n");
	if (fflush(stdout) != 0)
		ret = cli_fail(EXIT_IO, "cannot write the output");
out:
	free(m);
	st_close(src);
	tool_input_close(&in);
	return ret;
}
