#!/usr/bin/env bash
# Checks with curl and openssl alone (no m2m-auth) that the interop server's
# mutual TLS set-up works, so that the engine's tests can rely on it: starts
# server.mjs, then
#  - discovery names the https token endpoint in mtls_endpoint_aliases, lists
#    both TLS methods, and says tokens are certificate-bound;
#  - every `mtls_clients` entry of clients.json gets a token over the https
#    listener with its certificate (with its PKCS#8 key, its PKCS#1/SEC1 key,
#    its chain file), bound to it: cnf.x5t#S256 is the SHA-256 that openssl
#    computes for the certificate;
#  - every `mtls_refused_certificates` entry, no certificate, and the plain
#    http token endpoint get 401 invalid_client, for every mTLS client, for
#    the expected reason (the server's --log-errors line);
#  - a client_secret_post client gets an unbound token over https.
# Prints one `ok`/`FAIL` line per check; exits 1 if any failed.
#
#   tests/interop/check-mtls.sh        (after `npm ci` in tests/interop)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Starts server.mjs; false if it printed no start line in 30 s (then it is
# stopped). oidc-provider's start has rarely gone silent (the other harnesses
# retry once too); a second start has always worked.
start_server() {
  node "$here/server.mjs" --log-errors >"$tmp/start.json" 2>"$tmp/server-err" &
  pid=$!
  for _ in $(seq 300); do
    [ -s "$tmp/start.json" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/server-err" >&2; exit 1; }
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
  return 1
}
if ! start_server; then
  echo "# the interop server printed nothing in 30 s: starting it once more" >&2
  start_server || { echo "check-mtls: the interop server did not start" >&2; exit 1; }
fi
echo "# server: $(head -n 1 "$tmp/start.json")"

# The plan, from the start line and clients.json (one node run: node starts
# slowly): shell variables, then one case a line, fields split by \x1f (a
# tab would not do: `read` merges empty tab-separated fields):
#   EXPECT  WHAT  URL  CLIENT_ID  CERT  KEY  SECRET
# EXPECT is `bound` (a token bound to CERT), `unbound`, or the reason
# oidc-provider gives for an invalid_client.
node - "$tmp/start.json" "$here/clients.json" >"$tmp/plan" <<'JS'
const fs = require('fs');
const path = require('path');
const s = JSON.parse(fs.readFileSync(process.argv[2], 'utf8').split('\n')[0]);
const c = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const q = (v) => `'${String(v).replace(/'/g, `'\\''`)}'`;
console.log(`issuer=${q(s.issuer)} mtls_token=${q(s.mtls_token_endpoint)} ca=${q(s.ca_file)} resource=${q(c.resource)}`);
const file = (f) => (f ? path.join(s.certs_dir, f) : '');
const row = (...f) => console.log(f.join('\x1f'));
// oidc-provider's reasons (lib/shared/client_auth.js) for each refusal.
const noCert = 'client certificate was not provided';
const refusal = (method, cert) => (method === 'self_signed_tls_client_auth'
  ? 'unregistered client certificate provided'
  : { 'unregistered.pem': 'client certificate was not verified' }[cert]
    ?? 'certificate subject value does not match the registered one');
for (const m of c.mtls_clients) {
  const who = `${m.token_endpoint_auth_method} ${m.client_id}`;
  const pairs = [[m.certificate_file, m.key_file], [m.certificate_file, m.legacy_key_file], [m.chain_file, m.key_file]];
  for (const [cert, key] of pairs.filter(([cert, key]) => cert && key)) {
    row('bound', `${who}: token with ${cert} + ${key}`, s.mtls_token_endpoint, m.client_id, file(cert), file(key), '');
  }
  for (const r of c.mtls_refused_certificates) {
    row(refusal(m.token_endpoint_auth_method, r.certificate_file), `${who}: ${r.certificate_file} refused`, s.mtls_token_endpoint, m.client_id,
      file(r.certificate_file), file(r.key_file), '');
  }
  row(noCert, `${who}: no certificate refused`, s.mtls_token_endpoint, m.client_id, '', '', '');
  row(noCert, `${who}: plain http token endpoint refused`, s.token_endpoint, m.client_id, '', '', '');
}
const post = c.clients.find((x) => x.token_endpoint_auth_method === 'client_secret_post');
row('unbound', `client_secret_post ${post.client_id} over https: token without cnf`, s.mtls_token_endpoint,
  post.client_id, '', '', post.client_secret);
JS
eval "$(head -n 1 "$tmp/plan")"

curl -sS --noproxy '*' -o "$tmp/discovery" "$issuer/.well-known/openid-configuration"
# Each case: the status, the body, the server's log lines, and the
# certificate's SHA-256 (openssl, not the server's code) in $tmp/N.*.
n=0
while IFS=$'\x1f' read -r expect what url id cert key secret; do
  n=$((n + 1))
  args=(--cacert "$ca")
  [ -n "$cert" ] && args+=(--cert "$cert" --key "$key")
  [ -n "$secret" ] && args+=(--data-urlencode "client_secret=$secret")
  logged=$(wc -l <"$tmp/server-err")
  curl -sS --noproxy '*' "${args[@]}" -o "$tmp/$n.body" -w '%{http_code}' \
    --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$id" \
    --data-urlencode "resource=$resource" "$url" >"$tmp/$n.status" 2>"$tmp/$n.curl" || true
  tail -n +$((logged + 1)) "$tmp/server-err" | grep '^interop server: token error: ' >"$tmp/$n.log" || true
  thumb=
  if [ "$expect" = bound ]; then
    thumb=$(openssl x509 -in "$cert" -outform DER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
  fi
  printf '%s\t%s\t%s\n' "$expect" "$what" "$thumb" >"$tmp/$n.case"
done < <(tail -n +2 "$tmp/plan")

# The verdicts (one node run); never prints a token.
node - "$tmp" "$n" "$mtls_token" "$resource" <<'JS'
const fs = require('fs');
const [dir, count, mtlsToken, resource] = process.argv.slice(2);
const read = (f) => fs.readFileSync(`${dir}/${f}`, 'utf8');
let failed = 0;
const check = (pass, what, detail) => {
  console.log(pass ? `ok - ${what}${detail ? ` (${detail})` : ''}` : `FAIL - ${what}: ${detail}`);
  if (!pass) failed += 1;
};
const d = JSON.parse(read('discovery'));
const alias = d.mtls_endpoint_aliases?.token_endpoint;
check(alias === mtlsToken, 'discovery: mtls_endpoint_aliases.token_endpoint', alias);
const methods = d.token_endpoint_auth_methods_supported || [];
check(['tls_client_auth', 'self_signed_tls_client_auth'].every((m) => methods.includes(m)),
  'discovery: token_endpoint_auth_methods_supported', methods.join(' '));
check(d.tls_client_certificate_bound_access_tokens === true,
  'discovery: tls_client_certificate_bound_access_tokens', String(d.tls_client_certificate_bound_access_tokens));
for (let i = 1; i <= Number(count); i += 1) {
  const [expect, what, thumb] = read(`${i}.case`).replace(/\n$/, '').split('\t');
  const status = read(`${i}.status`);
  let body;
  try { body = JSON.parse(read(`${i}.body`)); } catch { body = {}; }
  const log = read(`${i}.log`).trim();
  const why = `HTTP ${status} ${body.error || ''} ${read(`${i}.curl`).trim()} ${log}`.trim();
  if (expect !== 'bound' && expect !== 'unbound') {
    const pass = status === '401' && body.error === 'invalid_client' && log.endsWith(`: invalid_client: ${expect}`);
    check(pass, what, pass ? `401 invalid_client: ${expect}` : `${why}; want 401 invalid_client: ${expect}`);
    continue;
  }
  if (status !== '200' || typeof body.access_token !== 'string') {
    check(false, what, why);
    continue;
  }
  const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url'));
  const cnf = claims.cnf?.['x5t#S256'];
  if (claims.aud !== resource) check(false, what, `aud ${claims.aud}`);
  else if (expect === 'bound') check(cnf === thumb, what, cnf === thumb ? `cnf.x5t#S256 ${cnf}` : `cnf.x5t#S256 ${cnf}, want ${thumb}`);
  else check(claims.cnf === undefined, what, claims.cnf ? `cnf ${JSON.stringify(claims.cnf)}` : '');
}
console.log(`# ${failed ? `${failed} failed` : 'all passed'}`);
process.exit(failed ? 1 : 0);
JS
