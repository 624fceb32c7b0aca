/*
 * topk_scan.h -- scoring a catalog of factor rows against one query
 * vector, and its exact top-k through a compact int8 copy (no PostgreSQL
 * calls).
 *
 * The score of row i is scan_dot(Y + i * f, x, f): a float dot product
 * in one fixed order (8 lanes, products and sums rounded to float, never
 * fused), so the AVX2 kernel and the portable one give the same bits and
 * every serving path (the full score vector, the top-k) agrees on every
 * title's score.  The kernels are picked once at run time (AVX2 when the
 * CPU has it; nothing depends on what OpenBLAS recognises).
 *
 * scan_topk returns exactly what a full scan followed by topk_select would
 * (same rows, same order, same scores), reading a quarter of the bytes:
 * it scores every row from an int8 copy of Y (per-row scale) against a
 * 7-bit copy of x, bounds each row's error (ScanCatalog.erry/sq1 and the
 * query's rounding, plus float rounding), and rescores exactly only the
 * rows whose upper bound reaches the k-th best lower bound.
 */
#ifndef NFREC_TOPK_SCAN_H
#define NFREC_TOPK_SCAN_H

#include "c.h"

/* int8 rows are padded to a multiple of this many factors (zeros) */
#define SCAN_PAD 32

/* An int8 copy of a catalog of n rows x f factors (pointers not owned). */
typedef struct ScanCatalog
{
	int			n;
	int			f;
	int			fp;				/* f rounded up to SCAN_PAD */
	const float *Y;				/* n x f, row-major: the exact factors */
	const float *norms;			/* n: |y_i| (Euclidean) */
	float		maxnorm;		/* max of norms */
	int8	   *q;				/* n x fp: round(y_ia / scale_i), |q| <= 127 */
	int32	   *qsum;			/* n: sum_a q_ia */
	float	   *scale;			/* n: max_a |y_ia| / 127 */
	float	   *erry;			/* n: max_a |y_ia - scale_i q_ia| */
	float	   *sq1;			/* n: scale_i sum_a |q_ia| */
} ScanCatalog;

/* Bytes of memory scan_catalog_init needs for n x f. */
extern Size scan_catalog_bytes(int n, int f);

/*
 * Fill c for Y (n x f, finite) and norms, using mem (scan_catalog_bytes
 * bytes, any alignment) for the copy.  Y and norms must outlive c.
 */
extern void scan_catalog_init(ScanCatalog *c, const float *Y, const float *norms,
							  int n, int f, void *mem);

/* The score of one row: the fixed-order float dot product. */
extern float scan_dot(const float *y, const float *x, int f);

/* out[i] = scan_dot(Y + i * f, x, f) for every row (AVX2 when available). */
extern void scan_dot_all(const float *Y, int n, int f, const float *x, float *out);

/* Scratch bytes scan_topk needs for c (any alignment). */
extern Size scan_work_bytes(const ScanCatalog *c);

/*
 * The k best rows by scan_dot score (score desc, row asc), skipping rows
 * with skip[row] != 0 (skip may be NULL): rows to out[], scores to
 * scores[] (both room for min(k, n)); returns how many.  The same result
 * as scan_dot_all + topk_select.  *nexact (if not NULL) gets how many rows
 * were scored exactly.  x must have f finite elements.
 */
extern int	scan_topk(const ScanCatalog *c, const float *x, const uint8 *skip, int k,
					  int32 *out, float *scores, void *work, int *nexact);

/*
 * Bounds of every row's score: lo[i] <= scan_dot(y_i, x) <= hi[i] (n
 * floats each), from the int8 copy; false (lo, hi untouched) when x is
 * outside the range where they hold -- then score rows exactly.  work as
 * for scan_topk.
 */
extern bool scan_bounds(const ScanCatalog *c, const float *x, float *lo, float *hi,
						void *work);

/* scan_topk from bounds that scan_bounds returned for the same x. */
extern int	scan_topk_bounded(const ScanCatalog *c, const float *x, const float *lo,
							  const float *hi, const uint8 *skip, int k, int32 *out,
							  float *scores, void *work, int *nexact);

/*
 * scan_bounds and scan_topk_bounded in one call: the bounds of every row
 * to lo/hi (n floats each, not inside work) and the k best rows to
 * out/scores, exactly as the two calls give them; returns how many rows,
 * or -1 (nothing written) when scan_bounds would return false.
 */
extern int	scan_bounds_topk(const ScanCatalog *c, const float *x, float *lo, float *hi,
							 const uint8 *skip, int k, int32 *out, float *scores,
							 void *work, int *nexact);

/*
 * Positive bounds times positive per-row factors, lower and upper
 * interleaved: lb[2i] = lo[i] x lift[i] in double, capped at FLT_MAX and
 * rounded to float, when lo[i] > 0, else -inf; lb[2i + 1] the same of
 * hi[i].  lift NULL: factors 1.  lb has room for 2n floats.
 */
extern void scan_lift_bounds(const float *lo, const float *hi, const float *lift, int n,
							 float *lb);

/* Start loading a row of f floats (an exact dot soon reads it). */
static inline void
scan_prefetch_row(const float *row, int f)
{
	for (Size b = 0; b < sizeof(float) * (Size) f; b += 64)
		__builtin_prefetch((const char *) row + b);
}

/* Testing: force the portable kernels (true) or allow AVX2 (false). */
extern void scan_force_portable(bool portable);

#endif
