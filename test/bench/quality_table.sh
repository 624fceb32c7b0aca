#!/usr/bin/env bash
# test/bench/quality_table.sh -- every model on every data set of the docs
# (doc/alstrain.md "All models on every data set", issue 9 "Numbers to
# report"): popularity, ALS with the data-driven defaults, the best cells of
# nfrec.als_tune's grid, and EASE (default lambda) -- recall@10, ndcg@10,
# catalog coverage and training seconds, printed as markdown.
#
#   NFREC_PORT=54701 bash test/bench/quality_table.sh [set ...]
#
# Needs a running cluster with nfrec installed (test/run.sh with
# NFREC_KEEP=1, or test/bench/run.sh quality_table).  Data sets (default:
# all six, run one after the other):
#   demo         nfrec.generate_demo(5000, 1500), the interactions view
#                (doc/alstrain.md "Defaults from the data")
#   sparse       test/quality/gen_sparse.sql: 20 K users x 5 K titles,
#                16 tastes, ~30 rows a user, skew 1.0, seed 0.42
#   skewed       gen_sparse.sql: 20 K users x 10 K titles, ~20 rows a user,
#                skew 1.3, seed 0.7
#   ease_demo    generate_demo(20000, 3000)                 (test/bench/ease.sh)
#   ease_sparse  generate_demo(20000, 3000, days 180, activity 0.5)
#   ease_wide    generate_demo(10000, 6000, activity 0.5)
# Each: (user, title) pairs summed, 20 % held out with
# nfrec.holdout(user_id, title_id, 0.2, 1), models trained on the rest,
# nfrec.evaluate(model, test, 10) (training titles excluded).
#   popularity   evaluate's baseline (pop_recall, ...)
#   ALS defaults nfrec.als_train with no options but threads 1 (so the
#                factors, alpha and regularization come from the data)
#   ALS grid     nfrec.als_tune over its default grid (factors {16, 32, 64}
#                x alpha {1, 5} x regularization {0.1, 30, 100}, 18 cells),
#                plus the cells doc/alstrain.md names as best that are not
#                in it; the best cell by ndcg and by recall are shown
#   EASE         nfrec.ease_train with its default lambda (200)
# Seconds are wall-clock seconds of the training query (scan + train; what
# als_tune reports), ALS on 1 thread, EASE's inverse on 1 thread; the load
# average is printed with each set.
# Knobs: QT_DB (database, default quality_table), QT_GRID (a grid for
# als_tune instead of its default, e.g. a narrower one for a slow set),
# QT_EXTRA_<set> (extra grid, JSON, run as a second als_tune), QT_RENDER_ONLY=1
# (print the tables again from the stored results, no training).  The
# "ALS 0.1.0 defaults" row (64 factors, alpha 1, lambda 0.1) is that cell
# of the grid.
set -euo pipefail
port=${NFREC_PORT:?set NFREC_PORT}
db=${QT_DB:-quality_table}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sets=${*:-demo sparse skewed ease_demo ease_sparse ease_wide}
q() { psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 -At "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -At \
	-c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
	psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE $db"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS nfrec"

# the cells doc/alstrain.md names as best that als_tune's default grid lacks
QT_EXTRA_demo=${QT_EXTRA_demo:-'{"factors": 32, "alpha": 5, "regularization": 10}'}

fmt() { printf '%.3f' "$1"; }

render() {	# print the table of set $1 from its stored results
	local s=$1
	echo
	echo "### $s: $(q -c "SELECT line FROM $s.meta LIMIT 1")"
	echo
	q -c "SELECT line FROM $s.meta OFFSET 1"
	echo
	q <<SQL
WITH g AS (SELECT * FROM $s.res WHERE model = 'grid'),
best AS (
  SELECT DISTINCT ON (options) * FROM (
    (SELECT 'ALS best cell by ndcg' AS label, * FROM g ORDER BY ndcg DESC, recall DESC LIMIT 1)
    UNION ALL
    (SELECT 'ALS best cell by recall', * FROM g ORDER BY recall DESC, ndcg DESC LIMIT 1)) b
  ORDER BY options, label DESC
), rows AS (
  SELECT model AS label, * FROM $s.res WHERE model <> 'grid'
  UNION ALL
  SELECT 'ALS 0.1.0 defaults', model, options, recall, ndcg, coverage, seconds, 2 FROM g WHERE options = '64, α 1, λ 0.1'
  UNION ALL
  SELECT CASE WHEN (SELECT count(*) FROM best) = 1 THEN 'ALS best cell' ELSE label END, model, options, recall, ndcg, coverage, seconds, 3 FROM best
)
SELECT '| model | options | recall@10 | ndcg@10 | coverage | seconds |'
UNION ALL SELECT '| --- | --- | --- | --- | --- | --- |'
UNION ALL
SELECT * FROM (
  SELECT format('| %s | %s | %s | %s | %s | %s |', label, options, to_char(recall, 'FM0.000'), to_char(ndcg, 'FM0.000'),
                to_char(coverage, 'FM0.000'), coalesce(to_char(seconds, 'FM990.0'), ''))
    FROM rows ORDER BY ord, label = 'ALS 0.1.0 defaults', label DESC) r;
SELECT '';
SELECT format('ALS defaults / best cell: recall %s %%, ndcg %s %%; ALS defaults / popularity: recall %s, ndcg %s',
              round(100 * d.recall / g.recall), round(100 * d.ndcg / g.ndcg),
              round((d.recall / p.recall)::numeric, 2), round((d.ndcg / p.ndcg)::numeric, 2))
  FROM $s.res d, $s.res p,
       (SELECT max(recall) AS recall, max(ndcg) AS ndcg FROM $s.res WHERE model = 'grid') g
 WHERE d.model = 'ALS defaults' AND p.model = 'popularity';
SQL
}

echo "# quality_table $(date -u '+%F %T UTC'), $(nproc) cores, load $(load)"
for s in $sets; do
	case $s in
		demo | ease_demo | ease_sparse | ease_wide)
			case $s in
				demo) args="users => 5000, titles => 1500" ;;
				ease_demo) args="users => 20000, titles => 3000" ;;
				ease_sparse) args="users => 20000, titles => 3000, days => 180, activity => 0.5" ;;
				ease_wide) args="users => 10000, titles => 6000, activity => 0.5" ;;
			esac
			gen="SELECT count(*) FROM nfrec.generate_demo($args, seed => 1, schema => '$s');
			     CREATE TABLE $s.pairs AS SELECT user_id, title_id, weight FROM $s.interactions;" ;;
		sparse | skewed)
			case $s in
				sparse) v="-v users=20000 -v titles=5000 -v tastes=16 -v per_user=30 -v skew=1.0 -v seed=0.42" ;;
				skewed) v="-v users=20000 -v titles=10000 -v tastes=16 -v per_user=20 -v skew=1.3 -v seed=0.7" ;;
			esac
			gen="" ;;
		*) echo "unknown data set $s" >&2; exit 2 ;;
	esac
	if [ "${QT_RENDER_ONLY:-0}" = 1 ]; then
		render "$s"
		continue
	fi
	if ! q -c "SELECT 1 FROM pg_namespace WHERE nspname = '$s'" | grep -q 1; then
		q -c "CREATE SCHEMA $s"
		if [ -n "$gen" ]; then
			q -c "SET client_min_messages = warning" -c "$gen" >/dev/null
		else
			# shellcheck disable=SC2086
			q $v -v name="$s.raw" -f "$here/../quality/gen_sparse.sql" >/dev/null
			q -c "CREATE TABLE $s.pairs AS SELECT user_id, title_id, sum(weight) AS weight FROM $s.raw GROUP BY 1, 2"
		fi
		q <<SQL
CREATE TABLE $s.train AS SELECT * FROM $s.pairs WHERE NOT nfrec.holdout(user_id, title_id, 0.2, 1);
CREATE TABLE $s.test AS SELECT user_id, title_id FROM $s.pairs WHERE nfrec.holdout(user_id, title_id, 0.2, 1);
ANALYZE $s.train; ANALYZE $s.test;
CREATE TABLE $s.res (model text, options text, recall float8, ndcg float8, coverage float8, seconds float8, ord int);
CREATE TABLE $s.meta (line text);
SQL
	fi
	q -c "TRUNCATE $s.res"
	shape=$(q -c "SELECT count(DISTINCT user_id) || ' users × ' || count(DISTINCT title_id) || ' titles, ' || count(*) || ' training pairs (' || round(count(*)::numeric / count(DISTINCT user_id), 1) || ' per user)' FROM $s.train")
	load0=$(load)
	t0=$(date +%s)

	# ALS defaults (and the popularity baseline, the same for every model)
	q <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS $s.m;
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE $s.m AS SELECT nfrec.als_train(user_id, title_id, weight, '{"threads": 1, "verbose": false}') AS m FROM $s.train;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
INSERT INTO $s.res
SELECT 'popularity', '', e.pop_recall, e.pop_ndcg, e.pop_coverage, NULL, 1 FROM $s.m, nfrec.evaluate(m, '$s.test', 10) e;
INSERT INTO $s.res
SELECT 'ALS defaults',
       format('%s, α %s, λ %s', o->>'factors', round((o->>'alpha')::numeric, 2), round((o->>'regularization')::numeric, 1)),
       e.recall, e.ndcg, e.coverage, :secs, 2
  FROM $s.m, nfrec.model_info(m) i, LATERAL (SELECT i->'options' AS o) x, nfrec.evaluate(m, '$s.test', 10) e;
DROP TABLE $s.m;
SQL

	# the grid (als_tune's default unless QT_GRID), plus the extra cells
	grid_arg=""
	[ -n "${QT_GRID:-}" ] && grid_arg="grid => '$QT_GRID',"
	extra_var="QT_EXTRA_$s"
	extra=${!extra_var:-}
	tune() {
		q <<SQL
SET client_min_messages = warning;
INSERT INTO $s.res
SELECT 'grid', format('%s, α %s, λ %s', options->>'factors', options->>'alpha', options->>'regularization'),
       recall, ndcg, coverage, train_seconds, 3
  FROM nfrec.als_tune('$s.train', '$s.test', $1 k => 10, base_options => '{"threads": 1, "verbose": false}');
SQL
	}
	tune "$grid_arg"
	[ -n "$extra" ] && tune "grid => '$extra',"

	# EASE, default lambda
	q <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS $s.m;
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE $s.m AS SELECT nfrec.ease_train(user_id, title_id, weight, '{"max_titles": 15000, "verbose": false}') AS m FROM $s.train;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
INSERT INTO $s.res
SELECT 'EASE', 'λ ' || (nfrec.model_info(m)->'options'->>'lambda'), e.recall, e.ndcg, e.coverage, :secs, 9
  FROM $s.m, nfrec.evaluate(m, '$s.test', 10) e;
DROP TABLE $s.m;
SQL
	t1=$(date +%s)
	q -c "TRUNCATE $s.meta" -c "INSERT INTO $s.meta VALUES ('$shape'), ('load $load0 before, $(load) after; $((t1 - t0)) s for the set; grid of ' || (SELECT count(*) FROM $s.res WHERE model = 'grid') || ' cells')"
	render "$s"
done
