#!/usr/bin/env bash
# test/bench/blas.sh -- what OpenBLAS' choice of CPU kernel does to nfrec.
#
#   bash test/bench/blas.sh            # or: bash test/bench/run.sh blas
#
# Debian's OpenBLAS 0.3.21 picks its kernels from the CPU at load time; on
# CPUs newer than itself it falls back to generic ones.  This builds
# test/bench/blas_kernels.c against the same OpenBLAS as nfrec and runs it
# with the kernel OpenBLAS detects and with forced choices (generic
# Prescott/SSE3, Haswell/AVX2, SkylakeX/AVX-512 when the CPU has it), so the
# table shows the cost of a fallback for every BLAS call nfrec makes.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
multiarch=$(gcc -print-multiarch)
serial=/usr/lib/$multiarch/openblas-serial
if [ -e "$serial/libopenblas.so.0" ]; then
	blas=(-L"$serial" -l:libopenblas.so.0 -Wl,-rpath,"$serial")
else
	blas=(-lopenblas)
fi
inc=$("${PG_CONFIG:-/usr/lib/postgresql/${NFREC_PGVER:-15}/bin/pg_config}" --includedir-server)
# nfrec's own serving kernels, built as the extension builds them
for k in topk_scan topk; do
	gcc -O3 -fno-math-errno -fopenmp-simd -I"$root/src" -I"$inc" -c "$root/src/$k.c" -o "$out/$k.o"
done
gcc -O3 -o "$out/blas_kernels" \
	"$here/blas_kernels.c" "$out/topk_scan.o" "$out/topk.o" "${blas[@]}" -lm
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$out/blas_kernels"
for core in Prescott Haswell SkylakeX; do
	if [ "$core" = SkylakeX ] && ! grep -q avx512f /proc/cpuinfo; then
		echo "(SkylakeX skipped: this CPU has no AVX-512)"
		continue
	fi
	OPENBLAS_CORETYPE=$core "$out/blas_kernels"
done
