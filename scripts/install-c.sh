#!/usr/bin/env bash
# Installs or uninstalls the C library (`make install`, `make uninstall` run it):
#
#   scripts/install-c.sh build       builds libm2m_auth with cargo's `dist` profile
#   scripts/install-c.sh install     builds it, then installs it
#   scripts/install-c.sh uninstall   removes exactly the files `install` puts
#   scripts/install-c.sh files       prints them (with DESTDIR), one a line
#
# What it installs (LIBDIR and INCLUDEDIR default to PREFIX/lib, PREFIX/include):
#   LIBDIR/libm2m_auth.so.X.Y.Z      the shared library, soname libm2m_auth.so.SOVER, stripped:
#                                    its debug info (line tables) goes to the build directory,
#                                    TARGET_DIR/dist/libm2m_auth.so.X.Y.Z.debug, not installed
#                                    (scripts/package-c.sh ships it; copy it beside the
#                                    library for file:line in gdb or perf)
#   LIBDIR/libm2m_auth.so.SOVER, LIBDIR/libm2m_auth.so   symlinks to it
#   LIBDIR/libm2m_auth.a             the static library (debug info stripped)
#   INCLUDEDIR/m2m_auth.h            the header
#   LIBDIR/pkgconfig/m2m_auth.pc     pkg-config (Libs.private: the static library's system libraries)
#   LIBDIR/cmake/m2m_auth/m2m_authConfig.cmake, m2m_authConfigVersion.cmake
#                                    find_package(m2m_auth): m2m_auth::m2m_auth (shared),
#                                    m2m_auth::m2m_auth_static (static)
# SOVER follows cargo-c's default (bindings/c/build.rs sets the soname): the
# major version from 1.0, "0.MINOR" for 0.x. The .pc and CMake files find
# the prefix relative to where they are, so an installed tree can be moved
# (scripts/package-c.sh tars one).
#
# Environment: PREFIX (/usr/local), DESTDIR (staging root, empty), LIBDIR,
# INCLUDEDIR, CARGO (cargo), CARGO_TARGET_DIR. Without cargo on PATH,
# `install` installs what an earlier build left in the target directory
# (`make c-lib` as yourself, then `sudo make install`).
# `build` needs cargo.
. "$(dirname "$0")/lib.sh"

action="${1:-}"
case "$action" in
  build | install | uninstall | files) ;;
  *) echo "usage: $0 build|install|uninstall|files" >&2; exit 2 ;;
esac

PREFIX="${PREFIX:-/usr/local}"
LIBDIR="${LIBDIR:-$PREFIX/lib}"
INCLUDEDIR="${INCLUDEDIR:-$PREFIX/include}"
DESTDIR="${DESTDIR:-}"
for dir in "$PREFIX" "$LIBDIR" "$INCLUDEDIR"; do
  case "$dir" in
    /*) ;;
    *) echo "$SCRIPT_NAME: PREFIX, LIBDIR and INCLUDEDIR must be absolute paths (got $dir)" >&2; exit 2 ;;
  esac
done

version="$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n1)"
IFS=. read -r major minor patch <<<"${version%%[-+]*}"
if [ "$major" = 0 ] && [ "$minor" = 0 ]; then
  sover="0.0.$patch"
elif [ "$major" = 0 ]; then
  sover="0.$minor"
else
  sover="$major"
fi
so_file="libm2m_auth.so.$major.$minor.$patch"
CMAKEDIR="$LIBDIR/cmake/m2m_auth"

# Every installed path, without DESTDIR.
installed_files() {
  printf '%s\n' "$LIBDIR/$so_file" "$LIBDIR/libm2m_auth.so.$sover" "$LIBDIR/libm2m_auth.so" \
    "$LIBDIR/libm2m_auth.a" "$INCLUDEDIR/m2m_auth.h" "$LIBDIR/pkgconfig/m2m_auth.pc" \
    "$CMAKEDIR/m2m_authConfig.cmake" "$CMAKEDIR/m2m_authConfigVersion.cmake"
}

if [ "$action" = files ]; then
  installed_files | sed "s|^|$DESTDIR|"
  exit 0
fi

if [ "$action" = uninstall ]; then
  installed_files | while IFS= read -r f; do
    if [ -e "$DESTDIR$f" ] || [ -L "$DESTDIR$f" ]; then
      rm -f "$DESTDIR$f"
      echo "removed $DESTDIR$f"
    fi
  done
  # Only the package's own directory; lib/, include/ and the like are shared.
  rmdir "$DESTDIR$CMAKEDIR" 2>/dev/null || true
  exit 0
fi

# ---- build -----------------------------------------------------------------------
built="$TARGET_DIR/dist"
native_file="$built/m2m_auth-native-static-libs"
if command -v "$CARGO" >/dev/null 2>&1; then
  # `cargo rustc` is the build itself: rustc prints the system libraries the
  # static library needs, and cargo replays that note when nothing changed.
  out="$("$CARGO" rustc -q --profile dist -p m2m-auth-c --lib -- --print native-static-libs 2>&1)" || {
    printf '%s\n' "$out" >&2
    exit 1
  }
  sed -n 's/.*native-static-libs: //p' <<<"$out" | tail -n1 >"$native_file"
elif [ "$action" = build ] || [ ! -s "$native_file" ]; then
  echo "$SCRIPT_NAME: no cargo on PATH and no earlier build in $built (run \`make c-lib\` first)" >&2
  exit 1
fi
native="$(cat "$native_file")"
[ -n "$native" ] || { echo "$SCRIPT_NAME: rustc printed no native-static-libs" >&2; exit 1; }
soname="$(readelf -d "$built/libm2m_auth.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
if [ "$soname" != "libm2m_auth.so.$sover" ]; then
  echo "$SCRIPT_NAME: the library's soname is '$soname', expected libm2m_auth.so.$sover (bindings/c/build.rs)" >&2
  exit 1
fi

[ "$action" = install ] || exit 0

# ---- install ----------------------------------------------------------------------
# Paths relative to the directory of the file that uses them, so the tree can move.
rel() { realpath -m --relative-to="$1" "$2"; }
pc_prefix="\${pcfiledir}/$(rel "$LIBDIR/pkgconfig" "$PREFIX")"
cmake_prefix="$(rel "$CMAKEDIR" "$PREFIX")"
libdir_rel="$(rel "$PREFIX" "$LIBDIR")"
includedir_rel="$(rel "$PREFIX" "$INCLUDEDIR")"
# "-lgcc_s -lutil" -> "gcc_s;util" (CMake's INTERFACE_LINK_LIBRARIES).
cmake_native="$(sed -e 's/^ *-l//' -e 's/ *-l/;/g' <<<"$native")"

d="$DESTDIR"
install -d "$d$LIBDIR/pkgconfig" "$d$CMAKEDIR" "$d$INCLUDEDIR"
install -m 755 "$built/libm2m_auth.so" "$d$LIBDIR/$so_file"
split_debug "$d$LIBDIR/$so_file" "$built/$so_file.debug"
ln -sfn "$so_file" "$d$LIBDIR/libm2m_auth.so.$sover"
ln -sfn "$so_file" "$d$LIBDIR/libm2m_auth.so"
# The archive carries the standard library's debug info (39 -> 30 MB without).
strip --strip-debug -o "$d$LIBDIR/libm2m_auth.a" "$built/libm2m_auth.a"
chmod 644 "$d$LIBDIR/libm2m_auth.a"
install -m 644 include/m2m_auth.h "$d$INCLUDEDIR/m2m_auth.h"
subst() {
  sed -e "s|@PREFIX@|$pc_prefix|" -e "s|@LIBDIR@|\${prefix}/$libdir_rel|" \
    -e "s|@INCLUDEDIR@|\${prefix}/$includedir_rel|" -e "s|@VERSION@|$version|g" \
    -e "s|@NATIVE_STATIC_LIBS@|$native|" -e "s|@CMAKE_NATIVE_LIBS@|$cmake_native|" \
    -e "s|@CMAKE_PREFIX_REL@|$cmake_prefix|" -e "s|@LIBDIR_REL@|$libdir_rel|" \
    -e "s|@INCLUDEDIR_REL@|$includedir_rel|" -e "s|@SO_FILE@|$so_file|" \
    -e "s|@SONAME@|$soname|" -e "s|@MAJOR@|$major|" -e "s|@MINOR@|$minor|" "$1"
}
subst bindings/c/m2m_auth.pc.in | grep -v '^# ' >"$d$LIBDIR/pkgconfig/m2m_auth.pc"
subst bindings/c/cmake/m2m_authConfig.cmake.in >"$d$CMAKEDIR/m2m_authConfig.cmake"
subst bindings/c/cmake/m2m_authConfigVersion.cmake.in >"$d$CMAKEDIR/m2m_authConfigVersion.cmake"
chmod 644 "$d$LIBDIR/pkgconfig/m2m_auth.pc" "$d$CMAKEDIR"/*.cmake
installed_files | sed "s|^|installed $d|"
