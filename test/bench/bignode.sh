#!/usr/bin/env bash
# test/bench/bignode.sh -- one node, bigger: time and peak memory of ALS
# training at tens of millions of events and millions of users
# (doc/scale.md, "One node, bigger").
#
#   bash test/bench/bignode.sh
#
# Uses the cluster in PGHOST/PGPORT/PGUSER when PGPORT is set (for example
# one left running by NFREC_KEEP=1 bash test/run.sh); otherwise builds nfrec
# and starts a throwaway cluster through test/lib.sh (same NFREC_* knobs).
# Must run on the database server's machine as a user who can read
# /proc/<pid>/status of the server's processes (root or the server's user).
#
# Each data set is one UNLOGGED table bn_ev(user_id, title_id, weight)
# made by one INSERT ... SELECT over generate_series (serial plan, setseed:
# deterministic): user_id = 1 + g % users (events spread evenly over the
# users), title_id skewed towards low ids (floor(titles * random()^2)),
# weight 1 to 4.  Duplicate (user, title) rows are summed by training.
# The table is dropped after its runs.
#
# For each set, one run each (one job at a time, each in its own session):
#   agg_serial     SELECT nfrec.als_train(...) over the table, no parallel plan
#   agg_parallel   the same with a parallel plan (2 workers, partial states)
#   train          CALL nfrec.train(...): trains into the registry rows
# Reported per run: wall seconds of the statement, the training seconds
# from its own NOTICE (canonicalization + solves), the peak private memory
# (sum of RssAnon over the job's backend and its parallel workers, sampled
# every 0.2 s), the backend's VmHWM (includes the shared buffers it
# touched), and the load average before the run.
#
# Knobs:
#   BIGNODE_SETS     space-separated events:users:titles[:iterations[:runs]]
#                    (runs separated by commas; default
#                    "10000000:500000:20000:15
#                    50000000:1000000:20000:3:agg_serial,agg_parallel,agg_parallel1,train
#                    50000000:10000000:20000:3:agg_serial,train")
#   BIGNODE_RUNS     the runs of a set that names none (default
#                    "agg_serial agg_parallel train"; agg_parallel1 is one
#                    parallel worker without the leader, so one partial
#                    state holds every row, with 0 iterations: it measures
#                    the trip of the state, not training)
#   BIGNODE_OPTIONS  training options without iterations (default factors
#                    64, 2 threads, seed 1); iterations come from the set
#                    (default 15)
#   BIGNODE_DB       database (bignode_bench)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -z "${PGPORT:-}" ]; then
	# shellcheck source=../lib.sh
	source "$root/test/lib.sh"
	nf_install_deps
	nf_build_install
	nf_start_cluster
fi
DB=${BIGNODE_DB:-bignode_bench}
SETS=${BIGNODE_SETS:-"10000000:500000:20000:15 50000000:1000000:20000:3:agg_serial,agg_parallel,agg_parallel1,train 50000000:10000000:20000:3:agg_serial,train"}
RUNS=${BIGNODE_RUNS:-"agg_serial agg_parallel train"}
BASEOPTS=${BIGNODE_OPTIONS:-'"factors": 64, "threads": 2, "seed": 1'}

psql_() { psql -X -v ON_ERROR_STOP=1 -q "$@"; }

psql_ -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 ||
	psql_ -d postgres -c "CREATE DATABASE $DB"
psql_ -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS nfrec"
datadir=$(psql_ -d "$DB" -tAc "SHOW data_directory")
postmaster=$(head -n 1 "$datadir/postmaster.pid")

# peak of the summed RssAnon (kB) of the backends of $DB and the parallel
# workers, until the process $1 ends; printed on stdout
sample_peak() {
	local watched=$1 peak=0 sum pid
	while kill -0 "$watched" 2>/dev/null; do
		sum=0
		for pid in $(pgrep -P "$postmaster" 2>/dev/null); do
			case "$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)" in
			*" $DB "* | *"parallel worker"*)
				sum=$((sum + $(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0))) ;;
			esac
		done
		[ "$sum" -gt "$peak" ] && peak=$sum
		sleep 0.2
	done
	echo "$peak"
}

gb() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1048576 }'; }

printf '%-13s %10s %9s %6s %9s %9s %10s %9s  %s\n' run events users titles wall_s train_s peak_anon_GB hwm_GB "load (1, 5, 15 min)"

for set in $SETS; do
	IFS=: read -r events users titles iterations setruns <<<"$set"
	OPTS="{$BASEOPTS, \"iterations\": ${iterations:-15}}"
	OPTS0="{$BASEOPTS, \"iterations\": 0}"
	runs=${setruns//,/ }
	runs=${runs:-$RUNS}
	t0=$(date +%s.%N)
	{ psql_ -d "$DB" <<SQL
SET max_parallel_workers_per_gather = 0;
DROP TABLE IF EXISTS bn_ev;
CREATE UNLOGGED TABLE bn_ev (user_id bigint, title_id bigint, weight real);
SELECT setseed(0.42);
INSERT INTO bn_ev
SELECT 1 + g % $users,
       1 + floor($titles * power(random(), 2))::bigint,
       1 + floor(random() * 4)::real
  FROM generate_series(0, $events - 1) g;
VACUUM (FREEZE, ANALYZE) bn_ev;
SQL
	} >/dev/null 2>&1
	echo "# set $events events, $users users, $titles titles: generated in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s, $(psql_ -d "$DB" -tAc "SELECT pg_size_pretty(pg_table_size('bn_ev'))")"

	echo "# options $OPTS"
	for run in $runs; do
		case $run in
		agg_serial)
			sql="SET max_parallel_workers_per_gather = 0;
			     SELECT nfrec.als_train(user_id, title_id, weight, '$OPTS') IS NOT NULL AS trained FROM bn_ev;" ;;
		agg_parallel)
			sql="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;
			     SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
			     EXPLAIN (COSTS OFF) SELECT nfrec.als_train(user_id, title_id, weight, '$OPTS') FROM bn_ev;
			     SELECT nfrec.als_train(user_id, title_id, weight, '$OPTS') IS NOT NULL AS trained FROM bn_ev;" ;;
		agg_parallel1)
			# two workers planned (one would not be cheaper than no worker),
			# one started, and the leader only gathers: one state, every row
			sql="SET max_parallel_workers_per_gather = 2; SET max_parallel_workers = 1;
			     SET parallel_leader_participation = off;
			     SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
			     EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT nfrec.als_train(user_id, title_id, weight, '$OPTS0') FROM bn_ev;" ;;
		train)
			sql="CALL nfrec.train('bn_model', 'bn_ev', '$OPTS', keep => 1);" ;;
		*) echo "unknown run $run" >&2; exit 2 ;;
		esac
		load=$(cut -d' ' -f1-3 /proc/loadavg)
		log=$(mktemp)
		t0=$(date +%s.%N)
		psql -X -d "$DB" -v ON_ERROR_STOP=1 >"$log" 2>&1 <<SQL &
$sql
SELECT 'HWM ' || substring(pg_read_file('/proc/self/status') from 'VmHWM:\s+(\d+)');
SQL
		job=$!
		peak=$(sample_peak "$job")
		status=0
		wait "$job" || status=$?
		wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		hwm=$(awk '/HWM [0-9]+/ {print $2}' "$log" | tail -n 1)
		train=$(sed -n 's/.*als_train done: loss [^,]*, \([0-9.]*\) s in all.*/\1/p' "$log" | tail -n 1)
		if [ "$status" -ne 0 ]; then
			printf '%-13s %10s %9s %6s %9s %9s %10s %9s  %s\n' "$run" "$events" "$users" "$titles" "$wall" "-" "$(gb "$peak")" "-" "$load"
			echo "#   FAILED: $(grep -m1 ERROR "$log" || tail -n 1 "$log")"
		else
			printf '%-13s %10s %9s %6s %9s %9s %10s %9s  %s\n' "$run" "$events" "$users" "$titles" "$wall" "${train:--}" "$(gb "$peak")" "$(gb "${hwm:-0}")" "$load"
		fi
		grep -m1 "als_train: [0-9]" "$log" | sed 's/^NOTICE:  /#   /' || true
		grep -E "Partial Aggregate|Workers (Planned|Launched)" "$log" | sed 's/^ */#   plan: /' || true
		rm -f "$log"
	done
	psql_ -d "$DB" -c "DROP TABLE bn_ev" -c "SELECT nfrec.drop_model(name) FROM nfrec.models WHERE name = 'bn_model'" >/dev/null
done
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
