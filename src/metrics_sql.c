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
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
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

/*
 * The final values of the catalog tallies, shared by the 0.1.0 entry
 * points (internal state) and the tally_state ones.
 */
static Datum
TallyCoverage(FunctionCallInfo fcinfo, TitleTally *t)
{
	if (t->catalog_size == 0)
		PG_RETURN_NULL();
	if (t->used > t->catalog_size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("catalog_size " INT64_FORMAT " is smaller than the " INT64_FORMAT " distinct titles seen",
						t->catalog_size, t->used)));
	PG_RETURN_FLOAT8((double) t->used / t->catalog_size);
}

static Datum
TallyEcs(FunctionCallInfo fcinfo, TitleTally *t)
{
	double	   *plays,
				ecs;
	int64		m = 0;

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

PG_FUNCTION_INFO_V1(tally_coverage_final);
Datum
tally_coverage_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	return TallyCoverage(fcinfo, (TitleTally *) PG_GETARG_POINTER(0));
}

PG_FUNCTION_INFO_V1(tally_ecs_final);
Datum
tally_ecs_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	return TallyEcs(fcinfo, (TitleTally *) PG_GETARG_POINTER(0));
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

/* ------------------------------------------------------------------ */
/* nfrec.tally_state: the tally as a real (non-pseudo) state type      */
/* ------------------------------------------------------------------ */
/*
 * Citus splits an aggregate into worker partials and a coordinator
 * combine only when its state type is a real type with a text form, so the
 * catalog aggregates keep their TitleTally in an expanded object (updated
 * in place row after row, as the internal state was) whose flat form is
 * the bytes tally_serialize made: int64 catalog_size, int64 n, n pairs of
 * (int64 title_id, float8 weight), network byte order.  The text form is
 * "catalog_size;id=w;id=w..." with the ids ascending and each weight in
 * its shortest exact decimal, so text round trips are lossless.
 */

typedef struct TallyEOH
{
	ExpandedObjectHeader hdr;
	TitleTally *t;
	bytea	   *flat;			/* cached flat form, NULL after a change */
} TallyEOH;

static Size TallyEOHFlatSize(ExpandedObjectHeader *eohptr);
static void TallyEOHFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods TallyEOHMethods = {
	TallyEOHFlatSize,
	TallyEOHFlatten
};

static bytea *
TallyToFlat(TitleTally *t, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
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
	MemoryContextSwitchTo(old);
	return pq_endtypsend(&buf);
}

static Size
TallyEOHFlatSize(ExpandedObjectHeader *eohptr)
{
	TallyEOH   *e = (TallyEOH *) eohptr;

	if (e->flat == NULL)
		e->flat = TallyToFlat(e->t, e->hdr.eoh_context);
	return VARSIZE(e->flat);
}

static void
TallyEOHFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	TallyEOH   *e = (TallyEOH *) eohptr;

	Assert(e->flat != NULL && allocated_size == VARSIZE(e->flat));
	memcpy(result, e->flat, allocated_size);
}

static void
TallyBadFlat(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary data for type tally_state")));
}

/* A tally from flat bytes (validated: they may come from a client). */
static TitleTally *
TallyFromBytes(const char *data, int len, MemoryContext cxt)
{
	StringInfoData buf;
	TitleTally *t;
	int64		size,
				n,
				cap = 1024;

	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	if (len < 16)
		TallyBadFlat();
	size = pq_getmsgint64(&buf);
	n = pq_getmsgint64(&buf);
	if (size < 0 || n < 0 || n != (len - 16) / 16 || (len - 16) % 16 != 0)
		TallyBadFlat();
	while (cap < 2 * n + 2)
		cap *= 2;
	t = TallyCreate(cxt, cap);
	t->catalog_size = size;
	for (int64 j = 0; j < n; j++)
	{
		int64		id = pq_getmsgint64(&buf);
		double		w = pq_getmsgfloat8(&buf);

		if (isnan(w) || w < 0.0)
			TallyBadFlat();
		TallyAdd(t, id, w);
	}
	if (t->used != n)
		TallyBadFlat();			/* a title twice */
	return t;
}

/* A new expanded tally under parent: empty, or read from flat bytes. */
static TallyEOH *
TallyEOHCreate(MemoryContext parent, const char *data, int len)
{
	MemoryContext objcxt = AllocSetContextCreate(parent, "nfrec tally_state",
												 ALLOCSET_DEFAULT_SIZES);
	TallyEOH   *e = MemoryContextAllocZero(objcxt, sizeof(TallyEOH));

	EOH_init_header(&e->hdr, &TallyEOHMethods, objcxt);
	e->t = data ? TallyFromBytes(data, len, objcxt) : TallyCreate(objcxt, 1024);
	return e;
}

/* The tally behind a tally_state datum, read-only. */
static TitleTally *
TallyOfDatum(Datum d)
{
	struct varlena *p = (struct varlena *) DatumGetPointer(d);

	if (VARATT_IS_EXTERNAL_EXPANDED(p))
	{
		ExpandedObjectHeader *eoh = DatumGetEOHP(d);

		if (eoh->eoh_methods == &TallyEOHMethods)
			return ((TallyEOH *) eoh)->t;
	}
	p = PG_DETOAST_DATUM_PACKED(d);
	return TallyFromBytes(VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p), CurrentMemoryContext);
}

/* The transition state: argument 0 updated in place, or a new one. */
static TallyEOH *
TallyStateArg(FunctionCallInfo fcinfo)
{
	MemoryContext aggcxt;
	Datum		d;

	/* called directly (not by an aggregate): the caller's memory context */
	if (!AggCheckCallContext(fcinfo, &aggcxt))
		aggcxt = CurrentMemoryContext;
	if (PG_ARGISNULL(0))
		return TallyEOHCreate(aggcxt, NULL, 0);
	d = PG_GETARG_DATUM(0);
	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &TallyEOHMethods)
	{
		TallyEOH   *e = (TallyEOH *) DatumGetEOHP(d);

		if (e->flat)
		{
			pfree(e->flat);
			e->flat = NULL;
		}
		return e;
	}
	{
		struct varlena *p = PG_DETOAST_DATUM_PACKED(d);

		return TallyEOHCreate(aggcxt, VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p));
	}
}

#define TALLY_RETURN(e) PG_RETURN_DATUM(EOHPGetRWDatum(&(e)->hdr))

PG_FUNCTION_INFO_V1(tally_state_add);
Datum
tally_state_add(PG_FUNCTION_ARGS)
{
	TallyEOH   *e = TallyStateArg(fcinfo);

	if (!PG_ARGISNULL(1))
		TallyAdd(e->t, PG_GETARG_INT64(1), 1.0);
	TALLY_RETURN(e);
}

PG_FUNCTION_INFO_V1(tally_state_add_weighted);
Datum
tally_state_add_weighted(PG_FUNCTION_ARGS)
{
	TallyEOH   *e = TallyStateArg(fcinfo);

	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		double		w = PG_GETARG_FLOAT8(2);

		if (!isfinite(w) || w < 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("plays must be a finite number that is not negative, not %g", w)));
		TallyAdd(e->t, PG_GETARG_INT64(1), w);
	}
	TALLY_RETURN(e);
}

PG_FUNCTION_INFO_V1(tally_state_add_coverage);
Datum
tally_state_add_coverage(PG_FUNCTION_ARGS)
{
	TallyEOH   *e = TallyStateArg(fcinfo);

	if (!PG_ARGISNULL(2))
	{
		int64		c = PG_GETARG_INT64(2);

		if (c < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("catalog_size must be at least 1, not " INT64_FORMAT, c)));
		e->t->catalog_size = Max(e->t->catalog_size, c);
	}
	if (!PG_ARGISNULL(1))
		TallyAdd(e->t, PG_GETARG_INT64(1), 1.0);
	TALLY_RETURN(e);
}

PG_FUNCTION_INFO_V1(tally_state_combine);
Datum
tally_state_combine(PG_FUNCTION_ARGS)
{
	TallyEOH   *a;
	TitleTally *b;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		TALLY_RETURN(TallyStateArg(fcinfo));
	}
	a = TallyStateArg(fcinfo);
	b = TallyOfDatum(PG_GETARG_DATUM(1));
	a->t->catalog_size = Max(a->t->catalog_size, b->catalog_size);
	for (int64 j = 0; j < b->cap; j++)
	{
		if ((j & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		if (b->full[j])
			TallyAdd(a->t, b->keys[j], b->vals[j]);
	}
	TALLY_RETURN(a);
}

PG_FUNCTION_INFO_V1(tally_state_coverage_final);
Datum
tally_state_coverage_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	return TallyCoverage(fcinfo, TallyOfDatum(PG_GETARG_DATUM(0)));
}

PG_FUNCTION_INFO_V1(tally_state_ecs_final);
Datum
tally_state_ecs_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	return TallyEcs(fcinfo, TallyOfDatum(PG_GETARG_DATUM(0)));
}

/* text form ----------------------------------------------------------- */

static int
cmp_int64_pair(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return (x > y) - (x < y);
}

PG_FUNCTION_INFO_V1(tally_state_out);
Datum
tally_state_out(PG_FUNCTION_ARGS)
{
	TitleTally *t = TallyOfDatum(PG_GETARG_DATUM(0));
	StringInfoData s;
	int64	   *ids = palloc_extended(sizeof(int64) * 2 * Max(t->used, 1), MCXT_ALLOC_HUGE);
	int64		m = 0;
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

	for (int64 j = 0; j < t->cap; j++)
		if (t->full[j])
		{
			ids[2 * m] = t->keys[j];
			memcpy(&ids[2 * m + 1], &t->vals[j], sizeof(double));
			m++;
		}
	qsort(ids, m, 2 * sizeof(int64), cmp_int64_pair);
	initStringInfo(&s);
	appendStringInfo(&s, INT64_FORMAT, t->catalog_size);
	for (int64 j = 0; j < m; j++)
	{
		double		w;

		memcpy(&w, &ids[2 * j + 1], sizeof(double));
		double_to_shortest_decimal_buf(w, num);
		appendStringInfo(&s, ";" INT64_FORMAT "=%s", ids[2 * j], num);
	}
	PG_RETURN_CSTRING(s.data);
}

static void
TallyBadText(const char *str)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", "tally_state", str),
			 errdetail("The text form is catalog_size;title_id=weight;... with weights not negative and each title once.")));
}

static int64
TallyParseInt(const char *str, const char **p)
{
	char	   *end;
	long long	v;

	errno = 0;
	if (!(**p == '-' || (**p >= '0' && **p <= '9')))
		TallyBadText(str);
	v = strtoll(*p, &end, 10);
	if (errno != 0 || end == *p)
		TallyBadText(str);
	*p = end;
	return (int64) v;
}

PG_FUNCTION_INFO_V1(tally_state_in);
Datum
tally_state_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	const char *p = str;
	TitleTally *t = TallyCreate(CurrentMemoryContext, 1024);
	int64		n = 0;

	t->catalog_size = TallyParseInt(str, &p);
	if (t->catalog_size < 0)
		TallyBadText(str);
	while (*p == ';')
	{
		int64		id;
		double		w;
		char	   *end;

		p++;
		id = TallyParseInt(str, &p);
		if (*p++ != '=')
			TallyBadText(str);
		if (!(*p == '-' || *p == '.' || *p == 'I' || (*p >= '0' && *p <= '9')))
			TallyBadText(str);
		w = strtod(p, &end);
		if (end == p || isnan(w) || w < 0.0)
			TallyBadText(str);
		p = end;
		TallyAdd(t, id, w);
		if (t->used != ++n)
			TallyBadText(str);
	}
	if (*p != '\0')
		TallyBadText(str);
	PG_RETURN_POINTER(TallyToFlat(t, CurrentMemoryContext));
}

PG_FUNCTION_INFO_V1(tally_state_send);
Datum
tally_state_send(PG_FUNCTION_ARGS)
{
	TitleTally *t = TallyOfDatum(PG_GETARG_DATUM(0));

	PG_RETURN_BYTEA_P(TallyToFlat(t, CurrentMemoryContext));
}

PG_FUNCTION_INFO_V1(tally_state_recv);
Datum
tally_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	TitleTally *t = TallyFromBytes(buf->data + buf->cursor, len, CurrentMemoryContext);

	buf->cursor = buf->len;
	PG_RETURN_POINTER(TallyToFlat(t, CurrentMemoryContext));
}
