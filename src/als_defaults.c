/*
 * als_defaults.c -- als_train options chosen from the data (no PostgreSQL
 * calls).  The rule, for U users, I titles, E distinct (user, title) pairs
 * and mean absolute summed weight w = (sum of |weight| over rows) / E:
 *
 *   factors        = 2^round(log2(E / U)), within 32 .. 64
 *   alpha          = 3 / w                     (so that alpha * w = 3)
 *   regularization = (1 + alpha * w) * U / 800
 *                    divided by the mean events per user and title,
 *                    2E / (U + I), under "regularization_scaling": "frequency"
 *
 * Measured on six data sets in doc/alstrain.md ("All models on every data
 * set"): fewer than 32 factors lost 4 to 25 % of the best grid cell's
 * ndcg@10 on the sets with 5 to 13 titles per user, and 32 came within 10 %
 * on all six; alpha makes the confidence of a typical event the same
 * whatever the unit of the weights; lambda grows with the confidence scale
 * and with the number of users (the title-side normal equations it competes
 * with sum over all users), which ranked better than sqrt(U * I) on sets
 * with many users per title against sets with many titles.
 * An option given by the caller is kept, and the others are computed with it.
 */
#include "als_defaults.h"

#include <math.h>
#include <string.h>

/*
 * Sum of |w[r]| that does not depend on the order of the rows (the model is
 * the same byte for byte whatever the row order or plan: doc/alstrain.md,
 * "Determinism"): each value is split into a 53-bit integer mantissa and an
 * exponent, mantissas are added exactly per exponent in 128-bit integers,
 * and the per-exponent sums are combined in a fixed order.
 */
double
als_abs_sum(const double *w, int64 n)
{
#define ALS_EXP_MIN (-1080)
#define ALS_EXP_MAX 1030
	__int128	bucket[ALS_EXP_MAX - ALS_EXP_MIN + 1];	/* 34 kB */
	double		sum = 0.0;

	memset(bucket, 0, sizeof(bucket));
	for (int64 r = 0; r < n; r++)
	{
		int			e;
		double		m = frexp(fabs(w[r]), &e);	/* |w| = m 2^e, m in [0.5, 1) */

		if (m != 0.0 && isfinite(m))
			bucket[e - ALS_EXP_MIN] += (__int128) ldexp(m, 53);
	}
	for (int e = ALS_EXP_MIN; e <= ALS_EXP_MAX; e++)
		if (bucket[e - ALS_EXP_MIN] != 0)
			sum += ldexp((double) bucket[e - ALS_EXP_MIN], e - 53);
	return sum;
}

void
als_data_defaults(int64 nusers, int64 nitems, int64 nnz, double abs_weight_sum,
				  int which, AlsParams *p)
{
	double		w = nnz > 0 ? abs_weight_sum / (double) nnz : 0.0;

	if (!(w > 0.0) || !isfinite(w))
		w = 1.0;				/* all weights 0: any alpha is the same */
	if (which & ALS_DEFAULT_FACTORS)
	{
		double		per_user = nusers > 0 ? (double) nnz / (double) nusers : 1.0;
		int			f = (int) ldexp(1.0, (int) lround(log2(per_user)));

		p->factors = Min(Max(f, 32), 64);
	}
	if (which & ALS_DEFAULT_ALPHA)
		p->alpha = Min(3.0 / w, 1e6);
	if (which & ALS_DEFAULT_REGULARIZATION)
	{
		double		lambda = (1.0 + p->alpha * w) * (double) nusers / 800.0;

		if (p->frequency_scaling)
			lambda /= 2.0 * (double) nnz / ((double) nusers + (double) nitems);
		p->regularization = Min(Max(lambda, 1e-6), 1e6);
	}
}
