#!/usr/bin/env bash
# bench/static.sh — the static executable beside the dynamic one, in one run:
# file size (and stripped size), the start-up time of `pgpod version` (mean of
# N runs each, alternating), and the memory of `pgpod run` on the example spec
# once /readyz answers 200 (VmRSS and RssAnon from /proc/PID/status), both
# instances running at the same time on ports of their own.
#
#   bench/static.sh [-n RUNS] [DYNAMIC [STATIC]]   (defaults: 100, ./pgpod, ./pgpod-static)
#
# Not a test and not in `make check`; build both first (`make && make static`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=100
while getopts n: opt; do
	case $opt in
	n) runs=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [DYNAMIC [STATIC]]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
dyn=$(realpath "${1:-./pgpod}")
sta=$(realpath "${2:-./pgpod-static}")
for b in "$dyn" "$sta"; do
	[ -x "$b" ] || { echo "static-bench: $b is not an executable (make && make static)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/pgpod-static-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

echo "== size"
for b in "$dyn" "$sta"; do
	strip -o "$work/stripped" "$b"
	printf '%-14s %9d bytes, stripped %9d bytes; %s\n' "$(basename "$b")" \
		"$(stat -c %s "$b")" "$(stat -c %s "$work/stripped")" \
		"$(file -b "$b" | cut -d, -f1-5)"
done

# the shared libraries the dynamic one loads (ldd's resolved paths, sizes of
# the files they point to)
libs=$(ldd "$dyn" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
printf '%-14s %d shared libraries (ldd), %d bytes of files\n' "$(basename "$dyn")" \
	"$(wc -l <<<"$libs")" "$(xargs stat -L -c %s <<<"$libs" | awk '{ t += $1 } END { print t }')"

# mean wall time of one run of `pgpod ARGS` in microseconds over $runs runs,
# the two binaries alternating
startup() {
	local k b t0 t1
	declare -A total=([dyn]=0 [sta]=0)
	for ((i = 0; i < runs; i++)); do
		for k in dyn sta; do
			b=$dyn
			[ "$k" = sta ] && b=$sta
			t0=$(date +%s%N)
			"$b" "$@" >/dev/null
			t1=$(date +%s%N)
			total[$k]=$((total[$k] + t1 - t0))
		done
	done
	echo "== start-up: \`pgpod $*\`, mean of $runs runs each, alternating"
	printf '%-14s %6d us\n' "$(basename "$dyn")" $((total[dyn] / runs / 1000)) \
		"$(basename "$sta")" $((total[sta] / runs / 1000))
}
# `version` also runs `postgres -V` when it finds PostgreSQL; `--help` starts
# and exits with nothing else
startup version
startup --help

mkdir -p "$work/secrets/app-secret"
printf 'app' >"$work/secrets/app-secret/username"
printf 'bench-password-1' >"$work/secrets/app-secret/password"
chmod -R a+rX "$work/secrets"

# start one `pgpod run` of binary $1 as instance $2 (ports 5544N, 5810N)
start() {
	local b=$1 n=$2
	mkdir -p "$work/$n"
	"$b" run --spec container/cluster-example.yaml \
		--secrets-dir "$work/secrets" --configmaps-dir "$work/$n/configmaps" \
		--pgdata "$work/$n/data/pgdata" --run-dir "$work/$n/run" \
		--pg-port "5544$n" --pg-listen 127.0.0.1 --listen "127.0.0.1:5810$n" \
		>"$work/$n/log" 2>&1 &
	pids+=($!)
}

ready() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:5810$1/readyz")" = 200 ]
}

start "$dyn" 1
start "$sta" 2
for ((i = 0; i < 600; i++)); do
	ready 1 && ready 2 && break
	sleep 0.2
done
if ! { ready 1 && ready 2; }; then
	tail -5 "$work"/1/log "$work"/2/log
	echo "static-bench: not ready after 120 s" >&2
	exit 1
fi
sleep 2	# the first status round done in both
echo "== \`pgpod run\` on the example spec, /readyz 200, side by side"
n=1
for b in "$dyn" "$sta"; do
	p=${pids[$((n - 1))]}
	printf '%-14s %s, %s\n' "$(basename "$b")" \
		"$(grep -E '^VmRSS' "/proc/$p/status" | tr -s ' \t' ' ')" \
		"$(grep -E '^RssAnon' "/proc/$p/status" | tr -s ' \t' ' ')"
	n=$((n + 1))
done
