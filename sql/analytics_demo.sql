-- The analytics functions on the demo data (nfrec.generate_demo, planted
-- churn and planted launch hits/flops).  Only robust properties are printed:
-- they fail when the signal is lost, not when a constant of the simulation
-- is tuned.
SET client_min_messages = warning;
CREATE SCHEMA an_demo;
SET search_path = an_demo, public;
SELECT users, titles FROM nfrec.generate_demo(users => 1500, titles => 300, days => 240, seed => 1,
                                              end_date => '2025-12-31');

-- churn_risk at 2025-10-01 separates the users who really cancel in the
-- next 30 days: AUC against the actual cancellations after as_of
CREATE TEMP TABLE risk AS SELECT * FROM nfrec.churn_risk('2025-10-01');
WITH y AS (
  SELECT r.risk, r.risk_decile, coalesce(s.cancel_date <= date '2025-10-01' + 30, false) AS cancelled
  FROM risk r JOIN subscriptions s USING (user_id)
)
SELECT count(*) = (SELECT count(*) FROM subscriptions
                   WHERE signup_date <= '2025-10-01' AND (cancel_date IS NULL OR cancel_date > '2025-10-01'))
         AS everyone_active_scored,
       nfrec.auc(risk, cancelled) > 0.65 AS forward_auc_above_065,
       avg(cancelled::int) FILTER (WHERE risk_decile = 10)
         > 2 * avg(cancelled::int) FILTER (WHERE risk_decile <= 5) AS top_decile_cancels_more
FROM y;
-- the held-out AUC of the model itself
SELECT (m->>'holdout_auc')::float8 > 0.55 AS holdout_auc_above_055,
       (m->'logreg'->>'converged')::bool AS converged
FROM nfrec.churn_model('2025-10-01') m;
-- cohorts: every scored user falls in exactly one (decile, country, plan)
SELECT sum(users) = (SELECT count(*) FROM risk) AS cohorts_cover_everyone
FROM (SELECT risk_decile, country, plan, count(*) AS users FROM risk GROUP BY 1, 2, 3) c;

-- content_roi: every planted hit beats every planted flop (watchers,
-- completion, ROI) among the launches whose follow-up is observed
CREATE TEMP TABLE roi AS SELECT * FROM nfrec.content_roi();
SELECT count(*) FILTER (WHERE t.planted = 'hit') >= 1 AND count(*) FILTER (WHERE t.planted = 'flop') >= 1
         AS hits_and_flops_observed,
       min(r.roi) FILTER (WHERE t.planted = 'hit') > max(r.roi) FILTER (WHERE t.planted = 'flop') AS roi_hits_above_flops,
       min(r.watchers) FILTER (WHERE t.planted = 'hit') > max(r.watchers) FILTER (WHERE t.planted = 'flop')
         AS watchers_hits_above_flops,
       min(r.completion_rate) FILTER (WHERE t.planted = 'hit')
         > max(r.completion_rate) FILTER (WHERE t.planted = 'flop') AS completion_hits_above_flops
FROM roi r JOIN demo_title_truth t USING (title_id)
WHERE r.observed;
-- the planted hits rank in the top tenth of all observed launches by ROI
SELECT bool_and(rk <= greatest(1, n / 10)) AS hits_in_top_tenth
FROM (SELECT r.title_id, rank() OVER (ORDER BY r.roi DESC NULLS LAST) AS rk, count(*) OVER () AS n
      FROM roi r WHERE r.observed) x
JOIN demo_title_truth t USING (title_id) WHERE t.planted = 'hit';
-- the at-risk comparison finds the planted rescue effect of the hits and
-- none of the flops: every hit's at-risk watchers are retained more than
-- comparable non-watchers, the hits' lift (pooled over titles, weighted by
-- at-risk watchers) is above the flops', and every hit earns more retained
-- subscriber-months than any flop (the flops have few at-risk watchers, so
-- their own lift is noise around 0)
SELECT bool_and(r.retention_lift > 0) FILTER (WHERE t.planted = 'hit') AS every_hit_lifts_retention,
       sum(r.retention_lift * r.at_risk_watchers) FILTER (WHERE t.planted = 'hit')
         / sum(r.at_risk_watchers) FILTER (WHERE t.planted = 'hit')
       > coalesce(sum(r.retention_lift * r.at_risk_watchers) FILTER (WHERE t.planted = 'flop')
                  / nullif(sum(r.at_risk_watchers) FILTER (WHERE t.planted = 'flop' AND r.retention_lift IS NOT NULL), 0), 0)
         AS hits_lift_above_flops,
       min(r.retention_months) FILTER (WHERE t.planted = 'hit')
         > max(r.retention_months) FILTER (WHERE t.planted = 'flop') AS hits_months_above_flops
FROM roi r JOIN demo_title_truth t USING (title_id)
WHERE r.observed AND t.planted IS NOT NULL;
-- ... and the at-risk columns of the planted titles recomputed in plain SQL:
-- the default model is churn_model(as_of, retention_days); deciles at
-- launch; at-risk = deciles 8-10 still subscribed at launch + 28; kept =
-- subscribed at launch + 28 + 60; non-watchers weighted to the watchers'
-- deciles (the pooled at-risk non-watchers where a decile has none)
CREATE TEMP TABLE model AS SELECT nfrec.churn_model('2026-01-01', 60) AS m;
WITH p AS (
  SELECT r.title_id, r.launch_date FROM roi r JOIN demo_title_truth t USING (title_id)
  WHERE t.planted IS NOT NULL AND r.observed
), risk AS (
  SELECT f.as_of AS launch_date, f.user_id,
         ntile(10) OVER (PARTITION BY f.as_of ORDER BY nfrec.churn_score(model.m, f.features), f.user_id) AS decile
  FROM model, nfrec.churn_features_at(ARRAY(SELECT DISTINCT launch_date FROM p)) f
), a AS (
  SELECT p.title_id, k.decile,
         EXISTS (SELECT 1 FROM viewing_events e
                 WHERE e.user_id = k.user_id AND e.title_id = p.title_id AND e.watch_pct >= 70
                   AND e.started_at >= p.launch_date AND e.started_at < p.launch_date + 28) AS watched,
         (s.cancel_date IS NULL OR s.cancel_date > p.launch_date + 88) AS kept
  FROM p JOIN risk k USING (launch_date) JOIN subscriptions s USING (user_id)
  WHERE k.decile >= 8 AND (s.cancel_date IS NULL OR s.cancel_date > p.launch_date + 28)
), pooled AS (
  SELECT title_id, avg(kept::int) AS rate FROM a WHERE NOT watched GROUP BY title_id
), c AS (
  SELECT a.title_id, a.decile, count(*) FILTER (WHERE a.watched) AS w,
         count(*) FILTER (WHERE a.watched AND a.kept) AS w_kept,
         coalesce(avg(a.kept::int) FILTER (WHERE NOT a.watched), min(pl.rate)) AS n_rate
  FROM a JOIN pooled pl USING (title_id) GROUP BY a.title_id, a.decile
), ref AS (
  SELECT title_id, sum(w) AS arw, sum(w_kept) AS arw_kept,
         sum(w * n_rate) / nullif(sum(w), 0) AS nret
  FROM c GROUP BY title_id
)
SELECT count(*) AS planted_observed,
       count(*) FILTER (WHERE r.at_risk_watchers IS DISTINCT FROM ref.arw::bigint
                           OR r.at_risk_watchers_retained IS DISTINCT FROM ref.arw_kept::bigint
                           OR abs(r.nonwatcher_retention - ref.nret) > 1e-9
                           OR abs(r.retention_lift - (ref.arw_kept::float8 / ref.arw - ref.nret)) > 1e-9)
         AS different
FROM ref JOIN roi r USING (title_id);

-- watchers recomputed in plain SQL for the planted titles
SELECT bool_and(r.watchers = (SELECT count(DISTINCT e.user_id) FROM viewing_events e
                              WHERE e.title_id = r.title_id AND e.watch_pct >= 70
                                AND e.started_at >= r.launch_date AND e.started_at < r.launch_date + 28))
         AS watchers_match
FROM roi r JOIN demo_title_truth t USING (title_id) WHERE t.planted IS NOT NULL;

-- homepage metrics on the demo: ECS of the last 30 days between 1 and the
-- number of titles played, equal to the plain-SQL formula; trending sorted
WITH w AS (
  SELECT title_id, count(*)::float8 AS plays FROM viewing_events
  WHERE event_type = 'play' AND started_at >= '2025-12-01' AND started_at < '2025-12-31'
  GROUP BY title_id
), r AS (
  SELECT plays, row_number() OVER (ORDER BY plays DESC) AS i, sum(plays) OVER () AS total FROM w
)
SELECT abs(nfrec.watched_catalog_size('2025-12-01', '2025-12-31') - (2 * sum(plays / total * i) - 1)) < 1e-9
         AS ecs_matches,
       nfrec.watched_catalog_size('2025-12-01', '2025-12-31') BETWEEN 1 AND count(*) AS ecs_in_range
FROM r;
SELECT count(*) = 10 AS ten_rows,
       bool_and(score > 0) AS positive,
       (array_agg(score ORDER BY rank))[1] >= (array_agg(score ORDER BY rank))[10] AS descending
FROM nfrec.trending('2025-12-31', n => 10);

-- churn_features_at takes the last play before the windows from one index
-- probe per subscriber without a window play when the events have an index
-- on (user_id, started_at), from one scan of every earlier play otherwise,
-- and counts bad values in its main pass: both give exactly the same rows
-- and NOTICEs (a few bad values planted in the windows), and
-- days_since_last_play equals plain SQL
CREATE TEMP TABLE ev_idx AS SELECT * FROM viewing_events;
UPDATE ev_idx SET watch_pct = 'NaN' WHERE event_id % 997 = 0 AND started_at >= '2025-09-01';
UPDATE ev_idx SET watch_seconds = -5 WHERE event_id % 991 = 0 AND started_at >= '2025-09-01';
CREATE TEMP TABLE ev_plain AS SELECT * FROM ev_idx;
CREATE INDEX ON ev_idx (user_id, started_at);
ANALYZE ev_idx;
ANALYZE ev_plain;
SET client_min_messages = notice;
CREATE TEMP TABLE f_idx AS
SELECT * FROM nfrec.churn_features_at('{2025-10-01}', events => 'ev_idx')
UNION ALL
SELECT * FROM nfrec.churn_features_at('{2025-06-01,2025-09-15,2025-12-31}', events => 'ev_idx');
CREATE TEMP TABLE f_plain AS
SELECT * FROM nfrec.churn_features_at('{2025-10-01}', events => 'ev_plain')
UNION ALL
SELECT * FROM nfrec.churn_features_at('{2025-06-01,2025-09-15,2025-12-31}', events => 'ev_plain');
SET client_min_messages = warning;
SELECT (SELECT count(*) FROM f_idx) AS rows,
       (SELECT count(*) FROM (SELECT * FROM f_idx EXCEPT ALL SELECT * FROM f_plain) x) AS only_idx,
       (SELECT count(*) FROM (SELECT * FROM f_plain EXCEPT ALL SELECT * FROM f_idx) x) AS only_plain,
       (SELECT count(*) FROM f_idx WHERE days_since_last_play IS NULL) > 0 AS some_never_played;
SELECT count(*) AS compared,
       count(*) FILTER (WHERE f.days_since_last_play IS DISTINCT FROM
         (SELECT extract(epoch FROM f.as_of::timestamptz - max(e.started_at))::float8 / 86400
          FROM ev_idx e WHERE e.user_id = f.user_id AND e.event_type = 'play'
            AND e.started_at < f.as_of::timestamptz)) AS dslp_differs
FROM f_idx f;

RESET search_path;
DROP SCHEMA an_demo CASCADE;
