#!/usr/bin/env bash
# No two source files depend on each other (link and include views), and
# pure files use pure files only: test/depcycles.sh over the objects that
# test/run.sh has just built.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tree=$here/..
# an ASan run builds in a copy of the tree (test/lib.sh)
[ "${NFREC_ASAN:-0}" = 1 ] && tree=/tmp/nfrec-asan-build-${NFREC_PORT:-54329}
bash "$here/depcycles.sh" "$tree"
