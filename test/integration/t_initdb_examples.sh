#!/usr/bin/env bash
# The four initdb examples of CloudNativePG's bootstrap documentation
# (../shared/reference/cnpg-bootstrap.md), copied as written into
# test/fixtures/integration/initdb-*.yaml: `pgpod init` must make them true.
# The result is inspected on a postgres we start ourselves (pg_ctl).
. "$(dirname "$0")/lib.sh"

# The pg_hba.conf pgpod writes when the spec has no pg_hba lines.
HBA_DEFAULT='local all postgres peer map=pgpod
host replication streaming_replica all scram-sha-256
local all all scram-sha-256
host all all all scram-sha-256'

# Example 1: database app owned by app, app's password from app-secret.
test_initdb_plain_app_secret() {
	local APP_PW out
	use_spec initdb-plain.yaml
	make_basic_auth app-secret app APP_PW
	pgpod_init
	expect_rc "pgpod init" 0 $? || return
	expect_log_lines_json "$LAST_OUT"
	expect_bootstrapped "$PGDATA"
	# the temporary postgres of init listens on the socket in --run-dir only
	expect_grep "init's postgres on the socket in --run-dir" "listening on Unix socket \\\"$RUN/.s.PGSQL." "$LAST_OUT"
	grep -qE 'listening on IPv[46]' "$LAST_OUT" && fail "init's temporary postgres listened on TCP"
	if [ $IS_ROOT = 1 ]; then
		expect_eq "owner of PGDATA" postgres "$(stat -c %U "$PGDATA")"
		expect_eq "owner of the PGDATA parent pgpod created" postgres "$(stat -c %U "$T/data")"
		expect_eq "owner of the run dir" postgres "$(stat -c %U "$RUN")"
		expect_eq "files in PGDATA not owned by postgres" "" "$(find "$PGDATA" ! -user postgres | head -3)"
	fi
	pg_start "$PGDATA" || return
	expect_eq "owner of database app" app \
		"$(psql_su postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname='app'")"
	expect_eq "app is a login role, not superuser" "t|f" \
		"$(psql_su postgres "SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname='app'")"
	expect_eq "app's password is stored as SCRAM" t \
		"$(psql_su postgres "SELECT rolpassword LIKE 'SCRAM-SHA-256\$%' FROM pg_authid WHERE rolname='app'")"
	expect_eq "pg_hba_file_rules" "$HBA_DEFAULT" "$(hba_rules)"
	expect_eq "pg_hba.conf errors" 0 "$(psql_su postgres "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL")"
	out=$(psql_app_tcp "$APP_PW" "SELECT current_user || '@' || current_database()" 2>&1)
	expect_eq "app logs in over TCP with the secret's password" "app@app" "$out"
	if out=$(psql_app_tcp "not-$APP_PW" "SELECT 1" 2>&1); then
		fail "app logged in with a wrong password"
	else
		case $out in
		*"password authentication failed"*) ;;
		*) fail "wrong password: expected 'password authentication failed', got: $out" ;;
		esac
	fi
	pg_stop "$PGDATA"
}

# Example 2: data checksums and encoding LATIN1.
test_initdb_checksums_latin1() {
	use_spec initdb-checksums-latin1.yaml
	pgpod_init
	expect_rc "pgpod init" 0 $? || return
	expect_bootstrapped "$PGDATA"
	expect_eq "Data page checksum version" 1 "$(controldata_field "$PGDATA" 'Data page checksum version')"
	pg_start "$PGDATA" || return
	expect_eq "server_encoding in app" LATIN1 "$(psql_su app 'SHOW server_encoding')"
	expect_eq "pg_database.encoding of app" LATIN1 \
		"$(psql_su postgres "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname='app'")"
	expect_eq "owner of database app" app \
		"$(psql_su postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname='app'")"
	pg_stop "$PGDATA"
}

# Example 3: postInitSQL CREATE DATABASE angus, with LC_COLLATE/LC_CTYPE en_US.
test_initdb_postinitsql_angus_en_US() {
	use_spec initdb-postinitsql-angus.yaml
	local locales charmap
	locales=$(locale -a 2>/dev/null)
	if ! grep -qx 'en_US' <<<"$locales"; then
		fail "the en_US locale is not installed (locale -a has no en_US): run scripts/deps.sh"
		return
	fi
	# the example keeps the default encoding UTF8, so en_US must be UTF-8
	charmap=$(LC_ALL=en_US locale charmap 2>/dev/null)
	if [ "$charmap" != UTF-8 ]; then
		fail "the en_US locale has codeset ${charmap:-unknown}, not UTF-8 (initdb would refuse encoding UTF8): run scripts/deps.sh"
		return
	fi
	pgpod_init
	expect_rc "pgpod init" 0 $? || return
	expect_bootstrapped "$PGDATA"
	expect_eq "Data page checksum version" 1 "$(controldata_field "$PGDATA" 'Data page checksum version')"
	pg_start "$PGDATA" || return
	expect_eq "database angus (collate, ctype)" "en_US|en_US" \
		"$(psql_su postgres "SELECT datcollate, datctype FROM pg_database WHERE datname='angus'")"
	expect_eq "database app (collate, ctype, owner)" "en_US|en_US|app" \
		"$(psql_su postgres "SELECT datcollate, datctype, pg_get_userbyid(datdba) FROM pg_database WHERE datname='app'")"
	pg_stop "$PGDATA"
}

# Example 4: postInitApplicationSQLRefs, a Secret then a ConfigMap, in app.
test_initdb_appsql_refs_secret_then_configmap() {
	use_spec initdb-appsql-refs.yaml
	pgpod_init
	expect_rc "pgpod init" 0 $? || return
	expect_bootstrapped "$PGDATA"
	pg_start "$PGDATA" || return
	expect_eq "refs_log in app (secret first, both in app)" "secret@app,configmap@app" \
		"$(psql_su app "SELECT string_agg(source || '@' || db, ',' ORDER BY n) FROM refs_log")"
	expect_eq "refs_log not in postgres" t "$(psql_su postgres "SELECT to_regclass('public.refs_log') IS NULL")"
	expect_eq "refs_log not in template1" t "$(psql_su template1 "SELECT to_regclass('public.refs_log') IS NULL")"
	pg_stop "$PGDATA"
}

run_tests
