/* decode.h - MessagePack to JSON / NDJSON / tree text, streaming, with an explicit stack.
 *
 * The JSON mapping (lossless; man/icarc-decode.1 documents it for users):
 *   nil, true, false     null, true, false
 *   int / uint           decimal integer text, all 64 bits exact (-9223372036854775808 ..
 *                        18446744073709551615)
 *   float32 / float64    the shortest decimal that reads back to the same float32 / float64, always
 *                        with '.' or an exponent; NaN and infinities: {"$float32":"7fc00000"} /
 *                        {"$float64":"..."}, the IEEE bits in hex (the NaN payload survives)
 *   str (UTF-8)          JSON string; control characters, '"', '\\' escaped; other text as is
 *   str (invalid UTF-8)  {"$str":"<bytes>"}
 *   bin                  {"$bin":"<bytes>"}
 *   ext                  {"$ext":TYPE,"$data":"<bytes>"}   TYPE -128..127 (timestamp is -1)
 *   array                JSON array
 *   map                  JSON object, members in input order; duplicate keys are kept, in order,
 *                        as repeated member names. Member names:
 *                          a valid UTF-8 str key not starting with '$'   itself
 *                          a str key starting with '$'                   '$' + the key ("$$x")
 *                          any other key (int, nil, bool, float, bin,    '$' + the compact JSON
 *                          ext, array, map, invalid-UTF-8 str)           text of the key ("$42")
 *                        so "$$" opens an escaped string key and "$" + anything else a JSON key.
 *   <bytes>              base64 (RFC 4648, padded) or lowercase hex, as chosen (--binary).
 * Formats: json (one compact document), ndjson (the members or elements of the top container,
 * one per line; a map member as {"key":value}; a scalar as one line), tree (indented text). */
#ifndef ICARC_TOOLS_DECODE_H
#define ICARC_TOOLS_DECODE_H
#include <stddef.h>
#include <stdint.h>

#include "tools/jout.h"
#include "tools/mpread.h"

enum dec_format { DEC_JSON, DEC_NDJSON, DEC_TREE };
enum dec_binary { DEC_BASE64, DEC_HEX };

#define DEC_MAX_DEPTH_DEFAULT 10000U
#define DEC_MAX_KEY_TEXT (1U << 20) /* a non-string map key renders to at most this much JSON */

struct dec_frame {
	uint64_t remaining; /* tokens still to come: elements, or keys + values */
	uint64_t index;     /* element or member number */
	uint64_t key_off;   /* offset of the current member's key (for paths in messages) */
	uint8_t is_map, has_key;
};

struct dec {
	struct st_reader *r;
	enum dec_format format;
	enum dec_binary binary;
	uint32_t max_depth;
	struct dec_frame *stack;
	size_t top, cap;
	char err[640];
};

/* A --path expression: `users.42.handle`, `posts[3]`, `a[0].b`; '\' escapes '.', '[' and '\'. A
 * component matches a str map key with the same bytes, or an integer key with the same value; an
 * array takes a decimal index. */
struct dec_path_comp {
	char *key;       /* NUL-terminated component text */
	size_t len;
	int is_num;      /* the text is a decimal integer (maybe negative) */
	int64_t num;
	int bracket;     /* written as [N] */
};
struct dec_path {
	size_t n;
	struct dec_path_comp *c;
};
int dec_path_parse(const char *expr, struct dec_path *p, char *err, size_t errlen);
void dec_path_free(struct dec_path *p);

void dec_init(struct dec *d, struct st_reader *r);
void dec_free(struct dec *d);
/* Write the value at the reader's position. 0 ok; -1 error (d->err says what, the offset and the
 * path reached); 1 the reader was already at its end. */
int dec_run(struct dec *d, struct jout *out);
/* Write the map key at the reader's position as a quoted JSON member name (mapping above). */
int dec_key(struct dec *d, struct jout *out);
/* Move the reader to the start of the value that `p` names inside the value at its position,
 * skipping the rest without decoding it. 0 ok, -1 error (d->err). */
int dec_select(struct dec *d, const struct dec_path *p);
#endif
