#!/usr/bin/env bash
# Replicas: instances 2..N of a cluster join instance 1 with pg_basebackup and
# stream from it (application_name, slots, readiness by replay lag and by the
# primary being there); a replica cluster follows another running cluster
# until `pgpod promote`, or spec.replica.enabled switched off, makes it a
# primary with the application database it deferred; `pgpod join` alone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes.sh"

# make_password_secret SECRET VAR: a Secret with a fresh random key
# `password` under $SECRETS, the password into VAR.
make_password_secret() {
	local _mps_pw
	_mps_pw=$(new_password)
	mkdir -p "$SECRETS/$1"
	printf '%s' "$_mps_pw" >"$SECRETS/$1/password"
	chmod 0644 "$SECRETS/$1/password"
	printf -v "$2" '%s' "$_mps_pw"
}

# repl_login PORT PASSWORD: a physical replication connection as
# streaming_replica to 127.0.0.1:PORT answers IDENTIFY_SYSTEM (prints it).
repl_login() {
	local pf rc
	pf=$(mktemp "$T/pgpass.XXXXXX")
	chmod 0600 "$pf"
	printf '127.0.0.1:%s:*:streaming_replica:%s\n' "$1" "$2" >"$pf"
	timeout -k 5 "$IT_TIMEOUT_SQL" "$PG_BIN/psql" -w \
		"host=127.0.0.1 port=$1 user=streaming_replica dbname=postgres replication=database passfile=$pf sslmode=disable connect_timeout=10" \
		-XAtq -c "IDENTIFY_SYSTEM"
	rc=$?
	rm -f "$pf"
	return $rc
}

# cluster_spec FILE NAME [MAXIMUM_LAG] [INSTANCES]: an initdb Cluster NAME of
# INSTANCES (3) instances (app owned by app, Secret app-secret),
# spec.probes.readiness.maximumLag when given.
cluster_spec() {
	{
		cat <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: $2
spec:
  instances: ${4:-3}
EOF
		[ -z "${3:-}" ] || printf '  probes:\n    readiness:\n      maximumLag: %s\n' "$3"
		cat <<EOF
  bootstrap:
    initdb:
      database: app
      owner: app
      secret:
        name: app-secret
  storage:
    size: 1Gi
EOF
	} | put_file "$1"
}

# replica_cluster_spec FILE ENABLED SOURCE_PORT DATABASE OWNER [MIN_APPLY_DELAY]:
# the Cluster "rc", a replica cluster of the external cluster "src" on
# 127.0.0.1:SOURCE_PORT (as streaming_replica, Secret src-replication); its
# application database DATABASE owned by OWNER (Secret OWNER-secret) and the
# superuser password (Secret rc-superuser) wait for the promotion.
replica_cluster_spec() {
	{
		cat <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: rc
spec:
  instances: 1
  superuserSecret:
    name: rc-superuser
  replica:
    enabled: $2
    source: src
EOF
		[ -z "${6:-}" ] || printf '    minApplyDelay: %s\n' "$6"
		cat <<EOF
  bootstrap:
    pg_basebackup:
      source: src
      database: $4
      owner: $5
      secret:
        name: $5-secret
  externalClusters:
    - name: src
      connectionParameters:
        host: 127.0.0.1
        port: "$3"
        user: streaming_replica
        dbname: postgres
      password:
        name: src-replication
        key: password
EOF
	} | put_file "$1"
}

# conninfo_fields FILE KEY...: the values of KEYs in the libpq connection
# string in FILE, space-separated ("False" for a key that is not there).
conninfo_fields() {
	python3 - "$@" <<'EOF' 2>&1
import re, sys
text = open(sys.argv[1]).read().strip()
kv = {}
for m in re.finditer(r"(\w+)\s*=\s*('((?:[^'\\]|\\.)*)'|\S+)", text):
    kv[m.group(1)] = m.group(3) if m.group(3) is not None else m.group(2)
print(' '.join(kv.get(k, 'False') for k in sys.argv[2:]))
EOF
}

# json_of FILE EXPR: a python expression over the JSON document d in FILE.
json_of() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

# ------------------------------------------------------------------ tests

test_three_instances_join_stream_and_see_writes_within_1s() {
	local APP_PW REPL_PW n t0 k ms seen2 seen3 worst=0 all="" sysid i marker
	local -a seen
	nodes_alloc 3 || return
	cluster_spec "$T/c.yaml" c
	NODE_SPEC=([1]="$T/c.yaml" [2]="$T/c.yaml" [3]="$T/c.yaml")
	make_basic_auth app-secret app APP_PW
	make_password_secret c-replication REPL_PW
	t0=$(ms_now)
	start_node 1 c-1
	expect_ready "$t0" "$IT_TIMEOUT_START" 1 || return
	echo "    instance 1 (initdb) /readyz 200 after ${READY_MS[1]} ms"
	expect_eq "instance 1's bootstrap" initdb "$(json_of "$T/n1/pgdata/pgpod-bootstrap.json" 'd["method"]')"
	expect_eq "streaming_replica (REPLICATION LOGIN) made by instance 1's bootstrap" t \
		"$(nsql 1 postgres "SELECT rolreplication AND rolcanlogin FROM pg_roles WHERE rolname = 'streaming_replica'" 2>&1)"
	repl_login "${NODE_PORT[1]}" "$REPL_PW" >"$T/ident.out" 2>&1 ||
		fail "streaming_replica cannot open a replication connection with the Secret's password: $(cat "$T/ident.out")"
	t0=$(ms_now)
	start_node 2 c-2
	start_node 3 c-3
	expect_ready "$t0" "$IT_TIMEOUT_START" 2 3 || return
	echo "    instances 2 and 3 started together: /readyz 200 after ${READY_MS[2]} ms and ${READY_MS[3]} ms"
	for n in 2 3; do
		node "$n"
		expect_eq "instance $n's bootstrap" join "$(json_of "$PGDATA/pgpod-bootstrap.json" 'd["method"]')"
		[ -f "$PGDATA/standby.signal" ] || fail "instance $n has no standby.signal"
		expect_eq "instance $n in recovery" t "$(psql_su postgres 'SELECT pg_is_in_recovery()' 2>&1)"
		psql_su postgres 'SHOW primary_conninfo' >"$T/conninfo.$n" 2>&1
		expect_eq "instance $n: primary_conninfo" \
			"127.0.0.1 ${NODE_PORT[1]} streaming_replica c-$n $RUN/replication/pgpass False" \
			"$(conninfo_fields "$T/conninfo.$n" host port user application_name passfile password)"
		expect_eq "instance $n: mode of the replication passfile" 600 "$(stat -c %a "$RUN/replication/pgpass" 2>&1)"
		expect_eq "instance $n: primary_slot_name" "pgpod_c_$n" "$(psql_su postgres 'SHOW primary_slot_name' 2>&1)"
		expect_eq "instance $n: recovery_target_timeline" latest "$(psql_su postgres 'SHOW recovery_target_timeline' 2>&1)"
		psql_su postgres "CREATE TABLE nope (x int)" >"$T/ro.out" 2>&1 && fail "instance $n accepted a CREATE TABLE"
		expect_grep "instance $n is read-only" "read-only transaction" "$T/ro.out"
		expect_no_grep "no replication password in PGDATA's configuration of instance $n" "$REPL_PW" \
			"$PGDATA/postgresql.conf" "$PGDATA/pgpod.conf" "$PGDATA/postgresql.auto.conf"
		expect_no_grep "no replication password in instance $n's output" "$REPL_PW" "$RUN_OUT" "$RUN_ERR"
		expect_log_lines_json "$RUN_OUT"
	done
	expect_eq "pg_stat_replication on instance 1" "c-2 streaming
c-3 streaming" "$(nsql 1 postgres "SELECT application_name || ' ' || state FROM pg_stat_replication ORDER BY 1" 2>&1)"
	expect_eq "slots on instance 1" "pgpod_c_2 physical true
pgpod_c_3 physical true" "$(nsql 1 postgres "SELECT slot_name || ' ' || slot_type || ' ' || active FROM pg_replication_slots ORDER BY 1" 2>&1)"
	# the status document of a standby
	sleep 1.2	# one status query after the last write
	(node 2 && http_get /pg/status) >"$T/status2.json"
	sysid=$(controldata_field "$T/n1/pgdata" 'Database system identifier')
	expect_eq "instance 2 /pg/status" "False True 1 $sysid True True True True c-2" \
		"$(json_of "$T/status2.json" 'd["isPrimary"], d["inRecovery"], d["timeline"], d["systemId"], "/" in (d["receivedLsn"] or ""), "/" in (d["replayLsn"] or ""), isinstance(d["replayLagBytes"], int) and d["ready"], d.get("streaming"), d["pod"]' | tr -d "(),'")"
	# a row written on 1 is visible on 2 and 3 within 1 s
	nsql 1 app "CREATE TABLE seen (k int PRIMARY KEY); ALTER TABLE seen OWNER TO app" >/dev/null ||
		{ fail "cannot create a table on instance 1"; return; }
	for n in 2 3; do
		wait_rows "$n" app "SELECT count(*) FROM seen" 0 10 || fail "the table never reached instance $n"
	done
	for k in 1 2 3 4 5; do
		nsql 1 app "INSERT INTO seen VALUES ($k)" >/dev/null || fail "insert $k on instance 1 failed"
		t0=$(ms_now)
		seen2=
		seen3=
		seen=([2]="" [3]="")
		for ((i = 0; i < 40; i++)); do
			# each replica polled first in every other round
			for n in $((2 + k % 2)) $((3 - k % 2)); do
				[ -z "${seen[n]}" ] && [ "$(nsql "$n" app "SELECT count(*) FROM seen WHERE k = $k" 2>/dev/null)" = 1 ] &&
					seen[n]=$(($(ms_now) - t0))
			done
			seen2=${seen[2]}
			seen3=${seen[3]}
			[ -n "$seen2" ] && [ -n "$seen3" ] && break
			[ $(($(ms_now) - t0)) -ge 1000 ] && break
			sleep 0.05
		done
		all="$all ${seen2:-never}/${seen3:-never}"
		for ms in "${seen2:-99999}" "${seen3:-99999}"; do [ "$ms" -gt "$worst" ] && worst=$ms; done
	done
	echo "    row on 1 -> visible on 2/3 after (ms, incl. one psql poll):$all"
	[ "$worst" -le 1000 ] || fail "a row written on instance 1 was not visible on 2 and 3 within 1 s:$all"
	expect_eq "every row on instance 3" 5 "$(nsql 3 app 'SELECT count(*) FROM seen' 2>&1)"
	# a replica restarted in place streams on from its slot
	marker=$(cat "$T/n2/pgdata/pgpod-bootstrap.json")
	stop_node 2 "shut down in recovery"
	expect_eq "slot of the stopped instance 2" "pgpod_c_2 false" \
		"$(nsql 1 postgres "SELECT slot_name || ' ' || active FROM pg_replication_slots WHERE slot_name = 'pgpod_c_2'" 2>&1)"
	nsql 1 app "INSERT INTO seen SELECT generate_series(6, 1000)" >/dev/null || fail "insert on instance 1 failed"
	t0=$(ms_now)
	start_node 2 c-2
	expect_ready "$t0" "$IT_TIMEOUT_START" 2 && echo "    instance 2 restarted in place: /readyz 200 after ${READY_MS[2]} ms"
	expect_eq "instance 2 not bootstrapped again" "$marker" "$(cat "$T/n2/pgdata/pgpod-bootstrap.json")"
	wait_rows 2 app "SELECT count(*) FROM seen" 1000 10 || fail "instance 2 did not catch up after its restart"
	expect_eq "pg_stat_replication after instance 2's restart" "c-2 streaming
c-3 streaming" "$(nsql 1 postgres "SELECT application_name || ' ' || state FROM pg_stat_replication ORDER BY 1" 2>&1)"
	stop_node 3 "shut down in recovery"
	stop_node 2 "shut down in recovery"
	stop_node 1 "shut down"
}

test_replica_readyz_follows_lag_and_primary() {
	local APP_PW REPL_PW t0 i n body c2 c3 bad=0 lag
	nodes_alloc 3 || return
	cluster_spec "$T/c.yaml" c 1Ki
	NODE_SPEC=([1]="$T/c.yaml" [2]="$T/c.yaml" [3]="$T/c.yaml")
	make_basic_auth app-secret app APP_PW
	make_password_secret c-replication REPL_PW
	start_node 1 c-1
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 1 || return
	start_node 2 c-2
	start_node 3 c-3
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 2 3 || return
	expect_eq "instance 2 streaming before the pause" \
		"standby streaming, replay lag" "$(nbody 2 /readyz | python3 -c 'import json,sys; print(json.load(sys.stdin)["reason"].rsplit(" ", 2)[0])' 2>&1)"
	# replay paused on 2 while 1 writes: 2's replay lag exceeds 1 KiB
	expect_eq "pause replay on instance 2" "" "$(nsql 2 postgres 'SELECT pg_wal_replay_pause()' 2>&1)"
	nsql 1 app "CREATE TABLE bulk AS SELECT g, repeat('x', 100) AS pad FROM generate_series(1, 20000) g" >/dev/null ||
		fail "the bulk write on instance 1 failed"
	nwait_code 2 /readyz 503 10 || fail "/readyz of instance 2 not 503 with replay paused behind 1 KiB of WAL: $(nbody 2 /readyz)"
	body=$(nbody 2 /readyz)
	case $body in *"replay lag"*"exceeds 1024"*) ;; *) fail "instance 2's /readyz does not name the lag limit: $body" ;; esac
	lag=$(nfield 2 replayLagBytes)
	case $lag in '' | null | *[!0-9]*) fail "replayLagBytes of instance 2 is $lag" ;; *) [ "$lag" -gt 1024 ] || fail "replayLagBytes of instance 2 is $lag, not > 1024" ;; esac
	echo "    replay paused on 2: /readyz 503, replayLagBytes $lag"
	expect_eq "instance 2 streams on with replay paused" true "$(nfield 2 streaming)"
	nbody 2 /metrics >"$T/metrics2.txt"
	python3 "$IT_DIR/promparse.py" "$T/metrics2.txt" >"$T/metrics2.parsed" 2>"$T/metrics2.err" ||
		fail "/metrics of instance 2 is not valid Prometheus text: $(cat "$T/metrics2.err")"
	expect_grep "pgpod_in_recovery of instance 2" 'pgpod_in_recovery{} 1' "$T/metrics2.parsed"
	lag=$(sed -n 's/^pgpod_replay_lag_bytes{} //p' "$T/metrics2.parsed")
	case $lag in '' | *[!0-9]*) fail "pgpod_replay_lag_bytes of instance 2: [$lag]" ;; *) [ "$lag" -gt 1024 ] || fail "pgpod_replay_lag_bytes of instance 2 is $lag, not > 1024" ;; esac
	nwait_code 3 /readyz 200 10 || fail "/readyz of instance 3 (replaying) not 200 after the bulk write: $(nbody 3 /readyz)"
	# it stays so: 2 for as long as replay is paused, 3 caught up
	for i in $(seq 1 10); do
		c2=$(ncode 2 /readyz)
		c3=$(ncode 3 /readyz)
		[ "$c2" = 503 ] && [ "$c3" = 200 ] || bad=$((bad + 1))
		[ "$(ncode 2 /healthz)" = 200 ] || bad=$((bad + 1))
		sleep 0.2
	done
	expect_eq "samples of 2 (paused) not 503, 3 not 200, or 2's /healthz not 200" 0 "$bad"
	nsql 2 postgres 'SELECT pg_wal_replay_resume()' >/dev/null 2>&1 || fail "cannot resume replay on instance 2"
	t0=$(ms_now)
	expect_ready "$t0" 10 2 && echo "    replay resumed on 2: /readyz 200 after ${READY_MS[2]} ms"
	wait_rows 2 app "SELECT count(*) FROM bulk" 20000 10 || fail "instance 2 did not replay the bulk write after the resume"
	# the primary stops: both replicas not ready, still live, and retrying
	stop_node 1 "shut down"
	for n in 2 3; do
		nwait_code "$n" /readyz 503 10 || fail "/readyz of instance $n not 503 with the primary stopped: $(nbody "$n" /readyz)"
	done
	bad=0
	for i in $(seq 1 10); do
		for n in 2 3; do
			[ "$(ncode "$n" /healthz)" = 200 ] || bad=$((bad + 1))
			[ "$(ncode "$n" /readyz)" = 503 ] || bad=$((bad + 1))
		done
		sleep 0.3
	done
	expect_eq "samples with a replica's /healthz not 200 or /readyz not 503 (primary down)" 0 "$bad"
	for n in 2 3; do
		alive "$n" || fail "pgpod run of instance $n exited when its primary stopped$(ntail "$n")"
		case $(nbody "$n" /readyz) in *"not streaming"*) ;; *) fail "instance $n's /readyz reason: $(nbody "$n" /readyz)" ;; esac
		expect_eq "instance $n: streaming in /pg/status with the primary stopped" false "$(nfield "$n" streaming)"
		expect_eq "instance $n still in recovery" t "$(nsql "$n" postgres 'SELECT pg_is_in_recovery()' 2>&1)"
	done
	# the primary is back: both stream and are ready again
	start_node 1 c-1
	t0=$(ms_now)
	expect_ready "$t0" "$IT_TIMEOUT_START" 1 2 3 &&
		echo "    primary restarted: /readyz 200 on 1/2/3 after ${READY_MS[1]}/${READY_MS[2]}/${READY_MS[3]} ms"
	nsql 1 app "CREATE TABLE after_restart AS SELECT 7 AS x" >/dev/null || fail "cannot write on the restarted primary"
	for n in 2 3; do
		wait_rows "$n" app "SELECT x FROM after_restart" 7 10 || fail "instance $n does not see a write after the primary's restart"
	done
	expect_eq "pg_stat_replication after the restart" "c-2 streaming
c-3 streaming" "$(nsql 1 postgres "SELECT application_name || ' ' || state FROM pg_stat_replication ORDER BY 1" 2>&1)"
	stop_node 3 "shut down in recovery"
	stop_node 2 "shut down in recovery"
	stop_node 1 "shut down"
}

# replica_cluster_setup DATABASE OWNER [MIN_APPLY_DELAY]: the source "src"
# (instance 1, initdb, app owned by app, a table t with one row) and the
# replica cluster "rc" (instance 2) following it, both ready. Sets APP_PW,
# SRC_REPL_PW, RC_REPL_PW, OWNER_PW, SU_PW.
replica_cluster_setup() {
	nodes_alloc 2 || return 1
	cluster_spec "$T/src.yaml" src
	replica_cluster_spec "$T/rc.yaml" true "${NODE_PORT[1]}" "$1" "$2" "${3:-}"
	NODE_SPEC=([1]="$T/src.yaml" [2]="$T/rc.yaml")
	make_basic_auth app-secret app APP_PW
	make_password_secret src-replication SRC_REPL_PW
	make_password_secret rc-replication RC_REPL_PW
	make_basic_auth "$2-secret" "$2" OWNER_PW
	make_basic_auth rc-superuser postgres SU_PW
	start_node 1 src-1
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 1 || return 1
	nsql 1 app "CREATE TABLE t (k int); ALTER TABLE t OWNER TO app; INSERT INTO t VALUES (1)" >/dev/null ||
		{ fail "cannot write on the source"; return 1; }
	local t0
	t0=$(ms_now)
	start_node 2 rc-1
	expect_ready "$t0" "$IT_TIMEOUT_START" 2 || return 1
	echo "    replica cluster rc-1 of src: /readyz 200 after ${READY_MS[2]} ms"
	expect_grep "rc-1 bootstraps a replica cluster" 'bootstrapping a replica cluster of \"src\"' "$(nout 2)"
	[ -f "$T/n2/pgdata/standby.signal" ] || fail "the replica cluster's instance has no standby.signal"
}

# expect_following_read_only: the replica cluster's instance (2) follows the
# source (1) and refuses writes; its app database, owner and passwords wait.
expect_following_read_only() {
	local db=$1 owner=$2
	expect_eq "rc-1 in recovery" t "$(nsql 2 postgres 'SELECT pg_is_in_recovery()' 2>&1)"
	expect_eq "the source's row copied" 1 "$(nsql 2 app 'SELECT k FROM t' 2>&1)"
	nsql 1 app "INSERT INTO t VALUES (2)" >/dev/null || fail "insert on the source failed"
	wait_rows 2 app "SELECT count(*) FROM t" 2 10 || fail "a row written on the source did not reach rc-1 within 10 s"
	nsql 2 app "INSERT INTO t VALUES (100)" >"$T/ro.out" 2>&1 && fail "rc-1 accepted an INSERT before its promotion"
	expect_grep "rc-1 is read-only" "read-only transaction" "$T/ro.out"
	expect_eq "the source streams to rc-1" "rc-1 streaming" \
		"$(nsql 1 postgres "SELECT application_name || ' ' || state FROM pg_stat_replication" 2>&1)"
	expect_eq "/pg/status of rc-1: a standby" "False True" \
		"$(nfield 2 isPrimary | sed 's/false/False/;s/true/True/') $(nfield 2 inRecovery | sed 's/false/False/;s/true/True/')"
	# deferred: nothing of the application database rules yet
	expect_eq "role $owner on rc-1 before the promotion" 0 \
		"$(nsql 2 postgres "SELECT count(*) FROM pg_roles WHERE rolname = '$owner'" 2>&1)"
	if [ "$db" = app ]; then
		expect_eq "owner of app on rc-1 before the promotion" app \
			"$(nsql 2 postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'" 2>&1)"
	else
		expect_eq "database $db on rc-1 before the promotion" 0 \
			"$(nsql 2 postgres "SELECT count(*) FROM pg_database WHERE datname = '$db'" 2>&1)"
	fi
	ntcp 2 postgres "$SU_PW" postgres "SELECT 1" >/dev/null 2>&1 &&
		fail "the superuser password of rc-superuser works before the promotion"
	repl_login "${NODE_PORT[2]}" "$RC_REPL_PW" >/dev/null 2>&1 &&
		fail "streaming_replica logs in to rc-1 with rc-replication's password before the promotion"
}

# expect_promoted_with_rules DB OWNER: rc-1 (instance 2) is a writable
# primary on a new timeline with its application database rules applied.
expect_promoted_with_rules() {
	local db=$1 owner=$2 i
	expect_eq "rc-1 in recovery after the promotion" f "$(nsql 2 postgres 'SELECT pg_is_in_recovery()' 2>&1)"
	[ -f "$T/n2/pgdata/standby.signal" ] && fail "standby.signal still in rc-1's PGDATA"
	expect_eq "rc-1 takes writes" 1 "$(nsql 2 app "INSERT INTO t VALUES (3); SELECT count(*) FROM t WHERE k = 3" 2>&1)"
	expect_eq "database $db owned by $owner" "$owner" \
		"$(nsql 2 postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$db'" 2>&1)"
	expect_eq "role $owner can log in" t "$(nsql 2 postgres "SELECT rolcanlogin FROM pg_roles WHERE rolname = '$owner'" 2>&1)"
	expect_eq "$owner logs in over TCP with its Secret's password" "$owner@$db" \
		"$(ntcp 2 "$owner" "$OWNER_PW" "$db" "SELECT current_user || '@' || current_database()" 2>&1)"
	expect_eq "postgres logs in over TCP with rc-superuser's password" postgres \
		"$(ntcp 2 postgres "$SU_PW" postgres "SELECT current_user" 2>&1)"
	repl_login "${NODE_PORT[2]}" "$RC_REPL_PW" >"$T/ident.out" 2>&1 ||
		fail "streaming_replica cannot log in to rc-1 with rc-replication's password: $(cat "$T/ident.out")"
	# a primary to the supervisor, too
	for ((i = 0; i < 50; i++)); do
		[ "$(nfield 2 isPrimary)" = true ] && break
		sleep 0.1
	done
	expect_eq "/pg/status of rc-1 after the promotion" "true false 2" \
		"$(nfield 2 isPrimary) $(nfield 2 inRecovery) $(nfield 2 timeline)"
	nwait_code 2 /readyz 200 10 || fail "/readyz of rc-1 not 200 after the promotion: $(nbody 2 /readyz)"
	# it follows the source no more
	nsql 1 app "INSERT INTO t VALUES (42)" >/dev/null || fail "insert on the source failed"
	sleep 1
	expect_eq "a row written on the source after the promotion" 0 "$(nsql 2 app 'SELECT count(*) FROM t WHERE k = 42' 2>&1)"
	wait_rows 1 postgres "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'rc-1'" 0 10 ||
		fail "the source still streams to rc-1"
	expect_no_grep "no password in rc-1's output" "$OWNER_PW" "$(nout 2)" "${NODE_ERR[2]}"
	expect_no_grep "no password in rc-1's output" "$SU_PW" "$(nout 2)" "${NODE_ERR[2]}"
	expect_no_grep "no password in rc-1's output" "$RC_REPL_PW" "$(nout 2)" "${NODE_ERR[2]}"
	expect_no_grep "no password in rc-1's output" "$SRC_REPL_PW" "$(nout 2)" "${NODE_ERR[2]}"
}

test_replica_cluster_follows_source_until_pgpod_promote() {
	local APP_PW SRC_REPL_PW RC_REPL_PW OWNER_PW SU_PW rc pm
	replica_cluster_setup shop shopper || return
	expect_following_read_only shop shopper
	expect_eq "no recovery_min_apply_delay without minApplyDelay" 0 "$(nsql 2 postgres 'SHOW recovery_min_apply_delay' 2>&1)"
	# restarted, it follows the source on
	stop_node 2 "shut down in recovery"
	nsql 1 app "INSERT INTO t VALUES (5)" >/dev/null || fail "insert on the source failed"
	start_node 2 rc-1
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 2 || return
	wait_rows 2 app "SELECT count(*) FROM t WHERE k = 5" 1 10 || fail "rc-1 restarted does not follow the source"
	expect_eq "rc-1 restarted: still a standby" t "$(nsql 2 postgres 'SELECT pg_is_in_recovery()' 2>&1)"
	expect_eq "rc-1 restarted: still no role shopper" 0 \
		"$(nsql 2 postgres "SELECT count(*) FROM pg_roles WHERE rolname = 'shopper'" 2>&1)"
	pm=$(head -n 1 "$T/n2/pgdata/postmaster.pid")
	# pgpod promote, pointed at the instance
	node 2
	pgpod_cmd promote --pod-name rc-1
	rc=$?
	expect_rc "pgpod promote" 0 "$rc"
	expect_grep "pgpod promote promotes" "promoting the standby" "$LAST_OUT" "$LAST_ERR"
	expect_grep "pgpod promote says it promoted" "promoted in" "$LAST_OUT" "$LAST_ERR"
	expect_promoted_with_rules shop shopper
	expect_eq "the running postgres was promoted in place" "$pm" "$(head -n 1 "$T/n2/pgdata/postmaster.pid")"
	# a reload of the running pgpod keeps it a primary
	kill -HUP "${NODE_PID[2]}"
	sleep 1.5
	expect_eq "rc-1 after a SIGHUP of pgpod run" f "$(nsql 2 postgres 'SELECT pg_is_in_recovery()' 2>&1)"
	nwait_code 2 /readyz 200 10 || fail "/readyz of rc-1 not 200 after a SIGHUP: $(nbody 2 /readyz)"
	# promote again: a primary already, the rules are applied again, exit 0
	pgpod_cmd promote --pod-name rc-1
	expect_rc "pgpod promote on a primary" 0 $?
	expect_grep "a second promote names the primary" "postgres is a primary already" "$LAST_OUT" "$LAST_ERR"
	stop_node 2 "shut down"
	stop_node 1 "shut down"
}

test_replica_cluster_promoted_by_switching_replica_off_in_spec() {
	local APP_PW SRC_REPL_PW RC_REPL_PW OWNER_PW SU_PW t0 i ms="" pm
	# the source's app is owned by app; rc wants it owned by shopper
	replica_cluster_setup app shopper 1s || return
	expect_following_read_only app shopper
	expect_eq "recovery_min_apply_delay from spec.replica.minApplyDelay" 1s \
		"$(nsql 2 postgres 'SHOW recovery_min_apply_delay' 2>&1)"
	# t0 before the commit: the row may not be visible before t0 + 1 s
	t0=$(ms_now)
	nsql 1 app "INSERT INTO t VALUES (10)" >/dev/null || fail "insert on the source failed"
	for ((i = 0; i < 200; i++)); do
		[ "$(nsql 2 app 'SELECT count(*) FROM t WHERE k = 10' 2>/dev/null)" = 1 ] && { ms=$(($(ms_now) - t0)); break; }
		sleep 0.05
	done
	echo "    minApplyDelay 1s: a row on the source visible on rc-1 after ${ms:-never} ms"
	{ [ -n "$ms" ] && [ "$ms" -ge 990 ] && [ "$ms" -le 6000 ]; } ||
		fail "with minApplyDelay 1s a row became visible after ${ms:-never} ms (expected about 1 s)"
	pm=$(head -n 1 "$T/n2/pgdata/postmaster.pid")
	t0=$(ms_now)
	replica_cluster_spec "$T/rc.yaml" false "${NODE_PORT[1]}" app shopper 1s
	for ((i = 0; i < 300; i++)); do
		grep -q '"the promoted primary has its roles and application database"\|promotion asked for by the spec failed' "$(nout 2)" && break
		sleep 0.1
	done
	echo "    replica.enabled false -> promoted with its rules after $(($(ms_now) - t0)) ms"
	expect_grep "pgpod run notices the spec" "promoting this instance" "$(nout 2)"
	expect_grep "pgpod run promotes" "promoted in" "$(nout 2)"
	expect_no_grep "the promotion did not fail" "promotion asked for by the spec failed" "$(nout 2)"
	expect_promoted_with_rules app shopper
	expect_eq "the running postgres was promoted in place" "$pm" "$(head -n 1 "$T/n2/pgdata/postmaster.pid")"
	expect_eq "app's tables stay with their owner" app \
		"$(nsql 2 app "SELECT tableowner FROM pg_tables WHERE tablename = 't'" 2>&1)"
	alive 2 || fail "pgpod run of rc-1 exited after the promotion$(ntail 2)"
	stop_node 2 "shut down"
	# the promoted PGDATA starts again as a primary
	start_node 2 rc-1
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 2
	expect_eq "rc-1 after a restart: a primary with its row" "f 1" \
		"$(nsql 2 app 'SELECT pg_is_in_recovery(), count(*) FROM t WHERE k = 3' 2>&1 | tr '|' ' ')"
	stop_node 2 "shut down"
	stop_node 1 "shut down"
}

# A rotated replication Secret: the primary gives streaming_replica the new
# password (the old one stops working), the replica's pgpass is rewritten,
# and the replica streams again with it after its connection is cut.
test_rotated_replication_secret_reaches_primary_and_replica() {
	local APP_PW REPL_PW NEW_PW i
	nodes_alloc 2 || return
	cluster_spec "$T/c.yaml" c
	NODE_SPEC=([1]="$T/c.yaml" [2]="$T/c.yaml")
	make_basic_auth app-secret app APP_PW
	make_password_secret c-replication REPL_PW
	start_node 1 c-1
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 1 || return
	start_node 2 c-2
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 2 || return
	NEW_PW=$(new_password)
	printf '%s' "$NEW_PW" | put_file "$SECRETS/c-replication/password"
	i=0
	while [ $i -lt 100 ] && ! repl_login "${NODE_PORT[1]}" "$NEW_PW" >/dev/null 2>&1; do
		sleep 0.1
		i=$((i + 1))
	done
	repl_login "${NODE_PORT[1]}" "$NEW_PW" >"$T/new.out" 2>&1 ||
		fail "the primary did not take the rotated password within 10 s: $(cat "$T/new.out")$(ntail 1)"
	repl_login "${NODE_PORT[1]}" "$REPL_PW" >/dev/null 2>&1 && fail "the old replication password still works"
	i=0
	while [ $i -lt 100 ] && ! grep -qF "$NEW_PW" "$T/n2/run/replication/pgpass" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	expect_grep "the replica's pgpass has the new password" "$NEW_PW" "$T/n2/run/replication/pgpass"
	expect_eq "mode of the rewritten pgpass" 600 "$(stat -c %a "$T/n2/run/replication/pgpass" 2>&1)"
	# cut the replica's connection: it must log in again, with the new password
	nsql 1 postgres "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_replication WHERE application_name = 'c-2'" >/dev/null 2>&1
	nwait_code 2 /readyz 503 10 || true
	wait_rows 1 postgres "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'c-2' AND state = 'streaming'" 1 30 ||
		fail "the replica did not stream again with the rotated password$(ntail 2)"
	nwait_code 2 /readyz 200 30 || fail "the replica is not ready again after the rotation"
	expect_no_grep "no replication password in the logs" "$NEW_PW" "${NODE_OUT[1]}" "${NODE_OUT[2]}" \
		"${NODE_ERR[1]}" "${NODE_ERR[2]}"
	stop_node 2 "shut down in recovery"
	stop_node 1 "shut down"
}

# slots NODE: the primary's physical slots as "name active", one per line.
slots() {
	nsql "$1" postgres "SELECT slot_name || ' ' || active FROM pg_replication_slots ORDER BY 1" 2>&1
}

# wait_slot_gone N SLOT SECS: poll instance N's slots until SLOT is not one.
wait_slot_gone() {
	local i
	for ((i = 0; i < $3 * 4; i++)); do
		[ "$(nsql "$1" postgres "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$2'" 2>/dev/null)" = 0 ] && return 0
		sleep 0.25
	done
	return 1
}

test_slots_of_removed_replicas_dropped_missing_slot_made_again() {
	# shellcheck disable=SC2034 # set by make_basic_auth
	local APP_PW REPL_PW t0
	nodes_alloc 2 || return
	cluster_spec "$T/s.yaml" s "" 2
	NODE_SPEC=([1]="$T/s.yaml" [2]="$T/s.yaml")
	make_basic_auth app-secret app APP_PW
	make_password_secret s-replication REPL_PW
	start_node 1 s-1
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 1 || return
	start_node 2 s-2
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 2 || return
	# slots the primary must keep (another prefix, not a pgpod name, an
	# instance in range) and one of an instance outside spec.instances
	nsql 1 postgres "SELECT count(pg_create_physical_replication_slot(n)) FROM unnest(ARRAY['pgpod_s_5', 'pgpod_other_7', 'keepme', 'pgpod_s_x']) n" >/dev/null 2>&1 ||
		fail "cannot create the test's slots on instance 1"
	t0=$(ms_now)
	# a replica whose slot is gone while it is away makes it again
	stop_node 2 "shut down in recovery"
	nsql 1 postgres "SELECT pg_drop_replication_slot('pgpod_s_2')" >/dev/null 2>&1 || fail "cannot drop pgpod_s_2"
	start_node 2 s-2
	expect_ready "$(ms_now)" 40 2 || return
	# /readyz may be 200 before the status thread's next slot check
	wait_for 100 0.1 grep -qF 'replication slot \"pgpod_s_2\" was missing on the primary' "$(nout 2)"
	expect_grep "instance 2 says it made its slot again" 'replication slot \"pgpod_s_2\" was missing on the primary' "$(nout 2)"
	wait_rows 1 postgres "SELECT active FROM pg_replication_slots WHERE slot_name = 'pgpod_s_2'" t 10 ||
		fail "instance 2 does not use its slot again: $(slots 1)"
	echo "    a replica whose slot was dropped: /readyz 200 again after ${READY_MS[2]} ms"
	expect_eq "slots kept on instance 1 with spec.instances 2" "keepme false
pgpod_other_7 false
pgpod_s_2 true
pgpod_s_5 false
pgpod_s_x false" "$(slots 1)"
	# scaled down to one instance, the replica stopped: its slot goes 30 s
	# after the spec says so, and that of instance 5 30 s after it was made
	stop_node 2 "shut down in recovery"
	cluster_spec "$T/s.yaml" s "" 1
	wait_slot_gone 1 pgpod_s_5 45 || fail "pgpod_s_5 (instance 5 of 2) not dropped within 45 s: $(slots 1)$(ntail 1)"
	[ $(($(ms_now) - t0)) -ge 29000 ] || fail "pgpod_s_5 dropped after $(($(ms_now) - t0)) ms, before its 30 s grace"
	echo "    the slot of instance 5 dropped $(($(ms_now) - t0)) ms after it was made"
	expect_grep "instance 1 says why it dropped the slot" 'dropped the replication slot \"pgpod_s_5\" of instance 5: spec.instances is' "$(nout 1)"
	wait_slot_gone 1 pgpod_s_2 45 || fail "pgpod_s_2 not dropped within 45 s of spec.instances 1: $(slots 1)$(ntail 1)"
	expect_eq "slots kept on instance 1 with spec.instances 1" "keepme false
pgpod_other_7 false
pgpod_s_x false" "$(slots 1)"
	stop_node 1 "shut down"
}

test_join_command_needs_replication_secret_then_joins() {
	# shellcheck disable=SC2034 # set by make_basic_auth
	local APP_PW REPL_PW rc marker
	nodes_alloc 3 || return
	cluster_spec "$T/jc.yaml" jc
	NODE_SPEC=([1]="$T/jc.yaml" [2]="$T/jc.yaml" [3]="$T/jc.yaml")
	make_basic_auth app-secret app APP_PW
	# no Secret jc-replication: refused, nothing written
	node 2
	pgpod_cmd join --pod-name jc-1 --ordinal-base 0 --primary-host 127.0.0.1 --primary-port "${NODE_PORT[1]}"
	rc=$?
	[ "$rc" != 0 ] || fail "pgpod join without the replication Secret exited 0"
	expect_grep "the missing Secret is named" 'Secret \"jc-replication\"' "$LAST_OUT" "$LAST_ERR"
	expect_grep "the missing Secret's user is named" "streaming_replica" "$LAST_OUT" "$LAST_ERR"
	if [ -e "$PGDATA" ] && [ -n "$(ls -A "$PGDATA" 2>/dev/null)" ]; then
		fail "pgpod join without the Secret wrote into PGDATA: $(ls -A "$PGDATA" | head -5 | tr '\n' ' ')"
	fi
	ls -d "$PGDATA".failed-* >/dev/null 2>&1 && fail "pgpod join without the Secret left a failed attempt"
	# the primary: a StatefulSet's jc-0 is instance 1
	make_password_secret jc-replication REPL_PW
	start_node 1 jc-0 --ordinal-base 0
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 1 || return
	expect_eq "jc-0 with --ordinal-base 0 bootstraps" initdb "$(json_of "$T/n1/pgdata/pgpod-bootstrap.json" 'd["method"]')"
	# pgpod join alone: a standby PGDATA, then exit 0 with no postgres left
	node 2
	pgpod_cmd join --pod-name jc-1 --ordinal-base 0 --primary-host 127.0.0.1 --primary-port "${NODE_PORT[1]}"
	expect_rc "pgpod join" 0 $?
	expect_no_postgres_under "$PGDATA"
	[ -f "$PGDATA/standby.signal" ] || fail "no standby.signal after pgpod join"
	expect_eq "jc-1's bootstrap" join "$(json_of "$PGDATA/pgpod-bootstrap.json" 'd["method"]')"
	expect_eq "the slot of jc-1 on the primary" "pgpod_jc_1 physical" \
		"$(nsql 1 postgres "SELECT slot_name || ' ' || slot_type FROM pg_replication_slots" 2>&1)"
	marker=$(cat "$PGDATA/pgpod-bootstrap.json")
	# pgpod run on it (jc-1 is instance 2 with --ordinal-base 0): it streams
	start_node 2 jc-1 --ordinal-base 0
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 2 || return
	expect_eq "marker unchanged by pgpod run" "$marker" "$(cat "$T/n2/pgdata/pgpod-bootstrap.json")"
	# --instance-role replica, a pod name without an ordinal
	start_node 3 JC.Extra --instance-role replica
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 3 || return
	expect_eq "slots on the primary" "pgpod_jc_1 true
pgpod_jc_extra true" "$(nsql 1 postgres "SELECT slot_name || ' ' || active FROM pg_replication_slots ORDER BY 1" 2>&1)"
	expect_eq "pg_stat_replication on the primary" "JC.Extra streaming
jc-1 streaming" "$(nsql 1 postgres "SELECT application_name || ' ' || state FROM pg_stat_replication ORDER BY application_name COLLATE \"C\"" 2>&1)"
	stop_node 3 "shut down in recovery"
	stop_node 2 "shut down in recovery"
	stop_node 1 "shut down"
}

# Instance 1 whose volume was lost, while its cluster lives on (its
# primary answers at --primary-host): it joins instead of making a new,
# empty primary with initdb; forced to be the primary it refuses.
test_instance1_with_empty_volume_joins_existing_cluster() {
	local APP_PW REPL_PW rc
	nodes_alloc 3 || return
	cluster_spec "$T/lv.yaml" lv
	NODE_SPEC=([1]="$T/lv.yaml" [2]="$T/lv.yaml" [3]="$T/lv.yaml")
	make_basic_auth app-secret app APP_PW
	make_password_secret lv-replication REPL_PW
	start_node 1 lv-1
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 1 || return
	# another "lv-1" on an empty volume, forced to be the primary: refused
	node 3
	pgpod_cmd init --pod-name lv-1 --instance-role primary --primary-host 127.0.0.1 \
		--primary-port "${NODE_PORT[1]}"
	rc=$?
	[ "$rc" != 0 ] || fail "init beside an existing cluster exited 0"
	expect_grep "the refusal names the cluster" "this cluster exists already" "$LAST_OUT"
	[ -e "$PGDATA/PG_VERSION" ] && fail "initdb ran beside an existing cluster"
	# the same pod with pgpod run: it joins
	start_node 2 lv-1
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 2 || return
	expect_grep "the join instead of initdb is said" "joins it instead of making a new, empty primary" "$(nout 2)"
	expect_eq "its bootstrap" join "$(json_of "$T/n2/pgdata/pgpod-bootstrap.json" 'd["method"]')"
	expect_eq "it is a standby" t "$(nsql 2 postgres 'SELECT pg_is_in_recovery()' 2>&1)"
	stop_node 2 "shut down in recovery"
	stop_node 1 "shut down"
}

# SIGKILL of pgpod after every step of a join, then a rerun: always a
# finished standby (its slot on the primary reused).
test_sigkill_at_every_join_step() {
	local APP_PW REPL_PW
	nodes_alloc 2 || return
	cluster_spec "$T/kj.yaml" kj
	NODE_SPEC=([1]="$T/kj.yaml" [2]="$T/kj.yaml")
	make_basic_auth app-secret app APP_PW
	make_password_secret kj-replication REPL_PW
	start_node 1 kj-1
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 1 || return
	node 2
	kill_at_each_step join --pod-name kj-2 --primary-host 127.0.0.1 --primary-port "${NODE_PORT[1]}"
	stop_node 1 "shut down"
}

run_tests
