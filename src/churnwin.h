/*
 * churnwin.h -- per-subscriber window statistics for the churn features
 * (plain arrays, no PostgreSQL calls; only c.h types).
 *
 * A subscriber's activity is a list of days with per-day totals (days
 * active, plays, seconds, sum and count of watch_pct, abandoned plays,
 * sessions, browse-only sessions) and the time of the day's last play.
 * For each asked date d the totals over the days in [d - w, d) ("recent")
 * and [d - 2w, d - w) ("prior") and the last play before d are the
 * differences and maxima of running totals, found with three pointers
 * that only move forward: O(days + dates) per subscriber.
 */
#ifndef NFREC_CHURNWIN_H
#define NFREC_CHURNWIN_H

#include "c.h"

#define CHURNWIN_NVAL 8			/* active, plays, secs, pct_sum, pct_n,
								 * abandoned, sessions, browse */

typedef struct ChurnWinRow
{
	double		recent[CHURNWIN_NVAL];
	double		prior[CHURNWIN_NVAL];
	int64		last_play;		/* valid if has_last */
	bool		has_last;
} ChurnWinRow;

/*
 * day[n]: strictly ascending day numbers; val[n * CHURNWIN_NVAL]: the
 * day's totals, row-major; last[n] / has_last[n]: the day's last play.
 * has_old / old_last: a last play before all the days.  date[nd]:
 * ascending day numbers; w >= 1 the window length in days.  prefix must
 * have room for (n + 1) * CHURNWIN_NVAL doubles.  Fills out[nd].
 */
extern void churnwin_compute(int n, const int32 *day, const double *val,
							 const int64 *last, const bool *has_last,
							 bool has_old, int64 old_last,
							 int nd, const int32 *date, int32 w,
							 double *prefix, ChurnWinRow *out);

#endif
