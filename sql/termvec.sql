-- nfrec.termvec: the sparse term-weight vector.
-- Reference numbers are worked out by hand or computed independently in
-- plain SQL over the terms (nfrec.terms is checked against the text form).
SET search_path = public, nfrec;

-- text form: a JSON object; terms sorted in byte order, zeros dropped,
-- whitespace allowed between tokens
SELECT '{"heist": 0.8, "action":0.5 , "zero": 0}'::termvec AS v;
SELECT '  {  }  '::termvec AS empty, '{"a":0,"b":-0}'::termvec AS all_zero;
-- quoting: quotes, backslashes, spaces, colons, commas, braces, non-ASCII,
-- control characters, \u escapes (including a surrogate pair)
SELECT '{"say \"hi\"":1, "back\\slash":2, "a:b c":3, "x,y}":4, "l''été":5, "日本":6,
         "tab\there":7, "\u00e9t\u00c9":8, "\ud83c\udfac":9, "sl\/ash":10, "\b\f\n\r":11,
         "\u0001":12}'::termvec AS quoted;
-- every term reads back to itself: text -> termvec -> text -> termvec
WITH t(s) AS (VALUES ('{"say \"hi\"":1,"back\\slash":2,"\u0001\u001f":3,"ü ß":-4.5}'))
SELECT s::termvec::text::termvec = s::termvec AS text_round_trip,
       s::termvec::jsonb::termvec = s::termvec AS jsonb_round_trip,
       s::termvec::text::jsonb = s::termvec::jsonb AS text_is_json
FROM t;
-- terms come out in byte order, the same as ORDER BY ... COLLATE "C"
SELECT array_agg(term) AS stored_order,
       array_agg(term ORDER BY term COLLATE "C") = array_agg(term) AS same_as_collate_c
FROM terms('{"b":1,"B":1,"ab":1,"a":1,"é":1,"e":1,"a b":1,"Z":1,"aa":1}');
-- weights are float4; output is the shortest decimal that reads back the
-- same float4, so every value survives a round trip
SELECT '{"a":0.1,"b":1e-30,"c":3.4028235e38,"d":-2.5,"e":1.17549435e-38,"f":1e-45,"g":16777217}'::termvec AS floats;
WITH f AS (SELECT (sin(g) * 10 ^ (g % 70 - 35))::real AS f FROM generate_series(1, 3000) g),
v AS (SELECT f, format('{"x":%s}', f)::termvec AS v FROM f WHERE f <> 0)
SELECT count(*) AS values_checked,
       bool_and((SELECT weight FROM terms(v))::real = f) AS weight_exact,
       bool_and(v::text::termvec = v) AS text_round_trip,
       bool_and(v::jsonb::termvec = v) AS jsonb_round_trip
FROM v;

-- binary I/O (COPY BINARY out and back in) round-trips
CREATE TABLE tv_bin (id int, v termvec);
INSERT INTO tv_bin VALUES (1, '{"say \"hi\"":1,"日本":-2.5,"a":1e-30}'), (2, '{}'), (3, NULL);
DO $$
BEGIN
  EXECUTE format('COPY tv_bin TO %L (FORMAT binary)', current_setting('data_directory') || '/termvec_test.bin');
  CREATE TEMP TABLE tv_bin2 (id int, v termvec);
  EXECUTE format('COPY tv_bin2 FROM %L (FORMAT binary)', current_setting('data_directory') || '/termvec_test.bin');
END $$;
SELECT a.id, a.v, b.v IS NOT DISTINCT FROM a.v AS same FROM tv_bin a JOIN tv_bin2 b USING (id) ORDER BY id;

-- jsonb casts
SELECT '{"heist":0.8,"action":0.5}'::termvec::jsonb AS to_jsonb,
       '{"heist": 0.8, "action": 5e-1, "none": 0, "big": 1e30}'::jsonb::termvec AS from_jsonb;
SELECT jsonb_object_agg(term, weight)::termvec = '{"x":1,"y":2.5}'::termvec AS built_from_rows
FROM (VALUES ('x', 1.0), ('y', 2.5)) v(term, weight);

-- inspection
SELECT * FROM terms('{"heist":0.8,"action":0.5,"crew":-0.25}');
SELECT * FROM top_terms('{"heist":0.8,"action":0.5,"crew":-0.25,"paris":0.5}', 3);
SELECT count(*) AS n0 FROM top_terms('{"a":1}', 0);
SELECT count(*) AS all_terms FROM top_terms('{"a":1,"b":2}', 1000000);
SELECT * FROM top_terms('{"a":1,"b":2,"c":3}');
SELECT term_count('{"a":1,"b":2,"c":0}'), term_count('{}');

-- cosine, norm: (3,4).(4,3) = 24, |a| = |b| = 5 -> 0.96
SELECT cosine_sim('{"a":3,"b":4}'::termvec, '{"a":4,"b":3}'::termvec) AS c096,
       norm('{"a":3,"b":4}'::termvec) AS norm5,
       norm('{}'::termvec) AS norm0;
SELECT cosine_sim('{"a":1}'::termvec, '{"b":1}'::termvec) AS disjoint,
       cosine_sim('{"a":2,"b":1}'::termvec, '{"a":4,"b":2}'::termvec) AS parallel,
       cosine_sim('{"a":2,"b":1}'::termvec, '{"a":-2,"b":-1}'::termvec) AS opposite,
       cosine_sim('{}'::termvec, '{"a":1}'::termvec) IS NULL AS zero_is_null,
       cosine_sim(NULL::termvec, '{"a":1}'::termvec) IS NULL AS null_is_null;
-- huge and tiny float4 weights: cosine of (1,2,2) and (2,1,2) is 8/9
SELECT round(cosine_sim('{"a":1e38,"b":2e38,"c":2e38}'::termvec, '{"a":2e-38,"b":1e-38,"c":2e-38}'::termvec)::numeric, 6) AS eight_ninths;

-- shared terms: contributions w_a*w_b/(|a||b|) add up to the cosine;
-- |a| = |b| = sqrt(26), so each shared term gives 12/26 = 0.461538...
SELECT * FROM shared_terms('{"a":3,"b":4,"x":1}'::termvec, '{"a":4,"b":3,"y":1}'::termvec);
SELECT count(*) FROM shared_terms('{"a":1}', '{"b":1}');

-- against a brute-force SQL computation over random vectors: cosine,
-- norm and shared-term contributions
CREATE TABLE tv_rand AS
SELECT g AS id, jsonb_object_agg('t' || ((g * 7 + i * i) % 37), round((sin(g * 13 + i) * 3)::numeric, 3))::termvec AS v
FROM generate_series(1, 40) g, generate_series(1, 12) i GROUP BY g;
WITH tw AS (SELECT id, term, weight FROM tv_rand, terms(v)),
nrm AS (SELECT id, sqrt(sum(weight * weight)) AS n FROM tw GROUP BY id),
dot AS (SELECT a.id AS ia, b.id AS ib, sum(a.weight * b.weight) AS d
        FROM tw a JOIN tw b USING (term) GROUP BY 1, 2),
ref AS (SELECT ia, ib, d / (na.n * nb.n) AS c FROM dot JOIN nrm na ON na.id = ia JOIN nrm nb ON nb.id = ib)
SELECT count(*) AS pairs,
       max(abs(cosine_sim(x.v, y.v) - coalesce(ref.c, 0))) < 1e-12 AS cosine_matches,
       max(abs(norm(x.v) - na.n)) < 1e-12 AS norm_matches,
       max(abs(coalesce((SELECT sum(contribution) FROM shared_terms(x.v, y.v)), 0) - coalesce(ref.c, 0))) < 1e-12 AS contributions_sum_to_cosine
FROM tv_rand x CROSS JOIN tv_rand y
LEFT JOIN ref ON ref.ia = x.id AND ref.ib = y.id
JOIN nrm na ON na.id = x.id;

-- arithmetic: + - * (zeros dropped), normalize
SELECT '{"a":1,"b":2}'::termvec + '{"b":-2,"c":3}'::termvec AS plus,
       '{"a":1,"b":2}'::termvec - '{"a":1,"c":3}'::termvec AS minus,
       '{"a":1,"b":2}'::termvec * 2.5 AS times,
       -1 * '{"a":1,"b":2}'::termvec AS negated,
       '{"a":1,"b":2}'::termvec * 0 AS times_zero;
-- NORMALIZE is an SQL keyword: nfrec.normalize must be schema-qualified
SELECT nfrec.normalize('{"a":3,"b":4}') AS unit, nfrec.normalize('{}') AS zero_stays_zero,
       abs(norm(nfrec.normalize('{"a":1,"b":1,"c":1}')) - 1) < 1e-7 AS unit_norm;
SELECT '{"a":1,"b":2}'::termvec = '{"b":2,"a":1}'::termvec AS eq,
       '{"a":1,"b":2}'::termvec = '{"a":1,"b":2.0000001}'::termvec AS eq_float4,
       '{"a":1}'::termvec <> '{"a":1,"b":1}'::termvec AS ne;

-- sum / avg: a profile from watched titles; NULLs ignored, missing terms
-- count as 0: avg of {a:1,b:2}, {b:1,c:3}, {} = {a:1/3, b:1, c:1}
SELECT sum(v), avg(v) FROM (VALUES ('{"a":1,"b":2}'::termvec), ('{"b":1,"c":3}'), (NULL), ('{}')) t(v);
SELECT sum(v) IS NULL AS no_rows_sum, avg(v) IS NULL AS no_rows_avg FROM tv_rand WHERE false;
SELECT sum(v) IS NULL AS all_null FROM (VALUES (NULL::termvec), (NULL)) t(v);
SELECT sum(v) AS cancels FROM (VALUES ('{"a":1,"b":1}'::termvec), ('{"a":-1}')) t(v);
-- per-user profiles, checked against SQL over the terms
CREATE TABLE tv_watch AS SELECT (id % 5) AS user_id, v FROM tv_rand;
WITH prof AS (SELECT user_id, avg(v) AS p FROM tv_watch GROUP BY user_id),
ref AS (SELECT user_id, term, sum(weight) / (SELECT count(*) FROM tv_watch w2 WHERE w2.user_id = w.user_id) AS w
        FROM tv_watch w, terms(v) GROUP BY user_id, term)
SELECT count(*) AS profile_terms,
       max(abs(t.weight - ref.w) / greatest(abs(ref.w), 1e-3)) < 1e-6 AS avg_matches,
       count(*) FILTER (WHERE t.term IS NULL) AS missing
FROM ref LEFT JOIN (prof CROSS JOIN LATERAL terms(prof.p) t) ON prof.user_id = ref.user_id AND t.term = ref.term
WHERE abs(ref.w) > 1e-6;
-- parallel aggregation gives the same result as serial
CREATE TABLE tv_many AS SELECT g, v FROM tv_rand, generate_series(1, 500) g;
ANALYZE tv_many;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT avg(v) FROM tv_many;
CREATE TEMP TABLE par AS SELECT sum(v) AS s, avg(v) AS a FROM tv_many;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT s FROM par) = sum(v) AS sum_same, (SELECT a FROM par) = avg(v) AS avg_same FROM tv_many;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- a huge vector (200,000 terms) through every operation
CREATE TABLE tv_huge AS
SELECT ('{' || string_agg(format('"term%s":%s', g, (g % 7) + 1), ',') || '}')::termvec AS v
FROM generate_series(1, 200000) g;
SELECT term_count(v), round(norm(v)::numeric, 3) AS norm,
       (SELECT round(sqrt(sum(((g % 7) + 1)::float8 ^ 2))::numeric, 3)
        FROM generate_series(1, 200000) g) AS expected_norm,
       cosine_sim(v, v) AS self_cosine,
       term_count(v + v) AS sum_terms,
       (SELECT count(*) FROM terms(v)) AS listed,
       (SELECT weight FROM top_terms(v, 1)) AS top,
       length(v::text) AS text_length,
       term_count(v::jsonb::termvec) AS jsonb_terms
FROM tv_huge;
SELECT term_count(sum(v)) FROM (SELECT v FROM tv_huge UNION ALL SELECT v FROM tv_huge) s;

-- all pairs: similar_by_terms against the naive query, on a catalog with
-- ties (rows 41..44 repeat rows 1..4) and a row sharing nothing
CREATE TABLE tv_cat AS
SELECT id AS title_id, v AS tfidf FROM tv_rand
UNION ALL SELECT id + 40, v FROM tv_rand WHERE id <= 4
UNION ALL SELECT 100, '{"lonely":1}'
UNION ALL SELECT 101, NULL
UNION ALL SELECT NULL, '{"t1":1}';
CREATE TEMP TABLE naive AS
SELECT a.title_id, row_number() OVER (PARTITION BY a.title_id ORDER BY cosine_sim(a.tfidf, b.tfidf) DESC, b.title_id)::int AS rank,
       b.title_id AS similar_id, cosine_sim(a.tfidf, b.tfidf) AS score
FROM tv_cat a JOIN tv_cat b ON a.title_id <> b.title_id
WHERE cosine_sim(a.tfidf, b.tfidf) > 0;
DELETE FROM naive WHERE rank > 5;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE n.similar_id IS DISTINCT FROM s.similar_id) AS different_neighbour,
       max(abs(n.score - s.score)) < 1e-12 AS scores_match
FROM naive n FULL JOIN similar_by_terms('tv_cat', 5) s USING (title_id, rank);
SELECT count(*) FILTER (WHERE n.similar_id IS DISTINCT FROM s.similar_id) AS threads_differ
FROM similar_by_terms('tv_cat', 5) n FULL JOIN similar_by_terms('tv_cat', 5, threads => 2) s USING (title_id, rank);
-- ties: title 1 and its copy 41 score 1 (ranked by id), and for_ids
SELECT * FROM similar_by_terms('tv_cat', 3, for_ids => '{1,41,100,999,NULL}');
-- n above the catalog gives every title that shares a term
SELECT count(*) AS listed,
       (SELECT count(*) FROM tv_cat a, tv_cat b
        WHERE a.title_id = 2 AND b.title_id <> 2 AND cosine_sim(a.tfidf, b.tfidf) > 0) AS sharing
FROM similar_by_terms('tv_cat', 1000, for_ids => '{2}');
-- views work, with their own column names
CREATE VIEW tv_view AS SELECT title_id AS id, tfidf AS vec FROM tv_cat WHERE title_id <= 10;
SELECT count(*) FROM similar_by_terms('tv_view', 2, id_column => 'id', vector_column => 'vec');
-- the catalog is read with the caller's privileges
CREATE ROLE tv_nobody;
GRANT USAGE ON SCHEMA nfrec TO tv_nobody;
SET ROLE tv_nobody;
\set VERBOSITY sqlstate
SELECT count(*) FROM similar_by_terms('tv_cat', 2);
\set VERBOSITY default
RESET ROLE;
REVOKE USAGE ON SCHEMA nfrec FROM tv_nobody;
DROP ROLE tv_nobody;

-- bad input
\set VERBOSITY sqlstate
SELECT ''::termvec;
SELECT 'x'::termvec;
SELECT '{'::termvec;
SELECT '{"a"}'::termvec;
SELECT '{"a":}'::termvec;
SELECT '{"a":1,}'::termvec;
SELECT '{"a":1 "b":2}'::termvec;
SELECT '{a:1}'::termvec;
SELECT '{"a":1} x'::termvec;
SELECT '{"a:1}'::termvec;
SELECT '{"a":1.2.3}'::termvec;
SELECT '{"a":0x10}'::termvec;
SELECT '{"a":1e}'::termvec;
SELECT '{"a":"1"}'::termvec;
SELECT '{"a\q":1}'::termvec;
SELECT '{"\u12":1}'::termvec;
SELECT '{"\ud800":1}'::termvec;
SELECT '{"\udc00":1}'::termvec;
SELECT '{"\u0000":1}'::termvec;
SELECT E'{"a\tb":1}'::termvec;
SELECT '{"":1}'::termvec;
SELECT '{"a":NaN}'::termvec;
SELECT '{"a":Infinity}'::termvec;
SELECT '{"a":-inf}'::termvec;
SELECT '{"a":1,"b":2,"a":3}'::termvec;
SELECT '{"a":1e39}'::termvec;
SELECT '{"a":1e-50}'::termvec;
SELECT '[1,2]'::jsonb::termvec;
SELECT '3'::jsonb::termvec;
SELECT '{"a":"1"}'::jsonb::termvec;
SELECT '{"a":null}'::jsonb::termvec;
SELECT '{"a":{"b":1}}'::jsonb::termvec;
SELECT '{"a":true}'::jsonb::termvec;
SELECT '{"":1}'::jsonb::termvec;
SELECT '{"a":1e400}'::jsonb::termvec;
SELECT '{"a":3e38}'::termvec + '{"a":3e38}'::termvec;
SELECT '{"a":3e38}'::termvec * 10;
SELECT '{"a":1}'::termvec * 'NaN'::float8;
SELECT '{"a":1}'::termvec * 'Infinity'::float8;
SELECT * FROM top_terms('{"a":1}', -1);
SELECT * FROM similar_by_terms('tv_cat', 0);
SELECT * FROM similar_by_terms('tv_cat', 5, threads => 0);
SELECT * FROM similar_by_terms('tv_cat', NULL);
SELECT * FROM similar_by_terms('tv_cat', 5, vector_column => 'nope');
SELECT * FROM similar_by_terms('tv_rand', 5);
CREATE TEMP TABLE tv_dup AS SELECT 1 AS title_id, '{"a":1}'::termvec AS tfidf UNION ALL SELECT 1, '{"a":2}';
SELECT * FROM similar_by_terms('tv_dup', 5);
\set VERBOSITY default
-- messages
SELECT '{"a":1 "b":2}'::termvec;
SELECT '{"a":NaN}'::termvec;
SELECT '{"a":1,"a":3}'::termvec;
SELECT '{"a":"1"}'::jsonb::termvec;
SELECT '[1]'::jsonb::termvec;
SELECT * FROM similar_by_terms('tv_dup', 5);
-- a parse error quotes a short excerpt around where it happened, never the
-- whole input (a 6 MB input used to make a 6 MB message), and says where
SELECT length(s) AS input_bytes FROM (SELECT '{' || string_agg(format('"t%s":1', i), ', ') || ' "x" 2}' AS s
                                      FROM generate_series(1, 500000) i) x;
SELECT s::termvec FROM (SELECT '{' || string_agg(format('"t%s":1', i), ', ') || ' "x" 2}' AS s
                        FROM generate_series(1, 500000) i) x;
SELECT ('{x' || repeat(' ', 10000000) || '}')::termvec;
SELECT ('{"a":1, "' || repeat('é', 100) || '":NaN}')::termvec;
SELECT ('{"a":1, "' || repeat('é', 30) || '"   ,"b":1}')::termvec;
-- terms in messages are cut to 40 characters, never inside a character
SELECT ('{"' || repeat('é', 100) || '":1, "' || repeat('é', 100) || '":2}')::termvec;
SELECT ('{"' || repeat('ab', 100) || '":1e39}')::termvec;
SELECT ('{"' || repeat('ab', 100) || '":' || repeat('9', 100) || '}')::termvec;
SELECT jsonb_build_object(repeat('é', 100), 'x')::termvec;
-- short inputs are quoted whole
SELECT '{"a":1}x'::termvec;
