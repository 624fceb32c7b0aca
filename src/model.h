/*
 * model.h -- shared declarations of the serving side: the model registry
 * (model.c), model values built from factors (model_build.c) and the
 * offline evaluation (evaluate.c).
 */
#ifndef NFREC_MODEL_H
#define NFREC_MODEL_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "als_model.h"
#include "pgutil.h"			/* nf_begin_srf, nf_check_n */
#include "ease.h"

#define DatumGetEaseModelP(d)	((EaseModelHeader *) PG_DETOAST_DATUM(d))
#define PG_GETARG_EASEMODEL_P(n)	DatumGetEaseModelP(PG_GETARG_DATUM(n))

/* ServeModel.kind: model_store.kind */
#define NF_MODEL_ALS	0
#define NF_MODEL_EASE	1

/* _PG_init hook: defines the nfrec.model setting */
extern void nf_model_init(void);

/*
 * The title side of a model as serving sees it: item factors, Gram matrix
 * Y'Y for fold-in, norms for cosine, popularity order for cold start.
 * Either cached per backend (a deployed model, keyed by name and version)
 * or transient (a model value being evaluated).
 */
typedef struct ServeModel
{
	/* identity of a deployed model (name NULL for a transient one) */
	char	   *name;
	int64		version;
	TimestampTz deployed_at;
	Oid			events_relid;	/* bound events relation, or InvalidOid */

	int			factors;
	int			nitems;
	const int64 *item_ids;		/* ascending */
	const float *Y;				/* nitems x factors, row-major */
	double	   *G;				/* factors x factors, Y'Y (als_gram) */
	float	   *norms;			/* |y_i| */
	const float *counts;		/* training events per title */
	int			nusers;			/* training users (0 if unknown) */
	int32	   *pop_order;		/* rows by count desc, title_id asc */
	double		alpha;
	double		lambda;
	bool		lambda_per_event;	/* regularization_scaling "frequency" */
	uint8	   *cold;			/* nitems: 1 = added by deploy_cold_titles
								 * (options.cold_titles); NULL when none */

	/* scratch reused by every call (never across an SPI call) */
	float	   *scores;			/* nitems */
	uint8	   *seen;			/* nitems */
	double	   *work;			/* als_solve_work_doubles(factors) */

	/* a transient model reads users from its value */
	const AlsModelHeader *value;

	/*
	 * kind NF_MODEL_EASE (ease_serve.c): no factors (factors 0, Y, G and
	 * norms NULL); B is the nitems x nitems item-item matrix, and a
	 * transient EASE model reads users from ease_value.
	 */
	int			kind;
	const float *B;
	const EaseModelHeader *ease_value;

	/* cache bookkeeping */
	MemoryContext mcxt;
	uint64		last_used;
	struct ServeModel *next;
} ServeModel;

/* A user's events as title rows (ascending) and summed weights. */
typedef struct UserEvents
{
	int			n;
	int32	   *rows;
	float	   *w;
} UserEvents;

/*
 * Find a deployed model (name NULL: setting nfrec.model, else the latest)
 * and return its cached title side, loading it when the version changed.
 * Errors with 42704 when there is no such model.  SPI must be connected.
 */
extern ServeModel *nf_model_acquire(const char *name);

/* A transient serving view of a model value (current memory context). */
extern ServeModel *nf_model_from_value(const AlsModelHeader *m);

/*
 * The user's trained vector and training events; false when the model
 * has no such user.  x must hold factors floats; the events are allocated
 * in cxt (SPI calls switch to the SPI procedure context, so callers that
 * loop over users pass a context they reset).  Deployed models read
 * nfrec.model_users through SPI (must be connected).
 */
extern bool nf_user_training(ServeModel *sm, int64 user_id, float *x,
							 UserEvents *ev, MemoryContext cxt);

/*
 * Top-k by dot product with x, skipping sm->seen rows; with cosine_norm > 0
 * (the norm of x) by cosine similarity instead.
 */
extern int	nf_rank_by_vector(ServeModel *sm, const float *x, float cosine_norm,
							  int k, int32 *rows, float *scores);

/* Top-k by training popularity, skipping sm->seen rows. */
extern int	nf_rank_popular(ServeModel *sm, int k, int32 *rows, float *scores);

/* how a user's vector was obtained */
typedef enum UserSource
{
	USER_TRAINED,				/* stored vector from training */
	USER_FOLDED,				/* re-solved from current events */
	USER_COLD					/* no usable events: popularity */
} UserSource;

/*
 * Decide how to serve a user: sets sm->seen to every title they have
 * (training events and bound events) and *x to the user vector unless
 * the result is USER_COLD.  When used is not NULL it gets the events the
 * vector comes from (the bound events when they differ from training,
 * else the training events; allocated in the current context).  SPI
 * must be connected.
 */
extern UserSource nf_resolve_user(ServeModel *sm, int64 user_id, float *x,
								  UserEvents *used);

struct TitleMeta;

/*
 * The genre mix a user's list is calibrated to: of the events their
 * vector comes from (weights > 0), or for a cold-start user of the
 * training events (popularity).
 */
extern void nf_user_genre_mix(ServeModel *sm, const struct TitleMeta *tm,
							  UserSource src, const UserEvents *used, double *p);

/* The diversity argument: a weight in [0, 1] (absent: 0). */
extern double nf_check_diversity(FunctionCallInfo fcinfo, int argno);

/* Norms, Gram matrix (ALS only), popularity order and scratch. */
extern void nf_serve_model_finish(ServeModel *sm);

/* ease_sql.c: error 22000-class unless a model value is well-formed */
extern void nf_ease_validate(const EaseModelHeader *m);

/* ease_serve.c: EASE models behind the serving functions */
extern ServeModel *nf_ease_from_value(const EaseModelHeader *m);
/* B from a model_store row's title_factors (n x n), copied into the model */
extern void nf_ease_load(ServeModel *sm, const float *B);
/* sm->scores = x_u B for the events' positive titles; returns how many */
extern int	nf_ease_user_scores(ServeModel *sm, const UserEvents *ev);
/* the training events of a transient EASE model's user; false if unknown */
extern bool nf_ease_user_training(ServeModel *sm, int64 user_id, UserEvents *ev);
/* top-k of sm->scores, skipping sm->seen rows */
extern int	nf_rank_scores(ServeModel *sm, int k, int32 *rows, float *scores);
/* the titles that title row t adds most to (row t of B), skipping seen */
extern int	nf_ease_similar(ServeModel *sm, int32 t, int k, int32 *rows, float *scores);
/* error unless the model has factors (user_vector, item_factors) */
extern void nf_require_factors(ServeModel *sm, const char *what);

#endif
