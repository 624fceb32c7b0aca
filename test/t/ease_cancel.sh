#!/usr/bin/env bash
# ease_train stops within a second on statement_timeout while LAPACK
# inverts the Gram matrix in its helper thread; the thread finishes alone,
# frees its buffer and exits (the backend is back to its thread count),
# and the session can train again.
#
# Needs PGHOST/PGPORT/PGUSER of a cluster with nfrec installed (test/run.sh
# exports them).
set -euo pipefail

db=nfrec_ease_cancel
psql_q() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
now_ms() { date +%s%3N; }
fail() { echo "FAIL: $*"; exit 1; }

dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
psql_q -c "CREATE EXTENSION nfrec"
# 7,000 titles: the rows take a fraction of a second, the inverse several
# seconds (more on a loaded machine)
psql_q -c "CREATE TABLE ev AS
           SELECT (g % 5000)::bigint AS u, (g % 7000)::bigint AS i, 1::float8 AS w
           FROM generate_series(1, 70000) g"
train="SELECT nfrec.ease_train(u, i, w, '{\"verbose\": false}') IS NOT NULL FROM ev"

out=$(mktemp)
trap 'rm -f "$out"; dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
start=$(now_ms)
psql -X -d "$db" >"$out" 2>&1 <<SQL || true
SELECT nfrec.model_info(nfrec.ease_train(1, 1, 1, '{"verbose": false}')) IS NOT NULL AS loaded;
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task');
SELECT 'threads_before=' || n FROM before;
SET statement_timeout = '1s';
\timing on
$train;
\timing off
RESET statement_timeout;
SELECT 'threads_during=' || count(*) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task');
-- the abandoned thread finishes its inverse and exits
DO \$\$
BEGIN
  FOR k IN 1..600 LOOP
    EXIT WHEN (SELECT count(*) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task')) = (SELECT n FROM before);
    PERFORM pg_sleep(0.1);
  END LOOP;
END \$\$;
SELECT 'threads_after=' || count(*) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task');
SELECT 'retrain=' || (nfrec.model_info(nfrec.ease_train(u, i, w, '{"verbose": false}'))->>'titles') FROM ev WHERE i < 100;
SQL
cat "$out"
grep -q "canceling statement due to statement timeout" "$out" || fail "no statement timeout error"
ms=$(sed -n 's/^Time: \([0-9]*\)\..*/\1/p' "$out" | head -1)
[ -n "$ms" ] && [ "$ms" -lt 2500 ] || fail "ease_train did not stop within a second of the timeout (${ms:-?} ms)"
before=$(grep -o "threads_before=[0-9]*" "$out" | cut -d= -f2)
after=$(grep -o "threads_after=[0-9]*" "$out" | cut -d= -f2)
during=$(grep -o "threads_during=[0-9]*" "$out" | cut -d= -f2)
echo "threads: $before before, $during right after the timeout, $after at the end"
[ -n "$before" ] && [ "$before" = "$after" ] || fail "helper thread still alive ($before before, $after after)"
grep -q "retrain=100\$" "$out" || fail "could not train again after the timeout"
echo "statement_timeout 1s: error after ${ms} ms; the helper thread exited afterwards"
