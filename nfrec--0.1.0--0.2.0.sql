-- nfrec 0.1.0 -> 0.2.0 (ALTER EXTENSION nfrec UPDATE TO '0.2.0')
--
-- Every object that 0.2.0 adds or changes, so that an installation of
-- 0.1.0 ends up with the same objects as a fresh CREATE EXTENSION of 0.2.0
-- (test/t/upgrade.sh compares the two).  Grouped by feature, in the order
-- of src/sql/.  Model values and registry rows of 0.1.0 stay valid.

\echo Use "ALTER EXTENSION nfrec UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- The module
-- ---------------------------------------------------------------------

CREATE FUNCTION blas_info(OUT corename text, OUT config text, OUT threads int)
    AS 'MODULE_PATHNAME', 'blas_info'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION blas_info() IS
    'the CPU kernel set OpenBLAS picked in this backend (corename), its build configuration and its thread count; a generic corename (Prescott, Nehalem) on a modern CPU means OPENBLAS_CORETYPE should be set in the server''s environment (README, OpenBLAS)';
