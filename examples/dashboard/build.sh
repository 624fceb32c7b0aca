#!/usr/bin/env bash
# examples/dashboard/build.sh -- build the example dashboard into dist/.
#
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=me PGDATABASE=mydb bash examples/dashboard/build.sh
#
# Reads nfrec's dashboard views (nfrec.recommendations, nfrec.churn_cohorts,
# nfrec.content_roi_launches, nfrec.catalog_health, nfrec.trending_now) of
# the database named by the usual PG* variables, through psql data loaders
# (src/data/*.json.sh), and writes a static site to dist/ (open it through
# any static web server; `node serve.mjs dist 8080` is one).  Run
# `CALL nfrec.refresh()` in that database first.  Installs the npm packages
# of package-lock.json into node_modules/ when they are missing (npm ci;
# needs only the npm registry).  Every page import resolves from
# node_modules, so the build itself needs no network.  Needs node >= 18 and
# psql on PATH.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -x node_modules/.bin/observable ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "== npm ci (examples/dashboard/node_modules)" >&2
	npm ci --no-audit --no-fund --loglevel=error >&2
fi
command -v psql >/dev/null || { echo "psql is not on PATH" >&2; exit 1; }
psql -X -q -At -v ON_ERROR_STOP=1 -c "SELECT 'nfrec.recommendations'::regclass, 'nfrec.churn_cohorts'::regclass, 'nfrec.content_roi_launches'::regclass, 'nfrec.catalog_health'::regclass, 'nfrec.trending_now'::regclass" >/dev/null || {
	echo "the database has no nfrec dashboard views (nfrec 0.2.0 with nfrec.refresh() is needed)" >&2
	exit 1
}
# a fresh build: data loaders cache their output under src/.observablehq/cache
rm -rf dist src/.observablehq/cache
node_modules/.bin/observable build
