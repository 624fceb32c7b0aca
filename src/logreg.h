/*
 * logreg.h -- logistic regression with intercept by Newton's method (IRLS)
 * on plain arrays (no PostgreSQL calls).  LAPACK (OpenBLAS) does the
 * Cholesky factorizations.
 */
#ifndef NFREC_LOGREG_H
#define NFREC_LOGREG_H

#include "c.h"

typedef enum LogregStatus
{
	LOGREG_OK = 0,				/* coefficients set (converged or not) */
	LOGREG_ONE_CLASS,			/* all labels equal: no finite intercept */
	LOGREG_SINGULAR,			/* design matrix (nearly) rank deficient */
	LOGREG_SEPARATION			/* MLE does not exist: coefficients diverge */
} LogregStatus;

typedef struct LogregProblem
{
	const double *x;			/* n rows of nfeat features, row-major */
	const uint8 *y;				/* n labels, 0 or 1 */
	int64		n;
	int			nfeat;
	double		l2;				/* ridge penalty on the slopes, >= 0 */
	int			max_iter;		/* Newton steps, >= 1 */
	double		tol;			/* relative change of the log-likelihood */
} LogregProblem;

typedef struct LogregResult
{
	double	   *coef;			/* caller-allocated, nfeat + 1: intercept first */
	double	   *cov;			/* caller-allocated, (nfeat + 1)^2: inverse
								 * (penalized) information at coef */
	double		log_likelihood; /* unpenalized, at coef */
	double		null_log_likelihood;	/* intercept-only model */
	double		penalized_log_likelihood;
	int			iterations;
	bool		converged;
	int64		n_positive;
	int64		n_extreme;		/* rows fitted at probability ~0 or ~1 */
	int			bad_column;		/* LOGREG_SINGULAR: 0 = intercept, j = feature j */
} LogregResult;

/* Number of doubles of scratch space logreg_fit needs. */
extern Size logreg_work_doubles(int64 n, int nfeat);

/*
 * Fit.  check_interrupts (may be NULL) is called every few thousand rows;
 * it may longjmp out: logreg_fit allocates nothing itself.
 */
extern LogregStatus logreg_fit(const LogregProblem *pr, LogregResult *res,
							   double *work, void (*check_interrupts) (void));

/* Probability for one row: sigma(coef[0] + coef[1..] . x), overflow-safe. */
extern double logreg_probability(const double *coef, const double *x, int nfeat);

/*
 * One row's share of a Newton step at coef (nfeat + 1 values, intercept
 * first), as logreg_fit accumulates it: adds (y - mu) z to g (nfeat + 1),
 * mu (1 - mu) z z' to the upper triangle of h ((nfeat + 1)^2, column-major)
 * and the row's log-likelihood to *ll, z = (1, x).  Sums of these over any
 * partition of the rows add up: logreg_step's partial state.
 */
extern void logreg_accumulate_row(const double *coef, const double *x, int nfeat,
								  bool y, double *g, double *h, double *ll);

/*
 * The Newton step h^-1 g (h: upper triangle, column-major p x p) into step
 * (p), by the same equilibrated Cholesky as logreg_fit.  work: p * p + p
 * doubles.  Returns -1, or the first column (0 = intercept) whose 1 - R^2
 * against the earlier ones is below the singularity tolerance.
 */
extern int	logreg_newton_step(const double *h, const double *g, int p,
							   double *step, double *work);

/*
 * The inverse of the information h (upper triangle, column-major p x p)
 * into cov (p x p, full), by the same equilibrated Cholesky as logreg_fit
 * (its covariance at the final coefficients).  work: p * p + p doubles.
 * Returns -1, or the first singular column as logreg_newton_step.
 */
extern int	logreg_covariance(const double *h, int p, double *cov, double *work);

/* logreg_fit's rules at the end of a fit, for a driver of logreg_step:
 * a row fitted at |eta| beyond the extreme bound, and the separation test
 * on the count of such rows, convergence and the last relative step */
extern bool logreg_eta_extreme(double eta);
extern bool logreg_separation_suspected(double l2, int64 n_extreme, bool converged,
										double last_rel_step);

#endif
