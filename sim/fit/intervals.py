"""Calibration from an interval ACD report: what counts per interval allow, and no more.

An interval report (``sim.history.IntervalReport``: offered, answered, abandoned, answered within X s, AHT,
agents logged in, per interval and queue) has no single calls, so:

- arrivals: *offered* calls per weekday × interval and per call type (holidays marked, as for call logs) —
  redials cannot be told from first attempts, so they stay inside the volumes and the scenario's redial
  probability is 0 (otherwise they would be counted twice);
- handle time: the mean only (AHT = talk + hold + ACW), per call type; its shape is unknown, so the scenario
  uses an exponential with that mean — the Erlang assumption, stated as such;
- staffing: agents logged in per interval (paused time is not reported: ready agents may be fewer);
- caller patience: only through a queueing model. With each interval's offered calls, agents (whole,
  rounded) and AHT, Erlang A (M/M/N+M, ``staffing.erlang_a``) gives the probability that a caller abandons
  for a patience mean θ; θ is the maximum-likelihood value of the binomial abandon counts over all intervals,
  with a 95 % profile-likelihood interval (logL within 1.92 of the maximum). Exponential patience is an
  assumption of the method, not a finding;
- no talk/hold/ACW split, no redial delay, FCR or transfers (the scenario leaves them at their defaults).
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from sim.fit.arrivals import ArrivalFit, special_days
from sim.fit.staffing import StaffingFit, fit_staffing


@dataclass
class ErlangAPatience:
    """Patience mean (s) fitted through Erlang A from per-interval abandon counts, with profile CI."""

    mean_s: float
    ci: tuple[float, float]
    intervals_used: int
    intervals_left_out: int
    abandoned: int
    offered: int
    mean_if_agents_10pct_fewer_s: float = math.nan

    def to_dict(self) -> dict:
        return {"family": "exponential", "mean_s": self.mean_s, "ci": list(self.ci),
                "method": "Erlang A (M/M/N+M) maximum likelihood of abandon counts per interval; exponential "
                          "patience assumed", "intervals_used": self.intervals_used,
                "intervals_left_out": self.intervals_left_out, "abandoned": self.abandoned, "offered": self.offered,
                "mean_if_agents_10pct_fewer_s": self.mean_if_agents_10pct_fewer_s,
                "sensitivity": "the estimate with 10 % fewer agents per interval (e.g. paused time that the "
                               "report counts as logged in); a large difference means the abandon counts "
                               "reflect staffing more than patience"}


def fit_patience_erlang_a(offered, abandoned, agents, aht_s, interval_s: float) -> ErlangAPatience:
    """ML patience mean from per-interval counts; intervals without calls, agents or AHT are left out."""
    from staffing.erlang_a import erlang_a_abandon_probability

    off, ab, n, aht = (np.asarray(v, dtype=float) for v in (offered, abandoned, agents, aht_s))
    use = (np.isfinite(off) & np.isfinite(ab) & np.isfinite(n) & np.isfinite(aht) & (off > 0) & (aht > 0)
           & (np.rint(n) >= 1))
    if not use.any() or ab[use].sum() < 1:
        raise ValueError("patience: the report has no interval with offered calls, agents, AHT and abandons")
    off, ab, n, aht = off[use], np.minimum(ab[use], off[use]), np.rint(n[use]), aht[use]
    traffic = off / interval_s * aht

    def loglik(log_theta: float) -> float:
        p = np.clip(erlang_a_abandon_probability(traffic, n, aht, math.exp(log_theta)), 1e-12, 1 - 1e-12)
        return float(np.sum(ab * np.log(p) + (off - ab) * np.log1p(-p)))

    lo_b, hi_b = math.log(1.0), math.log(1e5)
    best = optimize.minimize_scalar(lambda x: -loglik(x), bounds=(lo_b, hi_b), method="bounded",
                                    options={"xatol": 1e-6})
    x_hat, ll_hat = float(best.x), -float(best.fun)
    drop = lambda x: loglik(x) - (ll_hat - 1.920729)  # noqa: E731 - chi²(1) 95 % / 2
    lo = math.exp(optimize.brentq(drop, lo_b, x_hat)) if drop(lo_b) < 0 else math.nan
    hi = math.exp(optimize.brentq(drop, x_hat, hi_b)) if drop(hi_b) < 0 else math.nan
    return ErlangAPatience(math.exp(x_hat), (lo, hi), int(use.sum()), int((~use).sum()), int(ab.sum()),
                           int(off.sum()))


@dataclass
class IntervalCalibration:
    """What an interval report allows: arrival profile, AHT per type, staffing, Erlang-A patience."""

    report: object
    arrivals: ArrivalFit
    aht_by_type: dict[str, float]
    answered_by_type: dict[str, int]
    staffing: StaffingFit
    patience: ErlangAPatience | None
    notes: list[str] = field(default_factory=list)

    @property
    def period(self) -> tuple[str, str]:
        return self.report.start.isoformat(), (self.report.start + pd.Timedelta(days=self.report.days)).isoformat()

    def to_dict(self) -> dict:
        offered = int(np.nansum(self.report.table["offered"]))
        return {"calls": offered, "calls_definition": "offered calls (redials included; no single calls)",
                "period": list(self.period), "days": self.report.days,
                "interval_minutes": self.report.interval_minutes, "source": self.report.source,
                "patience": self.patience.to_dict() if self.patience else None,
                "call_types": {n: {"talk": {"family": "exponential", "mean_s": a, "cv": 1.0,
                                            "note": "AHT (talk + hold + ACW): mean only, shape assumed"},
                                   "acw": None, "answered": self.answered_by_type[n],
                                   "redial": {"prob": None, "delay_mean_s": None}, "fcr": None}
                               for n, a in self.aht_by_type.items()},
                "arrivals": self.arrivals.to_dict(), "staffing": self.staffing.to_dict(), "notes": self.notes}

    def summary(self) -> str:
        p = self.patience
        lines = [f"Interval-report calibration, {self.period[0]} – {self.period[1]}", self.arrivals.summary(),
                 (f"patience (Erlang A, exponential assumed): mean {p.mean_s:.1f} s (95 % CI {p.ci[0]:.1f}–"
                  f"{p.ci[1]:.1f}) from {p.abandoned} abandons of {p.offered} offered" if p else "patience: none")]
        lines += [f"{n}: AHT {a:.1f} s ({self.answered_by_type[n]} answered)" for n, a in self.aht_by_type.items()]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])

    def scenario_toml(self) -> str:
        from sim.fit.scenario_toml import _array, _num

        r, arr = self.report, self.arrivals
        names = list(self.aht_by_type)
        shares = arr.shares
        rounded = {n: round(shares[n], 6) for n in names}
        rounded[names[-1]] = round(1.0 - sum(rounded[n] for n in names[:-1]), 6)
        out = [f"# Calibrated by acdsim calibrate from an interval ACD report, {self.period[0]} – {self.period[1]}.",
               "# An interval report has no single calls: see the comments for what is fitted and what is assumed.",
               f'name = {json.dumps("calibrated " + self.period[0][:10] + " (interval report)")}',
               "seed = 1", "replications = 10", "", "[horizon]  # a typical week", "days = 7",
               f"interval_minutes = {r.interval_minutes}", 'start_weekday = "monday"', "", "[arrivals]",
               "# OFFERED calls per interval (redials cannot be separated: they are inside these volumes), mean",
               "# over the normal days of each weekday; marked days left out: "
               + (", ".join(f"{d} {w}" for d, w in sorted(arr.marked.items())) or "none") + f" [{arr.calendar}]",
               "[arrivals.weekday_profile]"]
        for name, values in arr.profile().items():
            out.append(f"{name} = {_array(values)}")
        out.append("")
        for n in names:
            out += [f"[call_types.{n if n.isidentifier() else json.dumps(n)}]",
                    f"share = {rounded[n]}   # of offered calls",
                    f"# AHT {self.aht_by_type[n]:.1f} s over {self.answered_by_type[n]} answered calls: mean only; "
                    "exponential ASSUMED (the Erlang assumption), ACW and hold inside it",
                    f"talk = {{ family = \"exponential\", mean = {_num(self.aht_by_type[n], 3)} }}", ""]
        out.append("[callers]")
        if self.patience is not None:
            p = self.patience
            out += [f"# patience: Erlang A maximum likelihood of the abandon counts of {p.intervals_used} intervals "
                    f"({p.abandoned} abandons of {p.offered} offered);",
                    f"# exponential ASSUMED by the method; 95 % profile CI {p.ci[0]:.1f}–{p.ci[1]:.1f} s (sampling only);",
                    f"# with 10 % fewer agents it would be {p.mean_if_agents_10pct_fewer_s:.1f} s: staffing uncertainty "
                    "dominates",
                    f"patience = {{ family = \"exponential\", mean = {_num(p.mean_s, 3)} }}"]
        out += ["redial_prob_abandon = 0.0   # redials are already inside the offered volumes", "",
                "[agents]", "# agents LOGGED IN per interval as reported (paused time not reported), mean over the",
                "# normal days of each weekday, rounded; Monday first",
                f"headcount_per_interval = {_array(self.staffing.headcount_week(), per_line=24)}", "",
                "[metrics]", f"service_level_threshold_s = {_num(r.threshold_s)}", "", "# Left at acdsim's "
                "defaults (not in an interval report): redial delay, FCR, transfers, trunks, costs.", ""]
        return "\n".join(out)

    def save(self, out_dir: str | Path) -> Path:
        from sim.calibrate import _clean
        from sim.fit.html import _img
        from sim.scenario import load_scenario

        out = Path(out_dir)
        (out / "plots").mkdir(parents=True, exist_ok=True)
        (out / "scenario.toml").write_text(self.scenario_toml(), encoding="utf-8")
        load_scenario(out / "scenario.toml")
        (out / "fit.json").write_text(json.dumps(_clean(self.to_dict()), indent=2, ensure_ascii=False),
                                      encoding="utf-8")
        import html as _html

        page = ["<html><head><meta charset='utf-8'><title>Calibration</title></head><body>",
                "<h1>Calibration from an interval ACD report</h1>",
                f"<pre>{_html.escape(self.summary())}</pre>",
                _img(self.arrivals.plot_profile(), out / "plots" / "arrivals.png"),
                _img(self.staffing.plot(self.report.interval_minutes), out / "plots" / "staffing.png"),
                "</body></html>"]
        (out / "calibration.html").write_text("\n".join(page), encoding="utf-8")
        return out


def calibrate_interval_report(report, holidays: list[dt.date] | None = None) -> IntervalCalibration:
    """Fit what ``report`` (an ``IntervalReport``) allows (see the module docstring)."""
    t = report.table
    n_day = 1440 // report.interval_minutes
    days = report.days
    idx = t["interval"].to_numpy()
    by_type = {}
    for name in report.call_types:
        sel = (t["call_type"] == name).to_numpy()
        counts = np.zeros(days * n_day)
        np.add.at(counts, idx[sel], np.nan_to_num(t["offered"].to_numpy(dtype=float)[sel]))
        by_type[str(name)] = counts.reshape(days, n_day)
    total = sum(by_type.values())
    dates = [report.start.date() + dt.timedelta(days=i) for i in range(days)]
    marked, source = special_days(dates, holidays)
    marked = {d: w for d, w in marked.items() if d in set(dates)}
    arrivals = ArrivalFit(total, by_type, dates, marked, source, report.interval_minutes, "offered calls")
    aht, answered = {}, {}
    notes = ["offered volumes include redials (not separable in an interval report); redial probability 0"]
    for name in report.call_types:
        rows = t[(t["call_type"] == name) & t["aht_s"].notna() & t["answered"].notna()]
        n_ans = float(rows["answered"].sum())
        if n_ans <= 0:
            raise ValueError(f"call type '{name}': the report gives no AHT with answered calls")
        aht[str(name)] = float((rows["aht_s"] * rows["answered"]).sum() / n_ans)
        answered[str(name)] = int(n_ans)
    staffing_raw = report.staffing_per_interval().to_numpy()
    if not np.isfinite(staffing_raw).any():
        raise ValueError("the interval report has no agents column: staffing cannot be calibrated "
                         "(map it with --map agents=COLUMN)")
    staffing = fit_staffing(np.nan_to_num(staffing_raw), days, dates, arrivals.normal)
    _, per = report.metrics()
    patience = None
    if np.isfinite(per["abandoned"]).any():
        args = (per["offered"], per["abandoned"])
        patience = fit_patience_erlang_a(*args, staffing_raw, per["aht"], report.interval_minutes * 60.0)
        fewer = fit_patience_erlang_a(*args, 0.9 * staffing_raw, per["aht"], report.interval_minutes * 60.0)
        patience.mean_if_agents_10pct_fewer_s = fewer.mean_s
        notes.append(f"patience through Erlang A is sensitive to staffing: {patience.mean_s:.0f} s with the "
                     f"reported agents, {fewer.mean_s:.0f} s with 10 % fewer (logged-in agents include paused "
                     "time); prefer a call log (queue_log or CDR) for patience")
    else:
        notes.append("no abandoned counts: patience not estimated (callers never abandon in the scenario)")
    return IntervalCalibration(report, arrivals, aht, answered, staffing, patience, notes)
