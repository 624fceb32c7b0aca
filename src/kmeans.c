/*
 * kmeans.c -- k-means on plain arrays (no PostgreSQL calls).  See kmeans.h.
 *
 * Each run: greedy k-means++ seeding (Arthur & Vassilvitskii 2007: the
 * first centre uniformly at random, each further centre drawn with
 * probability proportional to the squared distance to the nearest centre
 * chosen so far; greedy: the best of 2 + floor(ln k) such draws, the one
 * that lowers the summed squared distance the most), then Lloyd iterations (assign every row to its nearest centroid,
 * move every centroid to the mean of its rows) until no assignment changes,
 * the centroids move less than the tolerance, or max_iter.  A centroid that
 * loses all its rows is moved onto the row farthest from its centroid.
 *
 * Determinism: the random stream depends only on the seed, and the caller
 * sorts the rows first (kmeans_sort_rows), so the same set of rows gives the
 * same centroids whatever order they arrived in.  The centroids are
 * returned sorted lexicographically.
 */
#include "c.h"

#include <math.h>

#include "kmeans.h"
#include "sort.h"
#include "stats.h"

#define KMEANS_CHECK_MASK	0xFFF	/* interrupt check every 4096 rows */

static inline double
Dist2(const double *a, const double *b, int d)
{
	double		s = 0.0;

	for (int j = 0; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

static inline int
CompareRows(const double *a, const double *b, int d)
{
	for (int j = 0; j < d; j++)
	{
		if (a[j] < b[j])
			return -1;
		if (a[j] > b[j])
			return 1;
	}
	return 0;
}

int
kmeans_nearest(const double *centroids, int k, int d, const double *v, double *dist2)
{
	int			best = 0;
	double		bestd = Dist2(centroids, v, d);

	for (int c = 1; c < k; c++)
	{
		double		dd = Dist2(centroids + (Size) c * d, v, d);

		if (dd < bestd)
		{
			bestd = dd;
			best = c;
		}
	}
	if (dist2)
		*dist2 = bestd;
	return best;
}

typedef struct RowSortArg
{
	const double *x;
	int			d;
} RowSortArg;

static int
CmpRowIndex(const void *a, const void *b, void *arg)
{
	const RowSortArg *r = (const RowSortArg *) arg;

	return CompareRows(r->x + *(const int64 *) a * r->d,
					   r->x + *(const int64 *) b * r->d, r->d);
}

int64
kmeans_sort_rows(double *x, int64 n, int d, int64 *perm, int64 *aux,
				 double *row, void (*check) (void))
{
	int64		distinct;

	for (int64 i = 0; i < n; i++)
		perm[i] = i;

	/* stable: ties keep index order */
	nf_merge_sort(perm, n, sizeof(int64), aux, CmpRowIndex,
				  &(RowSortArg) {x, d}, check);

	/* apply the permutation in place, cycle by cycle: new[r] = old[perm[r]] */
	for (int64 r = 0; r < n; r++)
	{
		int64		cur = r;

		if (perm[r] < 0)
			continue;
		memcpy(row, x + r * d, sizeof(double) * d);
		for (;;)
		{
			int64		next = perm[cur];

			perm[cur] = -1;
			if (next == r)
			{
				memcpy(x + cur * d, row, sizeof(double) * d);
				break;
			}
			memcpy(x + cur * d, x + next * d, sizeof(double) * d);
			cur = next;
		}
	}

	distinct = (n > 0) ? 1 : 0;
	for (int64 i = 1; i < n; i++)
		if (CompareRows(x + (i - 1) * d, x + i * d, d) != 0)
			distinct++;
	return distinct;
}

Size
kmeans_work_doubles(int64 n, int d, int k)
{
	/* mind[n], centroids, sums, best (k x d each), counts[k], mean[d], m2[d] */
	return (Size) n + 3 * (Size) k * d + (Size) k + 2 * (Size) d;
}

/* uniform integer in [0, n) */
static int64
RandomIndex(NfRng *rng, int64 n)
{
	int64		i = (int64) (nf_rng_open01(rng) * (double) n);

	return Min(i, n - 1);
}

/*
 * Draw a row with probability proportional to mind[] (D^2 sampling).  Rows
 * at distance 0 are never drawn; total is the sum of mind[].
 */
static int64
DrawRow(const double *mind, int64 n, double total, NfRng *rng)
{
	double		r = nf_rng_open01(rng) * total,
				acc = 0.0;
	int64		last_positive = -1;

	for (int64 i = 0; i < n; i++)
	{
		if (mind[i] <= 0.0)
			continue;
		last_positive = i;
		acc += mind[i];
		if (acc > r)
			return i;
	}
	return last_positive;		/* rounding at the very end */
}

/*
 * Greedy k-means++ (as scikit-learn's): the first centre uniformly at
 * random; for each further centre, KMEANS_TRIALS(k) candidates drawn by
 * D^2 sampling, keeping the one that lowers the potential (the sum of
 * squared distances to the nearest centre) the most.  One candidate per
 * step is plain k-means++, which on well separated clusters often puts two
 * centres in one cluster.
 */
static void
KmeansPlusPlus(const KmeansProblem *pr, NfRng *rng, double *cent, double *mind,
			   void (*check) (void))
{
	int64		n = pr->n;
	int			d = pr->d;
	int			trials = 2 + (int) floor(log((double) pr->k));
	int64		first = RandomIndex(rng, n);
	double		total = 0.0;

	memcpy(cent, pr->x + first * d, sizeof(double) * d);
	for (int64 i = 0; i < n; i++)
	{
		if (check && (i & KMEANS_CHECK_MASK) == 0)
			check();
		mind[i] = Dist2(pr->x + i * d, cent, d);
		total += mind[i];
	}

	for (int c = 1; c < pr->k; c++)
	{
		double	   *cc = cent + (Size) c * d;
		int64		best = -1;
		double		best_pot = INFINITY;

		for (int t = 0; t < trials; t++)
		{
			int64		cand = DrawRow(mind, n, total, rng);
			const double *xc = pr->x + cand * d;
			double		pot = 0.0;

			/* k <= number of distinct rows: some row is at distance > 0 */
			Assert(cand >= 0);
			for (int64 i = 0; i < n; i++)
			{
				double		dd;

				if (check && (i & KMEANS_CHECK_MASK) == 0)
					check();
				dd = Dist2(pr->x + i * d, xc, d);
				pot += Min(dd, mind[i]);
			}
			/* ties: the earlier candidate */
			if (pot < best_pot)
			{
				best_pot = pot;
				best = cand;
			}
		}
		memcpy(cc, pr->x + best * d, sizeof(double) * d);
		total = 0.0;
		for (int64 i = 0; i < n; i++)
		{
			double		dd;

			if (check && (i & KMEANS_CHECK_MASK) == 0)
				check();
			dd = Dist2(pr->x + i * d, cc, d);
			if (dd < mind[i])
				mind[i] = dd;
			total += mind[i];
		}
	}
}

/* One k-means++ + Lloyd run; returns the inertia. */
static double
LloydRun(const KmeansProblem *pr, NfRng *rng, double tol_abs, double *cent,
		 double *sums, double *counts, double *mind, int32 *assign,
		 int *iterations, bool *converged, void (*check) (void))
{
	int64		n = pr->n;
	int			d = pr->d,
				k = pr->k;
	double		inertia = 0.0;

	KmeansPlusPlus(pr, rng, cent, mind, check);
	*iterations = 0;
	*converged = false;
	for (int64 i = 0; i < n; i++)
		assign[i] = -1;

	for (int it = 1; it <= pr->max_iter; it++)
	{
		int64		changed = 0;
		double		shift = 0.0;

		for (int64 i = 0; i < n; i++)
		{
			int			c;

			if (check && (i & KMEANS_CHECK_MASK) == 0)
				check();
			c = kmeans_nearest(cent, k, d, pr->x + i * d, &mind[i]);
			if (c != assign[i])
			{
				changed++;
				assign[i] = c;
			}
		}
		if (changed == 0)
		{
			/* the centroids are the means of this very assignment */
			*converged = true;
			break;
		}

		memset(sums, 0, sizeof(double) * k * d);
		memset(counts, 0, sizeof(double) * k);
		for (int64 i = 0; i < n; i++)
		{
			double	   *s = sums + (Size) assign[i] * d;
			const double *xi = pr->x + i * d;

			counts[assign[i]] += 1.0;
			for (int j = 0; j < d; j++)
				s[j] += xi[j];
		}
		for (int c = 0; c < k; c++)
		{
			double	   *cc = cent + (Size) c * d;
			double	   *s = sums + (Size) c * d;

			if (counts[c] > 0.0)
			{
				for (int j = 0; j < d; j++)
					s[j] /= counts[c];
			}
			else
			{
				/* empty cluster: take over the row worst served so far */
				int64		far = 0;

				for (int64 i = 1; i < n; i++)
					if (mind[i] > mind[far])
						far = i;
				memcpy(s, pr->x + far * d, sizeof(double) * d);
				mind[far] = 0.0;
			}
			shift += Dist2(cc, s, d);
			memcpy(cc, s, sizeof(double) * d);
		}
		*iterations = it;
		if (shift <= tol_abs)
		{
			*converged = true;
			break;
		}
	}

	for (int64 i = 0; i < n; i++)
	{
		double		dd;

		if (check && (i & KMEANS_CHECK_MASK) == 0)
			check();
		(void) kmeans_nearest(cent, k, d, pr->x + i * d, &dd);
		inertia += dd;
	}
	return inertia;
}

void
kmeans_fit(const KmeansProblem *pr, KmeansResult *res, double *work,
		   int32 *assign, void (*check) (void))
{
	int64		n = pr->n;
	int			d = pr->d,
				k = pr->k;
	double	   *mind = work;
	double	   *cent = mind + n;
	double	   *sums = cent + (Size) k * d;
	double	   *best = sums + (Size) k * d;
	double	   *counts = best + (Size) k * d;
	double	   *mean = counts + k;
	double	   *m2 = mean + d;
	double		tol_abs = 0.0;
	NfRng	rng;

	/* tolerance relative to the data's mean per-dimension variance (Welford) */
	memset(mean, 0, sizeof(double) * d);
	memset(m2, 0, sizeof(double) * d);
	for (int64 i = 0; i < n; i++)
	{
		const double *xi = pr->x + i * d;

		for (int j = 0; j < d; j++)
		{
			double		delta = xi[j] - mean[j];

			mean[j] += delta / (double) (i + 1);
			m2[j] += delta * (xi[j] - mean[j]);
		}
	}
	for (int j = 0; j < d; j++)
		tol_abs += m2[j] / (double) n;
	tol_abs = pr->tol * tol_abs / d;

	nf_rng_seed(&rng, pr->seed);
	res->inertia = INFINITY;
	for (int run = 0; run < pr->n_init; run++)
	{
		int			iterations;
		bool		converged;
		double		inertia = LloydRun(pr, &rng, tol_abs, cent, sums, counts,
									   mind, assign, &iterations, &converged, check);

		if (run == 0 || inertia < res->inertia)
		{
			res->inertia = inertia;
			res->iterations = iterations;
			res->converged = converged;
			memcpy(best, cent, sizeof(double) * k * d);
		}
	}

	/* canonical order: centroids sorted lexicographically (insertion sort) */
	for (int c = 1; c < k; c++)
	{
		int			m = c - 1;

		memcpy(sums, best + (Size) c * d, sizeof(double) * d);
		while (m >= 0 && CompareRows(best + (Size) m * d, sums, d) > 0)
		{
			memcpy(best + (Size) (m + 1) * d, best + (Size) m * d, sizeof(double) * d);
			m--;
		}
		memcpy(best + (Size) (m + 1) * d, sums, sizeof(double) * d);
	}
	memcpy(res->centroids, best, sizeof(double) * k * d);
}
