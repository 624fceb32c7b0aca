/*
 * homepage_dist.c -- the inputs of nfrec.homepage on a Citus node
 * (doc/scale.md, "Distributed serving").  Glue, no numerical code.
 *
 * Inside a query pushed down to a shard (a LATERAL batch over a table
 * colocated with the events) or a delegated call of the distributed
 * function, every relation homepage reads must be a plain table of the
 * node: a query on a Citus table there would be a distributed query nested
 * in one, which Citus refuses.  So
 *   - the user's plays come from the shard of viewing_events that holds
 *     the user, when it is placed on this node, and content_metadata (a
 *     reference table) from its placement on this node
 *     (nf_citus_local_table, which serving's events read uses too);
 *   - trending, which sums the plays of every user, cannot be computed on
 *     a shard: on a worker it is read from nfrec.dist_trending, the
 *     figures that nfrec.distribute_trending computed on the coordinator
 *     and copied to every worker (nf_hp_copied_trending).
 * Only Citus' metadata is read (pg_dist_partition, pg_dist_shard,
 * pg_dist_local_group, shard_name, get_shard_id_for_distribution_column),
 * which Citus keeps on every node.  Without Citus nothing changes: the
 * catalog has no pg_dist_partition and every function returns at once.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "homepage_dist.h"
#include "pgutil.h"

static bool
HaveCitus(void)
{
	return OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)) &&
		OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)) &&
		OidIsValid(get_relname_relid("pg_dist_local_group", PG_CATALOG_NAMESPACE));
}

/* The first column of the first row of a kept plan's result (NULL: none). */
static bool
FirstValue(SPIPlanPtr plan, Datum *args, Datum *value)
{
	bool		isnull = true;

	if (SPI_execute_plan(plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the Citus metadata");
	if (SPI_processed == 1)
		*value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	SPI_freetuptable(SPI_tuptable);
	return !isnull;
}

Oid
nf_citus_local_table(Oid relid, int64 user_id, bool reference)
{
	static SPIPlanPtr plan = NULL;
	Datum		args[3];
	Datum		d;

	if (!HaveCitus())
		return relid;
	args[0] = ObjectIdGetDatum(relid);
	args[1] = Int64GetDatum(user_id);
	args[2] = BoolGetDatum(reference);
	if (!FirstValue(nf_keep_plan(&plan,
						 "SELECT pg_catalog.to_regclass(pg_catalog.shard_name(p.logicalrelid,"
						 " CASE WHEN p.partmethod OPERATOR(pg_catalog.=) 'h'"
						 "  THEN pg_catalog.get_shard_id_for_distribution_column(p.logicalrelid, $2)"
						 "  ELSE (SELECT pg_catalog.min(s.shardid) FROM pg_catalog.pg_dist_shard s"
						 "         WHERE s.logicalrelid OPERATOR(pg_catalog.=) p.logicalrelid) END))::pg_catalog.oid"
						 " FROM pg_catalog.pg_dist_partition p"
						 " WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
						 "   AND ((p.repmodel OPERATOR(pg_catalog.=) 't' AND $3)"
						 "        OR (p.partmethod OPERATOR(pg_catalog.=) 'h'"
						 "            AND pg_catalog.column_to_column_name(p.logicalrelid, p.partkey)"
						 "                OPERATOR(pg_catalog.=) 'user_id'))",
						 3, (Oid[]) {OIDOID, INT8OID, BOOLOID}),
					args, &d))
		return relid;
	return DatumGetObjectId(d);
}

bool
nf_hp_copied_trending(Oid events_relid, TimestampTz window_end)
{
	static SPIPlanPtr plan_where = NULL;
	static SPIPlanPtr plan_rows = NULL;
	Oid			nsp = get_namespace_oid("nfrec", true);
	Datum		args[2];
	Datum		d;
	char	   *relname;

	if (!HaveCitus() || !OidIsValid(nsp) ||
		!OidIsValid(get_relname_relid("dist_trending", nsp)))
		return false;
	/* a Citus table, and this node a worker (group 0 is the coordinator) */
	args[0] = ObjectIdGetDatum(events_relid);
	if (!FirstValue(nf_keep_plan(&plan_where,
						 "SELECT true FROM pg_catalog.pg_dist_partition p, pg_catalog.pg_dist_local_group g"
						 " WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
						 "   AND g.groupid OPERATOR(pg_catalog.<>) 0",
						 1, (Oid[]) {OIDOID}),
					args, &d))
		return false;
	relname = get_rel_name(events_relid);
	if (relname == NULL)
		return false;
	args[0] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(get_rel_namespace(events_relid)),
															 relname));
	args[1] = TimestampTzGetDatum(window_end);
	if (SPI_execute_plan(nf_keep_plan(&plan_rows,
							  "SELECT t.country IS NULL, t.country, t.title_id, t.score"
							  " FROM nfrec.dist_trending t"
							  " WHERE t.events OPERATOR(pg_catalog.=) $1"
							  "   AND t.window_end OPERATOR(pg_catalog.=)"
							  "       (SELECT pg_catalog.max(w.window_end) FROM nfrec.dist_trending w"
							  "         WHERE w.events OPERATOR(pg_catalog.=) $1"
							  "           AND w.window_end OPERATOR(pg_catalog.<=) $2)",
							  2, (Oid[]) {TEXTOID, TIMESTAMPTZOID}),
						 args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read nfrec.dist_trending");
	return true;
}
