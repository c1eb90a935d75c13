#!/usr/bin/env bash
# test/fuzz/run.sh — run each libFuzzer target for a bounded time.
#
#   test/fuzz/run.sh SECONDS build/fuzz/fuzz_a build/fuzz/fuzz_b ...  (make fuzz, make fuzz-short)
#
# Seeds: the spec fixtures and upstream samples under test/fixtures for the
# YAML/JSON and spec targets, test/fuzz/seeds/<name>/ for the others. What a
# run finds is kept in build/fuzz/corpus/<name>/ (the next run starts from
# it); a crash, leak, timeout or sanitizer report leaves its input in
# build/fuzz/artifacts/ and fails the run: turn it into a unit test.
set -uo pipefail

seconds=${1:?usage: run.sh SECONDS BINARY...}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/fuzz
mkdir -p "$out/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Seeds for a target, in one directory of its own (libFuzzer reads them all).
seeds_for() {
	local name=$1 dir=$out/seeds/$1 f i=0
	rm -rf "$dir" && mkdir -p "$dir"
	case $name in
	yamljson|spec)
		while IFS= read -r -d '' f; do
			i=$((i + 1))
			cp "$f" "$dir/$i-$(basename "$f")"
		done < <(find "$root/test/fixtures" -path "$root/test/fixtures/shape" -prune \
			-o -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -print0)
		;;
	*)
		[ -d "$root/test/fuzz/seeds/$name" ] && cp "$root/test/fuzz/seeds/$name"/* "$dir"/
		;;
	esac
	printf '%s\n' "$dir"
}

failed=()
for bin in "$@"; do
	name=$(basename "$bin"); name=${name#fuzz_}
	corpus=$out/corpus/$name
	mkdir -p "$corpus"
	seeds=$(seeds_for "$name")
	log=$out/$name.log
	echo "-- fuzz_$name for ${seconds}s ($(find "$seeds" -type f | wc -l) seeds)"
	# -timeout: one input taking this long is a finding; the outer timeout
	# bounds the whole run whatever libFuzzer does.
	timeout -k 10 $((seconds + 60)) "$bin" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$name-" "$corpus" "$seeds" >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		failed+=("fuzz_$name")
		echo "fuzz: fuzz_$name failed (exit $rc); its log: $log" >&2
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 >&2
	else
		grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" | tr '\n' ' '
		echo
	fi
done

echo "== fuzz =="
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed: ${failed[*]}"
	exit 1
fi
echo "$# targets, ${seconds}s each, nothing found"
