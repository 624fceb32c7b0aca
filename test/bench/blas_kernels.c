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
 *   sgemm    256 users x 64 factors times 15,000 titles (refresh_recommendations,
 *            one block of users)
 *   dpotrf+dpotri  inverse of a 1,000 x 1,000 Gram matrix (ease_train)
 *   sgemv    the cosine scoring of similar_titles (the same call as above)
 * and, for comparison, nfrec's own serving kernels (src/topk_scan.c, which
 * do not use OpenBLAS, so they do not change with OPENBLAS_CORETYPE):
 *   scan_dot_all  every title's score (homepage, evaluate)
 *   scan_topk     the top 10 through the int8 copy (recommend_for)
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
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda,
					int *info, size_t);

/* src/topk_scan.h, without c.h's types */
typedef struct ScanCatalog ScanCatalog;
extern size_t scan_catalog_bytes(int n, int f);
extern void scan_catalog_init(void *c, const float *Y, const float *norms, int n, int f, void *mem);
extern void scan_dot_all(const float *Y, int n, int f, const float *x, float *out);
extern size_t scan_work_bytes(const void *c);
extern int	scan_topk(const void *c, const float *x, const unsigned char *skip, int k,
					  int *out, float *scores, void *work, int *nexact);

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
	{
		int			nu = 256;
		float	   *X = malloc(sizeof(float) * nu * f),
				   *S = malloc(sizeof(float) * (size_t) nu * n);

		for (int i = 0; i < nu * f; i++)
			X[i] = (float) rand() / RAND_MAX - 0.5f;
		for (int r = 0; r < 31; r++)
		{
			double		t0 = Now();

			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nu, n, f,
						1.0f, X, f, Y, f, 0.0f, S, n);
			t[r] = Now() - t0;
		}
		for (int r = 31; r < REPS; r++)
			t[r] = t[r % 31];
		printf("%-10s sgemm 256x15000x64 %6.4f ms\n", openblas_get_corename(), Median(t));
		checksum += S[12345];
		free(X);
		free(S);
	}
	{
		int			ne = 1000,
					info;
		double	   *G = malloc(sizeof(double) * ne * ne);

		for (int r = 0; r < 11; r++)
		{
			double		t0;

			SpdMatrix(G, ne);
			t0 = Now();
			dpotrf_("L", &ne, G, &ne, &info, 1);
			dpotri_("L", &ne, G, &ne, &info, 1);
			t[r] = Now() - t0;
		}
		for (int r = 11; r < REPS; r++)
			t[r] = t[r % 11];
		printf("%-10s dpotrf+dpotri 1000 %6.4f ms\n", openblas_get_corename(), Median(t));
		free(G);
	}
	{
		float	   *norms = malloc(sizeof(float) * n),
				   *sc = malloc(sizeof(float) * n);
		int		   *rows = malloc(sizeof(int) * n);
		void	   *cat = malloc(256),	/* sizeof(ScanCatalog) is smaller */
				   *mem = malloc(scan_catalog_bytes(n, f)),
				   *work;

		for (int i = 0; i < n; i++)
		{
			double		s2 = 0;

			for (int a = 0; a < f; a++)
				s2 += (double) Y[i * f + a] * Y[i * f + a];
			norms[i] = (float) sqrt(s2);
		}
		scan_catalog_init(cat, Y, norms, n, f, mem);
		work = malloc(scan_work_bytes(cat));
		for (int r = 0; r < REPS; r++)
		{
			double		t0 = Now();

			scan_dot_all(Y, n, f, x, s1);
			t[r] = Now() - t0;
		}
		printf("%-10s nfrec scan_dot_all 15000x64 %8.4f ms (no BLAS)\n", openblas_get_corename(), Median(t));
		for (int r = 0; r < REPS; r++)
		{
			double		t0 = Now();

			x[r % f] += 0.001f;		/* a different user each time */
			scan_topk(cat, x, NULL, 10, rows, sc, work, NULL);
			t[r] = Now() - t0;
		}
		printf("%-10s nfrec scan_topk k=10 15000x64 %8.4f ms (no BLAS)\n", openblas_get_corename(), Median(t));
		checksum += sc[0];
	}
	/* a checksum, so the products cannot be optimized away */
	for (int i = 0; i < n; i++)
		checksum += s1[i];
	printf("%-10s (checksum %.6g)\n", openblas_get_corename(), checksum);
	return 0;
}
