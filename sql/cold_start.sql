-- nfrec.deploy_cold_titles: titles without events get factors mapped from
-- their content (doc/serve.md, "New titles").  The mapping is checked
-- against an independent plain-SQL computation (TF-IDF by the scikit-learn
-- formula, cosine, weighted average) on a three-title model.
CREATE TABLE cold_meta (title_id bigint PRIMARY KEY, description text, genres text[]);
INSERT INTO cold_meta VALUES
    (10, 'space ship crew', '{Sci-Fi}'),
    (20, 'farm horse family', '{Drama}'),
    (30, 'space farm', '{Sci-Fi,Drama}'),
    (40, 'space ship war ship', '{Sci-Fi}'),     -- new: shares words with 10 and 30
    (50, 'quiet lake', NULL);                     -- new: shares nothing with a trained title
-- users 1 (1, 0) and 2 (0, 1); titles 10 (1, 0), 20 (0, 1), 30 (1, 1)
SELECT nfrec.deploy('cold_small', nfrec.als_model_from_factors(
    '{1,2}', '{{1,0},{0,1}}', '{10,20,30}', '{{1,0},{0,1},{1,1}}',
    '{1,1,2}', '{10,30,20}', '{2,1,3}', alpha => 1, regularization => 0.5)) AS v0 \gset
SELECT nfrec.deploy_cold_titles('cold_small', 'cold_meta', neighbours => 2, config => 'simple') - :v0 AS versions_later;
SELECT * FROM nfrec.item_factors('cold_small');
SELECT options->'cold_titles' AS cold_titles, (options->'cold_start') - 'from_version' AS cold_start,
       (options->'cold_start'->>'from_version')::bigint = :v0 AS from_trained_version,
       options->>'regularization' AS regularization, title_counts, training_events, users
  FROM nfrec.model_store WHERE name = 'cold_small' AND is_current;

-- Independent computation: tokens (words, and 'genre:<name>' twice),
-- tf-idf = count * (ln((1 + N) / (1 + df)) + 1) over the N = 5 rows,
-- L2-normalized; title 40's two nearest trained titles by cosine, and the
-- cosine-weighted average of their factors.
WITH tok AS (
    SELECT title_id, w AS term FROM cold_meta, regexp_split_to_table(description, ' ') w
    UNION ALL
    SELECT title_id, 'genre:' || lower(g) FROM cold_meta, unnest(genres) g, generate_series(1, 2)
), tf AS (SELECT title_id, term, count(*) AS n FROM tok GROUP BY 1, 2),
df AS (SELECT term, count(*) AS df FROM tf GROUP BY 1),
raw AS (SELECT tf.title_id, tf.term, tf.n * (ln(6.0 / (1 + df.df)) + 1) AS x FROM tf JOIN df USING (term)),
vec AS (SELECT title_id, term, x / sqrt(sum(x * x) OVER (PARTITION BY title_id)) AS x FROM raw),
cos AS (SELECT b.title_id, sum(a.x * b.x) AS c FROM vec a JOIN vec b USING (term)
         WHERE a.title_id = 40 AND b.title_id IN (10, 20, 30) GROUP BY 1 ORDER BY 2 DESC LIMIT 2),
y(title_id, f) AS (VALUES (10, '{1,0}'::float8[]), (20, '{0,1}'), (30, '{1,1}')),
want AS (SELECT sum(c * f[1]) / sum(c) AS y1, sum(c * f[2]) / sum(c) AS y2,
                array_agg(cos.title_id ORDER BY c DESC) AS nb FROM cos JOIN y USING (title_id))
SELECT want.nb, round(want.y1::numeric, 6) AS y1, round(want.y2::numeric, 6) AS y2,
       abs(got.factors[1] - want.y1) < 1e-6 AND abs(got.factors[2] - want.y2) < 1e-6 AS agrees
  FROM want, nfrec.item_factors('cold_small') got WHERE got.title_id = 40;

-- Serving picks the new title up: user 1 (1, 0) gets it (10 and 30 are
-- watched); its neighbours are trained titles (min_support counts training
-- users, and the anchor itself is not filtered); as a neighbour of a
-- trained title it needs min_support 0 (it has no training users), and it
-- gets only the cosine term of the blend (no co-occurrence: no events):
-- (1 - 0.5) x 0.9446 below 30's 0.5 x 0.7071 + 0.5 x 1.
SELECT * FROM nfrec.recommend_for(1, 5, 'cold_small');
SELECT * FROM nfrec.similar_titles(40, 5, 'cold_small', min_support => 1);
SELECT * FROM nfrec.similar_titles(10, 5, 'cold_small', min_support => 1);
SELECT * FROM nfrec.similar_titles(10, 5, 'cold_small', min_support => 0);

-- Again with nothing new: nothing deployed, the current version returned.
SELECT nfrec.deploy_cold_titles('cold_small', 'cold_meta', neighbours => 2, config => 'simple')
       = nfrec.model_version('cold_small') AS same_version;
-- A title added later: earlier mapped titles are mapped afresh (they are
-- not trained titles), so 40 keeps its factors and 60 joins it.
INSERT INTO cold_meta VALUES (60, 'family farm', '{Drama}');
SELECT nfrec.deploy_cold_titles('cold_small', 'cold_meta', neighbours => 2, config => 'simple') > :v0 AS deployed;
SELECT * FROM nfrec.item_factors('cold_small');
SELECT options->'cold_titles' AS cold_titles FROM nfrec.model_store WHERE name = 'cold_small' AND is_current;

-- Bad input.
\set VERBOSITY sqlstate
SELECT nfrec.deploy_cold_titles(NULL, 'cold_meta');
SELECT nfrec.deploy_cold_titles('cold_small', NULL);
SELECT nfrec.deploy_cold_titles('cold_small', 'cold_meta', neighbours => NULL);
SELECT nfrec.deploy_cold_titles('no_such_model', 'cold_meta');
SELECT nfrec.deploy_cold_titles('cold_small', 'cold_meta', neighbours => 0);
SELECT nfrec.deploy_cold_titles('cold_small', 'cold_meta', neighbours => 1001);
CREATE TABLE cold_bad (title_id bigint, description text);
SELECT nfrec.deploy_cold_titles('cold_small', 'cold_bad');
CREATE TABLE cold_badtype (title_id text, description text, genres text[]);
SELECT nfrec.deploy_cold_titles('cold_small', 'cold_badtype');
CREATE SEQUENCE cold_seq;
SELECT nfrec.deploy_cold_titles('cold_small', 'cold_seq');
\set VERBOSITY default
SELECT nfrec.drop_model('cold_small');
DROP TABLE cold_meta, cold_bad, cold_badtype;
DROP SEQUENCE cold_seq;
