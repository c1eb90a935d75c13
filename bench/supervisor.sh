#!/usr/bin/env bash
# bench/supervisor.sh — a benchmark, not a test: what `pgpod run` costs and
# how fast it recovers, each figure next to its counterpart measured in the
# same run:
#
#   1. /readyz, /pg/status and /metrics with wrk on 127.0.0.1 (req/s, p50,
#      p99) at probe-like load (1 thread, 8 connections) and at saturation
#      (2 threads, 32 connections: wrk then competes with pgpod for the two
#      cores); Patroni's /readiness at the same loads when Patroni runs;
#   2. pgpod's own memory while running (VmRSS, VmHWM, RssAnon, Pss) next to
#      the postmaster's and Patroni's;
#   3. /healthz latency while 300 clients trickle a header byte every 2 s,
#      and while wrk keeps FAST_CONNS (default 10000) fast connections busy (the
#      goal: < 1 s);
#   4. kill -9 of the postmaster until /readyz is 200 again, against a raw
#      `postgres` start (crash recovery included) on the same PGDATA; with
#      Patroni, how long its /readiness stays 200 after the kill and when it
#      is 200 again;
#   5. a clean stop: SIGTERM to pgpod until it has exited, against SIGTERM
#      to a raw postgres on the same PGDATA (the goal: <= 1.5x).
#
#   bench/supervisor.sh [-d SECONDS] [-n KILLS]
#   bench/supervisor.sh -b BIN [-d SECONDS] [-n ROUNDS] [-c SCALE]
#
# With -b, two builds side by side in one run instead (e.g. -b ./pgpod-static
# against PGPOD, default ./pgpod; both copied into the work directory first),
# each `pgpod run` on a PGDATA and ports of its own, both running at once:
# VmRSS and RssAnon once /readyz is 200 (and again after the HTTP load); the
# start-up time of `pgpod version` (mean of STARTUP_RUNS, default 100); /readyz
# req/s with wrk at the two loads above (median of ROUNDS runs); kill -9 of the
# postmaster until /readyz is 200 (median of ROUNDS); a clean stop, SIGTERM
# until pgpod has exited (median of ROUNDS; pgpod is started again after
# each). The builds alternate run by run (A B, then B A) so that both share
# the machine's disturbances. Then bench/clone.sh runs once per build
# (PGPOD=BIN, -s SCALE -n ROUNDS -j ROUNDS; default scale 50, -c 0 skips it):
# each run measures its pgpod against bare pg_basebackup in that run, so the
# ratios are what compares. A table at the end: a column per build and the
# ratio of the second to the first. No raw postgres, no hostile clients, no
# Patroni in this mode.
#
# Patroni is compared when `patroni` and python3-pysyncobj are installed
# (apt-get install patroni python3-pysyncobj): it runs with its built-in
# Raft DCS on 127.0.0.1, so no etcd is needed.
#
# Everything lives in a 0755 work directory under /tmp that is removed on
# exit; every process started is stopped by PID. As root, postgres and
# Patroni run as the postgres user (pgpod drops to it by itself).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=5
KILLS=5
BIN2=
CLONE_SCALE=50
while getopts d:n:b:c: o; do
	case $o in
	d) DURATION=$OPTARG ;;
	n) KILLS=$OPTARG ;;
	b) BIN2=$OPTARG ;;
	c) CLONE_SCALE=$OPTARG ;;
	*) echo "usage: $0 [-d SECONDS] [-n KILLS] | -b BIN [-d SECONDS] [-n ROUNDS] [-c SCALE]" >&2; exit 2 ;;
	esac
done
[[ $KILLS =~ ^[1-9][0-9]*$ ]] || { echo "-n wants a positive integer" >&2; exit 2; }
[[ $CLONE_SCALE =~ ^[0-9]+$ ]] || { echo "-c wants a non-negative integer" >&2; exit 2; }
PGPOD=${PGPOD:-$PWD/pgpod}
PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
command -v wrk >/dev/null || { echo "wrk is missing (scripts/deps.sh installs it)" >&2; exit 1; }
[ -x "$PGPOD" ] || make -s
# BIN relative to where the script was started (cd above set OLDPWD)
case $BIN2 in '' | /*) ;; *) BIN2=$OLDPWD/$BIN2 ;; esac
if [ -n "$BIN2" ] && [ ! -x "$BIN2" ]; then
	echo "$BIN2 is not an executable (make static builds ./pgpod-static)" >&2
	exit 1
fi

W=$(mktemp -d /tmp/pgpod-bench.XXXXXX)
chmod 755 "$W"
PID=
RAW=
PATRONI=
SLOW=
CLONE=
declare -A RUN=()	# -b: the `pgpod run` of each build, by A and B
cleanup() {
	local p f
	# a child stopped by SIGTERM may exit 143: under set -e that would end
	# the cleanup before the work directory goes
	for p in $PID $PATRONI "${RUN[@]}" $CLONE; do
		{ kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; } || true
	done
	# a raw postgres still running: immediate stop, by its postmaster.pid
	f=$W/data/pgdata/postmaster.pid
	[ -n "$RAW" ] && [ -f "$f" ] && kill -QUIT "$(head -n 1 "$f")" 2>/dev/null && wait "$RAW" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

PORT=$((26000 + RANDOM % 1000))
HTTP=$((27000 + RANDOM % 1000))
mkdir -p "$W/secrets/app-secret"
printf app >"$W/secrets/app-secret/username"
head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$W/secrets/app-secret/password"
chmod -R a+rX "$W/secrets"
cp bench/cluster.yaml "$W/spec.yaml"
chmod 644 "$W/spec.yaml"

ms_now() { echo $(($(date +%s%N) / 1000000)); }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1"; }
# wait_ready [PORT [TRIES]]: /readyz 200 on PORT (default $HTTP), asked
# every 10 ms, at most TRIES (default 600) times
wait_ready() {
	local i
	for i in $(seq 1 "${2:-600}"); do
		[ "$(code "${1:-$HTTP}/readyz")" = 200 ] && return 0
		sleep 0.01
	done
	return 1
}
ratio() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN {if (b > 0) printf f, a / b; else printf "?"}'; }
# spawn_as_pg CMD...: run in the background as "CMD ... &" only: it becomes
# CMD (exec), as the postgres user when we are root, so $! is CMD's PID.
spawn_as_pg() {
	if [ "$(id -u)" = 0 ]; then
		exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
	fi
	exec "$@"
}

# wrk_line LABEL URL THREADS CONNS: one line of req/s, p50 and p99; the
# req/s also goes to LAST_RPS.
wrk_line() {
	local out p50 p99 bad
	out=$(wrk -t"$3" -c"$4" -d"${DURATION}s" --latency "$2")
	LAST_RPS=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
	p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	printf '%-20s -t%s -c%-3s %10s req/s   p50 %8s   p99 %8s%s\n' "$1" "$3" "$4" "$LAST_RPS" \
		"$p50" "$p99" "${bad:+   non-2xx $bad}"
}

# mem_line LABEL PID: VmRSS, VmHWM, RssAnon, Pss (kB) and threads.
mem_line() {
	local pss
	pss=$(awk '/^Pss:/ {print $2}' "/proc/$2/smaps_rollup" 2>/dev/null || echo "?")
	awk -v who="$1" -v pss="$pss" '
		/^VmRSS/ {rss = $2} /^VmHWM/ {hwm = $2} /^RssAnon/ {anon = $2} /^Threads/ {thr = $2}
		END {printf "%-13s VmRSS %6d kB  VmHWM %6d kB  RssAnon %6d kB  Pss %6s kB  threads %d\n",
			who, rss, hwm, anon, pss, thr}' "/proc/$2/status"
}
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# healthz_worst N: the slowest of N /healthz answers (ms), 0.2 s apart;
# "fail" when one did not come within 3 s.
healthz_worst() {
	local i t worst=0
	for i in $(seq 1 "$1"); do
		t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 3 "http://127.0.0.1:$HTTP/healthz")
		[ "${t%% *}" = 200 ] || { echo fail; return; }
		t=$(awk -v s="${t#* }" 'BEGIN {printf "%d", s * 1000}')
		[ "$t" -gt "$worst" ] && worst=$t
		sleep 0.2
	done
	echo "$worst"
}

# slow_clients N SECONDS: N connections trickling a header byte every 2 s.
slow_clients() {
	python3 -c '
import socket, sys, time
conns = []
for i in range(int(sys.argv[2])):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        s.send(b"G")
        conns.append(s)
    except OSError:
        pass
end = time.time() + int(sys.argv[3])
while time.time() < end:
    time.sleep(2)
    for s in conns:
        try:
            s.send(b"E")
        except OSError:
            pass
' "$HTTP" "$1" "$2" &
	SLOW=$!
}
# both_memory SUFFIX: each build's memory line, VmRSS and RssAnon kept as
# VAL[rssSUFFIX.k] and VAL[anonSUFFIX.k]
both_memory() {
	local k
	for k in A B; do
		mem_line "${NAME[$k]}" "${RUN[$k]}"
		VAL[rss$1.$k]=$(status_kb "${RUN[$k]}" VmRSS)
		VAL[anon$1.$k]=$(status_kb "${RUN[$k]}" RssAnon)
	done
}


# ---- -b BIN: two builds side by side ----------------------------------------
if [ -n "$BIN2" ]; then
	STARTUP_RUNS=${STARTUP_RUNS:-100}
	[[ $STARTUP_RUNS =~ ^[1-9][0-9]*$ ]] || { echo "STARTUP_RUNS wants a positive integer" >&2; exit 2; }
	declare -A BIN=() NAME=() SPORT=() SHTTP=() VAL=()
	mkdir -p "$W/A/bin" "$W/B/bin"
	# copies: a rebuild during the run does not change what is measured
	cp "$PGPOD" "$W/A/bin/"
	cp "$BIN2" "$W/B/bin/"
	BIN[A]=$W/A/bin/$(basename "$PGPOD")
	BIN[B]=$W/B/bin/$(basename "$BIN2")
	NAME[A]=$(basename "$PGPOD")
	NAME[B]=$(basename "$BIN2")
	[ "${NAME[A]}" != "${NAME[B]}" ] || { NAME[A]="A ${NAME[A]}"; NAME[B]="B ${NAME[B]}"; }
	SPORT[A]=$PORT
	SPORT[B]=$((PORT + 1))
	SHTTP[A]=$HTTP
	SHTTP[B]=$((HTTP + 1))

	now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "${t#0}"; }
	median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
	# order I: the builds in round I, A first in odd rounds, B first in even
	order() { if [ $(($1 % 2)) = 1 ]; then echo A B; else echo B A; fi; }
	# start_build K [TRIES]: `pgpod run` of build K until /readyz is 200
	start_build() {
		"${BIN[$1]}" run --spec "$W/spec.yaml" --secrets-dir "$W/secrets" --configmaps-dir "$W/$1/cm" \
			--pgdata "$W/$1/data/pgdata" --run-dir "$W/$1/run" --pg-port "${SPORT[$1]}" \
			--pg-listen 127.0.0.1 --listen "127.0.0.1:${SHTTP[$1]}" --restart-max 1000 \
			--restart-interval 0 >>"$W/$1/pgpod.log" 2>&1 </dev/null &
		RUN[$1]=$!
		if ! wait_ready "${SHTTP[$1]}" "${2:-600}"; then
			echo "${NAME[$1]} did not become ready; its log:" >&2
			tail -n 20 "$W/$1/pgpod.log" >&2
			exit 1
		fi
	}
	# stop_build K: SIGTERM, then wait for pgpod to exit (at most 60 s, then
	# SIGKILL); the time in STOP_US, its exit status in STOP_RC
	stop_build() {
		local pid=${RUN[$1]} wd who='' t0 rc=0
		sleep 60 &
		wd=$!
		t0=$(now_us)
		kill -TERM "$pid"
		wait -n -p who "$pid" "$wd" || rc=$?
		STOP_US=$(($(now_us) - t0))
		STOP_RC=$rc
		if [ "$who" = "$wd" ]; then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			RUN[$1]=
			echo "${NAME[$1]} did not exit within 60 s of SIGTERM" >&2
			exit 1
		fi
		kill "$wd" 2>/dev/null || true
		wait "$wd" 2>/dev/null || true
		RUN[$1]=
	}
	# add KEY VALUE: VALUE appended to the list VAL[KEY]
	add() { VAL[$1]="${VAL[$1]:-} $2"; }

	echo "bench/supervisor.sh -b: ${NAME[A]} [$("${BIN[A]}" version 2>/dev/null | sed -n 2p)] and" \
		"${NAME[B]} [$("${BIN[B]}" version 2>/dev/null | sed -n 2p)] side by side;" \
		"$(nproc) cpus, $KILLS rounds, wrk ${DURATION}s a run"

	echo "== start-up: \`pgpod version\` (it also runs \`postgres -V\`), $STARTUP_RUNS runs each, alternating"
	for i in $(seq 1 "$STARTUP_RUNS"); do
		for k in $(order "$i"); do
			t0=$(now_us)
			"${BIN[$k]}" version >/dev/null 2>&1
			add "startup.$k" $(($(now_us) - t0))
		done
	done
	for k in A B; do
		# shellcheck disable=SC2086 # a list of numbers
		VAL[startup.$k]=$(printf '%s\n' ${VAL[startup.$k]} | awk '{t += $1} END {printf "%.1f", t / NR / 1000}')
		printf '%-14s mean %6s ms\n' "${NAME[$k]}" "${VAL[startup.$k]}"
	done

	# both at once, each bootstrapping its own PGDATA (initdb): up to 120 s
	mkdir -p "$W/A" "$W/B"
	start_build A 6000
	start_build B 6000
	sleep 2	# the first status round done in both
	echo "== memory of \`pgpod run\` once /readyz is 200, both running"
	both_memory ""
	for k in A B; do
		echo "${NAME[$k]} VmRSS $(ratio "${VAL[rss.$k]}" 1024 %.1f) MiB (goal < 8 MiB)," \
			"RssAnon $(ratio "${VAL[anon.$k]}" 1024 %.1f) MiB"
	done

	echo "== /readyz with wrk ($KILLS rounds, the builds alternating)"
	for i in $(seq 1 "$KILLS"); do
		for load in "1 8" "2 32"; do
			for k in $(order "$i"); do
				# shellcheck disable=SC2086 # two numbers
				wrk_line "${NAME[$k]} /readyz" "http://127.0.0.1:${SHTTP[$k]}/readyz" $load
				add "rps${load% *}.$k" "$LAST_RPS"
			done
		done
	done
	echo "== memory after the HTTP load"
	both_memory 2

	echo "== kill -9 of the postmaster until /readyz is 200 again ($KILLS rounds, alternating)"
	for i in $(seq 1 "$KILLS"); do
		for k in $(order "$i"); do
			pm=$(head -n 1 "$W/$k/data/pgdata/postmaster.pid")
			t0=$(now_us)
			kill -KILL "$pm"
			sleep 0.02
			wait_ready "${SHTTP[$k]}" || { echo "${NAME[$k]}: not ready again" >&2; exit 1; }
			t=$((($(now_us) - t0) / 1000))
			add "kill.$k" "$t"
			echo "round $i: ${NAME[$k]} ${t} ms"
			sleep 0.5	# the end of recovery settles before the other one's kill
		done
	done

	echo "== clean stop: SIGTERM until pgpod has exited ($KILLS rounds, alternating; started again after each)"
	for i in $(seq 1 "$KILLS"); do
		for k in $(order "$i"); do
			sleep 1.5	# a status query or two: pgpod's own session is open
			stop_build "$k"
			t=$((STOP_US / 1000))
			add "stop.$k" "$t"
			echo "round $i: ${NAME[$k]} ${t} ms (exit $STOP_RC)"
			start_build "$k"
		done
	done
	for k in A B; do
		stop_build "$k"
	done

	# clone_field FILE WHAT: from bench/clone.sh's output, the median of
	# a table row (seconds) or a ratio line
	clone_field() {
		case $2 in
		clone) awk -F ' [|] ' '$1 == "| pgpod clone" {sub(/ s$/, "", $2); print $2}' "$1" ;;
		bare) awk -F ' [|] ' '$1 == "| pg_basebackup -X stream -c fast" {sub(/ s$/, "", $2); print $2}' "$1" ;;
		cratio) sed -n 's/^headline: pgpod clone \/ pg_basebackup = \([0-9.]*\).*/\1/p' "$1" ;;
		join) awk -F ' [|] ' '$1 ~ /^[|] pgpod run bench-2/ {sub(/ s$/, "", $2); print $2}' "$1" ;;
		raw) awk -F ' [|] ' '$1 ~ /^[|] pg_basebackup -R/ {sub(/ s$/, "", $2); print $2}' "$1" ;;
		jratio) sed -n 's/^joining replica: pgpod \/ raw = \([0-9.]*\).*/\1/p' "$1" ;;
		esac
	}
	if [ "$CLONE_SCALE" -gt 0 ]; then
		for k in A B; do
			echo "== bench/clone.sh -s $CLONE_SCALE -n $KILLS -j $KILLS with ${NAME[$k]} (at most an hour)"
			PGPOD=${BIN[$k]} timeout 3600 bench/clone.sh -s "$CLONE_SCALE" -n "$KILLS" -j "$KILLS" \
				>"$W/clone.$k.out" 2>&1 </dev/null &
			CLONE=$!
			rc=0
			wait "$CLONE" || rc=$?
			CLONE=
			sed 's/^/  /' "$W/clone.$k.out"
			[ "$rc" = 0 ] || { echo "bench/clone.sh with ${NAME[$k]} exited $rc" >&2; exit 1; }
			for f in clone bare cratio join raw jratio; do
				VAL[$f.$k]=$(clone_field "$W/clone.$k.out" "$f")
				[ -n "${VAL[$f.$k]}" ] || { echo "no $f figure in bench/clone.sh's output" >&2; exit 1; }
			done
		done
	fi

	# row LABEL A B [UNIT]: a table row, the ratio B/A
	row() {
		printf '| %s | %s%s | %s%s | %s |\n' "$1" "$2" "${4:+ $4}" "$3" "${4:+ $4}" "$(ratio "$3" "$2")"
	}
	# mrow LABEL KEY UNIT: a row of the medians of VAL[KEY.A] and VAL[KEY.B]
	mrow() {
		# shellcheck disable=SC2086 # lists of numbers
		row "$1" "$(median ${VAL[$2.A]})" "$(median ${VAL[$2.B]})" "$3"
	}
	echo
	echo "## ${NAME[A]} and ${NAME[B]} side by side, one run, $(nproc) cpus"
	echo
	echo "| | ${NAME[A]} | ${NAME[B]} | ${NAME[B]} / ${NAME[A]} |"
	echo "|---|---|---|---|"
	row "\`pgpod run\` once \`/readyz\` is 200: VmRSS" "${VAL[rss.A]}" "${VAL[rss.B]}" kB
	row "the same: RssAnon" "${VAL[anon.A]}" "${VAL[anon.B]}" kB
	row "after the \`/readyz\` load: VmRSS" "${VAL[rss2.A]}" "${VAL[rss2.B]}" kB
	row "the same: RssAnon" "${VAL[anon2.A]}" "${VAL[anon2.B]}" kB
	row "\`pgpod version\`, mean of $STARTUP_RUNS runs" "${VAL[startup.A]}" "${VAL[startup.B]}" ms
	mrow "\`/readyz\` req/s, wrk -t1 -c8 (probe-like), median of $KILLS" rps1 ""
	mrow "\`/readyz\` req/s, wrk -t2 -c32 (saturation), median of $KILLS" rps2 ""
	mrow "kill -9 of the postmaster → \`/readyz\` 200, median of $KILLS" kill ms
	mrow "clean stop, SIGTERM → pgpod exited, median of $KILLS" stop ms
	if [ "$CLONE_SCALE" -gt 0 ]; then
		row "\`pgpod clone\` of pgbench -s $CLONE_SCALE, median of $KILLS" "${VAL[clone.A]}" "${VAL[clone.B]}" s
		row "the same run's bare pg_basebackup" "${VAL[bare.A]}" "${VAL[bare.B]}" s
		row "\`pgpod clone\` / pg_basebackup (each run's own)" "${VAL[cratio.A]}" "${VAL[cratio.B]}"
		row "joining replica → \`/readyz\` 200, median of $KILLS" "${VAL[join.A]}" "${VAL[join.B]}" s
		row "the same run's pg_basebackup -R + pg_ctl start → streaming" "${VAL[raw.A]}" "${VAL[raw.B]}" s
		row "joining replica / raw (each run's own)" "${VAL[jratio.A]}" "${VAL[jratio.B]}"
	fi
	echo
	echo "the two \`pgpod run\` ran at once (memory, wrk, kills, stops), the builds alternating"
	[ "$CLONE_SCALE" = 0 ] ||
		echo "bench/clone.sh ran once per build, one after the other: compare each run's ratio"
	exit 0
fi

"$PGPOD" run --spec "$W/spec.yaml" --secrets-dir "$W/secrets" --configmaps-dir "$W/cm" \
	--pgdata "$W/data/pgdata" --run-dir "$W/run" --pg-port "$PORT" --pg-listen 127.0.0.1 \
	--listen "127.0.0.1:$HTTP" --restart-max 1000 --restart-interval 0 >"$W/pgpod.log" 2>&1 &
PID=$!
wait_ready || { echo "pgpod did not become ready" >&2; tail "$W/pgpod.log" >&2; exit 1; }
echo "bench/supervisor.sh: $("$PGPOD" version 2>/dev/null | head -n 1), $(nproc) cpus, wrk ${DURATION}s a run"

echo "== HTTP"
for load in "1 8" "2 32"; do
	for path in /readyz /pg/status /metrics; do
		# shellcheck disable=SC2086 # two numbers
		wrk_line "pgpod $path" "http://127.0.0.1:$HTTP$path" $load
		[ "$path" = /readyz ] && eval "READYZ_RPS_${load% *}=\$LAST_RPS"
	done
done

echo "== memory"
pm=$(head -n 1 "$W/data/pgdata/postmaster.pid")
mem_line pgpod "$PID"
mem_line postmaster "$pm"
PGPOD_RSS=$(status_kb "$PID" VmRSS)
PGPOD_ANON=$(status_kb "$PID" RssAnon)
echo "pgpod VmRSS $(ratio "$PGPOD_RSS" 1024 %.1f) MiB (goal < 8 MiB), private (RssAnon)" \
	"$(ratio "$PGPOD_ANON" 1024 %.1f) MiB; the rest are pages of shared libraries"

echo "== /healthz under hostile and heavy clients"
slow_clients 300 8
sleep 1
echo "300 slow clients (a header byte every 2 s): slowest /healthz of 20 $(healthz_worst 20) ms (goal < 1000)"
kill "$SLOW" 2>/dev/null; wait "$SLOW" 2>/dev/null || true
ulimit -n 65536 2>/dev/null || ulimit -n 16384 2>/dev/null || true
FAST_CONNS=${FAST_CONNS:-10000}
wrk -t2 -c"$FAST_CONNS" -d8s "http://127.0.0.1:$HTTP/healthz" >"$W/wrk-fast.out" 2>&1 &
FAST=$!
sleep 1
echo "wrk with $FAST_CONNS fast connections: slowest /healthz of 20 $(healthz_worst 20) ms (goal < 1000)"
echo "  (wrk: $(awk '/Requests\/sec/ {print $2 " req/s"} /Socket errors/ {print "socket errors: " $0}' "$W/wrk-fast.out" | tr '\n' ' '))"
wait "$FAST" 2>/dev/null || true

echo "== kill -9 of the postmaster until /readyz is 200 again ($KILLS rounds)"
total=0
for i in $(seq 1 "$KILLS"); do
	pm=$(head -n 1 "$W/data/pgdata/postmaster.pid")
	t0=$(ms_now)
	kill -KILL "$pm"
	sleep 0.02
	wait_ready || { echo "not ready again" >&2; exit 1; }
	t=$(($(ms_now) - t0))
	total=$((total + t))
	echo "pgpod round $i: ${t} ms"
done
pgpod_ms=$((total / KILLS))
# a clean stop, timed: SIGTERM until pgpod has exited (postgres with it)
stop_total=0
for i in $(seq 1 "$KILLS"); do
	if [ -z "$PID" ]; then
		"$PGPOD" run --spec "$W/spec.yaml" --secrets-dir "$W/secrets" --configmaps-dir "$W/cm" \
			--pgdata "$W/data/pgdata" --run-dir "$W/run" --pg-port "$PORT" --pg-listen 127.0.0.1 \
			--listen "127.0.0.1:$HTTP" >>"$W/pgpod.log" 2>&1 &
		PID=$!
		wait_ready || { echo "pgpod did not become ready" >&2; exit 1; }
	fi
	sleep 1.5	# a status query or two: pgpod's own session is open
	t0=$(ms_now)
	kill -TERM "$PID"
	wait "$PID" || true
	t=$(($(ms_now) - t0))
	stop_total=$((stop_total + t))
	PID=
	echo "pgpod SIGTERM -> exited, round $i: ${t} ms"
done
pgpod_stop_ms=$((stop_total / KILLS))

# kill_under_pgdata SIG: every postgres process working in our PGDATA
kill_under_pgdata() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/cwd" 2>/dev/null)" = "$W/data/pgdata" ] || continue
		[ "$(cat "$d/comm" 2>/dev/null)" = postgres ] && kill "-$1" "${d#/proc/}" 2>/dev/null
	done
	return 0
}
# raw_start: postgres by itself, as a job of this shell wrapped in a
# subshell whose stderr is /dev/null (a SIGKILLed job would otherwise get a
# "Killed" notice); RAW is the subshell, the postmaster's PID is in
# postmaster.pid.
raw_start() {
	(
		if [ "$(id -u)" = 0 ]; then
			setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/postgres" \
				-D "$W/data/pgdata" -c listen_addresses=127.0.0.1 -c port="$PORT" \
				-c unix_socket_directories="$W/run"
		else
			"$PG_BIN/postgres" -D "$W/data/pgdata" -c listen_addresses=127.0.0.1 \
				-c port="$PORT" -c unix_socket_directories="$W/run"
		fi >"$W/raw.log" 2>&1
		exit 0
	) 2>/dev/null &
	RAW=$!
}
pid_line8() { sed -n 8p "$W/data/pgdata/postmaster.pid" 2>/dev/null | tr -d ' '; }

# raw: a crashed PGDATA started by postgres itself, until it accepts
total=0
for i in $(seq 1 "$KILLS"); do
	raw_start
	for j in $(seq 1 600); do
		[ "$(pid_line8)" = ready ] && break
		sleep 0.01
	done
	sleep 0.2
	# crash it the way pgpod's rounds did: postmaster and children gone
	kill_under_pgdata KILL
	wait "$RAW" || true
	sleep 0.2
	old=$(head -n 1 "$W/data/pgdata/postmaster.pid" 2>/dev/null || true)
	t0=$(ms_now)
	raw_start
	for j in $(seq 1 600); do
		if [ "$(head -n 1 "$W/data/pgdata/postmaster.pid" 2>/dev/null)" != "$old" ] &&
			[ "$(pid_line8)" = ready ]; then
			break
		fi
		sleep 0.01
	done
	t=$(($(ms_now) - t0))
	total=$((total + t))
	echo "raw round $i: ${t} ms"
	kill -INT "$(head -n 1 "$W/data/pgdata/postmaster.pid")" 2>/dev/null || true
	wait "$RAW" || true
	RAW=
done
raw_ms=$((total / KILLS))
echo "pgpod kill -9 -> ready: mean ${pgpod_ms} ms; raw postgres crash-recovery start: mean ${raw_ms} ms"
echo "ratio pgpod/raw: $(ratio "$pgpod_ms" "$raw_ms") (goal < 1.5)"

# raw: SIGTERM to an idle postgres until it has exited
stop_total=0
for i in $(seq 1 "$KILLS"); do
	raw_start
	for j in $(seq 1 600); do
		[ "$(pid_line8)" = ready ] && break
		sleep 0.01
	done
	sleep 1.5
	t0=$(ms_now)
	kill -TERM "$(head -n 1 "$W/data/pgdata/postmaster.pid")"
	wait "$RAW" || true
	t=$(($(ms_now) - t0))
	stop_total=$((stop_total + t))
	RAW=
	echo "raw SIGTERM -> exited, round $i: ${t} ms"
done
raw_stop_ms=$((stop_total / KILLS))
echo "clean stop: pgpod mean ${pgpod_stop_ms} ms; raw postgres mean ${raw_stop_ms} ms;" \
	"ratio $(ratio "$pgpod_stop_ms" "$raw_stop_ms") (goal <= 1.5)"

# ---- Patroni, when installed: the same figures for its REST API
# Patroni's own interpreter (its shebang) must have pysyncobj for Raft
if ! command -v patroni >/dev/null ||
	! "$(sed -n '1s/^#! *//p' "$(command -v patroni)" | awk '{print $1}')" -c 'import pysyncobj' 2>/dev/null; then
	echo "== Patroni: not installed (apt-get install patroni python3-pysyncobj to compare)"
	exit 0
fi
echo "== Patroni $(patroni --version 2>/dev/null | awk '{print $2}') (Raft DCS, loop_wait 10 s), same machine"
PPORT=$((28000 + RANDOM % 500))
PAPI=$((28500 + RANDOM % 500))
PRAFT=$((29000 + RANDOM % 500))
mkdir -p "$W/patroni/raft" "$W/patroni/data"
cat >"$W/patroni/patroni.yml" <<EOF
scope: bench
name: node1
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:$PAPI
  connect_address: 127.0.0.1:$PAPI
raft:
  data_dir: $W/patroni/raft
  self_addr: 127.0.0.1:$PRAFT
bootstrap:
  dcs:
    ttl: 30
    loop_wait: 10
  initdb:
  - encoding: UTF8
postgresql:
  listen: 127.0.0.1:$PPORT
  connect_address: 127.0.0.1:$PPORT
  data_dir: $W/patroni/data/pgdata
  bin_dir: $PG_BIN
  pgpass: $W/patroni/pgpass
  parameters:
    unix_socket_directories: $W/patroni
  authentication:
    superuser:
      username: postgres
      password: bench-only-superuser
    replication:
      username: replicator
      password: bench-only-replicator
EOF
chmod 700 "$W/patroni/data"
[ "$(id -u)" = 0 ] && chown -R postgres: "$W/patroni"
spawn_as_pg patroni "$W/patroni/patroni.yml" >"$W/patroni/log" 2>&1 &
PATRONI=$!
for i in $(seq 1 240); do
	[ "$(code "$PAPI/readiness")" = 200 ] && break
	sleep 0.25
done
if [ "$(code "$PAPI/readiness")" != 200 ]; then
	echo "Patroni did not become ready; its log:" >&2
	tail -n 20 "$W/patroni/log" >&2
	exit 1
fi
for load in "1 8" "2 32"; do
	# shellcheck disable=SC2086 # two numbers
	wrk_line "patroni /readiness" "http://127.0.0.1:$PAPI/readiness" $load
	eval "P_RPS_${load% *}=\$LAST_RPS"
done
echo "ratio pgpod/patroni req/s: $(ratio "$READYZ_RPS_1" "$P_RPS_1" %.0f)x at -c8," \
	"$(ratio "$READYZ_RPS_2" "$P_RPS_2" %.0f)x at -c32"
mem_line patroni "$PATRONI"
echo "ratio pgpod/patroni: VmRSS $(ratio "$PGPOD_RSS" "$(status_kb "$PATRONI" VmRSS)")," \
	"RssAnon $(ratio "$PGPOD_ANON" "$(status_kb "$PATRONI" RssAnon)")"
# kill -9 of Patroni's postmaster: when a new postmaster is ready, and
# what /readiness said meanwhile (bounded at 90 s)
ppm=$(head -n 1 "$W/patroni/data/pgdata/postmaster.pid")
t0=$(ms_now)
kill -KILL "$ppm"
t_back=
lied=0
polls=0
while [ $(($(ms_now) - t0)) -lt 90000 ]; do
	c=$(code "$PAPI/readiness")
	now=$(head -n 1 "$W/patroni/data/pgdata/postmaster.pid" 2>/dev/null || true)
	if [ -n "$now" ] && [ "$now" != "$ppm" ] &&
		[ "$(sed -n 8p "$W/patroni/data/pgdata/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ]; then
		t_back=$(($(ms_now) - t0))
		break
	fi
	polls=$((polls + 1))
	[ "$c" = 200 ] && lied=$((lied + 1))
	sleep 0.05
done
echo "patroni kill -9: a new postmaster ready after ${t_back:-over 90000} ms;" \
	"/readiness said 200 in $lied of $polls polls while postgres was down"
[ -n "$t_back" ] && echo "ratio pgpod/patroni kill -9 -> ready: $(ratio "$pgpod_ms" "$t_back" %.3f)"
echo "(pgpod: /readyz is 503 from the death of the postmaster until postgres is ready again)"
exit 0
