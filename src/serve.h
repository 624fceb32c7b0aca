/*
 * serve.h -- the types of the serving layer: a model's title side as
 * serving sees it (ServeModel), a user's events, where a user's vector
 * comes from.  Types only: the functions live in model.h (model.c) and
 * ease_serve.h (ease_serve.c), so that ease_serve.c and titlemeta.c can
 * use the types without depending on model.c.
 */
#ifndef NFREC_SERVE_H
#define NFREC_SERVE_H

#include "postgres.h"

#include "utils/timestamp.h"

#include "als_model.h"
#include "ease.h"

#define DatumGetEaseModelP(d)	((EaseModelHeader *) PG_DETOAST_DATUM(d))
#define PG_GETARG_EASEMODEL_P(n)	DatumGetEaseModelP(PG_GETARG_DATUM(n))

/* ServeModel.kind: model_store.kind */
#define NF_MODEL_ALS	0
#define NF_MODEL_EASE	1

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

	/*
	 * int8 copy of Y for the exact top-k (topk_scan.h) and its scratch;
	 * built on first use in mcxt (nf_rank_dot), NULL until then
	 */
	struct ScanCatalog *scan;
	void	   *scan_work;

	/*
	 * title_id -> row without a binary search, when the ids are dense
	 * enough (nf_title_row): id_rows[id - id_lo] for id_lo <= id < id_lo +
	 * id_span, -1 for an id not in the model; NULL otherwise
	 */
	int32	   *id_rows;
	int64		id_lo;
	int64		id_span;

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

	/*
	 * co-occurrence neighbours (model_neighbours.c), read on first use:
	 * nb_state 0 = not read yet, 1 = the model has none, 2 = nb_rows and
	 * nb_scores hold nb_m entries per title (row -1 = none), best first
	 */
	int			nb_state;
	int			nb_m;
	int32	   *nb_rows;
	float	   *nb_scores;

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

/* how a user's vector was obtained */
typedef enum UserSource
{
	USER_TRAINED,				/* stored vector from training */
	USER_FOLDED,				/* re-solved from current events */
	USER_COLD					/* no usable events: popularity */
} UserSource;

#endif
