/*
 * pgutil.h -- small helpers shared by the SQL glue files.
 */
#ifndef NFREC_PGUTIL_H
#define NFREC_PGUTIL_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"
#include "utils/tuplestore.h"
#include "executor/spi.h"

/* ---- arguments ---------------------------------------------------------- */

/* ERROR (null_value_not_allowed) "<what> must not be null" if argument argno is NULL. */
extern void nf_arg_not_null(FunctionCallInfo fcinfo, int argno, const char *what);

/*
 * A count argument (n, k): not NULL and at least 1, else ERROR
 * "<what> must be at least 1, not <n>" (invalid_parameter_value).
 */
extern int	nf_check_n(FunctionCallInfo fcinfo, int argno, const char *what);
/* The same check of a value already read. */
extern void nf_check_count(int64 n, const char *what);

/* ERROR "<what> must not contain null elements" if the array has a NULL. */
extern void nf_array_no_nulls(ArrayType *a, const char *what);

/* ---- set-returning functions -------------------------------------------- */

/*
 * Set up a materialize-mode set-returning function (InitMaterializedSRF on
 * PostgreSQL 15 and later, the same by hand before): returns the
 * tuplestore to fill and sets *tupdesc to its row type.
 */
extern Tuplestorestate *nf_begin_srf(FunctionCallInfo fcinfo, TupleDesc *tupdesc);

/* ---- options ------------------------------------------------------------ */

/*
 * One table-driven parser for the jsonb options of every function (in the
 * spirit of postgres_fdw's option.c): each entry names an option, its
 * type and limits, and where its value goes in the caller's struct.  A
 * JSON null keeps the value already there (the default).  Errors, all
 * invalid_parameter_value:
 *   <func> options must be a JSON object               (hint: valid options)
 *   unrecognized <func> option "<key>"                 (hint: valid options)
 *   <func> option "<key>" must be <description>        (from the entry)
 */
typedef enum NfOptionType
{
	NF_OPT_INT32,				/* int; integral, within [min, max] */
	NF_OPT_INT64,				/* int64; integral, within [min, max] unless min == max */
	NF_OPT_REAL,				/* double; finite, within [min, max] (see min_open) */
	NF_OPT_BOOL,				/* bool */
	NF_OPT_CHOICE				/* int: index of the string in choices[] */
} NfOptionType;

typedef struct NfOption
{
	const char *name;
	NfOptionType type;
	double		min;
	double		max;			/* REAL: 1e300 or more means no upper limit */
	bool		min_open;		/* REAL: the value must be greater than min */
	const char *const *choices; /* CHOICE: NULL-terminated */
	Size		offset;			/* of the value in the target struct */
} NfOption;

extern void nf_parse_options(Jsonb *opts, const char *funcname,
							 const NfOption *table, int ntable, void *target);

/* ERROR "<func> options must be the same in every row" (aggregates) */
extern void nf_options_differ(const char *funcname) pg_attribute_noreturn();

/*
 * Check that an array is usable as a dense vector of the given element type:
 * one-dimensional, non-empty, no NULL elements.  Returns the number of
 * elements; *data points at the first one.
 */
extern int	nf_vector_array(ArrayType *a, Oid elemtype, const char *what, void **data);

/*
 * Build real[] / float8[] / bigint[] from plain arrays: one-dimensional, or
 * rows x cols matrices (row-major).  No elements gives the empty array.
 */
extern ArrayType *nf_float4_array(const float *v, int n);
extern ArrayType *nf_float8_array(const double *v, int n);
extern ArrayType *nf_int8_array(const int64 *v, int n);
extern ArrayType *nf_float4_matrix(const float *v, int rows, int cols);
extern ArrayType *nf_float8_matrix(const double *v, int rows, int cols);

/*
 * User text for an error message: the first maxchars characters of
 * s[0..len) (cut at a character boundary, never inside a multibyte one),
 * with "..." appended when something was cut.  A 10 MB input must not
 * make a 10 MB message.
 */
#define NF_EXCERPT_CHARS 40
extern char *nf_excerpt(const char *s, int len, int maxchars);

/* The number of column col of rel (InvalidAttrNumber when it has none). */
extern AttrNumber nf_attnum(Relation rel, const char *col);

/* Is relid a Citus table (in pg_dist_partition)?  Read its rows by query only. */
extern bool nf_citus_table(Oid relid);

/*
 * Column col of the first row of relation relid, read in the active
 * snapshot without the executor and without a privilege check (*value a
 * copy in the current memory context): 1 (a row), 0 (no row), -1 (no such
 * column).
 */
extern int	nf_first_row_value(Oid relid, const char *col, Datum *value, bool *isnull);

/*
 * The column "version" of the first row of the one-row table nfrec.relname
 * (the fit tables of context.c and artwork.c), read with the caller's
 * SELECT right, as "SELECT version FROM nfrec.relname" would, without the
 * executor (serving calls it on every call).  false when the table has no
 * row; *version is -1 then and when it is NULL.
 */
extern bool nf_fit_version(const char *relname, int64 *version);

/*
 * A plan prepared once per backend and kept (SPI_keepplan): *slot caches
 * it; NULL there prepares sql now.  Call inside SPI_connect.
 */
extern SPIPlanPtr nf_keep_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *argtypes);

#endif
