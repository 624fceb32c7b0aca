/*
 * alsmodel.c -- the nfrec.als_model type: validation, text and binary I/O,
 * and a readable summary.
 *
 * The text form is the model's bytes in hex (like bytea's), so a model in
 * a table survives pg_dump/restore.  Input is untrusted: every size,
 * offset and index is checked before anything reads through it.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/shortest_dec.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
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

/*
 * Sizes are computed in 64 bits from int32 counts (at most 2^31 each),
 * nevents at most 2^40 and options_len at most 1 MB, so no sum or product
 * below can overflow before it is compared with the varlena length.
 */
#define ALS_MAX_OPTIONS_LEN	(1024 * 1024)
#define ALS_MAX_EVENTS		((int64) 1 << 40)

static bool
AllFinite(const float *v, uint64 n)
{
	for (uint64 j = 0; j < n; j++)
		if (!isfinite(v[j]))
			return false;
	return true;
}

const char *
als_model_check(const AlsModelHeader *m, Size size)
{
	const char *opt;
	Size		optlen;
	uint64		need;
	const int64 *uptr;
	const int32 *evi;
	const float *evw;
	const int64 *ids;

	if (size < offsetof(AlsModelHeader, version) + sizeof(int32))
		return "value is too short";
	if (m->magic != ALS_MODEL_MAGIC)
		return "bad magic number";
	if (m->version != ALS_MODEL_VERSION)
		return "unsupported model format version";
	if (size < offsetof(AlsModelHeader, data))
		return "value is too short";
	if (m->factors < 1 || m->factors > ALS_MODEL_MAX_FACTORS)
		return "number of factors out of range";
	if (m->nusers < 0 || m->nitems < 0 || m->nevents < 0)
		return "negative count";
	if (m->nevents > ALS_MAX_EVENTS)
		return "event count out of range";
	if (m->iterations < 0 || m->iterations > ALS_MODEL_MAX_ITERATIONS)
		return "number of iterations out of range";
	if (m->options_len < 8 || m->options_len > ALS_MAX_OPTIONS_LEN ||
		m->options_len % 8 != 0)
		return "options length out of range";

	need = (uint64) offsetof(AlsModelHeader, data) +
		(uint64) m->options_len +
		sizeof(int64) * (uint64) m->nusers +
		sizeof(int64) * (uint64) m->nitems +
		sizeof(int64) * ((uint64) m->nusers + 1) +
		ALS_ALIGN8(sizeof(int32) * (uint64) m->nevents) +
		ALS_ALIGN8(sizeof(float4) * (uint64) m->nevents) +
		ALS_ALIGN8(sizeof(float4) * (uint64) m->nitems) +
		sizeof(float4) * (uint64) m->nusers * (uint64) m->factors +
		sizeof(float4) * (uint64) m->nitems * (uint64) m->factors;
	if (need != (uint64) size ||
		offsetof(AlsModelHeader, data) + als_data_size(m) != size)
		return "value size does not match its shape";

	/* header numbers (training's option limits: alpha >= 0, lambda > 0) */
	if (!isfinite(m->alpha) || m->alpha < 0.0)
		return "alpha is negative or not finite";
	if (!isfinite(m->regularization) || !(m->regularization > 0.0))
		return "regularization is not a finite number greater than zero";
	if (!isfinite(m->loss))
		return "loss is not finite";
	if (!isfinite(m->train_seconds) || m->train_seconds < 0.0)
		return "training time is negative or not finite";
	if (m->trained_at != 0 && !IS_VALID_TIMESTAMP(m->trained_at))
		return "training timestamp out of range";

	/* options: NUL-terminated printable ASCII, zero padding to 8 bytes */
	opt = ALS_OPTIONS(m);
	optlen = strnlen(opt, m->options_len);
	if (optlen == (Size) m->options_len)
		return "options text is not terminated";
	if (ALS_ALIGN8(optlen + 1) != (Size) m->options_len)
		return "options padding is too long";
	for (Size j = 0; j < optlen; j++)
		if (opt[j] < 0x20 || opt[j] > 0x7e)
			return "options text has a character that is not printable ASCII";
	for (Size j = optlen; j < (Size) m->options_len; j++)
		if (opt[j] != '\0')
			return "options padding is not zero";

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
	evw = ALS_EV_WEIGHT(m);
	for (int32 u = 0; u < m->nusers; u++)
		for (int64 e = uptr[u]; e < uptr[u + 1]; e++)
		{
			if (evi[e] < 0 || evi[e] >= m->nitems)
				return "event item index out of range";
			if (e > uptr[u] && evi[e - 1] >= evi[e])
				return "event items of a user are not strictly ascending";
			if (!isfinite(evw[e]))
				return "event weight is not finite";
			/* training computes the confidence 1 + alpha |w| in real */
			if (m->alpha * fabs((double) evw[e]) > FLT_MAX)
				return "event confidence (alpha times weight) is out of range for type real";
		}

	{
		const float *cnt = ALS_ITEM_COUNT(m);

		for (int32 i = 0; i < m->nitems; i++)
			if (!isfinite(cnt[i]) || cnt[i] < 0.0f)
				return "title count is negative or not finite";
	}
	if (!AllFinite(ALS_USER_FACTORS(m), (uint64) m->nusers * m->factors))
		return "user factor is not finite";
	if (!AllFinite(ALS_ITEM_FACTORS(m), (uint64) m->nitems * m->factors))
		return "title factor is not finite";
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Options: a flat JSON object that agrees with the header             */
/* ------------------------------------------------------------------ */

static void
OptionsContext(void *arg)
{
	errcontext("options of an nfrec.als_model value");
}

static void BadModel(int code, const char *problem) pg_attribute_noreturn();
static void BadOption(int code, const char *key, const char *problem) pg_attribute_noreturn();

static void
BadModel(int code, const char *problem)
{
	ereport(ERROR,
			(errcode(code),
			 errmsg("invalid nfrec.als_model value: %s", problem),
			 code == ERRCODE_DATA_CORRUPTED ?
			 errhint("The value was stored by an older version of nfrec that did not check it, or is damaged; build the model again.") : 0));
}

static void
BadOption(int code, const char *key, const char *problem)
{
	ereport(ERROR,
			(errcode(code),
			 errmsg("invalid nfrec.als_model value: option \"%s\" %s", key, problem),
			 code == ERRCODE_DATA_CORRUPTED ?
			 errhint("The value was stored by an older version of nfrec that did not check it, or is damaged; build the model again.") : 0));
}

/* The value of a numeric option as int64, or error. */
static int64
OptionInt(JsonbValue *v, int code, const char *key)
{
	char	   *s,
			   *end;
	long long	x;

	if (v->type != jbvNumeric)
		BadOption(code, key, "is not a number");
	s = numeric_normalize(v->val.numeric);
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		BadOption(code, key, "is not an integer in range");
	return (int64) x;
}

static double
OptionReal(JsonbValue *v, int code, const char *key)
{
	char	   *s,
			   *end;
	double		x;

	if (v->type != jbvNumeric)
		BadOption(code, key, "is not a number");
	s = numeric_normalize(v->val.numeric);
	x = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(x))
		BadOption(code, key, "is not a finite number");
	return x;
}

static bool
OptionIs(JsonbValue *v, const char *a, const char *b)
{
	if (v->type != jbvString)
		return false;
	return (strlen(a) == (size_t) v->val.string.len &&
			memcmp(a, v->val.string.val, v->val.string.len) == 0) ||
		(b && strlen(b) == (size_t) v->val.string.len &&
		 memcmp(b, v->val.string.val, v->val.string.len) == 0);
}

/*
 * Option text of a real number agrees with the header's double: exact for
 * the shortest round-trip form nfrec writes, 1e-12 relative for the 15
 * significant digits of older builds.
 */
static bool
SameReal(double opt, double hdr)
{
	return fabs(opt - hdr) <= 1e-12 * Max(fabs(opt), fabs(hdr));
}

static void
CheckOptions(const AlsModelHeader *m, int code)
{
	ErrorContextCallback cb;
	Jsonb	   *jb;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;

	cb.callback = OptionsContext;
	cb.arg = NULL;
	cb.previous = error_context_stack;
	error_context_stack = &cb;

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(ALS_OPTIONS(m))));
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		BadModel(code, "options are not a JSON object");

	it = JsonbIteratorInit(&jb->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		JsonbValue	val;

		if (r != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		r = JsonbIteratorNext(&it, &val, true);
		if (r != WJB_VALUE)
			BadOption(code, key, "is not a number or a string");

		if (strcmp(key, "factors") == 0)
		{
			if (OptionInt(&val, code, key) != m->factors)
				BadOption(code, key, "disagrees with the model's number of factors");
		}
		else if (strcmp(key, "iterations") == 0)
		{
			if (OptionInt(&val, code, key) != m->iterations)
				BadOption(code, key, "disagrees with the model's number of iterations");
		}
		else if (strcmp(key, "users") == 0)
		{
			if (OptionInt(&val, code, key) != m->nusers)
				BadOption(code, key, "disagrees with the model's number of users");
		}
		else if (strcmp(key, "titles") == 0)
		{
			if (OptionInt(&val, code, key) != m->nitems)
				BadOption(code, key, "disagrees with the model's number of titles");
		}
		else if (strcmp(key, "events") == 0)
		{
			if (OptionInt(&val, code, key) != m->nevents)
				BadOption(code, key, "disagrees with the model's number of events");
		}
		else if (strcmp(key, "alpha") == 0)
		{
			if (!SameReal(OptionReal(&val, code, key), m->alpha))
				BadOption(code, key, "disagrees with the model's alpha");
		}
		else if (strcmp(key, "regularization") == 0)
		{
			if (!SameReal(OptionReal(&val, code, key), m->regularization))
				BadOption(code, key, "disagrees with the model's regularization");
		}
		else if (strcmp(key, "cg_steps") == 0)
		{
			int64		x = OptionInt(&val, code, key);

			if (x < 1 || x > 1000)
				BadOption(code, key, "is out of range");
		}
		else if (strcmp(key, "seed") == 0)
			(void) OptionInt(&val, code, key);
		else if (strcmp(key, "solver") == 0)
		{
			if (!OptionIs(&val, "cg", "cholesky"))
				BadOption(code, key, "is not \"cg\" or \"cholesky\"");
		}
		else if (strcmp(key, "regularization_scaling") == 0)
		{
			if (!OptionIs(&val, "none", "frequency"))
				BadOption(code, key, "is not \"none\" or \"frequency\"");
		}
		else if (strcmp(key, "from_data") == 0)
		{
			/* the options als_train chose from the data: an array of names */
			if (val.type != jbvBinary || !JsonContainerIsArray(val.val.binary.data))
				BadOption(code, key, "is not an array");
		}
		else if (strcmp(key, "source") == 0)
		{
			if (!OptionIs(&val, "factors", NULL))
				BadOption(code, key, "is not \"factors\"");
		}
		else
			BadOption(code, key, "is not recognized");
	}
	error_context_stack = cb.previous;
}

void
als_model_validate(const AlsModelHeader *m, Size size, int code)
{
	const char *problem = als_model_check(m, size);

	if (problem)
		BadModel(code, problem);
	CheckOptions(m, code);
}

/*
 * An untrusted value of 'size' bytes (varlena header included, set): a
 * format 1 value is converted to the current format (trained_at unknown),
 * then everything is validated.  Returns the value to use.
 */
static AlsModelHeader *
UntrustedModel(bytea *raw)
{
	Size		size = VARSIZE(raw);
	AlsModelHeader *m = (AlsModelHeader *) raw;

	if (size >= offsetof(AlsModelHeader, version) + sizeof(int32) &&
		m->magic == ALS_MODEL_MAGIC && m->version == 1)
	{
		Size		grown = size + sizeof(int64);
		char	   *v2;

		if (size < ALS_MODEL_V1_HEADER_SIZE)
			BadModel(ERRCODE_INVALID_BINARY_REPRESENTATION, "value is too short");
		if (grown > MaxAllocSize)
			BadModel(ERRCODE_INVALID_BINARY_REPRESENTATION, "value is too large");
		StaticAssertStmt(offsetof(AlsModelHeader, trained_at) == ALS_MODEL_V1_TRAINED_AT_OFFSET &&
						 offsetof(AlsModelHeader, data) == ALS_MODEL_V1_HEADER_SIZE + sizeof(int64),
						 "format 1 header layout");
		v2 = palloc0(grown);
		memcpy(v2, raw, ALS_MODEL_V1_TRAINED_AT_OFFSET);
		/* trained_at stays 0 (unknown) */
		memcpy(v2 + ALS_MODEL_V1_TRAINED_AT_OFFSET + sizeof(int64),
			   (char *) raw + ALS_MODEL_V1_TRAINED_AT_OFFSET,
			   size - ALS_MODEL_V1_TRAINED_AT_OFFSET);
		m = (AlsModelHeader *) v2;
		SET_VARSIZE(m, grown);
		m->version = ALS_MODEL_VERSION;
		pfree(raw);
		size = grown;
	}
	als_model_validate(m, size, ERRCODE_INVALID_BINARY_REPRESENTATION);
	return m;
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
	PG_RETURN_POINTER(UntrustedModel(result));
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
	bytea	   *result;

	if ((Size) nbytes + VARHDRSZ > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("nfrec.als_model value is too large")));
	result = (bytea *) palloc(nbytes + VARHDRSZ);

	SET_VARSIZE(result, nbytes + VARHDRSZ);
	pq_copymsgbytes(buf, VARDATA(result), nbytes);
	PG_RETURN_POINTER(UntrustedModel(result));
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
