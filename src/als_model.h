/*
 * als_model.h -- the on-disk layout of an ALS model value (SQL type
 * nfrec.als_model), shared by training (als_sql.c) and serving (model.c).
 *
 * One varlena, no pointers, so it can be stored in a table, dumped,
 * restored and memory-mapped straight from a detoasted datum:
 *
 *   AlsModelHeader
 *   char     options[options_len]     JSON text of the effective options,
 *                                     NUL-terminated, padded to 8 bytes
 *   int64    user_ids[nusers]         ascending: binary search gives the row
 *   int64    item_ids[nitems]         ascending
 *   int64    user_ptr[nusers + 1]     CSR row pointers of training events
 *   int32    ev_item[nevents]         item row of each training event
 *   float4   ev_weight[nevents]       summed weight of each (user, item)
 *   float4   item_count[nitems]       training events per item (popularity)
 *   float4   user_factors[nusers * factors]   row-major
 *   float4   item_factors[nitems * factors]   row-major
 *
 * Arrays are padded so each begins on an 8-byte boundary.  Accessors below
 * compute the offsets; nobody else should do pointer arithmetic on it.
 * Models larger than 1 GB cannot be a single varlena: als_train reports a
 * clear error in that case.
 */
#ifndef NFREC_ALS_MODEL_H
#define NFREC_ALS_MODEL_H

#include "c.h"

#include "events_layout.h"

#include "als.h"				/* ALS_MAX_FACTORS, ALS_MAX_ITERATIONS */

#define ALS_MODEL_MAGIC		0x4E465231	/* "NFR1" */
#define ALS_MODEL_VERSION	2

/*
 * Format 1 (before 0.1.0 was released) had the same layout without
 * trained_at: its header ends 8 bytes earlier (alpha at offset 56,
 * regularization at 64, data at 72).  Input and receive convert such a
 * value to the current format (trained_at unknown).
 */
#define ALS_MODEL_V1_TRAINED_AT_OFFSET	56
#define ALS_MODEL_V1_HEADER_SIZE		72

typedef struct AlsModelHeader
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint32		magic;
	int32		version;
	int32		factors;
	int32		nusers;
	int32		nitems;
	int64		nevents;		/* distinct (user, item) pairs */
	int32		iterations;		/* iterations actually run */
	int32		options_len;	/* bytes, including NUL and padding */
	float8		loss;			/* final training loss (objective) */
	float8		train_seconds;
	int64		trained_at;		/* TimestampTz when training finished; 0 = unknown */
	float8		alpha;
	float8		regularization;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} AlsModelHeader;

#define ALS_ALIGN8(x)	NF_ALIGN8(x)

NF_EVENTS_BLOCK_ACCESSORS(als, AlsModelHeader)

static inline Size
als_off_user_factors(const AlsModelHeader *m)
{
	return als_off_after_events(m);
}
static inline Size
als_off_item_factors(const AlsModelHeader *m)
{
	return als_off_user_factors(m) +
		sizeof(float4) * (Size) m->nusers * (Size) m->factors;
}
/* Bytes of payload after the header for the given shape. */
static inline Size
als_data_size(const AlsModelHeader *m)
{
	return als_off_item_factors(m) +
		sizeof(float4) * (Size) m->nitems * (Size) m->factors;
}

#define ALS_OPTIONS(m)		((const char *) (m)->data)
#define ALS_USER_IDS(m)		((int64 *) ((m)->data + als_off_user_ids(m)))
#define ALS_ITEM_IDS(m)		((int64 *) ((m)->data + als_off_item_ids(m)))
#define ALS_USER_PTR(m)		((int64 *) ((m)->data + als_off_user_ptr(m)))
#define ALS_EV_ITEM(m)		((int32 *) ((m)->data + als_off_ev_item(m)))
#define ALS_EV_WEIGHT(m)	((float4 *) ((m)->data + als_off_ev_weight(m)))
#define ALS_ITEM_COUNT(m)	((float4 *) ((m)->data + als_off_item_count(m)))
#define ALS_USER_FACTORS(m)	((float4 *) ((m)->data + als_off_user_factors(m)))
#define ALS_ITEM_FACTORS(m)	((float4 *) ((m)->data + als_off_item_factors(m)))

/*
 * Check that a buffer of 'size' bytes (including the varlena header) holds
 * a well-formed model of the current format: magic, version, shape, sizes
 * (64-bit arithmetic against 'size'), sorted ids, CSR pointers, event item
 * indexes, finite numbers (factors, weights, counts, loss), alpha at least
 * 0, regularization greater than 0, confidences 1 + alpha |w| within real,
 * options NUL-terminated printable ASCII padded with zeros.  Returns NULL
 * when valid, otherwise a static string saying what is wrong.  Pure C; the
 * options' JSON content is checked by als_model_validate (als_model_io.h).
 */
extern const char *als_model_check(const AlsModelHeader *m, Size size);

/* Row of an id in a sorted id array, or -1. */
extern int32 als_find_id(const int64 *ids, int32 n, int64 id);

/*
 * Detoasted model argument (SQL glue only: needs fmgr.h).  The value is
 * trusted: it was checked on input (als_model_validate).
 */
#define DatumGetAlsModelP(d)	((AlsModelHeader *) PG_DETOAST_DATUM(d))
#define PG_GETARG_ALSMODEL_P(n)	DatumGetAlsModelP(PG_GETARG_DATUM(n))

#endif
