
-- ---------------------------------------------------------------------
-- Keeping the workers' copies in step (doc/scale.md, "In step")
-- ---------------------------------------------------------------------
--
-- model_distribution remembers the names distribute_model copied to the
-- Citus workers.  Every registry change on the coordinator (deploy, train,
-- train_distributed, retrain, rollback, set_default, drop_model) ends in
-- _dist_sync, which brings the workers' registries in step inside the
-- same transaction: it writes to two Citus tables, the reference table
-- nfrec.model_sync (one row per change: the name, the version to make
-- current, the versions the coordinator keeps, the default, and the
-- header and title side when the workers lack that version) and a
-- distributed table nfrec.model_sync_users_<colocation id> colocated
-- with the model's users (one row per user of a version the workers
-- lack).  Neither table keeps a row: a trigger on their shards applies
-- the rows to the worker's own registry tables (_dist_apply_model,
-- BEFORE each row, returning NULL; _dist_apply_users, after each
-- statement, from its transition table, then deletes them).  The writes are Citus' own
-- modifications, so they travel over the coordinated transaction's
-- connections and commit with two-phase commit together with the
-- coordinator's change: if the coordinator's transaction rolls back, so
-- do the workers'; if a worker cannot be reached, the change fails.
-- The user side of a model trained by train_distributed is written from
-- its colocated work table by an INSERT ... SELECT that Citus pushes down
-- to the shards, so only the title side passes through the coordinator.
-- The triggers need citus.enable_unsafe_triggers when they are created
-- (Citus refuses triggers on its tables otherwise): they only write the
-- node's own plain registry tables, never a distributed table.

CREATE TABLE model_distribution (
    name          text PRIMARY KEY,
    colocate_with regclass NOT NULL,
    route         boolean NOT NULL,
    versions      bigint[] NOT NULL DEFAULT '{}',
    synced_at     timestamptz
);
COMMENT ON TABLE model_distribution IS
    'models copied to the Citus workers by nfrec.distribute_model: the relation their users are colocated with, whether serving is routed, the versions the workers hold (kept in step by every registry change of the name, in the same transaction); a row goes with drop_model';
SELECT pg_catalog.pg_extension_config_dump('nfrec.model_distribution', '');

-- On a worker: apply one row of nfrec.model_sync to the local registry.
CREATE FUNCTION _dist_apply_model()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nfrec.model_store;
BEGIN
    -- the coordinator's registry is the original, not a copy
    IF (SELECT g.groupid FROM pg_catalog.pg_dist_local_group g) = 0 THEN
        RETURN NULL;
    END IF;
    IF NEW.name IS NOT NULL THEN
        IF NEW.reset THEN
            -- other versions go; of the one pushed, only users whose shard
            -- is not on this node (the push writes the others: deleting
            -- them here would make the push wait for this connection of
            -- the same distributed transaction)
            DELETE FROM nfrec.model_users u USING nfrec.model_store m
             WHERE m.name = NEW.name AND u.version = m.version AND m.version <> NEW.current;
            DELETE FROM nfrec.model_users u
             WHERE u.version = NEW.current
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_placement pl
                                WHERE pl.shardid = pg_catalog.get_shard_id_for_distribution_column(NEW.colocate_with::pg_catalog.regclass, u.user_id)
                                  AND pl.groupid = (SELECT g.groupid FROM pg_catalog.pg_dist_local_group g));
            DELETE FROM nfrec.model_store m WHERE m.name = NEW.name AND m.version <> NEW.current;
        END IF;
        IF NEW.store IS NOT NULL THEN
            s := NEW.store::nfrec.model_store;
            DELETE FROM nfrec.model_store m WHERE m.version = s.version;
            s.is_current := false;
            INSERT INTO nfrec.model_store SELECT s.*;
        END IF;
        -- versions the coordinator no longer keeps go (users first)
        DELETE FROM nfrec.model_users u USING nfrec.model_store m
         WHERE m.name = NEW.name AND u.version = m.version
           AND (NEW.current IS NULL OR m.version <> ALL (NEW.versions));
        DELETE FROM nfrec.model_store m
         WHERE m.name = NEW.name AND (NEW.current IS NULL OR m.version <> ALL (NEW.versions));
        UPDATE nfrec.model_store m SET is_current = false
         WHERE m.name = NEW.name AND m.is_current AND m.version IS DISTINCT FROM NEW.current;
        IF NEW.current IS NOT NULL THEN
            UPDATE nfrec.model_store m SET is_current = true WHERE m.version = NEW.current;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'version % of model "%" is not on this worker', NEW.current, NEW.name
                    USING ERRCODE = 'data_corrupted',
                          HINT = 'CALL nfrec.distribute_model on the coordinator copies the model again.';
            END IF;
        END IF;
    END IF;
    IF NEW.default_name IS NULL THEN
        DELETE FROM nfrec.model_default;
    ELSE
        INSERT INTO nfrec.model_default AS d (name) VALUES (NEW.default_name)
            ON CONFLICT (only_row) DO UPDATE SET name = excluded.name;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _dist_apply_model() IS
    'internal (trigger on the shards of nfrec.model_sync): on a Citus worker, apply one change of a distributed model to the local registry (header and title side, the current version, the versions kept, the default); keeps no row';

-- On a worker: store the user rows of a distributed model version that
-- one statement (Citus' COPY or INSERT ... SELECT into a shard) brought,
-- then empty the shard.
CREATE FUNCTION _dist_apply_users()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (SELECT g.groupid FROM pg_catalog.pg_dist_local_group g) <> 0 THEN
        INSERT INTO nfrec.model_users AS u (version, user_id, factors, title_ids, weights)
        SELECT n.version, n.user_id, n.factors, n.title_ids, n.weights FROM new_rows n
            ON CONFLICT (version, user_id) DO UPDATE
           SET factors = excluded.factors, title_ids = excluded.title_ids, weights = excluded.weights;
    END IF;
    EXECUTE pg_catalog.format('DELETE FROM %I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _dist_apply_users() IS
    'internal (statement trigger on the shards of nfrec.model_sync_users_*): on a Citus worker, store the model_users rows one statement inserted, then delete them from the shard';

-- The two Citus tables the changes travel through, made on first use:
-- model_sync (a reference table) and model_sync_users_<colocation id>
-- (colocated with colo); returns the latter's name.  They join the
-- extension, so pg_dump leaves them out and DROP EXTENSION drops them.
CREATE FUNCTION _dist_setup(colo regclass)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- (Citus' NOTICE that it does not propagate ALTER EXTENSION ... ADD: the
-- workers' shells need not be members, DROP EXTENSION drops the tables)
SET client_min_messages = warning
AS $$
DECLARE
    cid int;
    users_rel text;
    user_type text;
    unsafe text := pg_catalog.current_setting('citus.enable_unsafe_triggers');
BEGIN
    EXECUTE 'SELECT p.colocationid FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1'
        INTO cid USING colo;
    IF cid IS NULL THEN
        RAISE EXCEPTION 'relation % is not a distributed table', coalesce(colo::text, 'NULL')
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'The users of a model copied to the workers are placed by the shards of this relation.',
                  HINT = 'CALL nfrec.distribute_model(name, colocate_with => ...) with a table distributed by user_id, or drop the model.';
    END IF;
    users_rel := 'model_sync_users_' || cid;
    IF pg_catalog.to_regclass('nfrec.model_sync') IS NULL THEN
        PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
        CREATE TABLE nfrec.model_sync (
            name         text,
            reset        boolean NOT NULL DEFAULT false,
            colocate_with text,
            store        text,
            current      bigint,
            versions     bigint[],
            default_name text
        );
        PERFORM pg_catalog.create_reference_table('nfrec.model_sync');
        CREATE TRIGGER apply BEFORE INSERT ON nfrec.model_sync
            FOR EACH ROW EXECUTE FUNCTION nfrec._dist_apply_model();
        ALTER EXTENSION nfrec ADD TABLE nfrec.model_sync;
        COMMENT ON TABLE nfrec.model_sync IS
            'Citus reference table through which registry changes of distributed models reach the workers (nfrec._dist_sync); a trigger applies each row on the workers, no row is kept';
    END IF;
    IF pg_catalog.to_regclass('nfrec.' || users_rel) IS NULL THEN
        PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
        SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO user_type
          FROM pg_catalog.pg_attribute a WHERE a.attrelid = colo AND a.attname = 'user_id';
        EXECUTE pg_catalog.format('CREATE TABLE nfrec.%I (user_id %s NOT NULL, version bigint NOT NULL, factors real[], title_ids bigint[], weights real[])',
                                  users_rel, user_type);
        PERFORM pg_catalog.create_distributed_table('nfrec.' || pg_catalog.quote_ident(users_rel), 'user_id',
                                                    colocate_with => colo::text);
        EXECUTE pg_catalog.format('CREATE TRIGGER apply AFTER INSERT ON nfrec.%I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nfrec._dist_apply_users()',
                                  users_rel);
        EXECUTE pg_catalog.format('ALTER EXTENSION nfrec ADD TABLE nfrec.%I', users_rel);
        EXECUTE pg_catalog.format('COMMENT ON TABLE nfrec.%I IS %L', users_rel,
            'Citus table (colocated with ' || colo::text || ') through which the users of distributed models reach the workers; a statement trigger on each shard stores the rows in the worker''s registry and deletes them');
    END IF;
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', unsafe, true);
    RETURN 'nfrec.' || pg_catalog.quote_ident(users_rel);
END
$$;
COMMENT ON FUNCTION _dist_setup(regclass) IS
    'internal (distribute_model): make the Citus tables that carry registry changes to the workers, on first use; returns the users table for colo''s colocation group';

-- Bring the workers in step with the coordinator's registry for one name
-- (called at the end of every registry change).  users_from: a relation
-- colocated with the users (train_distributed's work table: user_id, ev,
-- x) to write the user rows from on the shards instead of the
-- coordinator's model_users; title_ids: its title list.  reset: replace
-- whatever the workers hold of the name (distribute_model).
CREATE FUNCTION _dist_sync(name text, users_from text DEFAULT NULL, title_ids bigint[] DEFAULT NULL,
                           reset boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d nfrec.model_distribution;
    s nfrec.model_store;
    kept bigint[];
    dflt text;
    push boolean;
    users_rel text;
    store_text text;
BEGIN
    -- without Citus there are no workers (rows of model_distribution
    -- restored from a Citus cluster's dump have nothing to follow them)
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN;
    END IF;
    -- nothing distributed: nothing to do
    IF NOT EXISTS (SELECT 1 FROM nfrec.model_distribution) THEN
        RETURN;
    END IF;
    IF pg_catalog.to_regclass('nfrec.model_sync') IS NULL THEN
        RAISE EXCEPTION 'distributed models are registered but nfrec.model_sync does not exist'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'CALL nfrec.distribute_model again for each name in nfrec.model_distribution, or delete its rows.';
    END IF;
    SELECT x.name INTO dflt FROM nfrec.model_default x;
    SELECT * INTO d FROM nfrec.model_distribution m WHERE m.name = _dist_sync.name FOR UPDATE;
    IF NOT FOUND THEN
        -- a name the workers do not hold: they only follow the default
        INSERT INTO nfrec.model_sync (name, default_name) VALUES (NULL, dflt);
        RETURN;
    END IF;
    SELECT * INTO s FROM nfrec.model_store m WHERE m.name = _dist_sync.name AND m.is_current;
    IF NOT FOUND THEN
        -- dropped: remove it on the workers, and forget it
        INSERT INTO nfrec.model_sync (name, current, versions, default_name)
        VALUES (_dist_sync.name, NULL, '{}', dflt);
        DELETE FROM nfrec.model_distribution m WHERE m.name = _dist_sync.name;
        RETURN;
    END IF;
    SELECT pg_catalog.array_agg(m.version ORDER BY m.version) INTO kept
      FROM nfrec.model_store m WHERE m.name = _dist_sync.name;
    push := _dist_sync.reset OR s.version <> ALL (d.versions);

    -- the change first (it may clear the name), then the users it needs
    -- (the text in a variable: Citus ships a CASE over it unevaluated)
    IF push THEN
        store_text := s::text;
    END IF;
    INSERT INTO nfrec.model_sync (name, reset, colocate_with, store, current, versions, default_name)
    VALUES (_dist_sync.name, _dist_sync.reset, d.colocate_with::text, store_text, s.version, kept, dflt);
    IF push THEN
        users_rel := nfrec._dist_setup(d.colocate_with);
        IF _dist_sync.users_from IS NULL THEN
            EXECUTE pg_catalog.format(
                'INSERT INTO %s (user_id, version, factors, title_ids, weights)
                 SELECT u.user_id, u.version, u.factors, u.title_ids, u.weights
                   FROM nfrec.model_users u WHERE u.version = $1', users_rel)
                USING s.version;
        ELSE
            -- on the shards: each user's factors and canonical events, as
            -- als_model_from_factors and _model_user_rows store them
            EXECUTE pg_catalog.format(
                'INSERT INTO %s (user_id, version, factors, title_ids, weights)
                 SELECT w.user_id, $1, w.x, e.t, e.w
                   FROM %s w,
                        LATERAL (SELECT pg_catalog.array_agg(r.title_id ORDER BY r.title_id) AS t,
                                        pg_catalog.array_agg(r.weight ORDER BY r.title_id) AS w
                                   FROM nfrec._als_dist_ev_rows(w.ev, $2) r) e', users_rel, _dist_sync.users_from)
                USING s.version, _dist_sync.title_ids;
        END IF;
    END IF;
    UPDATE nfrec.model_distribution m
       SET versions = ARRAY(SELECT v FROM pg_catalog.unnest(CASE WHEN _dist_sync.reset THEN ARRAY[s.version]
                                                                  ELSE m.versions || s.version END) v
                             WHERE v = ANY (kept) GROUP BY v ORDER BY v),
           synced_at = pg_catalog.clock_timestamp()
     WHERE m.name = _dist_sync.name;
END
$$;
COMMENT ON FUNCTION _dist_sync(text, text, bigint[], boolean) IS
    'internal (every registry change): if the name is distributed to the Citus workers, bring their registries in step with the coordinator''s in the same transaction (new version, rollback, drop, default) through Citus'' own writes (two-phase commit); users_from: write the user rows from a colocated work table on the shards; reset: replace the workers'' copy';

-- distribute_model's copy: remember the name, then replace whatever the
-- workers hold of it by the current version (in the caller's transaction).
CREATE FUNCTION _dist_register(name text, colo regclass, route boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node n
                    WHERE n.isactive AND n.noderole = 'primary' AND n.groupid <> 0) THEN
        RAISE EXCEPTION 'no Citus worker to distribute model "%" to', _dist_register.name
            USING ERRCODE = 'feature_not_supported';
    END IF;
    -- one registry change at a time, as deploy and rollback take it
    LOCK TABLE nfrec.model_store IN SHARE ROW EXCLUSIVE MODE;
    PERFORM nfrec._dist_setup(_dist_register.colo);
    INSERT INTO nfrec.model_distribution AS m (name, colocate_with, route)
    VALUES (_dist_register.name, _dist_register.colo, _dist_register.route)
        ON CONFLICT ON CONSTRAINT model_distribution_pkey DO UPDATE
       SET colocate_with = excluded.colocate_with, route = excluded.route, versions = '{}';
    PERFORM nfrec._dist_sync(_dist_register.name, reset => true);
END
$$;
COMMENT ON FUNCTION _dist_register(text, regclass, boolean) IS
    'internal (distribute_model): remember that the name is served on the Citus workers (users colocated with colo) and replace the workers'' copy by its current version';

-- What each worker holds of each distributed model, against the
-- coordinator (read with run_command_on_workers: its own connections,
-- outside the caller's transaction, so it sees what the workers have
-- committed).
CREATE FUNCTION distributed_models()
RETURNS TABLE (name text, node text, coordinator_version bigint, worker_version bigint,
               worker_versions bigint[], coordinator_users bigint, worker_users bigint,
               worker_default text, in_step boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RAISE EXCEPTION 'distributed_models needs Citus' USING ERRCODE = 'feature_not_supported';
    END IF;
    RETURN QUERY EXECUTE $q$
    WITH w AS (
        SELECT n.groupid, r.nodename || ':' || r.nodeport AS node, r.success, r.result
          FROM pg_catalog.run_command_on_workers($c$
                   SELECT pg_catalog.json_build_object(
                       'default', (SELECT d.name FROM nfrec.model_default d),
                       'models', (SELECT pg_catalog.json_object_agg(m.name, pg_catalog.json_build_object(
                                      'current', (SELECT c.version FROM nfrec.model_store c WHERE c.name = m.name AND c.is_current),
                                      'versions', (SELECT pg_catalog.array_agg(k.version ORDER BY k.version) FROM nfrec.model_store k WHERE k.name = m.name),
                                      'users', (SELECT pg_catalog.count(*) FROM nfrec.model_users u JOIN nfrec.model_store c
                                                    ON c.version = u.version AND c.is_current WHERE c.name = m.name)))
                                    FROM (SELECT DISTINCT s.name FROM nfrec.model_store s) m))$c$) r
          JOIN pg_catalog.pg_dist_node n ON n.nodename = r.nodename AND n.nodeport = r.nodeport
    ), r AS (
    SELECT d.name, w.node, c.version AS cv,
           (j.result::json -> 'models' -> d.name ->> 'current')::bigint AS wv,
           ARRAY(SELECT pg_catalog.json_array_elements_text(j.result::json -> 'models' -> d.name -> 'versions'))::bigint[],
           (SELECT pg_catalog.count(*) FROM nfrec.model_users u
             WHERE u.version = c.version
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_dist_placement pl
                            WHERE pl.shardid = pg_catalog.get_shard_id_for_distribution_column(d.colocate_with, u.user_id)
                              AND pl.groupid = w.groupid)) AS cu,
           (j.result::json -> 'models' -> d.name ->> 'users')::bigint AS wu,
           j.result::json ->> 'default' AS wd
      FROM nfrec.model_distribution d
      JOIN nfrec.model_store c ON c.name = d.name AND c.is_current
     CROSS JOIN w
      LEFT JOIN LATERAL (SELECT w.result WHERE w.success) j ON true)
    SELECT r.*, coalesce(r.wv = r.cv AND r.wu = r.cu
                         AND r.wd IS NOT DISTINCT FROM (SELECT x.name FROM nfrec.model_default x), false)
      FROM r ORDER BY r.name, r.node$q$;
END
$$;
COMMENT ON FUNCTION distributed_models() IS
    'Citus: for each model copied to the workers (nfrec.distribute_model) and each worker, the coordinator''s current version and the worker''s, the versions the worker keeps, the users of the current version the worker should hold (those of its shards) and holds, the worker''s default model, and whether all of these agree with the coordinator (read outside the transaction: what the workers have committed)';
REVOKE EXECUTE ON FUNCTION distributed_models() FROM PUBLIC;
