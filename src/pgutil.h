/*
 * pgutil.h -- small helpers shared by the SQL glue files.
 */
#ifndef NFREC_PGUTIL_H
#define NFREC_PGUTIL_H

#include "postgres.h"
#include "utils/array.h"

/*
 * Check that an array is usable as a dense vector of the given element type:
 * one-dimensional, non-empty, no NULL elements.  Returns the number of
 * elements; *data points at the first one.
 */
extern int	nf_vector_array(ArrayType *a, Oid elemtype, const char *what, void **data);

/* Build a one-dimensional real[] / float8[] from plain arrays. */
extern ArrayType *nf_float4_array(const float *v, int n);
extern ArrayType *nf_float8_array(const double *v, int n);

#endif
