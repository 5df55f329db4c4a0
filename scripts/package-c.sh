#!/usr/bin/env bash
# Builds the C binary tarball users unpack into a prefix:
#
#   scripts/package-c.sh [DIST_DIR]
#
# writes DIST_DIR/m2m_auth-VERSION-x86_64-linux-gnu.tar.gz (DIST_DIR: the
# argument, else $M2M_AUTH_DIST, else dist/): `make install DESTDIR=staging
# PREFIX=/usr/local` (cargo's dist profile; scripts/install-c.sh lists the
# files), tarred from inside the prefix, so it holds lib/ (the shared library
# with its soname symlinks, the static library, pkgconfig/m2m_auth.pc,
# cmake/m2m_auth/) and include/m2m_auth.h. The .pc and CMake files are
# relative to where they are: `tar -xzf ... -C /any/prefix` works. The
# library's debug info goes to DIST_DIR/debug/ (scripts/release.sh tars it).
# Idempotent; reuses cargo's build. Environment: CARGO, CARGO_TARGET_DIR,
# M2M_AUTH_DIST.
. "$(dirname "$0")/lib.sh"

dist="${1:-$DIST_DIR}"
mkdir -p "$dist"
dist="$(cd "$dist" && pwd)"
apt_install make binutils
version="$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n1)"
arch="$(uname -m)"
tarball="$dist/m2m_auth-$version-$arch-linux-gnu.tar.gz"

staging="$(mktemp -d)"
on_exit "rm -rf '$staging'"
make -s install DESTDIR="$staging" PREFIX=/usr/local CARGO="$CARGO" >/dev/null
# Same bytes for the same files: fixed owner, order and times (the commit's).
mtime="$(git log -1 --format=%ct 2>/dev/null || date +%s)"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
  -C "$staging/usr/local" -cf - lib include | gzip -n >"$tarball.tmp"
mv "$tarball.tmp" "$tarball"
so_file="$(cd "$staging/usr/local/lib" && ls libm2m_auth.so.*.*.*)"
mkdir -p "$dist/debug"
cp "$TARGET_DIR/dist/$so_file.debug" "$dist/debug/"
echo "$SCRIPT_NAME: $tarball ($(stat -c %s "$tarball") bytes)"
