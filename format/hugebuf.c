/* hugebuf.c - chunk buffers on transparent huge pages. zstd's match finder, XXH3 and the AEAD walk a
 * whole chunk and its record; in 4 KiB pages that is hundreds of TLB entries per slot, in a 2 MiB
 * page one: pack spends 8% less CPU (tests/bench/RESULTS.md, run 8). A buffer of at least half a
 * huge page is rounded up to whole ones, so a slot holds up to twice its bytes in memory; smaller
 * ones are plain malloc. Where the kernel has no THP (or "never"), madvise fails and changes
 * nothing. Freed with free(). */
#define _GNU_SOURCE /* MADV_HUGEPAGE */
#include "config.h"

#include <stdlib.h>
#include <sys/mman.h>

#include "private.h"

#define HUGE_PAGE (2U << 20)

void *Icarc_buf_alloc(size_t n)
{
#if defined(MADV_HUGEPAGE)
	if (n >= HUGE_PAGE / 2) {
		size_t r = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
		void *p;
		if (posix_memalign(&p, HUGE_PAGE, r) != 0)
			return NULL;
		(void)madvise(p, r, MADV_HUGEPAGE); /* a hint */
		return p;
	}
#endif
	return malloc(n);
}
