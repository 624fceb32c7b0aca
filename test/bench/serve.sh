#!/usr/bin/env bash
# test/bench/serve.sh -- recommend_for latency with pgbench.
#
#   bash test/bench/serve.sh            # as root; same knobs as test/run.sh
#   bash test/bench/run.sh serve        # the same, from the benchmark runner
#
# Builds a 15,000-title x 64-factor model with random factors for 100,000
# users with ~40 training events each (als_model_from_factors), deploys it
# bound to the events table, adds post-training events (every 10th user
# gets 3 new plays -> fold-in; 2,000 brand-new users with 5 plays -> fold-in
# from scratch), then runs pgbench (-n, -M prepared) at 1 and 2 clients
# with four scripts:
#   trained  (weight 70)  a user with unchanged events: stored vector
#   foldin   (weight 20)  a user with new events: re-solved vector
#   new      (weight 5)   a user unknown to the model: re-solved from scratch
#   cold     (weight 5)   a user with no events: popularity list
# and prints p50 / p90 / p99 / mean latency (from pgbench --log) overall
# and per script, the throughput and the machine's load.
#
# Knobs: BENCH_SECONDS (default 20), BENCH_USERS (100000),
# BENCH_TITLES (15000), BENCH_FACTORS (64), BENCH_EVENTS (40 per user).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

SECONDS_PER_RUN=${BENCH_SECONDS:-20}
USERS=${BENCH_USERS:-100000}
TITLES=${BENCH_TITLES:-15000}
FACTORS=${BENCH_FACTORS:-64}
EVENTS=${BENCH_EVENTS:-40}

nf_bench_cluster
PSQL=("$NFREC_PGBIN/psql" -X -At -v ON_ERROR_STOP=1)
db=nfrec_bench_serve
dir="$NFREC_WORK/bench-serve"
rm -rf "$dir"
mkdir -p "$dir"
chmod 777 "$dir"

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
nf_log "building the data: $USERS users x $EVENTS events, $TITLES titles x $FACTORS factors"
t0=$(date +%s.%N)
"${PSQL[@]}" -d $db >/dev/null <<SQL
CREATE EXTENSION nfrec;
SELECT setseed(0.42);
-- Zipf-like title popularity: title = 1 + floor(T * u^3)
CREATE TABLE bench_events AS
SELECT u::bigint AS user_id, (1 + floor($TITLES * power(random(), 3)))::bigint AS title_id,
       (1 + floor(random() * 5))::real AS weight
  FROM generate_series(1, $USERS) u, generate_series(1, $EVENTS) e;
CREATE TABLE bench_factors AS
SELECT (SELECT array_agg(u::bigint ORDER BY u) FROM generate_series(1, $USERS) u) AS uids,
       (SELECT array_agg(f ORDER BY u) FROM (
            SELECT u, ARRAY(SELECT ((random() - 0.5) * 0.5 + 0 * u)::real FROM generate_series(1, $FACTORS)) AS f
              FROM generate_series(1, $USERS) u) s) AS uf,
       (SELECT array_agg(t::bigint ORDER BY t) FROM generate_series(1, $TITLES) t) AS tids,
       (SELECT array_agg(f ORDER BY t) FROM (
            SELECT t, ARRAY(SELECT ((random() - 0.5) * 0.5 + 0 * t)::real FROM generate_series(1, $FACTORS)) AS f
              FROM generate_series(1, $TITLES) t) s) AS tf;
SQL
t_data=$(date +%s.%N)
"${PSQL[@]}" -d $db >/dev/null <<SQL
CREATE TABLE bench_model AS
SELECT nfrec.als_model_from_factors(
           uids, uf, tids, tf,
           (SELECT array_agg(user_id) FROM bench_events),
           (SELECT array_agg(title_id) FROM bench_events),
           (SELECT array_agg(weight) FROM bench_events)) AS m
  FROM bench_factors;
SQL
t_built=$(date +%s.%N)
"${PSQL[@]}" -d $db -c "SELECT nfrec.deploy('bench', m, 'bench_events') FROM bench_model" >/dev/null
t_deployed=$(date +%s.%N)
"${PSQL[@]}" -d $db >/dev/null <<SQL
DROP TABLE bench_factors, bench_model;
-- events after training
INSERT INTO bench_events
SELECT u, 1 + ((u * 7 + k * 131) % $TITLES), 3 FROM generate_series(10, $USERS, 10) u, generate_series(1, 3) k;
INSERT INTO bench_events
SELECT $USERS + u, 1 + ((u * 13 + k * 97) % $TITLES), 2 FROM generate_series(1, 2000) u, generate_series(1, 5) k;
CREATE INDEX ON bench_events (user_id);
VACUUM ANALYZE bench_events;
VACUUM ANALYZE nfrec.model_store;
VACUUM ANALYZE nfrec.model_users;
SQL
t1=$(date +%s.%N)
"${PSQL[@]}" -d $db -c "SELECT 'model: ' || users || ' users, ' || titles || ' titles, ' || factors || ' factors, '
                               || events || ' training events; bound events rows: '
                               || (SELECT count(*) FROM bench_events) FROM nfrec.models"
awk -v a="$t0" -v b="$t_data" -v c="$t_built" -v d="$t_deployed" -v e="$t1" 'BEGIN {
	printf "set-up: data %.1f s, als_model_from_factors %.1f s, deploy %.1f s, the rest %.1f s\n", b - a, c - b, d - c, e - d }'
"${PSQL[@]}" -d $db -c "SELECT 'registry size: ' || pg_size_pretty(pg_total_relation_size('nfrec.model_store')
                               + pg_total_relation_size('nfrec.model_users'))"

# sanity: every kind of user is served the way the script names say
"${PSQL[@]}" -d $db -c "SELECT string_agg(source, ' ' ORDER BY u) FROM (VALUES (11), (20), ($USERS + 5), (9999999)) v(u),
                        nfrec.user_vector(u, 'bench')"

cat >"$dir/trained.sql" <<S
\set uid 10 * random(0, $((USERS / 10 - 1))) + random(1, 9)
SELECT * FROM nfrec.recommend_for(:uid, 10, 'bench');
S
cat >"$dir/foldin.sql" <<S
\set uid 10 * random(1, $((USERS / 10)))
SELECT * FROM nfrec.recommend_for(:uid, 10, 'bench');
S
cat >"$dir/new.sql" <<S
\set uid $USERS + random(1, 2000)
SELECT * FROM nfrec.recommend_for(:uid, 10, 'bench');
S
cat >"$dir/cold.sql" <<S
\set uid random(10000000, 20000000)
SELECT * FROM nfrec.recommend_for(:uid, 10, 'bench');
S

# first call in a fresh session loads the model into the backend cache
"${PSQL[@]}" -d $db -c "\\timing on" -c "SELECT count(*) FROM nfrec.recommend_for(11, 10, 'bench')" \
	-c "SELECT count(*) FROM nfrec.recommend_for(12, 10, 'bench')" | grep -i time | sed 's/^/cache load vs warm call: /'

percentiles() {
	# $@: log files; prints "n p50 p90 p99 mean" in ms per script and overall
	cat "$@" | awk '{print $4, $3}' >"$dir/lat"
	local names=(trained foldin new cold)
	for s in all 0 1 2 3; do
		if [ $s = all ]; then
			name=all
			cut -d' ' -f2 "$dir/lat" | sort -n >"$dir/sorted"
		else
			name=${names[$s]}
			awk -v s=$s '$1 == s {print $2}' "$dir/lat" | sort -n >"$dir/sorted"
		fi
		n=$(wc -l <"$dir/sorted")
		[ "$n" -gt 0 ] || continue
		awk -v n="$n" -v name="$name" '
			{ v[NR] = $1; sum += $1 }
			END {
				p50 = v[int(0.50 * (n - 1)) + 1]; p90 = v[int(0.90 * (n - 1)) + 1]; p99 = v[int(0.99 * (n - 1)) + 1]
				printf "  %-8s n=%-7d p50=%.3f ms  p90=%.3f ms  p99=%.3f ms  mean=%.3f ms\n",
					name, n, p50 / 1000, p90 / 1000, p99 / 1000, sum / n / 1000
			}' "$dir/sorted"
	done
}

for clients in 1 2; do
	rm -f "$dir"/pgbench_log.*
	nf_log "pgbench: $clients client(s), $SECONDS_PER_RUN s"
	load_before=$(cut -d' ' -f1-3 /proc/loadavg)
	(cd "$dir" && "$NFREC_PGBIN/pgbench" -n -M prepared -c $clients -j $clients -T "$SECONDS_PER_RUN" \
		-f trained.sql@70 -f foldin.sql@20 -f new.sql@5 -f cold.sql@5 --log --log-prefix="$dir/pgbench_log" $db) \
		>"$dir/pgbench.out" 2>&1
	load_after=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "== $clients client(s): $(grep -E '^tps' "$dir/pgbench.out" | head -1)"
	echo "   machine: $(nproc) cores; load average before: $load_before, after: $load_after"
	percentiles "$dir"/pgbench_log.*
done
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
