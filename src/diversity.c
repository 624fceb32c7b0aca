/*
 * diversity.c -- calibrated re-ranking (diversity.h).
 */
#include "c.h"

#include <math.h>

#include "diversity.h"

Size
div_work_bytes(int ncand, int ngenres)
{
	return (sizeof(double) * 2 + sizeof(int32)) * (Size) Max(ngenres, 1) + (Size) Max(ncand, 1);
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

int
div_calibrate(int ncand, const float *s, const int32 *gptr, const int32 *gid,
			  int ngenres, const double *p, double lambda, int max_per_genre,
			  int k, int32 *out, void *work)
{
	double	   *qsum = (double *) work;
	double	   *trial = qsum + Max(ngenres, 1);
	int32	   *count = (int32 *) (trial + Max(ngenres, 1));
	uint8	   *taken = (uint8 *) (count + Max(ngenres, 1));
	double		qmass = 0.0,
				ssum = 0.0;
	int			got = 0;

	memset(qsum, 0, sizeof(double) * ngenres);
	memset(taken, 0, ncand);
	memset(count, 0, sizeof(int32) * ngenres);
	if (k > ncand)
		k = ncand;
	while (got < k)
	{
		int			best = -1;
		double		best_obj = -INFINITY;
		bool		capped = max_per_genre > 0;

retry:
		for (int c = 0; c < ncand; c++)
		{
			int			ng = gptr[c + 1] - gptr[c];
			double		obj,
						mass = qmass;
			bool		full = false;

			if (taken[c])
				continue;
			if (capped)
			{
				for (int j = gptr[c]; j < gptr[c + 1]; j++)
					full |= count[gid[j]] >= max_per_genre;
				if (full)
					continue;
			}
			if (lambda > 0.0)
			{
				memcpy(trial, qsum, sizeof(double) * ngenres);
				for (int j = gptr[c]; j < gptr[c + 1]; j++)
					trial[gid[j]] += 1.0 / ng;
				if (ng > 0)
					mass += 1.0;
				obj = (1.0 - lambda) * (ssum + s[c]) -
					lambda * div_kl(ngenres, p, trial, mass);
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
		for (int j = gptr[best]; j < gptr[best + 1]; j++)
			count[gid[j]]++;
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
