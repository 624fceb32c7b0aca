
-- ---------------------------------------------------------------------
-- ALS training: nfrec.als_train(user_id, item_id, weight [, options])
-- ---------------------------------------------------------------------

CREATE FUNCTION _als_train_trans(state internal, user_id bigint, item_id bigint, weight float8)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'als_train_trans'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_trans(internal, bigint, bigint, float8) IS
    'transition function of nfrec.als_train: collects one (user, item, weight) row; rows with a NULL are counted and skipped';

CREATE FUNCTION _als_train_trans(state internal, user_id bigint, item_id bigint, weight float8, options jsonb)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'als_train_trans'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_trans(internal, bigint, bigint, float8, jsonb) IS
    'transition function of nfrec.als_train with options: collects one row; options must be the same on every row';

CREATE FUNCTION _als_train_combine(state1 internal, state2 internal)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'als_train_combine'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_combine(internal, internal) IS
    'combine function of nfrec.als_train: concatenates two partial states (parallel query)';

CREATE FUNCTION _als_train_serialize(state internal)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'als_train_serialize'
    LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_serialize(internal) IS
    'serialization function of nfrec.als_train: partial state to bytea (parallel query)';

CREATE FUNCTION _als_train_deserialize(bytes bytea, dummy internal)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'als_train_deserialize'
    LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_deserialize(bytea, internal) IS
    'deserialization function of nfrec.als_train: bytea to partial state (parallel query)';

CREATE FUNCTION _als_train_final(state internal)
    RETURNS als_model
    AS 'MODULE_PATHNAME', 'als_train_final'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_final(internal) IS
    'final function of nfrec.als_train: canonicalizes the rows and trains the model';

CREATE AGGREGATE als_train(user_id bigint, item_id bigint, weight float8) (
    SFUNC = _als_train_trans,
    STYPE = internal,
    FINALFUNC = _als_train_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = _als_train_combine,
    SERIALFUNC = _als_train_serialize,
    DESERIALFUNC = _als_train_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE als_train(bigint, bigint, float8) IS
    'train an implicit-feedback ALS model (Hu, Koren & Volinsky 2008) with the default options (factors, alpha and regularization chosen from the data); weight > 0: confidence 1 + alpha*weight, weight < 0: a dislike; duplicate pairs are summed, rows with a NULL skipped';

CREATE AGGREGATE als_train(user_id bigint, item_id bigint, weight float8, options jsonb) (
    SFUNC = _als_train_trans,
    STYPE = internal,
    FINALFUNC = _als_train_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = _als_train_combine,
    SERIALFUNC = _als_train_serialize,
    DESERIALFUNC = _als_train_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE als_train(bigint, bigint, float8, jsonb) IS
    'train an implicit-feedback ALS model; options (defaults): factors, alpha, regularization (chosen from the data when not given: U users, E pairs, I titles, mean |weight| w: factors 2^round(log2(E/U)) within 32..64, alpha 3/w, regularization (1 + alpha w) U/800; options.from_data lists them), iterations 15, solver "cg" | "cholesky", cg_steps 3, seed 0, threads (CPUs), regularization_scaling "none" | "frequency", verbose true';

CREATE FUNCTION _als_factors(model als_model, side text)
    RETURNS TABLE(id bigint, factors real[])
    AS 'MODULE_PATHNAME', 'als_factors_rows'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 10 ROWS 10000;
COMMENT ON FUNCTION _als_factors(als_model, text) IS
    'internal (for tests): the factors of a model''s users (side ''user'') or items (side ''item''), one row per id in ascending order';
