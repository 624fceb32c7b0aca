#!/usr/bin/env bash
# test/bench/cosine.sh -- nfrec.cosine_sim calls per second on dense vectors.
#
#   bash test/bench/run.sh cosine
#   PGHOST=127.0.0.1 PGPORT=... PGUSER=postgres bash test/bench/cosine.sh
#
# Builds NFREC_BENCH_PAIRS (default 200,000) pairs of 64-dimensional real[]
# vectors (deterministic), then times, as the median of NFREC_BENCH_RUNS
# (default 3) runs, one aggregate query over all pairs:
#   - nfrec.cosine_sim(a, b) on real[]  and on float8[]
#   - the same cosine in plain SQL (unnest, sum) as the baseline a user
#     would write without nfrec
#   - the empty scan (sum(cardinality(a))) to show the per-row overhead
# calls/s = pairs / seconds.

set -euo pipefail
if [ -z "${PGPORT:-}" ]; then
	echo "cosine.sh: PGPORT is not set; run it through test/bench/run.sh" >&2
	exit 2
fi
PAIRS=${NFREC_BENCH_PAIRS:-200000}
RUNS=${NFREC_BENCH_RUNS:-3}
DB=nfrec_bench_cosine

psql -qX -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
q() { psql -qAtX -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
q -c "CREATE EXTENSION nfrec" -c "SET max_parallel_workers_per_gather = 0" -c "
CREATE TABLE pairs AS
SELECT g AS id,
       array(SELECT sin(g * 0.37 + i)::real FROM generate_series(1, 64) i) AS a,
       array(SELECT cos(g * 0.11 + i * 1.7)::real FROM generate_series(1, 64) i) AS b
FROM generate_series(1, $PAIRS) g;
ALTER TABLE pairs ADD COLUMN a8 float8[], ADD COLUMN b8 float8[];
UPDATE pairs SET a8 = a::float8[], b8 = b::float8[];"
q -c "VACUUM ANALYZE pairs"

# median seconds of a query over $RUNS runs
median() {
	local sql=$1 t=()
	for _ in $(seq "$RUNS"); do
		t+=("$(q -c "SET max_parallel_workers_per_gather = 0" -c '\timing on' -c "$sql" | awk '/^Time:/{print $2/1000}')")
	done
	printf '%s\n' "${t[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}
report() {
	local label=$1 s=$2
	awk -v l="$label" -v s="$s" -v n="$PAIRS" 'BEGIN{printf "%-44s %8.3f s  %12.0f calls/s\n", l, s, n/s}'
}

echo "cosine_sim: $PAIRS pairs of 64-dim vectors, median of $RUNS runs, serial plans (load $(cut -d' ' -f1-3 /proc/loadavg))"
report "scan only (sum of cardinality)" "$(median 'SELECT sum(cardinality(a) + cardinality(b)) FROM pairs')"
report "nfrec.cosine_sim(real[], real[])" "$(median 'SELECT sum(nfrec.cosine_sim(a, b)) FROM pairs')"
report "nfrec.cosine_sim(float8[], float8[])" "$(median 'SELECT sum(nfrec.cosine_sim(a8, b8)) FROM pairs')"
report "plain SQL cosine over unnest (baseline)" "$(median 'SELECT sum((SELECT sum(x*y)/sqrt(sum(x*x)*sum(y*y)) FROM unnest(a, b) u(x, y))) FROM pairs')"
psql -qX -d postgres -c "DROP DATABASE $DB" >/dev/null
