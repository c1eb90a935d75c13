#!/usr/bin/env bash
# test/unit/run.sh — run the cmocka unit-test binaries and add up the results.
#
#   test/unit/run.sh test/unit/test_a test/unit/test_b ...   (what `make unit` does)
#   VALGRIND=1 test/unit/run.sh ...                          (each under valgrind)
#   UNIT_TIMEOUT=SECONDS                                     (per binary; default 300, 900 under valgrind)
#
# Counts come from cmocka's summary lines ("[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s), listed below:"); a binary that crashes, hangs or exits
# non-zero without reporting a failed test counts as one more failure. Ends with
# "== unit tests ==" and then "N passed, N failed"; exits 1 if anything failed.
set -uo pipefail

export CMOCKA_MESSAGE_OUTPUT=stdout

runner=()
timeout_s=${UNIT_TIMEOUT:-300}
if [ "${VALGRIND:-0}" = "1" ]; then
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "unit: VALGRIND=1 but valgrind is not installed (scripts/deps.sh installs it)" >&2
		exit 1
	fi
	runner=(valgrind --leak-check=full --error-exitcode=99 --quiet)
	timeout_s=${UNIT_TIMEOUT:-900}
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgpod-unit.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

total_pass=0
total_fail=0
total_skip=0
broken=()

for bin in "$@"; do
	echo "-- $bin${runner:+ (under valgrind)}"
	if [ ! -x "$bin" ]; then
		echo "unit: $bin: not found or not executable" >&2
		total_fail=$((total_fail + 1))
		broken+=("$bin (missing)")
		continue
	fi
	case "$bin" in */*) path=$bin ;; *) path=./$bin ;; esac
	# cmocka prints progress on stdout but its summary and failure messages
	# on stderr: one file, stdout line-buffered, keeps the lines whole and in order.
	timeout --kill-after=10 "$timeout_s" stdbuf -oL -eL "${runner[@]}" "$path" \
		>"$tmp/out" 2>&1 </dev/null
	rc=$?
	cat "$tmp/out"

	# Sum every group's summary (a binary may run several groups).
	read -r pass fail skip summaries < <(awk '
		function num(re,   t) {	# the count in the summary line matching re
			if (!match($0, re)) return -1
			t = substr($0, RSTART + 13)
			return t + 0
		}
		(n = num("\\[  PASSED  \\] [0-9]+ test\\(s\\)\\.")) >= 0            { p += n; s++; next }
		(n = num("\\[  FAILED  \\] [0-9]+ test\\(s\\), listed below:")) >= 0 { f += n; s++; next }
		(n = num("\\[  SKIPPED \\] [0-9]+ test\\(s\\), listed below:")) >= 0 { k += n; next }
		/^\[       OK \] /                   { ok++ }
		/^\[  (FAILED|ERROR) +\] [^0-9]/     { bad++ }
		END {
			if (s == 0) { p = ok; f = bad }   # no summary: crashed or killed mid-run
			printf "%d %d %d %d\n", p, f, k, s
		}' "$tmp/out")

	why=""
	if [ "$summaries" -eq 0 ]; then
		why="no cmocka summary"
	fi
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] || [ "$summaries" -eq 0 ]; then
		case $rc in
		0) ;;
		124) why="${why:+$why, }timed out after ${timeout_s}s" ;;
		137) why="${why:+$why, }killed by SIGKILL (timeout or out of memory)" ;;
		99) [ "${#runner[@]}" -gt 0 ] && why="${why:+$why, }valgrind reported errors" || why="${why:+$why, }exit 99" ;;
		*) if [ "$rc" -gt 128 ]; then
			why="${why:+$why, }killed by signal $((rc - 128))"
		   else
			why="${why:+$why, }exit $rc"
		   fi ;;
		esac
		fail=$((fail + 1))
		broken+=("$bin (${why:-exit $rc})")
	elif [ "$fail" -gt 0 ]; then
		broken+=("$bin ($fail failed)")
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	echo "-- $bin: $pass passed, $fail failed${why:+ ($why)}"
done

if [ "$#" -eq 0 ]; then
	echo "unit: no test binaries given" >&2
	total_fail=$((total_fail + 1))
	broken+=("(no test binaries)")
fi

for b in "${broken[@]}"; do
	echo "unit: FAILED: $b"
done
echo "== unit tests =="
if [ "$total_skip" -gt 0 ]; then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]
