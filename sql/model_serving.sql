-- Serving: recommend_for, similar_titles, user_vector, item/user factors.
-- Models are built from hand-chosen factors, so every score is checked
-- against a plain SQL dot product (factors are multiples of 0.5: float4
-- sums are exact and ties really are ties).

CREATE TABLE s_titles AS
SELECT t::bigint AS title_id,
       ARRAY(SELECT ((((t * 7 + a * 3) % 9) - 4) * 0.5)::real FROM generate_series(0, 2) a) AS f
  FROM generate_series(101, 112) t;
CREATE TABLE s_users AS
SELECT u::bigint AS user_id,
       ARRAY(SELECT ((((u * 5 + a * 11) % 9) - 4) * 0.5)::real FROM generate_series(0, 2) a) AS f
  FROM generate_series(1, 8) u;
CREATE TABLE s_train AS
SELECT u::bigint AS user_id, t::bigint AS title_id, ((u % 3) + 1)::real AS weight
  FROM generate_series(1, 8) u, generate_series(101, 112) t
 WHERE (u + t) % 4 = 0 OR (t IN (103, 107) AND u % 2 = 0);
-- the bound events relation starts equal to the training rows
CREATE TABLE s_events AS SELECT * FROM s_train;
CREATE INDEX ON s_events (user_id);

SELECT nfrec.deploy('serve_a', nfrec.als_model_from_factors(
    (SELECT array_agg(user_id ORDER BY user_id) FROM s_users),
    (SELECT array_agg(f ORDER BY user_id) FROM s_users),
    (SELECT array_agg(title_id ORDER BY title_id) FROM s_titles),
    (SELECT array_agg(f ORDER BY title_id) FROM s_titles),
    (SELECT array_agg(user_id) FROM s_train),
    (SELECT array_agg(title_id) FROM s_train),
    (SELECT array_agg(weight) FROM s_train),
    alpha => 2, regularization => 0.5), 's_events') > 0 AS deployed;

-- Reference ranking: dot products in SQL, unseen titles only, score desc,
-- title_id asc.
CREATE VIEW s_ref AS
SELECT u.user_id, t.title_id,
       (SELECT sum(a * b) FROM unnest(u.f, t.f) AS z(a, b))::real AS score,
       row_number() OVER (PARTITION BY u.user_id
                          ORDER BY (SELECT sum(a * b) FROM unnest(u.f, t.f) AS z(a, b)) DESC,
                                   t.title_id)::int AS rank
  FROM s_users u CROSS JOIN s_titles t
 WHERE NOT EXISTS (SELECT 1 FROM s_train e WHERE e.user_id = u.user_id AND e.title_id = t.title_id);

SELECT * FROM nfrec.recommend_for(1, 5, 'serve_a');
SELECT * FROM s_ref WHERE user_id = 1 AND rank <= 5 ORDER BY rank;

-- every user, every title: same titles, ranks and scores as the reference
WITH got AS (
    SELECT u.user_id, r.rank, r.title_id, r.score
      FROM s_users u, nfrec.recommend_for(u.user_id, 100, 'serve_a') r
)
SELECT count(*) AS rows,
       count(*) FILTER (WHERE g.title_id = r.title_id AND g.score = r.score) AS matching
  FROM s_ref r FULL JOIN got g USING (user_id, rank);
-- the reference has ties, so tie-breaking by title_id is exercised
SELECT count(*) AS tied_pairs
  FROM s_ref a JOIN s_ref b ON a.user_id = b.user_id AND a.score = b.score AND a.title_id < b.title_id;
-- no recommended title is a training title
SELECT count(*) AS seen_recommended
  FROM s_users u, nfrec.recommend_for(u.user_id, 100, 'serve_a') r
  JOIN s_train e ON e.title_id = r.title_id
 WHERE e.user_id = u.user_id;

-- n bounds: 1, every unseen title for a huge n
SELECT count(*) AS one FROM nfrec.recommend_for(1, 1, 'serve_a');
SELECT count(*) AS all_unseen,
       (SELECT 12 - count(*) FROM s_train WHERE user_id = 1) AS expected
  FROM nfrec.recommend_for(1, 2147483647, 'serve_a');
-- default n is 10
SELECT count(*) AS default_n FROM nfrec.recommend_for(1, model => 'serve_a');

-- user_vector: unchanged events -> the trained vector
SELECT v.source, v.factors = u.f AS is_trained_vector
  FROM s_users u, nfrec.user_vector(u.user_id, 'serve_a') v WHERE u.user_id = 3;

-- Post-training events: user 1 watches its current top title (and one
-- title twice).  No redeploy: the title disappears at once, the user is
-- folded in, and the new list is the SQL ranking of the folded vector
-- over titles seen neither in training nor now.
INSERT INTO s_events
SELECT 1, title_id, 1 FROM nfrec.recommend_for(1, 1, 'serve_a');
INSERT INTO s_events VALUES (1, 110, 0.5), (1, 110, 0.5);
SELECT source FROM nfrec.user_vector(1, 'serve_a');
WITH v AS (SELECT factors FROM nfrec.user_vector(1, 'serve_a')),
ref AS (
    SELECT t.title_id, (SELECT sum(a * b) FROM unnest(v.factors, t.f) AS z(a, b)) AS score
      FROM s_titles t, v
     WHERE t.title_id NOT IN (SELECT title_id FROM s_events WHERE user_id = 1
                              UNION SELECT title_id FROM s_train WHERE user_id = 1)
), ranked AS (
    SELECT title_id, score, row_number() OVER (ORDER BY score DESC, title_id) AS rank FROM ref
)
SELECT count(*) AS rows,
       count(*) FILTER (WHERE r.title_id = g.title_id AND abs(r.score - g.score) < 1e-5) AS matching
  FROM ranked r FULL JOIN nfrec.recommend_for(1, 100, 'serve_a') g USING (rank);
SELECT count(*) AS seen_recommended
  FROM nfrec.recommend_for(1, 100, 'serve_a') r
 WHERE r.title_id IN (SELECT title_id FROM s_events WHERE user_id = 1);

-- Cold start: a user with no events gets popularity (training users per
-- title, title_id asc on ties) with the share of training users who have
-- the title as score (the 0..1 scale of predicted scores).
SELECT * FROM nfrec.recommend_for(424242, 5, 'serve_a');
SELECT title_id, (count(*)::float8 / (SELECT count(*) FROM s_users))::real AS share
  FROM s_train GROUP BY title_id
 ORDER BY share DESC, title_id LIMIT 5;
SELECT source, factors FROM nfrec.user_vector(424242, 'serve_a');
-- ... minus what the user has seen: events with weight 0, NULL weight, or
-- a title outside the catalog give no preference, so still cold, but
-- titles in the catalog are excluded
INSERT INTO s_events VALUES (777, 104, 0), (777, 108, NULL), (777, 999, 5);
SELECT source FROM nfrec.user_vector(777, 'serve_a');
SELECT array_agg(title_id ORDER BY rank) AS cold_list FROM nfrec.recommend_for(777, 100, 'serve_a');
SELECT array_agg(title_id ORDER BY users DESC, title_id) AS expected
  FROM (SELECT t.title_id, count(e.user_id) AS users FROM s_titles t LEFT JOIN s_train e USING (title_id)
         WHERE t.title_id NOT IN (104, 108) GROUP BY t.title_id) s;

-- NULL user: no rows
SELECT count(*) AS null_user FROM nfrec.recommend_for(NULL, 5, 'serve_a');
SELECT * FROM nfrec.user_vector(NULL, 'serve_a');

-- Fold-in against the closed form, f = 2.  Titles (hand-chosen):
--   201 (1,0)  202 (0,1)  203 (1,1)  204 (2,-1)  205 (-1,2)  206 (.5,.5)  207 (0,0)
-- alpha = 3, lambda = 0.25; user 50 trained on title 201 with x = (1, 0.5).
CREATE TABLE f2_titles (title_id bigint, f real[]);
INSERT INTO f2_titles VALUES (201, '{1,0}'), (202, '{0,1}'), (203, '{1,1}'), (204, '{2,-1}'),
                             (205, '{-1,2}'), (206, '{0.5,0.5}'), (207, '{0,0}');
CREATE TABLE f2_events (user_id int, title_id int, weight numeric);
INSERT INTO f2_events VALUES (50, 201, 1);
SELECT nfrec.deploy('serve_f2', nfrec.als_model_from_factors(
    '{50}', '{{1,0.5}}',
    (SELECT array_agg(title_id ORDER BY title_id) FROM f2_titles),
    (SELECT array_agg(f ORDER BY title_id) FROM f2_titles),
    '{50}', '{201}', '{1}', alpha => 3, regularization => 0.25), 'f2_events') > 0 AS deployed;
-- the same model with ALS-WR scaling (lambda times the user's events)
SELECT nfrec.deploy('serve_f2w', nfrec.als_model_from_factors(
    '{50}', '{{1,0.5}}',
    (SELECT array_agg(title_id ORDER BY title_id) FROM f2_titles),
    (SELECT array_agg(f ORDER BY title_id) FROM f2_titles),
    '{50}', '{201}', '{1}', alpha => 3, regularization => 0.25,
    regularization_scaling => 'frequency'), 'f2_events') > 0 AS deployed;

-- x = (Y'Y + sum alpha |w| y y' + lambda I)^-1 sum_{w > 0} (1 + alpha w) y
-- over the user's events (w < 0 is a dislike: confidence 1 + alpha |w|,
-- preference 0, as in training), solved by Cramer's rule in plain SQL
CREATE FUNCTION pg_temp.foldin2(p_user bigint, alpha float8, lambda float8) RETURNS float8[]
LANGUAGE sql AS $$
WITH y AS (SELECT title_id, f[1]::float8 AS y1, f[2]::float8 AS y2 FROM f2_titles),
g AS (SELECT sum(y1 * y1) AS g11, sum(y1 * y2) AS g12, sum(y2 * y2) AS g22 FROM y),
ev AS (SELECT title_id, sum(coalesce(weight, 0))::float8 AS w
         FROM f2_events WHERE user_id = p_user GROUP BY title_id),
obs AS (SELECT y.*, ev.w FROM ev JOIN y USING (title_id) WHERE ev.w <> 0),
a AS (SELECT g11 + coalesce(sum(alpha * abs(w) * y1 * y1), 0) + lambda AS a11,
             g12 + coalesce(sum(alpha * abs(w) * y1 * y2), 0) AS a12,
             g22 + coalesce(sum(alpha * abs(w) * y2 * y2), 0) + lambda AS a22,
             coalesce(sum((1 + alpha * w) * y1) FILTER (WHERE w > 0), 0) AS b1,
             coalesce(sum((1 + alpha * w) * y2) FILTER (WHERE w > 0), 0) AS b2
        FROM g LEFT JOIN obs ON true GROUP BY g11, g12, g22)
SELECT ARRAY[(a22 * b1 - a12 * b2) / (a11 * a22 - a12 * a12),
             (a11 * b2 - a12 * b1) / (a11 * a22 - a12 * a12)] FROM a
$$;

-- same events as training: the stored vector
SELECT * FROM nfrec.user_vector(50, 'serve_f2');
-- new events: 203 twice (summed to 3), 202 with weight 0 and 204 with NULL
-- weight (seen, no preference), a title outside the catalog (ignored)
INSERT INTO f2_events VALUES (50, 203, 2), (50, 203, 1), (50, 202, 0), (50, 204, NULL), (50, 999, 5);
-- by hand: A = [[19.5, 6.25], [6.25, 16.5]], b = (14, 10),
-- x = (168.5, 107.5) / 282.6875 = (0.5961, 0.3803)
SELECT v.source, round(v.factors[1]::numeric, 4) AS x1, round(v.factors[2]::numeric, 4) AS x2,
       round((168.5 / 282.6875)::numeric, 4) AS hand_x1, round((107.5 / 282.6875)::numeric, 4) AS hand_x2,
       abs(v.factors[1] - r[1]) < 1e-6 AND abs(v.factors[2] - r[2]) < 1e-6 AS matches_sql_solve
  FROM nfrec.user_vector(50, 'serve_f2') v, pg_temp.foldin2(50, 3, 0.25) r;
-- with ALS-WR scaling: lambda times the user's titles in the catalog (201,
-- 202, 203, 204: 4, as training counts every title of the user), so 1.0
SELECT v.source, abs(v.factors[1] - r[1]) < 1e-6 AND abs(v.factors[2] - r[2]) < 1e-6 AS matches_sql_solve,
       abs(v.factors[1] - w[1]) > 1e-4 AS differs_from_unscaled
  FROM nfrec.user_vector(50, 'serve_f2w') v, pg_temp.foldin2(50, 3, 1.0) r, pg_temp.foldin2(50, 3, 0.25) w;
-- only unseen titles 205, 206, 207 remain: 206 (.5x1+.5x2), 205 (-x1+2x2), 207 (0)
SELECT rank, title_id, round(score::numeric, 5) AS score FROM nfrec.recommend_for(50, 10, 'serve_f2');
-- a thumbs-down (negative weight) is a dislike, as in training: it moves the
-- vector away from the title instead of being ignored
BEGIN;
INSERT INTO f2_events VALUES (50, 205, -2);
SELECT v.source, abs(v.factors[1] - r[1]) < 1e-6 AND abs(v.factors[2] - r[2]) < 1e-6 AS matches_sql_solve,
       round(v.factors[2]::numeric, 4) < round((107.5 / 282.6875)::numeric, 4) AS moved_away_from_205
  FROM nfrec.user_vector(50, 'serve_f2') v, pg_temp.foldin2(50, 3, 0.25) r;
ROLLBACK;
-- a new subscriber with one play: folded in from scratch
-- by hand: A = [[7.5, -2.75], [-2.75, 10.5]], b = (0, 4), x = (11, 30) / 71.1875
INSERT INTO f2_events VALUES (60, 202, 1);
SELECT v.source, round(v.factors[1]::numeric, 4) AS x1, round(v.factors[2]::numeric, 4) AS x2,
       round((11 / 71.1875)::numeric, 4) AS hand_x1, round((30 / 71.1875)::numeric, 4) AS hand_x2,
       abs(v.factors[1] - r[1]) < 1e-6 AND abs(v.factors[2] - r[2]) < 1e-6 AS matches_sql_solve
  FROM nfrec.user_vector(60, 'serve_f2') v, pg_temp.foldin2(60, 3, 0.25) r;
-- deleting the new events returns user 50 to the trained vector
DELETE FROM f2_events WHERE user_id = 50 AND title_id <> 201;
SELECT * FROM nfrec.user_vector(50, 'serve_f2');

-- similar_titles: cosine of title factors, the title itself excluded.
-- 203 = (1,1): 206 cos 1; 201, 202 cos 1/sqrt(2) (tie: id order);
-- 204, 205 cos 1/sqrt(10) (tie); 207 has no direction and is left out.
-- (serve_f2 was built from one training event, so min_support => 0 here)
SELECT rank, title_id, round(score::numeric, 5) AS score FROM nfrec.similar_titles(203, 10, 'serve_f2', min_support => 0);
SELECT round((1 / sqrt(2))::numeric, 5) AS inv_sqrt2, round((1 / sqrt(10))::numeric, 5) AS inv_sqrt10;
-- against SQL over the 12-title model: every title's full neighbour list,
-- with no support filter and with min_support 3, 6 and 7 (supports are 2
-- to 6): neighbours are exactly the titles with that many training users in
-- s_train (the events the model was built from), in cosine order (the
-- cosine alone: nfrec.cooccurrence_weight 0; the blend with co-occurrence
-- is checked in similar_cooccurrence)
SET nfrec.cooccurrence_weight = 0;
CREATE TEMP TABLE sim_ref AS
SELECT a.title_id AS q, b.title_id,
       (SELECT sum(x * y) FROM unnest(a.f, b.f) z(x, y))
         / sqrt((SELECT sum(x * x) FROM unnest(a.f) x)) / sqrt((SELECT sum(y * y) FROM unnest(b.f) y)) AS c,
       (SELECT count(*) FROM s_train e WHERE e.title_id = b.title_id) AS support
  FROM s_titles a JOIN s_titles b ON a.title_id <> b.title_id;
SELECT ms, (SELECT count(*) FROM sim_ref WHERE support >= ms) AS expected_pairs,
       count(*) AS pairs, max(abs(r.c - g.score)) < 1e-6 AS scores_match,
       bool_and(r.support >= ms) AS all_supported,
       bool_and(g.rank = (SELECT count(*) + 1 FROM sim_ref o WHERE o.q = r.q AND o.support >= ms
                           AND (o.c > r.c OR (o.c = r.c AND o.title_id < r.title_id)))) AS ranks_match
  FROM (VALUES (0), (3), (6), (7)) v(ms),
       LATERAL (SELECT t.title_id AS q, s.* FROM s_titles t,
                       nfrec.similar_titles(t.title_id, 11, 'serve_a', min_support => ms) s) g
  JOIN sim_ref r USING (q, title_id)
 GROUP BY ms ORDER BY ms;
RESET nfrec.cooccurrence_weight;
SELECT (SELECT count(*) FROM s_titles t, nfrec.similar_titles(t.title_id, 11, 'serve_a') s) AS default_pairs,
       (SELECT count(*) FROM sim_ref WHERE support >= 5) AS support_5_pairs;
SELECT min(support), max(support) FROM (SELECT DISTINCT title_id, support FROM sim_ref) s;
-- min_support larger than any title's support: no neighbours
SELECT count(*) AS none FROM nfrec.similar_titles(101, 11, 'serve_a', min_support => 1000000);
-- factors imported without events carry no support: the filter does not apply
SELECT nfrec.deploy('serve_noev', nfrec.als_model_from_factors(
    '{1}', '{{1,0}}', '{1,2,3}', '{{1,0},{0.8,0.6},{0,1}}')) > 0 AS deployed;
SELECT rank, title_id, round(score::numeric, 3) AS score FROM nfrec.similar_titles(1, 5, 'serve_noev');
SELECT nfrec.drop_model('serve_noev');
-- unknown title, zero-vector title, NULL title, n = 1
SELECT count(*) AS unknown_title FROM nfrec.similar_titles(999999, 5, 'serve_f2', min_support => 0);
SELECT count(*) AS zero_vector FROM nfrec.similar_titles(207, 5, 'serve_f2', min_support => 0);
SELECT count(*) AS null_title FROM nfrec.similar_titles(NULL, 5, 'serve_f2', min_support => 0);
SELECT title_id FROM nfrec.similar_titles(201, 1, 'serve_f2', min_support => 0);

-- item_factors / user_factors give back the factors as deployed
SELECT count(*) AS titles, bool_and(i.factors = t.f) AS same
  FROM nfrec.item_factors('serve_a') i JOIN s_titles t USING (title_id);
SELECT count(*) AS users, bool_and(u.factors = s.f) AS same
  FROM nfrec.user_factors('serve_a') u JOIN s_users s USING (user_id);
SELECT * FROM nfrec.item_factors('serve_f2') LIMIT 3;

\set VERBOSITY sqlstate
-- n out of range
SELECT * FROM nfrec.recommend_for(1, 0, 'serve_a');
SELECT * FROM nfrec.recommend_for(1, -1, 'serve_a');
SELECT * FROM nfrec.recommend_for(1, NULL, 'serve_a');
SELECT * FROM nfrec.similar_titles(201, 0, 'serve_f2');
-- min_support negative or NULL
SELECT * FROM nfrec.similar_titles(201, 5, 'serve_f2', min_support => -1);
SELECT * FROM nfrec.similar_titles(201, 5, 'serve_f2', min_support => NULL);
-- unknown model
SELECT * FROM nfrec.recommend_for(1, 5, 'no_such_model');
SELECT * FROM nfrec.similar_titles(201, 5, 'no_such_model');
SELECT * FROM nfrec.item_factors('no_such_model');
SELECT * FROM nfrec.user_factors('no_such_model');
SELECT * FROM nfrec.user_vector(1, 'no_such_model');
-- a non-finite weight in the events relation
INSERT INTO f2_events VALUES (70, 201, 'NaN');
SELECT * FROM nfrec.recommend_for(70, 5, 'serve_f2');
\set VERBOSITY default
SELECT * FROM nfrec.recommend_for(1, 0, 'serve_a');
SELECT * FROM nfrec.recommend_for(1, 5, 'no_such_model');
SELECT * FROM nfrec.recommend_for(70, 5, 'serve_f2');

SELECT nfrec.drop_model('serve_a'), nfrec.drop_model('serve_f2'), nfrec.drop_model('serve_f2w');
DROP VIEW s_ref;
DROP TABLE s_titles, s_users, s_train, s_events, f2_titles, f2_events;
