-- test/upgrade/catalog.sql -- every object of extension nfrec, normalized.
--
-- One line per property, "object | property | value", for every member of
-- the extension (pg_depend deptype 'e') and for what hangs off a member
-- (columns, constraints, indexes, triggers, policies, comments, initial
-- privileges), plus the extension row itself and its schema.  Nothing
-- prints an OID: references print as names (regprocedure, regtype, ...),
-- and with search_path = pg_catalog every name outside pg_catalog prints
-- schema-qualified, so the listing of two databases can be diffed.
-- test/t/upgrade.sh runs it in a database that went through ALTER
-- EXTENSION nfrec UPDATE and in one with a fresh CREATE EXTENSION nfrec;
-- any difference means the upgrade script does not do what src/sql does.
-- Multi-line texts (function bodies, view definitions) print one line per
-- source line, so a diff shows only the lines that differ.

\set QUIET on
SET search_path = pg_catalog;
SET client_min_messages = warning;

WITH ext AS (
    SELECT e.* FROM pg_extension e WHERE e.extname = 'nfrec'
), mem AS (
    SELECT d.classid, d.objid
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), named AS (
    -- every member with a printable name (the prefix of its lines)
    SELECT m.classid, m.objid,
           CASE m.classid
             WHEN 'pg_proc'::regclass THEN
                 CASE WHEN p.prokind = 'a' THEN 'aggregate ' ELSE 'function ' END || p.oid::regprocedure::text
             WHEN 'pg_type'::regclass THEN 'type ' || m.objid::regtype::text
             WHEN 'pg_class'::regclass THEN
                 CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'table ' WHEN 'v' THEN 'view '
                                WHEN 'm' THEN 'materialized view ' WHEN 'S' THEN 'sequence '
                                WHEN 'f' THEN 'foreign table ' ELSE 'relation ' END || m.objid::regclass::text
             WHEN 'pg_operator'::regclass THEN 'operator ' || m.objid::regoperator::text
             ELSE pg_describe_object(m.classid, m.objid, 0)
           END AS obj
      FROM mem m
      LEFT JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
      LEFT JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
), props(obj, key, n, val) AS (
    -- the extension itself
    SELECT 'extension nfrec', k, 0::bigint, v
      FROM ext, LATERAL (VALUES
        ('version', ext.extversion),
        ('schema', ext.extnamespace::regnamespace::text),
        ('relocatable', ext.extrelocatable::text),
        ('owner', ext.extowner::regrole::text),
        ('config', coalesce((SELECT string_agg(c::regclass::text || ' WHERE ' || coalesce(w, 'NULL'), ', '
                                               ORDER BY c::regclass::text)
                               FROM unnest(ext.extconfig, ext.extcondition) AS x(c, w)), 'none'))
      ) AS x(k, v)

    -- its schema (created by CREATE EXTENSION, not a member; its ACL and comment matter)
    UNION ALL
    SELECT 'schema ' || n.nspname::text, k, 0, v
      FROM ext JOIN pg_namespace n ON n.oid = ext.extnamespace, LATERAL (VALUES
        ('owner', n.nspowner::regrole::text),
        ('acl', coalesce(n.nspacl::text, 'default')),
        ('comment', coalesce(obj_description(n.oid, 'pg_namespace'), 'none')),
        ('initial privileges', coalesce((SELECT i.privtype::text || ' ' || i.initprivs::text FROM pg_init_privs i
                                          WHERE i.classoid = 'pg_namespace'::regclass AND i.objoid = n.oid), 'none'))
      ) AS x(k, v)

    -- every member: its class (so an unhandled kind of object still shows up)
    UNION ALL
    SELECT obj, 'member of', 0, 'nfrec (' || classid::regclass::text || ')' FROM named

    -- functions and aggregates
    UNION ALL
    SELECT m.obj, k, 0, v
      FROM named m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
      JOIN pg_language l ON l.oid = p.prolang, LATERAL (VALUES
        ('kind', p.prokind::text),
        ('arguments', pg_get_function_arguments(p.oid)),
        ('result', pg_get_function_result(p.oid)),
        ('language', l.lanname::text),
        ('probin', coalesce(p.probin, '-')),
        ('volatility', p.provolatile::text),
        ('strict', p.proisstrict::text),
        ('parallel', p.proparallel::text),
        ('security definer', p.prosecdef::text),
        ('leakproof', p.proleakproof::text),
        ('config', coalesce(p.proconfig::text, 'none')),
        ('cost', p.procost::text),
        ('rows', p.prorows::text),
        ('support', p.prosupport::regprocedure::text),
        ('owner', p.proowner::regrole::text),
        ('acl', coalesce(p.proacl::text, 'default'))
      ) AS x(k, v)
    UNION ALL
    SELECT m.obj, 'source', s.n, s.line
      FROM named m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid,
           regexp_split_to_table(CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid)
                                      ELSE p.prosrc END, E'\n') WITH ORDINALITY AS s(line, n)
    UNION ALL
    SELECT m.obj, k, 0, v
      FROM named m JOIN pg_aggregate a ON m.classid = 'pg_proc'::regclass AND a.aggfnoid = m.objid,
      LATERAL (VALUES
        ('aggkind', a.aggkind::text),
        ('direct args', a.aggnumdirectargs::text),
        ('sfunc', a.aggtransfn::regprocedure::text),
        ('stype', a.aggtranstype::regtype::text),
        ('sspace', a.aggtransspace::text),
        ('finalfunc', a.aggfinalfn::regprocedure::text),
        ('finalfunc extra', a.aggfinalextra::text),
        ('finalfunc modify', a.aggfinalmodify::text),
        ('combinefunc', a.aggcombinefn::regprocedure::text),
        ('serialfunc', a.aggserialfn::regprocedure::text),
        ('deserialfunc', a.aggdeserialfn::regprocedure::text),
        ('initcond', coalesce(a.agginitval, 'NULL')),
        ('msfunc', a.aggmtransfn::regprocedure::text),
        ('minvfunc', a.aggminvtransfn::regprocedure::text),
        ('mfinalfunc', a.aggmfinalfn::regprocedure::text),
        ('mfinalfunc extra', a.aggmfinalextra::text),
        ('mfinalfunc modify', a.aggmfinalmodify::text),
        ('mstype', a.aggmtranstype::regtype::text),
        ('msspace', a.aggmtransspace::text),
        ('minitcond', coalesce(a.aggminitval, 'NULL')),
        ('sortop', a.aggsortop::regoperator::text)
      ) AS x(k, v)

    -- types (base, composite, domain, enum, range)
    UNION ALL
    SELECT m.obj, k, 0, v
      FROM named m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid, LATERAL (VALUES
        ('typtype', t.typtype::text),
        ('length', t.typlen::text),
        ('by value', t.typbyval::text),
        ('category', t.typcategory::text),
        ('preferred', t.typispreferred::text),
        ('delimiter', t.typdelim::text),
        ('input', t.typinput::regprocedure::text),
        ('output', t.typoutput::regprocedure::text),
        ('receive', t.typreceive::regprocedure::text),
        ('send', t.typsend::regprocedure::text),
        ('typmod_in', t.typmodin::regprocedure::text),
        ('typmod_out', t.typmodout::regprocedure::text),
        ('analyze', t.typanalyze::regprocedure::text),
        ('subscript', t.typsubscript::regprocedure::text),
        ('alignment', t.typalign::text),
        ('storage', t.typstorage::text),
        ('element', t.typelem::regtype::text),
        ('array type', t.typarray::regtype::text),
        ('not null', t.typnotnull::text),
        ('base type', t.typbasetype::regtype::text),
        ('typmod', t.typtypmod::text),
        ('collation', coalesce(t.typcollation::regcollation::text, '-')),
        ('default', coalesce(t.typdefault, 'NULL')),
        ('owner', t.typowner::regrole::text),
        ('acl', coalesce(t.typacl::text, 'default'))
      ) AS x(k, v)
    UNION ALL
    SELECT m.obj, 'attribute ' || lpad((row_number() OVER w)::text, 2, '0'), 0,
           a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || coalesce(' COLLATE ' || nullif(a.attcollation, 0)::regcollation::text, '')
      FROM named m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
      JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
    WINDOW w AS (PARTITION BY m.obj ORDER BY a.attnum)
    UNION ALL
    SELECT m.obj, 'constraint ' || c.conname, 0, pg_get_constraintdef(c.oid)
      FROM named m JOIN pg_constraint c ON m.classid = 'pg_type'::regclass AND c.contypid = m.objid
    UNION ALL
    SELECT m.obj, 'label ' || e.enumsortorder, 0, e.enumlabel::text
      FROM named m JOIN pg_enum e ON m.classid = 'pg_type'::regclass AND e.enumtypid = m.objid
    UNION ALL
    SELECT m.obj, 'range', 0, concat_ws(' ', r.rngsubtype::regtype, r.rngcollation, r.rngsubopc::regclass,
                                         r.rngcanonical::regprocedure, r.rngsubdiff::regprocedure)
      FROM named m JOIN pg_range r ON m.classid = 'pg_type'::regclass AND r.rngtypid = m.objid

    -- relations: tables, views, sequences
    UNION ALL
    SELECT m.obj, k, 0, v
      FROM named m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid, LATERAL (VALUES
        ('relkind', c.relkind::text),
        ('persistence', c.relpersistence::text),
        ('options', coalesce(c.reloptions::text, 'none')),
        ('row security', c.relrowsecurity::text || ' force ' || c.relforcerowsecurity::text),
        ('replica identity', c.relreplident::text),
        ('access method', coalesce((SELECT amname::text FROM pg_am WHERE oid = c.relam), '-')),
        ('owner', c.relowner::regrole::text),
        ('acl', coalesce(c.relacl::text, 'default'))
      ) AS x(k, v)
    UNION ALL
    -- columns by position among the live ones (an upgraded table may have dropped columns)
    SELECT m.obj, 'column ' || lpad((row_number() OVER w)::text, 2, '0'), 0,
           concat_ws(' ', quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
                     CASE WHEN a.attnotnull THEN 'NOT NULL' END,
                     'DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid),
                     CASE WHEN a.attidentity <> '' THEN 'IDENTITY ' || a.attidentity::text END,
                     CASE WHEN a.attgenerated <> '' THEN 'GENERATED ' || a.attgenerated::text END,
                     'COLLATE ' || nullif(a.attcollation, 0)::regcollation::text,
                     'STORAGE ' || a.attstorage::text,
                     CASE WHEN a.attcompression <> '' THEN 'COMPRESSION ' || a.attcompression::text END,
                     'STATISTICS ' || nullif(a.attstattarget, -1),
                     -- (some builds keep a per-column pg_attver counter here; it is no definition)
                     'OPTIONS ' || (SELECT array_agg(o ORDER BY o) FROM unnest(a.attoptions) o
                                     WHERE o NOT LIKE 'pg\_attver=%')::text,
                     'ACL ' || a.attacl::text,
                     'COMMENT ' || quote_literal(col_description(a.attrelid, a.attnum)))
      FROM named m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    WINDOW w AS (PARTITION BY m.obj ORDER BY a.attnum)
    UNION ALL
    SELECT m.obj, 'constraint ' || co.conname, 0, pg_get_constraintdef(co.oid)
      FROM named m JOIN pg_constraint co ON m.classid = 'pg_class'::regclass AND co.conrelid = m.objid
    UNION ALL
    SELECT m.obj, 'index ' || i.indexrelid::regclass::text, 0, pg_get_indexdef(i.indexrelid)
      FROM named m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
    UNION ALL
    SELECT m.obj, 'trigger ' || tg.tgname, 0, pg_get_triggerdef(tg.oid)
                  || CASE tg.tgenabled WHEN 'O' THEN '' ELSE ' (enabled ' || tg.tgenabled::text || ')' END
      FROM named m JOIN pg_trigger tg ON m.classid = 'pg_class'::regclass AND tg.tgrelid = m.objid
     WHERE NOT tg.tgisinternal
    UNION ALL
    SELECT m.obj, 'policy ' || po.polname, 0,
           concat_ws(' ', po.polcmd, CASE WHEN po.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                     'TO ' || (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END, ', '
                                                 ORDER BY 1) FROM unnest(po.polroles) r),
                     'USING (' || pg_get_expr(po.polqual, po.polrelid) || ')',
                     'WITH CHECK (' || pg_get_expr(po.polwithcheck, po.polrelid) || ')')
      FROM named m JOIN pg_policy po ON m.classid = 'pg_class'::regclass AND po.polrelid = m.objid
    UNION ALL
    SELECT m.obj, 'rule ' || ru.rulename, 0, pg_get_ruledef(ru.oid)
      FROM named m JOIN pg_rewrite ru ON m.classid = 'pg_class'::regclass AND ru.ev_class = m.objid
     WHERE ru.rulename <> '_RETURN'
    UNION ALL
    SELECT m.obj, 'definition', s.n, s.line
      FROM named m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
                                   AND c.relkind IN ('v', 'm'),
           regexp_split_to_table(pg_get_viewdef(c.oid), E'\n') WITH ORDINALITY AS s(line, n)
    UNION ALL
    SELECT m.obj, k, 0, v
      FROM named m JOIN pg_sequence s ON m.classid = 'pg_class'::regclass AND s.seqrelid = m.objid,
      LATERAL (VALUES
        ('sequence', concat_ws(' ', 'AS', s.seqtypid::regtype, 'START', s.seqstart, 'INCREMENT', s.seqincrement,
                               'MINVALUE', s.seqmin, 'MAXVALUE', s.seqmax, 'CACHE', s.seqcache,
                               CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END)),
        ('owned by', coalesce((SELECT d.refobjid::regclass::text || '.' || quote_ident(a.attname)
                                 FROM pg_depend d
                                 JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                                  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), 'none'))
      ) AS x(k, v)

    -- casts and operators
    UNION ALL
    SELECT m.obj, k, 0, v
      FROM named m JOIN pg_cast ca ON m.classid = 'pg_cast'::regclass AND ca.oid = m.objid, LATERAL (VALUES
        ('function', ca.castfunc::regprocedure::text),
        ('context', ca.castcontext::text),
        ('method', ca.castmethod::text)
      ) AS x(k, v)
    UNION ALL
    SELECT m.obj, k, 0, v
      FROM named m JOIN pg_operator o ON m.classid = 'pg_operator'::regclass AND o.oid = m.objid, LATERAL (VALUES
        ('kind', o.oprkind::text),
        ('result', o.oprresult::regtype::text),
        ('function', o.oprcode::regprocedure::text),
        ('commutator', o.oprcom::regoperator::text),
        ('negator', o.oprnegate::regoperator::text),
        ('restrict', o.oprrest::regprocedure::text),
        ('join', o.oprjoin::regprocedure::text),
        ('merges', o.oprcanmerge::text),
        ('hashes', o.oprcanhash::text),
        ('owner', o.oprowner::regrole::text)
      ) AS x(k, v)

    -- operator classes and families (with their operators and support functions)
    UNION ALL
    SELECT m.obj, k, 0, v
      FROM named m JOIN pg_opclass oc ON m.classid = 'pg_opclass'::regclass AND oc.oid = m.objid, LATERAL (VALUES
        ('input type', oc.opcintype::regtype::text),
        ('default', oc.opcdefault::text),
        ('storage', oc.opckeytype::regtype::text),
        ('family', pg_describe_object('pg_opfamily'::regclass, oc.opcfamily, 0))
      ) AS x(k, v)
    UNION ALL
    SELECT m.obj, pg_describe_object('pg_amop'::regclass, ao.oid, 0), 0,
           ao.amoppurpose::text || coalesce(' ' || pg_describe_object('pg_opfamily'::regclass, nullif(ao.amopsortfamily, 0), 0), '')
      FROM named m JOIN pg_amop ao ON m.classid = 'pg_opfamily'::regclass AND ao.amopfamily = m.objid
    UNION ALL
    SELECT m.obj, pg_describe_object('pg_amproc'::regclass, ap.oid, 0), 0, ''
      FROM named m JOIN pg_amproc ap ON m.classid = 'pg_opfamily'::regclass AND ap.amprocfamily = m.objid

    -- comments (of columns: with the column above) and initial privileges (what pg_dump diffs ACLs against)
    UNION ALL
    SELECT m.obj, 'comment', 0, d.description
      FROM named m JOIN pg_description d ON d.classoid = m.classid AND d.objoid = m.objid AND d.objsubid = 0
    UNION ALL
    SELECT m.obj, 'initial privileges' || CASE WHEN i.objsubid = 0 THEN '' ELSE ' on column ' || i.objsubid END,
           0, i.privtype::text || ' ' || i.initprivs::text
      FROM named m JOIN pg_init_privs i ON i.classoid = m.classid AND i.objoid = m.objid
)
SELECT obj || ' | ' || key || ' | ' || coalesce(val, 'NULL')
  FROM props
 ORDER BY obj COLLATE "C", key COLLATE "C", n, val COLLATE "C";
