-- Experiments: ab_test (two-proportion z-test), sample_size, welch_ttest.
-- Every number is recomputed here from the textbook formula in plain SQL,
-- or compared with a published value.

-- ab_test -------------------------------------------------------------

-- 200/2000 (A) vs 250/2000 (B)
SELECT round(rate_a::numeric, 12) AS rate_a, round(rate_b::numeric, 12) AS rate_b,
       round(diff::numeric, 12) AS diff, round(lift::numeric, 12) AS lift,
       round(z::numeric, 12) AS z, round(p_value::numeric, 12) AS p_value,
       round(ci_low::numeric, 12) AS ci_low, round(ci_high::numeric, 12) AS ci_high
FROM nfrec.ab_test(200, 2000, 250, 2000);
-- against the formulas: pooled SE for z, unpooled SE for the interval,
-- z^2 = Pearson chi-square of the 2x2 table, p from R's
-- prop.test(c(250, 200), c(2000, 2000), correct = FALSE) = 0.0123509477111914
WITH r AS (SELECT * FROM nfrec.ab_test(200, 2000, 250, 2000)),
     f AS (SELECT 0.1::float8 AS pa, 0.125::float8 AS pb, 450 / 4000.0::float8 AS pp),
     chi AS (SELECT sum((o - e) ^ 2 / e) AS x2
             FROM (VALUES (200, 2000 * 450 / 4000.0), (1800, 2000 * 3550 / 4000.0),
                          (250, 2000 * 450 / 4000.0), (1750, 2000 * 3550 / 4000.0)) t(o, e))
SELECT abs(r.diff - (f.pb - f.pa)) < 1e-15 AS diff_ok,
       abs(r.lift - (f.pb - f.pa) / f.pa) < 1e-14 AS lift_ok,
       abs(r.z - (f.pb - f.pa) / sqrt(f.pp * (1 - f.pp) * (1 / 2000.0 + 1 / 2000.0))) < 1e-13 AS z_ok,
       abs(r.z ^ 2 - chi.x2) < 1e-11 AS z2_is_chi_square,
       abs(r.p_value - 0.0123509477111914) < 1e-15 AS p_ok,
       abs(r.ci_low - ((f.pb - f.pa) - 1.959963984540054 * sqrt(f.pa * (1 - f.pa) / 2000 + f.pb * (1 - f.pb) / 2000))) < 1e-15 AS lo_ok,
       abs(r.ci_high - ((f.pb - f.pa) + 1.959963984540054 * sqrt(f.pa * (1 - f.pa) / 2000 + f.pb * (1 - f.pb) / 2000))) < 1e-15 AS hi_ok
FROM r, f, chi;
-- 90% interval uses z_0.95 = 1.6448536269514727; the test itself does not change
SELECT abs((ci_high - ci_low) / 2 - 1.6448536269514727 * sqrt(0.1 * 0.9 / 2000 + 0.125 * 0.875 / 2000)) < 1e-15 AS ci90_ok,
       round(p_value::numeric, 12) AS p_value
FROM nfrec.ab_test(200, 2000, 250, 2000, confidence => 0.9);
-- B worse than A: negative diff and z, same p-value
SELECT round(diff::numeric, 12) AS diff, round(z::numeric, 12) AS z, round(p_value::numeric, 12) AS p_value
FROM nfrec.ab_test(250, 2000, 200, 2000);
-- no difference
SELECT diff, z, p_value, ci_low = -ci_high AS symmetric_ci FROM nfrec.ab_test(30, 100, 30, 100);
-- degenerate: nobody or everybody converts in both arms -> z and p_value undefined
SELECT * FROM nfrec.ab_test(0, 100, 0, 50);
SELECT * FROM nfrec.ab_test(100, 100, 50, 50);
-- rate_a = 0: lift undefined, the test still works
SELECT rate_a, lift IS NULL AS lift_null, round(z::numeric, 12) AS z,
       round(z::numeric, 12) = round((0.05 / sqrt(0.025 * 0.975 * (2 / 200.0)))::numeric, 12) AS z_ok
FROM nfrec.ab_test(0, 200, 10, 200);
-- huge arms
SELECT round(z::numeric, 6) AS z,
       round(((0.1000001 - 0.1) / sqrt(0.10000005 * 0.89999995 * 2e-12))::numeric, 6) AS z_formula
FROM nfrec.ab_test(100000000000, 1000000000000, 100000100000, 1000000000000);
SELECT nfrec.ab_test(NULL, 10, 1, 10) IS NULL AS null_in;

-- sample_size -------------------------------------------------------------

-- R: power.prop.test(p1 = .10, p2 = .12, power = .80) gives n = 3840.85;
-- R's help example power.prop.test(p1 = .50, p2 = .75, power = .90) n = 76.7
SELECT nfrec.sample_size(0.10, 0.02) AS ten_to_twelve,
       nfrec.sample_size(0.50, 0.25, power => 0.9) AS r_help_example,
       nfrec.sample_size(0.12, -0.02) AS twelve_to_ten;
-- the closed form in SQL, z values from tables
SELECT b, m, a, pw, nfrec.sample_size(b, m, a, pw) AS n,
       nfrec.sample_size(b, m, a, pw) =
         ceil((za * sqrt(2 * (b + m / 2) * (1 - b - m / 2)) + zb * sqrt(b * (1 - b) + (b + m) * (1 - b - m))) ^ 2 / m ^ 2) AS formula_ok
FROM (VALUES (0.05::float8, 0.01::float8, 0.05::float8, 0.8::float8, 1.959963984540054, 0.8416212335729143),
             (0.30, 0.05, 0.01, 0.8, 2.5758293035489008, 0.8416212335729143),
             (0.02, 0.002, 0.05, 0.9, 1.959963984540054, 1.2815515655446004),
             (0.50, -0.10, 0.10, 0.95, 1.6448536269514727, 1.6448536269514727)) v(b, m, a, pw, za, zb);
-- a larger effect needs fewer users; more power needs more
SELECT nfrec.sample_size(0.1, 0.05) < nfrec.sample_size(0.1, 0.02) AS bigger_effect_fewer,
       nfrec.sample_size(0.1, 0.02, power => 0.9) > nfrec.sample_size(0.1, 0.02) AS more_power_more;

-- welch_ttest -------------------------------------------------------------

-- equal sizes and variances: df = 2 (n - 1) = 10 exactly, so the 95%
-- interval is diff +- t_{0.975,10} se with t_{0.975,10} = 2.228138851986;
-- R: t.test(3:8, 1:6) gives t = 1.8516, df = 10, p = 0.093792551579223
CREATE TEMP TABLE w10 AS
SELECT v::float8 AS v, false AS treat FROM generate_series(1, 6) v
UNION ALL SELECT v, true FROM generate_series(3, 8) v;
SELECT r->'n_control' AS n_c, r->'n_treatment' AS n_t, r->'mean_control' AS mean_c,
       r->'mean_treatment' AS mean_t, r->'var_control' AS var_c, r->'var_treatment' AS var_t,
       r->'diff' AS diff, round((r->>'df')::numeric, 10) AS df, round((r->>'t')::numeric, 12) AS t,
       abs((r->>'t')::float8 - 2 / sqrt(7 / 6.0)) < 1e-14 AS t_ok,
       abs((r->>'p_value')::float8 - 0.093792551579223197) < 1e-14 AS p_ok,
       abs((r->>'ci_low')::float8 - (2 - 2.228138851986 * sqrt(7 / 6.0))) < 1e-11 AS lo_ok,
       abs((r->>'ci_high')::float8 - (2 + 2.228138851986 * sqrt(7 / 6.0))) < 1e-11 AS hi_ok
FROM (SELECT nfrec.welch_ttest(v, treat) AS r FROM w10) s;

-- unequal sizes and variances, against the formula in plain SQL
CREATE TEMP TABLE wdata AS
SELECT g, (g % 5 = 0) AS treat,
       CASE WHEN g % 5 = 0 THEN 10 + 3 * sin(g) ELSE 9 + cos(g * 1.7) END AS v
FROM generate_series(1, 1000) g;
WITH s AS (SELECT nfrec.welch_ttest(v, treat) AS r FROM wdata),
     f AS (SELECT count(*) FILTER (WHERE NOT treat) AS nc, count(*) FILTER (WHERE treat) AS nt,
                  avg(v) FILTER (WHERE NOT treat) AS mc, avg(v) FILTER (WHERE treat) AS mt,
                  var_samp(v) FILTER (WHERE NOT treat) AS vc, var_samp(v) FILTER (WHERE treat) AS vt
           FROM wdata),
     g AS (SELECT *, mt - mc AS diff, sqrt(vc / nc + vt / nt) AS se,
                  (vc / nc + vt / nt) ^ 2 / ((vc / nc) ^ 2 / (nc - 1) + (vt / nt) ^ 2 / (nt - 1)) AS df
           FROM f)
SELECT (r->>'n_control')::int = nc AND (r->>'n_treatment')::int = nt AS n_ok,
       abs((r->>'mean_control')::float8 - mc) < 1e-13 AND abs((r->>'mean_treatment')::float8 - mt) < 1e-13 AS means_ok,
       abs((r->>'var_control')::float8 - vc) < 1e-13 AND abs((r->>'var_treatment')::float8 - vt) < 1e-13 AS vars_ok,
       abs((r->>'t')::float8 - diff / se) < 1e-11 AS t_ok,
       abs((r->>'df')::float8 - df) < 1e-9 AS df_ok,
       abs((r->>'p_value')::float8 - 2 * nfrec.t_cdf(-abs(diff / se), df)) < 1e-15 AS p_ok,
       abs((r->>'ci_low')::float8 - (diff - nfrec.t_quantile(0.975, df) * se)) < 1e-13 AS lo_ok,
       round((r->>'df')::numeric, 6) AS df, round((r->>'t')::numeric, 9) AS t
FROM s, g;
-- confidence 0.8 uses t_{0.9, df}
WITH s AS (SELECT nfrec.welch_ttest(v, treat, 0.8) AS r FROM wdata)
SELECT abs(((r->>'ci_high')::float8 - (r->>'ci_low')::float8) / 2
           - nfrec.t_quantile(0.9, (r->>'df')::float8) * (r->>'se')::float8) < 1e-13 AS ci80_ok,
       r->'confidence' AS confidence
FROM s;
-- parallel plans combine partial states (Chan et al.) to the same answer
CREATE TABLE wbig AS
SELECT g, (g % 3 = 0) AS treat, (g % 3 = 0)::int * 0.05 + sin(g * 0.37) AS v
FROM generate_series(1, 60000) g;
ALTER TABLE wbig SET (parallel_workers = 2);
ANALYZE wbig;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT nfrec.welch_ttest(v, treat) FROM wbig;
CREATE TEMP TABLE wpar AS SELECT nfrec.welch_ttest(v, treat) AS r FROM wbig;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT abs((p.r->>'t')::float8 - (s.r->>'t')::float8) < 1e-9 AS t_same,
       abs((p.r->>'df')::float8 - (s.r->>'df')::float8) < 1e-6 AS df_same,
       p.r->'n_treatment' = s.r->'n_treatment' AS n_same,
       round((s.r->>'t')::numeric, 6) AS t
FROM wpar p, (SELECT nfrec.welch_ttest(v, treat) AS r FROM wbig) s;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE wbig;
-- the combine function by hand: {1, 2} + {3} = {1, 2, 3}: n 3, mean 2, sum of squares 2
SELECT nfrec.welch_ttest_combine('{2,1.5,0.5,0,0,0,NaN}', '{1,3,0,0,0,0,NaN}') AS combined;
-- edge cases: NULLs skipped, small groups, no spread, no rows
SELECT nfrec.welch_ttest(v, t) FROM (VALUES (1.0, false), (NULL, true), (2.0, NULL), (3.0, false), (5.0, true)) x(v, t);
SELECT nfrec.welch_ttest(v, t) FROM (VALUES (1.0, false), (1.0, false), (4.0, true), (4.0, true)) x(v, t);
SELECT nfrec.welch_ttest(v, t) IS NULL AS no_rows FROM (SELECT 1.0::float8 AS v, true AS t WHERE false) x;
SELECT nfrec.welch_ttest(NULL::float8, true) IS NULL AS all_null;
-- the state functions by hand on valid states (what the aggregate does)
SELECT nfrec.welch_ttest_final(nfrec.welch_ttest_accum(nfrec.welch_ttest_accum(
           nfrec.welch_ttest_accum('{0,0,0,0,0,0,NaN}', 1, false), 3, false), 5, true, 0.9)) AS by_hand;
-- huge values overflow the sums: an error, not a null variance
\set VERBOSITY sqlstate
SELECT nfrec.welch_ttest(v, true) FROM unnest('{1e308,-1e308}'::float8[]) v;
SELECT nfrec.welch_ttest_accum('{-1,0,0,0,0,0,NaN}', 1, true);
SELECT nfrec.welch_ttest_accum(NULL, 1, true);
SELECT nfrec.welch_ttest_combine('{0,0,0,0,0,0,NaN}', '{0,0,0,-3,1,1,NaN}');
SELECT nfrec.welch_ttest_final('{2,1,1,2,1,-1,NaN}');
\set VERBOSITY default
SELECT nfrec.welch_ttest(v, true) FROM unnest('{1e308,-1e308}'::float8[]) v;
SELECT nfrec.welch_ttest_combine('{2,1e308,1e300,0,0,0,NaN}', '{2,-1e308,1e300,0,0,0,NaN}');
-- forged states are rejected by every state function, with what is wrong
SELECT nfrec.welch_ttest_accum('{0,0,0,0,0,0}', 1, true);
SELECT nfrec.welch_ttest_accum('{{0,0,0,0,0,0,NaN}}', 1, true);
SELECT nfrec.welch_ttest_accum('{0,0,0,0,0,0,NULL}', 1, true);
SELECT nfrec.welch_ttest_accum(NULL, 1, true);
SELECT nfrec.welch_ttest_accum('{-1,0,0,0,0,0,NaN}', 1, true);
SELECT nfrec.welch_ttest_accum('{2.5,1,1,0,0,0,NaN}', 1, true);
SELECT nfrec.welch_ttest_accum('{1e300,1,1,0,0,0,NaN}', 1, true);
SELECT nfrec.welch_ttest_accum('{NaN,1,1,0,0,0,NaN}', 1, true);
SELECT nfrec.welch_ttest_accum('{2,NaN,1,0,0,0,NaN}', 1, true);
SELECT nfrec.welch_ttest_accum('{2,1,Infinity,0,0,0,NaN}', 1, true);
SELECT nfrec.welch_ttest_accum('{2,1,-0.5,0,0,0,NaN}', 1, true);
SELECT nfrec.welch_ttest_accum('{0,5,0,0,0,0,NaN}', 1, true);
SELECT nfrec.welch_ttest_accum('{1,5,2,0,0,0,NaN}', 1, true);
SELECT nfrec.welch_ttest_accum('{0,0,0,3,1,1,1.5}', 1, true);
SELECT nfrec.welch_ttest_combine('{0,0,0,0,0,0,NaN}', '{0,0,0,-3,1,1,NaN}');
SELECT nfrec.welch_ttest_combine('{0,0,0,-3,1,1,NaN}', '{0,0,0,0,0,0,NaN}');
SELECT nfrec.welch_ttest_final('{-5,0,0,2,1,1,NaN}');
SELECT nfrec.welch_ttest_final('{1e20,0,0,2,1,1,NaN}');
SELECT nfrec.welch_ttest_final('{2,1,1,2,1,-1,NaN}');
\set VERBOSITY default

-- bad input
\set VERBOSITY sqlstate
SELECT * FROM nfrec.ab_test(11, 10, 1, 10);
SELECT * FROM nfrec.ab_test(-1, 10, 1, 10);
SELECT * FROM nfrec.ab_test(1, 10, 1, 0);
SELECT * FROM nfrec.ab_test(1, -10, 1, 10);
SELECT * FROM nfrec.ab_test(1, 10, 1, 10, 0);
SELECT * FROM nfrec.ab_test(1, 10, 1, 10, 1);
SELECT * FROM nfrec.ab_test(1, 10, 1, 10, 'NaN');
SELECT nfrec.sample_size(0, 0.1);
SELECT nfrec.sample_size(1, 0.1);
SELECT nfrec.sample_size(0.1, 0);
SELECT nfrec.sample_size(0.5, 0.5);
SELECT nfrec.sample_size(0.5, -0.6);
SELECT nfrec.sample_size(0.1, 0.01, alpha => 0);
SELECT nfrec.sample_size(0.1, 0.01, power => 0.3);
SELECT nfrec.sample_size(0.1, 0.01, power => 1);
SELECT nfrec.sample_size(0.5, 1e-10);
SELECT nfrec.welch_ttest(v, true) FROM unnest('{1,NaN}'::float8[]) v;
SELECT nfrec.welch_ttest(v, true) FROM unnest('{1,Infinity}'::float8[]) v;
SELECT nfrec.welch_ttest(v, v > 1, 1.5) FROM unnest('{1,2}'::float8[]) v;
SELECT nfrec.welch_ttest(v, v > 1, v / 10) FROM unnest('{1,2}'::float8[]) v;
\set VERBOSITY default
SELECT * FROM nfrec.ab_test(11, 10, 1, 10);
SELECT nfrec.sample_size(0.5, 0.6);
SELECT nfrec.sample_size(0.5, 1e-10);
