/*
 * logreg_sql.c -- SQL glue of nfrec.logreg_train (aggregate) and
 * nfrec.logreg_predict.  The fitting is in logreg.c.
 *
 * Newton's method needs every row at every iteration, so the aggregate
 * keeps the rows (features as float8, labels as bytes) in a growable
 * array, and fits in the final function.  Partial states serialize to
 * bytea and concatenate, so the aggregate runs under parallel query.
 *
 * Rows whose label or feature array is NULL are skipped (and counted as
 * n_skipped); NULL, NaN or infinite elements inside a feature array are
 * errors.  options are read from the first row and must be the same in
 * every row.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "logreg.h"
#include "logreg_sql.h"
#include "stats.h"
#include "stats_state.h"

enum
{
	OPT_L2,
	OPT_MAX_ITER,
	OPT_TOL,
	NUM_LOGREG_OPTS
};

static const NfOption logreg_opts[NUM_LOGREG_OPTS] = {
	{"l2", NF_OPT_REAL, 0.0, 1e300, false, NULL, STATS_OPT_F(OPT_L2)},
	{"max_iter", NF_OPT_INT64, 1, 10000, false, NULL, STATS_OPT_I(OPT_MAX_ITER)},
	{"tol", NF_OPT_REAL, 0.0, 1.0, true, NULL, STATS_OPT_F(OPT_TOL)},
};

typedef struct LogregState
{
	StatsRows	rows;
	int64		skipped;		/* rows with a NULL label or feature array */
	StatsAggOptions opts;
} LogregState;

static LogregState *
LogregStateNew(MemoryContext cxt)
{
	LogregState *st = MemoryContextAllocZero(cxt, sizeof(LogregState));

	stats_rows_init(&st->rows, cxt, true);
	st->opts.v[OPT_L2].f = 0.0;
	st->opts.v[OPT_MAX_ITER].i = 25;
	st->opts.v[OPT_TOL].f = 1e-10;
	return st;
}

PG_FUNCTION_INFO_V1(logreg_train_accum);
Datum
logreg_train_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	LogregState *st;
	const double *v;
	int			n;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "logreg_train_accum called in non-aggregate context");
	st = PG_ARGISNULL(0) ? LogregStateNew(aggcxt) : (LogregState *) PG_GETARG_POINTER(0);

	if (PG_NARGS() > 3)
		stats_agg_options_row(&st->opts, PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3),
							  aggcxt, "logreg_train", logreg_opts, NUM_LOGREG_OPTS);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		st->skipped++;
		PG_RETURN_POINTER(st);
	}
	n = stats_float8_vector(PG_GETARG_ARRAYTYPE_P(2), "features", &v);
	stats_rows_append(&st->rows, v, n, PG_GETARG_BOOL(1) ? 1 : 0, "feature vector");
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(logreg_train_combine);
Datum
logreg_train_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	LogregState *a,
			   *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "logreg_train_combine called in non-aggregate context");
	a = PG_ARGISNULL(0) ? NULL : (LogregState *) PG_GETARG_POINTER(0);
	b = PG_ARGISNULL(1) ? NULL : (LogregState *) PG_GETARG_POINTER(1);
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = LogregStateNew(aggcxt); /* b is copied into the aggregate's context */
	stats_agg_options_merge(&a->opts, &b->opts, "logreg_train");
	a->skipped += b->skipped;
	stats_rows_append_rows(&a->rows, &b->rows, "feature vector");
	PG_RETURN_POINTER(a);
}

/* layout: int64 skipped, options, rows */
PG_FUNCTION_INFO_V1(logreg_train_serial);
Datum
logreg_train_serial(PG_FUNCTION_ARGS)
{
	LogregState *st = (LogregState *) PG_GETARG_POINTER(0);
	Size		size = sizeof(int64) + STATS_AGG_OPTIONS_SERIAL_SIZE +
		stats_rows_serial_size(&st->rows);
	bytea	   *b = stats_alloc_serial(size, "logreg_train");
	char	   *p = VARDATA(b);

	memcpy(p, &st->skipped, sizeof(int64));
	p = stats_agg_options_write(&st->opts, p + sizeof(int64));
	p = stats_rows_write(&st->rows, p);
	Assert(p == (char *) b + VARSIZE(b));
	PG_RETURN_BYTEA_P(b);
}

PG_FUNCTION_INFO_V1(logreg_train_deserial);
Datum
logreg_train_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(b);
	const char *end = p + VARSIZE_ANY_EXHDR(b);
	LogregState *st = LogregStateNew(CurrentMemoryContext);

	if (end - p < (ptrdiff_t) sizeof(int64))
		elog(ERROR, "serialized logreg_train state is truncated");
	memcpy(&st->skipped, p, sizeof(int64));
	p = stats_agg_options_read(&st->opts, p + sizeof(int64), end);
	p = stats_rows_read(&st->rows, p, end);
	if (p != end)
		elog(ERROR, "serialized logreg_train state has trailing bytes");
	PG_RETURN_POINTER(st);
}

/* the error of a fit that failed (nothing for LOGREG_OK) */
void
logreg_report_status(LogregStatus status, const LogregResult *resp, int64 n, int p)
{
	const LogregResult res = *resp;

	switch (status)
	{
		case LOGREG_OK:
			break;
		case LOGREG_ONE_CLASS:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("all " INT64_FORMAT " labels are %s", n,
							res.n_positive > 0 ? "true" : "false"),
					 errdetail("Logistic regression needs rows of both labels.")));
			break;
		case LOGREG_SINGULAR:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("singular design matrix in logistic regression"),
					 res.bad_column == 0 ?
					 errdetail("The intercept cannot be separated from the features.") :
					 errdetail("Feature %d is constant or (nearly) a linear combination of the intercept and the features before it.",
							   res.bad_column),
					 n <= p ?
					 errhint("There are " INT64_FORMAT " rows for %d coefficients; add rows or drop features.", n, p) :
					 errhint("Drop that feature, or pass an L2 penalty such as '{\"l2\": 1}'.")));
			break;
		case LOGREG_SEPARATION:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("perfect or quasi-complete separation in logistic regression"),
					 res.n_extreme > 0 ?
					 errdetail(INT64_FORMAT " of " INT64_FORMAT " rows are fitted with probability 0 or 1 while the coefficients keep growing: the maximum-likelihood estimate does not exist.",
							   res.n_extreme, n) :
					 errdetail("The fitted probabilities reach 0 or 1 while the coefficients keep growing: the maximum-likelihood estimate does not exist."),
					 errhint("Remove the feature that separates the labels, or pass an L2 penalty such as '{\"l2\": 1}'.")));
			break;
	}
}

/*
 * logreg_train's result for a fitted model (res: coef, cov, the
 * log-likelihoods, iterations, convergence, n_positive), with a WARNING
 * when it did not converge.
 */
Jsonb *
logreg_result_jsonb(const LogregResult *res, int64 n, int nfeat, double l2, int64 skipped)
{
	StatsJson	j;
	int			p = nfeat + 1;
	double	   *se,
			   *z,
			   *pv;

	if (!res->converged)
		ereport(WARNING,
				(errmsg_plural("logistic regression did not converge in %d iteration",
							   "logistic regression did not converge in %d iterations",
							   res->iterations, res->iterations),
				 errhint("Raise the option max_iter, or pass an L2 penalty such as '{\"l2\": 1}'.")));

	se = palloc(sizeof(double) * p);
	z = palloc(sizeof(double) * p);
	pv = palloc(sizeof(double) * p);
	for (int i = 0; i < p; i++)
	{
		se[i] = sqrt(res->cov[i + i * p]);
		z[i] = res->coef[i] / se[i];
		pv[i] = 2.0 * stats_normal_cdf(-fabs(z[i]));
	}

	stats_json_begin(&j);
	stats_json_float_array(&j, "coef", res->coef, p);
	stats_json_float_array(&j, "std_err", se, p);
	stats_json_float_array(&j, "z", z, p);
	stats_json_float_array(&j, "p_value", pv, p);
	stats_json_float(&j, "log_likelihood", res->log_likelihood);
	stats_json_float(&j, "null_log_likelihood", res->null_log_likelihood);
	if (l2 > 0.0)
	{
		stats_json_float(&j, "penalized_log_likelihood", res->penalized_log_likelihood);
		stats_json_null(&j, "aic");
	}
	else
		stats_json_float(&j, "aic", 2.0 * p - 2.0 * res->log_likelihood);
	stats_json_float(&j, "pseudo_r2", 1.0 - res->log_likelihood / res->null_log_likelihood);
	stats_json_int(&j, "iterations", res->iterations);
	stats_json_bool(&j, "converged", res->converged);
	stats_json_int(&j, "n", n);
	stats_json_int(&j, "n_positive", res->n_positive);
	stats_json_int(&j, "n_skipped", skipped);
	stats_json_int(&j, "features", nfeat);
	stats_json_float(&j, "l2", l2);
	return stats_json_end(&j);
}

PG_FUNCTION_INFO_V1(logreg_train_final);
Datum
logreg_train_final(PG_FUNCTION_ARGS)
{
	LogregState *st;
	LogregProblem pr;
	LogregResult res;
	LogregStatus status;
	int			p;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (LogregState *) PG_GETARG_POINTER(0);
	if (st->rows.n == 0)
		PG_RETURN_NULL();

	pr.x = st->rows.x;
	pr.y = st->rows.y;
	pr.n = st->rows.n;
	pr.nfeat = st->rows.dim;
	pr.l2 = st->opts.v[OPT_L2].f;
	pr.max_iter = (int) st->opts.v[OPT_MAX_ITER].i;
	pr.tol = st->opts.v[OPT_TOL].f;
	p = pr.nfeat + 1;

	res.coef = palloc(sizeof(double) * p);
	res.cov = palloc(sizeof(double) * p * p);
	status = logreg_fit(&pr, &res,
						MemoryContextAllocHuge(CurrentMemoryContext,
											   sizeof(double) * logreg_work_doubles(pr.n, pr.nfeat)),
						stats_check_interrupts);
	logreg_report_status(status, &res, pr.n, p);
	PG_RETURN_JSONB_P(logreg_result_jsonb(&res, pr.n, pr.nfeat, pr.l2, st->skipped));
}

/* ---------------------------------------------------------------------
 * logreg_predict
 * --------------------------------------------------------------------- */

/* the last model seen by this call site, parsed */
typedef struct PredictCache
{
	Size		len;
	char	   *model;			/* copy of the jsonb bytes */
	int			ncoef;
	double	   *coef;
} PredictCache;

static void
BadModel(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("model is not a logistic regression model"),
			 errdetail("%s", detail),
			 errhint("Pass the jsonb returned by nfrec.logreg_train.")));
}

static PredictCache *
ParseModel(FunctionCallInfo fcinfo, Jsonb *model)
{
	PredictCache *c = (PredictCache *) fcinfo->flinfo->fn_extra;
	JsonbValue	key,
			   *coef;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0,
				cap = 16;
	double	   *vals;

	if (c && c->len == VARSIZE(model) && memcmp(c->model, model, c->len) == 0)
		return c;

	if (!JB_ROOT_IS_OBJECT(model))
		BadModel("The model is not a JSON object.");
	key.type = jbvString;
	key.val.string.val = "coef";
	key.val.string.len = 4;
	coef = findJsonbValueFromContainer(&model->root, JB_FOBJECT, &key);
	if (coef == NULL)
		BadModel("The key \"coef\" is missing.");
	if (coef->type != jbvBinary || !JsonContainerIsArray(coef->val.binary.data))
		BadModel("The value of \"coef\" is not an array.");

	vals = palloc(sizeof(double) * cap);
	it = JsonbIteratorInit(coef->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvNumeric)
			BadModel("An element of \"coef\" is not a number.");
		if (n == cap)
		{
			cap *= 2;
			vals = repalloc(vals, sizeof(double) * cap);
		}
		vals[n++] = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
													   NumericGetDatum(v.val.numeric)));
		if (!isfinite(vals[n - 1]))
			BadModel("An element of \"coef\" is not finite.");
	}
	if (n < 1)
		BadModel("The array \"coef\" is empty.");

	/* remember it for the next row */
	if (c == NULL)
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PredictCache));
	else
	{
		pfree(c->model);
		pfree(c->coef);
	}
	c->len = VARSIZE(model);
	c->model = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, c->len);
	memcpy(c->model, model, c->len);
	c->ncoef = n;
	c->coef = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(double) * n);
	memcpy(c->coef, vals, sizeof(double) * n);
	fcinfo->flinfo->fn_extra = c;
	return c;
}

PG_FUNCTION_INFO_V1(logreg_predict);
Datum
logreg_predict(PG_FUNCTION_ARGS)
{
	Jsonb	   *model = PG_GETARG_JSONB_P(0);
	PredictCache *c = ParseModel(fcinfo, model);
	const double *x;
	int			n = stats_float8_vector(PG_GETARG_ARRAYTYPE_P(1), "features", &x);

	if (n != c->ncoef - 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg_plural("model has %d feature but %d were given",
							   "model has %d features but %d were given",
							   c->ncoef - 1, c->ncoef - 1, n)));
	PG_RETURN_FLOAT8(logreg_probability(c->coef, x, n));
}
