-- nfrec.generate_demo: deterministic, realistic demo data.
-- Every property is checked with plain SQL over the generated rows; the
-- checks print booleans or counts that do not depend on the simulation's
-- exact numbers, so they fail when a property is lost, not when a constant
-- is tuned.

SET client_min_messages = warning;

-- a checksum of everything a demo consists of (brute force over all rows)
CREATE FUNCTION pg_temp.demo_md5(s name, max_user bigint DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    EXECUTE format($q$
        SELECT md5(concat_ws('#',
          -- (production costs scale with the number of users: left out
          -- when comparing the first max_user users of two demos)
          (SELECT string_agg(CASE WHEN $1 IS NULL THEN x::text
                                  ELSE (to_jsonb(x) - 'production_cost')::text END,
                             '|' ORDER BY x.title_id) FROM %1$I.content_metadata x),
          (SELECT string_agg(x::text, '|' ORDER BY x.title_id) FROM %1$I.demo_title_truth x),
          (SELECT string_agg(x::text, '|' ORDER BY x.user_id) FROM %1$I.subscriptions x
             WHERE x.user_id <= coalesce($1, x.user_id)),
          (SELECT string_agg(x::text, '|' ORDER BY x.user_id) FROM %1$I.demo_user_truth x
             WHERE x.user_id <= coalesce($1, x.user_id)),
          -- events without event_id (which numbers the events of all users)
          (SELECT string_agg(concat_ws(',', x.user_id, x.title_id,
                                       extract(epoch FROM x.started_at), x.watch_seconds,
                                       x.watch_pct, x.device, x.country, x.event_type),
                             '|' ORDER BY x.event_id)
             FROM %1$I.viewing_events x WHERE x.user_id <= coalesce($1, x.user_id)),
          (SELECT string_agg(x::text, '|' ORDER BY x.user_id, x.shown_at, x.title_id)
             FROM %1$I.artwork_impressions x WHERE x.user_id <= coalesce($1, x.user_id)),
          (SELECT string_agg(x::text, '|' ORDER BY x.segment, x.artwork_id) FROM %1$I.demo_artwork_truth x)))
    $q$, s) INTO r USING max_user;
    RETURN r;
END $$;

-- ---------------------------------------------------------------------
-- normal use
-- ---------------------------------------------------------------------
CREATE SCHEMA demo_a;
SET search_path = demo_a;
SELECT schema, users, titles, communities, subscriptions, first_day, last_day,
       events BETWEEN 30 * users AND 300 * users AS events_in_range,
       plays BETWEEN events / 4 AND events * 3 / 4 AS plays_share_ok,
       cancellations BETWEEN users / 20 AND users / 2 AS cancellations_ok,
       seconds >= 0 AS timed
FROM nfrec.generate_demo(users => 300, titles => 150, days => 240, seed => 7,
                         end_date => '2025-06-30');

-- the canonical tables exactly as DESIGN section 2 names and types them
SELECT table_name, string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
FROM information_schema.columns
WHERE table_schema = 'demo_a'
GROUP BY table_name ORDER BY table_name;
SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'demo_a' ORDER BY 1, 2;
SELECT relname, reltuples > 0 AS analyzed FROM pg_class
WHERE relnamespace = 'demo_a'::regnamespace AND relkind = 'r' ORDER BY 1;

-- ---------------------------------------------------------------------
-- determinism: same arguments -> same rows, whatever the TimeZone, the
-- memory settings or the number of users; another seed -> other rows
-- ---------------------------------------------------------------------
CREATE SCHEMA demo_b;
SET search_path = demo_b;
SET TimeZone = 'Asia/Tokyo';
SET work_mem = '64kB';
SELECT users FROM nfrec.generate_demo(users => 300, titles => 150, days => 240, seed => 7,
                                      end_date => '2025-06-30');
RESET TimeZone;
RESET work_mem;
CREATE SCHEMA demo_c;
SET search_path = demo_c;
SELECT users FROM nfrec.generate_demo(300, 150, 240, 8, '2025-06-30');
CREATE SCHEMA demo_d;
SET search_path = demo_d;
SELECT users FROM nfrec.generate_demo(600, 150, 240, 7, '2025-06-30');
SELECT pg_temp.demo_md5('demo_a') = pg_temp.demo_md5('demo_a') AS checksum_stable,
       pg_temp.demo_md5('demo_a') = pg_temp.demo_md5('demo_b') AS same_seed_same_rows,
       pg_temp.demo_md5('demo_a') <> pg_temp.demo_md5('demo_c') AS other_seed_other_rows,
       pg_temp.demo_md5('demo_a', 300) = pg_temp.demo_md5('demo_d', 300) AS users_independent;
-- twice the users, twice the production costs (whole dollars, at least 1):
-- costs are drawn for 125 million subscribers and scaled to the demo's
SELECT bool_and(abs(d.production_cost - 2 * a.production_cost) <= 1) AS costs_scale,
       bool_and((a.production_cost IS NULL) = (d.production_cost IS NULL)) AS same_unknown_costs,
       min(a.production_cost) >= 1 AS at_least_one_dollar
  FROM demo_a.content_metadata a JOIN demo_d.content_metadata d USING (title_id);
-- twice the users, about twice the events
SELECT (SELECT count(*) FROM demo_d.viewing_events)::float8
       / (SELECT count(*) FROM demo_a.viewing_events) BETWEEN 1.6 AND 2.4 AS events_scale;

-- ---------------------------------------------------------------------
-- invariants
-- ---------------------------------------------------------------------
SET search_path = demo_a;
SELECT count(*) > 10000 AS many_events,
       -- no event dated before the title's launch, in any time zone
       count(*) FILTER (WHERE (e.started_at AT TIME ZONE 'Etc/GMT+12')::date < c.launch_date
                           OR e.started_at < c.launch_date) AS before_launch,
       -- nor before signup or after cancellation
       count(*) FILTER (WHERE (e.started_at AT TIME ZONE 'Etc/GMT+12')::date < s.signup_date
                           OR (e.started_at AT TIME ZONE 'Etc/GMT-14')::date > s.cancel_date) AS outside_subscription,
       count(*) FILTER (WHERE e.started_at < '2024-11-03 00:00+00'
                           OR e.started_at >= '2025-07-01 00:00+00') AS outside_period,
       count(*) FILTER (WHERE e.watch_pct < 0 OR e.watch_pct > 100) AS bad_pct,
       count(*) FILTER (WHERE (e.event_type = 'play') <> (e.watch_pct IS NOT NULL AND e.watch_seconds IS NOT NULL)) AS watch_null_mismatch,
       count(*) FILTER (WHERE abs(e.watch_seconds - e.watch_pct / 100 * c.runtime_minutes * 60) > 1) AS seconds_mismatch,
       count(*) FILTER (WHERE e.country IS DISTINCT FROM s.country) AS country_mismatch
FROM viewing_events e
LEFT JOIN content_metadata c USING (title_id)
LEFT JOIN subscriptions s USING (user_id);
SELECT (SELECT count(*) FROM viewing_events e
        WHERE NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = e.user_id)) AS unknown_users,
       (SELECT count(*) FROM viewing_events e
        WHERE NOT EXISTS (SELECT 1 FROM content_metadata c WHERE c.title_id = e.title_id)) AS unknown_titles,
       (SELECT count(*) FROM subscriptions WHERE cancel_date < signup_date) AS cancel_before_signup,
       (SELECT count(*) FROM subscriptions WHERE signup_date > '2025-06-30' OR cancel_date > '2025-06-30') AS after_end,
       (SELECT count(DISTINCT event_id) = count(*) FROM viewing_events) AS event_ids_unique;
-- a user's events are numbered in time order and plays never overlap
SELECT count(*) AS out_of_order
FROM (SELECT started_at,
             lag(started_at + coalesce(watch_seconds, 0) * interval '1 second')
               OVER (PARTITION BY user_id ORDER BY event_id) AS prev_end
      FROM viewing_events) x
WHERE started_at < prev_end;
SELECT event_type, device FROM viewing_events GROUP BY 1, 2 ORDER BY 1, 2;
SELECT content_type, count(*) > 0 AS present,
       bool_and(CASE content_type WHEN 'series' THEN episodes BETWEEN 6 AND 24 ELSE episodes IS NULL END) AS episodes_ok,
       bool_and(runtime_minutes BETWEEN 15 AND 200) AS runtime_ok,
       bool_and(release_year <= extract(year FROM launch_date)) AS released_before_launch,
       bool_and(array_length(genres, 1) BETWEEN 1 AND 3) AS genres_ok
FROM content_metadata GROUP BY 1 ORDER BY 1;
-- a series is watched in order, at most once per episode; a movie once
SELECT count(*) FILTER (WHERE n > coalesce(c.episodes, 1)) AS too_many_plays
FROM (SELECT user_id, title_id, count(*) AS n FROM viewing_events
      WHERE event_type = 'play' GROUP BY 1, 2) p
JOIN content_metadata c USING (title_id);
-- interactions = plays per (user, title) in full-title equivalents
SELECT (SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
        FROM information_schema.columns
        WHERE table_schema = 'demo_a' AND table_name = 'interactions') AS interactions_columns,
       (SELECT count(*) FROM interactions) =
       (SELECT count(DISTINCT (user_id, title_id)) FROM viewing_events WHERE event_type = 'play') AS one_row_per_pair,
       (SELECT round(sum(weight)::numeric, 3) FROM interactions) =
       (SELECT round(sum(watch_pct::float8 / 100)::numeric, 3) FROM viewing_events WHERE event_type = 'play') AS weights_add_up,
       (SELECT min(weight) > 0 FROM interactions) AS weights_positive;

-- ---------------------------------------------------------------------
-- realism, on a larger demo
-- ---------------------------------------------------------------------
CREATE SCHEMA demo_e;
SET search_path = demo_e;
SELECT users, titles, communities FROM nfrec.generate_demo(users => 2000, titles => 400, seed => 3);

-- popularity is heavy-tailed: the top 10% of titles get a large share of plays
SELECT sum(n) FILTER (WHERE r <= 40)::float8 / sum(n) > 0.4 AS top10pct_share_ok
FROM (SELECT title_id, count(*) AS n, row_number() OVER (ORDER BY count(*) DESC) AS r
      FROM viewing_events WHERE event_type = 'play' GROUP BY 1) t;
-- users watch mostly their own taste communities, and finish those titles more
WITH p AS (
    SELECT e.watch_pct,
           coalesce((SELECT sum(w) FROM unnest(u.communities, u.community_weights) x(c, w)
                     WHERE c = t.community), 0) AS taste
    FROM viewing_events e JOIN demo_user_truth u USING (user_id) JOIN demo_title_truth t USING (title_id)
    WHERE e.event_type = 'play' AND t.planted IS NULL)
SELECT avg((taste > 0)::int) > 0.7 AS mostly_own_communities,
       avg(watch_pct) FILTER (WHERE taste >= 0.4) > avg(watch_pct) FILTER (WHERE taste = 0) + 10 AS better_match_more_completion,
       avg((watch_pct < 30)::int) BETWEEN 0.05 AND 0.4 AS some_abandonment
FROM p;
-- descriptions of one community share vocabulary: pairs of titles of one
-- community share many more rare words (in < 10% of descriptions) than
-- pairs from different communities
WITH words AS (
    SELECT DISTINCT c.title_id, t.community, w
    FROM content_metadata c JOIN demo_title_truth t USING (title_id),
         regexp_split_to_table(lower(c.description), '[^[:alpha:]]+') w
    WHERE w <> ''),
rare AS (
    SELECT w FROM words GROUP BY w
    HAVING count(*) < 0.1 * (SELECT count(*) FROM content_metadata)),
shared AS (
    SELECT a.community = b.community AS same, count(*) AS n
    FROM words a JOIN words b ON a.w = b.w AND a.title_id < b.title_id
    WHERE a.w IN (SELECT w FROM rare)
    GROUP BY 1),
pairs AS (
    SELECT sum(n * (n - 1) / 2) AS same_pairs, (sum(n) * (sum(n) - 1) / 2) - sum(n * (n - 1) / 2) AS other_pairs
    FROM (SELECT count(*) AS n FROM demo_title_truth GROUP BY community) x)
SELECT (SELECT n FROM shared WHERE same) / same_pairs
       > 5 * (SELECT n FROM shared WHERE NOT same) / other_pairs AS shared_vocabulary
FROM pairs;
-- regional tastes: subscribers of a non-English country watch titles in
-- their language far more than US subscribers do
WITH lang(country, lang) AS (
    VALUES ('SE', 'sv'), ('JP', 'ja'), ('KR', 'ko'), ('MX', 'es'), ('ES', 'es'), ('AR', 'es'),
           ('IN', 'hi'), ('FR', 'fr'), ('DE', 'de'), ('BR', 'pt'), ('IT', 'it')),
plays AS (
    SELECT s.country, c.primary_language
    FROM viewing_events e JOIN content_metadata c USING (title_id) JOIN subscriptions s USING (user_id)
    WHERE e.event_type = 'play'),
share AS (
    SELECT l.country,
           avg((p.primary_language = l.lang)::int) FILTER (WHERE p.country = l.country) AS own,
           avg((p.primary_language = l.lang)::int) FILTER (WHERE p.country = 'US') AS us
    FROM lang l CROSS JOIN plays p
    WHERE l.lang IN (SELECT primary_language FROM content_metadata GROUP BY 1 HAVING count(*) >= 10)
    GROUP BY l.country)
SELECT count(*) AS countries, bool_and(own > 2 * us) AS regional FROM share;
-- time of day by device (US subscribers, Eastern standard time): TV in the
-- evening, phones at commute times more than TVs
SELECT avg((h BETWEEN 18 AND 23)::int) FILTER (WHERE device = 'tv') > 0.5 AS tv_evenings,
       avg((h IN (7, 8, 17, 18))::int) FILTER (WHERE device = 'mobile')
       > 1.5 * avg((h IN (7, 8, 17, 18))::int) FILTER (WHERE device = 'tv') AS mobile_commute
FROM (SELECT device, extract(hour FROM started_at AT TIME ZONE 'Etc/GMT+5') AS h
      FROM viewing_events WHERE country = 'US' AND event_type = 'play') x;
-- binge: most series episodes follow the previous episode within minutes
SELECT avg((started_at - prev_end < interval '5 minutes')::int) FILTER (WHERE prev_title = title_id) > 0.3 AS binge
FROM (SELECT e.title_id, e.started_at,
             lag(e.title_id) OVER w AS prev_title,
             lag(e.started_at + e.watch_seconds * interval '1 second') OVER w AS prev_end
      FROM viewing_events e JOIN content_metadata c USING (title_id)
      WHERE e.event_type = 'play' AND c.content_type = 'series'
      WINDOW w AS (PARTITION BY e.user_id ORDER BY e.started_at, e.event_id)) x;
-- browsing without playing: days with impressions or searches but no play
SELECT count(*) > 100 AS browse_only_days
FROM (SELECT user_id, started_at::date FROM viewing_events GROUP BY 1, 2
      HAVING count(*) FILTER (WHERE event_type = 'play') = 0) x;
-- launches are spread over the period; production costs known for most titles
SELECT count(DISTINCT date_trunc('month', launch_date)) FILTER (WHERE launch_date >= '2025-01-01') AS launch_months,
       avg((production_cost IS NULL)::int) BETWEEN 0.05 AND 0.4 AS some_costs_unknown
FROM content_metadata;

-- ---------------------------------------------------------------------
-- planted effects
-- ---------------------------------------------------------------------
-- cancellations follow disengagement: subscribers whose last-28-day watch
-- time fell below half of the 28 days before cancel far more in the next 30 days
WITH act AS (
    SELECT a.as_of, s.cancel_date,
           (SELECT coalesce(sum(watch_seconds), 0) FROM viewing_events e
            WHERE e.user_id = s.user_id AND e.event_type = 'play'
              AND e.started_at >= a.as_of - 28 AND e.started_at < a.as_of) AS recent,
           (SELECT coalesce(sum(watch_seconds), 0) FROM viewing_events e
            WHERE e.user_id = s.user_id AND e.event_type = 'play'
              AND e.started_at >= a.as_of - 56 AND e.started_at < a.as_of - 28) AS before
    FROM (SELECT d::date FROM generate_series(date '2025-03-01', date '2025-11-01', interval '1 month') d) a(as_of)
    JOIN subscriptions s ON s.signup_date <= a.as_of - 56
                        AND (s.cancel_date IS NULL OR s.cancel_date > a.as_of))
SELECT avg(coalesce(cancel_date <= as_of + 30, false)::int) FILTER (WHERE recent < 0.5 * before)
     > 2 * avg(coalesce(cancel_date <= as_of + 30, false)::int) FILTER (WHERE NOT recent < 0.5 * before)
       AS disengaged_cancel_more
FROM act;
-- hits and flops: the flops are the most expensive titles and rarely
-- finished; the hits are finished by many more subscribers
SELECT t.planted, count(*) AS titles,
       bool_and(c.launch_date BETWEEN '2025-03-01' AND '2025-11-01') AS launched_mid_period,
       bool_and(c.production_cost IS NOT NULL) AS cost_known,
       min(p.watchers) > 0 AS watched,
       CASE t.planted WHEN 'flop' THEN min(c.production_cost) > (SELECT max(production_cost) FROM content_metadata m JOIN demo_title_truth x USING (title_id) WHERE x.planted IS DISTINCT FROM 'flop')
                      ELSE min(p.completers) > 3 * (SELECT max(q.w) FROM (SELECT count(DISTINCT user_id) AS w FROM viewing_events v JOIN demo_title_truth y USING (title_id) WHERE y.planted = 'flop' AND v.event_type = 'play' AND v.watch_pct >= 70 GROUP BY v.title_id) q) END AS distinctive,
       CASE t.planted WHEN 'flop' THEN max(p.pct) < 50 ELSE min(p.pct) > 80 END AS completion
FROM demo_title_truth t JOIN content_metadata c USING (title_id)
JOIN LATERAL (SELECT count(DISTINCT user_id) AS watchers, avg(watch_pct) AS pct,
                     count(DISTINCT user_id) FILTER (WHERE watch_pct >= 70) AS completers
              FROM viewing_events e
              WHERE e.title_id = t.title_id AND e.event_type = 'play') p ON true
WHERE t.planted IS NOT NULL GROUP BY 1 ORDER BY 1;
-- the launch win-back: subscribers idle for two weeks when a planted title
-- (hit or flop) launches start it in its first 30 days more often than
-- the others (by more than 10 points)
WITH p AS (
    SELECT t.title_id, c.launch_date
    FROM demo_title_truth t JOIN content_metadata c USING (title_id)
    WHERE t.planted IS NOT NULL AND c.launch_date + 30 <= '2025-12-31'),
a AS (
    SELECT p.title_id,
           coalesce((SELECT max(e.started_at) FROM viewing_events e
                     WHERE e.user_id = s.user_id AND e.event_type = 'play' AND e.started_at < p.launch_date),
                    s.signup_date::timestamptz) < p.launch_date - 14 AS idle,
           EXISTS (SELECT 1 FROM viewing_events e
                   WHERE e.user_id = s.user_id AND e.title_id = p.title_id AND e.event_type = 'play'
                     AND e.started_at < p.launch_date + 30) AS started
    FROM p JOIN subscriptions s ON s.signup_date <= p.launch_date - 14
                               AND (s.cancel_date IS NULL OR s.cancel_date > p.launch_date))
SELECT count(DISTINCT title_id) AS planted_launches,
       bool_and(idle_share > active_share + 0.1) AS idle_subscribers_come_to_try
FROM (SELECT title_id, avg(started::int) FILTER (WHERE idle) AS idle_share,
             avg(started::int) FILTER (WHERE NOT idle) AS active_share
      FROM a GROUP BY title_id) x;
-- at-risk subscribers at a launch (watch time fell as above) who watched a
-- hit in its first 28 days cancel less in the 60 days after launch than
-- at-risk subscribers who did not; among the ones really disengaging
-- (ground truth) the difference is large
WITH p AS (
    SELECT t.title_id, t.planted, c.launch_date
    FROM demo_title_truth t JOIN content_metadata c USING (title_id) WHERE t.planted IS NOT NULL),
a AS (
    SELECT p.planted, s.cancel_date, p.launch_date, u.decline_start,
           (SELECT coalesce(sum(watch_seconds), 0) FROM viewing_events e
            WHERE e.user_id = s.user_id AND e.event_type = 'play'
              AND e.started_at >= p.launch_date - 28 AND e.started_at < p.launch_date) AS recent,
           (SELECT coalesce(sum(watch_seconds), 0) FROM viewing_events e
            WHERE e.user_id = s.user_id AND e.event_type = 'play'
              AND e.started_at >= p.launch_date - 56 AND e.started_at < p.launch_date - 28) AS before,
           EXISTS (SELECT 1 FROM viewing_events e
                   WHERE e.user_id = s.user_id AND e.title_id = p.title_id AND e.event_type = 'play'
                     AND e.watch_pct >= 70 AND e.started_at < p.launch_date + 28) AS watched
    FROM p JOIN subscriptions s ON s.signup_date <= p.launch_date - 56
                               AND (s.cancel_date IS NULL OR s.cancel_date > p.launch_date)
    JOIN demo_user_truth u USING (user_id))
SELECT avg(coalesce(cancel_date <= launch_date + 60, false)::int) FILTER (WHERE watched AND recent < 0.5 * before)
     < 0.7 * avg(coalesce(cancel_date <= launch_date + 60, false)::int) FILTER (WHERE NOT watched AND recent < 0.5 * before)
       AS hit_watchers_cancel_less,
       avg(coalesce(cancel_date <= launch_date + 60, false)::int) FILTER (WHERE watched AND decline_start BETWEEN launch_date - 56 AND launch_date)
     + 0.3 < avg(coalesce(cancel_date <= launch_date + 60, false)::int) FILTER (WHERE NOT watched AND decline_start BETWEEN launch_date - 56 AND launch_date)
       AS hit_rescues_disengaging
FROM a WHERE planted = 'hit';
-- ... and the ground truth agrees: hits rescued users, flops none; some
-- signups came for a hit and started with it
SELECT (SELECT count(*) FROM demo_user_truth u JOIN demo_title_truth t ON t.title_id = u.rescued_by
        WHERE t.planted = 'hit') > 0 AS hits_rescued,
       (SELECT count(*) FROM demo_user_truth u JOIN demo_title_truth t ON t.title_id = u.rescued_by
        WHERE t.planted IS DISTINCT FROM 'hit') AS others_rescued,
       (SELECT avg((f.title_id = u.attributed_to)::int) > 0.8
        FROM demo_user_truth u
        JOIN LATERAL (SELECT e.title_id FROM viewing_events e WHERE e.user_id = u.user_id AND e.event_type = 'play'
                      ORDER BY e.started_at LIMIT 1) f ON true
        WHERE u.attributed_to IS NOT NULL) AS attributed_signups_start_with_hit;

-- the oracle: titles ranked by the generator's true tastes (doc/demo.md)
WITH oracle AS (
    SELECT t.title_id, sum(w.weight * t.popularity / c.total) AS score
    FROM demo_user_truth u
    CROSS JOIN LATERAL unnest(u.communities, u.community_weights) AS w(community, weight)
    JOIN demo_title_truth t ON t.community = w.community
    JOIN (SELECT community, sum(popularity) AS total FROM demo_title_truth GROUP BY community) c
      ON c.community = w.community
    WHERE u.user_id = 42
      AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.user_id = u.user_id AND i.title_id = t.title_id)
    GROUP BY t.title_id
    ORDER BY score DESC, t.title_id
    LIMIT 10)
SELECT count(*) = least(10, (SELECT count(*) FROM demo_title_truth t2 JOIN demo_user_truth u2 ON t2.community = ANY (u2.communities)
                             WHERE u2.user_id = 42 AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.user_id = 42 AND i.title_id = t2.title_id))) AS ten_or_all,
       bool_and(t.community = ANY (u.communities)) AS all_in_user_communities,
       bool_and(NOT EXISTS (SELECT 1 FROM interactions i WHERE i.user_id = 42 AND i.title_id = o.title_id)) AS all_unseen
FROM oracle o JOIN demo_title_truth t USING (title_id) JOIN demo_user_truth u ON u.user_id = 42;

-- ---------------------------------------------------------------------
-- replacing, and bad input
-- ---------------------------------------------------------------------
SET search_path = demo_a;
\set VERBOSITY sqlstate
SELECT users FROM nfrec.generate_demo(300, 150);
\set VERBOSITY default
SELECT users FROM nfrec.generate_demo(300, 150);
SELECT users, titles FROM nfrec.generate_demo(users => 20, titles => 10, days => 30, replace => true);
SELECT (SELECT count(*) FROM subscriptions) AS users, (SELECT count(*) FROM content_metadata) AS titles;
-- a user's own view on the demo tables is not dropped behind their back
CREATE VIEW my_view AS SELECT count(*) FROM viewing_events;
\set VERBOSITY sqlstate
SELECT users FROM nfrec.generate_demo(20, 10, replace => true);
DROP VIEW my_view;
SELECT users FROM nfrec.generate_demo(users => 0, titles => 10);
SELECT users FROM nfrec.generate_demo(users => -5, titles => 10);
SELECT users FROM nfrec.generate_demo(users => 10, titles => 0);
SELECT users FROM nfrec.generate_demo(users => 10, titles => 1000001);
SELECT users FROM nfrec.generate_demo(users => 10, titles => 10, days => 0);
SELECT users FROM nfrec.generate_demo(users => 10, titles => 10, days => 3661);
SELECT users FROM nfrec.generate_demo(users => NULL, titles => 10);
SELECT users FROM nfrec.generate_demo(users => 10, titles => 10, seed => NULL);
SELECT users FROM nfrec.generate_demo(users => 10, titles => 10, replace => NULL);
SELECT users FROM nfrec.generate_demo(users => 10, titles => 10, activity => 0);
SELECT users FROM nfrec.generate_demo(users => 10, titles => 10, activity => 'NaN');
SELECT users FROM nfrec.generate_demo(users => 10, titles => 10, activity => 101);
-- bounds on the size: at most 50 M users, users x days x activity at most
-- 1e10 (about 3 billion events); these used to start generating for hours
SELECT users FROM nfrec.generate_demo(users => 50000001, titles => 10);
SELECT users FROM nfrec.generate_demo(users => 2147483647, titles => 10);
SELECT users FROM nfrec.generate_demo(users => 50000000, titles => 10, days => 3660);
SELECT users FROM nfrec.generate_demo(users => 1000000, titles => 10, days => 3660, activity => 3);
SELECT users FROM nfrec.generate_demo(users => 10, titles => 10, communities => 0);
SELECT users FROM nfrec.generate_demo(users => 10, titles => 10, communities => 11);
SELECT users FROM nfrec.generate_demo(users => 10, titles => 10, end_date => 'infinity');
SELECT users FROM nfrec.generate_demo(users => 10, titles => 10, end_date => '1800-01-01');
-- the internal row sources check their arguments too
SELECT count(*) FROM nfrec._demo_titles(0, 10, 1, '2025-01-01', 0);
SELECT count(*) FROM nfrec._demo_users(10, 10, 10, 1, '2025-01-01', 0, 'NaN', true);
SELECT count(*) FROM nfrec._demo_events(10, 10, 99999, 1, '2025-01-01', 0, 1, true);
SELECT count(*) FROM nfrec._demo_users(50000001, 10, 10, 1, '2025-01-01', 0, 1, true);
SELECT count(*) FROM nfrec._demo_events(50000000, 10, 3660, 1, '2025-01-01', 0, 100, true);
-- no schema to create in
SET search_path = '';
SELECT users FROM nfrec.generate_demo(10, 10);
\set VERBOSITY default
SELECT users FROM nfrec.generate_demo(users => 50000001, titles => 10);
SELECT users FROM nfrec.generate_demo(users => 1000000, titles => 10, days => 3660, activity => 3);
SELECT count(*) FROM nfrec._demo_events(50000000, 10, 3660, 1, '2025-01-01', 0, 100, true);
RESET search_path;
SELECT count(*) FROM nfrec._demo_titles(NULL, 10, 1, '2025-01-01', 0) AS strict_null;
-- edge sizes: one user, one title, one day
CREATE SCHEMA demo_f;
SET search_path = demo_f;
SELECT users, titles, communities, first_day, last_day
FROM nfrec.generate_demo(users => 1, titles => 1, days => 1);
SELECT count(*) FILTER (WHERE e.started_at < c.launch_date) AS before_launch
FROM viewing_events e JOIN content_metadata c USING (title_id);
RESET search_path;
DROP SCHEMA demo_a, demo_b, demo_c, demo_d, demo_e, demo_f CASCADE;
