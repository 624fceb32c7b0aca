/*
 * als_sql.c -- the nfrec.als_train aggregate: SQL glue around als.c.
 *
 * Transition state: three growing arrays (user, item, weight) of the raw
 * rows in the aggregate context, plus a copy of the options.  Partial
 * aggregation concatenates states (combine) and ships them as bytea
 * (serialize/deserialize).  The final function canonicalizes the rows
 * (sorted users, items, summed duplicates: the model does not depend on row
 * order or plan), trains with worker threads, and returns a
 * nfrec.als_model in the frozen layout of als_model.h.
 *
 * The backend thread does every palloc/ereport.  Worker threads run only
 * als.c code on buffers allocated here; the pool is destroyed (workers
 * joined) in PG_FINALLY, so an error or cancel never leaves a thread behind
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
#include "pgutil.h"


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
ParseOptions(Jsonb *jb, AlsOptions *o)
{
	AlsOptionTarget t;

	*o = AlsDefaults;
	o->threads = DefaultThreads();
	if (jb == NULL)
		return;
	t.o = *o;
	t.solver = o->p.solver == ALS_SOLVER_CG ? 0 : 1;
	t.scaling = o->p.frequency_scaling ? 1 : 0;
	nf_parse_options(jb, "als_train", AlsOptionTable, lengthof(AlsOptionTable), &t);
	*o = t.o;
	o->p.solver = t.solver == 0 ? ALS_SOLVER_CG : ALS_SOLVER_CHOLESKY;
	o->p.frequency_scaling = t.scaling == 1;
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
/* Transition state                                                    */
/* ------------------------------------------------------------------ */

typedef struct AlsTransState
{
	int64		n;				/* rows kept */
	int64		cap;
	int64	   *users;
	int64	   *items;
	double	   *weights;
	int64		nskipped;		/* rows with a NULL user, item or weight */
	Jsonb	   *options;		/* copy of the options argument, or NULL */
	bool		options_set;	/* options seen (from a row or a combine) */
} AlsTransState;

/* Rows are indexed with int32 in the canonical matrix. */
#define ALS_MAX_ROWS	((int64) PG_INT32_MAX)

static AlsTransState *
NewState(MemoryContext cxt)
{
	return (AlsTransState *) MemoryContextAllocZero(cxt, sizeof(AlsTransState));
}

static void
Reserve(AlsTransState *st, MemoryContext cxt, int64 need)
{
	int64		cap;

	if (need <= st->cap)
		return;
	if (need > ALS_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many interactions for als_train"),
				 errdetail("At most %d rows can be aggregated.", PG_INT32_MAX)));
	cap = Max(st->cap * 2, 1024);
	cap = Max(cap, need);
	cap = Min(cap, ALS_MAX_ROWS);
	if (st->users == NULL)
	{
		st->users = MemoryContextAllocHuge(cxt, sizeof(int64) * cap);
		st->items = MemoryContextAllocHuge(cxt, sizeof(int64) * cap);
		st->weights = MemoryContextAllocHuge(cxt, sizeof(double) * cap);
	}
	else
	{
		st->users = repalloc_huge(st->users, sizeof(int64) * cap);
		st->items = repalloc_huge(st->items, sizeof(int64) * cap);
		st->weights = repalloc_huge(st->weights, sizeof(double) * cap);
	}
	st->cap = cap;
}

static bool
SameOptions(const Jsonb *a, const Jsonb *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

PG_FUNCTION_INFO_V1(als_train_trans);
Datum
als_train_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AlsTransState *st;
	double		w;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "als_train_trans called in non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (AlsTransState *) PG_GETARG_POINTER(0);
	if (st == NULL)
		st = NewState(aggcxt);

	if (PG_NARGS() > 4)
	{
		Jsonb	   *opt = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);

		if (!st->options_set)
		{
			AlsOptions	o;

			ParseOptions(opt, &o);	/* report bad options at once */
			if (opt)
			{
				st->options = MemoryContextAlloc(aggcxt, VARSIZE(opt));
				memcpy(st->options, opt, VARSIZE(opt));
			}
			st->options_set = true;
		}
		else if (!SameOptions(st->options, opt))
			nf_options_differ("als_train");
	}

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		st->nskipped++;
		PG_RETURN_POINTER(st);
	}
	w = PG_GETARG_FLOAT8(3);
	if (isnan(w) || isinf(w))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("als_train weight must be a finite number"),
				 errdetail("The row (user " INT64_FORMAT ", item " INT64_FORMAT ") has weight %s.",
						   PG_GETARG_INT64(1), PG_GETARG_INT64(2), float8out_internal(w))));
	if (st->n >= st->cap)
		Reserve(st, aggcxt, st->n + 1);
	st->users[st->n] = PG_GETARG_INT64(1);
	st->items[st->n] = PG_GETARG_INT64(2);
	st->weights[st->n] = w;
	st->n++;
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(als_train_combine);
Datum
als_train_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AlsTransState *s1,
			   *s2;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "als_train_combine called in non-aggregate context");
	s1 = PG_ARGISNULL(0) ? NULL : (AlsTransState *) PG_GETARG_POINTER(0);
	s2 = PG_ARGISNULL(1) ? NULL : (AlsTransState *) PG_GETARG_POINTER(1);
	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = NewState(aggcxt);

	if (s2->options_set)
	{
		if (!s1->options_set)
		{
			if (s2->options)
			{
				s1->options = MemoryContextAlloc(aggcxt, VARSIZE(s2->options));
				memcpy(s1->options, s2->options, VARSIZE(s2->options));
			}
			s1->options_set = true;
		}
		else if (!SameOptions(s1->options, s2->options))
			nf_options_differ("als_train");
	}
	if (s2->n > 0)
	{
		Reserve(s1, aggcxt, s1->n + s2->n);
		memcpy(s1->users + s1->n, s2->users, sizeof(int64) * s2->n);
		memcpy(s1->items + s1->n, s2->items, sizeof(int64) * s2->n);
		memcpy(s1->weights + s1->n, s2->weights, sizeof(double) * s2->n);
		s1->n += s2->n;
	}
	s1->nskipped += s2->nskipped;
	PG_RETURN_POINTER(s1);
}

/* Serialized state: header, options bytes (padded to 8), three arrays. */
#define ALS_STATE_MAGIC 0x414C5354	/* "ALST" */

typedef struct AlsStateWire
{
	uint32		magic;
	int32		options_len;	/* -1: options not set, 0: NULL options */
	int64		n;
	int64		nskipped;
} AlsStateWire;

PG_FUNCTION_INFO_V1(als_train_serialize);
Datum
als_train_serialize(PG_FUNCTION_ARGS)
{
	AlsTransState *st = (AlsTransState *) PG_GETARG_POINTER(0);
	AlsStateWire hdr;
	Size		optbytes,
				size;
	bytea	   *out;
	char	   *p;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "als_train_serialize called in non-aggregate context");
	hdr.magic = ALS_STATE_MAGIC;
	hdr.options_len = !st->options_set ? -1 : st->options ? (int32) VARSIZE(st->options) : 0;
	hdr.n = st->n;
	hdr.nskipped = st->nskipped;
	optbytes = hdr.options_len > 0 ? ALS_ALIGN8((Size) hdr.options_len) : 0;
	size = VARHDRSZ + sizeof(hdr) + optbytes + (Size) st->n * (2 * sizeof(int64) + sizeof(double));
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("als_train partial state of " INT64_FORMAT " rows is too large to pass between parallel workers", st->n),
				 errhint("Disable parallel query for this statement: SET max_parallel_workers_per_gather = 0.")));
	out = (bytea *) palloc0(size);
	SET_VARSIZE(out, size);
	p = VARDATA(out);
	memcpy(p, &hdr, sizeof(hdr));
	p += sizeof(hdr);
	if (hdr.options_len > 0)
		memcpy(p, st->options, hdr.options_len);
	p += optbytes;
	memcpy(p, st->users, sizeof(int64) * st->n);
	p += sizeof(int64) * st->n;
	memcpy(p, st->items, sizeof(int64) * st->n);
	p += sizeof(int64) * st->n;
	memcpy(p, st->weights, sizeof(double) * st->n);
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(als_train_deserialize);
Datum
als_train_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(in);
	Size		len = VARSIZE_ANY_EXHDR(in);
	AlsStateWire hdr;
	AlsTransState *st;
	Size		optbytes;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "als_train_deserialize called in non-aggregate context");
	if (len < sizeof(hdr))
		elog(ERROR, "invalid als_train partial state");
	memcpy(&hdr, p, sizeof(hdr));
	p += sizeof(hdr);
	optbytes = hdr.options_len > 0 ? ALS_ALIGN8((Size) hdr.options_len) : 0;
	if (hdr.magic != ALS_STATE_MAGIC || hdr.n < 0 || hdr.n > ALS_MAX_ROWS ||
		hdr.options_len < -1 ||
		len != sizeof(hdr) + optbytes + (Size) hdr.n * (2 * sizeof(int64) + sizeof(double)))
		elog(ERROR, "invalid als_train partial state");

	st = NewState(CurrentMemoryContext);
	st->nskipped = hdr.nskipped;
	st->options_set = hdr.options_len >= 0;
	if (hdr.options_len > 0)
	{
		st->options = palloc(hdr.options_len);
		memcpy(st->options, p, hdr.options_len);
	}
	p += optbytes;
	if (hdr.n > 0)
	{
		Reserve(st, CurrentMemoryContext, hdr.n);
		memcpy(st->users, p, sizeof(int64) * hdr.n);
		p += sizeof(int64) * hdr.n;
		memcpy(st->items, p, sizeof(int64) * hdr.n);
		p += sizeof(int64) * hdr.n;
		memcpy(st->weights, p, sizeof(double) * hdr.n);
		st->n = hdr.n;
	}
	PG_RETURN_POINTER(st);
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
ChooseFromData(const AlsTransState *st, AlsOptions *opt, const AlsRaw *raw,
			   int32 nusers, int32 nitems, int64 nnz, char **optjson)
{
	static const char *const keys[] = {"factors", "alpha", "regularization"};
	StringInfoData chosen;
	double		wsum;
	int			which = 0;

	for (int j = 0; j < 3; j++)
	{
		JsonbValue *v = st->options == NULL ? NULL :
			getKeyJsonValueFromContainer(&st->options->root, keys[j], strlen(keys[j]), NULL);

		/* absent or a JSON null (which keeps the default) */
		if (v == NULL || v->type == jbvNull)
			which |= 1 << j;	/* ALS_DEFAULT_FACTORS, _ALPHA, _REGULARIZATION */
	}
	wsum = als_abs_sum(raw->weights, raw->n);	/* independent of row order */
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
				(errmsg("als_train: options chosen from the data: factors %d, alpha %g, regularization %g",
						opt->p.factors, opt->p.alpha, opt->p.regularization),
				 errdetail("The rule of doc/alstrain.md chose %s for %d users, %d titles, " INT64_FORMAT " events and a mean weight of %g.",
						   chosen.data, nusers, nitems, nnz, nnz > 0 ? wsum / nnz : 0.0)));
}

PG_FUNCTION_INFO_V1(als_train_final);
Datum
als_train_final(PG_FUNCTION_ARGS)
{
	AlsTransState *st = PG_ARGISNULL(0) ? NULL : (AlsTransState *) PG_GETARG_POINTER(0);
	double		t0 = Now();
	AlsOptions	opt;
	AlsRun		run;
	AlsHooks	hooks;
	AlsRaw		raw;
	AlsCanonWork cw;
	AlsData		d;
	AlsResult	res;
	AlsModelHeader shape;
	AlsModelHeader *m;
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
				size;
	int64		nnz,
				bad_row;
	void	   *work;
	AlsPool    *volatile pool = NULL;
	const char *problem;

	if (st == NULL || st->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train an ALS model without interactions"),
				 (st != NULL && st->nskipped > 0) ?
				 errdetail("All " INT64_FORMAT " input rows have a NULL user_id, item_id or weight.", st->nskipped) :
				 errdetail("The input has no rows.")));
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
	raw.n = st->n;
	raw.users = st->users;
	raw.items = st->items;
	raw.weights = st->weights;
	cw.key0 = HugeAlloc(als_canon_bytes_u64(raw.n));
	cw.key1 = HugeAlloc(als_canon_bytes_u64(raw.n));
	cw.val0 = HugeAlloc(sizeof(uint32) * raw.n);
	cw.val1 = HugeAlloc(sizeof(uint32) * raw.n);
	cw.order = HugeAlloc(sizeof(int32) * raw.n);
	uidx = HugeAlloc(sizeof(int32) * raw.n);
	iidx = HugeAlloc(sizeof(int32) * raw.n);

	memset(&shape, 0, sizeof(shape));
	shape.nusers = als_canon_ids(raw.n, raw.users, &cw, uidx, &sorted, &hooks);
	user_ids = HugeAlloc(sizeof(int64) * shape.nusers);
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
	size = offsetof(AlsModelHeader, data) + als_data_size(&shape);
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("ALS model would be too large (%zu bytes)", size),
				 errdetail("%d users, %d titles, " INT64_FORMAT " interactions and %d factors do not fit in one 1 GB value.",
						   shape.nusers, shape.nitems, nnz, shape.factors),
				 errhint("Use fewer factors or train on fewer interactions.")));
	m = (AlsModelHeader *) MemoryContextAllocZero(callcxt, size);
	memcpy(m, &shape, offsetof(AlsModelHeader, data));
	SET_VARSIZE(m, size);
	strcpy((char *) ALS_OPTIONS(m), optjson);
	memcpy(ALS_USER_IDS(m), user_ids, sizeof(int64) * shape.nusers);
	memcpy(ALS_ITEM_IDS(m), item_ids, sizeof(int64) * shape.nitems);

	if (als_canon_build(&raw, uidx, iidx, &cw, ALS_USER_PTR(m), ALS_EV_ITEM(m),
						ALS_EV_WEIGHT(m), &bad_row) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("summed weight of user " INT64_FORMAT " and item " INT64_FORMAT " is out of range",
						raw.users[bad_row], raw.items[bad_row]),
				 errdetail("Summed weights must be finite and at most %g in absolute value.", (double) FLT_MAX)));
	/* training computes the confidence 1 + alpha |w| in real */
	for (int32 u = 0; u < shape.nusers; u++)
		for (int64 e = ALS_USER_PTR(m)[u]; e < ALS_USER_PTR(m)[u + 1]; e++)
			if (opt.p.alpha * fabs((double) ALS_EV_WEIGHT(m)[e]) > FLT_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("confidence of user " INT64_FORMAT " and item " INT64_FORMAT " is out of range for type real",
								ALS_USER_IDS(m)[u], ALS_ITEM_IDS(m)[ALS_EV_ITEM(m)[e]]),
						 errdetail("alpha %g times the absolute summed weight %g exceeds %g.",
								   opt.p.alpha, fabs((double) ALS_EV_WEIGHT(m)[e]), (double) FLT_MAX),
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
	als_transpose(shape.nusers, shape.nitems, ALS_USER_PTR(m), ALS_EV_ITEM(m),
				  ALS_EV_WEIGHT(m), item_ptr, ev_user, ev_weight_t);
	item_count = ALS_ITEM_COUNT(m);
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
	d.user_ids = ALS_USER_IDS(m);
	d.item_ids = ALS_ITEM_IDS(m);
	d.user_ptr = ALS_USER_PTR(m);
	d.user_items = ALS_EV_ITEM(m);
	d.user_w = ALS_EV_WEIGHT(m);
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
	PG_TRY();
	{
		if (opt.threads > 1)
		{
			pool = als_pool_create(opt.threads);
			if (pool == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
						 errmsg("could not start %d training threads: %m", opt.threads),
						 errhint("Try a smaller \"threads\" option.")));
		}
		als_train(&d, &opt.p, pool, &hooks, work,
				  ALS_USER_FACTORS(m), ALS_ITEM_FACTORS(m), &res);
	}
	PG_FINALLY();
	{
		als_pool_destroy(pool);
	}
	PG_END_TRY();

	m->loss = res.loss;
	m->iterations = res.iterations;
	m->train_seconds = Now() - t0;
	m->trained_at = GetCurrentTimestamp();
	if (opt.verbose)
		ereport(NOTICE,
				(errmsg("als_train done: loss %.7g, %.3f s in all",
						res.loss, m->train_seconds)));

	MemoryContextSwitchTo(callcxt);
	MemoryContextDelete(workcxt);

	/* a model value holds finite numbers only (als_model.c checks on input) */
	{
		const float *X = ALS_USER_FACTORS(m),
				   *Y = ALS_ITEM_FACTORS(m);
		bool		finite = isfinite(m->loss);

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
	problem = als_model_check(m, VARSIZE(m));
	if (problem)
		elog(ERROR, "als_train built an invalid model: %s", problem);
	PG_RETURN_POINTER(m);
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
