-- nfrec.tally_state: the state of catalog_coverage / effective_catalog_size,
-- a real type with a lossless text form so that Citus can ship partial
-- states from workers to the coordinator (doc/scale.md).

-- text form: catalog_size;title_id=weight;... ids ascending on output
SELECT '10;3=2;1=1.5;-4=1'::nfrec.tally_state AS sorted;
SELECT '0'::nfrec.tally_state AS empty;
-- lossless: shortest exact decimals survive text round trips
SELECT x::nfrec.tally_state::text AS text_form,
       x::nfrec.tally_state::text::nfrec.tally_state::text = x::nfrec.tally_state::text AS round_trip
  FROM (VALUES ('7;1=0.30000000000000004;2=1e-300;3=12345678901234567890'),
               ('9223372036854775807;-9223372036854775808=4.9e-324;9223372036854775807=1.7976931348623157e+308'),
               ('1;5=Infinity;6=0')) v(x);
SELECT (0.1::float8 + 0.2) = split_part(split_part(('1;5=' || (0.1::float8 + 0.2)::text)::nfrec.tally_state::text, '=', 2), ';', 1)::float8 AS exact;
-- binary form
SELECT nfrec.tally_state_send('5;2=1;1=0.5') AS send;

-- the state functions agree with the aggregates: plays {3, 1} of two
-- titles give shares 0.75, 0.25 and 2 * (0.75 + 2 * 0.25) - 1 = 1.5
SELECT nfrec._tally_state_ecs_final('0;1=3;2=1') AS ecs_state,
       (SELECT nfrec.effective_catalog_size(t) FROM unnest('{1,1,1,2}'::bigint[]) t) AS ecs_agg;
SELECT nfrec._tally_state_coverage_final('10;1=1;2=1;3=2') AS coverage;
-- combine: the worker partials of two shards meet on the coordinator
SELECT nfrec._tally_state_combine('5;1=1;2=2', '7;1=2;4=1') AS combined;
SELECT nfrec._tally_state_combine(NULL, '7;1=2') AS left_null,
       nfrec._tally_state_combine('7;1=2', NULL) AS right_null,
       nfrec._tally_state_combine(NULL, NULL) IS NULL AS both_null;
CREATE TEMP TABLE ts_plays AS
SELECT i % 3 AS shard, (1 + (i * 7) % 23)::bigint AS title_id, (i % 4)::float8 AS w
  FROM generate_series(1, 3000) i;
-- what Citus does: a partial state per shard, sent as text, combined
CREATE AGGREGATE ts_partial(bigint, float8) (
    SFUNC = nfrec._tally_state_add_weighted, STYPE = nfrec.tally_state);
CREATE AGGREGATE ts_combine_ecs(nfrec.tally_state) (
    SFUNC = nfrec._tally_state_combine, STYPE = nfrec.tally_state,
    FINALFUNC = nfrec._tally_state_ecs_final);
WITH parts AS (
    SELECT shard, ts_partial(title_id, w)::text AS s FROM ts_plays GROUP BY shard
)
SELECT (SELECT ts_combine_ecs(s::nfrec.tally_state) FROM parts)
       = (SELECT nfrec.effective_catalog_size(title_id, w) FROM ts_plays) AS split_equals_local,
       (SELECT count(*) FROM parts) AS partials;
-- the state of the empty tally
SELECT ts_partial(t, 1) IS NULL AS no_rows FROM unnest('{}'::bigint[]) t;
SELECT ts_partial(t, 1) AS null_titles FROM unnest('{NULL}'::bigint[]) t;

-- bad input: SQLSTATE 22P02
\set VERBOSITY sqlstate
SELECT ''::nfrec.tally_state;
SELECT 'abc'::nfrec.tally_state;
SELECT '-1'::nfrec.tally_state;
SELECT ' 5'::nfrec.tally_state;
SELECT '5;1'::nfrec.tally_state;
SELECT '5;1='::nfrec.tally_state;
SELECT '5;1=-2'::nfrec.tally_state;
SELECT '5;1=NaN'::nfrec.tally_state;
SELECT '5;1=1;1=2'::nfrec.tally_state;
SELECT '5;1=1;'::nfrec.tally_state;
SELECT '5;1=1x'::nfrec.tally_state;
SELECT '5; 1=1'::nfrec.tally_state;
SELECT '99999999999999999999'::nfrec.tally_state;
SELECT '5;99999999999999999999=1'::nfrec.tally_state;
\set VERBOSITY default
SELECT ''::nfrec.tally_state;
