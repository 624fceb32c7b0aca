/*
 * artwork.h -- the artwork pick of nfrec.pick_artwork in C (artwork.c),
 * for the homepage.
 */
#ifndef NFREC_ARTWORK_H
#define NFREC_ARTWORK_H

#include "postgres.h"

/*
 * For each title_ids[i], artwork[i] and has[i] = true as
 * nfrec.pick_artwork(user_id, title_ids, seed) (default prior_strength)
 * picks it for a user of that segment (the genres[1] most often among
 * their plays, NULL: none; the caller computes it); has[i] = false for a
 * title never shown.
 * Returns false (every has[i] false) when there is no artwork fit.  SPI
 * must be connected.
 */
extern bool nf_artwork_pick(int64 user_id, const int64 *title_ids, int n, int64 seed,
							const char *segment, int32 *artwork, bool *has);

#endif
