"""Prints scripts/bench.sh's one table from the JSON figures of its rounds.

    table.py DIR      (DIR holds LANG-ROUND.json: rust, go, python, node, c)

Each figure is the median over the rounds; ratios are taken of medians.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def load(d: Path) -> dict[str, dict[str, float]]:
    """{lang: {figure: median over rounds}}."""
    rounds: dict[str, dict[str, list[float]]] = {}
    for f in sorted(d.glob("*-*.json")):
        lang = f.stem.rsplit("-", 1)[0]
        for k, v in json.loads(f.read_text()).items():
            if isinstance(v, (int, float)) and v >= 0:
                rounds.setdefault(lang, {}).setdefault(k, []).append(float(v))
    return {lang: {k: statistics.median(v) for k, v in figs.items()} for lang, figs in rounds.items()}


def cell(v: float | None, digits: int = 0) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


# (label, our key, floor key, floor name, peer key, Go key, digits, lower is better)
ROWS = [
    ("hot: cached token, ns/call", "hot_ns", "floor_hot_ns", "peer_hot_ns", "hot_ns", 0, True),
    ("cold: one token request, µs", "cold_us", "wrk_us", "peer_cold_us", "cold_us", 0, True),
    ("herd: token requests, cold stampede (64 threads; Node 10,000 promises)", "herd", None, "peer_herd", "herd", 0, True),
    ("API loop: token + GET /api, calls/s", "api_per_s", "floor_api_per_s", "peer_api_per_s", "api_per_s", 0, False),
    ("Node callApi loop, calls/s", "call_api_per_s", "node_http_per_s", None, "api_per_s", 0, False),
    ("load (import/require), ms", "load_ms", None, None, None, 1, True),
    ("load: added RSS, MiB", "load_rss_mib", None, None, None, 1, True),
]
FLOORS = {
    "rust": {"cold_us": "wrk -t1 -c1"},
    "python": {"hot_ns": "dict lookup", "cold_us": "wrk -t1 -c1", "api_per_s": "requests GET + header"},
    "node": {
        "hot_ns": "await Map.get",
        "cold_us": "wrk -t1 -c1",
        "api_per_s": "fetch + header",
        "call_api_per_s": "node:http keep-alive",
    },
    "c": {"cold_us": "wrk -t1 -c1"},
}
LANGS = [("rust", "Rust"), ("c", "C"), ("python", "Python"), ("node", "Node")]


def main() -> None:
    figs = load(Path(sys.argv[1]))
    go = figs.get("go", {})
    n = max((len(list(Path(sys.argv[1]).glob(f"{lang}-*.json"))) for lang in figs), default=0)
    print(f"m2m-auth benchmark: medians of {n} alternating round(s), one machine, one run\n")
    print("| language | figure | m2m-auth | floor | ÷ floor | best peer | ÷ peer | Go x/oauth2 | ÷ Go |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for lang, name in LANGS:
        f = figs.get(lang)
        if not f:
            continue
        for label, key, fkey, pkey, gkey, digits, _ in ROWS:
            ours = f.get(key)
            if ours is None:
                continue
            floor = f.get(fkey) if fkey else None
            peer = f.get(pkey) if pkey else None
            g = go.get(gkey) if gkey else None
            fname = FLOORS.get(lang, {}).get(key, "")
            floor_cell = f"{cell(floor, digits)} ({fname})" if floor is not None and fname else cell(floor, digits)
            print(
                f"| {name} | {label} | {cell(ours, digits)} | {floor_cell} | {ratio(ours, floor)} "
                f"| {cell(peer, digits)} | {ratio(ours, peer)} | {cell(g, digits)} | {ratio(ours, g)} |"
            )
    if go:
        print(
            f"\nGo x/oauth2: hot {cell(go.get('hot_ns'))} ns, cold {cell(go.get('cold_us'))} µs, "
            f"herd {cell(go.get('herd'))}, API loop {cell(go.get('api_per_s'))} calls/s"
        )
    print(
        "\nTargets (issue #17): cold ≤ 1.25× wrk and < Go in every language; Node client.fetch ≥ 0.95× plain fetch; "
        "Node load ≤ 5 ms and ≤ +4 MiB; API loops ≥ Go."
    )


if __name__ == "__main__":
    main()
