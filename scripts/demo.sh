#!/usr/bin/env bash
# `make demo`: the client credentials flow with the m2m-auth CLI against its
# own dev server: start `m2m-auth dev-server`, request a token for
# https://api.example.com (its metadata is printed, never the token), then call
# the server's protected /api with it.
. "$(dirname "$0")/lib.sh"
if [ -z "${M2M_AUTH_BIN:-}" ]; then
  "$CARGO" build -q -p m2m-auth-cli
  target=${CARGO_TARGET_DIR:-$("$CARGO" metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')}
  M2M_AUTH_BIN="$target/debug/m2m-auth"
fi
bin=$M2M_AUTH_BIN
tmp=$(mktemp -d)

echo "\$ m2m-auth dev-server &"
# The server's stdin is this pipe: it exits when this script does.
exec 3> >(exec "$bin" dev-server --exit-on-stdin-eof >"$tmp/out" 2>"$tmp/err")
server_pid=$!
on_exit 'exec 3>&-; kill "$server_pid" 2>/dev/null || true; rm -rf "$tmp"'
for _ in $(seq 200); do grep -q Ctrl-C "$tmp/err" 2>/dev/null && break; sleep 0.05; done
cat "$tmp/err"
line=$(head -n 1 "$tmp/out")
field() { printf '%s' "$line" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
token_url=$(field token_url)
api_url=$(field api_url)
[ -n "$token_url" ] || { echo "demo: the dev server did not start" >&2; exit 1; }

export M2M_AUTH_TOKEN_URL="$token_url"
export M2M_AUTH_CLIENT_ID=demo-client
export M2M_AUTH_CLIENT_SECRET=demo-secret
export M2M_AUTH_AUDIENCE=https://api.example.com
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
echo
echo "\$ export M2M_AUTH_TOKEN_URL=$token_url M2M_AUTH_CLIENT_ID=demo-client \\"
echo "         M2M_AUTH_CLIENT_SECRET=*** M2M_AUTH_AUDIENCE=https://api.example.com"
echo "\$ m2m-auth token --metadata    # the token's metadata; the token itself is never printed"
"$bin" token --metadata
echo
echo "\$ m2m-auth call --include $api_url"
"$bin" call --include "$api_url"
