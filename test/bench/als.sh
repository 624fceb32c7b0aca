#!/usr/bin/env bash
# test/bench/als.sh -- speed and ranking quality of nfrec.als_train.
#
#   bash test/bench/als.sh
#
# Uses the cluster in PGHOST/PGPORT/PGUSER when PGPORT is set (for example
# one left running by NFREC_KEEP=1 bash test/run.sh); otherwise builds nfrec
# and starts a throwaway cluster through test/lib.sh (same NFREC_* knobs).
#
# Two synthetic data sets are generated in SQL, deterministically
# (setseed, serial plan): Zipf title popularity, lognormal user activity,
# 40 taste communities with their own Zipf-ranked title pools, play counts
# as weights (duplicates are summed by als_train):
#   small: 20 K users x 5 K titles x 0.8 M rows
#   big:   200 K users x 15 K titles x 8 M rows
# Each is trained with 64 factors, 15 iterations, 2 threads, CG (3 steps):
# median of ALS_BENCH_SMALL_RUNS (3) runs for small, ALS_BENCH_BIG_RUNS (1)
# for big.  Reported: query seconds (scan + aggregation + training), the
# final function's seconds (canonicalization + training, model_info's
# train_seconds), nominal GFLOP/s, the machine's single-precision GEMM rate
# (OpenBLAS sgemm, 1 and 2 threads) and the load.
#
# Quality: one held-out title for every 10th user (with >= 5 titles),
# recall@10 (= hit rate, one relevant title) of the CG model, the exact
# Cholesky model and a popularity baseline, computed in plain SQL.
#
# Knobs: ALS_BENCH_DB (nfrec_bench), ALS_BENCH_SMALL_RUNS, ALS_BENCH_BIG_RUNS
# (0 skips big), ALS_BENCH_QUALITY (1), ALS_BENCH_REGEN (0: reuse tables).
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
DB=${ALS_BENCH_DB:-nfrec_bench}
SMALL_RUNS=${ALS_BENCH_SMALL_RUNS:-3}
BIG_RUNS=${ALS_BENCH_BIG_RUNS:-1}
QUALITY=${ALS_BENCH_QUALITY:-1}
REGEN=${ALS_BENCH_REGEN:-0}
OPTS='{"factors": 64, "iterations": 15, "alpha": 1, "regularization": 0.1, "threads": 2, "solver": "cg", "cg_steps": 3, "verbose": false}'

log() { printf '== %s\n' "$*" >&2; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 || createdb "$DB"
q -c "CREATE EXTENSION IF NOT EXISTS nfrec"

echo "load before: $(uptime)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"

# ---------------------------------------------------------------- sgemm
sg=$(mktemp -d)
cat >"$sg/sgemm.c" <<'C'
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(void)
{
	int n = 2048, reps = 5;
	float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
	double best = 1e30;
	for (int i = 0; i < n * n; i++) { a[i] = (float) (i % 7) / 7; b[i] = (float) (i % 5) / 5; c[i] = 0; }
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
	for (int r = 0; r < reps; r++)
	{
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
		if (s < best) best = s;
	}
	printf("%.1f\n", 2.0 * n * n * (double) n / best * 1e-9);
	return 0;
}
C
if gcc -O2 -o "$sg/sgemm" "$sg/sgemm.c" -lopenblas 2>/dev/null; then
	SGEMM1=$(OPENBLAS_NUM_THREADS=1 "$sg/sgemm")
	SGEMM2=$(OPENBLAS_NUM_THREADS=2 "$sg/sgemm")
else
	SGEMM1=NA
	SGEMM2=NA
fi
rm -rf "$sg"
echo "sgemm (OpenBLAS, n=2048): ${SGEMM1} GFLOP/s on 1 thread, ${SGEMM2} GFLOP/s on 2 threads"

# ---------------------------------------------------------------- data
gen() {
	local name=$1 nusers=$2 nitems=$3 mean=$4 seed=$5
	local params="$nusers/$nitems/$mean/$seed/v1"
	if [ "$REGEN" != 1 ] && [ "$(q -c "SELECT obj_description('$name'::regclass)" 2>/dev/null || true)" = "$params" ]; then
		log "reusing $name"
		return
	fi
	log "generating $name ($nusers users, $nitems titles, ~$((nusers * mean)) rows)"
	q <<SQL
SET max_parallel_workers_per_gather = 0;
SELECT setseed($seed);
DROP TABLE IF EXISTS $name;
CREATE UNLOGGED TABLE $name AS
WITH u AS (
  SELECT u,
         floor(random() * 40)::int AS comm,
         greatest(1, round(exp(ln($mean) - 0.5 + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::int AS n
  FROM generate_series(1, $nusers) u
)
SELECT u.u::bigint AS user_id,
       (CASE WHEN random() < 0.7
             THEN ((u.comm * 7919 + floor(exp(random() * ln($nitems / 10.0)))::bigint * 104729) % $nitems) + 1
             ELSE floor(exp(random() * ln($nitems)))::bigint END) AS item_id,
       (1 + floor(-ln(1 - random()) * 2))::float8 AS weight
FROM u, generate_series(1, u.n) g;
ANALYZE $name;
COMMENT ON TABLE $name IS '$params';
SQL
}
gen als_bench_small 20000 5000 40 0.42
[ "$BIG_RUNS" -gt 0 ] && gen als_bench_big 200000 15000 40 0.43

# ---------------------------------------------------------------- speed
# nominal flops of CG training (same count as the NOTICEs): per iteration
# and side (cg_steps + 1) * (2 k^2 rows + 4 k events) plus a Gram matrix
# 2 k^2 rows
bench() {
	local name=$1 runs=$2 ref=$3
	local times=() trains=() info
	for r in $(seq 1 "$runs"); do
		out=$(psql -X -At -v ON_ERROR_STOP=1 -d "$DB" -c "SET max_parallel_workers_per_gather = 0" -c '\timing on' \
			-c "SELECT nfrec.model_info(nfrec.als_train(user_id, item_id, weight, '$OPTS')) - 'options' FROM $name")
		ms=$(echo "$out" | awk '/^Time:/ {print $2}' | tail -1)
		info=$(echo "$out" | grep '^{')
		tr=$(echo "$info" | sed -E 's/.*"train_seconds": ([0-9.]+).*/\1/')
		times+=("$ms")
		trains+=("$tr")
		log "$name run $r: query $(awk "BEGIN {printf \"%.3f\", $ms / 1000}") s, final function $tr s"
	done
	local med_ms med_tr
	med_ms=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
	med_tr=$(printf '%s\n' "${trains[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
	users=$(echo "$info" | sed -E 's/.*"users": ([0-9]+).*/\1/')
	titles=$(echo "$info" | sed -E 's/.*"titles": ([0-9]+).*/\1/')
	events=$(echo "$info" | sed -E 's/.*"events": ([0-9]+).*/\1/')
	rows=$(q -c "SELECT count(*) FROM $name")
	gflop=$(awk "BEGIN {k = 64; n = $users + $titles; print 15 * (4 * (2 * k * k * n + 2 * 4 * k * $events) + 2 * k * k * n) * 1e-9}")
	awk -v name="$name" -v rows="$rows" -v users="$users" -v titles="$titles" -v events="$events" \
		-v ms="$med_ms" -v tr="$med_tr" -v gflop="$gflop" -v ref="$ref" -v runs="$runs" 'BEGIN {
		printf "%s: %d rows -> %d users x %d titles x %d distinct pairs; median of %d: query %.2f s, final function %.2f s; %.0f GFLOP nominal = %.1f GFLOP/s; reference CG library %.1f s -> %.1fx faster (query), %.1fx (final function)\n",
			name, rows, users, titles, events, runs, ms / 1000, tr, gflop, gflop / tr, ref, ref / (ms / 1000), ref / tr }'
}
echo "options: $OPTS"
bench als_bench_small "$SMALL_RUNS" 2.4
[ "$BIG_RUNS" -gt 0 ] && bench als_bench_big "$BIG_RUNS" 28
echo "load after speed runs: $(uptime)"

# ---------------------------------------------------------------- quality
if [ "$QUALITY" = 1 ]; then
	log "quality: holdout split and models"
	q <<'SQL'
SET max_parallel_workers_per_gather = 0;
DROP TABLE IF EXISTS als_q_pairs, als_q_test, als_q_train, als_q_models, als_q_item, als_q_user;
CREATE UNLOGGED TABLE als_q_pairs AS
  SELECT user_id, item_id, sum(weight) AS weight FROM als_bench_small GROUP BY 1, 2;
CREATE UNLOGGED TABLE als_q_test AS
  SELECT DISTINCT ON (user_id) user_id, item_id FROM als_q_pairs
  WHERE user_id % 10 = 0 AND user_id IN (SELECT user_id FROM als_q_pairs GROUP BY 1 HAVING count(*) >= 5)
  ORDER BY user_id, md5(user_id || ':' || item_id);
CREATE UNLOGGED TABLE als_q_train AS
  SELECT p.* FROM als_q_pairs p WHERE NOT EXISTS (SELECT 1 FROM als_q_test t WHERE t.user_id = p.user_id AND t.item_id = p.item_id);
CREATE TABLE als_q_models (name text, m nfrec.als_model, seconds float8);
SQL
	for spec in "cg|{\"factors\": 64, \"iterations\": 15, \"threads\": 2, \"verbose\": false}" \
		"cholesky|{\"factors\": 64, \"iterations\": 15, \"threads\": 2, \"solver\": \"cholesky\", \"verbose\": false}"; do
		name=${spec%%|*}
		opts=${spec#*|}
		q -c "INSERT INTO als_q_models SELECT '$name', m, (nfrec.model_info(m)->>'train_seconds')::float8 FROM (SELECT nfrec.als_train(user_id, item_id, weight, '$opts') AS m FROM als_q_train) s"
	done
	log "quality: scoring"
	q <<'SQL'
CREATE TEMP TABLE seen AS SELECT user_id, array_agg(item_id) AS items FROM als_q_train
  WHERE user_id IN (SELECT user_id FROM als_q_test) GROUP BY user_id;
CREATE TEMP TABLE pop AS SELECT item_id, count(*) AS n FROM als_q_train GROUP BY item_id;
-- dot(x, y) = cosine(x, y) |x| |y|
CREATE TEMP TABLE uf AS
  SELECT mo.name, f.id AS user_id, f.factors, sqrt((SELECT sum(v * v) FROM unnest(f.factors) v)) AS nrm
  FROM als_q_models mo, nfrec._als_factors(mo.m, 'user') f WHERE f.id IN (SELECT user_id FROM als_q_test);
CREATE TEMP TABLE itf AS
  SELECT mo.name, f.id AS item_id, f.factors, sqrt((SELECT sum(v * v) FROM unnest(f.factors) v)) AS nrm
  FROM als_q_models mo, nfrec._als_factors(mo.m, 'item') f;
CREATE TEMP TABLE recs AS
  SELECT u.name, u.user_id, r.item_id
  FROM uf u JOIN seen s USING (user_id),
       LATERAL (SELECT i.item_id FROM itf i
                WHERE i.name = u.name AND i.item_id <> ALL (s.items)
                ORDER BY coalesce(nfrec.cosine_sim(u.factors, i.factors), 0) * u.nrm * i.nrm DESC, i.item_id
                LIMIT 10) r
  UNION ALL
  SELECT 'popularity', s.user_id, r.item_id
  FROM seen s,
       LATERAL (SELECT p.item_id FROM pop p WHERE p.item_id <> ALL (s.items)
                ORDER BY p.n DESC, p.item_id LIMIT 10) r;
SELECT 'recall@10 ' || rpad(n.name, 11) ||
       round(avg((EXISTS (SELECT 1 FROM recs r WHERE r.name = n.name AND r.user_id = t.user_id AND r.item_id = t.item_id))::int)::numeric, 4) ||
       ' (' || count(*) || ' test users' ||
       coalesce(', trained in ' || round((SELECT seconds FROM als_q_models mo WHERE mo.name = n.name)::numeric, 2) || ' s', '') || ')'
FROM (VALUES ('cg'), ('cholesky'), ('popularity')) n(name), als_q_test t
GROUP BY n.name ORDER BY n.name;
SQL
fi
echo "load after: $(uptime)"
