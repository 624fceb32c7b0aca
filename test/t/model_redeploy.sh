#!/usr/bin/env bash
# Atomic redeploy and rollback: one session redeploys a model again and
# again (A, B, then nfrec.rollback back to A, and so on), switching between
# two versions with opposite rankings, while another session reads
# lists for 40 users in one statement in a loop.  Every read must succeed
# and show exactly version A or exactly version B -- never a mix, never a
# cold-start fallback caused by half-visible user rows.
source "$(dirname "$0")/../lib.sh"
PSQL=("$NFREC_PGBIN/psql" -X -At -v ON_ERROR_STOP=1)
db=nfrec_t_redeploy
out="$NFREC_WORK/redeploy.$$"
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
cleanup() {
	[ -n "${reader:-}" ] && kill "$reader" 2>/dev/null || true
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
	rm -f "$out".*
}
trap cleanup EXIT

# 3000 users x 800 titles x 16 factors: a redeploy takes long enough to
# overlap many reads.  Model B negates the title factors.
"${PSQL[@]}" -d $db <<'SQL'
CREATE EXTENSION nfrec;
CREATE TABLE ev (user_id bigint, title_id bigint, weight real);
INSERT INTO ev SELECT u, t, 1 FROM generate_series(1, 3000) u, generate_series(1, 800) t WHERE (u * 31 + t * 17) % 97 = 0;
CREATE INDEX ON ev (user_id);
CREATE TABLE parts AS
SELECT (SELECT array_agg(u::bigint ORDER BY u) FROM generate_series(1, 3000) u) AS uids,
       (SELECT array_agg(ARRAY(SELECT sin(u * 0.37 + a)::real FROM generate_series(1, 16) a) ORDER BY u)
          FROM generate_series(1, 3000) u) AS uf,
       (SELECT array_agg(t::bigint ORDER BY t) FROM generate_series(1, 800) t) AS tids,
       (SELECT array_agg(ARRAY(SELECT cos(t * 0.73 + a * 1.3)::real FROM generate_series(1, 16) a) ORDER BY t)
          FROM generate_series(1, 800) t) AS tf,
       (SELECT array_agg(ARRAY(SELECT -cos(t * 0.73 + a * 1.3)::real FROM generate_series(1, 16) a) ORDER BY t)
          FROM generate_series(1, 800) t) AS tf_neg,
       (SELECT array_agg(user_id) FROM ev) AS eu, (SELECT array_agg(title_id) FROM ev) AS et,
       (SELECT array_agg(weight) FROM ev) AS ew;
CREATE TABLE models AS
SELECT 'A' AS which, nfrec.als_model_from_factors(uids, uf, tids, tf, eu, et, ew) AS m FROM parts
UNION ALL
SELECT 'B', nfrec.als_model_from_factors(uids, uf, tids, tf_neg, eu, et, ew) FROM parts;
CREATE VIEW reading AS
SELECT md5(string_agg(u || ':' || r.title_id, ',' ORDER BY u, r.rank)) AS h
  FROM generate_series(1, 3000, 75) u, nfrec.recommend_for(u, 5, 'atomic') r;
SQL

hash_of() {
	"${PSQL[@]}" -d $db -c "SELECT nfrec.deploy('atomic', m, 'ev') FROM models WHERE which = '$1'" >/dev/null
	"${PSQL[@]}" -d $db -c "SELECT h FROM reading"
}
hA=$(hash_of A)
hB=$(hash_of B)
[ "$hA" != "$hB" ] || { echo "FAIL: the two versions give the same lists"; exit 1; }

# reader: 1500 reads in one session (one statement each)
for i in $(seq 1 1500); do echo "SELECT h FROM reading;"; done >"$out.sql"
"${PSQL[@]}" -d $db -f "$out.sql" >"$out.reads" 2>"$out.err" &
reader=$!

deploys=0
rollbacks=0
step=0
while kill -0 "$reader" 2>/dev/null; do
	case $((step % 3)) in
	0 | 1)
		which=$([ $((step % 3)) = 0 ] && echo A || echo B)
		"${PSQL[@]}" -d $db -c "SELECT nfrec.deploy('atomic', m, 'ev') FROM models WHERE which = '$which'" >/dev/null
		deploys=$((deploys + 1)) ;;
	2)
		# B is current and A the version before it
		"${PSQL[@]}" -d $db -c "SELECT nfrec.rollback('atomic')" >/dev/null
		rollbacks=$((rollbacks + 1)) ;;
	esac
	step=$((step + 1))
done
kept=$("${PSQL[@]}" -d $db -c "SELECT count(*) FROM nfrec.model_history WHERE name = 'atomic'")
status=0
wait "$reader" || status=$?
reader=
reads=$(wc -l <"$out.reads")
a=$(grep -cx "$hA" "$out.reads" || true)
b=$(grep -cx "$hB" "$out.reads" || true)
other=$((reads - a - b))
echo "deploys=$deploys rollbacks=$rollbacks kept_versions=$kept reads=$reads versionA=$a versionB=$b other=$other reader_status=$status"
cat "$out.err"
[ "$status" = 0 ] && [ ! -s "$out.err" ] || { echo "FAIL: the reader saw an error"; exit 1; }
[ "$reads" = 1500 ] || { echo "FAIL: missing reads"; exit 1; }
[ "$other" = 0 ] || { echo "FAIL: a read mixed versions"; exit 1; }
[ "$kept" -le 3 ] || { echo "FAIL: more than 3 versions kept"; exit 1; }
[ "$deploys" -ge 3 ] && [ "$rollbacks" -ge 1 ] && [ "$a" -gt 0 ] && [ "$b" -gt 0 ] || { echo "FAIL: no overlap between reads and deploys"; exit 1; }
echo ok
