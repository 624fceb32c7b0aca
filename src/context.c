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
 * PUBLIC), in the calling statement's snapshot: the version with a direct
 * scan of the one-row table (an SPI query would cost more than the whole
 * re-rank), the affinities through SPI when they are reloaded.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
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
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "context.h"
#include "pgutil.h"

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
	/* dense tables by title_id (when ids are 0..dense_n-1 mostly): */
	float	   *dense_aff;		/* affinity, 0 for an unseen title */
	float	   *dense_lift;		/* exp(affinity) */
	double	   *dense_inv;		/* 1 / (double) dense_lift */
} CtxCell;

typedef struct CtxCache
{
	bool		loaded;
	int64		version;		/* -1 = no fit */
	int			ncells;
	CtxCell    *cells;
	int64		dense_n;		/* > 0: the cells have dense tables of this size */
	MemoryContext cxt;
	uint64		generation;		/* loads so far (NfContextLift.generation) */
} CtxCache;

static CtxCache ctx_cache = {false, -1, 0, NULL, 0, NULL, 0};

/* dense tables when the largest title_id is at most this many times the titles (+ 4096) */
#define CTX_DENSE_FACTOR 4
#define CTX_DENSE_MAX (16 * 1024 * 1024)
static SPIPlanPtr plan_load = NULL;

static int
DaypartIndex(const char *s)
{
	for (int i = 0; i < CTX_ANY_DAYPART; i++)
		if (strcmp(s, daypart_names[i]) == 0)
			return i;
	return -1;
}

typedef struct CtxPair
{
	int64		id;
	float		aff;
} CtxPair;

static int
CmpPair(const void *a, const void *b)
{
	int64		x = ((const CtxPair *) a)->id,
				y = ((const CtxPair *) b)->id;

	return (x > y) - (x < y);
}

/* sort a cell's (id, affinity) by id; an id given twice keeps one row */
static void
SortCell(CtxCell *c)
{
	CtxPair    *p;
	int			m = 0;

	if (c->n < 2)
		return;
	p = palloc(sizeof(CtxPair) * c->n);
	for (int i = 0; i < c->n; i++)
	{
		p[i].id = c->ids[i];
		p[i].aff = c->aff[i];
	}
	qsort(p, c->n, sizeof(CtxPair), CmpPair);
	for (int i = 0; i < c->n; i++)
	{
		if (m > 0 && c->ids[m - 1] == p[i].id)
			continue;
		c->ids[m] = p[i].id;
		c->aff[m] = p[i].aff;
		m++;
	}
	c->n = m;
	pfree(p);
}

/* (re)load the cache when the stored fit's version changed */
static void
CtxRefresh(void)
{
	int64		version;
	int			rc;

	(void) nf_fit_version("context_fit", &version);
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
		ctx_cache.generation++;
		ctx_cache.ncells = 0;
		ctx_cache.cells = NULL;
		ctx_cache.dense_n = 0;

		if (version >= 0)
		{
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");

			/*
			 * No ORDER BY: sorting a fit's rows by text (hundreds of
			 * thousands on a large catalog) took most of a backend's first
			 * context-aware call.  The rows are grouped into cells and each
			 * cell's ids sorted here.
			 */
			rc = SPI_execute_plan(nf_keep_plan(&plan_load,
											"SELECT day_part, device, title_id, affinity "
											"FROM nfrec.context_affinity", 0, NULL),
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
			int		   *cellof = palloc(sizeof(int) * nrows);	/* -1: row skipped */
			int			last = -1;

			cells = palloc0(sizeof(CtxCell) * cap);
			/* pass 1: each row's cell, and the cells' sizes */
			for (uint64 i = 0; i < nrows; i++)
			{
				HeapTuple	tup = SPI_tuptable->vals[i];
				bool		n1,
							n2;
				Datum		dp = SPI_getbinval(tup, td, 1, &n1);
				Datum		dv = SPI_getbinval(tup, td, 2, &n2);
				int			dpi = CTX_ANY_DAYPART;
				const char *dvp = NULL;
				int			dvlen = 0;
				text	   *dvt = NULL;
				int			k;

				cellof[i] = -1;
				if ((i & 0xFFF) == 0)
					CHECK_FOR_INTERRUPTS();
				if (heap_attisnull(tup, 3, td) || heap_attisnull(tup, 4, td))
					continue;
				if (!n1)
				{
					char	   *s = TextDatumGetCString(dp);

					dpi = DaypartIndex(s);
					pfree(s);
					if (dpi < 0)
						continue;	/* not a day part of nfrec.day_part */
				}
				if (!n2)
				{
					dvt = DatumGetTextPP(dv);
					dvp = VARDATA_ANY(dvt);
					dvlen = VARSIZE_ANY_EXHDR(dvt);
				}
				/* rows of one cell usually come together: try the last first */
				k = -1;
				for (int t = 0; t <= ncells; t++)
				{
					int			c = t == 0 ? last : t - 1;
					CtxCell    *cc;

					if (c < 0 || (t > 0 && c == last))
						continue;
					cc = &cells[c];
					if (cc->daypart == dpi && (cc->device == NULL) == (dvp == NULL) &&
						(dvp == NULL || ((int) strlen(cc->device) == dvlen &&
										 memcmp(cc->device, dvp, dvlen) == 0)))
					{
						k = c;
						break;
					}
				}
				if (k < 0)
				{
					if (ncells == cap)
					{
						cells = repalloc(cells, sizeof(CtxCell) * cap * 2);
						memset(cells + cap, 0, sizeof(CtxCell) * cap);
						cap *= 2;
					}
					k = ncells++;
					cells[k].daypart = dpi;
					cells[k].device = dvp ? pnstrdup(dvp, dvlen) : NULL;
				}
				if (dvt != NULL && (Pointer) dvt != DatumGetPointer(dv))
					pfree(dvt);
				last = k;
				cellof[i] = k;
				cells[k].n++;
			}
			/* pass 2: fill each cell, then sort it by title id */
			for (int k = 0; k < ncells; k++)
			{
				cells[k].ids = palloc(sizeof(int64) * Max(cells[k].n, 1));
				cells[k].aff = palloc(sizeof(float) * Max(cells[k].n, 1));
				cells[k].n = 0;
			}
			for (uint64 i = 0; i < nrows; i++)
			{
				HeapTuple	tup = SPI_tuptable->vals[i];
				CtxCell    *c;
				bool		isnull;
				float		a;

				if (cellof[i] < 0)
					continue;
				c = &cells[cellof[i]];
				c->ids[c->n] = DatumGetInt64(SPI_getbinval(tup, td, 3, &isnull));
				a = DatumGetFloat4(SPI_getbinval(tup, td, 4, &isnull));
				c->aff[c->n] = isfinite(a) ? a : 0;
				c->n++;
			}
			pfree(cellof);
			for (int k = 0; k < ncells; k++)
				SortCell(&cells[k]);

			/*
			 * Title ids are usually dense (1..titles): then one array per
			 * cell indexed by id replaces the binary search, and the lift
			 * exp(affinity) is stored for the default weight 1.
			 */
			{
				int64		maxid = -1;
				int			maxn = 0;

				for (int i = 0; i < ncells; i++)
				{
					if (cells[i].n > 0 && cells[i].ids[0] < 0)
						maxid = PG_INT64_MAX;	/* negative ids: no dense tables */
					if (cells[i].n > 0)
						maxid = Max(maxid, cells[i].ids[cells[i].n - 1]);
					maxn = Max(maxn, cells[i].n);
				}
				if (maxid >= 0 && maxid < CTX_DENSE_MAX &&
					maxid < (int64) CTX_DENSE_FACTOR * maxn + 4096)
				{
					ctx_cache.dense_n = maxid + 1;
					for (int i = 0; i < ncells; i++)
					{
						CtxCell    *c = &cells[i];

						c->dense_aff = palloc0(sizeof(float) * ctx_cache.dense_n);
						c->dense_lift = palloc(sizeof(float) * ctx_cache.dense_n);
						c->dense_inv = palloc(sizeof(double) * ctx_cache.dense_n);
						for (int64 j = 0; j < ctx_cache.dense_n; j++)
							c->dense_lift[j] = 1.0f;
						for (int j = 0; j < c->n; j++)
						{
							c->dense_aff[c->ids[j]] = c->aff[j];
							c->dense_lift[c->ids[j]] = (float) exp(Max(-69.0, Min(69.0, (double) c->aff[j])));
						}
						for (int64 j = 0; j < ctx_cache.dense_n; j++)
							c->dense_inv[j] = 1.0 / (double) c->dense_lift[j];
					}
				}
			}
		}
		MemoryContextSwitchTo(old);
		ctx_cache.cxt = cxt;
		ctx_cache.cells = cells;
		ctx_cache.ncells = ncells;
		ctx_cache.version = version;
		ctx_cache.loaded = true;
		if (version >= 0)
			SPI_finish();
	}
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

/* context.h */
bool
nf_context_resolve(const TimestampTz *at, const char *device, NfContextLift *cl)
{
	int			daypart = CTX_ANY_DAYPART;
	const CtxCell *cell = NULL;

	memset(cl, 0, sizeof(*cl));
	if (at == NULL && device == NULL)
		return false;
	if (at != NULL)
	{
		struct pg_tm tm;
		fsec_t		fsec;
		int			tz;

		if (TIMESTAMP_NOT_FINITE(*at) ||
			timestamp2tm(*at, &tz, &tm, &fsec, NULL, NULL) != 0)
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
	CtxRefresh();
	if (at != NULL && device != NULL)
		cell = FindCell(daypart, device);
	if (cell == NULL && at != NULL)
		cell = FindCell(daypart, NULL);
	if (cell == NULL && device != NULL)
		cell = FindCell(CTX_ANY_DAYPART, device);
	if (cell == NULL)
		return false;
	cl->cell = cell;
	cl->generation = ctx_cache.generation;
	if (ctx_cache.dense_n > 0)
	{
		cl->dense_n = ctx_cache.dense_n;
		cl->lift = cell->dense_lift;
		cl->inv = cell->dense_inv;
	}
	return true;
}

/*
 * A score s adjusted by exp(weight x affinity a), as context_rerank does:
 * the factor kept within 1e-30..1e30 so that no score overflows, a
 * negative score divided.
 */
static inline float4
LiftByAffinity(double s, double weight, double a)
{
	double		f = exp(Max(-69.0, Min(69.0, weight * a)));

	s = s >= 0 ? s * f : s / f;
	return (float4) Max(-FLT_MAX, Min(FLT_MAX, s));
}

/* context.h: the lift of a cell without dense tables, at weight 1 */
float
nf_context_apply1_sparse(const NfContextLift *cl, int64 id, float s)
{
	return LiftByAffinity(s, 1.0, Affinity(cl->cell, id));
}

/* context.h */
void
nf_context_apply(const NfContextLift *cl, const int64 *ids, float4 *scores, int n)
{
	if (cl->lift)
	{
		/*
		 * The common case (the page re-ranks the whole catalog), without a
		 * branch per title: s / f becomes s * (1 / f) in double, which
		 * rounds to the same float (s and f are floats: s / f is never
		 * within 2^-47 of a halfway point between floats, and the two
		 * double results differ by at most 2^-52 relatively).
		 */
		const float *lift = cl->lift;
		const double *inv = cl->inv;
		uint64		dn = (uint64) cl->dense_n;

		for (int i = 0; i < n; i++)
		{
			uint64		id = (uint64) ids[i];
			double		s = scores[i],
						fl = 1.0,
						fi = 1.0,
						f;
			uint64		bl,
						bi,
						pos = -(uint64) (s >= 0);	/* all ones for s >= 0 */

			if (id < dn)		/* predictable: ids are the model's */
			{
				fl = (double) lift[id];
				fi = inv[id];
			}
			/* the sign picks the factor by a mask, not a branch */
			memcpy(&bl, &fl, sizeof(double));
			memcpy(&bi, &fi, sizeof(double));
			bl = (bl & pos) | (bi & ~pos);
			memcpy(&f, &bl, sizeof(double));
			s *= f;
			scores[i] = (float4) Max(-FLT_MAX, Min(FLT_MAX, s));
		}
		return;
	}
	for (int i = 0; i < n; i++)
		scores[i] = nf_context_apply1_sparse(cl, ids[i], scores[i]);
}

/*
 * C entry point for serving code: multiply scores[i] of titles ids[i] by
 * exp(weight x affinity) for the context (at, device) in place, as
 * context_rerank does.  at NULL = no day part, device NULL = no device.
 * Returns false (scores untouched) when there is no context, no fit or no
 * fitted cell.  The caller validates weight (0..100) and scores (finite).
 */
bool
nf_context_adjust(const int64 *ids, float4 *scores, int n,
				  const TimestampTz *at, const char *device, double weight)
{
	NfContextLift cl;

	if ((at == NULL && device == NULL) || !(weight > 0) || n <= 0)
		return false;
	if (!nf_context_resolve(at, device, &cl))
		return false;
	if (weight == 1.0)
	{
		nf_context_apply(&cl, ids, scores, n);
		return true;
	}
	for (int i = 0; i < n; i++)
	{
		int64		id = ids[i];
		double		a = (ctx_cache.dense_n > 0) ?
			((id >= 0 && id < ctx_cache.dense_n) ? cl.cell->dense_aff[id] : 0) :
			Affinity(cl.cell, id);

		scores[i] = LiftByAffinity(scores[i], weight, a);
	}
	return true;
}

/* CmpRanked inlined (a total order: positions differ, so any sort agrees) */
#define ST_SORT SortRanked
#define ST_ELEMENT_TYPE Ranked
#define ST_COMPARE(a, b) CmpRanked(a, b)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * The last re-ranks of long lists, input and output: the homepage
 * re-ranks the same trending list (500 titles, cached per backend) for
 * every page of a context and country (a list per country), and the
 * top-picks pool (different per user) in between, hence several slots.
 * Keyed by the whole input (the cell, its load, and every row, id and
 * score, compared bit for bit), so a hit returns what the re-rank would
 * compute.
 */
#define RR_MEMO_SLOTS 16
#define RR_MEMO_MIN 200			/* shorter lists are re-ranked each time, */
#define RR_MEMO_MAX 4096		/* and longer ones (24 bytes a title a slot) */

typedef struct RrMemo
{
	const CtxCell *cell;		/* NULL: empty slot */
	uint64		generation;
	int			n;
	uint64		used;			/* last hit or fill (rr_clock) */
	int64	   *ids;
	int32	   *rows_in;
	float4	   *sc_in;
	int32	   *rows_out;
	float4	   *sc_out;
	MemoryContext cxt;
} RrMemo;

static RrMemo rr_memo[RR_MEMO_SLOTS];
static uint64 rr_clock = 0;

static bool
RrMemoHit(const RrMemo *m, const NfContextLift *cl, const int64 *ids, const int32 *rows,
		  const float4 *scores, int n)
{
	return m->cell != NULL && m->cell == cl->cell && m->generation == cl->generation &&
		m->n == n && memcmp(m->rows_in, rows, sizeof(int32) * n) == 0 &&
		memcmp(m->sc_in, scores, sizeof(float4) * n) == 0 &&
		memcmp(m->ids, ids, sizeof(int64) * n) == 0;
}

/* context.h */
void
nf_context_rerank_lifted(const NfContextLift *cl, const int64 *item_ids, int32 *rows,
						 float4 *scores, int n)
{
	int64	   *ids;
	float4	   *adj;
	Ranked	   *r;
	int32	   *rows0;
	RrMemo	   *memo = NULL;

	if (n <= 0)
		return;
	ids = palloc(sizeof(int64) * n);
	for (int i = 0; i < n; i++)
		ids[i] = item_ids[rows[i]];
	if (n >= RR_MEMO_MIN && n <= RR_MEMO_MAX)
	{
		for (int k = 0; k < RR_MEMO_SLOTS; k++)
			if (RrMemoHit(&rr_memo[k], cl, ids, rows, scores, n))
			{
				rr_memo[k].used = ++rr_clock;
				memcpy(rows, rr_memo[k].rows_out, sizeof(int32) * n);
				memcpy(scores, rr_memo[k].sc_out, sizeof(float4) * n);
				pfree(ids);
				return;
			}
		/* the least recently used slot takes this list */
		memo = &rr_memo[0];
		for (int k = 1; k < RR_MEMO_SLOTS; k++)
			if (rr_memo[k].used < memo->used)
				memo = &rr_memo[k];
		memo->cell = NULL;		/* filled below, unless an error intervenes */
		if (memo->cxt == NULL)
			memo->cxt = AllocSetContextCreate(TopMemoryContext, "nfrec context re-rank memo",
											  ALLOCSET_SMALL_SIZES);
		else
			MemoryContextReset(memo->cxt);
		memo->ids = MemoryContextAlloc(memo->cxt, sizeof(int64) * n);
		memo->rows_in = MemoryContextAlloc(memo->cxt, sizeof(int32) * n);
		memo->sc_in = MemoryContextAlloc(memo->cxt, sizeof(float4) * n);
		memo->rows_out = MemoryContextAlloc(memo->cxt, sizeof(int32) * n);
		memo->sc_out = MemoryContextAlloc(memo->cxt, sizeof(float4) * n);
		memcpy(memo->ids, ids, sizeof(int64) * n);
		memcpy(memo->rows_in, rows, sizeof(int32) * n);
		memcpy(memo->sc_in, scores, sizeof(float4) * n);
	}
	adj = palloc(sizeof(float4) * n);
	memcpy(adj, scores, sizeof(float4) * n);
	nf_context_apply(cl, ids, adj, n);
	r = palloc(sizeof(Ranked) * n);
	for (int i = 0; i < n; i++)
	{
		r[i].score = adj[i];
		r[i].pos = i;
	}
	SortRanked(r, n);
	rows0 = palloc(sizeof(int32) * n);
	memcpy(rows0, rows, sizeof(int32) * n);
	for (int i = 0; i < n; i++)
	{
		rows[i] = rows0[r[i].pos];
		scores[i] = (float4) r[i].score;
	}
	if (memo)
	{
		memcpy(memo->rows_out, rows, sizeof(int32) * n);
		memcpy(memo->sc_out, scores, sizeof(float4) * n);
		memo->cell = cl->cell;
		memo->generation = cl->generation;
		memo->n = n;
		memo->used = ++rr_clock;
	}
	pfree(ids);
	pfree(adj);
	pfree(r);
	pfree(rows0);
}

/* context.h */
bool
nf_context_rerank_rows(const int64 *item_ids, int32 *rows, float4 *scores, int n,
					   const TimestampTz *at, const char *device)
{
	NfContextLift cl;

	if ((at == NULL && device == NULL) || n <= 0)
		return false;
	if (!nf_context_resolve(at, device, &cl))
		return false;
	nf_context_rerank_lifted(&cl, item_ids, rows, scores, n);
	return true;
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
	int			limit = -1;
	bool		changed;
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

	if (!PG_ARGISNULL(5))
	{
		limit = PG_GETARG_INT32(5);
		if (limit < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("n must not be negative")));
	}

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

	{
		TimestampTz at = have_at ? PG_GETARG_TIMESTAMPTZ(2) : 0;
		float4	   *adj = palloc(sizeof(float4) * Max(n, 1));

		memcpy(adj, sc, sizeof(float4) * n);
		changed = nf_context_adjust(ids, adj, n, have_at ? &at : NULL, device, weight);
		r = palloc(sizeof(Ranked) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			r[i].score = changed ? adj[i] : sc[i];
			r[i].pos = i;
		}
		if (changed && limit >= 0 && limit < n && limit <= 64)
		{
			/* the first `limit` only: insertion into a short sorted prefix */
			int			m = 0;

			for (int i = 0; i < n; i++)
			{
				Ranked		x = r[i];
				int			j;

				if (m == limit && CmpRanked(&x, &r[m - 1]) >= 0)
					continue;
				j = m < limit ? m++ : m - 1;
				for (; j > 0 && CmpRanked(&x, &r[j - 1]) < 0; j--)
					r[j] = r[j - 1];
				r[j] = x;
			}
		}
		else if (changed)
			SortRanked(r, n);
	}
	if (limit >= 0 && limit < n)
		n = limit;

	for (int i = 0; i < n; i++)
	{
		Datum		v[3];
		bool		nul[3] = {false, false, false};

		v[0] = Int32GetDatum(i + 1);
		v[1] = Int64GetDatum(ids[r[i].pos]);
		v[2] = Float4GetDatum((float4) r[i].score);
		tuplestore_putvalues(ts, tupdesc, v, nul);
	}
	return (Datum) 0;
}
