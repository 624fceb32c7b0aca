-- Serving's read of the bound events relation: straight from a btree index on
-- user_id (model_events.c) where that gives exactly the query's rows, else
-- the query.  The path taken shows as a DEBUG1 message (user_vector emits no
-- other); results must be the same either way (nfrec.events_direct = off
-- forces the query) and equal to what plain SQL over the same rows says.
\set SHOW_CONTEXT never
-- 30 users x 3 factors, 50 titles x 3 factors; user u trained on 5 titles
CREATE TABLE me_train AS
SELECT u::bigint AS user_id, ((u * 7 + j * 11) % 50 + 1)::bigint AS title_id, (1 + j % 3)::real AS weight
  FROM generate_series(1, 30) u, generate_series(0, 4) j;
CREATE FUNCTION pg_temp.me_model() RETURNS nfrec.als_model LANGUAGE sql AS $$
SELECT nfrec.als_model_from_factors(
  (SELECT array_agg(u::bigint ORDER BY u) FROM generate_series(1, 30) u),
  (SELECT array_agg(ARRAY[sin(u)::real, cos(2 * u)::real, sin(3 * u + 1)::real] ORDER BY u) FROM generate_series(1, 30) u),
  (SELECT array_agg(t::bigint ORDER BY t) FROM generate_series(1, 50) t),
  (SELECT array_agg(ARRAY[cos(t)::real, sin(5 * t)::real, cos(t + 2)::real] ORDER BY t) FROM generate_series(1, 50) t),
  (SELECT array_agg(user_id ORDER BY user_id, title_id) FROM me_train),
  (SELECT array_agg(title_id ORDER BY user_id, title_id) FROM me_train),
  (SELECT array_agg(weight ORDER BY user_id, title_id) FROM me_train)) $$;
-- the bound events: the training rows, then for every third user two new
-- titles (fold-in), for every fifth a title twice with weights whose float
-- sum depends on the order (0.1 + 0.2 + 0.7), a NULL title and a title
-- outside the catalog (user 7: both ignored), a NULL weight (user 8: seen,
-- no preference)
CREATE TABLE me_events (event_id serial, user_id bigint, title_id bigint, weight real, region text);
INSERT INTO me_events (user_id, title_id, weight, region)
SELECT user_id, title_id, weight, 'US' FROM me_train ORDER BY user_id, title_id;
INSERT INTO me_events (user_id, title_id, weight, region)
SELECT u, (u * 3 + k) % 50 + 1, 2, CASE WHEN k = 0 THEN 'EU' ELSE 'US' END
  FROM generate_series(3, 30, 3) u, generate_series(0, 1) k;
INSERT INTO me_events (user_id, title_id, weight, region)
SELECT u, 50 - u, w, 'US' FROM generate_series(5, 30, 5) u, unnest('{0.7,0.1,0.2}'::real[]) w;
INSERT INTO me_events (user_id, title_id, weight, region) VALUES
  (7, NULL, 1, 'US'), (8, 44, NULL, 'US'), (7, 999, 3, 'US');
CREATE INDEX me_events_user ON me_events (user_id);
SELECT nfrec.deploy('me_model', pg_temp.me_model(), 'me_events') > 0 AS deployed;

-- every user's full ranking (all 50 titles), read directly and by query
CREATE TABLE me_direct AS
SELECT u AS user_id, r.* FROM generate_series(1, 31) u, nfrec.recommend_for(u, 50, 'me_model') r;
SET nfrec.events_direct = off;
CREATE TABLE me_query AS
SELECT u AS user_id, r.* FROM generate_series(1, 31) u, nfrec.recommend_for(u, 50, 'me_model') r;
RESET nfrec.events_direct;
SELECT (SELECT count(*) FROM me_direct) AS rows,
       (SELECT count(*) FROM (TABLE me_direct EXCEPT TABLE me_query) d) AS only_direct,
       (SELECT count(*) FROM (TABLE me_query EXCEPT TABLE me_direct) d) AS only_query;
-- independent check: a user's list is the catalog less every title of their
-- training or bound events (NULL titles and unknown ids aside)
SELECT count(*) AS users_with_wrong_exclusions FROM generate_series(1, 31) u
 WHERE ARRAY(SELECT title_id FROM me_direct d WHERE d.user_id = u ORDER BY title_id) IS DISTINCT FROM
       ARRAY(SELECT t::bigint FROM generate_series(1, 50) t
              WHERE t NOT IN (SELECT title_id FROM me_events e WHERE e.user_id = u AND title_id IS NOT NULL)
             ORDER BY t);
-- the folded-in users are those with titles beyond training (3, 6, ... 30),
-- those whose duplicates add weight (5, 10, ...) and 8, whose NULL weight
-- adds a title
SELECT array_agg(u ORDER BY u) AS folded_in FROM generate_series(1, 31) u
 WHERE (SELECT source FROM nfrec.user_vector(u, 'me_model')) = 'folded_in';
SELECT array_agg(u::int ORDER BY u) AS expected FROM (
  SELECT user_id AS u FROM me_events EXCEPT SELECT user_id FROM me_train
  UNION SELECT user_id FROM (SELECT user_id, title_id FROM me_events WHERE title_id <= 50 EXCEPT SELECT user_id, title_id FROM me_train) n
  UNION SELECT user_id FROM me_events GROUP BY user_id, title_id HAVING count(*) > 1) s;
-- the scores of a folded-in user are the dot products of their folded-in
-- vector with the title factors
SELECT count(*) AS users, max(abs(d.score - v.dot)) < 1e-5 AS scores_are_dots
  FROM me_direct d
  JOIN LATERAL (SELECT sum(uv.x * tf.y) AS dot
                  FROM nfrec.user_vector(d.user_id, 'me_model') v,
                       unnest(v.factors) WITH ORDINALITY uv(x, a),
                       nfrec.item_factors('me_model') i,
                       unnest(i.factors) WITH ORDINALITY tf(y, b)
                 WHERE i.title_id = d.title_id AND a = b) v ON true
 WHERE d.user_id IN (3, 5, 8);

-- which path: the index when it is usable
SET client_min_messages = debug1;
SELECT source FROM nfrec.user_vector(3, 'me_model');
SET nfrec.events_direct = off;
SELECT source FROM nfrec.user_vector(3, 'me_model');
RESET nfrec.events_direct;
RESET client_min_messages;

-- rights: SELECT on the table, or on the three columns, as the query needs;
-- less fails as the query fails
CREATE ROLE regress_me_app;
SELECT nfrec.grant_serving('regress_me_app');
SET ROLE regress_me_app;
SELECT * FROM nfrec.recommend_for(3, 2, 'me_model');
RESET ROLE;
GRANT SELECT (user_id, title_id) ON me_events TO regress_me_app;
SET ROLE regress_me_app;
SELECT * FROM nfrec.recommend_for(3, 2, 'me_model');
RESET ROLE;
GRANT SELECT (weight) ON me_events TO regress_me_app;
SET ROLE regress_me_app;
SET client_min_messages = debug1;
SELECT source FROM nfrec.user_vector(3, 'me_model');
RESET client_min_messages;
RESET ROLE;
GRANT SELECT ON me_direct, me_train TO regress_me_app;
SET ROLE regress_me_app;
SELECT count(*) AS differences FROM (
  SELECT u AS user_id, r.* FROM generate_series(1, 31) u, nfrec.recommend_for(u, 50, 'me_model') r
  EXCEPT TABLE me_direct) d;
RESET ROLE;

-- row-level security: the query (and its policy) serves; the rows the role
-- sees are what is excluded
ALTER TABLE me_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY us_only ON me_events TO regress_me_app USING (region = 'US');
-- user 3's EU title, which the policy hides from the role
SELECT title_id FROM me_events WHERE user_id = 3 AND region = 'EU';
SET ROLE regress_me_app;
SET client_min_messages = debug1;
SELECT source FROM nfrec.user_vector(3, 'me_model');
RESET client_min_messages;
SELECT count(*) AS users_with_wrong_exclusions FROM generate_series(1, 31) u
 WHERE ARRAY(SELECT title_id FROM nfrec.recommend_for(u, 50, 'me_model') ORDER BY title_id) IS DISTINCT FROM
       ARRAY(SELECT t::bigint FROM generate_series(1, 50) t
              WHERE t NOT IN (SELECT title_id FROM me_train e WHERE e.user_id = u)
                AND t NOT IN (SELECT title_id FROM me_events e WHERE e.user_id = u AND title_id IS NOT NULL)
             ORDER BY t);
-- so it is not excluded
SELECT count(*) AS recommended FROM nfrec.recommend_for(3, 50, 'me_model') WHERE title_id = 10;
RESET ROLE;
-- the owner is not subject to the policy, but with RLS enabled the query serves
SET client_min_messages = debug1;
SELECT source FROM nfrec.user_vector(3, 'me_model');
RESET client_min_messages;
ALTER TABLE me_events DISABLE ROW LEVEL SECURITY;
DROP POLICY us_only ON me_events;

-- an index created or dropped in the session is seen at once
DROP INDEX me_events_user;
SET client_min_messages = debug1;
SELECT source FROM nfrec.user_vector(3, 'me_model');
RESET client_min_messages;
-- not usable: a partial index, an index that does not start with user_id,
-- an expression index
CREATE INDEX me_events_partial ON me_events (user_id) WHERE weight > 0;
CREATE INDEX me_events_title_user ON me_events (title_id, user_id);
CREATE INDEX me_events_expr ON me_events ((user_id + 0));
SET client_min_messages = debug1;
SELECT source FROM nfrec.user_vector(3, 'me_model');
RESET client_min_messages;
-- a composite index that starts with user_id is
CREATE INDEX me_events_user_title ON me_events (user_id, title_id);
SET client_min_messages = debug1;
SELECT source FROM nfrec.user_vector(3, 'me_model');
RESET client_min_messages;
SELECT count(*) AS differences FROM (
  SELECT u AS user_id, r.* FROM generate_series(1, 31) u, nfrec.recommend_for(u, 50, 'me_model') r
  EXCEPT TABLE me_direct) d;

-- a view, a partitioned table and a table with inheritance children are read
-- by the query, with the same result
CREATE VIEW me_events_view AS SELECT * FROM me_events;
CREATE TABLE me_events_part (user_id bigint, title_id bigint, weight real) PARTITION BY HASH (user_id);
CREATE TABLE me_events_part0 PARTITION OF me_events_part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE me_events_part1 PARTITION OF me_events_part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX ON me_events_part (user_id);
INSERT INTO me_events_part SELECT user_id, title_id, weight FROM me_events;
CREATE TABLE me_events_parent (user_id bigint, title_id bigint, weight real);
CREATE INDEX ON me_events_parent (user_id);
CREATE TABLE me_events_child () INHERITS (me_events_parent);
INSERT INTO me_events_parent SELECT user_id, title_id, weight FROM me_events WHERE user_id % 2 = 0;
INSERT INTO me_events_child SELECT user_id, title_id, weight FROM me_events WHERE user_id % 2 = 1;
SELECT nfrec.deploy('me_view', pg_temp.me_model(), 'me_events_view') > 0 AS deployed,
       nfrec.deploy('me_part', pg_temp.me_model(), 'me_events_part') > 0 AS deployed,
       nfrec.deploy('me_inh', pg_temp.me_model(), 'me_events_parent') > 0 AS deployed;
SET client_min_messages = debug1;
SELECT source FROM nfrec.user_vector(3, 'me_view');
SELECT source FROM nfrec.user_vector(3, 'me_part');
SELECT source FROM nfrec.user_vector(3, 'me_inh');
RESET client_min_messages;
SELECT m, (SELECT count(*) FROM (
             SELECT u AS user_id, r.* FROM generate_series(1, 31) u, nfrec.recommend_for(u, 50, m) r
             EXCEPT TABLE me_direct) d) AS differences
  FROM unnest('{me_view,me_part,me_inh}'::text[]) m ORDER BY m;
-- a partition itself is a plain table: read directly
SELECT nfrec.deploy('me_leaf', pg_temp.me_model(), 'me_events_part1') > 0 AS deployed;
SET client_min_messages = debug1;
SELECT source FROM nfrec.user_vector(3, 'me_leaf');
RESET client_min_messages;

-- column types: integer titles and smallint weights are read directly (the
-- casts are exact); numeric weights go through the query; same results
CREATE TABLE me_events_int (user_id bigint, title_id int, weight smallint);
INSERT INTO me_events_int SELECT user_id, title_id, weight FROM me_train;
INSERT INTO me_events_int VALUES (4, 2, 5), (4, 3, NULL);
CREATE INDEX ON me_events_int (user_id);
CREATE TABLE me_events_num (user_id bigint, title_id bigint, weight numeric);
INSERT INTO me_events_num SELECT * FROM me_events_int;
CREATE INDEX ON me_events_num (user_id);
SELECT nfrec.deploy('me_int', pg_temp.me_model(), 'me_events_int') > 0 AS deployed,
       nfrec.deploy('me_num', pg_temp.me_model(), 'me_events_num') > 0 AS deployed;
SET client_min_messages = debug1;
SELECT source FROM nfrec.user_vector(4, 'me_int');
SELECT source FROM nfrec.user_vector(4, 'me_num');
RESET client_min_messages;
SELECT count(*) AS differences FROM (
  (SELECT u, r.* FROM generate_series(1, 31) u, nfrec.recommend_for(u, 50, 'me_int') r
   EXCEPT SELECT u, r.* FROM generate_series(1, 31) u, nfrec.recommend_for(u, 50, 'me_num') r)
  UNION ALL
  (SELECT u, r.* FROM generate_series(1, 31) u, nfrec.recommend_for(u, 50, 'me_num') r
   EXCEPT SELECT u, r.* FROM generate_series(1, 31) u, nfrec.recommend_for(u, 50, 'me_int') r)) d;
-- a non-finite weight is still an error, read either way
INSERT INTO me_events (user_id, title_id, weight, region) VALUES (11, 1, 'Infinity', 'US');
SELECT * FROM nfrec.recommend_for(11, 2, 'me_model');
SET nfrec.events_direct = off;
SELECT * FROM nfrec.recommend_for(11, 2, 'me_model');
RESET nfrec.events_direct;

-- in a transaction: rows inserted are seen by the next call (same snapshot
-- rules as the query)
BEGIN;
INSERT INTO me_events (user_id, title_id, weight, region) VALUES (31, 2, 5, 'US');
SELECT source FROM nfrec.user_vector(31, 'me_model');
SELECT count(*) AS recommended FROM nfrec.recommend_for(31, 50, 'me_model') WHERE title_id = 2;
ROLLBACK;
SELECT source FROM nfrec.user_vector(31, 'me_model');

SELECT nfrec.drop_model(m) FROM unnest('{me_model,me_view,me_part,me_inh,me_leaf,me_int,me_num}'::text[]) m;
DROP VIEW me_events_view;
DROP TABLE me_events, me_events_part, me_events_parent CASCADE;
DROP TABLE me_events_int, me_events_num, me_train, me_direct, me_query;
SELECT nfrec.revoke_serving('regress_me_app');
DROP OWNED BY regress_me_app;
DROP ROLE regress_me_app;
