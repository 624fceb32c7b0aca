/*
 * stats_sql.c -- SQL glue of the experiment statistics: normal and Student t
 * distribution functions, ab_test, sample_size, thompson_pick, and the
 * welch_ttest and auc aggregates.  The numbers are computed in
 * stats.c; this file checks arguments and builds the results.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "pgutil.h"
#include "stats.h"
#include "stats_state.h"

/* ---------------------------------------------------------------------
 * Distribution functions
 * --------------------------------------------------------------------- */

/*
 * A float8 for a message: the shortest decimal that reads back to the same
 * value, as float8out prints it ("1.0000001", not %g's "1").
 */
static inline const char *
F8(double v)
{
	return float8out_internal(v);
}

/* NaN passes: the functions return NaN for it, as normal_cdf does. */
static void
CheckProbability(double p)
{
	if (p < 0.0 || p > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("probability %s is out of range", F8(p)),
				 errdetail("A probability must be between 0 and 1, inclusive.")));
}

static void
CheckDegreesOfFreedom(double df)
{
	if (isnan(df) || df <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("degrees of freedom must be positive"),
				 errdetail("df is %s.", F8(df))));
}

PG_FUNCTION_INFO_V1(normal_cdf);
Datum
normal_cdf(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(stats_normal_cdf(PG_GETARG_FLOAT8(0)));
}

PG_FUNCTION_INFO_V1(normal_quantile);
Datum
normal_quantile(PG_FUNCTION_ARGS)
{
	double		p = PG_GETARG_FLOAT8(0);

	CheckProbability(p);
	PG_RETURN_FLOAT8(stats_normal_quantile(p));
}

PG_FUNCTION_INFO_V1(t_cdf);
Datum
t_cdf(PG_FUNCTION_ARGS)
{
	double		t = PG_GETARG_FLOAT8(0);
	double		df = PG_GETARG_FLOAT8(1);

	CheckDegreesOfFreedom(df);
	PG_RETURN_FLOAT8(stats_t_cdf(t, df));
}

PG_FUNCTION_INFO_V1(t_quantile);
Datum
t_quantile(PG_FUNCTION_ARGS)
{
	double		p = PG_GETARG_FLOAT8(0);
	double		df = PG_GETARG_FLOAT8(1);

	CheckProbability(p);
	CheckDegreesOfFreedom(df);
	PG_RETURN_FLOAT8(stats_t_quantile(p, df));
}

/* ---------------------------------------------------------------------
 * ab_test, sample_size
 * --------------------------------------------------------------------- */

static void
CheckConfidence(double c, const char *name)
{
	if (isnan(c) || c <= 0.0 || c >= 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 0 and 1", name),
				 errdetail("%s is %s; 0 and 1 themselves are not allowed.", name, F8(c))));
}

static void
CheckArm(int64 s, int64 n, const char *sname, const char *nname)
{
	if (n <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive", nname),
				 errdetail("%s is " INT64_FORMAT ".", nname, n)));
	if (s < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", sname),
				 errdetail("%s is " INT64_FORMAT ".", sname, s)));
	if (s > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s exceeds %s", sname, nname),
				 errdetail("%s is " INT64_FORMAT " and %s is " INT64_FORMAT ".",
						   sname, s, nname, n)));
}

static inline void
SetFloat(Datum *values, bool *nulls, int i, double v)
{
	if (isnan(v))
		nulls[i] = true;
	else
		values[i] = Float8GetDatum(v);
}

PG_FUNCTION_INFO_V1(ab_test);
Datum
ab_test(PG_FUNCTION_ARGS)
{
	int64		sa = PG_GETARG_INT64(0),
				na = PG_GETARG_INT64(1),
				sb = PG_GETARG_INT64(2),
				nb = PG_GETARG_INT64(3);
	double		conf = PG_GETARG_FLOAT8(4);
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {0};
	StatsTwoProp r;

	CheckArm(sa, na, "successes_a", "n_a");
	CheckArm(sb, nb, "successes_b", "n_b");
	CheckConfidence(conf, "confidence");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	stats_two_prop((double) sa, (double) na, (double) sb, (double) nb, conf, &r);
	SetFloat(values, nulls, 0, r.rate_a);
	SetFloat(values, nulls, 1, r.rate_b);
	SetFloat(values, nulls, 2, r.diff);
	SetFloat(values, nulls, 3, r.lift);
	SetFloat(values, nulls, 4, r.z);
	SetFloat(values, nulls, 5, r.p_value);
	SetFloat(values, nulls, 6, r.ci_low);
	SetFloat(values, nulls, 7, r.ci_high);
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(sample_size);
Datum
sample_size(PG_FUNCTION_ARGS)
{
	double		baseline = PG_GETARG_FLOAT8(0);
	double		mde = PG_GETARG_FLOAT8(1);
	double		alpha = PG_GETARG_FLOAT8(2);
	double		power = PG_GETARG_FLOAT8(3);
	double		n;

	if (isnan(baseline) || baseline <= 0.0 || baseline >= 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("baseline must be a rate between 0 and 1"),
				 errdetail("baseline is %s; 0 and 1 themselves are not allowed.", F8(baseline))));
	if (isnan(mde) || mde == 0.0 || !(baseline + mde > 0.0 && baseline + mde < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mde must be a nonzero difference that keeps baseline + mde between 0 and 1"),
				 errdetail("baseline is %s and mde is %s.", F8(baseline), F8(mde))));
	CheckConfidence(alpha, "alpha");
	if (isnan(power) || power < 0.5 || power >= 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("power must be at least 0.5 and below 1"),
				 errdetail("power is %s.", F8(power))));

	n = ceil(stats_sample_size(baseline, mde, alpha, power));
	if (!(n < 9.2233720368547758e18))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("sample size is out of range for type bigint"),
				 errdetail("mde %s is too small to detect.", F8(mde))));
	PG_RETURN_INT64((int64) n);
}

/* ---------------------------------------------------------------------
 * thompson_pick
 * --------------------------------------------------------------------- */

static int
CountArray(ArrayType *a, const char *what, const int64 **data)
{
	void	   *p;
	int			n = nf_vector_array(a, INT8OID, what, &p);

	for (int i = 0; i < n; i++)
		if (((const int64 *) p)[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be negative", what),
					 errdetail("Element %d is " INT64_FORMAT ".", i + 1, ((const int64 *) p)[i])));
	*data = (const int64 *) p;
	return n;
}

static void
PriorArray(FunctionCallInfo fcinfo, int argno, const char *what, int narms, double *out)
{
	ArrayType  *a;
	void	   *p;
	int			n;

	if (PG_ARGISNULL(argno))
	{
		for (int i = 0; i < narms; i++)
			out[i] = 1.0;
		return;
	}
	a = PG_GETARG_ARRAYTYPE_P(argno);
	n = nf_vector_array(a, FLOAT8OID, what, &p);
	if (n != narms)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s has %d elements but there are %d arms", what, n, narms)));
	for (int i = 0; i < n; i++)
	{
		double		v = ((const double *) p)[i];

		if (!(v > 0.0) || isinf(v))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must contain positive finite numbers", what),
					 errdetail("Element %d is %s.", i + 1, F8(v))));
		out[i] = v;
	}
}

PG_FUNCTION_INFO_V1(thompson_pick);
Datum
thompson_pick(PG_FUNCTION_ARGS)
{
	const int64 *succ,
			   *fail;
	int			ns,
				nf;
	double	   *alpha,
			   *beta;
	uint64		seed;
	NfRng	rng;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	ns = CountArray(PG_GETARG_ARRAYTYPE_P(0), "successes", &succ);
	nf = CountArray(PG_GETARG_ARRAYTYPE_P(1), "failures", &fail);
	if (ns != nf)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("successes has %d elements but failures has %d", ns, nf),
				 errdetail("Both arrays need one element per arm.")));
	alpha = palloc(sizeof(double) * ns);
	beta = palloc(sizeof(double) * ns);
	PriorArray(fcinfo, 2, "prior_alpha", ns, alpha);
	PriorArray(fcinfo, 3, "prior_beta", ns, beta);
	for (int i = 0; i < ns; i++)
	{
		alpha[i] += (double) succ[i];
		beta[i] += (double) fail[i];
	}

	if (!PG_ARGISNULL(4))
		seed = (uint64) PG_GETARG_INT64(4);
	else if (!pg_strong_random(&seed, sizeof(seed)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random seed")));
	nf_rng_seed(&rng, seed);
	PG_RETURN_INT32(stats_thompson_pick(&rng, ns, alpha, beta) + 1);
}

/* ---------------------------------------------------------------------
 * welch_ttest aggregate
 *
 * State: float8[7] = {n_c, mean_c, m2_c, n_t, mean_t, m2_t, confidence}
 * (confidence NaN until a row sets it).  A plain float8[] state needs no
 * serialization for parallel aggregation (and Citus can ship it), but it
 * also means anyone can call the state functions with an array of their
 * own: every state that comes in is checked to be one these functions can
 * produce (WelchState), and every state that goes out to be finite.
 * --------------------------------------------------------------------- */

#define WELCH_STATE_LEN 7
/* counts are whole numbers a double holds exactly */
#define WELCH_MAX_COUNT 9007199254740992.0	/* 2^53 */

static void pg_attribute_noreturn()
WelchBadState(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid welch_ttest state"),
			 errdetail_internal("%s", detail),
			 errhint("The state functions of welch_ttest only accept states that they returned themselves.")));
}

/*
 * The state array, checked: {count, mean, sum of squared deviations} per
 * group with count a whole number in [0, 2^53], mean and sum finite, the
 * sum not negative, count 0 only with mean 0 and sum 0 (the initial
 * state), count 1 only with sum 0 (one value has no spread), and a
 * confidence that is NaN (not set) or strictly between 0 and 1.
 */
static double *
WelchCheckState(ArrayType *a)
{
	double	   *s;

	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != WELCH_STATE_LEN ||
		ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		WelchBadState(psprintf("A welch_ttest state is a one-dimensional float8 array of %d elements without NULLs.",
							   WELCH_STATE_LEN));
	s = (double *) ARR_DATA_PTR(a);
	for (int off = 0; off <= 3; off += 3)
	{
		const char *group = off == 0 ? "control" : "treatment";
		double		n = s[off],
					mean = s[off + 1],
					m2 = s[off + 2];

		if (!(n >= 0.0 && n <= WELCH_MAX_COUNT) || n != floor(n))
			WelchBadState(psprintf("Element %d, the count of the %s group, is %s; it must be a whole number between 0 and 2^53.",
								   off + 1, group, F8(n)));
		if (!isfinite(mean))
			WelchBadState(psprintf("Element %d, the mean of the %s group, is %s; it must be finite.",
								   off + 2, group, F8(mean)));
		if (!(m2 >= 0.0) || isinf(m2))
			WelchBadState(psprintf("Element %d, the sum of squared deviations of the %s group, is %s; it must be finite and not negative.",
								   off + 3, group, F8(m2)));
		if (n == 0.0 && (mean != 0.0 || m2 != 0.0))
			WelchBadState(psprintf("The %s group has no values but a mean of %s and a sum of squared deviations of %s; both must be 0.",
								   group, F8(mean), F8(m2)));
		if (n == 1.0 && m2 != 0.0)
			WelchBadState(psprintf("The %s group has one value but a sum of squared deviations of %s; it must be 0.",
								   group, F8(m2)));
	}
	if (!isnan(s[6]) && !(s[6] > 0.0 && s[6] < 1.0))
		WelchBadState(psprintf("Element 7, the confidence, is %s; it must be NaN (not set yet) or between 0 and 1.",
							   F8(s[6])));
	return s;
}

/*
 * The state argument, checked.  With copy, a copy that may be modified
 * (in an aggregate the array is ours and is modified in place).
 */
static ArrayType *
WelchState(FunctionCallInfo fcinfo, int argno, bool copy, double **s)
{
	ArrayType  *a;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("welch_ttest state must not be null")));
	if (copy && !AggCheckCallContext(fcinfo, NULL))
		a = PG_GETARG_ARRAYTYPE_P_COPY(argno);
	else
		a = PG_GETARG_ARRAYTYPE_P(argno);
	*s = WelchCheckState(a);
	return a;
}

/* A state about to be returned: huge values can overflow the sums. */
static void
WelchCheckFinite(const double *s)
{
	for (int i = 0; i < 6; i++)
		if (!isfinite(s[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow"),
					 errdetail("The %s of the welch_ttest values exceeds the range of type double precision.",
							   i % 3 == 1 ? "mean" : "sum of squared deviations")));
}

static void
WelchSetConfidence(double *s, double conf)
{
	if (isnan(s[6]))
		s[6] = conf;
	else if (s[6] != conf)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence of welch_ttest must be the same in every row")));
}

PG_FUNCTION_INFO_V1(welch_ttest_accum);
Datum
welch_ttest_accum(PG_FUNCTION_ARGS)
{
	double	   *s;
	ArrayType  *a = WelchState(fcinfo, 0, true, &s);
	double		x;
	StatsMoments m;
	int			off;

	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
	{
		double		conf = PG_GETARG_FLOAT8(3);

		CheckConfidence(conf, "confidence");
		WelchSetConfidence(s, conf);
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(a);
	x = PG_GETARG_FLOAT8(1);
	if (!isfinite(x))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("welch_ttest value must not be NaN or infinite")));

	off = PG_GETARG_BOOL(2) ? 3 : 0;
	if (s[off] >= WELCH_MAX_COUNT)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("welch_ttest cannot count more than 2^53 values per group")));
	m.n = s[off];
	m.mean = s[off + 1];
	m.m2 = s[off + 2];
	stats_moments_add(&m, x);
	s[off] = m.n;
	s[off + 1] = m.mean;
	s[off + 2] = m.m2;
	WelchCheckFinite(s);
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(welch_ttest_combine);
Datum
welch_ttest_combine(PG_FUNCTION_ARGS)
{
	double	   *s,
			   *t;
	ArrayType  *a = WelchState(fcinfo, 0, true, &s);

	(void) WelchState(fcinfo, 1, false, &t);

	for (int off = 0; off <= 3; off += 3)
	{
		StatsMoments ma = {s[off], s[off + 1], s[off + 2]};
		StatsMoments mb = {t[off], t[off + 1], t[off + 2]};

		if (ma.n + mb.n > WELCH_MAX_COUNT)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("welch_ttest cannot count more than 2^53 values per group")));
		stats_moments_combine(&ma, &mb);
		s[off] = ma.n;
		s[off + 1] = ma.mean;
		s[off + 2] = ma.m2;
	}
	if (!isnan(t[6]))
		WelchSetConfidence(s, t[6]);
	WelchCheckFinite(s);
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(welch_ttest_final);
Datum
welch_ttest_final(PG_FUNCTION_ARGS)
{
	double	   *s;
	StatsMoments c,
				t;
	double		conf;
	StatsJson	j;

	(void) WelchState(fcinfo, 0, false, &s);
	c = (StatsMoments) {s[0], s[1], s[2]};
	t = (StatsMoments) {s[3], s[4], s[5]};
	conf = isnan(s[6]) ? 0.95 : s[6];

	if (c.n == 0 && t.n == 0)
		PG_RETURN_NULL();

	stats_json_begin(&j);
	stats_json_int(&j, "n_control", (int64) c.n);
	stats_json_int(&j, "n_treatment", (int64) t.n);
	stats_json_float(&j, "mean_control", c.n > 0 ? c.mean : NAN);
	stats_json_float(&j, "mean_treatment", t.n > 0 ? t.mean : NAN);
	stats_json_float(&j, "var_control", c.n > 1 ? c.m2 / (c.n - 1) : NAN);
	stats_json_float(&j, "var_treatment", t.n > 1 ? t.m2 / (t.n - 1) : NAN);
	stats_json_float(&j, "diff", (c.n > 0 && t.n > 0) ? t.mean - c.mean : NAN);
	if (c.n > 1 && t.n > 1)
	{
		StatsWelch w;

		stats_welch(&c, &t, conf, &w);
		stats_json_float(&j, "se", w.se);
		stats_json_float(&j, "t", w.t);
		stats_json_float(&j, "df", w.df);
		stats_json_float(&j, "p_value", w.p_value);
		stats_json_float(&j, "ci_low", w.ci_low);
		stats_json_float(&j, "ci_high", w.ci_high);
	}
	else
	{
		/* a group with fewer than two values has no variance */
		stats_json_null(&j, "se");
		stats_json_null(&j, "t");
		stats_json_null(&j, "df");
		stats_json_null(&j, "p_value");
		stats_json_null(&j, "ci_low");
		stats_json_null(&j, "ci_high");
	}
	stats_json_float(&j, "confidence", conf);
	PG_RETURN_JSONB_P(stats_json_end(&j));
}

/* ---------------------------------------------------------------------
 * auc aggregate
 *
 * Keeps the scores of positive and negative rows (one float8 each) and
 * counts the Mann-Whitney pairs in the final function after sorting.
 * --------------------------------------------------------------------- */

typedef struct AucState
{
	StatsRows	pos;
	StatsRows	neg;
} AucState;

static AucState *
AucStateNew(MemoryContext cxt)
{
	AucState   *st = MemoryContextAllocZero(cxt, sizeof(AucState));

	stats_rows_init(&st->pos, cxt, false);
	stats_rows_init(&st->neg, cxt, false);
	return st;
}

PG_FUNCTION_INFO_V1(auc_accum);
Datum
auc_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AucState   *st;
	double		score;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "auc_accum called in non-aggregate context");
	st = PG_ARGISNULL(0) ? AucStateNew(aggcxt) : (AucState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	score = PG_GETARG_FLOAT8(1);
	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("auc score must not be NaN")));
	stats_rows_append(PG_GETARG_BOOL(2) ? &st->pos : &st->neg, &score, 1, 0, "score");
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(auc_combine);
Datum
auc_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AucState   *a,
			   *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "auc_combine called in non-aggregate context");
	a = PG_ARGISNULL(0) ? NULL : (AucState *) PG_GETARG_POINTER(0);
	b = PG_ARGISNULL(1) ? NULL : (AucState *) PG_GETARG_POINTER(1);
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = AucStateNew(aggcxt);
	stats_rows_append_rows(&a->pos, &b->pos, "score");
	stats_rows_append_rows(&a->neg, &b->neg, "score");
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(auc_serial);
Datum
auc_serial(PG_FUNCTION_ARGS)
{
	AucState   *st = (AucState *) PG_GETARG_POINTER(0);
	Size		size = stats_rows_serial_size(&st->pos) + stats_rows_serial_size(&st->neg);
	bytea	   *b = stats_alloc_serial(size, "auc");
	char	   *p = VARDATA(b);

	p = stats_rows_write(&st->pos, p);
	p = stats_rows_write(&st->neg, p);
	Assert(p == (char *) b + VARSIZE(b));
	PG_RETURN_BYTEA_P(b);
}

PG_FUNCTION_INFO_V1(auc_deserial);
Datum
auc_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(b);
	const char *end = p + VARSIZE_ANY_EXHDR(b);
	AucState   *st = AucStateNew(CurrentMemoryContext);

	p = stats_rows_read(&st->pos, p, end);
	p = stats_rows_read(&st->neg, p, end);
	if (p != end || (st->pos.n > 0 && st->pos.dim != 1) || (st->neg.n > 0 && st->neg.dim != 1))
		elog(ERROR, "serialized auc state is corrupt");
	PG_RETURN_POINTER(st);
}

/*
 * Sorts the stored scores in place; the state still holds the same scores,
 * so the aggregate is declared FINALFUNC_MODIFY = READ_ONLY.
 */
PG_FUNCTION_INFO_V1(auc_final);
Datum
auc_final(PG_FUNCTION_ARGS)
{
	AucState   *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (AucState *) PG_GETARG_POINTER(0);
	if (st->pos.n == 0 || st->neg.n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(stats_auc(st->pos.x, st->pos.n, st->neg.x, st->neg.n,
							   MemoryContextAllocHuge(CurrentMemoryContext,
													  sizeof(double) * Max(st->pos.n, st->neg.n)),
							   stats_check_interrupts));
}
