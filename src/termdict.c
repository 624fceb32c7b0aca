/*
 * termdict.c -- a string dictionary: term bytes -> dense id 0..n-1.
 *
 * Linear probing with the load factor kept at or below 1/2, full 32-bit
 * hashes stored per term so probes rarely touch the string pool.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "termdict.h"

/* Ids are int32 and slot counts are doubled: keep well clear of overflow. */
#define TERMDICT_MAX_TERMS	(1 << 29)

static inline uint32
TermHash(const char *s, int32 len)
{
	return hash_bytes((const unsigned char *) s, len);
}

TermDict *
termdict_create(MemoryContext cxt, int32 expected)
{
	TermDict   *d = MemoryContextAllocZero(cxt, sizeof(TermDict));
	uint32		nslots = 64;

	expected = Max(expected, 16);
	expected = Min(expected, TERMDICT_MAX_TERMS);
	while (nslots < (uint32) expected * 2)
		nslots <<= 1;

	d->cxt = cxt;
	d->cap = expected;
	d->mask = nslots - 1;
	d->slots = MemoryContextAllocHuge(cxt, sizeof(int32) * nslots);
	memset(d->slots, 0xff, sizeof(int32) * nslots);
	d->hashes = MemoryContextAllocHuge(cxt, sizeof(uint32) * d->cap);
	d->offs = MemoryContextAllocHuge(cxt, sizeof(Size) * d->cap);
	d->lens = MemoryContextAllocHuge(cxt, sizeof(int32) * d->cap);
	d->poolcap = (Size) expected * 8;
	d->pool = MemoryContextAllocHuge(cxt, d->poolcap);
	return d;
}

static inline int32
Probe(const TermDict *d, const char *s, int32 len, uint32 h, uint32 *slot)
{
	uint32		i = h & d->mask;

	for (;;)
	{
		int32		id = d->slots[i];

		if (id < 0)
		{
			*slot = i;
			return -1;
		}
		if (d->hashes[id] == h && d->lens[id] == len &&
			memcmp(d->pool + d->offs[id], s, len) == 0)
		{
			*slot = i;
			return id;
		}
		i = (i + 1) & d->mask;
	}
}

int32
termdict_find(const TermDict *d, const char *s, int32 len)
{
	uint32		slot;

	return Probe(d, s, len, TermHash(s, len), &slot);
}

static void
GrowSlots(TermDict *d)
{
	uint32		nslots = (d->mask + 1) * 2;
	int32	   *slots = MemoryContextAllocHuge(d->cxt, sizeof(int32) * nslots);

	memset(slots, 0xff, sizeof(int32) * nslots);
	for (int32 id = 0; id < d->nterms; id++)
	{
		uint32		i = d->hashes[id] & (nslots - 1);

		while (slots[i] >= 0)
			i = (i + 1) & (nslots - 1);
		slots[i] = id;
	}
	pfree(d->slots);
	d->slots = slots;
	d->mask = nslots - 1;
}

int32
termdict_add(TermDict *d, const char *s, int32 len, bool *added)
{
	uint32		h = TermHash(s, len);
	uint32		slot;
	int32		id = Probe(d, s, len, h, &slot);

	if (id >= 0)
	{
		if (added)
			*added = false;
		return id;
	}

	if (d->nterms >= TERMDICT_MAX_TERMS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct terms"),
				 errdetail("At most %d distinct terms are supported.",
						   TERMDICT_MAX_TERMS)));

	if (d->nterms == d->cap)
	{
		d->cap *= 2;
		d->hashes = repalloc_huge(d->hashes, sizeof(uint32) * d->cap);
		d->offs = repalloc_huge(d->offs, sizeof(Size) * d->cap);
		d->lens = repalloc_huge(d->lens, sizeof(int32) * d->cap);
	}
	if (d->poolused + len > d->poolcap)
	{
		while (d->poolused + len > d->poolcap)
			d->poolcap *= 2;
		d->pool = repalloc_huge(d->pool, d->poolcap);
	}

	id = d->nterms++;
	memcpy(d->pool + d->poolused, s, len);
	d->offs[id] = d->poolused;
	d->lens[id] = len;
	d->hashes[id] = h;
	d->poolused += len;
	d->slots[slot] = id;

	if ((uint32) d->nterms * 2 > d->mask + 1)
		GrowSlots(d);

	if (added)
		*added = true;
	return id;
}

static int
CompareIds(const void *a, const void *b, void *arg)
{
	const TermDict *d = (const TermDict *) arg;
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return term_cmp(d->pool + d->offs[x], d->lens[x],
					d->pool + d->offs[y], d->lens[y]);
}

int32 *
termdict_sorted_ids(const TermDict *d)
{
	int32	   *ids = MemoryContextAllocHuge(CurrentMemoryContext,
											 sizeof(int32) * Max(d->nterms, 1));

	for (int32 i = 0; i < d->nterms; i++)
		ids[i] = i;
	qsort_arg(ids, d->nterms, sizeof(int32), CompareIds, (void *) d);
	return ids;
}
