#!/usr/bin/env bash
# test/demo_quality/run.sh SCHEMA -- how learnable a generated demo is.
#
# Not part of the test suite (needs python3-numpy, takes a minute): it
# measures, independently of nfrec's own models, the two properties the
# generator promises, on the demo in SCHEMA (PGHOST/PGPORT/PGUSER/PGDATABASE
# from the environment):
#   churn_auc.py   a logistic regression (Newton, numpy) on simple
#                  engagement features at monthly as-of dates, trained on
#                  the first months and scored on the last ones: held-out
#                  AUC and the cancellation rate of the top risk decile;
#   als_recall.py  implicit ALS (Hu et al. 2008, exact solves, numpy) on the
#                  first 80% of each user's titles vs popularity vs the
#                  generator's true tastes (the oracle), recall@10 on the rest.
set -euo pipefail
schema=${1:?usage: run.sh SCHEMA}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET search_path = "$schema";
\copy (SELECT a.as_of, s.user_id, (s.cancel_date IS NOT NULL AND s.cancel_date <= a.as_of + 30)::int AS label, f.*, (a.as_of - s.signup_date) AS tenure FROM (SELECT d::date AS as_of FROM generate_series((SELECT min(started_at)::date + 70 FROM viewing_events), (SELECT max(started_at)::date - 30 FROM viewing_events), interval '1 month') d) a JOIN subscriptions s ON s.signup_date <= a.as_of - 14 AND (s.cancel_date IS NULL OR s.cancel_date > a.as_of) CROSS JOIN LATERAL (SELECT coalesce(sum(watch_seconds) FILTER (WHERE e.started_at >= a.as_of - 14), 0) / 3600.0 AS h14, coalesce(sum(watch_seconds) FILTER (WHERE e.started_at < a.as_of - 14 AND e.started_at >= a.as_of - 28), 0) / 3600.0 AS h14p, coalesce(sum(watch_seconds) FILTER (WHERE e.started_at < a.as_of - 28), 0) / 3600.0 AS h28pp, count(DISTINCT e.started_at::date) FILTER (WHERE e.event_type = 'play' AND e.started_at >= a.as_of - 14) AS days14, coalesce(a.as_of - max(e.started_at::date) FILTER (WHERE e.event_type = 'play'), 60) AS since_play, count(*) FILTER (WHERE e.event_type = 'play' AND e.watch_pct < 30 AND e.started_at >= a.as_of - 28)::float8 / greatest(1, count(*) FILTER (WHERE e.event_type = 'play' AND e.started_at >= a.as_of - 28)) AS abandon, count(*) FILTER (WHERE e.event_type IN ('impression', 'search') AND e.started_at >= a.as_of - 28)::float8 / greatest(1, count(*) FILTER (WHERE e.started_at >= a.as_of - 28)) AS browse FROM viewing_events e WHERE e.user_id = s.user_id AND e.started_at >= a.as_of - 56 AND e.started_at < a.as_of) f ORDER BY 1, 2) TO '$out/features.csv' CSV HEADER
\copy (SELECT user_id, title_id, min(started_at) AS first_at, sum(least(watch_pct, 100)::float8) / 100 AS w FROM viewing_events WHERE event_type = 'play' GROUP BY 1, 2 ORDER BY 1, 3, 2) TO '$out/plays.csv' CSV
\copy (SELECT user_id, array_to_string(communities, ' '), array_to_string(community_weights, ' ') FROM demo_user_truth ORDER BY 1) TO '$out/users.csv' CSV
\copy (SELECT title_id, community, popularity FROM demo_title_truth ORDER BY 1) TO '$out/titles.csv' CSV
SQL
cd "$out"
/usr/bin/python3 "$here/churn_auc.py" features.csv
/usr/bin/python3 "$here/als_recall.py"
