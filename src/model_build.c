/*
 * model_build.c -- model values from factors trained elsewhere, and the
 * row form of a model that nfrec.deploy stores in the registry tables.
 *
 *   nfrec.als_model_from_factors(...)   arrays -> nfrec.als_model
 *   nfrec._model_store_row(model)       header + title side, one row
 *   nfrec._model_user_rows(model)       one row per user
 *
 * Every argument is checked before anything is built: ids unique, shapes
 * consistent, factors and weights finite, events referring to known ids.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "als_model_io.h"
#include "model.h"
#include "model_value.h"
#include "pgutil.h"

typedef struct IdRow
{
	int64		id;
	int32		row;			/* position in the argument array */
} IdRow;

typedef struct EventRec
{
	int32		u;
	int32		i;
	double		w;
} EventRec;

static int
CmpIdRow(const void *a, const void *b)
{
	int64		x = ((const IdRow *) a)->id,
				y = ((const IdRow *) b)->id;

	return (x > y) - (x < y);
}

static int
CmpEvent(const void *a, const void *b)
{
	const EventRec *x = a,
			   *y = b;

	if (x->u != y->u)
		return x->u < y->u ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* A one-dimensional id array (may be empty when allow_empty). */
static int
IdArray(ArrayType *a, const char *what, bool allow_empty, const int64 **ids)
{
	void	   *data;

	if (ARR_NDIM(a) == 0 && allow_empty)
	{
		*ids = NULL;
		return 0;
	}
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	(void) nf_vector_array(a, INT8OID, what, &data);
	*ids = (const int64 *) data;
	return ARR_DIMS(a)[0];
}

/*
 * A rows x factors real[] matrix.  rows is the expected number of rows;
 * *factors is set from the matrix when it is 0 on entry, checked otherwise.
 */
static const float *
FactorMatrix(ArrayType *a, const char *what, const char *idwhat, int rows, int *factors)
{
	const float *v;
	Size		n;

	if (ARR_ELEMTYPE(a) != FLOAT4OID)
		elog(ERROR, "unexpected array element type %u", ARR_ELEMTYPE(a));
	if (rows == 0 && ARR_NDIM(a) == 0)
		return NULL;
	if (ARR_NDIM(a) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a two-dimensional array", what),
				 errdetail("Factors are given as one row per id: %s[i][1..factors].", what)));
	nf_array_no_nulls(a, what);
	if (ARR_DIMS(a)[0] != rows)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s has %d rows but %s has %d elements",
						what, ARR_DIMS(a)[0], idwhat, rows)));
	if (*factors == 0)
		*factors = ARR_DIMS(a)[1];
	else if (ARR_DIMS(a)[1] != *factors)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s has %d factors but title_factors has %d",
						what, ARR_DIMS(a)[1], *factors)));
	if (*factors < 1 || *factors > ALS_MAX_FACTORS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of factors must be between 1 and %d, not %d",
						ALS_MAX_FACTORS, *factors)));

	v = (const float *) ARR_DATA_PTR(a);
	n = (Size) rows * *factors;
	for (Size j = 0; j < n; j++)
		if (!isfinite(v[j]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s must not contain NaN or infinite values", what)));
	return v;
}

/* Sort ids with their positions; error on a duplicate. */
static IdRow *
SortedIds(const int64 *ids, int n, const char *what)
{
	IdRow	   *s = palloc(sizeof(IdRow) * Max(n, 1));

	for (int j = 0; j < n; j++)
	{
		s[j].id = ids[j];
		s[j].row = j;
	}
	qsort(s, n, sizeof(IdRow), CmpIdRow);
	for (int j = 1; j < n; j++)
		if (s[j - 1].id == s[j].id)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("duplicate id " INT64_FORMAT " in %s", s[j].id, what)));
	return s;
}

static int32
RowOfId(const IdRow *s, int n, int64 id)
{
	int			lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (s[mid].id < id)
			lo = mid + 1;
		else if (s[mid].id > id)
			hi = mid - 1;
		else
			return mid;
	}
	return -1;
}

/*
 * alpha (at least 0) or regularization (greater than 0: fold-in solves
 * (Y'Y + lambda I + ...) x = b, singular when lambda is 0 and a user has
 * fewer titles than factors); the same limits als_train and model input
 * check (als_model.c).
 */
static double
CheckedParam(FunctionCallInfo fcinfo, int argno, const char *what, bool positive)
{
	double		v;

	nf_arg_not_null(fcinfo, argno, what);
	v = PG_GETARG_FLOAT8(argno);
	if (!isfinite(v) || v < 0.0 || (positive && v == 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 positive ?
				 errmsg("%s must be a finite number greater than zero", what) :
				 errmsg("%s must be a finite number that is not negative", what),
				 positive ?
				 errdetail("Fold-in solves a linear system that is singular without regularization.") : 0));
	return v;
}

static void
PollInterrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * The implicit-ALS objective of the factors on the events, exactly as
 * als_train defines it (doc/alstrain.md; als_objective in als.c).
 */
static double
ModelLoss(const AlsModelHeader *m, bool frequency)
{
	AlsHooks	hooks = {.poll = PollInterrupts};
	double	   *work = palloc(sizeof(double) *
							  als_objective_work_doubles(m->factors, m->nitems));
	double		loss;

	loss = als_objective(m->factors, m->nusers, m->nitems,
						 ALS_USER_FACTORS(m), ALS_ITEM_FACTORS(m),
						 ALS_USER_PTR(m), ALS_EV_ITEM(m), ALS_EV_WEIGHT(m),
						 m->nevents, m->alpha, m->regularization, frequency,
						 work, &hooks);
	pfree(work);
	return loss;
}

PG_FUNCTION_INFO_V1(als_model_from_factors);
Datum
als_model_from_factors(PG_FUNCTION_ARGS)
{
	const int64 *uids,
			   *iids,
			   *ev_u = NULL,
			   *ev_i = NULL;
	const float *X,
			   *Y,
			   *ev_w = NULL;
	int			nusers,
				nitems,
				f = 0,
				nev_in = 0;
	int64		nev = 0;
	double		alpha,
				lambda;
	IdRow	   *us,
			   *is;
	EventRec   *ev = NULL;
	AlsModelHeader hdr;
	AlsModelHeader *m;
	char	   *options;
	char	   *scaling;
	Size		optlen,
				total;

	nf_arg_not_null(fcinfo, 0, "user_ids");
	nf_arg_not_null(fcinfo, 1, "user_factors");
	nf_arg_not_null(fcinfo, 2, "title_ids");
	nf_arg_not_null(fcinfo, 3, "title_factors");
	alpha = CheckedParam(fcinfo, 7, "alpha", false);
	lambda = CheckedParam(fcinfo, 8, "regularization", true);
	nf_arg_not_null(fcinfo, 9, "regularization_scaling");
	scaling = text_to_cstring(PG_GETARG_TEXT_PP(9));
	if (strcmp(scaling, "none") != 0 && strcmp(scaling, "frequency") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("regularization_scaling must be \"none\" or \"frequency\", not \"%s\"", scaling)));

	nitems = IdArray(PG_GETARG_ARRAYTYPE_P(2), "title_ids", false, &iids);
	Y = FactorMatrix(PG_GETARG_ARRAYTYPE_P(3), "title_factors", "title_ids", nitems, &f);
	nusers = IdArray(PG_GETARG_ARRAYTYPE_P(0), "user_ids", true, &uids);
	X = FactorMatrix(PG_GETARG_ARRAYTYPE_P(1), "user_factors", "user_ids", nusers, &f);
	us = SortedIds(uids, nusers, "user_ids");
	is = SortedIds(iids, nitems, "title_ids");

	/* optional training events */
	if (!PG_ARGISNULL(4) || !PG_ARGISNULL(5) || !PG_ARGISNULL(6))
	{
		int			n1,
					n2,
					n3;
		void	   *wd;

		if (PG_ARGISNULL(4) || PG_ARGISNULL(5) || PG_ARGISNULL(6))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("event_user_ids, event_title_ids and event_weights must be given together")));
		n1 = IdArray(PG_GETARG_ARRAYTYPE_P(4), "event_user_ids", true, &ev_u);
		n2 = IdArray(PG_GETARG_ARRAYTYPE_P(5), "event_title_ids", true, &ev_i);
		if (ARR_NDIM(PG_GETARG_ARRAYTYPE_P(6)) == 0)
			n3 = 0;
		else
		{
			if (ARR_NDIM(PG_GETARG_ARRAYTYPE_P(6)) > 1)
				ereport(ERROR,
						(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						 errmsg("event_weights must be a one-dimensional array")));
			n3 = nf_vector_array(PG_GETARG_ARRAYTYPE_P(6), FLOAT4OID, "event_weights", &wd);
			ev_w = (const float *) wd;
		}
		if (n1 != n2 || n1 != n3)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("event arrays have different lengths %d, %d and %d", n1, n2, n3)));
		nev_in = n1;
	}

	if (nev_in > 0)
	{
		ev = palloc(sizeof(EventRec) * nev_in);
		for (int e = 0; e < nev_in; e++)
		{
			int32		u = RowOfId(us, nusers, ev_u[e]);
			int32		i = RowOfId(is, nitems, ev_i[e]);

			if (u < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("event user id " INT64_FORMAT " is not in user_ids", ev_u[e])));
			if (i < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("event title id " INT64_FORMAT " is not in title_ids", ev_i[e])));
			if (!isfinite(ev_w[e]))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("event_weights must not contain NaN or infinite values")));
			ev[e].u = u;
			ev[e].i = i;
			ev[e].w = ev_w[e];
			if ((e & 65535) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		qsort(ev, nev_in, sizeof(EventRec), CmpEvent);
		/* sum duplicate (user, title) pairs */
		for (int e = 0; e < nev_in; e++)
		{
			if (nev > 0 && ev[nev - 1].u == ev[e].u && ev[nev - 1].i == ev[e].i)
				ev[nev - 1].w += ev[e].w;
			else
				ev[nev++] = ev[e];
		}
		/* sums are exact in double; they must fit real, and so must 1 + alpha |w| */
		for (int64 e = 0; e < nev; e++)
		{
			double		w = ev[e].w;

			if (fabs(w) > FLT_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("summed event weight of user " INT64_FORMAT " and title " INT64_FORMAT " is out of range for type real",
								us[ev[e].u].id, is[ev[e].i].id),
						 errdetail("The weights of this user and title sum to %g; the limit is %g in absolute value.",
								   w, (double) FLT_MAX)));
			if (alpha * fabs(w) > FLT_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("confidence of user " INT64_FORMAT " and title " INT64_FORMAT " is out of range for type real",
								us[ev[e].u].id, is[ev[e].i].id),
						 errdetail("alpha %g times the absolute summed weight %g exceeds %g.",
								   alpha, fabs(w), (double) FLT_MAX),
						 errhint("Use a smaller alpha or scale the weights down.")));
		}
	}

	/* shortest exact decimal form, as float8 output prints them */
	options = psprintf("{\"source\": \"factors\", \"factors\": %d, \"alpha\": %s, \"regularization\": %s, \"regularization_scaling\": \"%s\"}",
					   f, double_to_shortest_decimal(alpha),
					   double_to_shortest_decimal(lambda), scaling);
	optlen = ALS_ALIGN8(strlen(options) + 1);

	memset(&hdr, 0, sizeof(hdr));
	hdr.factors = f;
	hdr.nusers = nusers;
	hdr.nitems = nitems;
	hdr.nevents = nev;
	hdr.options_len = (int32) optlen;
	total = offsetof(AlsModelHeader, data) + als_data_size(&hdr);
	if (total > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model would take %zu bytes, more than the 1 GB limit of a value", total)));

	m = palloc0(total);
	memcpy(m, &hdr, sizeof(hdr));
	SET_VARSIZE(m, total);
	m->magic = ALS_MODEL_MAGIC;
	m->version = ALS_MODEL_VERSION;
	m->iterations = 0;
	m->alpha = alpha;
	m->regularization = lambda;
	m->train_seconds = 0.0;
	m->trained_at = 0;			/* factors trained elsewhere: unknown */
	memcpy(m->data, options, strlen(options) + 1);

	{
		int64	   *mu = ALS_USER_IDS(m),
				   *mi = ALS_ITEM_IDS(m),
				   *ptr = ALS_USER_PTR(m);
		int32	   *evi = ALS_EV_ITEM(m);
		float	   *evw = ALS_EV_WEIGHT(m),
				   *cnt = ALS_ITEM_COUNT(m),
				   *mx = ALS_USER_FACTORS(m),
				   *my = ALS_ITEM_FACTORS(m);
		int64		e = 0;

		for (int j = 0; j < nusers; j++)
		{
			mu[j] = us[j].id;
			memcpy(mx + (Size) j * f, X + (Size) us[j].row * f, sizeof(float) * f);
		}
		for (int j = 0; j < nitems; j++)
		{
			mi[j] = is[j].id;
			memcpy(my + (Size) j * f, Y + (Size) is[j].row * f, sizeof(float) * f);
		}
		for (int u = 0; u < nusers; u++)
		{
			ptr[u] = e;
			while (e < nev && ev[e].u == u)
			{
				evi[e] = ev[e].i;
				evw[e] = (float) ev[e].w;
				cnt[ev[e].i] += 1.0f;
				e++;
			}
		}
		ptr[nusers] = e;
	}
	m->loss = ModelLoss(m, strcmp(scaling, "frequency") == 0);
	if (!isfinite(m->loss))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("loss of the model is out of range for type double precision"),
				 errdetail("The factors are too large for regularization %g and alpha %g.", lambda, alpha)));

	{
		const char *problem = als_model_check(m, total);

		if (problem)
			elog(ERROR, "built an invalid model: %s", problem);
	}
	PG_RETURN_POINTER(m);
}

/* ------------------------------------------------------------------ */
/* row forms for the registry                                          */
/* ------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(model_store_row);
Datum
model_store_row(PG_FUNCTION_ARGS)
{
	AlsModelHeader *m = PG_GETARG_ALSMODEL_P(0);
	Datum		values[14];
	bool		nulls[14] = {0};

	/* values only come from validated input, but never deploy a bad one */
	als_model_validate(m, VARSIZE(m), ERRCODE_DATA_CORRUPTED);
	if (m->nitems < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot deploy a model without titles")));

	values[0] = Int32GetDatum(m->factors);
	values[1] = Int32GetDatum(m->nusers);
	values[2] = Int32GetDatum(m->nitems);
	values[3] = Int64GetDatum(m->nevents);
	values[4] = Int32GetDatum(m->iterations);
	values[5] = Float8GetDatum(m->alpha);
	values[6] = Float8GetDatum(m->regularization);
	values[7] = Float8GetDatum(m->loss);
	values[8] = Float8GetDatum(m->train_seconds);
	nf_model_row_tail(values + 9, nulls + 9, ALS_OPTIONS(m), ALS_ITEM_IDS(m),
					  ALS_ITEM_COUNT(m), ALS_ITEM_FACTORS(m), m->nitems,
					  m->factors, m->trained_at);
	PG_RETURN_DATUM(nf_model_row(fcinfo, values, nulls));
}

PG_FUNCTION_INFO_V1(model_user_rows);
Datum
model_user_rows(PG_FUNCTION_ARGS)
{
	AlsModelHeader *m = PG_GETARG_ALSMODEL_P(0);

	als_model_validate(m, VARSIZE(m), ERRCODE_DATA_CORRUPTED);
	nf_model_user_rows(fcinfo, m->nusers, ALS_USER_IDS(m), ALS_ITEM_IDS(m),
					   ALS_USER_PTR(m), ALS_EV_ITEM(m), ALS_EV_WEIGHT(m),
					   ALS_USER_FACTORS(m), m->factors);
	return (Datum) 0;
}
