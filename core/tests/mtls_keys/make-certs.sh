#!/bin/sh
# Makes the mutual-TLS test certificates and keys (RFC 8705 tests) with the
# openssl CLI, into the directory given as the argument (created if needed):
#
#   client-ca.pem                      a client CA (the dev server's --client-ca;
#                                      its key is deleted once the CA has signed)
#   client.pem / client.key            a client certificate from that CA,
#                                      subject CN=mtls-client,O=m2m-auth tests,
#                                      DNS SAN mtls-client.example; P-256 key
#                                      as PKCS#8 (client.key) and SEC1
#                                      (client.sec1.key)
#   rsa-client.pem / rsa-client.pkcs1.key
#                                      an RSA 2048 certificate from the CA,
#                                      subject CN=rsa-client,O=m2m-auth tests;
#                                      PKCS#1 key
#   self-signed.pem / self-signed.key  a self-signed certificate,
#                                      CN=self-signed-client
#   self-signed.sha256                 its DER's SHA-256, hex (what a
#                                      self_signed_tls_client_auth client
#                                      registers)
#   other.pem / other.key              another self-signed certificate (an
#                                      unregistered one)
#
# Test keys only: never use them anywhere else. Valid for 100 years.
set -eu
out=${1:?usage: make-certs.sh OUTPUT_DIR}
mkdir -p "$out"
cd "$out"
days=36500
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ec client-ca.key
openssl req -x509 -new -key client-ca.key -days $days -subj "/CN=m2m-auth test client CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out client-ca.pem

ext=$(mktemp)
trap 'rm -f "$ext" ./*.csr ./*.srl' EXIT
leaf() { # KEY CERT SUBJECT DNS
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=DNS:%s\n' "$4" >"$ext"
  openssl req -new -key "$1" -subj "$3" -out "$2.csr"
  openssl x509 -req -in "$2.csr" -CA client-ca.pem -CAkey client-ca.key -CAcreateserial \
    -days $days -extfile "$ext" -out "$2" 2>/dev/null
}

ec client.key
openssl ec -in client.key -out client.sec1.key 2>/dev/null
leaf client.key client.pem "/O=m2m-auth tests/CN=mtls-client" mtls-client.example

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-client.key 2>/dev/null
openssl rsa -in rsa-client.key -traditional -out rsa-client.pkcs1.key 2>/dev/null
leaf rsa-client.key rsa-client.pem "/O=m2m-auth tests/CN=rsa-client" rsa-client.example
rm -f rsa-client.key

selfsigned() { # NAME CN
  ec "$1.key"
  openssl req -x509 -new -key "$1.key" -days $days -subj "/CN=$2" -out "$1.pem"
}
selfsigned self-signed self-signed-client
selfsigned other other-client
rm -f client-ca.key
openssl x509 -in self-signed.pem -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1 >self-signed.sha256
