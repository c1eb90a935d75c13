#!/usr/bin/env bash
# An S3 repository for pgBackRest on 127.0.0.1: s3rver (s3.sh) over HTTPS with
# a test CA, and Debian's pgbackrest against it with path-style URIs and the
# CA verified — stanza-create, WAL archiving through archive_command, check, a
# full backup, and info listing it. The ground the pgBackRest tests stand on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/source.sh"
. "$(dirname "$0")/s3.sh"

# pgBackRest takes settings from PGBACKREST_* variables too (archive_command
# included: postgres inherits our environment): only our file counts.
for _v in $(compgen -e); do
	case $_v in PGBACKREST_*) unset "$_v" ;; esac
done
unset _v

IT_TIMEOUT_PGBR=${IT_TIMEOUT_PGBR:-120} # one pgbackrest command

# ------------------------------------------------------------------ helpers

# pgbr_conf DIR BUCKET [EXTRA-GLOBAL-LINE...]: DIR/pgbackrest.conf (0600, of
# the postgres OS user when root) for the stanza db on the current source, the
# repository in BUCKET on the s3.sh server; lock and log files under DIR.
pgbr_conf() {
	local d=$1 bucket=$2
	shift 2
	mkdir -p "$d/lock" "$d/log" "$d/conf.d" || return 1
	{
		echo '[global]'
		echo 'repo1-type=s3'
		echo "repo1-s3-bucket=$bucket"
		echo 'repo1-path=/pgpod-it'
		# path style: the bucket in the path, not in the host name (no
		# wildcard DNS for 127.0.0.1)
		echo 'repo1-s3-uri-style=path'
		echo 'repo1-s3-endpoint=127.0.0.1'
		echo "repo1-storage-port=$S3_PORT"
		echo "repo1-storage-ca-file=$S3_CA"
		echo 'repo1-s3-region=us-east-1'
		echo "repo1-s3-key=$S3_KEY"
		echo "repo1-s3-key-secret=$S3_SECRET"
		echo 'repo1-retention-full=1'
		echo "lock-path=$d/lock"
		echo "log-path=$d/log"
		echo 'log-level-console=warn'
		echo 'log-level-file=detail'
		# an immediate checkpoint: the backup does not wait for the next one
		echo 'start-fast=y'
		[ $# -gt 0 ] && printf '%s\n' "$@"
		echo
		echo '[db]'
		echo "pg1-path=$SRC_DATA"
		echo "pg1-socket-path=$SRC_SOCK"
		echo "pg1-port=$SRC_PORT"
		# source_init's superuser, whoever runs the tests (default: the OS user)
		echo 'pg1-user=postgres'
	} >"$d/pgbackrest.conf" || return 1
	chmod 0600 "$d/pgbackrest.conf"
	give_to_pg "$d" "$d/lock" "$d/log" "$d/conf.d" "$d/pgbackrest.conf"
	PGBR_DIR=$d
	PGBR_CONF=$d/pgbackrest.conf
}

# pgbr CMD [ARGS...]: `pgbackrest CMD` as postgres with our configuration
# (and an include directory of our own, not /etc/pgbackrest/conf.d), bounded;
# output in $LAST_OUT.
PGBR_CALL=0
pgbr() {
	PGBR_CALL=$((PGBR_CALL + 1))
	LAST_OUT=$PGBR_DIR/out.$PGBR_CALL.$1
	LAST_ERR=
	as_pg timeout -k 5 "$IT_TIMEOUT_PGBR" pgbackrest --config="$PGBR_CONF" \
		--config-include-path="$PGBR_DIR/conf.d" --stanza=db "$@" >"$LAST_OUT" 2>&1
}

# expect_pgbr DESC CMD [ARGS...]: pgbr must exit 0.
expect_pgbr() {
	local desc=$1 rc
	shift
	pgbr "$@"
	rc=$?
	[ $rc = 0 ] && return 0
	fail "$desc: pgbackrest $1 exited $rc$(last_output_tail)"
}

# expect_listens_only_on_loopback PID PORT: every listening TCP socket of PID
# is 127.0.0.1:PORT, and there is one.
expect_listens_only_on_loopback() {
	local socks
	socks=$(ss -Htlnp 2>/dev/null | grep -F "pid=$1," | awk '{print $4}' | sort -u)
	expect_eq "listening sockets of s3rver (pid $1)" "127.0.0.1:$2" "$(printf '%s' "$socks" | tr '\n' ' ')"
}

# info_summary FILE: of `pgbackrest info --output=json` in FILE, for the
# stanza db: "STATUS-MESSAGE FULL-BACKUPS ARCHIVES-WITH-WAL".
info_summary() {
	if command -v jq >/dev/null 2>&1; then
		jq -r '.[] | select(.name == "db") | [.status.message,
			([.backup[] | select(.type == "full")] | length),
			([.archive[] | select(.max != null)] | length)] | map(tostring) | join(" ")' "$1" 2>/dev/null
	else
		python3 -c '
import json, sys
for s in json.load(open(sys.argv[1])):
    if s.get("name") == "db":
        print(s["status"]["message"],
              sum(1 for b in s.get("backup", []) if b.get("type") == "full"),
              sum(1 for a in s.get("archive", []) if a.get("max") is not None))' "$1" 2>/dev/null
	fi
}

# ------------------------------------------------------------------- tests

test_pgbackrest_uses_s3_repository() {
	local info n pid
	command -v pgbackrest >/dev/null 2>&1 || { fail "pgbackrest is not installed (run scripts/deps.sh)"; return 1; }
	s3_start || return 1
	s3_bucket pgpod-backups || return 1
	expect_listens_only_on_loopback "$S3_PID" "$S3_PORT"

	source_init s3 || return 1
	source_start || return 1
	pgbr_conf "$T/pgbr" pgpod-backups || { fail "cannot write the pgBackRest configuration"; return 1; }
	expect_eq "mode of pgbackrest.conf" 600 "$(stat -c %a "$PGBR_CONF")"
	[ $IS_ROOT = 1 ] && expect_eq "owner of pgbackrest.conf" postgres "$(stat -c %U "$PGBR_CONF")"

	expect_pgbr "stanza-create" stanza-create || return 1
	# stanza-create wrote the stanza's info files into the bucket (s3rver
	# keeps the object KEY as the file KEY._S3rver_object)
	[ -f "$S3_DIR/data/pgpod-backups/pgpod-it/backup/db/backup.info._S3rver_object" ] ||
		fail "no backup.info of the stanza in s3rver's data directory"

	source_conf "archive_mode = on" \
		"archive_command = 'pgbackrest --config=$PGBR_CONF --config-include-path=$PGBR_DIR/conf.d --stanza=db archive-push %p'"
	source_restart || return 1

	# check: the repository is reachable and a WAL switch reaches it
	expect_pgbr "check" check || return 1
	expect_pgbr "full backup" backup --type=full || return 1
	expect_pgbr "info" info --output=json || return 1
	info=$LAST_OUT
	json_valid "$info" || { fail "pgbackrest info --output=json is not JSON$(last_output_tail)"; return 1; }
	expect_eq "pgbackrest info: stanza status, full backups, WAL archives" "ok 1 1" "$(info_summary "$info")"

	# the CA is really checked: with another CA the server is refused.
	# repo-ls, not info (info reports the error in its output and exits 0);
	# --io-timeout=1: pgBackRest retries for io-timeout (60 s by default).
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$T/other-ca.key" -out "$T/other-ca.crt" -days 2 -subj "/CN=pgpod-it-other-ca" \
		>"$T/other-ca.log" 2>&1 || { fail "openssl: $(tail -n 3 "$T/other-ca.log" | tr '\n' ' ')"; return 1; }
	chmod 0644 "$T/other-ca.crt"
	pgbr repo-ls --io-timeout=1 --repo1-storage-ca-file="$T/other-ca.crt"
	n=$?
	[ $n != 0 ] || fail "pgbackrest accepted s3rver's certificate without the test CA"
	grep -qF 'unable to verify certificate' "$LAST_OUT" ||
		fail "pgbackrest without the test CA failed, but not on the certificate$(last_output_tail)"

	source_stop
	pid=$S3_PID
	s3_stop
	expect_no_postgres_under "$T"
	kill -0 "$pid" 2>/dev/null && fail "s3rver (pid $pid) still running after s3_stop"
	return 0
}

run_tests
