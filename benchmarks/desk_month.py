"""Benchmark: a 30-day stand-alone desk run (150 handled calls/day, SQLite store in a temp file).

Prints the wall time of the desk run and its ratio to a baseline measured in the same process: the same
synthetic call driver in a bare SimPy env (no desk layer). Target: a month-long run in a few seconds.
"""
import tempfile
import time
from pathlib import Path

import numpy as np
import simpy

from sim.desk.standalone import run_standalone

DAYS, CALLS = 30, 150.0


def baseline() -> float:
    env = simpy.Environment()
    rng = np.random.default_rng(0)
    sink = []

    def driver():
        while True:
            yield env.timeout(float(rng.exponential(86400.0 / CALLS)))
            sink.append({"t": env.now, "type": int(rng.integers(6)), "resolved": bool(rng.random() < 0.7)})

    env.process(driver())
    t = time.perf_counter()
    env.run(until=DAYS * 86400.0)
    return time.perf_counter() - t


def desk() -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        _, store, rep = run_standalone(DAYS, seed=1, store_path=str(Path(d) / "tickets.sqlite"),
                                       calls_per_day=CALLS)
        el = time.perf_counter() - t
        store.close()
    return el, rep


if __name__ == "__main__":
    b = baseline()
    el, rep = desk()
    print(f"desk {DAYS} days, {rep['created']} tickets, {rep['events']} events: {el:.2f} s "
          f"({1e3 * el / max(rep['created'], 1):.3f} ms/ticket)")
    print(f"baseline (call driver only): {b:.3f} s; ratio desk/baseline = {el / b:.1f}")
