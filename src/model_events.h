/*
 * model_events.h -- a user's rows of a model's bound events relation read
 * straight from a btree index on user_id, when that returns exactly what
 * serving's query would (model_events.c).
 */
#ifndef NFREC_MODEL_EVENTS_H
#define NFREC_MODEL_EVENTS_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* One row of the bound events relation, as serving's query returns it. */
typedef struct NfEventRow
{
	int64		title_id;		/* (title_id)::int8 */
	double		weight;			/* (weight)::float8 */
	bool		title_null;
	bool		weight_null;
} NfEventRow;

/*
 * The rows of relid whose user_id equals user_id, the same rows (and
 * values) as
 *     SELECT (title_id)::int8, (weight)::float8 FROM relid WHERE user_id = $1
 * run as the current user in the active snapshot, read without the
 * executor; *rows is allocated in the current memory context.  Returns -1
 * (nothing read, *rows untouched) when the direct read does not apply or
 * might differ from the query -- not a plain heap table, no usable btree
 * index on user_id, other column types, row-level security applies, the
 * current user lacks SELECT on the columns -- and the caller then runs the
 * query, which reports what it reports.
 */
extern int64 nf_events_direct(Oid relid, int64 user_id, NfEventRow **rows);

/* One play of a user, as the homepage's query returns it (homepage.c). */
typedef struct NfPlayRow
{
	int64		title_id;		/* (title_id)::int8, never NULL */
	double		pct;			/* (watch_pct)::float8 */
	TimestampTz started_at;		/* started_at */
	char	   *country;		/* (country)::text as a C string; NULL: NULL */
	bool		pct_null;
	bool		started_null;
} NfPlayRow;

/*
 * The same for the homepage's plays: the rows of relid, in the active
 * snapshot, of
 *     SELECT (title_id)::int8, (watch_pct)::float8, started_at, (country)::text
 *       FROM relid
 *      WHERE user_id = $1 AND event_type = 'play' AND title_id IS NOT NULL
 * with the same conditions as above (SELECT on those six columns; and
 * started_at timestamptz, country text or varchar, event_type text or
 * varchar of a deterministic collation, so that the query's casts are
 * exact and its comparison is one of bytes); -1 when they do not hold.
 */
extern int64 nf_plays_direct(Oid relid, int64 user_id, NfPlayRow **rows);

/* Testing: the direct read disabled (nfrec.events_direct = off). */
extern bool nf_events_direct_enabled;

/* _PG_init hook: defines nfrec.events_direct */
extern void nf_events_init(void);

#endif
