
-- ---------------------------------------------------------------------
-- The module
-- ---------------------------------------------------------------------

CREATE FUNCTION blas_info(OUT corename text, OUT config text, OUT threads int)
    AS 'MODULE_PATHNAME', 'blas_info'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION blas_info() IS
    'the CPU kernel set OpenBLAS picked in this backend (corename), its build configuration and its thread count; a generic corename (Prescott, Nehalem) on a modern CPU means OPENBLAS_CORETYPE should be set in the server''s environment (README, OpenBLAS)';
