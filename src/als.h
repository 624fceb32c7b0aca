/*
 * als.h -- implicit-feedback ALS (Hu, Koren & Volinsky 2008) on plain
 * arrays: canonicalization of raw (user, item, weight) rows, the training
 * loop (conjugate gradient or exact Cholesky per row), the exact one-row
 * solve used for fold-in, and a small pthread pool.
 *
 * No PostgreSQL calls here (only c.h types).  Worker threads run code from
 * this file only and touch only the buffers they are handed.  The caller's
 * thread (the backend) does every palloc/ereport; it gets control back
 * between small tasks through AlsHooks.poll, which may longjmp away: the
 * caller must then destroy the pool (als_pool_destroy stops and joins the
 * workers) before the buffers go away.
 *
 * The model.  For observed pair (u, i) with summed weight w:
 *   w > 0   preference p = 1, confidence c = 1 + alpha * w
 *   w < 0   preference p = 0, confidence c = 1 + alpha * |w|  (a dislike)
 *   w = 0   preference p = 0, confidence c = 1  (seen, no signal)
 * every unobserved pair has p = 0, c = 1.  Training minimizes
 *   L = sum_{u,i} c_ui (p_ui - x_u.y_i)^2 + sum_u lu |x_u|^2 + sum_i li |y_i|^2
 * with lu = li = lambda, or lambda * (number of the row's events) under
 * frequency scaling (ALS-WR).
 */
#ifndef NFREC_ALS_H
#define NFREC_ALS_H

#include "c.h"

/* Limits every model satisfies (als_train's options, model input, serving). */
#define ALS_MAX_FACTORS		1024
#define ALS_MAX_ITERATIONS	10000
#define ALS_MAX_THREADS		64

typedef enum AlsSolver
{
	ALS_SOLVER_CG = 0,			/* conjugate gradient, warm-started */
	ALS_SOLVER_CHOLESKY = 1		/* exact normal equations per row */
} AlsSolver;

/* Confidence minus one and confidence times preference of a summed weight. */
static inline float
als_conf_m1(float w, float alpha)
{
	return alpha * (w < 0 ? -w : w);
}
static inline float
als_conf_pref(float w, float alpha)
{
	return w > 0 ? 1.0f + alpha * w : 0.0f;
}

/* ------------------------------------------------------------------ */
/* Thread pool                                                         */
/* ------------------------------------------------------------------ */

typedef struct AlsPool AlsPool;

/*
 * Start nthreads - 1 workers (the caller is thread 0).  Workers block all
 * signals.  Returns NULL (errno set) if a thread cannot be started.
 */
extern AlsPool *als_pool_create(int nthreads);
/* Stop (after their current task) and join the workers; free the pool. */
extern void als_pool_destroy(AlsPool *pool);
extern int	als_pool_threads(const AlsPool *pool);

/* Called on the caller's thread only. */
typedef struct AlsHooks
{
	void	   *arg;
	/* between tasks and passes; may longjmp (see above) */
	void		(*poll) (void *arg);
	/* after each iteration; loss is NaN when it was not computed */
	void		(*progress) (void *arg, int iteration, double loss,
							 double seconds, double gflop);
	bool		loss_every_iteration;
} AlsHooks;

/* ------------------------------------------------------------------ */
/* Canonicalization                                                    */
/* ------------------------------------------------------------------ */

/*
 * Raw rows in any order (duplicates allowed) to a canonical CSR matrix:
 * users and items sorted ascending, each user's events sorted by item,
 * duplicate (user, item) weights summed in ascending order of value, so the
 * result depends only on the multiset of rows.  Two passes: the first
 * (als_canonical_size) tells how big the outputs are.
 */
typedef struct AlsRaw
{
	int64		n;				/* rows; at most INT32_MAX */
	const int64 *users;
	const int64 *items;
	const double *weights;
} AlsRaw;

/* Scratch for n rows: keys 8 * (n + 1) bytes each, vals and order 4 * n. */
typedef struct AlsCanonWork
{
	uint64	   *key0,
			   *key1;
	uint32	   *val0,
			   *val1;
	int32	   *order;
} AlsCanonWork;

/* Bytes of each of key0 and key1 for n rows. */
extern Size als_canon_bytes_u64(int64 n);

/*
 * Dense index (0-based rank among the distinct values) of each of n ids into
 * idx[].  Returns the number of distinct ids; *sorted points at them in
 * ascending order, inside the scratch (valid until the next call).
 */
extern int32 als_canon_ids(int64 n, const int64 *ids, AlsCanonWork *w,
						   int32 *idx, const int64 **sorted, const AlsHooks *hooks);

/*
 * Order the rows by (user, item) into w->order; returns the number of
 * distinct (user, item) pairs.
 */
extern int64 als_canon_order(int64 n, const int32 *uidx, int32 nusers,
							 const int32 *iidx, int32 nitems,
							 AlsCanonWork *w, const AlsHooks *hooks);

/*
 * Write the CSR matrix (user_ptr[nusers + 1], ev_item[nnz], ev_weight[nnz]).
 * Returns -1 and sets *bad_row when a summed weight is not representable as
 * a finite float4 (the caller reports the pair); 0 otherwise.
 */
extern int	als_canon_build(const AlsRaw *raw, const int32 *uidx, const int32 *iidx,
							AlsCanonWork *w, int64 *user_ptr, int32 *ev_item,
							float *ev_weight, int64 *bad_row);

/* Transpose CSR (users x items) into CSC (items x users). */
extern void als_transpose(int32 nusers, int32 nitems, const int64 *user_ptr,
						  const int32 *ev_item, const float *ev_weight,
						  int64 *item_ptr, int32 *ev_user, float *ev_weight_t);

/* ------------------------------------------------------------------ */
/* Training                                                            */
/* ------------------------------------------------------------------ */

typedef struct AlsData
{
	int32		nusers,
				nitems;
	int64		nnz;
	const int64 *user_ids;		/* for seeding the initial factors */
	const int64 *item_ids;
	const int64 *user_ptr;		/* CSR by user */
	const int32 *user_items;
	const float *user_w;
	const int64 *item_ptr;		/* CSC by item */
	const int32 *item_users;
	const float *item_w;
} AlsData;

typedef struct AlsParams
{
	int			factors;
	int			iterations;
	double		regularization;
	double		alpha;
	AlsSolver	solver;
	int			cg_steps;
	int64		seed;
	bool		frequency_scaling;
} AlsParams;

typedef struct AlsResult
{
	double		loss;			/* objective after the last iteration */
	int			iterations;
	double		gflop;			/* nominal floating-point work done */
} AlsResult;

/* Bytes of working memory als_train needs (one buffer, any alignment). */
extern Size als_train_work_size(const AlsData *d, const AlsParams *p, int nthreads);

/*
 * Train.  work: als_train_work_size bytes.  user_factors / item_factors:
 * nusers * factors and nitems * factors floats, row-major, written at the
 * end.  pool may be NULL (single thread).
 */
extern void als_train(const AlsData *d, const AlsParams *p, AlsPool *pool,
					  const AlsHooks *hooks, void *work,
					  float *user_factors, float *item_factors, AlsResult *res);

/* ------------------------------------------------------------------ */
/* Exact single-row solve (training's Cholesky step, and fold-in)      */
/* ------------------------------------------------------------------ */

/* Doubles of scratch als_solve_exact needs for k factors. */
static inline Size
als_solve_work_doubles(int k)
{
	return (Size) k * k + 5 * (Size) k;
}

/*
 * x = argmin_x sum_i c_i (p_i - x.y_i)^2 (over every row i of Y, unobserved
 * ones with c = 1, p = 0) + lambda |x|^2, i.e. the solution of
 *   (YtY + sum_obs (c_i - 1) y_i y_i^T + lambda I) x = sum_obs c_i p_i y_i
 * Y: rows of k floats at stride ldy; YtY: the k x k Gram matrix of all rows
 * of Y in double (row-major, stride ldg; als_gram); items/weights: the n observed rows and their
 * summed weights (confidence and preference as above).  Accumulates and
 * factors in double.  Returns 0, or -1 if the matrix is not positive
 * definite (only possible with lambda = 0).  work: als_solve_work_doubles(k).
 */
extern int	als_solve_exact(int k, const float *Y, Size ldy,
							const double *YtY, Size ldg,
							const int32 *items, const float *weights, int64 n,
							double alpha, double lambda, float *x, double *work);

/* Gram matrix G = Y^T Y of n rows of k floats (stride ldy), k x k, in double. */
extern void als_gram(int k, const float *Y, Size ldy, int64 n, double *G);

/* ------------------------------------------------------------------ */
/* One row at a time: the steps of distributed training (als_dist.c)   */
/* ------------------------------------------------------------------ */

/*
 * Training pads factor rows to kp = factors rounded up to 16 floats (zero
 * padding).  These functions run training's own kernels on one row, so a
 * caller that holds one side's factors and Gram matrix (padded) solves a
 * row exactly as als_train's half-step does.
 */
static inline int
als_padded(int k)
{
	return (k + 15) / 16 * 16;
}

typedef struct AlsRowSolver
{
	int			k,
				kp;
	AlsSolver	solver;
	int			cg_steps;
	float		alpha;			/* in float, as training uses it */
	const float *F;				/* the other side: rows of kp floats */
	const float *G;				/* its Gram matrix, kp x kp, float */
	const double *Gd;			/* the same in double */
} AlsRowSolver;

/* The deterministic start of a row: uniform [0, 0.01) from (seed, side, id). */
extern void als_init_row(int64 seed, int side, int64 id, int k, int kp, float *row);

/* A row's lambda: regularization, or times its event count (ALS-WR). */
extern float als_row_lambda(double regularization, bool frequency_scaling, int64 nevents);

/*
 * Gram matrix of n padded rows exactly as training sums it (float blocks,
 * reduced in double in block order): G (float) and Gd (double), kp x kp.
 * scratch: als_gram_scratch_floats(kp) floats.
 */
extern Size als_gram_scratch_floats(int kp);
extern void als_gram_padded(int kp, const float *F, int32 n, float *scratch,
							float *G, double *Gd);

/*
 * Solve one row (kp floats, updated in place: CG starts from it) against
 * rs's side for its n events (indexes into rs->F, summed weights).
 * work: als_solve_work_doubles(k).  Returns -1 if Cholesky failed (the row
 * is kept, as in training).
 */
extern int	als_solve_row(const AlsRowSolver *rs, const int32 *idx, const float *wt,
						  int64 n, float lam, float *row, double *work);

/*
 * The same systems given as explicit matrices (the item half-step of
 * distributed training, from per-title sums).  A: k x k, row-major, both
 * triangles (cg) or the lower one (chol, overwritten by its factor); b: k
 * (chol overwrites it).  CG runs training's iteration (same stopping rules)
 * in double from x; work: 4 k doubles.  Cholesky returns -1 if A is not
 * positive definite (x untouched).
 */
extern void als_solve_dense_cg(int k, const double *A, const double *b, int steps,
							   float *x, double *work);
extern int	als_solve_dense_chol(int k, double *A, double *b, float *x);

/* ------------------------------------------------------------------ */
/* The objective, scalar                                               */
/* ------------------------------------------------------------------ */

/* Doubles of scratch als_objective needs. */
static inline Size
als_objective_work_doubles(int k, int32 nitems)
{
	return (Size) k * k + (Size) nitems;
}

/*
 * The objective L (top of this file) of given factors on the events, in
 * double precision: sum_u x_u' G x_u over all pairs plus a correction on
 * the observed pairs, plus the regularization (lambda per row, or lambda
 * times the row's event count when frequency_scaling).  The scalar
 * reference for training's vectorized per-row loss (test/unit), and the
 * loss of a model built from given factors (als_model_from_factors).
 * X: nusers x k, Y: nitems x k, row-major without padding; user_ptr,
 * ev_item, ev_weight: the events by user (CSR).  work:
 * als_objective_work_doubles(k, nitems).  hooks->poll (if set) is called
 * every 1024 rows and may longjmp.
 */
extern double als_objective(int k, int32 nusers, int32 nitems,
							const float *X, const float *Y,
							const int64 *user_ptr, const int32 *ev_item,
							const float *ev_weight, int64 nevents,
							double alpha, double lambda, bool frequency_scaling,
							double *work, const AlsHooks *hooks);

#endif
