#!/usr/bin/env bash
# test/run.sh -- the whole test suite on a throwaway cluster.
#
#   bash test/run.sh            # as root on a fresh Debian 12 machine
#
# Installs what is missing, builds and installs nfrec, starts a throwaway
# PostgreSQL on 127.0.0.1, runs pg_regress (make installcheck) and every
# shell test under test/t/, and ends with one summary line
# "nfrec: N passed, N failed".  Exit status 0 only if nothing failed.
# Run a subset with NFREC_REGRESS="cosine termvec" and/or NFREC_TAP="t/x.sh".

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nf_install_deps
nf_build_install
nf_start_cluster
export NFREC_WORK NFREC_PORT NFREC_PGVER NFREC_SANDBOX NFREC_ROOT

cd "$NFREC_ROOT"
passed=0
failed=0
failures=()

nf_log "pg_regress"
regress_args=()
[ -n "${NFREC_REGRESS:-}" ] && regress_args=(REGRESS="$NFREC_REGRESS")
set +e
make -s installcheck PG_CONFIG="/usr/lib/postgresql/$NFREC_PGVER/bin/pg_config" "${regress_args[@]}" 2>&1 | tee "$NFREC_WORK/regress.log"
set -e
# PostgreSQL 15 prints "test name ... ok"; 16+ prints TAP "ok N - name".
p=$(grep -cE '\.\.\. ok|^ok [0-9]+' "$NFREC_WORK/regress.log" || true)
f=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+' "$NFREC_WORK/regress.log" || true)
passed=$((passed + p))
failed=$((failed + f))
if [ "$f" -gt 0 ]; then
	failures+=("pg_regress: $f failed (see regression.diffs)")
	[ -f regression.diffs ] && head -n 200 regression.diffs
fi
if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
	failures+=("pg_regress ran no test")
	failed=$((failed + 1))
fi

nf_log "shell tests"
tests=${NFREC_TAP:-$(cd test && ls t/*.sh 2>/dev/null || true)}
for t in $tests; do
	start=$(date +%s)
	if bash "test/$t" >"$NFREC_WORK/$(basename "$t").log" 2>&1; then
		passed=$((passed + 1))
		printf 'shell test %-40s ok (%ss)\n' "$t" "$(( $(date +%s) - start ))"
	else
		failed=$((failed + 1))
		failures+=("$t")
		printf 'shell test %-40s FAILED (%ss)\n' "$t" "$(( $(date +%s) - start ))"
		tail -n 40 "$NFREC_WORK/$(basename "$t").log"
	fi
done

for x in "${failures[@]}"; do echo "failed: $x"; done
echo "nfrec: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
