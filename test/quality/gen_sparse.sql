-- test/quality/gen_sparse.sql -- a sparse implicit-feedback data set that
-- nfrec's demo generator does not make: many titles, few titles per user,
-- heavy popularity skew, a few latent tastes (issue 9's "20K users x 5K
-- titles, about 30 titles per user, 16 tastes" case).
--
--   psql -v users=20000 -v titles=5000 -v tastes=16 -v per_user=30 \
--        -v skew=1.3 -v seed=0.42 -v name=quality_sparse -f gen_sparse.sql
--
-- Title t belongs to taste t % tastes.  A user has one taste and a
-- lognormal number of rows (median per_user); each row is, with
-- probability 0.6, a title of the user's taste, else any title.  Within
-- either pool the rank r of the title is Zipf-like: r = floor(N^(u^skew))
-- for u uniform in [0, 1) (skew 1 is log-uniform, P(r) ~ 1/r; larger skew
-- piles more rows on the first ranks).  Weights are play counts
-- (1 + a geometric number, mean 2.5).  Deterministic for the seed.
\set ON_ERROR_STOP 1
SET max_parallel_workers_per_gather = 0;
SELECT setseed(:seed);
DROP TABLE IF EXISTS :name;
CREATE TABLE :name AS
WITH u AS (
  SELECT u,
         floor(random() * :tastes)::int AS taste,
         greatest(1, round(exp(ln(:per_user) + 0.6 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::int AS n
    FROM generate_series(1, :users) u
), r AS (
  SELECT u.u, u.taste, random() AS pick, random() AS x, random() AS wx
    FROM u, generate_series(1, u.n) g
)
SELECT r.u::bigint AS user_id,
       (CASE WHEN r.pick < 0.6
             -- the r-th title of the user's taste: ids taste+1, taste+1+tastes, ...
             THEN r.taste + 1 + :tastes * (floor(exp(power(r.x, :skew) * ln(:titles / :tastes)))::bigint - 1)
             ELSE floor(exp(power(r.x, :skew) * ln(:titles)))::bigint END) AS title_id,
       (1 + floor(-ln(1 - r.wx) * 1.5))::float8 AS weight
  FROM r;
-- the planted taste of every title, for similarity checks
\set truth :name'_truth'
DROP TABLE IF EXISTS :truth;
CREATE TABLE :truth AS
  SELECT t::bigint AS title_id, ((t - 1) % :tastes)::int AS taste FROM generate_series(1, :titles) t;
ANALYZE :name;
