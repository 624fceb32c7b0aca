
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
--
-- The state is nfrec.termvec_state, a real type (not internal): Citus
-- rewrites aggregates named sum or avg by name in any schema unless they
-- have a combine function and such a state, so with it nfrec.sum and
-- nfrec.avg run as worker partials plus a coordinator combine on a
-- distributed table (doc/scale.md).  Text form "vectors;length:term=sum;..."
-- (terms in byte order, lengths in bytes, sums in shortest exact decimal):
-- lossless.

CREATE TYPE termvec_state;
CREATE FUNCTION termvec_state_in(cstring) RETURNS termvec_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION termvec_state_out(termvec_state) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION termvec_state_recv(internal) RETURNS termvec_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION termvec_state_send(termvec_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE termvec_state (
    INPUT = termvec_state_in,
    OUTPUT = termvec_state_out,
    RECEIVE = termvec_state_recv,
    SEND = termvec_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE termvec_state IS
    'state of nfrec.sum/avg(termvec): the number of vectors and a sum per term; text form vectors;length:term=sum;...';
COMMENT ON FUNCTION termvec_state_in(cstring) IS 'input function of nfrec.termvec_state (vectors;length:term=sum;...)';
COMMENT ON FUNCTION termvec_state_out(termvec_state) IS 'output function of nfrec.termvec_state (terms in byte order, sums in shortest exact decimal)';
COMMENT ON FUNCTION termvec_state_recv(internal) IS 'binary input function of nfrec.termvec_state (validated)';
COMMENT ON FUNCTION termvec_state_send(termvec_state) IS 'binary output function of nfrec.termvec_state';

CREATE FUNCTION _termvec_state_accum(termvec_state, termvec) RETURNS termvec_state
    AS 'MODULE_PATHNAME', 'termvec_state_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _termvec_state_combine(termvec_state, termvec_state) RETURNS termvec_state
    AS 'MODULE_PATHNAME', 'termvec_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _termvec_state_sum_final(termvec_state) RETURNS termvec
    AS 'MODULE_PATHNAME', 'termvec_state_sum_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _termvec_state_avg_final(termvec_state) RETURNS termvec
    AS 'MODULE_PATHNAME', 'termvec_state_avg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _termvec_state_accum(termvec_state, termvec) IS 'internal: transition function of nfrec.sum/avg(termvec)';
COMMENT ON FUNCTION _termvec_state_combine(termvec_state, termvec_state) IS 'internal: combine function of nfrec.sum/avg(termvec)';
COMMENT ON FUNCTION _termvec_state_sum_final(termvec_state) IS 'internal: final function of nfrec.sum(termvec)';
COMMENT ON FUNCTION _termvec_state_avg_final(termvec_state) IS 'internal: final function of nfrec.avg(termvec)';

CREATE AGGREGATE sum(termvec) (
    SFUNC = _termvec_state_accum,
    STYPE = termvec_state,
    FINALFUNC = _termvec_state_sum_final,
    COMBINEFUNC = _termvec_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE sum(termvec) IS
    'term-wise sum of term vectors (NULLs ignored; NULL if there are none)';

CREATE AGGREGATE avg(termvec) (
    SFUNC = _termvec_state_accum,
    STYPE = termvec_state,
    FINALFUNC = _termvec_state_avg_final,
    COMBINEFUNC = _termvec_state_combine,
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
