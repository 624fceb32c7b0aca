-- als_train options chosen from the data (doc/alstrain.md, "Defaults from
-- the data"): the model's options against the documented rule computed in
-- SQL, for U users, I titles, E distinct pairs, w = sum |weight| / E:
--   factors = 2^round(log2(E / U)) within 32 .. 64, alpha = 3 / w,
--   regularization = (1 + alpha w) U / 800 (divided by 2E / (U + I)
--   under frequency scaling).  Options given are kept.
CREATE FUNCTION dflt_rule(rel regclass, given_alpha float8 DEFAULT NULL, frequency bool DEFAULT false,
    OUT factors int, OUT alpha float8, OUT regularization float8)
LANGUAGE plpgsql AS $$
DECLARE u float8; i float8; e float8; w float8;
BEGIN
    EXECUTE format('SELECT count(DISTINCT user_id), count(DISTINCT title_id),
                           (SELECT count(*) FROM (SELECT DISTINCT user_id, title_id FROM %1$s) p),
                           sum(abs(weight)) FROM %1$s', rel) INTO u, i, e, w;
    w := w / e;
    IF w = 0 THEN w := 1; END IF;
    factors := least(64, greatest(32, power(2, round(log(2, (e / u)::numeric)))))::int;
    alpha := coalesce(given_alpha, 3 / w);
    regularization := (1 + alpha * w) * u / 800;
    IF frequency THEN regularization := regularization / (2 * e / (u + i)); END IF;
END $$;
-- does a model's options agree with the rule (to rounding of the sums)?
CREATE FUNCTION dflt_agree(got jsonb, rel regclass, given_alpha float8 DEFAULT NULL, frequency bool DEFAULT false)
RETURNS text LANGUAGE sql AS $$
    SELECT format('factors %s alpha %s regularization %s from_data %s',
        (got->>'factors')::int = r.factors,
        abs((got->>'alpha')::float8 / r.alpha - 1) < 1e-12,
        abs((got->>'regularization')::float8 / r.regularization - 1) < 1e-12,
        coalesce(got->>'from_data', 'none'))
      FROM dflt_rule(rel, given_alpha, frequency) r
$$;

-- Shape 1: 40 users x 12 titles, 6 titles each, play counts 1..3
-- (E / U = 6: 32 factors, the floor).
CREATE TABLE dflt_small AS
SELECT u AS user_id, (u * 7 + j * 5) % 12 AS title_id, (1 + (u + j) % 3)::float8 AS weight
  FROM generate_series(1, 40) u, generate_series(1, 6) j;
-- Shape 2: 30 users x 200 titles, 45 titles each, weights 0.25 or 0.5
-- (fractions of a title; E / U = 45: 2^round(5.49) = 32 factors, the
-- floor), plus one
-- duplicate row per user (summed: E counts distinct pairs).
CREATE TABLE dflt_wide AS
SELECT u AS user_id, (u * 13 + j * 3) % 200 AS title_id, (0.25 * (1 + (u * j) % 2))::float8 AS weight
  FROM generate_series(1, 30) u, generate_series(1, 45) j
UNION ALL SELECT u, (u * 13 + 3) % 200, 0.5 FROM generate_series(1, 30) u;

SELECT * FROM dflt_rule('dflt_small');
SELECT * FROM dflt_rule('dflt_wide');
SELECT 'small' AS data, dflt_agree(nfrec.model_info(m)->'options', 'dflt_small')
  FROM (SELECT nfrec.als_train(user_id, title_id, weight, '{"iterations": 2, "verbose": false}') m FROM dflt_small) s
UNION ALL
SELECT 'wide', dflt_agree(nfrec.model_info(m)->'options', 'dflt_wide')
  FROM (SELECT nfrec.als_train(user_id, title_id, weight, '{"iterations": 2, "verbose": false}') m FROM dflt_wide) s;
-- Shape 3: 12 users x 100 titles, 80 titles each, weight 1 (E / U = 80:
-- 2^round(6.32) = 64 factors, the cap; by hand alpha = 3 / 1 = 3 and
-- regularization = (1 + 3) * 12 / 800 = 0.06).
CREATE TABLE dflt_dense AS
SELECT u AS user_id, (u * 11 + j) % 100 AS title_id, 1.0::float8 AS weight
  FROM generate_series(1, 12) u, generate_series(1, 80) j;
SELECT factors, alpha, round(regularization::numeric, 12) AS regularization FROM dflt_rule('dflt_dense');
SELECT 'dense' AS data, dflt_agree(nfrec.model_info(m)->'options', 'dflt_dense')
  FROM (SELECT nfrec.als_train(user_id, title_id, weight, '{"iterations": 1, "verbose": false}') m FROM dflt_dense) s;
-- the header agrees with the options (model_info reads both)
SELECT (i->>'factors')::int = (i->'options'->>'factors')::int AS factors_agree,
       (i->>'alpha')::float8 = (i->'options'->>'alpha')::float8 AS alpha_agree,
       (i->>'regularization')::float8 = (i->'options'->>'regularization')::float8 AS regularization_agree
  FROM (SELECT nfrec.model_info(nfrec.als_train(user_id, title_id, weight, '{"iterations": 1, "verbose": false}')) i
          FROM dflt_wide) s;
-- the 4-argument form without options and a NULL options value: the same
-- rule (their progress NOTICEs are left out)
SET client_min_messages = warning;
SELECT dflt_agree(nfrec.model_info(nfrec.als_train(user_id, title_id, weight))->'options', 'dflt_small')
  FROM dflt_small;
SELECT dflt_agree(nfrec.model_info(nfrec.als_train(user_id, title_id, weight, NULL))->'options', 'dflt_small')
  FROM dflt_small;

RESET client_min_messages;

-- A given alpha is kept and the regularization computed with it; a given
-- factors is kept.
SELECT dflt_agree(nfrec.model_info(m)->'options', 'dflt_wide', given_alpha => 10)
  FROM (SELECT nfrec.als_train(user_id, title_id, weight, '{"alpha": 10, "iterations": 1, "verbose": false}') m FROM dflt_wide) s;
SELECT nfrec.model_info(m)->'options'->'factors' AS factors, nfrec.model_info(m)->'options'->'from_data' AS from_data
  FROM (SELECT nfrec.als_train(user_id, title_id, weight, '{"factors": 5, "iterations": 1, "verbose": false}') m FROM dflt_wide) s;
-- Frequency scaling: lambda per event, so divided by the mean events per row.
SELECT dflt_agree(nfrec.model_info(m)->'options', 'dflt_wide', frequency => true)
  FROM (SELECT nfrec.als_train(user_id, title_id, weight, '{"regularization_scaling": "frequency", "iterations": 1, "verbose": false}') m FROM dflt_wide) s;
-- Everything given: nothing from the data, no from_data key (the 0.1.0 form).
SELECT nfrec.model_info(nfrec.als_train(user_id, title_id, weight,
         '{"factors": 4, "alpha": 2, "regularization": 0.5, "iterations": 1, "verbose": false}'))->'options' AS options
  FROM dflt_small;

-- Negative weights count by their size; all-zero weights give alpha 3
-- (w is taken as 1: alpha does not matter then).
CREATE TABLE dflt_signed AS
SELECT user_id, title_id, CASE WHEN (user_id + title_id) % 4 = 0 THEN -weight ELSE weight END AS weight FROM dflt_small;
SELECT dflt_agree(nfrec.model_info(m)->'options', 'dflt_signed')
  FROM (SELECT nfrec.als_train(user_id, title_id, weight, '{"iterations": 1, "verbose": false}') m FROM dflt_signed) s;
SELECT nfrec.model_info(m)->'options'->'alpha' AS alpha
  FROM (SELECT nfrec.als_train(user_id, title_id, 0, '{"iterations": 1, "verbose": false}') m FROM dflt_small) s;
-- One user, one title: the floor of 32 factors, lambda (1 + 3) * 1 / 800.
SELECT (nfrec.model_info(m)->'options') - 'seed' - 'solver' - 'cg_steps' AS options
  FROM (SELECT nfrec.als_train(7, 9, 4.0, '{"iterations": 1, "verbose": false}') m) s;

-- A model with from_data reads back (text and binary forms); a crafted
-- from_data that is not an array is refused on input.
SELECT nfrec.model_info(m::text::nfrec.als_model)->'options'->'from_data' AS from_data
  FROM (SELECT nfrec.als_train(user_id, title_id, weight, '{"iterations": 1, "verbose": false}') m FROM dflt_small) s;
\set VERBOSITY sqlstate
SELECT nfrec.model_info(replace(m::text, encode('["factors", "alpha", "regularization"]', 'hex'),
                                 encode('"factors alpha regularization"        ', 'hex'))::nfrec.als_model)
  FROM (SELECT nfrec.als_train(user_id, title_id, weight, '{"iterations": 1, "verbose": false}') m FROM dflt_small) s;
\set VERBOSITY default
DROP TABLE dflt_small, dflt_wide, dflt_signed;
DROP FUNCTION dflt_agree(jsonb, regclass, float8, bool), dflt_rule(regclass, float8, bool);
