"""Calibration: from a centre's observed history to a scenario whose every input is fitted from its calls.

``calibrate(observed)`` takes an ``sim.history.ObservedLog`` (the call log of the centre's phone system in
the simulator's call-log schema, plus observed agent ready periods) and estimates, with the fitting rooms
of ``sim.fit``:

- arrivals — first attempts per weekday × interval, per call type, holidays marked (``sim.fit.arrivals``);
- talk, hold and after-call work per call type — ML families chosen by AIC (``sim.fit.durations``); a
  quantity the log does not record (ACW and hold in an Asterisk queue_log) comes from an option, and the
  report says so;
- caller patience from censored waits (``sim.fit.patience``);
- redials, repeat calls and FCR from repeated caller ids (``sim.fit.redials``); transfer probability;
- observed staffing (``sim.fit.staffing``).

The result is a statsmodels-style ``Calibration``: ``summary()``, ``params``, ``conf_int()``, plots, and
``save(out_dir)`` writing ``scenario.toml`` (``sim.fit.scenario_toml``), ``fit.json`` and
``calibration.html`` (``sim.fit.html``).
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calllog import FIRST
from sim.distributions import Distribution
from sim.fit.arrivals import ArrivalFit, fit_arrivals
from sim.fit.durations import DurationFit, fit_duration
from sim.fit.patience import PatienceFit, fit_patience
from sim.fit.pickup import PickupFit, fit_pickup
from sim.fit.redials import RedialFit, classify_attempts, fit_redials
from sim.fit.staffing import StaffingFit, agents_seen_per_interval, fit_staffing


class CalibrationError(ValueError):
    """The history cannot be calibrated: one message naming what is missing."""


@dataclass
class TypeFit:
    """Fits of one call type: talk, hold (+ probability), ACW, transfers; ``sources`` says where each
    value came from ("fitted", "option", or "not in log")."""

    name: str
    handled: int
    talk: DurationFit
    hold_prob: float
    hold: DurationFit | None
    acw: DurationFit | None
    acw_option: dict | None
    transfer_prob: float
    transferred: int
    sources: dict[str, str]

    def to_dict(self, redials: RedialFit) -> dict:
        fcr = redials.fcr.get(self.name, {})
        acw = self.acw.to_dict() if self.acw is not None else (
            {"family": self.acw_option["family"], "mean_s": Distribution(**self.acw_option).expected(),
             "cv": self.acw_option.get("cv", 0.0 if self.acw_option["family"] == "deterministic" else None)}
            if self.acw_option else None)
        return {
            "handled": self.handled, "talk": self.talk.to_dict(),
            "hold": self.hold.to_dict() if self.hold is not None else None, "hold_prob": self.hold_prob,
            "acw": acw, "sources": self.sources,
            "transfer_prob": self.transfer_prob, "transferred": self.transferred,
            "redial": {"prob": redials.prob_abandon_by_type.get(self.name),
                       "delay_mean_s": redials.redial_delay.mean_s if redials.redial_delay else None},
            "fcr": fcr.get("fcr"), "fcr_within_window": fcr.get("fcr_within_window"),
            "repeat_delay": fcr.get("repeat_delay"),
        }


@dataclass
class Calibration:
    """Everything fitted from one history (statsmodels style: ``summary()``, ``params``, ``conf_int()``)."""

    observed: object
    arrivals: ArrivalFit
    types: dict[str, TypeFit]
    patience: PatienceFit | None  # None: fewer than 2 abandons, callers never abandon in the scenario
    redials: RedialFit
    staffing: StaffingFit
    pickup: PickupFit
    service_level_threshold_s: float
    notes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ facts about the data
    @property
    def n_calls(self) -> int:
        return int(len(self.observed.calls))

    @property
    def period(self) -> tuple[str, str]:
        start = self.observed.start
        return start.isoformat(), (start + pd.Timedelta(days=self.observed.days)).isoformat()

    # ------------------------------------------------------------------ statsmodels-style access
    @property
    def params(self) -> pd.Series:
        """Point estimates: name → value (seconds for times, fractions for probabilities)."""
        out = {"patience_mean_s": self.patience.mean_s if self.patience else math.nan,
               "redial_prob_abandon": self.redials.redial_prob_abandon,
               "redial_delay_mean_s": self.redials.redial_delay.mean_s if self.redials.redial_delay else math.nan}
        for name, t in self.types.items():
            out[f"{name}.share"] = self.arrivals.shares[name]
            out[f"{name}.talk_mean_s"] = t.talk.mean_s
            if t.hold is not None:
                out[f"{name}.hold_mean_s"] = t.hold.mean_s
            if t.acw is not None:
                out[f"{name}.acw_mean_s"] = t.acw.mean_s
            out[f"{name}.transfer_prob"] = t.transfer_prob
            if name in self.redials.fcr:
                out[f"{name}.fcr"] = self.redials.fcr[name]["fcr"]
        return pd.Series(out, name="estimate")

    def conf_int(self) -> pd.DataFrame:
        """95 % confidence intervals of the fitted means (seconds)."""
        rows = {"patience_mean_s": self.patience.conf_int() if self.patience else (math.nan, math.nan)}
        if self.redials.redial_delay:
            rows["redial_delay_mean_s"] = self.redials.redial_delay.ci
        for name, t in self.types.items():
            rows[f"{name}.talk_mean_s"] = t.talk.conf_int()
            if t.hold is not None:
                rows[f"{name}.hold_mean_s"] = t.hold.conf_int()
            if t.acw is not None:
                rows[f"{name}.acw_mean_s"] = t.acw.conf_int()
        return pd.DataFrame.from_dict(rows, orient="index", columns=["ci_low", "ci_high"])

    def summary(self) -> str:
        start, end = self.period
        lines = [f"Calibration of {self.n_calls} call attempts, {start} – {end} ({self.observed.days} days)",
                 self.arrivals.summary(),
                 self.patience.summary() if self.patience else "patience: not estimated (fewer than 2 abandons)",
                 self.redials.summary(),
                 f"pick-up delay {self.pickup.delay_s:g} s ({100 * self.pickup.share_at_floor:.0f} % of answered "
                 f"calls within 1 s of it)"]
        for t in self.types.values():
            lines.append(f"[{t.name}] {t.handled} handled, transfer prob {t.transfer_prob:.3f}")
            lines.append("  " + t.talk.summary().replace("\n", "\n  "))
            if t.hold is not None:
                lines.append(f"  hold prob {t.hold_prob:.3f}; " + t.hold.summary().replace("\n", "\n  "))
            if t.acw is not None:
                lines.append("  " + t.acw.summary().replace("\n", "\n  "))
            elif t.sources.get("acw") != "fitted":
                lines.append(f"  acw: {t.sources['acw']}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    # ------------------------------------------------------------------ plots
    def plot_arrivals(self):
        return self.arrivals.plot_profile()

    def plot_survival(self):
        if self.patience is None:
            raise ValueError("patience was not estimated: the log has fewer than 2 abandoned calls")
        return self.patience.plot_survival()

    def plot_staffing(self):
        return self.staffing.plot(self.observed.interval_minutes)

    def plot_qq(self, call_type: str, quantity: str = "talk"):
        """QQ plot of ``quantity`` (talk, hold, acw) of ``call_type``."""
        t = self.types[call_type]
        fit = getattr(t, quantity)
        if fit is None:
            raise ValueError(f"{call_type}.{quantity} was not fitted ({t.sources.get(quantity)})")
        return fit.plot_qq()

    # ------------------------------------------------------------------ outputs
    def to_dict(self) -> dict:
        start, end = self.period
        pat = self.patience
        return {
            "calls": self.n_calls, "period": [start, end], "days": self.observed.days,
            "interval_minutes": self.observed.interval_minutes,
            "source": getattr(self.observed, "source", {}),
            "service_level_threshold_s": self.service_level_threshold_s,
            "patience": pat.to_dict() if pat else None,
            "redial": {"prob": self.redials.redial_prob_abandon, "prob_busy": self.redials.redial_prob_busy,
                       "delay_mean_s": self.redials.redial_delay.mean_s if self.redials.redial_delay else None,
                       "delay": self.redials.redial_delay.to_dict() if self.redials.redial_delay else None,
                       "abandons_counted": self.redials.n_abandoned_eligible,
                       "window_s": self.redials.redial_window_s},
            "repeat_window_s": self.redials.repeat_window_s,
            "pickup": self.pickup.to_dict(),
            "origin": self.redials.origin_counts,
            "call_types": {n: t.to_dict(self.redials) for n, t in self.types.items()},
            "arrivals": self.arrivals.to_dict(),
            "staffing": self.staffing.to_dict(),
            "notes": self.notes,
        }

    def scenario_toml(self, empirical_dir: Path | None = None) -> str:
        from sim.fit.scenario_toml import scenario_toml

        return scenario_toml(self, empirical_dir)

    def scenario(self):
        """The calibrated scenario, validated (empirical samples inline)."""
        import tomllib

        from sim.scenario import validate_scenario

        return validate_scenario(tomllib.loads(self.scenario_toml()), source="calibrated scenario")

    def save(self, out_dir: str | Path) -> Path:
        """Write scenario.toml, fit.json, calibration.html (+ empirical CSVs and plots/*.png) into out_dir."""
        from sim.fit.html import write_html
        from sim.scenario import load_scenario

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "scenario.toml").write_text(self.scenario_toml(out), encoding="utf-8")
        load_scenario(out / "scenario.toml")  # what we write must be a valid scenario
        (out / "fit.json").write_text(json.dumps(_clean(self.to_dict()), indent=2, ensure_ascii=False),
                                      encoding="utf-8")
        write_html(self, out)
        return out


def _clean(value):
    """JSON-safe: NaN/inf → null, numpy scalars → Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _fit_type(name: str, calls: pd.DataFrame, not_in_log, acw_option: dict | None) -> TypeFit:
    sel = (calls["call_type"].astype(str) == name).to_numpy() & (calls["outcome"].astype(str) == "handled").to_numpy()
    handled = int(sel.sum())
    if handled < 2:
        raise CalibrationError(f"call type '{name}' has {handled} handled calls; at least 2 are needed to fit "
                               f"its talk time (map it to another type or leave it out)")
    talk = fit_duration(calls["talk"].to_numpy()[sel], f"{name}.talk")
    sources = {"talk": "fitted"}
    hold, hold_prob = None, 0.0
    if "avg_hold_time" in not_in_log:
        sources["hold"] = "not in log: no hold in the scenario"
    else:
        h = calls["hold"].to_numpy()[sel]
        h = h[np.isfinite(h)]
        hold_prob = float(np.mean(h > 0)) if h.size else 0.0
        if np.sum(h > 0) >= 2:
            hold = fit_duration(h[h > 0], f"{name}.hold")
        sources["hold"] = "fitted" if hold is not None else "fitted: (almost) no holds"
    acw = None
    if "avg_acw" in not_in_log:
        sources["acw"] = ("not in log: from the --acw option " + json.dumps(acw_option)) if acw_option else \
            "not in log and no --acw option: ACW = 0 in the scenario"
    else:
        a = calls["acw"].to_numpy()[sel]
        a = a[np.isfinite(a)]
        if a.size >= 2 and np.any(a > 0):
            acw = fit_duration(a, f"{name}.acw")
            sources["acw"] = "fitted"
        else:
            sources["acw"] = "fitted: no ACW recorded (0 s)"
        acw_option = None
    transferred = int(calls["transferred"].to_numpy()[sel].sum())
    return TypeFit(name, handled, talk, hold_prob, hold, acw, acw_option if acw is None else None,
                   transferred / handled, transferred, sources)


def _acw_option(acw) -> dict | None:
    if acw is None:
        return None
    spec = {"family": "deterministic", "mean": float(acw)} if isinstance(acw, (int, float)) else dict(acw)
    try:
        Distribution(**spec)
    except ValueError as err:
        raise CalibrationError(f"acw option: {err}") from None
    return spec


def calibrate(observed, *, acw=None, redial_window_s: float = 3600.0, repeat_window_s: float = 72 * 3600.0,
              holidays: list[dt.date] | None = None, service_level_threshold_s: float = 20.0) -> Calibration:
    """Fit every scenario input from ``observed`` (an ``ObservedLog``).

    ``acw``: after-call work when the log lacks it — seconds (fixed) or a distribution dict such as
    ``{"family": "gamma", "mean": 45, "cv": 0.5}``; ignored when the log records ACW.
    ``redial_window_s`` / ``repeat_window_s``: how soon a call from the same caller id counts as a redial
    (after an unanswered attempt) or a repeat call (after a handled one). ``holidays``: extra dates to mark.
    """
    for name, v in (("redial_window_s", redial_window_s), ("repeat_window_s", repeat_window_s)):
        if not (isinstance(v, (int, float)) and v > 0 and math.isfinite(v)):
            raise CalibrationError(f"{name} must be a number of seconds > 0, got {v!r}")
    calls = observed.calls
    if len(calls) == 0:
        raise CalibrationError("the history holds no calls")
    acw_spec = _acw_option(acw)
    not_in_log = tuple(getattr(observed, "not_in_log", ()))
    origin = classify_attempts(calls, redial_window_s, repeat_window_s)
    arrivals = fit_arrivals(calls, origin == FIRST, observed.start, observed.days, observed.interval_minutes,
                            holidays)
    names = [str(n) for n in calls["call_type"].cat.categories]
    types = {n: _fit_type(n, calls, not_in_log, acw_spec) for n in names if arrivals.shares.get(n, 0) > 0}
    pat = observed.patience_observations()
    patience = None
    if int(pat["abandoned"].sum()) >= 2:
        try:
            patience = fit_patience(pat["wait_s"].to_numpy(), pat["abandoned"].to_numpy())
        except ValueError as err:
            raise CalibrationError(str(err)) from None
    redials = fit_redials(calls, observed.length_s, redial_window_s, repeat_window_s, origin)
    notes: list[str] = []
    per_interval = observed.staffing_per_interval().to_numpy()
    if len(observed.ready) == 0:
        per_interval = agents_seen_per_interval(calls, observed.interval_minutes * 60.0, len(per_interval))
        notes.append("no agent sessions in this log: staffing per interval = distinct agents busy with a call in "
                     "that interval (a lower bound; idle agents are not seen)")
    staffing = fit_staffing(per_interval, observed.days, arrivals.dates, arrivals.normal)
    answered = calls["answer"].to_numpy() - calls["enqueue"].to_numpy()
    pickup = fit_pickup(answered[np.isfinite(answered)])
    if patience is None:
        notes.append(f"{int(pat['abandoned'].sum())} abandoned call(s): patience cannot be estimated; the scenario "
                     "has no patience (callers never abandon)")
    notes += [f"{n} is not in this log" for n in not_in_log if n in ("avg_acw", "avg_hold_time")]
    if "avg_acw" in not_in_log:
        notes.append("ACW: " + ("taken from the --acw option, not measured" if acw_spec else
                                "not measured and no --acw option given: the scenario has no ACW"))
    notes += list(getattr(observed, "notes", []))
    return Calibration(observed, arrivals, types, patience, redials, staffing, pickup, service_level_threshold_s,
                       notes)
