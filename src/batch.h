/*
 * batch.h -- scoring every user of a model in blocks (no PostgreSQL calls).
 *
 * The dashboards' recommendations table (nfrec.refresh) ranks the whole
 * catalog for every trained user of a model.  One user at a time that is
 * a matrix-vector product per user; a block of users at once it is one
 * matrix-matrix product S = X Y' (users x titles), which BLAS runs near
 * the CPU's peak.  Then, per user: the training titles are skipped, the
 * top k are selected with topk_select (the same selection, tie order and
 * NaN rule as recommend_for), and each recommended title gets a reason:
 * the user's watched title nearest to it.
 *
 * Reason rule: among the user's training titles with a positive weight
 * and a non-zero factor vector, the one with the highest cosine
 * similarity of factors to the recommended title; ties go to the lower
 * row (lower title_id).  None (-1) when the user has no such title or the
 * recommended title's vector is zero.
 *
 * batch_select runs no BLAS and touches only its arguments, so a worker
 * thread may run it on part of a block (each thread with its own 'seen'
 * scratch).
 */
#ifndef NFREC_BATCH_H
#define NFREC_BATCH_H

#include "c.h"

typedef struct BatchModel
{
	int			factors;
	int			nitems;
	const float *Y;				/* nitems x factors, row-major */
	const float *Yn;			/* rows of Y scaled to unit length (zero rows stay zero) */
	const uint8 *has_dir;		/* nitems: 1 when the row of Y is not zero */
} BatchModel;

typedef struct BatchBlock
{
	int			nusers;
	const float *X;				/* nusers x factors, row-major */
	const int32 *ev_ptr;		/* nusers + 1 offsets into ev_rows / ev_w */
	const int32 *ev_rows;		/* training title rows of each user, ascending */
	const float *ev_w;			/* their summed weights */
	float	   *S;				/* nusers x nitems scores (batch_scores writes it) */
	int			k;				/* list length */
	int		   *got;			/* nusers: rows written per user */
	int32	   *rows;			/* nusers x k: recommended title rows, best first */
	float	   *scores;			/* nusers x k: their scores */
	int32	   *reasons;		/* nusers x k: reason title rows, -1 for none */
} BatchBlock;

/*
 * Scale the rows of Y to unit length into Yn (nitems x factors) and set
 * has_dir[i] to 1 for the rows that are not zero.
 */
extern void batch_unit_rows(const float *Y, int nitems, int factors, float *Yn,
							uint8 *has_dir);

/* S = X Y' for the block (cblas_sgemm: call from the backend thread only). */
extern void batch_scores(const BatchModel *m, BatchBlock *b);

/*
 * Top k and reasons of users [from, to) of the block, from b->S.  Scratch
 * of the calling thread: seen is nitems bytes of zeros, returned as zeros;
 * runmax holds nitems / 16 floats (topk_select_bounded).  Pure C, no BLAS.
 */
extern void batch_select(const BatchModel *m, BatchBlock *b, int from, int to, uint8 *seen,
						 float *runmax);

#endif
