#!/usr/bin/env bash
# test/bench/ease.sh -- EASE against ALS defaults (chosen from the data)
# and popularity on demo data sets (doc/ease.md): recall@10, ndcg@10,
# catalog coverage, training seconds and the training backend's peak
# resident memory.
#
#   NFREC_PORT=54407 bash test/bench/ease.sh [dataset ...]
#
# Needs a running cluster with nfrec installed (test/run.sh with
# NFREC_KEEP=1).  Data sets (generate_demo arguments):
#   demo    users 20000, titles 3000 (days 365, activity 1)
#   sparse  users 20000, titles 3000, days 180, activity 0.5
#   wide    users 10000, titles 6000, activity 0.5
# Each: 20 % of (user, title) pairs held out with nfrec.holdout(.., 0.2, 1),
# models trained on the rest, nfrec.evaluate at k = 10 (training titles
# excluded).  EASE is trained at lambda in $EASE_LAMBDAS.  Peak memory is
# VmHWM of a fresh backend right after training (it includes the shared
# buffers the backend touched).
set -euo pipefail
port=${NFREC_PORT:?set NFREC_PORT}
db=${EASE_BENCH_DB:-ease_bench}
lambdas=${EASE_LAMBDAS:-"50 100 200 500 1000"}
sets=${*:-demo sparse wide}
q() { psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 -At "$@"; }

psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -At \
	-c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
	psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE $db"
q -c "CREATE EXTENSION IF NOT EXISTS nfrec"

echo "# $(date -u '+%F %T UTC'), load: $(uptime | sed 's/.*load average: //')"
printf '%-7s %-22s %8s %8s %8s %9s %8s\n' set model recall ndcg coverage train_s peak_mb
for s in $sets; do
	case $s in
		demo) args="users => 20000, titles => 3000" ;;
		sparse) args="users => 20000, titles => 3000, days => 180, activity => 0.5" ;;
		wide) args="users => 10000, titles => 6000, activity => 0.5" ;;
		*) echo "unknown data set $s" >&2; exit 2 ;;
	esac
	if ! q -c "SELECT 1 FROM pg_namespace WHERE nspname = '$s'" | grep -q 1; then
		q <<SQL
CREATE SCHEMA $s;
SELECT * FROM nfrec.generate_demo($args, seed => 1, schema => '$s');
CREATE TABLE $s.train AS SELECT * FROM $s.interactions WHERE NOT nfrec.holdout(user_id, title_id, 0.2, 1);
CREATE TABLE $s.test AS SELECT user_id, title_id FROM $s.interactions WHERE nfrec.holdout(user_id, title_id, 0.2, 1);
ANALYZE $s.train; ANALYZE $s.test;
SQL
		q -c "SELECT '# $s: ' || count(DISTINCT user_id) || ' users, ' || count(DISTINCT title_id) || ' titles, ' || count(*) || ' training pairs, ' || round(count(*)::numeric / count(DISTINCT user_id), 1) || ' per user' FROM $s.train"
	fi
	run() {	# label, aggregate call
		q <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS $s.m;
CREATE TABLE $s.m AS SELECT $2 AS m FROM $s.train;
SELECT (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmHWM:\s+(\d+)'))[1]::bigint / 1024 AS peak \gset
SELECT format('%-7s %-22s %8s %8s %8s %9s %8s', '$s', '$1', round(e.recall::numeric, 4), round(e.ndcg::numeric, 4),
              round(e.coverage::numeric, 4), round((nfrec.model_info(m)->>'train_seconds')::numeric, 2), :peak)
  FROM $s.m, nfrec.evaluate(m, '$s.test', 10) e;
SQL
	}
	q -c "SELECT format('%-7s %-22s %8s %8s %8s %9s %8s', '$s', 'popularity', round(e.pop_recall::numeric, 4), round(e.pop_ndcg::numeric, 4), round(e.pop_coverage::numeric, 4), '-', '-') FROM nfrec.evaluate((SELECT nfrec.ease_train(user_id, title_id, weight, '{\"verbose\": false}') FROM $s.train), '$s.test', 10) e"
	run "als defaults" "nfrec.als_train(user_id, title_id, weight)"
	for l in $lambdas; do
		run "ease lambda $l" "nfrec.ease_train(user_id, title_id, weight, '{\"lambda\": $l, \"max_titles\": 15000, \"verbose\": false}')"
	done
done
