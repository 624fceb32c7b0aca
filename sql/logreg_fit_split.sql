-- nfrec._logreg_fit: logreg_train's fit driven through split aggregates
-- (one _logreg_sums pass per Newton trial point), as churn_model fits on
-- Citus (doc/scale.md).  Checked against logreg_train on the same rows and
-- against the optimality condition computed in SQL.
\set VERBOSITY terse
CREATE TEMP TABLE lf_rows AS
SELECT i AS id, i % 5 <> 0 AS train,
       ARRAY[sin(i * 0.37) * 2, (i % 7) / 3.0, cos(i * 0.11)]::float8[] AS features,
       ((i * 7919) % 100) / 100.0 < 1 / (1 + exp(-(0.3 + 1.2 * sin(i * 0.37) * 2 - 0.8 * (i % 7) / 3.0))) AS label
  FROM generate_series(1, 3000) i;
INSERT INTO lf_rows VALUES (0, true, NULL, true), (-1, true, '{1,2,3}', NULL);

-- the same model as logreg_train, l2 = 0 and l2 = 1, all rows and the
-- train rows: every number within 1e-9 relative, the same counts
CREATE TEMP TABLE lf_cmp AS
SELECT o.opts, o.col,
       nfrec._logreg_fit('lf_rows', o.opts, o.col) AS split,
       (SELECT nfrec.logreg_train(r.label, r.features, o.opts) FROM lf_rows r
         WHERE o.col IS NULL OR r.train) AS direct
  FROM (VALUES ('{}'::jsonb, NULL::name), ('{"l2": 1}', NULL), ('{"l2": 1}', 'train'),
               ('{"l2": 0.5, "tol": 1e-12, "max_iter": 40}', 'train')) o(opts, col);
SELECT c.opts, c.col,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(c.split) k)
         = (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(c.direct) k) AS same_keys,
       (SELECT bool_and(CASE jsonb_typeof(c.direct -> k)
                          WHEN 'number' THEN abs((c.split ->> k)::float8 - (c.direct ->> k)::float8)
                                             <= 1e-9 * greatest(abs((c.direct ->> k)::float8), 1e-300)
                          WHEN 'array' THEN (SELECT bool_and(abs(a.v::float8 - b.v::float8) <= 1e-9 * abs(b.v::float8))
                                               FROM jsonb_array_elements_text(c.split -> k) WITH ORDINALITY a(v, o)
                                               JOIN jsonb_array_elements_text(c.direct -> k) WITH ORDINALITY b(v, o)
                                                 ON a.o = b.o)
                          ELSE c.split -> k = c.direct -> k END)
          FROM jsonb_object_keys(c.direct) k) AS within_1e9,
       c.split -> 'n' AS n, c.split -> 'n_skipped' AS n_skipped, c.split -> 'iterations' AS iterations,
       c.direct -> 'iterations' AS direct_iterations, c.split -> 'converged' AS converged
  FROM lf_cmp c ORDER BY c.col NULLS FIRST, c.opts;

-- independently: at the fitted coefficients the penalized gradient
-- sum_i (y_i - p_i) z_i - l2 b (slopes) is zero (relative to the sum of
-- |(y_i - p_i) z_i|), and the log-likelihood is the SQL sum
SELECT c.opts, c.col,
       max(abs(g.g - CASE WHEN g.j > 1 THEN coalesce((c.opts ->> 'l2')::float8, 0) * (c.split -> 'coef' ->> (g.j - 1)::int)::float8 ELSE 0 END)
           / g.scale) < 1e-8 AS gradient_zero,
       abs(min(g.ll) - (c.split ->> 'log_likelihood')::float8) < 1e-9 * abs(min(g.ll)) AS log_likelihood_sql
  FROM lf_cmp c,
       LATERAL (SELECT z.j, sum((r.label::int - p.p) * z.z) AS g, sum(abs((r.label::int - p.p) * z.z)) AS scale,
                       max(s.ll) AS ll
                  FROM lf_rows r
                  CROSS JOIN LATERAL (SELECT 1 / (1 + exp(-((c.split -> 'coef' ->> 0)::float8
                                              + (SELECT sum((c.split -> 'coef' ->> k)::float8 * r.features[k])
                                                   FROM generate_series(1, 3) k)))) AS p) p
                  CROSS JOIN LATERAL unnest(ARRAY[1::float8] || r.features) WITH ORDINALITY z(z, j)
                  CROSS JOIN (SELECT sum(CASE WHEN r2.label THEN ln(1 / (1 + exp(-e.eta))) ELSE ln(1 - 1 / (1 + exp(-e.eta))) END) AS ll
                                FROM lf_rows r2,
                                     LATERAL (SELECT (c.split -> 'coef' ->> 0)::float8
                                                     + (SELECT sum((c.split -> 'coef' ->> k)::float8 * r2.features[k])
                                                          FROM generate_series(1, 3) k) AS eta) e
                               WHERE r2.label IS NOT NULL AND r2.features IS NOT NULL
                                 AND (c.col IS NULL OR r2.train)) s
                 WHERE r.label IS NOT NULL AND r.features IS NOT NULL AND (c.col IS NULL OR r.train)
                 GROUP BY z.j) g
 GROUP BY c.opts, c.col, c.split ORDER BY c.col NULLS FIRST, c.opts;

-- the same errors and edge results as logreg_train
CREATE TEMP TABLE lf_sep AS
SELECT i AS id, ARRAY[i::float8] AS features, i > 10 AS label FROM generate_series(1, 20) i;
SELECT nfrec._logreg_fit('lf_sep', '{}');
SELECT nfrec.logreg_train(label, features) FROM lf_sep;
SELECT nfrec._logreg_fit('lf_sep', '{"l2": 1}') -> 'converged' AS penalized_converges;
CREATE TEMP TABLE lf_one AS SELECT i AS id, ARRAY[i::float8] AS features, true AS label FROM generate_series(1, 5) i;
SELECT nfrec._logreg_fit('lf_one', '{}');
SELECT nfrec.logreg_train(label, features) FROM lf_one;
CREATE TEMP TABLE lf_sing AS
SELECT i AS id, ARRAY[i::float8, 2 * i] AS features, i % 3 = 0 AS label FROM generate_series(1, 30) i;
SELECT nfrec._logreg_fit('lf_sing', '{}');
SELECT nfrec.logreg_train(label, features) FROM lf_sing;
SELECT nfrec._logreg_fit('lf_rows', '{"l3": 1}');
SELECT nfrec._logreg_fit('lf_rows', '{"l2": -1}');
SELECT nfrec._logreg_fit('lf_rows', NULL);
SELECT nfrec._logreg_fit('lf_rows', '{}', 'nosuch');
SELECT nfrec._logreg_fit('lf_sep', '{}', 'label');
-- no rows: NULL, as logreg_train
CREATE TEMP TABLE lf_empty (features float8[], label bool);
SELECT nfrec._logreg_fit('lf_empty', '{}') IS NULL AS no_rows;
