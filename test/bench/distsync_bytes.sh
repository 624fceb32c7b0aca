#!/usr/bin/env bash
# test/bench/distsync_bytes.sh -- bytes the Citus coordinator's backend
# sends to and receives from the workers (its socket system calls, counted
# with strace) while a model's copy on the
# workers is written, by each path (doc/scale.md, "In step"):
#   - the 0.2.0 distribute_model before the sync work (one command per
#     worker carrying its users' rows as one text literal, sent by
#     master_run_on_worker), rebuilt here as bench_old_distribute;
#   - distribute_model now (Citus' COPY of the coordinator's model_users rows
#     into the colocated sync table, two-phase commit);
#   - train_distributed of a distributed name (each shard inserts its users'
#     rows from the work table: INSERT ... SELECT pushed down);
#   - rollback to a version the workers hold (one control row).
# Run as root (strace attaches to the backend) on the coordinator of a
# kept Citus suite cluster:
#   NFREC_KEEP=1 NFREC_CITUS_TESTS=test/citus/10_data.sh bash test/citus.sh
#   PGHOST=127.0.0.1 PGPORT=<coordinator> PGUSER=postgres bash test/bench/distsync_bytes.sh
# Knobs: BYTES_FACTORS (32), BYTES_ITERATIONS (5).
set -euo pipefail
F=${BYTES_FACTORS:-32}
IT=${BYTES_ITERATIONS:-5}
OPTS="{\"verbose\": false, \"factors\": $F, \"iterations\": $IT, \"seed\": 1}"

psql -X -q -v ON_ERROR_STOP=1 -d postgres -o /dev/null <<'SQL'
SET client_min_messages = warning;
DELETE FROM nfrec.model_distribution WHERE name = 'bytes_m';
SELECT nfrec.drop_model('bytes_m') FROM nfrec.model_store WHERE name = 'bytes_m' AND is_current;
DROP TABLE IF EXISTS public.bytes_ints;
CREATE TABLE public.bytes_ints (user_id bigint, title_id bigint, weight float8);
SELECT create_distributed_table('public.bytes_ints', 'user_id', colocate_with => 'public.viewing_events');
INSERT INTO public.bytes_ints SELECT user_id, title_id, weight FROM public.interactions;
-- the copy as distribute_model made it before the sync work (0.2.0 as of
-- commit 87b0123): one command per worker, its users' rows as one literal
CREATE OR REPLACE PROCEDURE public.bench_old_distribute(name text, colo regclass)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s nfrec.model_store; hosts text[]; ports int[]; commands text[]; failed text;
BEGIN
    SELECT * INTO s FROM nfrec.model_store m WHERE m.name = bench_old_distribute.name AND m.is_current;
    SELECT array_agg(n.nodename ORDER BY n.nodeid), array_agg(n.nodeport ORDER BY n.nodeid),
           array_agg(format(
               'SET search_path = pg_catalog, pg_temp;'
               ' DELETE FROM nfrec.model_users WHERE version IN (SELECT version FROM nfrec.model_store WHERE name = %1$L);'
               ' DELETE FROM nfrec.model_store WHERE name = %1$L;'
               ' INSERT INTO nfrec.model_store SELECT (%2$L::nfrec.model_store).*;'
               ' INSERT INTO nfrec.model_users SELECT * FROM pg_catalog.unnest(%3$L::nfrec.model_users[]);',
               s.name, s::text,
               coalesce((SELECT array_agg(u ORDER BY u.user_id)::text
                           FROM nfrec.model_users u
                          WHERE u.version = s.version
                            AND EXISTS (SELECT 1 FROM pg_catalog.pg_dist_placement pl
                                         WHERE pl.shardid = pg_catalog.get_shard_id_for_distribution_column(colo, u.user_id)
                                           AND pl.groupid = n.groupid)), '{}')) ORDER BY n.nodeid)
      INTO hosts, ports, commands
      FROM pg_catalog.pg_dist_node n WHERE n.isactive AND n.noderole = 'primary' AND n.groupid <> 0;
    SELECT string_agg(r.result, '; ') INTO failed
      FROM pg_catalog.master_run_on_worker(hosts, ports, commands, true) r WHERE NOT r.success;
    IF failed IS NOT NULL THEN RAISE EXCEPTION '%', failed; END IF;
END $$;
SQL

# one session for all steps
coproc PSQL { psql -X -q -At -d postgres 2>&1; }
echo "SET client_min_messages = warning; SELECT pg_backend_pid();" >&"${PSQL[1]}"
read -r PID <&"${PSQL[0]}"
# step LABEL SQL: run SQL in that session under strace; print the bytes
# the backend sent to and received from the workers' ports over TCP
# (TLS records included), and the time (strace slows the backend: the
# times are only comparable with each other)
step() {
	local t0 t1 line tr
	tr=$(mktemp)
	strace -qq -f -yy -s 0 -e trace=read,write,sendto,recvfrom,sendmsg,recvmsg -o "$tr" -p "$PID" &
	local st=$!
	sleep 0.5
	t0=$(date +%s%N)
	echo "$2; SELECT 'step done';" >&"${PSQL[1]}"
	while read -r line <&"${PSQL[0]}"; do
		[ "$line" = "step done" ] && break
		case "$line" in *ERROR*) echo "$line" >&2;; esac
	done
	t1=$(date +%s%N)
	kill "$st"; wait "$st" 2>/dev/null || true
	awk -v w1="$W1" -v w2="$W2" '
		/TCP/ && $NF ~ /^[0-9]+$/ && (index($0, ":" w1 "]") || index($0, ":" w2 "]")) {
			if ($0 ~ /^([0-9]+ +)?(write|sendto|sendmsg)\(/) out += $NF; else in_ += $NF }
		END { printf "%d %d\n", out, in_ }' "$tr" >"$tr.sum"
	read -r sent recv <"$tr.sum"
	printf '%-68s %12s %12s %8s\n' "$1" "$sent" "$recv" $(((t1 - t0) / 1000000))
	rm -f "$tr" "$tr.sum"
}
W1=$(psql -X -At -d postgres -c "SELECT nodeport FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeid LIMIT 1")
W2=$(psql -X -At -d postgres -c "SELECT nodeport FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeid OFFSET 1 LIMIT 1")

echo "load: $(cut -d' ' -f1-3 /proc/loadavg); factors $F, iterations $IT"; echo
psql -X -At -d postgres -c "WITH c AS (SELECT count(DISTINCT user_id) u, count(DISTINCT title_id) t, count(*) n FROM public.bytes_ints) SELECT 'data: ' || u || ' users, ' || t || ' titles, ' || n || ' pairs' FROM c" -c "SELECT count(*) || ' shards' FROM pg_dist_shard WHERE logicalrelid = 'public.bytes_ints'::regclass"
printf '%-68s %12s %12s %8s\n' "step" "sent B" "received B" "ms"
step "train_distributed, name not distributed" "CALL nfrec.train_distributed('bytes_m', 'public.bytes_ints', '$OPTS')"
psql -X -At -d postgres -c "SELECT 'user rows as text: ' || sum(octet_length(u::text)) || ' B; header and title side as text: ' || (SELECT octet_length(s::text) FROM nfrec.model_store s WHERE s.name = 'bytes_m' AND s.is_current) || ' B' FROM nfrec.model_users u JOIN nfrec.model_store s ON s.version = u.version AND s.is_current WHERE s.name = 'bytes_m'"
step "before: old distribute_model (text literal per worker)" "CALL public.bench_old_distribute('bytes_m', 'public.bytes_ints')"
step "distribute_model (COPY of model_users, 2PC)" "CALL nfrec.distribute_model('bytes_m', route => false)"
step "train_distributed, name distributed (users written on the shards)" "CALL nfrec.train_distributed('bytes_m', 'public.bytes_ints', '$OPTS')"
step "rollback to a version the workers hold" "SELECT nfrec.rollback('bytes_m')"
step "deploy of a value, name distributed (users by COPY)" "SELECT nfrec.deploy('bytes_m', nfrec.als_train(user_id, title_id, weight, '$OPTS'), 'public.bytes_ints') FROM public.bytes_ints"
echo '\q' >&"${PSQL[1]}"; wait
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "SELECT nfrec.drop_model('bytes_m')" -c "DROP PROCEDURE public.bench_old_distribute(text, regclass)" -c "DROP TABLE public.bytes_ints" >/dev/null
