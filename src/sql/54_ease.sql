
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
BEGIN
    RETURN nfrec._deploy(deploy.name, deploy.model, deploy.events,
                         deploy.make_default, deploy.keep);
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
