#!/usr/bin/env bash
# Build src/churnwin.c with AddressSanitizer + UBSan and run the harness.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pgc=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
inc=$("$pgc" --includedir-server)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
	-I"$root/src" -I"$inc" \
	"$root/test/asan/churnwin_main.c" "$root/src/churnwin.c" \
	-L"$("$pgc" --pkglibdir)" -lpgport -lm -o "$out/churnwin"
"$out/churnwin"
