/*
 * titlemeta.c -- title metadata and trending for serving (titlemeta.h).
 *
 * Cache contract.  content_metadata and viewing_events are the caller's
 * tables, resolved through the caller's search_path on every call and
 * read with the caller's rights.  Table writes send no invalidation, and
 * a change check that sees every UPDATE would cost a scan, so each
 * backend keeps one copy of each, keyed by
 *   - the relation's OID (another search_path or a re-created table
 *     reloads),
 *   - the current user (rights and row-level security are the reader's;
 *     SELECT privilege is also re-checked on every hit),
 *   - the model's name, version and deployment time (the arrangement is
 *     by the model's title rows),
 *   - and, for trending, the hour its window ends,
 * and reloads it when it is older than nfrec.metadata_cache_seconds
 * (default 60; 0 reads the tables on every call).  So an edit of
 * content_metadata shows in serving within that many seconds, or at once
 * after a deploy.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "als.h"
#include "diversity.h"
#include "homepage_dist.h"
#include "pgutil.h"
#include "titlemeta.h"

int			nf_metadata_cache_seconds = 60;
static double diversity_genre_share = 0.5;
static double diversity_popularity_weight = 1.5;

static MemoryContext meta_cxt = NULL;
static TitleMeta *meta_cache = NULL;
static Trending *trend_cache = NULL;

void
nf_titlemeta_init(void)
{
	DefineCustomIntVariable("nfrec.metadata_cache_seconds",
							"How long a backend keeps content_metadata and trending figures read for serving.",
							"0 reads them on every call.",
							&nf_metadata_cache_seconds,
							60, 0, 86400,
							PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomRealVariable("nfrec.diversity_genre_share",
							 "Largest share of a diversified list that one first genre may fill.",
							 "Rounded up to whole titles (0.5: 5 of 10); 1 sets no cap.",
							 &diversity_genre_share,
							 0.5, 0.01, 1.0,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("nfrec.diversity_popularity_weight",
							 "Weight of the popularity rank in the relevance a diversified list trades against calibration.",
							 "0 ranks by score alone.",
							 &diversity_popularity_weight,
							 1.5, 0.0, 100.0,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
}

static MemoryContext
MetaCxt(void)
{
	if (meta_cxt == NULL)
		meta_cxt = AllocSetContextCreate(CacheMemoryContext, "nfrec title metadata",
										 ALLOCSET_SMALL_SIZES);
	return meta_cxt;
}

Oid
nf_canonical_relid(const char *name)
{
	return RangeVarGetRelid(makeRangeVar(NULL, pstrdup(name), -1), NoLock, true);
}

static char *
QualName(Oid relid)
{
	char	   *rel = get_rel_name(relid);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), rel);
}

/* kept plans of queries over the caller's relations */
typedef struct RelPlan
{
	Oid			relid;
	const char *tag;
	char	   *qualname;
	SPIPlanPtr	plan;
	struct RelPlan *next;
} RelPlan;

static RelPlan *rel_plans = NULL;

SPIPlanPtr
nf_relation_plan(Oid relid, const char *tag, const char *fmt, int nargs, Oid *argtypes)
{
	char	   *qualname = QualName(relid);
	RelPlan    *rp,
			  **pp;
	SPIPlanPtr	plan;
	MemoryContext old;

	for (pp = &rel_plans; (rp = *pp) != NULL; pp = &rp->next)
	{
		if (rp->relid != relid || strcmp(rp->tag, tag) != 0)
			continue;
		if (strcmp(rp->qualname, qualname) == 0)
			return rp->plan;
		*pp = rp->next;			/* renamed: the plan would re-parse the old name */
		SPI_freeplan(rp->plan);
		pfree(rp->qualname);
		pfree(rp);
		break;
	}
	plan = SPI_prepare(psprintf(fmt, qualname), nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	old = MemoryContextSwitchTo(MetaCxt());
	rp = palloc(sizeof(RelPlan));
	rp->relid = relid;
	rp->tag = tag;
	rp->qualname = pstrdup(qualname);
	rp->plan = plan;
	rp->next = rel_plans;
	rel_plans = rp;
	MemoryContextSwitchTo(old);
	return plan;
}

static bool
Fresh(TimestampTz loaded_at)
{
	return nf_metadata_cache_seconds > 0 &&
		GetCurrentTimestamp() - loaded_at < (int64) nf_metadata_cache_seconds * USECS_PER_SEC;
}

static bool
SameModel(const ServeModel *sm, const char *name, int64 version, TimestampTz deployed_at)
{
	return sm->name != NULL && name != NULL && strcmp(sm->name, name) == 0 &&
		sm->version == version && sm->deployed_at == deployed_at;
}

static void
CheckSelect(Oid relid)
{
	AclResult	r = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);

	if (r != ACLCHECK_OK)
		aclcheck_error(r, get_relkind_objtype(get_rel_relkind(relid)), get_rel_name(relid));
}

static int
CmpStr(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* rows by their first genre (arg: first_genre, no NULLs among the rows) */
static int
CmpFirstGenre(const void *a, const void *b, void *arg)
{
	char	  **fg = (char **) arg;

	return strcmp(fg[*(const int32 *) a], fg[*(const int32 *) b]);
}

static int
CmpLaunch(const void *a, const void *b, void *arg)
{
	const int32 *l = arg;
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	if (l[x] != l[y])
		return l[x] < l[y] ? -1 : 1;
	return (x > y) - (x < y);
}

static bool
HasColumn(Oid relid, const char *col)
{
	return get_attnum(relid, col) != InvalidAttrNumber;
}

TitleMeta *
nf_title_meta(ServeModel *sm, bool missing_ok)
{
	/* SPI calls leave the SPI procedure context current: restore ours */
	MemoryContext caller = CurrentMemoryContext;
	Oid			relid = nf_canonical_relid("content_metadata");
	TitleMeta  *tm;
	MemoryContext cxt;
	char	   *sql;
	uint64		nrows;
	char	  **rowgenres;		/* all (row, genre) pairs */
	int32	   *rowof;
	int			npairs = 0,
				maxpairs;
	char	  **names;
	int			nnames = 0;

	if (!OidIsValid(relid))
	{
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"content_metadata\" does not exist"),
				 errdetail("Diversity needs the genres of the titles."),
				 errhint("Create content_metadata(title_id, genres text[], ...) on the search_path, or serve with diversity 0.")));
	}
	CheckSelect(relid);
	/* on a Citus node: its placement of the reference table (homepage_dist.c) */
	relid = nf_citus_local_table(relid, 0, true);
	if (meta_cache && meta_cache->relid == relid && meta_cache->userid == GetUserId() &&
		SameModel(sm, meta_cache->model_name, meta_cache->version, meta_cache->deployed_at) &&
		Fresh(meta_cache->loaded_at))
		return meta_cache;

	if (!HasColumn(relid, "title_id"))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("relation \"%s\" has no column \"title_id\"", get_rel_name(relid))));
	sql = psprintf("SELECT (title_id)::pg_catalog.int8, %s, %s, %s FROM %s"
				   " WHERE title_id IS NOT NULL",
				   HasColumn(relid, "title") ? "(title)::pg_catalog.text" : "NULL::pg_catalog.text",
				   HasColumn(relid, "genres") ? "(genres)::pg_catalog.text[]" : "NULL::pg_catalog.text[]",
				   HasColumn(relid, "launch_date") ? "(launch_date)::pg_catalog.date" : "NULL::pg_catalog.date",
				   QualName(relid));
	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read content_metadata");
	nrows = SPI_processed;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "nfrec title metadata entry",
								ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	tm = palloc0(sizeof(TitleMeta));
	tm->mcxt = cxt;
	tm->relid = relid;
	tm->userid = GetUserId();
	tm->model_name = sm->name ? pstrdup(sm->name) : NULL;
	tm->version = sm->version;
	tm->deployed_at = sm->deployed_at;
	tm->loaded_at = GetCurrentTimestamp();
	tm->nitems = sm->nitems;
	tm->titles = palloc0(sizeof(char *) * sm->nitems);
	tm->first_genre = palloc0(sizeof(char *) * sm->nitems);
	tm->launch = palloc(sizeof(int32) * sm->nitems);
	for (int i = 0; i < sm->nitems; i++)
		tm->launch[i] = PG_INT32_MIN;
	maxpairs = 1024;
	rowgenres = palloc(sizeof(char *) * maxpairs);
	rowof = palloc(sizeof(int32) * maxpairs);
	{
		uint8	   *done = palloc0(sm->nitems);

		for (uint64 j = 0; j < nrows; j++)
		{
			HeapTuple	tup = SPI_tuptable->vals[j];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;
			int64		tid = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
			int32		r = als_find_id(sm->item_ids, sm->nitems, tid);
			Datum		d;

			if ((j & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			if (r < 0 || done[r])
				continue;		/* not in the model, or a duplicate row */
			done[r] = 1;
			d = SPI_getbinval(tup, td, 2, &isnull);
			if (!isnull)
				tm->titles[r] = TextDatumGetCString(d);
			d = SPI_getbinval(tup, td, 4, &isnull);
			if (!isnull && !DATE_NOT_FINITE(DatumGetDateADT(d)))
				tm->launch[r] = DatumGetDateADT(d);
			d = SPI_getbinval(tup, td, 3, &isnull);
			if (!isnull)
			{
				Datum	   *elems;
				bool	   *enulls;
				int			ne;

				deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
								  &elems, &enulls, &ne);
				/* genres[1] (lower bound 1), the artwork segment's key */
				if (ne > 0 && ARR_LBOUND(DatumGetArrayTypeP(d))[0] == 1 && !enulls[0])
					tm->first_genre[r] = TextDatumGetCString(elems[0]);
				for (int e = 0; e < ne; e++)
				{
					char	   *g;
					bool		dup = false;

					if (enulls[e])
						continue;
					g = TextDatumGetCString(elems[e]);
					if (g[0] == '\0')
						continue;
					for (int q = npairs - 1; q >= 0 && rowof[q] == r; q--)
						dup |= strcmp(rowgenres[q], g) == 0;
					if (dup)
						continue;
					if (npairs == maxpairs)
					{
						maxpairs *= 2;
						rowgenres = repalloc(rowgenres, sizeof(char *) * maxpairs);
						rowof = repalloc(rowof, sizeof(int32) * maxpairs);
					}
					rowgenres[npairs] = g;
					rowof[npairs++] = r;
				}
			}
		}
	}
	/* genre names, sorted and unique */
	names = palloc(sizeof(char *) * Max(npairs, 1));
	memcpy(names, rowgenres, sizeof(char *) * npairs);
	qsort(names, npairs, sizeof(char *), CmpStr);
	for (int q = 0; q < npairs; q++)
		if (nnames == 0 || strcmp(names[nnames - 1], names[q]) != 0)
			names[nnames++] = names[q];
	tm->ngenres = nnames;
	tm->genre_names = names;
	/* CSR by row */
	tm->gptr = palloc0(sizeof(int32) * (sm->nitems + 1));
	tm->gid = palloc(sizeof(int32) * Max(npairs, 1));
	for (int q = 0; q < npairs; q++)
		tm->gptr[rowof[q] + 1]++;
	for (int i = 0; i < sm->nitems; i++)
		tm->gptr[i + 1] += tm->gptr[i];
	{
		int32	   *fill = palloc(sizeof(int32) * sm->nitems);

		memcpy(fill, tm->gptr, sizeof(int32) * sm->nitems);
		for (int q = 0; q < npairs; q++)
		{
			char	  **hit = bsearch(&rowgenres[q], names, nnames, sizeof(char *), CmpStr);

			tm->gid[fill[rowof[q]]++] = (int32) (hit - names);
		}
	}
	/* the inverse: rows by genre */
	tm->genre_ptr = palloc0(sizeof(int32) * (nnames + 1));
	tm->genre_rows = palloc(sizeof(int32) * Max(npairs, 1));
	for (int q = 0; q < npairs; q++)
		tm->genre_ptr[tm->gid[q] + 1]++;
	for (int g = 0; g < nnames; g++)
		tm->genre_ptr[g + 1] += tm->genre_ptr[g];
	{
		int32	   *fill = palloc(sizeof(int32) * Max(nnames, 1));

		memcpy(fill, tm->genre_ptr, sizeof(int32) * nnames);
		for (int i = 0; i < sm->nitems; i++)
			for (int q = tm->gptr[i]; q < tm->gptr[i + 1]; q++)
				tm->genre_rows[fill[tm->gid[q]]++] = i;
	}
	/*
	 * genres[1] interned: equal strings share one pointer, so that the
	 * homepage counts a user's plays per segment by pointer
	 */
	{
		int32	   *ord = palloc(sizeof(int32) * Max(sm->nitems, 1));
		int			nord = 0;

		for (int i = 0; i < sm->nitems; i++)
			if (tm->first_genre[i])
				ord[nord++] = i;
		qsort_arg(ord, nord, sizeof(int32), CmpFirstGenre, tm->first_genre);
		for (int q = 1; q < nord; q++)
			if (strcmp(tm->first_genre[ord[q]], tm->first_genre[ord[q - 1]]) == 0)
			{
				pfree(tm->first_genre[ord[q]]);
				tm->first_genre[ord[q]] = tm->first_genre[ord[q - 1]];
			}
		pfree(ord);
	}
	/* rows by launch date */
	tm->by_launch = palloc(sizeof(int32) * sm->nitems);
	for (int i = 0; i < sm->nitems; i++)
		if (tm->launch[i] != PG_INT32_MIN)
			tm->by_launch[tm->nlaunched++] = i;
	qsort_arg(tm->by_launch, tm->nlaunched, sizeof(int32), CmpLaunch, tm->launch);
	MemoryContextSwitchTo(caller);
	SPI_freetuptable(SPI_tuptable);

	MemoryContextSetParent(cxt, MetaCxt());
	if (meta_cache)
		MemoryContextDelete(meta_cache->mcxt);
	meta_cache = tm;
	return tm;
}

void
nf_genre_mix(const TitleMeta *tm, const int32 *rows, const float *w, int n, double *p)
{
	double		total = 0.0;

	memset(p, 0, sizeof(double) * tm->ngenres);
	for (int j = 0; j < n; j++)
	{
		int32		r = rows[j];
		int			ng = tm->gptr[r + 1] - tm->gptr[r];
		double		wt = w ? w[j] : 1.0;

		if (ng == 0 || !(wt > 0.0))
			continue;
		for (int q = tm->gptr[r]; q < tm->gptr[r + 1]; q++)
			p[tm->gid[q]] += wt / ng;
		total += wt;
	}
	if (total > 0.0)
		for (int g = 0; g < tm->ngenres; g++)
			p[g] /= total;
}

/* candidate indexes by score desc, then by list position */
static int
CmpByScore(const void *a, const void *b, void *arg)
{
	const float *s = arg;
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	if (s[x] != s[y])
		return s[x] > s[y] ? -1 : 1;
	return (x > y) - (x < y);
}

/* candidate indexes by popularity desc, then by score rank */
typedef struct PopKey
{
	const float *pop;			/* per candidate */
	const int32 *srank;
} PopKey;

static int
CmpByPopularity(const void *a, const void *b, void *arg)
{
	const PopKey *key = arg;
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	if (key->pop[x] != key->pop[y])
		return key->pop[x] > key->pop[y] ? -1 : 1;
	return (key->srank[x] > key->srank[y]) - (key->srank[x] < key->srank[y]);
}

int
nf_calibrate_rows(const TitleMeta *tm, const double *p, double lambda,
				  int ncand, int32 *rows, float *scores, int k, const float *pop)
{
	int32	   *gptr = palloc(sizeof(int32) * (ncand + 1));
	int32	   *gid;
	int32	   *order = palloc(sizeof(int32) * Max(ncand, 1));
	int32	   *r2 = palloc(sizeof(int32) * Max(ncand, 1));
	float	   *s2 = palloc(sizeof(float) * Max(ncand, 1));
	float	   *rel = scores;
	int			m = 0,
				cap,
				got;

	gptr[0] = 0;
	for (int c = 0; c < ncand; c++)
		gptr[c + 1] = gptr[c] + (tm->gptr[rows[c] + 1] - tm->gptr[rows[c]]);
	gid = palloc(sizeof(int32) * Max(gptr[ncand], 1));
	for (int c = 0; c < ncand; c++)
		for (int q = tm->gptr[rows[c]]; q < tm->gptr[rows[c] + 1]; q++)
			gid[m++] = tm->gid[q];
	if (pop && ncand > 0)
	{
		/*
		 * The relevance the divergence is traded against: the candidate's
		 * places by score and by training popularity, summed with weight w
		 * = nfrec.diversity_popularity_weight (a Borda count), -(srank + w
		 * prank) / ncand.  Where a cap or the divergence pushes titles of
		 * the user's main genre out, the titles that come in are the
		 * popular ones of the other genres rather than the next scores,
		 * which ALS ranks low among a user's off-genre titles
		 * (doc/serve.md, "Diversity").
		 */
		int32	   *ord = palloc(sizeof(int32) * ncand);
		int32	   *srank = palloc(sizeof(int32) * ncand);
		float	   *cpop = palloc(sizeof(float) * ncand);
		PopKey		key = {cpop, srank};

		rel = palloc(sizeof(float) * ncand);
		for (int c = 0; c < ncand; c++)
		{
			ord[c] = c;
			cpop[c] = pop[rows[c]];
		}
		qsort_arg(ord, ncand, sizeof(int32), CmpByScore, scores);
		for (int j = 0; j < ncand; j++)
			srank[ord[j]] = j + 1;
		qsort_arg(ord, ncand, sizeof(int32), CmpByPopularity, &key);
		for (int j = 0; j < ncand; j++)
			rel[ord[j]] = (float) (-(srank[ord[j]] + diversity_popularity_weight * (j + 1)) / ncand);
	}

	/*
	 * At most nfrec.diversity_genre_share of the list (rounded up) from
	 * one first genre: at 0.5 a list of ten never has six titles of one
	 * genre while other genres have candidates.
	 */
	cap = (int) ceil(diversity_genre_share * k - 1e-9);
	got = div_calibrate(ncand, rel, gptr, gid, tm->ngenres, p, lambda, cap < k ? cap : 0, k, order,
						palloc(div_work_bytes(ncand, tm->ngenres)));

	/*
	 * The calibration chooses the titles; they are listed by score (ties by
	 * their place among the candidates), so the first title shown is the
	 * best one chosen, not the one that fitted the genre mix first.
	 */
	qsort_arg(order, got, sizeof(int32), CmpByScore, scores);
	for (int j = 0; j < got; j++)
	{
		r2[j] = rows[order[j]];
		s2[j] = scores[order[j]];
	}
	memcpy(rows, r2, sizeof(int32) * got);
	memcpy(scores, s2, sizeof(float) * got);
	return got;
}

/* trending */

typedef struct TrendItem
{
	int32		row;
	float		score;
} TrendItem;

/* the trending sum and filter, over the parameters ($1 window end, $2 half-life in seconds, $3 days) */
#define TRENDING_SUM \
	"pg_catalog.sum(pg_catalog.power(0.5::pg_catalog.float8," \
	" (pg_catalog.date_part('epoch', ($1 OPERATOR(pg_catalog.-) started_at))" \
	" OPERATOR(pg_catalog./) $2)))"
#define TRENDING_WHERE \
	"event_type OPERATOR(pg_catalog.=) 'play'::pg_catalog.text" \
	" AND started_at OPERATOR(pg_catalog.<) $1" \
	" AND started_at OPERATOR(pg_catalog.>=) ($1 OPERATOR(pg_catalog.-)" \
	" pg_catalog.make_interval(days => $3))" \
	" AND title_id IS NOT NULL"

/* score desc, then row (= title_id) asc */
static int
CmpTrend(const void *a, const void *b)
{
	const TrendItem *x = a,
			   *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}

Trending *
nf_trending(ServeModel *sm, Oid events_relid, TimestampTz at)
{
	/* SPI calls leave the SPI procedure context current: restore ours */
	MemoryContext caller = CurrentMemoryContext;
	TimestampTz window_end = at - (at % USECS_PER_HOUR + (at < 0 && at % USECS_PER_HOUR ? USECS_PER_HOUR : 0));
	Trending   *tr;
	MemoryContext cxt;
	Oid			argtypes[3] = {TIMESTAMPTZOID, FLOAT8OID, INT4OID};
	Datum		args[3];
	uint64		nrows;
	SPIPlanPtr	plan;

	CheckSelect(events_relid);
	if (trend_cache && trend_cache->relid == events_relid &&
		trend_cache->userid == GetUserId() && trend_cache->window_end == window_end &&
		SameModel(sm, trend_cache->model_name, trend_cache->version, trend_cache->deployed_at) &&
		Fresh(trend_cache->loaded_at))
		return trend_cache;

	/*
	 * Plays in the TRENDING_WINDOW_DAYS before the hour, each weighted
	 * 2^(-age / half-life), per country and over all countries (the
	 * arithmetic of nfrec.trending).  One scan with GROUPING SETS; over a
	 * Citus table, which refuses GROUPING SETS, two GROUP BYs under UNION
	 * ALL (two scans, the same sums).  On a Citus worker, the figures
	 * copied there instead (homepage_dist.c).
	 */
	if (!nf_hp_copied_trending(events_relid, window_end))
	{
		if (nf_citus_table(events_relid))
			plan = nf_relation_plan(events_relid, "trending",
									"SELECT false, (country)::pg_catalog.text, (title_id)::pg_catalog.int8, " TRENDING_SUM
									" FROM %1$s WHERE " TRENDING_WHERE " GROUP BY country, title_id"
									" UNION ALL "
									"SELECT true, NULL::pg_catalog.text, (title_id)::pg_catalog.int8, " TRENDING_SUM
									" FROM %1$s WHERE " TRENDING_WHERE " GROUP BY title_id",
									3, argtypes);
		else
			plan = nf_relation_plan(events_relid, "trending_sets",
									"SELECT GROUPING(country) OPERATOR(pg_catalog.=) 1,"
									" (country)::pg_catalog.text, (title_id)::pg_catalog.int8, " TRENDING_SUM
									" FROM %1$s WHERE " TRENDING_WHERE
									" GROUP BY GROUPING SETS ((country, title_id), (title_id))",
									3, argtypes);
		args[0] = TimestampTzGetDatum(window_end);
		args[1] = Float8GetDatum(TRENDING_HALF_LIFE_DAYS * 86400.0);
		args[2] = Int32GetDatum(TRENDING_WINDOW_DAYS);
		if (SPI_execute_plan(plan, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read trending plays");
	}
	nrows = SPI_processed;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "nfrec trending entry",
								ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	tr = palloc0(sizeof(Trending));
	tr->mcxt = cxt;
	tr->relid = events_relid;
	tr->userid = GetUserId();
	tr->model_name = sm->name ? pstrdup(sm->name) : NULL;
	tr->version = sm->version;
	tr->deployed_at = sm->deployed_at;
	tr->window_end = window_end;
	tr->loaded_at = GetCurrentTimestamp();
	{
		/* group the rows by country: sort indexes by (all, country) */
		char	  **ctry = palloc(sizeof(char *) * Max(nrows, 1));
		int32	   *row = palloc(sizeof(int32) * Max(nrows, 1));
		float	   *sc = palloc(sizeof(float) * Max(nrows, 1));
		int			m = 0;

		for (uint64 j = 0; j < nrows; j++)
		{
			HeapTuple	tup = SPI_tuptable->vals[j];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull,
						cnull;
			bool		all = DatumGetBool(SPI_getbinval(tup, td, 1, &isnull));
			Datum		c = SPI_getbinval(tup, td, 2, &cnull);
			int32		r = als_find_id(sm->item_ids, sm->nitems,
										DatumGetInt64(SPI_getbinval(tup, td, 3, &isnull)));
			double		s = DatumGetFloat8(SPI_getbinval(tup, td, 4, &isnull));

			if ((j & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			if (r < 0 || isnull || !isfinite(s) || (!all && cnull))
				continue;
			ctry[m] = all ? NULL : TextDatumGetCString(c);
			row[m] = r;
			sc[m++] = (float) s;
		}
		/* one list per distinct country (few), kept to the best TRENDING_KEEP */
		tr->lists = palloc0(sizeof(TrendList) * 1);
		for (int j = 0; j < m; j++)
		{
			int			l;

			for (l = 0; l < tr->nlists; l++)
				if ((ctry[j] == NULL && tr->lists[l].country == NULL) ||
					(ctry[j] && tr->lists[l].country && strcmp(ctry[j], tr->lists[l].country) == 0))
					break;
			if (l == tr->nlists)
			{
				tr->lists = repalloc(tr->lists, sizeof(TrendList) * (tr->nlists + 1));
				tr->lists[l].country = ctry[j];
				tr->lists[l].n = 0;
				tr->lists[l].rows = NULL;
				tr->nlists++;
			}
			tr->lists[l].n++;
		}
		for (int l = 0; l < tr->nlists; l++)
		{
			TrendList  *tl = &tr->lists[l];
			TrendItem  *it = palloc(sizeof(TrendItem) * Max(tl->n, 1));
			int			k = 0;

			for (int j = 0; j < m; j++)
				if ((ctry[j] == NULL && tl->country == NULL) ||
					(ctry[j] && tl->country && strcmp(ctry[j], tl->country) == 0))
				{
					it[k].row = row[j];
					it[k++].score = sc[j];
				}
			qsort(it, k, sizeof(TrendItem), CmpTrend);
			tl->n = Min(k, TRENDING_KEEP);
			tl->rows = palloc(sizeof(int32) * Max(tl->n, 1));
			tl->scores = palloc(sizeof(float) * Max(tl->n, 1));
			for (int j = 0; j < tl->n; j++)
			{
				tl->rows[j] = it[j].row;
				tl->scores[j] = it[j].score;
			}
			pfree(it);
		}
	}
	MemoryContextSwitchTo(caller);
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSetParent(cxt, MetaCxt());
	if (trend_cache)
		MemoryContextDelete(trend_cache->mcxt);
	trend_cache = tr;
	return tr;
}

const TrendList *
nf_trend_list(const Trending *tr, const char *country)
{
	for (int l = 0; l < tr->nlists; l++)
		if ((country == NULL && tr->lists[l].country == NULL) ||
			(country && tr->lists[l].country && strcmp(country, tr->lists[l].country) == 0))
			return &tr->lists[l];
	return NULL;
}
