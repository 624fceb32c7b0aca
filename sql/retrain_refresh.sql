-- The wiring of retrain, refresh, stored churn models and EASE models:
-- retrain refreshes the dashboards after deploying the default model (and
-- keeps the deploy when that refresh fails), refresh scores churn with a
-- stored churn model, and ALS-only code refuses EASE models clearly.
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE SCHEMA wr;
SET search_path = wr, public;
SELECT users, titles FROM nfrec.generate_demo(users => 300, titles => 80, days => 200, seed => 5,
                                              end_date => '2025-12-31');
-- whatever default model earlier tests left is put back at the end
CREATE TABLE saved_default AS SELECT name FROM nfrec.model_default;

-- refresh with a stored churn model: the cohorts are a GROUP BY over
-- churn_risk(model => name), content_roi_launches is content_roi(risk_model => name)
SELECT nfrec.deploy_churn_model('wr_cm', nfrec.churn_model('2025-11-01')) > 0 AS churn_deployed;
CALL nfrec.refresh('churn_cohorts', as_of => '2025-12-01', churn_model => 'wr_cm');
CREATE TABLE expected_cohorts AS
SELECT r.risk_decile, r.country, r.plan, count(*) AS users, avg(r.risk) AS mean_risk,
       sum(r.risk) AS expected_cancellations, sum(r.risk::numeric * r.monthly_price) AS revenue
  FROM nfrec.churn_risk('2025-12-01', model => 'wr_cm') r
 GROUP BY 1, 2, 3;
SELECT count(*) > 0 AS cohorts,
       (SELECT count(*) FROM expected_cohorts) = count(*) AS same_count,
       count(*) FILTER (WHERE e.users = c.users AND e.mean_risk = c.mean_risk
                          AND e.expected_cancellations = c.expected_cancellations
                          AND e.revenue IS NOT DISTINCT FROM c.monthly_revenue_at_risk) = count(*) AS all_equal,
       bool_and(c.as_of = '2025-12-01') AS as_of
  FROM nfrec.churn_cohorts c
  LEFT JOIN expected_cohorts e
    ON e.risk_decile = c.risk_decile AND e.country IS NOT DISTINCT FROM c.country
   AND e.plan IS NOT DISTINCT FROM c.plan;
-- the stored model is what scored: training one per call (churn_model NULL,
-- today's behaviour) gives the GROUP BY over churn_risk(as_of) instead
CALL nfrec.refresh('churn_cohorts', as_of => '2025-12-01');
SELECT count(*) = (SELECT count(*) FROM (SELECT DISTINCT risk_decile, country, plan
                                           FROM nfrec.churn_risk('2025-12-01')) d) AS same_count,
       bool_and(c.mean_risk = e.mean_risk AND c.users = e.users) AS all_equal
  FROM nfrec.churn_cohorts c
  JOIN (SELECT r.risk_decile, r.country, r.plan, count(*) AS users, avg(r.risk) AS mean_risk
          FROM nfrec.churn_risk('2025-12-01') r GROUP BY 1, 2, 3) e
    ON e.risk_decile = c.risk_decile AND e.country IS NOT DISTINCT FROM c.country
   AND e.plan IS NOT DISTINCT FROM c.plan;
SELECT count(*) FILTER (WHERE c.mean_risk <> e.mean_risk) > 0 AS stored_model_differs
  FROM nfrec.churn_cohorts c
  JOIN expected_cohorts e
    ON e.risk_decile = c.risk_decile AND e.country IS NOT DISTINCT FROM c.country
   AND e.plan IS NOT DISTINCT FROM c.plan;
CALL nfrec.refresh('content_roi_launches', as_of => '2025-12-01', churn_model => 'wr_cm');
SELECT count(*) > 0 AS launches,
       count(*) = (SELECT count(*) FROM nfrec.content_roi(risk_model => 'wr_cm', as_of => '2025-12-01')) AS same_count,
       count(*) FILTER (WHERE (l.at_risk_watchers, l.at_risk_watchers_retained, l.at_risk_nonwatchers,
                               l.incremental_months, l.value)
                              IS NOT DISTINCT FROM
                              (r.at_risk_watchers, r.at_risk_watchers_retained, r.at_risk_nonwatchers,
                               r.incremental_months, r.value)) = count(*) AS all_equal
  FROM nfrec.content_roi_launches l
  LEFT JOIN nfrec.content_roi(risk_model => 'wr_cm', as_of => '2025-12-01') r USING (title_id);
-- an unknown churn model fails before anything is replaced
CREATE TABLE cohorts_before AS SELECT * FROM nfrec.churn_cohorts;
\set VERBOSITY sqlstate
CALL nfrec.refresh('all', as_of => '2025-12-01', churn_model => 'no such churn model');
CALL nfrec.refresh('churn_cohorts', as_of => '2025-12-01', churn_model => '');
\set VERBOSITY default
SELECT count(*) = (SELECT count(*) FROM cohorts_before) AS unchanged
  FROM nfrec.churn_cohorts c JOIN cohorts_before b USING (risk_decile, country, plan, generated_at);

-- retrain refreshes the dashboards only for the default model
SELECT nfrec.deploy('wr_other', nfrec.als_train(user_id, title_id, weight,
                    '{"factors": 4, "iterations": 3, "seed": 1, "verbose": false}'),
                    make_default => true) > 0 AS other_default
  FROM interactions;
CALL nfrec.refresh('recommendations', n => 4);
CALL nfrec.retrain('wr_m', 'interactions', '{"factors": 8, "iterations": 6, "verbose": false}');
SELECT decision, refreshed FROM nfrec.retrain_log WHERE name = 'wr_m' ORDER BY run_id;
SELECT DISTINCT model FROM nfrec.recommendations;
-- made the default: the next deploy refreshes the lists, keeping their length
SELECT nfrec.set_default('wr_m');
CALL nfrec.retrain('wr_m', 'interactions', '{"factors": 8, "iterations": 6, "verbose": false}',
                   tolerance => 0.99);
SELECT decision, refreshed, version = (SELECT max(version) FROM nfrec.model_store WHERE name = 'wr_m') AS newest
  FROM nfrec.retrain_log WHERE name = 'wr_m' ORDER BY run_id DESC LIMIT 1;
SELECT model, model_version = (SELECT version FROM nfrec.retrain_log WHERE name = 'wr_m'
                                ORDER BY run_id DESC LIMIT 1) AS retrained_version,
       max(rank) AS n, count(DISTINCT user_id) > 0 AS users
  FROM nfrec.recommendations GROUP BY 1, 2;
-- the same lists as the batch gives for that model
SELECT count(*) AS differing_lists FROM (
    (SELECT user_id, title_ids FROM nfrec.dashboard_recommendations
     EXCEPT SELECT user_id, title_ids FROM nfrec._recommend_batch(4, 'wr_m'))
    UNION ALL
    (SELECT user_id, title_ids FROM nfrec._recommend_batch(4, 'wr_m')
     EXCEPT SELECT user_id, title_ids FROM nfrec.dashboard_recommendations)) d;
CREATE TABLE rec_before AS SELECT DISTINCT model_version, generated_at FROM nfrec.recommendations;
-- refresh => false: deployed, not refreshed
CALL nfrec.retrain('wr_m', 'interactions', '{"factors": 8, "iterations": 6, "verbose": false}',
                   tolerance => 0.99, refresh => false);
SELECT decision, refreshed FROM nfrec.retrain_log WHERE name = 'wr_m' ORDER BY run_id DESC LIMIT 1;
SELECT count(*) AS unchanged FROM (SELECT DISTINCT model_version, generated_at FROM nfrec.recommendations) r
  JOIN rec_before USING (model_version, generated_at);
-- a refresh that fails (no content_metadata on the caller's path) leaves
-- the deployed version current, is logged and is a WARNING
SET search_path = pg_catalog;
\set VERBOSITY terse
CALL nfrec.retrain('wr_m', 'wr.interactions', '{"factors": 8, "iterations": 6, "verbose": false}',
                   tolerance => 0.99);
\set VERBOSITY default
SET search_path = wr, public;
SELECT l.decision, l.refreshed, s.is_current AS deployed_version_current,
       regexp_replace(l.message, '^.*; ', '') AS message_end
  FROM nfrec.retrain_log l JOIN nfrec.model_store s ON s.version = l.version
 WHERE l.name = 'wr_m' ORDER BY l.run_id DESC LIMIT 1;
SELECT count(*) AS unchanged FROM (SELECT DISTINCT model_version, generated_at FROM nfrec.recommendations) r
  JOIN rec_before USING (model_version, generated_at);
-- a failed run refreshes nothing
\set VERBOSITY terse
CALL nfrec.retrain('wr_m', 'interactions', '{"factors": 0}');
\set VERBOSITY default
SELECT decision, refreshed FROM nfrec.retrain_log WHERE name = 'wr_m' ORDER BY run_id DESC LIMIT 1;
\set VERBOSITY sqlstate
CALL nfrec.retrain('wr_m', 'interactions', refresh => NULL);
\set VERBOSITY default

-- a deployer with the grants of doc/security.md retrains and refreshes;
-- one without the dashboard grants deploys, and its refresh fails (42501)
CREATE TABLE ev_copy AS SELECT user_id, title_id, weight FROM interactions;
CREATE ROLE regress_wr_deployer;
CREATE ROLE regress_wr_nodash;
GRANT USAGE ON SCHEMA nfrec, wr TO regress_wr_deployer, regress_wr_nodash;
GRANT SELECT ON wr.ev_copy, wr.content_metadata TO regress_wr_deployer, regress_wr_nodash;
GRANT SELECT, INSERT, UPDATE, DELETE ON nfrec.model_store, nfrec.model_users, nfrec.model_default,
      nfrec.churn_model_store TO regress_wr_deployer, regress_wr_nodash;
GRANT USAGE ON SEQUENCE nfrec.model_version_seq, nfrec.retrain_run_seq TO regress_wr_deployer, regress_wr_nodash;
GRANT SELECT, INSERT, UPDATE ON nfrec.retrain_log TO regress_wr_deployer, regress_wr_nodash;
GRANT EXECUTE ON FUNCTION nfrec.evaluate(text, regclass, int) TO regress_wr_deployer, regress_wr_nodash;
GRANT SELECT, INSERT, DELETE ON nfrec.dashboard_recommendations, nfrec.dashboard_titles,
      nfrec.dashboard_recommended_titles, nfrec.dashboard_catalog_health,
      nfrec.dashboard_churn_cohorts, nfrec.dashboard_content_roi, nfrec.dashboard_trending TO regress_wr_deployer;
GRANT EXECUTE ON PROCEDURE nfrec.refresh(text, int, text, date, regclass, regclass, regclass, text) TO regress_wr_deployer;
GRANT EXECUTE ON FUNCTION nfrec._recommend_batch(int, text), nfrec.model_version(text) TO regress_wr_deployer;
\set VERBOSITY terse
SET ROLE regress_wr_deployer;
CALL nfrec.retrain('wr_m', 'ev_copy', '{"factors": 8, "iterations": 6, "verbose": false}', tolerance => 0.99);
RESET ROLE;
SELECT decision, refreshed FROM nfrec.retrain_log WHERE name = 'wr_m' ORDER BY run_id DESC LIMIT 1;
SELECT DISTINCT model_version = (SELECT version FROM nfrec.model_store WHERE name = 'wr_m' AND is_current)
       AS shows_current FROM nfrec.recommendations;
SET ROLE regress_wr_nodash;
CALL nfrec.retrain('wr_m', 'ev_copy', '{"factors": 8, "iterations": 6, "verbose": false}', tolerance => 0.99);
RESET ROLE;
\set VERBOSITY default
SELECT decision, refreshed, regexp_replace(message, '^.*; ', '') AS message_end
  FROM nfrec.retrain_log WHERE name = 'wr_m' ORDER BY run_id DESC LIMIT 1;
DROP OWNED BY regress_wr_deployer, regress_wr_nodash;
DROP ROLE regress_wr_deployer, regress_wr_nodash;
CREATE TABLE rec_before2 AS SELECT DISTINCT model_version, generated_at FROM nfrec.recommendations;

-- EASE: retrain refuses a name whose current version is EASE (logged);
-- refresh refuses an EASE model for the recommendations
SELECT nfrec.deploy('wr_ease', nfrec.ease_train(user_id, title_id, weight,
                    '{"lambda": 1, "verbose": false}')) > 0 AS ease_deployed
  FROM interactions;
\set VERBOSITY sqlstate
CALL nfrec.retrain('wr_ease', 'interactions', '{"factors": 4, "iterations": 2, "verbose": false}');
\set VERBOSITY terse
CALL nfrec.retrain('wr_ease', 'interactions', '{"factors": 4, "iterations": 2, "verbose": false}');
SELECT decision, version, message FROM nfrec.retrain_log WHERE name = 'wr_ease' ORDER BY run_id;
SELECT kind, count(*) AS versions FROM nfrec.model_store WHERE name = 'wr_ease' GROUP BY 1;
\set VERBOSITY sqlstate
CALL nfrec.refresh('recommendations', model => 'wr_ease');
SELECT count(*) FROM nfrec._recommend_batch(5, 'wr_ease');
\set VERBOSITY terse
CALL nfrec.refresh('recommendations', model => 'wr_ease');
\set VERBOSITY default
SELECT nfrec.set_default('wr_ease');
\set VERBOSITY sqlstate
CALL nfrec.refresh('all', as_of => '2025-12-01');
\set VERBOSITY default
SELECT count(*) AS unchanged FROM (SELECT DISTINCT model_version, generated_at FROM nfrec.recommendations) r
  JOIN rec_before2 USING (model_version, generated_at);

-- the default as the setting nfrec.model names it counts too
SET nfrec.model = 'wr_m';
CALL nfrec.retrain('wr_m', 'interactions', '{"factors": 8, "iterations": 6, "verbose": false}',
                   tolerance => 0.99);
RESET nfrec.model;
SELECT decision, refreshed FROM nfrec.retrain_log WHERE name = 'wr_m' ORDER BY run_id DESC LIMIT 1;
SELECT DISTINCT model, model_version = (SELECT version FROM nfrec.model_store WHERE name = 'wr_m' AND is_current)
       AS shows_current FROM nfrec.recommendations;

-- the new signatures keep a pinned path and no PUBLIC execute on refresh
SELECT p.oid::regprocedure, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'nfrec'::regnamespace AND p.proname IN ('refresh', 'retrain')
 ORDER BY 1;

-- leave the registry and the dashboard tables as other tests expect them
DELETE FROM nfrec.model_default;
INSERT INTO nfrec.model_default (name) SELECT name FROM saved_default;
SELECT nfrec.drop_model('wr_ease'), nfrec.drop_model('wr_m'), nfrec.drop_model('wr_other');
SELECT nfrec.drop_churn_model('wr_cm');
DELETE FROM nfrec.retrain_log WHERE name LIKE 'wr\_%';
DELETE FROM nfrec.dashboard_recommendations;
DELETE FROM nfrec.dashboard_titles;
DELETE FROM nfrec.dashboard_recommended_titles;
DELETE FROM nfrec.dashboard_catalog_health;
DELETE FROM nfrec.dashboard_churn_cohorts;
DELETE FROM nfrec.dashboard_content_roi;
DELETE FROM nfrec.dashboard_trending;
DROP SCHEMA wr CASCADE;
