#!/usr/bin/env bash
# test/charts/make.sh -- the README's and doc/'s charts, from real runs.
#
#   bash test/charts/make.sh            # as root; same knobs as test/run.sh
#   CHARTS_RENDER_ONLY=1 bash test/charts/make.sh   # redraw from doc/img/data/
#
# Builds and installs nfrec, starts a throwaway cluster, generates the demo
# (CHARTS_USERS subscribers, default 5000; CHARTS_TITLES titles, default
# 1500; a year to 2025-12-31, seed 1), measures, writes the numbers to
# doc/img/data/*.csv and draws doc/img/*.png with gnuplot:
#
#   churn_calibration.png  nfrec.churn_risk at CHARTS_AS_OF (2025-12-01):
#                          mean predicted risk per risk decile against the
#                          share that really cancelled in the next 30 days
#                          (plain SQL over subscriptions)
#   recall_grid.png        recall@10 on a 20% holdout (nfrec.holdout) for a
#                          factors x alpha grid (nfrec.als_tune), with the
#                          most-popular baseline of nfrec.evaluate
#   roi_launches.png       nfrec.content_roi: value per dollar of every
#                          launch with observed retention, by launch date
#   latency_catalog.png    recommend_for p50/p90 (pgbench, 1 client,
#                          CHARTS_BENCH_SECONDS each, default 8) for demo
#                          catalogs of 1,000, 5,000 and 15,000 titles at 64
#                          factors, next to SELECT 1 in the same run
#
# About 3 minutes on the 2-core machine.  Latency figures depend on what
# else runs: the chart's title carries the load average.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

USERS=${CHARTS_USERS:-5000}
TITLES=${CHARTS_TITLES:-1500}
AS_OF=${CHARTS_AS_OF:-2025-12-01}
BENCH_SECONDS=${CHARTS_BENCH_SECONDS:-8}
CATALOGS=${CHARTS_CATALOGS:-"1000 5000 15000"}
IMG="$NFREC_ROOT/doc/img"
DATA="$IMG/data"

if ! command -v gnuplot >/dev/null; then
	if [ "${NFREC_SKIP_APT:-0}" = 1 ]; then
		echo "gnuplot is missing (apt-get install gnuplot-nox)" >&2
		exit 1
	fi
	nf_log "installing gnuplot-nox"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq gnuplot-nox >/dev/null
fi
mkdir -p "$DATA"

measure() {
	nf_install_deps
	nf_build_install
	nf_start_cluster
	local psql=("$NFREC_PGBIN/psql" -X -q -At "-F," -v ON_ERROR_STOP=1 -d postgres)
	local t0 t
	t0=$(date +%s)

	nf_log "demo data: $USERS users, $TITLES titles"
	"${psql[@]}" >/dev/null <<SQL
CREATE EXTENSION nfrec;
SELECT * FROM nfrec.generate_demo(users => $USERS, titles => $TITLES, days => 365, seed => 1);
SQL

	nf_log "churn risk at $AS_OF against cancellations in the next 30 days"
	"${psql[@]}" >"$DATA/churn_calibration.csv" <<SQL
SET client_min_messages = warning;
CREATE TEMP TABLE risk AS SELECT * FROM nfrec.churn_risk(date '$AS_OF', horizon_days => 30);
\echo decile,users,mean_risk,observed_rate,cancelled
SELECT r.risk_decile, count(*), round(avg(r.risk)::numeric, 4),
       round(avg(coalesce(s.cancel_date > date '$AS_OF' AND s.cancel_date <= date '$AS_OF' + 30, false)::int), 4),
       count(*) FILTER (WHERE s.cancel_date > date '$AS_OF' AND s.cancel_date <= date '$AS_OF' + 30)
  FROM risk r JOIN subscriptions s USING (user_id)
 GROUP BY r.risk_decile ORDER BY r.risk_decile;
\o $DATA/churn_auc.csv
SELECT round(nfrec.auc(r.risk, coalesce(s.cancel_date > date '$AS_OF' AND s.cancel_date <= date '$AS_OF' + 30, false))::numeric, 3)
  FROM risk r JOIN subscriptions s USING (user_id);
SQL

	nf_log "recall@10 over factors x alpha (holdout 20%)"
	"${psql[@]}" >"$DATA/recall_grid.csv" <<SQL
SET client_min_messages = warning;
CREATE TABLE train AS SELECT * FROM interactions WHERE NOT nfrec.holdout(user_id, title_id, 0.2);
CREATE TABLE test  AS SELECT * FROM interactions WHERE nfrec.holdout(user_id, title_id, 0.2);
CREATE TEMP TABLE grid AS
SELECT * FROM nfrec.als_tune('train', 'test',
    grid => '{"factors": [8, 16, 32, 64, 128], "alpha": [1, 5, 20, 40]}',
    k => 10, base_options => '{"verbose": false, "seed": 1}', metric => 'recall');
\echo factors,alpha,recall,ndcg,coverage,train_seconds
SELECT (options->>'factors')::int AS factors, (options->>'alpha')::float8 AS alpha,
       round(recall::numeric, 4), round(ndcg::numeric, 4), round(coverage::numeric, 4),
       round(train_seconds::numeric, 3)
  FROM grid ORDER BY alpha, factors;
\o $DATA/recall_popular.csv
SELECT round(pop_recall::numeric, 4)
  FROM nfrec.evaluate((SELECT nfrec.als_train(user_id, title_id, weight, '{"verbose": false, "factors": 8}') FROM train),
                      'test', k => 10);
SQL

	nf_log "content ROI per launch"
	"${psql[@]}" >"$DATA/roi_launches.csv" <<'SQL'
SET client_min_messages = warning;
\echo title_id,launch_date,content_type,watchers,production_cost,value,roi
SELECT title_id, launch_date, content_type, watchers, production_cost, value, round(roi::numeric, 4)
  FROM nfrec.content_roi()
 WHERE observed AND roi IS NOT NULL AND roi > 0
 ORDER BY launch_date, title_id;
SQL

	nf_log "recommend_for latency against catalog size ($CATALOGS titles, ${BENCH_SECONDS}s pgbench each)"
	local dir="$NFREC_WORK/charts-bench"
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "titles,events,p50_ms,p90_ms,mean_ms,select1_p50_ms,load1" >"$DATA/latency_catalog.csv"
	local n
	for n in $CATALOGS; do
		"${psql[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE SCHEMA cat$n;
SELECT * FROM nfrec.generate_demo(users => $USERS, titles => $n, days => 365, seed => 1, schema => 'cat$n');
SELECT nfrec.deploy('cat$n', nfrec.als_train(user_id, title_id, weight, '{"verbose": false, "factors": 64}'),
                    events => 'cat$n.interactions')
  FROM cat$n.interactions;
SQL
		printf '\\set uid random(1, %d)\nSELECT * FROM nfrec.recommend_for(:uid, 10, '"'"'cat%d'"'"');\n' "$USERS" "$n" >"$dir/rec.sql"
		printf 'SELECT 1;\n' >"$dir/one.sql"
		local ev
		ev=$("${psql[@]}" -c "SELECT count(*) FROM cat$n.interactions")
		(cd "$dir" && rm -f pgbench_log.* && "$NFREC_PGBIN/pgbench" -n -M prepared -c 1 -T "$BENCH_SECONDS" -f rec.sql -l postgres >rec.out 2>&1)
		local rec
		rec=$(cat "$dir"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1; s+=$1} END {printf "%.4f,%.4f,%.4f", a[int(NR*0.5)+1]/1000, a[int(NR*0.9)+1]/1000, s/NR/1000}')
		(cd "$dir" && rm -f pgbench_log.* && "$NFREC_PGBIN/pgbench" -n -M prepared -c 1 -T 2 -f one.sql -l postgres >one.out 2>&1)
		local one
		one=$(cat "$dir"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.4f", a[int(NR*0.5)+1]/1000}')
		echo "$n,$ev,$rec,$one,$(cut -d' ' -f1 /proc/loadavg)" >>"$DATA/latency_catalog.csv"
		nf_log "  $n titles: p50,p90,mean = $rec ms; SELECT 1 p50 $one ms"
	done
	t=$(( $(date +%s) - t0 ))
	{
		echo "measured,$(date -u +%Y-%m-%dT%H:%MZ)"
		echo "seconds,$t"
		echo "load,$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')"
		echo "users,$USERS"
		echo "titles,$TITLES"
		echo "as_of,$AS_OF"
		echo "git,$(git -C "$NFREC_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	} >"$DATA/meta.csv"
	nf_log "measured in ${t}s"
}

render() {
	nf_log "drawing $IMG/*.png"
	local auc pop measured load
	meta() { awk -F, -v k="$1" '$1 == k {print $2}' "$DATA/meta.csv"; }
	measured=$(meta measured)
	load=$(meta load)
	auc=$(cat "$DATA/churn_auc.csv")
	pop=$(cat "$DATA/recall_popular.csv")
	cd "$DATA" || exit 1
	gnuplot <<GP
set terminal pngcairo size 860,480 font "DejaVu Sans,10" noenhanced
set datafile separator ","
set key top left box opaque
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror

# 1. churn risk decile against observed cancellations
set output "$IMG/churn_calibration.png"
set title "Churn risk at $(meta as_of) (nfrec.churn_risk) against cancellations in the next 30 days\n$(meta users) demo subscribers; forward AUC $auc; measured $measured"
set xlabel "risk decile (10 = highest predicted risk)"
set ylabel "share of the decile's subscribers"
set xrange [0.4:10.6]
set xtics 1
set yrange [0:*]
set style fill solid 0.85 border -1
set boxwidth 0.38
plot "churn_calibration.csv" skip 1 using (\$1-0.2):4 with boxes lc rgb "#c0392b" title "observed: cancelled within 30 days", \
     "" skip 1 using (\$1+0.2):3 with boxes lc rgb "#7f8c8d" title "predicted: mean risk", \
     "" skip 1 using (\$1-0.2):4:(sprintf("%d", \$5)) with labels offset 0,0.7 font ",8" notitle

# 2. recall@10 against factors and alpha
set output "$IMG/recall_grid.png"
set title "recall@10 on a 20% holdout (nfrec.holdout + nfrec.als_tune), demo $(meta users) users x $(meta titles) titles\nimplicit ALS, 15 iterations, regularization 0.1, seed 1; measured $measured"
set xlabel "factors"
set ylabel "recall@10"
set logscale x 2
set xrange [6:170]
set xtics (8, 16, 32, 64, 128)
set yrange [0:*]
set key bottom right
plot for [a in "1 5 20 40"] "recall_grid.csv" skip 1 using (\$2 == a ? \$1 : 1/0):3 with linespoints lw 2 pt 7 title "alpha ".a, \
     $pop with lines dt 2 lw 2 lc rgb "#555555" title "most popular (baseline)"
unset logscale x
set xtics autofreq

# 3. ROI per launch
set output "$IMG/roi_launches.png"
set title "Value per dollar of every launch with observed retention (nfrec.content_roi)\nvalue = incremental subscriber-months x price; costs scaled to the demo's size; measured $measured"
set xdata time
set timefmt "%Y-%m-%d"
set format x "%b %Y"
set xrange [*:*]
set xlabel "launch date"
set ylabel "roi = value / production cost (log scale)"
set logscale y 10
set yrange [*:*]
set key top left
plot "roi_launches.csv" skip 1 using (strcol(3) eq "movie" ? timecolumn(2) : 1/0):7 with points pt 7 ps 0.8 lc rgb "#2e86c1" title "movie", \
     "" skip 1 using (strcol(3) eq "series" ? timecolumn(2) : 1/0):7 with points pt 5 ps 0.8 lc rgb "#d35400" title "series", \
     1 with lines dt 2 lw 2 lc rgb "#555555" title "break-even (roi = 1)"
unset logscale y
set xdata
set format x "%g"

# 4. recommend_for latency against catalog size
set output "$IMG/latency_catalog.png"
set title "recommend_for(user, 10) latency against catalog size (pgbench, 1 client, 64 factors, $(meta users) demo users)\nNOISY: shared 2-core machine, load $load; measured $measured"
set xlabel "titles in the catalog"
set ylabel "milliseconds per call"
set xrange [0:16000]
set xtics ("1,000" 1000, "5,000" 5000, "15,000" 15000)
set yrange [0:*]
set key top center
plot "latency_catalog.csv" skip 1 using 1:4 with linespoints lw 2 pt 7 lc rgb "#8e44ad" title "p90 (noise from other jobs dominates)", \
     "" skip 1 using 1:3 with linespoints lw 2 pt 7 lc rgb "#27ae60" title "p50", \
     "" skip 1 using 1:3:(sprintf("%.2f ms", \$3)) with labels offset 0,0.9 font ",9" notitle, \
     "" skip 1 using 1:6 with linespoints lw 2 pt 6 dt 2 lc rgb "#555555" title "SELECT 1, p50"
GP
	ls -l "$IMG"/*.png >&2
}

[ "${CHARTS_RENDER_ONLY:-0}" = 1 ] || measure
render
