/*
 * topk.c -- top-k selection with a bounded min-heap.
 *
 * The heap holds the k best rows seen so far with the worst of them at the
 * root, so a candidate is compared with one score and usually rejected
 * right there.  At the end the heap is sorted in place (heap sort), which
 * leaves the best row first.
 */
#include "topk.h"

#include <math.h>

/* true when row a ranks before row b: higher score, then lower row */
static inline bool
Better(const float *s, int32 a, int32 b)
{
	return s[a] > s[b] || (s[a] == s[b] && a < b);
}

/* Restore the heap property below position i (worst row at the root). */
static inline void
SiftDown(const float *s, int32 *h, int len, int i)
{
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					w = i;

		if (l < len && Better(s, h[w], h[l]))
			w = l;
		if (r < len && Better(s, h[w], h[r]))
			w = r;
		if (w == i)
			return;
		{
			int32		t = h[i];

			h[i] = h[w];
			h[w] = t;
		}
		i = w;
	}
}

static inline void
SiftUp(const float *s, int32 *h, int i)
{
	while (i > 0)
	{
		int			p = (i - 1) / 2;

		if (!Better(s, h[p], h[i]))
			return;
		{
			int32		t = h[i];

			h[i] = h[p];
			h[p] = t;
		}
		i = p;
	}
}

int
topk_select(const float *scores, int n, const uint8 *skip, int k, int32 *out)
{
	int			len = 0;

	if (k <= 0 || n <= 0)
		return 0;
	if (k > n)
		k = n;

	{
		int32		r = 0;

		/* fill the heap with the first k eligible rows */
		for (; r < n && len < k; r++)
		{
			if ((skip && skip[r]) || isnan(scores[r]))
				continue;
			out[len] = r;
			SiftUp(scores, out, len);
			len++;
		}
		if (len == k)
		{
			/*
			 * The rest: most rows fall below the worst kept score, which is
			 * held in a register and tested first (NaN fails it too), so
			 * the skip mask is read only for the few that beat it.
			 */
			float		worst = scores[out[0]];

			for (; r < n; r++)
			{
				float		v = scores[r];

				/* strictly better score; an equal score has a higher row */
				if (likely(!(v > worst)) || (skip && skip[r]))
					continue;
				out[0] = r;
				SiftDown(scores, out, len, 0);
				worst = scores[out[0]];
			}
		}
	}

	/* heap sort: move the worst to the end repeatedly */
	for (int end = len - 1; end > 0; end--)
	{
		int32		t = out[0];

		out[0] = out[end];
		out[end] = t;
		SiftDown(scores, out, end, 0);
	}
	return len;
}
