/*
 * sort.h -- the one merge sort of nfrec's pure kernels (no PostgreSQL
 * calls): stable, bottom-up, with a caller-supplied scratch buffer (no
 * allocation) and an optional interrupt callback, so that sorting millions
 * of rows stays cancellable.  Used by k-means (rows in lexicographic
 * order) and the statistics (AUC's score sort).
 *
 * Inline so that each caller's element size and comparison are compiled
 * into its own loop.
 */
#ifndef NFREC_SORT_H
#define NFREC_SORT_H

#include "c.h"

#include <string.h>

/* negative, zero or positive as a sorts before, with or after b */
typedef int (*NfSortCmp) (const void *a, const void *b, void *arg);

/*
 * Sort n elements of size bytes at base in place, stably (equal elements
 * keep their order).  scratch: room for n elements.  check, if not NULL,
 * is called every 4096 merges and may longjmp out (base then holds some
 * permutation of its elements).
 */
static inline void
nf_merge_sort(void *base, int64 n, Size size, void *scratch,
			  NfSortCmp cmp, void *arg, void (*check) (void))
{
	char	   *src = (char *) base,
			   *dst = (char *) scratch;

	for (int64 width = 1; width < n; width *= 2)
	{
		for (int64 lo = 0; lo < n; lo += 2 * width)
		{
			int64		mid = Min(lo + width, n),
						hi = Min(lo + 2 * width, n),
						a = lo,
						b = mid,
						o = lo;

			if (check && ((lo / (2 * width)) & 0xFFF) == 0)
				check();
			while (a < mid && b < hi)
			{
				if (cmp(src + b * size, src + a * size, arg) < 0)
					memcpy(dst + o++ * size, src + b++ * size, size);
				else
					memcpy(dst + o++ * size, src + a++ * size, size);
			}
			if (a < mid)
				memcpy(dst + o * size, src + a * size, (mid - a) * size);
			else if (b < hi)
				memcpy(dst + o * size, src + b * size, (hi - b) * size);
		}
		{
			char	   *t = src;

			src = dst;
			dst = t;
		}
	}
	if (src != (char *) base)
		memcpy(base, src, (Size) n * size);
}

#endif
