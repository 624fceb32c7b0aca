/*
 * test/bench/blas_kernels.c -- what the CPU kernel OpenBLAS picks does to
 * the BLAS/LAPACK calls nfrec makes, against nfrec's own dispatched kernel.
 *
 * Built and run by test/bench/blas.sh, once per OPENBLAS_CORETYPE.  Times
 * (median of repeats, milliseconds):
 *   sgemv    15,000 x 64 title factors times a user vector (serving's
 *            scoring step: recommend_for, similar_titles)
 *   dsyrk    a 1,024-row block of a 16-column design (logreg_train's
 *            Hessian accumulation, per block)
 *   dpotrf   Cholesky of a 16 x 16 and a 64 x 64 matrix (logreg's Newton
 *            step; the size of an ALS normal-equation system)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>


extern char *openblas_get_corename(void);
extern void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k,
				   const double *alpha, const double *a, const int *lda,
				   const double *beta, double *c, const int *ldc, size_t, size_t);
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
					int *info, size_t);

static double
Now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
CmpD(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

#define REPS 301

static double
Median(double *t)
{
	qsort(t, REPS, sizeof(double), CmpD);
	return t[REPS / 2] * 1e3;
}

static void
SpdMatrix(double *a, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			a[i * n + j] = (i == j ? n : 0) + 1.0 / (1 + i + j);
}

int
main(void)
{
	const int	n = 15000,
				f = 64;
	float	   *Y = malloc(sizeof(float) * n * f);
	float		x[64];
	float	   *s1 = malloc(sizeof(float) * n);
	double		t[REPS];
	double		checksum = 0;
	int			p = 16,
				m = 1024;
	double	   *Z = malloc(sizeof(double) * p * m),
			   *H = malloc(sizeof(double) * p * p),
			   *A = malloc(sizeof(double) * 64 * 64);
	double		one = 1.0;

	srand(42);
	for (int i = 0; i < n * f; i++)
		Y[i] = (float) rand() / RAND_MAX - 0.5f;
	for (int a = 0; a < f; a++)
		x[a] = (float) rand() / RAND_MAX - 0.5f;
	for (int i = 0; i < p * m; i++)
		Z[i] = (double) rand() / RAND_MAX;

	for (int r = 0; r < REPS; r++)
	{
		double		t0 = Now();

		cblas_sgemv(CblasRowMajor, CblasNoTrans, n, f, 1.0f, Y, f, x, 1, 0.0f, s1, 1);
		t[r] = Now() - t0;
	}
	printf("%-10s sgemv 15000x64   %8.4f ms\n", openblas_get_corename(), Median(t));
	for (int r = 0; r < REPS; r++)
	{
		double		t0 = Now();

		memset(H, 0, sizeof(double) * p * p);
		dsyrk_("U", "N", &p, &m, &one, Z, &p, &one, H, &p, 1, 1);
		t[r] = Now() - t0;
	}
	printf("%-10s dsyrk 16x1024    %8.4f ms\n", openblas_get_corename(), Median(t));
	for (int sz = 16; sz <= 64; sz *= 4)
	{
		for (int r = 0; r < REPS; r++)
		{
			int			info;
			double		t0;

			SpdMatrix(A, sz);
			t0 = Now();
			dpotrf_("U", &sz, A, &sz, &info, 1);
			t[r] = Now() - t0;
			if (info != 0)
				return 1;
		}
		printf("%-10s dpotrf %dx%-6d  %8.4f ms\n", openblas_get_corename(), sz, sz, Median(t));
	}
	/* a checksum, so the products cannot be optimized away */
	for (int i = 0; i < n; i++)
		checksum += s1[i];
	printf("%-10s (checksum %.6g)\n", openblas_get_corename(), checksum);
	return 0;
}
