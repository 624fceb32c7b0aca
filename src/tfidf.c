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
 * Tokenizing: text documents go through PostgreSQL's text search parser
 * and dictionaries (the machinery behind to_tsvector), so a regconfig
 * brings stemming and stop words.  We count lexeme occurrences directly
 * instead of building a tsvector: a tsvector keeps at most 255 positions
 * per lexeme and clamps positions above 16383, so counts read back from
 * one would be wrong for long or repetitive documents.  A token whose
 * dictionary gives several lexemes (ispell normal forms, thesaurus
 * phrases) counts each distinct one once, as to_tsvector records them.
 * Tokenizing caches per corpus what the parser and dictionaries do for
 * each distinct word (see TokenizeCached), which is where most of the
 * time goes.  Token arrays (text[]) are used exactly as given; NULL and
 * empty elements are skipped.
 *
 * Both forms compute weights and norms with the same code in the same
 * (term byte) order, so fit + vectorize on a corpus gives bit-identical
 * vectors to the window form.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_ts_config.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "tsearch/ts_cache.h"
#include "tsearch/ts_public.h"
#include "tsearch/ts_utils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "windowapi.h"

#include "aggstate.h"
#include "pgutil.h"
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

/* Tokenize text with a text search configuration (parsetext). */
static void
TokenizeText(Oid cfg, char *buf, int32 len, TokenFn fn, void *arg)
{
	ParsedText	prs;

	prs.lenwords = len / 6;
	if (prs.lenwords < 2)
		prs.lenwords = 2;
	else if ((Size) prs.lenwords > MaxAllocSize / sizeof(ParsedWord))
		prs.lenwords = MaxAllocSize / sizeof(ParsedWord);
	prs.curwords = 0;
	prs.pos = 0;
	prs.words = (ParsedWord *) palloc(sizeof(ParsedWord) * prs.lenwords);

	parsetext(cfg, &prs, buf, len);

	/*
	 * The lexemes of one token share its position; a lexeme given twice
	 * for one token (ispell compounds) counts once, as in to_tsvector.
	 * Positions are clamped at MAXENTRYPOS - 1, where repeated words can no
	 * longer be told from variants, so nothing is merged there.
	 */
	for (int32 i = 0; i < prs.curwords; i++)
	{
		ParsedWord *w = &prs.words[i];
		bool		dup = false;

		if (w->pos.pos < MAXENTRYPOS - 1)
			for (int32 k = i - 1; k >= 0 && prs.words[k].pos.pos == w->pos.pos && !dup; k--)
				dup = prs.words[k].len == w->len &&
					memcmp(prs.words[k].word, w->word, w->len) == 0;
		if (!dup)
			fn(arg, w->word, w->len);
	}
}

/*
 * Tokenizing with a cache.
 *
 * parsetext() runs the parser and then, for every token, the machinery of
 * LexizeExec (a queue of parsed tokens, the dictionaries of the token's
 * type, copies of every lexeme).  The dictionaries are pure functions of
 * the token, so for a corpus we remember, per (token type, token text),
 * the lexemes they produced and skip the dictionaries the next time the
 * token is seen: words repeat, and this is most of the time of tokenizing
 * a corpus.  What we do for one token is what LexizeExec does in its
 * usual mode: try the type's dictionaries in order, a filtering dictionary
 * (TSL_FILTER) passes its output to the next one, the first non-NULL
 * answer wins (an empty answer is a stop word), no answer drops the token.
 * A dictionary that asks for the next token (a thesaurus: phrases) cannot
 * be cached; the first time that happens we go back to parsetext() for
 * that document and every later one.
 */
typedef struct LexCache
{
	Oid			cfg;
	bool		complex;		/* a multi-word dictionary: use parsetext */
	MemoryContext cxt;
	MemoryContext cachecxt;		/* child of cxt: the caches below, reset
								 * when they outgrow LEXCACHE_MAX_BYTES */
	MemoryContext piececxt;		/* child of cxt: what the parser and the
								 * dictionaries allocate for one piece */
	bool		own_lexemes;	/* lexemes live in cachecxt and are reset too */
	TermDict   *tokens;			/* (type, token text) -> token id */
	int32	   *first;			/* per token: first entry in lex[] */
	int32	   *count;			/* per token: lexemes (0: stop word/none) */
	int32		tokcap;
	int32	   *lex;			/* lexeme ids into lexemes, back to back */
	int32		nlex;
	int32		lexcap;
	TermDict   *lexemes;		/* lexeme text -> id */
	char	   *key;			/* scratch for the token key */
	int32		keycap;
	int32	   *out;			/* scratch: one document's lexeme ids */
	int32		outcap;
	TermDict   *chunks;			/* text between white space -> chunk id */
	int32	   *cfirst;			/* per chunk: first entry in clex[] */
	int32	   *ccount;			/* per chunk: lexemes */
	int32		chunkcap;
	int32	   *clex;			/* lexeme ids of the chunks, back to back */
	int32		nclex;
	int32		clexcap;
} LexCache;

/*
 * Memory bounds.  A huge document is tokenized in pieces of about
 * TOKENIZE_PIECE bytes (see TokenizeCached), so the per-document scratch
 * holds one piece's lexemes; the token and chunk caches are dropped and
 * started again when they take more than LEXCACHE_MAX_BYTES (text with
 * millions of distinct words gains nothing from them).
 */
#define TOKENIZE_PIECE		(1024 * 1024)
#define LEXCACHE_MAX_BYTES	((Size) 64 * 1024 * 1024)

/* (Re)create the caches in lc->cachecxt, which is empty. */
static void
LexCacheInit(LexCache *lc)
{
	MemoryContext cxt = lc->cachecxt;

	lc->tokens = termdict_create(cxt, 1024);
	lc->tokcap = 1024;
	lc->first = MemoryContextAllocHuge(cxt, sizeof(int32) * lc->tokcap);
	lc->count = MemoryContextAllocHuge(cxt, sizeof(int32) * lc->tokcap);
	lc->nlex = 0;
	lc->lexcap = 1024;
	lc->lex = MemoryContextAllocHuge(cxt, sizeof(int32) * lc->lexcap);
	if (lc->own_lexemes)
		lc->lexemes = termdict_create(cxt, 1024);
	lc->chunks = termdict_create(cxt, 1024);
	lc->chunkcap = 1024;
	lc->cfirst = MemoryContextAllocHuge(cxt, sizeof(int32) * lc->chunkcap);
	lc->ccount = MemoryContextAllocHuge(cxt, sizeof(int32) * lc->chunkcap);
	lc->nclex = 0;
	lc->clexcap = 1024;
	lc->clex = MemoryContextAllocHuge(cxt, sizeof(int32) * lc->clexcap);
}

/*
 * A tokenizer cache in cxt.  lexemes is the dictionary of lexeme ids to
 * use (the caller's vocabulary); NULL makes one the cache owns, which is
 * dropped with the caches when they grow too big (reset_lexemes: only
 * for a caller that holds no lexeme id between documents or pieces).
 */
static LexCache *
LexCacheCreate(MemoryContext cxt, Oid cfg, TermDict *lexemes, bool reset_lexemes)
{
	LexCache   *lc = MemoryContextAllocZero(cxt, sizeof(LexCache));

	lc->cfg = cfg;
	lc->cxt = cxt;
	lc->cachecxt = AllocSetContextCreate(cxt, "nfrec tokenizer cache",
										 ALLOCSET_DEFAULT_SIZES);
	lc->piececxt = AllocSetContextCreate(cxt, "nfrec tokenizer piece",
										 ALLOCSET_DEFAULT_SIZES);
	lc->own_lexemes = lexemes == NULL && reset_lexemes;
	lc->lexemes = lexemes ? lexemes :
		reset_lexemes ? NULL : termdict_create(cxt, 1024);
	LexCacheInit(lc);
	lc->keycap = 256;
	lc->key = MemoryContextAlloc(cxt, lc->keycap);
	lc->outcap = 256;
	lc->out = MemoryContextAllocHuge(cxt, sizeof(int32) * lc->outcap);
	return lc;
}

/* Between documents or pieces: drop the caches if they grew too big. */
static void
LexCacheTrim(LexCache *lc)
{
	if (MemoryContextMemAllocated(lc->cachecxt, true) <= LEXCACHE_MAX_BYTES)
		return;
	MemoryContextReset(lc->cachecxt);
	LexCacheInit(lc);
}

/* Run the dictionaries on one token and remember the answer. */
static int32
LexizeToken(LexCache *lc, TSConfigCacheEntry *cfg, int type,
			char *lemm, int lenlemm, const char *key, int32 keylen)
{
	ListDictionary *map = cfg->map + type;
	char	   *cur = lemm;
	int			curlen = lenlemm;
	TSLexeme   *res = NULL;
	int32		id;
	bool		added;

	for (int i = 0; i < map->len; i++)
	{
		TSDictionaryCacheEntry *dict = lookup_ts_dictionary_cache(map->dictIds[i]);
		DictSubState ds;

		ds.isend = false;
		ds.getnext = false;
		ds.private_state = NULL;
		res = (TSLexeme *) DatumGetPointer(FunctionCall4(&dict->lexize,
														 PointerGetDatum(dict->dictData),
														 PointerGetDatum(cur),
														 Int32GetDatum(curlen),
														 PointerGetDatum(&ds)));
		if (ds.getnext)
			return -1;			/* wants the next token: not cacheable */
		if (res == NULL)
			continue;
		if (res->flags & TSL_FILTER)
		{
			cur = res->lexeme;
			curlen = strlen(res->lexeme);
			res = NULL;
			continue;
		}
		break;
	}

	id = termdict_add(lc->tokens, key, keylen, &added);
	Assert(added);
	if (id >= lc->tokcap)
	{
		lc->tokcap *= 2;
		lc->first = repalloc_huge(lc->first, sizeof(int32) * lc->tokcap);
		lc->count = repalloc_huge(lc->count, sizeof(int32) * lc->tokcap);
	}
	lc->first[id] = lc->nlex;
	lc->count[id] = 0;
	for (TSLexeme *p = res; p && p->lexeme; p++)
	{
		int32		lexid = termdict_add(lc->lexemes, p->lexeme, strlen(p->lexeme), NULL);
		bool		dup = false;

		/* a lexeme counts once per token, as in to_tsvector (one position) */
		for (int32 k = lc->first[id]; k < lc->nlex; k++)
			dup |= lc->lex[k] == lexid;
		if (dup)
			continue;
		if (lc->nlex == lc->lexcap)
		{
			if (lc->lexcap >= PG_INT32_MAX / 2)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many distinct tokens")));
			lc->lexcap *= 2;
			lc->lex = repalloc_huge(lc->lex, sizeof(int32) * lc->lexcap);
		}
		lc->lex[lc->nlex++] = lexid;
		lc->count[id]++;
	}
	return id;
}

typedef void (*LexemeFn) (void *arg, int32 lexid);

static void
EmitParsetext(LexCache *lc, char *buf, int32 len, LexemeFn fn, void *arg);

/* Make room for n more lexeme ids in lc->out after the first used. */
static inline void
OutReserve(LexCache *lc, int32 used, int32 n)
{
	if (used + n > lc->outcap)
	{
		lc->outcap = Max(used + n, lc->outcap * 2);
		lc->out = repalloc_huge(lc->out, sizeof(int32) * lc->outcap);
	}
}

/*
 * Run the parser over buf[0..len) and append the lexeme ids of its tokens
 * to lc->out from *nout on.  False if a dictionary wants phrases.
 */
static bool
ParseSpan(LexCache *lc, TSConfigCacheEntry *cfg, TSParserCacheEntry *prs,
		  char *buf, int32 len, int32 *nout)
{
	void	   *prsdata;
	char	   *lemm = NULL;
	int			lenlemm = 0;
	int			type;
	uint32		ntok = 0;

	prsdata = DatumGetPointer(FunctionCall2(&prs->prsstart,
											PointerGetDatum(buf),
											Int32GetDatum(len)));
	while ((type = DatumGetInt32(FunctionCall3(&prs->prstoken,
											   PointerGetDatum(prsdata),
											   PointerGetDatum(&lemm),
											   PointerGetDatum(&lenlemm)))) > 0)
	{
		int32		keylen;
		int32		id;

		if ((++ntok & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();	/* a huge document */
		if (lenlemm >= MAXSTRLEN)
		{
			/* as parsetext() does */
			ereport(NOTICE,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("word is too long to be indexed"),
					 errdetail("Words longer than %d characters are ignored.",
							   MAXSTRLEN)));
			continue;
		}
		if (type >= cfg->lenmap || cfg->map[type].len == 0)
			continue;			/* no dictionary for this token type */

		keylen = (int32) sizeof(int) + lenlemm;
		if (keylen > lc->keycap)
		{
			lc->keycap = Max(keylen, lc->keycap * 2);
			lc->key = repalloc(lc->key, lc->keycap);
		}
		memcpy(lc->key, &type, sizeof(int));
		memcpy(lc->key + sizeof(int), lemm, lenlemm);

		id = termdict_find(lc->tokens, lc->key, keylen);
		if (id < 0)
			id = LexizeToken(lc, cfg, type, lemm, lenlemm, lc->key, keylen);
		if (id < 0)
		{
			FunctionCall1(&prs->prsend, PointerGetDatum(prsdata));
			return false;
		}
		OutReserve(lc, *nout, lc->count[id]);
		for (int32 k = 0; k < lc->count[id]; k++)
			lc->out[(*nout)++] = lc->lex[lc->first[id] + k];
	}
	FunctionCall1(&prs->prsend, PointerGetDatum(prsdata));
	return true;
}

static inline bool
IsChunkSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The chunk path of TokenizeCached.  False (and nothing emitted) if the
 * document must be parsed whole: a chunk after the first starts with '.'
 * or '~', which the parser reads differently at the start of the text.
 */
static bool
TokenizeChunks(LexCache *lc, TSConfigCacheEntry *cfg, TSParserCacheEntry *prs,
			   char *buf, int32 len, int32 *noutp)
{
	int32		i = 0;
	int32		nout = 0;
	uint32		nchunks = 0;

	while (i < len)
	{
		int32		j;
		int32		cid;

		while (i < len && IsChunkSpace(buf[i]))
			i++;
		if (i == len)
			break;
		if (i > 0 && (buf[i] == '.' || buf[i] == '~'))
			return false;
		if ((++nchunks & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();	/* a huge document */
		for (j = i; j < len && !IsChunkSpace(buf[j]); j++)
			;
		cid = termdict_find(lc->chunks, buf + i, j - i);
		if (cid < 0)
		{
			int32		before = nout;

			if (!ParseSpan(lc, cfg, prs, buf + i, j - i, &nout))
				return false;
			cid = termdict_add(lc->chunks, buf + i, j - i, NULL);
			if (cid >= lc->chunkcap)
			{
				lc->chunkcap *= 2;
				lc->cfirst = repalloc_huge(lc->cfirst, sizeof(int32) * lc->chunkcap);
				lc->ccount = repalloc_huge(lc->ccount, sizeof(int32) * lc->chunkcap);
			}
			if (lc->nclex + (nout - before) > lc->clexcap)
			{
				if ((int64) lc->nclex + (nout - before) > PG_INT32_MAX / 2)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("too many distinct words")));
				lc->clexcap = Max(lc->nclex + (nout - before), lc->clexcap * 2);
				lc->clex = repalloc_huge(lc->clex, sizeof(int32) * lc->clexcap);
			}
			lc->cfirst[cid] = lc->nclex;
			lc->ccount[cid] = nout - before;
			memcpy(lc->clex + lc->nclex, lc->out + before, sizeof(int32) * (nout - before));
			lc->nclex += nout - before;
		}
		else
		{
			OutReserve(lc, nout, lc->ccount[cid]);
			memcpy(lc->out + nout, lc->clex + lc->cfirst[cid], sizeof(int32) * lc->ccount[cid]);
			nout += lc->ccount[cid];
		}
		i = j;
	}
	*noutp = nout;
	return true;
}

/*
 * Tokenize a document like parsetext(cfg) would, calling fn with the id
 * (in lc->lexemes) of every lexeme occurrence, in text order.
 *
 * With PostgreSQL's default parser, no token crosses ASCII white space
 * except inside an HTML/XML tag, and the tokens of a run of non-space
 * characters do not depend on what came before it -- except that the
 * parser reads a leading '.' or '~' (file paths) differently at the start
 * of the text.  So a document without '<' is parsed chunk by chunk (the
 * runs between white space) and each distinct chunk only once: "Paris,"
 * is parsed the first time it is seen and its lexeme ids are remembered.
 * Documents with '<' or with a later chunk starting with '.' or '~', and
 * other parsers, are parsed whole (with the token cache).  Checked against
 * ts_debug on tens of thousands of random strings (sql/tfidf.sql keeps a
 * sample).  One difference from parsetext(): the NOTICE about a word too
 * long to be indexed comes once per distinct chunk, not per occurrence.
 *
 * For the same reason a document over TOKENIZE_PIECE bytes (default
 * parser, no '<') is tokenized in pieces of about that size, cut after
 * white space before a character other than white space, '.' and '~':
 * that gives exactly the tokens of the whole, while the scratch memory
 * stays that of one piece and the caches can be trimmed between pieces.
 * The one approximation: with a phrase (thesaurus) dictionary, a phrase
 * across a cut, every megabyte or so, is not recognized (cuts are then
 * made at a sentence or line end if there is one nearby).  Documents that
 * cannot be cut (HTML, other parsers) are parsed whole as before; their
 * parsing checks for interrupts too, except parsetext() with a phrase
 * dictionary.
 */
static inline bool
CutBefore(const char *buf, int32 i)
{
	return IsChunkSpace(buf[i - 1]) && !IsChunkSpace(buf[i]) &&
		buf[i] != '.' && buf[i] != '~';
}

/*
 * End of the piece that starts at start.  With a phrase dictionary
 * (sentences), a cut at a sentence or line end within the next 64 kB is
 * preferred, where a phrase is unlikely to continue.
 */
static int32
PieceEnd(const char *buf, int32 len, int32 start, bool sentences)
{
	int32		from = start + TOKENIZE_PIECE;

	if (len - start <= TOKENIZE_PIECE)
		return len;
	if (sentences)
		for (int32 i = from; i < len && i < from + 65536; i++)
		{
			int32		k = i - 1;

			if (!CutBefore(buf, i))
				continue;
			while (k > start && IsChunkSpace(buf[k]) && buf[k] != '\n')
				k--;
			if (buf[k] == '\n' || buf[k] == '.' || buf[k] == '!' || buf[k] == '?')
				return i;
		}
	for (int32 i = from; i < len; i++)
		if (CutBefore(buf, i))
			return i;
	return len;
}

/*
 * One piece (or a whole document) by the caches; false if a dictionary
 * wants phrases (nothing emitted then).  chunks: the chunk path may be
 * tried (default parser, no '<').
 */
static bool
TokenizeSpan(LexCache *lc, TSConfigCacheEntry *cfg, TSParserCacheEntry *prs,
			 char *buf, int32 len, bool chunks, LexemeFn fn, void *arg)
{
	int32		nout = 0;

	if (!chunks || !TokenizeChunks(lc, cfg, prs, buf, len, &nout))
	{
		nout = 0;
		if (!ParseSpan(lc, cfg, prs, buf, len, &nout))
			return false;
	}
	for (int32 k = 0; k < nout; k++)
	{
		fn(arg, lc->out[k]);
		if ((k & 0xffff) == 0xffff)
			CHECK_FOR_INTERRUPTS();
	}
	return true;
}

static void
TokenizeCached(LexCache *lc, text *doc, LexemeFn fn, void *arg)
{
	TSConfigCacheEntry *cfg = lookup_ts_config_cache(lc->cfg);
	TSParserCacheEntry *prs = lookup_ts_parser_cache(cfg->prsId);
	char	   *buf = VARDATA_ANY(doc);
	int32		len = VARSIZE_ANY_EXHDR(doc);
	bool		cuttable = prs->prsstart.fn_oid == F_PRSD_START &&
		memchr(buf, '<', len) == NULL;
	MemoryContext old = CurrentMemoryContext;

	for (int32 start = 0; start < len;)
	{
		int32		end = cuttable ? PieceEnd(buf, len, start, lc->complex) : len;

		LexCacheTrim(lc);
		MemoryContextSwitchTo(lc->piececxt);
		if (lc->complex ||
			!TokenizeSpan(lc, cfg, prs, buf + start, end - start, cuttable, fn, arg))
		{
			/*
			 * A phrase dictionary: by parsetext from here on (the tokens
			 * before this piece did not start a phrase), and every later
			 * document too.
			 */
			if (!lc->complex && cuttable)
				end = PieceEnd(buf, len, start, true);
			lc->complex = true;
			EmitParsetext(lc, buf + start, end - start, fn, arg);
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(lc->piececxt);
		start = end;
		CHECK_FOR_INTERRUPTS();
	}

	/* do not keep the scratch of a huge uncut document */
	if (lc->outcap > TOKENIZE_PIECE)
	{
		pfree(lc->out);
		lc->outcap = 256;
		lc->out = MemoryContextAllocHuge(lc->cxt, sizeof(int32) * lc->outcap);
	}
}

typedef struct ParsetextEmit
{
	LexCache   *lc;
	LexemeFn	fn;
	void	   *arg;
} ParsetextEmit;

static void
EmitOne(void *arg, const char *s, int32 len)
{
	ParsetextEmit *e = (ParsetextEmit *) arg;

	e->fn(e->arg, termdict_add(e->lc->lexemes, s, len, NULL));
}

static void
EmitParsetext(LexCache *lc, char *buf, int32 len, LexemeFn fn, void *arg)
{
	ParsetextEmit e;

	e.lc = lc;
	e.fn = fn;
	e.arg = arg;
	TokenizeText(lc->cfg, buf, len, EmitOne, &e);
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
 * lexemes(): the tokens TF-IDF counts, as an array
 * --------------------------------------------------------------------- */

/*
 * The result is written straight into the text[] it becomes: element
 * after element (4-byte header, int-aligned, as arrays store text) behind
 * room for the array header, which is filled in at the end.  No text datum
 * per lexeme, no Datum array, no copy by construct_array: the memory is
 * the result itself.
 */
typedef struct LexemeArray
{
	LexCache   *lc;
	char	   *buf;
	Size		used;
	Size		cap;
	int64		n;
} LexemeArray;

#define LEXEME_ARRAY_HEADER ARR_OVERHEAD_NONULLS(1)

static void
AddLexemeId(void *arg, int32 id)
{
	LexemeArray *l = (LexemeArray *) arg;
	int32		len;
	const char *t = termdict_term(l->lc->lexemes, id, &len);
	Size		need = INTALIGN(VARHDRSZ + len);
	char	   *p;

	if (l->used + need > l->cap)
	{
		if (l->used + need > MaxAllocSize || l->n >= (int64) MaxArraySize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("lexemes of the document do not fit in an array"),
					 errdetail("The array would exceed the maximum size of a value (1 GB)."),
					 errhint("Split the document.")));
		l->cap = Min(Max(l->used + need, l->cap * 2), MaxAllocSize);
		l->buf = repalloc_huge(l->buf, l->cap);
	}
	p = l->buf + l->used;
	SET_VARSIZE(p, VARHDRSZ + len);
	memcpy(VARDATA(p), t, len);
	memset(VARDATA(p) + len, 0, need - VARHDRSZ - len);
	l->used += need;
	l->n++;
}

PG_FUNCTION_INFO_V1(tfidf_lexemes);
Datum
tfidf_lexemes(PG_FUNCTION_ARGS)
{
	text	   *doc = PG_GETARG_TEXT_PP(0);
	Oid			cfg = PG_NARGS() > 1 ? PG_GETARG_OID(1) : SimpleConfig();
	LexCache   *lc = (LexCache *) fcinfo->flinfo->fn_extra;
	LexemeArray l;
	ArrayType  *a;

	/* the tokenizer cache lives as long as the query, per configuration */
	if (lc == NULL || lc->cfg != cfg)
	{
		MemoryContext cxt;

		if (lc != NULL)
			MemoryContextDelete(lc->cxt);
		cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "nfrec.lexemes cache",
									ALLOCSET_DEFAULT_SIZES);
		lc = LexCacheCreate(cxt, cfg, NULL, true);
		fcinfo->flinfo->fn_extra = lc;
	}
	l.lc = lc;
	l.n = 0;
	l.used = LEXEME_ARRAY_HEADER;
	l.cap = Max(1024, INTALIGN(VARSIZE_ANY_EXHDR(doc) / 2 + LEXEME_ARRAY_HEADER));
	l.cap = Min(l.cap, 64 * 1024 * 1024);	/* a first guess */
	l.buf = palloc(l.cap);
	TokenizeCached(lc, doc, AddLexemeId, &l);
	if (l.n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(TEXTOID));

	a = (ArrayType *) l.buf;
	SET_VARSIZE(a, l.used);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = TEXTOID;
	ARR_DIMS(a)[0] = (int) l.n;
	ARR_LBOUND(a)[0] = 1;
	PG_RETURN_ARRAYTYPE_P(a);
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
	int32		known;			/* terms whose df/stamp are initialized */
	LexCache   *lc;				/* tokenizer cache (text documents) */
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

/* Count one occurrence of term id in the current document. */
static void
CorpusAddId(void *arg, int32 id)
{
	TfidfCorpus *c = (TfidfCorpus *) arg;

	while (id >= c->cap)
	{
		c->cap *= 2;
		c->df = repalloc_huge(c->df, sizeof(int32) * c->cap);
		c->stamp = repalloc_huge(c->stamp, sizeof(int32) * c->cap);
		c->slot = repalloc_huge(c->slot, sizeof(int64) * c->cap);
	}
	for (; c->known <= id; c->known++)
	{
		c->df[c->known] = 0;
		c->stamp[c->known] = -1;
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

static void
CorpusAddToken(void *arg, const char *s, int32 len)
{
	TfidfCorpus *c = (TfidfCorpus *) arg;

	CorpusAddId(c, termdict_add(c->dict, s, len, NULL));
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
			{
				if (c->lc == NULL)
					c->lc = LexCacheCreate(cache->partcxt, cfg, c->dict, false);
				TokenizeCached(c->lc, DatumGetTextPP(d), CorpusAddId, c);
			}
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
	int32		known;			/* terms whose df/stamp are initialized */
	LexCache   *lc;				/* tokenizer cache, made on first use */
	int64	   *df;
	int64	   *stamp;			/* last document (1-based) that counted it */
	int64		ndocs;
	bool		tokens;
	Oid			cfg;			/* InvalidOid for token arrays */
	bool		fixed;			/* tokens and cfg are set (tfidf_state: by the
								 * first row or partial) */
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
	st->fixed = true;
	return st;
}

static inline void
FitEnsure(TfidfFitState *st, int32 id)
{
	while (id >= st->cap)
	{
		st->cap *= 2;
		st->df = repalloc_huge(st->df, sizeof(int64) * st->cap);
		st->stamp = repalloc_huge(st->stamp, sizeof(int64) * st->cap);
	}
	for (; st->known <= id; st->known++)
	{
		st->df[st->known] = 0;
		st->stamp[st->known] = 0;
	}
}

static inline int32
FitTerm(TfidfFitState *st, const char *s, int32 len)
{
	int32		id = termdict_add(st->dict, s, len, NULL);

	FitEnsure(st, id);
	return id;
}

static void
FitAddId(void *arg, int32 id)
{
	TfidfFitState *st = (TfidfFitState *) arg;

	FitEnsure(st, id);
	if (st->stamp[id] != st->ndocs)
	{
		st->stamp[id] = st->ndocs;
		st->df[id]++;
	}
}

static void
FitAddToken(void *arg, const char *s, int32 len)
{
	TfidfFitState *st = (TfidfFitState *) arg;

	FitAddId(st, termdict_add(st->dict, s, len, NULL));
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

/* The configuration of this row's call: InvalidOid for token arrays. */
static Oid
FitRowConfig(FunctionCallInfo fcinfo, bool tokens)
{
	if (tokens)
		return InvalidOid;
	if (PG_NARGS() > 2)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("text search configuration must not be null")));
		return PG_GETARG_OID(2);
	}
	return SimpleConfig();
}

/* Count the document of argument 1 (not NULL); cxt: where st lives. */
static void
FitAddDocument(TfidfFitState *st, MemoryContext cxt, FunctionCallInfo fcinfo)
{
	st->ndocs++;
	/* lexemes go to the per-row context; the dictionary copies terms */
	if (st->tokens)
		TokenizeArray(PG_GETARG_ARRAYTYPE_P(1), FitAddToken, st);
	else
	{
		if (st->lc == NULL)
			st->lc = LexCacheCreate(cxt, st->cfg, st->dict, false);
		TokenizeCached(st->lc, PG_GETARG_TEXT_PP(1), FitAddId, st);
	}
}

static Datum
FitTransition(FunctionCallInfo fcinfo, bool tokens)
{
	MemoryContext cxt = FitAggContext(fcinfo);
	TfidfFitState *st = PG_ARGISNULL(0) ? NULL : (TfidfFitState *) PG_GETARG_POINTER(0);
	Oid			cfg = FitRowConfig(fcinfo, tokens);

	if (st == NULL)
		st = FitCreate(cxt, tokens, cfg);
	else
		CheckSameConfig(st->cfg, cfg);

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	FitAddDocument(st, cxt, fcinfo);
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

/* Add b's counts to a (a's configuration taken from b if a has none). */
static void
FitMerge(TfidfFitState *a, const TfidfFitState *b)
{
	if (!b->fixed)
		return;
	if (!a->fixed)
	{
		a->tokens = b->tokens;
		a->cfg = b->cfg;
		a->fixed = true;
	}
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
	FitMerge(a, b);
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

/* The vocabulary jsonb of a state with documents. */
static Jsonb *
FitVocabulary(const TfidfFitState *st)
{
	JsonbParseState *ps = NULL;
	JsonbValue	jv;
	JsonbValue *res;

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
	return JsonbValueToJsonb(res);
}

PG_FUNCTION_INFO_V1(tfidf_fit_final);
Datum
tfidf_fit_final(PG_FUNCTION_ARGS)
{
	TfidfFitState *st = PG_ARGISNULL(0) ? NULL : (TfidfFitState *) PG_GETARG_POINTER(0);

	if (st == NULL || st->ndocs == 0)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(FitVocabulary(st));
}

/* ---------------------------------------------------------------------
 * nfrec.tfidf_state: the tfidf_fit state as a real type
 *
 * So that Citus runs tfidf_fit as worker partials (document frequencies
 * per shard) plus a coordinator combine, the state is a real type kept as
 * an expanded object (aggstate.h).  A text search configuration travels
 * by its schema-qualified name, not its OID, which differs between nodes
 * for configurations created by users.
 *
 * Text form: "n_docs;config;len:term=df;..." with config "-" for token
 * arrays or "len:schema.name", terms in byte order, each with its length
 * in bytes (terms may hold any character).  Binary form: int64 n_docs,
 * int32 config length (-1: token arrays) and bytes, int32 n, then n times
 * int32 length, bytes, int64 df, terms in byte order.
 * --------------------------------------------------------------------- */

static void *
FitStateCreate(MemoryContext cxt)
{
	TfidfFitState *st = FitCreate(cxt, false, InvalidOid);

	st->fixed = false;
	return st;
}

/* The schema-qualified name of a text search configuration. */
static char *
ConfigName(Oid cfg)
{
	HeapTuple	tp = SearchSysCache1(TSCONFIGOID, ObjectIdGetDatum(cfg));
	Form_pg_ts_config f;
	char	   *name;

	if (!HeapTupleIsValid(tp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("text search configuration %u does not exist", cfg)));
	f = (Form_pg_ts_config) GETSTRUCT(tp);
	name = quote_qualified_identifier(get_namespace_name(f->cfgnamespace),
									  NameStr(f->cfgname));
	ReleaseSysCache(tp);
	return name;
}

static Oid
ConfigOfName(const char *name, int len)
{
	char	   *z = pnstrdup(name, len);

	return DatumGetObjectId(DirectFunctionCall1(regconfigin, CStringGetDatum(z)));
}

static bytea *
FitStateFlatten(const void *p)
{
	const TfidfFitState *st = p;
	int32	   *ids = termdict_sorted_ids(st->dict);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, st->ndocs);
	if (!st->fixed || st->tokens)
		pq_sendint32(&buf, st->fixed ? -1 : -2);
	else
	{
		char	   *name = ConfigName(st->cfg);

		pq_sendint32(&buf, strlen(name));
		pq_sendbytes(&buf, name, strlen(name));
	}
	pq_sendint32(&buf, st->dict->nterms);
	for (int32 k = 0; k < st->dict->nterms; k++)
	{
		int32		len;
		const char *t = termdict_term(st->dict, ids[k], &len);

		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, t, len);
		pq_sendint64(&buf, st->df[ids[k]]);
	}
	pfree(ids);
	return pq_endtypsend(&buf);
}

static void *FitStateRead(const char *data, int len, MemoryContext cxt);

static const NfStateType TfidfStateType = {"tfidf_state", FitStateCreate, FitStateFlatten, FitStateRead};

/* A term of a state: not empty, no NUL, valid in the server encoding. */
static bool
FitStateTermOk(const char *t, int32 len)
{
	return len >= 1 && memchr(t, '\0', len) == NULL && pg_verifymbstr(t, len, true);
}

/* Add a term read from a state; false if it is a duplicate or bad. */
static bool
FitStateAdd(TfidfFitState *st, const char *t, int32 len, int64 df)
{
	bool		added;
	int32		id;

	if (!FitStateTermOk(t, len) || df < 0 || df > st->ndocs)
		return false;
	id = termdict_add(st->dict, t, len, &added);
	FitEnsure(st, id);
	st->df[id] = df;
	return added;
}

static void *
FitStateRead(const char *data, int len, MemoryContext cxt)
{
	StringInfoData buf;
	TfidfFitState *st;
	int32		clen,
				n;

	buf.data = (char *) data;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	if (len < 16)
		nf_state_bad_binary(&TfidfStateType);
	st = FitStateCreate(cxt);
	st->ndocs = pq_getmsgint64(&buf);
	clen = pq_getmsgint(&buf, 4);
	if (st->ndocs < 0 || clen < -2 || clen > buf.len - buf.cursor - 4)
		nf_state_bad_binary(&TfidfStateType);
	if (clen == -1)
	{
		st->tokens = true;
		st->fixed = true;
	}
	else if (clen >= 0)
	{
		st->cfg = ConfigOfName(pq_getmsgbytes(&buf, clen), clen);
		st->fixed = true;
	}
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || n > (buf.len - buf.cursor) / 13)
		nf_state_bad_binary(&TfidfStateType);
	for (int32 i = 0; i < n; i++)
	{
		int32		tlen;
		const char *t;

		if (buf.len - buf.cursor < 4)
			nf_state_bad_binary(&TfidfStateType);
		tlen = pq_getmsgint(&buf, 4);
		if (tlen < 1 || tlen > buf.len - buf.cursor - 8)
			nf_state_bad_binary(&TfidfStateType);
		t = pq_getmsgbytes(&buf, tlen);
		if (!FitStateAdd(st, t, tlen, pq_getmsgint64(&buf)))
			nf_state_bad_binary(&TfidfStateType);
	}
	if (buf.cursor != buf.len)
		nf_state_bad_binary(&TfidfStateType);
	return st;
}

static Datum
FitStateTransition(FunctionCallInfo fcinfo, bool tokens)
{
	Oid			cfg = FitRowConfig(fcinfo, tokens);
	NfStateEOH *e = nf_state_arg(fcinfo, &TfidfStateType);
	TfidfFitState *st = e->st;

	if (!st->fixed)
	{
		st->tokens = tokens;
		st->cfg = cfg;
		st->fixed = true;
	}
	else
		CheckSameConfig(st->cfg, cfg);
	if (!PG_ARGISNULL(1))
		FitAddDocument(st, e->hdr.eoh_context, fcinfo);
	NF_STATE_RETURN(e);
}

PG_FUNCTION_INFO_V1(tfidf_state_accum);
Datum
tfidf_state_accum(PG_FUNCTION_ARGS)
{
	return FitStateTransition(fcinfo, false);
}

PG_FUNCTION_INFO_V1(tfidf_state_tokens_accum);
Datum
tfidf_state_tokens_accum(PG_FUNCTION_ARGS)
{
	return FitStateTransition(fcinfo, true);
}

PG_FUNCTION_INFO_V1(tfidf_state_combine);
Datum
tfidf_state_combine(PG_FUNCTION_ARGS)
{
	NfStateEOH *e;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		NF_STATE_RETURN(nf_state_arg(fcinfo, &TfidfStateType));
	}
	e = nf_state_arg(fcinfo, &TfidfStateType);
	FitMerge(e->st, nf_state_of_datum(PG_GETARG_DATUM(1), &TfidfStateType));
	NF_STATE_RETURN(e);
}

PG_FUNCTION_INFO_V1(tfidf_state_final);
Datum
tfidf_state_final(PG_FUNCTION_ARGS)
{
	TfidfFitState *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = nf_state_of_datum(PG_GETARG_DATUM(0), &TfidfStateType);
	if (st->ndocs == 0)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(FitVocabulary(st));
}

#define TFIDF_STATE_FORM "The text form is n_docs;config;length:term=df;... with config - (token arrays) or length:name, each term once with its length in bytes, and each df at most n_docs."

/* "len:" then len bytes; returns the bytes, *len set */
static const char *
FitParseCounted(NfStateText *t, int32 *len)
{
	int64		n = nf_state_parse_count(t);
	const char *bytes;

	nf_state_expect(t, ':');
	if (n < 1 || n > (int64) strlen(t->p))
		nf_state_bad(t);
	bytes = t->p;
	t->p += n;
	*len = (int32) n;
	return bytes;
}

PG_FUNCTION_INFO_V1(tfidf_state_in);
Datum
tfidf_state_in(PG_FUNCTION_ARGS)
{
	NfStateText t = {&TfidfStateType, PG_GETARG_CSTRING(0), TFIDF_STATE_FORM, NULL};
	TfidfFitState *st = FitStateCreate(CurrentMemoryContext);

	t.p = t.str;
	st->ndocs = nf_state_parse_count(&t);
	nf_state_expect(&t, ';');
	if (*t.p == '-')
	{
		st->tokens = true;
		t.p++;
	}
	else
	{
		int32		clen;
		const char *c = FitParseCounted(&t, &clen);

		st->cfg = ConfigOfName(c, clen);
	}
	st->fixed = true;
	while (*t.p == ';')
	{
		int32		len;
		const char *term;
		int64		df;

		t.p++;
		term = FitParseCounted(&t, &len);
		nf_state_expect(&t, '=');
		df = nf_state_parse_count(&t);
		if (!FitStateAdd(st, term, len, df))
			nf_state_bad(&t);
	}
	nf_state_expect_end(&t);
	PG_RETURN_POINTER(FitStateFlatten(st));
}

PG_FUNCTION_INFO_V1(tfidf_state_out);
Datum
tfidf_state_out(PG_FUNCTION_ARGS)
{
	TfidfFitState *st = nf_state_of_datum(PG_GETARG_DATUM(0), &TfidfStateType);
	int32	   *ids = termdict_sorted_ids(st->dict);
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, INT64_FORMAT ";", st->ndocs);
	if (!st->fixed || st->tokens)
		appendStringInfoChar(&s, '-');
	else
	{
		char	   *name = ConfigName(st->cfg);

		appendStringInfo(&s, "%d:%s", (int) strlen(name), name);
	}
	for (int32 k = 0; k < st->dict->nterms; k++)
	{
		int32		len;
		const char *t = termdict_term(st->dict, ids[k], &len);

		appendStringInfo(&s, ";%d:", len);
		appendBinaryStringInfo(&s, t, len);
		appendStringInfo(&s, "=" INT64_FORMAT, st->df[ids[k]]);
	}
	PG_RETURN_CSTRING(s.data);
}

PG_FUNCTION_INFO_V1(tfidf_state_send);
Datum
tfidf_state_send(PG_FUNCTION_ARGS)
{
	return nf_state_send(fcinfo, &TfidfStateType);
}

PG_FUNCTION_INFO_V1(tfidf_state_recv);
Datum
tfidf_state_recv(PG_FUNCTION_ARGS)
{
	return nf_state_recv(fcinfo, &TfidfStateType);
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
	LexCache   *lc;				/* tokenizer cache (text documents) */
	int32	   *lexrank;		/* lexeme id -> rank; -1 unknown, -2 not looked up */
	int32		lexcap;
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

/*
 * A jsonb number that must be a whole number in [lo, hi].  what names it
 * in messages, followed by the term (an excerpt) if term is not NULL.
 */
static int64
VocabInt(JsonbValue *v, int64 lo, int64 hi, const char *what,
		 const char *term, int32 termlen)
{
	char	   *s = NULL;
	char	   *end;
	long long	x = 0;
	bool		ok;

	ok = v != NULL && v->type == jbvNumeric;
	if (ok)
	{
		s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		errno = 0;
		x = strtoll(s, &end, 10);
		ok = *end == '\0' && errno == 0 && x >= lo && x <= hi;
	}
	if (!ok)
	{
		if (term != NULL)
			what = psprintf("%s \"%s\"", what, nf_excerpt(term, termlen, NF_EXCERPT_CHARS));
		if (s == NULL)
			BadVocabulary(psprintf("%s must be a number.", what));
		BadVocabulary(psprintf("%s must be a whole number between " INT64_FORMAT " and " INT64_FORMAT ", not %s.",
							   what, lo, hi, nf_excerpt(s, strlen(s), NF_EXCERPT_CHARS)));
	}
	pfree(s);
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

	vc->ndocs = VocabInt(VocabKey(jb, "n_docs"), 1, PG_INT64_MAX, "\"n_docs\"", NULL, 0);

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
			int64		df = VocabInt(&jv, 1, vc->ndocs, "The document frequency of term",
									  term, termlen);
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
	vc->lc = vc->tokens ? NULL : LexCacheCreate(vc->cxt, vc->cfg, NULL, false);
	vc->lexcap = 1024;
	vc->lexrank = palloc(sizeof(int32) * vc->lexcap);
	for (int32 k = 0; k < vc->lexcap; k++)
		vc->lexrank[k] = -2;
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
	VocabCache *vc;
	int32	   *ranks;			/* byte-order positions of known tokens */
	int32		n;
	int32		cap;
} DocCounts;

/* A lexeme from the cached tokenizer: look it up in the vocabulary once. */
static void
CountKnownLexeme(void *arg, int32 lexid)
{
	DocCounts  *dc = (DocCounts *) arg;
	VocabCache *vc = dc->vc;
	int32		r;

	if (lexid >= vc->lexcap)
	{
		int32		oldcap = vc->lexcap;

		while (lexid >= vc->lexcap)
			vc->lexcap *= 2;
		vc->lexrank = repalloc_huge(vc->lexrank, sizeof(int32) * vc->lexcap);
		for (int32 k = oldcap; k < vc->lexcap; k++)
			vc->lexrank[k] = -2;
	}
	r = vc->lexrank[lexid];
	if (r == -2)
	{
		int32		len;
		const char *t = termdict_term(vc->lc->lexemes, lexid, &len);
		int32		id = termdict_find(vc->dict, t, len);

		r = vc->lexrank[lexid] = id < 0 ? -1 : vc->rank[id];
	}
	if (r < 0)
		return;
	if (dc->n == dc->cap)
	{
		dc->cap *= 2;
		dc->ranks = repalloc_huge(dc->ranks, sizeof(int32) * dc->cap);
	}
	dc->ranks[dc->n++] = r;
}

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
		TokenizeCached(vc->lc, PG_GETARG_TEXT_PP(0), CountKnownLexeme, &dc);

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
