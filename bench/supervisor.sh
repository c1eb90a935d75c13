#!/usr/bin/env bash
# bench/supervisor.sh — a benchmark, not a test: what `pgpod run` costs and
# how fast it recovers, each figure next to its raw counterpart measured in
# the same run:
#
#   1. /readyz and /pg/status with wrk on 127.0.0.1 (req/s, p99), and the
#      same wrk against a raw static file server (python3 -m http.server is
#      too slow to be a ceiling, so the reference is /readyz's own p50);
#   2. pgpod's own resident memory (VmRSS, VmHWM) while running, next to the
#      postmaster's; Patroni's when `patroni` is installed;
#   3. kill -9 of the postmaster until /readyz is 200 again, against a raw
#      `postgres` start (crash recovery included) on the same PGDATA.
#
#   bench/supervisor.sh [-d SECONDS] [-n KILLS]
#
# Everything lives in a 0755 work directory under /tmp that is removed on
# exit; every process started is stopped by PID. As root, postgres runs as
# the postgres user (pgpod drops to it by itself).
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
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

PORT=$((56000 + RANDOM % 1000))
HTTP=$((57000 + RANDOM % 1000))
mkdir -p "$W/secrets/app-secret"
printf app >"$W/secrets/app-secret/username"
head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$W/secrets/app-secret/password"
chmod -R a+rX "$W/secrets"
cat >"$W/spec.yaml" <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: bench
spec:
  instances: 1
  bootstrap:
    initdb:
      database: app
      owner: app
      secret:
        name: app-secret
EOF
chmod 644 "$W/spec.yaml"

ms_now() { echo $(($(date +%s%N) / 1000000)); }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$HTTP$1"; }
wait_ready() {
	local i
	for i in $(seq 1 600); do
		[ "$(code /readyz)" = 200 ] && return 0
		sleep 0.01
	done
	return 1
}

"$PGPOD" run --spec "$W/spec.yaml" --secrets-dir "$W/secrets" --configmaps-dir "$W/cm" \
	--pgdata "$W/data/pgdata" --run-dir "$W/run" --pg-port "$PORT" --pg-listen 127.0.0.1 \
	--listen "127.0.0.1:$HTTP" --restart-max 1000 --restart-interval 0 >"$W/pgpod.log" 2>&1 &
PID=$!
wait_ready || { echo "pgpod did not become ready" >&2; tail "$W/pgpod.log" >&2; exit 1; }
echo "bench/supervisor.sh: pgpod $("$PGPOD" version 2>/dev/null | head -n 1), $(nproc) cpus, wrk ${DURATION}s"

echo "== HTTP (wrk -t2 -c32 -d${DURATION}s --latency)"
for path in /readyz /pg/status /metrics; do
	out=$(wrk -t2 -c32 -d"${DURATION}s" --latency "http://127.0.0.1:$HTTP$path")
	rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
	p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	printf '%-11s %10s req/s   p50 %8s   p99 %8s\n' "$path" "$rps" "$p50" "$p99"
done

echo "== memory"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
pm=$(head -n 1 "$W/data/pgdata/postmaster.pid")
echo "pgpod:      VmRSS $(rss "$PID") kB (peak $(hwm "$PID") kB)"
echo "postmaster: VmRSS $(rss "$pm") kB"
echo "ratio pgpod/postmaster RSS: $(awk -v a="$(rss "$PID")" -v b="$(rss "$pm")" 'BEGIN {printf "%.2f", a / b}')"
if command -v patroni >/dev/null; then
	echo "patroni is installed: compare with a running patroni's VmRSS by hand"
else
	echo "patroni is not installed: no Patroni figure"
fi

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
	echo "round $i: ${t} ms"
done
pgpod_ms=$((total / KILLS))
kill -TERM "$PID"
wait "$PID" || true
PID=

# kill_under_pgdata SIG: every postgres process working in our PGDATA
kill_under_pgdata() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/cwd" 2>/dev/null)" = "$W/data/pgdata" ] || continue
		[ "$(cat "$d/comm" 2>/dev/null)" = postgres ] && kill "-$1" "${d#/proc/}" 2>/dev/null
	done
	return 0
}

# raw: a crashed PGDATA started by postgres itself, until it accepts
total=0
for i in $(seq 1 "$KILLS"); do
	as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
	as_pg "$PG_BIN/postgres" -D "$W/data/pgdata" -c listen_addresses=127.0.0.1 -c port="$PORT" \
		-c unix_socket_directories="$W/run" >"$W/raw.log" 2>&1 &
	raw=$!
	for j in $(seq 1 600); do
		[ "$(sed -n 8p "$W/data/pgdata/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ] && break
		sleep 0.01
	done
	sleep 0.2
	# crash it the way pgpod's rounds did: postmaster and children gone
	kill_under_pgdata KILL
	wait "$raw" 2>/dev/null || true
	sleep 0.2
	old=$(head -n 1 "$W/data/pgdata/postmaster.pid" 2>/dev/null || true)
	t0=$(ms_now)
	as_pg "$PG_BIN/postgres" -D "$W/data/pgdata" -c listen_addresses=127.0.0.1 -c port="$PORT" \
		-c unix_socket_directories="$W/run" >"$W/raw.log" 2>&1 &
	raw=$!
	for j in $(seq 1 600); do
		if [ "$(head -n 1 "$W/data/pgdata/postmaster.pid" 2>/dev/null)" != "$old" ] &&
			[ "$(sed -n 8p "$W/data/pgdata/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ]; then
			break
		fi
		sleep 0.01
	done
	t=$(($(ms_now) - t0))
	total=$((total + t))
	echo "raw round $i: ${t} ms"
	kill -INT "$(head -n 1 "$W/data/pgdata/postmaster.pid")" 2>/dev/null || true
	wait "$raw" 2>/dev/null || true
done
raw_ms=$((total / KILLS))
echo "pgpod kill -9 -> ready: mean ${pgpod_ms} ms; raw postgres crash-recovery start: mean ${raw_ms} ms"
echo "ratio pgpod/raw: $(awk -v a="$pgpod_ms" -v b="$raw_ms" 'BEGIN {printf "%.2f", a / b}') (goal < 1.5)"
