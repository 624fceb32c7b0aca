/*
 * termsim.c -- all-pairs top-n cosine search with an inverted index.
 *
 * No PostgreSQL calls: the glue (similar_by_terms.c) allocates every
 * buffer, calls this in chunks and checks for interrupts between them.
 */
#include "termsim.h"

#include <pthread.h>

void
termsim_build_postings(int32 ndocs, int32 nterms,
					   const int64 *doc_ptr, const int32 *doc_term,
					   const double *doc_w,
					   int64 *post_ptr, int32 *post_doc, double *post_w)
{
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
			post_w[p] = doc_w[k];
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
		{
			int32		td = hd[i];
			double		ts = hs[i];

			hd[i] = hd[w];
			hs[i] = hs[w];
			hd[w] = td;
			hs[w] = ts;
		}
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
		{
			int32		td = hd[i];
			double		ts = hs[i];

			hd[i] = hd[p];
			hs[i] = hs[p];
			hd[p] = td;
			hs[p] = ts;
		}
		i = p;
	}
}

static int32
QueryTopn(const TermSimIndex *ix, int32 q, int32 n,
		  TermSimScratch *s, int32 *hd, double *hs)
{
	int32		ntouched = 0;
	int32		len = 0;
	int32		mark = q + 1;	/* queries are distinct within a run */
	double	   *acc = s->acc;
	int32	   *stamp = s->stamp;
	int32	   *touched = s->touched;

	for (int64 k = ix->doc_ptr[q]; k < ix->doc_ptr[q + 1]; k++)
	{
		int32		t = ix->doc_term[k];
		double		wq = ix->doc_w[k];
		const int32 *pd = ix->post_doc + ix->post_ptr[t];
		const double *pw = ix->post_w + ix->post_ptr[t];
		int64		m = ix->post_ptr[t + 1] - ix->post_ptr[t];

		for (int64 j = 0; j < m; j++)
		{
			int32		d = pd[j];

			if (stamp[d] != mark)
			{
				stamp[d] = mark;
				acc[d] = 0.0;
				touched[ntouched++] = d;
			}
			acc[d] += wq * pw[j];
		}
	}

	for (int32 j = 0; j < ntouched; j++)
	{
		int32		d = touched[j];
		double		sc = acc[d];

		if (d == q || !(sc > 0.0))
			continue;
		if (len < n)
		{
			hd[len] = d;
			hs[len] = sc;
			SiftUp(ix, hd, hs, len);
			len++;
		}
		else if (Better(ix, sc, d, hs[0], hd[0]))
		{
			hd[0] = d;
			hs[0] = sc;
			SiftDown(ix, hd, hs, len, 0);
		}
	}

	/* heap sort in place: repeatedly move the worst to the end */
	for (int32 end = len - 1; end > 0; end--)
	{
		int32		td = hd[0];
		double		ts = hs[0];

		hd[0] = hd[end];
		hs[0] = hs[end];
		hd[end] = td;
		hs[end] = ts;
		SiftDown(ix, hd, hs, end, 0);
	}
	return len;
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
