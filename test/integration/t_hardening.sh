#!/usr/bin/env bash
# Hardening: hostile or unlucky input survived, nothing lost, nothing leaked.
# A FIFO as a Secret key, SQL from Secrets under log_statement = all, a run
# dir that is not pgpod's, core dumps, the user's ALTER SYSTEM settings, a
# parent that cannot take a failed attempt, a stray copy pid beside a
# finished PGDATA, a source that accepts and never answers, SIGTERM during a
# long postInit statement, a job left behind by `kubectl exec`, a full disk.
. "$(dirname "$0")/lib.sh"

postmaster_pid() { head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null; }

# write_spec FILE: a CloudNativePG Cluster for initdb; extra YAML lines for
# spec.bootstrap.initdb from $INITDB_EXTRA, for spec from $SPEC_EXTRA.
write_spec() {
	cat >"$1" <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: hard
spec:
  instances: 1
  bootstrap:
    initdb:
      database: app
      owner: app
      secret:
        name: app-secret
${INITDB_EXTRA:-}
${SPEC_EXTRA:-}
EOF
	SPEC=$1
}

# A FIFO with no writer as a Secret key is refused at once (it used to hold
# pgpod for ever, SIGTERM blocked), with the field path.
test_fifo_secret_key_refused_at_once() {
	local APP_PW t0 rc
	make_basic_auth app-secret app APP_PW
	rm -f "$SECRETS/app-secret/password"
	mkfifo "$SECRETS/app-secret/password"
	write_spec "$T/spec.yaml"
	t0=$(ms_now)
	IT_TIMEOUT_INIT=20 pgpod_spec_check
	rc=$?
	expect_rc "spec check with a FIFO as the password" 2 "$rc"
	[ $(($(ms_now) - t0)) -lt 5000 ] || fail "spec check took $(($(ms_now) - t0)) ms"
	log_lines error "$LAST_ERR" | grep -F 'spec.bootstrap.initdb.secret' | grep -qF 'not a regular file' ||
		fail "no error naming the field and the FIFO$(last_output_tail)"
	# a one-shot command dies of SIGTERM
	mkfifo "$T/spec-fifo"
	SPEC=$T/spec-fifo
	pgpod_opts
	"$PGPOD" spec check "${PGPOD_OPTS[@]}" >"$T/sc.out" 2>&1 &
	sleep 0.3
	kill -TERM $! 2>/dev/null
	wait_exit $! 5 rc
	[ "$rc" != timeout ] || fail "spec check on a FIFO spec did not end on SIGTERM"
}

# SQL from a Secret never reaches a log, even with log_statement = all; its
# failure names the Secret, the key and the SQLSTATE, not the text.
test_secret_sql_never_logged() {
	local APP_PW rc secret1 secret2
	make_basic_auth app-secret app APP_PW
	secret1=$(new_password)
	secret2=$(new_password)
	mkdir -p "$SECRETS/sql-secret"
	printf "CREATE ROLE bob LOGIN PASSWORD '%s';\n" "$secret1" >"$SECRETS/sql-secret/ok.sql"
	printf "SELECT '%s' FROM no_such_table_%s;\n" "$secret2" "$secret2" >"$SECRETS/sql-secret/bad.sql"
	chmod -R a+rX "$SECRETS/sql-secret"
	SPEC_EXTRA='  postgresql:
    parameters:
      log_statement: all
      log_min_duration_statement: "0"'
	INITDB_EXTRA='      postInitSQLRefs:
        secretRefs:
        - name: sql-secret
          key: ok.sql'
	write_spec "$T/spec.yaml"
	pgpod_init
	expect_rc "init with Secret SQL under log_statement = all" 0 $? || return
	expect_no_grep "the Secret's password in the log" "$secret1" "$T"/out.* "$T"/err.*
	rm -rf "$T/data" "$T/run"
	INITDB_EXTRA='      postInitSQLRefs:
        secretRefs:
        - name: sql-secret
          key: bad.sql'
	write_spec "$T/spec2.yaml"
	pgpod_init
	rc=$?
	expect_rc "init with failing Secret SQL" 1 "$rc"
	log_lines error "$LAST_OUT" | grep -F 'secret sql-secret key bad.sql' | grep -qF 'SQLSTATE 42P01' ||
		fail "no error naming the Secret, its key and the SQLSTATE$(last_output_tail)"
	expect_no_grep "the failing Secret SQL in the log" "$secret2" "$T"/out.* "$T"/err.*
}

# A run dir of another user is refused (exit 2, named); pgpod's own that is
# open to others is made private.
test_run_dir_must_be_private() {
	local APP_PW rc
	[ "$IS_ROOT" = 1 ] || { echo "    (skipped: needs root to make another user's directory)"; return 0; }
	make_basic_auth app-secret app APP_PW
	write_spec "$T/spec.yaml"
	mkdir -p "$RUN"
	chown nobody: "$RUN"
	pgpod_init
	rc=$?
	expect_rc "init with a run dir of nobody" 2 "$rc"
	log_lines error "$LAST_OUT" | grep -F "$RUN" | grep -qF "belongs to uid" ||
		fail "the run dir is not named$(last_output_tail)"
	[ -e "$PGDATA/PG_VERSION" ] && fail "initdb ran with a refused run dir"
	chown postgres: "$RUN"
	chmod 0777 "$RUN"
	pgpod_init
	expect_rc "init with pgpod's own run dir, open to others" 0 $? || return
	expect_eq "run dir mode" 700 "$(stat -c %a "$RUN")"
}

# While pgpod holds secrets it is not dumpable and writes no core; postgres
# gets the core limit back.
test_not_dumpable_no_core() {
	local APP_PW pm
	make_basic_auth app-secret app APP_PW
	write_spec "$T/spec.yaml"
	ulimit -S -c 2048
	pgpod_run_bg
	expect_served "$APP_PW" || return
	expect_eq "pgpod's core limit" 0 "$(awk '/^Max core file size/ {print $5}' "/proc/$RUN_PID/limits")"
	# a process that is not dumpable has its /proc files owned by root
	expect_eq "owner of /proc/<pgpod>/environ" 0 "$(stat -c %u "/proc/$RUN_PID/environ")"
	pm=$(head -n 1 "$PGDATA/postmaster.pid")
	expect_eq "postgres' core limit" 2097152 "$(awk '/^Max core file size/ {print $5}' "/proc/$pm/limits")"
	stop_run TERM
}

# The user's ALTER SYSTEM settings survive a reload and a restart; one that
# overrides what pgpod manages is warned about.
test_alter_system_settings_kept() {
	local APP_PW
	make_basic_auth app-secret app APP_PW
	write_spec "$T/spec.yaml"
	pgpod_run_bg
	expect_served "$APP_PW" || return
	psql_su postgres "ALTER SYSTEM SET work_mem = '7MB'" >/dev/null || fail "ALTER SYSTEM work_mem"
	psql_su postgres "ALTER SYSTEM SET restore_command = '/bin/false'" >/dev/null ||
		fail "ALTER SYSTEM restore_command"
	kill -HUP "$RUN_PID"
	wait_for 50 0.1 grep -qF 'postgresql.auto.conf sets restore_command' "$RUN_OUT" ||
		fail "no warning about restore_command in postgresql.auto.conf$(last_output_tail)"
	expect_grep "restore_command kept after a reload" "restore_command = '/bin/false'" \
		"$PGDATA/postgresql.auto.conf"
	stop_run TERM
	pgpod_run_bg
	expect_served "$APP_PW" || return
	expect_grep "restore_command kept after a restart" "restore_command = '/bin/false'" \
		"$PGDATA/postgresql.auto.conf"
	expect_eq "work_mem from ALTER SYSTEM" 7MB "$(psql_su postgres 'SHOW work_mem' 2>&1)"
	stop_run TERM
}

# A parent that cannot take a failed attempt: the attempt stays in place,
# marked, and the next run replaces it (no crash loop, nothing else lost).
test_failed_attempt_in_place_replaced_by_next_run() {
	local APP_PW rc
	[ "$IS_ROOT" = 1 ] || { echo "    (skipped: needs root for a parent the user cannot write)"; return 0; }
	make_basic_auth app-secret app APP_PW
	mkdir -p "$T/ro/pgdata"
	chown postgres: "$T/ro/pgdata"
	chmod 755 "$T/ro"
	PGDATA=$T/ro/pgdata
	use_spec postinit-fail-sql.yaml
	pgpod_init
	rc=$?
	expect_rc "init with a failing postInitSQL" 1 "$rc"
	log_lines warn "$LAST_OUT" | grep -qF 'cannot be moved aside' ||
		fail "no warning that attempts cannot be moved aside$(last_output_tail)"
	[ -e "$PGDATA/.pgpod-failed-attempt" ] || fail "the failed attempt is not marked"
	[ -e "$PGDATA/PG_VERSION" ] || fail "the failed attempt is not kept in place"
	write_spec "$T/spec.yaml"
	pgpod_init
	expect_rc "the next init" 0 $? || return
	expect_bootstrapped "$PGDATA"
	[ -e "$PGDATA/.pgpod-failed-attempt" ] && fail "the mark is left in a finished PGDATA"
	return 0
}

# A changed spec full of nested aliases: the reload is refused (off the
# loop, within the expansion budget), /healthz stays 200, PID 1 stays small.
test_alias_bomb_reload_refused_loop_alive() {
	local APP_PW i rss bad=0
	make_basic_auth app-secret app APP_PW
	write_spec "$T/spec.yaml"
	pgpod_run_bg
	expect_served "$APP_PW" || return
	{
		cat "$T/spec.yaml"
		printf '  description: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n'
		for i in 1 2 3 4 5 6 7 8 9; do
			printf '  x%d: &a%d [' "$i" "$i"
			printf '*a%d,' $(seq 1 8 | sed "s/.*/$((i - 1))/")
			printf '*a%d]\n' $((i - 1))
		done
	} >"$T/spec.new"
	mv "$T/spec.new" "$T/spec.yaml"
	for i in $(seq 1 40); do
		[ "$(http_code /healthz)" = 200 ] || bad=$((bad + 1))
		grep -qF 'the changed spec is not applied' "$RUN_OUT" && break
		sleep 0.1
	done
	expect_grep "the reload is refused" "the changed spec is not applied" "$RUN_OUT"
	expect_grep "the alias bomb is named" "aliases expand the document" "$RUN_OUT"
	expect_eq "/healthz failures during the reload" 0 "$bad"
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$RUN_PID/status")
	echo "    pgpod after the refused reload: VmRSS ${rss} kB"
	[ "$rss" -lt 65536 ] || fail "pgpod holds ${rss} kB after the refused reload"
	expect_eq "still ready" 200 "$(http_code /readyz)"
	stop_run TERM
}

# 300 connections trickling a header byte every 2 s (a slowloris) do not
# keep /healthz from answering, and are dropped: a request head has a
# deadline that does not restart on every byte.
test_slow_clients_do_not_stall_probes() {
	local APP_PW i ok=0 spid t worst=0
	make_basic_auth app-secret app APP_PW
	write_spec "$T/spec.yaml"
	pgpod_run_bg
	expect_served "$APP_PW" || return
	python3 -c '
import socket, sys, time
conns = []
for i in range(300):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        s.send(b"G")
        conns.append(s)
    except OSError:
        pass
open(sys.argv[2], "w").write(str(len(conns)))
alive = len(conns)
end = time.time() + 12
while time.time() < end:
    time.sleep(2)
    for s in conns:
        try:
            s.send(b"E")
        except OSError:
            pass
' "$HTTP_PORT" "$T/slow.count" &
	spid=$!
	echo "$spid" >>"$T/.pids"
	wait_for 100 0.1 test -s "$T/slow.count" || fail "the slow clients did not connect"
	echo "    $(cat "$T/slow.count") slow connections open"
	for i in $(seq 1 8); do
		t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 3 \
			"http://127.0.0.1:$HTTP_PORT/healthz")
		[ "${t%% *}" = 200 ] && ok=$((ok + 1))
		t=$(awk -v s="${t#* }" 'BEGIN {printf "%d", s * 1000}')
		[ "$t" -gt "$worst" ] && worst=$t
		sleep 0.5
	done
	echo "    /healthz under 300 slow connections: $ok of 8 answered, slowest ${worst} ms"
	expect_eq "/healthz answers under 300 slow connections" 8 "$ok"
	kill "$spid" 2>/dev/null
	stop_run TERM
}

# --status-listen: /pg/status and /metrics on their own address, the
# probes alone on --listen; `pgpod status` finds the document.
test_status_listen_apart() {
	local APP_PW sport
	make_basic_auth app-secret app APP_PW
	write_spec "$T/spec.yaml"
	alloc_port sport || return
	pgpod_run_bg --status-listen "127.0.0.1:$sport"
	expect_served "$APP_PW" || return
	wait_code /readyz 200 10 || fail "not ready"
	expect_eq "/pg/status on --listen" 404 "$(http_code /pg/status)"
	expect_eq "/metrics on --listen" 404 "$(http_code /metrics)"
	expect_eq "/pg/status on --status-listen" 200 \
		"$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$sport/pg/status")"
	expect_eq "/healthz on --status-listen" 404 \
		"$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$sport/healthz")"
	pgpod_cmd status --status-listen "127.0.0.1:$sport"
	expect_rc "pgpod status --status-listen" 0 $?
	grep -q '"phase": *"running"' "$LAST_OUT" || fail "pgpod status did not print the document"
	stop_run TERM
}

# A stray .pgpod-copy.pid beside the completion marker changes nothing.
test_stray_copy_pid_beside_marker() {
	local APP_PW
	make_basic_auth app-secret app APP_PW
	write_spec "$T/spec.yaml"
	pgpod_init
	expect_rc "init" 0 $? || return
	echo 12345 >"$PGDATA/.pgpod-copy.pid"
	give_to_pg "$PGDATA/.pgpod-copy.pid"
	pgpod_run_bg
	expect_served "$APP_PW" || return
	ls -d "$PGDATA".failed-* >/dev/null 2>&1 && fail "the finished PGDATA was moved aside"
	grep -q '"logger":"initdb"' "$RUN_OUT" && fail "initdb ran again"
	stop_run TERM
}

# A source that accepts TCP and never answers, with connect_timeout 0:
# SIGTERM still ends pgpod within seconds, and says nothing about pid 0.
test_sigterm_while_source_hangs() {
	local APP_PW srcport rc t0 spid
	make_basic_auth app-secret app APP_PW
	alloc_port srcport || return
	python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
open(sys.argv[2], "w").close()
held = []
end = time.time() + 120
while time.time() < end:
    s.settimeout(1)
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
' "$srcport" "$T/src.ready" &
	spid=$!
	echo "$spid" >>"$T/.pids"
	wait_for 100 0.05 test -e "$T/src.ready" || { fail "the silent source did not listen"; return; }
	cat >"$T/spec.yaml" <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: hang
spec:
  instances: 1
  bootstrap:
    pg_basebackup:
      source: silent
  externalClusters:
  - name: silent
    connectionParameters:
      host: 127.0.0.1
      port: "$srcport"
      user: postgres
      connect_timeout: "0"
EOF
	SPEC=$T/spec.yaml
	pgpod_run_bg
	wait_for 50 0.1 grep -qF 'checking the source' "$RUN_OUT" || fail "the check did not start"
	sleep 2
	kill -0 "$RUN_PID" 2>/dev/null || { fail "pgpod did not wait on the silent source$(last_output_tail)"; return; }
	t0=$(ms_now)
	kill -TERM "$RUN_PID"
	wait_exit "$RUN_PID" 20 rc
	[ "$rc" != timeout ] || { fail "pgpod still runs 20 s after SIGTERM"; return; }
	echo "    SIGTERM while the source hangs -> exit $rc after $(($(ms_now) - t0)) ms"
	[ $(($(ms_now) - t0)) -lt 10000 ] || fail "exit took $(($(ms_now) - t0)) ms"
	expect_no_grep "no misleading message" "(pid 0)" "$RUN_OUT"
	kill "$spid" 2>/dev/null
}

# SIGTERM during a long postInit statement cancels it; nothing further
# runs; the attempt is moved aside.
test_sigterm_cancels_long_postinit_statement() {
	local APP_PW rc t0
	make_basic_auth app-secret app APP_PW
	INITDB_EXTRA='      postInitSQL:
      - SELECT pg_sleep(120)
      - CREATE TABLE must_not_exist (x int)'
	write_spec "$T/spec.yaml"
	pgpod_run_bg
	wait_for 200 0.1 grep -qF 'database system is ready to accept connections' "$RUN_OUT" ||
		fail "the temporary postgres did not start"
	sleep 1.5
	t0=$(ms_now)
	kill -TERM "$RUN_PID"
	wait_exit "$RUN_PID" 30 rc
	[ "$rc" != timeout ] || { fail "pgpod still runs 30 s after SIGTERM"; return; }
	echo "    SIGTERM during pg_sleep(120) -> exit $rc after $(($(ms_now) - t0)) ms"
	[ $(($(ms_now) - t0)) -lt 10000 ] || fail "exit took $(($(ms_now) - t0)) ms"
	log_lines error "$RUN_OUT" | grep -F 'postInitSQL[0] in database' | grep -qF 'was cancelled' ||
		fail "the cancel is not logged$(last_output_tail)"
	expect_no_grep "the next statement did not run" "ran postInitSQL[1]" "$RUN_OUT"
	ls -d "$PGDATA".failed-* >/dev/null 2>&1 || fail "the attempt was not moved aside"
	expect_no_postgres_under "$T"
}

# A process re-parented to pgpod that is not postgres' (a job `kubectl
# exec` left behind) neither blocks a restart nor is killed by it.
test_foreign_orphan_survives_restart() {
	local APP_PW job tready i pm
	make_basic_auth app-secret app APP_PW
	write_spec "$T/spec.yaml"
	pgpod_run_bg --restart-interval 0.2
	expect_served "$APP_PW" || return
	wait_code /readyz 200 10 || fail "not ready"
	psql_su postgres "COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; cd /; setsid sleep 300 >/dev/null 2>&1 & echo \$! >$RUN/job.pid; exit 0'" \
		>"$T/job.out" 2>&1 || fail "could not leave a job behind: $(cat "$T/job.out")"
	wait_for 50 0.1 test -s "$RUN/job.pid"
	job=$(cat "$RUN/job.pid")
	echo "$job" >>"$T/.pids"
	wait_for 50 0.1 sh -c "[ \"\$(awk '{print \$4}' /proc/$job/stat)\" = $RUN_PID ]" ||
		fail "the job was not re-parented to pgpod"
	pm=$(postmaster_pid)
	i=$(ms_now)
	kill -KILL "$pm"
	wait_code /readyz 503 5
	wait_code /readyz 200 10 && tready=$(($(ms_now) - i))
	echo "    kill -9 with a foreign orphan -> readyz 200 after ${tready:-?} ms"
	[ -n "$tready" ] || fail "postgres was not restarted"
	kill -0 "$job" 2>/dev/null || fail "the job left behind was killed"
	kill "$job" 2>/dev/null
	stop_run TERM
}

# A full volume: a clear error naming it, the attempt moved aside, and the
# next run after room is made succeeds.
test_full_disk_during_initdb() {
	local APP_PW rc vol
	[ "$IS_ROOT" = 1 ] || { echo "    (skipped: needs root to mount a small file system)"; return 0; }
	make_basic_auth app-secret app APP_PW
	vol=$T/vol
	mount_tmpfs "$vol" 12m || return 0
	PGDATA=$vol/pgdata
	write_spec "$T/spec.yaml"
	pgpod_init
	rc=$?
	expect_rc "init on a 12 MB volume" 1 "$rc"
	log_lines error "$LAST_OUT" | grep -qF 'is full' ||
		fail "no error saying the volume is full$(last_output_tail)"
	[ -e "$PGDATA/pgpod-bootstrap.json" ] && fail "a completion marker on a failed attempt"
	rm -rf "$vol"/pgdata.failed-*
	mount -o remount,size=200m "$vol" || { fail "cannot grow the tmpfs"; umount "$vol"; return; }
	pgpod_init
	expect_rc "init after room was made" 0 $?
	expect_bootstrapped "$PGDATA"
	umount "$vol"
}

# pg_wal on a file system of its own (initdb --waldir) is flushed too
# before the bootstrap is marked complete.
test_every_file_system_flushed() {
	local APP_PW vol
	[ "$IS_ROOT" = 1 ] || { echo "    (skipped: needs root to mount a file system)"; return 0; }
	make_basic_auth app-secret app APP_PW
	vol=$T/walvol
	mount_tmpfs "$vol" 200m || return 0
	mkdir "$vol/wal"
	chown postgres: "$vol/wal"
	INITDB_EXTRA="      options:
      - --waldir=$vol/wal"
	write_spec "$T/spec.yaml"
	pgpod_init
	expect_rc "init with pg_wal on its own file system" 0 $? || { umount "$vol"; return; }
	expect_grep "both file systems flushed" "flushed to disk: 2 file systems" "$LAST_OUT"
	umount "$vol"
}

# SIGKILL of pgpod after every step of the initdb bootstrap, then a rerun:
# always a finished PGDATA, never a refusal of pgpod's own attempt.
test_sigkill_at_every_initdb_step() {
	local APP_PW
	make_basic_auth app-secret app APP_PW
	INITDB_EXTRA='      postInitSQL:
      - CREATE TABLE t (x int)'
	write_spec "$T/spec.yaml"
	kill_at_each_step init
}

run_tests
