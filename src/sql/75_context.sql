
-- ---------------------------------------------------------------------
-- Context: time of day and device (doc/context.md)
-- ---------------------------------------------------------------------
--
-- nfrec.fit_context learns, from the title starts in viewing_events, how
-- much more (or less) often each title is started in a context cell (day
-- part x device) than its overall share predicts, shrunk towards "no
-- effect" by an empirical-Bayes prior; nfrec.context_rerank re-ranks a
-- scored list with those affinities.  The fit lives in two extension
-- tables (dumped by pg_dump) that hold per-title aggregates only, no
-- viewing history, so every role may read them.

CREATE FUNCTION day_part(at timestamptz) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT CASE WHEN NOT isfinite(at) THEN NULL
                WHEN h >= 5 AND h < 12 THEN 'morning'
                WHEN h >= 12 AND h < 17 THEN 'afternoon'
                WHEN h >= 17 AND h < 22 THEN 'evening'
                ELSE 'night' END
    FROM (SELECT extract(hour FROM at) AS h) x
$fn$;
COMMENT ON FUNCTION day_part(timestamptz) IS
    'day part of an instant in the session''s TimeZone: morning 05-12, afternoon 12-17, evening 17-22, night 22-05 (NULL for infinite instants)';

CREATE SEQUENCE context_version_seq;
COMMENT ON SEQUENCE context_version_seq IS 'versions of nfrec.fit_context fits';

CREATE TABLE context_fit (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version bigint NOT NULL,
    fitted_at timestamptz NOT NULL,
    events text NOT NULL,
    time_zone text NOT NULL,
    starts bigint NOT NULL,
    prior_starts float8
);
COMMENT ON TABLE context_fit IS
    'the current context fit (one row): version, when, from which events relation and in which TimeZone, how many title starts, and the prior strength k of the shrinkage (NULL: no context effect found, every affinity is 0)';

CREATE TABLE context_affinity (
    day_part text,
    device text,
    title_id bigint NOT NULL,
    starts bigint NOT NULL,
    expected float8 NOT NULL,
    affinity real NOT NULL
);
CREATE UNIQUE INDEX context_affinity_cell_title
    ON context_affinity (coalesce(day_part, ''), coalesce(device, ''), title_id);
COMMENT ON TABLE context_affinity IS
    'context affinities of the current fit: per cell (day_part, device; NULL = any) and title, the starts seen, the starts expected without a context effect, and affinity = ln((starts + k) / (expected + k))';

SELECT pg_catalog.pg_extension_config_dump('nfrec.context_fit', '');
SELECT pg_catalog.pg_extension_config_dump('nfrec.context_affinity', '');
SELECT pg_catalog.pg_extension_config_dump('nfrec.context_version_seq', '');
GRANT SELECT ON context_fit, context_affinity TO PUBLIC;

CREATE FUNCTION fit_context(events regclass DEFAULT 'viewing_events'::text::regclass,
                            prior_starts float8 DEFAULT NULL)
    RETURNS TABLE(version bigint, starts bigint, titles bigint, cells int, k float8)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    prior float8 := fit_context.prior_starts;
    n_all float8;
    excess float8;
    e2 float8;
    v bigint;
BEGIN
    IF prior IS NOT NULL AND NOT (prior > 0 AND prior < 'infinity'::float8) THEN
        RAISE EXCEPTION 'prior_starts must be a positive finite number or NULL'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'NULL estimates it from the data.';
    END IF;
    PERFORM nfrec._check_columns(events, ARRAY['user_id', 'title_id', 'started_at', 'event_type']);
    -- one fit at a time; readers keep the previous fit until commit
    LOCK TABLE nfrec.context_fit IN EXCLUSIVE MODE;

    -- title starts: the first play of each (user, title), with its cell
    EXECUTE format($q$
        CREATE TEMP TABLE nfrec_ctx_starts ON COMMIT DROP AS
        SELECT title_id::bigint AS title_id, nfrec.day_part(started_at) AS day_part,
               device::text AS device
        FROM (SELECT DISTINCT ON (user_id, title_id) user_id, title_id, started_at, device
              FROM %s
              WHERE event_type = 'play' AND user_id IS NOT NULL AND title_id IS NOT NULL
              ORDER BY user_id, title_id, started_at) f
        WHERE device IS NOT NULL AND started_at IS NOT NULL
          AND isfinite(started_at)
    $q$, events);

    SELECT count(*) INTO n_all FROM nfrec_ctx_starts;

    -- counts of every cell: full (day part, device) and the two margins
    CREATE TEMP TABLE nfrec_ctx_counts ON COMMIT DROP AS
    SELECT s.day_part, s.device, s.title_id, count(*)::float8 AS n,
           GROUPING(s.day_part, s.device) AS g
    FROM nfrec_ctx_starts s
    GROUP BY GROUPING SETS ((s.day_part, s.device, s.title_id), (s.day_part, s.title_id),
                           (s.device, s.title_id));
    CREATE TEMP TABLE nfrec_ctx_titles ON COMMIT DROP AS
    SELECT s.title_id, count(*)::float8 AS n FROM nfrec_ctx_starts s GROUP BY 1;
    CREATE TEMP TABLE nfrec_ctx_cells ON COMMIT DROP AS
    SELECT c.day_part, c.device, c.g, sum(c.n) AS n FROM nfrec_ctx_counts c GROUP BY 1, 2, 3;

    -- Prior strength k of the Gamma(k, k) prior on the lift, estimated on
    -- the full cells by the method of moments: with n ~ Poisson(e * lift),
    -- E[(n - e)^2 - n] = e^2 / k, summed over every (title, cell) pair
    -- (the pairs with n = 0 contribute e^2 each: their sum has a closed form).
    IF prior IS NULL AND n_all > 0 THEN
        e2 := (SELECT sum(t.n * t.n) FROM nfrec_ctx_titles t)
              * (SELECT sum(c.n * c.n) FROM nfrec_ctx_cells c WHERE c.g = 0) / (n_all * n_all);
        excess := (SELECT coalesce(sum(c.n * c.n - 2 * c.n * t.n * cc.n / n_all), 0)
              FROM nfrec_ctx_counts c
              JOIN nfrec_ctx_titles t USING (title_id)
              JOIN nfrec_ctx_cells cc ON cc.g = 0 AND cc.day_part = c.day_part AND cc.device = c.device
              WHERE c.g = 0)
             + e2 - n_all;
        IF excess > 0 AND e2 > 0 THEN
            prior := e2 / excess;
        END IF;
    END IF;

    v := nextval('nfrec.context_version_seq');
    DELETE FROM nfrec.context_affinity;
    DELETE FROM nfrec.context_fit;
    INSERT INTO nfrec.context_fit
    VALUES (true, v, now(), events::text, current_setting('TimeZone'), n_all::bigint, prior);

    -- every (cell, title) pair of a title with starts, including the pairs
    -- without starts (their affinity is ln(k / (expected + k)) < 0)
    INSERT INTO nfrec.context_affinity
    SELECT cc.day_part, cc.device, t.title_id, coalesce(c.n, 0)::bigint,
           t.n * cc.n / n_all AS expected,
           CASE WHEN prior IS NULL THEN 0
                ELSE ln((coalesce(c.n, 0) + prior) / (t.n * cc.n / n_all + prior)) END::real
    FROM nfrec_ctx_cells cc
    CROSS JOIN nfrec_ctx_titles t
    LEFT JOIN nfrec_ctx_counts c
      ON c.g = cc.g AND c.title_id = t.title_id
     AND c.day_part IS NOT DISTINCT FROM cc.day_part AND c.device IS NOT DISTINCT FROM cc.device;

    DROP TABLE nfrec_ctx_starts, nfrec_ctx_counts, nfrec_ctx_titles, nfrec_ctx_cells;
    RETURN QUERY
    SELECT v, n_all::bigint, (SELECT count(DISTINCT a.title_id) FROM nfrec.context_affinity a),
           (SELECT count(*)::int FROM (SELECT DISTINCT a.day_part, a.device FROM nfrec.context_affinity a) x),
           prior;
END
$fn$;
COMMENT ON FUNCTION fit_context(regclass, float8) IS
    'learn context affinities from the title starts (first play of each user and title) in an events relation: per title and cell (day part in the session''s TimeZone x device, and each margin) ln((starts + k) / (expected + k)), expected = title starts x cell starts / all starts; k (prior_starts) estimated by the method of moments when NULL; replaces the stored fit';
REVOKE EXECUTE ON FUNCTION fit_context(regclass, float8) FROM PUBLIC;

CREATE FUNCTION context_rerank(title_ids bigint[], scores real[], at timestamptz,
                               device text DEFAULT NULL, weight float8 DEFAULT 1.0)
    RETURNS TABLE(rank int, title_id bigint, score real)
    AS 'MODULE_PATHNAME', 'context_rerank'
    LANGUAGE C STABLE PARALLEL SAFE
    COST 10 ROWS 100;
COMMENT ON FUNCTION context_rerank(bigint[], real[], timestamptz, text, float8) IS
    're-rank scored titles for a context: score x exp(weight x affinity) (score / exp(...) when negative) with the affinity of the fitted cell (day part of at in the session''s TimeZone, device; a missing or unknown part uses the margin); no context or no fit keeps the order and scores';
