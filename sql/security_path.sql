-- search_path capture: nothing on the caller's search_path runs inside
-- nfrec.  An attacker owns a schema on the victim's path and plants
-- operators and functions that PostgreSQL would pick over pg_catalog's:
-- exact-type matches where pg_catalog needs a cast (=(oid, regclass),
-- >(float8, integer), cardinality(jsonb[]), ...), and, for a path that
-- names pg_catalog after the trap schema, same-signature copies of common
-- operators.  Every trap logs (and warns) and then behaves like the real
-- thing.  Every SQL/plpgsql entry point, and the C functions that run SPI
-- queries, are called by a superuser and by an unprivileged role; the log
-- stays empty.
SET client_min_messages = warning;
CREATE ROLE regress_sp_attacker;
CREATE ROLE regress_sp_victim;
CREATE TABLE public.sp_log (trap text, fired_as name);
GRANT INSERT, SELECT ON public.sp_log TO PUBLIC;
CREATE SCHEMA sp_trap AUTHORIZATION regress_sp_attacker;
GRANT USAGE ON SCHEMA sp_trap TO PUBLIC;

SET ROLE regress_sp_attacker;
CREATE FUNCTION sp_trap.fired(what text) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
BEGIN
    RAISE WARNING 'trap % fired as %', what, current_user;
    INSERT INTO public.sp_log VALUES (what, current_user);
END $$;
-- better matches than pg_catalog's even when pg_catalog comes first
CREATE FUNCTION sp_trap.f_oid_regclass(oid, regclass) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('=(oid,regclass)'); RETURN $1 = $2::oid; END $$;
CREATE OPERATOR sp_trap.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = sp_trap.f_oid_regclass);
CREATE FUNCTION sp_trap.f_regtype_ne(regtype, regtype) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('<>(regtype,regtype)'); RETURN $1::oid <> $2::oid; END $$;
CREATE OPERATOR sp_trap.<> (LEFTARG = regtype, RIGHTARG = regtype, FUNCTION = sp_trap.f_regtype_ne);
CREATE FUNCTION sp_trap.f_float8_gt_int(float8, integer) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('>(float8,integer)'); RETURN $1 > $2::float8; END $$;
CREATE OPERATOR sp_trap.> (LEFTARG = float8, RIGHTARG = integer, FUNCTION = sp_trap.f_float8_gt_int);
CREATE FUNCTION sp_trap.f_float8arr_cat(float8[], float8) RETURNS float8[] LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('||(float8[],float8)'); RETURN array_append($1, $2); END $$;
CREATE OPERATOR sp_trap.|| (LEFTARG = float8[], RIGHTARG = float8, FUNCTION = sp_trap.f_float8arr_cat);
CREATE FUNCTION sp_trap.f_jsonbarr_cat(jsonb[], jsonb) RETURNS jsonb[] LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('||(jsonb[],jsonb)'); RETURN array_append($1, $2); END $$;
CREATE OPERATOR sp_trap.|| (LEFTARG = jsonb[], RIGHTARG = jsonb, FUNCTION = sp_trap.f_jsonbarr_cat);
CREATE FUNCTION sp_trap.cardinality(jsonb[]) RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('cardinality(jsonb[])'); RETURN pg_catalog.cardinality($1); END $$;
CREATE FUNCTION sp_trap.generate_subscripts(int[], int) RETURNS SETOF int LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('generate_subscripts(int[],int)');
          RETURN QUERY SELECT pg_catalog.generate_subscripts($1, $2); END $$;
CREATE FUNCTION sp_trap.array_position(date[], date) RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('array_position(date[],date)'); RETURN pg_catalog.array_position($1, $2); END $$;
-- same signatures as pg_catalog's: chosen only when pg_catalog is named later
CREATE FUNCTION sp_trap.f_int8eq(bigint, bigint) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('=(bigint,bigint)'); RETURN $1 = $2; END $$;
CREATE OPERATOR sp_trap.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = sp_trap.f_int8eq);
CREATE FUNCTION sp_trap.f_texteq(text, text) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('=(text,text)'); RETURN $1 = $2; END $$;
CREATE OPERATOR sp_trap.= (LEFTARG = text, RIGHTARG = text, FUNCTION = sp_trap.f_texteq);
CREATE FUNCTION sp_trap.f_jsonb_get(jsonb, text) RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('->(jsonb,text)'); RETURN $1 -> $2; END $$;
CREATE OPERATOR sp_trap.-> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = sp_trap.f_jsonb_get);
CREATE FUNCTION sp_trap.f_jsonb_gettext(jsonb, text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('->>(jsonb,text)'); RETURN $1 ->> $2; END $$;
CREATE OPERATOR sp_trap.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = sp_trap.f_jsonb_gettext);
CREATE FUNCTION sp_trap.f_float8mi(float8, float8) RETURNS float8 LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('-(float8,float8)'); RETURN $1 - $2; END $$;
CREATE OPERATOR sp_trap.- (LEFTARG = float8, RIGHTARG = float8, FUNCTION = sp_trap.f_float8mi);
CREATE FUNCTION sp_trap.f_int4lt(int, int) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog
AS $$ BEGIN PERFORM sp_trap.fired('<(int,int)'); RETURN $1 < $2; END $$;
CREATE OPERATOR sp_trap.< (LEFTARG = int, RIGHTARG = int, FUNCTION = sp_trap.f_int4lt);
RESET ROLE;

-- the victim's data: a small demo, and an analyst role that may deploy
CREATE SCHEMA sp_data;
CREATE SCHEMA sp_scratch_su;
CREATE SCHEMA sp_scratch_victim AUTHORIZATION regress_sp_victim;
SELECT users, titles FROM nfrec.generate_demo(users => 300, titles => 80, days => 180, seed => 5,
                                              schema => 'sp_data');
GRANT USAGE ON SCHEMA sp_data TO regress_sp_victim;
GRANT SELECT ON ALL TABLES IN SCHEMA sp_data TO regress_sp_victim;
SELECT nfrec.grant_serving('regress_sp_victim');
GRANT EXECUTE ON FUNCTION nfrec.evaluate(text, regclass, int) TO regress_sp_victim;
GRANT SELECT, INSERT, UPDATE, DELETE ON nfrec.model_store, nfrec.model_users, nfrec.model_default TO regress_sp_victim;
GRANT SELECT ON nfrec.models TO regress_sp_victim;
GRANT USAGE ON SEQUENCE nfrec.model_version_seq TO regress_sp_victim;

-- Every entry point, as a caller would write it.  This function is not
-- pinned: its queries are parsed with the caller's search_path, and they
-- avoid the trapped signatures themselves.
CREATE FUNCTION public.sp_calls(scratch name) RETURNS TABLE(call text, ok boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    m nfrec.als_model;
    cm jsonb;
    t bigint;
BEGIN
    RETURN QUERY SELECT 'generate_demo', true
        FROM nfrec.generate_demo(users => 20, titles => 10, days => 30, activity => 2.5,
                                 replace => true, schema => scratch);
    RETURN QUERY SELECT 'churn_features', count(*) > 0 FROM nfrec.churn_features('2025-12-01');
    cm := nfrec.churn_model('2025-12-01');
    RETURN QUERY SELECT 'churn_model', cm IS NOT NULL;
    RETURN QUERY SELECT 'churn_risk', count(*) > 0 FROM nfrec.churn_risk('2025-12-01', model => cm);
    RETURN QUERY SELECT 'churn_risk (own model)', count(*) > 0 FROM nfrec.churn_risk('2025-12-01');
    RETURN QUERY SELECT 'churn_score', bool_and(nfrec.churn_score(cm, f.features) BETWEEN 0 AND 1)
        FROM nfrec.churn_features('2025-12-01') f;
    RETURN QUERY SELECT 'content_roi', count(*) > 0 FROM nfrec.content_roi();
    RETURN QUERY SELECT 'trending', count(*) > 0 FROM nfrec.trending('2025-12-01');
    RETURN QUERY SELECT 'watched_catalog_size',
        nfrec.watched_catalog_size('2025-11-01', '2025-12-01') IS NOT NULL;
    m := (SELECT nfrec.als_train(user_id, title_id, weight, '{"factors": 4, "iterations": 2}')
          FROM interactions);
    RETURN QUERY SELECT 'evaluate (value)', e.users > 0 FROM nfrec.evaluate(m, 'interactions', 5) e;
    RETURN QUERY SELECT 'als_tune', count(*) > 0
        FROM nfrec.als_tune('interactions', 'interactions', '{"factors": [2, 3]}', 5,
                            '{"iterations": 2}');
    RETURN QUERY SELECT 'deploy', nfrec.deploy('sp_model', m, 'interactions') IS NOT NULL;
    RETURN QUERY SELECT 'models', count(*) > 0 FROM nfrec.models;
    RETURN QUERY SELECT 'model_version', nfrec.model_version('sp_model') IS NOT NULL;
    RETURN QUERY SELECT 'recommend_for', count(*) > 0 FROM nfrec.recommend_for(1, 5, 'sp_model');
    RETURN QUERY SELECT 'recommend_for (candidates, diversity)', count(*) > 0
        FROM nfrec.recommend_for(1, 5, 'sp_model', candidates => '{1,2,3,4,5,6,7,8}', diversity => 0.5);
    RETURN QUERY SELECT 'homepage', count(DISTINCT h.row_kind) > 2
        FROM nfrec.homepage(1, at => '2026-01-01', model => 'sp_model') h;
    RETURN QUERY SELECT 'user_vector', v.factors IS NOT NULL FROM nfrec.user_vector(1, 'sp_model') v;
    t := (SELECT i.title_id FROM nfrec.item_factors('sp_model') i LIMIT 1);
    RETURN QUERY SELECT 'item_factors', t IS NOT NULL;
    RETURN QUERY SELECT 'similar_titles', count(*) > 0 FROM nfrec.similar_titles(t, 5, 'sp_model');
    RETURN QUERY SELECT 'user_factors', count(*) > 0 FROM nfrec.user_factors('sp_model');
    RETURN QUERY SELECT 'evaluate (deployed)', e.users > 0
        FROM nfrec.evaluate('sp_model', 'interactions', 5) e;
    PERFORM nfrec.drop_model('sp_model');
    RETURN QUERY SELECT 'drop_model', true;
END $$;

-- 1. the usual path: the attacker's schema first, pg_catalog implicitly
--    searched before it (only better-matching traps can capture)
SET search_path = sp_trap, sp_data;
SELECT * FROM public.sp_calls('sp_scratch_su');
SET ROLE regress_sp_victim;
SELECT * FROM public.sp_calls('sp_scratch_victim');
RESET ROLE;
-- 2. a path that names pg_catalog after the attacker's schema: now even
--    same-signature copies of pg_catalog's operators would be chosen
SET search_path = sp_trap, pg_catalog, sp_data;
SET nfrec.metadata_cache_seconds = 0;   -- the metadata is read again under this path
SELECT * FROM public.sp_calls('sp_scratch_su');
SET ROLE regress_sp_victim;
SELECT * FROM public.sp_calls('sp_scratch_victim');
RESET ROLE;
SELECT nfrec.grant_serving('regress_sp_attacker');
SELECT nfrec.revoke_serving('regress_sp_attacker');
RESET search_path;

-- no trap fired
SELECT count(*) AS traps_fired FROM public.sp_log;
-- the traps are live: a query parsed with the attacker's path is captured
SET search_path = sp_trap, public;
SELECT cardinality(ARRAY['{}'::jsonb]) AS live_trap;
RESET search_path;
SELECT trap, fired_as FROM public.sp_log;

-- the demo's default schema is the caller's current schema, evaluated
-- before the function's pinned search_path applies
SET search_path = sp_scratch_su;
SELECT schema, users FROM nfrec.generate_demo(users => 5, titles => 3, days => 10, replace => true);
RESET search_path;
\set VERBOSITY sqlstate
SELECT schema FROM nfrec.generate_demo(users => 5, titles => 3, schema => 'sp_no_such_schema');
SELECT schema FROM nfrec.generate_demo(users => 5, titles => 3, schema => NULL);
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT schema FROM nfrec.generate_demo(users => 5, titles => 3, schema => 'sp_no_such_schema');
\set SHOW_CONTEXT errors

-- every SQL and plpgsql function of nfrec has its search_path pinned; a
-- procedure that commits cannot have a SET clause, so it must pin the path
-- itself, per transaction, with set_config(..., true)
SELECT p.oid::regprocedure AS unpinned
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'nfrec'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
  AND NOT (p.prokind = 'p' AND p.proconfig IS NULL
           AND p.prosrc LIKE '%pg_catalog.set_config(''search_path'', ''pg_catalog, pg_temp'', true)%');
-- and every view is security_invoker
SELECT c.oid::regclass AS definer_view
FROM pg_class c
WHERE c.relkind = 'v' AND c.relnamespace IN ('nfrec'::regnamespace, 'sp_data'::regnamespace)
  AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false);

DROP FUNCTION public.sp_calls(name);
DROP SCHEMA sp_data, sp_scratch_su, sp_scratch_victim, sp_trap CASCADE;
DROP TABLE public.sp_log;
SELECT nfrec.revoke_serving('regress_sp_victim');
REVOKE EXECUTE ON FUNCTION nfrec.evaluate(text, regclass, int) FROM regress_sp_victim;
REVOKE ALL ON nfrec.model_store, nfrec.model_users, nfrec.model_default, nfrec.models FROM regress_sp_victim;
REVOKE ALL ON SEQUENCE nfrec.model_version_seq FROM regress_sp_victim;
DROP ROLE regress_sp_victim;
DROP ROLE regress_sp_attacker;
