
-- ---------------------------------------------------------------------
-- Serving on Citus workers (doc/scale.md, "Distributed serving")
-- ---------------------------------------------------------------------
--
-- distribute_model(name) copies the current version of a deployed model
-- from the coordinator's registry into the registries of the Citus
-- workers: the model_store row (header and title side) to every worker,
-- each model_users row only to the worker that holds the shard of its
-- user_id in colocate_with (default: the model's bound events relation,
-- hash-distributed by user_id).  Unless route is false it then makes
-- recommend_for and user_vector distributed functions routed by user_id
-- and colocated with that relation, so a call from the coordinator runs on
-- the worker of the user; a batch (SELECT ... FROM users u, LATERAL
-- nfrec.recommend_for(u.user_id)) over a colocated table runs on the
-- shards.  There, serving reads the worker's own registry rows (plain
-- local tables) and the user's events from the local shard of the bound
-- events relation (src/model.c, LocalEventsShard), so no query nests a
-- distributed query.  The events relation travels by its qualified name.
-- Nothing here is transactional across nodes: each worker replaces the
-- name's rows in one transaction of its own; rerun after a failure, and
-- after every deploy, rollback or drop of the name.
CREATE PROCEDURE distribute_model(name text, colocate_with regclass DEFAULT NULL, route boolean DEFAULT true)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nfrec.model_store;
    colo regclass;
    is_default boolean;
    hosts text[];
    ports int[];
    commands text[];
    failed text;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'model name must not be null' USING ERRCODE = '22004';
    END IF;
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RAISE EXCEPTION 'distribute_model needs Citus' USING ERRCODE = '0A000',
            HINT = 'Without Citus, serving reads the registry on this node.';
    END IF;
    SELECT * INTO s FROM nfrec.model_store m WHERE m.name = distribute_model.name AND m.is_current;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist', name USING ERRCODE = '42704',
            HINT = 'The view nfrec.models lists the deployed models.';
    END IF;
    colo := coalesce(colocate_with, s.events);
    IF colo IS NULL THEN
        RAISE EXCEPTION 'model "%" has no events relation', name USING ERRCODE = '22023',
            HINT = 'Give colocate_with, a table distributed by user_id.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p
                    WHERE p.logicalrelid = colo AND p.partmethod = 'h'
                      AND pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) = 'user_id') THEN
        RAISE EXCEPTION 'relation % is not distributed by user_id', colo USING ERRCODE = '0A000',
            HINT = CASE WHEN colocate_with IS NULL
                        THEN 'Bind the model to a table distributed by user_id (a view cannot be read on a shard), or give colocate_with.'
                        ELSE 'Give a table distributed by hash of user_id.' END;
    END IF;
    SELECT coalesce((SELECT d.name = s.name FROM nfrec.model_default d), false) INTO is_default;

    -- one command per worker: replace the name's rows by the title side and
    -- the users of the shards it holds (rows as their text forms: exact)
    SELECT array_agg(n.nodename ORDER BY n.nodeid), array_agg(n.nodeport ORDER BY n.nodeid),
           array_agg(format(
               'SET search_path = pg_catalog, pg_temp;'
               ' DELETE FROM nfrec.model_users WHERE version IN (SELECT version FROM nfrec.model_store WHERE name = %1$L);'
               ' DELETE FROM nfrec.model_store WHERE name = %1$L;'
               ' INSERT INTO nfrec.model_store SELECT (%2$L::nfrec.model_store).*;'
               ' INSERT INTO nfrec.model_users SELECT * FROM pg_catalog.unnest(%3$L::nfrec.model_users[]);'
               '%4$s',
               s.name, s::text,
               coalesce((SELECT array_agg(u ORDER BY u.user_id)::text
                           FROM nfrec.model_users u
                          WHERE u.version = s.version
                            AND EXISTS (SELECT 1 FROM pg_catalog.pg_dist_placement pl
                                         WHERE pl.shardid = pg_catalog.get_shard_id_for_distribution_column(colo, u.user_id)
                                           AND pl.groupid = n.groupid)), '{}'),
               CASE WHEN is_default THEN format(
                   ' INSERT INTO nfrec.model_default VALUES (true, %L) ON CONFLICT (only_row) DO UPDATE SET name = excluded.name;',
                   s.name) ELSE '' END) ORDER BY n.nodeid)
      INTO hosts, ports, commands
      FROM pg_catalog.pg_dist_node n
     WHERE n.isactive AND n.noderole = 'primary' AND n.groupid <> 0;
    IF hosts IS NULL THEN
        RAISE EXCEPTION 'no Citus worker to distribute model "%" to', name USING ERRCODE = '0A000';
    END IF;
    SELECT string_agg(r.node_name || ':' || r.node_port || ': ' || r.result, '; ')
      INTO failed
      FROM pg_catalog.master_run_on_worker(hosts, ports, commands, true) r
     WHERE NOT r.success;
    IF failed IS NOT NULL THEN
        RAISE EXCEPTION 'could not distribute model "%": %', name, failed;
    END IF;

    -- route the per-user serving functions by user_id (a LATERAL batch over
    -- a colocated table runs on the shards without it)
    IF route THEN
        PERFORM pg_catalog.create_distributed_function(f::regprocedure, 'user_id', colocate_with => colo::text)
           FROM unnest(ARRAY['nfrec.recommend_for(bigint,int,text,bigint[],real,timestamptz,text)',
                             'nfrec.user_vector(bigint,text)']) f
          WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_object o
                             WHERE o.classid = 'pg_catalog.pg_proc'::regclass AND o.objid = f::regprocedure
                               AND o.colocationid = (SELECT p.colocationid FROM pg_catalog.pg_dist_partition p
                                                      WHERE p.logicalrelid = colo));
    END IF;
    PERFORM nfrec._distribute_homepage(colo, route);   -- homepage's inputs (src/sql/59_disthome.sql)
END;
$$;
COMMENT ON PROCEDURE distribute_model(text, regclass, boolean) IS
    'Citus: copy the current version of a deployed model to the workers (title side to each, each user''s row to the worker of its shard in colocate_with, default the bound events relation, hash-distributed by user_id) and, unless route is false, make recommend_for and user_vector distributed functions routed by user_id (a bare call then runs on the worker of the user, whatever the model); LATERAL batches over tables colocated with it run on the shards either way, reading the workers'' local rows; rerun after each deploy, rollback or drop of the name';
REVOKE EXECUTE ON PROCEDURE distribute_model(text, regclass, boolean) FROM PUBLIC;
