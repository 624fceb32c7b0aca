
-- ---------------------------------------------------------------------
-- EASE: nfrec.ease_train(user_id, title_id, weight [, options])
-- ---------------------------------------------------------------------
--
-- Steck, "Embarrassingly Shallow Autoencoders for Sparse Data" (WWW 2019):
-- a closed-form title-by-title model.  X is the binarized users x titles
-- matrix (a positive summed weight counts 1), P = (X'X + lambda I)^-1 and
-- B = I - P diag(1/diag(P)), so diag(B) = 0; a user's scores are x_u B.
-- The model value nfrec.ease_model holds ids, training events, popularity
-- and B; nfrec.deploy stores it in the same registry as ALS models
-- (model_store.kind = 'ease') and recommend_for / similar_titles serve it
-- by the same rules (doc/ease.md).

CREATE TYPE ease_model;

CREATE FUNCTION ease_model_in(cstring) RETURNS ease_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ease_model_out(ease_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ease_model_recv(internal) RETURNS ease_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ease_model_send(ease_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ease_model (
    INPUT = ease_model_in,
    OUTPUT = ease_model_out,
    RECEIVE = ease_model_recv,
    SEND = ease_model_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = external
);
COMMENT ON TYPE ease_model IS
    'a trained EASE model: ids, training events, title popularity and the titles x titles matrix B (text form: hex bytes)';
COMMENT ON FUNCTION ease_model_in(cstring) IS 'input function of nfrec.ease_model (hex bytes, validated)';
COMMENT ON FUNCTION ease_model_out(ease_model) IS 'output function of nfrec.ease_model (hex bytes)';
COMMENT ON FUNCTION ease_model_recv(internal) IS 'binary input function of nfrec.ease_model (validated)';
COMMENT ON FUNCTION ease_model_send(ease_model) IS 'binary output function of nfrec.ease_model';

CREATE FUNCTION model_info(model ease_model) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'ease_model_info'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION model_info(ease_model) IS
    'summary of an EASE model: kind, users, titles, events, bytes, lambda, training time, options';

CREATE FUNCTION _ease_train_trans(state internal, user_id bigint, title_id bigint, weight float8)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'ease_train_trans'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _ease_train_trans(internal, bigint, bigint, float8) IS
    'transition function of nfrec.ease_train: collects one (user, title, weight) row; rows with a NULL are counted and skipped';

CREATE FUNCTION _ease_train_trans(state internal, user_id bigint, title_id bigint, weight float8, options jsonb)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'ease_train_trans'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _ease_train_trans(internal, bigint, bigint, float8, jsonb) IS
    'transition function of nfrec.ease_train with options: collects one row; options must be the same on every row';

CREATE FUNCTION _ease_train_combine(state1 internal, state2 internal)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'ease_train_combine'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _ease_train_combine(internal, internal) IS
    'combine function of nfrec.ease_train: concatenates two partial states (parallel query)';

CREATE FUNCTION _ease_train_serialize(state internal)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'ease_train_serialize'
    LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _ease_train_serialize(internal) IS
    'serialization function of nfrec.ease_train: partial state to bytea (parallel query)';

CREATE FUNCTION _ease_train_deserialize(bytes bytea, dummy internal)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'ease_train_deserialize'
    LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _ease_train_deserialize(bytea, internal) IS
    'deserialization function of nfrec.ease_train: bytea to partial state (parallel query)';

CREATE FUNCTION _ease_train_final(state internal)
    RETURNS ease_model
    AS 'MODULE_PATHNAME', 'ease_train_final'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _ease_train_final(internal) IS
    'final function of nfrec.ease_train: canonicalizes the rows, builds and inverts the regularized Gram matrix';

CREATE AGGREGATE ease_train(user_id bigint, title_id bigint, weight float8) (
    SFUNC = _ease_train_trans,
    STYPE = internal,
    FINALFUNC = _ease_train_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = _ease_train_combine,
    SERIALFUNC = _ease_train_serialize,
    DESERIALFUNC = _ease_train_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ease_train(bigint, bigint, float8) IS
    'train an EASE model (Steck 2019) with the default options: duplicate pairs are summed, a positive summed weight counts 1 (binarized), zero or negative counts 0 but is still never recommended to that user; rows with a NULL skipped';

CREATE AGGREGATE ease_train(user_id bigint, title_id bigint, weight float8, options jsonb) (
    SFUNC = _ease_train_trans,
    STYPE = internal,
    FINALFUNC = _ease_train_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = _ease_train_combine,
    SERIALFUNC = _ease_train_serialize,
    DESERIALFUNC = _ease_train_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ease_train(bigint, bigint, float8, jsonb) IS
    'train an EASE model; options (defaults): lambda 200 (added to the diagonal of the Gram matrix of binarized events, whose entries are user counts), max_titles 10000 (more titles is error 54000; at most 15000), verbose true';

CREATE FUNCTION _ease_store_row(model ease_model,
    OUT users int, OUT titles int, OUT training_events bigint,
    OUT regularization float8, OUT train_seconds float8, OUT options jsonb,
    OUT title_ids bigint[], OUT title_counts real[], OUT title_factors real[],
    OUT trained_at timestamptz)
    AS 'MODULE_PATHNAME', 'ease_store_row'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _ease_store_row(ease_model) IS
    'internal (used by deploy): header and title side of an EASE model as a model_store row (B as title_factors, titles x titles)';

CREATE FUNCTION _ease_user_rows(model ease_model)
RETURNS TABLE(user_id bigint, factors real[], title_ids bigint[], weights real[])
    AS 'MODULE_PATHNAME', 'ease_user_rows'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000 ROWS 100000;
COMMENT ON FUNCTION _ease_user_rows(ease_model) IS
    'internal (used by deploy): one model_users row per user of an EASE model (training events; factors empty)';

CREATE FUNCTION deploy(name text, model ease_model, events regclass DEFAULT NULL,
                       make_default boolean DEFAULT false, keep int DEFAULT 3)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_version bigint;
BEGIN
    IF deploy.name IS NULL OR deploy.model IS NULL THEN
        RAISE EXCEPTION 'model name and model must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF deploy.make_default IS NULL OR deploy.keep IS NULL THEN
        RAISE EXCEPTION 'make_default and keep must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF deploy.name = '' THEN
        RAISE EXCEPTION 'model name must not be empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF deploy.keep < 1 THEN
        RAISE EXCEPTION 'keep must be at least 1, not %', deploy.keep
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'keep counts the versions kept under the name, the new one included.';
    END IF;
    IF deploy.events IS NOT NULL THEN
        PERFORM nfrec._check_interactions(deploy.events, true);
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                   WHERE c.oid = deploy.events AND c.relpersistence = 't') THEN
            RAISE EXCEPTION 'events relation % is temporary', deploy.events
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'A deployed model is used by every session, but a temporary relation exists only in the session that created it.',
                      HINT = 'Bind a permanent table or view, or deploy without an events relation.';
        END IF;
    END IF;

    -- the same steps as deploy(text, als_model, ...): one deployment at a
    -- time, readers never blocked
    LOCK TABLE nfrec.model_store IN SHARE ROW EXCLUSIVE MODE;
    UPDATE nfrec.model_store s SET is_current = false
     WHERE s.name = deploy.name AND s.is_current;

    -- an EASE model has no factors, iterations or alpha: 0 in those columns
    INSERT INTO nfrec.model_store AS s
           (name, events, factors, users, titles, training_events, iterations,
            alpha, regularization, loss, train_seconds, options,
            title_ids, title_counts, title_factors, trained_at, deployed_at, kind)
    SELECT deploy.name, deploy.events, 0, r.users, r.titles, r.training_events, 0,
           0, r.regularization, NULL, r.train_seconds, r.options,
           r.title_ids, r.title_counts, r.title_factors, r.trained_at,
           pg_catalog.clock_timestamp(), 'ease'
      FROM nfrec._ease_store_row(deploy.model) r
    RETURNING s.version INTO new_version;

    INSERT INTO nfrec.model_users (version, user_id, factors, title_ids, weights)
    SELECT new_version, r.* FROM nfrec._ease_user_rows(deploy.model) r;

    WITH old AS (
        DELETE FROM nfrec.model_store s
         WHERE s.name = deploy.name
           AND s.version < ALL (SELECT k.version FROM nfrec.model_store k
                                 WHERE k.name = deploy.name
                                 ORDER BY k.version DESC LIMIT deploy.keep)
        RETURNING s.version)
    DELETE FROM nfrec.model_users u USING old WHERE u.version = old.version;

    INSERT INTO nfrec.model_default AS d (name) VALUES (deploy.name)
        ON CONFLICT (only_row) DO UPDATE SET name = excluded.name WHERE deploy.make_default;
    RETURN new_version;
END
$$;
COMMENT ON FUNCTION deploy(text, ease_model, regclass, boolean, int) IS
    'store an EASE model under a name as its new current version (kind ''ease''; same registry, versions, default and arguments as deploy(text, als_model, ...)); recommend_for and similar_titles serve it, user_vector and item_factors report that it has no factors';

CREATE FUNCTION evaluate(model ease_model, test regclass, k int DEFAULT 10,
    OUT users bigint, OUT cold_users bigint,
    OUT "precision" float8, OUT recall float8, OUT ndcg float8, OUT map float8, OUT coverage float8,
    OUT pop_precision float8, OUT pop_recall float8, OUT pop_ndcg float8, OUT pop_map float8, OUT pop_coverage float8)
    AS 'MODULE_PATHNAME', 'evaluate_ease_value'
    LANGUAGE C STABLE PARALLEL RESTRICTED COST 100000;
COMMENT ON FUNCTION evaluate(ease_model, regclass, int) IS
    'ranking quality at k of an EASE model value (not deployed) on a test relation (user_id, title_id), next to a most-popular baseline; users whose training titles all have a weight of 0 or less count as cold; metrics are means over test users';
