# test/lib.sh -- shared set-up for the demo and test commands.
#
# Sourced by test/demo.sh, test/run.sh and test/bench/run.sh.  Everything a
# fresh Debian 12 machine (as root) needs: packages, build, install, and a
# throwaway PostgreSQL cluster on loopback, run as the unprivileged user
# "postgres" with its own data directory and port, stopped on exit.
#
# Knobs (environment):
#   NFREC_PGVER     PostgreSQL major version (default 15)
#   NFREC_PORT      port of the throwaway cluster (default 54329)
#   NFREC_SKIP_APT  set to 1 to skip the apt-get step
#   NFREC_SANDBOX   install into a private copy of the PostgreSQL tree under
#                   this directory instead of the system one (lets several
#                   checkouts be tested side by side)
#   NFREC_KEEP      set to 1 to leave the cluster running after the script

set -euo pipefail

NFREC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NFREC_PGVER=${NFREC_PGVER:-15}
NFREC_PORT=${NFREC_PORT:-54329}
NFREC_SANDBOX=${NFREC_SANDBOX:-}
NFREC_WORK=${NFREC_WORK:-/tmp/nfrec-cluster-$NFREC_PORT}

nf_log() { printf '== %s\n' "$*" >&2; }

nf_install_deps() {
	[ "${NFREC_SKIP_APT:-0}" = 1 ] && return 0
	local pkgs="postgresql-$NFREC_PGVER postgresql-server-dev-$NFREC_PGVER libopenblas-dev libopenblas0-serial make gcc"
	local missing=""
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		nf_log "installing:$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		# shellcheck disable=SC2086
		apt-get install -y -qq $missing >/dev/null
	fi
}

nf_pgbin() {
	if [ -n "$NFREC_SANDBOX" ]; then
		echo "$NFREC_SANDBOX/usr/lib/postgresql/$NFREC_PGVER/bin"
	else
		echo "/usr/lib/postgresql/$NFREC_PGVER/bin"
	fi
}

nf_build_install() {
	local pgc="/usr/lib/postgresql/$NFREC_PGVER/bin/pg_config"
	nf_log "building nfrec"
	make -C "$NFREC_ROOT" -s -j"$(nproc)" PG_CONFIG="$pgc" >/dev/null
	if [ -n "$NFREC_SANDBOX" ]; then
		if [ ! -x "$NFREC_SANDBOX/usr/lib/postgresql/$NFREC_PGVER/bin/postgres" ]; then
			mkdir -p "$NFREC_SANDBOX/usr/lib/postgresql" "$NFREC_SANDBOX/usr/share/postgresql"
			cp -a "/usr/lib/postgresql/$NFREC_PGVER" "$NFREC_SANDBOX/usr/lib/postgresql/"
			cp -a "/usr/share/postgresql/$NFREC_PGVER" "$NFREC_SANDBOX/usr/share/postgresql/"
		fi
		make -C "$NFREC_ROOT" -s PG_CONFIG="$pgc" install DESTDIR="$NFREC_SANDBOX" >/dev/null
	else
		make -C "$NFREC_ROOT" -s PG_CONFIG="$pgc" install >/dev/null
	fi
}

nf_stop_cluster() {
	if [ -f "$NFREC_WORK/data/postmaster.pid" ]; then
		su postgres -c "$(nf_pgbin)/pg_ctl -D '$NFREC_WORK/data' -m fast -w stop" >/dev/null 2>&1 || true
	fi
}

nf_start_cluster() {
	id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
	nf_stop_cluster
	rm -rf "$NFREC_WORK"
	mkdir -p "$NFREC_WORK"
	chown postgres "$NFREC_WORK"
	chmod 755 "$NFREC_WORK"
	nf_log "starting a throwaway cluster on 127.0.0.1:$NFREC_PORT ($NFREC_WORK)"
	su postgres -c "$(nf_pgbin)/initdb -D '$NFREC_WORK/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
	cat >>"$NFREC_WORK/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $NFREC_PORT
unix_socket_directories = '$NFREC_WORK'
shared_buffers = '512MB'
work_mem = '64MB'
maintenance_work_mem = '512MB'
max_wal_size = '4GB'
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
lc_messages = 'C'
CONF
	su postgres -c "$(nf_pgbin)/pg_ctl -D '$NFREC_WORK/data' -l '$NFREC_WORK/server.log' -w start" >/dev/null
	[ "${NFREC_KEEP:-0}" = 1 ] || trap nf_stop_cluster EXIT
	export PGHOST=127.0.0.1 PGPORT=$NFREC_PORT PGUSER=postgres PGDATABASE=postgres
	export NFREC_PGDATA="$NFREC_WORK/data" NFREC_PGBIN="$(nf_pgbin)"
}

# Restart the throwaway cluster (for restart-survival tests).
nf_restart_cluster() {
	su postgres -c "$NFREC_PGBIN/pg_ctl -D '$NFREC_PGDATA' -l '$NFREC_WORK/server.log' -m fast -w restart" >/dev/null
}
