#!/usr/bin/env bash
# The pure C kernels (ALS with both solvers, k-means, logistic regression,
# top-k, vector math, statistics) under AddressSanitizer + UBSan, against
# brute-force and closed-form references: test/unit/run.sh.  Then the older
# standalone harnesses of test/asan/ (churn windows, demo simulation).
# Needs no cluster; fails on any failed check or sanitizer report.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/unit/run.sh"
bash "$here/asan/run_churnwin.sh"
bash "$here/asan/run_demo_sim.sh"
