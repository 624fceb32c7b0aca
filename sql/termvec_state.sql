-- nfrec.termvec_state: the state of nfrec.sum/avg(termvec), a real type
-- with a lossless text form so that Citus ships partial states from the
-- workers to the coordinator (doc/scale.md).

-- text form: vectors;length:term=sum;... terms in byte order on output
SELECT '2;5:heist=0.5;6:action=1.25'::nfrec.termvec_state AS sorted;
SELECT '0'::nfrec.termvec_state AS empty;
-- terms may hold the separators; lengths are in bytes; sums are exact
SELECT x::nfrec.termvec_state::text AS text_form,
       x::nfrec.termvec_state::text::nfrec.termvec_state::text = x::nfrec.termvec_state::text AS round_trip
  FROM (VALUES ('3;3:a;b=0.30000000000000004;4:x=:y=1e-300'),
               ('1;5:café=2;2:zz=-1.5'),
               ('9223372036854775807;1:q=1.7976931348623157e+308')) v(x);
SELECT nfrec.termvec_state_send('1;1:b=2;1:a=0.5') AS send;

CREATE TEMP TABLE tvs AS
SELECT i, format('{"a%s":%s,"b%s":%s,"common":0.1}', i % 7, i * 0.25, i % 3, 1.0 / i)::nfrec.termvec AS v
  FROM generate_series(1, 50) i;
INSERT INTO tvs VALUES (51, NULL);
-- by hand: {"a2":0.5,"b2":0.5,"common":0.1} and {"a4":1,"b1":0.25,"common":0.1}
-- average {"a2":0.25,"a4":0.5,"b1":0.125,"b2":0.25,"common":0.1}
SELECT nfrec.avg(v), nfrec.sum(v) FROM tvs WHERE i IN (2, 4);
SELECT nfrec.sum(v) IS NULL AS no_rows, nfrec.avg(v) IS NULL AS no_rows_avg FROM tvs WHERE i < 0;
SELECT nfrec.avg(v) IS NULL AS all_null FROM tvs WHERE i = 51;
-- what Citus does: a partial state per shard, sent as text, combined
CREATE AGGREGATE tvs_partial(nfrec.termvec) (
    SFUNC = nfrec._termvec_state_accum, STYPE = nfrec.termvec_state);
CREATE AGGREGATE tvs_combine_avg(nfrec.termvec_state) (
    SFUNC = nfrec._termvec_state_combine, STYPE = nfrec.termvec_state,
    FINALFUNC = nfrec._termvec_state_avg_final);
WITH parts AS (SELECT i % 3 AS shard, tvs_partial(v)::text AS s FROM tvs GROUP BY 1)
SELECT (SELECT tvs_combine_avg(s::nfrec.termvec_state) FROM parts)::text
       = (SELECT nfrec.avg(v) FROM tvs)::text AS split_equals_local,
       (SELECT count(*) FROM parts) AS partials;
SELECT nfrec._termvec_state_combine('1;1:a=1', '2;1:a=2;1:b=1') AS combined,
       nfrec._termvec_state_combine(NULL, NULL) IS NULL AS both_null;
-- parallel aggregation gives the serial answer
CREATE TABLE tvs_big AS
SELECT i, format('{"t%s":%s,"u%s":1}', i % 1000, 1 + i % 5, i % 13)::nfrec.termvec AS v
  FROM generate_series(1, 100000) i;
ANALYZE tvs_big;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE tvs_serial AS SELECT nfrec.avg(v) AS a FROM tvs_big;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT nfrec.avg(v) FROM tvs_big;
SELECT (SELECT nfrec.avg(v) FROM tvs_big)::text = (SELECT a FROM tvs_serial)::text AS parallel_same;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE tvs_big;

-- bad input: SQLSTATE 22P02
\set VERBOSITY sqlstate
SELECT ''::nfrec.termvec_state;
SELECT '-1'::nfrec.termvec_state;
SELECT '1;'::nfrec.termvec_state;
SELECT '1;1:a'::nfrec.termvec_state;
SELECT '1;5:a=1'::nfrec.termvec_state;
SELECT '1;0:=1'::nfrec.termvec_state;
SELECT '1;1:a=NaN'::nfrec.termvec_state;
SELECT '1;1:a=x'::nfrec.termvec_state;
SELECT '1;1:a=1;1:a=2'::nfrec.termvec_state;
SELECT '1;1:é=1'::nfrec.termvec_state;
SELECT '1;1:a=1 '::nfrec.termvec_state;
SELECT '99999999999999999999'::nfrec.termvec_state;
\set VERBOSITY default
SELECT '1;1:a'::nfrec.termvec_state;
