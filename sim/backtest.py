"""Back-test: does the scenario reproduce the centre's own history?

The observed period is simulated with what actually happened outside the model's control — exactly the
observed first attempts per interval (``arrivals.calls_per_interval`` with ``poisson = false``: Poisson counts
around an observed count would add arrival noise the observed period did not have, and queues punish
variability, so the back-test would be biased pessimistic; redials and repeat calls are the model's own)
and the observed staffing (every ready period of every agent becomes a one-agent shift on its day, to the
minute; no absenteeism or non-adherence on top) — and everything else from the scenario (call types, talk,
ACW, patience, redials, FCR). Observed and simulated calls are measured by the same code
(``sim.metrics.compute_metrics``; observed through ``ObservedLog.compute_metrics``) with the scenario's
metric options.

For each compared metric (service level, ASA, abandonment rate, occupancy, AHT, …), overall and per
interval:

- *simulated mean* and its 95 % CI across replications (Student t): where the model's expectation lies;
- *simulated band*: the 2.5 %–97.5 % quantiles of the replications — the range one realisation of the
  period (such as the observed one) falls in if the model is right;
- *verdict*: ``consistent`` when the observed value lies inside the band, else ``model higher`` or
  ``model lower`` (the model over- or under-states the metric).

``backtest(scenario, observed)`` returns a ``Backtest`` (``summary``, ``intervals``, ``outside()``, plots,
``save(out_dir)`` → backtest.json, backtest.csv, outside_band.csv, backtest.html, plots/*.png).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calllog import FIRST
from sim.fit.redials import classify_attempts
from sim.fit.staffing import agents_seen_per_interval, ready_periods_as_shifts
from sim.results import mean_ci
from sim.scenario import Scenario, ScenarioError, validate_scenario

COMPARED = ("service_level", "asa", "abandon_rate", "occupancy", "aht", "percent_answered", "avg_talk_time",
            "offered", "agents_ready")
"""Metrics compared (the first five are the issue's; offered and agents_ready check the inputs)."""
BAND = (0.025, 0.975)


def backtest_scenario(scenario: Scenario, observed, redial_window_s: float = 3600.0,
                      repeat_window_s: float = 72 * 3600.0) -> tuple[Scenario, dict]:
    """The scenario re-cut to the observed period: observed first attempts and observed staffing.

    Returns (scenario, info) with info on what was replaced (first-attempt total, shifts, short periods)."""
    calls = observed.calls
    origin = classify_attempts(calls, redial_window_s, repeat_window_s)
    interval_s = observed.interval_minutes * 60
    n = observed.days * (1440 // observed.interval_minutes)
    arrive = calls["arrive"].to_numpy(dtype=float)
    first = (origin == FIRST) & np.isfinite(arrive) & (arrive >= 0) & (arrive < observed.days * 86400.0)
    counts = np.bincount((arrive[first] // interval_s).astype(np.int64), minlength=n)[:n].astype(float)
    shifts, tiny = ready_periods_as_shifts(observed.ready, observed.days)
    if shifts:
        agents = {"shifts": shifts}
    else:  # no agent sessions (a CDR): the agents seen busy per interval, a lower bound
        seen = agents_seen_per_interval(calls, interval_s, n)
        if not seen.any():
            raise ScenarioError("backtest: the history has neither agent sessions nor answered calls with an "
                                "agent: observed staffing is unknown")
        agents = {"headcount_per_interval": seen.astype(int).tolist()}
    data = json.loads(scenario.model_dump_json(exclude_none=True))
    horizon = {"days": observed.days, "interval_minutes": observed.interval_minutes,
               "start_date": observed.start.date().isoformat(), "warmup_minutes": 0.0}
    data["horizon"] = horizon
    data["arrivals"] = {"calls_per_interval": counts.tolist(), "poisson": False}  # the observed counts, exactly
    data["agents"] = agents | {"absenteeism": 0.0, "adherence": 1.0, "handover_minutes": 0.0}
    data.pop("desk", None)
    data.pop("shift_rules", None)
    data["name"] = f"{scenario.name} back-test {observed.start.date()}"
    sc = validate_scenario(data, source="back-test scenario", base_dir=scenario.base_dir)
    info = {"first_attempts": int(counts.sum()), "shifts_from_ready_periods": len(shifts),
            "staffing": "ready periods as shifts" if shifts else "agents seen busy per interval (no sessions)",
            "ready_periods_under_a_minute_left_out": tiny,
            "origin": {"first": int(np.sum(origin == FIRST)), "redial_or_repeat": int(np.sum(origin != FIRST))},
            "redial_window_s": redial_window_s, "repeat_window_s": repeat_window_s}
    return sc, info


def _verdict(obs: float, low: float, high: float) -> str:
    if not all(math.isfinite(v) for v in (obs, low, high)):
        return "not comparable"
    if obs < low:
        return "model higher"
    if obs > high:
        return "model lower"
    return "consistent"


@dataclass
class Backtest:
    """Observed vs simulated, overall (``summary``) and per interval (``intervals``)."""

    scenario: Scenario
    observed_run: dict
    observed_intervals: pd.DataFrame
    simulated: object  # sim.Results
    start: pd.Timestamp
    info: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        """Per metric: observed, simulated mean, ci_low, ci_high, band_low, band_high, verdict."""
        per_rep = self.simulated.per_replication
        rows = {}
        for m in COMPARED:
            values = per_rep[m].to_numpy(dtype=float)
            mean, lo, hi, _ = mean_ci(values)
            finite = values[np.isfinite(values)]
            b_lo, b_hi = (np.quantile(finite, BAND) if finite.size else (math.nan, math.nan))
            obs = float(self.observed_run.get(m, math.nan))
            rows[m] = {"observed": obs, "simulated_mean": mean, "ci_low": lo, "ci_high": hi,
                       "band_low": float(b_lo), "band_high": float(b_hi), "difference": mean - obs,
                       "verdict": _verdict(obs, float(b_lo), float(b_hi))}
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("metric")

    @property
    def intervals(self) -> pd.DataFrame:
        """Per interval and metric: observed, sim mean, band, outside flag (NaN observed: not compared)."""
        sim = self.simulated.intervals
        grouped = sim.groupby("interval")
        obs = self.observed_intervals.set_index("interval")
        out = pd.DataFrame({"interval": obs.index.to_numpy()})
        out["interval_start"] = [(self.start + pd.Timedelta(seconds=float(s))).isoformat()
                                 for s in obs["interval_start_s"].to_numpy()]
        for m in COMPARED:
            q = grouped[m].quantile(list(BAND)).unstack()
            mean = grouped[m].mean()
            o = obs[m].to_numpy(dtype=float)
            lo = q[BAND[0]].reindex(obs.index).to_numpy()
            hi = q[BAND[1]].reindex(obs.index).to_numpy()
            out[f"{m}_observed"] = o
            out[f"{m}_sim_mean"] = mean.reindex(obs.index).to_numpy()
            out[f"{m}_band_low"] = lo
            out[f"{m}_band_high"] = hi
            with np.errstate(invalid="ignore"):
                out[f"{m}_outside"] = np.isfinite(o) & np.isfinite(lo) & ((o < lo) | (o > hi))
        return out

    def outside(self, metrics=("service_level", "asa", "abandon_rate", "occupancy", "aht")) -> pd.DataFrame:
        """One row per interval and metric where the observed value falls outside the simulated band."""
        iv = self.intervals
        rows = []
        for m in metrics:
            sel = iv[iv[f"{m}_outside"]]
            for r in sel.itertuples(index=False):
                d = r._asdict()
                rows.append({"interval": d["interval"], "interval_start": d["interval_start"], "metric": m,
                             "observed": d[f"{m}_observed"], "sim_mean": d[f"{m}_sim_mean"],
                             "band_low": d[f"{m}_band_low"], "band_high": d[f"{m}_band_high"],
                             "offered_observed": d["offered_observed"]})
        return pd.DataFrame(rows, columns=["interval", "interval_start", "metric", "observed", "sim_mean",
                                           "band_low", "band_high", "offered_observed"])

    def to_dict(self) -> dict:
        s = self.summary
        clean = lambda v: None if isinstance(v, float) and not math.isfinite(v) else v  # noqa: E731
        share = {m: float(self.intervals[f"{m}_outside"].mean()) for m in COMPARED}
        return {
            "scenario": self.scenario.name, "replications": self.simulated.replications,
            "seed": self.simulated.seed,
            "definitions": {
                "simulated_mean": "mean over replications; ci_low/ci_high: its 95 % Student-t CI",
                "band": "2.5 %–97.5 % quantiles of the replications: where one realisation of the period "
                        "falls if the model is right",
                "verdict": "consistent = observed inside the band; model higher/lower = the simulated band lies "
                           "above/below the observed value",
                "service_level_threshold_s": self.scenario.metrics.service_level_threshold_s,
                "short_abandon_s": self.scenario.metrics.short_abandon_s,
                "short_abandons_excluded": self.scenario.metrics.exclude_short_abandons,
            },
            "metrics": {m: {k: clean(v) for k, v in row.items()} for m, row in s.to_dict("index").items()},
            "share_of_intervals_outside_band": share,
            "inputs": self.info, "notes": self.notes,
        }

    def save(self, out_dir: str | Path) -> Path:
        from sim.backtest_report import write_report

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "backtest.json").write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        self.intervals.to_csv(out / "backtest.csv", index=False)
        self.outside().to_csv(out / "outside_band.csv", index=False)
        write_report(self, out)
        return out


def backtest(scenario: Scenario | str | Path, observed, replications: int = 20, seed: int = 1, jobs: int = 1,
             redial_window_s: float = 3600.0, repeat_window_s: float = 72 * 3600.0, progress=None) -> Backtest:
    """Simulate ``observed``'s period under ``scenario`` (``replications`` runs) and compare (see module doc)."""
    from sim.runner import run
    from sim.scenario import load_scenario

    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario)
    if not isinstance(replications, int) or replications < 2:
        raise ScenarioError(f"backtest: replications must be an integer >= 2 (a band needs several runs), "
                            f"got {replications!r}")
    sc, info = backtest_scenario(scenario, observed, redial_window_s, repeat_window_s)
    sim = run(sc, replications=replications, seed=seed, jobs=jobs, keep_calls=False, progress=progress)
    obs_run, obs_intervals = observed.compute_metrics(sc.metrics.model_dump())
    notes = []
    not_in_log = set(getattr(observed, "not_in_log", ()))
    notes.append("agents_ready compares an input: the simulated value is a little higher because a simulated agent "
                 "whose observed ready period ends during a call finishes that call (counted as ready, taking no "
                 "new calls)")
    if "avg_acw" in not_in_log:
        notes.append("the log records no ACW: observed AHT and occupancy hold only the ACW the reader was told "
                     "to assume; compare them with care")
    if "avg_hold_time" in not_in_log:
        notes.append("the log records no hold time: observed hold is what the reader assumed")
    if not info["shifts_from_ready_periods"]:
        notes.append("the log has no agent sessions: simulated staffing = agents seen busy with calls per interval "
                     "(a lower bound), so the model is pessimistic; occupancy is not comparable")
    if info["ready_periods_under_a_minute_left_out"]:
        notes.append(f"{info['ready_periods_under_a_minute_left_out']} ready periods shorter than a minute are "
                     "not simulated (shifts are whole minutes)")
    return Backtest(sc, obs_run, obs_intervals, sim, observed.start, info, notes)
