/*
 * aggstate.h -- glue: an aggregate state kept as an expanded object, for
 * the state types that give an aggregate a real (non-pseudo) state type so
 * that Citus splits it into worker partials and a coordinator combine
 * (doc/scale.md).  The transition function updates the C state in place
 * row after row (no copy per row, as with an internal state); the flat
 * form, made only when the value leaves the node or is stored, is the
 * type's binary (send) form.  Each state type supplies three callbacks.
 *
 * Used by nfrec.auc_state (auc_state.c), nfrec.tfidf_state (tfidf.c) and
 * nfrec.kmeans_state (kmeans_step.c).  The older tally_state and
 * termvec_state carry their own copy of the same pattern.
 */
#ifndef NFREC_AGGSTATE_H
#define NFREC_AGGSTATE_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/expandeddatum.h"

typedef struct NfStateType
{
	const char *name;			/* SQL type name, for messages */
	/* a new, empty C state in cxt */
	void	   *(*create) (MemoryContext cxt);
	/* the flat (binary) form: a bytea palloc'd in the current context */
	bytea	   *(*flatten) (const void *st);
	/* a C state in cxt from binary bytes, validated (they may come from a
	 * client): bad bytes are ERRCODE_INVALID_BINARY_REPRESENTATION */
	void	   *(*read) (const char *data, int len, MemoryContext cxt);
} NfStateType;

typedef struct NfStateEOH
{
	ExpandedObjectHeader hdr;
	const NfStateType *type;
	void	   *st;
	bytea	   *flat;			/* cached flat form, NULL after a change */
} NfStateEOH;

/*
 * The transition state (argument 0): updated in place when it is this
 * function's own read-write expanded object, else a new expanded copy (or
 * a new empty state for NULL) in the aggregate context (the current
 * context when not called as an aggregate).
 */
extern NfStateEOH *nf_state_arg(FunctionCallInfo fcinfo, const NfStateType *type);

/* The C state behind a datum of the type, read-only. */
extern void *nf_state_of_datum(Datum d, const NfStateType *type);

/* The expanded state as the function's result. */
#define NF_STATE_RETURN(e) PG_RETURN_DATUM(EOHPGetRWDatum(&(e)->hdr))

/* send/recv of a state type: flat form out, validated flat form in */
extern Datum nf_state_send(FunctionCallInfo fcinfo, const NfStateType *type);
extern Datum nf_state_recv(FunctionCallInfo fcinfo, const NfStateType *type);

/*
 * Text forms.  The state types write their numbers the same way: counts
 * as plain digits, float8 values in their shortest exact decimal (so a
 * text round trip is lossless), vectors comma-separated.  The parsers
 * read at *p and advance it; bad text is nf_state_bad_text(type, str,
 * form) (SQLSTATE 22P02).
 */
typedef struct NfStateText
{
	const NfStateType *type;
	const char *str;			/* the whole input, for the message */
	const char *form;			/* the DETAIL: what the text form is */
	const char *p;				/* where parsing is */
} NfStateText;

/* a count: digits only (no sign, no space), at most INT64_MAX */
extern int64 nf_state_parse_count(NfStateText *t);
/* a float8: not NaN (Infinity and -Infinity allowed) */
extern double nf_state_parse_float8(NfStateText *t);
/* n float8 values separated by commas */
extern void nf_state_parse_float8s(NfStateText *t, double *v, int n);
/* the next character must be c */
extern void nf_state_expect(NfStateText *t, char c);
/* the end of the text must be reached */
extern void nf_state_expect_end(NfStateText *t);
extern void nf_state_bad(NfStateText *t) pg_attribute_noreturn();

/* n float8 values, comma-separated shortest exact decimals */
extern void nf_state_append_float8s(StringInfo s, const double *v, int n);

/* errors with the wording every state type shares */
extern void nf_state_bad_binary(const NfStateType *type) pg_attribute_noreturn();
extern void nf_state_bad_text(const NfStateType *type, const char *str,
							  const char *form) pg_attribute_noreturn();

#endif
