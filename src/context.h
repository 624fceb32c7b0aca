/*
 * context.h -- context affinities for serving code (context.c).
 */
#ifndef NFREC_CONTEXT_H
#define NFREC_CONTEXT_H

#include "postgres.h"
#include "datatype/timestamp.h"

#include <float.h>

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
 * The lifts of one context, resolved once (the homepage applies them to
 * many lists): the fitted cell of (at, device) as nf_context_adjust picks
 * it.  Valid until the next call that may reload the fit (any function of
 * this header).
 */
struct CtxCell;
typedef struct NfContextLift
{
	const struct CtxCell *cell;	/* NULL: no context */
	uint64		generation;		/* of the cache load the cell belongs to */
	int64		dense_n;		/* > 0: lift and inv are indexed by title id */
	const float *lift;			/* exp(affinity), 1 for an unseen title */
	const double *inv;			/* 1 / (double) lift */
} NfContextLift;

/*
 * Resolve the cell of (at, device); false (cl->cell NULL) when there is no
 * context, no fit or no fitted cell.  Errors as nf_context_adjust.
 */
extern bool nf_context_resolve(const TimestampTz *at, const char *device,
							   NfContextLift *cl);

/* nf_context_adjust at weight 1 with a resolved cell (cl->cell not NULL). */
extern void nf_context_apply(const NfContextLift *cl, const int64 *ids, float4 *scores, int n);
extern float nf_context_apply1_sparse(const NfContextLift *cl, int64 id, float s);

/* One score: the same float as nf_context_apply gives it. */
static inline float
nf_context_apply1(const NfContextLift *cl, int64 id, float s)
{
	double		d = s,
				f = 1.0;

	if (cl->lift == NULL)
		return nf_context_apply1_sparse(cl, id, s);
	if ((uint64) id < (uint64) cl->dense_n)
		f = d >= 0 ? (double) cl->lift[id] : cl->inv[id];
	d *= f;
	return (float) (d < -FLT_MAX ? -FLT_MAX : (d > FLT_MAX ? FLT_MAX : d));
}

/* nf_context_rerank_rows with a resolved cell (n >= 0). */
extern void nf_context_rerank_lifted(const NfContextLift *cl, const int64 *item_ids,
									 int32 *rows, float4 *scores, int n);

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
