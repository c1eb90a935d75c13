#!/usr/bin/env bash
# bench/soak.sh — a soak, not a test (it is not in `make check`): `pgpod run`
# under write load while its postmaster is killed again and again.
#
#   bench/soak.sh [-d SECONDS] [-c CLIENTS] [-k MIN-MAX]
#
#   -d  how long (default 3600)
#   -c  pgbench clients (default 4)
#   -k  seconds between two kills of the postmaster, picked at random in
#       MIN..MAX (default 30-90)
#
# pgbench writes with synchronous_commit = on: each transaction inserts one
# row (run, client, n), n counting that client's transactions, and pgbench
# logs every transaction whose COMMIT it saw acknowledged (-l). The
# postmaster is killed with SIGKILL (children and all); pgpod restarts it
# and pgbench is started again once /readyz says 200. At the end:
#
#   - every acknowledged transaction is in the table (none lost);
#   - no zombie child of pgpod is left at any round;
#   - pgpod's resident memory (VmRSS, RssAnon) at each round, its first and
#     last value after the first round: "flat" means it grew by < 512 kB.
#
# Exits 1 when a transaction is missing, a zombie was seen, the memory grew
# or pgpod did not become ready again. Everything lives in a work directory
# under /tmp removed on exit; every process started is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=3600
CLIENTS=4
KMIN=30
KMAX=90
while getopts d:c:k: o; do
	case $o in
	d) DURATION=$OPTARG ;;
	c) CLIENTS=$OPTARG ;;
	k) KMIN=${OPTARG%-*}; KMAX=${OPTARG#*-} ;;
	*) echo "usage: $0 [-d SECONDS] [-c CLIENTS] [-k MIN-MAX]" >&2; exit 2 ;;
	esac
done
PGPOD=${PGPOD:-$PWD/pgpod}
PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
[ -x "$PGPOD" ] || make -s

W=$(mktemp -d /tmp/pgpod-soak.XXXXXX)
chmod 755 "$W"
PID=
BENCH=
cleanup() {
	[ -n "$BENCH" ] && kill -TERM "$BENCH" 2>/dev/null && wait "$BENCH" 2>/dev/null
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

PORT=$((26000 + RANDOM % 1000))
HTTP=$((27000 + RANDOM % 1000))
mkdir -p "$W/secrets/app-secret" "$W/logs"
printf app >"$W/secrets/app-secret/username"
head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$W/secrets/app-secret/password"
chmod -R a+rX "$W/secrets"
chmod 777 "$W/logs"
cp bench/cluster.yaml "$W/spec.yaml"
chmod 644 "$W/spec.yaml"

now() { date +%s; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$HTTP/readyz"; }
wait_ready() {
	local i
	for i in $(seq 1 1200); do
		[ "$(code)" = 200 ] && return 0
		kill -0 "$PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=postgres --regid=postgres --init-groups "$@"
	else
		"$@"
	fi
}
sql() { as_pg "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$W/run" -p "$PORT" -U postgres -d app "$@"; }
kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
zombies() {
	local d n=0
	for d in /proc/[0-9]*; do
		[ "$(awk '/^PPid:/ {print $2}' "$d/status" 2>/dev/null)" = "$PID" ] || continue
		[ "$(awk '/^State:/ {print $2}' "$d/status" 2>/dev/null)" = Z ] && n=$((n + 1))
	done
	echo "$n"
}

"$PGPOD" run --spec "$W/spec.yaml" --secrets-dir "$W/secrets" --configmaps-dir "$W/cm" \
	--pgdata "$W/data/pgdata" --run-dir "$W/run" --pg-port "$PORT" --pg-listen 127.0.0.1 \
	--listen "127.0.0.1:$HTTP" --restart-max 1000 --restart-interval 0 >"$W/pgpod.log" 2>&1 &
PID=$!
wait_ready || { echo "pgpod did not become ready" >&2; tail "$W/pgpod.log" >&2; exit 1; }
sql -c "ALTER SYSTEM SET synchronous_commit = on" -c "SELECT pg_reload_conf()" >/dev/null
sql -c "CREATE TABLE soak (run int, client int, n bigint, PRIMARY KEY (run, client, n))"
cat >"$W/soak.sql" <<'EOF'
\set n :n + 1
INSERT INTO soak VALUES (:run, :client_id, :n);
EOF
chmod 644 "$W/soak.sql"
echo "bench/soak.sh: $("$PGPOD" version 2>/dev/null | head -n 1), $(nproc) cpus," \
	"${DURATION}s, $CLIENTS clients, a kill every ${KMIN}-${KMAX}s"

# pgbench until it ends by itself (its connections are cut by the kill);
# its per-transaction log goes to $W/logs/run-N.*
start_bench() {
	(cd "$W/logs" && exec setsid bash -c '
		if [ "$(id -u)" = 0 ]; then run=(setpriv --reuid=postgres --regid=postgres --init-groups); fi
		exec "${run[@]}" "$0" -n -h "$1" -p "$2" -U postgres -c "$3" -j 1 -T 100000 \
			-f "$4" -D run="$5" -D n=0 -l --log-prefix="run-$5" app' \
		"$PG_BIN/pgbench" "$W/run" "$PORT" "$CLIENTS" "$W/soak.sql" "$1" \
		>"$W/logs/pgbench-$1.out" 2>&1) &
	BENCH=$!
}

end=$(($(now) + DURATION))
run=0
kills=0
bad=0
rss_first=
anon_first=
while [ "$(now)" -lt "$end" ]; do
	run=$((run + 1))
	start_bench "$run"
	gap=$((KMIN + RANDOM % (KMAX - KMIN + 1)))
	left=$((end - $(now)))
	[ "$gap" -gt "$left" ] && gap=$left
	sleep "$gap"
	pm=$(head -n 1 "$W/data/pgdata/postmaster.pid")
	kill -KILL "$pm"
	kills=$((kills + 1))
	# pgbench's clients end when their connections break; bounded anyway
	for i in $(seq 1 100); do kill -0 "$BENCH" 2>/dev/null || break; sleep 0.1; done
	kill -TERM "$BENCH" 2>/dev/null || true
	wait "$BENCH" 2>/dev/null || true
	BENCH=
	wait_ready || { echo "round $run: pgpod did not become ready again" >&2; tail "$W/pgpod.log" >&2; exit 1; }
	z=$(zombies)
	rss=$(kb "$PID" VmRSS)
	anon=$(kb "$PID" RssAnon)
	[ -z "$rss_first" ] && { rss_first=$rss; anon_first=$anon; }
	[ "$z" -gt 0 ] && bad=1
	printf 'round %3d: killed after %2ds, ready again; zombies %d; pgpod VmRSS %d kB RssAnon %d kB\n' \
		"$run" "$gap" "$z" "$rss" "$anon"
done

# every acknowledged transaction: a client's k-th logged transaction
# inserted n = k, so a client with K log lines must have n = 1..K
acked=$W/acked.csv
: >"$acked"
for f in "$W"/logs/run-*; do
	[ -f "$f" ] || continue
	r=${f##*/run-}; r=${r%%.*}
	awk -v r="$r" '{k[$1]++} END {for (c in k) print r "," c "," k[c]}' "$f" >>"$acked"
done
chmod 644 "$acked"
total=$(awk -F, '{t += $3} END {print t + 0}' "$acked")
missing=$(sql -c "CREATE TEMP TABLE acked (run int, client int, k bigint)" \
	-c "\\copy acked FROM '$acked' WITH (FORMAT csv)" \
	-c "SELECT coalesce(sum(a.k - (SELECT count(*) FROM soak s WHERE s.run = a.run
		AND s.client = a.client AND s.n <= a.k)), 0) FROM acked a")
rows=$(sql -c "SELECT count(*) FROM soak")
growth=$(($(kb "$PID" RssAnon) - anon_first))
echo "== soak: $kills kills in ${DURATION}s; $total transactions acknowledged, $rows rows in the table," \
	"$missing acknowledged but missing"
echo "pgpod VmRSS $rss_first -> $(kb "$PID" VmRSS) kB, RssAnon $anon_first -> $(kb "$PID" RssAnon) kB" \
	"(growth $growth kB; flat means < 512)"
[ "$missing" = 0 ] || bad=1
[ "$growth" -lt 512 ] || bad=1
[ "$(zombies)" = 0 ] || bad=1
exit "$bad"
