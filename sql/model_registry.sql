-- Model registry: deploy, nfrec.models, drop_model, the nfrec.model
-- setting, version checks of the per-backend cache, events validation.
-- (History, rollback and the default pointer: model_history.)
--
\set SHOW_CONTEXT never
-- Model A: users 1 = (1,0), 2 = (0,1); titles 10 = (1,0), 20 = (0,1),
-- 30 = (1,1); user 1 trained on 10, user 2 on 30.  User 1 scores
-- 30 -> 1, 20 -> 0.  Model B negates the titles: user 1 gets 20 (0)
-- before 30 (-1).

CREATE TABLE r_events (user_id bigint, title_id bigint, weight real);
CREATE INDEX ON r_events (user_id);
CREATE FUNCTION pg_temp.model_a() RETURNS nfrec.als_model LANGUAGE sql AS
$$ SELECT nfrec.als_model_from_factors('{1,2}', '{{1,0},{0,1}}', '{10,20,30}',
       '{{1,0},{0,1},{1,1}}', '{1,2}', '{10,30}', '{1,1}') $$;
CREATE FUNCTION pg_temp.model_b() RETURNS nfrec.als_model LANGUAGE sql AS
$$ SELECT nfrec.als_model_from_factors('{1,2}', '{{1,0},{0,1}}', '{10,20,30}',
       '{{-1,0},{0,-1},{-1,-1}}', '{1,2}', '{10,30}', '{1,1}') $$;

SELECT nfrec.deploy('reg_a', pg_temp.model_a(), 'r_events') AS v1 \gset
SELECT name, users, titles, events, factors, iterations, alpha, regularization, options,
       train_seconds, round(final_loss::numeric, 6) AS final_loss, events_relation, is_default,
       version = :v1 AS version_returned, deployed_at <= now() AS deployed_before_now,
       trained_at IS NULL AS imported_factors_have_no_training_time
  FROM nfrec.models WHERE name = 'reg_a';
SELECT nfrec.model_version('reg_a') = :v1 AS model_version;
SELECT * FROM nfrec.recommend_for(1, 3, 'reg_a');

-- make_default => true makes a model the default ...
SELECT nfrec.deploy('reg_b', pg_temp.model_b(), make_default => true) AS v2 \gset
SELECT :v2 > :v1 AS newer;
SELECT * FROM nfrec.recommend_for(1, 3);
SELECT name FROM nfrec.models WHERE is_default;
-- ... unless the setting nfrec.model names one
SET nfrec.model = 'reg_a';
SELECT * FROM nfrec.recommend_for(1, 3);
SELECT name FROM nfrec.models WHERE is_default;
SELECT nfrec.model_version() = :v1 AS default_version;
RESET nfrec.model;

-- Redeploy under the same name: one current row, a new version, the old
-- version kept for rollback, and this session's cache notices at once.
SELECT * FROM nfrec.recommend_for(1, 3, 'reg_a');
SELECT nfrec.deploy('reg_a', pg_temp.model_b(), 'r_events') AS v3 \gset
SELECT count(*) AS rows, max(version) = :v3 AS new_version FROM nfrec.models WHERE name = 'reg_a';
SELECT count(*) AS old_user_rows FROM nfrec.model_users WHERE version = :v1;
SELECT * FROM nfrec.recommend_for(1, 3, 'reg_a');
-- and back
SELECT nfrec.deploy('reg_a', pg_temp.model_a(), 'r_events') AS v4 \gset
SELECT * FROM nfrec.recommend_for(1, 3, 'reg_a');

-- A rolled-back deployment leaves no trace, in the registry or the cache.
BEGIN;
SELECT nfrec.deploy('reg_a', pg_temp.model_b(), 'r_events') > :v4 AS deployed;
SELECT * FROM nfrec.recommend_for(1, 3, 'reg_a');
ROLLBACK;
SELECT * FROM nfrec.recommend_for(1, 3, 'reg_a');
SELECT nfrec.model_version('reg_a') = :v4 AS same_version;

-- The registry tables are extension configuration: pg_dump dumps their rows.
SELECT unnest(extconfig)::regclass AS dumped FROM pg_extension WHERE extname = 'nfrec' ORDER BY 1;

-- Events relation: user 1 now has title 30 (not 10 as in training): 30
-- is excluded and user 1 is folded in (scores of folded-in users are
-- rounded: the last digits depend on the BLAS kernel).  By hand: A =
-- Y'Y + 40 (1,1)(1,1)' + 0.1 I = [[42.1, 41], [41, 42.1]], b = 41 (1,1),
-- so x = (41/83.1, 41/83.1) and title 20 scores 0.49338.  Renaming the relation keeps the
-- binding (it is stored by OID) ...
INSERT INTO r_events VALUES (1, 30, 1);
ALTER TABLE r_events RENAME TO r_events_renamed;
SELECT events_relation FROM nfrec.models WHERE name = 'reg_a';
SELECT rank, title_id, round(score::numeric, 5) AS score FROM nfrec.recommend_for(1, 3, 'reg_a');
-- ... a view works too, with integer and numeric column types
CREATE VIEW r_events_view AS
SELECT user_id::int AS user_id, title_id::int AS title_id, weight::numeric AS weight FROM r_events_renamed;
SELECT nfrec.deploy('reg_a', pg_temp.model_a(), 'r_events_view') > 0 AS deployed;
SELECT rank, title_id, round(score::numeric, 5) AS score FROM nfrec.recommend_for(1, 3, 'reg_a');

-- Privileges: serving reads the events relation as the calling role.
-- (grant_serving: no privilege on the registry tables, see security_serving)
CREATE ROLE regress_nfrec_reader;
SELECT nfrec.grant_serving('regress_nfrec_reader');
SET ROLE regress_nfrec_reader;
\set VERBOSITY sqlstate
SELECT rank, title_id, round(score::numeric, 5) AS score FROM nfrec.recommend_for(1, 3, 'reg_a');
\set VERBOSITY default
RESET ROLE;
GRANT SELECT ON r_events_view TO regress_nfrec_reader;
SET ROLE regress_nfrec_reader;
SELECT rank, title_id, round(score::numeric, 5) AS score FROM nfrec.recommend_for(1, 3, 'reg_a');
RESET ROLE;

\set VERBOSITY sqlstate
-- unknown models, in every form
SELECT * FROM nfrec.recommend_for(1, 3, 'reg_zzz');
SELECT nfrec.drop_model('reg_zzz');
SELECT nfrec.model_version('reg_zzz');
SET nfrec.model = 'reg_zzz';
SELECT * FROM nfrec.recommend_for(1, 3);
RESET nfrec.model;
-- drop
SELECT nfrec.drop_model('reg_b');
SELECT * FROM nfrec.recommend_for(1, 3, 'reg_b');
SELECT nfrec.drop_model('reg_b');
SELECT count(*) AS reg_b_rows FROM nfrec.models WHERE name = 'reg_b';
-- nothing deployed at all
BEGIN;
DELETE FROM nfrec.model_store;
SELECT * FROM nfrec.recommend_for(1, 3);
ROLLBACK;
-- deploy arguments
SELECT nfrec.deploy(NULL, pg_temp.model_a());
SELECT nfrec.deploy('', pg_temp.model_a());
SELECT nfrec.deploy('reg_c', NULL::nfrec.als_model);
-- events relations without the right columns
CREATE TABLE r_no_weight (user_id bigint, title_id bigint);
CREATE TABLE r_text_title (user_id bigint, title_id text, weight real);
CREATE TABLE r_numeric_user (user_id numeric, title_id bigint, weight real);
CREATE TABLE r_text_weight (user_id bigint, title_id bigint, weight text);
CREATE SEQUENCE r_seq;
SELECT nfrec.deploy('reg_c', pg_temp.model_a(), 'r_no_weight');
SELECT nfrec.deploy('reg_c', pg_temp.model_a(), 'r_text_title');
SELECT nfrec.deploy('reg_c', pg_temp.model_a(), 'r_numeric_user');
SELECT nfrec.deploy('reg_c', pg_temp.model_a(), 'r_text_weight');
SELECT nfrec.deploy('reg_c', pg_temp.model_a(), 'r_seq');
SELECT nfrec.deploy('reg_c', pg_temp.model_a(), 'r_missing');
SELECT count(*) AS reg_c_rows FROM nfrec.models WHERE name = 'reg_c';
-- the bound events relation is dropped after deployment
DROP VIEW r_events_view;
SELECT * FROM nfrec.recommend_for(1, 3, 'reg_a');
\set VERBOSITY default
SELECT nfrec.deploy('reg_c', pg_temp.model_a(), 'r_no_weight');
SELECT nfrec.deploy('reg_c', pg_temp.model_a(), 'r_text_title');
SELECT nfrec.drop_model('reg_zzz');
SET nfrec.model = 'reg_zzz';
SELECT * FROM nfrec.recommend_for(1, 3);
RESET nfrec.model;
SELECT * FROM nfrec.recommend_for(1, 3, 'reg_a');
-- redeploying without an events relation recovers
SELECT nfrec.deploy('reg_a', pg_temp.model_a()) > 0 AS deployed;
SELECT * FROM nfrec.recommend_for(1, 3, 'reg_a');

SELECT nfrec.drop_model('reg_a');
SELECT nfrec.revoke_serving('regress_nfrec_reader');
DROP ROLE regress_nfrec_reader;
DROP TABLE r_events_renamed, r_no_weight, r_text_title, r_numeric_user, r_text_weight;
DROP SEQUENCE r_seq;
