/*
 * metrics.h -- ranking-quality and catalog metrics on plain arrays
 * (no PostgreSQL calls).  Definitions (libraries disagree; these are
 * nfrec's, documented in doc/serve.md):
 *
 *   hits@k     relevant titles among the first k recommended, each
 *              relevant title credited once (a repeated title in the
 *              list takes its slot but earns nothing)
 *   precision  hits@k / k            (k, not the list length)
 *   recall     hits@k / |relevant|
 *   ndcg       DCG / IDCG, DCG = sum over hit ranks r <= k of 1/log2(r+1),
 *              IDCG = sum_{r=1..min(k,|relevant|)} 1/log2(r+1)
 *   AP         (1 / min(k,|relevant|)) sum over hit ranks r <= k of
 *              precision@r
 *
 * With no relevant titles recall, ndcg and AP are undefined (NaN here,
 * NULL in SQL); precision is 0.
 */
#ifndef NFREC_METRICS_H
#define NFREC_METRICS_H

#include "c.h"

typedef struct RankMetrics
{
	int			hits;
	double		precision;
	double		recall;
	double		ndcg;
	double		ap;
} RankMetrics;

/*
 * rel must be sorted ascending without duplicates (see metrics_sort_unique);
 * credited is scratch of nrel bools.
 */
extern void rank_metrics(const int64 *rec, int nrec, const int64 *rel, int nrel,
						 int k, bool *credited, RankMetrics *out);

/* Sort ids ascending and drop duplicates in place; returns the new length. */
extern int	metrics_sort_unique(int64 *ids, int n);

/* Running sums of per-user metrics (users with no relevant title skipped). */
typedef struct MetricsSum
{
	int64		users;
	double		precision;
	double		recall;
	double		ndcg;
	double		ap;
} MetricsSum;

extern void metrics_sum_add(MetricsSum *s, const RankMetrics *m);

/*
 * Effective catalog size (Gomez-Uribe & Hunt 2015): with p_i the share of
 * plays of the i-th most played title (i = 1..n),
 * ECS = 2 sum_i i p_i - 1; 1 when one title takes every play, n when
 * plays are uniform.  plays[] is sorted in place (descending).  Returns
 * NaN when the total is 0.
 */
extern double effective_catalog_size(double *plays, int64 n);

/*
 * A uniform number in [0, 1) from (user, title, seed): a splitmix64 mix,
 * so holdout splits are deterministic, independent of row order, and
 * nested (a row in the test set at fraction f stays there for any larger
 * fraction).
 */
extern double holdout_uniform(int64 user_id, int64 title_id, int64 seed);

#endif
