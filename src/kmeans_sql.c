/*
 * kmeans_sql.c -- SQL glue of nfrec.kmeans (aggregate) and
 * nfrec.closest_centroid.  The clustering is in kmeans.c.
 *
 * The aggregate keeps the vectors in a growable array (partial states
 * serialize and concatenate, so it runs under parallel query) and
 * clusters them in the final function, after sorting the rows: the same
 * set of rows and options always gives the same centroids, whatever the
 * row order or the parallel plan.  NULL vectors are skipped; NULL, NaN or
 * infinite elements are errors.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "aggstate.h"
#include "kmeans.h"
#include "pgutil.h"
#include "stats_state.h"

enum
{
	OPT_SEED,
	OPT_MAX_ITER,
	OPT_TOL,
	OPT_N_INIT,
	NUM_KMEANS_OPTS
};

static const NfOption kmeans_opts[NUM_KMEANS_OPTS] = {
	{"seed", NF_OPT_INT64, 0, 0, false, NULL, STATS_OPT_I(OPT_SEED)},
	{"max_iter", NF_OPT_INT64, 1, 100000, false, NULL, STATS_OPT_I(OPT_MAX_ITER)},
	{"tol", NF_OPT_REAL, 0.0, 1e300, false, NULL, STATS_OPT_F(OPT_TOL)},
	{"n_init", NF_OPT_INT64, 1, 1000, false, NULL, STATS_OPT_I(OPT_N_INIT)},
};

typedef struct KmeansState
{
	StatsRows	rows;
	int32		k;				/* 0 until the first row */
	StatsAggOptions opts;
} KmeansState;

static KmeansState *
KmeansStateNew(MemoryContext cxt)
{
	KmeansState *st = MemoryContextAllocZero(cxt, sizeof(KmeansState));

	stats_rows_init(&st->rows, cxt, false);
	st->opts.v[OPT_SEED].i = 0;
	st->opts.v[OPT_MAX_ITER].i = 300;
	st->opts.v[OPT_TOL].f = 1e-4;
	st->opts.v[OPT_N_INIT].i = KMEANS_DEFAULT_N_INIT;
	return st;
}

static void
CheckK(KmeansState *st, int32 k)
{
	nf_check_count(k, "k");
	if (st->k == 0)
		st->k = k;
	else if (st->k != k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k of kmeans must be the same in every row")));
}

PG_FUNCTION_INFO_V1(kmeans_accum);
Datum
kmeans_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	KmeansState *st;
	const double *v;
	int			n;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "kmeans_accum called in non-aggregate context");
	st = PG_ARGISNULL(0) ? KmeansStateNew(aggcxt) : (KmeansState *) PG_GETARG_POINTER(0);

	nf_arg_not_null(fcinfo, 2, "k");
	CheckK(st, PG_GETARG_INT32(2));

	if (PG_NARGS() > 3)
		stats_agg_options_row(&st->opts, PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3),
							  aggcxt, "kmeans", kmeans_opts, NUM_KMEANS_OPTS);

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	n = stats_float8_vector(PG_GETARG_ARRAYTYPE_P(1), "vector", &v);
	stats_rows_append(&st->rows, v, n, 0, "vector");
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(kmeans_combine);
Datum
kmeans_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	KmeansState *a,
			   *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "kmeans_combine called in non-aggregate context");
	a = PG_ARGISNULL(0) ? NULL : (KmeansState *) PG_GETARG_POINTER(0);
	b = PG_ARGISNULL(1) ? NULL : (KmeansState *) PG_GETARG_POINTER(1);
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = KmeansStateNew(aggcxt); /* b is copied into the aggregate's context */
	stats_agg_options_merge(&a->opts, &b->opts, "kmeans");
	if (b->k != 0)
		CheckK(a, b->k);
	stats_rows_append_rows(&a->rows, &b->rows, "vector");
	PG_RETURN_POINTER(a);
}

/* layout: int32 k, options, rows */
PG_FUNCTION_INFO_V1(kmeans_serial);
Datum
kmeans_serial(PG_FUNCTION_ARGS)
{
	KmeansState *st = (KmeansState *) PG_GETARG_POINTER(0);
	Size		size = sizeof(int32) + STATS_AGG_OPTIONS_SERIAL_SIZE +
		stats_rows_serial_size(&st->rows);
	bytea	   *b = stats_alloc_serial(size, "kmeans");
	char	   *p = VARDATA(b);

	memcpy(p, &st->k, sizeof(int32));
	p = stats_agg_options_write(&st->opts, p + sizeof(int32));
	p = stats_rows_write(&st->rows, p);
	Assert(p == (char *) b + VARSIZE(b));
	PG_RETURN_BYTEA_P(b);
}

PG_FUNCTION_INFO_V1(kmeans_deserial);
Datum
kmeans_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(b);
	const char *end = p + VARSIZE_ANY_EXHDR(b);
	KmeansState *st = KmeansStateNew(CurrentMemoryContext);

	if (end - p < (ptrdiff_t) sizeof(int32))
		elog(ERROR, "serialized kmeans state is truncated");
	memcpy(&st->k, p, sizeof(int32));
	p = stats_agg_options_read(&st->opts, p + sizeof(int32), end);
	p = stats_rows_read(&st->rows, p, end);
	if (p != end || st->k < 0)
		elog(ERROR, "serialized kmeans state is corrupt");
	PG_RETURN_POINTER(st);
}

/*
 * The final function sorts the stored rows in place.  That keeps the state
 * a valid representation of the same set of rows (more rows may still be
 * added, and finalizing again gives the same result), so it is declared
 * READ_ONLY in the sense CREATE AGGREGATE means.
 */
PG_FUNCTION_INFO_V1(kmeans_final);
Datum
kmeans_final(PG_FUNCTION_ARGS)
{
	KmeansState *st;
	KmeansProblem pr;
	KmeansResult res;
	int64		distinct;
	int64		n;
	int			d;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (KmeansState *) PG_GETARG_POINTER(0);
	n = st->rows.n;
	d = st->rows.dim;
	if (n == 0)
		PG_RETURN_NULL();

	distinct = kmeans_sort_rows(st->rows.x, n, d,
								MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * n),
								MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * n),
								palloc(sizeof(double) * d),
								stats_check_interrupts);
	if (st->k > distinct)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k (%d) is larger than the number of distinct vectors (" INT64_FORMAT ")",
						st->k, distinct),
				 errdetail("There are " INT64_FORMAT " vectors, " INT64_FORMAT " of them distinct.",
						   n, distinct)));

	pr.x = st->rows.x;
	pr.n = n;
	pr.d = d;
	pr.k = st->k;
	pr.seed = (uint64) st->opts.v[OPT_SEED].i;
	pr.max_iter = (int) st->opts.v[OPT_MAX_ITER].i;
	pr.tol = st->opts.v[OPT_TOL].f;
	pr.n_init = (int) st->opts.v[OPT_N_INIT].i;
	res.centroids = palloc(sizeof(double) * pr.k * d);
	kmeans_fit(&pr, &res,
			   MemoryContextAllocHuge(CurrentMemoryContext,
									  sizeof(double) * kmeans_work_doubles(n, d, pr.k)),
			   MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * n),
			   stats_check_interrupts);
	PG_RETURN_ARRAYTYPE_P(nf_float8_matrix(res.centroids, pr.k, d));
}

/* A k x d centroids argument: two-dimensional, no NULLs, finite. */
static const double *
CentroidsArg(ArrayType *c, int *k, int *d)
{
	const double *cv;

	if (ARR_NDIM(c) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("centroids must be a two-dimensional array"),
				 errdetail_plural("The array has %d dimension.", "The array has %d dimensions.",
								  ARR_NDIM(c), ARR_NDIM(c)),
				 errhint("Pass the k x d array returned by nfrec.kmeans.")));
	nf_array_no_nulls(c, "centroids");
	*k = ARR_DIMS(c)[0];
	*d = ARR_DIMS(c)[1];
	cv = (const double *) ARR_DATA_PTR(c);
	for (Size i = 0; i < (Size) *k * *d; i++)
		if (!isfinite(cv[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("centroids must not contain NaN or infinite values")));
	return cv;
}

static void
CheckVectorDim(int n, int d)
{
	if (d != n)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", n, d),
				 errdetail("The centroids have %d dimensions.", d)));
}

PG_FUNCTION_INFO_V1(closest_centroid);
Datum
closest_centroid(PG_FUNCTION_ARGS)
{
	const double *v;
	int			n = stats_float8_vector(PG_GETARG_ARRAYTYPE_P(0), "vector", &v);
	int			k,
				d;
	const double *cv = CentroidsArg(PG_GETARG_ARRAYTYPE_P(1), &k, &d);

	CheckVectorDim(n, d);
	PG_RETURN_INT32(kmeans_nearest(cv, k, d, v, NULL) + 1);
}

/* ---------------------------------------------------------------------
 * kmeans_step: one Lloyd iteration as an aggregate that splits
 *
 * nfrec.kmeans keeps every row (k-means++ seeding and the restarts need
 * them all), so it cannot run as partials.  kmeans_step(v, centroids)
 * does one Lloyd iteration for given centroids: the state holds, per
 * cluster, the number of rows nearest to its centroid and their sum, which
 * add up across shards; the final function returns the new centroids (the
 * means; a cluster no row chose keeps its centroid).  A driver iterates it
 * (doc/scale.md), each pass a worker-partial / coordinator-combine query.
 *
 * State nfrec.kmeans_state, text form "d;centroid:count:sum;..." one
 * segment per cluster (k of them), vectors as comma-separated shortest
 * exact decimals.  Binary form: int32 k, int32 d, then per cluster d
 * float8 centroid, int64 count, d float8 sum.
 * --------------------------------------------------------------------- */

typedef struct KmeansStep
{
	int32		k;				/* 0: no row yet */
	int32		d;
	double	   *cent;			/* k x d */
	int64	   *count;			/* k */
	double	   *sum;			/* k x d */
	MemoryContext cxt;
} KmeansStep;

static void *
StepCreate(MemoryContext cxt)
{
	KmeansStep *st = MemoryContextAllocZero(cxt, sizeof(KmeansStep));

	st->cxt = cxt;
	return st;
}

static void
StepSetup(KmeansStep *st, int k, int d, const double *cent)
{
	st->k = k;
	st->d = d;
	st->cent = MemoryContextAllocHuge(st->cxt, sizeof(double) * k * d);
	st->count = MemoryContextAllocZero(st->cxt, sizeof(int64) * k);
	st->sum = MemoryContextAllocHuge(st->cxt, sizeof(double) * k * d);
	memcpy(st->cent, cent, sizeof(double) * k * d);
	memset(st->sum, 0, sizeof(double) * k * d);
}

static bytea *
StepFlatten(const void *p)
{
	const KmeansStep *st = p;
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, st->k);
	pq_sendint32(&buf, st->d);
	for (int c = 0; c < st->k; c++)
	{
		for (int j = 0; j < st->d; j++)
			pq_sendfloat8(&buf, st->cent[(Size) c * st->d + j]);
		pq_sendint64(&buf, st->count[c]);
		for (int j = 0; j < st->d; j++)
			pq_sendfloat8(&buf, st->sum[(Size) c * st->d + j]);
	}
	return pq_endtypsend(&buf);
}

static void *StepRead(const char *data, int len, MemoryContext cxt);

static const NfStateType KmeansStepType = {"kmeans_state", StepCreate, StepFlatten, StepRead};

/* largest k * d a state may have (the centroids fit in 1 GB) */
#define STEP_MAX_CELLS	((int64) (MaxAllocSize / sizeof(double)))

static void *
StepRead(const char *data, int len, MemoryContext cxt)
{
	StringInfoData buf;
	KmeansStep *st = StepCreate(cxt);
	int32		k,
				d;

	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	if (len < 8)
		nf_state_bad_binary(&KmeansStepType);
	k = pq_getmsgint(&buf, 4);
	d = pq_getmsgint(&buf, 4);
	if (k < 1 || d < 1 || (int64) k * d > STEP_MAX_CELLS ||
		(int64) len - 8 != (int64) k * (16 * (int64) d + 8))
		nf_state_bad_binary(&KmeansStepType);
	st->k = k;
	st->d = d;
	st->cent = MemoryContextAllocHuge(cxt, sizeof(double) * k * d);
	st->count = MemoryContextAllocZero(cxt, sizeof(int64) * k);
	st->sum = MemoryContextAllocHuge(cxt, sizeof(double) * k * d);
	for (int c = 0; c < k; c++)
	{
		for (int j = 0; j < d; j++)
			st->cent[(Size) c * d + j] = pq_getmsgfloat8(&buf);
		st->count[c] = pq_getmsgint64(&buf);
		for (int j = 0; j < d; j++)
			st->sum[(Size) c * d + j] = pq_getmsgfloat8(&buf);
		if (st->count[c] < 0)
			nf_state_bad_binary(&KmeansStepType);
		for (int j = 0; j < d; j++)
			if (!isfinite(st->cent[(Size) c * d + j]) || isnan(st->sum[(Size) c * d + j]))
				nf_state_bad_binary(&KmeansStepType);
	}
	return st;
}

static void pg_attribute_noreturn()
StepCentroidsDiffer(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("centroids of kmeans_step must be the same in every row")));
}

static void
StepSameCentroids(const KmeansStep *st, int k, int d, const double *cent)
{
	if (st->k != k || st->d != d ||
		memcmp(st->cent, cent, sizeof(double) * k * d) != 0)
		StepCentroidsDiffer();
}

PG_FUNCTION_INFO_V1(kmeans_step_accum);
Datum
kmeans_step_accum(PG_FUNCTION_ARGS)
{
	NfStateEOH *e;
	KmeansStep *st;
	const double *v,
			   *cent;
	int			n,
				k,
				d,
				c;
	double	   *s;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		NF_STATE_RETURN(nf_state_arg(fcinfo, &KmeansStepType));
	}
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("centroids of kmeans_step must not be null")));
	n = stats_float8_vector(PG_GETARG_ARRAYTYPE_P(1), "vector", &v);
	e = nf_state_arg(fcinfo, &KmeansStepType);
	st = e->st;
	if (st->k == 0)
	{
		cent = CentroidsArg(PG_GETARG_ARRAYTYPE_P(2), &k, &d);
		StepSetup(st, k, d, cent);
	}
	else
	{
		/* the same bytes as the first row's (so finite, no NULLs) */
		ArrayType  *a = PG_GETARG_ARRAYTYPE_P(2);

		if (ARR_NDIM(a) != 2 || ARR_HASNULL(a) ||
			ARR_DIMS(a)[0] != st->k || ARR_DIMS(a)[1] != st->d)
			StepCentroidsDiffer();
		StepSameCentroids(st, st->k, st->d, (const double *) ARR_DATA_PTR(a));
	}
	CheckVectorDim(n, st->d);
	c = kmeans_nearest(st->cent, st->k, st->d, v, NULL);
	st->count[c]++;
	s = st->sum + (Size) c * st->d;
	for (int j = 0; j < st->d; j++)
		s[j] += v[j];
	NF_STATE_RETURN(e);
}

PG_FUNCTION_INFO_V1(kmeans_step_combine);
Datum
kmeans_step_combine(PG_FUNCTION_ARGS)
{
	NfStateEOH *e;
	KmeansStep *a,
			   *b;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		NF_STATE_RETURN(nf_state_arg(fcinfo, &KmeansStepType));
	}
	e = nf_state_arg(fcinfo, &KmeansStepType);
	a = e->st;
	b = nf_state_of_datum(PG_GETARG_DATUM(1), &KmeansStepType);
	if (b->k == 0)
		NF_STATE_RETURN(e);
	if (a->k == 0)
		StepSetup(a, b->k, b->d, b->cent);
	else
		StepSameCentroids(a, b->k, b->d, b->cent);
	for (int c = 0; c < a->k; c++)
		a->count[c] += b->count[c];
	for (Size i = 0; i < (Size) a->k * a->d; i++)
		a->sum[i] += b->sum[i];
	NF_STATE_RETURN(e);
}

PG_FUNCTION_INFO_V1(kmeans_step_final);
Datum
kmeans_step_final(PG_FUNCTION_ARGS)
{
	KmeansStep *st;
	double	   *out;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = nf_state_of_datum(PG_GETARG_DATUM(0), &KmeansStepType);
	if (st->k == 0)
		PG_RETURN_NULL();
	out = palloc(sizeof(double) * st->k * st->d);
	for (int c = 0; c < st->k; c++)
		for (int j = 0; j < st->d; j++)
		{
			Size		i = (Size) c * st->d + j;

			out[i] = st->count[c] > 0 ? st->sum[i] / (double) st->count[c] : st->cent[i];
		}
	PG_RETURN_ARRAYTYPE_P(nf_float8_matrix(out, st->k, st->d));
}

#define STEP_FORM "The text form is d;centroid:count:sum;... with one segment per cluster, vectors of d comma-separated finite numbers and counts not negative."

PG_FUNCTION_INFO_V1(kmeans_state_out);
Datum
kmeans_state_out(PG_FUNCTION_ARGS)
{
	KmeansStep *st = nf_state_of_datum(PG_GETARG_DATUM(0), &KmeansStepType);
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "%d", st->d);
	for (int c = 0; c < st->k; c++)
	{
		appendStringInfoChar(&s, ';');
		nf_state_append_float8s(&s, st->cent + (Size) c * st->d, st->d);
		appendStringInfo(&s, ":" INT64_FORMAT ":", st->count[c]);
		nf_state_append_float8s(&s, st->sum + (Size) c * st->d, st->d);
	}
	PG_RETURN_CSTRING(s.data);
}

PG_FUNCTION_INFO_V1(kmeans_state_in);
Datum
kmeans_state_in(PG_FUNCTION_ARGS)
{
	NfStateText t = {&KmeansStepType, PG_GETARG_CSTRING(0), STEP_FORM, NULL};
	int64		d;
	int			k = 0,
				cap = 1;
	double	   *cent,
			   *sum;
	int64	   *count;
	KmeansStep *st = StepCreate(CurrentMemoryContext);

	t.p = t.str;
	d = nf_state_parse_count(&t);
	if (d < 1 || d > STEP_MAX_CELLS)
		nf_state_bad(&t);
	cent = palloc(sizeof(double) * cap * d);
	sum = palloc(sizeof(double) * cap * d);
	count = palloc(sizeof(int64) * cap);
	while (*t.p == ';')
	{
		t.p++;
		if (k == cap)
		{
			if ((int64) cap * 2 * d > STEP_MAX_CELLS)
				nf_state_bad(&t);
			cap *= 2;
			cent = repalloc(cent, sizeof(double) * cap * d);
			sum = repalloc(sum, sizeof(double) * cap * d);
			count = repalloc(count, sizeof(int64) * cap);
		}
		nf_state_parse_float8s(&t, cent + (Size) k * d, d);
		for (int j = 0; j < d; j++)
			if (!isfinite(cent[(Size) k * d + j]))
				nf_state_bad(&t);
		nf_state_expect(&t, ':');
		count[k] = nf_state_parse_count(&t);
		nf_state_expect(&t, ':');
		nf_state_parse_float8s(&t, sum + (Size) k * d, d);
		k++;
	}
	nf_state_expect_end(&t);
	if (k == 0)
		nf_state_bad(&t);
	StepSetup(st, k, d, cent);
	memcpy(st->count, count, sizeof(int64) * k);
	memcpy(st->sum, sum, sizeof(double) * k * d);
	PG_RETURN_POINTER(StepFlatten(st));
}

PG_FUNCTION_INFO_V1(kmeans_state_send);
Datum
kmeans_state_send(PG_FUNCTION_ARGS)
{
	return nf_state_send(fcinfo, &KmeansStepType);
}

PG_FUNCTION_INFO_V1(kmeans_state_recv);
Datum
kmeans_state_recv(PG_FUNCTION_ARGS)
{
	return nf_state_recv(fcinfo, &KmeansStepType);
}
