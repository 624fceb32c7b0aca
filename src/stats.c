/*
 * stats.c -- distributions, random draws and small test statistics
 * on plain numbers (no PostgreSQL calls).  See stats.h.
 *
 * References:
 *   Wichura, M. J. (1988) Algorithm AS 241: the percentage points of the
 *     normal distribution.  Applied Statistics 37, 477-484.
 *   Press et al., Numerical Recipes, 3rd ed., 6.4 (incomplete beta as a
 *     continued fraction evaluated by the modified Lentz method).
 *   Hill, G. W. (1970) Algorithm 395: Student's t-distribution.  CACM 13,
 *     617-619.
 *   Marsaglia, G. & Tsang, W. W. (2000) A simple method for generating
 *     gamma variables.  ACM TOMS 26, 363-372.
 *   Blackman, D. & Vigna, S. (2018) Scrambled linear pseudorandom number
 *     generators (xoshiro256**, splitmix64).
 */
#include "c.h"

#include <float.h>
#include <math.h>

#include "stats.h"
#include "rng.h"
#include "sort.h"

#define LN_SQRT_2PI	0.918938533204672741780329736406	/* log(sqrt(2 pi)) */

/* ---------------------------------------------------------------------
 * Normal distribution
 * --------------------------------------------------------------------- */

double
stats_normal_cdf(double x)
{
	if (isnan(x))
		return x;
	return 0.5 * erfc(-x / M_SQRT2);
}

/* Evaluate c[0] + c[1] r + ... + c[7] r^7 (Horner). */
static inline double
Poly7(const double *c, double r)
{
	return ((((((c[7] * r + c[6]) * r + c[5]) * r + c[4]) * r + c[3]) * r + c[2]) * r + c[1]) * r + c[0];
}

double
stats_normal_quantile(double p)
{
	/* AS 241 (PPND16): rational approximations in three regions */
	static const double a[8] = {
		3.3871328727963666080e+00, 1.3314166789178437745e+02,
		1.9715909503065514427e+03, 1.3731693765509461125e+04,
		4.5921953931549871457e+04, 6.7265770927008700853e+04,
		3.3430575583588128105e+04, 2.5090809287301226727e+03};
	static const double b[8] = {
		1.0, 4.2313330701600911252e+01,
		6.8718700749205790830e+02, 5.3941960214247511077e+03,
		2.1213794301586595867e+04, 3.9307895800092710610e+04,
		2.8729085735721942674e+04, 5.2264952788528545610e+03};
	static const double c[8] = {
		1.42343711074968357734e+00, 4.63033784615654529590e+00,
		5.76949722146069140550e+00, 3.64784832476320460504e+00,
		1.27045825245236838258e+00, 2.41780725177450611770e-01,
		2.27238449892691845833e-02, 7.74545014278341407640e-04};
	static const double d[8] = {
		1.0, 2.05319162663775882187e+00,
		1.67638483018380384940e+00, 6.89767334985100004550e-01,
		1.48103976427480074590e-01, 1.51986665636164571966e-02,
		5.47593808499534494600e-04, 1.05075007164441684324e-09};
	static const double e[8] = {
		6.65790464350110377720e+00, 5.46378491116411436990e+00,
		1.78482653991729133580e+00, 2.96560571828504891230e-01,
		2.65321895265761230930e-02, 1.24266094738807843860e-03,
		2.71155556874348757815e-05, 2.01033439929228813265e-07};
	static const double f[8] = {
		1.0, 5.99832206555887937690e-01,
		1.36929880922735805310e-01, 1.48753612908506148525e-02,
		7.86869131145613259100e-04, 1.84631831751005468180e-05,
		1.42151175831644588870e-07, 2.04426310338993978564e-15};
	double		q,
				r,
				val;

	if (isnan(p) || p < 0.0 || p > 1.0)
		return NAN;
	if (p == 0.0)
		return -INFINITY;
	if (p == 1.0)
		return INFINITY;

	q = p - 0.5;
	if (fabs(q) <= 0.425)
	{
		r = 0.180625 - q * q;
		return q * Poly7(a, r) / Poly7(b, r);
	}
	/* tail: r = sqrt(-log(min(p, 1 - p))); 1 - p is exact for p >= 0.5 */
	r = (q < 0.0) ? p : 1.0 - p;
	r = sqrt(-log(r));
	if (r <= 5.0)
	{
		r -= 1.6;
		val = Poly7(c, r) / Poly7(d, r);
	}
	else
	{
		r -= 5.0;
		val = Poly7(e, r) / Poly7(f, r);
	}
	return (q < 0.0) ? -val : val;
}

/* ---------------------------------------------------------------------
 * Beta function and incomplete beta
 * --------------------------------------------------------------------- */

/*
 * lgamma(x) - Stirling's approximation, for x >= 10: the asymptotic
 * series sum B_2k / (2k (2k-1) x^(2k-1)); eight terms give full double
 * precision at x = 10.
 */
static double
LgammaCorrection(double x)
{
	double		x2 = 1.0 / (x * x);

	return (1.0 / 12.0 +
			x2 * (-1.0 / 360.0 +
				  x2 * (1.0 / 1260.0 +
						x2 * (-1.0 / 1680.0 +
							  x2 * (1.0 / 1188.0 +
									x2 * (-691.0 / 360360.0 +
										  x2 * (1.0 / 156.0 +
												x2 * (-3617.0 / 122400.0)))))))) / x;
}

double
stats_lbeta(double a, double b)
{
	double		p = Min(a, b),
				q = Max(a, b);

	if (isnan(a) || isnan(b) || p <= 0.0)
		return NAN;
	if (isinf(q))
		return -INFINITY;
	if (p >= 10.0)
	{
		/* both large: Stirling for all three gammas, no cancellation */
		double		corr = LgammaCorrection(p) + LgammaCorrection(q) - LgammaCorrection(p + q);

		return -0.5 * log(q) + LN_SQRT_2PI + corr +
			(p - 0.5) * log(p / (p + q)) + q * log1p(-p / (p + q));
	}
	if (q >= 10.0)
	{
		/* one large: lgamma(q) - lgamma(p + q) by Stirling */
		double		corr = LgammaCorrection(q) - LgammaCorrection(p + q);

		return lgamma(p) + corr + p - p * log(p + q) + (q - 0.5) * log1p(-p / (p + q));
	}
	return lgamma(p) + lgamma(q) - lgamma(p + q);
}

/*
 * Continued fraction for I_x(a,b) (NR 6.4), modified Lentz.  Converges
 * quickly for x < (a + 1) / (a + b + 2), in O(sqrt(max(a, b))) steps.
 */
static double
BetaContinuedFraction(double a, double b, double x)
{
	const double tiny = 1e-300;
	const int	max_iter = 1000000;
	double		qab = a + b,
				qap = a + 1.0,
				qam = a - 1.0;
	double		c = 1.0,
				d,
				h;

	d = 1.0 - qab * x / qap;
	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	h = d;
	for (int m = 1; m <= max_iter; m++)
	{
		double		m2 = 2.0 * m;
		double		aa,
					del;

		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		h *= d * c;

		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-16)
			break;
	}
	return h;
}

/*
 * I_x(a,b) given x, y = 1 - x and their logarithms (which stay finite
 * when x or y underflows).
 */
static double
BetaIncLog(double a, double b, double x, double y, double logx, double logy)
{
	double		front;

	if (logx == -INFINITY)
		return 0.0;
	if (logy == -INFINITY)
		return 1.0;
	front = a * logx + b * logy - stats_lbeta(a, b);
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(front) * BetaContinuedFraction(a, b, x) / a;
	return 1.0 - exp(front) * BetaContinuedFraction(b, a, y) / b;
}

double
stats_beta_inc(double a, double b, double x, double y)
{
	if (isnan(a) || isnan(b) || isnan(x) || isnan(y) || a <= 0.0 || b <= 0.0 ||
		x < 0.0 || y < 0.0 || x > 1.0 || y > 1.0)
		return NAN;
	return BetaIncLog(a, b, x, y,
					  (x > 0.5) ? log1p(-y) : log(x),
					  (y > 0.5) ? log1p(-x) : log(y));
}

/* ---------------------------------------------------------------------
 * Student t
 * --------------------------------------------------------------------- */

/* from this many degrees of freedom on, Hill's expansion is used */
#define T_HILL_DF	2.0e4

/*
 * x = df / (df + t^2), y = t^2 / (df + t^2) and their logarithms, computed
 * without overflowing t^2.
 */
static void
TBetaArgs(double t, double df, double *x, double *y, double *logx, double *logy)
{
	double		at = fabs(t),
				sdf = sqrt(df);

	if (at <= sdf)
	{
		double		v = at / sdf;

		v *= v;
		*x = 1.0 / (1.0 + v);
		*y = v / (1.0 + v);
		*logx = -log1p(v);
		*logy = log(v) - log1p(v);
	}
	else
	{
		double		u = sdf / at;

		*logx = 2.0 * log(u) - log1p(u * u);
		*logy = -log1p(u * u);
		u *= u;
		*x = u / (1.0 + u);
		*y = 1.0 / (1.0 + u);
	}
}

double
stats_t_two_sided_p(double t, double df)
{
	double		x,
				y,
				logx,
				logy;

	if (isnan(t) || isnan(df) || df <= 0.0)
		return NAN;
	if (isinf(t))
		return 0.0;
	if (isinf(df))
		return 2.0 * stats_normal_cdf(-fabs(t));
	TBetaArgs(t, df, &x, &y, &logx, &logy);
	if (df >= T_HILL_DF)
	{
		/*
		 * Hill (1970), ACM Algorithm 395: a normalizing transformation with
		 * an asymptotic correction.  Its error falls like df^-6 (below 1e-14
		 * relative from df = 2e4 on, even in the far tails), while the
		 * continued fraction below slowly loses digits to rounding as df
		 * grows.
		 */
		double		a = df - 0.5,
					b = 48.0 * a * a,
					w,
					z;

		/* w = a log(1 + t^2/df) = -a log(x) */
		w = -a * logx;
		if (isinf(w))
			return 0.0;
		z = (((((-0.4 * w - 3.3) * w - 24.0) * w - 85.5) /
			  (0.8 * w * w + 100.0 + b) + w + 3.0) / b + 1.0) * sqrt(w);
		return erfc(z / M_SQRT2);
	}
	return BetaIncLog(0.5 * df, 0.5, x, y, logx, logy);
}

double
stats_t_cdf(double t, double df)
{
	double		tail;

	if (isnan(t) || isnan(df) || df <= 0.0)
		return NAN;
	if (isinf(df))
		return stats_normal_cdf(t);
	if (isinf(t))
		return t > 0 ? 1.0 : 0.0;
	tail = 0.5 * stats_t_two_sided_p(t, df);
	return (t > 0.0) ? 1.0 - tail : tail;
}

/* log of the t density */
static double
TLogPdf(double t, double df)
{
	double		at = fabs(t),
				l;

	/* log1p(t^2/df) without overflow */
	if (at <= sqrt(df))
		l = log1p(t * t / df);
	else
		l = 2.0 * (log(at) - 0.5 * log(df)) + log1p(df / (t * t));
	return -stats_lbeta(0.5 * df, 0.5) - 0.5 * log(df) - 0.5 * (df + 1.0) * l;
}

/*
 * Upper quantile: the t > 0 with P(T > t) = tail, 0 < tail < 0.5.
 * Newton's method on log P(T > t) as a function of log t (nearly linear in
 * the heavy tails), safeguarded by bisection inside a bracket.
 */
static double
TUpperQuantile(double tail, double df)
{
	double		z = -stats_normal_quantile(tail);
	double		lo = 0.0,
				hi,
				t,
				logtail = log(tail);

	if (df == 1.0)
		return 1.0 / tan(M_PI * tail);
	if (df == 2.0)
		return (1.0 - 2.0 * tail) / sqrt(2.0 * tail * (1.0 - tail));

	/* Cornish-Fisher start */
	t = z + (z * z * z + z) / (4.0 * df) +
		(5.0 * pow(z, 5) + 16.0 * pow(z, 3) + 3.0 * z) / (96.0 * df * df);
	if (!(t > 0.0) || isinf(t))
		t = 1.0;

	/* bracket the root: S(lo) >= tail > S(hi) */
	hi = t;
	while (0.5 * stats_t_two_sided_p(hi, df) >= tail)
	{
		lo = hi;
		hi *= 2.0;
		if (isinf(hi))
			return INFINITY;
	}

	for (int iter = 0; iter < 200; iter++)
	{
		double		s = 0.5 * stats_t_two_sided_p(t, df);
		double		f,
					slope,
					tn;

		if (s >= tail)
			lo = Max(lo, t);
		else
			hi = Min(hi, t);

		if (s > 0.0)
		{
			/* d log S / d log t = -pdf(t) t / S */
			f = log(s) - logtail;
			slope = -exp(TLogPdf(t, df) + log(t) - log(s));
			tn = t * exp(-f / slope);
		}
		else
			tn = NAN;
		if (!(tn > lo && tn < hi))
			tn = (lo > 0.0) ? sqrt(lo * hi) : 0.5 * hi;
		if (fabs(tn - t) <= 4.0 * DBL_EPSILON * tn)
			return tn;
		t = tn;
		if (hi - lo <= 4.0 * DBL_EPSILON * hi)
			break;
	}
	return t;
}

double
stats_t_quantile(double p, double df)
{
	if (isnan(p) || isnan(df) || df <= 0.0 || p < 0.0 || p > 1.0)
		return NAN;
	if (p == 0.0)
		return -INFINITY;
	if (p == 1.0)
		return INFINITY;
	if (p == 0.5)
		return 0.0;
	if (isinf(df))
		return stats_normal_quantile(p);
	if (p < 0.5)
		return -TUpperQuantile(p, df);
	return TUpperQuantile(1.0 - p, df);
}

/* ---------------------------------------------------------------------
 * Random numbers
 * --------------------------------------------------------------------- */


double
stats_rng_normal(NfRng *rng)
{
	/* Box-Muller, one value per call */
	double		u1 = nf_rng_open01(rng);
	double		u2 = nf_rng_open01(rng);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double
stats_rng_log_gamma(NfRng *rng, double shape)
{
	double		boost = 0.0,
				d,
				c;

	/* shape < 1: Gamma(a) = Gamma(a + 1) * U^(1/a), kept in logs */
	if (shape < 1.0)
	{
		boost = log(nf_rng_open01(rng)) / shape;
		shape += 1.0;
	}
	d = shape - 1.0 / 3.0;
	c = 1.0 / sqrt(9.0 * d);
	for (;;)
	{
		double		x,
					v,
					u;

		do
		{
			x = stats_rng_normal(rng);
			v = 1.0 + c * x;
		} while (v <= 0.0);
		v = v * v * v;
		u = nf_rng_open01(rng);
		if (u < 1.0 - 0.0331 * (x * x) * (x * x) ||
			log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
			return log(d) + log(v) + boost;
	}
}

int
stats_thompson_pick(NfRng *rng, int narms, const double *alpha, const double *beta)
{
	int			best = 0;
	double		best_logit = -INFINITY;

	for (int i = 0; i < narms; i++)
	{
		/* theta = X / (X + Y): logit(theta) = log X - log Y */
		double		lx = stats_rng_log_gamma(rng, alpha[i]);
		double		ly = stats_rng_log_gamma(rng, beta[i]);
		double		logit = lx - ly;

		if (i == 0 || logit > best_logit)
		{
			best = i;
			best_logit = logit;
		}
	}
	return best;
}

/* ---------------------------------------------------------------------
 * Test statistics
 * --------------------------------------------------------------------- */

void
stats_moments_add(StatsMoments *m, double x)
{
	double		delta = x - m->mean;

	m->n += 1.0;
	m->mean += delta / m->n;
	m->m2 += delta * (x - m->mean);
}

void
stats_moments_combine(StatsMoments *a, const StatsMoments *b)
{
	double		n,
				delta;

	if (b->n == 0.0)
		return;
	if (a->n == 0.0)
	{
		*a = *b;
		return;
	}
	/* Chan, Golub & LeVeque */
	n = a->n + b->n;
	delta = b->mean - a->mean;
	a->m2 += b->m2 + delta * delta * a->n * b->n / n;
	a->mean += delta * b->n / n;
	a->n = n;
}

void
stats_welch(const StatsMoments *control, const StatsMoments *treatment,
			double confidence, StatsWelch *out)
{
	double		vc = control->m2 / (control->n - 1.0);
	double		vt = treatment->m2 / (treatment->n - 1.0);
	double		sc = vc / control->n;
	double		st = vt / treatment->n;

	out->diff = treatment->mean - control->mean;
	out->var_control = vc;
	out->var_treatment = vt;
	out->se = sqrt(sc + st);
	if (out->se > 0.0)
	{
		double		tq;

		out->t = out->diff / out->se;
		out->df = (sc + st) * (sc + st) /
			(sc * sc / (control->n - 1.0) + st * st / (treatment->n - 1.0));
		out->p_value = stats_t_two_sided_p(out->t, out->df);
		tq = stats_t_quantile(0.5 + 0.5 * confidence, out->df);
		out->ci_low = out->diff - tq * out->se;
		out->ci_high = out->diff + tq * out->se;
	}
	else
	{
		/* no spread at all: the difference is what it is */
		out->t = out->df = out->p_value = NAN;
		out->ci_low = out->ci_high = out->diff;
	}
}

void
stats_two_prop(double sa, double na, double sb, double nb,
			   double confidence, StatsTwoProp *out)
{
	double		pooled = (sa + sb) / (na + nb);
	double		se_pooled = sqrt(pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb));
	double		se,
				zq;

	out->rate_a = sa / na;
	out->rate_b = sb / nb;
	out->diff = out->rate_b - out->rate_a;
	out->lift = (out->rate_a > 0.0) ? out->diff / out->rate_a : NAN;
	if (se_pooled > 0.0)
	{
		out->z = out->diff / se_pooled;
		out->p_value = 2.0 * stats_normal_cdf(-fabs(out->z));
	}
	else
		out->z = out->p_value = NAN;

	se = sqrt(out->rate_a * (1.0 - out->rate_a) / na +
			  out->rate_b * (1.0 - out->rate_b) / nb);
	zq = stats_normal_quantile(0.5 + 0.5 * confidence);
	out->ci_low = out->diff - zq * se;
	out->ci_high = out->diff + zq * se;
}

double
stats_sample_size(double baseline, double mde, double alpha, double power)
{
	double		p1 = baseline,
				p2 = baseline + mde,
				pbar = 0.5 * (p1 + p2);
	double		za = stats_normal_quantile(1.0 - 0.5 * alpha);
	double		zb = stats_normal_quantile(power);
	double		s = za * sqrt(2.0 * pbar * (1.0 - pbar)) +
		zb * sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2));

	return s * s / (mde * mde);
}

static int
CmpDouble(const void *a, const void *b, void *arg)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

double
stats_auc(double *pos, int64 npos, double *neg, int64 nneg, double *tmp,
		  void (*check) (void))
{
	int64		lt = 0,
				le = 0;
	int64		twice_u = 0;

	if (npos == 0 || nneg == 0)
		return NAN;
	nf_merge_sort(pos, npos, sizeof(double), tmp, CmpDouble, NULL, check);
	nf_merge_sort(neg, nneg, sizeof(double), tmp, CmpDouble, NULL, check);
	/*
	 * For each positive score s: lt = #negatives below s, le = #negatives at
	 * or below s; the pair count is lt + (le - lt) / 2, doubled to stay
	 * integral.
	 */
	for (int64 i = 0; i < npos; i++)
	{
		double		s = pos[i];

		while (lt < nneg && neg[lt] < s)
			lt++;
		if (le < lt)
			le = lt;
		while (le < nneg && neg[le] <= s)
			le++;
		twice_u += lt + le;
	}
	return (double) twice_u / (2.0 * (double) npos * (double) nneg);
}

double
stats_auc_counts(const int64 *pos, const int64 *neg, int64 m)
{
	int64		npos = 0,
				nneg = 0,
				below = 0;
	int64		twice_u = 0;

	for (int64 i = 0; i < m; i++)
	{
		npos += pos[i];
		nneg += neg[i];
	}
	if (npos == 0 || nneg == 0)
		return NAN;
	/*
	 * Each positive at a score with below negatives under it and neg[i] at
	 * it adds below + (below + neg[i]) to 2U, as in stats_auc.
	 */
	for (int64 i = 0; i < m; i++)
	{
		twice_u += pos[i] * (2 * below + neg[i]);
		below += neg[i];
	}
	return (double) twice_u / (2.0 * (double) npos * (double) nneg);
}
