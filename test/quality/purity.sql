-- test/quality/purity.sql -- "similar titles" purity on a generated demo:
-- over the 30 titles with the most training users, the share of their
-- top-10 similar_titles neighbours that share the anchor's planted taste
-- group (demo_title_truth.community), and the least-supported neighbour.
--   psql -v model=NAME -v truth=demo.demo_title_truth -v min_support=5 -f purity.sql
\set ON_ERROR_STOP 1
WITH s AS (
  SELECT version, unnest(title_ids) AS title_id, unnest(title_counts) AS users
    FROM nfrec.model_store WHERE name = :'model' AND is_current
), anchors AS (
  SELECT title_id FROM s ORDER BY users DESC, title_id LIMIT 30
), nb AS (
  SELECT a.title_id AS anchor, n.title_id, s.users
    FROM anchors a
   CROSS JOIN LATERAL nfrec.similar_titles(a.title_id, 10, :'model', :min_support) n
    JOIN s ON s.title_id = n.title_id
)
SELECT :'model' AS model, :min_support AS min_support,
       round(100.0 * avg((ta.community = tn.community)::int), 1) AS same_group_pct,
       count(*) FILTER (WHERE nb.users <= 3) AS le3_users,
       min(nb.users) AS least_users, count(*) AS neighbours
  FROM nb JOIN :truth ta ON ta.title_id = nb.anchor JOIN :truth tn ON tn.title_id = nb.title_id;
