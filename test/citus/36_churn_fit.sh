# test/citus/36_churn_fit.sh -- sourced by test/citus.sh (after
# 35_aggregates_split.sh, whose check_split it uses): the churn model's
# logistic fit splits (issue 10 item 5).  churn_model over distributed
# subscriptions writes its training rows to a work table distributed by
# user_id and fits with nfrec._logreg_fit: logreg_train's Newton
# iterations, each trial point one _logreg_sums pass run as worker partials
# plus a coordinator combine.  Checked: the pass's plan; the fit over a
# distributed table against logreg_train (which keeps every row) on the
# local copy; that churn_model, churn_risk and content_roi fit this way
# (auto_explain) and leave no work table; their rows equal the local ones
# (20_analytics.sh).

# the churn training rows of 2025-12-01's model (snapshots as churn_model
# takes them), standardized as it does, local and distributed
cq 0 -o /dev/null <<'SQL' || notok "set-up: churn training rows"
CREATE TABLE local.churn_rows AS
SELECT f.user_id, f.as_of, hashint8(f.user_id) % 5 <> 0 AS train,
       coalesce(s.cancel_date <= f.as_of + 30, false) AS label,
       f.features AS raw
  FROM nfrec.churn_features_at(ARRAY['2025-10-10', '2025-10-17', '2025-10-24', '2025-10-31']::date[],
                               events => 'local.viewing_events', subscriptions => 'local.subscriptions') f
  JOIN local.subscriptions s ON s.user_id = f.user_id;
ALTER TABLE local.churn_rows ADD COLUMN features float8[];
UPDATE local.churn_rows c SET features = nfrec._churn_z(c.raw, st.idx, st.mu, st.sd)
  FROM (SELECT array_agg(z.i ORDER BY z.i) AS idx, array_agg(z.m ORDER BY z.i) AS mu, array_agg(z.sd ORDER BY z.i) AS sd
          FROM (SELECT u.i::int AS i, avg(u.x) AS m, stddev_samp(u.x) AS sd
                  FROM local.churn_rows c2, unnest(c2.raw) WITH ORDINALITY u(x, i)
                 WHERE c2.train GROUP BY u.i) z
         WHERE z.sd > 1e-9 * greatest(1, abs(z.m))) st;
CREATE TABLE public.churn_rows (LIKE local.churn_rows);
SELECT create_distributed_table('public.churn_rows', 'user_id');
INSERT INTO public.churn_rows SELECT * FROM local.churn_rows;
SQL

check_split "churn fit pass (_logreg_sums) plan: split" \
	"SELECT nfrec._logreg_sums(c.label, c.features, array_fill(0.1::float8, ARRAY[11])) FROM public.churn_rows c WHERE c.train"
check_same "split fit over distributed rows = logreg_train over the local copy" \
	"SELECT nfrec._logreg_fit('public.churn_rows', '{\"l2\": 1}', 'train')" \
	"SELECT nfrec.logreg_train(c.label, c.features, '{\"l2\": 1}') FROM local.churn_rows c WHERE c.train" 1e-9
check_same "split fit, l2 = 0: distributed = logreg_train on the local copy" \
	"SELECT nfrec._logreg_fit('public.churn_rows', '{\"l2\": 0}', 'train')" \
	"SELECT nfrec.logreg_train(c.label, c.features, '{\"l2\": 0}') FROM local.churn_rows c WHERE c.train" 1e-9
check_same "churn_model's coefficients = logreg_train on the local training rows" \
	"SET client_min_messages = warning; SELECT nfrec.churn_model('2025-12-01') -> 'logreg'" \
	"SELECT nfrec.logreg_train(c.label, c.features, '{\"l2\": 1}') FROM local.churn_rows c WHERE c.train" 1e-9

# check_fit_split NAME SQL: the nested statements SQL runs include split
# _logreg_sums passes and no logreg_train
check_fit_split() {
	local out passes direct
	if ! out=$(cq 0 -At 2>&1 >/dev/null <<SQL
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_verbose = on;
SET client_min_messages = log;
$2;
SQL
	); then notok "$1" "query failed: $(echo "$out" | tail -n 1)"; return 0; fi
	passes=$(grep -c "worker_partial_agg('nfrec._logreg_sums" <<<"$out" || true)
	# (the split fit checks its options with a rowless logreg_train call)
	direct=$(grep -v "logreg_train(NULL::boolean" <<<"$out" | grep -c "nfrec.logreg_train(" || true)
	if [ "$passes" -ge 2 ] && [ "$direct" -eq 0 ]; then
		ok "$1" "$passes split Newton passes, no logreg_train"
	else
		notok "$1" "$passes split passes, $direct logreg_train statements"
	fi
}
check_fit_split "churn_model fits by split passes" "SELECT nfrec.churn_model('2025-12-01') IS NOT NULL"
check_fit_split "churn_risk fits by split passes" "SELECT count(*) FROM nfrec.churn_risk('2025-12-01')"
check_fit_split "content_roi fits by split passes" "SELECT count(*) FROM nfrec.content_roi()"
check_true "no churn work table left on the coordinator or the workers" \
	"SELECT NOT EXISTS (SELECT 1 FROM pg_class WHERE relname LIKE 'nfrec\_churn\_%')
	    AND (SELECT bool_and(result = '0') FROM run_command_on_workers(\$\$SELECT count(*) FROM pg_class WHERE relname LIKE 'nfrec\\_churn\\_%'\$\$))"
# a rolled-back fit leaves nothing either, and the local path is unchanged
check_true "churn_model on local tables writes no work table" \
	"SET client_min_messages = warning; SELECT nfrec.churn_model('2025-12-01', events => 'local.viewing_events', subscriptions => 'local.subscriptions') IS NOT NULL
	    AND NOT EXISTS (SELECT 1 FROM pg_class WHERE relname LIKE 'nfrec\_churn\_%')"
