/*
 * logreg_sql.h -- glue: what logreg_train's final function reports, lent
 * to the split fit of logreg_step.c (nfrec._logreg_fit_result), so that
 * both fits fail with the same errors and return the same jsonb.
 */
#ifndef NFREC_LOGREG_SQL_H
#define NFREC_LOGREG_SQL_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "logreg.h"

/* ereport(ERROR) for a fit that failed; nothing for LOGREG_OK */
extern void logreg_report_status(LogregStatus status, const LogregResult *res,
								 int64 n, int p);

/*
 * logreg_train's jsonb for a fitted model (res: coef, cov, the
 * log-likelihoods, iterations, converged, n_positive); a WARNING when it
 * did not converge.
 */
extern Jsonb *logreg_result_jsonb(const LogregResult *res, int64 n, int nfeat,
								  double l2, int64 skipped);

#endif
