-- ---------------------------------------------------------------------
-- Cold start for titles: content to factor space (doc/serve.md, "New titles")
-- ---------------------------------------------------------------------

-- The factors of titles that have no events, mapped from their content: for
-- every title of metadata that the model does not know, the average of the
-- factors of its `neighbours` most similar trained titles by TF-IDF cosine of
-- description words and genres (tokens 'genre:<name>', twice), weighted by
-- the cosine.  The TF-IDF corpus is every row of metadata.
CREATE FUNCTION _cold_title_factors(
    title_ids bigint[], title_factors real[],
    metadata regclass, neighbours int, config regconfig)
RETURNS TABLE(title_id bigint, factors real[], neighbour_ids bigint[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH meta AS MATERIALIZED (
        SELECT DISTINCT ON (m.title_id) m.title_id,
               nfrec.lexemes(coalesce(m.description::text, ''), $1)
               OPERATOR(pg_catalog.||) coalesce((SELECT pg_catalog.array_agg('genre:' OPERATOR(pg_catalog.||) pg_catalog.lower(g))
                                                   FROM pg_catalog.unnest(m.genres::text[]) g, pg_catalog.generate_series(1, 2) r
                                                  WHERE g IS NOT NULL), '{}') AS tokens
          FROM %s m
         WHERE m.title_id IS NOT NULL
         ORDER BY m.title_id
    ), vocab AS (
        SELECT nfrec.tfidf_fit(meta.tokens) AS v FROM meta
    ), vec AS MATERIALIZED (
        SELECT meta.title_id, nfrec.tfidf_vec(meta.tokens, vocab.v) AS v FROM meta, vocab
    ), warm AS MATERIALIZED (
        SELECT w.id, w.ord, vec.v
          FROM pg_catalog.unnest($2) WITH ORDINALITY AS w(id, ord)
          JOIN vec ON vec.title_id OPERATOR(pg_catalog.=) w.id
    ), cold AS (
        SELECT vec.title_id, vec.v FROM vec
         WHERE vec.title_id OPERATOR(pg_catalog.<>) ALL ($2)
    ), nb AS (
        SELECT c.title_id, n.ord, n.id, n.s
          FROM cold c
         CROSS JOIN LATERAL (
               SELECT warm.ord, warm.id, nfrec.cosine_sim(c.v, warm.v) AS s
                 FROM warm
                WHERE nfrec.cosine_sim(c.v, warm.v) OPERATOR(pg_catalog.>) 0
                ORDER BY 3 DESC, warm.id
                LIMIT $3) n
    ), f AS (
        SELECT nb.title_id, j.f,
               (pg_catalog.sum(nb.s OPERATOR(pg_catalog.*) $4[nb.ord][j.f])
                  OPERATOR(pg_catalog./) pg_catalog.sum(nb.s))::real AS y
          FROM nb CROSS JOIN pg_catalog.generate_series(1, pg_catalog.array_length($4, 2)) AS j(f)
         GROUP BY nb.title_id, j.f
    )
    SELECT f.title_id, pg_catalog.array_agg(f.y ORDER BY f.f),
           (SELECT pg_catalog.array_agg(nb.id ORDER BY nb.s DESC, nb.id) FROM nb WHERE nb.title_id OPERATOR(pg_catalog.=) f.title_id)
      FROM f GROUP BY f.title_id ORDER BY f.title_id
    $q$, metadata)
    USING config, title_ids, neighbours, title_factors;
END
$$;
COMMENT ON FUNCTION _cold_title_factors(bigint[], real[], regclass, int, regconfig) IS
    'internal (used by deploy_cold_titles): for every title of metadata not in title_ids, the cosine-weighted average of the factors of its most similar titles of title_ids by TF-IDF of description and genres, and those titles';

CREATE FUNCTION deploy_cold_titles(
    model text,
    metadata regclass DEFAULT 'content_metadata'::text::regclass,
    neighbours int DEFAULT 20,
    config regconfig DEFAULT 'english',
    keep int DEFAULT 3)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cur nfrec.model_store;
    m nfrec.als_model;
    cold_ids bigint[];
    cold_factors real[];
    cold_neighbours jsonb;
    user_ids bigint[];
    user_factors real[];
    ev_users bigint[];
    ev_titles bigint[];
    ev_weights real[];
    new_version bigint;
    unmapped bigint;
    base_ids bigint[];
    base_factors real[];
BEGIN
    IF deploy_cold_titles.model IS NULL OR metadata IS NULL OR neighbours IS NULL
       OR config IS NULL OR keep IS NULL THEN
        RAISE EXCEPTION 'arguments of nfrec.deploy_cold_titles must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF neighbours < 1 OR neighbours > 1000 THEN
        RAISE EXCEPTION 'neighbours must be between 1 and 1000, not %', neighbours
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM nfrec._check_columns(metadata, ARRAY['title_id']);
    IF (SELECT count(*) FROM pg_attribute a
         WHERE a.attrelid = metadata AND a.attname IN ('description', 'genres')
           AND a.attnum > 0 AND NOT a.attisdropped) < 2 THEN
        RAISE EXCEPTION 'relation "%" needs the columns description and genres', metadata::text
            USING ERRCODE = 'undefined_column',
                  HINT = 'Pass content_metadata or a view with title_id, description (text) and genres (text[]).';
    END IF;

    -- the version replaced is the one read: no deployment in between
    LOCK TABLE nfrec.model_store IN SHARE ROW EXCLUSIVE MODE;
    SELECT s.* INTO cur FROM nfrec.model_store s
     WHERE s.name = deploy_cold_titles.model AND s.is_current;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist', deploy_cold_titles.model
            USING ERRCODE = 'undefined_object',
                  HINT = 'The view nfrec.models lists the deployed models.';
    END IF;

    -- titles mapped by an earlier call are cold again: map them afresh
    SELECT coalesce(array_agg(t.id ORDER BY t.ord), '{}'),
           array_agg((SELECT array_agg(cur.title_factors[t.ord][j] ORDER BY j)
                        FROM generate_series(1, cur.factors) j) ORDER BY t.ord)
      INTO base_ids, base_factors
      FROM unnest(cur.title_ids) WITH ORDINALITY AS t(id, ord)
     WHERE NOT coalesce(cur.options -> 'cold_titles' @> to_jsonb(t.id), false);
    IF cardinality(base_ids) = 0 THEN
        RAISE EXCEPTION 'model "%" has no trained titles', deploy_cold_titles.model
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT coalesce(array_agg(c.title_id ORDER BY c.title_id), '{}'),
           array_agg(c.factors ORDER BY c.title_id),
           coalesce(jsonb_object_agg(c.title_id::text, to_jsonb(c.neighbour_ids)), '{}')
      INTO cold_ids, cold_factors, cold_neighbours
      FROM nfrec._cold_title_factors(base_ids, base_factors, metadata, neighbours, config) c;
    EXECUTE format('SELECT count(DISTINCT m.title_id) FROM %s m WHERE m.title_id <> ALL ($1)', metadata)
       INTO unmapped USING base_ids;
    unmapped := unmapped - cardinality(cold_ids);
    IF unmapped > 0 THEN
        RAISE NOTICE 'deploy_cold_titles: % titles of % share no word or genre with a trained title and are left out',
            unmapped, metadata;
    END IF;
    -- nothing new (the same titles as the current version's mapped ones)
    IF coalesce(cur.options -> 'cold_titles', '[]') = to_jsonb(cold_ids) THEN
        RAISE NOTICE 'deploy_cold_titles: no new title in %; model "%" is unchanged', metadata, deploy_cold_titles.model;
        RETURN cur.version;
    END IF;

    SELECT array_agg(u.user_id ORDER BY u.user_id), array_agg(u.factors ORDER BY u.user_id)
      INTO user_ids, user_factors
      FROM nfrec.model_users u WHERE u.version = cur.version;
    SELECT coalesce(array_agg(u.user_id), '{}'), coalesce(array_agg(e.t), '{}'),
           coalesce(array_agg(e.w), '{}')
      INTO ev_users, ev_titles, ev_weights
      FROM nfrec.model_users u, unnest(u.title_ids, u.weights) AS e(t, w)
     WHERE u.version = cur.version;

    m := nfrec.als_model_from_factors(
        user_ids, user_factors, base_ids || cold_ids, base_factors || cold_factors,
        ev_users, ev_titles, ev_weights, cur.alpha, cur.regularization,
        coalesce(cur.options ->> 'regularization_scaling', 'none'));
    new_version := nfrec.deploy(deploy_cold_titles.model, m, cur.events, false, keep);

    -- the new version is the trained one plus mapped titles: keep its
    -- training record, and say which titles are mapped and from what
    UPDATE nfrec.model_store s
       SET iterations = cur.iterations, loss = cur.loss, train_seconds = cur.train_seconds,
           trained_at = cur.trained_at,
           options = (cur.options - 'cold_titles' - 'cold_start')
                     || jsonb_build_object('cold_titles', to_jsonb(cold_ids),
                                           'cold_start', jsonb_build_object(
                                               'from_version', cur.version,
                                               'metadata', metadata::text,
                                               'neighbours', neighbours,
                                               'config', config::text,
                                               'neighbour_ids', cold_neighbours))
     WHERE s.version = new_version;
    RAISE NOTICE 'deploy_cold_titles: % titles of % mapped to factors from their content in a new version of model "%"',
        cardinality(cold_ids), metadata, deploy_cold_titles.model;
    RETURN new_version;
END
$$;
COMMENT ON FUNCTION deploy_cold_titles(text, regclass, int, regconfig, int) IS
    'deploy a new version of a model with the titles of metadata that it lacks (no events) added: their factors are the cosine-weighted average of the factors of their most similar trained titles by TF-IDF of description and genres, their popularity 0; options.cold_titles lists them and options.cold_start says how they were mapped; returns the version';
