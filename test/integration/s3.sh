# shellcheck shell=bash
# test/integration/s3.sh — an S3-compatible server for the integration tests:
# s3rver (npm, installed by scripts/deps.sh under $IT_S3RVER_PREFIX) serving
# HTTPS on 127.0.0.1 only, with a certificate from a test CA made by openssl.
#
# Sourced after lib.sh by a t_*.sh file. pgBackRest speaks S3 over HTTPS only,
# hence the TLS; clients verify the server with $S3_CA (pgBackRest:
# repo1-storage-ca-file; curl: --cacert). Everything lives under $T/s3:
#
#   $T/s3/ca.crt, ca.key           the test CA (ca.key 0600)
#   $T/s3/server.crt, server.key   CN=localhost, SAN IP:127.0.0.1, DNS:localhost
#                                  and DNS:127.0.0.1 (for pgBackRest, see _s3_certs)
#   $T/s3/data/                    s3rver's data directory (one folder per bucket)
#   $T/s3/s3rver.log               its output (one line per request)
#   $T/s3/openssl.log
#
# The node process is a child of the test; its PID goes into $T/.pids, which
# lib.sh's cleanup_test reads and stops (SIGTERM, then SIGKILL after 20 s),
# so a test that fails half-way leaves nothing running.
#
# Stable interface:
#   s3_start           start the server; sets S3_PORT, S3_CA, S3_KEY, S3_SECRET,
#                      S3_PID, S3_DIR, S3_LOG
#   s3_bucket NAME     create a bucket
#   s3_stop            stop the server (by PID, bounded)
#
# S3_KEY/S3_SECRET are s3rver's fixed, well-known test credentials (S3RVER),
# not secrets; they are shell variables, not put into the environment, so that
# the rule "passwords never go through the environment" holds anyway: write
# them to a 0600 configuration file.

# boto3 (barman-cloud) takes settings from AWS_* variables too: only the
# files a test writes count.
for _v in $(compgen -e); do
	case $_v in AWS_*) unset "$_v" ;; esac
done
unset _v

# Where scripts/deps.sh installs s3rver (keep the two in step).
IT_S3RVER_PREFIX=${IT_S3RVER_PREFIX:-/opt/pgpod-test/s3rver}
IT_TIMEOUT_S3=${IT_TIMEOUT_S3:-30} # s3rver start until it answers

S3_PID=

# _s3_curl ARGS...: curl against the server, verifying it with the test CA,
# bounded; prints the HTTP status (000 when nothing answered).
_s3_curl() {
	curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 10 \
		--cacert "$S3_CA" "$@"
}

# _s3_certs DIR: the CA and the server certificate (EC P-256, 2 days).
_s3_certs() {
	local d=$1
	(
		set -e
		cd "$d"
		umask 077
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout ca.key -out ca.crt -days 2 -subj "/CN=pgpod-it-s3-ca" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
		# clients connect to 127.0.0.1, and most (curl, Node, OpenSSL) match
		# that against the IP SAN. pgBackRest 2.45 compares its endpoint
		# with the DNS SANs (and the CN) only, as strings ("unable to find
		# hostname '127.0.0.1' in certificate common name or subject
		# alternative names"): hence also a DNS SAN spelled 127.0.0.1.
		printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:127.0.0.1" >server.ext
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout server.key -out server.csr -subj "/CN=localhost"
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial 0x5301 -days 2 \
			-extfile server.ext -out server.crt
		rm -f server.csr server.ext
		# clients running as postgres read the CA
		chmod 0644 ca.crt server.crt
	) >"$d/openssl.log" 2>&1
}

# s3_start: start s3rver on 127.0.0.1:$S3_PORT (HTTPS) and wait (at most
# $IT_TIMEOUT_S3 s) until it answers. Returns non-zero after `fail` when node or
# s3rver is missing, the certificates cannot be made or it does not come up.
s3_start() {
	local node bin i code
	node=$(command -v node || command -v nodejs) || {
		fail "s3_start: node is not installed (run scripts/deps.sh)"
		return 1
	}
	bin=$IT_S3RVER_PREFIX/node_modules/s3rver/bin/s3rver.js
	[ -f "$bin" ] || {
		fail "s3_start: s3rver is not installed in $IT_S3RVER_PREFIX (run scripts/deps.sh)"
		return 1
	}
	if [ -n "$S3_PID" ]; then
		fail "s3_start: s3rver is running already (pid $S3_PID)"
		return 1
	fi
	S3_DIR=$T/s3
	S3_LOG=$S3_DIR/s3rver.log
	S3_CA=$S3_DIR/ca.crt
	# shellcheck disable=SC2034 # used by the test files
	S3_KEY=S3RVER
	# shellcheck disable=SC2034
	S3_SECRET=S3RVER
	if ! mkdir -p "$S3_DIR/data" || ! chmod 0755 "$S3_DIR"; then
		fail "s3_start: cannot make $S3_DIR"
		return 1
	fi
	_s3_certs "$S3_DIR" || {
		fail "s3_start: openssl failed: $(tail -n 5 "$S3_DIR/openssl.log" | tr '\n' ' ')"
		return 1
	}
	alloc_port S3_PORT || { fail "s3_start: no free port"; return 1; }
	# --address: bind 127.0.0.1 only (its default, "localhost", may also
	# mean ::1). --no-vhost-buckets: buckets only in the path, as clients are
	# configured (pgBackRest repo1-s3-uri-style=path). exec: the PID we keep
	# is node's own.
	(cd "$S3_DIR" && exec "$node" "$bin" --directory "$S3_DIR/data" \
		--address 127.0.0.1 --port "$S3_PORT" --no-vhost-buckets \
		--key "$S3_DIR/server.key" --cert "$S3_DIR/server.crt") \
		</dev/null >"$S3_LOG" 2>&1 &
	S3_PID=$!
	echo "$S3_PID" >>"$T/.pids"
	# any HTTP answer to an anonymous GET / means TLS (with our CA) and the
	# server are up
	i=0
	while [ $i -lt $((IT_TIMEOUT_S3 * 5)) ]; do
		code=$(_s3_curl "https://127.0.0.1:$S3_PORT/")
		[ "$code" != 000 ] && return 0
		if ! kill -0 "$S3_PID" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$S3_PID/stat" 2>/dev/null)" = Z ]; then
			fail "s3_start: s3rver exited: $(tail -n 5 "$S3_LOG" | cut -c1-300 | tr '\n' ' ')"
			S3_PID=
			return 1
		fi
		sleep 0.2
		i=$((i + 1))
	done
	fail "s3_start: s3rver did not answer on https://127.0.0.1:$S3_PORT within ${IT_TIMEOUT_S3}s: $(tail -n 5 "$S3_LOG" | cut -c1-300 | tr '\n' ' ')"
	return 1
}

# s3_bucket NAME: create the bucket NAME (an unsigned PUT /NAME, which s3rver
# accepts; an existing bucket is an error).
s3_bucket() {
	local code
	[ -n "$S3_PID" ] || { fail "s3_bucket $1: s3rver is not running"; return 1; }
	code=$(_s3_curl -X PUT "https://127.0.0.1:$S3_PORT/$1")
	[ "$code" = 200 ] && return 0
	fail "s3_bucket $1: PUT answered $code"
	return 1
}

# s3_stop: SIGTERM (node exits at once), SIGKILL after 20 s; reaps it.
s3_stop() {
	[ -n "$S3_PID" ] || return 0
	stop_pid "$S3_PID" TERM
	wait "$S3_PID" 2>/dev/null
	S3_PID=
	return 0
}
