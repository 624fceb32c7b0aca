-- test/upgrade/freeze-models.sql -- freeze model values of the current release.
--
-- Run once per release, against a database with that release installed,
-- before the next release changes any C code:
--     psql -X -At -q -v ON_ERROR_STOP=1 -d DB -f test/upgrade/freeze-models.sql > test/upgrade/models-X.Y.Z.sql
-- The output inserts the text form of two models (one built from given
-- factors, one trained by als_train) together with what they must show in
-- any later release: their model_info and checksums of their factors.
-- test/t/upgrade.sh loads them under the old release and after the update.
\set QUIET on
SET extra_float_digits = 1;
CREATE TEMP TABLE frozen_models (name text, m nfrec.als_model);
INSERT INTO frozen_models
SELECT 'frozen_factors', nfrec.als_model_from_factors(
    (SELECT array_agg(u::bigint ORDER BY u) FROM generate_series(1, 6) u),
    (SELECT array_agg(ARRAY[(u % 3) * 0.25, (u % 2) * 0.5 - 0.25, u * 0.125]::real[] ORDER BY u)
       FROM generate_series(1, 6) u),
    (SELECT array_agg(t::bigint ORDER BY t) FROM generate_series(1, 8) t),
    (SELECT array_agg(ARRAY[t * 0.25, (t % 3) * 0.5 - 0.5, 1 - t * 0.125]::real[] ORDER BY t)
       FROM generate_series(1, 8) t),
    (SELECT array_agg(u::bigint ORDER BY u, t) FROM generate_series(1, 6) u, generate_series(1, 8) t WHERE (u + t) % 3 = 0),
    (SELECT array_agg(t::bigint ORDER BY u, t) FROM generate_series(1, 6) u, generate_series(1, 8) t WHERE (u + t) % 3 = 0),
    (SELECT array_agg((1 + (u * t) % 4)::real ORDER BY u, t) FROM generate_series(1, 6) u, generate_series(1, 8) t WHERE (u + t) % 3 = 0),
    alpha => 2, regularization => 0.5);
INSERT INTO frozen_models
SELECT 'frozen_trained',
       nfrec.als_train(u, t, 1 + (u + t) % 3,
                       '{"factors": 4, "iterations": 3, "seed": 11, "threads": 1, "verbose": false}')
  FROM generate_series(1, 30) u, generate_series(1, 20) t WHERE (u * 7 + t * 3) % 5 = 0;

SELECT format('-- model values frozen by test/upgrade/freeze-models.sql under nfrec %s; do not edit',
              (SELECT extversion FROM pg_extension WHERE extname = 'nfrec'));
SELECT format('INSERT INTO upgrade_probe.frozen (name, info, item_md5, user_md5, m_text) VALUES (%L, %L, %L, %L,'
              || E'\n%L);',
              f.name, nfrec.model_info(f.m) - 'bytes',
              (SELECT md5(string_agg(id || ':' || factors::text, ',' ORDER BY id))
                 FROM nfrec._als_factors(f.m, 'item')),
              (SELECT md5(string_agg(id || ':' || factors::text, ',' ORDER BY id))
                 FROM nfrec._als_factors(f.m, 'user')),
              f.m::text)
  FROM frozen_models f ORDER BY f.name;
