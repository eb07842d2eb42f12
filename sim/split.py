"""Splitting a long run into independent pieces (e.g. months), each with a warm-up, run anywhere.

A one-year run of a large centre is cut into pieces of ``piece_days`` days. Piece ``k`` is simulated as its
own scenario: the days before it (``warmup_days``, at most what exists) are simulated as warm-up and not
reported, so queues, agents on calls and redials are in a typical state when its reported days begin; then
the piece's days are reported. Pieces are independent (own random streams, derived from the seed and the
piece number), so they run in parallel — local processes (``jobs``) or a Dask cluster (``scheduler``) — and
a process holds one piece at a time (memory bounded by a piece, not the year).

Trade-off (stated in README): state does not carry across a cut. What is lost is what lives longer than the
warm-up — repeat calls and call-backs of calls handled before the cut (FCR near the cut is an upper bound,
as at the end of any log), long queues carried over midnight of the cut, front-desk tickets opened before it.
With a warm-up of a day or more the reported metrics agree with the unsplit run within their CIs for a centre
whose queue empties daily. Metrics are combined exactly where they are sums: counts add, ratio metrics are
pooled as sum of numerators / sum of denominators, time averages are weighted by reported time; the
centre-level attrition expectations are added over pieces (exact to first order in the attrition rate).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from sim.metrics import COUNTS
from sim.results import Results
from sim.runner import Replication, run_replication
from sim.scenario import Scenario, ScenarioError, validate_scenario

TIME_AVERAGES = ("agents_ready", "avg_queue_length")


def piece_scenarios(sc: Scenario, piece_days: int, warmup_days: int) -> list[tuple[Scenario, int, int]]:
    """(scenario of the piece, first reported day, warm-up days) for each piece of the horizon."""
    h = sc.horizon
    if not isinstance(piece_days, int) or not 1 <= piece_days <= h.days:
        raise ScenarioError(f"piece_days must be an integer in 1..{h.days} (the horizon), got {piece_days!r}")
    if not isinstance(warmup_days, int) or not 0 <= warmup_days <= 366:
        raise ScenarioError(f"warmup_days must be an integer in 0..366, got {warmup_days!r}")
    if sc.desk_enabled:
        raise ScenarioError("a scenario with [desk] cannot be split: front-desk tickets live across pieces")
    if sc.counter is not None:
        raise ScenarioError("a scenario with [counter] cannot be split: the counter's wait percentiles and visit "
                            "counts are not combined across pieces (run it whole)")
    if sc.routing is not None:
        raise ScenarioError("a scenario with [routing] cannot be split: the per-type and per-group breakdown is "
                            "not combined across pieces (run it whole)")
    if sc.callbacks is not None:
        raise ScenarioError("a scenario with [callbacks] cannot be split: the call-back delay percentile is not "
                            "combined across pieces and call-backs pending at a cut would be lost (run it whole)")
    data = json.loads(sc.model_dump_json(exclude_none=True))
    n_day = h.intervals_per_day
    arrivals = data["arrivals"]
    if sc.arrivals.csv is not None:   # whole-horizon or one-day volumes, read once
        arrivals.pop("csv"), arrivals.pop("csv_column", None)
        arrivals["calls_per_interval"] = sc._read_csv_volumes().tolist()
    pieces = []
    for first in range(0, h.days, piece_days):
        days = min(piece_days, h.days - first)
        warm = min(warmup_days, first)
        start = first - warm
        d = json.loads(json.dumps(data))
        d["horizon"].update(days=days + warm, start_weekday=(h.start_weekday + start) % 7,
                            warmup_minutes=warm * 1440.0 + (h.warmup_minutes if first == 0 else 0.0))
        for section, key in (("arrivals", "calls_per_interval"), ("agents", "headcount_per_interval")):
            values = d.get(section, {}).get(key)
            if values is not None and len(values) != n_day:
                d[section][key] = values[start * n_day:(first + days) * n_day]
        shifts = d.get("agents", {}).get("shifts")
        if shifts:
            kept = []
            for s in shifts:
                if s.get("day") is not None:
                    s["day"] -= start
                    if not 0 <= s["day"] < days + warm:
                        continue
                kept.append(s)
            d["agents"]["shifts"] = kept
        pieces.append((validate_scenario(d, source=f"{sc.name} days {first}..{first + days - 1}",
                                         base_dir=sc.base_dir), first, warm))
    return pieces


def piece_seed(seed: int, piece: int) -> int:
    """Seed of piece ``piece`` (independent streams per piece; independent of jobs and executor)."""
    return int(np.random.SeedSequence([seed, piece]).generate_state(1, np.uint64)[0] >> 1)


def _piece_task(scenario: Scenario, seed: int, replication: int, piece: int, shift_days: int) -> Replication:
    rep = run_replication(scenario, piece_seed(seed, piece), replication, keep_calls=False)
    offset = shift_days * scenario.horizon.intervals_per_day
    for frame in (rep.intervals, rep.interval_parts):
        if frame is not None:
            frame["interval"] += offset
            frame["interval_start_s"] += shift_days * 86400.0
    rep.ready = rep.ready.iloc[0:0]
    return rep


def combine(pieces: list[Replication], reported_s: list[float]) -> Replication:
    """One replication's run metrics from its pieces (sums, pooled ratios, time-weighted averages)."""
    first = pieces[0]
    run: dict = {}
    parts = {m: (sum(p.parts[m][0] for p in pieces), sum(p.parts[m][1] for p in pieces)) for m in first.parts}
    weights = np.asarray(reported_s, dtype=float) / float(np.sum(reported_s))
    for key in first.run:
        values = np.array([p.run.get(key, np.nan) for p in pieces], dtype=float)
        if key in parts:
            num, den = parts[key]
            run[key] = num / den if den > 0 else float("nan")
        elif key in TIME_AVERAGES:
            run[key] = float(np.sum(values * weights))
        elif key in COUNTS or key in ("total_calls", "overtime_hours", "expected_leavers",
                                      "expected_hiring_cost"):
            run[key] = float(values.sum())
        else:   # inputs repeated per piece (agent_turnover)
            run[key] = float(values[0])
    intervals = pd.concat([p.intervals for p in pieces], ignore_index=True)
    iparts = pd.concat([p.interval_parts for p in pieces], ignore_index=True) \
        if all(p.interval_parts is not None for p in pieces) else None
    return Replication(first.index, run, intervals, pd.DataFrame(), pd.DataFrame(),
                       pd.concat([p.outbound for p in pieces], ignore_index=True), {}, parts, iparts)


def run_split(scenario: Scenario, piece_days: int = 30, warmup_days: int = 2, replications: int | None = None,
              seed: int | None = None, jobs: int = 1, scheduler=None,
              progress: Callable[[int, int], None] | None = None) -> Results:
    """Run ``scenario`` as independent pieces of ``piece_days`` days with ``warmup_days`` of warm-up each
    (see module docstring); ``jobs`` local processes, or ``scheduler``: a Dask scheduler address or
    ``distributed.Client``. ``progress(done, total)`` after each piece. Results hold no call table."""
    reps = replications if replications is not None else scenario.replications
    seed = seed if seed is not None else scenario.seed
    if not isinstance(jobs, int) or jobs < 1:
        raise ScenarioError(f"jobs must be an integer >= 1, got {jobs!r}")
    pieces = piece_scenarios(scenario.resolved(), piece_days, warmup_days)
    tasks = [(sc, seed, r, k, first - warm) for r in range(reps) for k, (sc, first, warm) in enumerate(pieces)]
    out: list[Replication] = []
    if scheduler is not None:
        from distributed import Client

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        futures = [client.submit(_piece_task, *t, pure=False) for t in tasks]
        for fut in futures:
            out.append(fut.result())
            if progress:
                progress(len(out), len(tasks))
    elif jobs == 1:
        for t in tasks:
            out.append(_piece_task(*t))
            if progress:
                progress(len(out), len(tasks))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for fut in [pool.submit(_piece_task, *t) for t in tasks]:
                out.append(fut.result())
                if progress:
                    progress(len(out), len(tasks))
    reported = [sc.horizon.length_s - sc.horizon.warmup_s for sc, _, _ in pieces]
    n = len(pieces)
    combined = [combine(out[r * n:(r + 1) * n], reported) for r in range(reps)]
    return Results.from_replications(scenario, seed, combined, keep_calls=False)
