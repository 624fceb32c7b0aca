/*
 * diversity.c -- calibrated re-ranking (diversity.h).
 */
#include "c.h"

#include <math.h>

#include "diversity.h"

/*
 * A candidate with ng <= DIV_NG_MEMO genres adds, for each of its genres
 * g, a KL change that depends only on (ng, g) within a step: it is
 * computed once per step (memo, stamped with the step) instead of once
 * per candidate -- the same expression, so the same bits.
 */
#define DIV_NG_MEMO 4

Size
div_work_bytes(int ncand, int ngenres)
{
	return (sizeof(double) * (2 + DIV_NG_MEMO) + sizeof(int32) * (1 + DIV_NG_MEMO)) *
		(Size) Max(ngenres, 1) + (Size) Max(ncand, 1);
}

double
div_kl(int ngenres, const double *p, const double *qsum, double qmass)
{
	double		kl = 0.0;

	for (int g = 0; g < ngenres; g++)
	{
		double		q;

		if (p[g] <= 0.0)
			continue;
		q = qmass > 0.0 ? qsum[g] / qmass : 0.0;
		q = (1.0 - DIV_ALPHA) * q + DIV_ALPHA * p[g];
		kl += p[g] * log(p[g] / q);
	}
	return kl;
}

/*
 * Greedy selection.  Adding a candidate changes the list's genre mass (so
 * every q~_g) but the genre sums only of its own genres, so each step
 * first computes, for the mass with and without one more title with
 * genres, the KL terms of every genre as they stand, and a candidate's
 * divergence is that total corrected for its (few) genres.
 */
int
div_calibrate(int ncand, const float *s, const int32 *gptr, const int32 *gid,
			  int ngenres, const double *p, double lambda, int max_per_genre,
			  int k, int32 *out, void *work)
{
	double	   *qsum = (double *) work;
	double	   *term = qsum + Max(ngenres, 1);	/* KL term at mass + 1 */
	double	   *memo = term + Max(ngenres, 1);	/* [ng - 1][g] */
	int32	   *count = (int32 *) (memo + (Size) DIV_NG_MEMO * Max(ngenres, 1));
	int32	   *stamp = count + Max(ngenres, 1);	/* [ng - 1][g]: step + 1 */
	uint8	   *taken = (uint8 *) (stamp + (Size) DIV_NG_MEMO * Max(ngenres, 1));
	double		qmass = 0.0,
				ssum = 0.0;
	int			got = 0;

	memset(qsum, 0, sizeof(double) * ngenres);
	memset(taken, 0, ncand);
	memset(count, 0, sizeof(int32) * ngenres);
	memset(stamp, 0, sizeof(int32) * DIV_NG_MEMO * ngenres);
	if (k > ncand)
		k = ncand;
	while (got < k)
	{
		int			best = -1;
		double		best_obj = -INFINITY;
		bool		capped = max_per_genre > 0;
		double		kl_same = 0.0,	/* a title without genres: mass unchanged */
					kl_plus = 0.0;	/* sum of term[] */
		bool		have_same = false;	/* kl_same computed (only when needed) */

		if (lambda > 0.0)
		{
			for (int g = 0; g < ngenres; g++)
			{
				double		q;

				term[g] = 0.0;
				if (p[g] <= 0.0)
					continue;
				q = (1.0 - DIV_ALPHA) * qsum[g] / (qmass + 1.0) + DIV_ALPHA * p[g];
				term[g] = p[g] * log(p[g] / q);
				kl_plus += term[g];
			}
		}

retry:
		for (int c = 0; c < ncand; c++)
		{
			int			ng = gptr[c + 1] - gptr[c];
			double		obj;

			if (taken[c])
				continue;
			if (capped && ng > 0 && count[gid[gptr[c]]] >= max_per_genre)
				continue;
			if (lambda > 0.0)
			{
				double		kl;

				if (ng == 0)
				{
					if (!have_same)
					{
						kl_same = div_kl(ngenres, p, qsum, qmass);
						have_same = true;
					}
					kl = kl_same;
				}
				else
				{
					kl = kl_plus;
					for (int j = gptr[c]; j < gptr[c + 1]; j++)
					{
						int			g = gid[j];
						double		q,
									d;
						Size		at = (Size) (ng - 1) * ngenres + g;

						if (p[g] <= 0.0)
							continue;
						if (ng <= DIV_NG_MEMO && stamp[at] == got + 1)
						{
							kl += memo[at];
							continue;
						}
						q = (1.0 - DIV_ALPHA) * (qsum[g] + 1.0 / ng) / (qmass + 1.0) +
							DIV_ALPHA * p[g];
						d = p[g] * log(p[g] / q) - term[g];
						if (ng <= DIV_NG_MEMO)
						{
							memo[at] = d;
							stamp[at] = got + 1;
						}
						kl += d;
					}
				}
				obj = (1.0 - lambda) * (ssum + s[c]) - lambda * kl;
			}
			else
				obj = s[c];
			if (obj > best_obj)
			{
				best_obj = obj;
				best = c;
			}
		}
		if (best < 0 && capped)
		{
			capped = false;		/* every candidate left would break the cap */
			goto retry;
		}
		if (best < 0)
			break;
		taken[best] = 1;
		if (gptr[best + 1] > gptr[best])
			count[gid[gptr[best]]]++;
		out[got++] = best;
		ssum += s[best];
		{
			int			ng = gptr[best + 1] - gptr[best];

			for (int j = gptr[best]; j < gptr[best + 1]; j++)
				qsum[gid[j]] += 1.0 / ng;
			if (ng > 0)
				qmass += 1.0;
		}
	}
	return got;
}
