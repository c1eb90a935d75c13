#!/usr/bin/env bash
# Barman Cloud in the pod (CloudNativePG dialect), with Debian's
# barman-cli-cloud against s3rver over HTTPS (endpointCA from a Secret):
# the store directory pgpod writes, the WAL archive through `pgpod
# wal-archive` with segments archived ahead (wal.maxParallel), and `pgpod
# wal-restore` bringing a segment back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/source.sh"
. "$(dirname "$0")/s3.sh"

BUCKET=pgpod-barman

# cnpg_spec FILE [PARALLEL]: Cluster "wal-arch" archiving to s3://$BUCKET/,
# keys and CA from Secrets.
cnpg_spec() {
	{
		printf 'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: wal-arch\n'
		printf 'spec:\n  instances: 1\n  backup:\n    retentionPolicy: "7d"\n    barmanObjectStore:\n'
		store_yaml "      " "$S3_PORT"
		printf '      tags:\n        env: it\n      historyTags:\n        kind: history\n'
		printf '      wal:\n        compression: gzip\n        maxParallel: %s\n' "${2:-4}"
		printf '        archiveAdditionalCommandArgs: ["--read-timeout=60"]\n'
		printf '        restoreAdditionalCommandArgs: ["--read-timeout=60"]\n'
		printf '      data:\n        compression: gzip\n        immediateCheckpoint: true\n        jobs: 2\n'
		printf '        additionalCommandArgs: ["--name=pgpod-it", "--read-timeout=60"]\n'
	} >"$1"
	SPEC=$1
}

# store_yaml INDENT PORT: the bucket on s3rver at PORT, its CA and keys
# from the Secrets store_up makes, as barmanObjectStore lines.
store_yaml() {
	sed "s/^/$1/" <<EOF
destinationPath: s3://$BUCKET/
endpointURL: https://127.0.0.1:$2
endpointCA:
  name: s3-ca
  key: ca.crt
s3Credentials:
  accessKeyId:
    name: s3-creds
    key: ACCESS_KEY_ID
  secretAccessKey:
    name: s3-creds
    key: ACCESS_SECRET_KEY
  region:
    name: s3-creds
    key: REGION
EOF
}

# store_up: s3rver, the bucket, the Secrets.
store_up() {
	command -v barman-cloud-wal-archive >/dev/null 2>&1 ||
		{ fail "barman-cloud-wal-archive is not installed (run scripts/deps.sh)"; return 1; }
	s3_start || return 1
	s3_bucket "$BUCKET" || return 1
	make_secret s3-creds ACCESS_KEY_ID "$S3_KEY"
	make_secret s3-creds ACCESS_SECRET_KEY "$S3_SECRET"
	make_secret s3-creds REGION us-east-1
	make_secret s3-ca ca.crt "$(cat "$S3_CA")"
}

status_json() { http_get /pg/status | jq -r "$1" 2>/dev/null; }
status_at_least() { [ "$(status_json "$1")" -ge "$2" ] 2>/dev/null; }
# prefetched N: N whole segments in the source store's prefetch directory
prefetched() {
	[ "$(find "$RUN/barman/source/prefetch" -type f -name '0*' ! -name '*.*' 2>/dev/null | wc -l)" = "$1" ]
}
# archived_in_bucket SEG: s3rver holds the (gzip) segment of server wal-arch
archived_in_bucket() { [ -n "$(find "$S3_DIR/data/$BUCKET/wal-arch/wals" -name "$1*" 2>/dev/null)" ]; }

test_wal_archive_to_object_store() {
	local seg i segs=() pid next
	store_up || return
	cnpg_spec "$T/spec.yaml" 4
	pgpod_run_bg
	wait_code /readyz 200 60 || { fail "not ready$(last_output_tail)"; return; }
	expect_grep "archive_command runs pgpod" "wal-archive --run-dir" "$PGDATA/pgpod.conf"
	expect_eq "mode of the credentials file" 600 "$(stat -c %a "$RUN/barman/own/aws-credentials")"
	expect_eq "mode of the store directory" 700 "$(stat -c %a "$RUN/barman/own")"
	# several segments at once: the archiver finds them ready together
	psql_su postgres "CREATE TABLE t (x int)" >/dev/null
	for i in 1 2 3 4 5 6; do
		segs+=("$(psql_su postgres "INSERT INTO t VALUES ($i); SELECT pg_walfile_name(pg_current_wal_lsn())")")
		psql_su postgres "SELECT pg_switch_wal()" >/dev/null
	done
	for seg in "${segs[@]}"; do
		wait_for 300 0.1 archived_in_bucket "$seg" || fail "segment $seg did not reach the bucket"
	done
	wait_for 100 0.1 status_at_least .archive.archivedCount 6 ||
		fail "pg_stat_archiver counts fewer than 6$(last_output_tail)"
	expect_eq "no archive failure" 0 "$(status_json .archive.failedCount)"
	expect_grep "gzip-compressed" ".gz" <(find "$S3_DIR/data/$BUCKET/wal-arch/wals" -type f)
	expect_no_grep "the secret key is not logged" "$S3_SECRET" "$RUN_OUT" "$RUN_ERR"
	# wal-restore, with the same store as the source, brings a segment back
	as_pg mkdir -m 0700 "$RUN/barman/source" && as_pg find "$RUN/barman/own" -maxdepth 1 -type f -exec cp -p {} "$RUN/barman/source/" \; ||
		{ fail "cannot copy the store"; return; }
	mkdir -p "$T/wr" && give_to_pg "$T/wr"
	as_pg "$PGPOD" wal-restore --run-dir "$RUN" "${segs[0]}" "$T/wr/seg" 2>"$T/wal-restore.err"
	expect_rc "pgpod wal-restore of an archived segment" 0 $?
	expect_eq "the restored segment's size" 16777216 "$(stat -c %s "$T/wr/seg" 2>/dev/null)"
	# maxParallel 4: the next three were fetched ahead (the fetcher is
	# detached: bounded wait), and are served from there
	wait_for 100 0.1 prefetched 3 || fail "segments fetched ahead: $(ls "$RUN/barman/source/prefetch")"
	next=$(find "$RUN/barman/source/prefetch" -type f -name '0*' ! -name '*.*' -printf '%f\n' | sort | head -n 1)
	as_pg "$PGPOD" wal-restore --run-dir "$RUN" "$next" "$T/wr/seg2" 2>>"$T/wal-restore.err"
	expect_rc "pgpod wal-restore of a segment fetched ahead" 0 $?
	expect_eq "its size" 16777216 "$(stat -c %s "$T/wr/seg2" 2>/dev/null)"
	# served by a copy (pg_wal is seldom on the run directory's file system),
	# kept for postgres' second request at the end of a recovery
	check "kept in the prefetch directory" test -e "$RUN/barman/source/prefetch/$next"
	cmp -s "$T/wr/seg2" "$RUN/barman/source/prefetch/$next" || fail "the served copy differs"
	as_pg "$PGPOD" wal-restore --run-dir "$RUN" 0000000100000000000000EE "$T/wr/missing" 2>/dev/null
	expect_rc "pgpod wal-restore of a segment the archive lacks" 1 $?
	check "nothing written for it" test ! -e "$T/wr/missing"
	stop_run TERM
	pid=$S3_PID
	s3_stop
	kill -0 "$pid" 2>/dev/null && fail "s3rver (pid $pid) still running"
	return 0
}

# recovery_spec FILE NAME TARGET-LINES [PORT]: Cluster NAME recovering from
# wal-arch's object store (externalClusters "origin"), the recoveryTarget
# lines given (YAML under recoveryTarget, 8 spaces), s3rver at PORT.
recovery_spec() {
	{
		printf 'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: %s\n' "$2"
		printf 'spec:\n  instances: 1\n  bootstrap:\n    recovery:\n      source: origin\n'
		printf '      recoveryTarget:\n%s\n' "$3"
		printf '  externalClusters:\n    - name: origin\n      barmanObjectStore:\n'
		printf '        serverName: wal-arch\n'
		store_yaml "        " "${4:-$S3_PORT}"
		printf '        wal:\n          maxParallel: 4\n'
	} >"$1"
	SPEC=$1
}

# base_backup: `pgpod backup` of the running cluster into its store; the
# new backup's id into BACKUP_ID.
base_backup() {
	pgpod_cmd backup || { fail "pgpod backup failed$(last_output_tail)"; return 1; }
	BACKUP_ID=$(log_msgs info "$LAST_OUT" | sed -n 's/^backup \([0-9T]*\) to .* done in .*/\1/p' | tail -n 1)
	[ -n "$BACKUP_ID" ] || { fail "no backup id in the summary$(last_output_tail)"; return 1; }
	check "the backup is in the bucket" test -d "$S3_DIR/data/$BUCKET/wal-arch/base/$BACKUP_ID"
	# data.additionalCommandArgs reached barman-cloud-backup
	expect_grep "the backup's name from --name" "backup_name=pgpod-it" \
		<(cat "$S3_DIR/data/$BUCKET/wal-arch/base/$BACKUP_ID"/backup.info* 2>/dev/null)
}

# b_at N: PGDATA and run dir of restored cluster N.
b_at() { PGDATA=$T/b$1/pgdata RUN=$T/brun$1 SOCK=$T/brun$1; }

b_rows() {
	pg_start "$PGDATA" || return 1
	psql_su postgres "SELECT coalesce(string_agg(x::text, ',' ORDER BY x), '') FROM t"
	pg_stop "$PGDATA"
}

# expect_recovery_refused DESC TEXT: pgpod restore exits 1, an error holds
# TEXT, PGDATA stays empty.
expect_recovery_refused() {
	pgpod_cmd restore
	expect_rc "$1" 1 $?
	log_msgs error "$LAST_OUT" | grep -qF -- "$2" || fail "$1: no error with \"$2\"$(last_output_tail)"
	check "$1: nothing written" test -z "$(ls -A "$PGDATA" 2>/dev/null)"
}

# bootstrap.recovery from the object store: to a time between two rows, to
# the end of the archive; the refusals before anything is written.
test_recovery_from_object_store() {
	local when seg closed early
	store_up || return
	cnpg_spec "$T/spec.yaml" 4
	pgpod_run_bg
	wait_code /readyz 200 60 || { fail "not ready$(last_output_tail)"; return; }
	psql_su postgres "CREATE TABLE t (x int); INSERT INTO t VALUES (1)" >/dev/null
	base_backup || return
	expect_grep "the retention policy applied" 'retention policy \"7d\" (RECOVERY WINDOW OF 7 DAYS) applied' "$LAST_OUT"
	expect_no_grep "pgpod backup: the secret key is not logged" "$S3_SECRET" "$LAST_OUT" "$LAST_ERR"
	early=$(psql_su postgres "SELECT to_char(now() AT TIME ZONE 'UTC' - interval '1 hour', 'YYYY-MM-DD HH24:MI:SS') || '+00'")
	psql_su postgres "INSERT INTO t VALUES (2)" >/dev/null
	when=$(psql_su postgres "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
	sleep 1.2
	seg=$(psql_su postgres "INSERT INTO t VALUES (3); SELECT pg_walfile_name(pg_current_wal_lsn())")
	psql_su postgres "SELECT pg_switch_wal()" >/dev/null
	wait_for 300 0.1 archived_in_bucket "$seg" || { fail "segment $seg not archived"; return; }
	stop_run TERM

	b_at 1; recovery_spec "$T/b1.yaml" restored "        targetTime: \"$when\""
	pgpod_cmd restore
	expect_rc "pgpod restore to a time" 0 $? && expect_bootstrapped "$PGDATA"
	expect_eq "method in the marker" recovery "$(jq -r .method "$PGDATA/pgpod-bootstrap.json")"
	expect_eq "backup in the marker" "$BACKUP_ID" "$(jq -r .backup "$PGDATA/pgpod-bootstrap.json")"
	expect_eq "rows at the time target" "1,2" "$(b_rows)"
	expect_no_grep "the secret key is not logged" "$S3_SECRET" "$LAST_OUT" "$LAST_ERR"

	b_at 2; recovery_spec "$T/b2.yaml" restored "        {}"
	pgpod_cmd restore
	expect_rc "pgpod restore to the end of the archive" 0 $? && expect_eq "every row" "1,2,3" "$(b_rows)"
	expect_eq "a new timeline" 2 "$(jq -r .timeline "$PGDATA/pgpod-bootstrap.json")"

	b_at 3; recovery_spec "$T/b3.yaml" restored "        targetTime: \"$early\""
	expect_recovery_refused "a time before every backup" "has no backup that ends before the target"
	b_at 4; recovery_spec "$T/b4.yaml" restored "        backupID: 20000101T000000"
	expect_recovery_refused "a backupID that is not there" 'has no completed backup "20000101T000000"'
	b_at 5; recovery_spec "$T/b5.yaml" restored "        targetTLI: \"7\""
	expect_recovery_refused "a timeline the archive lacks" "timeline 7 is not in the history"
	alloc_port closed || return
	b_at 6; recovery_spec "$T/b6.yaml" restored "        {}" "$closed"
	expect_recovery_refused "an endpoint that does not answer" "cannot be read"
	s3_stop
}

# bootstrap.recovery to each other target kind, rows before and after
# it: a restore point, an LSN, a transaction (exclusive), the end of the
# backup; and a backup whose backup.info says another major, refused.
test_recovery_target_kinds() {
	local lsn xid info seg
	store_up || return
	cnpg_spec "$T/spec.yaml" 4
	pgpod_run_bg
	wait_code /readyz 200 60 || { fail "not ready$(last_output_tail)"; return; }
	psql_su postgres "CREATE TABLE t (x int); INSERT INTO t VALUES (1)" >/dev/null
	base_backup || return
	# each its own transaction (one psql -c is one): the restore point
	# after row 2's commit
	psql_su postgres "INSERT INTO t VALUES (2)" >/dev/null
	psql_su postgres "SELECT pg_create_restore_point('before-3')" >/dev/null
	lsn=$(psql_su postgres "INSERT INTO t VALUES (3); SELECT pg_current_wal_insert_lsn()")
	xid=$(psql_su postgres "BEGIN; INSERT INTO t VALUES (4); SELECT txid_current(); COMMIT" | head -n 1)
	seg=$(psql_su postgres "INSERT INTO t VALUES (5); SELECT pg_walfile_name(pg_current_wal_lsn())")
	psql_su postgres "SELECT pg_switch_wal()" >/dev/null
	wait_for 300 0.1 archived_in_bucket "$seg" || { fail "segment $seg not archived"; return; }
	stop_run TERM

	b_at 1; recovery_spec "$T/b1.yaml" restored "        backupID: $BACKUP_ID
        targetName: before-3"
	pgpod_cmd restore
	expect_rc "pgpod restore to a restore point" 0 $? && expect_eq "rows at the restore point" "1,2" "$(b_rows)"
	b_at 2; recovery_spec "$T/b2.yaml" restored "        targetLSN: \"$lsn\""
	pgpod_cmd restore
	expect_rc "pgpod restore to an LSN" 0 $? && expect_eq "rows at the LSN" "1,2,3" "$(b_rows)"
	b_at 3; recovery_spec "$T/b3.yaml" restored "        backupID: $BACKUP_ID
        targetXID: \"$xid\"
        exclusive: true"
	pgpod_cmd restore
	expect_rc "pgpod restore to before a transaction" 0 $? && expect_eq "rows before the transaction" "1,2,3" "$(b_rows)"
	b_at 4; recovery_spec "$T/b4.yaml" restored "        backupID: $BACKUP_ID
        targetImmediate: true"
	pgpod_cmd restore
	expect_rc "pgpod restore to the end of the backup" 0 $? && expect_eq "rows of the backup" "1" "$(b_rows)"
	# recovery.backup.name, as CloudNativePG's sample cluster-restore.yaml:
	# the Backup document beside the Cluster, with the operator's status
	b_at 6; backup_object_spec "$T/b6.yaml"
	pgpod_cmd restore
	expect_rc "pgpod restore from a Backup object" 0 $? && expect_eq "rows of the archive's end" "1,2,3,4,5" "$(b_rows)"
	expect_eq "the Backup's id in the marker" "$BACKUP_ID" "$(jq -r .backup "$PGDATA/pgpod-bootstrap.json")"
	# the stored backup.info edited to say PostgreSQL 14
	info=$(find "$S3_DIR/data/$BUCKET/wal-arch/base/$BACKUP_ID" -name 'backup.info._S3rver_object' | head -n 1)
	[ -n "$info" ] && grep -q '^version=15' "$info" || { fail "no backup.info with version=15 in the bucket: $info"; return; }
	sed -i 's/^version=15\([0-9]*\)$/version=14\1/' "$info"
	b_at 5; recovery_spec "$T/b5.yaml" restored "        {}"
	expect_recovery_refused "a backup of another major" "PostgreSQL 14"
	s3_stop
}

# backup_object_spec FILE: Cluster "restored" from the Backup "nightly"
# (its status: wal-arch's store, $BACKUP_ID).
backup_object_spec() {
	{
		printf 'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: restored\n'
		printf 'spec:\n  instances: 1\n  bootstrap:\n    recovery:\n      backup:\n        name: nightly\n'
		printf -- '---\napiVersion: postgresql.cnpg.io/v1\nkind: Backup\nmetadata:\n  name: nightly\n'
		printf 'spec:\n  cluster:\n    name: wal-arch\nstatus:\n  phase: completed\n'
		printf '  method: barmanObjectStore\n  backupId: %s\n  serverName: wal-arch\n' "$BACKUP_ID"
		store_yaml "  " "$S3_PORT"
	} >"$1"
	SPEC=$1
}

# replica_spec FILE: Cluster "follower", a replica cluster of origin's
# object store only (bootstrap.recovery from it, as CloudNativePG's sample
# cluster-example-replica-from-backup-simple.yaml).
replica_spec() {
	recovery_spec "$1" follower "        {}"
	sed -i 's/^  bootstrap:$/  replica:\n    enabled: true\n    source: origin\n  bootstrap:/' "$1"
	sed -i '/^      recoveryTarget:$/d; /^        {}$/d' "$1"
}

# replica_setup: A (spec.yaml) running with row 1 in a backup and row 2
# after it (a_pid, A_RUN, A_PORT); then PGDATA, RUN, ports and r.yaml for
# the replica cluster.
replica_setup() {
	pgpod_run_bg
	a_pid=$RUN_PID A_RUN=$RUN A_PORT=$PORT
	wait_code /readyz 200 60 || { fail "A not ready$(last_output_tail)"; return 1; }
	a_sql "CREATE TABLE t (x int); INSERT INTO t VALUES (1)" >/dev/null
	base_backup || return 1
	a_sql "INSERT INTO t VALUES (2)" >/dev/null
	PGDATA=$T/r/pgdata RUN=$T/rrun SOCK=$T/rrun
	alloc_port PORT && alloc_port HTTP_PORT || return 1
	replica_spec "$T/r.yaml"
}

archive_lag_is() { [ "$(status_json .archiveLagBytes)" = "$1" ]; }
a_sql() { as_pg "$PG_BIN/psql" -X -q -At -h "$A_RUN" -p "$A_PORT" -U postgres -d postgres -c "$1"; }
r_rows() { psql_su postgres "SELECT coalesce(string_agg(x::text, ',' ORDER BY x), '') FROM t" 2>/dev/null; }
r_has_rows() { [ "$(r_rows)" = "$1" ]; }

# A replica cluster fed from the object store only: restored from the
# newest backup, a standby replaying what A archives, promoted by pgpod
# promote onto a new timeline with every row.
test_replica_cluster_from_object_store() {
	local seg a_pid
	store_up || return
	cnpg_spec "$T/spec.yaml" 4
	replica_setup || return
	expect_grep "the sample's shape" "source: origin" "$T/r.yaml"
	pgpod_run_bg
	wait_code /readyz 200 120 || { fail "the replica cluster is not ready$(last_output_tail)"; return; }
	expect_eq "marker of the replica cluster" recovery "$(jq -r .method "$PGDATA/pgpod-bootstrap.json")"
	expect_eq "a standby" t "$(psql_su postgres 'SELECT pg_is_in_recovery()')"
	expect_grep "restore_command is pgpod's" "wal-restore --run-dir" "$PGDATA/pgpod.conf"
	seg=$(a_sql "INSERT INTO t VALUES (3); SELECT pg_walfile_name(pg_current_wal_lsn())")
	a_sql "SELECT pg_switch_wal()" >/dev/null
	wait_for 300 0.1 archived_in_bucket "$seg" || { fail "segment $seg not archived"; return; }
	wait_for 300 0.2 r_has_rows "1,2,3" || fail "the replica cluster did not replay A's rows: $(r_rows)"
	# its lag against the archive: replayed everything the archive holds
	wait_for 100 0.1 archive_lag_is 0 || fail "archiveLagBytes: $(status_json .archiveLagBytes)"
	expect_grep "the lag in /metrics" "pgpod_archive_lag_bytes 0" <(http_get /metrics)
	expect_grep "readiness says so" "bytes behind its newest segment" <(http_get /readyz)
	kill -TERM "$a_pid"
	wait_exit "$a_pid" 60 _
	pgpod_cmd promote
	expect_rc "pgpod promote of the replica cluster" 0 $?
	wait_for 100 0.1 r_has_rows "1,2,3" || fail "rows after the promotion: $(r_rows)"
	expect_eq "writable" f "$(psql_su postgres 'SELECT pg_is_in_recovery()')"
	psql_su postgres "INSERT INTO t VALUES (4)" >/dev/null || fail "no write after the promotion"
	stop_run TERM
	s3_stop
}

# A replica cluster fed from the object store and streaming from A as
# well (the source has connectionParameters too, as CloudNativePG's sample
# cluster-replica-async.yaml): a row A writes arrives without a segment
# switch, by streaming.
test_replica_cluster_from_store_and_streaming() {
	local a_pid rc
	store_up || return
	cnpg_spec "$T/spec.yaml" 4
	sed -i 's/^  instances: 1$/  instances: 1\n  postgresql:\n    pg_hba:\n      - local replication postgres peer map=pgpod/' "$T/spec.yaml"
	replica_setup || return
	sed -i "s|^    - name: origin$|    - name: origin\n      connectionParameters:\n        host: $A_RUN\n        port: \"$A_PORT\"\n        user: postgres\n        dbname: postgres|" "$T/r.yaml"
	pgpod_run_bg
	wait_code /readyz 200 120 || { fail "the replica cluster is not ready$(last_output_tail)"; return; }
	expect_grep "restore_command is pgpod's" "wal-restore --run-dir" "$PGDATA/pgpod.conf"
	expect_grep "and it streams from A" "primary_conninfo" "$PGDATA/pgpod.conf"
	wait_for 300 0.2 r_has_rows "1,2" || fail "rows from the backup and the archive: $(r_rows)"
	a_sql "INSERT INTO t VALUES (3)" >/dev/null
	wait_for 100 0.1 r_has_rows "1,2,3" || fail "the row was not streamed: $(r_rows)"
	expect_eq "streaming" true "$(status_json .streaming)"
	kill -TERM "$RUN_PID"
	wait_exit "$RUN_PID" "$IT_TIMEOUT_STOP" rc
	expect_rc "the replica cluster's pgpod run after SIGTERM" 0 "$rc"
	expect_eq "its state" "shut down in recovery" "$(cluster_state "$PGDATA")"
	kill -TERM "$a_pid"
	wait_exit "$a_pid" "$IT_TIMEOUT_STOP" rc
	expect_rc "A's pgpod run after SIGTERM" 0 "$rc"
	expect_no_postgres_under "$T"
	s3_stop
}

# other_spec FILE NAME [ANNOTATION]: cnpg_spec for cluster NAME archiving
# under wal-arch's server name (the path of another cluster's WAL).
other_spec() {
	cnpg_spec "$1" 1
	sed -i "s/^  name: wal-arch$/  name: $2/" "$1"
	sed -i 's|^      destinationPath: \(.*\)$|      destinationPath: \1\n      serverName: wal-arch|' "$1"
	if [ -n "${3:-}" ]; then sed -i "s|^metadata:$|metadata:\n  annotations:\n    $3|" "$1"; fi
}

# CloudNativePG's empty-archive check: a new cluster does not archive into a
# path that holds another cluster's WAL under the same server name, unless
# the annotation says so.
test_empty_archive_check() {
	local seg
	store_up || return
	cnpg_spec "$T/spec.yaml" 1
	pgpod_run_bg
	wait_code /readyz 200 60 || { fail "A not ready$(last_output_tail)"; return; }
	seg=$(psql_su postgres "SELECT pg_walfile_name(pg_current_wal_lsn())")
	psql_su postgres "SELECT pg_switch_wal()" >/dev/null
	wait_for 300 0.1 archived_in_bucket "$seg" || { fail "segment $seg not archived"; return; }
	stop_run TERM

	PGDATA=$T/c/pgdata RUN=$T/crun SOCK=$T/crun
	other_spec "$T/c.yaml" other-one
	pgpod_run_bg
	wait_code /readyz 200 60 || { fail "C not ready$(last_output_tail)"; return; }
	check "the bootstrap left the mark" test -e "$PGDATA/.pgpod-check-empty-wal-archive"
	psql_su postgres "SELECT pg_switch_wal()" >/dev/null
	wait_for 300 0.1 status_at_least .archive.failedCount 1 || fail "C's archiving did not fail"
	wait_for 100 0.1 grep -qF 'Expected empty archive' "$RUN_OUT" || fail "no empty-archive message"
	expect_grep "the escape hatch is named" "cnpg.io/skipEmptyWalArchiveCheck: enabled" "$RUN_OUT"
	expect_eq "nothing archived by C" 0 "$(status_json .archive.archivedCount)"
	stop_run TERM

	PGDATA=$T/d/pgdata RUN=$T/drun SOCK=$T/drun
	other_spec "$T/d.yaml" other-two "cnpg.io/skipEmptyWalArchiveCheck: enabled"
	pgpod_run_bg
	wait_code /readyz 200 60 || { fail "D not ready$(last_output_tail)"; return; }
	check "no mark with the annotation" test ! -e "$PGDATA/.pgpod-check-empty-wal-archive"
	psql_su postgres "SELECT pg_switch_wal()" >/dev/null
	wait_for 300 0.1 status_at_least .archive.archivedCount 1 || fail "D did not archive$(last_output_tail)"
	expect_eq "no failure for D" 0 "$(status_json .archive.failedCount)"
	stop_run TERM
	s3_stop
}

# A ScheduledBackup mounted beside the Cluster: its immediate backup taken
# by pgpod run once the primary is up, and only once (a restart does not
# take it again); a suspended one never runs.
test_scheduled_backup_immediate() {
	store_up || return
	cnpg_spec "$T/spec.yaml" 1
	cat >>"$T/spec.yaml" <<EOF
---
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata:
  name: nightly
spec:
  schedule: "0 0 0 * * *"
  immediate: true
  backupOwnerReference: self
  cluster:
    name: wal-arch
---
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata:
  name: paused
spec:
  schedule: "0 * * * * *"
  suspend: true
  immediate: true
  cluster:
    name: wal-arch
EOF
	pgpod_run_bg
	wait_code /readyz 200 60 || { fail "not ready$(last_output_tail)"; return; }
	wait_for 600 0.2 grep -qE '"msg":"backup [0-9T]+ to .* done in' "$RUN_OUT" ||
		{ fail "the immediate backup was not taken$(last_output_tail)"; return; }
	expect_grep "said which ScheduledBackup" 'immediate backup of ScheduledBackup \"nightly\"' "$RUN_OUT"
	expect_no_grep "the suspended one never runs" 'ScheduledBackup \"paused\"' "$RUN_OUT"
	expect_eq "one backup in the bucket" 1 "$(find "$S3_DIR/data/$BUCKET/wal-arch/base" -mindepth 1 -maxdepth 1 -type d | wc -l)"
	wait_for 100 0.1 status_is_set .backups.lastBackup || fail "no lastBackup in /pg/status"
	stop_run TERM
	pgpod_run_bg
	wait_code /readyz 200 60 || { fail "not ready again$(last_output_tail)"; return; }
	sleep 2
	expect_no_grep "not taken again after a restart" 'immediate backup of ScheduledBackup' "$RUN_OUT"
	stop_run TERM
	s3_stop
}
status_is_set() { [ -n "$(status_json "$1")" ] && [ "$(status_json "$1")" != null ]; }

# bad usage of the helpers exits 2
test_wal_helpers_usage() {
	"$PGPOD" wal-archive >/dev/null 2>&1
	expect_rc "wal-archive without a path" 2 $?
	"$PGPOD" wal-restore only-one >/dev/null 2>&1
	expect_rc "wal-restore with one word" 2 $?
	"$PGPOD" wal-restore ../x /tmp/y >/dev/null 2>&1
	expect_rc "wal-restore of a name with a slash" 2 $?
	"$PGPOD" wal-archive --run-dir "$T/nowhere" pg_wal/000000010000000000000001 >/dev/null 2>&1
	expect_rc "wal-archive without a store directory" 1 $?
}

run_tests
