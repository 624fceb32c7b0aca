
-- ---------------------------------------------------------------------
-- Serving
-- ---------------------------------------------------------------------
--
-- model => NULL means the setting nfrec.model, or else the registry's
-- default model (nfrec.set_default).  All reads happen in the calling
-- statement's snapshot.
--
-- Rights: the C serving functions read the registry (model_store,
-- model_users) as the owner of nfrec.model_store, switching the user id
-- only around those fixed, fully qualified queries, and read the bound
-- events relation as the caller, so GRANTs and row-level security on it
-- apply to the caller.  A role therefore serves without any privilege on
-- the registry tables, which hold every user's history; EXECUTE on these
-- functions is revoked from PUBLIC and granted by nfrec.grant_serving(role).
-- What EXECUTE reveals by design: recommend_for(u) leaves out the titles u
-- has watched, and user_vector(u) returns u's factors (doc/security.md).

CREATE FUNCTION recommend_for(user_id bigint, n int DEFAULT 10, model text DEFAULT NULL,
                              candidates bigint[] DEFAULT NULL, diversity real DEFAULT 0,
                              at timestamptz DEFAULT NULL, device text DEFAULT NULL)
RETURNS TABLE(rank int, title_id bigint, score real)
    AS 'MODULE_PATHNAME', 'recommend_for'
    LANGUAGE C STABLE PARALLEL RESTRICTED COST 1000 ROWS 10;
COMMENT ON FUNCTION recommend_for(bigint, int, text, bigint[], real, timestamptz, text) IS
    'top-n titles for a user (score desc, title_id asc), never one the user has in training or in the bound events; users with new events are folded in; users with no events get the most popular titles; score is a preference on one 0..1 scale: predicted for users with a vector (trained or folded in, as user_vector reports), the share of training users who have the title for cold-start users; NULL user gives no rows; candidates (when not NULL) limits the ranking to those titles (NULL elements and unknown ids ignored, duplicates once, empty array: no rows); diversity in [0, 1] re-ranks the best titles to calibrate the genre mix of the list to the user''s (Steck 2018; genres from content_metadata on the search_path, read with the caller''s rights; 0 = off); at and device (NULL = unknown) re-rank the best max(10 n, 100) titles as context_rerank does with the fitted context affinities (score x exp(affinity) of the cell of the day part of at and device, a missing or unknown device using the day part''s margin; score then is that adjusted score), before diversity; no fit or no context changes nothing; an infinite at is an error (22023, as in homepage)';

CREATE FUNCTION similar_titles(title_id bigint, n int DEFAULT 10, model text DEFAULT NULL,
                               min_support int DEFAULT 5)
RETURNS TABLE(rank int, title_id bigint, score real)
    AS 'MODULE_PATHNAME', 'similar_titles'
    LANGUAGE C STABLE PARALLEL SAFE COST 1000 ROWS 10;
COMMENT ON FUNCTION similar_titles(bigint, int, text, int) IS
    'the n titles most similar to a title (score desc, title_id asc): the cosine of factors blended with co-occurrence, (1 - w) cos + w s(a,b) / s_max(a), s the co-occurrence score of the neighbour lists deploy stores and w the setting nfrec.cooccurrence_weight (default 0.5; models without lists, such as EASE models and factors imported without events: the cosine, or for EASE the row of B); the title itself and titles with fewer than min_support training users excluded (no support filter for factors imported without events); no rows for a title the model does not know';

CREATE FUNCTION user_vector(user_id bigint, model text DEFAULT NULL,
                            OUT source text, OUT factors real[])
    AS 'MODULE_PATHNAME', 'user_vector'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION user_vector(bigint, text) IS
    'the vector recommend_for would use for a user and where it comes from: trained, folded_in (re-solved from current events) or cold_start (no vector)';

CREATE FUNCTION item_factors(model text DEFAULT NULL)
RETURNS TABLE(title_id bigint, factors real[])
    AS 'MODULE_PATHNAME', 'item_factors'
    LANGUAGE C STABLE PARALLEL SAFE COST 1000 ROWS 10000;
COMMENT ON FUNCTION item_factors(text) IS
    'title factors of a deployed model, one row per title in title_id order';

CREATE FUNCTION model_version(model text DEFAULT NULL)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'model_version'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION model_version(text) IS
    'current version of a deployed model (NULL: the default model); error 42704 if there is none';

-- user_factors is an export for analysts, not a serving function: it runs
-- with the caller's rights and needs SELECT on nfrec.model_users.
CREATE FUNCTION user_factors(model text DEFAULT NULL)
RETURNS TABLE(user_id bigint, factors real[])
LANGUAGE sql STABLE PARALLEL SAFE COST 1000 ROWS 100000
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.user_id, u.factors
      FROM nfrec.model_users u
     WHERE u.version = nfrec.model_version($1)
     ORDER BY u.user_id
$$;
COMMENT ON FUNCTION user_factors(text) IS
    'user factors of a deployed model as trained (no fold-in), one row per user in user_id order; reads nfrec.model_users with the caller''s rights';

CREATE FUNCTION homepage(user_id bigint, rows int DEFAULT 8, per_row int DEFAULT 10,
                         at timestamptz DEFAULT now(), device text DEFAULT NULL,
                         model text DEFAULT NULL, diversity real DEFAULT 0.85)
RETURNS TABLE(row_rank int, row_kind text, row_label text, anchor_title_id bigint,
              rank int, title_id bigint, score real, reason text, artwork_id int)
    AS 'MODULE_PATHNAME', 'homepage'
    LANGUAGE C STABLE PARALLEL RESTRICTED COST 5000 ROWS 80;
COMMENT ON FUNCTION homepage(bigint, int, int, timestamptz, text, text, real) IS
    'a personalized page of up to rows rows of up to per_row titles: continue_watching (started, not finished: watch_pct below 90, last played within 28 days before at; always first), top_picks (genre-calibrated by diversity, at most half of the row from one first genre), because_you_watched (one row per anchor title), trending (in the user''s country when known), new_releases (launched in the 90 days up to at) and genre rows, ordered by the user''s engagement with each kind (doc/serve.md); no title twice, no finished title, started titles only in continue_watching; an unknown or NULL user gets a cold-start page; reads viewing_events and content_metadata on the search_path with the caller''s rights; at drives the continue-watching horizon and the trending and new-release windows; at and device (NULL = unknown) re-rank every row with the fitted context affinities as context_rerank does (scores are the adjusted ones; no fit: no change); titles added by deploy_cold_titles (options.cold_titles) and launched in the new-release window are kept for new_releases, with a reason that says they are new (launch_date from content_metadata); artwork_id is the Thompson pick of pick_artwork for the user''s segment, seeded by user_id and the date of at (NULL without an artwork fit)';

REVOKE EXECUTE ON FUNCTION homepage(bigint, int, int, timestamptz, text, text, real) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION recommend_for(bigint, int, text, bigint[], real, timestamptz, text), similar_titles(bigint, int, text, int),
    user_vector(bigint, text), item_factors(text), model_version(text) FROM PUBLIC;

CREATE FUNCTION grant_serving(role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (pg_catalog.has_schema_privilege('nfrec', 'USAGE WITH GRANT OPTION')
            AND pg_catalog.has_function_privilege('nfrec.recommend_for(bigint, int, text, bigint[], real, timestamptz, text)',
                                                  'EXECUTE WITH GRANT OPTION')) THEN
        RAISE EXCEPTION 'permission denied to grant serving'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Run nfrec.grant_serving as the owner of the extension or a superuser.';
    END IF;
    -- regrole's output is a quoted identifier
    EXECUTE format('GRANT USAGE ON SCHEMA nfrec TO %s', role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION nfrec.recommend_for(bigint, int, text, bigint[], real, timestamptz, text),'
                   ' nfrec.homepage(bigint, int, int, timestamptz, text, text, real),'
                   ' nfrec.similar_titles(bigint, int, text, int), nfrec.user_vector(bigint, text),'
                   ' nfrec.item_factors(text), nfrec.model_version(text) TO %s', role);
END
$$;
COMMENT ON FUNCTION grant_serving(regrole) IS
    'let a role serve deployed models: USAGE on schema nfrec and EXECUTE on recommend_for, homepage, similar_titles, user_vector, item_factors and model_version, which read the registry as its owner; no privilege on any table (a bound events relation is read with the role''s own rights)';

-- grant_serving and grant_dashboards both grant USAGE on the schema; revoking
-- one of them must not take the schema away from the other.  Privileges held
-- through membership count (has_*_privilege): such a role keeps USAGE through
-- the same membership anyway.
CREATE FUNCTION _release_schema_usage(role regrole)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.has_function_privilege(role::oid,
           'nfrec.recommend_for(bigint, int, text, bigint[], real, timestamptz, text)', 'EXECUTE')
       OR EXISTS (SELECT 1 FROM pg_catalog.unnest(nfrec._dashboard_relations(NULL)) AS r(rel)
                   WHERE pg_catalog.has_table_privilege(role::oid, r.rel, 'SELECT')) THEN
        RETURN false;
    END IF;
    EXECUTE pg_catalog.format('REVOKE USAGE ON SCHEMA nfrec FROM %s', role);
    RETURN true;
END
$$;
COMMENT ON FUNCTION _release_schema_usage(regrole) IS
    'internal (revoke_serving, revoke_dashboards): revoke USAGE on schema nfrec from role unless it may still serve (EXECUTE on recommend_for) or read a dashboard view; true if revoked';

CREATE FUNCTION revoke_serving(role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (pg_catalog.has_schema_privilege('nfrec', 'USAGE WITH GRANT OPTION')
            AND pg_catalog.has_function_privilege('nfrec.recommend_for(bigint, int, text, bigint[], real, timestamptz, text)',
                                                  'EXECUTE WITH GRANT OPTION')) THEN
        RAISE EXCEPTION 'permission denied to revoke serving'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Run nfrec.revoke_serving as the owner of the extension or a superuser.';
    END IF;
    EXECUTE format('REVOKE EXECUTE ON FUNCTION nfrec.recommend_for(bigint, int, text, bigint[], real, timestamptz, text),'
                   ' nfrec.homepage(bigint, int, int, timestamptz, text, text, real),'
                   ' nfrec.similar_titles(bigint, int, text, int), nfrec.user_vector(bigint, text),'
                   ' nfrec.item_factors(text), nfrec.model_version(text) FROM %s', role);
    PERFORM nfrec._release_schema_usage(role);
END
$$;
COMMENT ON FUNCTION revoke_serving(regrole) IS
    'undo nfrec.grant_serving: revoke EXECUTE on the serving functions, and USAGE on schema nfrec unless the role can still read a dashboard view (grant_dashboards)';
