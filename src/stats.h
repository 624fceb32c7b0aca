/*
 * stats.h -- distributions, random draws and small test statistics
 * on plain numbers (no PostgreSQL calls).
 *
 * Used by the SQL glue in stats_sql.c (ab_test, welch_ttest, sample_size,
 * thompson_pick, auc, normal_cdf, t_cdf ...) and by the logistic
 * regression (Wald p-values).  Everything here is thread-safe and works on
 * caller-owned memory.
 */
#ifndef NFREC_STATS_H
#define NFREC_STATS_H

#include "c.h"

#include "rng.h"

/* ---- distributions ---------------------------------------------------- */

/* Standard normal CDF Phi(x), via erfc (accurate in both tails). */
extern double stats_normal_cdf(double x);

/*
 * Standard normal quantile Phi^-1(p) by Wichura's AS 241 (about 1e-16
 * relative).  p = 0 gives -Inf, p = 1 gives +Inf, p outside [0,1] or NaN
 * gives NaN.
 */
extern double stats_normal_quantile(double p);

/* log B(a, b) for a, b > 0, accurate also when one or both are huge. */
extern double stats_lbeta(double a, double b);

/*
 * Regularized incomplete beta I_x(a, b), with y = 1 - x passed separately
 * so that callers that know the complement exactly lose no digits.
 * Continued fraction (modified Lentz).  Returns NaN on bad arguments.
 */
extern double stats_beta_inc(double a, double b, double x, double y);

/* Student t with df > 0 degrees of freedom (df may be fractional or Inf). */
extern double stats_t_cdf(double t, double df);
extern double stats_t_two_sided_p(double t, double df);	/* P(|T| >= |t|) */
extern double stats_t_quantile(double p, double df);

/* ---- random numbers ------------------------------------------------- */

/* Draws from rng.h's generator (seeded with nf_rng_seed). */
extern double stats_rng_normal(NfRng *rng);
/* log of a Gamma(shape, 1) draw (Marsaglia & Tsang 2000), shape > 0 */
extern double stats_rng_log_gamma(NfRng *rng, double shape);

/*
 * Thompson sampling: one Beta(alpha[i], beta[i]) draw per arm (as two
 * Gamma draws, compared on the log-odds scale so that draws very close to
 * 0 or 1 keep their order); returns the 0-based index of the largest.
 */
extern int	stats_thompson_pick(NfRng *rng, int narms,
								const double *alpha, const double *beta);

/* ---- test statistics -------------------------------------------------- */

/* Count, mean and sum of squared deviations of one group (Welford). */
typedef struct StatsMoments
{
	double		n;
	double		mean;
	double		m2;
} StatsMoments;

extern void stats_moments_add(StatsMoments *m, double x);
extern void stats_moments_combine(StatsMoments *a, const StatsMoments *b);

/* Welch's two-sample t-test of treatment minus control. */
typedef struct StatsWelch
{
	double		diff;			/* mean_treatment - mean_control */
	double		var_control;	/* sample variances (n - 1) */
	double		var_treatment;
	double		se;				/* sqrt(v_c/n_c + v_t/n_t) */
	double		t;				/* NaN when se = 0 */
	double		df;				/* Welch-Satterthwaite; NaN when se = 0 */
	double		p_value;		/* two-sided; NaN when se = 0 */
	double		ci_low;
	double		ci_high;
} StatsWelch;

/* Requires c->n >= 2 and t->n >= 2; confidence in (0,1). */
extern void stats_welch(const StatsMoments *control, const StatsMoments *treatment,
						double confidence, StatsWelch *out);

/* Two-proportion z-test of rate_b - rate_a. */
typedef struct StatsTwoProp
{
	double		rate_a;
	double		rate_b;
	double		diff;
	double		lift;			/* diff / rate_a; NaN when rate_a = 0 */
	double		z;				/* pooled standard error; NaN when it is 0 */
	double		p_value;		/* two-sided; NaN when z is */
	double		ci_low;			/* unpooled (Wald) interval of diff */
	double		ci_high;
} StatsTwoProp;

extern void stats_two_prop(double sa, double na, double sb, double nb,
						   double confidence, StatsTwoProp *out);

/*
 * Users per arm for a two-sided two-proportion test (before the ceiling):
 * (z_{1-alpha/2} sqrt(2 pbar (1-pbar)) + z_{power} sqrt(p1 q1 + p2 q2))^2 / mde^2
 * with p1 = baseline, p2 = baseline + mde, pbar = (p1 + p2) / 2.
 */
extern double stats_sample_size(double baseline, double mde, double alpha, double power);

/*
 * Area under the ROC curve = Mann-Whitney U / (npos * nneg), tied pairs
 * counting one half.  Sorts both arrays in place (tmp: scratch for
 * max(npos, nneg) doubles; check, if not NULL, is called now and then and
 * may longjmp out).  NaN when a class is empty.
 */
extern double stats_auc(double *pos, int64 npos, double *neg, int64 nneg,
						double *tmp, void (*check) (void));

/*
 * The same AUC from per-score counts: m distinct scores in ascending order,
 * pos[i] positives and neg[i] negatives at the i-th.  Counts the same
 * doubled Mann-Whitney U as stats_auc (an integer), so the result is the
 * same double.  NaN when a class is empty.
 */
extern double stats_auc_counts(const int64 *pos, const int64 *neg, int64 m);

#endif
