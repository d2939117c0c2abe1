/* arena.c - bump allocator in blocks of at least 16 KiB. */
#include "ic/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ic_arena_block {
	struct ic_arena_block *next;
	size_t cap;
	_Alignas(16) unsigned char data[];
};

void ic_arena_init(struct ic_arena *a, size_t limit)
{
	memset(a, 0, sizeof *a);
	a->limit = limit;
}

void *ic_arena_alloc(struct ic_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (a->head == NULL || a->head->cap - a->used < n) {
		size_t cap = n > 16384 ? n : 16384;
		if (cap > SIZE_MAX - sizeof(struct ic_arena_block) || (a->limit && a->total + cap > a->limit))
			return NULL;
		struct ic_arena_block *b = malloc(sizeof *b + cap);
		if (b == NULL)
			return NULL;
		b->next = a->head;
		b->cap = cap;
		a->head = b;
		a->used = 0;
		a->total += cap;
	}
	void *p = a->head->data + a->used;
	a->used += n;
	memset(p, 0, n);
	return p;
}

void *ic_arena_array(struct ic_arena *a, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	return ic_arena_alloc(a, n * size);
}

void ic_arena_free(struct ic_arena *a)
{
	struct ic_arena_block *b = a->head;
	while (b != NULL) {
		struct ic_arena_block *next = b->next;
		free(b);
		b = next;
	}
	memset(a, 0, sizeof *a);
}
