-- logreg_train / logreg_predict: logistic regression by Newton/IRLS.
-- Checked against closed forms (a model of group indicators reproduces the
-- group log-odds exactly, with standard errors sqrt(sum 1/k + 1/(n-k))),
-- and against the score equations and the information matrix evaluated in
-- plain SQL at the returned coefficients.

-- one binary feature: 10 of 40 positive at x = 0, 36 of 60 at x = 1.
-- b0 = logit(10/40) = ln(1/3), b1 = logit(36/60) - logit(10/40) = ln(4.5),
-- se(b0) = sqrt(1/10 + 1/30), se(b1) = sqrt(1/10 + 1/30 + 1/36 + 1/24)
CREATE TEMP TABLE lr1 AS
SELECT (g <= 10) AS y, 0.0::float8 AS x FROM generate_series(1, 40) g
UNION ALL SELECT (g <= 36), 1.0 FROM generate_series(1, 60) g;
CREATE TEMP TABLE m1 AS SELECT nfrec.logreg_train(y, ARRAY[x]) AS m FROM lr1;
SELECT round((m->'coef'->>0)::numeric, 10) AS b0, round((m->'coef'->>1)::numeric, 10) AS b1,
       abs((m->'coef'->>0)::float8 - ln(1 / 3.0)) < 1e-10 AS b0_ok,
       abs((m->'coef'->>1)::float8 - ln(4.5)) < 1e-10 AS b1_ok,
       abs((m->'std_err'->>0)::float8 - sqrt(1 / 10.0 + 1 / 30.0)) < 1e-10 AS se0_ok,
       abs((m->'std_err'->>1)::float8 - sqrt(1 / 10.0 + 1 / 30.0 + 1 / 36.0 + 1 / 24.0)) < 1e-10 AS se1_ok
FROM m1;
-- log-likelihoods: sum k ln p + (n - k) ln(1 - p) per group; null model p = 46/100
SELECT abs((m->>'log_likelihood')::float8
           - (10 * ln(0.25) + 30 * ln(0.75) + 36 * ln(0.6) + 24 * ln(0.4))) < 1e-10 AS loglik_ok,
       abs((m->>'null_log_likelihood')::float8 - (46 * ln(0.46) + 54 * ln(0.54))) < 1e-10 AS null_ok,
       abs((m->>'aic')::float8 - (4 - 2 * (10 * ln(0.25) + 30 * ln(0.75) + 36 * ln(0.6) + 24 * ln(0.4)))) < 1e-9 AS aic_ok,
       abs((m->'z'->>1)::float8 - ln(4.5) / sqrt(1 / 10.0 + 1 / 30.0 + 1 / 36.0 + 1 / 24.0)) < 1e-9 AS z_ok,
       abs((m->'p_value'->>1)::float8 - 2 * nfrec.normal_cdf(-abs((m->'z'->>1)::float8))) < 1e-15 AS p_ok,
       m->'n' AS n, m->'n_positive' AS n_positive, m->'converged' AS converged, m->'features' AS features
FROM m1;
SELECT jsonb_object_keys(m) AS key FROM m1 ORDER BY 1;

-- three groups as two indicator features: 5/20, 12/30, 30/40 positive
CREATE TEMP TABLE lr3 AS
SELECT (g <= 5) AS y, ARRAY[0, 0]::float8[] AS x FROM generate_series(1, 20) g
UNION ALL SELECT (g <= 12), ARRAY[1, 0]::float8[] FROM generate_series(1, 30) g
UNION ALL SELECT (g <= 30), ARRAY[0, 1]::float8[] FROM generate_series(1, 40) g;
SELECT abs((m->'coef'->>0)::float8 - ln(5 / 15.0)) < 1e-10 AS b0_ok,
       abs((m->'coef'->>1)::float8 - (ln(12 / 18.0) - ln(5 / 15.0))) < 1e-10 AS b1_ok,
       abs((m->'coef'->>2)::float8 - (ln(30 / 10.0) - ln(5 / 15.0))) < 1e-10 AS b2_ok,
       abs((m->'std_err'->>2)::float8 - sqrt(1 / 5.0 + 1 / 15.0 + 1 / 30.0 + 1 / 10.0)) < 1e-10 AS se2_ok
FROM (SELECT nfrec.logreg_train(y, x) AS m FROM lr3) s;

-- continuous features: at the MLE the score Z'(y - mu) is zero and the
-- standard errors are the square roots of diag((Z'WZ)^-1); both computed
-- here in SQL (3 x 3 inverse by cofactors)
CREATE TEMP TABLE lrc AS
SELECT g, sin(g * 0.7) * 2 AS x1, cos(g * 1.3) + (g % 7) / 7.0 AS x2,
       (0.3 + 1.2 * sin(g * 0.7) * 2 - 0.8 * (cos(g * 1.3) + (g % 7) / 7.0) + 2.5 * sin(g * 12.9898)) > 0 AS y
FROM generate_series(1, 500) g;
CREATE TEMP TABLE mc AS SELECT nfrec.logreg_train(y, ARRAY[x1, x2]) AS m FROM lrc;
CREATE TEMP TABLE fit AS
SELECT g, y, x1, x2, 1 / (1 + exp(-((m->'coef'->>0)::float8 + (m->'coef'->>1)::float8 * x1 + (m->'coef'->>2)::float8 * x2))) AS mu
FROM lrc, mc;
SELECT max(abs(s)) < 1e-9 AS score_is_zero
FROM (SELECT sum(y::int - mu) AS s FROM fit UNION ALL SELECT sum((y::int - mu) * x1) FROM fit
      UNION ALL SELECT sum((y::int - mu) * x2) FROM fit) t;
WITH h AS (SELECT sum(mu * (1 - mu)) AS a, sum(mu * (1 - mu) * x1) AS b, sum(mu * (1 - mu) * x2) AS c,
                  sum(mu * (1 - mu) * x1 * x1) AS d, sum(mu * (1 - mu) * x1 * x2) AS e,
                  sum(mu * (1 - mu) * x2 * x2) AS f FROM fit),
     inv AS (SELECT (d * f - e * e) / det AS i00, (a * f - c * c) / det AS i11, (a * d - b * b) / det AS i22
             FROM (SELECT *, a * (d * f - e * e) - b * (b * f - c * e) + c * (b * e - c * d) AS det FROM h) h2)
SELECT abs((m->'std_err'->>0)::float8 - sqrt(i00)) < 1e-9 AS se0_ok,
       abs((m->'std_err'->>1)::float8 - sqrt(i11)) < 1e-9 AS se1_ok,
       abs((m->'std_err'->>2)::float8 - sqrt(i22)) < 1e-9 AS se2_ok,
       abs((m->>'log_likelihood')::float8 - (SELECT sum(CASE WHEN y THEN ln(mu) ELSE ln(1 - mu) END) FROM fit)) < 1e-9 AS loglik_ok,
       round((m->'coef'->>1)::numeric, 6) AS b1, round((m->'coef'->>2)::numeric, 6) AS b2
FROM mc, inv;

-- logreg_predict is sigma(b0 + b.x)
SELECT max(abs(nfrec.logreg_predict(m, ARRAY[x1, x2]) - mu)) < 1e-15 AS predict_ok FROM fit, mc;
SELECT nfrec.logreg_predict('{"coef": [0, 1]}', '{0}') AS half,
       nfrec.logreg_predict('{"coef": [0, 1]}', '{800}') AS one,
       nfrec.logreg_predict('{"coef": [0, 1]}', '{-800}') AS zero,
       round(nfrec.logreg_predict('{"coef": [-1, 2, 0.5]}', '{1, 2}')::numeric, 15) AS p,
       round((1 / (1 + exp(-2)))::numeric, 15) AS p_expected;

-- L2 penalty on the slopes only: the penalized score equations
-- sum(y - mu) = 0 and sum((y - mu) x_j) - l2 b_j = 0 hold
CREATE TEMP TABLE ml2 AS SELECT nfrec.logreg_train(y, ARRAY[x1, x2], '{"l2": 25}') AS m FROM lrc;
WITH f AS (SELECT y, x1, x2, 1 / (1 + exp(-((m->'coef'->>0)::float8 + (m->'coef'->>1)::float8 * x1
                                          + (m->'coef'->>2)::float8 * x2))) AS mu FROM lrc, ml2)
SELECT abs(sum(y::int - mu)) < 1e-9 AS intercept_unpenalized,
       abs(sum((y::int - mu) * x1) - 25 * (SELECT (m->'coef'->>1)::float8 FROM ml2)) < 1e-9 AS slope1_ok,
       abs(sum((y::int - mu) * x2) - 25 * (SELECT (m->'coef'->>2)::float8 FROM ml2)) < 1e-9 AS slope2_ok,
       (SELECT abs((ml2.m->'coef'->>1)::float8) < abs((mc.m->'coef'->>1)::float8) FROM ml2, mc) AS shrunk,
       (SELECT m->'aic' = 'null' AND m ? 'penalized_log_likelihood' FROM ml2) AS aic_null
FROM f;
-- the penalty makes a separated problem solvable
SELECT (m->>'converged')::bool AS converged, (m->'coef'->>1)::float8 > 0 AS positive_slope
FROM (SELECT nfrec.logreg_train(x > 5, ARRAY[x::float8], '{"l2": 1}') AS m FROM generate_series(1, 10) x) s;

-- a row fitted at probability ~1 because of an extreme feature value is
-- fine (the MLE exists): same coefficients as without it
SELECT abs((m->'coef'->>1)::float8 - ln(4.5)) < 1e-9 AS unchanged, m->'converged' AS converged
FROM (SELECT nfrec.logreg_train(y, ARRAY[x]) AS m FROM (SELECT * FROM lr1 UNION ALL SELECT true, 30.0) u) s;

-- NULL rows are skipped and counted; NULL options mean the defaults;
-- no rows at all give NULL
SELECT m->'n' AS n, m->'n_skipped' AS n_skipped, abs((m->'coef'->>1)::float8 - ln(4.5)) < 1e-10 AS same_fit
FROM (SELECT nfrec.logreg_train(y, f, NULL) AS m
      FROM (SELECT y, ARRAY[x] AS f FROM lr1 UNION ALL SELECT NULL, '{1}' UNION ALL SELECT true, NULL) u) s;
SELECT nfrec.logreg_train(y, ARRAY[x]) IS NULL AS no_rows FROM lr1 WHERE false;
SELECT nfrec.logreg_train(NULL::bool, ARRAY[x]) IS NULL AS all_null FROM lr1;
-- max_iter reached: a WARNING and converged = false, coefficients as far as they got
SELECT m->'converged' AS converged, m->'iterations' AS iterations
FROM (SELECT nfrec.logreg_train(y, ARRAY[x1, x2], '{"max_iter": 1}') AS m FROM lrc) s;

-- parallel partial aggregation gives the same model
CREATE TABLE lrbig AS
SELECT g, sin(g * 0.7) AS x1, cos(g * 0.11) AS x2, (sin(g * 0.7) + 0.5 * cos(g * 0.11) + sin(g * 7.77) * 1.5) > 0 AS y
FROM generate_series(1, 40000) g;
ALTER TABLE lrbig SET (parallel_workers = 2);
ANALYZE lrbig;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT nfrec.logreg_train(y, ARRAY[x1, x2], '{"l2": 0.5}') FROM lrbig;
CREATE TEMP TABLE mpar AS SELECT nfrec.logreg_train(y, ARRAY[x1, x2], '{"l2": 0.5}') AS m FROM lrbig;
SET max_parallel_workers_per_gather = 0;
SELECT abs((p.m->'coef'->>1)::float8 - (s.m->'coef'->>1)::float8) < 1e-10 AS same_coef,
       abs((p.m->'std_err'->>2)::float8 - (s.m->'std_err'->>2)::float8) < 1e-12 AS same_se,
       p.m->'n' = s.m->'n' AS same_n, round((s.m->'coef'->>1)::numeric, 6) AS b1
FROM mpar p, (SELECT nfrec.logreg_train(y, ARRAY[x1, x2], '{"l2": 0.5}') AS m FROM lrbig) s;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE lrbig;

-- data that has no maximum-likelihood estimate, and bad input
-- perfect separation
SELECT nfrec.logreg_train(x > 5, ARRAY[x::float8]) FROM generate_series(1, 10) x;
-- quasi-complete separation: x >= 15 always positive, overlap below
SELECT nfrec.logreg_train(CASE WHEN x >= 15 THEN true ELSE x % 2 = 0 END, ARRAY[(x >= 15)::int::float8])
FROM generate_series(1, 20) x;
-- singular designs: a duplicated (scaled) feature, a constant feature, too few rows
SELECT nfrec.logreg_train(y, ARRAY[x1, 2 * x1]) FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1, 3]) FROM lrc;
SELECT nfrec.logreg_train(g % 2 = 0, ARRAY[g, g * g, sqrt(g)]::float8[]) FROM generate_series(1, 3) g;
-- a single label
SELECT nfrec.logreg_train(true, ARRAY[x1]) FROM lrc;
\set VERBOSITY sqlstate
SELECT nfrec.logreg_train(x > 5, ARRAY[x::float8]) FROM generate_series(1, 10) x;
SELECT nfrec.logreg_train(y, ARRAY[x1, 2 * x1]) FROM lrc;
SELECT nfrec.logreg_train(false, ARRAY[x1]) FROM lrc;
SELECT nfrec.logreg_train(y, CASE WHEN g < 10 THEN ARRAY[x1] ELSE ARRAY[x1, x2] END) FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1, 'NaN']) FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1, '-Infinity']) FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1, NULL]) FROM lrc;
SELECT nfrec.logreg_train(y, '{}'::float8[]) FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[[x1, x2]]) FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], '{"lambda": 1}') FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], '{"l2": -1}') FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], '{"l2": "big"}') FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], '{"max_iter": 0}') FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], '{"max_iter": 2.5}') FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], '{"tol": 0}') FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], '[]') FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], jsonb_build_object('l2', g % 2)) FROM lrc;
SELECT nfrec.logreg_predict('[1, 2]', '{1}');
SELECT nfrec.logreg_predict('{"coefs": [1, 2]}', '{1}');
SELECT nfrec.logreg_predict('{"coef": 1}', '{1}');
SELECT nfrec.logreg_predict('{"coef": [1, "a"]}', '{1}');
SELECT nfrec.logreg_predict('{"coef": []}', '{1}');
SELECT nfrec.logreg_predict('{"coef": [1, 2]}', '{1, 2}');
SELECT nfrec.logreg_predict('{"coef": [1, 2]}', '{NaN}');
\set VERBOSITY default
SELECT nfrec.logreg_train(y, CASE WHEN g < 10 THEN ARRAY[x1] ELSE ARRAY[x1, x2] END) FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], '{"lambda": 1}') FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], '{"max_iter": 0}') FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], '{"tol": 0}') FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], '{"l2": -1}') FROM lrc;
SELECT nfrec.logreg_train(y, ARRAY[x1], jsonb_build_object('l2', g % 2)) FROM lrc;
SELECT nfrec.logreg_predict('{"coefs": [1, 2]}', '{1}');
SELECT nfrec.logreg_predict('{"coef": [1, 2]}', '{1, 2}');
