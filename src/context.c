/*
 * context.c -- nfrec.context_rerank: re-rank a scored list of titles for
 * the context of a request (day part x device) with the affinities that
 * nfrec.fit_context stored in nfrec.context_affinity (src/sql/75_context.sql,
 * doc/context.md).
 *
 * The homepage calls this on every request, so the affinities are cached
 * per backend in a child of CacheMemoryContext: one sorted array of
 * (title_id, affinity) per cell.  Table writes send no invalidation, so
 * each call reads the fit's version (one row of nfrec.context_fit, a
 * prepared plan) and reloads only when it changed.  Both tables are read
 * as the caller (they hold per-title aggregates and are readable by
 * PUBLIC), in the calling statement's snapshot.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "model.h"

#define CTX_ANY_DAYPART 4
#define CTX_MAX_WEIGHT 100.0

static const char *const daypart_names[CTX_ANY_DAYPART] = {
	"morning", "afternoon", "evening", "night"
};

typedef struct CtxCell
{
	int			daypart;		/* 0..3, CTX_ANY_DAYPART = any */
	char	   *device;			/* NULL = any device */
	int			n;
	int64	   *ids;			/* sorted */
	float	   *aff;
} CtxCell;

typedef struct CtxCache
{
	bool		loaded;
	int64		version;		/* -1 = no fit */
	int			ncells;
	CtxCell    *cells;
	MemoryContext cxt;
} CtxCache;

static CtxCache ctx_cache = {false, -1, 0, NULL, NULL};
static SPIPlanPtr plan_version = NULL;
static SPIPlanPtr plan_load = NULL;

static SPIPlanPtr
SavedPlan(SPIPlanPtr *slot, const char *sql)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql, 0, NULL);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		*slot = p;
	}
	return *slot;
}

static int
DaypartIndex(const char *s)
{
	for (int i = 0; i < CTX_ANY_DAYPART; i++)
		if (strcmp(s, daypart_names[i]) == 0)
			return i;
	return -1;
}

/* (re)load the cache when the stored fit's version changed */
static void
CtxRefresh(void)
{
	int64		version = -1;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_plan(SavedPlan(&plan_version,
									"SELECT version FROM nfrec.context_fit"),
						  NULL, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading nfrec.context_fit failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			version = DatumGetInt64(d);
	}

	if (!ctx_cache.loaded || version != ctx_cache.version)
	{
		MemoryContext cxt;
		MemoryContext old;
		CtxCell    *cells = NULL;
		int			ncells = 0;
		uint64		nrows = 0;

		if (ctx_cache.cxt)
			MemoryContextDelete(ctx_cache.cxt);
		ctx_cache.cxt = NULL;
		ctx_cache.loaded = false;
		ctx_cache.ncells = 0;
		ctx_cache.cells = NULL;

		if (version >= 0)
		{
			rc = SPI_execute_plan(SavedPlan(&plan_load,
											"SELECT day_part, device, title_id, affinity "
											"FROM nfrec.context_affinity "
											"ORDER BY day_part COLLATE \"C\", device COLLATE \"C\", title_id"),
								  NULL, NULL, true, 0);
			if (rc != SPI_OK_SELECT)
				elog(ERROR, "reading nfrec.context_affinity failed: %s", SPI_result_code_string(rc));
			nrows = SPI_processed;
		}

		if (CacheMemoryContext == NULL)
			CreateCacheMemoryContext();
		cxt = AllocSetContextCreate(CacheMemoryContext, "nfrec context affinities",
									ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(cxt);
		if (nrows > 0)
		{
			TupleDesc	td = SPI_tuptable->tupdesc;
			int			cap = 32;

			cells = palloc0(sizeof(CtxCell) * cap);
			for (uint64 i = 0; i < nrows; i++)
			{
				HeapTuple	tup = SPI_tuptable->vals[i];
				bool		n1,
							n2,
							n3,
							n4;
				Datum		dp = SPI_getbinval(tup, td, 1, &n1);
				Datum		dv = SPI_getbinval(tup, td, 2, &n2);
				int64		id = DatumGetInt64(SPI_getbinval(tup, td, 3, &n3));
				float		a = DatumGetFloat4(SPI_getbinval(tup, td, 4, &n4));
				int			dpi = CTX_ANY_DAYPART;
				char	   *dvs = NULL;
				CtxCell    *c;

				if ((i & 0xFFF) == 0)
					CHECK_FOR_INTERRUPTS();
				if (n3 || n4)
					continue;
				if (!n1)
				{
					char	   *s = TextDatumGetCString(dp);

					dpi = DaypartIndex(s);
					if (dpi < 0)
						continue;	/* not a day part of nfrec.day_part */
				}
				if (!n2)
					dvs = TextDatumGetCString(dv);
				c = ncells > 0 ? &cells[ncells - 1] : NULL;
				if (c == NULL || c->daypart != dpi ||
					(c->device == NULL) != (dvs == NULL) ||
					(dvs != NULL && strcmp(c->device, dvs) != 0))
				{
					if (c != NULL)	/* trim the finished cell */
					{
						c->ids = repalloc(c->ids, sizeof(int64) * Max(c->n, 1));
						c->aff = repalloc(c->aff, sizeof(float) * Max(c->n, 1));
					}
					if (ncells == cap)
					{
						cells = repalloc(cells, sizeof(CtxCell) * cap * 2);
						memset(cells + cap, 0, sizeof(CtxCell) * cap);
						cap *= 2;
					}
					c = &cells[ncells++];
					c->daypart = dpi;
					c->device = dvs;
					/* room for the rest of the rows at most; trimmed below */
					c->ids = palloc(sizeof(int64) * Min(nrows - i, (uint64) MaxAllocSize / sizeof(int64)));
					c->aff = palloc(sizeof(float) * Min(nrows - i, (uint64) MaxAllocSize / sizeof(int64)));
					c->n = 0;
				}
				if (c->n > 0 && c->ids[c->n - 1] == id)
					continue;
				c->ids[c->n] = id;
				c->aff[c->n] = isfinite(a) ? a : 0;
				c->n++;
			}
			if (ncells > 0)
			{
				CtxCell    *c = &cells[ncells - 1];

				c->ids = repalloc(c->ids, sizeof(int64) * Max(c->n, 1));
				c->aff = repalloc(c->aff, sizeof(float) * Max(c->n, 1));
			}
		}
		MemoryContextSwitchTo(old);
		ctx_cache.cxt = cxt;
		ctx_cache.cells = cells;
		ctx_cache.ncells = ncells;
		ctx_cache.version = version;
		ctx_cache.loaded = true;
	}
	SPI_finish();
}

static const CtxCell *
FindCell(int daypart, const char *device)
{
	for (int i = 0; i < ctx_cache.ncells; i++)
	{
		const CtxCell *c = &ctx_cache.cells[i];

		if (c->daypart != daypart)
			continue;
		if (device == NULL ? c->device == NULL : (c->device != NULL && strcmp(c->device, device) == 0))
			return c;
	}
	return NULL;
}

static float
Affinity(const CtxCell *c, int64 id)
{
	int			lo = 0,
				hi = c->n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (c->ids[mid] == id)
			return c->aff[mid];
		if (c->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0;
}

typedef struct Ranked
{
	double		score;
	int			pos;
} Ranked;

static int
CmpRanked(const void *a, const void *b)
{
	const Ranked *x = a,
			   *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->pos - y->pos;
}

PG_FUNCTION_INFO_V1(context_rerank);
Datum
context_rerank(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *ts;
	ArrayType  *ids_a,
			   *sc_a;
	int64	   *ids;
	float4	   *sc;
	int			n;
	bool		have_at = !PG_ARGISNULL(2);
	char	   *device = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	double		weight;
	int			daypart = CTX_ANY_DAYPART;
	const CtxCell *cell = NULL;
	Ranked	   *r;

	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("weight must not be null")));
	weight = PG_GETARG_FLOAT8(4);
	if (!(weight >= 0 && weight <= CTX_MAX_WEIGHT))	/* also NaN */
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight must be between 0 and %g", CTX_MAX_WEIGHT),
				 errdetail("The weight multiplies the log-lift of the context: 0 ignores the context, 1 applies the fitted lift.")));

	ts = nf_begin_srf(fcinfo, &tupdesc);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	ids_a = PG_GETARG_ARRAYTYPE_P(0);
	sc_a = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(ids_a) > 1 || ARR_NDIM(sc_a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("title_ids and scores must be one-dimensional arrays")));
	n = ArrayGetNItems(ARR_NDIM(ids_a), ARR_DIMS(ids_a));
	if (n != ArrayGetNItems(ARR_NDIM(sc_a), ARR_DIMS(sc_a)))
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("title_ids and scores have different lengths %d and %d",
						n, ArrayGetNItems(ARR_NDIM(sc_a), ARR_DIMS(sc_a)))));
	if (array_contains_nulls(ids_a) || array_contains_nulls(sc_a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("title_ids and scores must not contain nulls")));
	if (ARR_ELEMTYPE(ids_a) != INT8OID || ARR_ELEMTYPE(sc_a) != FLOAT4OID)
		elog(ERROR, "unexpected array element types");
	ids = (int64 *) ARR_DATA_PTR(ids_a);
	sc = (float4 *) ARR_DATA_PTR(sc_a);
	for (int i = 0; i < n; i++)
		if (!isfinite(sc[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("scores must be finite"),
					 errdetail("Score %d of title %lld is %g.", i + 1, (long long) ids[i], sc[i])));

	if (have_at)
	{
		TimestampTz at = PG_GETARG_TIMESTAMPTZ(2);
		struct pg_tm tm;
		fsec_t		fsec;
		int			tz;

		if (TIMESTAMP_NOT_FINITE(at) ||
			timestamp2tm(at, &tz, &tm, &fsec, NULL, NULL) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("at must be a finite timestamp")));
		if (tm.tm_hour >= 5 && tm.tm_hour < 12)
			daypart = 0;
		else if (tm.tm_hour >= 12 && tm.tm_hour < 17)
			daypart = 1;
		else if (tm.tm_hour >= 17 && tm.tm_hour < 22)
			daypart = 2;
		else
			daypart = 3;
	}

	/* the most specific cell the fit knows: (day part, device), then a margin */
	if ((have_at || device != NULL) && weight > 0 && n > 0)
	{
		CtxRefresh();
		if (have_at && device != NULL)
			cell = FindCell(daypart, device);
		if (cell == NULL && have_at)
			cell = FindCell(daypart, NULL);
		if (cell == NULL && device != NULL)
			cell = FindCell(CTX_ANY_DAYPART, device);
	}

	r = palloc(sizeof(Ranked) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		double		s = sc[i];

		if (cell != NULL)
		{
			/* the factor is kept within 1e-30..1e30 so that no score overflows */
			double		f = exp(Max(-69.0, Min(69.0, weight * (double) Affinity(cell, ids[i]))));

			s = s >= 0 ? s * f : s / f;
		}
		r[i].score = s;
		r[i].pos = i;
	}
	if (cell != NULL)
		qsort(r, n, sizeof(Ranked), CmpRanked);
	for (int i = 0; i < n; i++)
	{
		Datum		v[3];
		bool		nul[3] = {false, false, false};

		v[0] = Int32GetDatum(i + 1);
		v[1] = Int64GetDatum(ids[r[i].pos]);
		v[2] = Float4GetDatum((float4) Max(-FLT_MAX, Min(FLT_MAX, r[i].score)));
		tuplestore_putvalues(ts, tupdesc, v, nul);
	}
	return (Datum) 0;
}
