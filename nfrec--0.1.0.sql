-- nfrec: recommendation and engagement analytics inside PostgreSQL.
--
-- This install script is assembled from src/sql/*.sql, one file per
-- feature, in file-name order.  Every object carries a COMMENT ON.

\echo Use "CREATE EXTENSION nfrec" to load this file. \quit

-- ---------------------------------------------------------------------
-- Dense vectors
-- ---------------------------------------------------------------------

CREATE FUNCTION cosine_sim(a real[], b real[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'cosine_sim_float4'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cosine_sim(real[], real[]) IS
    'cosine similarity of two dense vectors of equal length; NULL if either is the zero vector';

CREATE FUNCTION cosine_sim(a float8[], b float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'cosine_sim_float8'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cosine_sim(float8[], float8[]) IS
    'cosine similarity of two dense vectors of equal length; NULL if either is the zero vector';

-- ---------------------------------------------------------------------
-- Demo data
-- ---------------------------------------------------------------------
--
-- nfrec.generate_demo(users, titles, ...) creates the canonical tables
-- (content_metadata, viewing_events, subscriptions), the interactions
-- view and two ground-truth tables in the current schema and fills them
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
                  popularity float8, quality real)
    AS 'MODULE_PATHNAME', 'demo_titles'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 1000 ROWS 1000;
COMMENT ON FUNCTION _demo_titles(int, int, bigint, date, int) IS
    'internal: the demo catalog (content_metadata columns plus ground truth); use nfrec.generate_demo';

CREATE FUNCTION _demo_users(n_users int, n_titles int, n_days int, seed bigint, end_date date,
                            n_communities int, activity_scale float8)
    RETURNS TABLE(user_id bigint, signup_date date, cancel_date date, plan text,
                  monthly_price numeric, country text, communities int[],
                  community_weights real[], activity real, churn_prone boolean,
                  decline_start date, rescued_by bigint, attributed_to bigint,
                  cancel_reason text)
    AS 'MODULE_PATHNAME', 'demo_users'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 100000 ROWS 10000;
COMMENT ON FUNCTION _demo_users(int, int, int, bigint, date, int, float8) IS
    'internal: the demo subscribers (subscriptions columns plus ground truth); use nfrec.generate_demo';

CREATE FUNCTION _demo_events(n_users int, n_titles int, n_days int, seed bigint, end_date date,
                             n_communities int, activity_scale float8)
    RETURNS TABLE(event_id bigint, user_id bigint, title_id bigint, started_at timestamptz,
                  watch_seconds int, watch_pct real, device text, country text,
                  event_type text)
    AS 'MODULE_PATHNAME', 'demo_events'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 1000000 ROWS 1000000;
COMMENT ON FUNCTION _demo_events(int, int, int, bigint, date, int, float8) IS
    'internal: the demo viewing events, streamed one user at a time; use nfrec.generate_demo';

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
                              communities int DEFAULT NULL, replace boolean DEFAULT false)
    RETURNS demo_summary
    LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
    sch name := current_schema();
    t0 timestamptz := clock_timestamp();
    rel record;
    n_events bigint;
    res nfrec.demo_summary;
BEGIN
    IF users IS NULL OR titles IS NULL OR days IS NULL OR seed IS NULL
       OR end_date IS NULL OR activity IS NULL OR replace IS NULL THEN
        RAISE EXCEPTION 'arguments of nfrec.generate_demo must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Only communities may be NULL: then it is chosen from the number of titles.';
    END IF;
    IF users < 1 THEN
        RAISE EXCEPTION 'users must be at least 1' USING ERRCODE = 'invalid_parameter_value';
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
    IF NOT (end_date BETWEEN date '1900-01-01' AND date '9000-01-01') THEN
        RAISE EXCEPTION 'end_date must be between 1900-01-01 and 9000-01-01'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF sch IS NULL THEN
        RAISE EXCEPTION 'no schema has been selected to create in'
            USING ERRCODE = 'invalid_schema_name';
    END IF;

    -- the demo's relations must not exist, unless asked to replace them
    FOR rel IN
        SELECT c.relname, c.relkind
        FROM pg_catalog.pg_class c
        WHERE c.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = sch)
          AND c.relname IN ('interactions', 'viewing_events', 'subscriptions', 'content_metadata',
                            'demo_title_truth', 'demo_user_truth')
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
            planted text, popularity float8 NOT NULL, quality real NOT NULL);
        CREATE TABLE %1$I.demo_user_truth (
            user_id bigint NOT NULL, communities int[] NOT NULL, community_weights real[] NOT NULL,
            activity real NOT NULL, churn_prone boolean NOT NULL, decline_start date,
            rescued_by bigint, attributed_to bigint, cancel_reason text)
    $q$, sch);

    EXECUTE format($q$
        WITH t AS MATERIALIZED (SELECT * FROM nfrec._demo_titles($1, $2, $3, $4, $5)),
        m AS (
            INSERT INTO %1$I.content_metadata
            SELECT title_id, title, content_type, genres, description, release_year,
                   primary_language, maturity_rating, runtime_minutes, episodes,
                   launch_date, production_cost
            FROM t)
        INSERT INTO %1$I.demo_title_truth
        SELECT title_id, community, community_name, planted, popularity, quality FROM t
    $q$, sch) USING titles, days, seed::bigint, end_date, coalesce(communities, 0);

    EXECUTE format($q$
        WITH u AS MATERIALIZED (SELECT * FROM nfrec._demo_users($1, $2, $3, $4, $5, $6, $7)),
        s AS (
            INSERT INTO %1$I.subscriptions
            SELECT user_id, signup_date, cancel_date, plan, monthly_price, country FROM u)
        INSERT INTO %1$I.demo_user_truth
        SELECT user_id, communities, community_weights, activity, churn_prone, decline_start,
               rescued_by, attributed_to, cancel_reason
        FROM u
    $q$, sch) USING users, titles, days, seed::bigint, end_date, coalesce(communities, 0), activity;

    -- the events stream from a target-list SRF (no tuplestore in between)
    EXECUTE format($q$
        INSERT INTO %1$I.viewing_events
        SELECT (e).event_id, (e).user_id, (e).title_id, (e).started_at, (e).watch_seconds,
               (e).watch_pct, (e).device, (e).country, (e).event_type
        FROM (SELECT nfrec._demo_events($1, $2, $3, $4, $5, $6, $7) AS e OFFSET 0) s
    $q$, sch) USING users, titles, days, seed::bigint, end_date, coalesce(communities, 0), activity;
    GET DIAGNOSTICS n_events = ROW_COUNT;

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
        CREATE VIEW %1$I.interactions AS
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
        COMMENT ON VIEW %1$I.interactions IS
            'implicit feedback for nfrec.als_train: plays per (user, title), weight = full-title equivalents watched (sum of watch_pct / 100)';
        ANALYZE %1$I.content_metadata;
        ANALYZE %1$I.viewing_events;
        ANALYZE %1$I.subscriptions;
        ANALYZE %1$I.demo_title_truth;
        ANALYZE %1$I.demo_user_truth
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
COMMENT ON FUNCTION generate_demo(int, int, int, int, date, float8, int, boolean) IS
    'create and fill the demo tables content_metadata, viewing_events, subscriptions (plus the interactions view and demo_*_truth tables) in the current schema, deterministically for a seed';

-- ---------------------------------------------------------------------
-- Sparse term-weight vectors: nfrec.termvec
-- ---------------------------------------------------------------------
-- Text form is a JSON object of term -> weight, e.g.
--   '{"action":0.5,"heist":0.8}'::nfrec.termvec
-- Terms are stored once, sorted in byte order (COLLATE "C"); weights are
-- float4 and never zero (zeros are dropped).  NORMALIZE is an SQL keyword:
-- call nfrec.normalize(v) schema-qualified.

CREATE TYPE termvec;

CREATE FUNCTION termvec_in(cstring) RETURNS termvec
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION termvec_out(termvec) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION termvec_recv(internal) RETURNS termvec
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION termvec_send(termvec) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- STORAGE extended (the default): the term text compresses well in large
-- profile vectors; typical 40-term vectors stay inline anyway.
CREATE TYPE termvec (
    INPUT = termvec_in,
    OUTPUT = termvec_out,
    RECEIVE = termvec_recv,
    SEND = termvec_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE termvec IS
    'sparse term-weight vector (e.g. TF-IDF); text form {"term":weight,...}, castable to and from jsonb';
COMMENT ON FUNCTION termvec_in(cstring) IS 'input function of nfrec.termvec ({"term":weight,...})';
COMMENT ON FUNCTION termvec_out(termvec) IS 'output function of nfrec.termvec ({"term":weight,...}, terms in byte order)';
COMMENT ON FUNCTION termvec_recv(internal) IS 'binary input function of nfrec.termvec (validated)';
COMMENT ON FUNCTION termvec_send(termvec) IS 'binary output function of nfrec.termvec';

-- jsonb casts -----------------------------------------------------------

CREATE FUNCTION termvec_to_jsonb(v termvec) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION termvec_to_jsonb(termvec) IS
    'the vector as a jsonb object {"term": weight, ...}';
CREATE FUNCTION jsonb_to_termvec(j jsonb) RETURNS termvec
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION jsonb_to_termvec(jsonb) IS
    'a jsonb object {"term": weight, ...} as a termvec; weights must be finite numbers, zeros are dropped';

CREATE CAST (termvec AS jsonb) WITH FUNCTION termvec_to_jsonb(termvec);
CREATE CAST (jsonb AS termvec) WITH FUNCTION jsonb_to_termvec(jsonb);
COMMENT ON CAST (termvec AS jsonb) IS 'a termvec as the jsonb object {"term": weight, ...}';
COMMENT ON CAST (jsonb AS termvec) IS 'a jsonb object {"term": weight, ...} as a termvec';

-- similarity, norms -----------------------------------------------------

CREATE FUNCTION cosine_sim(a termvec, b termvec) RETURNS float8
    AS 'MODULE_PATHNAME', 'cosine_sim_termvec'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cosine_sim(termvec, termvec) IS
    'cosine similarity of two term vectors (merge-join over their sorted terms); NULL if either is the zero vector';

CREATE FUNCTION norm(v termvec) RETURNS float8
    AS 'MODULE_PATHNAME', 'termvec_norm_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION norm(termvec) IS 'Euclidean (L2) norm of a term vector';

CREATE FUNCTION term_count(v termvec) RETURNS int
    AS 'MODULE_PATHNAME', 'termvec_term_count'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION term_count(termvec) IS 'number of terms (non-zero weights) in a term vector';

CREATE FUNCTION "normalize"(v termvec) RETURNS termvec
    AS 'MODULE_PATHNAME', 'termvec_normalize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION "normalize"(termvec) IS
    'the vector scaled to unit L2 norm; the zero vector stays zero';

-- inspection ------------------------------------------------------------

CREATE FUNCTION terms(v termvec) RETURNS TABLE(term text, weight float8)
    AS 'MODULE_PATHNAME', 'termvec_terms'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10 ROWS 50;
COMMENT ON FUNCTION terms(termvec) IS
    'the terms and weights of a vector, in byte order of the terms';

CREATE FUNCTION top_terms(v termvec, n int DEFAULT 10) RETURNS TABLE(term text, weight float8)
    AS 'MODULE_PATHNAME', 'termvec_top_terms'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10 ROWS 10;
COMMENT ON FUNCTION top_terms(termvec, int) IS
    'the n terms with the largest weights, largest first (ties in term order)';

CREATE FUNCTION shared_terms(a termvec, b termvec)
    RETURNS TABLE(term text, weight_a float8, weight_b float8, contribution float8)
    AS 'MODULE_PATHNAME', 'termvec_shared_terms'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10 ROWS 10;
COMMENT ON FUNCTION shared_terms(termvec, termvec) IS
    'terms two vectors share, with each term''s contribution weight_a*weight_b/(|a||b|) to their cosine (contributions sum to cosine_sim(a, b)); largest contribution first';

-- arithmetic and equality -----------------------------------------------

CREATE FUNCTION termvec_add(a termvec, b termvec) RETURNS termvec
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION termvec_add(termvec, termvec) IS 'sum of two term vectors (implements +)';
CREATE FUNCTION termvec_sub(a termvec, b termvec) RETURNS termvec
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION termvec_sub(termvec, termvec) IS 'difference of two term vectors (implements -)';
CREATE FUNCTION termvec_mul(v termvec, s float8) RETURNS termvec
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION termvec_mul(termvec, float8) IS 'term vector times a scalar (implements *)';
CREATE FUNCTION float8_mul_termvec(s float8, v termvec) RETURNS termvec
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION float8_mul_termvec(float8, termvec) IS 'scalar times a term vector (implements *)';
CREATE FUNCTION termvec_eq(a termvec, b termvec) RETURNS bool
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION termvec_eq(termvec, termvec) IS 'same terms with the same float4 weights (implements =)';
CREATE FUNCTION termvec_ne(a termvec, b termvec) RETURNS bool
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION termvec_ne(termvec, termvec) IS 'not termvec_eq (implements <>)';

CREATE OPERATOR + (LEFTARG = termvec, RIGHTARG = termvec, FUNCTION = termvec_add, COMMUTATOR = +);
COMMENT ON OPERATOR + (termvec, termvec) IS 'sum of two term vectors';
CREATE OPERATOR - (LEFTARG = termvec, RIGHTARG = termvec, FUNCTION = termvec_sub);
COMMENT ON OPERATOR - (termvec, termvec) IS 'difference of two term vectors';
CREATE OPERATOR * (LEFTARG = termvec, RIGHTARG = float8, FUNCTION = termvec_mul, COMMUTATOR = *);
COMMENT ON OPERATOR * (termvec, float8) IS 'term vector times a scalar';
CREATE OPERATOR * (LEFTARG = float8, RIGHTARG = termvec, FUNCTION = float8_mul_termvec, COMMUTATOR = *);
COMMENT ON OPERATOR * (float8, termvec) IS 'scalar times a term vector';
CREATE OPERATOR = (LEFTARG = termvec, RIGHTARG = termvec, FUNCTION = termvec_eq,
                   COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel);
COMMENT ON OPERATOR = (termvec, termvec) IS 'same terms with the same weights';
CREATE OPERATOR <> (LEFTARG = termvec, RIGHTARG = termvec, FUNCTION = termvec_ne,
                    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
COMMENT ON OPERATOR <> (termvec, termvec) IS 'different terms or weights';

-- sum / avg aggregates (a user's content profile) -----------------------

CREATE FUNCTION termvec_accum(state internal, v termvec) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION termvec_accum(internal, termvec) IS 'transition function of nfrec.sum/avg(termvec)';
CREATE FUNCTION termvec_accum_combine(a internal, b internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION termvec_accum_combine(internal, internal) IS 'combine function of nfrec.sum/avg(termvec)';
CREATE FUNCTION termvec_accum_serialize(state internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION termvec_accum_serialize(internal) IS 'serialization function of nfrec.sum/avg(termvec)';
CREATE FUNCTION termvec_accum_deserialize(state bytea, dummy internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION termvec_accum_deserialize(bytea, internal) IS 'deserialization function of nfrec.sum/avg(termvec)';
CREATE FUNCTION termvec_sum_final(state internal) RETURNS termvec
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION termvec_sum_final(internal) IS 'final function of nfrec.sum(termvec)';
CREATE FUNCTION termvec_avg_final(state internal) RETURNS termvec
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION termvec_avg_final(internal) IS 'final function of nfrec.avg(termvec)';

CREATE AGGREGATE sum(termvec) (
    SFUNC = termvec_accum,
    STYPE = internal,
    FINALFUNC = termvec_sum_final,
    COMBINEFUNC = termvec_accum_combine,
    SERIALFUNC = termvec_accum_serialize,
    DESERIALFUNC = termvec_accum_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE sum(termvec) IS
    'term-wise sum of term vectors (NULLs ignored; NULL if there are none)';

CREATE AGGREGATE avg(termvec) (
    SFUNC = termvec_accum,
    STYPE = internal,
    FINALFUNC = termvec_avg_final,
    COMBINEFUNC = termvec_accum_combine,
    SERIALFUNC = termvec_accum_serialize,
    DESERIALFUNC = termvec_accum_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE avg(termvec) IS
    'term-wise mean of term vectors, e.g. a user''s content profile from the titles they watched (NULLs ignored; a term missing from a vector counts as 0)';

-- all-pairs "more like this" --------------------------------------------

CREATE FUNCTION similar_by_terms(
        catalog regclass,
        n int DEFAULT 10,
        id_column name DEFAULT 'title_id',
        vector_column name DEFAULT 'tfidf',
        for_ids bigint[] DEFAULT NULL,
        threads int DEFAULT 1)
    RETURNS TABLE(title_id bigint, rank int, similar_id bigint, score float8)
    AS 'MODULE_PATHNAME', 'similar_by_terms'
    LANGUAGE C STABLE PARALLEL RESTRICTED COST 100000 ROWS 100000;
COMMENT ON FUNCTION similar_by_terms(regclass, int, name, name, bigint[], int) IS
    'for every row of catalog (or those whose id is in for_ids), the n other rows with the highest cosine similarity of their termvecs (ties: smaller id first; only rows sharing a term); reads catalog with the caller''s privileges, via an inverted index';

-- ---------------------------------------------------------------------
-- TF-IDF: nfrec.tfidf_vec, nfrec.tfidf_fit
-- ---------------------------------------------------------------------
-- Weighting equals scikit-learn's TfidfVectorizer defaults: raw counts
-- times smooth idf ln((1+N)/(1+df))+1, then L2 normalization.  N counts
-- the non-NULL documents of the corpus (a window partition, or the rows a
-- vocabulary was fitted on).  Text is tokenized by PostgreSQL text search
-- (parser + dictionaries of a regconfig, default 'simple'); text[] tokens
-- are used exactly as given (NULL and '' elements skipped).  COST 100 on
-- the text forms: tokenizing costs about what to_tsvector does.

-- tokenizing ---------------------------------------------------------------

CREATE FUNCTION lexemes(document text, config regconfig DEFAULT 'simple') RETURNS text[]
    AS 'MODULE_PATHNAME', 'tfidf_lexemes'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION lexemes(text, regconfig) IS
    'the lexemes of a document in text order, one per occurrence, as tfidf_vec counts them (text search parser and dictionaries of config)';

-- window form: the corpus is the window partition -------------------------

CREATE FUNCTION tfidf_vec(document text) RETURNS termvec
    AS 'MODULE_PATHNAME', 'tfidf_vec_window'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE COST 100;
COMMENT ON FUNCTION tfidf_vec(text) IS
    'window function: TF-IDF vector of each document against the documents of its partition, tokenized with text search configuration simple; NULL documents give NULL and are not counted';

CREATE FUNCTION tfidf_vec(document text, config regconfig) RETURNS termvec
    AS 'MODULE_PATHNAME', 'tfidf_vec_window'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE COST 100;
COMMENT ON FUNCTION tfidf_vec(text, regconfig) IS
    'window function: TF-IDF vector of each document against the documents of its partition, tokenized with the given text search configuration (e.g. english: stemming and stop words)';

-- Takes the configuration by name, so that tfidf_vec(doc, 'english') with
-- a literal resolves to the window form rather than tfidf_vec(text, jsonb).
CREATE FUNCTION tfidf_vec(document text, config text) RETURNS termvec
    AS 'MODULE_PATHNAME', 'tfidf_vec_window'
    LANGUAGE C WINDOW STABLE PARALLEL SAFE COST 100;
COMMENT ON FUNCTION tfidf_vec(text, text) IS
    'window function: as tfidf_vec(text, regconfig), with the configuration given by name';

CREATE FUNCTION tfidf_vec(tokens text[]) RETURNS termvec
    AS 'MODULE_PATHNAME', 'tfidf_vec_window_tokens'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE COST 10;
COMMENT ON FUNCTION tfidf_vec(text[]) IS
    'window function: TF-IDF vector of each token array against the arrays of its partition; tokens used exactly as given, NULL and empty elements skipped';

-- fitted form: a vocabulary from an aggregate, applied to new text ------------

CREATE FUNCTION tfidf_fit_trans(state internal, document text) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tfidf_fit_trans(internal, text) IS 'transition function of nfrec.tfidf_fit(text)';
CREATE FUNCTION tfidf_fit_trans(state internal, document text, config regconfig) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tfidf_fit_trans(internal, text, regconfig) IS 'transition function of nfrec.tfidf_fit(text, regconfig)';
CREATE FUNCTION tfidf_fit_tokens_trans(state internal, tokens text[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tfidf_fit_tokens_trans(internal, text[]) IS 'transition function of nfrec.tfidf_fit(text[])';
CREATE FUNCTION tfidf_fit_combine(a internal, b internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tfidf_fit_combine(internal, internal) IS 'combine function of nfrec.tfidf_fit';
CREATE FUNCTION tfidf_fit_serialize(state internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tfidf_fit_serialize(internal) IS 'serialization function of nfrec.tfidf_fit';
CREATE FUNCTION tfidf_fit_deserialize(state bytea, dummy internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tfidf_fit_deserialize(bytea, internal) IS 'deserialization function of nfrec.tfidf_fit';
-- STABLE: the configuration is written by name, as search_path shows it
CREATE FUNCTION tfidf_fit_final(state internal) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION tfidf_fit_final(internal) IS 'final function of nfrec.tfidf_fit';

CREATE AGGREGATE tfidf_fit(document text) (
    SFUNC = tfidf_fit_trans, STYPE = internal, FINALFUNC = tfidf_fit_final,
    COMBINEFUNC = tfidf_fit_combine,
    SERIALFUNC = tfidf_fit_serialize, DESERIALFUNC = tfidf_fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE tfidf_fit(text) IS
    'TF-IDF vocabulary of a corpus tokenized with configuration simple: jsonb {"config", "n_docs", "doc_freq": {term: df}}; NULL documents are skipped';

CREATE AGGREGATE tfidf_fit(document text, config regconfig) (
    SFUNC = tfidf_fit_trans, STYPE = internal, FINALFUNC = tfidf_fit_final,
    COMBINEFUNC = tfidf_fit_combine,
    SERIALFUNC = tfidf_fit_serialize, DESERIALFUNC = tfidf_fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE tfidf_fit(text, regconfig) IS
    'TF-IDF vocabulary of a corpus tokenized with the given configuration: jsonb {"config", "n_docs", "doc_freq": {term: df}}; NULL documents are skipped';

CREATE AGGREGATE tfidf_fit(tokens text[]) (
    SFUNC = tfidf_fit_tokens_trans, STYPE = internal, FINALFUNC = tfidf_fit_final,
    COMBINEFUNC = tfidf_fit_combine,
    SERIALFUNC = tfidf_fit_serialize, DESERIALFUNC = tfidf_fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE tfidf_fit(text[]) IS
    'TF-IDF vocabulary of a corpus of token arrays ("config": null); NULL arrays are skipped';

CREATE FUNCTION tfidf_vec(document text, vocabulary jsonb) RETURNS termvec
    AS 'MODULE_PATHNAME', 'tfidf_vec_vocab'
    LANGUAGE C STABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION tfidf_vec(text, jsonb) IS
    'TF-IDF vector of a new document against a vocabulary from nfrec.tfidf_fit, tokenized with the vocabulary''s configuration; unknown terms are dropped';

CREATE FUNCTION tfidf_vec(tokens text[], vocabulary jsonb) RETURNS termvec
    AS 'MODULE_PATHNAME', 'tfidf_vec_vocab_tokens'
    LANGUAGE C STABLE STRICT PARALLEL SAFE COST 10;
COMMENT ON FUNCTION tfidf_vec(text[], jsonb) IS
    'TF-IDF vector of a token array against a vocabulary from nfrec.tfidf_fit; unknown terms are dropped';

-- ---------------------------------------------------------------------
-- ALS model values
-- ---------------------------------------------------------------------

CREATE TYPE als_model;

CREATE FUNCTION als_model_in(cstring) RETURNS als_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION als_model_out(als_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION als_model_recv(internal) RETURNS als_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION als_model_send(als_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE als_model (
    INPUT = als_model_in,
    OUTPUT = als_model_out,
    RECEIVE = als_model_recv,
    SEND = als_model_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = external
);
COMMENT ON TYPE als_model IS
    'a trained implicit-feedback ALS model: ids, training events, user and title factors (text form: hex bytes)';
COMMENT ON FUNCTION als_model_in(cstring) IS 'input function of nfrec.als_model (hex bytes, validated)';
COMMENT ON FUNCTION als_model_out(als_model) IS 'output function of nfrec.als_model (hex bytes)';
COMMENT ON FUNCTION als_model_recv(internal) IS 'binary input function of nfrec.als_model (validated)';
COMMENT ON FUNCTION als_model_send(als_model) IS 'binary output function of nfrec.als_model';

CREATE FUNCTION model_info(model als_model) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'als_model_info'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION model_info(als_model) IS
    'summary of an ALS model: users, titles, events, factors, iterations, loss, options';

-- ---------------------------------------------------------------------
-- ALS training: nfrec.als_train(user_id, item_id, weight [, options])
-- ---------------------------------------------------------------------

CREATE FUNCTION _als_train_trans(state internal, user_id bigint, item_id bigint, weight float8)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'als_train_trans'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_trans(internal, bigint, bigint, float8) IS
    'transition function of nfrec.als_train: collects one (user, item, weight) row; rows with a NULL are counted and skipped';

CREATE FUNCTION _als_train_trans(state internal, user_id bigint, item_id bigint, weight float8, options jsonb)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'als_train_trans'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_trans(internal, bigint, bigint, float8, jsonb) IS
    'transition function of nfrec.als_train with options: collects one row; options must be the same on every row';

CREATE FUNCTION _als_train_combine(state1 internal, state2 internal)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'als_train_combine'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_combine(internal, internal) IS
    'combine function of nfrec.als_train: concatenates two partial states (parallel query)';

CREATE FUNCTION _als_train_serialize(state internal)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'als_train_serialize'
    LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_serialize(internal) IS
    'serialization function of nfrec.als_train: partial state to bytea (parallel query)';

CREATE FUNCTION _als_train_deserialize(bytes bytea, dummy internal)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'als_train_deserialize'
    LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_deserialize(bytea, internal) IS
    'deserialization function of nfrec.als_train: bytea to partial state (parallel query)';

CREATE FUNCTION _als_train_final(state internal)
    RETURNS als_model
    AS 'MODULE_PATHNAME', 'als_train_final'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION _als_train_final(internal) IS
    'final function of nfrec.als_train: canonicalizes the rows and trains the model';

CREATE AGGREGATE als_train(user_id bigint, item_id bigint, weight float8) (
    SFUNC = _als_train_trans,
    STYPE = internal,
    FINALFUNC = _als_train_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = _als_train_combine,
    SERIALFUNC = _als_train_serialize,
    DESERIALFUNC = _als_train_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE als_train(bigint, bigint, float8) IS
    'train an implicit-feedback ALS model (Hu, Koren & Volinsky 2008) with the default options; weight > 0: confidence 1 + alpha*weight, weight < 0: a dislike; duplicate pairs are summed, rows with a NULL skipped';

CREATE AGGREGATE als_train(user_id bigint, item_id bigint, weight float8, options jsonb) (
    SFUNC = _als_train_trans,
    STYPE = internal,
    FINALFUNC = _als_train_final,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = _als_train_combine,
    SERIALFUNC = _als_train_serialize,
    DESERIALFUNC = _als_train_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE als_train(bigint, bigint, float8, jsonb) IS
    'train an implicit-feedback ALS model; options (defaults): factors 64, iterations 15, regularization 0.1, alpha 1, solver "cg" | "cholesky", cg_steps 3, seed 0, threads (CPUs), regularization_scaling "none" | "frequency", verbose true';

CREATE FUNCTION _als_factors(model als_model, side text)
    RETURNS TABLE(id bigint, factors real[])
    AS 'MODULE_PATHNAME', 'als_factors_rows'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    COST 10 ROWS 10000;
COMMENT ON FUNCTION _als_factors(als_model, text) IS
    'internal (for tests): the factors of a model''s users (side ''user'') or items (side ''item''), one row per id in ascending order';

-- ---------------------------------------------------------------------
-- Model registry
-- ---------------------------------------------------------------------
--
-- A deployed model is one row of model_store (header and the title side:
-- ids, popularity, factors as a titles x factors real[]) plus one row per
-- user in model_users (factors and training events), so serving reads the
-- title side once per backend and a single user by primary key.  Only the
-- current version of each name is kept; deploy replaces it in one
-- transaction, so concurrent readers see the old or the new version,
-- never a mix.  Both tables and the version sequence are extension
-- configuration: pg_dump dumps their rows.

CREATE FUNCTION als_model_from_factors(
    user_ids bigint[],
    user_factors real[],
    title_ids bigint[],
    title_factors real[],
    event_user_ids bigint[] DEFAULT NULL,
    event_title_ids bigint[] DEFAULT NULL,
    event_weights real[] DEFAULT NULL,
    alpha float8 DEFAULT 40,
    regularization float8 DEFAULT 0.1,
    regularization_scaling text DEFAULT 'none')
RETURNS als_model
    AS 'MODULE_PATHNAME', 'als_model_from_factors'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION als_model_from_factors(bigint[], real[], bigint[], real[], bigint[], bigint[], real[], float8, float8, text) IS
    'build a model value from factors trained elsewhere: factor matrices have one row per id (users x factors, titles x factors); optional training events (summed per user and title) drive exclusion and popularity; alpha, regularization and regularization_scaling (none, or frequency: lambda times the user''s number of titles, as in ALS-WR and als_train) are used by fold-in';

CREATE SEQUENCE model_version_seq;
COMMENT ON SEQUENCE model_version_seq IS 'versions of deployed models (increasing across all names)';

CREATE TABLE model_store (
    version         bigint PRIMARY KEY DEFAULT nextval('nfrec.model_version_seq'),
    name            text NOT NULL UNIQUE CHECK (name <> ''),
    deployed_at     timestamptz NOT NULL DEFAULT now(),
    events          regclass,
    factors         int NOT NULL,
    users           int NOT NULL,
    titles          int NOT NULL,
    training_events bigint NOT NULL,
    iterations      int NOT NULL,
    alpha           float8 NOT NULL,
    regularization  float8 NOT NULL,
    loss            float8,
    train_seconds   float8,
    options         jsonb NOT NULL,
    title_ids       bigint[] NOT NULL,
    title_counts    real[] NOT NULL,
    title_factors   real[] NOT NULL,
    trained_at      timestamptz
);
-- float factors do not compress: store them out of line uncompressed
ALTER TABLE model_store ALTER COLUMN title_factors SET STORAGE EXTERNAL;
COMMENT ON TABLE model_store IS
    'deployed models, one row per name (current version): header and title side; written by nfrec.deploy';

CREATE TABLE model_users (
    version   bigint NOT NULL,
    user_id   bigint NOT NULL,
    factors   real[] NOT NULL,
    title_ids bigint[] NOT NULL,
    weights   real[] NOT NULL,
    PRIMARY KEY (version, user_id)
);
COMMENT ON TABLE model_users IS
    'users of deployed models: factors and training events (titles, summed weights); written by nfrec.deploy';

SELECT pg_catalog.pg_extension_config_dump('nfrec.model_store', '');
SELECT pg_catalog.pg_extension_config_dump('nfrec.model_users', '');
SELECT pg_catalog.pg_extension_config_dump('nfrec.model_version_seq', '');

CREATE FUNCTION _model_store_row(model als_model,
    OUT factors int, OUT users int, OUT titles int, OUT training_events bigint,
    OUT iterations int, OUT alpha float8, OUT regularization float8,
    OUT loss float8, OUT train_seconds float8, OUT options jsonb,
    OUT title_ids bigint[], OUT title_counts real[], OUT title_factors real[],
    OUT trained_at timestamptz)
    AS 'MODULE_PATHNAME', 'model_store_row'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _model_store_row(als_model) IS
    'internal (used by deploy): header and title side of a model as a model_store row';

CREATE FUNCTION _model_user_rows(model als_model)
RETURNS TABLE(user_id bigint, factors real[], title_ids bigint[], weights real[])
    AS 'MODULE_PATHNAME', 'model_user_rows'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000 ROWS 100000;
COMMENT ON FUNCTION _model_user_rows(als_model) IS
    'internal (used by deploy): one model_users row per user of a model';

-- Check that a relation has integer user_id and title_id columns (and a
-- numeric weight when with_weight); clear errors otherwise.
CREATE FUNCTION _check_interactions(rel regclass, with_weight bool DEFAULT true)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    col text;
    typ regtype;
    ok regtype[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                   WHERE c.oid = rel AND c.relkind IN ('r', 'v', 'm', 'f', 'p')) THEN
        RAISE EXCEPTION '% is not a table or view', rel
            USING ERRCODE = 'wrong_object_type';
    END IF;
    FOREACH col IN ARRAY CASE WHEN with_weight THEN ARRAY['user_id', 'title_id', 'weight']
                              ELSE ARRAY['user_id', 'title_id'] END
    LOOP
        SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END::regtype
          INTO typ
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'column "%" does not exist in relation %', col, rel
                USING ERRCODE = 'undefined_column',
                      HINT = CASE WHEN with_weight
                                  THEN 'The relation needs columns user_id, title_id (integers) and weight (a number).'
                                  ELSE 'The relation needs columns user_id and title_id (integers).' END;
        END IF;
        ok := CASE WHEN col = 'weight'
                   THEN ARRAY['smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric']::regtype[]
                   ELSE ARRAY['smallint', 'integer', 'bigint']::regtype[] END;
        IF typ <> ALL (ok) THEN
            RAISE EXCEPTION 'column "%" of relation % has type %, expected %', col, rel, typ,
                CASE WHEN col = 'weight' THEN 'a number' ELSE 'an integer type' END
                USING ERRCODE = 'datatype_mismatch';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION _check_interactions(regclass, bool) IS
    'internal: error unless the relation has integer user_id, title_id (and numeric weight) columns';

CREATE FUNCTION deploy(name text, model als_model, events regclass DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    new_version bigint;
BEGIN
    IF deploy.name IS NULL OR deploy.model IS NULL THEN
        RAISE EXCEPTION 'model name and model must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF deploy.name = '' THEN
        RAISE EXCEPTION 'model name must not be empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF deploy.events IS NOT NULL THEN
        PERFORM nfrec._check_interactions(deploy.events, true);
    END IF;

    -- one deployment at a time; readers are never blocked
    LOCK TABLE nfrec.model_store IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM nfrec.model_users u
     USING nfrec.model_store s
     WHERE s.name = deploy.name AND u.version = s.version;
    DELETE FROM nfrec.model_store s WHERE s.name = deploy.name;

    INSERT INTO nfrec.model_store AS s
           (name, events, factors, users, titles, training_events, iterations,
            alpha, regularization, loss, train_seconds, options,
            title_ids, title_counts, title_factors, trained_at)
    SELECT deploy.name, deploy.events, r.*
      FROM nfrec._model_store_row(deploy.model) r
    RETURNING s.version INTO new_version;

    INSERT INTO nfrec.model_users (version, user_id, factors, title_ids, weights)
    SELECT new_version, r.* FROM nfrec._model_user_rows(deploy.model) r;
    RETURN new_version;
END
$$;
COMMENT ON FUNCTION deploy(text, als_model, regclass) IS
    'store a model under a name (replacing the previous version atomically) and return its version; events: optional table or view (user_id, title_id, weight) that serving reads for events after training';

CREATE FUNCTION drop_model(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
AS $$
DECLARE
    old_version bigint;
BEGIN
    LOCK TABLE nfrec.model_store IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM nfrec.model_store s WHERE s.name = drop_model.name
    RETURNING s.version INTO old_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist', drop_model.name
            USING ERRCODE = 'undefined_object';
    END IF;
    DELETE FROM nfrec.model_users u WHERE u.version = old_version;
END
$$;
COMMENT ON FUNCTION drop_model(text) IS 'remove a deployed model';

CREATE VIEW models AS
SELECT s.name,
       s.version,
       s.users,
       s.titles,
       s.training_events AS events,
       s.factors,
       s.iterations,
       s.alpha,
       s.regularization,
       s.options,
       s.trained_at,
       s.deployed_at,
       s.train_seconds,
       s.loss AS final_loss,
       s.events AS events_relation,
       s.name = coalesce(nullif(current_setting('nfrec.model', true), ''),
                         (SELECT l.name FROM nfrec.model_store l ORDER BY l.version DESC LIMIT 1))
           AS is_default
  FROM nfrec.model_store s;
COMMENT ON VIEW models IS
    'deployed models: size, training options and figures, bound events relation, and which one serving uses by default';

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

-- ---------------------------------------------------------------------
-- Evaluation metrics
-- ---------------------------------------------------------------------
--
-- Definitions (libraries disagree; see doc/serve.md): a relevant title is
-- credited once, at its first position in the list; precision divides by
-- k; recall by the number of relevant titles; ndcg uses binary gains,
-- 1/log2(rank+1) discounts and the ideal DCG over min(k, |relevant|);
-- AP@k = (1/min(k, |relevant|)) * sum of precision@i at each hit i <= k.
-- With no relevant titles recall, ndcg and AP are NULL and precision is 0.

CREATE FUNCTION precision_at_k(recommended bigint[], relevant bigint[], k int)
RETURNS float8
    AS 'MODULE_PATHNAME', 'precision_at_k'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION precision_at_k(bigint[], bigint[], int) IS
    'relevant titles among the first k recommended, divided by k';

CREATE FUNCTION recall_at_k(recommended bigint[], relevant bigint[], k int)
RETURNS float8
    AS 'MODULE_PATHNAME', 'recall_at_k'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION recall_at_k(bigint[], bigint[], int) IS
    'relevant titles among the first k recommended, divided by the number of relevant titles (NULL if there are none)';

CREATE FUNCTION ndcg_at_k(recommended bigint[], relevant bigint[], k int)
RETURNS float8
    AS 'MODULE_PATHNAME', 'ndcg_at_k'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ndcg_at_k(bigint[], bigint[], int) IS
    'normalized discounted cumulative gain at k: binary gains, 1/log2(rank+1) discount, ideal DCG over min(k, |relevant|) (NULL if no relevant titles)';

CREATE FUNCTION average_precision_at_k(recommended bigint[], relevant bigint[], k int)
RETURNS float8
    AS 'MODULE_PATHNAME', 'average_precision_at_k'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION average_precision_at_k(bigint[], bigint[], int) IS
    'average precision at k: sum of precision@i over hits i <= k, divided by min(k, |relevant|) (NULL if no relevant titles); its mean over users is MAP@k';

-- catalog coverage and effective catalog size

CREATE FUNCTION _tally_add(internal, bigint) RETURNS internal
    AS 'MODULE_PATHNAME', 'tally_add' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tally_add_weighted(internal, bigint, float8) RETURNS internal
    AS 'MODULE_PATHNAME', 'tally_add_weighted' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tally_add_coverage(internal, bigint, bigint) RETURNS internal
    AS 'MODULE_PATHNAME', 'tally_add_coverage' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tally_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'tally_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tally_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'tally_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _tally_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'tally_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _tally_coverage_final(internal) RETURNS float8
    AS 'MODULE_PATHNAME', 'tally_coverage_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tally_ecs_final(internal) RETURNS float8
    AS 'MODULE_PATHNAME', 'tally_ecs_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _tally_add(internal, bigint) IS 'internal: transition function of effective_catalog_size(title_id)';
COMMENT ON FUNCTION _tally_add_weighted(internal, bigint, float8) IS 'internal: transition function of effective_catalog_size(title_id, plays)';
COMMENT ON FUNCTION _tally_add_coverage(internal, bigint, bigint) IS 'internal: transition function of catalog_coverage';
COMMENT ON FUNCTION _tally_combine(internal, internal) IS 'internal: combine function of the catalog aggregates';
COMMENT ON FUNCTION _tally_serialize(internal) IS 'internal: serialize function of the catalog aggregates';
COMMENT ON FUNCTION _tally_deserialize(bytea, internal) IS 'internal: deserialize function of the catalog aggregates';
COMMENT ON FUNCTION _tally_coverage_final(internal) IS 'internal: final function of catalog_coverage';
COMMENT ON FUNCTION _tally_ecs_final(internal) IS 'internal: final function of effective_catalog_size';

CREATE AGGREGATE catalog_coverage(title_id bigint, catalog_size bigint) (
    SFUNC = _tally_add_coverage,
    STYPE = internal,
    FINALFUNC = _tally_coverage_final,
    COMBINEFUNC = _tally_combine,
    SERIALFUNC = _tally_serialize,
    DESERIALFUNC = _tally_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE catalog_coverage(bigint, bigint) IS
    'share of the catalog that appears at least once: distinct non-null title_ids / catalog_size (the largest non-null catalog_size given)';

CREATE AGGREGATE effective_catalog_size(title_id bigint) (
    SFUNC = _tally_add,
    STYPE = internal,
    FINALFUNC = _tally_ecs_final,
    COMBINEFUNC = _tally_combine,
    SERIALFUNC = _tally_serialize,
    DESERIALFUNC = _tally_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE effective_catalog_size(bigint) IS
    'effective catalog size (Gomez-Uribe & Hunt 2015) of plays, one row per play: 2 * sum_i i * p_i - 1, p_i the share of the i-th most played title; 1 = one title takes every play, N = plays spread evenly over N titles';

CREATE AGGREGATE effective_catalog_size(title_id bigint, plays float8) (
    SFUNC = _tally_add_weighted,
    STYPE = internal,
    FINALFUNC = _tally_ecs_final,
    COMBINEFUNC = _tally_combine,
    SERIALFUNC = _tally_serialize,
    DESERIALFUNC = _tally_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE effective_catalog_size(bigint, float8) IS
    'effective catalog size (Gomez-Uribe & Hunt 2015) with a weight per row (plays, hours): 2 * sum_i i * p_i - 1 over titles ranked by total weight';

-- train/test split

CREATE FUNCTION holdout(user_id bigint, title_id bigint, fraction float8 DEFAULT 0.2, seed bigint DEFAULT 0)
RETURNS bool
    AS 'MODULE_PATHNAME', 'holdout'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION holdout(bigint, bigint, float8, bigint) IS
    'true for about a fraction of (user, title) pairs, decided by a hash of (user_id, title_id, seed): deterministic, independent of row order, nested (test at 0.1 implies test at 0.2); use it to split interactions into train (false) and test (true)';

-- one-call evaluation

CREATE FUNCTION evaluate(model text, test regclass, k int DEFAULT 10,
    OUT users bigint, OUT cold_users bigint,
    OUT "precision" float8, OUT recall float8, OUT ndcg float8, OUT map float8, OUT coverage float8,
    OUT pop_precision float8, OUT pop_recall float8, OUT pop_ndcg float8, OUT pop_map float8, OUT pop_coverage float8)
    AS 'MODULE_PATHNAME', 'evaluate_deployed'
    LANGUAGE C STABLE PARALLEL RESTRICTED COST 100000;
COMMENT ON FUNCTION evaluate(text, regclass, int) IS
    'ranking quality at k of a deployed model (NULL: the default) on a test relation (user_id, title_id), next to a most-popular baseline; excludes training titles only (the bound events relation is ignored); metrics are means over test users';

CREATE FUNCTION evaluate(model als_model, test regclass, k int DEFAULT 10,
    OUT users bigint, OUT cold_users bigint,
    OUT "precision" float8, OUT recall float8, OUT ndcg float8, OUT map float8, OUT coverage float8,
    OUT pop_precision float8, OUT pop_recall float8, OUT pop_ndcg float8, OUT pop_map float8, OUT pop_coverage float8)
    AS 'MODULE_PATHNAME', 'evaluate_value'
    LANGUAGE C STABLE PARALLEL RESTRICTED COST 100000;
COMMENT ON FUNCTION evaluate(als_model, regclass, int) IS
    'ranking quality at k of a model value (not deployed) on a test relation (user_id, title_id), next to a most-popular baseline; metrics are means over test users';

-- ---------------------------------------------------------------------
-- Hyper-parameter tuning
-- ---------------------------------------------------------------------

CREATE FUNCTION als_tune(
    train regclass,
    validation regclass,
    grid jsonb DEFAULT '{"factors": [32, 64], "alpha": [1, 5, 20], "regularization": [0.01, 0.1]}',
    k int DEFAULT 10,
    base_options jsonb DEFAULT '{}',
    metric text DEFAULT 'ndcg')
RETURNS TABLE(options jsonb, "precision" float8, recall float8, ndcg float8, map float8,
              coverage float8, train_seconds float8, is_best bool)
LANGUAGE plpgsql VOLATILE COST 1000000 ROWS 12
AS $$
#variable_conflict use_column
DECLARE
    combos jsonb[];
    opts jsonb;
    m nfrec.als_model;
    e record;
    t0 timestamptz;
    res_options jsonb[] := '{}';
    res_metrics float8[] := '{}';      -- 5 per configuration
    res_seconds float8[] := '{}';
    best int := 0;
    best_value float8;
    value float8;
    i int;
    n int;
BEGIN
    IF grid IS NULL OR jsonb_typeof(grid) <> 'object' THEN
        RAISE EXCEPTION 'grid must be a JSON object of option name to array of values'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example {"factors": [32, 64], "alpha": [10, 40]}.';
    END IF;
    IF base_options IS NULL OR jsonb_typeof(base_options) <> 'object' THEN
        RAISE EXCEPTION 'base_options must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF metric IS NULL OR metric NOT IN ('precision', 'recall', 'ndcg', 'map') THEN
        RAISE EXCEPTION 'metric must be one of precision, recall, ndcg, map'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF k IS NULL OR k < 1 THEN
        RAISE EXCEPTION 'k must be at least 1'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_each(grid) g
                WHERE jsonb_typeof(g.value) = 'array' AND jsonb_array_length(g.value) = 0) THEN
        RAISE EXCEPTION 'every grid entry needs at least one value'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM nfrec._check_interactions(train, true);
    PERFORM nfrec._check_interactions(validation, false);

    -- the cartesian product of the grid, in a stable order
    WITH RECURSIVE keys AS (
        SELECT g.key, g.value, row_number() OVER (ORDER BY g.key) AS i FROM jsonb_each(grid) g
    ), c(i, o) AS (
        SELECT 0::bigint, '{}'::jsonb
        UNION ALL
        SELECT c.i + 1, c.o || jsonb_build_object(keys.key, v.value)
          FROM c JOIN keys ON keys.i = c.i + 1
         CROSS JOIN LATERAL jsonb_array_elements(
               CASE jsonb_typeof(keys.value) WHEN 'array' THEN keys.value
                    ELSE jsonb_build_array(keys.value) END) WITH ORDINALITY AS v(value, ord)
    )
    SELECT array_agg(c.o ORDER BY c.o) INTO combos
      FROM c WHERE c.i = (SELECT count(*) FROM keys);
    n := cardinality(combos);

    FOR i IN 1 .. n LOOP
        opts := base_options || combos[i];
        t0 := clock_timestamp();
        EXECUTE format('SELECT nfrec.als_train(user_id, title_id, weight, $1) FROM %s', train)
           INTO m USING opts;
        res_seconds := res_seconds || extract(epoch FROM clock_timestamp() - t0)::float8;
        SELECT * INTO e FROM nfrec.evaluate(m, validation, k);
        res_options := res_options || opts;
        res_metrics := res_metrics || ARRAY[e.precision, e.recall, e.ndcg, e.map, e.coverage];
        value := CASE metric WHEN 'precision' THEN e.precision WHEN 'recall' THEN e.recall
                             WHEN 'ndcg' THEN e.ndcg ELSE e.map END;
        IF value IS NOT NULL AND (best = 0 OR value > best_value) THEN
            best := i;
            best_value := value;
        END IF;
        RAISE NOTICE 'als_tune: configuration %/% %: %@% = %', i, n, opts, metric, k,
            coalesce(round(value::numeric, 4)::text, 'n/a');
    END LOOP;

    RETURN QUERY
    SELECT res_options[j], res_metrics[5 * j - 4], res_metrics[5 * j - 3], res_metrics[5 * j - 2],
           res_metrics[5 * j - 1], res_metrics[5 * j], res_seconds[j], j = best
      FROM generate_series(1, n) AS j;
END
$$;
COMMENT ON FUNCTION als_tune(regclass, regclass, jsonb, int, jsonb, text) IS
    'grid search: train nfrec.als_train on train (user_id, title_id, weight) for every combination of the grid (merged over base_options), evaluate each on validation (user_id, title_id) at k, and mark the best by metric (ndcg, map, recall or precision)';

-- ---------------------------------------------------------------------
-- Statistics: distributions, experiments, bandits, logistic regression,
-- AUC, k-means
-- ---------------------------------------------------------------------

-- Distributions -------------------------------------------------------

CREATE FUNCTION normal_cdf(x float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'normal_cdf'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION normal_cdf(float8) IS
    'standard normal cumulative distribution function Phi(x) = erfc(-x/sqrt 2)/2';

CREATE FUNCTION normal_quantile(p float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'normal_quantile'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION normal_quantile(float8) IS
    'inverse standard normal CDF (Wichura AS 241); 0 and 1 give -Infinity and Infinity, p outside [0,1] is an error';

CREATE FUNCTION t_cdf(t float8, df float8) RETURNS float8
    AS 'MODULE_PATHNAME', 't_cdf'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION t_cdf(float8, float8) IS
    'Student t cumulative distribution function P(T <= t) with df > 0 degrees of freedom (fractional df allowed, Infinity = normal)';

CREATE FUNCTION t_quantile(p float8, df float8) RETURNS float8
    AS 'MODULE_PATHNAME', 't_quantile'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION t_quantile(float8, float8) IS
    'inverse Student t CDF: the t with P(T <= t) = p, for df > 0 degrees of freedom';

-- A/B tests -----------------------------------------------------------

CREATE FUNCTION ab_test(successes_a bigint, n_a bigint, successes_b bigint, n_b bigint,
                        confidence float8 DEFAULT 0.95,
                        OUT rate_a float8, OUT rate_b float8, OUT diff float8, OUT lift float8,
                        OUT z float8, OUT p_value float8, OUT ci_low float8, OUT ci_high float8)
    RETURNS record
    AS 'MODULE_PATHNAME', 'ab_test'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ab_test(bigint, bigint, bigint, bigint, float8) IS
    'two-sided two-proportion z-test of B against A: diff = rate_b - rate_a, lift = diff / rate_a (NULL if rate_a = 0), z with the pooled standard error (NULL, and p_value NULL, when both arms are all 0 or all 1), Wald interval of diff with the unpooled standard error at the given confidence';

CREATE FUNCTION sample_size(baseline float8, mde float8, alpha float8 DEFAULT 0.05,
                            power float8 DEFAULT 0.8) RETURNS bigint
    AS 'MODULE_PATHNAME', 'sample_size'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sample_size(float8, float8, float8, float8) IS
    'users per arm for a two-sided two-proportion test to detect rate baseline + mde against baseline: ceil((z_{1-alpha/2} sqrt(2 pbar (1-pbar)) + z_{power} sqrt(p1 (1-p1) + p2 (1-p2)))^2 / mde^2), p1 = baseline, p2 = baseline + mde, pbar = (p1 + p2)/2 (as R power.prop.test)';

CREATE FUNCTION welch_ttest_accum(state float8[], value float8, treatment bool)
    RETURNS float8[]
    AS 'MODULE_PATHNAME', 'welch_ttest_accum'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION welch_ttest_accum(float8[], float8, bool) IS
    'transition function of welch_ttest (count, mean, sum of squared deviations per group)';
CREATE FUNCTION welch_ttest_accum(state float8[], value float8, treatment bool, confidence float8)
    RETURNS float8[]
    AS 'MODULE_PATHNAME', 'welch_ttest_accum'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION welch_ttest_accum(float8[], float8, bool, float8) IS
    'transition function of welch_ttest with a confidence level';
CREATE FUNCTION welch_ttest_combine(float8[], float8[]) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'welch_ttest_combine'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION welch_ttest_combine(float8[], float8[]) IS
    'combine function of welch_ttest (Chan et al. pairwise update)';
CREATE FUNCTION welch_ttest_final(float8[]) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'welch_ttest_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION welch_ttest_final(float8[]) IS
    'final function of welch_ttest';

CREATE AGGREGATE welch_ttest(value float8, treatment bool) (
    SFUNC = welch_ttest_accum,
    STYPE = float8[],
    INITCOND = '{0,0,0,0,0,0,NaN}',
    COMBINEFUNC = welch_ttest_combine,
    FINALFUNC = welch_ttest_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE welch_ttest(float8, bool) IS
    'Welch two-sample t-test of value, treatment (true) minus control (false): jsonb with n_control, n_treatment, mean_control, mean_treatment, var_control, var_treatment, diff, se, t, df (Welch-Satterthwaite), p_value (two-sided), ci_low, ci_high (95%), confidence; rows with a NULL value or group are skipped; statistics are null while a group has fewer than 2 values; NULL for no rows';

CREATE AGGREGATE welch_ttest(value float8, treatment bool, confidence float8) (
    SFUNC = welch_ttest_accum,
    STYPE = float8[],
    INITCOND = '{0,0,0,0,0,0,NaN}',
    COMBINEFUNC = welch_ttest_combine,
    FINALFUNC = welch_ttest_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE welch_ttest(float8, bool, float8) IS
    'Welch two-sample t-test with the confidence level of the interval (the same in every row; NULL means 0.95)';

-- Bandits --------------------------------------------------------------

CREATE FUNCTION thompson_pick(successes bigint[], failures bigint[],
                              prior_alpha float8[] DEFAULT NULL, prior_beta float8[] DEFAULT NULL,
                              seed bigint DEFAULT NULL) RETURNS int
    AS 'MODULE_PATHNAME', 'thompson_pick'
    LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION thompson_pick(bigint[], bigint[], float8[], float8[], bigint) IS
    'Thompson sampling: 1-based index of the arm whose draw from Beta(prior_alpha + successes, prior_beta + failures) is highest; priors default to Beta(1,1); with a seed the pick is reproducible, without one it is random per call; NULL if successes or failures is NULL';

-- Logistic regression -------------------------------------------------------

CREATE FUNCTION logreg_train_accum(internal, label bool, features float8[])
    RETURNS internal
    AS 'MODULE_PATHNAME', 'logreg_train_accum'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION logreg_train_accum(internal, bool, float8[]) IS
    'transition function of logreg_train (keeps the rows)';
CREATE FUNCTION logreg_train_accum(internal, label bool, features float8[], options jsonb)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'logreg_train_accum'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION logreg_train_accum(internal, bool, float8[], jsonb) IS
    'transition function of logreg_train with options (keeps the rows)';
CREATE FUNCTION logreg_train_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'logreg_train_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION logreg_train_combine(internal, internal) IS
    'combine function of logreg_train';
CREATE FUNCTION logreg_train_serial(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'logreg_train_serial'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION logreg_train_serial(internal) IS
    'serialization function of logreg_train';
CREATE FUNCTION logreg_train_deserial(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'logreg_train_deserial'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION logreg_train_deserial(bytea, internal) IS
    'deserialization function of logreg_train';
CREATE FUNCTION logreg_train_final(internal) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'logreg_train_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION logreg_train_final(internal) IS
    'final function of logreg_train (Newton/IRLS fit)';

CREATE AGGREGATE logreg_train(label bool, features float8[]) (
    SFUNC = logreg_train_accum,
    STYPE = internal,
    COMBINEFUNC = logreg_train_combine,
    SERIALFUNC = logreg_train_serial,
    DESERIALFUNC = logreg_train_deserial,
    FINALFUNC = logreg_train_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE logreg_train(bool, float8[]) IS
    'logistic regression of label on features with an intercept, by Newton/IRLS: jsonb with coef (intercept first), std_err, z, p_value (Wald), log_likelihood, null_log_likelihood, aic, pseudo_r2, iterations, converged, n, n_positive, n_skipped; rows with a NULL label or features are skipped; separation, singular designs and a single label are errors';

CREATE AGGREGATE logreg_train(label bool, features float8[], options jsonb) (
    SFUNC = logreg_train_accum,
    STYPE = internal,
    COMBINEFUNC = logreg_train_combine,
    SERIALFUNC = logreg_train_serial,
    DESERIALFUNC = logreg_train_deserial,
    FINALFUNC = logreg_train_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE logreg_train(bool, float8[], jsonb) IS
    'logistic regression with options {"l2": ridge penalty on the slopes, not the intercept (default 0), "max_iter": Newton steps (25), "tol": stop when the log-likelihood changes by less than tol relative, |l_k - l_{k-1}| / (|l_k| + 0.05) (1e-10)}; with l2 > 0 std_err come from the penalized information';

CREATE FUNCTION logreg_predict(model jsonb, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'logreg_predict'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION logreg_predict(jsonb, float8[]) IS
    'probability 1 / (1 + exp(-(coef[0] + coef[1..] . features))) under a model returned by logreg_train';

-- AUC ------------------------------------------------------------------

CREATE FUNCTION auc_accum(internal, score float8, label bool) RETURNS internal
    AS 'MODULE_PATHNAME', 'auc_accum'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION auc_accum(internal, float8, bool) IS
    'transition function of auc (keeps the scores by label)';
CREATE FUNCTION auc_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'auc_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION auc_combine(internal, internal) IS
    'combine function of auc';
CREATE FUNCTION auc_serial(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'auc_serial'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auc_serial(internal) IS
    'serialization function of auc';
CREATE FUNCTION auc_deserial(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'auc_deserial'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auc_deserial(bytea, internal) IS
    'deserialization function of auc';
CREATE FUNCTION auc_final(internal) RETURNS float8
    AS 'MODULE_PATHNAME', 'auc_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION auc_final(internal) IS
    'final function of auc (Mann-Whitney count after sorting)';

CREATE AGGREGATE auc(score float8, label bool) (
    SFUNC = auc_accum,
    STYPE = internal,
    COMBINEFUNC = auc_combine,
    SERIALFUNC = auc_serial,
    DESERIALFUNC = auc_deserial,
    FINALFUNC = auc_final,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE auc(float8, bool) IS
    'area under the ROC curve: the share of (positive, negative) pairs in which the positive scores higher, tied pairs counting 1/2 (Mann-Whitney U / (n_pos n_neg)); rows with a NULL score or label are skipped; NULL unless both labels occur; NaN scores are errors';

-- k-means ------------------------------------------------------------------

CREATE FUNCTION kmeans_accum(internal, v float8[], k int) RETURNS internal
    AS 'MODULE_PATHNAME', 'kmeans_accum'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION kmeans_accum(internal, float8[], int) IS
    'transition function of kmeans (keeps the vectors)';
CREATE FUNCTION kmeans_accum(internal, v float8[], k int, options jsonb) RETURNS internal
    AS 'MODULE_PATHNAME', 'kmeans_accum'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION kmeans_accum(internal, float8[], int, jsonb) IS
    'transition function of kmeans with options (keeps the vectors)';
CREATE FUNCTION kmeans_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'kmeans_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION kmeans_combine(internal, internal) IS
    'combine function of kmeans';
CREATE FUNCTION kmeans_serial(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'kmeans_serial'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION kmeans_serial(internal) IS
    'serialization function of kmeans';
CREATE FUNCTION kmeans_deserial(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'kmeans_deserial'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION kmeans_deserial(bytea, internal) IS
    'deserialization function of kmeans';
CREATE FUNCTION kmeans_final(internal) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'kmeans_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION kmeans_final(internal) IS
    'final function of kmeans (sorts the vectors, k-means++ and Lloyd iterations)';

CREATE AGGREGATE kmeans(v float8[], k int) (
    SFUNC = kmeans_accum,
    STYPE = internal,
    COMBINEFUNC = kmeans_combine,
    SERIALFUNC = kmeans_serial,
    DESERIALFUNC = kmeans_deserial,
    FINALFUNC = kmeans_final,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE kmeans(float8[], int) IS
    'k-means of the vectors v (k-means++ start, Lloyd iterations, seed 0): the k x d centroids as a two-dimensional float8 array, rows in lexicographic order; the same rows give the same centroids whatever their order; NULL vectors are skipped; k above the number of distinct vectors is an error';

CREATE AGGREGATE kmeans(v float8[], k int, options jsonb) (
    SFUNC = kmeans_accum,
    STYPE = internal,
    COMBINEFUNC = kmeans_combine,
    SERIALFUNC = kmeans_serial,
    DESERIALFUNC = kmeans_deserial,
    FINALFUNC = kmeans_final,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE kmeans(float8[], int, jsonb) IS
    'k-means with options {"seed": bigint (0), "max_iter": Lloyd iterations (300), "tol": stop when the summed squared centroid shift <= tol x mean per-dimension variance (1e-4; 0 = until no assignment changes), "n_init": runs, the lowest inertia wins (1)}';

CREATE FUNCTION closest_centroid(v float8[], centroids float8[]) RETURNS int
    AS 'MODULE_PATHNAME', 'closest_centroid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION closest_centroid(float8[], float8[]) IS
    '1-based row of the k x d centroids array (as returned by kmeans) nearest to v in Euclidean distance; ties go to the lower row';

-- ---------------------------------------------------------------------
-- Engagement analytics over the canonical tables
-- ---------------------------------------------------------------------
--
-- These functions read the user's own tables, given as regclass
-- arguments.  Their defaults are written 'name'::text::regclass so that the
-- canonical name is looked up through the CALLER's search_path on every
-- call (a plain DEFAULT 'name' would be resolved to a fixed OID once, when
-- the extension is created, and CREATE EXTENSION would fail where the
-- table does not exist yet).  They run as the caller (SECURITY INVOKER), so
-- GRANTs and row-level security apply, and they build their queries with
-- format('%s', regclass), which quotes and schema-qualifies the name;
-- values always travel as query parameters.  The plpgsql functions have a
-- fixed search_path so that nothing the caller creates can capture an
-- operator in their queries.
--
-- Dates and times: an as_of date means the instant as_of 00:00 in the
-- session's TimeZone.  "Events before as_of" are started_at < that
-- instant; a subscriber is active at as_of when signup_date <= as_of and
-- (cancel_date IS NULL OR cancel_date > as_of).  Calendar days of events
-- are started_at::date in the session's TimeZone.

CREATE FUNCTION _check_columns(rel regclass, required text[]) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    c text;
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION 'table argument must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOREACH c IN ARRAY required LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = rel AND a.attname = c
                         AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" of relation "%" does not exist', c, rel::text
                USING ERRCODE = 'undefined_column',
                      HINT = format('nfrec needs the columns %s of this relation.',
                                    array_to_string(required, ', '));
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION _check_columns(regclass, text[]) IS
    'internal: raise 42703 unless the relation has all the named columns';

CREATE FUNCTION _check_days(what text, days int) RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF days IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF days < 1 OR days > 3660 THEN
        RAISE EXCEPTION '% must be between 1 and 3660 days, not %', what, days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$fn$;
COMMENT ON FUNCTION _check_days(text, int) IS
    'internal: raise 22004 for a NULL and 22023 for a number of days outside 1..3660';

-- ---------------------------------------------------------------------
-- Churn features
-- ---------------------------------------------------------------------

CREATE FUNCTION churn_feature_names() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY['days_since_last_play', 'active_days_recent', 'active_days_prior',
                 'watch_hours_recent', 'watch_hours_prior', 'completion_trend',
                 'abandonment_rate', 'browse_share', 'tenure_days', 'monthly_price']
$$;
COMMENT ON FUNCTION churn_feature_names() IS
    'names of the elements of the features array of churn_features, in order';

CREATE FUNCTION _churn_windows(
    days date[], vals float8[], last_play timestamptz[], old_last timestamptz,
    dates date[], window_days int, signup date, cancel date)
RETURNS TABLE(as_of date,
              active_recent float8, active_prior float8, plays_recent float8, plays_prior float8,
              secs_recent float8, secs_prior float8, pct_sum_recent float8, pct_sum_prior float8,
              pct_n_recent float8, pct_n_prior float8, abandoned_recent float8, abandoned_prior float8,
              sessions_recent float8, sessions_prior float8, browse_recent float8, browse_prior float8,
              last_play timestamptz)
    AS 'MODULE_PATHNAME', 'churn_windows'
    LANGUAGE C IMMUTABLE PARALLEL SAFE COST 10 ROWS 10;
COMMENT ON FUNCTION _churn_windows(date[], float8[], timestamptz[], timestamptz, date[], int, date, date) IS
    'internal: for one subscriber''s days of activity (days ascending; vals per day: active, plays, seconds, sum and count of watch_pct, abandoned plays, sessions, browse-only sessions), the totals over [as_of - w, as_of) and [as_of - 2w, as_of - w) and the last play before as_of, for each of the dates at which the subscriber is active';

CREATE FUNCTION churn_features_at(
    dates date[],
    window_days int DEFAULT 14,
    session_gap interval DEFAULT '30 minutes',
    abandon_pct real DEFAULT 25,
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS TABLE(as_of date, user_id bigint, plan text, country text, monthly_price numeric,
              tenure_days int, days_since_last_play float8,
              active_days_recent int, active_days_prior int,
              watch_hours_recent float8, watch_hours_prior float8,
              completion_recent float8, completion_prior float8, completion_trend float8,
              plays int, abandonment_rate float8, sessions int, browse_share float8,
              features float8[])
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED COST 10000 ROWS 10000
    SET search_path = pg_catalog, pg_temp
    SET jit = off
AS $fn$
DECLARE
    d date[];
    lo timestamptz;
    hi timestamptz;
BEGIN
    IF dates IS NULL OR array_position(dates, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'as_of dates must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF session_gap IS NULL OR abandon_pct IS NULL THEN
        RAISE EXCEPTION 'session_gap and abandon_pct must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM nfrec._check_days('window_days', window_days);
    IF session_gap <= interval '0' THEN
        RAISE EXCEPTION 'session_gap must be positive, not %', session_gap
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF abandon_pct = 'NaN' OR abandon_pct < 0 OR abandon_pct > 100 THEN
        RAISE EXCEPTION 'abandon_pct must be between 0 and 100, not %', abandon_pct
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF array_position(dates, 'infinity') IS NOT NULL OR array_position(dates, '-infinity') IS NOT NULL THEN
        RAISE EXCEPTION 'as_of dates must be finite' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM nfrec._check_columns(events,
        ARRAY['user_id', 'started_at', 'event_type', 'watch_seconds', 'watch_pct']);
    PERFORM nfrec._check_columns(subscriptions,
        ARRAY['user_id', 'signup_date', 'cancel_date', 'plan', 'monthly_price', 'country']);

    d := ARRAY(SELECT DISTINCT x FROM unnest(dates) x ORDER BY x);
    IF cardinality(d) = 0 THEN
        RETURN;
    END IF;
    lo := (d[1] - 2 * window_days)::timestamptz;
    hi := d[cardinality(d)]::timestamptz;

    -- One pass over the events of the feature windows (sessions, daily
    -- play statistics), one over the plays before them (last play); each
    -- subscriber's days then go to _churn_windows (C, running totals),
    -- which returns the windows at every date at which it is active.
    RETURN QUERY EXECUTE format($q$
    WITH ev AS (
        SELECT e.user_id::bigint AS user_id, e.started_at, e.started_at::date AS day,
               coalesce(e.event_type = 'play', false) AS is_play,
               e.watch_seconds::float8 AS secs, e.watch_pct::float8 AS pct,
               e.started_at + make_interval(secs => greatest(coalesce(e.watch_seconds, 0), 0)) AS ended_at
        FROM %1$s e
        WHERE e.started_at >= $5 AND e.started_at < $6
    ), ev1 AS (
        -- a session starts when an event begins more than session_gap after
        -- the end of everything before it on the same calendar day
        SELECT ev.*, coalesce(ev.started_at > max(ev.ended_at) OVER (
                   PARTITION BY ev.user_id, ev.day ORDER BY ev.started_at
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + $3, true) AS new_session
        FROM ev
    ), ev2 AS (
        -- a play is its session's first play when the previous play of the
        -- day came before the session started
        SELECT ev1.*,
               max(CASE WHEN ev1.new_session THEN ev1.started_at END) OVER (
                   PARTITION BY ev1.user_id, ev1.day ORDER BY ev1.started_at
                   ROWS UNBOUNDED PRECEDING) AS session_start,
               max(CASE WHEN ev1.is_play THEN ev1.started_at END) OVER (
                   PARTITION BY ev1.user_id, ev1.day ORDER BY ev1.started_at
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_play
        FROM ev1
    ), daily AS (
        SELECT ev2.user_id, ev2.day,
               count(*) FILTER (WHERE ev2.new_session) AS sessions,
               count(*) FILTER (WHERE ev2.new_session)
                 - count(*) FILTER (WHERE ev2.is_play AND (ev2.prev_play IS NULL
                                                           OR ev2.prev_play < ev2.session_start)) AS browse,
               count(*) FILTER (WHERE ev2.is_play) AS plays,
               sum(ev2.secs) FILTER (WHERE ev2.is_play) AS secs,
               sum(ev2.pct) FILTER (WHERE ev2.is_play) AS pct_sum,
               count(ev2.pct) FILTER (WHERE ev2.is_play) AS pct_n,
               count(*) FILTER (WHERE ev2.is_play AND ev2.pct < $4) AS abandoned,
               max(ev2.started_at) FILTER (WHERE ev2.is_play) AS last_ts
        FROM ev2 GROUP BY ev2.user_id, ev2.day
    ), agg AS (
        SELECT x.user_id,
               array_agg(x.day ORDER BY x.day) AS days,
               array_agg(ARRAY[(x.plays > 0)::int, x.plays, coalesce(x.secs, 0),
                               coalesce(x.pct_sum, 0), x.pct_n, x.abandoned,
                               x.sessions, x.browse]::float8[] ORDER BY x.day) AS vals,
               array_agg(x.last_ts ORDER BY x.day) AS last_play
        FROM daily x GROUP BY x.user_id
    ), old AS (
        -- the last play before the feature windows of the earliest date
        SELECT e.user_id::bigint AS user_id, max(e.started_at) AS last_ts
        FROM %1$s e
        WHERE e.event_type = 'play' AND e.started_at < $5 AND isfinite(e.started_at)
        GROUP BY e.user_id
    ), f AS (
        -- per subscriber, the windows at every date at which it is active
        SELECT w.as_of, s.user_id::bigint AS user_id, s.plan::text AS plan,
               s.country::text AS country, s.monthly_price::numeric AS monthly_price,
               (w.as_of - s.signup_date)::int AS tenure_days,
               extract(epoch FROM w.as_of::timestamptz - w.last_play)::float8 / 86400 AS dslp,
               w.active_recent::int AS active_recent, w.active_prior::int AS active_prior,
               w.secs_recent / 3600 AS hours_recent, w.secs_prior / 3600 AS hours_prior,
               w.pct_sum_recent / nullif(w.pct_n_recent, 0) AS comp_recent,
               w.pct_sum_prior / nullif(w.pct_n_prior, 0) AS comp_prior,
               (w.plays_recent + w.plays_prior)::int AS plays,
               (w.abandoned_recent + w.abandoned_prior)
                 / nullif(w.pct_n_recent + w.pct_n_prior, 0) AS abandonment,
               (w.sessions_recent + w.sessions_prior)::int AS sessions,
               (w.browse_recent + w.browse_prior)
                 / nullif(w.sessions_recent + w.sessions_prior, 0) AS browse_share
        FROM %2$s s
        LEFT JOIN agg a ON a.user_id = s.user_id
        LEFT JOIN old o ON o.user_id = s.user_id
        CROSS JOIN LATERAL nfrec._churn_windows(a.days, a.vals, a.last_play, o.last_ts,
                                                $1, $2, s.signup_date, s.cancel_date) w
        WHERE s.signup_date <= $7 AND (s.cancel_date IS NULL OR s.cancel_date > $8)
    )
    SELECT f.as_of, f.user_id, f.plan, f.country, f.monthly_price, f.tenure_days, f.dslp,
           f.active_recent, f.active_prior, f.hours_recent, f.hours_prior,
           f.comp_recent, f.comp_prior, f.comp_recent - f.comp_prior,
           f.plays, f.abandonment, f.sessions, f.browse_share,
           ARRAY[coalesce(f.dslp, f.tenure_days), f.active_recent, f.active_prior,
                 f.hours_recent, f.hours_prior, coalesce(f.comp_recent - f.comp_prior, 0),
                 coalesce(f.abandonment, 0), coalesce(f.browse_share, 0),
                 f.tenure_days, coalesce(f.monthly_price, 0)]::float8[]
    FROM f
    $q$, events, subscriptions)
    USING d, window_days, session_gap, abandon_pct::float8, lo, hi, d[cardinality(d)], d[1];
END
$fn$;
COMMENT ON FUNCTION churn_features_at(date[], int, interval, real, regclass, regclass) IS
    'churn features of every subscriber active at each of the given dates (one pass over the events); columns as churn_features plus as_of';

CREATE FUNCTION churn_features(
    as_of date,
    window_days int DEFAULT 14,
    session_gap interval DEFAULT '30 minutes',
    abandon_pct real DEFAULT 25,
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS TABLE(user_id bigint, plan text, country text, monthly_price numeric,
              tenure_days int, days_since_last_play float8,
              active_days_recent int, active_days_prior int,
              watch_hours_recent float8, watch_hours_prior float8,
              completion_recent float8, completion_prior float8, completion_trend float8,
              plays int, abandonment_rate float8, sessions int, browse_share float8,
              features float8[])
    LANGUAGE sql STABLE PARALLEL RESTRICTED COST 10000 ROWS 10000
AS $fn$
    SELECT f.user_id, f.plan, f.country, f.monthly_price, f.tenure_days, f.days_since_last_play,
           f.active_days_recent, f.active_days_prior, f.watch_hours_recent, f.watch_hours_prior,
           f.completion_recent, f.completion_prior, f.completion_trend,
           f.plays, f.abandonment_rate, f.sessions, f.browse_share, f.features
    FROM nfrec.churn_features_at(ARRAY[as_of], window_days, session_gap, abandon_pct,
                                 events, subscriptions) f
    ORDER BY f.user_id
$fn$;
COMMENT ON FUNCTION churn_features(date, int, interval, real, regclass, regclass) IS
    'one row per subscriber active at as_of (signup_date <= as_of, not cancelled by as_of) with engagement features from the events before as_of; see doc/analytics.md';

CREATE FUNCTION _churn_z(x float8[], idx int[], mean float8[], sd float8[]) RETURNS float8[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT array_agg((x[idx[k]] - mean[k]) / sd[k] ORDER BY k)
    FROM generate_subscripts(idx, 1) k
$$;
COMMENT ON FUNCTION _churn_z(float8[], int[], float8[], float8[]) IS
    'internal: the standardized elements idx of a churn feature vector';

-- ---------------------------------------------------------------------
-- Churn model and risk
-- ---------------------------------------------------------------------

CREATE FUNCTION churn_model(
    as_of date,
    horizon_days int DEFAULT 30,
    snapshots int DEFAULT 4,
    snapshot_step_days int DEFAULT 7,
    window_days int DEFAULT 14,
    session_gap interval DEFAULT '30 minutes',
    abandon_pct real DEFAULT 25,
    options jsonb DEFAULT '{}',
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS jsonb
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED COST 100000
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    dates date[];
    n_train bigint;
    pos_train bigint;
    n_hold bigint;
    pos_hold bigint;
    idx int[];
    mu float8[];
    sd float8[];
    lr jsonb;
    auc float8;
BEGIN
    IF as_of IS NULL OR snapshots IS NULL OR options IS NULL THEN
        RAISE EXCEPTION 'as_of, snapshots and options must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM nfrec._check_days('horizon_days', horizon_days);
    PERFORM nfrec._check_days('snapshot_step_days', snapshot_step_days);
    IF snapshots <= 0 OR snapshots > 1000 THEN
        RAISE EXCEPTION 'snapshots must be between 1 and 1000, not %', snapshots
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF as_of IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION 'as_of must be finite' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a jsonb object'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass logreg_train options such as ''{"l2": 1, "max_iter": 50}''.';
    END IF;
    PERFORM nfrec._check_columns(subscriptions,
        ARRAY['user_id', 'signup_date', 'cancel_date', 'plan', 'monthly_price', 'country']);

    -- Snapshot dates d with d + horizon < as_of: every label "cancelled in
    -- (d, d + horizon]" is known before as_of.
    dates := ARRAY(SELECT as_of - horizon_days - 1 - snapshot_step_days * k
                   FROM generate_series(snapshots - 1, 0, -1) k);

    -- Labels come from the subscriptions alone; check them before the
    -- expensive feature pass.  Held out: users with hashint8(user_id) % 5 = 0.
    EXECUTE format($q$
        SELECT count(*) FILTER (WHERE NOT x.h), count(*) FILTER (WHERE NOT x.h AND x.y),
               count(*) FILTER (WHERE x.h), count(*) FILTER (WHERE x.h AND x.y)
        FROM (SELECT hashint8(s.user_id::bigint) %% 5 = 0 AS h,
                     coalesce(s.cancel_date <= d + $2, false) AS y
              FROM %s s JOIN unnest($1::date[]) d
                ON s.signup_date <= d AND (s.cancel_date IS NULL OR s.cancel_date > d)) x
        $q$, subscriptions)
        INTO n_train, pos_train, n_hold, pos_hold
        USING dates, horizon_days;
    IF n_train = 0 THEN
        RAISE EXCEPTION 'no subscriber to learn from before %', to_char(as_of, 'YYYY-MM-DD')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The training snapshots %s to %s have no active subscriber outside the held-out fifth.',
                                  to_char(dates[1], 'YYYY-MM-DD'), to_char(dates[cardinality(dates)], 'YYYY-MM-DD')),
                  HINT = 'Choose a later as_of or a shorter horizon_days.';
    END IF;
    IF pos_train = 0 OR pos_train = n_train THEN
        RAISE EXCEPTION 'cannot learn churn before %: % of % training rows cancelled',
            to_char(as_of, 'YYYY-MM-DD'), pos_train, n_train
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('A label is a cancellation in the %s days after a snapshot (%s to %s); both outcomes must occur.',
                                  horizon_days, to_char(dates[1], 'YYYY-MM-DD'),
                                  to_char(dates[cardinality(dates)], 'YYYY-MM-DD')),
                  HINT = 'Choose a later as_of, more snapshots or a longer horizon_days.';
    END IF;

    EXECUTE format($q$
    WITH f AS MATERIALIZED (
        SELECT f.features,
               hashint8(f.user_id) %% 5 = 0 AS holdout,
               coalesce(s.cancel_date <= f.as_of + $2, false) AS label
        FROM nfrec.churn_features_at($1, $3, $4, $5, $6, $7) f
        JOIN %s s ON s.user_id = f.user_id
    ), st AS (
        -- standardize on the training rows; constant features are dropped
        SELECT array_agg(z.i ORDER BY z.i) AS idx,
               array_agg(z.m ORDER BY z.i) AS mu,
               array_agg(z.sd ORDER BY z.i) AS sd
        FROM (SELECT u.i::int AS i, avg(u.x) AS m, stddev_samp(u.x) AS sd
              FROM f, unnest(f.features) WITH ORDINALITY u(x, i)
              WHERE NOT f.holdout GROUP BY u.i) z
        WHERE z.sd > 1e-9 * greatest(1, abs(z.m))
    ), m AS (
        SELECT nfrec.logreg_train(f.label, nfrec._churn_z(f.features, st.idx, st.mu, st.sd), $8) AS lr
        FROM f, st WHERE NOT f.holdout AND st.idx IS NOT NULL
    ), a AS (
        SELECT nfrec.auc(nfrec.logreg_predict(m.lr, nfrec._churn_z(f.features, st.idx, st.mu, st.sd)), f.label) AS auc
        FROM f, st, m WHERE f.holdout AND $9
    )
    SELECT st.idx, st.mu, st.sd, m.lr, a.auc FROM st, m, a
    $q$, subscriptions)
        INTO idx, mu, sd, lr, auc
        USING dates, horizon_days, window_days, session_gap, abandon_pct, events, subscriptions,
              '{"l2": 1}'::jsonb || options, pos_hold > 0 AND pos_hold < n_hold;
    IF idx IS NULL THEN
        RAISE EXCEPTION 'cannot learn churn before %: every feature is constant in the training rows',
            to_char(as_of, 'YYYY-MM-DD')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    IF auc IS NULL THEN
        RAISE NOTICE 'churn model at %: % training rows (% cancelled within % days) from % snapshots %..%; held-out AUC not available (% held-out rows, % cancelled)',
            to_char(as_of, 'YYYY-MM-DD'), n_train, pos_train, horizon_days, snapshots,
            to_char(dates[1], 'YYYY-MM-DD'), to_char(dates[cardinality(dates)], 'YYYY-MM-DD'), n_hold, pos_hold;
    ELSE
        RAISE NOTICE 'churn model at %: % training rows (% cancelled within % days) from % snapshots %..%; held-out AUC % on % rows (% cancelled)',
            to_char(as_of, 'YYYY-MM-DD'), n_train, pos_train, horizon_days, snapshots,
            to_char(dates[1], 'YYYY-MM-DD'), to_char(dates[cardinality(dates)], 'YYYY-MM-DD'),
            round(auc::numeric, 3), n_hold, pos_hold;
    END IF;

    RETURN jsonb_build_object(
        'as_of', as_of,
        'horizon_days', horizon_days,
        'train_dates', to_jsonb(dates),
        'window_days', window_days,
        'session_gap', session_gap::text,
        'abandon_pct', abandon_pct,
        'features', to_jsonb(ARRAY(SELECT (nfrec.churn_feature_names())[i] FROM unnest(idx) i)),
        'feature_index', to_jsonb(idx),
        'mean', to_jsonb(mu),
        'sd', to_jsonb(sd),
        'options', '{"l2": 1}'::jsonb || options,
        'logreg', lr,
        'raw', (nfrec._churn_model_parts(jsonb_build_object('feature_index', to_jsonb(idx), 'mean', to_jsonb(mu),
                                                           'sd', to_jsonb(sd), 'logreg', lr))).raw,
        'train_rows', n_train,
        'train_cancelled', pos_train,
        'holdout_rows', n_hold,
        'holdout_cancelled', pos_hold,
        'holdout_auc', auc);
END
$fn$;
COMMENT ON FUNCTION churn_model(date, int, int, int, int, interval, real, jsonb, regclass, regclass) IS
    'logistic churn model trained on the history before as_of: standardized churn features at snapshot dates as_of - horizon_days - 1 - snapshot_step_days*k, label = cancelled within horizon_days after the snapshot, logreg_train options (l2 defaults to 1, like scikit-learn''s C = 1); reports the held-out AUC (users with hashint8(user_id) % 5 = 0) as a NOTICE';

CREATE FUNCTION _churn_model_parts(model jsonb, OUT idx int[], OUT mu float8[], OUT sd float8[],
                                   OUT lr jsonb, OUT raw jsonb)
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    b float8[];
    c float8[];
    k int;
BEGIN
    IF jsonb_typeof(model->'feature_index') IS DISTINCT FROM 'array'
       OR jsonb_typeof(model->'mean') IS DISTINCT FROM 'array'
       OR jsonb_typeof(model->'sd') IS DISTINCT FROM 'array'
       OR jsonb_typeof(model->'logreg'->'coef') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'invalid churn model'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A churn model is a jsonb object with the keys feature_index, mean, sd and logreg (with coef), as made by nfrec.churn_model.';
    END IF;
    idx := ARRAY(SELECT x::int FROM jsonb_array_elements_text(model->'feature_index') x);
    mu := ARRAY(SELECT x::float8 FROM jsonb_array_elements_text(model->'mean') x);
    sd := ARRAY(SELECT x::float8 FROM jsonb_array_elements_text(model->'sd') x);
    b := ARRAY(SELECT x::float8 FROM jsonb_array_elements_text(model->'logreg'->'coef') x);
    lr := model->'logreg';
    IF cardinality(idx) = 0 OR cardinality(mu) <> cardinality(idx) OR cardinality(sd) <> cardinality(idx)
       OR cardinality(b) <> cardinality(idx) + 1
       OR EXISTS (SELECT 1 FROM unnest(idx) i WHERE i IS NULL OR i < 1 OR i > cardinality(nfrec.churn_feature_names()))
       OR (SELECT count(DISTINCT i) FROM unnest(idx) i) <> cardinality(idx)
       OR EXISTS (SELECT 1 FROM unnest(sd) x WHERE x IS NULL OR NOT x > 0 OR x = 'Infinity')
       OR EXISTS (SELECT 1 FROM unnest(mu || b) x WHERE x IS NULL OR x IN ('NaN', 'Infinity', '-Infinity')) THEN
        RAISE EXCEPTION 'invalid churn model'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'feature_index, mean and sd must have the same non-zero length, distinct valid feature positions, finite means and positive standard deviations, and logreg.coef one more element.';
    END IF;
    -- the same model on the raw features: coef / sd, intercept shifted by
    -- the means (intercept first, then one coefficient per feature)
    c := array_fill(0::float8, ARRAY[1 + cardinality(nfrec.churn_feature_names())]);
    c[1] := b[1];
    FOR k IN 1 .. cardinality(idx) LOOP
        c[1 + idx[k]] := b[1 + k] / sd[k];
        c[1] := c[1] - b[1 + k] * mu[k] / sd[k];
    END LOOP;
    raw := jsonb_build_object('coef', to_jsonb(c));
END
$fn$;
COMMENT ON FUNCTION _churn_model_parts(jsonb) IS
    'internal: validate a churn model; its standardization, logistic model, and the equivalent logistic model on the raw features';

CREATE FUNCTION churn_score(model jsonb, features float8[]) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT nfrec.logreg_predict(coalesce(model->'raw', (nfrec._churn_model_parts(model)).raw), features)
$fn$;
COMMENT ON FUNCTION churn_score(jsonb, float8[]) IS
    'probability of cancelling within the model''s horizon for a churn_features features array under a model from churn_model (its "raw" logistic model on the unstandardized features; recomputed from the standardization when absent)';

CREATE FUNCTION churn_risk(
    as_of date,
    horizon_days int DEFAULT 30,
    model jsonb DEFAULT NULL,
    snapshots int DEFAULT 4,
    snapshot_step_days int DEFAULT 7,
    window_days int DEFAULT 14,
    options jsonb DEFAULT '{}',
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS TABLE(user_id bigint, risk float8, risk_decile int, country text, plan text,
              monthly_price numeric, tenure_days int, days_since_last_play float8,
              active_days_recent int, active_days_prior int,
              watch_hours_recent float8, watch_hours_prior float8, browse_share float8)
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED COST 100000 ROWS 10000
    SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    m jsonb := model;
    p record;
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF m IS NULL THEN
        m := nfrec.churn_model(as_of, horizon_days, snapshots, snapshot_step_days, window_days,
                               options => options, events => events, subscriptions => subscriptions);
    END IF;
    p := nfrec._churn_model_parts(m);
    RETURN QUERY
    SELECT f.user_id, r.risk,
           (ntile(10) OVER (ORDER BY r.risk, f.user_id))::int,
           f.country, f.plan, f.monthly_price, f.tenure_days, f.days_since_last_play,
           f.active_days_recent, f.active_days_prior, f.watch_hours_recent, f.watch_hours_prior,
           f.browse_share
    FROM nfrec.churn_features_at(ARRAY[as_of],
                                 coalesce((m->>'window_days')::int, 14),
                                 coalesce((m->>'session_gap')::interval, '30 minutes'),
                                 coalesce((m->>'abandon_pct')::real, 25),
                                 events, subscriptions) f
    CROSS JOIN LATERAL (SELECT nfrec.logreg_predict(p.raw, f.features) AS risk) r
    ORDER BY r.risk DESC, f.user_id;
END
$fn$;
COMMENT ON FUNCTION churn_risk(date, int, jsonb, int, int, int, jsonb, regclass, regclass) IS
    'churn risk of every subscriber active at as_of: probability of cancelling within horizon_days from a logistic model trained on the history before as_of (or the given model); risk_decile 10 = the highest-risk tenth';

-- ---------------------------------------------------------------------
-- Content ROI
-- ---------------------------------------------------------------------

CREATE FUNCTION content_roi(
    window_days int DEFAULT 28,
    completion_pct real DEFAULT 70,
    retention_days int DEFAULT 60,
    attribution_days int DEFAULT 7,
    at_risk_deciles int DEFAULT 3,
    as_of date DEFAULT NULL,
    launched_from date DEFAULT NULL,
    launched_until date DEFAULT NULL,
    risk_model jsonb DEFAULT NULL,
    titles regclass DEFAULT 'content_metadata'::text::regclass,
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS TABLE(title_id bigint, title text, content_type text, launch_date date,
              production_cost numeric,
              starters bigint, watchers bigint, completion_rate float8,
              series_completers bigint, binge_hours float8,
              signups_attributed bigint,
              at_risk_watchers bigint, at_risk_watchers_retained bigint, watcher_retention float8,
              at_risk_nonwatchers bigint, nonwatcher_retention float8, retention_lift float8,
              retention_months float8, acquisition_months float8, incremental_months float8,
              value numeric, roi float8, observed boolean)
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED COST 100000 ROWS 100
    SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_as_of date := as_of;
    v_from date := launched_from;
    v_until date := launched_until;
    first_ts timestamptz;
    last_ts timestamptz;
    launches date[];
    m jsonb := risk_model;
    p record;
BEGIN
    IF completion_pct IS NULL OR at_risk_deciles IS NULL THEN
        RAISE EXCEPTION 'completion_pct and at_risk_deciles must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM nfrec._check_days('window_days', window_days);
    PERFORM nfrec._check_days('retention_days', retention_days);
    PERFORM nfrec._check_days('attribution_days', attribution_days);
    IF completion_pct = 'NaN' OR completion_pct < 0 OR completion_pct > 100 THEN
        RAISE EXCEPTION 'completion_pct must be between 0 and 100, not %', completion_pct
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF at_risk_deciles < 1 OR at_risk_deciles > 10 THEN
        RAISE EXCEPTION 'at_risk_deciles must be between 1 and 10, not %', at_risk_deciles
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_as_of IN ('infinity', '-infinity') OR v_from IN ('infinity', '-infinity')
       OR v_until IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION 'as_of, launched_from and launched_until must be finite'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM nfrec._check_columns(titles,
        ARRAY['title_id', 'title', 'content_type', 'episodes', 'launch_date', 'production_cost']);
    PERFORM nfrec._check_columns(events,
        ARRAY['user_id', 'title_id', 'started_at', 'event_type', 'watch_seconds', 'watch_pct']);
    PERFORM nfrec._check_columns(subscriptions,
        ARRAY['user_id', 'signup_date', 'cancel_date', 'plan', 'monthly_price', 'country']);
    IF risk_model IS NOT NULL THEN
        p := nfrec._churn_model_parts(risk_model);
    END IF;

    IF v_as_of IS NULL OR v_from IS NULL THEN
        EXECUTE format('SELECT min(e.started_at), max(e.started_at) FROM %s e', events)
            INTO first_ts, last_ts;
        IF first_ts IS NULL THEN
            RAISE EXCEPTION 'relation "%" has no events', events::text
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass as_of and launched_from explicitly.';
        END IF;
        v_as_of := coalesce(v_as_of, last_ts::date + 1);
        v_from := coalesce(v_from, first_ts::date);
    END IF;
    v_until := coalesce(v_until, v_as_of - 1);

    -- Launches whose window and follow-up are complete before as_of get
    -- the retention analysis; the churn model is trained only if needed.
    EXECUTE format($q$
        SELECT array_agg(DISTINCT t.launch_date ORDER BY t.launch_date)
        FROM %s t
        WHERE t.launch_date BETWEEN $1 AND $2 AND t.launch_date + $3 + $4 <= $5
        $q$, titles)
        INTO launches USING v_from, v_until, window_days, retention_days, v_as_of;
    IF launches IS NOT NULL AND m IS NULL THEN
        m := nfrec.churn_model(v_as_of, retention_days, events => events, subscriptions => subscriptions);
    END IF;
    IF m IS NOT NULL THEN
        p := nfrec._churn_model_parts(m);
    ELSE
        p := nfrec._churn_model_parts('{"feature_index": [1], "mean": [0], "sd": [1], "logreg": {"coef": [0, 0]}}');
    END IF;

    RETURN QUERY EXECUTE format($q$
    WITH t AS (
        SELECT t.title_id::bigint AS title_id, t.title::text AS title,
               t.content_type::text AS content_type, t.episodes::int AS episodes,
               t.launch_date::date AS launch_date, t.production_cost::numeric AS production_cost,
               t.launch_date + $2 + $5 <= $1 AS observed
        FROM %1$s t
        WHERE t.launch_date BETWEEN $9 AND $10
    ), subs AS (
        SELECT s.user_id::bigint AS user_id, s.signup_date, s.cancel_date,
               s.monthly_price::float8 AS price
        FROM %3$s s
    ), ew AS (
        -- events of each title in its window [launch_date, launch_date + window_days)
        SELECT t.title_id, e.user_id::bigint AS user_id, e.started_at,
               coalesce(e.event_type = 'play', false) OR e.watch_pct IS NOT NULL AS started,
               e.watch_pct >= $3 AS completed
        FROM t JOIN %2$s e ON e.title_id = t.title_id
         AND e.started_at >= t.launch_date::timestamptz
         AND e.started_at < (t.launch_date + $2)::timestamptz
        WHERE e.started_at >= $9::timestamptz AND e.started_at < $11::timestamptz
          AND e.started_at < $1::timestamptz
    ), wa AS (
        SELECT ew.title_id,
               count(DISTINCT ew.user_id) FILTER (WHERE ew.started) AS starters,
               count(DISTINCT ew.user_id) FILTER (WHERE ew.completed) AS watchers
        FROM ew GROUP BY ew.title_id
    ), watcher AS (
        SELECT DISTINCT ew.title_id, ew.user_id FROM ew WHERE ew.completed
    ), comp AS (
        SELECT ew.title_id, ew.user_id, ew.started_at,
               row_number() OVER (PARTITION BY ew.title_id, ew.user_id ORDER BY ew.started_at) AS k
        FROM ew JOIN t USING (title_id)
        WHERE ew.completed AND t.content_type = 'series' AND t.episodes >= 1
    ), firsts AS (
        SELECT ew.title_id, ew.user_id, min(ew.started_at) AS first_at
        FROM ew WHERE ew.started GROUP BY ew.title_id, ew.user_id
    ), binge AS (
        -- series completers: the episodes-th completed play in the window
        SELECT c.title_id, count(*) AS completers,
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM c.started_at - f.first_at)::float8 / 3600) AS hours
        FROM comp c JOIN t USING (title_id) JOIN firsts f USING (title_id, user_id)
        WHERE c.k = t.episodes
        GROUP BY c.title_id
    ), fp AS (
        -- the first play of each new subscriber within attribution_days of signup
        SELECT DISTINCT ON (s.user_id) s.user_id, s.signup_date, s.cancel_date, s.price,
               e.title_id::bigint AS title_id, e.started_at
        FROM subs s JOIN %2$s e ON e.user_id = s.user_id
         AND e.event_type = 'play'
         AND e.started_at >= s.signup_date::timestamptz
         AND e.started_at < (s.signup_date + $4)::timestamptz
        WHERE s.signup_date > $9 - $4 AND s.signup_date < $11
          AND e.started_at >= ($9 - $4)::timestamptz AND e.started_at < ($11 + $4)::timestamptz
          AND e.started_at < $1::timestamptz
        ORDER BY s.user_id, e.started_at, e.title_id
    ), acq AS (
        SELECT t.title_id, count(*) AS signups,
               sum(x.days)::float8 / 30 AS months,
               sum(x.days * x.price) / 30 AS value
        FROM fp JOIN t ON t.title_id = fp.title_id
         AND fp.started_at >= t.launch_date::timestamptz
         AND fp.started_at < (t.launch_date + $2)::timestamptz
        CROSS JOIN LATERAL (SELECT least(coalesce(fp.cancel_date, fp.signup_date + $5),
                                         fp.signup_date + $5) - fp.signup_date AS days,
                                   fp.price) x
        GROUP BY t.title_id
    ), risk AS (
        SELECT f.as_of AS launch_date, f.user_id,
               ntile(10) OVER (PARTITION BY f.as_of
                               ORDER BY nfrec.logreg_predict($8, f.features),
                                        f.user_id) AS decile
        FROM nfrec.churn_features_at($6, $12, $13, $14, $15, $16) f
    ), atrisk AS (
        -- at risk at launch and still subscribed at the landmark
        -- launch_date + window_days; followed for retention_days from there
        SELECT r.launch_date, r.user_id, r.decile, s.price,
               (s.cancel_date IS NULL OR s.cancel_date > r.launch_date + $2 + $5) AS retained,
               least(coalesce(s.cancel_date, r.launch_date + $2 + $5), r.launch_date + $2 + $5)
                 - (r.launch_date + $2) AS days
        FROM risk r JOIN subs s ON s.user_id = r.user_id
        WHERE r.decile > 10 - $7
          AND (s.cancel_date IS NULL OR s.cancel_date > r.launch_date + $2)
    ), cell AS (
        SELECT a.launch_date, a.decile, count(*) AS n, count(*) FILTER (WHERE a.retained) AS r,
               sum(a.days)::float8 AS d
        FROM atrisk a GROUP BY a.launch_date, a.decile
    ), tot AS (
        SELECT c.launch_date, sum(c.n)::bigint AS n, sum(c.r)::bigint AS r, sum(c.d) AS d
        FROM cell c GROUP BY c.launch_date
    ), wcell AS (
        SELECT t.title_id, a.decile, count(*) AS n, count(*) FILTER (WHERE a.retained) AS r,
               sum(a.days)::float8 AS d, sum(a.price) AS p, sum(a.price * a.days) AS pd
        FROM t JOIN watcher w ON w.title_id = t.title_id
        JOIN atrisk a ON a.launch_date = t.launch_date AND a.user_id = w.user_id
        WHERE t.observed
        GROUP BY t.title_id, a.decile
    ), wtot AS (
        SELECT w.title_id, sum(w.n)::bigint AS n, sum(w.r)::bigint AS r, sum(w.d) AS d
        FROM wcell w GROUP BY w.title_id
    ), strat AS (
        -- non-watchers of the same risk decile (pooled over the at-risk
        -- deciles where a decile has no non-watcher)
        SELECT w.title_id,
               sum(w.n * x.rate) / sum(w.n) AS nonwatcher_retention,
               sum(w.d - w.n * x.days) / 30 AS months,
               sum(w.pd - w.p * x.days) / 30 AS value
        FROM wcell w JOIN t USING (title_id)
        JOIN cell c ON c.launch_date = t.launch_date AND c.decile = w.decile
        JOIN tot ON tot.launch_date = t.launch_date
        JOIN wtot wt ON wt.title_id = w.title_id
        CROSS JOIN LATERAL (SELECT
            coalesce((c.r - w.r)::float8 / nullif(c.n - w.n, 0),
                     (tot.r - wt.r)::float8 / nullif(tot.n - wt.n, 0)) AS rate,
            coalesce((c.d - w.d) / nullif(c.n - w.n, 0),
                     (tot.d - wt.d) / nullif(tot.n - wt.n, 0)) AS days) x
        GROUP BY w.title_id
    ), res AS (
        SELECT t.*, coalesce(wa.starters, 0) AS starters, coalesce(wa.watchers, 0) AS watchers,
               b.completers, b.hours,
               coalesce(acq.signups, 0) AS signups,
               CASE WHEN t.observed THEN coalesce(wt.n, 0) END AS arw,
               CASE WHEN t.observed THEN coalesce(wt.r, 0) END AS arw_ret,
               CASE WHEN t.observed THEN coalesce(tot.n, 0) - coalesce(wt.n, 0) END AS arn,
               wt.r::float8 / nullif(wt.n, 0) AS wret,
               st.nonwatcher_retention AS nret,
               CASE WHEN NOT t.observed THEN NULL
                    WHEN coalesce(wt.n, 0) = 0 THEN 0 ELSE st.months END AS rmonths,
               CASE WHEN NOT t.observed THEN NULL
                    WHEN coalesce(wt.n, 0) = 0 THEN 0 ELSE st.value END AS rvalue,
               CASE WHEN t.observed THEN coalesce(acq.months, 0) END AS amonths,
               CASE WHEN t.observed THEN coalesce(acq.value, 0) END AS avalue
        FROM t
        LEFT JOIN wa ON wa.title_id = t.title_id
        LEFT JOIN binge b ON b.title_id = t.title_id
        LEFT JOIN acq ON acq.title_id = t.title_id
        LEFT JOIN wtot wt ON wt.title_id = t.title_id
        LEFT JOIN tot ON tot.launch_date = t.launch_date AND t.observed
        LEFT JOIN strat st ON st.title_id = t.title_id
    )
    SELECT r.title_id, r.title, r.content_type, r.launch_date, r.production_cost,
           r.starters, r.watchers, r.watchers::float8 / nullif(r.starters, 0),
           r.completers, r.hours, r.signups,
           r.arw, r.arw_ret, r.wret, r.arn, r.nret, r.wret - r.nret,
           r.rmonths, r.amonths, r.rmonths + r.amonths,
           round((r.rvalue + r.avalue)::numeric, 2),
           round((r.rvalue + r.avalue)::numeric, 2)::float8 / nullif(greatest(r.production_cost, 0), 0)::float8,
           r.observed
    FROM res r
    ORDER BY r.launch_date, r.title_id
    $q$, titles, events, subscriptions)
    USING v_as_of, window_days, completion_pct::float8, attribution_days, retention_days,
          coalesce(launches, '{}'::date[]), at_risk_deciles,
          p.raw, v_from, v_until, v_until + window_days,
          coalesce((m->>'window_days')::int, 14),
          coalesce((m->>'session_gap')::interval, '30 minutes'),
          coalesce((m->>'abandon_pct')::real, 25),
          events, subscriptions;
END
$fn$;
COMMENT ON FUNCTION content_roi(int, real, int, int, int, date, date, date, jsonb, regclass, regclass, regclass) IS
    'per launched title: watchers (distinct users with watch_pct >= completion_pct in [launch_date, launch_date + window_days)), completion rate, binge velocity, attributed signups, retention of at-risk watchers (top risk deciles at launch, subscribed at launch_date + window_days) over retention_days from there versus at-risk non-watchers of the same risk decile, incremental subscriber-months, value and roi; see doc/analytics.md';

-- ---------------------------------------------------------------------
-- Homepage metrics
-- ---------------------------------------------------------------------

CREATE FUNCTION watched_catalog_size(
    period_start timestamptz,
    period_end timestamptz,
    weight text DEFAULT 'plays',
    events regclass DEFAULT 'viewing_events'::text::regclass)
RETURNS float8
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED COST 10000
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ecs float8;
BEGIN
    IF period_start IS NULL OR period_end IS NULL OR weight IS NULL THEN
        RAISE EXCEPTION 'period_start, period_end and weight must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF period_end <= period_start THEN
        RAISE EXCEPTION 'period_end must be later than period_start'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period [%s, %s) is empty.', period_start, period_end);
    END IF;
    IF weight NOT IN ('plays', 'hours') THEN
        RAISE EXCEPTION 'unknown weight "%"', weight
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use ''plays'' (count of play events) or ''hours'' (sum of watch_seconds).';
    END IF;
    PERFORM nfrec._check_columns(events, ARRAY['title_id', 'started_at', 'event_type', 'watch_seconds']);
    -- ECS = 2 * sum_i p_i * i - 1 with titles ranked by their share p_i,
    -- most watched first (Gomez-Uribe & Hunt 2015): the aggregate
    -- nfrec.effective_catalog_size over the plays of the period.
    EXECUTE format($q$
        SELECT %s
        FROM %s e
        WHERE e.event_type = 'play' AND e.started_at >= $1 AND e.started_at < $2
        $q$, CASE weight WHEN 'plays' THEN 'nfrec.effective_catalog_size(e.title_id::bigint)'
                         ELSE 'nfrec.effective_catalog_size(e.title_id::bigint, greatest(e.watch_seconds, 0)::float8 / 3600)' END,
             events)
        INTO ecs USING period_start, period_end;
    RETURN ecs;
END
$fn$;
COMMENT ON FUNCTION watched_catalog_size(timestamptz, timestamptz, text, regclass) IS
    'effective catalog size (nfrec.effective_catalog_size) of what was watched in [period_start, period_end): 2 * sum(p_i * i) - 1 over titles ranked by share p_i of plays (or of watch hours); 1 = one title, N = N titles equally; NULL if nothing was played';

CREATE FUNCTION trending(
    as_of timestamptz,
    half_life interval DEFAULT '7 days',
    n int DEFAULT 20,
    lookback interval DEFAULT NULL,
    events regclass DEFAULT 'viewing_events'::text::regclass,
    titles regclass DEFAULT 'content_metadata'::text::regclass)
RETURNS TABLE(rank int, title_id bigint, title text, score float8, plays bigint,
              last_played timestamptz)
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED COST 10000 ROWS 20
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    hl float8;
    lb interval;
BEGIN
    IF as_of IS NULL OR half_life IS NULL OR n IS NULL THEN
        RAISE EXCEPTION 'as_of, half_life and n must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF as_of IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION 'as_of must be finite' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    hl := extract(epoch FROM half_life);
    IF NOT hl > 0 THEN
        RAISE EXCEPTION 'half_life must be positive, not %', half_life
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF n <= 0 THEN
        RAISE EXCEPTION 'n must be positive, not %', n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    lb := coalesce(lookback, half_life * 10);
    IF NOT extract(epoch FROM lb) > 0 THEN
        RAISE EXCEPTION 'lookback must be positive, not %', lb
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM nfrec._check_columns(events, ARRAY['title_id', 'started_at', 'event_type']);
    PERFORM nfrec._check_columns(titles, ARRAY['title_id', 'title']);
    -- score = sum over plays in [as_of - lookback, as_of) of
    --         2 ^ (-(as_of - started_at) / half_life)
    RETURN QUERY EXECUTE format($q$
        SELECT (row_number() OVER (ORDER BY x.score DESC, x.title_id))::int,
               x.title_id, c.title::text, x.score, x.plays, x.last_played
        FROM (SELECT e.title_id::bigint AS title_id,
                     sum(power(2::float8, -extract(epoch FROM $1 - e.started_at)::float8 / $2)) AS score,
                     count(*) AS plays, max(e.started_at) AS last_played
              FROM %1$s e
              WHERE e.event_type = 'play' AND e.started_at >= $1 - $3 AND e.started_at < $1
              GROUP BY e.title_id) x
        LEFT JOIN %2$s c ON c.title_id = x.title_id
        ORDER BY x.score DESC, x.title_id
        LIMIT $4
        $q$, events, titles)
        USING as_of, hl, lb, n;
END
$fn$;
COMMENT ON FUNCTION trending(timestamptz, interval, int, interval, regclass, regclass) IS
    'the n titles with the most time-decayed plays before as_of: each play in [as_of - lookback, as_of) counts 2^(-age/half_life); lookback defaults to 10 half-lives';
