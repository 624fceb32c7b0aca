#!/usr/bin/env bash
# test/asan.sh -- the whole test suite (pg_regress + shell tests) with
# nfrec built under AddressSanitizer + UBSan.
#
#   bash test/asan.sh                                   # system PostgreSQL
#   NFREC_SANDBOX=/tmp/sb NFREC_PORT=55432 bash test/asan.sh
#
# Runs test/run.sh with NFREC_ASAN=1 (see test/lib.sh): nfrec.so is built
# with -fsanitize=address,undefined in a copy of the tree and installed, and
# the throwaway server runs with libasan preloaded, leak checks off, abort
# on the first report, reports written to $NFREC_WORK/asan/.  Any report
# (or a "runtime error" / AddressSanitizer line in the server log) fails
# the run, even when every test passed.  Takes several times as long as a
# plain run.  Subsets work as with run.sh (NFREC_REGRESS, NFREC_TAP).
#
# Limits: PostgreSQL's own allocator (palloc) carves small chunks out of
# larger malloc'd blocks, so an overflow or use-after-free that stays inside
# a memory context block is invisible to ASan; allocations above 8 kB (and
# everything the pure C kernels allocate themselves, see test/unit/run.sh)
# get their own block and are checked to the byte (up to 7 bytes of
# MAXALIGN padding).  The installed nfrec.so needs libasan preloaded
# afterwards: run a plain test/run.sh to install the normal build again.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
port=${NFREC_PORT:-54329}
work=${NFREC_WORK:-/tmp/nfrec-cluster-$port}

NFREC_ASAN=1 bash "$here/run.sh"
rc=$?

reports=$(find "$work/asan" -type f 2>/dev/null | sort)
logged=$(grep -lE 'AddressSanitizer|runtime error:|LeakSanitizer' "$work/server.log" 2>/dev/null || true)
if [ -n "$reports" ] || [ -n "$logged" ]; then
	for f in $reports $logged; do
		echo "== sanitizer report: $f"
		head -n 60 "$f"
	done
	echo "asan: sanitizer reports found ($(echo $reports | wc -w) files)"
	echo "nfrec-asan: 0 passed, 1 failed"
	exit 1
fi
[ "$rc" -eq 0 ] && echo "asan: no sanitizer reports"
exit "$rc"
