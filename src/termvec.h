/*
 * termvec.h -- the sparse term-weight vector nfrec.termvec.
 *
 * One varlena, no pointers:
 *
 *   int32   vl_len_
 *   int32   nterms
 *   int32   unused                 (zero; room for flags)
 *   float4  weight[nterms]
 *   uint32  end[nterms]            end offset of term i in the pool;
 *                                  term i is pool[end[i-1] .. end[i])
 *   char    pool[end[nterms-1]]    the terms, concatenated, no terminators
 *
 * Terms are distinct, non-empty and sorted in byte order (COLLATE "C"), so
 * dot products and sums are linear merge-joins.  Weights are finite and
 * non-zero (zeros are dropped when a vector is built): the representation
 * is canonical, so equal vectors have equal bytes.
 *
 * Weights are float4, as in pgvector and the real[] embeddings elsewhere in
 * nfrec: TF-IDF weights carry far fewer than 7 significant digits of
 * meaning, float4 halves the weight storage and keeps a 40-term vector
 * around 600 bytes.  All arithmetic (norms, dot products, sums, idf) is
 * done in double; only the stored weights are rounded.
 */
#ifndef NFREC_TERMVEC_H
#define NFREC_TERMVEC_H

#include "postgres.h"

#include "fmgr.h"

typedef struct TermVec
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		nterms;
	int32		unused;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} TermVec;

#define TERMVEC_HDRSZ			offsetof(TermVec, data)
#define TERMVEC_SIZE(n, pool)	(TERMVEC_HDRSZ + (Size) (n) * (sizeof(float4) + sizeof(uint32)) + (Size) (pool))

#define DatumGetTermVecP(x)		((TermVec *) PG_DETOAST_DATUM(x))
#define PG_GETARG_TERMVEC_P(n)	DatumGetTermVecP(PG_GETARG_DATUM(n))
#define PG_RETURN_TERMVEC_P(x)	PG_RETURN_POINTER(x)

static inline float4 *
TV_WEIGHTS(const TermVec *v)
{
	return (float4 *) v->data;
}

static inline uint32 *
TV_ENDS(const TermVec *v)
{
	return (uint32 *) (v->data + (Size) v->nterms * sizeof(float4));
}

static inline char *
TV_POOL(const TermVec *v)
{
	return (char *) (v->data + (Size) v->nterms * (sizeof(float4) + sizeof(uint32)));
}

/* Term i of v: pointer into the pool and length. */
static inline const char *
TV_TERM(const TermVec *v, int32 i, int32 *len)
{
	const uint32 *ends = TV_ENDS(v);
	uint32		start = i > 0 ? ends[i - 1] : 0;

	*len = (int32) (ends[i] - start);
	return TV_POOL(v) + start;
}

/* A (term, weight) pair on the way into a vector. */
typedef struct TermWeight
{
	const char *term;
	int32		len;
	double		weight;
} TermWeight;

/*
 * Build a vector from pairs.  Unless "sorted" (pairs already in byte order
 * of their terms and distinct), the pairs are sorted here and a duplicate
 * term is an error with errcode dup_errcode.  Zero weights are dropped;
 * NaN or infinite weights and weights outside float4's range are errors.
 */
extern TermVec *termvec_build(TermWeight *items, int32 n, bool sorted, int dup_errcode);

/* An empty vector (no terms). */
extern TermVec *termvec_empty(void);

/* Euclidean norm, computed in double. */
extern double termvec_norm(const TermVec *v);

#endif
