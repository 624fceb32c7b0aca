
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
