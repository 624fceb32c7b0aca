/*
 * evaluate.c -- nfrec.evaluate: ranking quality of a model on held-out
 * interactions, next to a most-popular baseline.
 *
 * For every user in the test relation (its distinct title_ids are the
 * relevant set) the model's top k -- trained vector, or the popularity
 * list for a user the model does not know -- and the popularity baseline's
 * top k are scored with metrics.c.  Both exclude the user's training
 * titles only: the bound events relation of a deployed model is ignored
 * here, because it usually contains the test interactions themselves.
 * Metrics are averaged over users; coverage is the share of the catalog
 * that appears in at least one list.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "metrics.h"
#include "model.h"
#include "ease_serve.h"

#define EVAL_BATCH	1000

typedef struct EvalSide
{
	MetricsSum	sum;
	uint8	   *covered;
	int64		ncovered;
} EvalSide;

static void
Score(EvalSide *side, ServeModel *sm, const int32 *rows, int got,
	  int64 *ids, const int64 *rel, int nrel, int k, bool *credited)
{
	RankMetrics m;

	for (int j = 0; j < got; j++)
	{
		ids[j] = sm->item_ids[rows[j]];
		if (!side->covered[rows[j]])
		{
			side->covered[rows[j]] = 1;
			side->ncovered++;
		}
	}
	rank_metrics(ids, got, rel, nrel, k, credited, &m);
	metrics_sum_add(&side->sum, &m);
}

static void
PutSide(Datum *values, bool *nulls, const EvalSide *side, int nitems)
{
	if (side->sum.users == 0)
	{
		for (int j = 0; j < 5; j++)
			nulls[j] = true;
		return;
	}
	values[0] = Float8GetDatum(side->sum.precision / side->sum.users);
	values[1] = Float8GetDatum(side->sum.recall / side->sum.users);
	values[2] = Float8GetDatum(side->sum.ndcg / side->sum.users);
	values[3] = Float8GetDatum(side->sum.ap / side->sum.users);
	values[4] = Float8GetDatum((double) side->ncovered / nitems);
}

static Datum
Evaluate(FunctionCallInfo fcinfo, const AlsModelHeader *value,
		 const EaseModelHeader *ease_value, const char *mname, Oid test, int k)
{
	TupleDesc	tupdesc;
	Datum		values[12];
	bool		nulls[12] = {0};
	int64		users = 0,
				cold = 0;
	EvalSide	model_side = {{0}},
				pop_side = {{0}};
	int			nitems;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	SPI_connect();
	{
		Oid			argtypes[1] = {REGCLASSOID};
		Datum		arg[1] = {ObjectIdGetDatum(test)};
		char	   *relname = get_rel_name(test);
		char	   *sql;
		SPIPlanPtr	plan;
		Portal		portal;
		ServeModel *sm;
		MemoryContext usercxt;
		float	   *x;
		int32	   *rows;
		int64	   *ids;
		float	   *sc;
		int			listk;
		bool	   *credited = NULL;
		int			credited_len = 0;
		MemoryContext evalcxt = CurrentMemoryContext;

		if (relname == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation with OID %u does not exist", test)));
		if (SPI_execute_with_args("SELECT nfrec._check_interactions($1, false)",
								  1, argtypes, arg, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not check the test relation");

		sm = value ? nf_model_from_value(value) :
			ease_value ? nf_ease_from_value(ease_value) : nf_model_acquire(mname);
		nitems = sm->nitems;
		listk = Min(k, nitems);
		x = palloc(sizeof(float) * sm->factors);
		rows = palloc(sizeof(int32) * listk);
		ids = palloc(sizeof(int64) * listk);
		sc = palloc(sizeof(float) * listk);
		model_side.covered = palloc0(nitems);
		pop_side.covered = palloc0(nitems);
		usercxt = AllocSetContextCreate(CurrentMemoryContext, "nfrec evaluate user",
										ALLOCSET_DEFAULT_SIZES);

		sql = psprintf("SELECT (user_id)::pg_catalog.int8,"
					   " pg_catalog.array_agg(DISTINCT (title_id)::pg_catalog.int8)"
					   " FROM %s WHERE user_id IS NOT NULL AND title_id IS NOT NULL"
					   " GROUP BY 1 ORDER BY 1",
					   quote_qualified_identifier(get_namespace_name(get_rel_namespace(test)),
												  relname));
		plan = SPI_prepare(sql, 0, NULL);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);

		for (;;)
		{
			SPITupleTable *batch;
			uint64		nb;

			SPI_cursor_fetch(portal, true, EVAL_BATCH);
			batch = SPI_tuptable;
			nb = SPI_processed;
			if (nb == 0)
				break;
			for (uint64 b = 0; b < nb; b++)
			{
				bool		isnull;
				int64		uid = DatumGetInt64(SPI_getbinval(batch->vals[b], batch->tupdesc, 1, &isnull));
				Datum		reld = SPI_getbinval(batch->vals[b], batch->tupdesc, 2, &isnull);
				MemoryContext old;
				UserEvents	ev;
				ArrayType  *ra;
				int64	   *rel;
				int			nrel;
				bool		trained;
				int			got;

				CHECK_FOR_INTERRUPTS();
				trained = nf_user_training(sm, uid, x, &ev, usercxt);
				old = MemoryContextSwitchTo(usercxt);
				ra = DatumGetArrayTypePCopy(reld);
				nrel = ArrayGetNItems(ARR_NDIM(ra), ARR_DIMS(ra));
				rel = (int64 *) ARR_DATA_PTR(ra);
				nrel = metrics_sort_unique(rel, nrel);
				if (nrel > credited_len)
				{
					if (credited)
						pfree(credited);
					credited = MemoryContextAlloc(evalcxt, sizeof(bool) * nrel);
					credited_len = nrel;
				}

				memset(sm->seen, 0, nitems);
				for (int j = 0; j < ev.n; j++)
					sm->seen[ev.rows[j]] = 1;

				/* an EASE user with no positive training title is cold */
				if (trained && sm->kind == NF_MODEL_EASE)
					trained = nf_ease_user_scores(sm, &ev) > 0;
				users++;
				if (!trained)
					cold++;
				got = !trained ? nf_rank_popular(sm, listk, rows, sc) :
					sm->kind == NF_MODEL_EASE ? nf_rank_scores(sm, listk, rows, sc) :
					nf_rank_by_vector(sm, x, 0.0f, listk, rows, sc);
				Score(&model_side, sm, rows, got, ids, rel, nrel, k, credited);
				got = nf_rank_popular(sm, listk, rows, sc);
				Score(&pop_side, sm, rows, got, ids, rel, nrel, k, credited);

				MemoryContextSwitchTo(old);
				MemoryContextReset(usercxt);
			}
			SPI_freetuptable(batch);
		}
		SPI_cursor_close(portal);
	}
	SPI_finish();

	values[0] = Int64GetDatum(users);
	values[1] = Int64GetDatum(cold);
	PutSide(values + 2, nulls + 2, &model_side, nitems);
	PutSide(values + 7, nulls + 7, &pop_side, nitems);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

static void
EvalArgs(FunctionCallInfo fcinfo, Oid *test, int *k)
{
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("test relation must not be null")));
	*test = PG_GETARG_OID(1);
	*k = nf_check_n(fcinfo, 2, "k");
}

PG_FUNCTION_INFO_V1(evaluate_deployed);
Datum
evaluate_deployed(PG_FUNCTION_ARGS)
{
	Oid			test;
	int			k;
	char	   *mname = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));

	EvalArgs(fcinfo, &test, &k);
	return Evaluate(fcinfo, NULL, NULL, mname, test, k);
}

PG_FUNCTION_INFO_V1(evaluate_value);
Datum
evaluate_value(PG_FUNCTION_ARGS)
{
	Oid			test;
	int			k;
	AlsModelHeader *m;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be null")));
	EvalArgs(fcinfo, &test, &k);
	m = PG_GETARG_ALSMODEL_P(0);
	return Evaluate(fcinfo, m, NULL, NULL, test, k);
}

PG_FUNCTION_INFO_V1(evaluate_ease_value);
Datum
evaluate_ease_value(PG_FUNCTION_ARGS)
{
	Oid			test;
	int			k;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be null")));
	EvalArgs(fcinfo, &test, &k);
	return Evaluate(fcinfo, NULL, PG_GETARG_EASEMODEL_P(0), NULL, test, k);
}
