# shellcheck shell=bash
# scripts/pkgs.sh — sourced by scripts/deps.sh and scripts/static.sh.
# missing_packages PKG...: the Debian packages of the list that are not
# installed, one a line; one dpkg-query for all of them (a call per package
# costs ~20 ms each).
missing_packages() {
	local known p
	known=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null) || true
	for p in "$@"; do
		grep -qx -- "$p install ok installed" <<<"$known" || printf '%s\n' "$p"
	done
}
