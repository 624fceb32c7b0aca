/*
 * als_dist.c -- the steps of nfrec.train_distributed (SQL glue over als.c).
 *
 * Distributed training keeps one row per user in a work table colocated
 * with the events (the user's canonical events and factors); the title
 * side is small and travels as one bytea, the "item blob".  Per iteration
 * (doc/scale.md, "Distributed ALS"):
 *
 *   user step   UPDATE work SET x = _als_dist_user(blob, user_id, ev, x)
 *               runs on every shard next to the user's events; the blob
 *               (title factors and their Gram matrix) is a constant of the
 *               statement, unpacked once per backend and statement.
 *   item sums   SELECT _als_dist_sums(params, ev, x) FROM work: an
 *               aggregate with a bytea state, so Citus runs it per shard
 *               and combines the partial states on the coordinator.  Per
 *               title: the number of users, sum c p, sum c p x_u and the
 *               lower triangle of sum (c - 1) x_u x_u^T; once: the Gram
 *               matrix of the user factors and their regularization.
 *   item step   _als_dist_items(params, sums, blob) on the coordinator
 *               solves every title from those sums (conjugate gradient
 *               from the previous factors, or Cholesky), adds up the loss
 *               and returns the next blob.
 *
 * The per-row kernels are als.c's own (als_solve_row, als_init_row,
 * als_gram_padded), so the user half-step is training's, bit for bit; the
 * item half-step solves the same systems from sums formed in double.
 *
 * Formats (all internal, checked on input so a bad value is an error and
 * never a crash):
 *   params  AlsDistParams
 *   blob    AlsDistParams, then Y (nitems x kp floats), G (kp x kp
 *           floats), Gd (kp x kp doubles)
 *   ev      int32 n, int32 title index[n] (ascending), float4 weight[n]
 *   sums    AlsDistSums, then doubles: Gx[k x k], then per title
 *           (count, sum c p, b[k], S[k (k + 1) / 2])
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "access/detoast.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "als.h"
#include "als_defaults.h"
#include "als_sql.h"
#include "pgutil.h"
#include "rng.h"

#define ALS_DIST_MAGIC		0x414C5344	/* "ALSD" */
#define ALS_SUMS_MAGIC		0x414C5355	/* "ALSU" */

typedef struct AlsDistParams
{
	int32		vl_len_;
	uint32		magic;
	int32		k;
	int32		kp;
	int32		nitems;
	int32		solver;
	int32		cg_steps;
	int32		frequency_scaling;
	float		alpha;
	int32		pad;
	double		regularization;
	int64		seed;
	/* blob only */
	uint64		nonce;			/* identifies the blob's contents */
	double		loss;			/* after the item step that made it */
} AlsDistParams;

#define PARAMS_SIZE		offsetof(AlsDistParams, nonce)
#define BLOB_HEADER		MAXALIGN(sizeof(AlsDistParams))

typedef struct AlsDistSums
{
	int32		vl_len_;
	uint32		magic;
	int32		k;
	int32		nitems;
	int64		users;
	double		user_reg;		/* sum of lambda_u |x_u|^2 */
} AlsDistSums;

#define SUMS_HEADER		MAXALIGN(sizeof(AlsDistSums))

static inline Size
TitleDoubles(int k)
{
	return 2 + (Size) k + (Size) k * (k + 1) / 2;
}

static Size
SumsSize(int k, int32 nitems)
{
	return SUMS_HEADER + sizeof(double) * ((Size) k * k + (Size) nitems * TitleDoubles(k));
}

static Size
BlobSize(int kp, int32 nitems)
{
	return BLOB_HEADER + sizeof(float) * ((Size) nitems * kp + (Size) kp * kp) +
		sizeof(double) * (Size) kp * kp;
}

static void
BadInternal(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s of nfrec.train_distributed", what),
			 errdetail("The internal functions of train_distributed take only the values it makes.")));
}

/* A detoasted copy at a MAXALIGNed address (doubles inside are aligned). */
static void *
AlignedCopy(Datum d, Size min_size)
{
	struct varlena *v = PG_DETOAST_DATUM(d);
	Size		len = VARSIZE(v);
	void	   *copy;

	if (len < min_size)
		return NULL;
	if (((uintptr_t) v & (MAXIMUM_ALIGNOF - 1)) == 0)
		return v;
	copy = MemoryContextAllocHuge(CurrentMemoryContext, len);
	memcpy(copy, v, len);
	return copy;
}

static const AlsDistParams *
GetParams(Datum d, bool blob)
{
	const AlsDistParams *p = AlignedCopy(d, blob ? BLOB_HEADER : PARAMS_SIZE);

	if (p == NULL || p->magic != ALS_DIST_MAGIC || p->k < 1 || p->k > ALS_MAX_FACTORS ||
		p->kp != als_padded(p->k) || p->nitems < 0 ||
		(p->solver != ALS_SOLVER_CG && p->solver != ALS_SOLVER_CHOLESKY) ||
		p->cg_steps < 1 || !(p->regularization >= 0) || !(p->alpha >= 0))
		BadInternal(blob ? "item blob" : "parameters");
	if (blob && VARSIZE(p) != BlobSize(p->kp, p->nitems))
		BadInternal("item blob");
	return p;
}

#define BLOB_Y(p)	((float *) ((char *) (p) + BLOB_HEADER))
#define BLOB_G(p)	(BLOB_Y(p) + (Size) (p)->nitems * (p)->kp)
#define BLOB_GD(p)	((double *) (BLOB_G(p) + (Size) (p)->kp * (p)->kp))

/* The events of one user: n, indexes, weights; checked against nitems. */
typedef struct UserEvents
{
	int32		n;
	const int32 *idx;
	const float *w;
} UserEvents;

static void
GetEvents(bytea *ev, int32 nitems, UserEvents *u)
{
	Size		len = VARSIZE(ev) - VARHDRSZ;
	const char *p = VARDATA(ev);
	int32		n;

	if (len < sizeof(int32))
		BadInternal("user events");
	memcpy(&n, p, sizeof(int32));
	if (n < 0 || len != sizeof(int32) + (Size) n * (sizeof(int32) + sizeof(float)))
		BadInternal("user events");
	u->n = n;
	u->idx = (const int32 *) (p + sizeof(int32));
	u->w = (const float *) (p + sizeof(int32) + sizeof(int32) * (Size) n);
	for (int32 e = 0; e < n; e++)
		if (u->idx[e] < 0 || u->idx[e] >= nitems || (e > 0 && u->idx[e] <= u->idx[e - 1]) ||
			!isfinite(u->w[e]))
			BadInternal("user events");
}

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

/* _als_dist_check_options(options) -> verbose: bad options fail early. */
PG_FUNCTION_INFO_V1(als_dist_check_options);
Datum
als_dist_check_options(PG_FUNCTION_ARGS)
{
	AlsParams	p;
	bool		verbose;

	als_options_check(PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0),
					  "train_distributed", &p, &verbose);
	PG_RETURN_BOOL(verbose);
}

/*
 * _als_dist_options(options, users, titles, events, abs_weight_sum) ->
 * the effective options (what als_train would store for the same rows).
 */
PG_FUNCTION_INFO_V1(als_dist_options);
Datum
als_dist_options(PG_FUNCTION_ARGS)
{
	AlsParams	p;
	bool		verbose;
	char	   *json;

	for (int a = 1; a <= 4; a++)
		nf_arg_not_null(fcinfo, a, a == 4 ? "abs_weight_sum" : "counts");
	json = als_options_resolve(PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0),
							   "train_distributed", PG_GETARG_INT64(1), PG_GETARG_INT64(2),
							   PG_GETARG_INT64(3), PG_GETARG_FLOAT8(4), &p, &verbose);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

/* _als_dist_params(effective options without from_data, titles) -> params */
PG_FUNCTION_INFO_V1(als_dist_params);
Datum
als_dist_params(PG_FUNCTION_ARGS)
{
	AlsParams	ap;
	bool		verbose;
	AlsDistParams *p;
	int32		nitems;

	nf_arg_not_null(fcinfo, 0, "options");
	nf_arg_not_null(fcinfo, 1, "titles");
	nitems = PG_GETARG_INT32(1);
	if (nitems < 0)
		BadInternal("title count");
	als_options_check(PG_GETARG_JSONB_P(0), "train_distributed", &ap, &verbose);
	p = palloc0(PARAMS_SIZE);
	SET_VARSIZE(p, PARAMS_SIZE);
	p->magic = ALS_DIST_MAGIC;
	p->k = ap.factors;
	p->kp = als_padded(ap.factors);
	p->nitems = nitems;
	p->solver = ap.solver;
	p->cg_steps = ap.cg_steps;
	p->frequency_scaling = ap.frequency_scaling;
	p->alpha = (float) ap.alpha;
	p->regularization = ap.regularization;
	p->seed = ap.seed;
	PG_RETURN_BYTEA_P(p);
}

/* ------------------------------------------------------------------ */
/* A user's canonical events                                           */
/* ------------------------------------------------------------------ */

typedef struct CanonEv
{
	int32		idx;
	double		w;
} CanonEv;

static int
CmpCanonEv(const void *a, const void *b)
{
	const CanonEv *x = a,
			   *y = b;

	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return (x->w > y->w) - (x->w < y->w);
}

/*
 * _als_dist_canon(title_ids, user's title ids, user's weights) -> ev: as
 * als_train canonicalizes (indexes into the sorted title list, duplicates
 * summed in ascending order of value, the sum a finite real).
 */
PG_FUNCTION_INFO_V1(als_dist_canon);
Datum
als_dist_canon(PG_FUNCTION_ARGS)
{
	ArrayType  *ta,
			   *ua,
			   *wa;
	int64	   *titles,
			   *ut;
	double	   *uw;
	int			nt,
				n;
	CanonEv    *ev;
	bytea	   *out;
	int32		m = 0;
	int32	   *oidx;
	float	   *ow;
	void	   *data;

	for (int a = 0; a < 3; a++)
		nf_arg_not_null(fcinfo, a, "canonicalization input");
	ta = PG_GETARG_ARRAYTYPE_P(0);
	ua = PG_GETARG_ARRAYTYPE_P(1);
	wa = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_ELEMTYPE(ta) != INT8OID || ARR_ELEMTYPE(ua) != INT8OID || ARR_ELEMTYPE(wa) != FLOAT8OID)
		BadInternal("canonicalization input");
	nt = nf_vector_array(ta, INT8OID, "title_ids", &data);
	titles = data;
	n = nf_vector_array(ua, INT8OID, "title_id", &data);
	ut = data;
	if (nf_vector_array(wa, FLOAT8OID, "weight", &data) != n)
		BadInternal("canonicalization input");
	uw = data;

	ev = palloc(sizeof(CanonEv) * Max(n, 1));
	for (int e = 0; e < n; e++)
	{
		int			lo = 0,
					hi = nt - 1,
					at = -1;

		while (lo <= hi)
		{
			int			mid = lo + (hi - lo) / 2;

			if (titles[mid] == ut[e])
			{
				at = mid;
				break;
			}
			if (titles[mid] < ut[e])
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		if (at < 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("title " INT64_FORMAT " is not in the training titles", ut[e]),
					 errdetail("The events changed while train_distributed read them.")));
		ev[e].idx = at;
		ev[e].w = uw[e];
	}
	qsort(ev, n, sizeof(CanonEv), CmpCanonEv);

	out = palloc(VARHDRSZ + sizeof(int32) + (sizeof(int32) + sizeof(float)) * (Size) n);
	oidx = (int32 *) (VARDATA(out) + sizeof(int32));
	for (int e = 0; e < n;)
	{
		int			end = e + 1;
		double		s = ev[e].w;

		while (end < n && ev[end].idx == ev[e].idx)
			s += ev[end++].w;
		if (!isfinite(s) || fabs(s) > FLT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("summed weight of title " INT64_FORMAT " is out of range for type real",
							titles[ev[e].idx])));
		oidx[m++] = ev[e].idx;
		ev[m - 1].w = s;		/* m - 1 <= e: already consumed */
		e = end;
	}
	ow = (float *) (oidx + m);
	for (int32 e = 0; e < m; e++)
		ow[e] = (float) ev[e].w;
	memcpy(VARDATA(out), &m, sizeof(int32));
	SET_VARSIZE(out, VARHDRSZ + sizeof(int32) + (sizeof(int32) + sizeof(float)) * (Size) m);
	PG_RETURN_BYTEA_P(out);
}

/* _als_dist_abs_sum(weights) -> sum of |w|, independent of order (als_abs_sum) */
PG_FUNCTION_INFO_V1(als_dist_abs_sum);
Datum
als_dist_abs_sum(PG_FUNCTION_ARGS)
{
	void	   *data;
	int			n = nf_vector_array(PG_GETARG_ARRAYTYPE_P(0), FLOAT8OID, "weight", &data);

	PG_RETURN_FLOAT8(als_abs_sum((const double *) data, n));
}

/* _als_dist_ev_count(ev) -> distinct titles of the user */
PG_FUNCTION_INFO_V1(als_dist_ev_count);
Datum
als_dist_ev_count(PG_FUNCTION_ARGS)
{
	bytea	   *ev = PG_GETARG_BYTEA_P(0);
	int32		n;

	if (VARSIZE(ev) < VARHDRSZ + sizeof(int32))
		BadInternal("user events");
	memcpy(&n, VARDATA(ev), sizeof(int32));
	PG_RETURN_INT32(n);
}

/* _als_dist_ev_rows(ev, title_ids) -> (title_id, weight) */
PG_FUNCTION_INFO_V1(als_dist_ev_rows);
Datum
als_dist_ev_rows(PG_FUNCTION_ARGS)
{
	bytea	   *ev = PG_GETARG_BYTEA_P(0);
	ArrayType  *ta = PG_GETARG_ARRAYTYPE_P(1);
	TupleDesc	tupdesc;
	Tuplestorestate *ts = nf_begin_srf(fcinfo, &tupdesc);
	UserEvents	u;
	void	   *data;
	int			nt = nf_vector_array(ta, INT8OID, "title_ids", &data);
	const int64 *titles = data;

	GetEvents(ev, nt, &u);
	for (int32 e = 0; e < u.n; e++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int64GetDatum(titles[u.idx[e]]);
		values[1] = Float4GetDatum(u.w[e]);
		tuplestore_putvalues(ts, tupdesc, values, nulls);
	}
	return (Datum) 0;
}

/* ------------------------------------------------------------------ */
/* The item blob                                                       */
/* ------------------------------------------------------------------ */

static uint64 blobs_made = 0;

static AlsDistParams *
NewBlob(const AlsDistParams *p)
{
	Size		size = BlobSize(p->kp, p->nitems);
	AlsDistParams *b;

	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("title factors of %d titles and %d factors do not fit in one 1 GB value",
						p->nitems, p->k)));
	b = palloc0(size);
	memcpy(b, p, PARAMS_SIZE);
	SET_VARSIZE(b, size);
	/* a fresh identity for the unpacked copy the user step caches */
	b->nonce = nf_mix64(nf_mix64((uint64) GetCurrentTimestamp() ^ nf_mix64((uint64) MyProcPid)) ^
						++blobs_made);
	return b;
}

static void
BlobGram(AlsDistParams *b)
{
	float	   *scratch = palloc(sizeof(float) * als_gram_scratch_floats(b->kp));

	als_gram_padded(b->kp, BLOB_Y(b), b->nitems, scratch, BLOB_G(b), BLOB_GD(b));
	pfree(scratch);
}

/* _als_dist_init(params, title_ids) -> the first blob: factors from (seed, id) */
PG_FUNCTION_INFO_V1(als_dist_init);
Datum
als_dist_init(PG_FUNCTION_ARGS)
{
	const AlsDistParams *p;
	AlsDistParams *b;
	void	   *data;
	int			nt;
	const int64 *ids;

	nf_arg_not_null(fcinfo, 0, "params");
	nf_arg_not_null(fcinfo, 1, "title_ids");
	p = GetParams(PG_GETARG_DATUM(0), false);
	nt = nf_vector_array(PG_GETARG_ARRAYTYPE_P(1), INT8OID, "title_ids", &data);
	ids = data;
	if (nt != p->nitems)
		BadInternal("title list");
	b = NewBlob(p);
	b->loss = NAN;
	for (int32 r = 0; r < nt; r++)
		als_init_row(p->seed, 1, ids[r], p->k, p->kp, BLOB_Y(b) + (Size) r * p->kp);
	BlobGram(b);
	PG_RETURN_BYTEA_P(b);
}

/* _als_dist_loss(blob) -> the loss after the item step that made it */
PG_FUNCTION_INFO_V1(als_dist_loss);
Datum
als_dist_loss(PG_FUNCTION_ARGS)
{
	const AlsDistParams *b = GetParams(PG_GETARG_DATUM(0), true);

	if (isnan(b->loss))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(b->loss);
}

/* _als_dist_title_factors(blob) -> real[titles][factors] */
PG_FUNCTION_INFO_V1(als_dist_title_factors);
Datum
als_dist_title_factors(PG_FUNCTION_ARGS)
{
	const AlsDistParams *b = GetParams(PG_GETARG_DATUM(0), true);
	Size		n = (Size) b->nitems * b->k;
	Size		bytes = ARR_OVERHEAD_NONULLS(2) + sizeof(float) * n;
	ArrayType  *a;
	float	   *out;

	if (bytes > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("title factors do not fit in one array")));
	a = palloc0(bytes);
	SET_VARSIZE(a, bytes);
	a->ndim = 2;
	a->dataoffset = 0;
	a->elemtype = FLOAT4OID;
	ARR_DIMS(a)[0] = b->nitems;
	ARR_DIMS(a)[1] = b->k;
	ARR_LBOUND(a)[0] = 1;
	ARR_LBOUND(a)[1] = 1;
	out = (float *) ARR_DATA_PTR(a);
	for (int32 r = 0; r < b->nitems; r++)
		memcpy(out + (Size) r * b->k, BLOB_Y(b) + (Size) r * b->kp, sizeof(float) * b->k);
	PG_RETURN_ARRAYTYPE_P(a);
}

/* ------------------------------------------------------------------ */
/* The user step (on the shards)                                       */
/* ------------------------------------------------------------------ */

typedef struct UserStepCache
{
	uint64		nonce;
	Size		size;
	AlsDistParams *blob;		/* aligned copy */
	AlsRowSolver rs;
	float	   *row;			/* kp */
	double	   *work;
} UserStepCache;

static UserStepCache *
UserStepSetup(FunctionCallInfo fcinfo, Datum blobd)
{
	UserStepCache *c = (UserStepCache *) fcinfo->flinfo->fn_extra;
	AlsDistParams *head = (AlsDistParams *) PG_DETOAST_DATUM_SLICE(blobd, 0, BLOB_HEADER);
	uint64		nonce;
	Size		size = toast_raw_datum_size(blobd);
	MemoryContext old;

	if (VARSIZE(head) < BLOB_HEADER)
		BadInternal("item blob");
	memcpy(&nonce, (char *) head + offsetof(AlsDistParams, nonce), sizeof(uint64));
	if (c != NULL && c->nonce == nonce && c->size == size)
		return c;

	/* a new blob: unpack it once for this statement */
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (c != NULL)
	{
		pfree(c->blob);
		pfree(c->row);
		pfree(c->work);
	}
	else
		c = palloc0(sizeof(UserStepCache));
	fcinfo->flinfo->fn_extra = c;
	c->nonce = 0;
	{
		struct varlena *v = PG_DETOAST_DATUM_COPY(blobd);	/* MAXALIGNed */

		c->blob = unconstify(AlsDistParams *, GetParams(PointerGetDatum(v), true));
	}
	c->rs.k = c->blob->k;
	c->rs.kp = c->blob->kp;
	c->rs.solver = c->blob->solver;
	c->rs.cg_steps = c->blob->cg_steps;
	c->rs.alpha = c->blob->alpha;
	c->rs.F = BLOB_Y(c->blob);
	c->rs.G = BLOB_G(c->blob);
	c->rs.Gd = BLOB_GD(c->blob);
	c->row = palloc0(sizeof(float) * c->blob->kp);
	c->work = palloc(sizeof(double) * als_solve_work_doubles(c->blob->k));
	c->nonce = nonce;
	c->size = size;
	MemoryContextSwitchTo(old);
	return c;
}

/*
 * _als_dist_user(blob, user_id, ev, x, solve) -> the user's new factors.
 * x NULL: the start from (seed, user_id); solve false: only that start
 * (iterations 0).  The same arithmetic as als_train's user half-step.
 */
PG_FUNCTION_INFO_V1(als_dist_user);
Datum
als_dist_user(PG_FUNCTION_ARGS)
{
	UserStepCache *c;
	const AlsDistParams *b;
	UserEvents	u;
	int64		user_id;
	bool		solve;

	for (int a = 0; a < 5; a++)
		if (a != 3)
			nf_arg_not_null(fcinfo, a, "user step input");
	c = UserStepSetup(fcinfo, PG_GETARG_DATUM(0));
	b = c->blob;
	user_id = PG_GETARG_INT64(1);
	GetEvents(PG_GETARG_BYTEA_P(2), b->nitems, &u);
	solve = PG_GETARG_BOOL(4);

	if (PG_ARGISNULL(3))
		als_init_row(b->seed, 0, user_id, b->k, b->kp, c->row);
	else
	{
		void	   *data;

		if (nf_vector_array(PG_GETARG_ARRAYTYPE_P(3), FLOAT4OID, "x", &data) != b->k)
			BadInternal("user factors");
		memset(c->row, 0, sizeof(float) * b->kp);
		memcpy(c->row, data, sizeof(float) * b->k);
	}
	for (int32 e = 0; e < u.n; e++)
		if ((double) b->alpha * fabs((double) u.w[e]) > FLT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("confidence of user " INT64_FORMAT " and a title is out of range for type real",
							user_id),
					 errdetail("alpha %g times the absolute summed weight %g exceeds %g.",
							   (double) b->alpha, fabs((double) u.w[e]), (double) FLT_MAX),
					 errhint("Use a smaller alpha or scale the weights down.")));
	if (solve)
		als_solve_row(&c->rs, u.idx, u.w, u.n,
					  als_row_lambda(b->regularization, b->frequency_scaling, u.n),
					  c->row, c->work);
	PG_RETURN_ARRAYTYPE_P(nf_float4_array(c->row, b->k));
}

/* ------------------------------------------------------------------ */
/* The item sums: an aggregate with a bytea state (Citus splits it)    */
/* ------------------------------------------------------------------ */

static AlsDistSums *
GetSums(Datum d)
{
	AlsDistSums *s = AlignedCopy(d, SUMS_HEADER);

	if (s == NULL || s->magic != ALS_SUMS_MAGIC || s->k < 1 || s->k > ALS_MAX_FACTORS ||
		s->nitems < 0 || VARSIZE(s) != SumsSize(s->k, s->nitems))
		BadInternal("item sums");
	return s;
}

#define SUMS_GX(s)		((double *) ((char *) (s) + SUMS_HEADER))
#define SUMS_TITLE(s, t) (SUMS_GX(s) + (Size) (s)->k * (s)->k + (Size) (t) * TitleDoubles((s)->k))

/* _als_dist_sums_accum(state, params, ev, x) */
PG_FUNCTION_INFO_V1(als_dist_sums_accum);
Datum
als_dist_sums_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AlsDistSums *s;
	const AlsDistParams *p;
	UserEvents	u;
	const float *x;
	void	   *data;
	int			k;
	double	   *Gx;
	float		nrm = 0;
	float		lam;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "_als_dist_sums_accum called in non-aggregate context");
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	p = GetParams(PG_GETARG_DATUM(1), false);
	k = p->k;
	if (PG_ARGISNULL(0))
	{
		Size		size = SumsSize(k, p->nitems);

		if (size > MaxAllocSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("per-title sums of %d titles and %d factors do not fit in one 1 GB value",
							p->nitems, k)));
		/* the executor copies a new state into the aggregate's context */
		s = MemoryContextAllocZero(CurrentMemoryContext, size);
		SET_VARSIZE(s, size);
		s->magic = ALS_SUMS_MAGIC;
		s->k = k;
		s->nitems = p->nitems;
	}
	else
	{
		s = (AlsDistSums *) PG_GETARG_POINTER(0);	/* ours, updated in place */
		if (s->magic != ALS_SUMS_MAGIC || s->k != k || s->nitems != p->nitems)
			BadInternal("item sums");
	}
	GetEvents(PG_GETARG_BYTEA_P(2), p->nitems, &u);
	if (nf_vector_array(PG_GETARG_ARRAYTYPE_P(3), FLOAT4OID, "x", &data) != k)
		BadInternal("user factors");
	x = data;

	/* the user's regularization and Gram terms, as GramTask sums them */
	for (int j = 0; j < k; j++)
		nrm += x[j] * x[j];
	lam = als_row_lambda(p->regularization, p->frequency_scaling, u.n);
	s->user_reg += (double) lam * nrm;
	s->users++;
	Gx = SUMS_GX(s);
	for (int l = 0; l < k; l++)
	{
		double		xl = x[l];
		double	   *Gl = Gx + (Size) l * k;

		for (int j = 0; j < k; j++)
			Gl[j] += xl * x[j];
	}
	/* per title: count, sum c p, b += c p x, S += (c - 1) x x^T (lower) */
	for (int32 e = 0; e < u.n; e++)
	{
		double	   *t = SUMS_TITLE(s, u.idx[e]);
		double	   *bt = t + 2;
		double	   *S = bt + k;
		double		w = u.w[e];
		double		cm1,
					cp;

		/* in the precision each solver's single-node kernel uses */
		if (p->solver == ALS_SOLVER_CHOLESKY)
		{
			cm1 = (double) p->alpha * fabs(w);
			cp = w > 0 ? 1.0 + (double) p->alpha * w : 0.0;
		}
		else
		{
			cm1 = als_conf_m1(u.w[e], p->alpha);
			cp = als_conf_pref(u.w[e], p->alpha);
		}

		t[0] += 1;
		t[1] += cp;
		if (cp != 0)
			for (int j = 0; j < k; j++)
				bt[j] += cp * x[j];
		if (cm1 != 0)
			for (int l = 0; l < k; l++)
			{
				double		a = cm1 * x[l];
				double	   *Sl = S + (Size) l * (l + 1) / 2;

				for (int j = 0; j <= l; j++)
					Sl[j] += a * x[j];
			}
	}
	if ((s->users & 255) == 0)
		CHECK_FOR_INTERRUPTS();
	PG_RETURN_POINTER(s);
}

/* _als_dist_sums_combine(state1, state2): elementwise sum */
PG_FUNCTION_INFO_V1(als_dist_sums_combine);
Datum
als_dist_sums_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AlsDistSums *a,
			   *b;
	Size		nd;
	double	   *da,
			   *db;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "_als_dist_sums_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = GetSums(PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
	{
		/* a new state: the executor copies it into the aggregate's context */
		a = MemoryContextAllocHuge(CurrentMemoryContext, VARSIZE(b));
		memcpy(a, b, VARSIZE(b));
		PG_RETURN_POINTER(a);
	}
	a = GetSums(PG_GETARG_DATUM(0));
	if (a->k != b->k || a->nitems != b->nitems)
		BadInternal("item sums");
	if ((Pointer) a != DatumGetPointer(PG_GETARG_DATUM(0)))
	{
		/* not the aggregate's own copy: make one to update */
		AlsDistSums *c = MemoryContextAllocHuge(CurrentMemoryContext, VARSIZE(a));

		memcpy(c, a, VARSIZE(a));
		a = c;
	}
	a->users += b->users;
	a->user_reg += b->user_reg;
	nd = (Size) a->k * a->k + (Size) a->nitems * TitleDoubles(a->k);
	da = SUMS_GX(a);
	db = SUMS_GX(b);
	for (Size i = 0; i < nd; i++)
		da[i] += db[i];
	PG_RETURN_POINTER(a);
}

/* ------------------------------------------------------------------ */
/* The item step (on the coordinator)                                  */
/* ------------------------------------------------------------------ */

/*
 * _als_dist_items(params, sums, blob, solve) -> the next blob: every title
 * solved from its sums (or not, when solve is false), the loss of the
 * factors (the item rows' terms, as training's item pass sums them, plus
 * the users' regularization), the new Gram matrix.
 */
PG_FUNCTION_INFO_V1(als_dist_items);
Datum
als_dist_items(PG_FUNCTION_ARGS)
{
	const AlsDistParams *p,
			   *prev;
	AlsDistSums *s;
	AlsDistParams *b;
	int			k,
				kp;
	double	   *A,
			   *Ac,
			   *rhs,
			   *work,
			   *Gx;
	double		loss = 0;
	bool		solve;

	for (int a = 0; a < 4; a++)
		nf_arg_not_null(fcinfo, a, "item step input");
	p = GetParams(PG_GETARG_DATUM(0), false);
	s = GetSums(PG_GETARG_DATUM(1));
	prev = GetParams(PG_GETARG_DATUM(2), true);
	solve = PG_GETARG_BOOL(3);
	k = p->k;
	kp = p->kp;
	if (s->k != k || s->nitems != p->nitems || prev->k != k || prev->nitems != p->nitems)
		BadInternal("item step input");

	b = NewBlob(p);
	memcpy(BLOB_Y(b), BLOB_Y(prev), sizeof(float) * (Size) p->nitems * kp);
	A = palloc(sizeof(double) * (Size) k * k);
	Ac = palloc(sizeof(double) * (Size) k * k);
	rhs = palloc(sizeof(double) * k);
	work = palloc(sizeof(double) * 4 * (Size) k);
	Gx = SUMS_GX(s);
	for (int32 t = 0; t < p->nitems; t++)
	{
		const double *ts = SUMS_TITLE(s, t);
		const double *bt = ts + 2;
		const double *S = bt + k;
		float	   *y = BLOB_Y(b) + (Size) t * kp;
		float		lam = als_row_lambda(p->regularization, p->frequency_scaling, (int64) ts[0]);
		double		q = 0,
					yb = 0,
					nrm = 0;

		/* A = Gx + S (both triangles) */
		for (int l = 0; l < k; l++)
			for (int j = 0; j <= l; j++)
			{
				double		v = Gx[(Size) l * k + j] + S[(Size) l * (l + 1) / 2 + j];

				A[(Size) l * k + j] = v;
				A[(Size) j * k + l] = v;
			}
		if (solve)
		{
			memcpy(Ac, A, sizeof(double) * (Size) k * k);
			for (int l = 0; l < k; l++)
				Ac[(Size) l * k + l] += lam;
			if (p->solver == ALS_SOLVER_CHOLESKY)
			{
				memcpy(rhs, bt, sizeof(double) * k);
				/* not positive definite (lambda 0): keep the row, as training */
				(void) als_solve_dense_chol(k, Ac, rhs, y);
			}
			else
				als_solve_dense_cg(k, Ac, bt, p->cg_steps, y, work);
		}
		/* y'(Gx + S)y - 2 y'b + sum c p + lambda |y|^2 */
		for (int l = 0; l < k; l++)
		{
			double		ay = 0;

			for (int j = 0; j < k; j++)
				ay += A[(Size) l * k + j] * y[j];
			q += (double) y[l] * ay;
			yb += (double) y[l] * bt[l];
			nrm += (double) y[l] * y[l];
		}
		loss += q - 2 * yb + ts[1] + (double) lam * nrm;
		if ((t & 255) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	b->loss = loss + s->user_reg;
	if (!isfinite(b->loss))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("train_distributed diverged: the factors or the loss are not finite"),
				 errhint("Use a smaller alpha, scale the weights down, or raise regularization.")));
	BlobGram(b);
	PG_RETURN_BYTEA_P(b);
}
