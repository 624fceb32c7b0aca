
-- ---------------------------------------------------------------------
-- Model registry
-- ---------------------------------------------------------------------
--
-- A deployed model version is one row of model_store (header and the
-- title side: ids, popularity, factors as a titles x factors real[]) plus
-- one row per user in model_users (factors and training events), so
-- serving reads the title side once per backend and a single user by
-- primary key.  Each name keeps its last few versions (deploy's keep,
-- default 3), exactly one of them current (a partial unique index on
-- name where is_current, the one row serving probes); rollback discards
-- the current version and makes the previous one current.  model_default
-- holds the name that serving uses when none is given: the first model
-- deployed, then whatever deploy(..., make_default => true) or
-- set_default names; dropping it passes the default on to the most
-- recently deployed remaining model.  deploy, rollback, set_default and
-- drop_model each change the registry in one transaction, so concurrent
-- readers see the old or the new state, never a mix.  The tables and the
-- version sequence are extension configuration: pg_dump dumps their rows.
--
-- Security: model_users holds every user's training titles and weights,
-- so only the extension owner reads it directly.  The serving functions
-- (51_serving.sql) read the registry as the owner of model_store and the
-- bound events relation as the caller; nfrec.grant_serving(role) lets a
-- role serve without any privilege on these tables (doc/security.md).
-- Every SQL and plpgsql function here runs with search_path pinned to
-- pg_catalog, pg_temp, so nothing on the caller's path can capture an
-- operator or function in its body.

CREATE FUNCTION als_model_from_factors(
    user_ids bigint[],
    user_factors real[],
    title_ids bigint[],
    title_factors real[],
    event_user_ids bigint[] DEFAULT NULL,
    event_title_ids bigint[] DEFAULT NULL,
    event_weights real[] DEFAULT NULL,
    alpha float8 DEFAULT 40,
    regularization float8 DEFAULT 0.1,
    regularization_scaling text DEFAULT 'none')
RETURNS als_model
    AS 'MODULE_PATHNAME', 'als_model_from_factors'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION als_model_from_factors(bigint[], real[], bigint[], real[], bigint[], bigint[], real[], float8, float8, text) IS
    'build a model value from factors trained elsewhere: factor matrices have one row per id (users x factors, titles x factors); optional training events (summed per user and title) drive exclusion and popularity; alpha, regularization and regularization_scaling (none, or frequency: lambda times the user''s number of titles, as in ALS-WR and als_train) are used by fold-in';

CREATE SEQUENCE model_version_seq;
COMMENT ON SEQUENCE model_version_seq IS 'versions of deployed models (increasing across all names)';

CREATE TABLE model_store (
    version         bigint PRIMARY KEY DEFAULT nextval('nfrec.model_version_seq'),
    name            text NOT NULL CHECK (name <> ''),
    deployed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    events          regclass,
    factors         int NOT NULL,
    users           int NOT NULL,
    titles          int NOT NULL,
    training_events bigint NOT NULL,
    iterations      int NOT NULL,
    alpha           float8 NOT NULL,
    regularization  float8 NOT NULL,
    loss            float8,
    train_seconds   float8,
    options         jsonb NOT NULL,
    title_ids       bigint[] NOT NULL,
    title_counts    real[] NOT NULL,
    title_factors   real[] NOT NULL,
    trained_at      timestamptz,
    is_current      boolean NOT NULL DEFAULT true,
    kind            text NOT NULL DEFAULT 'als' CHECK (kind IN ('als', 'ease')),
    neighbour_rows  int[],
    neighbour_scores real[]
);
-- the version serving uses: one per name, found with one index probe
CREATE UNIQUE INDEX model_store_current_name ON model_store (name) WHERE is_current;
-- float factors do not compress: store them out of line uncompressed
ALTER TABLE model_store ALTER COLUMN title_factors SET STORAGE EXTERNAL;
COMMENT ON COLUMN model_store.kind IS
    'als: title_factors are ALS factors (titles x factors); ease: an EASE model (54_ease.sql), title_factors is B (titles x titles), factors, iterations and alpha are 0, regularization is lambda';
COMMENT ON COLUMN model_store.neighbour_rows IS
    'co-occurrence neighbours of each title (titles x m, m = min(50, titles - 1)): 1-based positions in title_ids, best first, 0 = none; NULL for EASE models and models without positive training events (doc/serve.md, "Similar titles and support")';
COMMENT ON COLUMN model_store.neighbour_scores IS
    'the co-occurrence score of each neighbour in neighbour_rows: C(a, b) / (n(b) + 10), C(a, b) the users who have both titles, n(b) the users who have b (positive summed weights, at most 256 titles of a user''s history: the highest weights), 0 = none';
COMMENT ON TABLE model_store IS
    'deployed model versions, the last few per name (is_current marks the one serving uses): header and title side; written by nfrec.deploy and nfrec.rollback';

CREATE TABLE model_users (
    version   bigint NOT NULL,
    user_id   bigint NOT NULL,
    factors   real[] NOT NULL,
    title_ids bigint[] NOT NULL,
    weights   real[] NOT NULL,
    PRIMARY KEY (version, user_id)
);
COMMENT ON TABLE model_users IS
    'users of deployed models: factors and training events (titles, summed weights); written by nfrec.deploy';

CREATE TABLE model_default (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    name     text NOT NULL
);
COMMENT ON TABLE model_default IS
    'the name of the model that serving uses when none is given (the setting nfrec.model overrides it); at most one row; written by nfrec.deploy, nfrec.set_default and nfrec.drop_model';

SELECT pg_catalog.pg_extension_config_dump('nfrec.model_store', '');
SELECT pg_catalog.pg_extension_config_dump('nfrec.model_default', '');
SELECT pg_catalog.pg_extension_config_dump('nfrec.model_users', '');
SELECT pg_catalog.pg_extension_config_dump('nfrec.model_version_seq', '');

CREATE FUNCTION _model_store_row(model als_model,
    OUT factors int, OUT users int, OUT titles int, OUT training_events bigint,
    OUT iterations int, OUT alpha float8, OUT regularization float8,
    OUT loss float8, OUT train_seconds float8, OUT options jsonb,
    OUT title_ids bigint[], OUT title_counts real[], OUT title_factors real[],
    OUT trained_at timestamptz)
    AS 'MODULE_PATHNAME', 'model_store_row'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _model_store_row(als_model) IS
    'internal (used by deploy): header and title side of a model as a model_store row';

CREATE FUNCTION _model_neighbours(model als_model, neighbours int DEFAULT 50,
    history int DEFAULT 256, OUT neighbour_rows int[], OUT neighbour_scores real[])
    AS 'MODULE_PATHNAME', 'model_neighbours'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _model_neighbours(als_model, int, int) IS
    'internal (used by deploy): for every title, its neighbours best titles b by co-occurrence C(a, b) / (n(b) + 10) over the training events with a positive summed weight (at most history titles of a user: the highest weights, ties lower title_id), as 1-based positions in the model''s title ids (0 = none) and scores (titles x neighbours arrays); NULLs when the model has no positive event or one title';

CREATE FUNCTION _model_user_rows(model als_model)
RETURNS TABLE(user_id bigint, factors real[], title_ids bigint[], weights real[])
    AS 'MODULE_PATHNAME', 'model_user_rows'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000 ROWS 100000;
COMMENT ON FUNCTION _model_user_rows(als_model) IS
    'internal (used by deploy): one model_users row per user of a model';

-- Check that a relation has integer user_id and title_id columns (and a
-- numeric weight when with_weight); clear errors otherwise.
CREATE FUNCTION _check_interactions(rel regclass, with_weight bool DEFAULT true)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col text;
    typ regtype;
    ok regtype[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                   WHERE c.oid = rel AND c.relkind IN ('r', 'v', 'm', 'f', 'p')) THEN
        RAISE EXCEPTION '% is not a table or view', rel
            USING ERRCODE = 'wrong_object_type';
    END IF;
    FOREACH col IN ARRAY CASE WHEN with_weight THEN ARRAY['user_id', 'title_id', 'weight']
                              ELSE ARRAY['user_id', 'title_id'] END
    LOOP
        SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END::regtype
          INTO typ
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'column "%" does not exist in relation %', col, rel
                USING ERRCODE = 'undefined_column',
                      HINT = CASE WHEN with_weight
                                  THEN 'The relation needs columns user_id, title_id (integers) and weight (a number).'
                                  ELSE 'The relation needs columns user_id and title_id (integers).' END;
        END IF;
        ok := CASE WHEN col = 'weight'
                   THEN ARRAY['smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric']::regtype[]
                   ELSE ARRAY['smallint', 'integer', 'bigint']::regtype[] END;
        IF typ <> ALL (ok) THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, expected %', col, rel, typ,
                CASE WHEN col = 'weight' THEN 'a number' ELSE 'an integer type' END
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION _check_interactions(regclass, bool) IS
    'internal: error unless the relation has integer user_id, title_id (and numeric weight) columns';

-- The three steps every way into the registry shares (deploy, and
-- nfrec.train which writes the rows of a model it trained itself):
-- _deploy_check the arguments, _deploy_begin (lock the registry, retire
-- the current version of the name), store the new rows, _deploy_finish
-- (keep the newest versions, set the default).
CREATE FUNCTION _deploy_check(name text, events regclass, make_default boolean, keep int)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF _deploy_check.name IS NULL THEN
        RAISE EXCEPTION 'model name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF _deploy_check.make_default IS NULL OR _deploy_check.keep IS NULL THEN
        RAISE EXCEPTION 'make_default and keep must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF _deploy_check.name = '' THEN
        RAISE EXCEPTION 'model name must not be empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF _deploy_check.keep < 1 THEN
        RAISE EXCEPTION 'keep must be at least 1, not %', _deploy_check.keep
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'keep counts the versions kept under the name, the new one included.';
    END IF;
    IF _deploy_check.events IS NOT NULL THEN
        PERFORM nfrec._check_interactions(_deploy_check.events, true);
        -- a deployed model is every session's: a temporary relation (or a
        -- view over one, which is temporary too) exists only in this one
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                   WHERE c.oid = _deploy_check.events AND c.relpersistence = 't') THEN
            RAISE EXCEPTION 'events relation % is temporary', _deploy_check.events
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'A deployed model is used by every session, but a temporary relation exists only in the session that created it.',
                      HINT = 'Bind a permanent table or view, or deploy without an events relation.';
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION _deploy_check(text, regclass, boolean, int) IS
    'internal (deploy, train): error unless the name, the events relation to bind, make_default and keep are valid';

CREATE FUNCTION _deploy_begin(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- one deployment at a time; readers are never blocked
    LOCK TABLE nfrec.model_store IN SHARE ROW EXCLUSIVE MODE;
    UPDATE nfrec.model_store s SET is_current = false
     WHERE s.name = _deploy_begin.name AND s.is_current;
END
$$;
COMMENT ON FUNCTION _deploy_begin(text) IS
    'internal (deploy, train): lock the registry against other deployments and retire the current version of the name; the caller then stores the new version';

CREATE FUNCTION _deploy_keep(name text, keep int, make_default boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- keep the newest versions of the name (the new one is the newest)
    WITH old AS (
        DELETE FROM nfrec.model_store s
         WHERE s.name = _deploy_keep.name
           AND s.version < ALL (SELECT k.version FROM nfrec.model_store k
                                 WHERE k.name = _deploy_keep.name
                                 ORDER BY k.version DESC LIMIT _deploy_keep.keep)
        RETURNING s.version)
    DELETE FROM nfrec.model_users u USING old WHERE u.version = old.version;

    -- the first model deployed becomes the default; later ones only when asked
    INSERT INTO nfrec.model_default AS d (name) VALUES (_deploy_keep.name)
        ON CONFLICT (only_row) DO UPDATE SET name = excluded.name WHERE _deploy_keep.make_default;
END
$$;
COMMENT ON FUNCTION _deploy_keep(text, int, boolean) IS
    'internal (deploy, train, train_distributed): after a new version of the name is stored, remove all but the newest keep versions and make it the default if it is the first model or make_default';

CREATE FUNCTION _deploy_finish(name text, keep int, make_default boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM nfrec._deploy_keep(_deploy_finish.name, _deploy_finish.keep, _deploy_finish.make_default);
    -- a model copied to Citus workers: bring them in step (58_distsync.sql)
    PERFORM nfrec._dist_sync(_deploy_finish.name);
END
$$;
COMMENT ON FUNCTION _deploy_finish(text, int, boolean) IS
    'internal (deploy, train): after a new version of the name is stored, remove all but the newest keep versions, make it the default if it is the first model or make_default, and bring the Citus workers in step if the name is distributed';

-- The rows of a new version: model is an als_model or an ease_model (the
-- row functions of its type fill the registry); called between
-- _deploy_begin and _deploy_finish.
CREATE FUNCTION _deploy_store(name text, model anyelement, events regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_version bigint;
BEGIN
    -- deployed_at is the clock at deployment, not the transaction start:
    -- a model trained in the same statement was trained before it
    IF pg_catalog.pg_typeof(_deploy_store.model) = 'nfrec.als_model'::pg_catalog.regtype THEN
        INSERT INTO nfrec.model_store AS s
               (name, events, factors, users, titles, training_events, iterations,
                alpha, regularization, loss, train_seconds, options,
                title_ids, title_counts, title_factors, trained_at, deployed_at,
                neighbour_rows, neighbour_scores)
        SELECT _deploy_store.name, _deploy_store.events, r.*, pg_catalog.clock_timestamp(),
               nb.neighbour_rows, nb.neighbour_scores
          FROM nfrec._model_store_row(_deploy_store.model) r,
               nfrec._model_neighbours(_deploy_store.model) nb
        RETURNING s.version INTO new_version;

        INSERT INTO nfrec.model_users (version, user_id, factors, title_ids, weights)
        SELECT new_version, r.* FROM nfrec._model_user_rows(_deploy_store.model) r;
    ELSIF pg_catalog.pg_typeof(_deploy_store.model) = 'nfrec.ease_model'::pg_catalog.regtype THEN
        -- an EASE model has no factors, iterations or alpha: 0 in those columns
        INSERT INTO nfrec.model_store AS s
               (name, events, factors, users, titles, training_events, iterations,
                alpha, regularization, loss, train_seconds, options,
                title_ids, title_counts, title_factors, trained_at, deployed_at, kind)
        SELECT _deploy_store.name, _deploy_store.events, 0, r.users, r.titles, r.training_events, 0,
               0, r.regularization, NULL, r.train_seconds, r.options,
               r.title_ids, r.title_counts, r.title_factors, r.trained_at,
               pg_catalog.clock_timestamp(), 'ease'
          FROM nfrec._ease_store_row(_deploy_store.model) r
        RETURNING s.version INTO new_version;

        INSERT INTO nfrec.model_users (version, user_id, factors, title_ids, weights)
        SELECT new_version, r.* FROM nfrec._ease_user_rows(_deploy_store.model) r;
    ELSE
        RAISE EXCEPTION 'cannot deploy a value of type %', pg_catalog.pg_typeof(_deploy_store.model)
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Deploy an nfrec.als_model or an nfrec.ease_model.';
    END IF;
    RETURN new_version;
END
$$;
COMMENT ON FUNCTION _deploy_store(text, anyelement, regclass) IS
    'internal (deploy, train_distributed): store the rows of a model (an als_model or an ease_model) as a new version of the name; between _deploy_begin and _deploy_finish';

-- The body of every deploy(name, model, ...).
CREATE FUNCTION _deploy(name text, model anyelement, events regclass,
                        make_default boolean, keep int)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_version bigint;
BEGIN
    IF _deploy.name IS NULL OR _deploy.model IS NULL THEN
        RAISE EXCEPTION 'model name and model must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM nfrec._deploy_check(_deploy.name, _deploy.events, _deploy.make_default, _deploy.keep);
    PERFORM nfrec._deploy_begin(_deploy.name);
    new_version := nfrec._deploy_store(_deploy.name, _deploy.model, _deploy.events);
    PERFORM nfrec._deploy_finish(_deploy.name, _deploy.keep, _deploy.make_default);
    RETURN new_version;
END
$$;
COMMENT ON FUNCTION _deploy(text, anyelement, regclass, boolean, int) IS
    'internal (the body of every deploy): check the arguments, store the model (an als_model or an ease_model) as the new current version of the name, keep the newest versions, set the default, bring Citus workers in step';

CREATE FUNCTION deploy(name text, model als_model, events regclass DEFAULT NULL,
                       make_default boolean DEFAULT false, keep int DEFAULT 3)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN nfrec._deploy(deploy.name, deploy.model, deploy.events,
                         deploy.make_default, deploy.keep);
END
$$;
COMMENT ON FUNCTION deploy(text, als_model, regclass, boolean, int) IS
    'store a model under a name as its new current version (atomically for concurrent readers) and return the version; events: optional table or view (user_id, title_id, weight) that serving reads for events after training; make_default: make it the default model (the first model deployed always becomes the default); keep: how many versions of the name to keep, the new one included (older ones are removed)';

CREATE FUNCTION rollback(name text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cur bigint;
    prev bigint;
BEGIN
    IF rollback.name IS NULL THEN
        RAISE EXCEPTION 'model name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    LOCK TABLE nfrec.model_store IN SHARE ROW EXCLUSIVE MODE;
    SELECT s.version INTO cur FROM nfrec.model_store s
     WHERE s.name = rollback.name AND s.is_current;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist', rollback.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'The view nfrec.models lists the deployed models.';
    END IF;
    SELECT max(s.version) INTO prev FROM nfrec.model_store s
     WHERE s.name = rollback.name AND s.version < cur;
    IF prev IS NULL THEN
        RAISE EXCEPTION 'model "%" has no earlier version to roll back to', rollback.name
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The current version is the only one kept.',
                  HINT = 'deploy keeps the last 3 versions of a name unless its argument keep says otherwise.';
    END IF;
    DELETE FROM nfrec.model_users u WHERE u.version = cur;
    DELETE FROM nfrec.model_store s WHERE s.version = cur;
    UPDATE nfrec.model_store s SET is_current = true WHERE s.version = prev;
    PERFORM nfrec._dist_sync(rollback.name);
    RETURN prev;
END
$$;
COMMENT ON FUNCTION rollback(text) IS
    'discard the current version of a model and make the previous kept version current again (atomically for concurrent readers); returns that version; error 55000 if no earlier version is kept';

CREATE FUNCTION set_default(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF set_default.name IS NULL THEN
        RAISE EXCEPTION 'model name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    LOCK TABLE nfrec.model_store IN SHARE ROW EXCLUSIVE MODE;
    IF NOT EXISTS (SELECT 1 FROM nfrec.model_store s
                   WHERE s.name = set_default.name AND s.is_current) THEN
        RAISE EXCEPTION 'model "%" does not exist', set_default.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'The view nfrec.models lists the deployed models.';
    END IF;
    INSERT INTO nfrec.model_default AS d (name) VALUES (set_default.name)
        ON CONFLICT (only_row) DO UPDATE SET name = excluded.name;
    PERFORM nfrec._dist_sync(set_default.name);
END
$$;
COMMENT ON FUNCTION set_default(text) IS
    'make a deployed model the default that serving uses when no model is given (the setting nfrec.model still overrides it per session)';

CREATE FUNCTION drop_model(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    next_default text;
BEGIN
    LOCK TABLE nfrec.model_store IN SHARE ROW EXCLUSIVE MODE;
    IF NOT EXISTS (SELECT 1 FROM nfrec.model_store s WHERE s.name = drop_model.name) THEN
        RAISE EXCEPTION 'model "%" does not exist', drop_model.name
            USING ERRCODE = 'undefined_object';
    END IF;
    DELETE FROM nfrec.model_users u
     USING nfrec.model_store s
     WHERE s.name = drop_model.name AND u.version = s.version;
    DELETE FROM nfrec.model_store s WHERE s.name = drop_model.name;
    IF EXISTS (SELECT 1 FROM nfrec.model_default d WHERE d.name = drop_model.name) THEN
        SELECT s.name INTO next_default FROM nfrec.model_store s
         WHERE s.is_current ORDER BY s.version DESC LIMIT 1;
        IF next_default IS NULL THEN
            DELETE FROM nfrec.model_default;
        ELSE
            UPDATE nfrec.model_default SET name = next_default;
        END IF;
    END IF;
    -- a model copied to Citus workers goes there too (58_distsync.sql)
    PERFORM nfrec._dist_sync(drop_model.name);
END
$$;
COMMENT ON FUNCTION drop_model(text) IS
    'remove a deployed model and every kept version; if it was the default, the most recently deployed remaining model becomes the default';

-- security_invoker: reading the views needs SELECT on model_store (and
-- model_default for is_default)
CREATE VIEW models WITH (security_invoker = true) AS
SELECT s.name,
       s.version,
       s.users,
       s.titles,
       s.training_events AS events,
       s.factors,
       s.iterations,
       s.alpha,
       s.regularization,
       s.options,
       s.trained_at,
       s.deployed_at,
       s.train_seconds,
       s.loss AS final_loss,
       s.events AS events_relation,
       s.name OPERATOR(pg_catalog.=)
           coalesce(nullif(pg_catalog.current_setting('nfrec.model', true), ''),
                    (SELECT d.name FROM nfrec.model_default d))
           AS is_default,
       (SELECT pg_catalog.count(*) FROM nfrec.model_store k
         WHERE k.name OPERATOR(pg_catalog.=) s.name) AS kept_versions,
       s.kind
  FROM nfrec.model_store s
 WHERE s.is_current;
COMMENT ON VIEW models IS
    'deployed models (their current versions): size, training options and figures, bound events relation, which one serving uses by default (nfrec.model, else nfrec.set_default''s), and how many versions are kept for rollback';

CREATE VIEW model_history WITH (security_invoker = true) AS
SELECT s.name,
       s.version,
       s.is_current,
       s.trained_at,
       s.deployed_at,
       s.users,
       s.titles,
       s.training_events AS events,
       s.loss AS final_loss,
       s.events AS events_relation,
       s.kind
  FROM nfrec.model_store s;
COMMENT ON VIEW model_history IS
    'every kept version of every deployed model: is_current marks the one serving uses; nfrec.rollback(name) discards it and makes the previous one current';
