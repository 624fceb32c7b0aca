#!/usr/bin/env bash
# pg_dump / pg_restore of a database with deployed models into a fresh
# database: the registry rows come along (extension configuration tables),
# the events binding is restored by name, and serving gives the same lists.
source "$(dirname "$0")/../lib.sh"
PSQL=("$NFREC_PGBIN/psql" -X -At -v ON_ERROR_STOP=1)
src=nfrec_t_dump_src
dst=nfrec_t_dump_dst
dump="$NFREC_WORK/model_dump.$$"
cleanup() {
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" >/dev/null 2>&1 || true
	rm -f "$dump"
}
trap cleanup EXIT
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" -c "CREATE DATABASE $src"

"${PSQL[@]}" -d $src <<'SQL'
CREATE EXTENSION nfrec;
CREATE SCHEMA "Events Schema";
CREATE TABLE "Events Schema"."Plays" (user_id int, title_id int, weight float8);
INSERT INTO "Events Schema"."Plays" SELECT u, t, 1 + u % 3 FROM generate_series(1, 60) u, generate_series(1, 30) t WHERE (u + 2 * t) % 5 = 0;
CREATE INDEX ON "Events Schema"."Plays" (user_id);
SELECT nfrec.deploy('dump_a', nfrec.als_model_from_factors(
    (SELECT array_agg(u::bigint ORDER BY u) FROM generate_series(1, 60) u),
    (SELECT array_agg(ARRAY[sin(u)::real, cos(u * 3)::real] ORDER BY u) FROM generate_series(1, 60) u),
    (SELECT array_agg(t::bigint ORDER BY t) FROM generate_series(1, 30) t),
    (SELECT array_agg(ARRAY[cos(t * 1.7)::real, sin(t * 0.3)::real] ORDER BY t) FROM generate_series(1, 30) t),
    (SELECT array_agg(user_id::bigint) FROM "Events Schema"."Plays"),
    (SELECT array_agg(title_id::bigint) FROM "Events Schema"."Plays"),
    (SELECT array_agg(weight::real) FROM "Events Schema"."Plays"), alpha => 7, regularization => 0.3),
    '"Events Schema"."Plays"');
SELECT nfrec.deploy('dump_b', nfrec.als_model_from_factors('{1}', '{{1}}', '{1,2,3}', '{{1},{2},{3}}'));
-- a second version (the first is kept for rollback), made the default
SELECT nfrec.deploy('dump_b', nfrec.als_model_from_factors('{1}', '{{1}}', '{1,2,3}', '{{3},{2},{1}}'),
                    make_default => true);
-- events after training: fold-in must give the same vectors after restore
INSERT INTO "Events Schema"."Plays" VALUES (7, 29, 4), (61, 3, 1);
SQL

snapshot() {
	"${PSQL[@]}" -d "$1" -c "
	SELECT (SELECT string_agg(name || ':' || version || ':' || users || ':' || titles || ':' || events || ':'
	                          || options::text || ':' || coalesce(events_relation::text, '-') || ':' || deployed_at, ','
	                          ORDER BY name) FROM nfrec.models),
	       (SELECT md5(string_agg(u || ':' || r.rank || ':' || r.title_id || ':' || r.score, ',' ORDER BY u, r.rank))
	          FROM generate_series(1, 62) u, nfrec.recommend_for(u, 7, 'dump_a') r),
	       (SELECT md5(string_agg(title_id || ':' || factors::text, ',')) FROM nfrec.item_factors('dump_a')),
	       (SELECT md5(string_agg(user_id || ':' || factors::text, ',')) FROM nfrec.user_factors('dump_a')),
	       (SELECT string_agg(title_id::text, ',') FROM nfrec.recommend_for(1, 3, 'dump_b')),
	       (SELECT string_agg(name || ':' || version || ':' || is_current || ':' || deployed_at, ',' ORDER BY version)
	          FROM nfrec.model_history),
	       (SELECT name FROM nfrec.models WHERE is_default)"
}
before=$(snapshot $src)
"$NFREC_PGBIN/pg_dump" -Fc -d $src -f "$dump"
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $dst"
"$NFREC_PGBIN/pg_restore" --exit-on-error -d $dst "$dump"
after=$(snapshot $dst)
echo "before: $before"
echo "after:  $after"
[ -n "$before" ] && [ "$before" = "$after" ] || { echo "FAIL: restored database serves different results"; exit 1; }
# the version sequence came along: a new deployment gets a higher version
"${PSQL[@]}" -d $dst -c "SELECT nfrec.deploy('dump_c', nfrec.als_model_from_factors('{}', '{}', '{1}', '{{1}}')) > max(version) FROM nfrec.model_store WHERE name <> 'dump_c'" | grep -qx t \
	|| { echo "FAIL: version sequence not restored"; exit 1; }
# the kept version came along: rollback serves it
"${PSQL[@]}" -d $dst -c "SELECT nfrec.rollback('dump_b') > 0" -c "SELECT string_agg(title_id::text, ',') FROM nfrec.recommend_for(1, 3)" \
	| tr '\n' ' ' | grep -qx 't 3,2,1 ' || { echo "FAIL: the kept version or the default was not restored"; exit 1; }
echo ok
