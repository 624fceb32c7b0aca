-- nfrec.evaluate: ranking quality on held-out rows next to a popularity
-- baseline, checked by hand and against lists built in plain SQL.
\set SHOW_CONTEXT never

-- By hand.  Titles 10 = (1,0), 20 = (0,1), 30 = (1,1); user 1 = (1,0)
-- trained on 10, user 2 = (0,1) trained on 30; popularity: 10 and 30 one
-- user each, 20 none.  Test: user 1 -> {20, 30}, user 2 -> {10}, user 3
-- (unknown: popularity list) -> {10}.  At k = 2:
--   user 1: list [30, 20]: 2 hits, p 1, r 1, ndcg 1, AP 1
--   user 2: list [20, 10]: hit at 2, p 1/2, r 1, ndcg 1/log2(3), AP 1/2
--   user 3: list [10, 30]: hit at 1, p 1/2, r 1, ndcg 1, AP 1
--   means: p 2/3, r 1, ndcg (2 + 0.63093)/3 = 0.87698, MAP 5/6
-- Popularity (excluding training titles): user 1 [30, 20], user 2
-- [10, 20], user 3 [10, 30]: p 2/3, r 1, ndcg 1, MAP 1.  Both lists cover
-- all 3 titles.
CREATE TABLE e_test (user_id int, title_id int, weight real);
INSERT INTO e_test VALUES (1, 30, 1), (1, 20, 1), (2, 10, 1), (3, 10, 1), (3, 10, 1), (NULL, 10, 1), (1, NULL, 1);
CREATE TABLE e_events (user_id bigint, title_id bigint, weight real);
SELECT nfrec.deploy('eval_small', nfrec.als_model_from_factors('{1,2}', '{{1,0},{0,1}}', '{10,20,30}',
       '{{1,0},{0,1},{1,1}}', '{1,2}', '{10,30}', '{1,1}'), 'e_events') > 0 AS deployed;
SELECT users, cold_users, round(precision::numeric, 5) AS precision, recall,
       round(ndcg::numeric, 5) AS ndcg, round(map::numeric, 5) AS map, coverage,
       round(pop_precision::numeric, 5) AS pop_precision, pop_recall, pop_ndcg, pop_map, pop_coverage
  FROM nfrec.evaluate('eval_small', 'e_test', 2);
-- the bound events relation is ignored (it usually holds the test rows)
INSERT INTO e_events SELECT * FROM e_test;
SELECT round(ndcg::numeric, 5) AS ndcg FROM nfrec.evaluate('eval_small', 'e_test', 2);
-- precision divides by k even when the catalog is smaller
SELECT round(precision::numeric, 5) AS precision, recall FROM nfrec.evaluate('eval_small', 'e_test', 10);

-- Against SQL: 12 titles x 3 factors (exact float sums), 8 trained users,
-- test rows for 10 users (two unknown to the model), k = 4.
CREATE TABLE e_titles AS
SELECT t::bigint AS title_id,
       ARRAY(SELECT ((((t * 7 + a * 3) % 9) - 4) * 0.5)::real FROM generate_series(0, 2) a) AS f
  FROM generate_series(101, 112) t;
CREATE TABLE e_users AS
SELECT u::bigint AS user_id,
       ARRAY(SELECT ((((u * 5 + a * 11) % 9) - 4) * 0.5)::real FROM generate_series(0, 2) a) AS f
  FROM generate_series(1, 8) u;
CREATE TABLE e_train AS
SELECT u::bigint AS user_id, t::bigint AS title_id, 1::real AS weight
  FROM generate_series(1, 8) u, generate_series(101, 112) t
 WHERE (u + t) % 4 = 0 OR (t IN (103, 107) AND u % 2 = 0);
CREATE TABLE e_holdout AS
SELECT u::bigint AS user_id, t::bigint AS title_id
  FROM generate_series(1, 10) u, generate_series(101, 112) t
 WHERE (u * 3 + t) % 5 = 0 AND NOT ((u + t) % 4 = 0 OR (t IN (103, 107) AND u % 2 = 0));
CREATE TEMP TABLE e_model AS
SELECT nfrec.als_model_from_factors(
    (SELECT array_agg(user_id ORDER BY user_id) FROM e_users),
    (SELECT array_agg(f ORDER BY user_id) FROM e_users),
    (SELECT array_agg(title_id ORDER BY title_id) FROM e_titles),
    (SELECT array_agg(f ORDER BY title_id) FROM e_titles),
    (SELECT array_agg(user_id) FROM e_train),
    (SELECT array_agg(title_id) FROM e_train),
    (SELECT array_agg(weight) FROM e_train)) AS m;
SELECT nfrec.deploy('eval_big', m) > 0 AS deployed FROM e_model;

WITH pop AS (
    SELECT t.title_id, count(e.user_id) AS n FROM e_titles t LEFT JOIN e_train e USING (title_id) GROUP BY t.title_id
), cand AS (
    SELECT h.user_id, t.title_id,
           (SELECT sum(a * b) FROM unnest(u.f, t.f) z(a, b)) AS score, p.n
      FROM (SELECT DISTINCT user_id FROM e_holdout) h
      CROSS JOIN e_titles t
      JOIN pop p USING (title_id)
      LEFT JOIN e_users u USING (user_id)
     WHERE NOT EXISTS (SELECT 1 FROM e_train e WHERE e.user_id = h.user_id AND e.title_id = t.title_id)
), lists AS (
    SELECT user_id,
           (array_agg(title_id ORDER BY (CASE WHEN score IS NULL THEN n ELSE score END) DESC, title_id))[1:4] AS model_list,
           (array_agg(title_id ORDER BY n DESC, title_id))[1:4] AS pop_list
      FROM cand GROUP BY user_id
), scored AS (
    SELECT l.*, (SELECT array_agg(title_id) FROM e_holdout h WHERE h.user_id = l.user_id) AS rel FROM lists l
), ref AS (
    SELECT count(*) AS users,
           avg(nfrec.precision_at_k(model_list, rel, 4)) AS p, avg(nfrec.recall_at_k(model_list, rel, 4)) AS r,
           avg(nfrec.ndcg_at_k(model_list, rel, 4)) AS ndcg, avg(nfrec.average_precision_at_k(model_list, rel, 4)) AS map,
           (SELECT count(DISTINCT x) FROM scored, unnest(model_list) x) / 12.0 AS cov,
           avg(nfrec.precision_at_k(pop_list, rel, 4)) AS pp, avg(nfrec.recall_at_k(pop_list, rel, 4)) AS pr,
           avg(nfrec.ndcg_at_k(pop_list, rel, 4)) AS pndcg, avg(nfrec.average_precision_at_k(pop_list, rel, 4)) AS pmap,
           (SELECT count(DISTINCT x) FROM scored, unnest(pop_list) x) / 12.0 AS pcov
      FROM scored
)
SELECT e.users = ref.users AS users, e.cold_users,
       abs(e.precision - ref.p) < 1e-12 AS p, abs(e.recall - ref.r) < 1e-12 AS r,
       abs(e.ndcg - ref.ndcg) < 1e-12 AS ndcg, abs(e.map - ref.map) < 1e-12 AS map,
       abs(e.coverage - ref.cov) < 1e-12 AS cov,
       abs(e.pop_precision - ref.pp) < 1e-12 AS pp, abs(e.pop_recall - ref.pr) < 1e-12 AS pr,
       abs(e.pop_ndcg - ref.pndcg) < 1e-12 AS pndcg, abs(e.pop_map - ref.pmap) < 1e-12 AS pmap,
       abs(e.pop_coverage - ref.pcov) < 1e-12 AS pcov,
       round(e.ndcg::numeric, 4) AS model_ndcg, round(e.pop_ndcg::numeric, 4) AS pop_ndcg
  FROM nfrec.evaluate('eval_big', 'e_holdout', 4) e, ref;
-- a model value evaluates the same as its deployed copy
SELECT a = b AS same
  FROM (SELECT nfrec.evaluate(m, 'e_holdout', 4) AS a FROM e_model) x,
       (SELECT nfrec.evaluate('eval_big', 'e_holdout', 4) AS b) y;
-- an empty test relation: no users, no metrics
CREATE TABLE e_empty (user_id bigint, title_id bigint);
SELECT * FROM nfrec.evaluate('eval_big', 'e_empty');

\set VERBOSITY sqlstate
SELECT * FROM nfrec.evaluate('eval_big', 'e_holdout', 0);
SELECT * FROM nfrec.evaluate('eval_big', NULL, 4);
SELECT * FROM nfrec.evaluate('no_such_model', 'e_holdout', 4);
SELECT * FROM nfrec.evaluate(NULL::nfrec.als_model, 'e_holdout', 4);
CREATE TABLE e_bad (user_id bigint, item bigint);
SELECT * FROM nfrec.evaluate('eval_big', 'e_bad', 4);
\set VERBOSITY default
SELECT * FROM nfrec.evaluate('eval_big', 'e_bad', 4);

SELECT nfrec.drop_model('eval_small'), nfrec.drop_model('eval_big');
DROP TABLE e_test, e_events, e_titles, e_users, e_train, e_holdout, e_empty, e_bad;
