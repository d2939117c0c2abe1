/* layout_fuzzer.c - layout recognition (auto, MemoryManager tables, StableCell, prefixes) and the
 * virtual-memory reads behind them, on arbitrary bytes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "tools/decode.h"
#include "tools/layout.h"

static void decode_result(struct lay_result *res)
{
	struct st_reader r;
	struct dec d;
	struct jout o;
	FUZZ_ASSERT(res->start <= res->end && res->end <= res->src->size);
	st_reader_init(&r, res->src, res->start, res->end, 128);
	dec_init(&d, &r);
	d.max_depth = 100;
	jout_init(&o, NULL, NULL, 1024);
	o.discard = 1;
	dec_run(&d, &o);
	jout_free(&o);
	dec_free(&d);
	st_reader_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const layouts[] = {"auto", "raw", "u32le", "u64le", "stable-cell", "memory-manager:0",
	                                      "memory-manager:1:u32le", "memory-manager:254:raw"};
	struct fuzz_producer fp = {data, size};
	uint32_t which = fuzz_u32(&fp, 0, sizeof layouts / sizeof layouts[0] - 1);
	uint32_t offset = fuzz_u32(&fp, 0, 64);
	struct st_src *src = st_src_mem(fp.data, fp.size, "fuzz");
	char err[512];
	struct lay_spec spec;
	FUZZ_ASSERT(lay_parse(layouts[which], &spec, err, sizeof err) == 0);
	struct lay_result res;
	if (lay_resolve(src, offset, &spec, &res, err, sizeof err) == 0) {
		decode_result(&res);
		lay_result_free(&res);
	}
	/* every memory of a MemoryManager, read end to end in odd-sized pieces */
	struct mgr_info *m = malloc(sizeof *m);
	FUZZ_ASSERT(m != NULL);
	if (mgr_read(src, m, err, sizeof err) == 0) {
		for (int id = 0; id < MGR_MAX_MEMORIES; id++) {
			struct st_src *vm = mgr_memory(src, m, id, err, sizeof err);
			if (vm == NULL)
				continue;
			unsigned char buf[777];
			for (uint64_t off = 0; off < vm->size && off < (1U << 20); off += sizeof buf) {
				size_t n = vm->size - off < sizeof buf ? (size_t)(vm->size - off) : sizeof buf;
				FUZZ_ASSERT_MSG(st_read(vm, off, buf, n) == 0, vm->err);
			}
			st_close(vm);
		}
	}
	free(m);
	st_close(src);
	return 0;
}
