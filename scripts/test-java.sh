#!/usr/bin/env bash
# Tests the Java module (java/: the C library, libm2m_auth, through the
# Foreign Function & Memory API):
#   scripts/test-java.sh     `make test-java` (and `make test`) run it
#
# Picks a JDK 22+ (M2M_JAVA_HOME, else JAVA_HOME if it is 22+, else Temurin 25
# at /usr/lib/jvm/temurin-25-jdk-amd64, else another /usr/lib/jvm/* 22+; fails
# saying so if there is none), installs Maven with apt-get if missing, builds
# the library and the dev server with cargo unless M2M_AUTH_LIB_DIR (a
# directory holding libm2m_auth.so) and M2M_AUTH_DEVSERVER are set, then runs
# `mvn -B -q test` in java/ (Maven Central for the plugins, JUnit and Gson, into
# the default local repository): every shared conformance vector, the
# 1,000-thread herd, the HttpClient helper, the exceptions and canaries, the
# parity with tests/surface.json, the README's examples. Prints the
# conformance and herd figures and the test counts; exits non-zero on any
# failure.
. "$(dirname "$0")/lib.sh"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# ---- 1. a JDK 22+ and Maven ------------------------------------------------------
java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }
pick_java() {
  local jh major
  for jh in "${M2M_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$jh" ] && [ -x "$jh/bin/java" ] && [ -x "$jh/bin/javac" ] || continue
    major="$(java_major "$jh")"
    if [ -n "$major" ] && [ "$major" -ge 22 ]; then
      echo "$jh"
      return 0
    fi
  done
  return 1
}
if ! JAVA_HOME="$(pick_java)"; then
  echo "test-java: no JDK 22 or newer (the FFM API): expected Temurin 25 at /usr/lib/jvm/temurin-25-jdk-amd64," >&2
  echo "test-java: or set M2M_JAVA_HOME / JAVA_HOME to one (found: ${JAVA_HOME:-none}, $(ls /usr/lib/jvm 2>/dev/null | tr '\n' ' '))" >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
command -v mvn >/dev/null 2>&1 || apt_install maven
# JDK 24+ warns about Maven's own use of sun.misc.Unsafe (guava); not ours.
export MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"
# (Debian's Maven 3.8.7 prints ANSI codes whatever it is told: strip them.)
no_ansi() { sed 's/\x1b\[[0-9;]*m//g'; }
echo "test-java: JDK $(java_major "$JAVA_HOME") ($JAVA_HOME), $(mvn -B -v 2>/dev/null | no_ansi | sed -n 's/^\(Apache Maven [0-9.]*\).*/\1/p')"

# ---- 2. the library and the dev server --------------------------------------------
if [ -z "${M2M_AUTH_LIB_DIR:-}" ]; then
  echo "test-java: building libm2m_auth"
  "$CARGO" build -q -p m2m-auth-c
  M2M_AUTH_LIB_DIR="$TARGET_DIR/debug"
fi
[ -n "${M2M_AUTH_DEVSERVER:-}" ] || build_devserver
LIB="$(cd "$M2M_AUTH_LIB_DIR" && pwd)/libm2m_auth.so"
DEVSERVER="$(cd "$(dirname "$M2M_AUTH_DEVSERVER")" && pwd)/$(basename "$M2M_AUTH_DEVSERVER")"
for f in "$LIB" "$DEVSERVER"; do
  [ -e "$f" ] || { echo "test-java: missing $f" >&2; exit 1; }
done
echo "test-java: built (${SECONDS} s)"

# ---- 3. the JUnit suite ------------------------------------------------------------
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
rm -rf java/target/surefire-reports
rc=0
(cd java && mvn -B -q -Dstyle.color=never test -Dm2m.auth.library="$LIB" -Dm2m.auth.devserver="$DEVSERVER" \
  -Dm2m.auth.root="$ROOT") 2>&1 | no_ansi || rc=$?

# ---- 4. figures --------------------------------------------------------------------
totals="$(cat java/target/surefire-reports/TEST-*.xml 2>/dev/null |
  sed -n 's/.*<testsuite [^>]*tests="\([0-9]*\)"[^>]*errors="\([0-9]*\)"[^>]*skipped="\([0-9]*\)"[^>]*failures="\([0-9]*\)".*/\1 \2 \3 \4/p' |
  awk '{t+=$1; e+=$2; s+=$3; f+=$4} END {printf "%d tests, %d failures, %d errors, %d skipped", t, f, e, s}')"
echo "test-java: ${totals:-no test reports} (${SECONDS} s in all)"
if [ "$rc" -ne 0 ]; then
  echo "test-java: FAILED" >&2
  exit "$rc"
fi
echo "test-java: ok"
