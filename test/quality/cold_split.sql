-- test/quality/cold_split.sql -- new titles ranked from their content alone.
-- On a generated demo in schema :schema: every event of the titles launched
-- in the last 60 days is removed, a model is trained on the rest (options
-- :opts) and deployed as 'cold_split', nfrec.deploy_cold_titles maps the
-- removed titles from their descriptions and genres, and for every trained
-- user who watched one of them the cold titles are ranked by the model's
-- score.  Mean per-user AUC (watched cold titles against the other cold
-- titles) and recall@10 within the cold titles, against popularity by genre
-- (share of training plays of the title's genres), the user's own genre
-- shares, and a random order.
--   psql -v schema=demo -v opts='{}' -f cold_split.sql
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP TABLE IF EXISTS cs_pairs, cs_cold, cs_train, cs_scores, cs_users, cs_cg, cs_gpop, cs_ugen;
CREATE TEMP TABLE cs_pairs AS
  SELECT user_id, title_id, sum(least(watch_pct, 100)::float8) / 100 AS weight
    FROM :schema.viewing_events WHERE event_type = 'play' GROUP BY 1, 2;
CREATE TEMP TABLE cs_cold AS
  SELECT title_id, genres FROM :schema.content_metadata
   WHERE launch_date > (SELECT max(started_at)::date FROM :schema.viewing_events) - 60;
CREATE TEMP TABLE cs_train AS
  SELECT * FROM cs_pairs p WHERE p.title_id NOT IN (SELECT title_id FROM cs_cold);
SELECT nfrec.deploy('cold_split', nfrec.als_train(user_id, title_id, weight, :'opts'), keep => 1)
  FROM cs_train \gset
\timing on
\set meta :schema'.content_metadata'
SELECT nfrec.deploy_cold_titles('cold_split', :'meta') AS version \gset
\timing off
-- scores of every (user who watched a cold title, cold title)
CREATE TEMP TABLE cs_users AS
  SELECT u.user_id, u.factors FROM nfrec.user_factors('cold_split') u
   WHERE u.user_id IN (SELECT p.user_id FROM cs_pairs p JOIN cs_cold c USING (title_id));
CREATE TEMP TABLE cs_cg AS SELECT c.title_id, g FROM cs_cold c, unnest(c.genres) g;
CREATE TEMP TABLE cs_gpop AS   -- share of training pairs per genre
  SELECT g, count(*)::float8 / (SELECT count(*) FROM cs_train) AS share
    FROM cs_train t JOIN :schema.content_metadata m USING (title_id), unnest(m.genres) g GROUP BY g;
CREATE TEMP TABLE cs_ugen AS   -- each user's share of training titles per genre
  SELECT t.user_id, g, count(*)::float8 / max(n.n) AS share
    FROM cs_train t JOIN :schema.content_metadata m USING (title_id)
    JOIN (SELECT user_id, count(*) AS n FROM cs_train GROUP BY 1) n USING (user_id), unnest(m.genres) g
   WHERE t.user_id IN (SELECT user_id FROM cs_users)
   GROUP BY 1, 2;
CREATE TEMP TABLE cs_scores AS
SELECT u.user_id, i.title_id,
       (p.user_id IS NOT NULL) AS watched,
       (SELECT sum(a * b) FROM unnest(u.factors, i.factors) f(a, b)) AS model,
       coalesce(gp.share, 0) AS genre_pop,
       coalesce(ug.share, 0) AS user_genre,
       hashtextextended(u.user_id || ':' || i.title_id, 7)::float8 AS random
  FROM cs_users u
 CROSS JOIN (SELECT i.title_id, i.factors FROM nfrec.item_factors('cold_split') i JOIN cs_cold USING (title_id)) i
  LEFT JOIN cs_pairs p ON p.user_id = u.user_id AND p.title_id = i.title_id
  LEFT JOIN (SELECT cg.title_id, sum(gp.share) AS share FROM cs_cg cg JOIN cs_gpop gp USING (g) GROUP BY 1) gp
         ON gp.title_id = i.title_id
  LEFT JOIN (SELECT ug.user_id, cg.title_id, sum(ug.share) AS share FROM cs_cg cg JOIN cs_ugen ug USING (g) GROUP BY 1, 2) ug
         ON ug.user_id = u.user_id AND ug.title_id = i.title_id;
SELECT (SELECT count(*) FROM cs_cold) AS cold_titles,
       (SELECT count(*) FROM nfrec.item_factors('cold_split') i JOIN cs_cold USING (title_id)) AS mapped,
       count(DISTINCT user_id) AS users, count(*) FILTER (WHERE watched) AS positives
  FROM cs_scores;
WITH m(method) AS (VALUES ('model'), ('genre_pop'), ('user_genre'), ('random')),
s AS (
  SELECT m.method, c.user_id, c.title_id, c.watched,
         CASE m.method WHEN 'model' THEN c.model WHEN 'genre_pop' THEN c.genre_pop
                       WHEN 'user_genre' THEN c.user_genre ELSE c.random END AS score
    FROM cs_scores c, m
), per_user AS (
  SELECT method, user_id, nfrec.auc(score, watched) AS auc,
         nfrec.recall_at_k((array_agg(title_id ORDER BY score DESC, title_id))[1:10],
                           array_agg(title_id) FILTER (WHERE watched), 10) AS recall
    FROM s GROUP BY 1, 2
)
SELECT method, round(avg(auc)::numeric, 3) AS auc, round(avg(recall)::numeric, 3) AS recall_at_10,
       count(auc) AS users
  FROM per_user GROUP BY 1 ORDER BY auc DESC;
