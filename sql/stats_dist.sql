-- Normal and Student t distribution functions.
-- References: published quantiles (e.g. z_0.975 = 1.959963984540054,
-- t_{0.975,10} = 2.228138851986) and closed forms evaluated here in plain
-- SQL (Abramowitz & Stegun 26.7.3/26.7.4 for integer df; Cauchy; df = 2;
-- Shaw's closed-form quantile for df = 4).

-- normal CDF at tabulated points; relative error within the condition
-- number of Phi, about x^2 ulps
SELECT x, round(nfrec.normal_cdf(x)::numeric, 15) AS phi,
       abs(nfrec.normal_cdf(x) - ref) / ref < 1e-15 * (1 + x * x) AS ok
FROM (VALUES (0, 0.5), (1.96, 0.97500210485177956), (-1, 0.15865525393145705),
             (3, 0.99865010196836991), (-10, 7.6198530241605261e-24),
             (-37.5, 4.6053530095819548e-308)) v(x, ref);
SELECT nfrec.normal_cdf('-Infinity') AS minus_inf, nfrec.normal_cdf('Infinity') AS plus_inf,
       nfrec.normal_cdf('NaN') AS nan, nfrec.normal_cdf(NULL) IS NULL AS null_in;

-- normal quantiles against published values
SELECT p, round(nfrec.normal_quantile(p)::numeric, 14) AS z,
       abs(nfrec.normal_quantile(p) - ref) <= 1e-15 * abs(ref) AS ok
FROM (VALUES (0.975, 1.959963984540054), (0.95, 1.6448536269514727),
             (0.995, 2.5758293035489008), (0.8, 0.84162123357291421),
             (1e-10, -6.3613409024040562), (0.025, -1.959963984540054)) v(p, ref);
SELECT nfrec.normal_quantile(0.5) AS median, nfrec.normal_quantile(0) AS zero,
       nfrec.normal_quantile(1) AS one, nfrec.normal_quantile('NaN') AS nan;
-- round trip Phi(Phi^-1(p)) = p from 1e-300 to 1 - 1e-16, relative to the tail
SELECT count(*) AS points,
       max(abs(nfrec.normal_cdf(nfrec.normal_quantile(p)) - p) / least(p, 1 - p)) < 1e-12 AS round_trip
FROM (SELECT 10 ^ (-e::float8) AS p FROM generate_series(1, 300, 3) e
      UNION ALL SELECT 1 - 10 ^ (-e::float8) FROM generate_series(1, 16) e
      UNION ALL SELECT g / 100.0 FROM generate_series(1, 99) g) s;

-- Student t CDF against A&S 26.7.3 (even df) / 26.7.4 (odd df), theta = atan(t/sqrt(df))
CREATE TEMP TABLE tgrid AS
SELECT df, i / 10.0 AS t
FROM unnest(ARRAY[1, 2, 3, 4, 5, 10, 11, 30]) df, generate_series(-80, 80, 7) i;
SELECT df, count(*) AS points, max(abs(nfrec.t_cdf(t, df) - ref)) < 1e-14 AS ok
FROM (
  SELECT df, t, 0.5 + CASE WHEN df % 2 = 0 THEN
           sin(th) / 2 * (SELECT sum(factorial(2 * k)::float8 / (4 ^ k * factorial(k)::float8 ^ 2) * cos(th) ^ (2 * k))
                          FROM generate_series(0, df / 2 - 1) k)
         ELSE
           (th + sin(th) * cos(th) *
                 coalesce((SELECT sum(4 ^ k * factorial(k)::float8 ^ 2 / factorial(2 * k + 1)::float8 * cos(th) ^ (2 * k))
                           FROM generate_series(0, (df - 3) / 2) k), 0)) / pi()
         END AS ref
  FROM tgrid, LATERAL (SELECT atan(t / sqrt(df)) AS th) a
) s GROUP BY df ORDER BY df;

-- far tails, relative error: df = 1 lower tail atan(1/|t|)/pi,
-- df = 2 lower tail 1 / (sqrt(2+t^2) (sqrt(2+t^2) + |t|))
SELECT t, abs(nfrec.t_cdf(t, 1) - atan(-1 / t) / pi()) / (atan(-1 / t) / pi()) < 1e-13 AS cauchy_ok,
       abs(nfrec.t_cdf(t, 2) - 1 / (sqrt(2 + t * t) * (sqrt(2 + t * t) - t)))
         / (1 / (sqrt(2 + t * t) * (sqrt(2 + t * t) - t))) < 1e-13 AS df2_ok
FROM unnest(ARRAY[-0.1, -1, -10, -1e3, -1e10, -1e100]::float8[]) t;
SELECT nfrec.t_cdf(-1e300, 1) / (1e-300 / pi()) BETWEEN 1 - 1e-13 AND 1 + 1e-13 AS cauchy_1e300;

-- fractional df, Infinity df, symmetry
SELECT round(nfrec.t_cdf(1.5, 2.5)::numeric, 12) + round(nfrec.t_cdf(-1.5, 2.5)::numeric, 12) AS symmetric,
       nfrec.t_cdf(0, 7.3) AS at_zero,
       nfrec.t_cdf(1.2, 'Infinity') = nfrec.normal_cdf(1.2) AS infinite_df,
       nfrec.t_cdf('Infinity', 3) AS plus_inf, nfrec.t_cdf('-Infinity', 3) AS minus_inf,
       nfrec.t_cdf('NaN', 3) AS nan;

-- large df: F(t) = Phi(t) - phi(t) (t^3 + t) / (4 df) + O(df^-2)  (Fisher 1925);
-- from df = 2e4 on the code switches to Hill's expansion: continuous there
SELECT df, max(abs(nfrec.t_cdf(t, df)
                   - (nfrec.normal_cdf(t) - exp(-t * t / 2) / sqrt(2 * pi()) * (t ^ 3 + t) / (4 * df))))
           < 10 / df ^ 2 AS first_order_ok
FROM unnest(ARRAY[1e3, 1e4, 1e5, 1e6]::float8[]) df,
     (SELECT g::float8 / 2 AS t FROM generate_series(-12, 12) g) tt
GROUP BY df ORDER BY df;
SELECT max(abs(nfrec.t_cdf(t, 19999.999999) - nfrec.t_cdf(t, 20000)) / nfrec.t_cdf(-abs(t), 20000)) < 1e-11
         AS continuous_at_switch
FROM generate_series(-8, 8) t;

-- t quantiles: table values
SELECT p, df, round(nfrec.t_quantile(p, df)::numeric, 12) AS t,
       abs(nfrec.t_quantile(p, df) - ref) < 1e-13 * ref AS ok
FROM (VALUES (0.975, 1, 12.706204736174705), (0.975, 2, 4.3026527297494639),
             (0.975, 10, 2.2281388519862747), (0.975, 30, 2.0422724563012383),
             (0.995, 5, 4.0321429835552281), (0.95, 20, 1.7247182429207873),
             (0.975, 2.5, 3.5746548420036832)) v(p, df, ref);
-- closed-form quantiles: df = 1 tan(pi (p - 1/2)) = -cot(pi p),
-- df = 2 (2p - 1) / sqrt(2 p (1 - p)),
-- df = 4: a = 4p(1-p), q = cos(acos(sqrt a)/3)/sqrt a, t = sign(p - 1/2) 2 sqrt(q - 1)
SELECT max(abs(nfrec.t_quantile(p, 1) + cos(pi() * p) / sin(pi() * p)) / abs(cos(pi() * p) / sin(pi() * p))) < 1e-13 AS df1_ok,
       max(abs(nfrec.t_quantile(p, 2) - (2 * p - 1) / sqrt(2 * p * (1 - p)))
           / abs((2 * p - 1) / sqrt(2 * p * (1 - p)))) < 1e-13 AS df2_ok,
       max(abs(nfrec.t_quantile(p, 4) - q4) / abs(q4)) < 1e-12 AS df4_ok
FROM (SELECT p, sign(p - 0.5) * 2 * sqrt(cos(acos(sqrt(4 * p * (1 - p))) / 3) / sqrt(4 * p * (1 - p)) - 1) AS q4
      FROM unnest(ARRAY[1e-8, 0.001, 0.01, 0.1, 0.3, 0.45, 0.6, 0.9, 0.975, 0.999]::float8[]) p) s;
-- round trip over fractional and huge df, down to 1e-200
SELECT count(*) AS points,
       max(abs(nfrec.t_cdf(nfrec.t_quantile(p, df), df) - p) / least(p, 1 - p)) < 1e-11 AS round_trip
FROM unnest(ARRAY[0.3, 1, 1.7, 3, 7.3, 25, 150, 5000, 3e4, 1e6, 1e9]::float8[]) df,
     unnest(ARRAY[1e-200, 1e-50, 1e-12, 1e-5, 0.01, 0.2, 0.5, 0.7, 0.99, 0.999999]::float8[]) p
WHERE nfrec.t_quantile(p, df) > '-Infinity';
SELECT nfrec.t_quantile(0.5, 3) AS median, nfrec.t_quantile(0, 3) AS zero, nfrec.t_quantile(1, 3) AS one,
       nfrec.t_quantile(0.975, 'Infinity') = nfrec.normal_quantile(0.975) AS infinite_df;

-- bad input
\set VERBOSITY sqlstate
SELECT nfrec.normal_quantile(1.5);
SELECT nfrec.normal_quantile(-0.01);
SELECT nfrec.t_cdf(1, 0);
SELECT nfrec.t_cdf(1, -3);
SELECT nfrec.t_cdf(1, 'NaN');
SELECT nfrec.t_quantile(2, 5);
SELECT nfrec.t_quantile(0.5, 0);
\set VERBOSITY default
SELECT nfrec.normal_quantile(1.5);
SELECT nfrec.t_quantile(0.9, -1);

-- the probability in messages is printed exactly (it used to say
-- "probability 1 is out of range" for 1.0000001); -0, 0 and 1 are valid,
-- NaN gives NaN, NULL gives NULL
SELECT nfrec.normal_quantile(1.0000001);
SELECT nfrec.normal_quantile(-1e-300);
SELECT nfrec.normal_quantile('Infinity');
SELECT nfrec.normal_quantile('-Infinity');
SELECT nfrec.t_quantile(1.0000001, 5);
SELECT nfrec.t_quantile('-Infinity', 5);
SELECT nfrec.t_cdf(1, 1e-320);
SELECT nfrec.t_cdf(1, -1e-320);
SELECT nfrec.normal_quantile('-0') AS minus_zero, nfrec.normal_quantile(0) AS zero,
       nfrec.normal_quantile(1) AS one, nfrec.normal_quantile('NaN') AS nan,
       nfrec.normal_quantile(NULL) IS NULL AS null_in;
SELECT nfrec.t_quantile('-0', 5) AS minus_zero, nfrec.t_quantile(0, 5) AS zero,
       nfrec.t_quantile(1, 5) AS one, nfrec.t_quantile('NaN', 5) AS nan,
       nfrec.t_quantile(NULL, 5) IS NULL AS null_in;
SELECT * FROM nfrec.ab_test(1, 10, 1, 10, 1.0000000000000002);
SELECT nfrec.sample_size(0.1, 0.01, power => 0.49999999999999994);
