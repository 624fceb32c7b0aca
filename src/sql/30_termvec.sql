
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
