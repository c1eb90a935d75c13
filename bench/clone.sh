#!/usr/bin/env bash
# bench/clone.sh — a benchmark, not a test: what copying a live server costs
# with pgpod against the raw tools, measured in the same run on the same
# source:
#
#   1. `pgpod clone` (bootstrap.pg_basebackup of a CloudNativePG spec) of a
#      `pgbench -i -s SCALE` source against bare
#        pg_basebackup -D DIR -X stream -c fast             (fsyncs: the headline)
#        pg_basebackup -D DIR -X stream -c fast --no-sync   (reference only)
#      run alternately, N rounds each after W untimed warm-up rounds, each into
#      a fresh empty directory. pgpod runs pg_basebackup --no-sync, flushes
#      once with syncfs, and also starts the copy privately to end its
#      recovery on a new timeline and apply the roles: all of that is in its
#      time. Prints wall time (median), MB/s (database size / time) and the
#      ratio pgpod / bare pg_basebackup (goal: at most 1.05);
#   2. a joining replica: `pgpod run --pod-name bench-2 --primary-host …` on
#      an empty PGDATA until its /readyz is 200 (polled every 20 ms), against
#      bare `pg_basebackup -R -X stream -c fast` + `pg_ctl start -w` until
#      pg_stat_wal_receiver says streaming, both from the same primary run by
#      `pgpod run --pod-name bench-1` and loaded with pgbench -s SCALE;
#      J rounds each, alternating.
#
# pgpod's time is also split into parts from the timestamps of its own log
# (its pg_basebackup, the private start, the syncfs, postgres' start, the
# wait for /readyz), and its warn/error log lines are listed at the end.
# jq is needed for those parts only. The binary is copied at the start, so
# a rebuild during the run does not change what is measured.
#
#   bench/clone.sh [-s SCALE] [-n ROUNDS] [-w WARMUP] [-j JOIN_ROUNDS]
#
# Defaults: -s 50 (about 770 MB), -n 5, -w 1, -j 5. Environment: PGPOD
# (default ./pgpod of this repository), PG_BINDIR (default `pg_config
# --bindir`, else /usr/lib/postgresql/15/bin).
#
# As root, the raw tools and postgres run as the postgres user (runuser -u
# postgres), and pgpod drops to postgres by itself. Everything lives in a 0755
# work directory under /tmp that is removed on exit; every process started
# (postgres, pgpod) is stopped by PID. `sync` runs (untimed) before every
# timed round so that one round's dirty pages are not flushed in the next.
# Passwords never go through an argument list or the environment: pgpod reads
# Secret files, pg_basebackup and psql a 0600 passfile or SQL file.
set -euo pipefail

SCALE=50
ROUNDS=5
WARMUP=1
JROUNDS=5
GOAL=1.05

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

while getopts ':s:n:w:j:h' opt; do
	case $opt in
	s) SCALE=$OPTARG ;;
	n) ROUNDS=$OPTARG ;;
	w) WARMUP=$OPTARG ;;
	j) JROUNDS=$OPTARG ;;
	h) usage; exit 0 ;;
	:) echo "bench: -$OPTARG needs a value" >&2; exit 2 ;;
	*) echo "bench: unknown option -$OPTARG (try -h)" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "$#" -eq 0 ] || { echo "bench: unexpected argument: $1 (try -h)" >&2; exit 2; }
for v in s:SCALE n:ROUNDS j:JROUNDS; do
	name=${v#*:}
	[[ ${!name} =~ ^[1-9][0-9]*$ ]] || { echo "bench: -${v%%:*} wants a positive integer" >&2; exit 2; }
done
[[ $WARMUP =~ ^[0-9]+$ ]] || { echo "bench: -w wants a non-negative integer" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGPOD=${PGPOD:-$repo/pgpod}
case $PGPOD in /*) ;; *) PGPOD=$(pwd)/$PGPOD ;; esac
if [ ! -x "$PGPOD" ]; then
	echo "bench: $PGPOD not found or not executable (build it with make)" >&2
	exit 1
fi
if [ -z "${PG_BINDIR:-}" ]; then
	PG_BINDIR=$(pg_config --bindir 2>/dev/null) || PG_BINDIR=/usr/lib/postgresql/15/bin
fi
for tool in initdb pg_ctl psql postgres pg_basebackup pgbench; do
	if [ ! -x "$PG_BINDIR/$tool" ]; then
		echo "bench: $PG_BINDIR/$tool not found (set PG_BINDIR)" >&2
		exit 1
	fi
done
command -v curl >/dev/null || { echo "bench: curl is missing" >&2; exit 1; }

as_pg=()
if [ "$(id -u)" -eq 0 ]; then
	if ! id postgres >/dev/null 2>&1; then
		echo "bench: running as root but there is no postgres user" >&2
		exit 1
	fi
	as_pg=(runuser -u postgres --)
fi
unset PGPASSWORD PGPASSFILE PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGDATA \
	PGPOD_SPEC PGPOD_SECRETS_DIR PGPOD_CONFIGMAPS_DIR PGPOD_RUN_DIR PGPOD_PG_PORT \
	PGPOD_PG_LISTEN PGPOD_LISTEN PGPOD_USER PGPOD_LOG_LEVEL PGPOD_PG_BIN POD_NAME \
	PGPOD_PRIMARY_HOST PGPOD_PRIMARY_PORT PGPOD_INSTANCE_ROLE 2>/dev/null || true

W=$(mktemp -d /tmp/pgpod-bench-clone.XXXXXX)
chmod 755 "$W"
# processes this script started: postgres data directories run with pg_ctl,
# pgpod PIDs
PG_DIRS=()
PGPOD_PIDS=()

# stop_pid PID: SIGTERM, up to 60 s, then SIGKILL; reaped.
stop_pid() {
	local i
	kill -TERM "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }
	for i in $(seq 1 600); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# stop_pg DIR: a postgres started with pg_ctl on DIR, by its postmaster.pid
stop_pg() {
	local pid i
	[ -f "$1/postmaster.pid" ] || return 0
	pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null) || return 0
	[[ $pid =~ ^[0-9]+$ ]] || return 0
	kill -INT "$pid" 2>/dev/null || return 0 # fast shutdown
	for i in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -QUIT "$pid" 2>/dev/null || true # immediate
}
cleanup() {
	local p d
	trap - EXIT INT TERM
	for p in "${PGPOD_PIDS[@]}"; do
		[ -n "$p" ] && stop_pid "$p"
	done
	for d in "${PG_DIRS[@]}"; do
		stop_pg "$d"
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# a copy of the binary: a rebuild during the run does not change what is measured
PGPOD_BUILD=$PGPOD
cp "$PGPOD_BUILD" "$W/pgpod"
PGPOD=$W/pgpod

# ---- helpers ----------------------------------------------------------------

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "${t#0}"; }
secs() { awk -v us="$1" 'BEGIN { printf "%.2f s", us / 1e6 }'; }
. "$(dirname "${BASH_SOURCE[0]}")/port.sh"
# owned_dir DIR [MODE]: a directory the postgres user owns
owned_dir() {
	mkdir -p "$1"
	chmod "${2:-700}" "$1"
	[ "${#as_pg[@]}" -eq 0 ] || chown postgres: "$1"
}
fail_with_log() {
	echo "bench: $1 failed; the end of its log:" >&2
	tail -n 30 "$2" >&2 || true
	exit 1
}
new_password() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" 2>/dev/null || true; }
# median, min, max of microsecond values
stats() {
	printf '%s\n' "$@" | sort -n | awk '
		{ v[NR] = $1 }
		END {
			med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%d %d %d\n", med, v[1], v[NR]
		}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "?" }'; }
mbps() { awk -v mb="$1" -v us="$2" 'BEGIN { if (us > 0) printf "%.0f", mb / (us / 1e6); else printf "?" }'; }
# account LOG: pgpod's own log lines (not postgres' or a tool's), each with
# its offset from the first line; needs jq
account() {
	command -v jq >/dev/null || return 0
	jq -R -r 'fromjson? | select(type == "object" and .logger == "pgpod") | "\(.ts)\t\(.msg)"' "$1" |
		awk -F '\t' '$2 ~ /^Terminated/ { exit } {
			split($1, a, "T"); split(a[2], b, ":"); sub(/Z$/, "", b[3])
			t = b[1] * 3600 + b[2] * 60 + b[3]
			if (NR == 1) t0 = t
			m = $2; if (length(m) > 110) m = substr(m, 1, 107) "..."
			printf "    +%6.2f s  %s\n", t - t0, m
		}'
}
# phases LOG: from pgpod's own timestamps, in µs, "COPY PRIVATE FLUSH START
# READYAT":
# its pg_basebackup run; the private start of the copy (new timeline,
# roles, stop; clone only, else 0); the rest of the bootstrap, which is the
# syncfs (plus moving the copy in place and writing the configuration); from
# the end of the bootstrap until postgres is ready (run only, else 0); when
# postgres was ready, from pgpod's first log line (run only, else -1).
# -1 for what is not found.
phases() {
	if ! command -v jq >/dev/null; then
		echo "-1 -1 -1 -1 -1"
		return 0
	fi
	jq -R -r 'fromjson? | select(type == "object" and .logger == "pgpod") | "\(.ts)\t\(.msg)"' "$1" |
		awk -F '\t' '
			function us(ts,  a, b) {
				split(ts, a, "T"); split(a[2], b, ":"); sub(/Z$/, "", b[3])
				return (b[1] * 3600 + b[2] * 60 + b[3]) * 1e6
			}
			NR == 1 { f = us($1) }
			$2 ~ /^copying ".*" with pg_basebackup into/ && !s { s = us($1) }
			$2 ~ /^copied / && !c { c = us($1) }
			$2 ~ /^postgres exited with code/ && c && !x { x = us($1) }
			$2 ~ /^bootstrap \(.*\) complete in/ && !d { d = us($1) }
			$2 ~ /^postgres is ready/ && d && !r { r = us($1) }
			END {
				copy = (s && c) ? c - s : -1
				priv = x ? x - c : 0
				flush = (d && c) ? d - (x ? x : c) : -1
				start = r ? r - d : 0
				printf "%d %d %d %d %d\n", copy, priv, flush, start, r ? r - f : -1
			}'
}
# warnings LABEL LOG: the warn and error lines of a pgpod log until its
# SIGTERM (the stop's own FATALs are expected) go to $W/warnings, shown at
# the end
warnings() {
	command -v jq >/dev/null || return 0
	awk '/"msg":"Terminated: shutting down"/ { exit } { print }' "$2" |
		jq -R -r --arg l "$1" 'fromjson? | select(type == "object" and (.level == "warn" or
			.level == "error")) | "\($l): \(.level) [\(.logger)] \(.msg)"' >>"$W/warnings" || true
}
# psql_pg SOCKDIR PORT DB SQL: one value, as the postgres user over the socket
psql_pg() {
	timeout 30 "${as_pg[@]}" "$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$1" -p "$2" \
		-d "$3" -c "$4"
}
# pgbench_load SOCKDIR PORT DB LOG
pgbench_load() {
	local t0 t1
	t0=$(now_us)
	timeout 600 "${as_pg[@]}" "$PG_BINDIR/pgbench" -i -q -s "$SCALE" -h "$1" -p "$2" "$3" \
		>"$4" 2>&1 </dev/null || fail_with_log "pgbench -i -s $SCALE" "$4"
	t1=$(now_us)
	echo "  pgbench -i -s $SCALE: $(secs $((t1 - t0)))"
}

version=$("$PG_BINDIR/postgres" --version 2>/dev/null || echo "postgres ?")
echo "bench/clone.sh: pgpod clone and a joining pgpod replica vs pg_basebackup (+ pg_ctl)"
echo "postgres: $version ($PG_BINDIR); pgpod: $("$PGPOD" version 2>/dev/null | head -n 1) ($PGPOD_BUILD)"
echo "machine: $(nproc) cpus, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo);" \
	"work dir $W on $(df -P "$W" | awk 'NR == 2 {print $1}')"
echo "user: $(id -un)${as_pg:+ (raw tools through runuser -u postgres; pgpod drops to postgres itself)}"

mkdir -p "$W/secrets" "$W/configmaps"

# ==== 1. pgpod clone vs pg_basebackup =========================================

echo "== 1. clone of a pgbench -s $SCALE source ($ROUNDS rounds each, alternating, after $WARMUP warm-up round(s))"
SRC=$W/src/data
SSOCK=$W/src/sock
SPORT=$(free_port)
owned_dir "$W/src" 755
owned_dir "$SSOCK"
"${as_pg[@]}" "$PG_BINDIR/initdb" -D "$SRC" -U postgres --auth-local=peer \
	--auth-host=scram-sha-256 --no-sync >"$W/src/initdb.log" 2>&1 ||
	fail_with_log "initdb of the source" "$W/src/initdb.log"
cat >>"$SRC/postgresql.conf" <<EOF
# bench/clone.sh
listen_addresses = '127.0.0.1'
port = $SPORT
unix_socket_directories = '$SSOCK'
max_wal_senders = 10
EOF
echo "host replication streaming_replica 127.0.0.1/32 scram-sha-256" >>"$SRC/pg_hba.conf"
PG_DIRS+=("$SRC")
"${as_pg[@]}" "$PG_BINDIR/pg_ctl" -D "$SRC" -l "$W/src/server.log" -w -t 120 start \
	>"$W/src/pg_ctl.log" 2>&1 || fail_with_log "starting the source" "$W/src/server.log"

SRC_PW=$(new_password)
# the password goes to psql in a 0600 file, to pg_basebackup in a passfile,
# to pgpod as a Secret file
(umask 077 && printf "CREATE ROLE streaming_replica REPLICATION LOGIN PASSWORD '%s';\n" "$SRC_PW" \
	>"$W/src/role.sql")
[ "${#as_pg[@]}" -eq 0 ] || chown postgres: "$W/src/role.sql"
timeout 30 "${as_pg[@]}" "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$SSOCK" -p "$SPORT" \
	-d postgres -f "$W/src/role.sql" >"$W/src/psql.log" 2>&1 ||
	fail_with_log "CREATE ROLE streaming_replica" "$W/src/psql.log"
rm -f "$W/src/role.sql"
mkdir -p "$W/secrets/src-pw"
printf '%s' "$SRC_PW" >"$W/secrets/src-pw/password"
chmod 700 "$W/secrets/src-pw"
chmod 600 "$W/secrets/src-pw/password"
(umask 077 && printf '127.0.0.1:%s:*:streaming_replica:%s\n' "$SPORT" "$SRC_PW" >"$W/src/passfile")
[ "${#as_pg[@]}" -eq 0 ] || chown postgres: "$W/src/passfile"
SRC_CONN="host=127.0.0.1 port=$SPORT user=streaming_replica passfile=$W/src/passfile"

pgbench_load "$SSOCK" "$SPORT" postgres "$W/src/pgbench.log"
psql_pg "$SSOCK" "$SPORT" postgres "CHECKPOINT" >/dev/null
DB_BYTES=$(psql_pg "$SSOCK" "$SPORT" postgres "SELECT sum(pg_database_size(oid)) FROM pg_database")
DB_MB=$(awk -v b="$DB_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "  source: 127.0.0.1:$SPORT, databases $DB_MB MiB (sum of pg_database_size)"

cat >"$W/clone.yaml" <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: bench}
spec:
  instances: 1
  bootstrap:
    pg_basebackup: {source: src}
  externalClusters:
  - name: src
    connectionParameters: {host: 127.0.0.1, port: "$SPORT", user: streaming_replica}
    password: {name: src-pw, key: password}
EOF
chmod 644 "$W/clone.yaml"
CPORT=$(free_port)
owned_dir "$W/tgt"

# one round of each; elapsed (µs) in ELAPSED
run_pgpod_clone() {
	local t0 t1 rc=0 log=$W/clone-pgpod-$1.log
	rm -rf "$W/tgt/pgdata" "$W/tgt/run"
	sync
	t0=$(now_us)
	"$PGPOD" clone --spec "$W/clone.yaml" --secrets-dir "$W/secrets" \
		--configmaps-dir "$W/configmaps" --pgdata "$W/tgt/pgdata" --run-dir "$W/tgt/run" \
		--pg-port "$CPORT" --pg-listen 127.0.0.1 --pg-bin "$PG_BINDIR" \
		--pod-name bench-1 --termination-log "$W/tgt/termination-log" \
		>"$log" 2>&1 </dev/null || rc=$?
	t1=$(now_us)
	if [ "$rc" -ne 0 ]; then
		echo "bench: pgpod clone (round $1) exited $rc; its log lines:" >&2
		cat "$log" >&2
		exit 1
	fi
	ELAPSED=$((t1 - t0))
	read -r PH_COPY PH_PRIV PH_FLUSH PH_START PH_READYAT < <(phases "$log")
	warnings "pgpod clone round $1" "$log"
	[ "$1" != 1 ] || cp "$log" "$W/clone-pgpod.log.keep"
	rm -rf "$W/tgt/pgdata" "$W/tgt/run" "$log"
}
# run_bare ROUND [--no-sync]
run_bare() {
	local t0 t1 rc=0 log=$W/clone-bare-$1.log
	rm -rf "$W/tgt/bare"
	sync
	t0=$(now_us)
	"${as_pg[@]}" "$PG_BINDIR/pg_basebackup" -D "$W/tgt/bare" -X stream -c fast "${@:2}" \
		-d "$SRC_CONN" >"$log" 2>&1 </dev/null || rc=$?
	t1=$(now_us)
	[ "$rc" -eq 0 ] || fail_with_log "pg_basebackup ${*:2} (round $1, exit $rc)" "$log"
	ELAPSED=$((t1 - t0))
	rm -rf "$W/tgt/bare" "$log"
}

for i in $(seq 1 "$WARMUP"); do
	run_bare "w$i"
	run_pgpod_clone "w$i"
	run_bare "w$i" --no-sync
done
P_T=()
B_T=()
N_T=()
PC_T=()
PP_T=()
PF_T=()
for i in $(seq 1 "$ROUNDS"); do
	if [ $((i % 2)) -eq 1 ]; then
		run_pgpod_clone "$i"; p=$ELAPSED; pc=$PH_COPY; pp=$PH_PRIV; pf=$PH_FLUSH
		run_bare "$i"; b=$ELAPSED
		run_bare "$i" --no-sync; n=$ELAPSED
	else
		run_bare "$i" --no-sync; n=$ELAPSED
		run_bare "$i"; b=$ELAPSED
		run_pgpod_clone "$i"; p=$ELAPSED; pc=$PH_COPY; pp=$PH_PRIV; pf=$PH_FLUSH
	fi
	P_T+=("$p")
	B_T+=("$b")
	N_T+=("$n")
	PC_T+=("$pc")
	PP_T+=("$pp")
	PF_T+=("$pf")
	printf '  round %d: pgpod clone %s (pg_basebackup %s, private start %s, flush %s),' \
		"$i" "$(secs "$p")" "$(secs "$pc")" "$(secs "$pp")" "$(secs "$pf")"
	printf ' pg_basebackup %s, pg_basebackup --no-sync %s\n' "$(secs "$b")" "$(secs "$n")"
done
read -r p_med p_min p_max < <(stats "${P_T[@]}")
read -r b_med b_min b_max < <(stats "${B_T[@]}")
read -r n_med n_min n_max < <(stats "${N_T[@]}")
read -r pc_med pc_min pc_max < <(stats "${PC_T[@]}")
read -r pp_med pp_min pp_max < <(stats "${PP_T[@]}")
read -r pf_med pf_min pf_max < <(stats "${PF_T[@]}")
# where pgpod's time went, from the log of its first timed round
if [ -f "$W/clone-pgpod.log.keep" ]; then
	echo "  pgpod clone, round 1, its own account:"
	account "$W/clone-pgpod.log.keep"
fi
stop_pg "$SRC"
PG_DIRS=()
rm -rf "$SRC"

# ==== 2. a joining replica ======================================================

echo "== 2. a joining replica of a pgpod primary with pgbench -s $SCALE ($JROUNDS rounds each, alternating)"
PP=$W/primary
PPORT=$(free_port)
PHTTP=$(free_port)
owned_dir "$PP"
REPL_PW=$(new_password)
mkdir -p "$W/secrets/bench-replication"
printf '%s' "$REPL_PW" >"$W/secrets/bench-replication/password"
chmod 700 "$W/secrets/bench-replication"
chmod 600 "$W/secrets/bench-replication/password"
(umask 077 && printf '127.0.0.1:%s:*:streaming_replica:%s\n' "$PPORT" "$REPL_PW" >"$W/primary.passfile")
[ "${#as_pg[@]}" -eq 0 ] || chown postgres: "$W/primary.passfile"
cat >"$W/cluster.yaml" <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: bench}
spec:
  instances: 2
  bootstrap:
    initdb: {database: app, owner: app}
EOF
chmod 644 "$W/cluster.yaml"
"$PGPOD" run --spec "$W/cluster.yaml" --secrets-dir "$W/secrets" --configmaps-dir "$W/configmaps" \
	--pgdata "$PP/pgdata" --run-dir "$PP/run" --pg-port "$PPORT" --pg-listen 127.0.0.1 \
	--listen "127.0.0.1:$PHTTP" --pod-name bench-1 --pg-bin "$PG_BINDIR" \
	--termination-log "$PP/termination-log" >"$W/primary.log" 2>&1 </dev/null &
PRIMARY=$!
PGPOD_PIDS+=("$PRIMARY")
ok=0
for i in $(seq 1 1200); do # 120 s
	[ "$(http_code "http://127.0.0.1:$PHTTP/readyz")" = 200 ] && { ok=1; break; }
	kill -0 "$PRIMARY" 2>/dev/null || break
	sleep 0.1
done
[ "$ok" = 1 ] || fail_with_log "the pgpod primary (bench-1)" "$W/primary.log"
pgbench_load "$PP/run" "$PPORT" app "$W/primary-pgbench.log"
psql_pg "$PP/run" "$PPORT" postgres "CHECKPOINT" >/dev/null
PDB_BYTES=$(psql_pg "$PP/run" "$PPORT" postgres "SELECT sum(pg_database_size(oid)) FROM pg_database")
PDB_MB=$(awk -v b="$PDB_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "  primary: pgpod run bench-1 on 127.0.0.1:$PPORT, databases $PDB_MB MiB"

RPORT=$(free_port)
RHTTP=$(free_port)
RAWPORT=$(free_port)
owned_dir "$W/replica"
drop_slots() {
	psql_pg "$PP/run" "$PPORT" postgres "SELECT count(pg_drop_replication_slot(slot_name))
		FROM pg_replication_slots WHERE NOT active" >/dev/null || true
}
# the pgpod replica, from start until /readyz is 200 (polled every 20 ms,
# at most 300 s)
run_pgpod_join() {
	local t0 t1 pid ok=0 n log=$W/join-pgpod-$1.log
	rm -rf "$W/replica/pgdata" "$W/replica/run"
	sync
	t0=$(now_us)
	"$PGPOD" run --spec "$W/cluster.yaml" --secrets-dir "$W/secrets" \
		--configmaps-dir "$W/configmaps" --pgdata "$W/replica/pgdata" \
		--run-dir "$W/replica/run" --pg-port "$RPORT" --pg-listen 127.0.0.1 \
		--listen "127.0.0.1:$RHTTP" --pod-name bench-2 --primary-host 127.0.0.1 \
		--primary-port "$PPORT" --pg-bin "$PG_BINDIR" \
		--termination-log "$W/replica/termination-log" >"$log" 2>&1 </dev/null &
	pid=$!
	PGPOD_PIDS+=("$pid")
	for n in $(seq 1 15000); do
		[ "$(http_code "http://127.0.0.1:$RHTTP/readyz")" = 200 ] && { ok=1; break; }
		kill -0 "$pid" 2>/dev/null || break
		[ $(($(now_us) - t0)) -lt 300000000 ] || break
		sleep 0.02
	done
	t1=$(now_us)
	if [ "$ok" != 1 ]; then
		echo "bench: the pgpod replica (round $1) did not become ready; its log lines:" >&2
		tail -n 40 "$log" >&2
		exit 1
	fi
	ELAPSED=$((t1 - t0))
	stop_pid "$pid"
	read -r PH_COPY PH_PRIV PH_FLUSH PH_START PH_READYAT < <(phases "$log")
	# from postgres ready (its log line) until /readyz answered 200 (an
	# upper bound: it includes the few ms from our clock to pgpod's first line)
	PH_HTTP=-1
	[ "$PH_READYAT" -lt 0 ] || PH_HTTP=$((ELAPSED - PH_READYAT))
	PGPOD_PIDS=("$PRIMARY")
	warnings "pgpod replica round $1" "$log"
	[ "$1" != 1 ] || cp "$log" "$W/join-pgpod.log.keep"
	rm -rf "$W/replica/pgdata" "$W/replica/run" "$log"
	drop_slots
}
# the raw replica: pg_basebackup -R, pg_ctl start -w, until its WAL
# receiver is streaming (polled every 20 ms, at most 300 s)
run_raw_join() {
	local t0 t1 rc=0 ok=0 n d=$W/replica/raw log=$W/join-raw-$1.log
	rm -rf "$d" "$W/replica/sock"
	owned_dir "$W/replica/sock"
	sync
	t0=$(now_us)
	{
		"${as_pg[@]}" "$PG_BINDIR/pg_basebackup" -D "$d" -R -X stream -c fast \
			-d "host=127.0.0.1 port=$PPORT user=streaming_replica passfile=$W/primary.passfile" &&
			"${as_pg[@]}" "$PG_BINDIR/pg_ctl" -D "$d" -l "$W/replica/raw.log" -w -t 300 \
				-o "-c port=$RAWPORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$W/replica/sock" \
				start
	} >"$log" 2>&1 </dev/null || rc=$?
	PG_DIRS=("$d")
	if [ "$rc" -eq 0 ]; then
		for n in $(seq 1 15000); do
			[ "$(psql_pg "$W/replica/sock" "$RAWPORT" postgres \
				"SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)" = streaming ] && {
				ok=1
				break
			}
			[ $(($(now_us) - t0)) -lt 300000000 ] || break
			sleep 0.02
		done
	fi
	t1=$(now_us)
	if [ "$ok" != 1 ]; then
		[ ! -f "$W/replica/raw.log" ] || cat "$W/replica/raw.log" >>"$log"
		fail_with_log "the raw replica (round $1, exit $rc)" "$log"
	fi
	ELAPSED=$((t1 - t0))
	stop_pg "$d"
	for n in $(seq 1 300); do
		[ -f "$d/postmaster.pid" ] || break
		sleep 0.1
	done
	PG_DIRS=()
	rm -rf "$d" "$log" "$W/replica/raw.log"
}

PJ_T=()
RJ_T=()
JC_T=()
JF_T=()
JS_T=()
JH_T=()
for i in $(seq 1 "$JROUNDS"); do
	if [ $((i % 2)) -eq 1 ]; then
		run_pgpod_join "$i"; p=$ELAPSED; jc=$PH_COPY; jf=$PH_FLUSH; js=$PH_START; jh=$PH_HTTP
		run_raw_join "$i"; r=$ELAPSED
	else
		run_raw_join "$i"; r=$ELAPSED
		run_pgpod_join "$i"; p=$ELAPSED; jc=$PH_COPY; jf=$PH_FLUSH; js=$PH_START; jh=$PH_HTTP
	fi
	PJ_T+=("$p")
	RJ_T+=("$r")
	JC_T+=("$jc")
	JF_T+=("$jf")
	JS_T+=("$js")
	JH_T+=("$jh")
	printf '  round %d: pgpod replica ready %s (pg_basebackup %s, flush %s, postgres start %s,' \
		"$i" "$(secs "$p")" "$(secs "$jc")" "$(secs "$jf")" "$(secs "$js")"
	printf ' then /readyz 200 after %s),' "$(secs "$jh")"
	printf ' raw replica streaming %s\n' "$(secs "$r")"
done
read -r pj_med pj_min pj_max < <(stats "${PJ_T[@]}")
read -r rj_med rj_min rj_max < <(stats "${RJ_T[@]}")
read -r jc_med jc_min jc_max < <(stats "${JC_T[@]}")
read -r jf_med jf_min jf_max < <(stats "${JF_T[@]}")
read -r js_med js_min js_max < <(stats "${JS_T[@]}")
read -r jh_med jh_min jh_max < <(stats "${JH_T[@]}")
if [ -f "$W/join-pgpod.log.keep" ]; then
	echo "  pgpod replica, round 1, its own account:"
	account "$W/join-pgpod.log.keep"
fi
stop_pid "$PRIMARY"
PGPOD_PIDS=()
warnings "pgpod primary" "$W/primary.log"

# ==== summary ===================================================================

row() { # LABEL MEDIAN_US MIN_US MAX_US MB REF_US
	printf '| %s | %s | %s – %s | %s | %s |\n' "$1" "$(secs "$2")" "$(secs "$3")" "$(secs "$4")" \
		"$(mbps "$5" "$2")" "$(ratio "$2" "$6")"
}
part() { # LABEL MEDIAN_US MIN_US MAX_US: a part of pgpod's time, from its log
	[ "$2" -ge 0 ] || return 0
	printf '| &nbsp;&nbsp;%s | %s | %s – %s | | |\n' "$1" "$(secs "$2")" "$(secs "$3")" "$(secs "$4")"
}
echo
echo "## clone of pgbench -s $SCALE ($DB_MB MiB), median of $ROUNDS"
echo
echo "| what | wall time | min – max | MiB/s | ratio to pg_basebackup |"
echo "|---|---|---|---|---|"
row "pgpod clone" "$p_med" "$p_min" "$p_max" "$DB_MB" "$b_med"
part "of which its pg_basebackup --no-sync" "$pc_med" "$pc_min" "$pc_max"
part "of which the private start (timeline, roles, stop)" "$pp_med" "$pp_min" "$pp_max"
part "of which the flush (syncfs)" "$pf_med" "$pf_min" "$pf_max"
row "pg_basebackup -X stream -c fast" "$b_med" "$b_min" "$b_max" "$DB_MB" "$b_med"
row "pg_basebackup ... --no-sync (no flush, reference)" "$n_med" "$n_min" "$n_max" "$DB_MB" "$b_med"
echo
echo "## joining replica of a pgbench -s $SCALE primary ($PDB_MB MiB), median of $JROUNDS"
echo
echo "| what | start → ready | min – max | MiB/s | ratio to raw |"
echo "|---|---|---|---|---|"
row "pgpod run bench-2 → /readyz 200" "$pj_med" "$pj_min" "$pj_max" "$PDB_MB" "$rj_med"
part "of which its pg_basebackup --no-sync" "$jc_med" "$jc_min" "$jc_max"
part "of which the flush (syncfs)" "$jf_med" "$jf_min" "$jf_max"
part "of which postgres' start until ready" "$js_med" "$js_min" "$js_max"
part "of which postgres ready until /readyz 200" "$jh_med" "$jh_min" "$jh_max"
row "pg_basebackup -R + pg_ctl start → streaming" "$rj_med" "$rj_min" "$rj_max" "$PDB_MB" "$rj_med"
echo
awk -v p="$p_med" -v b="$b_med" -v goal="$GOAL" 'BEGIN {
	r = p / b
	printf "headline: pgpod clone / pg_basebackup = %.2f (goal <= %.2f: %s)\n", r, goal,
		(r <= goal) ? "met" : "NOT met"
}'
echo "joining replica: pgpod / raw = $(ratio "$pj_med" "$rj_med")" \
	"(pgpod also creates a replication slot; raw has no slot)"
echo "notes: the parts of pgpod's time are medians of their own, from its log's timestamps;"
echo "  pgpod flushes with one syncfs of the whole filesystem holding PGDATA (here the one"
echo "  under $W, shared with the source and everything else), pg_basebackup fsyncs its own files;"
echo "  the raw replica is polled with psql (a process per poll), pgpod's /readyz with curl"
if [ -s "$W/warnings" ]; then
	echo "pgpod warn/error log lines ($(wc -l <"$W/warnings"), first 20):"
	head -n 20 "$W/warnings" | cut -c 1-200 | sed 's/^/  /'
else
	echo "pgpod logged no warn or error line"
fi
