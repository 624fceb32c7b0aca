#!/usr/bin/env bash
# als_train stops within a second on statement_timeout and on cancel, its
# worker threads are joined (the backend is back to one thread), and the
# session can train again afterwards.
#
# Needs PGHOST/PGPORT/PGUSER of a cluster with nfrec installed (test/run.sh
# exports them).
set -euo pipefail

db=nfrec_als_cancel
psql_q() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
now_ms() { date +%s%3N; }
fail() { echo "FAIL: $*"; exit 1; }

dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
psql_q -c "CREATE EXTENSION nfrec"
# 300k rows: aggregation takes a fraction of a second, training with many
# iterations takes minutes.
psql_q -c "CREATE TABLE ev AS
           SELECT (hashint4(g) & 32767)::bigint AS u, (hashint4(g * 7 + 1) & 4095)::bigint AS i,
                  1 + (hashint4(g * 13) & 3)::float8 AS w
           FROM generate_series(1, 300000) g"

train="SELECT nfrec.als_train(u, i, w, '{\"iterations\": 10000, \"threads\": 2, \"verbose\": false}') IS NOT NULL FROM ev"

# 1. statement_timeout, then the same session checks its thread count and
#    trains again.
out=$(mktemp)
start=$(now_ms)
psql -X -d "$db" >"$out" 2>&1 <<SQL || true
SELECT nfrec.model_info(nfrec.als_train(1, 1, 1, '{"iterations": 1, "factors": 1, "threads": 2, "verbose": false}')) IS NOT NULL AS loaded;
SELECT 'threads_before=' || count(*) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task');
SET statement_timeout = '1s';
$train;
SELECT 'threads_after=' || count(*) FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task');
RESET statement_timeout;
SELECT 'retrain=' || (nfrec.model_info(nfrec.als_train(u, i, w, '{"iterations": 1, "factors": 4, "verbose": false}'))->>'users') FROM ev;
SQL
elapsed=$(( $(now_ms) - start ))
cat "$out"
grep -q "canceling statement due to statement timeout" "$out" || fail "no statement timeout error"
# (OpenBLAS keeps its own threads: compare with the count before training)
before=$(grep -o "threads_before=[0-9]*" "$out" | cut -d= -f2)
after=$(grep -o "threads_after=[0-9]*" "$out" | cut -d= -f2)
[ -n "$before" ] && [ "$before" = "$after" ] || fail "worker threads still alive after the timeout ($before before, $after after)"
users=$(psql -X -At -d "$db" -c "SELECT count(DISTINCT u) FROM ev")
grep -q "retrain=$users\$" "$out" || fail "could not train again after the timeout"
echo "statement_timeout 1s: session done after ${elapsed} ms (includes a 1-iteration retrain)"

# timing of the timeout alone
start=$(now_ms)
psql -X -d "$db" -c "SET statement_timeout = '1s'" -c "$train" >"$out" 2>&1 || true
elapsed=$(( $(now_ms) - start ))
grep -q "canceling statement due to statement timeout" "$out" || fail "no statement timeout error"
echo "statement_timeout 1s: error after ${elapsed} ms"
[ "$elapsed" -lt 2500 ] || fail "training did not stop within a second of the timeout (${elapsed} ms)"

# 2. pg_cancel_backend from another session while training runs on two
#    threads
psql -X -d "$db" -c "SET application_name = 'als_cancel_victim'" -c "$train" >"$out" 2>&1 &
victim=$!
# a parallel plan shows its workers with the same query: the leader is the
# client backend; on failure, do not leave the training running
trap 'kill "$victim" 2>/dev/null || true; psql -X -q -d "$db" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"'"'als_cancel_victim'"'"'" >/dev/null 2>&1 || true; dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
pid=""
for _ in $(seq 1 100); do
	pid=$(psql -X -At -d "$db" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'als_cancel_victim' AND state = 'active' AND query LIKE '%als_train%' AND backend_type = 'client backend'")
	[ -n "$pid" ] && break
	sleep 0.1
done
[ -n "$pid" ] || fail "training query did not start"
sleep 1.5
nthreads=$(ls "/proc/$pid/task" | wc -l)
echo "backend $pid runs with $nthreads threads while training ($before when idle)"
[ "$nthreads" -gt "$before" ] || fail "training does not use worker threads"
start=$(now_ms)
psql -X -At -d "$db" -c "SELECT pg_cancel_backend($pid)" >/dev/null
wait "$victim" || true
elapsed=$(( $(now_ms) - start ))
cat "$out"
grep -q "canceling statement due to user request" "$out" || fail "no cancel error"
echo "pg_cancel_backend: training stopped after ${elapsed} ms"
[ "$elapsed" -lt 1500 ] || fail "training did not stop within a second of cancel (${elapsed} ms)"
rm -f "$out"
echo "ok"
