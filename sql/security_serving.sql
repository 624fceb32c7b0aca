-- Serving without access to viewing histories (nfrec.grant_serving), row-level
-- security through the bound events relation and the demo's view, and
-- deploy's refusal of temporary events relations.
\set SHOW_CONTEXT never
-- Model: users 1 = (1,0), 2 = (0,1); titles 10 = (1,0), 20 = (0,1),
-- 30 = (1,1); user 1 trained on 10, user 2 on 30.
CREATE FUNCTION pg_temp.model_a() RETURNS nfrec.als_model LANGUAGE sql AS
$$ SELECT nfrec.als_model_from_factors('{1,2}', '{{1,0},{0,1}}', '{10,20,30}',
       '{{1,0},{0,1},{1,1}}', '{1,2}', '{10,30}', '{1,1}') $$;
-- the bound events, one row per region; user 1 watched 30 in the EU
CREATE TABLE ss_events (user_id bigint, title_id bigint, weight real, region text);
INSERT INTO ss_events VALUES (1, 10, 1, 'US'), (1, 30, 1, 'EU'), (2, 30, 1, 'US');
SELECT nfrec.deploy('ss_model', pg_temp.model_a(), 'ss_events') > 0 AS deployed;

-- a serving role: grant_serving, SELECT on the events under a policy
CREATE ROLE regress_ss_app;
SELECT nfrec.grant_serving('regress_ss_app');
GRANT SELECT ON ss_events TO regress_ss_app;
ALTER TABLE ss_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY us_only ON ss_events TO regress_ss_app USING (region = 'US');

-- the owner sees user 1's EU play: 30 is excluded and user 1 is folded in
SELECT source FROM nfrec.user_vector(1, 'ss_model');
SELECT rank, title_id FROM nfrec.recommend_for(1, 3, 'ss_model');

SET ROLE regress_ss_app;
-- serving works ...
SELECT source FROM nfrec.user_vector(1, 'ss_model');      -- the EU row is hidden: trained
SELECT rank, title_id FROM nfrec.recommend_for(1, 3, 'ss_model');   -- so 30 is recommended
SELECT rank, title_id, round(score::numeric, 4) AS score FROM nfrec.similar_titles(10, 2, 'ss_model', min_support => 0);
SELECT count(*) AS titles FROM nfrec.item_factors('ss_model');
SELECT nfrec.model_version('ss_model') > 0 AS has_version;
SELECT rank, title_id FROM nfrec.recommend_for(99, 2, 'ss_model');  -- cold start
SELECT rank, title_id FROM nfrec.recommend_for(1, 3, 'ss_model', candidates => '{10,20}');
SELECT DISTINCT row_kind FROM nfrec.homepage(1, model => 'ss_model');   -- no viewing_events here
-- ... but no table holding histories (or the registry) can be read
\set VERBOSITY sqlstate
SELECT * FROM nfrec.model_users;
SELECT * FROM nfrec.model_store;
SELECT * FROM nfrec.models;
SELECT * FROM nfrec.user_factors('ss_model');
SELECT * FROM nfrec.evaluate('ss_model', 'ss_events');
TABLE nfrec.model_version_seq;
SELECT nfrec.deploy('ss_x', pg_temp.model_a());
SELECT nfrec.drop_model('ss_model');
SELECT nfrec.grant_serving('regress_ss_app');
\set VERBOSITY default
SELECT * FROM nfrec.model_users;
-- the switch of user id is local to the registry reads: the caller is
-- still the caller afterwards
SELECT current_user;
RESET ROLE;

-- a role with neither: no serving (EXECUTE is not granted to PUBLIC)
CREATE ROLE regress_ss_other;
GRANT USAGE ON SCHEMA nfrec TO regress_ss_other;
SET ROLE regress_ss_other;
\set VERBOSITY sqlstate
SELECT * FROM nfrec.recommend_for(1, 3, 'ss_model');
SELECT * FROM nfrec.homepage(1, model => 'ss_model');
SELECT * FROM nfrec.similar_titles(10, 3, 'ss_model', min_support => 0);
SELECT * FROM nfrec.user_vector(1, 'ss_model');
SELECT * FROM nfrec.item_factors('ss_model');
SELECT nfrec.model_version('ss_model');
\set VERBOSITY default
SELECT nfrec.cosine_sim('{1,0}'::real[], '{1,1}'::real[]) AS other_functions_work;
RESET ROLE;

-- revoke_serving takes it all back
SELECT nfrec.revoke_serving('regress_ss_app');
SET ROLE regress_ss_app;
\set VERBOSITY sqlstate
SELECT * FROM nfrec.recommend_for(1, 3, 'ss_model');
SELECT * FROM nfrec.homepage(1, model => 'ss_model');
SELECT * FROM nfrec.similar_titles(10, 3, 'ss_model', min_support => 0);
\set VERBOSITY default
RESET ROLE;
SELECT count(*) AS serving_grants_left
FROM information_schema.role_routine_grants WHERE grantee = 'regress_ss_app';
\set VERBOSITY sqlstate
SELECT nfrec.grant_serving(NULL);
SELECT nfrec.grant_serving('regress_ss_no_such_role');
\set VERBOSITY default

-- deploy refuses temporary events relations (a model is every session's)
CREATE TEMP TABLE ss_temp_events (user_id bigint, title_id bigint, weight real);
CREATE TEMP VIEW ss_temp_view AS SELECT * FROM ss_events;
CREATE VIEW ss_view_on_temp AS SELECT * FROM ss_temp_events;   -- temporary too
SELECT nfrec.deploy('ss_temp', pg_temp.model_a(), 'ss_temp_events');
\set VERBOSITY sqlstate
SELECT nfrec.deploy('ss_temp', pg_temp.model_a(), 'ss_temp_view');
SELECT nfrec.deploy('ss_temp', pg_temp.model_a(), 'ss_view_on_temp');
\set VERBOSITY default
SELECT count(*) AS ss_temp_rows FROM nfrec.models WHERE name = 'ss_temp';
-- an unlogged table is fine
CREATE UNLOGGED TABLE ss_unlogged (user_id bigint, title_id bigint, weight real);
SELECT nfrec.deploy('ss_temp', pg_temp.model_a(), 'ss_unlogged') > 0 AS deployed;
SELECT nfrec.drop_model('ss_temp');

-- The demo's interactions view is security_invoker: a role under a policy
-- on viewing_events sees only its rows through it.
CREATE SCHEMA ss_demo;
SELECT users FROM nfrec.generate_demo(users => 40, titles => 20, days => 30, seed => 3,
                                      schema => 'ss_demo');
SELECT reloptions FROM pg_class WHERE oid = 'ss_demo.interactions'::regclass;
CREATE ROLE regress_ss_us_analyst;
GRANT USAGE ON SCHEMA ss_demo TO regress_ss_us_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA ss_demo TO regress_ss_us_analyst;
ALTER TABLE ss_demo.viewing_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY us_only ON ss_demo.viewing_events TO regress_ss_us_analyst USING (country = 'US');
CREATE TEMP TABLE ss_expected AS
SELECT user_id, title_id, round((sum(least(watch_pct, 100)::float8) / 100)::numeric, 3)::float8 AS weight
FROM ss_demo.viewing_events WHERE event_type = 'play' AND country = 'US' GROUP BY 1, 2;
GRANT SELECT ON ss_expected TO regress_ss_us_analyst;
SELECT count(DISTINCT country) > 1 AS several_countries FROM ss_demo.viewing_events;
SET ROLE regress_ss_us_analyst;
SELECT count(*) > 0 AS sees_us_rows,
       count(*) = (SELECT count(*) FROM ss_expected) AS same_count,
       NOT EXISTS (SELECT user_id, title_id, weight FROM ss_demo.interactions
                   EXCEPT SELECT user_id, title_id, weight FROM ss_expected) AS only_us_rows
FROM ss_demo.interactions;
RESET ROLE;
SELECT (SELECT count(*) FROM ss_demo.interactions) > (SELECT count(*) FROM ss_expected)
       AS owner_sees_more;

DROP SCHEMA ss_demo CASCADE;
DROP TABLE ss_expected, ss_unlogged;
DROP VIEW ss_view_on_temp, ss_temp_view;
DROP TABLE ss_temp_events;
SELECT nfrec.drop_model('ss_model');
DROP TABLE ss_events;
REVOKE USAGE ON SCHEMA nfrec FROM regress_ss_other;
DROP ROLE regress_ss_app, regress_ss_other, regress_ss_us_analyst;
