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

/*
 * Build real[] / float8[] / bigint[] from plain arrays: one-dimensional, or
 * rows x cols matrices (row-major).  No elements gives the empty array.
 */
extern ArrayType *nf_float4_array(const float *v, int n);
extern ArrayType *nf_float8_array(const double *v, int n);
extern ArrayType *nf_int8_array(const int64 *v, int n);
extern ArrayType *nf_float4_matrix(const float *v, int rows, int cols);
extern ArrayType *nf_float8_matrix(const double *v, int rows, int cols);

/*
 * User text for an error message: the first maxchars characters of
 * s[0..len) (cut at a character boundary, never inside a multibyte one),
 * with "..." appended when something was cut.  A 10 MB input must not
 * make a 10 MB message.
 */
#define NF_EXCERPT_CHARS 40
extern char *nf_excerpt(const char *s, int len, int maxchars);

#endif
