#!/usr/bin/env bash
# scripts/deps.sh — install every Debian 12 package that building and testing
# pgpod needs (the static build's musl and the image's mmdebstrap, buildah
# and podman included), and the en_US (UTF-8) locale the integration tests use.
#
# Idempotent and quick: when everything is present it prints one line and
# exits 0 (`make check` calls it every time). Otherwise it installs only what
# is missing, as root (through sudo when started as another user and sudo
# exists; else it prints the commands to run and exits 1).
#
# Debian's postgresql-15 would create and start a "main" cluster on port 5432
# (postgresql-common); before installing it, this script makes sure
# /etc/postgresql-common/createcluster.conf says `create_main_cluster = false`.
#
# It also installs the npm package s3rver (an S3-compatible server that
# test/integration/s3.sh runs for pgBackRest's S3 repository tests) into
# $S3RVER_PREFIX, at a pinned version, from the npm registry.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config
	libpq-dev libssl-dev openssl libjson-c-dev libyaml-dev libmicrohttpd-dev libcmocka-dev
	postgresql-15 postgresql-client-15 postgresql-contrib pgbackrest barman-cli-cloud
	locales util-linux procps iproute2
	valgrind python3 jq curl wrk hyperfine
	clang libclang-rt-14-dev
	nodejs npm
	musl-tools linux-libc-dev cmake
	podman buildah mmdebstrap runc crun conmon netavark aardvark-dns fuse-overlayfs
	uidmap slirp4netns catatonit containernetworking-plugins
)
LOCALE_NAME=en_US		# exact name, as `locale -a` prints it; codeset UTF-8
CREATECLUSTER=/etc/postgresql-common/createcluster.conf
# s3rver 3.7.1 is the last release (2021); it runs on Debian 12's Node 18 (and
# on NodeSource's Node 20). Its dependencies are caret ranges that keep moving
# (color 5 is ESM-only and wants Node >= 18, for one), so the whole tree is
# pinned to the one tested: npm takes only versions published before
# S3RVER_BEFORE. test/integration/s3.sh looks for it in S3RVER_PREFIX (its
# IT_S3RVER_PREFIX); keep the two in step.
S3RVER_VERSION=3.7.1
S3RVER_BEFORE=2025-06-01
S3RVER_PREFIX=/opt/pgpod-test/s3rver
# written last by a complete install: an interrupted one is redone
S3RVER_MARK=$S3RVER_PREFIX/.pgpod-s3rver-version

say() { printf 'deps: %s\n' "$*"; }

installed() {
	local status
	status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
	[ "$status" = "install ok installed" ]
}

has_locale() {
	local all
	# captured first: `locale -a | grep -q` could kill locale with SIGPIPE,
	# which pipefail would report as "not found"
	all=$(locale -a 2>/dev/null) || return 1
	grep -qx -- "$LOCALE_NAME" <<<"$all"
}

# The tests need en_US to be a UTF-8 locale; an ISO-8859-1 en_US (made by
# someone else) is reported, not replaced.
check_codeset() {
	local charmap
	charmap=$(LC_ALL=$LOCALE_NAME locale charmap 2>/dev/null) || charmap=
	if [ "$charmap" != "UTF-8" ]; then
		say "warning: locale $LOCALE_NAME has codeset '${charmap:-?}', not UTF-8;" \
			"recreate it with: localedef -i en_US -f UTF-8 $LOCALE_NAME"
	fi
}

. "$(dirname "${BASH_SOURCE[0]}")/pkgs.sh"	# missing_packages

# s3rver is present at $S3RVER_VERSION: the mark of a complete install and
# the version in its package.json (no node start: this runs every time).
has_s3rver() {
	local pj=$S3RVER_PREFIX/node_modules/s3rver/package.json
	[ "$(cat "$S3RVER_MARK" 2>/dev/null)" = "$S3RVER_VERSION" ] &&
		grep -qE "^  \"version\": \"$S3RVER_VERSION\"," "$pj" 2>/dev/null
}

# npm into a fresh directory beside the prefix, then swapped in: the prefix
# never holds a half-installed tree. No install scripts: s3rver's tree has none.
install_s3rver() {
	local tmp=$S3RVER_PREFIX.new.$$
	say "installing s3rver@$S3RVER_VERSION (npm, dependencies published before $S3RVER_BEFORE) into $S3RVER_PREFIX"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	if ! timeout 600 npm install --prefix "$tmp" --no-audit --no-fund --no-update-notifier \
		--ignore-scripts --omit=dev --before="$S3RVER_BEFORE" "s3rver@$S3RVER_VERSION"; then
		rm -rf "$tmp"
		say "npm install s3rver@$S3RVER_VERSION failed"
		exit 1
	fi
	printf '%s\n' "$S3RVER_VERSION" >"$tmp/.pgpod-s3rver-version"
	chmod -R a+rX "$tmp"
	rm -rf "$S3RVER_PREFIX"
	mv "$tmp" "$S3RVER_PREFIX"
	has_s3rver || { say "s3rver is not at $S3RVER_VERSION in $S3RVER_PREFIX after npm install"; exit 1; }
	say "installed s3rver $S3RVER_VERSION"
}

mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
# NodeSource's nodejs (found on some images) bundles npm, Provides and
# Conflicts: npm — apt would refuse Debian's npm beside it: an npm command
# is enough.
if command -v npm >/dev/null 2>&1; then
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | grep -vx -e npm -e '')
fi
need_locale=0
has_locale || need_locale=1
need_s3rver=0
has_s3rver || need_s3rver=1

if [ "${#missing[@]}" -eq 0 ] && [ "$need_locale" -eq 0 ] && [ "$need_s3rver" -eq 0 ]; then
	say "all ${#PACKAGES[@]} packages, the $LOCALE_NAME locale and s3rver $S3RVER_VERSION are present"
	check_codeset
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	[ "${#missing[@]}" -eq 0 ] || say "missing packages: ${missing[*]}"
	[ "$need_locale" -eq 0 ] || say "missing locale: $LOCALE_NAME (UTF-8)"
	[ "$need_s3rver" -eq 0 ] || say "missing: s3rver $S3RVER_VERSION in $S3RVER_PREFIX"
	if command -v sudo >/dev/null 2>&1; then
		say "not root: re-running through sudo"
		exec sudo -- bash "$0" "$@"
	fi
	say "not root and sudo is not available; run as root:"
	if [ "${#missing[@]}" -gt 0 ]; then
		if ! installed postgresql-15; then
			printf '  test -e %s || { mkdir -p %s && echo "create_main_cluster = false" > %s; }\n' \
				"$CREATECLUSTER" "$(dirname "$CREATECLUSTER")" "$CREATECLUSTER"
		fi
		printf '  DEBIAN_FRONTEND=noninteractive apt-get update\n'
		printf '  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s\n' \
			"${missing[*]}"
	fi
	[ "$need_locale" -eq 0 ] || printf '  localedef -i en_US -f UTF-8 %s\n' "$LOCALE_NAME"
	if [ "$need_s3rver" -eq 1 ]; then
		printf '  rm -rf %s && npm install --prefix %s --no-audit --no-fund --ignore-scripts --omit=dev --before=%s s3rver@%s && echo %s > %s\n' \
			"$S3RVER_PREFIX" "$S3RVER_PREFIX" "$S3RVER_BEFORE" "$S3RVER_VERSION" "$S3RVER_VERSION" "$S3RVER_MARK"
	fi
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

if [ "${#missing[@]}" -gt 0 ]; then
	# No "main" cluster on 5432 from postgresql-common's postinst.
	if [ ! -e "$CREATECLUSTER" ]; then
		mkdir -p "$(dirname "$CREATECLUSTER")"
		printf 'create_main_cluster = false\n' >"$CREATECLUSTER"
		say "wrote $CREATECLUSTER (create_main_cluster = false)"
	elif ! installed postgresql-15 &&
		! grep -Eq '^[[:space:]]*create_main_cluster[[:space:]]*=' "$CREATECLUSTER"; then
		printf '\n# added by pgpod scripts/deps.sh\ncreate_main_cluster = false\n' >>"$CREATECLUSTER"
		say "added create_main_cluster = false to $CREATECLUSTER"
	fi

	say "installing: ${missing[*]}"
	apt-get update
	# keep our createcluster.conf (ucf) and any local conffile without asking
	UCF_FORCE_CONFFOLD=1 apt-get install -y --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}"
	mapfile -t still < <(missing_packages "${missing[@]}")
	if [ "${#still[@]}" -gt 0 ]; then
		say "still missing after apt-get install: ${still[*]}"
		exit 1
	fi
	say "installed: ${missing[*]}"
	# installing `locales` runs locale-gen, which rebuilds the locale archive
	has_locale && need_locale=0 || need_locale=1
fi

if [ "$need_locale" -eq 1 ]; then
	say "creating locale $LOCALE_NAME (en_US, UTF-8) with localedef"
	localedef -i en_US -f UTF-8 "$LOCALE_NAME"
	if ! has_locale; then
		say "localedef ran but \`locale -a\` does not list $LOCALE_NAME"
		exit 1
	fi
fi

# after the packages: Debian's npm may just have been installed
[ "$need_s3rver" -eq 0 ] || install_s3rver

check_codeset
say "done"
