/*
 * ease_serve.h -- EASE models behind the serving functions (ease_serve.c):
 * scores from a user's events and B, ranking, similar titles.
 */
#ifndef NFREC_EASE_SERVE_H
#define NFREC_EASE_SERVE_H

#include "serve.h"

/* B from a model_store row's title_factors (n x n), copied into the model */
extern void nf_ease_load(ServeModel *sm, const float *B);
/* sm->scores = x_u B for the events' positive titles; returns how many */
extern int	nf_ease_user_scores(ServeModel *sm, const UserEvents *ev);
/* the training events of a transient EASE model's user; false if unknown */
extern bool nf_ease_user_training(ServeModel *sm, int64 user_id, UserEvents *ev);
/* top-k of sm->scores, skipping sm->seen rows */
extern int	nf_rank_scores(ServeModel *sm, int k, int32 *rows, float *scores);
/* the titles that title row t adds most to (row t of B), skipping seen */
extern int	nf_ease_similar(ServeModel *sm, int32 t, int k, int32 *rows, float *scores);
/* error unless the model has factors (user_vector, item_factors) */
extern void nf_require_factors(ServeModel *sm, const char *what);

#endif
