"""The calibrated scenario as a commented TOML file: every value with its provenance.

A comment beside each value says where it came from — fitted from how many calls, over which period, with
which fit quality (AIC-best family and Kolmogorov–Smirnov distance, censoring for patience) — or that it is
an option or a default, not a measurement. The file is a normal acdsim scenario: a typical week (7 days from
Monday) with the observed weekday arrival profile and the observed typical staffing.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from sim.config import WEEKDAYS


def _num(v: float, digits: int = 4) -> str:
    return repr(round(float(v), digits))


def _inline(d: dict) -> str:
    parts = []
    for k, v in d.items():
        if isinstance(v, str):
            parts.append(f"{k} = {json.dumps(v)}")
        elif isinstance(v, (list, tuple)):
            parts.append(f"{k} = [{', '.join(_num(x, 3) for x in v)}]")
        else:
            parts.append(f"{k} = {_num(v)}")
    return "{ " + ", ".join(parts) + " }"


def _array(values, per_line: int = 12, digits: int = 3) -> str:
    vals = [_num(v, digits) if not isinstance(v, int) else str(v) for v in values]
    rows = [", ".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line)]
    return "[\n  " + ",\n  ".join(rows) + ",\n]"


def _duration_comment(fit, what: str) -> str:
    if fit.family == "empirical":
        return f"# {what}: empirical ({fit.n} values; no family fitted within KS D 0.05)"
    if fit.family == "deterministic":
        return f"# {what}: all {fit.n} values are {fit.mean_s:g} s"
    lo, hi = fit.conf_int()
    others = ", ".join(f"{f} {c.aic - fit.candidates[fit.family].aic:+.0f}" for f, c in fit.candidates.items()
                       if f != fit.family)
    extra = f"; {fit.n_nonpositive} values <= 0 left out" if fit.n_nonpositive else ""
    return (f"# {what}: ML fit of {fit.n} values, {fit.family} AIC-best (ΔAIC {others}), KS D {fit.ks_d:.3f}, "
            f"mean 95 % CI {lo:.1f}–{hi:.1f} s{extra}")


def _distribution(fit, empirical_dir: Path | None, filename: str) -> str:
    if fit.family == "empirical" and empirical_dir is not None:
        pd.DataFrame({"seconds": fit.values}).to_csv(empirical_dir / filename, index=False)
        return _inline(fit.distribution(samples_csv=filename))
    return _inline(fit.distribution())


def scenario_toml(cal, empirical_dir: Path | None = None) -> str:
    """TOML text of the calibrated scenario (empirical samples written as CSV files into empirical_dir)."""
    obs = cal.observed
    start, end = cal.period
    src = getattr(obs, "source", {}) or {}
    files = ", ".join(Path(f).name for f in src.get("files", [])) or "the history"
    n_day = 1440 // obs.interval_minutes
    arr = cal.arrivals
    out = [
        f"# Calibrated by acdsim calibrate on {dt.date.today().isoformat()} from {files}"
        f" ({src.get('format', 'call log')}).",
        f"# Observed period {start} – {end} ({obs.days} days), {cal.n_calls} call attempts "
        f"({cal.redials.origin_counts.get('first', 0)} first attempts, {cal.redials.origin_counts.get('redial', 0)}"
        f" redials, {cal.redials.origin_counts.get('repeat', 0)} repeat calls).",
        "# Every value says where it comes from; fit.json and calibration.html hold the details.",
        f'name = {json.dumps("calibrated " + start[:10])}',
        f'description = {json.dumps(f"Calibrated from {files}, {start[:10]} to {end[:10]}")}',
        "seed = 1",
        "replications = 10",
        "",
        "[horizon]  # a typical week",
        "days = 7",
        f"interval_minutes = {obs.interval_minutes}   # as the history's reporting interval",
        'start_weekday = "monday"',
        "",
        "[arrivals]",
        f"# first attempts per {obs.interval_minutes}-min interval (redials and repeat calls come from the",
        "# callers' and call types' own behaviour below): mean over the normal days of each weekday;",
        "# marked days left out: " + (", ".join(f"{d} {why}" for d, why in sorted(arr.marked.items())) or "none")
        + f" [{arr.calendar}]",
        "[arrivals.weekday_profile]",
    ]
    counts = arr.days_per_weekday()
    profile = arr.profile()
    for name in WEEKDAYS:
        if name in profile:
            out.append(f"# {name}: mean of {counts[name]} day(s), {sum(profile[name]):.1f} calls per day")
            out.append(f"{name} = {_array(profile[name])}")
    out.append(f"# default (weekdays not observed): mean of all {int(arr.normal.sum())} normal days")
    out.append(f"default = {_array(profile['default'])}")
    out.append("")
    shares = arr.shares
    names = list(cal.types)
    rounded = {n: round(shares[n], 6) for n in names}
    rounded[names[-1]] = round(1.0 - sum(rounded[n] for n in names[:-1]), 6)
    first_by_type = {n: int(arr.by_type[n].sum()) for n in names}
    for n in names:
        t = cal.types[n]
        f = cal.redials.fcr.get(n)
        out.append(f"[call_types.{json.dumps(n) if not n.isidentifier() else n}]")
        out.append(f"share = {rounded[n]}   # {first_by_type[n]} of {int(arr.counts.sum())} first attempts")
        out.append(_duration_comment(t.talk, "talk (excluding hold)"))
        out.append(f"talk = {_distribution(t.talk, empirical_dir, f'talk_{n}.csv')}")
        if t.hold is not None:
            out.append(f"hold_prob = {_num(t.hold_prob)}   # share of {t.handled} handled calls with hold > 0")
            out.append(_duration_comment(t.hold, "hold"))
            out.append(f"hold = {_distribution(t.hold, empirical_dir, f'hold_{n}.csv')}")
        else:
            out.append(f"# hold: {t.sources['hold']}")
        if t.acw is not None:
            out.append(_duration_comment(t.acw, "after-call work"))
            out.append(f"acw = {_distribution(t.acw, empirical_dir, f'acw_{n}.csv')}")
        elif t.acw_option is not None:
            out.append(f"# after-call work: {t.sources['acw']} (an assumption, not a measurement)")
            out.append(f"acw = {_inline(t.acw_option)}")
        else:
            out.append(f"# after-call work: {t.sources['acw']}")
        out.append(f"transfer_prob = {_num(t.transfer_prob)}   # {t.transferred} of {t.handled} handled calls "
                   f"transferred")
        if f is not None:
            out.append(f"fcr = {_num(f['fcr'])}   # 1 - repeat calls within {cal.redials.repeat_window_s / 3600:.0f} h"
                       f" / P(repeat delay <= window); FCR within the window {f['fcr_within_window']:.3f} "
                       f"({f['handled']} handled calls)")
            rd = f.get("repeat_delay")
            if rd:
                out.append(f"repeat_delay = {_inline({'family': 'exponential', 'mean': rd['mean_s']})}   "
                           f"# {rd['n']} repeat calls, exponential ML truncated at the window")
        out.append("")
    pk = cal.pickup
    out.append("[telephony]   # trunks: not in the log (unlimited)")
    if pk.delay_s > 0:
        out.append(f"pickup_rings = 1   # {100 * pk.share_at_floor:.0f} % of {pk.n} answered calls waited "
                   f"{pk.delay_s:g}-{pk.delay_s + 1:g} s: the agent's phone rings before pick-up")
        out.append(f"ring_cycle_s = {_num(pk.delay_s, 3)}   # the 1 % quantile of waits to answer")
    else:
        out.append("pickup_rings = 0   # answered waits show no pick-up delay")
    out.append("")
    pat = cal.patience
    out.append("[callers]")
    if pat is None:
        out.append("# patience: fewer than 2 abandoned calls in the log, not estimated: callers never abandon")
    else:
        lo, hi = pat.conf_int()
        out += [
            f"# patience: censored ML over {pat.n} queued calls ({pat.n_abandoned} abandoned = observed patience, "
            f"{pat.n - pat.n_abandoned} answered or",
            f"# still waiting = right-censored); {pat.family} AIC-best of "
            f"{', '.join(sorted(pat.candidates))}; mean 95 % CI {lo:.1f}–{hi:.1f} s",
            f"# (the naive mean wait of abandoned callers, {pat.naive_mean_s:.1f} s, is biased low)",
            f"patience = {_inline(pat.distribution())}",
        ]
    r = cal.redials
    out.append(f"redial_prob_abandon = {_num(r.redial_prob_abandon)}   # share of {r.n_abandoned_eligible} abandoned "
               f"calls followed by the same caller id within {r.redial_window_s:.0f} s")
    if r.redial_prob_busy is not None:
        out.append(f"redial_prob_busy = {_num(r.redial_prob_busy)}   # same, after a busy signal")
    if r.redial_delay is not None:
        out.append(f"redial_delay = {_inline({'family': 'exponential', 'mean': r.redial_delay.mean_s})}   "
                   f"# {r.redial_delay.n} redials, exponential ML truncated at {r.redial_window_s:.0f} s")
    out.append("max_redials = 3   # default (not estimated)")
    out.append("")
    out += [
        "[agents]",
        ("# observed staffing: mean agents logged in and not paused per interval over the normal days of each"
         if len(obs.ready) else "# staffing NOT observed (no agent sessions in the log): agents seen busy with calls "
                                "per interval (a lower bound),\n# mean over the normal days of each"),
        f"# weekday, rounded to whole agents; Monday first, {n_day} intervals per day",
        f"headcount_per_interval = {_array(cal.staffing.headcount_week(), per_line=n_day // 2 or 1)}",
        "",
        "[metrics]",
        f"service_level_threshold_s = {_num(cal.service_level_threshold_s)}",
        "",
        "# Not in a phone log, so left at acdsim's defaults (not measurements): [costs], [quality], [attrition],",
        "# absenteeism and adherence (the observed staffing already is the time agents were ready), trunks.",
        "",
    ]
    return "\n".join(out)
