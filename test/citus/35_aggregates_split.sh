# test/citus/35_aggregates_split.sh -- sourced by test/citus.sh: the
# aggregates that got a real state type so that Citus runs them as worker
# partials plus a coordinator combine (issue 10, item 4): auc
# (nfrec.auc_state), tfidf_fit (nfrec.tfidf_state) and kmeans_step
# (nfrec.kmeans_state, one Lloyd iteration) and logreg_step
# (nfrec.logreg_state, one Newton iteration); driver loops iterate them.
# For each: the same result over the distributed table as over local.*,
# and a plan in which the shards run worker_partial_agg and the
# coordinator coord_combine_agg over their partial states (no pull of the
# argument rows).

E="FROM public.viewing_events e WHERE e.event_type = 'play'"
LE="FROM local.viewing_events e WHERE e.event_type = 'play'"

# check_split NAME SQL: EXPLAIN VERBOSE shows the partial aggregate in the
# shards' query and the combine above the Citus scan, and plan_profile.pl
# calls it split.
check_split() {
	local plan shape
	plan=$(cq 0 -At -c "EXPLAIN (VERBOSE, COSTS OFF) $2" 2>&1) || { notok "$1" "EXPLAIN failed: $(echo "$plan" | tail -n 1)"; return 0; }
	shape=$(perl "$NFREC_ROOT/test/citus/plan_profile.pl" --shape <<<"$plan")
	if [ "$shape" = split ] && grep -Eq 'Query: SELECT .*worker_partial_agg\(' <<<"$plan" &&
		grep -Eq 'Output: .*coord_combine_agg\(' <<<"$plan"; then
		ok "$1" "split: worker_partial_agg in $(sed -n "s/.*Task Count: \([0-9]*\).*/\1/p" <<<"$plan") shard tasks, coord_combine_agg on the coordinator"
	else
		notok "$1" "expected worker_partial_agg + coord_combine_agg, got $shape"; echo "$plan" | head -n 20
	fi
	return 0
}

# auc: exact (the same integer Mann-Whitney count whatever the order)
A="nfrec.auc(e.watch_pct::float8, e.watch_seconds > 1800)"
check_same "auc (watch_pct) same result" "SELECT $A $E" "SELECT $A $LE"
check_split "auc plan: worker partials, coordinator combine" "SELECT $A $E"
check_same "auc per device same result" \
	"SELECT e.device, $A $E GROUP BY 1 ORDER BY 1" "SELECT e.device, $A $LE GROUP BY 1 ORDER BY 1"
check_split "auc per device plan: split" "SELECT e.device, $A $E GROUP BY 1"

# tfidf_fit: a distributed table of (user, description) for the titles
# users watched; document frequencies add up exactly.
distribute_copy user_docs "SELECT DISTINCT e.user_id, c.title_id, c.description, c.genres
	FROM local.viewing_events e JOIN local.content_metadata c USING (title_id)
	WHERE e.event_type = 'play' AND e.user_id <= 300" ||
	notok "set-up: distributed user_docs"
check_same "tfidf_fit(text, english) same result" \
	"SELECT nfrec.tfidf_fit(description, 'english') FROM public.user_docs" \
	"SELECT nfrec.tfidf_fit(description, 'english') FROM local.user_docs"
check_split "tfidf_fit(text, english) plan: split" "SELECT nfrec.tfidf_fit(description, 'english') FROM public.user_docs"
check_same "tfidf_fit(text) same result" \
	"SELECT nfrec.tfidf_fit(description) FROM public.user_docs" \
	"SELECT nfrec.tfidf_fit(description) FROM local.user_docs"
check_same "tfidf_fit(text[]) same result" \
	"SELECT nfrec.tfidf_fit(genres) FROM public.user_docs" \
	"SELECT nfrec.tfidf_fit(genres) FROM local.user_docs"
check_split "tfidf_fit(text[]) plan: split" "SELECT nfrec.tfidf_fit(genres) FROM public.user_docs"
# the fitted vocabulary vectorizes the same text the same way
check_same "tfidf_vec against the distributed vocabulary" \
	"SELECT c.title_id, nfrec.tfidf_vec(c.description, v.voc)::text FROM local.content_metadata c,
	        (SELECT nfrec.tfidf_fit(description, 'english') AS voc FROM public.user_docs) v WHERE c.title_id <= 20 ORDER BY 1" \
	"SELECT c.title_id, nfrec.tfidf_vec(c.description, v.voc)::text FROM local.content_metadata c,
	        (SELECT nfrec.tfidf_fit(description, 'english') AS voc FROM local.user_docs) v WHERE c.title_id <= 20 ORDER BY 1"

# kmeans_step: per-cluster sums meet in another order (1e-12 relative)
KV="ARRAY[e.watch_seconds / 3600.0, e.watch_pct::float8 / 100]"
KC="'{{0,0},{0.5,0.5},{2,1}}'::float8[]"
check_same "kmeans_step same result" "SELECT nfrec.kmeans_step($KV, $KC) $E" "SELECT nfrec.kmeans_step($KV, $KC) $LE" 1e-12
check_split "kmeans_step plan: split" "SELECT nfrec.kmeans_step($KV, $KC) $E"
# a driver on the coordinator: Lloyd iterations until the centroids stop
# moving, each one a worker-partial / coordinator-combine query
cq 0 -o /dev/null <<'SQL' || notok "set-up: kmeans driver"
CREATE FUNCTION public.km_drive(events regclass, start float8[]) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c float8[] := start;
    n float8[];
    it int := 0;
BEGIN
    LOOP
        EXECUTE format('SELECT nfrec.kmeans_step(ARRAY[e.watch_seconds / 3600.0, e.watch_pct::float8 / 100], $1)
                          FROM %s e WHERE e.event_type = ''play''', events) INTO n USING c;
        it := it + 1;
        -- the shards' partial sums may meet in any order: stop when no
        -- centroid coordinate moves by more than 1e-12
        EXIT WHEN it >= 50 OR (SELECT max(abs(a - b)) FROM unnest(n) WITH ORDINALITY x(a, i)
                                JOIN unnest(c) WITH ORDINALITY y(b, j) ON i = j) <= 1e-12;
        c := n;
    END LOOP;
    RETURN format('%s iterations: %s', it, n);
END $$;
SQL
check_same "kmeans_step driver: same centroids" \
	"SELECT public.km_drive('public.viewing_events', $KC)" "SELECT public.km_drive('local.viewing_events', $KC)" 1e-9

# logreg_step: one Newton iteration at given coefficients; the sums meet in
# another order (1e-9 relative after the solve)
LF="ARRAY[e.watch_seconds / 3600.0, extract(hour FROM e.started_at)::float8 / 24]"
LC="'{-0.5,0.2,0.1}'::float8[]"
check_same "logreg_step same result" \
	"SELECT nfrec.logreg_step(e.watch_pct >= 70, $LF, $LC) $E" "SELECT nfrec.logreg_step(e.watch_pct >= 70, $LF, $LC) $LE" 1e-9
check_split "logreg_step plan: split" "SELECT nfrec.logreg_step(e.watch_pct >= 70, $LF, $LC) $E"
# a Newton driver on the coordinator from logreg_train's start (the
# intercept-only fit): the coefficients of logreg_train on one node
cq 0 -o /dev/null <<'SQL' || notok "set-up: logreg driver"
CREATE FUNCTION public.lr_drive(events regclass) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c float8[];
    r jsonb;
    prev float8;
    it int := 0;
BEGIN
    EXECUTE format('SELECT ARRAY[ln(count(*) FILTER (WHERE e.watch_pct >= 70)::float8 / count(*) FILTER (WHERE NOT e.watch_pct >= 70)), 0, 0]
                      FROM %s e WHERE e.event_type = ''play''', events) INTO c;
    LOOP
        EXECUTE format('SELECT nfrec.logreg_step(e.watch_pct >= 70, ARRAY[e.watch_seconds / 3600.0, extract(hour FROM e.started_at)::float8 / 24], $1)
                          FROM %s e WHERE e.event_type = ''play''', events) INTO r USING c;
        it := it + 1;
        EXIT WHEN it > 50 OR (prev IS NOT NULL AND
            abs((r ->> 'log_likelihood')::float8 - prev) / (abs((r ->> 'log_likelihood')::float8) + 0.05) < 1e-12);
        prev := (r ->> 'log_likelihood')::float8;
        SELECT array_agg(v::float8 ORDER BY o) INTO c FROM jsonb_array_elements_text(r -> 'coef') WITH ORDINALITY t(v, o);
    END LOOP;
    RETURN format('%s iterations, log-likelihood %s, coef %s', it, r ->> 'log_likelihood', c);
END $$;
SQL
check_same "logreg_step driver: same fit" "SELECT public.lr_drive('public.viewing_events')" "SELECT public.lr_drive('local.viewing_events')" 1e-9
check_same "logreg_step driver: the coefficients of logreg_train" \
	"SELECT array_agg(round(v::numeric, 8) ORDER BY o) FROM jsonb_array_elements_text((SELECT nfrec.logreg_train(e.watch_pct >= 70, $LF) $LE) -> 'coef') WITH ORDINALITY t(v, o)" \
	"SELECT array_agg(round(v::numeric, 8) ORDER BY o) FROM unnest(substring(public.lr_drive('public.viewing_events') FROM 'coef (.*)\$')::float8[]) WITH ORDINALITY t(v, o)"
