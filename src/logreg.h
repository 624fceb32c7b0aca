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

#endif
