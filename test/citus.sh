#!/usr/bin/env bash
# test/citus.sh -- the scale-out suite on a local Citus cluster.
#
#   bash test/citus.sh          # as root on a fresh Debian 12 machine
#
# Builds and installs Citus from NFREC_CITUS_SRC (default ../shared/citus
# beside the repository: the tarball citus-*.tar.gz and any *.patch) unless
# citus.so is already installed, caching the built files under
# NFREC_CITUS_CACHE (default /var/cache/nfrec) keyed by the source's and the
# patches' sha256 and pg_config --version.  Builds and installs nfrec (into
# NFREC_SANDBOX when set, as test/run.sh does; Citus then goes there too and
# never into the system tree), starts a coordinator and two workers on
# 127.0.0.1 (ports NFREC_CITUS_PORT, +1, +2; default 54339), each its own
# data directory under /tmp run by the user postgres, distributes
# viewing_events and subscriptions by user_id and content_metadata as a
# reference table, and runs test/citus/*.sh.  Ends with one line
# "citus: N passed, N failed"; exit status 0 only if nothing failed.
# NFREC_CITUS_BUILD_ONLY=1 only builds (or finds) and installs Citus.
# NFREC_ASAN=1 runs the suite with nfrec built under AddressSanitizer +
# UBSan (as test/asan.sh does for the main suite, see test/lib.sh): the
# three servers start with the ASan runtime preloaded (Citus itself is not
# instrumented), reports go to $NFREC_CITUS_WORK/asan/, and any report, or
# a sanitizer line in a node's log, counts as a failed check.
# Real users install Citus from its packages: nothing here is read by nfrec
# at run time.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NFREC_CITUS_SRC=${NFREC_CITUS_SRC:-$NFREC_ROOT/../shared/citus}
NFREC_CITUS_CACHE=${NFREC_CITUS_CACHE:-/var/cache/nfrec}
NFREC_CITUS_PORT=${NFREC_CITUS_PORT:-54339}
NFREC_CITUS_WORK=${NFREC_CITUS_WORK:-/tmp/nfrec-citus-$NFREC_CITUS_PORT}
PG_CONFIG_SYS="/usr/lib/postgresql/$NFREC_PGVER/bin/pg_config"

# Where citus.so and citus.control go: the sandbox copy of the PostgreSQL
# tree when NFREC_SANDBOX is set, the system tree otherwise.
citus_dest() { if [ -n "$NFREC_SANDBOX" ]; then echo "$NFREC_SANDBOX"; else echo /; fi; }

citus_installed() {
	local d; d=$(citus_dest)
	[ -f "$d/$($PG_CONFIG_SYS --pkglibdir)/citus.so" ] &&
		[ -f "$d/$($PG_CONFIG_SYS --sharedir)/extension/citus.control" ]
}

citus_build_deps() {
	[ "${NFREC_SKIP_APT:-0}" = 1 ] && return 0
	local pkgs="postgresql-server-dev-$NFREC_PGVER libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libssl-dev libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev zlib1g-dev autoconf flex bison make gcc patch"
	local missing="" p
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	nf_log "installing Citus build dependencies:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
}

# Build Citus into a cache directory (make install DESTDIR=...) once per
# (source, patches, PostgreSQL) and copy the installed files into the target.
citus_build_install() {
	if citus_installed; then
		nf_log "citus.so is installed already in $(citus_dest)"
		return 0
	fi
	local tarball
	tarball=$(ls "$NFREC_CITUS_SRC"/citus-*.tar.gz 2>/dev/null | sort | tail -n 1 || true)
	if [ -z "$tarball" ]; then
		nf_log "no citus.so installed and no citus-*.tar.gz in $NFREC_CITUS_SRC (set NFREC_CITUS_SRC)"
		return 1
	fi
	local ver key cache
	ver=$(basename "$tarball" .tar.gz)
	key=$( { sha256sum "$tarball" | cut -d' ' -f1
		 for p in "$NFREC_CITUS_SRC"/*.patch; do [ -f "$p" ] && sha256sum "$p" | cut -d' ' -f1; done
		 $PG_CONFIG_SYS --version; } | sha256sum | cut -c1-12)
	cache="$NFREC_CITUS_CACHE/$ver-pg$NFREC_PGVER-$key"
	if [ ! -f "$cache/complete" ]; then
		citus_build_deps
		local build start
		start=$(date +%s)
		rm -rf "$cache" "$cache.tmp"
		mkdir -p "$NFREC_CITUS_CACHE"
		build=$(mktemp -d "${TMPDIR:-/tmp}/nfrec-citus-build.XXXXXX")
		nf_log "building $ver from $tarball (several minutes; log in $build/build.log)"
		tar -xzf "$tarball" -C "$build" || return 1
		local srcdir="$build/$ver" p
		for p in "$NFREC_CITUS_SRC"/*.patch; do
			[ ! -f "$p" ] || patch -s -f -N -d "$srcdir" -p1 <"$p" || { nf_log "patch $p does not apply"; return 1; }
		done
		# chained with &&: set -e does not stop a function called from a condition
		{ (cd "$srcdir" && ./configure PG_CONFIG="$PG_CONFIG_SYS") >"$build/build.log" 2>&1 &&
		  make -C "$srcdir" -j"$(nproc)" >>"$build/build.log" 2>&1 &&
		  make -C "$srcdir" install DESTDIR="$cache.tmp/root" >>"$build/build.log" 2>&1; } ||
			{ tail -n 40 "$build/build.log"; nf_log "Citus build failed (log in $build/build.log)"; return 1; }
		echo "$(( $(date +%s) - start ))" >"$cache.tmp/build-seconds"
		touch "$cache.tmp/complete"
		mv "$cache.tmp" "$cache"
		rm -rf "$build"
		nf_log "built $ver in $(cat "$cache/build-seconds")s, cached in $cache"
	else
		nf_log "using cached $ver build ($cache)"
	fi
	# files only: existing directories (/usr, ...) keep their owner and mode
	mkdir -p "$(citus_dest)"
	tar -C "$cache/root" -cf - . | tar -C "$(citus_dest)/" -xf - --no-overwrite-dir || return 1
	citus_installed
}

[ "${NFREC_CITUS_BUILD_ONLY:-0}" = 1 ] && { citus_build_install; exit; }

# ---------------------------------------------------------------------
# A coordinator and two workers, each its own data directory and port.
# ---------------------------------------------------------------------
CITUS_PORTS=("$NFREC_CITUS_PORT" "$((NFREC_CITUS_PORT + 1))" "$((NFREC_CITUS_PORT + 2))")
NFREC_CITUS_SHARDS=${NFREC_CITUS_SHARDS:-8}

citus_stop() {
	local i
	for i in 0 1 2; do
		if [ -f "$NFREC_CITUS_WORK/node$i/postmaster.pid" ]; then
			su postgres -c "$(nf_pgbin)/pg_ctl -D '$NFREC_CITUS_WORK/node$i' -m fast -w stop" >/dev/null 2>&1 || true
		fi
	done
}

# The servers' environment: under NFREC_ASAN, lib.sh's (ASan runtime
# preloaded behind postgres's own libraries), with the reports in
# $NFREC_CITUS_WORK/asan/; Citus's libraries are preloaded ahead of it as
# well, for the reason lib.sh gives for postgres's.
citus_server_env() {
	[ "${NFREC_ASAN:-0}" = 1 ] || return 0
	local env extra
	env=$(NFREC_WORK="$NFREC_CITUS_WORK" nf_server_env)
	extra=$(ldd "$(nf_pgbin)/../lib/citus.so" 2>/dev/null |
		awk '/=>/ && $3 !~ /\/(libc\.so|ld-linux)/ {print $3}' | tr '\n' ' ')
	# LD_PRELOAD='deps libasan' -> LD_PRELOAD='citus deps, deps libasan'
	echo "${env/LD_PRELOAD=\'/LD_PRELOAD=\'$extra}"
}

# Sanitizer reports of the servers: the report files and the nodes' logs.
citus_asan_reports() {
	[ "${NFREC_ASAN:-0}" = 1 ] || return 0
	find "$NFREC_CITUS_WORK/asan" -type f 2>/dev/null | sort
	grep -lE 'AddressSanitizer|runtime error:|LeakSanitizer' "$NFREC_CITUS_WORK"/node*.log 2>/dev/null || true
}

citus_start() {
	id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
	citus_stop
	rm -rf "$NFREC_CITUS_WORK"
	mkdir -p "$NFREC_CITUS_WORK"
	chown postgres "$NFREC_CITUS_WORK"
	chmod 755 "$NFREC_CITUS_WORK"
	mkdir -p "$NFREC_CITUS_WORK/asan"
	chown postgres "$NFREC_CITUS_WORK/asan"
	local i
	for i in 0 1 2; do
		su postgres -c "$(nf_pgbin)/initdb -D '$NFREC_CITUS_WORK/node$i' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null || return 1
		cat >>"$NFREC_CITUS_WORK/node$i/postgresql.conf" <<CONF
shared_preload_libraries = 'citus'
listen_addresses = '127.0.0.1'
port = ${CITUS_PORTS[$i]}
unix_socket_directories = '$NFREC_CITUS_WORK'
shared_buffers = '128MB'
work_mem = '64MB'
max_connections = 100
max_wal_size = '2GB'
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
lc_messages = 'C'
citus.shard_count = $NFREC_CITUS_SHARDS
CONF
		nf_pg_start "$NFREC_CITUS_WORK/node$i" "$NFREC_CITUS_WORK/node$i.log" "$(citus_server_env)" || return 1
	done
	[ "${NFREC_KEEP:-0}" = 1 ] || trap citus_stop EXIT
	for i in 0 1 2; do
		cq "$i" -c "CREATE EXTENSION citus" >/dev/null || return 1
	done
	cq 0 -c "SELECT citus_set_coordinator_host('127.0.0.1', ${CITUS_PORTS[0]})" \
		-c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[1]})" \
		-c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[2]})" >/dev/null
}

# psql on node $1 (0 = coordinator), quiet, stop at the first error.
cq() {
	local i=$1; shift
	psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${CITUS_PORTS[$i]}" -U postgres -d postgres "$@"
}

# distribute_copy TABLE [SQL]: create local.TABLE AS SQL (if given), then
# public.TABLE with its columns, distributed by user_id, with the same rows.
distribute_copy() {
	cq 0 -o /dev/null <<SQL
${2:+CREATE TABLE local.$1 AS $2;}
CREATE TABLE public.$1 (LIKE local.$1 INCLUDING DEFAULTS);
SELECT create_distributed_table('public.$1', 'user_id');
INSERT INTO public.$1 SELECT * FROM local.$1;
SQL
}

# ---------------------------------------------------------------------
# The checks: test/citus/*.sh are sourced and call check_* below.
# ---------------------------------------------------------------------
passed=0
failed=0
failures=()
ok() { passed=$((passed + 1)); printf 'citus check %-52s ok%s\n' "$1" "${2:+ ($2)}"; }
notok() {
	failed=$((failed + 1)); failures+=("$1")
	printf 'citus check %-52s FAILED%s\n' "$1" "${2:+ ($2)}"
}

# check_same NAME SQL_DISTRIBUTED SQL_LOCAL [TOL]: both queries (run on the
# coordinator, unaligned, all rows, notices included) must print the same
# text; with TOL, decimal numbers may differ by that relative amount (for
# results that sum floats in row order, which differs between shards and
# one table).
check_same() {
	local name=$1 d="$NFREC_CITUS_WORK/${1//\//_}.dist" l="$NFREC_CITUS_WORK/${1//\//_}.local" tol=${4:-} why
	if ! cq 0 -At -c "$2" >"$d" 2>&1; then notok "$name" "distributed query failed: $(tail -n 1 "$d")"; return 0; fi
	if ! cq 0 -At -c "$3" >"$l" 2>&1; then notok "$name" "local query failed: $(tail -n 1 "$l")"; return 0; fi
	if [ ! -s "$l" ]; then notok "$name" "local query returned nothing"; return 0; fi
	if [ -z "$tol" ]; then
		if cmp -s "$d" "$l"; then ok "$name" "$(wc -l <"$l") rows, exact"; else
			notok "$name" "results differ"; diff "$l" "$d" | head -n 10 || true
		fi
	elif why=$(perl "$NFREC_ROOT/test/citus/numdiff.pl" "$tol" "$l" "$d"); then
		if cmp -s "$d" "$l"; then ok "$name" "$(wc -l <"$l") rows, exact"
		else ok "$name" "$(wc -l <"$l") rows, equal within $tol relative"; fi
	else
		notok "$name" "results differ by more than $tol relative"; echo "$why" | head -n 10
	fi
	return 0
}

# check_true NAME SQL: the query prints t.
check_true() {
	local out
	if out=$(cq 0 -At -c "$2" 2>&1) && [ "$out" = t ]; then ok "$1"; else notok "$1" "got: $(echo "$out" | tail -n 1)"; fi
}

# plan_shape SQL: where the query's aggregate runs, from EXPLAIN VERBOSE
# (pushdown, split or pull; see test/citus/plan_profile.pl).
plan_shape() {
	local plan
	plan=$(cq 0 -At -c "EXPLAIN (VERBOSE, COSTS OFF) $1" 2>&1) || { echo "error: $(echo "$plan" | tail -n 1)"; return 0; }
	perl "$NFREC_ROOT/test/citus/plan_profile.pl" --shape <<<"$plan"
}

# check_shape NAME SQL EXPECTED: the aggregate's plan has the expected shape.
check_shape() {
	local got; got=$(plan_shape "$2")
	if [ "$got" = "$3" ]; then ok "$1" "$got"; else notok "$1" "expected $3, got $got"; fi
}

# check_profile NAME SQL EXPECTED: the distributed statements that SQL runs
# (nested ones included), summarized by test/citus/plan_profile.pl, are the
# expected ones: records where an analytics function's work runs today.
check_profile() {
	local out got
	if ! out=$(cq 0 -At 2>&1 >/dev/null <<SQL
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_verbose = on;
SET client_min_messages = log;
$2;
SQL
	); then notok "$1" "query failed: $(echo "$out" | tail -n 1)"; return 0; fi
	got=$(perl "$NFREC_ROOT/test/citus/plan_profile.pl" <<<"$out")
	if [ "$got" = "$3" ]; then ok "$1" "$got"; else notok "$1" "expected $3, got $got"; fi
	return 0
}

# check_xfail NAME SQL PATTERN NOTE: a known failure; passes while the
# query fails with PATTERN, fails (so the note gets updated) once it works.
check_xfail() {
	local out
	if out=$(cq 0 -At -c "$2" 2>&1); then notok "$1" "expected to fail ($4) but it works now: update the test"
	elif grep -q -- "$3" <<<"$out"; then ok "$1" "expected failure: $4"
	else notok "$1" "failed differently: $(echo "$out" | tail -n 1)"; fi
}

nf_install_deps
nf_build_install
start=$(date +%s)
# (the build in a subshell, so that set -e still stops it at a failing step)
if ! (citus_build_install) || ! citus_installed || ! citus_start; then
	echo "citus: 0 passed, 1 failed (no Citus cluster: see above)"
	exit 1
fi
if [ "${NFREC_ASAN:-0}" = 1 ]; then
	# the instrumented nfrec.so loads only beside the runtime; check that
	# every node's backends have it, so a clean run means something
	for i in 0 1 2; do
		if [ "$(cq "$i" -At -c "SELECT pg_read_file('/proc/' || pg_backend_pid() || '/maps') ~ 'libasan'" 2>&1)" = t ]; then
			ok "asan runtime loaded on node $i"
		else
			notok "asan runtime loaded on node $i"
		fi
	done
fi
nf_log "Citus cluster up: coordinator 127.0.0.1:${CITUS_PORTS[0]}, workers ${CITUS_PORTS[1]}, ${CITUS_PORTS[2]} ($NFREC_CITUS_WORK, $NFREC_CITUS_SHARDS shards)"

cd "$NFREC_ROOT"
for t in ${NFREC_CITUS_TESTS:-$(ls test/citus/[0-9]*.sh)}; do
	nf_log "$t"
	# shellcheck disable=SC1090
	source "$t"
done

reports=$(citus_asan_reports)
if [ -n "$reports" ]; then
	for f in $reports; do
		echo "== sanitizer report: $f"
		grep -B2 -A40 -E 'AddressSanitizer|runtime error:' "$f" | head -n 60
	done
	notok "asan" "sanitizer reports: $(echo $reports | wc -w) files"
elif [ "${NFREC_ASAN:-0}" = 1 ]; then
	ok "asan" "no sanitizer reports"
fi

for x in "${failures[@]}"; do echo "failed: $x"; done
nf_log "suite time (Citus install, cluster, data, checks): $(( $(date +%s) - start ))s"
echo "citus: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
