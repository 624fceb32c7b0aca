#!/usr/bin/env bash
# examples/dashboard/test.sh -- build the example dashboard against a demo
# cluster and check it in headless Chromium.
#
#   bash examples/dashboard/test.sh     # as root; knobs of test/lib.sh
#
# Builds and installs nfrec, starts a throwaway cluster (test/lib.sh),
# generates the demo (DASHBOARD_DEMO_USERS, default 2000; 600 titles),
# trains and deploys an ALS model, runs CALL nfrec.refresh(), builds the
# site (build.sh: npm ci when node_modules is missing, then
# `observable build` with psql data loaders), serves dist/ on a free
# loopback port, loads it in headless Chromium, and checks the DOM
# (check.mjs): every tile drew rows of its view and its table rows / SVG
# marks, and no cell failed.  Keeps a screenshot in screenshot.png (next to
# this script) and the DOM in out/dom.html.  Ends with
# "dashboard: N passed, N failed".  Installs chromium, nodejs and npm from
# Debian when missing (unless NFREC_SKIP_APT=1).
source "$(dirname "${BASH_SOURCE[0]}")/../../test/lib.sh"

HERE="$NFREC_ROOT/examples/dashboard"
USERS=${DASHBOARD_DEMO_USERS:-2000}
t_start=$(date +%s)

if [ "${NFREC_SKIP_APT:-0}" != 1 ]; then
	missing=""
	command -v chromium >/dev/null || missing="$missing chromium"
	command -v node >/dev/null || missing="$missing nodejs"
	command -v npm >/dev/null || missing="$missing npm"
	if [ -n "$missing" ]; then
		nf_log "installing:$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get -o DPkg::Lock::Timeout=600 update -qq
		# shellcheck disable=SC2086
		apt-get -o DPkg::Lock::Timeout=600 install -y -qq $missing >/dev/null
	fi
fi
for c in chromium node npm; do
	command -v $c >/dev/null || { echo "$c is missing" >&2; exit 1; }
done

nf_install_deps
nf_build_install
nf_start_cluster
export PATH="$NFREC_PGBIN:$PATH"
t_cluster=$(date +%s)

nf_log "demo data ($USERS users), model, CALL nfrec.refresh()"
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION nfrec;
SELECT * FROM nfrec.generate_demo(users => $USERS, titles => 600, days => 365, seed => 1);
SELECT nfrec.deploy('demo', nfrec.als_train(user_id, title_id, weight, '{"verbose": false}'),
                    events => 'interactions')
  FROM interactions;
CALL nfrec.refresh();
SQL
t_data=$(date +%s)

nf_log "building the dashboard"
bash "$HERE/build.sh" >"$NFREC_WORK/dashboard-build.log" 2>&1 || { tail -n 40 "$NFREC_WORK/dashboard-build.log"; exit 1; }
t_build=$(date +%s)

mkdir -p "$HERE/out"
node "$HERE/serve.mjs" "$HERE/dist" 0 >"$NFREC_WORK/dashboard-serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; nf_stop_cluster' EXIT
url=""
for _ in $(seq 1 50); do
	url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$NFREC_WORK/dashboard-serve.log" || true)
	[ -n "$url" ] && break
	sleep 0.2
done
[ -n "$url" ] || { echo "the static server did not start" >&2; cat "$NFREC_WORK/dashboard-serve.log"; exit 1; }

# Chromium as root needs --no-sandbox; the virtual time budget lets the
# page's modules, data files and cells settle before the dump.
browse() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--no-first-run --user-data-dir="$NFREC_WORK/chromium" \
		--window-size=1400,1900 --virtual-time-budget=20000 "$@" "$url" 2>>"$NFREC_WORK/chromium.log"
}
# On a loaded machine a headless load can end before the page's modules
# have run (an empty page: every tile missing at once); load it again, up
# to three times, and report the checks of the last load.
nf_log "loading $url in headless Chromium"
set +e
for attempt in 1 2 3; do
	browse --dump-dom >"$HERE/out/dom.html"
	node "$HERE/check.mjs" "$HERE/out/dom.html" >"$NFREC_WORK/check.out"
	status=$?
	[ "$status" -eq 0 ] && break
	nf_log "load $attempt: checks failed; loading the page again"
done
cat "$NFREC_WORK/check.out"
set -e
browse --screenshot="$HERE/screenshot.png" >/dev/null
t_browser=$(date +%s)
[ -s "$HERE/screenshot.png" ] || { echo "no screenshot" >&2; status=1; }
echo "== timings: build+cluster $((t_cluster - t_start))s, data+refresh $((t_data - t_cluster))s, build $((t_build - t_data))s, browser $((t_browser - t_build))s, total $(( $(date +%s) - t_start ))s"
exit $status
