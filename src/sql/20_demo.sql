
-- ---------------------------------------------------------------------
-- Demo data
-- ---------------------------------------------------------------------
--
-- nfrec.generate_demo(users, titles, ...) creates the canonical tables
-- (content_metadata, viewing_events, subscriptions), the interactions
-- view and two ground-truth tables in the current schema (the schema
-- argument, whose default current_schema() is evaluated in the caller's
-- context, before the function's pinned search_path applies) and fills them
-- with a deterministic simulation of a streaming service (src/demo_sim.c,
-- doc/demo.md).  The _demo_* functions below are its internal row
-- sources; they are documented only so that a curious user can see where
-- the rows come from.

CREATE FUNCTION _demo_titles(n_titles int, n_days int, seed bigint, end_date date,
                             n_communities int)
    RETURNS TABLE(title_id bigint, title text, content_type text, genres text[],
                  description text, release_year int, primary_language text,
                  maturity_rating text, runtime_minutes int, episodes int,
                  launch_date date, production_cost numeric,
                  community int, community_name text, planted text,
                  popularity float8, quality real, context_class text)
    AS 'MODULE_PATHNAME', 'demo_titles'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 1000 ROWS 1000;
COMMENT ON FUNCTION _demo_titles(int, int, bigint, date, int) IS
    'internal: the demo catalog (content_metadata columns plus ground truth); use nfrec.generate_demo';

CREATE FUNCTION _demo_users(n_users int, n_titles int, n_days int, seed bigint, end_date date,
                            n_communities int, activity_scale float8, context boolean)
    RETURNS TABLE(user_id bigint, signup_date date, cancel_date date, plan text,
                  monthly_price numeric, country text, communities int[],
                  community_weights real[], activity real, churn_prone boolean,
                  decline_start date, rescued_by bigint, attributed_to bigint,
                  cancel_reason text)
    AS 'MODULE_PATHNAME', 'demo_users'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 100000 ROWS 10000;
COMMENT ON FUNCTION _demo_users(int, int, int, bigint, date, int, float8, boolean) IS
    'internal: the demo subscribers (subscriptions columns plus ground truth); use nfrec.generate_demo';

CREATE FUNCTION _demo_events(n_users int, n_titles int, n_days int, seed bigint, end_date date,
                             n_communities int, activity_scale float8, context boolean)
    RETURNS TABLE(event_id bigint, user_id bigint, title_id bigint, started_at timestamptz,
                  watch_seconds int, watch_pct real, device text, country text,
                  event_type text)
    AS 'MODULE_PATHNAME', 'demo_events'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 1000000 ROWS 1000000;
COMMENT ON FUNCTION _demo_events(int, int, int, bigint, date, int, float8, boolean) IS
    'internal: the demo viewing events, streamed one user at a time; use nfrec.generate_demo';

CREATE FUNCTION _demo_artwork(n_users int, n_titles int, n_days int, seed bigint, end_date date,
                              n_communities int, activity_scale float8, context boolean)
    RETURNS TABLE(user_id bigint, title_id bigint, artwork_id int, shown_at timestamptz,
                  played boolean)
    AS 'MODULE_PATHNAME', 'demo_artwork'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 1000000 ROWS 1000000;
COMMENT ON FUNCTION _demo_artwork(int, int, int, bigint, date, int, float8, boolean) IS
    'internal: the demo artwork impressions (one per impression event), streamed one user at a time; use nfrec.generate_demo';

CREATE FUNCTION _demo_artwork_truth(seed bigint)
    RETURNS TABLE(segment text, artwork_id int, lift float8)
    AS 'MODULE_PATHNAME', 'demo_artwork_truth'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 10 ROWS 84;
COMMENT ON FUNCTION _demo_artwork_truth(bigint) IS
    'internal: the planted artwork preferences of the demo (play-rate lift per taste segment and artwork); use nfrec.generate_demo';

CREATE TYPE demo_summary AS (
    schema name,
    users bigint,
    titles bigint,
    communities int,
    events bigint,
    plays bigint,
    subscriptions bigint,
    cancellations bigint,
    first_day date,
    last_day date,
    seconds numeric
);
COMMENT ON TYPE demo_summary IS
    'what nfrec.generate_demo created: schema, row counts, the simulated period and the time it took';

CREATE FUNCTION generate_demo(users int, titles int, days int DEFAULT 365, seed int DEFAULT 1,
                              end_date date DEFAULT '2025-12-31', activity float8 DEFAULT 1.0,
                              communities int DEFAULT NULL, replace boolean DEFAULT false,
                              schema name DEFAULT current_schema(), context boolean DEFAULT true)
    RETURNS demo_summary
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    sch name := generate_demo.schema;
    t0 timestamptz := clock_timestamp();
    rel record;
    n_events bigint;
    res nfrec.demo_summary;
BEGIN
    IF users IS NULL OR titles IS NULL OR days IS NULL OR seed IS NULL
       OR end_date IS NULL OR activity IS NULL OR replace IS NULL OR context IS NULL THEN
        RAISE EXCEPTION 'arguments of nfrec.generate_demo must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Only communities may be NULL: then it is chosen from the number of titles.';
    END IF;
    IF users NOT BETWEEN 1 AND 50000000 THEN
        RAISE EXCEPTION 'users must be between 1 and 50000000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF titles NOT BETWEEN 1 AND 1000000 THEN
        RAISE EXCEPTION 'titles must be between 1 and 1000000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF days NOT BETWEEN 1 AND 3660 THEN
        RAISE EXCEPTION 'days must be between 1 and 3660' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF communities IS NOT NULL AND (communities < 1 OR communities > least(titles, 1000)) THEN
        RAISE EXCEPTION 'communities must be between 1 and %', least(titles, 1000)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'There are at most 1000 communities and at most one per title.';
    END IF;
    IF NOT (activity > 0 AND activity <= 100) THEN   -- NaN fails too
        RAISE EXCEPTION 'activity must be greater than 0 and at most 100'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- about 0.33 events per user, day and unit of activity: 1e10 is ~3 billion events
    IF users::float8 * days * activity > 1e10 THEN
        RAISE EXCEPTION 'users times days times activity must be at most 10000000000'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('It is %s, about %s billion events.', users::float8 * days * activity,
                                  round((users::float8 * days * activity / 3e9)::numeric, 1)),
                  HINT = 'A demo of more than about 3 billion events would take hours to generate and hundreds of gigabytes.';
    END IF;
    IF NOT (end_date BETWEEN date '1900-01-01' AND date '9000-01-01') THEN
        RAISE EXCEPTION 'end_date must be between 1900-01-01 and 9000-01-01'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF sch IS NULL THEN
        RAISE EXCEPTION 'no schema has been selected to create in'
            USING ERRCODE = 'invalid_schema_name';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname = sch) THEN
        RAISE EXCEPTION 'schema "%" does not exist', sch
            USING ERRCODE = 'invalid_schema_name';
    END IF;

    -- the demo's relations must not exist, unless asked to replace them
    FOR rel IN
        SELECT c.relname, c.relkind
        FROM pg_catalog.pg_class c
        WHERE c.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = sch)
          AND c.relname IN ('interactions', 'viewing_events', 'subscriptions', 'content_metadata',
                            'demo_title_truth', 'demo_user_truth', 'artwork_impressions',
                            'demo_artwork_truth')
        ORDER BY c.relname <> 'interactions', c.relname
    LOOP
        IF NOT replace THEN
            RAISE EXCEPTION 'relation "%" already exists', rel.relname
                USING ERRCODE = 'duplicate_table',
                      HINT = 'Pass replace => true to drop and recreate the demo tables, or set search_path to another schema.';
        END IF;
        -- no CASCADE: a user's own view on these tables stops the replacement
        EXECUTE format('DROP %s %I.%I',
                       CASE rel.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                        WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                       sch, rel.relname);
    END LOOP;

    EXECUTE format($q$
        CREATE TABLE %1$I.content_metadata (
            title_id bigint NOT NULL, title text, content_type text, genres text[],
            description text, release_year int, primary_language text, maturity_rating text,
            runtime_minutes int, episodes int, launch_date date, production_cost numeric);
        CREATE TABLE %1$I.viewing_events (
            event_id bigint NOT NULL, user_id bigint NOT NULL, title_id bigint NOT NULL,
            started_at timestamptz NOT NULL, watch_seconds int, watch_pct real,
            device text, country text, event_type text NOT NULL);
        CREATE TABLE %1$I.subscriptions (
            user_id bigint NOT NULL, signup_date date, cancel_date date,
            plan text, monthly_price numeric, country text);
        CREATE TABLE %1$I.demo_title_truth (
            title_id bigint NOT NULL, community int NOT NULL, community_name text NOT NULL,
            planted text, popularity float8 NOT NULL, quality real NOT NULL, context_class text);
        CREATE TABLE %1$I.demo_user_truth (
            user_id bigint NOT NULL, communities int[] NOT NULL, community_weights real[] NOT NULL,
            activity real NOT NULL, churn_prone boolean NOT NULL, decline_start date,
            rescued_by bigint, attributed_to bigint, cancel_reason text);
        CREATE TABLE %1$I.artwork_impressions (
            user_id bigint NOT NULL, title_id bigint NOT NULL, artwork_id int NOT NULL,
            shown_at timestamptz NOT NULL, played boolean NOT NULL);
        CREATE TABLE %1$I.demo_artwork_truth (
            segment text NOT NULL, artwork_id int NOT NULL, lift float8 NOT NULL)
    $q$, sch);

    -- Production costs are drawn for a 125-million-subscriber service and
    -- scaled to the demo's subscribers (whole dollars, at least 1), so that
    -- content_roi's value per dollar reads as it would at full scale.
    EXECUTE format($q$
        WITH t AS MATERIALIZED (SELECT * FROM nfrec._demo_titles($1, $2, $3, $4, $5)),
        m AS (
            INSERT INTO %1$I.content_metadata
            SELECT title_id, title, content_type, genres, description, release_year,
                   primary_language, maturity_rating, runtime_minutes, episodes,
                   launch_date,
                   CASE WHEN production_cost IS NOT NULL
                        THEN greatest(round(production_cost * $6 / 125000000), 1) END
            FROM t)
        INSERT INTO %1$I.demo_title_truth
        SELECT title_id, community, community_name, planted, popularity, quality, context_class FROM t
    $q$, sch) USING titles, days, seed::bigint, end_date, coalesce(communities, 0), users::numeric;

    EXECUTE format($q$
        WITH u AS MATERIALIZED (SELECT * FROM nfrec._demo_users($1, $2, $3, $4, $5, $6, $7, $8)),
        s AS (
            INSERT INTO %1$I.subscriptions
            SELECT user_id, signup_date, cancel_date, plan, monthly_price, country FROM u)
        INSERT INTO %1$I.demo_user_truth
        SELECT user_id, communities, community_weights, activity, churn_prone, decline_start,
               rescued_by, attributed_to, cancel_reason
        FROM u
    $q$, sch) USING users, titles, days, seed::bigint, end_date, coalesce(communities, 0), activity,
                    context;

    -- the events stream from a target-list SRF (no tuplestore in between)
    EXECUTE format($q$
        INSERT INTO %1$I.viewing_events
        SELECT (e).event_id, (e).user_id, (e).title_id, (e).started_at, (e).watch_seconds,
               (e).watch_pct, (e).device, (e).country, (e).event_type
        FROM (SELECT nfrec._demo_events($1, $2, $3, $4, $5, $6, $7, $8) AS e OFFSET 0) s
    $q$, sch) USING users, titles, days, seed::bigint, end_date, coalesce(communities, 0), activity,
                    context;
    GET DIAGNOSTICS n_events = ROW_COUNT;

    -- artwork impressions: the same users simulated again (same events),
    -- one row per impression event
    EXECUTE format($q$
        INSERT INTO %1$I.artwork_impressions
        SELECT (a).user_id, (a).title_id, (a).artwork_id, (a).shown_at, (a).played
        FROM (SELECT nfrec._demo_artwork($1, $2, $3, $4, $5, $6, $7, $8) AS a OFFSET 0) s;
        INSERT INTO %1$I.demo_artwork_truth SELECT * FROM nfrec._demo_artwork_truth($4)
    $q$, sch) USING users, titles, days, seed::bigint, end_date, coalesce(communities, 0), activity,
                    context;

    -- keys and the indexes an analyst would add, built after loading
    EXECUTE format($q$
        ALTER TABLE %1$I.content_metadata ADD PRIMARY KEY (title_id);
        CREATE INDEX ON %1$I.content_metadata (launch_date);
        ALTER TABLE %1$I.viewing_events ADD PRIMARY KEY (event_id);
        CREATE INDEX ON %1$I.viewing_events (user_id, started_at);
        CREATE INDEX ON %1$I.viewing_events (title_id, started_at);
        ALTER TABLE %1$I.subscriptions ADD PRIMARY KEY (user_id);
        ALTER TABLE %1$I.demo_title_truth ADD PRIMARY KEY (title_id);
        ALTER TABLE %1$I.demo_user_truth ADD PRIMARY KEY (user_id);
        ALTER TABLE %1$I.demo_artwork_truth ADD PRIMARY KEY (segment, artwork_id);
        CREATE INDEX ON %1$I.artwork_impressions (title_id, artwork_id);
        -- security_invoker: row-level security and GRANTs on viewing_events
        -- apply to whoever reads the view (and to serving a model bound to it)
        CREATE VIEW %1$I.interactions WITH (security_invoker = true) AS
            -- watch_pct has one decimal, so the weight is exact to 3 decimals
            SELECT user_id, title_id,
                   round((sum(least(watch_pct, 100)::float8) / 100)::numeric, 3)::float8 AS weight
            FROM %1$I.viewing_events
            WHERE event_type = 'play'
            GROUP BY user_id, title_id;
        COMMENT ON TABLE %1$I.content_metadata IS
            'nfrec demo catalog: one row per title (episodes NULL for movies; production_cost NULL when unknown)';
        COMMENT ON TABLE %1$I.viewing_events IS
            'nfrec demo events: play (watch_seconds, watch_pct set), impression, search, thumb_up, thumb_down (watch columns NULL)';
        COMMENT ON TABLE %1$I.subscriptions IS
            'nfrec demo subscriptions: one row per user; cancel_date NULL while active';
        COMMENT ON TABLE %1$I.demo_title_truth IS
            'nfrec demo ground truth per title: taste community, planted hit/flop, true popularity and quality';
        COMMENT ON TABLE %1$I.demo_user_truth IS
            'nfrec demo ground truth per user: taste communities and weights, activity, churn proneness, decline, rescue, cancellation reason';
        COMMENT ON TABLE %1$I.artwork_impressions IS
            'nfrec demo artwork impressions: one row per impression event, the artwork shown (1..4, chosen uniformly) and whether the tile was played';
        COMMENT ON TABLE %1$I.demo_artwork_truth IS
            'nfrec demo ground truth: planted play-rate lift of each artwork for each taste segment (the genre of the subscriber''s strongest community)';
        COMMENT ON VIEW %1$I.interactions IS
            'implicit feedback for nfrec.als_train: plays per (user, title), weight = full-title equivalents watched (sum of watch_pct / 100)';
        ANALYZE %1$I.content_metadata;
        ANALYZE %1$I.viewing_events;
        ANALYZE %1$I.subscriptions;
        ANALYZE %1$I.demo_title_truth;
        ANALYZE %1$I.demo_user_truth;
        ANALYZE %1$I.artwork_impressions;
        ANALYZE %1$I.demo_artwork_truth
    $q$, sch);

    EXECUTE format($q$
        SELECT $1, (SELECT count(*) FROM %1$I.subscriptions),
               (SELECT count(*) FROM %1$I.content_metadata),
               (SELECT count(DISTINCT community)::int FROM %1$I.demo_title_truth),
               $2,
               (SELECT count(*) FROM %1$I.viewing_events WHERE event_type = 'play'),
               (SELECT count(*) FROM %1$I.subscriptions),
               (SELECT count(cancel_date) FROM %1$I.subscriptions),
               $3 - $4 + 1, $3, NULL::numeric
    $q$, sch) INTO res USING sch, n_events, end_date, days;
    res.seconds := round(extract(epoch FROM clock_timestamp() - t0)::numeric, 2);
    RETURN res;
END
$fn$;
COMMENT ON FUNCTION generate_demo(int, int, int, int, date, float8, int, boolean, name, boolean) IS
    'create and fill the demo tables content_metadata, viewing_events, subscriptions, artwork_impressions (plus the interactions view, security_invoker, and demo_*_truth tables) in the given schema (default: the current schema), deterministically for a seed; context => false leaves out the planted time-of-day and device effects';
