-- test/bench/als_dist_steps.sql -- the per-iteration steps of
-- nfrec.train_distributed, timed one by one in a single backend (what one
-- shard does with its users), for the projection in doc/scale.md.
--
--   psql -v events=local.interactions -v factors=64 -f test/bench/als_dist_steps.sql
--
-- events: a relation (user_id, title_id, weight); factors: k.  Prints the
-- rows, then seconds and bytes of each step: the snapshot (canonical
-- events per user), the user step (UPDATE of the work table), the
-- per-title sums (the aggregate a shard runs), the item step (the
-- coordinator's solve from the sums), with the sizes of the item side and
-- of the sums (binary and as the text a shard ships).
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
CREATE TEMP TABLE bench_work (user_id bigint NOT NULL, ev bytea NOT NULL, x real[]);
SELECT array_agg(t ORDER BY t) AS titles FROM (SELECT title_id::bigint AS t FROM :events GROUP BY 1) s \gset
SELECT clock_timestamp() AS t0 \gset
INSERT INTO bench_work SELECT user_id, nfrec._als_dist_canon(:'titles', array_agg(title_id::bigint), array_agg(weight::float8))
  FROM :events GROUP BY user_id;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS snapshot_s \gset
SELECT nfrec._als_dist_params(jsonb_build_object('factors', :factors), cardinality(:'titles'::bigint[])) AS params \gset
SELECT nfrec._als_dist_init(:'params', :'titles') AS blob \gset
-- one warm-up iteration (x from the seed), then a timed one
UPDATE bench_work SET x = nfrec._als_dist_user(:'blob', user_id, ev, x, true);
SELECT clock_timestamp() AS t0 \gset
UPDATE bench_work SET x = nfrec._als_dist_user(:'blob', user_id, ev, x, true);
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS user_s \gset
SELECT clock_timestamp() AS t0 \gset
SELECT nfrec._als_dist_sums(:'params', ev, x) AS sums FROM bench_work \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS sums_s \gset
SELECT clock_timestamp() AS t0 \gset
SELECT nfrec._als_dist_items(:'params', :'sums', :'blob', true) AS blob2 \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS items_s \gset
-- the text form a shard ships, and its round trip (output + input: what
-- the coordinator parses per shard before it adds the partial sums)
SELECT octet_length(:'sums'::bytea::text) AS sums_text \gset
SELECT clock_timestamp() AS t0 \gset
SELECT octet_length(((:'sums'::bytea)::text)::bytea) AS dummy \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS text_s \gset
SELECT (SELECT count(*) FROM bench_work) AS users,
       (SELECT sum(nfrec._als_dist_ev_count(ev)) FROM bench_work) AS events,
       cardinality(:'titles'::bigint[]) AS titles, :factors AS factors,
       round(:'snapshot_s'::numeric, 3) AS snapshot_s, round(:'user_s'::numeric, 3) AS user_step_s,
       round(:'sums_s'::numeric, 3) AS sums_s, round(:'items_s'::numeric, 3) AS item_step_s,
       octet_length(:'blob'::bytea) AS item_side_bytes, octet_length(:'sums'::bytea) AS sums_bytes,
       :sums_text AS sums_text_bytes, round(:'text_s'::numeric, 3) AS text_round_trip_s;
