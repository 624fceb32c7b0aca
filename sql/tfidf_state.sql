-- nfrec.tfidf_state: the state of tfidf_fit, a real type with a lossless
-- text form so that Citus can ship partial document frequencies from the
-- workers to the coordinator (doc/scale.md).

-- text form: n_docs;config;len:term=df;... terms in byte order, the
-- configuration schema-qualified ("-": token arrays)
SELECT '3;-;1:b=2;1:a=1;3:a;b=1'::nfrec.tfidf_state AS tokens_form;
SELECT '2;7:english;3:cat=2'::nfrec.tfidf_state AS text_form,
       '0;-'::nfrec.tfidf_state AS empty;
SELECT nfrec._tfidf_state_accum(nfrec._tfidf_state_accum(NULL, 'The cats sat', 'english'), 'a cat', 'english') AS accumulated;
-- terms with any character survive the round trip (length in bytes)
SELECT x::nfrec.tfidf_state::text AS text_form,
       x::nfrec.tfidf_state::text::nfrec.tfidf_state::text = x::nfrec.tfidf_state::text AS round_trip
  FROM (VALUES ('2;-;3:a=b=1;1:;=2;2:é=1;5:x y z=2'), ('1;17:pg_catalog.simple')) v(x);
SELECT nfrec.tfidf_state_send('1;-;1:a=1') AS send;

-- the final function and combine
SELECT nfrec._tfidf_state_final('3;-;1:a=1;1:b=3') AS vocabulary,
       nfrec._tfidf_state_final('0;-') IS NULL AS no_documents;
SELECT nfrec._tfidf_state_combine('2;-;1:a=1;1:b=2', '3;-;1:b=1;1:c=3') AS combined;
SELECT nfrec._tfidf_state_combine(NULL, '1;-;1:a=1') AS left_null,
       nfrec._tfidf_state_combine('1;-;1:a=1', NULL) AS right_null,
       nfrec._tfidf_state_combine(NULL, NULL) IS NULL AS both_null;
SELECT nfrec._tfidf_state_combine('1;-;1:a=1', '1;17:pg_catalog.simple;1:a=1');

-- the same vocabulary as the 0.1.0 aggregate (internal state, C symbols
-- still in the module) and as brute force (to_tsvector's lexemes counted
-- once per document), over text and token arrays
CREATE SCHEMA tfidf_old;
CREATE FUNCTION tfidf_old.trans(internal, text, regconfig) RETURNS internal
    AS '$libdir/nfrec', 'tfidf_fit_trans' LANGUAGE C;
CREATE FUNCTION tfidf_old.tokens_trans(internal, text[]) RETURNS internal
    AS '$libdir/nfrec', 'tfidf_fit_tokens_trans' LANGUAGE C;
CREATE FUNCTION tfidf_old.final(internal) RETURNS jsonb
    AS '$libdir/nfrec', 'tfidf_fit_final' LANGUAGE C;
CREATE AGGREGATE tfidf_old.fit(text, regconfig) (
    SFUNC = tfidf_old.trans, STYPE = internal, FINALFUNC = tfidf_old.final);
CREATE AGGREGATE tfidf_old.fit(text[]) (
    SFUNC = tfidf_old.tokens_trans, STYPE = internal, FINALFUNC = tfidf_old.final);
CREATE TEMP TABLE ts_docs AS
SELECT i % 3 AS shard,
       CASE WHEN i % 31 = 0 THEN NULL
            ELSE format('The %s watched %s series about %s and %s, %s times',
                        (ARRAY['cat','dog','viewer','critic','family'])[1 + i % 5],
                        (ARRAY['a long','the best','every','no'])[1 + i % 4],
                        (ARRAY['space','cooking','crime','history','love','war','ocean'])[1 + i % 7],
                        (ARRAY['running','runs','ran','rivers','river'])[1 + i % 5], i % 13) END AS d,
       CASE WHEN i % 37 = 0 THEN NULL
            ELSE ARRAY['t' || (i % 17), 't' || (i % 5), 't' || (i % 17), NULL, ''] END AS tokens
  FROM generate_series(1, 400) i;
SELECT nfrec.tfidf_fit(d, 'english') = tfidf_old.fit(d, 'english') AS text_same_as_internal,
       nfrec.tfidf_fit(tokens) = tfidf_old.fit(tokens) AS tokens_same_as_internal,
       nfrec.tfidf_fit(d) = tfidf_old.fit(d, 'simple') AS simple_same_as_internal
  FROM ts_docs;
WITH bf AS (
    SELECT lexeme, count(*) AS df
      FROM ts_docs, unnest(to_tsvector('english', d)) u
     WHERE d IS NOT NULL GROUP BY lexeme
)
SELECT (SELECT jsonb_object_agg(lexeme, df) FROM bf) = v -> 'doc_freq' AS doc_freq_brute_force,
       (v ->> 'n_docs')::int = (SELECT count(d) FROM ts_docs) AS n_docs_brute_force,
       v ->> 'config' AS config
  FROM (SELECT nfrec.tfidf_fit(d, 'english') AS v FROM ts_docs) x;
-- what Citus does: a partial state per shard, sent as text, combined
CREATE AGGREGATE tf_partial(text, regconfig) (
    SFUNC = nfrec._tfidf_state_accum, STYPE = nfrec.tfidf_state);
CREATE AGGREGATE tf_combine(nfrec.tfidf_state) (
    SFUNC = nfrec._tfidf_state_combine, STYPE = nfrec.tfidf_state,
    FINALFUNC = nfrec._tfidf_state_final);
WITH parts AS (
    SELECT shard, tf_partial(d, 'english')::text AS t FROM ts_docs GROUP BY shard
)
SELECT (SELECT tf_combine(t::nfrec.tfidf_state) FROM parts)
       = (SELECT tfidf_old.fit(d, 'english') FROM ts_docs) AS split_equals_internal,
       (SELECT count(*) FROM parts) AS partials,
       (SELECT min(t) FROM parts) LIKE '%;18:pg_catalog.english;%' AS qualified_config;
-- parallel aggregation uses the combine function
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE ts_big AS SELECT d, tokens FROM ts_docs, generate_series(1, 30) g;
ANALYZE ts_big;
EXPLAIN (COSTS OFF) SELECT nfrec.tfidf_fit(tokens) FROM ts_big;
SELECT nfrec.tfidf_fit(tokens) = (SELECT tfidf_old.fit(tokens) FROM ts_big) AS parallel_same FROM ts_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE ts_big;
-- NULLs and empty input
SELECT nfrec.tfidf_fit(d) IS NULL AS no_rows FROM ts_docs WHERE false;
SELECT nfrec.tfidf_fit(d) IS NULL AS only_nulls, tf_partial(d, 'english') AS null_state
  FROM (VALUES (NULL::text)) t(d);
SELECT nfrec.tfidf_fit(d, NULL) FROM ts_docs;
DROP SCHEMA tfidf_old CASCADE;

-- bad input: SQLSTATE 22P02 (an unknown configuration: 42704)
\set VERBOSITY sqlstate
SELECT ''::nfrec.tfidf_state;
SELECT '1'::nfrec.tfidf_state;
SELECT '-1;-'::nfrec.tfidf_state;
SELECT '1;-;1:a=2'::nfrec.tfidf_state;
SELECT '1;-;1:a=1;1:a=1'::nfrec.tfidf_state;
SELECT '1;-;0:=1'::nfrec.tfidf_state;
SELECT '1;-;5:a=1'::nfrec.tfidf_state;
SELECT '1;-;1:a=-1'::nfrec.tfidf_state;
SELECT '1;-;1:a=1;'::nfrec.tfidf_state;
SELECT '1;-;1:a=1x'::nfrec.tfidf_state;
SELECT '1;-;1:a'::nfrec.tfidf_state;
SELECT '1;8:english'::nfrec.tfidf_state;
SELECT '1;9:nosuchcfg'::nfrec.tfidf_state;
\set VERBOSITY default
SELECT '1;-;1:a=2'::nfrec.tfidf_state;
