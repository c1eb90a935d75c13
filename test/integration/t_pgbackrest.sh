#!/usr/bin/env bash
# pgBackRest in the pod (PGO and Percona dialects), with Debian's pgbackrest:
# the configuration pgpod writes, the WAL archive, the stanza, `pgpod
# backup`, scheduled backups, archive failures in /pg/status and /metrics,
# a posix repository with an encryption passphrase from a Secret and an S3
# repository (s3rver over HTTPS on 127.0.0.1) with its keys from a Secret.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/source.sh"
. "$(dirname "$0")/s3.sh"

CIPHER_PASS=
REPO=

# pgo_spec FILE: a PostgresCluster "hippo" with repo1 from $REPO1 (YAML
# lines under the repository), the global settings from $GLOBAL (YAML lines)
# and the configuration Secrets from $CONFIGURATION (YAML lines).
pgo_spec() {
	cat >"$1" <<EOF
apiVersion: postgres-operator.crunchydata.com/v1beta1
kind: PostgresCluster
metadata:
  name: hippo
spec:
  postgresVersion: 15
  instances:
    - replicas: 1
  backups:
    pgbackrest:
      configuration:
${CONFIGURATION:-      []}
      global:
        start-fast: "y"
${GLOBAL:-}
      repos:
      - name: repo1
${REPO1}
EOF
	SPEC=$1
}

# posix_repo: repo1 is a volume at $T/repo (the postgres user's), encrypted
# with a passphrase from the Secret pgbr-cipher (key cipher.conf).
posix_repo() {
	REPO=$T/repo
	mkdir -p "$REPO"
	give_to_pg "$REPO"
	CIPHER_PASS=$(new_password)
	make_secret pgbr-cipher cipher.conf "$(printf '[global]\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass=%s\n' "$CIPHER_PASS")"
	CONFIGURATION='      - secret:
          name: pgbr-cipher'
	GLOBAL="        repo1-path: $REPO
        repo1-retention-full: \"2\""
	REPO1='        volume:
          volumeClaimSpec: {}'
}

# pgbackrest_pg ARGS...: pgBackRest as postgres with pgpod's configuration.
pgbackrest_pg() {
	as_pg timeout -k 5 120 pgbackrest --config="$RUN/pgbackrest.conf" --stanza=db "$@"
}

# wait_stanza: pgpod said the stanza is ready (bounded).
wait_stanza() {
	wait_for 240 0.25 grep -qF 'pgBackRest stanza \"db\" is ready' "$RUN_OUT" && return 0
	fail "the stanza never became ready$(last_output_tail)"
	return 1
}

status_json() { http_get /pg/status | jq -r "$1" 2>/dev/null; }
# status_at_least JQ N: the number at JQ in /pg/status is N or more.
status_at_least() { [ "$(status_json "$1")" -ge "$2" ] 2>/dev/null; }
# status_is JQ VALUE
status_is() { [ "$(status_json "$1")" = "$2" ]; }

# Archive, stanza, a backup by `pgpod backup`, with a passphrase that is in
# the configuration file and nowhere else.
test_archive_stanza_and_backup_posix() {
	local rc n pid f
	posix_repo
	pgo_spec "$T/spec.yaml"
	pgpod_run_bg
	wait_for 240 0.25 psql_su postgres "SELECT 1" || { fail "postgres never answered$(last_output_tail)"; return; }
	wait_stanza || return
	expect_eq "pgbackrest.conf mode" 600 "$(stat -c %a "$RUN/pgbackrest.conf")"
	expect_grep "passphrase in pgbackrest.conf" "repo1-cipher-pass=$CIPHER_PASS" "$RUN/pgbackrest.conf"
	expect_grep "stanza db in pgbackrest.conf" "pg1-path=$PGDATA" "$RUN/pgbackrest.conf"
	expect_eq "archive_mode" on "$(psql_su postgres 'SHOW archive_mode')"
	psql_su postgres "CREATE TABLE wal_$RANDOM (x int); SELECT pg_switch_wal()" >/dev/null
	wait_for 100 0.2 status_at_least .archive.archivedCount 2 ||
		fail "archivedCount did not grow: $(status_json .archive)"
	expect_eq "no archive failure" 0 "$(status_json '.archive.failedCount')"
	expect_eq "stanza in /pg/status" ok "$(status_json '.backups.stanza')"
	http_get /metrics | grep -q '^pgpod_archive_archived_total [1-9]' ||
		fail "no pgpod_archive_archived_total in /metrics"
	pgpod_cmd backup --type full
	rc=$?
	expect_rc "pgpod backup --type full" 0 "$rc"
	log_msgs info "$LAST_OUT" | grep -qE '^backup [0-9]{8}-[0-9]{6}F \(full\) to repo1 done in [0-9.]+ s: ' ||
		fail "no summary line of the backup$(last_output_tail)"
	n=$(pgbackrest_pg info --output=json | jq '.[0].backup | length')
	expect_eq "backups in repo1" 1 "$n"
	# an encrypted backup.info is not the plain INI pgBackRest writes otherwise
	grep -q 'backrest-format' "$REPO/backup/db/backup.info" && fail "backup.info is not encrypted"
	# the passphrase: in no log line, no argv, no environment
	for f in "$T"/out.* "$T"/err.*; do
		grep -qF "$CIPHER_PASS" "$f" && fail "the passphrase is in $f"
	done
	for pid in $RUN_PID $(procs_under "$T"); do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$CIPHER_PASS" && fail "passphrase in argv of $pid"
		tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qF "$CIPHER_PASS" && fail "passphrase in the environment of $pid"
	done
	stop_run TERM
}

# A repository that refuses writes: stanza-create fails and is said, the
# archive failures are counted in /pg/status and /metrics, /readyz stays 200.
test_archive_failure_reported_readiness_kept() {
	posix_repo
	chmod 0555 "$REPO"
	pgo_spec "$T/spec.yaml"
	pgpod_run_bg
	wait_for 240 0.25 grep -qF 'pgbackrest stanza-create failed' "$RUN_OUT" ||
		{ fail "no stanza-create error$(last_output_tail)"; return; }
	expect_eq "stanza in /pg/status" failed "$(status_json '.backups.stanza')"
	psql_su postgres "CREATE TABLE wal_$RANDOM (x int); SELECT pg_switch_wal()" >/dev/null
	wait_for 150 0.2 status_at_least .archive.failedCount 1 ||
		fail "failedCount stayed 0: $(status_json .archive)"
	check "lastFailedWal named" test "$(status_json '.archive.lastFailedWal')" != null
	http_get /metrics | grep -q '^pgpod_archive_failed_total [1-9]' ||
		fail "no failures in pgpod_archive_failed_total: $(http_get /metrics | grep archive_failed)"
	expect_eq "/readyz while archiving fails" 200 "$(http_code /readyz)"
	stop_run TERM
}

# Every minute a full backup by the schedule: it runs, once, and is in /pg/status.
test_scheduled_backup() {
	posix_repo
	REPO1="$REPO1
        schedules:
          full: \"* * * * *\""
	pgo_spec "$T/spec.yaml"
	pgpod_run_bg
	wait_stanza || return
	wait_for 90 1 grep -qE 'backup [0-9]{8}-[0-9]{6}F \(full\) to repo1 done' "$RUN_OUT" ||
		{ fail "no scheduled backup within 90 s$(last_output_tail)"; return; }
	wait_for 20 0.25 status_is .backups.lastBackup.succeeded true ||
		fail "lastBackup not in /pg/status: $(status_json .backups)"
	expect_eq "lastBackup type" full "$(status_json '.backups.lastBackup.type')"
	http_get /metrics | grep -q '^pgpod_backup_last_success_timestamp_seconds [1-9]' ||
		fail "no pgpod_backup_last_success_timestamp_seconds"
	stop_run TERM
}

# pgpod backup: bad options, a repository the spec lacks, no postgres, a standby.
test_backup_refusals() {
	local SB SBRUN SBPORT rc
	posix_repo
	pgo_spec "$T/spec.yaml"
	pgpod_cmd backup --type weekly
	expect_rc "--type weekly" 2 $?
	pgpod_cmd backup --repo 3
	expect_rc "--repo 3 (not in the spec)" 2 $?
	expect_grep "repo3 named" "has no repo3" "$LAST_OUT"
	pgpod_cmd backup
	expect_rc "backup with no postgres running" 1 $?
	expect_grep "no postgres said" "postgres does not answer" "$LAST_OUT"
	pgpod_run_bg
	wait_stanza || return
	# a standby of it, restored from the repository by pgBackRest itself
	pgpod_cmd backup --type full
	expect_rc "a full backup to make the standby from" 0 $? || return
	SB=$T/standby
	SBRUN=$T/sbrun
	alloc_port SBPORT
	mkdir -p "$SB" "$SBRUN" && chmod 700 "$SB" "$SBRUN" && give_to_pg "$SB" "$SBRUN"
	pgbackrest_pg --pg1-path="$SB" --type=standby restore >"$T/restore.log" 2>&1 ||
		{ fail "pgbackrest restore --type=standby: $(tail -3 "$T/restore.log")"; return; }
	as_pg "$PG_BIN/pg_ctl" -D "$SB" -w -t 60 -l "$SBRUN/standby.log" start \
		-o "-p $SBPORT -c listen_addresses='' -c unix_socket_directories=$SBRUN -c archive_mode=off" \
		>/dev/null || { fail "standby did not start: $(tail -3 "$SBRUN/standby.log")"; return; }
	pgpod_cmd backup --pgdata "$SB" --run-dir "$SBRUN" --pg-port "$SBPORT"
	rc=$?
	as_pg "$PG_BIN/pg_ctl" -D "$SB" -w -t 60 -m fast stop >/dev/null
	expect_rc "pgpod backup on a standby" 1 "$rc"
	expect_grep "standby said" "this instance is a standby" "$LAST_OUT"
	stop_run TERM
}

# An S3 repository (s3rver, HTTPS with a test CA) whose keys come from the
# projected Secret, as PGO documents (s3.conf).
test_s3_repository_keys_from_secret() {
	local rc
	s3_start || return
	s3_bucket pgpod-backups || return
	make_secret pgo-s3-creds s3.conf "$(printf '[global]\nrepo1-s3-key=%s\nrepo1-s3-key-secret=%s\n' "$S3_KEY" "$S3_SECRET")"
	CONFIGURATION='      - secret:
          name: pgo-s3-creds'
	GLOBAL="        repo1-path: /hippo/repo1
        repo1-s3-uri-style: path
        repo1-storage-port: \"$S3_PORT\"
        repo1-storage-ca-file: $S3_CA"
	REPO1="        s3:
          bucket: pgpod-backups
          endpoint: 127.0.0.1
          region: us-east-1"
	pgo_spec "$T/spec.yaml"
	pgpod_run_bg
	wait_stanza || return
	expect_grep "s3 type" "repo1-type=s3" "$RUN/pgbackrest.conf"
	expect_grep "the key from the Secret" "repo1-s3-key-secret=$S3_SECRET" "$RUN/pgbackrest.conf"
	pgpod_cmd backup --type full
	rc=$?
	expect_rc "pgpod backup to S3" 0 "$rc"
	check "backup.info in the bucket" test -n "$(find "$S3_DIR/data/pgpod-backups" -path '*hippo/repo1/backup/db/backup.info*' | head -n 1)"
	# pgbackrest check switches the WAL and waits until it is archived
	psql_su postgres "CREATE TABLE t (x int); INSERT INTO t VALUES (42)" >/dev/null
	pgbackrest_pg --log-level-console=off check || fail "pgbackrest check after the insert"
	stop_run TERM
	s3_restores
	s3_stop
}

# s3_restore_spec FILE SECRET PORT: cluster "elephant" restored from hippo's
# S3 repository (PGO's dataSource.pgbackrest), its keys from SECRET, the
# server at 127.0.0.1:PORT; pgBackRest waits at most 2 s for it (io-timeout).
s3_restore_spec() {
	cat >"$1" <<EOF
apiVersion: postgres-operator.crunchydata.com/v1beta1
kind: PostgresCluster
metadata:
  name: elephant
spec:
  postgresVersion: 15
  instances:
    - replicas: 1
  dataSource:
    pgbackrest:
      stanza: db
      configuration:
      - secret:
          name: $2
      global:
        repo1-path: /hippo/repo1
        repo1-s3-uri-style: path
        repo1-storage-port: "$3"
        repo1-storage-ca-file: $S3_CA
        io-timeout: "2"
      repo:
        name: repo1
        s3:
          bucket: pgpod-backups
          endpoint: 127.0.0.1
          region: us-east-1
EOF
	SPEC=$1
}

# The S3 repository as a restore source: the rows come back; a key the server
# refuses and a server that does not answer are each refused before anything is
# written, with pgBackRest's own words and no secret in the output.
s3_restores() {
	local rc closed
	PGDATA=$T/b/pgdata RUN=$T/brun SOCK=$T/brun
	s3_restore_spec "$T/b.yaml" pgo-s3-creds "$S3_PORT"
	pgpod_cmd restore
	rc=$?
	expect_rc "pgpod restore from S3" 0 "$rc" && expect_bootstrapped "$PGDATA"
	pg_start "$PGDATA" && expect_eq "rows restored from S3" 42 "$(psql_su postgres 'SELECT x FROM t')"
	pg_stop "$PGDATA"

	# s3rver checks the key id (it does not verify v4 signatures)
	make_secret pgo-s3-wrong s3.conf "$(printf '[global]\nrepo1-s3-key=NOTAKEYID\nrepo1-s3-key-secret=not-the-secret\n')"
	s3_refused "a key s3rver refuses" c pgo-s3-wrong "$S3_PORT" not-the-secret
	alloc_port closed || return
	s3_refused "a server that does not answer" d pgo-s3-creds "$closed" "$S3_SECRET"
}

# s3_refused DESC NAME SECRET PORT KEY: a restore (PGDATA $T/NAME/pgdata) from
# the bucket with that Secret and port exits 1 before anything is written,
# the repository named unreadable, KEY in no output.
s3_refused() {
	PGDATA=$T/$2/pgdata RUN=$T/${2}run SOCK=$T/${2}run
	s3_restore_spec "$T/$2.yaml" "$3" "$4"
	pgpod_cmd restore
	expect_rc "restore from $1" 1 $?
	log_msgs error "$LAST_OUT" | grep -qF 'repo1 cannot be read (pgBackRest: ' ||
		fail "$1: not refused as unreadable$(last_output_tail)"
	check "$1: nothing written" test -z "$(ls -A "$PGDATA" 2>/dev/null)"
	expect_no_grep "$1: the secret key is not logged" "$5" "$LAST_OUT" "$LAST_ERR"
}

# A configuration file that sets what pgpod owns, or is not INI: refused
# with the Secret, the key and the line, never the line's text.
test_bad_configuration_secret() {
	local rc
	posix_repo
	make_secret pgbr-cipher cipher.conf "$(printf '[global]\nrepo1-cipher-pass=%s\npg1-path=/elsewhere\n' "$CIPHER_PASS")"
	pgo_spec "$T/spec.yaml"
	pgpod_init
	rc=$?
	expect_rc "init with pg1-path in a configuration Secret" 2 "$rc"
	log_lines error "$LAST_OUT" | grep -qF 'secret pgbr-cipher key cipher.conf, line 3: pgpod describes this cluster' ||
		fail "no error naming the Secret, key and line$(last_output_tail)"
	grep -qF "$CIPHER_PASS" "$LAST_OUT" "$LAST_ERR" && fail "the passphrase is in the output"
	[ -e "$PGDATA" ] && fail "PGDATA was made although the configuration was refused"
	return 0
}

run_tests
