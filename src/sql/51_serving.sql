
-- ---------------------------------------------------------------------
-- Serving
-- ---------------------------------------------------------------------
--
-- model => NULL means the setting nfrec.model, or else the most recently
-- deployed model.  These functions read the registry and the bound events
-- relation with the caller's privileges, all in the calling statement's
-- snapshot.

CREATE FUNCTION recommend_for(user_id bigint, n int DEFAULT 10, model text DEFAULT NULL)
RETURNS TABLE(rank int, title_id bigint, score real)
    AS 'MODULE_PATHNAME', 'recommend_for'
    LANGUAGE C STABLE PARALLEL RESTRICTED COST 1000 ROWS 10;
COMMENT ON FUNCTION recommend_for(bigint, int, text) IS
    'top-n titles for a user (score desc, title_id asc), never one the user has in training or in the bound events; users with new events are folded in; users with no events get the most popular titles (score = training users of the title); NULL user gives no rows';

CREATE FUNCTION similar_titles(title_id bigint, n int DEFAULT 10, model text DEFAULT NULL)
RETURNS TABLE(rank int, title_id bigint, score real)
    AS 'MODULE_PATHNAME', 'similar_titles'
    LANGUAGE C STABLE PARALLEL SAFE COST 1000 ROWS 10;
COMMENT ON FUNCTION similar_titles(bigint, int, text) IS
    'the n titles with the highest cosine similarity of factors (score desc, title_id asc), the title itself excluded; no rows for a title the model does not know';

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

CREATE FUNCTION user_factors(model text DEFAULT NULL)
RETURNS TABLE(user_id bigint, factors real[])
LANGUAGE sql STABLE PARALLEL SAFE COST 1000 ROWS 100000
AS $$
    SELECT u.user_id, u.factors
      FROM nfrec.model_users u
     WHERE u.version = nfrec.model_version($1)
     ORDER BY u.user_id
$$;
COMMENT ON FUNCTION user_factors(text) IS
    'user factors of a deployed model as trained (no fold-in), one row per user in user_id order';
