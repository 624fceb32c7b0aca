-- nfrec.kmeans_step / nfrec.kmeans_state: one Lloyd iteration as an
-- aggregate whose state (per-cluster counts and sums for given centroids)
-- combines across shards (doc/scale.md).

-- by hand: centroids (0,0) and (10,0); rows (1,0), (2,2), (9,1), (11,-1),
-- (4,0) -> cluster 1 gets (1,0), (2,2), (4,0): mean (7/3, 2/3); cluster 2
-- gets (9,1), (11,-1): mean (10, 0)
CREATE TEMP TABLE km_hand (v float8[]);
INSERT INTO km_hand VALUES ('{1,0}'), ('{2,2}'), ('{9,1}'), ('{11,-1}'), ('{4,0}'), (NULL);
SELECT nfrec.kmeans_step(v, '{{0,0},{10,0}}') AS step,
       ARRAY[[7 / 3.0, 2 / 3.0], [10, 0]]::float8[] AS expected FROM km_hand;
-- a tie (5,0) goes to the lower row, as closest_centroid; a centroid no
-- row chose stays where it is
SELECT nfrec.kmeans_step(v, '{{0,0},{10,0},{100,100}}') AS with_empty_cluster
  FROM (VALUES ('{5,0}'::float8[]), ('{1,0}')) t(v);
SELECT nfrec.kmeans_step(v, '{{0,0}}') IS NULL AS no_rows FROM km_hand WHERE false;
SELECT nfrec.kmeans_step(v, '{{0,0}}') IS NULL AS only_null_rows FROM (VALUES (NULL::float8[])) t(v);

-- text form: d;centroid:count:sum;... one segment per cluster
CREATE AGGREGATE km_partial(float8[], float8[]) (
    SFUNC = nfrec._kmeans_step_accum, STYPE = nfrec.kmeans_state);
SELECT km_partial(v, '{{0,0},{10,0}}') AS state FROM km_hand;
SELECT x::nfrec.kmeans_state::text AS text_form,
       x::nfrec.kmeans_state::text::nfrec.kmeans_state::text = x::nfrec.kmeans_state::text AS round_trip
  FROM (VALUES ('1;0.1:3:0.30000000000000004'), ('2;1e-300,-5:0:0,0;1.7976931348623157e+308,0:2:Infinity,-0')) v(x);
SELECT nfrec.kmeans_state_send('1;2:1:3') AS send;
SELECT nfrec._kmeans_step_final('2;0,0:2:1,3;5,5:0:0,0') AS final;
SELECT nfrec._kmeans_step_combine('1;0:1:2;5:2:9', '1;0:3:-1;5:0:0') AS combined;
SELECT nfrec._kmeans_step_combine(NULL, '1;0:1:2') AS left_null,
       nfrec._kmeans_step_combine('1;0:1:2', NULL) AS right_null,
       nfrec._kmeans_step_combine(NULL, NULL) IS NULL AS both_null;
SELECT nfrec._kmeans_step_combine('1;0:1:2', '1;1:1:2');

-- against kmeans and brute force: 3 blobs in 2-d
CREATE TEMP TABLE km_rows AS
SELECT i % 4 AS shard,
       ARRAY[(i % 3) * 5 + sin(i * 1.3), (i % 3) * -4 + cos(i * 0.7)]::float8[] AS v
  FROM generate_series(1, 600) i;
-- a converged kmeans is a fixed point of a Lloyd step (sums in another
-- order: 1e-12)
WITH c AS (SELECT nfrec.kmeans(v, 3, '{"tol": 0}') AS c FROM km_rows),
s AS (SELECT nfrec.kmeans_step(v, c.c) AS s FROM km_rows, c GROUP BY c.c)
SELECT (SELECT max(abs(a - b)) FROM unnest(c.c) WITH ORDINALITY x(a, i)
          JOIN unnest(s.s) WITH ORDINALITY y(b, j) ON i = j) < 1e-12 AS kmeans_is_fixed_point
  FROM c, s;
-- from poor centroids: one step equals the brute-force assignment and means
WITH c(c) AS (VALUES ('{{0,0},{1,1},{2,-2}}'::float8[])),
bf AS (
    SELECT nfrec.closest_centroid(v, c) AS cl, avg(v[1]) AS m1, avg(v[2]) AS m2
      FROM km_rows, c GROUP BY 1
),
step AS (SELECT nfrec.kmeans_step(v, c) AS s FROM km_rows, c GROUP BY c)
SELECT bf.cl, abs(bf.m1 - s[bf.cl][1]) < 1e-12 AND abs(bf.m2 - s[bf.cl][2]) < 1e-12 AS same_means
  FROM bf, step ORDER BY 1;
-- a driver: iterate kmeans_step from three rows (one per blob) until the
-- centroids stop moving; kmeans finds the same partition, so the same
-- centroids within 1e-12 (its rows may come in another order)
CREATE FUNCTION pg_temp.km_drive(start float8[]) RETURNS float8[]
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c float8[] := start;
    n float8[];
BEGIN
    FOR i IN 1..100 LOOP
        SELECT nfrec.kmeans_step(v, c) INTO n FROM km_rows;
        EXIT WHEN n = c;
        c := n;
    END LOOP;
    RETURN c;
END $$;
WITH d AS (
    SELECT pg_temp.km_drive(ARRAY[(SELECT v FROM km_rows WHERE shard = 1 LIMIT 1),
                                  (SELECT v FROM km_rows WHERE shard = 2 LIMIT 1),
                                  (SELECT v FROM km_rows WHERE shard = 3 LIMIT 1)]) AS c
)
SELECT array_length(c, 1) AS k,
       (SELECT bool_and(EXISTS (SELECT 1 FROM generate_series(1, 3) r2,
                                  (SELECT nfrec.kmeans(v, 3, '{"tol": 0}') AS kc FROM km_rows) km
                                 WHERE abs(km.kc[r2][1] - d.c[r][1]) < 1e-12 AND abs(km.kc[r2][2] - d.c[r][2]) < 1e-12))
          FROM generate_series(1, 3) r) AS same_centroids_as_kmeans
  FROM d;
-- what Citus does: a partial state per shard, sent as text, combined (the
-- sums meet in another order: 1e-12)
CREATE AGGREGATE km_combine(nfrec.kmeans_state) (
    SFUNC = nfrec._kmeans_step_combine, STYPE = nfrec.kmeans_state,
    FINALFUNC = nfrec._kmeans_step_final);
WITH parts AS (
    SELECT shard, km_partial(v, '{{0,0},{1,1},{2,-2}}')::text AS t FROM km_rows GROUP BY shard
)
SELECT (SELECT max(abs(a - b)) FROM unnest((SELECT km_combine(t::nfrec.kmeans_state) FROM parts)) WITH ORDINALITY x(a, i)
          JOIN unnest((SELECT nfrec.kmeans_step(v, '{{0,0},{1,1},{2,-2}}') FROM km_rows)) WITH ORDINALITY y(b, j) ON i = j) < 1e-12 AS split_equals_local,
       (SELECT count(*) FROM parts) AS partials;
-- parallel aggregation uses the combine function
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE km_big AS SELECT v FROM km_rows, generate_series(1, 30) g;
ANALYZE km_big;
EXPLAIN (COSTS OFF) SELECT nfrec.kmeans_step(v, '{{0,0},{1,1},{2,-2}}') FROM km_big;
SELECT (SELECT max(abs(a - b)) FROM unnest(nfrec.kmeans_step(v, '{{0,0},{1,1},{2,-2}}')) WITH ORDINALITY x(a, i)
          JOIN unnest((SELECT nfrec.kmeans_step(v, '{{0,0},{1,1},{2,-2}}') FROM km_rows)) WITH ORDINALITY y(b, j) ON i = j) < 1e-12 AS parallel_same
  FROM km_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE km_big;

-- errors
SELECT nfrec.kmeans_step(v, CASE WHEN v[1] < 3 THEN '{{0,0}}'::float8[] ELSE '{{1,1}}' END) FROM km_hand;
SELECT nfrec.kmeans_step(v, NULL) FROM km_hand;
SELECT nfrec.kmeans_step(v, '{0,0}') FROM km_hand;
SELECT nfrec.kmeans_step(v, '{{0,0,0}}') FROM km_hand;
SELECT nfrec.kmeans_step(v, '{{0,NaN}}') FROM km_hand;
SELECT nfrec.kmeans_step('{1,NaN}', '{{0,0}}');
-- bad input: SQLSTATE 22P02
\set VERBOSITY sqlstate
SELECT ''::nfrec.kmeans_state;
SELECT '2'::nfrec.kmeans_state;
SELECT '0;1:1:1'::nfrec.kmeans_state;
SELECT '2;1:1:1'::nfrec.kmeans_state;
SELECT '1;1:-1:1'::nfrec.kmeans_state;
SELECT '1;NaN:1:1'::nfrec.kmeans_state;
SELECT '1;Infinity:1:1'::nfrec.kmeans_state;
SELECT '1;1:1:1;'::nfrec.kmeans_state;
SELECT '1;1:1:1x'::nfrec.kmeans_state;
SELECT '1;1,2:1:1'::nfrec.kmeans_state;
SELECT '1; 1:1:1'::nfrec.kmeans_state;
\set VERBOSITY default
SELECT '1;1:-1:1'::nfrec.kmeans_state;
