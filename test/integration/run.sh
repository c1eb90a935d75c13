#!/usr/bin/env bash
# test/integration/run.sh — run pgpod's integration tests against a real
# PostgreSQL: every test/integration/t_*.sh, or only those named.
#
#   test/integration/run.sh                    all files
#   test/integration/run.sh t_run.sh           one file
#   test/integration/run.sh t_run.sh test_x    one test of one file
#   IT_KEEP=1 ...                              keep each test's /tmp directory
#
# Ends with the line "== integration tests ==" and then "N passed, N failed";
# exits 1 when a test failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.." || exit 1

files=()
only=()
for a in "$@"; do
	case $a in
	t_*.sh | */t_*.sh) files+=("$here/$(basename "$a")") ;;
	test_*) only+=("$a") ;;
	*) echo "usage: $0 [t_NAME.sh ...] [test_NAME ...]" >&2; exit 2 ;;
	esac
done
[ ${#files[@]} = 0 ] && files=("$here"/t_*.sh)

missing=()
command -v pg_config >/dev/null 2>&1 || missing+=(pg_config)
command -v jq >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 || missing+=("jq or python3")
command -v timeout >/dev/null 2>&1 || missing+=(timeout)
[ "$(id -u)" = 0 ] && { command -v runuser >/dev/null 2>&1 || missing+=(runuser); }
[ "$(id -u)" = 0 ] && { id postgres >/dev/null 2>&1 || missing+=("the postgres OS user"); }
if [ ${#missing[@]} -gt 0 ]; then
	echo "integration tests need: ${missing[*]} (run scripts/deps.sh)" >&2
	echo "== integration tests =="
	echo "0 passed, 1 failed"
	exit 1
fi

results=$(mktemp /tmp/pgpod-it-results.XXXXXX)
trap 'rm -f "$results"' EXIT
export IT_RESULTS=$results
export IT_ONLY="${only[*]:-}"

for f in "${files[@]}"; do
	if [ ! -f "$f" ]; then
		echo "FAIL $(basename "$f"): no such test file" | tee -a "$results"
		continue
	fi
	echo "=== $(basename "$f")"
	bash "$f"
	rc=$?
	# a file that died without reporting a test still counts as a failure
	if [ $rc != 0 ] && ! grep -q "^FAIL $(basename "$f"):" "$results"; then
		echo "FAIL $(basename "$f"):(exit $rc)" >>"$results"
	fi
done

passed=$(grep -c '^PASS ' "$results")
failed=$(grep -c '^FAIL ' "$results")
if [ "$failed" != 0 ]; then
	echo
	echo "failed:"
	sed -n 's/^FAIL /  /p' "$results"
fi
echo "== integration tests =="
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
