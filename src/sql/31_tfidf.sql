
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

--
-- The state is nfrec.tfidf_state, a real type (not internal) so that Citus
-- runs tfidf_fit as worker partials (document frequencies per shard) plus
-- a coordinator combine: text form "n_docs;config;len:term=df;..." with
-- the configuration by its qualified name ("-" for token arrays).

CREATE TYPE tfidf_state;
CREATE FUNCTION tfidf_state_in(cstring) RETURNS tfidf_state
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tfidf_state_out(tfidf_state) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tfidf_state_recv(internal) RETURNS tfidf_state
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tfidf_state_send(tfidf_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE TYPE tfidf_state (
    INPUT = tfidf_state_in,
    OUTPUT = tfidf_state_out,
    RECEIVE = tfidf_state_recv,
    SEND = tfidf_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE tfidf_state IS
    'state of tfidf_fit: document count, text search configuration and document frequency per term; text form n_docs;config;len:term=df;...';
COMMENT ON FUNCTION tfidf_state_in(cstring) IS 'input function of nfrec.tfidf_state (n_docs;config;len:term=df;..., config - or len:name)';
COMMENT ON FUNCTION tfidf_state_out(tfidf_state) IS 'output function of nfrec.tfidf_state (terms in byte order, the configuration schema-qualified)';
COMMENT ON FUNCTION tfidf_state_recv(internal) IS 'binary input function of nfrec.tfidf_state (validated)';
COMMENT ON FUNCTION tfidf_state_send(tfidf_state) IS 'binary output function of nfrec.tfidf_state';

CREATE FUNCTION _tfidf_state_accum(tfidf_state, document text) RETURNS tfidf_state
    AS 'MODULE_PATHNAME', 'tfidf_state_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tfidf_state_accum(tfidf_state, document text, config regconfig) RETURNS tfidf_state
    AS 'MODULE_PATHNAME', 'tfidf_state_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tfidf_state_tokens_accum(tfidf_state, tokens text[]) RETURNS tfidf_state
    AS 'MODULE_PATHNAME', 'tfidf_state_tokens_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tfidf_state_combine(tfidf_state, tfidf_state) RETURNS tfidf_state
    AS 'MODULE_PATHNAME', 'tfidf_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- STABLE: the configuration is written by name, as search_path shows it
CREATE FUNCTION _tfidf_state_final(tfidf_state) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'tfidf_state_final' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION _tfidf_state_accum(tfidf_state, text) IS 'internal: transition function of nfrec.tfidf_fit(text)';
COMMENT ON FUNCTION _tfidf_state_accum(tfidf_state, text, regconfig) IS 'internal: transition function of nfrec.tfidf_fit(text, regconfig)';
COMMENT ON FUNCTION _tfidf_state_tokens_accum(tfidf_state, text[]) IS 'internal: transition function of nfrec.tfidf_fit(text[])';
COMMENT ON FUNCTION _tfidf_state_combine(tfidf_state, tfidf_state) IS 'internal: combine function of nfrec.tfidf_fit';
COMMENT ON FUNCTION _tfidf_state_final(tfidf_state) IS 'internal: final function of nfrec.tfidf_fit';

CREATE AGGREGATE tfidf_fit(document text) (
    SFUNC = _tfidf_state_accum, STYPE = tfidf_state, FINALFUNC = _tfidf_state_final,
    COMBINEFUNC = _tfidf_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE tfidf_fit(text) IS
    'TF-IDF vocabulary of a corpus tokenized with configuration simple: jsonb {"config", "n_docs", "doc_freq": {term: df}}; NULL documents are skipped';

CREATE AGGREGATE tfidf_fit(document text, config regconfig) (
    SFUNC = _tfidf_state_accum, STYPE = tfidf_state, FINALFUNC = _tfidf_state_final,
    COMBINEFUNC = _tfidf_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE tfidf_fit(text, regconfig) IS
    'TF-IDF vocabulary of a corpus tokenized with the given configuration: jsonb {"config", "n_docs", "doc_freq": {term: df}}; NULL documents are skipped';

CREATE AGGREGATE tfidf_fit(tokens text[]) (
    SFUNC = _tfidf_state_tokens_accum, STYPE = tfidf_state, FINALFUNC = _tfidf_state_final,
    COMBINEFUNC = _tfidf_state_combine,
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
