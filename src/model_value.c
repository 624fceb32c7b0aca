/*
 * model_value.c -- the SQL glue the model types share (model_value.h):
 * hex text and binary I/O of a varlena model, and the registry's row
 * forms built from a model's arrays.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "model_value.h"
#include "pgutil.h"

bytea *
nf_model_text_in(const char *str, const char *typname)
{
	Size		len = strlen(str);
	Size		nbytes;
	bytea	   *result;

	if (len < 2 || str[0] != '\\' || str[1] != 'x' || (len - 2) % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", typname),
				 errdetail("A model is written as \\x followed by an even number of hex digits.")));
	nbytes = (len - 2) / 2;
	if (nbytes + VARHDRSZ > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s value is too large", typname)));
	result = (bytea *) palloc(nbytes + VARHDRSZ);
	hex_decode(str + 2, len - 2, VARDATA(result));
	SET_VARSIZE(result, nbytes + VARHDRSZ);
	return result;
}

char *
nf_model_text_out(const bytea *m, const char *typname)
{
	Size		n = VARSIZE(m) - VARHDRSZ;
	char	   *out;

	if (2 * n + 3 > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s value is too large for text output", typname),
				 errhint("Deploy the model with nfrec.deploy() instead of storing it as text.")));
	out = palloc(2 * n + 3);
	out[0] = '\\';
	out[1] = 'x';
	hex_encode(VARDATA(m), n, out + 2);
	out[2 * n + 2] = '\0';
	return out;
}

bytea *
nf_model_recv(StringInfo buf, const char *typname)
{
	int			nbytes = buf->len - buf->cursor;
	bytea	   *result;

	if ((Size) nbytes + VARHDRSZ > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s value is too large", typname)));
	result = (bytea *) palloc(nbytes + VARHDRSZ);
	SET_VARSIZE(result, nbytes + VARHDRSZ);
	pq_copymsgbytes(buf, VARDATA(result), nbytes);
	return result;
}

bytea *
nf_model_send(Datum value)
{
	bytea	   *m = (bytea *) PG_DETOAST_DATUM(value);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA(m), VARSIZE(m) - VARHDRSZ);
	return pq_endtypsend(&buf);
}

void
nf_model_row_tail(Datum *values, bool *nulls, const char *options,
				  const int64 *item_ids, const float *item_count,
				  const float *item_matrix, int nitems, int cols,
				  int64 trained_at)
{
	values[0] = DirectFunctionCall1(jsonb_in, CStringGetDatum(options));
	values[1] = PointerGetDatum(nf_int8_array(item_ids, nitems));
	values[2] = PointerGetDatum(nf_float4_array(item_count, nitems));
	values[3] = PointerGetDatum(nf_float4_matrix(item_matrix, nitems, cols));
	values[4] = TimestampTzGetDatum((TimestampTz) trained_at);
	nulls[4] = (trained_at == 0);
}

Datum
nf_model_row(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

void
nf_model_user_rows(FunctionCallInfo fcinfo, int nusers,
				   const int64 *user_ids, const int64 *item_ids,
				   const int64 *ptr, const int32 *evi,
				   const float *evw, const float *X, int f)
{
	TupleDesc	tupdesc;
	Tuplestorestate *ts;
	MemoryContext rowcxt;
	int64		maxev = 0;
	int64	   *titles;

	ts = nf_begin_srf(fcinfo, &tupdesc);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext,
								   "nfrec user rows",
								   ALLOCSET_DEFAULT_SIZES);

	for (int u = 0; u < nusers; u++)
		maxev = Max(maxev, ptr[u + 1] - ptr[u]);
	titles = palloc(sizeof(int64) * Max(maxev, 1));

	for (int u = 0; u < nusers; u++)
	{
		MemoryContext old = MemoryContextSwitchTo(rowcxt);
		Datum		values[4];
		bool		nulls[4] = {0};
		int			n = (int) (ptr[u + 1] - ptr[u]);

		for (int j = 0; j < n; j++)
			titles[j] = item_ids[evi[ptr[u] + j]];
		values[0] = Int64GetDatum(user_ids[u]);
		if (X != NULL)
			values[1] = PointerGetDatum(nf_float4_array(X + (Size) u * f, f));
		else
			values[1] = PointerGetDatum(nf_float4_array(NULL, 0));	/* no factors */
		values[2] = PointerGetDatum(nf_int8_array(titles, n));
		values[3] = PointerGetDatum(nf_float4_array(evw + ptr[u], n));
		tuplestore_putvalues(ts, tupdesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
		if ((u & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(rowcxt);
}
