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
#   NFREC_ASAN      set to 1 to build nfrec with AddressSanitizer + UBSan (in a
#                   copy of the tree, /tmp/nfrec-asan-build-$NFREC_PORT, so the
#                   checkout's objects stay normal), install that build, and
#                   start the server with libasan preloaded; reports go to
#                   $NFREC_WORK/asan/.  Use `bash test/asan.sh`, which runs the
#                   whole suite this way and fails on any report.  The
#                   installed nfrec.so then needs libasan preloaded: a plain
#                   test/run.sh afterwards installs the normal build again.

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
		apt-get -o DPkg::Lock::Timeout=600 update -qq
		# shellcheck disable=SC2086
		apt-get -o DPkg::Lock::Timeout=600 install -y -qq $missing >/dev/null
	fi
}

nf_pgbin() {
	if [ -n "$NFREC_SANDBOX" ]; then
		echo "$NFREC_SANDBOX/usr/lib/postgresql/$NFREC_PGVER/bin"
	else
		echo "/usr/lib/postgresql/$NFREC_PGVER/bin"
	fi
}

# Where nf_build_install builds: the checkout, or its ASan copy.
nf_build_dir() {
	if [ "${NFREC_ASAN:-0}" = 1 ]; then
		echo "/tmp/nfrec-asan-build-$NFREC_PORT"
	else
		echo "$NFREC_ROOT"
	fi
}

# Start a server: nf_pg_start DATADIR LOGFILE ENV.  The test ports lie in
# the kernel's ephemeral range, so a client connection elsewhere can hold
# one for a moment ("Address already in use"): wait and try again, as the
# server's hint says, up to five times.
nf_pg_start() {
	local data=$1 log=$2 env=$3 try
	for try in 1 2 3 4 5; do
		su postgres -c "$env $(nf_pgbin)/pg_ctl -D '$data' -l '$log' -w start" >/dev/null && return 0
		grep -q "Address already in use" "$log" 2>/dev/null || return 1
		nf_log "port busy (try $try of 5), starting $data again in 3 s"
		sleep 3
	done
	return 1
}

nf_build_install() {
	local pgc="/usr/lib/postgresql/$NFREC_PGVER/bin/pg_config"
	local dir flags=()
	dir=$(nf_build_dir)
	if [ "${NFREC_ASAN:-0}" = 1 ]; then
		# no LLVM bitcode (JIT inlining) for the instrumented build
		flags=(with_llvm=no)
		nf_log "building nfrec with AddressSanitizer + UBSan in $dir"
		mkdir -p "$dir"
		# sources deleted from the checkout go from the copy too
		for f in "$dir"/src/*.c; do
			[ -e "$f" ] && [ ! -e "$NFREC_ROOT/src/${f##*/}" ] && rm -f "$f" "${f%.c}.o"
		done
		# mtimes kept, so an unchanged file is not rebuilt next time
		tar -C "$NFREC_ROOT" --exclude=./.git --exclude=./results --exclude=./examples --exclude='*.o' \
			--exclude='*.so' --exclude='*.d' --exclude='*.bc' -cf - . | tar -C "$dir" -xf -
		make -C "$dir" -s -j"$(nproc)" PG_CONFIG="$pgc" "${flags[@]}" \
			COPT="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
			PG_CFLAGS="-O1 -g -Wall -Wno-unused-parameter -Wno-missing-field-initializers -fno-math-errno -fopenmp-simd -MMD -MP" \
			>/dev/null
	else
		nf_log "building nfrec"
		make -C "$dir" -s -j"$(nproc)" PG_CONFIG="$pgc" >/dev/null
	fi
	if [ -n "$NFREC_SANDBOX" ]; then
		if [ ! -x "$NFREC_SANDBOX/usr/lib/postgresql/$NFREC_PGVER/bin/postgres" ]; then
			mkdir -p "$NFREC_SANDBOX/usr/lib/postgresql" "$NFREC_SANDBOX/usr/share/postgresql"
			cp -a "/usr/lib/postgresql/$NFREC_PGVER" "$NFREC_SANDBOX/usr/lib/postgresql/"
			cp -a "/usr/share/postgresql/$NFREC_PGVER" "$NFREC_SANDBOX/usr/share/postgresql/"
		fi
		make -C "$dir" -s PG_CONFIG="$pgc" "${flags[@]}" install DESTDIR="$NFREC_SANDBOX" >/dev/null
	else
		make -C "$dir" -s PG_CONFIG="$pgc" "${flags[@]}" install >/dev/null
	fi
}

# Environment of the server processes: under NFREC_ASAN, the ASan runtime
# preloaded (the postgres binary is not instrumented, nfrec.so is), leak
# checks off (backends leave memory to their exit by design), the first
# report aborts the process (the postmaster then restarts the others), and
# every report goes to a file under $NFREC_WORK/asan/.
# postgres's own libraries are preloaded ahead of libasan: with libasan
# alone first, the constructor of libgpg-error (pulled in by libpq/gnutls)
# starts ASan from inside bindtextdomain() while holding glibc's gettext
# lock, which corrupts the lock, and postgres then hangs in its own
# bindtextdomain() call.  Listed earlier, those libraries are initialized
# after libasan; none of them defines malloc, so libasan's still wins.
nf_server_env() {
	[ "${NFREC_ASAN:-0}" = 1 ] || return 0
	local lib deps
	lib=$(readlink -f "$(gcc -print-file-name=libasan.so)")
	deps=$(ldd "$(nf_pgbin)/postgres" | awk '/=>/ && $3 !~ /\/(libc\.so|ld-linux)/ {print $3}' | tr '\n' ' ')
	printf "env LD_PRELOAD='%s' ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:abort_on_error=1:disable_coredump=1:log_path=%s UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=%s" \
		"$deps$lib" "$NFREC_WORK/asan/asan" "$NFREC_WORK/asan/ubsan"
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
	mkdir -p "$NFREC_WORK/asan"
	chown postgres "$NFREC_WORK/asan"
	nf_pg_start "$NFREC_WORK/data" "$NFREC_WORK/server.log" "$(nf_server_env)"
	[ "${NFREC_KEEP:-0}" = 1 ] || trap nf_stop_cluster EXIT
	export PGHOST=127.0.0.1 PGPORT=$NFREC_PORT PGUSER=postgres PGDATABASE=postgres
	export NFREC_PGDATA="$NFREC_WORK/data" NFREC_PGBIN="$(nf_pgbin)"
}

# The benchmarks' cluster: the running one when NFREC_PGBIN and the PG*
# settings point at a live server (test/bench/run.sh started it, or a
# reused bench cluster), else install, build and start a throwaway one.
nf_bench_cluster() {
	if [ -n "${NFREC_PGBIN:-}" ] && "$NFREC_PGBIN/pg_isready" -q 2>/dev/null; then
		return 0
	fi
	nf_install_deps
	nf_build_install
	nf_start_cluster
}

# Restart the throwaway cluster (for restart-survival tests).
nf_restart_cluster() {
	su postgres -c "$(nf_server_env) $NFREC_PGBIN/pg_ctl -D '$NFREC_PGDATA' -l '$NFREC_WORK/server.log' -m fast -w restart" >/dev/null
}
