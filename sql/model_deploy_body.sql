-- nfrec._deploy: the one body of deploy(text, als_model, ...) and
-- deploy(text, ease_model, ...); other types are refused before anything
-- is stored
\set VERBOSITY sqlstate
SELECT nfrec._deploy('md_body', 42, NULL, false, 3);
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT nfrec._deploy('md_body', 'x'::text, NULL, false, 3);
\set SHOW_CONTEXT errors
SELECT count(*) AS stored FROM nfrec.model_store WHERE name = 'md_body';

-- both overloads call it; it is internal, pinned and commented
SELECT p.oid::regprocedure AS routine, p.prosrc LIKE '%nfrec._deploy(%' AS calls_body
  FROM pg_proc p
 WHERE p.pronamespace = 'nfrec'::regnamespace AND p.proname = 'deploy'
 ORDER BY 1::text;
SELECT p.proconfig, obj_description(p.oid, 'pg_proc') LIKE 'internal%' AS internal
  FROM pg_proc p
 WHERE p.oid = 'nfrec._deploy(text, anyelement, regclass, boolean, int)'::regprocedure;
