#!/usr/bin/env bash
# Spec validation: every file in test/fixtures/invalid/ (with its .expect
# holding the field path the error must name) is refused by `spec check`,
# `init` and `run` with exit 2, an error log line naming the path, and nothing
# created on disk. Valid specs pass `spec check`: exit 0, JSON on stdout, no
# password anywhere, a warning naming each unknown field.
. "$(dirname "$0")/lib.sh"

test_invalid_specs_refused_before_anything_is_written() {
	local f base expect cmd rc n=0 cases=0 dir
	SECRETS=$INVALID_FIXTURES/secrets
	CONFIGMAPS=$INVALID_FIXTURES/configmaps
	for f in "$INVALID_FIXTURES"/*.yaml "$INVALID_FIXTURES"/*.json; do
		[ -f "$f" ] || continue
		base=${f%.*}
		if [ ! -f "$base.expect" ]; then
			fail "$(basename "$f"): no $(basename "$base").expect"
			continue
		fi
		expect=$(head -n 1 "$base.expect")
		cases=$((cases + 1))
		for cmd in "spec check" init run; do
			n=$((n + 1))
			dir=$T/c$n
			PGDATA=$dir/data/pgdata
			RUN=$dir/run
			SPEC=$f
			IT_TIMEOUT_INIT=30 pgpod_cmd "$cmd"
			rc=$?
			[ $rc = 2 ] || fail "$(basename "$f") ($cmd): expected exit 2, got $rc$(last_output_tail)"
			log_lines error "$LAST_OUT" "$LAST_ERR" | grep -qF -- "$expect" ||
				fail "$(basename "$f") ($cmd): no error log line naming [$expect]$(last_output_tail)"
			[ -e "$dir" ] && fail "$(basename "$f") ($cmd): created $(cd "$dir" && find . | head -5 | tr '\n' ' ')"
			expect_no_grep "$(basename "$f") ($cmd): a fixture secret's password in the output" \
				"inv-app-Pw-7dK2qZ" "$LAST_OUT" "$LAST_ERR"
			expect_no_grep "$(basename "$f") ($cmd): a fixture secret's password in the output" \
				"inv-bob-Pw-3mX8wR" "$LAST_OUT" "$LAST_ERR"
			expect_no_grep "$(basename "$f") ($cmd): a fixture secret's password in the output" \
				"inv-su-Pw-9pL4vT" "$LAST_OUT" "$LAST_ERR"
		done
	done
	[ $cases -ge 22 ] || fail "only $cases invalid fixtures (want at least 22)"
	echo "    $cases invalid specs x 3 commands"
}

# spec_check_valid FIXTURE: spec check exits 0, prints one JSON document on
# stdout and JSON log lines on stderr, creates nothing, shows no password.
spec_check_valid() {
	local pw
	use_spec "$1"
	PGDATA=$T/x/data/pgdata
	RUN=$T/x/run
	pgpod_spec_check
	expect_rc "spec check $1" 0 $? || return
	json_valid "$LAST_OUT" || fail "spec check $1: stdout is not JSON: $(head -c 300 "$LAST_OUT")"
	expect_log_lines_json "$LAST_ERR"
	expect_no_errors "$LAST_ERR"
	[ -e "$T/x" ] && fail "spec check $1 created $T/x"
	for pw in "${PASSWORDS[@]}"; do
		expect_no_grep "spec check $1: a secret's password in the output" "$pw" "$LAST_OUT" "$LAST_ERR"
	done
}

# password_secret SECRET: a Secret with only a random password key.
password_secret() {
	local pw
	pw=$(new_password)
	mkdir -p "$SECRETS/$1"
	printf '%s' "$pw" >"$SECRETS/$1/password"
	chmod 0644 "$SECRETS/$1/password"
	PASSWORDS+=("$pw")
}

test_valid_spec_unknown_field_warns() {
	local pw
	PASSWORDS=()
	make_basic_auth app-secret app pw
	PASSWORDS+=("$pw")
	spec_check_valid valid-unknown-field.yaml
	log_lines warn "$LAST_ERR" | grep -qF 'spec.fooBarUnknown' ||
		fail "no warning naming spec.fooBarUnknown$(last_output_tail)"
	log_lines warn "$LAST_ERR" | grep -qF 'spec.bootstrap.initdb.bazQuxUnknown' ||
		fail "no warning naming spec.bootstrap.initdb.bazQuxUnknown$(last_output_tail)"
}

test_valid_spec_full_cnpg_cluster() {
	local pw
	PASSWORDS=()
	make_basic_auth shop-secret shopper pw
	PASSWORDS+=("$pw")
	make_basic_auth su-secret postgres pw
	PASSWORDS+=("$pw")
	password_secret source-db-replica-user
	spec_check_valid valid-full.yaml
	expect_eq "warnings for a spec without unknown fields" "" "$(log_msgs warn "$LAST_ERR" | grep -v deprecated)"
}

test_valid_spec_chart_values() {
	PASSWORDS=()
	password_secret external-postgres-replication
	spec_check_valid valid-chart-values.yaml
}

# Bad usage is exit 2 too, and creates nothing.
test_bad_usage_exit_2() {
	local rc
	PGDATA=$T/x/data/pgdata
	RUN=$T/x/run
	pgpod_cmd init --no-such-option
	rc=$?
	expect_rc "pgpod init --no-such-option" 2 "$rc"
	pgpod_cmd frobnicate
	rc=$?
	expect_rc "pgpod frobnicate" 2 "$rc"
	(cd "$T" && timeout 30 "$PGPOD") >"$T/noargs.out" 2>&1 </dev/null
	rc=$?
	expect_rc "pgpod without a command" 2 "$rc"
	[ -e "$T/x" ] && fail "bad usage created $T/x"
	return 0
}

run_tests
