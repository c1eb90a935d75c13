#!/usr/bin/env bash
# container/build.sh [IMAGE] — the pgpod OCI image, built without pulling
# anything from a container registry (`make image`; root, or a user with sudo):
#
#   1. mmdebstrap makes a Debian 12 root (variant minbase, from Debian's
#      mirror, bookworm + bookworm-updates + bookworm-security) with
#      PostgreSQL 15, pgBackRest, Barman Cloud (with boto3 for S3), the
#      locales, tzdata and the CA certificates. The postgres user is made
#      first, as uid/gid 26 (CloudNativePG's and PGO's images use 26, so
#      runAsUser/fsGroup carry over); Debian's "main" cluster is not
#      created; /usr/share/doc, man pages and apt's lists are left out.
#   2. ./pgpod-static (`make static`) goes in as /usr/local/bin/pgpod, and
#      `pgpod version` is run in the root: the build fails if it cannot run.
#   3. buildah makes the image from scratch over that root: entrypoint
#      ["/usr/local/bin/pgpod", "run"], the environment pgpod reads, ports
#      5432 and 8000, the volume /var/lib/postgresql/data, stop signal
#      SIGTERM. No USER: pgpod starts as root, reads the mounted Secrets,
#      prepares PGDATA and drops to postgres itself.
#
# IMAGE defaults to localhost/pgpod:latest. The downloaded packages are kept
# in build/image/debs/ (gitignored) so a second build downloads nothing new.
# podman and Docker can run the result (`podman save`/`buildah push` give a
# docker-archive or an OCI archive for `docker load`).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${1:-localhost/pgpod:latest}
POSTGRES_UID=26
WORK=build/image
MIRROR=http://deb.debian.org
PACKAGES=postgresql-15,postgresql-client-15,pgbackrest,barman-cli-cloud,python3-boto3,locales,tzdata,ca-certificates

say() { printf 'image: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

# mmdebstrap and buildah from Debian, installed when missing
need=()
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
command -v buildah >/dev/null 2>&1 || need+=(buildah)
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]} (Debian packages)"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2 ||
		die "cannot install ${need[*]}: run apt-get update, then again"
fi

[ -x pgpod-static ] || die "./pgpod-static is missing: run make static first (make image does)"
# static: no program interpreter, no shared library needed (binutils' readelf)
headers=$(readelf -l -d pgpod-static 2>&1) || die "./pgpod-static is not an ELF executable: run make static again"
! grep -q -e 'INTERP' -e '(NEEDED)' <<<"$headers" ||
	die "./pgpod-static is not a static executable: run make static again"

mkdir -p "$WORK/debs"
root_tar="$WORK/root.tar"
rm -f "$root_tar"

# the postgres user before postgresql-common's postinst would make one with
# whatever uid is free; base-passwd has written passwd and group by then
user_hook="printf 'postgres:x:$POSTGRES_UID:$POSTGRES_UID:PostgreSQL administrator:/var/lib/postgresql:/bin/sh\n' >>\"\$1/etc/passwd\";"
user_hook+=" printf 'postgres:x:$POSTGRES_UID:\n' >>\"\$1/etc/group\";"
user_hook+=" mkdir -p \"\$1/etc/postgresql-common\";"
user_hook+=" echo 'create_main_cluster = false' >\"\$1/etc/postgresql-common/createcluster.conf\""

# en_US as a UTF-8 locale under both names (CloudNativePG's examples use
# localeCollate 'en_US' with UTF8), the directories pgpod uses, pgpod itself
locale_hook='chroot "$1" localedef -i en_US -c -f UTF-8 -A /usr/share/locale/locale.alias en_US.UTF-8;'
locale_hook+=' chroot "$1" localedef -i en_US -c -f UTF-8 en_US'
dirs_hook='mkdir -p "$1/var/lib/postgresql/data" "$1/run/pgpod" "$1/etc/pgpod/secrets" "$1/etc/pgpod/configmaps" "$1/usr/local/share/pgpod";'
dirs_hook+=" chown $POSTGRES_UID:$POSTGRES_UID \"\$1/var/lib/postgresql/data\" \"\$1/run/pgpod\";"
dirs_hook+=' chmod 0700 "$1/var/lib/postgresql/data" "$1/run/pgpod";'
dirs_hook+=' test ! -e "$1/etc/postgresql/15/main"'
check_hook='chmod 0755 "$1/usr/local/bin/pgpod"; chroot "$1" /usr/local/bin/pgpod version >&2'

say "making the Debian 12 root with mmdebstrap ($PACKAGES)"
$SUDO mmdebstrap --variant=minbase --format=tar --include="$PACKAGES" \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
	--setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
	--setup-hook="sync-in $WORK/debs /var/cache/apt/archives/" \
	--essential-hook="$user_hook" \
	--customize-hook="$locale_hook" \
	--customize-hook="$dirs_hook" \
	--customize-hook='upload pgpod-static /usr/local/bin/pgpod' \
	--customize-hook='copy-in container/cluster-example.yaml container/statefulset-example.yaml /usr/local/share/pgpod' \
	--customize-hook="$check_hook" \
	--customize-hook="sync-out /var/cache/apt/archives $WORK/debs" \
	bookworm "$root_tar" \
	"deb $MIRROR/debian bookworm main" \
	"deb $MIRROR/debian bookworm-updates main" \
	"deb $MIRROR/debian-security bookworm-security main" ||
	die "mmdebstrap failed (its messages are above; the mirror is $MIRROR)"

say "making $IMAGE with buildah from scratch"
ctr=$($SUDO buildah from scratch 2>/dev/null)
trap '$SUDO buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
$SUDO buildah add "$ctr" "$root_tar" / >/dev/null 2>&1 || die "buildah add of $root_tar failed"
$SUDO buildah config \
	--entrypoint '["/usr/local/bin/pgpod", "run"]' --cmd '' \
	--env PATH=/usr/local/bin:/usr/lib/postgresql/15/bin:/usr/bin:/bin \
	--env PGPOD_SPEC=/etc/pgpod/cluster.yaml \
	--env PGPOD_SECRETS_DIR=/etc/pgpod/secrets \
	--env PGPOD_CONFIGMAPS_DIR=/etc/pgpod/configmaps \
	--env PGPOD_RUN_DIR=/run/pgpod \
	--env PGDATA=/var/lib/postgresql/data/pgdata \
	--env LANG=C.UTF-8 \
	--port 5432 --port 8000 --volume /var/lib/postgresql/data \
	--stop-signal SIGTERM --workingdir / \
	--label org.opencontainers.image.title=pgpod \
	--label org.opencontainers.image.description='PostgreSQL 15 supervised by pgpod (static) as PID 1' \
	--label "org.opencontainers.image.version=$(./pgpod-static version | sed -n '1s/^pgpod //p')" \
	"$ctr" 2>/dev/null || die "buildah config failed"
$SUDO buildah commit --rm "$ctr" "$IMAGE" >/dev/null 2>&1 || die "buildah commit of $IMAGE failed"
trap - EXIT
rm -f "$root_tar"
say "built $IMAGE: $($SUDO buildah images --format '{{.Size}}' "$IMAGE" 2>/dev/null | head -1)"
