-- recommend_for(candidates, diversity): ranking restricted to given titles,
-- and genre calibration (Steck 2018) over content_metadata.  Checked
-- against plain SQL dot products and hand-worked calibrated lists.
\set SHOW_CONTEXT never
SET nfrec.metadata_cache_seconds = 0;
CREATE SCHEMA rc;
SET search_path = rc, public;
-- users 1 = (1, 0), 2 = (0, 1), 3 = (0.5, 0.5); title 10 + k = (1 - k/10, k/10)
CREATE TABLE rc_titles AS
SELECT (10 + k)::bigint AS title_id, ARRAY[(1 - k / 10.0)::real, (k / 10.0)::real] AS f
  FROM generate_series(0, 9) k;
CREATE TABLE rc_events (user_id bigint, title_id bigint, weight real);
INSERT INTO rc_events VALUES (1, 10, 1), (2, 19, 1), (3, 12, 1), (3, 13, 1), (4, 12, 1);
CREATE INDEX ON rc_events (user_id);
SELECT nfrec.deploy('rc', nfrec.als_model_from_factors(
    '{1,2,3,4}', '{{1,0},{0,1},{0.5,0.5},{0.5,0.5}}',
    (SELECT array_agg(title_id ORDER BY title_id) FROM rc_titles),
    (SELECT array_agg(f ORDER BY title_id) FROM rc_titles),
    (SELECT array_agg(user_id) FROM rc_events), (SELECT array_agg(title_id) FROM rc_events),
    (SELECT array_agg(weight) FROM rc_events)), 'rc_events') > 0 AS deployed;

-- the reference: dot products of unseen titles, score desc, title_id asc
CREATE VIEW rc_ref AS
SELECT u.user_id, t.title_id, (u.f[1] * t.f[1] + u.f[2] * t.f[2])::real AS score
  FROM (VALUES (1, ARRAY[1, 0]::real[]), (2, ARRAY[0, 1]::real[])) u(user_id, f), rc_titles t
 WHERE NOT EXISTS (SELECT 1 FROM rc_events e WHERE e.user_id = u.user_id AND e.title_id = t.title_id);

-- candidates: only those titles, in the model's order; NULL elements and
-- unknown ids ignored, duplicates once, a seen title (10) still excluded
SELECT * FROM nfrec.recommend_for(1, 10, 'rc', candidates => '{17, 13, 13, NULL, 999, 10, 12}');
SELECT row_number() OVER (ORDER BY score DESC, title_id)::int AS rank, title_id, score
  FROM rc_ref WHERE user_id = 1 AND title_id IN (17, 13, 12) ORDER BY 1;
-- n still caps the list
SELECT * FROM nfrec.recommend_for(1, 1, 'rc', candidates => '{17, 13, 12}');
-- every candidate subset of user 2 equals the reference restricted to it
SELECT bool_and(got = want) AS all_subsets_match
  FROM (SELECT s AS subset,
               ARRAY(SELECT title_id FROM nfrec.recommend_for(2, 10, 'rc', candidates => c.cand)) AS got,
               ARRAY(SELECT r.title_id FROM rc_ref r WHERE r.user_id = 2 AND r.title_id = ANY (c.cand)
                      ORDER BY r.score DESC, r.title_id) AS want
          FROM generate_series(1, 255) s,
               LATERAL (SELECT array_agg(10 + b) AS cand FROM generate_series(0, 7) b
                         WHERE s & (1 << b) <> 0) c) x;
-- empty array, only NULLs, only unknown ids, only seen titles: no rows
SELECT count(*) AS empty FROM nfrec.recommend_for(1, 10, 'rc', candidates => '{}');
SELECT count(*) AS only_nulls FROM nfrec.recommend_for(1, 10, 'rc', candidates => '{NULL,NULL}');
SELECT count(*) AS only_unknown FROM nfrec.recommend_for(1, 10, 'rc', candidates => '{1,2,-5}');
SELECT count(*) AS only_seen FROM nfrec.recommend_for(1, 10, 'rc', candidates => '{10}');
-- NULL candidates = the whole catalog
SELECT (SELECT array_agg(title_id) FROM nfrec.recommend_for(1, 10, 'rc', candidates => NULL))
     = (SELECT array_agg(title_id) FROM nfrec.recommend_for(1, 10, 'rc')) AS null_is_all;
-- a cold-start user: popularity (training users per title) among candidates
SELECT * FROM nfrec.recommend_for(77, 3, 'rc', candidates => '{19, 12, 15}');
-- fold-in still applies: user 1 watches 11 after training, so it is gone
INSERT INTO rc_events VALUES (1, 11, 1);
SELECT title_id FROM nfrec.recommend_for(1, 10, 'rc', candidates => '{11, 12}');
DELETE FROM rc_events WHERE user_id = 1 AND title_id = 11;
-- bad input
\set VERBOSITY sqlstate
SELECT * FROM nfrec.recommend_for(1, 3, 'rc', candidates => '{{11,12},{13,14}}');
SELECT * FROM nfrec.recommend_for(1, 3, 'rc', diversity => NULL);
SELECT * FROM nfrec.recommend_for(1, 3, 'rc', diversity => -0.1);
SELECT * FROM nfrec.recommend_for(1, 3, 'rc', diversity => 1.5);
SELECT * FROM nfrec.recommend_for(1, 3, 'rc', diversity => 'NaN');
SELECT * FROM nfrec.recommend_for(1, 3, 'rc', diversity => 'Infinity');
-- diversity needs content_metadata on the search_path
SELECT * FROM nfrec.recommend_for(1, 3, 'rc', diversity => 0.5);
\set VERBOSITY default
SELECT * FROM nfrec.recommend_for(1, 3, 'rc', diversity => 0.5);
-- diversity 0 needs no metadata and changes nothing
SELECT * FROM nfrec.recommend_for(1, 3, 'rc', diversity => 0);

-- Genres: 10, 13, 14 are A; 11, 12 are B; 15 has none (no metadata row
-- at all); the rest C.  User 1's history is title 10: p = {A: 1}.
CREATE TABLE content_metadata (title_id bigint PRIMARY KEY, title text, genres text[]);
INSERT INTO content_metadata
SELECT title_id, 'T' || title_id,
       CASE WHEN title_id IN (10, 13, 14) THEN '{A}' WHEN title_id IN (11, 12) THEN '{B}' ELSE '{C}' END::text[]
  FROM rc_titles WHERE title_id <> 15;
-- off: 11 (0.9), 12 (0.8), 13 (0.7)
SELECT * FROM nfrec.recommend_for(1, 3, 'rc');
-- diversity 1 minimises KL(p || q~) alone: the two A titles first (KL 0),
-- then 15, which has no genres and so leaves the list's mix (and KL 0)
-- unchanged, where a B or C title would make q(A) = 2/3.  Scores are the
-- predicted ones.
SELECT * FROM nfrec.recommend_for(1, 3, 'rc', diversity => 1);
-- the same by plain SQL: among all 3-title lists of unseen titles, the
-- smallest KL(p || 0.99 q + 0.01 p), then the largest score sum (q over
-- the titles that have genres)
WITH cand AS (SELECT title_id, score FROM rc_ref WHERE user_id = 1),
g AS (SELECT title_id, genres[1] AS genre FROM content_metadata),
lists AS (
  SELECT ARRAY[a.title_id, b.title_id, c.title_id] AS l, a.score + b.score + c.score AS s
    FROM cand a JOIN cand b ON a.title_id < b.title_id JOIN cand c ON b.title_id < c.title_id),
kl AS (
  SELECT l, s, ln(1 / (0.99 * (SELECT count(*) FROM g WHERE g.title_id = ANY (l) AND genre = 'A')
                        / nullif((SELECT count(*) FROM g WHERE g.title_id = ANY (l)), 0) + 0.01)) AS kl
    FROM lists)
SELECT l AS best_set, round(kl::numeric, 6) AS kl FROM kl ORDER BY kl, s DESC LIMIT 1;
-- diversity 0.5 on user 3 (history 12 B, 13 A: p = {A: .5, B: .5}; every
-- unseen title scores 0.5, so the score order is title_id order).  The
-- relevance is -(score rank + 1.5 popularity rank) / 8 over the 8 unseen
-- titles; popularity = training events (10, 13, 19: 1; 12: 2), ties by
-- score rank, so 10 ranks 1 and 1 (rel -0.3125), 11 ranks 2 and 3
-- (-0.8125), 14 ranks 3 and 4 (-1.125).  First 10: 0.5 (-0.3125 - 1.958)
-- against 0.5 (-0.8125 - 1.958) for 11 (an A or a B title has KL 1.958, a C
-- title or 15 without genres 4.605); then 11, whose B makes q~ = p (KL 0):
-- 0.5 (-0.3125 - 0.8125) = -0.5625, and the cap, (2 + 1) / 2 = 1 title per
-- first genre, rules out 14 (A) anyway.
SELECT * FROM nfrec.recommend_for(3, 2, 'rc', diversity => 0.5);
-- The relevance and the cap alone (a diversity so small that KL, at most
-- 4.61 here, cannot outweigh a gap of 0.5 / 9 in relevance), by plain SQL
-- over the same rows for users 1 and 2, n = 1..9, with two genre layouts:
-- the titles by -(score rank + w popularity rank) (w: the setting
-- nfrec.diversity_popularity_weight, default 1.5), those whose first
-- genre already has ceil(nfrec.diversity_genre_share * n) titles (default
-- 0.5: (n + 1) / 2) skipped while others are left, the skipped ones after
-- them in the same order; the first n of that order, listed by score.
CREATE VIEW rc_borda AS
WITH cand AS (
  SELECT r.user_id, r.title_id, r.score, row_number() OVER w AS srank,
         count(*) OVER (PARTITION BY r.user_id) AS ncand,
         (SELECT count(*) FROM (VALUES (10), (19), (12), (13), (12)) e(t) WHERE e.t = r.title_id) AS pop
    FROM rc_ref r WINDOW w AS (PARTITION BY r.user_id ORDER BY r.score DESC, r.title_id)),
rel AS (
  SELECT c.*, -(c.srank + current_setting('nfrec.diversity_popularity_weight')::numeric
                         * row_number() OVER (PARTITION BY c.user_id ORDER BY c.pop DESC, c.srank)) / c.ncand AS rel,
         m.genres[1] AS genre
    FROM cand c LEFT JOIN content_metadata m USING (title_id)),
ordered AS (
  SELECT r.*, n, row_number() OVER (PARTITION BY r.user_id, n, r.genre ORDER BY r.rel DESC, r.srank) AS in_genre
    FROM rel r, generate_series(1, 9) n),
chosen AS (
  SELECT user_id, n, (array_agg(title_id ORDER BY genre IS NOT NULL
                                  AND in_genre > ceil(current_setting('nfrec.diversity_genre_share')::numeric * n),
                                  rel DESC, srank))[1:n] AS ids
    FROM ordered GROUP BY user_id, n)
SELECT c.user_id, c.n, ARRAY(SELECT r.title_id FROM rc_ref r WHERE r.user_id = c.user_id AND r.title_id = ANY (c.ids)
                             ORDER BY r.score DESC, r.title_id) AS want
  FROM chosen c;
SELECT bool_and(ARRAY(SELECT title_id FROM nfrec.recommend_for(b.user_id, b.n, 'rc', diversity => 0.000001)) = b.want)
       AS borda_and_cap_match, count(*) AS lists
  FROM rc_borda b;
-- the same with a first genre C on every title from 12 up, so the cap binds
UPDATE content_metadata SET genres = '{C, A}' WHERE title_id >= 12;
SELECT bool_and(ARRAY(SELECT title_id FROM nfrec.recommend_for(b.user_id, b.n, 'rc', diversity => 0.000001)) = b.want)
       AS borda_and_cap_match, count(*) AS lists,
       count(*) FILTER (WHERE (SELECT count(*) FROM unnest(b.want) t JOIN content_metadata m ON m.title_id = t
                                WHERE m.genres[1] = 'C') = (b.n + 1) / 2) AS lists_at_the_cap
  FROM rc_borda b;
-- for user 1 at n = 4: 12 and 13 (the two most popular C titles), 11 (B),
-- then 15 (no genres): the C titles 14 and 19 come next by relevance but
-- the cap of 2 rules them out (by score alone: 11, 12, 13, 14); listed by
-- score: 11, 12, 13, 15
SELECT * FROM nfrec.recommend_for(1, 4, 'rc', diversity => 0.000001);
-- the cap follows nfrec.diversity_genre_share: 1 = none (14 is back),
-- 0.25 = one C title in four (12, then 11, 15 and the next C title, 13,
-- by fallback, none other being left)
SET nfrec.diversity_genre_share = 1;
SELECT * FROM nfrec.recommend_for(1, 4, 'rc', diversity => 0.000001);
SET nfrec.diversity_genre_share = 0.25;
SELECT * FROM nfrec.recommend_for(1, 4, 'rc', diversity => 0.000001);
SELECT bool_and(ARRAY(SELECT title_id FROM nfrec.recommend_for(b.user_id, b.n, 'rc', diversity => 0.000001)) = b.want)
       AS borda_and_cap_match, count(*) AS lists
  FROM rc_borda b WHERE b.n <= 4;
RESET nfrec.diversity_genre_share;
-- nfrec.diversity_popularity_weight 0: the score order under the cap
-- (11, 12, 13, then 15 where 14 would be a third C title); 4: more weight
-- on popularity, still as the reference says
SET nfrec.diversity_popularity_weight = 0;
SELECT * FROM nfrec.recommend_for(1, 4, 'rc', diversity => 0.000001);
SELECT bool_and(ARRAY(SELECT title_id FROM nfrec.recommend_for(b.user_id, b.n, 'rc', diversity => 0.000001)) = b.want)
       AS borda_and_cap_match, count(*) AS lists
  FROM rc_borda b;
SET nfrec.diversity_popularity_weight = 4;
SELECT bool_and(ARRAY(SELECT title_id FROM nfrec.recommend_for(b.user_id, b.n, 'rc', diversity => 0.000001)) = b.want)
       AS borda_and_cap_match, count(*) AS lists
  FROM rc_borda b;
RESET nfrec.diversity_popularity_weight;
\set VERBOSITY sqlstate
SET nfrec.diversity_genre_share = 0;
SET nfrec.diversity_genre_share = 1.5;
SET nfrec.diversity_popularity_weight = -1;
SET nfrec.diversity_popularity_weight = 'NaN';
\set VERBOSITY default
UPDATE content_metadata
   SET genres = CASE WHEN title_id IN (13, 14) THEN '{A}' WHEN title_id = 12 THEN '{B}' ELSE '{C}' END::text[]
 WHERE title_id >= 12;
-- the metadata is read with the caller's rights
CREATE ROLE regress_rc_app;
SELECT nfrec.grant_serving('regress_rc_app');
GRANT USAGE ON SCHEMA rc TO regress_rc_app;
GRANT SELECT ON rc_events TO regress_rc_app;
SET ROLE regress_rc_app;
\set VERBOSITY sqlstate
SELECT * FROM nfrec.recommend_for(1, 3, 'rc', diversity => 1);
\set VERBOSITY default
SELECT count(*) AS without_diversity FROM nfrec.recommend_for(1, 3, 'rc');
RESET ROLE;
SELECT nfrec.revoke_serving('regress_rc_app');
REVOKE ALL ON SCHEMA rc FROM regress_rc_app;
REVOKE ALL ON rc_events FROM regress_rc_app;
DROP ROLE regress_rc_app;

SELECT nfrec.drop_model('rc');
RESET search_path;
DROP SCHEMA rc CASCADE;
