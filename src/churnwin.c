/*
 * churnwin.c -- per-subscriber window statistics for the churn features.
 * See churnwin.h.  Plain C on plain arrays.
 */
#include "churnwin.h"

void
churnwin_compute(int n, const int32 *day, const double *val,
				 const int64 *last, const bool *has_last,
				 bool has_old, int64 old_last,
				 int nd, const int32 *date, int32 w,
				 double *prefix, ChurnWinRow *out)
{
	int			a = 0,			/* days before d */
				b = 0,			/* days before d - w */
				c = 0,			/* days before d - 2w */
				m = 0;			/* days folded into the running last play */
	bool		cur_has = has_old;
	int64		cur_last = old_last;

	/* prefix[i] = totals over the first i days */
	for (int v = 0; v < CHURNWIN_NVAL; v++)
		prefix[v] = 0.0;
	for (int i = 0; i < n; i++)
		for (int v = 0; v < CHURNWIN_NVAL; v++)
			prefix[(i + 1) * CHURNWIN_NVAL + v] =
				prefix[i * CHURNWIN_NVAL + v] + val[i * CHURNWIN_NVAL + v];

	for (int k = 0; k < nd; k++)
	{
		int64		d = date[k];
		const double *pa,
				   *pb,
				   *pc;

		while (a < n && day[a] < d)
			a++;
		while (b < n && day[b] < d - w)
			b++;
		while (c < n && day[c] < d - 2 * (int64) w)
			c++;
		pa = prefix + a * CHURNWIN_NVAL;
		pb = prefix + b * CHURNWIN_NVAL;
		pc = prefix + c * CHURNWIN_NVAL;
		for (int v = 0; v < CHURNWIN_NVAL; v++)
		{
			out[k].recent[v] = pa[v] - pb[v];
			out[k].prior[v] = pb[v] - pc[v];
		}
		for (; m < a; m++)
			if (has_last[m] && (!cur_has || last[m] > cur_last))
			{
				cur_has = true;
				cur_last = last[m];
			}
		out[k].has_last = cur_has;
		out[k].last_play = cur_last;
	}
}
