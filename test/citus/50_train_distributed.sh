# test/citus/50_train_distributed.sh -- sourced by test/citus.sh: CALL
# nfrec.train_distributed over the distributed interactions (a view over
# viewing_events, distributed by user_id) trains the model that als_train
# trains on the same rows (local.interactions) with the same options: loss
# within 1e-6 relative, the same top-10 for >= 99% of users, both solvers;
# the per-iteration statements push down (user step) or split (per-title
# sums), never pull events; bad input fails cleanly; and the bytes moved
# per iteration (measured) do not grow with the number of events.

# check_fails NAME SQL PATTERN: the statement fails with PATTERN (SQLSTATE
# and message as psql prints them with VERBOSITY verbose).
check_fails() {
	local out
	if out=$(cq 0 -At -v VERBOSITY=verbose -c "$2" 2>&1); then notok "$1" "expected an error, it worked"
	elif grep -q -- "$3" <<<"$out"; then ok "$1" "$(grep -m1 ERROR <<<"$out" | cut -c1-90)"
	else notok "$1" "failed differently: $(echo "$out" | head -n 1)"; fi
}

# agreement NAME MODEL1 MODEL2 USERS_SQL: top-10 of recommend_for the same for >= 99% of users
check_top10() {
	local out
	out=$(cq 0 -At -F ' ' -c "WITH u AS ($4), a AS (
	    SELECT (SELECT array_agg(title_id ORDER BY title_id) FROM nfrec.recommend_for(u.user_id, 10, model => '$2')) x,
	           (SELECT array_agg(title_id ORDER BY title_id) FROM nfrec.recommend_for(u.user_id, 10, model => '$3')) y
	      FROM u)
	  SELECT count(*), count(*) FILTER (WHERE x = y) FROM a" 2>&1)
	local n same; read -r n same <<<"$out"
	if [ -n "$same" ] && [ "$n" -gt 0 ] && [ $((same * 100)) -ge $((n * 99)) ]; then ok "$1" "$same of $n users"
	else notok "$1" "agreement $same of $n ($out)"; fi
}

# loss of two deployed models within 1e-6 relative; and the distributed
# model's loss against the objective of its own deployed factors, computed
# by als_objective (the scalar double-precision reference in als.c, another
# code path than training's) through als_model_from_factors
check_loss() {
	check_true "$1: loss equal to als_train's within 1e-6" \
		"SELECT abs(d.loss - s.loss) <= 1e-6 * abs(s.loss) FROM nfrec.model_store d, nfrec.model_store s
		  WHERE d.name = '$2' AND d.is_current AND s.name = '$3' AND s.is_current"
	check_true "$1: loss is the objective of the deployed factors" \
		"WITH s AS (SELECT * FROM nfrec.model_store WHERE name = '$2' AND is_current),
		      u AS (SELECT array_agg(mu.user_id ORDER BY mu.user_id) ids, array_agg(mu.factors ORDER BY mu.user_id) f
		              FROM nfrec.model_users mu, s WHERE mu.version = s.version),
		      e AS (SELECT array_agg(mu.user_id) eu, array_agg(t) et, array_agg(w) ew
		              FROM nfrec.model_users mu, s, unnest(mu.title_ids, mu.weights) x(t, w) WHERE mu.version = s.version)
		 SELECT abs((nfrec.model_info(nfrec.als_model_from_factors(u.ids, u.f, s.title_ids, s.title_factors, e.eu, e.et, e.ew,
		                 s.alpha, s.regularization, s.options ->> 'regularization_scaling')) ->> 'loss')::float8 - s.loss)
		        <= 1e-6 * s.loss
		   FROM s, u, e"
}

CG='{"verbose": false, "iterations": 10, "factors": 32, "seed": 7}'
CH='{"verbose": false, "iterations": 6, "factors": 16, "seed": 3, "solver": "cholesky", "regularization_scaling": "frequency"}'
cq 0 -o /dev/null <<SQL || notok "set-up: train_distributed and als_train, both solvers"
SET client_min_messages = warning;
CALL nfrec.train_distributed('td_cg', 'public.interactions', '$CG');
SELECT nfrec.deploy('td_cg_single', nfrec.als_train(user_id, title_id, weight, '$CG'), 'local.interactions') FROM local.interactions;
CALL nfrec.train_distributed('td_ch', 'public.interactions', '$CH');
SELECT nfrec.deploy('td_ch_single', nfrec.als_train(user_id, title_id, weight, '$CH'), 'local.interactions') FROM local.interactions;
-- the same procedure on the coordinator's plain copy (no shards)
CALL nfrec.train_distributed('td_cg_local', 'local.interactions', '$CG');
SQL
nf_log "train_distributed: $(cq 0 -At -F ' ' -c "SELECT string_agg(name || ' loss=' || loss || ' ' || round(train_seconds::numeric, 2) || 's', ', ' ORDER BY name) FROM nfrec.model_store WHERE name LIKE 'td_%' AND is_current")"

check_loss "cg" td_cg td_cg_single
check_loss "cholesky" td_ch td_ch_single
check_true "local table: loss equal to als_train's within 1e-6" \
	"SELECT abs(d.loss - s.loss) <= 1e-6 * abs(s.loss) FROM nfrec.model_store d, nfrec.model_store s
	  WHERE d.name = 'td_cg_local' AND d.is_current AND s.name = 'td_cg_single' AND s.is_current"
check_true "same users, titles, events and options as als_train" \
	"SELECT bool_and(d.users = s.users AND d.titles = s.titles AND d.training_events = s.training_events
	                 AND d.title_ids = s.title_ids AND d.title_counts = s.title_counts
	                 AND d.options - 'trained_by' - 'work' - 'alpha' = s.options - 'alpha'
	                 AND abs((d.options ->> 'alpha')::float8 - (s.options ->> 'alpha')::float8) <= 1e-12 * (s.options ->> 'alpha')::float8)
	   FROM nfrec.model_store d JOIN nfrec.model_store s ON s.name = d.name || '_single' AND s.is_current
	  WHERE d.name IN ('td_cg', 'td_ch') AND d.is_current"
check_top10 "cg: same top-10 as als_train for >= 99% of users" td_cg td_cg_single "SELECT DISTINCT user_id FROM local.interactions"
check_top10 "cholesky: same top-10 as als_train for >= 99% of users" td_ch td_ch_single "SELECT DISTINCT user_id FROM local.interactions"
check_top10 "local table: same top-10 as on the shards" td_cg td_cg_local "SELECT DISTINCT user_id FROM local.interactions"
check_true "deployed with the events bound, served on the coordinator" \
	"SELECT s.events = 'public.interactions'::regclass AND (SELECT count(*) FROM nfrec.recommend_for(1, 10, model => 'td_cg')) = 10
	   FROM nfrec.model_store s WHERE s.name = 'td_cg' AND s.is_current"
check_true "no work table left behind" \
	"SELECT NOT EXISTS (SELECT 1 FROM pg_class WHERE relname LIKE 'nfrec\\_train\\_%')"

# Where it runs: every distributed statement of a CALL (auto_explain).  With
# one more iteration, one more pushed-down statement (the user step: an
# UPDATE of the colocated work table) and one more split aggregate (the
# per-title sums); the rest is the set-up (title list, row counts, the
# snapshot INSERT ... SELECT pushed down) and the deploy (factors and
# canonical events to the coordinator, once).
P='{"verbose": false, "factors": 16, "iterations": %d}'
check_profile "plan: train_distributed, 2 iterations" \
	"CALL nfrec.train_distributed('td_plan', 'public.interactions', '$(printf "$P" 2)')" \
	"statements=12 pushdown=4 split=3 pull=5 subplans=1"
check_profile "plan: train_distributed, 3 iterations (+1 pushdown, +1 split)" \
	"CALL nfrec.train_distributed('td_plan', 'public.interactions', '$(printf "$P" 3)')" \
	"statements=14 pushdown=5 split=4 pull=5 subplans=1"

# Bad input.
cq 0 -o /dev/null -c "CREATE TABLE public.td_noweight AS SELECT user_id, title_id FROM local.interactions LIMIT 10" \
	-c "CREATE TABLE public.td_bytitle AS SELECT * FROM local.interactions" \
	-c "SELECT create_distributed_table('public.td_bytitle', 'title_id', colocate_with => 'none')" \
	-c "SELECT nfrec.deploy('td_ease', nfrec.ease_train(user_id, title_id, weight, '{\"verbose\": false}')) FROM local.interactions WHERE user_id < 50" ||
	notok "set-up: bad-input relations"
check_fails "bad input: unknown relation" "CALL nfrec.train_distributed('x', 'public.no_such_table')" "42P01"
check_fails "bad input: missing weight column" "CALL nfrec.train_distributed('x', 'public.td_noweight')" '42703.*column "weight" does not exist'
check_fails "bad input: unknown option" "CALL nfrec.train_distributed('x', 'public.interactions', '{\"factor\": 8}')" '22023.*unrecognized.*"factor"'
check_fails "bad input: factors out of range" "CALL nfrec.train_distributed('x', 'public.interactions', '{\"factors\": 0}')" '22023.*factors'
check_fails "bad input: name of an EASE model" "CALL nfrec.train_distributed('td_ease', 'public.interactions')" '42710.*is an EASE model'
check_fails "bad input: empty name" "CALL nfrec.train_distributed('', 'public.interactions')" '22023'
check_fails "bad input: distributed by title_id" "CALL nfrec.train_distributed('x', 'public.td_bytitle')" '0A000.*not by user_id'
check_true "bad input: nothing deployed, no work table" \
	"SELECT NOT EXISTS (SELECT 1 FROM nfrec.model_store WHERE name = 'x')
	    AND NOT EXISTS (SELECT 1 FROM pg_class WHERE relname LIKE 'nfrec\\_train\\_%')"

# Bytes moved per iteration, measured: 2 and 4 shards per worker, half and
# all of the users.  One iteration's statements by hand on a work table
# colocated with the events: the item side goes to every shard as the
# UPDATE's parameter (its text form, what a text protocol would carry, an
# upper bound), the shards return nothing but the row count (EXPLAIN
# ANALYZE's "Data received from workers"), and each shard returns its
# partial per-title sums as the bytea's text form (what Citus'
# worker_partial_agg ships; measured per shard with run_command_on_shards,
# since EXPLAIN ANALYZE cannot run a worker_partial_agg query).
measure_bytes() {
	local shards=$1 frac=$2
	cq 0 -At -F ' ' <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS public.td_m_ev, public.td_m_work;
CREATE TABLE public.td_m_ev (user_id bigint, title_id bigint, weight float8);
SELECT create_distributed_table('public.td_m_ev', 'user_id', shard_count => $shards, colocate_with => 'none') \\g /dev/null
INSERT INTO public.td_m_ev SELECT * FROM local.interactions WHERE user_id % 2 < $frac;
CREATE TABLE public.td_m_work (user_id bigint NOT NULL, ev bytea NOT NULL, wabs float8 NOT NULL, x real[]);
SELECT create_distributed_table('public.td_m_work', 'user_id', colocate_with => 'public.td_m_ev') \\g /dev/null
SELECT array_agg(t ORDER BY t) AS titles FROM (SELECT title_id AS t FROM public.td_m_ev GROUP BY 1) s \\gset
INSERT INTO public.td_m_work SELECT user_id, nfrec._als_dist_canon(:'titles', array_agg(title_id), array_agg(weight)), 0
  FROM public.td_m_ev GROUP BY user_id;
SELECT nfrec._als_dist_params('{"factors": 32}', cardinality(:'titles'::bigint[])) AS params \\gset
SELECT nfrec._als_dist_init(:'params', :'titles') AS blob \\gset
UPDATE public.td_m_work SET x = nfrec._als_dist_user(:'blob', user_id, ev, x, true);
SELECT clock_timestamp() AS t0 \\gset
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) UPDATE public.td_m_work SET x = nfrec._als_dist_user(:'blob', user_id, ev, x, true) \\g /tmp/td_m_explain_$NFREC_CITUS_PORT
SELECT nfrec._als_dist_sums(:'params', ev, x) AS sums FROM public.td_m_work \\gset
SELECT nfrec._als_dist_items(:'params', :'sums', :'blob', true) AS blob \\gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \\gset
SELECT $shards / 2, (SELECT count(*) FROM public.td_m_ev), cardinality(:'titles'::bigint[]),
       octet_length(:'blob'::bytea::text) * $shards,
       (SELECT sum(result::bigint) FROM run_command_on_shards('public.td_m_work',
            \$\$SELECT octet_length(nfrec._als_dist_sums('\$\$ || :'params'::text || \$\$'::bytea, ev, x)::text) FROM %s\$\$)),
       round(:'secs'::numeric, 3);
DROP TABLE public.td_m_ev, public.td_m_work;
SQL
}
bytes_report=""
for sh in 4 8; do
	for frac in 1 2; do
		line=$(measure_bytes "$sh" "$frac" 2>&1 | tail -n 1) || true
		recv=$( (grep -o 'Data received from workers: [0-9.]* [a-zA-Z]*' "/tmp/td_m_explain_$NFREC_CITUS_PORT" | head -n 1 | sed 's/Data received from workers: //') || true)
		bytes_report+="$line ${recv:-none}"$'\n'
	done
done
rm -f "/tmp/td_m_explain_$NFREC_CITUS_PORT"
nf_log "bytes per iteration (shards/worker, events, titles, item side sent, sums received, seconds, UPDATE received):"
printf '%s' "$bytes_report" | sed 's/^/==   /' >&2
# the bytes must not follow the events: doubling the events (same titles
# within 1%) changes the bytes by less than 2%, at each shard count
if perl -e '
	my @r = map { [split] } grep { /\S/ } split /\n/, $ARGV[0];
	die "expected 4 measurements\n" unless @r == 4;
	for my $p ([0, 1], [2, 3]) {
		my ($a, $b) = @r[@$p];
		die "events did not grow\n" unless $b->[1] > 1.8 * $a->[1];
		for my $c (3, 4) { die "bytes grew with events\n" if $b->[$c] > 1.02 * $a->[$c] * $b->[2] / $a->[2] + 1 }
	}
	# and they do grow with the shards (the sums are per shard)
	die "bytes did not grow with shards\n" unless $r[2][4] > 1.5 * $r[0][4];
' "$bytes_report"; then ok "bytes per iteration: follow titles and shards, not events"
else notok "bytes per iteration: follow titles and shards, not events" "$bytes_report"; fi
