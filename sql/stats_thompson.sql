-- thompson_pick: Thompson sampling over Beta posteriors.
-- The pick frequencies over many seeded calls are compared with the
-- posterior probability that each arm is best, computed independently:
-- by numeric integration in SQL (integer Beta parameters have polynomial
-- densities and CDFs) or in closed form.

-- reproducible with a seed, volatile without
SELECT array_agg(nfrec.thompson_pick('{3,5,2}', '{7,5,8}', seed => s) ORDER BY s)
     = array_agg(nfrec.thompson_pick('{3,5,2}', '{7,5,8}', seed => s) ORDER BY s) AS reproducible
FROM generate_series(1, 50) s;
SELECT count(DISTINCT nfrec.thompson_pick('{0,0}', '{0,0}')) AS both_arms_seen_unseeded
FROM generate_series(1, 200);
SELECT provolatile FROM pg_proc WHERE proname = 'thompson_pick';

-- three arms Beta(4,8), Beta(6,6), Beta(3,9) (successes + 1, failures + 1):
-- P(arm i best) = integral of f_i(x) prod_{j != i} F_j(x) dx, midpoint rule,
-- f(x) = x^(a-1) (1-x)^(b-1) (a+b-1)! / ((a-1)! (b-1)!),
-- F(x) = sum_{j=a}^{a+b-1} C(a+b-1, j) x^j (1-x)^(a+b-1-j)
CREATE TEMP TABLE arms(i int, a int, b int);
INSERT INTO arms VALUES (1, 4, 8), (2, 6, 6), (3, 3, 9);
CREATE TEMP TABLE grid AS SELECT (k - 0.5) / 4000.0 AS x FROM generate_series(1, 4000) k;
CREATE TEMP TABLE dens AS
SELECT i, x,
       x ^ (a - 1) * (1 - x) ^ (b - 1) * factorial(a + b - 1)::float8 / (factorial(a - 1)::float8 * factorial(b - 1)::float8) AS f,
       (SELECT sum(factorial(a + b - 1)::float8 / (factorial(j)::float8 * factorial(a + b - 1 - j)::float8)
                   * x ^ j * (1 - x) ^ (a + b - 1 - j))
        FROM generate_series(a, a + b - 1) j) AS cdf
FROM arms, grid;
CREATE TEMP TABLE p_best AS
WITH w AS (SELECT x, max(f) FILTER (WHERE i = 1) AS f1, max(f) FILTER (WHERE i = 2) AS f2,
                  max(f) FILTER (WHERE i = 3) AS f3, max(cdf) FILTER (WHERE i = 1) AS c1,
                  max(cdf) FILTER (WHERE i = 2) AS c2, max(cdf) FILTER (WHERE i = 3) AS c3
           FROM dens GROUP BY x)
SELECT 1 AS i, sum(f1 * c2 * c3) / 4000 AS p FROM w
UNION ALL SELECT 2, sum(f2 * c1 * c3) / 4000 FROM w
UNION ALL SELECT 3, sum(f3 * c1 * c2) / 4000 FROM w;
SELECT round(sum(p)::numeric, 6) AS total_probability FROM p_best;
CREATE TEMP TABLE picks AS
SELECT nfrec.thompson_pick('{3,5,2}', '{7,5,8}', seed => s) AS i FROM generate_series(1, 4000) s;
-- each frequency within 4 standard errors, and a chi-square test (2 df, 0.1% level: 13.82)
SELECT p_best.i, round(p::numeric, 3) AS p_best,
       round(coalesce(n, 0) / 4000.0, 3) AS frequency,
       abs(coalesce(n, 0) / 4000.0 - p) < 4 * sqrt(p * (1 - p) / 4000) AS within_4se
FROM p_best LEFT JOIN (SELECT i, count(*) AS n FROM picks GROUP BY i) c USING (i) ORDER BY i;
SELECT sum((coalesce(n, 0) - 4000 * p) ^ 2 / (4000 * p)) < 13.82 AS chi_square_ok
FROM p_best LEFT JOIN (SELECT i, count(*) AS n FROM picks GROUP BY i) c USING (i);

-- Jeffreys prior Beta(0.5, 0.5) (shape < 1 draws) against Beta(2, 1):
-- P(X1 > X2) = E[X1^2] = a (a+1) / ((a+b)(a+b+1)) = 0.375
SELECT round(avg((nfrec.thompson_pick('{0,1}', '{0,0}', '{0.5,1}', '{0.5,1}', s) = 1)::int), 3) AS frequency_arm1,
       abs(avg((nfrec.thompson_pick('{0,1}', '{0,0}', '{0.5,1}', '{0.5,1}', s) = 1)::int) - 0.375)
         < 4 * sqrt(0.375 * 0.625 / 4000) AS matches_0_375
FROM generate_series(1, 4000) s;
-- informed prior: a new artwork with prior Beta(20, 80) (creative-quality guess 20%)
-- against an untested one, Beta(1, 1): P(U > X) = 1 - E[X] = 0.8
SELECT round(avg((nfrec.thompson_pick('{0,0}', '{0,0}', prior_alpha => '{20,1}', prior_beta => '{80,1}', seed => s) = 2)::int), 3)
         AS frequency_untested,
       abs(avg((nfrec.thompson_pick('{0,0}', '{0,0}', prior_alpha => '{20,1}', prior_beta => '{80,1}', seed => s) = 2)::int) - 0.8)
         < 4 * sqrt(0.8 * 0.2 / 4000) AS matches_0_8
FROM generate_series(1, 4000) s;
-- lots of evidence: the better arm (10.1% vs 10.0% over 10 million each) nearly always wins
SELECT count(*) FILTER (WHERE nfrec.thompson_pick('{1000000,1010000}', '{9000000,8990000}', seed => s) = 2) AS picks_of_better
FROM generate_series(1, 200) s;
-- one arm
SELECT nfrec.thompson_pick('{5}', '{5}', seed => 1) AS only_arm;
-- NULL counts give NULL
SELECT nfrec.thompson_pick(NULL, '{1}') IS NULL AS null_successes;

-- bad input
\set VERBOSITY sqlstate
SELECT nfrec.thompson_pick('{}', '{}');
SELECT nfrec.thompson_pick('{1,2}', '{1}');
SELECT nfrec.thompson_pick('{1,-2}', '{1,1}');
SELECT nfrec.thompson_pick('{1,2}', '{1,-1}');
SELECT nfrec.thompson_pick('{1,NULL}', '{1,1}');
SELECT nfrec.thompson_pick('{{1,2}}', '{{1,1}}');
SELECT nfrec.thompson_pick('{1,2}', '{1,1}', '{1,0}', NULL);
SELECT nfrec.thompson_pick('{1,2}', '{1,1}', NULL, '{1,-1}');
SELECT nfrec.thompson_pick('{1,2}', '{1,1}', '{1,NaN}', NULL);
SELECT nfrec.thompson_pick('{1,2}', '{1,1}', '{1,Infinity}', NULL);
SELECT nfrec.thompson_pick('{1,2}', '{1,1}', '{1,1,1}', NULL);
\set VERBOSITY default
SELECT nfrec.thompson_pick('{1,2}', '{1}');
SELECT nfrec.thompson_pick('{1,-2}', '{1,1}');
SELECT nfrec.thompson_pick('{1,2}', '{1,1}', '{1,0}', NULL);
