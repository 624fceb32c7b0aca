
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
-- The copy goes through Citus' own writes in the caller's transaction
-- (two-phase commit), and from then on every deploy, rollback,
-- set_default or drop of the name brings the workers in step in the same
-- transaction (58_distsync.sql).  Rerun it after a worker is added or a
-- shard moved (users are placed by the shard placements of the time).
CREATE PROCEDURE distribute_model(name text, colocate_with regclass DEFAULT NULL, route boolean DEFAULT true)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s nfrec.model_store;
    colo regclass;
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
    -- copy it and keep it in step from now on (58_distsync.sql)
    PERFORM nfrec._dist_register(s.name, colo, route);

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
    'Citus: copy the current version of a deployed model to the workers (title side to each, each user''s row to the worker of its shard in colocate_with, default the bound events relation, hash-distributed by user_id) and, unless route is false, make recommend_for, user_vector and homepage distributed functions routed by user_id (a bare call then runs on the worker of the user, whatever the model); copies homepage''s inputs too (the context and artwork fits, the current hour''s trending of a distributed viewing_events); LATERAL batches over tables colocated with it run on the shards either way, reading the workers'' local rows; from then on deploy, rollback, set_default and drop_model of the name bring the workers in step in the same transaction; rerun after adding a worker or moving shards';
REVOKE EXECUTE ON PROCEDURE distribute_model(text, regclass, boolean) FROM PUBLIC;
