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

#include <math.h>

#include "fmgr.h"
#include "common/shortest_dec.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/expandeddatum.h"
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

/* ------------------------------------------------------------------ */
/* nfrec.termvec_state: the accumulator as a real state type           */
/* ------------------------------------------------------------------ */
/*
 * nfrec.termvec_sum / nfrec.termvec_avg: the same accumulator in an
 * expanded object (updated in place) so that Citus, which needs a state
 * type that is not a pseudo-type and does not rewrite these names, runs
 * them as worker partials plus a coordinator combine.  The flat form is
 * the bytes termvec_accum_serialize makes; the text form is
 * "nvecs;len:term=sum;..." with terms in byte order, each term's length in
 * bytes before it (terms may hold any character) and each sum in its
 * shortest exact decimal, so text round trips are lossless.
 */

typedef struct AccumEOH
{
	ExpandedObjectHeader hdr;
	TermAccum  *st;
	bytea	   *flat;			/* cached flat form, NULL after a change */
} AccumEOH;

static Size AccumEOHFlatSize(ExpandedObjectHeader *eohptr);
static void AccumEOHFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods AccumEOHMethods = {
	AccumEOHFlatSize,
	AccumEOHFlatten
};

static bytea *
AccumToFlat(const TermAccum *st, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	int32	   *ids = termdict_sorted_ids(st->dict);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, st->nvecs);
	pq_sendint32(&buf, st->dict->nterms);
	for (int32 k = 0; k < st->dict->nterms; k++)
	{
		int32		len;
		const char *t = termdict_term(st->dict, ids[k], &len);

		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, t, len);
		pq_sendfloat8(&buf, st->sums[ids[k]]);
	}
	pfree(ids);
	MemoryContextSwitchTo(old);
	return pq_endtypsend(&buf);
}

static Size
AccumEOHFlatSize(ExpandedObjectHeader *eohptr)
{
	AccumEOH   *e = (AccumEOH *) eohptr;

	if (e->flat == NULL)
		e->flat = AccumToFlat(e->st, e->hdr.eoh_context);
	return VARSIZE(e->flat);
}

static void
AccumEOHFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	AccumEOH   *e = (AccumEOH *) eohptr;

	Assert(e->flat != NULL && allocated_size == VARSIZE(e->flat));
	memcpy(result, e->flat, allocated_size);
}

static void
AccumBadFlat(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary data for type termvec_state")));
}

/* An accumulator from flat bytes (validated: they may come from a client). */
static TermAccum *
AccumFromBytes(const char *data, int len, MemoryContext cxt)
{
	StringInfoData buf;
	TermAccum  *st;
	int32		n;

	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	if (len < 12)
		AccumBadFlat();
	st = AccumCreate(cxt, 64);
	st->nvecs = pq_getmsgint64(&buf);
	n = pq_getmsgint(&buf, 4);
	if (st->nvecs < 0 || n < 0 || n > (len - 12) / 13)
		AccumBadFlat();
	for (int32 i = 0; i < n; i++)
	{
		int32		tlen;
		const char *t;
		double		w;

		if (buf.len - buf.cursor < 4)
			AccumBadFlat();
		tlen = pq_getmsgint(&buf, 4);
		if (tlen < 1 || tlen > buf.len - buf.cursor - 8)
			AccumBadFlat();
		t = pq_getmsgbytes(&buf, tlen);
		if (memchr(t, '\0', tlen) != NULL || !pg_verifymbstr(t, tlen, true))
			AccumBadFlat();
		w = pq_getmsgfloat8(&buf);
		if (isnan(w))
			AccumBadFlat();
		AccumAdd(st, t, tlen, w);
		if (st->dict->nterms != i + 1)
			AccumBadFlat();		/* a term twice */
	}
	if (buf.cursor != buf.len)
		AccumBadFlat();
	return st;
}

static AccumEOH *
AccumEOHCreate(MemoryContext parent, const char *data, int len)
{
	MemoryContext objcxt = AllocSetContextCreate(parent, "nfrec termvec_state",
												 ALLOCSET_DEFAULT_SIZES);
	AccumEOH   *e = MemoryContextAllocZero(objcxt, sizeof(AccumEOH));

	EOH_init_header(&e->hdr, &AccumEOHMethods, objcxt);
	e->st = data ? AccumFromBytes(data, len, objcxt) : AccumCreate(objcxt, 64);
	return e;
}

/* The accumulator behind a termvec_state datum, read-only. */
static TermAccum *
AccumOfDatum(Datum d)
{
	struct varlena *p = (struct varlena *) DatumGetPointer(d);

	if (VARATT_IS_EXTERNAL_EXPANDED(p) &&
		DatumGetEOHP(d)->eoh_methods == &AccumEOHMethods)
		return ((AccumEOH *) DatumGetEOHP(d))->st;
	p = PG_DETOAST_DATUM_PACKED(d);
	return AccumFromBytes(VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p), CurrentMemoryContext);
}

/* The transition state: argument 0 updated in place, or a new one. */
static AccumEOH *
AccumStateArg(FunctionCallInfo fcinfo)
{
	MemoryContext cxt;
	Datum		d;

	/* called directly (not by an aggregate): the caller's memory context */
	if (!AggCheckCallContext(fcinfo, &cxt))
		cxt = CurrentMemoryContext;
	if (PG_ARGISNULL(0))
		return AccumEOHCreate(cxt, NULL, 0);
	d = PG_GETARG_DATUM(0);
	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &AccumEOHMethods)
	{
		AccumEOH   *e = (AccumEOH *) DatumGetEOHP(d);

		if (e->flat)
		{
			pfree(e->flat);
			e->flat = NULL;
		}
		return e;
	}
	{
		struct varlena *p = PG_DETOAST_DATUM_PACKED(d);

		return AccumEOHCreate(cxt, VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p));
	}
}

#define ACCUM_RETURN(e) PG_RETURN_DATUM(EOHPGetRWDatum(&(e)->hdr))

PG_FUNCTION_INFO_V1(termvec_state_accum);
Datum
termvec_state_accum(PG_FUNCTION_ARGS)
{
	AccumEOH   *e;
	TermVec    *v;
	const float4 *w;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		ACCUM_RETURN(AccumStateArg(fcinfo));
	}
	e = AccumStateArg(fcinfo);
	v = PG_GETARG_TERMVEC_P(1);
	w = TV_WEIGHTS(v);
	for (int32 i = 0; i < v->nterms; i++)
	{
		int32		len;
		const char *t = TV_TERM(v, i, &len);

		AccumAdd(e->st, t, len, w[i]);
		if ((i & 0xffff) == 0xffff)
			CHECK_FOR_INTERRUPTS();
	}
	e->st->nvecs++;
	ACCUM_RETURN(e);
}

PG_FUNCTION_INFO_V1(termvec_state_combine);
Datum
termvec_state_combine(PG_FUNCTION_ARGS)
{
	AccumEOH   *a;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		ACCUM_RETURN(AccumStateArg(fcinfo));
	}
	a = AccumStateArg(fcinfo);
	AccumMerge(a->st, AccumOfDatum(PG_GETARG_DATUM(1)));
	ACCUM_RETURN(a);
}

PG_FUNCTION_INFO_V1(termvec_state_sum_final);
Datum
termvec_state_sum_final(PG_FUNCTION_ARGS)
{
	TermAccum  *st = PG_ARGISNULL(0) ? NULL : AccumOfDatum(PG_GETARG_DATUM(0));

	if (st == NULL || st->nvecs == 0)
		PG_RETURN_NULL();
	PG_RETURN_TERMVEC_P(AccumResult(st, 1.0));
}

PG_FUNCTION_INFO_V1(termvec_state_avg_final);
Datum
termvec_state_avg_final(PG_FUNCTION_ARGS)
{
	TermAccum  *st = PG_ARGISNULL(0) ? NULL : AccumOfDatum(PG_GETARG_DATUM(0));

	if (st == NULL || st->nvecs == 0)
		PG_RETURN_NULL();
	PG_RETURN_TERMVEC_P(AccumResult(st, (double) st->nvecs));
}

/* text form ----------------------------------------------------------- */

PG_FUNCTION_INFO_V1(termvec_state_out);
Datum
termvec_state_out(PG_FUNCTION_ARGS)
{
	TermAccum  *st = AccumOfDatum(PG_GETARG_DATUM(0));
	int32	   *ids = termdict_sorted_ids(st->dict);
	StringInfoData s;
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

	initStringInfo(&s);
	appendStringInfo(&s, INT64_FORMAT, st->nvecs);
	for (int32 k = 0; k < st->dict->nterms; k++)
	{
		int32		len;
		const char *t = termdict_term(st->dict, ids[k], &len);

		double_to_shortest_decimal_buf(st->sums[ids[k]], num);
		appendStringInfo(&s, ";%d:", len);
		appendBinaryStringInfo(&s, t, len);
		appendStringInfo(&s, "=%s", num);
	}
	PG_RETURN_CSTRING(s.data);
}

static void
AccumBadText(const char *str)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", "termvec_state", str),
			 errdetail("The text form is vectors;length:term=sum;... with each term once and its length in bytes.")));
}

static int64
AccumParseInt(const char *str, const char **p)
{
	char	   *end;
	long long	v;

	if (!(**p >= '0' && **p <= '9'))
		AccumBadText(str);
	errno = 0;
	v = strtoll(*p, &end, 10);
	if (errno != 0 || end == *p)
		AccumBadText(str);
	*p = end;
	return (int64) v;
}

PG_FUNCTION_INFO_V1(termvec_state_in);
Datum
termvec_state_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	const char *p = str;
	TermAccum  *st = AccumCreate(CurrentMemoryContext, 64);
	int32		n = 0;

	st->nvecs = AccumParseInt(str, &p);
	while (*p == ';')
	{
		int64		len;
		const char *t;
		double		w;
		char	   *end;

		p++;
		len = AccumParseInt(str, &p);
		if (*p++ != ':' || len < 1 || len > PG_INT32_MAX ||
			strnlen(p, len) != (size_t) len || !pg_verifymbstr(p, len, true))
			AccumBadText(str);
		t = p;
		p += len;
		if (*p++ != '=')
			AccumBadText(str);
		if (!(*p == '-' || *p == '.' || *p == 'I' || (*p >= '0' && *p <= '9')))
			AccumBadText(str);
		w = strtod(p, &end);
		if (end == p || isnan(w))
			AccumBadText(str);
		p = end;
		AccumAdd(st, t, (int32) len, w);
		if (st->dict->nterms != ++n)
			AccumBadText(str);
	}
	if (*p != '\0')
		AccumBadText(str);
	PG_RETURN_POINTER(AccumToFlat(st, CurrentMemoryContext));
}

PG_FUNCTION_INFO_V1(termvec_state_send);
Datum
termvec_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(AccumToFlat(AccumOfDatum(PG_GETARG_DATUM(0)), CurrentMemoryContext));
}

PG_FUNCTION_INFO_V1(termvec_state_recv);
Datum
termvec_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	TermAccum  *st = AccumFromBytes(buf->data + buf->cursor, buf->len - buf->cursor,
									CurrentMemoryContext);

	buf->cursor = buf->len;
	PG_RETURN_POINTER(AccumToFlat(st, CurrentMemoryContext));
}
