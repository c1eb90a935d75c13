#!/usr/bin/env bash
# The cluster chart's backups: section (chart values dialect) as this
# cluster's Barman Cloud store, against s3rver over HTTPS: what the chart
# renders — the destination from s3.bucket, the Secret it names
# (<fullname>-backup-s3-creds, keys ACCESS_KEY_ID and ACCESS_SECRET_KEY),
# its wal defaults (gzip, AES256) — archives WAL through `pgpod run`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/source.sh"
. "$(dirname "$0")/s3.sh"

BUCKET=pgpod-chart
NAME=chart-arch

# archived_in_bucket SEG: s3rver holds the (gzip) segment of server $NAME
archived_in_bucket() { [ -n "$(find "$S3_DIR/data/$BUCKET/$NAME/wals" -name "$1*" 2>/dev/null)" ]; }

test_chart_backups_archive_wal() {
	local seg
	command -v barman-cloud-wal-archive >/dev/null 2>&1 ||
		{ fail "barman-cloud-wal-archive is not installed (run scripts/deps.sh)"; return; }
	s3_start || return
	s3_bucket "$BUCKET" || return
	# the Secrets the values name: the chart's default one, and the CA's
	make_secret "$NAME-backup-s3-creds" ACCESS_KEY_ID "$S3_KEY"
	make_secret "$NAME-backup-s3-creds" ACCESS_SECRET_KEY "$S3_SECRET"
	make_secret s3-ca ca.crt "$(cat "$S3_CA")"
	cat >"$T/values.yaml" <<-YAML
		name: $NAME
		instances: 1
		bootstrapDB:
		  initdb:
		    database: app
		backups:
		  enabled: true
		  provider: s3
		  endpointURL: https://127.0.0.1:$S3_PORT
		  endpointCA:
		    name: s3-ca
		    key: ca.crt
		  s3:
		    bucket: $BUCKET
		  scheduledBackups: []
	YAML
	SPEC=$T/values.yaml
	pgpod_spec_check
	expect_rc "spec check of the chart values" 0 $?
	expect_grep "the chart's destination" '"destinationPath":"s3://'"$BUCKET"'/"' "$LAST_OUT"
	pgpod_run_bg
	wait_code /readyz 200 60 || { fail "not ready$(last_output_tail)"; return; }
	expect_grep "archive_command runs pgpod" "wal-archive --run-dir" "$PGDATA/pgpod.conf"
	expect_grep "the archive's origin is the chart's" "(backups)" "$PGDATA/pgpod.conf"
	seg=$(psql_su postgres "CREATE TABLE t AS SELECT 1 AS x; SELECT pg_walfile_name(pg_current_wal_lsn())")
	psql_su postgres "SELECT pg_switch_wal()" >/dev/null
	wait_for 300 0.1 archived_in_bucket "$seg" ||
		fail "segment $seg did not reach s3://$BUCKET/$NAME/wals$(last_output_tail)"
	expect_grep "gzip-compressed, the chart's default" ".gz" <(find "$S3_DIR/data/$BUCKET/$NAME/wals" -type f)
	expect_no_grep "the secret key is not logged" "$S3_SECRET" "$RUN_OUT" "$RUN_ERR"
	stop_run TERM
	s3_stop
	return 0
}

run_tests
