
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
                               device text DEFAULT NULL, weight float8 DEFAULT 1.0,
                               n int DEFAULT NULL)
    RETURNS TABLE(rank int, title_id bigint, score real)
    AS 'MODULE_PATHNAME', 'context_rerank'
    LANGUAGE C STABLE PARALLEL SAFE
    COST 10 ROWS 100;
COMMENT ON FUNCTION context_rerank(bigint[], real[], timestamptz, text, float8, int) IS
    're-rank scored titles for a context: score x exp(weight x affinity) (score / exp(...) when negative) with the affinity of the fitted cell (day part of at in the session''s TimeZone, device; a missing or unknown part uses the margin), the first n rows (NULL: all); no context or no fit keeps the order and scores';

-- ---------------------------------------------------------------------
-- Artwork: which artwork to show a user for a title (doc/context.md)
-- ---------------------------------------------------------------------
--
-- nfrec.fit_artwork counts, from the optional canonical table
-- artwork_impressions, how often each artwork of each title was shown and
-- played, per taste segment (the user's dominant genre: the first genre of
-- the titles they played most, ties alphabetically; '*' = everybody).
-- nfrec.pick_artwork draws one artwork per title by Thompson sampling from
-- Beta posteriors of the play rate in the user's segment, with a prior
-- centred on the segment's play rate of that artwork over all titles.

CREATE TABLE artwork_fit (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version bigint NOT NULL,
    fitted_at timestamptz NOT NULL,
    impressions text NOT NULL,
    shown bigint NOT NULL
);
COMMENT ON TABLE artwork_fit IS
    'the current artwork fit (one row): version, when, from which impressions relation, how many impressions';

CREATE TABLE artwork_stats (
    segment text NOT NULL,
    title_id bigint NOT NULL,
    artwork_id int NOT NULL,
    shown bigint NOT NULL,
    played bigint NOT NULL,
    PRIMARY KEY (segment, title_id, artwork_id)
);
COMMENT ON TABLE artwork_stats IS
    'artwork impressions of the current fit per taste segment (dominant genre; ''*'' = all users), title and artwork: times shown and times played';

CREATE TABLE artwork_prior (
    segment text NOT NULL,
    artwork_id int NOT NULL,
    shown bigint NOT NULL,
    played bigint NOT NULL,
    PRIMARY KEY (segment, artwork_id)
);
COMMENT ON TABLE artwork_prior IS
    'artwork impressions of the current fit per taste segment and artwork id, over all titles: the prior of nfrec.pick_artwork';

SELECT pg_catalog.pg_extension_config_dump('nfrec.artwork_fit', '');
SELECT pg_catalog.pg_extension_config_dump('nfrec.artwork_stats', '');
SELECT pg_catalog.pg_extension_config_dump('nfrec.artwork_prior', '');
GRANT SELECT ON artwork_fit, artwork_stats, artwork_prior TO PUBLIC;

CREATE FUNCTION fit_artwork(impressions regclass DEFAULT 'artwork_impressions'::text::regclass,
                            events regclass DEFAULT 'viewing_events'::text::regclass,
                            titles regclass DEFAULT 'content_metadata'::text::regclass)
    RETURNS TABLE(version bigint, shown bigint, segments int, titles_shown bigint)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v bigint;
BEGIN
    PERFORM nfrec._check_columns(impressions, ARRAY['user_id', 'title_id']);
    PERFORM nfrec._check_columns(events, ARRAY['user_id', 'title_id', 'event_type']);
    PERFORM nfrec._check_columns(titles, ARRAY['title_id']);
    LOCK TABLE nfrec.artwork_fit IN EXCLUSIVE MODE;
    v := nextval('nfrec.context_version_seq');
    DELETE FROM nfrec.artwork_stats;
    DELETE FROM nfrec.artwork_prior;
    DELETE FROM nfrec.artwork_fit;
    EXECUTE format($q$
        WITH seg AS (
            SELECT DISTINCT ON (e.user_id) e.user_id, t.genres[1] AS segment
            FROM %2$s e JOIN %3$s t ON t.title_id = e.title_id
            WHERE e.event_type = 'play' AND t.genres[1] IS NOT NULL
            GROUP BY e.user_id, t.genres[1]
            ORDER BY e.user_id, count(*) DESC, t.genres[1] COLLATE "C"),
        imp AS (
            SELECT i.title_id::bigint AS title_id, i.artwork_id::int AS artwork_id,
                   coalesce(i.played, false) AS played, s.segment
            FROM %1$s i LEFT JOIN seg s ON s.user_id = i.user_id
            WHERE i.title_id IS NOT NULL AND i.artwork_id IS NOT NULL)
        INSERT INTO nfrec.artwork_stats
        SELECT coalesce(imp.segment, '*'), imp.title_id, imp.artwork_id, count(*),
               count(*) FILTER (WHERE imp.played)
        FROM imp WHERE imp.segment IS NOT NULL
        GROUP BY 1, 2, 3
        UNION ALL
        SELECT '*', imp.title_id, imp.artwork_id, count(*), count(*) FILTER (WHERE imp.played)
        FROM imp GROUP BY 2, 3
    $q$, impressions, events, titles);
    INSERT INTO nfrec.artwork_prior
    SELECT s.segment, s.artwork_id, sum(s.shown), sum(s.played)
    FROM nfrec.artwork_stats s GROUP BY 1, 2;
    INSERT INTO nfrec.artwork_fit
    SELECT true, v, now(), impressions::text,
           coalesce((SELECT sum(p.shown) FROM nfrec.artwork_prior p WHERE p.segment = '*'), 0);
    RETURN QUERY
    SELECT v, (SELECT f.shown FROM nfrec.artwork_fit f),
           (SELECT count(DISTINCT p.segment)::int FROM nfrec.artwork_prior p WHERE p.segment <> '*'),
           (SELECT count(DISTINCT s.title_id) FROM nfrec.artwork_stats s);
END
$fn$;
COMMENT ON FUNCTION fit_artwork(regclass, regclass, regclass) IS
    'count artwork impressions and plays per taste segment (dominant genre of the user''s plays; ''*'' = everybody), title and artwork into nfrec.artwork_stats and nfrec.artwork_prior, replacing the stored fit';
REVOKE EXECUTE ON FUNCTION fit_artwork(regclass, regclass, regclass) FROM PUBLIC;

CREATE FUNCTION pick_artwork(user_id bigint, title_ids bigint[], seed bigint DEFAULT 0,
                             events regclass DEFAULT 'viewing_events'::text::regclass,
                             titles regclass DEFAULT 'content_metadata'::text::regclass,
                             prior_strength float8 DEFAULT 20)
    RETURNS TABLE(title_id bigint, artwork_id int)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    COST 1000 ROWS 10
AS $fn$
DECLARE
    seg text;
BEGIN
    IF pick_artwork.user_id IS NULL OR title_ids IS NULL OR seed IS NULL OR prior_strength IS NULL THEN
        RAISE EXCEPTION 'user_id, title_ids, seed and prior_strength must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF array_position(title_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'title_ids must not contain nulls' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT (prior_strength >= 0 AND prior_strength < 'infinity'::float8) THEN
        RAISE EXCEPTION 'prior_strength must be a non-negative finite number'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF cardinality(title_ids) = 0 THEN
        RETURN;
    END IF;
    -- no fit: every artwork is NULL (the caller shows its default)
    IF NOT EXISTS (SELECT 1 FROM nfrec.artwork_fit) THEN
        RETURN QUERY SELECT t.id, NULL::int FROM unnest(title_ids) WITH ORDINALITY t(id, o) ORDER BY t.o;
        RETURN;
    END IF;
    EXECUTE format($q$
        SELECT t.genres[1] FROM %1$s e JOIN %2$s t ON t.title_id = e.title_id
        WHERE e.user_id = $1 AND e.event_type = 'play' AND t.genres[1] IS NOT NULL
        GROUP BY t.genres[1] ORDER BY count(*) DESC, t.genres[1] COLLATE "C" LIMIT 1
    $q$, events, titles) INTO seg USING pick_artwork.user_id;
    IF seg IS NULL OR NOT EXISTS (SELECT 1 FROM nfrec.artwork_prior p WHERE p.segment = seg) THEN
        seg := '*';
    END IF;
    RETURN QUERY
    WITH req AS (SELECT t.id, t.o FROM unnest(title_ids) WITH ORDINALITY t(id, o)),
    arms AS (
        -- the artworks of each title (seen by anybody), with the segment's counts
        SELECT a.title_id, a.artwork_id,
               coalesce(s.played, 0) AS played, coalesce(s.shown, 0) - coalesce(s.played, 0) AS missed,
               (p.played + 1)::float8 / (p.shown + 2) AS rate
        FROM nfrec.artwork_stats a
        LEFT JOIN nfrec.artwork_stats s
          ON s.segment = seg AND s.title_id = a.title_id AND s.artwork_id = a.artwork_id
        LEFT JOIN nfrec.artwork_prior p ON p.segment = seg AND p.artwork_id = a.artwork_id
        WHERE a.segment = '*' AND a.title_id IN (SELECT DISTINCT r.id FROM req r)),
    pick AS (
        SELECT g.title_id,
               (g.ids)[nfrec.thompson_pick(g.succ, g.fail, g.pa, g.pb,
                                           seed => (('x' || substr(md5(format('%s/%s/%s', seed, pick_artwork.user_id, g.title_id)), 1, 15))::bit(60)::bigint))] AS artwork_id
        FROM (SELECT x.title_id, array_agg(x.artwork_id ORDER BY x.artwork_id) AS ids,
                     array_agg(x.played ORDER BY x.artwork_id) AS succ,
                     array_agg(x.missed ORDER BY x.artwork_id) AS fail,
                     array_agg(1 + prior_strength * coalesce(x.rate, 0.5) ORDER BY x.artwork_id) AS pa,
                     array_agg(1 + prior_strength * (1 - coalesce(x.rate, 0.5)) ORDER BY x.artwork_id) AS pb
              FROM arms x GROUP BY x.title_id) g)
    SELECT r.id, k.artwork_id FROM req r LEFT JOIN pick k ON k.title_id = r.id ORDER BY r.o;
END
$fn$;
COMMENT ON FUNCTION pick_artwork(bigint, bigint[], bigint, regclass, regclass, float8) IS
    'one artwork per title for a user by Thompson sampling: Beta(1 + s x rate + played, 1 + s x (1 - rate) + not played) per artwork in the user''s taste segment (dominant genre of their plays), rate = the segment''s play rate of that artwork over all titles, s = prior_strength; repeatable for a seed; NULL artwork without a fit (nfrec.fit_artwork) or for a title never shown';
