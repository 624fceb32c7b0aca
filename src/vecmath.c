/*
 * vecmath.c -- dense vector kernels on plain arrays.
 *
 * Cosine similarity must stay right for huge (1e30) and tiny (1e-30)
 * magnitudes.  For float4 input every square fits comfortably in a double
 * (FLT_MAX^2 ~ 1e77, smallest subnormal^2 ~ 1e-90), so one pass in double
 * precision is exact enough.  For float8 input the sums of squares can
 * overflow or underflow; we detect that from the sums themselves (sums of
 * squares never cancel, so a NaN/Inf element always shows up as a
 * non-finite sum) and only then take a second, rescaled pass.
 */
#include "vecmath.h"

#include <float.h>
#include <math.h>

static inline double
ClampCosine(double c)
{
	if (c > 1.0)
		return 1.0;
	if (c < -1.0)
		return -1.0;
	return c;
}

VecCosStatus
vec_cosine_f4(const float *a, const float *b, int n, double *result)
{
	double		dot = 0.0,
				na = 0.0,
				nb = 0.0;

#pragma omp simd reduction(+:dot,na,nb)
	for (int i = 0; i < n; i++)
	{
		double		x = a[i];
		double		y = b[i];

		dot += x * y;
		na += x * x;
		nb += y * y;
	}

	if (!isfinite(na) || !isfinite(nb) || !isfinite(dot))
		return VEC_COS_NONFINITE;
	if (na == 0.0 || nb == 0.0)
		return VEC_COS_ZERO;

	/* na * nb <= (FLT_MAX^2 n)^2 cannot overflow a double */
	*result = ClampCosine(dot / sqrt(na * nb));
	return VEC_COS_OK;
}

static double
MaxAbsF8(const double *a, int n)
{
	double		m = 0.0;

	for (int i = 0; i < n; i++)
	{
		double		v = fabs(a[i]);

		m = v > m ? v : m;
	}
	return m;
}

/* Sums far from both ends of the double range need no rescaling. */
#define SAFE_SUM_LOW	1e-250
#define SAFE_SUM_HIGH	1e250

VecCosStatus
vec_cosine_f8(const double *a, const double *b, int n, double *result)
{
	double		dot = 0.0,
				na = 0.0,
				nb = 0.0;

#pragma omp simd reduction(+:dot,na,nb)
	for (int i = 0; i < n; i++)
	{
		dot += a[i] * b[i];
		na += a[i] * a[i];
		nb += b[i] * b[i];
	}

	if (!(isfinite(na) && isfinite(nb) && isfinite(dot) &&
		  na >= SAFE_SUM_LOW && na <= SAFE_SUM_HIGH &&
		  nb >= SAFE_SUM_LOW && nb <= SAFE_SUM_HIGH))
	{
		/* Slow path: tell bad input from range trouble, then rescale. */
		double		ma = MaxAbsF8(a, n);
		double		mb = MaxAbsF8(b, n);

		for (int i = 0; i < n; i++)
			if (!isfinite(a[i]) || !isfinite(b[i]))
				return VEC_COS_NONFINITE;
		if (ma == 0.0 || mb == 0.0)
			return VEC_COS_ZERO;

		dot = na = nb = 0.0;
#pragma omp simd reduction(+:dot,na,nb)
		for (int i = 0; i < n; i++)
		{
			double		x = a[i] / ma;
			double		y = b[i] / mb;

			dot += x * y;
			na += x * x;
			nb += y * y;
		}
	}
	else if (na == 0.0 || nb == 0.0)
		return VEC_COS_ZERO;

	*result = ClampCosine(dot / (sqrt(na) * sqrt(nb)));
	return VEC_COS_OK;
}

float
vec_dot_f4(const float *a, const float *b, int n)
{
	float		s = 0.0f;

#pragma omp simd reduction(+:s)
	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

double
vec_norm_f4(const float *a, int n)
{
	double		s = 0.0;

#pragma omp simd reduction(+:s)
	for (int i = 0; i < n; i++)
		s += (double) a[i] * a[i];
	return sqrt(s);
}
