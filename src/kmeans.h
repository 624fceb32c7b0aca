/*
 * kmeans.h -- k-means clustering (k-means++ seeding, Lloyd iterations) on
 * plain arrays (no PostgreSQL calls).
 */
#ifndef NFREC_KMEANS_H
#define NFREC_KMEANS_H

#include "c.h"

/* Runs (k-means++ starts) when the caller does not choose. */
#define KMEANS_DEFAULT_N_INIT	3

typedef struct KmeansProblem
{
	const double *x;			/* n rows of d values, row-major (sort them
								 * first with kmeans_sort_rows for results
								 * independent of the input order) */
	int64		n;
	int			d;
	int			k;				/* 1 <= k <= number of distinct rows */
	uint64		seed;
	int			max_iter;		/* Lloyd iterations per run, >= 1 */
	double		tol;			/* stop when the summed squared centroid shift
								 * <= tol * mean per-dimension variance */
	int			n_init;			/* runs from different seeds; the one with the
								 * lowest inertia wins */
} KmeansProblem;

typedef struct KmeansResult
{
	double	   *centroids;		/* caller-allocated k x d, sorted
								 * lexicographically */
	double		inertia;		/* sum of squared distances to the nearest
								 * centroid */
	int			iterations;		/* of the winning run */
	bool		converged;		/* the winning run stopped before max_iter */
} KmeansResult;

/*
 * Sort the n rows of x lexicographically in place (perm and aux: n slots
 * each, row: d doubles of scratch) and return the number of distinct rows.
 */
extern int64 kmeans_sort_rows(double *x, int64 n, int d, int64 *perm, int64 *aux,
							  double *row, void (*check_interrupts) (void));

/* Doubles of scratch space kmeans_fit needs (besides assign). */
extern Size kmeans_work_doubles(int64 n, int d, int k);

/*
 * Cluster.  assign: n slots of scratch.  check_interrupts (may be NULL) is
 * called every few thousand rows and may longjmp out.
 */
extern void kmeans_fit(const KmeansProblem *pr, KmeansResult *res, double *work,
					   int32 *assign, void (*check_interrupts) (void));

/* 0-based index of the centroid nearest to v (ties: the lowest index). */
extern int	kmeans_nearest(const double *centroids, int k, int d, const double *v,
						   double *dist2);

#endif
