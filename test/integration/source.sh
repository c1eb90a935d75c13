# shellcheck shell=bash
# test/integration/source.sh — plain PostgreSQL "source" servers for the
# integration tests (what `pgpod clone`, `pgpod join` and replica clusters copy
# from), and TLS certificates made with openssl.
#
# Sourced after lib.sh by a t_*.sh file. Every server of a test lives under
# its $T, so that lib.sh's cleanup_test stops it by PID (it reads the
# postmaster.pid files under $T down to depth 4: ours is at depth 3):
#
#   $T/src-NAME/           0700, owned by postgres
#   $T/src-NAME/data/      the PGDATA (initdb as the postgres OS user)
#   $T/src-NAME/sock/      its Unix socket directory (0700)
#   $T/src-NAME/port       the TCP port (127.0.0.1 only), from alloc_port
#   $T/src-NAME/postgres.log
#
# One source is "current" at a time; its paths are in SRC_NAME, SRC_DIR,
# SRC_DATA, SRC_SOCK, SRC_PORT and SRC_LOG. source_init makes the new one
# current, source_use NAME switches back to an earlier one. All functions act
# on the current source and return non-zero (after `fail`) when they fail.
#
# The source trusts local (Unix socket) connections of every user, replication
# included; over TCP it accepts only what source_hba adds. Passwords go to the
# server on psql's standard input, never on a command line.
#
# Stable interface (t_clone.sh and t_replicas.sh use it):
#   source_init NAME [INITDB-ARGS...]   initdb a new source, make it current
#   source_use NAME                     make an earlier source current again
#   source_conf 'name = value'...       append settings to its postgresql.conf
#   source_hba 'LINE'...                append pg_hba.conf lines
#   source_ssl CERTDIR                  ssl = on with make_certs' files
#   source_start / source_stop / source_restart
#   source_psql DB SQL                  superuser over the socket, rows unaligned
#   source_psql_stdin DB                the same, SQL read from standard input
#   source_role ROLE PASSWORD [ATTR...] create (or alter) ROLE LOGIN with PASSWORD
#   source_pgbench SCALE                pgbench -i -s SCALE into the database postgres
#   source_timeline                     the timeline it writes WAL on (decimal)
#   source_bg VAR CMD...                run CMD as postgres in the background, PID in VAR
#   pgbench_fingerprint_sql             SQL: count and md5 of pgbench_accounts
#   make_secret NAME KEY VALUE          a Secret key file under $SECRETS
#   make_certs DIR [CLIENT_CN] [SAN]    CA, server and client certificates

# source_init NAME [INITDB-ARGS...]: initdb (as postgres, --no-sync, UTF8, C
# locale, scram-sha-256 over TCP) a source in $T/src-NAME with a new port, the
# socket in its own directory, listen_addresses 127.0.0.1, wal_level replica,
# max_wal_senders 10; not started. Makes it the current source.
source_init() {
	local name=$1 port
	shift
	SRC_NAME=$name
	SRC_DIR=$T/src-$name
	SRC_DATA=$SRC_DIR/data
	SRC_SOCK=$SRC_DIR/sock
	SRC_LOG=$SRC_DIR/postgres.log
	if [ -e "$SRC_DIR" ]; then
		fail "source_init: $SRC_DIR exists already"
		return 1
	fi
	alloc_port port || { fail "source_init: no free port"; return 1; }
	SRC_PORT=$port
	mkdir -p "$SRC_SOCK" && chmod 0700 "$SRC_DIR" "$SRC_SOCK" && echo "$SRC_PORT" >"$SRC_DIR/port"
	give_to_pg "$SRC_DIR" "$SRC_SOCK" "$SRC_DIR/port"
	as_pg timeout -k 5 120 "$PG_BIN/initdb" -D "$SRC_DATA" -U postgres --no-sync -E UTF8 --locale=C \
		--auth-local=trust --auth-host=scram-sha-256 "$@" >"$SRC_DIR/initdb.log" 2>&1 || {
		fail "source_init $name: initdb failed: $(tail -n 5 "$SRC_DIR/initdb.log" | tr '\n' ' ')"
		return 1
	}
	source_conf "listen_addresses = '127.0.0.1'" "port = $SRC_PORT" \
		"unix_socket_directories = '$SRC_SOCK'" "wal_level = replica" "max_wal_senders = 10" \
		"password_encryption = 'scram-sha-256'" "fsync = off" "log_min_messages = warning"
	# only the lines source_hba adds let anyone in over TCP
	printf '%s\n' 'local all all trust' 'local replication all trust' >"$SRC_DATA/pg_hba.conf"
}

# source_use NAME: make the source NAME (made by source_init in this test)
# current again.
source_use() {
	SRC_NAME=$1
	SRC_DIR=$T/src-$1
	SRC_DATA=$SRC_DIR/data
	SRC_SOCK=$SRC_DIR/sock
	SRC_LOG=$SRC_DIR/postgres.log
	SRC_PORT=$(cat "$SRC_DIR/port" 2>/dev/null) || { fail "source_use: no source $1"; return 1; }
}

# source_conf LINE...: append "name = value" lines to postgresql.conf (the
# last one of a name wins); takes effect at the next start or restart.
source_conf() {
	printf '%s\n' "$@" >>"$SRC_DATA/postgresql.conf"
}

# source_hba LINE...: append lines to pg_hba.conf (read at the next start;
# source_psql postgres 'SELECT pg_reload_conf()' for a running server).
source_hba() {
	printf '%s\n' "$@" >>"$SRC_DATA/pg_hba.conf"
}

# source_ssl CERTDIR: ssl = on with CERTDIR/server.crt, server.key and ca.crt
# (from make_certs; CERTDIR must be readable by postgres).
source_ssl() {
	source_conf "ssl = on" "ssl_cert_file = '$1/server.crt'" "ssl_key_file = '$1/server.key'" \
		"ssl_ca_file = '$1/ca.crt'"
}

# source_start: start the current source (pg_ctl -w, 60 s at most).
source_start() {
	as_pg timeout -k 5 90 "$PG_BIN/pg_ctl" -D "$SRC_DATA" -l "$SRC_LOG" -w -t 60 -s start \
		>"$SRC_DIR/pg_ctl.out" 2>&1 || {
		fail "source $SRC_NAME did not start: $(tail -n 5 "$SRC_DIR/pg_ctl.out" "$SRC_LOG" 2>/dev/null | tr '\n' ' ')"
		return 1
	}
}

# source_stop: fast shutdown of the current source (pg_ctl, 60 s), then
# SIGKILL of its postmaster (by the PID in postmaster.pid) if it is still up.
source_stop() {
	local pid
	[ -f "$SRC_DATA/postmaster.pid" ] || return 0
	pid=$(head -n 1 "$SRC_DATA/postmaster.pid" 2>/dev/null)
	as_pg timeout -k 5 70 "$PG_BIN/pg_ctl" -D "$SRC_DATA" -m fast -w -t 60 -s stop >/dev/null 2>&1 && return 0
	case $pid in '' | *[!0-9]*) return 0 ;; esac
	procs_under "$SRC_DIR" | grep -qx "$pid" && stop_pid "$pid" QUIT
	return 0
}

# source_restart: stop and start the current source (after source_conf).
source_restart() {
	source_stop && source_start
}

# source_psql DB SQL: as the superuser over the source's socket; rows
# unaligned, tuples only; stops at the first error.
source_psql() {
	as_pg timeout -k 5 "$IT_TIMEOUT_SQL" "$PG_BIN/psql" -w -h "$SRC_SOCK" -p "$SRC_PORT" -U postgres \
		-d "$1" -XAtq -v ON_ERROR_STOP=1 -c "$2"
}

# source_psql_stdin DB: as source_psql, the SQL read from standard input (for
# statements that carry a password: never on a command line).
source_psql_stdin() {
	as_pg timeout -k 5 "$IT_TIMEOUT_SQL" "$PG_BIN/psql" -w -h "$SRC_SOCK" -p "$SRC_PORT" -U postgres \
		-d "$1" -XAtq -v ON_ERROR_STOP=1 -f -
}

# source_role ROLE PASSWORD [ATTR...]: create ROLE (or alter it when it
# exists) with LOGIN, the ATTRs (REPLICATION, CREATEDB, ...) and PASSWORD
# (SCRAM-hashed by the server; sent on stdin). An empty PASSWORD means
# PASSWORD NULL.
source_role() {
	local role=$1 pw=$2 pwsql
	shift 2
	if [ -n "$pw" ]; then
		pwsql="'${pw//\'/\'\'}'"
	else
		pwsql=NULL
	fi
	source_psql_stdin postgres >"$SRC_DIR/role.out" 2>&1 <<EOF || {
SELECT format('%s ROLE %I', CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role')
	THEN 'ALTER' ELSE 'CREATE' END, '$role') AS stmt \gset
:stmt LOGIN $* PASSWORD $pwsql;
EOF
		fail "source_role $role failed: $(head -c 300 "$SRC_DIR/role.out")"
		return 1
	}
}

# source_pgbench SCALE: pgbench -i -s SCALE (quiet, no vacuum) into the
# database postgres of the current source.
source_pgbench() {
	local bin=$PG_BIN/pgbench
	[ -x "$bin" ] || bin=pgbench
	as_pg timeout -k 5 300 "$bin" -i -q -n -s "$1" -h "$SRC_SOCK" -p "$SRC_PORT" -U postgres postgres \
		>"$SRC_DIR/pgbench.log" 2>&1 || {
		fail "pgbench -i -s $1 failed: $(tail -n 3 "$SRC_DIR/pgbench.log" | tr '\n' ' ')"
		return 1
	}
}

# source_timeline: the timeline the current source writes WAL on, in decimal.
source_timeline() {
	local hex
	hex=$(source_psql postgres "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)") || return 1
	echo $((16#$hex))
}

# source_bg VAR CMD...: run CMD as the postgres OS user in the background
# (exec'd by setpriv, so the PID is CMD's own), stdout/stderr appended to
# $SRC_DIR/bg.log; its PID goes into VAR and into $T/.pids, so cleanup_test
# stops it.
source_bg() {
	local _sb_var=$1 _sb_pid
	shift
	if [ "$IS_ROOT" = 1 ]; then
		(cd / && exec setpriv --reuid=postgres --regid=postgres --init-groups "$@") \
			</dev/null >>"$SRC_DIR/bg.log" 2>&1 &
	else
		(cd / && exec "$@") </dev/null >>"$SRC_DIR/bg.log" 2>&1 &
	fi
	_sb_pid=$!
	echo "$_sb_pid" >>"$T/.pids"
	printf -v "$_sb_var" '%s' "$_sb_pid"
}

# pgbench_fingerprint_sql: SQL printing "count|md5" of pgbench_accounts, the
# same on every copy of the same data.
# shellcheck disable=SC2034 # used by the test files
pgbench_fingerprint_sql="SELECT count(*) || '|' || md5(string_agg(aid || ':' || abalance, ',' ORDER BY aid)) FROM pgbench_accounts"

# make_secret NAME KEY VALUE: the file $SECRETS/NAME/KEY holding VALUE (no
# newline), 0644 like a mounted Secret (a key file: chmod it yourself).
make_secret() {
	mkdir -p "$SECRETS/$1"
	chmod 0755 "$SECRETS/$1"
	printf '%s' "$3" >"$SECRETS/$1/$2"
	chmod 0644 "$SECRETS/$1/$2"
}

# make_certs DIR [CLIENT_CN] [SAN]: with openssl, into DIR (created):
#   ca.crt, ca.key          a self-signed CA
#   server.crt, server.key  CN=localhost, subjectAltName SAN (default
#                           IP:127.0.0.1,DNS:localhost)
#   client.crt, client.key  CN=CLIENT_CN (default streaming_replica), for cert auth
# EC P-256 keys, 2 days. Keys are 0600; DIR and everything in it belong to
# postgres (when root), so a server can use server.key directly.
make_certs() {
	local d=$1 cn=${2:-streaming_replica} san=${3:-IP:127.0.0.1,DNS:localhost} log
	mkdir -p "$d" || return 1
	log=$d/openssl.log
	(
		set -e
		cd "$d"
		umask 077
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout ca.key -out ca.crt -days 2 -subj "/CN=pgpod-it-ca" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
		printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" "subjectAltName=$san" >server.ext
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout server.key -out server.csr -subj "/CN=localhost"
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial 0x1001 -days 2 \
			-extfile server.ext -out server.crt
		printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=clientAuth" >client.ext
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout client.key -out client.csr -subj "/CN=$cn"
		openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -set_serial 0x1002 -days 2 \
			-extfile client.ext -out client.crt
		rm -f server.csr client.csr
		chmod 0600 ca.key server.key client.key
		chmod 0644 ca.crt server.crt client.crt
	) >"$log" 2>&1 || {
		fail "make_certs $d: openssl failed: $(tail -n 5 "$log" | tr '\n' ' ')"
		return 1
	}
	chmod 0755 "$d"
	[ "$IS_ROOT" = 1 ] && chown -R postgres: "$d"
	return 0
}
