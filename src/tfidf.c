/*
 * tfidf.c -- TF-IDF vectors with scikit-learn's TfidfVectorizer weighting.
 *
 *   weight(t, d) = count(t, d) * idf(t),  idf(t) = ln((1 + N) / (1 + df(t))) + 1
 *
 * then each document's vector is divided by its L2 norm (smooth_idf=True,
 * sublinear_tf=False, norm='l2': the defaults).  N is the number of
 * non-NULL documents of the corpus, df(t) the number of them containing t.
 *
 * Two forms:
 *
 *  - window: nfrec.tfidf_vec(doc [, config]) OVER (PARTITION BY ...).  On
 *    the first call in a partition every document of the partition is read
 *    once (WinGetFuncArgInPartition), tokenized, and its (term, count) list
 *    kept with the vocabulary and document frequencies in per-partition
 *    memory; each row then gets its vector.  NULL documents get NULL and
 *    are not counted in N.
 *
 *  - fitted: nfrec.tfidf_fit(doc [, config]) is an aggregate returning the
 *    vocabulary as jsonb {"config": ..., "n_docs": N, "doc_freq": {term: df}},
 *    and nfrec.tfidf_vec(doc, vocabulary) vectorizes new text against it;
 *    terms the vocabulary does not know are dropped.
 *
 * Tokenizing: text documents go through PostgreSQL's text search parser and
 * dictionaries (parsetext(), the machinery behind to_tsvector), so a
 * regconfig brings stemming and stop words.  We count the lexemes parsetext
 * emits directly instead of building a tsvector: a tsvector keeps at most
 * 256 positions per lexeme and clamps positions above 16383, so counts read
 * back from one would be wrong for long or repetitive documents.  A lexeme
 * variant emitted by a dictionary (e.g. ispell giving two normal forms)
 * counts once per occurrence, as it would appear in to_tsvector.  Token
 * arrays (text[]) are used exactly as given; NULL and empty elements are
 * skipped.
 *
 * Both forms compute weights and norms with the same code in the same
 * (term byte) order, so fit + vectorize on a corpus gives bit-identical
 * vectors to the window form.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "tsearch/ts_utils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "windowapi.h"

#include "termdict.h"
#include "termvec.h"

/* ---------------------------------------------------------------------
 * Shared pieces
 * --------------------------------------------------------------------- */

static inline double
SmoothIdf(double ndocs, double df)
{
	return log((1.0 + ndocs) / (1.0 + df)) + 1.0;
}

static int
CompareInt32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Sort a short int array: insertion sort below 48 elements, else qsort. */
static void
SortInt32(int32 *a, int32 n)
{
	if (n >= 48)
	{
		qsort(a, n, sizeof(int32), CompareInt32);
		return;
	}
	for (int32 i = 1; i < n; i++)
	{
		int32		x = a[i];
		int32		j = i;

		while (j > 0 && a[j - 1] > x)
		{
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

static int
CompareInt64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

static void
SortInt64(int64 *a, int32 n)
{
	if (n >= 48)
	{
		qsort(a, n, sizeof(int64), CompareInt64);
		return;
	}
	for (int32 i = 1; i < n; i++)
	{
		int64		x = a[i];
		int32		j = i;

		while (j > 0 && a[j - 1] > x)
		{
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

/*
 * Turn raw weights count*idf (items in term byte order, distinct) into the
 * L2-normalized vector.  The one place where the final arithmetic happens.
 */
static TermVec *
NormalizedVector(TermWeight *items, int32 n)
{
	double		ss = 0.0;
	double		norm;

	for (int32 i = 0; i < n; i++)
		ss += items[i].weight * items[i].weight;
	norm = sqrt(ss);
	if (norm > 0.0)
		for (int32 i = 0; i < n; i++)
			items[i].weight = items[i].weight / norm;
	return termvec_build(items, n, true, ERRCODE_DATA_EXCEPTION);
}

/* pg_catalog.simple, the default configuration (looked up once) */
static Oid
SimpleConfig(void)
{
	static Oid	simple = InvalidOid;

	if (!OidIsValid(simple))
		simple = DatumGetObjectId(DirectFunctionCall1(regconfigin,
													  CStringGetDatum("pg_catalog.simple")));
	return simple;
}

typedef void (*TokenFn) (void *arg, const char *s, int32 len);

/* Tokenize a text document with a text search configuration. */
static void
TokenizeText(Oid cfg, text *doc, TokenFn fn, void *arg)
{
	ParsedText	prs;
	int32		len = VARSIZE_ANY_EXHDR(doc);

	prs.lenwords = len / 6;
	if (prs.lenwords < 2)
		prs.lenwords = 2;
	else if ((Size) prs.lenwords > MaxAllocSize / sizeof(ParsedWord))
		prs.lenwords = MaxAllocSize / sizeof(ParsedWord);
	prs.curwords = 0;
	prs.pos = 0;
	prs.words = (ParsedWord *) palloc(sizeof(ParsedWord) * prs.lenwords);

	parsetext(cfg, &prs, VARDATA_ANY(doc), len);

	for (int32 i = 0; i < prs.curwords; i++)
		fn(arg, prs.words[i].word, prs.words[i].len);
}

/* Feed the elements of a token array (NULL and '' skipped). */
static void
TokenizeArray(ArrayType *arr, TokenFn fn, void *arg)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_ELEMTYPE(arr) != TEXTOID)
		elog(ERROR, "unexpected array element type %u", ARR_ELEMTYPE(arr));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		text	   *t;

		if (nulls[i])
			continue;
		t = (text *) DatumGetPointer(elems[i]);
		if (VARSIZE_ANY_EXHDR(t) == 0)
			continue;
		fn(arg, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
}

/* ---------------------------------------------------------------------
 * Window form
 * --------------------------------------------------------------------- */

/* Per-partition corpus, in the partition's memory context. */
typedef struct TfidfCorpus
{
	int32		ndocs;			/* rows in the partition */
	int64		nnonnull;		/* N */
	TermDict   *dict;
	int32		cap;			/* allocated length of the per-term arrays */
	int32	   *df;
	int32	   *stamp;			/* last document that counted the term */
	int64	   *slot;			/* its entry in that document */
	double	   *idf;
	int32	   *rank;			/* term id -> position in byte order */
	int32	   *byrank;			/* position in byte order -> term id */
	int64	   *doc_start;		/* ndocs + 1 offsets into the entries */
	bool	   *doc_null;		/* NULL document (not counted in N) */
	int32	   *ent_term;
	int32	   *ent_count;
	int64		nent;
	int64		entcap;
	int32		curdoc;
} TfidfCorpus;

/* Partition-local memory: just a pointer, zeroed at each new partition. */
typedef struct TfidfPartition
{
	TfidfCorpus *corpus;
} TfidfPartition;

/* Query-lifetime memory (fn_extra). */
typedef struct TfidfWindowCache
{
	MemoryContext partcxt;		/* the current partition's corpus */
	MemoryContext doccxt;		/* reset after each document */
} TfidfWindowCache;

static void
CorpusAddToken(void *arg, const char *s, int32 len)
{
	TfidfCorpus *c = (TfidfCorpus *) arg;
	bool		added;
	int32		id = termdict_add(c->dict, s, len, &added);

	if (id >= c->cap)
	{
		c->cap *= 2;
		c->df = repalloc_huge(c->df, sizeof(int32) * c->cap);
		c->stamp = repalloc_huge(c->stamp, sizeof(int32) * c->cap);
		c->slot = repalloc_huge(c->slot, sizeof(int64) * c->cap);
	}
	if (added)
	{
		c->df[id] = 0;
		c->stamp[id] = -1;
	}
	if (c->stamp[id] == c->curdoc)
	{
		c->ent_count[c->slot[id]]++;
		return;
	}
	if (c->nent == c->entcap)
	{
		c->entcap *= 2;
		c->ent_term = repalloc_huge(c->ent_term, sizeof(int32) * c->entcap);
		c->ent_count = repalloc_huge(c->ent_count, sizeof(int32) * c->entcap);
	}
	c->stamp[id] = c->curdoc;
	c->slot[id] = c->nent;
	c->ent_term[c->nent] = id;
	c->ent_count[c->nent] = 1;
	c->nent++;
	c->df[id]++;
}

static Oid
ConfigFromDatum(Datum d, Oid argtype)
{
	if (argtype == REGCONFIGOID)
		return DatumGetObjectId(d);
	/* a configuration given by name (text) */
	return DatumGetObjectId(DirectFunctionCall1(regconfigin,
												CStringGetDatum(TextDatumGetCString(d))));
}

static bool
SameText(Datum a, Datum b)
{
	text	   *x = DatumGetTextPP(a);
	text	   *y = DatumGetTextPP(b);

	return VARSIZE_ANY_EXHDR(x) == VARSIZE_ANY_EXHDR(y) &&
		memcmp(VARDATA_ANY(x), VARDATA_ANY(y), VARSIZE_ANY_EXHDR(x)) == 0;
}

static TfidfCorpus *
BuildCorpus(FunctionCallInfo fcinfo, WindowObject winobj, TfidfWindowCache *cache,
			bool tokens)
{
	int64		nrows = WinGetPartitionRowCount(winobj);
	bool		hascfg = PG_NARGS() > 1;
	Oid			cfgtype = hascfg ? get_fn_expr_argtype(fcinfo->flinfo, 1) : InvalidOid;
	Oid			cfg = InvalidOid;
	Datum		cfgdatum = (Datum) 0;
	MemoryContext old;
	TfidfCorpus *c;
	int32	   *sorted;

	if (nrows > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("tfidf_vec window partition has too many rows"),
				 errdetail("A partition may have at most %d rows.", PG_INT32_MAX)));

	MemoryContextReset(cache->partcxt);
	old = MemoryContextSwitchTo(cache->partcxt);
	c = palloc0(sizeof(TfidfCorpus));
	c->ndocs = (int32) nrows;
	c->dict = termdict_create(cache->partcxt, 1024);
	c->cap = 1024;
	c->df = MemoryContextAllocHuge(cache->partcxt, sizeof(int32) * c->cap);
	c->stamp = MemoryContextAllocHuge(cache->partcxt, sizeof(int32) * c->cap);
	c->slot = MemoryContextAllocHuge(cache->partcxt, sizeof(int64) * c->cap);
	c->doc_start = MemoryContextAllocHuge(cache->partcxt, sizeof(int64) * (nrows + 1));
	c->doc_null = MemoryContextAllocHuge(cache->partcxt, sizeof(bool) * Max(nrows, 1));
	c->entcap = Max(nrows * 16, 1024);
	c->ent_term = MemoryContextAllocHuge(cache->partcxt, sizeof(int32) * c->entcap);
	c->ent_count = MemoryContextAllocHuge(cache->partcxt, sizeof(int32) * c->entcap);

	if (!tokens && !hascfg)
		cfg = SimpleConfig();

	for (int32 i = 0; i < c->ndocs; i++)
	{
		bool		isnull,
					isout;
		Datum		d;

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(cache->doccxt);

		if (hascfg)
		{
			Datum		cd = WinGetFuncArgInPartition(winobj, 1, i, WINDOW_SEEK_HEAD,
													  false, &isnull, &isout);

			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("text search configuration must not be null")));
			if (i == 0)
			{
				cfg = ConfigFromDatum(cd, cfgtype);
				MemoryContextSwitchTo(cache->partcxt);
				cfgdatum = cfgtype == REGCONFIGOID ? cd :
					PointerGetDatum(DatumGetTextPCopy(cd));
				MemoryContextSwitchTo(cache->doccxt);
			}
			else if (cfgtype == REGCONFIGOID ? DatumGetObjectId(cd) != cfg :
					 !SameText(cd, cfgdatum))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("tfidf_vec needs the same text search configuration on every row of a partition")));
		}

		d = WinGetFuncArgInPartition(winobj, 0, i, WINDOW_SEEK_HEAD, false,
									 &isnull, &isout);
		c->doc_start[i] = c->nent;
		c->doc_null[i] = isnull;
		if (!isnull)
		{
			c->curdoc = i;
			c->nnonnull++;
			if (tokens)
				TokenizeArray(DatumGetArrayTypeP(d), CorpusAddToken, c);
			else
				TokenizeText(cfg, DatumGetTextPP(d), CorpusAddToken, c);
		}
		MemoryContextSwitchTo(cache->partcxt);
		MemoryContextReset(cache->doccxt);
	}
	c->doc_start[c->ndocs] = c->nent;

	/* idf and byte-order ranks of the vocabulary */
	c->idf = MemoryContextAllocHuge(cache->partcxt, sizeof(double) * Max(c->dict->nterms, 1));
	for (int32 t = 0; t < c->dict->nterms; t++)
		c->idf[t] = SmoothIdf((double) c->nnonnull, (double) c->df[t]);
	sorted = termdict_sorted_ids(c->dict);
	c->rank = MemoryContextAllocHuge(cache->partcxt, sizeof(int32) * Max(c->dict->nterms, 1));
	for (int32 k = 0; k < c->dict->nterms; k++)
		c->rank[sorted[k]] = k;
	c->byrank = sorted;
	pfree(c->stamp);
	pfree(c->slot);
	c->stamp = NULL;
	c->slot = NULL;

	MemoryContextSwitchTo(old);
	return c;
}

static Datum
TfidfWindow(FunctionCallInfo fcinfo, bool tokens)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	TfidfPartition *part;
	TfidfWindowCache *cache = (TfidfWindowCache *) fcinfo->flinfo->fn_extra;
	TfidfCorpus *c;
	int64		cur;
	int64		s,
				e;
	int32		n;
	int64	   *keys;
	TermWeight *items;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(TfidfWindowCache));
		cache->partcxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
											   "tfidf_vec partition",
											   ALLOCSET_DEFAULT_SIZES);
		cache->doccxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
											  "tfidf_vec document",
											  ALLOCSET_DEFAULT_SIZES);
		fcinfo->flinfo->fn_extra = cache;
	}

	part = (TfidfPartition *) WinGetPartitionLocalMemory(winobj, sizeof(TfidfPartition));
	if (part->corpus == NULL)
		part->corpus = BuildCorpus(fcinfo, winobj, cache, tokens);
	c = part->corpus;

	cur = WinGetCurrentPosition(winobj);
	if (c->doc_null[cur])
		PG_RETURN_NULL();
	s = c->doc_start[cur];
	e = c->doc_start[cur + 1];
	n = (int32) (e - s);

	/*
	 * Entries in term byte order: sort (rank << 32 | count) keys.  Ranks
	 * are term positions in byte order, counts fit in 32 bits.
	 */
	keys = palloc(sizeof(int64) * Max(n, 1));
	for (int32 k = 0; k < n; k++)
		keys[k] = ((int64) c->rank[c->ent_term[s + k]] << 32) | (uint32) c->ent_count[s + k];
	SortInt64(keys, n);

	items = palloc(sizeof(TermWeight) * Max(n, 1));
	for (int32 k = 0; k < n; k++)
	{
		int32		term = c->byrank[keys[k] >> 32];
		int32		count = (int32) (keys[k] & 0xffffffff);

		items[k].term = termdict_term(c->dict, term, &items[k].len);
		items[k].weight = (double) count * c->idf[term];
	}
	PG_RETURN_TERMVEC_P(NormalizedVector(items, n));
}

PG_FUNCTION_INFO_V1(tfidf_vec_window);
Datum
tfidf_vec_window(PG_FUNCTION_ARGS)
{
	return TfidfWindow(fcinfo, false);
}

PG_FUNCTION_INFO_V1(tfidf_vec_window_tokens);
Datum
tfidf_vec_window_tokens(PG_FUNCTION_ARGS)
{
	return TfidfWindow(fcinfo, true);
}

/* ---------------------------------------------------------------------
 * Fitted form: tfidf_fit aggregate
 * --------------------------------------------------------------------- */

typedef struct TfidfFitState
{
	TermDict   *dict;
	int32		cap;
	int64	   *df;
	int64	   *stamp;			/* last document (1-based) that counted it */
	int64		ndocs;
	bool		tokens;
	Oid			cfg;			/* InvalidOid for token arrays */
} TfidfFitState;

static TfidfFitState *
FitCreate(MemoryContext cxt, bool tokens, Oid cfg)
{
	TfidfFitState *st = MemoryContextAllocZero(cxt, sizeof(TfidfFitState));

	st->dict = termdict_create(cxt, 1024);
	st->cap = 1024;
	st->df = MemoryContextAllocHuge(cxt, sizeof(int64) * st->cap);
	st->stamp = MemoryContextAllocHuge(cxt, sizeof(int64) * st->cap);
	st->tokens = tokens;
	st->cfg = cfg;
	return st;
}

static inline int32
FitTerm(TfidfFitState *st, const char *s, int32 len)
{
	bool		added;
	int32		id = termdict_add(st->dict, s, len, &added);

	if (id >= st->cap)
	{
		st->cap *= 2;
		st->df = repalloc_huge(st->df, sizeof(int64) * st->cap);
		st->stamp = repalloc_huge(st->stamp, sizeof(int64) * st->cap);
	}
	if (added)
	{
		st->df[id] = 0;
		st->stamp[id] = 0;
	}
	return id;
}

static void
FitAddToken(void *arg, const char *s, int32 len)
{
	TfidfFitState *st = (TfidfFitState *) arg;
	int32		id = FitTerm(st, s, len);

	if (st->stamp[id] != st->ndocs)
	{
		st->stamp[id] = st->ndocs;
		st->df[id]++;
	}
}

static MemoryContext
FitAggContext(FunctionCallInfo fcinfo)
{
	MemoryContext cxt;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "tfidf_fit support function called in non-aggregate context");
	return cxt;
}

static void
CheckSameConfig(Oid a, Oid b)
{
	if (a != b)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tfidf_fit needs the same text search configuration for every document")));
}

static Datum
FitTransition(FunctionCallInfo fcinfo, bool tokens)
{
	MemoryContext cxt = FitAggContext(fcinfo);
	TfidfFitState *st = PG_ARGISNULL(0) ? NULL : (TfidfFitState *) PG_GETARG_POINTER(0);
	Oid			cfg = InvalidOid;

	if (!tokens)
	{
		if (PG_NARGS() > 2)
		{
			if (PG_ARGISNULL(2))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("text search configuration must not be null")));
			cfg = PG_GETARG_OID(2);
		}
		else
			cfg = SimpleConfig();
	}
	if (st == NULL)
		st = FitCreate(cxt, tokens, cfg);
	else
		CheckSameConfig(st->cfg, cfg);

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);

	st->ndocs++;
	/* lexemes go to the per-row context; the dictionary copies terms */
	if (tokens)
		TokenizeArray(PG_GETARG_ARRAYTYPE_P(1), FitAddToken, st);
	else
		TokenizeText(cfg, PG_GETARG_TEXT_PP(1), FitAddToken, st);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(tfidf_fit_trans);
Datum
tfidf_fit_trans(PG_FUNCTION_ARGS)
{
	return FitTransition(fcinfo, false);
}

PG_FUNCTION_INFO_V1(tfidf_fit_tokens_trans);
Datum
tfidf_fit_tokens_trans(PG_FUNCTION_ARGS)
{
	return FitTransition(fcinfo, true);
}

PG_FUNCTION_INFO_V1(tfidf_fit_combine);
Datum
tfidf_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = FitAggContext(fcinfo);
	TfidfFitState *a = PG_ARGISNULL(0) ? NULL : (TfidfFitState *) PG_GETARG_POINTER(0);
	TfidfFitState *b = PG_ARGISNULL(1) ? NULL : (TfidfFitState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = FitCreate(cxt, b->tokens, b->cfg);
	CheckSameConfig(a->cfg, b->cfg);
	for (int32 id = 0; id < b->dict->nterms; id++)
	{
		int32		len;
		const char *t = termdict_term(b->dict, id, &len);

		int32		aid = FitTerm(a, t, len);	/* may move a->df */

		a->df[aid] += b->df[id];
		if ((id & 0xffff) == 0xffff)
			CHECK_FOR_INTERRUPTS();
	}
	a->ndocs += b->ndocs;
	PG_RETURN_POINTER(a);
}

/*
 * Serialized state: int64 ndocs, bool tokens, Oid cfg (only meaningful
 * within the query that made it), int32 nterms, then per term int32
 * length, bytes, int64 df.
 */
PG_FUNCTION_INFO_V1(tfidf_fit_serialize);
Datum
tfidf_fit_serialize(PG_FUNCTION_ARGS)
{
	TfidfFitState *st = (TfidfFitState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) FitAggContext(fcinfo);
	pq_begintypsend(&buf);
	pq_sendint64(&buf, st->ndocs);
	pq_sendbyte(&buf, st->tokens ? 1 : 0);
	pq_sendint32(&buf, st->cfg);
	pq_sendint32(&buf, st->dict->nterms);
	for (int32 id = 0; id < st->dict->nterms; id++)
	{
		int32		len;
		const char *t = termdict_term(st->dict, id, &len);

		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, t, len);
		pq_sendint64(&buf, st->df[id]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(tfidf_fit_deserialize);
Datum
tfidf_fit_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = FitAggContext(fcinfo);
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	TfidfFitState *st;
	int64		ndocs;
	bool		tokens;
	Oid			cfg;
	int32		n;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	ndocs = pq_getmsgint64(&buf);
	tokens = pq_getmsgbyte(&buf) != 0;
	cfg = pq_getmsgint(&buf, 4);
	st = FitCreate(cxt, tokens, cfg);
	st->ndocs = ndocs;
	n = pq_getmsgint(&buf, 4);
	for (int32 i = 0; i < n; i++)
	{
		int32		len = pq_getmsgint(&buf, 4);
		const char *t = pq_getmsgbytes(&buf, len);
		int32		id = FitTerm(st, t, len);	/* may move st->df */

		st->df[id] += pq_getmsgint64(&buf);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

static JsonbValue *
PushKey(JsonbParseState **ps, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return pushJsonbValue(ps, WJB_KEY, &k);
}

static void
PushInt8(JsonbParseState **ps, int64 v)
{
	JsonbValue	jv;

	jv.type = jbvNumeric;
	jv.val.numeric = DatumGetNumeric(DirectFunctionCall1(int8_numeric, Int64GetDatum(v)));
	pushJsonbValue(ps, WJB_VALUE, &jv);
}

PG_FUNCTION_INFO_V1(tfidf_fit_final);
Datum
tfidf_fit_final(PG_FUNCTION_ARGS)
{
	TfidfFitState *st = PG_ARGISNULL(0) ? NULL : (TfidfFitState *) PG_GETARG_POINTER(0);
	JsonbParseState *ps = NULL;
	JsonbValue	jv;
	JsonbValue *res;

	if (st == NULL || st->ndocs == 0)
		PG_RETURN_NULL();

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	PushKey(&ps, "config");
	if (st->tokens)
		jv.type = jbvNull;
	else
	{
		char	   *name = DatumGetCString(DirectFunctionCall1(regconfigout,
															   ObjectIdGetDatum(st->cfg)));

		jv.type = jbvString;
		jv.val.string.val = name;
		jv.val.string.len = strlen(name);
	}
	pushJsonbValue(&ps, WJB_VALUE, &jv);
	PushKey(&ps, "n_docs");
	PushInt8(&ps, st->ndocs);
	PushKey(&ps, "doc_freq");
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int32 id = 0; id < st->dict->nterms; id++)
	{
		JsonbValue	k;
		int32		len;

		k.type = jbvString;
		k.val.string.val = (char *) termdict_term(st->dict, id, &len);
		k.val.string.len = len;
		pushJsonbValue(&ps, WJB_KEY, &k);
		PushInt8(&ps, st->df[id]);
		if ((id & 0xffff) == 0xffff)
			CHECK_FOR_INTERRUPTS();
	}
	pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}

/* ---------------------------------------------------------------------
 * Fitted form: tfidf_vec(doc, vocabulary)
 * --------------------------------------------------------------------- */

/*
 * The parsed vocabulary is cached in fn_extra for the rest of the query,
 * keyed by the bytes of the argument as passed (for a value stored out of
 * line that is its TOAST pointer, so a vocabulary read from a table is not
 * even detoasted again).
 */
typedef struct VocabCache
{
	MemoryContext cxt;
	bool		valid;
	char	   *key;
	Size		keylen;
	int64		ndocs;
	bool		tokens;			/* fitted on token arrays */
	Oid			cfg;
	TermDict   *dict;
	double	   *idf;
	int32	   *rank;			/* term id -> position in byte order */
	int32	   *byrank;			/* position in byte order -> term id */
} VocabCache;

static void pg_attribute_noreturn()
BadVocabulary(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid tfidf vocabulary"),
			 errdetail_internal("%s", detail),
			 errhint("A vocabulary is what nfrec.tfidf_fit returns: {\"config\": ..., \"n_docs\": N, \"doc_freq\": {term: df, ...}}.")));
}

static JsonbValue *
VocabKey(Jsonb *jb, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
}

/* A jsonb number that must be a whole number in [lo, hi]. */
static int64
VocabInt(JsonbValue *v, int64 lo, int64 hi, const char *what)
{
	char	   *s;
	char	   *end;
	long long	x;

	if (v == NULL || v->type != jbvNumeric)
		BadVocabulary(psprintf("%s must be a number.", what));
	s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	errno = 0;
	x = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0 || x < lo || x > hi)
		BadVocabulary(psprintf("%s must be a whole number between " INT64_FORMAT " and " INT64_FORMAT ", not %s.",
							   what, lo, hi, s));
	return (int64) x;
}

static void
LoadVocabulary(VocabCache *vc, Jsonb *jb)
{
	JsonbValue *v;
	JsonbIterator *it;
	JsonbValue	jv;
	JsonbIteratorToken r;
	MemoryContext old;
	char	   *term = NULL;
	int32		termlen = 0;

	if (!JB_ROOT_IS_OBJECT(jb))
		BadVocabulary("The vocabulary is not a JSON object.");

	vc->ndocs = VocabInt(VocabKey(jb, "n_docs"), 1, PG_INT64_MAX, "\"n_docs\"");

	v = VocabKey(jb, "config");
	if (v == NULL)
		BadVocabulary("Key \"config\" is missing.");
	if (v->type == jbvNull)
	{
		vc->tokens = true;
		vc->cfg = InvalidOid;
	}
	else if (v->type == jbvString)
	{
		vc->tokens = false;
		vc->cfg = DatumGetObjectId(DirectFunctionCall1(regconfigin,
													   CStringGetDatum(pnstrdup(v->val.string.val,
																				v->val.string.len))));
	}
	else
		BadVocabulary("\"config\" must be a text search configuration name or null.");

	v = VocabKey(jb, "doc_freq");
	if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		BadVocabulary("\"doc_freq\" must be an object of term: document frequency.");

	old = MemoryContextSwitchTo(vc->cxt);
	vc->dict = termdict_create(vc->cxt, Max(JsonContainerSize(v->val.binary.data), 16));
	vc->idf = MemoryContextAllocHuge(vc->cxt,
									 sizeof(double) * Max(JsonContainerSize(v->val.binary.data), 1));
	MemoryContextSwitchTo(old);

	it = JsonbIteratorInit(v->val.binary.data);
	while ((r = JsonbIteratorNext(&it, &jv, true)) != WJB_DONE)
	{
		if (r == WJB_KEY)
		{
			term = jv.val.string.val;
			termlen = jv.val.string.len;
			if (termlen == 0)
				BadVocabulary("Terms must not be empty.");
		}
		else if (r == WJB_VALUE)
		{
			int64		df = VocabInt(&jv, 1, vc->ndocs,
									  psprintf("The document frequency of term \"%s\"",
											   pnstrdup(term, Min(termlen, 200))));
			int32		id = termdict_add(vc->dict, term, termlen, NULL);

			vc->idf[id] = SmoothIdf((double) vc->ndocs, (double) df);
			if ((id & 0xffff) == 0xffff)
				CHECK_FOR_INTERRUPTS();
		}
	}

	old = MemoryContextSwitchTo(vc->cxt);
	vc->byrank = termdict_sorted_ids(vc->dict);
	vc->rank = palloc(sizeof(int32) * Max(vc->dict->nterms, 1));
	for (int32 k = 0; k < vc->dict->nterms; k++)
		vc->rank[vc->byrank[k]] = k;
	MemoryContextSwitchTo(old);
}

static VocabCache *
GetVocabulary(FunctionCallInfo fcinfo, int argno)
{
	VocabCache *vc = (VocabCache *) fcinfo->flinfo->fn_extra;
	struct varlena *raw = (struct varlena *) PG_GETARG_POINTER(argno);
	struct varlena *keyv = raw;
	Size		keylen;

	if (vc == NULL)
	{
		vc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(VocabCache));
		vc->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
										"tfidf_vec vocabulary",
										ALLOCSET_DEFAULT_SIZES);
		fcinfo->flinfo->fn_extra = vc;
	}

	/* key: the TOAST pointer of an on-disk value, else the (flat) bytes */
	if (VARATT_IS_EXTERNAL(raw) && !VARATT_IS_EXTERNAL_ONDISK(raw))
		keyv = (struct varlena *) PG_DETOAST_DATUM(PointerGetDatum(raw));
	keylen = VARSIZE_ANY(keyv);

	if (vc->valid && vc->keylen == keylen && memcmp(vc->key, keyv, keylen) == 0)
		return vc;

	vc->valid = false;
	MemoryContextReset(vc->cxt);
	vc->key = MemoryContextAllocHuge(vc->cxt, keylen);
	memcpy(vc->key, keyv, keylen);
	vc->keylen = keylen;
	LoadVocabulary(vc, DatumGetJsonbP(PointerGetDatum(raw)));
	vc->valid = true;
	return vc;
}

typedef struct DocCounts
{
	const VocabCache *vc;
	int32	   *ranks;			/* byte-order positions of known tokens */
	int32		n;
	int32		cap;
} DocCounts;

static void
CountKnownToken(void *arg, const char *s, int32 len)
{
	DocCounts  *dc = (DocCounts *) arg;
	int32		id = termdict_find(dc->vc->dict, s, len);

	if (id < 0)
		return;
	if (dc->n == dc->cap)
	{
		dc->cap *= 2;
		dc->ranks = repalloc_huge(dc->ranks, sizeof(int32) * dc->cap);
	}
	dc->ranks[dc->n++] = dc->vc->rank[id];
}

static Datum
TfidfWithVocabulary(FunctionCallInfo fcinfo, bool tokens)
{
	VocabCache *vc = GetVocabulary(fcinfo, 1);
	DocCounts	dc;
	TermWeight *items;
	int32		n = 0;

	if (!tokens && vc->tokens)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vocabulary was fitted on token arrays, not on text"),
				 errhint("Pass the document as a text[] of tokens.")));

	dc.vc = vc;
	dc.n = 0;
	dc.cap = 64;
	dc.ranks = palloc(sizeof(int32) * dc.cap);
	if (tokens)
		TokenizeArray(PG_GETARG_ARRAYTYPE_P(0), CountKnownToken, &dc);
	else
		TokenizeText(vc->cfg, PG_GETARG_TEXT_PP(0), CountKnownToken, &dc);

	/* sorted ranks: runs of one term, in term byte order */
	SortInt32(dc.ranks, dc.n);
	items = palloc(sizeof(TermWeight) * Max(dc.n, 1));
	for (int32 i = 0; i < dc.n;)
	{
		int32		r = dc.ranks[i];
		int32		id = vc->byrank[r];
		int32		count = 0;

		while (i < dc.n && dc.ranks[i] == r)
		{
			count++;
			i++;
		}
		items[n].term = termdict_term(vc->dict, id, &items[n].len);
		items[n].weight = (double) count * vc->idf[id];
		n++;
	}
	PG_RETURN_TERMVEC_P(NormalizedVector(items, n));
}

PG_FUNCTION_INFO_V1(tfidf_vec_vocab);
Datum
tfidf_vec_vocab(PG_FUNCTION_ARGS)
{
	return TfidfWithVocabulary(fcinfo, false);
}

PG_FUNCTION_INFO_V1(tfidf_vec_vocab_tokens);
Datum
tfidf_vec_vocab_tokens(PG_FUNCTION_ARGS)
{
	return TfidfWithVocabulary(fcinfo, true);
}
