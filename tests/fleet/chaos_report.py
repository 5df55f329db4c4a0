"""The table of scripts/chaos.sh: one row per scenario from the drivers' logs
(tests/fleet/driver.rs) and the phases file the script wrote.

usage: chaos_report.py PHASES LEEWAY_SECS LOG...

PHASES holds one JSON object a line: {"name", "start_ms", "end_ms",
"token_requests"} (the dev server's token requests during the phase).

A failed call "had a usable token" when some worker of any process had
already been served a token for that key (first seen at or before the
failure) that was still usable then, by real time: before its JWT `exp`
minus the leeway. Exits 1 if any call failed while such a token existed.
"""

import json
import sys


def percentile(hist: dict, q: float) -> float:
    """The upper bound (ms) of the latency bucket holding quantile q."""
    total = sum(hist.values())
    if total == 0:
        return 0.0
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= q * total:
            return 2 ** ((b + 1) / 8) / 1000
    return 0.0


def main() -> int:
    phases = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    leeway_ms = float(sys.argv[2]) * 1000
    lines = []
    for path in sys.argv[3:]:
        for l in open(path):
            try:
                rec = json.loads(l)
            except ValueError:
                continue  # the line a driver was writing when it was stopped
            rec["log"] = path.rsplit("/", 1)[-1]
            lines.append(rec)
    # Every token anyone was served: key -> fingerprint -> [first_seen, exp].
    tokens: dict = {}
    for line in lines:
        for key, fp, seen, exp in line.get("tokens", []):
            t = tokens.setdefault(key, {}).setdefault(fp, [seen, exp, line["log"]])
            if seen < t[0]:
                t[0], t[2] = seen, line["log"]

    def usable(key: int, ms: int):
        """A token of key usable at ms: (fingerprint, first seen, exp, where)."""
        for fp, (s, e, log) in tokens.get(key, {}).items():
            if s <= ms < e - leeway_ms:
                return fp, s, e, log
        return None

    examples = []

    head = ("scenario", "secs", "calls", "failed", "failed w/ usable",
            "token reqs", "max ms", "p99 ms", "stale/expired served")
    rows = [head]
    bad = 0
    for p in phases:
        start, end = p["start_ms"], p["end_ms"]
        calls = failed = with_usable = stale = expired = 0
        max_us = 0
        hist: dict = {}
        codes: dict = {}
        for line in lines:
            if "final" in line:
                continue
            mid = line["t_ms"] - 500  # a line covers the second before t_ms
            if not start <= mid < end:
                continue
            calls += line["calls"]
            max_us = max(max_us, line["max_us"])
            stale += line["stale"]
            expired += line["expired"]
            for b, n in line["hist"].items():
                hist[int(b)] = hist.get(int(b), 0) + n
            for ms, key, code in line["fail"]:
                failed += 1
                codes[code] = codes.get(code, 0) + 1
                found = usable(key, ms)
                if found:
                    with_usable += 1
                    if len(examples) < 10:
                        examples.append((p["name"], line["log"], ms, key, code, found))
        bad += with_usable
        codes_txt = ",".join(f"{c}:{n}" for c, n in sorted(codes.items()))
        rows.append((p["name"], f"{(end - start) / 1000:.0f}", str(calls),
                     f"{failed}" + (f" ({codes_txt})" if codes_txt else ""),
                     str(with_usable), str(p["token_requests"]),
                     f"{max_us / 1000:.1f}", f"{percentile(hist, 0.99):.2f}",
                     f"{stale}/{expired}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for i, r in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for name, log, ms, key, code, (fp, seen, exp, where) in examples:
        print(f"  {name}: {log} key {key} failed ({code}); token {fp} first seen by "
              f"{where} {ms - seen} ms before, its exp {exp - ms} ms after", file=sys.stderr)
    if bad:
        print(f"chaos: {bad} call(s) failed while a usable token existed", file=sys.stderr)
        return 1
    print("chaos: no call failed while a usable token existed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
