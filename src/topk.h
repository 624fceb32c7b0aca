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

#endif
