#!/usr/bin/env bash
# test/bench/diversity.sh -- the diversity table of doc/serve.md.
#
#   bash test/bench/diversity.sh        # as root; same knobs as test/run.sh
#
# The demo (5,000 users, 1,500 titles, default options), 80 % of each
# user's titles for training (nfrec.holdout), the default als_train
# model deployed bound to the training rows, then test/bench/diversity.sql
# for recommend_for's diversity at 0 and DIVERSITY_KNOBS (default
# "0.5 0.85 1", 0.85 being homepage's default): recall@10 on the held-out
# 20 %, intra-list similarity, share of lists with 6+ titles of one genre,
# calibration KL.  DIVERSITY_DEMO gives other generate_demo arguments
# (default "users => 5000, titles => 1500").
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
read -r d1 d2 d3 <<<"${DIVERSITY_KNOBS:-0.5 0.85 1}"
nf_bench_cluster
PSQL=("$NFREC_PGBIN/psql" -X -v ON_ERROR_STOP=1)
db=nfrec_bench_diversity
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
"${PSQL[@]}" -d $db -q >/dev/null 2>&1 <<SQL
CREATE EXTENSION nfrec;
SELECT * FROM nfrec.generate_demo(${DIVERSITY_DEMO:-users => 5000, titles => 1500});
CREATE TABLE train AS SELECT * FROM interactions WHERE NOT nfrec.holdout(user_id, title_id, 0.2);
CREATE TABLE test AS SELECT * FROM interactions WHERE nfrec.holdout(user_id, title_id, 0.2);
CREATE INDEX ON train (user_id);
SELECT nfrec.deploy('m', (SELECT nfrec.als_train(user_id, title_id, weight) FROM train), 'train');
SQL
echo "== generate_demo(${DIVERSITY_DEMO:-users => 5000, titles => 1500}); load $(cut -d' ' -f1-3 /proc/loadavg)"
"${PSQL[@]}" -d $db -q -v d1="$d1" -v d2="$d2" -v d3="$d3" -f "$NFREC_ROOT/test/bench/diversity.sql"
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
