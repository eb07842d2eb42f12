"""Results of a run: metric estimates with 95 % confidence intervals across replications, targets, files.

Estimates and intervals come from ``sim.confidence`` (ratio estimators for ratio metrics, intervals inside
each metric's domain); ``summary`` and ``summary.json`` state the method per metric."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from sim.group_metrics import breakdown_dict
from sim import confidence
from sim.confidence import den_col, num_col
from sim.callbacks_metrics import DEFINITION as CALLBACK_DEFINITION
from sim.metrics import COUNTS, EXTRA_METRICS, METRICS
from sim.scenario import Scenario
from sim.counter_metrics import counter_definitions


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, ci_low, ci_high, n) of the finite values; plain Student-t interval, NaN bounds when n < 2.

    Knows no domain: metrics use ``sim.confidence`` instead."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(x.mean())
    if n < 2:
        return m, math.nan, math.nan, 1
    half = float(stdtrit(n - 1, 0.5 + level / 2) * x.std(ddof=1) / math.sqrt(n))
    return m, m - half, m + half, n


def target_status(low: float, high: float, mean: float, tmin: float | None, tmax: float | None) -> str:
    """'pass' when the whole CI meets the bound, 'fail' when the whole CI misses it, else 'inconclusive'."""
    if not math.isfinite(mean):
        return "inconclusive"
    if not (math.isfinite(low) and math.isfinite(high)):
        low = high = mean
    ok_all = (tmin is None or low >= tmin) and (tmax is None or high <= tmax)
    bad_all = (tmin is not None and high < tmin) or (tmax is not None and low > tmax)
    return "pass" if ok_all else ("fail" if bad_all else "inconclusive")


@dataclass
class Results:
    """``summary`` (metric → mean, ci_low, ci_high, n, method, note: ``mean`` is the estimate — the pooled
    ratio for ratio metrics), ``intervals`` (per replication and interval), ``interval_summary`` (per interval
    estimate and CI, ``ci_notes``), ``calls`` (call log of every replication)."""

    scenario: Scenario
    seed: int
    replications: int
    summary: pd.DataFrame
    intervals: pd.DataFrame
    interval_summary: pd.DataFrame
    calls: pd.DataFrame
    ready: pd.DataFrame
    outbound: pd.DataFrame
    per_replication: pd.DataFrame
    extras: list = field(default_factory=list)
    interval_parts: pd.DataFrame | None = None   # <metric>:num / :den per replication and interval (in memory)
    breakdown: pd.DataFrame | None = None        # per call type / skill group estimates ([routing]; group_metrics)

    @classmethod
    def from_replications(cls, scenario: Scenario, seed: int, reps: list, keep_calls: bool = True) -> "Results":
        reps = sorted(reps, key=lambda r: r.index)
        per_rep = pd.DataFrame([r.run for r in reps], index=pd.Index([r.index for r in reps], name="replication"))
        parts = replication_parts(reps)
        summary = confidence.summarise(per_rep, parts)
        order = [m for m in (*METRICS, *EXTRA_METRICS, *COUNTS) if m in summary.index]
        summary = summary.loc[order + [m for m in summary.index if m not in order]]
        intervals = pd.concat([r.intervals.assign(replication=r.index) for r in reps], ignore_index=True)
        intervals = intervals[["replication", *[c for c in intervals.columns if c != "replication"]]]
        iparts = None
        if all(r.interval_parts is not None for r in reps):
            iparts = pd.concat([r.interval_parts.assign(replication=r.index) for r in reps], ignore_index=True)
        tag = lambda frames: pd.concat([f.assign(replication=r.index) for f, r in frames], ignore_index=True)  # noqa
        calls = tag([(r.calls, r) for r in reps]) if keep_calls else pd.DataFrame()
        ready = tag([(r.ready, r) for r in reps])
        outbound = tag([(r.outbound, r) for r in reps])
        from sim.group_metrics import summarise_breakdown
        breakdown = summarise_breakdown([getattr(r, "breakdown", {}) for r in reps])
        return cls(scenario, seed, len(reps), summary, intervals, confidence.interval_summary(intervals, iparts),
                   calls, ready, outbound, per_rep, [r.extras for r in reps], iparts, breakdown)

    def metric(self, name: str) -> float:
        """Mean of a run metric across replications."""
        return float(self.summary.loc[name, "mean"])

    def check_targets(self) -> pd.DataFrame:
        """One row per scenario target: metric, min, max, mean, ci_low, ci_high, status."""
        rows = []
        for name, target in self.scenario.targets.items():
            m, lo, hi = (float(self.summary.loc[name, c]) for c in ("mean", "ci_low", "ci_high"))
            rows.append({"metric": name, "min": target.min, "max": target.max, "mean": m, "ci_low": lo,
                         "ci_high": hi, "status": target_status(lo, hi, m, target.min, target.max)})
        return pd.DataFrame(rows, columns=["metric", "min", "max", "mean", "ci_low", "ci_high", "status"])

    def to_dict(self) -> dict:
        opts = self.scenario.metrics
        clean = lambda v: None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v  # noqa
        return {
            "scenario": self.scenario.name, "seed": self.seed, "replications": self.replications,
            "definitions": {
                "service_level_threshold_s": opts.service_level_threshold_s,
                "short_abandon_s": opts.short_abandon_s,
                "short_abandons_excluded": opts.exclude_short_abandons,
                "offered": "calls that reached the agent queue (not blocked, not completed in the IVR)",
                **DEFINITIONS,
                "fcr_repeat_window_days": opts.repeat_window_days,
                "answer_within_rings": opts.answer_within_rings,
                "ring_cycle_s": self.scenario.telephony.ring_cycle_s,
                "confidence_intervals": CI_STATEMENT,
                **({"counter": counter_definitions(self.scenario.counter)} if self.scenario.counter else {}),

                **({"callbacks": CALLBACK_DEFINITION} if self.scenario.callbacks is not None else {}),
            },
            "metrics": {name: {k: clean(float(row[k])) for k in ("mean", "ci_low", "ci_high")}
                        | {"n": int(row["n"]), "method": row["method"]} | ({"note": row["note"]} if row["note"] else {})
                        for name, row in self.summary.iterrows()},
            "targets": [{k: clean(v) for k, v in row.items()} for row in self.check_targets().to_dict("records")],
        } | breakdown_dict(self.breakdown)

    # -------------------------------------------------------------- plots (matplotlib Figures)
    def plot_volumes(self):
        """Calls offered, answered, abandoned per interval."""
        from sim import plots
        return plots.plot_volumes(self.interval_summary, self.scenario)

    def plot_service(self):
        """Service level and ASA per interval with CI bands and targets."""
        from sim import plots
        return plots.plot_service(self.interval_summary, self.scenario)

    def plot_agents_and_queue(self):
        """Agents scheduled vs ready, and queue length, per interval."""
        from sim import plots
        return plots.plot_agents_and_queue(self.interval_summary, self.scenario)

    def plot_occupancy(self):
        from sim import plots
        return plots.plot_occupancy(self.interval_summary, self.scenario)

    def plot_staffing(self, requirement=None):
        """Required (default: Erlang requirement from the scenario's targets) vs scheduled vs ready agents."""
        from sim import plots
        from sim.report import erlang_requirement_agents
        req = requirement if requirement is not None else erlang_requirement_agents(self.scenario)
        return plots.plot_staffing(self.interval_summary, self.scenario, req)

    def plot_shift_gantt(self):
        from sim import plots
        return plots.plot_shift_gantt(self.scenario)

    def plot_heatmaps(self, lang: str = "en"):
        """Weekday x time-of-day heat maps of service level, abandonment, occupancy, net staffing."""
        from sim.heatmaps import plot_heatmaps
        return plot_heatmaps(self.intervals, self.scenario, lang=lang)

    def plot_average_day(self, lang: str = "en"):
        """The average day of service level, abandonment and occupancy with 95 % bands."""
        from sim.heatmaps import plot_average_day
        return plot_average_day(self.intervals, self.scenario, lang=lang)

    def save(self, out_dir: str | Path) -> Path:
        """Write summary.json, scenario.json, intervals.csv, interval_summary.csv, calls.csv.gz into ``out_dir``.

        The interval tables carry ``date``, ``weekday`` and ``time`` (clock) columns after ``interval_start_s``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        (out / "scenario.json").write_text(self.scenario.model_dump_json(indent=2), encoding="utf-8")
        from sim.clock import with_clock_columns

        with_clock_columns(self.intervals, self.scenario).to_csv(out / "intervals.csv", index=False)
        with_clock_columns(self.interval_summary, self.scenario).to_csv(out / "interval_summary.csv", index=False)
        gzip = {"method": "gzip", "compresslevel": 6}   # level 9 (the default) costs 1/3 more time for 1 % less
        if not self.calls.empty:
            self.calls.to_csv(out / "calls.csv.gz", index=False, compression=gzip)
        if not self.visits.empty:
            self.visits.to_csv(out / "visits.csv.gz", index=False, compression=gzip)
        return out

    @property
    def visits(self) -> pd.DataFrame:
        """The walk-in counter's visit log of every replication (``[counter]``; empty without it or when the
        run kept no per-call tables): arrive, start, end (s), purpose, agent, outcome, replication."""
        frames = [e["counter_visits"].assign(replication=i) for i, e in enumerate(self.extras)
                  if isinstance(e, dict) and e.get("counter_visits") is not None]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def replication_parts(reps) -> pd.DataFrame | None:
    """Numerator and denominator of every ratio metric, one row per replication (``<metric>:num``/``:den``)."""
    if not all(getattr(r, "parts", None) for r in reps):
        return None
    return pd.DataFrame([{col: v for m, (num, den) in r.parts.items() for col, v in ((num_col(m), num),
                                                                                      (den_col(m), den))}
                         for r in reps])


CI_STATEMENT = ("95 % confidence intervals across replications, inside each metric's domain (shares in [0, 1], "
                "scores and percentages in [0, 100], times, counts and money >= 0); ratio metrics are ratio "
                "estimators over all replications' calls (delta method on the logit or log scale; shares of calls "
                "at least the Wilson interval of the pooled counts); no interval where fewer than 2 replications "
                "observed the metric. The method of each metric is in metrics.<name>.method.")

DEFINITIONS = {
    "fcr": "handled calls after which the same caller neither calls again about the same call type within the "
           "repeat window nor gets an agent call-back, / handled; measured from the call log",
    "adherence": "ready time inside the scheduled ready time / scheduled ready time (<= 100 %); ready time "
                 "outside it is overtime_hours",
    "occupancy": "busy / ready time, both counted when they happen (also for calls that arrived in the warm-up)",
    "answered_within_rings": "calls picked up (agent or IVR) within answer_within_rings ring cycles / calls picked up",
    "agent_turnover": "the attrition model's expected annual leavers per head (an input, not a measurement); "
                      "expected_leavers and expected_hiring_cost over the reported horizon",
}
