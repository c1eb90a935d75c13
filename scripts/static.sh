#!/usr/bin/env bash
# scripts/static.sh — build the libraries that `make static` links into
# pgpod-static, with musl (Debian's musl-tools), from Debian 12's source
# packages pinned in static/sources.txt (version and sha256 of each .orig
# tarball).
#
#   scripts/static.sh [NAME...]   build the named libraries (default: all),
#                                 each once: a stamp under build/static/stamp
#                                 records what was built, and a library is
#                                 built again only when its version, its
#                                 checksum, its recipe below or a library it
#                                 needs changed.
#
# Everything goes under build/static/ (gitignored): dl/ the downloaded source
# packages, src/ the unpacked trees, prefix/ the installed headers and .a
# files, log/ one build log per library (its tail is printed on failure).
#
# What it may need as root (through sudo, as scripts/deps.sh does, when it is
# not root): the Debian packages musl-tools and cmake, and a deb-src entry for
# bookworm (SRC_LIST below) followed by `apt-get update`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# the same library builds whether `make static` runs this or a shell does:
# no MAKELEVEL, jobserver or flags of the calling make reach the recipes
unset MAKELEVEL MAKEFLAGS MFLAGS
ROOT=$(pwd)

OUT=${STATIC_DIR:-$ROOT/build/static}
DL=$OUT/dl
SRC=$OUT/src
PREFIX=$OUT/prefix
STAMPS=$OUT/stamp
LOGS=$OUT/log
JOBS=${STATIC_JOBS:-2}
# musl-gcc with the Linux kernel's headers (linux/, asm/, asm-generic/ from
# Debian's linux-libc-dev), which musl-gcc leaves out and OpenSSL includes
MUSL_CC=$OUT/bin/musl-cc
KERNEL_INC=$OUT/kernel-include
SOURCES=$ROOT/static/sources.txt
SRC_LIST=/etc/apt/sources.list.d/pgpod-static-src.sources
TOOLS=(musl-tools linux-libc-dev cmake make xz-utils bzip2)
# -O2 and nothing machine-specific: the result runs on any x86-64
LIB_CFLAGS="-O2 -fno-plt"

say() { printf 'static: %s\n' "$*"; }
die() { say "$*"; exit 1; }

# As root: run it. Otherwise through sudo when there is one; else print it.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -- "$@"
	else
		say "not root and no sudo; run as root: $*"
		return 1
	fi
}

. "$(dirname "${BASH_SOURCE[0]}")/pkgs.sh"	# missing_packages

ensure_tools() {
	local missing
	mapfile -t missing < <(missing_packages "${TOOLS[@]}")
	[ "${#missing[@]}" -gt 0 ] || return 0
	say "installing: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${missing[@]}"
}

# The deb-src entry: the same mirrors as the deb lines of a Debian 12 image.
write_src_list() {
	cat <<'EOF'
# added by pgpod scripts/static.sh: Debian's source packages for `make static`
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

# apt's lists hold source package $1 at version $2. The records are captured
# first: `apt-cache showsrc | grep -q` kills apt-cache with SIGPIPE once grep
# has its match, and pipefail makes that a failure.
source_known() {
	local records
	records=$(apt-cache showsrc "$1" 2>/dev/null) || return 1
	grep -qx -- "Version: $2" <<<"$records"
}

# apt knows source package $1 at version $2; if not, adds the deb-src entry
# (once) and updates the lists.
ensure_source_known() {
	local pkg=$1 ver=$2
	source_known "$pkg" "$ver" && return 0
	if [ ! -e "$SRC_LIST" ]; then
		say "adding $SRC_LIST (deb-src for bookworm)"
		write_src_list | as_root tee "$SRC_LIST" >/dev/null
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update
	source_known "$pkg" "$ver" ||
		die "apt does not know source package $pkg=$ver (Debian may have replaced it: update static/sources.txt)"
}

# The pinned tarball in dl/, downloaded if absent, checked against its sha256.
fetch_verified() {
	local pkg=$1 ver=$2 file=$3 sum=$4 got
	if [ ! -f "$DL/$file" ]; then
		ensure_source_known "$pkg" "$ver"
		say "downloading source package $pkg=$ver"
		(cd "$DL" && apt-get source --download-only "$pkg=$ver" >"$LOGS/apt-$pkg.log" 2>&1) ||
			{ tail -20 "$LOGS/apt-$pkg.log"; die "apt-get source $pkg=$ver failed"; }
		[ -f "$DL/$file" ] || die "apt-get source $pkg=$ver brought no $file"
	fi
	got=$(sha256sum "$DL/$file" | cut -d' ' -f1)
	[ "$got" = "$sum" ] || die "$file: sha256 $got, pinned $sum (static/sources.txt)"
}

# A fresh tree src/NAME from the tarball (its one top directory stripped).
unpack() {
	local name=$1 file=$2
	rm -rf "${SRC:?}/$name"
	mkdir -p "$SRC/$name"
	tar -xf "$DL/$file" -C "$SRC/$name" --strip-components=1
}

# ---- the recipes: one function per library, run in its source tree -------

# OpenSSL: libssl.a + libcrypto.a, no shared objects, no loadable engines,
# providers or DSOs; the configuration and CA paths are Debian's (openssl.cnf
# in /usr/lib/ssl, certificates in /etc/ssl/certs through its links).
build_openssl() {
	# shellcheck disable=SC2086 # LIB_CFLAGS: flags, split on purpose
	CC=$MUSL_CC ./Configure linux-x86_64 --prefix="$PREFIX" --libdir=lib \
		--openssldir=/usr/lib/ssl \
		no-shared no-module no-dso no-engine no-tests no-afalgeng no-devcryptoeng \
		no-async no-comp no-legacy no-ssl3 no-srp $LIB_CFLAGS
	make -j"$JOBS" build_libs
	make install_dev
}

# libpq from PostgreSQL 15: configure, then only src/port, src/common and
# src/interfaces/libpq, as static archives; the headers pgpod includes.
build_libpq() {
	CC=$MUSL_CC CFLAGS="$LIB_CFLAGS" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib" \
		./configure --prefix="$PREFIX" --without-readline --without-icu \
		--without-gssapi --without-ldap --without-zlib --without-pam \
		--without-systemd --without-perl --without-python --without-tcl \
		--with-openssl
	# the headers src/port and src/common include (utils/errcodes.h, …):
	# PostgreSQL's make makes them only for `all` at MAKELEVEL 0
	make -C src/backend generated-headers
	make -C src/port -j"$JOBS" libpgport_shlib.a
	make -C src/common -j"$JOBS" libpgcommon_shlib.a
	make -C src/interfaces/libpq -j"$JOBS" all-static-lib
	install -d "$PREFIX/lib" "$PREFIX/include"
	install -m 0644 src/interfaces/libpq/libpq.a src/common/libpgcommon_shlib.a \
		src/port/libpgport_shlib.a "$PREFIX/lib/"
	install -m 0644 src/interfaces/libpq/libpq-fe.h src/interfaces/libpq/libpq-events.h \
		src/include/postgres_ext.h src/include/pg_config.h src/include/pg_config_ext.h \
		src/include/pg_config_manual.h src/include/pg_config_os.h "$PREFIX/include/"
}

# json-c: the static library only (no apps, no tests).
build_json_c() {
	cmake -S . -B _build -DCMAKE_C_COMPILER="$MUSL_CC" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_FLAGS="$LIB_CFLAGS" -DCMAKE_INSTALL_PREFIX="$PREFIX" \
		-DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON \
		-DBUILD_TESTING=OFF -DBUILD_APPS=OFF -DDISABLE_WERROR=ON
	cmake --build _build -j"$JOBS"
	cmake --install _build
}

# libyaml: the static library only (the .orig tarball has no configure).
build_libyaml() {
	cmake -S . -B _build -DCMAKE_C_COMPILER="$MUSL_CC" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_FLAGS="$LIB_CFLAGS" -DCMAKE_INSTALL_PREFIX="$PREFIX" \
		-DINSTALL_LIB_DIR=lib -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF
	cmake --build _build -j"$JOBS" --target yaml
	install -d "$PREFIX/lib" "$PREFIX/include"
	install -m 0644 _build/libyaml.a "$PREFIX/lib/"
	install -m 0644 include/yaml.h "$PREFIX/include/"
}

# libmicrohttpd: no HTTPS (pgpod puts OpenSSL in front), no GnuTLS, no
# libcurl; the library and its header only.
build_libmicrohttpd() {
	CC=$MUSL_CC CFLAGS="$LIB_CFLAGS" ./configure --prefix="$PREFIX" \
		--enable-static --disable-shared --disable-https --without-gnutls \
		--disable-curl --disable-doc --disable-examples
	make -C src/microhttpd -j"$JOBS"
	make -C src/microhttpd install
	make -C src/include install
}

# ---- the driver ------------------------------------------------------------

# The compiler every recipe uses: musl-gcc, plus the kernel's headers alone
# (links to them, not the rest of /usr/include, which is glibc's).
make_compiler() {
	local d
	mkdir -p "$OUT/bin" "$KERNEL_INC"
	for d in linux asm-generic; do
		ln -sfn "/usr/include/$d" "$KERNEL_INC/$d"
	done
	ln -sfn /usr/include/x86_64-linux-gnu/asm "$KERNEL_INC/asm"
	printf '#!/bin/sh\n# made by scripts/static.sh\nexec musl-gcc -isystem %s "$@"\n' \
		"$KERNEL_INC" >"$MUSL_CC.tmp"
	chmod +x "$MUSL_CC.tmp"
	mv "$MUSL_CC.tmp" "$MUSL_CC"
}

declare -A KEY=()	# name -> what its stamp must say

# Stamp key: the pinned line, the recipe's text, the compiler and what it
# links against (libpq needs OpenSSL's headers and archives).
key_of() {
	local name=$1 line=$2 deps=
	[ "$name" = libpq ] && deps=${KEY[openssl]:-}
	printf '%s\n%s\n%s\n%s\n' "$line" "$(declare -f "build_${name//-/_}")" \
		"$(musl-gcc -dumpversion 2>/dev/null) $LIB_CFLAGS" "$deps" | sha256sum | cut -d' ' -f1
}

build_one() {
	local name=$1 pkg=$2 ver=$3 file=$4 sum=$5 key=$6 started rc
	fetch_verified "$pkg" "$ver" "$file" "$sum"
	say "building $name ($pkg $ver), log in ${LOGS#"$ROOT"/}/$name.log"
	started=$(date +%s)
	rm -f "$STAMPS/$name"
	unpack "$name" "$file"
	# not in an `if`: bash ignores set -e inside a condition, and a recipe
	# would go on after a failed step and leave a stamp behind
	set +e
	(set -e; cd "$SRC/$name"; "build_${name//-/_}") >"$LOGS/$name.log" 2>&1
	rc=$?
	set -e
	if [ "$rc" -ne 0 ]; then
		tail -40 "$LOGS/$name.log"
		die "building $name failed (whole log: $LOGS/$name.log)"
	fi
	printf '%s\n' "$key" >"$STAMPS/$name"
	say "built $name in $(( $(date +%s) - started )) s"
}

main() {
	local name pkg ver file sum line want=("$@") missing=()
	mkdir -p "$DL" "$SRC" "$PREFIX" "$STAMPS" "$LOGS"
	while read -r name pkg ver file sum; do
		case $name in '' | '#'*) continue ;; esac
		line="$name $pkg $ver $file $sum"
		KEY[$name]=$(key_of "$name" "$line")
		if [ "${#want[@]}" -gt 0 ] && ! grep -qx -- "$name" < <(printf '%s\n' "${want[@]}"); then
			continue
		fi
		if [ "$(cat "$STAMPS/$name" 2>/dev/null)" = "${KEY[$name]}" ]; then
			continue
		fi
		missing+=("$line ${KEY[$name]}")
	done <"$SOURCES"
	if [ "${#missing[@]}" -eq 0 ]; then
		say "libraries up to date in ${PREFIX#"$ROOT"/}"
		return 0
	fi
	ensure_tools
	make_compiler
	for line in "${missing[@]}"; do
		# shellcheck disable=SC2086 # the fields of one line
		build_one $line
	done
	say "libraries ready in ${PREFIX#"$ROOT"/}"
}

main "$@"
