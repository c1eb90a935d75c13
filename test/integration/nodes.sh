# shellcheck shell=bash
# test/integration/nodes.sh — several instances of one cluster in one test,
# for the test files that need replicas (t_replicas.sh, t_tls.sh). Sourced
# after lib.sh.

# Several instances in one test: instance N has its own PGDATA, run dir (the
# socket), SQL and HTTP ports, spec and pgpod run; `node N` makes them the
# globals lib.sh's helpers use. The n* helpers run in a subshell so that
# they leave the current instance alone.

declare -a NODE_PORT NODE_HTTP NODE_SPEC NODE_PID NODE_OUT NODE_ERR

# nodes_alloc N: ports for instances 1..N (instance 1 keeps the test's own).
nodes_alloc() {
	local i
	NODE_PORT[1]=$PORT
	NODE_HTTP[1]=$HTTP_PORT
	for ((i = 2; i <= $1; i++)); do
		alloc_port "NODE_PORT[$i]" || return 1
		alloc_port "NODE_HTTP[$i]" || return 1
	done
}

# node N: instance N's paths, ports, spec and pgpod run become the current.
# shellcheck disable=SC2034 # SOCK, LAST_* are read by lib.sh
node() {
	PGDATA=$T/n$1/pgdata
	RUN=$T/n$1/run
	SOCK=$RUN
	PORT=${NODE_PORT[$1]}
	HTTP_PORT=${NODE_HTTP[$1]}
	SPEC=${NODE_SPEC[$1]:-$SPEC}
	RUN_PID=${NODE_PID[$1]:-}
	RUN_OUT=${NODE_OUT[$1]:-}
	RUN_ERR=${NODE_ERR[$1]:-}
	LAST_OUT=$RUN_OUT
	LAST_ERR=$RUN_ERR
}

# start_node N POD [ARGS...]: `pgpod run --pod-name POD` for instance N, its
# primary being instance 1 on 127.0.0.1.
start_node() {
	local n=$1 pod=$2
	shift 2
	node "$n"
	pgpod_run_bg --pod-name "$pod" --primary-host 127.0.0.1 --primary-port "${NODE_PORT[1]}" "$@"
	NODE_PID[n]=$RUN_PID
	NODE_OUT[n]=$RUN_OUT
	NODE_ERR[n]=$RUN_ERR
}

# alive N: instance N's pgpod run has not exited.
alive() {
	local pid=${NODE_PID[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# stop_node N STATE: SIGTERM instance N's pgpod run; exit 0 within
# $IT_TIMEOUT_STOP s and pg_controldata's STATE ("shut down", "shut down in
# recovery"), no postgres left in its PGDATA.
stop_node() {
	local rc
	node "$1"
	kill -TERM "$RUN_PID" 2>/dev/null
	wait_exit "$RUN_PID" "$IT_TIMEOUT_STOP" rc
	expect_rc "pgpod run of instance $1 after SIGTERM" 0 "$rc"
	expect_eq "pg_controldata state of instance $1" "$2" "$(cluster_state "$PGDATA")"
	expect_no_postgres_under "$PGDATA"
	NODE_PID[$1]=
}

nsql() { (node "$1" && psql_su "$2" "$3"); }
ntcp() { (node "$1" && psql_tcp "$2" "$3" "$4" "$5"); }
ncode() { (node "$1" && http_code "$2"); }
nbody() { (node "$1" && http_get "$2"); }
nfield() { (node "$1" && status_field "$2"); }
nwait_code() { (node "$1" && wait_code "$2" "$3" "$4"); }
nout() { printf '%s' "${NODE_OUT[$1]}"; }

# ntail N: the tail of instance N's pgpod run output, for failure messages.
ntail() { (node "$1" && last_output_tail); }

# wait_ready T0 SECS N...: wait (bounded) until /readyz of every instance N
# answers 200; READY_MS[N] = ms from T0 (ms_now) to that, empty when it did
# not within SECS or its pgpod exited.
declare -a READY_MS
wait_ready() {
	local t0=$1 secs=$2 i n pending
	shift 2
	for n in "$@"; do READY_MS[n]=; done
	for ((i = 0; i < secs * 20; i++)); do
		pending=0
		for n in "$@"; do
			[ -n "${READY_MS[n]}" ] && continue
			if [ "$(ncode "$n" /readyz)" = 200 ]; then
				READY_MS[n]=$(($(ms_now) - t0))
			elif alive "$n"; then
				pending=1
			fi
		done
		[ $pending = 0 ] && break
		sleep 0.05
	done
	for n in "$@"; do [ -n "${READY_MS[n]}" ] || return 1; done
	return 0
}

# expect_ready T0 SECS N...: wait_ready, one failure per instance that is not.
expect_ready() {
	local t0=$1 secs=$2 n
	shift 2
	wait_ready "$t0" "$secs" "$@" && return 0
	for n in "$@"; do
		[ -n "${READY_MS[n]}" ] && continue
		if alive "$n"; then
			fail "/readyz of instance $n not 200 within ${secs}s: $(nbody "$n" /readyz)$(ntail "$n")"
		else
			fail "pgpod run of instance $n exited before it was ready$(ntail "$n")"
		fi
	done
	return 1
}

# wait_rows N DB SQL EXPECTED SECS: poll SQL on instance N every 50 ms until
# it prints EXPECTED (bounded).
wait_rows() {
	local i
	for ((i = 0; i < $5 * 20; i++)); do
		[ "$(nsql "$1" "$2" "$3" 2>/dev/null)" = "$4" ] && return 0
		sleep 0.05
	done
	return 1
}

# put_file FILE: stdin into FILE, atomically (a temp file, then mv), the way
# a mounted ConfigMap changes.
put_file() {
	cat >"$1.new" && chmod 644 "$1.new" && mv "$1.new" "$1"
}
