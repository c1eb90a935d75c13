#!/usr/bin/env bash
# bench/supervisor.sh — a benchmark, not a test: what `pgpod run` costs and
# how fast it recovers, each figure next to its counterpart measured in the
# same run:
#
#   1. /readyz, /pg/status and /metrics with wrk on 127.0.0.1 (req/s, p50,
#      p99) at probe-like load (1 thread, 8 connections) and at saturation
#      (2 threads, 32 connections: wrk then competes with pgpod for the two
#      cores); Patroni's /readiness at the same loads when Patroni runs;
#   2. pgpod's own memory while running (VmRSS, VmHWM, RssAnon, Pss) next to
#      the postmaster's and Patroni's;
#   3. /healthz latency while 300 clients trickle a header byte every 2 s,
#      and while wrk keeps FAST_CONNS (default 10000) fast connections busy (the
#      goal: < 1 s);
#   4. kill -9 of the postmaster until /readyz is 200 again, against a raw
#      `postgres` start (crash recovery included) on the same PGDATA; with
#      Patroni, how long its /readiness stays 200 after the kill and when it
#      is 200 again;
#   5. a clean stop: SIGTERM to pgpod until it has exited, against SIGTERM
#      to a raw postgres on the same PGDATA (the goal: <= 1.5x).
#
#   bench/supervisor.sh [-d SECONDS] [-n KILLS]
#
# Patroni is compared when `patroni` and python3-pysyncobj are installed
# (apt-get install patroni python3-pysyncobj): it runs with its built-in
# Raft DCS on 127.0.0.1, so no etcd is needed.
#
# Everything lives in a 0755 work directory under /tmp that is removed on
# exit; every process started is stopped by PID. As root, postgres and
# Patroni run as the postgres user (pgpod drops to it by itself).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=5
KILLS=5
while getopts d:n: o; do
	case $o in
	d) DURATION=$OPTARG ;;
	n) KILLS=$OPTARG ;;
	*) echo "usage: $0 [-d SECONDS] [-n KILLS]" >&2; exit 2 ;;
	esac
done
PGPOD=${PGPOD:-$PWD/pgpod}
PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
command -v wrk >/dev/null || { echo "wrk is missing (scripts/deps.sh installs it)" >&2; exit 1; }
[ -x "$PGPOD" ] || make -s

W=$(mktemp -d /tmp/pgpod-bench.XXXXXX)
chmod 755 "$W"
PID=
RAW=
PATRONI=
SLOW=
cleanup() {
	local p f
	for p in $PID $PATRONI; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	# a raw postgres still running: immediate stop, by its postmaster.pid
	f=$W/data/pgdata/postmaster.pid
	[ -n "$RAW" ] && [ -f "$f" ] && kill -QUIT "$(head -n 1 "$f")" 2>/dev/null && wait "$RAW" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

PORT=$((26000 + RANDOM % 1000))
HTTP=$((27000 + RANDOM % 1000))
mkdir -p "$W/secrets/app-secret"
printf app >"$W/secrets/app-secret/username"
head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$W/secrets/app-secret/password"
chmod -R a+rX "$W/secrets"
cp bench/cluster.yaml "$W/spec.yaml"
chmod 644 "$W/spec.yaml"

ms_now() { echo $(($(date +%s%N) / 1000000)); }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1"; }
wait_ready() {
	local i
	for i in $(seq 1 600); do
		[ "$(code "$HTTP/readyz")" = 200 ] && return 0
		sleep 0.01
	done
	return 1
}
ratio() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN {if (b > 0) printf f, a / b; else printf "?"}'; }
# spawn_as_pg CMD...: run in the background as "CMD ... &" only: it becomes
# CMD (exec), as the postgres user when we are root, so $! is CMD's PID.
spawn_as_pg() {
	if [ "$(id -u)" = 0 ]; then
		exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
	fi
	exec "$@"
}

# wrk_line LABEL URL THREADS CONNS: one line of req/s, p50 and p99; the
# req/s also goes to LAST_RPS.
wrk_line() {
	local out p50 p99 bad
	out=$(wrk -t"$3" -c"$4" -d"${DURATION}s" --latency "$2")
	LAST_RPS=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
	p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	printf '%-20s -t%s -c%-3s %10s req/s   p50 %8s   p99 %8s%s\n' "$1" "$3" "$4" "$LAST_RPS" \
		"$p50" "$p99" "${bad:+   non-2xx $bad}"
}

# mem_line LABEL PID: VmRSS, VmHWM, RssAnon, Pss (kB) and threads.
mem_line() {
	local pss
	pss=$(awk '/^Pss:/ {print $2}' "/proc/$2/smaps_rollup" 2>/dev/null || echo "?")
	awk -v who="$1" -v pss="$pss" '
		/^VmRSS/ {rss = $2} /^VmHWM/ {hwm = $2} /^RssAnon/ {anon = $2} /^Threads/ {thr = $2}
		END {printf "%-11s VmRSS %6d kB  VmHWM %6d kB  RssAnon %6d kB  Pss %6s kB  threads %d\n",
			who, rss, hwm, anon, pss, thr}' "/proc/$2/status"
}
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# healthz_worst N: the slowest of N /healthz answers (ms), 0.2 s apart;
# "fail" when one did not come within 3 s.
healthz_worst() {
	local i t worst=0
	for i in $(seq 1 "$1"); do
		t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 3 "http://127.0.0.1:$HTTP/healthz")
		[ "${t%% *}" = 200 ] || { echo fail; return; }
		t=$(awk -v s="${t#* }" 'BEGIN {printf "%d", s * 1000}')
		[ "$t" -gt "$worst" ] && worst=$t
		sleep 0.2
	done
	echo "$worst"
}

# slow_clients N SECONDS: N connections trickling a header byte every 2 s.
slow_clients() {
	python3 -c '
import socket, sys, time
conns = []
for i in range(int(sys.argv[2])):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        s.send(b"G")
        conns.append(s)
    except OSError:
        pass
end = time.time() + int(sys.argv[3])
while time.time() < end:
    time.sleep(2)
    for s in conns:
        try:
            s.send(b"E")
        except OSError:
            pass
' "$HTTP" "$1" "$2" &
	SLOW=$!
}

"$PGPOD" run --spec "$W/spec.yaml" --secrets-dir "$W/secrets" --configmaps-dir "$W/cm" \
	--pgdata "$W/data/pgdata" --run-dir "$W/run" --pg-port "$PORT" --pg-listen 127.0.0.1 \
	--listen "127.0.0.1:$HTTP" --restart-max 1000 --restart-interval 0 >"$W/pgpod.log" 2>&1 &
PID=$!
wait_ready || { echo "pgpod did not become ready" >&2; tail "$W/pgpod.log" >&2; exit 1; }
echo "bench/supervisor.sh: $("$PGPOD" version 2>/dev/null | head -n 1), $(nproc) cpus, wrk ${DURATION}s a run"

echo "== HTTP"
for load in "1 8" "2 32"; do
	for path in /readyz /pg/status /metrics; do
		# shellcheck disable=SC2086 # two numbers
		wrk_line "pgpod $path" "http://127.0.0.1:$HTTP$path" $load
		[ "$path" = /readyz ] && eval "READYZ_RPS_${load% *}=\$LAST_RPS"
	done
done

echo "== memory"
pm=$(head -n 1 "$W/data/pgdata/postmaster.pid")
mem_line pgpod "$PID"
mem_line postmaster "$pm"
PGPOD_RSS=$(status_kb "$PID" VmRSS)
PGPOD_ANON=$(status_kb "$PID" RssAnon)
echo "pgpod VmRSS $(ratio "$PGPOD_RSS" 1024 %.1f) MiB (goal < 8 MiB), private (RssAnon)" \
	"$(ratio "$PGPOD_ANON" 1024 %.1f) MiB; the rest are pages of shared libraries"

echo "== /healthz under hostile and heavy clients"
slow_clients 300 8
sleep 1
echo "300 slow clients (a header byte every 2 s): slowest /healthz of 20 $(healthz_worst 20) ms (goal < 1000)"
kill "$SLOW" 2>/dev/null; wait "$SLOW" 2>/dev/null || true
ulimit -n 65536 2>/dev/null || ulimit -n 16384 2>/dev/null || true
FAST_CONNS=${FAST_CONNS:-10000}
wrk -t2 -c"$FAST_CONNS" -d8s "http://127.0.0.1:$HTTP/healthz" >"$W/wrk-fast.out" 2>&1 &
FAST=$!
sleep 1
echo "wrk with $FAST_CONNS fast connections: slowest /healthz of 20 $(healthz_worst 20) ms (goal < 1000)"
echo "  (wrk: $(awk '/Requests\/sec/ {print $2 " req/s"} /Socket errors/ {print "socket errors: " $0}' "$W/wrk-fast.out" | tr '\n' ' '))"
wait "$FAST" 2>/dev/null || true

echo "== kill -9 of the postmaster until /readyz is 200 again ($KILLS rounds)"
total=0
for i in $(seq 1 "$KILLS"); do
	pm=$(head -n 1 "$W/data/pgdata/postmaster.pid")
	t0=$(ms_now)
	kill -KILL "$pm"
	sleep 0.02
	wait_ready || { echo "not ready again" >&2; exit 1; }
	t=$(($(ms_now) - t0))
	total=$((total + t))
	echo "pgpod round $i: ${t} ms"
done
pgpod_ms=$((total / KILLS))
# a clean stop, timed: SIGTERM until pgpod has exited (postgres with it)
stop_total=0
for i in $(seq 1 "$KILLS"); do
	if [ -z "$PID" ]; then
		"$PGPOD" run --spec "$W/spec.yaml" --secrets-dir "$W/secrets" --configmaps-dir "$W/cm" \
			--pgdata "$W/data/pgdata" --run-dir "$W/run" --pg-port "$PORT" --pg-listen 127.0.0.1 \
			--listen "127.0.0.1:$HTTP" >>"$W/pgpod.log" 2>&1 &
		PID=$!
		wait_ready || { echo "pgpod did not become ready" >&2; exit 1; }
	fi
	sleep 1.5	# a status query or two: pgpod's own session is open
	t0=$(ms_now)
	kill -TERM "$PID"
	wait "$PID" || true
	t=$(($(ms_now) - t0))
	stop_total=$((stop_total + t))
	PID=
	echo "pgpod SIGTERM -> exited, round $i: ${t} ms"
done
pgpod_stop_ms=$((stop_total / KILLS))

# kill_under_pgdata SIG: every postgres process working in our PGDATA
kill_under_pgdata() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/cwd" 2>/dev/null)" = "$W/data/pgdata" ] || continue
		[ "$(cat "$d/comm" 2>/dev/null)" = postgres ] && kill "-$1" "${d#/proc/}" 2>/dev/null
	done
	return 0
}
# raw_start: postgres by itself, as a job of this shell wrapped in a
# subshell whose stderr is /dev/null (a SIGKILLed job would otherwise get a
# "Killed" notice); RAW is the subshell, the postmaster's PID is in
# postmaster.pid.
raw_start() {
	(
		if [ "$(id -u)" = 0 ]; then
			setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/postgres" \
				-D "$W/data/pgdata" -c listen_addresses=127.0.0.1 -c port="$PORT" \
				-c unix_socket_directories="$W/run"
		else
			"$PG_BIN/postgres" -D "$W/data/pgdata" -c listen_addresses=127.0.0.1 \
				-c port="$PORT" -c unix_socket_directories="$W/run"
		fi >"$W/raw.log" 2>&1
		exit 0
	) 2>/dev/null &
	RAW=$!
}
pid_line8() { sed -n 8p "$W/data/pgdata/postmaster.pid" 2>/dev/null | tr -d ' '; }

# raw: a crashed PGDATA started by postgres itself, until it accepts
total=0
for i in $(seq 1 "$KILLS"); do
	raw_start
	for j in $(seq 1 600); do
		[ "$(pid_line8)" = ready ] && break
		sleep 0.01
	done
	sleep 0.2
	# crash it the way pgpod's rounds did: postmaster and children gone
	kill_under_pgdata KILL
	wait "$RAW" || true
	sleep 0.2
	old=$(head -n 1 "$W/data/pgdata/postmaster.pid" 2>/dev/null || true)
	t0=$(ms_now)
	raw_start
	for j in $(seq 1 600); do
		if [ "$(head -n 1 "$W/data/pgdata/postmaster.pid" 2>/dev/null)" != "$old" ] &&
			[ "$(pid_line8)" = ready ]; then
			break
		fi
		sleep 0.01
	done
	t=$(($(ms_now) - t0))
	total=$((total + t))
	echo "raw round $i: ${t} ms"
	kill -INT "$(head -n 1 "$W/data/pgdata/postmaster.pid")" 2>/dev/null || true
	wait "$RAW" || true
	RAW=
done
raw_ms=$((total / KILLS))
echo "pgpod kill -9 -> ready: mean ${pgpod_ms} ms; raw postgres crash-recovery start: mean ${raw_ms} ms"
echo "ratio pgpod/raw: $(ratio "$pgpod_ms" "$raw_ms") (goal < 1.5)"

# raw: SIGTERM to an idle postgres until it has exited
stop_total=0
for i in $(seq 1 "$KILLS"); do
	raw_start
	for j in $(seq 1 600); do
		[ "$(pid_line8)" = ready ] && break
		sleep 0.01
	done
	sleep 1.5
	t0=$(ms_now)
	kill -TERM "$(head -n 1 "$W/data/pgdata/postmaster.pid")"
	wait "$RAW" || true
	t=$(($(ms_now) - t0))
	stop_total=$((stop_total + t))
	RAW=
	echo "raw SIGTERM -> exited, round $i: ${t} ms"
done
raw_stop_ms=$((stop_total / KILLS))
echo "clean stop: pgpod mean ${pgpod_stop_ms} ms; raw postgres mean ${raw_stop_ms} ms;" \
	"ratio $(ratio "$pgpod_stop_ms" "$raw_stop_ms") (goal <= 1.5)"

# ---- Patroni, when installed: the same figures for its REST API
# Patroni's own interpreter (its shebang) must have pysyncobj for Raft
if ! command -v patroni >/dev/null ||
	! "$(sed -n '1s/^#! *//p' "$(command -v patroni)" | awk '{print $1}')" -c 'import pysyncobj' 2>/dev/null; then
	echo "== Patroni: not installed (apt-get install patroni python3-pysyncobj to compare)"
	exit 0
fi
echo "== Patroni $(patroni --version 2>/dev/null | awk '{print $2}') (Raft DCS, loop_wait 10 s), same machine"
PPORT=$((28000 + RANDOM % 500))
PAPI=$((28500 + RANDOM % 500))
PRAFT=$((29000 + RANDOM % 500))
mkdir -p "$W/patroni/raft" "$W/patroni/data"
cat >"$W/patroni/patroni.yml" <<EOF
scope: bench
name: node1
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:$PAPI
  connect_address: 127.0.0.1:$PAPI
raft:
  data_dir: $W/patroni/raft
  self_addr: 127.0.0.1:$PRAFT
bootstrap:
  dcs:
    ttl: 30
    loop_wait: 10
  initdb:
  - encoding: UTF8
postgresql:
  listen: 127.0.0.1:$PPORT
  connect_address: 127.0.0.1:$PPORT
  data_dir: $W/patroni/data/pgdata
  bin_dir: $PG_BIN
  pgpass: $W/patroni/pgpass
  parameters:
    unix_socket_directories: $W/patroni
  authentication:
    superuser:
      username: postgres
      password: bench-only-superuser
    replication:
      username: replicator
      password: bench-only-replicator
EOF
chmod 700 "$W/patroni/data"
[ "$(id -u)" = 0 ] && chown -R postgres: "$W/patroni"
spawn_as_pg patroni "$W/patroni/patroni.yml" >"$W/patroni/log" 2>&1 &
PATRONI=$!
for i in $(seq 1 240); do
	[ "$(code "$PAPI/readiness")" = 200 ] && break
	sleep 0.25
done
if [ "$(code "$PAPI/readiness")" != 200 ]; then
	echo "Patroni did not become ready; its log:" >&2
	tail -n 20 "$W/patroni/log" >&2
	exit 1
fi
for load in "1 8" "2 32"; do
	# shellcheck disable=SC2086 # two numbers
	wrk_line "patroni /readiness" "http://127.0.0.1:$PAPI/readiness" $load
	eval "P_RPS_${load% *}=\$LAST_RPS"
done
echo "ratio pgpod/patroni req/s: $(ratio "$READYZ_RPS_1" "$P_RPS_1" %.0f)x at -c8," \
	"$(ratio "$READYZ_RPS_2" "$P_RPS_2" %.0f)x at -c32"
mem_line patroni "$PATRONI"
echo "ratio pgpod/patroni: VmRSS $(ratio "$PGPOD_RSS" "$(status_kb "$PATRONI" VmRSS)")," \
	"RssAnon $(ratio "$PGPOD_ANON" "$(status_kb "$PATRONI" RssAnon)")"
# kill -9 of Patroni's postmaster: when a new postmaster is ready, and
# what /readiness said meanwhile (bounded at 90 s)
ppm=$(head -n 1 "$W/patroni/data/pgdata/postmaster.pid")
t0=$(ms_now)
kill -KILL "$ppm"
t_back=
lied=0
polls=0
while [ $(($(ms_now) - t0)) -lt 90000 ]; do
	c=$(code "$PAPI/readiness")
	now=$(head -n 1 "$W/patroni/data/pgdata/postmaster.pid" 2>/dev/null || true)
	if [ -n "$now" ] && [ "$now" != "$ppm" ] &&
		[ "$(sed -n 8p "$W/patroni/data/pgdata/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ]; then
		t_back=$(($(ms_now) - t0))
		break
	fi
	polls=$((polls + 1))
	[ "$c" = 200 ] && lied=$((lied + 1))
	sleep 0.05
done
echo "patroni kill -9: a new postmaster ready after ${t_back:-over 90000} ms;" \
	"/readiness said 200 in $lied of $polls polls while postgres was down"
[ -n "$t_back" ] && echo "ratio pgpod/patroni kill -9 -> ready: $(ratio "$pgpod_ms" "$t_back" %.3f)"
echo "(pgpod: /readyz is 503 from the death of the postmaster until postgres is ready again)"
exit 0
