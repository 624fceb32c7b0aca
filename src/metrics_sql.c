/*
 * metrics_sql.c -- SQL glue of metrics.c: precision/recall/ndcg/AP at k,
 * the catalog_coverage and effective_catalog_size aggregates, and the
 * holdout split helper.
 *
 * The aggregates share one transition state: a hash table title_id ->
 * plays (open addressing, in the aggregate context), with combine,
 * serialize and deserialize functions so parallel query can split the
 * scan.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "metrics.h"
#include "pgutil.h"

/* ------------------------------------------------------------------ */
/* ranking metrics                                                     */
/* ------------------------------------------------------------------ */

static int
IdList(ArrayType *a, const char *what, int64 **ids)
{
	void	   *data;
	int			n;

	if (ARR_NDIM(a) == 0)
	{
		*ids = NULL;
		return 0;
	}
	n = nf_vector_array(a, INT8OID, what, &data);
	*ids = (int64 *) data;
	return n;
}

static bool
ComputeRankMetrics(FunctionCallInfo fcinfo, RankMetrics *m)
{
	ArrayType  *reca = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *rela = PG_GETARG_ARRAYTYPE_P_COPY(1);
	int32		k = PG_GETARG_INT32(2);
	int64	   *rec,
			   *rel;
	int			nrec,
				nrel;

	nf_check_count(k, "k");
	nrec = IdList(reca, "recommended", &rec);
	nrel = IdList(rela, "relevant", &rel);
	nrel = metrics_sort_unique(rel, nrel);
	rank_metrics(rec, nrec, rel, nrel, k, palloc(sizeof(bool) * Max(nrel, 1)), m);
	return nrel > 0;
}

PG_FUNCTION_INFO_V1(precision_at_k);
Datum
precision_at_k(PG_FUNCTION_ARGS)
{
	RankMetrics m;

	ComputeRankMetrics(fcinfo, &m);
	PG_RETURN_FLOAT8(m.precision);
}

PG_FUNCTION_INFO_V1(recall_at_k);
Datum
recall_at_k(PG_FUNCTION_ARGS)
{
	RankMetrics m;

	if (!ComputeRankMetrics(fcinfo, &m))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(m.recall);
}

PG_FUNCTION_INFO_V1(ndcg_at_k);
Datum
ndcg_at_k(PG_FUNCTION_ARGS)
{
	RankMetrics m;

	if (!ComputeRankMetrics(fcinfo, &m))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(m.ndcg);
}

PG_FUNCTION_INFO_V1(average_precision_at_k);
Datum
average_precision_at_k(PG_FUNCTION_ARGS)
{
	RankMetrics m;

	if (!ComputeRankMetrics(fcinfo, &m))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(m.ap);
}

/* ------------------------------------------------------------------ */
/* title tally: the state of catalog_coverage / effective_catalog_size */
/* ------------------------------------------------------------------ */

typedef struct TitleTally
{
	int64		catalog_size;	/* largest catalog_size seen, 0 if none */
	int64		used;
	int64		cap;			/* power of two */
	int64	   *keys;
	double	   *vals;
	bool	   *full;
} TitleTally;

static inline uint64
HashId(int64 id)
{
	uint64		z = (uint64) id * UINT64CONST(0x9E3779B97F4A7C15);

	return z ^ (z >> 29);
}

static TitleTally *
TallyCreate(MemoryContext cxt, int64 cap)
{
	TitleTally *t = MemoryContextAllocZero(cxt, sizeof(TitleTally));

	t->cap = cap;
	t->keys = MemoryContextAllocHuge(cxt, sizeof(int64) * cap);
	t->vals = MemoryContextAllocHuge(cxt, sizeof(double) * cap);
	t->full = MemoryContextAllocHuge(cxt, sizeof(bool) * cap);
	memset(t->full, 0, sizeof(bool) * cap);
	return t;
}

static void TallyAdd(TitleTally *t, int64 id, double v);

static void
TallyGrow(TitleTally *t)
{
	MemoryContext cxt = GetMemoryChunkContext(t);
	int64	   *keys = t->keys;
	double	   *vals = t->vals;
	bool	   *full = t->full;
	int64		cap = t->cap;

	t->cap = cap * 2;
	t->used = 0;
	t->keys = MemoryContextAllocHuge(cxt, sizeof(int64) * t->cap);
	t->vals = MemoryContextAllocHuge(cxt, sizeof(double) * t->cap);
	t->full = MemoryContextAllocHuge(cxt, sizeof(bool) * t->cap);
	memset(t->full, 0, sizeof(bool) * t->cap);
	for (int64 j = 0; j < cap; j++)
		if (full[j])
			TallyAdd(t, keys[j], vals[j]);
	pfree(keys);
	pfree(vals);
	pfree(full);
}

static void
TallyAdd(TitleTally *t, int64 id, double v)
{
	uint64		mask = (uint64) t->cap - 1;
	uint64		h = HashId(id) & mask;

	while (t->full[h])
	{
		if (t->keys[h] == id)
		{
			t->vals[h] += v;
			return;
		}
		h = (h + 1) & mask;
	}
	t->full[h] = true;
	t->keys[h] = id;
	t->vals[h] = v;
	if (++t->used * 2 > t->cap)
		TallyGrow(t);
}

static TitleTally *
TallyState(FunctionCallInfo fcinfo)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "aggregate function called in non-aggregate context");
	if (PG_ARGISNULL(0))
		return TallyCreate(aggcxt, 1024);
	return (TitleTally *) PG_GETARG_POINTER(0);
}

PG_FUNCTION_INFO_V1(tally_add);
Datum
tally_add(PG_FUNCTION_ARGS)
{
	TitleTally *t = TallyState(fcinfo);

	if (!PG_ARGISNULL(1))
		TallyAdd(t, PG_GETARG_INT64(1), 1.0);
	PG_RETURN_POINTER(t);
}

PG_FUNCTION_INFO_V1(tally_add_weighted);
Datum
tally_add_weighted(PG_FUNCTION_ARGS)
{
	TitleTally *t = TallyState(fcinfo);

	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		double		w = PG_GETARG_FLOAT8(2);

		if (!isfinite(w) || w < 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("plays must be a finite number that is not negative, not %g", w)));
		TallyAdd(t, PG_GETARG_INT64(1), w);
	}
	PG_RETURN_POINTER(t);
}

PG_FUNCTION_INFO_V1(tally_add_coverage);
Datum
tally_add_coverage(PG_FUNCTION_ARGS)
{
	TitleTally *t = TallyState(fcinfo);

	if (!PG_ARGISNULL(2))
	{
		int64		c = PG_GETARG_INT64(2);

		if (c < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("catalog_size must be at least 1, not " INT64_FORMAT, c)));
		t->catalog_size = Max(t->catalog_size, c);
	}
	if (!PG_ARGISNULL(1))
		TallyAdd(t, PG_GETARG_INT64(1), 1.0);
	PG_RETURN_POINTER(t);
}

PG_FUNCTION_INFO_V1(tally_combine);
Datum
tally_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	TitleTally *a,
			   *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "aggregate function called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	b = (TitleTally *) PG_GETARG_POINTER(1);
	a = PG_ARGISNULL(0) ? TallyCreate(aggcxt, 1024) : (TitleTally *) PG_GETARG_POINTER(0);
	a->catalog_size = Max(a->catalog_size, b->catalog_size);
	for (int64 j = 0; j < b->cap; j++)
		if (b->full[j])
			TallyAdd(a, b->keys[j], b->vals[j]);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(tally_serialize);
Datum
tally_serialize(PG_FUNCTION_ARGS)
{
	TitleTally *t = (TitleTally *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, t->catalog_size);
	pq_sendint64(&buf, t->used);
	for (int64 j = 0; j < t->cap; j++)
		if (t->full[j])
		{
			pq_sendint64(&buf, t->keys[j]);
			pq_sendfloat8(&buf, t->vals[j]);
		}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(tally_deserialize);
Datum
tally_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	StringInfoData buf;
	TitleTally *t;
	int64		n,
				cap = 1024;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "aggregate function called in non-aggregate context");
	/* a read-only StringInfo over the bytea (works on every version) */
	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	{
		int64		size = pq_getmsgint64(&buf);

		n = pq_getmsgint64(&buf);
		while (cap < 2 * n + 2)
			cap *= 2;
		t = TallyCreate(aggcxt, cap);
		t->catalog_size = size;
	}
	for (int64 j = 0; j < n; j++)
	{
		int64		id = pq_getmsgint64(&buf);

		TallyAdd(t, id, pq_getmsgfloat8(&buf));
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(t);
}

PG_FUNCTION_INFO_V1(tally_coverage_final);
Datum
tally_coverage_final(PG_FUNCTION_ARGS)
{
	TitleTally *t;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	t = (TitleTally *) PG_GETARG_POINTER(0);
	if (t->catalog_size == 0)
		PG_RETURN_NULL();
	if (t->used > t->catalog_size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("catalog_size " INT64_FORMAT " is smaller than the " INT64_FORMAT " distinct titles seen",
						t->catalog_size, t->used)));
	PG_RETURN_FLOAT8((double) t->used / t->catalog_size);
}

PG_FUNCTION_INFO_V1(tally_ecs_final);
Datum
tally_ecs_final(PG_FUNCTION_ARGS)
{
	TitleTally *t;
	double	   *plays,
				ecs;
	int64		m = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	t = (TitleTally *) PG_GETARG_POINTER(0);
	plays = palloc_extended(sizeof(double) * Max(t->used, 1), MCXT_ALLOC_HUGE);
	for (int64 j = 0; j < t->cap; j++)
		if (t->full[j])
			plays[m++] = t->vals[j];
	ecs = effective_catalog_size(plays, m);
	pfree(plays);
	if (isnan(ecs))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(ecs);
}

/* ------------------------------------------------------------------ */
/* holdout split                                                       */
/* ------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(holdout);
Datum
holdout(PG_FUNCTION_ARGS)
{
	int64		user_id = PG_GETARG_INT64(0);
	int64		title_id = PG_GETARG_INT64(1);
	double		fraction = PG_GETARG_FLOAT8(2);
	int64		seed = PG_GETARG_INT64(3);

	if (!(fraction >= 0.0 && fraction <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fraction must be between 0 and 1, not %g", fraction)));
	PG_RETURN_BOOL(holdout_uniform(user_id, title_id, seed) < fraction);
}
