/*
 * cooccur.h -- title-to-title co-occurrence neighbours from users'
 * histories (pure: no PostgreSQL calls beyond c.h types; works on plain
 * arrays with caller-supplied scratch).
 *
 * For titles a and b, C(a, b) is the number of users who have both with a
 * positive summed weight, n(b) the number of users who have b.  The
 * neighbours of a are the m titles b != a with C(a, b) > 0 and the highest
 *
 *     s(a, b) = C(a, b) / (n(b) + beta)
 *
 * (the share of b's users who also have a, shrunk towards 0 for titles
 * with few users; ties: lower row first).  A user's history counts at most
 * cap titles: of a longer history, the cap with the highest weights (ties:
 * lower row), so the cost is bounded by users x cap^2 increments.  Used at
 * deploy time by model_neighbours.c; doc/serve.md, "Similar titles and
 * support".
 */
#ifndef NFREC_COOCCUR_H
#define NFREC_COOCCUR_H

#include "c.h"

/* bytes of scratch cooccur_neighbours needs */
extern Size cooccur_work_bytes(int nusers, int nitems, int64 nevents, int cap);

/*
 * Users' events as CSR: user_ptr[nusers + 1], ev_item (rows in
 * 0..nitems-1, ascending within a user, each at most once per user) and
 * ev_weight.  Writes nitems x m neighbour rows (-1 where a title has
 * fewer) and their scores (0 there) to out_rows / out_scores, best first.
 * poll (may be NULL) is called every few titles and may longjmp.
 * Returns the number of counted pairs (the work done).
 */
extern int64 cooccur_neighbours(int nusers, int nitems, const int64 *user_ptr,
								const int32 *ev_item, const float *ev_weight,
								int m, int cap, double beta,
								int32 *out_rows, float *out_scores,
								void *work, void (*poll) (void *arg), void *arg);

#endif
