/*
 * termsim.h -- all-pairs top-n cosine search over sparse vectors with an
 * inverted index (plain arrays, no PostgreSQL calls: thread-safe).
 *
 * Documents are rows of a CSR matrix of unit-normalized weights; the
 * postings are its transpose.  For a query document q the scores of all
 * documents sharing a term with q are accumulated term by term
 * (score[d] += w_q,t * w_d,t over q's terms t), so the work is the sum
 * over q's terms of their posting lengths -- no pair that shares nothing
 * is ever touched.
 *
 * The accumulation runs in float (the score array of a 15,000-title
 * catalog then fits in L1 cache), keeping a few more candidates than asked
 * for; the candidates are then rescored exactly in double by a merge of
 * the two rows, and the n best (score desc, then smaller id) with a
 * positive score are returned.
 */
#ifndef NFREC_TERMSIM_H
#define NFREC_TERMSIM_H

#include "c.h"

typedef struct TermSimIndex
{
	int32		ndocs;
	int32		nterms;
	const int64 *ids;			/* per document: its id (ties: smaller first) */
	const int64 *doc_ptr;		/* ndocs + 1 */
	const int32 *doc_term;		/* each row sorted by term id */
	const double *doc_w;		/* unit-normalized weights */
	const int64 *post_ptr;		/* nterms + 1 */
	const int32 *post_doc;
	const float *post_w;
} TermSimIndex;

/* Per-thread scratch; acc and stamp must be zeroed before the first call. */
typedef struct TermSimScratch
{
	float	   *acc;			/* ndocs */
	int32	   *stamp;			/* ndocs: query document + 1 that touched d */
	int32	   *touched;		/* ndocs */
	int32	   *cand_doc;		/* termsim_candidates(n, ndocs) */
	double	   *cand_score;		/* idem */
} TermSimScratch;

/* How many candidates are kept per query before exact rescoring. */
extern int32 termsim_candidates(int32 n, int32 ndocs);

/*
 * Sort each document row by term id (in place) and fill post_ptr
 * (nterms + 1), post_doc and post_w (doc_ptr[ndocs] each).  Postings come
 * out in document order.
 */
extern void termsim_prepare(int32 ndocs, int32 nterms,
							const int64 *doc_ptr, int32 *doc_term, double *doc_w,
							int64 *post_ptr, int32 *post_doc, float *post_w);

/*
 * Top-n neighbours of queries[0..nq): result k of query i goes to
 * out_doc[i * n + k] / out_score[i * n + k], out_count[i] says how many.
 * Queries must be distinct across all calls sharing the scratch.  Runs on
 * nthreads threads (the caller's included), each with its own scratch[t];
 * work of threads that cannot be started is done by the others.
 */
extern void termsim_topn(const TermSimIndex *ix, const int32 *queries, int32 nq,
						 int32 n, int nthreads, TermSimScratch *scratch,
						 int32 *out_doc, double *out_score, int32 *out_count);

#endif
