-- nfrec.als_model_from_factors: model values from factors trained elsewhere.
-- Every figure is checked against a hand computation.

-- Ids are sorted with their factor rows; duplicate events are summed.
-- Users 2 (x=(0,1)) and 1 (x=(1,0)) given out of order, titles 30, 10, 20.
SELECT nfrec.model_info(nfrec.als_model_from_factors(
    '{2,1}', '{{0,1},{1,0}}',
    '{30,10,20}', '{{1,1},{1,0},{0,1}}',
    '{1,1,2}', '{10,10,30}', '{1,2,3}'))
    - 'bytes' - 'train_seconds' - 'trained_at' AS info;
-- Loss by hand: Y'Y = [[2,1],[1,2]]; sum_u x'Gx = 2 + 2 = 4; observed pairs
-- (1,10) and (2,30) both have x.y = 1: c(1-1)^2 - 1^2 = -1 each -> 2;
-- lambda (|X|^2 + |Y|^2) = 0.1 * (2 + 4) = 0.6; total 2.6.

-- Deployed rows show the reordering: user 1 first with factors {1,0},
-- its two events on title 10 summed to 3.
SELECT nfrec.deploy('build_check', nfrec.als_model_from_factors(
    '{2,1}', '{{0,1},{1,0}}',
    '{30,10,20}', '{{1,1},{1,0},{0,1}}',
    '{1,1,2}', '{10,10,30}', '{1,2,3}')) > 0 AS deployed;
SELECT user_id, factors, title_ids, weights FROM nfrec.model_users
 WHERE version = nfrec.model_version('build_check') ORDER BY user_id;
SELECT title_ids, title_counts, title_factors FROM nfrec.model_store WHERE name = 'build_check';
SELECT * FROM nfrec.item_factors('build_check');
SELECT nfrec.drop_model('build_check');

-- No users and no events: a title-only model (everyone is cold or folded in).
SELECT nfrec.model_info(nfrec.als_model_from_factors('{}', '{}', '{5}', '{{2}}'))
    - 'bytes' - 'train_seconds' - 'trained_at' - 'options' AS info;
-- Huge ids and a single title.
SELECT (nfrec.model_info(nfrec.als_model_from_factors(
    '{9223372036854775807,-9223372036854775808}', '{{1},{2}}', '{-1}', '{{3}}',
    '{9223372036854775807}', '{-1}', '{0.5}')))->'events' AS events;
-- Text round trip of a built model.
SELECT nfrec.als_model_from_factors('{1}', '{{1,2}}', '{7,8}', '{{1,0},{0,1}}')::text::nfrec.als_model::text
     = nfrec.als_model_from_factors('{1}', '{{1,2}}', '{7,8}', '{{1,0},{0,1}}')::text AS round_trip;
-- Options carry alpha and regularization (used by fold-in).
SELECT nfrec.model_info(nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}',
    alpha => 5, regularization => 0.5))->'options' AS options;
SELECT nfrec.model_info(nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}',
    regularization_scaling => 'frequency'))->'options'->'regularization_scaling' AS scaling;

\set VERBOSITY sqlstate
-- NULL and empty arguments
SELECT nfrec.als_model_from_factors(NULL, '{{1}}', '{7}', '{{1}}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', NULL, '{{1}}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{}', '{}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', alpha => NULL);
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', '{1}', NULL, '{1}');
SELECT nfrec.als_model_from_factors('{1,NULL}', '{{1},{1}}', '{7}', '{{1}}');
SELECT nfrec.als_model_from_factors('{1}', '{{NULL}}', '{7}', '{{1}}');
-- shapes
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{1}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7,8}', '{{1}}');
SELECT nfrec.als_model_from_factors('{1}', '{{1,2}}', '{7}', '{{1}}');
SELECT nfrec.als_model_from_factors('{1,2}', '{{1}}', '{7}', '{{1}}');
SELECT nfrec.als_model_from_factors('{{1}}', '{{1}}', '{7}', '{{1}}');
SELECT nfrec.als_model_from_factors('{}', '{}', '{7}', array_fill(1::real, ARRAY[1, 1025]));
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', '{1,1}', '{7}', '{1}');
-- duplicate ids, non-finite values, unknown event ids, bad parameters
SELECT nfrec.als_model_from_factors('{1,1}', '{{1},{2}}', '{7}', '{{1}}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7,7}', '{{1},{2}}');
SELECT nfrec.als_model_from_factors('{1}', '{{NaN}}', '{7}', '{{1}}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{Infinity}}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', '{2}', '{7}', '{1}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', '{1}', '{8}', '{1}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', '{1}', '{7}', '{NaN}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', '{1,1}', '{7,7}', '{3e38,3e38}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', alpha => -1);
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', regularization => 'NaN');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', regularization_scaling => 'users');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', regularization_scaling => NULL);
\set VERBOSITY default
-- messages
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7,8}', '{{1}}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7,7}', '{{1},{2}}');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', '{1}', '{8}', '{1}');

-- Fold-in needs regularization: 0 is refused at the boundary (fold-in would
-- be singular for a user with fewer titles than factors); alpha may be 0.
\set VERBOSITY sqlstate
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', regularization => 0);
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', regularization => -1);
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', alpha => 'Infinity');
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', alpha => 0) IS NOT NULL AS alpha_0_ok;
\set VERBOSITY default
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', regularization => 0);
SELECT nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}', alpha => -1);
-- Weights whose per-(user, title) sum, or whose confidence alpha |w|,
-- overflows real: 22003 naming the user and title.
SELECT nfrec.als_model_from_factors('{1,2}', '{{1},{1}}', '{7,8}', '{{1},{1}}',
    '{1,2,2}', '{7,8,8}', '{1,3e38,3e38}');
SELECT nfrec.als_model_from_factors('{1,2}', '{{1},{1}}', '{7,8}', '{{1},{1}}',
    '{1,2}', '{7,8}', '{1,1e37}', alpha => 40);
SELECT nfrec.als_model_from_factors('{1,2}', '{{1},{1}}', '{7,8}', '{{1},{1}}',
    '{1,2}', '{7,8}', '{1,-1e37}', alpha => 40);
-- factors so large that the objective overflows double precision
SELECT nfrec.als_model_from_factors('{1}', '{{1e30}}', '{7}', '{{1e30}}', regularization => 1e300);
-- the largest weights that fit: alpha 1 and two rows summing to 3.4e38
SELECT nfrec.model_info(nfrec.als_model_from_factors('{1}', '{{1}}', '{7}', '{{1}}',
    '{1,1}', '{7,7}', '{1.7e38,1.7e38}', alpha => 1))->'events' AS events;

-- Fold-in with current events that overflow real names the overflow, not
-- "not positive definite".  Model: titles 7 (1,0) and 8 (0,1), no users.
CREATE TABLE fold_events (user_id bigint, title_id bigint, weight float8);
SELECT nfrec.deploy('fold_check', nfrec.als_model_from_factors(
    '{}', '{}', '{7,8}', '{{1,0},{0,1}}', alpha => 1, regularization => 1),
    'fold_events') > 0 AS deployed;
-- a sane user folds in: x = (Y'Y + (c-1) y y' + I)^-1 c y = 2 / (1 + 1 + 1) for title 7
INSERT INTO fold_events VALUES (1, 7, 1);
SELECT rank, title_id, round(score::numeric, 6) AS score FROM nfrec.recommend_for(1, 2, 'fold_check');
SELECT source, (SELECT array_agg(round(v::numeric, 6)) FROM unnest(factors) v) AS x FROM nfrec.user_vector(1, 'fold_check');
-- one row beyond real
INSERT INTO fold_events VALUES (2, 7, 1e300);
SELECT * FROM nfrec.recommend_for(2, 2, 'fold_check');
-- two rows whose sum is beyond real
INSERT INTO fold_events VALUES (3, 8, 3e38), (3, 8, 3e38);
SELECT * FROM nfrec.recommend_for(3, 2, 'fold_check');
\set VERBOSITY sqlstate
SELECT * FROM nfrec.recommend_for(2, 2, 'fold_check');
SELECT * FROM nfrec.recommend_for(3, 2, 'fold_check');
\set VERBOSITY default
-- a model whose regularization is positive but negligible next to the
-- title factors: one title (1,1) and 2 factors make Y'Y singular, and
-- 1e-300 is lost in rounding; the message says so
SELECT nfrec.deploy('fold_check', nfrec.als_model_from_factors(
    '{}', '{}', '{7}', '{{1,1}}', alpha => 40, regularization => 1e-300),
    'fold_events') > 0 AS deployed;
SELECT * FROM nfrec.recommend_for(1, 2, 'fold_check');
SELECT nfrec.drop_model('fold_check');
DROP TABLE fold_events;
