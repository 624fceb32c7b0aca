#!/usr/bin/env bash
# test/bench/run.sh -- every benchmark, one command.
#
#   bash test/bench/run.sh              # all benchmarks
#   bash test/bench/run.sh als serve    # some of them (test/bench/<name>.sh)
#
# Same set-up as the test command (packages, build, throwaway cluster on
# 127.0.0.1), then runs each benchmark script and prints its figures with
# the machine's load before and after.  Figures are medians unless a
# script says otherwise.

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

nf_install_deps
nf_build_install
nf_start_cluster
export NFREC_WORK NFREC_PORT NFREC_PGVER NFREC_SANDBOX NFREC_ROOT

cd "$NFREC_ROOT"
psql -qX -c "CREATE EXTENSION IF NOT EXISTS nfrec" >/dev/null

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in test/bench/*.sh; do
		b=$(basename "$f" .sh)
		[ "$b" = run ] || names+=("$b")
	done
fi

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "postgres: $(psql -qAtX -c 'SHOW server_version')"
for b in "${names[@]}"; do
	echo
	echo "=== $b   (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
	bash "test/bench/$b.sh"
	echo "=== $b done (load after: $(cut -d' ' -f1-3 /proc/loadavg))"
done
