"""Replications: seeds, local parallel execution, aggregation into ``Results``.

Replication ``i`` of a run with seed ``s`` always uses child ``i`` of ``SeedSequence(s)``, so results do not
depend on the number of jobs, the executor, or how many replications ran beside it. ``run_replication`` is
the one entry every executor uses (``run``, its process pool, ``sim.sweep`` locally and on Dask): it builds the
whole model the scenario describes, including the ``[desk]`` ticket layer.
"""
from __future__ import annotations

import gc
import os
from collections.abc import Callable
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.metrics import compute_metric_tables
from sim.model import CallCentreModel
from sim.results import Results
from sim.scenario import Scenario, ScenarioError, load_scenario, validate_scenario
from sim.streaming import StreamingCallLog

GC_THRESHOLDS = (20_000, 50)   # gc thresholds 0 and 1 while replications run (fewer_collections)


@dataclass
class Replication:
    """One replication's output: run metrics, per-interval metrics, call log, agent and outbound logs."""

    index: int
    run: dict
    intervals: pd.DataFrame
    calls: pd.DataFrame
    ready: pd.DataFrame
    outbound: pd.DataFrame
    extras: dict
    parts: dict = field(default_factory=dict)             # ratio metric -> (numerator, denominator)
    interval_parts: pd.DataFrame | None = None            # <metric>:num / :den per interval
    breakdown: dict = field(default_factory=dict)         # per call type / skill group parts (sim.group_metrics)


def replication_seed(seed: int, index: int) -> np.random.SeedSequence:
    """Seed of replication ``index`` (independent of how many replications run)."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def default_desk_factory(scenario: Scenario) -> Callable | None:
    """Tickets in memory when the scenario has a ``[desk]`` section (the CLI passes a run folder instead)."""
    if not scenario.desk_enabled:
        return None
    from sim.desk.hook import DeskFactory

    return DeskFactory(None)


def run_replication(scenario: Scenario, seed: int, index: int, desk_factory: Callable | None = None,
                    keep_calls: bool = True) -> Replication:
    """Simulate replication ``index`` of the scenario's whole model and compute its metrics.

    ``desk_factory``: where the ``[desk]`` layer keeps its tickets (default: in memory when the scenario has
    a ``[desk]`` section). ``keep_calls=False``: the per-call table is dropped once the metrics are computed
    (``calls`` is empty), so a worker sends back metrics only; without a ``[desk]`` layer (whose tickets carry
    call ids) the calls are then not even kept during the run: finished calls are folded into the metrics'
    sums as the run goes (``sim.streaming``), so memory does not grow with the number of calls."""
    with fewer_collections():
        return _run_replication(scenario, seed, index, desk_factory, keep_calls)


def streams_calls(scenario: Scenario, keep_calls: bool, desk: bool) -> bool:
    """A replication folds finished calls into the metrics' sums as it goes (``sim.streaming``, no call table):
    without ``keep_calls`` and when nothing needs the rows — a ``desk`` layer (its tickets carry call ids), the
    per-group breakdown (``[routing]``), the call-back delay percentile (``[callbacks]``)."""
    return not keep_calls and not desk and scenario.routing is None and scenario.callbacks is None


@contextmanager
def fewer_collections(gen0: int = GC_THRESHOLDS[0], gen1: int = GC_THRESHOLDS[1]):
    """Python's cyclic garbage collector runs less often inside (its first-generation threshold raised to
    ``gen0`` allocations and the second to ``gen1`` first-generation collections, then put back): a replication of
    the example allocates ~10^5 short-lived containers and keeps ~10^4 (tickets, their events), which at the
    default thresholds (700, 10) set off ~60 collections per replication, some of them full ones, ~20 % of its
    CPU time (and still ~15 % with gen0 alone raised). Nothing else changes (objects are freed by reference
    counting as before; cycles at the next collection, at most ~10^6 allocations later)."""
    old = gc.get_threshold()
    gc.set_threshold(max(gen0, old[0]), max(gen1, old[1]), *old[2:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _run_replication(scenario: Scenario, seed: int, index: int, desk_factory: Callable | None,
                     keep_calls: bool) -> Replication:
    if desk_factory is None:
        desk_factory = default_desk_factory(scenario)
    ss = replication_seed(seed, index)
    model_seed, metrics_seed = ss.spawn(2)
    desk = desk_factory(scenario, ss) if desk_factory is not None else None
    streaming = StreamingCallLog(scenario) if streams_calls(scenario, keep_calls, desk is not None) else None
    model = CallCentreModel(scenario, model_seed, desk=desk, call_log=streaming)
    if desk is not None and hasattr(desk, "attach"):
        desk.attach(model)
    out = model.run()
    calls = out.calls.frame(scenario.type_names()) if streaming is None else None
    tables = compute_metric_tables(out, scenario, np.random.default_rng(metrics_seed), calls=calls)
    run, intervals = tables.run, tables.intervals
    ready = out.ready.frame()
    extras = {}
    if desk is not None and hasattr(desk, "finish"):
        extras = desk.finish(model) or {}
        run.update(extras.get("run_metrics", {}))
    if out.visits is not None:   # the walk-in counter: its metrics beside the phone's, its visit log
        from sim.counter_metrics import counter_metric_parts

        counter_run, counter_parts = counter_metric_parts(out.visits, ready, scenario)
        run.update(counter_run)
        tables.run_parts.update(counter_parts)
        extras["counter_visits"] = out.visits.frame(list(scenario.counter.purposes)) if keep_calls else None
    outbound = pd.DataFrame(out.outbound.rows, columns=["kind", "ready", "due", "start", "end", "agent", "caller"])
    breakdown = {}
    if scenario.routing is not None:
        from sim.group_metrics import breakdown_parts
        breakdown = breakdown_parts(out, scenario, calls)
    if not keep_calls:
        calls = pd.DataFrame()
    return Replication(index, run, intervals, calls, ready, outbound, extras, tables.run_parts,
                       tables.interval_parts, breakdown)


def worker_init(parent_pid: int) -> None:
    """Initializer of pool workers: end with the run's process (Linux ``PR_SET_PDEATHSIG``) instead of
    lingering after a ``kill -9`` and holding its output folder."""
    import os
    import signal

    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError, TypeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent_pid:   # the parent died before prctl took effect
        os._exit(1)
    gc.freeze()   # what the worker inherited (modules, the scenario) is never garbage: no collection walks it


def _check_arguments(replications, seed, jobs) -> None:
    if replications is not None and (not isinstance(replications, int) or not 1 <= replications <= 10000):
        raise ScenarioError(f"replications must be an integer in 1..10000, got {replications!r}")
    if seed is not None and (not isinstance(seed, int) or seed < 0):
        raise ScenarioError(f"seed must be an integer >= 0, got {seed!r}")
    if not isinstance(jobs, int) or jobs < 1:
        raise ScenarioError(f"jobs must be an integer >= 1, got {jobs!r}")


def run(scenario: Scenario | dict | str | Path, replications: int | None = None, seed: int | None = None, jobs: int = 1,
        progress: Callable[[int], None] | None = None, keep_calls: bool = True,
        desk_factory: Callable | None = None, checkpoint=None, force: bool = False) -> Results:
    """Simulate ``replications`` (default: the scenario's) with ``seed`` (default: the scenario's).

    ``jobs`` > 1 runs replications in that many local processes; results are identical to ``jobs=1``.
    ``progress(k)`` is called after each finished replication. ``keep_calls=False``: no per-call table in the
    results (workers send back metrics only). With a ``[desk]`` section every handled call
    becomes a ticket (``desk_factory``: default an in-memory store; ``sim.desk.DeskFactory(run_dir)`` keeps
    ``tickets.sqlite`` files). ``checkpoint`` (``sim.checkpoint.RunCheckpoint``) keeps each finished
    replication and skips those it already holds (resume). A scenario too big to simulate in memory raises
    ScenarioError naming the number of calls, unless ``force``. Returns ``Results``.
    """
    _check_arguments(replications, seed, jobs)
    with fewer_collections():
        return _run(scenario, replications, seed, jobs, progress, keep_calls, desk_factory, checkpoint, force)


def _run(scenario, replications, seed, jobs, progress, keep_calls, desk_factory, checkpoint, force) -> Results:
    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario)
    elif isinstance(scenario, dict):
        scenario = validate_scenario(scenario)
    elif not isinstance(scenario, Scenario):
        raise ScenarioError(f"scenario must be a sim.Scenario, a dict or a TOML file path, got "
                            f"{type(scenario).__name__}")
    try:  # a Scenario built with model_validate() has its CSV-backed inputs read here (relative to cwd)
        scenario = scenario.resolved()
    except ScenarioError:
        raise
    except ValueError as err:
        raise ScenarioError(f"invalid scenario {scenario.name}: {err}") from None
    reps = replications if replications is not None else scenario.replications
    seed = seed if seed is not None else scenario.seed
    if not force:
        from sim.workload import check_workload

        check_workload(scenario, reps, jobs=min(jobs, reps),
                       streaming=streams_calls(scenario, keep_calls, desk_factory is not None or scenario.desk_enabled))
    done: list[Replication] = list((checkpoint.load(range(reps)) if checkpoint is not None else {}).values())
    todo = [i for i in range(reps) if i not in {r.index for r in done}]
    if progress and done:
        progress(len(done))

    def finished(rep: Replication) -> None:
        if checkpoint is not None:
            checkpoint.save(rep)
        done.append(rep)
        if progress:
            progress(len(done))

    if jobs == 1 or len(todo) <= 1:
        for i in todo:
            finished(run_replication(scenario, seed, i, desk_factory, keep_calls))
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), initializer=worker_init,
                                 initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(run_replication, scenario, seed, i, desk_factory, keep_calls) for i in todo]
            for fut in as_completed(futures):
                finished(fut.result())
    return Results.from_replications(scenario, seed, done, keep_calls=keep_calls)
