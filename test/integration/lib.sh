# test/integration/lib.sh — the harness of pgpod's integration tests.
#
# Sourced by every test/integration/t_*.sh. A test file defines functions named
# test_* and ends with `run_tests`; each test runs in a subshell with a fresh
# base directory $T (0755, under /tmp), its own free ports on 127.0.0.1, and is
# followed by a cleanup that stops, by PID, everything it started (pgpod, and
# any postgres whose postmaster.pid or working directory lies under $T).
#
# Assertions record failures and let the test go on (fail, check, expect_*);
# a test passes when it returns 0 and recorded no failure. Every wait is
# bounded. Passwords never go through argv or the environment: psql gets a
# 0600 passfile.

set -u

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$IT_DIR/../.." && pwd)
PGPOD=${PGPOD_BIN:-$ROOT/pgpod}
FIXTURES=$ROOT/test/fixtures/integration
# shellcheck disable=SC2034 # used by the test files
INVALID_FIXTURES=$ROOT/test/fixtures/invalid
PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null)}

# Bounds (seconds) for everything that waits.
IT_TIMEOUT_INIT=${IT_TIMEOUT_INIT:-180} # one pgpod init / spec check
IT_TIMEOUT_SQL=${IT_TIMEOUT_SQL:-30}    # one psql call
IT_TIMEOUT_START=${IT_TIMEOUT_START:-90} # pgpod run until SQL is served
IT_TIMEOUT_STOP=${IT_TIMEOUT_STOP:-60}  # SIGTERM until exit

if [ "$(id -u)" = 0 ]; then
	IS_ROOT=1
else
	IS_ROOT=0
fi

unset PGPASSWORD PGPASSFILE PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGDATA \
	PGPOD_SPEC PGPOD_SECRETS_DIR PGPOD_CONFIGMAPS_DIR PGPOD_RUN_DIR \
	PGPOD_PG_PORT PGPOD_PG_LISTEN PGPOD_LISTEN PGPOD_USER PGPOD_LOG_LEVEL \
	PGPOD_PG_BIN 2>/dev/null

# ---------------------------------------------------------------- JSON helpers

# json_valid FILE: FILE holds one JSON document.
json_valid() {
	if command -v jq >/dev/null 2>&1; then
		jq -e . <"$1" >/dev/null 2>&1
	else
		python3 -m json.tool <"$1" >/dev/null 2>&1
	fi
}

# jsonl_valid FILE: every non-empty line is a JSON object with ts, level,
# logger and msg. Prints the first offending line.
jsonl_valid() {
	local line n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		[ -z "$line" ] && continue
		if command -v jq >/dev/null 2>&1; then
			printf '%s' "$line" | jq -e 'type=="object" and has("ts") and has("level") and has("logger") and has("msg")' >/dev/null 2>&1
		else
			printf '%s' "$line" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if isinstance(d,dict) and all(k in d for k in ("ts","level","logger","msg")) else 1)' 2>/dev/null
		fi || {
			printf 'line %d: %s\n' "$n" "$line"
			return 1
		}
	done <"$1"
	return 0
}

# log_lines LEVEL FILE...: the JSON log lines of that level, one per line
# (lines that are not JSON are skipped).
log_lines() {
	local level=$1
	shift
	if command -v jq >/dev/null 2>&1; then
		cat "$@" 2>/dev/null | jq -R -c --arg l "$level" 'fromjson? | select(type=="object" and .level==$l)'
	else
		cat "$@" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if isinstance(d, dict) and d.get("level") == sys.argv[1]:
        print(json.dumps(d))' "$level"
	fi
}

# log_msgs LEVEL FILE...: the msg of each log line of that level.
log_msgs() {
	local level=$1
	shift
	if command -v jq >/dev/null 2>&1; then
		cat "$@" 2>/dev/null | jq -R -r --arg l "$level" 'fromjson? | select(type=="object" and .level==$l) | .msg'
	else
		log_lines "$level" "$@" | python3 -c 'import json,sys; [print(json.loads(l).get("msg")) for l in sys.stdin]'
	fi
}

# ------------------------------------------------------------------ assertions

IT_FAILS=/dev/null

# fail MSG: record a failed assertion (the test goes on) and return 1.
fail() {
	printf '    not ok: %s\n' "$*"
	printf '%s\n' "$*" >>"$IT_FAILS"
	return 1
}

# check DESC CMD...: CMD must succeed.
check() {
	local desc=$1
	shift
	"$@" >/dev/null 2>&1 || fail "$desc"
}

# expect_eq DESC EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] && return 0
	fail "$1: expected [$2], got [$3]"
}

# expect_rc DESC EXPECTED ACTUAL: an exit status, with the tail of the last
# pgpod output when it differs.
expect_rc() {
	[ "$2" = "$3" ] && return 0
	fail "$1: expected exit $2, got $3$(last_output_tail)"
}

# expect_grep DESC FIXED-STRING FILE...: some line of FILE contains the string.
expect_grep() {
	local desc=$1 needle=$2
	shift 2
	grep -qF -- "$needle" "$@" 2>/dev/null && return 0
	fail "$desc: [$needle] not found$(last_output_tail)"
}

# expect_no_grep DESC FIXED-STRING FILE...: no line of FILE contains it
# (the string itself is not printed: it may be a password).
expect_no_grep() {
	local desc=$1 needle=$2
	shift 2
	if grep -lF -- "$needle" "$@" 2>/dev/null | head -3 | grep -q .; then
		fail "$desc (in: $(grep -lF -- "$needle" "$@" 2>/dev/null | tr '\n' ' '))"
		return 1
	fi
	return 0
}

# last_output_tail: the last lines of the last pgpod command's output, for
# failure messages.
last_output_tail() {
	local f
	for f in "${LAST_OUT:-}" "${LAST_ERR:-}"; do
		if [ -z "$f" ] || [ ! -s "$f" ]; then continue; fi
		printf '\n      --- tail of %s:\n' "${f#"$T"/}"
		tail -n 8 "$f" | cut -c1-400 | sed 's/^/      | /'
	done
}

# ---------------------------------------------------------------- ports

# Test ports lie below the kernel's ephemeral range (ip_local_port_range,
# 32768-60999 by default): a port in that range can be taken by any outgoing
# connection between the moment it is found free and the moment a server
# binds it, which made a replica's postgres fail with "Address already in use".
IT_PORT_HI=$(( $(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768) - 1 ))
[ "$IT_PORT_HI" -gt 10000 ] || IT_PORT_HI=32767
IT_PORT_LO=$((IT_PORT_HI - 8000))
IT_NEXT_PORT=$((IT_PORT_LO + ($$ % 700) * 10))

port_is_free() {
	if command -v ss >/dev/null 2>&1; then
		! ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q .
	else
		! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

# alloc_port VAR: the next free TCP port (IT_PORT_LO-IT_PORT_HI) into VAR.
alloc_port() {
	local _ap_tries=0 _ap_p
	while [ $_ap_tries -lt 500 ]; do
		_ap_p=$IT_NEXT_PORT
		IT_NEXT_PORT=$((IT_NEXT_PORT + 1))
		[ $IT_NEXT_PORT -gt $IT_PORT_HI ] && IT_NEXT_PORT=$IT_PORT_LO
		_ap_tries=$((_ap_tries + 1))
		if port_is_free "$_ap_p" && [ ! -e "/tmp/.s.PGSQL.$_ap_p" ]; then
			printf -v "$1" '%s' "$_ap_p"
			return 0
		fi
	done
	echo "no free port found in 500 tries" >&2
	return 1
}

# ------------------------------------------------------------ as the DB user

# as_pg CMD...: run CMD as the OS user the server runs as (postgres when we
# are root), from / so that the tools can read their working directory.
as_pg() {
	if [ $IS_ROOT = 1 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

# give_to_pg DIR...: make directories we create usable by the server user.
give_to_pg() {
	[ $IS_ROOT = 1 ] && chown postgres: "$@"
	return 0
}

# wait_for TRIES SLEEP CMD...: retry CMD up to TRIES times, SLEEP seconds apart.
wait_for() {
	local tries=$1 pause=$2 i=0
	shift 2
	while [ $i -lt "$tries" ]; do
		"$@" >/dev/null 2>&1 && return 0
		i=$((i + 1))
		sleep "$pause"
	done
	return 1
}

# ------------------------------------------------------------------- fixtures

# use_spec FILE: the spec for the following pgpod calls (relative names are
# taken from test/fixtures/integration).
use_spec() {
	case $1 in
	/*) SPEC=$1 ;;
	*) SPEC=$FIXTURES/$1 ;;
	esac
	[ -f "$SPEC" ] || fail "fixture $SPEC missing"
}

# new_password: a random password that is unlikely to appear by accident.
new_password() {
	printf 'itpw%s' "$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)"
}

# make_basic_auth SECRET USERNAME VAR: a basic-auth Secret under $SECRETS with
# a fresh random password, stored into VAR.
make_basic_auth() {
	local _mba_pw
	_mba_pw=$(new_password)
	mkdir -p "$SECRETS/$1"
	printf '%s' "$2" >"$SECRETS/$1/username"
	printf '%s' "$_mba_pw" >"$SECRETS/$1/password"
	chmod 0644 "$SECRETS/$1/username" "$SECRETS/$1/password"
	printf -v "$3" '%s' "$_mba_pw"
}

# ------------------------------------------------------------------- pgpod

# pgpod_opts: the common options of every pgpod call of this test.
pgpod_opts() {
	PGPOD_OPTS=(--spec "$SPEC" --secrets-dir "$SECRETS" --configmaps-dir "$CONFIGMAPS"
		--pgdata "$PGDATA" --run-dir "$RUN" --pg-port "$PORT" --pg-listen 127.0.0.1
		--listen "127.0.0.1:$HTTP_PORT" --pg-bin "$PG_BIN" --log-level "${IT_LOG_LEVEL:-info}")
}

IT_CALL=0
_next_out() {
	IT_CALL=$((IT_CALL + 1))
	LAST_OUT=$T/out.$IT_CALL.$1
	LAST_ERR=$T/err.$IT_CALL.$1
}

# pgpod_cmd CMD [ARGS...]: run `pgpod CMD` with the common options (bounded);
# output in $LAST_OUT / $LAST_ERR; returns pgpod's exit status.
pgpod_cmd() {
	local cmd=$1
	shift
	pgpod_opts
	_next_out "${cmd// /-}"
	# shellcheck disable=SC2086 # "spec check" is two words
	(cd "$T" && exec timeout -k 10 "$IT_TIMEOUT_INIT" "$PGPOD" $cmd "${PGPOD_OPTS[@]}" "$@") \
		</dev/null >"$LAST_OUT" 2>"$LAST_ERR"
}

pgpod_init() { pgpod_cmd init "$@"; }
pgpod_spec_check() { pgpod_cmd "spec check" "$@"; }

# pgpod_bg CMD [ARGS...]: start `pgpod CMD` in the background (its own
# process group, default signal dispositions); its PID in $RUN_PID and in
# $T/.pids, its output in $RUN_OUT / $RUN_ERR.
pgpod_bg() {
	local cmd=$1
	shift
	pgpod_opts
	_next_out "$cmd"
	set -m
	(cd "$T" && exec "$PGPOD" "$cmd" "${PGPOD_OPTS[@]}" "$@") </dev/null >"$LAST_OUT" 2>"$LAST_ERR" &
	RUN_PID=$!
	set +m
	RUN_OUT=$LAST_OUT
	RUN_ERR=$LAST_ERR
	echo "$RUN_PID" >>"$T/.pids"
}

# pgpod_run_bg [ARGS...]: `pgpod run` in the background (see pgpod_bg).
pgpod_run_bg() { pgpod_bg run "$@"; }

# wait_exit PID SECONDS VAR: wait (bounded) for our child PID to exit; its exit
# status into VAR, or "timeout".
wait_exit() {
	local _we_pid=$1 _we_secs=$2 _we_i=0 _we_rc
	while [ $_we_i -lt $((_we_secs * 10)) ] && kill -0 "$_we_pid" 2>/dev/null; do
		# a zombie still answers kill -0: look at its state
		[ "$(awk '{print $3}' "/proc/$_we_pid/stat" 2>/dev/null)" = Z ] && break
		sleep 0.1
		_we_i=$((_we_i + 1))
	done
	if kill -0 "$_we_pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$_we_pid/stat" 2>/dev/null)" != Z ]; then
		printf -v "$3" timeout
		return 1
	fi
	wait "$_we_pid"
	_we_rc=$?
	printf -v "$3" '%s' "$_we_rc"
	return 0
}

# ------------------------------------------------------------------ SQL

# psql_su DB SQL: as the superuser over the Unix socket in $SOCK (peer auth);
# prints the rows unaligned, tuples only.
psql_su() {
	as_pg timeout -k 5 "$IT_TIMEOUT_SQL" "$PG_BIN/psql" -w -h "$SOCK" -p "$PORT" -U postgres -d "$1" \
		-XAtq -v ON_ERROR_STOP=1 -c "$2"
}

# psql_tcp USER PASSWORD DB SQL: over TCP to 127.0.0.1:$PORT with a 0600
# passfile holding PASSWORD (never argv, never the environment); without
# TLS unless IT_TCP_SSL gives the ssl parameters ("sslmode=verify-full ...").
psql_tcp() {
	local pf
	pf=$(mktemp "$T/pgpass.XXXXXX")
	chmod 0600 "$pf"
	printf '127.0.0.1:%s:*:%s:%s\n' "$PORT" "$1" "$2" >"$pf"
	timeout -k 5 "$IT_TIMEOUT_SQL" "$PG_BIN/psql" -w \
		"host=127.0.0.1 port=$PORT user=$1 dbname=$3 passfile=$pf ${IT_TCP_SSL:-sslmode=disable} connect_timeout=10" \
		-XAtq -v ON_ERROR_STOP=1 -c "$4"
	local rc=$?
	rm -f "$pf"
	return $rc
}

# psql_app_tcp PASSWORD SQL: as app to the database app over TCP.
psql_app_tcp() { psql_tcp app "$1" app "$2"; }

# pg_start PGDATA: start postgres on a bootstrapped PGDATA ourselves (pg_ctl,
# 127.0.0.1:$PORT, socket in $T/sock) to look at what `pgpod init` made.
pg_start() {
	SOCK=$T/sock
	mkdir -p "$SOCK"
	give_to_pg "$SOCK"
	as_pg "$PG_BIN/pg_ctl" -D "$1" -l "$SOCK/postgres.log" -w -t 60 -s \
		-o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$SOCK" start \
		>"$T/pg_ctl.out" 2>&1 || {
		fail "pg_ctl start on $1 failed: $(tail -n 5 "$T/pg_ctl.out" "$SOCK/postgres.log" 2>/dev/null | tr '\n' ' ')"
		return 1
	}
}

# pg_stop PGDATA: fast shutdown of a server started by pg_start.
pg_stop() {
	as_pg "$PG_BIN/pg_ctl" -D "$1" -m fast -w -t 60 -s stop >/dev/null 2>&1
}

# cluster_state PGDATA: the "Database cluster state" of pg_controldata.
cluster_state() {
	as_pg "$PG_BIN/pg_controldata" "$1" 2>/dev/null | sed -n 's/^Database cluster state: *//p'
}

# controldata_field PGDATA NAME
controldata_field() {
	as_pg "$PG_BIN/pg_controldata" "$1" 2>/dev/null | sed -n "s/^$2: *//p"
}

# ---------------------------------------------------------------- processes

# procs_under DIR: PIDs of postgres processes whose working directory lies
# under DIR (a postmaster and its children chdir to PGDATA).
procs_under() {
	local d pid cwd comm
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		read -r comm 2>/dev/null <"$d/comm" || continue
		case $comm in postgres | postmaster) ;; *) continue ;; esac
		cwd=$(readlink "$d/cwd" 2>/dev/null) || continue
		case $cwd in "$1" | "$1"/*) echo "$pid" ;; esac
	done
}

# stop_pid PID SIGNAL: send SIGNAL, wait up to 20 s, then SIGKILL.
stop_pid() {
	local pid=$1 sig=$2 i=0
	kill -0 "$pid" 2>/dev/null || return 0
	kill "-$sig" "$pid" 2>/dev/null
	while [ $i -lt 200 ] && kill -0 "$pid" 2>/dev/null; do
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	return 0
}

# cleanup_test: stop everything the test in $T started, by PID.
cleanup_test() {
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	local pid f left
	if [ -f "$T/.pids" ]; then
		while read -r pid; do
			[ -n "$pid" ] && stop_pid "$pid" TERM
		done <"$T/.pids"
	fi
	# servers left behind (pg_ctl-started, or by a pgpod that was killed)
	while IFS= read -r f; do
		pid=$(head -n 1 "$f" 2>/dev/null)
		case $pid in '' | *[!0-9]*) continue ;; esac
		procs_under "$T" | grep -qx "$pid" && stop_pid "$pid" INT
	done < <(find "$T" -maxdepth 4 -name postmaster.pid 2>/dev/null)
	left=$(procs_under "$T")
	if [ -n "$left" ]; then
		for pid in $left; do kill -QUIT "$pid" 2>/dev/null; done
		sleep 1
		for pid in $(procs_under "$T"); do kill -KILL "$pid" 2>/dev/null; done
	fi
	# file systems a test mounted under $T ("umount:PATH" lines)
	if [ -f "$T/.mounts" ]; then
		while IFS=: read -r _ f; do
			mountpoint -q "$f" 2>/dev/null && umount -l "$f"
		done <"$T/.mounts"
	fi
	return 0
}

# ------------------------------------------------------------------ runner

IT_PASSED=0
IT_FAILED=0
IT_FAILED_NAMES=()

# run_one NAME: run the test function NAME in a subshell with its own $T.
run_one() {
	local name=$1 rc start secs
	T=$(mktemp -d /tmp/pgpod-it.XXXXXX) || { echo "mktemp failed" >&2; exit 1; }
	chmod 755 "$T"
	: >"$T/.fails"
	alloc_port PORT || exit 1
	alloc_port HTTP_PORT || exit 1
	start=$(date +%s)
	printf -- '--- %s\n' "$name"
	(
		IT_FAILS=$T/.fails
		PGDATA=$T/data/pgdata
		RUN=$T/run
		SOCK=$RUN
		SECRETS=$T/secrets
		CONFIGMAPS=$T/configmaps
		SPEC=$FIXTURES/initdb-plain.yaml
		LAST_OUT=
		LAST_ERR=
		mkdir -p "$SECRETS" "$CONFIGMAPS"
		cp -R "$FIXTURES/secrets/." "$SECRETS/" 2>/dev/null
		cp -R "$FIXTURES/configmaps/." "$CONFIGMAPS/" 2>/dev/null
		chmod -R a+rX "$SECRETS" "$CONFIGMAPS"
		"$name"
	) &
	# in the background so that INT/TERM reach our trap at once (bash
	# defers traps while a foreground child runs)
	IT_TEST_PID=$!
	wait "$IT_TEST_PID"
	rc=$?
	IT_TEST_PID=
	cleanup_test
	secs=$(($(date +%s) - start))
	if [ $rc = 0 ] && [ ! -s "$T/.fails" ]; then
		IT_PASSED=$((IT_PASSED + 1))
		printf 'ok   %s (%ss)\n' "$name" "$secs"
		[ -n "${IT_RESULTS:-}" ] && echo "PASS $IT_FILE:$name" >>"$IT_RESULTS"
	else
		IT_FAILED=$((IT_FAILED + 1))
		IT_FAILED_NAMES+=("$name")
		[ -s "$T/.fails" ] || echo "test returned $rc" >>"$T/.fails"
		printf 'FAIL %s (%ss)\n' "$name" "$secs"
		[ -n "${IT_RESULTS:-}" ] && echo "FAIL $IT_FILE:$name" >>"$IT_RESULTS"
	fi
	if [ "${IT_KEEP:-0}" = 1 ]; then
		echo "    (kept $T)"
	else
		rm -rf "$T"
	fi
	T=
}

_it_interrupted() {
	local pid
	if [ -n "${IT_TEST_PID:-}" ]; then
		for pid in $(ps -o pid= --ppid "$IT_TEST_PID" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null
		done
		stop_pid "$IT_TEST_PID" TERM
	fi
	cleanup_test
	[ -n "${T:-}" ] && [ "${IT_KEEP:-0}" != 1 ] && rm -rf "$T"
	echo "interrupted" >&2
	exit 130
}

# run_tests: run the test_* functions of the calling file, in the order they
# are defined (or only those named in $IT_ONLY).
run_tests() {
	local file=${BASH_SOURCE[1]} name
	IT_FILE=$(basename "$file")
	trap _it_interrupted INT TERM
	trap cleanup_test EXIT
	if [ ! -x "$PGPOD" ]; then
		echo "$PGPOD is missing: run make first" >&2
		IT_FAILED=1
		IT_FAILED_NAMES+=("(no pgpod binary)")
		[ -n "${IT_RESULTS:-}" ] && echo "FAIL $IT_FILE:(no pgpod binary)" >>"$IT_RESULTS"
	else
		for name in $(grep -oE '^test_[A-Za-z0-9_]+[[:space:]]*\(\)' "$file" | sed 's/[[:space:]]*()$//'); do
			if [ -n "${IT_ONLY:-}" ] && ! printf ' %s ' "$IT_ONLY" | grep -qF " $name "; then
				continue
			fi
			run_one "$name"
		done
	fi
	trap - EXIT
	if [ -z "${IT_RESULTS:-}" ]; then
		# run on its own: print the summary here
		[ "$IT_FAILED" = 0 ] || printf 'failed: %s\n' "${IT_FAILED_NAMES[*]}"
		echo "== integration tests =="
		echo "$IT_PASSED passed, $IT_FAILED failed"
	fi
	[ "$IT_FAILED" = 0 ]
}

# kill_at_each_step CMD [ARGS...]: `pgpod CMD` once uninterrupted (its
# step log says how many steps it has), then, for each step, afresh and
# SIGKILLed as soon as that many steps are done, and run again on what the
# kill left: every rerun must end bootstrapped, with no postgres left over,
# at most one failed attempt beside PGDATA, and nothing of the test's own
# beside PGDATA touched. Prints the number of steps.
kill_at_each_step() {
	local cmd=$1 n k i rc parent
	shift
	parent=$(dirname "$PGDATA")
	IT_LOG_LEVEL=debug pgpod_cmd "$cmd" "$@"
	expect_rc "uninterrupted pgpod $cmd" 0 $? || return 1
	n=$(grep -c '"msg":"step \\"' "$LAST_OUT")
	[ "$n" -gt 2 ] || { fail "pgpod $cmd logged $n steps$(last_output_tail)"; return 1; }
	echo "    pgpod $cmd: $n steps, SIGKILLed after each of 0..$((n - 1))"
	for ((k = 0; k < n; k++)); do
		rm -rf "$PGDATA" "$PGDATA".failed-*
		echo keep >"$parent/sentinel.$k"
		IT_LOG_LEVEL=debug pgpod_bg "$cmd" "$@"
		disown "$RUN_PID" 2>/dev/null	# no "Killed" notice from the shell
		for ((i = 0; i < 600; i++)); do
			[ "$(grep -c '"msg":"step \\"' "$RUN_OUT" 2>/dev/null)" -ge "$k" ] && break
			kill -0 "$RUN_PID" 2>/dev/null || break
			sleep 0.01
		done
		kill -KILL "$RUN_PID" 2>/dev/null
		wait_exit "$RUN_PID" 10 rc
		for ((i = 0; i < 100; i++)); do
			[ -z "$(procs_under "$PGDATA")" ] && break
			sleep 0.1
		done
		pgpod_cmd "$cmd" "$@"
		rc=$?
		[ "$rc" = 0 ] || { fail "pgpod $cmd after a SIGKILL after step $k: exit $rc$(last_output_tail)"; return 1; }
		[ -f "$PGDATA/pgpod-bootstrap.json" ] || fail "after step $k: no completion marker"
		[ -e "$PGDATA/.pgpod-bootstrapping" ] && fail "after step $k: the in-progress mark stays"
		[ "$(ls -d "$PGDATA".failed-* 2>/dev/null | wc -l)" -le 1 ] || fail "after step $k: several failed attempts"
		[ "$(cat "$parent/sentinel.$k" 2>/dev/null)" = keep ] || fail "after step $k: the test's own file was touched"
		[ -z "$(procs_under "$PGDATA")" ] || fail "after step $k: postgres left running"
	done
}

# mount_tmpfs DIR SIZE: a tmpfs of SIZE (e.g. 12m) mounted at DIR (made),
# owned by the server user, unmounted by the cleanup. Returns 1, saying the
# test is skipped, when not root or when mounting fails.
mount_tmpfs() {
	[ "$IS_ROOT" = 1 ] || { echo "    (skipped: needs root to mount a small file system)"; return 1; }
	mkdir -p "$1"
	if ! mount -t tmpfs -o "size=$2,mode=0755" pgpod-it "$1" 2>"$T/mount.err"; then
		echo "    (skipped: cannot mount a tmpfs here: $(cat "$T/mount.err"))"
		return 1
	fi
	echo "umount:$1" >>"$T/.mounts"
	give_to_pg "$1"
}

# ------------------------------------------------------- shared expectations

# expect_bootstrapped PGDATA: the completion marker (JSON) and the managed
# configuration pgpod.conf, included from postgresql.conf.
expect_bootstrapped() {
	local d=$1
	if [ ! -f "$d/pgpod-bootstrap.json" ]; then
		fail "no completion marker $d/pgpod-bootstrap.json"
	elif ! json_valid "$d/pgpod-bootstrap.json"; then
		fail "$d/pgpod-bootstrap.json is not JSON"
	fi
	[ -f "$d/pgpod.conf" ] || fail "no $d/pgpod.conf"
	grep -qE "^[[:space:]]*include[a-z_]*[[:space:]=]+'?[^'#]*pgpod\.conf'?" "$d/postgresql.conf" 2>/dev/null ||
		fail "postgresql.conf does not include pgpod.conf"
}

# expect_log_lines_json FILE: pgpod's stdout is JSON lines with ts, level,
# logger and msg.
expect_log_lines_json() {
	local bad
	bad=$(jsonl_valid "$1") || fail "not a JSON log line (ts, level, logger, msg) in ${1#"$T"/}: $(printf '%s' "$bad" | cut -c1-300)"
}

# expect_no_errors FILE...: no log line of level error.
expect_no_errors() {
	local e
	# "the database system is starting up" is postgres refusing a client
	# that came too early: the test's own polling, not a fault of pgpod's
	e=$(log_msgs error "$@" | grep -vx 'the database system is starting up' | head -n 3)
	[ -z "$e" ] || fail "unexpected error log lines: $e"
}

# hba_rules: pg_hba_file_rules as "type database user [address netmask]
# method [options]" lines, in file order (superuser over $SOCK).
hba_rules() {
	psql_su postgres "SELECT concat_ws(' ', type, array_to_string(database, ','), array_to_string(user_name, ','),
		address, netmask, auth_method, array_to_string(options, ','))
		FROM pg_hba_file_rules ORDER BY line_number"
}

# expect_no_postgres_under DIR: no postgres process works in DIR (2 s grace).
expect_no_postgres_under() {
	wait_for 20 0.1 no_procs_under "$1" ||
		fail "postgres still running under $1: pids $(procs_under "$1" | tr '\n' ' ')"
}

# no_procs_under DIR: no postgres runs there now (asked anew at each call:
# wait_for expands its arguments once).
no_procs_under() { [ -z "$(procs_under "$1")" ]; }

# wait_served PASSWORD: wait (bounded) until app logs in over TCP; 1 on
# timeout, 2 when pgpod run ($RUN_PID) exited first.
wait_served() {
	local i=0 max=$((IT_TIMEOUT_START * 4))
	while [ $i -lt $max ]; do
		psql_app_tcp "$1" "SELECT 1" >/dev/null 2>&1 && return 0
		if ! kill -0 "$RUN_PID" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$RUN_PID/stat" 2>/dev/null)" = Z ]; then
			return 2
		fi
		sleep 0.25
		i=$((i + 1))
	done
	return 1
}

# expect_served PASSWORD: wait_served, with a failure message.
expect_served() {
	LAST_OUT=$RUN_OUT
	LAST_ERR=$RUN_ERR
	wait_served "$1"
	case $? in
	0) return 0 ;;
	1) fail "app could not log in over TCP on 127.0.0.1:$PORT within ${IT_TIMEOUT_START}s$(last_output_tail)" ;;
	*) fail "pgpod run exited before serving$(last_output_tail)" ;;
	esac
	return 1
}

# stop_run SIGNAL: send SIGNAL to pgpod run and expect exit 0 within
# $IT_TIMEOUT_STOP seconds, a cleanly shut down cluster and no postgres left.
stop_run() {
	local rc
	LAST_OUT=$RUN_OUT
	LAST_ERR=$RUN_ERR
	kill "-$1" "$RUN_PID"
	wait_exit "$RUN_PID" "$IT_TIMEOUT_STOP" rc
	expect_rc "pgpod run after SIG$1" 0 "$rc"
	expect_eq "pg_controldata state after SIG$1" "shut down" "$(cluster_state "$PGDATA")"
	expect_no_postgres_under "$T"
}

# ------------------------------------------------------------------- HTTP

# http_code PATH: the HTTP status of GET PATH on pgpod (000 when no answer).
http_code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$HTTP_PORT$1"
}

# http_get PATH: the body.
http_get() {
	curl -s --max-time 2 "http://127.0.0.1:$HTTP_PORT$1"
}

# status_field KEY: one key of /pg/status, as JSON.
status_field() {
	http_get /pg/status | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin).get(sys.argv[1])))' "$1" 2>/dev/null
}

ms_now() { echo $(($(date +%s%N) / 1000000)); }

# wait_code PATH CODE SECONDS: wait (bounded) until PATH answers CODE.
wait_code() {
	local i=0
	while [ $i -lt $(($3 * 20)) ]; do
		[ "$(http_code "$1")" = "$2" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
