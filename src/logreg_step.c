/*
 * logreg_step.c -- glue: nfrec.logreg_step, one Newton (IRLS) iteration of
 * logistic regression as an aggregate that splits.
 *
 * logreg_train keeps every row: each Newton iteration needs the gradient
 * and the information matrix at the current coefficients, and a step that
 * lowers the likelihood is halved (another pass).  For coefficients given
 * in the query those are sums over the rows, so logreg_step(label,
 * features, coef) keeps only them (nfrec.logreg_state): the row count,
 * positives, the log-likelihood at coef, the gradient Z'(y - mu) and the
 * upper triangle of Z'WZ, which add up across shards.  The final function
 * returns them with the next Newton iterate coef + (Z'WZ)^-1 Z'(y - mu)
 * (no penalty, no step halving: the driver decides), solved by logreg.c
 * as logreg_train solves its steps.
 *
 * Text form "p;n;n_positive;log_likelihood;coef;gradient;information"
 * with vectors comma-separated in shortest exact decimals and the
 * information as its upper triangle column by column (p(p+1)/2 values).
 * Binary form: int32 p, int64 n, int64 n_positive, float8 log-likelihood,
 * p coef, p gradient, p(p+1)/2 information, all network byte order.
 *
 * The split fit (nfrec._logreg_fit, the churn model's fit on Citus) runs
 * logreg_train's Newton iterations with one such aggregate per trial
 * point: nfrec._logreg_sums is logreg_step returning the combined state
 * itself, and the functions at the end of this file do with it what
 * logreg_fit does with its sums (penalty, step, step halving's test,
 * covariance, the result's jsonb).
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "aggstate.h"
#include "logreg.h"
#include "pgutil.h"
#include "logreg_sql.h"
#include "stats_state.h"

/* coefficients a state may have (features + 1) */
#define STEP_MAX_P	1000

typedef struct LogregStep
{
	int32		p;				/* 0: no row yet */
	int64		n;
	int64		npos;
	double		ll;
	double	   *coef;			/* p */
	double	   *g;				/* p */
	double	   *h;				/* p x p column-major, upper triangle used */
	MemoryContext cxt;
} LogregStep;

static void *
StepCreate(MemoryContext cxt)
{
	LogregStep *st = MemoryContextAllocZero(cxt, sizeof(LogregStep));

	st->cxt = cxt;
	return st;
}

static void
StepSetup(LogregStep *st, int p, const double *coef)
{
	st->p = p;
	st->coef = MemoryContextAlloc(st->cxt, sizeof(double) * p);
	st->g = MemoryContextAllocZero(st->cxt, sizeof(double) * p);
	st->h = MemoryContextAllocZero(st->cxt, sizeof(double) * p * p);
	memcpy(st->coef, coef, sizeof(double) * p);
}

static bytea *
StepFlatten(const void *ptr)
{
	const LogregStep *st = ptr;
	int			p = st->p;
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, p);
	pq_sendint64(&buf, st->n);
	pq_sendint64(&buf, st->npos);
	pq_sendfloat8(&buf, st->ll);
	for (int j = 0; j < p; j++)
		pq_sendfloat8(&buf, st->coef[j]);
	for (int j = 0; j < p; j++)
		pq_sendfloat8(&buf, st->g[j]);
	for (int j = 0; j < p; j++)
		for (int i = 0; i <= j; i++)
			pq_sendfloat8(&buf, st->h[i + j * p]);
	return pq_endtypsend(&buf);
}

static void *StepRead(const char *data, int len, MemoryContext cxt);

static const NfStateType LogregStepType = {"logreg_state", StepCreate, StepFlatten, StepRead};

/* the numbers of a state are sane: counts, finite coef, no NaN */
static bool
StepValid(const LogregStep *st)
{
	int			p = st->p;

	if (st->n < 0 || st->npos < 0 || st->npos > st->n || isnan(st->ll) || st->ll > 0.0)
		return false;
	for (int j = 0; j < p; j++)
		if (!isfinite(st->coef[j]) || isnan(st->g[j]))
			return false;
	for (int j = 0; j < p; j++)
		for (int i = 0; i <= j; i++)
			if (isnan(st->h[i + j * p]))
				return false;
	return true;
}

static void *
StepRead(const char *data, int len, MemoryContext cxt)
{
	StringInfoData buf;
	LogregStep *st = StepCreate(cxt);
	int32		p;
	double	   *coef;

	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	if (len < 28)
		nf_state_bad_binary(&LogregStepType);
	p = pq_getmsgint(&buf, 4);
	if (p < 1 || p > STEP_MAX_P ||
		len != 28 + 8 * (2 * p + p * (p + 1) / 2))
		nf_state_bad_binary(&LogregStepType);
	st->n = pq_getmsgint64(&buf);
	st->npos = pq_getmsgint64(&buf);
	st->ll = pq_getmsgfloat8(&buf);
	coef = palloc(sizeof(double) * p);
	for (int j = 0; j < p; j++)
		coef[j] = pq_getmsgfloat8(&buf);
	StepSetup(st, p, coef);
	for (int j = 0; j < p; j++)
		st->g[j] = pq_getmsgfloat8(&buf);
	for (int j = 0; j < p; j++)
		for (int i = 0; i <= j; i++)
			st->h[i + j * p] = pq_getmsgfloat8(&buf);
	if (!StepValid(st))
		nf_state_bad_binary(&LogregStepType);
	return st;
}

static void pg_attribute_noreturn()
StepCoefDiffer(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("coef of logreg_step must be the same in every row")));
}

PG_FUNCTION_INFO_V1(logreg_step_accum);
Datum
logreg_step_accum(PG_FUNCTION_ARGS)
{
	NfStateEOH *e;
	LogregStep *st;
	const double *x,
			   *coef;
	int			nf,
				nc;
	bool		y;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		NF_STATE_RETURN(nf_state_arg(fcinfo, &LogregStepType));
	}
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("coef of logreg_step must not be null")));
	y = PG_GETARG_BOOL(1);
	nf = stats_float8_vector(PG_GETARG_ARRAYTYPE_P(2), "features", &x);
	e = nf_state_arg(fcinfo, &LogregStepType);
	st = e->st;
	if (st->p == 0)
	{
		nc = stats_float8_vector(PG_GETARG_ARRAYTYPE_P(3), "coef", &coef);
		if (nc > STEP_MAX_P)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("logreg_step supports at most %d coefficients", STEP_MAX_P)));
		StepSetup(st, nc, coef);
	}
	else
	{
		/* the same bytes as the first row's (so finite, no NULLs) */
		ArrayType  *a = PG_GETARG_ARRAYTYPE_P(3);

		if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_DIMS(a)[0] != st->p ||
			memcmp(ARR_DATA_PTR(a), st->coef, sizeof(double) * st->p) != 0)
			StepCoefDiffer();
	}
	if (nf + 1 != st->p)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("coef must have %d values, the intercept and one per feature, not %d", nf + 1, st->p),
				 errdetail("coef is the intercept followed by one coefficient per feature.")));
	logreg_accumulate_row(st->coef, x, nf, y, st->g, st->h, &st->ll);
	st->n++;
	if (y)
		st->npos++;
	NF_STATE_RETURN(e);
}

PG_FUNCTION_INFO_V1(logreg_step_combine);
Datum
logreg_step_combine(PG_FUNCTION_ARGS)
{
	NfStateEOH *e;
	LogregStep *a,
			   *b;
	int			p;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		NF_STATE_RETURN(nf_state_arg(fcinfo, &LogregStepType));
	}
	e = nf_state_arg(fcinfo, &LogregStepType);
	a = e->st;
	b = nf_state_of_datum(PG_GETARG_DATUM(1), &LogregStepType);
	if (b->p == 0)
		NF_STATE_RETURN(e);
	if (a->p == 0)
		StepSetup(a, b->p, b->coef);
	else if (a->p != b->p || memcmp(a->coef, b->coef, sizeof(double) * a->p) != 0)
		StepCoefDiffer();
	p = a->p;
	a->n += b->n;
	a->npos += b->npos;
	a->ll += b->ll;
	for (int j = 0; j < p; j++)
		a->g[j] += b->g[j];
	for (int j = 0; j < p; j++)
		for (int i = 0; i <= j; i++)
			a->h[i + j * p] += b->h[i + j * p];
	NF_STATE_RETURN(e);
}

PG_FUNCTION_INFO_V1(logreg_step_final);
Datum
logreg_step_final(PG_FUNCTION_ARGS)
{
	LogregStep *st;
	StatsJson	j;
	double	   *step,
			   *next;
	int			p,
				bad;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = nf_state_of_datum(PG_GETARG_DATUM(0), &LogregStepType);
	p = st->p;
	if (p == 0 || st->n == 0)
		PG_RETURN_NULL();
	step = palloc(sizeof(double) * p);
	next = palloc(sizeof(double) * p);
	bad = logreg_newton_step(st->h, st->g, p, step, palloc(sizeof(double) * (p * p + p)));
	stats_json_begin(&j);
	stats_json_int(&j, "n", st->n);
	stats_json_int(&j, "n_positive", st->npos);
	stats_json_float(&j, "log_likelihood", st->ll);
	stats_json_float_array(&j, "gradient", st->g, p);
	if (bad >= 0)
	{
		/* the driver decides (logreg_train would stop with an error) */
		stats_json_null(&j, "coef");
		stats_json_int(&j, "singular_column", bad);
	}
	else
	{
		for (int i = 0; i < p; i++)
			next[i] = st->coef[i] + step[i];
		stats_json_float_array(&j, "coef", next, p);
	}
	PG_RETURN_JSONB_P(stats_json_end(&j));
}

/* text form ----------------------------------------------------------- */

#define STEP_FORM "The text form is p;n;n_positive;log_likelihood;coef;gradient;information with p, p, and p(p+1)/2 comma-separated numbers."

PG_FUNCTION_INFO_V1(logreg_state_out);
Datum
logreg_state_out(PG_FUNCTION_ARGS)
{
	LogregStep *st = nf_state_of_datum(PG_GETARG_DATUM(0), &LogregStepType);
	int			p = st->p;
	double	   *tri = palloc(sizeof(double) * Max(p * (p + 1) / 2, 1));
	int			m = 0;
	StringInfoData s;

	for (int j = 0; j < p; j++)
		for (int i = 0; i <= j; i++)
			tri[m++] = st->h[i + j * p];
	initStringInfo(&s);
	appendStringInfo(&s, "%d;" INT64_FORMAT ";" INT64_FORMAT ";", p, st->n, st->npos);
	nf_state_append_float8s(&s, &st->ll, 1);
	appendStringInfoChar(&s, ';');
	nf_state_append_float8s(&s, st->coef, p);
	appendStringInfoChar(&s, ';');
	nf_state_append_float8s(&s, st->g, p);
	appendStringInfoChar(&s, ';');
	nf_state_append_float8s(&s, tri, m);
	PG_RETURN_CSTRING(s.data);
}

PG_FUNCTION_INFO_V1(logreg_state_in);
Datum
logreg_state_in(PG_FUNCTION_ARGS)
{
	NfStateText t = {&LogregStepType, PG_GETARG_CSTRING(0), STEP_FORM, NULL};
	LogregStep *st = StepCreate(CurrentMemoryContext);
	int64		p;
	double	   *coef,
			   *tri;
	int			m = 0;

	t.p = t.str;
	p = nf_state_parse_count(&t);
	if (p < 1 || p > STEP_MAX_P)
		nf_state_bad(&t);
	nf_state_expect(&t, ';');
	st->n = nf_state_parse_count(&t);
	nf_state_expect(&t, ';');
	st->npos = nf_state_parse_count(&t);
	nf_state_expect(&t, ';');
	st->ll = nf_state_parse_float8(&t);
	nf_state_expect(&t, ';');
	coef = palloc(sizeof(double) * p);
	nf_state_parse_float8s(&t, coef, p);
	StepSetup(st, p, coef);
	nf_state_expect(&t, ';');
	nf_state_parse_float8s(&t, st->g, p);
	nf_state_expect(&t, ';');
	tri = palloc(sizeof(double) * p * (p + 1) / 2);
	nf_state_parse_float8s(&t, tri, p * (p + 1) / 2);
	nf_state_expect_end(&t);
	for (int j = 0; j < p; j++)
		for (int i = 0; i <= j; i++)
			st->h[i + j * p] = tri[m++];
	if (!StepValid(st))
		nf_state_bad(&t);
	PG_RETURN_POINTER(StepFlatten(st));
}

PG_FUNCTION_INFO_V1(logreg_state_send);
Datum
logreg_state_send(PG_FUNCTION_ARGS)
{
	return nf_state_send(fcinfo, &LogregStepType);
}

PG_FUNCTION_INFO_V1(logreg_state_recv);
Datum
logreg_state_recv(PG_FUNCTION_ARGS)
{
	return nf_state_recv(fcinfo, &LogregStepType);
}

/* the split fit -------------------------------------------------------- */

/* the state's information and gradient with logreg_fit's penalty added */
static void
StepPenalized(const LogregStep *st, double l2, double *h, double *g)
{
	int			p = st->p;

	memcpy(h, st->h, sizeof(double) * p * p);
	memcpy(g, st->g, sizeof(double) * p);
	for (int j = 1; j < p; j++)
	{
		g[j] -= l2 * st->coef[j];
		h[j + j * p] += l2;
	}
}

static LogregStep *
StepArg(FunctionCallInfo fcinfo, int i)
{
	LogregStep *st = nf_state_of_datum(PG_GETARG_DATUM(i), &LogregStepType);

	if (st->p == 0)
		elog(ERROR, "logreg_state without rows");
	return st;
}

static double
L2Arg(FunctionCallInfo fcinfo, int i)
{
	double		l2 = PG_GETARG_FLOAT8(i);

	if (!(l2 >= 0.0) || !isfinite(l2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("l2 must be a finite number at least 0, not %g", l2)));
	return l2;
}

/* nfrec._logreg_sums: the combined state itself, flat */
PG_FUNCTION_INFO_V1(logreg_sums_final);
Datum
logreg_sums_final(PG_FUNCTION_ARGS)
{
	LogregStep *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = nf_state_of_datum(PG_GETARG_DATUM(0), &LogregStepType);
	if (st->p == 0)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(StepFlatten(st));
}

/*
 * _logreg_penalized_ll(state, l2): the penalized log-likelihood at the
 * state's coefficients, as logreg_fit's PenalizedLogLik
 */
PG_FUNCTION_INFO_V1(logreg_penalized_ll);
Datum
logreg_penalized_ll(PG_FUNCTION_ARGS)
{
	LogregStep *st = StepArg(fcinfo, 0);
	double		l2 = L2Arg(fcinfo, 1);
	double		pen = 0.0;

	for (int j = 1; j < st->p; j++)
		pen += st->coef[j] * st->coef[j];
	PG_RETURN_FLOAT8(st->ll - 0.5 * l2 * pen);
}

/*
 * _logreg_newton(state, l2, iteration): logreg_fit's Newton step at the
 * state's coefficients (penalized gradient and information); a singular
 * information fails as logreg_train fails at that iteration
 */
PG_FUNCTION_INFO_V1(logreg_newton);
Datum
logreg_newton(PG_FUNCTION_ARGS)
{
	LogregStep *st = StepArg(fcinfo, 0);
	double		l2 = L2Arg(fcinfo, 1);
	int			it = PG_GETARG_INT32(2);
	int			p = st->p;
	double	   *h = palloc(sizeof(double) * p * p);
	double	   *g = palloc(sizeof(double) * p);
	double	   *step = palloc(sizeof(double) * p);
	int			bad;

	StepPenalized(st, l2, h, g);
	bad = logreg_newton_step(h, g, p, step, palloc(sizeof(double) * (p * p + p)));
	if (bad >= 0)
	{
		LogregResult res = {0};

		res.bad_column = bad;
		res.n_positive = st->npos;
		logreg_report_status((it > 1 && l2 == 0.0) ? LOGREG_SEPARATION : LOGREG_SINGULAR,
							 &res, st->n, p);
	}
	PG_RETURN_ARRAYTYPE_P(nf_float8_array(step, p));
}

/* _logreg_extreme(coef, features): the row is fitted at an extreme |eta| */
PG_FUNCTION_INFO_V1(logreg_extreme);
Datum
logreg_extreme(PG_FUNCTION_ARGS)
{
	const double *coef,
			   *x;
	int			nc = stats_float8_vector(PG_GETARG_ARRAYTYPE_P(0), "coef", &coef);
	int			nf = stats_float8_vector(PG_GETARG_ARRAYTYPE_P(1), "features", &x);
	double		eta;

	if (nc != nf + 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("coef must have %d values, the intercept and one per feature, not %d", nf + 1, nc)));
	eta = coef[0];
	for (int j = 0; j < nf; j++)
		eta += coef[j + 1] * x[j];
	PG_RETURN_BOOL(logreg_eta_extreme(eta));
}

/*
 * _logreg_fit_result(state, l2, iterations, converged, penalized_ll,
 * n_skipped, n_extreme, last_rel_step): logreg_train's result
 * from the sums at the final coefficients (logreg_fit's end: the
 * separation test, the covariance, the jsonb)
 */
PG_FUNCTION_INFO_V1(logreg_fit_result);
Datum
logreg_fit_result(PG_FUNCTION_ARGS)
{
	LogregStep *st = StepArg(fcinfo, 0);
	double		l2 = L2Arg(fcinfo, 1);
	int			p = st->p;
	LogregResult res = {0};
	double	   *h = palloc(sizeof(double) * p * p);
	double	   *g = palloc(sizeof(double) * p);
	int			bad;

	res.coef = st->coef;
	res.cov = palloc(sizeof(double) * p * p);
	res.iterations = PG_GETARG_INT32(2);
	res.converged = PG_GETARG_BOOL(3);
	res.penalized_log_likelihood = PG_GETARG_FLOAT8(4);
	/* as logreg_fit: the intercept-only model's, from the counts */
	res.null_log_likelihood = st->npos * log((double) st->npos / st->n) +
		(st->n - st->npos) * log((double) (st->n - st->npos) / st->n);
	res.log_likelihood = st->ll;
	res.n_positive = st->npos;
	res.n_extreme = PG_GETARG_INT64(6);
	res.bad_column = -1;
	if (logreg_separation_suspected(l2, res.n_extreme, res.converged, PG_GETARG_FLOAT8(7)))
		logreg_report_status(LOGREG_SEPARATION, &res, st->n, p);
	StepPenalized(st, l2, h, g);
	bad = logreg_covariance(h, p, res.cov, palloc(sizeof(double) * (p * p + p)));
	if (bad >= 0)
	{
		res.bad_column = bad;
		logreg_report_status((l2 == 0.0 && res.n_extreme > 0) ? LOGREG_SEPARATION : LOGREG_SINGULAR,
							 &res, st->n, p);
	}
	PG_RETURN_JSONB_P(logreg_result_jsonb(&res, st->n, p - 1, l2, PG_GETARG_INT64(5)));
}
