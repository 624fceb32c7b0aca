/*
 * cooccur.c -- co-occurrence neighbours of titles (cooccur.h).  Pure: no
 * PostgreSQL headers beyond c.h, no allocation, no error reporting.
 *
 * The users' capped histories are transposed into title -> users lists;
 * then for every title a, each of its users adds 1 to acc[b] for every b
 * in their history (so acc[b] = C(a, b)), the touched titles are scored
 * and the best m kept.  Time: sum over users of min(h, cap)^2; memory:
 * two copies of the capped events plus a few arrays of nitems.
 */
#include "cooccur.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "topk.h"

typedef struct WRow
{
	float		w;
	int32		row;
} WRow;

/* higher weight first, then lower row */
static int
CmpWRow(const void *a, const void *b)
{
	const WRow *x = a,
			   *y = b;

	if (x->w != y->w)
		return x->w > y->w ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}

static int
CmpInt32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	return (x > y) - (x < y);
}

#define ALIGN_UP(x) (((x) + 15) & ~((Size) 15))

Size
cooccur_work_bytes(int nusers, int nitems, int64 nevents, int cap)
{
	Size		ncap = (Size) Min(nevents, (int64) nusers * cap);

	return ALIGN_UP(sizeof(int64) * ((Size) nusers + 1))	/* uptr */
		+ ALIGN_UP(sizeof(int32) * Max(ncap, 1))	/* uitem */
		+ ALIGN_UP(sizeof(int64) * ((Size) nitems + 1))	/* tptr */
		+ ALIGN_UP(sizeof(int32) * Max(ncap, 1))	/* tuser */
		+ ALIGN_UP(sizeof(int32) * (Size) nitems) * 3	/* acc, touched, fill */
		+ ALIGN_UP(sizeof(float) * (Size) nitems)	/* cscore */
		+ ALIGN_UP(sizeof(float) * ((Size) nitems / 16 + 1))	/* runmax */
		+ ALIGN_UP(sizeof(double) * (Size) nitems)	/* nbeta */
		+ ALIGN_UP(sizeof(WRow) * (Size) nitems);	/* a user's history */
}

int64
cooccur_neighbours(int nusers, int nitems, const int64 *user_ptr,
				   const int32 *ev_item, const float *ev_weight,
				   int m, int cap, double beta,
				   int32 *out_rows, float *out_scores,
				   void *work, void (*poll) (void *arg), void *arg)
{
	char	   *p = work;
	Size		ncap = 0;
	int64	   *uptr,
			   *tptr;
	int32	   *uitem,
			   *tuser,
			   *acc,
			   *touched,
			   *fill;
	float	   *cscore,
			   *runmax;
	double	   *nbeta;
	WRow	   *hist;
	int64		pairs = 0;

#define TAKE(var, type, count) \
	do { var = (type *) p; p += ALIGN_UP(sizeof(type) * (Size) (count)); } while (0)

	{
		Size		maxcap = (Size) Min(user_ptr[nusers], (int64) nusers * cap);

		TAKE(uptr, int64, (Size) nusers + 1);
		TAKE(uitem, int32, Max(maxcap, 1));
		TAKE(tptr, int64, (Size) nitems + 1);
		TAKE(tuser, int32, Max(maxcap, 1));
		TAKE(acc, int32, nitems);
		TAKE(touched, int32, nitems);
		TAKE(fill, int32, nitems);
		TAKE(cscore, float, nitems);
		TAKE(runmax, float, nitems / 16 + 1);
		TAKE(nbeta, double, nitems);
		TAKE(hist, WRow, nitems);
	}
#undef TAKE

	/* each user's positive titles, at most cap of them, ascending rows */
	for (int u = 0; u < nusers; u++)
	{
		int			h = 0;

		uptr[u] = (int64) ncap;
		for (int64 e = user_ptr[u]; e < user_ptr[u + 1]; e++)
			if (ev_weight[e] > 0.0f)
			{
				hist[h].w = ev_weight[e];
				hist[h].row = ev_item[e];
				h++;
			}
		if (h > cap)
		{
			qsort(hist, h, sizeof(WRow), CmpWRow);
			h = cap;
			for (int j = 0; j < h; j++)
				uitem[ncap + j] = hist[j].row;
			qsort(uitem + ncap, h, sizeof(int32), CmpInt32);
		}
		else
			for (int j = 0; j < h; j++)
				uitem[ncap + j] = hist[j].row;
		ncap += h;
		if (poll && (u & 4095) == 0)
			poll(arg);
	}
	uptr[nusers] = (int64) ncap;

	/* transpose: title -> users (ascending) */
	memset(acc, 0, sizeof(int32) * nitems);
	for (Size e = 0; e < ncap; e++)
		acc[uitem[e]]++;
	tptr[0] = 0;
	for (int i = 0; i < nitems; i++)
	{
		tptr[i + 1] = tptr[i] + acc[i];
		fill[i] = 0;
	}
	for (int u = 0; u < nusers; u++)
		for (int64 e = uptr[u]; e < uptr[u + 1]; e++)
		{
			int32		i = uitem[e];

			tuser[tptr[i] + fill[i]++] = u;
		}

	/* n(b) + beta */
	for (int i = 0; i < nitems; i++)
		nbeta[i] = (double) (tptr[i + 1] - tptr[i]) + beta;

	/* per title: count, score, keep the best m */
	memset(acc, 0, sizeof(int32) * nitems);
	for (int a = 0; a < nitems; a++)
	{
		int			nt = 0,
					got;
		int32	   *orow = out_rows + (Size) a * m;
		float	   *osc = out_scores + (Size) a * m;

		int64		work_a = 0;
		bool		dense;

		/*
		 * An anchor whose users' histories add up to more than a
		 * sixteenth of the catalog touches much of it: count without a
		 * touched list and score the whole catalog (untouched rows NaN,
		 * which topk skips, so the index is the row).  Otherwise keep the
		 * list, sorted so that topk's tie order (lower index) is the
		 * lower row.
		 */
		for (int64 q = tptr[a]; q < tptr[a + 1]; q++)
			work_a += uptr[tuser[q] + 1] - uptr[tuser[q]];
		dense = work_a > nitems / 16;
		pairs += work_a - (tptr[a + 1] - tptr[a]);

		if (dense)
		{
			for (int64 q = tptr[a]; q < tptr[a + 1]; q++)
			{
				int32		u = tuser[q];

				for (int64 e = uptr[u]; e < uptr[u + 1]; e++)
					acc[uitem[e]]++;
			}
			acc[a] = 0;
			for (int b = 0; b < nitems; b++)
			{
				double		q = (double) acc[b] / nbeta[b];

				cscore[b] = acc[b] != 0 ? (float) q : NAN;
			}
			memset(acc, 0, sizeof(int32) * nitems);
			got = topk_select_bounded(cscore, nitems, NULL, m, fill, runmax);
			for (int j = 0; j < got; j++)
			{
				orow[j] = fill[j];
				osc[j] = cscore[fill[j]];
			}
		}
		else
		{
			for (int64 q = tptr[a]; q < tptr[a + 1]; q++)
			{
				int32		u = tuser[q];

				for (int64 e = uptr[u]; e < uptr[u + 1]; e++)
				{
					int32		b = uitem[e];

					if (b != a && acc[b]++ == 0)
						touched[nt++] = b;
				}
			}
			qsort(touched, nt, sizeof(int32), CmpInt32);
			for (int j = 0; j < nt; j++)
			{
				int32		b = touched[j];

				cscore[j] = (float) ((double) acc[b] / nbeta[b]);
				acc[b] = 0;
			}
			got = topk_select(cscore, nt, NULL, m, fill);
			for (int j = 0; j < got; j++)
			{
				orow[j] = touched[fill[j]];
				osc[j] = cscore[fill[j]];
			}
		}
		for (int j = got; j < m; j++)
		{
			orow[j] = -1;
			osc[j] = 0.0f;
		}
		if (poll && (a & 63) == 0)
			poll(arg);
	}
	return pairs;
}
