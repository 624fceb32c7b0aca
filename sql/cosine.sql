-- cosine_sim for dense real[] and float8[]
-- Reference values are worked out by hand: cos(a,b) = a.b / (|a| |b|).

-- normal use
SELECT nfrec.cosine_sim('{1,0}'::real[], '{0,1}'::real[]) AS orthogonal,
       nfrec.cosine_sim('{1,2,3}'::real[], '{2,4,6}'::real[]) AS parallel,
       nfrec.cosine_sim('{1,2,3}'::real[], '{-1,-2,-3}'::real[]) AS opposite;
-- (1,2,2).(2,1,2) = 8, |a|=|b|=3 -> 8/9
SELECT round(nfrec.cosine_sim('{1,2,2}'::float8[], '{2,1,2}'::float8[])::numeric, 12) AS eight_ninths,
       round((8.0/9)::numeric, 12) AS expected;
-- (3,4).(4,3) = 24, |a|=|b|=5 -> 0.96
SELECT nfrec.cosine_sim('{3,4}'::real[], '{4,3}'::real[]) = 0.96 AS exact_096;

-- huge and tiny magnitudes keep the same cosine as (1,2,2)/(2,1,2)
SELECT round(nfrec.cosine_sim('{1e30,2e30,2e30}'::real[], '{2e30,1e30,2e30}'::real[])::numeric, 6) AS huge_f4,
       round(nfrec.cosine_sim('{1e-30,2e-30,2e-30}'::real[], '{2e-30,1e-30,2e-30}'::real[])::numeric, 6) AS tiny_f4,
       round(nfrec.cosine_sim('{1e200,2e200,2e200}'::float8[], '{2e200,1e200,2e200}'::float8[])::numeric, 12) AS huge_f8,
       round(nfrec.cosine_sim('{1e-200,2e-200,2e-200}'::float8[], '{2e-200,1e-200,2e-200}'::float8[])::numeric, 12) AS tiny_f8,
       round(nfrec.cosine_sim('{1e300,2e300,2e300}'::float8[], '{2e-300,1e-300,2e-300}'::float8[])::numeric, 12) AS mixed_f8;
-- subnormal float8
SELECT round(nfrec.cosine_sim('{5e-324,0}'::float8[], '{1e-320,1e-320}'::float8[])::numeric, 6) AS subnormal;

-- against a brute-force SQL computation over random 64-dim vectors
WITH v AS (
  SELECT g, array_agg(sin(g * 7 + i)::real ORDER BY i) AS a,
            array_agg(cos(g * 3 + i * i)::real ORDER BY i) AS b
  FROM generate_series(1, 20) g, generate_series(1, 64) i GROUP BY g
), ref AS (
  SELECT g, sum(x::float8 * y) / sqrt(sum(x::float8 * x)) / sqrt(sum(y::float8 * y)) AS c
  FROM v, unnest(a, b) AS u(x, y) GROUP BY g
)
SELECT count(*) AS vectors, max(abs(nfrec.cosine_sim(v.a, v.b) - ref.c)) < 1e-12 AS matches
FROM v JOIN ref USING (g);

-- lower bound does not matter, only the elements
SELECT nfrec.cosine_sim('[0:1]={1,1}'::real[], '{1,1}'::real[]) AS lbound;

-- NULL in, NULL out; zero vector -> NULL (similarity undefined)
SELECT nfrec.cosine_sim(NULL::real[], '{1}'::real[]) IS NULL AS null_arg,
       nfrec.cosine_sim('{0,0}'::real[], '{1,1}'::real[]) IS NULL AS zero_a,
       nfrec.cosine_sim('{1,1}'::float8[], '{0,0}'::float8[]) IS NULL AS zero_b;

-- bad input
\set VERBOSITY sqlstate
SELECT nfrec.cosine_sim('{1,2}'::real[], '{1,2,3}'::real[]);
SELECT nfrec.cosine_sim('{1,NULL}'::real[], '{1,2}'::real[]);
SELECT nfrec.cosine_sim('{1,NaN}'::real[], '{1,2}'::real[]);
SELECT nfrec.cosine_sim('{1,2}'::float8[], '{Infinity,2}'::float8[]);
SELECT nfrec.cosine_sim('{1,2}'::float8[], '{-Infinity,2}'::float8[]);
SELECT nfrec.cosine_sim('{{1,2},{3,4}}'::real[], '{{1,2},{3,4}}'::real[]);
SELECT nfrec.cosine_sim('{}'::real[], '{}'::real[]);
\set VERBOSITY default
SELECT nfrec.cosine_sim('{1,2}'::real[], '{1,2,3}'::real[]);
SELECT nfrec.cosine_sim('{{1,2},{3,4}}'::float8[], '{1,2}'::float8[]);
