#!/usr/bin/env bash
# The restore bootstrap from a pgBackRest repository (PGO and Percona
# dataSource) with point-in-time recovery, for real: cluster A runs under
# pgpod and archives to a posix repository; `pgpod restore` (and `pgpod
# run`) make cluster B from it. Every target type with rows before and
# after it, --set, --db-include, the refusals, a restore cut off and
# resumed.
. "$(dirname "$0")/lib.sh"

# ---- cluster A: the source

# with_a CMD...: run CMD with the harness' globals pointing at cluster A.
with_a() {
	local sp=$PGDATA sr=$RUN ss=$SOCK so=$PORT sh=$HTTP_PORT sspec=$SPEC rc
	local spid=${RUN_PID:-} sout=${RUN_OUT:-} serr=${RUN_ERR:-}
	PGDATA=$A_PGDATA RUN=$A_RUN SOCK=$A_RUN PORT=$A_PORT HTTP_PORT=$A_HTTP SPEC=$T/a.yaml
	RUN_PID=${A_PID:-} RUN_OUT=${A_OUT:-} RUN_ERR=${A_ERR:-}
	"$@"
	rc=$?
	PGDATA=$sp RUN=$sr SOCK=$ss PORT=$so HTTP_PORT=$sh SPEC=$sspec
	RUN_PID=$spid RUN_OUT=$sout RUN_ERR=$serr
	return $rc
}

# start_a [EXTRA]: cluster A ("hippo", PGO), repo1 at $T/repo, its stanza
# ready, a first full backup taken. EXTRA: YAML lines under spec.
start_a() {
	REPO=$T/repo
	mkdir -p "$REPO" && give_to_pg "$REPO"
	A_PGDATA=$T/a/pgdata
	A_RUN=$T/arun
	alloc_port A_PORT && alloc_port A_HTTP || return 1
	a_yaml "${1:-}"
	A_PID=
	with_a a_run
	wait_for 240 0.25 grep -qF 'pgBackRest stanza \"db\" is ready' "$A_OUT" ||
		{ fail "cluster A: no stanza$(tail -5 "$A_OUT")"; return 1; }
	a_backup full
}

# a_yaml [EXTRA [ANNOTATIONS]]: A's spec, written atomically (pgpod run
# watches it). EXTRA: YAML lines under spec.backups.pgbackrest; ANNOTATIONS:
# lines under metadata.annotations.
a_yaml() {
	{
		printf 'apiVersion: %s\nkind: %s\n' "${A_API:-postgres-operator.crunchydata.com/v1beta1}" \
			"${A_KIND:-PostgresCluster}"
		printf 'metadata:\n  name: hippo\n'
		if [ -n "${2:-}" ]; then printf '  annotations:\n%s\n' "$2"; fi
		printf 'spec:\n  postgresVersion: 15\n  instances:\n    - replicas: 1\n'
		printf '  backups:\n    pgbackrest:\n      global:\n        repo1-path: %s\n' "$REPO"
		printf '        start-fast: "y"\n      repos:\n      - name: repo1\n'
		printf '        volume:\n          volumeClaimSpec: {}\n'
		if [ -n "${1:-}" ]; then printf '%s\n' "$1"; fi
	} >"$T/a.yaml.new" && mv "$T/a.yaml.new" "$T/a.yaml"
}

# a_run [OPTIONS]: pgpod run of A in the background (inside with_a).
a_run() {
	pgpod_run_bg "$@"
	A_PID=$RUN_PID
	A_OUT=$RUN_OUT
	A_ERR=$RUN_ERR
}

a_sql() { as_pg timeout -k 5 60 "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$A_RUN" -p "$A_PORT" -U postgres -d "${2:-postgres}" -c "$1"; }

# a_backup TYPE: pgpod backup on A; its label into A_LABEL.
a_backup() {
	with_a pgpod_cmd backup --type "$1" || { fail "backup of A failed$(last_output_tail)"; return 1; }
	A_LABEL=$(log_msgs info "$LAST_OUT" | sed -n 's/^backup \([0-9F_DI-]*\) .*/\1/p' | tail -n 1)
	[ -n "$A_LABEL" ] || { fail "no label in the backup's summary$(last_output_tail)"; return 1; }
}

# archived SEG: the WAL segment is in A's repository.
archived() { [ -n "$(find "$REPO/archive" -name "$1*" 2>/dev/null)" ]; }

# a_switch: the current WAL segment to the archive (and wait for it).
a_switch() {
	local seg
	seg=$(a_sql "SELECT pg_walfile_name(pg_current_wal_lsn())") || return 1
	a_sql "SELECT pg_switch_wal()" >/dev/null
	wait_for 100 0.1 archived "$seg" || fail "WAL $seg did not reach the archive"
}

# ---- cluster B: restored from A's repository

# b_spec FILE OPTIONS...: B ("elephant") restores from A's repository,
# PGO's dataSource.pgbackrest, with these restore options.
b_spec() {
	local f=$1 o
	shift
	{
		cat <<EOF
apiVersion: postgres-operator.crunchydata.com/v1beta1
kind: PostgresCluster
metadata:
  name: elephant
spec:
  postgresVersion: 15
  instances:
    - replicas: 1
  dataSource:
    pgbackrest:
      stanza: ${B_STANZA:-db}
      global:
        repo1-path: ${B_REPO_PATH:-$REPO}
      repo:
        name: repo1
        volume:
          volumeClaimSpec: {}
      options:
EOF
		for o in "$@"; do printf "      - '%s'\n" "$o"; done
		[ $# = 0 ] && printf '        []\n'
	} >"$f"
	SPEC=$f
}

# b_rows [DB]: B's rows of table t, started by hand, one line.
b_rows() {
	pg_start "$PGDATA" || return 1
	psql_su "${1:-postgres}" "SELECT coalesce(string_agg(x::text, ',' ORDER BY x), '') FROM t"
	pg_stop "$PGDATA"
}

# restore_ok DESC: pgpod restore exits 0 with the marker of a restore.
restore_ok() {
	pgpod_cmd restore
	expect_rc "$1" 0 $? || return 1
	expect_bootstrapped "$PGDATA"
	expect_eq "$1: method in the marker" restore "$(jq -r .method "$PGDATA/pgpod-bootstrap.json")"
	expect_no_postgres_under "$(dirname "$PGDATA")"
}

# next_b: a fresh PGDATA and run dir for the next restore.
next_b() {
	B_N=$((${B_N:-0} + 1))
	PGDATA=$T/b$B_N/pgdata
	RUN=$T/brun$B_N
	SOCK=$RUN
}

# Rows 1 before every target, 2 after: time, xid, name, lsn; immediate
# stops at the end of the backup (no rows).
test_pitr_every_target() {
	local xid lsn when
	start_a || return
	a_sql "CREATE TABLE t (x int)" >/dev/null && a_backup full || return
	xid=$(a_sql "INSERT INTO t VALUES (1) RETURNING txid_current()")
	lsn=$(a_sql "SELECT pg_current_wal_lsn()")
	a_sql "SELECT pg_create_restore_point('before_two')" >/dev/null
	when=$(a_sql "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
	sleep 1.2	# pgBackRest and postgres compare times; a clear second apart
	a_sql "INSERT INTO t VALUES (2)" >/dev/null
	a_switch
	next_b; b_spec "$T/b1.yaml" --type=time "--target=\"$when\""
	restore_ok "restore to a time" && expect_eq "rows at the time target" 1 "$(b_rows)"
	expect_grep "target in the marker" '"target": "time' "$PGDATA/pgpod-bootstrap.json"
	next_b; b_spec "$T/b2.yaml" --type=xid "--target=$xid"
	restore_ok "restore to an xid" && expect_eq "rows at the xid target" 1 "$(b_rows)"
	next_b; b_spec "$T/b3.yaml" --type=name --target=before_two
	restore_ok "restore to a name" && expect_eq "rows at the named target" 1 "$(b_rows)"
	next_b; b_spec "$T/b4.yaml" --type=lsn "--target=$lsn"
	restore_ok "restore to an lsn" && expect_eq "rows at the lsn target" 1 "$(b_rows)"
	next_b; b_spec "$T/b5.yaml" --type=immediate
	restore_ok "restore to the end of the backup" && expect_eq "rows at immediate" "" "$(b_rows)"
	next_b; b_spec "$T/b6.yaml"
	restore_ok "restore to the end of the WAL" && expect_eq "rows at the end" "1,2" "$(b_rows)"
	expect_eq "a new timeline" 2 "$(jq -r .timeline "$PGDATA/pgpod-bootstrap.json")"
	with_a stop_run TERM
}

# --set: an older backup, to its end.
test_set_older_backup() {
	local first
	start_a || return
	a_sql "CREATE TABLE t (x int); INSERT INTO t VALUES (1)" >/dev/null && a_backup full || return
	first=$A_LABEL
	a_sql "INSERT INTO t VALUES (2)" >/dev/null && a_backup full || return
	next_b; b_spec "$T/b.yaml" "--set=$first" --type=immediate
	restore_ok "restore of the older backup" && expect_eq "rows of the older backup" 1 "$(b_rows)"
	expect_eq "its label in the marker" "$first" "$(jq -r .backup "$PGDATA/pgpod-bootstrap.json")"
	with_a stop_run TERM
}

# --db-include: the other databases are dropped, and said so.
test_db_include() {
	start_a || return
	a_sql "CREATE DATABASE keepme" >/dev/null && a_sql "CREATE DATABASE dropme" >/dev/null || return
	a_sql "CREATE TABLE t (x int); INSERT INTO t VALUES (7)" keepme >/dev/null || return
	a_backup full || return
	next_b; b_spec "$T/b.yaml" --db-include=keepme --type=immediate
	restore_ok "restore of one database" || return
	expect_grep "the dropped database is named" 'dropping database \"dropme\"' "$LAST_OUT"
	pg_start "$PGDATA" || return
	expect_eq "databases left" "elephant,keepme,postgres" \
		"$(psql_su postgres "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname NOT LIKE 'template%'")"
	expect_eq "the included database's rows" 7 "$(psql_su keepme 'SELECT x FROM t')"
	pg_stop "$PGDATA"
	with_a stop_run TERM
}

# expect_refused DESC TEXT OPTIONS...: pgpod restore exits 1, an error
# line holds TEXT, nothing is written to PGDATA.
expect_refused() {
	local desc=$1 text=$2
	shift 2
	next_b
	b_spec "$T/refused.yaml" "$@"
	pgpod_cmd restore
	expect_rc "$desc" 1 $?
	log_msgs error "$LAST_OUT" | grep -qF -- "$text" || fail "$desc: no error with \"$text\"$(last_output_tail)"
	[ -e "$PGDATA" ] && [ -n "$(ls -A "$PGDATA")" ] && fail "$desc: PGDATA was written"
	return 0
}

# repo_of_pg14 DIR: DIR/repo holds a full backup that pgBackRest itself made
# of a "PostgreSQL 14" data directory: a stopped initdb whose PG_VERSION and
# pg_control catalog version (202107181, 14's) say 14 — what pgBackRest tells
# majors apart by — backed up offline. (Only PostgreSQL 15 is installed.)
repo_of_pg14() {
	local d=$1
	mkdir -p "$d/repo" "$d/lock" "$d/log" && give_to_pg "$d" "$d/repo" "$d/lock" "$d/log" || return 1
	as_pg "$PG_BIN/initdb" -D "$d/data" -N -U postgres >"$d/initdb.log" 2>&1 ||
		{ fail "initdb for the PostgreSQL 14 backup"; return 1; }
	python3 - "$d/data" <<'PYEOF2'
import struct, sys
p = sys.argv[1] + "/global/pg_control"
b = bytearray(open(p, "rb").read())
struct.pack_into("<I", b, 12, 202107181)
open(p, "wb").write(b)
open(sys.argv[1] + "/PG_VERSION", "w").write("14\n")
PYEOF2
	printf '[global]\nrepo1-path=%s/repo\nrepo1-retention-full=1\nlock-path=%s/lock\nlog-path=%s/log\n[db]\npg1-path=%s/data\n' \
		"$d" "$d" "$d" "$d" >"$d/pgbackrest.conf" && give_to_pg "$d/pgbackrest.conf" || return 1
	as_pg timeout -k 5 120 pgbackrest --config="$d/pgbackrest.conf" --stanza=db --no-online \
		--log-level-console=off stanza-create &&
		as_pg timeout -k 5 120 pgbackrest --config="$d/pgbackrest.conf" --stanza=db --no-online \
			--log-level-console=off --type=full backup ||
		{ fail "the offline backup of PostgreSQL 14"; return 1; }
}

# Each refusal, provoked for real, before anything is written.
test_refusals() {
	local early
	start_a || return
	early=$(a_sql "SELECT to_char(now() AT TIME ZONE 'UTC' - interval '1 hour', 'YYYY-MM-DD HH24:MI:SS') || '+00'")
	expect_refused "a --set that does not exist" 'has no backup "20000101-000000F"' --set=20000101-000000F
	expect_refused "a time before every backup" 'is not after the end of every backup' --type=time "--target=\"$early\""
	expect_refused "a timeline that does not exist" 'timeline 7 does not exist' --target-timeline=7
	B_STANZA=nope expect_refused "a stanza that does not exist" 'has no stanza "nope"'
	B_REPO_PATH=$T/empty-repo expect_refused "a repository path with nothing" 'has no stanza "db"'
	# a repository with the stanza and no backup
	mkdir -p "$T/nobackup" && give_to_pg "$T/nobackup"
	with_a as_pg pgbackrest --config="$A_RUN/pgbackrest.conf" --stanza=db --repo1-path="$T/nobackup" \
		--log-level-console=off stanza-create || fail "stanza-create in $T/nobackup"
	B_REPO_PATH=$T/nobackup expect_refused "a repository without a backup" 'holds no backup'
	repo_of_pg14 "$T/pg14" || return
	B_REPO_PATH=$T/pg14/repo expect_refused "a backup of another major" \
		'is of PostgreSQL 14 and this pod runs PostgreSQL 15'
	with_a stop_run TERM
}

# A restore stopped by SIGTERM stays in PGDATA and the next run resumes it
# (--delta); `pgpod run` then serves the restored cluster.
test_cut_off_restore_resumed_by_run() {
	local i rc
	start_a || return
	a_sql "CREATE TABLE t (x int); INSERT INTO t VALUES (1)" >/dev/null && a_switch
	next_b; b_spec "$T/b.yaml"
	pgpod_bg restore
	for i in $(seq 1 600); do
		grep -qF 'started postgres' "$RUN_OUT" && break
		sleep 0.02
	done
	kill -TERM "$RUN_PID"
	wait_exit "$RUN_PID" 60 rc
	check "stopped restore not marked complete" test ! -e "$PGDATA/pgpod-bootstrap.json"
	check "no failed attempt moved aside" test -z "$(ls -d "$PGDATA".failed-* 2>/dev/null)"
	pgpod_run_bg
	wait_code /readyz 200 120 || { fail "pgpod run did not become ready$(last_output_tail)"; return; }
	expect_grep "resumed" "holds a restore that was cut off: resuming it" "$RUN_OUT"
	expect_eq "rows after the resumed restore" 1 "$(psql_su postgres 'SELECT count(*) FROM t')"
	expect_eq "a primary" f "$(psql_su postgres 'SELECT pg_is_in_recovery()')"
	kill -TERM "$RUN_PID"
	wait_exit "$RUN_PID" "$IT_TIMEOUT_STOP" rc
	expect_rc "pgpod run of B after SIGTERM" 0 "$rc"
	expect_eq "B shut down" "shut down" "$(cluster_state "$PGDATA")"
	with_a stop_run TERM
}

# The source raised max_connections and max_prepared_transactions after the
# backup: the replay pauses at that record (PostgreSQL 14 and later; 13
# and earlier end), and the recovery starts again with the higher values.
test_parameters_raised_after_backup() {
	start_a || return
	a_sql "CREATE TABLE t (x int); INSERT INTO t VALUES (1)" >/dev/null && a_backup full || return
	a_sql "ALTER SYSTEM SET max_connections = 150" >/dev/null &&
		a_sql "ALTER SYSTEM SET max_prepared_transactions = 5" >/dev/null || return
	with_a stop_run TERM
	with_a a_run
	with_a wait_code /readyz 200 120 || { fail "A did not come back$(tail -5 "$A_OUT")"; return; }
	expect_eq "A's max_connections" 150 "$(a_sql 'SHOW max_connections')"
	a_sql "INSERT INTO t VALUES (2)" >/dev/null && a_switch
	next_b; b_spec "$T/b.yaml"
	restore_ok "restore across a parameter change" || return
	expect_grep "the new start is explained" \
		'the source raised max_connections 100 -> 150, max_prepared_transactions 0 -> 5' "$LAST_OUT"
	expect_eq "rows across the parameter change" "1,2" "$(b_rows)"
	with_a stop_run TERM
}

# A recovery that ends before its target (an xid never reached): one error
# saying how far it got, exit 1, the attempt moved aside, no marker.
test_recovery_ends_before_target() {
	start_a || return
	a_sql "CREATE TABLE t (x int); INSERT INTO t VALUES (1)" >/dev/null && a_switch
	next_b; b_spec "$T/b.yaml" --type=xid --target=4000000000
	pgpod_cmd restore
	expect_rc "restore to an xid never reached" 1 $?
	log_msgs error "$LAST_OUT" | grep -qF 'postgres ended the recovery before it was promoted' ||
		fail "no error saying the recovery ended early$(last_output_tail)"
	log_msgs error "$LAST_OUT" | grep -qF 'towards xid 4000000000' || fail "the target is not named"
	check "no marker" test ! -e "$PGDATA/pgpod-bootstrap.json"
	check "the attempt moved aside" test -n "$(ls -d "$PGDATA".failed-* 2>/dev/null)"
	expect_no_postgres_under "$(dirname "$PGDATA")"
	with_a stop_run TERM
}

# An in-place restore that fails (a --set the repository lacks) leaves the
# cluster stopped: pgpod gives up, with the reason in the termination log.
test_inplace_restore_failure_gives_up() {
	local rc
	start_a || return
	: >"$T/termination-log" && give_to_pg "$T/termination-log"
	with_a stop_run TERM
	with_a a_run --termination-log "$T/termination-log"
	with_a wait_code /readyz 200 60 || { fail "A not ready"; return; }
	a_yaml "      restore:
        enabled: true
        repoName: repo1
        options:
        - --set=20000101-000000F" '    postgres-operator.crunchydata.com/pgbackrest-restore: "bad"'
	wait_exit "$A_PID" 300 rc
	expect_rc "pgpod run after a failed in-place restore" 1 "$rc"
	expect_grep "the reason in the termination log" 'the in-place restore "bad" failed' "$T/termination-log"
	expect_no_postgres_under "$T/a"
	check "not recorded as applied" test "$(cat "$A_PGDATA/pgpod-restore-id" 2>/dev/null)" != bad
}

# PGO's dataSource.postgresCluster: the source's document in the same file
# says where repo1 is.
test_postgrescluster_source_document() {
	start_a || return
	a_sql "CREATE TABLE t (x int); INSERT INTO t VALUES (3)" >/dev/null && a_switch
	next_b
	cat >"$T/two.yaml" <<EOF
apiVersion: postgres-operator.crunchydata.com/v1beta1
kind: PostgresCluster
metadata:
  name: elephant
spec:
  postgresVersion: 15
  instances:
    - replicas: 1
  dataSource:
    postgresCluster:
      clusterName: hippo
      repoName: repo1
---
$(cat "$T/a.yaml")
EOF
	SPEC=$T/two.yaml
	restore_ok "restore from the source cluster's document" && expect_eq "rows" 3 "$(b_rows)"
	sed -n '/^---$/q;p' "$T/two.yaml" >"$T/one.yaml"
	SPEC=$T/one.yaml
	next_b
	pgpod_cmd restore
	expect_rc "restore without the source's document" 1 $?
	expect_grep "the missing document is named" 'the repository of cluster \"hippo\" is unknown' "$LAST_OUT"
	with_a stop_run TERM
}

# stop_pid_run PID DESC: SIGTERM to a pgpod run, exit 0 expected (other
# clusters of the test may still run).
stop_pid_run() {
	local rc
	kill -TERM "$1"
	wait_exit "$1" "$IT_TIMEOUT_STOP" rc
	expect_rc "$2 after SIGTERM" 0 "$rc"
}

# b_rows_now: B's rows of t while pgpod runs it.
b_rows_now() { psql_su postgres "SELECT coalesce(string_agg(x::text, ',' ORDER BY x), '') FROM t" 2>/dev/null; }
b_has_rows() { [ "$(b_rows_now)" = "$1" ]; }
b_lag_measured() { http_get /readyz | grep -q 'bytes behind its newest segment)'; }
b_is_primary() { [ "$(psql_su postgres 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; }

# Percona's migration: B, a standby fed from A's repository, follows A;
# A stops; B is promoted by switching standby off, writable on a new
# timeline with every row.
test_standby_from_repository_then_promoted() {
	start_a || return
	a_sql "CREATE TABLE t (x int); INSERT INTO t VALUES (1)" >/dev/null && a_switch
	next_b
	cat >"$T/b.yaml" <<EOF
apiVersion: pgv2.percona.com/v2
kind: PerconaPGCluster
metadata:
  name: cluster2
spec:
  postgresVersion: 15
  instances:
  - name: instance1
    replicas: 1
  standby:
    enabled: true
    repoName: repo1
  backups:
    pgbackrest:
      global:
        repo1-path: $REPO
        start-fast: "y"
      repos:
      - name: repo1
        volume:
          volumeClaimSpec: {}
EOF
	SPEC=$T/b.yaml
	pgpod_run_bg
	wait_code /readyz 200 120 || { fail "the standby did not become ready$(last_output_tail)"; return; }
	expect_eq "B is a standby" t "$(psql_su postgres 'SELECT pg_is_in_recovery()')"
	expect_eq "B's marker" restore "$(jq -r .method "$PGDATA/pgpod-bootstrap.json")"
	wait_for 100 0.2 b_has_rows 1 || fail "B does not have A's first row: [$(b_rows_now)]"
	a_sql "INSERT INTO t VALUES (2)" >/dev/null && a_switch
	wait_for 150 0.2 b_has_rows 1,2 || fail "B did not replay A's second row: [$(b_rows_now)]"
	# its readiness knows how far it is from the newest archived segment
	wait_for 100 0.3 b_lag_measured || fail "B's archive lag is not measured: $(http_get /readyz)"
	stop_pid_run "$A_PID" "pgpod run of A"
	sed 's/enabled: true/enabled: false/' "$T/b.yaml" >"$T/b.yaml.new" && mv "$T/b.yaml.new" "$T/b.yaml"
	wait_for 150 0.2 b_is_primary || { fail "B was not promoted$(last_output_tail)"; return; }
	psql_su postgres "INSERT INTO t VALUES (3)" >/dev/null || fail "B is not writable"
	expect_eq "B's rows" "1,2,3" "$(b_rows_now)"
	expect_eq "B's timeline" 00000002 "$(psql_su postgres "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)")"
	stop_pid_run "$RUN_PID" "pgpod run of B"
	expect_eq "B shut down" "shut down" "$(cluster_state "$PGDATA")"
}

# PGO's in-place restore: enabled in the spec, triggered by a new value of
# the annotation: A stops, is restored to the target time in place, runs
# again with the rows before it; the same value is not applied twice.
test_inplace_restore_by_annotation() {
	local when restore n
	start_a || return
	a_sql "CREATE TABLE t (x int); INSERT INTO t VALUES (1)" >/dev/null || return
	when=$(a_sql "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
	sleep 1.2
	a_sql "INSERT INTO t VALUES (2)" >/dev/null && a_switch
	restore="      restore:
        enabled: true
        repoName: repo1
        options:
        - --type=time
        - --target=\"$when\""
	a_yaml "$restore"
	sleep 3	# enabled without the annotation: nothing happens
	expect_eq "rows before the annotation" "1,2" "$(a_sql "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")"
	a_yaml "$restore" '    postgres-operator.crunchydata.com/pgbackrest-restore: "first"'
	wait_for 400 0.25 grep -qF 'in-place restore \"first\" done' "$A_OUT" ||
		{ fail "the in-place restore did not happen$(tail -5 "$A_OUT")"; return; }
	expect_grep "the phase said restoring" 'phase running -> restoring' "$A_OUT"
	with_a wait_code /readyz 200 60 || fail "A not ready after the restore"
	expect_eq "rows after the in-place restore" 1 "$(a_sql "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")"
	a_sql "INSERT INTO t VALUES (5)" >/dev/null || fail "A is not writable after the restore"
	with_a stop_run TERM
	with_a a_run
	with_a wait_code /readyz 200 60 || fail "A not ready after a restart"
	n=$(cat "$T"/out.*.run | grep -cF 'in-place restore \"first\" of')
	expect_eq "the restore ran once" 1 "$n"
	expect_eq "rows after a restart" "1,5" "$(a_sql "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")"
	with_a stop_run TERM
}

# A volume that fills during the restore: a clear error naming it, no
# marker, the attempt moved aside, and the next run after room is made
# restores.
test_full_disk_during_restore() {
	local rc vol
	[ "$IS_ROOT" = 1 ] || { echo "    (skipped: needs root to mount a small file system)"; return 0; }
	start_a || return
	a_sql "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 300000)" >/dev/null &&
		a_backup full || return
	vol=$T/vol
	mount_tmpfs "$vol" 40m || { with_a stop_run TERM; return 0; }
	PGDATA=$vol/pgdata
	RUN=$T/brun-full
	SOCK=$RUN
	b_spec "$T/b.yaml" --type=immediate
	pgpod_cmd restore
	rc=$?
	expect_rc "restore onto a 40 MB volume" 1 "$rc"
	log_msgs error "$LAST_OUT" | grep -qF 'is full' ||
		fail "no error saying the volume is full$(last_output_tail)"
	[ -e "$PGDATA/pgpod-bootstrap.json" ] && fail "a completion marker on a failed attempt"
	check "the attempt is moved aside" test -n "$(ls -d "$PGDATA".failed-* 2>/dev/null)"
	rm -rf "$PGDATA".failed-*
	mount -o remount,size=400m "$vol" || { fail "cannot grow the tmpfs"; return; }
	restore_ok "restore after room was made" && expect_eq "rows" 300000 "$(pg_start "$PGDATA" &&
		psql_su postgres 'SELECT count(*) FROM t'; pg_stop "$PGDATA")"
	umount "$vol"
	with_a stop_run TERM
}

# Percona's PerconaPGRestore in the same file: an in-place restore of the
# PerconaPGCluster it names, applied once (its name is its id).
test_inplace_restore_percona_document() {
	local when
	A_API=pgv2.percona.com/v2 A_KIND=PerconaPGCluster
	start_a || return
	a_sql "CREATE TABLE t (x int); INSERT INTO t VALUES (1)" >/dev/null || return
	when=$(a_sql "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
	sleep 1.2
	a_sql "INSERT INTO t VALUES (2)" >/dev/null && a_switch
	a_yaml ""
	cat >>"$T/a.yaml" <<EOF
---
apiVersion: pgv2.percona.com/v2
kind: PerconaPGRestore
metadata:
  name: restore-one
spec:
  pgCluster: hippo
  repoName: repo1
  options:
  - --type=time
  - --target="$when"
EOF
	touch "$T/a.yaml"
	wait_for 400 0.25 grep -qF 'in-place restore \"restore-one\" done' "$A_OUT" ||
		{ fail "the PerconaPGRestore was not applied$(tail -5 "$A_OUT")"; return; }
	with_a wait_code /readyz 200 60 || fail "A not ready after the restore"
	expect_eq "rows after the Percona restore" 1 "$(a_sql "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")"
	with_a stop_run TERM
}

# SIGKILL after every step, then a rerun: always a restored PGDATA.
test_sigkill_at_every_restore_step() {
	start_a || return
	a_sql "CREATE TABLE t (x int); INSERT INTO t VALUES (5)" >/dev/null && a_switch
	next_b; b_spec "$T/b.yaml"
	kill_at_each_step restore
	expect_eq "rows after the last rerun" 5 "$(b_rows)"
	with_a stop_run TERM
}

run_tests
