"""The per-request breakdown of scripts/cold-instructions.sh: reads the
callgrind_annotate outputs of a run with N requests and one with none
(PREFIX.N.incl / PREFIX.0.incl inclusive, PREFIX.N.self / PREFIX.0.self
exclusive) and prints (count with N - count with 0) / N for the total, per
crate (exclusive cost of the code each crate's source holds) and per
function (inclusive).

    python3 cold_breakdown.py PREFIX N TOP
"""

import re
import sys
from collections import defaultdict

LINE = re.compile(r"^\s*([\d,]+) \([^)]*\)\s+(.*?)(?: \[(.*)\])?$")


def read(path):
    """{(file, function): instructions} and the program total."""
    costs, total = defaultdict(int), 0
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            count = int(m.group(1).replace(",", ""))
            where = m.group(2)
            if where == "PROGRAM TOTALS":
                total = count
                continue
            file, _, function = where.partition(":")
            costs[(file, function, m.group(3) or "")] += count
    return costs, total


def crate(file, obj):
    """The crate (or system library) whose source `file` is."""
    m = re.search(r"/registry/src/[^/]+/([^/]+?)-\d+\.\d+[^/]*/", file)
    if m:
        return m.group(1)
    m = re.search(r"/rustc/[0-9a-f]+/library/([^/]+)/", file)
    if m:
        return "rust " + m.group(1)
    m = re.search(r"/(core|bindings/c|devserver)/(src|benches)/", file)
    if m:
        return {"core": "m2m-auth", "bindings/c": "m2m-auth-c"}.get(m.group(1), m.group(1))
    if file.endswith(".c") and "/" not in file:
        return "bench (C)"
    base = obj.rsplit("/", 1)[-1]
    if base.startswith(("libc.so", "ld-linux", "libm.so", "libgcc")) or file.startswith("./"):
        return "glibc"
    return base or "?"


def per_request(prefix, kind, n):
    full, full_total = read(f"{prefix}.{n}.{kind}")
    base, base_total = read(f"{prefix}.0.{kind}")
    diff = {k: (v - base.get(k, 0)) / n for k, v in full.items()}
    return diff, (full_total - base_total) / n


def short(function, width=110):
    function = re.sub(r"\{\{closure\}\}", "{closure}", function)
    return function if len(function) <= width else function[: width - 1] + "…"


def main():
    prefix, n, top = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    own, total = per_request(prefix, "self", n)
    print(f"instructions/request: {total:,.0f}")
    crates = defaultdict(float)
    for (file, _, obj), v in own.items():
        crates[crate(file, obj)] += v
    print("per crate (exclusive):")
    for name, v in sorted(crates.items(), key=lambda kv: -kv[1]):
        if v >= total * 0.005:
            print(f"  {v:>9,.0f}  {v / total:6.1%}  {name}")
    incl, _ = per_request(prefix, "incl", n)
    merged = defaultdict(float)
    for (_, function, _), v in incl.items():
        merged[function] += v
    print(f"top {top} functions (inclusive; wrappers of equal cost shown once):")
    shown, last = 0, None
    for function, v in sorted(merged.items(), key=lambda kv: -kv[1]):
        if shown >= top:
            break
        if last is not None and abs(v - last) < 1:
            continue
        last = v
        shown += 1
        print(f"  {v:>9,.0f}  {short(function)}")


main()
