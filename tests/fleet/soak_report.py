"""The figures of scripts/soak.sh: RSS and open fds per driver (start, peak,
end), token requests against the prediction (one per visit: the formula is
in the script's header), errors.

usage: soak_report.py SAMPLES TOKEN_REQUESTS LOG...

SAMPLES: lines "ms pid rss_kb fds". Exits 1 on any error, or when the token
requests are off the prediction by more than 1 %.
"""

import json
import sys


def main() -> int:
    samples: dict = {}
    for line in open(sys.argv[1]):
        ms, pid, rss, fds = line.split()
        samples.setdefault(pid, []).append((int(ms), int(rss), int(fds)))
    requests = int(sys.argv[2])
    visits = errors = stale = expired = 0
    codes: dict = {}
    for path in sys.argv[3:]:
        for line in open(path):
            rec = json.loads(line)
            if rec.get("final"):
                visits += rec["visits"]
                continue
            stale += rec["stale"]
            expired += rec["expired"]
            for _, _, code in rec["fail"]:
                errors += 1
                codes[code] = codes.get(code, 0) + 1

    # "1 min": the first sample a minute in, once the LRU bound is reached
    # (each process has seen 1,000 keys after ~10 s) and the allocator warm:
    # flat means no growth from there to the end.
    print("| driver pid | samples | RSS start / 1 min / peak / end (MiB) | fds start / peak / end |")
    print("|---|---|---|---|")
    for pid, s in samples.items():
        rss = [r / 1024 for _, r, _ in s]
        fds = [f for _, _, f in s]
        minute = next((r / 1024 for ms, r, _ in s if ms - s[0][0] >= 60_000), rss[-1])
        print(f"| {pid} | {len(s)} | {rss[0]:.1f} / {minute:.1f} / {max(rss):.1f} / {rss[-1]:.1f} "
              f"| {fds[0]} / {max(fds)} / {fds[-1]} |")
    off = abs(requests - visits) / max(visits, 1)
    print(f"token requests: {requests}; predicted (= visits): {visits}; off by {off:.3%}")
    print(f"errors: {errors} {codes if codes else ''}; tokens served within the leeway: "
          f"{stale}, past expiry: {expired}")
    ok = errors == 0 and off <= 0.01 and visits > 0
    print("soak: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
