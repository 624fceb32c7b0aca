-- nfrec.auc_state: the state of auc, a real type with a lossless text form
-- so that Citus can ship partial states from workers to the coordinator
-- (doc/scale.md): positives/negatives per distinct score.

-- text form: npos/nneg;score=pos/neg;... scores ascending on output
SELECT '3/2;0.5=1/1;-1=0/1;2=2/0'::nfrec.auc_state AS sorted;
SELECT '0/0'::nfrec.auc_state AS empty;
-- -0 and 0 are one score
SELECT nfrec._auc_state_accum(nfrec._auc_state_accum(NULL, -0.0, true), 0.0, false) AS zero_folded;
-- lossless: shortest exact decimals survive text round trips
SELECT x::nfrec.auc_state::text AS text_form,
       x::nfrec.auc_state::text::nfrec.auc_state::text = x::nfrec.auc_state::text AS round_trip
  FROM (VALUES ('2/1;0.30000000000000004=1/0;1e-300=1/1'),
               ('1/1;-Infinity=0/1;Infinity=1/0'),
               ('9223372036854775807/1;4.9e-324=9223372036854775807/0;1.7976931348623157e+308=0/1')) v(x);
SELECT (0.1::float8 + 0.2) = split_part(split_part(('1/0;' || (0.1::float8 + 0.2)::text || '=1/0')::nfrec.auc_state::text, ';', 2), '=', 1)::float8 AS exact;
-- a long state (more scores than the first array holds) round trips
SELECT t::nfrec.auc_state::text = t AS long_round_trip
  FROM (SELECT '3000/3000;' || string_agg(i || '=1/1', ';' ORDER BY i) AS t FROM generate_series(1, 3000) i) x;
-- binary form
SELECT nfrec.auc_state_send('1/1;2=1/0;1=0/1') AS send;

-- the final function: scores {1 neg, 2 pos} -> 1; a tie -> 1/2
SELECT nfrec._auc_state_final('1/1;1=0/1;2=1/0') AS separated,
       nfrec._auc_state_final('1/1;1=1/1') AS tied,
       nfrec._auc_state_final('2/0;1=2/0') IS NULL AS one_label,
       nfrec._auc_state_final('0/0') IS NULL AS empty;
-- combine: the worker partials of two shards meet on the coordinator
SELECT nfrec._auc_state_combine('2/1;1=1/1;2=1/0', '1/2;1=0/1;3=1/1') AS combined;
SELECT nfrec._auc_state_combine(NULL, '1/0;1=1/0') AS left_null,
       nfrec._auc_state_combine('1/0;1=1/0', NULL) AS right_null,
       nfrec._auc_state_combine(NULL, NULL) IS NULL AS both_null;

-- the same AUC as the 0.1.0 aggregate (internal state, every score kept,
-- C symbols still in the module) and as brute force over all pairs, with
-- many ties (scores rounded to 1 decimal) and without
CREATE SCHEMA auc_old;
CREATE FUNCTION auc_old.accum(internal, float8, bool) RETURNS internal
    AS '$libdir/nfrec', 'auc_accum' LANGUAGE C;
CREATE FUNCTION auc_old.combine(internal, internal) RETURNS internal
    AS '$libdir/nfrec', 'auc_combine' LANGUAGE C;
CREATE FUNCTION auc_old.serial(internal) RETURNS bytea
    AS '$libdir/nfrec', 'auc_serial' LANGUAGE C STRICT;
CREATE FUNCTION auc_old.deserial(bytea, internal) RETURNS internal
    AS '$libdir/nfrec', 'auc_deserial' LANGUAGE C STRICT;
CREATE FUNCTION auc_old.final(internal) RETURNS float8
    AS '$libdir/nfrec', 'auc_final' LANGUAGE C;
CREATE AGGREGATE auc_old.auc(float8, bool) (
    SFUNC = auc_old.accum, STYPE = internal, COMBINEFUNC = auc_old.combine,
    SERIALFUNC = auc_old.serial, DESERIALFUNC = auc_old.deserial,
    FINALFUNC = auc_old.final, FINALFUNC_MODIFY = READ_ONLY);
CREATE TEMP TABLE as_rows AS
SELECT i % 3 AS shard,
       CASE WHEN i % 97 = 0 THEN NULL ELSE sin(i * 1.7) + (i % 5) * 0.3 END AS s,
       round((sin(i * 1.7) + (i % 5) * 0.3)::numeric, 1)::float8 AS r,
       CASE WHEN i % 89 = 0 THEN NULL ELSE (i * 7919) % 11 < 5 END AS l
  FROM generate_series(1, 3000) i;
SELECT x.col,
       x.new_auc = x.old_auc AS same_as_internal,
       x.new_auc = x.brute AS same_as_brute_force,
       round(x.new_auc::numeric, 12) AS auc
  FROM (SELECT 'continuous' AS col, nfrec.auc(s, l) AS new_auc, auc_old.auc(s, l) AS old_auc,
               (SELECT (sum(CASE WHEN p.s > n.s THEN 2 WHEN p.s = n.s THEN 1 ELSE 0 END)::numeric
                        / (2 * count(*)))::float8
                  FROM as_rows p, as_rows n WHERE p.l AND NOT n.l AND p.s IS NOT NULL AND n.s IS NOT NULL) AS brute
          FROM as_rows
        UNION ALL
        SELECT 'tied', nfrec.auc(r, l), auc_old.auc(r, l),
               (SELECT (sum(CASE WHEN p.r > n.r THEN 2 WHEN p.r = n.r THEN 1 ELSE 0 END)::numeric
                        / (2 * count(*)))::float8
                  FROM as_rows p, as_rows n WHERE p.l AND NOT n.l)
          FROM as_rows) x
 ORDER BY 1;
-- the brute force rounds once (numeric), the aggregates divide two exact
-- integers in float8: compare the state's doubled U with the pair count
SELECT (SELECT nfrec.auc(r, l) FROM as_rows) =
       (SELECT sum(CASE WHEN p.r > n.r THEN 2 WHEN p.r = n.r THEN 1 ELSE 0 END)::float8
               / (2.0 * count(*)) FROM as_rows p, as_rows n WHERE p.l AND NOT n.l) AS same_double;
-- what Citus does: a partial state per shard, sent as text, combined
CREATE AGGREGATE as_partial(float8, bool) (
    SFUNC = nfrec._auc_state_accum, STYPE = nfrec.auc_state);
CREATE AGGREGATE as_combine(nfrec.auc_state) (
    SFUNC = nfrec._auc_state_combine, STYPE = nfrec.auc_state,
    FINALFUNC = nfrec._auc_state_final);
WITH parts AS (
    SELECT shard, as_partial(r, l)::text AS t FROM as_rows GROUP BY shard
)
SELECT (SELECT as_combine(t::nfrec.auc_state) FROM parts)
       = (SELECT auc_old.auc(r, l) FROM as_rows) AS split_equals_internal,
       (SELECT count(*) FROM parts) AS partials;
-- the state counts what the rows say: totals and distinct scores
SELECT split_part(as_partial(r, l)::text, ';', 1) = format('%s/%s', count(*) FILTER (WHERE l AND r IS NOT NULL), count(*) FILTER (WHERE NOT l AND r IS NOT NULL)) AS totals,
       array_length(string_to_array(as_partial(r, l)::text, ';'), 1) - 1 = count(DISTINCT r) FILTER (WHERE l IS NOT NULL) AS distinct_scores
  FROM as_rows;
-- parallel aggregation uses the combine function
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE as_big AS SELECT * FROM as_rows, generate_series(1, 20) g;
ANALYZE as_big;
EXPLAIN (COSTS OFF) SELECT nfrec.auc(r, l) FROM as_big;
SELECT nfrec.auc(r, l) = (SELECT auc_old.auc(r, l) FROM as_rows) AS parallel_same FROM as_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- NULLs and empty input
SELECT nfrec.auc(s, l) IS NULL AS no_rows FROM as_rows WHERE false;
SELECT as_partial(s, l) IS NULL AS null_rows_no_state FROM (VALUES (NULL::float8, true), (1, NULL)) t(s, l);
SELECT nfrec.auc(s, l) FROM (VALUES (1::float8, true), (NULL, false)) t(s, l);
SELECT nfrec.auc(s, l) FROM (VALUES ('NaN'::float8, true)) t(s, l);
DROP TABLE as_big;
DROP SCHEMA auc_old CASCADE;

-- bad input: SQLSTATE 22P02
\set VERBOSITY sqlstate
SELECT ''::nfrec.auc_state;
SELECT 'abc'::nfrec.auc_state;
SELECT '1'::nfrec.auc_state;
SELECT '-1/0'::nfrec.auc_state;
SELECT '1/0;1=1/0;1=0/1'::nfrec.auc_state;
SELECT '1/0;1=0/0'::nfrec.auc_state;
SELECT '2/0;1=1/0'::nfrec.auc_state;
SELECT '1/0;NaN=1/0'::nfrec.auc_state;
SELECT '1/0;1=1/0;'::nfrec.auc_state;
SELECT '1/0;1=1/0x'::nfrec.auc_state;
SELECT '1/0; 1=1/0'::nfrec.auc_state;
SELECT '1/0;1=1/-0'::nfrec.auc_state;
SELECT '99999999999999999999/0'::nfrec.auc_state;
SELECT '9223372036854775807/0;1=9223372036854775807/0;2=1/0'::nfrec.auc_state;
-- a score twice after more entries than the state's first array holds
SELECT ('1101/0;' || string_agg(i || '=1/0', ';') || ';5=1/0')::nfrec.auc_state
  FROM generate_series(1, 1100) i;
\set VERBOSITY default
SELECT '1/0;1=1/0;1=0/1'::nfrec.auc_state;
