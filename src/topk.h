/*
 * topk.h -- top-k selection over a score vector (no PostgreSQL calls).
 *
 * Serving ranks at most a few hundred titles out of tens of thousands, so
 * a bounded heap (O(n log k)) beats sorting all n scores.  Ties are broken
 * by row ascending; rows are stored in ascending title_id order, so that
 * is "score desc, title_id asc", which makes every list deterministic.
 */
#ifndef NFREC_TOPK_H
#define NFREC_TOPK_H

#include "c.h"

/*
 * Write the rows of the k best scores among scores[0..n) to out[], best
 * first, and return how many were written (min(k, eligible rows)).  A row
 * is skipped when skip != NULL and skip[row] != 0, or when its score is
 * NaN.  out must have room for k entries (k <= n is not required: the
 * caller may pass any k >= 0; at most n rows are written, so out needs
 * min(k, n) entries).
 */
extern int	topk_select(const float *scores, int n, const uint8 *skip,
						int k, int32 *out);

/*
 * The same result as topk_select, faster when k is much smaller than n
 * (batch scoring): a first vectorized pass takes the best eligible score
 * of each run of 16 rows into runmax (n / 16 floats of scratch), and the
 * exact heap then visits only the runs whose best reaches the k-th largest
 * of those maxima -- a lower bound of the k-th best score.  Falls back to
 * topk_select when k exceeds TOPK_BOUND_MAX_K or n is small.
 */
#define TOPK_BOUND_MAX_K 1024
extern int	topk_select_bounded(const float *scores, int n, const uint8 *skip, int k,
								int32 *out, float *runmax);

/*
 * The k-th largest eligible score (skip == NULL or skip[row] == 0, not
 * NaN) of scores[0..n): the score of the last row topk_select would
 * return, -INFINITY when fewer than k rows are eligible (or k <= 0), found
 * without ranking the rows (run maxima bound it, a radix selection on the
 * rows that reach the bound decides).  Scratch: runmax n / 16 + 1 floats,
 * keys n entries.  -0 and +0 are one value (either may be returned).
 */
extern float topk_kth_largest(const float *scores, int n, const uint8 *skip, int k,
							  float *runmax, uint32 *keys);

/*
 * Offer v to the k largest values kept so far in heap[0..*len), a min-heap
 * (*len <= k): while it fills, v is added; once full, v replaces the
 * least, heap[0], when it is larger.  Callers offer no NaN.
 */
static inline void
topk_heap_keep(float *heap, int *len, int k, float v)
{
	int			i;

	if (*len < k)
	{
		/* sift up */
		i = (*len)++;
		while (i > 0 && heap[(i - 1) / 2] > v)
		{
			heap[i] = heap[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		heap[i] = v;
		return;
	}
	if (!(v > heap[0]))
		return;
	/* replace the least and sift down */
	i = 0;
	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= *len)
			break;
		if (c + 1 < *len && heap[c + 1] < heap[c])
			c++;
		if (heap[c] >= v)
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = v;
}

#endif
