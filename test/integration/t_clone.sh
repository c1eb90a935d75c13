#!/usr/bin/env bash
# pgpod clone (and pgpod run on an empty PGDATA with bootstrap.pg_basebackup):
# copies of a live source server with password and TLS client-certificate
# authentication, in both the CloudNativePG and the chart dialect; the copy
# holds the source's rows and runs on a new timeline; no password leaks into
# process lists, environments or logs; the four application-database rules;
# every pre-check refuses with one clear message and writes nothing; an
# interrupted copy is moved aside and the next run clones cleanly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/source.sh"

# ------------------------------------------------------------------ helpers

# The spec that clone_spec writes (see there); clone_defaults resets it.
clone_defaults() {
	C_NAME=target       # the cluster (its replication Secret is C_NAME-replication)
	C_EXT=src           # the externalClusters entry
	C_HOST=127.0.0.1
	C_PORT=${SRC_PORT:-5432}
	C_USER=streaming_replica
	C_SSLMODE=disable
	C_PW_SECRET=src-replica-user # key password; empty: no password
	C_TLS_SECRET=       # keys tls.key and tls.crt; empty: no client certificate
	C_CA_SECRET=        # key ca.crt
	C_DB=app
	C_OWNER=app
	C_APP_SECRET=app-secret # empty: no secret
	C_SU_SECRET=        # superuserSecret; empty: none
}

# clone_spec FILE cnpg|chart: a pg_basebackup spec from the C_* variables, in
# the CloudNativePG Cluster or the cnpg-database chart values dialect.
clone_spec() {
	local file=$1 dialect=$2 ind=''
	{
		if [ "$dialect" = cnpg ]; then
			printf '%s\n' 'apiVersion: postgresql.cnpg.io/v1' 'kind: Cluster' 'metadata:' \
				"  name: $C_NAME" 'spec:'
			ind='  '
		else
			echo "name: $C_NAME"
		fi
		{
			echo 'instances: 1'
			if [ "$dialect" = cnpg ]; then echo 'bootstrap:'; else echo 'bootstrapDB:'; fi
			echo '  pg_basebackup:'
			echo "    source: $C_EXT"
			[ -n "$C_DB" ] && echo "    database: $C_DB"
			[ -n "$C_OWNER" ] && echo "    owner: $C_OWNER"
			[ -n "$C_APP_SECRET" ] && printf '    secret:\n      name: %s\n' "$C_APP_SECRET"
			[ -n "$C_SU_SECRET" ] && printf 'superuserSecret:\n  name: %s\n' "$C_SU_SECRET"
			echo 'externalClusters:'
			echo "  - name: $C_EXT"
			echo '    connectionParameters:'
			echo "      host: $C_HOST"
			echo "      port: \"$C_PORT\""
			echo "      user: $C_USER"
			echo "      sslmode: $C_SSLMODE"
			echo '      dbname: postgres'
			[ -n "$C_PW_SECRET" ] && printf '    password:\n      name: %s\n      key: password\n' "$C_PW_SECRET"
			if [ -n "$C_TLS_SECRET" ]; then
				printf '    sslKey:\n      name: %s\n      key: tls.key\n' "$C_TLS_SECRET"
				printf '    sslCert:\n      name: %s\n      key: tls.crt\n' "$C_TLS_SECRET"
			fi
			[ -n "$C_CA_SECRET" ] && printf '    sslRootCert:\n      name: %s\n      key: ca.crt\n' "$C_CA_SECRET"
		} | sed "s/^/$ind/"
	} >"$file"
	SPEC=$file
}

# repl_password: a password for streaming_replica with ':' and '\' in it,
# which the pgpass file must escape.
repl_password() {
	printf '%s:x\\y' "$(new_password)"
}

# password_source NAME [SCALE]: a started source with streaming_replica
# (REPLICATION, password REPL_PW, also in the Secret src-replica-user),
# replication and SQL over TCP with scram-sha-256, and pgbench data of SCALE
# (none when 0 or missing). C_* reset to clone from it.
password_source() {
	source_init "$1" || return 1
	source_hba 'host replication streaming_replica 127.0.0.1/32 scram-sha-256' \
		'host all all 127.0.0.1/32 scram-sha-256'
	source_start || return 1
	REPL_PW=$(repl_password)
	source_role streaming_replica "$REPL_PW" REPLICATION || return 1
	make_secret src-replica-user password "$REPL_PW"
	if [ "${2:-0}" != 0 ]; then
		source_pgbench "$2" || return 1
	fi
	clone_defaults
}

# use_target N: the Nth copy of this test gets its own PGDATA, run directory
# and ports (the first one those of run_one; back to it, the ports stay).
use_target() {
	if [ "$1" = 1 ]; then
		PGDATA=$T/data/pgdata
		RUN=$T/run
	else
		PGDATA=$T/data$1/pgdata
		RUN=$T/run$1
		alloc_port PORT || return 1
		alloc_port HTTP_PORT || return 1
	fi
	SOCK=$RUN
}

# clone_ok DESC: `pgpod clone` exits 0, leaves a completed pg_basebackup
# bootstrap, says it is on a new timeline and logs no error.
clone_ok() {
	local rc
	pgpod_cmd clone
	rc=$?
	expect_rc "$1" 0 "$rc" || return 1
	expect_bootstrapped "$PGDATA"
	expect_eq "$1: method in the completion marker" pg_basebackup \
		"$(jq -r .method "$PGDATA/pgpod-bootstrap.json" 2>&1)"
	expect_grep "$1: log of the new timeline" "the copy is an independent primary on timeline" "$LAST_OUT"
	expect_no_errors "$LAST_OUT"
	expect_log_lines_json "$LAST_OUT"
	[ -d "$PGDATA/.pgpod-copy" ] && fail "$1: the staging directory .pgpod-copy is still in PGDATA"
	expect_no_postgres_under "$(dirname "$PGDATA")"
}

# target_timeline: the timeline the running target (psql_su) writes WAL on.
target_timeline() {
	local hex
	hex=$(psql_su postgres "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)") || return 1
	echo $((16#$hex))
}

# expect_same_data_new_timeline DESC SOURCE-FINGERPRINT SOURCE-TIMELINE: the
# running target (psql_su) holds the same pgbench_accounts (1 000 000 rows at
# scale 10) and writes WAL on a later timeline, as a primary.
expect_same_data_new_timeline() {
	local tl
	case $2 in 1000000\|*) ;; *) fail "$1: the source's pgbench_accounts: [$2], not 1000000 rows" ;; esac
	expect_eq "$1: count|md5 of pgbench_accounts" "$2" "$(psql_su postgres "$pgbench_fingerprint_sql" 2>&1)"
	tl=$(target_timeline 2>&1)
	case $tl in
	'' | *[!0-9]*) fail "$1: no timeline from the target: $tl" ;;
	*) [ "$tl" -gt "$3" ] || fail "$1: the copy writes WAL on timeline $tl, the source on $3: not a new timeline" ;;
	esac
	expect_eq "$1: not in recovery" f "$(psql_su postgres "SELECT pg_is_in_recovery()" 2>&1)"
}

# expect_login DESC ROLE PASSWORD DB: ROLE logs in to the running target
# over TCP with PASSWORD; expect_no_login: it does not.
expect_login() {
	expect_eq "$1" "$2" "$(psql_tcp "$2" "$3" "$4" "SELECT current_user" 2>&1)"
}
expect_no_login() {
	psql_tcp "$2" "$3" "$4" "SELECT 1" >/dev/null 2>&1 && fail "$1"
	return 0
}

# expect_no_secret_in_procs DESC PID...: none of the SECRET_WORDS in the
# command line or environment of these processes.
expect_no_secret_in_procs() {
	local desc=$1 pid what w
	shift
	for pid in "$@"; do
		for what in cmdline environ; do
			[ -r "/proc/$pid/$what" ] || continue
			for w in "${SECRET_WORDS[@]}"; do
				if tr '\0' '\n' <"/proc/$pid/$what" 2>/dev/null | grep -qF -- "$w"; then
					fail "$desc: a secret is in /proc/$pid/$what ($(cat "/proc/$pid/comm" 2>/dev/null))"
				fi
			done
		done
	done
}

# sample_procs_during_copy OUTFILE: until the copy is over (the log of the
# new timeline in OUTFILE, or pgpod $CLONE_PID gone; 120 s at most), sample
# the command line and environment of every process (/proc/*/cmdline and
# /proc/*/environ every 10 ms, `ps axeww` every 10th time) and fail on any of
# SECRET_WORDS (given to the sampler on its standard input, not its command
# line). PGB_SAMPLES counts the samples that saw pg_basebackup running,
# PGB_ARGS keeps its command line.
sample_procs_during_copy() {
	local out=$1 res
	res=$(printf '%s\n' "${SECRET_WORDS[@]}" | timeout -k 5 130 python3 -c '
import os, subprocess, sys, time
out, pid = sys.argv[1], int(sys.argv[2])
secrets = [l.rstrip("\n").encode() for l in sys.stdin if l.strip()]
samples = pgb = 0
pgb_args = ""
leaks = []
def leak(where, text):
    for s in secrets:
        if s in text:
            leaks.append(where)
            return
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    samples += 1
    seen = False
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{p}/{what}", "rb") as f:
                    text = f.read()
            except OSError:
                continue
            leak(f"/proc/{p}/{what}", text)
            if what == "cmdline" and b"pg_basebackup\0--pgdata" in text:
                seen = True
                pgb_args = pgb_args or text.replace(b"\0", b" ").decode(errors="replace")
    if samples % 10 == 0:
        ps = subprocess.run(["ps", "axeww", "-o", "pid=,args="], capture_output=True).stdout
        for line in ps.splitlines():
            leak("ps: pid " + line.split()[0].decode(), line)
    pgb += seen
    if leaks:
        break
    try:
        with open(out, "rb") as f:
            if b"the copy is an independent primary" in f.read():
                break
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
    except OSError:
        break
    time.sleep(0.01)
print(samples, pgb, " ".join(leaks[:3]) or "-")
print(pgb_args)
' "$out" "$CLONE_PID")
	PGB_SAMPLES=$(sed -n '1s/^[0-9]* \([0-9]*\) .*/\1/p' <<<"$res")
	PGB_ARGS=$(sed -n 2p <<<"$res")
	case $(sed -n '1s/^[0-9]* [0-9]* //p' <<<"$res") in
	-) ;;
	'') fail "the process sampler failed: $res" ;;
	*) fail "a secret is in the process list while the copy runs: $(sed -n '1s/^[0-9]* [0-9]* //p' <<<"$res")" ;;
	esac
	PGB_SAMPLES=${PGB_SAMPLES:-0}
}

# expect_private_file DESC FILE MODE: a file of the postgres OS user (when
# root) with that mode.
expect_private_file() {
	local got
	got=$(stat -c '%a %U' "$2" 2>/dev/null) || { fail "$1: $2 is missing"; return 1; }
	if [ $IS_ROOT = 1 ]; then
		expect_eq "$1: mode and owner of ${2#"$T"/}" "$3 postgres" "$got"
	else
		expect_eq "$1: mode of ${2#"$T"/}" "$3" "${got%% *}"
	fi
}

# stop_target_run: SIGTERM to pgpod run ($RUN_PID): exit 0, the copy shut
# down cleanly and none of its postgres left (the source keeps running).
stop_target_run() {
	local rc
	LAST_OUT=$RUN_OUT
	LAST_ERR=$RUN_ERR
	kill -TERM "$RUN_PID"
	wait_exit "$RUN_PID" "$IT_TIMEOUT_STOP" rc
	expect_rc "pgpod run after SIGTERM" 0 "$rc"
	expect_eq "pg_controldata state of the copy after SIGTERM" "shut down" "$(cluster_state "$PGDATA")"
	expect_no_postgres_under "$(dirname "$PGDATA")"
}

# pgpod_clone_bg: `pgpod clone` in the background, its PID in CLONE_PID
# (and $T/.pids), its standard output in CLONE_OUT (and LAST_OUT).
pgpod_clone_bg() {
	local keep_pid=${RUN_PID:-} keep_out=${RUN_OUT:-} keep_err=${RUN_ERR:-}
	pgpod_bg clone "$@"
	CLONE_PID=$RUN_PID
	CLONE_OUT=$RUN_OUT
	RUN_PID=$keep_pid
	RUN_OUT=$keep_out
	RUN_ERR=$keep_err
}

# ------------------------------------------------------- copies, passwords

test_clone_with_password_by_pgpod_run_cnpg() {
	local APP_PW SU_PW COPY_REPL_PW src_fp src_tl i pf expected_line
	password_source main 10 || return
	src_fp=$(source_psql postgres "$pgbench_fingerprint_sql")
	src_tl=$(source_timeline)
	make_basic_auth app-secret app APP_PW
	# the copy's own superuser and streaming_replica passwords
	make_basic_auth su-secret postgres SU_PW
	C_SU_SECRET=su-secret
	COPY_REPL_PW=$(new_password)
	make_secret target-replication password "$COPY_REPL_PW"
	clone_spec "$T/cluster.yaml" cnpg
	SECRET_WORDS=("$REPL_PW" "$APP_PW" "$SU_PW" "$COPY_REPL_PW")
	# pgpod run on an empty PGDATA clones, then supervises
	pgpod_run_bg
	CLONE_PID=$RUN_PID
	sample_procs_during_copy "$RUN_OUT"
	[ "$PGB_SAMPLES" -gt 0 ] || fail "no sample saw pg_basebackup running: the process list was not checked during the copy$(LAST_OUT=$RUN_OUT last_output_tail)"
	case $PGB_ARGS in
	'' | *passfile=*) ;;
	*) fail "pg_basebackup's connection string names no passfile: $PGB_ARGS" ;;
	esac
	expect_served "$APP_PW" || return
	wait_code /readyz 200 20 || fail "/readyz is not 200 after the clone"
	expect_same_data_new_timeline "the copy (password)" "$src_fp" "$src_tl"
	expect_eq "app owns its database" app "$(psql_su postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'" 2>&1)"
	expect_eq "streaming_replica on the copy (REPLICATION LOGIN)" "true true" \
		"$(psql_su postgres "SELECT rolreplication::text || ' ' || rolcanlogin::text FROM pg_roles WHERE rolname = 'streaming_replica'" 2>&1)"
	# (before the failed logins below, which postgres logs as errors)
	expect_no_errors "$RUN_OUT"
	expect_login "the superuser logs in with superuserSecret's password" postgres "$SU_PW" postgres
	expect_login "streaming_replica logs in to the copy with the password of target-replication" \
		streaming_replica "$COPY_REPL_PW" postgres
	expect_no_login "streaming_replica logs in to the copy with the source's password" \
		streaming_replica "$REPL_PW" postgres
	expect_eq "/pg/status bootstrap method" '"pg_basebackup"' \
		"$(http_get /pg/status | jq -c .bootstrap.method 2>&1)"
	# the password file for the source: 0700 directory, 0600 file, ':' and '\' escaped
	pf=$RUN/external/src/pgpass
	expect_private_file "pgpass" "$pf" 600
	expect_private_file "pgpass directory" "$RUN/external/src" 700
	expected_line="*:*:*:*:$(printf '%s' "$REPL_PW" | sed 's/[:\\]/\\&/g')"
	expect_eq "the pgpass line (':' and '\\' escaped)" "$expected_line" "$(cat "$pf" 2>&1)"
	# long-lived processes: pgpod and every postgres (source and copy)
	# shellcheck disable=SC2046 # one PID per word
	expect_no_secret_in_procs "after the clone" "$RUN_PID" $(procs_under "$T")
	for i in "${SECRET_WORDS[@]}"; do
		expect_no_grep "a password in pgpod's output" "$i" "$T"/out.* "$T"/err.*
		expect_no_grep "a password in the files of PGDATA" "$i" "$PGDATA"/*.conf "$PGDATA"/postmaster.opts \
			"$PGDATA"/pgpod-bootstrap.json
	done
	expect_log_lines_json "$RUN_OUT"
	expect_copy_progress "$RUN_OUT"
	stop_target_run
}

# expect_copy_progress FILE: pg_basebackup's progress reached the log as
# pgpod's lines - percentages and sizes at most once a second - and a
# summary with the size and the rate.
expect_copy_progress() {
	python3 - "$1" <<'PY' || fail "the copy's progress lines are wrong (see above)"
import json, re, sys
from datetime import datetime
prog, summary = [], None
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    m = d.get("msg", "")
    if re.fullmatch(r'copying from "src": \d{1,2}% \(\d+\.\d MB of \d+\.\d MB, \d+\.\d MB/s\)', m):
        prog.append(datetime.strptime(d["ts"], "%Y-%m-%dT%H:%M:%S.%fZ"))
    elif re.fullmatch(r'copied \d+\.\d MB from "src" in \d+\.\d s \(\d+\.\d MB/s\)', m):
        summary = m
    elif m.startswith("copying from") or re.match(r"\s*\d+/\d+ kB", m):
        print("    unexpected progress line: " + m); sys.exit(1)
if summary is None:
    print("    no summary line 'copied N MB from \"src\" in T s (R MB/s)'"); sys.exit(1)
gaps = [(b - a).total_seconds() for a, b in zip(prog, prog[1:])]
if any(g < 0.95 for g in gaps):
    print("    progress lines closer than a second: %s" % gaps); sys.exit(1)
print("    %d progress line(s); %s" % (len(prog), summary))
PY
}

# ------------------------------------------------------------- copies, TLS

test_clone_with_tls_client_cert_chart() {
	local src_fp src_tl tl_ctl APP_PW certs=$T/certs f key_body
	make_certs "$certs" || return
	source_init tls || return
	source_ssl "$certs"
	# certificates only: no password line for streaming_replica at all
	source_hba 'hostssl replication streaming_replica 127.0.0.1/32 cert' \
		'hostssl all streaming_replica 127.0.0.1/32 cert'
	source_start || return
	source_psql postgres "CREATE ROLE streaming_replica LOGIN REPLICATION" >/dev/null || fail "CREATE ROLE streaming_replica"
	source_pgbench 10 || return
	src_fp=$(source_psql postgres "$pgbench_fingerprint_sql")
	src_tl=$(source_timeline)
	# ALTER SYSTEM settings are copied, except those pgpod manages for
	# standbys; a source bootstrapped by pgpod has its own marker
	printf '%s\n' "ALTER SYSTEM SET work_mem = '7MB';" \
		"ALTER SYSTEM SET primary_conninfo = 'host=nowhere.invalid';" \
		"ALTER SYSTEM SET recovery_min_apply_delay = '1h';" | source_psql_stdin postgres >/dev/null ||
		fail "ALTER SYSTEM on the source"
	printf '{"method":"initdb","finishedAt":"2020-01-01T00:00:00Z","durationSeconds":1}\n' >"$SRC_DATA/pgpod-bootstrap.json"
	give_to_pg "$SRC_DATA/pgpod-bootstrap.json"
	# the Secrets a CloudNativePG source would have: its replication
	# certificate and its CA (key files 0600, as mounted)
	make_secret src-replication tls.crt "$(cat "$certs/client.crt")"
	make_secret src-replication tls.key "$(cat "$certs/client.key")"
	chmod 0600 "$SECRETS/src-replication/tls.key"
	make_secret src-ca ca.crt "$(cat "$certs/ca.crt")"
	make_basic_auth app-secret app APP_PW
	clone_defaults
	C_PW_SECRET=
	C_SSLMODE=verify-full
	C_TLS_SECRET=src-replication
	C_CA_SECRET=src-ca
	# verify-full checks the server against the CA of the Secret: another
	# CA is refused before anything is copied
	make_certs "$T/other-ca" || return
	make_secret other-ca ca.crt "$(cat "$T/other-ca/ca.crt")"
	C_CA_SECRET=other-ca
	use_target 2
	precheck_spec
	expect_precheck_refused "a source certificate of another CA" \
		'authentication to the source "src" as "streaming_replica" failed (TLS client certificate authentication)'
	use_target 1
	C_CA_SECRET=src-ca
	clone_spec "$T/values.yaml" chart
	clone_ok "pgpod clone (TLS, chart values)" || return
	expect_grep "TLS authentication logged" "TLS client certificate" "$LAST_OUT"
	for f in tls.key tls.crt ca.crt; do
		expect_private_file "TLS file for the source" "$RUN/external/src/$f" 600
	done
	[ -e "$RUN/external/src/pgpass" ] && fail "a pgpass file was written for a certificate-only source"
	check "tls.key is the Secret's key" cmp -s "$RUN/external/src/tls.key" "$SECRETS/src-replication/tls.key"
	check "ca.crt is the Secret's CA" cmp -s "$RUN/external/src/ca.crt" "$SECRETS/src-ca/ca.crt"
	# (the source's pg_hba.conf lets streaming_replica in with a certificate
	# only: the copy authenticated with it)
	key_body=$(sed -n 2p "$certs/client.key")
	expect_no_grep "the private key in pgpod's output" "$key_body" "$T"/out.* "$T"/err.*
	[ -n "$key_body" ] || fail "no line 2 in client.key"
	tl_ctl=$(controldata_field "$PGDATA" "Latest checkpoint's TimeLineID")
	[ "${tl_ctl:-0}" -gt "$src_tl" ] 2>/dev/null ||
		fail "pg_controldata of the copy: timeline [$tl_ctl], the source's $src_tl"
	pg_start "$PGDATA" || return
	expect_same_data_new_timeline "the copy (TLS)" "$src_fp" "$src_tl"
	expect_eq "ALTER SYSTEM work_mem of the source kept" 7MB "$(psql_su postgres "SHOW work_mem" 2>&1)"
	expect_eq "the source's primary_conninfo dropped" "" "$(psql_su postgres "SHOW primary_conninfo" 2>&1)"
	expect_eq "the source's recovery_min_apply_delay dropped" 0 "$(psql_su postgres "SHOW recovery_min_apply_delay" 2>&1)"
	expect_eq "app logs in with the Secret's password" app "$(psql_app_tcp "$APP_PW" "SELECT current_user" 2>&1)"
	pg_stop "$PGDATA"
}

# --------------------------------------------------------------- dialects

test_spec_check_cnpg_and_chart_give_one_model() {
	local a b
	make_secret src-replica-user password "$(repl_password)"
	make_secret src-replication tls.crt 'not checked by spec check'
	make_secret src-replication tls.key 'not checked by spec check'
	make_secret src-ca ca.crt 'not checked by spec check'
	make_basic_auth app-secret app a
	for f in clone-cnpg.yaml clone-chart.yaml; do
		use_spec "$f"
		pgpod_spec_check
		expect_rc "pgpod spec check $f" 0 $? || return
		cp "$LAST_OUT" "$T/$f.json"
		expect_eq "$f: method" pg_basebackup "$(jq -r .bootstrap.method "$T/$f.json" 2>&1)"
	done
	expect_eq "cnpg dialect" cloudnative-pg "$(jq -r .dialect "$T/clone-cnpg.yaml.json")"
	expect_eq "chart dialect" cnpg-database-chart "$(jq -r .dialect "$T/clone-chart.yaml.json")"
	a=$(jq -S 'del(.dialect, .source)' "$T/clone-cnpg.yaml.json")
	b=$(jq -S 'del(.dialect, .source)' "$T/clone-chart.yaml.json")
	[ "$a" = "$b" ] || fail "the two dialects give different models: $(diff <(echo "$a") <(echo "$b") | head -n 20 | tr '\n' ' ')"
	expect_eq "bootstrap model" \
		'{"clone":{"source":"production-db"},"database":"app","method":"pg_basebackup","owner":"app","secret":"app-secret"}' \
		"$(jq -cS '.bootstrap | del(.initdb)' "$T/clone-cnpg.yaml.json")"
	expect_eq "externalClusters model" \
		'[{"connectionParameters":{"dbname":"postgres","host":"production-db-rw","port":"5432","sslmode":"verify-full","user":"streaming_replica"},"name":"production-db","password":{"key":"password","name":"src-replica-user"},"sslCert":{"key":"tls.crt","name":"src-replication"},"sslKey":{"key":"tls.key","name":"src-replication"},"sslRootCert":{"key":"ca.crt","name":"src-ca"}}]' \
		"$(jq -cS '[.externalClusters[] | del(.objectStore)]' "$T/clone-cnpg.yaml.json")"
}

# ------------------------------------------- application-database rules

# small_source NAME SQL: a started password source (password_source, no
# pgbench data) on which SQL (run as the superuser) made the roles and
# databases of the case.
small_source() {
	password_source "$1" || return 1
	[ -z "$2" ] || printf '%s\n' "$2" | source_psql_stdin postgres >/dev/null || { fail "source setup: $2"; return 1; }
}

# db_owner DB: the owner of DB on the running target (empty: no such DB).
db_owner() {
	psql_su postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$1'"
}

test_rule1_missing_database_is_created_for_the_owner() {
	local APP_PW
	# the owner exists on the source, the database does not
	small_source rule1 "CREATE ROLE app LOGIN; CREATE DATABASE other" || return
	make_basic_auth app-secret app APP_PW
	clone_spec "$T/cluster.yaml" cnpg
	clone_ok "pgpod clone" || return
	expect_grep "rule 1 logged" 'database \"app\" does not exist: creating it, owned by \"app\"' "$LAST_OUT"
	expect_eq "the source has no database app (it is not touched)" "" \
		"$(source_psql postgres "SELECT datname FROM pg_database WHERE datname = 'app'" 2>&1)"
	pg_start "$PGDATA" || return
	expect_eq "owner of the created database app" app "$(db_owner app 2>&1)"
	expect_eq "the source's database other is in the copy" postgres "$(db_owner other 2>&1)"
	expect_login "app connects to its new database" app "$APP_PW" app
	pg_stop "$PGDATA"
}

test_rule2_missing_owner_is_created_and_logs_in() {
	local APP_PW OTHER_PW gen
	# neither the owner nor the database exists on the source
	small_source rule2 "" || return
	make_basic_auth app-secret app APP_PW
	clone_spec "$T/cluster.yaml" cnpg
	clone_ok "pgpod clone (Secret username = owner)" || return
	expect_grep "rule 2 logged" 'role \"app\" does not exist: creating it (LOGIN)' "$LAST_OUT"
	[ -e "$RUN/passwords/app" ] && fail "a password was generated although the Secret's username is the owner"
	pg_start "$PGDATA" || return
	expect_eq "the created role app: LOGIN, not superuser, no REPLICATION" "true false false" \
		"$(psql_su postgres "SELECT rolcanlogin::text || ' ' || rolsuper::text || ' ' || rolreplication::text FROM pg_roles WHERE rolname = 'app'" 2>&1)"
	expect_login "app logs in over TCP with the Secret's password" app "$APP_PW" app
	expect_no_login "app logged in with a wrong password" app "x$APP_PW" app
	expect_eq "owner of database app" app "$(db_owner app 2>&1)"
	pg_stop "$PGDATA"

	# a Secret with another username: the new role gets a generated
	# password, saved 0600 in the run directory; the Secret's does not work
	use_target 2
	make_basic_auth other-secret someone OTHER_PW
	C_APP_SECRET=other-secret
	clone_spec "$T/cluster2.yaml" cnpg
	clone_ok "pgpod clone (Secret username != owner)" || return
	expect_private_file "generated password of app" "$RUN/passwords/app" 600
	gen=$(cat "$RUN/passwords/app" 2>/dev/null)
	[ -n "$gen" ] || { fail "no generated password in $RUN/passwords/app"; return; }
	expect_no_grep "the generated password in pgpod's output" "$gen" "$LAST_OUT" "$LAST_ERR"
	pg_start "$PGDATA" || return
	expect_login "app logs in with the generated password" app "$gen" app
	expect_no_login "app logged in with the password of a Secret for another user" app "$OTHER_PW" app
	pg_stop "$PGDATA"
}

test_rule3_database_of_another_owner_is_given_to_the_owner() {
	local APP_PW
	small_source rule3 "CREATE ROLE someone LOGIN; CREATE ROLE app LOGIN; CREATE DATABASE app OWNER someone" || return
	source_psql app "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)" >/dev/null || fail "source table"
	make_basic_auth app-secret app APP_PW
	clone_spec "$T/cluster.yaml" cnpg
	clone_ok "pgpod clone" || return
	expect_grep "rule 3 logged" 'database \"app\" is owned by \"someone\": giving it to \"app\"' "$LAST_OUT"
	pg_start "$PGDATA" || return
	expect_eq "owner of database app after the clone" app "$(db_owner app 2>&1)"
	expect_eq "the data of database app is kept" 7 "$(psql_su app "SELECT x FROM kept" 2>&1)"
	expect_eq "the source's database app is still someone's" someone \
		"$(source_psql postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'" 2>&1)"
	pg_stop "$PGDATA"
}

test_rule4_password_set_only_when_secret_username_is_owner() {
	local OLD_PW APP_PW OTHER_PW w
	OLD_PW=$(new_password)
	small_source rule4 "" || return
	source_role app "$OLD_PW" || return
	source_psql postgres "CREATE DATABASE app OWNER app" >/dev/null || fail "CREATE DATABASE app"
	# Secret username = owner: the new password replaces the old one
	make_basic_auth app-secret app APP_PW
	clone_spec "$T/cluster.yaml" cnpg
	clone_ok "pgpod clone (Secret username = owner)" || return
	expect_grep "rule 4 logged" 'role \"app\" exists: setting its password from Secret \"app-secret\"' "$LAST_OUT"
	pg_start "$PGDATA" || return
	expect_login "app logs in with the Secret's new password" app "$APP_PW" app
	expect_no_login "app still logs in with its old password" app "$OLD_PW" app
	expect_eq "the new password is stored as SCRAM" t \
		"$(psql_su postgres "SELECT rolpassword LIKE 'SCRAM-SHA-256\$%' FROM pg_authid WHERE rolname = 'app'" 2>&1)"
	pg_stop "$PGDATA"
	for w in "$APP_PW" "$OLD_PW"; do
		expect_no_grep "a password in pgpod's output" "$w" "$T"/out.* "$T"/err.*
	done

	# Secret of another username: the old password stays, with a warning
	use_target 2
	make_basic_auth other-secret someone OTHER_PW
	C_APP_SECRET=other-secret
	clone_spec "$T/cluster2.yaml" cnpg
	pgpod_cmd clone
	expect_rc "pgpod clone (Secret username != owner)" 0 $? || return
	expect_bootstrapped "$PGDATA"
	log_msgs warn "$LAST_OUT" | grep -qF 'role "app" exists and Secret "other-secret" has username "someone", not the owner' ||
		fail "no warning that the Secret's username is not the owner$(last_output_tail)"
	[ -e "$RUN/passwords/app" ] && fail "a password was generated for the existing role app"
	pg_start "$PGDATA" || return
	expect_login "app logs in with its old password" app "$OLD_PW" app
	expect_no_login "app logs in with the password of a Secret for another user" app "$OTHER_PW" app
	pg_stop "$PGDATA"
	expect_no_grep "a password in pgpod's output" "$OTHER_PW" "$T"/out.* "$T"/err.*
}

# -------------------------------------------------------------- pre-checks

# expect_precheck_refused DESC NEEDLE: `pgpod clone` into an empty PGDATA
# (an empty volume, as Kubernetes mounts it) fails with exactly one error
# line holding NEEDLE, before any copy: PGDATA stays empty, nothing is
# moved aside, no postgres runs for it.
expect_precheck_refused() {
	local desc=$1 needle=$2 rc n left
	mkdir -p "$PGDATA"
	give_to_pg "$(dirname "$PGDATA")" "$PGDATA"
	pgpod_cmd clone
	rc=$?
	[ "$rc" != 0 ] || fail "$desc: pgpod clone exited 0"
	n=$(log_msgs error "$LAST_OUT" | grep -cF -- "$needle")
	[ "$n" = 1 ] || fail "$desc: $n error lines hold [$needle], expected one$(last_output_tail)"
	left=$(ls -A "$PGDATA" 2>&1)
	[ -z "$left" ] || fail "$desc: PGDATA is not empty after a refused clone: $left"
	left=$(ls -d "$PGDATA".failed-* 2>/dev/null)
	[ -z "$left" ] || fail "$desc: a refused clone moved something aside: $left"
	grep -qF 'with pg_basebackup into' "$LAST_OUT" && fail "$desc: pg_basebackup was started"
	expect_log_lines_json "$LAST_OUT"
	expect_no_postgres_under "$(dirname "$PGDATA")"
}

# precheck_spec: the spec of the C_* variables, with no application Secret
# (the owner would get a generated password: the clone never gets there).
precheck_spec() {
	local C_APP_SECRET=
	clone_spec "$T/cluster.yaml" cnpg
}

test_precheck_unreachable_source() {
	local port
	alloc_port port || return
	make_secret src-replica-user password "$(repl_password)"
	clone_defaults
	C_PORT=$port # nothing listens there
	precheck_spec
	expect_precheck_refused "unreachable source" "cannot reach the source \"src\" at 127.0.0.1:$port"
}

test_precheck_wrong_password() {
	password_source pw || return
	make_secret src-replica-user password "not-$REPL_PW"
	precheck_spec
	expect_precheck_refused "wrong password" \
		'authentication to the source "src" as "streaming_replica" failed (password authentication)'
}

test_precheck_no_pg_hba_entry() {
	source_init hba || return
	# SQL sessions are allowed, replication connections are not
	source_hba 'host all all 127.0.0.1/32 scram-sha-256'
	source_start || return
	REPL_PW=$(repl_password)
	source_role streaming_replica "$REPL_PW" REPLICATION || return
	make_secret src-replica-user password "$REPL_PW"
	clone_defaults
	precheck_spec
	expect_precheck_refused "no pg_hba entry" 'its pg_hba.conf has no entry'
}

test_precheck_no_replication_privilege() {
	local PW
	password_source norepl || return
	source_hba 'host replication norepl 127.0.0.1/32 scram-sha-256'
	source_psql postgres "SELECT pg_reload_conf()" >/dev/null
	PW=$(new_password)
	source_role norepl "$PW" || return
	make_secret norepl-user password "$PW"
	C_USER=norepl
	C_PW_SECRET=norepl-user
	precheck_spec
	expect_precheck_refused "no REPLICATION" 'no REPLICATION privilege'
}

test_precheck_max_wal_senders_exhausted() {
	local rw_pid i
	password_source walsenders || return
	# one WAL sender: the copy would need two
	source_conf 'max_wal_senders = 1'
	source_restart || return
	precheck_spec
	expect_precheck_refused "max_wal_senders = 1" 'number of requested standby connections exceeds max_wal_senders'
	# two, one of them held by a pg_receivewal
	source_conf 'max_wal_senders = 2'
	source_restart || return
	mkdir -p "$SRC_DIR/receivewal"
	give_to_pg "$SRC_DIR/receivewal"
	source_bg rw_pid "$PG_BIN/pg_receivewal" -D "$SRC_DIR/receivewal" -h "$SRC_SOCK" -p "$SRC_PORT" -U postgres -n -w
	for i in $(seq 1 100); do
		[ "$(source_psql postgres "SELECT count(*) FROM pg_stat_replication" 2>/dev/null)" = 1 ] && break
		sleep 0.1
	done
	expect_eq "pg_receivewal holds a WAL sender" 1 "$(source_psql postgres "SELECT count(*) FROM pg_stat_replication" 2>&1)" || return
	expect_precheck_refused "max_wal_senders = 2, one in use" 'number of requested standby connections exceeds max_wal_senders'
	stop_pid "$rw_pid" TERM
}

test_precheck_major_version_mismatch() {
	local fake=$T/pg16-bin f
	password_source version || return
	precheck_spec
	# Only PostgreSQL 15 is installed here, so the only way to have a target
	# of another major version is to make pgpod believe it: a --pg-bin of
	# symlinks to the real binaries, with a postgres that says 16.4 when
	# asked its version and is the real one otherwise.
	mkdir -p "$fake"
	for f in "$PG_BIN"/*; do
		ln -s "$f" "$fake/$(basename "$f")"
	done
	rm -f "$fake/postgres"
	cat >"$fake/postgres" <<WRAPPER
#!/bin/sh
case "\$1" in --version | -V) echo "postgres (PostgreSQL) 16.4"; exit 0 ;; esac
exec "$PG_BIN/postgres" "\$@"
WRAPPER
	chmod 0755 "$fake/postgres"
	expect_eq "the fake postgres' version" "postgres (PostgreSQL) 16.4" "$("$fake/postgres" -V)"
	PG_BIN=$fake expect_precheck_refused "source 15, target 16" \
		'source and target must have the same major PostgreSQL version: source 15, target 16'
}

test_precheck_tablespace_path_in_use() {
	local ts=$T/tablespaces/reports
	password_source tblspc || return
	mkdir -p "$ts"
	give_to_pg "$T/tablespaces" "$ts"
	source_psql postgres "CREATE TABLESPACE reports LOCATION '$ts'" >/dev/null || fail "CREATE TABLESPACE"
	source_psql postgres "CREATE TABLE in_reports (x int) TABLESPACE reports; INSERT INTO in_reports VALUES (1)" >/dev/null ||
		fail "table in the tablespace"
	precheck_spec
	# the source's tablespace directory is that very path on this machine
	expect_precheck_refused "tablespace" "the source has tablespace \"reports\" at \"$ts\""
	expect_eq "the source's tablespace is untouched" 1 "$(source_psql postgres "SELECT x FROM in_reports" 2>&1)"
}

# ------------------------------------------------------------ interrupted

# no_copy_procs, no_wal_senders: asked anew on every try of wait_for (which
# expands its arguments once).
no_copy_procs() { [ -z "$(copy_procs)" ]; }
no_wal_senders() { [ "$(source_psql postgres "SELECT count(*) FROM pg_stat_replication" 2>/dev/null)" = 0 ]; }

# copy_procs: PIDs of pg_basebackup processes writing into this $PGDATA.
copy_procs() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		{ tr '\0' ' ' <"$f" | grep -qF "pg_basebackup --pgdata=$PGDATA/"; } 2>/dev/null &&
			basename "$(dirname "$f")"
	done
	return 0
}

# kill_copy_procs: SIGKILL to what copy_procs finds (cleanup_test stops
# only postgres processes).
kill_copy_procs() {
	local pid
	for pid in $(copy_procs); do
		kill -KILL "$pid" 2>/dev/null
	done
}

# interrupt_copy_and_expect_moved_aside DESC PID OUTFILE: SIGTERM to PID
# 0.1 s after the copy began writing into PGDATA/.pgpod-copy; PID exits non-zero, the cut-off attempt is
# moved aside as PGDATA.failed-*, PGDATA is left empty or missing, nothing
# of the copy keeps running (here or on the source). The aside directory
# in ASIDE.
interrupt_copy_and_expect_moved_aside() {
	local desc=$1 pid=$2 out=$3 i rc n
	ASIDE=
	# the copy is under way once pg_basebackup writes the source's base/
	for i in $(seq 1 1200); do
		[ -d "$PGDATA/.pgpod-copy/base" ] && break
		sleep 0.05
	done
	if ! grep -qF 'with pg_basebackup into' "$out" || [ ! -d "$PGDATA/.pgpod-copy/base" ]; then
		fail "$desc: the copy never began$(LAST_OUT=$out last_output_tail)"
		return 1
	fi
	sleep 0.1
	kill -TERM "$pid"
	wait_exit "$pid" 30 rc
	if [ "$rc" = timeout ]; then
		fail "$desc: did not exit within 30 s of SIGTERM during the copy; pg_basebackup processes left: $(copy_procs | tr '\n' ' ')"
		kill_copy_procs
		return 1
	fi
	[ "$rc" != 0 ] || fail "$desc: exit 0 after SIGTERM during the copy"
	grep -qF '"copied ' "$out" && fail "$desc: the copy finished before SIGTERM (make the source bigger)"
	log_msgs error "$out" | grep -q 'pg_basebackup' ||
		fail "$desc: no error line says that the copy with pg_basebackup was cut off$(LAST_OUT=$out last_output_tail)"
	n=$(find "$(dirname "$PGDATA")" -maxdepth 1 -name "$(basename "$PGDATA").failed-*" | wc -l)
	[ "$n" = 1 ] || { fail "$desc: $n directories $PGDATA.failed-*, expected one$(LAST_OUT=$out last_output_tail)"; return 1; }
	ASIDE=$(ls -d "$PGDATA".failed-*)
	[ -n "$(ls -A "$ASIDE/.pgpod-copy" 2>/dev/null)" ] ||
		fail "$desc: the moved-aside attempt holds no cut-off copy (.pgpod-copy)"
	[ -z "$(ls -A "$PGDATA" 2>/dev/null)" ] || fail "$desc: PGDATA not empty after the interrupted clone"
	expect_grep "$desc: the move is logged" "moved aside to" "$out"
	if ! wait_for 50 0.1 no_copy_procs; then
		fail "$desc: pg_basebackup still runs: $(copy_procs | tr '\n' ' ')"
		kill_copy_procs
	fi
	expect_no_postgres_under "$(dirname "$PGDATA")"
	wait_for 100 0.1 no_wal_senders ||
		fail "$desc: the source still has a WAL sender for the cut-off copy"
}

test_sigterm_during_pgpod_clone_moves_aside_then_rerun_clones() {
	local src_fp APP_PW
	password_source big 10 || return
	src_fp=$(source_psql postgres "$pgbench_fingerprint_sql")
	make_basic_auth app-secret app APP_PW
	clone_spec "$T/cluster.yaml" cnpg
	pgpod_clone_bg
	interrupt_copy_and_expect_moved_aside "pgpod clone" "$CLONE_PID" "$CLONE_OUT" || return
	# the next attempt clones cleanly; the failed one is kept
	clone_ok "pgpod clone after the interrupted one" || return
	check "the failed attempt is kept" test -d "$ASIDE/.pgpod-copy"
	pg_start "$PGDATA" || return
	expect_eq "count|md5 of pgbench_accounts" "$src_fp" "$(psql_su postgres "$pgbench_fingerprint_sql" 2>&1)"
	pg_stop "$PGDATA"
}

test_sigterm_during_pgpod_run_clone_moves_aside_then_rerun_clones() {
	local src_fp APP_PW
	password_source big 10 || return
	src_fp=$(source_psql postgres "$pgbench_fingerprint_sql")
	make_basic_auth app-secret app APP_PW
	clone_spec "$T/cluster.yaml" cnpg
	pgpod_run_bg
	interrupt_copy_and_expect_moved_aside "pgpod run" "$RUN_PID" "$RUN_OUT" || return
	pgpod_run_bg
	expect_served "$APP_PW" || return
	expect_bootstrapped "$PGDATA"
	expect_eq "count|md5 of pgbench_accounts" "$src_fp" "$(psql_su postgres "$pgbench_fingerprint_sql" 2>&1)"
	check "the failed attempt is kept" test -d "$ASIDE/.pgpod-copy"
	stop_target_run
}

test_sigkill_during_clone_next_clone_stops_its_copier_and_clones() {
	local src_fp APP_PW i rc
	password_source big 10 || return
	src_fp=$(source_psql postgres "$pgbench_fingerprint_sql")
	make_basic_auth app-secret app APP_PW
	clone_spec "$T/cluster.yaml" cnpg
	pgpod_clone_bg
	for i in $(seq 1 1200); do
		[ -d "$PGDATA/.pgpod-copy/base" ] && break
		sleep 0.05
	done
	[ -d "$PGDATA/.pgpod-copy/base" ] || { fail "the copy never began$(last_output_tail)"; return; }
	sleep 0.1
	kill -KILL "$CLONE_PID"
	wait_exit "$CLONE_PID" 10 rc 2>/dev/null # no "Killed" from bash
	expect_rc "pgpod clone after SIGKILL" 137 "$rc"
	# a killed pgpod cannot stop pg_basebackup's WAL streamer (a grandchild,
	# now an orphan): the next run must, before it moves the copy aside
	clone_ok "pgpod clone after a SIGKILLed one" || { kill_copy_procs; return; }
	expect_grep "the cut-off copy is reported" "holds a copy that was cut off" "$LAST_OUT"
	check "the cut-off copy is kept" test -d "$(find "$(dirname "$PGDATA")" -maxdepth 1 -name "$(basename "$PGDATA").failed-*" | head -n 1)/.pgpod-copy"
	if [ -n "$(copy_procs)" ]; then
		fail "pg_basebackup of the SIGKILLed pgpod clone still runs after the next clone (pids $(copy_procs | tr '\n' ' '))"
		kill_copy_procs
	fi
	wait_for 100 0.1 no_wal_senders ||
		fail "the source still has WAL senders for the killed clone: $(source_psql postgres "SELECT string_agg(state, ',') FROM pg_stat_replication" 2>&1)"
	pg_start "$PGDATA" || return
	expect_eq "count|md5 of pgbench_accounts" "$src_fp" "$(psql_su postgres "$pgbench_fingerprint_sql" 2>&1)"
	pg_stop "$PGDATA"
}

test_leftover_staging_copy_is_moved_aside() {
	local APP_PW aside
	small_source leftover "" || return
	make_basic_auth app-secret app APP_PW
	clone_spec "$T/cluster.yaml" cnpg
	# what a SIGKILLed clone leaves: PGDATA holding only a partial .pgpod-copy
	mkdir -p "$PGDATA/.pgpod-copy/base/1"
	echo 15 >"$PGDATA/.pgpod-copy/PG_VERSION"
	: >"$PGDATA/.pgpod-copy/base/1/1259"
	[ $IS_ROOT = 1 ] && chown -R postgres: "$T/data"
	clone_ok "pgpod clone over a cut-off copy" || return
	expect_grep "the cut-off copy is reported" "holds a copy that was cut off" "$LAST_OUT"
	aside=$(ls -d "$PGDATA".failed-* 2>/dev/null)
	[ "$(printf '%s\n' "$aside" | grep -c .)" = 1 ] || { fail "expected one $PGDATA.failed-*, got [$aside]"; return; }
	check "the cut-off copy is kept as it was" test -f "$aside/.pgpod-copy/base/1/1259"
	expect_eq "its PG_VERSION" 15 "$(cat "$aside/.pgpod-copy/PG_VERSION" 2>&1)"
	pg_start "$PGDATA" || return
	expect_login "app logs in to the fresh copy" app "$APP_PW" app
	pg_stop "$PGDATA"
}

# SIGKILL of pgpod after every step of a clone, then a rerun: always a
# finished copy (the cut-off one moved aside, its copier stopped).
test_sigkill_at_every_clone_step() {
	local APP_PW
	small_source killsteps "CREATE ROLE app LOGIN" || return
	make_basic_auth app-secret app APP_PW
	clone_spec "$T/cluster.yaml" cnpg
	kill_at_each_step clone
}

# A volume that fills during the copy: a clear error naming it, no marker,
# the attempt moved aside on the volume, and the next clone after room is
# made succeeds.
test_full_disk_during_clone() {
	local APP_PW rc vol src_fp
	[ "$IS_ROOT" = 1 ] || { echo "    (skipped: needs root to mount a small file system)"; return 0; }
	password_source full 3 || return
	src_fp=$(source_psql postgres "$pgbench_fingerprint_sql")
	make_basic_auth app-secret app APP_PW
	vol=$T/vol
	mount_tmpfs "$vol" 32m || return 0
	PGDATA=$vol/pgdata
	clone_spec "$T/cluster.yaml" cnpg
	pgpod_cmd clone
	rc=$?
	expect_rc "clone onto a 32 MB volume" 1 "$rc"
	log_lines error "$LAST_OUT" | grep -qF 'is full' ||
		fail "no error saying the volume is full$(last_output_tail)"
	[ -e "$PGDATA/pgpod-bootstrap.json" ] && fail "a completion marker on a failed attempt"
	check "the attempt is moved aside" test -n "$(ls -d "$PGDATA".failed-* 2>/dev/null)"
	expect_no_postgres_under "$vol"
	rm -rf "$PGDATA".failed-*
	mount -o remount,size=400m "$vol" || { fail "cannot grow the tmpfs"; umount "$vol"; return; }
	clone_ok "clone after room was made" || { umount "$vol"; return; }
	pg_start "$PGDATA" || { umount "$vol"; return; }
	expect_eq "count|md5 of pgbench_accounts" "$src_fp" "$(psql_su postgres "$pgbench_fingerprint_sql" 2>&1)"
	pg_stop "$PGDATA"
	umount "$vol"
}

run_tests
