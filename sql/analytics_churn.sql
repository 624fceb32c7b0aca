-- churn_model / churn_risk / churn_score over generated tables with planted
-- churn (cancellations follow disengagement).  The training set, the
-- standardization and the scores are rebuilt in plain SQL and compared.
SET TimeZone = 'UTC';
SET client_min_messages = notice;
\set SHOW_CONTEXT never
CREATE SCHEMA ch;
SET search_path = ch, public;

-- 400 users over 2024-01-01 .. 2024-06-30.  A third of them cancel; in the
-- 21 days before cancelling they play on 1 day in 10 instead of 1 in 2, and
-- finish less of what they start.
CREATE TABLE subscriptions AS
SELECT u::bigint AS user_id, date '2023-11-15' + (u * 37 % 90) AS signup_date,
       CASE WHEN u * 7 % 10 < 3 THEN date '2024-01-20' + (u * 53 % 160) END AS cancel_date,
       (ARRAY['basic', 'standard', 'premium'])[1 + u % 3] AS plan,
       (ARRAY[6.99, 15.49, 22.99])[1 + u % 3]::numeric AS monthly_price,
       (ARRAY['US', 'DE', 'BR', 'JP'])[1 + u * 3 % 4] AS country
FROM generate_series(1, 400) u;
CREATE FUNCTION pg_temp.h(text) RETURNS float8 LANGUAGE sql IMMUTABLE
    AS $$ SELECT ('x' || substr(md5($1), 1, 8))::bit(32)::bigint / 4294967296.0 $$;
CREATE TABLE viewing_events AS
SELECT row_number() OVER () AS event_id, s.user_id, 1 + (s.user_id * d) % 50 AS title_id,
       day + (18 + pg_temp.h(s.user_id || 't' || d) * 5) * interval '1 hour' AS started_at,
       (1200 + pg_temp.h(s.user_id || 's' || d) * 4000)::int AS watch_seconds,
       (CASE WHEN disengaged THEN 5 + 40 * pg_temp.h(s.user_id || 'p' || d)
             ELSE 40 + 60 * pg_temp.h(s.user_id || 'p' || d) END)::real AS watch_pct,
       'play' AS event_type
FROM subscriptions s,
     generate_series(greatest(s.signup_date, '2024-01-01'), least(s.cancel_date - 1, '2024-06-30'), '1 day') day,
     LATERAL (SELECT day::date - date '2024-01-01' AS d,
                     s.cancel_date IS NOT NULL AND day::date >= s.cancel_date - 21 AS disengaged) x
WHERE pg_temp.h(s.user_id || 'a' || d) < CASE WHEN disengaged THEN 0.1 ELSE 0.5 END;
SELECT count(*) AS events, count(DISTINCT user_id) AS users FROM viewing_events;

-- the model at 2024-04-15, horizon 30 days: snapshots 2024-03-15 - 7k
SELECT m->'train_dates' AS train_dates, m->'features' AS features,
       m->'train_rows' AS train_rows, m->'train_cancelled' AS train_cancelled,
       m->'holdout_rows' AS holdout_rows, m->'holdout_cancelled' AS holdout_cancelled,
       (m->>'holdout_auc')::float8 > 0.7 AS holdout_auc_ok
FROM nfrec.churn_model('2024-04-15') m;

-- the same counts in plain SQL: (snapshot d, user active at d), label =
-- cancelled in (d, d + 30], held out when hashint8(user_id) % 5 = 0
WITH d(d) AS (VALUES (date '2024-02-23'), ('2024-03-01'), ('2024-03-08'), ('2024-03-15')),
r AS (SELECT hashint8(s.user_id) % 5 = 0 AS h, s.cancel_date <= d.d + 30 AS y
      FROM subscriptions s, d
      WHERE s.signup_date <= d.d AND (s.cancel_date IS NULL OR s.cancel_date > d.d))
SELECT count(*) FILTER (WHERE NOT h) AS train_rows, count(*) FILTER (WHERE NOT h AND y) AS train_cancelled,
       count(*) FILTER (WHERE h) AS holdout_rows, count(*) FILTER (WHERE h AND y) AS holdout_cancelled
FROM r;

-- the coefficients equal logreg_train (l2 = 1 by default) over the training
-- set rebuilt in plain SQL (features from churn_features, standardized by hand)
CREATE TEMP TABLE m AS SELECT nfrec.churn_model('2024-04-15') AS m;
CREATE TEMP TABLE tr AS
SELECT f.as_of, f.user_id, f.features, hashint8(f.user_id) % 5 = 0 AS holdout,
       coalesce(s.cancel_date <= f.as_of + 30, false) AS label
FROM (SELECT '2024-02-23'::date AS as_of, * FROM nfrec.churn_features('2024-02-23') UNION ALL
      SELECT '2024-03-01', * FROM nfrec.churn_features('2024-03-01') UNION ALL
      SELECT '2024-03-08', * FROM nfrec.churn_features('2024-03-08') UNION ALL
      SELECT '2024-03-15', * FROM nfrec.churn_features('2024-03-15')) f
JOIN subscriptions s USING (user_id);
CREATE TEMP TABLE st AS
SELECT i, avg(features[i]) AS mu, stddev_samp(features[i]) AS sd
FROM tr, generate_series(1, 10) i WHERE NOT holdout GROUP BY i;
SELECT i, (nfrec.churn_feature_names())[i] AS feature, sd > 0 AS kept FROM st ORDER BY i;
WITH z AS (
  SELECT tr.label, array_agg((tr.features[st.i] - st.mu) / st.sd ORDER BY st.i) AS x
  FROM tr, st WHERE NOT tr.holdout AND st.sd > 0 GROUP BY tr.as_of, tr.user_id, tr.label
), ref AS (SELECT nfrec.logreg_train(z.label, z.x, '{"l2": 1}') AS lr FROM z)
SELECT jsonb_array_length(ref.lr->'coef') AS coefficients,
       (SELECT max(abs((a.x #>> '{}')::float8 - (b.x #>> '{}')::float8))
        FROM jsonb_array_elements(ref.lr->'coef') WITH ORDINALITY a(x, k)
        JOIN jsonb_array_elements(m.m->'logreg'->'coef') WITH ORDINALITY b(x, k) USING (k)) < 1e-9 AS coef_match,
       (SELECT max(abs(x.mu - st.mu) + abs(x.sd - st.sd)) < 1e-9
        FROM st JOIN (SELECT (a #>> '{}')::int AS i, (b #>> '{}')::float8 AS mu, (c #>> '{}')::float8 AS sd
                      FROM jsonb_array_elements(m.m->'feature_index') WITH ORDINALITY a(a, k)
                      JOIN jsonb_array_elements(m.m->'mean') WITH ORDINALITY b(b, k) USING (k)
                      JOIN jsonb_array_elements(m.m->'sd') WITH ORDINALITY c(c, k) USING (k)) x USING (i)) AS standardization_match
FROM ref, m;

-- the held-out AUC is the Mann-Whitney statistic of the held-out rows
WITH z AS (
  SELECT tr.label, nfrec.churn_score(m.m, tr.features) AS p FROM tr, m WHERE tr.holdout
)
SELECT abs((m.m->>'holdout_auc')::float8 -
           (SELECT avg(CASE WHEN a.p > b.p THEN 1 WHEN a.p = b.p THEN 0.5 ELSE 0 END)
            FROM z a, z b WHERE a.label AND NOT b.label)) < 1e-12 AS holdout_auc_match
FROM m;

-- churn_risk with that model: risk = 1 / (1 + exp(-(b0 + sum b_j z_j))),
-- recomputed from the model's numbers; deciles by ntile(10) over risk
CREATE TEMP TABLE risk AS SELECT * FROM nfrec.churn_risk('2024-04-15', model => (SELECT m FROM m));
WITH coef AS (
  SELECT k, (x #>> '{}')::float8 AS b FROM m, jsonb_array_elements(m.m->'logreg'->'coef') WITH ORDINALITY c(x, k)
), ref AS (
  SELECT f.user_id,
         1 / (1 + exp(-((SELECT b FROM coef WHERE k = 1) +
               (SELECT sum(c.b * (f.features[(m.m->'feature_index'->>(c.k::int - 2))::int]
                                   - (m.m->'mean'->>(c.k::int - 2))::float8)
                                / (m.m->'sd'->>(c.k::int - 2))::float8)
                FROM coef c WHERE c.k > 1)))) AS p
  FROM nfrec.churn_features('2024-04-15') f, m
)
SELECT count(*) AS users, max(abs(r.risk - ref.p)) < 1e-12 AS risk_match,
       bool_and(r.risk_decile BETWEEN 1 AND 10) AS deciles_in_range
FROM risk r FULL JOIN ref USING (user_id);
SELECT risk_decile, count(*) AS users, min(risk) <= max(risk) AS ordered
FROM risk GROUP BY risk_decile ORDER BY risk_decile;
-- deciles do not overlap: every risk of decile k is <= every risk of k + 1
SELECT bool_and(a.hi <= b.lo) AS monotone
FROM (SELECT risk_decile, max(risk) AS hi FROM risk GROUP BY 1) a
JOIN (SELECT risk_decile, min(risk) AS lo FROM risk GROUP BY 1) b ON b.risk_decile = a.risk_decile + 1;

-- it separates the users who really cancel in the next 30 days
-- (forward AUC, Mann-Whitney, against cancellations after as_of)
WITH y AS (SELECT r.risk, coalesce(s.cancel_date <= date '2024-04-15' + 30, false) AS cancelled
           FROM risk r JOIN subscriptions s USING (user_id))
SELECT count(*) FILTER (WHERE cancelled) AS cancelled_next_30d,
       round((SELECT avg(CASE WHEN a.risk > b.risk THEN 1 WHEN a.risk = b.risk THEN 0.5 ELSE 0 END)
              FROM y a, y b WHERE a.cancelled AND NOT b.cancelled), 2) AS forward_auc,
       avg(risk) FILTER (WHERE cancelled) > avg(risk) FILTER (WHERE NOT cancelled) AS riskier
FROM y;

-- cohorts are a GROUP BY away
SELECT risk_decile, plan, count(*) AS users
FROM risk WHERE risk_decile >= 9 GROUP BY risk_decile, plan ORDER BY risk_decile, plan;

-- no leakage: events on or after as_of and cancellations on or after as_of
-- do not change the model
CREATE TABLE ev_future AS SELECT * FROM viewing_events;
INSERT INTO ev_future SELECT event_id + 1000000, user_id, title_id, started_at + interval '100 days',
    watch_seconds, watch_pct, event_type FROM viewing_events WHERE started_at >= '2024-01-20';
CREATE TABLE subs_future AS SELECT * FROM subscriptions;
UPDATE subs_future SET cancel_date = CASE WHEN cancel_date IS NULL THEN date '2024-04-15' + user_id::int % 30 END
WHERE cancel_date IS NULL OR cancel_date >= '2024-04-15';
SET client_min_messages = warning;
SELECT nfrec.churn_model('2024-04-15', events => 'ev_future', subscriptions => 'subs_future')
       = (SELECT m FROM m) AS same_model;
SET client_min_messages = notice;

-- churn_score of a hand-made model: sigmoid((50 - 0) / 100 * 1) = 1 / (1 + e^-0.5)
SELECT round(nfrec.churn_score('{"feature_index": [1], "mean": [0], "sd": [100], "logreg": {"coef": [0, 1]}}',
                               '{50,0,0,0,0,0,0,0,0,0}')::numeric, 12) AS score,
       round((1 / (1 + exp(-0.5)))::numeric, 12) AS by_hand;
-- churn_score agrees with churn_risk
SELECT max(abs(nfrec.churn_score(m.m, f.features) - r.risk)) < 1e-15 AS same_as_churn_risk
FROM nfrec.churn_features('2024-04-15') f JOIN risk r USING (user_id), m;
-- churn_score checks its input
\set VERBOSITY sqlstate
SELECT nfrec.churn_score((SELECT m FROM m), '{1,2,3}');
SELECT nfrec.churn_score('{"mean": [0]}', '{1,2,3,4,5,6,7,8,9,10}');
SELECT nfrec.churn_score(NULL, '{1,2,3,4,5,6,7,8,9,10}') IS NULL AS strict;

-- bad input and missing history
SELECT * FROM nfrec.churn_risk(NULL);
SELECT * FROM nfrec.churn_risk('2024-04-15', horizon_days => 0);
SELECT * FROM nfrec.churn_risk('2024-04-15', horizon_days => -30);
SELECT * FROM nfrec.churn_risk('2024-04-15', horizon_days => NULL);
SELECT * FROM nfrec.churn_risk('2024-04-15', horizon_days => 3661);
SELECT * FROM nfrec.churn_risk('2024-04-15', snapshots => 0);
SELECT * FROM nfrec.churn_risk('2024-04-15', snapshot_step_days => 0);
SELECT * FROM nfrec.churn_risk('infinity');
SELECT * FROM nfrec.churn_risk('2023-12-01');           -- nobody subscribed before then
SELECT * FROM nfrec.churn_risk('2024-01-15');           -- no cancellation in the training window
SELECT * FROM nfrec.churn_risk('2024-04-15', model => '{}');
SELECT * FROM nfrec.churn_model('2024-04-15', subscriptions => 'viewing_events');
\set VERBOSITY default
SELECT * FROM nfrec.churn_risk('2023-12-01');
SELECT * FROM nfrec.churn_risk('2024-01-15');
SELECT * FROM nfrec.churn_risk('2024-04-15', horizon_days => 0);
SELECT nfrec.churn_score((SELECT m FROM m), '{1,2,3}');

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA ch CASCADE;
