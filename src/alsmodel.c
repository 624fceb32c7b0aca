/*
 * alsmodel.c -- the nfrec.als_model type: validation, text and binary I/O,
 * and a readable summary.
 *
 * The text form is the model's bytes in hex (like bytea's), so a model in
 * a table survives pg_dump/restore.  Input is untrusted: every size,
 * offset and index is checked before anything reads through it.
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "alsmodel.h"

#define PG_GETARG_ALSMODEL_P(n)	((AlsModelHeader *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

int32
als_find_id(const int64 *ids, int32 n, int64 id)
{
	int32		lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (ids[mid] < id)
			lo = mid + 1;
		else if (ids[mid] > id)
			hi = mid - 1;
		else
			return mid;
	}
	return -1;
}

const char *
als_model_check(const AlsModelHeader *m, Size size)
{
	const int64 *uptr;
	const int32 *evi;
	const int64 *ids;

	if (size < offsetof(AlsModelHeader, data))
		return "value is too short";
	if (m->magic != ALS_MODEL_MAGIC)
		return "bad magic number";
	if (m->version != ALS_MODEL_VERSION)
		return "unsupported model format version";
	if (m->factors < 1 || m->factors > 1024)
		return "number of factors out of range";
	if (m->nusers < 0 || m->nitems < 0 || m->nevents < 0)
		return "negative count";
	if (m->options_len < 1 || m->options_len > 1024 * 1024)
		return "options length out of range";
	if ((Size) m->nevents > (Size) 1 << 40)
		return "event count out of range";
	if (offsetof(AlsModelHeader, data) + als_data_size(m) != size)
		return "value size does not match its shape";
	if (ALS_OPTIONS(m)[m->options_len - 1] != '\0')
		return "options text is not terminated";

	ids = ALS_USER_IDS(m);
	for (int32 i = 1; i < m->nusers; i++)
		if (ids[i - 1] >= ids[i])
			return "user ids are not strictly ascending";
	ids = ALS_ITEM_IDS(m);
	for (int32 i = 1; i < m->nitems; i++)
		if (ids[i - 1] >= ids[i])
			return "item ids are not strictly ascending";

	uptr = ALS_USER_PTR(m);
	if (uptr[0] != 0 || uptr[m->nusers] != m->nevents)
		return "event pointers do not span the events";
	for (int32 i = 0; i < m->nusers; i++)
		if (uptr[i] > uptr[i + 1])
			return "event pointers are not ascending";
	evi = ALS_EV_ITEM(m);
	for (int64 e = 0; e < m->nevents; e++)
		if (evi[e] < 0 || evi[e] >= m->nitems)
			return "event item index out of range";
	return NULL;
}

static void
CheckModelOrError(const AlsModelHeader *m, Size size)
{
	const char *problem = als_model_check(m, size);

	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid nfrec.als_model value: %s", problem)));
}

PG_FUNCTION_INFO_V1(als_model_in);
Datum
als_model_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Size		len = strlen(str);
	Size		nbytes;
	bytea	   *result;

	if (len < 2 || str[0] != '\\' || str[1] != 'x' || (len - 2) % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type nfrec.als_model"),
				 errdetail("A model is written as \\x followed by an even number of hex digits.")));
	nbytes = (len - 2) / 2;
	if (nbytes + VARHDRSZ > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("nfrec.als_model value is too large")));
	result = (bytea *) palloc(nbytes + VARHDRSZ);
	hex_decode(str + 2, len - 2, VARDATA(result));
	SET_VARSIZE(result, nbytes + VARHDRSZ);
	CheckModelOrError((AlsModelHeader *) result, VARSIZE(result));
	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(als_model_out);
Datum
als_model_out(PG_FUNCTION_ARGS)
{
	AlsModelHeader *m = PG_GETARG_ALSMODEL_P(0);
	Size		n = VARSIZE(m) - VARHDRSZ;
	char	   *out;

	if (2 * n + 3 > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("nfrec.als_model value is too large for text output"),
				 errhint("Deploy the model with nfrec.deploy() instead of storing it as text.")));
	out = palloc(2 * n + 3);
	out[0] = '\\';
	out[1] = 'x';
	hex_encode(VARDATA(m), n, out + 2);
	out[2 * n + 2] = '\0';
	PG_RETURN_CSTRING(out);
}

PG_FUNCTION_INFO_V1(als_model_recv);
Datum
als_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			nbytes = buf->len - buf->cursor;
	bytea	   *result = (bytea *) palloc(nbytes + VARHDRSZ);

	SET_VARSIZE(result, nbytes + VARHDRSZ);
	pq_copymsgbytes(buf, VARDATA(result), nbytes);
	CheckModelOrError((AlsModelHeader *) result, VARSIZE(result));
	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(als_model_send);
Datum
als_model_send(PG_FUNCTION_ARGS)
{
	bytea	   *m = (bytea *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA(m), VARSIZE(m) - VARHDRSZ);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* A double as a JSON number in shortest round-trip form; null if not finite. */
static void
AppendJsonNumber(StringInfo s, const char *key, double v)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (isfinite(v))
		double_to_shortest_decimal_buf(v, buf);
	else
		strcpy(buf, "null");
	appendStringInfo(s, ", \"%s\": %s", key, buf);
}

PG_FUNCTION_INFO_V1(als_model_info);
Datum
als_model_info(PG_FUNCTION_ARGS)
{
	AlsModelHeader *m = PG_GETARG_ALSMODEL_P(0);
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s,
					 "{\"users\": %d, \"titles\": %d, \"events\": " INT64_FORMAT
					 ", \"factors\": %d, \"iterations\": %d, \"bytes\": %zu",
					 m->nusers, m->nitems, m->nevents, m->factors, m->iterations,
					 (Size) VARSIZE(m));
	AppendJsonNumber(&s, "alpha", m->alpha);
	AppendJsonNumber(&s, "regularization", m->regularization);
	AppendJsonNumber(&s, "loss", m->loss);
	AppendJsonNumber(&s, "train_seconds", m->train_seconds);
	if (m->trained_at != 0)
		appendStringInfo(&s, ", \"trained_at\": \"%s\"",
						 timestamptz_to_str((TimestampTz) m->trained_at));
	else
		appendStringInfoString(&s, ", \"trained_at\": null");
	appendStringInfo(&s, ", \"options\": %s}", ALS_OPTIONS(m));
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}
