-- nfrec.homepage: every row kind, and the page rules checked by plain SQL
-- over the returned rows and viewing_events (never by the function's own
-- figures): no title twice, no finished title, started titles only in
-- Continue Watching, per_row and rows honoured, Continue Watching equal to
-- its documented query, rows of the right titles.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET nfrec.metadata_cache_seconds = 0;
CREATE SCHEMA hpg;
SET search_path = hpg, public;
SELECT users, titles FROM nfrec.generate_demo(users => 400, titles => 120, days => 200, seed => 8);
CREATE TABLE train AS SELECT * FROM interactions;
CREATE INDEX ON train (user_id);
SELECT nfrec.deploy('hpg', (SELECT nfrec.als_train(user_id, title_id, weight,
                                   '{"factors": 8, "iterations": 5, "seed": 1}') FROM train),
                    'interactions') > 0 AS deployed;
\set at '''2026-01-01 00:00+00'''
-- a user with only unfinished titles (new to the model, one title twice)
INSERT INTO viewing_events (event_id, user_id, title_id, started_at, watch_seconds, watch_pct, device, country, event_type)
VALUES (900001, 9001, 5, '2025-12-20', 600, 30, 'tv', 'BR', 'play'),
       (900002, 9001, 7, '2025-12-28', 600, 55.5, 'tv', 'BR', 'play'),
       (900003, 9001, 7, '2025-12-29', 60, 10, 'tv', 'BR', 'play'),
       (900004, 9001, 9, '2025-10-01', 600, 40, 'tv', 'BR', 'play');   -- beyond the 28-day horizon
-- the pages of 60 users, a cold user, the unfinished-only user, anonymous
CREATE TABLE pages AS
SELECT u.user_id AS uid, h.*
  FROM (SELECT user_id FROM subscriptions ORDER BY user_id LIMIT 60) u,
       nfrec.homepage(u.user_id, at => :at, model => 'hpg') h;
INSERT INTO pages SELECT 123456789, h.* FROM nfrec.homepage(123456789, at => :at, model => 'hpg') h;
INSERT INTO pages SELECT 9001, h.* FROM nfrec.homepage(9001, at => :at, model => 'hpg') h;
INSERT INTO pages SELECT -1, h.* FROM nfrec.homepage(NULL, at => :at, model => 'hpg') h;
-- the user's plays before at
CREATE VIEW plays AS
SELECT user_id, title_id, max(coalesce(watch_pct, 0)) AS pct, max(started_at) AS last
  FROM viewing_events WHERE event_type = 'play' AND started_at < :at GROUP BY 1, 2;

-- every row kind appears
SELECT row_kind, count(DISTINCT uid) AS users FROM pages GROUP BY 1 ORDER BY 1;
-- 1. no title twice on a page
SELECT count(*) AS duplicates FROM (SELECT uid, title_id FROM pages GROUP BY 1, 2 HAVING count(*) > 1) d;
-- 2. no finished title anywhere (watch_pct 90 or more)
SELECT count(*) AS finished_shown FROM pages g JOIN plays p ON p.user_id = g.uid AND p.title_id = g.title_id
 WHERE p.pct >= 90;
-- 3. started titles only in continue_watching
SELECT count(*) AS started_outside_cw FROM pages g JOIN plays p ON p.user_id = g.uid AND p.title_id = g.title_id
 WHERE g.row_kind <> 'continue_watching';
-- ... nor any title the bound events relation has for the user
SELECT count(*) AS seen_outside_cw FROM pages g JOIN interactions i ON i.user_id = g.uid AND i.title_id = g.title_id
 WHERE g.row_kind <> 'continue_watching';
-- 4. per_row (10) and rows (8) honoured; ranks 1..n in each row; rows 1..m
SELECT max(n) AS max_per_row, bool_and(ranks_ok) AS ranks_ok FROM (
  SELECT uid, row_rank, count(*) AS n,
         min(rank) = 1 AND max(rank) = count(*) AND count(DISTINCT rank) = count(*) AS ranks_ok
    FROM pages GROUP BY 1, 2) r;
SELECT max(m) AS max_rows, bool_and(rows_ok) AS rows_ok FROM (
  SELECT uid, count(DISTINCT row_rank) AS m,
         min(row_rank) = 1 AND max(row_rank) = count(DISTINCT row_rank) AS rows_ok
    FROM pages GROUP BY 1) r;
-- one label, kind and anchor per row
SELECT count(*) AS inconsistent_rows FROM (
  SELECT uid, row_rank FROM pages GROUP BY 1, 2
  HAVING count(DISTINCT row_kind) > 1 OR count(DISTINCT row_label) > 1 OR count(DISTINCT anchor_title_id) > 1) r;
-- 5. Continue Watching = the documented query, and first when it has titles
WITH cw AS (
  SELECT user_id, title_id, row_number() OVER (PARTITION BY user_id ORDER BY max(started_at) DESC, title_id) AS rank
    FROM viewing_events
   WHERE event_type = 'play' AND started_at < :at
   GROUP BY user_id, title_id
  HAVING max(coalesce(watch_pct, 0)) < 90 AND max(started_at) >= :at::timestamptz - interval '28 days'),
want AS (SELECT * FROM cw WHERE rank <= 10 AND user_id IN (SELECT uid FROM pages)),
got AS (SELECT uid AS user_id, title_id, rank FROM pages WHERE row_kind = 'continue_watching')
SELECT (SELECT count(*) FROM want) AS cw_titles,
       (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got) a) AS missing,
       (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want) b) AS extra,
       (SELECT count(*) FROM pages WHERE row_kind = 'continue_watching' AND row_rank <> 1) AS cw_not_first;
-- the unfinished-only user: Continue Watching 7 then 5 (9 is too old), no
-- started title elsewhere, a cold page otherwise
SELECT row_rank, row_kind, rank, title_id, round(score::numeric, 3) AS score, reason
  FROM pages WHERE uid = 9001 AND row_kind = 'continue_watching' ORDER BY row_rank, rank;
SELECT count(*) AS started_elsewhere FROM pages WHERE uid = 9001 AND title_id IN (5, 7, 9) AND row_kind <> 'continue_watching';
SELECT DISTINCT row_label FROM pages WHERE uid = 9001 AND row_kind = 'trending';
-- a user with no history and an anonymous visitor: the same cold-start page
-- of trending, new releases and genre rows by popularity
SELECT DISTINCT row_rank, row_kind, row_label FROM pages WHERE uid = 123456789 ORDER BY 1;
SELECT (SELECT array_agg(ARRAY[row_rank::bigint, title_id] ORDER BY row_rank, rank) FROM pages WHERE uid = 123456789)
     = (SELECT array_agg(ARRAY[row_rank::bigint, title_id] ORDER BY row_rank, rank) FROM pages WHERE uid = -1) AS anonymous_is_cold;
-- 6. rows hold the right titles
-- trending: in the user's country (of their latest play), best first by
-- plays in the 14 days before at, each 2^(-age / 7 days)
WITH ctry AS (
  SELECT DISTINCT ON (user_id) user_id, country FROM viewing_events
   WHERE event_type = 'play' AND started_at < :at AND country IS NOT NULL
   ORDER BY user_id, started_at DESC),
tr AS (
  SELECT country, title_id, sum(power(0.5, extract(epoch FROM :at::timestamptz - started_at) / (7 * 86400))) AS s
    FROM viewing_events WHERE event_type = 'play' AND started_at < :at
     AND started_at >= :at::timestamptz - interval '14 days'
   GROUP BY 1, 2)
SELECT count(*) AS trending_entries,
       count(*) FILTER (WHERE g.row_label = 'Trending in ' || c.country) AS labelled_with_country,
       count(*) FILTER (WHERE g.reason = 'trending in ' || c.country) AS reasons_with_country,
       count(*) FILTER (WHERE abs(g.score - tr.s) <= 1e-5 * tr.s) AS score_matches,
       count(*) FILTER (WHERE NOT EXISTS (   -- nothing better was left off
           SELECT 1 FROM tr t2 WHERE t2.country = c.country AND t2.s > tr.s * (1 + 1e-6)
              AND t2.title_id IN (SELECT title_id FROM nfrec.item_factors('hpg'))
              AND NOT EXISTS (SELECT 1 FROM pages g2 WHERE g2.uid = g.uid AND g2.title_id = t2.title_id)
              AND NOT EXISTS (SELECT 1 FROM plays p WHERE p.user_id = g.uid AND p.title_id = t2.title_id)
              AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.user_id = g.uid AND i.title_id = t2.title_id)))
       AS best_left
  FROM pages g JOIN ctry c ON c.user_id = g.uid JOIN tr ON tr.country = c.country AND tr.title_id = g.title_id
 WHERE g.row_kind = 'trending';
SELECT count(*) AS trending_not_in_country FROM pages g JOIN (
  SELECT DISTINCT ON (user_id) user_id, country FROM viewing_events
   WHERE event_type = 'play' AND started_at < :at AND country IS NOT NULL ORDER BY user_id, started_at DESC) c
  ON c.user_id = g.uid
 WHERE g.row_kind = 'trending' AND NOT EXISTS (
   SELECT 1 FROM viewing_events e WHERE e.country = c.country AND e.title_id = g.title_id AND e.event_type = 'play'
      AND e.started_at < :at AND e.started_at >= :at::timestamptz - interval '14 days');
-- new releases launched in the 90 days up to at; genre rows of the genre
SELECT count(*) AS new_releases, count(*) FILTER (WHERE m.launch_date > :at::date - 90 AND m.launch_date <= :at::date) AS in_window
  FROM pages g JOIN content_metadata m USING (title_id) WHERE g.row_kind = 'new_releases';
SELECT count(*) AS genre_entries,
       count(*) FILTER (WHERE g.row_label IN (SELECT x || ' picks for you' FROM unnest(m.genres) x)
                           OR g.row_label IN (SELECT 'Popular in ' || x FROM unnest(m.genres) x)) AS of_the_genre
  FROM pages g JOIN content_metadata m USING (title_id) WHERE g.row_kind = 'genre';
-- because you watched: the anchor is a title the user finished, named in
-- the label and the reasons, and the row's scores are cosines of factors
SELECT count(*) AS byw_entries,
       count(*) FILTER (WHERE p.pct >= 90) AS anchor_finished,
       count(*) FILTER (WHERE g.row_label = 'Because you watched ' || m.title
                          AND g.reason = 'similar to ' || m.title) AS named,
       count(*) FILTER (WHERE abs(g.score - nfrec.cosine_sim(fa.factors, ft.factors)) < 1e-5) AS cosine
  FROM pages g JOIN plays p ON p.user_id = g.uid AND p.title_id = g.anchor_title_id
  JOIN content_metadata m ON m.title_id = g.anchor_title_id
  JOIN nfrec.item_factors('hpg') fa ON fa.title_id = g.anchor_title_id
  JOIN nfrec.item_factors('hpg') ft ON ft.title_id = g.title_id
 WHERE g.row_kind = 'because_you_watched';
SELECT count(*) AS anchors_elsewhere FROM pages WHERE anchor_title_id IS NOT NULL AND row_kind <> 'because_you_watched';
-- top picks and genre rows score with the model: their scores are the
-- user's predicted preferences (recommend_for's, for the same title)
SELECT count(*) AS top_entries,
       count(*) FILTER (WHERE abs(g.score - r.score) < 1e-6) AS same_score
  FROM pages g JOIN LATERAL nfrec.recommend_for(g.uid, 200, 'hpg') r ON r.title_id = g.title_id
 WHERE g.row_kind IN ('top_picks', 'genre', 'new_releases') AND g.uid BETWEEN 1 AND 1000;
-- every entry has a score and a reason; artwork is not chosen yet
SELECT count(*) FILTER (WHERE score IS NULL OR reason IS NULL) AS missing, count(artwork_id) AS artwork FROM pages;
-- one real page (first user), for reading
SELECT row_rank, row_kind, row_label, rank, title_id, reason
  FROM pages WHERE uid = (SELECT min(uid) FROM pages WHERE uid > 0) AND rank <= 2 ORDER BY row_rank, rank;

-- rows and per_row
SELECT count(DISTINCT row_rank) AS rows, max(rank) AS per_row
  FROM nfrec.homepage(1, rows => 3, per_row => 2, at => :at, model => 'hpg');
SELECT count(DISTINCT row_rank) AS rows, max(rank) AS per_row
  FROM nfrec.homepage(1, rows => 50, per_row => 100, at => :at, model => 'hpg');
-- diversity 0 gives top picks in score order
SELECT bool_and(ok) AS top_picks_in_score_order FROM (
  SELECT score >= lead(score) OVER (ORDER BY rank) OR lead(score) OVER (ORDER BY rank) IS NULL AS ok
    FROM nfrec.homepage(1, at => :at, model => 'hpg', diversity => 0) WHERE row_kind = 'top_picks') s;

-- a title with no metadata: it is still served, with a reason that needs
-- none; the page keeps its rules
CREATE TABLE hidden AS
SELECT title_id FROM nfrec.homepage(2, at => :at, model => 'hpg') WHERE row_kind = 'top_picks' AND rank = 1;
DELETE FROM content_metadata WHERE title_id IN (SELECT title_id FROM hidden);
SELECT g.row_kind, g.reason FROM nfrec.homepage(2, at => :at, model => 'hpg') g JOIN hidden USING (title_id);
-- without content_metadata at all: no genre or new-release rows, ids in labels
ALTER TABLE content_metadata RENAME TO content_metadata_away;
SELECT DISTINCT row_kind FROM nfrec.homepage(2, at => :at, model => 'hpg') ORDER BY 1;
SELECT count(*) FILTER (WHERE row_label LIKE 'Because you watched title %') > 0 AS ids_in_labels
  FROM nfrec.homepage(2, at => :at, model => 'hpg') WHERE row_kind = 'because_you_watched';
ALTER TABLE content_metadata_away RENAME TO content_metadata;

-- bad input
\set VERBOSITY sqlstate
SELECT * FROM nfrec.homepage(1, rows => 0, at => :at, model => 'hpg');
SELECT * FROM nfrec.homepage(1, rows => 51, at => :at, model => 'hpg');
SELECT * FROM nfrec.homepage(1, rows => NULL, at => :at, model => 'hpg');
SELECT * FROM nfrec.homepage(1, per_row => 0, at => :at, model => 'hpg');
SELECT * FROM nfrec.homepage(1, per_row => -3, at => :at, model => 'hpg');
SELECT * FROM nfrec.homepage(1, per_row => 2147483647, at => :at, model => 'hpg');
SELECT * FROM nfrec.homepage(1, at => NULL, model => 'hpg');
SELECT * FROM nfrec.homepage(1, at => 'infinity', model => 'hpg');
SELECT * FROM nfrec.homepage(1, at => :at, model => 'no_such_model');
SELECT * FROM nfrec.homepage(1, at => :at, model => 'hpg', diversity => 'NaN');
SELECT * FROM nfrec.homepage(1, at => :at, model => 'hpg', diversity => 2);
\set VERBOSITY default
SELECT * FROM nfrec.homepage(1, rows => 51, at => :at, model => 'hpg');
-- device is accepted and does not change the page yet
SELECT (SELECT array_agg(title_id ORDER BY row_rank, rank) FROM nfrec.homepage(1, at => :at, device => 'tablet', model => 'hpg'))
     = (SELECT array_agg(title_id ORDER BY row_rank, rank) FROM nfrec.homepage(1, at => :at, model => 'hpg')) AS device_ignored;

SELECT nfrec.drop_model('hpg');
RESET search_path;
DROP SCHEMA hpg CASCADE;
