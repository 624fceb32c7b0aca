
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
