"""Size of a simulation before it starts: expected calls and memory, and refusal when it cannot fit.

``expected_calls(scenario)`` is the first-attempt calls of one replication from the arrival rates × horizon
(redials and repeat calls add to it; ``CALL_GROWTH`` allows for them). A replication being simulated holds
every call of its horizon (``BYTES_IN_FLIGHT`` per call: events, call records, metric arrays), and the results
keep each replication's call log (``BYTES_KEPT`` per call). Without a call table (``keep_calls=False``, no
``[desk]``) finished calls are folded into the metrics as the run goes (``sim.streaming``): ``BYTES_STREAMING``
per call attempt at most, and nothing kept. ``check_workload`` raises ScenarioError, naming the
number of calls, when that estimate exceeds the memory available (``MemAvailable``); callers offer a way to
go ahead anyway (``acdsim run --force``, ``sim.run(force=True)``).
"""
from __future__ import annotations

import os

from sim.errors import ScenarioError

# Measured: 96 000 first attempts (2 000 calls/h for 2 days, 70 agents, abandons and redials) raised the peak
# RSS of one replication by 49 MiB, ~540 B per expected call including its call-log row (~150 B in pandas).
CALL_GROWTH = 1.5        # redials, repeat calls and transfers per first attempt (generous; 1.02 measured above)
BYTES_IN_FLIGHT = 500    # per call attempt of a replication being simulated
BYTES_KEPT = 200         # per call attempt kept in the results (call log row, intervals)
BYTES_STREAMING = 40     # per call attempt with the streaming log: benchmarks/bench_sim.py measures <= 38 MiB
                         # per million attempts over 5-10 days, and growth stops after the FCR repeat window


def expected_calls(scenario) -> float:
    """Expected first-attempt calls of one replication (all call types, scaled)."""
    return float(scenario.arrival_rates().sum())


def available_memory() -> int:
    """Bytes of memory available to a new process (Linux MemAvailable; else physical memory)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 8 << 30


def estimated_bytes(calls_per_replication: float, replications: int, jobs: int = 1,
                    streaming: bool = False) -> float:
    attempts = calls_per_replication * CALL_GROWTH
    if streaming:
        return attempts * BYTES_STREAMING * max(1, jobs)
    return attempts * (BYTES_IN_FLIGHT * max(1, jobs) + BYTES_KEPT * replications)


def check_workload(scenario, replications: int, jobs: int = 1, memory: int | None = None,
                   streaming: bool = False) -> float:
    """Expected calls per replication; ScenarioError when the run cannot fit in ``memory`` (default: what is
    available now). ``streaming``: no call table is kept (``keep_calls=False`` without ``[desk]``)."""
    calls = expected_calls(scenario)
    need = estimated_bytes(calls, replications, jobs, streaming)
    have = available_memory() if memory is None else memory
    if need > have:
        raise ScenarioError(
            f"this run would simulate about {calls:,.0f} calls per replication ({replications} replication(s)), "
            f"needing about {need / 2**30:,.1f} GiB of memory; {have / 2**30:,.1f} GiB are available. Lower "
            "arrivals.scale, the arrival volumes, horizon.days or --replications, or pass --force to try anyway")
    return calls
