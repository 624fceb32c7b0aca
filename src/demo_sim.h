/*
 * demo_sim.h -- the demo-data simulation on plain structs (no PostgreSQL
 * calls; only c.h types).
 *
 * The simulation is split in two so that every user can be simulated on
 * its own, in any order, with the same result:
 *
 *   1. the catalog (taste communities, titles, launches, planted hits and
 *      flops) is a function of (seed, titles, days, communities) only;
 *   2. a user's whole life (country, tastes, signup, sessions, plays,
 *      disengagement, cancellation) is a function of the catalog and
 *      (seed, user_id) only.
 *
 * Time is counted in "days" relative to the first day of the period
 * (day 0 = end_date - days + 1) and event times in microseconds relative
 * to day 0 00:00 UTC.  The glue (demo_sql.c) turns them into date/timestamptz.
 * Everything is integer or IEEE double arithmetic driven by xoshiro256**,
 * so results do not depend on the plan, the TimeZone or the current date.
 */
#ifndef NFREC_DEMO_SIM_H
#define NFREC_DEMO_SIM_H

#include "c.h"

#define DEMO_USEC_PER_DAY	INT64CONST(86400000000)
#define DEMO_USEC_PER_SEC	INT64CONST(1000000)

/* Limits checked by the glue before anything is built. */
#define DEMO_MAX_TITLES		1000000
#define DEMO_MAX_DAYS		3660
#define DEMO_MAX_COMMUNITIES 1000
#define DEMO_MAX_ACTIVITY	100.0

/* event types, devices, plans (indexes into the name tables below) */
enum
{
	DEMO_EV_PLAY = 0, DEMO_EV_IMPRESSION, DEMO_EV_SEARCH, DEMO_EV_THUMB_UP,
	DEMO_EV_THUMB_DOWN, DEMO_N_EVTYPES
};
enum
{
	DEMO_DEV_TV = 0, DEMO_DEV_MOBILE, DEMO_DEV_TABLET, DEMO_DEV_WEB, DEMO_N_DEVICES
};
enum
{
	DEMO_PLANTED_NONE = 0, DEMO_PLANTED_HIT, DEMO_PLANTED_FLOP
};
enum
{
	DEMO_CANCEL_NONE = 0, DEMO_CANCEL_DISENGAGED, DEMO_CANCEL_RANDOM, DEMO_CANCEL_TRIAL
};

extern const char *const demo_event_type_names[DEMO_N_EVTYPES];
extern const char *const demo_device_names[DEMO_N_DEVICES];
extern const char *const demo_planted_names[3];
extern const char *const demo_cancel_names[4];

#define DEMO_N_PLANS 3
extern const char *const demo_plan_names[DEMO_N_PLANS];
extern const char *const demo_plan_prices[DEMO_N_PLANS];	/* numeric text */

#define DEMO_N_COUNTRIES 15
extern const char *const demo_country_codes[DEMO_N_COUNTRIES];

#define DEMO_N_LANGS 10
extern const char *const demo_lang_codes[DEMO_N_LANGS];

typedef struct DemoParams
{
	int64		users;
	int32		titles;
	int32		days;
	int64		seed;
	int32		communities;	/* 0 = automatic */
	double		activity;		/* session-rate multiplier, 1 = default */
	int32		dow0;			/* weekday of day 0, 0 = Sunday */
	bool		context;		/* plant the context effects (device, day part) */
} DemoParams;

/*
 * Planted context effects: a title's class multiplies its chance of being
 * picked by a factor for the session's local day part and device.
 */
enum
{
	DEMO_CTX_NONE = 0, DEMO_CTX_FAMILY, DEMO_CTX_SHORT_SERIES, DEMO_CTX_LONG_FILM,
	DEMO_N_CTX_CLASSES
};
enum
{
	DEMO_DP_MORNING = 0, DEMO_DP_AFTERNOON, DEMO_DP_EVENING, DEMO_DP_NIGHT, DEMO_N_DAYPARTS
};
#define DEMO_N_CELLS (DEMO_N_DAYPARTS * DEMO_N_DEVICES)
extern const char *const demo_ctx_class_names[DEMO_N_CTX_CLASSES];
extern double demo_ctx_multiplier(int cls, int daypart, int device);
extern int	demo_daypart_of_hour(int local_hour);

/* Artwork: every title has DEMO_N_ARTWORKS artworks (artwork_id 1..N) */
#define DEMO_N_ARTWORKS 4
#define DEMO_N_SEGMENTS 21		/* one per genre (DW_N_GENRES) */

typedef struct DemoTitle
{
	int32		community;
	int32		launch_day;		/* may be negative: back catalog */
	int32		runtime;		/* minutes of the movie / of one episode */
	int32		episodes;		/* 0 for a movie */
	int32		release_lag;	/* release_year = year(launch) - release_lag */
	float		pop;			/* true popularity weight (Zipf) */
	float		quality;		/* ~N(0,1): drives completion */
	double		cost;			/* production cost in dollars, < 0 = unknown */
	int8		planted;		/* DEMO_PLANTED_* */
	int8		lang;
	int8		maturity;		/* 0..4 */
	int8		ctx_class;		/* DEMO_CTX_* */
} DemoTitle;

typedef struct DemoCommunity
{
	int32		archetype;
	int32		variant;		/* 0 for the first community of an archetype */
	int32		lang;
	double		appeal;			/* how many users pick it (before region) */
	int32		ntitles;
	int32	   *by_pop;			/* title indexes, popularity order */
	double	   *cum_pop;		/* cumulative popularity over by_pop */
	int32	   *by_launch;		/* title indexes, launch order */
	int32	   *launch_sorted;	/* launch day of by_launch[i] */
	double	   *cum_launch;		/* cumulative popularity over by_launch */
	double		total_pop;
	/* the community's titles by context class, popularity order */
	int32		cls_n[DEMO_N_CTX_CLASSES];
	int32	   *cls_by_pop[DEMO_N_CTX_CLASSES];
	double	   *cls_cum[DEMO_N_CTX_CLASSES];
	double		cls_pop[DEMO_N_CTX_CLASSES];
	double		ctx_factor[DEMO_N_CELLS];	/* sum of pop x multiplier / total_pop */
} DemoCommunity;

/* Allocation hook: the glue passes palloc; memory is never freed here. */
typedef void *(*DemoAllocFn) (size_t size);

/*
 * Interrupt hook, called now and then while the catalog is built (may
 * longjmp out: the catalog holds nothing but memory from DemoAllocFn).
 */
typedef void (*DemoCheckFn) (void);

typedef struct DemoCatalog
{
	DemoParams	p;
	int32		ncomm;
	DemoCommunity *comm;
	DemoTitle  *title;			/* title_id = index + 1 */
	double	   *global_cum;		/* cumulative popularity, title order */
	double	   *country_cum;	/* [country][community] cumulative prior */
	int32		nhits;
	int32	   *hits;			/* title indexes, launch order */
	int32		nflops;
	int32	   *flops;
	/* planted artwork preference: lift[segment][artwork - 1] */
	double		art_lift[DEMO_N_SEGMENTS][DEMO_N_ARTWORKS];
} DemoCatalog;

typedef struct DemoEvent
{
	int64		usec;			/* since day 0 00:00 UTC */
	int32		title;			/* title index */
	int32		watch_seconds;	/* -1 = NULL (not a play) */
	float		watch_pct;		/* -1 = NULL (not a play) */
	int8		type;
	int8		device;
	int8		daypart;		/* local day part of the session (DEMO_DP_*) */
} DemoEvent;

typedef struct DemoUser
{
	int64		user_id;
	int32		country;
	int32		plan;
	int32		signup_day;
	int32		cancel_day;		/* valid if cancel_reason != NONE */
	int32		cancel_reason;
	int32		ncomm;
	int32		comm[3];
	float		weight[3];
	float		activity;
	bool		churn_prone;
	int32		decline_day;	/* first disengagement onset, INT32_MIN = none */
	int32		rescued_by;		/* title index of a hit, -1 = none */
	int32		attributed_to;	/* hit that brought the signup, -1 = none */
} DemoUser;

/* Per-user scratch, sized by the catalog, reused across users. */
typedef struct DemoScratch
{
	uint8	   *state;			/* per title: 0 unseen, 1 done, 2 in progress, 3 dropped */
	uint8	   *progress;		/* episodes seen */
	int32	   *touched;
	int32		ntouched;
} DemoScratch;

extern int32 demo_auto_communities(int32 titles);
extern void demo_build_catalog(DemoCatalog *cat, const DemoParams *p, DemoAllocFn alloc,
							   DemoCheckFn check);
extern void demo_init_scratch(DemoScratch *s, const DemoCatalog *cat, DemoAllocFn alloc);

/*
 * Simulate one user.  Fills *u and up to cap events (chronological);
 * returns the number of events the user has, which may exceed cap: then
 * the caller enlarges the buffer and calls again (same result).
 */
extern int	demo_simulate_user(const DemoCatalog *cat, int64 user_id, DemoScratch *s,
							   DemoUser *u, DemoEvent *ev, int cap);

/* Text of a title: name, description, genres (up to 3). */
typedef struct DemoTitleText
{
	char		name[96];
	char		description[640];
	const char *genres[3];
	int			ngenres;
	const char *maturity;
	const char *community_name;
} DemoTitleText;

/* One artwork impression per impression event of a user. */
typedef struct DemoArtwork
{
	int32		event;			/* index of the impression event */
	int8		artwork;		/* 1..DEMO_N_ARTWORKS */
	bool		played;
} DemoArtwork;

/* the planted artwork segment of a user: genre of the strongest community */
extern int	demo_user_segment(const DemoCatalog *cat, const DemoUser *u);
extern const char *demo_segment_name(int segment);
extern void demo_artwork_lifts(int64 seed, double lift[DEMO_N_SEGMENTS][DEMO_N_ARTWORKS]);

/*
 * Artwork impressions of a simulated user (ev, n as returned by
 * demo_simulate_user): one per impression event, written to out (room for
 * n); returns how many.  A function of (seed, user_id) and the events only.
 */
extern int	demo_artwork_user(const DemoCatalog *cat, const DemoUser *u,
							  const DemoEvent *ev, int n, DemoArtwork *out);

extern void demo_title_text(const DemoCatalog *cat, int32 t, DemoTitleText *out);
extern const char *demo_community_name(const DemoCatalog *cat, int32 c, char *buf, size_t len);

#endif
