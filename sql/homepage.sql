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
-- no context or artwork fit (context.sql leaves one): the page rules below
-- are checked context-free; the context section at the end fits its own
DELETE FROM nfrec.context_affinity;
DELETE FROM nfrec.context_fit;
DELETE FROM nfrec.artwork_stats;
DELETE FROM nfrec.artwork_prior;
DELETE FROM nfrec.artwork_fit;
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
-- the plays read through viewing_events' user_id index (the default) and
-- by the query give the same pages, row for row
SET nfrec.events_direct = off;
CREATE TABLE pages_query AS
SELECT u.user_id AS uid, h.*
  FROM (SELECT user_id FROM subscriptions ORDER BY user_id LIMIT 60) u,
       nfrec.homepage(u.user_id, at => :at, model => 'hpg') h;
INSERT INTO pages_query SELECT 9001, h.* FROM nfrec.homepage(9001, at => :at, model => 'hpg') h;
RESET nfrec.events_direct;
SELECT (SELECT count(*) FROM pages_query) AS page_rows,
       (SELECT count(*) FROM (TABLE pages_query EXCEPT ALL
                              SELECT * FROM pages WHERE uid NOT IN (123456789, -1)) d) AS only_by_query,
       (SELECT count(*) FROM (SELECT * FROM pages WHERE uid NOT IN (123456789, -1) EXCEPT ALL
                              TABLE pages_query) d) AS only_direct;
DROP TABLE pages_query;
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
-- the label and the reasons, and the row's scores are similar_titles'
-- (cosine of factors blended with co-occurrence; sql/similar_cooccurrence
-- checks both against brute force); with the blend off, cosines of factors
SELECT count(*) AS byw_entries,
       count(*) FILTER (WHERE p.pct >= 90) AS anchor_finished,
       count(*) FILTER (WHERE g.row_label = 'Because you watched ' || m.title
                          AND g.reason = 'similar to ' || m.title) AS named,
       count(*) FILTER (WHERE abs(g.score - (SELECT s.score FROM nfrec.similar_titles(g.anchor_title_id, 1000, 'hpg') s
                                             WHERE s.title_id = g.title_id)) < 1e-5) AS similar_titles_score
  FROM pages g JOIN plays p ON p.user_id = g.uid AND p.title_id = g.anchor_title_id
  JOIN content_metadata m ON m.title_id = g.anchor_title_id
 WHERE g.row_kind = 'because_you_watched';
SET nfrec.cooccurrence_weight = 0;
SELECT count(*) AS byw_entries,
       count(*) FILTER (WHERE abs(h.score - nfrec.cosine_sim(fa.factors, ft.factors)) < 1e-5) AS cosine
  FROM generate_series(1, 200) u,
       LATERAL nfrec.homepage(u, rows => 8, per_row => 4, at => :at, model => 'hpg') h
  JOIN nfrec.item_factors('hpg') fa ON fa.title_id = h.anchor_title_id
  JOIN nfrec.item_factors('hpg') ft ON ft.title_id = h.title_id
 WHERE h.row_kind = 'because_you_watched';
RESET nfrec.cooccurrence_weight;
SELECT count(*) AS anchors_elsewhere FROM pages WHERE anchor_title_id IS NOT NULL AND row_kind <> 'because_you_watched';
-- top picks and genre rows score with the model: their scores are the
-- user's predicted preferences (recommend_for's, for the same title)
SELECT count(*) AS top_entries,
       count(*) FILTER (WHERE abs(g.score - r.score) < 1e-6) AS same_score
  FROM pages g JOIN LATERAL nfrec.recommend_for(g.uid, 200, 'hpg') r ON r.title_id = g.title_id
 WHERE g.row_kind IN ('top_picks', 'genre', 'new_releases') AND g.uid BETWEEN 1 AND 1000;
-- every entry has a score and a reason; no artwork fit: no artwork
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
-- the default diversity: no first genre fills more than half of a top-picks
-- row (5 of 10) in any page of the test, and without diversity some do
SELECT max(n) FILTER (WHERE d = 'default') AS max_first_genre_default,
       max(n) FILTER (WHERE d = 'off') AS max_first_genre_off
  FROM (SELECT d, h.uid, m.genres[1], count(*) AS n
          FROM (SELECT 'default' AS d, u AS uid, h.title_id, h.row_kind
                  FROM generate_series(1, 300) u, LATERAL nfrec.homepage(u, at => :at, model => 'hpg') h
                UNION ALL
                SELECT 'off', u, h.title_id, h.row_kind
                  FROM generate_series(1, 300) u, LATERAL nfrec.homepage(u, at => :at, model => 'hpg', diversity => 0) h) h
          JOIN content_metadata m USING (title_id)
         WHERE h.row_kind = 'top_picks' GROUP BY 1, 2, 3) s;
-- nfrec.diversity_genre_share 0.3: 3 of 10 (0.3 * 10 is 3.0000000000000004
-- in floating point; rounding that up would allow 4)
SET nfrec.diversity_genre_share = 0.3;
SELECT max(n) AS max_first_genre_at_0_3
  FROM (SELECT h.uid, m.genres[1], count(*) AS n
          FROM (SELECT u AS uid, h.title_id FROM generate_series(1, 300) u,
                       LATERAL nfrec.homepage(u, at => :at, model => 'hpg') h WHERE h.row_kind = 'top_picks') h
          JOIN content_metadata m USING (title_id) GROUP BY 1, 2) s;
RESET nfrec.diversity_genre_share;

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
-- no context fit: device changes nothing, nor does recommend_for's context
SELECT (SELECT array_agg(title_id ORDER BY row_rank, rank) FROM nfrec.homepage(1, at => :at, device => 'tablet', model => 'hpg'))
     = (SELECT array_agg(title_id ORDER BY row_rank, rank) FROM nfrec.homepage(1, at => :at, model => 'hpg')) AS device_ignored;
SELECT (SELECT array_agg(array[title_id::real, score] ORDER BY rank) FROM nfrec.recommend_for(1, 10, 'hpg', at => :at, device => 'tablet'))
     = (SELECT array_agg(array[title_id::real, score] ORDER BY rank) FROM nfrec.recommend_for(1, 10, 'hpg')) AS no_fit_no_change;

-- context (at, device) with a fit on the demo's plays (planted context
-- effects).  pg_regress runs in PST8PDT: 15:00 UTC is a morning.
\set ctxat '''2026-01-01 15:00+00'''
SELECT nfrec.day_part(:ctxat) AS day_part, starts > 0 AS fitted FROM nfrec.fit_context('viewing_events');
-- recommend_for = context_rerank of the context-free best 100 (max(10 n, 100)), first 10
CREATE TEMP TABLE ctx_cases (at timestamptz, device text);
INSERT INTO ctx_cases VALUES (:ctxat, 'tablet'), (:ctxat, 'tv'), (:ctxat, NULL), (NULL, 'phone'),
                             ('2026-01-02 04:00+00', 'tv'), (:ctxat, 'toaster'), (:ctxat, '');
SELECT c.at, c.device,
       (SELECT array_agg(array[r.title_id::float8, r.score] ORDER BY r.rank)
          FROM nfrec.recommend_for(u.uid, 10, 'hpg', at => c.at, device => c.device) r)
     = (SELECT array_agg(array[x.title_id::float8, x.score] ORDER BY x.rank)
          FROM (SELECT array_agg(title_id ORDER BY rank) ids, array_agg(score ORDER BY rank) sc
                  FROM nfrec.recommend_for(u.uid, 100, 'hpg')) p,
               nfrec.context_rerank(p.ids, p.sc, c.at, c.device, n => 10) x) AS equals_context_rerank,
       (SELECT array_agg(r.title_id ORDER BY r.rank) FROM nfrec.recommend_for(u.uid, 10, 'hpg', at => c.at, device => c.device) r)
     <> (SELECT array_agg(r.title_id ORDER BY r.rank) FROM nfrec.recommend_for(u.uid, 10, 'hpg') r) AS order_changed
  FROM ctx_cases c, (VALUES (1), (123456789)) u(uid) ORDER BY u.uid, c.at, c.device;
-- an unknown device is the day part's margin, as in context_rerank
SELECT (SELECT array_agg(title_id ORDER BY rank) FROM nfrec.recommend_for(1, 10, 'hpg', at => :ctxat, device => 'toaster'))
     = (SELECT array_agg(title_id ORDER BY rank) FROM nfrec.recommend_for(1, 10, 'hpg', at => :ctxat)) AS unknown_device_is_margin;
-- homepage's top_picks (diversity 0) = context_rerank of the same pool
-- without the user's plays before at and the titles of the rows above it
CREATE TEMP TABLE ctx_pages AS
SELECT u.uid, h.* FROM (VALUES (1), (2), (3), (123456789)) u(uid),
       nfrec.homepage(u.uid, at => :ctxat, device => 'tablet', model => 'hpg', diversity => 0) h;
WITH pool AS (
  SELECT u.uid, array_agg(r.title_id ORDER BY r.rank) ids, array_agg(r.score ORDER BY r.rank) sc
    FROM (SELECT DISTINCT uid FROM ctx_pages) u, nfrec.recommend_for(u.uid, 100, 'hpg') r GROUP BY 1),
want AS (
  SELECT p.uid, row_number() OVER (PARTITION BY p.uid ORDER BY x.rank) AS rank, x.title_id, x.score
    FROM pool p, nfrec.context_rerank(p.ids, p.sc, :ctxat, 'tablet') x
   WHERE x.title_id NOT IN (SELECT v.title_id FROM viewing_events v
                             WHERE v.user_id = p.uid AND v.event_type = 'play' AND v.started_at < :ctxat)
     AND x.title_id NOT IN (SELECT g.title_id FROM ctx_pages g
                             WHERE g.uid = p.uid AND g.row_rank < (SELECT t.row_rank FROM ctx_pages t
                                                                    WHERE t.uid = p.uid AND t.row_kind = 'top_picks' LIMIT 1))),
got AS (SELECT uid, rank, title_id, score FROM ctx_pages WHERE row_kind = 'top_picks')
SELECT g.uid, count(*) AS top_picks, count(*) FILTER (WHERE w.title_id = g.title_id AND w.score = g.score) AS as_context_rerank
  FROM got g LEFT JOIN want w USING (uid, rank) GROUP BY 1 ORDER BY 1;
-- ... and the context changes the page
SELECT (SELECT array_agg(title_id ORDER BY row_rank, rank) FROM ctx_pages WHERE uid = 1)
    <> (SELECT array_agg(title_id ORDER BY row_rank, rank)
          FROM nfrec.homepage(1, at => :ctxat, model => 'hpg', diversity => 0)) AS device_changes_page;
-- the page rules still hold under a context
SELECT count(*) AS duplicates FROM (SELECT uid, title_id FROM ctx_pages GROUP BY 1, 2 HAVING count(*) > 1) d;
-- bad context values
\set VERBOSITY sqlstate
SELECT * FROM nfrec.recommend_for(1, 10, 'hpg', at => 'infinity');
SELECT * FROM nfrec.recommend_for(1, 10, 'hpg', at => '-infinity', device => 'tv');
SELECT * FROM nfrec.homepage(1, at => '-infinity', device => 'tv', model => 'hpg');
\set VERBOSITY default
SELECT * FROM nfrec.recommend_for(1, 10, 'hpg', at => 'infinity');
-- NULL user: no rows whatever the context
SELECT count(*) AS null_user FROM nfrec.recommend_for(NULL, 10, 'hpg', at => :ctxat, device => 'tv');

-- artwork: the Thompson pick of pick_artwork, seeded by the date of at
-- (YYYYMMDD in the session's time zone): repeatable and equal to
-- pick_artwork for the page's titles and that seed
SELECT shown > 0 AS fitted FROM nfrec.fit_artwork('artwork_impressions');
CREATE TEMP TABLE art_pages AS
SELECT u.uid, h.* FROM (SELECT user_id AS uid FROM subscriptions ORDER BY user_id LIMIT 20) u,
       nfrec.homepage(u.uid, at => :ctxat, model => 'hpg') h;
INSERT INTO art_pages SELECT 123456789, h.* FROM nfrec.homepage(123456789, at => :ctxat, model => 'hpg') h;
SELECT count(*) AS entries, count(a.artwork_id) AS with_artwork,
       count(*) FILTER (WHERE a.artwork_id IS NOT DISTINCT FROM k.artwork_id) AS as_pick_artwork
  FROM (SELECT uid, array_agg(title_id) AS ids FROM art_pages GROUP BY 1) p
  CROSS JOIN LATERAL nfrec.pick_artwork(p.uid, p.ids, seed => 20260101) k
  JOIN art_pages a ON a.uid = p.uid AND a.title_id = k.title_id;
CREATE TEMP TABLE art_page AS SELECT * FROM nfrec.homepage(1, at => :ctxat, model => 'hpg');
SELECT (SELECT array_agg(array[title_id, artwork_id] ORDER BY row_rank, rank) FROM art_page)
     = (SELECT array_agg(array[title_id, artwork_id] ORDER BY row_rank, rank)
          FROM nfrec.homepage(1, at => :ctxat, model => 'hpg')) AS repeatable;
-- no user: no segment, no artwork
SELECT count(artwork_id) AS anonymous_artwork FROM nfrec.homepage(NULL, at => :ctxat, model => 'hpg');

-- cold titles: a title launched after training, mapped in by
-- deploy_cold_titles, is a new release with a reason that says it is new
INSERT INTO content_metadata (title_id, title, content_type, genres, description, release_year, launch_date)
SELECT 5001, 'The Late Arrival', content_type, genres, description, 2025, date '2025-12-20'
  FROM content_metadata WHERE title_id = (SELECT title_id FROM pages WHERE uid = 1 AND row_kind = 'top_picks' AND rank = 1);
SELECT nfrec.deploy_cold_titles('hpg', neighbours => 5) > 0 AS cold_deployed;
SELECT options -> 'cold_titles' AS cold_titles FROM nfrec.model_store WHERE name = 'hpg' AND is_current;
CREATE TEMP TABLE cold_pages AS
SELECT u.uid, h.* FROM (SELECT user_id AS uid FROM subscriptions ORDER BY user_id LIMIT 60) u,
       nfrec.homepage(u.uid, rows => 50, per_row => 100, at => :at, model => 'hpg') h;
SELECT row_kind, count(*) AS pages,
       count(*) FILTER (WHERE reason LIKE 'new title, similar to %' OR reason LIKE 'new title: %'
                           OR reason = 'new title, matched to the catalog by its content') AS says_new
  FROM cold_pages WHERE title_id = 5001 GROUP BY 1 ORDER BY 1;
-- the named title is the user's played title nearest by factors when that
-- one has a positive cosine, and no title is named otherwise (the genre or
-- content reason of src/homepage.c ColdReason)
SELECT count(*) AS reasons,
       count(*) FILTER (WHERE n.sim > 0 AND c.reason = 'new title, similar to ' || m.title) AS nearest_played,
       count(*) FILTER (WHERE n.sim <= 0 AND c.reason NOT LIKE 'new title, similar to %') AS none_similar
  FROM cold_pages c
  CROSS JOIN LATERAL (
    SELECT v.title_id, nfrec.cosine_sim(a.factors, b.factors) AS sim FROM (SELECT DISTINCT title_id FROM viewing_events
                             WHERE user_id = c.uid AND event_type = 'play' AND started_at < :at) v
      JOIN nfrec.item_factors('hpg') a ON a.title_id = v.title_id
      JOIN nfrec.item_factors('hpg') b ON b.title_id = 5001
     ORDER BY nfrec.cosine_sim(a.factors, b.factors) DESC, v.title_id LIMIT 1) n
  JOIN content_metadata m ON m.title_id = n.title_id
 WHERE c.title_id = 5001 AND c.row_kind = 'new_releases';
DELETE FROM content_metadata WHERE title_id = 5001;
DELETE FROM nfrec.context_affinity;
DELETE FROM nfrec.context_fit;
DELETE FROM nfrec.artwork_stats;
DELETE FROM nfrec.artwork_prior;
DELETE FROM nfrec.artwork_fit;

SELECT nfrec.drop_model('hpg');
RESET search_path;
DROP SCHEMA hpg CASCADE;
