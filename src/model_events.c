/*
 * model_events.c -- a user's rows of a model's bound events relation read
 * without the executor (glue: PostgreSQL calls).  See model_events.h.
 *
 * Why: serving reads the caller's current events on every call
 *     SELECT (title_id)::int8, (weight)::float8 FROM rel WHERE user_id = $1
 * and through SPI that query costs a plan-cache check, executor start-up
 * and shut-down and a tuple table: about a seventh of a recommend_for call
 * on the 15,000-title bench (doc/serve.md, "Speed").  When the relation is
 * a plain heap table with a valid, non-partial btree index whose first
 * column is user_id (bigint), the same rows are one index scan away.
 * The homepage reads a user's plays of viewing_events the same way
 * (nf_plays_direct: its query, its columns started_at, watch_pct, country
 * and event_type; 7 % of a page through SPI, 3 % so).
 *
 * When the direct read gives exactly the query's rows, and when it does
 * not apply (the caller then runs the query):
 * - rights: the query runs as the current user (GetUserId(), as the
 *   executor checks them): SELECT on the table, or on each of user_id,
 *   title_id and weight.  Anything less, and the query reports it.  With
 *   an ExecutorCheckPerms_hook loaded (sepgsql ...) the query always runs.
 * - row-level security: only when check_enable_rls says RLS_NONE (no
 *   policies on the table for anyone); RLS_NONE_ENV and RLS_ENABLED run
 *   the query.
 * - relation kind: a plain table (RELKIND_RELATION) of the heap access
 *   method without inheritance children (relhassubclass: the query would
 *   read the children too) that Citus does not distribute (nf_citus_table);
 *   views, partitioned and foreign tables, materialized views run the
 *   query.
 * - columns: user_id bigint; title_id bigint, integer or smallint;
 *   weight (the plays: watch_pct) real, double precision, integer or
 *   smallint -- the casts of the query are then exact and done here the
 *   same way; the plays also started_at timestamptz, country text or
 *   varchar, event_type text or varchar of a deterministic collation (so
 *   event_type = 'play' is a comparison of bytes).  Other types run the
 *   query.
 * - the index: btree, valid, no predicate, first key column user_id with
 *   the integer_ops opclass for bigint (so the scan key is the query's
 *   int8 = int8); the planner's indcheckxmin rule (an index built over
 *   broken HOT chains is not used by snapshots older than it) is applied
 *   the same way.
 * - rows: the active snapshot (the one the read-only SPI query uses),
 *   index_getnext_slot follows HOT chains and takes the same predicate
 *   locks as an executor index scan; user_id is re-checked on each row.
 * The order of rows may differ from the query's plan; serving's use is
 * order-independent (model.c, NormalizeEvents).
 *
 * The index chosen for a relation, the column numbers and types are kept
 * per backend and dropped on any relcache invalidation of the relation
 * (ALTER TABLE, CREATE/DROP INDEX, REINDEX, index validity changes all
 * send one); the rights and row-level security are checked on every call.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "model_events.h"
#include "pgutil.h"

bool		nf_events_direct_enabled = true;

void
nf_events_init(void)
{
	DefineCustomBoolVariable("nfrec.events_direct",
							 "Lets serving read a user's rows of a bound events relation through its user_id index without the executor.",
							 "Only where the rows are exactly the query's (plain table, no row-level security, SELECT granted); off runs the query always.",
							 &nf_events_direct_enabled,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
}

/* The two reads: a model's events (weights), the homepage's plays. */
typedef enum EventsKind
{
	EVENTS_WEIGHTS,
	EVENTS_PLAYS
} EventsKind;

/*
 * What a relation allows for one kind of read, kept until its next
 * relcache invalidation.  For EVENTS_PLAYS a_weight is watch_pct.
 */
typedef struct EventsRel
{
	Oid			relid;			/* InvalidOid: free slot */
	EventsKind	kind;
	Oid			indexid;		/* InvalidOid: no direct read */
	AttrNumber	a_user;
	AttrNumber	a_title;
	AttrNumber	a_weight;
	AttrNumber	a_started;		/* EVENTS_PLAYS: started_at, country, */
	AttrNumber	a_country;		/* event_type */
	AttrNumber	a_type;
	AttrNumber	a_max;			/* the largest of the columns read */
	Oid			title_type;
	Oid			weight_type;
	const char *why;			/* when indexid is invalid: for DEBUG1 */
} EventsRel;

#define EVENTS_RELS 8

static EventsRel events_rels[EVENTS_RELS];
static int	events_rels_next = 0;
static bool callback_registered = false;

static void
EventsRelInval(Datum arg, Oid relid)
{
	for (int i = 0; i < EVENTS_RELS; i++)
		if (!OidIsValid(relid) || events_rels[i].relid == relid)
			events_rels[i].relid = InvalidOid;
}

/*
 * Is idx the btree on (user_id bigint, ...) the direct read scans?  *wait
 * is set when it is one but this snapshot may not use it yet.
 */
static bool
UsableIndex(Relation idx, Oid relid, AttrNumber a_user, bool *wait)
{
	Form_pg_index ix = idx->rd_index;

	*wait = false;
	if (ix == NULL || ix->indrelid != relid || !ix->indisvalid || ix->indnkeyatts < 1 ||
		ix->indkey.values[0] != a_user || idx->rd_rel->relam != BTREE_AM_OID ||
		idx->rd_opfamily[0] != INTEGER_BTREE_FAM_OID || idx->rd_opcintype[0] != INT8OID ||
		!heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL))
		return false;
	/* the planner's rule: an index over broken HOT chains waits for old snapshots */
	if (ix->indcheckxmin &&
		!TransactionIdPrecedes(HeapTupleHeaderGetXmin(idx->rd_indextuple->t_data),
							   TransactionXmin))
	{
		*wait = true;
		return false;
	}
	return true;
}

/* Is the column of type text or varchar (texteq's operands) of a deterministic collation? */
static bool
PlainText(TupleDesc td, AttrNumber a)
{
	Form_pg_attribute att = TupleDescAttr(td, a - 1);

	return (att->atttypid == TEXTOID || att->atttypid == VARCHAROID) &&
		OidIsValid(att->attcollation) && get_collation_isdeterministic(att->attcollation);
}

/*
 * Fill e for rel (opened, locked): columns, types and the index.  Returns
 * false when the answer may change without an invalidation (an index this
 * snapshot may not use yet): then e must not be kept.
 */
static bool
DescribeRel(Relation rel, EventsKind kind, EventsRel *e)
{
	TupleDesc	td = RelationGetDescr(rel);
	List	   *indexes;
	ListCell   *lc;
	bool		keep = true;

	e->relid = RelationGetRelid(rel);
	e->kind = kind;
	e->indexid = InvalidOid;
	e->why = NULL;
	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relam != HEAP_TABLE_AM_OID)
	{
		e->why = "not a plain heap table";
		return true;
	}
	if (rel->rd_rel->relhassubclass)
	{
		e->why = "it has inheritance children";
		return true;
	}
	if (nf_citus_table(e->relid))
	{
		e->why = "it is a Citus table";
		return true;
	}
	e->a_user = nf_attnum(rel, "user_id");
	e->a_title = nf_attnum(rel, "title_id");
	e->a_weight = nf_attnum(rel, kind == EVENTS_PLAYS ? "watch_pct" : "weight");
	e->a_started = e->a_country = e->a_type = InvalidAttrNumber;
	if (kind == EVENTS_PLAYS)
	{
		e->a_started = nf_attnum(rel, "started_at");
		e->a_country = nf_attnum(rel, "country");
		e->a_type = nf_attnum(rel, "event_type");
	}
	if (e->a_user == InvalidAttrNumber || e->a_title == InvalidAttrNumber ||
		e->a_weight == InvalidAttrNumber ||
		(kind == EVENTS_PLAYS && (e->a_started == InvalidAttrNumber ||
								  e->a_country == InvalidAttrNumber ||
								  e->a_type == InvalidAttrNumber)))
	{
		e->why = "a column is missing";
		return true;
	}
	e->a_max = Max(Max(e->a_user, e->a_title), Max(e->a_weight, Max(e->a_started,
																	   Max(e->a_country, e->a_type))));
	e->title_type = TupleDescAttr(td, e->a_title - 1)->atttypid;
	e->weight_type = TupleDescAttr(td, e->a_weight - 1)->atttypid;
	if (TupleDescAttr(td, e->a_user - 1)->atttypid != INT8OID ||
		(e->title_type != INT8OID && e->title_type != INT4OID && e->title_type != INT2OID) ||
		(e->weight_type != FLOAT4OID && e->weight_type != FLOAT8OID &&
		 e->weight_type != INT4OID && e->weight_type != INT2OID))
	{
		e->why = "a column has another type";
		return true;
	}

	/*
	 * the plays' query: started_at as it is (a timestamp would be cast in
	 * the session's time zone), country::text a relabelling (text or
	 * varchar), event_type = 'play' texteq, i.e. the same bytes, under the
	 * column's collation when it is deterministic
	 */
	if (kind == EVENTS_PLAYS &&
		(TupleDescAttr(td, e->a_started - 1)->atttypid != TIMESTAMPTZOID ||
		 (TupleDescAttr(td, e->a_country - 1)->atttypid != TEXTOID &&
		  TupleDescAttr(td, e->a_country - 1)->atttypid != VARCHAROID) ||
		 !PlainText(td, e->a_type)))
	{
		e->why = "a column has another type or a nondeterministic collation";
		return true;
	}
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		/* locks kept to the end of the transaction, as the planner does */
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);
		bool		wait;
		bool		ok = UsableIndex(idx, e->relid, e->a_user, &wait);

		index_close(idx, NoLock);
		if (wait)
			keep = false;
		if (ok)
		{
			e->indexid = lfirst_oid(lc);
			break;
		}
	}
	list_free(indexes);
	if (!OidIsValid(e->indexid))
		e->why = keep ? "no valid btree index on user_id" :
			"the index on user_id is too new for this snapshot";
	return keep;
}

static EventsRel *
LookupRel(Relation rel, EventsKind kind)
{
	Oid			relid = RelationGetRelid(rel);
	EventsRel  *e;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(EventsRelInval, (Datum) 0);
		callback_registered = true;
	}
	for (int i = 0; i < EVENTS_RELS; i++)
		if (events_rels[i].relid == relid && events_rels[i].kind == kind)
			return &events_rels[i];
	e = &events_rels[events_rels_next];
	events_rels_next = (events_rels_next + 1) % EVENTS_RELS;
	if (!DescribeRel(rel, kind, e))
		e->relid = InvalidOid;	/* described, not kept */
	return e;
}

/* May the current user read the columns, as the executor checks it? */
static bool
CanSelect(Oid relid, const EventsRel *e)
{
	Oid			user = GetUserId();

	if (pg_class_aclcheck(relid, user, ACL_SELECT) == ACLCHECK_OK)
		return true;
	if (pg_attribute_aclcheck(relid, e->a_user, user, ACL_SELECT) != ACLCHECK_OK ||
		pg_attribute_aclcheck(relid, e->a_title, user, ACL_SELECT) != ACLCHECK_OK ||
		pg_attribute_aclcheck(relid, e->a_weight, user, ACL_SELECT) != ACLCHECK_OK)
		return false;
	return e->kind != EVENTS_PLAYS ||
		(pg_attribute_aclcheck(relid, e->a_started, user, ACL_SELECT) == ACLCHECK_OK &&
		 pg_attribute_aclcheck(relid, e->a_country, user, ACL_SELECT) == ACLCHECK_OK &&
		 pg_attribute_aclcheck(relid, e->a_type, user, ACL_SELECT) == ACLCHECK_OK);
}

static inline int64
TitleValue(Datum d, Oid type)
{
	if (type == INT8OID)
		return DatumGetInt64(d);
	if (type == INT4OID)
		return (int64) DatumGetInt32(d);
	return (int64) DatumGetInt16(d);
}

/* the casts to float8 of float4 (float4_float8), int4 (i4tod), int2 (i2tod) */
static inline double
WeightValue(Datum d, Oid type)
{
	if (type == FLOAT8OID)
		return DatumGetFloat8(d);
	if (type == FLOAT4OID)
		return (double) DatumGetFloat4(d);
	if (type == INT4OID)
		return (double) DatumGetInt32(d);
	return (double) DatumGetInt16(d);
}

/*
 * Open relid and its user_id index for a direct read of this kind, or
 * return false (nothing left open; a DEBUG1 line says why) when the read
 * does not apply.  *e gets a copy of the relation's description.
 */
static bool
OpenDirect(Oid relid, EventsKind kind, int64 user_id, EventsRel *e, Relation *relp,
		   Relation *idxp)
{
	Relation	rel,
				idx;
	const char *why = NULL;
	bool		wait;

	if (!nf_events_direct_enabled)
		return false;
	if (ExecutorCheckPerms_hook != NULL)
	{
		elog(DEBUG1, "nfrec: events of user " INT64_FORMAT " read by query: a permission hook is loaded",
			 user_id);
		return false;
	}
	/*
	 * A relation that is gone: the query says so in its own words.  Locks
	 * are kept to the end of the transaction, as the executor keeps them.
	 */
	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		return false;
	/* a copy: invalidations while locking below may reset the entry */
	*e = *LookupRel(rel, kind);
	if (!OidIsValid(e->indexid))
		why = e->why;
	else if (!CanSelect(relid, e))
		why = "the current user lacks SELECT";
	else if (check_enable_rls(relid, InvalidOid, true) != RLS_NONE)
		why = "row-level security is enabled";
	if (why != NULL)
	{
		relation_close(rel, NoLock);
		elog(DEBUG1, "nfrec: events of user " INT64_FORMAT " read by query: %s", user_id, why);
		return false;
	}
	idx = try_relation_open(e->indexid, AccessShareLock);
	if (idx == NULL || idx->rd_rel->relkind != RELKIND_INDEX ||
		!UsableIndex(idx, relid, e->a_user, &wait))
	{
		/* gone, or not usable by this snapshot yet (indcheckxmin): ask again */
		if (idx)
			relation_close(idx, NoLock);
		relation_close(rel, NoLock);
		EventsRelInval((Datum) 0, relid);
		elog(DEBUG1, "nfrec: events of user " INT64_FORMAT " read by query: the index is not usable",
			 user_id);
		return false;
	}
	*relp = rel;
	*idxp = idx;
	return true;
}

/* one user's rows of an events relation through its user_id index */
typedef struct DirectScan
{
	EventsRel	e;
	Relation	rel,
				idx;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	ScanKeyData key;
} DirectScan;

static bool
DirectBegin(Oid relid, EventsKind kind, int64 user_id, DirectScan *ds)
{
	if (!OpenDirect(relid, kind, user_id, &ds->e, &ds->rel, &ds->idx))
		return false;
	ScanKeyInit(&ds->key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(user_id));
	ds->slot = table_slot_create(ds->rel, NULL);
	ds->scan = index_beginscan(ds->rel, ds->idx, GetActiveSnapshot(), 1, 0);
	index_rescan(ds->scan, &ds->key, 1, NULL, 0);
	return true;
}

/*
 * End the scan and hand over its n rows of *what* in out (n < 0: the
 * direct read gave up, out is freed); returns n.
 */
static int64
DirectEnd(DirectScan *ds, void *out, int64 n, void **rows, int64 user_id, const char *what)
{
	index_endscan(ds->scan);
	ExecDropSingleTupleTableSlot(ds->slot);
	relation_close(ds->idx, NoLock);
	relation_close(ds->rel, NoLock);
	if (n < 0)
	{
		pfree(out);
		return -1;
	}
	elog(DEBUG1, "nfrec: %s of user " INT64_FORMAT " read through index \"%s\": " INT64_FORMAT " rows",
		 what, user_id, get_rel_name(ds->e.indexid), n);
	*rows = out;
	return n;
}

/*
 * Room for row n in *out (*cap rows of width bytes), doubling it; false
 * for a user with tens of millions of rows (then the query decides).
 */
static bool
DirectRoom(void **out, int64 n, int64 *cap, Size width)
{
	if (n < *cap)
		return true;
	if ((Size) *cap * 2 * width > MaxAllocSize)
		return false;
	*cap *= 2;
	*out = repalloc(*out, width * *cap);
	return true;
}

/* model_events.h */
int64
nf_events_direct(Oid relid, int64 user_id, NfEventRow **rows)
{
	DirectScan	ds;
	NfEventRow *out;
	int64		n = 0,
				cap = 64;

	if (!DirectBegin(relid, EVENTS_WEIGHTS, user_id, &ds))
		return -1;
	out = palloc(sizeof(NfEventRow) * cap);
	while (index_getnext_slot(ds.scan, ForwardScanDirection, ds.slot))
	{
		bool		isnull;
		Datum		d;

		CHECK_FOR_INTERRUPTS();
		d = slot_getattr(ds.slot, ds.e.a_user, &isnull);
		if (isnull || DatumGetInt64(d) != user_id)
			continue;
		if (!DirectRoom((void **) &out, n, &cap, sizeof(NfEventRow)))
		{
			n = -1;
			break;
		}
		d = slot_getattr(ds.slot, ds.e.a_title, &out[n].title_null);
		out[n].title_id = out[n].title_null ? 0 : TitleValue(d, ds.e.title_type);
		d = slot_getattr(ds.slot, ds.e.a_weight, &out[n].weight_null);
		out[n].weight = out[n].weight_null ? 0.0 : WeightValue(d, ds.e.weight_type);
		n++;
	}
	return DirectEnd(&ds, out, n, (void **) rows, user_id, "events");
}

/* model_events.h */
int64
nf_plays_direct(Oid relid, int64 user_id, NfPlayRow **rows)
{
	DirectScan	ds;
	const EventsRel *e = &ds.e;
	NfPlayRow  *out;
	int64		n = 0,
				cap = 64;

	if (!DirectBegin(relid, EVENTS_PLAYS, user_id, &ds))
		return -1;
	out = palloc(sizeof(NfPlayRow) * cap);
	while (index_getnext_slot(ds.scan, ForwardScanDirection, ds.slot))
	{
		Datum	   *v;
		bool	   *nulls;
		text	   *type;

		CHECK_FOR_INTERRUPTS();
		slot_getsomeattrs(ds.slot, e->a_max);
		v = ds.slot->tts_values;
		nulls = ds.slot->tts_isnull;
		if (nulls[e->a_user - 1] || DatumGetInt64(v[e->a_user - 1]) != user_id)
			continue;
		/* WHERE event_type = 'play' AND title_id IS NOT NULL */
		if (nulls[e->a_type - 1] || nulls[e->a_title - 1])
			continue;
		type = DatumGetTextPP(v[e->a_type - 1]);
		if (VARSIZE_ANY_EXHDR(type) != 4 || memcmp(VARDATA_ANY(type), "play", 4) != 0)
			continue;
		if (!DirectRoom((void **) &out, n, &cap, sizeof(NfPlayRow)))
		{
			n = -1;
			break;
		}
		out[n].title_id = TitleValue(v[e->a_title - 1], e->title_type);
		out[n].pct_null = nulls[e->a_weight - 1];
		out[n].pct = out[n].pct_null ? 0.0 : WeightValue(v[e->a_weight - 1], e->weight_type);
		out[n].started_null = nulls[e->a_started - 1];
		out[n].started_at = out[n].started_null ? 0 : DatumGetTimestampTz(v[e->a_started - 1]);
		out[n].country = nulls[e->a_country - 1] ? NULL : TextDatumGetCString(v[e->a_country - 1]);
		n++;
	}
	return DirectEnd(&ds, out, n, (void **) rows, user_id, "plays");
}
