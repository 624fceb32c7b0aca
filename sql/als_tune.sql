-- nfrec.als_tune: grid search with nfrec.als_train, evaluated with
-- nfrec.evaluate on a validation relation.
--
SET client_min_messages = warning;   -- training progress NOTICEs
\set SHOW_CONTEXT never

-- Two taste groups of 40 users over 30 titles: group A plays titles 1-15,
-- group B titles 16-30 (every user about 8 of them); a hash split keeps
-- 25 % of the pairs for validation.
CREATE TABLE tune_all AS
SELECT u::bigint AS user_id, t::bigint AS title_id, (1 + (u * t) % 3)::float8 AS weight
  FROM generate_series(1, 80) u, generate_series(1, 30) t
 WHERE (CASE WHEN u <= 40 THEN t <= 15 ELSE t > 15 END)
   AND (u * 7 + t * 11) % 15 < 8;
CREATE TABLE tune_train AS SELECT * FROM tune_all WHERE NOT nfrec.holdout(user_id, title_id, 0.25, 7);
CREATE TABLE tune_valid AS SELECT user_id, title_id FROM tune_all WHERE nfrec.holdout(user_id, title_id, 0.25, 7);
SELECT count(*) > 0 AS has_train, (SELECT count(*) > 0 FROM tune_valid) AS has_valid FROM tune_train;

CREATE TEMP TABLE tune_result AS
SELECT * FROM nfrec.als_tune('tune_train', 'tune_valid',
                             '{"factors": [2, 4], "regularization": [0.01, 1]}', 5,
                             '{"iterations": 5, "seed": 3, "alpha": 10}');
-- one row per configuration, base options merged in, exactly one best,
-- the best has the highest ndcg, metrics in range
SELECT count(*) AS configurations,
       count(*) FILTER (WHERE is_best) AS best_rows,
       count(DISTINCT options) AS distinct_options,
       bool_and(options @> '{"iterations": 5, "seed": 3, "alpha": 10}') AS base_merged,
       bool_and(options ? 'factors' AND options ? 'regularization') AS grid_keys,
       bool_and(precision BETWEEN 0 AND 1 AND recall BETWEEN 0 AND 1 AND ndcg BETWEEN 0 AND 1
                AND map BETWEEN 0 AND 1 AND coverage BETWEEN 0 AND 1) AS in_range,
       bool_and(train_seconds >= 0) AS timed
  FROM tune_result;
SELECT ndcg = (SELECT max(ndcg) FROM tune_result) AS best_is_max FROM tune_result WHERE is_best;
-- the reported figures are those of evaluate() on the model the options train
SELECT abs(r.ndcg - e.ndcg) < 1e-12 AND abs(r.recall - e.recall) < 1e-12 AS reproducible
  FROM tune_result r,
       LATERAL (SELECT nfrec.als_train(user_id, title_id, weight, r.options) AS m FROM tune_train) t,
       LATERAL nfrec.evaluate(t.m, 'tune_valid', 5) e
 WHERE r.is_best;
-- the taste groups are learnable: the best configuration beats popularity
SELECT r.ndcg > e.pop_ndcg AS beats_popularity
  FROM tune_result r,
       LATERAL (SELECT nfrec.als_train(user_id, title_id, weight, r.options) AS m FROM tune_train) t,
       LATERAL nfrec.evaluate(t.m, 'tune_valid', 5) e
 WHERE r.is_best;
-- another metric picks its own best; a scalar grid value is one choice
SELECT count(*) AS configurations, count(*) FILTER (WHERE is_best) AS best_rows,
       bool_and(NOT is_best OR recall = (SELECT max(recall) FROM nfrec.als_tune('tune_train', 'tune_valid',
            '{"factors": 2, "regularization": [0.1, 1]}', 5, '{"iterations": 3, "seed": 1}'))) AS best_is_max
  FROM nfrec.als_tune('tune_train', 'tune_valid', '{"factors": 2, "regularization": [0.1, 1]}', 5,
                      '{"iterations": 3, "seed": 1}', metric => 'recall');
-- an empty grid trains the base options once
SELECT count(*) AS configurations, bool_and(is_best) AS best
  FROM nfrec.als_tune('tune_train', 'tune_valid', '{}', 5, '{"factors": 2, "iterations": 2, "seed": 1}');

\set VERBOSITY sqlstate
SELECT * FROM nfrec.als_tune('tune_train', 'tune_valid', '[1, 2]');
SELECT * FROM nfrec.als_tune('tune_train', 'tune_valid', '{"factors": []}');
SELECT * FROM nfrec.als_tune('tune_train', 'tune_valid', '{"factors": [2]}', 0);
SELECT * FROM nfrec.als_tune('tune_train', 'tune_valid', '{"factors": [2]}', 5, '[]');
SELECT * FROM nfrec.als_tune('tune_train', 'tune_valid', '{"factors": [2]}', 5, metric => 'auc');
SELECT * FROM nfrec.als_tune('tune_valid', 'tune_valid', '{"factors": [2]}');
SELECT * FROM nfrec.als_tune('tune_train', 'no_such_table', '{"factors": [2]}');
\set VERBOSITY default
SELECT * FROM nfrec.als_tune('tune_train', 'tune_valid', '{"factors": []}');
SELECT * FROM nfrec.als_tune('tune_valid', 'tune_valid', '{"factors": [2]}');

DROP TABLE tune_all, tune_train, tune_valid;
