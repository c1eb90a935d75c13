#!/usr/bin/env bash
# Run pgpod on the embedded example spec: a temporary PGDATA, postgres on
# 127.0.0.1:55432, logs as JSON lines. Ctrl-C (SIGINT) or SIGTERM stops it
# cleanly; the temporary directory is removed only after pgpod has exited
# (postgres is still shutting down in it until then).
# Works as root (pgpod drops to the postgres user) and as any other user.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x ./pgpod ] || make -s
work=$(mktemp -d /tmp/pgpod-example.XXXXXX)
chmod 755 "$work"
pid=
cleanup() {
	# pgpod first: it stops postgres, which works in $work until it is down
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/secrets/app-secret"
printf 'app' > "$work/secrets/app-secret/username"
head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$work/secrets/app-secret/password"
chmod -R a+rX "$work/secrets"
echo "example: the app password is in $work/secrets/app-secret/password" >&2
echo "example: connect with psql \"host=127.0.0.1 port=55432 user=app dbname=app\"" >&2
./pgpod run --spec container/cluster-example.yaml \
	--secrets-dir "$work/secrets" --configmaps-dir "$work/configmaps" \
	--pgdata "$work/data/pgdata" --run-dir "$work/run" \
	--pg-port 55432 --pg-listen 127.0.0.1 --listen 127.0.0.1:58000 &
pid=$!
# a signal to this script is passed on; the loop waits until pgpod is gone
trap 'kill -INT "$pid" 2>/dev/null || true' INT
trap 'kill -TERM "$pid" 2>/dev/null || true' TERM
rc=0
while kill -0 "$pid" 2>/dev/null; do
	wait "$pid" && rc=0 || rc=$?
done
pid=
exit "$rc"
