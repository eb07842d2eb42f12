"""Import speed and memory of a 1-million-line Asterisk queue_log against reading its lines.

Run: ``python benchmarks/bench_import.py`` (``--lines 200000`` for a quicker run). Writes a queue_log with
the independent example generator (``tools/make_example_logs.py``, a busier centre so that fewer days give
the lines), then measures, each in a fresh process: the baseline — open the file, split every line on
'|' and count the events (the least any reader does) — and ``sim.history.read_queue_log``. Prints both
times, their ratio (target <= 15), the absolute import time (target < 30 s for 1 M lines on the machine
it runs on) and the import's peak memory: the reader streams lines and keeps calls in compact columns, so
memory grows with calls (~hundreds of bytes each), not with Python objects per line (target: peak RSS
increase < 400 bytes per line).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

HWM = """
def hwm():  # peak resident set of this process since exec (ru_maxrss would include the parent's, kept at fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
"""

BASELINE = HWM + """
import sys, time
from collections import Counter
t = time.perf_counter(); before = hwm()
events = Counter()
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        parts = line.rstrip("\\n").split("|")
        events[parts[4]] += 1
print(time.perf_counter() - t, hwm() - before, sum(events.values()))
"""

IMPORT = HWM + """
import sys, time
sys.path.insert(0, sys.argv[2])
import pandas, numpy  # loaded before the clock starts, as in the baseline's interpreter start-up
from sim.history import read_queue_log
t = time.perf_counter(); before = hwm()
log = read_queue_log(sys.argv[1])
print(time.perf_counter() - t, hwm() - before, len(log.calls))
"""


def write_log(path: Path, lines: int) -> int:
    """A queue_log of about ``lines`` lines from the example generator (10x the example's volume)."""
    from make_example_logs import generate

    per_day = 41110 / 28 * 10  # lines per day of the shipped example, at 10x its call volume
    days = max(1, round(lines / per_day))
    out, _, _ = generate(days, seed=3, daily_calls={"weekday": 5200.0, "saturday": 3200.0, "sunday": 2200.0})
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return len(out)


def measure(code: str, path: Path) -> tuple[float, float, int]:
    res = subprocess.run([sys.executable, "-c", code, str(path), str(ROOT)], capture_output=True, text=True,
                         check=True)
    seconds, rss_kb, count = res.stdout.split()
    return float(seconds), float(rss_kb) * 1024, int(count)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "queue_log"
        t = time.perf_counter()
        n = write_log(path, args.lines)
        print(f"generated {n:,} lines ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s")
        base_s, base_mem, _ = measure(BASELINE, path)
        imp_s, imp_mem, calls = measure(IMPORT, path)
    result = {"lines": n, "calls": calls, "baseline_s": round(base_s, 2), "import_s": round(imp_s, 2),
              "ratio": round(imp_s / base_s, 1), "import_peak_rss_increase_mb": round(imp_mem / 1e6, 1),
              "bytes_per_line": round(imp_mem / n), "lines_per_s": round(n / imp_s)}
    print(json.dumps(result, indent=1))
    print(f"import/baseline = {result['ratio']} (target <= 15); {imp_s:.1f} s for {n:,} lines "
          f"(target < 30 s per 1 M lines: {'met' if imp_s * 1e6 / n < 30 else 'NOT met'}); "
          f"{result['bytes_per_line']} bytes/line peak RSS increase (target < 400)")


if __name__ == "__main__":
    main()
