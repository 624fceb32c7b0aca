/*
 * topk_scan.c -- catalog scoring kernels and the exact top-k through an
 * int8 copy of the catalog (pure: no PostgreSQL calls).  See topk_scan.h.
 *
 * Why: serving scores every title for one user.  At 15,000 titles x 64
 * factors the float factors are 3.8 MB, and reading them dominates a
 * recommend_for call; the int8 copy is 0.96 MB.  The result must not
 * change, so the int8 scores only decide which rows can still be in the
 * top k, and those rows are scored exactly.
 *
 * The error bound.  Write y = s q + dy (s the row's scale, |dy_a| <=
 * erry) and x = t r + dx (t the query's scale, |r_a| <= 63, |dx_a| <=
 * errx).
 * Then
 *     y.x = s t (q.r) + dy.x + s (q.dx)
 * so |y.x - s t (q.r)| <= erry |x|_1 + s |q|_1 errx.  q.r is an exact
 * int32.  The served score is the float dot scan_dot, within
 * (f/8 + 4) u |y| |x| of y.x (u = 2^-24; 8 lanes of f/8 terms, a 3-level
 * tree, Cauchy-Schwarz for sum |y_a x_a|), and the float arithmetic of the
 * approximate score and its bounds adds a few u |y| |x| more; the margin
 * below is twice those.  A row whose upper bound is below the k-th best
 * lower bound has k rows strictly above it, so it is not in the top k; the
 * rows left are scored with scan_dot and ranked like topk_select (score
 * desc, row asc).  Outside the range where the margin is safe (|x| |y|
 * beyond 1e-15 .. 1e15, or a query too small to scale) every row is
 * scored exactly.
 */
#include "topk_scan.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "topk.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SCAN_HAVE_AVX2_KERNEL 1
#endif

/* the float dot product must never be fused: same bits on every CPU */
#if defined(__GNUC__) && !defined(__clang__)
#define SCAN_NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define SCAN_NO_CONTRACT
#endif

#define SCAN_QMAX		127		/* int8 copy of the catalog */
#define SCAN_RMAX		63		/* 7-bit copy of the query, stored as r + 64 */
#define SCAN_ROFF		64
#define SCAN_RANGE_LO	1e-15
#define SCAN_RANGE_HI	1e15

static bool force_portable = false;

void
scan_force_portable(bool portable)
{
	force_portable = portable;
}

static bool
UseAvx2(void)
{
#ifdef SCAN_HAVE_AVX2_KERNEL
	static int	avx2 = -1;

	if (avx2 < 0)
	{
		__builtin_cpu_init();
		avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	}
	return avx2 == 1 && !force_portable;
#else
	return false;
#endif
}

static inline Size
AlignUp(Size n)
{
	return (n + 15) & ~(Size) 15;
}

/* ------------------------------------------------------------------ */
/* The catalog's int8 copy                                             */
/* ------------------------------------------------------------------ */

Size
scan_catalog_bytes(int n, int f)
{
	int			fp = (f + SCAN_PAD - 1) / SCAN_PAD * SCAN_PAD;

	return AlignUp((Size) n * fp) + 4 * AlignUp(sizeof(float) * (Size) n);
}

void
scan_catalog_init(ScanCatalog *c, const float *Y, const float *norms, int n, int f,
				  void *mem)
{
	char	   *p = mem;
	int			fp = (f + SCAN_PAD - 1) / SCAN_PAD * SCAN_PAD;

	c->n = n;
	c->f = f;
	c->fp = fp;
	c->Y = Y;
	c->norms = norms;
	c->q = (int8 *) p;
	p += AlignUp((Size) n * fp);
	c->qsum = (int32 *) p;
	p += AlignUp(sizeof(int32) * (Size) n);
	c->scale = (float *) p;
	p += AlignUp(sizeof(float) * (Size) n);
	c->erry = (float *) p;
	p += AlignUp(sizeof(float) * (Size) n);
	c->sq1 = (float *) p;
	c->maxnorm = 0.0f;

	for (int i = 0; i < n; i++)
	{
		const float *y = Y + (Size) i * f;
		int8	   *q = c->q + (Size) i * fp;
		double		m = 0.0,
					err = 0.0;
		float		s;
		int64		q1 = 0,
					qs = 0;

		for (int a = 0; a < f; a++)
			m = Max(m, fabs((double) y[a]));
		s = (float) (m / SCAN_QMAX);
		memset(q, 0, fp);
		for (int a = 0; s > 0.0f && a < f; a++)
		{
			double		v = rint((double) y[a] / s);

			v = Min(Max(v, -SCAN_QMAX), SCAN_QMAX);
			q[a] = (int8) v;
			q1 += (int64) Abs(q[a]);
			qs += q[a];
			err = Max(err, fabs((double) y[a] - (double) s * q[a]));
		}
		if (s <= 0.0f)
			for (int a = 0; a < f; a++)
				err = Max(err, fabs((double) y[a]));
		c->scale[i] = s;
		c->qsum[i] = (int32) qs;
		/* rounded up: the bound must not shrink in float */
		c->erry[i] = (float) err * (1.0f + 1e-6f);
		c->sq1[i] = (float) ((double) s * q1) * (1.0f + 1e-6f);
		c->maxnorm = Max(c->maxnorm, norms[i]);
	}
}

/* ------------------------------------------------------------------ */
/* The exact score: float dot product in a fixed order                 */
/* ------------------------------------------------------------------ */

/*
 * Lane j (0..7) sums y[a] x[a] for a = j, j + 8, ... in order; the lanes
 * are then added as (l0+l4, l1+l5, l2+l6, l3+l7), then (0+2, 1+3), then
 * the two: what an 8-float vector accumulator and its halving reduction
 * compute.
 */
SCAN_NO_CONTRACT
float
scan_dot(const float *y, const float *x, int f)
{
	float		l[8] = {0};
	float		h[4];
	int			a = 0;

	for (; a + 8 <= f; a += 8)
		for (int j = 0; j < 8; j++)
		{
			float		p = y[a + j] * x[a + j];

			l[j] = l[j] + p;
		}
	for (int j = 0; a + j < f; j++)
	{
		float		p = y[a + j] * x[a + j];

		l[j] = l[j] + p;
	}
	for (int j = 0; j < 4; j++)
		h[j] = l[j] + l[j + 4];
	h[0] = h[0] + h[2];
	h[1] = h[1] + h[3];
	return h[0] + h[1];
}

/* What the int8 scan needs of the query (float, rounded outward). */
typedef struct ScanQuery
{
	float		t;				/* x ~ t r */
	float		l1;				/* |x|_1 */
	float		errx;			/* max_a |x_a - t r_a| */
	float		marg;			/* rounding margin per unit of |y_i| */
	float		ea;				/* the bound per unit of scale_i, per unit of sq1_i: */
	float		eb;				/* see BOUNDS */
} ScanQuery;

/*
 * BOUNDS: row i's int8 score s = scale t (q.r) and its error bound
 *     e = erry |x|_1 + sq1 errx + marg |y_i|
 * give lo = s - e <= scan_dot(y_i, x) <= hi = s + e.  The pass reads two
 * floats of each row for it, not four: rounding to the nearest q (|y_a /
 * scale| <= 127 (1 + 2^-23), never clamped) errs by at most scale / 2, so
 * erry <= E scale with E = 0.5 (1 + 1e-6), and |y_i| <= |y_i|_1 <= sq1 +
 * f erry, so
 *     e <= scale E (|x|_1 + f marg) + sq1 (errx + marg) = scale ea + sq1 eb,
 * computed as (scale ea + sq1 eb)(1 + 1e-4) + 1e-30 (ea, eb rounded up).
 * ru holds r + 64.
 */
static inline void
QRow(const ScanCatalog *c, const uint8 *ru, const ScanQuery *qy, int i, float *lo, float *hi,
	 int o)
{
	const int8 *qi = c->q + (Size) i * c->fp;
	int32		d = 0;
	float		s,
				e;

	for (int a = 0; a < c->fp; a++)
		d += (int32) qi[a] * ((int32) ru[a] - SCAN_ROFF);
	s = (float) d * (c->scale[i] * qy->t);
	e = (c->scale[i] * qy->ea + c->sq1[i] * qy->eb) * (1.0f + 1e-4f) + 1e-30f;
	lo[o] = s - e;
	hi[o] = s + e;
}

/*
 * The one-pass top-k (TopkFused): a min-heap of the k best lower bounds of
 * eligible rows seen so far, whose least, Lc, only grows and never exceeds
 * the final L (the k-th best lower bound of all eligible rows).  A row is
 * kept as a candidate when its upper bound reaches Lc when it is scanned.
 */
typedef struct TopkState
{
	const uint8 *skip;
	int			k;
	int			nlows;
	int			ncand;
	float		Lc;				/* lows[0] once the heap is full, else -inf */
	float	   *lows;			/* the heap, k */
	int32	   *cand;			/* candidates, ascending */
	float	   *candhi;			/* their upper bounds */
} TopkState;

/* Row i with bounds lo <= hi, in ascending row order. */
static inline void
TopkConsider(TopkState *st, int i, float lo, float hi)
{
	if (!(hi >= st->Lc) || (st->skip && st->skip[i]))
		return;
	st->cand[st->ncand] = i;
	st->candhi[st->ncand++] = hi;
	topk_heap_keep(st->lows, &st->nlows, st->k, lo);
	if (st->nlows == st->k)
		st->Lc = st->lows[0];
}

#ifdef SCAN_HAVE_AVX2_KERNEL
/* The reduction of scan_dot on an 8-float accumulator (no tail). */
__attribute__((target("avx2")))
static inline float
Reduce8(__m256 acc)
{
	__m128		h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
	__m128		g = _mm_add_ps(h, _mm_movehl_ps(h, h));

	return _mm_cvtss_f32(_mm_add_ss(g, _mm_shuffle_ps(g, g, 1)));
}

/* scan_dot for rows [0, n) of Y, four rows at a time (target avx2: no FMA) */
__attribute__((target("avx2")))
static void
DotAllAvx2(const float *Y, int n, int f, const float *x, float *out)
{
	int			nb = f / 8;
	int			i = 0;

	if (f % 8 != 0)
	{
		for (; i < n; i++)
			out[i] = scan_dot(Y + (Size) i * f, x, f);
		return;
	}
	for (; i + 4 <= n; i += 4)
	{
		const float *y0 = Y + (Size) i * f;
		__m256		a0 = _mm256_setzero_ps(),
					a1 = _mm256_setzero_ps(),
					a2 = _mm256_setzero_ps(),
					a3 = _mm256_setzero_ps();

		for (int b = 0; b < nb; b++)
		{
			__m256		xv = _mm256_loadu_ps(x + 8 * b);

			a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(y0 + 8 * b), xv));
			a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(y0 + f + 8 * b), xv));
			a2 = _mm256_add_ps(a2, _mm256_mul_ps(_mm256_loadu_ps(y0 + 2 * f + 8 * b), xv));
			a3 = _mm256_add_ps(a3, _mm256_mul_ps(_mm256_loadu_ps(y0 + 3 * f + 8 * b), xv));
		}
		out[i] = Reduce8(a0);
		out[i + 1] = Reduce8(a1);
		out[i + 2] = Reduce8(a2);
		out[i + 3] = Reduce8(a3);
	}
	for (; i < n; i++)
		out[i] = scan_dot(Y + (Size) i * f, x, f);
}

/* What the AVX2 bound kernel needs of the query, broadcast. */
typedef struct QConsts
{
	__m256		t,
				ea,
				eb,
				up,
				tiny;
} QConsts;

__attribute__((target("avx2")))
static inline void
QConstsInit(const ScanQuery *qy, QConsts *k)
{
	k->t = _mm256_set1_ps(qy->t);
	k->ea = _mm256_set1_ps(qy->ea);
	k->eb = _mm256_set1_ps(qy->eb);
	k->up = _mm256_set1_ps(1.0f + 1e-4f);
	k->tiny = _mm256_set1_ps(1e-30f);
}

/*
 * Rows i .. i + 7 from their eight int32 accumulators a[r] (row r's lanes
 * sum to q.ru): the int8 score d = q.r and its bounds s - e, s + e (see
 * BOUNDS; the same float operations as QRow).
 */
__attribute__((target("avx2"), always_inline))
static inline void
QFinish8(const ScanCatalog *c, const QConsts *k, int i, const __m256i *a, __m256 *sp, __m256 *ep)
{
	__m256i		t0,
				t1,
				dsum;
	__m256		d,
				sc;

	/*
	 * hadd tree: t0 = [rows 0-3 of the low 128 bits | rows 0-3 of the
	 * high], t1 the same for rows 4-7; then add the halves
	 */
	t0 = _mm256_hadd_epi32(_mm256_hadd_epi32(a[0], a[1]), _mm256_hadd_epi32(a[2], a[3]));
	t1 = _mm256_hadd_epi32(_mm256_hadd_epi32(a[4], a[5]), _mm256_hadd_epi32(a[6], a[7]));
	dsum = _mm256_add_epi32(_mm256_permute2x128_si256(t0, t1, 0x20),
							_mm256_permute2x128_si256(t0, t1, 0x31));
	/* q.r = q.ru - 64 sum(q) */
	dsum = _mm256_sub_epi32(dsum, _mm256_slli_epi32(
										_mm256_loadu_si256((const __m256i *) (c->qsum + i)), 6));
	d = _mm256_cvtepi32_ps(dsum);
	sc = _mm256_loadu_ps(c->scale + i);
	*sp = _mm256_mul_ps(d, _mm256_mul_ps(sc, k->t));
	*ep = _mm256_add_ps(_mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(sc, k->ea),
													_mm256_mul_ps(_mm256_loadu_ps(c->sq1 + i), k->eb)),
									  k->up),
						k->tiny);
}

/*
 * Rows i .. i + 7: the int8 score d = q.r and its bounds s - e, s + e (see
 * BOUNDS; the same float operations as QRow).  vpmaddubsw multiplies the
 * unsigned ru = r + 64 (0..127) by the signed q (|q| <= 127): a pair sums
 * to at most 2 x 127 x 127 < 2^15, so nothing saturates; vpmaddwd by ones
 * widens to int32, and q.r = q.ru - 64 sum(q).
 */
__attribute__((target("avx2"), always_inline))
static inline void
QBlock8(const ScanCatalog *c, const uint8 *ru, const QConsts *k, int i, __m256 *sp, __m256 *ep)
{
	int			fp = c->fp,
				nb = fp / 32;
	const int8 *q0 = c->q + (Size) i * fp;
	const __m256i ones = _mm256_set1_epi16(1);
	__m256i		a0 = _mm256_setzero_si256(),
				a1 = _mm256_setzero_si256(),
				a2 = _mm256_setzero_si256(),
				a3 = _mm256_setzero_si256(),
				a4 = _mm256_setzero_si256(),
				a5 = _mm256_setzero_si256(),
				a6 = _mm256_setzero_si256(),
				a7 = _mm256_setzero_si256();

	for (int b = 0; b < nb; b++)
	{
		__m256i		rv = _mm256_loadu_si256((const __m256i *) (ru + 32 * b));

#define QROW(acc, r) \
		acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(rv, \
			_mm256_loadu_si256((const __m256i *) (q0 + (Size) (r) * fp + 32 * b))), ones))
		QROW(a0, 0);
		QROW(a1, 1);
		QROW(a2, 2);
		QROW(a3, 3);
		QROW(a4, 4);
		QROW(a5, 5);
		QROW(a6, 6);
		QROW(a7, 7);
#undef QROW
	}

	QFinish8(c, k, i, (const __m256i[8]) {a0, a1, a2, a3, a4, a5, a6, a7}, sp, ep);
}

/*
 * QBlock8 for rows padded to fp = 32 nb factors with nb a constant (the
 * callers below are instantiated for nb = 1 .. 4, i.e. f <= 128): the
 * query's nb vectors stay in registers, the offsets are constants and the
 * first block starts the sums, so a block of eight rows is a straight run
 * of loads, multiplies and adds.  Same integer sums, same float
 * operations as QBlock8 and QRow.
 */
#define QB_MAXNB 4

__attribute__((target("avx2"), always_inline))
static inline void
QBlock8N(const ScanCatalog *c, const __m256i *rv, const int nb, const QConsts *k, int i,
		 __m256 *sp, __m256 *ep)
{
	const Size	fp = 32 * (Size) nb;
	const int8 *q0 = c->q + (Size) i * fp;
	const __m256i ones = _mm256_set1_epi16(1);
	__m256i		a[8];

	for (int r = 0; r < 8; r++)
	{
		const int8 *qr = q0 + r * fp;

		a[r] = _mm256_madd_epi16(_mm256_maddubs_epi16(rv[0],
													  _mm256_loadu_si256((const __m256i *) qr)), ones);
		for (int b = 1; b < nb; b++)
			a[r] = _mm256_add_epi32(a[r], _mm256_madd_epi16(_mm256_maddubs_epi16(rv[b],
																				 _mm256_loadu_si256((const __m256i *) (qr + 32 * b))), ones));
	}
	QFinish8(c, k, i, a, sp, ep);
}

/* the query's nb vectors (nb <= QB_MAXNB) */
__attribute__((target("avx2"), always_inline))
static inline void
LoadQuery(const uint8 *ru, const int nb, __m256i *rv)
{
	for (int b = 0; b < nb; b++)
		rv[b] = _mm256_loadu_si256((const __m256i *) (ru + 32 * b));
}

/* Bounds of every row, eight at a time, to lo/hi. */
__attribute__((target("avx2"), always_inline))
static inline void
QScanAvx2N(const ScanCatalog *c, const uint8 *ru, const ScanQuery *qy, float *lo, float *hi,
		   const int nb)
{
	QConsts		k;
	__m256i		rv[QB_MAXNB];
	int			i = 0;

	QConstsInit(qy, &k);
	if (nb > 0)
		LoadQuery(ru, nb, rv);
	for (; i + 8 <= c->n; i += 8)
	{
		__m256		s,
					e;

		if (nb > 0)
			QBlock8N(c, rv, nb, &k, i, &s, &e);
		else
			QBlock8(c, ru, &k, i, &s, &e);
		_mm256_storeu_ps(lo + i, _mm256_sub_ps(s, e));
		_mm256_storeu_ps(hi + i, _mm256_add_ps(s, e));
	}
	for (; i < c->n; i++)
		QRow(c, ru, qy, i, lo, hi, i);
}

/*
 * TopkPass with the AVX2 kernel: a block of eight rows whose upper bounds
 * are all below the running threshold costs no store and no branch per row.
 */
__attribute__((target("avx2"), always_inline))
static inline void
TopkPassAvx2N(const ScanCatalog *c, const uint8 *ru, const ScanQuery *qy, TopkState *st,
			  const int nb)
{
	QConsts		k;
	__m256i		rv[QB_MAXNB];
	__m256		lc = _mm256_set1_ps(st->Lc);
	int			n = c->n,
				i = 0;

	QConstsInit(qy, &k);
	if (nb > 0)
		LoadQuery(ru, nb, rv);
	for (; i + 8 <= n; i += 8)
	{
		__m256		s,
					e,
					h;
		int			m;

		if (nb > 0)
			QBlock8N(c, rv, nb, &k, i, &s, &e);
		else
			QBlock8(c, ru, &k, i, &s, &e);
		h = _mm256_add_ps(s, e);
		m = _mm256_movemask_ps(_mm256_cmp_ps(h, lc, _CMP_GE_OQ));
		if (__builtin_expect(m != 0, 0))
		{
			float		lo8[8],
						hi8[8];

			_mm256_storeu_ps(lo8, _mm256_sub_ps(s, e));
			_mm256_storeu_ps(hi8, h);
			do
			{
				int			b = __builtin_ctz(m);

				m &= m - 1;
				TopkConsider(st, i + b, lo8[b], hi8[b]);
			} while (m != 0);
			lc = _mm256_set1_ps(st->Lc);
		}
	}
	for (; i < n; i++)
	{
		float		lo1,
					hi1;

		QRow(c, ru, qy, i, &lo1, &hi1, 0);
		TopkConsider(st, i, lo1, hi1);
	}
}

/* one instance per padded width: nb = fp / 32 for f <= 128, 0 = any (by_nb below) */
#define SCAN_INSTANCES(X) X(0) X(1) X(2) X(3) X(4)
#define SCAN_DEFINE(nb) \
__attribute__((target("avx2"))) static void \
QScanAvx2_##nb(const ScanCatalog *c, const uint8 *ru, const ScanQuery *qy, \
			   float *lo, float *hi) \
{ QScanAvx2N(c, ru, qy, lo, hi, nb); } \
__attribute__((target("avx2"))) static void \
TopkPassAvx2_##nb(const ScanCatalog *c, const uint8 *ru, const ScanQuery *qy, TopkState *st) \
{ TopkPassAvx2N(c, ru, qy, st, nb); }
SCAN_INSTANCES(SCAN_DEFINE)
#undef SCAN_DEFINE

/* the instance for c's width: nb = fp / 32 up to QB_MAXNB, else 0 (any) */
static inline int
WidthInstance(const ScanCatalog *c)
{
	return c->fp / 32 <= QB_MAXNB ? c->fp / 32 : 0;
}

static void
QScanAvx2(const ScanCatalog *c, const uint8 *ru, const ScanQuery *qy, float *lo, float *hi)
{
	static void (*const by_nb[]) (const ScanCatalog *, const uint8 *, const ScanQuery *,
								  float *, float *) =
	{QScanAvx2_0, QScanAvx2_1, QScanAvx2_2, QScanAvx2_3, QScanAvx2_4};

	by_nb[WidthInstance(c)] (c, ru, qy, lo, hi);
}

static void
TopkPassAvx2(const ScanCatalog *c, const uint8 *ru, const ScanQuery *qy, TopkState *st)
{
	static void (*const by_nb[]) (const ScanCatalog *, const uint8 *, const ScanQuery *,
								  TopkState *) =
	{TopkPassAvx2_0, TopkPassAvx2_1, TopkPassAvx2_2, TopkPassAvx2_3, TopkPassAvx2_4};

	by_nb[WidthInstance(c)] (c, ru, qy, st);
}
#endif

void
scan_dot_all(const float *Y, int n, int f, const float *x, float *out)
{
#ifdef SCAN_HAVE_AVX2_KERNEL
	if (UseAvx2())
	{
		DotAllAvx2(Y, n, f, x, out);
		return;
	}
#endif
	for (int i = 0; i < n; i++)
		out[i] = scan_dot(Y + (Size) i * f, x, f);
}

/*
 * Bounds of every row to lo/hi.  The AVX2 kernel takes eight rows at a
 * time and the rest one by one, in the same arithmetic.
 */
static void
QScan(const ScanCatalog *c, const uint8 *ru, const ScanQuery *qy, float *lo, float *hi)
{
#ifdef SCAN_HAVE_AVX2_KERNEL
	if (UseAvx2())
	{
		QScanAvx2(c, ru, qy, lo, hi);
		return;
	}
#endif
	for (int i = 0; i < c->n; i++)
		QRow(c, ru, qy, i, lo, hi, i);
}

/* ------------------------------------------------------------------ */
/* Positive bounds times per-row factors                               */
/* ------------------------------------------------------------------ */

/* One row of scan_lift_bounds: v x f in double, capped at FLT_MAX. */
static inline float
LiftOne(float v, float f)
{
	double		d = (double) v * (double) f;

	return v > 0.0f ? (float) Min(d, (double) FLT_MAX) : -INFINITY;
}

/* rows [i0, n) of scan_lift_bounds, one by one */
static void
LiftRows(const float *lo, const float *hi, const float *lift, int i0, int n, float *lb)
{
	for (int i = i0; i < n; i++)
	{
		lb[2 * i] = LiftOne(lo[i], lift ? lift[i] : 1.0f);
		lb[2 * i + 1] = LiftOne(hi[i], lift ? lift[i] : 1.0f);
	}
}

#ifdef SCAN_HAVE_AVX2_KERNEL
/*
 * Eight rows at a time: the product of two floats is exact in double, so
 * rounding it to float (vcvtpd2ps, round to nearest) gives LiftOne's bits.
 */
__attribute__((target("avx2")))
static void
LiftBoundsAvx2(const float *lo, const float *hi, const float *lift, int n, float *lb)
{
	const __m256d cap = _mm256_set1_pd((double) FLT_MAX);
	const __m256 ninf = _mm256_set1_ps(-INFINITY),
				zero = _mm256_setzero_ps(),
				one = _mm256_set1_ps(1.0f);
	int			i = 0;

	for (; i + 8 <= n; i += 8)
	{
		__m256		l = _mm256_loadu_ps(lo + i),
					h = _mm256_loadu_ps(hi + i),
					f = lift ? _mm256_loadu_ps(lift + i) : one;
		__m256d		f0 = _mm256_cvtps_pd(_mm256_castps256_ps128(f)),
					f1 = _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1));
		__m128		l0 = _mm256_cvtpd_ps(_mm256_min_pd(_mm256_mul_pd(
							_mm256_cvtps_pd(_mm256_castps256_ps128(l)), f0), cap)),
					l1 = _mm256_cvtpd_ps(_mm256_min_pd(_mm256_mul_pd(
							_mm256_cvtps_pd(_mm256_extractf128_ps(l, 1)), f1), cap)),
					h0 = _mm256_cvtpd_ps(_mm256_min_pd(_mm256_mul_pd(
							_mm256_cvtps_pd(_mm256_castps256_ps128(h)), f0), cap)),
					h1 = _mm256_cvtpd_ps(_mm256_min_pd(_mm256_mul_pd(
							_mm256_cvtps_pd(_mm256_extractf128_ps(h, 1)), f1), cap));
		__m256		lv = _mm256_set_m128(l1, l0),
					hv = _mm256_set_m128(h1, h0),
					a,
					b;

		/* -inf where the bound is not > 0 */
		lv = _mm256_blendv_ps(ninf, lv, _mm256_cmp_ps(l, zero, _CMP_GT_OQ));
		hv = _mm256_blendv_ps(ninf, hv, _mm256_cmp_ps(h, zero, _CMP_GT_OQ));
		/* interleave: rows 0,1 | 4,5 and 2,3 | 6,7, then by 128-bit halves */
		a = _mm256_unpacklo_ps(lv, hv);
		b = _mm256_unpackhi_ps(lv, hv);
		_mm256_storeu_ps(lb + 2 * i, _mm256_permute2f128_ps(a, b, 0x20));
		_mm256_storeu_ps(lb + 2 * i + 8, _mm256_permute2f128_ps(a, b, 0x31));
	}
	LiftRows(lo, hi, lift, i, n, lb);
}
#endif

void
scan_lift_bounds(const float *lo, const float *hi, const float *lift, int n, float *lb)
{
#ifdef SCAN_HAVE_AVX2_KERNEL
	if (UseAvx2())
	{
		LiftBoundsAvx2(lo, hi, lift, n, lb);
		return;
	}
#endif
	LiftRows(lo, hi, lift, 0, n, lb);
}

/* ------------------------------------------------------------------ */
/* The exact top-k                                                     */
/* ------------------------------------------------------------------ */

/* the scratch of scan_topk, carved from the caller's buffer */
typedef struct ScanWork
{
	uint8	   *ru;				/* fp: the query's 7-bit copy + 64 */
	float	   *lo;				/* n */
	float	   *hi;				/* n */
	float	   *runmax;			/* n / 16 + 1 */
	int32	   *cand;			/* n */
	float	   *candsc;			/* n */
	int32	   *pick;			/* n */
} ScanWork;

Size
scan_work_bytes(const ScanCatalog *c)
{
	Size		n = c->n;

	return AlignUp(c->fp) + 3 * AlignUp(sizeof(float) * n) +
		AlignUp(sizeof(float) * (n / 16 + 1)) + 2 * AlignUp(sizeof(int32) * n);
}

static void
CarveWork(const ScanCatalog *c, void *mem, ScanWork *w)
{
	char	   *p = mem;
	Size		n = c->n;

	w->ru = (uint8 *) p;
	p += AlignUp(c->fp);
	w->lo = (float *) p;
	p += AlignUp(sizeof(float) * n);
	w->hi = (float *) p;
	p += AlignUp(sizeof(float) * n);
	w->runmax = (float *) p;
	p += AlignUp(sizeof(float) * (n / 16 + 1));
	w->cand = (int32 *) p;
	p += AlignUp(sizeof(int32) * n);
	w->candsc = (float *) p;
	p += AlignUp(sizeof(float) * n);
	w->pick = (int32 *) p;
}

/* rows prefetched ahead of their exact dot (RankExact) */
#define SCAN_AHEAD 8

/* Rank the listed rows exactly; out/scores as scan_topk. */
static int
RankExact(const ScanCatalog *c, const float *x, const int32 *rows, int nrows, int k,
		  int32 *out, float *scores, ScanWork *w)
{
	int			got;

	for (int j = 0; j < nrows; j++)
	{
		/*
		 * the row SCAN_AHEAD on starts loading now: the rows lie anywhere
		 * in Y, a few cache misses each, overlapped with the dots before
		 */
		if (j + SCAN_AHEAD < nrows)
			scan_prefetch_row(c->Y + (Size) rows[j + SCAN_AHEAD] * c->f, c->f);
		w->candsc[j] = scan_dot(c->Y + (Size) rows[j] * c->f, x, c->f);
	}
	/* rows ascend, so ties by position are ties by row */
	got = topk_select(w->candsc, nrows, NULL, k, w->pick);
	for (int j = 0; j < got; j++)
	{
		out[j] = rows[w->pick[j]];
		scores[j] = w->candsc[w->pick[j]];
	}
	return got;
}

/*
 * The query's 7-bit copy and scale; false when x is outside the range
 * where the bounds hold (then rows must be scored exactly).
 */
static bool
PrepareQuery(const ScanCatalog *c, const float *x, uint8 *ru, ScanQuery *qy)
{
	int			f = c->f;
	double		xmax = 0.0,
				l1 = 0.0,
				x2 = 0.0,
				errx = 0.0,
				range;
	float		t;

	for (int a = 0; a < f; a++)
	{
		double		v = fabs((double) x[a]);

		xmax = Max(xmax, v);
		l1 += v;
		x2 += v * v;
	}
	range = sqrt(x2) * c->maxnorm;
	t = (float) (xmax / SCAN_RMAX);
	if (!(range >= SCAN_RANGE_LO && range <= SCAN_RANGE_HI) || !(t > 0.0f) || !isfinite(l1))
		return false;

	/* the query's 7-bit copy (stored + 64) and its rounding error */
	memset(ru, SCAN_ROFF, c->fp);
	for (int a = 0; a < f; a++)
	{
		double		v = rint((double) x[a] / t);

		v = Min(Max(v, -SCAN_RMAX), SCAN_RMAX);
		ru[a] = (uint8) (v + SCAN_ROFF);
		errx = Max(errx, fabs((double) x[a] - (double) t * v));
	}
	qy->t = t;
	qy->l1 = (float) l1 * (1.0f + 1e-6f);
	qy->errx = (float) errx * (1.0f + 1e-6f);
	qy->marg = (float) (2.0 * ((double) f / 8 + 8) * 5.9604645e-8 * sqrt(x2));
	qy->ea = (float) (0.5 * (1.0 + 1e-6) * ((double) qy->l1 + (double) f * qy->marg)) * (1.0f + 1e-6f);
	qy->eb = (float) ((double) qy->errx + (double) qy->marg) * (1.0f + 1e-6f);
	return true;
}

bool
scan_bounds(const ScanCatalog *c, const float *x, float *lo, float *hi, void *work)
{
	ScanWork	w;
	ScanQuery	qy;

	CarveWork(c, work, &w);
	if (c->n <= 0 || !PrepareQuery(c, x, w.ru, &qy))
		return false;
	QScan(c, w.ru, &qy, lo, hi);
	return true;
}

/* The exact top-k from bounds: steps 2 and 3 of scan_topk. */
static int
TopkFromBounds(const ScanCatalog *c, const float *x, const float *lo, const float *hi,
			   const uint8 *skip, int k, int32 *out, float *scores, ScanWork *w, int *nexact)
{
	int			n = c->n,
				f = c->f,
				ncand = 0;
	float		L;

	/* the k-th best lower bound among eligible rows */
	L = topk_kth_largest(lo, n, skip, k, w->runmax, (uint32 *) w->pick);

	/* the rows whose upper bound reaches it, a run of 16 at a time */
	for (int j = 0; j < n; j += 16)
	{
		int			end = Min(j + 16, n);
		float		m = -INFINITY;

		if (end - j == 16)
		{
			const float *h = hi + j;

#pragma omp simd reduction(max:m)
			for (int e = 0; e < 16; e++)
				m = h[e] > m ? h[e] : m;
			if (m < L)
				continue;
		}
		/* written always, kept when it qualifies (no branch per row) */
		for (int i = j; i < end; i++)
		{
			w->cand[ncand] = i;
			ncand += (hi[i] >= L) & (skip == NULL || skip[i] == 0);
		}
	}
	/* start loading RankExact's first rows (it prefetches the rest ahead) */
	for (int j = 0; j < Min(ncand, SCAN_AHEAD); j++)
		scan_prefetch_row(c->Y + (Size) w->cand[j] * f, f);
	if (nexact)
		*nexact = ncand;
	return RankExact(c, x, w->cand, ncand, k, out, scores, w);
}

int
scan_topk_bounded(const ScanCatalog *c, const float *x, const float *lo, const float *hi,
				  const uint8 *skip, int k, int32 *out, float *scores, void *work, int *nexact)
{
	ScanWork	w;

	if (nexact)
		*nexact = 0;
	if (k <= 0 || c->n <= 0)
		return 0;
	CarveWork(c, work, &w);
	return TopkFromBounds(c, x, lo, hi, skip, Min(k, c->n), out, scores, &w, nexact);
}

/* An empty TopkState for k rows, skipping skip[i] != 0 (in w's scratch). */
static void
TopkStart(TopkState *st, const uint8 *skip, int k, ScanWork *w)
{
	st->skip = skip;
	st->k = k;
	st->nlows = 0;
	st->ncand = 0;
	st->Lc = -INFINITY;
	st->lows = w->candsc;		/* RankExact reuses it after */
	st->cand = w->cand;
	st->candhi = w->hi;
}

/* The candidates whose upper bound reaches the final L, ranked exactly. */
static int
TopkFinish(const ScanCatalog *c, const float *x, const TopkState *st, int k, int32 *out,
		   float *scores, ScanWork *w, int *nexact)
{
	int			f = c->f,
				nkeep = 0;

	for (int j = 0; j < st->ncand; j++)
		if (st->candhi[j] >= st->Lc)
		{
			/* start loading RankExact's first rows (it prefetches the rest ahead) */
			if (nkeep < SCAN_AHEAD)
				scan_prefetch_row(c->Y + (Size) st->cand[j] * f, f);
			w->cand[nkeep++] = st->cand[j];
		}
	if (nexact)
		*nexact = nkeep;
	return RankExact(c, x, w->cand, nkeep, k, out, scores, w);
}

/*
 * scan_topk in one pass: no arrays of n bounds are written or read again.
 * Every row whose upper bound reaches the final L reached the smaller Lc
 * of its time, and so did every row among the k best lower bounds (lo <=
 * hi); so at the end the heap's least is L, and the candidates with hi >=
 * L are exactly the rows TopkFromBounds would score -- the same rows in
 * the same ascending order, hence the same result.
 */
static int
TopkFused(const ScanCatalog *c, const float *x, const uint8 *ru, const ScanQuery *qy,
		  const uint8 *skip, int k, int32 *out, float *scores, ScanWork *w, int *nexact)
{
	TopkState	st;

	TopkStart(&st, skip, k, w);
#ifdef SCAN_HAVE_AVX2_KERNEL
	if (UseAvx2())
		TopkPassAvx2(c, ru, qy, &st);
	else
#endif
		for (int i = 0; i < c->n; i++)
		{
			float		lo,
						hi;

			QRow(c, ru, qy, i, &lo, &hi, 0);
			TopkConsider(&st, i, lo, hi);
		}
	return TopkFinish(c, x, &st, k, out, scores, w, nexact);
}

/*
 * scan_bounds followed by scan_topk_bounded.  For a k of about a hundred
 * (the homepage's pool) the one pass of TopkFused, which keeps a running
 * heap of lower bounds, cost more than the pass itself: several hundred
 * bounds enter the heap, each a chain of unpredictable branches.  The
 * branch-free pass writes the bounds, and TopkFromBounds finds L without a
 * heap (topk_kth_largest); TopkFused's argument makes their result the
 * same (the same candidates, in the same order).
 */
int
scan_bounds_topk(const ScanCatalog *c, const float *x, float *lo, float *hi,
				 const uint8 *skip, int k, int32 *out, float *scores, void *work,
				 int *nexact)
{
	if (!scan_bounds(c, x, lo, hi, work))
	{
		if (nexact)
			*nexact = 0;
		return -1;
	}
	return scan_topk_bounded(c, x, lo, hi, skip, k, out, scores, work, nexact);
}

/*
 * scan_topk scores the eligible rows alone when they are at most 1 /
 * SCAN_FEW_DIV of the catalog: an exact score of a random row costs
 * about as much as the pass over 16-32 rows.
 */
#define SCAN_FEW_DIV	32

/*
 * The eligible rows (skip[i] == 0), ascending, to rows[]; false as soon
 * as there are more than limit (then *nrows is meaningless).  Eight flags
 * of skipped rows are tested at once.
 */
static bool
FewEligible(const uint8 *skip, int n, int limit, int32 *rows, int *nrows)
{
	int			got = 0,
				i = 0;

	for (; i + 8 <= n; i += 8)
	{
		uint64		w;

		memcpy(&w, skip + i, sizeof(w));
		if (w == UINT64CONST(0x0101010101010101))
			continue;			/* all eight skipped with the usual flag 1 */
		for (int j = i; j < i + 8; j++)
			if (!skip[j])
			{
				if (got == limit)
					return false;
				rows[got++] = j;
			}
	}
	for (; i < n; i++)
		if (!skip[i])
		{
			if (got == limit)
				return false;
			rows[got++] = i;
		}
	*nrows = got;
	return true;
}

int
scan_topk(const ScanCatalog *c, const float *x, const uint8 *skip, int k,
		  int32 *out, float *scores, void *work, int *nexact)
{
	ScanWork	w;
	ScanQuery	qy;
	int			n = c->n,
				ncand = 0;

	if (k <= 0 || n <= 0)
	{
		if (nexact)
			*nexact = 0;
		return 0;
	}
	k = Min(k, n);
	CarveWork(c, work, &w);

	/*
	 * Few eligible rows (a short candidates list): scoring them alone is
	 * cheaper than the pass, which would also carry every eligible row
	 * as a candidate while fewer than k are known.  Same rows, same order,
	 * same scores as below.
	 */
	if (skip && FewEligible(skip, n, n / SCAN_FEW_DIV, w.cand, &ncand))
	{
		if (nexact)
			*nexact = ncand;
		return RankExact(c, x, w.cand, ncand, k, out, scores, &w);
	}

	/* few rows, a large k, or outside the safe range: every row exactly */
	if (n < 64 || k * 4 > n || !PrepareQuery(c, x, w.ru, &qy))
	{
		for (int i = 0; i < n; i++)
			if (!skip || !skip[i])
				w.cand[ncand++] = i;
		if (nexact)
			*nexact = ncand;
		return RankExact(c, x, w.cand, ncand, k, out, scores, &w);
	}
	return TopkFused(c, x, w.ru, &qy, skip, k, out, scores, &w, nexact);
}
