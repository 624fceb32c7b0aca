/*
 * topk.c -- top-k selection with a bounded min-heap (or, for a large k of
 * a short list, a sort: SelectBySort).
 *
 * The heap holds the k best rows seen so far with the worst of them at the
 * root, so a candidate is compared with one score and usually rejected
 * right there.  At the end the heap is sorted in place (heap sort), which
 * leaves the best row first.
 */
#include "topk.h"

#include <math.h>
#include <string.h>

/* scores tested at once against the heap root once the heap is full */
#define TOPK_RUN 16
StaticAssertDecl(TOPK_RUN == 16, "pass 1 reads a run's skip bytes as two 8-byte words");

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

/* Sort a heap of len rows in place, best first (heap sort). */
static void
HeapSort(const float *scores, int32 *out, int len)
{
	/* move the worst to the end repeatedly */
	for (int end = len - 1; end > 0; end--)
	{
		int32		t = out[0];

		out[0] = out[end];
		out[end] = t;
		SiftDown(scores, out, end, 0);
	}
}

/*
 * When k is a large share of a short list (the exact pass of a homepage's
 * pool: the best 100 of about 200 candidates), nearly every row enters
 * the heap and each sift is a chain of unpredictable branches: sorting
 * the eligible rows by one 64-bit key, with merges that choose by
 * conditional moves, costs less.  The key orders as Better does: the
 * score's bits made monotone (-0 counted as +0, as == does), then the
 * row reversed, so a larger key ranks first and no two keys are equal.
 */
#define TOPK_SORT_MIN_K 32
#define TOPK_SORT_MAX_N 1024

/* a float's monotone key (-0 as +0: -0 + 0 = +0) and back */
static inline uint32
FloatKey(float s)
{
	uint32		u;

	s = s + 0.0f;
	memcpy(&u, &s, sizeof(u));
	return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static inline float
KeyFloat(uint32 u)
{
	float		s;

	u = (u & 0x80000000u) ? (u & 0x7fffffffu) : ~u;
	memcpy(&s, &u, sizeof(s));
	return s;
}

static inline uint64
RankKey(float s, int32 row)
{
	return ((uint64) FloatKey(s) << 32) | (uint64) (PG_UINT32_MAX - (uint32) row);
}

/* a[0..n) sorted by key, largest first; tmp has n entries.  Returns the buffer that holds it. */
static uint64 *
SortKeysDesc(uint64 *a, uint64 *tmp, int n)
{
	for (int w = 1; w < n; w *= 2)
	{
		for (int lo = 0; lo < n; lo += 2 * w)
		{
			int			mid = Min(lo + w, n),
						hi = Min(lo + 2 * w, n),
						i = lo,
						j = mid,
						o = lo;

			while (i < mid && j < hi)
			{
				uint64		x = a[i],
							y = a[j];
				bool		t = x > y;

				tmp[o++] = t ? x : y;
				i += t;
				j += !t;
			}
			while (i < mid)
				tmp[o++] = a[i++];
			while (j < hi)
				tmp[o++] = a[j++];
		}
		{
			uint64	   *t = a;

			a = tmp;
			tmp = t;
		}
	}
	return a;
}

static int
SelectBySort(const float *scores, int n, const uint8 *skip, int k, int32 *out)
{
	uint64		keys[TOPK_SORT_MAX_N],
				tmp[TOPK_SORT_MAX_N];
	const uint64 *sorted;
	int			m = 0;

	for (int r = 0; r < n; r++)
	{
		if ((skip && skip[r]) || isnan(scores[r]))
			continue;
		keys[m++] = RankKey(scores[r], r);
	}
	sorted = SortKeysDesc(keys, tmp, m);
	k = Min(k, m);
	for (int j = 0; j < k; j++)
		out[j] = (int32) (PG_UINT32_MAX - (uint32) sorted[j]);
	return k;
}

int
topk_select(const float *scores, int n, const uint8 *skip, int k, int32 *out)
{
	int			len = 0;
	int32		r;

	if (k <= 0 || n <= 0)
		return 0;
	if (k > n)
		k = n;
	if (k >= TOPK_SORT_MIN_K && n <= TOPK_SORT_MAX_N && n <= 4 * k)
		return SelectBySort(scores, n, skip, k, out);

	/* fill the heap with the first k eligible rows */
	r = 0;
	for (; r < n && len < k; r++)
	{
		if ((skip && skip[r]) || isnan(scores[r]))
			continue;
		out[len] = r;
		SiftUp(scores, out, len);
		len++;
	}

	while (r < n)
	{
		int32		end = n;

		/*
		 * Most scores lose to the heap's root: test a run of TOPK_RUN of
		 * them at once (vectorized; a NaN is never better) and skip the
		 * run when none is strictly better.  An equal score never enters
		 * (its row is higher), so skipping it changes nothing.
		 */
		if (r + TOPK_RUN <= n)
		{
			float		root = scores[out[0]];
			int			any = 0;

#pragma omp simd reduction(|:any)
			for (int j = 0; j < TOPK_RUN; j++)
				any |= scores[r + j] > root;
			if (!any)
			{
				r += TOPK_RUN;
				continue;
			}
			end = r + TOPK_RUN;
		}
		for (; r < end; r++)
		{
			/* strictly better score (an equal score has a higher row) */
			if ((skip && skip[r]) || !(scores[r] > scores[out[0]]))
				continue;
			out[0] = r;
			SiftDown(scores, out, len, 0);
		}
	}

	HeapSort(scores, out, len);
	return len;
}

/*
 * The best eligible score of one run of TOPK_RUN rows (sk: its skip flags,
 * or NULL): a vectorized max (a NaN never wins a comparison), redone row
 * by row for a run that holds a skipped row.
 */
static inline float
RunMax(const float *s, const uint8 *sk)
{
	float		m = -INFINITY;

#pragma omp simd reduction(max:m)
	for (int e = 0; e < TOPK_RUN; e++)
		m = s[e] > m ? s[e] : m;
	if (sk)
	{
		uint64		w0,
					w1;

		memcpy(&w0, sk, 8);
		memcpy(&w1, sk + 8, 8);
		if (w0 | w1)
		{
			m = -INFINITY;
			for (int e = 0; e < TOPK_RUN; e++)
				if (!sk[e] && s[e] > m)
					m = s[e];
		}
	}
	return m;
}

/*
 * A lower bound of the k-th best eligible score: the k-th largest of the
 * run maxima (each run's best eligible score).  The k best runs hold k
 * distinct eligible rows scoring at least that much, so no row below it
 * can be in the top k.  -INFINITY when fewer than k runs have an eligible
 * row (then every row must be looked at).
 */
static float
KthRunMax(const float *runmax, int nruns, int k)
{
	float		heap[TOPK_BOUND_MAX_K];
	int			len = 0;

	for (int j = 0; j < nruns; j++)
		if (runmax[j] > -INFINITY)
			topk_heap_keep(heap, &len, k, runmax[j]);
	return len < k ? -INFINITY : heap[0];
}

int
topk_select_bounded(const float *scores, int n, const uint8 *skip, int k, int32 *out,
					float *runmax)
{
	int			nruns = n / TOPK_RUN;
	float		bound;
	int			len = 0;

	if (k <= 0 || n <= 0)
		return 0;
	if (k > n)
		k = n;
	if (k > TOPK_BOUND_MAX_K || nruns < 2 * k)
		return topk_select(scores, n, skip, k, out);

	/* pass 1: the best eligible score of each run */
	for (int j = 0; j < nruns; j++)
		runmax[j] = RunMax(scores + (Size) j * TOPK_RUN, skip ? skip + (Size) j * TOPK_RUN : NULL);
	bound = KthRunMax(runmax, nruns, k);

	/* pass 2: the exact heap over the rows of runs that reach the bound */
	for (int j = 0; j <= nruns; j++)
	{
		int32		lo = j * TOPK_RUN,
					hi = j < nruns ? lo + TOPK_RUN : n;

		if (j < nruns && runmax[j] < bound)
			continue;
		for (int32 r = lo; r < hi; r++)
		{
			float		v = scores[r];

			if ((skip && skip[r]) || isnan(v))
				continue;
			if (len < k)
			{
				out[len] = r;
				SiftUp(scores, out, len);
				len++;
			}
			else if (v > scores[out[0]])
			{
				out[0] = r;
				SiftDown(scores, out, len, 0);
			}
		}
	}
	HeapSort(scores, out, len);
	return len;
}

/*
 * The k-th largest of the monotone keys a[0..m) (0 < k <= m), by radix
 * selection: a count of the top 11 bits finds the bucket that holds it,
 * the keys of that bucket are kept (a[] is overwritten) and the next 11,
 * then the last 10 bits, decide within it.  No comparison branches.  Once
 * at most KTH_FEW keys are left (they share the bits decided so far), they
 * are sorted instead: a count clears more buckets than that.
 */
#define KTH_FEW 32

static uint32
KthKey(uint32 *a, int m, int k)
{
	static const int shift[3] = {21, 10, 0};
	static const uint32 width[3] = {2048, 2048, 1024};
	uint32		prefix = 0;

	for (int level = 0; level < 3; level++)
	{
		int32		count[2048];
		int			sh = shift[level],
					b,
					above = 0,
					n2 = 0;
		uint32		mask = width[level] - 1;

		if (m <= KTH_FEW)
		{
			/* descending insertion sort: the k-th is a[k - 1] */
			for (int j = 1; j < m; j++)
			{
				uint32		key = a[j];
				int			i = j;

				for (; i > 0 && a[i - 1] < key; i--)
					a[i] = a[i - 1];
				a[i] = key;
			}
			return a[k - 1];
		}
		memset(count, 0, sizeof(int32) * width[level]);
		for (int j = 0; j < m; j++)
			count[(a[j] >> sh) & mask]++;
		for (b = (int) width[level] - 1; b > 0 && above + count[b] < k; b--)
			above += count[b];
		/* the keys of bucket b, the (k - above)-th largest among them */
		for (int j = 0; j < m; j++)
		{
			uint32		key = a[j];

			a[n2] = key;
			n2 += ((key >> sh) & mask) == (uint32) b;
		}
		m = n2;
		k -= above;
		prefix |= (uint32) b << sh;
	}
	return prefix;
}

float
topk_kth_largest(const float *scores, int n, const uint8 *skip, int k, float *runmax,
				 uint32 *keys)
{
	int			nruns = n / TOPK_RUN,
				m = 0;
	float		bound = -INFINITY;

	if (k <= 0 || n <= 0 || k > n)
		return -INFINITY;

	/*
	 * A lower bound first: the k-th largest run maximum (the k best runs
	 * hold k distinct eligible rows at least that good), when enough runs
	 * have an eligible row.
	 */
	if (nruns >= 2 * k)
	{
		for (int j = 0; j < nruns; j++)
		{
			float		mx = RunMax(scores + (Size) j * TOPK_RUN,
								   skip ? skip + (Size) j * TOPK_RUN : NULL);

			runmax[j] = mx;
			if (mx > -INFINITY)
				keys[m++] = FloatKey(mx);
		}
		if (m >= k)
			bound = KeyFloat(KthKey(keys, m, k));
		m = 0;
	}

	/* every eligible row that reaches the bound, then the exact k-th */
	for (int j = 0; j <= nruns; j++)
	{
		int32		lo = j * TOPK_RUN,
					hi = j < nruns ? lo + TOPK_RUN : n;

		if (j < nruns && bound > -INFINITY && runmax[j] < bound)
			continue;
		/* written always, kept when eligible (no branch per row) */
		for (int32 r = lo; r < hi; r++)
		{
			float		v = scores[r];

			keys[m] = FloatKey(v);
			m += (skip == NULL || skip[r] == 0) & (v >= bound);	/* a NaN fails */
		}
	}
	if (m < k)
		return -INFINITY;
	return KeyFloat(KthKey(keys, m, k));
}
