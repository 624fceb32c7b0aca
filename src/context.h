/*
 * context.h -- context affinities for serving code (context.c).
 */
#ifndef NFREC_CONTEXT_H
#define NFREC_CONTEXT_H

#include "postgres.h"
#include "datatype/timestamp.h"

/*
 * Multiply scores[i] (of title ids[i]) by exp(weight x affinity) of the
 * fitted context cell of (at, device), in place (a negative score is
 * divided).  NULL at / device = unknown.  Returns false, scores untouched,
 * when there is no context, no fit or no fitted cell.  The caller checks
 * weight (0..100) and that scores are finite.
 */
extern bool nf_context_adjust(const int64 *ids, float4 *scores, int n,
							  const TimestampTz *at, const char *device, double weight);

/*
 * Re-rank model rows[0..n) with scores[0..n) (best first) for the context
 * (at, device) at weight 1, as context_rerank does: scores adjusted by
 * nf_context_adjust, then sorted by adjusted score descending, ties in
 * the given order.  item_ids maps rows to title ids.  Returns false, rows
 * and scores untouched, when nf_context_adjust changes nothing.
 */
extern bool nf_context_rerank_rows(const int64 *item_ids, int32 *rows, float4 *scores,
								   int n, const TimestampTz *at, const char *device);

#endif
