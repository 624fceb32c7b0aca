-- content_roi over hand-made tables.  Every expected number is worked out
-- by hand below (the risk model is given, so risk deciles are known).
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE SCHEMA roi;
SET search_path = roi, public;
CREATE TABLE content_metadata(title_id bigint PRIMARY KEY, title text, content_type text,
                              genres text[], description text, release_year int,
                              primary_language text, maturity_rating text, runtime_minutes int,
                              episodes int, launch_date date, production_cost numeric);
CREATE TABLE viewing_events(event_id bigserial, user_id bigint, title_id bigint,
                            started_at timestamptz, watch_seconds int, watch_pct real,
                            device text, country text, event_type text);
CREATE TABLE subscriptions(user_id bigint PRIMARY KEY, signup_date date, cancel_date date,
                           plan text, monthly_price numeric, country text);
INSERT INTO content_metadata(title_id, title, content_type, episodes, launch_date, production_cost) VALUES
 (100, 'Movie A',  'movie',  NULL, '2024-03-01', 1000),
 (200, 'Series B', 'series', 3,    '2024-03-01', NULL),
 (300, 'Old C',    'movie',  NULL, '2023-01-01', 500),
 (400, 'Late D',   'movie',  NULL, '2024-05-20', 0),
 (999, 'Catalog',  'movie',  NULL, NULL,         NULL);

-- Users 1..20 subscribed since 2024-01-01, each with one play of the
-- catalog title u days before the launch (2024-03-01): the given risk model
-- scores sigmoid(days_since_last_play / 100), so risk rises with u.
-- User 24 signed up 2024-02-26 and has not played by the launch (days since
-- last play = tenure = 4).  ntile(10) over the 21 users active at launch,
-- by risk: {1,2,3} {4,24} {5,6} ... {15,16} {17,18} {19,20}: the top three
-- deciles (8, 9, 10) are users 15..20.
INSERT INTO subscriptions
SELECT u, '2024-01-01', NULL, 'standard', 10, 'US' FROM generate_series(1, 20) u;
UPDATE subscriptions SET monthly_price = 20 WHERE user_id = 16;
UPDATE subscriptions SET cancel_date = '2024-04-15' WHERE user_id = 16;  -- after the window
UPDATE subscriptions SET cancel_date = '2024-04-10' WHERE user_id = 18;  -- after the window
UPDATE subscriptions SET cancel_date = '2024-05-28' WHERE user_id = 17;  -- last day of the follow-up
UPDATE subscriptions SET cancel_date = '2024-05-29' WHERE user_id = 19;  -- the day after it
UPDATE subscriptions SET cancel_date = '2024-03-20' WHERE user_id = 20;  -- inside the window
INSERT INTO subscriptions VALUES
 (21, '2024-03-05', '2024-04-04', 'standard', 15, 'US'),
 (22, '2024-03-10', NULL,         'basic',     5, 'US'),
 (23, '2024-03-10', NULL,         'basic',     5, 'US'),
 (24, '2024-02-26', NULL,         'basic',     5, 'US');
INSERT INTO viewing_events(user_id, title_id, started_at, watch_seconds, watch_pct, event_type)
SELECT u, 999, timestamptz '2024-03-01 12:00' - u * interval '1 day', 3600, 100, 'play'
FROM generate_series(1, 20) u;
INSERT INTO viewing_events(user_id, title_id, started_at, watch_seconds, watch_pct, event_type) VALUES
 -- Movie A, window [2024-03-01, 2024-03-29)
 (15, 100, '2024-03-02 20:00', 6000, 100, 'play'),
 (16, 100, '2024-03-03 20:00', 6000, 90, 'play'),
 (17, 100, '2024-03-04 20:00', 6000, 75, 'play'),
 (17, 100, '2024-03-05 20:00', 6000, 95, 'play'),                -- same watcher twice
 (1,  100, '2024-03-01 00:00', 6000, 100, 'play'),               -- first instant of the window
 (2,  100, '2024-03-28 23:59:59.999999', 6000, 100, 'play'),     -- last instant
 (18, 100, '2024-03-29 00:00', 6000, 100, 'play'),               -- window over
 (22, 100, '2024-02-29 23:59:59', 6000, 100, 'play'),            -- before launch (and signup)
 (3,  100, '2024-03-10 20:00', 6000, 69.9, 'play'),              -- started, not completed
 (4,  100, '2024-03-10 20:00', 6000, 70, 'play'),                -- exactly 70: completed
 (21, 100, '2024-03-06 20:00', 6000, 90, 'play'),                -- new subscriber's first play
 (24, 100, '2024-03-03 20:00', 6000, 50, 'play'),                -- new subscriber's first play
 (23, 999, '2024-03-11 20:00', 6000, 90, 'play'),                -- first play elsewhere ...
 (23, 100, '2024-03-12 20:00', 6000, 90, 'play'),                -- ... so not attributed
 (9,  100, '2024-03-12 20:00', NULL, NULL, 'impression'),        -- not a start
 -- Series B (3 episodes), same window
 (5, 200, '2024-03-02 10:00', 2400, 95, 'play'),
 (5, 200, '2024-03-02 11:00', 2400, 95, 'play'),
 (5, 200, '2024-03-03 22:00', 2400, 95, 'play'),                 -- 3rd episode: 36 h after the first
 (6, 200, '2024-03-04 00:00', 2400, 30, 'play'),                 -- first play, not completed
 (6, 200, '2024-03-04 01:00', 2400, 90, 'play'),
 (6, 200, '2024-03-04 02:00', 2400, 90, 'play'),
 (6, 200, '2024-03-04 03:00', 2400, 90, 'play'),                 -- 3 h
 (7, 200, '2024-03-06 10:00', 2400, 90, 'play'),
 (7, 200, '2024-03-06 11:00', 2400, 90, 'play'),                 -- only 2 episodes
 (8, 200, '2024-03-10 00:00', 2400, 90, 'play'),
 (8, 200, '2024-03-20 00:00', 2400, 90, 'play'),
 (8, 200, '2024-03-29 00:00', 2400, 90, 'play'),                 -- 3rd after the window
 (9, 200, '2024-03-05 00:00', 2400, 90, 'play'),
 (9, 200, '2024-03-05 06:00', 2400, 90, 'play'),
 (9, 200, '2024-03-05 12:00', 2400, 90, 'play'),                 -- 12 h
 (9, 200, '2024-03-05 18:00', 2400, 90, 'play'),
 (22, 200, '2024-03-17 00:00', 2400, 90, 'play'),                -- signup + 7 days: too late
 -- Late D and the end of the data (as_of defaults to the day after: 2024-07-01)
 (1, 400, '2024-05-21 20:00', 6000, 100, 'play'),
 (1, 999, '2024-06-30 20:00', 6000, 100, 'play');

-- risk = sigmoid(days_since_last_play / 100)
\set model '{"feature_index": [1], "mean": [0], "sd": [100], "logreg": {"coef": [0, 1]}}'

SELECT title_id, title, launch_date, starters, watchers, round(completion_rate::numeric, 4) AS completion,
       series_completers, binge_hours, signups_attributed, observed
FROM nfrec.content_roi(risk_model => :'model');
SELECT title_id, at_risk_watchers AS arw, at_risk_watchers_retained AS arw_kept,
       round(watcher_retention::numeric, 4) AS w_ret, at_risk_nonwatchers AS arn,
       round(nonwatcher_retention::numeric, 4) AS nw_ret, round(retention_lift::numeric, 4) AS lift,
       round(retention_months::numeric, 4) AS ret_months, round(acquisition_months::numeric, 4) AS acq_months,
       round(incremental_months::numeric, 4) AS months, value, round(roi::numeric, 6) AS roi
FROM nfrec.content_roi(risk_model => :'model');

-- Hand-worked, Movie A (launch 2024-03-01, window [Mar 1, Mar 29), landmark
-- Mar 29 = launch + 28, follow-up 60 days from the landmark to May 28):
--  starters 1,2,3,4,15,16,17,21,23,24 = 10; watchers 1,2,4,15,16,17,21,23 = 8
--  at risk (deciles 8..10) and subscribed at the landmark: 15,16 (d8),
--  17,18 (d9), 19 (d10); user 20 cancelled inside the window: left out.
--  watchers 15 (kept, 60 days), 16 (cancelled Apr 15: 17 days after the
--    landmark), 17 (cancelled May 28: not subscribed at the end, 60 days)
--    -> 3 watchers, 1 kept, retention 1/3
--  non-watchers 18 (d9, cancelled Apr 10: 12 days), 19 (d10, cancelled
--    May 29: still subscribed at the end, 60 days)
--    decile 8 has no non-watcher -> pooled: rate 1/2, (12 + 60) / 2 = 36 days
--    decile 9: rate 0/1, 12 days
--    -> non-watcher retention (2 * 1/2 + 1 * 0) / 3 = 1/3; lift 0
--  retention days (60 + 17 - 2 * 36) + (60 - 12) = 53 -> 53/30 months;
--    value (10*60 + 20*17 - (10 + 20) * 36) + (10*60 - 10*12) = 340 -> 340/30
--  signups: 21 (first play Mar 6, 1 day after signup; cancelled after 30
--    days: 1 month, 15/month) and 24 (first play Mar 3, 6 days after signup
--    Feb 26; 60 days: 2 months, 5/month) -> 3 months, value 25
--    (22: first play 7 days after signup, too late; 23: first play elsewhere)
--  incremental months 53/30 + 3; value 340/30 + 25 = 36.33; roi 36.33 / 1000
-- Series B: starters/watchers 5..9 (and 22) = 6; completers 5 (36 h), 6 (3 h),
--   9 (12 h) -> median 12 h; nobody at risk; no cost -> roi NULL.
-- Old C: launched before the first event -> not listed by default.
-- Late D: launch + 28 + 60 > as_of -> not observed: retention columns NULL.
SELECT round((53.0 / 30)::numeric, 4) AS ret_months, round((53.0 / 30 + 3)::numeric, 4) AS months,
       round(340.0 / 30 + 25, 2) AS value, round(round(340.0 / 30 + 25, 2) / 1000, 6) AS roi;

-- The knobs.  completion_pct 69.9: user 3 (69.9%) completes Movie A too.
SELECT title_id, starters, watchers FROM nfrec.content_roi(completion_pct => 69.9, risk_model => :'model')
WHERE title_id = 100;
-- window_days 29: the window is [Mar 1, Mar 30): user 18 (Mar 29 00:00)
-- watches Movie A and user 8 completes Series B at Mar 29 00:00, 456 h after
-- the first episode (median of 3, 12, 36, 456 h = 24 h).  The landmark
-- moves to Mar 30, the end of the follow-up to May 29.  At-risk watchers 15
-- (d8, kept, 60 days), 16 (d8, cancelled Apr 15: 16 days), 17 (d9, May 28:
-- 59 days), 18 (d9, cancelled Apr 10: 11 days): 4, 1 kept.  Only
-- non-watcher: 19 (d10, cancelled May 29, the last day: not kept, 60 days),
-- pooled for deciles 8 and 9 -> non-watcher retention 0, lift 1/4 - 0;
-- retention days (76 - 2*60) + (70 - 2*60) = -94 -> -94/30 months; value
-- (10*60 + 20*16 - 30*60) + (10*59 + 10*11 - 20*60) = -1380 -> -1380/30;
-- plus the same two signups (3 months, 25): months 3 - 94/30, value
-- 25 - 1380/30 = -21.
SELECT title_id, watchers, series_completers, binge_hours, at_risk_watchers AS arw,
       at_risk_watchers_retained AS arw_kept, at_risk_nonwatchers AS arn,
       round(nonwatcher_retention::numeric, 4) AS nw_ret, round(retention_lift::numeric, 4) AS lift,
       round(retention_months::numeric, 4) AS ret_months, round(incremental_months::numeric, 4) AS months,
       value, round(roi::numeric, 6) AS roi
FROM nfrec.content_roi(window_days => 29, risk_model => :'model') WHERE title_id IN (100, 200);
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY h) AS median_hours,
       round((-94.0 / 30)::numeric, 4) AS ret_months, round((3 - 94.0 / 30)::numeric, 4) AS months,
       round(25 - 1380.0 / 30, 2) AS value, round(round(25 - 1380.0 / 30, 2) / 1000, 6) AS roi
FROM (VALUES (3), (12), (36), (456)) v(h);
-- attribution_days 8: user 22's first play, 7 days after signup, now counts
-- for Series B: 60 days at 5/month -> 2 months, value 10; no cost -> no roi
SELECT title_id, signups_attributed, acquisition_months, value, roi
FROM nfrec.content_roi(attribution_days => 8, risk_model => :'model') WHERE title_id = 200;
-- at_risk_deciles 1: only decile 10 (users 19, 20); 20 left before the
-- landmark, 19 did not watch -> no at-risk watcher, 1 non-watcher
SELECT title_id, at_risk_watchers, at_risk_nonwatchers, retention_months, acquisition_months
FROM nfrec.content_roi(at_risk_deciles => 1, risk_model => :'model') WHERE title_id = 100;
-- launched_from: Old C comes in; nobody was subscribed at its launch
SELECT title_id, starters, watchers, completion_rate, at_risk_watchers, at_risk_nonwatchers,
       incremental_months, value, roi, observed
FROM nfrec.content_roi(launched_from => '2023-01-01', risk_model => :'model') WHERE title_id = 300;
-- as_of 2024-05-01: nothing is observed for 60 days after its window yet;
-- Late D (launched after as_of) and later events are left out
SELECT title_id, watchers, signups_attributed, at_risk_watchers, value, observed
FROM nfrec.content_roi(as_of => '2024-05-01', risk_model => :'model');
-- launched_until: only the launches up to that date
SELECT title_id FROM nfrec.content_roi(launched_until => '2024-03-01', risk_model => :'model');
-- no title launched in the range -> no rows
SELECT count(*) FROM nfrec.content_roi(launched_from => '2030-01-01', risk_model => :'model');

-- watchers, starters and attributed signups against plain SQL over 3000
-- generated events, 30 titles with staggered launches
CREATE TABLE g_titles AS
SELECT t AS title_id, 'T' || t AS title, CASE WHEN t % 3 = 0 THEN 'series' ELSE 'movie' END AS content_type,
       CASE WHEN t % 3 = 0 THEN 2 + t % 4 END AS episodes,
       date '2024-01-05' + t * 3 AS launch_date, (t * 1000)::numeric AS production_cost
FROM generate_series(1, 30) t;
CREATE TABLE g_subs AS
SELECT u AS user_id, date '2024-01-01' + (u * 7 % 120) AS signup_date,
       CASE WHEN u % 3 = 0 THEN date '2024-03-01' + (u * 11 % 90) END AS cancel_date,
       'standard' AS plan, 10::numeric AS monthly_price, 'US' AS country
FROM generate_series(1, 60) u;
CREATE TABLE g_events AS
SELECT i AS event_id, 1 + (i * 13 + i / 60) % 60 AS user_id, 1 + (i * 7 + i / 11) % 30 AS title_id,
       timestamptz '2024-01-01' + ((i::bigint * 104729) % (150 * 86400)) * interval '1 second' AS started_at,
       CASE WHEN i % 6 <> 0 THEN 1800 END AS watch_seconds,
       CASE WHEN i % 6 <> 0 THEN (i * 37 % 101)::real END AS watch_pct,
       CASE WHEN i % 6 = 0 THEN 'impression' ELSE 'play' END AS event_type
FROM generate_series(1, 3000) i;
WITH ref AS (
  SELECT t.title_id,
    (SELECT count(DISTINCT e.user_id) FROM g_events e WHERE e.title_id = t.title_id
       AND e.watch_pct >= 70 AND e.started_at >= t.launch_date AND e.started_at < t.launch_date + 28) AS watchers,
    (SELECT count(DISTINCT e.user_id) FROM g_events e WHERE e.title_id = t.title_id
       AND (e.event_type = 'play' OR e.watch_pct IS NOT NULL)
       AND e.started_at >= t.launch_date AND e.started_at < t.launch_date + 28) AS starters,
    (SELECT count(*) FROM g_subs s WHERE EXISTS (
       SELECT 1 FROM g_events e WHERE e.user_id = s.user_id AND e.title_id = t.title_id
         AND e.event_type = 'play' AND e.started_at >= t.launch_date AND e.started_at < t.launch_date + 28
         AND e.started_at >= s.signup_date AND e.started_at < s.signup_date + 7
         AND NOT EXISTS (SELECT 1 FROM g_events e2 WHERE e2.user_id = s.user_id AND e2.event_type = 'play'
                           AND e2.started_at >= s.signup_date
                           AND (e2.started_at < e.started_at
                                OR (e2.started_at = e.started_at AND e2.title_id < e.title_id))))) AS signups
  FROM g_titles t WHERE t.launch_date >= '2024-01-01'
), f AS (
  SELECT * FROM nfrec.content_roi(risk_model => :'model', titles => 'g_titles', events => 'g_events',
                                  subscriptions => 'g_subs')
)
SELECT count(*) AS titles, sum(ref.watchers) AS watchers, sum(ref.signups) AS signups,
       count(*) FILTER (WHERE f.watchers IS DISTINCT FROM ref.watchers
                           OR f.starters IS DISTINCT FROM ref.starters
                           OR f.signups_attributed IS DISTINCT FROM ref.signups) AS different
FROM ref FULL JOIN f USING (title_id);

-- bad input
\set VERBOSITY sqlstate
SELECT * FROM nfrec.content_roi(window_days => 0);
SELECT * FROM nfrec.content_roi(window_days => -28);
SELECT * FROM nfrec.content_roi(window_days => NULL);
SELECT * FROM nfrec.content_roi(completion_pct => 100.5);
SELECT * FROM nfrec.content_roi(completion_pct => -1);
SELECT * FROM nfrec.content_roi(completion_pct => 'NaN');
SELECT * FROM nfrec.content_roi(retention_days => 0);
SELECT * FROM nfrec.content_roi(retention_days => 100000);
SELECT * FROM nfrec.content_roi(attribution_days => NULL);
SELECT * FROM nfrec.content_roi(attribution_days => 0);
SELECT * FROM nfrec.content_roi(at_risk_deciles => 0);
SELECT * FROM nfrec.content_roi(at_risk_deciles => 11);
SELECT * FROM nfrec.content_roi(as_of => 'infinity');
SELECT * FROM nfrec.content_roi(risk_model => '{"feature_index": [1]}');
SELECT * FROM nfrec.content_roi(risk_model => '{"feature_index": [11], "mean": [0], "sd": [1], "logreg": {}}');
SELECT * FROM nfrec.content_roi(risk_model => '{"feature_index": [1], "mean": [0], "sd": [0], "logreg": {}}');
SELECT * FROM nfrec.content_roi(titles => 'subscriptions');
CREATE TABLE no_events (LIKE viewing_events);
SELECT * FROM nfrec.content_roi(events => 'no_events');
\set VERBOSITY default
SELECT * FROM nfrec.content_roi(completion_pct => 100.5);
SELECT * FROM nfrec.content_roi(events => 'no_events');
SELECT * FROM nfrec.content_roi(risk_model => '{"feature_index": [1]}');

RESET search_path;
DROP SCHEMA roi CASCADE;
