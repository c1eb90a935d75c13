#!/usr/bin/env bash
# bench/initdb.sh — a benchmark, not a test: how long `pgpod init` takes
# against the raw sequence it replaces,
#
#   initdb -D X
#   pg_ctl -D X -o "-c listen_addresses='' -k SOCKDIR -p PORT" start -w
#   psql -h SOCKDIR -p PORT -d postgres -f init.sql   (CREATE ROLE app LOGIN PASSWORD '…'; CREATE DATABASE app OWNER app)
#   pg_ctl -D X stop -m fast
#
# run alternately, N rounds each (after W untimed warm-up rounds each), on a
# minimal CloudNativePG spec. Prints each round, the median and mean of both,
# and the ratio pgpod/raw (goal: at most 1.10). Run from anywhere:
#
#   bench/initdb.sh [-n ROUNDS] [-w WARMUP] [-p PORT]
#
# Environment: PGPOD (default ./pgpod of this repository), PG_BINDIR (default
# `pg_config --bindir`, else /usr/lib/postgresql/15/bin).
#
# As root, the raw tools run as the postgres user (runuser -u postgres), and
# pgpod drops to postgres by itself. Everything lives in a 0755 work directory
# under /tmp that is removed on exit; any process the script started (pgpod,
# a postmaster) is stopped by PID on exit. No password is put in an argument
# list or the environment: pgpod reads it from the Secret files, psql from a
# 0600 SQL file.
set -euo pipefail

ROUNDS=5
WARMUP=1
PORT=55432
GOAL=1.10

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

while getopts ':n:w:p:h' opt; do
	case $opt in
	n) ROUNDS=$OPTARG ;;
	w) WARMUP=$OPTARG ;;
	p) PORT=$OPTARG ;;
	h) usage; exit 0 ;;
	:) echo "bench: -$OPTARG needs a value" >&2; exit 2 ;;
	*) echo "bench: unknown option -$OPTARG (try -h)" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "$#" -eq 0 ] || { echo "bench: unexpected argument: $1 (try -h)" >&2; exit 2; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench: -n wants a positive integer" >&2; exit 2; }
[[ $WARMUP =~ ^[0-9]+$ ]] || { echo "bench: -w wants a non-negative integer" >&2; exit 2; }
[[ $PORT =~ ^[1-9][0-9]*$ ]] && [ "$PORT" -le 65535 ] || { echo "bench: -p wants a port" >&2; exit 2; }

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
for tool in initdb pg_ctl psql postgres; do
	if [ ! -x "$PG_BINDIR/$tool" ]; then
		echo "bench: $PG_BINDIR/$tool not found (set PG_BINDIR)" >&2
		exit 1
	fi
done

as_pg=()
if [ "$(id -u)" -eq 0 ]; then
	if ! id postgres >/dev/null 2>&1; then
		echo "bench: running as root but there is no postgres user" >&2
		exit 1
	fi
	as_pg=(runuser -u postgres --)
fi
if command -v ss >/dev/null 2>&1 && [ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ]; then
	# both sides only use a Unix socket in their own directory, so this is
	# not fatal; a different port just keeps clear of the other server
	echo "bench: note: TCP port $PORT is in use by another server (choose one with -p)" >&2
fi

# ---- work directory, cleanup --------------------------------------------

work=$(mktemp -d /tmp/pgpod-bench.XXXXXX)
chmod 0755 "$work"
pidfile=$work/pgpod.pid	# the PID of a running `pgpod init`

# Stop a postmaster by the PID in its postmaster.pid, if it is still ours.
stop_postmaster() {
	local pidfile=$1 pid i
	pid=$(head -n 1 "$pidfile" 2>/dev/null) || return 0
	[[ $pid =~ ^[0-9]+$ ]] || return 0
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 0
	echo "bench: stopping postmaster $pid ($pidfile)" >&2
	kill -INT "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -QUIT "$pid" 2>/dev/null || return 0
	sleep 1
	kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
	local i f pid=""
	[ ! -f "$pidfile" ] || pid=$(cat "$pidfile" 2>/dev/null) || true
	if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
		echo "bench: stopping pgpod $pid" >&2
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	if [ -d "$work" ]; then
		while IFS= read -r -d '' f; do
			stop_postmaster "$f"
		done < <(find "$work" -maxdepth 4 -name postmaster.pid -print0 2>/dev/null)
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$work"	# a directory the postgres user may enter

# ---- inputs -----------------------------------------------------------------

password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$work/secrets/app-secret" "$work/configmaps"
(
	umask 077
	printf 'app' >"$work/secrets/app-secret/username"
	printf '%s' "$password" >"$work/secrets/app-secret/password"
)
cp "$repo/bench/cluster.yaml" "$work/cluster.yaml"

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "${t#0}"; }

fail_with_log() {
	echo "bench: $1 failed; the end of its log:" >&2
	tail -n 30 "$2" >&2 || true
	exit 1
}

# ---- one round of each ------------------------------------------------------

# Sets elapsed to the microseconds `pgpod init` took. pgpod runs in the
# foreground (Ctrl-C reaches it; an asynchronous command would start with
# SIGINT ignored), from a subshell that records its PID and execs it.
run_pgpod() {
	local d=$work/pgpod-$1 t0 t1 rc=0
	mkdir -m 0755 "$d"
	t0=$(now_us)
	(
		echo "$BASHPID" >"$pidfile"
		exec "$PGPOD" init --spec "$work/cluster.yaml" --secrets-dir "$work/secrets" \
			--configmaps-dir "$work/configmaps" --pgdata "$d/pgdata" --run-dir "$d/run" \
			--pg-port "$PORT" --pg-bin "$PG_BINDIR"
	) >"$work/pgpod-$1.log" 2>&1 </dev/null || rc=$?
	t1=$(now_us)
	rm -f "$pidfile"
	[ "$rc" -eq 0 ] || fail_with_log "pgpod init (round $1, exit $rc)" "$work/pgpod-$1.log"
	rm -rf "$d" "$work/pgpod-$1.log"
	elapsed=$((t1 - t0))
}

# Sets elapsed to the microseconds the raw sequence took.
run_raw() {
	local d=$work/raw-$1 t0 t1 rc=0
	mkdir -m 0755 "$d" "$d/sock"
	(
		umask 077
		printf "CREATE ROLE app LOGIN PASSWORD '%s';\nCREATE DATABASE app OWNER app;\n" \
			"$password" >"$d/init.sql"
	)
	[ "${#as_pg[@]}" -eq 0 ] || chown -R postgres:postgres "$d"
	t0=$(now_us)
	{
		"${as_pg[@]}" "$PG_BINDIR/initdb" -D "$d/data" &&
		"${as_pg[@]}" "$PG_BINDIR/pg_ctl" -D "$d/data" -l "$d/server.log" \
			-o "-c listen_addresses='' -k $d/sock -p $PORT" start -w &&
		"${as_pg[@]}" "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 \
			-h "$d/sock" -p "$PORT" -d postgres -f "$d/init.sql" &&
		"${as_pg[@]}" "$PG_BINDIR/pg_ctl" -D "$d/data" stop -m fast
	} >"$work/raw-$1.log" 2>&1 </dev/null || rc=$?
	t1=$(now_us)
	if [ "$rc" -ne 0 ]; then
		[ ! -f "$d/server.log" ] || cat "$d/server.log" >>"$work/raw-$1.log"
		fail_with_log "the raw sequence (round $1, exit $rc)" "$work/raw-$1.log"
	fi
	rm -rf "$d" "$work/raw-$1.log"
	elapsed=$((t1 - t0))
}

secs() { awk -v us="$1" 'BEGIN { printf "%.3f s", us / 1e6 }'; }

# ---- the rounds -----------------------------------------------------------------

version=$("$PG_BINDIR/postgres" --version 2>/dev/null || echo "postgres ?")
echo "bench/initdb.sh: pgpod init vs initdb + pg_ctl start + psql + pg_ctl stop"
echo "postgres: $version ($PG_BINDIR); pgpod: $PGPOD"
echo "user: $(id -un)${as_pg:+ (raw tools through runuser -u postgres; pgpod drops to postgres itself)}"
echo "rounds: $ROUNDS each, alternating, after $WARMUP untimed warm-up round(s) each"

for i in $(seq "$WARMUP"); do
	run_pgpod "w$i"
	run_raw "w$i"
done

pgpod_times=()
raw_times=()
for i in $(seq "$ROUNDS"); do
	run_pgpod "$i"
	p=$elapsed
	run_raw "$i"
	r=$elapsed
	pgpod_times+=("$p")
	raw_times+=("$r")
	printf 'round %d: pgpod %s, raw %s\n' "$i" "$(secs "$p")" "$(secs "$r")"
done

# median, mean, min, max of microsecond values
stats() {
	printf '%s\n' "$@" | sort -n | awk '
		{ v[NR] = $1; sum += $1 }
		END {
			med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%d %d %d %d\n", med, sum / NR, v[1], v[NR]
		}'
}

read -r p_med p_mean p_min p_max < <(stats "${pgpod_times[@]}")
read -r r_med r_mean r_min r_max < <(stats "${raw_times[@]}")
printf 'pgpod init: median %s, mean %s (min %s, max %s)\n' \
	"$(secs "$p_med")" "$(secs "$p_mean")" "$(secs "$p_min")" "$(secs "$p_max")"
printf 'raw:        median %s, mean %s (min %s, max %s)\n' \
	"$(secs "$r_med")" "$(secs "$r_mean")" "$(secs "$r_min")" "$(secs "$r_max")"
awk -v pm="$p_med" -v rm="$r_med" -v pa="$p_mean" -v ra="$r_mean" -v goal="$GOAL" 'BEGIN {
	med = pm / rm; mean = pa / ra
	printf "ratio pgpod/raw: median %.2f, mean %.2f (goal <= %.2f: %s)\n",
		med, mean, goal, (med <= goal) ? "met" : "NOT met"
}'
