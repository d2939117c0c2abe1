/* sdiff.h - a structural diff of two MessagePack values, streaming from random-access sources.
 *
 * Maps compare by key (keys normalised: a str key equals a str key with the same bytes whatever
 * its header size, integers by value), arrays by position. Two values whose encodings are
 * byte-identical are equal without being walked. Memory: an explicit stack (one frame per open
 * container on the current path) and, for a map whose keys stop coming in the same order on both
 * sides, an index of the keys left in B's map (bounded by SDIFF_MAX_INDEX_BYTES in all). Values are
 * never built in memory: the ones printed are decoded again from their offsets.
 *
 * Paths are JSON Pointers (RFC 6901) into the JSON that icarc decode prints (member names per the
 * decode.h mapping). Output per change:
 *   SD_TEXT   "~ PATH: OLD -> NEW", "+ PATH: NEW", "- PATH: OLD" (PATH "" is shown as "(top)")
 *   SD_JSON   {"op":"replace|add|remove","path":P,"old":OLD,"value":NEW} items, comma-separated
 *   SD_PATCH  RFC 6902 operations that, applied in order, turn A's JSON into B's: array elements
 *             past B's length are removed from the highest index down; extra ones are appended. */
#ifndef ICARC_TOOLS_SDIFF_H
#define ICARC_TOOLS_SDIFF_H
#include <stddef.h>
#include <stdint.h>

#include "tools/decode.h"

#define SDIFF_MAX_INDEX_BYTES (1ULL << 30)
#define SDIFF_MAX_KEY 65536U

enum sd_mode { SD_TEXT, SD_JSON, SD_PATCH };

struct sdiff_opts {
	enum sd_mode mode;
	enum dec_binary binary;
	uint32_t max_depth;
};

/* Compare the value at [a_start, a_end) of a with the one at [b_start, b_end) of b. Returns the
 * number of changes written (>= 0), or -1 with err. */
int64_t sdiff_run(struct st_src *a, uint64_t a_start, uint64_t a_end, struct st_src *b, uint64_t b_start,
                  uint64_t b_end, const struct sdiff_opts *o, struct jout *out, char *err, size_t errlen);
#endif
