
-- ---------------------------------------------------------------------
-- Scheduled retraining: CALL nfrec.retrain(name, events, options, ...)
-- ---------------------------------------------------------------------
--
-- One run: split the events by (user, title) pair with nfrec.holdout
-- (fraction holdout, seed), train a candidate ALS model on the training
-- pairs, evaluate it and the current version of the name on the same
-- held-out pairs with nfrec.evaluate, and deploy the candidate only if its
-- metric@k is at least (1 - tolerance) times the current version's (the
-- guardrail; the first version of a name is always deployed).  Every run
-- is a row of retrain_log.
--
-- What is deployed is the candidate that was evaluated, trained on the
-- training pairs only (doc/retrain.md says why, with figures): a model
-- retrained on every pair would have trained on the held-out pairs of the
-- next run, and nfrec.evaluate leaves a model's training titles out of its
-- lists, so its held-out metrics would be about zero and every later
-- candidate would pass.  With the same holdout and seed the held-out pairs
-- are the same every run (nfrec.holdout hashes the pair), so no version
-- deployed by retrain has seen them.  To stay fair after a version
-- deployed some other way (or with another holdout), the held-out pairs
-- the current version trained on are left out of the comparison, for both
-- models.  The events relation is bound to the deployed model, so serving
-- still leaves out the held-out titles a user has and folds those users in.
--
-- Transactions: the run's log row is committed first (decision
-- 'running'), then training, evaluation, deployment and the final log
-- update commit together, so the log never says 'deployed' for a version
-- that is not there; a failure rolls that back, is written to the log
-- (decision 'failed', the error's SQLSTATE and message) and committed, and
-- is raised again so that the caller (pg_cron) sees it.
--
-- Dashboards: when a run deploys a version of the default model and
-- refresh is true (the default), the recommendations, recommended_titles
-- and catalog_health views are refreshed next, in their own transaction
-- (CALL nfrec.refresh('recommendations') with the list length the views
-- have, 10 when they are empty, and the titles of content_metadata on the
-- caller's search_path).  A failed refresh leaves the deployed version in
-- place: it is logged (refreshed false, the error appended to the
-- message) and reported as a WARNING, not an error, because the run did
-- what it was for.  refreshed is NULL when no refresh was due.  Only ALS
-- models are retrained: a name whose current version is another kind
-- (EASE) fails the run, logged, before any training.  A procedure that
-- commits cannot have a SET clause, so retrain pins its search_path with
-- set_config(..., is_local) after each COMMIT, and the helper functions
-- pin their own.

CREATE SEQUENCE retrain_run_seq;
COMMENT ON SEQUENCE retrain_run_seq IS 'run ids of nfrec.retrain_log';

CREATE TABLE retrain_log (
    run_id          bigint PRIMARY KEY DEFAULT nextval('nfrec.retrain_run_seq'),
    name            text NOT NULL,
    events          text NOT NULL,
    parameters      jsonb NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at     timestamptz,
    candidate       jsonb,
    current         jsonb,
    current_version bigint,
    decision        text NOT NULL DEFAULT 'running'
                    CHECK (decision IN ('running', 'deployed', 'rejected', 'failed')),
    version         bigint,
    message         text,
    refreshed       boolean
);
CREATE INDEX retrain_log_name_started ON retrain_log (name, started_at);
COMMENT ON TABLE retrain_log IS
    'one row per nfrec.retrain run: parameters, start and end, candidate and current metrics on the same held-out pairs, decision (running, deployed, rejected, failed), the version deployed, a message (the error for a failed run) and whether the dashboard views were refreshed after the deploy (NULL: no refresh was due)';
SELECT pg_catalog.pg_extension_config_dump('nfrec.retrain_log', '');
SELECT pg_catalog.pg_extension_config_dump('nfrec.retrain_run_seq', '');

CREATE FUNCTION _retrain_begin(name text, events regclass, options jsonb, holdout float8,
                               k int, metric text, tolerance float8, seed bigint, keep int)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    run bigint;
BEGIN
    IF name IS NULL OR events IS NULL OR options IS NULL OR holdout IS NULL OR k IS NULL
       OR metric IS NULL OR tolerance IS NULL OR seed IS NULL OR keep IS NULL THEN
        RAISE EXCEPTION 'arguments of nfrec.retrain must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF name = '' THEN
        RAISE EXCEPTION 'model name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a jsonb object'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass als_train options such as ''{"factors": 64, "iterations": 15}''.';
    END IF;
    IF NOT (holdout > 0 AND holdout < 1) THEN       -- NaN fails too
        RAISE EXCEPTION 'holdout must be between 0 and 1 (exclusive), not %', holdout
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'holdout is the fraction of (user, title) pairs held out for evaluation.';
    END IF;
    IF k < 1 THEN
        RAISE EXCEPTION 'k must be at least 1, not %', k USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF metric NOT IN ('precision', 'recall', 'ndcg', 'map') THEN
        RAISE EXCEPTION 'unknown metric "%"', metric
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use precision, recall, ndcg or map.';
    END IF;
    IF NOT (tolerance >= 0 AND tolerance < 1) THEN
        RAISE EXCEPTION 'tolerance must be at least 0 and less than 1, not %', tolerance
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A candidate is deployed when its metric is at least (1 - tolerance) times the current version''s.';
    END IF;
    IF keep < 1 THEN
        RAISE EXCEPTION 'keep must be at least 1, not %', keep
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'keep counts the versions kept under the name, the new one included.';
    END IF;
    PERFORM nfrec._check_interactions(events, true);
    IF EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = events AND c.relpersistence = 't') THEN
        RAISE EXCEPTION 'events relation % is temporary', events
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The deployed model is bound to the events relation and used by every session, but a temporary relation exists only in the session that created it.';
    END IF;
    INSERT INTO nfrec.retrain_log AS l (name, events, parameters)
    VALUES (name, events::text,
            jsonb_build_object('options', options, 'holdout', holdout, 'k', k, 'metric', metric,
                               'tolerance', tolerance, 'seed', seed, 'keep', keep))
    RETURNING l.run_id INTO run;
    RETURN run;
END
$fn$;
COMMENT ON FUNCTION _retrain_begin(text, regclass, jsonb, float8, int, text, float8, bigint, int) IS
    'internal (used by retrain): check the arguments and log the start of a run; returns its run_id';

CREATE FUNCTION _retrain_run(run bigint, name text, events regclass, options jsonb, holdout float8,
                             k int, metric text, tolerance float8, seed bigint, keep int)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    cur bigint;
    now_cur bigint;
    heldout bigint;
    seen bigint := 0;
    m nfrec.als_model;
    info record;
    cand record;
    curm record;
    cand_j jsonb;
    cur_j jsonb;
    cv float8;
    uv float8;
    pass boolean;
    new_version bigint;
    msg text;
    cur_kind text;
    dist boolean;
    dr record;
BEGIN
    -- one run per name at a time (held until this transaction ends)
    IF NOT pg_try_advisory_xact_lock(pg_catalog.hashtext('nfrec.retrain'), pg_catalog.hashtext(name)) THEN
        RAISE EXCEPTION 'model "%" is being retrained by another session', name
            USING ERRCODE = 'lock_not_available';
    END IF;
    SELECT s.version, s.kind INTO cur, cur_kind FROM nfrec.model_store s
     WHERE s.name = _retrain_run.name AND s.is_current;
    IF cur IS NOT NULL AND cur_kind IS DISTINCT FROM 'als' THEN
        RAISE EXCEPTION 'model "%" is not an ALS model', name
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = format('Its current version %s is of kind %s; nfrec.retrain trains and compares ALS models only.',
                                  cur, cur_kind),
                  HINT = 'Retrain under another name, or drop this one first with nfrec.drop_model.';
    END IF;

    -- the held-out pairs with a positive total weight: what a user watched
    CREATE TEMP TABLE nfrec_retrain_heldout (user_id bigint, title_id bigint) ON COMMIT DROP;
    EXECUTE format($q$
        INSERT INTO pg_temp.nfrec_retrain_heldout
        SELECT e.user_id::bigint, e.title_id::bigint FROM %s e
         WHERE nfrec.holdout(e.user_id::bigint, e.title_id::bigint, $1, $2)
         GROUP BY 1, 2 HAVING sum(e.weight::float8) > 0
        $q$, events) USING holdout, seed;
    GET DIAGNOSTICS heldout = ROW_COUNT;
    -- a fair comparison: pairs the current version trained on are left out
    IF cur IS NOT NULL THEN
        DELETE FROM pg_temp.nfrec_retrain_heldout h
         USING nfrec.model_users u
         WHERE u.version = cur AND u.user_id = h.user_id AND h.title_id = ANY (u.title_ids);
        GET DIAGNOSTICS seen = ROW_COUNT;
    END IF;
    ANALYZE pg_temp.nfrec_retrain_heldout;

    -- on Citus, events distributed by user_id train where they live
    -- (train_distributed's steps on the rows holdout keeps), not through
    -- als_train, which would pull every row here
    SELECT r.dist_col = 'user_id' INTO dist FROM nfrec._als_dist_rel(events) r;
    IF dist THEN
        SELECT * INTO dr FROM nfrec._als_dist_train(events, options, holdout, seed) r;
        m := dr.model;
    ELSE
        EXECUTE format($q$
            SELECT nfrec.als_train(e.user_id::bigint, e.title_id::bigint, e.weight::float8, $3)
              FROM %s e
             WHERE NOT nfrec.holdout(e.user_id::bigint, e.title_id::bigint, $1, $2)
            $q$, events) INTO m USING holdout, seed, options;
    END IF;
    IF m IS NULL THEN
        RAISE EXCEPTION 'no training rows in relation %', events
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Every row is held out or has a NULL user_id or title_id (holdout %s).', holdout);
    END IF;
    SELECT r.users, r.titles, r.training_events, r.train_seconds, r.loss, r.trained_at INTO info
      FROM nfrec._model_store_row(m) r;
    IF dist THEN
        info.loss := dr.loss;
    END IF;

    SELECT * INTO cand FROM nfrec.evaluate(m, pg_catalog.to_regclass('pg_temp.nfrec_retrain_heldout'), k);
    cand_j := jsonb_build_object('users', cand.users, 'cold_users', cand.cold_users,
                                 'precision', cand.precision, 'recall', cand.recall, 'ndcg', cand.ndcg,
                                 'map', cand.map, 'coverage', cand.coverage,
                                 'pop_ndcg', cand.pop_ndcg, 'k', k, 'test_pairs', heldout - seen,
                                 'train_users', info.users, 'train_titles', info.titles,
                                 'train_events', info.training_events,
                                 'train_seconds', info.train_seconds, 'final_loss', info.loss,
                                 'trained_at', info.trained_at);
    cv := CASE metric WHEN 'precision' THEN cand.precision WHEN 'recall' THEN cand.recall
                      WHEN 'ndcg' THEN cand.ndcg ELSE cand.map END;
    IF cur IS NOT NULL THEN
        SELECT * INTO curm FROM nfrec.evaluate(name, pg_catalog.to_regclass('pg_temp.nfrec_retrain_heldout'), k);
        cur_j := jsonb_build_object('users', curm.users, 'cold_users', curm.cold_users,
                                    'precision', curm.precision, 'recall', curm.recall, 'ndcg', curm.ndcg,
                                    'map', curm.map, 'coverage', curm.coverage, 'k', k,
                                    'test_pairs', heldout - seen, 'version', cur);
        uv := CASE metric WHEN 'precision' THEN curm.precision WHEN 'recall' THEN curm.recall
                          WHEN 'ndcg' THEN curm.ndcg ELSE curm.map END;
    END IF;

    IF cur IS NULL THEN
        pass := true;
        msg := format('first version: deployed without comparison (%s@%s %s on %s held-out pairs)',
                      metric, k, round(cv::numeric, 4), heldout);
    ELSIF cv IS NULL OR uv IS NULL THEN
        pass := false;
        msg := format('no held-out pair to compare on: all %s held-out pairs are in the training data of version %s',
                      heldout, cur);
    ELSE
        pass := cv >= uv * (1 - tolerance);
        msg := format('%s@%s %s against %s of version %s on %s held-out pairs%s (tolerance %s): %s',
                      metric, k, round(cv::numeric, 4), round(uv::numeric, 4), cur, heldout - seen,
                      CASE WHEN seen > 0 THEN format(', %s more left out as training pairs of version %s', seen, cur)
                           ELSE '' END,
                      tolerance, CASE WHEN pass THEN 'deployed' ELSE 'rejected' END);
    END IF;

    IF pass THEN
        -- the comparison holds only if nobody deployed the name meanwhile
        LOCK TABLE nfrec.model_store IN SHARE ROW EXCLUSIVE MODE;
        SELECT s.version INTO now_cur FROM nfrec.model_store s
         WHERE s.name = _retrain_run.name AND s.is_current;
        IF now_cur IS DISTINCT FROM cur THEN
            RAISE EXCEPTION 'model "%" was deployed by another session during the retrain', name
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('The candidate was compared with version %s, but version %s is current now.',
                                      coalesce(cur::text, 'none'), coalesce(now_cur::text, 'none'));
        END IF;
        new_version := nfrec.deploy(name, m, events, make_default => false, keep => keep);
        IF dist THEN
            -- what train_distributed records of its model
            UPDATE nfrec.model_store s
               SET iterations = dr.iterations, loss = dr.loss, title_counts = dr.title_counts,
                   options = dr.options_used
             WHERE s.version = new_version;
        END IF;
    END IF;
    RAISE NOTICE 'retrain of model "%": %', name, msg;
    UPDATE nfrec.retrain_log l
       SET candidate = cand_j, current = cur_j, current_version = cur,
           decision = CASE WHEN pass THEN 'deployed' ELSE 'rejected' END,
           version = new_version, message = msg
     WHERE l.run_id = run;
END
$fn$;
COMMENT ON FUNCTION _retrain_run(bigint, text, regclass, jsonb, float8, int, text, float8, bigint, int) IS
    'internal (used by retrain): train, evaluate against the current version, deploy if the guardrail passes, and write the outcome to the log row';

CREATE FUNCTION _retrain_finish(run bigint, err_state text, err_message text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    d text;
BEGIN
    UPDATE nfrec.retrain_log l
       SET finished_at = clock_timestamp(),
           decision = CASE WHEN err_state IS NULL THEN l.decision ELSE 'failed' END,
           message = CASE WHEN err_state IS NULL THEN l.message
                          ELSE format('%s: %s', err_state, err_message) END
     WHERE l.run_id = run
    RETURNING l.decision INTO d;
    RETURN d = 'deployed';
END
$fn$;
COMMENT ON FUNCTION _retrain_finish(bigint, text, text) IS
    'internal (used by retrain): record the end of a run (and its error, if it failed); true if it deployed a version';

CREATE PROCEDURE retrain(name text, events regclass, options jsonb DEFAULT '{}',
                         holdout float8 DEFAULT 0.1, k int DEFAULT 10, metric text DEFAULT 'ndcg',
                         tolerance float8 DEFAULT 0.02, seed bigint DEFAULT 0, keep int DEFAULT 3,
                         refresh boolean DEFAULT true)
LANGUAGE plpgsql
AS $fn$
DECLARE
    -- resolved before the path is pinned: content_metadata as the caller
    -- would name it in CALL nfrec.refresh()
    v_titles regclass := pg_catalog.to_regclass('content_metadata');
    v_n int;
    run bigint;
    deployed boolean;
    err_state text;
    err_message text;
    err_detail text;
    err_hint text;
BEGIN
    -- no SET clause (it would forbid COMMIT): pin the path per transaction
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    IF retrain.refresh IS NULL THEN
        RAISE EXCEPTION 'arguments of nfrec.retrain must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    run := nfrec._retrain_begin(name, events, options, holdout, k, metric, tolerance, seed, keep);
    COMMIT;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    BEGIN
        PERFORM nfrec._retrain_run(run, name, events, options, holdout, k, metric, tolerance, seed, keep);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_message = MESSAGE_TEXT,
                                err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT;
    END;
    deployed := nfrec._retrain_finish(run, err_state, err_message);
    COMMIT;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    IF err_state IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = err_state, MESSAGE = err_message,
            DETAIL = coalesce(nullif(err_detail, ''), format('Run %s of nfrec.retrain_log failed.', run)),
            HINT = coalesce(nullif(err_hint, ''), 'The row of nfrec.retrain_log with this run_id records the failure.');
    END IF;
    -- the dashboards show the default model (as refresh and recommend_for
    -- resolve it: the setting nfrec.model, else nfrec.model_default's):
    -- refresh them when it changed
    IF deployed AND retrain.refresh
       AND retrain.name = coalesce(nullif(pg_catalog.current_setting('nfrec.model', true), ''),
                                   (SELECT d.name FROM nfrec.model_default d)) THEN
        BEGIN
            IF v_titles IS NULL THEN
                RAISE EXCEPTION 'relation "content_metadata" does not exist'
                    USING ERRCODE = 'undefined_table',
                          DETAIL = 'The dashboard recommendations take their titles from content_metadata on the search_path of the caller of nfrec.retrain.';
            END IF;
            SELECT coalesce(max(pg_catalog.cardinality(r.title_ids)), 10) INTO v_n
              FROM nfrec.dashboard_recommendations r;
            -- the recommendations part reads neither events nor
            -- subscriptions; they are passed so that refresh's defaults
            -- are not looked up on the pinned path
            CALL nfrec.refresh('recommendations', n => v_n, model => retrain.name,
                               events => retrain.events, subscriptions => retrain.events,
                               titles => v_titles);
            UPDATE nfrec.retrain_log l SET refreshed = true WHERE l.run_id = run;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_message = MESSAGE_TEXT;
            UPDATE nfrec.retrain_log l
               SET refreshed = false,
                   message = format('%s; dashboard views not refreshed: %s: %s', l.message, err_state, err_message)
             WHERE l.run_id = run;
            RAISE WARNING 'model "%" was deployed, but the dashboard views were not refreshed: %', retrain.name, err_message
                USING DETAIL = format('Run %s of nfrec.retrain_log records the error; the new version stays deployed.', run),
                      HINT = 'Run CALL nfrec.refresh(''recommendations'') when the cause is fixed.';
        END;
        COMMIT;
    END IF;
END
$fn$;
COMMENT ON PROCEDURE retrain(text, regclass, jsonb, float8, int, text, float8, bigint, int, boolean) IS
    'retrain a deployed ALS model (for pg_cron): train on the events (user_id, title_id, weight) minus a held-out fraction of (user, title) pairs (nfrec.holdout with seed), evaluate the candidate and the current version on the same held-out pairs at k, deploy the candidate (bound to events, not made the default) only if its metric is at least (1 - tolerance) times the current version''s (the first version always), and log the run in nfrec.retrain_log; refresh: after deploying a version of the default model, refresh the recommendations, recommended_titles and catalog_health views (a failed refresh is logged and warned about, the version stays deployed); only ALS models are retrained (42809 otherwise); on Citus, events distributed by user_id (or a view over such a table) train with train_distributed''s steps where they live instead of als_train; call it outside a transaction block (it commits)';
