-- nfrec.logreg_step / nfrec.logreg_state: one Newton (IRLS) iteration of
-- logistic regression as an aggregate whose state (sums at given
-- coefficients) combines across shards (doc/scale.md).

-- by hand at coef = 0: mu = 1/2 and w = 1/4 for every row, so with rows
-- (y, x) = (1, 1), (0, 2), (1, 3): log-likelihood 3 ln(1/2), gradient
-- sum (y - 1/2) (1, x) = (1/2, 1), information sum w (1, x)(1, x)' =
-- [[3/4, 3/2], [3/2, 7/2]]; the Newton step solves
-- [[3, 6], [6, 14]] s = (2, 4): s = (2/3, 0)
CREATE TEMP TABLE lr_hand (y bool, x float8[]);
INSERT INTO lr_hand VALUES (true, '{1}'), (false, '{2}'), (true, '{3}'), (NULL, '{4}'), (true, NULL);
CREATE AGGREGATE lr_partial(bool, float8[], float8[]) (
    SFUNC = nfrec._logreg_step_accum, STYPE = nfrec.logreg_state);
SELECT lr_partial(y, x, '{0,0}') AS state, 3 * ln(0.5::float8) AS expected_ll FROM lr_hand;
SELECT s - 'coef' AS step,
       ARRAY[round((s -> 'coef' ->> 0)::numeric, 12), round((s -> 'coef' ->> 1)::numeric, 12)] AS coef,
       ARRAY[round(2 / 3.0, 12), 0] AS expected_coef
  FROM (SELECT nfrec.logreg_step(y, x, '{0,0}') AS s FROM lr_hand) t;
SELECT nfrec.logreg_step(y, x, '{0,0}') IS NULL AS no_rows FROM lr_hand WHERE false;
SELECT nfrec.logreg_step(y, x, '{0,0}') IS NULL AS only_null_rows FROM lr_hand WHERE y IS NULL OR x IS NULL;

-- text form round trip, binary form, combine
SELECT x::nfrec.logreg_state::text AS text_form,
       x::nfrec.logreg_state::text::nfrec.logreg_state::text = x::nfrec.logreg_state::text AS round_trip
  FROM (VALUES ('1;2;1;-1.3862943611198906;0;0;0.5'),
               ('2;3;2;-2.0794415416798357;0.1,-1e-300;0.30000000000000004,1;0.75,1.5,3.5')) v(x);
SELECT nfrec.logreg_state_send('1;1;1;-0.5;0;0.5;0.25') AS send;
SELECT nfrec._logreg_step_combine('1;1;1;-1;0;0.5;0.25', '1;2;0;-2;0;-1;0.5') AS combined;
SELECT nfrec._logreg_step_combine(NULL, '1;1;1;-1;0;0.5;0.25') AS left_null,
       nfrec._logreg_step_combine('1;1;1;-1;0;0.5;0.25', NULL) AS right_null,
       nfrec._logreg_step_combine(NULL, NULL) IS NULL AS both_null;
SELECT nfrec._logreg_step_combine('1;1;1;-1;0;0.5;0.25', '1;1;1;-1;1;0.5;0.25');
-- a singular information matrix: coef null, the column named
SELECT nfrec._logreg_step_final('2;2;1;-1.3862943611198906;0,0;0,0;0.5,0,0') AS singular;

-- against brute force: log-likelihood, gradient at given coefficients
CREATE TEMP TABLE lr_rows AS
SELECT i % 4 AS shard, ARRAY[sin(i * 0.37) * 2, (i % 7) / 3.0]::float8[] AS x,
       ((i * 7919) % 100) / 100.0 < 1 / (1 + exp(-(0.3 + 1.2 * sin(i * 0.37) * 2 - 0.8 * (i % 7) / 3.0))) AS y
  FROM generate_series(1, 2000) i;
WITH s AS (SELECT nfrec.logreg_step(y, x, '{0.1,0.5,-0.2}') AS s FROM lr_rows),
bf AS (
    SELECT sum(CASE WHEN y THEN -ln(1 + exp(-eta)) ELSE -ln(1 + exp(eta)) END) AS ll,
           sum((y::int - 1 / (1 + exp(-eta)))) AS g0,
           sum((y::int - 1 / (1 + exp(-eta))) * x[1]) AS g1,
           sum((y::int - 1 / (1 + exp(-eta))) * x[2]) AS g2
      FROM (SELECT y, x, 0.1 + 0.5 * x[1] - 0.2 * x[2] AS eta FROM lr_rows) r
)
SELECT abs((s ->> 'log_likelihood')::float8 - bf.ll) < 1e-9 * abs(bf.ll) AS ll_brute_force,
       abs((s -> 'gradient' ->> 0)::float8 - bf.g0) < 1e-9 AND
       abs((s -> 'gradient' ->> 1)::float8 - bf.g1) < 1e-9 AND
       abs((s -> 'gradient' ->> 2)::float8 - bf.g2) < 1e-9 AS gradient_brute_force,
       (s ->> 'n')::int AS n, (s ->> 'n_positive')::int = (SELECT count(*) FILTER (WHERE y) FROM lr_rows) AS n_positive
  FROM s, bf;
-- a driver: Newton from the intercept-only start, as logreg_train, until
-- the log-likelihood stops changing; the same coefficients and
-- log-likelihood as logreg_train within 1e-9
CREATE FUNCTION pg_temp.lr_drive() RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c float8[];
    r jsonb;
    prev float8 := NULL;
    it int := 0;
BEGIN
    SELECT ARRAY[ln(count(*) FILTER (WHERE y)::float8 / count(*) FILTER (WHERE NOT y)), 0, 0] INTO c FROM lr_rows;
    LOOP
        SELECT nfrec.logreg_step(y, x, c) INTO r FROM lr_rows;
        it := it + 1;
        EXIT WHEN it > 50 OR (prev IS NOT NULL AND
            abs((r ->> 'log_likelihood')::float8 - prev) / (abs((r ->> 'log_likelihood')::float8) + 0.05) < 1e-13);
        prev := (r ->> 'log_likelihood')::float8;
        SELECT array_agg(v::float8 ORDER BY o) INTO c FROM jsonb_array_elements_text(r -> 'coef') WITH ORDINALITY t(v, o);
    END LOOP;
    RETURN jsonb_build_object('coef', to_jsonb(c), 'log_likelihood', r -> 'log_likelihood', 'iterations', it);
END $$;
WITH d AS (SELECT pg_temp.lr_drive() AS d),
t AS (SELECT nfrec.logreg_train(y, x) AS m FROM lr_rows)
SELECT (SELECT bool_and(abs(a.v::float8 - b.v::float8) < 1e-9 * (1 + abs(b.v::float8)))
          FROM jsonb_array_elements_text(d -> 'coef') WITH ORDINALITY a(v, o)
          JOIN jsonb_array_elements_text(m -> 'coef') WITH ORDINALITY b(v, o) USING (o)) AS same_coef_as_logreg_train,
       abs((d ->> 'log_likelihood')::float8 - (m ->> 'log_likelihood')::float8) < 1e-9 AS same_log_likelihood,
       (d ->> 'iterations')::int BETWEEN 3 AND 12 AS few_iterations
  FROM d, t;
-- what Citus does: a partial state per shard, sent as text, combined
CREATE AGGREGATE lr_combine(nfrec.logreg_state) (
    SFUNC = nfrec._logreg_step_combine, STYPE = nfrec.logreg_state,
    FINALFUNC = nfrec._logreg_step_final);
WITH parts AS (
    SELECT shard, lr_partial(y, x, '{0.1,0.5,-0.2}')::text AS t FROM lr_rows GROUP BY shard
),
a AS (SELECT lr_combine(t::nfrec.logreg_state) AS s FROM parts),
b AS (SELECT nfrec.logreg_step(y, x, '{0.1,0.5,-0.2}') AS s FROM lr_rows)
SELECT (SELECT bool_and(abs(x.v::float8 - y.v::float8) < 1e-12 * (1 + abs(y.v::float8)))
          FROM jsonb_array_elements_text(a.s -> 'coef') WITH ORDINALITY x(v, o)
          JOIN jsonb_array_elements_text(b.s -> 'coef') WITH ORDINALITY y(v, o) USING (o)) AS split_equals_local,
       (SELECT count(*) FROM parts) AS partials
  FROM a, b;
-- parallel aggregation uses the combine function
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE lr_big AS SELECT y, x FROM lr_rows, generate_series(1, 20) g;
ANALYZE lr_big;
EXPLAIN (COSTS OFF) SELECT nfrec.logreg_step(y, x, '{0,0,0}') FROM lr_big;
SELECT (nfrec.logreg_step(y, x, '{0,0,0}') ->> 'n')::int AS parallel_n FROM lr_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE lr_big;

-- errors
SELECT nfrec.logreg_step(y, x, CASE WHEN x[1] < 2 THEN '{0,0}'::float8[] ELSE '{0,1}' END) FROM lr_hand;
SELECT nfrec.logreg_step(y, x, NULL) FROM lr_hand;
SELECT nfrec.logreg_step(y, x, '{0}') FROM lr_hand;
SELECT nfrec.logreg_step(y, x, '{0,NaN}') FROM lr_hand;
SELECT nfrec.logreg_step(true, '{NaN}', '{0,0}');
-- bad input: SQLSTATE 22P02
\set VERBOSITY sqlstate
SELECT ''::nfrec.logreg_state;
SELECT '0;0;0;0;;;'::nfrec.logreg_state;
SELECT '1;1;2;-1;0;0;0'::nfrec.logreg_state;
SELECT '1;1;1;1;0;0;0'::nfrec.logreg_state;
SELECT '1;1;1;-1;Infinity;0;0'::nfrec.logreg_state;
SELECT '1;1;1;-1;0;NaN;0'::nfrec.logreg_state;
SELECT '2;1;1;-1;0,0;0,0;0,0'::nfrec.logreg_state;
SELECT '1;1;1;-1;0;0;0;'::nfrec.logreg_state;
SELECT '1;1;1;-1;0;0;0x'::nfrec.logreg_state;
SELECT '1;-1;0;-1;0;0;0'::nfrec.logreg_state;
\set VERBOSITY default
SELECT '1;1;2;-1;0;0;0'::nfrec.logreg_state;
