/*
 * pgutil.c -- small helpers shared by the SQL glue files.
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "pgutil.h"

int
nf_vector_array(ArrayType *a, Oid elemtype, const char *what, void **data)
{
	int			n;

	if (ARR_ELEMTYPE(a) != elemtype)
		elog(ERROR, "unexpected array element type %u", ARR_ELEMTYPE(a));
	if (ARR_NDIM(a) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what)));
	if (ARR_NDIM(a) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what),
				 errdetail("The array has %d dimensions.", ARR_NDIM(a))));
	nf_array_no_nulls(a, what);
	n = ARR_DIMS(a)[0];
	*data = ARR_DATA_PTR(a);
	return n;
}

/*
 * A one- or two-dimensional array of a fixed-width, pass-by-value-or-not
 * element type, copied from a plain C array; no elements gives the empty
 * array.  dims[] has ndim entries; lower bounds are 1.
 */
static ArrayType *
PlainArray(const void *v, Oid elemtype, Size elemsize, int ndim, const int *dims)
{
	ArrayType  *r;
	Size		nelems = 1,
				nbytes;

	for (int d = 0; d < ndim; d++)
		nelems *= (Size) dims[d];
	if (nelems == 0)
		return construct_empty_array(elemtype);
	nbytes = ARR_OVERHEAD_NONULLS(ndim) + elemsize * nelems;
	if (nbytes > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("array of %zu elements is too large", nelems)));
	r = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(r, nbytes);
	r->ndim = ndim;
	r->dataoffset = 0;
	r->elemtype = elemtype;
	for (int d = 0; d < ndim; d++)
	{
		ARR_DIMS(r)[d] = dims[d];
		ARR_LBOUND(r)[d] = 1;
	}
	memcpy(ARR_DATA_PTR(r), v, elemsize * nelems);
	return r;
}

ArrayType *
nf_float4_array(const float *v, int n)
{
	return PlainArray(v, FLOAT4OID, sizeof(float4), 1, &n);
}

ArrayType *
nf_float8_array(const double *v, int n)
{
	return PlainArray(v, FLOAT8OID, sizeof(float8), 1, &n);
}

ArrayType *
nf_int8_array(const int64 *v, int n)
{
	return PlainArray(v, INT8OID, sizeof(int64), 1, &n);
}

ArrayType *
nf_float4_matrix(const float *v, int rows, int cols)
{
	int			dims[2] = {rows, cols};

	return PlainArray(v, FLOAT4OID, sizeof(float4), 2, dims);
}

ArrayType *
nf_float8_matrix(const double *v, int rows, int cols)
{
	int			dims[2] = {rows, cols};

	return PlainArray(v, FLOAT8OID, sizeof(float8), 2, dims);
}

char *
nf_excerpt(const char *s, int len, int maxchars)
{
	int			keep = pg_mbcharcliplen(s, len, maxchars);

	if (keep >= len)
		return pnstrdup(s, len);
	return psprintf("%s...", pnstrdup(s, keep));
}

/* ---- arguments ---------------------------------------------------------- */

void
nf_arg_not_null(FunctionCallInfo fcinfo, int argno, const char *what)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
}

void
nf_check_count(int64 n, const char *what)
{
	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at least 1, not " INT64_FORMAT, what, n)));
}

int
nf_check_n(FunctionCallInfo fcinfo, int argno, const char *what)
{
	int			n;

	nf_arg_not_null(fcinfo, argno, what);
	n = PG_GETARG_INT32(argno);
	nf_check_count(n, what);
	return n;
}

void
nf_array_no_nulls(ArrayType *a, const char *what)
{
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain null elements", what)));
}

/* ---- set-returning functions -------------------------------------------- */

Tuplestorestate *
nf_begin_srf(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

#if PG_VERSION_NUM >= 150000
	InitMaterializedSRF(fcinfo, 0);
#else
	MemoryContext old;
	TupleDesc	td;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rsinfo->setDesc = CreateTupleDescCopy(td);
	rsinfo->setResult = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
											  false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	MemoryContextSwitchTo(old);
#endif
	*tupdesc = rsinfo->setDesc;
	return rsinfo->setResult;
}

/* ---- options ------------------------------------------------------------ */

static char *
OptionNames(const NfOption *table, int ntable)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < ntable; i++)
		appendStringInfo(&s, "%s%s", i > 0 ? ", " : "", table[i].name);
	return s.data;
}

/* What a valid value of the option is, for the error message. */
static char *
OptionWants(const NfOption *o)
{
	StringInfoData s;

	initStringInfo(&s);
	switch (o->type)
	{
		case NF_OPT_INT32:
		case NF_OPT_INT64:
			if (o->type == NF_OPT_INT64 && o->min == o->max)
				appendStringInfoString(&s, "an integer");
			else
				appendStringInfo(&s, "an integer between %.0f and %.0f", o->min, o->max);
			break;
		case NF_OPT_REAL:
			appendStringInfo(&s, "a number %s %g", o->min_open ? "greater than" : "at least",
							 o->min);
			if (o->max < 1e300)
				appendStringInfo(&s, " and at most %g", o->max);
			break;
		case NF_OPT_BOOL:
			appendStringInfoString(&s, "true or false");
			break;
		case NF_OPT_CHOICE:
			for (int c = 0; o->choices[c]; c++)
				appendStringInfo(&s, "%s\"%s\"",
								 c == 0 ? "" : (o->choices[c + 1] ? ", " : " or "),
								 o->choices[c]);
			break;
	}
	return s.data;
}

static void BadOption(const char *funcname, const char *key, const NfOption *o) pg_attribute_noreturn();

static void
BadOption(const char *funcname, const char *key, const NfOption *o)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s option \"%s\" must be %s", funcname, key, OptionWants(o))));
}

/* Store the value v of option o at target, or ERROR. */
static void
SetOption(const char *funcname, const char *key, const NfOption *o,
		  JsonbValue *v, char *target)
{
	char	   *s,
			   *end;

	if (o->type == NF_OPT_BOOL)
	{
		if (v->type != jbvBool)
			BadOption(funcname, key, o);
		*(bool *) (target + o->offset) = v->val.boolean;
		return;
	}
	if (o->type == NF_OPT_CHOICE)
	{
		if (v->type == jbvString)
			for (int c = 0; o->choices[c]; c++)
				if (strlen(o->choices[c]) == (size_t) v->val.string.len &&
					memcmp(o->choices[c], v->val.string.val, v->val.string.len) == 0)
				{
					*(int *) (target + o->offset) = c;
					return;
				}
		BadOption(funcname, key, o);
	}
	if (v->type != jbvNumeric)
		BadOption(funcname, key, o);
	/* the number as text without trailing zeros: 1e3 and 1000.0 are 1000 */
	s = numeric_normalize(v->val.numeric);
	errno = 0;
	if (o->type == NF_OPT_REAL)
	{
		double		x = strtod(s, &end);

		if (*end != '\0' || end == s || !isfinite(x) ||
			(o->min_open ? !(x > o->min) : !(x >= o->min)) ||
			(o->max < 1e300 && !(x <= o->max)))
			BadOption(funcname, key, o);
		*(double *) (target + o->offset) = x;
	}
	else
	{
		long long	x = strtoll(s, &end, 10);

		if (errno != 0 || *end != '\0' || end == s ||
			((o->type == NF_OPT_INT32 || o->min != o->max) &&
			 ((double) x < o->min || (double) x > o->max)))
			BadOption(funcname, key, o);
		if (o->type == NF_OPT_INT32)
			*(int *) (target + o->offset) = (int) x;
		else
			*(int64 *) (target + o->offset) = (int64) x;
	}
}

void
nf_parse_options(Jsonb *opts, const char *funcname,
				 const NfOption *table, int ntable, void *target)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (!JB_ROOT_IS_OBJECT(opts) || JB_ROOT_IS_SCALAR(opts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s options must be a JSON object", funcname),
				 errhint("Valid options are: %s.", OptionNames(table, ntable))));

	it = JsonbIteratorInit(&opts->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		const NfOption *o = NULL;
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		/* the key as it may appear in a message: a few characters at most */
		key = nf_excerpt(v.val.string.val, v.val.string.len, NF_EXCERPT_CHARS);
		for (int i = 0; i < ntable; i++)
			if (strlen(table[i].name) == (size_t) v.val.string.len &&
				memcmp(table[i].name, v.val.string.val, v.val.string.len) == 0)
				o = &table[i];
		if (o == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized %s option \"%s\"", funcname, key),
					 errhint("Valid options are: %s.", OptionNames(table, ntable))));
		tok = JsonbIteratorNext(&it, &v, true);
		Assert(tok == WJB_VALUE);
		if (v.type != jbvNull)
			SetOption(funcname, key, o, &v, (char *) target);
	}
}

void
nf_options_differ(const char *funcname)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s options must be the same in every row", funcname)));
}

/* pgutil.h */
AttrNumber
nf_attnum(Relation rel, const char *col)
{
	TupleDesc	td = RelationGetDescr(rel);

	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), col) == 0)
			return a->attnum;
	}
	return InvalidAttrNumber;
}

/* pgutil.h */
int
nf_first_row_value(Oid relid, const char *col, Datum *value, bool *isnull)
{
	Relation	rel = table_open(relid, AccessShareLock);
	AttrNumber	att = nf_attnum(rel, col);
	TableScanDesc scan;
	TupleTableSlot *slot;
	int			result = 0;

	*value = (Datum) 0;
	*isnull = true;
	if (att == InvalidAttrNumber)
	{
		table_close(rel, AccessShareLock);
		return -1;
	}
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	if (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		Form_pg_attribute a = TupleDescAttr(RelationGetDescr(rel), att - 1);
		Datum		d = slot_getattr(slot, att, isnull);

		if (!*isnull)
			*value = datumCopy(d, a->attbyval, a->attlen);
		result = 1;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
	return result;
}

/* pgutil.h */
bool
nf_fit_version(const char *relname, int64 *version)
{
	Oid			relid = get_relname_relid(relname, get_namespace_oid("nfrec", false));
	AclResult	acl;
	Datum		d;
	bool		isnull;
	int			found;

	*version = -1;
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"nfrec.%s\" does not exist", relname)));
	acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, relname);
	found = nf_first_row_value(relid, "version", &d, &isnull);
	if (found < 0)
		elog(ERROR, "nfrec.%s has no column version", relname);
	if (found && !isnull)
		*version = DatumGetInt64(d);
	return found == 1;
}

SPIPlanPtr
nf_keep_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *argtypes)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql, nargs, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*slot = p;
	}
	return *slot;
}

/*
 * pgutil.h.  Is relid in Citus' pg_dist_partition (distributed, reference
 * or Citus local table)?  Its rows are wherever Citus keeps them -- on the
 * coordinator the table itself is an empty shell and Citus' planner
 * routes the query to the shards -- so only a query reads them, and only
 * SQL that Citus accepts.  A shard (a plain table on a worker) is not.
 * Citus sends a relcache invalidation of the table when its metadata
 * changes, so callers may keep the answer with other relcache-keyed state.
 */
bool
nf_citus_table(Oid relid)
{
	Oid			dist = get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE);
	Relation	rel;
	AttrNumber	att;
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	if (!OidIsValid(dist))
		return false;
	rel = table_open(dist, AccessShareLock);
	att = nf_attnum(rel, "logicalrelid");
	if (att == InvalidAttrNumber)
	{
		table_close(rel, AccessShareLock);
		return true;			/* an unknown layout: let the query decide */
	}
	ScanKeyInit(&key, att, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

