#!/usr/bin/env bash
# test/bench/tfidf.sh -- TF-IDF throughput and all-pairs "similar titles".
#
#   bash test/bench/run.sh tfidf      # via the benchmark runner, which sets
#                                     # up the cluster and exports PGHOST/PGPORT
#   PGHOST=127.0.0.1 PGPORT=... PGUSER=postgres bash test/bench/tfidf.sh
#
# Generates a synthetic corpus in SQL (deterministic: setseed): NFREC_BENCH_DOCS
# descriptions (default 50,000) of 40 words over a 4,000-word vocabulary --
# 3,000 "common" words drawn Zipf-like (P(rank k) ~ 1/k, so a few words
# are in almost every description, like stop words) and 40 communities of
# 25 topic words, which make 40% of each description.  Then it times, each
# as the median of NFREC_BENCH_RUNS runs (default 3):
#
#   - window form   CREATE TABLE ... AS SELECT id, nfrec.tfidf_vec(description) OVER () ...
#                   (tokenizing, weighting AND writing the vectors), configs simple and english
#   - fitted form   nfrec.tfidf_fit over the corpus, and tfidf_vec(description, vocabulary)
#                   for every description, written to a table
#   - similar titles: the 10 most similar titles of every title of a
#                   NFREC_BENCH_TITLES-title catalog (default 15,000), written to a
#                   table, with nfrec.similar_by_terms (1 and 2 threads); the naive
#                   CROSS JOIN LATERAL ... ORDER BY cosine_sim LIMIT 10 is timed on
#                   NFREC_BENCH_NAIVE query titles (default 300) and extrapolated.
#   - scikit-learn, when installed (python3-sklearn): TfidfVectorizer().fit_transform on
#                   the same descriptions, and top-10 by sparse dot products in numpy,
#                   timed inside Python (no data transfer counted).  Its tokenizer
#                   differs (words of 2+ characters), its weighting is the same.
#
# Prints the machine load (uptime) before and after: the figures depend on it.

set -euo pipefail
shopt -s inherit_errexit
if [ -z "${PGPORT:-}" ]; then
	echo "tfidf.sh: PGPORT is not set; run it through test/bench/run.sh or against a running cluster" >&2
	exit 2
fi

DOCS=${NFREC_BENCH_DOCS:-50000}
TITLES=${NFREC_BENCH_TITLES:-15000}
RUNS=${NFREC_BENCH_RUNS:-3}
NAIVE=${NFREC_BENCH_NAIVE:-300}
SCHEMA=nfrec_bench_tfidf
export PGOPTIONS="${PGOPTIONS:-} -c search_path=$SCHEMA,public -c client_min_messages=warning"

sql() { psql -qAtX -v ON_ERROR_STOP=1 <<<"$1"; }
now() { date +%s.%N; }
# seconds taken by one SQL command
timed() {
	local s e
	s=$(now)
	sql "$1" >/dev/null
	e=$(now)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}
# median of RUNS timings of a command (a setup command runs before each)
median() {
	local setup=$1 cmd=$2 ts=()
	for _ in $(seq "$RUNS"); do
		[ -n "$setup" ] && sql "$setup" >/dev/null
		ts+=("$(timed "$cmd")")
	done
	printf '%s\n' "${ts[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }

echo "tfidf benchmark: $DOCS descriptions, $TITLES-title catalog, median of $RUNS runs"
echo "load before: $(uptime)"

sql "CREATE EXTENSION IF NOT EXISTS nfrec" >/dev/null
sql "DROP SCHEMA IF EXISTS $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA" >/dev/null

gen=$(timed "
SELECT setseed(0.17);
CREATE TABLE bench_docs AS
WITH syl(s) AS (SELECT ARRAY['ka','lo','mi','ne','ru','sa','to','vi','ze','da','fo','gu','hi','jo','pe','qu']),
toks AS (
  SELECT d, i,
         CASE WHEN random() < 0.4 THEN 3000 + (d % 40) * 25 + floor(random() * 25)::int
              ELSE floor(exp(random() * ln(3000)))::int - 1 END AS k
  FROM generate_series(1, $DOCS) d, generate_series(1, 40) i
)
SELECT d AS id,
       string_agg(s[1 + k % 16] || s[1 + (k / 16) % 16] || s[1 + (k / 256) % 16], ' ' ORDER BY i) AS description
FROM toks, syl GROUP BY d;
ALTER TABLE bench_docs ADD PRIMARY KEY (id);
VACUUM ANALYZE bench_docs;")
echo "corpus generated in ${gen}s: $(sql "SELECT count(*) || ' descriptions, ' || round(avg(length(description))) || ' characters on average, vocabulary ' || (SELECT count(*) FROM ts_stat('SELECT to_tsvector(''simple'', description) FROM $SCHEMA.bench_docs')) FROM bench_docs")"
echo "example: $(sql "SELECT left(description, 100) || ' ...' FROM bench_docs WHERE id = 1")"
echo

printf '%-58s %9s %12s\n' "TF-IDF" "seconds" "docs/s"
t=$(median "DROP TABLE IF EXISTS vec" \
	"CREATE TABLE vec AS SELECT id, nfrec.tfidf_vec(description) OVER () AS tfidf FROM bench_docs")
printf '%-58s %9s %12s\n' "window form, simple, into a table" "$t" "$(rate "$DOCS" "$t")"
t=$(median "DROP TABLE IF EXISTS vec_en" \
	"CREATE TABLE vec_en AS SELECT id, nfrec.tfidf_vec(description, 'english') OVER () AS tfidf FROM bench_docs")
printf '%-58s %9s %12s\n' "window form, english (stemming, stop words), into a table" "$t" "$(rate "$DOCS" "$t")"
t=$(median "DROP TABLE IF EXISTS voc" \
	"CREATE TABLE voc AS SELECT nfrec.tfidf_fit(description) AS v FROM bench_docs")
printf '%-58s %9s %12s\n' "fitted form: tfidf_fit (vocabulary)" "$t" "$(rate "$DOCS" "$t")"
t=$(median "DROP TABLE IF EXISTS vec_fit" \
	"CREATE TABLE vec_fit AS SELECT id, nfrec.tfidf_vec(description, (SELECT v FROM voc)) AS tfidf FROM bench_docs")
printf '%-58s %9s %12s\n' "fitted form: tfidf_vec(doc, vocabulary), into a table" "$t" "$(rate "$DOCS" "$t")"
echo "fit + vectorize equals the window form on $(sql "SELECT count(*) FILTER (WHERE a.tfidf OPERATOR(nfrec.=) b.tfidf) || ' of ' || count(*) FROM vec a JOIN vec_fit b USING (id)") rows"
# a corpus that is harder on the word caches: 32,768 words, capitals and
# punctuation glued to 20% of the words (many more distinct chunks)
sql "SELECT setseed(0.29);
CREATE TABLE bench_docs_hard AS
WITH syl(s) AS (SELECT ARRAY['ka','lo','mi','ne','ru','sa','to','vi','ze','da','fo','gu','hi','jo','pe','qu',
                             'ba','ce','di','fu','ga','he','ji','ko','lu','ma','no','pi','ro','su','te','wa']),
toks AS (
  SELECT d, i, floor(exp(random() * ln(32768)))::int - 1 AS k, random() AS r, floor(random() * 6)::int AS p
  FROM generate_series(1, $DOCS) d, generate_series(1, 40) i
)
SELECT d AS id,
       string_agg(CASE WHEN r < 0.1 THEN initcap(w) ELSE w END
                  || CASE WHEN r > 0.9 THEN substr('.,;:!?', p + 1, 1) ELSE '' END, ' ' ORDER BY i) AS description
FROM (SELECT d, i, r, p, s[1 + k % 32] || s[1 + (k / 32) % 32] || s[1 + (k / 1024) % 32] AS w FROM toks, syl) x
GROUP BY d" >/dev/null
t=$(median "DROP TABLE IF EXISTS vec_hard" \
	"CREATE TABLE vec_hard AS SELECT id, nfrec.tfidf_vec(description) OVER () AS tfidf FROM bench_docs_hard")
printf '%-58s %9s %12s\n' "window form, simple, harder corpus (see below)" "$t" "$(rate "$DOCS" "$t")"
echo "vocabulary: $(sql "SELECT v->>'n_docs' || ' documents, ' || (SELECT count(*) FROM jsonb_object_keys(v->'doc_freq')) || ' terms, ' || pg_size_pretty(pg_column_size(v)::bigint) FROM voc")"
echo "harder corpus: $(sql "SELECT count(DISTINCT w) || ' distinct white-space separated words (' || count(*) || ' in all), e.g. ' || (SELECT left(description, 60) FROM bench_docs_hard WHERE id = 1) FROM bench_docs_hard, regexp_split_to_table(description, ' ') w")"

# scikit-learn on the same descriptions, if it is installed (Debian:
# python3-sklearn); timed inside Python, without reading or writing data
if /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
	psql -qAtX -c "COPY (SELECT description FROM bench_docs ORDER BY id) TO STDOUT" >"${TMPDIR:-/tmp}/nfrec_bench_docs.$$"
	psql -qAtX -c "COPY (SELECT description FROM bench_docs_hard ORDER BY id) TO STDOUT" >"${TMPDIR:-/tmp}/nfrec_bench_hard.$$"
	HARD="${TMPDIR:-/tmp}/nfrec_bench_hard.$$" <"${TMPDIR:-/tmp}/nfrec_bench_docs.$$" \
		RUNS=$RUNS TITLES=$TITLES /usr/bin/python3 -c '
import os, sys, time, statistics
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
docs = sys.stdin.read().splitlines()
runs, titles = int(os.environ["RUNS"]), int(os.environ["TITLES"])
ts = []
for _ in range(runs):
    t = time.perf_counter(); X = TfidfVectorizer().fit_transform(docs); ts.append(time.perf_counter() - t)
t = statistics.median(ts)
print("%-58s %9.3f %12.0f" % ("scikit-learn %s TfidfVectorizer().fit_transform" % sklearn.__version__, t, len(docs) / t))
hard = open(os.environ["HARD"]).read().splitlines()
ts = []
for _ in range(runs):
    t0 = time.perf_counter(); TfidfVectorizer().fit_transform(hard); ts.append(time.perf_counter() - t0)
t1 = statistics.median(ts)
print("%-58s %9.3f %12.0f" % ("scikit-learn, harder corpus", t1, len(hard) / t1))
X = X[:titles].tocsr()
t = time.perf_counter()
for i in range(0, titles, 500):
    S = (X[i:i + 500] @ X.T).toarray()
    for r in range(S.shape[0]):
        S[r, i + r] = -1.0
    top = np.argpartition(-S, 10, axis=1)[:, :10]
sk_sim = time.perf_counter() - t
print("SKSIM %.3f" % sk_sim)
' > "${TMPDIR:-/tmp}/nfrec_bench_sklearn.$$"
	grep -v '^SKSIM' "${TMPDIR:-/tmp}/nfrec_bench_sklearn.$$"
	sk_sim=$(awk '/^SKSIM/ { print $2 }' "${TMPDIR:-/tmp}/nfrec_bench_sklearn.$$")
	rm -f "${TMPDIR:-/tmp}/nfrec_bench_sklearn.$$" "${TMPDIR:-/tmp}/nfrec_bench_docs.$$" "${TMPDIR:-/tmp}/nfrec_bench_hard.$$"
else
	echo "(scikit-learn not installed: no comparison; apt-get install python3-sklearn to add it)"
	sk_sim=
fi
echo

sql "CREATE TABLE titles AS SELECT id AS title_id, tfidf FROM vec WHERE id <= $TITLES;
     ALTER TABLE titles ADD PRIMARY KEY (title_id); VACUUM ANALYZE titles" >/dev/null
work=$(sql "WITH t AS (SELECT term, count(*) AS df FROM titles, nfrec.terms(tfidf) GROUP BY term)
            SELECT round(sum(df * df) / 1e6) || 'M posting entries scanned, largest posting list ' || max(df) FROM t")
printf '%-58s %9s\n' "10 most similar titles of every title ($TITLES titles)" "seconds"
t1=$(median "DROP TABLE IF EXISTS sim" \
	"CREATE TABLE sim AS SELECT * FROM nfrec.similar_by_terms('titles', 10)")
printf '%-58s %9s\n' "similar_by_terms, 1 thread, into a table" "$t1"
t2=$(median "DROP TABLE IF EXISTS sim2" \
	"CREATE TABLE sim2 AS SELECT * FROM nfrec.similar_by_terms('titles', 10, threads => 2)")
printf '%-58s %9s\n' "similar_by_terms, 2 threads, into a table" "$t2"
echo "  ($work)"
naive_sql="CREATE TABLE naive AS
SELECT t.title_id, s.rank, s.similar_id, s.score FROM titles t CROSS JOIN LATERAL (
  SELECT row_number() OVER (ORDER BY nfrec.cosine_sim(t.tfidf, o.tfidf) DESC, o.title_id) AS rank,
         o.title_id AS similar_id, nfrec.cosine_sim(t.tfidf, o.tfidf) AS score
  FROM titles o WHERE o.title_id <> t.title_id
  ORDER BY nfrec.cosine_sim(t.tfidf, o.tfidf) DESC, o.title_id LIMIT 10) s
WHERE t.title_id <= $NAIVE"
tn=$(timed "DROP TABLE IF EXISTS naive; $naive_sql")
est=$(awk -v t="$tn" -v n="$NAIVE" -v all="$TITLES" 'BEGIN { printf "%.0f", t * all / n }')
printf '%-58s %9s\n' "naive CROSS JOIN LATERAL, $NAIVE titles (measured)" "$tn"
printf '%-58s %9s\n' "naive CROSS JOIN LATERAL, all titles (extrapolated)" "$est"
echo "speed-up over naive: $(awk -v a="$est" -v b="$t1" 'BEGIN { printf "%.0fx", a / b }') (1 thread)"
[ -n "$sk_sim" ] && printf '%-58s %9s\n' "numpy/scipy: X[rows] @ X.T + argpartition, 500-row chunks" "$sk_sim"
echo "agreement with naive on the measured titles: $(sql "SELECT count(*) FILTER (WHERE n.similar_id = s.similar_id AND abs(n.score - s.score) < 1e-9) || ' of ' || count(*) || ' (rank, neighbour, score) rows equal' FROM naive n LEFT JOIN sim s USING (title_id, rank)")"
echo "1 and 2 threads agree: $(sql "SELECT count(*) = 0 FROM sim a FULL JOIN sim2 b USING (title_id, rank) WHERE a.similar_id IS DISTINCT FROM b.similar_id")"
echo
echo "load after: $(uptime)"

[ "${NFREC_BENCH_KEEP:-0}" = 1 ] || sql "DROP SCHEMA $SCHEMA CASCADE" >/dev/null
