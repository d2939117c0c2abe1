/* test_layout.c - layout recognition and MemoryManager virtual memories on memories built here by
 * hand, byte by byte, from the layout that ic-stable-structures documents (header.rs, sizes.rs,
 * memory_manager.rs, cell.rs): nothing here goes through our own writer. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tools/layout.h"

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* map {"a": 1} */
static const unsigned char VAL[] = {0x81, 0xa1, 'a', 1};

static int resolve(const unsigned char *mem, size_t n, const char *layout, struct lay_result *res, char *err)
{
	struct lay_spec spec;
	if (lay_parse(layout, &spec, err, 300) != 0)
		return -1;
	struct st_src *src = st_src_mem(mem, n, "mem");
	int rc = lay_resolve(src, 0, &spec, res, err, 300);
	if (rc == 0)
		lay_result_free(res); /* the tests look at the numbers only */
	st_close(src);
	return rc;
}

static void prefixes(void)
{
	unsigned char mem[64] = {0};
	char err[300];
	struct lay_result res;
	put_le(mem, sizeof VAL, 4);
	memcpy(mem + 4, VAL, sizeof VAL);
	TAP_OK(resolve(mem, sizeof mem, "auto", &res, err) == 0 && res.found == LAY_U32LE && res.start == 4 &&
	       res.end == 4 + sizeof VAL, "auto finds the u32 prefix");
	memset(mem, 0, sizeof mem);
	put_le(mem, sizeof VAL, 8);
	memcpy(mem + 8, VAL, sizeof VAL);
	TAP_OK(resolve(mem, sizeof mem, "auto", &res, err) == 0 && res.found == LAY_U64LE && res.start == 8,
	       "auto finds the u64 prefix");
	memset(mem, 0, sizeof mem);
	memcpy(mem, VAL, sizeof VAL);
	TAP_OK(resolve(mem, sizeof mem, "auto", &res, err) == 0 && res.found == LAY_RAW && res.start == 0,
	       "auto takes a bare value followed by zeros");
	mem[40] = 1;
	tap_ok(resolve(mem, sizeof mem, "auto", &res, err) != 0 && strstr(err, "non-zero byte follows at 40"),
	       "a bare value with garbage after it is refused: %s", err);
	/* a u32 length that frames one value plus a spare byte is refused */
	memset(mem, 0, sizeof mem);
	put_le(mem, sizeof VAL + 1, 4);
	memcpy(mem + 4, VAL, sizeof VAL);
	mem[4 + sizeof VAL] = 7;
	tap_ok(resolve(mem, sizeof mem, "auto", &res, err) != 0 && strstr(err, "does not frame one value"),
	       "a prefix framing more than one value is refused: %.120s", err);
	TAP_OK(resolve(mem, sizeof mem, "u32le", &res, err) == 0 && res.end == 4 + sizeof VAL + 1 && res.exact,
	       "explicit u32le takes the frame as given");
	put_le(mem, 1000, 4);
	tap_ok(resolve(mem, sizeof mem, "u32le", &res, err) != 0 && strstr(err, "does not fit"),
	       "a length past the end: %s", err);
	/* StableCell */
	memset(mem, 0, sizeof mem);
	memcpy(mem, "SCL\x01", 4);
	put_le(mem + 4, sizeof VAL, 4);
	memcpy(mem + 8, VAL, sizeof VAL);
	TAP_OK(resolve(mem, sizeof mem, "auto", &res, err) == 0 && res.found == LAY_STABLE_CELL && res.start == 8 &&
	       res.end == 8 + sizeof VAL, "auto finds a StableCell");
	mem[3] = 2;
	tap_ok(resolve(mem, sizeof mem, "stable-cell", &res, err) != 0 && strstr(err, "version 2"),
	       "StableCell version 2 refused: %s", err);
	struct lay_spec sp;
	TAP_OK(lay_parse("memory-manager:3:u32le", &sp, err, sizeof err) == 0 && sp.kind == LAY_MGR && sp.mem_id == 3 &&
	       sp.inner == LAY_U32LE, "memory-manager:3:u32le parses");
	TAP_OK(lay_parse("memory-manager:255", &sp, err, sizeof err) != 0, "memory id 255 refused");
	TAP_OK(lay_parse("cbor", &sp, err, sizeof err) != 0, "unknown layout refused");
}

/* A MemoryManager with 1-page buckets: memory 0 owns buckets 0 and 2, memory 1 owns bucket 1. */
static void memory_manager(void)
{
	const size_t page = 65536;
	size_t n = page * 4;
	unsigned char *mem = calloc(1, n);
	char err[300];
	memcpy(mem, "MGR\x01", 4);
	put_le(mem + 4, 3, 2); /* allocated buckets */
	put_le(mem + 6, 1, 2); /* bucket size in pages */
	put_le(mem + 40 + 0 * 8, 2, 8);
	put_le(mem + 40 + 1 * 8, 1, 8);
	mem[2080 + 0] = 0;
	mem[2080 + 1] = 1;
	mem[2080 + 2] = 0;
	memset(mem + 2080 + 3, 255, 10);
	/* memory 0: a u32-prefixed value that crosses from bucket 0 into bucket 2 */
	size_t at = page - 6; /* 6 bytes before the end of bucket 0 */
	unsigned char val[20];
	val[0] = 0xdc; val[1] = 0; val[2] = 17; /* array16 of 17 fixints */
	for (int i = 0; i < 17; i++)
		val[3 + i] = (unsigned char)i;
	unsigned char vm0[2 * 65536];
	memset(vm0, 0, sizeof vm0);
	put_le(vm0, sizeof val, 4);
	memcpy(vm0 + 4, val, sizeof val);
	/* scatter: virtual [0, page) -> physical page 1; [page, 2 page) -> physical page 3 */
	memcpy(mem + page, vm0, page);
	memcpy(mem + 3 * page, vm0 + page, page);
	(void)at;
	struct st_src *src = st_src_mem(mem, n, "mem");
	struct mgr_info *m = malloc(sizeof *m);
	TAP_OK(mgr_read(src, m, err, sizeof err) == 0 && m->bucket_pages == 1 && m->nbuckets[0] == 2 &&
	       m->nbuckets[1] == 1 && m->sizes[0] == 2, "MemoryManager header and bucket table");
	struct st_src *v0 = mgr_memory(src, m, 0, err, sizeof err);
	unsigned char back[8];
	TAP_OK(v0 != NULL && v0->size == 2 * page, "memory 0 is two pages");
	/* a read across the bucket boundary comes from physical pages 1 and 3 */
	mem[2 * page - 2] = 0xaa;
	mem[2 * page - 1] = 0xbb;
	mem[3 * page] = 0xcc;
	mem[3 * page + 1] = 0xdd;
	TAP_OK(v0 != NULL && st_read(v0, page - 2, back, 4) == 0 && memcmp(back, "\xaa\xbb\xcc\xdd", 4) == 0,
	       "a read across buckets follows the bucket table");
	mem[2 * page - 2] = mem[2 * page - 1] = mem[3 * page] = mem[3 * page + 1] = 0;
	st_close(v0);
	/* the value: put it across the boundary instead */
	memset(mem + page, 0, page);
	memset(mem + 3 * page, 0, page);
	memset(vm0, 0, sizeof vm0);
	put_le(vm0 + 0, sizeof val, 4);
	memcpy(vm0 + 4, val, sizeof val);
	memcpy(mem + page, vm0, page);
	struct lay_spec spec;
	struct lay_result res;
	lay_parse("auto", &spec, err, sizeof err);
	TAP_OK(lay_resolve(src, 0, &spec, &res, err, sizeof err) == 0 && res.mem_id == 0 && res.found == LAY_U32LE &&
	       res.start == 4 && res.end == 4 + sizeof val, "auto on a MemoryManager decodes memory 0's u32 prefix");
	lay_result_free(&res);
	lay_parse("memory-manager:1", &spec, err, sizeof err);
	tap_ok(lay_resolve(src, 0, &spec, &res, err, sizeof err) != 0 && strstr(err, "memory 1"),
	       "memory 1 (all zeros) has no value: %.100s", err);
	lay_parse("memory-manager:7", &spec, err, sizeof err);
	tap_ok(lay_resolve(src, 0, &spec, &res, err, sizeof err) != 0, "memory 7 is empty: %.100s", err);
	/* a memory claiming more pages than its buckets hold */
	put_le(mem + 40 + 1 * 8, 5, 8);
	mgr_read(src, m, err, sizeof err);
	tap_ok(mgr_memory(src, m, 1, err, sizeof err) == NULL && strstr(err, "claims 5 pages"), "oversized memory: %s",
	       err);
	mem[3] = 2;
	tap_ok(mgr_read(src, m, err, sizeof err) != 0 && strstr(err, "version 2"), "layout version 2 refused: %s", err);
	free(m);
	st_close(src);
	free(mem);
}

int main(void)
{
	prefixes();
	memory_manager();
	return tap_done();
}
