
-- ---------------------------------------------------------------------
-- Hyper-parameter tuning
-- ---------------------------------------------------------------------

CREATE FUNCTION als_tune(
    train regclass,
    validation regclass,
    grid jsonb DEFAULT '{"factors": [16, 32, 64], "alpha": [1, 5], "regularization": [0.1, 30, 100]}',
    k int DEFAULT 10,
    base_options jsonb DEFAULT '{}',
    metric text DEFAULT 'ndcg')
RETURNS TABLE(options jsonb, "precision" float8, recall float8, ndcg float8, map float8,
              coverage float8, train_seconds float8, is_best bool)
LANGUAGE plpgsql VOLATILE COST 1000000 ROWS 12
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    combos jsonb[];
    opts jsonb;
    m nfrec.als_model;
    e record;
    t0 timestamptz;
    res_options jsonb[] := '{}';
    res_metrics float8[] := '{}';      -- 5 per configuration
    res_seconds float8[] := '{}';
    best int := 0;
    best_value float8;
    value float8;
    i int;
    n int;
    dist boolean;
BEGIN
    IF grid IS NULL OR jsonb_typeof(grid) <> 'object' THEN
        RAISE EXCEPTION 'grid must be a JSON object of option name to array of values'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example {"factors": [32, 64], "alpha": [10, 40]}.';
    END IF;
    IF base_options IS NULL OR jsonb_typeof(base_options) <> 'object' THEN
        RAISE EXCEPTION 'base_options must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF metric IS NULL OR metric NOT IN ('precision', 'recall', 'ndcg', 'map') THEN
        RAISE EXCEPTION 'metric must be one of precision, recall, ndcg, map'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF k IS NULL OR k < 1 THEN
        RAISE EXCEPTION 'k must be at least 1'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_each(grid) g
                WHERE jsonb_typeof(g.value) = 'array' AND jsonb_array_length(g.value) = 0) THEN
        RAISE EXCEPTION 'every grid entry needs at least one value'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM nfrec._check_interactions(train, true);
    PERFORM nfrec._check_interactions(validation, false);

    -- the cartesian product of the grid, in a stable order
    WITH RECURSIVE keys AS (
        SELECT g.key, g.value, row_number() OVER (ORDER BY g.key) AS i FROM jsonb_each(grid) g
    ), c(i, o) AS (
        SELECT 0::bigint, '{}'::jsonb
        UNION ALL
        SELECT c.i + 1, c.o || jsonb_build_object(keys.key, v.value)
          FROM c JOIN keys ON keys.i = c.i + 1
         CROSS JOIN LATERAL jsonb_array_elements(
               CASE jsonb_typeof(keys.value) WHEN 'array' THEN keys.value
                    ELSE jsonb_build_array(keys.value) END) WITH ORDINALITY AS v(value, ord)
    )
    SELECT array_agg(c.o ORDER BY c.o) INTO combos
      FROM c WHERE c.i = (SELECT count(*) FROM keys);
    n := cardinality(combos);
    -- on Citus, train where the rows live (train_distributed's steps) when
    -- they are distributed by user_id; als_train would pull them all here
    SELECT r.dist_col = 'user_id' INTO dist FROM nfrec._als_dist_rel(train) r;

    FOR i IN 1 .. n LOOP
        opts := base_options || combos[i];
        t0 := clock_timestamp();
        IF dist THEN
            SELECT r.model INTO m FROM nfrec._als_dist_train(train, opts) r;
        ELSE
            EXECUTE format('SELECT nfrec.als_train(user_id, title_id, weight, $1) FROM %s', train)
               INTO m USING opts;
        END IF;
        res_seconds := res_seconds || extract(epoch FROM clock_timestamp() - t0)::float8;
        SELECT * INTO e FROM nfrec.evaluate(m, validation, k);
        res_options := res_options || opts;
        res_metrics := res_metrics || ARRAY[e.precision, e.recall, e.ndcg, e.map, e.coverage];
        value := CASE metric WHEN 'precision' THEN e.precision WHEN 'recall' THEN e.recall
                             WHEN 'ndcg' THEN e.ndcg ELSE e.map END;
        IF value IS NOT NULL AND (best = 0 OR value > best_value) THEN
            best := i;
            best_value := value;
        END IF;
        RAISE NOTICE 'als_tune: configuration %/% %: %@% = %', i, n, opts, metric, k,
            coalesce(round(value::numeric, 4)::text, 'n/a');
    END LOOP;

    RETURN QUERY
    SELECT res_options[j], res_metrics[5 * j - 4], res_metrics[5 * j - 3], res_metrics[5 * j - 2],
           res_metrics[5 * j - 1], res_metrics[5 * j], res_seconds[j], j = best
      FROM generate_series(1, n) AS j;
END
$$;
COMMENT ON FUNCTION als_tune(regclass, regclass, jsonb, int, jsonb, text) IS
    'grid search: train nfrec.als_train on train (user_id, title_id, weight) for every combination of the grid (merged over base_options), evaluate each on validation (user_id, title_id) at k, and mark the best by metric (ndcg, map, recall or precision); on Citus, when train is (or is a view over) a table distributed by user_id, each configuration trains with train_distributed''s steps where the rows live (the same model within rounding)';
