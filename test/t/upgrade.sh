#!/usr/bin/env bash
# Upgrade path: for every frozen old install script test/upgrade/nfrec--X.sql,
# a database that installed version X, trained and deployed models and saved
# model values, then ran ALTER EXTENSION nfrec UPDATE must
#   (a) be at the current version and serve exactly what it served before
#       (trained, folded-in and cold-start users, similar titles, factors),
#       with model values saved under X (text and binary columns, and a
#       value frozen in test/upgrade/ when X was current) still loading;
#   (b) hold exactly the objects of a fresh CREATE EXTENSION nfrec:
#       test/upgrade/catalog.sql lists every extension member with its
#       definition, labels, settings, comments and privileges, and the two
#       listings must be identical (the diff is printed otherwise).
# The old script is copied into the server's extension directory only for
# this test and removed afterwards: releases ship the current install script
# and the upgrade scripts, never old install scripts (doc/upgrade.md).
source "$(dirname "$0")/../lib.sh"
PSQL=("$NFREC_PGBIN/psql" -X -At -v ON_ERROR_STOP=1)
up=nfrec_t_upgrade_old
fresh=nfrec_t_upgrade_new
here="$NFREC_ROOT/test/upgrade"
tmp="$NFREC_WORK/upgrade.$$"
mkdir -p "$tmp"

# the extension directory of the server under test (sandbox or system)
extdir="$("${PSQL[@]}" -d postgres -c "SELECT setting FROM pg_config WHERE name = 'SHAREDIR'")/extension"
[ -f "$extdir/nfrec.control" ] || { echo "FAIL: no nfrec.control in $extdir"; exit 1; }
current=$(sed -n 's/^EXTVERSION *= *//p' "$NFREC_ROOT/Makefile")

placed=()
cleanup() {
	for f in "${placed[@]}"; do
		if [ -f "$tmp/saved.$(basename "$f")" ]; then
			mv -f "$tmp/saved.$(basename "$f")" "$f"
		else
			rm -f "$f"
		fi
	done
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $up" -c "DROP DATABASE IF EXISTS $fresh" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# the serving state a user sees (run in a new session each time, so no
# backend cache carries results across the update)
probe() {
	"${PSQL[@]}" -d $up <<'SQL'
SELECT 'recommend', p.user_id, r.rank, r.title_id, r.score
  FROM upgrade_probe.users p, nfrec.recommend_for(p.user_id, 5, 'up') r ORDER BY p.user_id, r.rank;
SELECT 'vector', p.user_id, v.source, v.factors
  FROM upgrade_probe.users p, nfrec.user_vector(p.user_id, 'up') v ORDER BY p.user_id;
-- 0.2.0's similar_titles leaves out titles with fewer than 5 training users
-- (min_support); 0.1.0's lists all: compare the lists with that filter
SELECT 'similar', t, row_number() OVER (PARTITION BY t ORDER BY s.rank), s.title_id, s.score
  FROM generate_series(1, 5) t, nfrec.similar_titles(t, 1000, 'up') s
  JOIN upgrade_probe.support p ON p.title_id = s.title_id AND p.users >= 5
 ORDER BY t, s.rank;
SELECT 'default model', r.rank, r.title_id, r.score
  FROM nfrec.recommend_for((SELECT min(user_id) FROM upgrade_probe.users)) r ORDER BY r.rank;
SELECT 'models', name, version, users, titles, events, factors, iterations, alpha, regularization,
       options, events_relation, is_default
  FROM nfrec.models ORDER BY name;
SELECT 'item factors', md5(string_agg(title_id || ':' || factors::text, ',' ORDER BY title_id))
  FROM nfrec.item_factors('up');
SELECT 'user factors', md5(string_agg(user_id || ':' || factors::text, ',' ORDER BY user_id))
  FROM nfrec.user_factors('up');
SELECT 'saved', name, nfrec.model_info(m), nfrec.model_info(m_text::nfrec.als_model) = nfrec.model_info(m),
       m::text = m_text, md5(m_text)
  FROM upgrade_probe.saved_models ORDER BY name;
SELECT 'frozen', f.name, u.user_id, r.rank, r.title_id, r.score
  FROM upgrade_probe.frozen f, generate_series(1, 6) u(user_id), nfrec.recommend_for(u.user_id, 3, f.name) r
 ORDER BY f.name, u.user_id, r.rank;
SQL
}

# model values frozen under the old version (test/upgrade/models-X.sql) load
# and show what they showed then; prints what is wrong, nothing if all is well
check_frozen() {
	"${PSQL[@]}" -d $up <<'SQL'
SELECT 'model_info of ' || f.name || ' is ' || i::text || ', frozen: ' || f.info::text
  FROM upgrade_probe.frozen f, LATERAL (SELECT nfrec.model_info(f.m_text::nfrec.als_model) AS i) x
 WHERE NOT i @> f.info;
SELECT 'title factors of ' || f.name || ' differ from when it was frozen'
  FROM upgrade_probe.frozen f
 WHERE f.item_md5 IS DISTINCT FROM (SELECT md5(string_agg(title_id || ':' || factors::text, ',' ORDER BY title_id))
                                      FROM nfrec.item_factors(f.name));
SELECT 'user factors of ' || f.name || ' differ from when it was frozen'
  FROM upgrade_probe.frozen f
 WHERE f.user_md5 IS DISTINCT FROM (SELECT md5(string_agg(user_id || ':' || factors::text, ',' ORDER BY user_id))
                                      FROM nfrec.user_factors(f.name));
-- frozen_factors against what it was built from (test/upgrade/freeze-models.sql)
SELECT 'title factors of frozen_factors are not the ones it was built from'
 WHERE (SELECT count(*) FILTER (WHERE i.factors = ARRAY[t * 0.25, (t % 3) * 0.5 - 0.5, 1 - t * 0.125]::real[])
          FROM nfrec.item_factors('frozen_factors') i, LATERAL (SELECT i.title_id AS t) x) <> 8;
-- and its lists against plain SQL: the dot products, watched titles excluded
SELECT 'recommend_for(' || u || ', 3, frozen_factors) gives ' || coalesce(got::text, '{}') || ', plain SQL ' || want::text
  FROM generate_series(1, 6) u,
       LATERAL (SELECT array_agg(r.title_id ORDER BY r.rank) AS got FROM nfrec.recommend_for(u, 3, 'frozen_factors') r) g,
       LATERAL (SELECT array_agg(t::bigint ORDER BY s DESC, t) AS want
                  FROM (SELECT t, ((u % 3) * 0.25 * t * 0.25 + ((u % 2) * 0.5 - 0.25) * ((t % 3) * 0.5 - 0.5)
                                   + u * 0.125 * (1 - t * 0.125))::real AS s
                          FROM generate_series(1, 8) t WHERE (u + t) % 3 <> 0
                         ORDER BY 2 DESC, 1 LIMIT 3) d) w
 WHERE got IS DISTINCT FROM want;
SQL
}

nold=0
for script in "$here"/nfrec--*.sql; do
	case "$(basename "$script")" in nfrec--*--*) continue ;; esac
	old=$(basename "$script" .sql)
	old=${old#nfrec--}
	nold=$((nold + 1))
	echo "== from $old to $current"
	target="$extdir/nfrec--$old.sql"
	[ -e "$target" ] && cp -p "$target" "$tmp/saved.$(basename "$target")"
	placed+=("$target")
	install -m 644 "$script" "$target"

	"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS $up" -c "DROP DATABASE IF EXISTS $fresh" \
		-c "CREATE DATABASE $up" -c "CREATE DATABASE $fresh" >/dev/null

	# --- (a) install the old version, deploy, save model values ---------
	"${PSQL[@]}" -d $up -v old="$old" -v fixture="$here/models-$old.sql" <<'SQL' >/dev/null \
		|| fail "installing $old and deploying models under it failed"
SET client_min_messages = warning;
CREATE EXTENSION nfrec VERSION :'old';
CREATE SCHEMA demo;
CREATE SCHEMA upgrade_probe;
SET search_path = demo;
SELECT nfrec.generate_demo(users => 120, titles => 60, days => 60, seed => 5);
SET search_path = public;
-- model values a user keeps in tables, in binary and in text form
CREATE TABLE upgrade_probe.saved_models (name text PRIMARY KEY, m nfrec.als_model, m_text text);
INSERT INTO upgrade_probe.saved_models
SELECT 'trained', m, m::text
  FROM (SELECT nfrec.als_train(user_id, title_id, weight,
                               '{"factors": 6, "iterations": 4, "seed": 3, "threads": 1, "verbose": false}') AS m
          FROM demo.interactions) s;
SELECT nfrec.deploy('up', m, 'demo.interactions') FROM upgrade_probe.saved_models WHERE name = 'trained';
-- training users per title (before the events added below)
CREATE TABLE upgrade_probe.support AS
SELECT title_id, count(*) AS users FROM demo.interactions GROUP BY title_id;
SELECT nfrec.deploy('other', nfrec.als_model_from_factors('{1,2}', '{{1,0},{0,1}}', '{1,2,3}', '{{1,0},{0,1},{1,1}}'));
-- the users probed: trained ones, a trained one and a new one with events
-- after training (folded in), and one nobody knows (cold start)
CREATE TABLE upgrade_probe.users (user_id bigint PRIMARY KEY, expect text NOT NULL);
INSERT INTO upgrade_probe.users
SELECT user_id, CASE WHEN n = 2 THEN 'folded_in' ELSE 'trained' END
  FROM (SELECT user_id, row_number() OVER (ORDER BY user_id) AS n
          FROM (SELECT DISTINCT user_id FROM demo.interactions) d) s
 WHERE n IN (1, 2, 40);
INSERT INTO upgrade_probe.users VALUES (1000001, 'folded_in'), (2000002, 'cold_start');
INSERT INTO demo.viewing_events (event_id, user_id, title_id, started_at, watch_seconds, watch_pct,
                                 device, country, event_type)
SELECT (SELECT max(event_id) FROM demo.viewing_events) + row_number() OVER (ORDER BY p.user_id, t.title_id),
       p.user_id, t.title_id, '2025-12-30 20:00+00', 1200, 80, 'tv', 'US', 'play'
  FROM upgrade_probe.users p,
       LATERAL (SELECT c.title_id FROM demo.content_metadata c
                 WHERE NOT EXISTS (SELECT FROM demo.interactions i
                                    WHERE i.user_id = p.user_id AND i.title_id = c.title_id)
                 ORDER BY c.title_id LIMIT 2) t
 WHERE p.expect = 'folded_in';
-- a model value frozen when this version was current
CREATE TABLE upgrade_probe.frozen (name text PRIMARY KEY, info jsonb, item_md5 text, user_md5 text, m_text text);
\i :fixture
SELECT nfrec.deploy(name, m_text::nfrec.als_model) FROM upgrade_probe.frozen ORDER BY name;
SELECT nfrec.deploy('up', m, 'demo.interactions') FROM upgrade_probe.saved_models WHERE name = 'trained';
SQL
	"${PSQL[@]}" -d $up -c "SELECT extversion FROM pg_extension WHERE extname = 'nfrec'" | grep -qx "$old" \
		|| fail "CREATE EXTENSION nfrec VERSION '$old' did not install $old"
	# every probed user takes the path it is meant to
	paths=$("${PSQL[@]}" -d $up -c "SELECT string_agg(p.expect || '=' || v.source, ' ' ORDER BY p.user_id)
	                                  FROM upgrade_probe.users p, nfrec.user_vector(p.user_id, 'up') v
	                                 WHERE v.source IS DISTINCT FROM p.expect") || fail "user_vector failed under $old"
	[ -z "$paths" ] || fail "probe users take other paths than meant: $paths"
	problems=$(check_frozen) || fail "checking the frozen model values failed"
	[ -z "$problems" ] || fail "under $old: $problems"
	probe >"$tmp/before" || fail "serving under $old failed"

	# --- update, then serve again in new sessions -------------------------
	"${PSQL[@]}" -d $up -c "ALTER EXTENSION nfrec UPDATE" >/dev/null || fail "ALTER EXTENSION nfrec UPDATE from $old failed"
	got=$("${PSQL[@]}" -d $up -c "SELECT extversion FROM pg_extension WHERE extname = 'nfrec'") || fail "no extension after the update"
	[ "$got" = "$current" ] || fail "after ALTER EXTENSION nfrec UPDATE from $old: version $got, expected $current"
	problems=$(check_frozen) || fail "checking the frozen model values failed"
	[ -z "$problems" ] || fail "after the update from $old: $problems"
	probe >"$tmp/after" || fail "serving after the update from $old failed"
	if ! diff -u "$tmp/before" "$tmp/after"; then
		fail "serving after the update from $old differs from before (diff above: - before, + after)"
	fi
	echo "serving unchanged: $(grep -c . "$tmp/after") probe rows (recommend_for, user_vector, similar_titles, factors, saved and frozen model values)"
	# model values saved under the old version load and deploy under the new one
	"${PSQL[@]}" -d $up <<'SQL' >/dev/null || fail "a model value saved under $old does not deploy after the update"
SELECT nfrec.deploy('up_' || name, m_text::nfrec.als_model) FROM upgrade_probe.saved_models;
SELECT nfrec.deploy('up_bin_' || name, m) FROM upgrade_probe.saved_models;
SQL
	same=$("${PSQL[@]}" -d $up -c "
	SELECT count(*) = 3 AND bool_and(a IS NOT DISTINCT FROM b) FROM (  -- 2 trained users, 1 factor check
	  SELECT (SELECT string_agg(r.title_id || ':' || r.score, ',' ORDER BY r.rank) FROM nfrec.recommend_for(p.user_id, 5, 'up') r),
	         (SELECT string_agg(r.title_id || ':' || r.score, ',' ORDER BY r.rank) FROM nfrec.recommend_for(p.user_id, 5, 'up_trained') r)
	    FROM upgrade_probe.users p WHERE p.expect = 'trained'
	  UNION ALL
	  SELECT (SELECT md5(string_agg(factors::text, ',' ORDER BY title_id)) FROM nfrec.item_factors('up')),
	         (SELECT md5(string_agg(factors::text, ',' ORDER BY title_id)) FROM nfrec.item_factors('up_bin_trained'))
	) s(a, b)") || fail "serving the reloaded model values failed"
	[ "$same" = t ] || fail "a model value saved under $old serves differently after the update"

	# --- (b) the same objects as a fresh install --------------------------
	"${PSQL[@]}" -d $fresh -c "CREATE EXTENSION nfrec" >/dev/null || fail "CREATE EXTENSION nfrec failed"
	"${PSQL[@]}" -d $up -f "$here/catalog.sql" >"$tmp/catalog.updated" || fail "listing the catalog failed"
	"${PSQL[@]}" -d $fresh -f "$here/catalog.sql" >"$tmp/catalog.fresh" || fail "listing the catalog failed"
	n=$(grep -c ' | member of | ' "$tmp/catalog.fresh")
	[ "$n" -gt 100 ] || fail "the catalog listing of a fresh install shows only $n members"
	if ! diff -u --label "fresh CREATE EXTENSION nfrec ($current)" --label "$old + ALTER EXTENSION nfrec UPDATE" \
		"$tmp/catalog.fresh" "$tmp/catalog.updated"; then
		# a summary last (test/run.sh shows only the end of a failed test's log)
		echo "FAIL: after the update from $old the extension's objects differ from a fresh install of $current"
		echo "(lines: object | property | value; '-' fresh install, '+' updated; fix nfrec--*--$current.sql):"
		diff "$tmp/catalog.fresh" "$tmp/catalog.updated" | grep '^[<>] ' \
			| awk -F' [|] ' '{ side = substr($1, 1, 1); o = substr($1, 3) }
			                 $2 == "member of" { only[o] = side }
			                 !seen[o, $2]++ { k[o] = (k[o] == "" ? "" : k[o] ", ") $2 }
			                 END { for (o in k) print "  " o ": " (only[o] == "<" ? "missing after the update" : \
			                                                      only[o] == ">" ? "left over after the update (not in a fresh install)" : k[o]) }' \
			| sort
		exit 1
	fi
	echo "catalog identical: $n members, $(wc -l <"$tmp/catalog.fresh") lines"
done
[ "$nold" -gt 0 ] || fail "no frozen install script in test/upgrade/"
echo ok
