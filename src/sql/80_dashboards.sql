
-- ---------------------------------------------------------------------
-- Dashboards: argument-free views over tables that nfrec.refresh fills
-- ---------------------------------------------------------------------
--
-- A BI tile queries a view with no arguments and gets an answer in
-- milliseconds; the work (batch scoring of every user, the churn model,
-- content ROI) happens in CALL nfrec.refresh(...), from a scheduled job.
-- The backing tables dashboard_* are extension members holding derived
-- data only (recomputed from the registry and the user's tables by every
-- refresh): DROP EXTENSION drops them and pg_dump does not dump their
-- rows (run nfrec.refresh after a restore).  Each part of a refresh
-- replaces its table's rows with DELETE and INSERT in the calling
-- transaction, under a lock that only other refreshes wait for, so a
-- reader sees the old rows or the new ones, never a mix, and never waits.
--
-- Rights: the views are security_invoker; nfrec.grant_dashboards(role)
-- grants SELECT on them and their backing tables.  The recommendations
-- reveal viewing history (the lists leave out watched titles, the reason
-- names a watched title), so it is a separate grant from grant_serving.
-- nfrec.refresh runs with the caller's rights: it writes the backing
-- tables and reads nfrec.model_users, so it is the extension owner's
-- (EXECUTE is revoked from PUBLIC).  doc/dashboards.md has the details.

CREATE FUNCTION _recommend_batch(n int, model text DEFAULT NULL)
RETURNS TABLE(user_id bigint, title_ids bigint[], scores real[], reason_title_ids bigint[],
              model text, model_version bigint)
    AS 'MODULE_PATHNAME', 'recommend_batch'
    LANGUAGE C STABLE PARALLEL RESTRICTED COST 1000000 ROWS 100000;
COMMENT ON FUNCTION _recommend_batch(int, text) IS
    'internal (used by refresh): the top-n list of every trained user of a deployed model (NULL: the default model) with one blocked matrix product per block of users, the same lists as recommend_for gives from the trained vectors (training titles excluded, score desc, title_id asc), and per title the reason: the user''s positively weighted training title with the highest cosine of factors (NULL if none); users with nothing left to recommend are left out; reads nfrec.model_users with the caller''s rights';
REVOKE EXECUTE ON FUNCTION _recommend_batch(int, text) FROM PUBLIC;

CREATE TABLE dashboard_recommendations (
    user_id          bigint PRIMARY KEY,
    title_ids        bigint[] NOT NULL,
    scores           real[] NOT NULL,
    reason_title_ids bigint[] NOT NULL,
    model            text NOT NULL,
    model_version    bigint NOT NULL,
    generated_at     timestamptz NOT NULL
);
COMMENT ON TABLE dashboard_recommendations IS
    'derived data behind the view nfrec.recommendations: one row per user, the list as arrays (rank = position); replaced by nfrec.refresh';

CREATE TABLE dashboard_titles (
    title_id bigint PRIMARY KEY,
    title    text
);
COMMENT ON TABLE dashboard_titles IS
    'derived data behind the view nfrec.recommendations: titles of the titles relation at the last refresh of the recommendations';

CREATE TABLE dashboard_catalog_health (
    model                  text NOT NULL,
    model_version          bigint NOT NULL,
    catalog_titles         bigint NOT NULL,
    recommended_titles     bigint NOT NULL,
    coverage               float8 NOT NULL,
    effective_catalog_size float8,
    users                  bigint NOT NULL,
    generated_at           timestamptz NOT NULL
);
COMMENT ON TABLE dashboard_catalog_health IS
    'derived data behind the view nfrec.catalog_health; replaced by nfrec.refresh with the recommendations';

CREATE TABLE dashboard_recommended_titles (
    title_id        bigint PRIMARY KEY,
    users           bigint NOT NULL,
    users_at_rank_1 bigint NOT NULL,
    mean_rank       float8 NOT NULL,
    generated_at    timestamptz NOT NULL
);
COMMENT ON TABLE dashboard_recommended_titles IS
    'derived data behind the view nfrec.recommended_titles; replaced by nfrec.refresh with the recommendations';

CREATE TABLE dashboard_churn_cohorts (
    as_of                   date NOT NULL,
    risk_decile             int NOT NULL,
    country                 text,
    plan                    text,
    users                   bigint NOT NULL,
    mean_risk               float8 NOT NULL,
    expected_cancellations  float8 NOT NULL,
    monthly_revenue_at_risk numeric,
    generated_at            timestamptz NOT NULL
);
CREATE INDEX dashboard_churn_cohorts_decile ON dashboard_churn_cohorts (risk_decile, country, plan);
COMMENT ON TABLE dashboard_churn_cohorts IS
    'derived data behind the view nfrec.churn_cohorts; replaced by nfrec.refresh';

CREATE TABLE dashboard_content_roi (
    title_id bigint PRIMARY KEY, title text, content_type text, launch_date date,
    production_cost numeric,
    starters bigint, watchers bigint, completion_rate float8,
    series_completers bigint, binge_hours float8,
    signups_attributed bigint,
    at_risk_watchers bigint, at_risk_watchers_retained bigint, watcher_retention float8,
    at_risk_nonwatchers bigint, nonwatcher_retention float8, retention_lift float8,
    retention_months float8, acquisition_months float8, incremental_months float8,
    value numeric, roi float8, observed boolean,
    generated_at timestamptz NOT NULL
);
CREATE INDEX dashboard_content_roi_launch ON dashboard_content_roi (launch_date);
COMMENT ON TABLE dashboard_content_roi IS
    'derived data behind the view nfrec.content_roi_launches; replaced by nfrec.refresh';

CREATE TABLE dashboard_trending (
    rank         int PRIMARY KEY,
    title_id     bigint NOT NULL,
    title        text,
    score        float8 NOT NULL,
    plays        bigint NOT NULL,
    last_played  timestamptz,
    as_of        timestamptz NOT NULL,
    generated_at timestamptz NOT NULL
);
COMMENT ON TABLE dashboard_trending IS
    'derived data behind the view nfrec.trending_now; replaced by nfrec.refresh';

CREATE VIEW recommendations WITH (security_invoker = true) AS
SELECT r.user_id,
       l.rank::int AS rank,
       l.title_id,
       t.title,
       l.score,
       CASE WHEN l.reason_title_id IS NOT NULL
            THEN pg_catalog.concat('similar to ',
                                   coalesce(rt.title, pg_catalog.concat('title ', l.reason_title_id)))
       END AS reason,
       r.model,
       r.model_version,
       r.generated_at
  FROM nfrec.dashboard_recommendations r
 CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(r.title_ids), pg_catalog.unnest(r.scores),
                                pg_catalog.unnest(r.reason_title_ids))
       WITH ORDINALITY AS l(title_id, score, reason_title_id, rank)
  LEFT JOIN nfrec.dashboard_titles t ON t.title_id OPERATOR(pg_catalog.=) l.title_id
  LEFT JOIN nfrec.dashboard_titles rt ON rt.title_id OPERATOR(pg_catalog.=) l.reason_title_id;
COMMENT ON VIEW recommendations IS
    'top-n titles per trained user of the default model as of the last nfrec.refresh (rank 1 = best), the lists recommend_for gives from trained vectors; reason: ''similar to <title>'', the user''s positively weighted training title with the highest cosine of factors; cold-start users are not listed';

CREATE VIEW catalog_health WITH (security_invoker = true) AS
SELECT c.model, c.model_version, c.catalog_titles, c.recommended_titles, c.coverage,
       c.effective_catalog_size, c.users, c.generated_at
  FROM nfrec.dashboard_catalog_health c;
COMMENT ON VIEW catalog_health IS
    'how much of the catalog the stored recommendations use: titles in the model, distinct titles recommended, coverage (their share), effective catalog size of all list entries (nfrec.effective_catalog_size), users with a list';

CREATE VIEW recommended_titles WITH (security_invoker = true) AS
SELECT r.title_id, t.title, r.users, r.users_at_rank_1, r.mean_rank, r.generated_at
  FROM nfrec.dashboard_recommended_titles r
  LEFT JOIN nfrec.dashboard_titles t ON t.title_id OPERATOR(pg_catalog.=) r.title_id;
COMMENT ON VIEW recommended_titles IS
    'per title in at least one stored list: how many users have it in their list, how many at rank 1, and its mean rank there (aggregates only: no user is named)';

CREATE VIEW churn_cohorts WITH (security_invoker = true) AS
SELECT c.as_of, c.risk_decile, c.country, c.plan, c.users, c.mean_risk,
       c.expected_cancellations, c.monthly_revenue_at_risk, c.generated_at
  FROM nfrec.dashboard_churn_cohorts c;
COMMENT ON VIEW churn_cohorts IS
    'subscribers active at as_of by churn-risk decile (10 = riskiest), country and plan: count, mean risk, expected cancellations within the horizon (sum of risks) and expected monthly revenue lost (sum of risk times monthly_price), from nfrec.churn_risk at the last refresh';

CREATE VIEW content_roi_launches WITH (security_invoker = true) AS
SELECT c.title_id, c.title, c.content_type, c.launch_date, c.production_cost,
       c.starters, c.watchers, c.completion_rate, c.series_completers, c.binge_hours,
       c.signups_attributed, c.at_risk_watchers, c.at_risk_watchers_retained,
       c.watcher_retention, c.at_risk_nonwatchers, c.nonwatcher_retention,
       c.retention_lift, c.retention_months, c.acquisition_months, c.incremental_months,
       c.value, c.roi, c.observed, c.generated_at
  FROM nfrec.dashboard_content_roi c;
COMMENT ON VIEW content_roi_launches IS
    'one row per launched title: the columns of nfrec.content_roi at the last refresh, and when it ran';

CREATE VIEW trending_now WITH (security_invoker = true) AS
SELECT t.rank, t.title_id, t.title, t.score, t.plays, t.last_played, t.as_of, t.generated_at
  FROM nfrec.dashboard_trending t;
COMMENT ON VIEW trending_now IS
    'the n titles with the most time-decayed plays before as_of (nfrec.trending with its defaults) at the last refresh';

CREATE PROCEDURE refresh(what text DEFAULT 'all', n int DEFAULT 10, model text DEFAULT NULL,
                         as_of date DEFAULT NULL,
                         events regclass DEFAULT 'viewing_events'::text::regclass,
                         subscriptions regclass DEFAULT 'subscriptions'::text::regclass,
                         titles regclass DEFAULT 'content_metadata'::text::regclass,
                         churn_model text DEFAULT NULL)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts constant text[] := ARRAY['recommendations', 'recommended_titles', 'catalog_health',
                                   'churn_cohorts', 'content_roi_launches', 'trending_now'];
    v_what text := lower(refresh.what);
    v_as_of date := refresh.as_of;
    v_version bigint;
    v_name text;
    v_titles bigint;
    v_stamp timestamptz;
    last_ts timestamptz;
BEGIN
    IF v_what IS NULL OR refresh.n IS NULL THEN
        RAISE EXCEPTION 'what and n must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF v_what <> 'all' AND v_what <> ALL (parts) THEN
        RAISE EXCEPTION 'unknown dashboard view "%"', refresh.what
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use ''all'' or one of recommendations, recommended_titles, catalog_health, churn_cohorts, content_roi_launches, trending_now.';
    END IF;
    IF refresh.n < 1 OR refresh.n > 1000 THEN
        RAISE EXCEPTION 'n must be between 1 and 1000, not %', refresh.n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_as_of IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION 'as_of must be finite' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- a stored churn model: an unknown name fails before any part is
    -- replaced (42704 from deployed_churn_model)
    IF refresh.churn_model IS NOT NULL THEN
        PERFORM nfrec._churn_model_arg(refresh.churn_model);
    END IF;

    -- recommendations, recommended titles and catalog health: one model
    -- version for the three
    IF v_what IN ('all', 'recommendations', 'recommended_titles', 'catalog_health') THEN
        -- a deployment waits until this transaction ends, so the version
        -- looked up here is the one the batch scores
        LOCK TABLE nfrec.model_store IN SHARE MODE;
        LOCK TABLE nfrec.dashboard_recommendations, nfrec.dashboard_titles,
                   nfrec.dashboard_recommended_titles, nfrec.dashboard_catalog_health
            IN SHARE ROW EXCLUSIVE MODE;
        v_version := nfrec.model_version(refresh.model);
        SELECT s.name, s.titles INTO v_name, v_titles
          FROM nfrec.model_store s WHERE s.version = v_version;

        -- generated_at: when this part computed its rows (the clock, not
        -- the transaction start: a refresh inside a retrain runs after it)
        v_stamp := clock_timestamp();
        DELETE FROM nfrec.dashboard_recommendations;
        INSERT INTO nfrec.dashboard_recommendations
               (user_id, title_ids, scores, reason_title_ids, model, model_version, generated_at)
        SELECT b.user_id, b.title_ids, b.scores, b.reason_title_ids, b.model, b.model_version,
               v_stamp
          FROM nfrec._recommend_batch(refresh.n, v_name) b;

        PERFORM nfrec._check_columns(refresh.titles, ARRAY['title_id', 'title']);
        DELETE FROM nfrec.dashboard_titles;
        EXECUTE format($q$
            INSERT INTO nfrec.dashboard_titles (title_id, title)
            SELECT DISTINCT ON (c.title_id::bigint) c.title_id::bigint, c.title::text
              FROM %s c WHERE c.title_id IS NOT NULL
             ORDER BY c.title_id::bigint, c.title::text
            $q$, refresh.titles);

        -- per title: the lists that hold it, at rank 1, its mean rank there
        DELETE FROM nfrec.dashboard_recommended_titles;
        INSERT INTO nfrec.dashboard_recommended_titles
               (title_id, users, users_at_rank_1, mean_rank, generated_at)
        SELECT l.title_id, count(*), count(*) FILTER (WHERE l.rank = 1), avg(l.rank::float8), v_stamp
          FROM nfrec.dashboard_recommendations r
         CROSS JOIN LATERAL unnest(r.title_ids) WITH ORDINALITY AS l(title_id, rank)
         GROUP BY l.title_id;

        -- coverage counts the distinct titles of the lists, the effective
        -- catalog size weighs them by their list entries
        DELETE FROM nfrec.dashboard_catalog_health;
        INSERT INTO nfrec.dashboard_catalog_health
               (model, model_version, catalog_titles, recommended_titles, coverage,
                effective_catalog_size, users, generated_at)
        SELECT v_name, v_version, v_titles, count(*), count(*)::float8 / v_titles,
               nfrec.effective_catalog_size(x.title_id, x.users::float8),
               (SELECT count(*) FROM nfrec.dashboard_recommendations), v_stamp
          FROM nfrec.dashboard_recommended_titles x;
    END IF;

    -- the analytics parts share one as_of: the given date, or the end of
    -- the data (the day after the last event's day, as content_roi and
    -- trending default to)
    IF v_what IN ('all', 'churn_cohorts', 'content_roi_launches', 'trending_now') AND v_as_of IS NULL THEN
        PERFORM nfrec._check_columns(refresh.events, ARRAY['started_at']);
        EXECUTE format($q$
            SELECT max(e.started_at) FROM %s e
             WHERE e.started_at > '-infinity' AND e.started_at < 'infinity'
            $q$, refresh.events)
            INTO last_ts;
        IF last_ts IS NULL THEN
            RAISE EXCEPTION 'relation % has no events', refresh.events
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass as_of explicitly.';
        END IF;
        v_as_of := last_ts::date + 1;
    END IF;

    IF v_what IN ('all', 'churn_cohorts') THEN
        LOCK TABLE nfrec.dashboard_churn_cohorts IN SHARE ROW EXCLUSIVE MODE;
        v_stamp := clock_timestamp();
        DELETE FROM nfrec.dashboard_churn_cohorts;
        INSERT INTO nfrec.dashboard_churn_cohorts
               (as_of, risk_decile, country, plan, users, mean_risk, expected_cancellations,
                monthly_revenue_at_risk, generated_at)
        SELECT v_as_of, r.risk_decile, r.country, r.plan, count(*), avg(r.risk), sum(r.risk),
               sum(r.risk::numeric * r.monthly_price), v_stamp
          FROM nfrec.churn_risk(v_as_of, model => refresh.churn_model, events => refresh.events,
                                subscriptions => refresh.subscriptions) r
         GROUP BY r.risk_decile, r.country, r.plan;
    END IF;

    IF v_what IN ('all', 'content_roi_launches') THEN
        LOCK TABLE nfrec.dashboard_content_roi IN SHARE ROW EXCLUSIVE MODE;
        v_stamp := clock_timestamp();
        DELETE FROM nfrec.dashboard_content_roi;
        INSERT INTO nfrec.dashboard_content_roi
               (title_id, title, content_type, launch_date, production_cost,
                starters, watchers, completion_rate, series_completers, binge_hours,
                signups_attributed, at_risk_watchers, at_risk_watchers_retained,
                watcher_retention, at_risk_nonwatchers, nonwatcher_retention,
                retention_lift, retention_months, acquisition_months, incremental_months,
                value, roi, observed, generated_at)
        SELECT c.title_id, c.title, c.content_type, c.launch_date, c.production_cost,
               c.starters, c.watchers, c.completion_rate, c.series_completers, c.binge_hours,
               c.signups_attributed, c.at_risk_watchers, c.at_risk_watchers_retained,
               c.watcher_retention, c.at_risk_nonwatchers, c.nonwatcher_retention,
               c.retention_lift, c.retention_months, c.acquisition_months, c.incremental_months,
               c.value, c.roi, c.observed, v_stamp
          FROM nfrec.content_roi(risk_model => refresh.churn_model,
                                 as_of => v_as_of, titles => refresh.titles,
                                 events => refresh.events,
                                 subscriptions => refresh.subscriptions) c;
    END IF;

    IF v_what IN ('all', 'trending_now') THEN
        LOCK TABLE nfrec.dashboard_trending IN SHARE ROW EXCLUSIVE MODE;
        v_stamp := clock_timestamp();
        DELETE FROM nfrec.dashboard_trending;
        INSERT INTO nfrec.dashboard_trending
               (rank, title_id, title, score, plays, last_played, as_of, generated_at)
        SELECT t.rank, t.title_id, t.title, t.score, t.plays, t.last_played,
               v_as_of::timestamptz, v_stamp
          FROM nfrec.trending(as_of => v_as_of::timestamptz, n => refresh.n,
                              events => refresh.events, titles => refresh.titles) t;
    END IF;
END
$$;
COMMENT ON PROCEDURE refresh(text, int, text, date, regclass, regclass, regclass, text) IS
    'recompute the tables behind the dashboard views, in the calling transaction (readers see the old or the new rows): what = all, recommendations, recommended_titles or catalog_health (these three together), churn_cohorts, content_roi_launches or trending_now; n: list length of recommendations and trending_now (1..1000); model: NULL = the default model; as_of: NULL = the day after the last event''s day; events, subscriptions, titles: the relations read (caller''s rights); churn_model: a churn model deployed with nfrec.deploy_churn_model that churn_cohorts and content_roi_launches score with (NULL: one trained on the history before as_of, per part); the recommendations need an ALS model (42809 for an EASE model)';
REVOKE EXECUTE ON PROCEDURE refresh(text, int, text, date, regclass, regclass, regclass, text) FROM PUBLIC;

-- The dashboard views a role may read, and the backing tables each needs
-- (security_invoker views check the reader's rights on them).
CREATE FUNCTION _dashboard_relations(views text[])
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v text;
    one text[];
    rels text[] := '{}';
BEGIN
    FOREACH v IN ARRAY coalesce(views, ARRAY['recommendations', 'recommended_titles', 'catalog_health',
                                             'churn_cohorts', 'content_roi_launches', 'trending_now'])
    LOOP
        one := CASE v
            WHEN 'recommendations' THEN
                ARRAY['nfrec.recommendations', 'nfrec.dashboard_recommendations', 'nfrec.dashboard_titles']
            WHEN 'recommended_titles' THEN
                ARRAY['nfrec.recommended_titles', 'nfrec.dashboard_recommended_titles', 'nfrec.dashboard_titles']
            WHEN 'catalog_health' THEN ARRAY['nfrec.catalog_health', 'nfrec.dashboard_catalog_health']
            WHEN 'churn_cohorts' THEN ARRAY['nfrec.churn_cohorts', 'nfrec.dashboard_churn_cohorts']
            WHEN 'content_roi_launches' THEN
                ARRAY['nfrec.content_roi_launches', 'nfrec.dashboard_content_roi']
            WHEN 'trending_now' THEN ARRAY['nfrec.trending_now', 'nfrec.dashboard_trending']
        END;
        IF one IS NULL THEN
            RAISE EXCEPTION 'unknown dashboard view "%"', coalesce(v, 'NULL')
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use recommendations, recommended_titles, catalog_health, churn_cohorts, content_roi_launches or trending_now.';
        END IF;
        rels := rels || one;
    END LOOP;
    RETURN rels;
END
$$;
COMMENT ON FUNCTION _dashboard_relations(text[]) IS
    'internal (grant_dashboards, revoke_dashboards): the views named (NULL: all six) and their backing tables, qualified; 22023 for an unknown name';

CREATE FUNCTION grant_dashboards(role regrole, views text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rels text[];
BEGIN
    IF grant_dashboards.role IS NULL THEN
        RAISE EXCEPTION 'role must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    rels := nfrec._dashboard_relations(grant_dashboards.views);
    IF NOT (pg_catalog.has_schema_privilege('nfrec', 'USAGE WITH GRANT OPTION')
            AND pg_catalog.has_table_privilege('nfrec.dashboard_recommendations',
                                               'SELECT WITH GRANT OPTION')) THEN
        RAISE EXCEPTION 'permission denied to grant dashboards'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Run nfrec.grant_dashboards as the owner of the extension or a superuser.';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA nfrec TO %s', grant_dashboards.role);
    EXECUTE format('GRANT SELECT ON %s TO %s', array_to_string(rels, ', '), grant_dashboards.role);
END
$$;
COMMENT ON FUNCTION grant_dashboards(regrole, text[]) IS
    'let a role read dashboard views (views: NULL = all six, or some of recommendations, recommended_titles, catalog_health, churn_cohorts, content_roi_launches, trending_now): USAGE on schema nfrec and SELECT on the views and their backing tables; the recommendations reveal viewing history (lists leave out watched titles, reasons name one)';

CREATE FUNCTION revoke_dashboards(role regrole, views text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rels text[];
BEGIN
    IF revoke_dashboards.role IS NULL THEN
        RAISE EXCEPTION 'role must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    rels := nfrec._dashboard_relations(revoke_dashboards.views);
    IF NOT (pg_catalog.has_schema_privilege('nfrec', 'USAGE WITH GRANT OPTION')
            AND pg_catalog.has_table_privilege('nfrec.dashboard_recommendations',
                                               'SELECT WITH GRANT OPTION')) THEN
        RAISE EXCEPTION 'permission denied to revoke dashboards'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Run nfrec.revoke_dashboards as the owner of the extension or a superuser.';
    END IF;
    EXECUTE format('REVOKE SELECT ON %s FROM %s', array_to_string(rels, ', '), revoke_dashboards.role);
    PERFORM nfrec._release_schema_usage(revoke_dashboards.role);
END
$$;
COMMENT ON FUNCTION revoke_dashboards(regrole, text[]) IS
    'undo nfrec.grant_dashboards for the views named (NULL: all six): revoke SELECT on them and their backing tables; and USAGE on schema nfrec once the role can neither read a dashboard view nor serve (grant_serving)';
