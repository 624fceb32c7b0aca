/*
 * model_neighbours.c -- co-occurrence neighbours of a model's titles: the
 * deploy-time computation (nfrec._model_neighbours, over the model's
 * training events with the pure kernel of cooccur.c) and their use in
 * serving (similar_titles, the homepage's "because you watched" rows).
 *
 * Why: a title's factors say little when few users watched it, and the
 * cosine of factors alone lets such titles, or titles every group
 * watches, crowd the neighbours of a popular one.  "Users who have a also
 * have b" is measured directly by co-occurrence; blending the two keeps
 * the factors' smoothness for titles with little co-occurrence and lets
 * the data speak where it is plentiful (doc/serve.md, "Similar titles and
 * support").
 *
 * Storage: nfrec.model_store.neighbour_rows (int[], titles x m, 1-based
 * positions in title_ids, 0 = none) and neighbour_scores (real[], titles
 * x m, C(a,b) / (n(b) + beta)), written by deploy in the same row as the
 * title side, so versions, rollback, drop_model, pg_dump and the
 * registry's rights cover them with nothing more.  Serving reads them once
 * per cached model version; the caller (nf_model_neighbours in model.c)
 * runs the read as the owner of model_store, like every registry query.
 */
#include "postgres.h"

#include <math.h>

#include <cblas.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "als_model_io.h"
#include "cooccur.h"
#include "model_neighbours.h"
#include "pgutil.h"
#include "topk.h"

/* setting nfrec.cooccurrence_weight */
static double nf_cooc_weight = 0.5;

static SPIPlanPtr plan_neighbours = NULL;

void
nf_neighbours_init(void)
{
	DefineCustomRealVariable("nfrec.cooccurrence_weight",
							 "Weight of co-occurrence in similar_titles and \"because you watched\" rows.",
							 "0 ranks by the cosine of factors alone, 1 by co-occurrence alone.",
							 &nf_cooc_weight,
							 0.5, 0.0, 1.0,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
}

double
nf_cooccurrence_weight(void)
{
	return nf_cooc_weight;
}

static void
PollInterrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/* ------------------------------------------------------------------ */
/* deploy time                                                         */
/* ------------------------------------------------------------------ */

static ArrayType *
Int4Matrix(const int32 *v, int rows, int cols)
{
	Datum	   *d = palloc(sizeof(Datum) * Max((Size) rows * cols, 1));
	int			dims[2] = {rows, cols};
	int			lbs[2] = {1, 1};

	for (Size j = 0; j < (Size) rows * cols; j++)
		d[j] = Int32GetDatum(v[j]);
	return construct_md_array(d, NULL, 2, dims, lbs, INT4OID, sizeof(int32), true,
							  TYPALIGN_INT);
}

/*
 * nfrec._model_neighbours(model als_model, neighbours int, history int,
 *     OUT neighbour_rows int[], OUT neighbour_scores real[])
 * NULLs when the model has no positive training event or one title.
 */
/*
 * The two stored arrays of the neighbour lists of a model's training
 * events (CSR by user, as in the model value): values/nulls of
 * (neighbour_rows int[], neighbour_scores real[]); both NULL when there is
 * no positive event or only one title.  Shared by deploy (a model value)
 * and nfrec.train (a model trained straight into the registry).
 */
void
nf_neighbours_arrays(int nusers, int nitems, int64 nevents, const int64 *user_ptr,
					 const int32 *ev_item, const float *ev_weight,
					 int kept, int cap, Datum values[2], bool nulls[2])
{
	int64		positive = 0;
	int			k;

	if (kept < 1 || kept > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("neighbours must be between 1 and 10000, not %d", kept)));
	if (cap < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("history must be at least 2, not %d", cap),
				 errdetail("Co-occurrence needs two titles of one user.")));
	nulls[0] = nulls[1] = true;
	for (int64 e = 0; e < nevents; e++)
		positive += ev_weight[e] > 0.0f;
	k = Min(kept, nitems - 1);
	if (positive > 0 && k >= 1)
	{
		Size		n = (Size) nitems * k;
		Size		wb;
		void	   *work;
		int32	   *rows;
		float	   *scores;

		/* the stored arrays (and the Datums that build one) must fit 1 GB */
		if (n > MaxAllocSize / sizeof(Datum))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("neighbour lists of %d titles with %d neighbours each are too large", nitems, k),
					 errhint("Keep fewer neighbours per title.")));
		wb = cooccur_work_bytes(nusers, nitems, nevents, cap);
		work = MemoryContextAllocHuge(CurrentMemoryContext, wb);
		rows = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * n);
		scores = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(float) * n);
		cooccur_neighbours(nusers, nitems, user_ptr, ev_item, ev_weight,
						   k, cap, NF_NEIGHBOURS_BETA,
						   rows, scores, work, PollInterrupts, NULL);
		pfree(work);
		/* stored 1-based, 0 = none */
		for (Size j = 0; j < n; j++)
			rows[j] += 1;
		values[0] = PointerGetDatum(Int4Matrix(rows, nitems, k));
		values[1] = PointerGetDatum(nf_float4_matrix(scores, nitems, k));
		nulls[0] = nulls[1] = false;
	}
}

/* model_neighbours.h */
Datum
nf_neighbours_result(FunctionCallInfo fcinfo, int nusers, int nitems, int64 nevents,
					 const int64 *user_ptr, const int32 *ev_item,
					 const float *ev_weight, int kept, int cap)
{
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	nf_neighbours_arrays(nusers, nitems, nevents, user_ptr, ev_item, ev_weight,
						 kept, cap, values, nulls);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

PG_FUNCTION_INFO_V1(model_neighbours);
Datum
model_neighbours(PG_FUNCTION_ARGS)
{
	AlsModelHeader *m = PG_GETARG_ALSMODEL_P(0);

	als_model_validate(m, VARSIZE(m), ERRCODE_DATA_CORRUPTED);
	PG_RETURN_DATUM(nf_neighbours_result(fcinfo, m->nusers, m->nitems, m->nevents,
										 ALS_USER_PTR(m), ALS_EV_ITEM(m),
										 ALS_EV_WEIGHT(m), PG_GETARG_INT32(1),
										 PG_GETARG_INT32(2)));
}

/* ------------------------------------------------------------------ */
/* serving                                                             */
/* ------------------------------------------------------------------ */

static void
CorruptNeighbours(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("deployed model data is invalid: neighbour lists of unexpected shape"),
			 errhint("Redeploy the model with nfrec.deploy().")));
}

bool
nf_neighbours_load(ServeModel *sm)
{
	Oid			relid;
	Datum		arg[1];
	bool		isnull_r,
				isnull_s;
	Datum		dr,
				ds;

	if (sm->nb_state != 0)
		return sm->nb_state == 2;
	if (sm->name == NULL || sm->kind != NF_MODEL_ALS)
	{
		sm->nb_state = 1;
		return false;
	}
	/* a registry from before 0.2.0 (ALTER EXTENSION UPDATE pending) */
	relid = get_relname_relid("model_store", get_namespace_oid("nfrec", false));
	if (!OidIsValid(relid) || get_attnum(relid, "neighbour_rows") == InvalidAttrNumber)
		return false;			/* look again next time */
	{
		Oid			int8_arg[1] = {INT8OID};

		(void) nf_keep_plan(&plan_neighbours,
							"SELECT neighbour_rows, neighbour_scores"
							" FROM nfrec.model_store WHERE version OPERATOR(pg_catalog.=) $1",
							1, int8_arg);
	}
	arg[0] = Int64GetDatum(sm->version);
	if (SPI_execute_plan(plan_neighbours, arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the neighbours of model \"%s\"", sm->name);
	if (SPI_processed != 1)
	{
		/* the version is gone (a concurrent redeploy): not now */
		SPI_freetuptable(SPI_tuptable);
		return false;
	}
	dr = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull_r);
	ds = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull_s);
	if (isnull_r || isnull_s)
		sm->nb_state = 1;
	else
	{
		ArrayType  *ar = DatumGetArrayTypeP(dr),
				   *as = DatumGetArrayTypeP(ds);
		int			n = sm->nitems,
					mm;
		const int32 *r;
		const float *s;
		MemoryContext old;

		if (ARR_NDIM(ar) != 2 || ARR_NDIM(as) != 2 ||
			ARR_ELEMTYPE(ar) != INT4OID || ARR_ELEMTYPE(as) != FLOAT4OID ||
			ARR_DIMS(ar)[0] != n || ARR_DIMS(as)[0] != n ||
			ARR_DIMS(ar)[1] != ARR_DIMS(as)[1] || ARR_DIMS(ar)[1] < 1 ||
			ARR_HASNULL(ar) || ARR_HASNULL(as))
			CorruptNeighbours();
		mm = ARR_DIMS(ar)[1];
		r = (const int32 *) ARR_DATA_PTR(ar);
		s = (const float *) ARR_DATA_PTR(as);
		for (Size j = 0; j < (Size) n * mm; j++)
			if (r[j] < 0 || r[j] > n || !isfinite(s[j]) || s[j] < 0.0f)
				CorruptNeighbours();

		old = MemoryContextSwitchTo(sm->mcxt);
		sm->nb_rows = MemoryContextAllocHuge(sm->mcxt, sizeof(int32) * (Size) n * mm);
		sm->nb_scores = MemoryContextAllocHuge(sm->mcxt, sizeof(float) * (Size) n * mm);
		MemoryContextSwitchTo(old);
		for (Size j = 0; j < (Size) n * mm; j++)
		{
			sm->nb_rows[j] = r[j] - 1;
			sm->nb_scores[j] = s[j];
		}
		sm->nb_m = mm;
		sm->nb_state = 2;
	}
	SPI_freetuptable(SPI_tuptable);
	return sm->nb_state == 2;
}

/* model_neighbours.h */
void
nf_title_cosines(const ServeModel *sm, int32 a, const int32 *b, int n, float *out)
{
	const float *ya = sm->Y + (Size) a * sm->factors;
	double		na = sm->norms[a];
	int			t = 0;

	/*
	 * four titles at a time: each sum the same sequence of double additions
	 * as the single loop below (the same bits), four independent chains
	 * instead of one waiting on its last add
	 */
	for (; t + 4 <= n; t += 4)
	{
		const float *y0 = sm->Y + (Size) b[t] * sm->factors,
				   *y1 = sm->Y + (Size) b[t + 1] * sm->factors,
				   *y2 = sm->Y + (Size) b[t + 2] * sm->factors,
				   *y3 = sm->Y + (Size) b[t + 3] * sm->factors;
		double		d[4] = {0.0, 0.0, 0.0, 0.0};

		for (int f = 0; f < sm->factors; f++)
		{
			double		x = ya[f];

			d[0] += x * y0[f];
			d[1] += x * y1[f];
			d[2] += x * y2[f];
			d[3] += x * y3[f];
		}
		for (int e = 0; e < 4; e++)
			out[t + e] = (float) (d[e] / (na * sm->norms[b[t + e]]));
	}
	for (; t < n; t++)
	{
		const float *yb = sm->Y + (Size) b[t] * sm->factors;
		double		d = 0.0;

		for (int f = 0; f < sm->factors; f++)
			d += (double) ya[f] * yb[f];
		out[t] = (float) (d / (na * sm->norms[b[t]]));
	}
	for (t = 0; t < n; t++)
		if (sm->norms[a] <= 0.0f || sm->norms[b[t]] <= 0.0f)
			out[t] = 0.0f;
}

/* model_neighbours.h */
void
nf_similar_scores(ServeModel *sm, int32 a, const int32 *b, int n, double w, float *out)
{
	/*
	 * the cosine clamped to [-1, 1]: after the cast to float, which gives
	 * the bits of clamping the double first (a double beyond 1 rounds to a
	 * float >= 1, and 1 to 1)
	 */
	nf_title_cosines(sm, a, b, n, out);
	for (int t = 0; t < n; t++)
		out[t] = out[t] > 1.0f ? 1.0f : (out[t] < -1.0f ? -1.0f : out[t]);

	if (sm->nb_state == 2 && w > 0.0 && sm->nb_scores[(Size) a * sm->nb_m] > 0.0f)
	{
		const int32 *r = sm->nb_rows + (Size) a * sm->nb_m;
		const float *s = sm->nb_scores + (Size) a * sm->nb_m;
		int			m = 0,
					size = 16;
		int32	   *key;
		int32	   *at;

		/*
		 * a's list by row in an open-addressing table (its first place of a
		 * row, as a scan of the list finds it), then one probe per title
		 */
		while (m < sm->nb_m && r[m] >= 0)
			m++;
		while (size < 2 * m)
			size *= 2;
		key = palloc(sizeof(int32) * size);
		at = palloc(sizeof(int32) * size);
		memset(key, -1, sizeof(int32) * size);
		for (int j = 0; j < m; j++)
		{
			uint32		h = ((uint32) r[j] * 2654435761u) & (size - 1);

			while (key[h] >= 0 && key[h] != r[j])
				h = (h + 1) & (size - 1);
			if (key[h] < 0)
			{
				key[h] = r[j];
				at[h] = j;
			}
		}
		for (int t = 0; t < n; t++)
		{
			uint32		h = ((uint32) b[t] * 2654435761u) & (size - 1);
			double		co = 0.0;

			while (key[h] >= 0 && key[h] != b[t])
				h = (h + 1) & (size - 1);
			if (key[h] == b[t])
				co = (double) s[at[h]] / s[0];
			out[t] = (float) ((1.0 - w) * out[t] + w * co);
		}
		pfree(key);
		pfree(at);
	}
}

int
nf_similar_rank(ServeModel *sm, int32 a, double w, int k, int32 *rows, float *scores)
{
	float	   *sc = sm->scores;
	float		na = sm->norms[a];
	int			got;

	/* no list, or a shares no user with any title: the cosine alone */
	if (sm->nb_state != 2 || sm->nb_scores[(Size) a * sm->nb_m] <= 0.0f)
		w = 0.0;

	/* cosine of every title's factors with a's, as nf_rank_by_vector */
	cblas_sgemv(CblasRowMajor, CblasNoTrans, sm->nitems, sm->factors,
				1.0f, sm->Y, sm->factors, sm->Y + (Size) a * sm->factors, 1, 0.0f, sc, 1);
	for (int i = 0; i < sm->nitems; i++)
	{
		float		c = sm->norms[i] > 0.0f && na > 0.0f ? sc[i] / (sm->norms[i] * na) : NAN;

		c = c > 1.0f ? 1.0f : (c < -1.0f ? -1.0f : c);
		sc[i] = (float) ((1.0 - w) * c);
	}
	if (w > 0.0)
	{
		const int32 *r = sm->nb_rows + (Size) a * sm->nb_m;
		const float *s = sm->nb_scores + (Size) a * sm->nb_m;

		for (int j = 0; j < sm->nb_m && r[j] >= 0; j++)
			if (!isnan(sc[r[j]]))
				sc[r[j]] += (float) (w * s[j] / s[0]);
	}
	got = topk_select(sc, sm->nitems, sm->seen, k, rows);
	for (int j = 0; j < got; j++)
		scores[j] = sc[rows[j]];
	return got;
}
