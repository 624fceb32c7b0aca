# test/citus/60_serving.sh -- sourced by test/citus.sh: serving on the
# workers (doc/scale.md, "Distributed serving").  A model deployed on the
# coordinator with its events bound to a table distributed by user_id is
# copied to the workers by CALL nfrec.distribute_model; recommend_for and
# user_vector become distributed functions routed by user_id; single calls
# and a LATERAL batch over the distributed subscriptions run on the workers
# (no citus.allow_nested_distributed_execution) and give exactly what the
# same model bound to the coordinator's plain copy of the events gives.

# The model: trained on two thirds of the titles' interactions, so that the
# events (all titles) hold rows the training did not see (exclusion and
# fold-in read the bound events on the shards).
cq 0 -o /dev/null <<'SQL' || notok "set-up: serving tables and models"
SET client_min_messages = warning;
CREATE TABLE local.ints AS SELECT * FROM local.interactions;
CREATE TABLE public.ints AS SELECT * FROM local.interactions;
SELECT create_distributed_table('public.ints', 'user_id', colocate_with => 'public.viewing_events');
CREATE TABLE local.serve_model AS
    SELECT nfrec.als_train(user_id, title_id, weight, '{"verbose": false, "iterations": 5, "factors": 16}') m
      FROM local.interactions WHERE title_id % 3 <> 0 AND user_id % 7 <> 0;
SELECT nfrec.deploy('serve_single', m, 'local.ints') FROM local.serve_model;
SELECT nfrec.deploy('serve_dist', m, 'public.ints') FROM local.serve_model;
SQL
USERS="SELECT user_id FROM local.subscriptions WHERE user_id % 10 = 3 OR user_id % 7 = 0 OR user_id > 1990"

check_true "not served on the workers before distribute_model" \
	"SELECT bool_and(result = '0') FROM run_command_on_workers(\$\$SELECT count(*) FROM nfrec.model_store WHERE name = 'serve_dist'\$\$)"
cq 0 -o /dev/null -c "CALL nfrec.distribute_model('serve_dist', route => false)" || notok "set-up: distribute_model without routing"
check_true "route => false: recommend_for is not a distributed function" \
	"SELECT NOT EXISTS (SELECT 1 FROM pg_dist_object WHERE objid = 'nfrec.recommend_for(bigint,int,text,bigint[],real,timestamptz,text)'::regprocedure)"
check_same "route => false: batch over distributed subscriptions on the shards" \
	"SELECT s.user_id, r::text FROM public.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'serve_dist') r WHERE s.user_id IN ($USERS) ORDER BY 1, r.rank" \
	"SELECT s.user_id, r::text FROM local.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'serve_single') r WHERE s.user_id IN ($USERS) ORDER BY 1, r.rank"
cq 0 -o /dev/null -c "CALL nfrec.distribute_model('serve_dist')" || notok "set-up: distribute_model"
check_true "title side on every worker, each user on the worker of its shard" \
	"SELECT (SELECT count(*) FROM run_command_on_workers(\$\$SELECT count(*) FROM nfrec.model_store WHERE name = 'serve_dist' AND is_current\$\$) WHERE result = '1') = 2
	    AND (SELECT sum(result::bigint) FROM run_command_on_workers(\$\$SELECT count(*) FROM nfrec.model_users u JOIN nfrec.model_store s USING (version) WHERE s.name = 'serve_dist'\$\$))
	        = (SELECT count(*) FROM nfrec.model_users u JOIN nfrec.model_store s USING (version) WHERE s.name = 'serve_dist' AND s.is_current)
	    AND (SELECT bool_and(result::bigint > 0) FROM run_command_on_workers(\$\$SELECT count(*) FROM nfrec.model_users u JOIN nfrec.model_store s USING (version) WHERE s.name = 'serve_dist'\$\$))"
check_true "recommend_for and user_vector are distributed functions colocated with the events" \
	"SELECT count(*) = 2 FROM pg_dist_object o JOIN pg_dist_partition p ON p.colocationid = o.colocationid AND p.logicalrelid = 'public.viewing_events'::regclass
	  WHERE o.objid IN ('nfrec.recommend_for(bigint,int,text,bigint[],real,timestamptz,text)'::regprocedure, 'nfrec.user_vector(bigint,text)'::regprocedure)
	    AND o.distribution_argument_index = 0"

# Same results as single-node: each call routed to the user's worker, and
# the batch over the distributed subscriptions pushed down to the shards.
# (the single-node side joins a local table: a bare call of a distributed
# function is delegated to a worker whatever the model)
for u in 3 7 1993 1999; do
	check_same "recommend_for($u), one call" \
		"SELECT r::text FROM nfrec.recommend_for($u, 10, 'serve_dist') r" \
		"SELECT r::text FROM local.subscriptions s, nfrec.recommend_for(s.user_id, 10, 'serve_single') r WHERE s.user_id = $u ORDER BY r.rank"
done
routed=$(cq 0 -At -c "SET citus.log_remote_commands = on" -c "SET client_min_messages = log" \
	-c "SELECT * FROM nfrec.recommend_for(3, 10, 'serve_dist')" -c "SELECT * FROM nfrec.user_vector(7, 'serve_dist')" 2>&1 >/dev/null | grep -c 'issuing SELECT.*nfrec\.\(recommend_for\|user_vector\)(.[37].::bigint')
if [ "$routed" = 2 ]; then ok "one call is delegated to the user's worker" "citus.log_remote_commands"
else notok "one call is delegated to the user's worker" "$routed remote calls"; fi
check_same "recommend_for, batch over distributed subscriptions" \
	"SELECT s.user_id, r::text FROM public.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'serve_dist') r WHERE s.user_id IN ($USERS) ORDER BY 1, r.rank" \
	"SELECT s.user_id, r::text FROM local.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'serve_single') r WHERE s.user_id IN ($USERS) ORDER BY 1, r.rank"
check_same "user_vector, batch over distributed subscriptions" \
	"SELECT s.user_id, v::text FROM public.subscriptions s, LATERAL nfrec.user_vector(s.user_id, 'serve_dist') v WHERE s.user_id IN ($USERS) ORDER BY 1" \
	"SELECT s.user_id, v::text FROM local.subscriptions s, LATERAL nfrec.user_vector(s.user_id, 'serve_single') v WHERE s.user_id IN ($USERS) ORDER BY 1"
check_true "the sample holds trained, folded-in and cold-start users" \
	"SELECT count(DISTINCT v.source) = 3 FROM local.subscriptions s, LATERAL nfrec.user_vector(s.user_id, 'serve_single') v WHERE s.user_id IN ($USERS)"
check_shape_plan() {
	local plan; plan=$(cq 0 -At -c "EXPLAIN (COSTS OFF) $2" 2>&1)
	if grep -q "Task Count: $3" <<<"$plan" && grep -q "Function Scan on recommend_for" <<<"$plan" && ! grep -qi "subplan" <<<"$plan"
	then ok "$1" "Task Count: $3, the function on the shards"; else notok "$1" "$(echo "$plan" | head -n 5 | tr '\n' ' ')"; fi
}
check_shape_plan "plan: batch pushed down to every shard" \
	"SELECT s.user_id, r.* FROM public.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'serve_dist') r" 8
check_true "nested distributed execution stays off" \
	"SELECT current_setting('citus.allow_nested_distributed_execution') = 'off'"

# Bad input (check_fails as in 50_train_distributed.sh, for a run of this file alone).
check_fails() {
	local out
	if out=$(cq 0 -At -v VERBOSITY=verbose -c "$2" 2>&1); then notok "$1" "expected an error, it worked"
	elif grep -q -- "$3" <<<"$out"; then ok "$1" "$(grep -m1 ERROR <<<"$out" | cut -c1-90)"
	else notok "$1" "failed differently: $(echo "$out" | head -n 1)"; fi
}
cq 0 -o /dev/null -c "SET client_min_messages = warning" -c "SELECT nfrec.deploy('serve_view', m, 'public.interactions'), nfrec.deploy('serve_none', m) FROM local.serve_model" ||
	notok "set-up: models bound to a view and to nothing"
check_fails "distribute_model: events are a view" "CALL nfrec.distribute_model('serve_view')" '0A000.*not distributed by user_id'
check_fails "distribute_model: no events, no colocate_with" "CALL nfrec.distribute_model('serve_none')" '22023.*has no events relation'
check_fails "distribute_model: colocate_with a reference table" "CALL nfrec.distribute_model('serve_none', 'public.content_metadata')" '0A000.*not distributed by user_id'
check_fails "distribute_model: unknown model" "CALL nfrec.distribute_model('no_such_model')" '42704.*does not exist'
check_fails "distribute_model: null name" "CALL nfrec.distribute_model(NULL)" '22004'
# a model without bound events, colocated by hand with the events' shards
cq 0 -o /dev/null -c "CALL nfrec.distribute_model('serve_none', 'public.subscriptions')" || notok "set-up: distribute_model with colocate_with"
check_same "recommend_for, batch, model without events" \
	"SELECT s.user_id, r::text FROM public.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 5, 'serve_none') r WHERE s.user_id IN ($USERS) ORDER BY 1, r.rank" \
	"SELECT s.user_id, r::text FROM local.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 5, 'serve_none') r WHERE s.user_id IN ($USERS) ORDER BY 1, r.rank"
# a redeploy reaches the workers in the same call (62_sync.sh checks it
# step by step); distribute_model again replaces their copy by the current version
cq 0 -o /dev/null -c "SET client_min_messages = warning" -c "SELECT nfrec.deploy('serve_dist', nfrec.als_train(user_id, title_id, weight, '{\"verbose\": false, \"iterations\": 3, \"factors\": 8}'), 'public.ints') FROM local.interactions" \
	-c "SELECT nfrec.deploy('serve_single', nfrec.als_train(user_id, title_id, weight, '{\"verbose\": false, \"iterations\": 3, \"factors\": 8}'), 'local.ints') FROM local.interactions" \
	-c "CALL nfrec.distribute_model('serve_dist')" || notok "set-up: redeploy and distribute again"
check_same "recommend_for, batch, after redeploy and distribute_model" \
	"SELECT s.user_id, r::text FROM public.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'serve_dist') r WHERE s.user_id IN ($USERS) ORDER BY 1, r.rank" \
	"SELECT s.user_id, r::text FROM local.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'serve_single') r WHERE s.user_id IN ($USERS) ORDER BY 1, r.rank"
check_true "one version per name on the workers after redeploy" \
	"SELECT bool_and(result = '1') FROM run_command_on_workers(\$\$SELECT count(*) FROM nfrec.model_store WHERE name = 'serve_dist'\$\$)"
