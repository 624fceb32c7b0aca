# test/citus/65_homepage.sh -- sourced by test/citus.sh: nfrec.homepage over
# the distributed tables (doc/scale.md, "Distributed serving").  First on the
# coordinator (trending and fit_context over distributed events: no GROUPING
# SETS), then on the workers: after CALL nfrec.distribute_model (which also
# copies the context and artwork fits and makes homepage a distributed
# function routed by user_id) and nfrec.distribute_trending(events, at) (the
# trending figures of at's window), single calls and a LATERAL batch over a
# colocated table run on the workers, reading only local tables, and give
# exactly, as text, what single-node homepage gives over the coordinator's
# plain copies (local.*, read through search_path = local, public).

# The model as in 60_serving.sh (two thirds of the titles, six sevenths of
# the users), bound to the interactions as a distributed table and as its
# plain copy.  hp_users: a sample of the demo's users (trained, folded-in:
# user_id % 7 = 0, not trained but with events), two users nobody knows
# (cold start), and 900003, who only started titles (watch_pct < 90; its
# plays are added to both events tables).
cq 0 -o /dev/null <<'SQL' || notok "set-up: homepage tables, models and fits"
SET client_min_messages = warning;
CREATE TABLE local.hp_ints AS SELECT * FROM local.interactions;
CREATE TABLE public.hp_ints AS SELECT * FROM local.interactions;
SELECT create_distributed_table('public.hp_ints', 'user_id', colocate_with => 'public.viewing_events');
CREATE INDEX ON local.hp_ints (user_id);
CREATE INDEX ON public.hp_ints (user_id);
CREATE INDEX ON local.viewing_events (user_id);
CREATE INDEX ON public.viewing_events (user_id);
CREATE TABLE local.hp_model AS
    SELECT nfrec.als_train(user_id, title_id, weight, '{"verbose": false, "iterations": 5, "factors": 16}') m
      FROM local.interactions WHERE title_id % 3 <> 0 AND user_id % 7 <> 0;
SELECT nfrec.deploy('hp_single', m, 'local.hp_ints') FROM local.hp_model;
SELECT nfrec.deploy('hp_dist', m, 'public.hp_ints') FROM local.hp_model;
-- a user with unfinished titles only, in both events tables
INSERT INTO local.viewing_events (event_id, user_id, title_id, started_at, watch_seconds, watch_pct, device, country, event_type)
SELECT 900000000 + g, 900003, t.title_id, m.at - g * interval '3 days', 600, 20 + g, 'tv', 'BR', 'play'
  FROM generate_series(1, 3) g,
       (SELECT max(started_at) - interval '2 days' AS at FROM local.viewing_events) m,
       LATERAL (SELECT title_id FROM local.content_metadata ORDER BY title_id OFFSET g * 7 LIMIT 1) t;
INSERT INTO public.viewing_events SELECT * FROM local.viewing_events WHERE user_id = 900003;
CREATE TABLE local.hp_users AS
    SELECT user_id FROM local.subscriptions
     WHERE user_id % 10 = 3 OR user_id % 7 = 0 OR user_id > 1990
    UNION ALL VALUES (900001), (900002), (900003);
CREATE TABLE public.hp_users (LIKE local.hp_users);
SELECT create_distributed_table('public.hp_users', 'user_id', colocate_with => 'public.viewing_events');
INSERT INTO public.hp_users SELECT * FROM local.hp_users;
-- the fits on the coordinator, from the plain copies (the context fit over
-- the distributed events is compared below)
SELECT nfrec.fit_context('local.viewing_events');
SELECT nfrec.fit_artwork('local.artwork_impressions', 'local.viewing_events', 'local.content_metadata');
SQL
# at: two days before the last event (on the hour plus 17 minutes), so
# Continue Watching, trending and new releases all have titles
HP_AT=$(cq 0 -At -c "SELECT date_trunc('hour', max(started_at) - interval '2 days') + interval '17 minutes' FROM local.viewing_events")
HP_ARGS="at => '$HP_AT', device => 'tv'"
# single-node homepage: the same call over the plain copies
hp_local() { echo "SET search_path = local, public; $1"; }
HP_BATCH="SELECT u.user_id, h::text FROM %s.hp_users u, LATERAL nfrec.homepage(u.user_id, $HP_ARGS, model => '%s') h ORDER BY u.user_id, h.row_rank, h.rank"

check_true "the sample: trained, folded-in, cold-start and only-unfinished users" \
	"SELECT count(DISTINCT v.source) = 3 AND count(*) > 300
	        AND (SELECT max(watch_pct) < 90 AND count(*) = 3 FROM local.viewing_events WHERE user_id = 900003)
	   FROM local.hp_users u, LATERAL nfrec.user_vector(u.user_id, 'hp_single') v"

# 1. On the coordinator, over the distributed tables (trending's query and
# the plays through Citus; no GROUPING SETS).
# (a join with a local table keeps the call on the coordinator: once an
# earlier distribute_model has made homepage a distributed function, a bare
# call is delegated to a worker)
for u in 3 7 1993 900001 900003; do
	check_same "homepage($u) on the coordinator over distributed tables" \
		"SELECT h::text FROM local.hp_users u, nfrec.homepage(u.user_id, $HP_ARGS, model => 'hp_dist') h WHERE u.user_id = $u" \
		"$(hp_local "SELECT h::text FROM nfrec.homepage($u, $HP_ARGS, model => 'hp_single') h")"
done
check_true "the sample's pages have every row kind, artwork and context" \
	"SET search_path = local, public;
	 SELECT count(DISTINCT h.row_kind) = 6 AND count(h.artwork_id) > 0 AND bool_or(h.score::text <> x.score::text)
	   FROM local.hp_users u, LATERAL nfrec.homepage(u.user_id, $HP_ARGS, model => 'hp_single') h
	   LEFT JOIN LATERAL nfrec.homepage(u.user_id, at => '$HP_AT', model => 'hp_single') x ON x.title_id = h.title_id AND x.row_kind = h.row_kind"
check_same "trending over distributed events (all countries and per country)" \
	"SELECT h::text FROM local.hp_users u, nfrec.homepage(NULL, $HP_ARGS, model => 'hp_dist') h WHERE u.user_id = 3" \
	"$(hp_local "SELECT h::text FROM nfrec.homepage(NULL, $HP_ARGS, model => 'hp_single') h")"
cq 0 -o /dev/null -c "SET client_min_messages = warning" \
	-c "CREATE TABLE local.hp_ctx_local AS SELECT * FROM nfrec.context_affinity" \
	-c "SELECT nfrec.fit_context('public.viewing_events')" \
	-c "CREATE TABLE local.hp_ctx_dist AS SELECT * FROM nfrec.context_affinity" \
	-c "SELECT nfrec.fit_context('local.viewing_events')" || notok "set-up: fit_context over distributed events"
check_same "fit_context over distributed events" \
	"SELECT a.* FROM local.hp_ctx_dist a ORDER BY day_part, device, title_id" \
	"SELECT a.* FROM local.hp_ctx_local a ORDER BY day_part, device, title_id" 1e-9

# 2. On the workers.
cq 0 -o /dev/null -c "SET client_min_messages = warning" -c "CALL nfrec.distribute_model('hp_dist')" \
	-c "SELECT nfrec.distribute_trending('public.viewing_events', '$HP_AT')" || notok "set-up: distribute_model and distribute_trending"
check_true "homepage is a distributed function colocated with the events" \
	"SELECT count(*) = 1 FROM pg_dist_object o JOIN pg_dist_partition p ON p.colocationid = o.colocationid AND p.logicalrelid = 'public.viewing_events'::regclass
	  WHERE o.objid = 'nfrec.homepage(bigint,int,int,timestamptz,text,text,real)'::regprocedure AND o.distribution_argument_index = 0"
check_true "fits and trending figures on both workers, as on the coordinator" \
	"SELECT bool_and(result = (SELECT format('%s/%s/%s', (SELECT version FROM nfrec.context_fit), (SELECT count(*) FROM nfrec.context_affinity), (SELECT count(*) FROM nfrec.artwork_stats))))
	        AND count(*) = 2
	   FROM run_command_on_workers(\$\$SELECT format('%s/%s/%s', (SELECT version FROM nfrec.context_fit), (SELECT count(*) FROM nfrec.context_affinity), (SELECT count(*) FROM nfrec.artwork_stats))\$\$)" 
check_true "trending figures of the window of at on both workers" \
	"SELECT bool_and(result::int > 0) AND count(*) = 2 FROM run_command_on_workers(\$\$SELECT count(*) FROM nfrec.dist_trending WHERE events = 'public.viewing_events' AND window_end = date_trunc('hour', '$HP_AT'::timestamptz)\$\$)"
check_same "homepage, batch over a distributed table, on the shards" \
	"$(printf "$HP_BATCH" public hp_dist)" "$(hp_local "$(printf "$HP_BATCH" local hp_single)")"
check_same "homepage, batch, no device, 3 rows of 4" \
	"SELECT u.user_id, h::text FROM public.hp_users u, LATERAL nfrec.homepage(u.user_id, rows => 3, per_row => 4, at => '$HP_AT', model => 'hp_dist') h ORDER BY 1, h.row_rank, h.rank" \
	"$(hp_local "SELECT u.user_id, h::text FROM local.hp_users u, LATERAL nfrec.homepage(u.user_id, rows => 3, per_row => 4, at => '$HP_AT', model => 'hp_single') h ORDER BY 1, h.row_rank, h.rank")"
# recommend_for's genre diversity reads content_metadata too: on the shards
# from the node's placement of the reference table
check_same "recommend_for(diversity => 0.5), batch on the shards" \
	"SELECT u.user_id, r::text FROM public.hp_users u, LATERAL nfrec.recommend_for(u.user_id, 10, 'hp_dist', diversity => 0.5) r ORDER BY 1, r.rank" \
	"$(hp_local "SELECT u.user_id, r::text FROM local.hp_users u, LATERAL nfrec.recommend_for(u.user_id, 10, 'hp_single', diversity => 0.5) r ORDER BY 1, r.rank")"
for u in 3 7 1993 900002 900003; do
	check_same "homepage($u), one call, on the user's worker" \
		"SELECT h::text FROM nfrec.homepage($u, $HP_ARGS, model => 'hp_dist') h" \
		"$(hp_local "SELECT h::text FROM nfrec.homepage($u, $HP_ARGS, model => 'hp_single') h")"
done
routed=$(cq 0 -At -c "SET citus.log_remote_commands = on" -c "SET client_min_messages = log" \
	-c "SELECT * FROM nfrec.homepage(3, $HP_ARGS, model => 'hp_dist')" 2>&1 >/dev/null | grep -c "issuing SELECT.*nfrec\.homepage('3'::bigint")
if [ "$routed" = 1 ]; then ok "one homepage call is delegated to the user's worker" "citus.log_remote_commands"
else notok "one homepage call is delegated to the user's worker" "$routed remote calls"; fi
hp_plan=$(cq 0 -At -c "EXPLAIN (COSTS OFF) SELECT u.user_id, h.* FROM public.hp_users u, LATERAL nfrec.homepage(u.user_id, at => '$HP_AT', model => 'hp_dist') h" 2>&1)
if grep -q "Task Count: 8" <<<"$hp_plan" && grep -q "Function Scan on homepage" <<<"$hp_plan" && ! grep -qi "subplan" <<<"$hp_plan"
then ok "plan: homepage batch pushed down to every shard" "Task Count: 8, the function on the shards"
else notok "plan: homepage batch pushed down to every shard" "$(echo "$hp_plan" | head -n 5 | tr '\n' ' ')"; fi
check_true "nested distributed execution stays off" \
	"SELECT current_setting('citus.allow_nested_distributed_execution') = 'off'"

# The window: a worker serves the latest copied window ending at or before
# the hour of at; after distribute_trending for the next hour its pages of
# that hour are equal to single-node again.
HP_AT2=$(cq 0 -At -c "SELECT '$HP_AT'::timestamptz + interval '1 hour'")
cq 0 -o /dev/null -c "SELECT nfrec.distribute_trending('public.viewing_events', '$HP_AT2')" || notok "set-up: distribute_trending, next hour"
check_same "homepage, batch, next hour after distribute_trending" \
	"SELECT u.user_id, h::text FROM public.hp_users u, LATERAL nfrec.homepage(u.user_id, at => '$HP_AT2', model => 'hp_dist') h WHERE u.user_id % 5 = 0 ORDER BY 1, h.row_rank, h.rank" \
	"$(hp_local "SELECT u.user_id, h::text FROM local.hp_users u, LATERAL nfrec.homepage(u.user_id, at => '$HP_AT2', model => 'hp_single') h WHERE u.user_id % 5 = 0 ORDER BY 1, h.row_rank, h.rank")"

# Bad input (check_fails as in 60_serving.sh, for a run of this file alone).
check_fails() {
	local out
	if out=$(cq 0 -At -v VERBOSITY=verbose -c "$2" 2>&1); then notok "$1" "expected an error, it worked"
	elif grep -q -- "$3" <<<"$out"; then ok "$1" "$(grep -m1 ERROR <<<"$out" | cut -c1-90)"
	else notok "$1" "failed differently: $(echo "$out" | head -n 1)"; fi
}
check_fails "distribute_trending: null events" "SELECT nfrec.distribute_trending(NULL)" '22004'
check_fails "distribute_trending: infinite at" "SELECT nfrec.distribute_trending('public.viewing_events', 'infinity')" '22023.*finite'
check_fails "distribute_trending: a plain table" "SELECT nfrec.distribute_trending('local.viewing_events')" '0A000.*not a Citus table'
check_fails "distribute_trending: no such relation" "SELECT nfrec.distribute_trending('no_such_table')" '42P01'
check_fails "homepage on a worker: rows out of range" "SELECT * FROM nfrec.homepage(3, rows => 0, model => 'hp_dist')" '22023.*rows must be between'
check_fails "homepage on a worker: unknown model" "SELECT * FROM nfrec.homepage(3, model => 'no_such_model')" '42704'
check_fails "homepage batch on the shards: null at" \
	"SELECT count(*) FROM public.hp_users u, LATERAL nfrec.homepage(u.user_id, at => NULL, model => 'hp_dist') h" '22004'
