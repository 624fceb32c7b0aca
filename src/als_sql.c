/*
 * als_sql.c -- the nfrec.als_train aggregate: SQL glue around als.c.
 *
 * Transition state: the raw (user, item, weight) rows and a copy of the
 * options, in triples.c (shared with ease_train).  Partial aggregation
 * concatenates states (combine) and ships them as bytea
 * (serialize/deserialize).  The final function canonicalizes the rows
 * (sorted users, items, summed duplicates: the model does not depend on row
 * order or plan), trains with worker threads, and returns a
 * nfrec.als_model in the frozen layout of als_model.h.
 *
 * The backend thread does every palloc/ereport.  Worker threads run only
 * als.c code on buffers allocated here; the pool is destroyed (workers
 * joined) on every path (TrainWithPool), so an error or cancel never leaves a thread behind
 * touching freed memory.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "als.h"
#include "als_defaults.h"
#include "als_model.h"
#include "als_sql.h"
#include "pgutil.h"
#include "triples.h"


/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

typedef struct AlsOptions
{
	AlsParams	p;
	int			threads;
	bool		verbose;
} AlsOptions;

/*
 * The defaults, in one place.  Documented in doc/alstrain.md and in the
 * aggregate's COMMENT; change all three together.
 */
static const AlsOptions AlsDefaults = {
	.p = {
		.factors = 64,
		.iterations = 15,
		.regularization = 0.1,
		.alpha = 1.0,
		.solver = ALS_SOLVER_CG,
		.cg_steps = 3,
		.seed = 0,
		.frequency_scaling = false,
	},
	.threads = 0,				/* 0: number of online CPUs */
	.verbose = true,
};

static int
DefaultThreads(void)
{
	long		n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return (int) Min(n, ALS_MAX_THREADS);
}

/* What the options table writes: the options, and the choices' indexes. */
typedef struct AlsOptionTarget
{
	AlsOptions	o;
	int			solver;			/* index in AlsSolvers */
	int			scaling;		/* index in AlsScalings */
} AlsOptionTarget;

static const char *const AlsSolvers[] = {"cg", "cholesky", NULL};
static const char *const AlsScalings[] = {"none", "frequency", NULL};

#define ALS_OPT(field)	offsetof(AlsOptionTarget, field)

static const NfOption AlsOptionTable[] = {
	{"factors", NF_OPT_INT32, 1, ALS_MAX_FACTORS, false, NULL, ALS_OPT(o.p.factors)},
	{"iterations", NF_OPT_INT32, 0, ALS_MAX_ITERATIONS, false, NULL, ALS_OPT(o.p.iterations)},
	{"regularization", NF_OPT_REAL, 0, 1e6, true, NULL, ALS_OPT(o.p.regularization)},
	{"alpha", NF_OPT_REAL, 0, 1e6, false, NULL, ALS_OPT(o.p.alpha)},
	{"solver", NF_OPT_CHOICE, 0, 0, false, AlsSolvers, ALS_OPT(solver)},
	{"cg_steps", NF_OPT_INT32, 1, 1000, false, NULL, ALS_OPT(o.p.cg_steps)},
	{"seed", NF_OPT_INT64, 0, 0, false, NULL, ALS_OPT(o.p.seed)},
	{"threads", NF_OPT_INT32, 1, ALS_MAX_THREADS, false, NULL, ALS_OPT(o.threads)},
	{"regularization_scaling", NF_OPT_CHOICE, 0, 0, false, AlsScalings, ALS_OPT(scaling)},
	{"verbose", NF_OPT_BOOL, 0, 0, false, NULL, ALS_OPT(o.verbose)},
};

/* Parse the options object (NULL: all defaults) into *o. */
static void
ParseOptionsFor(Jsonb *jb, AlsOptions *o, const char *funcname)
{
	AlsOptionTarget t;

	*o = AlsDefaults;
	o->threads = DefaultThreads();
	if (jb == NULL)
		return;
	t.o = *o;
	t.solver = o->p.solver == ALS_SOLVER_CG ? 0 : 1;
	t.scaling = o->p.frequency_scaling ? 1 : 0;
	nf_parse_options(jb, funcname, AlsOptionTable, lengthof(AlsOptionTable), &t);
	*o = t.o;
	o->p.solver = t.solver == 0 ? ALS_SOLVER_CG : ALS_SOLVER_CHOLESKY;
	o->p.frequency_scaling = t.scaling == 1;
}

static void
ParseOptions(Jsonb *jb, AlsOptions *o)
{
	ParseOptionsFor(jb, o, "als_train");
}

/*
 * The effective options as stored in the model (JSON).  threads and verbose
 * are left out: they do not change the model.  Numbers in shortest exact
 * form whatever extra_float_digits is: model input checks that they agree
 * with the header.
 */
static char *
OptionsJson(const AlsOptions *o)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s,
					 "{\"factors\": %d, \"iterations\": %d, \"regularization\": %s, "
					 "\"alpha\": %s, \"solver\": \"%s\", \"cg_steps\": %d, \"seed\": "
					 INT64_FORMAT ", \"regularization_scaling\": \"%s\"}",
					 o->p.factors, o->p.iterations,
					 double_to_shortest_decimal(o->p.regularization),
					 double_to_shortest_decimal(o->p.alpha),
					 o->p.solver == ALS_SOLVER_CG ? "cg" : "cholesky",
					 o->p.cg_steps, o->p.seed,
					 o->p.frequency_scaling ? "frequency" : "none");
	return s.data;
}

/* ------------------------------------------------------------------ */
/* Transition state: the raw rows (triples.h)                          */
/* ------------------------------------------------------------------ */

static void
AlsCheckOptions(Jsonb *opt)
{
	AlsOptions	o;

	ParseOptions(opt, &o);
}

static void AlsOptionsDiffer(void) pg_attribute_noreturn();

static void
AlsOptionsDiffer(void)
{
	nf_options_differ("als_train");
}

static const NfTriplesKind AlsRows = {
	.agg = "als_train",
	.item = "item",
	.item_column = "item_id",
	.model = "ALS",
	.magic = 0x414C5354,		/* "ALST" */
	.check_options = AlsCheckOptions,
	.options_differ = AlsOptionsDiffer,
};

/* als_train_trans, als_train_combine, als_train_serialize, als_train_deserialize */
NF_TRIPLES_SUPPORT(als_train, AlsRows);

const NfTriplesKind *const nf_als_rows_kind = &AlsRows;

void
nf_als_check_options(Jsonb *options)
{
	AlsCheckOptions(options);
}

/* ------------------------------------------------------------------ */
/* Final function: canonicalize, train, build the model                */
/* ------------------------------------------------------------------ */

typedef struct AlsRun
{
	const AlsOptions *opt;
	int			threads;
} AlsRun;

static void
AlsPollInterrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

static void
AlsProgress(void *arg, int iteration, double loss, double seconds, double gflop)
{
	AlsRun	   *run = (AlsRun *) arg;

	if (!run->opt->verbose)
		return;
	ereport(NOTICE,
			(errmsg("als_train iteration %d of %d: loss %.7g, %.3f s, %.1f GFLOP/s",
					iteration, run->opt->p.iterations, loss, seconds,
					seconds > 0 ? gflop / seconds : 0.0)));
}

static double
Now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *
HugeAlloc(Size bytes)
{
	return MemoryContextAllocHuge(CurrentMemoryContext, Max(bytes, 1));
}

/*
 * Options not given (factors, alpha, regularization) are chosen from the
 * data (als_defaults.c); the model's options record the values and, under
 * "from_data", which ones the rule chose.
 */
static void
ChooseFromCounts(Jsonb *options, const char *funcname, AlsOptions *opt,
				 int64 nusers, int64 nitems, int64 nnz, double wsum, char **optjson)
{
	static const char *const keys[] = {"factors", "alpha", "regularization"};
	StringInfoData chosen;
	int			which = 0;

	for (int j = 0; j < 3; j++)
	{
		JsonbValue *v = options == NULL ? NULL :
			getKeyJsonValueFromContainer(&options->root, keys[j], strlen(keys[j]), NULL);

		/* absent or a JSON null (which keeps the default) */
		if (v == NULL || v->type == jbvNull)
			which |= 1 << j;	/* ALS_DEFAULT_FACTORS, _ALPHA, _REGULARIZATION */
	}
	als_data_defaults(nusers, nitems, nnz, wsum, which, &opt->p);

	*optjson = OptionsJson(opt);
	if (which == 0)
		return;
	initStringInfo(&chosen);
	for (int j = 0; j < 3; j++)
		if (which & (1 << j))
			appendStringInfo(&chosen, "%s\"%s\"", chosen.len ? ", " : "", keys[j]);
	(*optjson)[strlen(*optjson) - 1] = '\0';	/* the closing brace */
	*optjson = psprintf("%s, \"from_data\": [%s]}", *optjson, chosen.data);
	if (opt->verbose)
		ereport(NOTICE,
				(errmsg("%s: options chosen from the data: factors %d, alpha %g, regularization %g",
						funcname, opt->p.factors, opt->p.alpha, opt->p.regularization),
				 errdetail("The rule of doc/alstrain.md chose %s for " INT64_FORMAT " users, " INT64_FORMAT " titles, " INT64_FORMAT " events and a mean weight of %g.",
						   chosen.data, nusers, nitems, nnz, nnz > 0 ? wsum / nnz : 0.0)));
}

static void
ChooseFromData(const NfTriples *st, AlsOptions *opt, const AlsRaw *raw,
			   int32 nusers, int32 nitems, int64 nnz, char **optjson)
{
	/* the sum does not depend on row order */
	ChooseFromCounts(st->options, "als_train", opt, nusers, nitems, nnz,
					 als_abs_sum(raw->weights, raw->n), optjson);
}

/*
 * als_sql.h: the options of als_train parsed for another entry point
 * (funcname in messages), the data-chosen ones filled in from the counts;
 * returns the effective options as the model stores them.
 */
char *
als_options_resolve(Jsonb *options, const char *funcname, int64 nusers,
					int64 nitems, int64 nnz, double abs_weight_sum,
					AlsParams *p, bool *verbose)
{
	AlsOptions	o;
	char	   *json;

	ParseOptionsFor(options, &o, funcname);
	ChooseFromCounts(options, funcname, &o, nusers, nitems, nnz, abs_weight_sum, &json);
	*p = o.p;
	*verbose = o.verbose;
	return json;
}

/* als_sql.h: only the parse (bad options are reported as funcname's). */
void
als_options_check(Jsonb *options, const char *funcname, AlsParams *p, bool *verbose)
{
	AlsOptions	o;

	ParseOptionsFor(options, &o, funcname);
	*p = o.p;
	*verbose = o.verbose;
}

/* als_train with opt.threads threads; the workers are joined on every path. */
static void
TrainWithPool(const AlsData *d, const AlsOptions *opt, const AlsHooks *hooks,
			  void *work, float *X, float *Y, AlsResult *res)
{
	AlsPool    *volatile pool = NULL;

	PG_TRY();
	{
		if (opt->threads > 1)
		{
			pool = als_pool_create(opt->threads);
			if (pool == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
						 errmsg("could not start %d training threads: %m", opt->threads),
						 errhint("Try a smaller \"threads\" option.")));
		}
		als_train(d, &opt->p, pool, hooks, work, X, Y, res);
	}
	PG_CATCH();
	{
		als_pool_destroy(pool);
		PG_RE_THROW();
	}
	PG_END_TRY();
	als_pool_destroy(pool);
}

/*
 * Train on the rows of st (nf_als_train_rows, als_sql.h): canonicalize,
 * train with worker threads, and fill *out, allocated in the current
 * memory context.  one_value: the arrays live inside one nfrec.als_model
 * value (out->m), which must fit in 1 GB; otherwise each array is its own
 * huge allocation and only memory bounds the model.
 */
void
nf_als_train_rows(const NfTriples *st, bool one_value, AlsTrained *out)
{
	double		t0 = Now();
	AlsOptions	opt;
	AlsRun		run;
	AlsHooks	hooks;
	AlsRaw		raw;
	AlsCanonWork cw;
	AlsData		d;
	AlsResult	res;
	AlsModelHeader shape;
	AlsModelHeader *m = NULL;
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext workcxt;
	int32	   *uidx,
			   *iidx;
	const int64 *sorted;
	int64	   *user_ids,
			   *item_ids;
	int64	   *item_ptr;
	int32	   *ev_user;
	float	   *ev_weight_t;
	float	   *item_count;
	char	   *optjson;
	Size		optlen,
				size = 0;
	int64		nnz;
	void	   *work;

	ParseOptions(st->options, &opt);
	if (st->nskipped > 0)
		ereport(NOTICE,
				(errmsg("als_train skipped " INT64_FORMAT " of " INT64_FORMAT " rows with a null user_id, item_id or weight",
						st->nskipped, st->nskipped + st->n)));

	run.opt = &opt;
	run.threads = opt.threads;
	hooks.arg = &run;
	hooks.poll = AlsPollInterrupts;
	hooks.progress = AlsProgress;
	hooks.loss_every_iteration = opt.verbose;

	workcxt = AllocSetContextCreate(CurrentMemoryContext, "als_train",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(workcxt);

	/* canonical matrix: distinct users and items, pairs sorted and summed */
	nf_triples_canon_start(st, &raw, &cw, &uidx, &iidx);

	memset(&shape, 0, sizeof(shape));
	shape.nusers = als_canon_ids(raw.n, raw.users, &cw, uidx, &sorted, &hooks);
	user_ids = MemoryContextAllocHuge(callcxt, sizeof(int64) * Max(shape.nusers, 1));
	memcpy(user_ids, sorted, sizeof(int64) * shape.nusers);
	shape.nitems = als_canon_ids(raw.n, raw.items, &cw, iidx, &sorted, &hooks);
	item_ids = HugeAlloc(sizeof(int64) * shape.nitems);
	memcpy(item_ids, sorted, sizeof(int64) * shape.nitems);
	nnz = als_canon_order(raw.n, uidx, shape.nusers, iidx, shape.nitems, &cw, &hooks);
	ChooseFromData(st, &opt, &raw, shape.nusers, shape.nitems, nnz, &optjson);
	optlen = ALS_ALIGN8(strlen(optjson) + 1);
	shape.magic = ALS_MODEL_MAGIC;
	shape.version = ALS_MODEL_VERSION;
	shape.factors = opt.p.factors;
	shape.nevents = nnz;
	shape.iterations = opt.p.iterations;
	shape.options_len = (int32) optlen;
	shape.alpha = opt.p.alpha;
	shape.regularization = opt.p.regularization;
	memset(out, 0, sizeof(*out));
	if (one_value)
	{
		size = offsetof(AlsModelHeader, data) + als_data_size(&shape);
		if (size > MaxAllocSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("ALS model would be too large (%zu bytes)", size),
					 errdetail("%d users, %d titles, " INT64_FORMAT " interactions and %d factors do not fit in one 1 GB value.",
							   shape.nusers, shape.nitems, nnz, shape.factors),
					 errhint("Train straight into the model registry with CALL nfrec.train(name, events, options), which has no such limit, or use fewer factors.")));
		m = (AlsModelHeader *) MemoryContextAllocZero(callcxt, size);
		memcpy(m, &shape, offsetof(AlsModelHeader, data));
		SET_VARSIZE(m, size);
		strcpy((char *) ALS_OPTIONS(m), optjson);
		memcpy(ALS_USER_IDS(m), user_ids, sizeof(int64) * shape.nusers);
		memcpy(ALS_ITEM_IDS(m), item_ids, sizeof(int64) * shape.nitems);
		pfree(user_ids);
		out->m = m;
		out->options = (char *) ALS_OPTIONS(m);
		out->user_ids = ALS_USER_IDS(m);
		out->item_ids = ALS_ITEM_IDS(m);
		out->user_ptr = ALS_USER_PTR(m);
		out->ev_item = ALS_EV_ITEM(m);
		out->ev_weight = ALS_EV_WEIGHT(m);
		out->item_count = ALS_ITEM_COUNT(m);
		out->user_factors = ALS_USER_FACTORS(m);
		out->item_factors = ALS_ITEM_FACTORS(m);
	}
	else
	{
#define OUT_ALLOC(n, type) ((type *) MemoryContextAllocHuge(callcxt, sizeof(type) * Max((Size) (n), 1)))
		out->options = MemoryContextStrdup(callcxt, optjson);
		out->user_ids = user_ids;
		out->item_ids = OUT_ALLOC(shape.nitems, int64);
		memcpy(out->item_ids, item_ids, sizeof(int64) * shape.nitems);
		out->user_ptr = OUT_ALLOC((Size) shape.nusers + 1, int64);
		out->ev_item = OUT_ALLOC(nnz, int32);
		out->ev_weight = OUT_ALLOC(nnz, float);
		out->item_count = OUT_ALLOC(shape.nitems, float);
		out->user_factors = OUT_ALLOC((Size) shape.nusers * shape.factors, float);
		out->item_factors = OUT_ALLOC((Size) shape.nitems * shape.factors, float);
#undef OUT_ALLOC
	}

	nf_triples_canon_build(&raw, uidx, iidx, &cw, out->user_ptr, out->ev_item,
						   out->ev_weight, &AlsRows);
	/* training computes the confidence 1 + alpha |w| in real */
	for (int32 u = 0; u < shape.nusers; u++)
		for (int64 e = out->user_ptr[u]; e < out->user_ptr[u + 1]; e++)
			if (opt.p.alpha * fabs((double) out->ev_weight[e]) > FLT_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("confidence of user " INT64_FORMAT " and item " INT64_FORMAT " is out of range for type real",
								out->user_ids[u], out->item_ids[out->ev_item[e]]),
						 errdetail("alpha %g times the absolute summed weight %g exceeds %g.",
								   opt.p.alpha, fabs((double) out->ev_weight[e]), (double) FLT_MAX),
						 errhint("Use a smaller alpha or scale the weights down.")));
	pfree(cw.key0);
	pfree(cw.key1);
	pfree(cw.val0);
	pfree(cw.val1);
	pfree(cw.order);
	pfree(uidx);
	pfree(iidx);
	CHECK_FOR_INTERRUPTS();

	/* the transpose: events by item */
	item_ptr = HugeAlloc(sizeof(int64) * ((Size) shape.nitems + 1));
	ev_user = HugeAlloc(sizeof(int32) * nnz);
	ev_weight_t = HugeAlloc(sizeof(float) * nnz);
	als_transpose(shape.nusers, shape.nitems, out->user_ptr, out->ev_item,
				  out->ev_weight, item_ptr, ev_user, ev_weight_t);
	item_count = out->item_count;
	for (int32 i = 0; i < shape.nitems; i++)
	{
		int64		c = 0;

		for (int64 e = item_ptr[i]; e < item_ptr[i + 1]; e++)
			c += ev_weight_t[e] > 0;
		item_count[i] = (float) c;
	}

	d.nusers = shape.nusers;
	d.nitems = shape.nitems;
	d.nnz = nnz;
	d.user_ids = out->user_ids;
	d.item_ids = out->item_ids;
	d.user_ptr = out->user_ptr;
	d.user_items = out->ev_item;
	d.user_w = out->ev_weight;
	d.item_ptr = item_ptr;
	d.item_users = ev_user;
	d.item_w = ev_weight_t;

	if (opt.verbose)
		ereport(NOTICE,
				(errmsg("als_train: %d users, %d titles, " INT64_FORMAT " interactions, %d factors, %s solver, %d threads (%.3f s to prepare)",
						d.nusers, d.nitems, d.nnz, opt.p.factors,
						opt.p.solver == ALS_SOLVER_CG ? "cg" : "cholesky",
						opt.threads, Now() - t0)));

	work = HugeAlloc(als_train_work_size(&d, &opt.p, opt.threads));
	TrainWithPool(&d, &opt, &hooks, work, out->user_factors, out->item_factors, &res);

	shape.loss = res.loss;
	shape.iterations = res.iterations;
	shape.train_seconds = Now() - t0;
	shape.trained_at = GetCurrentTimestamp();
	if (m != NULL)
	{
		memcpy(m, &shape, offsetof(AlsModelHeader, data));
		SET_VARSIZE(m, size);
	}
	out->shape = shape;
	if (opt.verbose)
		ereport(NOTICE,
				(errmsg("als_train done: loss %.7g, %.3f s in all",
						res.loss, shape.train_seconds)));

	MemoryContextSwitchTo(callcxt);
	MemoryContextDelete(workcxt);

	/* a model holds finite numbers only (als_model.c checks on input) */
	{
		const float *X = out->user_factors,
				   *Y = out->item_factors;
		bool		finite = isfinite(shape.loss);

		for (Size j = 0; finite && j < (Size) shape.nusers * opt.p.factors; j++)
			finite = isfinite(X[j]);
		for (Size j = 0; finite && j < (Size) shape.nitems * opt.p.factors; j++)
			finite = isfinite(Y[j]);
		if (!finite)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("als_train diverged: the factors or the loss are not finite"),
					 errdetail("Training computes in float4, and the confidences (alpha times the weight) or their products overflowed."),
					 errhint("Use a smaller alpha, scale the weights down, or raise regularization.")));
	}
}

PG_FUNCTION_INFO_V1(als_train_final);
Datum
als_train_final(PG_FUNCTION_ARGS)
{
	NfTriples  *st = nf_triples_final_state(fcinfo, &AlsRows);
	AlsTrained	t;
	const char *problem;

	nf_als_train_rows(st, true, &t);
	problem = als_model_check(t.m, VARSIZE(t.m));
	if (problem)
		elog(ERROR, "als_train built an invalid model: %s", problem);
	PG_RETURN_POINTER(t.m);
}

/* ------------------------------------------------------------------ */
/* nfrec._als_factors(model, side): factors as rows (for tests)        */
/* ------------------------------------------------------------------ */

typedef struct FactorsCtx
{
	AlsModelHeader *m;
	bool		users;
} FactorsCtx;

PG_FUNCTION_INFO_V1(als_factors_rows);
Datum
als_factors_rows(PG_FUNCTION_ARGS)
{
	FuncCallContext *fc;
	FactorsCtx *ctx;
	int32		n;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	tupdesc;
		char	   *side;

		fc = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fc->multi_call_memory_ctx);
		ctx = palloc(sizeof(FactorsCtx));
		side = text_to_cstring(PG_GETARG_TEXT_PP(1));
		if (strcmp(side, "user") == 0)
			ctx->users = true;
		else if (strcmp(side, "item") == 0)
			ctx->users = false;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("side must be \"user\" or \"item\", not \"%s\"", side)));
		ctx->m = PG_GETARG_ALSMODEL_P(0);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		fc->tuple_desc = BlessTupleDesc(tupdesc);
		fc->user_fctx = ctx;
		MemoryContextSwitchTo(old);
	}
	fc = SRF_PERCALL_SETUP();
	ctx = (FactorsCtx *) fc->user_fctx;
	n = ctx->users ? ctx->m->nusers : ctx->m->nitems;
	if (fc->call_cntr < (uint64) n)
	{
		int32		r = (int32) fc->call_cntr;
		int			k = ctx->m->factors;
		const int64 *ids = ctx->users ? ALS_USER_IDS(ctx->m) : ALS_ITEM_IDS(ctx->m);
		const float *F = ctx->users ? ALS_USER_FACTORS(ctx->m) : ALS_ITEM_FACTORS(ctx->m);
		Datum		values[2];
		bool		nulls[2] = {false, false};
		HeapTuple	tup;

		values[0] = Int64GetDatum(ids[r]);
		values[1] = PointerGetDatum(nf_float4_array(F + (Size) r * k, k));
		tup = heap_form_tuple(fc->tuple_desc, values, nulls);
		SRF_RETURN_NEXT(fc, HeapTupleGetDatum(tup));
	}
	SRF_RETURN_DONE(fc);
}
