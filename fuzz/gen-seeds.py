#!/usr/bin/env python3
"""Writes the seed corpora in corpus/<target>/ (checked in; rerun after a
change to a target's input format). Sealing the shared-cache seeds needs the
`cryptography` package; the other seeds need nothing."""

import hashlib
import hmac
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "s3cr3t/Fuzz+&\"<é>'"  # core/src/fuzzing.rs SECRET
KEY_DIGEST = bytes([7] * 32)  # core/src/fuzzing.rs KEY_DIGEST
STORE_KEY = "m2m-auth:v1:" + KEY_DIGEST.hex()

JWT = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL3RlbmFudC5leGFtcGxl"
       "LyIsInN1YiI6ImZ1enpAY2xpZW50cyIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUiLCJleHAiOjE3"
       "ODAwMDM2MDB9.c2lnbmF0dXJl")


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def token_response():
    t = "token_response"
    ok = {"access_token": JWT, "token_type": "Bearer", "expires_in": 86400,
          "scope": "read:data write:data"}
    write(t, "ok", "200\n\n" + json.dumps(ok))
    write(t, "ok_string_lifetime", '200\n\n{"access_token":"abc","token_type":"bearer","expires_in":"3600"}')
    write(t, "ok_no_lifetime_extra", '200\n\n{"access_token":"abc","token_type":"Bearer","id_token":"x","refresh_expires_in":0,"not-before-policy":0}')
    write(t, "ok_float_lifetime", '200\n\n{"access_token":"abc","token_type":"Bearer","expires_in":3599.5,"scope":null}')
    write(t, "bad_token_type", '200\n\n{"access_token":"abc","token_type":"mac","expires_in":60}')
    write(t, "bad_negative_lifetime", '200\n\n{"access_token":"abc","token_type":"Bearer","expires_in":-1}')
    write(t, "bad_empty_token", '200\n\n{"access_token":"","token_type":"Bearer"}')
    write(t, "bad_array", "200\n\n[1,2,3]")
    write(t, "cut", '200 cut\n\n{"access_token":"' + "a" * 64)
    write(t, "oauth_invalid_client", '401\n\n{"error":"invalid_client","error_description":"Unauthorized"}')
    write(t, "oauth_on_200", '200\n\n{"error":"access_denied","error_description":"Client has not been granted scopes","error_uri":"https://tenant.example/docs"}')
    write(t, "oauth_server_error", '500\n\n{"error":"server_error"}')
    write(t, "oauth_unavailable_retry", '503\n120\n{"error":"temporarily_unavailable"}')
    write(t, "throttled_seconds", "429\n30\nToo Many Requests")
    write(t, "throttled_date", "503\nWed, 21 Oct 2026 07:28:00 GMT\n<html><body><h1>503 Service Unavailable</h1></body></html>")
    write(t, "timeout_408", "408\n\n")
    write(t, "echo_secret_json", "400\n\n" + json.dumps({"error": "invalid_request",
          "error_description": "bad client_secret " + SECRET}))
    write(t, "echo_secret_form", "400\n\nclient_id=fuzz-client&client_secret=s3cr3t%2FFuzz%2B%26%22%3C%C3%A9%3E%27")
    write(t, "echo_secret_html", "502\n\n<p>s3cr3t&#x2F;Fuzz+&amp;&quot;&lt;é&gt;&#x27;</p>")
    write(t, "echo_secret_cut", "500 cut\n\nsecret was s3cr3t/Fu")
    write(t, "invalid_utf8", b"400\n\n\xff\xfe{\"error\":\"x\"}\xc3")


def retry_after_expires_in():
    t = "retry_after_expires_in"
    for i, v in enumerate([
        "120", " 7 ", "0", "18446744073709551616", "Wed, 21 Oct 2026 07:28:00 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
        "Fri, 31 Dec 9999 23:59:59 GMT", "3600.5", '"86400"', "-1", "1e400", "null",
        '"3.6e3"', "86400", "0.001", '"  60  "', "true", "[60]",
    ]):
        write(t, "seed%02d" % i, v)


def discovery():
    t = "discovery"
    write(t, "auth0", "https://tenant.example/\n" + json.dumps({
        "issuer": "https://tenant.example/",
        "token_endpoint": "https://tenant.example/oauth/token",
        "jwks_uri": "https://tenant.example/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]}))
    write(t, "keycloak_path", "https://sso.example/realms/demo\n" + json.dumps({
        "issuer": "https://sso.example/realms/demo",
        "token_endpoint": "https://sso.example/realms/demo/protocol/openid-connect/token"}))
    write(t, "loopback_http", "http://127.0.0.1:8080\n" + json.dumps({
        "issuer": "http://127.0.0.1:8080", "token_endpoint": "http://127.0.0.1:8080/token"}))
    write(t, "downgrade", "https://tenant.example\n" + json.dumps({
        "issuer": "https://tenant.example", "token_endpoint": "http://127.0.0.1/token"}))
    write(t, "wrong_issuer", "https://tenant.example\n" + json.dumps({
        "issuer": "https://evil.example", "token_endpoint": "https://evil.example/token"}))
    write(t, "no_endpoint", 'https://[::1]:8443/\n{"issuer":"https://[::1]:8443/"}')
    write(t, "port_query", 'https://a.b-c.example:8443/t?x=1\n{"issuer":"https://a.b-c.example:8443/t?x=1","token_endpoint":"https://a.b-c.example:8443/t/token"}')
    write(t, "localhost_http", 'http://localhost:8080\n{"issuer":"http://localhost:8080","token_endpoint":"http://localhost:8080/oauth/token"}')
    write(t, "odd_hosts", 'https://0x7f.1/\n{"issuer":"https://xn--bcher-kva.example","token_endpoint":"https://user@h/t"}')
    write(t, "ipv6_http", 'http://[::1]:9000/x/\n{"issuer":"http://[::1]:9000/x","token_endpoint":"http://localhost:9000/x/token#f"}')


def shared_values():
    plain = [
        {"access_token": JWT, "token_type": "Bearer", "sent_at_ms": 1780000000000,
         "lifetime_ms": 86400000, "scope": "read:data", "extra": {}},
        {"access_token": "abc", "token_type": "Bearer", "sent_at_ms": 18446744073709551615,
         "lifetime_ms": 18446744073709551615, "scope": None,
         "extra": {"id_token": "x", "n": 1.5, "big": 1e300, "nested": {"a": [1, None, True]}}},
        {"access_token": "abc", "token_type": "Bearer", "sent_at_ms": 0, "lifetime_ms": 0, "scope": None},
    ]
    for i, p in enumerate(plain):
        write("shared_value_json", "token%d" % i, json.dumps(p, ensure_ascii=False))
    write("shared_value_json", "not_a_token", '{"access_token":1}')
    # Found by this target: needs serde_json's float_roundtrip.
    write("shared_value_json", "float_in_extra", '{"access_token":"a","token_type":"Bearer","sent_at_ms":1,'
          '"lifetime_ms":2,"scope":null,"extra":{"x":53521889823178854175.492177990400923260993244e224}}')
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        sys.exit("the sealed seeds need the `cryptography` package")
    # docs/shared-cache.md: HKDF-SHA256(salt, ikm = secret, info = digest).
    prk = hmac.new(b"m2m-auth/cache/v1", SECRET.encode(), hashlib.sha256).digest()
    okm = hmac.new(prk, KEY_DIGEST + b"\x01", hashlib.sha256).digest()
    for i, p in enumerate(plain):
        nonce = bytes([i + 1] * 12)
        sealed = AESGCM(okm).encrypt(nonce, json.dumps(p).encode(), STORE_KEY.encode())
        write("shared_value_open", "sealed%d" % i, b"m2m1" + nonce + sealed)
    write("shared_value_open", "short", b"m2m1" + b"\0" * 11)
    write("shared_value_open", "other_format", b"m2m2" + b"\0" * 40)


def c_strings():
    t = "c_strings"
    # Entry points by index (fuzz_targets/c_strings.rs): options setters
    # 0..12, options add_extra 13, options set(name, text) 14, request
    # setters 15..18, request add_extra 19, request set(name, text) 20,
    # set-by-declared-name 21 (client option) and 22 (request parameter).
    names = ["token_url", "domain", "issuer", "client_id", "client_secret", "auth_method",
             "audience", "scope", "organization", "resource", "extra", "timeout",
             "connect_timeout", "max_response_bytes", "ca_certs", "proxy", "no_proxy",
             "leeway", "refresh_ratio", "default_expires_in", "max_attempts",
             "retry_base_delay", "retry_max_delay", "retry_jitter", "default_throttle",
             "max_retry_after", "cache", "cache_strict", "lease_ttl", "store_timeout",
             "max_cache_keys"]

    def chunks(*parts):
        return b"\0".join(bytes([op]) + (s.encode() if isinstance(s, str) else s) for op, s in parts)

    def by_name(name, text):
        return (21, bytes([names.index(name)]) + text.encode())

    write(t, "client", chunks(
        (0, "https://tenant.example/oauth/token"), (3, "fuzz-client"), (4, SECRET),
        (6, "https://api.example"), (7, "read:data write:data"), (13, "prompt"), (0, "none"),
        by_name("timeout", "2.5"), by_name("refresh_ratio", "0.5"),
        (15, "https://other.example"), (16, "admin"), (19, "k"), (0, "v"), (17, "org_1"),
        (17, "tok")))
    write(t, "domain_basic", chunks(
        (1, "tenant.example"), (3, "id"), (4, "secret"), (5, "client_secret_basic"),
        (14, "timeout"), (0, "30"), by_name("max_retry_after", "86400"),
        (20, "scope"), (0, "a,b c"), (22, b"\x04a=1&b=2")))
    write(t, "issuer_loopback", chunks(
        (2, "http://127.0.0.1:9/"), (3, "id"), (4, ""), (11, "http://127.0.0.1:3128"),
        (12, "file:/nonexistent"), by_name("leeway", "1e300")))
    write(t, "invalid_utf8", chunks(
        (0, b"https://h\xff/t"), (3, b"\xc3\x28"), (4, b"\xed\xa0\x80"), (14, b"\xfe"), (0, "x"),
        (21, b"\x05\xf0\x90\x80"), (20, b"\xff"), (0, b"\xff")))
    write(t, "pem", chunks(
        (0, "https://h/t"), (3, "id"), (4, "s"),
        (10, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")))


def verifier():
    """Tokens of the conformance vectors (mode 0, the default verifier;
    0x80, the lenient one), one as a request header (mode 1), and inputs
    for the structured builder (mode 2)."""
    t = "verifier"
    with open(os.path.join(HERE, "..", "tests", "verify", "vectors.json")) as f:
        cases = {c["name"]: c for c in json.load(f)["cases"]}
    for name in ["valid-rs256", "valid-es256", "valid-eddsa", "typ-jwt-non-strict",
                 "exp-string", "crit-exp", "jwk-header-attacker", "alg-none", "iss-array",
                 "tampered-payload", "es256-der-signature"]:
        write(t, name, b"\x00" + cases[name]["token"].encode())
    write(t, "lenient-es384", b"\x80" + cases["es384-listed"]["token"].encode())
    write(t, "request-bearer", b"\x01Bearer " + cases["valid-eddsa"]["token"].encode())
    write(t, "structured-zeros", b"\x02" + bytes(64))
    write(t, "structured-counting", b"\x02" + bytes(range(256)))


if __name__ == "__main__":
    token_response()
    retry_after_expires_in()
    discovery()
    shared_values()
    c_strings()
    verifier()
