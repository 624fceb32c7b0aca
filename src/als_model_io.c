/*
 * als_model_io.c -- the nfrec.als_model type's SQL side: the whole
 * validation of an untrusted value (als_model.c's structural check, then
 * the options), text and binary I/O, and a readable summary.
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

#include "als_model.h"
#include "als_model_io.h"
#include "model_value.h"

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
	PG_RETURN_POINTER(UntrustedModel(nf_model_text_in(PG_GETARG_CSTRING(0), "nfrec.als_model")));
}

PG_FUNCTION_INFO_V1(als_model_out);
Datum
als_model_out(PG_FUNCTION_ARGS)
{
	AlsModelHeader *m = PG_GETARG_ALSMODEL_P(0);

	PG_RETURN_CSTRING(nf_model_text_out((bytea *) m, "nfrec.als_model"));
}

PG_FUNCTION_INFO_V1(als_model_recv);
Datum
als_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	PG_RETURN_POINTER(UntrustedModel(nf_model_recv(buf, "nfrec.als_model")));
}

PG_FUNCTION_INFO_V1(als_model_send);
Datum
als_model_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(nf_model_send(PG_GETARG_DATUM(0)));
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
