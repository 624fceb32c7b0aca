/*
 * triples.c -- the raw-rows state shared by the training aggregates
 * (triples.h): reserve, add, combine, serialize, deserialize; also filled
 * row by row outside an aggregate (nfrec.train).  SQL glue.  A partial
 * state crosses between parallel processes in a compact, lossless form
 * (varints: see "The rows on the wire" below).
 *
 * The transition is the training aggregates' hot path (one call a row):
 * the common case is a bounds check and three stores.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "triples.h"

/* Serialized state: header, options bytes (padded to 8), the rows (below). */
typedef struct NfTriplesWire
{
	uint32		magic;
	int32		options_len;	/* -1: options not set, 0: NULL options */
	int64		n;
	int64		nskipped;
} NfTriplesWire;

#define TRIPLES_ALIGN8(x)	(((x) + 7) & ~((Size) 7))

static NfTriples *
NewTriples(MemoryContext cxt)
{
	return (NfTriples *) MemoryContextAllocZero(cxt, sizeof(NfTriples));
}

static void
Reserve(NfTriples *st, MemoryContext cxt, int64 need, const NfTriplesKind *kind)
{
	int64		cap;

	if (need <= st->cap)
		return;
	if (need > NF_TRIPLES_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many interactions for %s", kind->agg),
				 errdetail("At most %d rows can be aggregated.", PG_INT32_MAX)));
	cap = Min(Max(Max(st->cap * 2, 1024), need), NF_TRIPLES_MAX_ROWS);
	if (st->users == NULL)
	{
		st->users = MemoryContextAllocHuge(cxt, sizeof(int64) * cap);
		st->items = MemoryContextAllocHuge(cxt, sizeof(int64) * cap);
		st->weights = MemoryContextAllocHuge(cxt, sizeof(double) * cap);
	}
	else
	{
		st->users = repalloc_huge(st->users, sizeof(int64) * cap);
		st->items = repalloc_huge(st->items, sizeof(int64) * cap);
		st->weights = repalloc_huge(st->weights, sizeof(double) * cap);
	}
	st->cap = cap;
}

/* Record the options of a row or of a combined state (the first ones win). */
static void
SetOptions(NfTriples *st, MemoryContext cxt, const Jsonb *opt, const NfTriplesKind *kind)
{
	if (!st->options_set)
	{
		if (opt)
		{
			st->options = MemoryContextAlloc(cxt, VARSIZE(opt));
			memcpy(st->options, opt, VARSIZE(opt));
		}
		st->options_set = true;
	}
	else if ((opt == NULL) != (st->options == NULL) ||
			 (opt && (VARSIZE(opt) != VARSIZE(st->options) ||
					  memcmp(opt, st->options, VARSIZE(opt)) != 0)))
		kind->options_differ();
}

/* One row with no NULL: ERROR on a non-finite weight. */
static inline void
AddRow(NfTriples *st, MemoryContext cxt, int64 user, int64 item, double w,
	   const NfTriplesKind *kind)
{
	if (isnan(w) || isinf(w))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s weight must be a finite number", kind->agg),
				 errdetail("The row (user " INT64_FORMAT ", %s " INT64_FORMAT ") has weight %s.",
						   user, kind->item, item, float8out_internal(w))));
	if (unlikely(st->n >= st->cap))
		Reserve(st, cxt, st->n + 1, kind);
	st->users[st->n] = user;
	st->items[st->n] = item;
	st->weights[st->n] = w;
	st->n++;
}

NfTriples *
nf_triples_new(MemoryContext cxt)
{
	return NewTriples(cxt);
}

void
nf_triples_add(NfTriples *st, MemoryContext cxt, int64 user, int64 item,
			   double weight, const NfTriplesKind *kind)
{
	AddRow(st, cxt, user, item, weight, kind);
}

Datum
nf_triples_accum(FunctionCallInfo fcinfo, const NfTriplesKind *kind)
{
	MemoryContext aggcxt;
	NfTriples  *st;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "%s_trans called in non-aggregate context", kind->agg);
	st = PG_ARGISNULL(0) ? NewTriples(aggcxt) : (NfTriples *) PG_GETARG_POINTER(0);

	if (PG_NARGS() > 4)
	{
		Jsonb	   *opt = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);

		if (!st->options_set)
			kind->check_options(opt);	/* report bad options at once */
		SetOptions(st, aggcxt, opt, kind);
	}

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		st->nskipped++;
		PG_RETURN_POINTER(st);
	}
	AddRow(st, aggcxt, PG_GETARG_INT64(1), PG_GETARG_INT64(2), PG_GETARG_FLOAT8(3), kind);
	PG_RETURN_POINTER(st);
}

Datum
nf_triples_combine(FunctionCallInfo fcinfo, const NfTriplesKind *kind)
{
	MemoryContext aggcxt;
	NfTriples  *s1,
			   *s2;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "%s_combine called in non-aggregate context", kind->agg);
	s1 = PG_ARGISNULL(0) ? NULL : (NfTriples *) PG_GETARG_POINTER(0);
	s2 = PG_ARGISNULL(1) ? NULL : (NfTriples *) PG_GETARG_POINTER(1);
	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = NewTriples(aggcxt);

	if (s2->options_set)
		SetOptions(s1, aggcxt, s2->options, kind);
	if (s2->n > 0)
	{
		Reserve(s1, aggcxt, s1->n + s2->n, kind);
		memcpy(s1->users + s1->n, s2->users, sizeof(int64) * s2->n);
		memcpy(s1->items + s1->n, s2->items, sizeof(int64) * s2->n);
		memcpy(s1->weights + s1->n, s2->weights, sizeof(double) * s2->n);
		s1->n += s2->n;
	}
	s1->nskipped += s2->nskipped;
	PG_RETURN_POINTER(s1);
}

/*
 * The rows on the wire, compactly (a partial state must fit in one 1 GB
 * bytea): per row three varints (7 bits a byte, low bits first):
 *   user:   zigzag of the difference from the previous row's user (rows of
 *           one user tend to come together: usually 1 byte)
 *   item:   zigzag of the id (1 to 3 bytes for ids below 2 million)
 *   weight: zigzag(w) << 2 when w is an integer below 2^53 in magnitude
 *           (not -0), else the tag 1 and the 4 bytes of a float4 that
 *           holds it exactly, else the tag 2 and its 8 bytes
 * A row takes 3 to 29 bytes; counts as weights, the common case, take 3
 * to 5 against 24 uncompressed.  Lossless: deserialize gives the same
 * int64/int64/float8 rows in the same order.
 */
#define WEIGHT_INT_LIMIT	9007199254740992.0	/* 2^53 */

static inline uint64
ZigZag(int64 v)
{
	return ((uint64) v << 1) ^ (uint64) (v >> 63);
}

static inline int64
UnZigZag(uint64 v)
{
	return (int64) ((v >> 1) ^ (~(v & 1) + 1));
}

static inline int
VarintSize(uint64 v)
{
	int			n = 1;

	while (v >= 128)
	{
		v >>= 7;
		n++;
	}
	return n;
}

static inline char *
PutVarint(char *p, uint64 v)
{
	while (v >= 128)
	{
		*p++ = (char) ((v & 127) | 128);
		v >>= 7;
	}
	*p++ = (char) v;
	return p;
}

/* The weight's first varint, and how many raw bytes follow it (0, 4, 8). */
static inline uint64
WeightCode(double w, int *raw)
{
	if (fabs(w) < WEIGHT_INT_LIMIT && w == floor(w) && !(w == 0 && signbit(w)))
	{
		*raw = 0;
		return ZigZag((int64) w) << 2;
	}
	if ((double) (float) w == w)
	{
		*raw = 4;
		return 1;
	}
	*raw = 8;
	return 2;
}

static Size
RowsWireBytes(const NfTriples *st)
{
	Size		size = 0;
	int64		prev = 0;

	for (int64 r = 0; r < st->n; r++)
	{
		int			raw;
		uint64		code = WeightCode(st->weights[r], &raw);

		size += VarintSize(ZigZag((int64) ((uint64) st->users[r] - (uint64) prev)));
		size += VarintSize(ZigZag(st->items[r]));
		size += VarintSize(code) + raw;
		prev = st->users[r];
		if ((r & 1048575) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return size;
}

static void
PutRows(const NfTriples *st, char *p)
{
	int64		prev = 0;

	for (int64 r = 0; r < st->n; r++)
	{
		double		w = st->weights[r];
		int			raw;
		uint64		code = WeightCode(w, &raw);

		p = PutVarint(p, ZigZag((int64) ((uint64) st->users[r] - (uint64) prev)));
		p = PutVarint(p, ZigZag(st->items[r]));
		p = PutVarint(p, code);
		if (raw == 4)
		{
			float		f = (float) w;

			memcpy(p, &f, 4);
		}
		else if (raw == 8)
			memcpy(p, &w, 8);
		p += raw;
		prev = st->users[r];
	}
}

typedef struct WireReader
{
	const char *p;
	const char *end;
	const NfTriplesKind *kind;
} WireReader;

static uint64
GetVarint(WireReader *rd)
{
	uint64		v = 0;

	for (int shift = 0; shift < 64; shift += 7)
	{
		uint8		b;

		if (rd->p >= rd->end)
			break;
		b = (uint8) *rd->p++;
		v |= (uint64) (b & 127) << shift;
		if (b < 128)
			return v;
	}
	elog(ERROR, "invalid %s partial state", rd->kind->agg);
	return 0;					/* keep the compiler quiet */
}

static void
GetRaw(WireReader *rd, void *dst, int n)
{
	if (rd->end - rd->p < n)
		elog(ERROR, "invalid %s partial state", rd->kind->agg);
	memcpy(dst, rd->p, n);
	rd->p += n;
}

Datum
nf_triples_serialize(FunctionCallInfo fcinfo, const NfTriplesKind *kind)
{
	NfTriples  *st = (NfTriples *) PG_GETARG_POINTER(0);
	NfTriplesWire hdr;
	Size		optbytes,
				rowbytes,
				size;
	bytea	   *out;
	char	   *p;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "%s_serialize called in non-aggregate context", kind->agg);
	hdr.magic = kind->magic;
	hdr.options_len = !st->options_set ? -1 : st->options ? (int32) VARSIZE(st->options) : 0;
	hdr.n = st->n;
	hdr.nskipped = st->nskipped;
	optbytes = hdr.options_len > 0 ? TRIPLES_ALIGN8((Size) hdr.options_len) : 0;
	rowbytes = RowsWireBytes(st);
	size = VARHDRSZ + sizeof(hdr) + optbytes + rowbytes;
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s partial state of " INT64_FORMAT " rows is too large to pass between parallel workers",
						kind->agg, st->n),
				 errdetail("The rows take %zu bytes (%.1f a row), more than the 1 GB of one value.",
						   rowbytes, st->n > 0 ? (double) rowbytes / st->n : 0.0),
				 errhint("Allow more parallel workers (max_parallel_workers_per_gather), or disable parallel query for this statement: SET max_parallel_workers_per_gather = 0.")));
	out = (bytea *) palloc_extended(size, MCXT_ALLOC_HUGE);
	SET_VARSIZE(out, size);
	p = VARDATA(out);
	memcpy(p, &hdr, sizeof(hdr));
	p += sizeof(hdr);
	if (hdr.options_len > 0)
	{
		memset(p, 0, optbytes);
		memcpy(p, st->options, hdr.options_len);
	}
	p += optbytes;
	PutRows(st, p);
	PG_RETURN_BYTEA_P(out);
}

Datum
nf_triples_deserialize(FunctionCallInfo fcinfo, const NfTriplesKind *kind)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(in);
	Size		len = VARSIZE_ANY_EXHDR(in);
	NfTriplesWire hdr;
	NfTriples  *st;
	Size		optbytes;
	WireReader	rd;
	int64		prev = 0;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "%s_deserialize called in non-aggregate context", kind->agg);
	if (len < sizeof(hdr))
		elog(ERROR, "invalid %s partial state", kind->agg);
	memcpy(&hdr, p, sizeof(hdr));
	p += sizeof(hdr);
	optbytes = hdr.options_len > 0 ? TRIPLES_ALIGN8((Size) hdr.options_len) : 0;
	if (hdr.magic != kind->magic || hdr.n < 0 || hdr.n > NF_TRIPLES_MAX_ROWS ||
		hdr.options_len < -1 || (hdr.options_len > 0 && hdr.options_len < VARHDRSZ) ||
		len < sizeof(hdr) + optbytes + 3 * (Size) hdr.n)
		elog(ERROR, "invalid %s partial state", kind->agg);

	st = NewTriples(CurrentMemoryContext);
	st->nskipped = hdr.nskipped;
	st->options_set = hdr.options_len >= 0;
	if (hdr.options_len > 0)
	{
		st->options = palloc(hdr.options_len);
		memcpy(st->options, p, hdr.options_len);
	}
	p += optbytes;
	rd.p = p;
	rd.end = VARDATA_ANY(in) + len;
	rd.kind = kind;
	if (hdr.n > 0)
		Reserve(st, CurrentMemoryContext, hdr.n, kind);
	for (int64 r = 0; r < hdr.n; r++)
	{
		uint64		code;
		double		w;

		prev = (int64) ((uint64) prev + (uint64) UnZigZag(GetVarint(&rd)));
		st->users[r] = prev;
		st->items[r] = UnZigZag(GetVarint(&rd));
		code = GetVarint(&rd);
		if ((code & 3) == 0)
			w = (double) UnZigZag(code >> 2);
		else if (code == 1)
		{
			float		f;

			GetRaw(&rd, &f, 4);
			w = f;
		}
		else if (code == 2)
			GetRaw(&rd, &w, 8);
		else
			elog(ERROR, "invalid %s partial state", kind->agg);
		st->weights[r] = w;
		if ((r & 1048575) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (rd.p != rd.end)
		elog(ERROR, "invalid %s partial state", kind->agg);
	st->n = hdr.n;
	PG_RETURN_POINTER(st);
}

NfTriples *
nf_triples_final_state(FunctionCallInfo fcinfo, const NfTriplesKind *kind)
{
	NfTriples  *st = PG_ARGISNULL(0) ? NULL : (NfTriples *) PG_GETARG_POINTER(0);

	if (st == NULL || st->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train an %s model without interactions", kind->model),
				 (st != NULL && st->nskipped > 0) ?
				 errdetail("All " INT64_FORMAT " input rows have a NULL user_id, %s or weight.",
						   st->nskipped, kind->item_column) :
				 errdetail("The input has no rows.")));
	return st;
}

void
nf_triples_canon_start(const NfTriples *st, AlsRaw *raw, AlsCanonWork *cw,
					   int32 **uidx, int32 **iidx)
{
	MemoryContext cxt = CurrentMemoryContext;
	Size		n = (Size) Max(st->n, 1);

	raw->n = st->n;
	raw->users = st->users;
	raw->items = st->items;
	raw->weights = st->weights;
	cw->key0 = MemoryContextAllocHuge(cxt, als_canon_bytes_u64(n));
	cw->key1 = MemoryContextAllocHuge(cxt, als_canon_bytes_u64(n));
	cw->val0 = MemoryContextAllocHuge(cxt, sizeof(uint32) * n);
	cw->val1 = MemoryContextAllocHuge(cxt, sizeof(uint32) * n);
	cw->order = MemoryContextAllocHuge(cxt, sizeof(int32) * n);
	*uidx = MemoryContextAllocHuge(cxt, sizeof(int32) * n);
	*iidx = MemoryContextAllocHuge(cxt, sizeof(int32) * n);
}

void
nf_triples_canon_build(const AlsRaw *raw, const int32 *uidx, const int32 *iidx,
					   AlsCanonWork *cw, int64 *user_ptr, int32 *ev_item,
					   float *ev_weight, const NfTriplesKind *kind)
{
	int64		bad_row;

	if (als_canon_build(raw, uidx, iidx, cw, user_ptr, ev_item, ev_weight, &bad_row) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("summed weight of user " INT64_FORMAT " and %s " INT64_FORMAT " is out of range",
						raw->users[bad_row], kind->item, raw->items[bad_row]),
				 errdetail("Summed weights must be finite and at most %g in absolute value.", (double) FLT_MAX)));
}
