-- nfrec.ease_train: EASE (Steck 2019) as an aggregate, deployed and served
-- through the registry.  B is checked against an independent computation:
-- the Gram matrix of the binarized events built in SQL, inverted by a
-- plpgsql Gauss-Jordan elimination, B_ij = -P_ij / P_jj; recommend_for
-- against ranking by x_u B summed in SQL.

-- 7 users, 4 titles: (1,10) appears twice (summed), (5,10) is a dislike
-- and (6,40) has weight 0 (both seen, neither counts in X); rows with a
-- NULL are skipped.
CREATE TABLE ease_tiny (user_id bigint, title_id bigint, weight float8);
INSERT INTO ease_tiny VALUES
  (1, 10, 1), (1, 20, 2), (1, 10, 0.5),
  (2, 10, 1), (2, 30, 1),
  (3, 20, 1), (3, 30, 1), (3, 40, 1),
  (4, 10, 1), (4, 20, 1), (4, 30, 1),
  (5, 40, 1), (5, 10, -1),
  (6, 20, 1), (6, 40, 0),
  (7, 30, 1), (7, 40, 1),
  (NULL, 10, 1), (8, NULL, 1), (8, 10, NULL);

-- Inverse of a square float8[][] by Gauss-Jordan elimination with partial
-- pivoting: an independent computation (no LAPACK, no nfrec).
CREATE FUNCTION pg_temp.gj_inverse(a float8[]) RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n int := array_length(a, 1);
    m float8[];
    p int; t float8; f float8;
BEGIN
    -- augmented [A | I]
    m := array_fill(0::float8, ARRAY[n, 2 * n]);
    FOR i IN 1..n LOOP
        FOR j IN 1..n LOOP m[i][j] := a[i][j]; END LOOP;
        m[i][n + i] := 1;
    END LOOP;
    FOR c IN 1..n LOOP
        p := c;
        FOR r IN c + 1..n LOOP
            IF abs(m[r][c]) > abs(m[p][c]) THEN p := r; END IF;
        END LOOP;
        IF p <> c THEN
            FOR j IN 1..2 * n LOOP t := m[c][j]; m[c][j] := m[p][j]; m[p][j] := t; END LOOP;
        END IF;
        f := m[c][c];
        FOR j IN 1..2 * n LOOP m[c][j] := m[c][j] / f; END LOOP;
        FOR r IN 1..n LOOP
            IF r <> c AND m[r][c] <> 0 THEN
                f := m[r][c];
                FOR j IN 1..2 * n LOOP m[r][j] := m[r][j] - f * m[c][j]; END LOOP;
            END IF;
        END LOOP;
    END LOOP;
    RETURN (SELECT array_agg(r ORDER BY i)
              FROM (SELECT i, array_agg(m[i][n + j] ORDER BY j) AS r
                      FROM generate_series(1, n) i, generate_series(1, n) j GROUP BY i) s);
END
$$;

-- B of events in relation rel (user_id, title_id, weight) for lambda, as
-- (row title, column title, value) over the titles in ascending order.
CREATE FUNCTION pg_temp.ease_reference(rel regclass, lambda float8)
RETURNS TABLE(ti bigint, tj bigint, b float8)
LANGUAGE plpgsql AS $$
DECLARE
    g float8[];
    p float8[];
BEGIN
    EXECUTE format($q$
      WITH s AS (SELECT user_id, title_id, sum(weight) AS w FROM %s
                  WHERE user_id IS NOT NULL AND title_id IS NOT NULL AND weight IS NOT NULL
                  GROUP BY 1, 2),
           t AS (SELECT title_id, (row_number() OVER (ORDER BY title_id))::int AS k
                   FROM (SELECT DISTINCT title_id FROM s) d),
           x AS (SELECT s.user_id, t.k FROM s JOIN t USING (title_id) WHERE s.w > 0),
           cell AS (SELECT a.k AS i, b.k AS j, count(x1.user_id) AS c
                      FROM t a CROSS JOIN t b
                      LEFT JOIN (x x1 JOIN x x2 USING (user_id)) ON x1.k = a.k AND x2.k = b.k
                     GROUP BY 1, 2)
      SELECT array_agg(r ORDER BY i) FROM
        (SELECT i, array_agg(c + CASE WHEN i = j THEN $1 ELSE 0 END ORDER BY j) AS r
           FROM cell GROUP BY i) q$q$, rel)
      INTO g USING lambda;
    p := pg_temp.gj_inverse(g);
    RETURN QUERY EXECUTE format($q$
      WITH t AS (SELECT title_id, (row_number() OVER (ORDER BY title_id))::int AS k
                   FROM (SELECT DISTINCT title_id FROM %s
                          WHERE user_id IS NOT NULL AND title_id IS NOT NULL AND weight IS NOT NULL) d)
      SELECT a.title_id, b.title_id,
             CASE WHEN a.k = b.k THEN 0 ELSE -($1)[a.k][b.k] / ($1)[b.k][b.k] END
        FROM t a CROSS JOIN t b$q$, rel) USING p;
END
$$;

-- B of a model value as (row title, column title, value)
CREATE FUNCTION pg_temp.ease_b(m nfrec.ease_model)
RETURNS TABLE(ti bigint, tj bigint, b float8) LANGUAGE sql AS $$
  SELECT r.title_ids[i], r.title_ids[j], r.title_factors[i][j]
    FROM nfrec._ease_store_row(m) r,
         generate_series(1, r.titles) i, generate_series(1, r.titles) j
$$;

-- A case worked by hand: users {10,20}, {20,30}, {10,20,30}, {30}, and a
-- weight-0 event of the last user on 10 (seen, not counted).  With lambda 1
--   X'X + I = [[3,2,1],[2,4,2],[1,2,4]],  det = 24,
--   P = adj / 24 = [[12,-6,0],[-6,11,-4],[0,-4,8]] / 24,
--   B_ij = -P_ij / P_jj = [[0, 6/11, 0], [1/2, 0, 1/2], [0, 4/11, 0]]
SELECT e.ti, e.tj, round(e.b::numeric, 7) AS b, round(h.b, 7) AS by_hand, abs(e.b - h.b) < 1e-7 AS ok
  FROM (SELECT nfrec.ease_train(u, t, w, '{"lambda": 1, "verbose": false}') AS m
          FROM (VALUES (1, 10, 1), (1, 20, 1), (2, 20, 1), (2, 30, 1), (3, 10, 1), (3, 20, 1),
                       (3, 30, 1), (4, 30, 1), (4, 10, 0)) v(u, t, w)) x,
       pg_temp.ease_b(x.m) e
  JOIN (VALUES (10, 10, 0), (10, 20, 6 / 11.0), (10, 30, 0),
               (20, 10, 0.5), (20, 20, 0), (20, 30, 0.5),
               (30, 10, 0), (30, 20, 4 / 11.0), (30, 30, 0)) h(ti, tj, b) USING (ti, tj)
 ORDER BY 1, 2;

CREATE TABLE ease_m AS
SELECT nfrec.ease_train(user_id, title_id, weight, '{"lambda": 2, "verbose": false}') AS m
  FROM ease_tiny;
SELECT nfrec.model_info(m) - 'trained_at' - 'train_seconds' - 'bytes' AS info FROM ease_m;

-- the Gram matrix by hand (X binarized; user 5's dislike and user 6's 0 do
-- not count):  titles 10 20 30 40
--   10: users 1 2 4       -> diag 3;  (10,20): 1,4 -> 2; (10,30): 2,4 -> 2; (10,40): 0
--   20: users 1 3 4 6     -> diag 4;  (20,30): 3,4 -> 2; (20,40): 3 -> 1
--   30: users 2 3 4 7     -> diag 4;  (30,40): 3,7 -> 2
--   40: users 3 5 7       -> diag 3
-- B against the Gauss-Jordan reference, and its diagonal
SELECT max(abs(e.b - r.b)) < 1e-6 AS b_matches_reference,
       count(*) AS cells,
       bool_and(e.b = 0) FILTER (WHERE e.ti = e.tj) AS diagonal_zero,
       count(*) FILTER (WHERE e.ti <> e.tj AND e.b <> 0) AS nonzero_off_diagonal
  FROM ease_m, pg_temp.ease_b(m) e
  JOIN pg_temp.ease_reference('ease_tiny', 2) r USING (ti, tj);
SELECT ti, array_agg(round(b::numeric, 6) ORDER BY tj) AS b_row
  FROM ease_m, pg_temp.ease_b(m) GROUP BY ti ORDER BY ti;

-- Popularity: training users with a positive weight
SELECT r.title_ids, r.title_counts, r.users, r.training_events
  FROM ease_m, nfrec._ease_store_row(m) r;

-- Deploy in the registry: kind 'ease'
SELECT nfrec.deploy('ease_a', m) AS version FROM ease_m \gset
SELECT name, kind, users, titles, events, factors, iterations, alpha, regularization,
       options, is_default
  FROM nfrec.models WHERE name = 'ease_a';
SELECT name, is_current, kind FROM nfrec.model_history WHERE name = 'ease_a';
SELECT user_id, factors, title_ids, weights FROM nfrec.model_users
 WHERE version = :version ORDER BY user_id;

-- recommend_for equals ranking by x_u B (x_u binarized training events),
-- never a title the user has (dislike and weight 0 included)
CREATE FUNCTION pg_temp.sql_ranking(rel regclass, b_of regclass, uid bigint, n int)
RETURNS TABLE(rank int, title_id bigint, score real) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format($q$
    WITH s AS (SELECT e.title_id, sum(e.weight) AS w FROM %s e
                WHERE e.user_id = $1 AND e.weight IS NOT NULL GROUP BY 1),
         sc AS (SELECT b.tj, sum(b.b) FILTER (WHERE s.w > 0) AS score
                  FROM %s b LEFT JOIN s ON s.title_id = b.ti
                 GROUP BY b.tj)
    SELECT (row_number() OVER (ORDER BY coalesce(sc.score, 0) DESC, sc.tj))::int,
           sc.tj, coalesce(sc.score, 0)::real
      FROM sc WHERE sc.tj NOT IN (SELECT s.title_id FROM s)
     ORDER BY 1 LIMIT $2$q$, rel, b_of) USING uid, n;
END
$$;
CREATE TABLE ease_b_tiny AS SELECT * FROM pg_temp.ease_reference('ease_tiny', 2);
SELECT * FROM nfrec.recommend_for(1, 10, 'ease_a');
SELECT * FROM pg_temp.sql_ranking('ease_tiny', 'ease_b_tiny', 1, 10);
SELECT u AS user_id,
       (SELECT array_agg(title_id ORDER BY rank) FROM nfrec.recommend_for(u, 10, 'ease_a')) AS served,
       (SELECT array_agg(title_id ORDER BY rank) FROM pg_temp.sql_ranking('ease_tiny', 'ease_b_tiny', u, 10)) AS reference,
       (SELECT max(abs(a.score - b.score)) < 1e-6
          FROM nfrec.recommend_for(u, 10, 'ease_a') a
          JOIN pg_temp.sql_ranking('ease_tiny', 'ease_b_tiny', u, 10) b USING (rank)) AS scores_match
  FROM generate_series(1, 7) u;

-- an unknown user gets the popularity list (score: share of training users)
SELECT * FROM nfrec.recommend_for(99, 3, 'ease_a');
-- NULL user: no rows; bad n
SELECT count(*) FROM nfrec.recommend_for(NULL, 3, 'ease_a');
\set VERBOSITY sqlstate
SELECT * FROM nfrec.recommend_for(1, 0, 'ease_a');
\set VERBOSITY default

-- similar_titles: row t of B, what having watched t adds to each title;
-- min_support drops titles with fewer training users
SELECT * FROM nfrec.similar_titles(10, 5, 'ease_a', 0);
SELECT tj, round(b::numeric, 6) FROM ease_b_tiny WHERE ti = 10 AND tj <> 10 ORDER BY b DESC, tj;
SELECT * FROM nfrec.similar_titles(10, 5, 'ease_a', 4);
SELECT count(*) FROM nfrec.similar_titles(12345, 5, 'ease_a');

-- user_vector and item_factors: an EASE model has no factors
SELECT * FROM nfrec.user_vector(1, 'ease_a');
\set VERBOSITY sqlstate
SELECT * FROM nfrec.item_factors('ease_a');
\set VERBOSITY default
-- user_factors (an export of model_users) gives the empty factors
SELECT user_id, factors FROM nfrec.user_factors('ease_a') ORDER BY user_id LIMIT 2;

-- A bound events relation: current events replace the training events
-- (no fold-in needed), every title in either is excluded; a user whose
-- current events have no positive weight is served popularity
CREATE TABLE ease_now (user_id bigint, title_id bigint, weight float8);
INSERT INTO ease_now SELECT * FROM ease_tiny WHERE user_id IS NOT NULL AND title_id IS NOT NULL;
INSERT INTO ease_now VALUES (2, 40, 1), (9, 20, 1), (10, 30, -1);
SELECT nfrec.deploy('ease_ev', m, 'ease_now') FROM ease_m \gset
SELECT * FROM nfrec.recommend_for(2, 10, 'ease_ev');
SELECT * FROM pg_temp.sql_ranking('ease_now', 'ease_b_tiny', 2, 10);
-- user 9 is new: scored from their one event
SELECT * FROM nfrec.recommend_for(9, 10, 'ease_ev');
SELECT * FROM pg_temp.sql_ranking('ease_now', 'ease_b_tiny', 9, 10);
-- user 10 only disliked a title: popularity without it
SELECT * FROM nfrec.recommend_for(10, 10, 'ease_ev');
-- user 1's current events equal training: served as trained
SELECT (SELECT array_agg(title_id ORDER BY rank) FROM nfrec.recommend_for(1, 10, 'ease_ev'))
     = (SELECT array_agg(title_id ORDER BY rank) FROM nfrec.recommend_for(1, 10, 'ease_a')) AS same_as_trained;

-- A larger case: 40 titles, 300 users, B against the reference and every
-- user's list against the SQL ranking
CREATE TABLE ease_mid AS
SELECT DISTINCT u::bigint AS user_id,
       ((u % 4) * 10 + (hashint4(u * 31 + k) & 2147483647) % 10 + 1)::bigint AS title_id,
       1 + (k % 3)::float8 AS weight
  FROM generate_series(1, 300) u, generate_series(1, 6) k
UNION ALL
SELECT u, ((hashint4(u) & 2147483647) % 40 + 1)::bigint, 1
  FROM generate_series(1, 300, 7) u;
CREATE TABLE ease_mid_m AS
SELECT nfrec.ease_train(user_id, title_id, weight, '{"lambda": 5, "verbose": false}') AS m FROM ease_mid;
CREATE TABLE ease_b_mid AS SELECT * FROM pg_temp.ease_reference('ease_mid', 5);
SELECT max(abs(e.b - r.b)) < 1e-6 AS b_matches_reference, count(*) AS cells,
       bool_and(e.b = 0) FILTER (WHERE e.ti = e.tj) AS diagonal_zero
  FROM ease_mid_m, pg_temp.ease_b(m) e JOIN ease_b_mid r USING (ti, tj);
SELECT nfrec.deploy('ease_mid', m) FROM ease_mid_m \gset
SELECT count(*) AS users,
       count(*) FILTER (WHERE served = reference) AS same_lists
  FROM (SELECT u,
               (SELECT array_agg(title_id ORDER BY rank) FROM nfrec.recommend_for(u, 10, 'ease_mid')) AS served,
               (SELECT array_agg(title_id ORDER BY rank) FROM pg_temp.sql_ranking('ease_mid', 'ease_b_mid', u, 10)) AS reference
          FROM generate_series(1, 300) u) s;

-- evaluate: a model value and the deployed model give the same figures
CREATE TABLE ease_test AS SELECT user_id, title_id FROM ease_mid WHERE nfrec.holdout(user_id, title_id, 0.2, 1);
CREATE TABLE ease_mid_train AS SELECT * FROM ease_mid WHERE NOT nfrec.holdout(user_id, title_id, 0.2, 1);
CREATE TABLE ease_mid_tm AS
SELECT nfrec.ease_train(user_id, title_id, weight, '{"lambda": 5, "verbose": false}') AS m FROM ease_mid_train;
SELECT nfrec.deploy('ease_mid_t', m) FROM ease_mid_tm \gset
SELECT users, cold_users, recall > pop_recall AS beats_popularity,
       round(recall::numeric, 4) AS recall, round(ndcg::numeric, 4) AS ndcg, round(coverage::numeric, 4) AS coverage
  FROM ease_mid_tm, nfrec.evaluate(m, 'ease_test', 10);
SELECT (SELECT row(e.*) FROM ease_mid_tm, nfrec.evaluate(m, 'ease_test', 10) e)
     = (SELECT row(e.*) FROM nfrec.evaluate('ease_mid_t', 'ease_test', 10) e) AS value_equals_deployed;
-- recall@10 recomputed in SQL from recommend_for over the test users
SELECT round(avg(nfrec.recall_at_k(
         ARRAY(SELECT title_id FROM nfrec.recommend_for(t.user_id, 10, 'ease_mid_t') ORDER BY rank),
         t.rel, 10))::numeric, 4) AS recall_from_recommend_for
  FROM (SELECT user_id, array_agg(title_id) AS rel FROM ease_test GROUP BY 1) t;

-- Parallel query: a Partial Aggregate in the workers, the same model
CREATE FUNCTION pg_temp.fp(m nfrec.ease_model) RETURNS text LANGUAGE sql AS $$
  -- train_seconds and trained_at (payload bytes 36..51) zeroed
  SELECT md5(overlay(m::text PLACING repeat('0', 32) FROM 75 FOR 32))
$$;
CREATE TABLE ease_par AS
SELECT (hashint4(g) & 255)::bigint AS u, (hashint4(g * 7 + 1) & 127)::bigint AS i,
       1 + (hashint4(g * 13) & 3)::float8 AS w
FROM generate_series(1, 20000) g;
ANALYZE ease_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT nfrec.ease_train(u, i, w, '{"verbose": false}') FROM ease_par;
CREATE TEMP TABLE par AS SELECT nfrec.ease_train(u, i, w, '{"verbose": false}') AS m FROM ease_par;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT pg_temp.fp(s.m) = pg_temp.fp(par.m) AS parallel_equals_serial, nfrec.model_info(s.m)->'events' AS events
FROM par, (SELECT nfrec.ease_train(u, i, w, '{"verbose": false}') AS m FROM ease_par) s;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

-- Text form round-trips; defaults are recorded
SELECT pg_temp.fp(m::text::nfrec.ease_model) = pg_temp.fp(m) AS text_round_trip FROM ease_m;
SET client_min_messages = warning;
SELECT nfrec.model_info(nfrec.ease_train(user_id, title_id, weight))->'options' AS default_options FROM ease_tiny;
RESET client_min_messages;
-- Bad input
\set VERBOSITY sqlstate
SELECT nfrec.ease_train(user_id, title_id, weight) FROM ease_tiny WHERE false;
SELECT nfrec.ease_train(NULL::bigint, title_id, weight) FROM ease_tiny;
SELECT nfrec.ease_train(user_id, title_id, 'NaN') FROM ease_tiny;
SELECT nfrec.ease_train(user_id, title_id, '-Infinity') FROM ease_tiny;
SELECT nfrec.ease_train(user_id, title_id, weight, '{"lambda": -1}') FROM ease_tiny;
SELECT nfrec.ease_train(user_id, title_id, weight, '{"lambda": 0}') FROM ease_tiny;
SELECT nfrec.ease_train(user_id, title_id, weight, '{"lambda": "big"}') FROM ease_tiny;
SELECT nfrec.ease_train(user_id, title_id, weight, '{"max_titles": 20000}') FROM ease_tiny;
SELECT nfrec.ease_train(user_id, title_id, weight, '{"max_titles": 2.5}') FROM ease_tiny;
SELECT nfrec.ease_train(user_id, title_id, weight, '{"factors": 8}') FROM ease_tiny;
SELECT nfrec.ease_train(user_id, title_id, weight, '[1]') FROM ease_tiny;
SELECT nfrec.ease_train(user_id, title_id, weight, CASE WHEN user_id = 3 THEN '{"lambda": 1}' ELSE '{}' END::jsonb) FROM ease_tiny;
SELECT nfrec.ease_train(user_id, title_id, 1e300 * weight) FROM ease_tiny;
SELECT nfrec.deploy('x', NULL::nfrec.ease_model);
SELECT nfrec.deploy(NULL, m) FROM ease_m;
SELECT nfrec.deploy('x', m, keep => 0) FROM ease_m;
SELECT nfrec.evaluate(NULL::nfrec.ease_model, 'ease_test', 10);
SELECT 'garbage'::nfrec.ease_model;
SELECT '\x00'::nfrec.ease_model;
-- a flipped byte in B's diagonal (the last title's, the value's last 4 bytes)
SELECT (left(m::text, -8) || '0000803f')::nfrec.ease_model FROM ease_m;
\set VERBOSITY default
-- more titles than max_titles: 54000, with the memory it would need
SELECT nfrec.ease_train(user_id, title_id, weight, '{"max_titles": 3}') FROM ease_tiny;
SELECT nfrec.ease_train(g, g, 1) FROM generate_series(1, 15001) g;

-- rollback and drop work on EASE models like on ALS ones
SELECT nfrec.deploy('ease_a', m) > :version AS newer FROM ease_m;
SELECT nfrec.rollback('ease_a') = :version AS rolled_back;
SELECT nfrec.drop_model('ease_a');
SELECT nfrec.drop_model('ease_ev');
SELECT nfrec.drop_model('ease_mid');
SELECT nfrec.drop_model('ease_mid_t');
SELECT count(*) FROM nfrec.model_store WHERE kind = 'ease';
DROP TABLE ease_tiny, ease_m, ease_b_tiny, ease_now, ease_mid, ease_mid_m, ease_b_mid,
           ease_test, ease_mid_train, ease_mid_tm, ease_par;
