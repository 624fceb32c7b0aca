-- nfrec.als_train: implicit-feedback ALS as an aggregate.
-- The math is checked against SQL computations over the exported factors:
-- the gradient of the objective at an exact (Cholesky) half-step is zero,
-- the model's loss equals the objective summed in SQL, the loss never
-- increases, and CG approaches the exact solution as cg_steps grows.

-- A tiny matrix: 6 users, 5 titles; (1,10) appears twice (summed to 1.5),
-- (4,10) is a dislike (negative weight), (5,14) has weight 0 (seen, no
-- signal).
CREATE TEMP TABLE tiny (u bigint, i bigint, w float8);
INSERT INTO tiny VALUES
  (1, 10, 1), (1, 11, 2), (1, 10, 0.5),
  (2, 10, 1), (2, 12, 3),
  (3, 11, 1), (3, 12, 1), (3, 13, 1),
  (4, 13, 2), (4, 10, -1),
  (5, 10, 1), (5, 13, 1), (5, 14, 0),
  (6, 11, 4), (6, 14, 1);

-- Byte fingerprint of a model with its two timing fields (train_seconds and
-- trained_at, bytes 44..59 of the payload = hex digits 91..122 of the text
-- form) zeroed.
CREATE FUNCTION pg_temp.fp(m nfrec.als_model) RETURNS text LANGUAGE sql AS $$
  SELECT md5(overlay(m::text PLACING repeat('0', 32) FROM 91 FOR 32))
$$;

-- Largest |gradient| of the objective with respect to the rows of one side
-- (factors from rows_m) with the other side's factors taken from cols_m:
--   dL/dr / 2 = sum over ALL columns c of conf * (r.c - pref) * c + lam_r * r
-- conf = 1 + alpha |w|, pref = (w > 0) for observed pairs (weights summed),
-- conf = 1, pref = 0 for the others; lam_r = lam (* events of r if freq).
CREATE FUNCTION pg_temp.max_grad(rows_m nfrec.als_model, side text, cols_m nfrec.als_model,
                                 alpha float8, lam float8, freq bool)
RETURNS float8 LANGUAGE sql AS $$
  WITH r AS (SELECT id AS rid, factors AS rf FROM nfrec._als_factors(rows_m, side)),
       c AS (SELECT id AS cid, factors AS cf
             FROM nfrec._als_factors(cols_m, CASE side WHEN 'user' THEN 'item' ELSE 'user' END)),
       obs AS (SELECT CASE side WHEN 'user' THEN u ELSE i END AS rid,
                      CASE side WHEN 'user' THEN i ELSE u END AS cid, sum(w) AS w
               FROM tiny GROUP BY 1, 2),
       n AS (SELECT rid, count(*) AS n FROM obs GROUP BY rid),
       t AS (SELECT rid, rf, cf,
                    CASE WHEN o.w IS NULL THEN 1 ELSE 1 + alpha * abs(o.w) END AS conf,
                    CASE WHEN o.w > 0 THEN 1 ELSE 0 END AS pref,
                    (SELECT sum(a::float8 * b) FROM unnest(rf, cf) AS z(a, b)) AS s
             FROM r CROSS JOIN c LEFT JOIN obs o USING (rid, cid)),
       g AS (SELECT rid, j,
                    sum(conf * (s - pref) * cf[j]) +
                    lam * CASE WHEN freq THEN max(n.n) ELSE 1 END * max(rf[j]) AS g
             FROM t JOIN n USING (rid), generate_series(1, array_length(rf, 1)) AS j
             GROUP BY rid, j)
  SELECT max(abs(g)) FROM g
$$;

-- The objective summed in SQL over every (user, title) pair.
CREATE FUNCTION pg_temp.sql_loss(m nfrec.als_model, alpha float8, lam float8, freq bool)
RETURNS float8 LANGUAGE sql AS $$
  WITH x AS (SELECT id AS u, factors AS xf FROM nfrec._als_factors(m, 'user')),
       y AS (SELECT id AS i, factors AS yf FROM nfrec._als_factors(m, 'item')),
       obs AS (SELECT u, i, sum(w) AS w FROM tiny GROUP BY 1, 2),
       nu AS (SELECT u, count(*) AS n FROM obs GROUP BY u),
       ni AS (SELECT i, count(*) AS n FROM obs GROUP BY i),
       t AS (SELECT CASE WHEN o.w IS NULL THEN 1 ELSE 1 + alpha * abs(o.w) END AS conf,
                    CASE WHEN o.w > 0 THEN 1 ELSE 0 END AS pref,
                    (SELECT sum(a::float8 * b) FROM unnest(xf, yf) AS z(a, b)) AS s
             FROM x CROSS JOIN y LEFT JOIN obs o USING (u, i))
  SELECT (SELECT sum(conf * (pref - s) ^ 2) FROM t)
       + lam * (SELECT sum(CASE WHEN freq THEN n ELSE 1 END * (SELECT sum(a::float8 * a) FROM unnest(xf) a))
                FROM x JOIN nu USING (u))
       + lam * (SELECT sum(CASE WHEN freq THEN n ELSE 1 END * (SELECT sum(a::float8 * a) FROM unnest(yf) a))
                FROM y JOIN ni USING (i))
$$;

-- Cholesky models after 1..8 iterations, plain and frequency-scaled
-- regularization.  Training is deterministic, so the model after n - 1
-- iterations holds the title factors the users were solved against in
-- iteration n.
CREATE TEMP TABLE chol AS
SELECT s.scaling, n,
       nfrec.als_train(u, i, w, jsonb_build_object('factors', 3, 'iterations', n, 'solver', 'cholesky',
                                                   'alpha', 2, 'regularization', 0.3,
                                                   'regularization_scaling', s.scaling, 'verbose', false)) AS m
FROM tiny, generate_series(0, 8) AS n, (VALUES ('none'), ('frequency')) AS s(scaling)
GROUP BY s.scaling, n;

-- shape of a model
SELECT nfrec.model_info(m) - 'train_seconds' - 'trained_at' - 'loss' - 'alpha' - 'regularization' AS info,
       (nfrec.model_info(m)->>'alpha')::float8 = 2 AS alpha_recorded,
       (nfrec.model_info(m)->>'regularization')::float8 = 0.3 AS regularization_recorded
FROM chol WHERE n = 8 AND scaling = 'none';
-- when it was trained (a timestamp, not part of the fingerprint)
SELECT (nfrec.model_info(m)->>'trained_at')::timestamptz
         BETWEEN now() - interval '1 hour' AND clock_timestamp() AS trained_at_recorded
FROM chol WHERE n = 8 AND scaling = 'none';

-- title step exact: the gradient in the titles' factors vanishes
SELECT c.scaling, c.n,
       pg_temp.max_grad(c.m, 'item', c.m, 2, 0.3, c.scaling = 'frequency') < 1e-5 AS title_grad_zero
FROM chol c WHERE c.n IN (1, 4, 8) ORDER BY 1, 2;
-- user step exact: users' factors after n iterations are optimal for the
-- title factors after n - 1 iterations
SELECT c.scaling, c.n,
       pg_temp.max_grad(c.m, 'user', p.m, 2, 0.3, c.scaling = 'frequency') < 1e-5 AS user_grad_zero
FROM chol c JOIN chol p ON p.scaling = c.scaling AND p.n = c.n - 1
WHERE c.n IN (1, 4, 8) ORDER BY 1, 2;
-- ... and they are not optimal for the final title factors (the check can fail)
SELECT pg_temp.max_grad(c.m, 'user', c.m, 2, 0.3, false) > 1e-3 AS stale_user_grad_nonzero
FROM chol c WHERE c.n = 1 AND c.scaling = 'none';

-- the reported loss is the objective, recomputed in SQL
SELECT scaling, n,
       abs((nfrec.model_info(m)->>'loss')::float8 - pg_temp.sql_loss(m, 2, 0.3, scaling = 'frequency'))
         / pg_temp.sql_loss(m, 2, 0.3, scaling = 'frequency') < 1e-6 AS loss_matches
FROM chol WHERE n IN (0, 1, 8) ORDER BY 1, 2;

-- the loss never increases across Cholesky iterations (and does decrease)
SELECT scaling,
       bool_and(loss <= prev * (1 + 1e-9)) AS never_increases,
       min(loss) FILTER (WHERE n = 8) < min(loss) FILTER (WHERE n = 1) AS decreases
FROM (SELECT scaling, n, (nfrec.model_info(m)->>'loss')::float8 AS loss,
             lag((nfrec.model_info(m)->>'loss')::float8) OVER (PARTITION BY scaling ORDER BY n) AS prev
      FROM chol) s
GROUP BY scaling ORDER BY scaling;

-- iterations = 0: the seeded start, uniform in [0, 0.01)
SELECT count(*) AS values, min(v) >= 0 AS nonneg, max(v) < 0.01 AS below_001, count(DISTINCT v) = count(*) AS distinct_values
FROM chol, nfrec._als_factors(m, 'item') f, unnest(f.factors) v WHERE n = 0 AND scaling = 'none';

-- CG approaches the Cholesky solution as cg_steps grows (3 factors: exact
-- after 3 steps up to rounding)
WITH cg AS (
  SELECT steps, nfrec.als_train(u, i, w, jsonb_build_object('factors', 3, 'iterations', 4, 'solver', 'cg',
                                         'cg_steps', steps, 'alpha', 2, 'regularization', 0.3, 'verbose', false)) AS m
  FROM tiny, generate_series(1, 3) steps GROUP BY steps
), ref AS (
  SELECT m FROM chol WHERE n = 4 AND scaling = 'none'
), d AS (
  SELECT steps, max(abs(a - b)) AS dist
  FROM cg, ref, (VALUES ('user'), ('item')) AS s(side),
       LATERAL (SELECT f1.factors AS f1, f2.factors AS f2
                FROM nfrec._als_factors(cg.m, s.side) f1
                JOIN nfrec._als_factors(ref.m, s.side) f2 USING (id)) p,
       unnest(p.f1, p.f2) AS z(a, b)
  GROUP BY steps
)
SELECT (SELECT dist FROM d WHERE steps = 1) > (SELECT dist FROM d WHERE steps = 2) AS two_closer_than_one,
       (SELECT dist FROM d WHERE steps = 2) > (SELECT dist FROM d WHERE steps = 3) AS three_closer_than_two,
       (SELECT dist FROM d WHERE steps = 1) > 1e-3 AS one_step_inexact,
       (SELECT dist FROM d WHERE steps = 3) < 1e-4 AS three_steps_exact;

-- Determinism: the same model whatever the row order or thread count
SELECT count(DISTINCT pg_temp.fp(m)) AS distinct_models, count(*) AS runs
FROM (
  SELECT nfrec.als_train(u, i, w, '{"factors": 4, "iterations": 3, "verbose": false}') AS m FROM (SELECT * FROM tiny ORDER BY u, i) s
  UNION ALL
  SELECT nfrec.als_train(u, i, w, '{"factors": 4, "iterations": 3, "verbose": false}') FROM (SELECT * FROM tiny ORDER BY i DESC, w) s
  UNION ALL
  SELECT nfrec.als_train(u, i, w, '{"factors": 4, "iterations": 3, "verbose": false}') FROM (SELECT * FROM tiny ORDER BY md5(u::text || i || w)) s
  UNION ALL
  SELECT nfrec.als_train(u, i, w, '{"factors": 4, "iterations": 3, "verbose": false, "threads": 1}') FROM tiny
  UNION ALL
  SELECT nfrec.als_train(u, i, w, '{"factors": 4, "iterations": 3, "verbose": false, "threads": 3}') FROM tiny
) runs;
-- ... and so is the Cholesky solver's, for factor counts below, at and
-- above 16 (even counts fill their per-thread scratch, the last region of
-- the work buffer, to its end) with 1 to 4 threads
SELECT f, count(DISTINCT pg_temp.fp(m)) AS distinct_models, count(*) AS runs
FROM (SELECT f, t, nfrec.als_train(u, i, w, jsonb_build_object('factors', f, 'iterations', 2, 'solver', 'cholesky',
                                                               'threads', t, 'verbose', false)) AS m
      FROM tiny, (VALUES (1), (2), (6), (16), (20)) fs(f), generate_series(1, 4) t
      GROUP BY f, t) s
GROUP BY f ORDER BY f;
-- ... but another seed gives another model
SELECT pg_temp.fp(a) <> pg_temp.fp(b) AS seed_matters
FROM (SELECT nfrec.als_train(u, i, w, '{"seed": 1, "verbose": false}') a,
             nfrec.als_train(u, i, w, '{"seed": 2, "verbose": false}') b FROM tiny) s;

-- Duplicates are summed: the same model as from pre-summed rows, in any
-- split of the duplicate weights
SELECT pg_temp.fp(a) = pg_temp.fp(b) AS dup_summed, pg_temp.fp(a) = pg_temp.fp(c) AS split_summed,
       nfrec.model_info(a)->'events' AS events
FROM (SELECT nfrec.als_train(u, i, w, '{"verbose": false}') AS a FROM tiny) x,
     (SELECT nfrec.als_train(u, i, w, '{"verbose": false}') AS b FROM (SELECT u, i, sum(w) AS w FROM tiny GROUP BY u, i) s) y,
     (SELECT nfrec.als_train(u, i, w, '{"verbose": false}') AS c
      FROM (SELECT u, i, w / 4 AS w FROM tiny, generate_series(1, 4)) s) z;

-- The dislike matters: dropping it changes the model
SELECT pg_temp.fp(a) <> pg_temp.fp(b) AS dislike_matters
FROM (SELECT nfrec.als_train(u, i, w, '{"verbose": false}') AS a FROM tiny) x,
     (SELECT nfrec.als_train(u, i, w, '{"verbose": false}') AS b FROM tiny WHERE w >= 0) y;

-- The model survives text I/O (validated by als_model_in)
SELECT pg_temp.fp(m::text::nfrec.als_model) = pg_temp.fp(m) AS text_round_trip
FROM chol WHERE n = 8 AND scaling = 'none';

-- Defaults are recorded in the model
SET client_min_messages = warning;
SELECT nfrec.model_info(nfrec.als_train(u, i, w))->'options' AS default_options FROM tiny;
SELECT nfrec.model_info(nfrec.als_train(u, i, w, NULL))->'options' = nfrec.model_info(nfrec.als_train(u, i, w))->'options' AS null_options_are_defaults FROM tiny;
-- a JSON null keeps an option's default (as for every function with options)
SELECT nfrec.model_info(nfrec.als_train(u, i, w, '{"factors": null, "solver": null, "verbose": false}'))->'options'
     = nfrec.model_info(nfrec.als_train(u, i, w, '{"verbose": false}'))->'options' AS null_option_is_default FROM tiny;
RESET client_min_messages;

-- Parallel query: a Partial Aggregate in the workers, the same model
CREATE TABLE als_par AS
SELECT (hashint4(g) & 255)::bigint AS u, (hashint4(g * 7 + 1) & 127)::bigint AS i,
       1 + (hashint4(g * 13) & 3)::float8 AS w
FROM generate_series(1, 20000) g;
ANALYZE als_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT nfrec.als_train(u, i, w, '{"factors": 8, "iterations": 3, "verbose": false}') FROM als_par;
CREATE TEMP TABLE par AS SELECT nfrec.als_train(u, i, w, '{"factors": 8, "iterations": 3, "verbose": false}') AS m FROM als_par;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT nfrec.als_train(u, i, w, '{"factors": 8, "iterations": 3, "verbose": false}') FROM als_par;
SELECT pg_temp.fp(s.m) = pg_temp.fp(par.m) AS parallel_equals_serial, nfrec.model_info(s.m)->'events' AS events
FROM par, (SELECT nfrec.als_train(u, i, w, '{"factors": 8, "iterations": 3, "verbose": false}') AS m FROM als_par) s;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
DROP TABLE als_par;

-- Edge cases that train
-- a single user; a single title; extreme ids
SELECT nfrec.model_info(m)->'users' AS users, nfrec.model_info(m)->'titles' AS titles
FROM (SELECT nfrec.als_train(1, i, 1, '{"verbose": false}') AS m FROM generate_series(1, 5) i) s;
SELECT nfrec.model_info(m)->'users' AS users, nfrec.model_info(m)->'titles' AS titles
FROM (SELECT nfrec.als_train(u, 7, 1, '{"verbose": false}') AS m FROM generate_series(1, 5) u) s;
SELECT id, array_length(factors, 1) AS k
FROM (SELECT nfrec.als_train(u, i, 1, '{"factors": 2, "verbose": false}') AS m
      FROM (VALUES (9223372036854775807, -9223372036854775808), (-9223372036854775808, 0),
                   (0, 9223372036854775807)) v(u, i)) s,
     nfrec._als_factors(m, 'item') ORDER BY id;
-- factors that are not a multiple of 16 and larger than 128 (generic kernels)
SELECT k, (SELECT bool_and(v = v AND abs(v) < 10) FROM nfrec._als_factors(m, 'user'), unnest(factors) v) AS finite
FROM (SELECT k, nfrec.als_train(u, i, w, jsonb_build_object('factors', k, 'iterations', 2, 'verbose', false)) AS m
      FROM tiny, (VALUES (1), (17), (130)) v(k) GROUP BY k) s ORDER BY k;

-- NULL rows are skipped and counted; the model is the one without them
SELECT pg_temp.fp(m) = (SELECT pg_temp.fp(nfrec.als_train(u, i, w, '{"verbose": false}')) FROM tiny) AS nulls_skipped
FROM (SELECT nfrec.als_train(u, i, w, '{"verbose": false}') AS m
      FROM (SELECT * FROM tiny UNION ALL VALUES (NULL, 10, 1), (1, NULL, 1), (1, 10, NULL)) s) t;

-- Bad input
\set VERBOSITY sqlstate
SELECT nfrec.als_train(u, i, w) FROM tiny WHERE false;
SELECT nfrec.als_train(NULL::bigint, i, w) FROM tiny;
SELECT nfrec.als_train(u, i, 'NaN') FROM tiny;
SELECT nfrec.als_train(u, i, 'Infinity') FROM tiny;
SELECT nfrec.als_train(u, i, '-Infinity') FROM tiny;
SELECT nfrec.als_train(1, 1, w) FROM (VALUES (3e38::float8), (3e38)) v(w);
SELECT nfrec.als_train(u, i, w, '{"factorz": 8}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"factors": "8"}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"factors": 0}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"factors": 1025}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"factors": 2.5}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"iterations": -1}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"regularization": 0}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"regularization": 1e400}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"alpha": -1}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"solver": "lu"}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"solver": 1}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"cg_steps": 0}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"seed": 1.5}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"seed": 9223372036854775808}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"threads": 0}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"threads": 65}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"regularization_scaling": "log"}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"verbose": "yes"}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"factors": {"n": 8}}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '[1, 2]') FROM tiny;
SELECT nfrec.als_train(u, i, w, '3') FROM tiny;
SELECT nfrec.als_train(u, i, w, jsonb_build_object('seed', u)) FROM tiny;
SELECT * FROM nfrec._als_factors((SELECT m FROM chol LIMIT 1), 'title');
\set VERBOSITY default
SELECT nfrec.als_train(u, i, w) FROM tiny WHERE false;
SELECT nfrec.als_train(NULL::bigint, i, w) FROM tiny;
SELECT nfrec.als_train(u, i, 'NaN') FROM tiny WHERE u = 2 AND i = 12;
SELECT nfrec.als_train(1, 1, w) FROM (VALUES (3e38::float8), (3e38)) v(w);
-- one row beyond real, and a confidence alpha |w| beyond real (training
-- computes confidences in float4): 22003 naming the user and item
SELECT nfrec.als_train(u, i, w, '{"verbose": false}') FROM (VALUES (1, 1, 1), (2, 5, 1e300::float8)) v(u, i, w);
SELECT nfrec.als_train(u, i, w, '{"alpha": 1e6, "verbose": false}') FROM (VALUES (1, 1, 1), (2, 5, -1e33::float8)) v(u, i, w);
-- the largest confidence that fits trains to finite factors
SELECT bool_and(v = v AND abs(v) < 'Infinity') AS finite
  FROM (SELECT nfrec.als_train(u, i, w, '{"alpha": 1e6, "verbose": false, "factors": 2}') AS m
          FROM (VALUES (1, 1, 1), (2, 5, 3e32::float8)) v(u, i, w)) s,
       nfrec._als_factors(m, 'user'), unnest(factors) v;
SELECT nfrec.als_train(u, i, w, '{"factorz": 8}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"factors": 2.5}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"regularization": 0}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"solver": "lu"}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"seed": 1.5}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '{"alpha": -1}') FROM tiny;
SELECT nfrec.als_train(u, i, w, '[1, 2]') FROM tiny;
SELECT nfrec.als_train(u, i, w, jsonb_build_object('seed', u)) FROM tiny;
