/*
 * titlemeta.h -- what serving knows about titles beyond their factors:
 * genres, names and launch dates from content_metadata, and recent
 * plays per country (trending) from viewing_events.  Both are read with
 * the caller's rights from the relations that the caller's search_path
 * resolves the canonical names to (DESIGN §2), and cached per backend
 * (titlemeta.c explains the keys).
 */
#ifndef NFREC_TITLEMETA_H
#define NFREC_TITLEMETA_H

#include "serve.h"

/* The catalog's metadata, arranged by the rows of one model. */
typedef struct TitleMeta
{
	Oid			relid;			/* content_metadata */
	Oid			userid;			/* whose rights read it */
	char	   *model_name;		/* model identity */
	int64		version;
	TimestampTz deployed_at;
	TimestampTz loaded_at;
	int			nitems;
	int32	   *gptr;			/* nitems + 1: genres of row i are */
	int32	   *gid;			/* gid[gptr[i] .. gptr[i+1]) */
	int			ngenres;
	char	  **genre_names;	/* sorted */
	char	  **titles;			/* NULL when unknown */
	char	  **first_genre;	/* genres[1] as stored (NULL when NULL); interned:
								 * equal strings are one pointer */
	int32	   *launch;			/* DateADT, or PG_INT32_MIN when unknown */
	int32	   *genre_ptr;		/* ngenres + 1: rows of genre g are */
	int32	   *genre_rows;		/* genre_rows[genre_ptr[g] .. genre_ptr[g+1]) */
	int			nlaunched;		/* rows with a launch date, */
	int32	   *by_launch;		/* by launch date ascending */
	MemoryContext mcxt;
} TitleMeta;

/*
 * The metadata of sm's titles from the relation named content_metadata
 * on the caller's search_path; NULL when there is none and missing_ok
 * (else error 42P01).  SPI must be connected.
 */
extern TitleMeta *nf_title_meta(ServeModel *sm, bool missing_ok);

/* Genre mix p[ngenres] (sums to 1, or all 0) of weighted model rows. */
extern void nf_genre_mix(const TitleMeta *tm, const int32 *rows, const float *w,
						 int n, double *p);

/*
 * Re-rank: the k best of the candidate rows (model rows with their
 * scores) by calibration to p with weight lambda (diversity.h), at most
 * nfrec.diversity_genre_share of them (rounded up) of one first genre;
 * with pop (training popularity per model row) the relevance is the Borda
 * count of the score and popularity orders (the popularity weighted by
 * nfrec.diversity_popularity_weight), else the score.  rows and scores
 * are rewritten with the chosen titles by score; returns the count.
 */
extern int	nf_calibrate_rows(const TitleMeta *tm, const double *p, double lambda,
							  int ncand, int32 *rows, float *scores, int k,
							  const float *pop);

/* Trending: per country, model rows by decayed recent plays. */
typedef struct TrendList
{
	char	   *country;		/* NULL: all countries */
	int			n;
	int32	   *rows;
	float	   *scores;
} TrendList;

typedef struct Trending
{
	Oid			relid;
	Oid			userid;
	char	   *model_name;
	int64		version;
	TimestampTz deployed_at;
	TimestampTz window_end;		/* at, rounded down to the hour */
	TimestampTz loaded_at;
	int			nlists;
	TrendList  *lists;
	MemoryContext mcxt;
} Trending;

#define TRENDING_WINDOW_DAYS	14
#define TRENDING_HALF_LIFE_DAYS	7
#define TRENDING_KEEP			500

extern Trending *nf_trending(ServeModel *sm, Oid events_relid, TimestampTz at);
extern const TrendList *nf_trend_list(const Trending *tr, const char *country);

/* setting nfrec.metadata_cache_seconds */
extern int	nf_metadata_cache_seconds;
extern void nf_titlemeta_init(void);

/* A relation named by an unqualified canonical name on search_path. */
extern Oid	nf_canonical_relid(const char *name);

/* Kept plan of a query over a relation (%s, or %1$s each time, = its qualified name). */
extern SPIPlanPtr nf_relation_plan(Oid relid, const char *tag, const char *fmt,
								   int nargs, Oid *argtypes);

#endif
