"""Results of a run: metric means with 95 % confidence intervals across replications, targets, files."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.metrics import COUNTS, METRICS
from sim.scenario import Scenario


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, ci_low, ci_high, n) of the finite values; Student-t interval, NaN bounds when n < 2."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(x.mean())
    if n < 2:
        return m, math.nan, math.nan, 1
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
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
    """``summary`` (metric → mean, ci_low, ci_high, n), ``intervals`` (per replication and interval),
    ``interval_summary`` (per interval mean and CI), ``calls`` (call log of every replication)."""

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

    @classmethod
    def from_replications(cls, scenario: Scenario, seed: int, reps: list, keep_calls: bool = True) -> "Results":
        reps = sorted(reps, key=lambda r: r.index)
        per_rep = pd.DataFrame([r.run for r in reps], index=pd.Index([r.index for r in reps], name="replication"))
        rows = {name: mean_ci(per_rep[name]) for name in per_rep.columns}
        summary = pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "ci_low", "ci_high", "n"])
        summary.index.name = "metric"
        order = [m for m in (*METRICS, *COUNTS) if m in summary.index]
        summary = summary.loc[order + [m for m in summary.index if m not in order]]
        intervals = pd.concat([r.intervals.assign(replication=r.index) for r in reps], ignore_index=True)
        intervals = intervals[["replication", *[c for c in intervals.columns if c != "replication"]]]
        tag = lambda frames: pd.concat([f.assign(replication=r.index) for f, r in frames], ignore_index=True)  # noqa
        calls = tag([(r.calls, r) for r in reps]) if keep_calls else pd.DataFrame()
        ready = tag([(r.ready, r) for r in reps])
        outbound = tag([(r.outbound, r) for r in reps])
        return cls(scenario, seed, len(reps), summary, intervals, _interval_summary(intervals), calls, ready,
                   outbound, per_rep, [r.extras for r in reps])

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
            },
            "metrics": {name: {k: clean(float(row[k])) for k in ("mean", "ci_low", "ci_high")} | {"n": int(row["n"])}
                        for name, row in self.summary.iterrows()},
            "targets": [{k: clean(v) for k, v in row.items()} for row in self.check_targets().to_dict("records")],
        }

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
        if not self.calls.empty:
            self.calls.to_csv(out / "calls.csv.gz", index=False, compression="gzip")
        return out


def _interval_summary(intervals: pd.DataFrame) -> pd.DataFrame:
    """Per interval: ``<metric>_mean``, ``_ci_low``, ``_ci_high`` across replications (vectorised t-CI)."""
    value_cols = [c for c in intervals.columns if c not in ("replication", "interval", "interval_start_s")]
    grouped = intervals.groupby(["interval", "interval_start_s"], sort=True)[value_cols]
    mean = grouped.mean()
    sd = grouped.std(ddof=1)
    n = grouped.count()
    tcrit = stats.t.ppf(0.975, np.maximum(n.to_numpy() - 1, 1))
    half = pd.DataFrame(np.where(n.to_numpy() >= 2, tcrit * sd.to_numpy() / np.sqrt(n.to_numpy()), np.nan),
                        index=mean.index, columns=value_cols)
    out = pd.concat({"mean": mean, "ci_low": mean - half, "ci_high": mean + half}, axis=1)
    out.columns = [f"{metric}_{stat}" for stat, metric in out.columns]
    return out.reset_index()
