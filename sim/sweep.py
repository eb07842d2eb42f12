"""Parameter sweeps: a grid of scenario variants × replications, run locally or on a Dask cluster.

``--set path=values`` names a scenario field by its dotted path (``arrivals.scale``,
``call_types.repair.talk.mean``; ``agents`` is short for ``agents.headcount``) and values as ``8..16``
(integers, inclusive; ``8..16:2`` with a step), ``0.9,1.0,1.1`` or one value. Replication ``r`` of every
variant uses the same seed (common random numbers, so variants differ by their parameters, not by noise),
and every task's seed is derived from (seed, r) alone: the executor does not change the results. Every
executor runs a task through ``sim.runner.run_replication`` — the same model as ``acdsim run``, ``[desk]``
included — and variants are summarised like a run (``sim.confidence``: ratio estimators, intervals inside
each metric's domain).
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim import confidence
from sim.metrics import COUNTS, METRICS
from sim.results import replication_parts
from sim.runner import run_replication, worker_init
from sim.scenario import Scenario, ScenarioError

ALIASES = {"agents": "agents.headcount", "scale": "arrivals.scale", "trunks": "telephony.trunks"}


def _number(text: str):
    text = text.strip()
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def parse_set(expr: str) -> tuple[str, list]:
    """'agents=8..16' -> ('agents.headcount', [8, ..., 16]); clear error for bad syntax."""
    if "=" not in expr:
        raise ScenarioError(f"--set {expr!r}: expected PATH=VALUES, e.g. agents=8..16 or arrivals.scale=0.9,1.1")
    path, values = (s.strip() for s in expr.split("=", 1))
    path = ALIASES.get(path, path)
    if not path or not values:
        raise ScenarioError(f"--set {expr!r}: both a field path and values are needed")
    if ".." in values:
        rng, _, step = values.partition(":")
        lo, _, hi = rng.partition("..")
        try:
            lo_i, hi_i, step_i = int(lo), int(hi), int(step or 1)
        except ValueError:
            raise ScenarioError(f"--set {expr!r}: a range is INT..INT[:STEP] with whole numbers") from None
        if step_i < 1 or hi_i < lo_i:
            raise ScenarioError(f"--set {expr!r}: a range needs low <= high and step >= 1")
        return path, list(range(lo_i, hi_i + 1, step_i))
    return path, [_number(v) for v in values.split(",") if v.strip()]


@dataclass
class Variant:
    index: int
    params: dict
    scenario: Scenario


def build_variants(base: Scenario, sets: list[str]) -> list[Variant]:
    """Cartesian grid of the --set values; each variant validated (errors name the --set)."""
    parsed = [parse_set(s) for s in sets]
    if not parsed:
        raise ScenarioError("a sweep needs at least one --set PATH=VALUES")
    variants = []
    for k, combo in enumerate(itertools.product(*(values for _, values in parsed))):
        params = {path: value for (path, _), value in zip(parsed, combo)}
        try:
            sc = base.with_changes(params)
        except ScenarioError as err:
            raise ScenarioError(f"sweep value not allowed (--set): {err}") from None
        variants.append(Variant(k, params, sc))
    return variants


def roster_notes(base: Scenario, variants: list[Variant]) -> list[str]:
    """What a variant's change silently implies, said out loud (e.g. ``agents=N`` replacing the roster)."""
    notes = {base.replaces_roster(v.params) for v in variants}
    return sorted(n for n in notes if n)


DASK_CONNECT_TIMEOUT_S = 5   # a scheduler that does not answer within this is reported, not waited for
METRIC_COLUMNS = (*METRICS, *COUNTS)   # what --metric can plot


def _connect(scheduler: str):
    """A ``distributed.Client`` for ``scheduler``; ScenarioError at once if it cannot be reached."""
    import socket

    address = scheduler.removeprefix("tcp://")
    host, _, port = address.rpartition(":")
    if "://" not in address and host and port.isdigit():   # plain TCP: a quick probe before dask's retries
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=DASK_CONNECT_TIMEOUT_S).close()
        except OSError as err:
            raise ScenarioError(f"cannot reach the Dask scheduler {scheduler!r} ({err.strerror or err}); start "
                                "it with 'dask scheduler' or check the address (tcp://host:8786)") from None
    from distributed import Client

    try:
        return Client(scheduler, timeout=f"{DASK_CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError, TypeError) as err:
        raise ScenarioError(f"cannot reach the Dask scheduler {scheduler!r} within {DASK_CONNECT_TIMEOUT_S} s "
                            f"({type(err).__name__}: {err}); start it with 'dask scheduler' or check the "
                            "address (tcp://host:8786)") from None


def check_sweep_workload(variants: list[Variant], reps: int, jobs: int | None, force: bool = False) -> None:
    """Every variant must fit in memory (ScenarioError naming the variant and its calls), unless ``force``."""
    if force:
        return
    from sim.workload import check_workload

    for v in variants:
        try:
            check_workload(v.scenario, reps, jobs=min(jobs or os.cpu_count() or 1, reps))
        except ScenarioError as err:
            raise ScenarioError(f"sweep variant {v.params}: {err}") from None


def _task(scenario: Scenario, seed: int, replication: int) -> tuple[dict, dict]:
    """One variant's replication: (run metrics, ratio parts) — the whole model, as ``acdsim run`` builds it."""
    rep = run_replication(scenario, seed, replication, keep_calls=False)
    return rep.run, rep.parts


def run_sweep(base: Scenario, sets: list[str], replications: int | None = None, seed: int | None = None,
              jobs: int | None = None, scheduler: str | None = None,
              progress: Callable[[int, int], None] | None = None,
              force: bool = False, points=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(tidy table: one row per variant and replication, summary: one row per variant with mean/CI).

    ``scheduler``: address of a running Dask distributed scheduler (``tcp://host:8786``) or a
    ``distributed.Client``; default: local processes (``jobs``, default all cores). ``points``: see
    :func:`run_variants` (resuming an interrupted sweep)."""
    variants = build_variants(base, sets)
    reps = replications or base.replications
    seed = base.seed if seed is None else seed
    check_sweep_workload(variants, reps, jobs, force)
    tidy, parts = run_variants(variants, reps, seed, jobs=jobs, scheduler=scheduler, progress=progress,
                               points=points)
    return tidy, summarise(tidy, list(variants[0].params), parts)


def run_variants(variants: list[Variant], reps: int, seed: int, jobs: int | None = None, scheduler=None,
                 progress: Callable[[int, int], None] | None = None, points=None) -> tuple[pd.DataFrame, dict]:
    """Run ``reps`` replications of every variant (replication r of each with the same seed: common random
    numbers). Returns (one row per variant and replication with the variant's params and the run metrics,
    variant index -> ratio parts per replication for :func:`summarise`). ``points`` (``sim.resume.PointStore``):
    replications finished by an interrupted run are taken from it, new ones are kept there as they finish."""
    all_tasks = [(v, r) for v in variants for r in range(reps)]
    keys = _point_keys(points, variants, reps, seed)
    results: dict[tuple[int, int], tuple[dict, dict]] = {}
    for task, key in keys.items():
        if (value := points.get(key)) is not None:
            results[task] = value
    tasks = [(v, r) for v, r in all_tasks if (v.index, r) not in results]
    if progress and results:
        progress(len(results), len(all_tasks))

    def finished(task: tuple[int, int], value) -> None:
        if points is not None:
            points.put(keys[task], value)     # kept the moment it finishes: a kill loses only running tasks
        results[task] = value
        if progress:
            progress(len(results), len(all_tasks))

    if scheduler is not None:
        from distributed import Client, as_completed as dask_completed

        client = scheduler if isinstance(scheduler, Client) else _connect(scheduler)
        try:
            futures = {client.submit(_task, v.scenario, seed, r, pure=False): (v.index, r) for v, r in tasks}
            for fut in dask_completed(futures):
                finished(futures[fut], fut.result())
        finally:
            if client is not scheduler:
                client.close()
    else:
        workers = jobs or os.cpu_count() or 1
        if workers == 1 or len(tasks) <= 1:
            for v, r in tasks:
                finished((v.index, r), _task(v.scenario, seed, r))
        else:
            with ProcessPoolExecutor(max_workers=workers, initializer=worker_init, initargs=(os.getpid(),)) as pool:
                futures = {pool.submit(_task, v.scenario, seed, r): (v.index, r) for v, r in tasks}
                for fut in as_completed(futures):
                    finished(futures[fut], fut.result())
    rows = [{"variant": v.index, **v.params, "replication": r, **results[(v.index, r)][0]} for v, r in all_tasks]
    tidy = pd.DataFrame(rows)
    parts = {v.index: replication_parts([_Parts(results[(v.index, r)][1]) for r in range(reps)]) for v in variants}
    return tidy, parts


def _point_keys(points, variants: list[Variant], reps: int, seed: int) -> dict[tuple[int, int], str]:
    """(variant index, replication) -> point key: the variant's scenario with its input files read in, the
    seed and the replication (what the result depends on); empty without ``points``."""
    if points is None:
        return {}
    from sim.checkpoint import run_fingerprint

    keys = {}
    for v in variants:
        fingerprint = run_fingerprint(v.scenario.resolved(), seed)
        keys |= {(v.index, r): points.key("replication", fingerprint, r) for r in range(reps)}
    return keys


@dataclass
class _Parts:
    parts: dict


def summarise(tidy: pd.DataFrame, params: list[str], parts: dict | None = None) -> pd.DataFrame:
    """Per variant: the swept parameters and ``<metric>_mean``, ``_ci_low``, ``_ci_high`` (estimates and
    intervals as in a run's summary; ``parts``: variant -> ratio parts per replication, for ratio estimators)."""
    metrics = [c for c in tidy.columns if c not in ("variant", "replication", *params)]
    rows = []
    for variant, group in tidy.groupby("variant", sort=True):
        row = {"variant": variant, **{p: group[p].iloc[0] for p in params}}
        summary = confidence.summarise(group[metrics].reset_index(drop=True), (parts or {}).get(variant))
        for m in metrics:
            row |= {f"{m}_{k}": summary.loc[m, k] for k in ("mean", "ci_low", "ci_high")}
        rows.append(row)
    return pd.DataFrame(rows)


def plot_sweep(*args, **kwargs) -> Path:
    """Metric (mean and CI) against the first swept parameter (see :func:`_plot_sweep`)."""
    from sim.fonts import cjk_fonts

    with cjk_fonts():
        return _plot_sweep(*args, **kwargs)


def _plot_sweep(summary: pd.DataFrame, params: list[str], metric: str, path: str | Path) -> Path:
    """Metric (mean and CI) against the first swept parameter, one line per combination of the others."""
    from sim.figure import Figure

    if f"{metric}_mean" not in summary:
        raise ScenarioError(f"unknown metric {metric!r} for the sweep plot")
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    x, others = params[0], params[1:]
    groups = summary.groupby(others, sort=True) if others else [((), summary)]
    for key, group in groups:
        group = group.sort_values(x)
        label = ", ".join(f"{p}={v}" for p, v in zip(others, key if isinstance(key, tuple) else (key,))) or metric
        ax.errorbar(group[x], group[f"{metric}_mean"],
                    yerr=[group[f"{metric}_mean"] - group[f"{metric}_ci_low"],
                          group[f"{metric}_ci_high"] - group[f"{metric}_mean"]], marker="o", capsize=3, label=label)
    ax.set(xlabel=x, ylabel=metric, title=f"{metric} against {x} (mean, 95 % CI)")
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=90)
    return path
