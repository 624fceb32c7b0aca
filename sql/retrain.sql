-- nfrec.retrain: held-out split, guardrail both ways, the run log, failures
-- logged and raised again, bad input.
\set SHOW_CONTEXT never
-- the runs' NOTICEs carry version numbers and metrics that vary with the
-- machine and the tests before; their text is checked in the log instead
SET client_min_messages = warning;
CREATE SCHEMA rt;
CREATE FUNCTION rt.msg(text) RETURNS text LANGUAGE sql AS
$$ SELECT regexp_replace(regexp_replace($1, 'version \d+', 'version N', 'g'), '\d\.\d+', 'x.xxxx', 'g') $$;
SET search_path = rt, public;

-- 300 users in 6 taste communities of 10 titles (user u in community u % 6),
-- each watching about 6 of their community's titles and 2 titles anywhere:
-- a rank-1 model cannot tell the communities apart, 8 factors can.
CREATE TABLE ev AS
SELECT user_id, title_id, sum(weight)::real AS weight FROM (
    SELECT u::bigint AS user_id, ((u % 6) * 10 + j)::bigint AS title_id, 1 AS weight
      FROM generate_series(1, 300) u, generate_series(1, 10) j
     WHERE abs(hashint4(u * 100 + j)) % 10 < 6
    UNION ALL
    SELECT u, 1 + abs(hashint4(u * 7 + x)) % 60, 1
      FROM generate_series(1, 300) u, generate_series(1, 2) x) s
GROUP BY user_id, title_id;
SELECT count(*) AS pairs, count(DISTINCT user_id) AS users, count(DISTINCT title_id) AS titles FROM ev;

-- the held-out pairs (nfrec.holdout at 0.1, seed 0) and the training rows
CREATE TABLE heldout AS SELECT user_id, title_id FROM ev WHERE nfrec.holdout(user_id, title_id, 0.1, 0);
CREATE TABLE train AS SELECT * FROM ev WHERE NOT nfrec.holdout(user_id, title_id, 0.1, 0);
SELECT (SELECT count(*) FROM heldout) AS heldout, (SELECT count(*) FROM train) AS train;

-- the default model is another one, so no run here refreshes the
-- dashboards whatever earlier tests left (sql/retrain_refresh.sql tests that)
CREATE TABLE saved_default AS SELECT name FROM nfrec.model_default;
SELECT nfrec.deploy('rt_default', nfrec.als_train(user_id, title_id, weight,
                    '{"factors": 2, "iterations": 1, "verbose": false}'),
                    make_default => true) > 0 AS placeholder_default
  FROM ev;

-- 1. The first run deploys whatever it trains (nothing to compare with).
CALL nfrec.retrain('rt_m', 'ev', '{"factors": 8, "iterations": 10, "verbose": false}');
SELECT name, decision, version = nfrec.model_version('rt_m') AS version_is_current, rt.msg(message),
       current_version, current, finished_at >= started_at AS finished,
       parameters, events
  FROM nfrec.retrain_log ORDER BY run_id DESC LIMIT 1;
-- the candidate's figures equal nfrec.evaluate of als_train over the
-- training rows on the held-out pairs, computed here independently
WITH m AS (SELECT nfrec.als_train(user_id, title_id, weight, '{"factors": 8, "iterations": 10, "verbose": false}') AS m FROM train),
     e AS (SELECT e.* FROM m, nfrec.evaluate(m.m, 'heldout', 10) e)
SELECT (l.candidate->>'ndcg')::float8 = e.ndcg AS same_ndcg,
       (l.candidate->>'recall')::float8 = e.recall AS same_recall,
       (l.candidate->>'users')::bigint = e.users AS same_users,
       (l.candidate->>'test_pairs')::bigint = (SELECT count(*) FROM heldout) AS same_test_pairs,
       (l.candidate->>'train_events')::bigint = (SELECT count(*) FROM train) AS trained_on_train_rows,
       round(e.ndcg::numeric, 2) > round(e.pop_ndcg::numeric, 2) AS beats_popularity
  FROM nfrec.retrain_log l, e
 WHERE l.run_id = (SELECT max(run_id) FROM nfrec.retrain_log);
-- deployed bound to ev, trained before it was deployed
SELECT events_relation, trained_at <= deployed_at AS trained_first FROM nfrec.models WHERE name = 'rt_m';

-- 2. A deliberately bad candidate (one factor, one iteration) is rejected:
-- the old version stays current, the log says why.
SELECT nfrec.model_version('rt_m') AS v1 \gset
CALL nfrec.retrain('rt_m', 'ev', '{"factors": 1, "iterations": 1, "verbose": false}');
SELECT decision, version, current_version = :v1 AS compared_with_v1, rt.msg(message),
       (candidate->>'ndcg')::float8 < 0.98 * (current->>'ndcg')::float8 AS worse_beyond_tolerance,
       nfrec.model_version('rt_m') = :v1 AS v1_still_current
  FROM nfrec.retrain_log ORDER BY run_id DESC LIMIT 1;
SELECT count(*) AS kept_versions FROM nfrec.model_history WHERE name = 'rt_m';

-- 3. A good candidate (the same options and data: the same model) is not
-- worse, so it deploys as a new version; so does a slightly worse one
-- within the tolerance, and not beyond it.
CALL nfrec.retrain('rt_m', 'ev', '{"factors": 8, "iterations": 10, "verbose": false}');
SELECT decision, version = nfrec.model_version('rt_m') AS new_version_current,
       current_version = :v1 AS compared_with_v1,
       candidate->'ndcg' = current->'ndcg' AS equal_ndcg
  FROM nfrec.retrain_log ORDER BY run_id DESC LIMIT 1;
SELECT count(*) AS kept_versions FROM nfrec.model_history WHERE name = 'rt_m';
-- tolerance 0.9 accepts the one-factor model (not 10 times worse)
CALL nfrec.retrain('rt_m', 'ev', '{"factors": 1, "iterations": 1, "verbose": false}', tolerance => 0.9);
SELECT decision, (candidate->>'ndcg')::float8 >= 0.1 * (current->>'ndcg')::float8 AS within_tolerance
  FROM nfrec.retrain_log ORDER BY run_id DESC LIMIT 1;
-- the metric decides: by recall with tolerance 0 the 8-factor model wins back
CALL nfrec.retrain('rt_m', 'ev', '{"factors": 8, "iterations": 10, "verbose": false}', metric => 'recall', tolerance => 0);
SELECT decision, parameters->>'metric' AS metric FROM nfrec.retrain_log ORDER BY run_id DESC LIMIT 1;

-- 4. Why the deployed model is the one trained on the split: a model
-- trained on every pair has the held-out pairs among its training titles,
-- which evaluate leaves out of its lists, so its held-out metrics are
-- zero.  retrain compares only on held-out pairs the current version did
-- not train on; here there are none, so the candidate is rejected.
SELECT nfrec.deploy('rt_all', nfrec.als_train(user_id, title_id, weight, '{"factors": 8, "iterations": 10, "verbose": false}'), 'ev') > 0 AS deployed
  FROM ev;
SELECT users, ndcg, recall FROM nfrec.evaluate('rt_all', 'heldout', 10);
CALL nfrec.retrain('rt_all', 'ev', '{"factors": 8, "iterations": 10, "verbose": false}');
SELECT decision, candidate->'test_pairs' AS test_pairs, current->'ndcg' AS current_ndcg, rt.msg(message)
  FROM nfrec.retrain_log ORDER BY run_id DESC LIMIT 1;

-- 5. A run that fails (invalid training options) is logged as failed with
-- its SQLSTATE, and the error is raised again; nothing is deployed.
SELECT nfrec.model_version('rt_m') AS v_before \gset
\set VERBOSITY sqlstate
CALL nfrec.retrain('rt_m', 'ev', '{"factors": 0}');
\set VERBOSITY default
SELECT name, decision, version, finished_at IS NOT NULL AS finished, message
  FROM nfrec.retrain_log ORDER BY run_id DESC LIMIT 1;
SELECT nfrec.model_version('rt_m') = :v_before AS unchanged;
-- no training row: every row held out
CREATE TABLE ev_one AS SELECT * FROM ev WHERE false;
INSERT INTO ev_one VALUES (1, 1, 1);
CALL nfrec.retrain('rt_one', 'ev_one', holdout => 0.999999);
SELECT name, decision, message FROM nfrec.retrain_log ORDER BY run_id DESC LIMIT 1;

-- 6. Bad input is an error before any run is logged.
SELECT count(*) AS runs FROM nfrec.retrain_log \gset
\set VERBOSITY sqlstate
CALL nfrec.retrain(NULL, 'ev');
CALL nfrec.retrain('', 'ev');
CALL nfrec.retrain('rt_m', NULL);
CALL nfrec.retrain('rt_m', 'ev', NULL);
CALL nfrec.retrain('rt_m', 'ev', '[1]');
CALL nfrec.retrain('rt_m', 'ev', holdout => 0);
CALL nfrec.retrain('rt_m', 'ev', holdout => 1);
CALL nfrec.retrain('rt_m', 'ev', holdout => 'NaN');
CALL nfrec.retrain('rt_m', 'ev', holdout => '-Infinity');
CALL nfrec.retrain('rt_m', 'ev', k => 0);
CALL nfrec.retrain('rt_m', 'ev', metric => 'auc');
CALL nfrec.retrain('rt_m', 'ev', tolerance => 1);
CALL nfrec.retrain('rt_m', 'ev', tolerance => -0.1);
CALL nfrec.retrain('rt_m', 'ev', tolerance => 'NaN');
CALL nfrec.retrain('rt_m', 'ev', keep => 0);
CALL nfrec.retrain('rt_m', 'ev', seed => NULL);
CALL nfrec.retrain('rt_m', 'no_such_table');
CREATE TABLE ev_noweight AS SELECT user_id, title_id FROM ev;
CALL nfrec.retrain('rt_m', 'ev_noweight');
CREATE TEMP TABLE ev_temp AS SELECT * FROM ev;
CALL nfrec.retrain('rt_m', 'ev_temp');
-- it commits, so it cannot run inside a transaction block
BEGIN;
CALL nfrec.retrain('rt_m', 'ev', '{"factors": 8, "iterations": 10, "verbose": false}');
ROLLBACK;
\set VERBOSITY default
SELECT count(*) = :runs AS nothing_logged FROM nfrec.retrain_log;
-- the caller's search_path is untouched
SHOW search_path;

-- 7. The log and the registry agree: every deployed run's version is kept
-- or was pushed out by keep, and each run's decision has its fields.
SELECT decision, count(*), bool_and(finished_at IS NOT NULL) AS finished,
       bool_and((decision = 'deployed') = (version IS NOT NULL)) AS version_iff_deployed
  FROM nfrec.retrain_log GROUP BY decision ORDER BY decision;

SELECT nfrec.drop_model('rt_m'), nfrec.drop_model('rt_all'), nfrec.drop_model('rt_default');
DELETE FROM nfrec.model_default;
INSERT INTO nfrec.model_default (name) SELECT name FROM saved_default;
DROP SCHEMA rt CASCADE;
