-- blas_info: which OpenBLAS kernels this backend uses (the values depend on
-- the machine, so only their shape is checked here).
SELECT corename <> '' AS has_corename,
       config LIKE 'OpenBLAS %' AS is_openblas,
       strpos(config, corename) > 0 AS config_names_core,
       threads = 1 AS one_blas_thread
  FROM nfrec.blas_info();
-- labels
SELECT provolatile, proparallel, proisstrict
  FROM pg_proc WHERE oid = 'nfrec.blas_info'::regproc;
-- _PG_init reserves the prefix "nfrec" (the library is loaded above): a
-- misspelt nfrec setting is an error, not a silent placeholder
SET nfrec.modle = 'nightly';
\set VERBOSITY sqlstate
SET nfrec.modle = 'nightly';
\set VERBOSITY default
SET nfrec.model = '';
