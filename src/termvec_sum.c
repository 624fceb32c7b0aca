/*
 * termvec_sum.c -- nfrec.sum(termvec) and nfrec.avg(termvec).
 *
 * A user's content profile is the average of the vectors of the titles
 * they watched.  The state is a term dictionary with one double sum per
 * term (so the result does not depend on the order of the rows beyond
 * floating-point rounding) and the number of non-NULL vectors.  Combine,
 * serialize and deserialize functions let PostgreSQL run it in parallel.
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "termdict.h"
#include "termvec.h"

typedef struct TermAccum
{
	TermDict   *dict;
	double	   *sums;			/* per term id */
	int32		cap;
	int64		nvecs;			/* non-NULL input vectors */
} TermAccum;

static TermAccum *
AccumCreate(MemoryContext cxt, int32 expected)
{
	TermAccum  *st = MemoryContextAllocZero(cxt, sizeof(TermAccum));

	st->dict = termdict_create(cxt, expected);
	st->cap = Max(expected, 16);
	st->sums = MemoryContextAllocHuge(cxt, sizeof(double) * st->cap);
	return st;
}

static inline void
AccumAdd(TermAccum *st, const char *t, int32 len, double w)
{
	bool		added;
	int32		id = termdict_add(st->dict, t, len, &added);

	if (id >= st->cap)
	{
		st->cap *= 2;
		st->sums = repalloc_huge(st->sums, sizeof(double) * st->cap);
	}
	if (added)
		st->sums[id] = w;
	else
		st->sums[id] += w;
}

static MemoryContext
AggContext(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext cxt;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return cxt;
}

PG_FUNCTION_INFO_V1(termvec_accum);
Datum
termvec_accum(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = AggContext(fcinfo, "termvec_accum");
	TermAccum  *st = PG_ARGISNULL(0) ? NULL : (TermAccum *) PG_GETARG_POINTER(0);
	TermVec    *v;
	const float4 *w;

	if (PG_ARGISNULL(1))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	v = PG_GETARG_TERMVEC_P(1);
	if (st == NULL)
		st = AccumCreate(cxt, Max(v->nterms * 4, 64));
	w = TV_WEIGHTS(v);
	for (int32 i = 0; i < v->nterms; i++)
	{
		int32		len;
		const char *t = TV_TERM(v, i, &len);

		AccumAdd(st, t, len, w[i]);
		if ((i & 0xffff) == 0xffff)
			CHECK_FOR_INTERRUPTS();
	}
	st->nvecs++;
	PG_RETURN_POINTER(st);
}

static void
AccumMerge(TermAccum *dst, const TermAccum *src)
{
	for (int32 id = 0; id < src->dict->nterms; id++)
	{
		int32		len;
		const char *t = termdict_term(src->dict, id, &len);

		AccumAdd(dst, t, len, src->sums[id]);
		if ((id & 0xffff) == 0xffff)
			CHECK_FOR_INTERRUPTS();
	}
	dst->nvecs += src->nvecs;
}

PG_FUNCTION_INFO_V1(termvec_accum_combine);
Datum
termvec_accum_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = AggContext(fcinfo, "termvec_accum_combine");
	TermAccum  *a = PG_ARGISNULL(0) ? NULL : (TermAccum *) PG_GETARG_POINTER(0);
	TermAccum  *b = PG_ARGISNULL(1) ? NULL : (TermAccum *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = AccumCreate(cxt, Max(b->dict->nterms, 64));
	AccumMerge(a, b);
	PG_RETURN_POINTER(a);
}

/*
 * Serialized state: int64 nvecs, int32 nterms, then per term int32 length,
 * the bytes and a float8 sum.
 */
PG_FUNCTION_INFO_V1(termvec_accum_serialize);
Datum
termvec_accum_serialize(PG_FUNCTION_ARGS)
{
	TermAccum  *st = (TermAccum *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) AggContext(fcinfo, "termvec_accum_serialize");
	pq_begintypsend(&buf);
	pq_sendint64(&buf, st->nvecs);
	pq_sendint32(&buf, st->dict->nterms);
	for (int32 id = 0; id < st->dict->nterms; id++)
	{
		int32		len;
		const char *t = termdict_term(st->dict, id, &len);

		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, t, len);
		pq_sendfloat8(&buf, st->sums[id]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(termvec_accum_deserialize);
Datum
termvec_accum_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = AggContext(fcinfo, "termvec_accum_deserialize");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	TermAccum  *st;
	int32		n;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	st = AccumCreate(cxt, 64);
	st->nvecs = pq_getmsgint64(&buf);
	n = pq_getmsgint(&buf, 4);
	for (int32 i = 0; i < n; i++)
	{
		int32		len = pq_getmsgint(&buf, 4);
		const char *t = pq_getmsgbytes(&buf, len);

		AccumAdd(st, t, len, pq_getmsgfloat8(&buf));
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

static TermVec *
AccumResult(const TermAccum *st, double divisor)
{
	int32	   *ids = termdict_sorted_ids(st->dict);
	TermWeight *items = palloc(sizeof(TermWeight) * Max(st->dict->nterms, 1));

	for (int32 k = 0; k < st->dict->nterms; k++)
	{
		int32		id = ids[k];

		items[k].term = termdict_term(st->dict, id, &items[k].len);
		items[k].weight = st->sums[id] / divisor;
	}
	return termvec_build(items, st->dict->nterms, true, ERRCODE_DATA_EXCEPTION);
}

PG_FUNCTION_INFO_V1(termvec_sum_final);
Datum
termvec_sum_final(PG_FUNCTION_ARGS)
{
	TermAccum  *st = PG_ARGISNULL(0) ? NULL : (TermAccum *) PG_GETARG_POINTER(0);

	if (st == NULL || st->nvecs == 0)
		PG_RETURN_NULL();
	PG_RETURN_TERMVEC_P(AccumResult(st, 1.0));
}

PG_FUNCTION_INFO_V1(termvec_avg_final);
Datum
termvec_avg_final(PG_FUNCTION_ARGS)
{
	TermAccum  *st = PG_ARGISNULL(0) ? NULL : (TermAccum *) PG_GETARG_POINTER(0);

	if (st == NULL || st->nvecs == 0)
		PG_RETURN_NULL();
	PG_RETURN_TERMVEC_P(AccumResult(st, (double) st->nvecs));
}
