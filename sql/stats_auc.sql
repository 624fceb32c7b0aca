-- auc: area under the ROC curve = Mann-Whitney U / (n_pos n_neg), ties 1/2.
-- Checked against the brute-force pair count in plain SQL.

-- by hand: positives 0.4, 0.8; negatives 0.1, 0.35, 0.4.
-- 0.4 beats 0.1 and 0.35 and ties 0.4 (2.5 pairs), 0.8 beats all three: 5.5 / 6
SELECT nfrec.auc(s, l) AS auc, 5.5 / 6 AS expected
FROM (VALUES (0.1, false), (0.4, true), (0.35, false), (0.8, true), (0.4, false)) t(s, l);
-- perfect, reversed, all tied, infinite scores
SELECT (SELECT nfrec.auc(g, g > 5) FROM generate_series(1, 10) g) AS perfect,
       (SELECT nfrec.auc(-g, g > 5) FROM generate_series(1, 10) g) AS reversed,
       (SELECT nfrec.auc(1, g > 5) FROM generate_series(1, 10) g) AS all_tied,
       (SELECT nfrec.auc(s, l) FROM (VALUES ('Infinity'::float8, true), ('-Infinity', false), ('Infinity', false)) t(s, l)) AS infinities;

-- brute force over 1200 rows with many ties (scores rounded to 0.01)
CREATE TEMP TABLE sc AS
SELECT g, round((0.5 + 0.3 * sin(g * 1.37) + 0.15 * (g % 3 = 0)::int)::numeric, 2)::float8 AS s,
       sin(g * 2.17) + 0.4 * (g % 3 = 0)::int > 0.2 AS l
FROM generate_series(1, 1200) g;
SELECT count(*) FILTER (WHERE l) AS n_pos, count(*) FILTER (WHERE NOT l) AS n_neg,
       round(nfrec.auc(s, l)::numeric, 12) AS auc,
       round(((SELECT sum(CASE WHEN p.s > n.s THEN 1.0 WHEN p.s = n.s THEN 0.5 ELSE 0 END)
               FROM sc p, sc n WHERE p.l AND NOT n.l)
              / (count(*) FILTER (WHERE l) * count(*) FILTER (WHERE NOT l)))::numeric, 12) AS brute_force
FROM sc;
-- per group (the pair count over a join has n_pos * n_neg rows)
WITH bf AS (SELECT p.g % 2 AS grp,
                   sum(CASE WHEN p.s > n.s THEN 1.0 WHEN p.s = n.s THEN 0.5 ELSE 0 END) / count(*) AS a
            FROM sc p JOIN sc n ON p.g % 2 = n.g % 2 WHERE p.l AND NOT n.l GROUP BY 1)
SELECT grp, round(x.auc::numeric, 12) AS auc, round(bf.a::numeric, 12) AS brute_force
FROM bf JOIN (SELECT g % 2 AS grp, nfrec.auc(s, l) AS auc FROM sc GROUP BY 1) x USING (grp)
ORDER BY grp;

-- parallel partial aggregation: exactly the same count
CREATE TABLE aucbig AS
SELECT g, round(sin(g * 0.37)::numeric, 3)::float8 AS s, sin(g * 0.37) + sin(g * 5.1) > 0 AS l
FROM generate_series(1, 100000) g;
ALTER TABLE aucbig SET (parallel_workers = 2);
ANALYZE aucbig;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT nfrec.auc(s, l) FROM aucbig;
CREATE TEMP TABLE apar AS SELECT nfrec.auc(s, l) AS a FROM aucbig;
SET max_parallel_workers_per_gather = 0;
SELECT apar.a = s.a AS identical, round(s.a::numeric, 12) AS auc FROM apar, (SELECT nfrec.auc(s, l) AS a FROM aucbig) s;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE aucbig;

-- undefined cases give NULL: one class only, no rows; NULL rows are skipped
SELECT nfrec.auc(g, true) IS NULL AS only_positives,
       nfrec.auc(g, false) IS NULL AS only_negatives
FROM generate_series(1, 5) g;
SELECT nfrec.auc(g, true) IS NULL AS no_rows FROM generate_series(1, 5) g WHERE false;
SELECT nfrec.auc(s, l) AS skips_nulls
FROM (VALUES (0.1, false), (NULL, true), (0.9, NULL), (0.7, true)) t(s, l);

-- bad input
\set VERBOSITY sqlstate
SELECT nfrec.auc(s, l) FROM (VALUES (0.1::float8, false), ('NaN', true)) t(s, l);
\set VERBOSITY default
SELECT nfrec.auc(s, l) FROM (VALUES (0.1::float8, false), ('NaN', true)) t(s, l);
