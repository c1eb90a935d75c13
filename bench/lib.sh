# shellcheck shell=bash
# bench/lib.sh — what the restore benchmarks share (sourced after their
# option parsing, from the repository's top directory): PGPOD copied into a
# 0755 work directory $W under /tmp that is removed on exit, every process
# in PIDS stopped by PID and every postgres in PG_DIRS (its postmaster.pid)
# stopped too; as root, as_pg runs a tool as the postgres user.
PGPOD=${PGPOD:-$PWD/pgpod}
PG_BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$PGPOD" ] || make -s
as_pg=()
[ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)

W=$(mktemp -d "/tmp/pgpod-bench-$BENCH.XXXXXX")
chmod 755 "$W"
PIDS=()
PG_DIRS=()
cleanup() {
	local p d pid
	trap - EXIT
	# a child stopped by SIGTERM waits with 143: under set -e that would
	# end the cleanup here, before the work directory goes
	for p in "${PIDS[@]}"; do
		{ kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; } || true
	done
	for d in "${PG_DIRS[@]}"; do
		pid=$(head -n 1 "$d/postmaster.pid" 2>/dev/null) || continue
		kill -INT "$pid" 2>/dev/null || true
	done
	sleep 1
	rm -rf "$W"
}
trap cleanup EXIT
cp "$PGPOD" "$W/pgpod"
PGPOD=$W/pgpod
. "$(dirname "${BASH_SOURCE[0]}")/port.sh"

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "${t#0}"; }
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "?" }'; }
secs() { awk -v us="$1" 'BEGIN { printf "%.2f s", us / 1e6 }'; }
port() { free_port; }
owned() { mkdir -p "$1"; chmod 700 "$1"; [ ${#as_pg[@]} = 0 ] || chown postgres: "$1"; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1/readyz" || true; }
psql_at() { "${as_pg[@]}" "$PG_BIN/psql" -X -q -At -h "$1" -p "$2" -U postgres -d postgres -c "$3" 2>/dev/null; }
