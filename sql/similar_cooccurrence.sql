-- similar_titles blended with co-occurrence (doc/serve.md, "Similar
-- titles and support"): the neighbour lists deploy stores, checked against
-- a brute-force SQL co-occurrence over the same training rows; the blend
-- against the formula; min_support; models without lists; rollback and
-- drop_model; bad input.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SELECT nfrec.generate_demo(users => 300, titles => 120, days => 90, seed => 7) IS NOT NULL AS generated;
CREATE TABLE sc_train AS
SELECT user_id, title_id, weight FROM interactions;
-- a few dislikes: negative summed weights do not count as co-occurrence
UPDATE sc_train SET weight = -1 WHERE (user_id + title_id) % 11 = 0;
CREATE TABLE sc_model AS
SELECT nfrec.als_train(user_id, title_id, weight,
                       '{"factors": 8, "iterations": 5, "seed": 1, "verbose": false}') AS m
  FROM sc_train;
SELECT nfrec.deploy('sc', m) AS v1 FROM sc_model \gset
RESET client_min_messages;

-- the training events as deploy stored them (summed per user and title)
CREATE TEMP VIEW sc_ev AS
SELECT u.user_id, e.t AS title_id, e.w AS weight
  FROM nfrec.model_users u, unnest(u.title_ids, u.weights) AS e(t, w)
 WHERE u.version = :v1;
-- titles in model order, with their 1-based position
CREATE TEMP VIEW sc_pos AS
SELECT t.id AS title_id, t.pos::int AS pos
  FROM nfrec.model_store s, unnest(s.title_ids) WITH ORDINALITY AS t(id, pos)
 WHERE s.version = :v1;

SELECT array_dims(neighbour_rows) AS rows_dims, array_dims(neighbour_scores) AS scores_dims,
       titles, (SELECT count(*) FROM sc_ev WHERE weight > 0) AS positive_events,
       (SELECT count(*) FROM sc_ev WHERE weight <= 0) AS other_events
  FROM nfrec.model_store WHERE version = :v1;

-- brute force: C(a, b) = users with both (positive weights), n(b) = users
-- with b, score = C / (n(b) + 10) as real, the best 50 per title by score
-- desc, title_id asc
CREATE TEMP TABLE sc_brute AS
WITH pos AS (SELECT user_id, title_id FROM sc_ev WHERE weight > 0),
     n AS (SELECT title_id, count(*) AS n FROM pos GROUP BY title_id),
     c AS (SELECT a.title_id AS a, b.title_id AS b, count(*) AS c
             FROM pos a JOIN pos b ON a.user_id = b.user_id AND a.title_id <> b.title_id
            GROUP BY 1, 2),
     s AS (SELECT c.a, c.b, (c.c::float8 / (n.n + 10))::real AS score
             FROM c JOIN n ON n.title_id = c.b),
     r AS (SELECT s.*, row_number() OVER (PARTITION BY a ORDER BY score DESC, b) AS k FROM s)
SELECT a, k, b, score FROM r WHERE k <= 50;
-- the stored lists, unpacked
CREATE TEMP TABLE sc_stored AS
SELECT pa.title_id AS a, j AS k, pb.title_id AS b, s.neighbour_scores[pa.pos][j] AS score
  FROM nfrec.model_store s
 CROSS JOIN sc_pos pa
 CROSS JOIN generate_series(1, array_length(s.neighbour_rows, 2)) j
  LEFT JOIN sc_pos pb ON pb.pos = s.neighbour_rows[pa.pos][j]
 WHERE s.version = :v1 AND s.neighbour_rows[pa.pos][j] <> 0;
SELECT (SELECT count(*) FROM sc_brute) AS brute_pairs, (SELECT count(*) FROM sc_stored) AS stored_pairs,
       (SELECT count(*) FROM (SELECT * FROM sc_brute EXCEPT SELECT * FROM sc_stored) x) AS missing,
       (SELECT count(*) FROM (SELECT * FROM sc_stored EXCEPT SELECT * FROM sc_brute) x) AS extra;
-- padding: score 0 exactly where there is no neighbour
SELECT count(*) FILTER (WHERE (s.neighbour_rows[p.pos][j] = 0) <> (s.neighbour_scores[p.pos][j] = 0)) AS bad_padding
  FROM nfrec.model_store s CROSS JOIN sc_pos p
 CROSS JOIN generate_series(1, array_length(s.neighbour_rows, 2)) j
 WHERE s.version = :v1;

-- similar_titles: (1 - w) cos(factors) + w s(a, b) / s_max(a), with
-- s = 0 outside a's list (an anchor that shares no user with any title:
-- the cosine alone), titles with fewer than min_support users left out
CREATE TEMP TABLE sc_fac AS SELECT * FROM nfrec.item_factors('sc');
CREATE TEMP TABLE sc_cnt AS
SELECT t.id AS title_id, t.c AS users
  FROM nfrec.model_store s, unnest(s.title_ids, s.title_counts) AS t(id, c) WHERE s.version = :v1;
CREATE FUNCTION pg_temp.expected(w float8, min_support int, n int)
RETURNS TABLE(a bigint, rank bigint, b bigint, score real) LANGUAGE sql AS $$
  WITH smax AS (SELECT a, max(score) AS m FROM sc_stored GROUP BY a),
  s AS (
    SELECT fa.title_id AS a, fb.title_id AS b,
           (CASE WHEN smax.m IS NULL THEN nfrec.cosine_sim(fa.factors, fb.factors)
                 ELSE (1 - w) * nfrec.cosine_sim(fa.factors, fb.factors)
                      + w * coalesce(st.score::float8 / smax.m, 0) END)::real AS score
      FROM sc_fac fa JOIN sc_fac fb ON fb.title_id <> fa.title_id
      JOIN sc_cnt c ON c.title_id = fb.title_id AND c.users >= min_support
      LEFT JOIN sc_stored st ON st.a = fa.title_id AND st.b = fb.title_id
      LEFT JOIN smax ON smax.a = fa.title_id)
  SELECT a, rank, b, score FROM (
    SELECT a, row_number() OVER (PARTITION BY a ORDER BY score DESC, b) AS rank, b, score FROM s) x
   WHERE rank <= n
$$;
CREATE FUNCTION pg_temp.served(min_support int, n int)
RETURNS TABLE(a bigint, rank bigint, b bigint, score real) LANGUAGE sql AS $$
  SELECT f.title_id, s.rank, s.title_id, s.score
    FROM sc_fac f CROSS JOIN LATERAL nfrec.similar_titles(f.title_id, n, 'sc', min_support) s
$$;
-- same titles in the same order; scores within float rounding
CREATE FUNCTION pg_temp.compare(w float8, min_support int, n int)
RETURNS TABLE(w float8, min_support int, rows bigint, same_rows bigint, scores_agree boolean)
LANGUAGE sql AS $$
  SELECT w, min_support, count(*), count(*) FILTER (WHERE e.b = s.b),
         max(abs(e.score - s.score)) < 1e-6 AS scores_agree
    FROM pg_temp.expected(w, min_support, n) e
    FULL JOIN pg_temp.served(min_support, n) s ON s.a = e.a AND s.rank = e.rank
$$;
SHOW nfrec.cooccurrence_weight;
SELECT * FROM pg_temp.compare(0.5, 5, 10);
SELECT * FROM pg_temp.compare(0.5, 0, 10);
SET nfrec.cooccurrence_weight = 0.2;
SELECT * FROM pg_temp.compare(0.2, 5, 10);
SET nfrec.cooccurrence_weight = 1;
SELECT * FROM pg_temp.compare(1, 5, 10);
-- 0: the cosine of factors alone, as before co-occurrence
SET nfrec.cooccurrence_weight = 0;
SELECT * FROM pg_temp.compare(0, 5, 10);
RESET nfrec.cooccurrence_weight;

-- the blend lifts co-watched titles: the share of the top 10 from the
-- anchor's planted taste community, over the 20 most watched titles
SELECT w, round(avg((ta.community = tb.community)::int), 3) AS same_community
  FROM (VALUES (0.0), (0.5)) v(w)
 CROSS JOIN LATERAL (SELECT * FROM pg_temp.expected(v.w, 5, 10)) e
  JOIN demo_title_truth ta ON ta.title_id = e.a JOIN demo_title_truth tb ON tb.title_id = e.b
 WHERE e.a IN (SELECT title_id FROM sc_cnt ORDER BY users DESC, title_id LIMIT 20)
 GROUP BY w ORDER BY w;

-- the homepage's "because you watched" rows rank by the same score, and
-- leave out titles with fewer than 5 training users
CREATE FUNCTION pg_temp.pair_score(a bigint, b bigint, w float8) RETURNS real LANGUAGE sql AS $$
  SELECT (CASE WHEN smax.m IS NULL THEN nfrec.cosine_sim(fa.factors, fb.factors)
               ELSE (1 - w) * nfrec.cosine_sim(fa.factors, fb.factors)
                    + w * coalesce((SELECT st.score::float8 FROM sc_stored st WHERE st.a = $1 AND st.b = $2)
                                   / smax.m, 0) END)::real
    FROM sc_fac fa, sc_fac fb, (SELECT max(score) AS m FROM sc_stored WHERE sc_stored.a = $1) smax
   WHERE fa.title_id = a AND fb.title_id = b
$$;
SELECT count(*) > 50 AS byw_entries, count(DISTINCT h.user_id) > 10 AS users,
       bool_and(abs(h.score - pg_temp.pair_score(h.anchor_title_id, h.title_id, 0.5)) < 1e-6) AS scores_agree,
       min(c.users) >= 5 AS supported
  FROM (SELECT u AS user_id, p.*
          FROM generate_series(1, 80) u,
               LATERAL nfrec.homepage(u, rows => 10, per_row => 5, at => '2026-01-01', model => 'sc') p) h
  JOIN sc_cnt c ON c.title_id = h.title_id
 WHERE h.row_kind = 'because_you_watched';

-- min_support edge cases: a floor above every title gives no rows; the
-- floor applies to neighbours, not to the anchor
SELECT count(*) AS rows_above_every_title
  FROM nfrec.similar_titles((SELECT title_id FROM sc_cnt ORDER BY users DESC, title_id LIMIT 1), 10, 'sc',
                            (SELECT max(users)::int + 1 FROM sc_cnt));
SELECT count(*) > 0 AS rare_anchor_has_neighbours, min(c.users) >= 5 AS neighbours_supported
  FROM nfrec.similar_titles((SELECT title_id FROM sc_cnt ORDER BY users, title_id LIMIT 1), 10, 'sc') s
  JOIN sc_cnt c USING (title_id);
SELECT * FROM nfrec.similar_titles(1, 10, 'sc', -1);
SELECT * FROM nfrec.similar_titles(1, 10, 'sc', NULL);
SELECT count(*) AS unknown_title FROM nfrec.similar_titles(-5, 10, 'sc');

-- the history cap: at most history titles of a user count (the highest
-- weights, ties lower title_id); brute force with the same cap
CREATE TEMP TABLE sc_cap AS
WITH pos AS (SELECT user_id, title_id,
                    row_number() OVER (PARTITION BY user_id ORDER BY weight DESC, title_id) AS r
               FROM sc_ev WHERE weight > 0),
     kept AS (SELECT user_id, title_id FROM pos WHERE r <= 3),
     n AS (SELECT title_id, count(*) AS n FROM kept GROUP BY title_id),
     c AS (SELECT a.title_id AS a, b.title_id AS b, count(*) AS c
             FROM kept a JOIN kept b ON a.user_id = b.user_id AND a.title_id <> b.title_id
            GROUP BY 1, 2),
     s AS (SELECT c.a, c.b, (c.c::float8 / (n.n + 10))::real AS score FROM c JOIN n ON n.title_id = c.b),
     r AS (SELECT s.*, row_number() OVER (PARTITION BY a ORDER BY score DESC, b) AS k FROM s)
SELECT a, k, b, score FROM r WHERE k <= 4;
CREATE TEMP TABLE sc_cap_stored AS
SELECT pa.title_id AS a, j AS k, pb.title_id AS b, x.neighbour_scores[pa.pos][j] AS score
  FROM nfrec._model_neighbours((SELECT m FROM sc_model), neighbours => 4, history => 3) x
 CROSS JOIN sc_pos pa CROSS JOIN generate_series(1, 4) j
  LEFT JOIN sc_pos pb ON pb.pos = x.neighbour_rows[pa.pos][j]
 WHERE x.neighbour_rows[pa.pos][j] <> 0;
SELECT (SELECT count(*) FROM sc_cap) AS brute_pairs,
       (SELECT count(*) FROM (SELECT * FROM sc_cap EXCEPT SELECT * FROM sc_cap_stored) x) AS missing,
       (SELECT count(*) FROM (SELECT * FROM sc_cap_stored EXCEPT SELECT * FROM sc_cap) x) AS extra;

-- a hand example: users 1 {10, 20, 30}, 2 {10, 20}, 3 {30, 40}, 4 {40}
-- C(10,20) = 2, C(10,30) = 1, C(30,40) = 1; n = 2, 2, 2, 2;
-- scores C / (n + 10): 2/12, 1/12
SELECT x.neighbour_rows, x.neighbour_scores = '{{0.16666667,0.083333336},{0.16666667,0.083333336},{0.083333336,0.083333336},{0.083333336,0}}'::real[] AS scores_ok,
       x.neighbour_scores
  FROM nfrec._model_neighbours(nfrec.als_model_from_factors(
           '{1,2,3,4}', '{{1,0},{0,1},{1,1},{1,-1}}', '{10,20,30,40}', '{{1,0},{0,1},{1,1},{1,-1}}',
           '{1,1,1,2,2,3,3,4}', '{10,20,30,10,20,30,40,40}', '{1,1,1,1,1,1,1,1}'), 2, 256) x;
-- one title, or no positive event: no lists
SELECT x.* FROM nfrec._model_neighbours(nfrec.als_model_from_factors(
           '{1}', '{{1,0}}', '{10}', '{{1,0}}', '{1}', '{10}', '{1}')) x;
SELECT x.* FROM nfrec._model_neighbours(nfrec.als_model_from_factors(
           '{1}', '{{1,0}}', '{10,20}', '{{1,0},{0,1}}', '{1,1}', '{10,20}', '{-1,0}')) x;

-- models without lists keep the cosine of factors: imported factors
-- without events, an EASE model
SELECT nfrec.deploy('sc_noev', nfrec.als_model_from_factors(
           '{1,2}', '{{1,0},{0,1}}', '{10,20,30}', '{{1,0},{0.6,0.8},{0,1}}')) AS v_noev \gset
SELECT neighbour_rows IS NULL AS no_rows, neighbour_scores IS NULL AS no_scores
  FROM nfrec.model_store WHERE version = :v_noev;
SELECT * FROM nfrec.similar_titles(10, 5, 'sc_noev');
SET client_min_messages = warning;
SELECT nfrec.deploy('sc_ease', nfrec.ease_train(user_id, title_id, weight, '{"verbose": false}')) AS v_ease
  FROM sc_train \gset
RESET client_min_messages;
SELECT neighbour_rows IS NULL AS no_rows FROM nfrec.model_store WHERE version = :v_ease;

-- rollback: the previous version serves with its own lists again
CREATE TEMP TABLE sc_before AS SELECT * FROM pg_temp.served(5, 10);
SELECT nfrec.deploy('sc', nfrec.als_train(user_id, title_id, weight,
                    '{"factors": 4, "iterations": 3, "seed": 2, "verbose": false}')) AS v2
  FROM sc_train \gset
SELECT count(*) FILTER (WHERE neighbour_rows IS NOT NULL) AS versions_with_lists
  FROM nfrec.model_store WHERE name = 'sc';
SELECT count(*) > 0 AS changed
  FROM (SELECT * FROM pg_temp.served(5, 10) EXCEPT SELECT * FROM sc_before) x;
SELECT nfrec.rollback('sc') = :v1 AS rolled_back;
SELECT count(*) AS differences
  FROM (SELECT * FROM pg_temp.served(5, 10) EXCEPT SELECT * FROM sc_before) x;
-- drop_model removes every version, lists included
SELECT nfrec.drop_model('sc');
SELECT count(*) AS sc_rows FROM nfrec.model_store WHERE name = 'sc';

-- a serving role reads no list directly
CREATE ROLE regress_sc_app;
SELECT nfrec.grant_serving('regress_sc_app');
SET ROLE regress_sc_app;
SELECT neighbour_rows FROM nfrec.model_store LIMIT 1;
SELECT count(*) AS served FROM nfrec.similar_titles(10, 5, 'sc_noev');
RESET ROLE;
SELECT nfrec.revoke_serving('regress_sc_app');
DROP ROLE regress_sc_app;

-- bad input
SELECT * FROM nfrec._model_neighbours((SELECT nfrec.als_model_from_factors(
           '{1}', '{{1,0}}', '{10,20}', '{{1,0},{0,1}}', '{1,1}', '{10,20}', '{1,1}')), 0, 256);
SELECT * FROM nfrec._model_neighbours((SELECT nfrec.als_model_from_factors(
           '{1}', '{{1,0}}', '{10,20}', '{{1,0},{0,1}}', '{1,1}', '{10,20}', '{1,1}')), 5, 1);
SELECT * FROM nfrec._model_neighbours(NULL);
SET nfrec.cooccurrence_weight = 1.5;
SET nfrec.cooccurrence_weight = -0.1;

SELECT nfrec.drop_model('sc_noev');
SELECT nfrec.drop_model('sc_ease');
DROP TABLE sc_train, sc_model;
