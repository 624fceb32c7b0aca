/*
 * batch.c -- blocked scoring, exclusion, top-k and reasons for many users
 * (see batch.h).  No PostgreSQL calls; model_batch.c is the glue.
 */
#include "batch.h"

#include <math.h>

#include <cblas.h>

#include "topk.h"

void
batch_unit_rows(const float *Y, int nitems, int factors, float *Yn,
				uint8 *has_dir)
{
	for (int i = 0; i < nitems; i++)
	{
		const float *y = Y + (Size) i * factors;
		float	   *o = Yn + (Size) i * factors;
		double		s = 0.0;
		float		inv;

		for (int a = 0; a < factors; a++)
			s += (double) y[a] * y[a];
		inv = s > 0.0 ? (float) (1.0 / sqrt(s)) : 0.0f;
		has_dir[i] = s > 0.0;
		for (int a = 0; a < factors; a++)
			o[a] = y[a] * inv;
	}
}

void
batch_scores(const BatchModel *m, BatchBlock *b)
{
	if (b->nusers == 0)
		return;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
				b->nusers, m->nitems, m->factors,
				1.0f, b->X, m->factors, m->Y, m->factors,
				0.0f, b->S, m->nitems);
}

static inline float
Dot(const float *restrict a, const float *restrict b, int f)
{
	float		s = 0.0f;

#pragma omp simd reduction(+:s)
	for (int i = 0; i < f; i++)
		s += a[i] * b[i];
	return s;
}

void
batch_select(const BatchModel *m, BatchBlock *b, int from, int to, uint8 *seen,
			 float *runmax)
{
	int			f = m->factors,
				k = b->k;

	for (int u = from; u < to; u++)
	{
		const int32 *ev = b->ev_rows + b->ev_ptr[u];
		const float *w = b->ev_w + b->ev_ptr[u];
		int			nev = b->ev_ptr[u + 1] - b->ev_ptr[u];
		int32	   *rows = b->rows + (Size) u * k;
		float	   *scores = b->scores + (Size) u * k;
		int32	   *reasons = b->reasons + (Size) u * k;
		const float *s = b->S + (Size) u * m->nitems;
		int			got;

		for (int j = 0; j < nev; j++)
			seen[ev[j]] = 1;
		got = topk_select_bounded(s, m->nitems, seen, k, rows, runmax);
		for (int j = 0; j < nev; j++)
			seen[ev[j]] = 0;
		b->got[u] = got;

		for (int r = 0; r < got; r++)
		{
			const float *yr = m->Yn + (Size) rows[r] * f;
			float		best = -INFINITY;
			int32		arg = -1;

			scores[r] = s[rows[r]];
			/* a title with a zero vector has no cosine with anything */
			if (m->has_dir[rows[r]])
			{
				for (int j = 0; j < nev; j++)
				{
					float		c;

					/* only titles the user liked (weight > 0) are reasons */
					if (!(w[j] > 0.0f) || !m->has_dir[ev[j]])
						continue;
					c = Dot(yr, m->Yn + (Size) ev[j] * f, f);
					if (c > best)
					{
						best = c;
						arg = ev[j];
					}
				}
			}
			reasons[r] = arg;
		}
	}
}
