#!/usr/bin/env python3
"""Generates tests/verify/vectors.json: the verifier's cross-language cases.

    python -m venv /tmp/v && /tmp/v/bin/pip install -r tests/verify/requirements.txt
    /tmp/v/bin/python tests/verify/generate.py && python3 tests/verify/check.py

Tokens, and the DPoP proofs of the HTTP request cases (dpop_cases.py), are
signed by joserfc (see jose_kit.py) with the test-only keys in
tests/verify/keys/ (created on the first run, reused after), so a re-run
reproduces vectors.json byte for byte. The format is in FORMAT.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
from pathlib import Path

from joserfc.jwk import import_key
from joserfc.jws import JWSRegistry

from dpop_cases import build_dpop
from jose_kit import JWKS_KEYS, KeyStore, Signer, b64, b64_json, der_from_fixed

HERE = Path(__file__).resolve().parent
OUT = HERE / "vectors.json"

ISS = "https://issuer.example/"
AUD = "https://api.example/"
IAT = 1700000000  # 2023-11-14
EXP = 4102444800  # 2100-01-01T00:00:00Z
EXPIRED = 978307200  # 2001-01-01T00:00:00Z
Y2099 = 4070908800  # 2099-01-01T00:00:00Z
ALL_FIVE = ["RS256", "PS256", "ES256", "EdDSA", "ES384"]
KEY_OF = {"RS256": "rsa-2048", "PS256": "rsa-2048", "ES256": "ec-p256", "ES384": "ec-p384", "EdDSA": "ed25519"}


def claims(name: str, **changes) -> dict:
    """Full RFC 9068 claims; a change to None removes the claim."""
    out = {
        "iss": ISS,
        "sub": "client-123",
        "aud": AUD,
        "client_id": "client-123",
        "scope": "read:things write:things",
        "iat": IAT,
        "exp": EXP,
        "jti": name,  # one token per case: a shared verified-token cache cannot mix cases
    }
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def expected(c: dict) -> dict:
    """The `expect` of an ok case: every Claims field (null when absent)."""
    aud = c.get("aud")
    scopes = c["scope"].split() if "scope" in c else list(c.get("scp", []))
    return {
        "ok": True,
        "claims": {
            "issuer": c["iss"],
            "subject": c.get("sub"),
            "audience": [aud] if isinstance(aud, str) else aud,
            "client_id": c.get("client_id"),
            "scopes": scopes,
            "expires_at": c["exp"],
            "issued_at": c.get("iat"),
            "not_before": c.get("nbf"),
            "jwt_id": c.get("jti"),
        },
    }


def fail(reason: str | None, code: str = "invalid_token") -> dict:
    return {"ok": False, "code": code, "reason": reason} if reason else {"ok": False, "code": code}


class Cases:
    def __init__(self, signer: Signer, store: KeyStore) -> None:
        self.signer, self.store, self.items = signer, store, []

    def add(self, name, token, expect, options=None, jwks=None, description="", request=None):
        case = {"name": name, "description": description, "token": token,
                "options": {"issuer": ISS, "audience": [AUD], **(options or {})}}
        if jwks is not None:
            case["jwks"] = jwks
        if request is not None:
            case["request"] = request
        case["expect"] = expect
        self.items.append(case)

    def add_http(self, name, token, http_requests, options=None, description=""):
        """A case of HTTP requests run in order on one verifier (FORMAT.md)."""
        self.items.append({"name": name, "description": description, "token": token,
                           "options": {"issuer": ISS, "audience": [AUD], **(options or {})},
                           "http_requests": http_requests})

    def signed(self, name, alg="RS256", key=None, kid=None, typ="at+jwt", extra_header=None, **changes):
        """A token for case `name`: header {alg, typ, kid, ...} and claims(name, **changes)."""
        key = key or KEY_OF.get(alg)
        header = {"alg": alg}
        if typ is not None:
            header["typ"] = typ
        header["kid"] = kid if kid is not None else key
        header.update(extra_header or {})
        c = claims(name, **changes)
        return self.signer.token(header, c, key, alg), c


def build(signer: Signer, store: KeyStore) -> list:
    k = Cases(signer, store)

    # --- valid tokens --------------------------------------------------------
    for alg in ["RS256", "PS256", "ES256", "EdDSA"]:
        name = f"valid-{alg.lower()}"
        tok, c = k.signed(name, alg)
        k.add(name, tok, expected(c), description=f"{alg}, full RFC 9068 claims.")
    tok, c = k.signed("es384-listed", "ES384")
    k.add("es384-listed", tok, expected(c), {"algorithms": ALL_FIVE}, description="ES384 allowed because listed.")
    tok, c = k.signed("aud-array-contains-ours", aud=["https://other.example/", AUD])
    k.add("aud-array-contains-ours", tok, expected(c), description="aud array with ours second.")
    tok, c = k.signed("audience-option-second-entry", aud="https://api2.example/")
    k.add("audience-option-second-entry", tok, expected(c), {"audience": [AUD, "https://api2.example/"]},
          description="The token's aud is the second configured audience.")
    tok, c = k.signed("scp-array", scope=None, scp=["read:things", "write:things"])
    k.add("scp-array", tok, expected(c), description="Scopes from `scp` (array) instead of `scope`.")
    tok, c = k.signed("minimal-claims", sub=None, client_id=None, scope=None, iat=None, jti=None)
    k.add("minimal-claims", tok, expected(c), description="Only iss, aud, exp: absent optional claims are null, scopes [].")
    tok, c = k.signed("nbf-past", nbf=IAT)
    k.add("nbf-past", tok, expected(c), description="nbf in the past is fine.")
    tok, c = k.signed("max-token-bytes-exact", "EdDSA")
    k.add("max-token-bytes-exact", tok, expected(c), {"max_token_bytes": len(tok)},
          description="Token exactly max_token_bytes long: accepted.")

    # --- typ -----------------------------------------------------------------
    for name, typ, strict, ok in [
        ("typ-application-at-jwt", "application/at+jwt", None, True),
        ("typ-at-jwt-uppercase", "AT+JWT", None, True),
        ("typ-jwt-strict", "JWT", None, False),
        ("typ-jwt-non-strict", "JWT", False, True),
        ("typ-absent-strict", None, None, False),
        ("typ-absent-non-strict", None, False, True),
        ("typ-dpop-non-strict", "dpop+jwt", False, False),
    ]:
        tok, c = k.signed(name, typ=typ)
        opts = {} if strict is None else {"strict_typ": strict}
        k.add(name, tok, expected(c) if ok else fail("bad_typ"), opts, description=f"typ {typ!r}.")

    # --- algorithms ------------------------------------------------------------
    for name, alg in [("alg-none", "none"), ("alg-none-capitalized", "None")]:
        tok = signer.token({"alg": alg, "typ": "at+jwt", "kid": "rsa-2048"}, claims(name), None)
        k.add(name, tok, fail("disallowed_algorithm"), description="Unsigned token (CVE class: alg none).")
    header = {"alg": "HS256", "typ": "at+jwt", "kid": "rsa-2048"}
    si = f"{b64_json(header)}.{b64(json.dumps(claims('hs256-rsa-public-key-as-secret'), separators=(',', ':')).encode())}"
    mac = hmac.new(store.public_pem("rsa-2048"), si.encode(), hashlib.sha256).digest()
    k.add("hs256-rsa-public-key-as-secret", f"{si}.{b64(mac)}", fail("disallowed_algorithm"),
          description="HS256 keyed with the RSA public key PEM (CVE class: algorithm confusion).")
    tok, _ = k.signed("es384-default-algorithms", "ES384")
    k.add("es384-default-algorithms", tok, fail("disallowed_algorithm"), description="ES384 not in the default list.")
    tok, _ = k.signed("rs256-not-listed", "RS256")
    k.add("rs256-not-listed", tok, fail("disallowed_algorithm"), {"algorithms": ["ES256"]},
          description="RS256 when only ES256 is allowed.")

    # --- key selection ---------------------------------------------------------
    tok, _ = k.signed("rs256-with-ec-kid", "RS256", key="rsa-2048", kid="ec-p256")
    k.add("rs256-with-ec-kid", tok, fail("disallowed_algorithm"), description="RS256 naming the EC key: the key's type cannot do RS256.")
    tok, _ = k.signed("es256-with-rsa-kid", "ES256", key="ec-p256", kid="rsa-2048")
    k.add("es256-with-rsa-kid", tok, fail("disallowed_algorithm"), description="ES256 naming the RSA key.")
    tok, _ = k.signed("es256-with-p384-kid", "ES256", key="ec-p256", kid="ec-p384")
    k.add("es256-with-p384-kid", tok, fail("disallowed_algorithm"), description="ES256 naming a P-384 key: curve must match.")
    tok, _ = k.signed("unknown-kid", key="rsa-2048", kid="no-such-kid")
    k.add("unknown-kid", tok, fail("unknown_key"), description="kid not in the JWKS.")
    tok, _ = k.signed("unknown-key-attacker", key="attacker-rsa")
    k.add("unknown-key-attacker", tok, fail("unknown_key"), description="Signed by a key not in the JWKS, its own kid.")
    weak_jwks = store.jwks(JWKS_KEYS + ["rsa-1024-weak"])
    tok, _ = k.signed("weak-rsa-1024", key="rsa-1024-weak")
    k.add("weak-rsa-1024", tok, fail("weak_key"), jwks=weak_jwks, description="RSA 1024-bit key in the JWKS.")
    alg_jwks = store.jwks(overrides={"rsa-2048": {"alg": "RS256"}})
    tok, c = k.signed("jwk-alg-rs256-used-with-rs256", "RS256")
    k.add("jwk-alg-rs256-used-with-rs256", tok, expected(c), jwks=alg_jwks, description="JWK alg RS256 matches.")
    tok, _ = k.signed("jwk-alg-rs256-used-with-ps256", "PS256")
    k.add("jwk-alg-rs256-used-with-ps256", tok, fail("disallowed_algorithm"), jwks=alg_jwks,
          description="JWK says alg RS256, token uses PS256 with that key.")
    enc_jwks = store.jwks(overrides={"rsa-2048": {"use": "enc"}})
    tok, _ = k.signed("jwk-use-enc", "RS256")
    k.add("jwk-use-enc", tok, fail("unknown_key"), jwks=enc_jwks, description="The only key with that kid is use=enc.")

    # --- keys from the token's header (never used) -----------------------------
    attacker_jwk = store.public_jwk("attacker-rsa")
    cert = store.self_signed_cert_b64("attacker-rsa")
    for name, hdr, key, kid, reason in [
        ("jwk-header-attacker", {"jwk": attacker_jwk}, "attacker-rsa", None, "unknown_key"),
        ("jwk-header-attacker-real-kid", {"jwk": attacker_jwk}, "attacker-rsa", "rsa-2048", "bad_signature"),
        ("jku-header-real-key", {"jku": "https://attacker.example/jwks.json"}, "rsa-2048", None, None),
        ("jku-header-attacker", {"jku": "https://attacker.example/jwks.json"}, "attacker-rsa", None, "unknown_key"),
        ("x5u-header-attacker", {"x5u": "https://attacker.example/cert.pem"}, "attacker-rsa", None, "unknown_key"),
        ("x5c-header-real-key", {"x5c": [cert]}, "rsa-2048", None, None),
        ("x5c-header-attacker", {"x5c": [cert]}, "attacker-rsa", None, "unknown_key"),
        ("x5c-header-attacker-real-kid", {"x5c": [cert]}, "attacker-rsa", "rsa-2048", "bad_signature"),
    ]:
        tok, c = k.signed(name, key=key, kid=kid, extra_header=hdr)
        k.add(name, tok, expected(c) if reason is None else fail(reason),
              description="Key material in the header is ignored; only the JWKS counts.")

    # --- crit, claim types, required claims, time ------------------------------
    tok, _ = k.signed("crit-exp", extra_header={"crit": ["exp"], "exp": EXP})
    k.add("crit-exp", tok, fail("crit"), description="A crit header is refused (no extension is understood).")
    for name, change in [("exp-string", {"exp": str(EXP)}), ("exp-boolean", {"exp": True}),
                         ("nbf-string", {"nbf": str(IAT)}), ("iat-string", {"iat": str(IAT)})]:
        tok, _ = k.signed(name, **change)
        k.add(name, tok, fail("bad_claim_type"), description="A time claim that is not a number is invalid, not absent.")
    for name, claim in [("missing-exp", "exp"), ("missing-iss", "iss"), ("missing-aud", "aud")]:
        tok, _ = k.signed(name, **{claim: None})
        k.add(name, tok, fail("missing_claim"), description=f"No {claim}.")
    tok, _ = k.signed("expired", iat=EXPIRED - 3600, exp=EXPIRED)
    k.add("expired", tok, fail("expired"), description="exp in 2001.")
    tok, _ = k.signed("nbf-future", nbf=Y2099)
    k.add("nbf-future", tok, fail("not_yet_valid"), description="nbf in 2099.")
    tok, _ = k.signed("iat-future", iat=Y2099)
    k.add("iat-future", tok, fail("not_yet_valid"), description="iat in 2099 (beyond leeway).")

    # --- issuer and audience ---------------------------------------------------
    for name, iss in [("iss-no-trailing-slash", "https://issuer.example"),
                      ("iss-longer-path", "https://issuer.example/evil"),
                      ("iss-other-host-prefix", "https://issuer.example.evil/"),
                      ("iss-uppercase-host", "https://ISSUER.example/"),
                      ("iss-array", [ISS])]:
        tok, _ = k.signed(name, iss=iss)
        k.add(name, tok, fail("wrong_issuer"), description=f"iss {iss!r}: exact match only.")
    for name, aud in [("aud-wrong", "https://other.example/"), ("aud-longer-path", "https://api.example/v2"),
                      ("aud-array-without-ours", ["https://other.example/", "https://api.example"]),
                      ("aud-empty-array", [])]:
        tok, _ = k.signed(name, aud=aud)
        k.add(name, tok, fail("wrong_audience"), description=f"aud {aud!r}.")

    # --- malformed and too large ------------------------------------------------
    good, _ = k.signed("malformed-base")
    h, p, s = good.split(".")
    for name, tok in [("four-segments", f"{h}.{p}.{s}.{s}"), ("two-segments", f"{h}.{p}"),
                      ("empty-token", ""), ("bad-base64-header", f"{h[:-2]}!*.{p}.{s}"),
                      ("non-json-header", f"{b64(b'not json')}.{p}.{s}"),
                      ("header-json-array", f"{b64_json(['RS256'])}.{p}.{s}"),
                      ("non-json-payload", signer.token({"alg": "RS256", "typ": "at+jwt", "kid": "rsa-2048"},
                                                        b"not json", "rsa-2048"))]:
        k.add(name, tok, fail("malformed"), description="Not a compact JWS with a JSON header and payload.")
    tok, _ = k.signed("too-large-option")
    k.add("too-large-option", tok, fail("too_large"), {"max_token_bytes": 256}, description="Longer than max_token_bytes.")
    k.add("too-large-default", f"{h}.{'A' * (16385 - len(h) - len(s) - 2)}.{s}", fail("too_large"),
          description="16385 bytes: one more than the default max_token_bytes, refused before parsing.")

    # --- signatures ------------------------------------------------------------
    tok, _ = k.signed("signed-by-other-key", key="attacker-rsa", kid="rsa-2048")
    k.add("signed-by-other-key", tok, fail("bad_signature"), description="Another RSA key, the JWKS kid.")
    tok, _ = k.signed("es256-signed-by-other-key", "ES256", key="attacker-ec-p256", kid="ec-p256")
    k.add("es256-signed-by-other-key", tok, fail("bad_signature"), description="Another P-256 key, the JWKS kid.")
    tok, _ = k.signed("tampered-payload")
    h, _, s = tok.split(".")
    k.add("tampered-payload", f"{h}.{b64_json(claims('tampered-payload', scope='admin'))}.{s}",
          fail("bad_signature"), description="Payload changed after signing.")
    tok, _ = k.signed("tampered-payload-eddsa", "EdDSA")
    h, _, s = tok.split(".")
    k.add("tampered-payload-eddsa", f"{h}.{b64_json(claims('tampered-payload-eddsa', sub='admin'))}.{s}",
          fail("bad_signature"), description="EdDSA payload changed after signing.")
    tok, _ = k.signed("empty-signature")
    k.add("empty-signature", tok.rsplit(".", 1)[0] + ".", fail("malformed"), description="RS256 with an empty signature segment.")
    tok, _ = k.signed("es256-der-signature", "ES256")
    h, p, s = tok.split(".")
    der = der_from_fixed(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    k.add("es256-der-signature", f"{h}.{p}.{b64(der)}", fail("bad_signature"),
          description="ES256 signature in DER form; JWS requires fixed r||s.")
    unsigned = signer.token({"alg": "ES256", "typ": "at+jwt", "kid": "ec-p256"}, claims("es256-zero-signature"), None)
    k.add("es256-zero-signature", unsigned + b64(bytes(64)), fail("bad_signature"),
          description="r = s = 0 (CVE-2022-21449, psychic signatures).")

    # --- verify_request: the Authorization header and required scopes ---------
    tok, c = k.signed("request-base")
    expired_tok, _ = k.signed("request-expired", iat=EXPIRED - 3600, exp=EXPIRED)
    for name, authz, scopes, expect in [
        ("request-bearer", f"Bearer {tok}", ["read:things"], expected(c)),
        ("request-bearer-lowercase-spaces", f"bearer   {tok}", [], expected(c)),
        ("request-all-scopes-present", f"Bearer {tok}", ["read:things", "write:things"], expected(c)),
        ("request-no-header", None, [], fail("missing")),
        ("request-empty-header", "", [], fail("missing")),
        ("request-bearer-no-token", "Bearer ", [], fail("missing")),
        ("request-basic-scheme", "Basic Y2xpZW50OnNlY3JldA==", [], fail("missing")),
        ("request-expired-token", f"Bearer {expired_tok}", [], fail("expired")),
        ("request-insufficient-scope", f"Bearer {tok}", ["admin:things"],
         {"ok": False, "code": "insufficient_scope", "required_scope": "admin:things"}),
        ("request-insufficient-scope-one-of-two", f"Bearer {tok}", ["read:things", "admin:things"],
         {"ok": False, "code": "insufficient_scope", "required_scope": "read:things admin:things"}),
    ]:
        bare = expired_tok if "expired" in name else tok
        k.add(name, bare, expect, request={"authorization": authz, "scopes": scopes},
              description="verify_request(authorization, scopes); `token` is for information only.")

    # --- configuration refused ---------------------------------------------------
    tok, _ = k.signed("config-base")
    for name, opts in [("config-algorithms-none", {"algorithms": ["none"]}),
                       ("config-algorithms-hs256", {"algorithms": ["HS256"]}),
                       ("config-audience-empty", {"audience": []})]:
        k.add(name, tok, fail(None, code="config"), opts, description="Refused when the verifier is built.")

    # --- DPoP: verify_http_request with bound tokens and proofs ------------------------
    build_dpop(k, expected, fail)
    return k.items


def self_check(signer: Signer, cases: list) -> None:
    """joserfc agrees: every ok case verifies with the key its kid names, and
    no bad_signature case does."""
    for case in cases:
        if "http_requests" in case:
            for step in case["http_requests"]:
                if step["expect"]["ok"] and not proof_verifies(step["dpop"]):
                    sys.exit(f"self-check: {case['name']}: joserfc disagrees about a proof")
            continue
        ok, reason = case["expect"]["ok"], case["expect"].get("reason")
        if "request" in case:
            continue
        if ok or reason == "bad_signature":
            header = json.loads(base64.urlsafe_b64decode(case["token"].split(".")[0] + "=="))
            if signer.verifies(case["token"], header["alg"], header["kid"]) != ok:
                sys.exit(f"self-check: {case['name']}: joserfc disagrees about the signature")


def proof_verifies(proof: str | None) -> bool:
    """joserfc's opinion of a DPoP proof, with the jwk of its own header."""
    if proof is None:  # a Bearer request
        return True
    h, p, s = proof.split(".")
    header = json.loads(base64.urlsafe_b64decode(h + "=="))
    sig = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    return JWSRegistry.algorithms[header["alg"]].verify(f"{h}.{p}".encode(), sig, import_key(header["jwk"]))


def old_signed(doc: dict) -> list:
    """Every compact JWS of a previous vectors.json: tokens and proofs."""
    out = []
    for case in doc.get("cases", []):
        out.append(case["token"])
        for step in case.get("http_requests", []):
            out.extend(p.strip() for p in (step["dpop"] or "").split(","))
    return out


def main() -> None:
    store = KeyStore()
    # The previous file even when a key was just created: the signer reuses
    # an old signature only if it verifies with the key as it is now.
    old = json.loads(OUT.read_text()) if OUT.exists() else {"cases": []}
    signer = Signer(store, old_signed(old))
    cases = build(signer, store)
    self_check(signer, cases)
    doc = {
        "format": 1,
        "description": "Verifier conformance vectors; see FORMAT.md. Generated by generate.py; do not edit.",
        "issuer": ISS,
        "audience": AUD,
        "keys": [{"kid": n, "in_jwks": n in JWKS_KEYS, "public_jwk": store.public_jwk(n)} for n in store.keys],
        "jwks": store.jwks(),
        "cases": cases,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(HERE.parent.parent)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
