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
#include "serve.h"

/* _PG_init hook: defines the nfrec.model setting */
extern void nf_model_init(void);


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

/*
 * The same top-k as nf_rank_by_vector with cosine_norm 0 (same rows,
 * order and scores), faster: an int8 copy of the title factors picks the
 * rows that can be in it, which are then scored exactly (topk_scan.h).
 * Leaves sm->scores alone.
 */
extern int	nf_rank_dot(ServeModel *sm, const float *x, int k, int32 *rows,
						float *scores);

/*
 * The int8 copy of the title factors (topk_scan.h), built on first use;
 * its scratch is sm->scan_work.
 */
struct ScanCatalog;
extern struct ScanCatalog *nf_scan_catalog(ServeModel *sm);

/* Top-k by training popularity, skipping sm->seen rows. */
extern int	nf_rank_popular(ServeModel *sm, int k, int32 *rows, float *scores);


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

/* The model row of a title id, -1 if the model lacks it (als_find_id's result). */
extern int32 nf_title_row(const ServeModel *sm, int64 title_id);

/* Norms, Gram matrix (ALS only), popularity order and scratch. */
extern void nf_serve_model_finish(ServeModel *sm);

/* A transient serving view of an EASE model value (current memory context). */
extern ServeModel *nf_ease_from_value(const EaseModelHeader *m);

/*
 * Read a deployed model's co-occurrence neighbour lists, as the owner of
 * nfrec.model_store (nf_neighbours_load in model_neighbours.c); false when
 * it has none.  SPI must be connected.
 */
extern bool nf_model_neighbours(ServeModel *sm);

#endif
