/*
 * diversity.h -- calibrated re-ranking of a candidate list (no PostgreSQL
 * calls).
 *
 * Steck, "Calibrated Recommendations" (RecSys 2018): choose the list I of
 * k titles greedily, each step adding the candidate that maximises
 *
 *     (1 - lambda) * sum_{i in I} s(i)  -  lambda * KL(p || q~(I))
 *
 * where p is the genre mix of the user's history, q(I) the genre mix of
 * the list (each title spreads weight 1 evenly over its genres), and
 * q~ = (1 - a) q + a p with a = 0.01 keeps the divergence finite.
 * With max_per_genre > 0 no first genre (a title's gid[gptr[c]]) gets
 * more than that many titles of the list while a candidate that keeps to
 * it is left.  lambda = 0 and max_per_genre = 0 keep the input order.
 * Ties go to the earlier candidate, so with candidates in score order the
 * result is deterministic.
 */
#ifndef NFREC_DIVERSITY_H
#define NFREC_DIVERSITY_H

#include "c.h"

#define DIV_ALPHA	0.01

/*
 * ncand candidates with scores s[] and genres gid[gptr[c] .. gptr[c+1]) in
 * [0, ngenres); p[ngenres] sums to 1 (or is all zero: then only the scores
 * count).  Writes up to k candidate indexes to out[] in list order and
 * returns how many.  work needs div_work_bytes(ncand, ngenres) bytes.
 */
extern int	div_calibrate(int ncand, const float *s, const int32 *gptr,
						  const int32 *gid, int ngenres, const double *p,
						  double lambda, int max_per_genre, int k, int32 *out,
						  void *work);

extern Size div_work_bytes(int ncand, int ngenres);

/* KL(p || q~) of a finished list's genre counts (for tests and reports) */
extern double div_kl(int ngenres, const double *p, const double *qsum, double qmass);

#endif
