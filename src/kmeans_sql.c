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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

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

PG_FUNCTION_INFO_V1(closest_centroid);
Datum
closest_centroid(PG_FUNCTION_ARGS)
{
	const double *v;
	int			n = stats_float8_vector(PG_GETARG_ARRAYTYPE_P(0), "vector", &v);
	ArrayType  *c = PG_GETARG_ARRAYTYPE_P(1);
	const double *cv;
	int			k,
				d;

	if (ARR_NDIM(c) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("centroids must be a two-dimensional array"),
				 errdetail_plural("The array has %d dimension.", "The array has %d dimensions.",
								  ARR_NDIM(c), ARR_NDIM(c)),
				 errhint("Pass the k x d array returned by nfrec.kmeans.")));
	nf_array_no_nulls(c, "centroids");
	k = ARR_DIMS(c)[0];
	d = ARR_DIMS(c)[1];
	cv = (const double *) ARR_DATA_PTR(c);
	for (Size i = 0; i < (Size) k * d; i++)
		if (!isfinite(cv[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("centroids must not contain NaN or infinite values")));
	if (d != n)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", n, d),
				 errdetail("The centroids have %d dimensions.", d)));
	PG_RETURN_INT32(kmeans_nearest(cv, k, d, v, NULL) + 1);
}
