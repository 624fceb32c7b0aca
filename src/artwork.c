/*
 * artwork.c -- the homepage's artwork pick: nfrec.pick_artwork
 * (src/sql/75_context.sql) computed in C from a per-backend copy of the
 * artwork fit, so that a page of ~80 titles costs microseconds, not the
 * milliseconds of the plpgsql function.  The result is the same as
 * pick_artwork(user_id, title_ids, seed) with the default prior_strength
 * (sql/homepage.sql checks it): the user's segment is the first genre
 * most often among their plays, '*' when they have none or the fit has no
 * prior for it; per title, the arms are its artworks in segment '*', each
 * Beta(1 + 20 x rate + played, 1 + 20 x (1 - rate) + not played) with the
 * segment's counts and rate = (segment's plays of that artwork over all
 * titles + 1) / (its impressions + 2), 0.5 without a prior row; the
 * Thompson draw is seeded by the first 60 bits of
 * md5('<seed>/<user_id>/<title_id>'), as pick_artwork does (computed by
 * artwork_seed.c: the server's md5 through the cryptohash API cost more
 * than the draws).
 *
 * Cache: artwork_stats and artwork_prior of the current fit, keyed by
 * artwork_fit.version (read on each call; table writes send no
 * invalidation), and per segment, from its first page on, the (alpha,
 * beta) of every (title, artwork) row of segment '*' (16 bytes a row and
 * segment: 0.7 MB per segment for 15,000 titles x 3 artworks), so that a
 * title's arms are a table lookup and one cache line.  All reads are as
 * the caller, in the statement's snapshot, like pick_artwork (the artwork tables are readable by PUBLIC).
 * The homepage passes the user's segment, counted from the plays it reads
 * from viewing_events anyway (with the caller's rights) and the genres[1]
 * of its cached metadata, so the pick costs no query of its own; that
 * count covers the model's titles only (pick_artwork's join also counts
 * plays of titles in content_metadata that the model lacks).
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/acl.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "artwork.h"
#include "artwork_seed.h"
#include "pgutil.h"
#include "rng.h"
#include "stats.h"

#define ART_PRIOR_STRENGTH 20.0

typedef struct ArtSeg
{
	char	   *name;
	int			n;				/* stats rows, by (title_id, artwork_id) */
	int64	   *title;
	int32	   *art;
	int64	   *shown;
	int64	   *played;
	int			nprior;			/* prior rows, by artwork_id */
	int32	   *prior_art;
	int64	   *prior_shown;
	int64	   *prior_played;
	/* per prior row: 1 + 20 x rate and 1 + 20 x (1 - rate), rate as pick_artwork */
	double	   *prior_a0;
	double	   *prior_b0;

	/*
	 * (alpha, beta) of every row of segment '*' (title, artwork) for a user
	 * of this segment, interleaved; NULL until a page of the segment needs
	 * it (SegParams).  A title's arms are then one lookup and one cache
	 * line, not the walk of both segments' rows and the prior per arm.
	 */
	double	   *ab;
	/*
	 * segment '*' only: TitleRows' first row of every title id lb_lo ..
	 * lb_lo + lb_span (the last entry n)
	 */
	int32	   *lb;
	int64		lb_lo;
	int64		lb_span;
} ArtSeg;

static struct
{
	int64		version;		/* -1: not loaded */
	int			nseg;
	ArtSeg	   *seg;
	int			maxarms;		/* most artworks of one title in segment '*' */
	double	   *alpha;			/* maxarms each: the draw's parameters */
	double	   *beta;
	MemoryContext cxt;
}			art_cache = {-1, 0, NULL, 0, NULL, NULL, NULL};

static SPIPlanPtr plan_stats = NULL;
static SPIPlanPtr plan_prior = NULL;

static ArtSeg *
FindSeg(const char *name)
{
	for (int i = 0; i < art_cache.nseg; i++)
		if (strcmp(art_cache.seg[i].name, name) == 0)
			return &art_cache.seg[i];
	return NULL;
}

/* Load the fit into the cache unless its version is current; false: no fit. */
static bool
Refresh(void)
{
	int64		version;
	bool		isnull;
	MemoryContext cxt,
				old;
	uint64		nrows;

	if (!nf_fit_version("artwork_fit", &version))
		return false;
	if (version == art_cache.version)
		return true;
	art_cache.version = -1;		/* until loaded: an error below reloads next time */

	cxt = AllocSetContextCreate(CurrentMemoryContext, "nfrec artwork", ALLOCSET_DEFAULT_SIZES);
	if (SPI_execute_plan(nf_keep_plan(&plan_stats,
							  "SELECT segment, title_id, artwork_id, shown, played FROM nfrec.artwork_stats"
							  " ORDER BY segment COLLATE \"C\", title_id, artwork_id", 0, NULL),
						 NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read nfrec.artwork_stats");
	old = MemoryContextSwitchTo(cxt);
	nrows = SPI_processed;
	{
		ArtSeg	   *segs;
		int			nseg = 0,
					cap = 64;	/* the prior's segments that have no stats, at most */
		SPITupleTable *tt = SPI_tuptable;
		char	   *prev = NULL;

		for (uint64 j = 0; j < nrows; j++)
		{
			char	   *name = TextDatumGetCString(SPI_getbinval(tt->vals[j], tt->tupdesc, 1, &isnull));

			if (prev == NULL || strcmp(prev, name) != 0)
				cap++;
			prev = name;
		}
		segs = palloc0(sizeof(ArtSeg) * cap);

		for (uint64 j = 0; j < nrows; j++)
		{
			char	   *name = TextDatumGetCString(SPI_getbinval(tt->vals[j], tt->tupdesc, 1, &isnull));
			ArtSeg	   *s;

			if (nseg == 0 || strcmp(segs[nseg - 1].name, name) != 0)
			{
				uint64		k = j;

				s = &segs[nseg++];
				s->name = name;
				while (k < nrows &&
					   strcmp(TextDatumGetCString(SPI_getbinval(tt->vals[k], tt->tupdesc, 1, &isnull)), name) == 0)
					k++;
				s->title = palloc(sizeof(int64) * (k - j));
				s->art = palloc(sizeof(int32) * (k - j));
				s->shown = palloc(sizeof(int64) * (k - j));
				s->played = palloc(sizeof(int64) * (k - j));
			}
			s = &segs[nseg - 1];
			s->title[s->n] = DatumGetInt64(SPI_getbinval(tt->vals[j], tt->tupdesc, 2, &isnull));
			s->art[s->n] = DatumGetInt32(SPI_getbinval(tt->vals[j], tt->tupdesc, 3, &isnull));
			s->shown[s->n] = DatumGetInt64(SPI_getbinval(tt->vals[j], tt->tupdesc, 4, &isnull));
			s->played[s->n] = DatumGetInt64(SPI_getbinval(tt->vals[j], tt->tupdesc, 5, &isnull));
			s->n++;
			if ((j & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		/*
		 * title ids are dense in practice: look them up in a table (in
		 * segment '*', where the pick looks titles up; SegParams merges the
		 * other segments' rows in order)
		 */
		for (int k = 0; k < nseg; k++)
		{
			ArtSeg	   *sg = &segs[k];
			uint64		span;

			if (sg->n == 0 || strcmp(sg->name, "*") != 0)
				continue;
			span = (uint64) sg->title[sg->n - 1] - (uint64) sg->title[0] + 1;
			if (span > (uint64) 4 * sg->n + 4096)
				continue;
			sg->lb_lo = sg->title[0];
			sg->lb_span = (int64) span;
			sg->lb = palloc(sizeof(int32) * (span + 1));
			/* one more entry (n): a title's rows are lb[t] .. lb[t + 1] - 1 */
			for (uint64 t = 0, i = 0; t <= span; t++)
			{
				while (i < (uint64) sg->n &&
					   (uint64) sg->title[i] - (uint64) sg->lb_lo < t)
					i++;
				sg->lb[t] = (int32) i;
			}
		}
		MemoryContextSwitchTo(old);
		if (SPI_execute_plan(nf_keep_plan(&plan_prior,
								  "SELECT segment, artwork_id, shown, played FROM nfrec.artwork_prior"
								  " ORDER BY segment COLLATE \"C\", artwork_id", 0, NULL),
							 NULL, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read nfrec.artwork_prior");
		old = MemoryContextSwitchTo(cxt);
		tt = SPI_tuptable;
		art_cache.seg = segs;
		art_cache.nseg = nseg;
		for (uint64 j = 0; j < SPI_processed; j++)
		{
			char	   *name = TextDatumGetCString(SPI_getbinval(tt->vals[j], tt->tupdesc, 1, &isnull));
			ArtSeg	   *s = FindSeg(name);

			if (s == NULL)
			{
				if (art_cache.nseg >= cap)
					continue;	/* can't happen: fit_artwork writes stats for each prior segment */
				s = &segs[art_cache.nseg++];
				s->name = name;
			}
			if (s->prior_art == NULL)
			{
				s->prior_art = palloc(sizeof(int32) * SPI_processed);
				s->prior_shown = palloc(sizeof(int64) * SPI_processed);
				s->prior_played = palloc(sizeof(int64) * SPI_processed);
			}
			s->prior_art[s->nprior] = DatumGetInt32(SPI_getbinval(tt->vals[j], tt->tupdesc, 2, &isnull));
			s->prior_shown[s->nprior] = DatumGetInt64(SPI_getbinval(tt->vals[j], tt->tupdesc, 3, &isnull));
			s->prior_played[s->nprior] = DatumGetInt64(SPI_getbinval(tt->vals[j], tt->tupdesc, 4, &isnull));
			s->nprior++;
		}
		/* the prior's terms of alpha and beta, and the widest title of '*' */
		art_cache.maxarms = 1;
		for (int k = 0; k < art_cache.nseg; k++)
		{
			ArtSeg	   *sg = &segs[k];

			sg->prior_a0 = palloc(sizeof(double) * Max(sg->nprior, 1));
			sg->prior_b0 = palloc(sizeof(double) * Max(sg->nprior, 1));
			for (int p = 0; p < sg->nprior; p++)
			{
				double		rate = ((double) sg->prior_played[p] + 1) / ((double) sg->prior_shown[p] + 2);

				sg->prior_a0[p] = 1 + ART_PRIOR_STRENGTH * rate;
				sg->prior_b0[p] = 1 + ART_PRIOR_STRENGTH * (1 - rate);
			}
			if (strcmp(sg->name, "*") == 0)
				for (int i = 0, run = 0; i < sg->n; i++)
				{
					run = (i > 0 && sg->title[i] == sg->title[i - 1]) ? run + 1 : 1;
					art_cache.maxarms = Max(art_cache.maxarms, run);
				}
		}
		art_cache.alpha = palloc(sizeof(double) * art_cache.maxarms);
		art_cache.beta = palloc(sizeof(double) * art_cache.maxarms);
		MemoryContextSwitchTo(old);
	}
	if (art_cache.cxt)
		MemoryContextDelete(art_cache.cxt);
	MemoryContextSetParent(cxt, CacheMemoryContext);
	art_cache.cxt = cxt;
	art_cache.version = version;
	return true;
}

/*
 * The rows of title in s (sorted by title_id): *first and how many (0 when
 * none) -- from the lookup table when s has one, else by binary search.
 */
static int
TitleRows(const ArtSeg *s, int64 title, int *first)
{
	int			lo = 0,
				hi = s->n,
				n = 0;

	if (s->lb)
	{
		uint64		off = (uint64) title - (uint64) s->lb_lo;

		*first = 0;
		if (title < s->lb_lo || off >= (uint64) s->lb_span)
			return 0;
		*first = s->lb[off];
		return s->lb[off + 1] - s->lb[off];
	}
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (s->title[mid] < title)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + n < s->n && s->title[lo + n] == title)
		n++;
	*first = lo;
	return n;
}

/* index of artwork art among s's prior rows (sorted by artwork_id), or -1 */
static int
FindPrior(const ArtSeg *s, int32 art)
{
	int			lo = 0,
				hi = s->nprior - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (s->prior_art[mid] == art)
			return mid;
		if (s->prior_art[mid] < art)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/*
 * The (alpha, beta) of every row of all (segment '*') for segment seg, as
 * nf_artwork_pick computed them per call before: the segment's counts of
 * the (title, artwork) (both lists sorted by title, then artwork: one
 * merge) and the prior term of the artwork.  Kept in the cache's context.
 */
static const double *
SegParams(ArtSeg *seg, const ArtSeg *all)
{
	if (seg->ab == NULL)
	{
		double	   *ab = MemoryContextAlloc(art_cache.cxt, sizeof(double) * 2 * Max(all->n, 1));
		int			s0 = 0;

		for (int i = 0; i < all->n; i++)
		{
			int64		title = all->title[i];
			int32		art = all->art[i];
			double		played = 0,
						missed = 0,
						a = 1 + ART_PRIOR_STRENGTH * 0.5,	/* no prior row: rate 0.5 */
						b = 1 + ART_PRIOR_STRENGTH * (1 - 0.5);
			int			p;

			while (s0 < seg->n && (seg->title[s0] < title ||
								   (seg->title[s0] == title && seg->art[s0] < art)))
				s0++;
			if (s0 < seg->n && seg->title[s0] == title && seg->art[s0] == art)
			{
				played = (double) seg->played[s0];
				missed = (double) (seg->shown[s0] - seg->played[s0]);
			}
			if ((p = FindPrior(seg, art)) >= 0)
			{
				a = seg->prior_a0[p];
				b = seg->prior_b0[p];
			}
			/* 1 + 20 x rate + played, summed left to right as pick_artwork */
			ab[2 * i] = a + played;
			ab[2 * i + 1] = b + missed;
			if ((i & 4095) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		seg->ab = ab;
	}
	return seg->ab;
}

/* artwork.h */
bool
nf_artwork_pick(int64 user_id, const int64 *title_ids, int n, int64 seed, const char *segname,
				int32 *artwork, bool *has)
{
	ArtSeg	   *all,
			   *seg;
	const double *ab;
	double	   *alpha,
			   *beta;
	ArtSeedKey	key;
	int32	   *first,
			   *arms;

	for (int i = 0; i < n; i++)
		has[i] = false;
	if (n == 0 || !Refresh())
		return false;
	all = FindSeg("*");
	if (all == NULL)
		return true;
	seg = segname ? FindSeg(segname) : NULL;
	if (seg == NULL || seg->nprior == 0)
		seg = all;
	ab = SegParams(seg, all);
	alpha = art_cache.alpha;
	beta = art_cache.beta;
	art_seed_prefix(&key, seed, user_id);
	first = palloc(sizeof(int32) * n);
	arms = palloc(sizeof(int32) * n);

	/*
	 * Two passes: the titles' rows first, with their parameters and
	 * artwork ids fetched ahead (the page's titles lie anywhere in the
	 * arrays: a cache miss each, overlapped here), then the draws.  The
	 * lookup table's entries are fetched ahead of that pass too (a title's
	 * parameters are found through its entry: two misses in a chain).
	 */
	if (all->lb)
		for (int i = 0; i < n; i++)
		{
			uint64		off = (uint64) title_ids[i] - (uint64) all->lb_lo;

			if (off < (uint64) all->lb_span)
				__builtin_prefetch(&all->lb[off]);
		}
	for (int i = 0; i < n; i++)
	{
		arms[i] = TitleRows(all, title_ids[i], &first[i]);
		if (arms[i] > 0)
		{
			__builtin_prefetch(&ab[2 * first[i]]);
			__builtin_prefetch(&all->art[first[i]]);
		}
	}
	for (int i = 0; i < n; i++)
	{
		int			a0 = first[i],
					na = arms[i];
		NfRng		rng;

		if (na == 0)
			continue;			/* never shown: NULL */
		Assert(na <= art_cache.maxarms);
		for (int k = 0; k < na; k++)
		{
			alpha[k] = ab[2 * (a0 + k)];
			beta[k] = ab[2 * (a0 + k) + 1];
		}
		nf_rng_seed(&rng, art_seed60_key(&key, title_ids[i]));
		artwork[i] = all->art[a0 + stats_thompson_pick(&rng, na, alpha, beta)];
		has[i] = true;
	}
	pfree(first);
	pfree(arms);
	return true;
}
