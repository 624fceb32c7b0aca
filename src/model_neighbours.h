/*
 * model_neighbours.h -- co-occurrence neighbours of a deployed model's
 * titles (model_neighbours.c): computed by deploy from the training
 * events, stored in nfrec.model_store (neighbour_rows, neighbour_scores),
 * and blended with the cosine of factors by similar_titles and the
 * homepage's "because you watched" rows (doc/serve.md, "Similar titles
 * and support").
 */
#ifndef NFREC_MODEL_NEIGHBOURS_H
#define NFREC_MODEL_NEIGHBOURS_H

#include "postgres.h"

#include "serve.h"

/* Documented defaults (doc/serve.md) */
#define NF_NEIGHBOURS_KEPT		50		/* neighbours stored per title */
#define NF_NEIGHBOURS_HISTORY	256		/* titles of a user's history counted */
#define NF_NEIGHBOURS_BETA		10.0	/* shrinkage: C(a,b) / (n(b) + beta) */
#define NF_SIMILAR_MIN_SUPPORT	5		/* similar_titles' and the homepage's default */

/* _PG_init hook: defines the setting nfrec.cooccurrence_weight */
extern void nf_neighbours_init(void);

/*
 * The stored neighbour arrays (neighbour_rows int[], neighbour_scores
 * real[]) of training events in CSR form: kept neighbours per title, at
 * most cap titles of a user's history; both NULL when there is no positive
 * event or one title.  Used by deploy (_model_neighbours) and nfrec.train.
 */
extern void nf_neighbours_arrays(int nusers, int nitems, int64 nevents,
								 const int64 *user_ptr, const int32 *ev_item,
								 const float *ev_weight, int kept, int cap,
								 Datum values[2], bool nulls[2]);

/*
 * The same as a row (neighbour_rows int[], neighbour_scores real[]) of the
 * function fcinfo belongs to (its OUT parameters).
 */
extern Datum nf_neighbours_result(FunctionCallInfo fcinfo, int nusers, int nitems,
								  int64 nevents, const int64 *user_ptr,
								  const int32 *ev_item, const float *ev_weight,
								  int kept, int cap);

/* The setting nfrec.cooccurrence_weight (0..1) */
extern double nf_cooccurrence_weight(void);

/*
 * Make sm's neighbour lists available (read once per cached model); false
 * when the model has none (EASE, factors without events, a registry from
 * before 0.2.0).  SPI must be connected, and the caller must run it as the
 * registry's owner: serving calls nf_model_neighbours (model.c).
 */
extern bool nf_neighbours_load(ServeModel *sm);

/*
 * The cosine of the factors of titles b[t] (t < n) with anchor a's, to
 * out[t], 0 when either is the zero vector: the dot in double divided by
 * the product of the norms, rounded to float.
 */
extern void nf_title_cosines(const ServeModel *sm, int32 a, const int32 *b, int n,
							 float *out);

/*
 * The blended similarity of titles b[t] (t < n) to anchor a (all rows;
 * neighbours loaded), to out[t]: (1 - w) cos(y_a, y_b) + w s(a, b) /
 * s_max(a), where s is the stored co-occurrence score (0 for b outside a's
 * list) and s_max(a) the best of a's list.  With no neighbours (or w = 0):
 * the cosine alone.
 */
extern void nf_similar_scores(ServeModel *sm, int32 a, const int32 *b, int n, double w,
							  float *out);

/*
 * similar_titles' ranking of an ALS model: the k best titles by the
 * blended score above, skipping sm->seen rows.
 */
extern int	nf_similar_rank(ServeModel *sm, int32 a, double w, int k,
							int32 *rows, float *scores);

#endif
