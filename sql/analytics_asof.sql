-- Dates after the end of the data: churn_features, churn_features_at,
-- churn_model, churn_risk, content_roi and trending say so (22023, naming
-- the last event's date) instead of returning inactive subscribers, no
-- trending titles or "choose a later as_of"; trending's default as_of is
-- the end of the data (midnight after the last event's day).
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE SCHEMA asof;
SET search_path = asof, public;
CREATE TABLE content_metadata(title_id bigint PRIMARY KEY, title text, content_type text,
                              episodes int, launch_date date, production_cost numeric);
CREATE TABLE viewing_events(user_id bigint, title_id bigint, started_at timestamptz,
                            watch_seconds int, watch_pct real, event_type text);
CREATE TABLE subscriptions(user_id bigint PRIMARY KEY, signup_date date, cancel_date date,
                           plan text, monthly_price numeric, country text);
INSERT INTO content_metadata VALUES
 (1, 'One', 'movie', NULL, '2024-01-01', 100), (2, 'Two', 'movie', NULL, '2024-02-01', 100),
 (3, 'Three', 'movie', NULL, '2024-02-20', 100);
INSERT INTO subscriptions
SELECT u, '2024-01-01', NULL, 'basic', 10, 'NO' FROM generate_series(1, 6) u;
-- plays every day from 2024-01-01 to 2024-03-10 (the last at 2024-03-10 20:00)
INSERT INTO viewing_events
SELECT 1 + (d % 6), 1 + (d % 3), timestamptz '2024-01-01 20:00' + d * interval '1 day', 3600, 80, 'play'
  FROM generate_series(0, 69) d;
SELECT max(started_at) AS last_event FROM viewing_events;

-- the day after the last event is the latest as_of: it works
SELECT count(*) AS active FROM nfrec.churn_features('2024-03-11');
SELECT count(*) AS rows FROM nfrec.churn_features_at(ARRAY['2024-02-01', '2024-03-11']::date[]);

-- trending: the default as_of is 2024-03-11 00:00, the same list as
-- passing it; checked against the decay formula in plain SQL
SELECT rank, title_id, round(score::numeric, 9) AS score, plays, last_played FROM nfrec.trending(n => 5);
SELECT (SELECT array_agg(t ORDER BY t.rank) FROM nfrec.trending(n => 5) t)
     = (SELECT array_agg(t ORDER BY t.rank) FROM nfrec.trending('2024-03-11', n => 5) t) AS same_as_explicit;
SELECT title_id, round(sum(power(2::float8, -extract(epoch FROM timestamptz '2024-03-11' - started_at) / (7 * 86400)))::numeric, 9) AS by_hand
  FROM viewing_events WHERE started_at >= timestamptz '2024-03-11' - interval '70 days'
 GROUP BY title_id ORDER BY by_hand DESC;
-- any time on the day after the last event is within the data
SELECT count(*) AS rows FROM nfrec.trending('2024-03-11 23:59', n => 5);
-- ... and on a relation with no events, no rows and no error
CREATE TABLE no_events (LIKE viewing_events);
SELECT count(*) AS rows FROM nfrec.trending(events => 'no_events');

\set VERBOSITY sqlstate
SELECT count(*) FROM nfrec.churn_features('2024-03-12');
SELECT count(*) FROM nfrec.churn_features_at(ARRAY['2024-02-01', '2024-04-01']::date[]);
SELECT nfrec.churn_model('2024-06-01') IS NULL;
SELECT count(*) FROM nfrec.churn_risk(current_date);
SELECT count(*) FROM nfrec.content_roi(as_of => '2024-12-31');
SELECT count(*) FROM nfrec.trending(now());
SELECT count(*) FROM nfrec.trending('2024-03-12 00:00:01');
-- the explicit as_of is checked even when the rest would be valid
SELECT count(*) FROM nfrec.trending('2024-03-12', lookback => '1000 days');
\set VERBOSITY default
SELECT count(*) FROM nfrec.churn_features('2024-03-12');
SELECT count(*) FROM nfrec.churn_risk('2025-01-01');
SELECT count(*) FROM nfrec.trending('2024-06-01');

RESET search_path;
DROP SCHEMA asof CASCADE;
