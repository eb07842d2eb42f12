"""Benchmark: agents needed for a week of 15-min intervals (672), vectorised vs a scalar per-agent loop.

    python benchmarks/bench_staffing.py

Two targets: 80 % answered in 20 s (Erlang C) and at most 5 % abandonment with a 120 s mean patience
(Erlang A).  The baseline, written here, loops over the intervals in Python and for each one tries
N = N0, N0+1, ... calling the same exact formulas with scalars (N0 = floor(A)+1 for Erlang C, the
first stable count; floor(0.9 A) for Erlang A, a generous head start, walking down if it
already meets the target).  Prints times and the ratio;
asserts nothing except that both give the same agents (a benchmark that disagrees is meaningless).
Goal from issue 3: >= 50x faster than the loop and the week in well under 100 ms.
"""
from __future__ import annotations

import math
import time

import numpy as np

from staffing.erlang_a import erlang_a_metrics
from staffing.erlang_c import erlang_c_service_level
from staffing.requirements import agents_for_target

INTERVAL_S = 900.0
PATIENCE_S = 120.0


def week_volumes(seed: int = 2026) -> tuple[np.ndarray, np.ndarray]:
    """672 intervals: a daily double-peak profile scaled to 5..2000 calls per interval, AHT 180..360 s."""
    rng = np.random.default_rng(seed)
    hours = (np.arange(672) % 96) / 4.0
    shape = np.exp(-0.5 * ((hours - 10.5) / 1.8) ** 2) + 0.8 * np.exp(-0.5 * ((hours - 15.0) / 2.0) ** 2)
    day = np.repeat([1.0, 0.95, 0.9, 0.92, 1.0, 0.6, 0.45], 96)
    calls = 5.0 + 1995.0 * (shape * day) / (shape * day).max()
    calls = np.clip(calls * rng.uniform(0.9, 1.1, 672), 5.0, 2000.0)
    aht = rng.uniform(180.0, 360.0, 672)
    return calls, aht


def loop_erlang_c(calls, aht) -> np.ndarray:
    out = []
    for c, h in zip(calls, aht):
        a = c * h / INTERVAL_S
        n = math.floor(a) + 1
        while erlang_c_service_level(a, n, h, 20.0) < 0.8:
            n += 1
        out.append(n)
    return np.array(out)


def loop_erlang_a(calls, aht) -> np.ndarray:
    out = []
    for c, h in zip(calls, aht):
        a = c * h / INTERVAL_S
        n = max(1, math.floor(0.9 * a))
        while n > 1 and erlang_a_metrics(a, n - 1, h, PATIENCE_S, waits=False)["abandon_probability"] <= 0.05:
            n -= 1  # the head start was already feasible: walk down to the minimum
        while erlang_a_metrics(a, n, h, PATIENCE_S, waits=False)["abandon_probability"] > 0.05:
            n += 1
        out.append(n)
    return np.array(out)


def best_time(fn, repeats: int) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    calls, aht = week_volumes()
    cases = [
        ("80% in 20 s (Erlang C)", {"service_level": 0.8, "service_time_s": 20.0}, loop_erlang_c),
        ("abandon <= 5%, patience 120 s (Erlang A)", {"abandon_rate": 0.05, "patience_mean_s": PATIENCE_S},
         loop_erlang_a),
    ]
    print(f"{len(calls)} intervals of {INTERVAL_S:.0f} s, {calls.min():.0f}..{calls.max():.0f} calls per interval")
    for name, target, loop in cases:
        agents_for_target(calls, aht, INTERVAL_S, target)  # warm-up (imports, caches)
        t_vec, vec = best_time(lambda: agents_for_target(calls, aht, INTERVAL_S, target), repeats=7)
        t_loop, ref = best_time(lambda: loop(calls, aht), repeats=1)
        same = np.array_equal(vec, ref)
        print(f"{name}: vectorised {t_vec * 1e3:7.1f} ms, scalar per-agent loop {t_loop * 1e3:8.1f} ms, "
              f"ratio {t_loop / t_vec:6.1f}x, same agents: {same}, agents {vec.min()}..{vec.max()}")
        if not same:
            raise SystemExit("vectorised and loop results differ: the benchmark is invalid")
    # for information: every target at once with Erlang A (the ASA of answered calls needs windowed sums,
    # the slowest measure); no loop baseline for this one
    every = {"service_level": 0.8, "service_time_s": 20.0, "asa_s": 20.0, "abandon_rate": 0.05,
             "occupancy_max": 0.9, "patience_mean_s": PATIENCE_S}
    t_all, agents = best_time(lambda: agents_for_target(calls, aht, INTERVAL_S, every), repeats=5)
    print(f"SL 80/20 + ASA 20 s + abandon 5% + occupancy 90% (Erlang A): vectorised {t_all * 1e3:7.1f} ms, "
          f"agents {agents.min()}..{agents.max()}")


if __name__ == "__main__":
    main()
