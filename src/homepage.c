/*
 * homepage.c -- nfrec.homepage: a page of recommendation rows for one
 * user in one call (doc/serve.md, "The homepage").
 *
 * The catalog is scored once (for a user with a vector: one pass over the
 * int8 copy bounds every title's score, the pool of the best titles is
 * scored exactly, and each row scores exactly only the titles whose
 * context-adjusted bound can reach it -- RankRows; for a cold-start user
 * the popularity shares) and every row is cut from those scores, with
 * the context (day part, device) resolved once per page: top picks
 * (calibrated for genre diversity), one
 * "because you watched" row per anchor (cosine to the anchor among the
 * user's best-scored titles), trending in the user's country, new
 * releases and the user's strongest genres.  Continue Watching comes
 * from the user's own plays in viewing_events.  A page never shows a
 * title twice, never a title the user finished, and a started title only
 * in Continue Watching.
 *
 * Rights: the model as in model.c; viewing_events and content_metadata
 * are the relations of those names on the caller's search_path, read
 * with the caller's rights (titlemeta.c caches the metadata and the
 * trending figures).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "als.h"
#include "artwork.h"
#include "context.h"
#include "homepage_dist.h"
#include "model.h"
#include "model_events.h"
#include "model_neighbours.h"
#include "titlemeta.h"
#include "topk.h"
#include "topk_scan.h"

/* Documented rules (doc/serve.md) */
#define HP_FINISHED_PCT			90.0	/* watch_pct at which a title is finished */
#define HP_CW_HORIZON_DAYS		28		/* Continue Watching looks back this far */
#define HP_NEW_DAYS				90		/* a new release launched this recently */
#define HP_MAX_ANCHORS			2		/* "because you watched" rows */
#define HP_MAX_GENRE_ROWS		3
#define HP_POOL					100		/* best-scored titles for BYW and top picks, */
#define HP_POOL_PER_ROW			10		/* or this many times per_row */
#define HP_MAX_ROWS				50
#define HP_MAX_PER_ROW			100
#define HP_MAINSTREAM			100		/* "popular" titles for the trending engagement */

typedef struct Play
{
	int64		title_id;
	int32		row;			/* model row, or -1 */
	double		pct;			/* max watch_pct */
	TimestampTz first;
	TimestampTz last;
	char	   *country;		/* of the latest play with one */
} Play;

typedef struct Entry
{
	int64		title_id;
	float		score;
	char	   *reason;
	bool		has_artwork;	/* artwork: NULL unless set */
	int32		artwork;
} Entry;

typedef enum RowKind
{
	ROW_CW,
	ROW_TOP,
	ROW_BYW,
	ROW_TRENDING,
	ROW_NEW,
	ROW_GENRE
} RowKind;

static const char *const kind_names[] = {
	"continue_watching", "top_picks", "because_you_watched", "trending",
	"new_releases", "genre"
};

typedef struct PageRow
{
	RowKind		kind;
	double		engagement;
	int			tiebreak;		/* within a kind: lower first */
	int32		anchor;			/* ROW_BYW: model row */
	int			genre;			/* ROW_GENRE */
	char	   *label;
	int			n;
	Entry	   *e;
} PageRow;

static int
CmpPlayRecent(const void *a, const void *b)
{
	const Play *x = a,
			   *y = b;

	if (x->last != y->last)
		return x->last > y->last ? -1 : 1;
	return (x->title_id > y->title_id) - (x->title_id < y->title_id);
}

static int
CmpPageRow(const void *a, const void *b)
{
	const PageRow *x = a,
			   *y = b;

	if (x->kind == ROW_CW || y->kind == ROW_CW)
		return (y->kind == ROW_CW) - (x->kind == ROW_CW);
	if (x->engagement != y->engagement)
		return x->engagement > y->engagement ? -1 : 1;
	if (x->kind != y->kind)
		return (int) x->kind - (int) y->kind;
	return x->tiebreak - y->tiebreak;
}

static int
CmpPlayTitle(const void *a, const void *b)
{
	const Play *x = a,
			   *y = b;

	return (x->title_id > y->title_id) - (x->title_id < y->title_id);
}

/*
 * The plays' two sorts with the comparisons inlined (pg_qsort swaps a
 * Play byte by byte through a function pointer: 2 % of a page).  The
 * same algorithm as qsort, so the same order; by title the order of equal
 * titles does not matter (they merge), by recency it is total.
 */
#define ST_SORT SortPlaysByTitle
#define ST_ELEMENT_TYPE Play
#define ST_COMPARE(a, b) CmpPlayTitle(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"
#define ST_SORT SortPlaysRecent
#define ST_ELEMENT_TYPE Play
#define ST_COMPARE(a, b) CmpPlayRecent(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * The plays of user_id in ve by the query, in the form nf_plays_direct
 * gives them (model_events.h: the same rows and values).
 */
static int64
PlaysByQuery(Oid ve, int64 user_id, NfPlayRow **rows)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];
	SPIPlanPtr	plan;
	NfPlayRow  *r;
	uint64		n;

	plan = nf_relation_plan(ve, "homepage plays",
							"SELECT (title_id)::pg_catalog.int8, (watch_pct)::pg_catalog.float8,"
							" (started_at)::pg_catalog.timestamptz, (country)::pg_catalog.text"
							" FROM %s"
							" WHERE user_id OPERATOR(pg_catalog.=) $1"
							"   AND event_type OPERATOR(pg_catalog.=) 'play'::pg_catalog.text"
							"   AND title_id IS NOT NULL",
							1, argtypes);
	args[0] = Int64GetDatum(user_id);
	if (SPI_execute_plan(plan, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the plays of user " INT64_FORMAT, user_id);
	n = SPI_processed;
	if (n > (uint64) MaxAllocSize / sizeof(NfPlayRow))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many plays for user " INT64_FORMAT, user_id)));
	r = palloc(sizeof(NfPlayRow) * Max(n, 1));
	for (uint64 j = 0; j < n; j++)
	{
		HeapTuple	tup = SPI_tuptable->vals[j];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		c;

		r[j].title_id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		r[j].pct = DatumGetFloat8(SPI_getbinval(tup, td, 2, &r[j].pct_null));
		r[j].started_at = DatumGetTimestampTz(SPI_getbinval(tup, td, 3, &r[j].started_null));
		c = SPI_getbinval(tup, td, 4, &isnull);
		r[j].country = isnull ? NULL : TextDatumGetCString(c);
	}
	SPI_freetuptable(SPI_tuptable);
	*rows = r;
	return (int64) n;
}

/*
 * The user's plays before at in viewing_events, one per title (max
 * watch_pct, first and last start), most recent first; *country gets the
 * country of the latest play that has one.  Read through the user_id
 * index without the executor when that gives the query's rows
 * (model_events.c), else by the query.
 */
static int
ReadPlays(Oid ve, ServeModel *sm, const TitleMeta *tm, int64 user_id, TimestampTz at,
		  Play **out, char **country, char **segment)
{
	/* the artwork segment: genres[1] most often among all plays (any time) */
	char	  **segname = NULL;
	int64	   *segcount = NULL;
	int			nseg = 0;
	NfPlayRow  *rows;
	int64		nrows = nf_plays_direct(ve, user_id, &rows);
	int			n = 0,
				m = 0;
	Play	   *p;
	TimestampTz country_at = DT_NOBEGIN;

	if (nrows < 0)
		nrows = PlaysByQuery(ve, user_id, &rows);
	if (nrows > (int64) (MaxAllocSize / sizeof(Play)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many plays for user " INT64_FORMAT, user_id)));
	*country = NULL;
	p = palloc(sizeof(Play) * Max(nrows, 1));
	if (tm)
	{
		segname = palloc(sizeof(char *) * Max(nrows, 1));
		segcount = palloc0(sizeof(int64) * Max(nrows, 1));
	}
	for (int64 j = 0; j < nrows; j++)
	{
		const NfPlayRow *pr = &rows[j];
		int32		r = nf_title_row(sm, pr->title_id);

		p[n].title_id = pr->title_id;
		p[n].row = r;
		if (tm)
		{
			const char *g = r >= 0 ? tm->first_genre[r] : NULL;
			int			k = 0;

			while (g && k < nseg && segname[k] != g)	/* interned (titlemeta.h) */
				k++;
			if (g && k == nseg)
				segname[nseg++] = (char *) g;
			if (g)
				segcount[k]++;
		}
		if (pr->started_null || !(pr->started_at < at))
			continue;			/* no start, or at or after at: not a play of the page */
		p[n].pct = pr->pct;
		if (pr->pct_null || isnan(p[n].pct))
			p[n].pct = 0.0;		/* no watch_pct: started, not finished */
		p[n].first = p[n].last = pr->started_at;
		if (pr->country && (*country == NULL || p[n].last > country_at))
		{
			*country = pr->country;
			country_at = p[n].last;
		}
		p[n].country = NULL;
		n++;
	}
	/* most plays, ties by name in "C" order, as pick_artwork */
	{
		int			best = -1;

		for (int k = 0; k < nseg; k++)
			if (best < 0 || segcount[k] > segcount[best] ||
				(segcount[k] == segcount[best] && strcmp(segname[k], segname[best]) < 0))
				best = k;
		*segment = best >= 0 ? segname[best] : NULL;
	}
	/* one entry per title */
	SortPlaysByTitle(p, n);
	for (int j = 0; j < n; j++)
	{
		if (m > 0 && p[m - 1].title_id == p[j].title_id)
		{
			p[m - 1].pct = Max(p[m - 1].pct, p[j].pct);
			p[m - 1].first = Min(p[m - 1].first, p[j].first);
			p[m - 1].last = Max(p[m - 1].last, p[j].last);
		}
		else
			p[m++] = p[j];
	}
	SortPlaysRecent(p, m);
	*out = p;
	return m;
}

static const char *
TitleName(const TitleMeta *tm, ServeModel *sm, int32 row)
{
	if (tm && tm->titles[row])
		return tm->titles[row];
	return psprintf("title " INT64_FORMAT, sm->item_ids[row]);
}

/* the genre of a title the user likes most (p), or -1 */
static int
FavouriteGenre(const TitleMeta *tm, const double *p, int32 row)
{
	int			best = -1;

	for (int q = tm->gptr[row]; q < tm->gptr[row + 1]; q++)
	{
		int			g = tm->gid[q];

		if (p[g] > 0.0 && (best < 0 || p[g] > p[best]))
			best = g;
	}
	return best;
}

/* the rows launched in (at_date - HP_NEW_DAYS, at_date], latest first */
static int
NewWindow(const TitleMeta *tm, DateADT at_date, int32 *sub)
{
	int			nsub = 0;

	for (int j = tm->nlaunched - 1; j >= 0; j--)
	{
		int32		l = tm->launch[tm->by_launch[j]];

		if (l <= at_date - HP_NEW_DAYS)
			break;
		if (l <= at_date)
			sub[nsub++] = tm->by_launch[j];
	}
	return nsub;
}

/*
 * The artwork of every entry of the page: the pick of nfrec.pick_artwork
 * for the user and the page's titles (artwork.c computes it from a cached
 * copy of the fit), seeded by the date of at as YYYYMMDD (the pick mixes
 * in the user and the title), with the same viewing_events and
 * content_metadata as the page, read with the caller's rights as the rest
 * of the page's reads (doc/serve.md).  No artwork fit: NULL everywhere.
 */
static void
PickArtwork(int64 user_id, DateADT at_date, const char *segment, PageRow *page, int npage)
{
	int			n = 0,
				k = 0;
	int64	   *ids;
	int32	   *art;
	bool	   *has;
	int			y,
				m,
				d;

	for (int r = 0; r < npage; r++)
		n += page[r].n;
	if (n == 0)
		return;
	ids = palloc(sizeof(int64) * n);
	art = palloc(sizeof(int32) * n);
	has = palloc(sizeof(bool) * n);
	for (int r = 0; r < npage; r++)
		for (int j = 0; j < page[r].n; j++)
			ids[k++] = page[r].e[j].title_id;
	j2date(at_date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	if (!nf_artwork_pick(user_id, ids, n, (int64) y * 10000 + m * 100 + d, segment, art, has))
		return;
	k = 0;
	for (int r = 0; r < npage; r++)
		for (int j = 0; j < page[r].n; j++, k++)
		{
			page[r].e[j].artwork = art[k];
			page[r].e[j].has_artwork = has[k];
		}
}

/*
 * The reason fmt with genre g's name (or other when g < 0), one string per
 * genre for a row's entries (they only read it): *why starts NULL.
 */
static char *
TasteReason(char ***why, const TitleMeta *tm, const char *fmt, const char *other, int g)
{
	if (g < 0)
		return pstrdup(other);
	if (*why == NULL)
		*why = palloc0(sizeof(char *) * Max(tm->ngenres, 1));
	if ((*why)[g] == NULL)
		(*why)[g] = psprintf(fmt, tm->genre_names[g]);
	return (*why)[g];
}

/*
 * Why a title that deploy_cold_titles added (no viewing in training; its
 * factors come from its content) is shown: the title the user played that
 * is most similar to it by factors, else the user's genre g, else only
 * that it is new.
 */
static char *
ColdReason(const TitleMeta *tm, ServeModel *sm, int32 row, const int32 *played,
		   int nplayed, int g)
{
	int32		best = -1;
	float		bc = 0.0f;
	float	   *cosines = palloc(sizeof(float) * Max(nplayed, 1));

	nf_title_cosines(sm, row, played, nplayed, cosines);
	for (int t = 0; t < nplayed; t++)
	{
		float		c = cosines[t];

		if (c > bc || (c == bc && best >= 0 && played[t] < best))
		{
			bc = c;
			best = played[t];
		}
	}
	if (best >= 0)
		return psprintf("new title, similar to %s", TitleName(tm, sm, best));
	if (g >= 0)
		return psprintf("new title: matches your taste for %s", tm->genre_names[g]);
	return pstrdup("new title, matched to the catalog by its content");
}

/*
 * The k best of a subset of rows by score, skipping masked rows (ties:
 * lower row first, as topk_select).  out gets model rows.
 */
static int
RankSubset(const float *score, const int32 *subset, int nsub, const uint8 *taken,
		   int k, int32 *out)
{
	int			got = 0;

	/* a sorted insertion list: k is small and most rows fall below it */
	for (int j = 0; j < nsub; j++)
	{
		int32		r = subset[j];
		float		v = score[r];
		int			pos;

		if (taken[r] || isnan(v))
			continue;
		if (got == k)
		{
			int32		last = out[k - 1];

			if (v < score[last] || (v == score[last] && r > last))
				continue;
			got--;
		}
		pos = got;
		while (pos > 0 && (score[out[pos - 1]] < v ||
						   (score[out[pos - 1]] == v && out[pos - 1] > r)))
		{
			out[pos] = out[pos - 1];
			pos--;
		}
		out[pos] = r;
		got++;
	}
	return got;
}

/*
 * The (context-adjusted) scores the rows are cut from.  For a user with a
 * vector the catalog is not scored exactly up front: the int8 copy bounds
 * every title's score (topk_scan.h), and a row scores exactly only the
 * titles whose bound can reach its top per_row -- the same titles, order
 * and scores as scoring every title (RankRows).
 */
typedef struct PageScores
{
	float	   *score;			/* adjusted score of a row, where known */
	uint8	   *known;			/* NULL: every row's score is known */
	float	   *lo;				/* bounds of each row's score (before the */
	float	   *hi;				/* context), when known != NULL */
	ServeModel *sm;
	const float *x;
	const NfContextLift *cl;	/* the context's lifts, NULL: none */
	const float *rlift;			/* its dense lifts by row (RowLifts), or NULL */
	int32	   *el;				/* RankRows' scratch: N rows */
	float	   *eh;				/* and N floats */
	float	   *lb;				/* 2N, NULL until the first RankRows: each row's */
	/* adjusted positive bounds, interleaved (PageBounds) */
} PageScores;

/* rows of Y prefetched ahead of their exact dot (a few cache misses each) */
#define HP_SCORE_AHEAD 8

/* Score the listed rows exactly (scan_dot, then the context), once each. */
static void
ScoreRows(PageScores *ps, const int32 *rows, int n)
{
	ServeModel *sm = ps->sm;

	int			f = sm->factors;

	/* the first rows start loading now, each later one HP_SCORE_AHEAD ahead */
	for (int j = 0; j < Min(n, HP_SCORE_AHEAD); j++)
		if (!ps->known[rows[j]])
			scan_prefetch_row(sm->Y + (Size) rows[j] * f, f);
	for (int j = 0; j < n; j++)
	{
		int32		r = rows[j];
		float		v;

		if (j + HP_SCORE_AHEAD < n && !ps->known[rows[j + HP_SCORE_AHEAD]])
		{
			scan_prefetch_row(sm->Y + (Size) rows[j + HP_SCORE_AHEAD] * f, f);
			__builtin_prefetch(&sm->item_ids[rows[j + HP_SCORE_AHEAD]]);
		}
		/* and the context's lift of the title, once its id has arrived */
		if (ps->cl && ps->cl->lift && j + HP_SCORE_AHEAD / 2 < n)
		{
			uint64		id = (uint64) sm->item_ids[rows[j + HP_SCORE_AHEAD / 2]];

			if (id < (uint64) ps->cl->dense_n)
				__builtin_prefetch(&ps->cl->lift[id]);
		}
		if (ps->known[r])
			continue;
		ps->known[r] = 1;
		v = scan_dot(sm->Y + (Size) r * f, ps->x, f);
		if (ps->cl)
			v = nf_context_apply1(ps->cl, sm->item_ids[r], v);
		ps->score[r] = v;
	}
}

/*
 * The dense lifts of a context cell by model row instead of title id
 * (rlift[r] = lift[item_ids[r]], 1 for an id out of the table), so that
 * the rows' bounds are adjusted without reading item_ids: kept per
 * backend for the last few (model, cell) pairs, keyed by the model's
 * identity and the cell's cache load.
 */
#define HP_RLIFT_SLOTS 8

typedef struct RowLift
{
	char	   *model;			/* NULL: slot unused */
	int64		version;
	TimestampTz deployed_at;
	int			nitems;
	uint64		generation;
	const void *cell;
	float	   *rlift;
} RowLift;

static RowLift rlift_cache[HP_RLIFT_SLOTS];
static int	rlift_next = 0;
static MemoryContext rlift_cxt = NULL;

static const float *
RowLifts(const ServeModel *sm, const NfContextLift *cl)
{
	RowLift    *s;

	if (cl == NULL || cl->lift == NULL || sm->name == NULL)
		return NULL;
	for (int i = 0; i < HP_RLIFT_SLOTS; i++)
	{
		s = &rlift_cache[i];
		if (s->model && s->generation == cl->generation && s->cell == (const void *) cl->cell &&
			s->version == sm->version && s->deployed_at == sm->deployed_at &&
			s->nitems == sm->nitems && strcmp(s->model, sm->name) == 0)
			return s->rlift;
	}
	if (rlift_cxt == NULL)
		rlift_cxt = AllocSetContextCreate(CacheMemoryContext, "nfrec homepage row lifts",
										  ALLOCSET_DEFAULT_SIZES);
	s = &rlift_cache[rlift_next];
	rlift_next = (rlift_next + 1) % HP_RLIFT_SLOTS;
	if (s->model)
	{
		pfree(s->model);
		pfree(s->rlift);
		s->model = NULL;
	}
	s->rlift = MemoryContextAlloc(rlift_cxt, sizeof(float) * Max(sm->nitems, 1));
	for (int r = 0; r < sm->nitems; r++)
	{
		uint64		id = (uint64) sm->item_ids[r];

		s->rlift[r] = id < (uint64) cl->dense_n ? cl->lift[id] : 1.0f;
	}
	s->version = sm->version;
	s->deployed_at = sm->deployed_at;
	s->nitems = sm->nitems;
	s->generation = cl->generation;
	s->cell = cl->cell;
	s->model = MemoryContextStrdup(rlift_cxt, sm->name);
	return s->rlift;
}

/*
 * A positive bound s of row r (title id) adjusted as nf_context_apply1
 * does it (s x lift in double, rounded to float); s must be > 0.
 */
static inline float
LiftPositive(const NfContextLift *cl, const float *rlift, const int64 *ids, int32 r, float s)
{
	double		d = s;

	if (cl == NULL)
		return s;
	if (rlift)
		d *= (double) rlift[r];
	else if (cl->lift == NULL)
		return nf_context_apply1_sparse(cl, ids[r], s);
	else if ((uint64) ids[r] < (uint64) cl->dense_n)
		d *= (double) cl->lift[ids[r]];
	return (float) Min(d, (double) FLT_MAX);
}

/*
 * The adjusted positive bounds of every row for RankRows, lower and upper
 * interleaved (one cache line serves both; the rows of a genre are spread
 * over the catalog): lb[2r] = LiftPositive(lo[r]) when lo[r] > 0, else
 * -inf, and lb[2r + 1] the same of hi[r].  LiftPositive of a positive
 * bound is >= 0, so lb[2r] >= 0 exactly when lo[r] > 0, and for L > 0,
 * lb[2r + 1] >= L exactly when hi[r] > 0 and LiftPositive(hi[r]) >= L.
 * NULL (RankRows lifts as it goes) when the lifts are sparse: an exp()
 * per title is dearer than the rows visit.
 */
static float *
PageBounds(PageScores *ps)
{
	const NfContextLift *cl = ps->cl;
	const float *rlift = ps->rlift;
	const float *lo = ps->lo,
			   *hi = ps->hi;
	const int64 *ids = ps->sm->item_ids;
	int			N = ps->sm->nitems;
	float	   *lb;

	if (cl && !rlift && !cl->lift)
		return NULL;
	lb = palloc(sizeof(float) * 2 * Max(N, 1));
	if (rlift || !cl)
		scan_lift_bounds(lo, hi, rlift, N, lb);	/* LiftPositive's arithmetic */
	else
		for (int r = 0; r < N; r++)
		{
			lb[2 * r] = lo[r] > 0.0f ? LiftPositive(cl, rlift, ids, r, lo[r]) : -INFINITY;
			lb[2 * r + 1] = hi[r] > 0.0f ? LiftPositive(cl, rlift, ids, r, hi[r]) : -INFINITY;
		}
	return lb;
}

/*
 * RankSubset over ps.  With bounds: the context lift is a positive factor
 * per title (context.c), so it keeps each title's bounds in order; a row
 * whose adjusted upper bound is below the k-th best adjusted lower bound
 * L of the eligible rows has k rows strictly above it and cannot be in
 * the top k, so only the others are scored and ranked.
 *
 * L is found from the positive lower bounds alone when at least k are
 * positive (a bound <= 0 stays <= 0 adjusted, so it is not above the k-th
 * best positive one), and when L > 0 a row whose upper bound is <= 0
 * cannot reach it; only otherwise is every bound adjusted.  The rows
 * scored are exactly those whose adjusted upper bound reaches L.
 */
static int
RankRows(PageScores *ps, const int32 *subset, int nsub, const uint8 *taken, int k,
		 int32 *out)
{
	int32	   *el = ps->el;
	const int64 *ids = ps->sm->item_ids;
	const NfContextLift *cl = ps->cl;
	const float *rlift = ps->rlift;
	const float *lo = ps->lo,
			   *hi = ps->hi;
	float		heap[HP_MAX_PER_ROW];
	int			m = 0,
				nh = 0,
				nc = 0;
	float		L = -INFINITY;

	const float *lb;
	float	   *eh = ps->eh;

	if (ps->known == NULL)
		return RankSubset(ps->score, subset, nsub, taken, k, out);
	Assert(k <= HP_MAX_PER_ROW);
	if (ps->lb == NULL)
		ps->lb = PageBounds(ps);
	lb = ps->lb;

	/*
	 * the eligible rows (with their adjusted positive upper bounds, so the
	 * cut below reads them in order), and the k best positive lower bounds
	 */
	if (lb)
	{
		/*
		 * lb[2r] is -inf or >= 0: while the heap fills, v > -1 is v >= 0;
		 * once full, topk_heap_keep keeps only v > heap[0] (>= 0).  One test
		 * per row that rarely passes (never for k = 0).
		 */
		float		keep = k > 0 ? -1.0f : INFINITY;

		for (int j = 0; j < nsub; j++)
		{
			int32		r = subset[j];
			float		v = lb[2 * r];

			if (taken[r])
				continue;
			el[m] = r;
			eh[m++] = lb[2 * r + 1];
			if (v > keep)
			{
				topk_heap_keep(heap, &nh, k, v);
				if (nh == k)
					keep = heap[0];
			}
		}
	}
	else
		for (int j = 0; j < nsub; j++)
		{
			int32		r = subset[j];

			if (taken[r])
				continue;
			el[m++] = r;
			if (k > 0 && lo[r] > 0.0f)
				topk_heap_keep(heap, &nh, k, LiftPositive(cl, rlift, ids, r, lo[r]));
		}
	if (m > k && k > 0)
	{
		if (nh < k)
		{
			/* fewer than k positive: every lower bound */
			nh = 0;
			for (int j = 0; j < m; j++)
			{
				float		v = cl ? nf_context_apply1(cl, ids[el[j]], lo[el[j]]) : lo[el[j]];

				if (!isnan(v))
					topk_heap_keep(heap, &nh, k, v);
			}
		}
		if (nh == k)
			L = heap[0];
	}
	if (L > 0.0f && lb)
	{
		int			j = 0;

		/* few rows reach L: eight bounds tested at once, a block skipped */
		for (; j + 8 <= m; j += 8)
		{
			int			any = 0;

#pragma omp simd reduction(|:any)
			for (int e = 0; e < 8; e++)
				any |= eh[j + e] >= L;
			if (!any)
				continue;
			for (int e = j; e < j + 8; e++)
				if (eh[e] >= L)
					el[nc++] = el[e];
		}
		for (; j < m; j++)
			if (eh[j] >= L)
				el[nc++] = el[j];
	}
	else if (L > 0.0f)
	{
		for (int j = 0; j < m; j++)
		{
			int32		r = el[j];

			if (hi[r] > 0.0f && LiftPositive(cl, rlift, ids, r, hi[r]) >= L)
				el[nc++] = r;
		}
	}
	else
	{
		for (int j = 0; j < m; j++)
		{
			int32		r = el[j];
			float		h = cl ? nf_context_apply1(cl, ids[r], hi[r]) : hi[r];

			if (h >= L)
				el[nc++] = r;
		}
	}
	ScoreRows(ps, el, nc);
	return RankSubset(ps->score, el, nc, taken, k, out);
}

PG_FUNCTION_INFO_V1(homepage);
Datum
homepage(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *ts;
	MemoryContext outer = CurrentMemoryContext;
	bool		anonymous = PG_ARGISNULL(0);
	int64		user_id = anonymous ? 0 : PG_GETARG_INT64(0);
	int			nrows,
				per_row;
	TimestampTz at;
	char	   *mname;
	char	   *device;
	double		diversity;
	ServeModel *sm;
	PageRow    *page;
	int			npage = 0;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rows, per_row and at must not be null")));
	nrows = PG_GETARG_INT32(1);
	per_row = PG_GETARG_INT32(2);
	at = PG_GETARG_TIMESTAMPTZ(3);
	if (nrows < 1 || nrows > HP_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rows must be between 1 and %d, not %d", HP_MAX_ROWS, nrows)));
	if (per_row < 1 || per_row > HP_MAX_PER_ROW)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("per_row must be between 1 and %d, not %d", HP_MAX_PER_ROW, per_row)));
	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("at must be finite")));
	device = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	mname = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	diversity = nf_check_diversity(fcinfo, 6);
	ts = nf_begin_srf(fcinfo, &tupdesc);

	SPI_connect();
	sm = nf_model_acquire(mname);
	{
		int			N = sm->nitems;
		float	   *x = palloc(sizeof(float) * sm->factors);
		UserEvents	used = {0};
		UserSource	src = USER_COLD;
		TitleMeta  *tm = nf_title_meta(sm, true);
		Oid			ve = nf_canonical_relid("viewing_events");
		char	   *segment = NULL;	/* the user's artwork segment */
		Play	   *plays = NULL;
		int			nplays = 0;
		const char *country = NULL;
		uint8	   *ex,
				   *taken;		/* seen (ex) or already on the page */
		PageScores	ps;
		int32	   *pool;
		float	   *poolsc;
		int			npool;
		double	   *p = NULL;
		int			ncatplays = 0;
		int32	   *catplays = palloc(sizeof(int32) * 1);
		PageRow    *cand;
		int			ncand = 0;
		bool		context;
		NfContextLift cl;
		/* "because you watched": similar_titles' blend and support floor */
		double		cooc_w = nf_model_neighbours(sm) ? nf_cooccurrence_weight() : 0.0;
		bool		known_counts = false;
		uint8	   *reserved = NULL;
		DateADT		at_date = DatumGetDateADT(DirectFunctionCall1(timestamptz_date,
																  TimestampTzGetDatum(at)));

		for (int i = 0; i < N && !known_counts; i++)
			known_counts = sm->counts[i] > 0.0f;
		if (!anonymous)
			src = nf_resolve_user(sm, user_id, x, &used);
		else
			memset(sm->seen, 0, N);
		ex = sm->seen;			/* seen in training or the bound events ... */
		if (OidIsValid(ve) && !anonymous)
		{
			char	   *c;

			/* on a Citus node: the user's shard when it is placed here */
			nplays = ReadPlays(nf_citus_local_table(ve, user_id, true), sm, tm, user_id, at,
							   &plays, &c, &segment);
			country = c;
			catplays = repalloc(catplays, sizeof(int32) * Max(nplays, 1));
			for (int j = 0; j < nplays; j++)
			{
				if (plays[j].row >= 0)
				{
					ex[plays[j].row] = 1;	/* ... or started before at */
					catplays[ncatplays++] = plays[j].row;
				}
			}
		}
		/* one flag a title for the rows to test (ex no longer changes) */
		taken = palloc(N);
		memcpy(taken, ex, N);

		/* score the catalog once */
		npool = Min(Max(HP_POOL, HP_POOL_PER_ROW * per_row), N);
		pool = palloc(sizeof(int32) * npool);
		poolsc = palloc(sizeof(float) * npool);
		ps.known = NULL;
		ps.sm = sm;
		ps.x = x;
		ps.cl = NULL;
		ps.rlift = NULL;
		if (src != USER_COLD && sm->kind != NF_MODEL_EASE)
		{
			ScanCatalog *cat = nf_scan_catalog(sm);

			int			got;

			ps.lo = palloc(sizeof(float) * N);
			ps.hi = palloc(sizeof(float) * N);
			/* the bounds of every title (one int8 pass) and the pool exactly */
			got = scan_bounds_topk(cat, x, ps.lo, ps.hi, ex, npool, pool, poolsc,
								   sm->scan_work, NULL);
			if (got >= 0)
			{
				/* every other score on demand (RankRows) */
				npool = got;
				ps.score = palloc(sizeof(float) * N);
				ps.known = palloc0(N);
				ps.el = palloc(sizeof(int32) * N);
				ps.eh = palloc(sizeof(float) * N);
				ps.lb = NULL;
			}
			else
				npool = nf_rank_by_vector(sm, x, 0.0f, npool, pool, poolsc);
		}
		else if (src != USER_COLD)
			npool = nf_rank_by_vector(sm, x, 0.0f, npool, pool, poolsc);
		else
		{
			for (int i = 0; i < N; i++)
				sm->scores[i] = sm->nusers > 0 ? sm->counts[i] / sm->nusers : 0.0f;
			npool = nf_rank_popular(sm, npool, pool, poolsc);
			for (int j = 0; j < npool; j++)
				poolsc[j] = sm->scores[pool[j]];
		}
		if (ps.known == NULL)
			ps.score = sm->scores;

		/*
		 * The context (day part of at, device) re-ranks every row: the
		 * top-picks pool as context_rerank would, and the catalog scores
		 * that the other rows are cut from (doc/context.md).  No fit: no
		 * change.
		 */
		context = npool > 0 && nf_context_resolve(&at, device, &cl);
		if (context)
		{
			nf_context_rerank_lifted(&cl, sm->item_ids, pool, poolsc, npool);
			ps.cl = &cl;
			if (ps.known != NULL)
				ps.rlift = RowLifts(sm, &cl);
			if (ps.known == NULL)
				nf_context_apply(&cl, sm->item_ids, ps.score, N);
		}
		/* the pool's exact (adjusted) scores serve the rows too */
		for (int j = 0; ps.known && j < npool; j++)
		{
			ps.score[pool[j]] = poolsc[j];
			ps.known[pool[j]] = 1;
		}

		/* the genre mix of the user's taste */
		if (tm)
		{
			p = palloc0(sizeof(double) * Max(tm->ngenres, 1));
			if (src == USER_COLD && ncatplays > 0)
				nf_genre_mix(tm, catplays, NULL, ncatplays, p);
			else
				nf_user_genre_mix(sm, tm, src, &used, p);
		}

		cand = palloc0(sizeof(PageRow) * (4 + HP_MAX_ANCHORS + HP_MAX_GENRE_ROWS));

		/* Continue Watching */
		{
			PageRow    *r = &cand[ncand++];
			TimestampTz horizon = at - (TimestampTz) HP_CW_HORIZON_DAYS * USECS_PER_DAY;
			MemoryContext old = MemoryContextSwitchTo(outer);

			r->kind = ROW_CW;
			r->label = "Continue Watching";
			r->e = palloc0(sizeof(Entry) * per_row);
			for (int j = 0; j < nplays && r->n < per_row; j++)
			{
				if (plays[j].pct >= HP_FINISHED_PCT || plays[j].last < horizon)
					continue;
				r->e[r->n].title_id = plays[j].title_id;
				r->e[r->n].score = (float) (plays[j].pct / 100.0);
				r->e[r->n].reason = psprintf("resume: %.0f%% watched", plays[j].pct);
				r->n++;
			}
			MemoryContextSwitchTo(old);
		}

		/* engagement of the user with each kind of row (doc/serve.md) */
		if (src != USER_COLD)
		{
			PageRow    *r = &cand[ncand++];
			int			nanchor = 0;
			float	   *cosines = palloc(sizeof(float) * Max(ncatplays, 1));

			r->kind = ROW_TOP;
			r->engagement = 1.0;
			r->label = "Top Picks for You";
			for (int j = 0; j < nplays && nanchor < HP_MAX_ANCHORS; j++)
			{
				int32		a = plays[j].row;
				double		e = 0.0;
				int			m = 0;

				if (a < 0 || sm->norms[a] <= 0.0f || plays[j].pct < HP_FINISHED_PCT)
					continue;
				nf_title_cosines(sm, a, catplays, ncatplays, cosines);
				for (int t = 0; t < ncatplays; t++)
					if (catplays[t] != a)
					{
						e += Max(0.0f, cosines[t]);
						m++;
					}
				r = &cand[ncand++];
				r->kind = ROW_BYW;
				r->anchor = a;
				r->tiebreak = nanchor++;
				r->engagement = m > 0 ? e / m : 0.0;
				r->label = psprintf("Because you watched %s", TitleName(tm, sm, a));
			}
		}
		{
			PageRow    *r = &cand[ncand++];
			int			hits = 0;

			r->kind = ROW_TRENDING;
			if (ncatplays > 0)
			{
				for (int t = 0; t < ncatplays; t++)
					for (int j = 0; j < Min(HP_MAINSTREAM, N); j++)
						if (sm->pop_order[j] == catplays[t])
						{
							hits++;
							break;
						}
				r->engagement = (double) hits / ncatplays;
			}
			else
				r->engagement = 0.6;
		}
		if (tm)
		{
			PageRow    *r = &cand[ncand++];
			int			hits = 0;

			r->kind = ROW_NEW;
			r->label = "New Releases";
			if (nplays > 0)
			{
				for (int j = 0; j < nplays; j++)
				{
					int32		row = plays[j].row;

					if (row >= 0 && tm->launch[row] != PG_INT32_MIN)
					{
						TimestampTz launch = date2timestamptz_opt_overflow(tm->launch[row], NULL);

						if (plays[j].first < launch + (TimestampTz) HP_NEW_DAYS * USECS_PER_DAY)
							hits++;
					}
				}
				r->engagement = (double) hits / nplays;
			}
			else
				r->engagement = 0.5;

			/* genres by the user's share, then name */
			for (int k = 0; k < HP_MAX_GENRE_ROWS; k++)
			{
				int			best = -1;

				for (int g = 0; g < tm->ngenres; g++)
				{
					bool		taken = false;

					for (int c = 0; c < ncand; c++)
						taken |= cand[c].kind == ROW_GENRE && cand[c].genre == g;
					if (!taken && p[g] > 0.0 && (best < 0 || p[g] > p[best]))
						best = g;
				}
				if (best < 0)
					break;
				r = &cand[ncand++];
				r->kind = ROW_GENRE;
				r->genre = best;
				r->tiebreak = k;
				r->engagement = p[best];
				r->label = src == USER_COLD && ncatplays == 0 ?
					psprintf("Popular in %s", tm->genre_names[best]) :
					psprintf("%s picks for you", tm->genre_names[best]);
			}
		}
		qsort(cand, ncand, sizeof(PageRow), CmpPageRow);

		/*
		 * Cold titles (deploy_cold_titles) launched in the new-release
		 * window are kept for new_releases when that row is among the first
		 * nrows candidates: marked as on the page until it ranks them.
		 */
		if (sm->cold && tm)
		{
			for (int c = 0; c < ncand && c < nrows; c++)
				if (cand[c].kind == ROW_NEW)
				{
					int32	   *sub = palloc(sizeof(int32) * Max(tm->nlaunched, 1));
					int			nsub = NewWindow(tm, at_date, sub);

					reserved = palloc0(N);
					for (int j = 0; j < nsub; j++)
						if (sm->cold[sub[j]] && !ex[sub[j]])
							reserved[sub[j]] = taken[sub[j]] = 1;
				}
		}

		/* fill the rows in page order: a higher row picks first */
		page = MemoryContextAlloc(outer, sizeof(PageRow) * ncand);
		for (int c = 0; c < ncand && npage < nrows; c++)
		{
			PageRow    *r = &cand[c];
			MemoryContext old = MemoryContextSwitchTo(outer);
			int32	   *got = palloc(sizeof(int32) * Max(npool, per_row));
			float	   *gs = palloc(sizeof(float) * Max(npool, per_row));
			int			ng = 0;
			char	  **why = NULL; /* TasteReason's strings of this row */

			if (r->kind != ROW_CW)
				r->e = palloc0(sizeof(Entry) * per_row);
			switch (r->kind)
			{
				case ROW_CW:
					break;
				case ROW_TOP:
					for (int j = 0; j < npool; j++)
						if (!taken[pool[j]])
						{
							got[ng] = pool[j];
							gs[ng++] = poolsc[j];
						}
					if (tm && diversity > 0.0)
						ng = nf_calibrate_rows(tm, p, diversity, ng, got, gs, per_row, sm->counts);
					for (int j = 0; j < Min(ng, per_row); j++)
					{
						int			g = tm ? FavouriteGenre(tm, p, got[j]) : -1;

						r->e[r->n].title_id = sm->item_ids[got[j]];
						r->e[r->n].score = gs[j];
						r->e[r->n].reason = TasteReason(&why, tm, "matches your taste for %s",
														"top pick for you", g);
						r->n++;
					}
					break;
				case ROW_BYW:
					{
						float	   *cs = palloc(sizeof(float) * Max(npool, 1));
						uint8	   *skip = palloc0(Max(npool, 1));
						int32	   *sel = palloc(sizeof(int32) * per_row);
						int			k;

						/*
						 * similar_titles' score (co-occurrence blended in)
						 * and support floor (doc/serve.md, "Similar titles
						 * and support"); no floor without per-title counts
						 */
						nf_similar_scores(sm, r->anchor, pool, npool, cooc_w, cs);
						for (int j = 0; j < npool; j++)
						{
							skip[j] = taken[pool[j]] || pool[j] == r->anchor ||
								(known_counts && sm->counts[pool[j]] < (float) NF_SIMILAR_MIN_SUPPORT);
						}
						if (context)
							for (int j = 0; j < npool; j++)
								cs[j] = nf_context_apply1(&cl, sm->item_ids[pool[j]], cs[j]);
						k = topk_select(cs, npool, skip, per_row, sel);
						for (int j = 0; j < k; j++)
						{
							r->e[r->n].title_id = sm->item_ids[pool[sel[j]]];
							r->e[r->n].score = cs[sel[j]];
							/* one string for the row (entries only read it) */
							r->e[r->n].reason = j > 0 ? r->e[0].reason :
								psprintf("similar to %s", TitleName(tm, sm, r->anchor));
							r->n++;
						}
					}
					break;
				case ROW_TRENDING:
					{
						const TrendList *tl = NULL;
						const char *where = NULL;
						int			nt;
						int32	   *trow;
						float	   *tsc;

						if (OidIsValid(ve))
						{
							Trending   *tr = nf_trending(sm, ve, at);

							if (country && (tl = nf_trend_list(tr, country)) != NULL && tl->n > 0)
								where = country;
							else
								tl = nf_trend_list(tr, NULL);
						}
						nt = tl ? tl->n : 0;
						trow = palloc(sizeof(int32) * Max(nt, 1));
						tsc = palloc(sizeof(float) * Max(nt, 1));

						r->label = where ? psprintf("Trending in %s", where) : "Trending Now";
						if (nt > 0)
						{
							memcpy(trow, tl->rows, sizeof(int32) * nt);
							memcpy(tsc, tl->scores, sizeof(float) * nt);
							if (context)
								nf_context_rerank_lifted(&cl, sm->item_ids, trow, tsc, nt);
						}
						for (int j = 0; j < nt && r->n < per_row; j++)
						{
							if (taken[trow[j]])
								continue;
							r->e[r->n].title_id = sm->item_ids[trow[j]];
							r->e[r->n].score = tsc[j];
							/* one string for the row (entries only read it) */
							r->e[r->n].reason = r->n > 0 ? r->e[0].reason :
								where ? psprintf("trending in %s", where) : pstrdup("trending now");
							taken[trow[j]] = 1;	/* tl may repeat no row, but be safe */
							r->n++;
						}
					}
					break;
				case ROW_NEW:
					{
						int32	   *sub = palloc(sizeof(int32) * Max(tm->nlaunched, 1));
						int			nsub = NewWindow(tm, at_date, sub);

						/* the cold titles kept for this row compete now */
						for (int j = 0; reserved && j < nsub; j++)
							if (reserved[sub[j]])
								taken[sub[j]] = 0;
						ng = RankRows(&ps, sub, nsub, taken, per_row, got);
						for (int j = 0; reserved && j < nsub; j++)
							if (reserved[sub[j]])
								taken[sub[j]] = 1;
					}
					for (int j = 0; j < ng; j++)
					{
						int			g = src != USER_COLD ? FavouriteGenre(tm, p, got[j]) : -1;

						r->e[r->n].title_id = sm->item_ids[got[j]];
						r->e[r->n].score = ps.score[got[j]];
						if (sm->cold && sm->cold[got[j]])
							r->e[r->n].reason = ColdReason(tm, sm, got[j], catplays, ncatplays, g);
						else
							r->e[r->n].reason = TasteReason(&why, tm, "new: matches your taste for %s",
															"new release", g);
						r->n++;
					}
					break;
				case ROW_GENRE:
					ng = RankRows(&ps, tm->genre_rows + tm->genre_ptr[r->genre],
									tm->genre_ptr[r->genre + 1] - tm->genre_ptr[r->genre],
									taken, per_row, got);
					for (int j = 0; j < ng; j++)
					{
						r->e[r->n].title_id = sm->item_ids[got[j]];
						r->e[r->n].score = ps.score[got[j]];
						r->e[r->n].reason = j > 0 ? r->e[0].reason :
							src == USER_COLD && ncatplays == 0 ?
							psprintf("popular in %s", tm->genre_names[r->genre]) :
							psprintf("matches your taste for %s", tm->genre_names[r->genre]);
						r->n++;
					}
					break;
			}
			MemoryContextSwitchTo(old);
			if (r->n == 0)
				continue;
			for (int j = 0; j < r->n; j++)
			{
				int32		row = nf_title_row(sm, r->e[j].title_id);

				if (row >= 0)
					taken[row] = 1;
			}
			page[npage] = *r;
			page[npage].label = MemoryContextStrdup(outer, r->label ? r->label : kind_names[r->kind]);
			npage++;
			CHECK_FOR_INTERRUPTS();
		}

		/* artwork (no user: no segment, NULL artwork) */
		if (!anonymous && tm)
			PickArtwork(user_id, at_date, segment, page, npage);
	}
	SPI_finish();

	for (int r = 0; r < npage; r++)
	{
		/* a row's kind and label (and a reason its entries share) made text once */
		Datum		kind = CStringGetTextDatum(kind_names[page[r].kind]),
					label = CStringGetTextDatum(page[r].label),
					reason = (Datum) 0;
		const char *reason_of = NULL;

		for (int j = 0; j < page[r].n; j++)
		{
			Datum		values[9];
			bool		nulls[9] = {0};

			values[0] = Int32GetDatum(r + 1);
			values[1] = kind;
			values[2] = label;
			if (page[r].kind == ROW_BYW)
				values[3] = Int64GetDatum(sm->item_ids[page[r].anchor]);
			else
				nulls[3] = true;
			values[4] = Int32GetDatum(j + 1);
			values[5] = Int64GetDatum(page[r].e[j].title_id);
			values[6] = Float4GetDatum(page[r].e[j].score);
			if (page[r].e[j].reason != reason_of)
			{
				reason_of = page[r].e[j].reason;
				reason = CStringGetTextDatum(reason_of);
			}
			values[7] = reason;
			if (page[r].e[j].has_artwork)
				values[8] = Int32GetDatum(page[r].e[j].artwork);
			else
				nulls[8] = true;
			tuplestore_putvalues(ts, tupdesc, values, nulls);
		}
	}
	return (Datum) 0;
}
