-- test/bench/distsync_users.sql -- time of copying a large user side to
-- the Citus workers: the old distribute_model (one literal per worker,
-- master_run_on_worker; rebuilt here) against distribute_model now (COPY
-- per shard, a trigger per row, two-phase commit), for a synthetic model
-- of :users users (8 factors, 5 events each) colocated with
-- public.subscriptions.  On the coordinator of a kept Citus suite cluster:
--   psql -v users=200000 -f test/bench/distsync_users.sql   (doc/scale.md, "In step")
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE OR REPLACE PROCEDURE public.bench_old_distribute(name text, colo regclass)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s nfrec.model_store; hosts text[]; ports int[]; commands text[]; failed text;
BEGIN
    SELECT * INTO s FROM nfrec.model_store m WHERE m.name = bench_old_distribute.name AND m.is_current;
    SELECT array_agg(n.nodename ORDER BY n.nodeid), array_agg(n.nodeport ORDER BY n.nodeid),
           array_agg(format(
               'SET search_path = pg_catalog, pg_temp;'
               ' DELETE FROM nfrec.model_users WHERE version IN (SELECT version FROM nfrec.model_store WHERE name = %1$L);'
               ' DELETE FROM nfrec.model_store WHERE name = %1$L;'
               ' INSERT INTO nfrec.model_store SELECT (%2$L::nfrec.model_store).*;'
               ' INSERT INTO nfrec.model_users SELECT * FROM pg_catalog.unnest(%3$L::nfrec.model_users[]);',
               s.name, s::text,
               coalesce((SELECT array_agg(u ORDER BY u.user_id)::text
                           FROM nfrec.model_users u
                          WHERE u.version = s.version
                            AND EXISTS (SELECT 1 FROM pg_catalog.pg_dist_placement pl
                                         WHERE pl.shardid = pg_catalog.get_shard_id_for_distribution_column(colo, u.user_id)
                                           AND pl.groupid = n.groupid)), '{}')) ORDER BY n.nodeid)
      INTO hosts, ports, commands
      FROM pg_catalog.pg_dist_node n WHERE n.isactive AND n.noderole = 'primary' AND n.groupid <> 0;
    SELECT string_agg(r.result, '; ') INTO failed
      FROM pg_catalog.master_run_on_worker(hosts, ports, commands, true) r WHERE NOT r.success;
    IF failed IS NOT NULL THEN RAISE EXCEPTION '%', failed; END IF;
END $$;
DROP TABLE IF EXISTS local.big_model;
CREATE TABLE local.big_model AS
SELECT nfrec.als_model_from_factors(
    (SELECT array_agg(u::bigint ORDER BY u) FROM generate_series(1, :users) u),
    (SELECT array_agg(ARRAY[((u * 7 + 1) % 97) / 97.0,((u * 7 + 2) % 97) / 97.0,((u * 7 + 3) % 97) / 97.0,((u * 7 + 4) % 97) / 97.0,((u * 7 + 5) % 97) / 97.0,((u * 7 + 6) % 97) / 97.0,((u * 7 + 7) % 97) / 97.0,((u * 7 + 8) % 97) / 97.0]::real[] ORDER BY u) FROM generate_series(1, :users) u),
    (SELECT array_agg(t::bigint ORDER BY t) FROM generate_series(1, 500) t),
    (SELECT array_agg(ARRAY[((t * 3 + 1) % 89) / 89.0,((t * 3 + 2) % 89) / 89.0,((t * 3 + 3) % 89) / 89.0,((t * 3 + 4) % 89) / 89.0,((t * 3 + 5) % 89) / 89.0,((t * 3 + 6) % 89) / 89.0,((t * 3 + 7) % 89) / 89.0,((t * 3 + 8) % 89) / 89.0]::real[] ORDER BY t) FROM generate_series(1, 500) t),
    (SELECT array_agg(u::bigint ORDER BY u, k) FROM generate_series(1, :users) u, generate_series(1, 5) k),
    (SELECT array_agg((1 + (u * 13 + k * 101) % 500)::bigint ORDER BY u, k) FROM generate_series(1, :users) u, generate_series(1, 5) k),
    (SELECT array_agg(1::real) FROM generate_series(1, :users) u, generate_series(1, 5) k)) m;
SELECT nfrec.deploy('big', m) FROM local.big_model;
SELECT pg_size_pretty(sum(octet_length(u::text))) AS users_text FROM nfrec.model_users u JOIN nfrec.model_store s ON s.version = u.version AND s.is_current AND s.name = 'big';
\timing on
CALL public.bench_old_distribute('big', 'public.subscriptions');
CALL nfrec.distribute_model('big', 'public.subscriptions', route => false);
CALL nfrec.distribute_model('big', 'public.subscriptions', route => false);
\timing off
SELECT nfrec.drop_model('big');
DROP TABLE local.big_model;
DROP PROCEDURE public.bench_old_distribute(text, regclass);
