#!/usr/bin/env bash
# bench/recovery.sh — a benchmark, not a test: what a recovery from a Barman
# Cloud object store costs with pgpod against the raw tools, on the same
# backup and WAL in the same run, and how well `pgpod wal-archive` keeps up.
# The object store is s3rver (scripts/deps.sh installs it) over HTTP on
# 127.0.0.1, with its well-known test keys.
#
#   1. a recovery to the end of the archived WAL, until the first write
#      succeeds: `pgpod run` on an empty PGDATA with a CloudNativePG spec
#      whose bootstrap.recovery names the store (wal.maxParallel 4: WAL is
#      fetched ahead), against bare
#        barman-cloud-restore + recovery.signal + restore_command =
#        barman-cloud-wal-restore + pg_ctl start -w + polling until
#        pg_is_in_recovery() is false and an INSERT succeeds;
#      and `pgpod restore` alone for reference. Alternating rounds, medians,
#      ratio pgpod run / bare (goal: at most 1.0);
#   2. WAL archive throughput: the source archiving through `pgpod
#      wal-archive` with wal.maxParallel 1, then 4, under the same pgbench
#      write load (-T LOAD seconds): the most .ready segments seen waiting
#      (sampled every 0.5 s), and how long after the load the archive took to
#      catch up.
#
#   bench/recovery.sh [-s SCALE] [-n ROUNDS] [-l LOAD]
#
# Defaults: -s 50 (about 770 MB), -n 3, -l 20. Environment: PGPOD (default
# ./pgpod of this repository), S3RVER (default
# /opt/pgpod-test/s3rver/node_modules/s3rver/bin/s3rver.js). Everything lives
# in a 0755 work directory under /tmp removed on exit; every process started
# is stopped by PID. As root, the raw tools run as the postgres user.
set -euo pipefail

SCALE=50
ROUNDS=3
LOAD=20
while getopts ':s:n:l:h' opt; do
	case $opt in
	s) SCALE=$OPTARG ;;
	n) ROUNDS=$OPTARG ;;
	l) LOAD=$OPTARG ;;
	*) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	esac
done
cd "$(dirname "$0")/.."
S3RVER=${S3RVER:-/opt/pgpod-test/s3rver/node_modules/s3rver/bin/s3rver.js}
BENCH=recovery
. bench/lib.sh
# wait_for TRIES CMD...: CMD (a function: its arguments are expanded once) until it succeeds, 0.2 s apart
wait_for() { local i; for i in $(seq 1 "$1"); do "${@:2}" && return 0; sleep 0.2; done; return 1; }

# ---- the object store
S3PORT=$(port)
mkdir -p "$W/s3"
(cd "$W" && exec node "$S3RVER" --directory "$W/s3" --address 127.0.0.1 --port "$S3PORT" \
	--no-vhost-buckets) >"$W/s3.log" 2>&1 &
PIDS+=($!)
wait_for 100 curl -s -o /dev/null "http://127.0.0.1:$S3PORT/" || { echo "s3rver did not start"; exit 1; }
curl -s -o /dev/null -X PUT "http://127.0.0.1:$S3PORT/bench-store"
SEC=$W/secrets
mkdir -p "$SEC/s3"
printf S3RVER >"$SEC/s3/ID"; printf S3RVER >"$SEC/s3/KEY"; printf us-east-1 >"$SEC/s3/REGION"
chmod -R 755 "$SEC"
store() { # store INDENT PARALLEL: a barmanObjectStore body
	sed "s/^/$1/" <<EOF
destinationPath: s3://bench-store/
endpointURL: http://127.0.0.1:$S3PORT
serverName: source
s3Credentials:
  accessKeyId: {name: s3, key: ID}
  secretAccessKey: {name: s3, key: KEY}
  region: {name: s3, key: REGION}
wal:
  maxParallel: $2
data:
  immediateCheckpoint: true
  jobs: $(nproc)
EOF
}

# ---- the source, archiving with wal.maxParallel $1
SRUN=$W/srun; owned "$SRUN"
SPORT=$(port); SHTTP=$(port)
source_spec() {
	printf 'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: source\n  annotations:\n    cnpg.io/skipEmptyWalArchiveCheck: enabled\nspec:\n  instances: 1\n  backup:\n    barmanObjectStore:\n' >"$W/source.yaml"
	store "      " "$1" >>"$W/source.yaml"
}
source_start() {
	"$PGPOD" run --spec "$W/source.yaml" --secrets-dir "$SEC" --configmaps-dir "$W/none" \
		--pgdata "$W/source/pgdata" --run-dir "$SRUN" --pg-port "$SPORT" --pg-listen 127.0.0.1 \
		--listen "127.0.0.1:$SHTTP" >>"$W/source.log" 2>&1 &
	SPID=$!
	PIDS+=("$SPID")
	wait_for 600 source_ready || { tail "$W/source.log"; exit 1; }
}
source_stop() { kill -TERM "$SPID"; wait "$SPID" 2>/dev/null || true; }
ready_count() { find "$W/source/pgdata/pg_wal/archive_status" -name '*.ready' 2>/dev/null | wc -l; }
source_ready() { [ "$(code "$SHTTP")" = 200 ]; }
archived_all() { [ "$(ready_count)" = 0 ]; }

source_spec 4
source_start
echo "bench/recovery.sh: $("$PGPOD" version | head -n 1), barman-cloud $(barman-cloud-backup --version 2>&1 | awk '{print $NF}'), $(nproc) cpus, scale $SCALE, $ROUNDS rounds"
"${as_pg[@]}" "$PG_BIN/pgbench" -i -q -s "$SCALE" -h "$SRUN" -p "$SPORT" -U postgres postgres >/dev/null 2>&1
"$PGPOD" backup --spec "$W/source.yaml" --secrets-dir "$SEC" --configmaps-dir "$W/none" \
	--pgdata "$W/source/pgdata" --run-dir "$SRUN" --pg-port "$SPORT" >"$W/backup.log" 2>&1 ||
	{ tail "$W/backup.log"; exit 1; }
"${as_pg[@]}" "$PG_BIN/pgbench" -n -T 5 -c 2 -h "$SRUN" -p "$SPORT" -U postgres postgres >/dev/null 2>&1
psql_at "$SRUN" "$SPORT" "SELECT pg_switch_wal()" >/dev/null
wait_for 600 archived_all || true
BACKUP=$(sed -n 's/.*"msg":"backup \([0-9T]*\) to .*/\1/p' "$W/backup.log")
echo "source: $(psql_at "$SRUN" "$SPORT" "SELECT pg_size_pretty(pg_database_size('postgres'))"), backup $BACKUP"
source_stop

# the restored cluster's spec
r_spec() {
	printf 'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: target\nspec:\n  instances: 1\n  bootstrap:\n    recovery:\n      source: origin\n  externalClusters:\n    - name: origin\n      barmanObjectStore:\n' >"$1"
	store "          " 4 >>"$1"
}

# pgpod_round: microseconds until the first write on the recovered cluster.
pgpod_round() {
	local d=$W/r$RANDOM run p h t0 pid
	run=$d/run; owned "$d"; owned "$run"; p=$(port); h=$(port)
	r_spec "$d/spec.yaml"
	sync
	t0=$(now_us)
	"$PGPOD" run --spec "$d/spec.yaml" --secrets-dir "$SEC" --configmaps-dir "$W/none" \
		--pgdata "$d/pgdata" --run-dir "$run" --pg-port "$p" --pg-listen 127.0.0.1 \
		--listen "127.0.0.1:$h" >"$d/log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	until psql_at "$run" "$p" "CREATE TABLE IF NOT EXISTS w (x int); INSERT INTO w VALUES (1)" >/dev/null; do
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
	r_spec "$d/spec.yaml"
	sync
	t0=$(now_us)
	"$PGPOD" restore --spec "$d/spec.yaml" --secrets-dir "$SEC" --configmaps-dir "$W/none" \
		--pgdata "$d/pgdata" --run-dir "$d/run" --pg-port "$(port)" >"$d/log" 2>&1 ||
		{ tail "$d/log" >&2; exit 1; }
	echo $(($(now_us) - t0))
	rm -rf "$d"
}

# raw_round: bare barman-cloud-restore + barman-cloud-wal-restore as the
# restore_command + pg_ctl start, until the first write.
raw_round() {
	local d=$W/x$RANDOM p t0 env
	owned "$d"; owned "$d/pgdata"; owned "$d/sock"; p=$(port)
	printf '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' >"$d/creds"
	printf '[default]\nregion = us-east-1\n' >"$d/config"
	chmod 644 "$d/creds" "$d/config"
	env="AWS_SHARED_CREDENTIALS_FILE=$d/creds AWS_CONFIG_FILE=$d/config"
	sync
	t0=$(now_us)
	"${as_pg[@]}" env AWS_SHARED_CREDENTIALS_FILE="$d/creds" AWS_CONFIG_FILE="$d/config" \
		barman-cloud-restore --endpoint-url "http://127.0.0.1:$S3PORT" s3://bench-store/ source \
		"$BACKUP" "$d/pgdata"
	"${as_pg[@]}" touch "$d/pgdata/recovery.signal"
	PG_DIRS+=("$d/pgdata")
	"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$d/pgdata" -w -t 600 -l "$d/sock/log" \
		-o "-p $p -c listen_addresses='' -c unix_socket_directories=$d/sock -c archive_mode=off -c recovery_target_action=promote -c restore_command='$env barman-cloud-wal-restore --endpoint-url http://127.0.0.1:$S3PORT s3://bench-store/ source %f %p'" \
		start >/dev/null
	until [ "$(psql_at "$d/sock" "$p" "SELECT pg_is_in_recovery()")" = f ] &&
		psql_at "$d/sock" "$p" "CREATE TABLE IF NOT EXISTS w (x int); INSERT INTO w VALUES (1)" >/dev/null; do
		sleep 0.02
	done
	echo $(($(now_us) - t0))
	"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$d/pgdata" -m fast -w stop >/dev/null
	rm -rf "$d"
}

P=(); R=(); O=()
for i in $(seq 1 "$ROUNDS"); do
	P+=("$(pgpod_round)")
	R+=("$(raw_round)")
	O+=("$(pgpod_restore_only)")
done
pm=$(median "${P[@]}"); rm_=$(median "${R[@]}")
echo "recovery to the end of the WAL, until the first write: pgpod run $(secs "$pm"), bare barman-cloud-restore + pg_ctl start $(secs "$rm_"); ratio $(ratio "$pm" "$rm_") (goal <= 1.0); pgpod restore alone $(secs "$(median "${O[@]}")")"

# ---- archive throughput under load
for par in 1 4; do
	source_spec "$par"
	source_start
	max=0
	"${as_pg[@]}" "$PG_BIN/pgbench" -n -T "$LOAD" -c 2 -h "$SRUN" -p "$SPORT" -U postgres postgres >/dev/null 2>&1 &
	load=$!
	while kill -0 "$load" 2>/dev/null; do
		n=$(ready_count)
		[ "$n" -gt "$max" ] && max=$n
		sleep 0.5
	done
	wait "$load" 2>/dev/null || true
	t0=$(now_us)
	wait_for 3000 archived_all || true
	echo "wal.maxParallel $par: at most $max segments waiting during $LOAD s of pgbench; caught up $(secs $(($(now_us) - t0))) after it"
	source_stop
done
