/*
 * ease_sql.c -- SQL glue of EASE (ease.h): the nfrec.ease_train aggregate,
 * the nfrec.ease_model type, model_info and the registry's row forms.
 *
 * Transition state: the raw (user, title, weight) rows, as in als_train,
 * so partial aggregation (combine, serialize) is a concatenation and the
 * model does not depend on row order or plan.  The final function
 * canonicalizes the rows with als.c's code (users and titles sorted,
 * duplicate pairs summed), refuses more titles than max_titles, builds the
 * Gram matrix of the binarized events in the backend (interrupts checked
 * between user blocks) and inverts it in one helper thread: LAPACK cannot
 * be interrupted, so the backend waits for the thread and checks for
 * interrupts every 100 ms.  On a cancel the backend leaves at once and the
 * thread, which owns its one buffer (malloc'd, never touched by the
 * backend afterwards), finishes the solve and frees it; the thread never
 * calls PostgreSQL.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "common/shortest_dec.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "als.h"
#include "ease.h"
#include "model.h"
#include "model_value.h"
#include "pgutil.h"
#include "triples.h"

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

typedef struct EaseOptions
{
	double		lambda;
	int			max_titles;
	bool		verbose;
} EaseOptions;

/* the options of ease_train, parsed by the one option parser (pgutil.h) */
static const NfOption EaseOptionTable[] = {
	{"lambda", NF_OPT_REAL, 0.0, 1e9, true, NULL, offsetof(EaseOptions, lambda)},
	{"max_titles", NF_OPT_INT32, 1, EASE_HARD_MAX_TITLES, false, NULL, offsetof(EaseOptions, max_titles)},
	{"verbose", NF_OPT_BOOL, 0, 0, false, NULL, offsetof(EaseOptions, verbose)},
};

static void
EaseParseOptions(Jsonb *jb, EaseOptions *o)
{
	o->lambda = EASE_DEFAULT_LAMBDA;
	o->max_titles = EASE_DEFAULT_MAX_TITLES;
	o->verbose = true;
	if (jb != NULL)
		nf_parse_options(jb, "ease_train", EaseOptionTable, lengthof(EaseOptionTable), o);
}

/* The options that shape the model, as stored in it (verbose left out). */
static char *
EaseOptionsJson(const EaseOptions *o)
{
	return psprintf("{\"lambda\": %s, \"max_titles\": %d, \"binarize\": true}",
					double_to_shortest_decimal(o->lambda), o->max_titles);
}

/* ------------------------------------------------------------------ */
/* Transition state: the raw rows (triples.h)                          */
/* ------------------------------------------------------------------ */

static void
EaseCheckOptions(Jsonb *opt)
{
	EaseOptions o;

	EaseParseOptions(opt, &o);
}

static void EaseOptionsDiffer(void) pg_attribute_noreturn();

static void
EaseOptionsDiffer(void)
{
	nf_options_differ("ease_train");
}

static const NfTriplesKind EaseRows = {
	.agg = "ease_train",
	.item = "title",
	.item_column = "title_id",
	.model = "EASE",
	.magic = 0x45415354,		/* "EAST" */
	.check_options = EaseCheckOptions,
	.options_differ = EaseOptionsDiffer,
};

/* ease_train_trans, ease_train_combine, ease_train_serialize, ease_train_deserialize */
NF_TRIPLES_SUPPORT(ease_train, EaseRows);

/* ------------------------------------------------------------------ */
/* The solve in a helper thread                                        */
/* ------------------------------------------------------------------ */

/*
 * Shared by the backend and the thread (malloc'd: it may outlive the
 * call).  Whoever comes last frees G and the job: the thread when the
 * backend abandoned it (error or cancel), else the backend.
 */
typedef struct EaseJob
{
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int			n;
	double		lambda;
	double	   *G;
	int			info;
	bool		done;
	bool		abandoned;
} EaseJob;

static void
EaseJobFree(EaseJob *job)
{
	free(job->G);
	pthread_mutex_destroy(&job->mu);
	pthread_cond_destroy(&job->cv);
	free(job);
}

static void *
EaseThread(void *arg)
{
	EaseJob    *job = arg;
	int			info = ease_solve(job->n, job->lambda, job->G);
	bool		abandoned;

	pthread_mutex_lock(&job->mu);
	job->info = info;
	job->done = true;
	abandoned = job->abandoned;
	pthread_cond_signal(&job->cv);
	pthread_mutex_unlock(&job->mu);
	if (abandoned)
		EaseJobFree(job);
	return NULL;
}

static double
EaseNow(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
EasePoll(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * Start the solve of job->G; wait for it, checking for interrupts.  On an
 * error the job is freed (thread not started) or left to the thread.
 */
static void
EaseRunSolve(EaseJob *job)
{
	pthread_t	th;
	sigset_t	all,
				old;
	int			rc;

	/* the thread inherits a mask that blocks every signal */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&th, NULL, EaseThread, job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
	{
		EaseJobFree(job);
		errno = rc;
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the ease_train solver thread: %m")));
	}
	pthread_detach(th);

	pthread_mutex_lock(&job->mu);
	while (!job->done)
	{
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100 * 1000 * 1000;
		if (until.tv_nsec >= 1000 * 1000 * 1000)
		{
			until.tv_sec++;
			until.tv_nsec -= 1000 * 1000 * 1000;
		}
		pthread_cond_timedwait(&job->cv, &job->mu, &until);
		if (job->done)
			break;
		pthread_mutex_unlock(&job->mu);
		PG_TRY();
		{
			CHECK_FOR_INTERRUPTS();
		}
		PG_CATCH();
		{
			pthread_mutex_lock(&job->mu);
			if (job->done)
			{
				pthread_mutex_unlock(&job->mu);
				EaseJobFree(job);
			}
			else
			{
				job->abandoned = true;
				pthread_mutex_unlock(&job->mu);
			}
			PG_RE_THROW();
		}
		PG_END_TRY();
		pthread_mutex_lock(&job->mu);
	}
	pthread_mutex_unlock(&job->mu);
}

/* ------------------------------------------------------------------ */
/* Final function                                                      */
/* ------------------------------------------------------------------ */

static char *
EaseMegabytes(double bytes)
{
	return psprintf("%.0f MB", ceil(bytes / (1024.0 * 1024.0)));
}

PG_FUNCTION_INFO_V1(ease_train_final);
Datum
ease_train_final(PG_FUNCTION_ARGS)
{
	NfTriples  *st = nf_triples_final_state(fcinfo, &EaseRows);
	double		t0 = EaseNow();
	EaseOptions opt;
	AlsHooks	hooks = {0};
	AlsRaw		raw;
	AlsCanonWork cw;
	EaseModelHeader shape;
	EaseModelHeader *m;
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext workcxt;
	int32	   *uidx,
			   *iidx;
	const int64 *sorted;
	int64	   *user_ids,
			   *item_ids;
	int64		nnz;
	char	   *optjson;
	Size		size;
	int			n;
	EaseJob    *volatile job = NULL;
	double		t_gram,
				t_solve;

	EaseParseOptions(st->options, &opt);
	if (st->nskipped > 0)
		ereport(NOTICE,
				(errmsg("ease_train skipped " INT64_FORMAT " of " INT64_FORMAT " rows with a NULL user_id, title_id or weight",
						st->nskipped, st->nskipped + st->n)));
	hooks.poll = EasePoll;

	workcxt = AllocSetContextCreate(CurrentMemoryContext, "ease_train",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(workcxt);

	/* canonical matrix, exactly as als_train builds it */
	nf_triples_canon_start(st, &raw, &cw, &uidx, &iidx);

	memset(&shape, 0, sizeof(shape));
	shape.nitems = als_canon_ids(raw.n, raw.items, &cw, iidx, &sorted, &hooks);
	n = shape.nitems;
	if (n > opt.max_titles)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many titles for ease_train: %d, the limit is %d", n, opt.max_titles),
				 errdetail("EASE inverts a titles x titles matrix: %d titles need about %s of memory to train (the Gram matrix in double precision and the model) and make a model of about %s.",
						   n, EaseMegabytes(12.0 * n * n), EaseMegabytes(4.0 * n * n)),
				 opt.max_titles < EASE_HARD_MAX_TITLES && n <= EASE_HARD_MAX_TITLES ?
				 errhint("Raise the option max_titles (at most %d) if the server has the memory, or train on the most watched titles only.", EASE_HARD_MAX_TITLES) :
				 errhint("Train on the most watched titles only (at most %d), or use nfrec.als_train.", EASE_HARD_MAX_TITLES)));
	item_ids = palloc(sizeof(int64) * n);
	memcpy(item_ids, sorted, sizeof(int64) * n);
	shape.nusers = als_canon_ids(raw.n, raw.users, &cw, uidx, &sorted, &hooks);
	user_ids = MemoryContextAllocHuge(workcxt, sizeof(int64) * shape.nusers);
	memcpy(user_ids, sorted, sizeof(int64) * shape.nusers);
	nnz = als_canon_order(raw.n, uidx, shape.nusers, iidx, n, &cw, &hooks);

	optjson = EaseOptionsJson(&opt);
	shape.magic = EASE_MODEL_MAGIC;
	shape.version = EASE_MODEL_VERSION;
	shape.nevents = nnz;
	shape.options_len = (int32) EASE_ALIGN8(strlen(optjson) + 1);
	shape.lambda = opt.lambda;
	size = offsetof(EaseModelHeader, data) + ease_data_size(&shape);
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("EASE model would be too large (%zu bytes)", size),
				 errdetail("%d users, %d titles and " INT64_FORMAT " interactions do not fit in one 1 GB value.",
						   shape.nusers, n, nnz),
				 errhint("Train on fewer titles or fewer interactions.")));
	m = (EaseModelHeader *) MemoryContextAllocHuge(callcxt, size);
	memset(m, 0, offsetof(EaseModelHeader, data) + ease_off_b(&shape));
	memcpy(m, &shape, offsetof(EaseModelHeader, data));
	SET_VARSIZE(m, size);
	strcpy((char *) EASE_OPTIONS(m), optjson);
	memcpy(EASE_USER_IDS(m), user_ids, sizeof(int64) * shape.nusers);
	memcpy(EASE_ITEM_IDS(m), item_ids, sizeof(int64) * n);
	nf_triples_canon_build(&raw, uidx, iidx, &cw, EASE_USER_PTR(m), EASE_EV_ITEM(m),
						   EASE_EV_WEIGHT(m), &EaseRows);
	MemoryContextSwitchTo(callcxt);
	MemoryContextDelete(workcxt);

	/* popularity: training users with a positive weight, as in als_train */
	{
		const int64 *ptr = EASE_USER_PTR(m);
		const int32 *evi = EASE_EV_ITEM(m);
		const float *evw = EASE_EV_WEIGHT(m);
		float	   *cnt = EASE_ITEM_COUNT(m);

		for (int64 e = 0; e < ptr[shape.nusers]; e++)
			if (evw[e] > 0.0f)
				cnt[evi[e]] += 1.0f;
	}
	if (opt.verbose)
		ereport(NOTICE,
				(errmsg("ease_train: %d users, %d titles, " INT64_FORMAT " interactions, lambda %g (%.3f s to prepare)",
						shape.nusers, n, nnz, opt.lambda, EaseNow() - t0)));

	/* the Gram matrix: thread-owned memory from here on */
	job = calloc(1, sizeof(EaseJob));
	if (job != NULL)
		job->G = calloc((Size) n * n, sizeof(double));
	if (job == NULL || job->G == NULL)
	{
		if (job)
			free(job);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("ease_train needs %s for the Gram matrix of %d titles.",
						   EaseMegabytes(8.0 * n * n), n)));
	}
	pthread_mutex_init(&job->mu, NULL);
	pthread_cond_init(&job->cv, NULL);
	job->n = n;
	job->lambda = opt.lambda;
	PG_TRY();
	{
		const int64 *ptr = EASE_USER_PTR(m);

		for (int32 u = 0; u < shape.nusers; u += 256)
		{
			CHECK_FOR_INTERRUPTS();
			ease_gram_users(n, ptr, EASE_EV_ITEM(m), EASE_EV_WEIGHT(m),
							u, Min(u + 256, shape.nusers), job->G);
		}
	}
	PG_CATCH();
	{
		EaseJobFree(job);
		PG_RE_THROW();
	}
	PG_END_TRY();
	t_gram = EaseNow();

	EaseRunSolve(job);			/* on error, the job is gone */
	t_solve = EaseNow();
	PG_TRY();
	{
		float	   *B = EASE_B(m);

		if (job->info != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("could not invert the regularized Gram matrix: LAPACK info %d", job->info),
					 errdetail("With lambda %g the matrix should be positive definite; rounding broke it.", opt.lambda),
					 errhint("Use a larger lambda.")));
		for (int i = 0; i < n; i++)
		{
			const double *g = job->G + (Size) i * n;
			float	   *b = B + (Size) i * n;

			if ((i & 255) == 0)
				CHECK_FOR_INTERRUPTS();
			for (int j = 0; j < n; j++)
			{
				b[j] = (float) g[j];
				if (!isfinite(b[j]))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("EASE weight of titles " INT64_FORMAT " and " INT64_FORMAT " is out of range for type real",
									EASE_ITEM_IDS(m)[i], EASE_ITEM_IDS(m)[j]),
							 errhint("Use a larger lambda.")));
			}
		}
	}
	PG_FINALLY();
	{
		EaseJobFree(job);
	}
	PG_END_TRY();

	m->train_seconds = EaseNow() - t0;
	m->trained_at = GetCurrentTimestamp();
	if (opt.verbose)
		ereport(NOTICE,
				(errmsg("ease_train done: Gram matrix %.3f s, inverse %.3f s, %.3f s in all",
						t_gram - t0, t_solve - t_gram, m->train_seconds)));
	PG_RETURN_POINTER(m);
}

/* ------------------------------------------------------------------ */
/* The type                                                            */
/* ------------------------------------------------------------------ */

static EaseModelHeader *
EaseUntrusted(bytea *raw, int code)
{
	const char *problem = ease_model_check((EaseModelHeader *) raw, VARSIZE(raw));

	if (problem != NULL)
		ereport(ERROR,
				(errcode(code),
				 errmsg("invalid nfrec.ease_model value: %s", problem)));
	return (EaseModelHeader *) raw;
}

static void
nf_ease_validate(const EaseModelHeader *m)
{
	EaseUntrusted((bytea *) m, ERRCODE_DATA_CORRUPTED);
}

PG_FUNCTION_INFO_V1(ease_model_in);
Datum
ease_model_in(PG_FUNCTION_ARGS)
{
	bytea	   *raw = nf_model_text_in(PG_GETARG_CSTRING(0), "nfrec.ease_model");

	PG_RETURN_POINTER(EaseUntrusted(raw, ERRCODE_INVALID_TEXT_REPRESENTATION));
}

PG_FUNCTION_INFO_V1(ease_model_out);
Datum
ease_model_out(PG_FUNCTION_ARGS)
{
	EaseModelHeader *m = PG_GETARG_EASEMODEL_P(0);

	PG_RETURN_CSTRING(nf_model_text_out((bytea *) m, "nfrec.ease_model"));
}

PG_FUNCTION_INFO_V1(ease_model_recv);
Datum
ease_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	bytea	   *raw = nf_model_recv(buf, "nfrec.ease_model");

	PG_RETURN_POINTER(EaseUntrusted(raw, ERRCODE_INVALID_BINARY_REPRESENTATION));
}

PG_FUNCTION_INFO_V1(ease_model_send);
Datum
ease_model_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(nf_model_send(PG_GETARG_DATUM(0)));
}

PG_FUNCTION_INFO_V1(ease_model_info);
Datum
ease_model_info(PG_FUNCTION_ARGS)
{
	EaseModelHeader *m = PG_GETARG_EASEMODEL_P(0);
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s,
					 "{\"kind\": \"ease\", \"users\": %d, \"titles\": %d, \"events\": " INT64_FORMAT
					 ", \"bytes\": %zu, \"lambda\": %s, \"train_seconds\": %s",
					 m->nusers, m->nitems, m->nevents, (Size) VARSIZE(m),
					 double_to_shortest_decimal(m->lambda),
					 double_to_shortest_decimal(m->train_seconds));
	if (m->trained_at != 0)
		appendStringInfo(&s, ", \"trained_at\": \"%s\"",
						 timestamptz_to_str((TimestampTz) m->trained_at));
	else
		appendStringInfoString(&s, ", \"trained_at\": null");
	appendStringInfo(&s, ", \"options\": %s}", EASE_OPTIONS(m));
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}

/* ------------------------------------------------------------------ */
/* Row forms for the registry                                          */
/* ------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(ease_store_row);
Datum
ease_store_row(PG_FUNCTION_ARGS)
{
	EaseModelHeader *m = PG_GETARG_EASEMODEL_P(0);
	Datum		values[10];
	bool		nulls[10] = {0};

	nf_ease_validate(m);
	values[0] = Int32GetDatum(m->nusers);
	values[1] = Int32GetDatum(m->nitems);
	values[2] = Int64GetDatum(m->nevents);
	values[3] = Float8GetDatum(m->lambda);
	values[4] = Float8GetDatum(m->train_seconds);
	nf_model_row_tail(values + 5, nulls + 5, EASE_OPTIONS(m), EASE_ITEM_IDS(m),
					  EASE_ITEM_COUNT(m), EASE_B(m), m->nitems, m->nitems,
					  m->trained_at);
	PG_RETURN_DATUM(nf_model_row(fcinfo, values, nulls));
}

PG_FUNCTION_INFO_V1(ease_user_rows);
Datum
ease_user_rows(PG_FUNCTION_ARGS)
{
	EaseModelHeader *m = PG_GETARG_EASEMODEL_P(0);

	nf_ease_validate(m);
	/* no user factors */
	nf_model_user_rows(fcinfo, m->nusers, EASE_USER_IDS(m), EASE_ITEM_IDS(m),
					   EASE_USER_PTR(m), EASE_EV_ITEM(m), EASE_EV_WEIGHT(m),
					   NULL, 0);
	return (Datum) 0;
}
