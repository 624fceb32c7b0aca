/*
 * ease.c -- EASE training and scoring on plain arrays (see ease.h).
 *
 * Training: the Gram matrix X'X of the binarized events is accumulated
 * pair by pair from the sparse rows (sum over users of k_u^2 updates, far
 * fewer than a dense n x n x users product on implicit data), in double:
 * entries are user counts, exact in double, and the inverse of a matrix
 * whose diagonal grows with popularity loses digits in float (doc/ease.md
 * compares).  The inverse comes from LAPACK (Cholesky dpotrf, then dpotri
 * from the factor), computed in place, so the only large buffer is n x n
 * doubles.
 */
#include "c.h"

#include <math.h>

#include "ease.h"

/* Fortran LAPACK from OpenBLAS; trailing hidden lengths of CHARACTER args */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
					int *info, size_t uplo_len);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda,
					int *info, size_t uplo_len);

void
ease_gram_users(int n, const int64 *user_ptr, const int32 *ev_item,
				const float *ev_w, int32 u0, int32 u1, double *G)
{
	for (int32 u = u0; u < u1; u++)
	{
		int64		a = user_ptr[u],
					b = user_ptr[u + 1];

		/* events are sorted by title row: e < f gives row i < row j */
		for (int64 e = a; e < b; e++)
		{
			double	   *g;

			if (!(ev_w[e] > 0.0f))
				continue;
			g = G + (Size) ev_item[e] * n;
			for (int64 f = e; f < b; f++)
				if (ev_w[f] > 0.0f)
					g[ev_item[f]] += 1.0;
		}
	}
}

int
ease_solve(int n, double lambda, double *G)
{
	int			info = 0;

	for (int i = 0; i < n; i++)
		G[(Size) i * n + i] += lambda;

	/*
	 * LAPACK is column-major: our row-major upper triangle is its lower
	 * triangle, and the inverse comes back there too.
	 */
	dpotrf_("L", &n, G, &n, &info, 1);
	if (info != 0)
		return info;
	dpotri_("L", &n, G, &n, &info, 1);
	if (info != 0)
		return info;

	/* P in full: mirror the upper triangle (row-major) to the lower */
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			G[(Size) j * n + i] = G[(Size) i * n + j];

	/*
	 * B_ij = -P_ij / P_jj: divide column j by -P_jj.  P is positive
	 * definite, so P_jj > 0.  Row by row for memory order.
	 */
	{
		double	   *inv = malloc(sizeof(double) * Max(n, 1));

		if (inv == NULL)
			return -1;
		for (int j = 0; j < n; j++)
			inv[j] = -1.0 / G[(Size) j * n + j];
		for (int i = 0; i < n; i++)
		{
			double	   *row = G + (Size) i * n;

			for (int j = 0; j < n; j++)
				row[j] *= inv[j];
			row[i] = 0.0;
		}
		free(inv);
	}
	return 0;
}

int
ease_scores(int n, const float *B, const int32 *rows, const float *w,
			int nrows, float *scores)
{
	int			used = 0;

	memset(scores, 0, sizeof(float) * n);
	for (int k = 0; k < nrows; k++)
	{
		const float *b;

		if (!(w[k] > 0.0f))
			continue;
		b = B + (Size) rows[k] * n;
		for (int j = 0; j < n; j++)
			scores[j] += b[j];
		used++;
	}
	return used;
}

const char *
ease_model_check(const EaseModelHeader *m, Size size)
{
	Size		hdr = offsetof(EaseModelHeader, data);
	const int64 *uids,
			   *iids,
			   *ptr;
	const int32 *evi;
	const float *evw,
			   *cnt,
			   *B;
	const char *opt;
	Size		nb;

	if (size < hdr)
		return "value too short";
	if (m->magic != EASE_MODEL_MAGIC)
		return "bad magic number";
	if (m->version != EASE_MODEL_VERSION)
		return "unsupported format version";
	if (m->nusers < 0 || m->nitems < 1 || m->nitems > EASE_HARD_MAX_TITLES ||
		m->nevents < 0 || m->options_len < 1 || m->options_len > 65536 ||
		m->options_len % 8 != 0)
		return "bad shape";
	if (!(m->lambda > 0.0) || !isfinite(m->lambda) ||
		!isfinite(m->train_seconds))
		return "bad lambda or training time";
	/* every event pair is at most users x titles */
	if ((double) m->nevents > (double) m->nusers * (double) m->nitems)
		return "bad shape";
	if (size != hdr + ease_data_size(m))
		return "size does not match the shape";

	opt = EASE_OPTIONS(m);
	{
		Size		len = strnlen(opt, m->options_len);

		if (len == (Size) m->options_len)
			return "options not terminated";
		for (Size k = 0; k < len; k++)
			if (opt[k] < 0x20 || opt[k] > 0x7e)
				return "options not printable";
		for (Size k = len; k < (Size) m->options_len; k++)
			if (opt[k] != 0)
				return "options not padded with zeros";
	}
	uids = EASE_USER_IDS(m);
	iids = EASE_ITEM_IDS(m);
	ptr = EASE_USER_PTR(m);
	evi = EASE_EV_ITEM(m);
	evw = EASE_EV_WEIGHT(m);
	cnt = EASE_ITEM_COUNT(m);
	B = EASE_B(m);
	for (int32 u = 1; u < m->nusers; u++)
		if (uids[u - 1] >= uids[u])
			return "user ids not ascending";
	for (int32 i = 1; i < m->nitems; i++)
		if (iids[i - 1] >= iids[i])
			return "title ids not ascending";
	if (ptr[0] != 0 || ptr[m->nusers] != m->nevents)
		return "bad event pointers";
	for (int32 u = 0; u < m->nusers; u++)
	{
		if (ptr[u + 1] < ptr[u])
			return "bad event pointers";
		for (int64 e = ptr[u]; e < ptr[u + 1]; e++)
			if (evi[e] < 0 || evi[e] >= m->nitems ||
				(e > ptr[u] && evi[e - 1] >= evi[e]))
				return "bad event title";
	}
	for (int64 e = 0; e < m->nevents; e++)
		if (!isfinite(evw[e]))
			return "non-finite weight";
	for (int32 i = 0; i < m->nitems; i++)
		if (!isfinite(cnt[i]) || cnt[i] < 0)
			return "bad title count";
	nb = (Size) m->nitems * m->nitems;
	for (Size k = 0; k < nb; k++)
		if (!isfinite(B[k]))
			return "non-finite weight in B";
	for (int32 i = 0; i < m->nitems; i++)
		if (B[(Size) i * m->nitems + i] != 0.0f)
			return "non-zero diagonal of B";
	return NULL;
}
