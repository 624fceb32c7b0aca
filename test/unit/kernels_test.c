/*
 * kernels_test.c -- unit tests of nfrec's pure C kernels, built with
 * AddressSanitizer and UBSan by test/unit/run.sh (and run by the suite as
 * test/t/kernels_asan.sh):
 *
 *   ALS      canonicalization against a dense brute force; training with
 *            both solvers (CG and Cholesky), 1..64 factors (multiples of 16
 *            and not), 1..64 threads, frequency scaling on and off: the
 *            item factors of the last half-step against the normal
 *            equations solved by Gaussian elimination, the loss against a
 *            brute-force sum over every (user, item) pair, the same model
 *            for every thread count; als_solve_exact against Gaussian
 *            elimination.  The work buffer is exactly als_train_work_size
 *            bytes and deliberately misaligned, so a region that runs past
 *            it is an ASan report.
 *   top-k    against qsort (ties, NaN, skipped rows, k of 0..n+2).
 *   k-means  row sort against qsort; six planted, well separated clusters
 *            reach the planted optimum for 200 seeds with the default
 *            number of starts; the result is a Lloyd fixed point.
 *   logreg   a binary feature: closed-form MLE (the two group log-odds),
 *            its covariance and log-likelihoods; one class; separation.
 *   vecmath  cosine/dot/norm against a double-precision naive loop.
 *   scan     topk_scan.c: the fixed-order dot against a double loop, the
 *            AVX2 and portable kernels bit for bit, and the int8-bounded
 *            top-k against a full scan + topk_select (test_scan).
 *   stats    a few normal and t values known to 15 digits.
 *
 * Every check prints a line only when it fails; the last line is
 * "kernels: N passed, N failed" and the exit status is 1 on any failure.
 */
#include "c.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "als.h"
#include "artwork_seed.h"
#include "cooccur.h"
#include "ease.h"
#include "kmeans.h"
#include "logreg.h"
#include "metrics.h"
#include "stats.h"
#include "topk.h"
#include "topk_scan.h"
#include "diversity.h"
#include "vecmath.h"

static int	npass,
			nfail;

#define CHECK(cond, ...) \
	do { \
		if (cond) \
			npass++; \
		else \
		{ \
			nfail++; \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
		} \
	} while (0)

static void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

static uint64 lcg_state = 12345;

static double
urand(void)
{
	lcg_state = lcg_state * UINT64CONST(6364136223846793005) + UINT64CONST(1442695040888963407);
	return (double) (lcg_state >> 11) * (1.0 / 9007199254740992.0);
}

/* Solve A x = b (n x n, row-major, destroyed) by Gaussian elimination with partial pivoting. */
static int
gauss_solve(int n, double *A, double *b, double *x)
{
	for (int c = 0; c < n; c++)
	{
		int			p = c;

		for (int r = c + 1; r < n; r++)
			if (fabs(A[r * n + c]) > fabs(A[p * n + c]))
				p = r;
		if (A[p * n + c] == 0)
			return -1;
		if (p != c)
		{
			for (int j = 0; j < n; j++)
			{
				double		t = A[c * n + j];

				A[c * n + j] = A[p * n + j];
				A[p * n + j] = t;
			}
			{
				double		t = b[c];

				b[c] = b[p];
				b[p] = t;
			}
		}
		for (int r = c + 1; r < n; r++)
		{
			double		f = A[r * n + c] / A[c * n + c];

			for (int j = c; j < n; j++)
				A[r * n + j] -= f * A[c * n + j];
			b[r] -= f * b[c];
		}
	}
	for (int r = n - 1; r >= 0; r--)
	{
		double		s = b[r];

		for (int j = r + 1; j < n; j++)
			s -= A[r * n + j] * x[j];
		x[r] = s / A[r * n + r];
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* ALS                                                                 */
/* ------------------------------------------------------------------ */

#define NU 9
#define NI 7

typedef struct AlsCase
{
	int64		n;
	int64	   *users,
			   *items;
	double	   *weights;
	/* canonical */
	int32		nusers,
				nitems;
	int64		nnz;
	int64	   *user_ids,
			   *item_ids,
			   *user_ptr,
			   *item_ptr;
	int32	   *ev_item,
			   *ev_user;
	float	   *ev_w,
			   *ev_wt;
	/* dense summed weights and observed flags, users x items */
	double		W[NU][NI];
	bool		obs[NU][NI];
} AlsCase;

/* Raw rows with sparse, unsorted ids, duplicates and every kind of weight. */
static void
als_make_case(AlsCase *c)
{
	static const int64 uid[NU] = {900, -5, 42, 7, 1000000000000, 3, 8, 77, 2};
	static const int64 iid[NI] = {31, -2, 5000, 6, 11, 12, 400};
	static const double wv[] = {1, 2, 3, 0.5, -1, 0, 4, 1.5};
	int64		cap = 64;

	memset(c, 0, sizeof(*c));
	c->users = xmalloc(sizeof(int64) * cap);
	c->items = xmalloc(sizeof(int64) * cap);
	c->weights = xmalloc(sizeof(double) * cap);
	lcg_state = 99;
	for (int u = 0; u < NU; u++)
		for (int i = 0; i < NI; i++)
		{
			int			reps;

			/* every user and item has an event; about 40% of pairs observed */
			if (!(i == u % NI || (u == NU - 1 && i == NI - 1) || urand() < 0.35))
				continue;
			reps = urand() < 0.2 ? 2 : 1;
			for (int r = 0; r < reps; r++)
			{
				double		w = wv[(int) (urand() * lengthof(wv))];

				c->users[c->n] = uid[u];
				c->items[c->n] = iid[i];
				c->weights[c->n] = w;
				c->n++;
				c->W[u][i] += w;
				c->obs[u][i] = true;
				if (c->n == cap)
				{
					fprintf(stderr, "als case too big\n");
					exit(2);
				}
			}
		}
	/* shuffle the rows */
	for (int64 r = c->n - 1; r > 0; r--)
	{
		int64		s = (int64) (urand() * (r + 1));
		int64		tu = c->users[r],
					ti = c->items[r];
		double		tw = c->weights[r];

		c->users[r] = c->users[s];
		c->items[r] = c->items[s];
		c->weights[r] = c->weights[s];
		c->users[s] = tu;
		c->items[s] = ti;
		c->weights[s] = tw;
	}
}

static int
cmp_i64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* Rank of id among the sorted distinct ids (brute force). */
static int
rank_of(const int64 *sorted, int n, int64 id)
{
	for (int j = 0; j < n; j++)
		if (sorted[j] == id)
			return j;
	return -1;
}

static void
als_canonicalize(AlsCase *c)
{
	AlsCanonWork w;
	AlsRaw		raw = {c->n, c->users, c->items, c->weights};
	int32	   *uidx = xmalloc(sizeof(int32) * c->n),
			   *iidx = xmalloc(sizeof(int32) * c->n);
	const int64 *sorted;
	int64		bad = -1;
	int64		su[NU],
				si[NI];
	int			nsu = 0,
				nsi = 0;

	w.key0 = xmalloc(als_canon_bytes_u64(c->n));
	w.key1 = xmalloc(als_canon_bytes_u64(c->n));
	w.val0 = xmalloc(sizeof(uint32) * c->n);
	w.val1 = xmalloc(sizeof(uint32) * c->n);
	w.order = xmalloc(sizeof(int32) * c->n);

	c->nusers = als_canon_ids(c->n, c->users, &w, uidx, &sorted, NULL);
	c->user_ids = xmalloc(sizeof(int64) * c->nusers);
	memcpy(c->user_ids, sorted, sizeof(int64) * c->nusers);
	c->nitems = als_canon_ids(c->n, c->items, &w, iidx, &sorted, NULL);
	c->item_ids = xmalloc(sizeof(int64) * c->nitems);
	memcpy(c->item_ids, sorted, sizeof(int64) * c->nitems);
	c->nnz = als_canon_order(c->n, uidx, c->nusers, iidx, c->nitems, &w, NULL);
	c->user_ptr = xmalloc(sizeof(int64) * (c->nusers + 1));
	c->ev_item = xmalloc(sizeof(int32) * c->nnz);
	c->ev_w = xmalloc(sizeof(float) * c->nnz);
	CHECK(als_canon_build(&raw, uidx, iidx, &w, c->user_ptr, c->ev_item, c->ev_w, &bad) == 0,
		  "als_canon_build failed");

	/* brute force: distinct sorted ids, dense sums */
	{
		int64		tmp[64];

		memcpy(tmp, c->users, sizeof(int64) * c->n);
		qsort(tmp, c->n, sizeof(int64), cmp_i64);
		for (int64 r = 0; r < c->n; r++)
			if (r == 0 || tmp[r] != tmp[r - 1])
				su[nsu++] = tmp[r];
		memcpy(tmp, c->items, sizeof(int64) * c->n);
		qsort(tmp, c->n, sizeof(int64), cmp_i64);
		for (int64 r = 0; r < c->n; r++)
			if (r == 0 || tmp[r] != tmp[r - 1])
				si[nsi++] = tmp[r];
	}
	CHECK(c->nusers == NU && nsu == NU && c->nitems == NI && nsi == NI,
		  "canon ids: %d users, %d items", c->nusers, c->nitems);
	CHECK(memcmp(c->user_ids, su, sizeof(su)) == 0 && memcmp(c->item_ids, si, sizeof(si)) == 0,
		  "canon ids not sorted distinct");
	for (int64 r = 0; r < c->n; r++)
		CHECK(c->user_ids[uidx[r]] == c->users[r] && c->item_ids[iidx[r]] == c->items[r],
			  "canon index of row %ld", (long) r);

	/* CSR equals the dense sums (re-indexed to the sorted order) */
	{
		double		D[NU][NI];
		bool		O[NU][NI];
		int64		nnz_ref = 0;
		static const int64 uid_case[NU] = {900, -5, 42, 7, 1000000000000, 3, 8, 77, 2};
		static const int64 iid_case[NI] = {31, -2, 5000, 6, 11, 12, 400};
		bool		ok = true;

		memset(D, 0, sizeof(D));
		memset(O, 0, sizeof(O));
		for (int u = 0; u < NU; u++)
			for (int i = 0; i < NI; i++)
			{
				int			ru = rank_of(su, nsu, uid_case[u]),
							ri = rank_of(si, nsi, iid_case[i]);

				D[ru][ri] = c->W[u][i];
				O[ru][ri] = c->obs[u][i];
				nnz_ref += c->obs[u][i];
			}
		CHECK(c->nnz == nnz_ref && c->user_ptr[0] == 0 && c->user_ptr[NU] == nnz_ref,
			  "canon nnz %ld, expected %ld", (long) c->nnz, (long) nnz_ref);
		for (int u = 0; u < NU && ok; u++)
		{
			int			prev = -1;

			for (int64 e = c->user_ptr[u]; e < c->user_ptr[u + 1]; e++)
			{
				int			i = c->ev_item[e];

				if (i <= prev || !O[u][i] || fabs(c->ev_w[e] - D[u][i]) > 1e-6)
					ok = false;
				prev = i;
			}
		}
		CHECK(ok, "canon CSR differs from the dense sums");
		/* keep W/obs in canonical order from here on */
		memcpy(c->W, D, sizeof(D));
		memcpy(c->obs, O, sizeof(O));
	}

	c->item_ptr = xmalloc(sizeof(int64) * (c->nitems + 1));
	c->ev_user = xmalloc(sizeof(int32) * c->nnz);
	c->ev_wt = xmalloc(sizeof(float) * c->nnz);
	als_transpose(c->nusers, c->nitems, c->user_ptr, c->ev_item, c->ev_w,
				  c->item_ptr, c->ev_user, c->ev_wt);
	{
		bool		ok = c->item_ptr[0] == 0 && c->item_ptr[NI] == c->nnz;

		for (int i = 0; i < NI && ok; i++)
			for (int64 e = c->item_ptr[i]; e < c->item_ptr[i + 1]; e++)
			{
				int			u = c->ev_user[e];

				if (!c->obs[u][i] || fabs(c->ev_wt[e] - c->W[u][i]) > 1e-6 ||
					(e > c->item_ptr[i] && c->ev_user[e - 1] >= u))
					ok = false;
			}
		CHECK(ok, "transpose differs from the dense matrix");
	}

	/* a summed weight beyond float range is reported, not stored */
	{
		double		big[2] = {3e38, 3e38};
		int64		bu[2] = {1, 1},
					bi[2] = {2, 2};
		AlsRaw		braw = {2, bu, bi, big};
		int32		bux[2],
					bix[2];
		int64		bptr[2];
		int32		bev[1];
		float		bw[1];
		int32		nu,
					ni;

		nu = als_canon_ids(2, bu, &w, bux, &sorted, NULL);
		ni = als_canon_ids(2, bi, &w, bix, &sorted, NULL);
		CHECK(als_canon_order(2, bux, nu, bix, ni, &w, NULL) == 1, "duplicate pair not merged");
		bad = -1;
		CHECK(als_canon_build(&braw, bux, bix, &w, bptr, bev, bw, &bad) == -1 && bad >= 0 && bad < 2,
			  "overflowing sum not reported");
	}
	free(w.key0);
	free(w.key1);
	free(w.val0);
	free(w.val1);
	free(w.order);
	free(uidx);
	free(iidx);
}

static void
als_data(const AlsCase *c, AlsData *d)
{
	d->nusers = c->nusers;
	d->nitems = c->nitems;
	d->nnz = c->nnz;
	d->user_ids = c->user_ids;
	d->item_ids = c->item_ids;
	d->user_ptr = c->user_ptr;
	d->user_items = c->ev_item;
	d->user_w = c->ev_w;
	d->item_ptr = c->item_ptr;
	d->item_users = c->ev_user;
	d->item_w = c->ev_wt;
}

static double
row_lambda(const AlsParams *p, int64 count)
{
	return p->frequency_scaling ? p->regularization * count : p->regularization;
}

/* Exact item factors given the user factors X (the normal equations). */
static void
als_exact_items(const AlsCase *c, const AlsParams *p, const float *X, double *Yref)
{
	int			k = p->factors;
	double	   *A = xmalloc(sizeof(double) * k * k),
			   *b = xmalloc(sizeof(double) * k);

	for (int i = 0; i < NI; i++)
	{
		int64		cnt = 0;

		memset(A, 0, sizeof(double) * k * k);
		memset(b, 0, sizeof(double) * k);
		for (int u = 0; u < NU; u++)
		{
			double		w = c->W[u][i];
			double		conf = c->obs[u][i] ? 1 + p->alpha * fabs(w) : 1;
			double		pref = c->obs[u][i] && w > 0 ? 1 : 0;
			const float *x = X + (Size) u * k;

			cnt += c->obs[u][i];
			for (int l = 0; l < k; l++)
			{
				for (int j = 0; j < k; j++)
					A[l * k + j] += conf * x[l] * x[j];
				b[l] += conf * pref * x[l];
			}
		}
		for (int l = 0; l < k; l++)
			A[l * k + l] += row_lambda(p, cnt);
		if (gauss_solve(k, A, b, Yref + (Size) i * k) != 0)
			CHECK(false, "reference solve singular");
	}
	free(A);
	free(b);
}

/* The objective of als.h over every (user, item) pair. */
static double
als_brute_loss(const AlsCase *c, const AlsParams *p, const float *X, const float *Y)
{
	int			k = p->factors;
	double		L = 0;

	for (int u = 0; u < NU; u++)
		for (int i = 0; i < NI; i++)
		{
			double		s = 0,
						w = c->W[u][i];
			double		conf = c->obs[u][i] ? 1 + p->alpha * fabs(w) : 1;
			double		pref = c->obs[u][i] && w > 0 ? 1 : 0;

			for (int j = 0; j < k; j++)
				s += (double) X[u * k + j] * Y[i * k + j];
			L += conf * (pref - s) * (pref - s);
		}
	for (int u = 0; u < NU; u++)
	{
		double		nrm = 0;

		for (int j = 0; j < k; j++)
			nrm += (double) X[u * k + j] * X[u * k + j];
		L += row_lambda(p, c->user_ptr[u + 1] - c->user_ptr[u]) * nrm;
	}
	for (int i = 0; i < NI; i++)
	{
		double		nrm = 0;

		for (int j = 0; j < k; j++)
			nrm += (double) Y[i * k + j] * Y[i * k + j];
		L += row_lambda(p, c->item_ptr[i + 1] - c->item_ptr[i]) * nrm;
	}
	return L;
}

static int	poll_calls;

static void
count_poll(void *arg)
{
	poll_calls++;
}

/*
 * Train into X/Y with a work buffer of exactly the advertised size, placed
 * at misalign bytes past a 64-byte boundary so that it ends exactly where
 * the allocation ends (ASan's redzone starts right after it).
 */
static void
als_run(const AlsCase *c, const AlsParams *p, int nthreads, size_t misalign,
		float *X, float *Y, AlsResult *res)
{
	AlsData		d;
	AlsPool    *pool = NULL;
	AlsHooks	hooks = {NULL, count_poll, NULL, false};
	Size		size;
	void	   *mem;

	als_data(c, &d);
	size = als_train_work_size(&d, p, nthreads);
	if (posix_memalign(&mem, 64, size + misalign) != 0)
		exit(2);
	{
		char	   *work = (char *) mem + misalign;

		if (nthreads > 1)
		{
			pool = als_pool_create(nthreads);
			CHECK(pool != NULL && als_pool_threads(pool) == nthreads, "pool of %d threads", nthreads);
		}
		als_train(&d, p, pool, &hooks, work, X, Y, res);
		als_pool_destroy(pool);
	}
	free(mem);
}

static void
test_als(void)
{
	AlsCase		c;
	static const int factors[] = {1, 3, 16, 17, 33, 64};
	static const int threads[] = {1, 2, 3, 8};
	static const size_t misaligns[] = {8, 24, 56};

	als_make_case(&c);
	als_canonicalize(&c);

	for (int fi = 0; fi < (int) lengthof(factors); fi++)
		for (int solver = 0; solver < 2; solver++)
			for (int fs = 0; fs < 2; fs++)
			{
				AlsParams	p;
				int			k = factors[fi];
				float	   *X0 = xmalloc(sizeof(float) * NU * k),
						   *Y0 = xmalloc(sizeof(float) * NI * k),
						   *X = xmalloc(sizeof(float) * NU * k),
						   *Y = xmalloc(sizeof(float) * NI * k);
				double	   *Yref = xmalloc(sizeof(double) * NI * k);
				AlsResult	r0,
							r;
				double		loss,
							maxerr = 0,
							scale = 0;
				const char *sname = solver ? "cholesky" : "cg";

				memset(&p, 0, sizeof(p));
				p.factors = k;
				p.iterations = 6;
				p.regularization = 0.1;
				p.alpha = 2.0;
				p.solver = solver ? ALS_SOLVER_CHOLESKY : ALS_SOLVER_CG;
				/* enough CG steps to solve each row all but exactly */
				p.cg_steps = solver ? 3 : 2 * k + 10;
				p.seed = 17;
				p.frequency_scaling = fs;

				poll_calls = 0;
				als_run(&c, &p, 1, misaligns[fi % 3], X0, Y0, &r0);
				CHECK(poll_calls > 0, "poll hook never called");
				CHECK(r0.iterations == 6 && isfinite(r0.loss) && r0.gflop > 0,
					  "%s k=%d: result %d %g %g", sname, k, r0.iterations, r0.loss, r0.gflop);

				/* the last half-step solved the items given the users */
				als_exact_items(&c, &p, X0, Yref);
				for (int j = 0; j < NI * k; j++)
				{
					maxerr = Max(maxerr, fabs(Y0[j] - Yref[j]));
					scale = Max(scale, fabs(Yref[j]));
				}
				CHECK(scale > 0 && maxerr <= (solver ? 1e-5 : 2e-3) * Max(scale, 0.1),
					  "%s k=%d fs=%d: item factors off the normal equations by %g (scale %g)",
					  sname, k, fs, maxerr, scale);

				loss = als_brute_loss(&c, &p, X0, Y0);
				CHECK(fabs(loss - r0.loss) <= 1e-4 * Max(fabs(loss), 1.0),
					  "%s k=%d fs=%d: loss %.9g, brute force %.9g", sname, k, fs, r0.loss, loss);
				{
					/* the scalar objective (als_model_from_factors' loss) */
					double	   *ow = xmalloc(sizeof(double) * als_objective_work_doubles(k, NI));
					double		obj = als_objective(k, NU, NI, X0, Y0, c.user_ptr, c.ev_item,
													c.ev_w, c.nnz, p.alpha, p.regularization,
													p.frequency_scaling, ow, NULL);

					CHECK(fabs(obj - loss) <= 1e-9 * Max(fabs(loss), 1.0),
						  "%s k=%d fs=%d: als_objective %.12g, brute force %.12g",
						  sname, k, fs, obj, loss);
					free(ow);
				}

				/* the same model for any number of threads */
				for (int ti = 1; ti < (int) lengthof(threads); ti++)
				{
					als_run(&c, &p, threads[ti], misaligns[(fi + ti) % 3], X, Y, &r);
					CHECK(memcmp(X, X0, sizeof(float) * NU * k) == 0 &&
						  memcmp(Y, Y0, sizeof(float) * NI * k) == 0 && r.loss == r0.loss,
						  "%s k=%d: %d threads differ from 1", sname, k, threads[ti]);
				}

				/* zero iterations: the loss of the initial factors only */
				p.iterations = 0;
				als_run(&c, &p, 2, 8, X, Y, &r);
				loss = als_brute_loss(&c, &p, X, Y);
				CHECK(r.iterations == 0 && fabs(loss - r.loss) <= 1e-4 * Max(fabs(loss), 1.0),
					  "%s k=%d: 0 iterations loss %.9g, brute force %.9g", sname, k, r.loss, loss);

				free(X0);
				free(Y0);
				free(X);
				free(Y);
				free(Yref);
			}

	/* more threads than chunks or rows */
	{
		AlsParams	p = {.factors = 5, .iterations = 2, .regularization = 0.5, .alpha = 1,
		.solver = ALS_SOLVER_CHOLESKY, .cg_steps = 3, .seed = 1};
		float		X[NU * 5],
					Y[NI * 5];
		AlsResult	r;

		als_run(&c, &p, ALS_MAX_THREADS, 8, X, Y, &r);
		CHECK(isfinite(r.loss), "64 threads");
	}
	free(c.users);
	free(c.items);
	free(c.weights);
	free(c.user_ids);
	free(c.item_ids);
	free(c.user_ptr);
	free(c.item_ptr);
	free(c.ev_item);
	free(c.ev_user);
	free(c.ev_w);
	free(c.ev_wt);
}

/* als_solve_exact against Gaussian elimination on random rows. */
static void
test_als_solve_exact(void)
{
	static const int ks[] = {1, 2, 5, 16, 19};

	for (int ki = 0; ki < (int) lengthof(ks); ki++)
	{
		int			k = ks[ki],
					nrows = 11,
					ldy = k + 3;
		float	   *Yf = xmalloc(sizeof(float) * nrows * ldy);
		double	   *G = xmalloc(sizeof(double) * k * k),
				   *Gs = xmalloc(sizeof(double) * k * (k + 2)),
				   *A = xmalloc(sizeof(double) * k * k),
				   *b = xmalloc(sizeof(double) * k),
				   *xr = xmalloc(sizeof(double) * k),
				   *work = xmalloc(sizeof(double) * als_solve_work_doubles(k));
		float	   *x = xmalloc(sizeof(float) * k);
		int32		items[4] = {0, 3, 7, 10};
		float		w[4] = {2.0f, -1.0f, 0.0f, 0.5f};
		double		alpha = 1.5,
					lambda = 0.3,
					err = 0;
		Size		ldg = k + 2;

		for (int r = 0; r < nrows * ldy; r++)
			Yf[r] = (float) (urand() - 0.5);
		als_gram(k, Yf, ldy, nrows, G);
		for (int l = 0; l < k; l++)
			for (int j = 0; j < k; j++)
			{
				double		s = 0;

				for (int r = 0; r < nrows; r++)
					s += (double) Yf[r * ldy + l] * Yf[r * ldy + j];
				CHECK(fabs(G[l * k + j] - s) < 1e-12, "als_gram k=%d", k);
				Gs[l * ldg + j] = G[l * k + j];
			}
		memset(A, 0, sizeof(double) * k * k);
		memset(b, 0, sizeof(double) * k);
		for (int r = 0; r < nrows; r++)
		{
			double		conf = 1,
						pref = 0;

			for (int e = 0; e < 4; e++)
				if (items[e] == r)
				{
					conf = 1 + alpha * fabs(w[e]);
					pref = w[e] > 0;
				}
			for (int l = 0; l < k; l++)
			{
				for (int j = 0; j < k; j++)
					A[l * k + j] += conf * Yf[r * ldy + l] * Yf[r * ldy + j];
				b[l] += conf * pref * Yf[r * ldy + l];
			}
		}
		for (int l = 0; l < k; l++)
			A[l * k + l] += lambda;
		gauss_solve(k, A, b, xr);
		CHECK(als_solve_exact(k, Yf, ldy, Gs, ldg, items, w, 4, alpha, lambda, x, work) == 0,
			  "als_solve_exact k=%d failed", k);
		for (int j = 0; j < k; j++)
			err = Max(err, fabs(x[j] - xr[j]) / Max(fabs(xr[j]), 1e-3));
		CHECK(err < 1e-5, "als_solve_exact k=%d: relative error %g", k, err);
		/* lambda 0 with fewer rows than factors: not positive definite */
		if (k > 4)
			CHECK(als_solve_exact(k, Yf, ldy, (memset(Gs, 0, sizeof(double) * k * ldg), Gs), ldg,
								  items, w, 4, alpha, 0.0, x, work) == -1,
				  "singular system not reported k=%d", k);
		free(Yf);
		free(G);
		free(Gs);
		free(A);
		free(b);
		free(xr);
		free(work);
		free(x);
	}
}

/* ------------------------------------------------------------------ */
/* top-k                                                               */
/* ------------------------------------------------------------------ */

static const float *sort_scores;

static int
cmp_rank(const void *a, const void *b)
{
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	if (sort_scores[x] != sort_scores[y])
		return sort_scores[x] > sort_scores[y] ? -1 : 1;
	return (x > y) - (x < y);
}

static void
test_topk(void)
{
	/* 64, 150, 400, 1000: the sort path of k >= 32 of n <= 4k too */
	static const int ns[] = {0, 1, 2, 7, 64, 150, 400, 1000, 3000, 3000};

	for (int ni = 0; ni < (int) lengthof(ns); ni++)
	{
		int			n = ns[ni];
		float	   *s = xmalloc(sizeof(float) * n);
		uint8	   *skip = xmalloc(n);
		int32	   *ref = xmalloc(sizeof(int32) * n);

		for (int i = 0; i < n; i++)
		{
			double		u = urand();

			/*
			 * many ties (-0 tying with +0), some NaN, some infinite; the
			 * last: distinct scores
			 */
			s[i] = ni == (int) lengthof(ns) - 1 ? (float) urand() :
				u < 0.05 ? NAN : u < 0.08 ? -INFINITY : u < 0.1 ? INFINITY : u < 0.13 ? -0.0f :
				(float) ((int) (urand() * 20) - 5);
			skip[i] = urand() < 0.2;
		}
		for (int useskip = 0; useskip < 2; useskip++)
		{
			int			m = 0;

			for (int i = 0; i < n; i++)
				if (!isnan(s[i]) && !(useskip && skip[i]))
					ref[m++] = i;
			sort_scores = s;
			qsort(ref, m, sizeof(int32), cmp_rank);
			for (int k = 0; k <= n + 2; k += (k < 10 ? 1 : k < 64 ? 27 : 97))
			{
				int32	   *out = xmalloc(sizeof(int32) * Max(Min(k, n), 1));
				float	   *runmax = xmalloc(sizeof(float) * (n / 16 + 1));
				int			got = topk_select(s, n, useskip ? skip : NULL, k, out);

				CHECK(got == Min(k, m) && memcmp(out, ref, sizeof(int32) * got) == 0,
					  "topk n=%d k=%d skip=%d: %d rows, expected %d", n, k, useskip, got, Min(k, m));
				/* the bounded variant (batch scoring) gives the same rows */
				got = topk_select_bounded(s, n, useskip ? skip : NULL, k, out, runmax);
				CHECK(got == Min(k, m) && memcmp(out, ref, sizeof(int32) * got) == 0,
					  "topk_select_bounded n=%d k=%d skip=%d: %d rows, expected %d", n, k, useskip, got, Min(k, m));
				/* the k-th largest alone: the reference's k-th score (+0 for -0), or -inf */
				{
					uint32	   *keys = xmalloc(sizeof(uint32) * Max(n, 1));
					float		kth = topk_kth_largest(s, n, useskip ? skip : NULL, k, runmax, keys);
					float		want = k >= 1 && k <= m ? s[ref[k - 1]] + 0.0f : -INFINITY;

					CHECK(memcmp(&kth, &want, sizeof(float)) == 0,
						  "topk_kth_largest n=%d k=%d skip=%d: %g, expected %g", n, k, useskip, kth, want);
					free(keys);
				}
				free(runmax);
				free(out);
			}
		}
		free(s);
		free(skip);
		free(ref);
	}
}

/* ------------------------------------------------------------------ */
/* calibrated re-ranking (diversity.c) against a plain greedy          */
/* ------------------------------------------------------------------ */

/* the same greedy, every objective recomputed from scratch with div_kl */
static int
ref_calibrate(int nc, const float *s, const int32 *gptr, const int32 *gid, int ng,
			  const double *p, double lambda, int cap, int k, int32 *out)
{
	double	   *q = xmalloc(sizeof(double) * ng),
			   *t = xmalloc(sizeof(double) * ng);
	int		   *cnt = xmalloc(sizeof(int) * ng);
	uint8	   *taken = xmalloc(Max(nc, 1));
	double		mass = 0,
				ssum = 0;
	int			got = 0;

	memset(q, 0, sizeof(double) * ng);
	memset(cnt, 0, sizeof(int) * ng);
	memset(taken, 0, Max(nc, 1));
	while (got < Min(k, nc))
	{
		int			best = -1;
		double		bo = -INFINITY;

		for (int pass = 0; pass < 2 && best < 0; pass++)
			for (int c = 0; c < nc; c++)
			{
				int			n = gptr[c + 1] - gptr[c];
				bool		full = false;
				double		o;

				if (taken[c])
					continue;
				full = cap > 0 && n > 0 && cnt[gid[gptr[c]]] >= cap;
				if (full && pass == 0)
					continue;
				memcpy(t, q, sizeof(double) * ng);
				for (int j = gptr[c]; j < gptr[c + 1]; j++)
					t[gid[j]] += 1.0 / n;
				o = lambda > 0 ? (1 - lambda) * (ssum + s[c]) -
					lambda * div_kl(ng, p, t, mass + (n > 0)) : s[c];
				if (o > bo)
				{
					bo = o;
					best = c;
				}
			}
		taken[best] = 1;
		out[got++] = best;
		ssum += s[best];
		for (int j = gptr[best]; j < gptr[best + 1]; j++)
			q[gid[j]] += 1.0 / (gptr[best + 1] - gptr[best]);
		if (gptr[best + 1] > gptr[best])
			cnt[gid[gptr[best]]]++;	/* the cap counts first genres */
		mass += gptr[best + 1] > gptr[best];
	}
	free(q);
	free(t);
	free(cnt);
	free(taken);
	return got;
}

static void
test_calibrate(void)
{
	for (int trial = 0; trial < 300; trial++)
	{
		int			nc = (int) (urand() * 40),
					ng = 1 + (int) (urand() * 6),
					k = (int) (urand() * 12);
		float	   *s = xmalloc(sizeof(float) * Max(nc, 1));
		int32	   *gptr = xmalloc(sizeof(int32) * (nc + 1));
		int32	   *gid = xmalloc(sizeof(int32) * Max(nc * 3, 1));
		double	   *p = xmalloc(sizeof(double) * ng);
		int32	   *a = xmalloc(sizeof(int32) * Max(nc, 1)),
				   *b = xmalloc(sizeof(int32) * Max(nc, 1));
		double		tot = 0;
		double		lambda = trial % 3 == 0 ? 0 : trial % 3 == 1 ? 0.3 : 0.7;	/* 1: near-ties of KL alone */
		int			cap = trial % 2 ? 0 : 2;
		void	   *work = xmalloc(div_work_bytes(nc, ng));
		int			ga,
					gb;

		gptr[0] = 0;
		for (int c = 0; c < nc; c++)
		{
			int			n = (int) (urand() * 4);

			s[c] = (float) urand();
			gptr[c + 1] = gptr[c];
			for (int j = 0; j < n; j++)
			{
				int			g = (int) (urand() * ng);
				bool		dup = false;

				for (int x = gptr[c]; x < gptr[c + 1]; x++)
					dup |= gid[x] == g;
				if (!dup)
					gid[gptr[c + 1]++] = g;
			}
		}
		for (int g = 0; g < ng; g++)
			tot += (p[g] = urand() < 0.3 ? 0 : urand());
		for (int g = 0; g < ng; g++)
			p[g] = tot > 0 ? p[g] / tot : 0;
		ga = div_calibrate(nc, s, gptr, gid, ng, p, lambda, cap, k, a, work);
		gb = ref_calibrate(nc, s, gptr, gid, ng, p, lambda, cap, k, b);
		CHECK(ga == gb && memcmp(a, b, sizeof(int32) * ga) == 0,
			  "calibrate trial %d (n=%d genres=%d k=%d lambda=%g cap=%d): lists differ",
			  trial, nc, ng, k, lambda, cap);
		free(s);
		free(gptr);
		free(gid);
		free(p);
		free(a);
		free(b);
		free(work);
	}
}

/* ------------------------------------------------------------------ */
/* k-means                                                             */
/* ------------------------------------------------------------------ */

static int	sort_d;

static int
cmp_row(const void *a, const void *b)
{
	const double *x = a,
			   *y = b;

	for (int j = 0; j < sort_d; j++)
		if (x[j] != y[j])
			return x[j] < y[j] ? -1 : 1;
	return 0;
}

static void
test_kmeans(void)
{
	/* six well separated planted clusters of different sizes, 2-D */
	static const double centre[6][2] = {{0, 0}, {30, 0}, {60, 0}, {0, 30}, {30, 30}, {60, 30}};
	static const int size[6] = {25, 20, 30, 15, 20, 10};
	int64		n = 0;
	int			d = 2,
				k = 6;
	double	   *x = xmalloc(sizeof(double) * 120 * d),
			   *xs = xmalloc(sizeof(double) * 120 * d),
				opt = 0;
	int64	   *perm = xmalloc(sizeof(int64) * 120),
			   *aux = xmalloc(sizeof(int64) * 120);
	double		row[2];
	int64		distinct;
	int			hits = 0,
				seeds = 200;

	for (int c = 0; c < 6; c++)
		for (int i = 0; i < size[c]; i++)
		{
			x[n * d] = centre[c][0] + sin(n * 1.7) * 2;
			x[n * d + 1] = centre[c][1] + cos(n * 2.9) * 2;
			n++;
		}
	/* the last row (cluster 5) becomes a duplicate of the first (cluster 0) */
	x[(n - 1) * d] = x[0];
	x[(n - 1) * d + 1] = x[1];
	{
		/* the optimum: the planted labels (each cluster around its mean) */
		int64		i = 0;

		for (int c = 0; c < 6; c++)
		{
			double		m[2] = {0, 0};
			int64		i0 = i;
			int			cnt = size[c] - (c == 5);

			for (int t = 0; t < cnt; t++, i++)
			{
				m[0] += x[i * d];
				m[1] += x[i * d + 1];
			}
			if (c == 0)
			{
				m[0] += x[0];
				m[1] += x[1];
				cnt++;
			}
			m[0] /= cnt;
			m[1] /= cnt;
			for (int64 t = i0; t < i; t++)
				opt += (x[t * d] - m[0]) * (x[t * d] - m[0]) + (x[t * d + 1] - m[1]) * (x[t * d + 1] - m[1]);
			if (c == 0)
				opt += (x[0] - m[0]) * (x[0] - m[0]) + (x[1] - m[1]) * (x[1] - m[1]);
		}
	}

	memcpy(xs, x, sizeof(double) * n * d);
	distinct = kmeans_sort_rows(xs, n, d, perm, aux, row, NULL);
	sort_d = d;
	qsort(x, n, sizeof(double) * d, cmp_row);
	CHECK(memcmp(xs, x, sizeof(double) * n * d) == 0, "kmeans_sort_rows differs from qsort");
	CHECK(distinct == n - 1, "distinct rows %ld, expected %ld", (long) distinct, (long) n - 1);

	for (int seed = 0; seed < seeds; seed++)
	{
		KmeansProblem pr = {xs, n, d, k, (uint64) seed * 7919, 300, 1e-4, KMEANS_DEFAULT_N_INIT};
		double		cent[12];
		KmeansResult res = {cent};
		double	   *work = xmalloc(sizeof(double) * kmeans_work_doubles(n, d, k));
		int32	   *assign = xmalloc(sizeof(int32) * n);
		double		inertia = 0;
		bool		fixed = true;

		kmeans_fit(&pr, &res, work, assign, NULL);
		for (int64 i = 0; i < n; i++)
		{
			double		dd;

			(void) kmeans_nearest(cent, k, d, xs + i * d, &dd);
			inertia += dd;
		}
		CHECK(fabs(inertia - res.inertia) <= 1e-9 * inertia, "reported inertia %g, recomputed %g",
			  res.inertia, inertia);
		if (fabs(res.inertia - opt) <= 1e-9 * opt)
			hits++;
		/* a Lloyd fixed point: every centroid is the mean of its rows */
		for (int c = 0; c < k; c++)
		{
			double		m[2] = {0, 0};
			int			cnt = 0;

			for (int64 i = 0; i < n; i++)
				if (kmeans_nearest(cent, k, d, xs + i * d, NULL) == c)
				{
					m[0] += xs[i * d];
					m[1] += xs[i * d + 1];
					cnt++;
				}
			if (cnt == 0 || fabs(m[0] / cnt - cent[c * d]) > 1e-9 || fabs(m[1] / cnt - cent[c * d + 1]) > 1e-9)
				fixed = false;
			if (c > 0 && cmp_row(cent + (c - 1) * d, cent + c * d) >= 0)
				fixed = false;
		}
		/* (checked at the optimum: a run stopped by tol elsewhere need not be one) */
		CHECK(fixed || fabs(res.inertia - opt) > 1e-9 * opt,
			  "seed %d: centroids not sorted means of their rows", seed);
		free(work);
		free(assign);
	}
	CHECK(hits == seeds, "six planted clusters: optimum %.6f reached for %d of %d seeds", opt, hits, seeds);

	/* k = number of distinct rows gives the rows; k = 1 the mean */
	{
		double		y[] = {5, 1, 1, 2, 5},
					cent[3];
		KmeansProblem pr = {y, 5, 1, 3, 1, 300, 1e-4, 1};
		KmeansResult res = {cent};
		double	   *work = xmalloc(sizeof(double) * kmeans_work_doubles(5, 1, 3));
		int32		assign[5];

		kmeans_sort_rows(y, 5, 1, perm, aux, row, NULL);
		kmeans_fit(&pr, &res, work, assign, NULL);
		CHECK(cent[0] == 1 && cent[1] == 2 && cent[2] == 5 && res.inertia == 0,
			  "k = distinct rows: %g %g %g", cent[0], cent[1], cent[2]);
		pr.k = 1;
		kmeans_fit(&pr, &res, work, assign, NULL);
		CHECK(fabs(cent[0] - 14.0 / 5) < 1e-12, "k = 1: %g", cent[0]);
		free(work);
	}
	free(x);
	free(xs);
	free(perm);
	free(aux);
}

/* ------------------------------------------------------------------ */
/* logistic regression                                                 */
/* ------------------------------------------------------------------ */

static void
test_logreg(void)
{
	/* x = 0: 3 of 4 positive; x = 1: 1 of 4 positive */
	double		x[8] = {0, 0, 0, 0, 1, 1, 1, 1};
	uint8		y[8] = {1, 1, 1, 0, 1, 0, 0, 0};
	LogregProblem pr = {x, y, 8, 1, 0.0, 50, 1e-12};
	double		coef[2],
				cov[4];
	LogregResult res = {coef, cov};
	double	   *work = xmalloc(sizeof(double) * logreg_work_doubles(8, 1));
	double		ll = 2 * (3 * log(0.75) + log(0.25));

	CHECK(logreg_fit(&pr, &res, work, NULL) == LOGREG_OK && res.converged, "logreg status");
	CHECK(fabs(coef[0] - log(3.0)) < 1e-9 && fabs(coef[1] + 2 * log(3.0)) < 1e-9,
		  "logreg coef %.12g %.12g, expected ln 3, -2 ln 3", coef[0], coef[1]);
	/* inverse information: 1/(n p q) per group */
	CHECK(fabs(cov[0] - 4.0 / 3) < 1e-7 && fabs(cov[3] - 8.0 / 3) < 1e-7 &&
		  fabs(cov[1] + 4.0 / 3) < 1e-7 && fabs(cov[2] + 4.0 / 3) < 1e-7,
		  "logreg cov %g %g %g %g", cov[0], cov[1], cov[2], cov[3]);
	CHECK(fabs(res.log_likelihood - ll) < 1e-9 && fabs(res.null_log_likelihood - 8 * log(0.5)) < 1e-9,
		  "logreg log-likelihood %.12g (expected %.12g), null %.12g",
		  res.log_likelihood, ll, res.null_log_likelihood);
	CHECK(res.n_positive == 4, "n_positive %ld", (long) res.n_positive);
	CHECK(fabs(logreg_probability(coef, &x[4], 1) - 0.25) < 1e-9, "logreg probability");

	/* one class */
	{
		uint8		y1[8] = {1, 1, 1, 1, 1, 1, 1, 1};
		LogregProblem p1 = pr;

		p1.y = y1;
		CHECK(logreg_fit(&p1, &res, work, NULL) == LOGREG_ONE_CLASS, "one class not reported");
	}
	/* complete separation: y = x */
	{
		uint8		y2[8] = {0, 0, 0, 0, 1, 1, 1, 1};
		LogregProblem p2 = pr;

		p2.y = y2;
		CHECK(logreg_fit(&p2, &res, work, NULL) == LOGREG_SEPARATION, "separation not reported");
		/* a ridge penalty makes it finite */
		p2.l2 = 1.0;
		CHECK(logreg_fit(&p2, &res, work, NULL) == LOGREG_OK && isfinite(coef[1]) && coef[1] > 0,
			  "ridge fit under separation");
	}
	/* a constant column is singular */
	{
		double		xc[8] = {1, 1, 1, 1, 1, 1, 1, 1};
		LogregProblem p3 = pr;

		p3.x = xc;
		CHECK(logreg_fit(&p3, &res, work, NULL) == LOGREG_SINGULAR && res.bad_column == 1,
			  "constant column not singular (bad column %d)", res.bad_column);
	}
	free(work);
}

/* ------------------------------------------------------------------ */
/* vecmath, stats_math                                                 */
/* ------------------------------------------------------------------ */

static void
test_vecmath(void)
{
	for (int n = 1; n <= 70; n++)
	{
		float	   *a = xmalloc(sizeof(float) * n),
				   *b = xmalloc(sizeof(float) * n);
		double	   *a8 = xmalloc(sizeof(double) * n),
				   *b8 = xmalloc(sizeof(double) * n);
		double		dot = 0,
					na = 0,
					nb = 0,
					r;

		for (int i = 0; i < n; i++)
		{
			a[i] = (float) (urand() - 0.3);
			b[i] = (float) (urand() - 0.6);
			a8[i] = a[i];
			b8[i] = b[i];
			dot += (double) a[i] * b[i];
			na += (double) a[i] * a[i];
			nb += (double) b[i] * b[i];
		}
		CHECK(vec_cosine_f4(a, b, n, &r) == VEC_COS_OK && fabs(r - dot / sqrt(na * nb)) < 1e-5,
			  "cosine f4 n=%d", n);
		CHECK(vec_cosine_f8(a8, b8, n, &r) == VEC_COS_OK && fabs(r - dot / sqrt(na * nb)) < 1e-12,
			  "cosine f8 n=%d", n);
		CHECK(fabs(vec_dot_f4(a, b, n) - dot) < 1e-4 && fabs(vec_norm_f4(a, n) - sqrt(na)) < 1e-5,
			  "dot/norm n=%d", n);
		memset(b, 0, sizeof(float) * n);
		CHECK(vec_cosine_f4(a, b, n, &r) == VEC_COS_ZERO, "zero vector n=%d", n);
		b[n - 1] = NAN;
		CHECK(vec_cosine_f4(a, b, n, &r) == VEC_COS_NONFINITE, "NaN n=%d", n);
		a8[0] = INFINITY;
		CHECK(vec_cosine_f8(a8, b8, n, &r) == VEC_COS_NONFINITE, "Inf n=%d", n);
		free(a);
		free(b);
		free(a8);
		free(b8);
	}
}

static void
test_stats_math(void)
{
	/* AUC (sorts with sort.h): ties count one half */
	{
		double		pos[] = {0.9, 0.4, 0.7, 0.4},
					neg[] = {0.4, 0.1, 0.8},
					tmp[4];

		/* pairs: 0.9 beats 3; 0.7 beats 2; each 0.4 beats 0.1, ties 0.4 */
		CHECK(fabs(stats_auc(pos, 4, neg, 3, tmp, NULL) - (3 + 2 + 1.5 + 1.5) / 12.0) < 1e-15,
			  "auc with ties");
		CHECK(pos[0] == 0.4 && pos[3] == 0.9 && neg[0] == 0.1, "auc sorts its input");
	}
	/* rng.h: the same seed gives the same stream; ranges */
	{
		NfRng		a,
					b;
		bool		ok = true;

		nf_rng_seed(&a, 42);
		nf_rng_seed(&b, 42);
		for (int i = 0; i < 1000; i++)
		{
			double		u = nf_rng_u01(&a),
						o = nf_rng_open01(&b);
			int			j = nf_rng_int(&a, 7);

			(void) nf_rng_int(&b, 7);
			ok &= u >= 0 && u < 1 && o > 0 && o < 1 && j >= 0 && j < 7;
		}
		CHECK(ok && nf_rng_next(&a) == nf_rng_next(&b), "rng streams and ranges");
	}
	CHECK(stats_normal_cdf(0) == 0.5, "Phi(0)");
	CHECK(fabs(stats_normal_cdf(1.959963984540054) - 0.975) < 1e-15, "Phi(1.96)");
	CHECK(fabs(stats_normal_quantile(0.975) - 1.959963984540054) < 1e-14, "quantile 0.975");
	/* t with 1 df is Cauchy: P(T <= 1) = 3/4 */
	CHECK(fabs(stats_t_cdf(1.0, 1.0) - 0.75) < 1e-13, "t_cdf(1, 1) = %.17g", stats_t_cdf(1.0, 1.0));
	/* t with 2 df: P(T <= t) = 1/2 + t / (2 sqrt(2 + t^2)) */
	CHECK(fabs(stats_t_cdf(1.5, 2.0) - (0.5 + 1.5 / (2 * sqrt(4.25)))) < 1e-13, "t_cdf(1.5, 2)");
	CHECK(fabs(stats_t_quantile(0.75, 1.0) - 1.0) < 1e-12, "t_quantile(0.75, 1)");
}

/* metrics.c against hand-worked values */
static void
test_metrics(void)
{
	int64		rel[] = {7, 3, 1, 3};
	int64		rec[] = {5, 3, 9, 1, 3};
	bool		credited[4];
	RankMetrics m;
	MetricsSum	sum = {0};
	double		idcg3 = 1 + 1 / log2(3.0) + 0.5;
	int			nrel = metrics_sort_unique(rel, 4);

	CHECK(nrel == 3 && rel[0] == 1 && rel[1] == 3 && rel[2] == 7, "sort_unique");

	/* k = 3: one hit (3) at rank 2 */
	rank_metrics(rec, 5, rel, nrel, 3, credited, &m);
	CHECK(m.hits == 1 && fabs(m.precision - 1.0 / 3) < 1e-15 && fabs(m.recall - 1.0 / 3) < 1e-15,
		  "k=3 hits %d precision %g recall %g", m.hits, m.precision, m.recall);
	CHECK(fabs(m.ndcg - (1 / log2(3.0)) / idcg3) < 1e-15, "k=3 ndcg %g", m.ndcg);
	CHECK(fabs(m.ap - (1.0 / 2) / 3) < 1e-15, "k=3 ap %g", m.ap);
	metrics_sum_add(&sum, &m);

	/* k = 5: hits 3 (rank 2) and 1 (rank 4); the repeated 3 is not credited twice */
	rank_metrics(rec, 5, rel, nrel, 5, credited, &m);
	CHECK(m.hits == 2 && fabs(m.precision - 2.0 / 5) < 1e-15 && fabs(m.recall - 2.0 / 3) < 1e-15,
		  "k=5 hits %d", m.hits);
	CHECK(fabs(m.ndcg - (1 / log2(3.0) + 1 / log2(5.0)) / idcg3) < 1e-15, "k=5 ndcg %g", m.ndcg);
	CHECK(fabs(m.ap - (1.0 / 2 + 2.0 / 4) / 3) < 1e-15, "k=5 ap %g", m.ap);
	metrics_sum_add(&sum, &m);

	/* fewer recommendations than k: precision still over k */
	rank_metrics(rec, 2, rel, nrel, 10, credited, &m);
	CHECK(m.hits == 1 && fabs(m.precision - 0.1) < 1e-15, "short list precision %g", m.precision);

	/* no relevant titles: precision 0, the rest undefined and not summed */
	rank_metrics(rec, 5, rel, 0, 3, credited, &m);
	CHECK(m.hits == 0 && m.precision == 0 && isnan(m.recall) && isnan(m.ndcg) && isnan(m.ap),
		  "no relevant titles");
	metrics_sum_add(&sum, &m);
	CHECK(sum.users == 2 && fabs(sum.recall - 1.0) < 1e-15, "metrics_sum_add users %ld recall %g",
		  (long) sum.users, sum.recall);

	/* effective catalog size: 1 for one title, n for uniform plays */
	{
		double		one[] = {0, 5, 0},
					uni[] = {2, 2, 2, 2},
					skew[] = {1, 3},
					none[] = {0, 0};

		CHECK(fabs(effective_catalog_size(one, 3) - 1) < 1e-15, "ecs one title");
		CHECK(fabs(effective_catalog_size(uni, 4) - 4) < 1e-15, "ecs uniform");
		/* sorted 3, 1: 2 (1 * 3/4 + 2 * 1/4) - 1 = 1.5 */
		CHECK(fabs(effective_catalog_size(skew, 2) - 1.5) < 1e-15, "ecs skew");
		CHECK(isnan(effective_catalog_size(none, 2)), "ecs no plays");
	}

	/* holdout_uniform: deterministic, in [0, 1), roughly uniform, seed matters */
	{
		int			below = 0,
					same = 0;
		bool		ok = true;

		for (int64 u = 0; u < 20000; u++)
		{
			double		h = holdout_uniform(u, 42, 7);

			ok &= h >= 0 && h < 1 && h == holdout_uniform(u, 42, 7);
			below += h < 0.25;
			same += h == holdout_uniform(u, 42, 8);
		}
		CHECK(ok && below > 4700 && below < 5300 && same == 0,
			  "holdout_uniform: %d of 20000 below 0.25, %d equal across seeds", below, same);
	}
}

/*
 * EASE on a hand-worked case.  Users {0,1}, {1,2}, {0,1,2}, {2} plus a
 * zero-weight event of the last user on title 0 (seen, not counted):
 * X'X + I = [[3,2,1],[2,4,2],[1,2,4]], det 24, P = adj / 24 =
 * [[12,-6,0],[-6,11,-4],[0,-4,8]] / 24, B_ij = -P_ij / P_jj =
 * [[0, 6/11, 0], [1/2, 0, 1/2], [0, 4/11, 0]].  Then a random case where
 * (X'X + lambda I)(I - B) must be diagonal (it is diag(1 / P_jj)).
 */
static void
test_ease(void)
{
	int64		ptr[] = {0, 2, 4, 7, 9};
	int32		evi[] = {0, 1, 1, 2, 0, 1, 2, 0, 2};
	float		evw[] = {1, 2, 1, 1, 1, 1, 1, 0, 1};
	double		ref[9] = {0, 6.0 / 11, 0, 0.5, 0, 0.5, 0, 4.0 / 11, 0};
	double	   *G = calloc(9, sizeof(double));
	float		Bf[9],
				sc[3];
	int32		rows[2] = {0, 2};
	float		w[2] = {1, -1};
	double		err = 0;

	ease_gram_users(3, ptr, evi, evw, 0, 2, G);
	ease_gram_users(3, ptr, evi, evw, 2, 4, G);
	CHECK(G[0] == 2 && G[1] == 2 && G[2] == 1 && G[4] == 3 && G[5] == 2 && G[8] == 3,
		  "ease gram upper triangle");
	CHECK(ease_solve(3, 1.0, G) == 0, "ease_solve 3x3");
	for (int k = 0; k < 9; k++)
	{
		err = Max(err, fabs(G[k] - ref[k]));
		Bf[k] = (float) G[k];
	}
	CHECK(err < 1e-12, "ease B 3x3: max error %g", err);
	/* a user with title 0 (positive) and title 2 (a dislike): row 0 of B */
	CHECK(ease_scores(3, Bf, rows, w, 2, sc) == 1 && sc[0] == 0 &&
		  sc[1] == Bf[1] && sc[2] == 0, "ease_scores");
	/* not positive definite: LAPACK's info, no crash */
	memset(G, 0, 9 * sizeof(double));
	CHECK(ease_solve(3, -1.0, G) > 0, "ease_solve of a negative definite matrix");
	free(G);

	{
		int			n = 40,
					nu = 200;
		int64	   *p2 = malloc(sizeof(int64) * (nu + 1));
		int32	   *e2 = malloc(sizeof(int32) * nu * n);
		float	   *w2 = malloc(sizeof(float) * nu * n);
		double	   *g = calloc((Size) n * n, sizeof(double));
		double	   *gram = calloc((Size) n * n, sizeof(double));
		double		lambda = 3.0,
					off = 0;
		uint32		h = 12345;

		p2[0] = 0;
		for (int u = 0; u < nu; u++)
		{
			p2[u + 1] = p2[u];
			for (int i = 0; i < n; i++)
			{
				h = h * 1103515245u + 12345u;
				if ((h >> 16) % 5 == 0)
				{
					e2[p2[u + 1]] = i;
					w2[p2[u + 1]++] = ((h >> 8) % 7 == 0) ? -1.0f : 1.0f;
				}
			}
		}
		ease_gram_users(n, p2, e2, w2, 0, nu, g);
		/* the full Gram matrix, computed densely, for the check */
		for (int u = 0; u < nu; u++)
			for (int64 a = p2[u]; a < p2[u + 1]; a++)
				for (int64 b = p2[u]; b < p2[u + 1]; b++)
					if (w2[a] > 0 && w2[b] > 0)
						gram[(Size) e2[a] * n + e2[b]] += 1;
		for (int i = 0; i < n; i++)
			gram[(Size) i * n + i] += lambda;
		CHECK(ease_solve(n, lambda, g) == 0, "ease_solve %dx%d", n, n);
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
			{
				/* ((X'X + lambda I)(I - B))_ij */
				double		s = 0;

				for (int k = 0; k < n; k++)
					s += gram[(Size) i * n + k] * ((k == j) - g[(Size) k * n + j]);
				if (i != j)
					off = Max(off, fabs(s));
				else
					CHECK(s > 0, "ease diagonal of G(I - B) at %d", i);
			}
		CHECK(off < 1e-10, "ease: G(I - B) off-diagonal %g", off);
		for (int i = 0; i < n; i++)
			CHECK(g[(Size) i * n + i] == 0, "ease diag(B) at %d", i);
		free(p2);
		free(e2);
		free(w2);
		free(g);
		free(gram);
	}
}

/*
 * cooccur_neighbours against a brute force: random histories (some
 * dislikes, some users longer than the cap), every title's best m by
 * C(a,b) / (n(b) + beta) with ties to the lower row; both the sparse and
 * the whole-catalog path run (nitems / 16 splits them).
 */
static void
test_cooccur(void)
{
	for (int round = 0; round < 3; round++)
	{
		int			ni = round == 0 ? 5 : (round == 1 ? 64 : 300),
					nu = round == 2 ? 120 : 40,
					m = round == 0 ? 10 : 7,	/* m > ni - 1 in round 0: padding */
					cap = round == 1 ? 4 : 50,
					mm = Min(m, ni - 1);
		int64	   *ptr = malloc(sizeof(int64) * (nu + 1));
		int32	   *ev = malloc(sizeof(int32) * (Size) nu * ni);
		float	   *w = malloc(sizeof(float) * (Size) nu * ni);
		uint8	   *keep = calloc((Size) nu * ni, 1);	/* user x title after the cap */
		int		   *cnt = calloc((Size) ni, sizeof(int));
		int32	   *rows = malloc(sizeof(int32) * (Size) ni * mm);
		float	   *sc = malloc(sizeof(float) * (Size) ni * mm);
		void	   *work;
		uint32		h = 777 + round;
		int			bad = 0;

		ptr[0] = 0;
		for (int u = 0; u < nu; u++)
		{
			int			pct = (u % 7 == 0) ? 60 : 8;

			ptr[u + 1] = ptr[u];
			for (int i = 0; i < ni; i++)
			{
				h = h * 1103515245u + 12345u;
				if ((int) ((h >> 16) % 100) < pct)
				{
					ev[ptr[u + 1]] = i;
					w[ptr[u + 1]++] = ((h >> 4) % 9 == 0) ? -1.0f : (float) (1 + (h >> 8) % 4);
				}
			}
			/* the cap: the highest weights, ties lower row */
			for (int k = 0; k < cap; k++)
			{
				int			best = -1;

				for (int64 e = ptr[u]; e < ptr[u + 1]; e++)
					if (w[e] > 0 && !keep[(Size) u * ni + ev[e]] &&
						(best < 0 || w[e] > w[best] || (w[e] == w[best] && ev[e] < ev[best])))
						best = (int) e;
				if (best < 0)
					break;
				keep[(Size) u * ni + ev[best]] = 1;
				cnt[ev[best]]++;
			}
		}
		work = malloc(cooccur_work_bytes(nu, ni, ptr[nu], cap));
		cooccur_neighbours(nu, ni, ptr, ev, w, mm, cap, 10.0, rows, sc, work, NULL, NULL);
		for (int a = 0; a < ni; a++)
		{
			float	   *ref = malloc(sizeof(float) * ni);
			uint8	   *used = calloc(ni, 1);

			for (int b = 0; b < ni; b++)
			{
				int			c = 0;

				for (int u = 0; u < nu; u++)
					c += keep[(Size) u * ni + a] && keep[(Size) u * ni + b];
				ref[b] = (b != a && c > 0) ? (float) ((double) c / (cnt[b] + 10.0)) : -1.0f;
			}
			for (int j = 0; j < mm; j++)
			{
				int			best = -1;

				for (int b = 0; b < ni; b++)
					if (!used[b] && ref[b] >= 0 && (best < 0 || ref[b] > ref[best]))
						best = b;
				if (best >= 0)
					used[best] = 1;
				if (best < 0 ? (rows[(Size) a * mm + j] != -1 || sc[(Size) a * mm + j] != 0)
					: (rows[(Size) a * mm + j] != best || sc[(Size) a * mm + j] != ref[best]))
					bad++;
			}
			free(ref);
			free(used);
		}
		CHECK(bad == 0, "cooccur %d titles x %d users, m %d, cap %d: %d entries differ",
			  ni, nu, mm, cap, bad);
		free(ptr);
		free(ev);
		free(w);
		free(keep);
		free(cnt);
		free(rows);
		free(sc);
		free(work);
	}
}

/*
 * The per-row steps of distributed training (als.h): the dense Cholesky
 * and CG solves against A x = b (residual), CG with enough steps against
 * Cholesky, the (seed, id) start, and als_gram_padded against a double
 * Gram matrix summed by brute force.
 */
static void
test_als_row_steps(void)
{
	NfRng		rng;

	nf_rng_seed(&rng, 7);
	for (int k = 1; k <= 33; k += 8)
	{
		double	   *M = malloc(sizeof(double) * k * k),
				   *A = malloc(sizeof(double) * k * k),
				   *L = malloc(sizeof(double) * k * k),
				   *b = malloc(sizeof(double) * k),
				   *bc = malloc(sizeof(double) * k),
				   *work = malloc(sizeof(double) * 4 * k);
		float	   *xc = calloc(k, sizeof(float)),
				   *xg = calloc(k, sizeof(float));
		double		err = 0,
					nb = 0,
					dx = 0,
					nx = 0;

		for (int i = 0; i < k * k; i++)
			M[i] = nf_rng_u01(&rng) - 0.5;
		for (int i = 0; i < k; i++)
		{
			b[i] = bc[i] = nf_rng_u01(&rng) - 0.5;
			for (int j = 0; j < k; j++)
			{
				double		v = (i == j) ? 1.0 : 0.0;

				for (int m = 0; m < k; m++)
					v += M[i * k + m] * M[j * k + m];
				A[i * k + j] = L[i * k + j] = v;
			}
		}
		CHECK(als_solve_dense_chol(k, L, bc, xc) == 0, "dense cholesky k=%d", k);
		als_solve_dense_cg(k, A, b, 3 * k, xg, work);
		for (int i = 0; i < k; i++)
		{
			double		r = b[i];

			for (int j = 0; j < k; j++)
				r -= A[i * k + j] * xc[j];
			err += r * r;
			nb += b[i] * b[i];
			dx += (xg[i] - xc[i]) * (double) (xg[i] - xc[i]);
			nx += (double) xc[i] * xc[i];
		}
		CHECK(sqrt(err / nb) < 1e-5, "dense cholesky residual k=%d: %g", k, sqrt(err / nb));
		CHECK(sqrt(dx / nx) < 1e-4, "dense cg vs cholesky k=%d: %g", k, sqrt(dx / nx));
		/* not positive definite: an error, x untouched */
		for (int i = 0; i < k * k; i++)
			L[i] = -A[i];
		xc[0] = 42;
		CHECK(als_solve_dense_chol(k, L, bc, xc) == -1 && xc[0] == 42, "indefinite k=%d", k);
		free(M), free(A), free(L), free(b), free(bc), free(work), free(xc), free(xg);
	}
	for (int kp = 16; kp <= 32; kp += 16)
	{
		int			k = kp - 5;
		int32		n = 300;		/* two blocks */
		float	   *F = calloc((size_t) n * kp, sizeof(float)),
				   *G = malloc(sizeof(float) * kp * kp),
				   *scratch = malloc(sizeof(float) * als_gram_scratch_floats(kp)),
				   *r2 = malloc(sizeof(float) * kp);
		double	   *Gd = malloc(sizeof(double) * kp * kp),
					worst = 0;
		bool		ok = true;

		for (int32 r = 0; r < n; r++)
		{
			als_init_row(3, 1, 1000 + r, k, kp, F + (size_t) r * kp);
			als_init_row(3, 1, 1000 + r, k, kp, r2);
			for (int j = 0; j < kp; j++)
				ok &= r2[j] == F[(size_t) r * kp + j] &&
					(j < k ? (F[(size_t) r * kp + j] >= 0 && F[(size_t) r * kp + j] < 0.01f)
					 : F[(size_t) r * kp + j] == 0);
		}
		als_init_row(3, 0, 1000, k, kp, r2);
		CHECK(ok && memcmp(r2, F, sizeof(float) * kp) != 0, "init rows kp=%d: deterministic, in range, padded, by side", kp);
		als_gram_padded(kp, F, n, scratch, G, Gd);
		for (int l = 0; l < kp; l++)
			for (int j = 0; j < kp; j++)
			{
				double		s = 0;

				for (int32 r = 0; r < n; r++)
					s += (double) F[(size_t) r * kp + l] * F[(size_t) r * kp + j];
				worst = Max(worst, fabs(Gd[l * kp + j] - s) / 1e-4);
				ok &= G[l * kp + j] == (float) Gd[l * kp + j];
			}
		CHECK(ok && worst < 1e-3, "als_gram_padded kp=%d: error %g of 1e-4", kp, worst);
		free(F), free(G), free(scratch), free(r2), free(Gd);
	}
}

/*
 * topk_scan: scan_dot against a double reference; the AVX2 and portable
 * kernels give the same bits; scan_topk gives exactly scan_dot_all +
 * topk_select (rows, order, scores) for catalogs with ties (duplicate
 * rows), zero rows, skipped rows, tiny and huge scales, f of 1..100 and k
 * of 1..n+1, with either kernel.
 */
static void
test_scan(void)
{
	const int	fs[] = {1, 7, 16, 33, 64, 80, 100, 150};
	const int	ns[] = {5, 100, 3000};
	const double scales[] = {1.0, 1e-6, 1e5, 1e-25};

	for (int fi = 0; fi < lengthof(fs); fi++)
		for (int ni = 0; ni < lengthof(ns); ni++)
			for (int si = 0; si < lengthof(scales); si++)
			{
				int			f = fs[fi],
							n = ns[ni];
				float	   *Y = xmalloc(sizeof(float) * n * f),
						   *x = xmalloc(sizeof(float) * f),
						   *norms = xmalloc(sizeof(float) * n),
						   *all = xmalloc(sizeof(float) * n),
						   *all2 = xmalloc(sizeof(float) * n),
						   *sc = xmalloc(sizeof(float) * (n + 1)),
						   *rsc = xmalloc(sizeof(float) * (n + 1));
				int32	   *rows = xmalloc(sizeof(int32) * (n + 1)),
						   *ref = xmalloc(sizeof(int32) * (n + 1));
				uint8	   *skip = xmalloc(n),
						   *sparse = xmalloc(n);
				ScanCatalog c;
				void	   *mem,
						   *work;
				double		maxerr = 0;
				bool		same = true;

				for (int i = 0; i < n; i++)
				{
					double		s2 = 0;

					for (int a = 0; a < f; a++)
					{
						/* row 3 repeats row 1 (ties); row 4 is zero; row 5 tiny */
						float		v = (float) ((urand() - 0.5) * scales[si]);

						if (i == 3 && n > 3)
							v = Y[1 * f + a];
						if (i == 4)
							v = 0.0f;
						if (i == 5)
							v *= 1e-30f;
						Y[(Size) i * f + a] = v;
						s2 += (double) v * v;
					}
					norms[i] = (float) sqrt(s2);
					skip[i] = (i % 7 == 2);
				}
				for (int a = 0; a < f; a++)
					x[a] = (float) (urand() - 0.4) * (a == 0 ? 3.0f : 1.0f);
				mem = xmalloc(scan_catalog_bytes(n, f));
				scan_catalog_init(&c, Y, norms, n, f, mem);
				work = xmalloc(scan_work_bytes(&c));

				/* the fixed-order dot: close to the exact value; kernels agree */
				scan_force_portable(true);
				scan_dot_all(Y, n, f, x, all);
				scan_force_portable(false);
				scan_dot_all(Y, n, f, x, all2);
				for (int i = 0; i < n; i++)
				{
					double		d = 0,
								m = 0;

					for (int a = 0; a < f; a++)
					{
						d += (double) Y[(Size) i * f + a] * x[a];
						m += fabs((double) Y[(Size) i * f + a] * x[a]);
					}
					maxerr = Max(maxerr, m > 0 ? fabs(all[i] - d) / m : fabs(all[i] - d));
					same = same && memcmp(&all[i], &all2[i], sizeof(float)) == 0 &&
						memcmp(&all[i], &(float) {scan_dot(Y + (Size) i * f, x, f)}, sizeof(float)) == 0;
				}
				CHECK(maxerr < (f / 8 + 4) * 1.2e-7, "scan_dot f=%d n=%d: relative error %g", f, n, maxerr);
				CHECK(same, "scan_dot_all: AVX2 and portable kernels differ (f=%d n=%d)", f, n);

				for (int portable = 0; portable <= 1; portable++)
				{
					const int	ks[] = {1, 2, 10, 100, n / 5, n, n + 1};
					float	   *lo = xmalloc(sizeof(float) * n),
							   *hi = xmalloc(sizeof(float) * n);
					bool		bounded,
								inside = true;

					scan_force_portable(portable);
					/* the bounds hold for every row; outside the range: none */
					bounded = scan_bounds(&c, x, lo, hi, work);
					CHECK(bounded == (scales[si] >= 1e-6), "scan_bounds f=%d scale=%g: %d",
						  f, scales[si], bounded);
					for (int i = 0; bounded && i < n; i++)
						inside &= lo[i] <= all[i] && all[i] <= hi[i];
					CHECK(inside, "scan_bounds f=%d n=%d scale=%g portable=%d: a score outside its bounds",
						  f, n, scales[si], portable);
					for (int ki = 0; bounded && ki < lengthof(ks); ki++)
					{
						int			k = ks[ki],
									gr,
									gs;
						bool		ok;

						if (k < 1)
							continue;
						gr = topk_select(all, n, skip, k, ref);
						gs = scan_topk_bounded(&c, x, lo, hi, skip, k, rows, sc, work, NULL);
						ok = gs == gr;
						for (int j = 0; ok && j < gr; j++)
							ok = rows[j] == ref[j] && memcmp(&sc[j], &all[ref[j]], sizeof(float)) == 0;
						CHECK(ok, "scan_topk_bounded f=%d n=%d k=%d portable=%d", f, n, k, portable);
					}
					/*
					 * scan_bounds_topk: the bounds bit for bit as scan_bounds
					 * wrote them and the top k as topk_select over the exact
					 * scores, for every mask (none, every 7th row, sparse)
					 */
					for (int i = 0; i < n; i++)
						sparse[i] = (i % 97 != 3 && i != n - 1) ? (i % 5 == 0 ? 7 : 1) : 0;
					for (int ki = 0; ki < lengthof(ks) + 1; ki++)
						for (int useskip = 0; useskip <= 2; useskip++)
						{
							const uint8 *mask = useskip == 0 ? NULL : useskip == 1 ? skip : sparse;
							int			k = ki < lengthof(ks) ? ks[ki] : 0,
										nexact = -1,
										gr,
										gs;
							float	   *lo2 = xmalloc(sizeof(float) * n),
									   *hi2 = xmalloc(sizeof(float) * n);
							bool		ok;

							gr = k > 0 ? topk_select(all, n, mask, k, ref) : 0;
							gs = scan_bounds_topk(&c, x, lo2, hi2, mask, k, rows, sc, work, &nexact);
							if (!bounded)
							{
								CHECK(gs == -1, "scan_bounds_topk f=%d scale=%g: %d out of range",
									  f, scales[si], gs);
								free(lo2);
								free(hi2);
								continue;
							}
							ok = gs == gr && memcmp(lo, lo2, sizeof(float) * n) == 0 &&
								memcmp(hi, hi2, sizeof(float) * n) == 0;
							for (int j = 0; ok && j < gr; j++)
								ok = rows[j] == ref[j] && memcmp(&sc[j], &all[ref[j]], sizeof(float)) == 0;
							CHECK(ok, "scan_bounds_topk f=%d n=%d scale=%g k=%d skip=%d portable=%d: %d rows, expected %d",
								  f, n, scales[si], k, useskip, portable, gs, gr);
							CHECK(k == 0 ? nexact == 0 : nexact >= Min(k, gr) && nexact <= n,
								  "scan_bounds_topk nexact %d", nexact);
							free(lo2);
							free(hi2);
						}
					free(lo);
					free(hi);
					/* a sparse mask too: few eligible rows are scored alone */
					for (int i = 0; i < n; i++)
						sparse[i] = (i % 97 != 3 && i != n - 1) ? (i % 5 == 0 ? 7 : 1) : 0;
					for (int ki = 0; ki < lengthof(ks); ki++)
						for (int useskip = 0; useskip <= 2; useskip++)
						{
							const uint8 *mask = useskip == 0 ? NULL : useskip == 1 ? skip : sparse;
							int			k = ks[ki],
										nexact = -1,
										gr,
										gs;
							bool		ok;

							if (k < 1)
								continue;
							gr = topk_select(all, n, mask, k, ref);
							for (int j = 0; j < gr; j++)
								rsc[j] = all[ref[j]];
							gs = scan_topk(&c, x, mask, k, rows, sc, work, &nexact);
							ok = gs == gr;
							for (int j = 0; ok && j < gr; j++)
								ok = rows[j] == ref[j] && memcmp(&sc[j], &rsc[j], sizeof(float)) == 0;
							CHECK(ok, "scan_topk f=%d n=%d scale=%g k=%d skip=%d portable=%d: %d rows, expected %d",
								  f, n, scales[si], k, useskip, portable, gs, gr);
							CHECK(nexact >= Min(k, gr) && nexact <= n, "scan_topk nexact %d", nexact);
							/* a big catalog, small k: few rows scored exactly */
							if (n == 3000 && k == 10 && si == 0 && f >= 16 && useskip < 2)
								CHECK(nexact < 300, "scan_topk f=%d: %d rows rescored for k=10", f, nexact);
						}
				}
				scan_force_portable(false);
				free(Y);
				free(x);
				free(norms);
				free(all);
				free(all2);
				free(sc);
				free(rsc);
				free(rows);
				free(ref);
				free(skip);
				free(sparse);
				free(mem);
				free(work);
			}
}

/*
 * scan_lift_bounds against the plain computation (the product in double,
 * capped at FLT_MAX, rounded to float; -inf for a bound not > 0), written
 * out here, for both kernels, sizes with and without a tail of fewer than
 * eight rows, lifts and no lifts, bounds of both signs, zero, tiny and
 * huge.
 */
static void
test_scan_lift(void)
{
	const int	ns[] = {0, 1, 7, 8, 9, 16, 31, 1003};

	for (int ni = 0; ni < lengthof(ns); ni++)
		for (int withlift = 0; withlift <= 1; withlift++)
			for (int portable = 0; portable <= 1; portable++)
			{
				int			n = ns[ni];
				float	   *lo = xmalloc(sizeof(float) * (n + 1)),
						   *hi = xmalloc(sizeof(float) * (n + 1)),
						   *lift = xmalloc(sizeof(float) * (n + 1)),
						   *lb = xmalloc(sizeof(float) * 2 * (n + 1));
				bool		ok = true;

				for (int i = 0; i < n; i++)
				{
					double		u = urand() - 0.45;

					lo[i] = (float) (u * (i % 11 == 5 ? 1e38 : i % 13 == 7 ? 1e-38 : 3.0));
					hi[i] = i % 9 == 4 ? lo[i] : lo[i] + (float) urand();
					if (i % 17 == 3)
						lo[i] = 0.0f;
					lift[i] = (float) exp((urand() - 0.5) * (i % 5 == 1 ? 60.0 : 2.0));
				}
				scan_force_portable(portable);
				scan_lift_bounds(lo, hi, withlift ? lift : NULL, n, lb);
				for (int i = 0; ok && i < n; i++)
				{
					double		f = withlift ? (double) lift[i] : 1.0,
								dl = (double) lo[i] * f,
								dh = (double) hi[i] * f;
					float		el = lo[i] > 0.0f ? (float) (dl < FLT_MAX ? dl : FLT_MAX) : -INFINITY,
								eh = hi[i] > 0.0f ? (float) (dh < FLT_MAX ? dh : FLT_MAX) : -INFINITY;

					ok = memcmp(&lb[2 * i], &el, sizeof(float)) == 0 &&
						memcmp(&lb[2 * i + 1], &eh, sizeof(float)) == 0;
					CHECK(ok, "scan_lift_bounds n=%d lift=%d portable=%d row %d: %g %g, expected %g %g",
						  n, withlift, portable, i, lb[2 * i], lb[2 * i + 1], el, eh);
				}
				CHECK(ok, "scan_lift_bounds n=%d lift=%d portable=%d", n, withlift, portable);
				scan_force_portable(false);
				free(lo);
				free(hi);
				free(lift);
				free(lb);
			}
}

/* ------------------------------------------------------------------ */
/* MD5 and the artwork seed (expected values: RFC 1321 and Python's     */
/* hashlib)                                                             */
/* ------------------------------------------------------------------ */

static void
test_artwork_seed(void)
{
	static const char *const in[] = {
		"", "a", "abc", "message digest", "abcdefghijklmnopqrstuvwxyz",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
	};
	static const char *const want[] = {
		"d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661",
		"900150983cd24fb0d6963f7d28e17f72", "f96b697d7cb7938d525a2f31aaf161d0",
		"c3fcd3d76192e4007dfb496cca67e13b", "d174ab98d277d9f5a5611c2c9f419d9f",
		"57edf4a22be3c955ac49da2e2107b67a"
	};
	/* block boundaries: 55, 56 and 64 bytes of 'a' */
	static const int alen[] = {55, 56, 64};
	static const char *const awant[] = {
		"ef1772b6dff9a122358552954ad0df65", "3b0c8ac703f828b04c6c197006d17218",
		"014842d480b571495a4a0363793f7367"
	};
	char		buf[65];

	for (int i = 0; i < (int) lengthof(in); i++)
	{
		uint8		d[16];
		char		hex[33];

		art_md5(in[i], strlen(in[i]), d);
		for (int j = 0; j < 16; j++)
			snprintf(hex + 2 * j, 3, "%02x", d[j]);
		CHECK(strcmp(hex, want[i]) == 0, "md5(\"%s\") = %s, not %s\n", in[i], hex, want[i]);
	}
	memset(buf, 'a', sizeof(buf));
	for (int i = 0; i < (int) lengthof(alen); i++)
	{
		uint8		d[16];
		char		hex[33];

		art_md5(buf, alen[i], d);
		for (int j = 0; j < 16; j++)
			snprintf(hex + 2 * j, 3, "%02x", d[j]);
		CHECK(strcmp(hex, awant[i]) == 0, "md5 of %d x 'a' = %s, not %s\n", alen[i], hex, awant[i]);
	}
	/* the first 15 hex digits of md5('<seed>/<user>/<title>') */
	CHECK(art_seed60(20260101, 42, 7) == UINT64CONST(0xb7acd6071d4404e), "seed of 20260101/42/7\n");
	CHECK(art_seed60(0, PG_INT64_MIN, PG_INT64_MAX) == UINT64CONST(0x126ee943882a379),
		  "seed of 0/-9223372036854775808/9223372036854775807\n");
	CHECK(art_seed60(20261203, -1, 0) == UINT64CONST(0xd9e08864d79925), "seed of 20261203/-1/0\n");

	/*
	 * The prefix form: hashlib.md5 of keys of 13, 55 (one block, the
	 * longest), 56 (two blocks) and 62 bytes (the longest key), and
	 * agreement with art_seed60 over ids of every length.
	 */
	{
		ArtSeedKey	k;
		static const int64 ids[] = {0, 7, -1, 9, 10, 99, 100, 123456, -123456, INT64CONST(1234567890123),
			INT64CONST(12345678901234), PG_INT64_MAX, PG_INT64_MIN, PG_INT64_MIN + 1};
		static const int64 seeds[] = {0, 20260101, -1, PG_INT64_MIN};
		static const int64 users[] = {42, 1, -77, PG_INT64_MAX, PG_INT64_MIN};

		art_seed_prefix(&k, 20260101, 42);
		CHECK(art_seed60_key(&k, 7) == UINT64CONST(0xb7acd6071d4404e), "key seed of 20260101/42/7\n");
		art_seed_prefix(&k, PG_INT64_MIN, PG_INT64_MIN);
		CHECK(art_seed60_key(&k, INT64CONST(1234567890123)) == UINT64CONST(0xb067de9048ae171),
			  "key seed of a 55-byte key\n");
		CHECK(art_seed60_key(&k, INT64CONST(12345678901234)) == UINT64CONST(0xbba38387e2e7f1f),
			  "key seed of a 56-byte key\n");
		CHECK(art_seed60_key(&k, PG_INT64_MIN) == UINT64CONST(0x0fe78e8cd7586b4),
			  "key seed of a 62-byte key\n");
		for (int a = 0; a < (int) lengthof(seeds); a++)
			for (int b = 0; b < (int) lengthof(users); b++)
			{
				art_seed_prefix(&k, seeds[a], users[b]);
				for (int c = 0; c < (int) lengthof(ids); c++)
					CHECK(art_seed60_key(&k, ids[c]) == art_seed60(seeds[a], users[b], ids[c]),
						  "key seed of %lld/%lld/%lld\n", (long long) seeds[a], (long long) users[b],
						  (long long) ids[c]);
			}
	}
}

int
main(void)
{
	test_als_solve_exact();
	test_als_row_steps();
	test_als();
	test_topk();
	test_calibrate();
	test_kmeans();
	test_logreg();
	test_vecmath();
	test_scan();
	test_scan_lift();
	test_stats_math();
	test_metrics();
	test_ease();
	test_cooccur();
	test_artwork_seed();
	printf("kernels: %d passed, %d failed\n", npass, nfail);
	return nfail == 0 ? 0 : 1;
}
