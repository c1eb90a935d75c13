#!/usr/bin/env bash
# TLS for postgres and for replicas: the certificates' Secrets of
# CloudNativePG's spec.certificates (and PGO's customTLSSecret) become
# ssl = on with 0600 copies in the run dir; a rotated certificate is served
# after a reload without a restart, a bad one is refused and the last good
# one stays; an expired one is a spec error; a replica joins with its client
# certificate and no replication password, and streams.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/source.sh"
. "$(dirname "$0")/nodes.sh"

# tls_secrets CERTDIR: the Secrets tls-server (tls.crt, tls.key), tls-ca
# (ca.crt) and tls-repl (the client certificate, CN streaming_replica) from
# make_certs' files, 0644 and root's as Kubernetes mounts them.
tls_secrets() {
	make_secret tls-server tls.crt "$(cat "$1/server.crt")"
	make_secret tls-server tls.key "$(cat "$1/server.key")"
	make_secret tls-ca ca.crt "$(cat "$1/ca.crt")"
	make_secret tls-repl tls.crt "$(cat "$1/client.crt")"
	make_secret tls-repl tls.key "$(cat "$1/client.key")"
}

# tls_spec FILE [INSTANCES]: the Cluster "tc" with every certificate, the
# application database app owned by app (Secret app-secret).
tls_spec() {
	put_file "$1" <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: tc
spec:
  instances: ${2:-1}
  certificates:
    serverTLSSecret: tls-server
    serverCASecret: tls-ca
    clientCASecret: tls-ca
    replicationTLSSecret: tls-repl
  bootstrap:
    initdb:
      database: app
      owner: app
      secret:
        name: app-secret
EOF
}

# resign CERTDIR NAME SERIAL [START END]: a new certificate NAME.crt for
# server.key (CN localhost, the same names) signed by the CA, with SERIAL
# (hex); with START and END (YYYYMMDDHHMMSSZ) valid only between them.
resign() {
	local d=$1
	(
		set -e
		cd "$d"
		openssl req -new -key server.key -out "$2.csr" -subj "/CN=localhost"
		if [ -z "${4:-}" ]; then
			openssl x509 -req -in "$2.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$3" -days 2 \
				-extfile server.ext -out "$2.crt"
		else
			# openssl x509 has no start date: openssl ca has
			printf '%s\n' '[ca]' 'default_ca = d' '[d]' 'database = index.txt' 'new_certs_dir = .' \
				'default_md = sha256' 'policy = p' 'serial = serial' '[p]' 'commonName = supplied' >ca.cnf
			: >index.txt
			echo "$3" >serial
			openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in "$2.csr" -out "$2.crt" \
				-startdate "$4" -enddate "$5" -notext
		fi
	) >"$d/resign.log" 2>&1 || fail "resign $2: $(tail -n 3 "$d/resign.log" | tr '\n' ' ')"
}

# served_serial: the serial of the certificate postgres serves on $PORT.
served_serial() {
	timeout -k 2 10 openssl s_client -starttls postgres -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null
}

# file_serial FILE: the serial of the certificate in FILE.
file_serial() { openssl x509 -in "$1" -noout -serial 2>/dev/null; }

# psql_ssl USER PASSWORD DB SQL: psql_tcp with sslmode=verify-full against
# the test's CA.
psql_ssl() {
	IT_TCP_SSL="sslmode=verify-full sslrootcert=$T/certs/ca.crt" psql_tcp "$@"
}

postmaster_pid() { head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null; }

# wait_serial SERIAL SECS: until postgres serves the certificate SERIAL.
wait_serial() {
	local i
	for ((i = 0; i < $2 * 4; i++)); do
		[ "$(served_serial)" = "serial=$1" ] && return 0
		sleep 0.25
	done
	return 1
}

# tls_cluster INSTANCES [SAN]: certificates (make_certs, the server's names
# SAN), their Secrets, app-secret (APP_PW) and the spec of "tc" with
# INSTANCES; instance 1 started and ready (false when it is not).
tls_cluster() {
	make_certs "$T/certs" streaming_replica "${2:-}" || return
	tls_secrets "$T/certs"
	make_basic_auth app-secret app APP_PW
	tls_spec "$T/tc.yaml" "$1"
	use_spec "$T/tc.yaml"
	nodes_alloc "$1" || return
	start_node 1 tc-1
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 1
}

# ------------------------------------------------------------------ tests

# A primary with spec.certificates: ssl on, a client verifies the server
# fully, the copies are 0600 and postgres', the hostssl cert lines come
# before every password line.
test_primary_serves_tls_with_copies_0600() {
	local APP_PW rules
	tls_cluster 1 || return
	expect_eq "SHOW ssl" on "$(psql_su postgres "SHOW ssl")"
	expect_eq "ssl with verify-full" t \
		"$(psql_ssl app "$APP_PW" app "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1)"
	expect_eq "ssl_cert_file" "$RUN/tls/server.crt" "$(psql_su postgres "SHOW ssl_cert_file")"
	expect_eq "ssl_ca_file" "$RUN/tls/client-ca.crt" "$(psql_su postgres "SHOW ssl_ca_file")"
	# left as mounted (the test's own user's), not chowned: postgres reads a copy
	expect_eq "the mounted key" "644 $(id -un)" "$(stat -c '%a %U' "$SECRETS/tls-server/tls.key")"
	if [ "$IS_ROOT" = 1 ]; then
		expect_eq "the key's copy" "600 postgres" "$(stat -c '%a %U' "$RUN/tls/server.key")"
		expect_eq "the certificate's copy" "600 postgres" "$(stat -c '%a %U' "$RUN/tls/server.crt")"
		expect_eq "the directory" "700 postgres" "$(stat -c '%a %U' "$RUN/tls")"
	else
		expect_eq "the key's copy" 600 "$(stat -c '%a' "$RUN/tls/server.key")"
	fi
	rules=$(hba_rules)
	expect_eq "pg_hba.conf" "local all postgres peer map=pgpod
hostssl replication streaming_replica all cert clientcert=verify-full
hostssl all streaming_replica all cert clientcert=verify-full
host replication streaming_replica all scram-sha-256" "$(printf '%s\n' "$rules" | head -n 4)"
	expect_no_grep "no key in the log" "$(sed -n 2p "$T/certs/server.key")" "$RUN_OUT" "$RUN_ERR"
	expect_no_errors "$RUN_OUT"
	stop_node 1 "shut down"
}

# A rotated certificate is served after a reload, the postmaster the same;
# one whose key does not fit is refused, naming the Secret and the key, and
# the last good one stays served and copied.
test_rotated_certificate_reloaded_bad_one_refused() {
	local APP_PW pid i
	tls_cluster 1 || return
	pid=$(postmaster_pid)
	expect_eq "the first certificate" "serial=1001" "$(served_serial)"
	resign "$T/certs" rotated 2002
	put_file "$SECRETS/tls-server/tls.crt" <"$T/certs/rotated.crt"
	wait_serial 2002 20 || fail "the rotated certificate is not served within 20 s: $(served_serial)$(ntail 1)"
	expect_eq "postmaster after the rotation" "$pid" "$(postmaster_pid)"
	expect_eq "the copy" "serial=2002" "$(file_serial "$RUN/tls/server.crt")"
	expect_eq "verify-full after the rotation" t \
		"$(psql_ssl app "$APP_PW" app "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1)"
	# the client certificate is valid and signed by the CA, but not for
	# server.key
	put_file "$SECRETS/tls-server/tls.crt" <"$T/certs/client.crt"
	for ((i = 0; i < 80; i++)); do
		log_msgs error "$RUN_OUT" | grep -qF 'the changed spec is not applied' && break
		sleep 0.25
	done
	expect_grep "the refusal names the Secret and key" \
		'spec.certificates.serverTLSSecret: secret \"tls-server\" key \"tls.key\": is not the key of the certificate' "$RUN_OUT"
	expect_grep "the last good one stays" "the changed spec is not applied" "$RUN_OUT"
	expect_eq "still served" "serial=2002" "$(served_serial)"
	expect_eq "still copied" "serial=2002" "$(file_serial "$RUN/tls/server.crt")"
	expect_eq "postmaster after the bad one" "$pid" "$(postmaster_pid)"
	expect_eq "SHOW ssl after the bad one" on "$(psql_su postgres "SHOW ssl")"
	stop_node 1 "shut down"
}

# An expired certificate at the start: exit 2 naming the Secret and the
# key, nothing written.
test_expired_certificate_is_a_spec_error() {
	local APP_PW rc
	make_certs "$T/certs" || return
	tls_secrets "$T/certs"
	make_basic_auth app-secret app APP_PW
	resign "$T/certs" expired 3003 20200101000000Z 20200102000000Z
	put_file "$SECRETS/tls-server/tls.crt" <"$T/certs/expired.crt"
	tls_spec "$T/tc.yaml"
	use_spec "$T/tc.yaml"
	nodes_alloc 1 || return
	start_node 1 tc-1
	wait_exit "$RUN_PID" "$IT_TIMEOUT_STOP" rc
	expect_rc "pgpod run with an expired certificate" 2 "$rc"
	expect_grep "the error names the Secret and key" \
		'spec.certificates.serverTLSSecret: secret \"tls-server\" key \"tls.crt\": the certificate expired on Jan  2 00:00:00 2020 GMT' \
		"$RUN_OUT" "$RUN_ERR"
	check "nothing written to PGDATA" test ! -e "$PGDATA/PG_VERSION"
}

# Instance 2 joins with its client certificate and no replication Secret:
# verify-full (the certificate names 127.0.0.1), streaming over TLS as
# CN streaming_replica, which has no password.
test_replica_joins_with_client_certificate_no_password() {
	local APP_PW conninfo
	tls_cluster 2 || return
	check "no replication Secret" test ! -e "$SECRETS/tc-replication"
	start_node 2 tc-2
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 2 || return
	expect_eq "the replica streams over TLS as its certificate" "tc-2|t|/CN=streaming_replica" \
		"$(nsql 1 postgres "SELECT r.application_name, s.ssl, s.client_dn FROM pg_stat_replication r
			JOIN pg_stat_ssl s USING (pid)")"
	expect_eq "streaming_replica has no password" t \
		"$(nsql 1 postgres "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = 'streaming_replica'")"
	nsql 1 app "CREATE TABLE t (x int); INSERT INTO t VALUES (42)" >/dev/null
	wait_rows 2 app "SELECT x FROM t" 42 10 || fail "the row did not reach instance 2"
	conninfo=$(nsql 2 postgres "SHOW primary_conninfo")
	node 2
	expect_grep "verify-full" "sslmode='verify-full'" <(printf '%s\n' "$conninfo")
	expect_grep "its certificate" "sslcert='$RUN/replication/tls.crt'" <(printf '%s\n' "$conninfo")
	expect_grep "the server CA" "sslrootcert='$RUN/replication/ca.crt'" <(printf '%s\n' "$conninfo")
	expect_no_grep "no passfile" "passfile" <(printf '%s\n' "$conninfo")
	expect_eq "the replica's key" 600 "$(stat -c '%a' "$RUN/replication/tls.key")"
	stop_node 2 "shut down in recovery"
	stop_node 1 "shut down"
}

# A server certificate that does not name --primary-host: the replica
# checks the CA only (verify-ca) and streams all the same.
test_replica_verify_ca_when_the_host_is_not_named() {
	local APP_PW
	tls_cluster 2 "DNS:tc-rw" || return
	start_node 2 tc-2
	expect_ready "$(ms_now)" "$IT_TIMEOUT_START" 2 || return
	expect_grep "verify-ca" "sslmode='verify-ca'" <(nsql 2 postgres "SHOW primary_conninfo")
	expect_eq "streaming over TLS" "tc-2|t" \
		"$(nsql 1 postgres "SELECT r.application_name, s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)")"
	stop_node 2 "shut down in recovery"
	stop_node 1 "shut down"
}

# PGO's customTLSSecret: one Secret is the server's pair and both CAs;
# an expired certificate in it is named by its PGO path.
test_pgo_custom_tls_secret() {
	local rc
	make_certs "$T/certs" || return
	make_secret pgo-tls tls.crt "$(cat "$T/certs/server.crt")"
	make_secret pgo-tls tls.key "$(cat "$T/certs/server.key")"
	make_secret pgo-tls ca.crt "$(cat "$T/certs/ca.crt")"
	make_secret pgo-repl tls.crt "$(cat "$T/certs/client.crt")"
	make_secret pgo-repl tls.key "$(cat "$T/certs/client.key")"
	put_file "$T/pgo.yaml" <<EOF
apiVersion: postgres-operator.crunchydata.com/v1beta1
kind: PostgresCluster
metadata:
  name: hippo
spec:
  postgresVersion: $(pg_config --version | sed 's/[^0-9]*\([0-9]*\).*/\1/')
  instances:
    - name: instance1
      replicas: 2
  customTLSSecret:
    name: pgo-tls
  customReplicationTLSSecret:
    name: pgo-repl
EOF
	use_spec "$T/pgo.yaml"
	pgpod_spec_check
	expect_rc "spec check" 0 $?
	expect_eq "certificates" \
		"{'serverTLSSecret': 'pgo-tls', 'serverCASecret': 'pgo-tls', 'clientCASecret': 'pgo-tls', 'replicationTLSSecret': 'pgo-repl'}" \
		"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("certificates"))' "$LAST_OUT" 2>&1)"
	resign "$T/certs" expired 3003 20200101000000Z 20200102000000Z
	put_file "$SECRETS/pgo-tls/tls.crt" <"$T/certs/expired.crt"
	pgpod_spec_check
	rc=$?
	expect_rc "spec check with an expired certificate" 2 "$rc"
	expect_grep "named by its PGO path" \
		'spec.customTLSSecret.name: secret \"pgo-tls\" key \"tls.crt\": the certificate expired' "$LAST_ERR"
}

run_tests
