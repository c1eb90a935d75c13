#!/usr/bin/env bash
# Post-init SQL: the order of every stanza (lists before refs, Secrets before
# ConfigMaps, postgres → template1 → app), and what a failing step leaves:
# exit 1, an error naming the step, PGDATA moved aside to
# <PGDATA>.failed-<UTC timestamp> with nothing deleted, no postgres left.
. "$(dirname "$0")/lib.sh"

# Every step records itself in postgres.public.order_log (see
# test/fixtures/integration/postinit-order.yaml): step|db|owner exists|app exists.
ORDER_EXPECTED='postInitSQL[0]|postgres|t|f
postInitSQL[1]|postgres|t|f
postInitSQLRefs.secretRefs[0]|postgres|t|f
postInitSQLRefs.configMapRefs[0]|postgres|t|f
postInitSQLRefs.configMapRefs[1]|postgres|t|f
postInitTemplateSQL[0]|template1|t|f
postInitTemplateSQL[1]|template1|t|f
postInitTemplateSQLRefs.secretRefs[0]|template1|t|f
postInitTemplateSQLRefs.configMapRefs[0]|template1|t|f
postInitApplicationSQL[0]|app|t|t
postInitApplicationSQL[1]|app|t|t
postInitApplicationSQLRefs.secretRefs[0]|app|t|t
postInitApplicationSQLRefs.configMapRefs[0]|app|t|t'

test_postinit_order() {
	use_spec postinit-order.yaml
	pgpod_init
	expect_rc "pgpod init" 0 $? || return
	expect_bootstrapped "$PGDATA"
	pg_start "$PGDATA" || return
	expect_eq "order of the post-init steps" "$ORDER_EXPECTED" \
		"$(psql_su postgres "SELECT step, db, owner_exists, appdb_exists FROM order_log ORDER BY n")"
	# app was created from template1 after the last template step
	expect_eq "template1's last step inherited by app" template1 \
		"$(psql_su app "SELECT string_agg(made_in, ',') FROM template_marker")"
	expect_eq "owner of database app" app \
		"$(psql_su postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname='app'")"
	pg_stop "$PGDATA"
}

# A successful bootstrap with many post-init steps (and dblink connections)
# logs nothing at level error: no FATAL from a connection pgpod left open when
# it stopped its temporary postgres.
test_successful_bootstrap_logs_no_errors() {
	use_spec postinit-order.yaml
	pgpod_init
	expect_rc "pgpod init" 0 $? || return
	expect_log_lines_json "$LAST_OUT"
	expect_no_errors "$LAST_OUT"
}

# expect_failed_bootstrap STEP NEEDLE: the last pgpod init failed in STEP
# with a server message containing NEEDLE, and left PGDATA aside.
expect_failed_bootstrap() {
	local rc=$1 step=$2 needle=$3 failed n ts when now
	expect_rc "pgpod init with a failing $step" 1 "$rc"
	log_msgs error "$LAST_OUT" | grep -qF -- "$step" ||
		fail "no error log line whose msg names $step$(last_output_tail)"
	log_lines error "$LAST_OUT" | grep -F -- "$step" | grep -qF -- "$needle" ||
		fail "no error log line naming $step with the server's message ($needle)$(last_output_tail)"
	expect_no_postgres_under "$T"
	if [ -e "$PGDATA" ] && [ -n "$(ls -A "$PGDATA" 2>/dev/null)" ]; then
		fail "$PGDATA still exists and is not empty"
	fi
	n=$(find "$(dirname "$PGDATA")" -maxdepth 1 -name "$(basename "$PGDATA").failed-*" | wc -l)
	expect_eq "number of $(basename "$PGDATA").failed-* directories" 1 "$n" || return
	failed=$(find "$(dirname "$PGDATA")" -maxdepth 1 -name "$(basename "$PGDATA").failed-*")
	ts=${failed##*.failed-}
	if [[ $ts =~ ^[0-9]{8}T[0-9]{6}Z$ ]]; then
		when=$(date -u -d "${ts:0:4}-${ts:4:2}-${ts:6:2} ${ts:9:2}:${ts:11:2}:${ts:13:2}" +%s 2>/dev/null)
		now=$(date -u +%s)
		if [ -z "$when" ] || [ $((now - when)) -gt 600 ] || [ $((when - now)) -gt 60 ]; then
			fail "the timestamp of $failed is not the current UTC time"
		fi
	else
		fail "$failed: suffix is not YYYYmmddTHHMMSSZ"
	fi
	[ -f "$failed/PG_VERSION" ] || fail "$failed has no PG_VERSION (was something deleted?)"
	if [ ! -d "$failed/base" ] || [ ! -d "$failed/global" ]; then fail "$failed lacks base/ or global/"; fi
	[ -e "$failed/pgpod-bootstrap.json" ] && fail "$failed carries the completion marker"
	FAILED_DIR=$failed
}

test_postinit_sql_failure_moves_pgdata_aside() {
	# shellcheck disable=SC2034 # APP_PW is set by make_basic_auth
	local APP_PW
	use_spec postinit-fail-sql.yaml
	pgpod_init
	expect_failed_bootstrap $? 'postInitSQL[1]' no_such_table
	[ -n "${FAILED_DIR:-}" ] || return
	# nothing after the failing step ran; the failed directory is a cluster
	pg_start "$FAILED_DIR" || return
	expect_eq "postInitSQL[2] did not run" t \
		"$(psql_su postgres "SELECT to_regclass('public.must_not_run') IS NULL")"
	expect_eq "database app not created" 0 "$(psql_su postgres "SELECT count(*) FROM pg_database WHERE datname='app'")"
	pg_stop "$FAILED_DIR"
	# the PGDATA path is free again: a good spec bootstraps it
	use_spec initdb-plain.yaml
	make_basic_auth app-secret app APP_PW
	pgpod_init
	expect_rc "pgpod init after a failed attempt" 0 $?
	expect_bootstrapped "$PGDATA"
	[ -f "$FAILED_DIR/PG_VERSION" ] || fail "the new bootstrap touched $FAILED_DIR"
}

test_postinit_template_failure_moves_pgdata_aside() {
	use_spec postinit-fail-template.yaml
	pgpod_init
	expect_failed_bootstrap $? 'postInitTemplateSQL[0]' no_such_function_in_template
}

test_postinit_appref_configmap_failure_moves_pgdata_aside() {
	use_spec postinit-fail-appref.yaml
	pgpod_init
	expect_failed_bootstrap $? 'postInitApplicationSQLRefs.configMapRefs[0]' no_such_table_in_configmap
}

run_tests
