-- Diversity report (doc/serve.md, "Diversity"): recall@10, intra-list
-- similarity, share of lists with 6+ titles of one genre (counting a
-- title's first genre, genres[1], and counting each of its genres) and
-- calibration KL, with recommend_for's diversity knob at several settings.
-- Expects a demo (generate_demo) in the current schema, tables train/test
-- split by nfrec.holdout and a model 'm' deployed from train bound to it.
\set k 10
CREATE TEMP TABLE g AS
SELECT c.title_id, x.genre, 1.0 / cardinality(c.genres) AS share
FROM content_metadata c, unnest(c.genres) x(genre) WHERE cardinality(c.genres) > 0;
-- the genre mix of each user's training history (weights), Steck's p
CREATE TEMP TABLE p AS
SELECT t.user_id, g.genre, sum(t.weight * g.share) / sum(sum(t.weight * g.share)) OVER (PARTITION BY t.user_id) AS p
FROM train t JOIN g USING (title_id) WHERE t.weight > 0 GROUP BY 1, 2;
CREATE TEMP TABLE relevant AS SELECT user_id, array_agg(title_id) AS rel FROM test GROUP BY 1;
CREATE TEMP TABLE knob(d real);
INSERT INTO knob VALUES (0), (:'d1'), (:'d2'), (:'d3');
CREATE TEMP TABLE lists AS
SELECT k.d, u.user_id, r.rank, r.title_id
FROM knob k, (SELECT DISTINCT user_id FROM test) u,
     nfrec.recommend_for(u.user_id, :k, 'm', diversity => k.d) r;
WITH q AS (   -- the list's genre mix, Steck's q~ = 0.99 q + 0.01 p
  SELECT l.d, l.user_id, g.genre, sum(g.share) / sum(sum(g.share)) OVER (PARTITION BY l.d, l.user_id) AS q
  FROM lists l JOIN g USING (title_id) GROUP BY 1, 2, 3),
kl AS (
  SELECT d, user_id, sum(p.p * ln(p.p / (0.99 * coalesce(q.q, 0) + 0.01 * p.p))) AS kl
  FROM p JOIN (SELECT DISTINCT d, user_id FROM lists) l USING (user_id)
  LEFT JOIN q USING (d, user_id, genre) GROUP BY 1, 2),
six AS (
  SELECT d, user_id, max(n) >= 6 AS six FROM (
    SELECT l.d, l.user_id, g.genre, count(*) AS n FROM lists l JOIN g USING (title_id) GROUP BY 1, 2, 3) s
  GROUP BY 1, 2),
six1 AS (     -- the same by first genre: a title is from its genres[1]
  SELECT d, user_id, max(n) >= 6 AS six1 FROM (
    SELECT l.d, l.user_id, c.genres[1], count(*) AS n
    FROM lists l JOIN content_metadata c USING (title_id) WHERE c.genres[1] <> '' GROUP BY 1, 2, 3) s
  GROUP BY 1, 2),
ils AS (   -- mean pairwise cosine of the titles' genre vectors: with unit vectors
           -- u_i and S = sum u_i, the pairwise sum is (|S|^2 - m) / 2
  SELECT d, user_id, (sum(s * s) - max(m)) / 2 / (max(n) * (max(n) - 1) / 2.0) AS ils FROM (
    SELECT l.d, l.user_id, g.genre, sum(g.share / gn.norm) AS s,
           max(ln.m) AS m, max(ln.n) AS n
    FROM lists l JOIN g USING (title_id)
    JOIN (SELECT title_id, sqrt(sum(share * share)) AS norm FROM g GROUP BY 1) gn USING (title_id)
    JOIN (SELECT l2.d, l2.user_id, count(*) AS n,
                 count(*) FILTER (WHERE EXISTS (SELECT 1 FROM g WHERE g.title_id = l2.title_id)) AS m
          FROM lists l2 GROUP BY 1, 2) ln USING (d, user_id)
    GROUP BY 1, 2, 3) v
  GROUP BY 1, 2 HAVING max(n) > 1),
rec AS (
  SELECT l.d, l.user_id, nfrec.recall_at_k(array_agg(l.title_id ORDER BY l.rank), r.rel, :k) AS recall
  FROM lists l JOIN relevant r USING (user_id) GROUP BY l.d, l.user_id, r.rel)
SELECT rec.d AS diversity, count(*) AS users,
       round(avg(recall)::numeric, 4) AS recall_at_10,
       round(avg(ils.ils)::numeric, 3) AS intra_list_sim,
       round(100 * avg(coalesce(six1.six1, false)::int)::numeric, 1) AS pct_6plus_first_genre,
       round(100 * avg(six.six::int)::numeric, 1) AS pct_6plus_any_genre,
       round(avg(kl.kl)::numeric, 3) AS calibration_kl
FROM rec JOIN kl USING (d, user_id) JOIN six USING (d, user_id) LEFT JOIN six1 USING (d, user_id)
LEFT JOIN ils USING (d, user_id)
GROUP BY 1 ORDER BY 1;
