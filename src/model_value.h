/*
 * model_value.h -- what the model types (nfrec.als_model, nfrec.ease_model)
 * share in their SQL glue (model_value.c): text and binary I/O of a
 * varlena model value, and the registry's row forms (deploy).
 *
 * The I/O routines neither validate nor detoast beyond what they say: the
 * type's own input function checks the bytes they return.
 */
#ifndef NFREC_MODEL_VALUE_H
#define NFREC_MODEL_VALUE_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"

/*
 * Text form: "\x" and the bytes in hex (like bytea's).  typname is the
 * type's name in messages ("nfrec.als_model").
 */
extern bytea *nf_model_text_in(const char *str, const char *typname);
extern char *nf_model_text_out(const bytea *m, const char *typname);
/* Binary form: the bytes as they are. */
extern bytea *nf_model_recv(StringInfo buf, const char *typname);
extern bytea *nf_model_send(Datum value);

/*
 * The last five columns of a model's store row (deploy): options jsonb,
 * item ids int8[], item counts float4[], item matrix float4[][] (nitems x
 * cols), trained_at timestamptz (NULL when 0), written to values[0..4].
 */
extern void nf_model_row_tail(Datum *values, bool *nulls, const char *options,
							  const int64 *item_ids, const float *item_count,
							  const float *item_matrix, int nitems, int cols,
							  int64 trained_at);
/* The function's composite result from values/nulls. */
extern Datum nf_model_row(FunctionCallInfo fcinfo, Datum *values, bool *nulls);

/*
 * The user rows of a model (a set-returning function's body): user id,
 * user factors float4[] (X + u * f; empty when X is NULL), titles int8[],
 * weights float4[], from the CSR events (ptr, evi into item_ids, evw).
 */
extern void nf_model_user_rows(FunctionCallInfo fcinfo, int nusers,
							   const int64 *user_ids, const int64 *item_ids,
							   const int64 *ptr, const int32 *evi,
							   const float *evw, const float *X, int f);

#endif							/* NFREC_MODEL_VALUE_H */
