/*
 * als_model.c -- the pure part of the nfrec.als_model type (als_model.h):
 * the structural check of an untrusted value and the id lookup that
 * serving and the metrics use.  No PostgreSQL calls (only c.h types), so
 * it links into the standalone unit tests; the SQL I/O of the type is in
 * als_model_io.c.
 */
#include "c.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "datatype/timestamp.h"

#include "als_model.h"

int32
als_find_id(const int64 *ids, int32 n, int64 id)
{
	int32		lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (ids[mid] < id)
			lo = mid + 1;
		else if (ids[mid] > id)
			hi = mid - 1;
		else
			return mid;
	}
	return -1;
}

/*
 * Sizes are computed in 64 bits from int32 counts (at most 2^31 each),
 * nevents at most 2^40 and options_len at most 1 MB, so no sum or product
 * below can overflow before it is compared with the varlena length.
 */
#define ALS_MAX_OPTIONS_LEN	(1024 * 1024)
#define ALS_MAX_EVENTS		((int64) 1 << 40)

static bool
AllFinite(const float *v, uint64 n)
{
	for (uint64 j = 0; j < n; j++)
		if (!isfinite(v[j]))
			return false;
	return true;
}

const char *
als_model_check(const AlsModelHeader *m, Size size)
{
	const char *opt;
	Size		optlen;
	uint64		need;
	const int64 *uptr;
	const int32 *evi;
	const float *evw;
	const int64 *ids;

	if (size < offsetof(AlsModelHeader, version) + sizeof(int32))
		return "value is too short";
	if (m->magic != ALS_MODEL_MAGIC)
		return "bad magic number";
	if (m->version != ALS_MODEL_VERSION)
		return "unsupported model format version";
	if (size < offsetof(AlsModelHeader, data))
		return "value is too short";
	if (m->factors < 1 || m->factors > ALS_MAX_FACTORS)
		return "number of factors out of range";
	if (m->nusers < 0 || m->nitems < 0 || m->nevents < 0)
		return "negative count";
	if (m->nevents > ALS_MAX_EVENTS)
		return "event count out of range";
	if (m->iterations < 0 || m->iterations > ALS_MAX_ITERATIONS)
		return "number of iterations out of range";
	if (m->options_len < 8 || m->options_len > ALS_MAX_OPTIONS_LEN ||
		m->options_len % 8 != 0)
		return "options length out of range";

	need = (uint64) offsetof(AlsModelHeader, data) +
		(uint64) m->options_len +
		sizeof(int64) * (uint64) m->nusers +
		sizeof(int64) * (uint64) m->nitems +
		sizeof(int64) * ((uint64) m->nusers + 1) +
		ALS_ALIGN8(sizeof(int32) * (uint64) m->nevents) +
		ALS_ALIGN8(sizeof(float4) * (uint64) m->nevents) +
		ALS_ALIGN8(sizeof(float4) * (uint64) m->nitems) +
		sizeof(float4) * (uint64) m->nusers * (uint64) m->factors +
		sizeof(float4) * (uint64) m->nitems * (uint64) m->factors;
	if (need != (uint64) size ||
		offsetof(AlsModelHeader, data) + als_data_size(m) != size)
		return "value size does not match its shape";

	/* header numbers (training's option limits: alpha >= 0, lambda > 0) */
	if (!isfinite(m->alpha) || m->alpha < 0.0)
		return "alpha is negative or not finite";
	if (!isfinite(m->regularization) || !(m->regularization > 0.0))
		return "regularization is not a finite number greater than zero";
	if (!isfinite(m->loss))
		return "loss is not finite";
	if (!isfinite(m->train_seconds) || m->train_seconds < 0.0)
		return "training time is negative or not finite";
	if (m->trained_at != 0 && !IS_VALID_TIMESTAMP(m->trained_at))
		return "training timestamp out of range";

	/* options: NUL-terminated printable ASCII, zero padding to 8 bytes */
	opt = ALS_OPTIONS(m);
	optlen = strnlen(opt, m->options_len);
	if (optlen == (Size) m->options_len)
		return "options text is not terminated";
	if (ALS_ALIGN8(optlen + 1) != (Size) m->options_len)
		return "options padding is too long";
	for (Size j = 0; j < optlen; j++)
		if (opt[j] < 0x20 || opt[j] > 0x7e)
			return "options text has a character that is not printable ASCII";
	for (Size j = optlen; j < (Size) m->options_len; j++)
		if (opt[j] != '\0')
			return "options padding is not zero";

	ids = ALS_USER_IDS(m);
	for (int32 i = 1; i < m->nusers; i++)
		if (ids[i - 1] >= ids[i])
			return "user ids are not strictly ascending";
	ids = ALS_ITEM_IDS(m);
	for (int32 i = 1; i < m->nitems; i++)
		if (ids[i - 1] >= ids[i])
			return "item ids are not strictly ascending";

	uptr = ALS_USER_PTR(m);
	if (uptr[0] != 0 || uptr[m->nusers] != m->nevents)
		return "event pointers do not span the events";
	for (int32 i = 0; i < m->nusers; i++)
		if (uptr[i] > uptr[i + 1])
			return "event pointers are not ascending";
	evi = ALS_EV_ITEM(m);
	evw = ALS_EV_WEIGHT(m);
	for (int32 u = 0; u < m->nusers; u++)
		for (int64 e = uptr[u]; e < uptr[u + 1]; e++)
		{
			if (evi[e] < 0 || evi[e] >= m->nitems)
				return "event item index out of range";
			if (e > uptr[u] && evi[e - 1] >= evi[e])
				return "event items of a user are not strictly ascending";
			if (!isfinite(evw[e]))
				return "event weight is not finite";
			/* training computes the confidence 1 + alpha |w| in real */
			if (m->alpha * fabs((double) evw[e]) > FLT_MAX)
				return "event confidence (alpha times weight) is out of range for type real";
		}

	{
		const float *cnt = ALS_ITEM_COUNT(m);

		for (int32 i = 0; i < m->nitems; i++)
			if (!isfinite(cnt[i]) || cnt[i] < 0.0f)
				return "title count is negative or not finite";
	}
	if (!AllFinite(ALS_USER_FACTORS(m), (uint64) m->nusers * m->factors))
		return "user factor is not finite";
	if (!AllFinite(ALS_ITEM_FACTORS(m), (uint64) m->nitems * m->factors))
		return "title factor is not finite";
	return NULL;
}

