-- nfrec: recommendation and engagement analytics inside PostgreSQL.
--
-- This install script is assembled from src/sql/*.sql, one file per
-- feature, in file-name order.  Every object carries a COMMENT ON.

\echo Use "CREATE EXTENSION nfrec" to load this file. \quit
