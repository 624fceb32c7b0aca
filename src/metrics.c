/*
 * metrics.c -- ranking-quality and catalog metrics on plain arrays.
 * Definitions in metrics.h.
 */
#include "metrics.h"

#include "rng.h"
#include "als_model.h"		/* als_find_id: binary search in sorted ids */

#include <math.h>
#include <stdlib.h>

static int
CmpInt64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return (x > y) - (x < y);
}

static int
CmpDoubleDesc(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x < y) - (x > y);
}

int
metrics_sort_unique(int64 *ids, int n)
{
	int			m = 0;

	if (n <= 1)
		return n;
	qsort(ids, n, sizeof(int64), CmpInt64);
	for (int i = 0; i < n; i++)
		if (m == 0 || ids[m - 1] != ids[i])
			ids[m++] = ids[i];
	return m;
}

void
rank_metrics(const int64 *rec, int nrec, const int64 *rel, int nrel,
			 int k, bool *credited, RankMetrics *out)
{
	int			depth = Min(k, nrec);
	int			ideal = Min(k, nrel);
	int			hits = 0;
	double		dcg = 0.0,
				idcg = 0.0,
				apsum = 0.0;

	memset(credited, 0, sizeof(bool) * nrel);
	for (int r = 1; r <= depth; r++)
	{
		int			pos = als_find_id(rel, nrel, rec[r - 1]);

		if (pos < 0 || credited[pos])
			continue;
		credited[pos] = true;
		hits++;
		dcg += 1.0 / log2(r + 1.0);
		apsum += (double) hits / r;
	}
	for (int r = 1; r <= ideal; r++)
		idcg += 1.0 / log2(r + 1.0);

	out->hits = hits;
	out->precision = (double) hits / k;
	if (nrel == 0)
	{
		out->recall = out->ndcg = out->ap = NAN;
		return;
	}
	out->recall = (double) hits / nrel;
	out->ndcg = dcg / idcg;
	out->ap = apsum / ideal;
}

void
metrics_sum_add(MetricsSum *s, const RankMetrics *m)
{
	if (isnan(m->recall))
		return;
	s->users++;
	s->precision += m->precision;
	s->recall += m->recall;
	s->ndcg += m->ndcg;
	s->ap += m->ap;
}

double
effective_catalog_size(double *plays, int64 n)
{
	double		total = 0.0,
				acc = 0.0;

	for (int64 i = 0; i < n; i++)
		total += plays[i];
	if (!(total > 0.0))
		return NAN;
	qsort(plays, n, sizeof(double), CmpDoubleDesc);
	for (int64 i = 0; i < n; i++)
		acc += (double) (i + 1) * (plays[i] / total);
	return 2.0 * acc - 1.0;
}


double
holdout_uniform(int64 user_id, int64 title_id, int64 seed)
{
	uint64		h = nf_mix64((uint64) seed);

	h = nf_mix64(h ^ (uint64) user_id);
	h = nf_mix64(h ^ (uint64) title_id);
	/* top 53 bits -> [0, 1) */
	return (double) (h >> 11) * (1.0 / 9007199254740992.0);
}
