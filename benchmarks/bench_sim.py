"""Simulator speed and memory against a plain idiomatic SimPy M/M/c+M written here, on the same workload.

Run: ``python benchmarks/bench_sim.py`` (add ``--quick`` for a shorter run). Prints calls/second of the full
model configured as M/M/c+M, of the full model with every feature switched on, and of the baseline, with
their ratios (targets: >= 1.0 for M/M/c+M, >= 0.6 with every feature), the log's memory per million calls,
and the speed-up of 2 replications with jobs=2 over jobs=1.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.model import CallCentreModel  # noqa: E402
from sim.scenario import validate_scenario  # noqa: E402


def baseline_mmcm(agents: int, calls_per_hour: float, hours: float, talk_s: float, patience_s: float,
                  seed: int) -> int:
    """Idiomatic SimPy: process per call, Resource, any_of(request, patience timeout). Returns calls."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    desks = simpy.Resource(env, capacity=agents)
    stats = {"calls": 0, "abandoned": 0}

    def call(env):
        with desks.request() as req:
            result = yield req | env.timeout(rng.exponential(patience_s))
            if req not in result:
                stats["abandoned"] += 1
                return
            yield env.timeout(rng.exponential(talk_s))

    def source(env):
        mean_gap = 3600.0 / calls_per_hour
        while True:
            yield env.timeout(rng.exponential(mean_gap))
            stats["calls"] += 1
            env.process(call(env))

    env.process(source(env))
    env.run(until=hours * 3600.0)
    return stats["calls"]


def scenario_mmcm(agents: int, calls_per_hour: float, days: int, talk_s: float, patience_s: float) -> dict:
    return {
        "horizon": {"days": days, "interval_minutes": 30},
        "arrivals": {"calls_per_hour": calls_per_hour},
        "call_types": {"call": {"share": 1.0, "talk": {"family": "exponential", "mean": talk_s}}},
        "callers": {"patience": {"family": "exponential", "mean": patience_s}},
        "agents": {"headcount": agents},
    }


def scenario_full(agents: int, calls_per_hour: float, days: int, talk_s: float, patience_s: float) -> dict:
    """Same load with every feature on: trunks, IVR, priorities, hold, ACW, transfers to tier 2, repeats,
    redials, shifts with breaks, absenteeism, adherence."""
    handle = 0.8 * talk_s  # keep the total handle time close to the M/M/c+M case
    call_type = lambda share, prio: {  # noqa: E731
        "share": share, "priority": prio, "talk": {"family": "lognormal", "mean": handle * 0.75, "cv": 0.8},
        "hold_prob": 0.2, "hold": {"family": "gamma", "mean": 40, "cv": 1.0},
        "acw": {"family": "gamma", "mean": handle * 0.15, "cv": 0.5}, "transfer_prob": 0.03, "fcr": 0.85,
        "repeat_delay": {"family": "exponential", "mean": 7200}, "ivr_self_service": 0.1}
    shift_agents = int(agents * 1.15 / 2) + 1
    return {
        "horizon": {"days": days, "interval_minutes": 30},
        "arrivals": {"calls_per_hour": calls_per_hour},
        "call_types": {"repair": call_type(0.5, 1), "inquiry": call_type(0.3, 0), "complaint": call_type(0.2, 2)},
        "telephony": {"trunks": int(agents * 1.6) + 2, "ivr": True, "ivr_time": {"family": "uniform", "low": 10,
                                                                             "high": 30}},
        "callers": {"patience": {"family": "exponential", "mean": patience_s}, "redial_prob_abandon": 0.5,
                    "redial_prob_busy": 0.7, "max_redials": 3},
        "transfers": {"destination": "tier2", "tier2_agents": max(1, agents // 20)},
        "agents": {"shifts": [
            {"name": "early", "start": "00:00", "end": "12:00", "count": shift_agents,
             "breaks": [{"start": "03:00", "minutes": 15}, {"start": "06:00", "minutes": 30}]},
            {"name": "late", "start": "12:00", "end": "00:00", "count": shift_agents,
             "breaks": [{"start": "15:00", "minutes": 15}, {"start": "18:00", "minutes": 30}]}],
            "absenteeism": 0.05, "adherence": 0.95},
    }


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def log_bytes_per_million(output) -> float:
    log = output.calls
    from sim.calllog import FLOAT_COLUMNS, INT_COLUMNS
    per_row = sum(getattr(log, n).itemsize for n in (*FLOAT_COLUMNS, *INT_COLUMNS))
    return per_row * 1e6


_MEMORY_CHILD = """
import resource, sys
sys.path.insert(0, {root!r})
from benchmarks.bench_sim import scenario_mmcm
from sim.runner import run_replication
from sim.scenario import validate_scenario
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sc = validate_scenario(scenario_mmcm(1400, 20000.0, {days}, 180.0, 120.0))
rep = run_replication(sc, 1, 0)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(rep.calls), base / 1024, peak / 1024)
"""


def memory_for_calls(days: float) -> tuple[int, float, float]:
    """(call attempts, RSS after imports MiB, peak RSS MiB) of one replication in a fresh process."""
    import subprocess

    root = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD.format(root=root, days=days)], check=True,
                         capture_output=True, text=True).stdout.split()
    return int(out[0]), float(out[1]), float(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter workloads")
    args = parser.parse_args()
    cases = [("12 agents, 200 calls/h", 12, 200.0, 30 if not args.quick else 5),
             ("1400 agents, 20000 calls/h", 1400, 20000.0, 1)]
    talk, patience = 180.0, 120.0
    if args.quick:
        cases[1] = ("1400 agents, 20000 calls/h", 1400, 20000.0, 0.25)
    print(f"{'workload':32} {'model':>22} {'calls/s':>10} {'baseline':>10} {'ratio':>6}")
    for label, agents, rate, days in cases:
        hours = days * 24
        base_calls, base_t = timed(lambda: baseline_mmcm(agents, rate, hours, talk, patience, 1))
        base_speed = base_calls / base_t
        for kind, builder in (("M/M/c+M", scenario_mmcm), ("every feature", scenario_full)):
            horizon_days = max(1, int(np.ceil(days)))
            sc_dict = builder(agents, rate, horizon_days, talk, patience)
            if days < 1:  # fractional day: use hourly profile with zeros after `hours`
                per = int(hours * 2)
                sc_dict["arrivals"] = {"calls_per_interval": [rate / 2] * per + [0.0] * (48 - per)}
            sc = validate_scenario(sc_dict)
            out, t = timed(lambda: CallCentreModel(sc, 1).run())
            speed = out.calls.n / t
            print(f"{label:32} {kind:>22} {speed:10.0f} {base_speed:10.0f} {speed / base_speed:6.2f}")
    print(f"call log memory: {log_bytes_per_million(out) / 2**20:.0f} MiB per million call attempts")
    n_calls, base_mib, peak_mib = memory_for_calls(1 if args.quick else 3)
    print(f"one replication of {n_calls:,} calls (model, log, DataFrame, metrics): peak RSS {peak_mib:.0f} MiB "
          f"({base_mib:.0f} MiB after imports) -> {(peak_mib - base_mib) / n_calls * 1e6:.0f} MiB per million calls")

    from sim.runner import run
    sc = validate_scenario(scenario_mmcm(12, 200.0, 30 if not args.quick else 3, talk, patience))
    _, t1 = timed(lambda: run(sc, replications=2, seed=3, jobs=1))
    _, t2 = timed(lambda: run(sc, replications=2, seed=3, jobs=2))
    print(f"2 replications: jobs=1 {t1:.2f} s, jobs=2 {t2:.2f} s, speed-up {t1 / t2:.2f}x")


if __name__ == "__main__":
    main()
