#!/usr/bin/env bash
# What pgpod does with a PGDATA that is not empty: a completed one (marker
# present) is left alone with "already bootstrapped" (exit 0); anything else
# is refused with exit 3 and not touched.
. "$(dirname "$0")/lib.sh"

# tree_state DIR: a fingerprint of DIR (names, sizes, modes, owners, times,
# contents) to prove it was not touched.
tree_state() {
	(cd "$1" && find . -printf '%p %s %m %u %g %T@\n' | sort && find . -type f -exec md5sum {} + | sort)
}

test_init_twice_second_is_noop() {
	# shellcheck disable=SC2034 # APP_PW is set by make_basic_auth
	local APP_PW marker before
	use_spec initdb-plain.yaml
	make_basic_auth app-secret app APP_PW
	pgpod_init
	expect_rc "first pgpod init" 0 $? || return
	marker=$(cat "$PGDATA/pgpod-bootstrap.json")
	before=$(tree_state "$PGDATA")
	pgpod_init
	expect_rc "second pgpod init" 0 $?
	log_msgs info "$LAST_OUT" | grep -q "already bootstrapped" ||
		log_msgs warn "$LAST_OUT" | grep -q "already bootstrapped" ||
		fail "second init: no log line saying \"already bootstrapped\"$(last_output_tail)"
	grep -q '"logger":"\(initdb\|postgres\)"' "$LAST_OUT" && fail "second init ran initdb or postgres"
	expect_eq "marker after the second init" "$marker" "$(cat "$PGDATA/pgpod-bootstrap.json")"
	expect_eq "PGDATA after the second init" "$before" "$(tree_state "$PGDATA")"
	expect_eq "cluster state" "shut down" "$(cluster_state "$PGDATA")"
}

# pgpod stopped between writing the completion marker and removing the
# in-progress mark: the marker wins, the next run removes the mark.
test_mark_beside_marker_removed() {
	# shellcheck disable=SC2034 # APP_PW is set by make_basic_auth
	local APP_PW
	use_spec initdb-plain.yaml
	make_basic_auth app-secret app APP_PW
	pgpod_init
	expect_rc "first pgpod init" 0 $? || return
	printf 'initdb\n' >"$PGDATA/.pgpod-bootstrapping" && give_to_pg "$PGDATA/.pgpod-bootstrapping"
	pgpod_init
	expect_rc "pgpod init with the mark beside the marker" 0 $?
	expect_grep "the removal is said" "removed the in-progress mark left beside the completion marker" "$LAST_OUT"
	check "the mark is gone" test ! -e "$PGDATA/.pgpod-bootstrapping"
	check "the marker stays" test -f "$PGDATA/pgpod-bootstrap.json"
}

# foreign_refused: init and run on the non-empty $PGDATA exit 3 and leave it
# exactly as it was.
foreign_refused() {
	local before cmd rc
	use_spec initdb-checksums-latin1.yaml
	before=$(tree_state "$(dirname "$PGDATA")")
	for cmd in init run; do
		IT_TIMEOUT_INIT=60 pgpod_cmd $cmd
		rc=$?
		expect_rc "pgpod $cmd on a foreign non-empty PGDATA" 3 "$rc"
		expect_eq "PGDATA and its parent after pgpod $cmd" "$before" "$(tree_state "$(dirname "$PGDATA")")"
		[ -e "$PGDATA/pgpod-bootstrap.json" ] && fail "pgpod $cmd wrote a completion marker"
		expect_no_postgres_under "$T"
		log_lines error "$LAST_OUT" | grep -qF "$PGDATA" || fail "pgpod $cmd: no error log line naming $PGDATA$(last_output_tail)"
	done
}

test_init_refuses_foreign_nonempty_dir() {
	mkdir -p "$PGDATA"
	echo "someone else's file" >"$PGDATA/precious.txt"
	mkdir "$PGDATA/sub"
	echo data >"$PGDATA/sub/more.txt"
	chmod 700 "$PGDATA"
	[ $IS_ROOT = 1 ] && chown -R postgres: "$(dirname "$PGDATA")"
	foreign_refused
}

test_init_refuses_foreign_cluster() {
	mkdir -p "$(dirname "$PGDATA")"
	give_to_pg "$(dirname "$PGDATA")"
	as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A peer --no-sync >"$T/initdb.out" 2>&1 ||
		{ fail "initdb of the foreign cluster failed: $(tail -n 3 "$T/initdb.out")"; return; }
	foreign_refused
}

run_tests
