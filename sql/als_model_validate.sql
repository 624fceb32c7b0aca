-- nfrec.als_model input is untrusted: every field of a value given as text
-- (hex) or in binary (COPY ... FORMAT binary, the receive function) is
-- checked, format 1 values are converted, and no crafted value reaches the
-- registry.
--
-- Offsets below are of the text/binary form, which is the value without
-- its 4-byte varlena header (als_model.h): magic 0, version 4, factors 8,
-- users 12, titles 16, events 20 (int64), iterations 28, options_len 32,
-- loss 36, train_seconds 44, trained_at 52, alpha 60, regularization 68,
-- options text 76.  All little-endian.

-- helpers: model <-> bytea, little-endian fields, byte surgery
CREATE FUNCTION pg_temp.b(m nfrec.als_model) RETURNS bytea
    LANGUAGE sql AS $$ SELECT decode(substr(m::text, 3), 'hex') $$;
CREATE FUNCTION pg_temp.t(b bytea) RETURNS text
    LANGUAGE sql AS $$ SELECT '\x' || encode(b, 'hex') $$;
CREATE FUNCTION pg_temp.le(b bytea) RETURNS bytea
    LANGUAGE sql AS $$ SELECT string_agg(substr(b, i, 1), ''::bytea ORDER BY i DESC)
                         FROM generate_series(1, length(b)) i $$;
CREATE FUNCTION pg_temp.put(b bytea, off int, v bytea) RETURNS bytea
    LANGUAGE sql AS $$ SELECT overlay(b PLACING v FROM off + 1) $$;
CREATE FUNCTION pg_temp.i4(v int) RETURNS bytea LANGUAGE sql AS $$ SELECT pg_temp.le(int4send(v)) $$;
CREATE FUNCTION pg_temp.i8(v bigint) RETURNS bytea LANGUAGE sql AS $$ SELECT pg_temp.le(int8send(v)) $$;
CREATE FUNCTION pg_temp.f4(v real) RETURNS bytea LANGUAGE sql AS $$ SELECT pg_temp.le(float4send(v)) $$;
CREATE FUNCTION pg_temp.f8(v float8) RETURNS bytea LANGUAGE sql AS $$ SELECT pg_temp.le(float8send(v)) $$;
-- replace the options text (re-padded; everything after it keeps its layout)
CREATE FUNCTION pg_temp.with_options(b bytea, opts text) RETURNS bytea
    LANGUAGE sql AS $$
    SELECT pg_temp.put(substr(b, 1, 76), 32, pg_temp.i4(padded))
           || convert_to(opts, 'UTF8') || decode(repeat('00', padded - octet_length(opts)), 'hex')
           || substr(b, 77 + (SELECT get_byte(b, 32) + 256 * get_byte(b, 33) + 65536 * get_byte(b, 34)))
      FROM (SELECT (octet_length(opts) + 1 + 7) / 8 * 8 AS padded) p $$;

-- The model used below: 2 users, 3 titles, 2 factors, 2 events (three
-- rows, two of them for the same user and title).
CREATE TEMP TABLE v AS
SELECT pg_temp.b(nfrec.als_model_from_factors(
    '{2,1}', '{{0,1},{1,0}}',
    '{30,10,20}', '{{1,1},{1,0},{0,1}}',
    '{1,1,2}', '{10,10,30}', '{1,2,3}')) AS b;
SELECT octet_length(b) AS bytes, convert_from(rtrim(substr(b, 77, 112), '\x00'::bytea), 'UTF8') AS options FROM v;
-- the helpers reproduce a valid value byte for byte
SELECT pg_temp.with_options(b, convert_from(rtrim(substr(b, 77, 112), '\x00'::bytea), 'UTF8')) = b AS same,
       pg_temp.t(b)::nfrec.als_model IS NOT NULL AS valid FROM v;

\set VERBOSITY default
-- Layout after the options (n = 324 bytes): user ids n-136, title ids
-- n-120, event pointers n-96 (3 x int64), event titles n-72 (2 x int32),
-- weights n-64, title counts n-56 (3 + padding), user factors n-40,
-- title factors n-24.
-- non-finite factors, weights and counts
SELECT pg_temp.t(pg_temp.put(b, octet_length(b) - 4, pg_temp.f4('NaN')))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, octet_length(b) - 40, pg_temp.f4('Infinity')))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, octet_length(b) - 64, pg_temp.f4('-Infinity')))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, octet_length(b) - 56, pg_temp.f4('NaN')))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, octet_length(b) - 56, pg_temp.f4(-1)))::nfrec.als_model FROM v;
-- header numbers: alpha, regularization, loss, iterations, trained_at
SELECT pg_temp.t(pg_temp.put(b, 60, pg_temp.f8('NaN')))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 60, pg_temp.f8(-1)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 68, pg_temp.f8(0)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 68, pg_temp.f8(-0.5)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 68, pg_temp.f8('Infinity')))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 36, pg_temp.f8('NaN')))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 44, pg_temp.f8(-1)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 28, pg_temp.i4(-1)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 52, pg_temp.i8(9223372036854775807)))::nfrec.als_model FROM v;
-- a confidence 1 + alpha |w| that overflows real (weight 3: alpha 1e38
-- is fine, 2e38 is not)
SELECT pg_temp.t(pg_temp.put(b, 60, pg_temp.f8(1e38)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 60, pg_temp.f8(2e38)))::nfrec.als_model FROM v;
-- sizes: counts that do not fit the value, or overflow 32-bit arithmetic
SELECT pg_temp.t(pg_temp.put(b, 12, pg_temp.i4(2147483647)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 20, pg_temp.i8(4611686018427387904)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 32, pg_temp.i4(2147483640)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, 8, pg_temp.i4(1073741824)))::nfrec.als_model FROM v;
-- events: pointer out of order, title index out of range, a user's
-- titles not strictly ascending, ids not ascending
SELECT pg_temp.t(pg_temp.put(b, octet_length(b) - 88, pg_temp.i8(3)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, octet_length(b) - 96, pg_temp.i8(1)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, octet_length(b) - 72, pg_temp.i4(3)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, octet_length(b) - 72, pg_temp.i4(-1)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(pg_temp.put(b, octet_length(b) - 88, pg_temp.i8(0)),
                             octet_length(b) - 72, pg_temp.i4(2)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, octet_length(b) - 136, pg_temp.i8(2)))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(b, octet_length(b) - 104, pg_temp.i8(10)))::nfrec.als_model FROM v;
-- options: not JSON, not an object, unknown key, values that disagree
-- with the header, bad choices, hidden bytes in the padding
SELECT pg_temp.t(pg_temp.with_options(b, '{"factors": 2,'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '[2]'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '"factors"'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"users": 999999}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"titles": 2}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"factors": 3}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"factors": "2"}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"alpha": 39}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"regularization": 0.2}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"iterations": 15}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"solver": "lu"}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"regularization_scaling": "users"}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"cg_steps": 0}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"seed": 1e30}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"threads": 2}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, '{"factors": {"n": 2}}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.with_options(b, E'{"source": "factors\u00e9"}'))::nfrec.als_model FROM v;
SELECT pg_temp.t(pg_temp.put(pg_temp.with_options(b, '{}'), 79, '\x41'))::nfrec.als_model FROM v;
-- options that agree are fine (all keys optional; users/titles/events too)
SELECT nfrec.model_info(pg_temp.t(pg_temp.with_options(b,
    '{"factors": 2, "users": 2, "titles": 3, "events": 2, "alpha": 40.0, "regularization": 0.1, "source": "factors"}'))::nfrec.als_model)->'options' AS options
  FROM v;
SELECT nfrec.model_info(pg_temp.t(pg_temp.with_options(b, '{}'))::nfrec.als_model)->'options' AS options FROM v;

-- The same checks guard binary input (COPY FORMAT binary calls receive).
SELECT current_setting('data_directory') || '/nfrec_als_model_validate.bin' AS binfile \gset
CREATE TEMP TABLE raw (b bytea);
CREATE TEMP TABLE models (m nfrec.als_model);
INSERT INTO raw SELECT b FROM v;
COPY raw TO :'binfile' (FORMAT binary);
COPY models FROM :'binfile' (FORMAT binary);
SELECT nfrec.model_info(m)->'users' AS users FROM models;
TRUNCATE raw;
INSERT INTO raw SELECT pg_temp.put(b, 68, pg_temp.f8(0)) FROM v;
COPY raw TO :'binfile' (FORMAT binary);
COPY models FROM :'binfile' (FORMAT binary);
TRUNCATE raw;
INSERT INTO raw SELECT pg_temp.with_options(b, '{"users": 999999}') FROM v;
COPY raw TO :'binfile' (FORMAT binary);
COPY models FROM :'binfile' (FORMAT binary);

-- Format 1 (before 0.1.0's release) had no trained_at: the same bytes
-- without the 8 at offset 52, version 1.  This literal was made from
-- this file's model exactly so (the next statement checks it); the model
-- builder of commit 173c892^ wrote the same options text, and that
-- commit's own als_model_check and alsmodel.h accept the literal and read
-- its fields back (test/model_format1.sh compiles them to show it).
SELECT pg_temp.put(substr(b, 1, 52) || substr(b, 61), 4, pg_temp.i4(1))
     = '\x3152464e0100000002000000020000000300000002000000000000000000000070000000cdcccccccccc0440000000000000000000000000000044409a9999999999b93f7b22736f75726365223a2022666163746f7273222c2022666163746f7273223a20322c2022616c706861223a2034302c2022726567756c6172697a6174696f6e223a20302e312c2022726567756c6172697a6174696f6e5f7363616c696e67223a20226e6f6e65227d00000000000000010000000000000002000000000000000a0000000000000014000000000000001e00000000000000000000000000000001000000000000000200000000000000000000000200000000004040000040400000803f000000000000803f000000000000803f00000000000000000000803f0000803f00000000000000000000803f0000803f0000803f'::bytea
       AS literal_is_format_1_of_v FROM v;
SELECT nfrec.model_info('\x3152464e0100000002000000020000000300000002000000000000000000000070000000cdcccccccccc0440000000000000000000000000000044409a9999999999b93f7b22736f75726365223a2022666163746f7273222c2022666163746f7273223a20322c2022616c706861223a2034302c2022726567756c6172697a6174696f6e223a20302e312c2022726567756c6172697a6174696f6e5f7363616c696e67223a20226e6f6e65227d00000000000000010000000000000002000000000000000a0000000000000014000000000000001e00000000000000000000000000000001000000000000000200000000000000000000000200000000004040000040400000803f000000000000803f000000000000803f00000000000000000000803f0000803f00000000000000000000803f0000803f0000803f'::nfrec.als_model)
    - 'bytes' AS format_1_info;
-- converted on input: the current format, identical to the original
SELECT pg_temp.t(pg_temp.put(substr(b, 1, 52) || substr(b, 61), 4, pg_temp.i4(1)))::nfrec.als_model::text
     = pg_temp.t(b) AS converted FROM v;
-- a trained model (trained_at set) in format 1: everything but trained_at survives
CREATE TEMP TABLE tr AS
SELECT nfrec.als_train(u, i, 1, '{"factors": 2, "iterations": 2, "verbose": false, "threads": 1}') AS m
  FROM generate_series(1, 4) u, generate_series(1, 3) i WHERE (u + i) % 2 = 0;
SELECT nfrec.model_info(m) ? 'trained_at' AND nfrec.model_info(m)->>'trained_at' IS NOT NULL AS trained_at_set,
       nfrec.model_info(pg_temp.t(pg_temp.put(substr(pg_temp.b(m), 1, 52) || substr(pg_temp.b(m), 61), 4, pg_temp.i4(1)))::nfrec.als_model)
     = jsonb_set(nfrec.model_info(m), '{trained_at}', 'null') AS same_but_trained_at
  FROM tr;
-- and deploys
SELECT nfrec.deploy('format1', pg_temp.t(pg_temp.put(substr(b, 1, 52) || substr(b, 61), 4, pg_temp.i4(1)))::nfrec.als_model) > 0 AS deployed FROM v;
SELECT users, titles, trained_at FROM nfrec.model_store WHERE name = 'format1';
SELECT nfrec.drop_model('format1');
-- format 1 values are checked like any other
SELECT pg_temp.t(pg_temp.put(pg_temp.put(substr(b, 1, 52) || substr(b, 61), 4, pg_temp.i4(1)), 60, pg_temp.f8(0)))::nfrec.als_model FROM v;
SELECT '\x3152464e01000000'::nfrec.als_model;
SELECT '\x3152464e0300000002000000'::nfrec.als_model;

-- Fuzz: every byte of the value flipped five ways, and every prefix; through
-- text input and (for two of the flips and every fourth prefix) binary
-- input.  Each attempt either gives a valid model (a flip inside a factor,
-- say), which model_info and the row forms then read, or an error with one
-- of the data-exception SQLSTATEs; a crash would end this session.
CREATE TEMP TABLE fuzz (how text, pos int, state text);
DO $$
DECLARE
    orig bytea := (SELECT b FROM v);
    n int := octet_length(orig);
    x bytea;
    m nfrec.als_model;
    st text;
    masks int[] := ARRAY[1, 16, 128, 255, -1];   -- -1: set the byte to 0
    k int;
    f text := current_setting('data_directory') || '/nfrec_als_model_validate.bin';
BEGIN
    FOR pos IN 0 .. n - 1 LOOP
        FOREACH k IN ARRAY masks LOOP
            x := set_byte(orig, pos, CASE WHEN k < 0 THEN 0 ELSE get_byte(orig, pos) # k END);
            IF x = orig THEN CONTINUE; END IF;
            BEGIN
                m := pg_temp.t(x)::nfrec.als_model;
                PERFORM nfrec.model_info(m), nfrec._model_store_row(m);
                PERFORM count(*) FROM nfrec._model_user_rows(m);
                st := 'ok';
            EXCEPTION WHEN OTHERS THEN
                st := SQLSTATE;
            END;
            INSERT INTO fuzz VALUES ('flip text', pos, st);
            IF k IN (1, 128) THEN
                BEGIN
                    TRUNCATE raw, models;
                    INSERT INTO raw VALUES (x);
                    EXECUTE format('COPY raw TO %L (FORMAT binary)', f);
                    EXECUTE format('COPY models FROM %L (FORMAT binary)', f);
                    st := 'ok';
                EXCEPTION WHEN OTHERS THEN
                    st := SQLSTATE;
                END;
                INSERT INTO fuzz VALUES ('flip binary', pos, st);
            END IF;
        END LOOP;
    END LOOP;
    FOR len IN 0 .. n - 1 LOOP
        BEGIN
            m := pg_temp.t(substr(orig, 1, len))::nfrec.als_model;
            st := 'ok';
        EXCEPTION WHEN OTHERS THEN
            st := SQLSTATE;
        END;
        INSERT INTO fuzz VALUES ('prefix text', len, st);
        IF len % 4 = 0 THEN
            BEGIN
                TRUNCATE raw, models;
                INSERT INTO raw VALUES (substr(orig, 1, len));
                EXECUTE format('COPY raw TO %L (FORMAT binary)', f);
                EXECUTE format('COPY models FROM %L (FORMAT binary)', f);
                st := 'ok';
            EXCEPTION WHEN OTHERS THEN
                st := SQLSTATE;
            END;
            INSERT INTO fuzz VALUES ('prefix binary', len, st);
        END IF;
    END LOOP;
END
$$;
SELECT how, count(*) AS attempts, count(*) FILTER (WHERE state = 'ok') AS valid,
       string_agg(DISTINCT state, ' ' ORDER BY state) FILTER (WHERE state <> 'ok') AS sqlstates
  FROM fuzz GROUP BY how ORDER BY how;
-- where the accepted flips lie: only in fields whose every value is
-- valid (factors, counts, weights, loss, timings) or that stay ordered
SELECT CASE WHEN pos < 36 THEN 'header sizes'
            WHEN pos < 52 THEN 'loss, train_seconds'
            WHEN pos < 60 THEN 'trained_at'
            WHEN pos < 76 THEN 'alpha, regularization'
            WHEN pos < 188 THEN 'options'
            WHEN pos < 228 THEN 'ids'
            WHEN pos < 252 THEN 'event pointers'
            WHEN pos < 260 THEN 'event titles'
            WHEN pos < 268 THEN 'weights'
            WHEN pos < 284 THEN 'title counts'
            ELSE 'factors' END AS field,
       count(*) AS accepted
  FROM fuzz WHERE state = 'ok' AND how LIKE 'flip%'
 GROUP BY 1 ORDER BY 1;
