#!/usr/bin/env bash
# A deployed model survives a server restart: same versions, same lists,
# and the bound events relation still drives exclusion and fold-in.
source "$(dirname "$0")/../lib.sh"
PSQL=("$NFREC_PGBIN/psql" -X -At -v ON_ERROR_STOP=1)
db=nfrec_t_restart
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap '"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT

"${PSQL[@]}" -d $db <<'SQL'
CREATE EXTENSION nfrec;
CREATE TABLE ev (user_id bigint, title_id bigint, weight real);
INSERT INTO ev SELECT u, t, 1 FROM generate_series(1, 50) u, generate_series(1, 40) t WHERE (u * t) % 7 = 1;
CREATE INDEX ON ev (user_id);
SELECT nfrec.deploy('restart_m', nfrec.als_model_from_factors(
    (SELECT array_agg(u::bigint ORDER BY u) FROM generate_series(1, 50) u),
    (SELECT array_agg(ARRAY[sin(u)::real, cos(u * 2)::real, sin(u * 3)::real] ORDER BY u) FROM generate_series(1, 50) u),
    (SELECT array_agg(t::bigint ORDER BY t) FROM generate_series(1, 40) t),
    (SELECT array_agg(ARRAY[cos(t)::real, sin(t * 5)::real, cos(t * 7)::real] ORDER BY t) FROM generate_series(1, 40) t),
    (SELECT array_agg(user_id) FROM ev), (SELECT array_agg(title_id) FROM ev), (SELECT array_agg(weight) FROM ev)),
    'ev');
-- post-training events for two users
INSERT INTO ev VALUES (3, 39, 2), (51, 5, 1);
SQL

snapshot() {
	"${PSQL[@]}" -d $db -c "
	SELECT (SELECT string_agg(name || ':' || version || ':' || users || ':' || titles, ',') FROM nfrec.models),
	       md5(string_agg(u || ':' || r.rank || ':' || r.title_id || ':' || r.score, ',' ORDER BY u, r.rank))
	  FROM generate_series(1, 52) u, nfrec.recommend_for(u, 5, 'restart_m') r"
}
before=$(snapshot)
nf_restart_cluster
after=$(snapshot)
echo "before: $before"
echo "after:  $after"
[ -n "$before" ] && [ "$before" = "$after" ] || { echo "FAIL: results changed across restart"; exit 1; }
# the folded-in user and exclusion still hold after restart
"${PSQL[@]}" -d $db -c "SELECT source FROM nfrec.user_vector(3, 'restart_m')" | grep -qx folded_in \
	|| { echo "FAIL: user 3 not folded in"; exit 1; }
n=$("${PSQL[@]}" -d $db -c "SELECT count(*) FROM nfrec.recommend_for(3, 100, 'restart_m') WHERE title_id IN (SELECT title_id FROM ev WHERE user_id = 3)")
[ "$n" = 0 ] || { echo "FAIL: seen titles recommended"; exit 1; }
echo ok
