# test/citus/40_als.sh -- sourced by test/citus.sh: als_train over the
# distributed interactions (a view grouping the distributed events by
# user_id, title_id) trains the same model as over the local copy.  Training
# does not depend on row order (doc/alstrain.md), so the factors must be
# equal bit for bit.  Today the aggregate pulls every (user, title, weight)
# row to the coordinator (internal state): the plan check records it.

A="nfrec.als_train(i.user_id, i.title_id, i.weight, '{\"verbose\": false, \"iterations\": 10, \"factors\": 32}')"
cq 0 <<SQL || notok "set-up: train both models"
CREATE TABLE local.model_dist AS SELECT $A AS m FROM public.interactions i;
CREATE TABLE local.model_local AS SELECT $A AS m FROM local.interactions i;
SQL
check_same "als_train same model_info" \
	"SELECT nfrec.model_info(m) - 'trained_at' - 'train_seconds' FROM local.model_dist" \
	"SELECT nfrec.model_info(m) - 'trained_at' - 'train_seconds' FROM local.model_local"
check_same "als_train same factors (bitwise)" \
	"SELECT s, md5(string_agg(f.id || ':' || f.factors::text, ',' ORDER BY f.id)) FROM local.model_dist, unnest(ARRAY['user', 'item']) s, nfrec._als_factors(m, s) f GROUP BY s ORDER BY s" \
	"SELECT s, md5(string_agg(f.id || ':' || f.factors::text, ',' ORDER BY f.id)) FROM local.model_local, unnest(ARRAY['user', 'item']) s, nfrec._als_factors(m, s) f GROUP BY s ORDER BY s"
check_shape "als_train plan: pull" "SELECT $A FROM public.interactions i" pull

# A model trained on distributed rows serves on the coordinator like any other.
cq 0 -c "SELECT nfrec.deploy('citus_dist', m) FROM local.model_dist" -c "SELECT nfrec.deploy('citus_local', m) FROM local.model_local" >/dev/null
check_same "recommend_for from a model trained on distributed rows" \
	"SELECT u, r::text FROM generate_series(1, 50) u, nfrec.recommend_for(u, 10, model => 'citus_dist') r ORDER BY u, r.rank" \
	"SELECT u, r::text FROM generate_series(1, 50) u, nfrec.recommend_for(u, 10, model => 'citus_local') r ORDER BY u, r.rank"

# The metrics of a model against a distributed test table (evaluate reads it
# with one query per call): the local results.
distribute_copy test_rows "SELECT * FROM local.interactions WHERE nfrec.holdout(user_id, title_id, 0.2)" ||
	notok "set-up: distributed test rows"
check_same "evaluate over a distributed test table" \
	"SELECT e::text FROM local.model_local, nfrec.evaluate(m, 'public.test_rows', k => 10) e" \
	"SELECT e::text FROM local.model_local, nfrec.evaluate(m, 'local.test_rows', k => 10) e"
