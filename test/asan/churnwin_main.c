/*
 * churnwin_main.c -- run the churn window statistics (src/churnwin.c)
 * outside PostgreSQL under AddressSanitizer/UBSan, against a brute-force
 * reference on random subscribers:
 *
 *   bash test/asan/run_churnwin.sh
 *
 * Random days (gaps of 1-5), totals, last plays (some missing), an older
 * last play or none, random ascending dates (before, inside and after the
 * days) and windows of 1-20 days; every window sum and last play is
 * recomputed by scanning all days.
 */
#include "churnwin.h"

#include <stdio.h>
#include <stdlib.h>

static void *
Alloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

int
main(void)
{
	long		checks = 0;

	srand(7);
	for (int iter = 0; iter < 20000; iter++)
	{
		int			n = rand() % 40,
					nd = rand() % 30,
					w = 1 + rand() % 20;
		int32	   *day = Alloc(sizeof(int32) * n);
		double	   *val = Alloc(sizeof(double) * n * CHURNWIN_NVAL);
		int64	   *last = Alloc(sizeof(int64) * n);
		bool	   *has = Alloc(sizeof(bool) * n);
		int32	   *date = Alloc(sizeof(int32) * nd);
		double	   *prefix = Alloc(sizeof(double) * (n + 1) * CHURNWIN_NVAL);
		ChurnWinRow *out = Alloc(sizeof(ChurnWinRow) * nd);
		int			d0 = rand() % 100 - 50,
					e0 = rand() % 100 - 60;
		bool		has_old = rand() % 2;
		int64		old_last = -1000000;

		for (int i = 0; i < n; i++)
		{
			d0 += 1 + rand() % 5;
			day[i] = d0;
			for (int v = 0; v < CHURNWIN_NVAL; v++)
				val[i * CHURNWIN_NVAL + v] = rand() % 7;
			has[i] = rand() % 3 != 0;
			last[i] = (int64) day[i] * 86400 + rand() % 86400;
		}
		for (int k = 0; k < nd; k++)
		{
			e0 += 1 + rand() % 6;
			date[k] = e0;
		}
		churnwin_compute(n, day, val, last, has, has_old, old_last, nd, date, w, prefix, out);
		for (int k = 0; k < nd; k++)
		{
			bool		h = has_old;
			int64		l = old_last;

			for (int v = 0; v < CHURNWIN_NVAL; v++)
			{
				double		r = 0,
							p = 0;

				for (int i = 0; i < n; i++)
				{
					if (day[i] >= date[k] - w && day[i] < date[k])
						r += val[i * CHURNWIN_NVAL + v];
					if (day[i] >= date[k] - 2 * w && day[i] < date[k] - w)
						p += val[i * CHURNWIN_NVAL + v];
				}
				if (r != out[k].recent[v] || p != out[k].prior[v])
				{
					fprintf(stderr, "window mismatch (case %d, date %d, value %d)\n", iter, k, v);
					return 1;
				}
				checks++;
			}
			for (int i = 0; i < n; i++)
				if (day[i] < date[k] && has[i] && (!h || last[i] > l))
				{
					h = true;
					l = last[i];
				}
			if (h != out[k].has_last || (h && l != out[k].last_play))
			{
				fprintf(stderr, "last play mismatch (case %d, date %d)\n", iter, k);
				return 1;
			}
		}
		free(day);
		free(val);
		free(last);
		free(has);
		free(date);
		free(prefix);
		free(out);
	}
	printf("churnwin: %ld window sums and their last plays match the brute force\n", checks);
	return 0;
}
