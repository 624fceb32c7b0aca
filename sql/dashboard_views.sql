-- Dashboard views (nfrec.recommendations, churn_cohorts,
-- content_roi_launches, catalog_health, trending_now) and nfrec.refresh,
-- each checked against an independent computation: recommend_for per
-- user, a plain GROUP BY over churn_risk, brute-force coverage and
-- effective catalog size, content_roi and trending themselves.
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE SCHEMA dv;
SET search_path = dv, public;
SELECT users, titles FROM nfrec.generate_demo(users => 400, titles => 120, days => 200, seed => 2,
                                              end_date => '2025-12-31');

-- no default model (whatever earlier tests left in the registry): the
-- analytics parts refresh, recommendations cannot
\set VERBOSITY sqlstate
BEGIN;
DELETE FROM nfrec.model_default;
CALL nfrec.refresh('recommendations');
ROLLBACK;
BEGIN;
DELETE FROM nfrec.model_default;
CALL nfrec.refresh('all');
ROLLBACK;
CALL nfrec.refresh('recommendations', model => 'dash');
\set VERBOSITY default
CALL nfrec.refresh('trending_now', n => 5);
SELECT rank, title_id, as_of FROM nfrec.trending_now ORDER BY rank;

CREATE TABLE m AS
SELECT nfrec.als_train(user_id, title_id, weight,
                       '{"factors": 8, "iterations": 6, "seed": 3, "verbose": false}') AS m
  FROM interactions;
SELECT nfrec.deploy('dash', m, make_default => true) IS NOT NULL AS deployed FROM m;
CALL nfrec.refresh();

-- every view has rows, one refresh time per view
SELECT (SELECT count(DISTINCT generated_at) FROM nfrec.recommendations) AS rec_stamps,
       (SELECT count(*) > 0 FROM nfrec.churn_cohorts) AS cohorts,
       (SELECT count(*) > 0 FROM nfrec.content_roi_launches) AS launches,
       (SELECT count(*) FROM nfrec.catalog_health) AS health_rows,
       (SELECT count(*) FROM nfrec.trending_now) AS trending_rows,
       (SELECT generated_at FROM nfrec.catalog_health)
         = (SELECT DISTINCT generated_at FROM nfrec.recommendations) AS health_with_recommendations;

-- recommendations: for every 9th trained user, exactly the titles and
-- order of recommend_for (same model, trained vectors: no events bound)
CREATE TEMP TABLE sample AS
SELECT u.user_id FROM nfrec.model_users u
 WHERE u.version = nfrec.model_version('dash') AND u.user_id % 9 = 0;
SELECT count(*) AS sample_users,
       count(*) FILTER (WHERE v.titles = f.titles) AS same_titles_and_order,
       max(v.max_diff) < 1e-5 AS scores_agree
  FROM sample s
 CROSS JOIN LATERAL (SELECT array_agg(r.title_id ORDER BY r.rank) AS titles,
                            array_agg(r.score ORDER BY r.rank) AS scores, 0 AS max_diff
                       FROM nfrec.recommend_for(s.user_id, 10, 'dash') r) f
 CROSS JOIN LATERAL (SELECT array_agg(v.title_id ORDER BY v.rank) AS titles,
                            max(abs(v.score - g.score)) AS max_diff
                       FROM nfrec.recommendations v
                       JOIN nfrec.recommend_for(s.user_id, 10, 'dash') g ON g.rank = v.rank
                      WHERE v.user_id = s.user_id) v;
-- ranks are 1..10 without gaps, never a training title, cold-start users
-- (no row in the model) absent, every trained user with titles left present
SELECT bool_and(n = 10 AND max_rank = 10) AS ten_ranks_each,
       count(*) = (SELECT count(*) FROM nfrec.model_users u
                    WHERE u.version = nfrec.model_version('dash')) AS every_trained_user
  FROM (SELECT user_id, count(*) AS n, max(rank) AS max_rank
          FROM nfrec.recommendations GROUP BY user_id) x;
SELECT count(*) AS training_titles_recommended
  FROM nfrec.recommendations r
  JOIN nfrec.model_users u ON u.user_id = r.user_id AND u.version = r.model_version
 WHERE r.title_id = ANY (u.title_ids);
SELECT count(*) AS cold_users_listed
  FROM nfrec.recommendations r
 WHERE NOT EXISTS (SELECT 1 FROM nfrec.model_users u
                    WHERE u.user_id = r.user_id AND u.version = r.model_version);
SELECT DISTINCT model, model_version = nfrec.model_version('dash') AS current_version
  FROM nfrec.recommendations;
-- titles come from content_metadata
SELECT count(*) AS wrong_titles
  FROM nfrec.recommendations r JOIN content_metadata c USING (title_id)
 WHERE r.title IS DISTINCT FROM c.title;

-- reason: the user's positively weighted training title whose factors have
-- the highest cosine with the recommended title's (ties: lower title_id),
-- recomputed with nfrec.cosine_sim over item_factors
CREATE TEMP TABLE f AS SELECT * FROM nfrec.item_factors('dash');
WITH expect AS (
  SELECT r.user_id, r.rank,
         (SELECT 'similar to ' || c.title
            FROM unnest(u.title_ids, u.weights) w(title_id, weight)
            JOIN f fw ON fw.title_id = w.title_id
            JOIN content_metadata c ON c.title_id = w.title_id
           WHERE w.weight > 0
           ORDER BY nfrec.cosine_sim(fr.factors, fw.factors) DESC NULLS LAST, w.title_id
           LIMIT 1) AS reason
    FROM nfrec.recommendations r
    JOIN sample USING (user_id)
    JOIN nfrec.model_users u ON u.user_id = r.user_id AND u.version = r.model_version
    JOIN f fr ON fr.title_id = r.title_id)
SELECT count(*) AS checked, count(*) FILTER (WHERE e.reason = r.reason) AS same_reason
  FROM expect e JOIN nfrec.recommendations r USING (user_id, rank);

-- catalog_health against brute force: coverage = distinct titles in the
-- lists / titles in the model; ECS = 2 * sum_i i * p_i - 1 over titles
-- ranked by their share p_i of all list entries
WITH entries AS (SELECT title_id, count(*)::float8 AS c FROM nfrec.recommendations GROUP BY title_id),
     ranked AS (SELECT c / sum(c) OVER () AS p, row_number() OVER (ORDER BY c DESC) AS i FROM entries)
SELECT h.catalog_titles = (SELECT titles FROM nfrec.models WHERE name = 'dash') AS catalog_ok,
       h.recommended_titles = (SELECT count(*) FROM entries) AS recommended_ok,
       abs(h.coverage - (SELECT count(*) FROM entries)::float8 / h.catalog_titles) < 1e-12 AS coverage_ok,
       abs(h.effective_catalog_size - (SELECT 2 * sum(i * p) - 1 FROM ranked)) < 1e-9 AS ecs_ok,
       h.users = (SELECT count(DISTINCT user_id) FROM nfrec.recommendations) AS users_ok,
       h.model = 'dash' AS model_ok
  FROM nfrec.catalog_health h;

-- recommended_titles: a plain GROUP BY over the view's rows
SELECT count(*) AS titles,
       count(*) FILTER (WHERE t.users = b.users AND t.users_at_rank_1 = b.top1
                          AND abs(t.mean_rank - b.mean_rank) < 1e-12
                          AND t.title IS NOT DISTINCT FROM b.title) AS agree,
       (SELECT count(*) FROM nfrec.recommended_titles) AS rows,
       bool_and(t.generated_at = (SELECT generated_at FROM nfrec.catalog_health)) AS same_refresh
  FROM nfrec.recommended_titles t
  JOIN (SELECT title_id, min(title) AS title, count(*) AS users, count(*) FILTER (WHERE rank = 1) AS top1,
               avg(rank)::float8 AS mean_rank
          FROM nfrec.recommendations GROUP BY title_id) b USING (title_id);

-- churn_cohorts against a plain GROUP BY over churn_risk at the same as_of
-- (the day after the last event's day)
SELECT DISTINCT as_of FROM nfrec.churn_cohorts;
CREATE TEMP TABLE direct AS
SELECT risk_decile, country, plan, count(*) AS users, avg(risk) AS mean_risk,
       sum(risk) AS expected_cancellations, sum(risk::numeric * monthly_price) AS revenue
  FROM nfrec.churn_risk('2026-01-01') GROUP BY 1, 2, 3;
SELECT count(*) AS cohorts,
       count(*) FILTER (WHERE d.users = c.users AND abs(d.mean_risk - c.mean_risk) < 1e-12
                          AND abs(d.expected_cancellations - c.expected_cancellations) < 1e-9
                          AND abs(d.revenue - c.monthly_revenue_at_risk) < 1e-9) AS agree,
       (SELECT count(*) FROM direct) AS direct_cohorts,
       sum(c.users) = (SELECT count(*) FROM nfrec.churn_risk('2026-01-01')) AS everyone_once
  FROM nfrec.churn_cohorts c
  JOIN direct d ON d.risk_decile = c.risk_decile AND d.country IS NOT DISTINCT FROM c.country
               AND d.plan IS NOT DISTINCT FROM c.plan;

-- content_roi_launches: the rows of content_roi()
SELECT (SELECT count(*) FROM nfrec.content_roi_launches) AS launches,
       (SELECT count(*) FROM (SELECT title_id, watchers, roi, observed FROM nfrec.content_roi()
                              EXCEPT
                              SELECT title_id, watchers, roi, observed FROM nfrec.content_roi_launches) x)
         AS missing;
-- trending_now: trending() with n => 10 at the same as_of
SELECT count(*) AS trending_rows,
       count(*) FILTER (WHERE t.title_id = d.title_id AND t.score = d.score) AS agree,
       bool_and(t.as_of = '2026-01-01 00:00+00') AS as_of_end_of_data
  FROM nfrec.trending_now t JOIN nfrec.trending(n => 10) d USING (rank);

-- a failed refresh changes nothing (one transaction): the old rows stay
CREATE TEMP TABLE before AS SELECT * FROM nfrec.recommendations;
\set VERBOSITY sqlstate
CALL nfrec.refresh('recommendations', model => 'no such model');
\set VERBOSITY default
SELECT count(*) AS unchanged_rows FROM before b JOIN nfrec.recommendations r USING (user_id, rank, title_id, generated_at);

-- n shapes the lists; a refresh of one view leaves the others alone
CALL nfrec.refresh('recommendations', n => 3);
SELECT max(rank) AS max_rank, count(DISTINCT user_id) = (SELECT count(*) FROM before WHERE rank = 1) AS same_users,
       (SELECT count(*) FROM nfrec.trending_now) AS trending_untouched
  FROM nfrec.recommendations;
SELECT recommended_titles <= catalog_titles AND users > 0 AS health_follows
  FROM nfrec.catalog_health;

-- bad input
\set VERBOSITY sqlstate
CALL nfrec.refresh('everything');
CALL nfrec.refresh(NULL);
CALL nfrec.refresh('trending_now', n => NULL);
CALL nfrec.refresh('trending_now', n => 0);
CALL nfrec.refresh('recommendations', n => -5);
CALL nfrec.refresh('recommendations', n => 1001);
CALL nfrec.refresh('churn_cohorts', as_of => 'infinity');
CALL nfrec.refresh('churn_cohorts', as_of => '2027-06-01');
CALL nfrec.refresh('trending_now', events => 'no_such_table');
SELECT count(*) FROM nfrec._recommend_batch(0);
SELECT count(*) FROM nfrec._recommend_batch(NULL);
SELECT count(*) FROM nfrec._recommend_batch(2000000000);
CREATE TABLE no_events (LIKE viewing_events);
CALL nfrec.refresh('churn_cohorts', events => 'no_events');
\set VERBOSITY default

-- rights: the views are security_invoker and readable after grant_dashboards
CREATE ROLE regress_dash_reader;
CREATE ROLE regress_dash_other;
SELECT nfrec.grant_dashboards('regress_dash_reader', ARRAY['trending_now', 'churn_cohorts', 'recommended_titles']);
SET ROLE regress_dash_reader;
SELECT count(*) > 0 AS reads_trending FROM nfrec.trending_now;
SELECT count(*) > 0 AS reads_recommended_titles FROM nfrec.recommended_titles WHERE title IS NOT NULL;
SELECT count(*) > 0 AS reads_cohorts FROM nfrec.churn_cohorts WHERE risk_decile = 10;
\set VERBOSITY sqlstate
SELECT count(*) FROM nfrec.recommendations;
CALL nfrec.refresh('trending_now');
SELECT nfrec.grant_dashboards('regress_dash_other');
\set VERBOSITY default
RESET ROLE;
SELECT nfrec.grant_dashboards('regress_dash_reader');
SET ROLE regress_dash_reader;
SELECT count(*) > 0 AS reads_recommendations FROM nfrec.recommendations WHERE user_id = 9;
RESET ROLE;
SELECT nfrec.revoke_dashboards('regress_dash_reader', ARRAY['recommendations']);
SET ROLE regress_dash_reader;
\set VERBOSITY sqlstate
SELECT count(*) FROM nfrec.recommendations;
\set VERBOSITY default
SELECT count(*) > 0 AS still_reads_trending FROM nfrec.trending_now;
RESET ROLE;
\set VERBOSITY sqlstate
SELECT nfrec.grant_dashboards('regress_dash_reader', ARRAY['nope']);
SELECT nfrec.grant_dashboards(NULL);
\set VERBOSITY default
SELECT nfrec.revoke_dashboards('regress_dash_reader');
SELECT has_schema_privilege('regress_dash_reader', 'nfrec', 'USAGE') AS usage_after_revoking_all_views;
-- schema USAGE is shared by grant_serving and grant_dashboards: revoking one
-- keeps it for the other, revoking both removes it
SELECT nfrec.grant_dashboards('regress_dash_reader', ARRAY['trending_now']);
SELECT nfrec.grant_serving('regress_dash_reader');
SELECT nfrec.revoke_serving('regress_dash_reader');
SELECT has_schema_privilege('regress_dash_reader', 'nfrec', 'USAGE') AS usage_kept_for_dashboards;
SET ROLE regress_dash_reader;
SELECT count(*) > 0 AS dashboards_still_read FROM nfrec.trending_now;
RESET ROLE;
SELECT nfrec.grant_serving('regress_dash_reader');
SELECT nfrec.revoke_dashboards('regress_dash_reader');
SELECT has_schema_privilege('regress_dash_reader', 'nfrec', 'USAGE') AS usage_kept_for_serving,
       has_function_privilege('regress_dash_reader', 'nfrec.model_version(text)', 'EXECUTE') AS still_serves;
SELECT nfrec.revoke_serving('regress_dash_reader');
SELECT has_schema_privilege('regress_dash_reader', 'nfrec', 'USAGE') AS usage_after_both_revoked;
DROP OWNED BY regress_dash_reader, regress_dash_other;
DROP ROLE regress_dash_reader, regress_dash_other;

-- every view is security_invoker, every routine has a pinned search_path
SELECT c.relname, c.reloptions FROM pg_class c
 WHERE c.relnamespace = 'nfrec'::regnamespace AND c.relkind = 'v'
   AND c.relname IN ('recommendations', 'recommended_titles', 'churn_cohorts', 'content_roi_launches',
                     'catalog_health', 'trending_now')
 ORDER BY 1;
SELECT p.proname, p.proconfig FROM pg_proc p
 WHERE p.pronamespace = 'nfrec'::regnamespace
   AND p.proname IN ('refresh', 'grant_dashboards', 'revoke_dashboards', '_dashboard_relations')
 ORDER BY 1;

-- the backing tables are extension members
SELECT count(*) AS member_tables FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND c.relname LIKE 'dashboard\_%';

-- leave the registry and the dashboard tables as other tests expect them
SELECT nfrec.drop_model('dash');
DELETE FROM nfrec.dashboard_recommendations;
DELETE FROM nfrec.dashboard_titles;
DELETE FROM nfrec.dashboard_recommended_titles;
DELETE FROM nfrec.dashboard_catalog_health;
DELETE FROM nfrec.dashboard_churn_cohorts;
DELETE FROM nfrec.dashboard_content_roi;
DELETE FROM nfrec.dashboard_trending;
DROP SCHEMA dv CASCADE;
