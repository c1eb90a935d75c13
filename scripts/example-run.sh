#!/usr/bin/env bash
# Run pgpod on the embedded example spec: a temporary PGDATA, postgres on
# 127.0.0.1:55432, logs as JSON lines. Ctrl-C (SIGINT) stops it cleanly and
# the temporary directory is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x ./pgpod ] || make -s
work=$(mktemp -d /tmp/pgpod-example.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/secrets/app-secret"
printf 'app' > "$work/secrets/app-secret/username"
head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$work/secrets/app-secret/password"
echo "example: the app password is in $work/secrets/app-secret/password" >&2
echo "example: connect with psql \"host=127.0.0.1 port=55432 user=app dbname=app\"" >&2
./pgpod run --spec container/cluster-example.yaml \
	--secrets-dir "$work/secrets" --configmaps-dir "$work/configmaps" \
	--pgdata "$work/data/pgdata" --run-dir "$work/run" \
	--pg-port 55432 --pg-listen 127.0.0.1 --listen 127.0.0.1:58000 || rc=$?
exit "${rc:-0}"
