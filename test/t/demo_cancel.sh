#!/usr/bin/env bash
# test/t/demo_cancel.sh -- the demo generator stops promptly on
# statement_timeout (every long loop checks for interrupts) and a cancelled
# nfrec.generate_demo leaves no table behind.
set -euo pipefail

db=nfrec_demo_cancel
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION nfrec; CREATE SCHEMA d;"

fail=0
# run SQL under a 1 s statement_timeout; it must be cancelled within 2.5 s
cancel_check() {
	local what=$1 sql=$2 start end ms out
	start=$(date +%s%N)
	out=$(psql -X -d "$db" -c "SET search_path = d; SET statement_timeout = '1s'; $sql" 2>&1 || true)
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	if echo "$out" | grep -q "canceling statement due to statement timeout" && [ "$ms" -lt 2500 ]; then
		echo "ok: $what cancelled after ${ms} ms"
	else
		echo "not ok: $what (${ms} ms): $out"
		fail=1
	fi
}

cancel_check "titles" "SELECT count(*) FROM nfrec._demo_titles(1000000, 365, 1, '2025-12-31', 0)"
cancel_check "users" "SELECT count(*) FROM nfrec._demo_users(5000000, 1000, 365, 1, '2025-12-31', 0, 1, true)"
cancel_check "events" "SELECT count(*) FROM (SELECT nfrec._demo_events(5000000, 1000, 365, 1, '2025-12-31', 0, 1, true) OFFSET 0) s"
cancel_check "generate_demo" "SELECT * FROM nfrec.generate_demo(users => 5000000, titles => 1000)"

left=$(psql -X -A -t -d "$db" -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'd'::regnamespace")
if [ "$left" = 0 ]; then
	echo "ok: nothing left behind"
else
	echo "not ok: $left relations left in schema d"
	fail=1
fi
exit $fail
