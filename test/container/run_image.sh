#!/usr/bin/env bash
# test/container/run_image.sh [IMAGE] — the pgpod image run as a user runs it
# with `docker run` (`make check-image`; root, or a user with sudo; podman):
#
#   - the image: entrypoint `pgpod run`, no USER, pgpod static inside;
#   - `podman run -d` with ports published on 127.0.0.1, the spec and a
#     Secret (0644, root's, as Kubernetes mounts them) as read-only volumes,
#     an empty host directory as the data volume, POD_NAME and a PGPOD_*
#     variable in the environment: /readyz 200 from the host, the
#     application role logs in through the published port with the Secret's
#     password, `podman exec … pgpod status` says primary, pgpod is PID 1
#     and postgres runs as uid 26;
#   - `podman stop` (SIGTERM, then SIGKILL after the grace period): pgpod
#     exits 0 well within it, postgres shut down cleanly;
#   - `podman start` again on the same volume: ready, the row is there;
#   - a Secret missing: the container exits 2 naming it, and the termination
#     log (a file mounted at /dev/termination-log) says why.
#
# Every wait is bounded; the containers made here are removed by name and
# the work directory at the end.
set -euo pipefail

IMAGE=${1:-localhost/pgpod:latest}
GRACE=60
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
W=$(mktemp -d /tmp/pgpod-image.XXXXXX)
NAME=pgpod-it-$$
PGPORT=$((20000 + RANDOM % 20000)); HTTPPORT=$((PGPORT + 1))
fails=0
cleanup() {
	$SUDO podman rm -f -t 0 "$NAME" "$NAME-bad" >/dev/null 2>&1 || true
	$SUDO rm -rf "$W"
}
trap cleanup EXIT
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
# wait_until TRIES CMD...: CMD until it succeeds, 0.2 s apart
wait_until() { local i; for i in $(seq 1 "$1"); do "${@:2}" && return 0; sleep 0.2; done; return 1; }
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$HTTPPORT$1" || true; }
readyz() { [ "$(http_code /readyz)" = 200 ]; }
pod_run() { $SUDO podman run "${POD_OPTS[@]}" "$@"; }
logs() { $SUDO podman logs "$NAME" >"$W/log" 2>&1 || true; }
state() { $SUDO podman inspect -f "$1" "$2" 2>/dev/null; }
sql() { PGPASSFILE="$W/pgpass" PGCONNECT_TIMEOUT=3 psql -X -At -v ON_ERROR_STOP=1 \
	"host=127.0.0.1 port=$PGPORT user=app dbname=app" -c "$1"; }

command -v podman >/dev/null 2>&1 || { echo "run_image: podman is missing (scripts/deps.sh installs it)" >&2; exit 2; }
$SUDO podman image exists "$IMAGE" || { echo "run_image: no image $IMAGE: run make image" >&2; exit 2; }

# ---- the image itself
[ "$(state '{{json .Config.Entrypoint}}' "$IMAGE")" = '["/usr/local/bin/pgpod","run"]' ] &&
	ok "entrypoint is pgpod run" || bad "entrypoint is $(state '{{json .Config.Entrypoint}}' "$IMAGE")"
[ -z "$(state '{{.Config.User}}' "$IMAGE")" ] && ok "no USER: pgpod starts as root and drops" ||
	bad "the image has USER $(state '{{.Config.User}}' "$IMAGE")"

# Podman's defaults, then what this machine needs. Podman asks the runtime
# to raise RLIMIT_NOFILE and RLIMIT_NPROC to 1048576 and 4194304; where the
# container manager itself runs with lower hard limits (this VM's does) that
# is refused, so limits within the host's are given. crun refuses a hybrid
# cgroup v1/v2 layout (this VM has one); runc takes it.
POD_OPTS=()
version_out=
for opts in "" "--ulimit nofile=1024:1024 --ulimit nproc=4096:4096" \
	"--runtime runc --ulimit nofile=1024:1024 --ulimit nproc=4096:4096"; do
	read -r -a POD_OPTS <<<"$opts"
	version_out=$($SUDO podman run "${POD_OPTS[@]}" --rm --entrypoint /usr/local/bin/pgpod "$IMAGE" version 2>&1) && break
	echo "# podman run ${opts:-(defaults)}: $(tail -n 1 <<<"$version_out")"
	version_out=
done
[ -n "$version_out" ] || { bad "podman cannot run a container here"; exit 1; }
[ ${#POD_OPTS[@]} = 0 ] || echo "# podman run with: ${POD_OPTS[*]}"
grep -q '^musl .*(static)' <<<"$version_out" && ok "pgpod version in the image: static, $(sed -n 's/^postgres //p' <<<"$version_out")" ||
	bad "pgpod version in the image: $version_out"

# ---- the spec, the Secret as Kubernetes mounts it, an empty data volume
mkdir -p "$W/secrets/app-secret" "$W/data"
cp container/cluster-example.yaml "$W/cluster.yaml"
printf app >"$W/secrets/app-secret/username"
printf 'image-pw-%s' "$$" >"$W/secrets/app-secret/password"
chmod 0644 "$W/cluster.yaml" "$W/secrets/app-secret/"*
chmod 0755 "$W" "$W/secrets" "$W/secrets/app-secret"
printf '127.0.0.1:%s:app:app:image-pw-%s\n' "$PGPORT" "$$" >"$W/pgpass"
chmod 0600 "$W/pgpass"
: >"$W/termination-log"
$SUDO chown -R 0:0 "$W/cluster.yaml" "$W/secrets" "$W/data"

pod_run -d --name "$NAME" --stop-timeout "$GRACE" \
	-p "127.0.0.1:$PGPORT:5432" -p "127.0.0.1:$HTTPPORT:8000" \
	-v "$W/cluster.yaml:/etc/pgpod/cluster.yaml:ro" \
	-v "$W/secrets:/etc/pgpod/secrets:ro" \
	-v "$W/data:/var/lib/postgresql/data" \
	-e POD_NAME=cluster-example-1 -e PGPOD_LOG_LEVEL=debug \
	"$IMAGE" >/dev/null
wait_until 600 readyz && ok "/readyz 200 from the host through the published port" ||
	{ bad "/readyz never 200"; $SUDO podman logs "$NAME" 2>&1 | tail -n 20; exit 1; }
[ "$(http_code /startupz)" = 200 ] && [ "$(http_code /healthz)" = 200 ] &&
	ok "/startupz and /healthz 200" || bad "/startupz $(http_code /startupz), /healthz $(http_code /healthz)"
wait_until 50 sql "create table t (v text); insert into t values ('kept')" >/dev/null &&
	ok "app logs in through the published port with the Secret's password" || bad "app cannot log in"
st=$($SUDO podman exec "$NAME" pgpod status 2>&1 || true)
grep -q '"isPrimary":true' <<<"$st" && ok "podman exec pgpod status: primary" || bad "pgpod status: $st"
[ "$($SUDO podman exec "$NAME" cat /proc/1/comm)" = pgpod ] && ok "pgpod is PID 1 in the container" ||
	bad "PID 1 is $($SUDO podman exec "$NAME" cat /proc/1/comm)"
pm_uid=$($SUDO podman exec "$NAME" sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = postgres ] && awk "/^Uid:/ {print \$2}" $p/status && break; done' || true)
[ "$pm_uid" = 26 ] && ok "postgres runs as uid 26" || bad "postgres runs as uid '$pm_uid'"
[ "$(stat -c %u "$W/data/pgdata")" = 26 ] && ok "PGDATA on the volume belongs to uid 26" ||
	bad "PGDATA belongs to uid $(stat -c %u "$W/data/pgdata" 2>&1)"
logs
grep -q '"level":"debug"' "$W/log" && ok "PGPOD_LOG_LEVEL=debug took effect" ||
	bad "no debug line in the log"

# ---- docker stop: SIGTERM, pgpod exits 0 within the grace period
t0=$(date +%s%N)
$SUDO podman stop -t "$GRACE" "$NAME" >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
rc=$(state '{{.State.ExitCode}}' "$NAME")
[ "$rc" = 0 ] && [ "$ms" -lt $((GRACE * 1000)) ] && ok "podman stop: exit 0 after $ms ms (grace ${GRACE} s)" ||
	bad "podman stop: exit $rc after $ms ms"
logs
grep -q '"msg":"database system is shut down"' "$W/log" &&
	ok "postgres shut down cleanly" || bad "no clean shutdown in the log"
grep -q "image-pw-$$" "$W/log" && bad "the password is in the log" || ok "no password in the log"

# ---- started again on the same volume
$SUDO podman start "$NAME" >/dev/null
wait_until 600 readyz && [ "$(wait_until 50 sql 'select v from t' 2>/dev/null)" = kept ] &&
	ok "podman start again: ready, the row is still there" || bad "not ready again, or the row is gone"
$SUDO podman stop -t "$GRACE" "$NAME" >/dev/null
[ "$(state '{{.State.ExitCode}}' "$NAME")" = 0 ] && ok "second stop: exit 0" || bad "second stop: exit $(state '{{.State.ExitCode}}' "$NAME")"

# ---- a Secret that is not there: exit 2, named, in the termination log
mkdir -p "$W/data2"
rc=0
out=$(pod_run --name "$NAME-bad" \
	-v "$W/cluster.yaml:/etc/pgpod/cluster.yaml:ro" -v "$W/data2:/var/lib/postgresql/data" \
	-v "$W/termination-log:/dev/termination-log" "$IMAGE" 2>&1) || rc=$?
[ "$rc" = 2 ] && grep -q 'app-secret' <<<"$out" && ok "missing Secret: exit 2, named" ||
	bad "missing Secret: exit $rc: $(tail -n 3 <<<"$out")"
grep -q 'app-secret' "$W/termination-log" && ok "the termination log names it" ||
	bad "termination log: $(cat "$W/termination-log")"
[ -z "$(ls -A "$W/data2")" ] && ok "nothing written to the data volume" || bad "data volume: $(ls -A "$W/data2")"

[ "$fails" = 0 ] && echo "run_image: all passed" || { echo "run_image: $fails failed"; exit 1; }
