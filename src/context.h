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

#endif
