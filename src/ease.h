/*
 * ease.h -- EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse
 * Data", WWW 2019) on plain arrays, and the layout of its model value
 * (SQL type nfrec.ease_model), shared by training (ease_sql.c) and
 * serving (ease_serve.c).
 *
 * The model.  X is the binary users x titles matrix: x_ui = 1 when the
 * summed weight of (u, i) is positive, else 0 (a title seen with zero or
 * negative weight is no preference; serving still never recommends it).
 * With G = X'X + lambda I and P = G^-1,
 *     B = I - P diag(1/diag(P)),  i.e.  B_ij = -P_ij / P_jj (i != j), B_ii = 0,
 * the closed-form minimizer of |X - XB|^2 + lambda |B|^2 subject to
 * diag(B) = 0.  A user's score for title j is (x_u B)_j = sum over the
 * user's titles i of B_ij: row i of B is what having watched i adds.
 *
 * The value (one varlena, no pointers, like als_model.h):
 *
 *   EaseModelHeader
 *   char     options[options_len]     JSON text of the effective options,
 *                                     NUL-terminated, padded to 8 bytes
 *   int64    user_ids[nusers]         ascending
 *   int64    item_ids[nitems]         ascending
 *   int64    user_ptr[nusers + 1]     CSR row pointers of training events
 *   int32    ev_item[nevents]         title row of each training event
 *   float4   ev_weight[nevents]       summed weight of each (user, title)
 *   float4   item_count[nitems]       training users with a positive weight
 *   float4   B[nitems * nitems]       row-major, zero diagonal
 *
 * Arrays begin on 8-byte boundaries.  No PostgreSQL calls here (c.h types).
 */
#ifndef NFREC_EASE_H
#define NFREC_EASE_H

#include "c.h"

#include "events_layout.h"

#define EASE_MODEL_MAGIC	0x4E464531	/* "NFE1" */
#define EASE_MODEL_VERSION	1

/*
 * Titles: the default of option max_titles, and the most any option
 * allows (B in real must fit in one 1 GB value: 4 * 15000^2 = 900 MB).
 */
#define EASE_DEFAULT_MAX_TITLES	10000
#define EASE_HARD_MAX_TITLES	15000
#define EASE_DEFAULT_LAMBDA		200.0

typedef struct EaseModelHeader
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint32		magic;
	int32		version;
	int32		nusers;
	int32		nitems;
	int32		options_len;	/* bytes, including NUL and padding */
	int64		nevents;		/* distinct (user, title) pairs */
	float8		lambda;
	float8		train_seconds;
	int64		trained_at;		/* TimestampTz; 0 = unknown */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} EaseModelHeader;

#define EASE_ALIGN8(x)	NF_ALIGN8(x)

NF_EVENTS_BLOCK_ACCESSORS(ease, EaseModelHeader)

static inline Size
ease_off_b(const EaseModelHeader *m)
{
	return ease_off_after_events(m);
}
static inline Size
ease_data_size(const EaseModelHeader *m)
{
	return ease_off_b(m) + sizeof(float4) * (Size) m->nitems * (Size) m->nitems;
}

#define EASE_OPTIONS(m)		((const char *) (m)->data)
#define EASE_USER_IDS(m)	((int64 *) ((m)->data + ease_off_user_ids(m)))
#define EASE_ITEM_IDS(m)	((int64 *) ((m)->data + ease_off_item_ids(m)))
#define EASE_USER_PTR(m)	((int64 *) ((m)->data + ease_off_user_ptr(m)))
#define EASE_EV_ITEM(m)		((int32 *) ((m)->data + ease_off_ev_item(m)))
#define EASE_EV_WEIGHT(m)	((float4 *) ((m)->data + ease_off_ev_weight(m)))
#define EASE_ITEM_COUNT(m)	((float4 *) ((m)->data + ease_off_item_count(m)))
#define EASE_B(m)			((float4 *) ((m)->data + ease_off_b(m)))

/*
 * Check a buffer of size bytes (varlena header included) holding a model:
 * magic, version, shape and sizes in 64-bit arithmetic, ascending ids, CSR
 * pointers and event rows, finite weights, counts and B, zero diagonal,
 * lambda > 0, options NUL-terminated printable ASCII.  NULL when valid,
 * else a static string saying what is wrong.
 */
extern const char *ease_model_check(const EaseModelHeader *m, Size size);

/*
 * Bytes of double-precision working memory ease_fit needs for n titles
 * (the n x n Gram matrix, inverted in place).
 */
static inline Size
ease_work_bytes(int n)
{
	return sizeof(double) * (Size) n * (Size) n;
}

/*
 * Upper triangle (row-major, i <= j) of X'X into G (n x n, zeroed first)
 * from the CSR events of users [u0, u1): positive weights count 1.
 * Callers loop over user blocks to check for interrupts in between.
 */
extern void ease_gram_users(int n, const int64 *user_ptr, const int32 *ev_item,
							const float *ev_w, int32 u0, int32 u1, double *G);

/*
 * G (n x n, upper triangle from ease_gram_users) gets lambda on its
 * diagonal and is replaced by B in double: B_ij = -P_ij / P_jj, B_ii = 0,
 * P = (X'X + lambda I)^-1, full matrix row-major.  LAPACK dpotrf/dpotri
 * (OpenBLAS); returns 0, or the LAPACK info when G is not positive
 * definite (only with lambda <= 0 or rounding).  Not interruptible: the
 * glue runs it in a thread.
 */
extern int	ease_solve(int n, double lambda, double *G);

/*
 * Scores of every title for a user with the given title rows and weights:
 * scores[j] = sum over rows i with w > 0 of B[i, j].  Returns the number of
 * positive rows used (0: no preference, scores all 0).
 */
extern int	ease_scores(int n, const float *B, const int32 *rows, const float *w,
						int nrows, float *scores);

#endif
