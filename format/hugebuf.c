/* hugebuf.c - a slot's buffers (a chunk's plaintext, then its record) in one block whose whole
 * 2 MiB pieces are on transparent huge pages. zstd's match finder, XXH3 and the AEAD walk a whole
 * chunk and its record; in 4 KiB pages that is hundreds of TLB entries per slot, in a 2 MiB page
 * one: pack spends 8% less CPU (tests/bench/RESULTS.md, run 9). Only whole huge pages inside the
 * block are advised, so a 1 MiB chunk (plaintext and most of its record in one huge page, the
 * record's last few KiB in ordinary pages) costs no more memory than with malloc. Where the kernel
 * has no THP (or "never"), madvise fails and changes nothing. */
#define _GNU_SOURCE /* MADV_HUGEPAGE */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "private.h"

#define HUGE_PAGE ((size_t)2 << 20)

uint8_t *Icarc_slot_alloc(size_t plain_len, size_t rec_len)
{
	size_t n = plain_len + rec_len;
#if defined(MADV_HUGEPAGE)
	if (n >= HUGE_PAGE) {
		void *p;
		if (posix_memalign(&p, HUGE_PAGE, n) != 0)
			return NULL;
		(void)madvise(p, n / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE); /* a hint */
		return p;
	}
#endif
	return malloc(n);
}
