
-- ---------------------------------------------------------------------
-- The homepage on Citus workers (doc/scale.md, "Distributed serving")
-- ---------------------------------------------------------------------
--
-- Inside a shard query or a delegated call, homepage reads only tables of
-- its node (src/homepage_dist.c): the user's plays from the local shard of
-- viewing_events, content_metadata from the node's placement of the
-- reference table, the model from the node's registry (distribute_model),
-- the context and artwork fits from the node's own nfrec tables, and the
-- trending figures, which sum the plays of every user and so cannot be
-- computed on a shard, from nfrec.dist_trending: computed on the
-- coordinator over the distributed events for one trending window and
-- copied to every worker by distribute_trending.  A worker serves the
-- latest copied window that ends at or before the hour of at.

CREATE TABLE dist_trending (
    events text NOT NULL,
    window_end timestamptz NOT NULL,
    country text,
    title_id bigint NOT NULL,
    score float8 NOT NULL
);
CREATE INDEX dist_trending_window ON dist_trending (events, window_end);
COMMENT ON TABLE dist_trending IS
    'Citus workers: the trending figures homepage serves there, per events relation (schema-qualified name) and trending window (its end, on the hour): the decayed plays of the 14 days before window_end per country and title (country NULL: every country); written by nfrec.distribute_trending, empty on a coordinator or a single node';
GRANT SELECT ON dist_trending TO PUBLIC;

-- Run one command on every active primary worker, in parallel (one
-- transaction each); an error names the failing nodes.  Returns how many
-- workers ran it (0: none).
CREATE FUNCTION _run_on_workers(command text, what text)
    RETURNS int
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    hosts text[];
    ports int[];
    failed text;
BEGIN
    SELECT array_agg(d.nodename ORDER BY d.nodeid), array_agg(d.nodeport ORDER BY d.nodeid)
      INTO hosts, ports
      FROM pg_catalog.pg_dist_node d
     WHERE d.isactive AND d.noderole = 'primary' AND d.groupid <> 0;
    IF hosts IS NULL THEN
        RETURN 0;
    END IF;
    SELECT string_agg(r.node_name || ':' || r.node_port || ': ' || r.result, '; ')
      INTO failed
      FROM pg_catalog.master_run_on_worker(hosts, ports, array_fill(command, ARRAY[cardinality(hosts)]), true) r
     WHERE NOT r.success;
    IF failed IS NOT NULL THEN
        RAISE EXCEPTION 'could not copy % to the workers: %', what, failed;
    END IF;
    RETURN cardinality(hosts);
END
$fn$;
COMMENT ON FUNCTION _run_on_workers(text, text) IS
    'internal (Citus): run one command on every active primary worker in parallel, one transaction each; raises naming the failed nodes; returns the number of workers';
REVOKE EXECUTE ON FUNCTION _run_on_workers(text, text) FROM PUBLIC;

CREATE FUNCTION distribute_trending(events regclass DEFAULT 'viewing_events'::text::regclass,
                                    at timestamptz DEFAULT now())
    RETURNS TABLE(window_end timestamptz, figures bigint, workers int)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    SET DateStyle = 'ISO, YMD'
    SET extra_float_digits = 1
AS $fn$
DECLARE
    w timestamptz;
    qual text;
    rows_text text;
    n bigint;
    nodes int;
BEGIN
    IF events IS NULL OR at IS NULL THEN
        RAISE EXCEPTION 'events and at must not be null' USING ERRCODE = '22004';
    END IF;
    IF NOT isfinite(at) THEN
        RAISE EXCEPTION 'at must be finite' USING ERRCODE = '22023';
    END IF;
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RAISE EXCEPTION 'distribute_trending needs Citus' USING ERRCODE = '0A000',
            HINT = 'Without Citus, homepage computes trending from the events.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = events) THEN
        RAISE EXCEPTION 'relation % is not a Citus table', events USING ERRCODE = '0A000',
            HINT = 'Workers compute trending from the copied figures only for distributed events; homepage reads any other relation itself.';
    END IF;
    PERFORM nfrec._check_columns(events, ARRAY['title_id', 'started_at', 'event_type', 'country']);
    -- the window of homepage's trending (src/titlemeta.c): the 14 days
    -- before at rounded down to the hour (in UTC, as the C code does)
    w := to_timestamp((floor(extract(epoch FROM at) / 3600) * 3600)::float8);
    SELECT format('%I.%I', nspname, c.relname) INTO qual
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace
     WHERE c.oid = events;
    -- the same sums as the trending query of src/titlemeta.c
    EXECUTE format($q$
        SELECT count(*), coalesce(array_agg(ROW($4, $1, t.country, t.title_id, t.score)::nfrec.dist_trending)::text, '{}')
        FROM (SELECT (country)::text AS country, (title_id)::int8 AS title_id,
                     sum(power(0.5::float8, (date_part('epoch', ($1 - started_at)) / $2))) AS score
                FROM %1$s
               WHERE event_type = 'play'::text AND started_at < $1
                 AND started_at >= ($1 - make_interval(days => $3)) AND title_id IS NOT NULL
                 AND country IS NOT NULL
               GROUP BY country, title_id
              UNION ALL
              SELECT NULL::text, (title_id)::int8,
                     sum(power(0.5::float8, (date_part('epoch', ($1 - started_at)) / $2)))
                FROM %1$s
               WHERE event_type = 'play'::text AND started_at < $1
                 AND started_at >= ($1 - make_interval(days => $3)) AND title_id IS NOT NULL
               GROUP BY title_id) t
    $q$, events) INTO n, rows_text USING w, 7 * 86400.0::float8, 14, qual;

    -- on every worker: this window's figures replace any earlier copy of
    -- it; the 24 latest windows of the relation are kept
    nodes := nfrec._run_on_workers(format(
        'SET search_path = pg_catalog, pg_temp; SET DateStyle = ''ISO, YMD'';'
        ' DELETE FROM nfrec.dist_trending WHERE events = %1$L AND window_end = %2$L::timestamptz;'
        ' INSERT INTO nfrec.dist_trending SELECT * FROM pg_catalog.unnest(%3$L::nfrec.dist_trending[]);'
        ' DELETE FROM nfrec.dist_trending WHERE events = %1$L AND window_end < ALL (SELECT DISTINCT x.window_end'
        ' FROM nfrec.dist_trending x WHERE x.events = %1$L ORDER BY x.window_end DESC LIMIT 24);',
        qual, w, rows_text), format('the trending figures of %s', events));
    IF nodes = 0 THEN
        RAISE EXCEPTION 'no Citus worker to copy trending to' USING ERRCODE = '0A000';
    END IF;
    RETURN QUERY SELECT w, n, nodes;
END
$fn$;
COMMENT ON FUNCTION distribute_trending(regclass, timestamptz) IS
    'Citus: compute on the coordinator the trending figures of homepage (decayed plays of the 14 days before at, rounded down to the hour, per country and title and over all countries) over a distributed events relation and copy them to every worker''s nfrec.dist_trending (replacing that window''s earlier copy, keeping the 24 latest windows); homepage on a worker serves the latest copied window ending at or before the hour of its at; run it every hour (pg_cron) to keep the workers'' trending current';
REVOKE EXECUTE ON FUNCTION distribute_trending(regclass, timestamptz) FROM PUBLIC;

-- Called by distribute_model (src/sql/58_distserve.sql): what homepage
-- needs on the workers besides the model.
CREATE FUNCTION _distribute_homepage(colocate_with regclass, route boolean)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    SET DateStyle = 'ISO, YMD'
    SET extra_float_digits = 1
AS $fn$
BEGIN
    -- the context and artwork fits (per-title aggregates), as they are
    -- on the coordinator: one transaction per worker
    PERFORM nfrec._run_on_workers(format(
        'SET search_path = pg_catalog, pg_temp; SET DateStyle = ''ISO, YMD'';'
        ' DELETE FROM nfrec.context_affinity; DELETE FROM nfrec.context_fit;'
        ' INSERT INTO nfrec.context_fit SELECT * FROM pg_catalog.unnest(%L::nfrec.context_fit[]);'
        ' INSERT INTO nfrec.context_affinity SELECT * FROM pg_catalog.unnest(%L::nfrec.context_affinity[]);'
        ' DELETE FROM nfrec.artwork_stats; DELETE FROM nfrec.artwork_prior; DELETE FROM nfrec.artwork_fit;'
        ' INSERT INTO nfrec.artwork_fit SELECT * FROM pg_catalog.unnest(%L::nfrec.artwork_fit[]);'
        ' INSERT INTO nfrec.artwork_prior SELECT * FROM pg_catalog.unnest(%L::nfrec.artwork_prior[]);'
        ' INSERT INTO nfrec.artwork_stats SELECT * FROM pg_catalog.unnest(%L::nfrec.artwork_stats[]);',
        coalesce((SELECT array_agg(f)::text FROM nfrec.context_fit f), '{}'),
        coalesce((SELECT array_agg(a)::text FROM nfrec.context_affinity a), '{}'),
        coalesce((SELECT array_agg(f)::text FROM nfrec.artwork_fit f), '{}'),
        coalesce((SELECT array_agg(p)::text FROM nfrec.artwork_prior p), '{}'),
        coalesce((SELECT array_agg(s)::text FROM nfrec.artwork_stats s), '{}')),
        'the context and artwork fits');

    -- the trending figures of the current hour, for every distributed
    -- relation named viewing_events (the one homepage reads on the
    -- search_path) that has trending's columns; other windows:
    -- nfrec.distribute_trending(events, at)
    PERFORM nfrec.distribute_trending(p.logicalrelid, now())
       FROM pg_catalog.pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
      WHERE c.relname = 'viewing_events' AND p.partmethod = 'h'
        AND (SELECT count(*) FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = p.logicalrelid AND NOT a.attisdropped
                AND a.attname IN ('title_id', 'started_at', 'event_type', 'country')) = 4;

    -- route homepage by user_id like recommend_for
    IF route THEN
        PERFORM pg_catalog.create_distributed_function(f::regprocedure, 'user_id', colocate_with => colocate_with::text)
           FROM unnest(ARRAY['nfrec.homepage(bigint,int,int,timestamptz,text,text,real)']) f
          WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_object o
                             WHERE o.classid = 'pg_catalog.pg_proc'::regclass AND o.objid = f::regprocedure
                               AND o.colocationid = (SELECT p.colocationid FROM pg_catalog.pg_dist_partition p
                                                      WHERE p.logicalrelid = colocate_with));
    END IF;
END
$fn$;
COMMENT ON FUNCTION _distribute_homepage(regclass, boolean) IS
    'internal, called by distribute_model: copy the context and artwork fits and the current hour''s trending figures (of every distributed relation named viewing_events) to the Citus workers, and unless route is false make homepage a distributed function routed by user_id, colocated with colocate_with';
REVOKE EXECUTE ON FUNCTION _distribute_homepage(regclass, boolean) FROM PUBLIC;
