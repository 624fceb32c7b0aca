
-- ---------------------------------------------------------------------
-- Training straight into the registry: CALL nfrec.train(name, events)
-- ---------------------------------------------------------------------
--
-- als_train returns one nfrec.als_model value, which cannot pass 1 GB
-- (about 2.5 million users at 64 factors).  nfrec.train reads the events
-- relation with one query, trains with als_train's own code and options,
-- and writes the model_store and model_users rows directly, so only
-- memory bounds the model (doc/scale.md, "One node, bigger").  The
-- registry rules are deploy's (_deploy_check, _deploy_begin,
-- _deploy_finish): a new version of the name, the last keep versions
-- kept, the first model the default, everything in one transaction.

CREATE FUNCTION _train_als(events regclass, options jsonb)
RETURNS void
    AS 'MODULE_PATHNAME', 'train_als'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION _train_als(regclass, jsonb) IS
    'internal (used by train): read user_id, title_id, weight from the relation, train ALS with the options of als_train and keep the result in this backend until the end of the transaction';

CREATE FUNCTION _trained_store_row(
    OUT factors int, OUT users int, OUT titles int, OUT training_events bigint,
    OUT iterations int, OUT alpha float8, OUT regularization float8,
    OUT loss float8, OUT train_seconds float8, OUT options jsonb,
    OUT title_ids bigint[], OUT title_counts real[], OUT title_factors real[],
    OUT trained_at timestamptz)
    AS 'MODULE_PATHNAME', 'trained_store_row'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION _trained_store_row() IS
    'internal (used by train): header and title side of the model _train_als trained, as a model_store row';

CREATE FUNCTION _trained_user_rows()
RETURNS TABLE(user_id bigint, factors real[], title_ids bigint[], weights real[])
    AS 'MODULE_PATHNAME', 'trained_user_rows'
    LANGUAGE C VOLATILE PARALLEL UNSAFE COST 1000 ROWS 100000;
COMMENT ON FUNCTION _trained_user_rows() IS
    'internal (used by train): one model_users row per user of the model _train_als trained';

CREATE FUNCTION _trained_neighbours(OUT neighbour_rows int[], OUT neighbour_scores real[])
    AS 'MODULE_PATHNAME', 'trained_neighbours'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION _trained_neighbours() IS
    'internal (used by train): the co-occurrence neighbour lists of the model _train_als trained, as _model_neighbours computes them at deploy';

CREATE FUNCTION _train_forget()
RETURNS void
    AS 'MODULE_PATHNAME', 'train_forget'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION _train_forget() IS
    'internal (used by train): free the model _train_als trained';

CREATE PROCEDURE train(name text, events regclass, options jsonb DEFAULT '{}',
                       make_default boolean DEFAULT false, keep int DEFAULT 3)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_version bigint;
BEGIN
    IF train.events IS NULL THEN
        RAISE EXCEPTION 'events relation must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Name a table or view with columns user_id, title_id and weight.';
    END IF;
    PERFORM nfrec._deploy_check(train.name, train.events, train.make_default, train.keep);
    PERFORM nfrec._train_als(train.events, train.options);

    PERFORM nfrec._deploy_begin(train.name);
    INSERT INTO nfrec.model_store AS s
           (name, events, factors, users, titles, training_events, iterations,
            alpha, regularization, loss, train_seconds, options,
            title_ids, title_counts, title_factors, trained_at, deployed_at,
            neighbour_rows, neighbour_scores)
    SELECT train.name, train.events, r.*, pg_catalog.clock_timestamp(),
           nb.neighbour_rows, nb.neighbour_scores
      FROM nfrec._trained_store_row() r, nfrec._trained_neighbours() nb
    RETURNING s.version INTO new_version;
    -- the set-returning function in the select list streams its rows
    -- (OFFSET 0 keeps it from being expanded once per column)
    INSERT INTO nfrec.model_users (version, user_id, factors, title_ids, weights)
    SELECT new_version, (q.r).user_id, (q.r).factors, (q.r).title_ids, (q.r).weights
      FROM (SELECT nfrec._trained_user_rows() AS r OFFSET 0) q;
    PERFORM nfrec._train_forget();
    PERFORM nfrec._deploy_finish(train.name, train.keep, train.make_default);
    RAISE NOTICE 'model "%" version % trained and deployed', train.name, new_version;
END
$$;
COMMENT ON PROCEDURE train(text, regclass, jsonb, boolean, int) IS
    'train ALS on a table or view (user_id, title_id, weight: duplicates summed, as als_train) and deploy it under a name as its new current version, without the 1 GB limit of an als_model value; options: those of als_train; events is bound for serving as with deploy; make_default and keep as deploy''s';
