/*
 * model.c -- the serving side of the model registry: per-backend cache of
 * deployed models, recommend_for, similar_titles, user_vector,
 * item_factors, model_version and the nfrec.model setting.
 *
 * Deployed models live in nfrec.model_store (one row per kept version:
 * header and the title side as arrays; is_current marks the version that
 * serves) and nfrec.model_users (one row per user and version: factors
 * and training events), written by nfrec.deploy and nfrec.rollback; the
 * default model's name is the one row of nfrec.model_default.  Serving reads
 * them through SPI with plans prepared once per backend.  The title side
 * (item factors, their Gram matrix for fold-in, norms, popularity order)
 * is cached in a child of CacheMemoryContext, keyed by the model's name,
 * version and deployment time; table writes send no invalidation, so each
 * call reads the model's current version (one index probe) and reloads
 * only when it changed.
 *
 * All functions are STABLE and run their SPI queries read-only, so every
 * query of one call sees the calling statement's snapshot: a concurrent
 * redeploy is seen entirely or not at all.
 *
 * Rights: the registry holds every user's training history, so a serving
 * role gets no privilege on it (nfrec.grant_serving grants EXECUTE on the
 * serving functions only).  The registry queries below -- fixed text, every
 * name and operator schema-qualified, values passed as parameters -- run
 * as the owner of nfrec.model_store (RegistryUserBegin/End switch the user
 * id only around them, as a security-restricted operation); the bound events
 * relation is read as the caller, so its GRANTs and row-level security
 * apply.  An error in between needs no clean-up: transaction or
 * subtransaction abort restores the user id, as for SECURITY DEFINER.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include <cblas.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "executor/tuptable.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "als.h"
#include "context.h"
#include "homepage_dist.h"
#include "model.h"
#include "model_events.h"
#include "model_neighbours.h"
#include "ease_serve.h"
#include "pgutil.h"
#include "titlemeta.h"
#include "topk.h"
#include "topk_scan.h"

#define MAX_CACHED_MODELS	8

/* setting nfrec.model: the default model name ("" = nfrec.model_default's) */
static char *nf_default_model = NULL;

static MemoryContext cache_cxt = NULL;
static ServeModel *cache_head = NULL;
static uint64 cache_clock = 0;

static SPIPlanPtr plan_by_name = NULL;
static SPIPlanPtr plan_default = NULL;
static SPIPlanPtr plan_load = NULL;
static SPIPlanPtr plan_user = NULL;

/* one prepared query per bound events relation */
typedef struct EventsPlan
{
	Oid			relid;
	char	   *qualname;
	SPIPlanPtr	plan;
	struct EventsPlan *next;
} EventsPlan;

static EventsPlan *events_plans = NULL;

static const char *const user_source_names[] = {"trained", "folded_in", "cold_start"};

void
nf_model_init(void)
{
	DefineCustomStringVariable("nfrec.model",
							   "Name of the model that nfrec serving functions use when none is given.",
							   "Empty means the registry's default model (nfrec.set_default).",
							   &nf_default_model,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
}

/* The caller's identity, saved while a registry query runs as its owner. */
typedef struct RegistryUser
{
	Oid			userid;
	int			sec_context;
} RegistryUser;

/* Become the owner of nfrec.model_store (see the header comment). */
static void
RegistryUserBegin(RegistryUser *saved)
{
	Oid			relid = get_relname_relid("model_store",
										  get_namespace_oid("nfrec", false));
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"nfrec.model_store\" does not exist")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner, saved->sec_context |
						   SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
}

static void
RegistryUserEnd(const RegistryUser *saved)
{
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

static SPIPlanPtr
KeepPlan(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	p = NULL;

	return nf_keep_plan(&p, sql, nargs, argtypes);
}

/*
 * Which registry the plans were prepared for: 0.1.0's (one row per name,
 * the latest deployed is the default) until ALTER EXTENSION UPDATE adds
 * the version history and nfrec.model_default, which a backend may see
 * in the middle of its life.
 */
static bool plans_for_history = false;

static void
PreparePlans(void)
{
	Oid			text_arg[1] = {TEXTOID};
	Oid			int8_arg[1] = {INT8OID};
	Oid			int8_int8[2] = {INT8OID, INT8OID};
	bool		history = OidIsValid(get_relname_relid("model_default",
													   get_namespace_oid("nfrec", false)));

	if (history != plans_for_history)
	{
		if (plan_by_name)
			SPI_freeplan(plan_by_name);
		if (plan_default)
			SPI_freeplan(plan_default);
		if (plan_load)
			SPI_freeplan(plan_load);
		plan_by_name = plan_default = plan_load = NULL;
		plans_for_history = history;
	}
	if (plan_by_name == NULL)
		plan_by_name = KeepPlan(history ?
								"SELECT name, version, deployed_at, events::pg_catalog.oid"
								" FROM nfrec.model_store WHERE name OPERATOR(pg_catalog.=) $1"
								" AND is_current" :
								"SELECT name, version, deployed_at, events::pg_catalog.oid"
								" FROM nfrec.model_store WHERE name OPERATOR(pg_catalog.=) $1",
								1, text_arg);
	if (plan_default == NULL)
		plan_default = KeepPlan(history ?
								"SELECT s.name, s.version, s.deployed_at, s.events::pg_catalog.oid"
								" FROM nfrec.model_default d JOIN nfrec.model_store s"
								" ON s.name OPERATOR(pg_catalog.=) d.name AND s.is_current" :
								"SELECT name, version, deployed_at, events::pg_catalog.oid"
								" FROM nfrec.model_store ORDER BY version DESC LIMIT 1",
								0, NULL);
	/* model_store.kind arrives with 0.2.0's registry */
	if (plan_load == NULL)
		plan_load = KeepPlan(history ?
							 "SELECT factors, titles, alpha, regularization,"
							 " options OPERATOR(pg_catalog.->>) 'regularization_scaling',"
							 " title_ids, title_counts, title_factors, users, kind,"
							 " (SELECT pg_catalog.array_agg(e::pg_catalog.int8) FROM"
							 "  pg_catalog.jsonb_array_elements_text(options OPERATOR(pg_catalog.->) 'cold_titles') e)"
							 " FROM nfrec.model_store WHERE version OPERATOR(pg_catalog.=) $1" :
							 "SELECT factors, titles, alpha, regularization,"
							 " options OPERATOR(pg_catalog.->>) 'regularization_scaling',"
							 " title_ids, title_counts, title_factors, users, 'als'::pg_catalog.text,"
							 " NULL::pg_catalog.int8[]"
							 " FROM nfrec.model_store WHERE version OPERATOR(pg_catalog.=) $1",
							 1, int8_arg);
	if (plan_user == NULL)
		plan_user = KeepPlan(
							 "SELECT factors, title_ids, weights FROM nfrec.model_users"
							 " WHERE version OPERATOR(pg_catalog.=) $1"
							 " AND user_id OPERATOR(pg_catalog.=) $2",
							 2, int8_int8);
}

static Datum
GetCol(int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, isnull);
}

static void
CorruptModel(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("deployed model data is invalid: %s", what),
			 errhint("Redeploy the model with nfrec.deploy().")));
}

/* A stored real[]/bigint[] with exactly n elements and no NULLs. */
static void *
StoredArray(Datum d, Oid elemtype, Size n, int ndim)
{
	ArrayType  *a = DatumGetArrayTypeP(d);

	if (n == 0 && ARR_NDIM(a) == 0)
		return NULL;
	if (ARR_ELEMTYPE(a) != elemtype || ARR_NDIM(a) != ndim ||
		(ARR_HASNULL(a) && array_contains_nulls(a)) ||
		(Size) ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a)) != n)
		CorruptModel("array of unexpected shape");
	return ARR_DATA_PTR(a);
}

static int
CmpPopularity(const void *a, const void *b, void *arg)
{
	const float *c = arg;
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	if (c[x] != c[y])
		return c[x] > c[y] ? -1 : 1;
	return (x > y) - (x < y);
}

/* Derived title-side data: Gram matrix, norms, popularity, scratch. */
static void
FinishServeModel(ServeModel *sm)
{
	int			f = sm->factors,
				n = sm->nitems;

	/* an EASE model has no factors (ease_serve.c) */
	if (sm->kind != NF_MODEL_EASE)
	{
		sm->G = palloc(sizeof(double) * f * f);
		als_gram(f, sm->Y, f, n, sm->G);
		sm->norms = palloc(sizeof(float) * n);
	}
	for (int i = 0; sm->kind != NF_MODEL_EASE && i < n; i++)
	{
		double		s = 0.0;
		const float *y = sm->Y + (Size) i * f;

		for (int a = 0; a < f; a++)
			s += (double) y[a] * y[a];
		sm->norms[i] = (float) sqrt(s);
	}
	/* dense title ids (the usual case) map to rows through a table */
	sm->id_rows = NULL;
	if (n > 0 &&
		(uint64) sm->item_ids[n - 1] - (uint64) sm->item_ids[0] < (uint64) 4 * n + 1024)
	{
		sm->id_lo = sm->item_ids[0];
		sm->id_span = (int64) ((uint64) sm->item_ids[n - 1] - (uint64) sm->id_lo) + 1;
		sm->id_rows = palloc(sizeof(int32) * sm->id_span);
		memset(sm->id_rows, 0xff, sizeof(int32) * sm->id_span);
		for (int i = 0; i < n; i++)
			sm->id_rows[(uint64) sm->item_ids[i] - (uint64) sm->id_lo] = i;
	}
	sm->pop_order = palloc(sizeof(int32) * n);
	for (int i = 0; i < n; i++)
		sm->pop_order[i] = i;
	qsort_arg(sm->pop_order, n, sizeof(int32), CmpPopularity, (void *) sm->counts);
	sm->scores = palloc(sizeof(float) * n);
	sm->seen = palloc0(n);
	sm->work = palloc(sizeof(double) * als_solve_work_doubles(f));
}

/* model.h */
int32
nf_title_row(const ServeModel *sm, int64 title_id)
{
	if (sm->id_rows)
	{
		/* unsigned: an id below id_lo wraps to a huge offset */
		uint64		off = (uint64) title_id - (uint64) sm->id_lo;

		return off < (uint64) sm->id_span ? sm->id_rows[off] : -1;
	}
	return als_find_id(sm->item_ids, sm->nitems, title_id);
}

void
nf_serve_model_finish(ServeModel *sm)
{
	FinishServeModel(sm);
}

/* Read a deployed model's title side into a new context (SPI connected). */
static ServeModel *
LoadModel(const char *name, int64 version, TimestampTz deployed_at, Oid events)
{
	MemoryContext cxt,
				old;
	ServeModel *sm;
	Datum		arg[1];
	bool		isnull;
	int			f,
				n;
	const int64 *ids;
	const float *counts,
			   *Y;
	char	   *scaling = NULL;
	RegistryUser caller;
	bool		ease;

	arg[0] = Int64GetDatum(version);
	RegistryUserBegin(&caller);
	PreparePlans();				/* LookupModel may not have needed them */
	if (SPI_execute_plan(plan_load, arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read model \"%s\"", name);
	RegistryUserEnd(&caller);
	if (SPI_processed != 1)
		CorruptModel("model row vanished");

	f = DatumGetInt32(GetCol(1, &isnull));
	n = DatumGetInt32(GetCol(2, &isnull));
	{
		char	   *kind = TextDatumGetCString(GetCol(10, &isnull));

		ease = strcmp(kind, "ease") == 0;
		if (!ease && strcmp(kind, "als") != 0)
			CorruptModel("unknown model kind");
	}
	/* an EASE model keeps B, titles x titles, where ALS keeps factors */
	if (ease && f == 0 && n >= 1 && n <= EASE_HARD_MAX_TITLES)
		f = n;
	else if (f < 1 || f > ALS_MAX_FACTORS || n < 1)
		CorruptModel("bad shape");
	ids = StoredArray(GetCol(6, &isnull), INT8OID, n, 1);
	counts = StoredArray(GetCol(7, &isnull), FLOAT4OID, n, 1);
	{
		ArrayType  *ya = DatumGetArrayTypeP(GetCol(8, &isnull));

		if (ARR_NDIM(ya) != 2 || ARR_DIMS(ya)[0] != n || ARR_DIMS(ya)[1] != f)
			CorruptModel("title factors do not have one row per title");
		Y = StoredArray(PointerGetDatum(ya), FLOAT4OID, (Size) n * f, 2);
	}
	for (int i = 1; i < n; i++)
		if (ids[i - 1] >= ids[i])
			CorruptModel("title ids are not ascending");
	for (Size j = 0; j < (Size) n * f; j++)
		if (!isfinite(Y[j]))
			CorruptModel("non-finite title factor");

	/*
	 * Build under the SPI context first; only a complete model moves under
	 * the cache context, so an error here leaks nothing.
	 */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "nfrec model",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	sm = palloc0(sizeof(ServeModel));
	sm->mcxt = cxt;
	sm->name = pstrdup(name);
	sm->version = version;
	sm->deployed_at = deployed_at;
	sm->events_relid = events;
	sm->factors = f;
	sm->nitems = n;
	sm->alpha = DatumGetFloat8(GetCol(3, &isnull));
	sm->lambda = DatumGetFloat8(GetCol(4, &isnull));
	{
		Datum		d = GetCol(5, &isnull);

		if (!isnull)
			scaling = TextDatumGetCString(d);
	}
	sm->lambda_per_event = scaling && strcmp(scaling, "frequency") == 0;
	sm->item_ids = memcpy(palloc(sizeof(int64) * n), ids, sizeof(int64) * n);
	sm->counts = memcpy(palloc(sizeof(float) * n), counts, sizeof(float) * n);
	sm->nusers = DatumGetInt32(GetCol(9, &isnull));
	{
		/* titles added by deploy_cold_titles (options.cold_titles) */
		Datum		d = GetCol(11, &isnull);

		if (!isnull)
		{
			Datum	   *el;
			bool	   *nul;
			int			ne;

			deconstruct_array(DatumGetArrayTypeP(d), INT8OID, 8, FLOAT8PASSBYVAL,
							  TYPALIGN_DOUBLE, &el, &nul, &ne);
			for (int j = 0; j < ne; j++)
			{
				int32		r = nul[j] ? -1 : als_find_id(sm->item_ids, n, DatumGetInt64(el[j]));

				if (r < 0)
					continue;
				if (sm->cold == NULL)
					sm->cold = palloc0(n);
				sm->cold[r] = 1;
			}
		}
	}
	if (ease)
		nf_ease_load(sm, Y);
	else
		sm->Y = memcpy(MemoryContextAllocHuge(cxt, sizeof(float) * (Size) n * f),
					   Y, sizeof(float) * (Size) n * f);
	FinishServeModel(sm);
	MemoryContextSwitchTo(old);
	MemoryContextSetIdentifier(cxt, sm->name);
	SPI_freetuptable(SPI_tuptable);
	return sm;
}

static void
EvictModel(ServeModel *victim)
{
	ServeModel **p;

	for (p = &cache_head; *p; p = &(*p)->next)
		if (*p == victim)
		{
			*p = victim->next;
			MemoryContextDelete(victim->mcxt);
			return;
		}
}

/* The current version of a deployed model, as the snapshot sees it. */
typedef struct ModelRef
{
	char	   *name;
	int64		version;
	TimestampTz deployed_at;
	Oid			events;
} ModelRef;

/*
 * Registry probes without the executor.  Serving reads two registry rows
 * per call (the model's current version, the user's row), each one index
 * probe; through SPI each costs a plan lookup, executor start-up and a
 * tuple copy, a large part of a recommend_for call.  These read the same
 * rows the prepared queries would -- through the same unique indexes, in
 * the active snapshot -- straight from the index and heap.  Like the
 * queries run as the registry's owner, they check no privilege of the
 * caller.  They need the 0.2.0 registry (is_current, its index); with
 * 0.1.0's (before ALTER EXTENSION UPDATE) they report "unavailable" and
 * the prepared queries serve.
 */
#define PROBE_UNAVAILABLE	(-1)

typedef bool (*ProbeRowFn) (TupleTableSlot *slot, Relation rel, void *arg);

/*
 * Find the row of nfrec.<table> whose leading index columns of
 * nfrec.<index> (unique) equal vals (equality procs procs), and hand it to
 * fn, which copies what it needs and returns false when the row is not
 * usable.  Returns 1 (found and used), 0 (no such row) or
 * PROBE_UNAVAILABLE.
 */
static int
RegistryProbe(const char *table, const char *index, int nkeys, const RegProcedure *procs,
			  const Datum *vals, ProbeRowFn fn, void *arg)
{
	Oid			nsp = get_namespace_oid("nfrec", false);
	Oid			relid = get_relname_relid(table, nsp);
	Oid			idxid = get_relname_relid(index, nsp);
	Relation	rel,
				idx;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	ScanKeyData keys[2];
	int			result = 0;

	Assert(nkeys <= 2);
	if (!OidIsValid(relid) || !OidIsValid(idxid))
		return PROBE_UNAVAILABLE;
	rel = table_open(relid, AccessShareLock);
	idx = index_open(idxid, AccessShareLock);
	if (idx->rd_index->indrelid != relid || idx->rd_index->indnkeyatts < nkeys)
	{
		index_close(idx, AccessShareLock);
		table_close(rel, AccessShareLock);
		return PROBE_UNAVAILABLE;
	}
	for (int k = 0; k < nkeys; k++)
	{
		ScanKeyInit(&keys[k], k + 1, BTEqualStrategyNumber, procs[k], vals[k]);
		keys[k].sk_collation = idx->rd_indcollation[k];
	}
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx, GetActiveSnapshot(), nkeys, 0);
	index_rescan(scan, keys, nkeys, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
		result = fn(slot, rel, arg) ? 1 : PROBE_UNAVAILABLE;
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return result;
}

/* ProbeRowFn: the model_store row of a current version */
static bool
ModelRefRow(TupleTableSlot *slot, Relation rel, void *arg)
{
	ModelRef   *ref = arg;
	AttrNumber	a_name = nf_attnum(rel, "name"),
				a_version = nf_attnum(rel, "version"),
				a_at = nf_attnum(rel, "deployed_at"),
				a_events = nf_attnum(rel, "events"),
				a_current = nf_attnum(rel, "is_current");
	bool		isnull;
	Datum		d;

	if (a_name == InvalidAttrNumber || a_version == InvalidAttrNumber ||
		a_at == InvalidAttrNumber || a_events == InvalidAttrNumber ||
		a_current == InvalidAttrNumber)
		return false;
	/* the partial index holds current rows; a HOT chain is re-checked */
	d = slot_getattr(slot, a_current, &isnull);
	if (isnull || !DatumGetBool(d))
		return false;
	ref->name = TextDatumGetCString(slot_getattr(slot, a_name, &isnull));
	ref->version = DatumGetInt64(slot_getattr(slot, a_version, &isnull));
	ref->deployed_at = DatumGetTimestampTz(slot_getattr(slot, a_at, &isnull));
	d = slot_getattr(slot, a_events, &isnull);
	ref->events = isnull ? InvalidOid : DatumGetObjectId(d);
	return true;
}

/* The current version of model name: 1, 0 (none) or PROBE_UNAVAILABLE. */
static int
ProbeModelByName(const char *name, ModelRef *ref)
{
	RegProcedure procs[1] = {F_TEXTEQ};
	Datum		vals[1];

	vals[0] = CStringGetTextDatum(name);
	return RegistryProbe("model_store", "model_store_current_name", 1, procs, vals,
						 ModelRefRow, ref);
}

/*
 * The name in nfrec.model_default (*name NULL when it has no row), read
 * in the active snapshot; false when there is no such table (0.1.0).
 */
static bool
ReadDefaultName(char **name)
{
	Oid			relid = get_relname_relid("model_default", get_namespace_oid("nfrec", false));
	Datum		d;
	bool		isnull;

	*name = NULL;
	if (!OidIsValid(relid) || nf_first_row_value(relid, "name", &d, &isnull) < 0)
		return false;
	if (!isnull)
		*name = TextDatumGetCString(d);
	return true;
}

static void
LookupModel(const char *name, ModelRef *ref)
{
	Datum		arg[1];
	bool		isnull;
	bool		from_setting = false;
	RegistryUser caller;

	if (name == NULL && nf_default_model != NULL && nf_default_model[0] != '\0')
	{
		name = nf_default_model;
		from_setting = true;
	}

	/* the registry's own rows, read directly (see RegistryProbe) */
	{
		char	   *dname = NULL;
		int			found = PROBE_UNAVAILABLE;

		if (name != NULL)
			found = ProbeModelByName(name, ref);
		else if (ReadDefaultName(&dname))
			found = dname ? ProbeModelByName(dname, ref) : 0;
		if (found == 1)
			return;
		if (found == 0)
		{
			if (name == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("no model is deployed"),
						 errhint("Deploy one with nfrec.deploy(name, model), or choose the default with nfrec.set_default(name).")));
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("model \"%s\" does not exist", name),
					 from_setting ? errdetail("The model is named by the setting nfrec.model.") : 0,
					 errhint("The view nfrec.models lists the deployed models.")));
		}
	}

	RegistryUserBegin(&caller);
	PreparePlans();
	if (name != NULL)
	{
		arg[0] = CStringGetTextDatum(name);
		if (SPI_execute_plan(plan_by_name, arg, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not look up model \"%s\"", name);
	}
	else if (SPI_execute_plan(plan_default, NULL, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the default model");
	RegistryUserEnd(&caller);

	if (SPI_processed == 0)
	{
		if (name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("no model is deployed"),
					 errhint("Deploy one with nfrec.deploy(name, model), or choose the default with nfrec.set_default(name).")));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name),
				 from_setting ? errdetail("The model is named by the setting nfrec.model.") : 0,
				 errhint("The view nfrec.models lists the deployed models.")));
	}
	ref->name = TextDatumGetCString(GetCol(1, &isnull));
	ref->version = DatumGetInt64(GetCol(2, &isnull));
	ref->deployed_at = DatumGetTimestampTz(GetCol(3, &isnull));
	ref->events = DatumGetObjectId(GetCol(4, &isnull));
	if (isnull)
		ref->events = InvalidOid;
	SPI_freetuptable(SPI_tuptable);
}

ServeModel *
nf_model_acquire(const char *name)
{
	ModelRef	ref;
	ServeModel *sm,
			   *lru = NULL;
	int			count = 0;

	LookupModel(name, &ref);
	for (sm = cache_head; sm; sm = sm->next)
	{
		if (strcmp(sm->name, ref.name) == 0)
		{
			if (sm->version == ref.version && sm->deployed_at == ref.deployed_at)
			{
				sm->last_used = ++cache_clock;
				return sm;
			}
			EvictModel(sm);		/* a new version replaced it */
			break;
		}
	}

	if (cache_cxt == NULL)
		cache_cxt = AllocSetContextCreate(CacheMemoryContext, "nfrec model cache",
										  ALLOCSET_SMALL_SIZES);
	sm = LoadModel(ref.name, ref.version, ref.deployed_at, ref.events);
	MemoryContextSetParent(sm->mcxt, cache_cxt);

	for (ServeModel *p = cache_head; p; p = p->next)
	{
		count++;
		if (lru == NULL || p->last_used < lru->last_used)
			lru = p;
	}
	if (count >= MAX_CACHED_MODELS && lru)
		EvictModel(lru);
	sm->last_used = ++cache_clock;
	sm->next = cache_head;
	cache_head = sm;
	return sm;
}

/* Does the options JSON say "regularization_scaling": "frequency"? */
static bool
OptionsScaleByFrequency(const char *options)
{
	Jsonb	   *j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(options)));
	JsonbValue	key;
	JsonbValue *v;

	if (!JB_ROOT_IS_OBJECT(j))
		return false;
	key.type = jbvString;
	key.val.string.val = "regularization_scaling";
	key.val.string.len = strlen(key.val.string.val);
	v = findJsonbValueFromContainer(&j->root, JB_FOBJECT, &key);
	return v != NULL && v->type == jbvString &&
		v->val.string.len == strlen("frequency") &&
		strncmp(v->val.string.val, "frequency", v->val.string.len) == 0;
}

/* A transient serving view of an EASE model value (ease_serve.c scores it). */
ServeModel *
nf_ease_from_value(const EaseModelHeader *m)
{
	ServeModel *sm = palloc0(sizeof(ServeModel));

	sm->kind = NF_MODEL_EASE;
	sm->ease_value = m;
	sm->factors = 0;
	sm->nitems = m->nitems;
	sm->item_ids = EASE_ITEM_IDS(m);
	sm->counts = EASE_ITEM_COUNT(m);
	sm->nusers = m->nusers;
	sm->lambda = m->lambda;
	sm->B = EASE_B(m);
	sm->mcxt = CurrentMemoryContext;
	nf_serve_model_finish(sm);
	return sm;
}

ServeModel *
nf_model_from_value(const AlsModelHeader *m)
{
	ServeModel *sm = palloc0(sizeof(ServeModel));

	if (m->nitems < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model has no titles")));
	sm->value = m;
	sm->factors = m->factors;
	sm->nitems = m->nitems;
	sm->item_ids = ALS_ITEM_IDS(m);
	sm->Y = ALS_ITEM_FACTORS(m);
	sm->counts = ALS_ITEM_COUNT(m);
	sm->nusers = m->nusers;
	sm->alpha = m->alpha;
	sm->lambda = m->regularization;
	sm->lambda_per_event = OptionsScaleByFrequency(ALS_OPTIONS(m));
	sm->mcxt = CurrentMemoryContext;
	FinishServeModel(sm);
	return sm;
}

typedef struct RowW
{
	int32		row;
	float		w;
} RowW;

/*
 * By row, then weight: the duplicates of a title are summed in an order
 * fixed by their values, so the sum does not depend on the order the rows
 * were read in (a query plan's, or model_events.c's index order).
 */
static int
CmpRowW(const void *a, const void *b)
{
	const RowW *x = a,
			   *y = b;

	if (x->row != y->row)
		return (x->row > y->row) - (x->row < y->row);
	return (x->w > y->w) - (x->w < y->w);
}

/* Sort events by row and sum duplicates (rows/w rewritten in place). */
static void
NormalizeEvents(UserEvents *ev)
{
	RowW	   *t;
	int			m = 0;
	bool		sorted = true;

	for (int j = 1; j < ev->n; j++)
		if (ev->rows[j - 1] >= ev->rows[j])
			sorted = false;
	if (sorted)
		return;
	t = palloc(sizeof(RowW) * ev->n);
	for (int j = 0; j < ev->n; j++)
	{
		t[j].row = ev->rows[j];
		t[j].w = ev->w[j];
	}
	qsort(t, ev->n, sizeof(RowW), CmpRowW);
	for (int j = 0; j < ev->n; j++)
	{
		if (m > 0 && t[m - 1].row == t[j].row)
			t[m - 1].w += t[j].w;
		else
			t[m++] = t[j];
	}
	for (int j = 0; j < m; j++)
	{
		ev->rows[j] = t[j].row;
		ev->w[j] = t[j].w;
	}
	ev->n = m;
	pfree(t);
}

/* a model_users row: factors, title_ids, weights (copies) */
typedef struct UserRow
{
	Datum		factors;
	Datum		title_ids;
	Datum		weights;
} UserRow;

/* ProbeRowFn: copy a model_users row's arrays into the current context */
static bool
UserRowCopy(TupleTableSlot *slot, Relation rel, void *arg)
{
	UserRow    *row = arg;
	AttrNumber	a_f = nf_attnum(rel, "factors"),
				a_t = nf_attnum(rel, "title_ids"),
				a_w = nf_attnum(rel, "weights");
	bool		n1,
				n2,
				n3;
	Datum		f,
				t,
				w;

	if (a_f == InvalidAttrNumber || a_t == InvalidAttrNumber || a_w == InvalidAttrNumber)
		return false;
	f = slot_getattr(slot, a_f, &n1);
	t = slot_getattr(slot, a_t, &n2);
	w = slot_getattr(slot, a_w, &n3);
	if (n1 || n2 || n3)
		CorruptModel("user row has a null array");
	row->factors = PointerGetDatum(DatumGetArrayTypePCopy(f));
	row->title_ids = PointerGetDatum(DatumGetArrayTypePCopy(t));
	row->weights = PointerGetDatum(DatumGetArrayTypePCopy(w));
	return true;
}

bool
nf_user_training(ServeModel *sm, int64 user_id, float *x, UserEvents *ev,
				 MemoryContext cxt)
{
	int			f = sm->factors;

	ev->n = 0;
	ev->rows = NULL;
	ev->w = NULL;

	if (sm->ease_value)
		return nf_ease_user_training(sm, user_id, ev);
	if (sm->value)
	{
		const AlsModelHeader *m = sm->value;
		int32		u = als_find_id(ALS_USER_IDS(m), m->nusers, user_id);
		const int64 *ptr = ALS_USER_PTR(m);

		if (u < 0)
			return false;
		memcpy(x, ALS_USER_FACTORS(m) + (Size) u * f, sizeof(float) * f);
		ev->n = (int) (ptr[u + 1] - ptr[u]);
		ev->rows = (int32 *) ALS_EV_ITEM(m) + ptr[u];
		ev->w = (float *) ALS_EV_WEIGHT(m) + ptr[u];
		return true;
	}
	else
	{
		Datum		args[2];
		bool		isnull;
		const float *fx,
				   *w;
		const int64 *tids;
		ArrayType  *ta;
		int			n;
		MemoryContext old;
		RegistryUser caller;
		UserRow		row;
		int			found;

		/* the user's row: one probe of model_users' primary key */
		old = MemoryContextSwitchTo(cxt);
		args[0] = Int64GetDatum(sm->version);
		args[1] = Int64GetDatum(user_id);
		found = RegistryProbe("model_users", "model_users_pkey", 2,
							  (RegProcedure[]) {F_INT8EQ, F_INT8EQ}, args,
							  UserRowCopy, &row);
		MemoryContextSwitchTo(old);
		if (found == 0)
			return false;
		if (found == PROBE_UNAVAILABLE)
		{
			RegistryUserBegin(&caller);
			PreparePlans();
			if (SPI_execute_plan(plan_user, args, NULL, true, 1) != SPI_OK_SELECT)
				elog(ERROR, "could not read user of model \"%s\"", sm->name);
			RegistryUserEnd(&caller);
			if (SPI_processed == 0)
			{
				SPI_freetuptable(SPI_tuptable);
				return false;
			}
			row.factors = GetCol(1, &isnull);
			row.title_ids = GetCol(2, &isnull);
			row.weights = GetCol(3, &isnull);
		}
		old = MemoryContextSwitchTo(cxt);
		fx = StoredArray(row.factors, FLOAT4OID, f, 1);
		ta = DatumGetArrayTypeP(row.title_ids);
		n = ARR_NDIM(ta) == 0 ? 0 : ArrayGetNItems(ARR_NDIM(ta), ARR_DIMS(ta));
		tids = StoredArray(PointerGetDatum(ta), INT8OID, n, 1);
		w = StoredArray(row.weights, FLOAT4OID, n, 1);
		if (f > 0)
			memcpy(x, fx, sizeof(float) * f);
		ev->rows = palloc(sizeof(int32) * Max(n, 1));
		ev->w = palloc(sizeof(float) * Max(n, 1));
		for (int j = 0; j < n; j++)
		{
			int32		r = nf_title_row(sm, tids[j]);

			if (r < 0)
				CorruptModel("user event refers to an unknown title");
			ev->rows[ev->n] = r;
			ev->w[ev->n++] = w[j];
		}
		NormalizeEvents(ev);
		MemoryContextSwitchTo(old);
		if (found == PROBE_UNAVAILABLE)
			SPI_freetuptable(SPI_tuptable);
		return true;
	}
}

static SPIPlanPtr
GetEventsPlan(ServeModel *sm, Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *qualname;
	EventsPlan *ep,
			  **pp;
	Oid			argtypes[1] = {INT8OID};
	MemoryContext old;

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("events relation of model \"%s\" does not exist any more", sm->name),
				 errhint("Redeploy the model with an existing events relation, or without one.")));
	qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										  relname);
	for (pp = &events_plans; (ep = *pp) != NULL; pp = &ep->next)
	{
		if (ep->relid != relid)
			continue;
		if (strcmp(ep->qualname, qualname) == 0)
			return ep->plan;
		/* renamed: the kept plan would re-parse the old name */
		*pp = ep->next;
		SPI_freeplan(ep->plan);
		pfree(ep->qualname);
		pfree(ep);
		break;
	}

	if (cache_cxt == NULL)
		cache_cxt = AllocSetContextCreate(CacheMemoryContext, "nfrec model cache",
										  ALLOCSET_SMALL_SIZES);
	{
		char	   *sql = psprintf("SELECT (title_id)::pg_catalog.int8, (weight)::pg_catalog.float8"
								   " FROM %s WHERE user_id OPERATOR(pg_catalog.=) $1",
								   qualname);
		SPIPlanPtr	plan = KeepPlan(sql, 1, argtypes);

		old = MemoryContextSwitchTo(cache_cxt);
		ep = palloc(sizeof(EventsPlan));
		ep->relid = relid;
		ep->qualname = pstrdup(qualname);
		ep->plan = plan;
		ep->next = events_plans;
		events_plans = ep;
		MemoryContextSwitchTo(old);
	}
	return ep->plan;
}

/* The rows serving's query returns, in the form nf_events_direct gives. */
static int64
EventsByQuery(ServeModel *sm, Oid relid, int64 user_id, NfEventRow **rows)
{
	SPIPlanPtr	plan = GetEventsPlan(sm, relid);
	Datum		arg[1];
	uint64		nrows;
	NfEventRow *r;

	arg[0] = Int64GetDatum(user_id);
	if (SPI_execute_plan(plan, arg, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the events relation of model \"%s\"", sm->name);
	nrows = SPI_processed;
	if (nrows > (uint64) MaxAllocSize / sizeof(float))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many events for user " INT64_FORMAT, user_id)));
	r = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(NfEventRow) * Max(nrows, 1));
	for (uint64 j = 0; j < nrows; j++)
	{
		HeapTuple	tup = SPI_tuptable->vals[j];

		r[j].title_id = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &r[j].title_null));
		r[j].weight = DatumGetFloat8(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &r[j].weight_null));
	}
	SPI_freetuptable(SPI_tuptable);
	*rows = r;
	return (int64) nrows;
}

/*
 * The user's rows in the bound events relation (titles in the catalog
 * only), weights summed per title; NULL weights count as 0 (seen, no
 * preference), NULL titles are ignored.  Read through the user_id index
 * without the executor when that gives the query's rows (model_events.c),
 * else by the query.  On a Citus node the user's rows are one shard of an
 * events relation hash-distributed by user_id; when that shard is a table of
 * this node (a worker inside a pushed-down shard query or a delegated call)
 * it is read directly, since a query on the distributed relation there would
 * be a distributed query nested in one, which Citus refuses.
 */
static void
CurrentEvents(ServeModel *sm, int64 user_id, UserEvents *ev)
{
	Oid			relid = nf_citus_local_table(sm->events_relid, user_id, false);
	NfEventRow *er;
	int64		nrows = nf_events_direct(relid, user_id, &er);

	if (nrows < 0)
		nrows = EventsByQuery(sm, relid, user_id, &er);
	ev->n = 0;
	ev->rows = palloc(sizeof(int32) * Max(nrows, 1));
	ev->w = palloc(sizeof(float) * Max(nrows, 1));
	for (int64 j = 0; j < nrows; j++)
	{
		int64		tid = er[j].title_id;
		double		w = er[j].weight;
		int32		r;

		if (er[j].title_null)
			continue;
		if (er[j].weight_null)
			w = 0.0;
		else if (!isfinite(w))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("events relation of model \"%s\" has a non-finite weight for user " INT64_FORMAT,
							sm->name, user_id)));
		r = nf_title_row(sm, tid);
		if (r < 0)
			continue;			/* not in the catalog: cannot be recommended */
		if (fabs(w) > FLT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("weight of user " INT64_FORMAT " and title " INT64_FORMAT " in the events relation of model \"%s\" is out of range for type real",
							user_id, tid, sm->name),
					 errdetail("The weight is %g; the limit is %g in absolute value.", w, (double) FLT_MAX)));
		ev->rows[ev->n] = r;
		ev->w[ev->n++] = (float) w;
	}
	pfree(er);
	NormalizeEvents(ev);
}

static bool
SameEvents(const UserEvents *a, const UserEvents *b)
{
	if (a->n != b->n)
		return false;
	for (int j = 0; j < a->n; j++)
	{
		float		d = fabsf(a->w[j] - b->w[j]);

		if (a->rows[j] != b->rows[j] ||
			d > 1e-5f * Max(fabsf(a->w[j]), fabsf(b->w[j])))
			return false;
	}
	return true;
}

static void
MarkSeen(ServeModel *sm, const UserEvents *ev)
{
	for (int j = 0; j < ev->n; j++)
		sm->seen[ev->rows[j]] = 1;
}

/* model.h: nf_resolve_user */
UserSource
nf_resolve_user(ServeModel *sm, int64 user_id, float *x, UserEvents *used)
{
	UserEvents tev,
				cev;
	bool		trained = nf_user_training(sm, user_id, x, &tev, CurrentMemoryContext);
	int			positive = 0;

	cev.n = 0;
	if (OidIsValid(sm->events_relid))
		CurrentEvents(sm, user_id, &cev);

	memset(sm->seen, 0, sm->nitems);
	MarkSeen(sm, &tev);
	MarkSeen(sm, &cev);

	if (used)
		*used = (cev.n == 0 || (trained && SameEvents(&tev, &cev))) ? tev : cev;
	if (cev.n == 0 || (trained && SameEvents(&tev, &cev)))
	{
		/* EASE scores from the training titles (none positive: cold) */
		if (trained && sm->kind == NF_MODEL_EASE && nf_ease_user_scores(sm, &tev) == 0)
			return USER_COLD;
		return trained ? USER_TRAINED : USER_COLD;
	}

	for (int j = 0; j < cev.n; j++)
	{
		if (!isfinite(cev.w[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("current events of user " INT64_FORMAT " and title " INT64_FORMAT " sum to a weight out of range for type real",
							user_id, sm->item_ids[cev.rows[j]]),
					 errdetail("Fold-in sums a user's weights per title in real, at most %g in absolute value.",
							   (double) FLT_MAX)));
		if (cev.w[j] > 0.0f)
			positive++;
	}
	if (positive == 0)
		return USER_COLD;
	/* EASE needs no fold-in: the current events are the user's row */
	if (sm->kind == NF_MODEL_EASE)
	{
		nf_ease_user_scores(sm, &cev);
		return USER_FOLDED;
	}

	{
		/* the same objective as training's user step (als.h) */
		double		lambda = sm->lambda * (sm->lambda_per_event ? cev.n : 1);
		int			info = als_solve_exact(sm->factors, sm->Y, sm->factors, sm->G, sm->factors,
										   cev.rows, cev.w, cev.n,
										   sm->alpha, lambda, x, sm->work);

		/* lambda > 0 makes the system positive definite: only rounding fails */
		if (info != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("could not fold in user " INT64_FORMAT ": the system is not positive definite",
							user_id),
					 lambda > 0 ?
					 errdetail("Regularization %g is too small for the scale of the title factors and weights: the solve in double precision lost positive definiteness.", lambda) :
					 errdetail("The model has no regularization, so the system is singular when the user has fewer titles than the model has factors."),
					 errhint("Redeploy the model with a larger regularization.")));
		for (int a = 0; a < sm->factors; a++)
			if (!isfinite(x[a]))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("folded-in vector of user " INT64_FORMAT " is out of range for type real",
								user_id),
						 errhint("Redeploy the model with a larger regularization.")));
	}
	return USER_FOLDED;
}

int
nf_rank_by_vector(ServeModel *sm, const float *x, float cosine_norm, int k,
				  int32 *rows, float *scores)
{
	int			got;

	nf_require_factors(sm, "factors");	/* EASE ranks with nf_rank_scores */

	if (cosine_norm > 0.0f)
	{
		/*
		 * OpenBLAS' sgemv: on a CPU it recognises it beats a hand-written
		 * kernel here (README, "OpenBLAS and the CPU"); on one it does not,
		 * OPENBLAS_CORETYPE restores it.
		 */
		cblas_sgemv(CblasRowMajor, CblasNoTrans, sm->nitems, sm->factors,
					1.0f, sm->Y, sm->factors, x, 1, 0.0f, sm->scores, 1);
		/* cosine against the query vector, whose norm is cosine_norm */
		for (int i = 0; i < sm->nitems; i++)
		{
			float		c = sm->norms[i] > 0.0f ?
				sm->scores[i] / (sm->norms[i] * cosine_norm) : NAN;

			sm->scores[i] = c > 1.0f ? 1.0f : (c < -1.0f ? -1.0f : c);
		}
		got = topk_select(sm->scores, sm->nitems, sm->seen, k, rows);
	}
	else
	{
		/*
		 * Dot products: nfrec's own kernel (topk_scan.c, AVX2 when the CPU
		 * has it), the scores nf_rank_dot ranks by; every score stays in
		 * sm->scores for the caller.
		 */
		float	   *runmax = palloc(sizeof(float) * (sm->nitems / 16 + 1));

		scan_dot_all(sm->Y, sm->nitems, sm->factors, x, sm->scores);
		got = topk_select_bounded(sm->scores, sm->nitems, sm->seen, k, rows, runmax);
		pfree(runmax);
	}
	for (int j = 0; j < got; j++)
		scores[j] = sm->scores[rows[j]];
	return got;
}

/* model.h */
ScanCatalog *
nf_scan_catalog(ServeModel *sm)
{
	nf_require_factors(sm, "factors");
	if (sm->scan == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(sm->mcxt);
		ScanCatalog *c = palloc(sizeof(ScanCatalog));

		scan_catalog_init(c, sm->Y, sm->norms, sm->nitems, sm->factors,
						  MemoryContextAllocHuge(sm->mcxt,
												 scan_catalog_bytes(sm->nitems, sm->factors)));
		sm->scan_work = MemoryContextAllocHuge(sm->mcxt, scan_work_bytes(c));
		sm->scan = c;
		MemoryContextSwitchTo(old);
	}
	return sm->scan;
}

/* model.h */
int
nf_rank_dot(ServeModel *sm, const float *x, int k, int32 *rows, float *scores)
{
	ScanCatalog *cat = nf_scan_catalog(sm);	/* builds sm->scan_work too */

	return scan_topk(cat, x, sm->seen, k, rows, scores, sm->scan_work, NULL);
}

int
nf_rank_popular(ServeModel *sm, int k, int32 *rows, float *scores)
{
	int			got = 0;

	for (int j = 0; j < sm->nitems && got < k; j++)
	{
		int32		r = sm->pop_order[j];

		if (sm->seen[r])
			continue;
		rows[got] = r;
		scores[got++] = sm->counts[r];
	}
	return got;
}

static char *
ModelArg(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * Emit (rank, title_id, score) rows.  Called after SPI_finish: item_ids
 * belong to a cached model, which outlives the SPI connection.
 */
static void
EmitRanking(Tuplestorestate *ts, TupleDesc tupdesc, const int64 *item_ids,
			const int32 *rows, const float *scores, int n)
{
	for (int j = 0; j < n; j++)
	{
		Datum		values[3];
		bool		nulls[3] = {0};

		values[0] = Int32GetDatum(j + 1);
		values[1] = Int64GetDatum(item_ids[rows[j]]);
		values[2] = Float4GetDatum(scores[j]);
		tuplestore_putvalues(ts, tupdesc, values, nulls);
	}
}

/*
 * The candidates argument as a mask over the model's rows: 1 = not a
 * candidate.  NULL elements and ids outside the catalog are ignored,
 * duplicates count once.
 */
static void
MaskCandidates(ServeModel *sm, ArrayType *cand, uint8 *skip)
{
	Datum	   *elems;
	bool	   *nulls;
	int			ne;
	uint8	   *keep = palloc0(sm->nitems);

	if (ARR_NDIM(cand) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("candidates must be a one-dimensional array")));
	deconstruct_array(cand, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &ne);
	for (int j = 0; j < ne; j++)
	{
		int32		r;

		if (nulls[j])
			continue;
		r = nf_title_row(sm, DatumGetInt64(elems[j]));
		if (r >= 0)
			keep[r] = 1;
	}
	for (int i = 0; i < sm->nitems; i++)
		skip[i] |= !keep[i];
	pfree(keep);
}

/* model.h */
double
nf_check_diversity(FunctionCallInfo fcinfo, int argno)
{
	float4		d;

	if (PG_NARGS() <= argno)
		return 0.0;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("diversity must not be null")));
	d = PG_GETARG_FLOAT4(argno);
	if (!(d >= 0.0f && d <= 1.0f))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("diversity must be between 0 and 1"),
				 errdetail("diversity is %g.", (double) d)));
	return d;
}

/*
 * How many of the best titles the diversity re-ranking chooses from: the
 * top DIVERSITY_POOL_FACTOR * n, at least DIVERSITY_POOL_MIN.
 */
#define DIVERSITY_POOL_FACTOR	10
#define DIVERSITY_POOL_MIN		100

/* model.h */
void
nf_user_genre_mix(ServeModel *sm, const TitleMeta *tm, UserSource src,
				  const UserEvents *used, double *p)
{
	if (src != USER_COLD && used->n > 0)
		nf_genre_mix(tm, used->rows, used->w, used->n, p);
	else
	{
		/* cold start: the genre mix of training events (popularity) */
		int32	   *all = palloc(sizeof(int32) * sm->nitems);

		for (int i = 0; i < sm->nitems; i++)
			all[i] = i;
		nf_genre_mix(tm, all, sm->counts, sm->nitems, p);
		pfree(all);
	}
}

PG_FUNCTION_INFO_V1(recommend_for);
Datum
recommend_for(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *ts;
	char	   *mname;
	int			n;
	int64		user_id;
	MemoryContext outer = CurrentMemoryContext;
	ServeModel *sm;
	int32	   *rows;
	float	   *scores;
	int			got;
	ArrayType  *cand = NULL;
	double		diversity;
	TimestampTz at = 0;
	bool		have_at = false;
	char	   *device = NULL;

	/* 0.1.0's declaration has three arguments */
	n = nf_check_n(fcinfo, 1, "n");
	mname = ModelArg(fcinfo, 2);
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
		cand = PG_GETARG_ARRAYTYPE_P(3);
	diversity = nf_check_diversity(fcinfo, 4);
	/* the context (0.2.0): at and device, NULL = unknown */
	if (PG_NARGS() > 6)
	{
		if (!PG_ARGISNULL(5))
		{
			at = PG_GETARG_TIMESTAMPTZ(5);
			if (TIMESTAMP_NOT_FINITE(at))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("at must be finite"),
						 errdetail("The context is the day part of at and the device; NULL leaves either out.")));
			have_at = true;
		}
		if (!PG_ARGISNULL(6))
			device = text_to_cstring(PG_GETARG_TEXT_PP(6));
	}
	ts = nf_begin_srf(fcinfo, &tupdesc);
	if (PG_ARGISNULL(0))
		return (Datum) 0;		/* no user, no recommendations */
	if (cand && ArrayGetNItems(ARR_NDIM(cand), ARR_DIMS(cand)) == 0)
		return (Datum) 0;		/* no candidates */
	user_id = PG_GETARG_INT64(0);

	SPI_connect();
	sm = nf_model_acquire(mname);
	{
		float	   *x = palloc(sizeof(float) * sm->factors);
		UserEvents	used;
		UserSource	src = nf_resolve_user(sm, user_id, x, &used);
		int			k = Min(n, sm->nitems);
		int			pool = k;
		TitleMeta  *tm = NULL;

		bool		context = have_at || device != NULL;

		if (diversity > 0.0)
			tm = nf_title_meta(sm, false);
		/* a context or diversity re-ranks the best titles of a larger pool */
		if (diversity > 0.0 || context)
			pool = Min(Max(k * DIVERSITY_POOL_FACTOR, DIVERSITY_POOL_MIN), sm->nitems);
		if (cand)
			MaskCandidates(sm, cand, sm->seen);
		rows = MemoryContextAlloc(outer, sizeof(int32) * pool);
		scores = MemoryContextAlloc(outer, sizeof(float) * pool);
		if (src == USER_COLD)
		{
			/*
			 * A cold-start score is the share of training users who have
			 * the title: the preference an average user shows, on the same
			 * 0..1 scale as a predicted preference.
			 */
			got = nf_rank_popular(sm, pool, rows, scores);
			for (int j = 0; j < got; j++)
				scores[j] = sm->nusers > 0 ? scores[j] / sm->nusers : 0.0f;
		}
		else if (sm->kind == NF_MODEL_EASE)
			got = nf_rank_scores(sm, context ? pool : k, rows, scores);	/* nf_resolve_user scored */
		else
			got = nf_rank_dot(sm, x, pool, rows, scores);
		if (context && got > 0)
			nf_context_rerank_rows(sm->item_ids, rows, scores, got,
								   have_at ? &at : NULL, device);
		if (tm && got > 0)
		{
			double	   *p = palloc(sizeof(double) * Max(tm->ngenres, 1));

			nf_user_genre_mix(sm, tm, src, &used, p);
			got = nf_calibrate_rows(tm, p, diversity, got, rows, scores, k, sm->counts);
		}
		got = Min(got, k);
		elog(DEBUG1, "nfrec: user " INT64_FORMAT " served by model \"%s\" version " INT64_FORMAT " (%s)",
			 user_id, sm->name, sm->version, user_source_names[src]);
	}
	SPI_finish();

	EmitRanking(ts, tupdesc, sm->item_ids, rows, scores, got);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(similar_titles);
Datum
similar_titles(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *ts;
	char	   *mname;
	int			n;
	int64		title_id;
	MemoryContext outer = CurrentMemoryContext;
	ServeModel *sm;
	int32	   *rows = NULL;
	float	   *scores = NULL;
	int			got = 0;
	int			min_support = 0;

	n = nf_check_n(fcinfo, 1, "n");
	mname = ModelArg(fcinfo, 2);
	/* 0.1.0's declaration has no min_support: every title qualifies */
	if (PG_NARGS() > 3)
	{
		nf_arg_not_null(fcinfo, 3, "min_support");
		min_support = PG_GETARG_INT32(3);
		if (min_support < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("min_support must not be negative"),
					 errdetail("min_support is %d.", min_support)));
	}
	ts = nf_begin_srf(fcinfo, &tupdesc);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	title_id = PG_GETARG_INT64(0);

	SPI_connect();
	sm = nf_model_acquire(mname);
	{
		int32		t = als_find_id(sm->item_ids, sm->nitems, title_id);
		int			k = Min(n, sm->nitems);

		/* an unknown title, or one with a zero vector, has no neighbours */
		if (t >= 0 && (sm->kind == NF_MODEL_EASE || sm->norms[t] > 0.0f))
		{
			bool		known = false;
			bool		blend;

			rows = MemoryContextAlloc(outer, sizeof(int32) * k);
			scores = MemoryContextAlloc(outer, sizeof(float) * k);

			/*
			 * A title watched by a handful of users has factors made mostly
			 * of the prior, and their direction is noise: such titles are
			 * no neighbours (doc/serve.md, "Similar titles").  Factors
			 * imported without events carry no support: no filter then.
			 * The factors' cosine is blended with co-occurrence when the
			 * model has neighbour lists (model_neighbours.c; read before
			 * the scratch is filled, as reading them is an SPI call).
			 */
			blend = sm->kind != NF_MODEL_EASE &&
				nf_cooccurrence_weight() > 0.0 && nf_model_neighbours(sm);

			for (int i = 0; i < sm->nitems && !known; i++)
				known = sm->counts[i] > 0.0f;
			for (int i = 0; i < sm->nitems; i++)
				sm->seen[i] = known && sm->counts[i] < (float) min_support;
			sm->seen[t] = 1;
			if (sm->kind == NF_MODEL_EASE)
				got = nf_ease_similar(sm, t, k, rows, scores);
			else if (blend)
				got = nf_similar_rank(sm, t, nf_cooccurrence_weight(), k, rows, scores);
			else
				got = nf_rank_by_vector(sm, sm->Y + (Size) t * sm->factors, sm->norms[t],
										k, rows, scores);
		}
	}
	SPI_finish();

	EmitRanking(ts, tupdesc, sm->item_ids, rows, scores, got);
	return (Datum) 0;
}

bool
nf_model_neighbours(ServeModel *sm)
{
	RegistryUser caller;
	bool		found;

	if (sm->nb_state != 0)
		return sm->nb_state == 2;
	RegistryUserBegin(&caller);
	found = nf_neighbours_load(sm);
	RegistryUserEnd(&caller);
	return found;
}

PG_FUNCTION_INFO_V1(user_vector);
Datum
user_vector(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {0};
	char	   *mname = ModelArg(fcinfo, 1);
	int64		user_id;
	MemoryContext outer = CurrentMemoryContext;
	UserSource	src;
	ArrayType  *vec = NULL;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	user_id = PG_GETARG_INT64(0);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	SPI_connect();
	{
		ServeModel *sm = nf_model_acquire(mname);
		float	   *x = palloc(sizeof(float) * sm->factors);

		nf_require_factors(sm, "user vectors");
		src = nf_resolve_user(sm, user_id, x, NULL);
		if (src != USER_COLD)
		{
			MemoryContext old = MemoryContextSwitchTo(outer);

			vec = nf_float4_array(x, sm->factors);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();

	values[0] = CStringGetTextDatum(user_source_names[src]);
	values[1] = PointerGetDatum(vec);
	nulls[1] = (vec == NULL);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(item_factors);
Datum
item_factors(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *ts = nf_begin_srf(fcinfo, &tupdesc);
	char	   *mname = ModelArg(fcinfo, 0);
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext rowcxt = AllocSetContextCreate(outer, "nfrec item rows",
												 ALLOCSET_DEFAULT_SIZES);

	SPI_connect();
	{
		ServeModel *sm = nf_model_acquire(mname);

		nf_require_factors(sm, "title factors");
		for (int i = 0; i < sm->nitems; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(rowcxt);
			Datum		values[2];
			bool		nulls[2] = {0};

			values[0] = Int64GetDatum(sm->item_ids[i]);
			values[1] = PointerGetDatum(nf_float4_array(sm->Y + (Size) i * sm->factors,
														sm->factors));
			tuplestore_putvalues(ts, tupdesc, values, nulls);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
			if ((i & 4095) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	}
	SPI_finish();
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(model_version);
Datum
model_version(PG_FUNCTION_ARGS)
{
	char	   *mname = ModelArg(fcinfo, 0);
	ModelRef	ref;

	SPI_connect();
	LookupModel(mname, &ref);
	SPI_finish();
	PG_RETURN_INT64(ref.version);
}
