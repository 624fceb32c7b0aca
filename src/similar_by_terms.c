/*
 * similar_by_terms.c -- nfrec.similar_by_terms: for every title of a
 * catalog (a table or view of id + termvec), its n most similar titles by
 * cosine, in one call.
 *
 * The naive SQL (CROSS JOIN LATERAL ... ORDER BY cosine_sim LIMIT n) costs
 * N^2 merge-joins.  Here the catalog is read once (SPI, with the caller's
 * privileges), terms are mapped to integer ids, the unit-normalized vectors
 * are transposed into an inverted index, and termsim.c accumulates each
 * title's scores over the postings of its own terms only.  The search runs
 * in chunks of titles; between chunks the backend checks for interrupts
 * and moves the results into the tuplestore.  Worker threads (threads > 1)
 * touch only the plain arrays of termsim.c.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "pgutil.h"
#include "termdict.h"
#include "termsim.h"
#include "termvec.h"

#define FETCH_ROWS			1000
#define CHUNK_RESULTS		(256 * 1024)	/* results buffered per chunk */

typedef struct Catalog
{
	int32		ndocs;
	int32		cap;
	int64	   *ids;
	int64	   *doc_ptr;
	int32	   *doc_term;
	double	   *doc_w;
	int64		nent;
	int64		entcap;
	TermDict   *dict;
} Catalog;

static void
CatalogAddRow(Catalog *c, MemoryContext cxt, int64 id, const TermVec *v)
{
	double		norm = termvec_norm(v);
	const float4 *w = TV_WEIGHTS(v);

	if (c->ndocs == c->cap)
	{
		if (c->cap >= PG_INT32_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("catalog has too many rows")));
		c->cap *= 2;
		c->ids = repalloc_huge(c->ids, sizeof(int64) * c->cap);
		c->doc_ptr = repalloc_huge(c->doc_ptr, sizeof(int64) * (c->cap + 1));
	}
	while (c->nent + v->nterms > c->entcap)
	{
		c->entcap *= 2;
		c->doc_term = repalloc_huge(c->doc_term, sizeof(int32) * c->entcap);
		c->doc_w = repalloc_huge(c->doc_w, sizeof(double) * c->entcap);
	}
	c->ids[c->ndocs] = id;
	if (norm > 0.0)
		for (int32 i = 0; i < v->nterms; i++)
		{
			int32		len;
			const char *t = TV_TERM(v, i, &len);

			c->doc_term[c->nent] = termdict_add(c->dict, t, len, NULL);
			c->doc_w[c->nent] = w[i] / norm;
			c->nent++;
		}
	c->ndocs++;
	c->doc_ptr[c->ndocs] = c->nent;
}

static void
ReadCatalog(Catalog *c, MemoryContext cxt, Oid relid, const char *idcol,
			const char *veccol)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname;
	char	   *sql;
	SPIPlanPtr	plan;
	Portal		portal;
	MemoryContext rowcxt;
	MemoryContext old;

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	nspname = get_namespace_name(get_rel_namespace(relid));
	sql = psprintf("SELECT (%s)::pg_catalog.int8, (%s)::nfrec.termvec FROM %s",
				   quote_identifier(idcol), quote_identifier(veccol),
				   quote_qualified_identifier(nspname, relname));

	old = MemoryContextSwitchTo(cxt);
	c->cap = 1024;
	c->ids = MemoryContextAllocHuge(cxt, sizeof(int64) * c->cap);
	c->doc_ptr = MemoryContextAllocHuge(cxt, sizeof(int64) * (c->cap + 1));
	c->doc_ptr[0] = 0;
	c->entcap = 16 * 1024;
	c->doc_term = MemoryContextAllocHuge(cxt, sizeof(int32) * c->entcap);
	c->doc_w = MemoryContextAllocHuge(cxt, sizeof(double) * c->entcap);
	c->dict = termdict_create(cxt, 4096);
	MemoryContextSwitchTo(old);

	rowcxt = AllocSetContextCreate(cxt, "similar_by_terms rows", ALLOCSET_DEFAULT_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			bool		idnull,
						vnull;
			Datum		id = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &idnull);
			Datum		vd = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &vnull);

			if (idnull || vnull)
				continue;		/* rows without an id or a vector are skipped */
			old = MemoryContextSwitchTo(rowcxt);
			CatalogAddRow(c, cxt, DatumGetInt64(id), DatumGetTermVecP(vd));
			MemoryContextSwitchTo(old);
		}
		SPI_freetuptable(SPI_tuptable);
		MemoryContextReset(rowcxt);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(rowcxt);
}

static int
CompareDocIds(const void *a, const void *b, void *arg)
{
	const int64 *ids = (const int64 *) arg;
	int64		x = ids[*(const int32 *) a];
	int64		y = ids[*(const int32 *) b];

	return (x > y) - (x < y);
}

static int
CompareInt64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

PG_FUNCTION_INFO_V1(similar_by_terms);
Datum
similar_by_terms(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	MemoryContext cxt;
	MemoryContext old;
	Oid			relid;
	int32		n;
	int32		nthreads;
	Catalog		cat = {0};
	int32	   *byid;
	int32	   *queries;
	int32		nq = 0;
	int64	   *post_ptr;
	int32	   *post_doc;
	float	   *post_w;
	TermSimIndex ix;
	TermSimScratch *scratch;
	int32		chunk;
	int32	   *out_doc;
	double	   *out_score;
	int32	   *out_count;

	tupstore = nf_begin_srf(fcinfo, &tupdesc);

	nf_arg_not_null(fcinfo, 0, "catalog");
	nf_arg_not_null(fcinfo, 1, "n");
	nf_arg_not_null(fcinfo, 2, "id_column");
	nf_arg_not_null(fcinfo, 3, "vector_column");
	relid = PG_GETARG_OID(0);
	n = PG_GETARG_INT32(1);
	nthreads = PG_ARGISNULL(5) ? 1 : PG_GETARG_INT32(5);
	nf_check_count(n, "n");
	if (nthreads < 1 || nthreads > 64)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threads must be between 1 and 64"),
				 errdetail("threads is %d.", nthreads)));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "similar_by_terms",
								ALLOCSET_DEFAULT_SIZES);
	ReadCatalog(&cat, cxt, relid, NameStr(*PG_GETARG_NAME(2)),
				NameStr(*PG_GETARG_NAME(3)));
	if (cat.ndocs < 2)
	{
		MemoryContextDelete(cxt);
		return (Datum) 0;
	}
	old = MemoryContextSwitchTo(cxt);

	/* documents in id order: duplicate check, output order, for_ids */
	byid = MemoryContextAllocHuge(cxt, sizeof(int32) * cat.ndocs);
	for (int32 d = 0; d < cat.ndocs; d++)
		byid[d] = d;
	qsort_arg(byid, cat.ndocs, sizeof(int32), CompareDocIds, cat.ids);
	for (int32 k = 1; k < cat.ndocs; k++)
		if (cat.ids[byid[k]] == cat.ids[byid[k - 1]])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("duplicate id " INT64_FORMAT " in catalog", cat.ids[byid[k]]),
					 errdetail("Every row of the catalog must have a distinct id.")));

	queries = MemoryContextAllocHuge(cxt, sizeof(int32) * cat.ndocs);
	if (PG_ARGISNULL(4))
	{
		memcpy(queries, byid, sizeof(int32) * cat.ndocs);
		nq = cat.ndocs;
	}
	else
	{
		ArrayType  *want = PG_GETARG_ARRAYTYPE_P(4);
		Datum	   *elems;
		bool	   *nulls;
		int			nw;
		int64	   *wids;
		int			nwk = 0;

		deconstruct_array(want, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &elems, &nulls, &nw);
		wids = palloc(sizeof(int64) * Max(nw, 1));
		for (int i = 0; i < nw; i++)
			if (!nulls[i])
				wids[nwk++] = DatumGetInt64(elems[i]);
		/* merge the wanted ids (sorted) with the catalog's (sorted) */
		qsort(wids, nwk, sizeof(int64), CompareInt64);
		for (int32 k = 0, i = 0; k < cat.ndocs && i < nwk;)
		{
			int64		id = cat.ids[byid[k]];

			if (id < wids[i])
				k++;
			else if (id > wids[i])
				i++;
			else
			{
				queries[nq++] = byid[k++];
				while (i < nwk && wids[i] == id)
					i++;
			}
		}
	}

	/* inverted index */
	post_ptr = MemoryContextAllocHuge(cxt, sizeof(int64) * (cat.dict->nterms + 1));
	post_doc = MemoryContextAllocHuge(cxt, sizeof(int32) * Max(cat.nent, 1));
	post_w = MemoryContextAllocHuge(cxt, sizeof(float) * Max(cat.nent, 1));
	termsim_prepare(cat.ndocs, cat.dict->nterms, cat.doc_ptr, cat.doc_term,
					cat.doc_w, post_ptr, post_doc, post_w);
	ix.ndocs = cat.ndocs;
	ix.nterms = cat.dict->nterms;
	ix.ids = cat.ids;
	ix.doc_ptr = cat.doc_ptr;
	ix.doc_term = cat.doc_term;
	ix.doc_w = cat.doc_w;
	ix.post_ptr = post_ptr;
	ix.post_doc = post_doc;
	ix.post_w = post_w;

	n = Min(n, cat.ndocs - 1);
	scratch = palloc(sizeof(TermSimScratch) * nthreads);
	for (int t = 0; t < nthreads; t++)
	{
		int32		m = termsim_candidates(n, cat.ndocs);

		scratch[t].acc = MemoryContextAllocHuge(cxt, sizeof(float) * cat.ndocs);
		scratch[t].stamp = MemoryContextAllocHuge(cxt, sizeof(int32) * cat.ndocs);
		scratch[t].touched = MemoryContextAllocHuge(cxt, sizeof(int32) * cat.ndocs);
		scratch[t].cand_doc = MemoryContextAllocHuge(cxt, sizeof(int32) * m);
		scratch[t].cand_score = MemoryContextAllocHuge(cxt, sizeof(double) * m);
		memset(scratch[t].acc, 0, sizeof(float) * cat.ndocs);
		memset(scratch[t].stamp, 0, sizeof(int32) * cat.ndocs);
	}

	/* chunks short enough that cancel is noticed well within a second */
	chunk = Max(1, Min(CHUNK_RESULTS / n, 256 * nthreads));
	out_doc = MemoryContextAllocHuge(cxt, sizeof(int32) * (Size) chunk * n);
	out_score = MemoryContextAllocHuge(cxt, sizeof(double) * (Size) chunk * n);
	out_count = MemoryContextAllocHuge(cxt, sizeof(int32) * chunk);
	MemoryContextSwitchTo(old);

	for (int32 q0 = 0; q0 < nq; q0 += chunk)
	{
		int32		m = Min(chunk, nq - q0);

		CHECK_FOR_INTERRUPTS();
		termsim_topn(&ix, queries + q0, m, n, nthreads, scratch,
					 out_doc, out_score, out_count);
		for (int32 i = 0; i < m; i++)
		{
			int64		qid = cat.ids[queries[q0 + i]];

			for (int32 k = 0; k < out_count[i]; k++)
			{
				Datum		values[4];
				bool		nulls[4] = {false, false, false, false};

				values[0] = Int64GetDatum(qid);
				values[1] = Int32GetDatum(k + 1);
				values[2] = Int64GetDatum(cat.ids[out_doc[(Size) i * n + k]]);
				values[3] = Float8GetDatum(out_score[(Size) i * n + k]);
				tuplestore_putvalues(tupstore, tupdesc, values, nulls);
			}
		}
	}

	MemoryContextDelete(cxt);
	return (Datum) 0;
}
