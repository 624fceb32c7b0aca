/*
 * termsim.c -- all-pairs top-n cosine search with an inverted index.
 *
 * No PostgreSQL calls: the glue (similar_by_terms.c) allocates every
 * buffer, calls this in chunks and checks for interrupts between them.
 */
#include "termsim.h"

#include <float.h>
#include <pthread.h>

int32
termsim_candidates(int32 n, int32 ndocs)
{
	int64		m = (int64) n + Min(n, 16);

	return (int32) Max(1, Min(m, (int64) ndocs - 1));
}

void
termsim_prepare(int32 ndocs, int32 nterms,
				const int64 *doc_ptr, int32 *doc_term, double *doc_w,
				int64 *post_ptr, int32 *post_doc, float *post_w)
{
	/* rows by term id (insertion sort: rows are short) */
	for (int32 d = 0; d < ndocs; d++)
		for (int64 k = doc_ptr[d] + 1; k < doc_ptr[d + 1]; k++)
		{
			int32		t = doc_term[k];
			double		w = doc_w[k];
			int64		j = k;

			while (j > doc_ptr[d] && doc_term[j - 1] > t)
			{
				doc_term[j] = doc_term[j - 1];
				doc_w[j] = doc_w[j - 1];
				j--;
			}
			doc_term[j] = t;
			doc_w[j] = w;
		}

	for (int32 t = 0; t <= nterms; t++)
		post_ptr[t] = 0;
	for (int64 k = 0; k < doc_ptr[ndocs]; k++)
		post_ptr[doc_term[k] + 1]++;
	for (int32 t = 0; t < nterms; t++)
		post_ptr[t + 1] += post_ptr[t];
	/* post_ptr[t] is used as the fill cursor, then shifted back */
	for (int32 d = 0; d < ndocs; d++)
		for (int64 k = doc_ptr[d]; k < doc_ptr[d + 1]; k++)
		{
			int64		p = post_ptr[doc_term[k]]++;

			post_doc[p] = d;
			post_w[p] = (float) doc_w[k];
		}
	for (int32 t = nterms; t > 0; t--)
		post_ptr[t] = post_ptr[t - 1];
	post_ptr[0] = 0;
}

/* Is (sa, da) ranked before (sb, db)? Higher score, then smaller id. */
static inline bool
Better(const TermSimIndex *ix, double sa, int32 da, double sb, int32 db)
{
	if (sa != sb)
		return sa > sb;
	return ix->ids[da] < ix->ids[db];
}

static inline void
Swap(int32 *hd, double *hs, int32 i, int32 j)
{
	int32		td = hd[i];
	double		ts = hs[i];

	hd[i] = hd[j];
	hs[i] = hs[j];
	hd[j] = td;
	hs[j] = ts;
}

/* Min-heap on "Better": the root is the worst of the kept results. */
static void
SiftDown(const TermSimIndex *ix, int32 *hd, double *hs, int32 len, int32 i)
{
	for (;;)
	{
		int32		l = 2 * i + 1;
		int32		r = l + 1;
		int32		w = i;

		if (l < len && Better(ix, hs[w], hd[w], hs[l], hd[l]))
			w = l;
		if (r < len && Better(ix, hs[w], hd[w], hs[r], hd[r]))
			w = r;
		if (w == i)
			return;
		Swap(hd, hs, i, w);
		i = w;
	}
}

static void
SiftUp(const TermSimIndex *ix, int32 *hd, double *hs, int32 i)
{
	while (i > 0)
	{
		int32		p = (i - 1) / 2;

		if (!Better(ix, hs[p], hd[p], hs[i], hd[i]))
			return;
		Swap(hd, hs, i, p);
		i = p;
	}
}

/* Offer document d with score sc to the heap of the m best. */
static inline void
Offer(const TermSimIndex *ix, int32 *hd, double *hs, int32 *len, int32 m,
	  int32 d, double sc)
{
	if (*len < m)
	{
		hd[*len] = d;
		hs[*len] = sc;
		SiftUp(ix, hd, hs, *len);
		(*len)++;
	}
	else if (Better(ix, sc, d, hs[0], hd[0]))
	{
		hd[0] = d;
		hs[0] = sc;
		SiftDown(ix, hd, hs, *len, 0);
	}
}

/* Exact dot product of two unit-normalized rows (merge on term ids). */
static double
ExactDot(const TermSimIndex *ix, int32 a, int32 b)
{
	int64		i = ix->doc_ptr[a],
				ie = ix->doc_ptr[a + 1];
	int64		j = ix->doc_ptr[b],
				je = ix->doc_ptr[b + 1];
	double		dot = 0.0;

	while (i < ie && j < je)
	{
		int32		ti = ix->doc_term[i];
		int32		tj = ix->doc_term[j];

		if (ti == tj)
			dot += ix->doc_w[i++] * ix->doc_w[j++];
		else if (ti < tj)
			i++;
		else
			j++;
	}
	return dot;
}

/*
 * Two ways to accumulate, chosen per query.  When q's postings add up to a
 * good share of the catalog (common terms), nearly every document gets a
 * score: accumulate into the dense array and scan it once, with no
 * bookkeeping in the inner loop.  Otherwise remember which documents were
 * touched and look only at those.  Either way acc[] is all zeros between
 * queries.
 */
static int32
QueryTopn(const TermSimIndex *ix, int32 q, int32 n, TermSimScratch *s,
		  int32 *out_doc, double *out_score)
{
	int32		m = termsim_candidates(n, ix->ndocs);
	int32	   *hd = s->cand_doc;
	double	   *hs = s->cand_score;
	int32		len = 0;
	int32		keep = 0;
	float	   *acc = s->acc;
	int64		work = 0;
	float		thr = FLT_TRUE_MIN; /* smallest score worth offering */

	for (int64 k = ix->doc_ptr[q]; k < ix->doc_ptr[q + 1]; k++)
		work += ix->post_ptr[ix->doc_term[k] + 1] - ix->post_ptr[ix->doc_term[k]];

	if (work * 4 >= ix->ndocs)
	{
		for (int64 k = ix->doc_ptr[q]; k < ix->doc_ptr[q + 1]; k++)
		{
			int32		t = ix->doc_term[k];
			float		wq = (float) ix->doc_w[k];
			const int32 *pd = ix->post_doc + ix->post_ptr[t];
			const float *pw = ix->post_w + ix->post_ptr[t];
			int64		np = ix->post_ptr[t + 1] - ix->post_ptr[t];

			for (int64 j = 0; j < np; j++)
				acc[pd[j]] += wq * pw[j];
		}

		/*
		 * Once the heap is full almost nothing beats its worst entry, so
		 * this branch is well predicted; zero the array afterwards.
		 */
		for (int32 d = 0; d < ix->ndocs; d++)
		{
			float		sc = acc[d];

			if (sc >= thr && d != q)
			{
				Offer(ix, hd, hs, &len, m, d, sc);
				if (len == m)
					thr = (float) hs[0];
			}
		}
		memset(acc, 0, sizeof(float) * ix->ndocs);
	}
	else
	{
		int32	   *stamp = s->stamp;
		int32	   *touched = s->touched;
		int32		ntouched = 0;
		int32		mark = q + 1;	/* queries are distinct within a run */

		for (int64 k = ix->doc_ptr[q]; k < ix->doc_ptr[q + 1]; k++)
		{
			int32		t = ix->doc_term[k];
			float		wq = (float) ix->doc_w[k];
			const int32 *pd = ix->post_doc + ix->post_ptr[t];
			const float *pw = ix->post_w + ix->post_ptr[t];
			int64		np = ix->post_ptr[t + 1] - ix->post_ptr[t];

			for (int64 j = 0; j < np; j++)
			{
				int32		d = pd[j];

				if (stamp[d] != mark)
				{
					stamp[d] = mark;
					touched[ntouched++] = d;
				}
				acc[d] += wq * pw[j];
			}
		}
		for (int32 j = 0; j < ntouched; j++)
		{
			int32		d = touched[j];
			float		sc = acc[d];

			acc[d] = 0.0f;
			if (sc >= thr && d != q)
			{
				Offer(ix, hd, hs, &len, m, d, sc);
				if (len == m)
					thr = (float) hs[0];
			}
		}
	}

	/* rescore the candidates exactly, rebuild the heap, sort best first */
	for (int32 i = 0; i < len; i++)
		hs[i] = ExactDot(ix, q, hd[i]);
	for (int32 i = len / 2 - 1; i >= 0; i--)
		SiftDown(ix, hd, hs, len, i);
	for (int32 end = len - 1; end > 0; end--)
	{
		Swap(hd, hs, 0, end);
		SiftDown(ix, hd, hs, end, 0);
	}
	for (int32 i = 0; i < len && keep < n; i++)
	{
		if (!(hs[i] > 0.0))
			break;
		out_doc[keep] = hd[i];
		out_score[keep] = Min(hs[i], 1.0);
		keep++;
	}
	return keep;
}

typedef struct TermSimJob
{
	const TermSimIndex *ix;
	const int32 *queries;
	int32		nq;
	int32		n;
	int32	   *next;			/* shared work counter */
	TermSimScratch *scratch;
	int32	   *out_doc;
	double	   *out_score;
	int32	   *out_count;
} TermSimJob;

#define TERMSIM_GRAIN 8

static void *
Worker(void *arg)
{
	TermSimJob *job = (TermSimJob *) arg;

	for (;;)
	{
		int32		first = __atomic_fetch_add(job->next, TERMSIM_GRAIN, __ATOMIC_RELAXED);

		if (first >= job->nq)
			break;
		for (int32 i = first; i < Min(first + TERMSIM_GRAIN, job->nq); i++)
			job->out_count[i] = QueryTopn(job->ix, job->queries[i], job->n,
										  job->scratch,
										  job->out_doc + (int64) i * job->n,
										  job->out_score + (int64) i * job->n);
	}
	return NULL;
}

void
termsim_topn(const TermSimIndex *ix, const int32 *queries, int32 nq,
			 int32 n, int nthreads, TermSimScratch *scratch,
			 int32 *out_doc, double *out_score, int32 *out_count)
{
	TermSimJob	jobs[64];
	pthread_t	tids[64];
	bool		started[64];
	int32		next = 0;

	nthreads = Max(1, Min(nthreads, 64));
	for (int t = 0; t < nthreads; t++)
	{
		jobs[t].ix = ix;
		jobs[t].queries = queries;
		jobs[t].nq = nq;
		jobs[t].n = n;
		jobs[t].next = &next;
		jobs[t].scratch = &scratch[t];
		jobs[t].out_doc = out_doc;
		jobs[t].out_score = out_score;
		jobs[t].out_count = out_count;
		started[t] = false;
	}
	for (int t = 1; t < nthreads; t++)
		started[t] = pthread_create(&tids[t], NULL, Worker, &jobs[t]) == 0;
	Worker(&jobs[0]);
	for (int t = 1; t < nthreads; t++)
		if (started[t])
			pthread_join(tids[t], NULL);
}
