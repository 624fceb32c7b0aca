/*
 * triples.h -- the raw-rows state of the training aggregates (als_train,
 * ease_train): growing arrays of (user, item, weight) triples in the
 * aggregate context, rows with a NULL counted, and a copy of the options
 * argument.  Partial aggregation concatenates states (combine) and ships
 * them as bytea (serialize/deserialize).  SQL glue (triples.c).
 *
 * Each aggregate describes itself with an NfTriplesKind and gets its
 * support functions from NF_TRIPLES_SUPPORT; its final function reads the
 * arrays.
 */
#ifndef NFREC_TRIPLES_H
#define NFREC_TRIPLES_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "als.h"

typedef struct NfTriples
{
	int64		n;				/* rows kept */
	int64		cap;
	int64	   *users;
	int64	   *items;
	double	   *weights;
	int64		nskipped;		/* rows with a NULL user, item or weight */
	Jsonb	   *options;		/* copy of the options argument, or NULL */
	bool		options_set;	/* options seen (from a row or a combine) */
} NfTriples;

/* Rows are indexed with int32 in the canonical matrix. */
#define NF_TRIPLES_MAX_ROWS	((int64) PG_INT32_MAX)

/* What differs between the aggregates. */
typedef struct NfTriplesKind
{
	const char *agg;			/* SQL name: "als_train"; support functions are <agg>_trans ... */
	const char *item;			/* the item in messages: "item", "title" */
	const char *item_column;	/* its column in messages: "item_id", "title_id" */
	const char *model;			/* the model in messages: "ALS", "EASE" */
	uint32		magic;			/* first word of the serialized state */
	/* ERROR on bad options (NULL: none given); called for the first options seen */
	void		(*check_options) (Jsonb *options);
	/* ERROR: a row's options differ from the first row's */
	void		(*options_differ) (void) pg_attribute_noreturn();
} NfTriplesKind;

/*
 * The support functions' bodies.  accum: the transition, for the arguments
 * (state, user int8, item int8, weight float8 [, options jsonb]): a row
 * with a NULL user, item or weight is counted and skipped, a non-finite
 * weight is an ERROR.  combine: NULL when both states are NULL.
 */
extern Datum nf_triples_accum(FunctionCallInfo fcinfo, const NfTriplesKind *kind);
extern Datum nf_triples_combine(FunctionCallInfo fcinfo, const NfTriplesKind *kind);
extern Datum nf_triples_serialize(FunctionCallInfo fcinfo, const NfTriplesKind *kind);
extern Datum nf_triples_deserialize(FunctionCallInfo fcinfo, const NfTriplesKind *kind);

/*
 * The same state filled outside an aggregate (nfrec.train): a new empty
 * state in cxt, and one row with no NULL (ERROR on a non-finite weight or
 * beyond NF_TRIPLES_MAX_ROWS rows; the arrays are huge allocations in cxt).
 */
extern NfTriples *nf_triples_new(MemoryContext cxt);
extern void nf_triples_add(NfTriples *st, MemoryContext cxt, int64 user, int64 item,
						   double weight, const NfTriplesKind *kind);

/*
 * The final function's state (argument 0): ERROR (data_exception) "cannot
 * train an <model> model without interactions" when no row was kept.
 */
extern NfTriples *nf_triples_final_state(FunctionCallInfo fcinfo, const NfTriplesKind *kind);

/*
 * Canonicalization of the rows with als.c (users and items sorted,
 * duplicate pairs summed).  start: point raw at the rows and allocate the
 * scratch (cw, the users' and items' indexes) in the current memory
 * context.  build: als_canon_build, ERROR (numeric_value_out_of_range)
 * when a summed weight is out of range.
 */
extern void nf_triples_canon_start(const NfTriples *st, AlsRaw *raw, AlsCanonWork *cw,
								   int32 **uidx, int32 **iidx);
extern void nf_triples_canon_build(const AlsRaw *raw, const int32 *uidx, const int32 *iidx,
								   AlsCanonWork *cw, int64 *user_ptr, int32 *ev_item,
								   float *ev_weight, const NfTriplesKind *kind);

/*
 * Define an aggregate's four SQL-callable support functions over them:
 * NF_TRIPLES_SUPPORT(als_train, AlsRows) defines als_train_trans,
 * als_train_combine, als_train_serialize and als_train_deserialize.
 */
#define NF_TRIPLES_SUPPORT(agg, kind) \
	PG_FUNCTION_INFO_V1(agg##_trans); \
	Datum agg##_trans(PG_FUNCTION_ARGS) { return nf_triples_accum(fcinfo, &(kind)); } \
	PG_FUNCTION_INFO_V1(agg##_combine); \
	Datum agg##_combine(PG_FUNCTION_ARGS) { return nf_triples_combine(fcinfo, &(kind)); } \
	PG_FUNCTION_INFO_V1(agg##_serialize); \
	Datum agg##_serialize(PG_FUNCTION_ARGS) { return nf_triples_serialize(fcinfo, &(kind)); } \
	PG_FUNCTION_INFO_V1(agg##_deserialize); \
	Datum agg##_deserialize(PG_FUNCTION_ARGS) { return nf_triples_deserialize(fcinfo, &(kind)); } \
	extern int no_such_variable

#endif							/* NFREC_TRIPLES_H */
