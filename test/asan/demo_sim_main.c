/*
 * demo_sim_main.c -- run the demo simulation outside PostgreSQL under
 * AddressSanitizer/UBSan (the simulation is plain C on plain arrays):
 *
 *   bash test/asan/run_demo_sim.sh
 *
 * Builds catalogs of several shapes, simulates users (with a deliberately
 * small event buffer so the "grow and simulate again" path runs), renders
 * every title's text, and checks a few invariants.
 */
#include "demo_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
Alloc(size_t n)
{
	/* leak on purpose: the catalog lives until exit, as in a query */
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

static int
Run(int64 users, int32 titles, int32 days, int64 seed, int32 comm, double activity)
{
	DemoParams	p = {users, titles, days, seed, comm, activity, 3, (seed & 1) == 1};
	DemoCatalog cat;
	DemoScratch s;
	int			cap = 16;
	DemoEvent  *ev = malloc(sizeof(DemoEvent) * cap);
	long		total = 0;
	int			bad = 0;

	demo_build_catalog(&cat, &p, Alloc, NULL);
	demo_init_scratch(&s, &cat, Alloc);
	for (int32 t = 0; t < titles; t++)
	{
		DemoTitleText txt;

		demo_title_text(&cat, t, &txt);
		if (strlen(txt.description) < 20 || txt.ngenres < 1)
			bad++;
	}
	for (int64 u = 1; u <= users; u++)
	{
		DemoUser	du;
		int			n = demo_simulate_user(&cat, u, &s, &du, ev, cap);

		if (n > cap)
		{
			cap = n;
			ev = realloc(ev, sizeof(DemoEvent) * cap);
			if (demo_simulate_user(&cat, u, &s, &du, ev, cap) != n)
				bad++;
		}
		for (int i = 0; i < n; i++)
		{
			const DemoTitle *t = &cat.title[ev[i].title];

			const char *why = NULL;

			if (ev[i].title < 0 || ev[i].title >= titles)
				why = "title out of range";
			else if (ev[i].usec < (int64) t->launch_day * DEMO_USEC_PER_DAY)
				why = "before launch";
			else if (i > 0 && ev[i].usec < ev[i - 1].usec)
				why = "not chronological";
			else if (ev[i].type == DEMO_EV_PLAY && !(ev[i].watch_pct >= 0 && ev[i].watch_pct <= 100))
				why = "watch_pct out of range";
			if (why)
			{
				if (bad < 5)
					printf("user %lld event %d: %s\n", (long long) u, i, why);
				bad++;
			}
		}
		/* artwork impressions: one per impression event, artworks in range */
		{
			DemoArtwork *art = malloc(sizeof(DemoArtwork) * (n > 0 ? n : 1));
			int			m = demo_artwork_user(&cat, &du, ev, n, art);

			for (int i = 0; i < m; i++)
				if (art[i].event < 0 || art[i].event >= n ||
					ev[art[i].event].type != DEMO_EV_IMPRESSION ||
					art[i].artwork < 1 || art[i].artwork > DEMO_N_ARTWORKS)
					bad++;
			free(art);
		}
		total += n;
	}
	printf("users=%lld titles=%d days=%d seed=%lld communities=%d activity=%g: %ld events, %d problems\n",
		   (long long) users, titles, days, (long long) seed, cat.ncomm, activity, total, bad);
	free(ev);
	return bad;
}

int
main(void)
{
	int			bad = 0;

	bad += Run(300, 150, 240, 7, 0, 1.0);
	bad += Run(50, 1, 1, 1, 0, 1.0);
	bad += Run(50, 19, 30, 2, 0, 1.0);
	bad += Run(200, 2000, 365, 3, 60, 1.0);
	bad += Run(20, 50, 3660, 4, 0, 100.0);
	bad += Run(500, 100, 365, -5, 1, 0.01);
	return bad ? 1 : 0;
}
