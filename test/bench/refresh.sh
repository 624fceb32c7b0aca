#!/usr/bin/env bash
# test/bench/refresh.sh -- dashboard refresh throughput and view latency.
#
#   bash test/bench/refresh.sh          # as root; same knobs as test/run.sh
#   bash test/bench/run.sh refresh      # the same, from the benchmark runner
#
# Generates the demo (generate_demo(BENCH_USERS, BENCH_TITLES)), trains a
# 64-factor ALS model on its interactions and deploys it, then
#   - times CALL nfrec.refresh('recommendations') BENCH_RUNS times (the
#     whole refresh: batch scoring of every trained user, DELETE + INSERT
#     of the table, titles, catalog health) and nfrec._recommend_batch alone,
#     in one session (the model cached) and in a new session each time
#     (the first call loads the model, as a scheduled job's does), and
#     prints users/s (median run, wall clock), and the refresh's CPU
#     time (both threads of the backend: its cost whatever share of the
#     cores the machine's load leaves it);
#   - refreshes everything and prints the execution time (EXPLAIN ANALYZE) of typical dashboard
#     queries on each view;
#   - prints the machine's load before and after.
#
# Knobs: BENCH_USERS (default 20000), BENCH_TITLES (3000), BENCH_FACTORS
# (64), BENCH_RUNS (5), BENCH_N (10, the list length).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

USERS=${BENCH_USERS:-20000}
TITLES=${BENCH_TITLES:-3000}
FACTORS=${BENCH_FACTORS:-64}
RUNS=${BENCH_RUNS:-5}
N=${BENCH_N:-10}

nf_bench_cluster
PSQL=("$NFREC_PGBIN/psql" -X -At -v ON_ERROR_STOP=1)
db=nfrec_bench_refresh

echo "load before: $(uptime | sed 's/.*load average: //')"
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
nf_log "demo: $USERS users, $TITLES titles; ALS with $FACTORS factors"
"${PSQL[@]}" -d $db >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION nfrec;
SELECT nfrec.generate_demo(users => $USERS, titles => $TITLES, seed => 1);
SELECT nfrec.deploy('bench', nfrec.als_train(user_id, title_id, weight,
                    '{"factors": $FACTORS, "iterations": 5, "seed": 1, "verbose": false}'))
  FROM interactions;
CALL nfrec.refresh('recommendations', n => $N);   -- warm: model cache, buffers
SQL
trained=$("${PSQL[@]}" -d $db -c "SELECT users FROM nfrec.models WHERE name = 'bench'")

# wall time of one statement in ms (psql's \timing), each in a new session
timed() {
	"${PSQL[@]}" -d $db -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
# the same statement RUNS times in one session (model cache warm)
timed_warm() {
	local args=(-c '\timing on')
	for i in $(seq 1 "$RUNS"); do args+=(-c "$1"); done
	"${PSQL[@]}" -d $db "${args[@]}" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

refresh_ms=$(timed_warm "CALL nfrec.refresh('recommendations', n => $N)" | median)
cold_ms=$(for i in $(seq 1 "$RUNS"); do timed "CALL nfrec.refresh('recommendations', n => $N)"; done | median)
batch_ms=$(timed_warm "SELECT count(*) FROM nfrec._recommend_batch($N)" | median)
listed=$("${PSQL[@]}" -d $db -c "SELECT count(*) FROM nfrec.dashboard_recommendations")
# CPU time of the backend process (both threads: /proc/self/stat of the
# backend, utime + stime), mean of 3 refreshes: what the refresh costs,
# whatever share of the cores the machine's load leaves it
ticks="(split_part(pg_read_file('/proc/self/stat'), ' ', 14)::bigint
        + split_part(pg_read_file('/proc/self/stat'), ' ', 15)::bigint)"
cpu_ms=$("${PSQL[@]}" -q -d $db <<SQL
SELECT $ticks AS t0 \gset
CALL nfrec.refresh('recommendations', n => $N);
CALL nfrec.refresh('recommendations', n => $N);
CALL nfrec.refresh('recommendations', n => $N);
SELECT round(($ticks - :t0) * 1000.0 / 3 / $(getconf CLK_TCK));
SQL
)
awk -v u="$trained" -v l="$listed" -v r="$refresh_ms" -v k="$cold_ms" -v b="$batch_ms" -v c="$cpu_ms" -v n="$N" 'BEGIN {
	printf "recommendations refresh (n => %d): %d trained users (%d listed), median of runs:\n", n, u, l
	printf "  CALL nfrec.refresh(%s)  %8.1f ms  %9.0f users/s\n", "'\''recommendations'\''", r, u / (r / 1000)
	printf "  the same in a new session each time  %8.1f ms  %9.0f users/s (loads the model)\n", k, u / (k / 1000)
	printf "  _recommend_batch alone               %8.1f ms  %9.0f users/s\n", b, u / (b / 1000)
	printf "  refresh, CPU time of the backend     %8.1f ms  %9.0f users per CPU-second\n", c, u / (c / 1000)
}'

nf_log "refresh of every view"
all_ms=$(timed "CALL nfrec.refresh(n => $N)")
echo "CALL nfrec.refresh() (every view): $all_ms ms"
"${PSQL[@]}" -d $db -c "ANALYZE nfrec.dashboard_recommendations, nfrec.dashboard_titles,
    nfrec.dashboard_recommended_titles, nfrec.dashboard_churn_cohorts, nfrec.dashboard_content_roi,
    nfrec.dashboard_trending,
    nfrec.dashboard_catalog_health" >/dev/null

echo "typical dashboard queries (EXPLAIN ANALYZE execution time, median of 5):"
while IFS='|' read -r name q; do
	ms=$(for i in 1 2 3 4 5; do
		"${PSQL[@]}" -d $db -c "EXPLAIN (ANALYZE, FORMAT JSON) $q" |
			sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p'
	done | median)
	printf "  %-40s %8.3f ms\n" "$name" "$ms"
done <<'Q'
one user's list|SELECT * FROM nfrec.recommendations WHERE user_id = 4242 ORDER BY rank
top decile by country|SELECT country, sum(users), sum(expected_cancellations), sum(monthly_revenue_at_risk) FROM nfrec.churn_cohorts WHERE risk_decile = 10 GROUP BY country ORDER BY 3 DESC
revenue at risk by decile and plan|SELECT risk_decile, plan, sum(monthly_revenue_at_risk) FROM nfrec.churn_cohorts GROUP BY 1, 2 ORDER BY 1, 2
best launches by ROI|SELECT title, launch_date, watchers, roi FROM nfrec.content_roi_launches WHERE observed ORDER BY roi DESC NULLS LAST LIMIT 20
launches of the last 90 days|SELECT * FROM nfrec.content_roi_launches WHERE launch_date >= (SELECT max(launch_date) - 90 FROM nfrec.dashboard_content_roi)
catalog health|SELECT * FROM nfrec.catalog_health
trending now|SELECT * FROM nfrec.trending_now ORDER BY rank
most recommended (recommended_titles)|SELECT title, users_at_rank_1 FROM nfrec.recommended_titles ORDER BY 2 DESC LIMIT 10
most recommended (from every list)|SELECT title, count(*) FROM nfrec.recommendations WHERE rank = 1 GROUP BY title ORDER BY 2 DESC LIMIT 10
Q
echo "load after: $(uptime | sed 's/.*load average: //')"
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
