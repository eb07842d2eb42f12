"""The example's fixed cost per replication (issue 15: "the 10-rep example runs in under 2 s").

Run: ``python benchmarks/bench_example.py`` (``--repeat N``: timings are the best of N; ``--no-cli`` skips the
command-line runs). Prints, for ``scenarios/property_centre.toml`` (10 replications, seed 1, with its skills
routing, walk-in counter and ``[desk]`` ticket layer):

- ``sim.run(...)`` in this process with jobs=1 and jobs=2 (pool start-up included), wall and CPU time;
- one replication's CPU time by stage (model set-up, simulation of calls + counter + desk tickets, call metrics,
  desk checks and numbers, counter metrics, per-group breakdown) and the aggregation of the 10 replications;
- ``import sim`` in a fresh process, and which heavy modules it loads (matplotlib, pyomo, dask must not);
- ``acdsim run ... --out DIR`` as a fresh process (import, simulation with a ticket store file per replication,
  writing the outputs), with ``-j 1`` and with the default (one process per core).

The machine may be shared: the load average (``os.getloadavg()``) is printed beside each figure; the CPU times
are the figures that do not depend on the other jobs.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "scenarios" / "property_centre.toml"
REPS, SEED = 10, 1


def load() -> str:
    return "load " + "/".join(f"{x:.1f}" for x in os.getloadavg())


def best(f, repeat: int) -> tuple[float, float]:
    """(best wall, best CPU of this process) over ``repeat`` calls of ``f``."""
    walls, cpus = [], []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        f()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def in_process(repeat: int) -> None:
    import sim
    from sim.scenario import load_scenario

    sc = load_scenario(EXAMPLE)
    sim.run(sc, replications=1, seed=SEED)        # first-call costs (lazy imports) out of the timings
    for jobs in (1, 2):
        print(f"  {load()}", flush=True)
        before = os.times()
        wall, cpu = best(lambda: sim.run(sc, replications=REPS, seed=SEED, jobs=jobs), repeat)
        after = os.times()
        workers = (after.children_user + after.children_system - before.children_user - before.children_system)
        note = "" if jobs == 1 else (f" in the parent + {workers / repeat:.2f} s in the 2 workers (mean of {repeat}; "
                                     f"pool start-up included): on 2 idle cores about "
                                     f"{cpu + workers / repeat / 2:.2f} s")
        print(f"sim.run(example, replications={REPS}, seed={SEED}, jobs={jobs}): {wall:.2f} s wall, {cpu:.2f} s CPU"
              f"{note}   [target < 2 s]", flush=True)


def stages(reps: int = REPS) -> None:
    """CPU seconds per replication by stage, the mean over ``reps`` replications (jobs=1)."""
    import sim.counter_metrics
    import sim.group_metrics
    import sim.runner as runner
    from sim.desk.hook import DeskRun
    from sim.scenario import load_scenario

    spent: dict[str, float] = {}

    def timed(owner, name: str, label: str):
        f = getattr(owner, name)

        def wrapper(*a, **k):
            c = time.process_time()
            try:
                return f(*a, **k)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - c
        setattr(owner, name, wrapper)
        return owner, name, f

    patches = [timed(runner.CallCentreModel, "__init__", "model set-up"),
               timed(DeskRun, "attach", "desk set-up"),
               timed(runner.CallCentreModel, "run", "simulation (calls, counter, desk tickets)"),
               timed(runner, "compute_metric_tables", "call metrics"),
               timed(DeskRun, "finish", "desk checks and numbers"),
               timed(sim.counter_metrics, "counter_metric_parts", "counter metrics"),
               timed(sim.group_metrics, "breakdown_parts", "per-group breakdown")]
    try:
        sc = load_scenario(EXAMPLE)
        runner.run_replication(sc, SEED, 0)
        spent.clear()
        c = time.process_time()
        reps_out = [runner.run_replication(sc, SEED, i) for i in range(reps)]
        total = (time.process_time() - c) / reps
        c = time.process_time()
        runner.Results.from_replications(sc, SEED, reps_out)
        aggregate = time.process_time() - c
    finally:
        for owner, name, f in patches:
            setattr(owner, name, f)
    print(f"one replication: {total:.3f} s CPU ({load()}), by stage:")
    for label, s in spent.items():
        print(f"  {label:45s} {s / reps:.3f} s")
    print(f"  {'other (runner, ready time, outbound table)':45s} {total - sum(spent.values()) / reps:.3f} s")
    print(f"aggregation of {reps} replications into Results: {aggregate:.3f} s CPU")


def fresh_import() -> None:
    code = ("import time, sys; t = time.perf_counter(); c = time.process_time(); import sim; "
            "print(time.perf_counter() - t, time.process_time() - c, "
            "[m for m in ('matplotlib', 'pyomo', 'dask', 'distributed', 'highspy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout.split(maxsplit=2)
    print(f"import sim (fresh process): {float(out[0]):.2f} s wall, {float(out[1]):.2f} s CPU; heavy modules "
          f"loaded: {out[2].strip()} ({load()})")


def cli(repeat: int) -> None:
    for args in (["-j", "1"], []):
        walls, cpus = [], []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                before = os.times()
                w = time.perf_counter()
                subprocess.run([sys.executable, "-m", "sim.cli", "run", str(EXAMPLE), "--seed", str(SEED), *args,
                                "--out", str(Path(tmp) / "out")], cwd=ROOT, check=True, capture_output=True,
                               env={**os.environ, "COLUMNS": "200"})
                walls.append(time.perf_counter() - w)
                after = os.times()
                cpus.append(after.children_user + after.children_system
                            - before.children_user - before.children_system)
        jobs = args[1] if args else "default (one per core)"
        print(f"acdsim run example --out DIR, jobs {jobs}: {min(walls):.2f} s wall, {min(cpus):.2f} s CPU of all "
              f"its processes (import, {REPS} replications with a ticket store file each, writing) ({load()})",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timings are the best of this many runs")
    parser.add_argument("--no-cli", action="store_true", help="skip the command-line runs")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, {load()}")
    fresh_import()
    in_process(args.repeat)
    stages()
    if not args.no_cli:
        cli(args.repeat)


if __name__ == "__main__":
    main()
