/*
 * als_sql.h -- als_train's options for other entry points (SQL glue):
 * nfrec.train_distributed (als_dist.c) parses the same options with the
 * same messages and chooses the same data-dependent defaults.
 */
#ifndef NFREC_ALS_SQL_H
#define NFREC_ALS_SQL_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "als.h"

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

#endif
