/*
 * vecmath.h -- dense vector kernels on plain arrays (no PostgreSQL calls).
 *
 * Used by cosine_sim and by anything else that compares factor vectors
 * (similar_titles, k-means).  The kernels are written so that GCC
 * vectorizes the inner loops at -O2/-O3; a scalar reference lives in the
 * tests (a brute-force SQL computation), not here.
 */
#ifndef NFREC_VECMATH_H
#define NFREC_VECMATH_H

#include "c.h"

/* Result of a cosine computation. */
typedef enum VecCosStatus
{
	VEC_COS_OK = 0,				/* *result is set */
	VEC_COS_ZERO,				/* one vector is all zeros: undefined */
	VEC_COS_NONFINITE			/* an element is NaN or infinite */
} VecCosStatus;

extern VecCosStatus vec_cosine_f4(const float *a, const float *b, int n, double *result);
extern VecCosStatus vec_cosine_f8(const double *a, const double *b, int n, double *result);

extern float vec_dot_f4(const float *a, const float *b, int n);
extern double vec_norm_f4(const float *a, int n);

#endif
