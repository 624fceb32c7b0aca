# test/citus/30_aggregates.sh -- sourced by test/citus.sh: nfrec's
# aggregates over a distributed table give the local results, and the plan
# shape records where each runs today (issue 10, item 4):
#   split  worker partials (worker_partial_agg) + a coordinator combine
#   pull   every argument row is pulled to the coordinator, which aggregates
# Citus splits a custom aggregate only if its state type is not a
# pseudo-type: welch_ttest (float8[]), the catalog aggregates
# (nfrec.tally_state, whose text form carries a partial tally) and auc
# (nfrec.auc_state) split; logreg_train and kmeans keep an internal state
# (all their rows; see doc/scale.md) and pull.  35_aggregates_split.sh has
# the other aggregates with state types.

E="FROM public.viewing_events e WHERE e.event_type = 'play'"
LE="FROM local.viewing_events e WHERE e.event_type = 'play'"

agg_check() {  # NAME EXPRESSION EXPECTED_SHAPE [TOL]
	check_same "$1 same result" "SELECT $2 $E" "SELECT $2 $LE" "${4:-}"
	check_shape "$1 plan: $3" "SELECT $2 $E" "$3"
}
agg_check "effective_catalog_size(title_id)" "nfrec.effective_catalog_size(e.title_id)" split
agg_check "effective_catalog_size(title_id, hours)" "nfrec.effective_catalog_size(e.title_id, e.watch_seconds / 3600.0)" split 1e-12
agg_check "catalog_coverage" "nfrec.catalog_coverage(e.title_id, $NFREC_CITUS_TITLES)" split
agg_check "auc" "nfrec.auc(e.watch_seconds::float8, e.watch_pct >= 70)" split
agg_check "logreg_train" "nfrec.logreg_train(e.watch_pct >= 70, ARRAY[e.watch_seconds / 3600.0, extract(hour FROM e.started_at)::float8]) - 'trained_at'" pull 1e-9
agg_check "kmeans" "nfrec.kmeans(ARRAY[e.watch_seconds / 3600.0, e.watch_pct::float8], 3, '{\"seed\": 1}')" pull
# Weighted tallies sum floats in row order (1e-12 relative), logistic fits
# take Newton steps on such sums (1e-9).  welch_ttest has a float8[] state:
# split; its partial sums meet in another order than on one node, and its
# t and p-value come from a difference of means (1e-10).
W="nfrec.welch_ttest(e.watch_pct::float8, e.user_id % 2 = 0)"
check_same "welch_ttest same result" "SELECT $W $E" "SELECT $W $LE" 1e-10
check_shape "welch_ttest plan: split" "SELECT $W $E" split

# Grouped by the distribution column, the whole aggregate runs on the
# workers (one group never spans shards): same rows as local.
check_same "effective_catalog_size per user (GROUP BY user_id)" \
	"SELECT e.user_id, nfrec.effective_catalog_size(e.title_id) $E GROUP BY e.user_id ORDER BY 1" \
	"SELECT e.user_id, nfrec.effective_catalog_size(e.title_id) $LE GROUP BY e.user_id ORDER BY 1"
check_shape "effective_catalog_size per user plan: pushdown" \
	"SELECT e.user_id, nfrec.effective_catalog_size(e.title_id) $E GROUP BY e.user_id" pushdown

# termvec sum/avg: a distributed table of per-user term vectors.
distribute_copy profiles "SELECT e.user_id, t.tfidf AS v
	FROM (SELECT DISTINCT user_id, title_id FROM local.viewing_events WHERE event_type = 'play' AND user_id <= 200) e
	JOIN (SELECT title_id, nfrec.tfidf_vec(description, 'english') OVER () AS tfidf FROM local.content_metadata) t USING (title_id)" ||
	notok "set-up: distributed profiles"
check_same "termvec sum per user (GROUP BY user_id)" \
	"SELECT user_id, nfrec.sum(v)::text FROM public.profiles GROUP BY user_id ORDER BY 1" \
	"SELECT user_id, nfrec.sum(v)::text FROM local.profiles GROUP BY user_id ORDER BY 1"
# nfrec.sum/avg(termvec) have a combine function and a real state type
# (nfrec.termvec_state), so Citus does not take them for its own sum/avg
# by name: worker partials (double sums per term) and a coordinator
# combine.  The partial sums meet in another order than on one node, and
# the result is rounded to float4 weights: 1e-6 relative.
check_same "termvec sum over all shards" \
	"SELECT nfrec.sum(v)::text FROM public.profiles" "SELECT nfrec.sum(v)::text FROM local.profiles" 1e-6
check_shape "termvec sum plan: split" "SELECT nfrec.sum(v) FROM public.profiles" split
check_same "termvec avg over all shards" \
	"SELECT nfrec.avg(v)::text FROM public.profiles" "SELECT nfrec.avg(v)::text FROM local.profiles" 1e-6
check_shape "termvec avg plan: split" "SELECT nfrec.avg(v) FROM public.profiles" split
