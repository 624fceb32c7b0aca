/*
 * demo_sim.c -- the demo-data simulation (plain C, no PostgreSQL calls).
 *
 * See demo_sim.h for the contract and doc/demo.md for what is simulated.
 * In short:
 *
 * Catalog.  K taste communities, each an archetype ("nordic noir") with a
 * language, genres and vocabulary.  Titles belong to one community; their
 * popularity is Zipf over a random global rank.  About 55% of the titles
 * are back catalog (launched before the period), the rest launch on days
 * spread over the period.  Three "hits" (popular, high quality, promoted,
 * and able to pull disengaging subscribers back) and three "flops" (the
 * most expensive launches, little appeal, low completion) are planted in
 * the middle of the period.
 *
 * Users.  A country (with a language and a UTC offset), 1-3 communities
 * drawn with regional tastes, a lognormal activity level, a weekly rhythm,
 * device preferences, a plan, a signup day.  On each day the user may have
 * sessions (time of day by device, local time -> UTC); a session browses
 * (impressions, searches) and usually plays something: the next episodes
 * of a series in progress (binge), or a new title drawn from the user's
 * communities by popularity.  Completion depends on how well the title
 * matches the user's tastes and on the title's quality.
 *
 * Churn.  Churn-prone users at some point start to disengage: for 6-12
 * weeks they play less and less (engagement 60% at once, then towards
 * 10%): they still open the app, but less often (30-100% of their usual
 * rate) and more and more only to browse, they abandon more, and then they
 * cancel (15% recover instead).  Watching a planted hit while disengaging
 * stops the decline (90%).  Everybody also has a small random cancellation
 * hazard, and a few new subscribers cancel in their first month, which
 * keeps churn learnable but not trivially so.
 *
 * Context (DemoParams.context).  A session's local day part and device
 * multiply the chance that a title of a context class (family, short
 * series, long film) is picked; drawn with the same number of random
 * numbers, so only the chosen titles differ from a demo without it.
 * Artwork impressions come from a separate stream after the events
 * (demo_artwork_user).
 *
 * Launch win-back.  Subscribers idle for two weeks when a planted launch
 * (hit or flop) goes live are reached by its win-back and may come to try
 * it in its first month.  Who watches a planted launch thus depends on
 * what the service observes, so an observational comparison of at-risk
 * watchers with comparable non-watchers can find the hits' rescue effect
 * (and no effect of the flops).
 */
#include "demo_sim.h"
#include "demo_words.h"
#include "rng.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* names                                                               */
/* ------------------------------------------------------------------ */

const char *const demo_event_type_names[DEMO_N_EVTYPES] = {
	"play", "impression", "search", "thumb_up", "thumb_down"
};
const char *const demo_device_names[DEMO_N_DEVICES] = {"tv", "mobile", "tablet", "web"};
const char *const demo_planted_names[3] = {NULL, "hit", "flop"};
const char *const demo_cancel_names[4] = {NULL, "disengaged", "random", "trial"};
const char *const demo_plan_names[DEMO_N_PLANS] = {"basic_ads", "standard", "premium"};
const char *const demo_plan_prices[DEMO_N_PLANS] = {"6.99", "15.49", "22.99"};
static const double plan_share[DEMO_N_PLANS] = {0.25, 0.50, 0.25};
static const double plan_churn_prone[DEMO_N_PLANS] = {0.45, 0.33, 0.22};

const char *const demo_lang_codes[DEMO_N_LANGS] = {
	"en", "sv", "ja", "ko", "es", "hi", "fr", "de", "pt", "it"
};

const char *const demo_country_codes[DEMO_N_COUNTRIES] = {
	"US", "GB", "CA", "AU", "BR", "MX", "ES", "AR", "FR", "DE", "IT", "IN",
	"JP", "KR", "SE"
};
static const double country_share[DEMO_N_COUNTRIES] = {
	0.30, 0.08, 0.05, 0.03, 0.09, 0.07, 0.04, 0.02, 0.05, 0.06, 0.03, 0.07,
	0.05, 0.04, 0.02
};
static const int country_lang[DEMO_N_COUNTRIES] = {
	0, 0, 0, 0, 8, 4, 4, 4, 6, 7, 9, 5, 2, 3, 1
};
/* UTC offset in minutes (standard time; no daylight saving) */
static const int country_utc_min[DEMO_N_COUNTRIES] = {
	-300, 0, -300, 600, -180, -360, 60, -180, 60, 60, 60, 330, 540, 540, 60
};
/* how much more the country watches on phones */
static const double country_mobile[DEMO_N_COUNTRIES] = {
	1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 1.2, 1.6, 1.0, 0.9, 1.1, 3.0, 1.4, 1.5, 1.0
};

static const double device_base[DEMO_N_DEVICES] = {0.45, 0.30, 0.12, 0.13};

/*
 * Planted context effects (doc/demo.md): a title's chance of being picked
 * in a session is multiplied by day-part factor x device factor of its
 * class.  Family titles (archetypes with the Animation or Family genre) in
 * afternoons and on tablets, short series (episodes of 30 minutes or less)
 * on phones, long films (110 minutes or more) on TV and in the evening.
 */
const char *const demo_ctx_class_names[DEMO_N_CTX_CLASSES] = {
	NULL, "family", "short_series", "long_film"
};
/* [class][morning, afternoon, evening, night] */
static const double ctx_daypart[DEMO_N_CTX_CLASSES][DEMO_N_DAYPARTS] = {
	{1, 1, 1, 1},
	{1.5, 5.0, 0.5, 0.1},
	{1.2, 1.0, 0.7, 1.5},
	{0.3, 0.6, 3.0, 1.0}
};
/* [class][tv, mobile, tablet, web] */
static const double ctx_device[DEMO_N_CTX_CLASSES][DEMO_N_DEVICES] = {
	{1, 1, 1, 1},
	{1.0, 0.5, 4.0, 0.5},
	{0.4, 4.0, 1.2, 1.0},
	{2.5, 0.2, 0.6, 0.6}
};

double
demo_ctx_multiplier(int cls, int daypart, int device)
{
	return ctx_daypart[cls][daypart] * ctx_device[cls][device];
}

/* local hour -> day part: morning 5-11, afternoon 12-16, evening 17-21, night 22-4 */
int
demo_daypart_of_hour(int h)
{
	if (h >= 5 && h < 12)
		return DEMO_DP_MORNING;
	if (h >= 12 && h < 17)
		return DEMO_DP_AFTERNOON;
	if (h >= 17 && h < 22)
		return DEMO_DP_EVENING;
	return DEMO_DP_NIGHT;
}

/* planted artwork lifts, by the artwork's rank in a segment's preference */
static const double art_rank_lift[DEMO_N_ARTWORKS] = {1.8, 1.0, 0.8, 0.6};

/* local hour profiles [device][weekend][hour] */
static const double hour_profile[DEMO_N_DEVICES][2][24] = {
	{							/* tv: evenings, weekend afternoons */
		{0.6, 0.3, 0.15, 0.1, 0.05, 0.05, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4,
		0.5, 0.5, 0.5, 0.6, 0.8, 1.2, 2.0, 3.2, 4.0, 4.0, 3.0, 1.6},
		{0.9, 0.5, 0.25, 0.1, 0.05, 0.05, 0.1, 0.3, 0.6, 1.0, 1.3, 1.5,
		1.6, 1.8, 2.0, 2.1, 2.2, 2.4, 2.8, 3.4, 3.8, 3.8, 3.0, 1.8}},
	{							/* mobile: commute, lunch, bedtime */
		{0.8, 0.4, 0.2, 0.1, 0.1, 0.2, 0.8, 2.5, 2.8, 1.2, 0.6, 0.8,
		1.8, 1.6, 0.7, 0.7, 1.0, 2.2, 2.4, 1.2, 1.0, 1.3, 1.8, 1.5},
		{1.0, 0.6, 0.3, 0.15, 0.1, 0.1, 0.2, 0.4, 0.7, 1.0, 1.2, 1.3,
		1.4, 1.4, 1.3, 1.3, 1.3, 1.3, 1.2, 1.1, 1.1, 1.3, 1.6, 1.4}},
	{							/* tablet: evenings, weekend mornings */
		{0.4, 0.15, 0.05, 0.05, 0.05, 0.1, 0.3, 0.5, 0.5, 0.5, 0.5, 0.5,
		0.6, 0.6, 0.6, 0.8, 1.2, 1.5, 1.8, 2.2, 2.5, 2.4, 1.6, 0.8},
		{0.4, 0.15, 0.05, 0.05, 0.05, 0.2, 0.6, 1.4, 2.0, 2.2, 2.0, 1.6,
		1.2, 1.0, 1.0, 1.1, 1.3, 1.5, 1.8, 2.0, 2.2, 2.0, 1.4, 0.7}},
	{							/* web: office hours */
		{0.3, 0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 1.2, 1.6, 1.6,
		1.8, 1.7, 1.6, 1.6, 1.4, 1.0, 0.8, 0.9, 1.1, 1.2, 0.9, 0.5},
		{0.5, 0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0, 1.1,
		1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.1, 1.2, 1.3, 1.2, 0.9, 0.6}}
};

/* ------------------------------------------------------------------ */
/* tuning                                                              */
/* ------------------------------------------------------------------ */

#define ZIPF_S				0.9		/* popularity ~ 1 / rank^s */
#define BACK_CATALOG_SHARE	0.55
#define SESSIONS_PER_DAY	0.20	/* at activity 1, fully engaged */
#define EXPLORE_SHARE		0.12	/* picks outside the user's communities */
#define RECENT_SHARE		0.25	/* picks among the community's new launches */
#define RECENT_DAYS			45
#define PROMO_DAYS			45		/* hits and flops are on the home page */
#define HIT_PICK_DAYS		60
#define DECLINE_MEAN_START	130.0	/* mean days to a churn-prone user's decline */
#define RANDOM_CHURN_MEAN	6000.0	/* mean days to a random cancellation */
#define DECLINE_MIN_DAYS	42		/* a decline lasts 6 to 12 weeks ... */
#define DECLINE_SPAN_DAYS	43
#define SESSION_FLOOR		0.3		/* ... the app is still opened at 30-100% of the rate */
#define BROWSE_SLOPE		0.75	/* ... more and more often only to browse */
#define WINBACK_IDLE_DAYS	14		/* idle at a planted launch: reached by its win-back */
#define WINBACK_DAYS		30
#define WINBACK_DAILY		0.02	/* chance a day that a reached subscriber comes to try it */
#define NOON_USEC			(INT64CONST(12) * 3600 * DEMO_USEC_PER_SEC)
#define TEN_USEC			(INT64CONST(10) * 3600 * DEMO_USEC_PER_SEC)

/* stream tags of the PRNG */
#define TAG_CATALOG	1
#define TAG_USER	2
#define TAG_TEXT	3
#define TAG_ARTWORK	4			/* artwork preferences and impressions */

StaticAssertDecl(DEMO_N_SEGMENTS == DW_N_GENRES, "one artwork segment per genre");

/* ------------------------------------------------------------------ */
/* PRNG: xoshiro256** seeded through splitmix64                       */
/* ------------------------------------------------------------------ */

/* rng.h's generator under this file's short names */
typedef NfRng Rng;
#define RngNext(r)	nf_rng_next(r)
#define U01(r)		nf_rng_u01(r)
#define UInt(r, n)	nf_rng_int(r, n)

static void
RngSeed(Rng *r, int64 seed, uint64 tag, uint64 index)
{
	uint64		x = (uint64) seed * UINT64CONST(0x9E3779B97F4A7C15);

	x ^= nf_splitmix64(&tag);
	x += index * UINT64CONST(0xD1B54A32D192ED03);
	nf_rng_seed(r, x);
}

static double
Normal(Rng *r)
{
	double		u1 = 1.0 - U01(r);	/* (0, 1] */
	double		u2 = U01(r);

	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static inline double
Expo(Rng *r, double mean)
{
	return -mean * log(1.0 - U01(r));
}

static int
Poisson(Rng *r, double lambda)
{
	if (lambda <= 0)
		return 0;
	if (lambda < 30)
	{
		double		limit = exp(-lambda);
		double		p = 1.0;
		int			k = 0;

		for (;;)
		{
			p *= U01(r);
			if (p <= limit)
				return k;
			k++;
		}
	}
	else
	{
		double		x = floor(lambda + sqrt(lambda) * Normal(r) + 0.5);

		return x < 0 ? 0 : (int) x;
	}
}

/* number of failures before a success of probability p */
static int
Geometric(Rng *r, double p)
{
	int			k = 0;

	while (U01(r) >= p && k < 1000)
		k++;
	return k;
}

/* first index i with x < cum[i] (cum non-decreasing, x < cum[n-1]) */
static int
SearchCum(const double *cum, int n, double x)
{
	int			lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (x < cum[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int
SampleCum(Rng *r, const double *cum, int n)
{
	return SearchCum(cum, n, U01(r) * cum[n - 1]);
}

static int
SampleWeights(Rng *r, const double *w, int n)
{
	double		total = 0,
				x;

	for (int i = 0; i < n; i++)
		total += w[i];
	x = U01(r) * total;
	for (int i = 0; i < n; i++)
	{
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

static void
Shuffle(Rng *r, int32 *a, int n)
{
	for (int i = n - 1; i > 0; i--)
	{
		int			j = UInt(r, i + 1);
		int32		t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

static inline double
Clamp(double x, double lo, double hi)
{
	return x < lo ? lo : (x > hi ? hi : x);
}

/* ------------------------------------------------------------------ */
/* catalog                                                             */
/* ------------------------------------------------------------------ */

int32
demo_auto_communities(int32 titles)
{
	int32		k = (int32) floor(0.6 * sqrt((double) titles) + 0.5);

	if (k < 3)
		k = 3;
	if (k > 48)
		k = 48;
	if (k > titles)
		k = titles;
	return k;
}

typedef struct SortCtx
{
	const DemoTitle *title;
} SortCtx;

static int
CmpByPop(const void *a, const void *b, void *arg)
{
	const DemoTitle *t = ((const SortCtx *) arg)->title;
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	if (t[x].pop != t[y].pop)
		return t[x].pop > t[y].pop ? -1 : 1;
	return x < y ? -1 : (x > y);
}

static int
CmpByLaunch(const void *a, const void *b, void *arg)
{
	const DemoTitle *t = ((const SortCtx *) arg)->title;
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	if (t[x].launch_day != t[y].launch_day)
		return t[x].launch_day < t[y].launch_day ? -1 : 1;
	return x < y ? -1 : (x > y);
}

static int
CmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : (x > y);
}

/* how much a user of language ul likes a community of language cl */
static double
LangFactor(int ul, int cl, int archetype_lang_is_anime)
{
	if (cl == 0)
		return 1.0;
	if (cl == ul)
		return 8.0;
	return archetype_lang_is_anime ? 0.6 : 0.15;
}

static double
TitleCost(Rng *r, const DemoTitle *t, const DemoArchetype *a, double pop_median)
{
	double		base = t->episodes > 0 ? 2.5e6 * t->episodes : 12e6;
	double		c = base * a->cost_factor * exp(0.6 * Normal(r)) *
		pow(t->pop / pop_median, 0.25);

	if (c < 50000)
		c = 50000;
	return floor(c / 1000 + 0.5) * 1000;
}

void
demo_build_catalog(DemoCatalog *cat, const DemoParams *p, DemoAllocFn alloc,
				   DemoCheckFn check)
{
	Rng			r;
	int32		T = p->titles;
	int32		D = p->days;
	int32		K;
	int32		arche[DW_N_ARCHETYPES];
	double	   *size;
	int32	   *rank;
	int32	   *count;
	double	   *pops;
	double		pop_median;
	SortCtx		sc;

	memset(cat, 0, sizeof(*cat));
	cat->p = *p;
	RngSeed(&r, p->seed, TAG_CATALOG, 0);

	K = p->communities > 0 ? p->communities : demo_auto_communities(T);
	if (K > T)
		K = T;
	cat->ncomm = K;
	cat->comm = alloc(sizeof(DemoCommunity) * K);
	cat->title = alloc(sizeof(DemoTitle) * T);
	memset(cat->comm, 0, sizeof(DemoCommunity) * K);
	memset(cat->title, 0, sizeof(DemoTitle) * T);

	/* communities: a seeded order of the archetypes, then variants */
	for (int i = 0; i < DW_N_ARCHETYPES; i++)
		arche[i] = i;
	Shuffle(&r, arche, DW_N_ARCHETYPES);
	size = alloc(sizeof(double) * K);
	for (int c = 0; c < K; c++)
	{
		DemoCommunity *cm = &cat->comm[c];

		cm->archetype = arche[c % DW_N_ARCHETYPES];
		cm->variant = c / DW_N_ARCHETYPES;
		cm->lang = dw_archetypes[cm->archetype].lang;
		cm->appeal = exp(0.6 * Normal(&r)) * (cm->variant > 0 ? 0.7 : 1.0);
		size[c] = exp(0.5 * Normal(&r));
	}

	/* titles: community, then popularity from a random global rank */
	count = alloc(sizeof(int32) * K);
	memset(count, 0, sizeof(int32) * K);
	for (int t = 0; t < T; t++)
	{
		cat->title[t].community = SampleWeights(&r, size, K);
		count[cat->title[t].community]++;
	}
	for (int c = 0; c < K; c++)
	{
		while (count[c] == 0)
		{
			int			t = UInt(&r, T);
			int			from = cat->title[t].community;

			if (count[from] > 1)
			{
				cat->title[t].community = c;
				count[from]--;
				count[c]++;
			}
		}
	}
	rank = alloc(sizeof(int32) * T);
	for (int t = 0; t < T; t++)
		rank[t] = t;
	Shuffle(&r, rank, T);

	for (int t = 0; t < T; t++)
	{
		DemoTitle  *ti = &cat->title[t];
		const DemoCommunity *cm = &cat->comm[ti->community];
		const DemoArchetype *a = &dw_archetypes[cm->archetype];

		if (check && (t & 0xFFFF) == 0)
			check();

		ti->pop = (float) pow((double) rank[t] + 1.0, -ZIPF_S);
		ti->quality = (float) Normal(&r);
		if (U01(&r) < a->series_share)
		{
			ti->episodes = a->episode_minutes <= 30 ? 8 + UInt(&r, 15) : 6 + UInt(&r, 8);
			ti->runtime = (int32) floor(a->episode_minutes * (0.85 + 0.3 * U01(&r)) + 0.5);
		}
		else
		{
			ti->episodes = 0;
			ti->runtime = (int32) floor(a->movie_minutes * (0.8 + 0.4 * U01(&r)) + 0.5);
		}
		if (U01(&r) < BACK_CATALOG_SHARE)
		{
			ti->launch_day = -1 - UInt(&r, 5 * 365);
			ti->release_lag = (int32) Expo(&r, 4.0);
			if (ti->release_lag > 60)
				ti->release_lag = 60;
		}
		else
		{
			ti->launch_day = UInt(&r, D);
			ti->release_lag = (ti->episodes == 0 && U01(&r) < 0.3) ? 1 : 0;
		}
		if (cm->lang == 0)
			ti->lang = (int8) (U01(&r) < 0.92 ? 0 : UInt(&r, DEMO_N_LANGS));
		else
			ti->lang = (int8) (U01(&r) < 0.85 ? cm->lang : 0);
		ti->maturity = (int8) a->maturity;
		if (U01(&r) < 0.25)
			ti->maturity = (int8) Clamp(a->maturity + (U01(&r) < 0.5 ? -1 : 1), 0, 4);
		ti->planted = DEMO_PLANTED_NONE;
	}

	/* production costs, correlated with popularity; some unknown */
	pops = alloc(sizeof(double) * T);
	for (int t = 0; t < T; t++)
		pops[t] = cat->title[t].pop;
	qsort(pops, T, sizeof(double), CmpDouble);
	pop_median = pops[T / 2];
	if (check)
		check();
	for (int t = 0; t < T; t++)
	{
		DemoTitle  *ti = &cat->title[t];
		const DemoArchetype *a = &dw_archetypes[cat->comm[ti->community].archetype];
		double		cost = TitleCost(&r, ti, a, pop_median);
		double		unknown = ti->launch_day < 0 ? 0.3 : 0.05;

		ti->cost = U01(&r) < unknown ? -1 : cost;
	}

	/*
	 * Planted launches in the middle of the period: hits (popular, high
	 * quality, promoted, retain disengaging users) and flops (the most
	 * expensive launches, low appeal and completion).
	 */
	if (T >= 20)
	{
		int32		n = 3;
		double		max_cost = 0;
		double	   *costs = alloc(sizeof(double) * T);
		int			ncost = 0;
		double		cost_p90;
		int32		order[2 * 3];

		for (int t = 0; t < T; t++)
			if (cat->title[t].cost >= 0)
			{
				costs[ncost++] = cat->title[t].cost;
				if (cat->title[t].cost > max_cost)
					max_cost = cat->title[t].cost;
			}
		qsort(costs, ncost, sizeof(double), CmpDouble);
		cost_p90 = ncost > 0 ? costs[(ncost * 9) / 10] : 20e6;
		if (max_cost <= 0)
			max_cost = 50e6;

		/* 2n distinct titles, hits in distinct communities when possible */
		for (int i = 0; i < 2 * n; i++)
		{
			for (int tries = 0;; tries++)
			{
				int			t = UInt(&r, T);
				bool		ok = true;

				for (int j = 0; j < i && ok; j++)
				{
					if (order[j] == t)
						ok = false;
					else if (i < n && tries < 50 &&
							 cat->title[order[j]].community == cat->title[t].community)
						ok = false;
				}
				if (ok)
				{
					order[i] = t;
					break;
				}
			}
		}
		cat->hits = alloc(sizeof(int32) * n);
		cat->flops = alloc(sizeof(int32) * n);
		cat->nhits = cat->nflops = n;
		for (int i = 0; i < 2 * n; i++)
		{
			bool		hit = i < n;
			int			k = hit ? i : i - n;
			DemoTitle  *ti = &cat->title[order[i]];
			double		pos = (hit ? 0.20 : 0.30) + 0.25 * k;
			const DemoArchetype *a = &dw_archetypes[cat->comm[ti->community].archetype];

			ti->planted = hit ? DEMO_PLANTED_HIT : DEMO_PLANTED_FLOP;
			ti->launch_day = (int32) floor(D * pos) + UInt(&r, 5) - 2;
			if (ti->launch_day < 0)
				ti->launch_day = 0;
			if (ti->launch_day > D - 1)
				ti->launch_day = D - 1;
			ti->release_lag = 0;
			if (k % 2 == 0)
			{
				ti->episodes = 8;
				ti->runtime = a->episode_minutes;
			}
			else
			{
				ti->episodes = 0;
				ti->runtime = a->movie_minutes;
			}
			if (hit)
			{
				ti->pop = (float) (0.6 + 0.3 * U01(&r));
				ti->quality = (float) (1.8 + 0.3 * U01(&r));
				ti->cost = floor(cost_p90 * (1.0 + 0.5 * U01(&r)) / 1000) * 1000;
				cat->hits[k] = order[i];
			}
			else
			{
				ti->pop = (float) (pop_median * (0.1 + 0.2 * U01(&r)));
				ti->quality = (float) (-2.2 - 0.3 * U01(&r));
				ti->cost = floor(max_cost * (1.2 + 0.5 * U01(&r)) / 1000) * 1000;
				cat->flops[k] = order[i];
			}
		}
	}

	/* context classes (after the planted titles got their format) */
	for (int t = 0; t < T; t++)
	{
		DemoTitle  *ti = &cat->title[t];
		const DemoArchetype *a = &dw_archetypes[cat->comm[ti->community].archetype];

		if (strcmp(dw_genres[a->genre1], "Animation") == 0 ||
			strcmp(dw_genres[a->genre2], "Animation") == 0 ||
			strcmp(dw_genres[a->genre1], "Family") == 0 ||
			strcmp(dw_genres[a->genre2], "Family") == 0)
			ti->ctx_class = DEMO_CTX_FAMILY;
		else if (ti->episodes > 0 && ti->runtime <= 30)
			ti->ctx_class = DEMO_CTX_SHORT_SERIES;
		else if (ti->episodes == 0 && ti->runtime >= 110)
			ti->ctx_class = DEMO_CTX_LONG_FILM;
		else
			ti->ctx_class = DEMO_CTX_NONE;
	}

	/* per-community sampling tables */
	sc.title = cat->title;
	for (int c = 0; c < K; c++)
	{
		DemoCommunity *cm = &cat->comm[c];

		cm->ntitles = 0;
		cm->by_pop = alloc(sizeof(int32) * count[c]);
		cm->by_launch = alloc(sizeof(int32) * count[c]);
		cm->launch_sorted = alloc(sizeof(int32) * count[c]);
		cm->cum_pop = alloc(sizeof(double) * count[c]);
		cm->cum_launch = alloc(sizeof(double) * count[c]);
	}
	for (int t = 0; t < T; t++)
	{
		DemoCommunity *cm = &cat->comm[cat->title[t].community];

		cm->by_pop[cm->ntitles] = t;
		cm->by_launch[cm->ntitles] = t;
		cm->ntitles++;
	}
	for (int c = 0; c < K; c++)
	{
		DemoCommunity *cm = &cat->comm[c];
		int			n = cm->ntitles;
		double		acc;

		if (check)
			check();
		qsort_arg(cm->by_pop, n, sizeof(int32), CmpByPop, &sc);
		qsort_arg(cm->by_launch, n, sizeof(int32), CmpByLaunch, &sc);
		acc = 0;
		for (int i = 0; i < n; i++)
		{
			acc += cat->title[cm->by_pop[i]].pop;
			cm->cum_pop[i] = acc;
		}
		cm->total_pop = acc;

		/* the same titles split by context class (still popularity order) */
		for (int k = 0; k < DEMO_N_CTX_CLASSES; k++)
		{
			cm->cls_n[k] = 0;
			cm->cls_pop[k] = 0;
		}
		for (int i = 0; i < n; i++)
			cm->cls_n[cat->title[cm->by_pop[i]].ctx_class]++;
		for (int k = 0; k < DEMO_N_CTX_CLASSES; k++)
		{
			cm->cls_by_pop[k] = alloc(sizeof(int32) * Max(cm->cls_n[k], 1));
			cm->cls_cum[k] = alloc(sizeof(double) * Max(cm->cls_n[k], 1));
			cm->cls_n[k] = 0;
		}
		for (int i = 0; i < n; i++)
		{
			int32		t = cm->by_pop[i];
			int			k = cat->title[t].ctx_class;

			cm->cls_pop[k] += cat->title[t].pop;
			cm->cls_by_pop[k][cm->cls_n[k]] = t;
			cm->cls_cum[k][cm->cls_n[k]] = cm->cls_pop[k];
			cm->cls_n[k]++;
		}
		for (int dp = 0; dp < DEMO_N_DAYPARTS; dp++)
			for (int dv = 0; dv < DEMO_N_DEVICES; dv++)
			{
				double		w = 0;

				for (int k = 0; k < DEMO_N_CTX_CLASSES; k++)
					w += cm->cls_pop[k] * demo_ctx_multiplier(k, dp, dv);
				cm->ctx_factor[dp * DEMO_N_DEVICES + dv] = w / cm->total_pop;
			}
		acc = 0;
		for (int i = 0; i < n; i++)
		{
			acc += cat->title[cm->by_launch[i]].pop;
			cm->cum_launch[i] = acc;
			cm->launch_sorted[i] = cat->title[cm->by_launch[i]].launch_day;
		}
	}

	cat->global_cum = alloc(sizeof(double) * T);
	{
		double		acc = 0;

		for (int t = 0; t < T; t++)
		{
			acc += cat->title[t].pop;
			cat->global_cum[t] = acc;
		}
	}

	/* regional tastes: prior over communities by country */
	cat->country_cum = alloc(sizeof(double) * DEMO_N_COUNTRIES * K);
	for (int cn = 0; cn < DEMO_N_COUNTRIES; cn++)
	{
		double		acc = 0;

		for (int c = 0; c < K; c++)
		{
			const DemoCommunity *cm = &cat->comm[c];
			bool		anime = strcmp(dw_archetypes[cm->archetype].name, "anime action") == 0;

			acc += cm->appeal * LangFactor(country_lang[cn], cm->lang, anime);
			cat->country_cum[cn * K + c] = acc;
		}
	}

	demo_artwork_lifts(p->seed, cat->art_lift);
}

/*
 * Planted artwork preferences: per segment (genre) a seeded order of the
 * artworks, lifts 1.8, 1.0, 0.8, 0.6 in that order.  Its own stream, so
 * the rest of the catalog does not depend on it.
 */
void
demo_artwork_lifts(int64 seed, double lift[DEMO_N_SEGMENTS][DEMO_N_ARTWORKS])
{
	Rng			ar;

	RngSeed(&ar, seed, TAG_ARTWORK, 0);
	for (int g = 0; g < DEMO_N_SEGMENTS; g++)
	{
		int32		order[DEMO_N_ARTWORKS];

		for (int a = 0; a < DEMO_N_ARTWORKS; a++)
			order[a] = a;
		Shuffle(&ar, order, DEMO_N_ARTWORKS);
		for (int rk = 0; rk < DEMO_N_ARTWORKS; rk++)
			lift[g][order[rk]] = art_rank_lift[rk];
	}
}

void
demo_init_scratch(DemoScratch *s, const DemoCatalog *cat, DemoAllocFn alloc)
{
	int32		T = cat->p.titles;

	s->state = alloc(T);
	s->progress = alloc(T);
	s->touched = alloc(sizeof(int32) * T);
	memset(s->state, 0, T);
	memset(s->progress, 0, T);
	s->ntouched = 0;
}

/* ------------------------------------------------------------------ */
/* one user                                                            */
/* ------------------------------------------------------------------ */

#define ST_UNSEEN 0
#define ST_DONE 1
#define ST_PROGRESS 2
#define ST_DROPPED 3
#define MAX_INPROG 6

typedef struct Sim
{
	const DemoCatalog *cat;
	DemoScratch *s;
	DemoUser   *u;
	DemoEvent  *ev;
	int			cap;
	int			n;
	Rng			r;
	double		devcum[DEMO_N_DEVICES];
	double		habit[7];		/* weekly rhythm: relative rate by weekday */
	int			chrono;			/* hours added to the device profile */
	int64		lo_usec;		/* events allowed in [lo_usec, hi_usec) */
	int64		hi_usec;
	int32		inprog[MAX_INPROG];
	int			ninprog;
	/* disengagement state */
	int32		onset;			/* PG_INT32_MAX / 2 = none scheduled */
	int32		length;
	bool		recover;
	bool		rescued_this_decline;
	double		engagement;
	int32		day;
	int32		last_play_day;	/* day of the last play emitted */
	uint32		winback;		/* bit k: reached by planted launch k's win-back */
	int			daypart;		/* local day part of the current session */
	int			device;			/* device of the current session */
} Sim;

static void
Emit(Sim *sm, int64 usec, int type, int32 title, double pct, int32 secs, int device)
{
	DemoEvent  *e;

	if (usec < sm->lo_usec || usec >= sm->hi_usec)
		return;
	if (sm->n < sm->cap)
	{
		e = &sm->ev[sm->n];
		e->usec = usec;
		e->title = title;
		e->type = (int8) type;
		e->device = (int8) device;
		e->watch_pct = (float) pct;
		e->watch_seconds = secs;
		e->daypart = (int8) sm->daypart;
	}
	if (type == DEMO_EV_PLAY)
		sm->last_play_day = sm->day;
	sm->n++;
}

static void
SetState(Sim *sm, int32 t, uint8 st)
{
	if (sm->s->state[t] == ST_UNSEEN && sm->s->progress[t] == 0)
		sm->s->touched[sm->s->ntouched++] = t;
	sm->s->state[t] = st;
}

static inline bool
Available(const Sim *sm, int32 t, int64 now)
{
	return (int64) sm->cat->title[t].launch_day * DEMO_USEC_PER_DAY + NOON_USEC <= now;
}

static double
Match(const Sim *sm, int32 t)
{
	int32		c = sm->cat->title[t].community;
	double		m = 0;

	for (int i = 0; i < sm->u->ncomm; i++)
		if (sm->u->comm[i] == c)
			m += sm->u->weight[i];
	return m;
}

static int32
PickCommunity(Sim *sm, double explore)
{
	const DemoCatalog *cat = sm->cat;

	if (U01(&sm->r) < explore)
		return SampleCum(&sm->r, cat->country_cum + sm->u->country * cat->ncomm, cat->ncomm);
	else
	{
		double		x = U01(&sm->r);

		for (int i = 0; i < sm->u->ncomm; i++)
		{
			if (x < sm->u->weight[i])
				return sm->u->comm[i];
			x -= sm->u->weight[i];
		}
		return sm->u->comm[sm->u->ncomm - 1];
	}
}

/*
 * PickCommunity(sm, explore) with the planted context effect: the taste
 * branch weighs each community by its context factor in the session's
 * cell.  Draws exactly as many numbers as PickCommunity.
 */
static int32
PickCommunityCtx(Sim *sm, double explore, int cell)
{
	const DemoCatalog *cat = sm->cat;

	if (U01(&sm->r) < explore)
		return SampleCum(&sm->r, cat->country_cum + sm->u->country * cat->ncomm, cat->ncomm);
	else
	{
		double		total = 0,
					x;

		for (int i = 0; i < sm->u->ncomm; i++)
			total += sm->u->weight[i] * cat->comm[sm->u->comm[i]].ctx_factor[cell];
		x = U01(&sm->r) * total;
		for (int i = 0; i < sm->u->ncomm; i++)
		{
			double		w = sm->u->weight[i] * cat->comm[sm->u->comm[i]].ctx_factor[cell];

			if (x < w)
				return sm->u->comm[i];
			x -= w;
		}
		return sm->u->comm[sm->u->ncomm - 1];
	}
}

/* a title of community c launched in the last RECENT_DAYS days, or -1 */
static int32
PickRecent(Sim *sm, int32 c)
{
	const DemoCommunity *cm = &sm->cat->comm[c];
	int			lo = 0,
				hi = cm->ntitles;
	int			a,
				b;
	double		base,
				x;

	/* a = first with launch > day - RECENT_DAYS */
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (cm->launch_sorted[mid] > sm->day - RECENT_DAYS)
			hi = mid;
		else
			lo = mid + 1;
	}
	a = lo;
	hi = cm->ntitles;
	/* b = first with launch > day */
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (cm->launch_sorted[mid] > sm->day)
			hi = mid;
		else
			lo = mid + 1;
	}
	b = lo;
	if (a >= b)
		return -1;
	base = a > 0 ? cm->cum_launch[a - 1] : 0;
	x = base + U01(&sm->r) * (cm->cum_launch[b - 1] - base);
	return cm->by_launch[a + SearchCum(cm->cum_launch + a, b - a, x)];
}

static int32
PickFromCommunity(Sim *sm, int32 c, double recent)
{
	const DemoCommunity *cm = &sm->cat->comm[c];
	int32		t = -1;

	if (U01(&sm->r) < recent)
		t = PickRecent(sm, c);
	if (t < 0)
		t = cm->by_pop[SampleCum(&sm->r, cm->cum_pop, cm->ntitles)];
	return t;
}

/*
 * PickFromCommunity with the planted context effect: by popularity times
 * the class multiplier of the session's cell (one uniform draw, as the
 * plain popularity draw).
 */
static int32
PickFromCommunityCtx(Sim *sm, int32 c, double recent, int dp, int dev)
{
	const DemoCommunity *cm = &sm->cat->comm[c];
	int32		t = -1;

	if (U01(&sm->r) < recent)
		t = PickRecent(sm, c);
	if (t < 0)
	{
		double		m[DEMO_N_CTX_CLASSES];
		double		total = 0,
					x;
		int			k;

		for (k = 0; k < DEMO_N_CTX_CLASSES; k++)
		{
			m[k] = demo_ctx_multiplier(k, dp, dev);
			total += cm->cls_pop[k] * m[k];
		}
		x = U01(&sm->r) * total;
		for (k = 0; k < DEMO_N_CTX_CLASSES - 1; k++)
		{
			if (cm->cls_n[k] > 0 && x < cm->cls_pop[k] * m[k])
				break;
			x -= cm->cls_pop[k] * m[k];
		}
		while (cm->cls_n[k] == 0)	/* rounding at the end: last non-empty class */
			k--;
		x = Clamp(x / m[k], 0, cm->cls_pop[k]);
		t = cm->cls_by_pop[k][SearchCum(cm->cls_cum[k], cm->cls_n[k], x)];
	}
	return t;
}

static bool
InWindow(const Sim *sm, int32 t, int days)
{
	int32		l = sm->cat->title[t].launch_day;

	return sm->day >= l && sm->day < l + days;
}

/* a title to start watching, -1 if none found */
static int32
PickNew(Sim *sm, int64 now)
{
	const DemoCatalog *cat = sm->cat;

	for (int i = 0; i < cat->nhits; i++)
	{
		int32		h = cat->hits[i];

		if (sm->s->state[h] == ST_UNSEEN && InWindow(sm, h, HIT_PICK_DAYS) &&
			Available(sm, h, now) &&
			U01(&sm->r) < 0.08 + (Match(sm, h) > 0 ? 0.2 : 0.0))
			return h;
	}
	for (int i = 0; i < cat->nflops; i++)
	{
		int32		f = cat->flops[i];

		if (sm->s->state[f] == ST_UNSEEN && InWindow(sm, f, PROMO_DAYS) &&
			Available(sm, f, now) && U01(&sm->r) < 0.01)
			return f;
	}
	for (int tries = 0; tries < 10; tries++)
	{
		int32		t;

		if (cat->p.context)
		{
			int			dev = sm->device;

			t = PickFromCommunityCtx(sm,
									 PickCommunityCtx(sm, EXPLORE_SHARE,
													  sm->daypart * DEMO_N_DEVICES + dev),
									 RECENT_SHARE, sm->daypart, dev);
		}
		else
			t = PickFromCommunity(sm, PickCommunity(sm, EXPLORE_SHARE), RECENT_SHARE);

		if (sm->s->state[t] == ST_UNSEEN && sm->s->progress[t] == 0 && Available(sm, t, now))
			return t;
	}
	for (int tries = 0; tries < 10; tries++)
	{
		int32		t = SampleCum(&sm->r, cat->global_cum, cat->p.titles);

		if (sm->s->state[t] == ST_UNSEEN && sm->s->progress[t] == 0 && Available(sm, t, now))
			return t;
	}
	return -1;
}

/* a title shown on the home page (may have been watched already) */
static int32
PickShelf(Sim *sm, int64 now)
{
	for (int tries = 0; tries < 5; tries++)
	{
		int32		t = PickFromCommunity(sm, PickCommunity(sm, 0.3), 0.4);

		if (Available(sm, t, now))
			return t;
	}
	return -1;
}

static void
InprogRemove(Sim *sm, int32 t)
{
	for (int i = 0; i < sm->ninprog; i++)
		if (sm->inprog[i] == t)
		{
			memmove(&sm->inprog[i], &sm->inprog[i + 1], sizeof(int32) * (sm->ninprog - i - 1));
			sm->ninprog--;
			return;
		}
}

static void
InprogAdd(Sim *sm, int32 t)
{
	if (sm->ninprog == MAX_INPROG)
	{
		SetState(sm, sm->inprog[0], ST_DROPPED);
		InprogRemove(sm, sm->inprog[0]);
	}
	sm->inprog[sm->ninprog++] = t;
}

/* watch percentage of one play */
static double
Completion(Sim *sm, int32 t, int device, bool first_episode)
{
	const DemoTitle *ti = &sm->cat->title[t];
	double		m = Match(sm, t);
	double		fit = Clamp(2.5 * m, 0, 1);
	double		e = sm->engagement;
	double		pa;
	double		pct;

	if (ti->planted == DEMO_PLANTED_HIT)
		pa = 0.05 + 0.1 * (1 - e);
	else if (ti->planted == DEMO_PLANTED_FLOP)
		pa = 0.7;
	else
		pa = 0.05 + 0.32 * (1 - fit) + 0.3 * (1 - e) - 0.04 * ti->quality +
			(device == DEMO_DEV_MOBILE ? 0.04 : 0) + (first_episode ? 0.06 : 0);
	pa = Clamp(pa, 0.02, 0.95);
	if (U01(&sm->r) < pa)
		pct = 1 + 44 * U01(&sm->r);
	else if (ti->planted == DEMO_PLANTED_FLOP)
		pct = 45 + 40 * U01(&sm->r);
	else if (U01(&sm->r) < 0.45 + 0.3 * fit)
		pct = 100;
	else
		pct = 60 + 40 * sqrt(U01(&sm->r));
	return floor(pct * 10 + 0.5) / 10;
}

/* a churn-prone user's next decline, starting at or after day d */
static void
ScheduleDecline(Sim *sm, int32 d, double mean_wait)
{
	double		w = Expo(&sm->r, mean_wait);

	sm->onset = w > 1e6 ? PG_INT32_MAX / 2 : d + (int32) w;
	sm->length = DECLINE_MIN_DAYS + UInt(&sm->r, DECLINE_SPAN_DAYS);
	sm->recover = U01(&sm->r) < 0.15;
	sm->rescued_this_decline = false;
}

/* play title t (and following episodes); returns the time after it */
static int64
Play(Sim *sm, int32 t, int64 now, int device, bool weekend, int32 *last_title, double *last_pct)
{
	const DemoTitle *ti = &sm->cat->title[t];
	DemoScratch *s = sm->s;
	double		pct = 0;

	if (ti->episodes == 0)
	{
		int32		secs;

		pct = Completion(sm, t, device, false);
		secs = (int32) floor(pct / 100.0 * ti->runtime * 60 + 0.5);
		Emit(sm, now, DEMO_EV_PLAY, t, pct, secs, device);
		SetState(sm, t, ST_DONE);
		now += (int64) secs * DEMO_USEC_PER_SEC;
	}
	else
	{
		double		stop = device == DEMO_DEV_TV ? (weekend ? 0.28 : 0.38) :
			device == DEMO_DEV_MOBILE ? 0.65 : 0.5;
		int			binge = 1 + Geometric(&sm->r, stop);

		if (s->state[t] == ST_UNSEEN)
		{
			SetState(sm, t, ST_PROGRESS);
			InprogAdd(sm, t);
		}
		for (int i = 0; i < binge; i++)
		{
			int32		secs;

			pct = Completion(sm, t, device, s->progress[t] == 0);
			secs = (int32) floor(pct / 100.0 * ti->runtime * 60 + 0.5);
			Emit(sm, now, DEMO_EV_PLAY, t, pct, secs, device);
			now += (int64) secs * DEMO_USEC_PER_SEC;
			s->progress[t]++;
			if (s->progress[t] >= ti->episodes)
			{
				SetState(sm, t, ST_DONE);
				InprogRemove(sm, t);
				break;
			}
			if (pct < 50)
			{
				if (U01(&sm->r) < 0.6)
				{
					SetState(sm, t, ST_DROPPED);
					InprogRemove(sm, t);
				}
				break;
			}
			now += (10 + UInt(&sm->r, 30)) * DEMO_USEC_PER_SEC;	/* autoplay */
		}
	}

	/* a planted hit pulls a disengaging subscriber back */
	if (ti->planted == DEMO_PLANTED_HIT && pct >= 60 &&
		sm->day >= sm->onset && !sm->rescued_this_decline)
	{
		sm->rescued_this_decline = true;
		if (U01(&sm->r) < 0.9)
		{
			if (sm->u->rescued_by < 0)
				sm->u->rescued_by = t;
			ScheduleDecline(sm, sm->day + 90, DECLINE_MEAN_START);
			sm->engagement = 1.0;
		}
	}
	*last_title = t;
	*last_pct = pct;
	return now;
}

static int64
Step(Sim *sm, int64 now, int lo_s, int hi_s)
{
	return now + (int64) (lo_s + UInt(&sm->r, hi_s - lo_s + 1)) * DEMO_USEC_PER_SEC;
}

/* one session; returns the time it ends */
static int64
Session(Sim *sm, int64 now, int device, bool weekend, int32 forced)
{
	const DemoCatalog *cat = sm->cat;
	double		e = sm->engagement;
	int32		t = -1;
	bool		is_new = false;
	int32		last_title = -1;
	double		last_pct = 0;

	/* home-page promotion of this period's planted launches */
	for (int k = 0; k < cat->nhits + cat->nflops; k++)
	{
		int32		p = k < cat->nhits ? cat->hits[k] : cat->flops[k - cat->nhits];

		if (InWindow(sm, p, PROMO_DAYS) && Available(sm, p, now) && U01(&sm->r) < 0.12)
		{
			Emit(sm, now, DEMO_EV_IMPRESSION, p, -1, -1, device);
			now = Step(sm, now, 3, 20);
		}
	}

	if (forced < 0 && U01(&sm->r) < 0.07 + BROWSE_SLOPE * (1 - e))
	{
		/* browse without playing */
		int			k = 1 + UInt(&sm->r, 4);

		for (int i = 0; i < k; i++)
		{
			int32		s = PickShelf(sm, now);

			if (s >= 0)
			{
				Emit(sm, now, DEMO_EV_IMPRESSION, s, -1, -1, device);
				now = Step(sm, now, 3, 40);
			}
		}
		if (U01(&sm->r) < 0.35)
		{
			int32		s = PickFromCommunity(sm, PickCommunity(sm, 0.2), 0.2);

			if (Available(sm, s, now))
			{
				Emit(sm, now, DEMO_EV_SEARCH, s, -1, -1, device);
				now = Step(sm, now, 10, 60);
			}
		}
		return now;
	}

	if (forced >= 0 && sm->s->state[forced] == ST_UNSEEN && Available(sm, forced, now))
	{
		t = forced;
		is_new = true;
	}
	else if (sm->ninprog > 0 && U01(&sm->r) < 0.65)
		t = sm->inprog[sm->ninprog - 1];
	else
	{
		t = PickNew(sm, now);
		is_new = true;
	}

	/* a few tiles before choosing */
	{
		int			k = UInt(&sm->r, 3);

		for (int i = 0; i < k; i++)
		{
			int32		s = PickShelf(sm, now);

			if (s >= 0)
			{
				Emit(sm, now, DEMO_EV_IMPRESSION, s, -1, -1, device);
				now = Step(sm, now, 3, 30);
			}
		}
	}
	if (t < 0)
		return now;
	if (is_new)
	{
		double		x = U01(&sm->r);

		if (x < 0.6)
		{
			Emit(sm, now, DEMO_EV_IMPRESSION, t, -1, -1, device);
			now = Step(sm, now, 3, 30);
		}
		else if (x < 0.72)
		{
			Emit(sm, now, DEMO_EV_SEARCH, t, -1, -1, device);
			now = Step(sm, now, 10, 60);
		}
	}

	now = Play(sm, t, now, device, weekend, &last_title, &last_pct);

	/* thumbs */
	if (last_title >= 0)
	{
		const DemoTitle *ti = &cat->title[last_title];
		double		fit = Clamp(2 * Match(sm, last_title), 0, 1);

		if (last_pct >= 80 &&
			U01(&sm->r) < 0.04 + 0.12 * fit + (ti->planted == DEMO_PLANTED_HIT ? 0.25 : 0))
		{
			now = Step(sm, now, 2, 10);
			Emit(sm, now, DEMO_EV_THUMB_UP, last_title, -1, -1, device);
		}
		else if (last_pct < 30 &&
				 U01(&sm->r) < 0.08 + (ti->planted == DEMO_PLANTED_FLOP ? 0.25 : 0))
		{
			now = Step(sm, now, 2, 10);
			Emit(sm, now, DEMO_EV_THUMB_DOWN, last_title, -1, -1, device);
		}
	}
	return now;
}

int
demo_simulate_user(const DemoCatalog *cat, int64 user_id, DemoScratch *s,
				   DemoUser *u, DemoEvent *ev, int cap)
{
	Sim			sm;
	const DemoParams *p = &cat->p;
	int32		D = p->days;
	int32		K = cat->ncomm;
	double		w[DEMO_N_DEVICES];
	double		act;
	int32		start;
	int32		random_cancel;
	int32		forced_title = -1;
	bool		trial = false;
	int64		cursor;

	/* clean the scratch left by the previous user */
	for (int i = 0; i < s->ntouched; i++)
	{
		s->state[s->touched[i]] = 0;
		s->progress[s->touched[i]] = 0;
	}
	s->ntouched = 0;

	memset(&sm, 0, sizeof(sm));
	memset(u, 0, sizeof(*u));
	sm.cat = cat;
	sm.s = s;
	sm.u = u;
	sm.ev = ev;
	sm.cap = cap;
	RngSeed(&sm.r, p->seed, TAG_USER, (uint64) user_id);

	u->user_id = user_id;
	u->rescued_by = -1;
	u->attributed_to = -1;
	u->decline_day = PG_INT32_MIN;
	u->country = SampleWeights(&sm.r, country_share, DEMO_N_COUNTRIES);
	u->plan = SampleWeights(&sm.r, plan_share, DEMO_N_PLANS);

	/* tastes: 1-3 communities, regional prior, random mixture weights */
	{
		double		x = U01(&sm.r);
		int			want = x < 0.45 ? 1 : (x < 0.8 ? 2 : 3);
		double		sum = 0;
		const double *cum = cat->country_cum + u->country * K;

		if (want > K)
			want = K;
		for (int tries = 0; u->ncomm < want && tries < 100; tries++)
		{
			int32		c = SampleCum(&sm.r, cum, K);
			bool		dup = false;

			for (int i = 0; i < u->ncomm; i++)
				dup |= u->comm[i] == c;
			if (!dup)
				u->comm[u->ncomm++] = c;
		}
		for (int i = 0; i < u->ncomm; i++)
		{
			u->weight[i] = (float) (Expo(&sm.r, 1.0) + 0.3);
			sum += u->weight[i];
		}
		for (int i = 0; i < u->ncomm; i++)
			u->weight[i] = (float) (u->weight[i] / sum);
		/* strongest taste first */
		for (int i = 1; i < u->ncomm; i++)
			for (int j = i; j > 0 && u->weight[j] > u->weight[j - 1]; j--)
			{
				float		tw = u->weight[j];
				int32		tc = u->comm[j];

				u->weight[j] = u->weight[j - 1];
				u->comm[j] = u->comm[j - 1];
				u->weight[j - 1] = tw;
				u->comm[j - 1] = tc;
			}
	}

	act = exp(0.75 * Normal(&sm.r) - 0.28);
	if (u->plan == 2)
		act *= 1.15;
	else if (u->plan == 0)
		act *= 0.9;
	u->activity = (float) act;

	for (int d = 0; d < DEMO_N_DEVICES; d++)
	{
		w[d] = device_base[d] * exp(0.8 * Normal(&sm.r));
		if (d == DEMO_DEV_MOBILE)
			w[d] *= country_mobile[u->country];
		if (d == DEMO_DEV_TV && u->plan == 2)
			w[d] *= 1.5;
		sm.devcum[d] = (d > 0 ? sm.devcum[d - 1] : 0) + w[d];
	}
	sm.chrono = (int) floor(Normal(&sm.r) + 0.5);

	/*
	 * Habits: people watch on some weekdays much more than on others, so
	 * a user's weekly count varies less than a Poisson count would.
	 */
	{
		double		sum = 0;

		for (int i = 0; i < 7; i++)
		{
			sm.habit[i] = pow(Expo(&sm.r, 1.0), 1.5) * ((i == 0 || i == 6) ? 1.5 : 1.0);
			sum += sm.habit[i];
		}
		for (int i = 0; i < 7; i++)
			sm.habit[i] *= 7.0 / sum;
	}

	u->churn_prone = U01(&sm.r) < plan_churn_prone[u->plan];

	/* signup: existing subscribers, launch-driven signups, the rest */
	{
		double		x = U01(&sm.r);

		if (x < 0.3)
			u->signup_day = -1 - UInt(&sm.r, 730);
		else if (x < 0.4 && cat->nhits > 0)
		{
			int32		h = cat->hits[UInt(&sm.r, cat->nhits)];

			u->signup_day = cat->title[h].launch_day + (int32) Expo(&sm.r, 4.0);
			if (u->signup_day < D)
			{
				u->attributed_to = h;
				forced_title = h;
			}
			else
				u->signup_day = UInt(&sm.r, D);
		}
		else
			u->signup_day = UInt(&sm.r, D);
	}
	start = u->signup_day > 0 ? u->signup_day : 0;

	/* cancellation schedule */
	random_cancel = start + (int32) Min(Expo(&sm.r, RANDOM_CHURN_MEAN), 1e6);
	if (u->signup_day >= 0 && U01(&sm.r) < 0.02)
	{
		random_cancel = u->signup_day + 3 + UInt(&sm.r, 28);
		trial = true;
	}
	sm.onset = PG_INT32_MAX / 2;
	if (u->churn_prone)
		ScheduleDecline(&sm, start + 7, DECLINE_MEAN_START);

	sm.lo_usec = Max((int64) u->signup_day * DEMO_USEC_PER_DAY + NOON_USEC, 0);
	sm.hi_usec = (int64) D * DEMO_USEC_PER_DAY;
	sm.engagement = 1.0;
	sm.last_play_day = PG_INT32_MIN / 2;

	/* end of the previous session: sessions never overlap, even across days */
	cursor = PG_INT64_MIN;
	for (int32 d = start; d < D; d++)
	{
		bool		weekend;
		int			dow;
		double		lambda;
		int			nsess;
		int64		times[64];
		int			devs[64];
		int			dps[64];
		bool		cancel_today = false;
		bool		extra = false;

		sm.day = d;
		if (d >= random_cancel)
		{
			u->cancel_reason = trial ? DEMO_CANCEL_TRIAL : DEMO_CANCEL_RANDOM;
			cancel_today = true;
		}
		else if (u->churn_prone && d >= sm.onset + sm.length)
		{
			if (sm.recover)
				ScheduleDecline(&sm, d + 60, DECLINE_MEAN_START);
			else
			{
				u->cancel_reason = DEMO_CANCEL_DISENGAGED;
				cancel_today = true;
			}
		}
		if (cancel_today)
		{
			u->cancel_day = d;
			/* no event dated after the cancel date in any time zone */
			sm.hi_usec = Min(sm.hi_usec, (int64) d * DEMO_USEC_PER_DAY + TEN_USEC);
		}

		if (u->churn_prone && d >= sm.onset)
		{
			if (u->decline_day == PG_INT32_MIN)
				u->decline_day = sm.onset;
			sm.engagement = 0.1 + 0.5 * exp(-3.0 * (d - sm.onset) / sm.length);
		}
		else
			sm.engagement = 1.0;

		dow = (p->dow0 + d) % 7;
		weekend = dow == 0 || dow == 6;
		/* disengaging: fewer sessions, and more of them only browse (Session) */
		lambda = SESSIONS_PER_DAY * p->activity * act *
			(SESSION_FLOOR + (1 - SESSION_FLOOR) * sm.engagement) *
			sm.habit[dow] * (d - u->signup_day < 14 ? 1.6 : 1.0);
		/* an active day (probability as for a Poisson count > 0), then more sessions */
		nsess = U01(&sm.r) < 1.0 - exp(-lambda) ? 1 + Poisson(&sm.r, 0.3 * lambda) : 0;

		/*
		 * The service's launch-day win-back: a subscriber idle for two weeks
		 * when a planted launch (hit or flop) goes live hears about it and
		 * may come back to try it in its first month.  Who is reached
		 * depends on what the service can see (days since the last play),
		 * never on the hidden decline, so watchers and non-watchers of a
		 * launch are comparable given the observed history.
		 */
		for (int i = 0; i < cat->nhits + cat->nflops; i++)
		{
			int32		h = i < cat->nhits ? cat->hits[i] : cat->flops[i - cat->nhits];

			if (d == cat->title[h].launch_day &&
				d - Max(sm.last_play_day, u->signup_day) >= WINBACK_IDLE_DAYS)
				sm.winback |= (uint32) 1 << i;
		}

		/* a new launch-driven subscriber starts with the launch */
		if (forced_title >= 0 && d == u->signup_day)
			extra = true;
		else if (forced_title < 0 && sm.winback != 0)
		{
			for (int i = 0; i < cat->nhits + cat->nflops; i++)
			{
				int32		h = i < cat->nhits ? cat->hits[i] : cat->flops[i - cat->nhits];

				if ((sm.winback & ((uint32) 1 << i)) && s->state[h] == ST_UNSEEN &&
					InWindow(&sm, h, WINBACK_DAYS) && U01(&sm.r) < WINBACK_DAILY)
				{
					forced_title = h;
					extra = true;
					break;
				}
			}
		}
		if (extra)
			nsess++;
		if (nsess > 64)
			nsess = 64;
		if (nsess == 0)
		{
			if (cancel_today)
				break;
			continue;
		}

		for (int i = 0; i < nsess; i++)
		{
			int			dev = SampleCum(&sm.r, sm.devcum, DEMO_N_DEVICES);
			const double *prof = hour_profile[dev][weekend ? 1 : 0];
			int			h = SampleWeights(&sm.r, prof, 24);
			int64		sec;
			int			j;

			h = ((h + sm.chrono) % 24 + 24) % 24;
			sec = (int64) h * 3600 + UInt(&sm.r, 3600);
			/* local time -> UTC */
			sec -= (int64) country_utc_min[u->country] * 60;
			/* insertion sort by time */
			for (j = i; j > 0 && times[j - 1] > sec; j--)
			{
				times[j] = times[j - 1];
				devs[j] = devs[j - 1];
				dps[j] = dps[j - 1];
			}
			times[j] = sec;
			devs[j] = dev;
			dps[j] = demo_daypart_of_hour(h);
		}

		for (int i = 0; i < nsess; i++)
		{
			int64		now = (int64) d * DEMO_USEC_PER_DAY + times[i] * DEMO_USEC_PER_SEC;
			int32		forced = -1;

			if (now < cursor)
				now = cursor + 60 * DEMO_USEC_PER_SEC;
			if (now < sm.lo_usec || now >= sm.hi_usec)
				continue;
			/* the pending hit goes to the first session that happens */
			forced = forced_title;
			forced_title = -1;
			sm.daypart = dps[i];
			sm.device = devs[i];
			cursor = Session(&sm, now, devs[i], weekend, forced);
		}
		if (cancel_today)
			break;
	}
	return sm.n;
}

/* ------------------------------------------------------------------ */
/* artwork                                                             */
/* ------------------------------------------------------------------ */

int
demo_user_segment(const DemoCatalog *cat, const DemoUser *u)
{
	return dw_archetypes[cat->comm[u->comm[0]].archetype].genre1;
}

const char *
demo_segment_name(int segment)
{
	return dw_genres[segment];
}

/*
 * Every impression shows one of the title's artworks, chosen uniformly
 * (the logging policy of an artwork test).  The tile is played with
 * probability base x lift: base 0.45 when the session plays that title
 * within two hours (the user wanted it anyway), 0.05 otherwise; lift is
 * the planted preference of the user's segment for that artwork.
 */
int
demo_artwork_user(const DemoCatalog *cat, const DemoUser *u,
				  const DemoEvent *ev, int n, DemoArtwork *out)
{
	Rng			r;
	int			seg = demo_user_segment(cat, u);
	int			m = 0;

	RngSeed(&r, cat->p.seed, TAG_ARTWORK, (uint64) u->user_id + 1);
	for (int i = 0; i < n; i++)
	{
		bool		followed = false;
		int			a;
		double		p;

		if (ev[i].type != DEMO_EV_IMPRESSION)
			continue;
		for (int j = i + 1; j < n && j <= i + 40; j++)
		{
			if (ev[j].usec - ev[i].usec > INT64CONST(2) * 3600 * DEMO_USEC_PER_SEC)
				break;
			if (ev[j].type == DEMO_EV_PLAY && ev[j].title == ev[i].title)
			{
				followed = true;
				break;
			}
		}
		a = UInt(&r, DEMO_N_ARTWORKS);
		p = (followed ? 0.45 : 0.05) * cat->art_lift[seg][a];
		out[m].event = i;
		out[m].artwork = (int8) (a + 1);
		out[m].played = U01(&r) < p;
		m++;
	}
	return m;
}

/* ------------------------------------------------------------------ */
/* text                                                                */
/* ------------------------------------------------------------------ */

const char *
demo_community_name(const DemoCatalog *cat, int32 c, char *buf, size_t len)
{
	const DemoCommunity *cm = &cat->comm[c];

	if (cm->variant == 0)
		snprintf(buf, len, "%s", dw_archetypes[cm->archetype].name);
	else
		snprintf(buf, len, "%s %d", dw_archetypes[cm->archetype].name, cm->variant + 1);
	return buf;
}

/* a word list of this community, or (10%) of another one */
static const DemoArchetype *
WordSource(Rng *r, const DemoArchetype *own)
{
	if (U01(r) < 0.10)
		return &dw_archetypes[UInt(r, DW_N_ARCHETYPES)];
	return own;
}

static const char *
Theme(Rng *r, const DemoArchetype *a)
{
	return WordSource(r, a)->themes[UInt(r, DW_THEMES)];
}

static const char *
Setting(Rng *r, const DemoArchetype *a)
{
	return WordSource(r, a)->settings[UInt(r, DW_SETTINGS)];
}

static const char *
Prot(Rng *r, const DemoArchetype *a)
{
	return WordSource(r, a)->prots[UInt(r, DW_PROTS)];
}

/* append to buf, capitalizing the first letter when asked */
static void
Append(char *buf, size_t len, const char *s, bool capital)
{
	size_t		n = strlen(buf);

	if (n + 1 >= len)
		return;
	snprintf(buf + n, len - n, "%s", s);
	if (capital && buf[n] >= 'a' && buf[n] <= 'z')
		buf[n] = (char) (buf[n] - 'a' + 'A');
}

static bool
StartsWithVowel(const char *s)
{
	return strchr("aeiouAEIOU", s[0]) != NULL;
}

void
demo_title_text(const DemoCatalog *cat, int32 t, DemoTitleText *out)
{
	Rng			r;
	const DemoTitle *ti = &cat->title[t];
	const DemoCommunity *cm = &cat->comm[ti->community];
	const DemoArchetype *a = &dw_archetypes[cm->archetype];
	char	   *d = out->description;
	size_t		dl = sizeof(out->description);
	char		tmp[320];
	const char *adj,
			   *genre,
			   *form;
	static const char *const movie_forms[] = {"film", "feature", "movie"};
	static const char *const series_forms[] = {"series", "miniseries", "show"};
	static const char *const verbs[] = {"faces", "is drawn into", "confronts", "uncovers"};
	const char *tw,
			   *tadj,
			   *tnoun;

	RngSeed(&r, cat->p.seed, TAG_TEXT, (uint64) t);
	memset(out, 0, sizeof(*out));

	/* name */
	tw = a->titlewords[UInt(&r, DW_TITLEWORDS)];
	tadj = dw_title_adj[UInt(&r, DW_N_TITLE_ADJ)];
	tnoun = dw_title_noun[UInt(&r, DW_N_TITLE_NOUN)];
	switch (UInt(&r, 6))
	{
		case 0:
			snprintf(out->name, sizeof(out->name), "The %s %s", tadj, tw);
			break;
		case 1:
			snprintf(out->name, sizeof(out->name), "%s of the %s", tw, tnoun);
			break;
		case 2:
			snprintf(out->name, sizeof(out->name), "%s %s", tadj, tnoun);
			break;
		case 3:
			snprintf(out->name, sizeof(out->name), "The %s", tw);
			break;
		case 4:
			snprintf(out->name, sizeof(out->name), "%s: %s %s", tw, tadj, tnoun);
			break;
		default:
			snprintf(out->name, sizeof(out->name), "%s %s", tadj, tw);
			break;
	}

	/* description */
	adj = dw_adjectives[UInt(&r, DW_N_ADJ)];
	genre = dw_genre_words[U01(&r) < 0.7 ? a->genre1 : a->genre2];
	form = ti->episodes > 0 ? series_forms[UInt(&r, 3)] : movie_forms[UInt(&r, 3)];
	d[0] = '\0';
	switch (UInt(&r, 3))
	{
		case 0:
			snprintf(tmp, sizeof(tmp), "%s %s %s %s about %s. ",
					 StartsWithVowel(adj) ? "An" : "A", adj, genre, form, Prot(&r, a));
			Append(d, dl, tmp, false);
			break;
		case 1:
			{
				const char *p = Prot(&r, a);
				const char *v = verbs[UInt(&r, 4)];
				const char *th = Theme(&r, a);

				snprintf(tmp, sizeof(tmp), "%s %s %s in this %s %s %s. ", p, v, th, adj, genre, form);
				Append(d, dl, tmp, true);
			}
			break;
		default:
			{
				const char *p = Prot(&r, a);
				const char *v = verbs[UInt(&r, 4)];
				const char *th = Theme(&r, a);

				snprintf(tmp, sizeof(tmp), "In this %s %s %s, %s %s %s. ", adj, genre, form, p, v, th);
				Append(d, dl, tmp, false);
			}
			break;
	}
	{
		const char *th1 = Theme(&r, a);
		const char *th2 = Theme(&r, a);
		const char *s1 = Setting(&r, a);
		const char *s2 = Setting(&r, a);
		const char *p2 = Prot(&r, a);

		for (int k = 0; k < 8 && th2 == th1; k++)
			th2 = a->themes[UInt(&r, DW_THEMES)];
		switch (UInt(&r, 4))
		{
			case 0:
				snprintf(tmp, sizeof(tmp), "Set in %s, it is a story of %s and %s. ", s1, th1, th2);
				break;
			case 1:
				snprintf(tmp, sizeof(tmp), "From %s to %s, %s changes everything. ", s1, s2, th1);
				break;
			case 2:
				snprintf(tmp, sizeof(tmp), "When %s comes to %s, nothing stays the same for %s. ", th1, s1, p2);
				break;
			default:
				snprintf(tmp, sizeof(tmp), "Amid %s and %s, %s must survive %s. ", th1, th2, p2, s1);
				break;
		}
		Append(d, dl, tmp, true);
	}
	if (U01(&r) < 0.5)
	{
		snprintf(tmp, sizeof(tmp), "A twist involving %s raises the stakes. ",
				 dw_variant_themes[ti->community % DW_N_VARIANT_THEMES]);
		Append(d, dl, tmp, false);
	}
	if (U01(&r) < 0.7)
	{
		Append(d, dl, dw_filler[UInt(&r, DW_N_FILLER)], false);
		Append(d, dl, " ", false);
	}
	if (U01(&r) < 0.2)
	{
		Append(d, dl, dw_filler[UInt(&r, DW_N_FILLER)], false);
		Append(d, dl, " ", false);
	}
	/* drop the trailing blank */
	{
		size_t		n = strlen(d);

		while (n > 0 && d[n - 1] == ' ')
			d[--n] = '\0';
	}

	/* genres */
	out->genres[out->ngenres++] = dw_genres[a->genre1];
	if (U01(&r) < 0.75)
		out->genres[out->ngenres++] = dw_genres[a->genre2];
	if (U01(&r) < 0.12)
	{
		int			g = UInt(&r, DW_N_GENRES);

		if (g != a->genre1 && g != a->genre2)
			out->genres[out->ngenres++] = dw_genres[g];
	}
	out->maturity = ti->episodes > 0 ? dw_series_ratings[ti->maturity] : dw_movie_ratings[ti->maturity];
	out->community_name = a->name;
}
