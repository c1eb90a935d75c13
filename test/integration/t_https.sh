#!/usr/bin/env bash
# HTTPS on the HTTP port(s): --tls-cert/--tls-key with a self-signed
# certificate made by openssl; curl -k and `pgpod probe`/`pgpod status`
# with --tls-cert; plain HTTP refused; a client that never says hello is
# dropped at the handshake deadline without holding up the probes; the
# certificate rotated without a restart (a bad one is not applied); an
# expired certificate, a key that does not fit, one option alone: exit 2.
. "$(dirname "$0")/lib.sh"

# tls_pair DIR NAME SERIAL: a self-signed certificate NAME.crt (P-256, for
# 127.0.0.1 and localhost, valid 2 days) and its key NAME.key (0600), both
# readable by the user pgpod drops to.
tls_pair() {
	mkdir -p "$1" && chmod 0755 "$1"
	(cd "$1" && umask 077 && openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$2.key" -out "$2.crt" -days 2 -subj "/CN=localhost" -set_serial "$3" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost") >"$1/openssl.log" 2>&1 ||
		{ fail "openssl: $(tail -n 3 "$1/openssl.log" | tr '\n' ' ')"; return 1; }
	chmod 0644 "$1/$2.crt"
	[ "$IS_ROOT" = 1 ] && chown postgres: "$1/$2.crt" "$1/$2.key"
	return 0
}

# tls_expired DIR NAME: NAME.crt for NAME.key, valid only on 2020-01-01.
tls_expired() {
	(
		set -e
		cd "$1"
		mkdir -p ca && : >ca/index && echo 2001 >ca/serial
		printf '%s\n' '[ca]' 'default_ca=d' '[d]' 'database=ca/index' 'new_certs_dir=ca' \
			'serial=ca/serial' 'default_md=sha256' 'policy=p' '[p]' 'commonName=supplied' >ca.cnf
		openssl req -new -key "$2.key" -out "$2.csr" -subj /CN=localhost
		openssl ca -batch -notext -config ca.cnf -selfsign -keyfile "$2.key" -in "$2.csr" \
			-startdate 20200101000000Z -enddate 20200102000000Z -out "$2.crt"
	) >"$1/openssl-ca.log" 2>&1 || { fail "openssl ca: $(tail -n 3 "$1/openssl-ca.log" | tr '\n' ' ')"; return 1; }
	chmod 0644 "$1/$2.crt"
}

# https_code URL: the HTTP status of GET URL over TLS, certificate not checked.
https_code() {
	curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$1"
}

# served_serial: the serial of the certificate served on HTTP_PORT.
served_serial() {
	openssl s_client -connect "127.0.0.1:$HTTP_PORT" </dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null
}

# wait_https_ready: until /readyz answers 200 over TLS (bounded).
wait_https_ready() {
	local i=0
	while [ $i -lt $((IT_TIMEOUT_START * 10)) ]; do
		[ "$(https_code "https://127.0.0.1:$HTTP_PORT/readyz")" = 200 ] && return 0
		kill -0 "$RUN_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	fail "/readyz never answered 200 over HTTPS$(LAST_OUT=$RUN_OUT LAST_ERR=$RUN_ERR last_output_tail)"
	return 1
}

start_https_run() {
	local APP_PW
	use_spec run-hba.yaml
	make_basic_auth app-secret app APP_PW
	SOCK=$RUN
	tls_pair "$T/tls" a 0xA1 || return 1
	TLS=(--tls-cert "$T/tls/a.crt" --tls-key "$T/tls/a.key")
	pgpod_run_bg "${TLS[@]}" "$@"
	wait_https_ready
}

test_https_serves_probes_status_and_refuses_plain() {
	local body rc sport
	alloc_port sport || return
	start_https_run --status-listen "127.0.0.1:$sport" || return
	body=$(curl -sk --max-time 2 "https://127.0.0.1:$HTTP_PORT/readyz")
	expect_eq "/readyz body over HTTPS" ok "$(printf '%s' "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>&1)"
	expect_eq "/pg/status over HTTPS on --status-listen" 200 "$(https_code "https://127.0.0.1:$sport/pg/status")"
	# TLS 1.2 at least
	curl -sk --max-time 2 --tls-max 1.1 -o /dev/null "https://127.0.0.1:$HTTP_PORT/healthz" &&
		fail "a TLS 1.1 client was served"
	# plain HTTP on the HTTPS port fails, with an answer that says why
	curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$HTTP_PORT/readyz" && fail "plain HTTP was served"
	expect_grep "the plain answer" "serves HTTPS" <(curl -s --max-time 2 "http://127.0.0.1:$HTTP_PORT/readyz")
	# pgpod probe and pgpod status with the option
	pgpod_cmd probe readiness "${TLS[@]}"
	expect_rc "pgpod probe readiness --tls-cert" 0 $?
	expect_grep "probe output" 'ok: ' "$LAST_OUT"
	pgpod_cmd status "${TLS[@]}" --status-listen "127.0.0.1:$sport"
	expect_rc "pgpod status --tls-cert" 0 $?
	expect_eq "phase from pgpod status" running "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phase"])' "$LAST_OUT" 2>&1)"
	# ... and without it: a clear failure
	pgpod_cmd probe readiness
	expect_rc "pgpod probe readiness without --tls-cert" 1 $?
	expect_grep "probe without --tls-cert" 'serves HTTPS' "$LAST_OUT"
	# a certificate pgpod does not serve is not trusted
	tls_pair "$T/other" b 0xB2 || return
	pgpod_cmd probe readiness --tls-cert "$T/other/b.crt"
	expect_rc "pgpod probe with another certificate" 1 $?
	expect_grep "probe with another certificate" 'does not serve the certificate' "$LAST_OUT"
	stop_run TERM
}

# The client side against a plain HTTP server: a clear error.
test_https_client_against_plain_server() {
	local plain rc
	tls_pair "$T/tls" a 0xA1 || return
	alloc_port plain || return
	python3 -m http.server --bind 127.0.0.1 "$plain" >/dev/null 2>&1 &
	echo $! >>"$T/.pids"
	wait_for 50 0.1 curl -s -o /dev/null "http://127.0.0.1:$plain/" || { fail "no plain server"; return; }
	pgpod_cmd probe liveness --listen "127.0.0.1:$plain" --tls-cert "$T/tls/a.crt"
	rc=$?
	expect_rc "probe with TLS against a plain server" 1 "$rc"
	expect_grep "probe with TLS against a plain server" 'plain HTTP' "$LAST_OUT"
}

# Clients that open TCP and never send a ClientHello — more of them than
# the front keeps — are dropped at the handshake deadline (3 s), and
# meanwhile every probe is answered.
test_https_silent_clients_dropped_probes_answered() {
	local i ok=0 held t0 t1
	start_https_run || return
	python3 - "$HTTP_PORT" 300 >"$T/silent.out" 2>&1 <<'EOF' &
import socket, sys, time, select
port, n = int(sys.argv[1]), int(sys.argv[2])
socks, t0 = [], time.monotonic()
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    socks.append(s)
opened = time.monotonic()
open_ = {s: None for s in socks}
while any(v is None for v in open_.values()) and time.monotonic() - t0 < 15:
    r, _, _ = select.select([s for s, v in open_.items() if v is None], [], [], 0.2)
    for s in r:
        try:
            d = s.recv(1)
        except OSError:
            d = b""
        if not d:
            open_[s] = time.monotonic() - t0
left = sum(1 for v in open_.values() if v is None)
print("left", left, "last", max(v for v in open_.values() if v is not None) if left < n else -1)
EOF
	held=$!
	echo "$held" >>"$T/.pids"
	sleep 0.5
	for i in $(seq 1 10); do
		pgpod_cmd probe liveness "${TLS[@]}" && ok=$((ok + 1))
		sleep 0.1
	done
	expect_eq "probes answered among 300 silent TLS clients" 10 "$ok"
	wait "$held"
	expect_grep "silent clients all dropped" 'left 0 ' "$T/silent.out"
	# the last one went at the deadline, not much later
	python3 -c 'import sys; l=open(sys.argv[1]).read().split(); sys.exit(0 if float(l[3]) < 4.5 else 1)' "$T/silent.out" ||
		fail "silent clients held too long: $(cat "$T/silent.out")"
	expect_eq "/healthz after the silent clients" 200 "$(https_code "https://127.0.0.1:$HTTP_PORT/healthz")"
	# one that shakes hands and then sends no request is dropped by the
	# guard's request-head deadline (3 s), as on plain HTTP
	t0=$(ms_now)
	timeout 15 openssl s_client -ign_eof -connect "127.0.0.1:$HTTP_PORT" </dev/null >"$T/idle.out" 2>&1
	t1=$(ms_now)
	[ $((t1 - t0)) -lt 4500 ] || fail "an idle TLS client was held $((t1 - t0)) ms"
	expect_grep "the idle TLS client shook hands" "serial=" <(openssl x509 -noout -serial <"$T/idle.out" 2>&1)
	stop_run TERM
}

# Without the options: plain HTTP as ever, and no TLS on the port.
test_https_off_plain_http() {
	local APP_PW
	use_spec run-hba.yaml
	make_basic_auth app-secret app APP_PW
	SOCK=$RUN
	pgpod_run_bg
	wait_code /readyz 200 "$IT_TIMEOUT_START" || fail "/readyz not 200 over plain HTTP$(LAST_OUT=$RUN_OUT LAST_ERR=$RUN_ERR last_output_tail)"
	[ "$(https_code "https://127.0.0.1:$HTTP_PORT/readyz")" = 000 ] || fail "TLS was served without --tls-cert"
	pgpod_cmd probe readiness
	expect_rc "pgpod probe readiness over plain HTTP" 0 $?
	expect_grep "serving plain HTTP" "serving HTTP on 127.0.0.1:$HTTP_PORT" "$RUN_OUT"
	stop_run TERM
}

# A new pair is served without a restart; a bad one is logged, not applied.
test_https_rotation() {
	local i s
	start_https_run || return
	expect_eq "served serial" "serial=A1" "$(served_serial)"
	tls_pair "$T/new" b 0xB2 || return
	cp -p "$T/new/b.key" "$T/tls/a.key.new" && cp -p "$T/new/b.crt" "$T/tls/a.crt.new" &&
		mv "$T/tls/a.key.new" "$T/tls/a.key" && mv "$T/tls/a.crt.new" "$T/tls/a.crt"
	for i in $(seq 1 80); do
		s=$(served_serial)
		[ "$s" = "serial=B2" ] && break
		sleep 0.1
	done
	expect_eq "served serial after the rotation" "serial=B2" "$s"
	pgpod_cmd probe liveness "${TLS[@]}"
	expect_rc "probe trusting the rotated certificate" 0 $?
	# a bad certificate is not applied: the last good pair stays
	printf 'not a certificate\n' >"$T/tls/a.crt.new" && mv "$T/tls/a.crt.new" "$T/tls/a.crt"
	wait_for 80 0.1 grep -q 'changed TLS certificate or key is not applied' "$RUN_OUT" ||
		fail "no error about the bad certificate$(LAST_OUT=$RUN_OUT LAST_ERR=$RUN_ERR last_output_tail)"
	expect_eq "served serial after a bad rotation" "serial=B2" "$(served_serial)"
	expect_eq "/readyz after a bad rotation" 200 "$(https_code "https://127.0.0.1:$HTTP_PORT/readyz")"
	stop_run TERM
	expect_no_grep "no key material in the log" 'PRIVATE KEY' "$RUN_OUT"
}

# Refused before anything starts, exit 2, naming the option and the file.
test_https_bad_pair_refused() {
	local APP_PW
	use_spec run-hba.yaml
	make_basic_auth app-secret app APP_PW
	tls_pair "$T/tls" a 0xA1 && tls_pair "$T/tls" b 0xB2 || return
	tls_expired "$T/tls" b || return
	pgpod_cmd run --tls-cert "$T/tls/b.crt" --tls-key "$T/tls/b.key"
	expect_rc "run with an expired certificate" 2 $?
	log_msgs error "$LAST_OUT" | grep -F -- "--tls-cert $T/tls/b.crt" | grep -qF 'expired' ||
		fail "no error naming --tls-cert, the file and the expiry$(last_output_tail)"
	pgpod_cmd run --tls-cert "$T/tls/a.crt" --tls-key "$T/tls/b.key"
	expect_rc "run with a key that does not fit" 2 $?
	log_msgs error "$LAST_OUT" | grep -F -- "--tls-key $T/tls/b.key" | grep -qF 'does not fit' ||
		fail "no error naming --tls-key and the file$(last_output_tail)"
	pgpod_cmd run --tls-cert "$T/tls/a.crt" --tls-key "$T/tls/missing.key"
	expect_rc "run with a missing key" 2 $?
	pgpod_cmd run --tls-cert "$T/tls/openssl.log" --tls-key "$T/tls/a.key"
	expect_rc "run with a certificate that is not PEM" 2 $?
	log_msgs error "$LAST_OUT" | grep -qF 'no PEM certificate' || fail "no error about PEM$(last_output_tail)"
	pgpod_cmd run --tls-cert "$T/tls/a.crt"
	expect_rc "run with --tls-cert alone" 2 $?
	if [ "$IS_ROOT" = 1 ]; then	# a key only root reads: refused now, not at its first rotation
		cp -p "$T/tls/a.key" "$T/tls/root.key" && chown root: "$T/tls/root.key"
		pgpod_cmd run --tls-cert "$T/tls/a.crt" --tls-key "$T/tls/root.key"
		expect_rc "run with a key only root reads" 2 $?
		log_msgs error "$LAST_OUT" | grep -F -- "--tls-key $T/tls/root.key" | grep -qF 'read as postgres' ||
			fail "no error naming the key and the user reading it$(last_output_tail)"
	fi
	[ -e "$PGDATA/PG_VERSION" ] && fail "PGDATA was bootstrapped despite a bad TLS pair"
	return 0
}

run_tests
