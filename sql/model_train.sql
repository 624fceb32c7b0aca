-- CALL nfrec.train(name, events, options): ALS trained straight into the
-- registry rows.  Checked against als_train + deploy on the same rows (the
-- same code must give the same model, bit for bit), against the events
-- summed in plain SQL, and against the objective recomputed in SQL from
-- the stored factors.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

-- 40 users x 15 titles, with duplicate (user, title) rows (summed), a
-- negative weight (a dislike), a zero weight, and rows with a NULL
-- (skipped), in an order that is not sorted.
CREATE TABLE mt_ev (user_id int, title_id bigint, weight real);
INSERT INTO mt_ev
SELECT 1000 - (g * 7) % 40, 500 + (g * 11 + g / 40) % 15,
       CASE WHEN g % 29 = 0 THEN -2 WHEN g % 31 = 0 THEN 0 ELSE 1 + g % 4 END
  FROM generate_series(1, 700) g;
INSERT INTO mt_ev VALUES (NULL, 501, 1), (960, NULL, 1), (961, 502, NULL);

SELECT coalesce((SELECT name FROM nfrec.model_default), '') AS default_before \gset
\set opts '{"factors": 6, "iterations": 8, "seed": 11, "verbose": false, "threads": 2}'
CALL nfrec.train('mt', 'mt_ev', :'opts');
SELECT nfrec.deploy('mt_agg', nfrec.als_train(user_id, title_id, weight, :'opts'), 'mt_ev') > 0 AS deployed
  FROM mt_ev;

-- the header and the title side are those of als_train's model, exactly
SELECT a.factors, a.users, a.titles, a.training_events, a.iterations,
       a.alpha = b.alpha AS same_alpha, a.regularization = b.regularization AS same_regularization,
       a.loss = b.loss AS same_loss, a.options = b.options AS same_options,
       a.title_ids = b.title_ids AS same_titles, a.title_counts = b.title_counts AS same_counts,
       a.title_factors = b.title_factors AS same_title_factors,
       a.neighbour_rows IS NOT NULL AND a.neighbour_rows = b.neighbour_rows
         AND a.neighbour_scores = b.neighbour_scores AS same_neighbour_lists,
       a.events = 'mt_ev'::regclass AS events_bound, a.kind, a.is_current,
       a.trained_at <= a.deployed_at AS trained_before_deployed, a.train_seconds >= 0 AS timed
  FROM nfrec.model_store a, nfrec.model_store b
 WHERE a.name = 'mt' AND a.is_current AND b.name = 'mt_agg' AND b.is_current;
-- ... and so are the user rows
SELECT count(*) AS users,
       count(*) FILTER (WHERE a.factors = b.factors) AS same_factors,
       count(*) FILTER (WHERE a.title_ids = b.title_ids AND a.weights = b.weights) AS same_events
  FROM nfrec.model_users a
  JOIN nfrec.model_store sa ON sa.version = a.version AND sa.name = 'mt' AND sa.is_current
  JOIN nfrec.model_store sb ON sb.name = 'mt_agg' AND sb.is_current
  JOIN nfrec.model_users b ON b.version = sb.version AND b.user_id = a.user_id;

-- the stored events are the rows summed per (user, title), NULL rows left out
WITH summed AS (
    SELECT user_id, title_id, sum(weight::float8) AS w
      FROM mt_ev WHERE user_id IS NOT NULL AND title_id IS NOT NULL AND weight IS NOT NULL
     GROUP BY 1, 2),
stored AS (
    SELECT u.user_id, t.title_id, t.w
      FROM nfrec.model_users u
      JOIN nfrec.model_store s ON s.version = u.version AND s.name = 'mt' AND s.is_current,
           unnest(u.title_ids, u.weights) AS t(title_id, w))
SELECT (SELECT count(*) FROM summed) AS pairs, (SELECT count(*) FROM stored) AS stored_pairs,
       (SELECT count(*) FROM summed s JOIN stored d USING (user_id, title_id) WHERE s.w = d.w) AS equal_weights,
       (SELECT count(DISTINCT user_id) FROM summed) AS users;
-- title_counts: users with a positive summed weight per title
WITH summed AS (
    SELECT user_id, title_id, sum(weight::float8) AS w
      FROM mt_ev WHERE user_id IS NOT NULL AND title_id IS NOT NULL AND weight IS NOT NULL
     GROUP BY 1, 2)
SELECT array_agg(c ORDER BY title_id) = (SELECT title_counts FROM nfrec.model_store WHERE name = 'mt' AND is_current)
       AS counts_match
  FROM (SELECT title_id, count(*) FILTER (WHERE w > 0)::real AS c FROM summed GROUP BY 1) t;

-- the stored loss is the implicit-ALS objective of the stored factors,
-- recomputed over every (user, title) pair in SQL:
--   sum c (p - x.y)^2 + lambda (sum |x|^2 + sum |y|^2),
--   c = 1 + alpha |w|, p = (w > 0), unobserved pairs c = 1, p = 0
WITH s AS (SELECT * FROM nfrec.model_store WHERE name = 'mt' AND is_current),
y AS (SELECT t.title_id, t.ord, s.title_factors[t.ord:t.ord][1:s.factors] AS f
        FROM s, unnest(s.title_ids) WITH ORDINALITY AS t(title_id, ord)),
yv AS (SELECT title_id, array_agg(v::float8 ORDER BY k) AS f
         FROM y, unnest(y.f) WITH ORDINALITY AS e(v, k) GROUP BY title_id),
x AS (SELECT u.user_id, u.factors::float8[] AS f, u.title_ids, u.weights
        FROM nfrec.model_users u JOIN s ON s.version = u.version),
pairs AS (
    SELECT x.user_id, yv.title_id,
           (SELECT sum(a * b) FROM unnest(x.f, yv.f) AS d(a, b)) AS dot,
           (SELECT t.w FROM unnest(x.title_ids, x.weights) AS t(i, w) WHERE t.i = yv.title_id) AS w
      FROM x, yv),
terms AS (
    SELECT sum((1 + s.alpha * abs(coalesce(w, 0))) * ((CASE WHEN w > 0 THEN 1 ELSE 0 END) - dot) ^ 2) AS fit
      FROM pairs, s),
reg AS (
    SELECT (SELECT sum(v * v) FROM x, unnest(x.f) v) + (SELECT sum(v * v) FROM yv, unnest(yv.f) v) AS sq)
SELECT abs(terms.fit + s.regularization * reg.sq - s.loss) / s.loss < 1e-4 AS loss_matches_objective
  FROM terms, reg, s;

-- serving reads the registry rows: the same recommendations as the
-- deployed als_train model
SELECT count(*) AS users_compared,
       bool_and((SELECT array_agg(title_id ORDER BY rank) FROM nfrec.recommend_for(u, 5, 'mt'))
              = (SELECT array_agg(title_id ORDER BY rank) FROM nfrec.recommend_for(u, 5, 'mt_agg'))) AS same_top5
  FROM generate_series(961, 1000) u;

-- history: a new version per call, keep, rollback, the default pointer
-- the first model deployed becomes the default, later ones do not
SELECT name = coalesce(nullif(:'default_before', ''), 'mt') AS default_as_deploy_sets_it FROM nfrec.model_default;
SELECT version AS v1 FROM nfrec.models WHERE name = 'mt' \gset
CALL nfrec.train('mt', 'mt_ev', '{"factors": 6, "iterations": 8, "seed": 12, "verbose": false}', keep => 2);
SELECT version AS v2 FROM nfrec.models WHERE name = 'mt' \gset
CALL nfrec.train('mt', 'mt_ev', '{"factors": 3, "iterations": 2, "seed": 13, "verbose": false}', keep => 2);
SELECT version AS v3 FROM nfrec.models WHERE name = 'mt' \gset
SELECT :v1 < :v2 AND :v2 < :v3 AS increasing;
SELECT version = :v2 AS v2, version = :v3 AS v3, is_current, users, events
  FROM nfrec.model_history WHERE name = 'mt' ORDER BY version;
SELECT (SELECT count(*) FROM nfrec.model_users WHERE version = :v1) AS v1_user_rows,
       (SELECT count(*) FROM nfrec.model_users WHERE version = :v3) AS v3_user_rows;
SELECT factors, kept_versions FROM nfrec.models WHERE name = 'mt';
SELECT nfrec.rollback('mt') = :v2 AS rolled_back_to_v2;
SELECT version = :v2 AS current_is_v2, factors, kept_versions FROM nfrec.models WHERE name = 'mt';
SELECT count(*) AS v3_user_rows FROM nfrec.model_users WHERE version = :v3;
CALL nfrec.train('mt_other', 'mt_ev', :'opts', make_default => true);
SELECT name FROM nfrec.model_default;

-- a training rolled back with its transaction leaves nothing
BEGIN;
CALL nfrec.train('mt_gone', 'mt_ev', :'opts');
SELECT count(*) AS inside FROM nfrec.models WHERE name = 'mt_gone';
ROLLBACK;
SELECT count(*) AS after_rollback FROM nfrec.models WHERE name = 'mt_gone';

-- bad input: clear errors, nothing stored
SELECT count(*) AS versions_before FROM nfrec.model_store \gset
CALL nfrec.train('mt_bad', 'no_such_table');
CALL nfrec.train(NULL, 'mt_ev');
CALL nfrec.train('', 'mt_ev');
CALL nfrec.train('mt_bad', NULL);
CALL nfrec.train('mt_bad', 'mt_ev', keep => 0);
CALL nfrec.train('mt_bad', 'mt_ev', make_default => NULL);
CALL nfrec.train('mt_bad', 'mt_ev', '{"factors": 0}');
CALL nfrec.train('mt_bad', 'mt_ev', '{"solver": "magic"}');
CALL nfrec.train('mt_bad', 'mt_ev', '{"no_such_option": 1}');
CALL nfrec.train('mt_bad', 'mt_ev', '[1, 2]');
CREATE TABLE mt_nocol (user_id int, item_id bigint, weight real);
CALL nfrec.train('mt_bad', 'mt_nocol');
CREATE TABLE mt_badtype (user_id int, title_id text, weight real);
CALL nfrec.train('mt_bad', 'mt_badtype');
CREATE TABLE mt_empty (user_id int, title_id bigint, weight real);
CALL nfrec.train('mt_bad', 'mt_empty');
INSERT INTO mt_empty VALUES (1, NULL, 1), (NULL, 2, 1);
CALL nfrec.train('mt_bad', 'mt_empty');
CREATE TABLE mt_nan (user_id int, title_id bigint, weight float8);
INSERT INTO mt_nan VALUES (1, 2, 1), (3, 4, 'NaN');
CALL nfrec.train('mt_bad', 'mt_nan');
CREATE TEMP TABLE mt_temp AS SELECT * FROM mt_ev;
CALL nfrec.train('mt_bad', 'mt_temp');
CREATE SEQUENCE mt_seq;
CALL nfrec.train('mt_bad', 'mt_seq');
-- the SQLSTATEs of the errors above
CREATE FUNCTION pg_temp.state(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT c AS call_arguments, pg_temp.state('CALL nfrec.train(' || c || ')') AS sqlstate
  FROM unnest(ARRAY[$a$'mt_bad', 'no_such_table'$a$, $a$NULL, 'mt_ev'$a$, $a$'mt_bad', NULL$a$,
                    $a$'mt_bad', 'mt_ev', keep => 0$a$, $a$'mt_bad', 'mt_ev', '{"factors": 0}'$a$,
                    $a$'mt_bad', 'mt_nocol'$a$, $a$'mt_bad', 'mt_badtype'$a$, $a$'mt_bad', 'mt_empty'$a$,
                    $a$'mt_bad', 'mt_nan'$a$, $a$'mt_bad', 'mt_temp'$a$, $a$'mt_bad', 'mt_seq'$a$]) AS c;
SELECT count(*) = :versions_before AS nothing_stored FROM nfrec.model_store;
-- privileges are the caller's: reading the events needs SELECT on them,
-- writing the registry needs deploy's privileges (README, roles)
CREATE ROLE regress_mt_analyst;
GRANT USAGE ON SCHEMA nfrec TO regress_mt_analyst;
SET ROLE regress_mt_analyst;
CALL nfrec.train('mt_priv', 'mt_ev', :'opts');
RESET ROLE;
GRANT SELECT ON mt_ev TO regress_mt_analyst;
SET ROLE regress_mt_analyst;
CALL nfrec.train('mt_priv', 'mt_ev', :'opts');
RESET ROLE;
SELECT count(*) AS mt_priv_versions FROM nfrec.model_store WHERE name = 'mt_priv';
REVOKE ALL ON mt_ev FROM regress_mt_analyst;
REVOKE USAGE ON SCHEMA nfrec FROM regress_mt_analyst;
DROP ROLE regress_mt_analyst;
-- a view works, and is read with the caller's rights
CREATE VIEW mt_view AS SELECT user_id, title_id, weight FROM mt_ev WHERE user_id > 980;
CALL nfrec.train('mt_view_model', 'mt_view', :'opts');
SELECT users, events_relation FROM nfrec.models WHERE name = 'mt_view_model';
-- the internal row functions need a model trained in this transaction
SELECT * FROM nfrec._trained_store_row();
SELECT count(*) FROM nfrec._trained_user_rows();

-- the routines are pinned and commented
SELECT p.oid::regprocedure AS routine, p.prokind, p.proconfig,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p
 WHERE p.pronamespace = 'nfrec'::regnamespace
   AND p.proname IN ('train', '_train_als', '_trained_store_row', '_trained_user_rows',
                     '_train_forget', '_deploy_check', '_deploy_begin', '_deploy_finish')
 ORDER BY 1::text;

SELECT nfrec.set_default(:'default_before') WHERE :'default_before' <> '';
SELECT nfrec.drop_model(name) FROM nfrec.models WHERE name IN ('mt', 'mt_agg', 'mt_other', 'mt_view_model');
DROP VIEW mt_view;
DROP TABLE mt_ev, mt_nocol, mt_badtype, mt_empty, mt_nan;
DROP SEQUENCE mt_seq;
-- Parallel als_train: partial states travel in a compact form (varint
-- user deltas, ids and integer weights; float4/float8 weights exactly).
-- Rows with every kind of id and weight give the same model in parallel
-- as serially.
CREATE TABLE mt_par AS
SELECT CASE WHEN g % 97 = 0 THEN -9223372036854775808 WHEN g % 89 = 0 THEN 9223372036854775807
            ELSE (hashint4(g) & 1023)::bigint * 1000003 - 500000000 END AS user_id,
       CASE WHEN g % 83 = 0 THEN -9223372036854775808 WHEN g % 79 = 0 THEN 9223372036854775807
            ELSE (hashint4(g * 7 + 1) & 63)::bigint END AS title_id,
       CASE g % 6 WHEN 0 THEN 1 + (g % 5)          -- integers
                  WHEN 1 THEN 0.25 * (g % 9)        -- exact in float4
                  WHEN 2 THEN 0.1 * (g % 7) + 0.01  -- float8 only
                  WHEN 3 THEN -3.0                   -- a dislike
                  WHEN 4 THEN 1e300 / 1e300 * 4503599627370497  -- integer above 2^52
                  ELSE 1.5e-7 END::float8 AS weight
  FROM generate_series(1, 30000) g;
INSERT INTO mt_par VALUES (5, 5, '-0'), (5, 6, 0);
ANALYZE mt_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT nfrec.als_train(user_id, title_id, weight, '{"factors": 4, "iterations": 2, "alpha": 1e-16, "verbose": false}') FROM mt_par;
CREATE TEMP TABLE mt_par_model AS
SELECT nfrec.als_train(user_id, title_id, weight, '{"factors": 4, "iterations": 2, "alpha": 1e-16, "verbose": false}') AS m FROM mt_par;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE mt_ser_model AS
SELECT nfrec.als_train(user_id, title_id, weight, '{"factors": 4, "iterations": 2, "alpha": 1e-16, "verbose": false}') AS m FROM mt_par;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
-- the same users, events (summed weights) and factors; the events against SQL sums
SELECT (SELECT count(*) FROM mt_par_model p, nfrec._model_user_rows(p.m)) AS users,
       (SELECT count(*) FROM (SELECT r.* FROM mt_par_model p, nfrec._model_user_rows(p.m) r
                              EXCEPT SELECT r.* FROM mt_ser_model s, nfrec._model_user_rows(s.m) r) d) AS differing_user_rows,
       (SELECT (nfrec.model_info(p.m)->>'loss') = (nfrec.model_info(s.m)->>'loss') FROM mt_par_model p, mt_ser_model s) AS same_loss;
WITH stored AS (
    SELECT r.user_id, t.title_id, t.w
      FROM mt_par_model p, nfrec._model_user_rows(p.m) r, unnest(r.title_ids, r.weights) AS t(title_id, w)),
summed AS (SELECT user_id, title_id, sum(weight)::real AS w FROM mt_par GROUP BY 1, 2)
SELECT count(*) AS pairs, count(*) FILTER (WHERE s.w = d.w) AS equal_weights,
       count(*) FILTER (WHERE s.user_id = -9223372036854775808 OR s.title_id = 9223372036854775807) AS extreme_id_pairs
  FROM summed s LEFT JOIN stored d USING (user_id, title_id);
DROP TABLE mt_par;

RESET client_min_messages;
