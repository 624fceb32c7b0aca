/*
 * foldin.c -- exact per-user ALS solve against cached title factors.
 *
 * BLAS/LAPACK from OpenBLAS: ssyrk for the Gram matrix, ssyr for the
 * rank-one confidence updates, sposv (Cholesky factor and solve) for the
 * system.  The matrices are symmetric, so row-major "upper" as written by
 * CBLAS is column-major "lower" for the Fortran LAPACK routine.
 */
#include "foldin.h"

#include <cblas.h>

extern void sposv_(const char *uplo, const int *n, const int *nrhs,
				   float *a, const int *lda, float *b, const int *ldb,
				   int *info);

void
foldin_gram(const float *Y, int nitems, int f, float *G)
{
	memset(G, 0, sizeof(float) * (Size) f * f);
	if (nitems > 0)
		cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, f, nitems,
					1.0f, Y, f, 0.0f, G, f);
	/* mirror the upper triangle so callers may read either half */
	for (int i = 0; i < f; i++)
		for (int j = 0; j < i; j++)
			G[(Size) i * f + j] = G[(Size) j * f + i];
}

int
foldin_solve(const float *G, const float *Y, int f,
			 const int32 *rows, const float *w, int n,
			 double alpha, double lambda, float *work, float *x)
{
	float	   *A = work;
	int			info = 0,
				one = 1;

	memcpy(A, G, sizeof(float) * (Size) f * f);
	memset(x, 0, sizeof(float) * f);
	for (int i = 0; i < f; i++)
		A[(Size) i * f + i] += (float) lambda;

	for (int e = 0; e < n; e++)
	{
		const float *y = Y + (Size) rows[e] * f;
		double		aw = alpha * w[e];

		if (!(w[e] > 0.0f))
			continue;			/* no preference: like an unobserved title */
		cblas_ssyr(CblasRowMajor, CblasUpper, f, (float) aw, y, 1, A, f);
		cblas_saxpy(f, (float) (1.0 + aw), y, 1, x, 1);
	}

	/* row-major upper == column-major lower */
	sposv_("L", &f, &one, A, &f, x, &f, &info);
	if (info != 0)
		memset(x, 0, sizeof(float) * f);
	return info;
}
