#!/usr/bin/env bash
# pgpod run: bootstraps an empty PGDATA, serves SQL on 127.0.0.1:PORT with the
# socket in --run-dir, and on SIGTERM/SIGINT stops postgres (fast) and exits 0
# leaving a cleanly shut down cluster and no postgres process.
. "$(dirname "$0")/lib.sh"

HBA_WITH_USER_LINE='local all postgres peer map=pgpod
host app app 10.0.0.0 255.0.0.0 scram-sha-256
host replication streaming_replica all scram-sha-256
local all all scram-sha-256
host all all all scram-sha-256'

test_run_bootstraps_serves_and_stops_on_sigterm() {
	local APP_PW pm_pid
	use_spec run-hba.yaml
	make_basic_auth app-secret app APP_PW
	SOCK=$RUN
	pgpod_run_bg
	expect_served "$APP_PW" || return
	expect_bootstrapped "$PGDATA"
	expect_eq "app over TCP" "app@app" "$(psql_app_tcp "$APP_PW" "SELECT current_user || '@' || current_database()" 2>&1)"
	expect_eq "listen_addresses" 127.0.0.1 "$(psql_app_tcp "$APP_PW" "SHOW listen_addresses" 2>&1)"
	expect_eq "port" "$PORT" "$(psql_app_tcp "$APP_PW" "SHOW port" 2>&1)"
	expect_eq "work_mem from spec.postgresql.parameters" 8MB "$(psql_app_tcp "$APP_PW" "SHOW work_mem" 2>&1)"
	expect_eq "superuser over the socket in --run-dir" postgres "$(psql_su postgres "SELECT current_user" 2>&1)"
	expect_eq "unix_socket_directories" "$RUN" "$(psql_su postgres "SHOW unix_socket_directories" 2>&1)"
	expect_eq "pg_hba_file_rules (spec.postgresql.pg_hba after the peer line)" "$HBA_WITH_USER_LINE" "$(hba_rules 2>&1)"
	# postgres is pgpod's direct child
	pm_pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null)
	expect_eq "parent of the postmaster" "$RUN_PID" "$(awk '{print $4}' "/proc/$pm_pid/stat" 2>/dev/null)"
	stop_run TERM
	expect_log_lines_json "$RUN_OUT"
}

test_run_on_bootstrapped_pgdata_stops_on_sigint() {
	local APP_PW marker
	use_spec initdb-plain.yaml
	make_basic_auth app-secret app APP_PW
	pgpod_init
	expect_rc "pgpod init" 0 $? || return
	marker=$(cat "$PGDATA/pgpod-bootstrap.json")
	SOCK=$RUN
	pgpod_run_bg
	expect_served "$APP_PW" || return
	expect_eq "completion marker unchanged by run" "$marker" "$(cat "$PGDATA/pgpod-bootstrap.json")"
	grep -q '"logger":"initdb"' "$RUN_OUT" && fail "pgpod run ran initdb again on a bootstrapped PGDATA"
	psql_app_tcp "$APP_PW" "CREATE TABLE survives (x int); INSERT INTO survives VALUES (42)" >/dev/null 2>&1 ||
		fail "app cannot write to its database"
	stop_run INT
	# a second run sees the data of the first
	pgpod_run_bg
	expect_served "$APP_PW" || return
	expect_eq "data kept across runs" 42 "$(psql_app_tcp "$APP_PW" "SELECT x FROM survives" 2>&1)"
	stop_run TERM
}

# pgpod run refused before the supervisor starts (here the spec's Secret is
# not mounted): exit 2, nothing written to PGDATA, and the termination log
# (a path given here; Kubernetes' /dev/termination-log in a pod) says why.
test_run_refused_says_why_in_the_termination_log() {
	use_spec run-hba.yaml
	pgpod_cmd run --termination-log "$T/termination-log"
	expect_rc "pgpod run without its Secret" 2 $?
	expect_grep "the termination log" 'pgpod run refused to start (exit 2): spec.bootstrap.initdb.secret.name: secret "app-secret" does not exist' "$T/termination-log"
	[ -e "$PGDATA" ] && [ -n "$(ls -A "$PGDATA")" ] && fail "PGDATA was written: $(ls -A "$PGDATA")"
	return 0
}

run_tests
