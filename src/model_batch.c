/*
 * model_batch.c -- nfrec._recommend_batch: the top-n list of every trained
 * user of a deployed model in one pass, for the dashboards' recommendations
 * table (nfrec.refresh, src/sql/80_dashboards.sql).
 *
 * The users and their training events are read from nfrec.model_users in
 * user_id order through a cursor, a block of users at a time; batch.c
 * scores the block with one matrix product against the cached title side
 * (nf_model_acquire: the same cache and version as recommend_for), skips
 * each user's training titles, selects the top n with topk.c and picks a
 * reason per title.  A user the model was trained on gets exactly the list
 * recommend_for gives from the trained vector (same exclusion, same tie
 * order); events after training (the bound events relation, fold-in) are
 * not read: the table is a snapshot of the model as trained.  A worker
 * thread shares the selection (see Slot below).
 *
 * Rights: model_users is read with the caller's rights (the extension
 * owner, who runs nfrec.refresh), unlike the serving functions, which read
 * the registry as its owner; EXECUTE is revoked from PUBLIC.
 */
#include "postgres.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "batch.h"
#include "model.h"

/* longest list: n beyond this is refused (a dashboard shows a few dozen) */
#define BATCH_MAX_N			1000
/* users per block, fewer for a large catalog (each of the two blocks in
 * flight keeps its scores within 64 MB) */
#define BATCH_USERS			256
#define BATCH_MAX_SCORES	((Size) 16 * 1024 * 1024)

static double
Now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
BadModelUsers(const char *name, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("deployed model data is invalid: %s", what),
			 errdetail("A row of nfrec.model_users for model \"%s\" does not match the model.", name),
			 errhint("Redeploy the model with nfrec.deploy().")));
}

/* A bigint[] of the titles of rows[] (row -1: a NULL element). */
static ArrayType *
TitleArray(const ServeModel *sm, const int32 *rows, int n, Datum *dv, bool *nv)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};
	bool		anynull = false;

	for (int j = 0; j < n; j++)
	{
		nv[j] = rows[j] < 0;
		anynull |= nv[j];
		dv[j] = nv[j] ? (Datum) 0 : Int64GetDatum(sm->item_ids[rows[j]]);
	}
	return construct_md_array(dv, anynull ? nv : NULL, 1, dims, lbs,
							  INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * Two blocks are in flight: while a worker thread runs batch_select on one
 * (pure C on plain buffers: no PostgreSQL call, no BLAS), the backend
 * reads the next one through SPI and scores it with cblas_sgemm (BLAS
 * only ever runs in the backend thread: Debian's serial OpenBLAS takes no
 * locks), then joins in the selection of the first (both take chunks of
 * users from a shared counter), and emits its rows.  The worker is joined
 * before anything that can throw, and on the error path.
 */
#define SELECT_CHUNK	8

typedef struct Slot
{
	BatchBlock	b;
	int64	   *uids;
	uint8	   *seen;			/* the worker's scratch */
	float	   *runmax;
	MemoryContext cxt;			/* the block's detoasted arrays */
	const BatchModel *bm;
	uint32		next;			/* next user to select (atomic) */
	pthread_t	thread;
	bool		running;
} Slot;

/* Select chunks of users of s until none is left (any thread). */
static void
SelectChunks(Slot *s, uint8 *seen, float *runmax)
{
	for (;;)
	{
		uint32		from = __atomic_fetch_add(&s->next, SELECT_CHUNK, __ATOMIC_RELAXED);

		if (from >= (uint32) s->b.nusers)
			return;
		batch_select(s->bm, &s->b, (int) from,
					 (int) Min(from + SELECT_CHUNK, (uint32) s->b.nusers), seen, runmax);
	}
}

static void *
SelectThread(void *arg)
{
	Slot	   *s = arg;

	SelectChunks(s, s->seen, s->runmax);
	return NULL;
}

static void
StartSelect(Slot *s)
{
	sigset_t	all,
				old;

	s->next = 0;
	if (s->b.nusers <= SELECT_CHUNK)
		return;					/* the backend selects it in FinishSelect */
	/*
	 * The worker starts with every signal blocked, so PostgreSQL's handlers
	 * (cancel, latch) only ever run in the backend thread.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	s->running = pthread_create(&s->thread, NULL, SelectThread, s) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* no thread: the backend selects it all in FinishSelect */
}

static void JoinSelect(Slot *s);

/* The backend's share of the selection, then wait for the worker. */
static void
FinishSelect(Slot *s, uint8 *seen, float *runmax)
{
	SelectChunks(s, seen, runmax);
	JoinSelect(s);
}

static void
JoinSelect(Slot *s)
{
	if (s->running)
	{
		pthread_join(s->thread, NULL);
		s->running = false;
	}
}

static void
InitSlot(Slot *s, const BatchModel *bm, int block, int k)
{
	memset(s, 0, sizeof(Slot));
	s->bm = bm;
	s->b.k = k;
	s->b.X = palloc(sizeof(float) * (Size) block * bm->factors);
	s->b.ev_ptr = palloc(sizeof(int32) * (block + 1));
	s->b.S = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(float) * (Size) block * bm->nitems);
	s->b.got = palloc(sizeof(int) * block);
	s->b.rows = palloc(sizeof(int32) * (Size) block * k);
	s->b.scores = palloc(sizeof(float) * (Size) block * k);
	s->b.reasons = palloc(sizeof(int32) * (Size) block * k);
	s->uids = palloc(sizeof(int64) * block);
	s->seen = palloc0(bm->nitems);
	s->runmax = palloc(sizeof(float) * (bm->nitems / 16 + 1));
	s->cxt = AllocSetContextCreate(CurrentMemoryContext, "nfrec batch block",
								   ALLOCSET_DEFAULT_SIZES);
}

/*
 * Read the next block of users from the cursor into s: vectors, and
 * training events as title rows.  Returns the number of users (0 at the
 * end).
 */
static int
FetchBlock(Portal portal, int block, const ServeModel *sm, Slot *s)
{
	SPITupleTable *tt;
	int			nb,
				f = sm->factors;
	int32		nev = 0;
	int32	   *ptr = (int32 *) s->b.ev_ptr;
	ArrayType **ta,
			  **wa;
	MemoryContext old;

	SPI_cursor_fetch(portal, true, block);
	tt = SPI_tuptable;
	nb = (int) SPI_processed;
	s->b.nusers = 0;
	if (nb == 0)
		return 0;

	MemoryContextReset(s->cxt);
	old = MemoryContextSwitchTo(s->cxt);
	ta = palloc(sizeof(ArrayType *) * nb);
	wa = palloc(sizeof(ArrayType *) * nb);
	ptr[0] = 0;
	for (int u = 0; u < nb; u++)
	{
		HeapTuple	tup = tt->vals[u];
		bool		isnull;
		ArrayType  *fa;
		int			ne;

		s->uids[u] = DatumGetInt64(SPI_getbinval(tup, tt->tupdesc, 1, &isnull));
		fa = DatumGetArrayTypeP(SPI_getbinval(tup, tt->tupdesc, 2, &isnull));
		if (isnull || ARR_NDIM(fa) != 1 || ARR_HASNULL(fa) ||
			ArrayGetNItems(1, ARR_DIMS(fa)) != f)
			BadModelUsers(sm->name, "user factors of the wrong shape");
		memcpy((float *) s->b.X + (Size) u * f, ARR_DATA_PTR(fa), sizeof(float) * f);
		ta[u] = DatumGetArrayTypeP(SPI_getbinval(tup, tt->tupdesc, 3, &isnull));
		wa[u] = DatumGetArrayTypeP(SPI_getbinval(tup, tt->tupdesc, 4, &isnull));
		ne = ARR_NDIM(ta[u]) == 0 ? 0 : ArrayGetNItems(ARR_NDIM(ta[u]), ARR_DIMS(ta[u]));
		if (ARR_NDIM(ta[u]) > 1 || ARR_HASNULL(ta[u]) || ARR_HASNULL(wa[u]) ||
			(ne == 0 ? ARR_NDIM(wa[u]) != 0 :
			 ARR_NDIM(wa[u]) != 1 || ArrayGetNItems(1, ARR_DIMS(wa[u])) != ne))
			BadModelUsers(sm->name, "training events of the wrong shape");
		if (ne > PG_INT32_MAX - nev)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many training events in one block of users")));
		nev += ne;
		ptr[u + 1] = nev;
	}
	s->b.ev_rows = palloc(sizeof(int32) * Max(nev, 1));
	s->b.ev_w = palloc(sizeof(float) * Max(nev, 1));
	for (int u = 0; u < nb; u++)
	{
		const int64 *tid = (const int64 *) ARR_DATA_PTR(ta[u]);
		const float *w = (const float *) ARR_DATA_PTR(wa[u]);
		int32	   *rows = (int32 *) s->b.ev_rows + ptr[u];
		float	   *ws = (float *) s->b.ev_w + ptr[u];
		int			ne = ptr[u + 1] - ptr[u];

		for (int j = 0; j < ne; j++)
		{
			int32		r = als_find_id(sm->item_ids, sm->nitems, tid[j]);

			if (r < 0)
				BadModelUsers(sm->name, "user event refers to an unknown title");
			if (j > 0 && r <= rows[j - 1])
				BadModelUsers(sm->name, "training titles are not ascending");
			rows[j] = r;
			ws[j] = w[j];
		}
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(tt);
	s->b.nusers = nb;
	return nb;
}

/* One row per user of a selected block (users with an empty list: none). */
static void
EmitBlock(Tuplestorestate *ts, TupleDesc tupdesc, const ServeModel *sm, Slot *s,
		  Datum name_d, Datum *dv, bool *nv)
{
	int			k = s->b.k;
	MemoryContext old = MemoryContextSwitchTo(s->cxt);

	for (int u = 0; u < s->b.nusers; u++)
	{
		Datum		values[6];
		bool		nulls[6] = {0};
		int			got = s->b.got[u];
		const int32 *rows = s->b.rows + (Size) u * k;

		if (got == 0)
			continue;			/* every title is in the user's training set */
		values[0] = Int64GetDatum(s->uids[u]);
		values[1] = PointerGetDatum(TitleArray(sm, rows, got, dv, nv));
		for (int j = 0; j < got; j++)
			dv[j] = Float4GetDatum(s->b.scores[(Size) u * k + j]);
		values[2] = PointerGetDatum(construct_array(dv, got, FLOAT4OID, 4, true, TYPALIGN_INT));
		values[3] = PointerGetDatum(TitleArray(sm, s->b.reasons + (Size) u * k, got, dv, nv));
		values[4] = name_d;
		values[5] = Int64GetDatum(sm->version);
		tuplestore_putvalues(ts, tupdesc, values, nulls);
	}
	MemoryContextSwitchTo(old);
	s->b.nusers = 0;
}

/* What one call works on, and where its time goes (DEBUG1). */
typedef struct BatchRun
{
	Tuplestorestate *ts;
	TupleDesc	tupdesc;
	ServeModel *sm;
	BatchModel	bm;
	Slot		slots[2];
	int			block;
	Portal		portal;
	Datum		name_d;
	Datum	   *dv;
	bool	   *nv;
	uint8	   *seen;			/* the backend's selection scratch */
	float	   *runmax;
	int64		users;
	double		t_read,
				t_gemm,
				t_wait,
				t_emit;
} BatchRun;

/* The pipeline (see Slot): read and score block i while block i-1 is selected. */
static void
ScoreAll(BatchRun *run)
{
	double		t0;

	for (int i = 0;; i++)
	{
		Slot	   *cur = &run->slots[i % 2],
				   *prev = &run->slots[(i + 1) % 2];
		int			nb;

		t0 = Now();
		nb = FetchBlock(run->portal, run->block, run->sm, cur);
		run->t_read += Now() - t0;
		t0 = Now();
		batch_scores(&run->bm, &cur->b);
		run->t_gemm += Now() - t0;

		t0 = Now();
		FinishSelect(prev, run->seen, run->runmax);
		run->t_wait += Now() - t0;
		t0 = Now();
		EmitBlock(run->ts, run->tupdesc, run->sm, prev, run->name_d, run->dv, run->nv);
		run->t_emit += Now() - t0;
		if (nb == 0)
			break;
		run->users += nb;
		CHECK_FOR_INTERRUPTS();
		StartSelect(cur);
	}
}

PG_FUNCTION_INFO_V1(recommend_batch);
Datum
recommend_batch(PG_FUNCTION_ARGS)
{
	BatchRun	run;
	int			n;
	char	   *mname;
	ServeModel *sm;
	int			f,
				k;
	SPIPlanPtr	plan;
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];
	double		t_start = Now();

	n = nf_check_n(fcinfo, 0, "n");
	if (n > BATCH_MAX_N)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be at most %d, not %d", BATCH_MAX_N, n),
				 errdetail("The batch stores a list of n titles for every user of the model.")));
	mname = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	memset(&run, 0, sizeof(run));
	run.ts = nf_begin_srf(fcinfo, &run.tupdesc);

	SPI_connect();
	sm = run.sm = nf_model_acquire(mname);
	/* the lists are products of user and item factors: EASE has none */
	if (sm->kind != NF_MODEL_ALS)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is not an ALS model", sm->name),
				 errdetail("Version " INT64_FORMAT " is an EASE model; the stored recommendations are computed from ALS factors.",
						   (int64) sm->version),
				 errhint("Refresh the recommendations with an ALS model (the model argument of nfrec.refresh), or call nfrec.recommend_for for an EASE model.")));
	f = sm->factors;
	k = Min(n, sm->nitems);
	run.block = (int) Max(1, Min((Size) BATCH_USERS, BATCH_MAX_SCORES / (Size) sm->nitems));
	run.name_d = CStringGetTextDatum(sm->name);

	run.bm.factors = f;
	run.bm.nitems = sm->nitems;
	run.bm.Y = sm->Y;
	run.bm.Yn = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(float) * (Size) sm->nitems * f);
	run.bm.has_dir = palloc(sm->nitems);
	batch_unit_rows(sm->Y, sm->nitems, f, (float *) run.bm.Yn, (uint8 *) run.bm.has_dir);
	InitSlot(&run.slots[0], &run.bm, run.block, k);
	InitSlot(&run.slots[1], &run.bm, run.block, k);
	run.dv = palloc(sizeof(Datum) * k);
	run.nv = palloc(sizeof(bool) * k);
	run.seen = palloc0(sm->nitems);
	run.runmax = palloc(sizeof(float) * (sm->nitems / 16 + 1));

	plan = SPI_prepare("SELECT user_id, factors, title_ids, weights FROM nfrec.model_users"
					   " WHERE version OPERATOR(pg_catalog.=) $1 ORDER BY user_id",
					   1, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	args[0] = Int64GetDatum(sm->version);
	run.portal = SPI_cursor_open(NULL, plan, args, NULL, true);

	PG_TRY();
	{
		ScoreAll(&run);
	}
	PG_CATCH();
	{
		/* the worker must not outlive the buffers it writes */
		JoinSelect(&run.slots[0]);
		JoinSelect(&run.slots[1]);
		PG_RE_THROW();
	}
	PG_END_TRY();

	elog(DEBUG1, "nfrec: batch of " INT64_FORMAT " users in %.3f s: read %.3f s, scores %.3f s, selection %.3f s, rows %.3f s",
		 run.users, Now() - t_start, run.t_read, run.t_gemm, run.t_wait, run.t_emit);
	SPI_cursor_close(run.portal);
	SPI_finish();
	return (Datum) 0;
}
