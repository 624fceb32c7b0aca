-- churn_features / churn_features_at over hand-made tables.
-- Every number is checked against a hand-worked value or against plain SQL
-- over the same rows (correlated subqueries, no window functions).
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- The canonical tables live in a schema of their own on the search_path:
-- the regclass defaults must find them there at call time.
CREATE SCHEMA an;
SET search_path = an, public;
CREATE TABLE subscriptions(user_id bigint PRIMARY KEY, signup_date date, cancel_date date,
                           plan text, monthly_price numeric, country text);
CREATE TABLE viewing_events(event_id bigserial, user_id bigint, title_id bigint,
                            started_at timestamptz, watch_seconds int, watch_pct real,
                            device text, country text, event_type text);
INSERT INTO subscriptions VALUES
 (1, '2024-01-01', NULL,         'standard', 15.49, 'US'),
 (2, '2024-02-20', NULL,         'basic',     6.99, 'DE'),
 (3, '2024-01-01', '2024-03-01', 'basic',     6.99, 'US'),  -- cancelled on as_of: not active
 (4, '2024-03-01', NULL,         'premium',  22.99, 'FR'),  -- signed up on as_of: active
 (5, '2023-12-01', '2024-03-02', 'standard', 15.49, 'US'),  -- cancels the day after: active
 (6, '2024-03-02', NULL,         'basic',     6.99, 'US'),  -- not yet signed up
 (7, '2024-02-01', NULL,         'basic',     NULL, 'BR');
INSERT INTO viewing_events(user_id, title_id, started_at, watch_seconds, watch_pct, event_type) VALUES
 (1, 10, '2024-01-10 12:00', 3000, 90, 'play'),               -- older than both windows
 (1, 10, '2024-02-05 08:00', 1200, 50, 'play'),               -- prior window
 (1, 11, '2024-02-20 10:00', 3600, 100, 'play'),              -- recent ...
 (1, 12, '2024-02-20 10:05', NULL, NULL, 'impression'),       -- inside the play: same session
 (1, 12, '2024-02-20 20:00', 1800, 10, 'play'),               -- new session, abandoned
 (1, 13, '2024-02-21 09:00', NULL, NULL, 'impression'),       -- browse-only session
 (1, 13, '2024-02-29 23:59:59', 600, 80, 'play'),             -- last play, 1 s before as_of
 (1, 13, '2024-03-01 00:00:00', 600, 80, 'play'),             -- at as_of: not counted
 (2, 10, '2024-02-25 19:00', NULL, NULL, 'impression'),
 (3, 10, '2024-02-25 19:00', 100, 100, 'play'),
 (5, 10, '2024-01-15 12:00', 100, 100, 'play'),
 (7, 10, '2024-02-25 10:00', 600, 20, 'play'),                -- ends 10:10
 (7, 11, '2024-02-25 10:40', NULL, NULL, 'impression'),       -- exactly 30 min later: same session
 (7, 11, '2024-02-25 11:11', NULL, NULL, 'search'),           -- 31 min later: browse session
 (7, 12, '2024-02-25 23:50', 600, NULL, 'play'),              -- watch_pct unknown
 (7, 12, '2024-02-26 00:05', NULL, NULL, 'impression');       -- new day: new (browse) session

-- Hand-worked features at 2024-03-01 (recent window [Feb 16, Mar 1),
-- prior window [Feb 2, Feb 16)):
-- user 1: last play 1 s before as_of; play days Feb 20, Feb 29 | Feb 5;
--   hours (3600+1800+600)/3600 | 1200/3600; completion (100+10+80)/3 | 50;
--   4 plays in 28 days, 1 under 25%; sessions Feb 5, Feb 20 x2, Feb 21
--   (browse), Feb 29 = 5, 1 browse; tenure Jan 1 -> Mar 1 = 60 days.
-- user 2: no play; 1 browse session; tenure 10.  user 4: nothing, tenure 0.
-- user 5: last play Jan 15 12:00 = 45.5 days ago; tenure 91.
-- user 7: last play Feb 25 23:50 = 4 days 10 min ago; 1 play day; 1200 s;
--   completion 20 (the NULL pct is skipped); 1 of 1 known plays abandoned;
--   sessions 10:00, 11:11 (browse), 23:50, Feb 26 00:05 (browse) = 4.
CREATE TEMP TABLE hand(user_id bigint, tenure_days int, days_since_last_play float8,
                       active_days_recent int, active_days_prior int,
                       watch_hours_recent float8, watch_hours_prior float8,
                       completion_recent float8, completion_prior float8,
                       plays int, abandonment_rate float8, sessions int, browse_share float8);
INSERT INTO hand VALUES
 (1, 60, 1.0/86400, 2, 1, 6000.0/3600, 1200.0/3600, 190.0/3, 50, 4, 0.25, 5, 0.2),
 (2, 10, NULL,      0, 0, 0, 0, NULL, NULL, 0, NULL, 1, 1),
 (4,  0, NULL,      0, 0, 0, 0, NULL, NULL, 0, NULL, 0, NULL),
 (5, 91, 45.5,      0, 0, 0, 0, NULL, NULL, 0, NULL, 0, NULL),
 (7, 29, 4 + 10.0/1440, 1, 0, 1200.0/3600, 0, 20, NULL, 2, 1, 4, 0.5);

SELECT user_id, plan, country, monthly_price, tenure_days,
       round(days_since_last_play::numeric, 6) AS dslp,
       active_days_recent AS act_r, active_days_prior AS act_p,
       round(watch_hours_recent::numeric, 4) AS hours_r, round(watch_hours_prior::numeric, 4) AS hours_p,
       round(completion_recent::numeric, 4) AS comp_r, round(completion_prior::numeric, 4) AS comp_p,
       round(completion_trend::numeric, 4) AS trend, plays,
       abandonment_rate AS abandon, sessions, browse_share AS browse
FROM nfrec.churn_features('2024-03-01') ORDER BY user_id;

-- the same, compared with the hand-worked table (no row may differ)
WITH f AS (SELECT * FROM nfrec.churn_features('2024-03-01'))
SELECT coalesce(f.user_id, h.user_id) AS mismatch
FROM f FULL JOIN hand h USING (user_id)
WHERE f.user_id IS NULL OR h.user_id IS NULL
   OR f.tenure_days <> h.tenure_days
   OR abs(f.days_since_last_play - h.days_since_last_play) > 1e-9
   OR (f.days_since_last_play IS NULL) <> (h.days_since_last_play IS NULL)
   OR f.active_days_recent <> h.active_days_recent OR f.active_days_prior <> h.active_days_prior
   OR abs(f.watch_hours_recent - h.watch_hours_recent) > 1e-12
   OR abs(f.watch_hours_prior - h.watch_hours_prior) > 1e-12
   OR abs(f.completion_recent - h.completion_recent) > 1e-9
   OR (f.completion_recent IS NULL) <> (h.completion_recent IS NULL)
   OR f.completion_prior IS DISTINCT FROM h.completion_prior
   OR f.completion_trend IS DISTINCT FROM
      (SELECT f.completion_recent - f.completion_prior)   -- defined as the difference
   OR f.plays <> h.plays
   OR f.abandonment_rate IS DISTINCT FROM h.abandonment_rate
   OR f.sessions <> h.sessions OR f.browse_share IS DISTINCT FROM h.browse_share;

-- the features array: order of churn_feature_names(), NULLs imputed
-- (never played -> tenure_days; missing trend/rates/price -> 0)
SELECT nfrec.churn_feature_names();
SELECT user_id, features FROM nfrec.churn_features('2024-03-01')
WHERE user_id IN (2, 4, 5) ORDER BY user_id;
SELECT round(features[6]::numeric, 6) = round((190.0/3 - 50)::numeric, 6) AS trend_ok,
       features[1] = 1.0/86400 AS dslp_ok
FROM nfrec.churn_features('2024-03-01') WHERE user_id = 1;

-- knobs: a 7-day window, a 5-minute session gap, abandonment below 60%
SELECT user_id, active_days_recent, active_days_prior, sessions, browse_share, abandonment_rate
FROM nfrec.churn_features('2024-03-01', window_days => 7, session_gap => '5 minutes',
                          abandon_pct => 60)
WHERE user_id IN (1, 7) ORDER BY user_id;

-- window boundaries are exact: [as_of - 2w, as_of - w) and [as_of - w, as_of)
CREATE TABLE boundary_events (LIKE viewing_events INCLUDING DEFAULTS);
INSERT INTO boundary_events(user_id, started_at, watch_seconds, watch_pct, event_type) VALUES
 (5, '2024-02-02 00:00:00',        3600, 100, 'play'),   -- first instant of prior window
 (5, '2024-02-01 23:59:59.999999', 3600, 100, 'play'),   -- just before it
 (5, '2024-02-15 23:59:59.999999', 7200, 100, 'play'),   -- last instant of prior window
 (5, '2024-02-16 00:00:00',       10800, 100, 'play'),   -- first instant of recent window
 (5, '2024-03-01 00:00:00',       36000, 100, 'play');   -- as_of itself: excluded
SELECT active_days_recent, watch_hours_recent, active_days_prior, watch_hours_prior,
       days_since_last_play, sessions
FROM nfrec.churn_features('2024-03-01', events => 'boundary_events') WHERE user_id = 5;

-- Brute force: 40 users, ~3700 events, three dates in one call, against
-- plain SQL written independently (correlated subqueries per user/date).
CREATE TABLE gen_subs AS
SELECT u AS user_id, date '2023-12-01' + (u * 3 % 70) AS signup_date,
       CASE WHEN u % 4 = 0 THEN date '2024-02-01' + (u * 7 % 60) END AS cancel_date,
       (ARRAY['basic', 'standard', 'premium'])[1 + u % 3] AS plan,
       (ARRAY[6.99, 15.49, 22.99])[1 + u % 3]::numeric AS monthly_price,
       (ARRAY['US', 'DE', 'BR'])[1 + u % 3 / 2] AS country
FROM generate_series(1, 40) u;
CREATE TABLE gen_events AS
WITH base AS (
  SELECT i, 1 + (i * 7 + i / 7) % 40 AS user_id,
         timestamptz '2024-01-01 00:00+00' + ((i::bigint * 104729) % (90 * 86400)) * interval '1 second' AS t0
  FROM generate_series(1, 3000) i
), ev AS (
  SELECT i, user_id, t0 AS started_at FROM base
  UNION ALL   -- follow-up events 0..49 minutes later build multi-event sessions
  SELECT i + 100000, user_id, t0 + ((i % 50) * 60 + 17) * interval '1 second' FROM base WHERE i % 4 = 0
)
SELECT i AS event_id, user_id, i % 97 AS title_id, started_at,
       CASE WHEN i % 5 >= 2 THEN ((i * 37) % 7200)::int END AS watch_seconds,
       CASE WHEN i % 5 >= 2 AND i % 23 <> 0 THEN ((i * 53) % 1001) / 10.0 END::real AS watch_pct,
       CASE i % 5 WHEN 0 THEN 'impression' WHEN 1 THEN 'search' ELSE 'play' END AS event_type
FROM ev;
CREATE INDEX ON gen_events (user_id, started_at);
ANALYZE gen_events;
-- no two events of a user share a timestamp (the brute force relies on it)
SELECT count(*) AS events, count(DISTINCT (user_id, started_at)) = count(*) AS distinct_times
FROM gen_events;

-- an event starts a session unless an earlier event of the same user and
-- day ended (started_at + watch_seconds) at most 30 minutes before it
CREATE TEMP TABLE b_ev AS
SELECT e.*,
       NOT EXISTS (SELECT 1 FROM gen_events p
                   WHERE p.user_id = e.user_id AND p.started_at::date = e.started_at::date
                     AND p.started_at < e.started_at
                     AND p.started_at + coalesce(p.watch_seconds, 0) * interval '1 second'
                         + interval '30 minutes' >= e.started_at) AS is_start
FROM gen_events e;
CREATE INDEX ON b_ev (user_id, started_at);
-- a session browses without playing unless a play of the same user and day
-- comes at or after its start and before the next start
CREATE TEMP TABLE b_starts AS
SELECT s.user_id, s.started_at,
       EXISTS (SELECT 1 FROM b_ev e
               WHERE e.user_id = s.user_id AND e.event_type = 'play'
                 AND e.started_at::date = s.started_at::date AND e.started_at >= s.started_at
                 AND NOT EXISTS (SELECT 1 FROM b_ev s2
                                 WHERE s2.is_start AND s2.user_id = s.user_id
                                   AND s2.started_at > s.started_at
                                   AND s2.started_at <= e.started_at)) AS has_play
FROM b_ev s WHERE s.is_start;
CREATE TEMP TABLE brute AS
WITH d(as_of) AS (VALUES (date '2024-02-10'), (date '2024-03-01'), (date '2024-03-20'))
SELECT d.as_of, s.user_id, d.as_of - s.signup_date AS tenure_days,
  (SELECT extract(epoch FROM d.as_of::timestamptz - max(e.started_at))::float8 / 86400 FROM gen_events e
   WHERE e.user_id = s.user_id AND e.event_type = 'play' AND e.started_at < d.as_of) AS dslp,
  (SELECT count(DISTINCT e.started_at::date) FROM gen_events e WHERE e.user_id = s.user_id
     AND e.event_type = 'play' AND e.started_at >= (d.as_of - 14) AND e.started_at < d.as_of) AS act_r,
  (SELECT count(DISTINCT e.started_at::date) FROM gen_events e WHERE e.user_id = s.user_id
     AND e.event_type = 'play' AND e.started_at >= (d.as_of - 28) AND e.started_at < (d.as_of - 14)) AS act_p,
  (SELECT coalesce(sum(e.watch_seconds), 0) / 3600.0 FROM gen_events e WHERE e.user_id = s.user_id
     AND e.event_type = 'play' AND e.started_at >= (d.as_of - 14) AND e.started_at < d.as_of) AS hours_r,
  (SELECT coalesce(sum(e.watch_seconds), 0) / 3600.0 FROM gen_events e WHERE e.user_id = s.user_id
     AND e.event_type = 'play' AND e.started_at >= (d.as_of - 28) AND e.started_at < (d.as_of - 14)) AS hours_p,
  (SELECT avg(e.watch_pct::float8) FROM gen_events e WHERE e.user_id = s.user_id
     AND e.event_type = 'play' AND e.started_at >= (d.as_of - 14) AND e.started_at < d.as_of) AS comp_r,
  (SELECT avg(e.watch_pct::float8) FROM gen_events e WHERE e.user_id = s.user_id
     AND e.event_type = 'play' AND e.started_at >= (d.as_of - 28) AND e.started_at < (d.as_of - 14)) AS comp_p,
  (SELECT count(*) FROM gen_events e WHERE e.user_id = s.user_id
     AND e.event_type = 'play' AND e.started_at >= (d.as_of - 28) AND e.started_at < d.as_of) AS plays,
  (SELECT count(*) FILTER (WHERE e.watch_pct < 25)::numeric / nullif(count(e.watch_pct), 0)
   FROM gen_events e WHERE e.user_id = s.user_id
     AND e.event_type = 'play' AND e.started_at >= (d.as_of - 28) AND e.started_at < d.as_of) AS abandon,
  (SELECT count(*) FROM b_starts x WHERE x.user_id = s.user_id
     AND x.started_at >= (d.as_of - 28) AND x.started_at < d.as_of) AS sessions,
  (SELECT count(*) FILTER (WHERE NOT x.has_play)::numeric / nullif(count(*), 0) FROM b_starts x
   WHERE x.user_id = s.user_id AND x.started_at >= (d.as_of - 28) AND x.started_at < d.as_of) AS browse
FROM gen_subs s JOIN d ON s.signup_date <= d.as_of AND (s.cancel_date IS NULL OR s.cancel_date > d.as_of);

SELECT as_of, count(*) AS users, sum(sessions) AS sessions, sum(plays) AS plays,
       count(dslp) AS with_plays FROM brute GROUP BY as_of ORDER BY as_of;

WITH f AS (
  SELECT * FROM nfrec.churn_features_at('{2024-03-20,2024-02-10,2024-03-01,2024-02-10}',
                                        events => 'gen_events', subscriptions => 'gen_subs')
)
SELECT count(*) AS rows_compared,
       count(*) FILTER (WHERE f.user_id IS NULL OR b.user_id IS NULL) AS missing,
       count(*) FILTER (WHERE f.tenure_days <> b.tenure_days
          OR abs(f.days_since_last_play - b.dslp) > 1e-9 OR (f.days_since_last_play IS NULL) <> (b.dslp IS NULL)
          OR f.active_days_recent <> b.act_r OR f.active_days_prior <> b.act_p
          OR abs(f.watch_hours_recent - b.hours_r) > 1e-9 OR abs(f.watch_hours_prior - b.hours_p) > 1e-9
          OR abs(f.completion_recent - b.comp_r) > 1e-9 OR (f.completion_recent IS NULL) <> (b.comp_r IS NULL)
          OR abs(f.completion_prior - b.comp_p) > 1e-9 OR (f.completion_prior IS NULL) <> (b.comp_p IS NULL)
          OR f.plays <> b.plays
          OR abs(f.abandonment_rate - b.abandon) > 1e-12 OR (f.abandonment_rate IS NULL) <> (b.abandon IS NULL)
          OR f.sessions <> b.sessions
          OR abs(f.browse_share - b.browse) > 1e-12 OR (f.browse_share IS NULL) <> (b.browse IS NULL)
          OR f.features <> ARRAY[coalesce(f.days_since_last_play, f.tenure_days), f.active_days_recent,
                                 f.active_days_prior, f.watch_hours_recent, f.watch_hours_prior,
                                 coalesce(f.completion_trend, 0), coalesce(f.abandonment_rate, 0),
                                 coalesce(f.browse_share, 0), f.tenure_days, f.monthly_price]::float8[]
       ) AS different
FROM f FULL JOIN brute b ON b.as_of = f.as_of AND b.user_id = f.user_id;

-- no leakage: appending events on or after as_of changes nothing
CREATE TABLE gen_events_future AS
SELECT * FROM gen_events
UNION ALL
SELECT event_id + 1000000, user_id, title_id, timestamptz '2024-03-01 00:00+00' + (event_id % 500) * interval '1 minute',
       3600, 100, 'play' FROM gen_events;
SELECT count(*) AS unchanged_rows FROM (
  SELECT * FROM nfrec.churn_features('2024-03-01', events => 'gen_events', subscriptions => 'gen_subs')
  INTERSECT
  SELECT * FROM nfrec.churn_features('2024-03-01', events => 'gen_events_future', subscriptions => 'gen_subs')
) x;
SELECT count(*) AS all_rows
FROM nfrec.churn_features('2024-03-01', events => 'gen_events', subscriptions => 'gen_subs');

-- no subscriber active -> no rows (not an error); empty date list -> no rows
SELECT count(*) FROM nfrec.churn_features('2020-01-01');
SELECT count(*) FROM nfrec.churn_features_at('{}');

-- table resolution: the canonical names are looked up through the caller's
-- search_path at call time (not when the extension was created)
CREATE SCHEMA an2;
CREATE TABLE an2.subscriptions (LIKE an.subscriptions);
INSERT INTO an2.subscriptions VALUES (42, '2024-01-01', NULL, 'basic', 6.99, 'JP');
SET search_path = an2, an, public;
SELECT user_id, country FROM nfrec.churn_features('2024-03-01');
CREATE TEMP TABLE subscriptions (LIKE an.subscriptions);  -- pg_temp comes first
INSERT INTO subscriptions VALUES (43, '2024-01-01', NULL, 'basic', 6.99, 'NZ');
SELECT user_id, country FROM nfrec.churn_features('2024-03-01');
DROP TABLE pg_temp.subscriptions;
SET search_path = public;
\set VERBOSITY sqlstate
SELECT * FROM nfrec.churn_features('2024-03-01');   -- no viewing_events on the path
\set VERBOSITY default
SET search_path = an, public;

-- the caller's privileges and row-level security apply
CREATE ROLE regress_nfrec_analyst;
GRANT USAGE ON SCHEMA nfrec TO regress_nfrec_analyst;
GRANT USAGE ON SCHEMA an TO regress_nfrec_analyst;
GRANT SELECT ON subscriptions, viewing_events TO regress_nfrec_analyst;
ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY us_only ON subscriptions TO regress_nfrec_analyst USING (country = 'US');
SET ROLE regress_nfrec_analyst;
SELECT user_id, country FROM nfrec.churn_features('2024-03-01') ORDER BY user_id;
RESET ROLE;
REVOKE SELECT ON viewing_events FROM regress_nfrec_analyst;
SET ROLE regress_nfrec_analyst;
\set VERBOSITY sqlstate
SELECT count(*) FROM nfrec.churn_features('2024-03-01');
\set VERBOSITY default
RESET ROLE;
ALTER TABLE subscriptions DISABLE ROW LEVEL SECURITY;

-- bad input
\set VERBOSITY sqlstate
SELECT * FROM nfrec.churn_features(NULL);
SELECT * FROM nfrec.churn_features_at('{2024-03-01,NULL}');
SELECT * FROM nfrec.churn_features_at(NULL);
SELECT * FROM nfrec.churn_features('2024-03-01', window_days => 0);
SELECT * FROM nfrec.churn_features('2024-03-01', window_days => -14);
SELECT * FROM nfrec.churn_features('2024-03-01', window_days => NULL);
SELECT * FROM nfrec.churn_features('2024-03-01', session_gap => '0 seconds');
SELECT * FROM nfrec.churn_features('2024-03-01', abandon_pct => 101);
SELECT * FROM nfrec.churn_features('2024-03-01', abandon_pct => 'NaN');
SELECT * FROM nfrec.churn_features('infinity');
SELECT * FROM nfrec.churn_features('2024-03-01', events => NULL);
SELECT * FROM nfrec.churn_features('2024-03-01', events => 'no_such_table');
CREATE TABLE thin_events(user_id bigint, started_at timestamptz, event_type text, watch_seconds int);
SELECT * FROM nfrec.churn_features('2024-03-01', events => 'thin_events');
\set VERBOSITY default
SELECT * FROM nfrec.churn_features('2024-03-01', events => 'thin_events');
SELECT * FROM nfrec.churn_features('2024-03-01', window_days => 0);


-- _churn_windows (C), the per-subscriber step, by hand: days Jan 1, Jan 5,
-- Jan 10 with totals (1,1,100,...), (1,2,200,...), (1,3,300,...); w = 5.
-- as_of Jan 6: recent [Jan 1, Jan 6) = Jan 1 + Jan 5, prior [Dec 27, Jan 1)
-- empty; as_of Jan 11: recent [Jan 6, Jan 11) = Jan 10, prior = Jan 1 + Jan 5.
-- Last play before Jan 6: Jan 5 20:00 (Jan 1 has none); an older play
-- (2023-12-01) only counts when nothing later came.
SELECT as_of, active_recent, active_prior, plays_recent, plays_prior, secs_recent, secs_prior,
       browse_recent, browse_prior, last_play
FROM nfrec._churn_windows('{2024-01-01,2024-01-05,2024-01-10}',
                          '{{1,1,100,10,1,0,1,0},{1,2,200,20,2,1,2,1},{1,3,300,30,3,2,3,2}}',
                          '{NULL,"2024-01-05 20:00+00","2024-01-10 08:00+00"}', '2023-12-01 00:00+00',
                          '{2023-12-31,2024-01-06,2024-01-11}', 5, '2023-01-01', NULL);
-- active dates only: signup on Jan 6 (active from Jan 6), cancel on Jan 11 (not active then)
SELECT as_of FROM nfrec._churn_windows(NULL, NULL, NULL, NULL, '{2023-12-31,2024-01-06,2024-01-11}', 5,
                                       '2024-01-06', '2024-01-11');
SELECT count(*) FROM nfrec._churn_windows(NULL, NULL, NULL, NULL, '{2024-01-06}', 5, NULL, NULL);
\set VERBOSITY sqlstate
SELECT * FROM nfrec._churn_windows('{2024-01-05,2024-01-01}', '{{1,1,1,1,1,1,1,1},{1,1,1,1,1,1,1,1}}', '{NULL,NULL}', NULL, '{2024-01-06}', 5, '2023-01-01', NULL);
SELECT * FROM nfrec._churn_windows('{2024-01-01}', '{1,1,1,1,1,1,1,1}', '{NULL}', NULL, '{2024-01-06}', 5, '2023-01-01', NULL);
SELECT * FROM nfrec._churn_windows('{2024-01-01}', '{{1,1,1,1,1,1,1}}', '{NULL}', NULL, '{2024-01-06}', 5, '2023-01-01', NULL);
SELECT * FROM nfrec._churn_windows('{2024-01-01}', '{{1,1,1,NULL,1,1,1,1}}', '{NULL}', NULL, '{2024-01-06}', 5, '2023-01-01', NULL);
SELECT * FROM nfrec._churn_windows('{2024-01-01}', '{{1,1,1,NaN,1,1,1,1}}', '{NULL}', NULL, '{2024-01-06}', 5, '2023-01-01', NULL);
SELECT * FROM nfrec._churn_windows('{2024-01-01}', '{{1,1,1,1,1,1,1,1}}', '{NULL,NULL}', NULL, '{2024-01-06}', 5, '2023-01-01', NULL);
SELECT * FROM nfrec._churn_windows('{2024-01-01}', NULL, NULL, NULL, '{2024-01-06}', 5, '2023-01-01', NULL);
SELECT * FROM nfrec._churn_windows(NULL, NULL, NULL, NULL, NULL, 5, '2023-01-01', NULL);
SELECT * FROM nfrec._churn_windows(NULL, NULL, NULL, NULL, '{2024-01-06,2024-01-06}', 5, '2023-01-01', NULL);
SELECT * FROM nfrec._churn_windows(NULL, NULL, NULL, NULL, '{2024-01-06,infinity}', 5, '2023-01-01', NULL);
SELECT * FROM nfrec._churn_windows(NULL, NULL, NULL, NULL, '{2024-01-06}', 0, '2023-01-01', NULL);
SELECT * FROM nfrec._churn_windows(NULL, NULL, NULL, NULL, '{{2024-01-06}}', 5, '2023-01-01', NULL);
SELECT * FROM nfrec.churn_features('2024-03-01', window_days => 3661);
\set VERBOSITY default

RESET search_path;
DROP SCHEMA an, an2 CASCADE;
REVOKE USAGE ON SCHEMA nfrec FROM regress_nfrec_analyst;
DROP ROLE regress_nfrec_analyst;
