#!/usr/bin/env bash
# test/bench/diversity_frontier.sh -- the diversity targets against a genre
# cap and a popularity-aware relevance, on two demo shapes (a study for the
# next defaults; doc/serve.md, "Diversity").
#
#   bash test/bench/diversity_frontier.sh     # as root; same knobs as test/run.sh
#
# Per shape: generate_demo, 80/20 nfrec.holdout split, the default
# als_train model deployed from the training part, the top 200 of
# recommend_for for every 4th user with held-out titles, exported with each
# title's popularity, held-out flag and genres; then
# test/bench/diversity_frontier.py re-ranks the best DIVERSITY_POOL
# (default 100, the server's pool for n = 10) of them greedily
# (calibration as src/diversity.c, optionally a cap per genre or per first
# genre, hard or soft, and a relevance that blends the score's rank with
# the popularity rank) and prints recall@10, the shares of lists with 6+
# titles of one first genre and of one genre (any of a title's), and the
# calibration KL per setting, the first line (the plain ranking) being the
# reference of the relative figures.  Needs python3 (standard library);
# skipped without it.  DIVERSITY_SETTINGS overrides the settings
# ("d,w,cap,rel[,mu[,first]]" ..., see the .py), DIVERSITY_SHAPES the
# shapes (below).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

if ! command -v python3 >/dev/null; then
	echo "diversity_frontier: no python3, skipped"
	exit 0
fi
nf_bench_cluster
PSQL=("$NFREC_PGBIN/psql" -X -q -v ON_ERROR_STOP=1)
read -r -a settings <<<"${DIVERSITY_SETTINGS:-0,0,99,score 0.3,0,99,score 1,0,99,score 0.3,0,5,score,,first 1,0,5,score,,first 0.85,1.5,5,borda,,first 0.85,1.5,5,borda 0.85,1.5,5,borda,0.1,first}"

shape() {
	local db=$1 args=$2 out="$NFREC_WORK/diversity-frontier/$1"
	mkdir -p "$out"
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
	"${PSQL[@]}" -d "$db" >/dev/null 2>&1 <<SQL
CREATE EXTENSION nfrec;
SELECT count(*) FROM nfrec.generate_demo($args);
CREATE TABLE train AS SELECT * FROM interactions WHERE NOT nfrec.holdout(user_id, title_id, 0.2);
CREATE TABLE test AS SELECT * FROM interactions WHERE nfrec.holdout(user_id, title_id, 0.2);
CREATE INDEX ON train (user_id);
SELECT nfrec.deploy('m', (SELECT nfrec.als_train(user_id, title_id, weight) FROM train), 'train');
CREATE TABLE sample_users AS SELECT DISTINCT user_id FROM test WHERE user_id % 4 = 0;
CREATE TABLE pop AS SELECT title_id, count(*) AS n FROM train GROUP BY 1;
CREATE TABLE fr AS SELECT u.user_id, r.rank, r.title_id, r.score
  FROM sample_users u, nfrec.recommend_for(u.user_id, 200, 'm') r;
SQL
	"${PSQL[@]}" -At -d "$db" -c "COPY (SELECT fr.user_id, fr.rank, fr.title_id, fr.score, coalesce(p.n, 0),
	    (EXISTS (SELECT 1 FROM test t WHERE t.user_id = fr.user_id AND t.title_id = fr.title_id))::int,
	    array_to_string(c.genres, '|')
	  FROM fr LEFT JOIN pop p USING (title_id) LEFT JOIN content_metadata c USING (title_id) ORDER BY 1, 2) TO STDOUT" >"$out/pool.tsv"
	"${PSQL[@]}" -At -d "$db" -c "COPY (WITH g AS (SELECT c.title_id, x.genre, 1.0 / cardinality(c.genres) AS share
	      FROM content_metadata c, unnest(c.genres) x(genre) WHERE cardinality(c.genres) > 0)
	  SELECT t.user_id, g.genre, sum(t.weight * g.share) / sum(sum(t.weight * g.share)) OVER (PARTITION BY t.user_id)
	  FROM train t JOIN sample_users USING (user_id) JOIN g USING (title_id) WHERE t.weight > 0 GROUP BY 1, 2) TO STDOUT" >"$out/p.tsv"
	"${PSQL[@]}" -At -d "$db" -c "COPY (SELECT user_id, count(*) FROM test JOIN sample_users USING (user_id) GROUP BY 1) TO STDOUT" >"$out/nrel.tsv"
	echo "== $db: generate_demo($args), $(wc -l <"$out/nrel.tsv") users (every 4th with held-out titles); load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "| d | w | cap | relevance | recall@10 | 6+ of one first genre | 6+ of one genre (any) | calibration KL |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
	DV="$out" python3 "$NFREC_ROOT/test/bench/diversity_frontier.py" "${DIVERSITY_POOL:-100}" "${settings[@]}"
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
}

# DIVERSITY_SHAPES overrides the shapes ("generate_demo arguments;..."); the
# exported pools stay in $NFREC_WORK/diversity-frontier/<database>.
IFS=';' read -r -a shapes <<<"${DIVERSITY_SHAPES:-users => 5000, titles => 1500;users => 6000, titles => 3000, communities => 48}"
i=0
for args in "${shapes[@]}"; do
	i=$((i + 1))
	shape nfrec_bench_divf$i "$args"
done
