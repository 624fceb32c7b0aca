/*
 * ease_serve.c -- EASE models (ease.h) behind the serving functions of
 * model.c: deployed EASE models are rows of nfrec.model_store with kind
 * 'ease' (B in title_factors as a titles x titles real[], training events
 * in nfrec.model_users with empty factors), cached like ALS models.
 *
 * Serving follows ALS's rules (model.c, nf_resolve_user): a user's titles are
 * their current events in the bound relation when it has any (EASE needs
 * no fold-in: the scores come straight from those events), else their
 * training events; titles seen in either are never recommended; a user
 * with no positive weight gets the popularity list.  The score of title j
 * is (x_u B)_j, x_u the binarized events.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "ease.h"
#include "ease_serve.h"
#include "topk.h"

void
nf_ease_load(ServeModel *sm, const float *B)
{
	Size		nb = (Size) sm->nitems * sm->nitems;
	float	   *copy = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(float) * nb);

	memcpy(copy, B, sizeof(float) * nb);
	sm->kind = NF_MODEL_EASE;
	sm->factors = 0;
	sm->Y = NULL;
	sm->B = copy;
}

int
nf_ease_user_scores(ServeModel *sm, const UserEvents *ev)
{
	return ease_scores(sm->nitems, sm->B, ev->rows, ev->w, ev->n, sm->scores);
}

bool
nf_ease_user_training(ServeModel *sm, int64 user_id, UserEvents *ev)
{
	const EaseModelHeader *m = sm->ease_value;
	int32		u = als_find_id(EASE_USER_IDS(m), m->nusers, user_id);
	const int64 *ptr = EASE_USER_PTR(m);

	if (u < 0)
		return false;
	ev->n = (int) (ptr[u + 1] - ptr[u]);
	ev->rows = EASE_EV_ITEM(m) + ptr[u];
	ev->w = EASE_EV_WEIGHT(m) + ptr[u];
	return true;
}

int
nf_rank_scores(ServeModel *sm, int k, int32 *rows, float *scores)
{
	int			got = topk_select(sm->scores, sm->nitems, sm->seen, k, rows);

	for (int j = 0; j < got; j++)
		scores[j] = sm->scores[rows[j]];
	return got;
}

int
nf_ease_similar(ServeModel *sm, int32 t, int k, int32 *rows, float *scores)
{
	memcpy(sm->scores, sm->B + (Size) t * sm->nitems, sizeof(float) * sm->nitems);
	return nf_rank_scores(sm, k, rows, scores);
}

void
nf_require_factors(ServeModel *sm, const char *what)
{
	if (sm->kind == NF_MODEL_EASE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" is an EASE model, which has no %s",
						sm->name ? sm->name : "(value)", what),
				 errdetail("EASE scores a user straight from the user's titles with its title-by-title matrix; there are no latent factors."),
				 errhint("recommend_for and similar_titles serve EASE models.")));
}
