/*
 * termdict.h -- a string dictionary: term bytes -> dense id 0..n-1.
 *
 * Used wherever terms from many vectors or documents meet: the sum/avg
 * aggregate over termvecs, the TF-IDF vocabulary, the inverted index of
 * similar_by_terms.  Open addressing over a string pool; all memory lives in
 * the memory context given at creation (huge allocations allowed, so a
 * vocabulary is not capped at 1 GB), and is released with that context.
 *
 * Terms are compared as bytes, like COLLATE "C".
 */
#ifndef NFREC_TERMDICT_H
#define NFREC_TERMDICT_H

#include "postgres.h"

typedef struct TermDict
{
	MemoryContext cxt;
	int32		nterms;
	int32		cap;			/* allocated length of the per-term arrays */
	uint32		mask;			/* slot count - 1 (slot count a power of 2) */
	int32	   *slots;			/* term id, or -1 if empty */
	uint32	   *hashes;			/* per term */
	Size	   *offs;			/* per term: start in pool */
	int32	   *lens;			/* per term: length in bytes */
	char	   *pool;
	Size		poolused;
	Size		poolcap;
} TermDict;

extern TermDict *termdict_create(MemoryContext cxt, int32 expected);

/* Id of a term, or -1 if it is not in the dictionary. */
extern int32 termdict_find(const TermDict *d, const char *s, int32 len);

/* Id of a term, adding it if needed; *added tells which (may be NULL). */
extern int32 termdict_add(TermDict *d, const char *s, int32 len, bool *added);

static inline const char *
termdict_term(const TermDict *d, int32 id, int32 *len)
{
	*len = d->lens[id];
	return d->pool + d->offs[id];
}

/* Term ids in byte order of their terms (palloc'd in CurrentMemoryContext). */
extern int32 *termdict_sorted_ids(const TermDict *d);

/* Byte-order comparison of two terms (memcmp, then shorter first). */
static inline int
term_cmp(const char *a, int32 la, const char *b, int32 lb)
{
	int			r = memcmp(a, b, Min(la, lb));

	if (r != 0)
		return r;
	return (la > lb) - (la < lb);
}

#endif
