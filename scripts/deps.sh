#!/usr/bin/env bash
# scripts/deps.sh — install every Debian 12 package that building and testing
# pgpod needs, and the en_US (UTF-8) locale the integration tests use.
#
# Idempotent and quick: when everything is present it prints one line and
# exits 0 (`make check` calls it every time). Otherwise it installs only what
# is missing, as root (through sudo when started as another user and sudo
# exists; else it prints the commands to run and exits 1).
#
# Debian's postgresql-15 would create and start a "main" cluster on port 5432
# (postgresql-common); before installing it, this script makes sure
# /etc/postgresql-common/createcluster.conf says `create_main_cluster = false`.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config
	libpq-dev libssl-dev openssl libjson-c-dev libyaml-dev libmicrohttpd-dev libcmocka-dev
	postgresql-15 postgresql-client-15 postgresql-contrib pgbackrest
	locales util-linux procps iproute2
	valgrind python3 jq curl wrk hyperfine
)
LOCALE_NAME=en_US		# exact name, as `locale -a` prints it; codeset UTF-8
CREATECLUSTER=/etc/postgresql-common/createcluster.conf

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

# One dpkg-query for all of them (a call per package costs ~20 ms each).
missing_packages() {
	local known p
	known=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null) || true
	for p in "$@"; do
		grep -qx -- "$p install ok installed" <<<"$known" || printf '%s\n' "$p"
	done
}

mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
need_locale=0
has_locale || need_locale=1

if [ "${#missing[@]}" -eq 0 ] && [ "$need_locale" -eq 0 ]; then
	say "all ${#PACKAGES[@]} packages and the $LOCALE_NAME locale are present"
	check_codeset
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	[ "${#missing[@]}" -eq 0 ] || say "missing packages: ${missing[*]}"
	[ "$need_locale" -eq 0 ] || say "missing locale: $LOCALE_NAME (UTF-8)"
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

check_codeset
say "done"
