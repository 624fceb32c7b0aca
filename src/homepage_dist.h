/*
 * homepage_dist.h -- the homepage's inputs on a Citus node (homepage_dist.c,
 * doc/scale.md "Distributed serving").
 */
#ifndef NFREC_HOMEPAGE_DIST_H
#define NFREC_HOMEPAGE_DIST_H

#include "postgres.h"

#include "datatype/timestamp.h"

/*
 * The table of this node that holds the rows a call reads from relid: for
 * a Citus table hash-distributed by user_id, the shard of user_id when it
 * is placed on this node; with reference, for a reference table, its
 * placement on this node.  Anything else (no Citus, a plain table, a shard
 * placed elsewhere): relid itself.
 */
extern Oid	nf_citus_local_table(Oid relid, int64 user_id, bool reference);

/*
 * On a Citus worker, when events_relid is a distributed table: run the
 * query over the trending figures that nfrec.distribute_trending copied
 * there for the latest window ending at or before window_end, leaving its
 * rows in SPI_tuptable with the columns of the live trending query
 * (all countries?, country, title_id, decayed plays), and return true.
 * Elsewhere return false (the caller computes the figures from the events).
 */
extern bool nf_hp_copied_trending(Oid events_relid, TimestampTz window_end);

#endif
