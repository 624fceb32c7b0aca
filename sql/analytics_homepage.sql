-- Homepage metrics: watched_catalog_size (effective catalog size of what
-- was played) and trending (time-decayed plays), checked by hand and
-- against plain SQL.
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE SCHEMA hp;
SET search_path = hp, public;
CREATE TABLE content_metadata(title_id bigint PRIMARY KEY, title text);
INSERT INTO content_metadata VALUES (1, 'Alpha'), (2, 'Beta'), (3, 'Gamma'), (4, 'Delta'), (5, 'Epsilon');
CREATE TABLE viewing_events(event_id bigserial, user_id bigint, title_id bigint,
                            started_at timestamptz, watch_seconds int, watch_pct real,
                            event_type text);

-- ECS = 2 * sum_i p_i * i - 1, titles ranked by share, most played first.
-- Plays in [2024-03-01, 2024-03-08): title 1 x5, title 2 x3, title 3 x2
-- -> p = (.5, .3, .2) -> 2 * (.5 + .6 + .6) - 1 = 2.4.
INSERT INTO viewing_events(user_id, title_id, started_at, watch_seconds, event_type)
SELECT 1, t, timestamptz '2024-03-01 00:00' + k * interval '1 hour', secs, 'play'
FROM (VALUES (1, 5, 600), (2, 3, 3600), (3, 2, 7200)) v(t, cnt, secs), generate_series(1, cnt) k;
INSERT INTO viewing_events(user_id, title_id, started_at, watch_seconds, event_type) VALUES
 (1, 4, '2024-02-29 23:59:59.999999', 100, 'play'),   -- before the period
 (1, 4, '2024-03-08 00:00:00', 100, 'play'),          -- at its end: excluded
 (1, 5, '2024-03-02 00:00:00', NULL, 'impression'),   -- not a play
 (1, 5, '2024-03-02 00:00:00', NULL, 'search');
SELECT round(nfrec.watched_catalog_size('2024-03-01', '2024-03-08')::numeric, 12) AS ecs_plays,
       2 * (0.5 * 1 + 0.3 * 2 + 0.2 * 3) - 1 AS by_hand;
-- by hours: 1 -> 5 * 600 s, 2 -> 3 * 3600 s, 3 -> 2 * 7200 s; total 28200 s
-- ranked 3 (14400), 2 (10800), 1 (3000)
SELECT round(nfrec.watched_catalog_size('2024-03-01', '2024-03-08', weight => 'hours')::numeric, 12) AS ecs_hours,
       round((2 * (14400 * 1 + 10800 * 2 + 3000 * 3) / 28200.0 - 1)::numeric, 12) AS by_hand;
-- one title -> 1 (04:00 and 05:00 are title 1's only); n titles played
-- equally -> n (01:00 has one play of each of titles 1, 2, 3)
SELECT nfrec.watched_catalog_size('2024-03-01 03:30', '2024-03-01 05:30') AS one_title,
       nfrec.watched_catalog_size('2024-03-01 00:00', '2024-03-01 01:30') AS three_equal;
INSERT INTO viewing_events(user_id, title_id, started_at, watch_seconds, event_type)
SELECT 2, t, timestamptz '2024-04-01 12:00', 60, 'play' FROM generate_series(1, 5) t, generate_series(1, 3);
SELECT nfrec.watched_catalog_size('2024-04-01', '2024-04-02') AS five_equal;
-- nothing played -> NULL (undefined)
SELECT nfrec.watched_catalog_size('2025-01-01', '2025-02-01') IS NULL AS empty_is_null;

-- Trending at 2024-06-01 00:00 with a 7-day half-life: a play of age a
-- counts 2^(-a / 7 days).
CREATE TABLE tr_events (LIKE viewing_events INCLUDING DEFAULTS);
INSERT INTO tr_events(user_id, title_id, started_at, event_type) VALUES
 (1, 1, '2024-05-25 00:00', 'play'),        -- 7 days:  0.5
 (2, 1, '2024-05-18 00:00', 'play'),        -- 14 days: 0.25
 (1, 2, '2024-05-31 00:00', 'play'),        -- 1 day:   2^(-1/7)
 (1, 3, '2024-05-11 00:00', 'play'),        -- 21 days: 0.125 each
 (2, 3, '2024-05-11 00:00', 'play'),
 (3, 3, '2024-05-11 00:00', 'play'),
 (1, 3, '2024-03-22 00:00', 'play'),        -- 71 days: beyond the default lookback (70 days)
 (1, 4, '2024-06-01 00:00', 'play'),        -- at as_of: not yet
 (1, 4, '2024-05-31 12:00', 'impression'),  -- not a play
 (1, 5, '2024-05-25 00:00', 'play'),        -- title 5 ties title 1 on 0.75
 (2, 5, '2024-05-18 00:00', 'play'),
 (9, 99, '2024-05-30 00:00', 'play');       -- not in content_metadata: title NULL
SELECT rank, title_id, title, round(score::numeric, 12) AS score, plays, last_played
FROM nfrec.trending('2024-06-01', events => 'tr_events');
SELECT round(power(2, -1.0 / 7)::numeric, 12) AS title2_by_hand,
       round(power(2, -2.0 / 7)::numeric, 12) AS title99_by_hand;
SELECT rank, title_id, round(score::numeric, 12) AS score
FROM nfrec.trending('2024-06-01', n => 2, events => 'tr_events');
-- a longer lookback reaches the 71-day-old play: 0.375 + 2^(-71/7)
SELECT round(score::numeric, 12) AS score, round((0.375 + power(2, -71.0 / 7))::numeric, 12) AS by_hand
FROM nfrec.trending('2024-06-01', lookback => '100 days', events => 'tr_events')
WHERE title_id = 3;
-- a 1-day half-life (lookback 10 days): 1 day old -> 0.5, 2 days -> 0.25,
-- title 1 only its 7-day-old play -> 2^-7; title 5 ties it, lower id first
SELECT title_id, round(score::numeric, 12) AS score
FROM nfrec.trending('2024-06-01 00:00', half_life => '1 day', n => 3, events => 'tr_events');
SELECT round(power(2, -7.0)::numeric, 12) AS seven_days_old;
-- nothing before as_of -> no rows
SELECT count(*) FROM nfrec.trending('2000-01-01', events => 'tr_events');

-- Against plain SQL over 2000 generated plays
CREATE TABLE gen_events AS
SELECT i AS event_id, 1 + i % 50 AS user_id, 1 + (i * i) % 37 % (1 + i % 11) AS title_id,
       timestamptz '2024-01-01' + ((i::bigint * 7919) % (60 * 86400)) * interval '1 second' AS started_at,
       (i * 31) % 5000 AS watch_seconds,
       CASE WHEN i % 7 = 0 THEN 'impression' ELSE 'play' END AS event_type
FROM generate_series(1, 2000) i;
WITH w AS (
  SELECT title_id, count(*)::float8 AS plays, sum(watch_seconds)::float8 AS secs
  FROM gen_events WHERE event_type = 'play'
    AND started_at >= '2024-01-10' AND started_at < '2024-02-20' GROUP BY title_id
), r AS (   -- rank = 1 + titles with more plays (ties do not change the sum)
  SELECT a.title_id, a.plays, a.secs,
         1 + (SELECT count(*) FROM w b WHERE b.plays > a.plays
                 OR (b.plays = a.plays AND b.title_id < a.title_id)) AS rank_plays,
         1 + (SELECT count(*) FROM w b WHERE b.secs > a.secs
                 OR (b.secs = a.secs AND b.title_id < a.title_id)) AS rank_secs
  FROM w a
)
SELECT count(*) AS titles,
       abs(nfrec.watched_catalog_size('2024-01-10', '2024-02-20', events => 'gen_events')
           - (2 * sum(plays * rank_plays) / sum(plays) - 1)) < 1e-9 AS plays_match,
       abs(nfrec.watched_catalog_size('2024-01-10', '2024-02-20', 'hours', 'gen_events')
           - (2 * sum(secs * rank_secs) / sum(secs) - 1)) < 1e-9 AS hours_match
FROM r;
WITH ref AS (
  SELECT title_id, sum(exp(ln(0.5) * extract(epoch FROM timestamptz '2024-02-15 06:00' - started_at)
                                    / extract(epoch FROM interval '3 days'))) AS score
  FROM gen_events WHERE event_type = 'play'
    AND started_at < '2024-02-15 06:00' AND started_at >= timestamptz '2024-02-15 06:00' - interval '30 days'
  GROUP BY title_id
), t AS (
  SELECT * FROM nfrec.trending('2024-02-15 06:00', '3 days', 1000, events => 'gen_events')
)
SELECT count(*) AS titles, max(abs(t.score - ref.score)) < 1e-9 AS scores_match,
       bool_and(t.rank = (SELECT count(*) FROM ref r2 WHERE r2.score > ref.score
                              OR (r2.score = ref.score AND r2.title_id <= ref.title_id))) AS ranks_match
FROM t FULL JOIN ref USING (title_id);

-- bad input
\set VERBOSITY sqlstate
SELECT nfrec.watched_catalog_size(NULL, '2024-03-08');
SELECT nfrec.watched_catalog_size('2024-03-08', '2024-03-08');
SELECT nfrec.watched_catalog_size('2024-03-08', '2024-03-01');
SELECT nfrec.watched_catalog_size('2024-03-01', '2024-03-08', weight => 'minutes');
SELECT nfrec.watched_catalog_size('2024-03-01', '2024-03-08', weight => NULL);
SELECT nfrec.watched_catalog_size('2024-03-01', '2024-03-08', events => 'content_metadata');
SELECT * FROM nfrec.trending(NULL, half_life => NULL);
SELECT * FROM nfrec.trending('2024-06-01', n => 0);
SELECT * FROM nfrec.trending('2024-06-01', n => -5);
SELECT * FROM nfrec.trending('2024-06-01', half_life => '0 days');
SELECT * FROM nfrec.trending('2024-06-01', half_life => '-1 day');
SELECT * FROM nfrec.trending('2024-06-01', lookback => '0 days');
SELECT * FROM nfrec.trending('infinity');
SELECT * FROM nfrec.trending('2024-06-01', titles => 'viewing_events');
\set VERBOSITY default
SELECT nfrec.watched_catalog_size('2024-03-01', '2024-03-08', weight => 'minutes');
SELECT * FROM nfrec.trending('2024-06-01', n => 0);

RESET search_path;
DROP SCHEMA hp CASCADE;
