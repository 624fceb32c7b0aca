/*
 * demo_words.h -- the vocabulary of the demo catalog (plain data).
 *
 * Each archetype is a taste community as an analyst would name it
 * ("nordic noir", "k-drama"): its genres, language, maturity, format and
 * the theme, setting, protagonist and title words its descriptions are
 * made of.  Generic filler (adjectives, closing sentences) is shared by
 * all, so TF-IDF has to find neighbours through the community words.
 */
#ifndef NFREC_DEMO_WORDS_H
#define NFREC_DEMO_WORDS_H

#include "c.h"

#define DW_THEMES 6
#define DW_SETTINGS 4
#define DW_PROTS 3
#define DW_TITLEWORDS 4

typedef struct DemoArchetype
{
	const char *name;
	int			genre1;
	int			genre2;
	int			lang;			/* index into demo_lang_codes */
	int			maturity;		/* 0 kids .. 4 adult */
	double		series_share;
	int			episode_minutes;
	int			movie_minutes;
	double		cost_factor;
	const char *themes[DW_THEMES];
	const char *settings[DW_SETTINGS];
	const char *prots[DW_PROTS];
	const char *titlewords[DW_TITLEWORDS];
} DemoArchetype;

#define DW_N_ARCHETYPES 28
extern const DemoArchetype dw_archetypes[DW_N_ARCHETYPES];

#define DW_N_GENRES 21
extern const char *const dw_genres[DW_N_GENRES];
extern const char *const dw_genre_words[DW_N_GENRES];	/* lower case, for prose */

#define DW_N_VARIANT_THEMES 48
extern const char *const dw_variant_themes[DW_N_VARIANT_THEMES];

#define DW_N_ADJ 20
extern const char *const dw_adjectives[DW_N_ADJ];
#define DW_N_FILLER 16
extern const char *const dw_filler[DW_N_FILLER];
#define DW_N_TITLE_ADJ 40
extern const char *const dw_title_adj[DW_N_TITLE_ADJ];
#define DW_N_TITLE_NOUN 48
extern const char *const dw_title_noun[DW_N_TITLE_NOUN];

/* maturity ratings by level 0..4 */
extern const char *const dw_movie_ratings[5];
extern const char *const dw_series_ratings[5];

#endif
