-- Ranking metrics, catalog aggregates and the holdout split.
-- Reference values are worked out by hand (log2(3) = 1.58496,
-- log2(6) = 2.58496) or by a brute-force SQL computation.

-- recommended {1,2,3,4,5}, relevant {2,5,9}: hits at ranks 2 and 5
--   k=5: precision 2/5, recall 2/3, DCG 1/log2(3) + 1/log2(6) = 1.01778,
--        IDCG (3 hits) 1 + 1/log2(3) + 1/2 = 2.13093 -> ndcg 0.47762,
--        AP (1/2 + 2/5) / 3 = 0.3
--   k=3: precision 1/3, recall 1/3, ndcg 0.63093/2.13093 = 0.29608, AP (1/2)/3
--   k=1: nothing
SELECT k,
       round(nfrec.precision_at_k('{1,2,3,4,5}', '{2,5,9}', k)::numeric, 5) AS p,
       round(nfrec.recall_at_k('{1,2,3,4,5}', '{2,5,9}', k)::numeric, 5) AS r,
       round(nfrec.ndcg_at_k('{1,2,3,4,5}', '{2,5,9}', k)::numeric, 5) AS ndcg,
       round(nfrec.average_precision_at_k('{1,2,3,4,5}', '{2,5,9}', k)::numeric, 5) AS ap
  FROM unnest('{5,3,1}'::int[]) k;
-- a perfect list
SELECT nfrec.precision_at_k('{9,5,2}', '{2,5,9}', 3) AS p, nfrec.recall_at_k('{9,5,2}', '{2,5,9}', 3) AS r,
       nfrec.ndcg_at_k('{9,5,2}', '{2,5,9}', 3) AS ndcg, nfrec.average_precision_at_k('{9,5,2}', '{2,5,9}', 3) AS ap;
-- a list shorter than k: precision still divides by k (1/10); the ideal
-- DCG and AP use min(k, |relevant|) = 2: ndcg 1/1.63093, AP 1/2
SELECT nfrec.precision_at_k('{2}', '{2,5}', 10) AS p, nfrec.recall_at_k('{2}', '{2,5}', 10) AS r,
       round(nfrec.ndcg_at_k('{2}', '{2,5}', 10)::numeric, 5) AS ndcg,
       nfrec.average_precision_at_k('{2}', '{2,5}', 10) AS ap;
-- a repeated title takes its slot but is credited once: hits at 1 and 3,
-- precision 2/3, recall 1, ndcg (1 + 1/2)/1.63093 = 0.91972, AP (1 + 2/3)/2
SELECT round(nfrec.precision_at_k('{2,2,5}', '{2,5}', 3)::numeric, 5) AS p,
       nfrec.recall_at_k('{2,2,5}', '{2,5}', 3) AS r,
       round(nfrec.ndcg_at_k('{2,2,5}', '{2,5}', 3)::numeric, 5) AS ndcg,
       round(nfrec.average_precision_at_k('{2,2,5}', '{2,5}', 3)::numeric, 5) AS ap;
-- repeated relevant titles count once
SELECT nfrec.recall_at_k('{2}', '{2,2,2}', 1) AS r;
-- no relevant titles: recall, ndcg and AP undefined (NULL), precision 0
SELECT nfrec.precision_at_k('{1,2}', '{}', 2) AS p, nfrec.recall_at_k('{1,2}', '{}', 2) AS r,
       nfrec.ndcg_at_k('{1,2}', '{}', 2) AS ndcg, nfrec.average_precision_at_k('{1,2}', '{}', 2) AS ap;
-- nothing recommended
SELECT nfrec.precision_at_k('{}', '{1}', 2) AS p, nfrec.recall_at_k('{}', '{1}', 2) AS r,
       nfrec.ndcg_at_k('{}', '{1}', 2) AS ndcg, nfrec.average_precision_at_k('{}', '{1}', 2) AS ap;
-- NULL arrays: NULL
SELECT nfrec.precision_at_k(NULL, '{1}', 2) IS NULL AS null_rec, nfrec.ndcg_at_k('{1}', NULL, 2) IS NULL AS null_rel;
-- huge k
SELECT nfrec.precision_at_k('{1}', '{1}', 2147483647) > 0 AS huge_k;

-- brute force over 300 pseudo-random lists: first occurrence of each
-- relevant title in the first k positions, computed in plain SQL
CREATE TEMP TABLE m_cases AS
SELECT c,
       ARRAY(SELECT ((c * 31 + i * 17 + (i * i) % 7) % 12)::bigint FROM generate_series(1, 1 + c % 9) i) AS rec,
       ARRAY(SELECT ((c * 13 + j * 5) % 12)::bigint FROM generate_series(1, 1 + c % 5) j) AS rel,
       1 + c % 7 AS k
  FROM generate_series(1, 300) c;
WITH pos AS (
    SELECT c, k, x, min(o) AS r
      FROM m_cases, unnest(rec) WITH ORDINALITY AS u(x, o)
     WHERE o <= k AND x = ANY (rel)
     GROUP BY c, k, x
), hits AS (
    SELECT c, r, row_number() OVER (PARTITION BY c ORDER BY r) AS h FROM pos
), ref AS (
    SELECT m.c,
           coalesce((SELECT count(*) FROM hits WHERE hits.c = m.c), 0)::float8 / m.k AS p,
           coalesce((SELECT count(*) FROM hits WHERE hits.c = m.c), 0)::float8
               / (SELECT count(DISTINCT x) FROM unnest(m.rel) x) AS r,
           coalesce((SELECT sum(1 / log(2, r + 1.0)) FROM hits WHERE hits.c = m.c), 0)
               / (SELECT sum(1 / log(2, i + 1.0)) FROM generate_series(1, least(m.k,
                         (SELECT count(DISTINCT x) FROM unnest(m.rel) x))::int) i) AS ndcg,
           coalesce((SELECT sum(h::float8 / r) FROM hits WHERE hits.c = m.c), 0)
               / least(m.k, (SELECT count(DISTINCT x) FROM unnest(m.rel) x)) AS ap
      FROM m_cases m
)
SELECT count(*) AS cases,
       max(abs(nfrec.precision_at_k(m.rec, m.rel, m.k) - ref.p)) < 1e-12 AS p_ok,
       max(abs(nfrec.recall_at_k(m.rec, m.rel, m.k) - ref.r)) < 1e-12 AS r_ok,
       max(abs(nfrec.ndcg_at_k(m.rec, m.rel, m.k) - ref.ndcg)) < 1e-12 AS ndcg_ok,
       max(abs(nfrec.average_precision_at_k(m.rec, m.rel, m.k) - ref.ap)) < 1e-12 AS ap_ok,
       count(*) FILTER (WHERE ref.p > 0) AS cases_with_hits
  FROM m_cases m JOIN ref USING (c);

\set VERBOSITY sqlstate
SELECT nfrec.precision_at_k('{1}', '{1}', 0);
SELECT nfrec.recall_at_k('{1}', '{1}', -5);
SELECT nfrec.ndcg_at_k('{1,NULL}', '{1}', 2);
SELECT nfrec.average_precision_at_k('{1}', '{NULL}', 2);
SELECT nfrec.precision_at_k('{{1,2}}', '{1}', 2);
\set VERBOSITY default
SELECT nfrec.precision_at_k('{1}', '{1}', 0);

-- effective catalog size: 2 * sum_i i p_i - 1
--   plays 3:1 -> p = (.75, .25): 2 (.75 + .5) - 1 = 1.5
--   four titles played evenly -> 4; one title -> 1
--   weighted 2:1:1 -> p = (.5, .25, .25): 2 (.5 + .5 + .75) - 1 = 2.5
SELECT nfrec.effective_catalog_size(t) AS three_to_one FROM unnest('{1,1,1,2}'::bigint[]) t;
SELECT nfrec.effective_catalog_size(t) AS even FROM unnest('{1,2,3,4,4,3,2,1}'::bigint[]) t;
SELECT nfrec.effective_catalog_size(t) AS single FROM unnest('{7,7,7}'::bigint[]) t;
SELECT nfrec.effective_catalog_size(t, w) AS weighted
  FROM (VALUES (1, 2.0), (2, 1.0), (3, 0.5), (3, 0.5), (NULL, 9.0), (4, NULL)) v(t, w);
SELECT nfrec.effective_catalog_size(t) IS NULL AS no_rows FROM unnest('{}'::bigint[]) t;
SELECT nfrec.effective_catalog_size(t, 0) IS NULL AS zero_plays FROM unnest('{1,2}'::bigint[]) t;
-- grouped, against a brute-force SQL computation
CREATE TEMP TABLE m_plays AS
SELECT g, (1 + (i * i * (g + 3)) % (5 + g * 13))::bigint AS title_id
  FROM generate_series(1, 4) g, generate_series(1, 2000) i;
WITH counts AS (
    SELECT g, title_id, count(*) AS n FROM m_plays GROUP BY g, title_id
), ranked AS (
    SELECT g, n::float8 / sum(n) OVER (PARTITION BY g) AS p,
           row_number() OVER (PARTITION BY g ORDER BY n DESC) AS i FROM counts
), ref AS (
    SELECT g, 2 * sum(i * p) - 1 AS ecs, count(*) AS titles FROM ranked GROUP BY g
)
SELECT g, ref.titles, round(nfrec.effective_catalog_size(title_id)::numeric, 6) AS ecs,
       round(ref.ecs::numeric, 6) AS expected
  FROM m_plays JOIN ref USING (g) GROUP BY g, ref.ecs, ref.titles ORDER BY g;

-- catalog coverage: distinct titles / catalog size
SELECT nfrec.catalog_coverage(t, 10) AS coverage FROM unnest('{1,1,2,3,NULL}'::bigint[]) t;
SELECT nfrec.catalog_coverage(t, NULL) IS NULL AS no_size FROM unnest('{1}'::bigint[]) t;
SELECT nfrec.catalog_coverage(t, 10) IS NULL AS no_rows FROM unnest('{}'::bigint[]) t;

-- parallel aggregation gives the serial answers
CREATE TABLE m_big AS
SELECT i AS id, (1 + (i::bigint * 7919) % 5000 * (i % 3))::bigint AS title_id, (i % 5)::float8 AS w
  FROM generate_series(1, 300000) i;
ANALYZE m_big;
SET max_parallel_workers_per_gather = 0;
SELECT round(nfrec.effective_catalog_size(title_id)::numeric, 8) AS ecs,
       round(nfrec.effective_catalog_size(title_id, w)::numeric, 8) AS ecs_w,
       nfrec.catalog_coverage(title_id, 20000) AS coverage
  FROM m_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT nfrec.effective_catalog_size(title_id), nfrec.catalog_coverage(title_id, 20000) FROM m_big;
SELECT round(nfrec.effective_catalog_size(title_id)::numeric, 8) AS ecs,
       round(nfrec.effective_catalog_size(title_id, w)::numeric, 8) AS ecs_w,
       nfrec.catalog_coverage(title_id, 20000) AS coverage
  FROM m_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE m_big;

\set VERBOSITY sqlstate
SELECT nfrec.effective_catalog_size(t, -1) FROM unnest('{1}'::bigint[]) t;
SELECT nfrec.effective_catalog_size(t, 'NaN') FROM unnest('{1}'::bigint[]) t;
SELECT nfrec.catalog_coverage(t, 2) FROM unnest('{1,2,3}'::bigint[]) t;
SELECT nfrec.catalog_coverage(t, 0) FROM unnest('{1}'::bigint[]) t;
\set VERBOSITY default
SELECT nfrec.catalog_coverage(t, 2) FROM unnest('{1,2,3}'::bigint[]) t;

-- holdout: deterministic, about the fraction asked for, nested in the
-- fraction, different per seed
CREATE TEMP TABLE m_pairs AS
SELECT u::bigint AS user_id, t::bigint AS title_id FROM generate_series(1, 200) u, generate_series(1, 100) t;
SELECT count(*) FILTER (WHERE nfrec.holdout(user_id, title_id, 0)) AS none,
       count(*) FILTER (WHERE nfrec.holdout(user_id, title_id, 1)) AS every,
       abs(count(*) FILTER (WHERE nfrec.holdout(user_id, title_id, 0.2)) - 4000) < 200 AS about_20pct,
       abs(count(*) FILTER (WHERE nfrec.holdout(user_id, title_id)) - 4000) < 200 AS default_20pct,
       count(*) FILTER (WHERE nfrec.holdout(user_id, title_id, 0.1)
                        AND NOT nfrec.holdout(user_id, title_id, 0.3)) AS not_nested,
       abs(count(*) FILTER (WHERE nfrec.holdout(user_id, title_id, 0.5, 1)
                              = nfrec.holdout(user_id, title_id, 0.5, 2)) - 10000) < 300 AS seeds_independent
  FROM m_pairs;
-- per user the share stays near the fraction (no user gets everything)
SELECT max(share) < 0.4 AS balanced
  FROM (SELECT avg(nfrec.holdout(user_id, title_id, 0.2)::int) AS share FROM m_pairs GROUP BY user_id) s;
SELECT nfrec.holdout(1, 2, 0.5, 42) = nfrec.holdout(1, 2, 0.5, 42) AS deterministic;
\set VERBOSITY sqlstate
SELECT nfrec.holdout(1, 2, 1.5);
SELECT nfrec.holdout(1, 2, -0.1);
SELECT nfrec.holdout(1, 2, 'NaN');
