#!/usr/bin/env bash
# bench/restore.sh — a benchmark, not a test: what a restore from a
# pgBackRest repository costs with pgpod against the raw tools, on the same
# backup in the same run:
#
#   1. a restore to the end of the archived WAL, until the first write
#      succeeds: `pgpod run` on an empty PGDATA with a PGO spec whose
#      dataSource.pgbackrest names the repository (restore, recovery,
#      promotion, roles, then postgres served: an INSERT over the socket),
#      against bare
#        pgbackrest restore --type=default  +  pg_ctl start -w
#        + polling until pg_is_in_recovery() is false and an INSERT succeeds;
#      and `pgpod restore` alone (restore, recovery, roles, exit) for
#      reference. Alternating rounds, medians; ratio pgpod run / bare (goal:
#      at most 1.05);
#   2. a standby fed from the repository until it is ready: `pgpod run` with
#      spec.standby {enabled, repoName} until /readyz is 200, against bare
#        pgbackrest restore --type=standby  +  pg_ctl start -w
#        + polling until it accepts a read-only query.
#
# The source: a cluster run by `pgpod run` (PGO spec, a posix repository),
# loaded with pgbench -i -s SCALE, one full backup, then a pgbench run of a
# few seconds so that there is WAL to replay after the backup.
#
#   bench/restore.sh [-s SCALE] [-n ROUNDS]
#
# Defaults: -s 50 (about 770 MB), -n 3. Environment: PGPOD (default ./pgpod
# of this repository). Everything lives in a 0755 work directory under /tmp
# removed on exit; every process started is stopped by PID. As root, the raw
# tools run as the postgres user (pgpod drops to it by itself). `sync` runs
# (untimed) before every timed round.
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
BENCH=restore
. bench/lib.sh

REPO=$W/repo
owned "$REPO"
chmod 755 "$W"
# ---- the source
SRUN=$W/srun; owned "$SRUN"
SPORT=$(port); SHTTP=$(port)
cat >"$W/source.yaml" <<EOF
apiVersion: postgres-operator.crunchydata.com/v1beta1
kind: PostgresCluster
metadata:
  name: source
spec:
  postgresVersion: 15
  instances:
    - replicas: 1
  backups:
    pgbackrest:
      global:
        repo1-path: $REPO
        start-fast: "y"
      repos:
      - name: repo1
        volume:
          volumeClaimSpec: {}
EOF
"$PGPOD" run --spec "$W/source.yaml" --secrets-dir "$W/none" --configmaps-dir "$W/none" \
	--pgdata "$W/source/pgdata" --run-dir "$SRUN" --pg-port "$SPORT" --pg-listen 127.0.0.1 \
	--listen "127.0.0.1:$SHTTP" >"$W/source.log" 2>&1 &
PIDS+=($!)
for i in $(seq 1 600); do
	grep -q 'stanza \\"db\\" is ready' "$W/source.log" && break
	sleep 0.2
done
echo "bench/restore.sh: $("$PGPOD" version | head -n 1), pgbackrest $(pgbackrest version | awk '{print $2}'), $(nproc) cpus, scale $SCALE, $ROUNDS rounds"
"${as_pg[@]}" "$PG_BIN/pgbench" -i -q -s "$SCALE" -h "$SRUN" -p "$SPORT" -U postgres postgres >/dev/null 2>&1
"$PGPOD" backup --type full --spec "$W/source.yaml" --secrets-dir "$W/none" \
	--configmaps-dir "$W/none" --pgdata "$W/source/pgdata" --run-dir "$SRUN" --pg-port "$SPORT" \
	>"$W/backup.log" 2>&1 || { tail "$W/backup.log"; exit 1; }
"${as_pg[@]}" "$PG_BIN/pgbench" -n -T 5 -c 2 -h "$SRUN" -p "$SPORT" -U postgres postgres >/dev/null 2>&1
psql_at "$SRUN" "$SPORT" "SELECT pg_switch_wal()" >/dev/null
sleep 2
echo "source: $(psql_at "$SRUN" "$SPORT" "SELECT pg_size_pretty(pg_database_size('postgres'))"), backup $(sed -n 's/.*"msg":"backup \([^ ]*\) .*/\1/p' "$W/backup.log")"
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true; PIDS=()

# the spec of the restored cluster (or of the standby)
b_spec() {
	cat >"$1" <<EOF
apiVersion: postgres-operator.crunchydata.com/v1beta1
kind: PostgresCluster
metadata:
  name: target
spec:
  postgresVersion: 15
  instances:
    - replicas: 1
EOF
	if [ "$2" = standby ]; then
		printf '  standby:\n    enabled: true\n    repoName: repo1\n' >>"$1"
		printf '  backups:\n    pgbackrest:\n      global:\n        repo1-path: %s\n      repos:\n      - name: repo1\n        volume:\n          volumeClaimSpec: {}\n' "$REPO" >>"$1"
	else
		printf '  dataSource:\n    pgbackrest:\n      stanza: db\n      global:\n        repo1-path: %s\n      repo:\n        name: repo1\n        volume:\n          volumeClaimSpec: {}\n' "$REPO" >>"$1"
	fi
}

# pgpod_round KIND: microseconds until a write (restore) or /readyz (standby).
pgpod_round() {
	local d=$W/r$RANDOM run p h t0 pid
	run=$d/run; owned "$d"; owned "$run"; p=$(port); h=$(port)
	b_spec "$d/spec.yaml" "$1"
	sync
	t0=$(now_us)
	"$PGPOD" run --spec "$d/spec.yaml" --secrets-dir "$W/none" --configmaps-dir "$W/none" \
		--pgdata "$d/pgdata" --run-dir "$run" --pg-port "$p" --pg-listen 127.0.0.1 \
		--listen "127.0.0.1:$h" >"$d/log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	while :; do
		if [ "$1" = standby ]; then
			[ "$(code "$h")" = 200 ] && break
		else
			psql_at "$run" "$p" "CREATE TABLE IF NOT EXISTS w (x int); INSERT INTO w VALUES (1)" >/dev/null && break
		fi
		kill -0 "$pid" 2>/dev/null || { tail "$d/log" >&2; exit 1; }
		sleep 0.02
	done
	echo $(($(now_us) - t0))
	kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
	rm -rf "$d"
}

# pgpod_restore_only: microseconds of `pgpod restore`.
pgpod_restore_only() {
	local d=$W/o$RANDOM t0
	owned "$d"; owned "$d/run"
	b_spec "$d/spec.yaml" restore
	sync
	t0=$(now_us)
	"$PGPOD" restore --spec "$d/spec.yaml" --secrets-dir "$W/none" --configmaps-dir "$W/none" \
		--pgdata "$d/pgdata" --run-dir "$d/run" --pg-port "$(port)" >"$d/log" 2>&1 ||
		{ tail "$d/log" >&2; exit 1; }
	echo $(($(now_us) - t0))
	rm -rf "$d"
}

# raw_round KIND: bare pgbackrest restore + pg_ctl start + the same wait.
raw_round() {
	local d=$W/x$RANDOM p t0 type=default
	[ "$1" = standby ] && type=standby
	owned "$d"; owned "$d/pgdata"; owned "$d/sock"; p=$(port)
	cat >"$d/pgbackrest.conf" <<EOF
[global]
repo1-path=$REPO
lock-path=$d/sock
log-level-file=off
[db]
pg1-path=$d/pgdata
EOF
	chmod 644 "$d/pgbackrest.conf"
	sync
	t0=$(now_us)
	"${as_pg[@]}" pgbackrest --config="$d/pgbackrest.conf" --stanza=db --type="$type" \
		--process-max="$(nproc)" --log-level-console=warn restore
	PG_DIRS+=("$d/pgdata")
	"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$d/pgdata" -w -t 600 -l "$d/sock/log" \
		-o "-p $p -c listen_addresses='' -c unix_socket_directories=$d/sock -c archive_mode=off" \
		start >/dev/null
	while :; do
		if [ "$1" = standby ]; then
			psql_at "$d/sock" "$p" "SELECT 1" >/dev/null && break
		else
			[ "$(psql_at "$d/sock" "$p" "SELECT pg_is_in_recovery()")" = f ] &&
				psql_at "$d/sock" "$p" "CREATE TABLE IF NOT EXISTS w (x int); INSERT INTO w VALUES (1)" >/dev/null && break
		fi
		sleep 0.02
	done
	echo $(($(now_us) - t0))
	"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$d/pgdata" -m fast -w stop >/dev/null
	rm -rf "$d"
}

for kind in restore standby; do
	P=(); R=(); O=()
	for i in $(seq 1 "$ROUNDS"); do
		P+=("$(pgpod_round "$kind")")
		R+=("$(raw_round "$kind")")
		[ "$kind" = restore ] && O+=("$(pgpod_restore_only)")
	done
	pm=$(median "${P[@]}"); rm_=$(median "${R[@]}")
	if [ "$kind" = restore ]; then
		echo "restore to the end of the WAL, until the first write: pgpod run $(secs "$pm"), bare pgbackrest restore + pg_ctl start $(secs "$rm_"); ratio $(ratio "$pm" "$rm_") (goal <= 1.05); pgpod restore alone $(secs "$(median "${O[@]}")")"
	else
		echo "standby from the repository, until ready: pgpod run $(secs "$pm") (/readyz 200), bare pgbackrest restore --type=standby + pg_ctl start $(secs "$rm_") (a read-only query); ratio $(ratio "$pm" "$rm_")"
	fi
done
