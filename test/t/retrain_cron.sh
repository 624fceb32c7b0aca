#!/usr/bin/env bash
# pg_cron really runs nfrec.retrain: install postgresql-15-cron if it is
# missing, start a second throwaway cluster that preloads pg_cron (the
# suite's cluster does not, and pg_cron must be in shared_preload_libraries),
# schedule a good retrain and a failing one with cron.schedule, wait for
# pg_cron to run them, then check cron.job_run_details (succeeded / failed)
# against nfrec.retrain_log (deployed / failed) and unschedule.
# Skipped (exit 0 with a SKIP line) only if the package cannot be installed.
source "$(dirname "$0")/../lib.sh"
pkg="postgresql-$NFREC_PGVER-cron"
syslib="/usr/lib/postgresql/$NFREC_PGVER/lib"
sysext="/usr/share/postgresql/$NFREC_PGVER/extension"

if [ ! -f "$syslib/pg_cron.so" ]; then
	echo "installing $pkg"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$pkg" >/dev/null 2>&1 ||
		{ apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 &&
		  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$pkg" >/dev/null 2>&1; } || true
fi
if [ ! -f "$syslib/pg_cron.so" ]; then
	echo "SKIP: $pkg is not installed and could not be installed"
	exit 0
fi
# a sandbox is a copy of the server tree made before pg_cron came: add it
if [ -n "$NFREC_SANDBOX" ]; then
	cp -f "$syslib"/pg_cron.so "$NFREC_SANDBOX$syslib/"
	cp -f "$sysext"/pg_cron* "$NFREC_SANDBOX$sysext/"
fi

port=${NFREC_CRON_PORT:-$((NFREC_PORT + 10))}
dir="$NFREC_WORK/cron"
bin="$(nf_pgbin)"
stop() {
	[ -f "$dir/data/postmaster.pid" ] &&
		su postgres -c "$bin/pg_ctl -D '$dir/data' -m fast -w stop" >/dev/null 2>&1
	rm -rf "$dir"
}
trap stop EXIT
stop
mkdir -p "$dir" && chown postgres "$dir"
su postgres -c "$bin/initdb -D '$dir/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
# pg_cron connects to the server through libpq like a client, here over the
# cluster's own socket directory (trust), so CALL can COMMIT as at top level
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.host = '$dir'
fsync = off
lc_messages = 'C'
CONF
# under NFREC_ASAN the installed nfrec.so needs the ASan runtime preloaded, as in the main cluster
su postgres -c "$(nf_server_env) $bin/pg_ctl -D '$dir/data' -l '$dir/server.log' -w start" >/dev/null
PSQL=("$bin/psql" -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres)
fail() { echo "FAIL: $*"; tail -n 30 "$dir/server.log"; exit 1; }

"${PSQL[@]}" <<'SQL' || fail "set-up"
CREATE EXTENSION pg_cron;
CREATE EXTENSION nfrec;
-- 200 users in 5 taste communities of 8 titles
CREATE TABLE ev AS
SELECT u::bigint AS user_id, ((u % 5) * 8 + j)::bigint AS title_id, 1::real AS weight
  FROM generate_series(1, 200) u, generate_series(1, 8) j
 WHERE abs(hashint4(u * 100 + j)) % 10 < 6;
SELECT cron.schedule('nfrec-retrain', '* * * * *',
    $$CALL nfrec.retrain('cron_m', 'public.ev', '{"factors": 8, "iterations": 5, "verbose": false}')$$) > 0;
SELECT cron.schedule('nfrec-retrain-bad', '* * * * *',
    $$CALL nfrec.retrain('cron_bad', 'public.ev', '{"factors": 0}')$$) > 0;
SQL
"${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'" | sed 's/^/pg_cron /'

# every minute on the minute: wait for one finished run of each job
for i in $(seq 1 180); do
	n=$("${PSQL[@]}" -c "SELECT count(DISTINCT j.jobname) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	                     WHERE d.status IN ('succeeded', 'failed')")
	[ "$n" = 2 ] && break
	sleep 1
done
[ "$n" = 2 ] || fail "pg_cron did not run both jobs within 180 s"
"${PSQL[@]}" -c "SELECT j.jobname, d.status, d.return_message FROM cron.job_run_details d JOIN cron.job j USING (jobid) ORDER BY d.runid"

good=$("${PSQL[@]}" -c "SELECT d.status FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                        WHERE j.jobname = 'nfrec-retrain' ORDER BY d.runid LIMIT 1")
[ "$good" = succeeded ] || fail "the retrain job's run has status '$good'"
bad=$("${PSQL[@]}" -c "SELECT d.status || ' ' || d.return_message FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                       WHERE j.jobname = 'nfrec-retrain-bad' ORDER BY d.runid LIMIT 1")
case "$bad" in
	failed*'option "factors"'*) ;;
	*) fail "the failing job's run says '$bad'" ;;
esac

"${PSQL[@]}" -c "SELECT run_id, name, decision, version, finished_at IS NOT NULL, message FROM nfrec.retrain_log ORDER BY run_id"
# the log rows were written by the runs pg_cron made, inside their windows
ok=$("${PSQL[@]}" <<'SQL'
SELECT bool_and(CASE l.name WHEN 'cron_m' THEN l.decision = 'deployed' AND l.version = nfrec.model_version('cron_m')
                            ELSE l.decision = 'failed' AND l.message LIKE '22023: %' END
                AND l.started_at >= d.start_time AND l.finished_at <= d.end_time)
       AND count(DISTINCT l.name) = 2
  FROM nfrec.retrain_log l
  JOIN cron.job j ON j.jobname = CASE l.name WHEN 'cron_m' THEN 'nfrec-retrain' ELSE 'nfrec-retrain-bad' END
  JOIN LATERAL (SELECT * FROM cron.job_run_details d WHERE d.jobid = j.jobid ORDER BY d.runid LIMIT 1) d ON true
 WHERE l.run_id IN (SELECT min(x.run_id) FROM nfrec.retrain_log x GROUP BY x.name)
SQL
)
[ "$ok" = t ] || fail "retrain_log does not match cron.job_run_details"
# the deployed model serves
n=$("${PSQL[@]}" -c "SELECT count(*) FROM nfrec.recommend_for(1, 5, 'cron_m')")
[ "$n" = 5 ] || fail "cron_m serves $n titles"

"${PSQL[@]}" -c "SELECT cron.unschedule('nfrec-retrain')" -c "SELECT cron.unschedule('nfrec-retrain-bad')" >/dev/null
left=$("${PSQL[@]}" -c "SELECT count(*) FROM cron.job")
[ "$left" = 0 ] || fail "$left jobs left after unschedule"
echo ok
