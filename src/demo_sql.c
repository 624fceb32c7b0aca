/*
 * demo_sql.c -- SQL glue of the demo-data generator.
 *
 * Three internal set-returning functions expose the simulation of
 * demo_sim.c; nfrec.generate_demo (src/sql/20_demo.sql) creates the tables
 * and fills them with INSERT ... SELECT from these:
 *
 *   nfrec._demo_titles(...)  one row per title (content_metadata + truth)
 *   nfrec._demo_users(...)   one row per user (subscriptions + truth)
 *   nfrec._demo_events(...)  the viewing events, value per call, so that
 *                            10 M rows stream into the INSERT without
 *                            being collected in a tuplestore first
 *   nfrec._demo_artwork(...) the artwork impressions (one per impression
 *                            event), value per call the same way
 *   nfrec._demo_artwork_truth(seed)  the planted artwork preferences
 *
 * Each user is simulated from (seed, user_id) alone, so the rows do not
 * depend on the plan, and _demo_users and _demo_events agree.
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

#include "demo_sim.h"
#include "pgutil.h"

static void *
DemoPalloc(size_t size)
{
	return palloc(size);
}

static void
DemoCheckInterrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * Size limits (the same in nfrec.generate_demo): at most 50 M users, and
 * users x days x activity at most 1e10.  A user makes about 0.33 events
 * per day at activity 1 (doc/demo.md), so that is about 3 billion events:
 * hours to insert at the measured ~335 k events/s, and hundreds of GB.
 */
#define DEMO_MAX_USERS 50000000
#define DEMO_MAX_VOLUME 1e10

/* limits of end_date: far from the edges of date and timestamptz */
#define DEMO_MIN_YEAR 1900
#define DEMO_MAX_YEAR 9000

static void
CheckParams(int64 users, int32 titles, int32 days, int32 communities,
			double activity, DateADT end_date)
{
	if (users < 1 || users > DEMO_MAX_USERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("users must be between 1 and %d", DEMO_MAX_USERS)));
	if (titles < 1 || titles > DEMO_MAX_TITLES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("titles must be between 1 and %d", DEMO_MAX_TITLES)));
	if (days < 1 || days > DEMO_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("days must be between 1 and %d", DEMO_MAX_DAYS)));
	if (communities < 0 || communities > DEMO_MAX_COMMUNITIES || communities > titles)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("communities must be between 1 and %d and at most the number of titles",
						DEMO_MAX_COMMUNITIES)));
	if (!(activity > 0 && activity <= DEMO_MAX_ACTIVITY))	/* also NaN */
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("activity must be greater than 0 and at most %g", DEMO_MAX_ACTIVITY)));
	if ((double) users * days * activity > DEMO_MAX_VOLUME)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("users times days times activity must be at most %.0f", DEMO_MAX_VOLUME)));
	if (DATE_NOT_FINITE(end_date) ||
		end_date < date2j(DEMO_MIN_YEAR, 1, 1) - POSTGRES_EPOCH_JDATE ||
		end_date > date2j(DEMO_MAX_YEAR, 1, 1) - POSTGRES_EPOCH_JDATE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("end_date must be between %d-01-01 and %d-01-01",
						DEMO_MIN_YEAR, DEMO_MAX_YEAR)));
}

/*
 * Read the common arguments (users?, titles, days, seed, end_date,
 * communities, activity?) and build the catalog in the current memory
 * context.  Returns day 0 of the period as a DateADT.
 */
static DateADT
SetupCatalog(FunctionCallInfo fcinfo, bool with_users, DemoCatalog *cat)
{
	int			a = 0;
	int64		users = with_users ? PG_GETARG_INT32(a++) : 1;
	int32		titles = PG_GETARG_INT32(a++);
	int32		days = PG_GETARG_INT32(a++);
	int64		seed = PG_GETARG_INT64(a++);
	DateADT		end_date = PG_GETARG_DATEADT(a++);
	int32		communities = PG_GETARG_INT32(a++);
	double		activity = with_users ? PG_GETARG_FLOAT8(a++) : 1.0;
	bool		context = with_users ? PG_GETARG_BOOL(a++) : true;
	DemoParams	p;
	DateADT		day0;

	CheckParams(users, titles, days, communities, activity, end_date);
	day0 = end_date - days + 1;

	memset(&p, 0, sizeof(p));
	p.users = users;
	p.titles = titles;
	p.days = days;
	p.seed = seed;
	p.communities = communities;
	p.activity = activity;
	p.context = context;
	p.dow0 = j2day(day0 + POSTGRES_EPOCH_JDATE);
	demo_build_catalog(cat, &p, DemoPalloc, DemoCheckInterrupts);
	return day0;
}

static int
YearOf(DateADT d)
{
	int			y,
				m,
				dd;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
	return y;
}

static Datum
TextArray(const char *const *s, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(s[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
NumericFromText(const char *s)
{
	return DirectFunctionCall3(numeric_in, CStringGetDatum(s),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/* ------------------------------------------------------------------ */
/* titles                                                              */
/* ------------------------------------------------------------------ */

#define TITLE_COLS 18

PG_FUNCTION_INFO_V1(demo_titles);
Datum
demo_titles(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *ts = nf_begin_srf(fcinfo, &tupdesc);
	DemoCatalog cat;
	DateADT		day0 = SetupCatalog(fcinfo, false, &cat);
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext,
												 "nfrec demo titles",
												 ALLOCSET_DEFAULT_SIZES);

	for (int32 t = 0; t < cat.p.titles; t++)
	{
		const DemoTitle *ti = &cat.title[t];
		DemoTitleText txt;
		Datum		v[TITLE_COLS];
		bool		nul[TITLE_COLS];
		MemoryContext old;
		DateADT		launch = day0 + ti->launch_day;
		char		cname[64];
		int			i = 0;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(rowcxt);
		demo_title_text(&cat, t, &txt);
		memset(nul, 0, sizeof(nul));
		v[i++] = Int64GetDatum((int64) t + 1);
		v[i++] = CStringGetTextDatum(txt.name);
		v[i++] = CStringGetTextDatum(ti->episodes > 0 ? "series" : "movie");
		v[i++] = TextArray(txt.genres, txt.ngenres);
		v[i++] = CStringGetTextDatum(txt.description);
		v[i++] = Int32GetDatum(YearOf(launch) - ti->release_lag);
		v[i++] = CStringGetTextDatum(demo_lang_codes[ti->lang]);
		v[i++] = CStringGetTextDatum(txt.maturity);
		v[i++] = Int32GetDatum(ti->runtime);
		v[i] = Int32GetDatum(ti->episodes);
		nul[i++] = ti->episodes == 0;
		v[i++] = DateADTGetDatum(launch);
		v[i] = ti->cost >= 0 ? DirectFunctionCall1(int8_numeric, Int64GetDatum((int64) ti->cost)) : (Datum) 0;
		nul[i++] = ti->cost < 0;
		/* ground truth */
		v[i++] = Int32GetDatum(ti->community + 1);
		v[i++] = CStringGetTextDatum(demo_community_name(&cat, ti->community, cname, sizeof(cname)));
		v[i] = ti->planted ? CStringGetTextDatum(demo_planted_names[ti->planted]) : (Datum) 0;
		nul[i++] = ti->planted == DEMO_PLANTED_NONE;
		v[i++] = Float8GetDatum(ti->pop);
		v[i++] = Float4GetDatum(ti->quality);
		v[i] = ti->ctx_class ? CStringGetTextDatum(demo_ctx_class_names[ti->ctx_class]) : (Datum) 0;
		nul[i++] = ti->ctx_class == DEMO_CTX_NONE;
		Assert(i == TITLE_COLS);
		MemoryContextSwitchTo(old);
		tuplestore_putvalues(ts, tupdesc, v, nul);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}

/* ------------------------------------------------------------------ */
/* users                                                               */
/* ------------------------------------------------------------------ */

#define USER_COLS 14

PG_FUNCTION_INFO_V1(demo_users);
Datum
demo_users(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *ts = nf_begin_srf(fcinfo, &tupdesc);
	DemoCatalog cat;
	DateADT		day0 = SetupCatalog(fcinfo, true, &cat);
	DemoScratch scratch;
	int			cap = 8192;
	DemoEvent  *ev = palloc(sizeof(DemoEvent) * cap);
	Datum		plan_price[DEMO_N_PLANS];
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext,
												 "nfrec demo users",
												 ALLOCSET_DEFAULT_SIZES);

	demo_init_scratch(&scratch, &cat, DemoPalloc);
	for (int i = 0; i < DEMO_N_PLANS; i++)
		plan_price[i] = NumericFromText(demo_plan_prices[i]);

	for (int64 uid = 1; uid <= cat.p.users; uid++)
	{
		DemoUser	u;
		Datum		v[USER_COLS];
		bool		nul[USER_COLS];
		Datum		comm[3];
		MemoryContext old;
		int			n;
		int			i = 0;

		CHECK_FOR_INTERRUPTS();
		n = demo_simulate_user(&cat, uid, &scratch, &u, ev, cap);
		if (n > cap)
		{
			/* not needed here, but keep the buffer big enough for later users */
			cap = n;
			ev = repalloc(ev, sizeof(DemoEvent) * cap);
		}

		old = MemoryContextSwitchTo(rowcxt);
		memset(nul, 0, sizeof(nul));
		v[i++] = Int64GetDatum(uid);
		v[i++] = DateADTGetDatum(day0 + u.signup_day);
		nul[i] = u.cancel_reason == DEMO_CANCEL_NONE;
		v[i++] = DateADTGetDatum(day0 + u.cancel_day);
		v[i++] = CStringGetTextDatum(demo_plan_names[u.plan]);
		v[i++] = plan_price[u.plan];
		v[i++] = CStringGetTextDatum(demo_country_codes[u.country]);
		for (int k = 0; k < u.ncomm; k++)
			comm[k] = Int32GetDatum(u.comm[k] + 1);
		v[i++] = PointerGetDatum(construct_array(comm, u.ncomm, INT4OID, 4, true, TYPALIGN_INT));
		v[i++] = PointerGetDatum(nf_float4_array(u.weight, u.ncomm));
		v[i++] = Float4GetDatum(u.activity);
		v[i++] = BoolGetDatum(u.churn_prone);
		nul[i] = u.decline_day == PG_INT32_MIN;
		v[i] = nul[i] ? (Datum) 0 : DateADTGetDatum(day0 + u.decline_day);
		i++;
		v[i] = Int64GetDatum((int64) u.rescued_by + 1);
		nul[i++] = u.rescued_by < 0;
		v[i] = Int64GetDatum((int64) u.attributed_to + 1);
		nul[i++] = u.attributed_to < 0;
		v[i] = u.cancel_reason ? CStringGetTextDatum(demo_cancel_names[u.cancel_reason]) : (Datum) 0;
		nul[i++] = u.cancel_reason == DEMO_CANCEL_NONE;
		Assert(i == USER_COLS);
		MemoryContextSwitchTo(old);
		tuplestore_putvalues(ts, tupdesc, v, nul);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}

/* ------------------------------------------------------------------ */
/* events                                                              */
/* ------------------------------------------------------------------ */

#define EVENT_COLS 9

typedef struct EventsState
{
	DemoCatalog cat;
	DemoScratch scratch;
	DateADT		day0;
	DemoEvent  *ev;
	int			cap;
	int			n;				/* events of the current user */
	int			pos;			/* next one to return */
	int64		next_user;
	int64		next_id;
	DemoUser	u;
	bool		artwork;		/* rows of _demo_artwork instead of events */
	DemoArtwork *art;			/* the current user's artwork impressions */
	TupleDesc	tupdesc;
	Datum		type_txt[DEMO_N_EVTYPES];
	Datum		device_txt[DEMO_N_DEVICES];
	Datum		country_txt[DEMO_N_COUNTRIES];
} EventsState;

static Datum DemoStream(FunctionCallInfo fcinfo, bool artwork);

PG_FUNCTION_INFO_V1(demo_events);
Datum
demo_events(PG_FUNCTION_ARGS)
{
	return DemoStream(fcinfo, false);
}

PG_FUNCTION_INFO_V1(demo_artwork);
Datum
demo_artwork(PG_FUNCTION_ARGS)
{
	return DemoStream(fcinfo, true);
}

/* the planted artwork preferences: lift per (segment, artwork) */
PG_FUNCTION_INFO_V1(demo_artwork_truth);
Datum
demo_artwork_truth(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *ts = nf_begin_srf(fcinfo, &tupdesc);
	double		lift[DEMO_N_SEGMENTS][DEMO_N_ARTWORKS];

	demo_artwork_lifts(PG_GETARG_INT64(0), lift);
	for (int g = 0; g < DEMO_N_SEGMENTS; g++)
		for (int a = 0; a < DEMO_N_ARTWORKS; a++)
		{
			Datum		v[3];
			bool		nul[3] = {false, false, false};

			v[0] = CStringGetTextDatum(demo_segment_name(g));
			v[1] = Int32GetDatum(a + 1);
			v[2] = Float8GetDatum(lift[g][a]);
			tuplestore_putvalues(ts, tupdesc, v, nul);
		}
	return (Datum) 0;
}

static Datum
DemoStream(FunctionCallInfo fcinfo, bool artwork)
{
	FuncCallContext *funcctx;
	EventsState *st;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	tupdesc;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		st = palloc0(sizeof(EventsState));
		st->day0 = SetupCatalog(fcinfo, true, &st->cat);
		demo_init_scratch(&st->scratch, &st->cat, DemoPalloc);
		st->cap = 8192;
		st->ev = palloc(sizeof(DemoEvent) * st->cap);
		st->next_user = 1;
		st->next_id = 1;
		st->artwork = artwork;
		if (artwork)
			st->art = palloc(sizeof(DemoArtwork) * st->cap);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		st->tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		for (int i = 0; i < DEMO_N_EVTYPES; i++)
			st->type_txt[i] = CStringGetTextDatum(demo_event_type_names[i]);
		for (int i = 0; i < DEMO_N_DEVICES; i++)
			st->device_txt[i] = CStringGetTextDatum(demo_device_names[i]);
		for (int i = 0; i < DEMO_N_COUNTRIES; i++)
			st->country_txt[i] = CStringGetTextDatum(demo_country_codes[i]);
		funcctx->user_fctx = st;
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	st = (EventsState *) funcctx->user_fctx;

	while (st->pos >= st->n)
	{
		int			n;

		if (st->next_user > st->cat.p.users)
			SRF_RETURN_DONE(funcctx);
		CHECK_FOR_INTERRUPTS();
		n = demo_simulate_user(&st->cat, st->next_user, &st->scratch, &st->u, st->ev, st->cap);
		if (n > st->cap)
		{
			/* a heavy user: enlarge the buffer and simulate again (same rows) */
			st->cap = n;
			st->ev = repalloc(st->ev, sizeof(DemoEvent) * st->cap);
			n = demo_simulate_user(&st->cat, st->next_user, &st->scratch, &st->u, st->ev, st->cap);
			Assert(n <= st->cap);
			if (st->artwork)
				st->art = repalloc(st->art, sizeof(DemoArtwork) * st->cap);
		}
		if (st->artwork)
			n = demo_artwork_user(&st->cat, &st->u, st->ev, n, st->art);
		st->n = n;
		st->pos = 0;
		st->next_user++;
	}

	if (st->artwork)
	{
		const DemoArtwork *a = &st->art[st->pos++];
		const DemoEvent *e = &st->ev[a->event];
		Datum		v[5];
		bool		nul[5] = {false, false, false, false, false};
		HeapTuple	tup;

		v[0] = Int64GetDatum(st->u.user_id);
		v[1] = Int64GetDatum((int64) e->title + 1);
		v[2] = Int32GetDatum(a->artwork);
		v[3] = TimestampTzGetDatum((TimestampTz) st->day0 * USECS_PER_DAY + e->usec);
		v[4] = BoolGetDatum(a->played);
		tup = heap_form_tuple(st->tupdesc, v, nul);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(tup));
	}
	else
	{
		const DemoEvent *e = &st->ev[st->pos++];
		Datum		v[EVENT_COLS];
		bool		nul[EVENT_COLS];
		HeapTuple	tup;

		memset(nul, 0, sizeof(nul));
		v[0] = Int64GetDatum(st->next_id++);
		v[1] = Int64GetDatum(st->u.user_id);
		v[2] = Int64GetDatum((int64) e->title + 1);
		v[3] = TimestampTzGetDatum((TimestampTz) st->day0 * USECS_PER_DAY + e->usec);
		v[4] = Int32GetDatum(e->watch_seconds);
		nul[4] = e->watch_seconds < 0;
		v[5] = Float4GetDatum(e->watch_pct);
		nul[5] = e->watch_pct < 0;
		v[6] = st->device_txt[e->device];
		v[7] = st->country_txt[st->u.country];
		v[8] = st->type_txt[e->type];
		tup = heap_form_tuple(st->tupdesc, v, nul);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(tup));
	}
}
