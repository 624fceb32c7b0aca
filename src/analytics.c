/*
 * analytics.c -- SQL glue of the engagement analytics: nfrec._churn_windows,
 * the per-subscriber window statistics behind nfrec.churn_features_at.
 *
 * churn_features_at aggregates a subscriber's events to one row per day in
 * SQL and passes the days as arrays; this set-returning function checks
 * them, runs churnwin_compute (churnwin.c) over the dates at which the
 * subscriber is active, and returns one row per such date.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "churnwin.h"
#include "pgutil.h"

#define CHURNWIN_MAX_WINDOW 3660

typedef struct ChurnWinState
{
	int			nrows;
	const int32 *date;			/* the as_of of each row */
	ChurnWinRow *row;
} ChurnWinState;

/* a one-dimensional date[] without NULLs, strictly ascending */
static int
AscendingDates(ArrayType *a, const char *what, int32 **out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(a, DATEOID, sizeof(DateADT), true, TYPALIGN_INT, &elems, &nulls, &n);
	*out = palloc(sizeof(int32) * (n > 0 ? n : 1));
	for (int i = 0; i < n; i++)
	{
		DateADT		d;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain null elements", what)));
		d = DatumGetDateADT(elems[i]);
		if (DATE_NOT_FINITE(d))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be finite", what)));
		if (i > 0 && d <= (*out)[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be strictly ascending", what)));
		(*out)[i] = d;
	}
	return n;
}

/* first index i with date[i] >= d */
static int
LowerBound(const int32 *date, int n, int32 d)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (date[mid] < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

PG_FUNCTION_INFO_V1(churn_windows);
Datum
churn_windows(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	ChurnWinState *st;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext oldcxt;
		TupleDesc	tupdesc;
		int32	   *day = NULL,
				   *date;
		int			n = 0,
					nd,
					i0,
					i1;
		double	   *val = NULL;
		int64	   *last = NULL;
		bool	   *has_last = NULL;
		bool		has_old;
		int64		old_last = 0;
		int32		w;

		funcctx = SRF_FIRSTCALL_INIT();
		oldcxt = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		funcctx->tuple_desc = BlessTupleDesc(tupdesc);

		nf_arg_not_null(fcinfo, 4, "dates");
		nf_arg_not_null(fcinfo, 5, "window_days");
		w = PG_GETARG_INT32(5);
		if (w < 1 || w > CHURNWIN_MAX_WINDOW)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("window_days must be between 1 and %d days, not %d",
							CHURNWIN_MAX_WINDOW, w)));
		nd = AscendingDates(PG_GETARG_ARRAYTYPE_P(4), "dates", &date);

		/* the days of activity: all three arrays or none */
		if (!PG_ARGISNULL(0) || !PG_ARGISNULL(1) || !PG_ARGISNULL(2))
		{
			ArrayType  *va,
					   *la;
			Datum	   *elems;
			bool	   *nulls;
			int			nv,
						nl;

			if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("days, vals and last_play must be all null or all given")));
			n = AscendingDates(PG_GETARG_ARRAYTYPE_P(0), "days", &day);

			va = PG_GETARG_ARRAYTYPE_P(1);
			if (n > 0 && (ARR_NDIM(va) != 2 || ARR_DIMS(va)[0] != n ||
						  ARR_DIMS(va)[1] != CHURNWIN_NVAL))
				ereport(ERROR,
						(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						 errmsg("vals must be a %d x %d array", n, CHURNWIN_NVAL)));
			deconstruct_array(va, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
							  TYPALIGN_DOUBLE, &elems, &nulls, &nv);
			if (nv != n * CHURNWIN_NVAL)
				ereport(ERROR,
						(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						 errmsg("vals must be a %d x %d array", n, CHURNWIN_NVAL)));
			val = palloc(sizeof(double) * (nv > 0 ? nv : 1));
			for (int i = 0; i < nv; i++)
			{
				if (nulls[i])
					ereport(ERROR,
							(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							 errmsg("vals must not contain null elements")));
				val[i] = DatumGetFloat8(elems[i]);
				if (isnan(val[i]) || isinf(val[i]))
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("vals must not contain NaN or infinite values")));
			}

			la = PG_GETARG_ARRAYTYPE_P(2);
			if (ARR_NDIM(la) > 1)
				ereport(ERROR,
						(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						 errmsg("last_play must be a one-dimensional array")));
			deconstruct_array(la, TIMESTAMPTZOID, sizeof(TimestampTz), FLOAT8PASSBYVAL,
							  TYPALIGN_DOUBLE, &elems, &nulls, &nl);
			if (nl != n)
				ereport(ERROR,
						(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						 errmsg("last_play must have %d elements, not %d", n, nl)));
			last = palloc(sizeof(int64) * (n > 0 ? n : 1));
			has_last = palloc(sizeof(bool) * (n > 0 ? n : 1));
			for (int i = 0; i < n; i++)
			{
				has_last[i] = !nulls[i];
				last[i] = nulls[i] ? 0 : DatumGetTimestampTz(elems[i]);
			}
		}
		has_old = !PG_ARGISNULL(3);
		if (has_old)
			old_last = PG_GETARG_TIMESTAMPTZ(3);

		/* the dates at which the subscriber is active */
		if (PG_ARGISNULL(6))
			i0 = i1 = 0;
		else
		{
			DateADT		signup = PG_GETARG_DATEADT(6);

			/* active when signup_date <= as_of: from the first date >= signup */
			i0 = DATE_IS_NOBEGIN(signup) ? 0 :
				DATE_IS_NOEND(signup) ? nd : LowerBound(date, nd, signup);
			i1 = nd;
			if (!PG_ARGISNULL(7))
			{
				DateADT		cancel = PG_GETARG_DATEADT(7);

				/* active while as_of < cancel_date */
				i1 = DATE_IS_NOEND(cancel) ? nd :
					DATE_IS_NOBEGIN(cancel) ? 0 : LowerBound(date, nd, cancel);
			}
		}

		st = palloc0(sizeof(ChurnWinState));
		if (i0 < i1)
		{
			double	   *prefix = palloc(sizeof(double) * (n + 1) * CHURNWIN_NVAL);

			st->nrows = i1 - i0;
			st->date = date + i0;
			st->row = palloc(sizeof(ChurnWinRow) * st->nrows);
			churnwin_compute(n, day, val, last, has_last, has_old, old_last,
							 st->nrows, st->date, w, prefix, st->row);
			pfree(prefix);
		}
		funcctx->user_fctx = st;
		MemoryContextSwitchTo(oldcxt);
	}

	funcctx = SRF_PERCALL_SETUP();
	st = (ChurnWinState *) funcctx->user_fctx;
	if (funcctx->call_cntr < (uint64) st->nrows)
	{
		const ChurnWinRow *r = &st->row[funcctx->call_cntr];
		Datum		values[2 + 2 * CHURNWIN_NVAL];
		bool		nulls[2 + 2 * CHURNWIN_NVAL] = {false};
		HeapTuple	tuple;

		values[0] = DateADTGetDatum(st->date[funcctx->call_cntr]);
		for (int v = 0; v < CHURNWIN_NVAL; v++)
		{
			values[1 + 2 * v] = Float8GetDatum(r->recent[v]);
			values[2 + 2 * v] = Float8GetDatum(r->prior[v]);
		}
		values[1 + 2 * CHURNWIN_NVAL] = TimestampTzGetDatum(r->last_play);
		nulls[1 + 2 * CHURNWIN_NVAL] = !r->has_last;
		tuple = heap_form_tuple(funcctx->tuple_desc, values, nulls);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(tuple));
	}
	SRF_RETURN_DONE(funcctx);
}
