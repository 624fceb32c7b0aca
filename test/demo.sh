#!/usr/bin/env bash
# test/demo.sh -- nfrec end to end on a throwaway cluster.
#
#   bash test/demo.sh           # as root on a fresh Debian 12 machine
#
# Installs what is missing, builds and installs nfrec, starts a throwaway
# PostgreSQL on 127.0.0.1 (own data directory and port, stopped at the
# end), generates the demo catalog and viewing history, and prints what an
# analyst wants to see: titles similar by description (with the terms they
# share), personal recommendations, churn-risk cohorts, content ROI and an
# A/B readout.  Knobs: NFREC_DEMO_USERS (default 5000), NFREC_DEMO_TITLES
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
SQL
