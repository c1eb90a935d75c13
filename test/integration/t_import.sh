#!/usr/bin/env bash
# bootstrap.initdb.import (CloudNativePG's logical import) against a real
# source server, with password authentication over TCP: microservice (one
# database into the application database, postImportApplicationSQL),
# monolith (every database and role, memberships), schema only; the
# refusals before anything is written (a source of a newer major, a missing
# database) and a restore that fails half-way (moved aside, exit 1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/source.sh"

SRC_PW=import-src-pw-4f1c

# import_source: a source with two databases (shop: a table of rows, a
# sequence, a view, an extension; books), roles with a membership (clerk
# in readers), clerk owning shop; "importer" a superuser over TCP with
# password SRC_PW, its Secret src-importer.
import_source() {
	source_init imp || return 1
	source_hba 'host all all 127.0.0.1/32 scram-sha-256' || return 1
	source_start || return 1
	source_role importer "$SRC_PW" SUPERUSER || return 1
	source_psql postgres "CREATE ROLE readers NOLOGIN; CREATE ROLE clerk LOGIN PASSWORD 'clerk-pw-1' IN ROLE readers;
		COMMENT ON ROLE clerk IS 'the shop clerk'" >/dev/null || return 1
	source_psql postgres "CREATE DATABASE shop OWNER clerk" >/dev/null || return 1
	source_psql postgres "CREATE DATABASE books" >/dev/null || return 1
	source_psql shop "SET ROLE clerk; CREATE SEQUENCE item_ids START 100;
		CREATE TABLE items (id int PRIMARY KEY DEFAULT nextval('item_ids'), name text);
		INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 1000) g;
		CREATE VIEW cheap AS SELECT * FROM items WHERE id < 110; GRANT SELECT ON items TO readers;
		RESET ROLE; CREATE EXTENSION hstore" >/dev/null || return 1
	source_psql books "CREATE TABLE book (title text); INSERT INTO book VALUES ('Dune')" >/dev/null || return 1
	make_secret src-importer password "$SRC_PW"
}

# import_spec FILE TYPE 'DATABASES' ['ROLES'] [EXTRA-LINES]: a Cluster "dest"
# importing from the source (lists as YAML flow sequences).
import_spec() {
	{
		printf 'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: dest\n'
		printf 'spec:\n  instances: 1\n  bootstrap:\n    initdb:\n      import:\n'
		printf '        type: %s\n        databases: %s\n' "$2" "$3"
		[ -z "${4:-}" ] || printf '        roles: %s\n' "$4"
		printf '        source:\n          externalCluster: src\n'
		[ -z "${5:-}" ] || printf '%s\n' "$5"
		printf '  externalClusters:\n    - name: src\n      connectionParameters:\n'
		printf '        host: 127.0.0.1\n        port: "%s"\n        user: importer\n        dbname: postgres\n' "$SRC_PORT"
		printf '      password:\n        name: src-importer\n        key: password\n'
	} >"$1"
	SPEC=$1
}

# sql DB SQL: the imported cluster, started for the question and stopped.
in_dest() { psql_su "$1" "$2"; }

test_microservice_import() {
	import_source || return
	import_spec "$T/spec.yaml" microservice '[shop]' '' \
		'        postImportApplicationSQL:
          - CREATE TABLE after_import AS SELECT count(*) AS n FROM items'
	pgpod_cmd init
	expect_rc "pgpod init with a microservice import" 0 $? || { last_output_tail; return; }
	expect_bootstrapped "$PGDATA"
	expect_grep "the import's progress" "imported database \"shop\" in" <(log_msgs info "$LAST_OUT")
	expect_grep "where the dump went" 'dump in the run directory' <(log_msgs info "$LAST_OUT")
	expect_no_grep "no password in the log" "$SRC_PW" "$LAST_OUT" "$LAST_ERR"
	check "the run directory's dump is gone" test -z "$(ls -A "$RUN/import" 2>/dev/null)"
	pg_start "$PGDATA" || return
	expect_eq "the rows, into the application database" 1000 "$(in_dest app 'SELECT count(*) FROM items')"
	expect_eq "the sequence goes on" 1100 "$(in_dest app "SELECT nextval('item_ids')")"
	expect_eq "the view" 10 "$(in_dest app 'SELECT count(*) FROM cheap')"
	expect_eq "the extension" 1 "$(in_dest app "SELECT count(*) FROM pg_extension WHERE extname = 'hstore'")"
	expect_eq "owned by the owner" app "$(in_dest app "SELECT tableowner FROM pg_tables WHERE tablename = 'items'")"
	expect_eq "the owner is no superuser" f "$(in_dest app "SELECT rolsuper FROM pg_roles WHERE rolname = 'app'")"
	expect_eq "postImportApplicationSQL ran after the data" 1000 "$(in_dest app 'SELECT n FROM after_import')"
	expect_eq "no role of the source" 0 "$(in_dest postgres "SELECT count(*) FROM pg_roles WHERE rolname = 'clerk'")"
	expect_eq "analyzed" t "$(in_dest app "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'items'")"
	pg_stop "$PGDATA"
}

test_monolith_import_every_database_and_role() {
	import_source || return
	import_spec "$T/spec.yaml" monolith '["*"]' '["*"]'
	pgpod_cmd init
	expect_rc "pgpod init with a monolith import" 0 $? || { last_output_tail; return; }
	expect_grep "the membership" "imported membership: \"clerk\" in \"readers\"" <(log_msgs info "$LAST_OUT")
	pg_start "$PGDATA" || return
	expect_eq "both databases, owners kept" "books:postgres,shop:clerk" \
		"$(in_dest postgres "SELECT string_agg(datname || ':' || pg_get_userbyid(datdba), ',' ORDER BY datname) FROM pg_database WHERE datname IN ('shop', 'books')")"
	expect_eq "no application database for monolith" 0 "$(in_dest postgres "SELECT count(*) FROM pg_database WHERE datname = 'app'")"
	expect_eq "the rows" 1000 "$(in_dest shop 'SELECT count(*) FROM items')"
	expect_eq "the other database's rows" Dune "$(in_dest books 'SELECT title FROM book')"
	expect_eq "clerk in readers" t "$(in_dest postgres "SELECT pg_has_role('clerk', 'readers', 'MEMBER')")"
	expect_eq "the privileges kept" t "$(in_dest shop "SELECT has_table_privilege('readers', 'items', 'SELECT')")"
	expect_eq "clerk's password hash came along" t "$(in_dest postgres "SELECT rolpassword LIKE 'SCRAM-SHA-256\$%' FROM pg_authid WHERE rolname = 'clerk'")"
	expect_eq "its comment" "the shop clerk" "$(in_dest postgres "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = 'clerk'")"
	expect_eq "the superuser importer is not imported" 0 "$(in_dest postgres "SELECT count(*) FROM pg_roles WHERE rolname = 'importer'")"
	pg_stop "$PGDATA"
}

test_schema_only_import() {
	import_source || return
	import_spec "$T/spec.yaml" microservice '[shop]' '' '        schemaOnly: true'
	pgpod_cmd init
	expect_rc "pgpod init with a schema-only import" 0 $? || { last_output_tail; return; }
	pg_start "$PGDATA" || return
	expect_eq "the table, empty" 0 "$(in_dest app 'SELECT count(*) FROM items')"
	expect_eq "the view" 1 "$(in_dest app "SELECT count(*) FROM pg_views WHERE viewname = 'cheap'")"
	pg_stop "$PGDATA"
}

# The shape of CloudNativePG's samples cluster-import-snapshot-tls.yaml and
# -basicauth.yaml: the source's app database as user app with a TLS client
# certificate (verify-full), --jobs=2 for pg_dump and pg_restore.
test_import_over_tls_with_jobs() {
	local certs=$T/certs
	make_certs "$certs" app || return
	source_init tls || return
	source_ssl "$certs"
	source_hba 'hostssl all app 127.0.0.1/32 cert'
	source_start || return
	source_psql postgres "CREATE ROLE app LOGIN" >/dev/null || return
	source_psql postgres "CREATE DATABASE app OWNER app" >/dev/null || return
	source_psql app "SET ROLE app; CREATE TABLE t AS SELECT g AS x FROM generate_series(1, 500) g" >/dev/null || return
	make_secret cluster-example-app-tls tls.crt "$(cat "$certs/client.crt")"
	make_secret cluster-example-app-tls tls.key "$(cat "$certs/client.key")"
	chmod 0600 "$SECRETS/cluster-example-app-tls/tls.key"
	make_secret cluster-example-ca ca.crt "$(cat "$certs/ca.crt")"
	cat >"$T/spec.yaml" <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: cluster-pgdump
spec:
  instances: 1
  bootstrap:
    initdb:
      import:
        type: microservice
        databases:
          - app
        source:
          externalCluster: cluster-example
        pgDumpExtraOptions:
        - '--jobs=2'
        pgRestoreExtraOptions:
        - '--jobs=2'
  externalClusters:
    - name: cluster-example
      connectionParameters:
        host: 127.0.0.1
        port: "$SRC_PORT"
        user: app
        dbname: app
        sslmode: verify-full
      sslKey:
        name: cluster-example-app-tls
        key: tls.key
      sslCert:
        name: cluster-example-app-tls
        key: tls.crt
      sslRootCert:
        name: cluster-example-ca
        key: ca.crt
EOF
	SPEC=$T/spec.yaml
	pgpod_cmd init
	expect_rc "pgpod init importing over TLS" 0 $? || { last_output_tail; return; }
	expect_grep "TLS authentication" "TLS client certificate" <(log_msgs info "$LAST_OUT")
	pg_start "$PGDATA" || return
	expect_eq "the rows" 500 "$(in_dest app 'SELECT count(*) FROM t')"
	pg_stop "$PGDATA"
}

# Room for the dump neither in the run directory nor (twice) in PGDATA's
# file system (two small tmpfs): the dump streams through a FIFO into
# pg_restore, and the rows arrive.
test_import_streamed_without_room() {
	local small=$T/small
	mkdir -p "$small/data" "$small/run" || return
	as_root mount -t tmpfs -o size=100M,mode=0777 tmpfs "$small/data" ||
		{ fail "cannot mount a tmpfs (root, or sudo without a password, needed)"; return; }
	# the run directory is ours (pgpod refuses one of another user's; as root
	# that is root, as another user the tests' own uid)
	if as_root mount -t tmpfs -o "size=4M,mode=0777,uid=$(id -u),gid=$(id -g)" tmpfs "$small/run"; then
		streamed_import "$small"
		as_root umount "$small/run" || fail "umount $small/run"
	else
		fail "cannot mount the run directory's tmpfs"
	fi
	as_root umount "$small/data" || fail "umount $small/data"
}

# as_root CMD...: as root (sudo without a password when the tests are not).
as_root() { if [ "$IS_ROOT" = 1 ]; then "$@"; else sudo -n "$@"; fi; }

streamed_import() {
	import_source || return
	# a database that is large on disk (what the room is judged by) and
	# small to dump: most of its table deleted (the first pages: a vacuum
	# cannot give them back)
	source_psql shop "CREATE TABLE big AS SELECT g, repeat('x', 100) AS pad FROM generate_series(1, 200000) g;
		DELETE FROM big WHERE g <= 190000" >/dev/null || return
	import_spec "$T/spec.yaml" microservice '[shop]'
	PGDATA=$1/data/pgdata RUN=$1/run SOCK=$1/run
	pgpod_cmd init
	expect_rc "pgpod init, the dump streamed" 0 $? || { last_output_tail; return; }
	expect_grep "streamed" 'streamed (no file system has room for a dump)' <(log_msgs info "$LAST_OUT")
	check "no FIFO left" test -z "$(ls -A "$RUN/import" 2>/dev/null)"
	pg_start "$PGDATA" || return
	expect_eq "the rows" 10000 "$(in_dest app 'SELECT count(*) FROM big')"
	expect_eq "the other table" 1000 "$(in_dest app 'SELECT count(*) FROM items')"
	pg_stop "$PGDATA"
}

# sample_spec FILE SCHEMA-ONLY JOBS AUTH [SUBSCRIPTION]: the shape of
# CloudNativePG's import samples (cluster-import-schema-only-basicauth,
# -snapshot-basicauth, -snapshot-tls, cluster-example-logical-destination
# with its Subscription document).
sample_spec() {
	{
		printf 'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: cluster-pgdump\n'
		printf 'spec:\n  instances: 3\n  bootstrap:\n    initdb:\n      import:\n        type: microservice\n'
		[ "$2" = yes ] && printf '        schemaOnly: true\n'
		printf '        databases:\n          - app\n        source:\n          externalCluster: cluster-example\n'
		[ "$3" = yes ] && printf "        pgDumpExtraOptions:\n        - '--jobs=2'\n        pgRestoreExtraOptions:\n        - '--jobs=2'\n"
		printf '  storage:\n    size: 1Gi\n  externalClusters:\n    - name: cluster-example\n'
		printf '      connectionParameters:\n        host: cluster-example-rw.default.svc\n        user: app\n        dbname: app\n'
		if [ "$4" = tls ]; then
			printf '      sslKey:\n        name: cluster-example-app-tls\n        key: tls.key\n'
			printf '      sslCert:\n        name: cluster-example-app-tls\n        key: tls.crt\n'
			printf '      sslRootCert:\n        name: cluster-example-ca\n        key: ca.crt\n'
		else
			printf '      password:\n        name: cluster-example-app\n        key: password\n'
		fi
		[ -z "${5:-}" ] || printf -- '---\napiVersion: postgresql.cnpg.io/v1\nkind: Subscription\nmetadata:\n  name: dest-sub\nspec:\n  cluster:\n    name: cluster-pgdump\n  name: sub\n  dbname: app\n  publicationName: pub\n  externalClusterName: cluster-example\n'
	} >"$1"
}

# The four upstream import samples' shapes pass spec check, with no warning.
test_import_samples_spec_check() {
	local f
	make_secret cluster-example-app password not-checked
	make_secret cluster-example-app-tls tls.crt not-checked
	make_secret cluster-example-app-tls tls.key not-checked
	make_secret cluster-example-ca ca.crt not-checked
	sample_spec "$T/schema-only.yaml" yes no password
	sample_spec "$T/snapshot-basicauth.yaml" no yes password
	sample_spec "$T/snapshot-tls.yaml" no no tls
	sample_spec "$T/logical-destination.yaml" yes no password subscription
	for f in schema-only snapshot-basicauth snapshot-tls logical-destination; do
		use_spec "$T/$f.yaml"
		pgpod_spec_check
		expect_rc "spec check of the $f sample" 0 $?
		expect_no_grep "$f: no warning" '"level":"warn"' "$LAST_ERR"
		expect_grep "$f: the import in the dump" '"type":"microservice"' "$LAST_OUT"
	done
}

# refused before anything is written: a database the source lacks, a source
# newer than this pod's PostgreSQL (a --pg-bin whose postgres says 14).
test_import_refusals() {
	local fake=$T/pg14-bin f
	import_source || return
	import_spec "$T/spec.yaml" microservice '[nosuch]'
	pgpod_cmd init
	expect_rc "a database the source lacks" 1 $?
	expect_grep "named" "has no database \"nosuch\"" <(log_msgs error "$LAST_OUT")
	check "nothing written" test -z "$(ls -A "$PGDATA" 2>/dev/null)"
	mkdir -p "$fake"
	for f in "$PG_BIN"/*; do ln -s "$f" "$fake/$(basename "$f")"; done
	rm -f "$fake/postgres"
	printf '#!/bin/sh\ncase "$1" in --version | -V) echo "postgres (PostgreSQL) 14.9"; exit 0 ;; esac\nexec "%s/postgres" "$@"\n' "$PG_BIN" >"$fake/postgres"
	chmod 0755 "$fake/postgres"
	import_spec "$T/spec.yaml" microservice '[shop]'
	PG_BIN=$fake pgpod_cmd init
	expect_rc "a source newer than this pod's PostgreSQL" 1 $?
	expect_grep "the versions named" 'runs PostgreSQL 15, newer than this pod' <(log_msgs error "$LAST_OUT")
	check "nothing written" test -z "$(ls -A "$PGDATA" 2>/dev/null)"
}

# A restore that fails half-way (the table exists already: made by
# postInitApplicationSQL) names the database and pg_restore's message,
# exits 1, and the attempt is moved aside.
test_failed_restore_moved_aside() {
	import_source || return
	import_spec "$T/spec.yaml" microservice '[shop]' '' \
		'      postInitApplicationSQL:
        - CREATE TABLE items (x int)'
	pgpod_cmd init
	expect_rc "a failing restore" 1 $?
	expect_grep "the database and pg_restore's message" "import of database \"shop\": pg_restore failed" <(log_msgs error "$LAST_OUT")
	expect_grep "the server's reason" 'already exists' "$LAST_OUT" "$LAST_ERR"
	check "the attempt moved aside" test -n "$(find "$(dirname "$PGDATA")" -maxdepth 1 -name "$(basename "$PGDATA").failed-*" 2>/dev/null)"
	check "the run directory's dump is gone" test -z "$(ls -A "$RUN/import" 2>/dev/null)"
}

run_tests
