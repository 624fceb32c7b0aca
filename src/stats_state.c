/*
 * stats_state.c -- glue shared by the statistics aggregates.  See
 * stats_state.h.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "pgutil.h"
#include "stats_state.h"

#define STATS_ROWS_INITIAL	64

/* ---------------------------------------------------------------------
 * Rows
 * --------------------------------------------------------------------- */

void
stats_rows_init(StatsRows *r, MemoryContext cxt, bool labeled)
{
	r->dim = 0;
	r->labeled = labeled;
	r->n = 0;
	r->cap = 0;
	r->x = NULL;
	r->y = NULL;
	r->cxt = cxt;
}

/* Make room for at least need rows. */
static void
RowsReserve(StatsRows *r, int64 need)
{
	int64		cap;
	Size		xbytes;

	if (need <= r->cap)
		return;
	cap = Max(r->cap, STATS_ROWS_INITIAL);
	while (cap < need)
		cap *= 2;
	if (cap > (int64) (MaxAllocHugeSize / sizeof(double) / r->dim))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for an in-memory statistics aggregate")));
	xbytes = (Size) cap * r->dim * sizeof(double);
	if (r->x == NULL)
		r->x = MemoryContextAllocHuge(r->cxt, xbytes);
	else
		r->x = repalloc_huge(r->x, xbytes);
	if (r->labeled)
	{
		if (r->y == NULL)
			r->y = MemoryContextAllocHuge(r->cxt, cap);
		else
			r->y = repalloc_huge(r->y, cap);
	}
	r->cap = cap;
}

static void
CheckDim(StatsRows *r, int dim, const char *what)
{
	if (r->dim == 0)
		r->dim = dim;
	else if (r->dim != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different %s dimensions %d and %d", what, r->dim, dim),
				 errdetail("Every row must have the same number of values.")));
}

void
stats_rows_append(StatsRows *r, const double *v, int dim, uint8 y, const char *what)
{
	CheckDim(r, dim, what);
	RowsReserve(r, r->n + 1);
	memcpy(r->x + (Size) r->n * dim, v, sizeof(double) * dim);
	if (r->labeled)
		r->y[r->n] = y;
	r->n++;
}

void
stats_rows_append_rows(StatsRows *dst, const StatsRows *src, const char *what)
{
	if (src->n == 0)
		return;
	CheckDim(dst, src->dim, what);
	RowsReserve(dst, dst->n + src->n);
	memcpy(dst->x + (Size) dst->n * dst->dim, src->x, sizeof(double) * src->n * src->dim);
	if (dst->labeled)
		memcpy(dst->y + dst->n, src->y, src->n);
	dst->n += src->n;
}

/* layout: int32 dim, int32 labeled, int64 n, y[n] (labeled), x[n * dim] */
Size
stats_rows_serial_size(const StatsRows *r)
{
	return 2 * sizeof(int32) + sizeof(int64) +
		(r->labeled ? (Size) r->n : 0) + (Size) r->n * r->dim * sizeof(double);
}

char *
stats_rows_write(const StatsRows *r, char *dst)
{
	int32		labeled = r->labeled ? 1 : 0;
	Size		xbytes = (Size) r->n * r->dim * sizeof(double);

	memcpy(dst, &r->dim, sizeof(int32));
	dst += sizeof(int32);
	memcpy(dst, &labeled, sizeof(int32));
	dst += sizeof(int32);
	memcpy(dst, &r->n, sizeof(int64));
	dst += sizeof(int64);
	if (r->labeled && r->n > 0)
	{
		memcpy(dst, r->y, r->n);
		dst += r->n;
	}
	if (xbytes > 0)
	{
		memcpy(dst, r->x, xbytes);
		dst += xbytes;
	}
	return dst;
}

const char *
stats_rows_read(StatsRows *r, const char *src, const char *end)
{
	int32		dim,
				labeled;
	int64		n;
	Size		need;

	if (end - src < (ptrdiff_t) (2 * sizeof(int32) + sizeof(int64)))
		elog(ERROR, "serialized statistics state is truncated");
	memcpy(&dim, src, sizeof(int32));
	src += sizeof(int32);
	memcpy(&labeled, src, sizeof(int32));
	src += sizeof(int32);
	memcpy(&n, src, sizeof(int64));
	src += sizeof(int64);
	if (dim < 0 || n < 0 || (labeled != 0) != r->labeled || (n > 0 && dim == 0) ||
		(dim > 0 && n > (int64) (MaxAllocHugeSize / sizeof(double) / dim)))
		elog(ERROR, "serialized statistics state is corrupt");
	need = (r->labeled ? (Size) n : 0) + (Size) n * dim * sizeof(double);
	if ((Size) (end - src) < need)
		elog(ERROR, "serialized statistics state is truncated");

	r->dim = dim;
	r->n = 0;
	if (n > 0)
	{
		RowsReserve(r, n);
		if (r->labeled)
		{
			memcpy(r->y, src, n);
			src += n;
		}
		memcpy(r->x, src, (Size) n * dim * sizeof(double));
		src += (Size) n * dim * sizeof(double);
	}
	r->n = n;
	return src;
}

int
stats_float8_vector(ArrayType *a, const char *what, const double **data)
{
	void	   *p;
	int			n = nf_vector_array(a, FLOAT8OID, what, &p);
	const double *v = (const double *) p;

	for (int i = 0; i < n; i++)
		if (!isfinite(v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s must not contain NaN or infinite values", what)));
	*data = v;
	return n;
}

bytea *
stats_alloc_serial(Size payload, const char *aggname)
{
	bytea	   *b;

	if (payload > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s state is too large to pass between parallel workers", aggname),
				 errdetail("The serialized state would take %zu bytes; the limit is 1 GB.",
						   payload + VARHDRSZ),
				 errhint("Run it without parallelism: SET max_parallel_workers_per_gather = 0.")));
	b = (bytea *) palloc(payload + VARHDRSZ);
	SET_VARSIZE(b, payload + VARHDRSZ);
	return b;
}

void
stats_check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/* ---------------------------------------------------------------------
 * Options
 * --------------------------------------------------------------------- */

void
stats_agg_options_row(StatsAggOptions *o, Jsonb *opts, MemoryContext cxt,
					  const char *funcname, const NfOption *table, int ntable)
{
	Assert(ntable <= STATS_MAX_OPTIONS);
	if (!o->seen)
	{
		if (opts)
		{
			nf_parse_options(opts, funcname, table, ntable, o->v);
			o->json = MemoryContextAlloc(cxt, VARSIZE(opts));
			memcpy(o->json, opts, VARSIZE(opts));
		}
		o->seen = true;
	}
	else if ((opts == NULL) != (o->json == NULL) ||
			 (opts && (VARSIZE(opts) != VARSIZE(o->json) ||
					   memcmp(opts, o->json, VARSIZE(opts)) != 0)))
		nf_options_differ(funcname);
}

void
stats_agg_options_merge(StatsAggOptions *a, const StatsAggOptions *b, const char *funcname)
{
	if (!b->seen)
		return;
	if (!a->seen)
	{
		a->seen = true;
		memcpy(a->v, b->v, sizeof(a->v));
	}
	else if (memcmp(a->v, b->v, sizeof(a->v)) != 0)
		nf_options_differ(funcname);
}

char *
stats_agg_options_write(const StatsAggOptions *o, char *dst)
{
	int32		seen = o->seen ? 1 : 0;

	memcpy(dst, &seen, sizeof(int32));
	memcpy(dst + sizeof(int32), o->v, sizeof(o->v));
	return dst + STATS_AGG_OPTIONS_SERIAL_SIZE;
}

const char *
stats_agg_options_read(StatsAggOptions *o, const char *src, const char *end)
{
	int32		seen;

	if ((Size) (end - src) < STATS_AGG_OPTIONS_SERIAL_SIZE)
		elog(ERROR, "serialized aggregate options are truncated");
	memcpy(&seen, src, sizeof(int32));
	o->seen = (seen != 0);
	o->json = NULL;
	memcpy(o->v, src + sizeof(int32), sizeof(o->v));
	return src + STATS_AGG_OPTIONS_SERIAL_SIZE;
}

/* ---------------------------------------------------------------------
 * jsonb results
 * --------------------------------------------------------------------- */

void
stats_json_begin(StatsJson *j)
{
	initStringInfo(&j->buf);
	appendStringInfoChar(&j->buf, '{');
	j->first = true;
}

static void
JsonKey(StatsJson *j, const char *key)
{
	if (!j->first)
		appendStringInfoString(&j->buf, ", ");
	j->first = false;
	escape_json(&j->buf, key);
	appendStringInfoString(&j->buf, ": ");
}

static void
JsonNumber(StringInfo buf, double v)
{
	if (!isfinite(v))
		appendStringInfoString(buf, "null");
	else
		appendStringInfoString(buf, float8out_internal(v));
}

void
stats_json_float(StatsJson *j, const char *key, double v)
{
	JsonKey(j, key);
	JsonNumber(&j->buf, v);
}

void
stats_json_int(StatsJson *j, const char *key, int64 v)
{
	JsonKey(j, key);
	appendStringInfo(&j->buf, INT64_FORMAT, v);
}

void
stats_json_bool(StatsJson *j, const char *key, bool v)
{
	JsonKey(j, key);
	appendStringInfoString(&j->buf, v ? "true" : "false");
}

void
stats_json_null(StatsJson *j, const char *key)
{
	JsonKey(j, key);
	appendStringInfoString(&j->buf, "null");
}

void
stats_json_float_array(StatsJson *j, const char *key, const double *v, int n)
{
	JsonKey(j, key);
	appendStringInfoChar(&j->buf, '[');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&j->buf, ", ");
		JsonNumber(&j->buf, v[i]);
	}
	appendStringInfoChar(&j->buf, ']');
}

Jsonb *
stats_json_end(StatsJson *j)
{
	appendStringInfoChar(&j->buf, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(j->buf.data)));
}
