#!/usr/bin/env bash
# pgpod run as a supervisor: probes during a slow bootstrap, /pg/status and
# /metrics, in-place restarts after kill -9 and the restart limit, the
# shutdown sequence, reloads, PID 1 in a PID namespace, and a log burst.
. "$(dirname "$0")/lib.sh"

postmaster_pid() { head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null; }

test_probes_during_slow_bootstrap_then_status_and_metrics() {
	local APP_PW i h s r phase doc
	use_spec slow-bootstrap.yaml
	make_basic_auth app-secret app APP_PW
	pgpod_run_bg --pod-name it-pod-1
	wait_code /healthz 200 10 || fail "/healthz never answered 200$(last_output_tail)"
	for i in 1 2 3 4 5; do
		h=$(http_code /healthz)
		s=$(http_code /startupz)
		r=$(http_code /readyz)
		phase=$(status_field phase)
		expect_eq "healthz during the bootstrap (sample $i)" 200 "$h"
		expect_eq "startupz during the bootstrap (sample $i)" 503 "$s"
		expect_eq "readyz during the bootstrap (sample $i)" 503 "$r"
		expect_eq "phase during the bootstrap (sample $i)" '"bootstrapping"' "$phase"
		sleep 2
	done
	"$PGPOD" probe liveness --listen "127.0.0.1:$HTTP_PORT" >/dev/null 2>&1 ||
		fail "pgpod probe liveness failed during the bootstrap"
	"$PGPOD" probe readiness --listen "127.0.0.1:$HTTP_PORT" >"$T/probe.out" 2>&1
	expect_rc "pgpod probe readiness during the bootstrap" 1 $?
	wait_code /readyz 200 60 || { fail "/readyz not 200 after the bootstrap$(last_output_tail)"; return; }
	expect_eq "startupz after the bootstrap" 200 "$(http_code /startupz)"
	"$PGPOD" probe readiness --listen "127.0.0.1:$HTTP_PORT" >"$T/probe.out" 2>&1
	expect_rc "pgpod probe readiness when ready" 0 $?
	sleep 1.5	# one status query
	http_get /pg/status >"$T/status.json"
	doc=$(python3 - "$T/status.json" "$PGDATA" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
pgdata = sys.argv[2]
conf = open(pgdata + '/pgpod.conf').read()
hashline = [l for l in conf.splitlines() if l.startswith('# pgpod-config-hash: ')][0]
pid = int(open(pgdata + '/postmaster.pid').readline())
errs = []
def want(k, cond, what):
    if k not in d: errs.append(f'{k} missing')
    elif not cond(d[k]): errs.append(f'{k}: {d[k]!r} is not {what}')
want('pgpodVersion', lambda v: isinstance(v, str) and v, 'a version')
want('pod', lambda v: v == 'it-pod-1', 'it-pod-1')
want('phase', lambda v: v == 'running', 'running')
want('phaseCode', lambda v: v == 3, '3')
want('postmasterPid', lambda v: v == pid, f'{pid}')
want('postmasterStartTime', lambda v: isinstance(v, str) and v.endswith('Z') and 'T' in v, 'RFC 3339')
want('restarts', lambda v: v == 0, '0')
want('lastExit', lambda v: v is None, 'null')
want('isPrimary', lambda v: v is True, 'true')
want('inRecovery', lambda v: v is False, 'false')
want('timeline', lambda v: v == 1, '1')
want('systemId', lambda v: isinstance(v, str) and v.isdigit(), 'digits')
want('currentLsn', lambda v: isinstance(v, str) and '/' in v, 'an LSN')
want('receivedLsn', lambda v: v is None, 'null')
want('replayLsn', lambda v: v is None, 'null')
want('replayLagBytes', lambda v: v is None, 'null')
want('streaming', lambda v: v is None, 'null')
want('pendingRestart', lambda v: v is False, 'false')
want('pendingRestartParameters', lambda v: v == [], '[]')
want('serverVersion', lambda v: isinstance(v, str) and v.startswith('15'), '15.x')
want('bootstrap', lambda v: v['method'] == 'initdb' and v['durationSeconds'] >= 20 and v['finishedAt'].endswith('Z'), 'initdb, >= 20 s')
want('configHash', lambda v: v == hashline.split(': ')[1], 'the hash in pgpod.conf')
want('dataDirectory', lambda v: v == pgdata, pgdata)
want('ready', lambda v: v is True, 'true')
want('live', lambda v: v is True, 'true')
want('started', lambda v: v is True, 'true')
print(d['systemId'])
for e in errs: print('ERR ' + e)
EOF
)
	while IFS= read -r line; do
		case $line in ERR\ *) fail "/pg/status ${line#ERR }" ;; esac
	done <<<"$doc"
	expect_eq "systemId = pg_controldata's" "$(controldata_field "$PGDATA" 'Database system identifier')" "$(head -n 1 <<<"$doc")"
	http_get /metrics >"$T/metrics.txt"
	python3 "$IT_DIR/promparse.py" "$T/metrics.txt" >"$T/metrics.parsed" 2>"$T/metrics.err" ||
		fail "/metrics is not valid Prometheus text: $(cat "$T/metrics.err")"
	expect_grep "pgpod_up" 'pgpod_up{} 1' "$T/metrics.parsed"
	expect_grep "pgpod_phase running" 'pgpod_phase{} 3' "$T/metrics.parsed"
	expect_grep "restarts counter" 'pgpod_postgres_restarts_total{} 0' "$T/metrics.parsed"
	expect_grep "readyz 503s counted" 'pgpod_http_requests_total{code="503",path="/readyz"}' "$T/metrics.parsed"
	expect_grep "build info" 'pgpod_build_info{' "$T/metrics.parsed"
	expect_grep "bootstrap duration" 'pgpod_bootstrap_duration_seconds{} 2' "$T/metrics.parsed"
	# pgpod status: the same document from the running pgpod
	"$PGPOD" status --listen "127.0.0.1:$HTTP_PORT" >"$T/status2.json" 2>"$T/status2.err"
	expect_rc "pgpod status" 0 $?
	expect_eq "pgpod status phase" running "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phase"])' "$T/status2.json" 2>&1)"
	stop_run TERM
	# stopped: computed locally
	"$PGPOD" status --listen "127.0.0.1:$HTTP_PORT" --pgdata "$PGDATA" >"$T/status3.json" 2>"$T/status3.err"
	expect_rc "pgpod status with no pgpod running" 0 $?
	expect_eq "local status" "stopped initdb" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["phase"], d["bootstrap"]["method"])' "$T/status3.json" 2>&1)"
	"$PGPOD" probe liveness --listen "127.0.0.1:$HTTP_PORT" >/dev/null 2>&1
	expect_rc "pgpod probe liveness with no pgpod running" 1 $?
	"$PGPOD" probe nonsense --listen "127.0.0.1:$HTTP_PORT" >/dev/null 2>&1
	expect_rc "pgpod probe with a bad name" 2 $?
}

test_kill9_restarts_in_place_then_gives_up() {
	local APP_PW pm t0 t503="" tready="" i rc hz_bad=0
	make_basic_auth app-secret app APP_PW
	# Kubernetes provides the file, writable by the container's user
	: >"$T/termination-log"
	give_to_pg "$T/termination-log"
	pgpod_run_bg --restart-interval 0.2 --termination-log "$T/termination-log"
	expect_served "$APP_PW" || return
	wait_code /readyz 200 10 || fail "not ready"
	pm=$(postmaster_pid)
	t0=$(ms_now)
	kill -KILL "$pm"
	for i in $(seq 1 300); do
		[ "$(http_code /readyz)" = 503 ] && { t503=$(($(ms_now) - t0)); break; }
	done
	for i in $(seq 1 200); do
		[ "$(http_code /healthz)" = 200 ] || hz_bad=$((hz_bad + 1))
		[ "$(http_code /readyz)" = 200 ] && { tready=$(($(ms_now) - t0)); break; }
		sleep 0.02
	done
	echo "    kill -9 -> readyz 503 after ${t503:-?} ms, 200 again after ${tready:-?} ms"
	[ -n "$t503" ] && [ "$t503" -le 200 ] || fail "/readyz not 503 within 200 ms of kill -9 (${t503:-never})"
	[ -n "$tready" ] && [ "$tready" -le 3000 ] || fail "/readyz not 200 again within 3 s (${tready:-never})"
	expect_eq "/healthz failures while restarting" 0 "$hz_bad"
	expect_eq "restarts" 1 "$(status_field restarts)"
	case $(status_field lastExit) in *"signal 9"*) ;; *) fail "lastExit does not name signal 9: $(status_field lastExit)" ;; esac
	expect_eq "app still logs in" 1 "$(psql_app_tcp "$APP_PW" 'SELECT 1' 2>&1)"
	# every phase move is one log line with its reason
	expect_grep "the death's phase move" "phase running -> restarting: postmaster killed by signal 9" "$RUN_OUT"
	expect_grep "the restart's phase move" "phase restarting -> running: postgres is ready" "$RUN_OUT"
	expect_grep "the bootstrap's phase move" "phase stopped -> bootstrapping: PGDATA" "$RUN_OUT"
	expect_grep "the start's phase move" "phase bootstrapping -> starting: postgres started" "$RUN_OUT"
	# four more kills are restarted; the sixth death makes pgpod give up
	for i in 2 3 4 5 6; do
		wait_code /readyz 200 10 || { fail "not ready before kill $i"; return; }
		kill -KILL "$(postmaster_pid)"
		sleep 0.3
	done
	wait_exit "$RUN_PID" 20 rc
	expect_rc "pgpod after 6 kills within 60 s" 125 "$rc"
	expect_grep "termination log" "postgres died 6 times within 60 s" "$T/termination-log"
	expect_grep "the last phase move" "phase running -> failed: postgres died 6 times within 60 s" "$RUN_OUT"
	expect_no_postgres_under "$T"
}

# time_ms PATH: how long GET PATH takes, in whole ms (curl's time_total).
time_ms() {
	curl -s -o /dev/null -w '%{time_total}' --max-time 2 "http://127.0.0.1:$HTTP_PORT$1" |
		awk '{printf "%d", $1 * 1000}'
}

test_hung_postgres_status_answers_readyz_503() {
	local APP_PW pm i t worst=0 hz code=""
	make_basic_auth app-secret app APP_PW
	pgpod_run_bg
	expect_served "$APP_PW" || return
	wait_code /readyz 200 10 || fail "not ready"
	sleep 1.5	# one status query on a connection of its own
	pm=$(postmaster_pid)
	# every process of postgres stops: no query gets an answer
	procs_under "$PGDATA" >"$T/stopped"
	xargs kill -STOP <"$T/stopped"
	for i in $(seq 1 20); do
		t=$(time_ms /pg/status)
		[ "$t" -gt "$worst" ] && worst=$t
		sleep 0.05
	done
	echo "    postgres stopped: slowest /pg/status of 20 took $worst ms"
	[ "$worst" -lt 50 ] || fail "/pg/status took $worst ms while postgres hung (limit 50 ms)"
	for i in $(seq 1 200); do
		code=$(http_code /readyz)
		[ "$code" = 503 ] && break
		sleep 0.05
	done
	hz=$(http_code /healthz)
	xargs kill -CONT <"$T/stopped"
	expect_eq "/readyz while postgres hangs" 503 "$code"
	expect_eq "/healthz while postgres hangs" 200 "$hz"
	wait_code /readyz 200 10 || fail "/readyz not 200 again after SIGCONT"
	expect_eq "no restart" "$pm" "$(postmaster_pid)"
	stop_run TERM
}

# A backend busy in a long computation does not notice the death of its
# postmaster and keeps the shared memory attached: pgpod must end it, or
# the new postmaster refuses to start ("pre-existing shared memory block
# is still in use").
test_kill9_with_a_busy_backend() {
	local APP_PW pm busy t0 tready="" i
	make_basic_auth app-secret app APP_PW
	pgpod_run_bg --restart-interval 0
	expect_served "$APP_PW" || return
	wait_code /readyz 200 10 || fail "not ready"
	psql_app_tcp "$APP_PW" "SELECT count(*) FROM generate_series(1, 10000000000)" >/dev/null 2>&1 &
	echo $! >>"$T/.pids"
	for i in $(seq 1 100); do
		busy=$(psql_su postgres "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT count(*) FROM generate_series%' AND pid <> pg_backend_pid()" 2>/dev/null)
		[ -n "$busy" ] && break
		sleep 0.1
	done
	[ -n "$busy" ] || { fail "the busy backend never showed up"; return; }
	sleep 0.5
	pm=$(postmaster_pid)
	t0=$(ms_now)
	kill -KILL "$pm"
	for i in $(seq 1 300); do
		[ "$(http_code /readyz)" = 200 ] && [ "$(postmaster_pid)" != "$pm" ] &&
			{ tready=$(($(ms_now) - t0)); break; }
		sleep 0.02
	done
	echo "    kill -9 with a busy backend -> readyz 200 after ${tready:-?} ms"
	[ -n "$tready" ] || fail "postgres did not come back within 6 s$(last_output_tail)"
	kill -0 "$busy" 2>/dev/null && fail "the busy backend $busy of the dead postmaster still runs"
	expect_no_grep "no shared memory conflict" "pre-existing shared memory block" "$RUN_OUT"
	expect_eq "restarts" 1 "$(status_field restarts)"
	stop_run TERM
}

test_stale_pidfile_removed_live_postgres_refused() {
	local APP_PW rc other
	make_basic_auth app-secret app APP_PW
	pgpod_init
	expect_rc "pgpod init" 0 $? || return
	# a postmaster.pid left by a postmaster that is gone
	printf '999999\n%s\n0\n%s\n\n\n\nready\n' "$PGDATA" "$PORT" >"$PGDATA/postmaster.pid"
	give_to_pg "$PGDATA/postmaster.pid"
	pgpod_run_bg
	expect_served "$APP_PW" || return
	# a second pgpod on the same PGDATA refuses the live postgres
	alloc_port other
	pgpod_opts
	timeout 60 "$PGPOD" run "${PGPOD_OPTS[@]}" --listen "127.0.0.1:$other" >"$T/second.out" 2>&1
	rc=$?
	[ "$rc" != 0 ] || fail "a second pgpod run on a live PGDATA exited 0"
	expect_grep "second pgpod names the live postgres" "another postgres (pid $(postmaster_pid)) is running" "$T/second.out"
	expect_eq "the first postgres is untouched" 1 "$(psql_app_tcp "$APP_PW" 'SELECT 1' 2>&1)"
	stop_run TERM
}

test_smart_shutdown_escalates_to_fast() {
	local APP_PW rc t0 secs
	use_spec shutdown-timeouts.yaml
	make_basic_auth app-secret app APP_PW
	pgpod_run_bg
	expect_served "$APP_PW" || return
	psql_app_tcp "$APP_PW" "BEGIN; SELECT pg_sleep(120)" >/dev/null 2>&1 &
	echo $! >>"$T/.pids"
	sleep 1
	t0=$(ms_now)
	kill -TERM "$RUN_PID"
	wait_exit "$RUN_PID" 40 rc
	secs=$((($(ms_now) - t0)))
	echo "    SIGTERM with an open transaction: exit after $secs ms"
	expect_rc "pgpod run after the escalation" 0 "$rc"
	[ "$secs" -ge 2900 ] || fail "stopped before smartShutdownTimeout (3 s): $secs ms"
	[ "$secs" -le 15000 ] || fail "smart did not escalate to fast soon after 3 s: $secs ms"
	expect_grep "fast step logged" "fast shutdown of postgres" "$RUN_OUT"
	expect_eq "cluster state" "shut down" "$(cluster_state "$PGDATA")"
}

test_second_sigterm_escalates_at_once() {
	local APP_PW rc t0 ms
	use_spec shutdown-timeouts.yaml
	make_basic_auth app-secret app APP_PW
	pgpod_run_bg
	expect_served "$APP_PW" || return
	psql_app_tcp "$APP_PW" "SELECT pg_sleep(120)" >/dev/null 2>&1 &
	echo $! >>"$T/.pids"
	sleep 1
	kill -TERM "$RUN_PID"
	sleep 0.5
	kill -0 "$RUN_PID" 2>/dev/null || fail "pgpod exited although smart shutdown was blocked"
	t0=$(ms_now)
	kill -TERM "$RUN_PID"
	wait_exit "$RUN_PID" 20 rc
	ms=$(($(ms_now) - t0))
	echo "    second SIGTERM -> exit after $ms ms"
	expect_rc "pgpod run after two SIGTERMs" 0 "$rc"
	[ "$ms" -le 2000 ] || fail "the second SIGTERM did not escalate at once ($ms ms)"
	expect_eq "cluster state" "shut down" "$(cluster_state "$PGDATA")"
}

test_sigterm_during_bootstrap() {
	local APP_PW rc
	use_spec slow-bootstrap.yaml
	make_basic_auth app-secret app APP_PW
	pgpod_run_bg
	wait_code /healthz 200 10 || fail "/healthz never answered"
	sleep 3
	kill -TERM "$RUN_PID"
	sleep 0.5	# two signals sent at once would merge into one
	kill -TERM "$RUN_PID"	# the open postInit session would hold a smart stop
	wait_exit "$RUN_PID" 30 rc
	[ "$rc" != timeout ] || fail "pgpod did not stop during the bootstrap"
	expect_no_postgres_under "$T"
	[ ! -e "$PGDATA/PG_VERSION" ] || fail "the interrupted attempt was left in PGDATA"
	ls -d "$PGDATA".failed-* >/dev/null 2>&1 || fail "the interrupted attempt was not moved aside"
}

# write_spec FILE WORK_MEM SHARED_BUFFERS: a spec, swapped in by rename
# (like a ConfigMap volume's symlink swap).
write_spec() {
	cat >"$1.new" <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: reload
spec:
  instances: 1
  postgresql:
    parameters:
      work_mem: $2
      shared_buffers: $3
  bootstrap:
    initdb:
      database: app
      owner: app
      secret:
        name: app-secret
EOF
	chmod 644 "$1.new"
	mv "$1.new" "$1"
}

test_reload_parameters_and_password() {
	local APP_PW NEW_PW pm i
	write_spec "$T/spec.yaml" 4MB 128MB
	use_spec "$T/spec.yaml"
	make_basic_auth app-secret app APP_PW
	pgpod_run_bg
	expect_served "$APP_PW" || return
	pm=$(postmaster_pid)
	write_spec "$SPEC" 12MB 128MB
	for i in $(seq 1 40); do
		[ "$(psql_app_tcp "$APP_PW" 'SHOW work_mem' 2>/dev/null)" = 12MB ] && break
		sleep 0.25
	done
	expect_eq "work_mem after the spec change" 12MB "$(psql_app_tcp "$APP_PW" 'SHOW work_mem' 2>&1)"
	expect_eq "no restart for work_mem" "$pm" "$(postmaster_pid)"
	write_spec "$SPEC" 12MB 256MB
	for i in $(seq 1 40); do
		[ "$(status_field pendingRestart)" = true ] && break
		sleep 0.25
	done
	expect_eq "pendingRestart after shared_buffers" true "$(status_field pendingRestart)"
	expect_eq "pendingRestartParameters" '["shared_buffers"]' "$(status_field pendingRestartParameters)"
	expect_eq "no restart for shared_buffers" "$pm" "$(postmaster_pid)"
	# a broken spec keeps the last good one
	printf 'spec: [unclosed\n' >"$SPEC.new" && mv "$SPEC.new" "$SPEC"
	sleep 3
	expect_grep "bad spec logged" "pgpod keeps running with the last good one" "$RUN_OUT"
	expect_eq "still serving" 12MB "$(psql_app_tcp "$APP_PW" 'SHOW work_mem' 2>&1)"
	write_spec "$SPEC" 12MB 256MB
	# rotate the app password
	NEW_PW=$(new_password)
	printf '%s' "$NEW_PW" >"$SECRETS/app-secret/password.new"
	chmod 644 "$SECRETS/app-secret/password.new"
	mv "$SECRETS/app-secret/password.new" "$SECRETS/app-secret/password"
	for i in $(seq 1 40); do
		psql_app_tcp "$NEW_PW" 'SELECT 1' >/dev/null 2>&1 && break
		sleep 0.25
	done
	expect_eq "the new password logs in" 1 "$(psql_app_tcp "$NEW_PW" 'SELECT 1' 2>&1)"
	psql_app_tcp "$APP_PW" 'SELECT 1' >/dev/null 2>&1 && fail "the old password still logs in"
	expect_no_grep "no password in the log" "$NEW_PW" "$RUN_OUT" "$RUN_ERR"
	kill -HUP "$RUN_PID"
	sleep 1
	expect_grep "SIGHUP reloads" "SIGHUP: reloading the spec" "$RUN_OUT"
	stop_run TERM
}

test_pid1_reaps_orphans_and_stops_cleanly() {
	local APP_PW inner rc zombies nsl
	[ "$IS_ROOT" = 1 ] || { echo "    (skipped: needs root for a PID namespace)"; return 0; }
	command -v unshare >/dev/null || { fail "unshare missing"; return; }
	make_basic_auth app-secret app APP_PW
	pgpod_opts
	_next_out run
	RUN_OUT=$LAST_OUT
	RUN_ERR=$T/unshare.err
	set -m
	(cd "$T" && exec unshare --pid --fork --mount-proc "$PGPOD" run "${PGPOD_OPTS[@]}") \
		</dev/null >"$RUN_OUT" 2>"$T/unshare.err" &
	RUN_PID=$!
	set +m
	echo "$RUN_PID" >>"$T/.pids"
	expect_served "$APP_PW" || return
	inner=$(pgrep -P "$RUN_PID" | head -n 1)
	expect_eq "pgpod is PID 1 in its namespace" 1 "$(awk '/^NSpid:/ {print $3}' "/proc/$inner/status")"
	# an orphan: a shell started by postgres that leaves a background sleep
	# (it reads the COPY data first: exiting before postgres wrote it would
	# fail the COPY with a broken pipe)
	psql_su postgres "COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; sleep 1 >/dev/null 2>&1 & exit 0'" \
		>"$T/orphan.out" 2>&1 || fail "could not make an orphan: $(cat "$T/orphan.out")"
	sleep 2.5
	nsl=$(readlink "/proc/$inner/ns/pid")
	zombies=0
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/ns/pid" 2>/dev/null)" = "$nsl" ] || continue
		[ "$(awk '{print $3}' "$d/stat" 2>/dev/null)" = Z ] && zombies=$((zombies + 1))
	done
	expect_eq "zombies in the namespace" 0 "$zombies"
	kill -TERM "$inner"
	wait_exit "$RUN_PID" "$IT_TIMEOUT_STOP" rc
	expect_rc "pgpod as PID 1 after SIGTERM" 0 "$rc"
	expect_eq "cluster state" "shut down" "$(cluster_state "$PGDATA")"
	# SIGKILL of PID 1: the namespace ends and takes postgres with it
	set -m
	(cd "$T" && exec unshare --pid --fork --mount-proc "$PGPOD" run "${PGPOD_OPTS[@]}") \
		</dev/null >"$T/second.out" 2>&1 &
	RUN_PID=$!
	set +m
	echo "$RUN_PID" >>"$T/.pids"
	expect_served "$APP_PW" || return
	inner=$(pgrep -P "$RUN_PID" | head -n 1)
	kill -KILL "$inner"
	wait_exit "$RUN_PID" 20 rc
	sleep 1
	expect_no_postgres_under "$T"
}

test_log_burst_100000_lines() {
	local APP_PW
	make_basic_auth app-secret app APP_PW
	pgpod_run_bg
	expect_served "$APP_PW" || return
	psql_su postgres "DO \$\$ BEGIN FOR i IN 1..100000 LOOP RAISE LOG 'burst %', i; END LOOP; END \$\$" >/dev/null ||
		fail "the burst failed"
	sleep 1
	stop_run TERM
	python3 - "$RUN_OUT" >"$T/burst.out" 2>&1 <<'EOF' || fail "burst: $(cat "$T/burst.out")"
import json, sys
seen, bad = [], 0
for line in open(sys.argv[1], encoding='utf-8'):
    try:
        d = json.loads(line)
    except ValueError:
        bad += 1
        continue
    m = d.get('msg', '')
    if d.get('logger') == 'postgres' and m.startswith('burst '):
        seen.append(int(m[6:]))
if bad or seen != list(range(1, 100001)):
    print(f'{bad} invalid lines; {len(seen)} burst lines, in order: {seen == sorted(seen)}')
    sys.exit(1)
EOF
}

run_tests
