
-- ---------------------------------------------------------------------
-- Stored churn models
-- ---------------------------------------------------------------------
--
-- A churn model (the jsonb of nfrec.churn_model) deployed under a name is
-- one row of churn_model_store, a table of its own (an ALS model is rows
-- of model_store and model_users; a churn model is a few coefficients).
-- The rules are the ALS registry's (50_registry.sql): each name keeps its
-- last few versions (keep, default 3), exactly one of them current (a
-- partial unique index on name where is_current); rollback_churn_model
-- discards the current version and makes the previous one current; every
-- change is one transaction, so readers see the old or the new state.
-- Versions come from nfrec.model_version_seq, so a version number names
-- one deployed model of either kind.  The table is extension
-- configuration: pg_dump dumps its rows.
--
-- churn_risk(as_of, model => 'name') and content_roi(risk_model => 'name')
-- score with a stored model instead of training one per call: the text
-- overloads below look the model up and call the jsonb versions.  A
-- quoted literal given as model => '...' resolves to the text overload
-- (PostgreSQL prefers the string category for an unknown-type literal),
-- so a literal that is a model in JSON ('{"feature_index": ...}', as
-- calls written before these overloads pass) is read as jsonb there; a
-- jsonb value resolves to the jsonb version; model => NULL resolves to
-- the text overload, which then trains on the fly as before.

CREATE TABLE churn_model_store (
    version      bigint PRIMARY KEY DEFAULT nextval('nfrec.model_version_seq'),
    name         text NOT NULL CHECK (name <> ''),
    deployed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    as_of        date,
    horizon_days int,
    model        jsonb NOT NULL,
    metrics      jsonb NOT NULL DEFAULT '{}',
    is_current   boolean NOT NULL DEFAULT true
);
CREATE UNIQUE INDEX churn_model_store_current_name ON churn_model_store (name) WHERE is_current;
COMMENT ON TABLE churn_model_store IS
    'deployed churn models (the jsonb of nfrec.churn_model), the last few versions per name (is_current marks the one churn_risk and content_roi use); written by nfrec.deploy_churn_model, nfrec.rollback_churn_model and nfrec.drop_churn_model';
SELECT pg_catalog.pg_extension_config_dump('nfrec.churn_model_store', '');

CREATE FUNCTION deploy_churn_model(name text, model jsonb, keep int DEFAULT 3)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    p record;
    v_as_of date;
    v_horizon int;
    k text;
    new_version bigint;
BEGIN
    IF deploy_churn_model.name IS NULL OR deploy_churn_model.model IS NULL
       OR deploy_churn_model.keep IS NULL THEN
        RAISE EXCEPTION 'model name, model and keep must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF deploy_churn_model.name = '' THEN
        RAISE EXCEPTION 'model name must not be empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF left(ltrim(deploy_churn_model.name, E' \t\n\r'), 1) IN ('{', '[') THEN
        RAISE EXCEPTION 'churn model name must not start with "{" or "["'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'churn_risk and content_roi read such a text as a churn model written in JSON, not as a name.';
    END IF;
    IF deploy_churn_model.keep < 1 THEN
        RAISE EXCEPTION 'keep must be at least 1, not %', deploy_churn_model.keep
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'keep counts the versions kept under the name, the new one included.';
    END IF;
    IF jsonb_typeof(deploy_churn_model.model) <> 'object' THEN
        RAISE EXCEPTION 'invalid churn model'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('A churn model is a jsonb object, not %s.',
                                  jsonb_typeof(deploy_churn_model.model));
    END IF;
    -- the coefficients (22023 if they do not make a model)
    p := nfrec._churn_model_parts(deploy_churn_model.model);
    -- the settings churn_risk reads back must have their types
    FOREACH k IN ARRAY ARRAY['as_of', 'horizon_days', 'window_days', 'session_gap', 'abandon_pct'] LOOP
        CONTINUE WHEN deploy_churn_model.model->k IS NULL
                  OR jsonb_typeof(deploy_churn_model.model->k) = 'null';
        BEGIN
            CASE k
                WHEN 'as_of' THEN v_as_of := (deploy_churn_model.model->>k)::date;
                WHEN 'horizon_days' THEN v_horizon := (deploy_churn_model.model->>k)::int;
                WHEN 'window_days' THEN PERFORM (deploy_churn_model.model->>k)::int;
                WHEN 'session_gap' THEN PERFORM (deploy_churn_model.model->>k)::interval;
                ELSE PERFORM (deploy_churn_model.model->>k)::real;
            END CASE;
        EXCEPTION WHEN data_exception THEN
            RAISE EXCEPTION 'invalid churn model'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('The value of key "%s" is %s, which is not %s.', k,
                                      deploy_churn_model.model->k,
                                      CASE k WHEN 'as_of' THEN 'a date' WHEN 'session_gap' THEN 'an interval'
                                             WHEN 'abandon_pct' THEN 'a number' ELSE 'a whole number' END);
        END;
    END LOOP;

    -- one deployment at a time; readers are never blocked
    LOCK TABLE nfrec.churn_model_store IN SHARE ROW EXCLUSIVE MODE;
    UPDATE nfrec.churn_model_store s SET is_current = false
     WHERE s.name = deploy_churn_model.name AND s.is_current;
    -- "raw" (the model on unstandardized features, which scoring uses) is
    -- recomputed from the standardization and coefficients, so the two
    -- can never disagree
    INSERT INTO nfrec.churn_model_store AS s (name, as_of, horizon_days, model, metrics)
    VALUES (deploy_churn_model.name, v_as_of, v_horizon,
            deploy_churn_model.model || jsonb_build_object('raw', p.raw),
            jsonb_strip_nulls(jsonb_build_object(
                'train_rows', deploy_churn_model.model->'train_rows',
                'train_cancelled', deploy_churn_model.model->'train_cancelled',
                'holdout_rows', deploy_churn_model.model->'holdout_rows',
                'holdout_cancelled', deploy_churn_model.model->'holdout_cancelled',
                'holdout_auc', deploy_churn_model.model->'holdout_auc')))
    RETURNING s.version INTO new_version;
    -- keep the newest versions of the name (the new one is the newest)
    DELETE FROM nfrec.churn_model_store s
     WHERE s.name = deploy_churn_model.name
       AND s.version < ALL (SELECT x.version FROM nfrec.churn_model_store x
                             WHERE x.name = deploy_churn_model.name
                             ORDER BY x.version DESC LIMIT deploy_churn_model.keep);
    RETURN new_version;
END
$fn$;
COMMENT ON FUNCTION deploy_churn_model(text, jsonb, int) IS
    'store a churn model (from nfrec.churn_model) under a name as its new current version (atomically for concurrent readers) and return the version; the model is validated (22023 if it is not one); keep: how many versions of the name to keep, the new one included';

CREATE FUNCTION rollback_churn_model(name text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    cur bigint;
    prev bigint;
BEGIN
    IF rollback_churn_model.name IS NULL THEN
        RAISE EXCEPTION 'model name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    LOCK TABLE nfrec.churn_model_store IN SHARE ROW EXCLUSIVE MODE;
    SELECT s.version INTO cur FROM nfrec.churn_model_store s
     WHERE s.name = rollback_churn_model.name AND s.is_current;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'churn model "%" does not exist', rollback_churn_model.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'The view nfrec.churn_models lists the deployed churn models.';
    END IF;
    SELECT max(s.version) INTO prev FROM nfrec.churn_model_store s
     WHERE s.name = rollback_churn_model.name AND s.version < cur;
    IF prev IS NULL THEN
        RAISE EXCEPTION 'churn model "%" has no earlier version to roll back to', rollback_churn_model.name
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The current version is the only one kept.',
                  HINT = 'deploy_churn_model keeps the last 3 versions of a name unless its argument keep says otherwise.';
    END IF;
    DELETE FROM nfrec.churn_model_store s WHERE s.version = cur;
    UPDATE nfrec.churn_model_store s SET is_current = true WHERE s.version = prev;
    RETURN prev;
END
$fn$;
COMMENT ON FUNCTION rollback_churn_model(text) IS
    'discard the current version of a churn model and make the previous kept version current again (atomically for concurrent readers); returns that version; error 55000 if no earlier version is kept';

CREATE FUNCTION drop_churn_model(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    LOCK TABLE nfrec.churn_model_store IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM nfrec.churn_model_store s WHERE s.name = drop_churn_model.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'churn model "%" does not exist', drop_churn_model.name
            USING ERRCODE = 'undefined_object';
    END IF;
END
$fn$;
COMMENT ON FUNCTION drop_churn_model(text) IS
    'remove a deployed churn model and every kept version';

CREATE FUNCTION deployed_churn_model(name text)
RETURNS jsonb
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    m jsonb;
BEGIN
    SELECT s.model INTO m FROM nfrec.churn_model_store s
     WHERE s.name = deployed_churn_model.name AND s.is_current;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'churn model "%" does not exist', deployed_churn_model.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'Deploy one with nfrec.deploy_churn_model; the view nfrec.churn_models lists the deployed churn models.';
    END IF;
    RETURN m;
END
$fn$;
COMMENT ON FUNCTION deployed_churn_model(text) IS
    'the current version of a deployed churn model (the jsonb of nfrec.churn_model, for churn_score); error 42704 if there is none';

-- The model argument of the text overloads: a name, or (as a quoted
-- literal reached the jsonb versions before these overloads existed) a
-- churn model written as JSON text, recognised by its first non-blank
-- character { or [ (deploy_churn_model refuses such names).
CREATE FUNCTION _churn_model_arg(model text)
RETURNS jsonb
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT CASE WHEN left(ltrim(model, E' \t\n\r'), 1) IN ('{', '[') THEN model::jsonb
                ELSE nfrec.deployed_churn_model(model) END
$fn$;
COMMENT ON FUNCTION _churn_model_arg(text) IS
    'internal (used by the text overloads of churn_risk and content_roi): the current version of a deployed churn model by name, or the text itself as jsonb when it starts with { or [ (a model written as a literal)';

CREATE FUNCTION churn_risk(
    as_of date,
    model text,
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS TABLE(user_id bigint, risk float8, risk_decile int, country text, plan text,
              monthly_price numeric, tenure_days int, days_since_last_play float8,
              active_days_recent int, active_days_prior int,
              watch_hours_recent float8, watch_hours_prior float8, browse_share float8)
    LANGUAGE sql STABLE PARALLEL RESTRICTED COST 10000 ROWS 10000
    SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT r.* FROM nfrec.churn_risk($1, model => nfrec._churn_model_arg($2),
                                     events => $3, subscriptions => $4) r
$fn$;
COMMENT ON FUNCTION churn_risk(date, text, regclass, regclass) IS
    'churn risk of every subscriber active at as_of under the current version of a deployed churn model (nfrec.deploy_churn_model): no training per call; columns and order as churn_risk(as_of, ..., model jsonb); model => NULL trains a model on the history before as_of, as churn_risk(as_of) does';

CREATE FUNCTION content_roi(
    risk_model text,
    window_days int DEFAULT 28,
    completion_pct real DEFAULT 70,
    retention_days int DEFAULT 60,
    attribution_days int DEFAULT 7,
    at_risk_deciles int DEFAULT 3,
    as_of date DEFAULT NULL,
    launched_from date DEFAULT NULL,
    launched_until date DEFAULT NULL,
    titles regclass DEFAULT 'content_metadata'::text::regclass,
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS TABLE(title_id bigint, title text, content_type text, launch_date date,
              production_cost numeric,
              starters bigint, watchers bigint, completion_rate float8,
              series_completers bigint, binge_hours float8,
              signups_attributed bigint,
              at_risk_watchers bigint, at_risk_watchers_retained bigint, watcher_retention float8,
              at_risk_nonwatchers bigint, nonwatcher_retention float8, retention_lift float8,
              retention_months float8, acquisition_months float8, incremental_months float8,
              value numeric, roi float8, observed boolean)
    LANGUAGE sql STABLE PARALLEL RESTRICTED COST 100000 ROWS 100
    SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT r.* FROM nfrec.content_roi($2, $3, $4, $5, $6, $7, $8, $9,
                                      risk_model => nfrec._churn_model_arg($1),
                                      titles => $10, events => $11, subscriptions => $12) r
$fn$;
COMMENT ON FUNCTION content_roi(text, int, real, int, int, int, date, date, date, regclass, regclass, regclass) IS
    'content_roi with the at-risk deciles ranked by the current version of a deployed churn model (nfrec.deploy_churn_model) instead of one trained per call; risk_model => NULL trains one, as content_roi() does';

-- security_invoker: reading the views needs SELECT on churn_model_store
CREATE VIEW churn_models WITH (security_invoker = true) AS
SELECT s.name,
       s.version,
       s.as_of,
       s.horizon_days,
       s.model->'features' AS features,
       (s.metrics->>'train_rows')::bigint AS train_rows,
       (s.metrics->>'holdout_auc')::float8 AS holdout_auc,
       s.deployed_at,
       (SELECT pg_catalog.count(*) FROM nfrec.churn_model_store k
         WHERE k.name OPERATOR(pg_catalog.=) s.name) AS kept_versions
  FROM nfrec.churn_model_store s
 WHERE s.is_current;
COMMENT ON VIEW churn_models IS
    'deployed churn models (their current versions): the as_of they were trained at, horizon, features used, training rows, held-out AUC, deployment time and how many versions are kept for rollback';

CREATE VIEW churn_model_history WITH (security_invoker = true) AS
SELECT s.name,
       s.version,
       s.is_current,
       s.as_of,
       s.horizon_days,
       (s.metrics->>'holdout_auc')::float8 AS holdout_auc,
       s.deployed_at
  FROM nfrec.churn_model_store s;
COMMENT ON VIEW churn_model_history IS
    'every kept version of every deployed churn model: is_current marks the one in use; nfrec.rollback_churn_model(name) discards it and makes the previous one current';
