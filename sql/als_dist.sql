-- CALL nfrec.train_distributed on a plain (not distributed) table: the
-- same steps as on Citus run locally (a temporary work table).  The model
-- must be als_train's on the same rows with the same options: loss within
-- 1e-6 relative, the same top-10 for >= 99% of users, with both solvers,
-- options chosen from the data, and iterations 0.  The loss is also checked
-- against als_objective (the scalar double-precision reference in als.c,
-- reached through als_model_from_factors) of the deployed factors.
SET client_min_messages = warning;
CREATE TABLE rd_events (user_id bigint, title_id bigint, weight float8);
-- 120 users, 40 titles, tastes by user group, duplicates, a dislike, zeros
INSERT INTO rd_events
SELECT u, t, ((hashint4(u * 131 + t) & 1023) / 256.0 + CASE WHEN (u % 4) = (t % 4) THEN 2 ELSE 0 END)::float8
  FROM generate_series(1, 120) u, generate_series(1, 40) t
 WHERE (hashint4(u * 7919 + t) & 7) < CASE WHEN (u % 4) = (t % 4) THEN 6 ELSE 1 END;
INSERT INTO rd_events SELECT user_id, title_id, 0.5 FROM rd_events WHERE user_id % 10 = 0;  -- duplicate pairs
INSERT INTO rd_events VALUES (3, 39, -2), (5, 38, 0), (NULL, 1, 1), (7, NULL, 1), (8, 2, NULL);
SELECT count(*) AS rows, count(DISTINCT user_id) AS users, count(DISTINCT title_id) AS titles FROM rd_events;

-- train both ways, deploy both
CREATE FUNCTION rd_train(name text, options jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CALL nfrec.train_distributed(name, 'rd_events', options);
    PERFORM nfrec.deploy(name || '_single', nfrec.als_train(e.user_id, e.title_id, e.weight, options), 'rd_events')
       FROM rd_events e;
END $$;
-- the checks: loss, objective, top-10 agreement, same shape and options
CREATE FUNCTION rd_check(name text, agree float8 DEFAULT 0.99) RETURNS TABLE (loss_equal bool, loss_is_objective bool, top10_agree bool,
                                                   same_shape bool, same_options bool)
LANGUAGE sql AS $$
    WITH d AS (SELECT * FROM nfrec.model_store WHERE model_store.name = rd_check.name AND is_current),
         s AS (SELECT * FROM nfrec.model_store WHERE model_store.name = rd_check.name || '_single' AND is_current),
         u AS (SELECT array_agg(mu.user_id ORDER BY mu.user_id) ids, array_agg(mu.factors ORDER BY mu.user_id) f
                 FROM nfrec.model_users mu, d WHERE mu.version = d.version),
         e AS (SELECT array_agg(mu.user_id) eu, array_agg(t) et, array_agg(w) ew
                 FROM nfrec.model_users mu, d, unnest(mu.title_ids, mu.weights) x(t, w) WHERE mu.version = d.version),
         top AS (SELECT count(*) n,
                        count(*) FILTER (WHERE (SELECT array_agg(r.title_id ORDER BY r.title_id)
                                                  FROM nfrec.recommend_for(uu.user_id, 10, model => rd_check.name) r)
                                             = (SELECT array_agg(r.title_id ORDER BY r.title_id)
                                                  FROM nfrec.recommend_for(uu.user_id, 10, model => rd_check.name || '_single') r)) same
                   FROM (SELECT DISTINCT user_id FROM rd_events WHERE user_id IS NOT NULL) uu)
    SELECT abs(d.loss - s.loss) <= 1e-6 * abs(s.loss),
           abs((nfrec.model_info(nfrec.als_model_from_factors(u.ids, u.f, d.title_ids, d.title_factors, e.eu, e.et, e.ew,
                    d.alpha, d.regularization, d.options ->> 'regularization_scaling')) ->> 'loss')::float8 - d.loss)
               <= 1e-6 * abs(d.loss),
           top.same >= rd_check.agree * top.n,
           (d.users, d.titles, d.training_events, d.title_ids, d.title_counts, d.iterations)
               = (s.users, s.titles, s.training_events, s.title_ids, s.title_counts, s.iterations),
           d.options - 'trained_by' - 'work' - 'alpha' = s.options - 'alpha'
               AND abs((d.options ->> 'alpha')::float8 - (s.options ->> 'alpha')::float8) <= 1e-12 * (s.options ->> 'alpha')::float8
      FROM d, s, u, e, top
$$;

-- conjugate gradient run to convergence: the same model
SELECT rd_train('rd_cg', '{"verbose": false, "factors": 8, "iterations": 8, "seed": 5, "cg_steps": 30}');
SELECT * FROM rd_check('rd_cg');
-- the default 3 steps: als_train's CG runs in float, and three steps on
-- this small, strongly clustered data (ill-conditioned systems) amplify
-- its rounding; the item step here runs the same recurrence in double.
-- The losses differ by about 1e-5 relative and the top-10 agree for 118
-- of the 120 users (doc/scale.md); checked here at 1e-4 and 95%.
SELECT rd_train('rd_cg3', '{"verbose": false, "factors": 8, "iterations": 8, "seed": 5}');
SELECT (r).top10_agree, (r).same_shape, (r).same_options, (r).loss_is_objective,
       abs(d.loss - s.loss) <= 1e-4 * s.loss AS loss_within_1e4
  FROM rd_check('rd_cg3', 0.95) r, nfrec.model_store d, nfrec.model_store s
 WHERE d.name = 'rd_cg3' AND d.is_current AND s.name = 'rd_cg3_single' AND s.is_current;
SELECT rd_train('rd_chol', '{"verbose": false, "factors": 20, "iterations": 5, "seed": 9, "solver": "cholesky", "regularization_scaling": "frequency", "alpha": 2}');
SELECT * FROM rd_check('rd_chol');
-- factors, alpha and regularization chosen from the data; verbose NOTICEs
-- (Cholesky: the rule's 32 factors over 40 titles leave 2 CG steps far from
-- the solve, where float rounding of the two summation orders shows at 5e-6)
SELECT rd_train('rd_auto', '{"iterations": 4, "solver": "cholesky"}');
SELECT * FROM rd_check('rd_auto');
SELECT options ->> 'from_data' AS from_data, options ->> 'trained_by' AS trained_by, options ->> 'work' AS work
  FROM nfrec.model_store WHERE name = 'rd_auto' AND is_current;
-- iterations 0: the loss of the starting factors
SELECT rd_train('rd_zero', '{"verbose": false, "factors": 16, "iterations": 0}');
SELECT * FROM rd_check('rd_zero');
-- serving reads the bound events, like any deployed model
SELECT events, kind FROM nfrec.model_store WHERE name = 'rd_cg' AND is_current;
SELECT count(*) FROM nfrec.recommend_for(1, 5, model => 'rd_cg');
-- a second version under the same name; the work table is gone
CALL nfrec.train_distributed('rd_cg', 'rd_events', '{"verbose": false, "factors": 8, "iterations": 2}', keep => 1);
SELECT count(*) AS versions FROM nfrec.model_store WHERE name = 'rd_cg';
SELECT count(*) AS work_tables FROM pg_class WHERE relname LIKE 'nfrec\_train\_%';

-- in a transaction that rolls back: nothing deployed
BEGIN;
CALL nfrec.train_distributed('rd_rolled_back', 'rd_events', '{"verbose": false, "factors": 8, "iterations": 1}');
ROLLBACK;
SELECT count(*) FROM nfrec.model_store WHERE name = 'rd_rolled_back';

-- bad input
RESET client_min_messages;
\set VERBOSITY terse
CALL nfrec.train_distributed('x', 'no_such_table');
CREATE TABLE rd_noweight AS SELECT user_id, title_id FROM rd_events;
CALL nfrec.train_distributed('x', 'rd_noweight');
CREATE TABLE rd_textweight AS SELECT user_id, title_id, weight::text AS weight FROM rd_events;
CALL nfrec.train_distributed('x', 'rd_textweight');
CALL nfrec.train_distributed('x', 'rd_events', '{"factor": 8}');
CALL nfrec.train_distributed('x', 'rd_events', '{"factors": 0}');
CALL nfrec.train_distributed('x', 'rd_events', '{"solver": "qr"}');
CALL nfrec.train_distributed('x', 'rd_events', '[1, 2]');
CALL nfrec.train_distributed(NULL, 'rd_events');
CALL nfrec.train_distributed('', 'rd_events');
CALL nfrec.train_distributed('x', 'rd_events', keep => 0);
CREATE TABLE rd_empty (user_id bigint, title_id bigint, weight float8);
CALL nfrec.train_distributed('x', 'rd_empty');
CREATE TABLE rd_huge AS SELECT 1::bigint AS user_id, 1::bigint AS title_id, 3e38::float8 AS weight
                        UNION ALL SELECT 1, 1, 3e38;
CALL nfrec.train_distributed('x', 'rd_huge');
CREATE TABLE rd_bigalpha AS SELECT 1::bigint AS user_id, 1::bigint AS title_id, 1e35::float8 AS weight;
CALL nfrec.train_distributed('x', 'rd_bigalpha', '{"alpha": 1e6, "verbose": false}');
SELECT nfrec.deploy('rd_ease', nfrec.ease_train(user_id, title_id, weight, '{"verbose": false}')) >= 1 AS deployed FROM rd_events;
CALL nfrec.train_distributed('rd_ease', 'rd_events');
SELECT count(*) FROM nfrec.model_store WHERE name = 'x';
-- the internal steps take only the values train_distributed makes
SELECT nfrec._als_dist_user('\x00', 1, '\x00', NULL, true);
SELECT nfrec._als_dist_items('\x0102', '\x03', '\x04', true);
SELECT nfrec._als_dist_loss('\x44534c41');
SELECT nfrec._als_dist_ev_count('\x01');
SELECT nfrec._als_dist_sums(nfrec._als_dist_params('{"factors": 4}', 3), '\x0100000007000000000080bf', NULL) IS NULL AS no_rows;
SELECT nfrec._als_dist_sums(nfrec._als_dist_params('{"factors": 4}', 3), '\x0100000007000000000080bf', '{1,2,3,4}');
SELECT nfrec._als_dist_sums(nfrec._als_dist_params('{"factors": 4}', 3), '\x01000000', '{1,2,3,4}');
SELECT nfrec._als_dist_sums('\x00', '\x00000000', '{1}');
SELECT nfrec._als_dist_params('{"factors": 4}', -1);
SELECT nfrec._als_dist_canon('{1,2}', '{3}', '{1}');
SELECT nfrec._als_dist_canon('{1,2}', '{1,2}', '{1}');

-- leave the registry as it was
SELECT count(*) AS dropped FROM (SELECT nfrec.drop_model(n.name)
                                   FROM (SELECT DISTINCT name FROM nfrec.model_store WHERE name LIKE 'rd\_%') n) d;
SELECT count(*) AS models_left, (SELECT count(*) FROM nfrec.model_default) AS default_left FROM nfrec.model_store;
DROP TABLE rd_events, rd_noweight, rd_textweight, rd_empty, rd_huge, rd_bigalpha;
DROP FUNCTION rd_train(text, jsonb), rd_check(text, float8);
