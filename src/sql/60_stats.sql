
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

-- One Newton (IRLS) iteration of logistic regression as an aggregate that
-- splits: logreg_train keeps every row (each iteration needs sums at the
-- current coefficients, and step halving another pass), so under Citus it
-- pulls them; logreg_step(label, features, coef) keeps only the sums at
-- the given coef (state nfrec.logreg_state), which add up across shards,
-- so a driver loop runs each Newton iteration as worker partials plus a
-- coordinator combine (doc/scale.md).

CREATE TYPE logreg_state;
CREATE FUNCTION logreg_state_in(cstring) RETURNS logreg_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION logreg_state_out(logreg_state) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION logreg_state_recv(internal) RETURNS logreg_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION logreg_state_send(logreg_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE logreg_state (
    INPUT = logreg_state_in,
    OUTPUT = logreg_state_out,
    RECEIVE = logreg_state_recv,
    SEND = logreg_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE logreg_state IS
    'state of logreg_step: at the given coefficients, the row and positive counts, log-likelihood, gradient and information matrix; text form p;n;n_positive;log_likelihood;coef;gradient;information (upper triangle)';
COMMENT ON FUNCTION logreg_state_in(cstring) IS 'input function of nfrec.logreg_state (p;n;n_positive;log_likelihood;coef;gradient;information)';
COMMENT ON FUNCTION logreg_state_out(logreg_state) IS 'output function of nfrec.logreg_state (shortest exact decimals)';
COMMENT ON FUNCTION logreg_state_recv(internal) IS 'binary input function of nfrec.logreg_state (validated)';
COMMENT ON FUNCTION logreg_state_send(logreg_state) IS 'binary output function of nfrec.logreg_state';

CREATE FUNCTION _logreg_step_accum(logreg_state, label bool, features float8[], coef float8[]) RETURNS logreg_state
    AS 'MODULE_PATHNAME', 'logreg_step_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _logreg_step_combine(logreg_state, logreg_state) RETURNS logreg_state
    AS 'MODULE_PATHNAME', 'logreg_step_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _logreg_step_final(logreg_state) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'logreg_step_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _logreg_step_accum(logreg_state, bool, float8[], float8[]) IS 'internal: transition function of logreg_step';
COMMENT ON FUNCTION _logreg_step_combine(logreg_state, logreg_state) IS 'internal: combine function of logreg_step';
COMMENT ON FUNCTION _logreg_step_final(logreg_state) IS 'internal: final function of logreg_step (solves the Newton step)';

CREATE AGGREGATE logreg_step(label bool, features float8[], coef float8[]) (
    SFUNC = _logreg_step_accum,
    STYPE = logreg_state,
    COMBINEFUNC = _logreg_step_combine,
    FINALFUNC = _logreg_step_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE logreg_step(bool, float8[], float8[]) IS
    'one Newton (IRLS) iteration of logistic regression at the given coef (intercept first, the same in every row): jsonb with n, n_positive, log_likelihood and gradient at coef and coef, the next iterate coef + (Z''WZ)^-1 Z''(y - mu) (null, with singular_column, if the information matrix is singular); no penalty or step halving; rows with a NULL label or features skipped; NULL for no rows; splits into partials under parallel query and Citus';

-- The split fit: logreg_train's Newton iterations (penalty, step halving,
-- convergence rule, separation test, covariance, result) driven from the
-- coordinator, each trial point one logreg_step-style aggregate that
-- splits into worker partials and a coordinator combine under Citus; the
-- churn model fits this way when its training rows are distributed
-- (doc/scale.md).  _logreg_sums is logreg_step returning the combined
-- state itself.

CREATE FUNCTION _logreg_sums_final(logreg_state) RETURNS logreg_state
    AS 'MODULE_PATHNAME', 'logreg_sums_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _logreg_sums_final(logreg_state) IS 'internal: final function of _logreg_sums (the state, flat)';
CREATE AGGREGATE _logreg_sums(label bool, features float8[], coef float8[]) (
    SFUNC = _logreg_step_accum,
    STYPE = logreg_state,
    COMBINEFUNC = _logreg_step_combine,
    FINALFUNC = _logreg_sums_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE _logreg_sums(bool, float8[], float8[]) IS
    'internal (_logreg_fit): logreg_step''s sums at coef (counts, log-likelihood, gradient, information) as the combined nfrec.logreg_state';

CREATE FUNCTION _logreg_penalized_ll(state logreg_state, l2 float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'logreg_penalized_ll' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _logreg_penalized_ll(logreg_state, float8) IS
    'internal (_logreg_fit): the log-likelihood at the state''s coefficients minus l2/2 times the squared slopes';
CREATE FUNCTION _logreg_newton(state logreg_state, l2 float8, iteration int) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'logreg_newton' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _logreg_newton(logreg_state, float8, int) IS
    'internal (_logreg_fit): logreg_train''s Newton step at the state''s coefficients with the L2 penalty (its errors when the information is singular)';
CREATE FUNCTION _logreg_extreme(coef float8[], features float8[]) RETURNS boolean
    AS 'MODULE_PATHNAME', 'logreg_extreme' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _logreg_extreme(float8[], float8[]) IS
    'internal (_logreg_fit): the row is fitted at |eta| > 16 (probability within 1.1e-7 of 0 or 1), as logreg_train''s separation test counts it';
CREATE FUNCTION _logreg_fit_result(state logreg_state, l2 float8, iterations int, converged boolean,
                                   penalized_log_likelihood float8, n_skipped bigint, n_extreme bigint,
                                   last_rel_step float8) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'logreg_fit_result' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _logreg_fit_result(logreg_state, float8, int, boolean, float8, bigint, bigint, float8) IS
    'internal (_logreg_fit): logreg_train''s result from the sums at the final coefficients (separation test, covariance, jsonb)';

CREATE FUNCTION _logreg_fit(rel regclass, options jsonb DEFAULT '{}', train_column name DEFAULT NULL)
RETURNS jsonb
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED COST 100000
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    src text;
    l2 float8;
    max_iter int;
    tol float8;
    n bigint;
    n1 bigint;
    nskip bigint;
    nfeat int;
    beta float8[];
    cand float8[];
    step float8[];
    st nfrec.logreg_state;
    st_new nfrec.logreg_state;
    ll float8;
    ll_new float8;
    t float8;
    accepted boolean;
    iterations int := 0;
    converged boolean := false;
    last_rel_step float8 := 0;
    n_extreme bigint := 0;
    q text;
BEGIN
    IF rel IS NULL OR options IS NULL THEN
        RAISE EXCEPTION 'rel and options must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- the options, checked by logreg_train's own parser (no row is kept)
    PERFORM nfrec.logreg_train(NULL::boolean, NULL::float8[], options);
    l2 := coalesce((options->>'l2')::float8, 0);
    max_iter := coalesce((options->>'max_iter')::int, 25);
    tol := coalesce((options->>'tol')::float8, 1e-10);
    src := format('%s r', rel);
    IF train_column IS NOT NULL THEN
        src := src || format(' WHERE r.%I', train_column);
    END IF;

    EXECUTE format($q$SELECT count(*) FILTER (WHERE r.label IS NOT NULL AND r.features IS NOT NULL),
                             count(*) FILTER (WHERE r.label AND r.features IS NOT NULL),
                             count(*) FILTER (WHERE r.label IS NULL OR r.features IS NULL),
                             max(cardinality(r.features))
                      FROM %s$q$, src)
        INTO n, n1, nskip, nfeat;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    IF n1 = 0 OR n1 = n THEN
        RAISE EXCEPTION 'all % labels are %', n, CASE WHEN n1 > 0 THEN 'true' ELSE 'false' END
            USING ERRCODE = 'data_exception', DETAIL = 'Logistic regression needs rows of both labels.';
    END IF;

    -- logreg_fit's start: the intercept-only fit, and its log-likelihood
    beta := array_fill(0::float8, ARRAY[nfeat + 1]);
    beta[1] := ln(n1::float8 / (n - n1)::float8);
    ll := n1::float8 * ln(n1::float8 / n::float8) + (n - n1)::float8 * ln((n - n1)::float8 / n::float8);
    q := format('SELECT nfrec._logreg_sums(r.label, r.features, $1) FROM %s', src);
    EXECUTE q INTO st USING beta;

    FOR it IN 1 .. max_iter LOOP
        step := nfrec._logreg_newton(st, l2, it);
        -- step halving: each trial point is one pass, whose sums are the
        -- next iteration's when it is taken
        t := 1;
        accepted := false;
        FOR h IN 0 .. 40 LOOP
            cand := ARRAY(SELECT u.b + t * u.s FROM unnest(beta, step) WITH ORDINALITY u(b, s, o) ORDER BY u.o);
            EXECUTE q INTO st_new USING cand;
            ll_new := nfrec._logreg_penalized_ll(st_new, l2);
            -- (a rounding-level decrease at the optimum is not a failure)
            IF ll_new >= ll - 1e-13 * abs(ll) THEN
                accepted := true;
                EXIT;
            END IF;
            t := t * 0.5;
        END LOOP;
        IF NOT accepted THEN
            -- no step improves the likelihood: the optimum, to rounding
            converged := true;
            EXIT;
        END IF;
        SELECT max(abs(t * u.s) / (1 + abs(u.c))) INTO last_rel_step FROM unnest(step, cand) u(s, c);
        beta := cand;
        st := st_new;
        iterations := it;
        IF abs(ll_new - ll) / (abs(ll_new) + 0.05) < tol THEN
            ll := ll_new;
            converged := true;
            EXIT;
        END IF;
        ll := ll_new;
    END LOOP;

    IF l2 = 0 THEN
        EXECUTE format($q$SELECT count(*) FILTER (WHERE r.label IS NOT NULL AND r.features IS NOT NULL
                                                  AND nfrec._logreg_extreme($1, r.features))
                          FROM %s$q$, src)
            INTO n_extreme USING beta;
    END IF;
    RETURN nfrec._logreg_fit_result(st, l2, iterations, converged, ll, nskip, n_extreme, last_rel_step);
END
$fn$;
COMMENT ON FUNCTION _logreg_fit(regclass, jsonb, name) IS
    'internal (churn_model on distributed tables): logreg_train(label, features, options) over the rows of rel (those with train_column true, when given), fitted by the same Newton iterations with one split aggregate (_logreg_sums) per trial point instead of keeping the rows; the same model to rounding';

-- AUC ------------------------------------------------------------------
--
-- The state is nfrec.auc_state, a real type (not internal) so that Citus
-- runs auc as worker partials plus a coordinator combine: positives and
-- negatives counted per distinct score, all the Mann-Whitney count needs,
-- with the text form "npos/nneg;score=pos/neg;..." (scores ascending in
-- shortest exact decimal).

CREATE TYPE auc_state;
CREATE FUNCTION auc_state_in(cstring) RETURNS auc_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION auc_state_out(auc_state) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION auc_state_recv(internal) RETURNS auc_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION auc_state_send(auc_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE auc_state (
    INPUT = auc_state_in,
    OUTPUT = auc_state_out,
    RECEIVE = auc_state_recv,
    SEND = auc_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE auc_state IS
    'state of auc: positives and negatives per distinct score; text form npos/nneg;score=pos/neg;...';
COMMENT ON FUNCTION auc_state_in(cstring) IS 'input function of nfrec.auc_state (npos/nneg;score=pos/neg;...)';
COMMENT ON FUNCTION auc_state_out(auc_state) IS 'output function of nfrec.auc_state (scores ascending in shortest exact decimal)';
COMMENT ON FUNCTION auc_state_recv(internal) IS 'binary input function of nfrec.auc_state (validated)';
COMMENT ON FUNCTION auc_state_send(auc_state) IS 'binary output function of nfrec.auc_state';

CREATE FUNCTION _auc_state_accum(auc_state, score float8, label bool) RETURNS auc_state
    AS 'MODULE_PATHNAME', 'auc_state_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _auc_state_combine(auc_state, auc_state) RETURNS auc_state
    AS 'MODULE_PATHNAME', 'auc_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _auc_state_final(auc_state) RETURNS float8
    AS 'MODULE_PATHNAME', 'auc_state_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _auc_state_accum(auc_state, float8, bool) IS 'internal: transition function of auc (counts the row at its score)';
COMMENT ON FUNCTION _auc_state_combine(auc_state, auc_state) IS 'internal: combine function of auc';
COMMENT ON FUNCTION _auc_state_final(auc_state) IS 'internal: final function of auc (Mann-Whitney count over the sorted distinct scores)';

CREATE AGGREGATE auc(score float8, label bool) (
    SFUNC = _auc_state_accum,
    STYPE = auc_state,
    COMBINEFUNC = _auc_state_combine,
    FINALFUNC = _auc_state_final,
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

-- One Lloyd iteration as an aggregate that splits: kmeans keeps every row
-- (its k-means++ start and restarts need them all), so under Citus it
-- pulls them; kmeans_step(v, centroids) needs only per-cluster counts and
-- sums, which add up across shards (state nfrec.kmeans_state, text form
-- "d;centroid:count:sum;..."), so a driver loop runs each iteration as
-- worker partials plus a coordinator combine (doc/scale.md).

CREATE TYPE kmeans_state;
CREATE FUNCTION kmeans_state_in(cstring) RETURNS kmeans_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_state_out(kmeans_state) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_state_recv(internal) RETURNS kmeans_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_state_send(kmeans_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE kmeans_state (
    INPUT = kmeans_state_in,
    OUTPUT = kmeans_state_out,
    RECEIVE = kmeans_state_recv,
    SEND = kmeans_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE kmeans_state IS
    'state of kmeans_step: the given centroids and, per cluster, the number and the sum of the rows nearest to it; text form d;centroid:count:sum;...';
COMMENT ON FUNCTION kmeans_state_in(cstring) IS 'input function of nfrec.kmeans_state (d;centroid:count:sum;..., vectors comma-separated)';
COMMENT ON FUNCTION kmeans_state_out(kmeans_state) IS 'output function of nfrec.kmeans_state (shortest exact decimals)';
COMMENT ON FUNCTION kmeans_state_recv(internal) IS 'binary input function of nfrec.kmeans_state (validated)';
COMMENT ON FUNCTION kmeans_state_send(kmeans_state) IS 'binary output function of nfrec.kmeans_state';

CREATE FUNCTION _kmeans_step_accum(kmeans_state, v float8[], centroids float8[]) RETURNS kmeans_state
    AS 'MODULE_PATHNAME', 'kmeans_step_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _kmeans_step_combine(kmeans_state, kmeans_state) RETURNS kmeans_state
    AS 'MODULE_PATHNAME', 'kmeans_step_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _kmeans_step_final(kmeans_state) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'kmeans_step_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _kmeans_step_accum(kmeans_state, float8[], float8[]) IS 'internal: transition function of kmeans_step (adds v to its nearest centroid''s count and sum)';
COMMENT ON FUNCTION _kmeans_step_combine(kmeans_state, kmeans_state) IS 'internal: combine function of kmeans_step';
COMMENT ON FUNCTION _kmeans_step_final(kmeans_state) IS 'internal: final function of kmeans_step (the means)';

CREATE AGGREGATE kmeans_step(v float8[], centroids float8[]) (
    SFUNC = _kmeans_step_accum,
    STYPE = kmeans_state,
    COMBINEFUNC = _kmeans_step_combine,
    FINALFUNC = _kmeans_step_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE kmeans_step(float8[], float8[]) IS
    'one Lloyd iteration of k-means: given the k x d centroids (the same in every row, e.g. from kmeans or a previous step), the k x d array of the means of the vectors nearest to each centroid (ties: the lower row, as closest_centroid); a centroid no vector chose stays where it is; NULL vectors are skipped, NULL for no rows; splits into partials under parallel query and Citus';
