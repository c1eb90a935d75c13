#!/usr/bin/env bash
# Passwords from Secrets: they work (app and the superuser over TCP) and never
# appear in pgpod's output (init, spec check, run; debug level), in the
# command line or environment of pgpod and postgres, or in the files
# pgpod writes next to the data (postmaster.opts holds postgres' argv).
. "$(dirname "$0")/lib.sh"

# expect_secret_free_procs PID...: no password in /proc/PID/{cmdline,environ}.
expect_secret_free_procs() {
	local pid pw what
	for pid in "$@"; do
		for what in cmdline environ; do
			[ -r "/proc/$pid/$what" ] || continue
			for pw in "$APP_PW" "$SU_PW"; do
				if tr '\0' '\n' <"/proc/$pid/$what" 2>/dev/null | grep -qF -- "$pw"; then
					fail "a password is in /proc/$pid/$what ($(cat "/proc/$pid/comm" 2>/dev/null))"
				fi
			done
		done
	done
}

test_passwords_never_exposed() {
	local pw f
	use_spec superuser.yaml
	make_basic_auth app-secret app APP_PW
	make_basic_auth su-secret postgres SU_PW
	IT_LOG_LEVEL=debug
	pgpod_spec_check
	expect_rc "pgpod spec check" 0 $?
	pgpod_init
	expect_rc "pgpod init" 0 $? || return
	SOCK=$RUN
	pgpod_run_bg
	expect_served "$APP_PW" || return
	expect_eq "superuser logs in over TCP with superuserSecret's password" postgres \
		"$(psql_tcp postgres "$SU_PW" postgres "SELECT current_user" 2>&1)"
	psql_tcp postgres "not-$SU_PW" postgres "SELECT 1" >/dev/null 2>&1 && fail "superuser logged in with a wrong password"
	expect_eq "superuser's password is stored as SCRAM" t \
		"$(psql_su postgres "SELECT rolpassword LIKE 'SCRAM-SHA-256\$%' FROM pg_authid WHERE rolname='postgres'")"
	# shellcheck disable=SC2046 # one PID per word
	expect_secret_free_procs "$RUN_PID" $(procs_under "$T")
	stop_run TERM
	for pw in "$APP_PW" "$SU_PW"; do
		expect_no_grep "a password in pgpod's output" "$pw" "$T"/out.* "$T"/err.*
		for f in postgresql.conf postgresql.auto.conf pgpod.conf pg_hba.conf pg_ident.conf \
			pgpod-bootstrap.json postmaster.opts; do
			[ -f "$PGDATA/$f" ] && expect_no_grep "a password in PGDATA/$f" "$pw" "$PGDATA/$f"
		done
	done
}

run_tests
