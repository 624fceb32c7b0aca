/*
 * als_defaults.h -- als_train options chosen from the data when not given.
 * The rule and why: doc/alstrain.md, "Defaults from the data".
 */
#ifndef NFREC_ALS_DEFAULTS_H
#define NFREC_ALS_DEFAULTS_H

#include "c.h"
#include "als.h"

/* which options the rule sets (the others were given) */
#define ALS_DEFAULT_FACTORS			0x1
#define ALS_DEFAULT_ALPHA			0x2
#define ALS_DEFAULT_REGULARIZATION	0x4

extern double als_abs_sum(const double *w, int64 n);
extern void als_data_defaults(int64 nusers, int64 nitems, int64 nnz,
							  double abs_weight_sum, int which, AlsParams *p);

#endif
