#!/usr/bin/env bash
# bench/import.sh — a benchmark, not a test: what a microservice import
# (bootstrap.initdb.import) costs with pgpod against the same work done by
# hand with the raw tools, on the same source in the same run.
#
#   pgpod   `pgpod init` with a microservice import of the source's pgbench
#           database (initdb, the import into the application database,
#           ANALYZE, the flush to disk);
#   by hand initdb --no-sync, pg_ctl start (with the settings pgpod's import
#           runs under: fsync, full_page_writes off, wal_level minimal),
#           createdb, pg_dump -Fd -j2 | pg_restore -j2 --no-owner,
#           vacuumdb --analyze-only, pg_ctl stop, sync.
#
# Alternating rounds, medians, ratio pgpod / by hand (goal: at most 1.05).
#
#   bench/import.sh [-s SCALE] [-n ROUNDS]
#
# Defaults: -s 50 (about 750 MB), -n 3. Environment: PGPOD (default ./pgpod
# of this repository). Everything lives in a 0755 work directory under /tmp
# removed on exit; every process started is stopped by PID. As root, the
# raw tools run as the postgres user.
set -euo pipefail

SCALE=50
ROUNDS=3
while getopts ':s:n:h' opt; do
	case $opt in
	s) SCALE=$OPTARG ;;
	n) ROUNDS=$OPTARG ;;
	*) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	esac
done
cd "$(dirname "$0")/.."
BENCH=import
. bench/lib.sh

pg() { "${as_pg[@]}" "$PG_BIN/$@"; }
FAST=(-c fsync=off -c full_page_writes=off -c wal_level=minimal -c max_wal_senders=0
	-c synchronous_commit=off -c maintenance_work_mem=256MB -c listen_addresses=)

# ---- the source: a plain postgres with the pgbench database "bench"
SRC=$W/src; owned "$SRC"; owned "$SRC/sock"
SPORT=$(port)
pg initdb -D "$SRC/data" -U postgres --no-sync -E UTF8 --locale=C >"$SRC/initdb.log" 2>&1
PG_DIRS+=("$SRC/data")
pg pg_ctl -D "$SRC/data" -w -l "$SRC/log" -o "-c port=$SPORT -c unix_socket_directories=$SRC/sock -c listen_addresses= -c fsync=off" start >/dev/null
pg createdb -h "$SRC/sock" -p "$SPORT" -U postgres bench
pg pgbench -i -q -s "$SCALE" -h "$SRC/sock" -p "$SPORT" -U postgres bench >/dev/null 2>&1
echo "bench/import.sh: $("$PGPOD" version | head -n 1), $(nproc) cpus, scale $SCALE, $ROUNDS rounds; source $(psql_at "$SRC/sock" "$SPORT" "SELECT pg_size_pretty(pg_database_size('bench'))")"

# pgpod_round: microseconds of `pgpod init` with the import.
pgpod_round() {
	local d=$W/p$RANDOM t0
	owned "$d"; owned "$d/run"
	cat >"$d/spec.yaml" <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: target
spec:
  instances: 1
  bootstrap:
    initdb:
      import:
        type: microservice
        databases: [bench]
        source:
          externalCluster: src
  externalClusters:
    - name: src
      connectionParameters:
        host: $SRC/sock
        port: "$SPORT"
        user: postgres
        dbname: postgres
EOF
	sync
	t0=$(now_us)
	"$PGPOD" init --spec "$d/spec.yaml" --secrets-dir "$W/none" --configmaps-dir "$W/none" \
		--pgdata "$d/pgdata" --run-dir "$d/run" --pg-port "$(port)" >"$d/log" 2>&1 ||
		{ tail "$d/log" >&2; exit 1; }
	echo $(($(now_us) - t0))
	rm -rf "$d"
}

# raw_round: microseconds of the same by hand.
raw_round() {
	local d=$W/r$RANDOM p t0
	owned "$d"; owned "$d/sock"; owned "$d/dump"
	p=$(port)
	sync
	t0=$(now_us)
	pg initdb -D "$d/data" -U postgres --no-sync -E UTF8 --locale=C >/dev/null 2>&1
	PG_DIRS+=("$d/data")
	pg pg_ctl -D "$d/data" -w -l "$d/log" -o "-c port=$p -c unix_socket_directories=$d/sock ${FAST[*]}" start >/dev/null
	pg createdb -h "$d/sock" -p "$p" -U postgres app
	pg pg_dump -Fd -j2 -f "$d/dump/bench" -h "$SRC/sock" -p "$SPORT" -U postgres bench
	pg pg_restore -j2 --no-owner -h "$d/sock" -p "$p" -U postgres -d app "$d/dump/bench"
	pg vacuumdb --analyze-only -q -h "$d/sock" -p "$p" -U postgres app
	pg pg_ctl -D "$d/data" -w -m fast stop >/dev/null
	sync
	echo $(($(now_us) - t0))
	rm -rf "$d"
}

P=(); R=()
for i in $(seq 1 "$ROUNDS"); do
	P+=("$(pgpod_round)")
	R+=("$(raw_round)")
done
pm=$(median "${P[@]}"); rm_=$(median "${R[@]}")
echo "microservice import of scale $SCALE: pgpod init $(secs "$pm"), by hand $(secs "$rm_"); ratio $(ratio "$pm" "$rm_") (goal <= 1.05)"
