#!/usr/bin/env bash
# The C tutorial (bindings/c/examples/quickstart.c, quoted in the README)
# against the dev server: get a token for https://api.example.com, then call
# the server's /api with it (libcurl). Builds what it needs and installs gcc,
# pkg-config and the libcurl headers if they are missing.
. "$(dirname "$0")/lib.sh"

apt_install gcc libc6-dev binutils pkg-config libcurl4-openssl-dev
c_build
out="$ROOT/target/c-tests"
mkdir -p "$out"
gcc -std=c11 -Wall -Wextra -Werror -Iinclude bindings/c/examples/quickstart.c \
  -L"$TARGET_DIR/debug" -Wl,-rpath,"$TARGET_DIR/debug" -lm2m_auth \
  $(pkg-config --cflags --libs libcurl) -o "$out/quickstart"

start_devserver
echo "dev server: $DEV_URL (client demo-client, API $DEV_API_URL)"
AUTH0_DOMAIN="$DEV_URL" AUTH0_CLIENT_ID=demo-client AUTH0_CLIENT_SECRET=demo-secret \
  API_AUDIENCE=https://api.example.com API_URL="$DEV_API_URL" NO_PROXY=127.0.0.1 \
  "$out/quickstart"
