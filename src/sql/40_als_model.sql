
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
