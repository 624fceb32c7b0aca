# test/citus/20_analytics.sh -- sourced by test/citus.sh: the analytics
# functions give the same rows over the distributed tables as over the
# plain local copies (issue 10, item 5).  Rows are compared as text, exactly,
# except where floats are summed in row order, which differs between the
# shards and one table: sums agree to 1e-12 relative (they differ around the
# 15th digit), and the logistic churn model's risks and coefficients (and
# what depends on them) to 1e-9 (Newton steps on those sums).

L="events => 'local.viewing_events', subscriptions => 'local.subscriptions'"

check_same "churn_features same rows" \
	"SELECT f::text FROM nfrec.churn_features('2025-12-01') f ORDER BY f.user_id" \
	"SELECT f::text FROM nfrec.churn_features('2025-12-01', $L) f ORDER BY f.user_id"
check_same "churn_risk same rows (model trained on each)" \
	"SELECT r::text FROM nfrec.churn_risk('2025-12-01') r ORDER BY r.user_id" \
	"SELECT r::text FROM nfrec.churn_risk('2025-12-01', $L) r ORDER BY r.user_id" 1e-9
check_same "churn_model same model" \
	"SELECT nfrec.churn_model('2025-12-01') - 'trained_at'" \
	"SELECT nfrec.churn_model('2025-12-01', $L) - 'trained_at'" 1e-9
check_same "content_roi same rows" \
	"SELECT r::text FROM nfrec.content_roi() r ORDER BY r.title_id" \
	"SELECT r::text FROM nfrec.content_roi(titles => 'local.content_metadata', $L) r ORDER BY r.title_id" 1e-9
check_same "trending same rows" \
	"SELECT t::text FROM nfrec.trending('2025-12-01', n => 50) t ORDER BY t.rank" \
	"SELECT t::text FROM nfrec.trending('2025-12-01', n => 50, events => 'local.viewing_events', titles => 'local.content_metadata') t ORDER BY t.rank" 1e-12
check_same "watched_catalog_size by plays" \
	"SELECT nfrec.watched_catalog_size('2025-11-01', '2025-12-01')" \
	"SELECT nfrec.watched_catalog_size('2025-11-01', '2025-12-01', events => 'local.viewing_events')"
check_same "watched_catalog_size by hours" \
	"SELECT nfrec.watched_catalog_size('2025-11-01', '2025-12-01', 'hours')" \
	"SELECT nfrec.watched_catalog_size('2025-11-01', '2025-12-01', 'hours', events => 'local.viewing_events')" 1e-12

# Where the work runs today (item 4/5): the distributed statements each call
# runs, from auto_explain's nested plans.  A change here is a change of plan
# shape: update the expected line and doc/scale.md together.
check_profile "churn_features plan profile" "SELECT count(*) FROM nfrec.churn_features('2025-12-01')" \
	"statements=11 pushdown=10 split=1 pull=0 subplans=4"
check_profile "churn_risk plan profile" "SELECT count(*) FROM nfrec.churn_risk('2025-12-01')" \
	"statements=43 pushdown=27 split=16 pull=0 subplans=12"
check_profile "content_roi plan profile" "SELECT count(*) FROM nfrec.content_roi()" \
	"statements=65 pushdown=48 split=17 pull=0 subplans=21"
check_profile "trending plan profile" "SELECT count(*) FROM nfrec.trending('2025-12-01')" \
	"statements=6 pushdown=4 split=2 pull=0 subplans=2"
check_profile "watched_catalog_size plan profile" "SELECT nfrec.watched_catalog_size('2025-11-01', '2025-12-01')" \
	"statements=1 pushdown=0 split=1 pull=0 subplans=0"
