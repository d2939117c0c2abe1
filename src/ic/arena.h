/* arena.h - a bump allocator: decoded Candid types and values live in one arena, freed at once. */
#ifndef ICARC_IC_ARENA_H
#define ICARC_IC_ARENA_H
#include <stddef.h>

struct ic_arena_block;
struct ic_arena {
	struct ic_arena_block *head;
	size_t used, total; /* total: bytes allocated so far, for limits */
	size_t limit;       /* 0: none; allocations past it fail */
};

void ic_arena_init(struct ic_arena *a, size_t limit);
/* Zeroed memory aligned for any type, or NULL (out of memory or past the limit). */
void *ic_arena_alloc(struct ic_arena *a, size_t n);
/* n * size bytes, NULL on overflow. */
void *ic_arena_array(struct ic_arena *a, size_t n, size_t size);
void ic_arena_free(struct ic_arena *a);
#endif
