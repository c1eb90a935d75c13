#!/usr/bin/env bash
# test/static/run_anywhere.sh PGPOD-STATIC — the proof that the static
# executable runs in any image (`make check-static`; root only): an empty
# directory gets pgpod-static, Debian's PostgreSQL 15 files and what *they*
# need — the shared libraries they load (postgres is not static) and /bin/sh,
# which initdb runs through popen() and postgres through system() for
# archive_command —, /etc/passwd, /etc/group and /etc/hosts: no /usr/bin, no
# tool of any kind, nothing pgpod itself loads. pgpod runs there
# as PID 1 of new PID and mount namespaces (unshare + chroot), with the spec
# and a Secret bind-mounted, and from outside:
#   - /readyz answers 200 (bootstrapped by initdb, the owner's password from
#     the Secret);
#   - a kill -9 of the postmaster is recovered (a new postmaster, /readyz 200
#     again) and leaves no zombie behind;
#   - SIGTERM makes pgpod (PID 1) exit 0, postgres shut down cleanly.
# Every wait is bounded; everything started is stopped by PID; the root is
# unmounted and removed at the end.
set -euo pipefail

BIN=$(readlink -f "${1:?usage: run_anywhere.sh PGPOD-STATIC}")
PG_BIN=$(pg_config --bindir)
PG_LIB=$(dirname "$PG_BIN")/lib
PG_SHARE=$(pg_config --sharedir)
[ "$(id -u)" = 0 ] || { echo "run_anywhere: needs root (namespaces, chroot, mounts)" >&2; exit 2; }

R=$(mktemp -d /tmp/pgpod-root.XXXXXX)
chmod 0755 "$R"
PORT=$((20000 + RANDOM % 20000)); PGPORT=$((PORT + 1))
NS_PID=
fails=0
cleanup() {
	[ -z "$NS_PID" ] || { kill -KILL "$NS_PID" 2>/dev/null || true; wait "$NS_PID" 2>/dev/null || true; }
	for m in dev/shm dev/null dev/zero dev/urandom dev/random spec secrets; do
		umount "$R/$m" 2>/dev/null || true
	done
	rm -rf "$R" "$R.spec" "$R.secrets" "$R.log"
}
trap cleanup EXIT
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
# wait_until TRIES CMD...: CMD until it succeeds, 0.1 s apart
wait_until() { local i; for i in $(seq 1 "$1"); do "${@:2}" && return 0; sleep 0.1; done; return 1; }
readyz() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT/readyz")" = 200 ]; }

# ---- the root
mkdir -p "$R"/{etc,tmp,proc,dev/shm,data,run,spec,secrets,usr/local/bin}
chmod 1777 "$R/tmp"
cp "$BIN" "$R/usr/local/bin/pgpod"
for d in "$PG_BIN" "$PG_LIB" "$PG_SHARE" /usr/share/zoneinfo; do
	mkdir -p "$R$(dirname "$d")" && cp -a "$d" "$R$d"
done
# PostgreSQL's shell, then the libraries postgres, its tools and that shell
# load (ldd of each ELF file), and the loader
mkdir -p "$R/bin" && cp -L /bin/sh "$R/bin/sh"
{ find "$PG_BIN" "$PG_LIB" "$R/bin/sh" -type f -print0 | xargs -0 ldd 2>/dev/null || true; } |
	awk '/=> \// { print $3 } /^\t\/lib|^\t\/usr/ { print $1 }' | sort -u |
	while read -r lib; do mkdir -p "$R$(dirname "$lib")"; cp -L "$lib" "$R$lib"; done
printf 'root:x:0:0:root:/:/nonexistent\npostgres:x:%s:%s:PostgreSQL:/data:/nonexistent\n' \
	"$(id -u postgres)" "$(id -g postgres)" >"$R/etc/passwd"
printf 'root:x:0:\npostgres:x:%s:\n' "$(id -g postgres)" >"$R/etc/group"
printf '127.0.0.1 localhost\n' >"$R/etc/hosts"
[ ! -e "$R/usr/bin" ] && [ "$(ls "$R/bin")" = sh ] || bad "the root holds more than /bin/sh of tools"
for dev in null zero urandom random; do touch "$R/dev/$dev"; mount --bind "/dev/$dev" "$R/dev/$dev"; done
mount -t tmpfs -o mode=1777,size=64M tmpfs "$R/dev/shm"

# ---- the spec and the Secret, mounted read-only as Kubernetes would
mkdir -p "$R.spec" "$R.secrets/app-secret"
# the image's example spec (initdb: database app owned by app, Secret app-secret)
cp "$(dirname "$0")/../../container/cluster-example.yaml" "$R.spec/spec.yaml"
printf app >"$R.secrets/app-secret/username"
printf 'anywhere-pw-1' >"$R.secrets/app-secret/password"
mount --bind -o ro "$R.spec" "$R/spec" && mount -o remount,bind,ro "$R/spec"
mount --bind "$R.secrets" "$R/secrets" && mount -o remount,bind,ro "$R/secrets"
chown postgres: "$R/data" "$R/run"

# ---- pgpod as PID 1 of new PID and mount namespaces, chrooted
unshare --pid --fork --mount-proc="$R/proc" --propagation private \
	chroot "$R" /usr/local/bin/pgpod run --spec /spec/spec.yaml --secrets-dir /secrets \
	--configmaps-dir /none --pgdata /data/pgdata --run-dir /run/pgpod --pg-bin "$PG_BIN" \
	--listen "127.0.0.1:$PORT" --pg-port "$PGPORT" --pg-listen 127.0.0.1 >"$R.log" 2>&1 &
NS_PID=$!
pid1() { pgrep -P "$NS_PID" | head -n 1; }
postmaster() { pgrep -P "$(pid1)" -x postgres | head -n 1; }
wait_until 1200 readyz && ok "/readyz 200 from outside, bootstrapped in the empty root" ||
	{ bad "/readyz never 200"; tail -n 20 "$R.log"; exit 1; }
P1=$(pid1)
[ "$(awk '{print $1}' "/proc/$P1/stat" 2>/dev/null)" = "$P1" ] &&
	grep -q '^NSpid:.*[[:space:]]1$' "/proc/$P1/status" && ok "pgpod is PID 1 of its namespace" ||
	bad "pgpod is not PID 1 in its namespace"
[ "$(readlink "/proc/$P1/root")" = "$R" ] && ok "its root is the prepared directory" || bad "root is $(readlink "/proc/$P1/root")"

# ---- kill -9 of the postmaster
PM=$(postmaster)
kill -KILL "$PM"
new_postmaster() { local p; p=$(postmaster); [ -n "$p" ] && [ "$p" != "$PM" ] && readyz; }
wait_until 600 new_postmaster && ok "kill -9 of the postmaster recovered" || bad "no recovery after kill -9"
zombies() { ps --ppid "$P1" -o stat= | grep -c '^Z' || true; }
no_zombie() { [ "$(zombies)" = 0 ]; }
wait_until 50 no_zombie && ok "no zombie left" || bad "$(zombies) zombies under PID 1"

# ---- SIGTERM to PID 1
kill -TERM "$P1"
rc=0
wait "$NS_PID" || rc=$?
NS_PID=
[ "$rc" = 0 ] && ok "SIGTERM: pgpod exited 0" || bad "SIGTERM: exit $rc"
grep -q '"msg":"database system is shut down"' "$R.log" && ok "postgres shut down cleanly" ||
	bad "no clean shutdown in the log"
grep -q 'anywhere-pw-1' "$R.log" && bad "the Secret's password is in the log" || ok "no password in the log"
[ "$fails" = 0 ] && echo "run_anywhere: all passed" || { echo "run_anywhere: $fails failed"; exit 1; }
