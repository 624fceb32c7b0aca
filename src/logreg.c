/*
 * logreg.c -- logistic regression with intercept by Newton's method (IRLS)
 * on plain arrays (no PostgreSQL calls).  See logreg.h.
 *
 * Model: P(y = 1 | x) = sigma(b0 + b . x).  We maximize
 *     l(b) = sum_i [y_i log mu_i + (1 - y_i) log(1 - mu_i)] - l2/2 |b_1..p|^2
 * (the intercept is not penalized).  Each Newton step solves
 *     (Z'WZ + l2 I~) s = Z'(y - mu) - l2 b~
 * with Z = [1 X], W = diag(mu (1 - mu)), I~ = I without its (0,0) entry.
 * Z'WZ is accumulated block by block with dsyrk and factored by dpotrf
 * after a diagonal equilibration, so that the Cholesky pivots are the
 * "1 - R^2" of each column against the earlier ones: a pivot below
 * LOGREG_SINGULAR_TOL means a (nearly) collinear column.  A step that
 * does not increase l is halved.  Iteration stops when
 *     |l_k - l_{k-1}| / (|l_k| + 0.05) < tol
 * which is R's glm.fit rule written for the log-likelihood (deviance = -2 l).
 *
 * Without a penalty, (quasi-)complete separation makes the MLE infinite:
 * some rows get fitted probabilities of exactly 0 or 1 while the
 * coefficients keep growing by about one unit per step although the
 * likelihood no longer changes.  We report LOGREG_SEPARATION when rows are
 * fitted at |eta| > LOGREG_EXTREME_ETA and the last step still moved a
 * coefficient by more than LOGREG_SEPARATION_STEP relative to its size (a
 * genuine optimum is approached quadratically, so its last step is tiny),
 * or the weights collapse so far that the information matrix is singular.
 */
#include "c.h"

#include <math.h>

#include "logreg.h"

/* Fortran LAPACK/BLAS from OpenBLAS; trailing hidden lengths of CHARACTER args */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
					int *info, size_t uplo_len);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs,
					const double *a, const int *lda, double *b, const int *ldb,
					int *info, size_t uplo_len);
extern void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k,
				   const double *alpha, const double *a, const int *lda,
				   const double *beta, double *c, const int *ldc,
				   size_t uplo_len, size_t trans_len);

#define LOGREG_BLOCK			1024	/* rows per dsyrk call / interrupt check */
#define LOGREG_SINGULAR_TOL		1e-12	/* smallest 1 - R^2 of a column */
#define LOGREG_EXTREME_ETA		16.0	/* |eta| > 16: p within 1.1e-7 of 0 or 1 */
#define LOGREG_SEPARATION_STEP	1e-3
#define LOGREG_MAX_HALVINGS		40
#define LOGREG_CHECK_MASK		0xFFFF	/* interrupt check every 65536 rows */

/* log(1 + exp(x)) without overflow */
static inline double
Softplus(double x)
{
	return (x > 0.0 ? x : 0.0) + log1p(exp(-fabs(x)));
}

static inline double
RowLogLik(double eta, int y)
{
	return y ? -Softplus(-eta) : -Softplus(eta);
}

Size
logreg_work_doubles(int64 n, int nfeat)
{
	Size		p = (Size) nfeat + 1;

	return 2 * (Size) n + LOGREG_BLOCK * p + 2 * p * p + 6 * p;
}

double
logreg_probability(const double *coef, const double *x, int nfeat)
{
	double		eta = coef[0];

	for (int j = 0; j < nfeat; j++)
		eta += coef[j + 1] * x[j];
	if (eta >= 0.0)
		return 1.0 / (1.0 + exp(-eta));
	return exp(eta) / (1.0 + exp(eta));
}

/*
 * Gradient g and information h (upper triangle, column-major p x p) of the
 * penalized log-likelihood at beta, given eta = Z beta.
 */
static void
Accumulate(const LogregProblem *pr, const double *beta, const double *eta,
		   double *block, double *h, double *g, void (*check) (void))
{
	int			nf = pr->nfeat,
				p = nf + 1;
	const double one = 1.0;

	memset(h, 0, sizeof(double) * p * p);
	memset(g, 0, sizeof(double) * p);
	for (int64 start = 0; start < pr->n; start += LOGREG_BLOCK)
	{
		int			m = (int) Min((int64) LOGREG_BLOCK, pr->n - start);

		if (check)
			check();
		for (int r = 0; r < m; r++)
		{
			int64		i = start + r;
			const double *xi = pr->x + i * nf;
			double	   *row = block + (Size) r * p;
			double		e = exp(-fabs(eta[i])),
						resid,
						sw;

			/* resid = y - mu, w = mu (1 - mu) = e / (1 + e)^2 */
			if (pr->y[i])
				resid = (eta[i] >= 0.0) ? e / (1.0 + e) : 1.0 / (1.0 + e);
			else
				resid = (eta[i] >= 0.0) ? -1.0 / (1.0 + e) : -e / (1.0 + e);
			sw = sqrt(e) / (1.0 + e);

			row[0] = sw;
			g[0] += resid;
			for (int j = 0; j < nf; j++)
			{
				row[j + 1] = sw * xi[j];
				g[j + 1] += resid * xi[j];
			}
		}
		/* h += block' block (block is m x p row-major = p x m column-major) */
		dsyrk_("U", "N", &p, &m, &one, block, &p, &one, h, &p, 1, 1);
	}
	for (int j = 1; j < p; j++)
	{
		g[j] -= pr->l2 * beta[j];
		h[j + j * p] += pr->l2;
	}
}

/*
 * Cholesky factor (upper, in s) of S = D^-1/2 H D^-1/2, D = diag(H).
 * Returns -1, or the first column whose 1 - R^2 against the earlier
 * columns is below LOGREG_SINGULAR_TOL.
 */
static int
EquilibratedCholesky(const double *h, int p, double *s, double *dinv)
{
	int			info = 0;

	for (int j = 0; j < p; j++)
	{
		double		d = h[j + j * p];

		if (!(d > 0.0) || !isfinite(d))
			return j;
		dinv[j] = 1.0 / sqrt(d);
	}
	for (int j = 0; j < p; j++)
		for (int i = 0; i <= j; i++)
			s[i + j * p] = h[i + j * p] * dinv[i] * dinv[j];
	dpotrf_("U", &p, s, &p, &info, 1);
	if (info > 0)
		return info - 1;
	if (info < 0)
		return 0;				/* cannot happen: arguments are valid */
	for (int j = 0; j < p; j++)
		if (s[j + j * p] * s[j + j * p] < LOGREG_SINGULAR_TOL)
			return j;
	return -1;
}

/* Solve H v = b in place using the factor of EquilibratedCholesky. */
static void
CholeskySolve(const double *s, const double *dinv, int p, double *b, int nrhs)
{
	int			info = 0;

	for (int k = 0; k < nrhs; k++)
		for (int j = 0; j < p; j++)
			b[j + k * p] *= dinv[j];
	dpotrs_("U", &p, &nrhs, s, &p, b, &p, &info, 1);
	for (int k = 0; k < nrhs; k++)
		for (int j = 0; j < p; j++)
			b[j + k * p] *= dinv[j];
}

static double
PenalizedLogLik(const LogregProblem *pr, const double *eta, const double *zs,
				double t, const double *beta, const double *step,
				void (*check) (void))
{
	double		ll = 0.0,
				pen = 0.0;

	for (int64 i = 0; i < pr->n; i++)
	{
		if (check && (i & LOGREG_CHECK_MASK) == 0)
			check();
		ll += RowLogLik(eta[i] + t * zs[i], pr->y[i]);
	}
	for (int j = 1; j <= pr->nfeat; j++)
	{
		double		b = beta[j] + t * step[j];

		pen += b * b;
	}
	return ll - 0.5 * pr->l2 * pen;
}

LogregStatus
logreg_fit(const LogregProblem *pr, LogregResult *res, double *work,
		   void (*check) (void))
{
	int			nf = pr->nfeat,
				p = nf + 1;
	int64		n = pr->n,
				n1 = 0;
	double	   *eta = work;
	double	   *zs = eta + n;
	double	   *block = zs + n;
	double	   *h = block + (Size) LOGREG_BLOCK * p;
	double	   *s = h + p * p;
	double	   *g = s + p * p;
	double	   *step = g + p;
	double	   *dinv = step + p;
	double	   *beta = res->coef;
	double		ll,
				last_rel_step = 0.0;
	int			bad;

	res->iterations = 0;
	res->converged = false;
	res->bad_column = -1;
	res->n_extreme = 0;

	for (int64 i = 0; i < n; i++)
		n1 += pr->y[i] ? 1 : 0;
	res->n_positive = n1;
	if (n1 == 0 || n1 == n)
		return LOGREG_ONE_CLASS;

	/* start from the intercept-only MLE */
	memset(beta, 0, sizeof(double) * p);
	beta[0] = log((double) n1 / (double) (n - n1));
	for (int64 i = 0; i < n; i++)
		eta[i] = beta[0];
	res->null_log_likelihood = n1 * log((double) n1 / n) + (n - n1) * log((double) (n - n1) / n);
	ll = res->null_log_likelihood;

	for (int it = 1; it <= pr->max_iter; it++)
	{
		double		t = 1.0,
					ll_new = 0.0,
					rel;
		int			halvings;

		Accumulate(pr, beta, eta, block, h, g, check);
		bad = EquilibratedCholesky(h, p, s, dinv);
		if (bad >= 0)
		{
			/* a design that was fine at the start only degenerates when
			 * the weights collapse, i.e. under separation */
			res->bad_column = bad;
			return (it > 1 && pr->l2 == 0.0) ? LOGREG_SEPARATION : LOGREG_SINGULAR;
		}
		memcpy(step, g, sizeof(double) * p);
		CholeskySolve(s, dinv, p, step, 1);

		for (int64 i = 0; i < n; i++)
		{
			const double *xi = pr->x + i * nf;
			double		v = step[0];

			if (check && (i & LOGREG_CHECK_MASK) == 0)
				check();
			for (int j = 0; j < nf; j++)
				v += step[j + 1] * xi[j];
			zs[i] = v;
		}

		/* step halving: l is concave, so a short enough step increases it */
		for (halvings = 0; halvings <= LOGREG_MAX_HALVINGS; halvings++)
		{
			ll_new = PenalizedLogLik(pr, eta, zs, t, beta, step, check);
			/* (a rounding-level decrease at the optimum is not a failure) */
			if (ll_new >= ll - 1e-13 * fabs(ll))
				break;
			t *= 0.5;
		}
		if (halvings > LOGREG_MAX_HALVINGS)
		{
			/* no step improves l: we are at the optimum to rounding */
			res->converged = true;
			break;
		}

		last_rel_step = 0.0;
		for (int j = 0; j < p; j++)
		{
			beta[j] += t * step[j];
			last_rel_step = Max(last_rel_step, fabs(t * step[j]) / (1.0 + fabs(beta[j])));
		}
		for (int64 i = 0; i < n; i++)
			eta[i] += t * zs[i];

		rel = fabs(ll_new - ll) / (fabs(ll_new) + 0.05);
		ll = ll_new;
		res->iterations = it;
		if (rel < pr->tol)
		{
			res->converged = true;
			break;
		}
	}

	res->penalized_log_likelihood = ll;
	res->log_likelihood = 0.0;
	for (int64 i = 0; i < n; i++)
	{
		if (check && (i & LOGREG_CHECK_MASK) == 0)
			check();
		res->log_likelihood += RowLogLik(eta[i], pr->y[i]);
		if (fabs(eta[i]) > LOGREG_EXTREME_ETA)
			res->n_extreme++;
	}

	if (pr->l2 == 0.0 && res->n_extreme > 0 &&
		(!res->converged || last_rel_step > LOGREG_SEPARATION_STEP))
		return LOGREG_SEPARATION;

	/* covariance: inverse of the information at the final coefficients */
	Accumulate(pr, beta, eta, block, h, g, check);
	bad = EquilibratedCholesky(h, p, s, dinv);
	if (bad >= 0)
	{
		res->bad_column = bad;
		return (pr->l2 == 0.0 && res->n_extreme > 0) ? LOGREG_SEPARATION : LOGREG_SINGULAR;
	}
	memset(res->cov, 0, sizeof(double) * p * p);
	for (int j = 0; j < p; j++)
		res->cov[j + j * p] = 1.0;
	CholeskySolve(s, dinv, p, res->cov, p);
	return LOGREG_OK;
}

void
logreg_accumulate_row(const double *coef, const double *x, int nfeat, bool y,
					  double *g, double *h, double *ll)
{
	int			p = nfeat + 1;
	double		eta = coef[0],
				e,
				resid,
				w;

	for (int j = 0; j < nfeat; j++)
		eta += coef[j + 1] * x[j];
	e = exp(-fabs(eta));
	/* as in Accumulate: resid = y - mu, w = mu (1 - mu) = e / (1 + e)^2 */
	if (y)
		resid = (eta >= 0.0) ? e / (1.0 + e) : 1.0 / (1.0 + e);
	else
		resid = (eta >= 0.0) ? -1.0 / (1.0 + e) : -e / (1.0 + e);
	w = e / ((1.0 + e) * (1.0 + e));
	*ll += RowLogLik(eta, y);
	g[0] += resid;
	h[0] += w;
	for (int j = 1; j < p; j++)
	{
		double		zj = x[j - 1];
		double		wz = w * zj;

		g[j] += resid * zj;
		h[j * p] += wz;			/* (0, j) */
		for (int i = 1; i <= j; i++)
			h[i + j * p] += wz * x[i - 1];
	}
}

int
logreg_newton_step(const double *h, const double *g, int p, double *step, double *work)
{
	double	   *s = work;
	double	   *dinv = work + (Size) p * p;
	int			bad = EquilibratedCholesky(h, p, s, dinv);

	if (bad >= 0)
		return bad;
	memcpy(step, g, sizeof(double) * p);
	CholeskySolve(s, dinv, p, step, 1);
	return -1;
}

int
logreg_covariance(const double *h, int p, double *cov, double *work)
{
	double	   *s = work;
	double	   *dinv = work + (Size) p * p;
	int			bad = EquilibratedCholesky(h, p, s, dinv);

	if (bad >= 0)
		return bad;
	memset(cov, 0, sizeof(double) * p * p);
	for (int j = 0; j < p; j++)
		cov[j + j * p] = 1.0;
	CholeskySolve(s, dinv, p, cov, p);
	return -1;
}

bool
logreg_eta_extreme(double eta)
{
	return fabs(eta) > LOGREG_EXTREME_ETA;
}

bool
logreg_separation_suspected(double l2, int64 n_extreme, bool converged, double last_rel_step)
{
	return l2 == 0.0 && n_extreme > 0 && (!converged || last_rel_step > LOGREG_SEPARATION_STEP);
}
