-- kmeans (aggregate) and closest_centroid.
-- Checked by hand (1-D), against the blob means computed in SQL, and by
-- the defining fixed point of Lloyd's algorithm: every centroid is the
-- mean of the rows nearest to it (nearest found by brute force in SQL).

-- by hand: {1,2,3} and {10,11,12}
SELECT nfrec.kmeans(ARRAY[x], 2) AS centroids
FROM unnest('{1,2,3,10,11,12}'::float8[]) x;
-- k = 1 is the mean; k = number of distinct rows gives the rows themselves
SELECT (SELECT nfrec.kmeans(ARRAY[x, 2 * x], 1) FROM unnest('{1,2,6}'::float8[]) x) AS mean,
       (SELECT nfrec.kmeans(ARRAY[x], 3) FROM unnest('{5,1,1,2,5}'::float8[]) x) AS distinct_rows;

-- three well separated blobs of 60 points: the centroids are the blob means
CREATE TEMP TABLE blobs AS
SELECT g, b, cx + sin(g * 1.1) AS x, cy + cos(g * 2.3) AS y
FROM generate_series(1, 180) g,
     LATERAL (SELECT g % 3 AS b) bb,
     LATERAL (SELECT (ARRAY[0, 10, 0])[b + 1]::float8 AS cx, (ARRAY[0, 0, 10])[b + 1]::float8 AS cy) c;
CREATE TEMP TABLE bc AS SELECT nfrec.kmeans(ARRAY[x, y], 3) AS c FROM blobs;
SELECT array_dims(c) AS dims FROM bc;
SELECT i, round(c[i][1]::numeric, 10) AS cx, round(c[i][2]::numeric, 10) AS cy,
       abs(c[i][1] - m.mx) < 1e-12 AND abs(c[i][2] - m.my) < 1e-12 AS is_blob_mean
FROM bc, generate_series(1, 3) i,
     LATERAL (SELECT avg(x) AS mx, avg(y) AS my FROM blobs
              WHERE b = CASE i WHEN 1 THEN 0 WHEN 2 THEN 2 ELSE 1 END) m
ORDER BY i;
-- closest_centroid assigns each point to its blob
SELECT count(DISTINCT (b, nfrec.closest_centroid(ARRAY[x, y], c))) AS pairs,
       count(DISTINCT b) AS blobs FROM blobs, bc;

-- overlapping data, iterated to a fixed point (tol 0): each centroid is the
-- mean of the rows nearest to it
CREATE TEMP TABLE pts AS
SELECT g, ARRAY[sin(g * 0.91) + 0.3 * cos(g * 3.7), cos(g * 0.53), sin(g * 0.17) * cos(g)] AS v
FROM generate_series(1, 400) g;
CREATE TEMP TABLE pc AS SELECT nfrec.kmeans(v, 5, '{"tol": 0, "seed": 7}') AS c FROM pts;
WITH d AS (SELECT g, v, i, (v[1] - c[i][1]) ^ 2 + (v[2] - c[i][2]) ^ 2 + (v[3] - c[i][3]) ^ 2 AS d2
           FROM pts, pc, generate_series(1, 5) i),
     nearest AS (SELECT DISTINCT ON (g) g, v, i FROM d ORDER BY g, d2, i),
     means AS (SELECT i, avg(v[1]) AS m1, avg(v[2]) AS m2, avg(v[3]) AS m3, count(*) AS n FROM nearest GROUP BY i)
SELECT count(*) AS clusters, sum(n) AS rows,
       max(greatest(abs(c[i][1] - m1), abs(c[i][2] - m2), abs(c[i][3] - m3))) < 1e-12 AS fixed_point,
       bool_and(n > 0) AS none_empty
FROM means, pc;
-- closest_centroid agrees with the brute-force nearest centroid
WITH d AS (SELECT g, i, (v[1] - c[i][1]) ^ 2 + (v[2] - c[i][2]) ^ 2 + (v[3] - c[i][3]) ^ 2 AS d2
           FROM pts, pc, generate_series(1, 5) i),
     nearest AS (SELECT DISTINCT ON (g) g, i FROM d ORDER BY g, d2, i)
SELECT bool_and(nfrec.closest_centroid(v, c) = nearest.i) AS closest_ok
FROM pts JOIN nearest USING (g), pc;
-- more restarts never give a worse inertia (sum of squared distances, in SQL)
WITH runs AS (SELECT 1 AS n_init, nfrec.kmeans(v, 6, '{"n_init": 1, "seed": 3}') AS c FROM pts
              UNION ALL SELECT 8, nfrec.kmeans(v, 6, '{"n_init": 8, "seed": 3}') FROM pts),
     inertia AS (SELECT n_init, sum(min_d2) AS inertia
                 FROM (SELECT n_init, g, min((v[1] - c[i][1]) ^ 2 + (v[2] - c[i][2]) ^ 2 + (v[3] - c[i][3]) ^ 2) AS min_d2
                       FROM runs, pts, generate_series(1, 6) i GROUP BY n_init, g) s
                 GROUP BY n_init)
SELECT (SELECT inertia FROM inertia WHERE n_init = 8) <= (SELECT inertia FROM inertia WHERE n_init = 1) AS restarts_help;

-- six well separated clusters (one large and diffuse, five small and tight):
-- with the default options every seed reaches the optimum, the inertia of
-- the planted clusters around their own means (computed here in SQL).
-- Plain k-means++ from one start put two centres in one cluster for
-- more than half of these seeds.
CREATE TEMP TABLE six AS
SELECT g, c, ARRAY[(ARRAY[0, 20, 40, 0, 20, 40])[c + 1] + 2 * sin(g * 1.3) * CASE WHEN c = 0 THEN 3 ELSE 1 END,
                   (ARRAY[0, 0, 0, 20, 20, 20])[c + 1] + 2 * cos(g * 0.7) * CASE WHEN c = 0 THEN 3 ELSE 1 END]::float8[] AS v
FROM generate_series(1, 120) g, LATERAL (SELECT CASE WHEN g <= 60 THEN 0 ELSE g % 5 + 1 END AS c) cc;
WITH means AS (SELECT c, avg(v[1]) AS m1, avg(v[2]) AS m2 FROM six GROUP BY c),
     optimum AS (SELECT sum((v[1] - m1) ^ 2 + (v[2] - m2) ^ 2) AS opt FROM six JOIN means USING (c)),
     runs AS (SELECT s, nfrec.kmeans(v, 6, jsonb_build_object('seed', s)) AS cen
              FROM six, generate_series(1, 50) s GROUP BY s),
     inertia AS (SELECT s, sum(d2) AS inertia
                 FROM (SELECT s, g, min((v[1] - cen[i][1]) ^ 2 + (v[2] - cen[i][2]) ^ 2) AS d2
                       FROM runs, six, generate_series(1, 6) i GROUP BY s, g) x
                 GROUP BY s)
SELECT count(*) AS seeds, count(*) FILTER (WHERE abs(inertia - opt) <= 1e-9 * opt) AS at_optimum
FROM inertia, optimum;

-- the same rows give the same centroids whatever their order; a seed is reproducible
SELECT (SELECT nfrec.kmeans(v, 5 ORDER BY g) FROM pts) = (SELECT nfrec.kmeans(v, 5 ORDER BY g DESC) FROM pts)
       AND (SELECT nfrec.kmeans(v, 5 ORDER BY g) FROM pts) = (SELECT nfrec.kmeans(v, 5 ORDER BY hashint4(g)) FROM pts)
         AS order_independent,
       (SELECT nfrec.kmeans(v, 5, '{"seed": 42}') FROM pts) = (SELECT nfrec.kmeans(v, 5, '{"seed": 42}') FROM pts)
         AS seed_reproducible;
-- and under a parallel plan
CREATE TABLE kbig AS
SELECT g, ARRAY[sin(g * 0.37), cos(g * 0.11), sin(g * 0.05)] AS v FROM generate_series(1, 30000) g;
ALTER TABLE kbig SET (parallel_workers = 2);
ANALYZE kbig;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT nfrec.kmeans(v, 4) FROM kbig;
CREATE TEMP TABLE kpar AS SELECT nfrec.kmeans(v, 4) AS c FROM kbig;
SET max_parallel_workers_per_gather = 0;
SELECT kpar.c = s.c AS identical FROM kpar, (SELECT nfrec.kmeans(v, 4) AS c FROM kbig) s;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE kbig;

-- NULL vectors are skipped; no rows give NULL
SELECT nfrec.kmeans(v, 2) AS centroids
FROM (VALUES ('{1}'::float8[]), (NULL), ('{3}'), ('{4}')) t(v);
SELECT nfrec.kmeans(v, 2) IS NULL AS no_rows FROM pts WHERE false;

-- closest_centroid by hand: ties go to the lower row
SELECT nfrec.closest_centroid('{1,1}', '{{0,0},{2,2},{1,1.5}}') AS third,
       nfrec.closest_centroid('{1,0}', '{{0,0},{2,0}}') AS tie_first,
       nfrec.closest_centroid('{5}', '{{7}}') AS single;

-- bad input
\set VERBOSITY sqlstate
SELECT nfrec.kmeans(ARRAY[x], 3) FROM unnest('{1,1,2,2,2}'::float8[]) x;
SELECT nfrec.kmeans(ARRAY[x], 0) FROM unnest('{1,2}'::float8[]) x;
SELECT nfrec.kmeans(ARRAY[x], NULL) FROM unnest('{1,2}'::float8[]) x;
SELECT nfrec.kmeans(ARRAY[x], x::int) FROM unnest('{1,2}'::float8[]) x;
SELECT nfrec.kmeans(v, 1) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) t(v);
SELECT nfrec.kmeans(v, 1) FROM (VALUES ('{1,NaN}'::float8[])) t(v);
SELECT nfrec.kmeans(v, 1) FROM (VALUES ('{1,NULL}'::float8[])) t(v);
SELECT nfrec.kmeans(v, 1) FROM (VALUES ('{}'::float8[])) t(v);
SELECT nfrec.kmeans(v, 1, '{"iterations": 5}') FROM (VALUES ('{1}'::float8[])) t(v);
SELECT nfrec.kmeans(v, 1, '{"n_init": 0}') FROM (VALUES ('{1}'::float8[])) t(v);
SELECT nfrec.kmeans(v, 1, '{"tol": -1}') FROM (VALUES ('{1}'::float8[])) t(v);
SELECT nfrec.kmeans(v, 1, '{"seed": 1.5}') FROM (VALUES ('{1}'::float8[])) t(v);
SELECT nfrec.kmeans(v, 1, jsonb_build_object('seed', v[1])) FROM (VALUES ('{1}'::float8[]), ('{2}')) t(v);
SELECT nfrec.closest_centroid('{1,2}', '{1,2}');
SELECT nfrec.closest_centroid('{1,2}', '{{1,2,3}}');
SELECT nfrec.closest_centroid('{1,2}', '{{1,NaN}}');
SELECT nfrec.closest_centroid('{1,NaN}', '{{1,2}}');
SELECT nfrec.closest_centroid('{1,2}', '{{1,NULL}}');
\set VERBOSITY default
SELECT nfrec.kmeans(ARRAY[x], 3) FROM unnest('{1,1,2,2,2}'::float8[]) x;
SELECT nfrec.kmeans(ARRAY[x], 0) FROM unnest('{1,2}'::float8[]) x;
SELECT nfrec.kmeans(ARRAY[x], NULL) FROM unnest('{1,2}'::float8[]) x;
SELECT nfrec.kmeans(v, 1, '{"tol": -1}') FROM (VALUES ('{1}'::float8[])) t(v);
SELECT nfrec.kmeans(v, 1, '{"seed": "x"}') FROM (VALUES ('{1}'::float8[])) t(v);
SELECT nfrec.kmeans(v, 1) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) t(v);
SELECT nfrec.kmeans(v, 1, '{"iterations": 5}') FROM (VALUES ('{1}'::float8[])) t(v);
SELECT nfrec.closest_centroid('{1,2}', '{1,2}');
-- an unknown option is quoted as a short excerpt (it was quoted whole)
SELECT nfrec.kmeans(v, 1, jsonb_build_object(repeat('é', 1000), 5)) FROM (VALUES ('{1}'::float8[])) t(v);
