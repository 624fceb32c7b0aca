-- nfrec.tfidf_vec / nfrec.tfidf_fit: scikit-learn TfidfVectorizer weighting
--   w(t,d) = count(t,d) * (ln((1+N)/(1+df(t))) + 1), then L2-normalized.
-- Numbers are checked against hand computation and against a brute-force
-- SQL pipeline (ts_debug/unnest counting -> idf -> L2 norm), never against
-- the functions' own output.
SET search_path = public, nfrec;

-- 1. tokens, worked by hand (what TfidfVectorizer(analyzer=lambda d: d)
--    gives; checked with scikit-learn 1.2.1): d1 = a b b, d2 = b c, d3 = a c c d; N = 3,
--    df a=b=c=2 -> idf = ln(4/3)+1 = 1.2876820724517809, df d=1 -> ln 2+1.
--    d1 = (1, 2) * idf / |.| = (1/sqrt5, 2/sqrt5) = (0.4472135955, 0.894427191)
--    d2 = (0.7071067812, 0.7071067812)
--    d3 = (1.28768, 2.57536, 1.69315) / 3.34026 = (0.3855029216, 0.7710058432, 0.5068900148)
CREATE TABLE tok (id int, tokens text[]);
INSERT INTO tok VALUES (1, '{a,b,b}'), (2, '{b,c}'), (3, '{a,c,c,d}');
SELECT id, tfidf_vec(tokens) OVER () FROM tok ORDER BY id;
WITH v AS (SELECT id, tfidf_vec(tokens) OVER () AS v FROM tok),
sk(id, term, w) AS (VALUES (1, 'a', 0.4472135954999579), (1, 'b', 0.8944271909999159),
                           (2, 'b', 0.7071067811865475), (2, 'c', 0.7071067811865475),
                           (3, 'a', 0.38550292161010064), (3, 'c', 0.7710058432202013),
                           (3, 'd', 0.5068900148458076))
SELECT count(*) AS weights, max(abs(t.weight - sk.w)) < 1e-7 AS matches_sklearn
FROM sk JOIN v USING (id) JOIN LATERAL terms(v.v) t ON t.term = sk.term;

-- NULL documents give NULL and are not counted in N; an empty document is
-- counted (and gets the empty vector); NULL and '' tokens are skipped;
-- tokens are used exactly as given (case, punctuation)
SELECT id, tfidf_vec(tokens) OVER ()
FROM (VALUES (1, '{a,b,b}'::text[]), (2, '{b,c}'), (3, '{a,c,c,d}'), (4, NULL), (5, '{}'),
             (6, '{NULL,"",A,"a!"}')) v(id, tokens) ORDER BY id;
-- with the NULL row dropped, rows 1-3 are unchanged
SELECT count(*) AS same_as_without_null FROM
  (SELECT id, tfidf_vec(tokens) OVER () AS v FROM tok) a JOIN
  (SELECT id, tfidf_vec(tokens) OVER () AS v
   FROM (SELECT * FROM tok UNION ALL SELECT 4, NULL) t) b USING (id)
WHERE a.v = b.v;

-- 2. text, tokenized by text search: 'english' stems and drops stop words
CREATE TABLE docs (id int, lang text, d text);
INSERT INTO docs VALUES
  (1, 'en', 'The heist crew plans a daring heist in Paris.'),
  (2, 'en', 'A crew of astronauts drifts through deep space; the crew survives.'),
  (3, 'en', 'Romance blooms in Paris between two chefs.'),
  (4, 'en', 'Chefs compete: a cooking show, cooking contests, and more cooking!'),
  (5, 'en', 'The and of a'),                        -- only stop words
  (6, 'en', NULL),
  (7, 'de', 'Ein Koch kocht in Berlin, ein Koch backt in Paris.'),
  (8, 'de', 'Eine Crew plant einen Raub in Berlin.');
SELECT id, tfidf_vec(d, 'english') OVER () FROM docs WHERE lang = 'en' ORDER BY id;
-- brute force: lexemes from ts_debug, counted with GROUP BY, idf and L2
-- norm in plain SQL
CREATE FUNCTION ref_tfidf(cfg regconfig) RETURNS TABLE(id int, term text, w float8)
LANGUAGE sql AS $$
  WITH c AS (SELECT docs.id, lx, count(*) AS cnt
             FROM docs, ts_debug(cfg, d) t, unnest(t.lexemes) lx
             WHERE lang = 'en' GROUP BY 1, 2),
  n AS (SELECT count(*)::float8 AS n FROM docs WHERE lang = 'en' AND d IS NOT NULL),
  df AS (SELECT lx, count(*)::float8 AS df FROM c GROUP BY lx),
  raw AS (SELECT c.id, c.lx, c.cnt * (ln((1 + n) / (1 + df)) + 1) AS w FROM c JOIN df USING (lx), n)
  SELECT id, lx, w / sqrt(sum(w * w) OVER (PARTITION BY id)) FROM raw
$$;
WITH v AS (SELECT id, tfidf_vec(d, 'english') OVER () AS v FROM docs WHERE lang = 'en'),
got AS (SELECT id, t.term, t.weight FROM v, terms(v.v) t)
SELECT count(*) AS weights, count(got.term) AS found, count(ref.term) AS expected,
       max(abs(got.weight - ref.w)) < 1e-7 AS matches_brute_force
FROM got FULL JOIN ref_tfidf('english') ref USING (id, term);
WITH v AS (SELECT id, tfidf_vec(d, 'simple') OVER () AS v FROM docs WHERE lang = 'en'),
got AS (SELECT id, t.term, t.weight FROM v, terms(v.v) t)
SELECT count(*) AS weights, count(got.term) AS found, count(ref.term) AS expected,
       max(abs(got.weight - ref.w)) < 1e-7 AS matches_brute_force
FROM got FULL JOIN ref_tfidf('simple') ref USING (id, term);
-- the default configuration is 'simple'
SELECT bool_and(a = b) AS default_is_simple FROM
  (SELECT tfidf_vec(d) OVER () AS a, tfidf_vec(d, 'simple'::regconfig) OVER () AS b FROM docs) x;

-- PARTITION BY: one corpus per language (the German rows see N = 2)
SELECT id, lang, tfidf_vec(d, CASE lang WHEN 'de' THEN 'german' ELSE 'english' END) OVER (PARTITION BY lang)
FROM docs WHERE id IN (1, 7, 8) OR lang = 'de' ORDER BY id;
SELECT count(*) AS partition_equals_separate_query FROM
  (SELECT id, tfidf_vec(d, 'german') OVER (PARTITION BY lang) AS v FROM docs) a JOIN
  (SELECT id, tfidf_vec(d, 'german') OVER () AS v FROM docs WHERE lang = 'de') b USING (id)
WHERE a.v = b.v;
-- ORDER BY in the window does not change the corpus
SELECT bool_and(a = b) AS order_by_ignored FROM
  (SELECT id, tfidf_vec(d) OVER () AS a, tfidf_vec(d) OVER (ORDER BY id DESC) AS b FROM docs) x;

-- configuration given as regconfig, by name, or as a named argument
SELECT bool_and(a = b AND b = c) AS same FROM
  (SELECT tfidf_vec(d, 'english'::regconfig) OVER () AS a,
          tfidf_vec(d, 'english'::text) OVER () AS b,
          tfidf_vec(d, config => 'english') OVER () AS c FROM docs WHERE lang = 'en') x;

-- tokenizing: nfrec.lexemes lists what tfidf_vec counts; against ts_debug
-- (the parser and each dictionary run separately, on the whole text) for
-- tricky text: punctuation, hyphens, numbers, versions, URLs, e-mail,
-- paths, HTML tags with spaces inside, entities, tabs/newlines, non-ASCII,
-- no-break spaces, repeated words
CREATE TABLE tricky (id int, d text);
INSERT INTO tricky VALUES
  (1, 'The well-known heist: a crew of 3.5 thieves, in Paris.  Paris!'),
  (2, E'Visit https://example.com/heist?x=1 or mail crew@example.org\tnow\n-42 +7 1e10 v2.0.1'),
  (3, 'Path /usr/local/bin and C:\\dir; foo-bar-baz co-operate re-enter'),
  (4, '<a href="x y">Heist</a> &amp; <b class = "z">crew</b> <!-- the heist -->'),
  (5, 'L''été à Paris — naïve café; ÉTÉ Straße 東京 heist heist heist'),
  (6, E'no\u00a0break\u00a0space, e.g. i.e. U.S.A. don''t can''t'),
  (7, ''),
  (8, '   '),
  (9, 'heist heist. heist, HEIST heists heisted');
CREATE FUNCTION ref_lexemes(cfg regconfig, doc text) RETURNS text[]
LANGUAGE sql AS $$
  SELECT coalesce(array_agg(lx ORDER BY t.n, l.n), '{}')
  FROM ts_debug(cfg, doc) WITH ORDINALITY t(alias, description, token, dictionaries, dictionary, lexemes, n),
       unnest(t.lexemes) WITH ORDINALITY l(lx, n)
$$;
SELECT cfg, count(*) AS docs,
       count(*) FILTER (WHERE lexemes(d, cfg) = ref_lexemes(cfg, d)) AS same_as_ts_debug
FROM tricky, (VALUES ('simple'::regconfig), ('english'), ('german')) c(cfg)
GROUP BY cfg ORDER BY cfg::text;
SELECT lexemes(d, 'english') FROM tricky WHERE id IN (1, 4, 9) ORDER BY id;
-- random strings over letters, digits, punctuation, white space and
-- non-ASCII (the parser reads some characters by context: '<' tags, a
-- leading '.' or '~'), and every punctuation character after a space
SELECT setseed(0.25);
CREATE TEMP TABLE rnd AS
SELECT g, (SELECT string_agg(substr(E'abcdeXYZ0123 .,-_@/:&;#''"!?+*=()[]{}|\\~^$%éü東\t\n  <>',
                                    1 + floor(random() * 64)::int, 1 + floor(random() * 4)::int), '')
           FROM generate_series(1, 10 + g % 40) i WHERE g > 0) AS d
FROM generate_series(1, 400) g
UNION ALL
SELECT 1000 + row_number() OVER (), a || ' ' || p || t FROM
  (VALUES ('a'), ('1.'), ('é')) x(a),
  (SELECT chr(c) FROM generate_series(33, 126) c WHERE chr(c) !~ '[a-zA-Z0-9]') y(p),
  (VALUES (''), ('c'), ('/x'), ('./d'), ('1.2'), ('~c'), ('@b')) z(t);
SELECT cfg, count(*) AS strings, count(*) FILTER (WHERE lexemes(d, cfg) = ref_lexemes(cfg, d)) AS same_as_ts_debug
FROM rnd, (VALUES ('simple'::regconfig), ('english')) c(cfg) GROUP BY cfg ORDER BY cfg::text;
-- dictionaries beyond one-token-in, one-lexeme-out, against to_tsvector
-- (lexeme occurrences = positions, for these short texts): a thesaurus
-- (phrases: it asks for the next token, so tokenizing falls back to
-- parsetext), ispell (several normal forms per token) and unaccent (a
-- filtering dictionary feeding the next one)
CREATE TEXT SEARCH DICTIONARY thes_test (TEMPLATE = thesaurus, DictFile = thesaurus_sample, Dictionary = english_stem);
CREATE TEXT SEARCH CONFIGURATION thes_cfg (COPY = english);
ALTER TEXT SEARCH CONFIGURATION thes_cfg ALTER MAPPING FOR asciiword WITH thes_test, english_stem;
CREATE TEXT SEARCH DICTIONARY ispell_test (TEMPLATE = ispell, DictFile = ispell_sample, AffFile = ispell_sample);
CREATE TEXT SEARCH CONFIGURATION ispell_cfg (COPY = english);
ALTER TEXT SEARCH CONFIGURATION ispell_cfg ALTER MAPPING FOR asciiword WITH ispell_test, english_stem;
CREATE EXTENSION unaccent;
CREATE TEXT SEARCH CONFIGURATION unaccent_cfg (COPY = english);
ALTER TEXT SEARCH CONFIGURATION unaccent_cfg ALTER MAPPING FOR word, hword, hword_part WITH unaccent, english_stem;
CREATE TABLE dictdocs (id int, d text);
INSERT INTO dictdocs VALUES
  (1, 'the supernovae stars shine; supernovae everywhere'),
  (2, 'one two three, one two, two and one'),
  (3, 'booking tickets for the football club, bookings of tickets'),
  (4, 'footballklubber booking sky'),
  (5, 'Crème brûlée à la café, naïve façade, crème');
CREATE FUNCTION tsv_lexemes(cfg regconfig, doc text) RETURNS text[]
LANGUAGE sql AS $$
  SELECT coalesce(array_agg(lexeme ORDER BY lexeme), '{}')
  FROM unnest(to_tsvector(cfg, doc)) u, generate_series(1, array_length(u.positions, 1))
$$;
SELECT cfg, count(*) AS docs,
       count(*) FILTER (WHERE (SELECT array_agg(x ORDER BY x) FROM unnest(lexemes(d, cfg)) x)
                              IS NOT DISTINCT FROM nullif(tsv_lexemes(cfg, d), '{}')) AS same_as_to_tsvector
FROM dictdocs, (VALUES ('thes_cfg'::regconfig), ('ispell_cfg'), ('unaccent_cfg')) c(cfg)
GROUP BY cfg ORDER BY cfg::text;
SELECT id, lexemes(d, 'thes_cfg') AS thesaurus, lexemes(d, 'ispell_cfg') AS ispell
FROM dictdocs WHERE id IN (1, 3, 4) ORDER BY id;
SELECT lexemes(d, 'unaccent_cfg') AS unaccented FROM dictdocs WHERE id = 5;
SELECT cfg, bool_and(a = b) AS text_equals_lexeme_tokens FROM
  (SELECT 'thes_cfg' AS cfg, tfidf_vec(d, 'thes_cfg') OVER () AS a, tfidf_vec(lexemes(d, 'thes_cfg')) OVER () AS b FROM dictdocs
   UNION ALL
   SELECT 'ispell_cfg', tfidf_vec(d, 'ispell_cfg') OVER (), tfidf_vec(lexemes(d, 'ispell_cfg')) OVER () FROM dictdocs) x
GROUP BY cfg ORDER BY cfg;

-- the same documents in one corpus: text form = tokens form on lexemes()
SELECT bool_and(a = b) AS text_equals_lexeme_tokens FROM
  (SELECT tfidf_vec(d, 'english') OVER () AS a, tfidf_vec(lexemes(d, 'english')) OVER () AS b
   FROM tricky) x;
WITH v AS (SELECT id, tfidf_vec(d, 'english') OVER () AS v FROM tricky),
c AS (SELECT tricky.id, lx, count(*) AS cnt FROM tricky, unnest(ref_lexemes('english', d)) lx GROUP BY 1, 2),
n AS (SELECT count(*)::float8 AS n FROM tricky),
df AS (SELECT lx, count(*)::float8 AS df FROM c GROUP BY lx),
raw AS (SELECT c.id, c.lx, c.cnt * (ln((1 + n) / (1 + df)) + 1) AS w FROM c JOIN df USING (lx), n),
ref AS (SELECT id, lx AS term, w / sqrt(sum(w * w) OVER (PARTITION BY id)) AS w FROM raw),
got AS (SELECT id, t.term, t.weight FROM v, terms(v.v) t)
SELECT count(*) AS weights, count(got.term) AS found, count(ref.term) AS expected,
       max(abs(got.weight - ref.w)) < 1e-7 AS matches_brute_force
FROM got FULL JOIN ref USING (id, term);

-- 3. long documents: counts are exact, unlike positions read back from a
--    tsvector (it keeps 255 positions per lexeme and clamps positions
--    above 16383).  doc A = 300 x "spam" + "egg", doc B = "egg":
--    idf(spam) = ln(3/2)+1, idf(egg) = 1; A = (300 idf(spam), 1) / |.|
SELECT array_length(tsvector_to_array(to_tsvector('simple', repeat('spam ', 300) || 'egg')), 1) AS lexemes,
       (SELECT array_length(positions, 1) FROM unnest(to_tsvector('simple', repeat('spam ', 300))) u) AS positions_kept;
WITH v AS (SELECT id, tfidf_vec(d) OVER () AS v
           FROM (VALUES (1, repeat('spam ', 300) || 'egg'), (2, 'egg')) x(id, d))
SELECT t.term, round(t.weight::numeric, 7) AS weight,
       round((CASE t.term WHEN 'spam' THEN 300 * (ln(1.5) + 1) ELSE 1 END
              / sqrt((300 * (ln(1.5) + 1)) ^ 2 + 1))::numeric, 7) AS by_hand
FROM v, terms(v.v) t WHERE id = 1;
-- 20,000 words: "tail" appears 3 times after position 16383
WITH v AS (SELECT id, tfidf_vec(d) OVER () AS v
           FROM (VALUES (1, repeat('filler ', 20000) || 'tail tail tail'), (2, 'tail filler')) x(id, d))
SELECT t.term, round(t.weight::numeric, 7) AS weight,
       round((CASE t.term WHEN 'tail' THEN 3 ELSE 20000 END / sqrt(20000.0 ^ 2 + 9))::numeric, 7) AS by_hand
FROM v, terms(v.v) t WHERE id = 1;

-- 4. fitted form: the vocabulary, then vectors for new text
SELECT tfidf_fit(tokens) FROM tok;
SELECT tfidf_fit(d, 'english') FROM docs WHERE lang = 'en';
SELECT tfidf_fit(d) -> 'config' AS default_config, tfidf_fit(d) -> 'n_docs' AS n_docs FROM docs;
-- fit + vectorize on the corpus itself equals the window form, bit for bit
WITH voc AS (SELECT tfidf_fit(d, 'english') AS v FROM docs WHERE lang = 'en')
SELECT count(*) AS rows, count(*) FILTER (WHERE w = f) AS equal, count(*) FILTER (WHERE w IS NULL AND f IS NULL) AS both_null
FROM (SELECT tfidf_vec(d, 'english') OVER () AS w, tfidf_vec(d, voc.v) AS f
      FROM docs, voc WHERE lang = 'en') x;
WITH voc AS (SELECT tfidf_fit(tokens) AS v FROM tok)
SELECT bool_and(w = f) AS tokens_equal
FROM (SELECT tfidf_vec(tokens) OVER () AS w, tfidf_vec(tokens, voc.v) AS f FROM tok, voc) x;
-- a search query: unknown words dropped, stemmed like the corpus;
-- "daring" -> dare (df 1), "heists" -> heist (df 1), "paris" -> pari
-- (df 2), N = 5: idf 1+ln 3, 1+ln 3, 1+ln 2, then L2-normalized
WITH voc AS (SELECT tfidf_fit(d, 'english') AS v FROM docs WHERE lang = 'en')
SELECT tfidf_vec('Daring heists in Paris, zebras!', v) AS query,
       round(((1 + ln(3.0)) / sqrt(2 * (1 + ln(3.0)) ^ 2 + (1 + ln(2.0)) ^ 2))::numeric, 7) AS dare_by_hand,
       round(((1 + ln(2.0)) / sqrt(2 * (1 + ln(3.0)) ^ 2 + (1 + ln(2.0)) ^ 2))::numeric, 7) AS pari_by_hand,
       tfidf_vec('zebra unicorn', v) AS all_unknown
FROM voc;
-- the query finds the heist title first
WITH voc AS (SELECT tfidf_fit(d, 'english') AS v FROM docs WHERE lang = 'en'),
cat AS (SELECT id, tfidf_vec(d, 'english') OVER () AS v FROM docs WHERE lang = 'en')
SELECT id, round(cosine_sim(cat.v, tfidf_vec('a heist in Paris', voc.v))::numeric, 4) AS score
FROM cat, voc WHERE cosine_sim(cat.v, tfidf_vec('a heist in Paris', voc.v)) > 0 ORDER BY score DESC;
-- a vocabulary stored in a table (TOASTed) and two vocabularies in one
-- query: each row is vectorized against its own
CREATE TABLE vocabs (lang text, v jsonb);
INSERT INTO vocabs SELECT 'en', tfidf_fit(d, 'english') FROM docs WHERE lang = 'en';
INSERT INTO vocabs SELECT 'de', tfidf_fit(d, 'german') FROM docs WHERE lang = 'de';
INSERT INTO vocabs SELECT 'big', tfidf_fit(tokens) FROM
  (SELECT array_agg('tok' || ((g * i) % 5000)) AS tokens FROM generate_series(1, 200) g, generate_series(1, 50) i GROUP BY g) x;
SELECT lang, pg_column_size(v) < octet_length(v::text) AS compressed_or_small FROM vocabs ORDER BY lang;
SELECT count(*) AS rows, count(*) FILTER (WHERE a IS NOT DISTINCT FROM b) AS equal FROM
  (SELECT tfidf_vec(d, v.v) AS a,
          tfidf_vec(d, CASE WHEN docs.lang = 'en' THEN 'english' ELSE 'german' END) OVER (PARTITION BY docs.lang) AS b
   FROM docs JOIN vocabs v ON v.lang = docs.lang) x;
SELECT count(*) AS alternating, count(*) FILTER (WHERE a = b) AS equal FROM
  (SELECT tfidf_vec(d, v.v) AS a, tfidf_vec(d, (SELECT v FROM vocabs WHERE lang = v.lang)) AS b
   FROM docs CROSS JOIN vocabs v WHERE v.lang <> 'big' AND d IS NOT NULL) x;
-- 100 rows against the stored (TOASTed) 'big' vocabulary, checked against
-- idf computed in SQL from its doc_freq; tokens against a text vocabulary
-- are used as given
WITH q AS (SELECT g, tfidf_vec(ARRAY['tok1', 'tok' || g, 'never-seen'], v) AS vec, v
           FROM vocabs, generate_series(2, 101) g WHERE lang = 'big'),
ref AS (SELECT g, t, i / sqrt(sum(i * i) OVER (PARTITION BY g)) AS w
        FROM (SELECT g, t, 1 + ln((1 + (v->>'n_docs')::float8) / (1 + (v->'doc_freq'->>t)::float8)) AS i
              FROM q, unnest(ARRAY['tok1', 'tok' || g]) t) x)
SELECT count(*) AS weights, max(abs(tt.weight - ref.w)) < 1e-7 AS matches
FROM ref JOIN q USING (g) JOIN LATERAL terms(q.vec) tt ON tt.term = ref.t;
SELECT tfidf_vec(ARRAY['heist', 'Heist', 'pari'], v) AS tokens_as_given FROM vocabs WHERE lang = 'en';
-- parallel fit equals serial fit
CREATE TABLE many AS SELECT g, d FROM docs, generate_series(1, 300) g;
ANALYZE many;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT tfidf_fit(d, 'english') FROM many;
CREATE TEMP TABLE par AS SELECT tfidf_fit(d, 'english') AS v FROM many;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT v FROM par) = tfidf_fit(d, 'english') AS parallel_same FROM many;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
-- edge cases: no rows, only NULLs -> NULL vocabulary; NULL document -> NULL
SELECT tfidf_fit(d) IS NULL AS no_rows FROM docs WHERE false;
SELECT tfidf_fit(d) IS NULL AS only_nulls FROM docs WHERE d IS NULL;
SELECT tfidf_vec(NULL::text, '{"config":"simple","n_docs":1,"doc_freq":{}}'::jsonb) IS NULL AS null_doc;
-- (a literal vocabulary needs ::jsonb: an untyped literal second argument
-- means the window form's configuration name)
-- a hand-written vocabulary: N = 3, df(x) = 1, df(y) = 3; "x y y":
-- (ln 2 + 1, 2) / |.| = (0.6461, 0.7632)
SELECT tfidf_vec('x y y', '{"config":"simple","n_docs":3,"doc_freq":{"x":1,"y":3}}'::jsonb) AS hand,
       (ln(2) + 1) / sqrt((ln(2) + 1) ^ 2 + 4) AS x_by_hand;

-- bad input
\set VERBOSITY sqlstate
SELECT tfidf_vec(d) FROM docs;
SELECT tfidf_vec(d, c) OVER () FROM (VALUES ('a', 'english'), ('b', 'simple')) v(d, c);
SELECT tfidf_vec(d, NULL::regconfig) OVER () FROM docs;
SELECT tfidf_vec(d, 'no_such_config') OVER () FROM docs;
SELECT tfidf_fit(d, c::regconfig) FROM (VALUES ('a', 'english'), ('b', 'simple')) v(d, c);
SELECT tfidf_fit(d, NULL::regconfig) FROM docs;
SELECT tfidf_vec('heist', (SELECT tfidf_fit(tokens) FROM tok));
SELECT tfidf_vec('heist', '[1]'::jsonb);
SELECT tfidf_vec('heist', '{"config":"simple","doc_freq":{}}'::jsonb);
SELECT tfidf_vec('heist', '{"config":"simple","n_docs":0,"doc_freq":{}}'::jsonb);
SELECT tfidf_vec('heist', '{"config":"simple","n_docs":2.5,"doc_freq":{}}'::jsonb);
SELECT tfidf_vec('heist', '{"config":"simple","n_docs":"2","doc_freq":{}}'::jsonb);
SELECT tfidf_vec('heist', '{"n_docs":2,"doc_freq":{}}'::jsonb);
SELECT tfidf_vec('heist', '{"config":7,"n_docs":2,"doc_freq":{}}'::jsonb);
SELECT tfidf_vec('heist', '{"config":"no_such_config","n_docs":2,"doc_freq":{}}'::jsonb);
SELECT tfidf_vec('heist', '{"config":"simple","n_docs":2}'::jsonb);
SELECT tfidf_vec('heist', '{"config":"simple","n_docs":2,"doc_freq":[]}'::jsonb);
SELECT tfidf_vec('heist', '{"config":"simple","n_docs":2,"doc_freq":{"heist":3}}'::jsonb);
SELECT tfidf_vec('heist', '{"config":"simple","n_docs":2,"doc_freq":{"heist":0}}'::jsonb);
SELECT tfidf_vec('heist', '{"config":"simple","n_docs":2,"doc_freq":{"heist":"1"}}'::jsonb);
SELECT tfidf_vec('heist', '{"config":"simple","n_docs":2,"doc_freq":{"":1}}'::jsonb);
-- an untyped literal as second argument is a configuration name, so this
-- is the window form without OVER
SELECT tfidf_vec('heist', '{"config":"simple"}');
\set VERBOSITY default
SELECT tfidf_vec(d, c) OVER () FROM (VALUES ('a', 'english'), ('b', 'simple')) v(d, c);
SELECT tfidf_vec('heist', (SELECT tfidf_fit(tokens) FROM tok));
SELECT tfidf_vec('heist', '{"config":"simple","n_docs":2,"doc_freq":{"heist":3}}'::jsonb);
-- terms and numbers of a bad vocabulary are quoted as short excerpts
SELECT tfidf_vec('heist', jsonb_build_object('config', 'simple', 'n_docs', 2,
                 'doc_freq', jsonb_build_object(repeat('x', 1000), 3)));
SELECT tfidf_vec('heist', jsonb_build_object('config', 'simple', 'n_docs', 2,
                 'doc_freq', jsonb_build_object('heist', ('1' || repeat('0', 1000))::numeric)));
SELECT tfidf_vec('heist', jsonb_build_object('config', 'simple', 'n_docs', ('1' || repeat('0', 1000))::numeric,
                 'doc_freq', jsonb_build_object('heist', 1)));

-- lexemes of a document over 1 MB, tokenized in pieces, are those of the
-- whole: the pieces are cut only where the parser starts afresh ('.' and
-- '~' chunks here would be read differently at a cut), and a '<' anywhere
-- makes the document be parsed whole; both give the unit's lexemes
-- 60000 times over
WITH u AS (SELECT 'alpha .beta ~gamma delta-epsilon 3.14 foo@bar.com /usr/x l''été, ' AS unit),
d AS (SELECT repeat(unit, 60000) AS doc, unit FROM u)
SELECT octet_length(doc) AS bytes,
       nfrec.lexemes(doc) = (SELECT array_agg(x ORDER BY g, o)
                             FROM generate_series(1, 60000) g,
                                  unnest(nfrec.lexemes(unit)) WITH ORDINALITY AS l(x, o)) AS pieces_ok,
       nfrec.lexemes(doc || ' <') = nfrec.lexemes(doc) AS whole_ok,
       array_length(nfrec.lexemes(doc, 'english'), 1) AS english_n
FROM d;
-- the same through tfidf_vec (window and fitted) on a big document
WITH d AS (SELECT repeat('alpha .beta ~gamma delta-epsilon ', 60000) AS doc
           UNION ALL SELECT 'alpha beta')
SELECT tfidf_vec(doc) OVER () = tfidf_vec(doc, (SELECT tfidf_fit(doc) FROM d)) AS same,
       tfidf_vec(doc) OVER ()
FROM d;
-- with a thesaurus (phrases), a big document is cut at sentence ends, so
-- the phrases of every sentence are found
CREATE TEXT SEARCH DICTIONARY pg_temp.thes (TEMPLATE = thesaurus, DictFile = thesaurus_sample,
                                            Dictionary = pg_catalog.english_stem);
CREATE TEXT SEARCH CONFIGURATION pg_temp.thcfg (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION pg_temp.thcfg ALTER MAPPING FOR asciiword WITH pg_temp.thes, english_stem;
WITH u AS (SELECT 'Big supernovae stars and one two three. Booking the tickets! ' AS unit)
SELECT nfrec.lexemes(unit, 'pg_temp.thcfg') AS unit_lexemes,
       nfrec.lexemes(repeat(unit, 30000), 'pg_temp.thcfg')
         = (SELECT array_agg(x ORDER BY g, o) FROM generate_series(1, 30000) g,
                   unnest(nfrec.lexemes(unit, 'pg_temp.thcfg')) WITH ORDINALITY AS l(x, o)) AS pieces_ok
FROM u;
