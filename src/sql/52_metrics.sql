
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
--
-- The state is nfrec.tally_state, a real type (not internal) so that Citus
-- runs these aggregates as worker partials plus a coordinator combine: its
-- text form "catalog_size;title_id=weight;..." (ids ascending, weights in
-- shortest exact decimal) carries a partial tally losslessly.

CREATE TYPE tally_state;
CREATE FUNCTION tally_state_in(cstring) RETURNS tally_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tally_state_out(tally_state) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tally_state_recv(internal) RETURNS tally_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tally_state_send(tally_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE tally_state (
    INPUT = tally_state_in,
    OUTPUT = tally_state_out,
    RECEIVE = tally_state_recv,
    SEND = tally_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE tally_state IS
    'state of catalog_coverage / effective_catalog_size: weight per title and the catalog size; text form catalog_size;title_id=weight;...';
COMMENT ON FUNCTION tally_state_in(cstring) IS 'input function of nfrec.tally_state (catalog_size;title_id=weight;...)';
COMMENT ON FUNCTION tally_state_out(tally_state) IS 'output function of nfrec.tally_state (title_ids ascending, weights in shortest exact decimal)';
COMMENT ON FUNCTION tally_state_recv(internal) IS 'binary input function of nfrec.tally_state (validated)';
COMMENT ON FUNCTION tally_state_send(tally_state) IS 'binary output function of nfrec.tally_state';

CREATE FUNCTION _tally_state_add(tally_state, bigint) RETURNS tally_state
    AS 'MODULE_PATHNAME', 'tally_state_add' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tally_state_add_weighted(tally_state, bigint, float8) RETURNS tally_state
    AS 'MODULE_PATHNAME', 'tally_state_add_weighted' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tally_state_add_coverage(tally_state, bigint, bigint) RETURNS tally_state
    AS 'MODULE_PATHNAME', 'tally_state_add_coverage' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tally_state_combine(tally_state, tally_state) RETURNS tally_state
    AS 'MODULE_PATHNAME', 'tally_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tally_state_coverage_final(tally_state) RETURNS float8
    AS 'MODULE_PATHNAME', 'tally_state_coverage_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tally_state_ecs_final(tally_state) RETURNS float8
    AS 'MODULE_PATHNAME', 'tally_state_ecs_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _tally_state_add(tally_state, bigint) IS 'internal: transition function of effective_catalog_size(title_id)';
COMMENT ON FUNCTION _tally_state_add_weighted(tally_state, bigint, float8) IS 'internal: transition function of effective_catalog_size(title_id, plays)';
COMMENT ON FUNCTION _tally_state_add_coverage(tally_state, bigint, bigint) IS 'internal: transition function of catalog_coverage';
COMMENT ON FUNCTION _tally_state_combine(tally_state, tally_state) IS 'internal: combine function of the catalog aggregates';
COMMENT ON FUNCTION _tally_state_coverage_final(tally_state) IS 'internal: final function of catalog_coverage';
COMMENT ON FUNCTION _tally_state_ecs_final(tally_state) IS 'internal: final function of effective_catalog_size';

CREATE AGGREGATE catalog_coverage(title_id bigint, catalog_size bigint) (
    SFUNC = _tally_state_add_coverage,
    STYPE = tally_state,
    FINALFUNC = _tally_state_coverage_final,
    COMBINEFUNC = _tally_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE catalog_coverage(bigint, bigint) IS
    'share of the catalog that appears at least once: distinct non-null title_ids / catalog_size (the largest non-null catalog_size given)';

CREATE AGGREGATE effective_catalog_size(title_id bigint) (
    SFUNC = _tally_state_add,
    STYPE = tally_state,
    FINALFUNC = _tally_state_ecs_final,
    COMBINEFUNC = _tally_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE effective_catalog_size(bigint) IS
    'effective catalog size (Gomez-Uribe & Hunt 2015) of plays, one row per play: 2 * sum_i i * p_i - 1, p_i the share of the i-th most played title; 1 = one title takes every play, N = plays spread evenly over N titles';

CREATE AGGREGATE effective_catalog_size(title_id bigint, plays float8) (
    SFUNC = _tally_state_add_weighted,
    STYPE = tally_state,
    FINALFUNC = _tally_state_ecs_final,
    COMBINEFUNC = _tally_state_combine,
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
-- it reads the registry as its owner, like the serving functions (51_serving.sql)
REVOKE EXECUTE ON FUNCTION evaluate(text, regclass, int) FROM PUBLIC;

CREATE FUNCTION evaluate(model als_model, test regclass, k int DEFAULT 10,
    OUT users bigint, OUT cold_users bigint,
    OUT "precision" float8, OUT recall float8, OUT ndcg float8, OUT map float8, OUT coverage float8,
    OUT pop_precision float8, OUT pop_recall float8, OUT pop_ndcg float8, OUT pop_map float8, OUT pop_coverage float8)
    AS 'MODULE_PATHNAME', 'evaluate_value'
    LANGUAGE C STABLE PARALLEL RESTRICTED COST 100000;
COMMENT ON FUNCTION evaluate(als_model, regclass, int) IS
    'ranking quality at k of a model value (not deployed) on a test relation (user_id, title_id), next to a most-popular baseline; metrics are means over test users';
