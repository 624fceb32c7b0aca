#!/usr/bin/env bash
# test/demo.sh -- nfrec end to end on a throwaway cluster.
#
#   bash test/demo.sh           # as root on a fresh Debian 12 machine
#
# Installs what is missing, builds and installs nfrec, starts a throwaway
# PostgreSQL on 127.0.0.1 (own data directory and port, stopped at the
# end), generates the demo catalog and viewing history, and prints what an
# analyst wants to see: titles similar by description (with the terms they
# share), personal recommendations and a homepage, an EASE model beside
# the ALS one, churn-risk cohorts, content ROI, an A/B readout and the
# dashboard views after one refresh: the tour of README.md, block by block.  Knobs: NFREC_DEMO_USERS (default 5000), NFREC_DEMO_TITLES
# (default 1500), plus those of test/lib.sh.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USERS=${NFREC_DEMO_USERS:-5000}
TITLES=${NFREC_DEMO_TITLES:-1500}

nf_install_deps
nf_build_install
nf_start_cluster

run() { psql -X -v ON_ERROR_STOP=1 -P pager=off -d postgres "$@"; }

run -q <<SQL
CREATE EXTENSION nfrec;
\echo
\echo '#### Demo data: a streaming service with $USERS subscribers and $TITLES titles'
SELECT users, titles, events, plays, subscriptions, cancellations
FROM nfrec.generate_demo(users => $USERS, titles => $TITLES, days => 365, seed => 1);
SQL

run <<'SQL'
\pset footer off
\echo
\echo '#### TF-IDF of every description (English stemming and stop words), one window over the catalog'
\timing on
CREATE TABLE title_text AS
SELECT title_id, title, nfrec.tfidf_vec(description, 'english') OVER () AS tfidf
FROM content_metadata;
\timing off
ALTER TABLE title_text ADD PRIMARY KEY (title_id);

\echo
\echo '#### The chosen title: the most watched one'
SELECT c.title_id, c.title, c.genres, left(c.description, 120) || '...' AS description
FROM content_metadata c
WHERE c.title_id = (SELECT title_id FROM viewing_events WHERE event_type = 'play'
                    GROUP BY title_id ORDER BY count(*) DESC, title_id LIMIT 1) \gset chosen_
SELECT :chosen_title_id AS title_id, :'chosen_title' AS title, :'chosen_genres' AS genres,
       :'chosen_description' AS description;

\echo
\echo '#### Titles most similar to' :'chosen_title' 'by description'
SELECT s.rank, s.similar_id AS title_id, t.title, round(s.score::numeric, 3) AS cosine,
       (SELECT string_agg(term, ', ' ORDER BY contribution DESC)
        FROM (SELECT term, contribution
              FROM nfrec.shared_terms(a.tfidf, t.tfidf)
              ORDER BY contribution DESC LIMIT 4) x) AS top_shared_terms
FROM nfrec.similar_by_terms('title_text', n => 10, for_ids => ARRAY[:chosen_title_id]::bigint[]) s
JOIN title_text a ON a.title_id = s.title_id
JOIN title_text t ON t.title_id = s.similar_id
ORDER BY s.rank;

\echo
\echo '#### Recommender: hold out 20% of each user''s titles, train implicit ALS on the rest'
CREATE TABLE train AS SELECT * FROM interactions WHERE NOT nfrec.holdout(user_id, title_id, 0.2);
CREATE TABLE test  AS SELECT * FROM interactions WHERE nfrec.holdout(user_id, title_id, 0.2);
\timing on
CREATE TABLE trained AS
SELECT nfrec.als_train(user_id, title_id, weight, '{"verbose": false}') AS model FROM train;
\timing off
SELECT (nfrec.model_info(model) - 'options' - 'bytes') AS model FROM trained;

\echo
\echo '#### Held-out quality at k = 10: the model against a most-popular list'
SELECT users, round(recall::numeric, 3) AS recall, round(ndcg::numeric, 3) AS ndcg,
       round(map::numeric, 3) AS map, round(coverage::numeric, 3) AS coverage,
       round(pop_recall::numeric, 3) AS pop_recall, round(pop_ndcg::numeric, 3) AS pop_ndcg
FROM nfrec.evaluate((SELECT model FROM trained), 'test', k => 10);

\echo
\echo '#### Deploy it (bound to the live interactions view, so serving sees new plays) and serve user 42'
SELECT nfrec.deploy('demo', model, events => 'interactions') AS version FROM trained;
SELECT r.rank, r.title_id, c.title, c.genres, round(r.score::numeric, 3) AS score
FROM nfrec.recommend_for(42, 8) r JOIN content_metadata c USING (title_id) ORDER BY r.rank;

\echo
\echo '#### The whole homepage of user 42 in one call (rows, reasons; doc/serve.md)'
SELECT row_rank, row_kind, row_label, rank, title_id, round(score::numeric, 3) AS score, reason
FROM nfrec.homepage(42, rows => 8, per_row => 2, at => '2026-01-01') ORDER BY row_rank, rank;

\echo
\echo '#### Because you watched' :'chosen_title' '(cosine of factors blended with co-occurrence; doc/serve.md)'
SELECT s.rank, s.title_id, c.title, round(s.score::numeric, 3) AS score
FROM nfrec.similar_titles(:chosen_title_id, 5) s JOIN content_metadata c USING (title_id) ORDER BY s.rank;

\echo
\echo '#### EASE, the closed-form title-by-title model, on the same split; deployed beside the ALS model (doc/ease.md)'
CREATE TABLE ease_trained AS
SELECT nfrec.ease_train(user_id, title_id, weight, '{"verbose": false}') AS model FROM train;
SELECT users, round(recall::numeric, 3) AS recall, round(ndcg::numeric, 3) AS ndcg,
       round(map::numeric, 3) AS map, round(coverage::numeric, 3) AS coverage
FROM nfrec.evaluate((SELECT model FROM ease_trained), 'test', k => 10);
SELECT nfrec.deploy('demo_ease', model, events => 'interactions') AS version FROM ease_trained;
SELECT name, kind, titles, regularization, is_default FROM nfrec.models ORDER BY name;
SELECT r.rank, r.title_id, c.title, round(r.score::numeric, 3) AS score
FROM nfrec.recommend_for(42, 5, 'demo_ease') r JOIN content_metadata c USING (title_id) ORDER BY r.rank;

\echo
\echo '#### Which at-risk cohorts to target this week (churn model trained on the history before 2025-12-01)'
CREATE TABLE risk AS SELECT * FROM nfrec.churn_risk('2025-12-01');
SELECT risk_decile, country, plan, count(*) AS users,
       round(avg(risk)::numeric, 3) AS avg_risk,
       round(sum(risk)::numeric, 1) AS expected_cancels
FROM risk WHERE risk_decile >= 9
GROUP BY risk_decile, country, plan
ORDER BY expected_cancels DESC LIMIT 6;

\echo
\echo '#### Did it work? Risk at 2025-12-01 against real cancellations in the next 30 days'
SELECT count(*) AS scored,
       count(*) FILTER (WHERE s.cancel_date <= date '2025-12-01' + 30) AS cancelled_in_30d,
       round(nfrec.auc(r.risk, coalesce(s.cancel_date <= date '2025-12-01' + 30, false))::numeric, 3) AS forward_auc
FROM risk r JOIN subscriptions s USING (user_id);

\echo
\echo '#### Content ROI: launches ranked by value per dollar (top 8)'
CREATE TABLE roi AS SELECT * FROM nfrec.content_roi();
SELECT title_id, left(title, 24) AS title, launch_date, watchers,
       round(completion_rate::numeric, 2) AS completion, signups_attributed AS signups,
       round(incremental_months::numeric) AS months, value, production_cost AS cost,
       round(roi::numeric, 2) AS roi
FROM roi WHERE roi IS NOT NULL ORDER BY roi DESC, title_id LIMIT 8;

\echo
\echo '#### Did a launch retain at-risk subscribers? At-risk watchers vs comparable at-risk non-watchers (top 5 by retained months)'
SELECT title_id, left(title, 24) AS title, at_risk_watchers, round(watcher_retention::numeric, 3) AS kept,
       at_risk_nonwatchers AS comparable, round(nonwatcher_retention::numeric, 3) AS their_kept,
       round(retention_lift::numeric, 3) AS lift, round(retention_months::numeric, 1) AS months_saved
FROM roi WHERE observed AND at_risk_watchers >= 10
ORDER BY retention_months DESC NULLS LAST, title_id LIMIT 5;

\echo
\echo '#### Is this A/B result significant? (artwork B: 1275 plays of 10000 impressions vs A: 1180 of 10000)'
SELECT round(rate_a::numeric, 4) AS rate_a, round(rate_b::numeric, 4) AS rate_b,
       round(lift::numeric, 3) AS lift, round(z::numeric, 2) AS z,
       round(p_value::numeric, 4) AS p_value,
       round(ci_low::numeric, 4) AS ci_low, round(ci_high::numeric, 4) AS ci_high
FROM nfrec.ab_test(1180, 10000, 1275, 10000);
SELECT nfrec.sample_size(baseline => 0.118, mde => 0.005) AS users_per_arm_for_half_a_point;

\echo
\echo '#### Which artwork to show next? Thompson sampling over three variants (plays, non-plays), 1000 seeded draws'
SELECT arm, count(*) AS times_picked
FROM generate_series(1, 1000) s,
     LATERAL nfrec.thompson_pick('{118,127,40}', '{882,873,260}', seed => s) AS arm
GROUP BY arm ORDER BY arm;

\echo
\echo '#### Dashboards: one refresh recomputes every view (doc/dashboards.md); what BI tools read'
\timing on
CALL nfrec.refresh();
\timing off
SELECT * FROM nfrec.recommendations WHERE user_id = 42 ORDER BY rank;
SELECT * FROM nfrec.catalog_health;
SELECT * FROM nfrec.churn_cohorts WHERE risk_decile = 10 ORDER BY expected_cancellations DESC LIMIT 5;
SELECT * FROM nfrec.trending_now ORDER BY rank LIMIT 5;
SQL
