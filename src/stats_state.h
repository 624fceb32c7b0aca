/*
 * stats_state.h -- glue shared by the statistics aggregates: a growable
 * store of float8 rows (with optional 0/1 labels) that serializes for
 * parallel aggregation, jsonb option parsing, jsonb result building.
 */
#ifndef NFREC_STATS_STATE_H
#define NFREC_STATS_STATE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "pgutil.h"

/* ---- rows ---------------------------------------------------------- */

typedef struct StatsRows
{
	int32		dim;			/* values per row; 0 until the first row */
	bool		labeled;		/* y is kept */
	int64		n;
	int64		cap;
	double	   *x;				/* cap * dim, row-major */
	uint8	   *y;				/* cap labels (labeled only) */
	MemoryContext cxt;			/* where x and y live */
} StatsRows;

extern void stats_rows_init(StatsRows *r, MemoryContext cxt, bool labeled);
/* what names the vectors in error messages ("features", "vector") */
extern void stats_rows_append(StatsRows *r, const double *v, int dim, uint8 y,
							  const char *what);
extern void stats_rows_append_rows(StatsRows *dst, const StatsRows *src,
								   const char *what);
/* serialized size, writer and reader (reader validates the bytes) */
extern Size stats_rows_serial_size(const StatsRows *r);
extern char *stats_rows_write(const StatsRows *r, char *dst);
extern const char *stats_rows_read(StatsRows *r, const char *src, const char *end);

/*
 * A float8[] argument as a vector: one-dimensional, non-empty, no NULLs,
 * all values finite.  Returns the length.
 */
extern int	stats_float8_vector(ArrayType *a, const char *what, const double **data);

/* Allocate the bytea of a serialized aggregate state, with a clear error
 * when it would exceed 1 GB. */
extern bytea *stats_alloc_serial(Size payload, const char *aggname);

/* CHECK_FOR_INTERRUPTS as a plain function for the numerical code */
extern void stats_check_interrupts(void);

/* ---- options ------------------------------------------------------- */

/*
 * Option values of the statistics aggregates, parsed with pgutil.h's
 * nf_parse_options into an array of these: NF_OPT_REAL options into f,
 * NF_OPT_INT64 ones into i (STATS_OPT_F / STATS_OPT_I give the offsets).
 */
typedef struct StatsOptionValue
{
	double		f;
	int64		i;
} StatsOptionValue;

#define STATS_OPT_F(idx)	((idx) * sizeof(StatsOptionValue) + offsetof(StatsOptionValue, f))
#define STATS_OPT_I(idx)	((idx) * sizeof(StatsOptionValue) + offsetof(StatsOptionValue, i))

/*
 * The options argument of an aggregate: parsed from the first row, and
 * required to be the same in every later row and partial state.
 */
#define STATS_MAX_OPTIONS 4

typedef struct StatsAggOptions
{
	bool		seen;			/* a row has been read */
	Jsonb	   *json;			/* that row's options (NULL: none), to compare */
	StatsOptionValue v[STATS_MAX_OPTIONS];	/* parsed values (defaults set by
											 * the caller) */
} StatsAggOptions;

extern void stats_agg_options_row(StatsAggOptions *o, Jsonb *opts, MemoryContext cxt,
								  const char *funcname,
								  const NfOption *table, int ntable);
extern void stats_agg_options_merge(StatsAggOptions *a, const StatsAggOptions *b,
									const char *funcname);
/* serialized form: int32 seen, then the values */
#define STATS_AGG_OPTIONS_SERIAL_SIZE (sizeof(int32) + sizeof(StatsOptionValue) * STATS_MAX_OPTIONS)
extern char *stats_agg_options_write(const StatsAggOptions *o, char *dst);
extern const char *stats_agg_options_read(StatsAggOptions *o, const char *src, const char *end);

/* ---- jsonb results --------------------------------------------------- */

typedef struct StatsJson
{
	StringInfoData buf;
	bool		first;
} StatsJson;

extern void stats_json_begin(StatsJson *j);
/* a float8 as the shortest exact decimal; NaN and infinities as null */
extern void stats_json_float(StatsJson *j, const char *key, double v);
extern void stats_json_int(StatsJson *j, const char *key, int64 v);
extern void stats_json_bool(StatsJson *j, const char *key, bool v);
extern void stats_json_null(StatsJson *j, const char *key);
extern void stats_json_float_array(StatsJson *j, const char *key, const double *v, int n);
extern Jsonb *stats_json_end(StatsJson *j);

#endif
