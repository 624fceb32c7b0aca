#!/usr/bin/env bash
# test/unit/run.sh -- build EVERY pure C file of src/ (each .c that does
# not include postgres.h: ALS, the model check, k-means, logistic
# regression, top-k, vector math, statistics, metrics, churn windows, term
# similarity, the demo simulation) together with test/unit/kernels_test.c
# under AddressSanitizer + UBSan and run the tests.  Linking them all
# proves that none of them calls into the server.
#
#   bash test/unit/run.sh            # needs gcc, PostgreSQL server headers, OpenBLAS
#
# The kernels include only c.h-level PostgreSQL headers, so they build and
# run outside the server.  Any sanitizer report aborts the run (non-zero
# exit); it prints "kernels: N passed, N failed", then "als widths: ..."
# (the ALS kernels' two vector widths compared, without sanitizers).  termvec parsing is
# not pure C (it uses palloc/ereport): the SQL suite under ASan covers it
# (test/asan.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pgc=${PG_CONFIG:-/usr/lib/postgresql/${NFREC_PGVER:-15}/bin/pg_config}
inc=$("$pgc" --includedir-server)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

multiarch=$(gcc -print-multiarch 2>/dev/null || true)
blas=(-lopenblas)
if [ -e "/usr/lib/$multiarch/openblas-serial/libopenblas.so.0" ]; then
	blas=(-L"/usr/lib/$multiarch/openblas-serial" -l:libopenblas.so.0 -Wl,-rpath,"/usr/lib/$multiarch/openblas-serial")
fi

# -O1 keeps it quick to build; the same sources as the extension
pure=()
for f in "$root"/src/*.c; do
	grep -q '#include "postgres.h"' "$f" || pure+=("src/$(basename "$f" .c)")
done
pids=()
for s in "${pure[@]}" test/unit/kernels_test; do
	gcc -c -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
		-fopenmp-simd -Wall -Wno-unused-parameter -I"$root/src" -I"$inc" \
		"$root/$s.c" -o "$out/$(basename "$s").o" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
gcc -fsanitize=address,undefined "$out"/*.o -L"$("$pgc" --pkglibdir)" -lpgport "${blas[@]}" -lpthread -lm -o "$out/kernels_test"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$out/kernels_test"

# The ALS kernels at 8 and 16 floats per vector give the same bits
# (test/unit/als_width_test.c).  Built without sanitizers, which turn the
# per-width variants off; "skipped" on a CPU without AVX2 + FMA.
gcc -O2 -g -fopenmp-simd -Wall -Wno-unused-parameter -Wno-unused-function -Wno-psabi \
	-I"$root/src" -I"$inc" "$root/test/unit/als_width_test.c" \
	-L"$("$pgc" --pkglibdir)" -lpgport -lpthread -lm -o "$out/als_width_test"
"$out/als_width_test"
