/*
 * ease_precision.c -- EASE's inverse in double (what ease_train does) and
 * in float (spotrf/spotri): time and the error of B in float against
 * double.  doc/ease.md, "Double, not float".
 *
 *   psql -At -F, -c "SELECT user_id, title_id FROM demo.train GROUP BY 1, 2 HAVING sum(weight) > 0 ORDER BY 1, 2" > pairs.csv
 *   gcc -O2 -I src -I $(pg_config --includedir-server) test/bench/ease_precision.c src/ease.c \
 *       -L$(pg_config --pkglibdir) -lpgport -lopenblas -lm -o /tmp/ease_precision
 *   /tmp/ease_precision pairs.csv 200
 *
 * Input: "user,title" lines sorted by user then title (the positive pairs).
 */
#include "c.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ease.h"

extern void spotrf_(const char *uplo, const int *n, float *a, const int *lda,
					int *info, size_t uplo_len);
extern void spotri_(const char *uplo, const int *n, float *a, const int *lda,
					int *info, size_t uplo_len);

static double
Now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
CmpI64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	FILE	   *f = fopen(argv[1], "r");
	double		lambda = argc > 2 ? atof(argv[2]) : 200;
	long long	u,
				t;
	int64		cap = 1 << 20,
				m = 0,
			   *us = malloc(sizeof(int64) * cap),
			   *ts = malloc(sizeof(int64) * cap),
			   *ids;
	int			n = 0,
				nu = 0,
				info;
	int64	   *ptr;
	int32	   *evi;
	float	   *evw,
			   *Gf;
	double	   *G,
				t0,
				td,
				tf,
				maxerr = 0,
				maxb = 0;

	if (f == NULL)
		return 1;
	while (fscanf(f, "%lld,%lld", &u, &t) == 2)
	{
		if (m == cap)
		{
			cap *= 2;
			us = realloc(us, sizeof(int64) * cap);
			ts = realloc(ts, sizeof(int64) * cap);
		}
		us[m] = u;
		ts[m++] = t;
	}
	ids = malloc(sizeof(int64) * m);
	memcpy(ids, ts, sizeof(int64) * m);
	qsort(ids, m, sizeof(int64), CmpI64);
	for (int64 k = 0; k < m; k++)
		if (k == 0 || ids[k] != ids[k - 1])
			ids[n++] = ids[k];
	ptr = malloc(sizeof(int64) * (m + 1));
	evi = malloc(sizeof(int32) * m);
	evw = malloc(sizeof(float) * m);
	ptr[0] = 0;
	for (int64 k = 0; k < m; k++)
	{
		if (k > 0 && us[k] != us[k - 1])
			ptr[++nu] = k;
		evi[k] = (int32) ((int64 *) bsearch(&ts[k], ids, n, sizeof(int64), CmpI64) - ids);
		evw[k] = 1;
	}
	ptr[++nu] = m;
	G = calloc((Size) n * n, sizeof(double));
	Gf = malloc(sizeof(float) * n * n);
	ease_gram_users(n, ptr, evi, evw, 0, nu, G);
	for (Size k = 0; k < (Size) n * n; k++)
		Gf[k] = (float) G[k];
	t0 = Now();
	info = ease_solve(n, lambda, G);
	td = Now() - t0;
	if (info != 0)
		return 2;

	/* float: the same steps as ease_solve */
	t0 = Now();
	for (int i = 0; i < n; i++)
		Gf[(Size) i * n + i] += (float) lambda;
	spotrf_("L", &n, Gf, &n, &info, 1);
	if (info == 0)
		spotri_("L", &n, Gf, &n, &info, 1);
	if (info != 0)
		return 3;
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			Gf[(Size) j * n + i] = Gf[(Size) i * n + j];
	{
		float	   *inv = malloc(sizeof(float) * n);

		for (int j = 0; j < n; j++)
			inv[j] = -1.0f / Gf[(Size) j * n + j];
		for (int i = 0; i < n; i++)
		{
			for (int j = 0; j < n; j++)
				Gf[(Size) i * n + j] *= inv[j];
			Gf[(Size) i * n + i] = 0;
		}
		free(inv);
	}
	tf = Now() - t0;
	for (Size k = 0; k < (Size) n * n; k++)
	{
		maxerr = Max(maxerr, fabs(Gf[k] - G[k]));
		maxb = Max(maxb, fabs(G[k]));
	}
	printf("%d users, %d titles, %lld pairs, lambda %g: inverse double %.3f s, float %.3f s; "
		   "max |B_float - B_double| %.3g (max |B| %.3g)\n",
		   nu, n, (long long) m, lambda, td, tf, maxerr, maxb);
	return 0;
}
