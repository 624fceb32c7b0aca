
-- ---------------------------------------------------------------------
-- Distributed ALS: CALL nfrec.train_distributed(name, events, options)
-- ---------------------------------------------------------------------
--
-- Trains the model als_train would train on the same rows (same options,
-- seed, defaults from the data) with the user side kept next to the
-- events: on Citus a work table colocated with the events holds each
-- user's canonical events and factors, the user half-step runs on the
-- shards, and only the title side travels (doc/scale.md, "Distributed
-- ALS").  On a plain table the same statements run locally.  The _als_dist
-- functions are its steps (src/als_dist.c); they take only values that
-- train_distributed makes.

CREATE FUNCTION _als_dist_check_options(options jsonb)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'als_dist_check_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_check_options(jsonb) IS
    'internal (train_distributed): error on bad options (those of als_train); returns the verbose option';

CREATE FUNCTION _als_dist_options(options jsonb, users bigint, titles bigint, events bigint, abs_weight_sum float8)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'als_dist_options'
    LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_options(jsonb, bigint, bigint, bigint, float8) IS
    'internal (train_distributed): the effective options, those not given chosen from the counts as als_train chooses them (NOTICE when verbose)';

CREATE FUNCTION _als_dist_params(options jsonb, titles int)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'als_dist_params'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_params(jsonb, int) IS
    'internal (train_distributed): the training parameters as the steps read them';

CREATE FUNCTION _als_dist_canon(title_ids bigint[], user_titles bigint[], weights float8[])
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'als_dist_canon'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_canon(bigint[], bigint[], float8[]) IS
    'internal (train_distributed): one user''s events as als_train canonicalizes them (title indexes, duplicates summed)';

CREATE FUNCTION _als_dist_abs_sum(weights float8[])
    RETURNS float8
    AS 'MODULE_PATHNAME', 'als_dist_abs_sum'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_abs_sum(float8[]) IS
    'internal (train_distributed): sum of absolute weights, independent of their order';

CREATE FUNCTION _als_dist_ev_count(ev bytea)
    RETURNS int
    AS 'MODULE_PATHNAME', 'als_dist_ev_count'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_ev_count(bytea) IS
    'internal (train_distributed): the number of distinct titles in a user''s canonical events';

CREATE FUNCTION _als_dist_ev_rows(ev bytea, title_ids bigint[])
    RETURNS TABLE (title_id bigint, weight real)
    AS 'MODULE_PATHNAME', 'als_dist_ev_rows'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 50;
COMMENT ON FUNCTION _als_dist_ev_rows(bytea, bigint[]) IS
    'internal (train_distributed): a user''s canonical events as rows';

CREATE FUNCTION _als_dist_init(params bytea, title_ids bigint[])
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'als_dist_init'
    LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_init(bytea, bigint[]) IS
    'internal (train_distributed): the first title side (factors from the seed and the title ids, their Gram matrix); volatile: each value carries a fresh identity for the shards'' cache';

CREATE FUNCTION _als_dist_loss(blob bytea)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'als_dist_loss'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_loss(bytea) IS
    'internal (train_distributed): the training loss recorded by the item step that made the title side';

CREATE FUNCTION _als_dist_title_factors(blob bytea)
    RETURNS real[]
    AS 'MODULE_PATHNAME', 'als_dist_title_factors'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_title_factors(bytea) IS
    'internal (train_distributed): the title factors, titles x factors';

CREATE FUNCTION _als_dist_user(blob bytea, user_id bigint, ev bytea, x real[], solve boolean)
    RETURNS real[]
    AS 'MODULE_PATHNAME', 'als_dist_user'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_user(bytea, bigint, bytea, real[], boolean) IS
    'internal (train_distributed): the user half-step for one user (runs on the shards); x NULL starts from the seed';

CREATE FUNCTION _als_dist_sums_accum(state bytea, params bytea, ev bytea, x real[])
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'als_dist_sums_accum'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_sums_accum(bytea, bytea, bytea, real[]) IS
    'internal: transition function of nfrec._als_dist_sums';

CREATE FUNCTION _als_dist_sums_combine(state1 bytea, state2 bytea)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'als_dist_sums_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_sums_combine(bytea, bytea) IS
    'internal: combine function of nfrec._als_dist_sums (adds partial sums)';

-- a bytea state (not internal): Citus runs it per shard and combines the
-- partial states on the coordinator
CREATE AGGREGATE _als_dist_sums(params bytea, ev bytea, x real[]) (
    SFUNC = _als_dist_sums_accum,
    STYPE = bytea,
    COMBINEFUNC = _als_dist_sums_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE _als_dist_sums(bytea, bytea, real[]) IS
    'internal (train_distributed): per-title sums of the item half-step (users, sum c p, sum c p x_u, sum (c - 1) x_u x_u^T) and the users'' Gram matrix and regularization';

CREATE FUNCTION _als_dist_items(params bytea, sums bytea, blob bytea, solve boolean)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'als_dist_items'
    LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_dist_items(bytea, bytea, bytea, boolean) IS
    'internal (train_distributed): the item half-step from the per-title sums, the loss, the next title side';

CREATE FUNCTION _als_dist_rel(events regclass, OUT dist_rel regclass, OUT dist_col text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rels oid[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    WITH RECURSIVE r(oid) AS (
        SELECT _als_dist_rel.events::oid
        UNION
        SELECT d.refobjid
          FROM r JOIN pg_catalog.pg_rewrite w ON w.ev_class = r.oid
          JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                                     AND d.objid = w.oid
                                     AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                     AND d.refobjid <> r.oid)
    SELECT pg_catalog.array_agg(r.oid) INTO rels FROM r;
    EXECUTE $q$SELECT p.logicalrelid::pg_catalog.regclass,
                      pg_catalog.column_to_column_name(p.logicalrelid, p.partkey)
                 FROM pg_catalog.pg_dist_partition p
                WHERE p.partmethod = 'h' AND p.logicalrelid::pg_catalog.oid = ANY ($1)
                ORDER BY (pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) = 'user_id') DESC,
                         p.logicalrelid::pg_catalog.oid
                LIMIT 1$q$
        INTO dist_rel, dist_col USING rels;
END
$$;
COMMENT ON FUNCTION _als_dist_rel(regclass) IS
    'internal (train_distributed, als_tune, retrain): the hash-distributed table holding the events (the relation itself, or a table under a view; one distributed by user_id first) and its distribution column; NULL without Citus or for local relations';

CREATE FUNCTION _als_dist_train(events regclass, options jsonb, holdout float8 DEFAULT NULL, seed bigint DEFAULT 0,
                                keep_work boolean DEFAULT false,
                                OUT model nfrec.als_model, OUT options_used jsonb, OUT iterations int,
                                OUT loss float8, OUT title_counts real[], OUT work text, OUT work_titles bigint[])
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t0 timestamptz := pg_catalog.clock_timestamp();
    t1 timestamptz;
    chatty boolean;
    dist_rel regclass;
    dist_col text;
    user_type text;
    work_rel text;
    work_name text;
    title_ids bigint[];
    nusers bigint;
    nev bigint;
    wsum float8;
    nskipped bigint;
    nrows bigint;
    eff jsonb;
    params bytea;
    blob bytea;
    sums bytea;
    iters int;
    uids bigint[];
    ufac real[];
    evu bigint[];
    evt bigint[];
    evw real[];
    final_loss float8;
    keep_rows text := '';
BEGIN
    chatty := nfrec._als_dist_check_options(_als_dist_train.options);
    PERFORM nfrec._check_interactions(_als_dist_train.events, true);
    IF holdout IS NOT NULL THEN
        keep_rows := pg_catalog.format(' AND NOT nfrec.holdout(e.user_id::bigint, e.title_id::bigint, %L::float8, %L::bigint)',
                                       holdout, seed);
    END IF;

    -- where the events live: a hash-distributed table (or one under a view)
    -- distributed by user_id gets a colocated work table; anything else a
    -- temporary one
    SELECT r.dist_rel, r.dist_col INTO dist_rel, dist_col FROM nfrec._als_dist_rel(_als_dist_train.events) r;
    IF dist_rel IS NOT NULL AND dist_col <> 'user_id' THEN
        RAISE EXCEPTION 'events relation % is distributed by "%", not by user_id', _als_dist_train.events, dist_col
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = format('Distributed training keeps each user''s factors next to the user''s events, so %s must be distributed by user_id.', dist_rel),
                  HINT = 'Distribute the events by user_id, or train with nfrec.als_train.';
    END IF;

    work_name := 'nfrec_train_' || pg_catalog.pg_backend_pid();
    IF dist_rel IS NOT NULL THEN
        SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO user_type
          FROM pg_catalog.pg_attribute a WHERE a.attrelid = dist_rel AND a.attname = 'user_id';
        SELECT pg_catalog.format('%I.%I', n.nspname, work_name
                                 || CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_class c2
                                                       WHERE c2.relnamespace = n.oid AND c2.relname = work_name)
                                         THEN '_' || pg_catalog.md5(pg_catalog.clock_timestamp()::text) ELSE '' END)
          INTO work_rel
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = dist_rel;
        EXECUTE pg_catalog.format('CREATE UNLOGGED TABLE %s (user_id %s NOT NULL, ev bytea NOT NULL, wabs float8 NOT NULL, x real[])',
                                  work_rel, user_type);
        EXECUTE 'SELECT pg_catalog.create_distributed_table($1, ''user_id'', colocate_with => $2)'
            USING work_rel, dist_rel::text;
    ELSE
        work_rel := pg_catalog.format('pg_temp.%I', work_name);
        EXECUTE pg_catalog.format('CREATE TEMPORARY TABLE %s (user_id bigint NOT NULL, ev bytea NOT NULL, wabs float8 NOT NULL, x real[]) ON COMMIT DROP',
                                  pg_catalog.quote_ident(work_name));
    END IF;

    -- the rows: titles, then each user's canonical events (one pass each)
    EXECUTE pg_catalog.format($q$SELECT pg_catalog.array_agg(s.t ORDER BY s.t)
                                   FROM (SELECT e.title_id::bigint AS t FROM %s e
                                          WHERE e.user_id IS NOT NULL AND e.title_id IS NOT NULL AND e.weight IS NOT NULL%s
                                          GROUP BY 1) s$q$, _als_dist_train.events, keep_rows)
        INTO title_ids;
    IF title_ids IS NULL THEN
        RAISE EXCEPTION 'events relation % has no rows to train on', _als_dist_train.events
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Training needs rows with a user_id, a title_id and a weight.';
    END IF;
    EXECUTE pg_catalog.format($q$SELECT pg_catalog.count(*) FILTER (WHERE e.user_id IS NULL OR e.title_id IS NULL
                                                                   OR e.weight IS NULL),
                                        pg_catalog.count(*)
                                   FROM %s e WHERE true%s$q$, _als_dist_train.events, keep_rows)
        INTO nskipped, nrows;
    EXECUTE pg_catalog.format($q$INSERT INTO %s (user_id, ev, wabs)
                                 SELECT e.user_id,
                                        nfrec._als_dist_canon($1, pg_catalog.array_agg(e.title_id::bigint),
                                                              pg_catalog.array_agg(e.weight::float8)),
                                        nfrec._als_dist_abs_sum(pg_catalog.array_agg(e.weight::float8))
                                   FROM %s e
                                  WHERE e.user_id IS NOT NULL AND e.title_id IS NOT NULL AND e.weight IS NOT NULL%s
                                  GROUP BY e.user_id$q$, work_rel, _als_dist_train.events, keep_rows)
        USING title_ids;
    EXECUTE pg_catalog.format($q$SELECT pg_catalog.count(*), pg_catalog.sum(nfrec._als_dist_ev_count(w.ev)),
                                        pg_catalog.sum(w.wabs)
                                   FROM %s w$q$, work_rel)
        INTO nusers, nev, wsum;
    IF nskipped > 0 THEN
        RAISE NOTICE 'train_distributed skipped % of % rows with a null user_id, title_id or weight',
            nskipped, nrows;
    END IF;

    eff := nfrec._als_dist_options(_als_dist_train.options, nusers,
                                   pg_catalog.cardinality(title_ids), nev, wsum);
    params := nfrec._als_dist_params(eff - 'from_data', pg_catalog.cardinality(title_ids));
    iters := (eff ->> 'iterations')::int;
    IF chatty THEN
        RAISE NOTICE 'train_distributed: % users, % titles, % interactions, % factors, % solver, work table % (% s to prepare)',
            nusers, pg_catalog.cardinality(title_ids), nev, eff ->> 'factors', eff ->> 'solver',
            CASE WHEN dist_rel IS NULL THEN 'local' ELSE 'colocated with ' || dist_rel::text END,
            pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t0)::numeric, 3);
    END IF;

    -- iterations: user step on the shards, per-title sums on the shards,
    -- item step here
    blob := nfrec._als_dist_init(params, title_ids);
    FOR it IN 1 .. GREATEST(iters, 1) LOOP
        t1 := pg_catalog.clock_timestamp();
        EXECUTE pg_catalog.format('UPDATE %s SET x = nfrec._als_dist_user($1, user_id, ev, x, $2)', work_rel)
            USING blob, iters > 0;
        EXECUTE pg_catalog.format('SELECT nfrec._als_dist_sums($1, w.ev, w.x) FROM %s w', work_rel)
            INTO sums USING params;
        blob := nfrec._als_dist_items(params, sums, blob, iters > 0);
        IF chatty AND iters > 0 THEN
            RAISE NOTICE 'train_distributed iteration % of %: loss %, % s', it, iters,
                pg_catalog.btrim(pg_catalog.to_char(nfrec._als_dist_loss(blob), '9.9999999EEEE')),
                pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t1)::numeric, 3);
        END IF;
    END LOOP;
    final_loss := nfrec._als_dist_loss(blob);

    -- deploy: the factors and the canonical events come to the coordinator once
    EXECUTE pg_catalog.format($q$SELECT pg_catalog.array_agg(w.user_id::bigint ORDER BY w.user_id),
                                        pg_catalog.array_agg(w.x ORDER BY w.user_id)
                                   FROM %s w$q$, work_rel)
        INTO uids, ufac;
    EXECUTE pg_catalog.format($q$SELECT pg_catalog.array_agg(w.user_id::bigint), pg_catalog.array_agg(r.title_id),
                                        pg_catalog.array_agg(r.weight)
                                   FROM %s w, nfrec._als_dist_ev_rows(w.ev, $1) r$q$, work_rel)
        INTO evu, evt, evw USING title_ids;
    -- keep_work: the caller (train_distributed) writes the users' rows on
    -- the shards from a colocated work table, then drops it
    IF keep_work AND dist_rel IS NOT NULL THEN
        work := work_rel;
        work_titles := title_ids;
    ELSE
        EXECUTE pg_catalog.format('DROP TABLE %s', work_rel);
    END IF;
    model := nfrec.als_model_from_factors(uids, ufac, title_ids, nfrec._als_dist_title_factors(blob),
                                      evu, evt, evw, (eff ->> 'alpha')::float8,
                                      (eff ->> 'regularization')::float8,
                                      eff ->> 'regularization_scaling');
    options_used := eff || pg_catalog.jsonb_build_object('trained_by', 'train_distributed',
                                                         'work', CASE WHEN dist_rel IS NULL THEN 'local'
                                                                      ELSE 'colocated with ' || dist_rel::text END);
    iterations := iters;
    loss := final_loss;
    -- popularity as als_train counts it: events with a positive weight
    title_counts := (SELECT pg_catalog.array_agg(c.n ORDER BY c.t)
                       FROM (SELECT t.t, (pg_catalog.count(e.w) FILTER (WHERE e.w > 0))::real AS n
                               FROM pg_catalog.unnest(title_ids) t(t)
                               LEFT JOIN unnest(evt, evw) e(t, w) ON e.t = t.t
                              GROUP BY t.t) c);
END
$$;
COMMENT ON FUNCTION _als_dist_train(regclass, jsonb, float8, bigint, boolean) IS
    'internal (train_distributed, als_tune, retrain): train_distributed''s training without the deploy: the model value, the effective options, iterations, loss and title popularity; with holdout, the rows nfrec.holdout(user_id, title_id, holdout, seed) keeps out are left out; keep_work: a colocated work table is kept and named in work (with its title ids in work_titles) for the caller to drop';

CREATE PROCEDURE train_distributed(name text, events regclass, options jsonb DEFAULT NULL,
                                   make_default boolean DEFAULT false, keep int DEFAULT 3)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t0 timestamptz := pg_catalog.clock_timestamp();
    chatty boolean;
    r record;
    v bigint;
    secs float8;
BEGIN
    IF train_distributed.name IS NULL OR train_distributed.events IS NULL THEN
        RAISE EXCEPTION 'model name and events must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF train_distributed.name = '' THEN
        RAISE EXCEPTION 'model name must not be empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF train_distributed.make_default IS NULL OR train_distributed.keep IS NULL THEN
        RAISE EXCEPTION 'make_default and keep must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF train_distributed.keep < 1 THEN
        RAISE EXCEPTION 'keep must be at least 1, not %', train_distributed.keep
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'keep counts the versions kept under the name, the new one included.';
    END IF;
    chatty := nfrec._als_dist_check_options(train_distributed.options);
    PERFORM nfrec._check_interactions(train_distributed.events, true);
    IF EXISTS (SELECT 1 FROM nfrec.model_store s
               WHERE s.name = train_distributed.name AND s.is_current AND s.kind <> 'als') THEN
        RAISE EXCEPTION 'model "%" is an EASE model', train_distributed.name
            USING ERRCODE = 'duplicate_object',
                  DETAIL = 'train_distributed deploys ALS models; it does not replace a model of another kind.',
                  HINT = 'Choose another name, or drop the model first with nfrec.drop_model.';
    END IF;

    SELECT * INTO r FROM nfrec._als_dist_train(train_distributed.events, train_distributed.options,
                                               keep_work => true);
    -- deploy's steps, with the header completed before the workers (if
    -- the name is distributed to them) get it
    PERFORM nfrec._deploy_check(train_distributed.name, train_distributed.events,
                                train_distributed.make_default, train_distributed.keep);
    PERFORM nfrec._deploy_begin(train_distributed.name);
    v := nfrec._deploy_store(train_distributed.name, r.model, train_distributed.events);
    secs := extract(epoch FROM pg_catalog.clock_timestamp() - t0);
    UPDATE nfrec.model_store s
       SET iterations = r.iterations, loss = r.loss, train_seconds = secs,
           title_counts = r.title_counts,
           trained_at = pg_catalog.clock_timestamp(),
           options = r.options_used
     WHERE s.version = v;
    PERFORM nfrec._deploy_keep(train_distributed.name, train_distributed.keep, train_distributed.make_default);
    -- a name distributed to Citus workers: each shard writes its users'
    -- rows from the work table (58_distsync.sql); only the title side
    -- passes through here
    PERFORM nfrec._dist_sync(train_distributed.name, r.work, r.work_titles);
    IF r.work IS NOT NULL THEN
        EXECUTE pg_catalog.format('DROP TABLE %s', r.work);
    END IF;
    IF chatty THEN
        RAISE NOTICE 'train_distributed done: model "%" version %, loss %, % s in all', train_distributed.name, v,
            pg_catalog.btrim(pg_catalog.to_char(r.loss, '9.9999999EEEE')), pg_catalog.round(secs::numeric, 3);
    END IF;
END
$$;
COMMENT ON PROCEDURE train_distributed(text, regclass, jsonb, boolean, int) IS
    'train implicit ALS on events (user_id, title_id, weight) where they live and deploy it under a name (like nfrec.deploy with events bound): on Citus the user half-step runs on the shards next to each user''s events and only the title side and per-title sums travel; on a plain table the same steps run locally; options and result as als_train (same seed and options: the same model within rounding); make_default and keep as in deploy';
