/*
 * model_train.c -- the C half of CALL nfrec.train(name, events, options):
 * train ALS on a relation's rows without building an nfrec.als_model
 * value, so the model is bounded by memory, not by the 1 GB of one value.
 * SQL glue.
 *
 *   nfrec._train_als(events, options)   read the rows, train, keep the
 *                                       result in this backend
 *   nfrec._trained_store_row()          its model_store row (as
 *                                       _model_store_row of a model value)
 *   nfrec._trained_user_rows()          its model_users rows, streamed
 *   nfrec._trained_neighbours()         its co-occurrence neighbour lists
 *   nfrec._train_forget()               free it
 *
 * The procedure nfrec.train (57_train.sql) calls them between deploy's
 * _deploy_check / _deploy_begin / _deploy_finish, so the registry rules
 * (versions, keep, default, one transaction) are deploy's own.
 *
 * Reading: one query, SELECT user_id::int8, title_id::int8,
 * weight::float8 FROM events, run by SPI with the caller's privileges
 * (row-level security applies); a DestReceiver appends each row to the
 * triples state of als_train (huge allocations, no 1 GB limit), so the
 * rows are never materialized twice.  Training is als_train's own
 * (nf_als_train_rows): the same rows and options give the same model.
 *
 * The trained result lives in a memory context under TopTransactionContext:
 * it goes away with the transaction whatever happens (error, cancel), and
 * a reset callback clears the pointer to it.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "als_sql.h"
#include "model_neighbours.h"
#include "model_value.h"
#include "pgutil.h"
#include "triples.h"

/* The result of the last _train_als of this transaction, or NULL. */
static AlsTrained *Pending = NULL;
static MemoryContext PendingCxt = NULL;

static void
PendingGone(void *arg)
{
	Pending = NULL;
	PendingCxt = NULL;
}

static void
ForgetPending(void)
{
	if (PendingCxt != NULL)
		MemoryContextDelete(PendingCxt);	/* the callback clears both */
	Pending = NULL;
	PendingCxt = NULL;
}

static AlsTrained *
GetPending(const char *fn)
{
	if (Pending == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s: no model was trained in this transaction", fn),
				 errhint("It is called by nfrec.train after nfrec._train_als.")));
	return Pending;
}

/* ------------------------------------------------------------------ */
/* Reading the rows: a DestReceiver that appends to the triples state  */
/* ------------------------------------------------------------------ */

typedef struct RowReceiver
{
	DestReceiver pub;
	NfTriples  *st;
	MemoryContext cxt;			/* of the arrays */
	uint64		seen;
} RowReceiver;

static bool
ReceiveRow(TupleTableSlot *slot, DestReceiver *self)
{
	RowReceiver *r = (RowReceiver *) self;

	slot_getallattrs(slot);
	if (slot->tts_isnull[0] || slot->tts_isnull[1] || slot->tts_isnull[2])
		r->st->nskipped++;
	else
		nf_triples_add(r->st, r->cxt, DatumGetInt64(slot->tts_values[0]),
					   DatumGetInt64(slot->tts_values[1]),
					   DatumGetFloat8(slot->tts_values[2]), nf_als_rows_kind);
	if ((++r->seen & 65535) == 0)
		CHECK_FOR_INTERRUPTS();
	return true;
}

static void
StartupRows(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	if (typeinfo->natts != 3)
		elog(ERROR, "unexpected number of columns %d", typeinfo->natts);
}

static void
NoOp(DestReceiver *self)
{
}

/* Append every row of events to st (arrays in cxt). */
static void
ReadRows(Oid events, NfTriples *st, MemoryContext cxt)
{
	char	   *relname = get_rel_name(events);
	char	   *sql;
	int			rc;

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", events)));
	sql = psprintf("SELECT user_id::pg_catalog.int8, title_id::pg_catalog.int8, "
				   "weight::pg_catalog.float8 FROM %s",
				   quote_qualified_identifier(get_namespace_name(get_rel_namespace(events)),
											  relname));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
#if PG_VERSION_NUM >= 140000
	{
		RowReceiver r;
		SPIExecuteOptions opts;

		memset(&r, 0, sizeof(r));
		r.pub.receiveSlot = ReceiveRow;
		r.pub.rStartup = StartupRows;
		r.pub.rShutdown = NoOp;
		r.pub.rDestroy = NoOp;
		r.pub.mydest = DestNone;
		r.st = st;
		r.cxt = cxt;
		memset(&opts, 0, sizeof(opts));
		opts.read_only = false;
		opts.dest = &r.pub;
		rc = SPI_execute_extended(sql, &opts);
		/* a SELECT whose rows went to another receiver reports UTILITY */
		if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
			elog(ERROR, "SPI_execute_extended failed: %s", SPI_result_code_string(rc));
	}
#else
	{
		SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);
		Portal		portal;

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
		for (;;)
		{
			SPI_cursor_fetch(portal, true, 10000);
			if (SPI_processed == 0)
				break;
			for (uint64 j = 0; j < SPI_processed; j++)
			{
				HeapTuple	tup = SPI_tuptable->vals[j];
				TupleDesc	td = SPI_tuptable->tupdesc;
				bool		n0,
							n1,
							n2;
				Datum		u = SPI_getbinval(tup, td, 1, &n0),
							i = SPI_getbinval(tup, td, 2, &n1),
							w = SPI_getbinval(tup, td, 3, &n2);

				if (n0 || n1 || n2)
					st->nskipped++;
				else
					nf_triples_add(st, cxt, DatumGetInt64(u), DatumGetInt64(i),
								   DatumGetFloat8(w), nf_als_rows_kind);
			}
			SPI_freetuptable(SPI_tuptable);
			CHECK_FOR_INTERRUPTS();
		}
		SPI_cursor_close(portal);
	}
#endif
	SPI_finish();
	(void) rc;
}

/* ------------------------------------------------------------------ */
/* nfrec._train_als(events regclass, options jsonb)                    */
/* ------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(train_als);
Datum
train_als(PG_FUNCTION_ARGS)
{
	Oid			events;
	Jsonb	   *options;
	MemoryContext old;
	MemoryContext readcxt;
	MemoryContextCallback *cb;
	NfTriples  *st;
	AlsTrained *t;

	nf_arg_not_null(fcinfo, 0, "events");
	events = PG_GETARG_OID(0);
	options = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	nf_als_check_options(options);	/* before reading a row */

	ForgetPending();
	PendingCxt = AllocSetContextCreate(TopTransactionContext, "nfrec.train",
									   ALLOCSET_DEFAULT_SIZES);
	cb = MemoryContextAlloc(PendingCxt, sizeof(MemoryContextCallback));
	cb->func = PendingGone;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(PendingCxt, cb);

	/* the rows, in a context of their own: freed once trained */
	readcxt = AllocSetContextCreate(PendingCxt, "nfrec.train rows",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(readcxt);
	st = nf_triples_new(readcxt);
	if (options != NULL)
	{
		st->options = palloc(VARSIZE(options));
		memcpy(st->options, options, VARSIZE(options));
	}
	st->options_set = true;
	ReadRows(events, st, readcxt);
	if (st->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train an ALS model without interactions"),
				 st->nskipped > 0 ?
				 errdetail("All " INT64_FORMAT " rows of %s have a NULL user_id, title_id or weight.",
						   st->nskipped, get_rel_name(events)) :
				 errdetail("Relation %s has no rows.", get_rel_name(events))));

	MemoryContextSwitchTo(PendingCxt);
	t = palloc0(sizeof(AlsTrained));
	nf_als_train_rows(st, false, t);
	MemoryContextDelete(readcxt);
	MemoryContextSwitchTo(old);
	if (t->shape.nitems < 1)
		elog(ERROR, "trained a model without titles");
	Pending = t;
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(train_forget);
Datum
train_forget(PG_FUNCTION_ARGS)
{
	ForgetPending();
	PG_RETURN_VOID();
}

/* ------------------------------------------------------------------ */
/* Its registry rows                                                   */
/* ------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(trained_store_row);
Datum
trained_store_row(PG_FUNCTION_ARGS)
{
	AlsTrained *t = GetPending("_trained_store_row");
	const AlsModelHeader *h = &t->shape;
	Datum		values[14];
	bool		nulls[14] = {0};

	/* the columns of _model_store_row(model) */
	values[0] = Int32GetDatum(h->factors);
	values[1] = Int32GetDatum(h->nusers);
	values[2] = Int32GetDatum(h->nitems);
	values[3] = Int64GetDatum(h->nevents);
	values[4] = Int32GetDatum(h->iterations);
	values[5] = Float8GetDatum(h->alpha);
	values[6] = Float8GetDatum(h->regularization);
	values[7] = Float8GetDatum(h->loss);
	values[8] = Float8GetDatum(h->train_seconds);
	nf_model_row_tail(values + 9, nulls + 9, t->options, t->item_ids,
					  t->item_count, t->item_factors, h->nitems, h->factors,
					  h->trained_at);
	PG_RETURN_DATUM(nf_model_row(fcinfo, values, nulls));
}

/*
 * nfrec._trained_neighbours(OUT neighbour_rows int[], OUT neighbour_scores
 * real[]): the co-occurrence neighbour lists of the trained model, as
 * _model_neighbours computes them for a deployed model value.
 */
PG_FUNCTION_INFO_V1(trained_neighbours);
Datum
trained_neighbours(PG_FUNCTION_ARGS)
{
	AlsTrained *t = GetPending("_trained_neighbours");
	const AlsModelHeader *h = &t->shape;

	PG_RETURN_DATUM(nf_neighbours_result(fcinfo, h->nusers, h->nitems, h->nevents,
										 t->user_ptr, t->ev_item, t->ev_weight,
										 NF_NEIGHBOURS_KEPT, NF_NEIGHBOURS_HISTORY));
}

typedef struct UserRowsCtx
{
	AlsTrained *t;
	int64	   *titles;			/* scratch: one user's title ids */
	MemoryContext rowcxt;
} UserRowsCtx;

/*
 * One row per user, value per call (10 million users are not materialized
 * in a tuplestore first): user_id, factors, title_ids, weights, as
 * _model_user_rows(model) gives them.
 */
PG_FUNCTION_INFO_V1(trained_user_rows);
Datum
trained_user_rows(PG_FUNCTION_ARGS)
{
	FuncCallContext *fc;
	UserRowsCtx *ctx;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	tupdesc;
		AlsTrained *t = GetPending("_trained_user_rows");
		int64		maxev = 1;

		fc = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fc->multi_call_memory_ctx);
		ctx = palloc(sizeof(UserRowsCtx));
		ctx->t = t;
		for (int32 u = 0; u < t->shape.nusers; u++)
			maxev = Max(maxev, t->user_ptr[u + 1] - t->user_ptr[u]);
		ctx->titles = MemoryContextAllocHuge(fc->multi_call_memory_ctx, sizeof(int64) * maxev);
		ctx->rowcxt = AllocSetContextCreate(fc->multi_call_memory_ctx, "nfrec trained user row",
											ALLOCSET_DEFAULT_SIZES);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		fc->tuple_desc = BlessTupleDesc(tupdesc);
		fc->user_fctx = ctx;
		MemoryContextSwitchTo(old);
	}
	fc = SRF_PERCALL_SETUP();
	ctx = (UserRowsCtx *) fc->user_fctx;
	if (Pending != ctx->t)
		elog(ERROR, "the trained model went away during _trained_user_rows");
	if (fc->call_cntr < (uint64) ctx->t->shape.nusers)
	{
		const AlsTrained *t = ctx->t;
		int32		u = (int32) fc->call_cntr;
		int			f = t->shape.factors;
		int64		first = t->user_ptr[u];
		int			n = (int) (t->user_ptr[u + 1] - first);
		Datum		values[4];
		bool		nulls[4] = {0};
		MemoryContext old;
		HeapTuple	tup;

		MemoryContextReset(ctx->rowcxt);
		old = MemoryContextSwitchTo(ctx->rowcxt);
		for (int j = 0; j < n; j++)
			ctx->titles[j] = t->item_ids[t->ev_item[first + j]];
		values[0] = Int64GetDatum(t->user_ids[u]);
		values[1] = PointerGetDatum(nf_float4_array(t->user_factors + (Size) u * f, f));
		values[2] = PointerGetDatum(nf_int8_array(ctx->titles, n));
		values[3] = PointerGetDatum(nf_float4_array(t->ev_weight + first, n));
		MemoryContextSwitchTo(old);
		/* the tuple in the per-call context: the executor copies it */
		tup = heap_form_tuple(fc->tuple_desc, values, nulls);
		SRF_RETURN_NEXT(fc, HeapTupleGetDatum(tup));
	}
	SRF_RETURN_DONE(fc);
}
