-- Context lift on the demo (doc/context.md): recall@10 of held-out title
-- starts with the context-free list (recommend_for(u, 200), top 10) and
-- with the same 200 re-ranked for the start's own context
-- (nfrec.context_rerank).  Train on everything before the cutoff, fit the
-- context affinities on the same events, score the starts after it.
--   psql -v schema=ctx_on -f test/bench/context_lift.sql
-- (the schema holds a demo: nfrec.generate_demo(10000, 2000, schema => ...))
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET search_path = :schema, public;
SET TimeZone = 'America/New_York';
DROP TABLE IF EXISTS ctx_train_ev, ctx_train_int, ctx_held;
CREATE TABLE ctx_train_ev AS SELECT * FROM viewing_events WHERE started_at < '2025-12-01';
CREATE TABLE ctx_train_int AS
    SELECT user_id, title_id, sum(least(watch_pct, 100)::float8) / 100 AS weight
    FROM ctx_train_ev WHERE event_type = 'play' GROUP BY 1, 2;
SELECT nfrec.deploy('ctx_eval', nfrec.als_train(user_id, title_id, weight, '{"verbose": false, "factors": 32}'),
                    events => 'ctx_train_int') IS NOT NULL AS deployed FROM ctx_train_int;
SELECT version, starts, titles, cells, round(k::numeric, 1) AS k FROM nfrec.fit_context('ctx_train_ev');
-- held-out starts: first plays after the cutoff of titles not played before, by trained users
CREATE TABLE ctx_held AS
SELECT s.* FROM (SELECT DISTINCT ON (user_id, title_id) user_id, title_id, started_at, device
                 FROM viewing_events WHERE event_type = 'play'
                 ORDER BY user_id, title_id, started_at) s
WHERE s.started_at >= '2025-12-01' AND s.user_id % 2 = 0
  AND EXISTS (SELECT 1 FROM ctx_train_int i WHERE i.user_id = s.user_id)
  AND NOT EXISTS (SELECT 1 FROM ctx_train_int i WHERE i.user_id = s.user_id AND i.title_id = s.title_id);
CREATE TEMP TABLE ctx_hits AS
WITH r AS (
    SELECT h.*, b.ids, b.sc
    FROM ctx_held h
    CROSS JOIN LATERAL (SELECT array_agg(f.title_id ORDER BY f.rank) AS ids,
                               array_agg(f.score ORDER BY f.rank) AS sc
                        FROM nfrec.recommend_for(h.user_id, 200, 'ctx_eval') f) b)
SELECT (r.title_id = ANY (r.ids[1:10])) AS free,
       EXISTS (SELECT 1 FROM nfrec.context_rerank(r.ids, r.sc, r.started_at, r.device, 0.5, 10) x
               WHERE x.title_id = r.title_id) AS w05,
       EXISTS (SELECT 1 FROM nfrec.context_rerank(r.ids, r.sc, r.started_at, r.device, 1, 10) x
               WHERE x.title_id = r.title_id) AS w1,
       EXISTS (SELECT 1 FROM nfrec.context_rerank(r.ids, r.sc, r.started_at, r.device, 2, 10) x
               WHERE x.title_id = r.title_id) AS w2,
       (r.title_id = ANY (r.ids)) AS in200
FROM r;
SELECT count(*) AS held_out_starts,
       round(avg(free::int), 4) AS recall10_context_free,
       round(avg(w05::int), 4) AS recall10_w05,
       round(avg(w1::int), 4) AS recall10_w1,
       round(avg(w2::int), 4) AS recall10_w2,
       round(avg(in200::int), 4) AS recall200,
       -- paired: starts only the context-aware (w = 1) list finds, only the context-free one finds
       count(*) FILTER (WHERE w1 AND NOT free) AS only_context,
       count(*) FILTER (WHERE free AND NOT w1) AS only_free
FROM ctx_hits;
SELECT nfrec.drop_model('ctx_eval');
DROP TABLE ctx_train_ev, ctx_train_int, ctx_held;
