#!/usr/bin/env bash
# The C#, Ruby and PHP samples (samples/: the seed tutorial's two steps over
# the C ABI) against the dev server. For each language:
#   - the sample gets a token, calls the dev server's /api with it (200), asks
#     again and prints its client's stats: the dev server counted exactly one
#     token request and one API request, and the sample printed
#     "token requests 1, cache hits 1" (the second call made no request);
#   - with a wrong secret it exits 1 printing the typed error's fields
#     (code=oauth error=invalid_client status=401);
#   - neither run printed the secret, nor anything like a JWT.
# One line per language: "samples: csharp ok (...)".
#
# Installs mono-devel, ruby, ruby-ffi and php-cli when missing (apt-get). Env:
# M2M_AUTH_LIB_DIR (a directory holding libm2m_auth.so) and M2M_AUTH_DEVSERVER
# (the dev server binary): when unset, cargo builds them (debug).
. "$(dirname "$0")/lib.sh"

started=$SECONDS
apt_install mono-devel ruby ruby-ffi php-cli
echo "$SCRIPT_NAME: packages ready in $((SECONDS - started)) s" >&2

if [ -n "${M2M_AUTH_LIB_DIR:-}" ]; then
  [ -n "${M2M_AUTH_DEVSERVER:-}" ] || build_devserver
else
  c_build
  M2M_AUTH_LIB_DIR="$TARGET_DIR/debug"
fi
LIB="$(cd "$M2M_AUTH_LIB_DIR" && pwd)/libm2m_auth.so"
[ -f "$LIB" ] || { echo "$SCRIPT_NAME: no $LIB" >&2; exit 1; }
OUT="$TARGET_DIR/samples"
mkdir -p "$OUT"

# PHP's FFI extension: built into Debian's php-cli; its default ffi.enable
# ("preload") allows FFI::cdef in the CLI.
php -r 'exit(extension_loaded("FFI") ? 0 : 1);' || { echo "$SCRIPT_NAME: php has no FFI extension" >&2; exit 1; }
[ "$(php -r 'echo ini_get("ffi.enable");')" != 0 ] || { echo "$SCRIPT_NAME: ffi.enable is off for php-cli" >&2; exit 1; }
mcs -nologo -warnaserror -out:"$OUT/quickstart.exe" -r:System.Net.Http.dll samples/csharp/Quickstart.cs

start_devserver
# dev_control PATH [BODY]: the dev server's control API (GET, or POST with
# BODY, even ""); the control token goes through the environment, never a command line.
dev_control() {
  DEV_CONTROL_TOKEN="$DEV_CONTROL_TOKEN" python3 -c 'import os, sys, urllib.request
body = sys.argv[2].encode() if len(sys.argv) > 2 else None
req = urllib.request.Request(sys.argv[1], data=body, method="POST" if body is not None else "GET",
    headers={"Authorization": "Bearer " + os.environ["DEV_CONTROL_TOKEN"], "Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=30).read().decode())' "$DEV_CONTROL_URL$1" "${@:2}"
}
counter() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$2"; }

# A client of its own with a secret that would stand out in any output.
SECRET="samples-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
dev_control /clients "{\"client_id\":\"samples-client\",\"client_secret\":\"$SECRET\",\"audiences\":[\"https://api.example.com\"]}" >/dev/null

# run_sample NAME SECRET COMMAND...: the sample with the settings, its stdout
# and stderr in $OUT/NAME.log; its exit status.
run_sample() {
  local name=$1 secret=$2
  shift 2
  M2M_AUTH_LIB="$LIB" AUTH0_DOMAIN="$DEV_URL" AUTH0_CLIENT_ID=samples-client AUTH0_CLIENT_SECRET="$secret" \
    API_AUDIENCE=https://api.example.com API_URL="$DEV_API_URL" NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 \
    timeout 120 "$@" >"$OUT/$name.log" 2>&1
}

failed=0
# check LANG COMMAND...: both runs of one sample, and its line.
check() {
  local lang=$1 problems=() stats token_requests api_requests rc=0 ms
  shift
  dev_control /reset "" >/dev/null
  local t0=$EPOCHREALTIME
  run_sample "$lang" "$SECRET" "$@" || rc=$?
  ms=$(python3 -c "print(round(($EPOCHREALTIME - $t0) * 1000))")
  stats="$(dev_control /stats)"
  token_requests="$(counter token_requests "$stats")"
  api_requests="$(counter api_requests "$stats")"
  [ "$rc" = 0 ] || problems+=("exit status $rc")
  grep -q '^API answered 200: ' "$OUT/$lang.log" || problems+=("no 200 from the API")
  grep -q '^second token: token requests 1, cache hits 1$' "$OUT/$lang.log" ||
    problems+=("its stats do not show one token request and a cache hit")
  [ "$token_requests" = 1 ] || problems+=("the dev server counted $token_requests token requests")
  [ "$api_requests" = 1 ] || problems+=("the dev server counted $api_requests API requests")

  rc=0
  run_sample "$lang-wrong-secret" "wrong-$SECRET" "$@" || rc=$?
  [ "$rc" = 1 ] || problems+=("wrong secret: exit status $rc, not 1")
  grep -q '^  code=oauth error=invalid_client status=401 ' "$OUT/$lang-wrong-secret.log" ||
    problems+=("wrong secret: no typed error with its fields")

  if grep -qF -e "$SECRET" -e eyJ "$OUT/$lang.log" "$OUT/$lang-wrong-secret.log"; then
    problems+=("the secret or a token in its output")
  fi
  if [ "${#problems[@]}" -eq 0 ]; then
    echo "samples: $lang ok (run ${ms} ms; dev server: $token_requests token request, $api_requests API request;" \
      "$(sed -n 's/^second token: //p' "$OUT/$lang.log"); wrong secret: $(sed -n 's/^  \(code=oauth error=[a-z_]* status=[0-9]*\).*/\1/p' "$OUT/$lang-wrong-secret.log"))"
  else
    failed=$((failed + 1))
    local p
    for p in "${problems[@]}"; do echo "samples: $lang FAILED: $p" >&2; done
    # What it printed, the secret and anything like a JWT masked.
    sed -e "s/$SECRET/<secret>/g" -e 's/eyJ[A-Za-z0-9._-]*/<token>/g' -e 's/^/    /' \
      "$OUT/$lang.log" "$OUT/$lang-wrong-secret.log" >&2
  fi
}

check csharp mono "$OUT/quickstart.exe"
check ruby ruby samples/ruby/quickstart.rb
check php php samples/php/quickstart.php
[ "$failed" = 0 ]
