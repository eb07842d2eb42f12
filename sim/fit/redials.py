"""Redials and repeat calls from repeated caller ids; first-call resolution (FCR).

The log says who called (``caller``), not why. Attempts of one caller are linked in time order:

- an attempt that follows the same caller's *abandoned or blocked* attempt within ``redial_window_s`` of its
  end is a **redial** (the caller tries again because they did not get through);
- an attempt that follows the same caller's *handled* call within ``repeat_window_s`` of its talk end is a
  **repeat** call (the first call did not resolve the matter);
- every other attempt is a **first** attempt (new demand: what the arrival profile counts).

Caller ids < 0 mean unknown (anonymous); such attempts are first attempts and are never linked.

Estimates (only attempts whose window ends inside the observed period count — later ones could not show
a follow-up):

- redial probability after abandon / busy = share followed by a redial;
- redial and repeat delays (seconds): exponential by maximum likelihood truncated at the window (gaps longer
  than the window cannot be seen), mean and 95 % CI;
- FCR within the window = 1 − share of handled calls followed by a repeat (the centre's usual definition),
  per call type; the scenario's ``fcr`` corrects it for repeats later than the window:
  fcr = 1 − repeat share / P(delay <= window).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from sim.calllog import FIRST, ORIGINS, REDIAL, REPEAT


def classify_attempts(calls: pd.DataFrame, redial_window_s: float = 3600.0,
                      repeat_window_s: float = 72 * 3600.0) -> np.ndarray:
    """Origin code per row (``sim.calllog`` FIRST, REDIAL, REPEAT) from caller ids and times."""
    n = len(calls)
    origin = np.full(n, FIRST, dtype=np.int8)
    if n == 0:
        return origin
    caller = calls["caller"].to_numpy()
    arrive = calls["arrive"].to_numpy(dtype=float)
    order = np.lexsort((arrive, caller))
    c, t = caller[order], arrive[order]
    outcome = calls["outcome"].astype(str).to_numpy()[order]
    ends = _attempt_end(calls)[order]
    talk_end = calls["talk_end"].to_numpy(dtype=float)[order]
    same = np.zeros(n, dtype=bool)
    same[1:] = (c[1:] == c[:-1]) & (c[1:] >= 0)
    prev_out = np.where(same, np.roll(outcome, 1), "")
    gap_fail = t - np.roll(ends, 1)
    gap_done = t - np.roll(talk_end, 1)
    redial = same & np.isin(prev_out, ("abandoned", "blocked")) & (gap_fail <= redial_window_s)
    repeat = same & (prev_out == "handled") & (gap_done <= repeat_window_s)
    res = np.full(n, FIRST, dtype=np.int8)
    res[redial] = REDIAL
    res[repeat] = REPEAT
    origin[order] = res
    return origin


def _attempt_end(calls: pd.DataFrame) -> np.ndarray:
    """When an attempt ended for the caller: abandon time, else talk end, else arrival (blocked)."""
    end = calls["abandon"].to_numpy(dtype=float)
    for col in ("talk_end", "ivr_end", "arrive"):
        end = np.where(np.isfinite(end), end, calls[col].to_numpy(dtype=float))
    return end


def _next_gap(calls: pd.DataFrame, origin: np.ndarray, kind: int, from_col: np.ndarray) -> np.ndarray:
    """Per row: gap (s) from ``from_col`` to the same caller's next attempt when that attempt is ``kind``."""
    caller = calls["caller"].to_numpy()
    arrive = calls["arrive"].to_numpy(dtype=float)
    order = np.lexsort((arrive, caller))
    gap = np.full(len(calls), np.nan)
    nxt_same = np.zeros(len(calls), dtype=bool)
    nxt_same[:-1] = caller[order][1:] == caller[order][:-1]
    nxt_kind = np.zeros(len(calls), dtype=bool)
    nxt_kind[:-1] = origin[order][1:] == kind
    g = np.full(len(calls), np.nan)
    g[:-1] = arrive[order][1:] - from_col[order][:-1]
    gap[order] = np.where(nxt_same & nxt_kind, g, np.nan)
    return gap


@dataclass
class DelayFit:
    """Exponential delay truncated at ``window_s``: mean_s with 95 % CI, from ``n`` observed gaps."""

    mean_s: float
    ci: tuple[float, float]
    n: int
    window_s: float

    def prob_within_window(self) -> float:
        return 1.0 - math.exp(-self.window_s / self.mean_s) if self.mean_s > 0 else 1.0

    def to_dict(self) -> dict:
        return {"family": "exponential", "mean_s": self.mean_s, "ci": list(self.ci), "n": self.n,
                "truncated_at_s": self.window_s}


def fit_truncated_exponential(gaps, window_s: float) -> DelayFit | None:
    """MLE of an exponential mean from gaps seen only when <= window_s (None when no gaps)."""
    g = np.asarray(gaps, dtype=float)
    g = g[np.isfinite(g) & (g >= 0)]
    if g.size == 0:
        return None
    m, W = float(g.mean()), float(window_s)

    def mean_trunc(mu: float) -> float:  # E[X | X <= W] for an exponential with mean mu
        return mu - W / math.expm1(W / mu) if W / mu < 700 else mu

    if m >= W / 2 * 0.999:  # uniform-looking gaps: the mean is not identifiable, report the raw mean
        mu = m
    else:
        mu = optimize.brentq(lambda x: mean_trunc(x) - m, 1e-6 * W + 1e-9, 1e6 * W)
    n = g.size
    # CI: exact chi-square interval of an untruncated exponential, scaled to the truncated MLE.
    lo, hi = (2 * n * mu / stats.chi2.ppf(q, 2 * n) for q in (0.975, 0.025))
    return DelayFit(float(mu), (float(lo), float(hi)), n, W)


@dataclass
class RedialFit:
    """Redial behaviour and FCR: probabilities, delays, FCR per call type."""

    redial_prob_abandon: float
    redial_prob_busy: float | None
    redial_delay: DelayFit | None
    n_abandoned_eligible: int
    fcr: dict[str, dict]
    redial_window_s: float
    repeat_window_s: float
    origin_counts: dict[str, int]
    prob_abandon_by_type: dict[str, float | None]

    @property
    def params(self) -> dict:
        return {"redial_prob_abandon": self.redial_prob_abandon, "redial_prob_busy": self.redial_prob_busy,
                "redial_delay_mean_s": self.redial_delay.mean_s if self.redial_delay else None,
                "fcr": {k: v["fcr"] for k, v in self.fcr.items()}}

    def summary(self) -> str:
        d = self.redial_delay
        lines = [f"redials: P(redial | abandoned) = {self.redial_prob_abandon:.3f} "
                 f"(of {self.n_abandoned_eligible} abandons, window {self.redial_window_s:.0f} s)"
                 + (f", delay mean {d.mean_s:.0f} s" if d else ", no redials seen")]
        for name, f in self.fcr.items():
            lines.append(f"  {name}: FCR within {self.repeat_window_s / 3600:.0f} h = {f['fcr_within_window']:.3f}"
                         f" (scenario fcr {f['fcr']:.3f}, {f['handled']} handled)")
        return "\n".join(lines)


def fit_redials(calls: pd.DataFrame, period_end_s: float, redial_window_s: float = 3600.0,
                repeat_window_s: float = 72 * 3600.0, origin: np.ndarray | None = None) -> RedialFit:
    """Estimate redial probability/delay and FCR per call type from ``calls`` (the call-log schema)."""
    if origin is None:
        origin = classify_attempts(calls, redial_window_s, repeat_window_s)
    known = calls["caller"].to_numpy() >= 0
    outcome = calls["outcome"].astype(str).to_numpy()
    ends = _attempt_end(calls)
    talk_end = calls["talk_end"].to_numpy(dtype=float)

    redial_gap = _next_gap(calls, origin, REDIAL, ends)
    probs = {}
    n_elig = 0
    for kind in ("abandoned", "blocked"):
        elig = known & (outcome == kind) & (ends + redial_window_s <= period_end_s)
        probs[kind] = float(np.isfinite(redial_gap[elig]).mean()) if elig.any() else None
        if kind == "abandoned":
            n_elig = int(elig.sum())
    delay = fit_truncated_exponential(redial_gap[np.isin(outcome, ("abandoned", "blocked"))], redial_window_s)

    repeat_gap = _next_gap(calls, origin, REPEAT, talk_end)
    fcr, by_type = {}, {}
    types = calls["call_type"].astype(str).to_numpy()
    for name in calls["call_type"].cat.categories if hasattr(calls["call_type"], "cat") else np.unique(types):
        elig = known & (types == name) & (outcome == "abandoned") & (ends + redial_window_s <= period_end_s)
        by_type[str(name)] = float(np.isfinite(redial_gap[elig]).mean()) if elig.any() else None
        handled = known & (types == name) & (outcome == "handled")
        elig = handled & (talk_end + repeat_window_s <= period_end_s)
        if not elig.any():
            continue
        share = float(np.isfinite(repeat_gap[elig]).mean())
        rdelay = fit_truncated_exponential(repeat_gap[handled], repeat_window_s)
        within = rdelay.prob_within_window() if rdelay else 1.0
        fcr[str(name)] = {"fcr_within_window": 1.0 - share, "fcr": max(0.0, 1.0 - share / within),
                          "handled": int(elig.sum()), "repeat_delay": rdelay.to_dict() if rdelay else None}
    counts = {ORIGINS[k]: int(np.sum(origin == k)) for k in range(len(ORIGINS))}
    return RedialFit(probs["abandoned"] if probs["abandoned"] is not None else 0.0, probs["blocked"], delay,
                     n_elig, fcr, redial_window_s, repeat_window_s, counts, by_type)
