-- Bad input to the analytics functions that read the user's tables:
-- columns of the wrong type (42804, naming the column and both types),
-- values nfrec cannot use (counted as unknown or skipped, with one NOTICE
-- per rule; doc/analytics.md "Bad values"), and trending at extreme
-- half-lives.  Every result over a table with bad rows is compared with
-- the same call over a copy built independently: the corrupted rows are
-- listed by id, and the copy has NULL in place of each bad value (or lacks
-- the skipped row).
SET TimeZone = 'UTC';
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE SCHEMA bi;
SET search_path = bi, public;
-- (context => false: the counts below were written for the demo without
-- the planted context effect; bad input is what this test is about)
SELECT users, titles FROM nfrec.generate_demo(users => 400, titles => 80, days => 200, seed => 3,
                                              end_date => '2025-06-30', context => false);

-- rows to corrupt: plays inside the feature windows of 2025-05-01 and the
-- launch windows, chosen by id
CREATE TEMP TABLE bad_pct AS
SELECT event_id, (ARRAY['NaN', 'Infinity', '-Infinity', '-5', '150'])[1 + row_number() OVER (ORDER BY event_id) % 5]::float8 AS v
FROM viewing_events WHERE event_type = 'play' AND event_id % 97 = 0;
CREATE TEMP TABLE bad_secs AS
SELECT event_id, (ARRAY['NaN', 'Infinity', '-Infinity', '-60', '3e9'])[1 + row_number() OVER (ORDER BY event_id) % 5]::float8 AS v
FROM viewing_events WHERE event_id % 89 = 0;
SELECT (SELECT count(*) FROM bad_pct) AS bad_pct, (SELECT count(*) FROM bad_secs) AS bad_secs;

-- events: watch_seconds as double precision (a number: accepted), the bad
-- values in ev1 and NULL in their place in ev_ref; ev1 also has plays at
-- +-infinity, which lie outside every window (ev_ref lacks them)
CREATE TABLE ev1 AS
SELECT e.event_id, e.user_id, e.title_id, e.started_at,
       CASE WHEN e.event_id IN (SELECT event_id FROM bad_secs)
            THEN (SELECT v FROM bad_secs b WHERE b.event_id = e.event_id)
            ELSE e.watch_seconds::float8 END AS watch_seconds,
       CASE WHEN e.event_id IN (SELECT event_id FROM bad_pct)
            THEN (SELECT v FROM bad_pct b WHERE b.event_id = e.event_id)
            ELSE e.watch_pct::float8 END AS watch_pct,
       e.event_type
FROM viewing_events e ORDER BY e.event_id;
INSERT INTO ev1 VALUES (-1, 1, 1, 'infinity', 100, 100, 'play'), (-2, 2, 2, '-infinity', 100, 100, 'play');
CREATE TABLE ev_ref AS
SELECT e.event_id, e.user_id, e.title_id, e.started_at,
       CASE WHEN e.event_id IN (SELECT event_id FROM bad_secs) THEN NULL ELSE e.watch_seconds::float8 END AS watch_seconds,
       CASE WHEN e.event_id IN (SELECT event_id FROM bad_pct) THEN NULL ELSE e.watch_pct::float8 END AS watch_pct,
       e.event_type
FROM viewing_events e ORDER BY e.event_id;

-- subscriptions: an infinite signup_date either way, a cancel_date at
-- -infinity or before the signup (all skipped: never active; s_ref lacks
-- them), a cancel_date at +infinity (never cancels: NULL in s_ref), a NaN
-- and an infinite monthly_price (unknown: NULL in s_ref)
CREATE TABLE s1 AS SELECT * FROM subscriptions ORDER BY user_id;
CREATE TEMP TABLE sub_bad(user_id bigint, what text);
INSERT INTO sub_bad
SELECT user_id, (ARRAY['signup +inf', 'signup -inf', 'cancel -inf', 'cancel before signup',
                       'cancel +inf', 'price NaN', 'price inf'])[k]
FROM (SELECT user_id, row_number() OVER (ORDER BY user_id) AS k
      FROM subscriptions WHERE signup_date < '2025-02-01' AND cancel_date IS NULL AND user_id % 11 = 0) x
WHERE k <= 7;
UPDATE s1 SET signup_date = 'infinity' FROM sub_bad b WHERE b.user_id = s1.user_id AND b.what = 'signup +inf';
UPDATE s1 SET signup_date = '-infinity' FROM sub_bad b WHERE b.user_id = s1.user_id AND b.what = 'signup -inf';
UPDATE s1 SET cancel_date = '-infinity' FROM sub_bad b WHERE b.user_id = s1.user_id AND b.what = 'cancel -inf';
UPDATE s1 SET cancel_date = signup_date - 1 FROM sub_bad b WHERE b.user_id = s1.user_id AND b.what = 'cancel before signup';
UPDATE s1 SET cancel_date = 'infinity' FROM sub_bad b WHERE b.user_id = s1.user_id AND b.what = 'cancel +inf';
UPDATE s1 SET monthly_price = 'NaN' FROM sub_bad b WHERE b.user_id = s1.user_id AND b.what = 'price NaN';
UPDATE s1 SET monthly_price = 'Infinity' FROM sub_bad b WHERE b.user_id = s1.user_id AND b.what = 'price inf';
CREATE TABLE s_ref AS
SELECT s.user_id, s.signup_date, s.cancel_date, s.plan,
       CASE WHEN b.what LIKE 'price%' THEN NULL ELSE s.monthly_price END AS monthly_price, s.country
FROM subscriptions s LEFT JOIN sub_bad b USING (user_id)
WHERE b.what IS NULL OR b.what IN ('cancel +inf', 'price NaN', 'price inf')
ORDER BY s.user_id;
SELECT what, count(*) FROM sub_bad GROUP BY what ORDER BY what;

-- titles: a NaN and an infinite production_cost (unknown: NULL in t_ref)
-- among the launches, a launch_date at +-infinity (never launched in a
-- finite period: t_ref lacks them)
CREATE TABLE t1 AS SELECT * FROM content_metadata ORDER BY title_id;
CREATE TEMP TABLE cost_bad AS
SELECT title_id FROM content_metadata WHERE launch_date BETWEEN '2025-02-01' AND '2025-03-31'
ORDER BY title_id LIMIT 2;
UPDATE t1 SET production_cost = CASE WHEN t1.title_id = (SELECT min(title_id) FROM cost_bad) THEN 'NaN' ELSE 'Infinity' END::numeric
WHERE t1.title_id IN (SELECT title_id FROM cost_bad);
INSERT INTO t1(title_id, title, content_type, launch_date, production_cost)
VALUES (-1, 'Forever', 'movie', 'infinity', 1e6), (-2, 'Always', 'movie', '-infinity', 1e6);
CREATE TABLE t_ref AS
SELECT title_id, title, content_type, genres, description, release_year, primary_language,
       maturity_rating, runtime_minutes, episodes, launch_date,
       CASE WHEN title_id IN (SELECT title_id FROM cost_bad) THEN NULL ELSE production_cost END AS production_cost
FROM content_metadata ORDER BY title_id;
SELECT count(*) AS observed_launches_with_bad_cost
FROM content_metadata WHERE title_id IN (SELECT title_id FROM cost_bad);

-- same(a, b): the two queries return the same multiset of rows
CREATE FUNCTION pg_temp.same(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM ((%1$s EXCEPT ALL %2$s) UNION ALL (%2$s EXCEPT ALL %1$s)) x', a, b) INTO n;
    RETURN n = 0;
END $$;

-- every function, bad tables against the reference copies
SELECT pg_temp.same($$SELECT * FROM nfrec.churn_features('2025-05-01', events => 'ev1', subscriptions => 's1')$$,
                    $$SELECT * FROM nfrec.churn_features('2025-05-01', events => 'ev_ref', subscriptions => 's_ref')$$)
         AS churn_features_same,
       (SELECT count(*) FROM nfrec.churn_features('2025-05-01', events => 'ev_ref', subscriptions => 's_ref')) AS rows;
SELECT pg_temp.same($$SELECT * FROM nfrec.churn_features_at('{2025-03-01,2025-04-15,2025-06-01}', 7, events => 'ev1', subscriptions => 's1')$$,
                    $$SELECT * FROM nfrec.churn_features_at('{2025-03-01,2025-04-15,2025-06-01}', 7, events => 'ev_ref', subscriptions => 's_ref')$$)
         AS churn_features_at_same;
-- the bad rows do touch these features: the reference differs from the
-- original data in those rows
SELECT NOT pg_temp.same($$SELECT * FROM nfrec.churn_features('2025-05-01', events => 'ev_ref', subscriptions => 's_ref')$$,
                        $$SELECT * FROM nfrec.churn_features('2025-05-01')$$) AS reference_differs;
CREATE TEMP TABLE m AS
SELECT nfrec.churn_model('2025-06-01', events => 'ev1', subscriptions => 's1') AS m1,
       nfrec.churn_model('2025-06-01', events => 'ev_ref', subscriptions => 's_ref') AS m2;
-- (the same training rows in another physical order: sums differ in the
-- last bits)
SELECT m1 - '{mean,sd,logreg,raw,holdout_auc}'::text[] = m2 - '{mean,sd,logreg,raw,holdout_auc}'::text[] AS churn_model_same,
       (SELECT max(abs(a.x::float8 - b.x::float8) / greatest(abs(b.x::float8), 1e-3)) < 1e-9
        FROM jsonb_array_elements_text((m1->'logreg'->'coef') || (m1->'mean') || (m1->'sd')) WITH ORDINALITY a(x, i)
        JOIN jsonb_array_elements_text((m2->'logreg'->'coef') || (m2->'mean') || (m2->'sd')) WITH ORDINALITY b(x, i) USING (i))
         AS coef_mean_sd_match,
       abs((m1->>'holdout_auc')::float8 - (m2->>'holdout_auc')::float8) < 1e-12 AS auc_matches,
       (m2->>'train_rows')::int AS train_rows, (m2->>'train_cancelled')::int AS train_cancelled
FROM m;
SELECT pg_temp.same($$SELECT * FROM nfrec.churn_risk('2025-06-01', model => (SELECT m2 FROM m), events => 'ev1', subscriptions => 's1')$$,
                    $$SELECT * FROM nfrec.churn_risk('2025-06-01', model => (SELECT m2 FROM m), events => 'ev_ref', subscriptions => 's_ref')$$)
         AS churn_risk_same;
SELECT count(*) AS users, max(abs(a.risk - b.risk)) < 1e-12 AS risk_matches,
       bool_and(a.risk_decile = b.risk_decile) AS deciles_match
FROM nfrec.churn_risk('2025-06-01', events => 'ev1', subscriptions => 's1') a
FULL JOIN nfrec.churn_risk('2025-06-01', events => 'ev_ref', subscriptions => 's_ref') b USING (user_id);
SELECT pg_temp.same($$SELECT * FROM nfrec.content_roi(risk_model => (SELECT m2 FROM m), titles => 't1', events => 'ev1', subscriptions => 's1')$$,
                    $$SELECT * FROM nfrec.content_roi(risk_model => (SELECT m2 FROM m), titles => 't_ref', events => 'ev_ref', subscriptions => 's_ref')$$)
         AS content_roi_same,
       (SELECT count(*) FILTER (WHERE observed) FROM nfrec.content_roi(risk_model => (SELECT m2 FROM m), titles => 't_ref', events => 'ev_ref', subscriptions => 's_ref')) AS observed;
-- (as_of and launched_from by default: from the finite events)
SELECT pg_temp.same($$SELECT * FROM nfrec.content_roi(window_days => 14, retention_days => 30, risk_model => (SELECT m2 FROM m), titles => 't1', events => 'ev1', subscriptions => 's1')$$,
                    $$SELECT * FROM nfrec.content_roi(window_days => 14, retention_days => 30, risk_model => (SELECT m2 FROM m), titles => 't_ref', events => 'ev_ref', subscriptions => 's_ref')$$)
         AS content_roi_defaults_same;
SELECT nfrec.watched_catalog_size('2025-03-01', '2025-06-01', 'hours', 'ev1')
         = nfrec.watched_catalog_size('2025-03-01', '2025-06-01', 'hours', 'ev_ref') AS ecs_hours_same,
       nfrec.watched_catalog_size('2025-03-01', '2025-06-01', 'plays', 'ev1')
         = nfrec.watched_catalog_size('2025-03-01', '2025-06-01', 'plays', 'ev_ref') AS ecs_plays_same;
SELECT pg_temp.same($$SELECT * FROM nfrec.trending('2025-06-01', n => 1000, events => 'ev1', titles => 't1')$$,
                    $$SELECT * FROM nfrec.trending('2025-06-01', n => 1000, events => 'ev_ref', titles => 't1')$$)
         AS trending_same,
       pg_temp.same($$SELECT * FROM nfrec.trending('2025-06-01', n => 1000, lookback => '300000 years', events => 'ev1', titles => 't1')$$,
                    $$SELECT * FROM nfrec.trending('2025-06-01', n => 1000, lookback => '300000 years', events => 'ev_ref', titles => 't1')$$)
         AS trending_all_history_same;

-- each kind of bad value alone, churn_features against the reference
CREATE TEMP TABLE kind_result(kind text, same boolean);
DO $$
DECLARE
    k record;
BEGIN
    FOR k IN
        SELECT * FROM (VALUES
            ('watch_pct NaN', 'watch_pct', 'NaN'), ('watch_pct Infinity', 'watch_pct', 'Infinity'),
            ('watch_pct -Infinity', 'watch_pct', '-Infinity'), ('watch_pct -5', 'watch_pct', '-5'),
            ('watch_pct 100.5', 'watch_pct', '100.5'),
            ('watch_seconds NaN', 'watch_seconds', 'NaN'), ('watch_seconds Infinity', 'watch_seconds', 'Infinity'),
            ('watch_seconds -Infinity', 'watch_seconds', '-Infinity'), ('watch_seconds -1', 'watch_seconds', '-1'),
            ('watch_seconds 1e12', 'watch_seconds', '1e12')) v(kind, col, val)
    LOOP
        EXECUTE format($v$
            CREATE OR REPLACE TEMP VIEW ev_k AS
            SELECT e.event_id, e.user_id, e.title_id, e.started_at,
                   CASE WHEN %1$L = 'watch_seconds' AND e.event_id IN (SELECT event_id FROM bad_secs)
                        THEN %2$L::float8 ELSE e.watch_seconds END AS watch_seconds,
                   CASE WHEN %1$L = 'watch_pct' AND e.event_id IN (SELECT event_id FROM bad_pct)
                        THEN %2$L::float8 ELSE e.watch_pct END AS watch_pct,
                   e.event_type
            FROM bi.ev_ref e $v$, k.col, k.val);
        INSERT INTO kind_result SELECT k.kind, pg_temp.same(
            $q$SELECT * FROM nfrec.churn_features('2025-05-01', events => 'ev_k', subscriptions => 's_ref')$q$,
            $q$SELECT * FROM nfrec.churn_features('2025-05-01', events => 'ev_ref', subscriptions => 's_ref')$q$);
    END LOOP;
    FOR k IN
        SELECT * FROM (VALUES
            ('started_at infinity', 'ev', $r$(-1, 1, 1, 'infinity', 100, 100, 'play')$r$),
            ('started_at -infinity', 'ev', $r$(-2, 2, 2, '-infinity', 100, 100, 'play')$r$),
            ('signup_date infinity', 's', $r$(-1, 'infinity', NULL, 'basic', 9.99, 'US')$r$),
            ('signup_date -infinity', 's', $r$(-2, '-infinity', NULL, 'basic', 9.99, 'US')$r$),
            ('cancel_date -infinity', 's', $r$(-3, '2025-01-01', '-infinity', 'basic', 9.99, 'US')$r$),
            ('cancel_date before signup_date', 's', $r$(-4, '2025-01-01', '2024-12-31', 'basic', 9.99, 'US')$r$)) v(kind, rel, row_sql)
    LOOP
        -- the bad row added to the reference table changes nothing
        EXECUTE format('CREATE TEMP TABLE x_k AS SELECT * FROM bi.%s', CASE k.rel WHEN 'ev' THEN 'ev_ref' ELSE 's_ref' END);
        EXECUTE format('INSERT INTO x_k VALUES %s', k.row_sql);
        INSERT INTO kind_result SELECT k.kind, pg_temp.same(
            format($q$SELECT * FROM nfrec.churn_features('2025-05-01', events => %L, subscriptions => %L)$q$,
                   CASE k.rel WHEN 'ev' THEN 'x_k' ELSE 'ev_ref' END, CASE k.rel WHEN 's' THEN 'x_k' ELSE 's_ref' END),
            $q$SELECT * FROM nfrec.churn_features('2025-05-01', events => 'ev_ref', subscriptions => 's_ref')$q$);
        DROP TABLE x_k;
    END LOOP;
    FOR k IN
        SELECT * FROM (VALUES ('cancel_date infinity', 'infinity'), ('monthly_price NaN', 'NaN'),
                              ('monthly_price Infinity', 'Infinity')) v(kind, val)
    LOOP
        -- a user of the reference with the bad value instead of NULL
        CREATE TEMP TABLE x_k AS SELECT * FROM bi.s_ref;
        CREATE TEMP TABLE r_k AS SELECT * FROM bi.s_ref;
        IF k.kind LIKE 'cancel%' THEN
            UPDATE x_k SET cancel_date = k.val::date WHERE user_id = (SELECT min(user_id) FROM x_k WHERE cancel_date IS NULL);
        ELSE
            UPDATE r_k SET monthly_price = NULL WHERE user_id = (SELECT min(user_id) FROM r_k);
            UPDATE x_k SET monthly_price = k.val::numeric WHERE user_id = (SELECT min(user_id) FROM x_k);
        END IF;
        INSERT INTO kind_result SELECT k.kind, pg_temp.same(
            $q$SELECT * FROM nfrec.churn_features('2025-05-01', events => 'ev_ref', subscriptions => 'x_k')$q$,
            $q$SELECT * FROM nfrec.churn_features('2025-05-01', events => 'ev_ref', subscriptions => 'r_k')$q$);
        DROP TABLE x_k, r_k;
    END LOOP;
END
$$;
SELECT * FROM kind_result;

-- the NOTICEs: one per rule with the number of rows it touched
SELECT count(*) FILTER (WHERE started_at >= '2025-04-03' AND started_at < '2025-05-01') AS bad_pct_in_window
FROM ev1 WHERE event_id IN (SELECT event_id FROM bad_pct);
SELECT count(*) FILTER (WHERE started_at >= '2025-04-03' AND started_at < '2025-05-01') AS bad_secs_in_window
FROM ev1 WHERE event_id IN (SELECT event_id FROM bad_secs);
SELECT count(*) FILTER (WHERE started_at >= '2025-03-01' AND started_at < '2025-06-01' AND event_type = 'play') AS bad_secs_plays
FROM ev1 WHERE event_id IN (SELECT event_id FROM bad_secs);
SET client_min_messages = notice;
SELECT count(*) FROM nfrec.churn_features('2025-05-01', events => 'ev1', subscriptions => 's1');
SELECT round(nfrec.watched_catalog_size('2025-03-01', '2025-06-01', 'hours', 'ev1')::numeric, 6) > 0 AS ecs;
SELECT count(*) FROM nfrec.content_roi(launched_from => '2025-02-01', launched_until => '2025-03-31',
                                       as_of => '2025-04-10', titles => 't1', events => 'ev1', subscriptions => 's1');
SELECT count(*) FROM nfrec.churn_features('2025-05-01');   -- clean data: no NOTICE
SET client_min_messages = warning;

-- Column types: checked before any query, 42804 naming the column, its
-- type and the expected one; a domain counts as its base type
CREATE VIEW ev_pct_text AS SELECT event_id, user_id, title_id, started_at, watch_seconds, watch_pct::text AS watch_pct, event_type FROM ev_ref;
CREATE VIEW ev_uid_text AS SELECT event_id, user_id::text AS user_id, title_id, started_at, watch_seconds, watch_pct, event_type FROM ev_ref;
CREATE VIEW ev_ts_local AS SELECT event_id, user_id, title_id, started_at::timestamp AS started_at, watch_seconds, watch_pct, event_type FROM ev_ref;
CREATE VIEW ev_tid_num AS SELECT event_id, user_id, title_id::numeric AS title_id, started_at, watch_seconds, watch_pct, event_type FROM ev_ref;
CREATE VIEW ev_type_int AS SELECT event_id, user_id, title_id, started_at, watch_seconds, watch_pct, 1 AS event_type FROM ev_ref;
CREATE VIEW ev_secs_interval AS SELECT event_id, user_id, title_id, started_at, watch_seconds * interval '1 second' AS watch_seconds, watch_pct, event_type FROM ev_ref;
CREATE VIEW s_signup_ts AS SELECT user_id, signup_date::timestamptz AS signup_date, cancel_date, plan, monthly_price, country FROM s_ref;
CREATE VIEW s_price_money AS SELECT user_id, signup_date, cancel_date, plan, monthly_price::money AS monthly_price, country FROM s_ref;
CREATE VIEW t_launch_text AS SELECT title_id, title, content_type, episodes, launch_date::text AS launch_date, production_cost FROM t_ref;
CREATE VIEW t_title_int AS SELECT title_id, title_id AS title FROM t_ref;
CREATE DOMAIN pct AS real CHECK (VALUE BETWEEN 0 AND 100);
CREATE DOMAIN label AS varchar(20);
CREATE TABLE ev_domains(event_id bigint, user_id int, title_id int, started_at timestamptz,
                        watch_seconds numeric, watch_pct pct, event_type label);
INSERT INTO ev_domains SELECT event_id, user_id, title_id, started_at, watch_seconds, watch_pct, event_type FROM ev_ref;
\set VERBOSITY sqlstate
SELECT count(*) FROM nfrec.churn_features('2025-05-01', events => 'ev_pct_text', subscriptions => 's_ref');
SELECT count(*) FROM nfrec.churn_features('2025-05-01', events => 'ev_uid_text', subscriptions => 's_ref');
SELECT count(*) FROM nfrec.churn_features('2025-05-01', events => 'ev_ts_local', subscriptions => 's_ref');
SELECT count(*) FROM nfrec.churn_features('2025-05-01', events => 'ev_secs_interval', subscriptions => 's_ref');
SELECT count(*) FROM nfrec.churn_features('2025-05-01', events => 'ev_ref', subscriptions => 's_signup_ts');
SELECT count(*) FROM nfrec.churn_features('2025-05-01', events => 'ev_ref', subscriptions => 's_price_money');
SELECT count(*) FROM nfrec.churn_features_at('{2025-05-01}', events => 'ev_type_int', subscriptions => 's_ref');
SELECT nfrec.churn_model('2025-06-01', events => 'ev_pct_text', subscriptions => 's_ref');
SELECT nfrec.churn_model('2025-06-01', events => 'ev_ref', subscriptions => 's_signup_ts');
SELECT count(*) FROM nfrec.churn_risk('2025-06-01', model => (SELECT m2 FROM m), events => 'ev_uid_text', subscriptions => 's_ref');
SELECT count(*) FROM nfrec.churn_risk('2025-06-01', events => 'ev_ref', subscriptions => 's_price_money');
SELECT count(*) FROM nfrec.content_roi(titles => 't_launch_text', events => 'ev_ref', subscriptions => 's_ref');
SELECT count(*) FROM nfrec.content_roi(titles => 't_ref', events => 'ev_pct_text', subscriptions => 's_ref');
SELECT count(*) FROM nfrec.content_roi(titles => 't_ref', events => 'ev_ref', subscriptions => 's_signup_ts');
SELECT nfrec.watched_catalog_size('2025-03-01', '2025-06-01', 'hours', 'ev_secs_interval');
SELECT nfrec.watched_catalog_size('2025-03-01', '2025-06-01', 'plays', 'ev_tid_num');
SELECT count(*) FROM nfrec.trending('2025-06-01', events => 'ev_ts_local', titles => 't_ref');
SELECT count(*) FROM nfrec.trending('2025-06-01', events => 'ev_ref', titles => 't_title_int');
CREATE SEQUENCE a_sequence;
SELECT count(*) FROM nfrec.trending('2025-06-01', events => 'a_sequence', titles => 't_ref');
CREATE INDEX ev_ref_title ON ev_ref(title_id);
SELECT count(*) FROM nfrec.trending('2025-06-01', events => 'ev_ref', titles => 'ev_ref_title');
\set VERBOSITY default
SELECT count(*) FROM nfrec.churn_features('2025-05-01', events => 'ev_pct_text', subscriptions => 's_ref');
SELECT count(*) FROM nfrec.content_roi(titles => 't_launch_text', events => 'ev_ref', subscriptions => 's_ref');
SELECT count(*) FROM nfrec.trending('2025-06-01', events => 'ev_ts_local', titles => 't_ref');
SELECT count(*) FROM nfrec.trending('2025-06-01', events => 'ev_ref', titles => 'ev_ref_title');
-- domains over accepted types (and integer ids, numeric seconds) work
SELECT pg_temp.same($$SELECT * FROM nfrec.churn_features('2025-05-01', events => 'ev_domains', subscriptions => 's_ref')$$,
                    $$SELECT * FROM nfrec.churn_features('2025-05-01', events => 'ev_ref', subscriptions => 's_ref')$$)
         AS domains_same;

-- trending at extreme half-lives, against hand-worked values and plain SQL
CREATE TABLE tr(title_id bigint, started_at timestamptz, event_type text);
INSERT INTO tr VALUES
 (1, '2025-05-31 23:59:59.999999', 'play'),   -- 1 half-life:  1/2
 (1, '2025-05-31 23:59:59.999997', 'play'),   -- 3 half-lives: 1/8
 (2, '2025-05-31 23:59:59.999998', 'play'),   -- 2 half-lives: 1/4
 (2, '2025-05-31 23:59:59.999989', 'play'),   -- 11: before the default lookback
 (3, '2025-05-31 23:59:59', 'play'),          -- 10^6 half-lives: 2^-1000000, 0 in float8
 (3, '2025-05-31 23:59:58', 'play'),
 (4, '2025-05-31 23:59:58', 'play'),
 (5, '2025-05-31 23:59:59.998927', 'play'),   -- 1073 half-lives: 2^-1073, a subnormal float8
 (6, '1990-01-01', 'play'),
 (7, '2025-06-01', 'play');                   -- at as_of: not counted
-- 1 microsecond: the default lookback (10 microseconds) holds titles 1, 2
SELECT rank, title_id, score, plays FROM nfrec.trending('2025-06-01', '1 microsecond', events => 'tr', titles => 't_ref');
SELECT 0.5 + 0.125 AS title1_by_hand, 0.25 AS title2_by_hand;  -- title 3: no play in 10 microseconds
-- lookback 1 day: title 5 weighs 2^-1073; titles 3 and 4 weigh 0 (below
-- float8), 3 played last; title 2 adds 2^-11
SELECT rank, title_id, score = power(2::float8, -1073) AS is_2_pow_minus_1073, score, plays
FROM nfrec.trending('2025-06-01', '1 microsecond', lookback => '1 day', events => 'tr', titles => 't_ref');
SELECT 0.25 + power(2::float8, -11) AS title2_by_hand;
-- 1000 years: the default lookback (10000 years) reaches before the
-- earliest timestamp, so it counts all of history
WITH ref AS (
  SELECT title_id, sum(power(2::float8, -extract(epoch FROM '2025-06-01'::timestamptz - started_at)
                                       / extract(epoch FROM interval '1000 years'))) AS score, count(*) AS plays
  FROM tr WHERE event_type = 'play' AND started_at < '2025-06-01' GROUP BY title_id
)
SELECT t.rank, t.title_id, abs(t.score - ref.score) < 1e-12 AS score_matches, t.plays = ref.plays AS plays_match,
       round(t.score::numeric, 12) AS score
FROM nfrec.trending('2025-06-01', '1000 years', events => 'tr', titles => 't_ref') t FULL JOIN ref USING (title_id)
ORDER BY t.rank;
-- the same on the demo events, against plain SQL
WITH ref AS (
  SELECT title_id, sum(power(2::float8, -extract(epoch FROM '2025-06-01'::timestamptz - started_at)
                                       / extract(epoch FROM interval '1000 years'))) AS score
  FROM ev_ref WHERE event_type = 'play' AND started_at < '2025-06-01' GROUP BY title_id
), t AS (
  SELECT * FROM nfrec.trending('2025-06-01', '1000 years', 1000, events => 'ev1', titles => 't_ref')
)
SELECT count(*) AS titles, max(abs(t.score - ref.score) / ref.score) < 1e-12 AS scores_match,
       bool_and(t.rank = (SELECT count(*) FROM ref r2 WHERE r2.score > ref.score
                              OR (r2.score = ref.score AND r2.title_id <= ref.title_id))) AS ranks_match
FROM t FULL JOIN ref USING (title_id);
-- 100 million years: 10 half-lives is beyond the range of interval
SELECT rank, title_id, round(score::numeric, 9) AS score, plays
FROM nfrec.trending('2025-06-01', '100000000 years', events => 'tr', titles => 't_ref');
\set VERBOSITY sqlstate
SELECT * FROM nfrec.trending('2025-06-01', half_life => NULL, events => 'tr', titles => 't_ref');
SELECT * FROM nfrec.trending('2025-06-01', half_life => '0 microseconds', events => 'tr', titles => 't_ref');
SELECT * FROM nfrec.trending('2025-06-01', half_life => '-1 microsecond', events => 'tr', titles => 't_ref');
SELECT * FROM nfrec.trending('2025-06-01', half_life => '1 mon -31 days', events => 'tr', titles => 't_ref');
SELECT * FROM nfrec.trending('2025-06-01', lookback => '-1 day', events => 'tr', titles => 't_ref');
\set VERBOSITY default
SELECT * FROM nfrec.trending('2025-06-01', half_life => '1 mon -31 days', events => 'tr', titles => 't_ref');

RESET search_path;
DROP SCHEMA bi CASCADE;
