#!/usr/bin/env python3
"""C parity check (docs/design.md §9): every item of the engine's surface
(tests/surface.json) is reachable from the C header (include/m2m_auth.h),
spelled by the rules, with C's units.

  tests/c/check_parity.py [SURFACE_JSON [HEADER]]

Fails (exit 1) if a client option has no m2m_client_options_set_<name>
(add_<name> for lists and maps), a request parameter no
m2m_request_set_/add_<name>, a stat no m2m_stats_<name>, an error field no
m2m_error_<name>, a token field no m2m_token_<name>, a client method no
m2m_client_<name>, a verifier option no m2m_verifier_options_set_/add_<name>,
a claims field no m2m_claims_<name> (lists also m2m_claims_<name>_count;
instants return int64_t milliseconds since the epoch), a verifier method no
m2m_verifier_<name>; if a setter's value has the wrong C type for its item's
type (durations: uint64_t milliseconds); or if a name carries a unit suffix
(_ms, _s, _secs, _millis). Prints "c parity: N items, 0 missing" on success.
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
surface_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "surface.json")
header_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "include", "m2m_auth.h")

with open(surface_path) as f:
    surface = json.load(f)
with open(header_path) as f:
    header = f.read()

# Every function declaration: name -> parameter list (comments stripped,
# whitespace collapsed).
code = re.sub(r"/\*.*?\*/", "", header, flags=re.S)
code = re.sub(r"//[^\n]*", "", code)
functions = {}
for m in re.finditer(r"\b(m2m_\w+)\s*\(([^;{]*?)\)\s*;", code):
    functions[m.group(1)] = " ".join(m.group(2).split())

# The C type of a setter's value, by the item's type; lists and maps are
# add_ functions (one entry, or one name/value pair, per call).
SETTER = {
    "text": ("set", ["const char *value"]),
    "secret": ("set", ["const char *value"]),
    "pem": ("set", ["const char *value"]),
    "flag": ("set", ["bool value"]),
    "count": ("set", ["uint64_t value"]),
    "duration": ("set", ["uint64_t milliseconds"]),
    "fraction": ("set", ["double value"]),
    "list": ("add", ["const char *value"]),
    "map": ("add", ["const char *name", "const char *value"]),
    # A callback with user data and its destructor.
    "callback": ("set", ["m2m_assertion_provider provider", "void *user_data",
                         "m2m_free_user_data free_user_data"]),
}
# Getters' return or out type, by the item's type, where the rule is fixed.
TOKEN_OUT = {
    "duration": "uint64_t *milliseconds_out",
    "instant": "int64_t *unix_ms_out",
}

problems = []
count = 0


def check_setter(prefix, handle, item):
    verb, params = SETTER[item["type"]]
    name = f"{prefix}_{verb}_{item['name']}"
    want = ", ".join([handle] + params)
    got = functions.get(name)
    if got is None:
        problems.append(f"{item['name']} ({item['type']}): no {name}")
    elif got != want:
        problems.append(f"{name}({got}): expected ({want})")


for item in surface["client_options"]:
    count += 1
    check_setter("m2m_client_options", "struct m2m_client_options *options", item)
for item in surface["request_parameters"]:
    count += 1
    check_setter("m2m_request", "struct m2m_request *request", item)
def check_counter(what, prefix, param, item):
    """A uint64_t getter `<prefix>_<name>(<param>)` for a counter."""
    name = f"{prefix}_{item['name']}"
    if functions.get(name) != param:
        problems.append(f"{what} {item['name']}: no {name}({param})")
    elif not re.search(rf"\buint64_t\s+{name}\s*\(", code):
        problems.append(f"{name} does not return uint64_t")


for item in surface["stats"]:
    count += 1
    check_counter("stat", "m2m_stats", "const struct m2m_stats *stats", item)
for item in surface["error_fields"]:
    count += 1
    name = f"m2m_error_{item['name']}"
    if functions.get(name) != "const struct m2m_error *err":
        problems.append(f"error field {item['name']}: no {name}(const struct m2m_error *err)")
    elif item["type"] == "duration" and not re.search(rf"\buint64_t\s+{name}\s*\(", code):
        problems.append(f"{name} does not return uint64_t milliseconds")
for item in surface["token_fields"]:
    count += 1
    name = f"m2m_token_{item['name']}"
    got = functions.get(name)
    if got is None or not got.startswith("const struct m2m_token *token"):
        problems.append(f"token field {item['name']}: no {name}(const struct m2m_token *token, ...)")
    elif item["type"] in TOKEN_OUT and not got.endswith(TOKEN_OUT[item["type"]]):
        problems.append(f"{name}({got}): expected {TOKEN_OUT[item['type']]}")
# A method returning a list is a count and an item getter in C.
LISTS = {"quota": ("m2m_client_quota_count", "m2m_client_quota_bucket")}
for item in surface["client_methods"]:
    count += 1
    for name in LISTS.get(item["name"], (f"m2m_client_{item['name']}",)):
        got = functions.get(name)
        if got is None or "m2m_client *client" not in got:
            problems.append(f"client method {item['name']}: no {name}(... m2m_client *client ...)")

for item in surface["verifier_options"]:
    count += 1
    check_setter("m2m_verifier_options", "struct m2m_verifier_options *options", item)
# The C type each claims getter returns, by the item's type.
CLAIMS_RETURN = {"text": r"const char \*", "list": r"const char \*", "instant": r"int64_t "}
for item in surface["claims_fields"]:
    count += 1
    name = f"m2m_claims_{item['name']}"
    want = "const struct m2m_claims *claims"
    if item["type"] == "list":
        want += ", size_t index"
        counter = f"{name}_count"
        if functions.get(counter) != "const struct m2m_claims *claims":
            problems.append(f"claims field {item['name']}: no {counter}(const struct m2m_claims *claims)")
        elif not re.search(rf"\bsize_t\s+{counter}\s*\(", code):
            problems.append(f"{counter} does not return size_t")
    if functions.get(name) != want:
        problems.append(f"claims field {item['name']}: no {name}({want})")
    elif not re.search(rf"{CLAIMS_RETURN[item['type']]}\s*{name}\s*\(", code):
        problems.append(f"{name} does not return {CLAIMS_RETURN[item['type']]!r}")
for item in surface["verifier_stats"]:
    count += 1
    check_counter("verifier stat", "m2m_verifier_counters", "const struct m2m_verifier_counters *counters", item)
for item in surface["verifier_methods"]:
    count += 1
    name = f"m2m_verifier_{item['name']}"
    got = functions.get(name)
    if got is None or "m2m_verifier *verifier" not in got:
        problems.append(f"verifier method {item['name']}: no {name}(... m2m_verifier *verifier ...)")

for name in functions:
    if re.search(r"_(ms|s|secs|millis|seconds)$", name):
        problems.append(f"{name}: a unit in a name (the unit belongs in the type and the doc)")

if problems:
    for p in problems:
        print(f"c parity: {p}", file=sys.stderr)
    print(f"c parity: {count} items, {len(problems)} problems", file=sys.stderr)
    sys.exit(1)
print(f"c parity: {count} items, 0 missing")
