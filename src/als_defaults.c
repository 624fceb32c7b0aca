/*
 * als_defaults.c -- als_train options chosen from the data (no PostgreSQL
 * calls).  The rule, for U users, I titles, E distinct (user, title) pairs
 * and mean absolute summed weight w = (sum of |weight| over rows) / E:
 *
 *   factors        = 2^round(log2(E / U)), within 8 .. 64
 *   alpha          = 3 / w                     (so that alpha * w = 3)
 *   regularization = (1 + alpha * w) * sqrt(U * I) / 400
 *                    divided by the mean events per user and title,
 *                    2E / (U + I), under "regularization_scaling": "frequency"
 *
 * Measured on four data sets in doc/alstrain.md: factors follow the
 * evidence per user (more factors than a user has titles over-fit), alpha
 * makes the confidence of a typical event the same whatever the unit of the
 * weights, and lambda grows with the size of the Gram matrices it competes
 * with (sums over all users and all titles) and with the confidence scale.
 * An option given by the caller is kept, and the others are computed with it.
 */
#include "als_defaults.h"

#include <math.h>

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

		p->factors = Min(Max(f, 8), 64);
	}
	if (which & ALS_DEFAULT_ALPHA)
		p->alpha = Min(3.0 / w, 1e6);
	if (which & ALS_DEFAULT_REGULARIZATION)
	{
		double		lambda = (1.0 + p->alpha * w) * sqrt((double) nusers * (double) nitems) / 400.0;

		if (p->frequency_scaling)
			lambda /= 2.0 * (double) nnz / ((double) nusers + (double) nitems);
		p->regularization = Min(Max(lambda, 1e-6), 1e6);
	}
}
