# test/citus/55_tune_retrain.sh -- sourced by test/citus.sh (after
# 50_train_distributed.sh, whose check_top10 and check_loss it uses; before
# 60_serving.sh routes recommend_for to the workers): als_tune and retrain
# over events distributed by user_id train with train_distributed's steps
# where the rows live (issue 10 items 2 and 6), not through als_train,
# which pulls every row to the coordinator.  Checked: the statements they
# run (the per-title sums split, no als_train), and their results against
# the same calls over the local copy, which train with als_train: within
# what train_distributed documents (loss 1e-6 relative, the same top-10
# for >= 99% of users).

# Cholesky: train_distributed agrees with als_train to about 1e-12 with it;
# with CG's 3 float steps an ill-conditioned configuration (factors 16,
# regularization 0.5 here) differs by up to 0.3% in a metric
TO='{"verbose": false, "iterations": 6, "seed": 5, "solver": "cholesky"}'
cq 0 -o /dev/null <<'SQL' || notok "set-up: tuning split"
SET client_min_messages = warning;
CREATE TABLE local.tune_train AS SELECT * FROM local.interactions WHERE NOT nfrec.holdout(user_id, title_id, 0.2, 11);
CREATE TABLE local.tune_val AS SELECT user_id, title_id FROM local.interactions WHERE nfrec.holdout(user_id, title_id, 0.2, 11) AND weight > 0;
CREATE TABLE public.tune_train (LIKE local.tune_train);
SELECT create_distributed_table('public.tune_train', 'user_id', colocate_with => 'public.viewing_events');
INSERT INTO public.tune_train SELECT * FROM local.tune_train;
SQL

# check_nested NAME SQL PRESENT ABSENT: among the statements SQL runs
# (auto_explain, nested ones included) some match PRESENT, none ABSENT
check_nested() {
	local out n bad
	if ! out=$(cq 0 -At 2>&1 >/dev/null <<SQL
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_verbose = on;
SET client_min_messages = log;
$2;
SQL
	); then notok "$1" "query failed: $(echo "$out" | tail -n 1)"; return 0; fi
	n=$(grep -c -- "$3" <<<"$out" || true)
	bad=$(grep -c -- "$4" <<<"$out" || true)
	if [ "$n" -ge 1 ] && [ "$bad" -eq 0 ]; then ok "$1" "$n statements with $3, none with $4"
	else notok "$1" "$n statements with $3, $bad with $4"; fi
}

G='{"factors": [8, 16], "regularization": [0.5, 20]}'
TUNE="nfrec.als_tune(%s, 'local.tune_val', '$G', 10, '$TO')"
check_nested "als_tune over distributed rows trains where they live" \
	"SELECT count(*) FROM $(printf "$TUNE" "'public.tune_train'")" \
	"worker_partial_agg('nfrec._als_dist_sums" "nfrec.als_train("
check_same "als_tune: same metrics and best configuration as over the local copy" \
	"SELECT t.options, round(t.precision::numeric, 6), round(t.recall::numeric, 6), round(t.ndcg::numeric, 6),
	        round(t.map::numeric, 6), round(t.coverage::numeric, 6), t.is_best
	   FROM $(printf "$TUNE" "'public.tune_train'") t ORDER BY t.options::text" \
	"SELECT t.options, round(t.precision::numeric, 6), round(t.recall::numeric, 6), round(t.ndcg::numeric, 6),
	        round(t.map::numeric, 6), round(t.coverage::numeric, 6), t.is_best
	   FROM $(printf "$TUNE" "'local.tune_train'") t ORDER BY t.options::text" 1e-6

# retrain: the first run deploys; the candidate trained on the rows
# nfrec.holdout keeps, where they live
RO='{"verbose": false, "iterations": 6, "factors": 16, "seed": 5}'
cq 0 -o /dev/null \
	-c "SET client_min_messages = warning" \
	-c "CALL nfrec.retrain('rt_dist', 'public.interactions', '$RO', holdout => 0.2, seed => 11, refresh => false)" \
	-c "CALL nfrec.retrain('rt_local', 'local.interactions', '$RO', holdout => 0.2, seed => 11, refresh => false)" ||
	notok "set-up: retrain over the distributed and the local interactions"
check_true "retrain over distributed events: deployed, trained by train_distributed's steps" \
	"SELECT l.decision = 'deployed' AND s.options ->> 'trained_by' = 'train_distributed'
	        AND s.options ->> 'work' = 'colocated with public.viewing_events'
	   FROM nfrec.retrain_log l JOIN nfrec.model_store s ON s.version = l.version
	  WHERE l.name = 'rt_dist' ORDER BY l.run_id DESC LIMIT 1"
check_same "retrain: the same held-out metrics as over the local copy" \
	"SELECT l.decision, l.candidate -> 'test_pairs', l.candidate -> 'train_users', l.candidate -> 'train_titles',
	        round((l.candidate ->> 'ndcg')::numeric, 6), round((l.candidate ->> 'precision')::numeric, 6)
	   FROM nfrec.retrain_log l WHERE l.name = 'rt_dist' ORDER BY l.run_id DESC LIMIT 1" \
	"SELECT l.decision, l.candidate -> 'test_pairs', l.candidate -> 'train_users', l.candidate -> 'train_titles',
	        round((l.candidate ->> 'ndcg')::numeric, 6), round((l.candidate ->> 'precision')::numeric, 6)
	   FROM nfrec.retrain_log l WHERE l.name = 'rt_local' ORDER BY l.run_id DESC LIMIT 1" 1e-3
check_loss "retrain" rt_dist rt_local
check_top10 "retrain: same top-10 as the local (als_train) candidate for >= 99% of users" rt_dist rt_local \
	"SELECT DISTINCT user_id FROM local.interactions"
check_nested "retrain over distributed events trains where they live" \
	"CALL nfrec.retrain('rt_dist', 'public.interactions', '$RO', holdout => 0.2, seed => 11, refresh => false)" \
	"worker_partial_agg('nfrec._als_dist_sums" "nfrec.als_train("
check_true "no train work table left" \
	"SELECT NOT EXISTS (SELECT 1 FROM pg_class WHERE relname LIKE 'nfrec\_train\_%')"
