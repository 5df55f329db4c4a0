#!/bin/sh
# Makes the mutual TLS test certificates of tests/mtls/ (see README.md there)
# with the openssl CLI:
#
#   tests/mtls/make-certs.sh OUTDIR
#
# The files in tests/mtls/ are this script's output, checked in so that every
# language's tests use them as they are (no openssl at test time). Running it
# again makes new keys: the checked-in files change wholesale, and the CA keys
# are not kept (nothing can sign one more certificate for the old CAs).
# Test keys only: valid for 100 years, never to be used anywhere else.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
days=36500

# One extensions section per kind of certificate: webpki (the engine's
# verifier) wants CA:TRUE + keyCertSign on a CA, and an end entity that is
# not a CA, with the right extendedKeyUsage.
cat >"$work/ext.cnf" <<'CNF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[self_signed]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
CNF

# key NAME rsa|ec: a new key as PKCS#8 PEM in $out/NAME.key.
key() {
  case $2 in
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/$1.key" 2>/dev/null ;;
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$1.key" ;;
  esac
}

# cert NAME SUBJECT SECTION [CA]: $out/NAME.pem for $out/NAME.key (or
# $work/NAME.key for a CA), signed by CA (its key in $work) or self-signed.
cert() {
  keyfile=$out/$1.key
  [ -f "$keyfile" ] || keyfile=$work/$1.key
  openssl req -new -key "$keyfile" -subj "$2" -out "$work/$1.csr"
  if [ $# -ge 4 ]; then
    openssl x509 -req -in "$work/$1.csr" -days $days -sha256 \
      -CA "$out/$4.pem" -CAkey "$work/$4.key" -CAcreateserial -CAserial "$work/serial" \
      -extfile "$work/ext.cnf" -extensions "$3" -out "$out/$1.pem" 2>/dev/null
  else
    openssl x509 -req -in "$work/$1.csr" -days $days -sha256 -signkey "$keyfile" \
      -extfile "$work/ext.cnf" -extensions "$3" -out "$out/$1.pem" 2>/dev/null
  fi
}

# The two CAs: their keys stay in $work and die with it.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/server-ca.key"
cert server-ca "/O=m2m-auth tests/CN=m2m-auth test server CA" ca
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/client-ca.key"
cert client-ca "/O=m2m-auth tests/CN=m2m-auth test client CA" ca

# The https listener of tests/interop/server.mjs.
key server ec
cert server "/O=m2m-auth tests/CN=127.0.0.1" server server-ca

# tls_client_auth: RSA, its key also as PKCS#1; a chain file (leaf + CA).
key client rsa
cert client "/O=m2m-auth tests/CN=m2m-tls-client" client client-ca
openssl pkey -in "$out/client.key" -traditional -out "$out/client.rsa.key"
cat "$out/client.pem" "$out/client-ca.pem" >"$out/client-chain.pem"

# Signed by the client CA but with another subject DN: tls_client_auth refuses it.
key other ec
cert other "/O=m2m-auth tests/CN=m2m-tls-other" client client-ca

# self_signed_tls_client_auth: P-256, its key also as SEC1.
key self-signed ec
cert self-signed "/O=m2m-auth tests/CN=m2m-tls-self-signed" self_signed
openssl pkey -in "$out/self-signed.key" -traditional -out "$out/self-signed.ec.key"

# Self-signed and registered nowhere: both TLS methods refuse it.
key unregistered ec
cert unregistered "/O=m2m-auth tests/CN=m2m-tls-unregistered" self_signed

chmod 644 "$out"/*.pem "$out"/*.key
