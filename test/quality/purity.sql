-- test/quality/purity.sql -- "similar titles" purity on a generated demo:
-- over the 30 titles with the most training users, the share of their
-- top-10 similar_titles neighbours that share the anchor's planted taste
-- group (demo_title_truth.community), split into ordinary anchors and the
-- demo's planted launch hits and flops (demo_title_truth.planted, shown to
-- every taste group; a truth relation without that column has only
-- ordinary anchors), and the least-supported neighbour.  The blend with
-- co-occurrence follows the setting nfrec.cooccurrence_weight (doc/serve.md,
-- "Similar titles and support"):
--   PGOPTIONS='-c nfrec.cooccurrence_weight=0.5' \
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
), j AS (
  SELECT nb.*, ta.community = tn.community AS same,
         (pg_catalog.to_jsonb(ta) ->> 'planted') IS NOT NULL AS planted
    FROM nb JOIN :truth ta ON ta.title_id = nb.anchor JOIN :truth tn ON tn.title_id = nb.title_id
)
SELECT :'model' AS model, :min_support AS min_support,
       pg_catalog.current_setting('nfrec.cooccurrence_weight') AS cooccurrence_weight,
       round(100.0 * avg(same::int), 1) AS same_group_pct,
       round(100.0 * avg(same::int) FILTER (WHERE NOT planted), 1) AS ordinary_pct,
       count(DISTINCT anchor) FILTER (WHERE NOT planted) AS ordinary_anchors,
       round(100.0 * avg(same::int) FILTER (WHERE planted), 1) AS planted_pct,
       count(DISTINCT anchor) FILTER (WHERE planted) AS planted_anchors,
       count(*) FILTER (WHERE users <= 3) AS le3_users,
       min(users) AS least_users, count(*) AS neighbours
  FROM j;
