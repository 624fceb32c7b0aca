-- Stored churn models: deploy_churn_model, history, rollback, drop, the
-- views, and churn_risk / content_roi scoring with a stored model by name
-- (both call forms resolve), checked against plain SQL.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE SCHEMA cm;
SET search_path = cm, public;
SELECT users, titles FROM nfrec.generate_demo(users => 800, titles => 120, days => 200, seed => 3);

CREATE TABLE m1 AS SELECT nfrec.churn_model('2025-11-01') AS m;
CREATE TABLE m2 AS SELECT nfrec.churn_model('2025-12-01', horizon_days => 45) AS m;

-- 1. Deploy two versions; the views list the current one and the history.
SELECT nfrec.deploy_churn_model('cm_nightly', m) > 0 AS deployed FROM m1;
SELECT nfrec.deploy_churn_model('cm_nightly', m) > 0 AS deployed FROM m2;
SELECT name, as_of, horizon_days, features = (SELECT m->'features' FROM m2) AS same_features,
       train_rows = (SELECT (m->>'train_rows')::bigint FROM m2) AS same_train_rows,
       holdout_auc = (SELECT (m->>'holdout_auc')::float8 FROM m2) AS same_auc,
       kept_versions
  FROM nfrec.churn_models WHERE name = 'cm_nightly';
SELECT name, is_current, as_of, horizon_days FROM nfrec.churn_model_history
 WHERE name = 'cm_nightly' ORDER BY version;
-- the stored model is the given one, with "raw" recomputed
SELECT nfrec.deployed_churn_model('cm_nightly') - 'raw' = (SELECT m - 'raw' FROM m2) AS same_model,
       nfrec.deployed_churn_model('cm_nightly')->'raw' = (SELECT m->'raw' FROM m2) AS same_raw;

-- 2. Both call forms resolve: model => 'name' (text) uses the stored
-- model, model => jsonb the given one, no model (or model => NULL) trains
-- one; the first two agree row for row.
SELECT count(*) AS users FROM nfrec.churn_risk('2025-12-15', model => 'cm_nightly');
SELECT count(*) AS differing
  FROM nfrec.churn_risk('2025-12-15', model => 'cm_nightly') a
  FULL JOIN nfrec.churn_risk('2025-12-15', model => (SELECT m FROM m2)) b USING (user_id)
 WHERE a.risk IS DISTINCT FROM b.risk OR a.risk_decile IS DISTINCT FROM b.risk_decile;
SELECT count(*) AS differing
  FROM nfrec.churn_risk('2025-12-15', 45, (SELECT m FROM m2)) a
  FULL JOIN nfrec.churn_risk('2025-12-15', 'cm_nightly') b USING (user_id)
 WHERE a.risk IS DISTINCT FROM b.risk;
SELECT count(*) AS differing
  FROM nfrec.churn_risk('2025-12-15', model => NULL) a
  FULL JOIN nfrec.churn_risk('2025-12-15') b USING (user_id)
 WHERE a.risk IS DISTINCT FROM b.risk;
-- a model written as a JSON literal (an unknown-type literal, so the text
-- overload) is read as the model, as before the overloads existed
SELECT count(*) AS differing
  FROM nfrec.churn_risk('2025-12-15', model => 'cm_nightly') a
  FULL JOIN nfrec.churn_risk('2025-12-15', model => (SELECT m::text FROM m2)) b USING (user_id)
 WHERE a.risk IS DISTINCT FROM b.risk;
SELECT count(*) AS users
  FROM nfrec.churn_risk('2025-12-15', model => '{"feature_index": [1], "mean": [0], "sd": [1], "logreg": {"coef": [0, 1]}}');
-- which function each form calls
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM nfrec.churn_risk('2025-12-15', model => 'cm_nightly');
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM nfrec.churn_risk('2025-12-15', model => '{}'::jsonb);

-- 3. The risk equals the logistic model of the stored jsonb applied by
-- hand to churn_features: 1 / (1 + exp(-(b0 + sum b_k (x_idx[k] - mean_k) / sd_k))).
WITH m AS (SELECT nfrec.deployed_churn_model('cm_nightly') AS m),
     c AS (SELECT k, (m->'feature_index'->>(k - 1))::int AS idx, (m->'mean'->>(k - 1))::float8 AS mu,
                  (m->'sd'->>(k - 1))::float8 AS sd, (m->'logreg'->'coef'->>k)::float8 AS b
             FROM m, generate_series(1, jsonb_array_length(m->'feature_index')) k),
     f AS (SELECT * FROM nfrec.churn_features('2025-12-15', window_days => 14)),
     s AS (SELECT f.user_id,
                  1 / (1 + exp(-((SELECT (m->'logreg'->'coef'->>0)::float8 FROM m)
                                 + sum(c.b * (f.features[c.idx] - c.mu) / c.sd)))) AS risk
             FROM f, c GROUP BY f.user_id)
SELECT count(*) AS users, max(abs(s.risk - r.risk)) < 1e-12 AS same_risk,
       bool_and(nfrec.churn_score(nfrec.deployed_churn_model('cm_nightly'), f.features) = r.risk) AS same_as_churn_score
  FROM s JOIN nfrec.churn_risk('2025-12-15', model => 'cm_nightly') r USING (user_id)
  JOIN f USING (user_id);

-- 4. content_roi(risk_model => 'name') ranks by the stored model: the same
-- as passing its jsonb, and no model is trained (no NOTICE at notice level)
SET client_min_messages = notice;
SELECT count(*) AS titles, count(*) FILTER (WHERE a.at_risk_watchers > 0) AS with_at_risk_watchers
  FROM nfrec.content_roi(risk_model => 'cm_nightly', as_of => '2025-12-15') a;
SET client_min_messages = warning;
SELECT count(*) AS differing
  FROM nfrec.content_roi(risk_model => 'cm_nightly', as_of => '2025-12-15') a
  FULL JOIN nfrec.content_roi(risk_model => (SELECT m FROM m2), as_of => '2025-12-15') b USING (title_id)
 WHERE (a.*) IS DISTINCT FROM (b.*);

-- 5. Rollback discards the current version; keep bounds the history;
-- drop removes the name.
SELECT nfrec.rollback_churn_model('cm_nightly') = (SELECT min(version) FROM nfrec.churn_model_history WHERE name = 'cm_nightly') AS rolled_back;
SELECT name, is_current, as_of FROM nfrec.churn_model_history WHERE name = 'cm_nightly' ORDER BY version;
SELECT count(*) AS differing
  FROM nfrec.churn_risk('2025-12-15', model => 'cm_nightly') a
  FULL JOIN nfrec.churn_risk('2025-12-15', model => (SELECT m FROM m1)) b USING (user_id)
 WHERE a.risk IS DISTINCT FROM b.risk;
SELECT nfrec.deploy_churn_model('cm_nightly', m, keep => 2) > 0 FROM m2;
SELECT nfrec.deploy_churn_model('cm_nightly', m, keep => 2) > 0 FROM m1;
SELECT nfrec.deploy_churn_model('cm_nightly', m, keep => 2) > 0 FROM m2;
SELECT count(*) AS kept, count(*) FILTER (WHERE is_current) AS current FROM nfrec.churn_model_history WHERE name = 'cm_nightly';
SELECT nfrec.drop_churn_model('cm_nightly');
SELECT count(*) AS left FROM nfrec.churn_model_store WHERE name = 'cm_nightly';

-- 6. Bad input.
\set VERBOSITY sqlstate
SELECT nfrec.deploy_churn_model(NULL, m) FROM m1;
SELECT nfrec.deploy_churn_model('cm_x', NULL);
SELECT nfrec.deploy_churn_model('cm_x', m, keep => NULL) FROM m1;
SELECT nfrec.deploy_churn_model('', m) FROM m1;
SELECT nfrec.deploy_churn_model('cm_x', m, keep => 0) FROM m1;
SELECT nfrec.deploy_churn_model(' {x}', m) FROM m1;
SELECT nfrec.deploy_churn_model('[x', m) FROM m1;
SELECT nfrec.churn_risk('2025-12-15', model => '[1]');
SELECT nfrec.churn_risk('2025-12-15', model => '{"oops"');
SELECT nfrec.deploy_churn_model('cm_x', '[1, 2]');
SELECT nfrec.deploy_churn_model('cm_x', '{}');
SELECT nfrec.deploy_churn_model('cm_x', jsonb_set(m, '{mean,0}', '"NaN"')) FROM m1;
SELECT nfrec.deploy_churn_model('cm_x', jsonb_set(m, '{sd,0}', '0')) FROM m1;
SELECT nfrec.deploy_churn_model('cm_x', jsonb_set(m, '{logreg,coef}', '[1]')) FROM m1;
\set VERBOSITY default
SELECT nfrec.deploy_churn_model('cm_x', jsonb_set(m, '{as_of}', '"yesterday-ish"')) FROM m1;
SELECT nfrec.deploy_churn_model('cm_x', jsonb_set(m, '{window_days}', '1.5')) FROM m1;
SELECT nfrec.deploy_churn_model('cm_x', jsonb_set(m, '{session_gap}', '"soon"')) FROM m1;
SELECT nfrec.churn_risk('2025-12-15', model => 'cm_nope');
SELECT * FROM nfrec.content_roi(risk_model => 'cm_nope');
SELECT nfrec.rollback_churn_model('cm_nope');
\set VERBOSITY sqlstate
SELECT nfrec.deploy_churn_model('cm_one', m) > 0 FROM m1;
SELECT nfrec.rollback_churn_model('cm_one');
SELECT nfrec.rollback_churn_model(NULL);
SELECT nfrec.drop_churn_model('cm_nope');
SELECT nfrec.drop_churn_model(NULL) IS NULL AS strict_null;
SELECT nfrec.deployed_churn_model(NULL) IS NULL AS strict_null;
SELECT nfrec.deployed_churn_model('cm_nope');
\set VERBOSITY default
-- nothing of the failed deploys was stored
SELECT name, count(*) FROM nfrec.churn_model_store GROUP BY name ORDER BY name;
SELECT nfrec.drop_churn_model('cm_one');
DROP SCHEMA cm CASCADE;
