
-- ---------------------------------------------------------------------
-- Engagement analytics over the canonical tables
-- ---------------------------------------------------------------------
--
-- These functions read the user's own tables, given as regclass
-- arguments.  Their defaults are written 'name'::text::regclass so that the
-- canonical name is looked up through the CALLER's search_path on every
-- call (a plain DEFAULT 'name' would be resolved to a fixed OID once, when
-- the extension is created, and CREATE EXTENSION would fail where the
-- table does not exist yet).  They run as the caller (SECURITY INVOKER), so
-- GRANTs and row-level security apply, and they build their queries with
-- format('%s', regclass), which quotes and schema-qualifies the name;
-- values always travel as query parameters.  The plpgsql functions have a
-- fixed search_path so that nothing the caller creates can capture an
-- operator in their queries.
--
-- Dates and times: an as_of date means the instant as_of 00:00 in the
-- session's TimeZone.  "Events before as_of" are started_at < that
-- instant; a subscriber is active at as_of when signup_date <= as_of and
-- (cancel_date IS NULL OR cancel_date > as_of).  Calendar days of events
-- are started_at::date in the session's TimeZone.

CREATE FUNCTION _check_columns(rel regclass, required text[]) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    c text;
    typ oid;
    base oid;
    dom oid;
    kind "char";
    rule record;
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION 'table argument must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT k.relkind INTO kind FROM pg_class k WHERE k.oid = rel;
    IF kind IS NULL OR kind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
        RAISE EXCEPTION '"%" is not a table, view, materialized view or foreign table', rel::text
            USING ERRCODE = 'wrong_object_type';
    END IF;
    FOREACH c IN ARRAY required LOOP
        SELECT a.atttypid INTO typ FROM pg_attribute a
        WHERE a.attrelid = rel AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'column "%" of relation "%" does not exist', c, rel::text
                USING ERRCODE = 'undefined_column',
                      HINT = format('nfrec needs the columns %s of this relation.',
                                    array_to_string(required, ', '));
        END IF;
        -- The types accepted for each canonical column (DESIGN section 2; a
        -- name means the same column in every canonical table) and the
        -- canonical type for the hint.  A domain is judged by its base type.
        SELECT r.expected, r.accepted::regtype[] AS accepted, r.canonical INTO rule
        FROM (VALUES
            ('user_id',         'an integer type', '{smallint,integer,bigint}', 'bigint'),
            ('title_id',        'an integer type', '{smallint,integer,bigint}', 'bigint'),
            ('episodes',        'an integer type', '{smallint,integer,bigint}', 'integer'),
            ('watch_seconds',   'a number', '{smallint,integer,bigint,real,"double precision",numeric}', 'integer'),
            ('watch_pct',       'a number', '{smallint,integer,bigint,real,"double precision",numeric}', 'real'),
            ('monthly_price',   'a number', '{smallint,integer,bigint,real,"double precision",numeric}', 'numeric'),
            ('production_cost', 'a number', '{smallint,integer,bigint,real,"double precision",numeric}', 'numeric'),
            ('started_at',      'timestamp with time zone', '{"timestamp with time zone"}', 'timestamptz'),
            ('signup_date',     'date', '{date}', 'date'),
            ('cancel_date',     'date', '{date}', 'date'),
            ('launch_date',     'date', '{date}', 'date'),
            ('event_type',      'a text type', '{text,"character varying",character}', 'text'),
            ('plan',            'a text type', '{text,"character varying",character}', 'text'),
            ('country',         'a text type', '{text,"character varying",character}', 'text'),
            ('content_type',    'a text type', '{text,"character varying",character}', 'text'),
            ('title',           'a text type', '{text,"character varying",character}', 'text')
        ) r(col, expected, accepted, canonical)
        WHERE r.col = c;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no type rule for column "%"', c USING ERRCODE = 'internal_error';
        END IF;
        base := typ;
        LOOP
            SELECT t.typbasetype INTO dom FROM pg_type t WHERE t.oid = base AND t.typtype = 'd';
            EXIT WHEN NOT FOUND;
            base := dom;
        END LOOP;
        IF base::regtype <> ALL (rule.accepted) THEN
            RAISE EXCEPTION 'column "%" of relation "%" has type %, expected %',
                c, rel::text, format_type(typ, NULL), rule.expected
                USING ERRCODE = 'datatype_mismatch',
                      DETAIL = format('nfrec accepts %s for %s.',
                                      array_to_string(rule.accepted::text[], ', '), c),
                      HINT = format('Pass a view that converts the column, for example %s::%s AS %s.',
                                    quote_ident(c), rule.canonical, quote_ident(c));
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION _check_columns(regclass, text[]) IS
    'internal: raise 42809 unless the relation is a table or view, 42703 unless it has all the named columns, 42804 unless each has a type accepted for that canonical column';

CREATE FUNCTION _check_days(what text, days int) RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF days IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF days < 1 OR days > 3660 THEN
        RAISE EXCEPTION '% must be between 1 and 3660 days, not %', what, days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$fn$;
COMMENT ON FUNCTION _check_days(text, int) IS
    'internal: raise 22004 for a NULL and 22023 for a number of days outside 1..3660';

-- An as_of after the end of the data (no event started on the day before
-- as_of's date or later) is an error that names the last event's date:
-- computed there, every subscriber looks inactive and trending finds no
-- play.  The data's last day is L when the last event started on L;
-- as_of's date may be at most L + 1 (the default as_of of content_roi and
-- trending is L + 1 00:00).
CREATE FUNCTION _check_as_of_in_data(events regclass, as_of timestamptz) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    recent boolean;
    last_ts timestamptz;
BEGIN
    EXECUTE format($q$
        SELECT EXISTS (SELECT 1 FROM %s e WHERE e.started_at >= $1 AND e.started_at < 'infinity')
        $q$, events)
        INTO recent USING (as_of::date - 1)::timestamptz;
    IF recent THEN
        RETURN;
    END IF;
    EXECUTE format($q$
        SELECT max(e.started_at) FROM %s e WHERE e.started_at > '-infinity' AND e.started_at < 'infinity'
        $q$, events)
        INTO last_ts;
    IF last_ts IS NULL THEN
        RETURN;                 -- no events at all: nothing to compare with
    END IF;
    RAISE EXCEPTION 'as_of % is after the end of the data', to_char(as_of, 'YYYY-MM-DD')
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = format('The last event in relation "%s" started on %s.',
                              events::text, to_char(last_ts, 'YYYY-MM-DD')),
              HINT = format('Choose an as_of on or before %s, the day after the last event.',
                            to_char(last_ts::date + 1, 'YYYY-MM-DD'));
END
$fn$;
COMMENT ON FUNCTION _check_as_of_in_data(regclass, timestamptz) IS
    'internal: raise 22023 naming the last event''s date when no event of the relation started on the day before as_of''s date or later (as_of is after the end of the data)';

-- Values nfrec cannot use (see doc/analytics.md, "Bad values"): a
-- watch_pct or watch_seconds out of range, a NaN or infinite price or
-- cost is treated as unknown (NULL) and the row is still used; a
-- subscription with an infinite signup_date, or cancelled before it, is
-- never active and skipped (as one with a NULL signup_date, silently).
-- The queries apply these rules inline; this function counts the rows
-- they affect (those with range_col in [lo, hi) when range_col is given;
-- or takes the counts a caller made while reading) and reports one
-- NOTICE per rule.
CREATE FUNCTION _report_bad_values(rel regclass, cols text[], range_col text,
                                   lo timestamptz, hi timestamptz,
                                   counted bigint[] DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r record;
    preds text[] := '{}';
    names text[] := '{}';
    whats text[] := '{}';
    skips bool[] := '{}';
    counts bigint[];
    k int;
BEGIN
    FOR r IN
        SELECT v.col, v.pred, v.what, v.skip
        FROM (VALUES
            ('watch_pct', 'x.%1$I IS NOT NULL AND NOT x.%1$I BETWEEN 0 AND 100',
             'that %s NaN, infinite or outside 0 to 100', false),
            ('watch_seconds', 'x.%1$I IS NOT NULL AND NOT x.%1$I BETWEEN 0 AND 2147483647',
             'that %s NaN, infinite, negative or above 2147483647', false),
            ('monthly_price', 'x.%1$I IS NOT NULL AND NOT abs(x.%1$I::numeric) < ''Infinity''::numeric',
             'that %s NaN or infinite', false),
            ('production_cost', 'x.%1$I IS NOT NULL AND NOT abs(x.%1$I::numeric) < ''Infinity''::numeric',
             'that %s NaN or infinite', false),
            ('signup_date', 'NOT isfinite(x.signup_date) OR x.cancel_date < x.signup_date',
             'with an infinite signup_date or a cancel_date before it', true)
        ) v(col, pred, what, skip)
        JOIN unnest(cols) WITH ORDINALITY u(col, i) ON u.col = v.col
        ORDER BY u.i
    LOOP
        preds := preds || format('count(*) FILTER (WHERE %s)', format(r.pred, r.col));
        names := names || r.col;
        whats := whats || r.what;
        skips := skips || r.skip;
    END LOOP;
    IF cardinality(preds) = 0 THEN
        RETURN;
    END IF;
    IF counted IS NOT NULL THEN
        counts := counted;
    ELSE
        EXECUTE format('SELECT ARRAY[%s]::bigint[] FROM %s x %s', array_to_string(preds, ', '), rel,
                       CASE WHEN range_col IS NOT NULL
                            THEN format('WHERE x.%1$I >= $1 AND x.%1$I < $2', range_col) ELSE '' END)
            INTO counts USING lo, hi;
    END IF;
    FOR k IN 1 .. cardinality(names) LOOP
        CONTINUE WHEN counts[k] = 0;
        IF skips[k] THEN
            RAISE NOTICE 'skipped % % of relation "%" %', counts[k],
                CASE WHEN counts[k] = 1 THEN 'row' ELSE 'rows' END, rel::text, whats[k]
                USING DETAIL = 'Such a subscription is never active.';
        ELSE
            RAISE NOTICE 'ignored % % % of relation "%" %', counts[k], names[k],
                CASE WHEN counts[k] = 1 THEN 'value' ELSE 'values' END, rel::text,
                format(whats[k], CASE WHEN counts[k] = 1 THEN 'is' ELSE 'are' END)
                USING DETAIL = 'Such a value is treated as unknown (NULL); the rest of its row is used.'
                    || CASE WHEN range_col IS NULL THEN ''
                            ELSE format(' Counted over the rows read, with %s in [%s, %s).', range_col, lo, hi) END;
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION _report_bad_values(regclass, text[], text, timestamptz, timestamptz, bigint[]) IS
    'internal: one NOTICE per bad-value rule (watch_pct, watch_seconds, monthly_price, production_cost, signup_date) with the number of rows of the relation it affects (those with range_col in [lo, hi) if range_col is given), counted here or given in counted';

-- ---------------------------------------------------------------------
-- Churn features
-- ---------------------------------------------------------------------

CREATE FUNCTION churn_feature_names() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY['days_since_last_play', 'active_days_recent', 'active_days_prior',
                 'watch_hours_recent', 'watch_hours_prior', 'completion_trend',
                 'abandonment_rate', 'browse_share', 'tenure_days', 'monthly_price']
$$;
COMMENT ON FUNCTION churn_feature_names() IS
    'names of the elements of the features array of churn_features, in order';

CREATE FUNCTION _churn_windows(
    days date[], vals float8[], last_play timestamptz[], old_last timestamptz,
    dates date[], window_days int, signup date, cancel date)
RETURNS TABLE(as_of date,
              active_recent float8, active_prior float8, plays_recent float8, plays_prior float8,
              secs_recent float8, secs_prior float8, pct_sum_recent float8, pct_sum_prior float8,
              pct_n_recent float8, pct_n_prior float8, abandoned_recent float8, abandoned_prior float8,
              sessions_recent float8, sessions_prior float8, browse_recent float8, browse_prior float8,
              last_play timestamptz)
    AS 'MODULE_PATHNAME', 'churn_windows'
    LANGUAGE C IMMUTABLE PARALLEL SAFE COST 10 ROWS 10;
COMMENT ON FUNCTION _churn_windows(date[], float8[], timestamptz[], timestamptz, date[], int, date, date) IS
    'internal: for one subscriber''s days of activity (days ascending; vals per day: active, plays, seconds, sum and count of watch_pct, abandoned plays, sessions, browse-only sessions), the totals over [as_of - w, as_of) and [as_of - 2w, as_of - w) and the last play before as_of, for each of the dates at which the subscriber is active';

CREATE FUNCTION churn_features_at(
    dates date[],
    window_days int DEFAULT 14,
    session_gap interval DEFAULT '30 minutes',
    abandon_pct real DEFAULT 25,
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS TABLE(as_of date, user_id bigint, plan text, country text, monthly_price numeric,
              tenure_days int, days_since_last_play float8,
              active_days_recent int, active_days_prior int,
              watch_hours_recent float8, watch_hours_prior float8,
              completion_recent float8, completion_prior float8, completion_trend float8,
              plays int, abandonment_rate float8, sessions int, browse_share float8,
              features float8[])
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED COST 10000 ROWS 10000
    SET search_path = pg_catalog, pg_temp
    SET jit = off
AS $fn$
DECLARE
    d date[];
    lo timestamptz;
    hi timestamptz;
    by_index boolean;
BEGIN
    IF dates IS NULL OR array_position(dates, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'as_of dates must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF session_gap IS NULL OR abandon_pct IS NULL THEN
        RAISE EXCEPTION 'session_gap and abandon_pct must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM nfrec._check_days('window_days', window_days);
    IF session_gap <= interval '0' THEN
        RAISE EXCEPTION 'session_gap must be positive, not %', session_gap
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF abandon_pct = 'NaN' OR abandon_pct < 0 OR abandon_pct > 100 THEN
        RAISE EXCEPTION 'abandon_pct must be between 0 and 100, not %', abandon_pct
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF array_position(dates, 'infinity') IS NOT NULL OR array_position(dates, '-infinity') IS NOT NULL THEN
        RAISE EXCEPTION 'as_of dates must be finite' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM nfrec._check_columns(events,
        ARRAY['user_id', 'started_at', 'event_type', 'watch_seconds', 'watch_pct']);
    PERFORM nfrec._check_columns(subscriptions,
        ARRAY['user_id', 'signup_date', 'cancel_date', 'plan', 'monthly_price', 'country']);

    d := ARRAY(SELECT DISTINCT x FROM unnest(dates) x ORDER BY x);
    IF cardinality(d) = 0 THEN
        RETURN;
    END IF;
    PERFORM nfrec._check_as_of_in_data(events, d[cardinality(d)]::timestamptz);
    lo := (d[1] - 2 * window_days)::timestamptz;
    hi := d[cardinality(d)]::timestamptz;

    -- The last play before the feature windows matters only for a
    -- subscriber without a play in [lo, d[1]) (a later play is later than
    -- any before lo).  With a btree index on (user_id, started_at, ...) it
    -- is one backward index probe for each such subscriber; without one,
    -- one scan of all the plays before lo.
    SELECT EXISTS (
        SELECT 1 FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_am am ON am.oid = c.relam
        WHERE i.indrelid = events AND am.amname = 'btree' AND i.indisvalid AND i.indpred IS NULL
          AND i.indnkeyatts >= 2
          AND i.indkey[0] = (SELECT a.attnum FROM pg_attribute a
                             WHERE a.attrelid = events AND a.attname = 'user_id')
          AND i.indkey[1] = (SELECT a.attnum FROM pg_attribute a
                             WHERE a.attrelid = events AND a.attname = 'started_at'))
    INTO by_index;

    -- One pass over the events of the feature windows (sessions, daily
    -- play statistics, and the bad values of _report_bad_values, which
    -- the query reports once through the always-empty last branch) and
    -- the last plays before them; each subscriber's days then go to
    -- _churn_windows (C, running totals), which returns the windows at
    -- every date at which it is active.
    RETURN QUERY EXECUTE format($q$
    WITH ev AS (
        -- watch_seconds and watch_pct out of range count as unknown
        SELECT e.user_id::bigint AS user_id, e.started_at, e.started_at::date AS day,
               coalesce(e.event_type = 'play', false) AS is_play, v.secs, v.pct,
               e.started_at + make_interval(secs => coalesce(v.secs, 0)) AS ended_at,
               e.watch_pct IS NOT NULL AND v.pct IS NULL AS bad_pct,
               e.watch_seconds IS NOT NULL AND v.secs IS NULL AS bad_secs
        FROM %1$s e
        CROSS JOIN LATERAL (SELECT
            CASE WHEN e.watch_seconds BETWEEN 0 AND 2147483647 THEN e.watch_seconds::float8 END AS secs,
            CASE WHEN e.watch_pct BETWEEN 0 AND 100 THEN e.watch_pct::float8 END AS pct) v
        WHERE e.started_at >= $5 AND e.started_at < $6
    ), ev1 AS (
        -- a session starts when an event begins more than session_gap after
        -- the end of everything before it on the same calendar day
        SELECT ev.*, coalesce(ev.started_at > max(ev.ended_at) OVER (
                   PARTITION BY ev.user_id, ev.day ORDER BY ev.started_at
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + $3, true) AS new_session
        FROM ev
    ), ev2 AS (
        -- a play is its session's first play when the previous play of the
        -- day came before the session started (the start of the session
        -- of a row that does not start one is the latest start before it;
        -- both maxima share one window, so one pass computes them)
        SELECT ev1.*,
               CASE WHEN ev1.new_session THEN ev1.started_at
                    ELSE max(CASE WHEN ev1.new_session THEN ev1.started_at END) OVER before END
                 AS session_start,
               max(CASE WHEN ev1.is_play THEN ev1.started_at END) OVER before AS prev_play
        FROM ev1
        WINDOW before AS (PARTITION BY ev1.user_id, ev1.day ORDER BY ev1.started_at
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ), daily AS (
        SELECT ev2.user_id, ev2.day,
               count(*) FILTER (WHERE ev2.new_session) AS sessions,
               count(*) FILTER (WHERE ev2.new_session)
                 - count(*) FILTER (WHERE ev2.is_play AND (ev2.prev_play IS NULL
                                                           OR ev2.prev_play < ev2.session_start)) AS browse,
               count(*) FILTER (WHERE ev2.is_play) AS plays,
               sum(ev2.secs) FILTER (WHERE ev2.is_play) AS secs,
               sum(ev2.pct) FILTER (WHERE ev2.is_play) AS pct_sum,
               count(ev2.pct) FILTER (WHERE ev2.is_play) AS pct_n,
               count(*) FILTER (WHERE ev2.is_play AND ev2.pct < $4) AS abandoned,
               max(ev2.started_at) FILTER (WHERE ev2.is_play) AS last_ts,
               count(*) FILTER (WHERE ev2.bad_pct) AS bad_pct,
               count(*) FILTER (WHERE ev2.bad_secs) AS bad_secs
        FROM ev2 GROUP BY ev2.user_id, ev2.day
    ), agg AS (
        SELECT x.user_id,
               array_agg(x.day ORDER BY x.day) AS days,
               array_agg(ARRAY[(x.plays > 0)::int, x.plays, coalesce(x.secs, 0),
                               coalesce(x.pct_sum, 0), x.pct_n, x.abandoned,
                               x.sessions, x.browse]::float8[] ORDER BY x.day) AS vals,
               array_agg(x.last_ts ORDER BY x.day) AS last_play,
               min(x.day) FILTER (WHERE x.last_ts IS NOT NULL) AS first_play_day
        FROM daily x GROUP BY x.user_id
    ), rep AS MATERIALIZED (
        -- one NOTICE per rule with bad values among the events read (r as
        -- text: Citus cannot carry a void column in an intermediate result)
        SELECT nfrec._report_bad_values($9, ARRAY['watch_pct', 'watch_seconds'], 'started_at', $5, $6,
                   ARRAY[coalesce(sum(x.bad_pct), 0), coalesce(sum(x.bad_secs), 0)]::bigint[])::text AS r,
               count(*) AS n
        FROM daily x
    )%3$s, f AS (
        -- per subscriber, the windows at every date at which it is active
        SELECT w.as_of, s.user_id::bigint AS user_id, s.plan::text AS plan,
               s.country::text AS country,
               CASE WHEN abs(s.monthly_price::numeric) < 'Infinity'::numeric
                    THEN s.monthly_price::numeric END AS monthly_price,
               (w.as_of - s.signup_date)::int AS tenure_days,
               extract(epoch FROM w.as_of::timestamptz - w.last_play)::float8 / 86400 AS dslp,
               w.active_recent::int AS active_recent, w.active_prior::int AS active_prior,
               w.secs_recent / 3600 AS hours_recent, w.secs_prior / 3600 AS hours_prior,
               w.pct_sum_recent / nullif(w.pct_n_recent, 0) AS comp_recent,
               w.pct_sum_prior / nullif(w.pct_n_prior, 0) AS comp_prior,
               (w.plays_recent + w.plays_prior)::int AS plays,
               (w.abandoned_recent + w.abandoned_prior)
                 / nullif(w.pct_n_recent + w.pct_n_prior, 0) AS abandonment,
               (w.sessions_recent + w.sessions_prior)::int AS sessions,
               (w.browse_recent + w.browse_prior)
                 / nullif(w.sessions_recent + w.sessions_prior, 0) AS browse_share
        FROM %2$s s
        LEFT JOIN agg a ON a.user_id = s.user_id
        %4$s
        CROSS JOIN LATERAL nfrec._churn_windows(a.days, a.vals, a.last_play, o.last_ts,
                                                $1, $2, s.signup_date, s.cancel_date) w
        WHERE s.signup_date <= $7 AND (s.cancel_date IS NULL OR s.cancel_date > $8)
          AND isfinite(s.signup_date) AND (s.cancel_date IS NULL OR s.cancel_date >= s.signup_date)
    )
    SELECT f.as_of, f.user_id, f.plan, f.country, f.monthly_price, f.tenure_days, f.dslp,
           f.active_recent, f.active_prior, f.hours_recent, f.hours_prior,
           f.comp_recent, f.comp_prior, f.comp_recent - f.comp_prior,
           f.plays, f.abandonment, f.sessions, f.browse_share,
           ARRAY[coalesce(f.dslp, f.tenure_days), f.active_recent, f.active_prior,
                 f.hours_recent, f.hours_prior, coalesce(f.comp_recent - f.comp_prior, 0),
                 coalesce(f.abandonment, 0), coalesce(f.browse_share, 0),
                 f.tenure_days, coalesce(f.monthly_price, 0)]::float8[]
    FROM f
    UNION ALL
    SELECT NULL::date, NULL::bigint, NULL::text, NULL::text, NULL::numeric, NULL::int, NULL::float8,
           NULL::int, NULL::int, NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8,
           NULL::int, NULL::float8, NULL::int, NULL::float8, NULL::float8[]
    FROM rep WHERE rep.n < 0 AND rep.r IS NULL
    $q$, events, subscriptions,
    CASE WHEN by_index THEN '' ELSE format($old$, old AS (
        -- the last play before the feature windows of the earliest date
        SELECT e.user_id::bigint AS user_id, max(e.started_at) AS last_ts
        FROM %s e
        WHERE e.event_type = 'play' AND e.started_at < $5 AND isfinite(e.started_at)
        GROUP BY e.user_id
    )$old$, events) END,
    CASE WHEN by_index THEN format($old$LEFT JOIN LATERAL (
            -- the last play before the feature windows of the earliest
            -- date, for a subscriber without a play in [lo, d[1])
            SELECT e.started_at AS last_ts
            FROM %s e
            WHERE (a.first_play_day IS NULL OR a.first_play_day >= $8)
              AND e.user_id = s.user_id AND e.event_type = 'play'
              AND e.started_at < $5 AND isfinite(e.started_at)
            ORDER BY e.started_at DESC LIMIT 1) o ON true$old$, events)
    ELSE 'LEFT JOIN old o ON o.user_id = s.user_id' END)
    USING d, window_days, session_gap, abandon_pct::float8, lo, hi, d[cardinality(d)], d[1], events;
    -- after the events' (reported while the query read them)
    PERFORM nfrec._report_bad_values(subscriptions, ARRAY['signup_date', 'monthly_price'], NULL, NULL, NULL);
END
$fn$;
COMMENT ON FUNCTION churn_features_at(date[], int, interval, real, regclass, regclass) IS
    'churn features of every subscriber active at each of the given dates (one pass over the events); columns as churn_features plus as_of';

CREATE FUNCTION churn_features(
    as_of date,
    window_days int DEFAULT 14,
    session_gap interval DEFAULT '30 minutes',
    abandon_pct real DEFAULT 25,
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS TABLE(user_id bigint, plan text, country text, monthly_price numeric,
              tenure_days int, days_since_last_play float8,
              active_days_recent int, active_days_prior int,
              watch_hours_recent float8, watch_hours_prior float8,
              completion_recent float8, completion_prior float8, completion_trend float8,
              plays int, abandonment_rate float8, sessions int, browse_share float8,
              features float8[])
    LANGUAGE sql STABLE PARALLEL RESTRICTED COST 10000 ROWS 10000
    SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT f.user_id, f.plan, f.country, f.monthly_price, f.tenure_days, f.days_since_last_play,
           f.active_days_recent, f.active_days_prior, f.watch_hours_recent, f.watch_hours_prior,
           f.completion_recent, f.completion_prior, f.completion_trend,
           f.plays, f.abandonment_rate, f.sessions, f.browse_share, f.features
    FROM nfrec.churn_features_at(ARRAY[as_of], window_days, session_gap, abandon_pct,
                                 events, subscriptions) f
    ORDER BY f.user_id
$fn$;
COMMENT ON FUNCTION churn_features(date, int, interval, real, regclass, regclass) IS
    'one row per subscriber active at as_of (signup_date <= as_of, not cancelled by as_of) with engagement features from the events before as_of; see doc/analytics.md';

CREATE FUNCTION _churn_z(x float8[], idx int[], mean float8[], sd float8[]) RETURNS float8[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT array_agg((x[idx[k]] - mean[k]) / sd[k] ORDER BY k)
    FROM generate_subscripts(idx, 1) k
$$;
COMMENT ON FUNCTION _churn_z(float8[], int[], float8[], float8[]) IS
    'internal: the standardized elements idx of a churn feature vector';

-- ---------------------------------------------------------------------
-- Churn model and risk
-- ---------------------------------------------------------------------

CREATE FUNCTION churn_model(
    as_of date,
    horizon_days int DEFAULT 30,
    snapshots int DEFAULT 4,
    snapshot_step_days int DEFAULT 7,
    window_days int DEFAULT 14,
    session_gap interval DEFAULT '30 minutes',
    abandon_pct real DEFAULT 25,
    options jsonb DEFAULT '{}',
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS jsonb
    LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED COST 100000
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    dates date[];
    n_train bigint;
    pos_train bigint;
    n_hold bigint;
    pos_hold bigint;
    idx int[];
    mu float8[];
    sd float8[];
    lr jsonb;
    auc float8;
    dist_rel regclass;
    work_rel text;
    work_name text;
BEGIN
    IF as_of IS NULL OR snapshots IS NULL OR options IS NULL THEN
        RAISE EXCEPTION 'as_of, snapshots and options must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM nfrec._check_days('horizon_days', horizon_days);
    PERFORM nfrec._check_days('snapshot_step_days', snapshot_step_days);
    IF snapshots <= 0 OR snapshots > 1000 THEN
        RAISE EXCEPTION 'snapshots must be between 1 and 1000, not %', snapshots
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF as_of IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION 'as_of must be finite' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a jsonb object'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass logreg_train options such as ''{"l2": 1, "max_iter": 50}''.';
    END IF;
    PERFORM nfrec._check_columns(events,
        ARRAY['user_id', 'started_at', 'event_type', 'watch_seconds', 'watch_pct']);
    PERFORM nfrec._check_columns(subscriptions,
        ARRAY['user_id', 'signup_date', 'cancel_date', 'plan', 'monthly_price', 'country']);
    PERFORM nfrec._check_as_of_in_data(events, as_of::timestamptz);

    -- Snapshot dates d with d + horizon < as_of: every label "cancelled in
    -- (d, d + horizon]" is known before as_of.
    dates := ARRAY(SELECT as_of - horizon_days - 1 - snapshot_step_days * k
                   FROM generate_series(snapshots - 1, 0, -1) k);

    -- Labels come from the subscriptions alone; check them before the
    -- expensive feature pass.  Held out: users with hashint8(user_id) % 5 = 0.
    EXECUTE format($q$
        SELECT count(*) FILTER (WHERE NOT x.h), count(*) FILTER (WHERE NOT x.h AND x.y),
               count(*) FILTER (WHERE x.h), count(*) FILTER (WHERE x.h AND x.y)
        FROM (SELECT hashint8(s.user_id::bigint) %% 5 = 0 AS h,
                     coalesce(s.cancel_date <= d + $2, false) AS y
              FROM %s s JOIN unnest($1::date[]) d
                ON s.signup_date <= d AND (s.cancel_date IS NULL OR s.cancel_date > d)
              WHERE isfinite(s.signup_date) AND (s.cancel_date IS NULL OR s.cancel_date >= s.signup_date)) x
        $q$, subscriptions)
        INTO n_train, pos_train, n_hold, pos_hold
        USING dates, horizon_days;
    IF n_train = 0 THEN
        RAISE EXCEPTION 'no subscriber to learn from before %', to_char(as_of, 'YYYY-MM-DD')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The training snapshots %s to %s have no active subscriber outside the held-out fifth.',
                                  to_char(dates[1], 'YYYY-MM-DD'), to_char(dates[cardinality(dates)], 'YYYY-MM-DD')),
                  HINT = 'Choose a later as_of or a shorter horizon_days.';
    END IF;
    IF pos_train = 0 OR pos_train = n_train THEN
        RAISE EXCEPTION 'cannot learn churn before %: % of % training rows cancelled',
            to_char(as_of, 'YYYY-MM-DD'), pos_train, n_train
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('A label is a cancellation in the %s days after a snapshot (%s to %s); both outcomes must occur.',
                                  horizon_days, to_char(dates[1], 'YYYY-MM-DD'),
                                  to_char(dates[cardinality(dates)], 'YYYY-MM-DD')),
                  HINT = 'Choose a later as_of, more snapshots or a longer horizon_days.';
    END IF;

    -- On Citus, when the subscriptions are hash-distributed, the training
    -- rows go to a work table distributed like them and the model is fitted
    -- by _logreg_fit: each Newton pass is partial sums on the shards and a
    -- combine here, instead of logreg_train pulling every row (doc/scale.md)
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        EXECUTE $q$SELECT p.logicalrelid::pg_catalog.regclass FROM pg_catalog.pg_dist_partition p
                    WHERE p.partmethod = 'h' AND p.logicalrelid = $1$q$
            INTO dist_rel USING subscriptions;
    END IF;

    IF dist_rel IS NULL THEN
        EXECUTE format($q$
        WITH f AS MATERIALIZED (
            SELECT f.features,
                   hashint8(f.user_id) %% 5 = 0 AS holdout,
                   coalesce(s.cancel_date <= f.as_of + $2, false) AS label
            FROM nfrec.churn_features_at($1, $3, $4, $5, $6, $7) f
            JOIN %s s ON s.user_id = f.user_id
        ), st AS (
            -- standardize on the training rows; constant features are dropped
            SELECT array_agg(z.i ORDER BY z.i) AS idx,
                   array_agg(z.m ORDER BY z.i) AS mu,
                   array_agg(z.sd ORDER BY z.i) AS sd
            FROM (SELECT u.i::int AS i, avg(u.x) AS m, stddev_samp(u.x) AS sd
                  FROM f, unnest(f.features) WITH ORDINALITY u(x, i)
                  WHERE NOT f.holdout GROUP BY u.i) z
            WHERE z.sd > 1e-9 * greatest(1, abs(z.m))
        ), m AS (
            SELECT nfrec.logreg_train(f.label, nfrec._churn_z(f.features, st.idx, st.mu, st.sd), $8) AS lr
            FROM f, st WHERE NOT f.holdout AND st.idx IS NOT NULL
        ), a AS (
            SELECT nfrec.auc(nfrec.logreg_predict(m.lr, nfrec._churn_z(f.features, st.idx, st.mu, st.sd)), f.label) AS auc
            FROM f, st, m WHERE f.holdout AND $9
        )
        SELECT st.idx, st.mu, st.sd, m.lr, a.auc FROM st, m, a
        $q$, subscriptions)
            INTO idx, mu, sd, lr, auc
            USING dates, horizon_days, window_days, session_gap, abandon_pct, events, subscriptions,
                  '{"l2": 1}'::jsonb || options, pos_hold > 0 AND pos_hold < n_hold;
    ELSE
        work_name := 'nfrec_churn_' || pg_catalog.pg_backend_pid();
        SELECT pg_catalog.format('%I.%I', n.nspname, work_name
                                 || CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_class c2
                                                       WHERE c2.relnamespace = n.oid AND c2.relname = work_name)
                                         THEN '_' || pg_catalog.md5(pg_catalog.clock_timestamp()::text) ELSE '' END)
          INTO work_rel
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = dist_rel;
        EXECUTE pg_catalog.format('CREATE UNLOGGED TABLE %s (user_id bigint NOT NULL, train boolean NOT NULL, label boolean NOT NULL, raw float8[], features float8[])',
                                  work_rel);
        EXECUTE 'SELECT pg_catalog.create_distributed_table($1, ''user_id'')' USING work_rel;
        -- the rows of f above (the values inlined: Citus cannot plan this
        -- INSERT ... SELECT with parameters when it is explained)
        EXECUTE format($q$
            INSERT INTO %s (user_id, train, label, raw)
            SELECT f.user_id, hashint8(f.user_id) %% 5 <> 0, coalesce(s.cancel_date <= f.as_of + %s, false), f.features
            FROM nfrec.churn_features_at(%L::date[], %s, %L::interval, %L::real, %L::regclass, %L::regclass) f
            JOIN %s s ON s.user_id = f.user_id
            $q$, work_rel, horizon_days, dates, window_days, session_gap, abandon_pct, events, subscriptions,
            subscriptions);
        -- st above, per feature (split: partial sums per shard)
        EXECUTE format($q$
            SELECT array_agg(z.i ORDER BY z.i), array_agg(z.m ORDER BY z.i), array_agg(z.sd ORDER BY z.i)
            FROM (SELECT k.i, a.v[2 * k.i - 1] AS m, a.v[2 * k.i] AS sd
                  FROM (SELECT ARRAY[%s]::float8[] AS v FROM %s f WHERE f.train) a,
                       generate_series(1, cardinality(nfrec.churn_feature_names())) k(i)) z
            WHERE z.sd > 1e-9 * greatest(1, abs(z.m))
            $q$, (SELECT string_agg(format('avg(f.raw[%s]), stddev_samp(f.raw[%s])', i, i), ', ' ORDER BY i)
                  FROM generate_series(1, cardinality(nfrec.churn_feature_names())) i),
            work_rel)
            INTO idx, mu, sd;
        IF idx IS NOT NULL THEN
            EXECUTE format('UPDATE %s SET features = nfrec._churn_z(raw, $1, $2, $3)', work_rel)
                USING idx, mu, sd;
            lr := nfrec._logreg_fit(work_rel::regclass, '{"l2": 1}'::jsonb || options, 'train');
            IF pos_hold > 0 AND pos_hold < n_hold THEN
                EXECUTE format('SELECT nfrec.auc(nfrec.logreg_predict($1, f.features), f.label) FROM %s f WHERE NOT f.train',
                               work_rel)
                    INTO auc USING lr;
            END IF;
        END IF;
        EXECUTE format('DROP TABLE %s', work_rel);
    END IF;
    IF idx IS NULL THEN
        RAISE EXCEPTION 'cannot learn churn before %: every feature is constant in the training rows',
            to_char(as_of, 'YYYY-MM-DD')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    IF auc IS NULL THEN
        RAISE NOTICE 'churn model at %: % training rows (% cancelled within % days) from % snapshots %..%; held-out AUC not available (% held-out rows, % cancelled)',
            to_char(as_of, 'YYYY-MM-DD'), n_train, pos_train, horizon_days, snapshots,
            to_char(dates[1], 'YYYY-MM-DD'), to_char(dates[cardinality(dates)], 'YYYY-MM-DD'), n_hold, pos_hold;
    ELSE
        RAISE NOTICE 'churn model at %: % training rows (% cancelled within % days) from % snapshots %..%; held-out AUC % on % rows (% cancelled)',
            to_char(as_of, 'YYYY-MM-DD'), n_train, pos_train, horizon_days, snapshots,
            to_char(dates[1], 'YYYY-MM-DD'), to_char(dates[cardinality(dates)], 'YYYY-MM-DD'),
            round(auc::numeric, 3), n_hold, pos_hold;
    END IF;

    RETURN jsonb_build_object(
        'as_of', as_of,
        'horizon_days', horizon_days,
        'train_dates', to_jsonb(dates),
        'window_days', window_days,
        'session_gap', session_gap::text,
        'abandon_pct', abandon_pct,
        'features', to_jsonb(ARRAY(SELECT (nfrec.churn_feature_names())[i] FROM unnest(idx) i)),
        'feature_index', to_jsonb(idx),
        'mean', to_jsonb(mu),
        'sd', to_jsonb(sd),
        'options', '{"l2": 1}'::jsonb || options,
        'logreg', lr,
        'raw', (nfrec._churn_model_parts(jsonb_build_object('feature_index', to_jsonb(idx), 'mean', to_jsonb(mu),
                                                           'sd', to_jsonb(sd), 'logreg', lr))).raw,
        'train_rows', n_train,
        'train_cancelled', pos_train,
        'holdout_rows', n_hold,
        'holdout_cancelled', pos_hold,
        'holdout_auc', auc);
END
$fn$;
COMMENT ON FUNCTION churn_model(date, int, int, int, int, interval, real, jsonb, regclass, regclass) IS
    'logistic churn model trained on the history before as_of: standardized churn features at snapshot dates as_of - horizon_days - 1 - snapshot_step_days*k, label = cancelled within horizon_days after the snapshot, logreg_train options (l2 defaults to 1, like scikit-learn''s C = 1); reports the held-out AUC (users with hashint8(user_id) % 5 = 0) as a NOTICE; on Citus, when subscriptions is hash-distributed, the training rows go to a work table distributed by user_id in its schema (dropped at the end) and the model is fitted by nfrec._logreg_fit, each Newton pass split into partial sums on the shards and a combine on the coordinator (the same model to rounding)';

CREATE FUNCTION _churn_model_parts(model jsonb, OUT idx int[], OUT mu float8[], OUT sd float8[],
                                   OUT lr jsonb, OUT raw jsonb)
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    b float8[];
    c float8[];
    k int;
BEGIN
    IF jsonb_typeof(model->'feature_index') IS DISTINCT FROM 'array'
       OR jsonb_typeof(model->'mean') IS DISTINCT FROM 'array'
       OR jsonb_typeof(model->'sd') IS DISTINCT FROM 'array'
       OR jsonb_typeof(model->'logreg'->'coef') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'invalid churn model'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A churn model is a jsonb object with the keys feature_index, mean, sd and logreg (with coef), as made by nfrec.churn_model.';
    END IF;
    idx := ARRAY(SELECT x::int FROM jsonb_array_elements_text(model->'feature_index') x);
    mu := ARRAY(SELECT x::float8 FROM jsonb_array_elements_text(model->'mean') x);
    sd := ARRAY(SELECT x::float8 FROM jsonb_array_elements_text(model->'sd') x);
    b := ARRAY(SELECT x::float8 FROM jsonb_array_elements_text(model->'logreg'->'coef') x);
    lr := model->'logreg';
    IF cardinality(idx) = 0 OR cardinality(mu) <> cardinality(idx) OR cardinality(sd) <> cardinality(idx)
       OR cardinality(b) <> cardinality(idx) + 1
       OR EXISTS (SELECT 1 FROM unnest(idx) i WHERE i IS NULL OR i < 1 OR i > cardinality(nfrec.churn_feature_names()))
       OR (SELECT count(DISTINCT i) FROM unnest(idx) i) <> cardinality(idx)
       OR EXISTS (SELECT 1 FROM unnest(sd) x WHERE x IS NULL OR NOT x > 0 OR x = 'Infinity')
       OR EXISTS (SELECT 1 FROM unnest(mu || b) x WHERE x IS NULL OR x IN ('NaN', 'Infinity', '-Infinity')) THEN
        RAISE EXCEPTION 'invalid churn model'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'feature_index, mean and sd must have the same non-zero length, distinct valid feature positions, finite means and positive standard deviations, and logreg.coef one more element.';
    END IF;
    -- the same model on the raw features: coef / sd, intercept shifted by
    -- the means (intercept first, then one coefficient per feature)
    c := array_fill(0::float8, ARRAY[1 + cardinality(nfrec.churn_feature_names())]);
    c[1] := b[1];
    FOR k IN 1 .. cardinality(idx) LOOP
        c[1 + idx[k]] := b[1 + k] / sd[k];
        c[1] := c[1] - b[1 + k] * mu[k] / sd[k];
    END LOOP;
    raw := jsonb_build_object('coef', to_jsonb(c));
END
$fn$;
COMMENT ON FUNCTION _churn_model_parts(jsonb) IS
    'internal: validate a churn model; its standardization, logistic model, and the equivalent logistic model on the raw features';

CREATE FUNCTION churn_score(model jsonb, features float8[]) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT nfrec.logreg_predict(coalesce(model->'raw', (nfrec._churn_model_parts(model)).raw), features)
$fn$;
COMMENT ON FUNCTION churn_score(jsonb, float8[]) IS
    'probability of cancelling within the model''s horizon for a churn_features features array under a model from churn_model (its "raw" logistic model on the unstandardized features; recomputed from the standardization when absent)';

CREATE FUNCTION churn_risk(
    as_of date,
    horizon_days int DEFAULT 30,
    model jsonb DEFAULT NULL,
    snapshots int DEFAULT 4,
    snapshot_step_days int DEFAULT 7,
    window_days int DEFAULT 14,
    options jsonb DEFAULT '{}',
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS TABLE(user_id bigint, risk float8, risk_decile int, country text, plan text,
              monthly_price numeric, tenure_days int, days_since_last_play float8,
              active_days_recent int, active_days_prior int,
              watch_hours_recent float8, watch_hours_prior float8, browse_share float8)
    LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED COST 100000 ROWS 10000
    SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    m jsonb := model;
    p record;
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF m IS NULL THEN
        m := nfrec.churn_model(as_of, horizon_days, snapshots, snapshot_step_days, window_days,
                               options => options, events => events, subscriptions => subscriptions);
    END IF;
    p := nfrec._churn_model_parts(m);
    RETURN QUERY
    SELECT f.user_id, r.risk,
           (ntile(10) OVER (ORDER BY r.risk, f.user_id))::int,
           f.country, f.plan, f.monthly_price, f.tenure_days, f.days_since_last_play,
           f.active_days_recent, f.active_days_prior, f.watch_hours_recent, f.watch_hours_prior,
           f.browse_share
    FROM nfrec.churn_features_at(ARRAY[as_of],
                                 coalesce((m->>'window_days')::int, 14),
                                 coalesce((m->>'session_gap')::interval, '30 minutes'),
                                 coalesce((m->>'abandon_pct')::real, 25),
                                 events, subscriptions) f
    CROSS JOIN LATERAL (SELECT nfrec.logreg_predict(p.raw, f.features) AS risk) r
    ORDER BY r.risk DESC, f.user_id;
END
$fn$;
COMMENT ON FUNCTION churn_risk(date, int, jsonb, int, int, int, jsonb, regclass, regclass) IS
    'churn risk of every subscriber active at as_of: probability of cancelling within horizon_days from a logistic model trained on the history before as_of (or the given model); risk_decile 10 = the highest-risk tenth';

-- ---------------------------------------------------------------------
-- Content ROI
-- ---------------------------------------------------------------------

CREATE FUNCTION content_roi(
    window_days int DEFAULT 28,
    completion_pct real DEFAULT 70,
    retention_days int DEFAULT 60,
    attribution_days int DEFAULT 7,
    at_risk_deciles int DEFAULT 3,
    as_of date DEFAULT NULL,
    launched_from date DEFAULT NULL,
    launched_until date DEFAULT NULL,
    risk_model jsonb DEFAULT NULL,
    titles regclass DEFAULT 'content_metadata'::text::regclass,
    events regclass DEFAULT 'viewing_events'::text::regclass,
    subscriptions regclass DEFAULT 'subscriptions'::text::regclass)
RETURNS TABLE(title_id bigint, title text, content_type text, launch_date date,
              production_cost numeric,
              starters bigint, watchers bigint, completion_rate float8,
              series_completers bigint, binge_hours float8,
              signups_attributed bigint,
              at_risk_watchers bigint, at_risk_watchers_retained bigint, watcher_retention float8,
              at_risk_nonwatchers bigint, nonwatcher_retention float8, retention_lift float8,
              retention_months float8, acquisition_months float8, incremental_months float8,
              value numeric, roi float8, observed boolean)
    LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED COST 100000 ROWS 100
    SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_as_of date := as_of;
    v_from date := launched_from;
    v_until date := launched_until;
    first_ts timestamptz;
    last_ts timestamptz;
    launches date[];
    m jsonb := risk_model;
    p record;
BEGIN
    IF completion_pct IS NULL OR at_risk_deciles IS NULL THEN
        RAISE EXCEPTION 'completion_pct and at_risk_deciles must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM nfrec._check_days('window_days', window_days);
    PERFORM nfrec._check_days('retention_days', retention_days);
    PERFORM nfrec._check_days('attribution_days', attribution_days);
    IF completion_pct = 'NaN' OR completion_pct < 0 OR completion_pct > 100 THEN
        RAISE EXCEPTION 'completion_pct must be between 0 and 100, not %', completion_pct
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF at_risk_deciles < 1 OR at_risk_deciles > 10 THEN
        RAISE EXCEPTION 'at_risk_deciles must be between 1 and 10, not %', at_risk_deciles
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_as_of IN ('infinity', '-infinity') OR v_from IN ('infinity', '-infinity')
       OR v_until IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION 'as_of, launched_from and launched_until must be finite'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM nfrec._check_columns(titles,
        ARRAY['title_id', 'title', 'content_type', 'episodes', 'launch_date', 'production_cost']);
    PERFORM nfrec._check_columns(events,
        ARRAY['user_id', 'title_id', 'started_at', 'event_type', 'watch_seconds', 'watch_pct']);
    PERFORM nfrec._check_columns(subscriptions,
        ARRAY['user_id', 'signup_date', 'cancel_date', 'plan', 'monthly_price', 'country']);
    IF risk_model IS NOT NULL THEN
        p := nfrec._churn_model_parts(risk_model);
    END IF;

    IF v_as_of IS NOT NULL THEN
        PERFORM nfrec._check_as_of_in_data(events, v_as_of::timestamptz);
    END IF;
    IF v_as_of IS NULL OR v_from IS NULL THEN
        EXECUTE format($q$
            SELECT min(e.started_at), max(e.started_at) FROM %s e
            WHERE e.started_at > '-infinity' AND e.started_at < 'infinity'
            $q$, events)
            INTO first_ts, last_ts;
        IF first_ts IS NULL THEN
            RAISE EXCEPTION 'relation "%" has no events', events::text
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass as_of and launched_from explicitly.';
        END IF;
        v_as_of := coalesce(v_as_of, last_ts::date + 1);
        v_from := coalesce(v_from, first_ts::date);
    END IF;
    v_until := coalesce(v_until, v_as_of - 1);
    PERFORM nfrec._report_bad_values(titles, ARRAY['production_cost'], 'launch_date',
                                     v_from::timestamptz, (v_until + 1)::timestamptz);
    PERFORM nfrec._report_bad_values(events, ARRAY['watch_pct'], 'started_at',
                                     v_from::timestamptz, least(v_until + window_days, v_as_of)::timestamptz);

    -- Launches whose window and follow-up are complete before as_of get
    -- the retention analysis; the churn model is trained only if needed.
    EXECUTE format($q$
        SELECT array_agg(DISTINCT t.launch_date ORDER BY t.launch_date)
        FROM %s t
        WHERE t.launch_date BETWEEN $1 AND $2 AND t.launch_date + $3 + $4 <= $5
        $q$, titles)
        INTO launches USING v_from, v_until, window_days, retention_days, v_as_of;
    IF launches IS NOT NULL AND m IS NULL THEN
        m := nfrec.churn_model(v_as_of, retention_days, events => events, subscriptions => subscriptions);
    END IF;
    IF launches IS NULL THEN
        -- (otherwise churn_features_at reports them)
        PERFORM nfrec._report_bad_values(subscriptions, ARRAY['signup_date', 'monthly_price'], NULL, NULL, NULL);
    END IF;
    IF m IS NOT NULL THEN
        p := nfrec._churn_model_parts(m);
    ELSE
        p := nfrec._churn_model_parts('{"feature_index": [1], "mean": [0], "sd": [1], "logreg": {"coef": [0, 0]}}');
    END IF;

    RETURN QUERY EXECUTE format($q$
    WITH t AS (
        SELECT t.title_id::bigint AS title_id, t.title::text AS title,
               t.content_type::text AS content_type, t.episodes::int AS episodes,
               t.launch_date::date AS launch_date,
               CASE WHEN abs(t.production_cost::numeric) < 'Infinity'::numeric
                    THEN t.production_cost::numeric END AS production_cost,
               t.launch_date + $2 + $5 <= $1 AS observed
        FROM %1$s t
        WHERE t.launch_date BETWEEN $9 AND $10
    ), subs AS (
        SELECT s.user_id::bigint AS user_id, s.signup_date, s.cancel_date,
               CASE WHEN abs(s.monthly_price::numeric) < 'Infinity'::numeric
                    THEN s.monthly_price::float8 END AS price
        FROM %3$s s
        WHERE isfinite(s.signup_date) AND (s.cancel_date IS NULL OR s.cancel_date >= s.signup_date)
    ), ew AS (
        -- events of each title in its window [launch_date, launch_date + window_days)
        SELECT t.title_id, e.user_id::bigint AS user_id, e.started_at,
               coalesce(e.event_type = 'play' OR e.watch_pct BETWEEN 0 AND 100, false) AS started,
               coalesce(e.watch_pct BETWEEN 0 AND 100 AND e.watch_pct >= $3, false) AS completed
        FROM t JOIN %2$s e ON e.title_id = t.title_id
         AND e.started_at >= t.launch_date::timestamptz
         AND e.started_at < (t.launch_date + $2)::timestamptz
        WHERE e.started_at >= $9::timestamptz AND e.started_at < $11::timestamptz
          AND e.started_at < $1::timestamptz
    ), wa AS (
        SELECT ew.title_id,
               count(DISTINCT ew.user_id) FILTER (WHERE ew.started) AS starters,
               count(DISTINCT ew.user_id) FILTER (WHERE ew.completed) AS watchers
        FROM ew GROUP BY ew.title_id
    ), watcher AS (
        SELECT DISTINCT ew.title_id, ew.user_id FROM ew WHERE ew.completed
    ), comp AS (
        SELECT ew.title_id, ew.user_id, ew.started_at,
               row_number() OVER (PARTITION BY ew.title_id, ew.user_id ORDER BY ew.started_at) AS k
        FROM ew JOIN t USING (title_id)
        WHERE ew.completed AND t.content_type = 'series' AND t.episodes >= 1
    ), firsts AS (
        SELECT ew.title_id, ew.user_id, min(ew.started_at) AS first_at
        FROM ew WHERE ew.started GROUP BY ew.title_id, ew.user_id
    ), binge AS (
        -- series completers: the episodes-th completed play in the window
        SELECT c.title_id, count(*) AS completers,
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM c.started_at - f.first_at)::float8 / 3600) AS hours
        FROM comp c JOIN t USING (title_id) JOIN firsts f USING (title_id, user_id)
        WHERE c.k = t.episodes
        GROUP BY c.title_id
    ), fp AS (
        -- the first play of each new subscriber within attribution_days of signup
        SELECT DISTINCT ON (s.user_id) s.user_id, s.signup_date, s.cancel_date, s.price,
               e.title_id::bigint AS title_id, e.started_at
        FROM subs s JOIN %2$s e ON e.user_id = s.user_id
         AND e.event_type = 'play'
         AND e.started_at >= s.signup_date::timestamptz
         AND e.started_at < (s.signup_date + $4)::timestamptz
        WHERE s.signup_date > $9 - $4 AND s.signup_date < $11
          AND e.started_at >= ($9 - $4)::timestamptz AND e.started_at < ($11 + $4)::timestamptz
          AND e.started_at < $1::timestamptz
        ORDER BY s.user_id, e.started_at, e.title_id
    ), acq AS (
        SELECT t.title_id, count(*) AS signups,
               sum(x.days)::float8 / 30 AS months,
               sum(x.days * x.price) / 30 AS value
        FROM fp JOIN t ON t.title_id = fp.title_id
         AND fp.started_at >= t.launch_date::timestamptz
         AND fp.started_at < (t.launch_date + $2)::timestamptz
        CROSS JOIN LATERAL (SELECT least(coalesce(fp.cancel_date, fp.signup_date + $5),
                                         fp.signup_date + $5) - fp.signup_date AS days,
                                   fp.price) x
        GROUP BY t.title_id
    ), risk AS (
        SELECT f.as_of AS launch_date, f.user_id,
               ntile(10) OVER (PARTITION BY f.as_of
                               ORDER BY nfrec.logreg_predict($8, f.features),
                                        f.user_id) AS decile
        FROM nfrec.churn_features_at($6, $12, $13, $14, $15, $16) f
    ), atrisk AS (
        -- at risk at launch and still subscribed at the landmark
        -- launch_date + window_days; followed for retention_days from there
        SELECT r.launch_date, r.user_id, r.decile, s.price,
               (s.cancel_date IS NULL OR s.cancel_date > r.launch_date + $2 + $5) AS retained,
               least(coalesce(s.cancel_date, r.launch_date + $2 + $5), r.launch_date + $2 + $5)
                 - (r.launch_date + $2) AS days
        FROM risk r JOIN subs s ON s.user_id = r.user_id
        WHERE r.decile > 10 - $7
          AND (s.cancel_date IS NULL OR s.cancel_date > r.launch_date + $2)
    ), cell AS (
        SELECT a.launch_date, a.decile, count(*) AS n, count(*) FILTER (WHERE a.retained) AS r,
               sum(a.days)::float8 AS d
        FROM atrisk a GROUP BY a.launch_date, a.decile
    ), tot AS (
        SELECT c.launch_date, sum(c.n)::bigint AS n, sum(c.r)::bigint AS r, sum(c.d) AS d
        FROM cell c GROUP BY c.launch_date
    ), wcell AS (
        SELECT t.title_id, a.decile, count(*) AS n, count(*) FILTER (WHERE a.retained) AS r,
               sum(a.days)::float8 AS d, sum(a.price) AS p, sum(a.price * a.days) AS pd
        FROM t JOIN watcher w ON w.title_id = t.title_id
        JOIN atrisk a ON a.launch_date = t.launch_date AND a.user_id = w.user_id
        WHERE t.observed
        GROUP BY t.title_id, a.decile
    ), wtot AS (
        SELECT w.title_id, sum(w.n)::bigint AS n, sum(w.r)::bigint AS r, sum(w.d) AS d
        FROM wcell w GROUP BY w.title_id
    ), strat AS (
        -- non-watchers of the same risk decile (pooled over the at-risk
        -- deciles where a decile has no non-watcher)
        SELECT w.title_id,
               sum(w.n * x.rate) / sum(w.n) AS nonwatcher_retention,
               sum(w.d - w.n * x.days) / 30 AS months,
               sum(w.pd - w.p * x.days) / 30 AS value
        FROM wcell w JOIN t USING (title_id)
        JOIN cell c ON c.launch_date = t.launch_date AND c.decile = w.decile
        JOIN tot ON tot.launch_date = t.launch_date
        JOIN wtot wt ON wt.title_id = w.title_id
        CROSS JOIN LATERAL (SELECT
            coalesce((c.r - w.r)::float8 / nullif(c.n - w.n, 0),
                     (tot.r - wt.r)::float8 / nullif(tot.n - wt.n, 0)) AS rate,
            coalesce((c.d - w.d) / nullif(c.n - w.n, 0),
                     (tot.d - wt.d) / nullif(tot.n - wt.n, 0)) AS days) x
        GROUP BY w.title_id
    ), res AS (
        SELECT t.*, coalesce(wa.starters, 0) AS starters, coalesce(wa.watchers, 0) AS watchers,
               b.completers, b.hours,
               coalesce(acq.signups, 0) AS signups,
               CASE WHEN t.observed THEN coalesce(wt.n, 0) END AS arw,
               CASE WHEN t.observed THEN coalesce(wt.r, 0) END AS arw_ret,
               CASE WHEN t.observed THEN coalesce(tot.n, 0) - coalesce(wt.n, 0) END AS arn,
               wt.r::float8 / nullif(wt.n, 0) AS wret,
               st.nonwatcher_retention AS nret,
               CASE WHEN NOT t.observed THEN NULL
                    WHEN coalesce(wt.n, 0) = 0 THEN 0 ELSE st.months END AS rmonths,
               CASE WHEN NOT t.observed THEN NULL
                    WHEN coalesce(wt.n, 0) = 0 THEN 0 ELSE st.value END AS rvalue,
               CASE WHEN t.observed THEN coalesce(acq.months, 0) END AS amonths,
               CASE WHEN t.observed THEN coalesce(acq.value, 0) END AS avalue
        FROM t
        LEFT JOIN wa ON wa.title_id = t.title_id
        LEFT JOIN binge b ON b.title_id = t.title_id
        LEFT JOIN acq ON acq.title_id = t.title_id
        LEFT JOIN wtot wt ON wt.title_id = t.title_id
        LEFT JOIN tot ON tot.launch_date = t.launch_date AND t.observed
        LEFT JOIN strat st ON st.title_id = t.title_id
    )
    SELECT r.title_id, r.title, r.content_type, r.launch_date, r.production_cost,
           r.starters, r.watchers, r.watchers::float8 / nullif(r.starters, 0),
           r.completers, r.hours, r.signups,
           r.arw, r.arw_ret, r.wret, r.arn, r.nret, r.wret - r.nret,
           r.rmonths, r.amonths, r.rmonths + r.amonths,
           round((r.rvalue + r.avalue)::numeric, 2),
           round((r.rvalue + r.avalue)::numeric, 2)::float8 / nullif(greatest(r.production_cost, 0), 0)::float8,
           r.observed
    FROM res r
    ORDER BY r.launch_date, r.title_id
    $q$, titles, events, subscriptions)
    USING v_as_of, window_days, completion_pct::float8, attribution_days, retention_days,
          coalesce(launches, '{}'::date[]), at_risk_deciles,
          p.raw, v_from, v_until, v_until + window_days,
          coalesce((m->>'window_days')::int, 14),
          coalesce((m->>'session_gap')::interval, '30 minutes'),
          coalesce((m->>'abandon_pct')::real, 25),
          events, subscriptions;
END
$fn$;
COMMENT ON FUNCTION content_roi(int, real, int, int, int, date, date, date, jsonb, regclass, regclass, regclass) IS
    'per launched title: watchers (distinct users with watch_pct >= completion_pct in [launch_date, launch_date + window_days)), completion rate, binge velocity, attributed signups, retention of at-risk watchers (top risk deciles at launch, subscribed at launch_date + window_days) over retention_days from there versus at-risk non-watchers of the same risk decile, incremental subscriber-months, value and roi; see doc/analytics.md';

-- ---------------------------------------------------------------------
-- Homepage metrics
-- ---------------------------------------------------------------------

CREATE FUNCTION watched_catalog_size(
    period_start timestamptz,
    period_end timestamptz,
    weight text DEFAULT 'plays',
    events regclass DEFAULT 'viewing_events'::text::regclass)
RETURNS float8
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED COST 10000
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ecs float8;
    bad bigint;
BEGIN
    IF period_start IS NULL OR period_end IS NULL OR weight IS NULL THEN
        RAISE EXCEPTION 'period_start, period_end and weight must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF period_end <= period_start THEN
        RAISE EXCEPTION 'period_end must be later than period_start'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period [%s, %s) is empty.', period_start, period_end);
    END IF;
    IF weight NOT IN ('plays', 'hours') THEN
        RAISE EXCEPTION 'unknown weight "%"', weight
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use ''plays'' (count of play events) or ''hours'' (sum of watch_seconds).';
    END IF;
    PERFORM nfrec._check_columns(events, ARRAY['title_id', 'started_at', 'event_type', 'watch_seconds']);
    -- ECS = 2 * sum_i p_i * i - 1 with titles ranked by their share p_i,
    -- most watched first (Gomez-Uribe & Hunt 2015): the aggregate
    -- nfrec.effective_catalog_size over the plays of the period.
    -- By hours, a watch_seconds out of range counts as unknown (the play
    -- has no weight); the count of such plays goes into a NOTICE.
    EXECUTE format($q$
        SELECT %s
        FROM %s e
        WHERE e.event_type = 'play' AND e.started_at >= $1 AND e.started_at < $2
        $q$, CASE weight WHEN 'plays' THEN 'nfrec.effective_catalog_size(e.title_id::bigint), 0'
                         ELSE 'nfrec.effective_catalog_size(e.title_id::bigint,
                                   CASE WHEN e.watch_seconds BETWEEN 0 AND 2147483647
                                        THEN e.watch_seconds::float8 / 3600 END),
                               count(*) FILTER (WHERE e.watch_seconds IS NOT NULL
                                                  AND NOT e.watch_seconds BETWEEN 0 AND 2147483647)' END,
             events)
        INTO ecs, bad USING period_start, period_end;
    PERFORM nfrec._report_bad_values(events, ARRAY['watch_seconds'], 'started_at',
                                     period_start, period_end, ARRAY[bad]);
    RETURN ecs;
END
$fn$;
COMMENT ON FUNCTION watched_catalog_size(timestamptz, timestamptz, text, regclass) IS
    'effective catalog size (nfrec.effective_catalog_size) of what was watched in [period_start, period_end): 2 * sum(p_i * i) - 1 over titles ranked by share p_i of plays (or of watch hours); 1 = one title, N = N titles equally; NULL if nothing was played';

CREATE FUNCTION trending(
    as_of timestamptz DEFAULT NULL,
    half_life interval DEFAULT '7 days',
    n int DEFAULT 20,
    lookback interval DEFAULT NULL,
    events regclass DEFAULT 'viewing_events'::text::regclass,
    titles regclass DEFAULT 'content_metadata'::text::regclass)
RETURNS TABLE(rank int, title_id bigint, title text, score float8, plays bigint,
              last_played timestamptz)
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED COST 10000 ROWS 20
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    hl float8;
    lo timestamptz;
BEGIN
    IF half_life IS NULL OR n IS NULL THEN
        RAISE EXCEPTION 'half_life and n must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF as_of IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION 'as_of must be finite' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    hl := extract(epoch FROM half_life);
    IF NOT hl > 0 THEN
        RAISE EXCEPTION 'half_life must be positive, not %', half_life
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF hl = 'Infinity' THEN
        RAISE EXCEPTION 'half_life must be finite' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF n <= 0 THEN
        RAISE EXCEPTION 'n must be positive, not %', n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT extract(epoch FROM lookback) > 0 THEN
        RAISE EXCEPTION 'lookback must be positive, not %', lookback
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM nfrec._check_columns(events, ARRAY['title_id', 'started_at', 'event_type']);
    PERFORM nfrec._check_columns(titles, ARRAY['title_id', 'title']);
    -- as_of defaults to the end of the data: midnight after the day of the
    -- last event (as content_roi's); a later one is an error
    IF as_of IS NULL THEN
        EXECUTE format($q$
            SELECT max(e.started_at) FROM %s e
            WHERE e.started_at > '-infinity' AND e.started_at < 'infinity'
            $q$, events)
            INTO lo;
        IF lo IS NULL THEN
            RETURN;             -- no events, nothing trends
        END IF;
        as_of := (lo::date + 1)::timestamptz;
    ELSE
        PERFORM nfrec._check_as_of_in_data(events, as_of);
    END IF;
    -- The plays counted start at as_of - lookback (10 half-lives by
    -- default); a start before the earliest timestamp means all of history.
    BEGIN
        lo := as_of - coalesce(lookback, half_life * 10);
    EXCEPTION WHEN datetime_field_overflow THEN
        lo := '-infinity';
    END;
    -- score = sum over plays in [lo, as_of) of 2^-a, a = (as_of - started_at)
    -- / half_life: the weight relative to a play at as_of.  A play more
    -- than 1074 half-lives old weighs less than the smallest float8 and
    -- counts 0 (power() would raise an underflow).  Equal scores (so
    -- also titles whose every play is that old) go to the title played
    -- last, then to the lower title_id.
    RETURN QUERY EXECUTE format($q$
        SELECT (row_number() OVER (ORDER BY x.score DESC, x.last_played DESC, x.title_id))::int,
               x.title_id, c.title::text, x.score, x.plays, x.last_played
        FROM (SELECT y.title_id,
                     sum(CASE WHEN y.a < 1074 THEN power(2::float8, -y.a) ELSE 0 END) AS score,
                     count(*) AS plays, max(y.started_at) AS last_played
              FROM (SELECT e.title_id::bigint AS title_id, e.started_at,
                           extract(epoch FROM $1 - e.started_at)::float8 / $2 AS a
                    FROM %1$s e
                    WHERE e.event_type = 'play' AND e.started_at >= $3 AND e.started_at < $1
                      AND e.started_at > '-infinity') y
              GROUP BY y.title_id) x
        LEFT JOIN %2$s c ON c.title_id = x.title_id
        ORDER BY x.score DESC, x.last_played DESC, x.title_id
        LIMIT $4
        $q$, events, titles)
        USING as_of, hl, lo, n;
END
$fn$;
COMMENT ON FUNCTION trending(timestamptz, interval, int, interval, regclass, regclass) IS
    'the n titles with the most time-decayed plays before as_of: each play in [as_of - lookback, as_of) counts 2^(-age/half_life); as_of defaults to the end of the data (midnight after the last event''s day; a later as_of is an error); lookback defaults to 10 half-lives (all of history where that reaches before the earliest timestamp)';
