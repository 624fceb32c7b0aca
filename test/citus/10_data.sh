# test/citus/10_data.sh -- sourced by test/citus.sh: demo data on the
# coordinator in schema "local" (plain tables), copied into distributed
# viewing_events and subscriptions (by user_id) and a reference
# content_metadata in schema public.  Every later check compares a result
# over the public (distributed) tables with the same call over local.*.

NFREC_CITUS_USERS=${NFREC_CITUS_USERS:-2000}
NFREC_CITUS_TITLES=${NFREC_CITUS_TITLES:-600}

cq 0 -o /dev/null <<SQL || notok "set-up: demo data and distributed tables"
SET client_min_messages = error;
CREATE EXTENSION nfrec;
CREATE SCHEMA local;
SELECT users, titles, events FROM nfrec.generate_demo(users => $NFREC_CITUS_USERS, titles => $NFREC_CITUS_TITLES,
                                                     days => 365, seed => 1, schema => 'local');
CREATE TABLE public.viewing_events (LIKE local.viewing_events INCLUDING DEFAULTS);
CREATE TABLE public.subscriptions (LIKE local.subscriptions INCLUDING DEFAULTS);
CREATE TABLE public.content_metadata (LIKE local.content_metadata INCLUDING DEFAULTS);
SELECT create_distributed_table('public.viewing_events', 'user_id');
SELECT create_distributed_table('public.subscriptions', 'user_id', colocate_with => 'public.viewing_events');
SELECT create_reference_table('public.content_metadata');
INSERT INTO public.viewing_events SELECT * FROM local.viewing_events;
INSERT INTO public.subscriptions SELECT * FROM local.subscriptions;
INSERT INTO public.content_metadata SELECT * FROM local.content_metadata;
-- the demo's interactions view, over the distributed events
CREATE VIEW public.interactions AS
    SELECT user_id, title_id, round((sum(least(watch_pct, 100)::float8) / 100)::numeric, 3)::float8 AS weight
    FROM public.viewing_events WHERE event_type = 'play' GROUP BY user_id, title_id;
SQL
nf_log "demo data: $(cq 0 -At -c "SELECT format('%s users, %s titles, %s events', (SELECT count(*) FROM local.subscriptions), (SELECT count(*) FROM local.content_metadata), (SELECT count(*) FROM local.viewing_events))")"

check_true "nfrec installed on both workers" \
	"SELECT count(*) = 2 FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'nfrec'\$\$) WHERE success AND result = (SELECT extversion FROM pg_extension WHERE extname = 'nfrec')"
check_true "layout: 2 distributed tables colocated, 1 reference" \
	"SELECT array_agg(table_name::text || ':' || citus_table_type ORDER BY table_name::text) = ARRAY['content_metadata:reference','subscriptions:distributed','viewing_events:distributed']
	        AND count(DISTINCT colocation_id) FILTER (WHERE citus_table_type = 'distributed') = 1
	 FROM citus_tables"
check_true "shards on both workers" \
	"SELECT count(DISTINCT nodeport) = 2 FROM citus_shards WHERE table_name = 'viewing_events'::regclass"
check_same "same rows copied" \
	"SELECT count(*), sum(hashtext(e::text)) FROM public.viewing_events e" \
	"SELECT count(*), sum(hashtext(e::text)) FROM local.viewing_events e"
