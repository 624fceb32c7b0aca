#!/usr/bin/env bash
# Atomic dashboard refresh: one session refreshes the recommendations again
# and again, alternating lists of 3 and of 5 titles, while another session
# reads the view nfrec.recommendations (and catalog_health) in a loop.
# Every read must succeed without waiting for the refresh and see exactly
# one refresh: one generated_at, every user with the same list length,
# catalog_health from the same refresh -- never a mix, never an empty view.
source "$(dirname "$0")/../lib.sh"
PSQL=("$NFREC_PGBIN/psql" -X -At -v ON_ERROR_STOP=1)
db=nfrec_t_dash_refresh
out="$NFREC_WORK/dash_refresh.$$"
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
cleanup() {
	[ -n "${reader:-}" ] && kill "$reader" 2>/dev/null || true
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
	rm -f "$out".*
}
trap cleanup EXIT

"${PSQL[@]}" -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION nfrec;
SELECT nfrec.generate_demo(users => 1000, titles => 200, days => 120, seed => 5);
SELECT nfrec.deploy('dash', nfrec.als_train(user_id, title_id, weight,
                    '{"factors": 16, "iterations": 3, "seed": 1, "verbose": false}'))
  FROM interactions;
CALL nfrec.refresh('recommendations', n => 3);
CREATE VIEW reading AS
SELECT count(DISTINCT r.generated_at) || ' ' || min(r.n) || '-' || max(r.n) || ' '
       || bool_and(h.generated_at = r.generated_at) || ' ' || (count(*) = h.users) AS state
  FROM (SELECT user_id, generated_at, max(rank) AS n FROM nfrec.recommendations GROUP BY 1, 2) r
 CROSS JOIN nfrec.catalog_health h
 GROUP BY h.users;
SQL
users=$("${PSQL[@]}" -d $db -c "SELECT count(*) FROM nfrec.model_users")

# reader: 60 reads in one session, each in its own statement
for i in $(seq 1 60); do echo "SELECT state FROM reading;"; done >"$out.sql"
"${PSQL[@]}" -d $db -f "$out.sql" >"$out.reads" 2>"$out.err" &
reader=$!

refreshes=0
while kill -0 "$reader" 2>/dev/null; do
	n=$([ $((refreshes % 2)) = 0 ] && echo 5 || echo 3)
	"${PSQL[@]}" -d $db -c "CALL nfrec.refresh('recommendations', n => $n)" >/dev/null
	refreshes=$((refreshes + 1))
done
status=0
wait "$reader" || status=$?
reader=
reads=$(wc -l <"$out.reads")
three=$(grep -cx "1 3-3 true true" "$out.reads" || true)
five=$(grep -cx "1 5-5 true true" "$out.reads" || true)
other=$((reads - three - five))
echo "users=$users refreshes=$refreshes reads=$reads lists_of_3=$three lists_of_5=$five other=$other reader_status=$status"
grep -vx "1 3-3 true true" "$out.reads" | grep -vx "1 5-5 true true" | head -5 || true
cat "$out.err"
[ "$status" = 0 ] && [ ! -s "$out.err" ] || { echo "FAIL: the reader saw an error"; exit 1; }
[ "$reads" = 60 ] || { echo "FAIL: missing reads"; exit 1; }
[ "$other" = 0 ] || { echo "FAIL: a read saw a mix of refreshes or an empty view"; exit 1; }
[ "$refreshes" -ge 3 ] && [ "$three" -gt 0 ] && [ "$five" -gt 0 ] || { echo "FAIL: no overlap between reads and refreshes"; exit 1; }
echo ok
