#!/usr/bin/env bash
# nfrec.retrain runs one at a time per name: while another session holds a
# name's retrain lock, a run of that name fails with 55P03 and is logged as
# failed (a run of another name is not held up); once the lock is gone the
# name retrains and deploys; and a run whose session is terminated mid-run
# leaves its row 'running' with no finished_at and deploys nothing.
source "$(dirname "$0")/../lib.sh"
PSQL=("$NFREC_PGBIN/psql" -X -At -v ON_ERROR_STOP=1)
db=nfrec_t_retrain_conc
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

"${PSQL[@]}" -d $db >/dev/null <<'SQL'
CREATE EXTENSION nfrec;
CREATE TABLE ev AS
SELECT u::bigint AS user_id, ((u % 5) * 8 + j)::bigint AS title_id, 1::real AS weight
  FROM generate_series(1, 200) u, generate_series(1, 8) j
 WHERE abs(hashint4(u * 100 + j)) % 10 < 6;
SQL
opts='{"factors": 8, "iterations": 5, "verbose": false}'

# another session holds the lock of name rc_m (as a running retrain does)
"${PSQL[@]}" -d $db -c "SELECT pg_advisory_lock(hashtext('nfrec.retrain'), hashtext('rc_m')), pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
for i in $(seq 1 50); do
	n=$("${PSQL[@]}" -d $db -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
	[ "$n" = 1 ] && break
	sleep 0.2
done
[ "$n" = 1 ] || fail "the lock holder did not start"

out=$("${PSQL[@]}" -d $db -v VERBOSITY=sqlstate -c "CALL nfrec.retrain('rc_m', 'ev', '$opts')" 2>&1) && fail "retrain ran while the name was locked"
echo "$out"
echo "$out" | grep -q 55P03 || fail "expected 55P03"
"${PSQL[@]}" -d $db -c "CALL nfrec.retrain('rc_other', 'ev', '$opts')" || fail "another name was held up"
# end the holder's session (killing psql alone leaves its backend asleep)
"${PSQL[@]}" -d $db -c "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted" >/dev/null
wait "$holder" 2>/dev/null || true; holder=
for i in $(seq 1 50); do
	n=$("${PSQL[@]}" -d $db -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
	[ "$n" = 0 ] && break
	sleep 0.2
done
"${PSQL[@]}" -d $db -c "CALL nfrec.retrain('rc_m', 'ev', '$opts')" || fail "retrain after the lock was released"
"${PSQL[@]}" -d $db -c "SELECT run_id, name, decision, version IS NOT NULL, message FROM nfrec.retrain_log ORDER BY run_id"
got=$("${PSQL[@]}" -d $db -c "SELECT string_agg(name || ':' || decision, ',' ORDER BY run_id) FROM nfrec.retrain_log")
[ "$got" = "rc_m:failed,rc_other:deployed,rc_m:deployed" ] || fail "log is $got"

# a run whose backend is terminated while it trains: its row stays
# 'running', nothing is deployed, the next run is not blocked
v=$("${PSQL[@]}" -d $db -c "SELECT nfrec.model_version('rc_m')")
"${PSQL[@]}" -d $db -c "CREATE TABLE slow AS SELECT * FROM ev; CREATE FUNCTION w(real) RETURNS real LANGUAGE sql AS 'SELECT \$1 FROM pg_sleep(0.01)'; CREATE VIEW slow_ev AS SELECT user_id, title_id, w(weight) AS weight FROM slow" >/dev/null
"${PSQL[@]}" -d $db -c "CALL nfrec.retrain('rc_m', 'slow_ev', '$opts')" >/dev/null 2>&1 &
bg=$!
for i in $(seq 1 100); do
	pid=$("${PSQL[@]}" -d $db -c "SELECT pid FROM pg_stat_activity WHERE query LIKE 'CALL nfrec.retrain(''rc_m'', ''slow_ev''%' AND state = 'active'")
	r=$("${PSQL[@]}" -d $db -c "SELECT count(*) FROM nfrec.retrain_log WHERE decision = 'running'")
	[ -n "$pid" ] && [ "$r" = 1 ] && break
	sleep 0.2
done
[ -n "$pid" ] && [ "$r" = 1 ] || fail "the slow run did not start"
"${PSQL[@]}" -d $db -c "SELECT pg_terminate_backend($pid)" >/dev/null
wait "$bg" 2>/dev/null || true
got=$("${PSQL[@]}" -d $db -c "SELECT decision || ':' || (finished_at IS NULL) FROM nfrec.retrain_log ORDER BY run_id DESC LIMIT 1")
[ "$got" = "running:true" ] || fail "terminated run logged as $got"
[ "$("${PSQL[@]}" -d $db -c "SELECT nfrec.model_version('rc_m')")" = "$v" ] || fail "terminated run changed the model"
"${PSQL[@]}" -d $db -c "CALL nfrec.retrain('rc_m', 'ev', '$opts')" || fail "retrain after a terminated run"
echo ok
