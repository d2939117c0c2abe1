/* hashtree.h - the IC's certified hash trees (ic-protocol.md §5.2-5.3): structure check, root
 * hash (reconstruct), and lookup with the spec's Found / Absent / Unknown answers. A tree is a
 * CBOR item of a decoded document; nothing is copied. */
#ifndef ICARC_IC_HASHTREE_H
#define ICARC_IC_HASHTREE_H
#include <stddef.h>
#include <stdint.h>

#include "ic/cbor.h"
#include "ic/request.h" /* struct ic_label */

enum ic_lookup { IC_LOOKUP_FOUND, IC_LOOKUP_ABSENT, IC_LOOKUP_UNKNOWN, IC_LOOKUP_ERROR };

/* Check that item i is a well-formed hash tree: node tags 0..4 with the right arity and types,
 * pruned hashes of 32 bytes. 0 ok, -1 with a message (byte offset). */
int ic_hashtree_check(const struct ic_cbor_doc *d, size_t i, char *err, size_t errlen);
/* reconstruct(tree) of a checked tree. */
void ic_hashtree_digest(const struct ic_cbor_doc *d, size_t i, uint8_t out[32]);
/* lookup_path: on FOUND, val and len give the leaf value (into the input). */
enum ic_lookup ic_hashtree_lookup(const struct ic_cbor_doc *d, size_t tree, const struct ic_label *path, size_t n,
                                  const uint8_t **val, size_t *len);
/* The subtree at path (a Labeled's child) for FOUND, as an item index in *sub. */
enum ic_lookup ic_hashtree_subtree(const struct ic_cbor_doc *d, size_t tree, const struct ic_label *path, size_t n,
                                   size_t *sub);
/* The labeled children directly below a subtree (forks flattened): calls fn for each label in
 * order with the child's item index; stops early when fn returns nonzero (and returns that). */
int ic_hashtree_each_label(const struct ic_cbor_doc *d, size_t tree,
                           int (*fn)(void *ctx, const uint8_t *label, size_t len, size_t child), void *ctx);
const char *ic_lookup_name(enum ic_lookup r);
#endif
