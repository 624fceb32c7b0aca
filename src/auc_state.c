/*
 * auc_state.c -- glue: nfrec.auc_state, the state of nfrec.auc as a real
 * type so that Citus runs auc as worker partials plus a coordinator
 * combine (doc/scale.md).
 *
 * The state counts positives and negatives per score (-0 folded into 0):
 * rows are appended as (score, 1, 0) or (score, 0, 1) and the array is
 * sorted and equal scores merged whenever it fills, so it holds at most
 * about twice the distinct scores.  That is all the Mann-Whitney count
 * needs: the final function sorts the distinct scores
 * and stats_auc_counts gives the same doubled U, an integer, as the
 * internal-state auc that kept every score (stats_auc), so the result is
 * the same double.  Memory: up to 48 bytes per distinct score instead of
 * 8 per row, and much less when scores repeat.
 *
 * Text form: "npos/nneg;score=pos/neg;..." with the scores ascending in
 * their shortest exact decimal (Infinity allowed, NaN not) and the totals
 * first ("0/0" is the empty state).  Binary (flat) form: int64 m, then m
 * times float8 score, int64 pos, int64 neg, scores ascending.
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "aggstate.h"
#include "sort.h"
#include "stats.h"

typedef struct AucEntry
{
	double		score;
	int64		pos;
	int64		neg;
} AucEntry;

/*
 * Entries [0, m): scores with counts, possibly the same score more than
 * once (rows are appended as they come); Compact sorts them and merges
 * equal scores, which the array does whenever it fills, so it holds at
 * most about twice the distinct scores.
 */
typedef struct AucCounts
{
	MemoryContext cxt;
	int64		m;
	int64		cap;
	bool		compact;		/* sorted, each score once */
	AucEntry   *e;
} AucCounts;

#define AUC_INITIAL_CAP		1024

static void *
AucCreateSized(MemoryContext cxt, int64 cap)
{
	AucCounts  *a = MemoryContextAllocZero(cxt, sizeof(AucCounts));

	a->cxt = cxt;
	a->cap = cap;
	a->compact = true;
	a->e = MemoryContextAllocHuge(cxt, sizeof(AucEntry) * cap);
	return a;
}

static void *
AucCreate(MemoryContext cxt)
{
	return AucCreateSized(cxt, AUC_INITIAL_CAP);
}

static int
CmpEntry(const void *x, const void *y, void *arg)
{
	double		a = ((const AucEntry *) x)->score,
				b = ((const AucEntry *) y)->score;

	return (a > b) - (a < b);
}

static void
CheckInterrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/* Sort the entries by score and merge equal scores. */
static void
AucCompact(AucCounts *a)
{
	AucEntry   *scratch;
	int64		w = 0;

	if (a->compact)
		return;
	scratch = MemoryContextAllocHuge(a->cxt, sizeof(AucEntry) * Max(a->m, 1));
	nf_merge_sort(a->e, a->m, sizeof(AucEntry), scratch, CmpEntry, NULL, CheckInterrupts);
	pfree(scratch);
	for (int64 j = 0; j < a->m; j++)
	{
		if (w > 0 && a->e[w - 1].score == a->e[j].score)
		{
			a->e[w - 1].pos += a->e[j].pos;
			a->e[w - 1].neg += a->e[j].neg;
		}
		else
			a->e[w++] = a->e[j];
	}
	a->m = w;
	a->compact = true;
}

/* Count pos positives and neg negatives at score s (not NaN). */
static inline void
AucAdd(AucCounts *a, double s, int64 pos, int64 neg)
{
	if (a->m == a->cap)
	{
		AucCompact(a);
		if (a->m > a->cap / 2)
		{
			if (a->cap > (int64) (MaxAllocHugeSize / sizeof(AucEntry) / 2))
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many distinct scores for auc")));
			a->cap *= 2;
			a->e = repalloc_huge(a->e, sizeof(AucEntry) * a->cap);
		}
	}
	if (s == 0.0)
		s = 0.0;				/* -0 and 0 are one score */
	if (a->m > 0 && !(a->e[a->m - 1].score < s))
		a->compact = false;
	a->e[a->m].score = s;
	a->e[a->m].pos = pos;
	a->e[a->m].neg = neg;
	a->m++;
}

static bytea *
AucFlatten(const void *st)
{
	AucCounts  *a = (AucCounts *) st;	/* compacting keeps the content */
	StringInfoData buf;

	AucCompact(a);
	pq_begintypsend(&buf);
	pq_sendint64(&buf, a->m);
	for (int64 j = 0; j < a->m; j++)
	{
		pq_sendfloat8(&buf, a->e[j].score);
		pq_sendint64(&buf, a->e[j].pos);
		pq_sendint64(&buf, a->e[j].neg);
	}
	return pq_endtypsend(&buf);
}

static void *AucRead(const char *data, int len, MemoryContext cxt);

static const NfStateType AucType = {"auc_state", AucCreate, AucFlatten, AucRead};

/* one more score of a state read from text or bytes: counts not
 * negative, not both 0, no overflow, no NaN */
static bool
AucEntryOk(AucCounts *a, double s, int64 pos, int64 neg, int64 *npos, int64 *nneg)
{
	if (isnan(s) || pos < 0 || neg < 0 || (pos == 0 && neg == 0) ||
		pg_add_s64_overflow(*npos, pos, npos) || pg_add_s64_overflow(*nneg, neg, nneg))
		return false;
	AucAdd(a, s, pos, neg);
	return true;
}

/* After reading nread entries: false if a score came twice. */
static bool
AucNoDuplicates(AucCounts *a, int64 nread)
{
	AucCompact(a);
	return a->m == nread;
}

static void *
AucRead(const char *data, int len, MemoryContext cxt)
{
	StringInfoData buf;
	AucCounts  *a;
	int64		m,
				npos = 0,
				nneg = 0;

	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	if (len < 8)
		nf_state_bad_binary(&AucType);
	m = pq_getmsgint64(&buf);
	if (m < 0 || (len - 8) % 24 != 0 || m != (len - 8) / 24)
		nf_state_bad_binary(&AucType);
	a = AucCreateSized(cxt, Max(m, AUC_INITIAL_CAP));
	for (int64 j = 0; j < m; j++)
	{
		double		s = pq_getmsgfloat8(&buf);
		int64		p = pq_getmsgint64(&buf);
		int64		q = pq_getmsgint64(&buf);

		if (!AucEntryOk(a, s, p, q, &npos, &nneg))
			nf_state_bad_binary(&AucType);
	}
	if (!AucNoDuplicates(a, m))
		nf_state_bad_binary(&AucType);
	return a;
}

/* SQL functions ------------------------------------------------------- */

PG_FUNCTION_INFO_V1(auc_state_accum);
Datum
auc_state_accum(PG_FUNCTION_ARGS)
{
	NfStateEOH *e;
	double		score;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		NF_STATE_RETURN(nf_state_arg(fcinfo, &AucType));
	}
	score = PG_GETARG_FLOAT8(1);
	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("auc score must not be NaN")));
	e = nf_state_arg(fcinfo, &AucType);
	if (PG_GETARG_BOOL(2))
		AucAdd(e->st, score, 1, 0);
	else
		AucAdd(e->st, score, 0, 1);
	NF_STATE_RETURN(e);
}

PG_FUNCTION_INFO_V1(auc_state_combine);
Datum
auc_state_combine(PG_FUNCTION_ARGS)
{
	NfStateEOH *e;
	AucCounts  *b;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		NF_STATE_RETURN(nf_state_arg(fcinfo, &AucType));
	}
	e = nf_state_arg(fcinfo, &AucType);
	b = nf_state_of_datum(PG_GETARG_DATUM(1), &AucType);
	AucCompact(b);
	for (int64 j = 0; j < b->m; j++)
	{
		if ((j & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		AucAdd(e->st, b->e[j].score, b->e[j].pos, b->e[j].neg);
	}
	NF_STATE_RETURN(e);
}

PG_FUNCTION_INFO_V1(auc_state_final);
Datum
auc_state_final(PG_FUNCTION_ARGS)
{
	AucCounts  *a;
	int64	   *pos,
			   *neg;
	double		r;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	a = nf_state_of_datum(PG_GETARG_DATUM(0), &AucType);
	AucCompact(a);
	pos = palloc_extended(sizeof(int64) * Max(a->m, 1), MCXT_ALLOC_HUGE);
	neg = palloc_extended(sizeof(int64) * Max(a->m, 1), MCXT_ALLOC_HUGE);
	for (int64 j = 0; j < a->m; j++)
	{
		pos[j] = a->e[j].pos;
		neg[j] = a->e[j].neg;
	}
	r = stats_auc_counts(pos, neg, a->m);
	if (isnan(r))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(r);
}

/* text form ----------------------------------------------------------- */

#define AUC_FORM "The text form is npos/nneg;score=pos/neg;... with each score once, counts not negative and the totals first."

PG_FUNCTION_INFO_V1(auc_state_out);
Datum
auc_state_out(PG_FUNCTION_ARGS)
{
	AucCounts  *a = nf_state_of_datum(PG_GETARG_DATUM(0), &AucType);
	AucEntry   *e;
	StringInfoData s;
	int64		npos = 0,
				nneg = 0;

	AucCompact(a);
	e = a->e;
	for (int64 j = 0; j < a->m; j++)
	{
		npos += e[j].pos;
		nneg += e[j].neg;
	}
	initStringInfo(&s);
	appendStringInfo(&s, INT64_FORMAT "/" INT64_FORMAT, npos, nneg);
	for (int64 j = 0; j < a->m; j++)
	{
		appendStringInfoChar(&s, ';');
		nf_state_append_float8s(&s, &e[j].score, 1);
		appendStringInfo(&s, "=" INT64_FORMAT "/" INT64_FORMAT, e[j].pos, e[j].neg);
	}
	PG_RETURN_CSTRING(s.data);
}

/* "pos/neg" */
static void
ParsePair(NfStateText *t, int64 *pos, int64 *neg)
{
	*pos = nf_state_parse_count(t);
	nf_state_expect(t, '/');
	*neg = nf_state_parse_count(t);
}

PG_FUNCTION_INFO_V1(auc_state_in);
Datum
auc_state_in(PG_FUNCTION_ARGS)
{
	NfStateText t = {&AucType, PG_GETARG_CSTRING(0), AUC_FORM, NULL};
	AucCounts  *a = AucCreate(CurrentMemoryContext);
	int64		tpos,
				tneg,
				npos = 0,
				nneg = 0,
				nread = 0;

	t.p = t.str;
	ParsePair(&t, &tpos, &tneg);
	while (*t.p == ';')
	{
		double		s;
		int64		pos,
					neg;

		t.p++;
		s = nf_state_parse_float8(&t);
		nf_state_expect(&t, '=');
		ParsePair(&t, &pos, &neg);
		if (!AucEntryOk(a, s, pos, neg, &npos, &nneg))
			nf_state_bad(&t);
		nread++;
	}
	nf_state_expect_end(&t);
	if (npos != tpos || nneg != tneg || !AucNoDuplicates(a, nread))
		nf_state_bad(&t);
	PG_RETURN_POINTER(AucFlatten(a));
}

PG_FUNCTION_INFO_V1(auc_state_send);
Datum
auc_state_send(PG_FUNCTION_ARGS)
{
	return nf_state_send(fcinfo, &AucType);
}

PG_FUNCTION_INFO_V1(auc_state_recv);
Datum
auc_state_recv(PG_FUNCTION_ARGS)
{
	return nf_state_recv(fcinfo, &AucType);
}
