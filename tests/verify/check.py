#!/usr/bin/env python3
"""Checks the structure of tests/verify/vectors.json (standard library only).

    python3 tests/verify/check.py [path/to/vectors.json]

It does not verify tokens (each language's runner does); it checks that the
file is what FORMAT.md promises, so a runner can trust its shape: every case
has name/token/options/expect, names are unique, options are verifier options
of the right type, reasons come from the spec's list, and no JWK carries
private members.
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
}
CODES = {"invalid_token", "insufficient_scope", "config"}
# Verifier option surface names a case may set, with the JSON type each takes.
OPTIONS = {
    "issuer": str,
    "audience": list,
    "algorithms": list,
    "leeway": int,
    "strict_typ": bool,
    "max_token_bytes": int,
}
CLAIMS = {
    "issuer": (str,), "subject": (str, type(None)), "audience": (list,),
    "client_id": (str, type(None)), "scopes": (list,), "expires_at": (int,),
    "issued_at": (int, type(None)), "not_before": (int, type(None)), "jwt_id": (str, type(None)),
}
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CASE_KEYS = {"name", "description", "token", "options", "jwks", "request", "expect"}


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
        missing = {"name", "token", "options", "expect"} - case.keys()
        if missing:
            errors.append(f"{where}: lacks {sorted(missing)}")
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
        if "request" in case:
            check_request(case["request"], where, errors)
        elif case["expect"].get("code") in ("insufficient_scope",) or case["expect"].get("reason") == "missing":
            errors.append(f"{where}: {case['expect'].get('code')}/missing only arise from a request case")
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
    reasons = {c["expect"].get("reason") for c in doc["cases"]} - {None}
    print(f"{path.name}: {len(doc['cases'])} cases OK; reasons covered: {len(reasons)}/{len(REASONS)}"
          f" (not covered: {', '.join(sorted(REASONS - reasons)) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
