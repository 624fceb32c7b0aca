# test/citus/62_sync.sh -- sourced by test/citus.sh: the workers' copies of
# a distributed model kept in step (doc/scale.md, "In step").  Two names
# get the same registry changes: sync_d, bound to a table distributed by
# user_id and copied to the workers by distribute_model, and sync_s, bound
# to the coordinator's plain copy.  After each deploy, rollback,
# set_default and drop_model the batch over the distributed subscriptions
# (on the workers, model sync_d) must print exactly what the single-node
# batch over the local subscriptions (model sync_s) prints; a rolled-back
# or failed coordinator transaction leaves the workers as they were; a
# model retrained by train_distributed gets its user rows written on the
# shards from the work table, identical to the coordinator's.

cq 0 -o /dev/null <<'SQL' || notok "set-up: sync tables and models"
SET client_min_messages = warning;
DELETE FROM nfrec.model_distribution WHERE name LIKE 'sync\_%';   -- a rerun on a kept cluster
DROP TABLE IF EXISTS local.sync_ints, public.sync_ints, local.sync_models;
CREATE TABLE local.sync_ints AS SELECT * FROM local.interactions;
CREATE TABLE public.sync_ints AS SELECT * FROM local.interactions;
SELECT create_distributed_table('public.sync_ints', 'user_id', colocate_with => 'public.viewing_events');
-- three models on different rows (so each serves differently); a, b, c
CREATE TABLE local.sync_models AS
SELECT 'a' AS k, nfrec.als_train(user_id, title_id, weight, '{"verbose": false, "iterations": 4, "factors": 16, "seed": 1}') m
  FROM local.interactions WHERE title_id % 3 <> 0 AND user_id % 7 <> 0
UNION ALL
SELECT 'b', nfrec.als_train(user_id, title_id, weight, '{"verbose": false, "iterations": 3, "factors": 8, "seed": 2}')
  FROM local.interactions WHERE title_id % 5 <> 0
UNION ALL
SELECT 'c', nfrec.als_train(user_id, title_id, weight, '{"verbose": false, "iterations": 2, "factors": 8, "seed": 3}')
  FROM local.interactions WHERE user_id % 3 <> 0;
-- a version that only the coordinator holds (deployed before distribute_model)
SELECT nfrec.deploy('sync_d', m, 'public.sync_ints'), nfrec.deploy('sync_s', m, 'local.sync_ints')
  FROM local.sync_models WHERE k = 'b';
SELECT nfrec.deploy('sync_d', m, 'public.sync_ints'), nfrec.deploy('sync_s', m, 'local.sync_ints')
  FROM local.sync_models WHERE k = 'a';
SQL
SYNC_USERS="SELECT user_id FROM local.subscriptions WHERE user_id % 10 = 3 OR user_id % 7 = 0 OR user_id > 1990"

# deploy_both K [ARGS]: deploy model K under both names
deploy_both() {
	cq 0 -o /dev/null -c "SET client_min_messages = warning" \
		-c "SELECT nfrec.deploy('sync_d', m, 'public.sync_ints'${2:+, $2}), nfrec.deploy('sync_s', m, 'local.sync_ints'${2:+, $2}) FROM local.sync_models WHERE k = '$1'" ||
		notok "set-up: deploy $1 under both names"
}
# in_step NAME: the workers serve exactly what the single-node model
# serves (batches of recommend_for and user_vector), and distributed_models
# says every worker holds the coordinator's version, users and default.
in_step() {
	check_same "$1: recommend_for batch on the workers = single node" \
		"SELECT s.user_id, r::text FROM public.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'sync_d') r WHERE s.user_id IN ($SYNC_USERS) ORDER BY 1, r.rank" \
		"SELECT s.user_id, r::text FROM local.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'sync_s') r WHERE s.user_id IN ($SYNC_USERS) ORDER BY 1, r.rank"
	check_same "$1: user_vector batch on the workers = single node" \
		"SELECT s.user_id, v::text FROM public.subscriptions s, LATERAL nfrec.user_vector(s.user_id, 'sync_d') v WHERE s.user_id IN ($SYNC_USERS) ORDER BY 1" \
		"SELECT s.user_id, v::text FROM local.subscriptions s, LATERAL nfrec.user_vector(s.user_id, 'sync_s') v WHERE s.user_id IN ($SYNC_USERS) ORDER BY 1"
	check_true "$1: every worker in step (version, users, default)" \
		"SELECT count(*) = 2 AND bool_and(in_step) FROM nfrec.distributed_models() WHERE name = 'sync_d'"
}
# the version serving uses on each worker, and the coordinator's
worker_versions() { cq 0 -At -c "SELECT string_agg(coalesce(result, '-'), ',' ORDER BY nodeport) FROM run_command_on_workers(\$\$SELECT string_agg(version::text, ' ' ORDER BY version) FROM nfrec.model_store WHERE name = 'sync_d' AND is_current\$\$)"; }
coord_version() { cq 0 -At -c "SELECT version FROM nfrec.model_store WHERE name = 'sync_d' AND is_current"; }

cq 0 -o /dev/null -c "CALL nfrec.distribute_model('sync_d', route => false)" || notok "set-up: distribute_model"
in_step "distribute_model"
check_true "distribute_model: the name is remembered, with the version the workers hold" \
	"SELECT d.colocate_with = 'public.sync_ints'::regclass AND NOT d.route AND d.versions = ARRAY[s.version]
	   FROM nfrec.model_distribution d JOIN nfrec.model_store s ON s.name = d.name AND s.is_current WHERE d.name = 'sync_d'"
check_true "model_distribution is extension configuration (pg_dump keeps its rows)" \
	"SELECT 'nfrec.model_distribution'::regclass::oid = ANY (extconfig) FROM pg_extension WHERE extname = 'nfrec'"

# deploy: the new version reaches the workers in the same call, and
# Citus commits it there with two-phase commit
out=$(cq 0 -At -c "SET client_min_messages = warning" -c "SET citus.log_remote_commands = on" -c "SET client_min_messages = log" \
	-c "SELECT nfrec.deploy('sync_d', m, 'public.sync_ints') FROM local.sync_models WHERE k = 'c'" 2>&1 >/dev/null) || true
cq 0 -o /dev/null -c "SET client_min_messages = warning" -c "SELECT nfrec.deploy('sync_s', m, 'local.sync_ints') FROM local.sync_models WHERE k = 'c'"
prep=$(grep -c "issuing PREPARE TRANSACTION" <<<"$out" || true); commitp=$(grep -c "issuing COMMIT PREPARED" <<<"$out" || true)
if [ "$prep" -ge 2 ] && [ "$prep" = "$commitp" ]; then ok "deploy: workers written in the coordinated transaction" "$prep PREPARE TRANSACTION, $commitp COMMIT PREPARED"
else notok "deploy: workers written in the coordinated transaction" "$prep PREPARE, $commitp COMMIT PREPARED"; fi
in_step "deploy"
check_true "deploy: the workers keep the coordinator's kept versions they hold" \
	"SELECT bool_and(result = (SELECT string_agg(version::text, ' ' ORDER BY version) FROM nfrec.model_store WHERE name = 'sync_d' AND version >= (SELECT versions[1] FROM nfrec.model_distribution WHERE name = 'sync_d')))
	   FROM run_command_on_workers(\$\$SELECT string_agg(version::text, ' ' ORDER BY version) FROM nfrec.model_store WHERE name = 'sync_d'\$\$)"

# rollback to a version the workers hold (only the pointer moves), then to
# one only the coordinator had (deployed before distribute_model: copied)
cq 0 -o /dev/null -c "SELECT nfrec.rollback('sync_d'), nfrec.rollback('sync_s')" || notok "set-up: rollback"
in_step "rollback to a version the workers hold"
cq 0 -o /dev/null -c "SELECT nfrec.rollback('sync_d'), nfrec.rollback('sync_s')" || notok "set-up: second rollback"
in_step "rollback to a version only the coordinator had"

# a redeploy with keep => 1: the workers drop the older versions too
deploy_both a "keep => 1"
in_step "deploy with keep => 1"
check_true "keep => 1: one version of the name on each worker" \
	"SELECT bool_and(result = '1') FROM run_command_on_workers(\$\$SELECT count(*) FROM nfrec.model_store WHERE name = 'sync_d'\$\$)"

# nfrec.train (rows straight into the registry, over the distributed
# table for sync_d: training does not depend on row order)
cq 0 -o /dev/null -c "SET client_min_messages = warning" \
	-c "CALL nfrec.train('sync_d', 'public.sync_ints', '{\"verbose\": false, \"iterations\": 2, \"factors\": 8, \"seed\": 9}', keep => 2)" \
	-c "CALL nfrec.train('sync_s', 'local.sync_ints', '{\"verbose\": false, \"iterations\": 2, \"factors\": 8, \"seed\": 9}', keep => 2)" ||
	notok "set-up: nfrec.train under both names"
in_step "nfrec.train"

# a coordinator transaction that rolls back (after the workers were
# written inside it) or fails leaves the workers as they were
before_w=$(worker_versions); before_c=$(coord_version)
cq 0 -o /dev/null -c "SET client_min_messages = warning" -c "BEGIN" \
	-c "SELECT nfrec.deploy('sync_d', m, 'public.sync_ints') FROM local.sync_models WHERE k = 'b'" -c "ROLLBACK"
if [ "$(worker_versions)" = "$before_w" ] && [ "$(coord_version)" = "$before_c" ]; then ok "ROLLBACK after deploy: workers unchanged" "$before_w"
else notok "ROLLBACK after deploy: workers unchanged" "before $before_w, after $(worker_versions)"; fi
if cq 0 -o /dev/null -c "SET client_min_messages = warning" \
	-c "SELECT nfrec.deploy('sync_d', m, 'public.sync_ints'), 1 / 0 FROM local.sync_models WHERE k = 'b'" 2>/dev/null; then
	notok "error after deploy in the same statement" "it worked"
elif [ "$(worker_versions)" = "$before_w" ] && [ "$(coord_version)" = "$before_c" ]; then ok "error after deploy in the same statement: workers unchanged"
else notok "error after deploy in the same statement: workers unchanged" "before $before_w, after $(worker_versions)"; fi
# a worker that refuses the change (a check constraint on one worker's
# registry) fails the whole deploy: the coordinator and the other worker
# keep the old version
cq 2 -o /dev/null -c "ALTER TABLE nfrec.model_store ADD CONSTRAINT sync_test_refuse CHECK (iterations <> 3) NOT VALID" || notok "set-up: constraint on worker 2"
if out=$(cq 0 -At -v VERBOSITY=verbose -c "SET client_min_messages = warning" -c "SELECT nfrec.deploy('sync_d', m, 'public.sync_ints') FROM local.sync_models WHERE k = 'b'" 2>&1); then
	notok "a worker refuses: the deploy fails" "it worked"
elif grep -q "23514" <<<"$out" && [ "$(worker_versions)" = "$before_w" ] && [ "$(coord_version)" = "$before_c" ]; then
	ok "a worker refuses: the deploy fails, nothing changes anywhere" "$(grep -m1 ERROR <<<"$out" | cut -c1-70)"
else notok "a worker refuses: the deploy fails, nothing changes anywhere" "$(echo "$out" | head -n 1); workers $(worker_versions)"; fi
cq 2 -o /dev/null -c "ALTER TABLE nfrec.model_store DROP CONSTRAINT sync_test_refuse"
check_true "no prepared transaction left behind" \
	"SELECT (SELECT count(*) FROM pg_prepared_xacts) = 0 AND (SELECT bool_and(result = '0') FROM run_command_on_workers('SELECT count(*) FROM pg_prepared_xacts'))"
in_step "after the failed transactions"

# the default: the workers follow the coordinator's, whatever the name
cq 0 -o /dev/null -c "SELECT nfrec.set_default('sync_d')" || notok "set-up: set_default"
check_true "set_default: the workers' default is the coordinator's" \
	"SELECT bool_and(result = 'sync_d') FROM run_command_on_workers('SELECT name FROM nfrec.model_default')"
check_same "set_default: batch with the default model on the workers = single node" \
	"SELECT s.user_id, r::text FROM public.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10) r WHERE s.user_id IN ($SYNC_USERS) ORDER BY 1, r.rank" \
	"SELECT s.user_id, r::text FROM local.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'sync_s') r WHERE s.user_id IN ($SYNC_USERS) ORDER BY 1, r.rank"
cq 0 -o /dev/null -c "SELECT nfrec.set_default('sync_s')" || notok "set-up: set_default to a model not distributed"
check_true "set_default to a model the workers lack: their default follows" \
	"SELECT bool_and(result = 'sync_s') FROM run_command_on_workers('SELECT name FROM nfrec.model_default')"
check_fails() {
	local out
	if out=$(cq 0 -At -v VERBOSITY=verbose -c "$2" 2>&1); then notok "$1" "expected an error, it worked"
	elif grep -q -- "$3" <<<"$out"; then ok "$1" "$(grep -m1 ERROR <<<"$out" | cut -c1-90)"
	else notok "$1" "failed differently: $(echo "$out" | head -n 1)"; fi
}
check_fails "default the workers lack: serving there fails, never another model" \
	"SELECT count(*) FROM public.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10) r" '42704'
cq 0 -o /dev/null -c "SELECT nfrec.set_default('sync_d')"

# bad input: errors with their SQLSTATEs, the workers unchanged
before_w=$(worker_versions)
check_fails "deploy with keep => 0 to a distributed name" \
	"SELECT nfrec.deploy('sync_d', m, 'public.sync_ints', keep => 0) FROM local.sync_models WHERE k = 'b'" '22023.*keep must be at least 1'
cq 0 -o /dev/null -c "SET client_min_messages = warning" -c "SELECT nfrec.deploy('sync_one', m, 'public.sync_ints') FROM local.sync_models WHERE k = 'b'" \
	-c "CALL nfrec.distribute_model('sync_one', route => false)" || notok "set-up: a distributed model with one version"
check_fails "rollback of a distributed name without an earlier version" "SELECT nfrec.rollback('sync_one')" '55000.*no earlier version'
check_fails "set_default of an unknown name" "SELECT nfrec.set_default('sync_nothing')" '42704'
check_fails "drop_model of an unknown name" "SELECT nfrec.drop_model('sync_nothing')" '42704'
if [ "$(worker_versions)" = "$before_w" ]; then ok "bad input: workers unchanged" "$before_w"; else notok "bad input: workers unchanged" "$(worker_versions)"; fi

# drop_model: gone from the workers and from model_distribution; serving
# there fails instead of using a stale copy
cq 0 -o /dev/null -c "SELECT nfrec.drop_model('sync_d'), nfrec.drop_model('sync_s'), nfrec.drop_model('sync_one')" || notok "set-up: drop_model"
check_true "drop_model: no rows of the name left on the workers, nor in model_distribution" \
	"SELECT (SELECT bool_and(result = '0') FROM run_command_on_workers(\$\$SELECT count(*) FROM nfrec.model_store WHERE name IN ('sync_d', 'sync_one')\$\$))
	    AND (SELECT bool_and(result = '0') FROM run_command_on_workers(\$\$SELECT count(*) FROM nfrec.model_users u WHERE NOT EXISTS (SELECT 1 FROM nfrec.model_store s WHERE s.version = u.version)\$\$))
	    AND NOT EXISTS (SELECT 1 FROM nfrec.model_distribution WHERE name IN ('sync_d', 'sync_one'))"
check_true "drop_model of the default: the workers' default is the coordinator's new one" \
	"SELECT bool_and(result = coalesce((SELECT name FROM nfrec.model_default), '-'))
	   FROM run_command_on_workers(\$\$SELECT coalesce((SELECT name FROM nfrec.model_default), '-')\$\$)"
check_fails "dropped: serving on the workers fails" \
	"SELECT count(*) FROM public.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'sync_d') r" '42704.*model "sync_d" does not exist'

# train_distributed into a distributed name: the user rows are written on
# the shards from the work table (pushed down), equal to the coordinator's
TD='{"verbose": false, "iterations": 3, "factors": 8, "seed": 5}'
cq 0 -o /dev/null -c "SET client_min_messages = warning" -c "CALL nfrec.train_distributed('sync_td', 'public.sync_ints', '$TD')" \
	-c "CALL nfrec.distribute_model('sync_td', route => false)" || notok "set-up: train_distributed and distribute_model"
out=$(cq 0 -At -c "SET client_min_messages = warning" -c "SET citus.log_remote_commands = on" -c "SET client_min_messages = log" \
	-c "CALL nfrec.train_distributed('sync_td', 'public.sync_ints', '{\"verbose\": false, \"iterations\": 4, \"factors\": 8, \"seed\": 6}')" 2>&1 >/dev/null) || true
pushed=$(grep -c "issuing INSERT INTO nfrec.model_sync_users_[0-9]*_[0-9]* .*SELECT.* FROM public.nfrec_train_" <<<"$out" || true)
copied=$(grep -c "issuing COPY nfrec.model_sync_users" <<<"$out" || true)
if [ "$pushed" = "$NFREC_CITUS_SHARDS" ] && [ "$copied" = 0 ]; then ok "train_distributed: user rows written on the shards from the work table" "$pushed shard INSERT ... SELECT, no COPY through the coordinator"
else notok "train_distributed: user rows written on the shards from the work table" "$pushed pushed down, $copied copied"; fi
check_true "train_distributed: the workers' user rows equal the coordinator's, each on the worker of its shard" \
	"WITH c AS (SELECT u.user_id, md5(u::text) h FROM nfrec.model_users u JOIN nfrec.model_store s ON s.version = u.version AND s.is_current WHERE s.name = 'sync_td'),
	      w AS (SELECT r.nodeport, x.user_id, x.h FROM run_command_on_workers(\$\$SELECT coalesce(json_agg(json_build_object('user_id', u.user_id, 'h', md5(u::text))), '[]') FROM nfrec.model_users u JOIN nfrec.model_store s ON s.version = u.version AND s.is_current WHERE s.name = 'sync_td'\$\$) r,
	                 json_to_recordset(r.result::json) x(user_id bigint, h text))
	 SELECT (SELECT count(*) FROM c) > 1000
	    AND NOT EXISTS (SELECT user_id, h FROM c EXCEPT ALL SELECT user_id, h FROM w)
	    AND NOT EXISTS (SELECT user_id, h FROM w EXCEPT ALL SELECT user_id, h FROM c)
	    AND NOT EXISTS (SELECT 1 FROM w JOIN pg_dist_node n ON n.nodeport = w.nodeport
	                     WHERE NOT EXISTS (SELECT 1 FROM pg_dist_placement pl
	                                        WHERE pl.shardid = get_shard_id_for_distribution_column('public.sync_ints', w.user_id) AND pl.groupid = n.groupid))"
check_true "train_distributed: every worker in step" \
	"SELECT count(*) = 2 AND bool_and(in_step) FROM nfrec.distributed_models() WHERE name = 'sync_td'"
check_same "train_distributed: batch on the workers = the coordinator's serving of the same model" \
	"SELECT s.user_id, r::text FROM public.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'sync_td') r WHERE s.user_id IN ($SYNC_USERS) ORDER BY 1, r.rank" \
	"SELECT s.user_id, r::text FROM local.subscriptions s, LATERAL nfrec.recommend_for(s.user_id, 10, 'sync_td') r WHERE s.user_id IN ($SYNC_USERS) ORDER BY 1, r.rank"
cq 0 -o /dev/null -c "SELECT nfrec.drop_model('sync_td')"
check_true "the sync tables keep no rows" \
	"SELECT (SELECT count(*) FROM nfrec.model_sync) = 0 AND (SELECT bool_and(result = '0') FROM run_command_on_shards('nfrec.model_sync', 'SELECT count(*) FROM %s'))"
