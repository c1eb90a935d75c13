#!/usr/bin/env bash
# Managed roles and databases, reconciled by `pgpod run` on the primary:
# CloudNativePG's spec.managed.roles (created, altered, granted, revoked,
# dropped; a role that owns objects is refused and stays), a Secret's new
# password reaching its role, Database documents with schemas and
# extensions, every PGO user with its databases, and the upstream samples
# cluster-example-with-roles.yaml / cluster-example-managed-services.yaml
# accepted by `pgpod spec check`.
. "$(dirname "$0")/lib.sh"


# write_spec TEXT: the spec, replaced atomically (the supervisor sees a change).
write_spec() {
	printf '%s\n' "$1" >"$T/spec.new"
	chmod 0644 "$T/spec.new"
	mv "$T/spec.new" "$T/spec.yaml"
	SPEC=$T/spec.yaml
}

# wait_sql DB SQL WANT SECONDS: until psql_su DB SQL prints WANT.
wait_sql() {
	local i=0 got
	while [ $i -lt $(($4 * 4)) ]; do
		got=$(psql_su "$1" "$2" 2>&1)
		[ "$got" = "$3" ] && return 0
		sleep 0.25
		i=$((i + 1))
	done
	fail "waited ${4}s for [$2] in $1 to give [$3], got [$got]$(last_output_tail)"
	return 1
}

# managed_state KIND NAME: the state of one managed item in /pg/status.
managed_state() {
	http_get /pg/status | python3 -c '
import json, sys
m = json.load(sys.stdin).get("managed") or {}
for it in m.get(sys.argv[1] + "s", []):
    if it["name"] == sys.argv[2]:
        print(it["state"] + ("" if it["error"] is None else ": " + it["error"]))' "$1" "$2" 2>/dev/null
}

# reconciled_at: managed.reconciledAt of /pg/status.
reconciled_at() {
	http_get /pg/status | python3 -c 'import json,sys; print((json.load(sys.stdin).get("managed") or {}).get("reconciledAt"))' 2>/dev/null
}

# The cluster of every CloudNativePG test here, up to its managed roles.
MG_CLUSTER='apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: mg
spec:
  instances: 1
  bootstrap:
    initdb:
      database: app
      owner: app
      secret:
        name: app-secret
  managed:
    roles:'

ROLES_V1="$MG_CLUSTER"'
    - name: app
      login: true
      createdb: true
    - name: dante
      ensure: present
      comment: my database-side comment
      login: true
      superuser: false
      createdb: true
      createrole: false
      inherit: false
      replication: false
      bypassrls: false
      connectionLimit: 4
      validUntil: "2053-04-12T15:04:05Z"
      inRoles:
        - pg_monitor
        - pg_signal_backend
      passwordSecret:
        name: cluster-example-dante
    - name: poets
    - name: oldie
      login: true
    - name: hoarder
      login: true'

ROLES_V2="$MG_CLUSTER"'
    - name: app
      login: true
      createdb: true
    - name: dante
      comment: Dante Alighieri
      login: true
      createdb: false
      inherit: false
      connectionLimit: 10
      inRoles:
        - pg_monitor
        - poets
      passwordSecret:
        name: cluster-example-dante
    - name: poets
    - name: oldie
      ensure: absent
    - name: hoarder
      ensure: absent'

ROLE_ROW="SELECT rolcanlogin, rolcreatedb, rolinherit, rolconnlimit, rolvaliduntil::date,
 shobj_description(oid, 'pg_authid'),
 (SELECT string_agg(g.rolname, ',' ORDER BY g.rolname) FROM pg_auth_members m
  JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = a.oid)
 FROM pg_authid a WHERE rolname = 'dante'"

# The roles sample's shape carried out, then changed: attributes altered,
# a membership granted and one revoked, a role dropped, one that owns a
# table refused (it stays, and the log and /pg/status say why); a
# reconcile with nothing to change writes nothing.
test_managed_roles_lifecycle() {
	local APP_PW DANTE_PW xmin before
	write_spec "$ROLES_V1"
	make_basic_auth app-secret app APP_PW
	make_basic_auth cluster-example-dante dante DANTE_PW
	pgpod_run_bg
	expect_served "$APP_PW" || return
	wait_sql app "SELECT count(*) FROM pg_roles WHERE rolname IN ('dante', 'poets', 'oldie', 'hoarder')" 4 30 || return
	expect_eq "dante as declared" "t|t|f|4|2053-04-12|my database-side comment|pg_monitor,pg_signal_backend" \
		"$(psql_su app "$ROLE_ROW" 2>&1)"
	expect_eq "app altered (CREATEDB)" "t" "$(psql_su app "SELECT rolcreatedb FROM pg_roles WHERE rolname = 'app'" 2>&1)"
	expect_eq "poets: NOLOGIN, INHERIT by default" "f|t|-1" \
		"$(psql_su app "SELECT rolcanlogin, rolinherit, rolconnlimit FROM pg_roles WHERE rolname = 'poets'" 2>&1)"
	expect_eq "dante logs in with the Secret's password" dante \
		"$(psql_tcp dante "$DANTE_PW" app "SELECT current_user" 2>&1)"
	expect_no_grep "the password in the log" "$DANTE_PW" "$RUN_OUT"
	wait_for 40 0.25 test "$(managed_state role dante)" = reconciled
	expect_eq "dante in /pg/status" reconciled "$(managed_state role dante)"
	# nothing to change: nothing is written (the row keeps its xmin)
	xmin=$(psql_su app "SELECT xmin FROM pg_authid WHERE rolname = 'dante'")
	before=$(reconciled_at)
	kill -HUP "$RUN_PID"
	wait_for 40 0.25 test "$(reconciled_at)" != "$before"
	expect_eq "pg_authid row of dante after a reconcile without changes" "$xmin" \
		"$(psql_su app "SELECT xmin FROM pg_authid WHERE rolname = 'dante'")"
	psql_su app "CREATE TABLE hoard (x int); ALTER TABLE hoard OWNER TO hoarder" >/dev/null ||
		fail "cannot give hoarder a table"
	write_spec "$ROLES_V2"
	wait_sql app "SELECT count(*) FROM pg_roles WHERE rolname = 'oldie'" 0 30 || return
	wait_sql app "SELECT rolconnlimit FROM pg_roles WHERE rolname = 'dante'" 10 30
	expect_eq "dante altered, pg_signal_backend revoked, poets granted" \
		"t|f|f|10|infinity|Dante Alighieri|pg_monitor,poets" "$(psql_su app "${ROLE_ROW/rolvaliduntil::date/rolvaliduntil}" 2>&1)"
	expect_eq "hoarder owns a table: it stays" 1 \
		"$(psql_su app "SELECT count(*) FROM pg_roles WHERE rolname = 'hoarder'" 2>&1)"
	wait_for 40 0.25 grep -q 'managed role \\"hoarder\\" is not reconciled: declared absent' "$RUN_OUT"
	expect_grep "the refusal names what hoarder owns" \
		'managed role \"hoarder\" is not reconciled: declared absent (spec.managed.roles[4].ensure) but not dropped: it owns 1 object(s) in app; reassign or drop them (pgpod never runs DROP OWNED or REASSIGN OWNED)' "$RUN_OUT"
	expect_eq "hoarder in /pg/status" "failed" "$(managed_state role hoarder | cut -d: -f1)"
	expect_eq "the failure counted in /metrics" 1 \
		"$(http_get /metrics | sed -n 's/^pgpod_managed_failures //p')"
	before=$(reconciled_at)
	kill -HUP "$RUN_PID"
	wait_for 40 0.25 test "$(reconciled_at)" != "$before"
	expect_eq "the refusal is said once, not at every reconcile" 1 "$(grep -c 'managed role \\"hoarder\\" is not reconciled' "$RUN_OUT")"
	expect_no_grep "DROP OWNED run" '": DROP OWNED' "$RUN_OUT"
	expect_no_grep "REASSIGN OWNED run" '": REASSIGN OWNED' "$RUN_OUT"
	stop_run TERM
}

# A new password in the role's Secret reaches the role: the new one logs
# in, the old one no longer does.
test_managed_secret_password_change() {
	local APP_PW DANTE_PW OLD_PW
	write_spec "$ROLES_V1"
	make_basic_auth app-secret app APP_PW
	make_basic_auth cluster-example-dante dante DANTE_PW
	pgpod_run_bg
	expect_served "$APP_PW" || return
	wait_for 120 0.25 psql_tcp dante "$DANTE_PW" app "SELECT 1" || fail "dante cannot log in$(last_output_tail)"
	OLD_PW=$DANTE_PW
	make_basic_auth cluster-example-dante dante DANTE_PW
	wait_for 120 0.25 psql_tcp dante "$DANTE_PW" app "SELECT 1" ||
		fail "dante cannot log in with the Secret's new password$(last_output_tail)"
	psql_tcp dante "$OLD_PW" app "SELECT 1" >/dev/null 2>&1 && fail "the old password still works"
	expect_grep "the change is logged" 'managed role \"dante\": password set from its Secret' "$RUN_OUT"
	expect_no_grep "no password in the log" "$DANTE_PW" "$RUN_OUT"
	stop_run TERM
}

# database_doc OBJECT CLUSTER: the head of a Database document naming CLUSTER.
database_doc() {
	printf -- '---\napiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: %s\nspec:\n  cluster:\n    name: %s' "$1" "$2"
}

DB_V1="$MG_CLUSTER"'
    - name: shop_owner
'"$(database_doc db-one mg)"'
  name: one
  owner: app
  encoding: UTF8
  connectionLimit: 5
  schemas:
  - name: sales
    owner: app
  extensions:
  - name: citext
    schema: public
'"$(database_doc db-other another-cluster)"'
  name: notours
  owner: app'

DB_V2="$MG_CLUSTER"'
    - name: shop_owner
'"$(database_doc db-one mg)"'
  name: one
  owner: shop_owner
  connectionLimit: 8
  allowConnections: true
  schemas:
  - name: sales
    owner: shop_owner
  - name: scratch
  extensions:
  - name: citext
    schema: sales
'"$(database_doc db-two mg)"'
  name: two
  owner: app
  ensure: absent'

# A Database document with a schema and an extension, then changed: the
# owner, the connection limit, the extension's schema; another database
# dropped with ensure: absent; a document of another cluster ignored.
test_managed_database_documents() {
	local APP_PW
	write_spec "$DB_V1"
	make_basic_auth app-secret app APP_PW
	pgpod_run_bg
	expect_served "$APP_PW" || return
	wait_sql postgres "SELECT pg_get_userbyid(datdba), datconnlimit FROM pg_database WHERE datname = 'one'" "app|5" 30 || return
	wait_sql one "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'citext'" public 30
	expect_eq "schema sales owned by app" app "$(psql_su one "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'sales'" 2>&1)"
	expect_eq "another cluster's Database ignored" 0 "$(psql_su postgres "SELECT count(*) FROM pg_database WHERE datname = 'notours'" 2>&1)"
	psql_su postgres "CREATE DATABASE two" >/dev/null || fail "cannot create database two"
	write_spec "$DB_V2"
	wait_sql postgres "SELECT pg_get_userbyid(datdba), datconnlimit FROM pg_database WHERE datname = 'one'" "shop_owner|8" 30
	wait_sql one "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'citext'" sales 30
	expect_eq "schemas" "sales:shop_owner,scratch:postgres" \
		"$(psql_su one "SELECT string_agg(nspname || ':' || pg_get_userbyid(nspowner), ',' ORDER BY nspname) FROM pg_namespace WHERE nspname IN ('sales', 'scratch')" 2>&1)"
	wait_sql postgres "SELECT count(*) FROM pg_database WHERE datname = 'two'" 0 30
	wait_for 40 0.25 test "$(managed_state database one)" = reconciled
	expect_eq "one in /pg/status" reconciled "$(managed_state database one)"
	expect_eq "two in /pg/status" reconciled "$(managed_state database two)"
	stop_run TERM
}

# PGO: every user exists, with every database of it created and granted;
# the first user with databases owns the first of them (the bootstrap);
# generated passwords are kept in <run-dir>/passwords.
test_managed_pgo_users() {
	local major pw
	major=$("$PG_BIN/postgres" --version | sed 's/.* \([0-9]*\)\..*/\1/')
	write_spec "apiVersion: postgres-operator.crunchydata.com/v1beta1
kind: PostgresCluster
metadata:
  name: hippo
spec:
  postgresVersion: $major
  instances:
  - name: i1
    replicas: 1
  users:
  - name: rhino
    databases: [zoo, zoo2]
    options: CREATEDB
  - name: hippo
    databases: [hippo, zoo]
    options: CONNECTION LIMIT 7 NOCREATEROLE
    password:
      type: AlphaNumeric
  - name: watcher
    options: NOLOGIN"
	pgpod_run_bg
	wait_code /readyz 200 "$IT_TIMEOUT_START" || { fail "not ready$(last_output_tail)"; return; }
	wait_sql postgres "SELECT string_agg(datname || ':' || pg_get_userbyid(datdba), ',' ORDER BY datname) FROM pg_database WHERE datname IN ('zoo', 'zoo2', 'hippo')" \
		"hippo:postgres,zoo:rhino,zoo2:postgres" 30 || return
	expect_eq "roles" "hippo:true:false:7,rhino:true:true:-1,watcher:false:false:-1" \
		"$(psql_su postgres "SELECT string_agg(rolname || ':' || rolcanlogin || ':' || rolcreatedb || ':' || rolconnlimit, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('rhino', 'hippo', 'watcher')" 2>&1)"
	expect_eq "privileges" "hippo:hippo:true,hippo:zoo:true,rhino:zoo2:true" \
		"$(psql_su postgres "SELECT string_agg(u || ':' || d || ':' || has_database_privilege(u, d, 'CREATE'), ',' ORDER BY u, d) FROM (VALUES ('rhino', 'zoo2'), ('hippo', 'hippo'), ('hippo', 'zoo')) v(u, d)" 2>&1)"
	pw=$(cat "$RUN/passwords/hippo" 2>/dev/null)
	expect_eq "hippo's generated password is alphanumeric" 1 "$(printf '%s' "$pw" | grep -c '^[A-Za-z0-9]\{32\}$')"
	expect_eq "hippo logs in to zoo with it" hippo@zoo \
		"$(psql_tcp hippo "$pw" zoo "SELECT current_user || '@' || current_database()" 2>&1)"
	expect_eq "watcher has no password file (NOLOGIN still gets one, as PGO)" 1 \
		"$(test -s "$RUN/passwords/watcher" && echo 1)"
	stop_run TERM
}

# The upstream samples cluster-example-with-roles.yaml and
# cluster-example-managed-services.yaml, in their shape (the Secret document
# of the first mounted as a Secret), are accepted by spec check.
with_roles_sample() {
	cat <<'EOF'
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: cluster-example-with-roles
spec:
  instances: 3
  storage:
    size: 1Gi
  managed:
    roles:
    - name: app
      createdb: true
      login: true
    - name: dante
      ensure: present
      comment: my database-side comment
      login: true
      superuser: false
      createdb: true
      createrole: false
      inherit: false
      replication: false
      bypassrls: false
      connectionLimit: 4
      validUntil: "2053-04-12T15:04:05Z"
      inRoles:
        - pg_monitor
        - pg_signal_backend
      passwordSecret:
        name: cluster-example-dante
EOF
}

managed_services_sample() {
	cat <<'EOF'
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: cluster-example-managed-services
spec:
  instances: 1
  storage:
    size: 1Gi
  managed:
    services:
      disabledDefaultServices: ["ro", "r"]
      additional:
        - selectorType: rw
          serviceTemplate:
            metadata:
              name: "test-rw"
              labels:
                test-label: "true"
            spec:
              type: LoadBalancer
EOF
}

test_managed_upstream_samples_spec_check() {
	local DANTE_PW f
	make_basic_auth cluster-example-dante dante DANTE_PW
	with_roles_sample >"$T/with-roles.yaml"
	managed_services_sample >"$T/managed-services.yaml"
	for f in with-roles.yaml managed-services.yaml; do
		use_spec "$T/$f"
		pgpod_spec_check
		expect_rc "spec check $f" 0 $?
		expect_no_grep "$f: no warning" '"level":"warn"' "$LAST_ERR"
	done
	use_spec "$T/with-roles.yaml"
	pgpod_spec_check
	expect_grep "dante's role in the dump" '"passwordSecret":"cluster-example-dante"' "$LAST_OUT"
	printf 'x' >"$SECRETS/cluster-example-dante/username"
	pgpod_spec_check
	expect_rc "spec check with a Secret of another user" 2 $?
	expect_grep "the refusal names the field" 'spec.managed.roles[1].passwordSecret: secret \"cluster-example-dante\" has username \"x\"' "$LAST_ERR"
}

run_tests
