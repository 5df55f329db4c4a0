#!/usr/bin/env python3
"""Checks the structure of tests/verify/vectors.json (standard library only).

    python3 tests/verify/check.py [path/to/vectors.json]

It does not verify tokens (each language's runner does); it checks that the
file is what FORMAT.md promises, so a runner can trust its shape: every case
has name/token/options and either expect or http_requests (steps of the
right shape), names are unique, options are verifier options of the right
type, reasons come from the spec's list and arise where they can, and no JWK
carries private members.
"""

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

REASONS = {
    "missing", "malformed", "too_large", "disallowed_algorithm", "unknown_key",
    "weak_key", "bad_signature", "bad_typ", "crit", "wrong_issuer",
    "wrong_audience", "expired", "not_yet_valid", "missing_claim", "bad_claim_type",
    "dpop_proof", "dpop_replay", "dpop_nonce", "dpop_bound",
}
# Reasons only a request can give: from `request` or `http_requests`, or
# (the proof's) from `http_requests` only.
REQUEST_REASONS = {"missing", "dpop_bound"}
PROOF_REASONS = {"dpop_proof", "dpop_replay", "dpop_nonce"}
CODES = {"invalid_token", "insufficient_scope", "config"}
# Verifier option surface names a case may set, with the JSON type each takes.
OPTIONS = {
    "issuer": str,
    "audience": list,
    "algorithms": list,
    "leeway": int,
    "strict_typ": bool,
    "max_token_bytes": int,
    "dpop": str,
    "dpop_algorithms": list,
    "dpop_max_age": int,
    "dpop_replay_cache_size": int,
    "dpop_nonce": bool,
}
CLAIMS = {
    "issuer": (str,), "subject": (str, type(None)), "audience": (list,),
    "client_id": (str, type(None)), "scopes": (list,), "expires_at": (int,),
    "issued_at": (int, type(None)), "not_before": (int, type(None)), "jwt_id": (str, type(None)),
}
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CASE_KEYS = {"name", "description", "token", "options", "jwks", "request", "expect", "http_requests"}
STEP_KEYS = {"method", "url", "authorization", "dpop", "scopes", "expect"}
ABSOLUTE_URL = re.compile(r"^https?://[^/?#]+")


def check_jwks(jwks, where, errors):
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        errors.append(f"{where}: jwks must be {{\"keys\": [...]}} with at least one key")
        return
    for jwk in jwks["keys"]:
        if not isinstance(jwk, dict) or "kty" not in jwk:
            errors.append(f"{where}: a JWK without kty")
        elif PRIVATE_JWK_MEMBERS & jwk.keys():
            errors.append(f"{where}: JWK {jwk.get('kid')!r} carries private members")


def check_options(options, where, errors):
    if not isinstance(options, dict):
        errors.append(f"{where}: options must be an object")
        return
    for req in ("issuer", "audience"):
        if req not in options:
            errors.append(f"{where}: options lacks {req}")
    for name, value in options.items():
        want = OPTIONS.get(name)
        if want is None:
            errors.append(f"{where}: unknown option {name!r}")
        elif type(value) is not want:  # bool is not an int here
            errors.append(f"{where}: option {name} must be {want.__name__}")
        elif want is list and not all(isinstance(v, str) for v in value):
            errors.append(f"{where}: option {name} must list strings")


def check_expect(expect, where, errors):
    if not isinstance(expect, dict) or not isinstance(expect.get("ok"), bool):
        errors.append(f"{where}: expect must be an object with ok true/false")
        return
    if expect["ok"]:
        claims = expect.get("claims")
        if set(expect) != {"ok", "claims"} or not isinstance(claims, dict) or set(claims) != set(CLAIMS):
            errors.append(f"{where}: ok expect must be {{ok, claims}} with exactly {sorted(CLAIMS)}")
            return
        for field, types in CLAIMS.items():
            if type(claims[field]) not in types:
                errors.append(f"{where}: claims.{field} has type {type(claims[field]).__name__}")
        for field in ("audience", "scopes"):
            if not all(isinstance(v, str) for v in claims[field]):
                errors.append(f"{where}: claims.{field} must list strings")
        return
    code = expect.get("code")
    if code not in CODES:
        errors.append(f"{where}: code {code!r} not in {sorted(CODES)}")
    elif code == "invalid_token":
        if set(expect) != {"ok", "code", "reason"} or expect["reason"] not in REASONS:
            errors.append(f"{where}: invalid_token needs a reason from the spec's list, got {expect.get('reason')!r}")
    elif code == "insufficient_scope":
        if set(expect) != {"ok", "code", "required_scope"} or not isinstance(expect["required_scope"], str):
            errors.append(f"{where}: insufficient_scope needs required_scope (a string)")
    elif set(expect) != {"ok", "code"}:
        errors.append(f"{where}: a {code} expect has no other member")


def check_request(request, where, errors):
    if not isinstance(request, dict) or set(request) != {"authorization", "scopes"}:
        errors.append(f"{where}: request must be {{authorization, scopes}}")
        return
    if not isinstance(request["authorization"], (str, type(None))):
        errors.append(f"{where}: request.authorization must be a string or null")
    if not isinstance(request["scopes"], list) or not all(isinstance(v, str) for v in request["scopes"]):
        errors.append(f"{where}: request.scopes must list strings")


def check_http_requests(steps, where, errors):
    if not isinstance(steps, list) or not steps:
        errors.append(f"{where}: http_requests must be a non-empty list")
        return
    for i, step in enumerate(steps):
        at = f"{where} request {i}"
        if not isinstance(step, dict) or set(step) != STEP_KEYS:
            errors.append(f"{at}: must be {{{', '.join(sorted(STEP_KEYS))}}}")
            continue
        if not isinstance(step["method"], str) or not step["method"]:
            errors.append(f"{at}: method must be a non-empty string")
        if not isinstance(step["url"], str) or not ABSOLUTE_URL.match(step["url"]):
            errors.append(f"{at}: url must be an absolute http(s) URL")
        for header in ("authorization", "dpop"):
            if not isinstance(step[header], (str, type(None))) or not (step[header] or "").isascii():
                errors.append(f"{at}: {header} must be an ASCII string or null")
        if not isinstance(step["scopes"], list) or not all(isinstance(v, str) for v in step["scopes"]):
            errors.append(f"{at}: scopes must list strings")
        check_expect(step["expect"], at, errors)
        if isinstance(step["expect"], dict) and step["expect"].get("code") == "config":
            errors.append(f"{at}: config is the verifier's, never a request's")


def outcomes(case) -> list:
    """Every expect of a case: its own, or its requests'."""
    return [s.get("expect", {}) for s in case.get("http_requests", [])] or [case.get("expect", {})]


def check(doc) -> list:
    errors = []
    if doc.get("format") != 1:
        errors.append("format must be 1")
    for field in ("issuer", "audience"):
        if not isinstance(doc.get(field), str):
            errors.append(f"top level: {field} must be a string")
    check_jwks(doc.get("jwks"), "top level", errors)
    for key in doc.get("keys", []):
        if PRIVATE_JWK_MEMBERS & key.get("public_jwk", {}).keys():
            errors.append(f"keys: {key.get('kid')!r} carries private members")
    cases = doc.get("cases")
    if not isinstance(cases, list) or not cases:
        return errors + ["cases must be a non-empty list"]
    seen = set()
    for i, case in enumerate(cases):
        where = f"case {i} ({case.get('name', '?') if isinstance(case, dict) else '?'})"
        if not isinstance(case, dict):
            errors.append(f"{where}: not an object")
            continue
        missing = {"name", "token", "options"} - case.keys()
        if missing:
            errors.append(f"{where}: lacks {sorted(missing)}")
            continue
        if ("expect" in case) == ("http_requests" in case) or ("request" in case and "http_requests" in case):
            errors.append(f"{where}: has either expect (and maybe request) or http_requests")
            continue
        if case.keys() - CASE_KEYS:
            errors.append(f"{where}: unknown members {sorted(case.keys() - CASE_KEYS)}")
        name = case["name"]
        if not isinstance(name, str) or not NAME.match(name):
            errors.append(f"{where}: name must be kebab-case")
        elif name in seen:
            errors.append(f"{where}: duplicate name")
        seen.add(name)
        if not isinstance(case["token"], str) or not case["token"].isascii():
            errors.append(f"{where}: token must be an ASCII string")
        check_options(case["options"], where, errors)
        if "jwks" in case:
            check_jwks(case["jwks"], where, errors)
        if "http_requests" in case:
            check_http_requests(case["http_requests"], where, errors)
            continue
        if "request" in case:
            check_request(case["request"], where, errors)
        elif case["expect"].get("code") == "insufficient_scope" or case["expect"].get("reason") in REQUEST_REASONS:
            errors.append(f"{where}: {case['expect'].get('code')}/{case['expect'].get('reason')}"
                          " only arise from a request")
        if case["expect"].get("reason") in PROOF_REASONS:
            errors.append(f"{where}: {case['expect']['reason']} only arises from http_requests")
        check_expect(case["expect"], where, errors)
    return errors


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "vectors.json"
    doc = json.loads(path.read_text())
    errors = check(doc)
    for e in errors:
        print(f"{path.name}: {e}", file=sys.stderr)
    if errors:
        return 1
    reasons = {e.get("reason") for c in doc["cases"] for e in outcomes(c)} - {None}
    steps = sum(len(c.get("http_requests", [])) for c in doc["cases"])
    print(f"{path.name}: {len(doc['cases'])} cases ({steps} HTTP requests) OK; reasons covered: {len(reasons)}/{len(REASONS)}"
          f" (not covered: {', '.join(sorted(REASONS - reasons)) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
