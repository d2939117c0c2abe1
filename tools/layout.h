/* layout.h - where the MessagePack value sits in a canister memory (prior-art.md §A6, §A7).
 *
 *   raw            the value starts at the offset; bytes after it are ignored
 *   u32le, u64le   a little-endian length L at the offset, then L bytes that hold the value
 *                  (ic-stable-structures' quick-start Writer, ciborium/minicbor canisters)
 *   stable-cell    ic-stable-structures StableCell v1: "SCL", version 1, u32 LE length, value
 *   memory-manager:ID[:INNER]
 *                  virtual memory ID of an ic-stable-structures MemoryManager (v1: "MGR", version,
 *                  u16 allocated buckets, u16 bucket size in pages, 32 reserved bytes, u64 size in
 *                  pages of each of 255 memories at byte 40, one owner byte per bucket at byte
 *                  2080 (255 = free), buckets from byte 65536), then INNER (default auto) inside it
 *   auto           a MemoryManager: memory 0; a StableCell; a u32 or u64 LE length prefix when it
 *                  frames exactly one well-formed value; else a bare self-delimiting value that only
 *                  zero bytes follow and whose first byte is not 0 (rmp-serde streamed without a
 *                  prefix; a 0 byte would be the integer 0 in an empty, zeroed memory) */
#ifndef ICARC_TOOLS_LAYOUT_H
#define ICARC_TOOLS_LAYOUT_H
#include <stddef.h>
#include <stdint.h>

#include "tools/stsrc.h"

enum lay_kind { LAY_AUTO, LAY_RAW, LAY_U32LE, LAY_U64LE, LAY_STABLE_CELL, LAY_MGR };

struct lay_spec {
	enum lay_kind kind;
	int mem_id;            /* LAY_MGR */
	enum lay_kind inner;   /* LAY_MGR: the layout inside the memory (never LAY_MGR) */
};

int lay_parse(const char *text, struct lay_spec *spec, char *err, size_t errlen);
const char *lay_name(enum lay_kind k);

struct lay_result {
	struct st_src *src;     /* where the value is: the input, or a virtual memory (then owned) */
	int owned;
	uint64_t start, end;    /* the value lies in [start, end) of src */
	int exact;              /* the frame must hold exactly one value (u32le/u64le/stable-cell) */
	enum lay_kind found;    /* the layout used (auto resolved) */
	int mem_id;             /* -1 unless inside a MemoryManager memory */
	char note[256];         /* what auto found, for --verbose and messages */
};

/* Find the value per spec at `offset` of src. 0 ok; -1 with err (what and where). */
int lay_resolve(struct st_src *src, uint64_t offset, const struct lay_spec *spec, struct lay_result *res,
                char *err, size_t errlen);
void lay_result_free(struct lay_result *res);

/* ---- MemoryManager ---- */
#define MGR_MAX_MEMORIES 255
#define MGR_MAX_BUCKETS 32768
#define MGR_ALLOC_OFFSET 2080
#define MGR_BUCKETS_OFFSET 65536ULL
#define MGR_PAGE 65536ULL

struct mgr_info {
	unsigned version;
	unsigned allocated_buckets;
	unsigned bucket_pages;
	uint64_t sizes[MGR_MAX_MEMORIES];   /* pages */
	unsigned char owner[MGR_MAX_BUCKETS];
	uint32_t nbuckets[MGR_MAX_MEMORIES]; /* buckets owned by each memory */
};

/* 1: src starts with the "MGR" magic; 0 not; -1 read error. */
int mgr_probe(struct st_src *src);
int mgr_read(struct st_src *src, struct mgr_info *m, char *err, size_t errlen);
/* Virtual memory `id` as a source over src (which must outlive it). NULL with err. */
struct st_src *mgr_memory(struct st_src *src, const struct mgr_info *m, int id, char *err, size_t errlen);

/* Check that [start, end) of src holds exactly one value (exact) or one value followed only by
 * zero bytes (!exact, zeros_after). 0 yes; -1 no, with the reason in err. *value_end gets the
 * offset where the value ends. */
int lay_check_value(struct st_src *src, uint64_t start, uint64_t end, int exact, uint64_t *value_end,
                    char *err, size_t errlen);
#endif
