/*
 * als_sql.h -- what als_sql.c (the als_train aggregate) shares with the
 * other ALS glue: training on raw rows into a model value or into separate
 * arrays (nfrec.train, model_train.c), the options check, and als_train's
 * option parsing and data-dependent defaults for nfrec.train_distributed
 * (als_dist.c), with the same messages.
 */
#ifndef NFREC_ALS_SQL_H
#define NFREC_ALS_SQL_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "als.h"
#include "als_model.h"
#include "triples.h"

/*
 * A trained model.  shape: the header fields (nusers, nitems, factors,
 * nevents, iterations, alpha, regularization, loss, train_seconds,
 * trained_at); the arrays have the layout of als_model.h.  m: the model
 * value when trained into one (the arrays then point into it), else NULL.
 */
typedef struct AlsTrained
{
	AlsModelHeader *m;
	char	   *options;		/* the effective options, JSON */
	int64	   *user_ids;		/* nusers, ascending */
	int64	   *item_ids;		/* nitems, ascending */
	int64	   *user_ptr;		/* nusers + 1 */
	int32	   *ev_item;		/* nevents */
	float	   *ev_weight;		/* nevents */
	float	   *item_count;		/* nitems */
	float	   *user_factors;	/* nusers x factors */
	float	   *item_factors;	/* nitems x factors */
	AlsModelHeader shape;		/* last: it ends in a flexible array */
} AlsTrained;

/*
 * Train on the rows of st (options in st->options) exactly as als_train
 * does.  one_value: into one nfrec.als_model value (ERROR beyond 1 GB);
 * otherwise into separate huge allocations.  In the current memory context.
 */
extern void nf_als_train_rows(const NfTriples *st, bool one_value, AlsTrained *out);

/* ERROR (22023) on bad als_train options; NULL is the defaults. */
extern void nf_als_check_options(Jsonb *options);

/* The rows' description (messages, limits) of als_train. */
extern const NfTriplesKind *const nf_als_rows_kind;

/* Parse options (NULL: defaults); errors name funcname. */
extern void als_options_check(Jsonb *options, const char *funcname,
							  AlsParams *p, bool *verbose);

/*
 * Parse, then choose the options not given (factors, alpha,
 * regularization) from U users, I titles, E distinct pairs and the sum of
 * |weight| over the rows, as als_train does; NOTICE when verbose.  Returns
 * the effective options JSON that als_train stores in its model.
 */
extern char *als_options_resolve(Jsonb *options, const char *funcname,
								 int64 nusers, int64 nitems, int64 nnz,
								 double abs_weight_sum, AlsParams *p, bool *verbose);

#endif							/* NFREC_ALS_SQL_H */
