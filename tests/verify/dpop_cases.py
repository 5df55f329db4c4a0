"""The DPoP cases of the verifier vectors (RFC 9449 §4.3, §7; FORMAT.md
"HTTP request cases"), used by generate.py only.

Access tokens bound to a key (`cnf.jkt`, the RFC 7638 thumbprint computed
here by hand and checked against joserfc's) and the DPoP proofs of the
requests, all signed by joserfc with the test-only keys `dpop-ec-p256` and
`dpop-ed25519` of keys/. The vectors are static and the runners use the real
clock: every proof has the fixed `iat` of the tokens (2023-11-14) and the
cases set `dpop_max_age` to 100 years, so the proofs stay fresh past 2100,
when the tokens expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from jose_kit import b64, b64_json

IAT = 1700000000  # 2023-11-14, as the tokens' iat
Y2099 = 4070908800  # 2099-01-01T00:00:00Z
EXPIRED = 978307200  # 2001-01-01T00:00:00Z
# 100 years of 365.25 days, in seconds: a proof of IAT stays fresh until 2123.
MAX_AGE = 3155760000
URL = "https://api.example/things"
P256, ED = "dpop-ec-p256", "dpop-ed25519"
ALG_OF = {P256: "ES256", ED: "EdDSA"}
# RFC 7638 §3.2: the members a thumbprint covers, per key type.
THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}


def thumbprint(jwk: dict) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, no whitespace."""
    members = {m: jwk[m] for m in THUMBPRINT_MEMBERS[jwk["kty"]]}
    text = json.dumps(members, sort_keys=True, separators=(",", ":"))
    return b64(hashlib.sha256(text.encode("utf-8")).digest())


def ath(token: str) -> str:
    """RFC 9449 §4.2: base64url SHA-256 of the access token's ASCII."""
    return b64(hashlib.sha256(token.encode("ascii")).digest())


def changed(base: dict, changes: dict) -> dict:
    """`base` with `changes` applied; a change to None removes the member."""
    out = dict(base)
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


class Dpop:
    """Builds the DPoP cases into generate.py's `Cases`."""

    def __init__(self, cases, expected, fail) -> None:
        self.k, self.expected, self.fail = cases, expected, fail
        self.store, self.signer = cases.store, cases.signer

    def public_jwk(self, key: str) -> dict:
        """The bare public JWK a proof carries (no kid, no use)."""
        jwk = self.store.keys[key].as_dict(private=False)
        jwk.pop("kid", None)
        return jwk

    def jkt(self, key: str) -> str:
        """The thumbprint by hand, and joserfc's as a cross-check."""
        mine = thumbprint(self.public_jwk(key))
        if mine != self.store.keys[key].thumbprint():
            raise SystemExit(f"thumbprint of {key}: joserfc disagrees")
        return mine

    def bound(self, name: str, key: str | None = P256, **changes):
        """An RS256 access token for case `name`, bound to `key` (None: unbound)."""
        if key is not None:
            changes["cnf"] = {"jkt": self.jkt(key)}
        return self.k.signed(name, "RS256", **changes)

    def proof(self, ident: str, token: str, key: str = P256, header=None, sign_with=None, **claims) -> str:
        """A proof of `GET URL` for `token`, signed by `key` (or `sign_with`)
        with its public JWK in the header and `ident` as jti; `header`/`claims`
        change members."""
        alg = ALG_OF[key]
        h = changed({"typ": "dpop+jwt", "alg": alg, "jwk": self.public_jwk(key)}, header or {})
        c = changed({"jti": ident, "htm": "GET", "htu": URL, "iat": IAT, "ath": ath(token)}, claims)
        return self.signer.token(h, c, sign_with or key, alg)

    def step(self, authorization, dpop, expect, method="GET", url=URL, scopes=()) -> dict:
        return {"method": method, "url": url, "authorization": authorization, "dpop": dpop,
                "scopes": list(scopes), "expect": expect}

    def add(self, name, token, steps, description, options=None, max_age=True) -> None:
        opts = {"dpop_max_age": MAX_AGE} if max_age else {}
        opts.update(options or {})
        self.k.add_http(name, token, steps, opts, description)

    def one(self, name, description, reason=None, key=P256, proof_key=None, options=None, step=None,
            header=None, sign_with=None, max_age=True, token_changes=None, scheme="DPoP", **claims) -> None:
        """A case of one request: a token bound to `key`, a proof by
        `proof_key` (default `key`) with the changes given; ok or `reason`."""
        tok, c = self.bound(name, key, **(token_changes or {}))
        proof = self.proof(f"{name}-proof", tok, proof_key or key, header, sign_with, **claims)
        expect = self.expected(c) if reason is None else self.fail(reason)
        kw = dict(step or {})
        self.add(name, tok, [self.step(f"{scheme} {tok}", proof, expect, **kw)],
                 description, options, max_age)

    def hs256_proof(self, jti: str, token: str) -> str:
        """A proof MACed with HS256 (the key: the P-256 JWK's x): never allowed."""
        h = {"typ": "dpop+jwt", "alg": "HS256", "jwk": self.public_jwk(P256)}
        c = {"jti": jti, "htm": "GET", "htu": URL, "iat": IAT, "ath": ath(token)}
        si = f"{b64_json(h)}.{b64(json.dumps(c, separators=(',', ':')).encode())}"
        key = base64.urlsafe_b64decode(self.public_jwk(P256)["x"] + "=")
        return f"{si}.{b64(hmac.new(key, si.encode(), hashlib.sha256).digest())}"


def build_dpop(k, expected, fail) -> None:
    """Adds every DPoP case to `k` (generate.py's Cases)."""
    d = Dpop(k, expected, fail)

    # --- accepted ------------------------------------------------------------------
    d.one("dpop-valid-es256", "A token bound to a P-256 key, an ES256 proof of GET by that key.")
    d.one("dpop-valid-eddsa", "A token bound to an Ed25519 key, an EdDSA proof by that key.", key=ED)
    d.one("dpop-scheme-lowercase", "The scheme `dpop` in lower case (schemes are case-insensitive).",
          scheme="dpop")
    d.one("dpop-post", "A POST with htm POST.", step={"method": "POST"}, htm="POST")
    d.one("dpop-request-query-fragment-ignored", "The request URL has a query and a fragment, htu has neither:"
          " both are ignored (RFC 9449 §4.3).", step={"url": f"{URL}?page=2#top"})
    d.one("dpop-htu-query-ignored", "htu has a query the request URL has not: ignored.", htu=f"{URL}?page=2")
    d.one("dpop-htu-case-and-default-port", "htu with the scheme and host in upper case and the default port:"
          " equal after normalization (RFC 3986 §6.2.2, §6.2.3).", htu="HTTPS://API.EXAMPLE:443/things")
    d.one("dpop-htu-dot-segments", "htu with a dot segment: equal after removing it (RFC 3986 §6.2.2.3).",
          htu="https://api.example/x/../things")
    d.one("dpop-htu-percent-encoded-unreserved", "htu with an unreserved character percent-encoded (%69 = i):"
          " equal after decoding it (RFC 3986 §6.2.2.2).", htu="https://api.example/th%69ngs")
    d.one("dpop-htu-percent-hex-case", "htu and request URL with one reserved character encoded, hex in lower and"
          " upper case: equal (RFC 3986 §6.2.2.1).", htu="https://api.example/a%2fb",
          step={"url": "https://api.example/a%2Fb"})

    # --- the proof refused -----------------------------------------------------------
    P = "dpop_proof"
    d.one("dpop-proof-other-key", "A valid proof by another key than the token's cnf.jkt.", P, proof_key=ED)
    d.one("dpop-signature-not-by-jwk", "The proof's jwk is the bound key, its signature another P-256 key's.",
          P, sign_with="attacker-ec-p256")
    d.one("dpop-alg-not-listed", "An EdDSA proof when dpop_algorithms is [ES256].", P, key=ED,
          options={"dpop_algorithms": ["ES256"]})
    d.one("dpop-wrong-htm", "htm POST on a GET.", P, htm="POST")
    d.one("dpop-htm-lowercase", "htm `get` on a GET: methods are case-sensitive.", P, htm="get")
    d.one("dpop-wrong-htu-path", "htu of another path.", P, htu="https://api.example/other")
    d.one("dpop-htu-trailing-slash", "htu with a trailing slash the request URL has not.", P, htu=f"{URL}/")
    d.one("dpop-htu-http-scheme", "htu with http instead of https.", P, htu="http://api.example/things")
    d.one("dpop-htu-encoded-slash", "htu with %2F where the request URL has /: a reserved character encoded is"
          " another path.", P, htu="https://api.example/a%2Fb", step={"url": "https://api.example/a/b"})
    d.one("dpop-missing-ath", "No ath with an access token.", P, ath=None)
    d.one("dpop-wrong-ath", "ath of another token.", P, ath=b64(hashlib.sha256(b"another token").digest()))
    d.one("dpop-typ-jwt", "typ JWT instead of dpop+jwt.", P, header={"typ": "JWT"})
    d.one("dpop-typ-absent", "No typ.", P, header={"typ": None})
    d.one("dpop-jwk-private-key", "The jwk header holds the private key (d): refused, never echoed.", P,
          header={"jwk": {**d.public_jwk(P256), "d": k.store.keys[P256].as_dict(private=True)["d"]}})
    d.one("dpop-no-jwk", "A kid instead of a jwk in the header.", P, header={"jwk": None, "kid": "ec-p256"})
    d.one("dpop-crit", "A crit header.", P, header={"crit": ["exp"], "exp": IAT})
    d.one("dpop-iat-future", "Proof iat in 2099.", P, iat=Y2099)
    d.one("dpop-iat-stale", "Proof iat in 2023 with the default dpop_max_age (60 s).", P, max_age=False)
    d.one("dpop-iat-string", "Proof iat as a string.", P, iat=str(IAT))
    d.one("dpop-missing-jti", "No jti.", P, jti=None)
    d.one("dpop-proof-too-large", "A proof over 8 KiB.", P, pad="A" * 8200)
    for name, mangle, what in [
        ("dpop-missing-proof", lambda p: None, "No DPoP header."),
        ("dpop-empty-proof", lambda p: "", "An empty DPoP header."),
        ("dpop-two-proofs", lambda p: f"{p}, {p}", "Two DPoP headers (joined with a comma)."),
        ("dpop-malformed-proof", lambda p: "not-a-proof", "A DPoP header that is not a JWS."),
        ("dpop-proof-bad-json", lambda p: f"{b64(b'not json')}.{p.split('.', 1)[1]}", "A header segment not JSON."),
    ]:
        # Ed25519: a deterministic signature, so a mangled proof is the same on every run.
        tok, _ = d.bound(name, ED)
        d.add(name, tok, [d.step(f"DPoP {tok}", mangle(d.proof(f"{name}-proof", tok, ED)), fail(P))], what)
    for name, alg in [("dpop-alg-none", "none"), ("dpop-alg-hs256", "HS256")]:
        tok, _ = d.bound(name)
        proof = (d.hs256_proof(f"{name}-proof", tok) if alg == "HS256" else
                 k.signer.token({"typ": "dpop+jwt", "alg": "none", "jwk": d.public_jwk(P256)},
                                {"jti": f"{name}-proof", "htm": "GET", "htu": URL, "iat": IAT, "ath": ath(tok)},
                                None))
        d.add(name, tok, [d.step(f"DPoP {tok}", proof, fail(P))], f"A proof with alg {alg}: never allowed.")

    # --- replay and nonces ------------------------------------------------------------
    tok, c = d.bound("dpop-replay")
    first, second = d.proof("dpop-replay-1", tok), d.proof("dpop-replay-2", tok)
    d.add("dpop-replay", tok, [d.step(f"DPoP {tok}", first, expected(c)),
                               d.step(f"DPoP {tok}", first, fail("dpop_replay")),
                               d.step(f"DPoP {tok}", second, expected(c))],
          "The same proof twice: the second is a replay; a new proof (another jti) is fine.")
    d.one("dpop-nonce-missing", "Nonce mode, a proof without nonce.", "dpop_nonce", options={"dpop_nonce": True})
    d.one("dpop-nonce-unknown", "Nonce mode, a nonce this API never gave.", "dpop_nonce",
          options={"dpop_nonce": True}, nonce="not-a-nonce-of-this-api")

    # --- schemes: which token goes with which ----------------------------------------------
    B = "dpop_bound"
    d.one("dpop-bound-as-bearer", "A bound token as Bearer (with its proof).", B,
          scheme="Bearer")
    tok, _ = d.bound("dpop-bound-as-bearer-no-proof")
    d.add("dpop-bound-as-bearer-no-proof", tok, [d.step(f"Bearer {tok}", None, fail(B))],
          "A bound token as Bearer, no DPoP header.")
    tok, _ = d.bound("request-dpop-bound-as-bearer")
    k.add("request-dpop-bound-as-bearer", tok, fail(B), {"dpop_max_age": MAX_AGE},
          request={"authorization": f"Bearer {tok}", "scopes": []},
          description="verify_request with a bound token: refused as with verify_http_request.")
    d.one("dpop-unbound-as-dpop", "A token without cnf.jkt as DPoP, with a valid proof.", B, key=None,
          proof_key=P256)
    tok, _ = d.bound("dpop-required-bearer", None)
    d.add("dpop-required-bearer", tok, [d.step(f"Bearer {tok}", None, fail(B))],
          "dpop required: an unbound Bearer token is refused.", {"dpop": "required"})
    d.one("dpop-required-valid", "dpop required: a bound token with its proof.", options={"dpop": "required"})
    d.one("dpop-off-dpop-scheme", "dpop off: the DPoP scheme is no token.", "missing", options={"dpop": "off"})
    tok, c = d.bound("dpop-off-bearer", None)
    d.add("dpop-off-bearer", tok, [d.step(f"Bearer {tok}", None, expected(c))],
          "dpop off: Bearer tokens as usual.", {"dpop": "off"})

    # --- the token before the proof, the scopes after ------------------------------------
    d.one("dpop-expired-token", "An expired bound token with a valid proof: the token fails first.", "expired",
          token_changes={"iat": EXPIRED - 3600, "exp": EXPIRED})
    tok, c = d.bound("dpop-insufficient-scope")
    d.add("dpop-insufficient-scope", tok,
          [d.step(f"DPoP {tok}", d.proof("dpop-insufficient-scope-proof", tok),
                  {"ok": False, "code": "insufficient_scope", "required_scope": "admin:things"},
                  scopes=["admin:things"])],
          "A valid proof, a scope the token lacks.")

    # --- configuration refused --------------------------------------------------------------
    tok, _ = k.signed("config-dpop-base")
    for name, opts in [("config-dpop-algorithms-none", {"dpop_algorithms": ["none"]}),
                       ("config-dpop-algorithms-hs256", {"dpop_algorithms": ["HS256"]}),
                       ("config-dpop-max-age-zero", {"dpop_max_age": 0}),
                       ("config-dpop-unknown-mode", {"dpop": "sometimes"})]:
        k.add(name, tok, fail(None, code="config"), opts, description="Refused when the verifier is built.")
