/*
 * termvec.c -- the sparse term-weight vector nfrec.termvec: construction,
 * text/binary I/O, jsonb casts, cosine, norms, inspection and arithmetic.
 *
 * Text form: a JSON object of term -> weight, e.g.
 *
 *     {"action":0.5,"heist":0.8,"l'été":0.25,"say \"hi\"":1}
 *
 * Terms are always double-quoted with JSON escapes (\" \\ \/ \b \f \n \r \t
 * \uXXXX), so any term (spaces, colons, quotes, non-ASCII) round-trips and
 * every termvec's text is also valid JSON.  Weights are printed as the
 * shortest decimal that reads back to the same float4.  Input accepts
 * whitespace between tokens; NaN/Infinity, duplicate terms and empty terms
 * are rejected.  The aggregates live in termvec_sum.c, the all-pairs
 * search in similar_by_terms.c.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/shortest_dec.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "pgutil.h"
#include "termdict.h"
#include "termvec.h"

/* ---------------------------------------------------------------------
 * Construction
 * --------------------------------------------------------------------- */

static int
CompareTermWeight(const void *a, const void *b)
{
	const TermWeight *x = (const TermWeight *) a;
	const TermWeight *y = (const TermWeight *) b;

	return term_cmp(x->term, x->len, y->term, y->len);
}

/* A term for an error message: at most NF_EXCERPT_CHARS characters. */
static char *
TermExcerpt(const char *term, int32 len)
{
	return nf_excerpt(term, len, NF_EXCERPT_CHARS);
}

static void
TermError(int code, const char *msg, const char *term, int32 len)
{
	ereport(ERROR,
			(errcode(code),
			 errmsg(msg, TermExcerpt(term, len))));
}

TermVec *
termvec_build(TermWeight *items, int32 n, bool sorted, int input_errcode)
{
	TermVec    *v;
	Size		pool = 0;
	Size		size;
	int32		keep = 0;
	float4	   *w;
	uint32	   *ends;
	char	   *p;
	uint32		end = 0;

	if (!sorted && n > 1)
		qsort(items, n, sizeof(TermWeight), CompareTermWeight);

	for (int32 i = 0; i < n; i++)
	{
		double		x = items[i].weight;
		float4		f;

		if (items[i].len <= 0)
			ereport(ERROR,
					(errcode(input_errcode),
					 errmsg("termvec terms must not be empty")));
		if (!sorted && i > 0 &&
			term_cmp(items[i - 1].term, items[i - 1].len,
					 items[i].term, items[i].len) == 0)
			TermError(input_errcode, "duplicate term \"%s\" in termvec",
					  items[i].term, items[i].len);
		if (isnan(x))
			TermError(ERRCODE_DATA_EXCEPTION, "weight of term \"%s\" is NaN",
					  items[i].term, items[i].len);
		if (fabs(x) > FLT_MAX)
			TermError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
					  "weight of term \"%s\" is out of range for type real",
					  items[i].term, items[i].len);
		f = (float4) x;
		if (f == 0.0f)
			continue;			/* zeros (and float4 underflow) are not stored */
		items[keep] = items[i];
		items[keep].weight = f;
		pool += items[i].len;
		keep++;
	}

	if (pool > PG_UINT32_MAX || TERMVEC_SIZE(keep, pool) > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("termvec is too large"),
				 errdetail("%d terms with %zu bytes of term text exceed the maximum size of a value (1 GB).",
						   keep, pool)));

	size = TERMVEC_SIZE(keep, pool);
	v = (TermVec *) palloc0(size);
	SET_VARSIZE(v, size);
	v->nterms = keep;
	w = TV_WEIGHTS(v);
	ends = TV_ENDS(v);
	p = TV_POOL(v);
	for (int32 i = 0; i < keep; i++)
	{
		w[i] = (float4) items[i].weight;
		memcpy(p + end, items[i].term, items[i].len);
		end += items[i].len;
		ends[i] = end;
	}
	return v;
}

TermVec *
termvec_empty(void)
{
	return termvec_build(NULL, 0, true, ERRCODE_INVALID_PARAMETER_VALUE);
}

double
termvec_norm(const TermVec *v)
{
	const float4 *w = TV_WEIGHTS(v);
	double		s = 0.0;

	for (int32 i = 0; i < v->nterms; i++)
		s += (double) w[i] * w[i];
	return sqrt(s);
}

/* ---------------------------------------------------------------------
 * Text input
 * --------------------------------------------------------------------- */

typedef struct TvParse
{
	const char *input;			/* whole input, for messages */
	const char *p;				/* cursor */
	StringInfoData pool;		/* unescaped terms, back to back */
	TermWeight *items;			/* term = offset into pool until the end */
	int32		n;
	int32		cap;
} TvParse;

/*
 * The input around the cursor for an error message: the whole input when
 * it is short, else NF_EXCERPT_CHARS characters around the cursor, with
 * "..." where something was cut.  *charpos gets the 1-based character
 * position of the cursor.
 */
static char *
InputExcerpt(TvParse *ps, int *charpos)
{
	const char *in = ps->input;
	int			len = strlen(in);
	int			at = pg_mbstrlen_with_len(in, ps->p - in);	/* chars before */
	int			total = at + pg_mbstrlen(ps->p);
	int			from;
	const char *start;
	int			keep;

	*charpos = at + 1;
	if (total <= NF_EXCERPT_CHARS)
		return pstrdup(in);
	from = Max(0, Min(at - NF_EXCERPT_CHARS / 2, total - NF_EXCERPT_CHARS));
	start = in + pg_mbcharcliplen(in, len, from);
	keep = pg_mbcharcliplen(start, len - (start - in), NF_EXCERPT_CHARS);
	return psprintf("%s%s%s", from > 0 ? "..." : "", pnstrdup(start, keep),
					start + keep < in + len ? "..." : "");
}

static void pg_attribute_noreturn()
SyntaxError(TvParse *ps, const char *detail)
{
	int			charpos;
	char	   *excerpt = InputExcerpt(ps, &charpos);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type termvec: \"%s\"", excerpt),
			 errdetail_internal("%s", detail),
			 errcontext("termvec input, character %d", charpos)));
}

static inline void
SkipSpace(TvParse *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static int
HexDigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static pg_wchar
ParseHex4(TvParse *ps)
{
	pg_wchar	c = 0;

	for (int k = 0; k < 4; k++)
	{
		int			d = HexDigit(ps->p[k]);

		if (d < 0)
			SyntaxError(ps, "A \\u escape must be followed by four hexadecimal digits.");
		c = (c << 4) | d;
	}
	ps->p += 4;
	return c;
}

/* Parse a quoted term at ps->p, appending its bytes to the pool. */
static void
ParseTerm(TvParse *ps, Size *off, int32 *len)
{
	StringInfo	buf = &ps->pool;

	if (*ps->p != '"')
		SyntaxError(ps, "Terms must be double-quoted.");
	ps->p++;
	*off = buf->len;
	for (;;)
	{
		char		c = *ps->p;

		if (c == '\0')
			SyntaxError(ps, "Unterminated quoted term.");
		if (c == '"')
			break;
		if ((unsigned char) c < 0x20)
			SyntaxError(ps, "Control characters in terms must be escaped.");
		if (c != '\\')
		{
			const char *s = ps->p;

			while (*ps->p != '"' && *ps->p != '\\' && *ps->p != '\0' &&
				   (unsigned char) *ps->p >= 0x20)
				ps->p++;
			appendBinaryStringInfo(buf, s, ps->p - s);
			continue;
		}
		ps->p++;				/* backslash */
		c = *ps->p++;
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				appendStringInfoChar(buf, c);
				break;
			case 'b':
				appendStringInfoChar(buf, '\b');
				break;
			case 'f':
				appendStringInfoChar(buf, '\f');
				break;
			case 'n':
				appendStringInfoChar(buf, '\n');
				break;
			case 'r':
				appendStringInfoChar(buf, '\r');
				break;
			case 't':
				appendStringInfoChar(buf, '\t');
				break;
			case 'u':
				{
					pg_wchar	cp = ParseHex4(ps);
					unsigned char mb[MAX_MULTIBYTE_CHAR_LEN + 1];

					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						pg_wchar	lo;

						if (ps->p[0] != '\\' || ps->p[1] != 'u')
							SyntaxError(ps, "A high surrogate must be followed by a low surrogate.");
						ps->p += 2;
						lo = ParseHex4(ps);
						if (lo < 0xDC00 || lo > 0xDFFF)
							SyntaxError(ps, "A high surrogate must be followed by a low surrogate.");
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					}
					else if (cp >= 0xDC00 && cp <= 0xDFFF)
						SyntaxError(ps, "A low surrogate must follow a high surrogate.");
					if (cp == 0)
						SyntaxError(ps, "\\u0000 cannot be stored in a term.");
					/* errors out if the server encoding cannot represent it */
					pg_unicode_to_server(cp, mb);
					appendStringInfoString(buf, (char *) mb);
					break;
				}
			case '\0':
				SyntaxError(ps, "Unterminated quoted term.");
				break;
			default:
				SyntaxError(ps, "Invalid escape sequence in term.");
		}
	}
	ps->p++;					/* closing quote */
	*len = (int32) (buf->len - *off);
	if (*len == 0)
		SyntaxError(ps, "Terms must not be empty.");
}

/*
 * Parse a weight the way float4in does (strtof, so the shortest decimal
 * printed by termvec_out reads back to the same float4).  JSON-style
 * numbers only: NaN, Infinity and hexadecimal are rejected.
 */
static float4
ParseWeight(const char *start, const char **endp, const char *term, int32 termlen,
			TvParse *ps)
{
	const char *p = start;
	char	   *buf;
	char	   *end;
	float4		f;
	Size		len;

	if (*p == '-' || *p == '+')
		p++;
	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
	{
		if (ps)
			SyntaxError(ps, psprintf("Weight of term \"%s\" is not a finite number.",
									 TermExcerpt(term, termlen)));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight of term \"%s\" is not a finite number",
						TermExcerpt(term, termlen))));
	}
	while ((*p >= '0' && *p <= '9') || *p == '.' ||
		   ((*p == 'e' || *p == 'E') && p > start) ||
		   ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
		p++;
	len = p - start;
	buf = pnstrdup(start, len);
	errno = 0;
	f = strtof(buf, &end);
	if (len == 0 || end != buf + len)
	{
		if (ps)
			SyntaxError(ps, psprintf("Invalid weight for term \"%s\".",
									 TermExcerpt(term, termlen)));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid weight for term \"%s\"", TermExcerpt(term, termlen))));
	}
	if (errno == ERANGE && (f == 0.0f || isinf(f)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("weight \"%s\" of term \"%s\" is out of range for type real",
						nf_excerpt(buf, len, NF_EXCERPT_CHARS / 2), TermExcerpt(term, termlen))));
	*endp = p;
	pfree(buf);
	return f;
}

static void
AddItem(TvParse *ps, Size off, int32 len, double w)
{
	if (ps->n == ps->cap)
	{
		ps->cap *= 2;
		ps->items = repalloc_huge(ps->items, sizeof(TermWeight) * ps->cap);
	}
	ps->items[ps->n].term = (const char *) (uintptr_t) off;
	ps->items[ps->n].len = len;
	ps->items[ps->n].weight = w;
	ps->n++;
}

PG_FUNCTION_INFO_V1(termvec_in);
Datum
termvec_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	TvParse		ps;

	ps.input = input;
	ps.p = input;
	initStringInfo(&ps.pool);
	ps.cap = 16;
	ps.n = 0;
	ps.items = palloc(sizeof(TermWeight) * ps.cap);

	SkipSpace(&ps);
	if (*ps.p != '{')
		SyntaxError(&ps, "A termvec must start with \"{\".");
	ps.p++;
	SkipSpace(&ps);
	if (*ps.p != '}')
	{
		for (;;)
		{
			Size		off;
			int32		len;
			float4		w;

			ParseTerm(&ps, &off, &len);
			SkipSpace(&ps);
			if (*ps.p != ':')
				SyntaxError(&ps, psprintf("Expected \":\" after term \"%s\".",
										  TermExcerpt(ps.pool.data + off, len)));
			ps.p++;
			SkipSpace(&ps);
			w = ParseWeight(ps.p, &ps.p, ps.pool.data + off, len, &ps);
			AddItem(&ps, off, len, w);
			if ((ps.n & 0xffff) == 0)
				CHECK_FOR_INTERRUPTS();
			SkipSpace(&ps);
			if (*ps.p == ',')
			{
				ps.p++;
				SkipSpace(&ps);
				continue;
			}
			if (*ps.p == '}')
				break;
			SyntaxError(&ps, "Expected \",\" or \"}\" after a weight.");
		}
	}
	ps.p++;						/* closing brace */
	SkipSpace(&ps);
	if (*ps.p != '\0')
		SyntaxError(&ps, "Junk after closing \"}\".");

	for (int32 i = 0; i < ps.n; i++)
		ps.items[i].term = ps.pool.data + (Size) (uintptr_t) ps.items[i].term;
	PG_RETURN_TERMVEC_P(termvec_build(ps.items, ps.n, false,
									  ERRCODE_INVALID_TEXT_REPRESENTATION));
}

/* ---------------------------------------------------------------------
 * Text output
 * --------------------------------------------------------------------- */

static void
AppendQuotedTerm(StringInfo buf, const char *s, int32 len)
{
	const char *run = s;

	appendStringInfoChar(buf, '"');
	for (int32 i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		appendBinaryStringInfo(buf, run, s + i - run);
		run = s + i + 1;
		switch (c)
		{
			case '"':
				appendStringInfoString(buf, "\\\"");
				break;
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			case '\b':
				appendStringInfoString(buf, "\\b");
				break;
			case '\f':
				appendStringInfoString(buf, "\\f");
				break;
			case '\n':
				appendStringInfoString(buf, "\\n");
				break;
			case '\r':
				appendStringInfoString(buf, "\\r");
				break;
			case '\t':
				appendStringInfoString(buf, "\\t");
				break;
			default:
				appendStringInfo(buf, "\\u%04x", c);
		}
	}
	appendBinaryStringInfo(buf, run, s + len - run);
	appendStringInfoChar(buf, '"');
}

PG_FUNCTION_INFO_V1(termvec_out);
Datum
termvec_out(PG_FUNCTION_ARGS)
{
	TermVec    *v = PG_GETARG_TERMVEC_P(0);
	const float4 *w = TV_WEIGHTS(v);
	StringInfoData buf;
	char		num[FLOAT_SHORTEST_DECIMAL_LEN];

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int32 i = 0; i < v->nterms; i++)
	{
		int32		len;
		const char *t = TV_TERM(v, i, &len);

		if (i > 0)
			appendStringInfoChar(&buf, ',');
		AppendQuotedTerm(&buf, t, len);
		appendStringInfoChar(&buf, ':');
		float_to_shortest_decimal_buf(w[i], num);
		appendStringInfoString(&buf, num);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/* ---------------------------------------------------------------------
 * Binary I/O: int32 nterms, then per term its text (client encoding,
 * length-prefixed) and a float4 weight.  Input is canonicalized and checked
 * like text input.
 * --------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(termvec_recv);
Datum
termvec_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	int32		n = pq_getmsgint(msg, 4);
	TermWeight *items;

	/* each term takes at least 4 + 1 + 4 bytes */
	if (n < 0 || (Size) n > (Size) (msg->len - msg->cursor) / 9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid number of terms %d in external termvec value", n)));
	items = palloc(sizeof(TermWeight) * Max(n, 1));
	for (int32 i = 0; i < n; i++)
	{
		int32		rawlen = pq_getmsgint(msg, 4);
		int			len;

		if (rawlen <= 0 || rawlen > msg->len - msg->cursor)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid term length %d in external termvec value", rawlen)));
		items[i].term = pq_getmsgtext(msg, rawlen, &len);
		items[i].len = len;
		items[i].weight = pq_getmsgfloat4(msg);
		if (!isfinite(items[i].weight))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("weight of term \"%s\" is not a finite number",
							TermExcerpt(items[i].term, items[i].len))));
	}
	PG_RETURN_TERMVEC_P(termvec_build(items, n, false,
									  ERRCODE_INVALID_BINARY_REPRESENTATION));
}

PG_FUNCTION_INFO_V1(termvec_send);
Datum
termvec_send(PG_FUNCTION_ARGS)
{
	TermVec    *v = PG_GETARG_TERMVEC_P(0);
	const float4 *w = TV_WEIGHTS(v);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, v->nterms);
	for (int32 i = 0; i < v->nterms; i++)
	{
		int32		len;
		const char *t = TV_TERM(v, i, &len);

		pq_sendcountedtext(&buf, t, len, false);
		pq_sendfloat4(&buf, w[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------------
 * jsonb casts
 * --------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(termvec_to_jsonb);
Datum
termvec_to_jsonb(PG_FUNCTION_ARGS)
{
	TermVec    *v = PG_GETARG_TERMVEC_P(0);
	const float4 *w = TV_WEIGHTS(v);
	JsonbParseState *state = NULL;
	JsonbValue *res;
	char		num[FLOAT_SHORTEST_DECIMAL_LEN];

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int32 i = 0; i < v->nterms; i++)
	{
		JsonbValue	k,
					val;
		int32		len;

		k.type = jbvString;
		k.val.string.val = (char *) TV_TERM(v, i, &len);
		k.val.string.len = len;
		pushJsonbValue(&state, WJB_KEY, &k);

		float_to_shortest_decimal_buf(w[i], num);
		val.type = jbvNumeric;
		val.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
															  CStringGetDatum(num),
															  ObjectIdGetDatum(InvalidOid),
															  Int32GetDatum(-1)));
		pushJsonbValue(&state, WJB_VALUE, &val);
		if ((i & 0xffff) == 0xffff)
			CHECK_FOR_INTERRUPTS();
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}

PG_FUNCTION_INFO_V1(jsonb_to_termvec);
Datum
jsonb_to_termvec(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	JsonbIterator *it;
	JsonbValue	jv;
	JsonbIteratorToken r;
	TermWeight *items;
	int32		n = 0;
	int32		cap;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot convert jsonb %s to termvec",
						JB_ROOT_IS_SCALAR(jb) ? "scalar" : "array"),
				 errhint("A termvec is written as a JSON object of term: weight pairs, e.g. {\"heist\": 0.8}.")));

	cap = Max(JB_ROOT_COUNT(jb), 1);
	items = palloc(sizeof(TermWeight) * cap);
	it = JsonbIteratorInit(&jb->root);
	while ((r = JsonbIteratorNext(&it, &jv, true)) != WJB_DONE)
	{
		if (r == WJB_KEY)
		{
			Assert(n < cap);
			items[n].term = jv.val.string.val;
			items[n].len = jv.val.string.len;
			if (items[n].len == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("termvec terms must not be empty")));
		}
		else if (r == WJB_VALUE)
		{
			char	   *num;
			const char *end;

			if (jv.type != jbvNumeric)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("weight of term \"%s\" must be a number",
								TermExcerpt(items[n].term, items[n].len)),
						 errdetail("The jsonb value is of type %s.", JsonbTypeName(&jv))));
			num = DatumGetCString(DirectFunctionCall1(numeric_out,
													  NumericGetDatum(jv.val.numeric)));
			items[n].weight = ParseWeight(num, &end, items[n].term, items[n].len, NULL);
			if (*end != '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid weight for term \"%s\"",
								TermExcerpt(items[n].term, items[n].len))));
			pfree(num);
			n++;
		}
	}
	/* jsonb object keys are unique and sorted (by length first): re-sort */
	PG_RETURN_TERMVEC_P(termvec_build(items, n, false, ERRCODE_INVALID_PARAMETER_VALUE));
}

/* ---------------------------------------------------------------------
 * Similarity and norms
 * --------------------------------------------------------------------- */

/*
 * Walk the terms two vectors share, in term order (a linear merge-join).
 * Calls fn(i, j, arg) for each pair of positions with equal terms.
 */
#define MERGE_SHARED(a, b, BODY) \
	do { \
		const uint32 *ea_ = TV_ENDS(a), *eb_ = TV_ENDS(b); \
		const char *pa_ = TV_POOL(a), *pb_ = TV_POOL(b); \
		int32 i = 0, j = 0; \
		uint32 sa_ = 0, sb_ = 0; \
		while (i < (a)->nterms && j < (b)->nterms) \
		{ \
			int c_ = term_cmp(pa_ + sa_, ea_[i] - sa_, pb_ + sb_, eb_[j] - sb_); \
			if (c_ == 0) \
			{ \
				BODY; \
				sa_ = ea_[i++]; sb_ = eb_[j++]; \
			} \
			else if (c_ < 0) \
				sa_ = ea_[i++]; \
			else \
				sb_ = eb_[j++]; \
		} \
	} while (0)

static double
TermvecDot(const TermVec *a, const TermVec *b)
{
	const float4 *wa = TV_WEIGHTS(a);
	const float4 *wb = TV_WEIGHTS(b);
	double		dot = 0.0;

	MERGE_SHARED(a, b, dot += (double) wa[i] * wb[j]);
	return dot;
}

static double
SumSquares(const TermVec *v)
{
	const float4 *w = TV_WEIGHTS(v);
	double		s = 0.0;

	for (int32 i = 0; i < v->nterms; i++)
		s += (double) w[i] * w[i];
	return s;
}

PG_FUNCTION_INFO_V1(cosine_sim_termvec);
Datum
cosine_sim_termvec(PG_FUNCTION_ARGS)
{
	TermVec    *a = PG_GETARG_TERMVEC_P(0);
	TermVec    *b = PG_GETARG_TERMVEC_P(1);
	double		sa = SumSquares(a);
	double		sb = SumSquares(b);
	double		c;

	/*
	 * float4 weights: squares, their sums and the product sa * sb stay far
	 * inside double's range, so no rescaling is needed.
	 */
	if (sa == 0.0 || sb == 0.0)
		PG_RETURN_NULL();
	c = TermvecDot(a, b) / sqrt(sa * sb);
	PG_RETURN_FLOAT8(Max(-1.0, Min(1.0, c)));
}

PG_FUNCTION_INFO_V1(termvec_norm_sql);
Datum
termvec_norm_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(termvec_norm(PG_GETARG_TERMVEC_P(0)));
}

PG_FUNCTION_INFO_V1(termvec_term_count);
Datum
termvec_term_count(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_TERMVEC_P(0)->nterms);
}

/* Scale a vector by s (in double; zeros dropped, overflow checked). */
static TermVec *
ScaleTermvec(const TermVec *v, double s)
{
	TermWeight *items = palloc(sizeof(TermWeight) * Max(v->nterms, 1));
	const float4 *w = TV_WEIGHTS(v);

	for (int32 i = 0; i < v->nterms; i++)
	{
		items[i].term = TV_TERM(v, i, &items[i].len);
		items[i].weight = w[i] * s;
	}
	return termvec_build(items, v->nterms, true, ERRCODE_DATA_EXCEPTION);
}

PG_FUNCTION_INFO_V1(termvec_normalize);
Datum
termvec_normalize(PG_FUNCTION_ARGS)
{
	TermVec    *v = PG_GETARG_TERMVEC_P(0);
	double		n = termvec_norm(v);

	if (n == 0.0)
		PG_RETURN_TERMVEC_P(v);
	PG_RETURN_TERMVEC_P(ScaleTermvec(v, 1.0 / n));
}

/* ---------------------------------------------------------------------
 * Arithmetic and equality
 * --------------------------------------------------------------------- */

static TermVec *
AddTermvecs(const TermVec *a, const TermVec *b, double sign)
{
	const uint32 *ea = TV_ENDS(a),
			   *eb = TV_ENDS(b);
	const char *pa = TV_POOL(a),
			   *pb = TV_POOL(b);
	const float4 *wa = TV_WEIGHTS(a),
			   *wb = TV_WEIGHTS(b);
	TermWeight *items = palloc(sizeof(TermWeight) * Max(a->nterms + b->nterms, 1));
	int32		i = 0,
				j = 0,
				n = 0;
	uint32		sa = 0,
				sb = 0;

	while (i < a->nterms || j < b->nterms)
	{
		int			c;

		if (i == a->nterms)
			c = 1;
		else if (j == b->nterms)
			c = -1;
		else
			c = term_cmp(pa + sa, ea[i] - sa, pb + sb, eb[j] - sb);

		if (c <= 0)
		{
			items[n].term = pa + sa;
			items[n].len = ea[i] - sa;
			items[n].weight = wa[i];
			if (c == 0)
			{
				items[n].weight += sign * wb[j];
				sb = eb[j++];
			}
			sa = ea[i++];
		}
		else
		{
			items[n].term = pb + sb;
			items[n].len = eb[j] - sb;
			items[n].weight = sign * wb[j];
			sb = eb[j++];
		}
		n++;
	}
	return termvec_build(items, n, true, ERRCODE_DATA_EXCEPTION);
}

PG_FUNCTION_INFO_V1(termvec_add);
Datum
termvec_add(PG_FUNCTION_ARGS)
{
	PG_RETURN_TERMVEC_P(AddTermvecs(PG_GETARG_TERMVEC_P(0), PG_GETARG_TERMVEC_P(1), 1.0));
}

PG_FUNCTION_INFO_V1(termvec_sub);
Datum
termvec_sub(PG_FUNCTION_ARGS)
{
	PG_RETURN_TERMVEC_P(AddTermvecs(PG_GETARG_TERMVEC_P(0), PG_GETARG_TERMVEC_P(1), -1.0));
}

static void
CheckScale(double s)
{
	if (!isfinite(s))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot multiply a termvec by %s", isnan(s) ? "NaN" : "an infinite value")));
}

PG_FUNCTION_INFO_V1(termvec_mul);
Datum
termvec_mul(PG_FUNCTION_ARGS)
{
	TermVec    *v = PG_GETARG_TERMVEC_P(0);
	double		s = PG_GETARG_FLOAT8(1);

	CheckScale(s);
	PG_RETURN_TERMVEC_P(ScaleTermvec(v, s));
}

PG_FUNCTION_INFO_V1(float8_mul_termvec);
Datum
float8_mul_termvec(PG_FUNCTION_ARGS)
{
	double		s = PG_GETARG_FLOAT8(0);
	TermVec    *v = PG_GETARG_TERMVEC_P(1);

	CheckScale(s);
	PG_RETURN_TERMVEC_P(ScaleTermvec(v, s));
}

/* The representation is canonical, so equality is byte equality. */
static bool
TermvecEqual(const TermVec *a, const TermVec *b)
{
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

PG_FUNCTION_INFO_V1(termvec_eq);
Datum
termvec_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(TermvecEqual(PG_GETARG_TERMVEC_P(0), PG_GETARG_TERMVEC_P(1)));
}

PG_FUNCTION_INFO_V1(termvec_ne);
Datum
termvec_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!TermvecEqual(PG_GETARG_TERMVEC_P(0), PG_GETARG_TERMVEC_P(1)));
}

/* ---------------------------------------------------------------------
 * Inspection: terms, top_terms, shared_terms
 * --------------------------------------------------------------------- */

static inline Datum
TermDatum(const char *t, int32 len)
{
	return PointerGetDatum(cstring_to_text_with_len(t, len));
}

PG_FUNCTION_INFO_V1(termvec_terms);
Datum
termvec_terms(PG_FUNCTION_ARGS)
{
	TermVec    *v = PG_GETARG_TERMVEC_P(0);
	TupleDesc	tupdesc;
	Tuplestorestate *ts = nf_begin_srf(fcinfo, &tupdesc);
	const float4 *w = TV_WEIGHTS(v);

	for (int32 i = 0; i < v->nterms; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		int32		len;
		const char *t = TV_TERM(v, i, &len);

		values[0] = TermDatum(t, len);
		values[1] = Float8GetDatum(w[i]);
		tuplestore_putvalues(ts, tupdesc, values, nulls);
		pfree(DatumGetPointer(values[0]));
		if ((i & 0xffff) == 0xffff)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}

typedef struct RankedTerm
{
	int32		i;				/* position in the (first) vector */
	int32		j;				/* position in the second vector */
	double		key;			/* sort key, larger first */
	const char *t;
	int32		len;
} RankedTerm;

static int
CompareRanked(const void *a, const void *b)
{
	const RankedTerm *x = (const RankedTerm *) a;
	const RankedTerm *y = (const RankedTerm *) b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return term_cmp(x->t, x->len, y->t, y->len);
}

PG_FUNCTION_INFO_V1(termvec_top_terms);
Datum
termvec_top_terms(PG_FUNCTION_ARGS)
{
	TermVec    *v = PG_GETARG_TERMVEC_P(0);
	int32		n = PG_GETARG_INT32(1);
	TupleDesc	tupdesc;
	Tuplestorestate *ts;
	const float4 *w = TV_WEIGHTS(v);
	RankedTerm *r;

	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must not be negative"),
				 errdetail("n is %d.", n)));
	ts = nf_begin_srf(fcinfo, &tupdesc);
	n = Min(n, v->nterms);
	if (n == 0)
		return (Datum) 0;

	r = palloc(sizeof(RankedTerm) * v->nterms);
	for (int32 i = 0; i < v->nterms; i++)
	{
		r[i].i = i;
		r[i].key = w[i];
		r[i].t = TV_TERM(v, i, &r[i].len);
	}
	qsort(r, v->nterms, sizeof(RankedTerm), CompareRanked);
	for (int32 k = 0; k < n; k++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = TermDatum(r[k].t, r[k].len);
		values[1] = Float8GetDatum(w[r[k].i]);
		tuplestore_putvalues(ts, tupdesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(termvec_shared_terms);
Datum
termvec_shared_terms(PG_FUNCTION_ARGS)
{
	TermVec    *a = PG_GETARG_TERMVEC_P(0);
	TermVec    *b = PG_GETARG_TERMVEC_P(1);
	TupleDesc	tupdesc;
	Tuplestorestate *ts = nf_begin_srf(fcinfo, &tupdesc);
	const float4 *wa = TV_WEIGHTS(a);
	const float4 *wb = TV_WEIGHTS(b);
	double		denom = termvec_norm(a) * termvec_norm(b);
	RankedTerm *r;
	int32		n = 0;

	r = palloc(sizeof(RankedTerm) * Max(Min(a->nterms, b->nterms), 1));
	/* a shared term means both vectors are non-zero, so denom > 0 */
	MERGE_SHARED(a, b,
				 r[n].i = i;
				 r[n].j = j;
				 r[n].key = (double) wa[i] * wb[j] / denom;
				 r[n].t = TV_TERM(a, i, &r[n].len);
				 n++);
	qsort(r, n, sizeof(RankedTerm), CompareRanked);
	for (int32 k = 0; k < n; k++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = TermDatum(r[k].t, r[k].len);
		values[1] = Float8GetDatum(wa[r[k].i]);
		values[2] = Float8GetDatum(wb[r[k].j]);
		values[3] = Float8GetDatum(r[k].key);
		tuplestore_putvalues(ts, tupdesc, values, nulls);
	}
	return (Datum) 0;
}
