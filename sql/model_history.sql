-- Model history: kept versions, rollback, the default model pointer,
-- deployed_at by the clock.
--
\set SHOW_CONTEXT never
-- m(s): one user (1, factor 1), titles 10 (factor s) and 20 (factor 0),
-- no events, so user 1's top title is 10 with score s: the score tells
-- which version served.
CREATE FUNCTION pg_temp.m(s real) RETURNS nfrec.als_model LANGUAGE sql AS
$$ SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{10,20}', ARRAY[[s],[0]]) $$;
CREATE FUNCTION pg_temp.top(model text DEFAULT NULL) RETURNS real LANGUAGE sql AS
$$ SELECT score FROM nfrec.recommend_for(1, 1, model) $$;

-- The default pointer on an empty registry (other tests' models hidden
-- in a transaction): the first model deployed becomes the default, later
-- deploys leave it unless make_default, set_default moves it, dropping it
-- passes it to the most recently deployed remaining model, and dropping
-- the last one leaves no default.
BEGIN;
DELETE FROM nfrec.model_users;
DELETE FROM nfrec.model_store;
DELETE FROM nfrec.model_default;
SELECT nfrec.deploy('h_first', pg_temp.m(0.1)) > 0 AS deployed;
SELECT name FROM nfrec.model_default;
SELECT nfrec.deploy('h_second', pg_temp.m(0.5)) > 0 AS deployed;
SELECT nfrec.deploy('h_third', pg_temp.m(0.7)) > 0 AS deployed;
SELECT name, is_default FROM nfrec.models ORDER BY name;
SELECT pg_temp.top() AS default_serves;
SELECT nfrec.deploy('h_second', pg_temp.m(0.6), make_default => true) > 0 AS deployed;
SELECT name, is_default FROM nfrec.models ORDER BY name;
SELECT pg_temp.top() AS default_serves;
SELECT nfrec.set_default('h_first');
SELECT pg_temp.top() AS default_serves;
-- the setting still overrides it per session
SET nfrec.model = 'h_third';
SELECT pg_temp.top() AS setting_serves, (SELECT name FROM nfrec.models WHERE is_default);
RESET nfrec.model;
SELECT nfrec.drop_model('h_first');
SELECT name FROM nfrec.model_default;
SELECT pg_temp.top() AS default_serves;
SELECT nfrec.drop_model('h_third');
SELECT name FROM nfrec.model_default;
SELECT nfrec.drop_model('h_second');
SELECT count(*) AS default_rows FROM nfrec.model_default;
ROLLBACK;

-- History: deploy keeps the last 3 versions of a name by default; the
-- new one is current, older ones are removed with their user rows.
SELECT nfrec.deploy('h_a', pg_temp.m(0.1)) AS a1 \gset
SELECT nfrec.deploy('h_a', pg_temp.m(0.2)) AS a2 \gset
SELECT nfrec.deploy('h_a', pg_temp.m(0.3)) AS a3 \gset
SELECT version = :a1 AS a1, version = :a2 AS a2, version = :a3 AS a3, is_current
  FROM nfrec.model_history WHERE name = 'h_a' ORDER BY version;
SELECT nfrec.deploy('h_a', pg_temp.m(0.4)) AS a4 \gset
SELECT version = :a2 AS a2, version = :a3 AS a3, version = :a4 AS a4, is_current
  FROM nfrec.model_history WHERE name = 'h_a' ORDER BY version;
SELECT version = :a4 AS current, kept_versions FROM nfrec.models WHERE name = 'h_a';
SELECT (SELECT count(*) FROM nfrec.model_users WHERE version = :a1) AS a1_user_rows,
       (SELECT count(*) FROM nfrec.model_users WHERE version IN (:a2, :a3, :a4)) AS kept_user_rows;
SELECT pg_temp.top('h_a') AS serves;
-- deployed_at follows the order of deployment, even within one transaction
BEGIN;
SELECT nfrec.deploy('h_a', pg_temp.m(0.45)) AS a45 \gset
SELECT nfrec.deploy('h_a', pg_temp.m(0.5)) AS a5 \gset
SELECT bool_and(deployed_at > prev) AS increasing, count(*) AS kept
  FROM (SELECT deployed_at, lag(deployed_at) OVER (ORDER BY version) AS prev
          FROM nfrec.model_history WHERE name = 'h_a') x WHERE prev IS NOT NULL;
SELECT (SELECT deployed_at FROM nfrec.model_history WHERE version = :a5) > now() AS after_transaction_start;
ROLLBACK;

-- Rollback discards the current version and serves the previous one,
-- at once in this session (the cache is keyed by version).
SELECT nfrec.rollback('h_a') = :a3 AS back_to_a3;
SELECT pg_temp.top('h_a') AS serves, nfrec.model_version('h_a') = :a3 AS model_version;
SELECT count(*) AS a4_rows FROM nfrec.model_history WHERE version = :a4;
SELECT count(*) AS a4_user_rows FROM nfrec.model_users WHERE version = :a4;
SELECT nfrec.rollback('h_a') = :a2 AS back_to_a2;
SELECT pg_temp.top('h_a') AS serves, kept_versions FROM nfrec.models WHERE name = 'h_a';
-- a rollback that is itself rolled back changes nothing
BEGIN;
SELECT nfrec.deploy('h_a', pg_temp.m(0.9)) > :a2 AS deployed;
SELECT nfrec.rollback('h_a') = :a2 AS back_to_a2;
SELECT pg_temp.top('h_a') AS serves;
ROLLBACK;
SELECT pg_temp.top('h_a') AS serves;
-- a new deploy after a rollback is current; the next rollback returns
-- to the version rolled back to, not to the discarded one
SELECT nfrec.deploy('h_a', pg_temp.m(0.8)) AS a6 \gset
SELECT nfrec.rollback('h_a') = :a2 AS back_to_a2;

-- keep => 1: no history, so nothing to roll back to
SELECT nfrec.deploy('h_k', pg_temp.m(0.1), keep => 1) AS k1 \gset
SELECT nfrec.deploy('h_k', pg_temp.m(0.2), keep => 1) AS k2 \gset
SELECT count(*) AS kept, max(version) = :k2 AS newest FROM nfrec.model_history WHERE name = 'h_k';
-- a smaller keep prunes older versions kept under a larger one
SELECT nfrec.deploy('h_a', pg_temp.m(0.3), keep => 1) > 0 AS deployed;
SELECT count(*) AS kept FROM nfrec.model_history WHERE name = 'h_a';

-- One-statement retrain: trained_at (clock time in the aggregate) is
-- before deployed_at (clock time at deployment).
CREATE TABLE h_events (user_id bigint, title_id bigint, weight real);
INSERT INTO h_events SELECT u, t, 1 FROM generate_series(1, 20) u, generate_series(1, 5) t WHERE (u + t) % 3 = 0;
SELECT nfrec.deploy('h_t', (SELECT nfrec.als_train(user_id, title_id, weight, '{"factors": 2, "iterations": 2, "verbose": false}')
                            FROM h_events)) > 0 AS deployed;
SELECT trained_at < deployed_at AS trained_before_deployed, deployed_at <= clock_timestamp() AS not_in_future
  FROM nfrec.models WHERE name = 'h_t';

\set VERBOSITY sqlstate
SELECT nfrec.rollback('h_k');
SELECT nfrec.rollback('h_zzz');
SELECT nfrec.rollback(NULL);
SELECT nfrec.set_default('h_zzz');
SELECT nfrec.set_default(NULL);
SELECT nfrec.deploy('h_k', pg_temp.m(0.1), keep => 0);
SELECT nfrec.deploy('h_k', pg_temp.m(0.1), keep => -5);
SELECT nfrec.deploy('h_k', pg_temp.m(0.1), keep => NULL);
SELECT nfrec.deploy('h_k', pg_temp.m(0.1), make_default => NULL);
-- failed calls changed nothing
SELECT count(*) AS kept, max(version) = :k2 AS newest FROM nfrec.model_history WHERE name = 'h_k';
\set VERBOSITY default
SELECT nfrec.rollback('h_k');
SELECT nfrec.deploy('h_k', pg_temp.m(0.1), keep => 0);

SELECT nfrec.drop_model('h_a'), nfrec.drop_model('h_k'), nfrec.drop_model('h_t');
SELECT count(*) AS left_over FROM nfrec.model_history WHERE name LIKE 'h\_%';
DROP TABLE h_events;
