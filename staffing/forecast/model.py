"""The volume model: day total × intraday profile, with a smoothed level, day types and count noise.

For a day ``d`` of day type ``t`` (Monday..Sunday, or public holiday; see ``calendar_cn``) and time-of-day
slot ``s``::

    calls[d, s] ~ Poisson(T[d] · p[t, s] · G[d, s])      G ~ Gamma(mean 1, variance v)   (within-day noise)
    T[d]       = L[d] · f[t] · e[d]                      (day total)
    log L[d]   = local level (+ drift) + AR(1) shock on log(T / (f · e)) of the ordinary open days
                 (statsmodels UnobservedComponents): the level and a trend follow the recent days, day-level
                 shocks persist for a few days and give the day-level variance

``p[t, ·]`` is the recent share of a type-``t`` day's calls in each slot (recency-weighted, shrunk towards
the profile of all ordinary days), ``f[t]`` the weekly pattern (day total over the mean of the surrounding
week), ``e[d]`` an event's multiplier (given, or learnt from past days with the same event name) and ``v``
the overdispersion of interval counts around their expected share.  Counts stay counts: the mean is
positive, the variance grows with the level (Poisson + v·mean²), and prediction intervals are quantiles of
simulated counts (seeded), so they are integers >= 0.

For an intraday reforecast the model also keeps the covariance across slots of log(actual / one-day-ahead
expected) over recent ordinary days (day-level shock plus within-day persistence; ``_slot_covariance``).

A slot is open on a day type when it had rows on at least half of that type's recent days; a day type with
no open day in the history is closed (no rows in the forecast).  A holiday behaves like the history's
holidays, or like a Sunday when the history has none (closed if Sundays are closed).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from staffing.forecast.calendar_cn import HOLIDAY
from staffing.forecast.history import History

N_TYPES = 8
_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RECENT_DAYS = 10          # same-type days used for the open slots and the profile
PROFILE_DECAY = 0.85      # weight of a same-type day one occurrence older
SHRINK_DAYS = 3.0         # pseudo-days of the pooled profile added to each type's profile
FACTOR_DECAY = 0.9        # weight of a same-type week one occurrence older (weekly pattern)
DISPERSION_DAYS = 40      # recent ordinary days used for the within-day overdispersion
COV_DAYS = 200            # recent ordinary days used for the slot covariance (intraday reforecast)
COV_SHRINK = 0.2          # weight of the diagonal in the shrunk slot covariance


@dataclass
class FittedVolumes:
    """What :func:`fit` learnt; ``predict_days`` turns it into per-day totals (log mean, log variance)."""

    interval_s: int
    open_slots: np.ndarray            # [8, S] bool
    profile: np.ndarray               # [8, S] shares (0 where closed), rows sum to 1 for open types
    factor: np.ndarray                # [8] day-type multipliers (nan = type closed)
    event_factor: dict                # event name -> learnt multiplier
    dispersion: float                 # v: variance of G
    level_mean: np.ndarray            # log level forecast for open-day steps 1..H
    level_var: np.ndarray             # its variance (day-level uncertainty)
    notes: list = field(default_factory=list)
    slot_cov: np.ndarray | None = None  # [S, S] covariance of log(actual / one-day-ahead fit), recent days
    slot_noise: np.ndarray | None = None  # [S] its Poisson part (mean 1/expected calls)

    def type_open(self, t: int) -> bool:
        return bool(self.open_slots[t].any())


def _weights(n: int, decay: float) -> np.ndarray:
    return decay ** np.arange(n)[::-1]


def _day_totals(counts: np.ndarray, kinds: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Day totals with gaps filled by the profile (NaN when under half the day's expected calls were seen)."""
    seen = ~np.isnan(counts)
    cover = np.where(seen, profile[kinds], 0.0).sum(axis=1)
    total = np.nansum(counts, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(cover >= 0.5, total / cover, np.nan)
    out[~seen.any(axis=1)] = np.nan
    return out


def _open_slots_and_profiles(counts, kinds, usable) -> tuple[np.ndarray, np.ndarray]:
    S = counts.shape[1]
    open_slots = np.zeros((N_TYPES, S), bool)
    raw = np.zeros((N_TYPES, S))
    n_days = np.zeros(N_TYPES)
    for t in range(N_TYPES):
        days = np.flatnonzero(usable & (kinds == t))[-RECENT_DAYS:]
        if days.size == 0:
            continue
        seen = ~np.isnan(counts[days])
        open_slots[t] = seen.mean(axis=0) >= 0.5
        block = counts[days][:, open_slots[t]]
        w = _weights(days.size, PROFILE_DECAY)
        full = ~np.isnan(block).any(axis=1)
        if full.any():
            shares = block[full] / np.maximum(block[full].sum(axis=1, keepdims=True), 1e-12)
            raw[t, open_slots[t]] = np.average(shares, axis=0, weights=w[full])
            n_days[t] = full.sum()
        else:  # every recent day has a gap: mean counts per slot, normalised
            m = np.nan_to_num(np.nanmean(block, axis=0))
            raw[t, open_slots[t]] = m / max(m.sum(), 1e-12)
            n_days[t] = 1
    ordinary = [t for t in range(7) if n_days[t] > 0]
    pooled = np.zeros(S)
    for t in ordinary:
        pooled += n_days[t] * raw[t]
    profile = np.zeros((N_TYPES, S))
    for t in range(N_TYPES):
        if not open_slots[t].any():
            continue
        base = np.where(open_slots[t], pooled, 0.0)
        base = base / base.sum() if base.sum() > 0 else raw[t]
        mixed = (n_days[t] * raw[t] + SHRINK_DAYS * base) / (n_days[t] + SHRINK_DAYS)
        profile[t] = mixed / mixed.sum()
    return open_slots, profile


def _week_ratios(totals: np.ndarray, ordinary: np.ndarray, n_open_types: int) -> np.ndarray:
    """Day total over the mean of the ordinary days in the centred 7-day window (NaN when incomplete)."""
    out = np.full(totals.size, np.nan)
    ok = ordinary & ~np.isnan(totals)
    for d in range(totals.size):
        lo, hi = max(0, d - 3), min(totals.size, d + 4)
        win = ok[lo:hi]
        if hi - lo == 7 and win.sum() >= max(1, n_open_types - 1):
            out[d] = totals[d] / totals[lo:hi][win].mean()
    return out


def _level(log_z: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray, str, np.ndarray]:
    """Forecast of the log level for steps 1..horizon: (mean, variance, model name, one-step predictions).

    statsmodels ``UnobservedComponents``: a local level (random walk; with a drift when that lowers the AIC,
    i.e. a trend) plus AR(1) day shocks — a busy day is followed by busier days for a few days, then the
    level returns to its slow-moving value.
    """
    n = log_z.size
    if n < 8:
        mean = np.full(horizon, log_z.mean())
        var = np.full(horizon, (log_z.var(ddof=1) if n > 1 else 0.04) * (1 + 1 / max(n, 1)))
        return mean, var, "mean of the ordinary days (fewer than 8)", np.full(n, log_z.mean())
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    names = {"llevel": "local level + AR(1)", "rwdrift": "local level with drift (trend) + AR(1)"}
    best = None
    for kind in ("llevel", "rwdrift") if n >= 28 else ("llevel",):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = UnobservedComponents(log_z, level=kind, autoregressive=1).fit(disp=False)
        if best is None or res.aic < best[1].aic:
            best = (kind, res)
    kind, res = best
    fc = res.get_forecast(horizon)
    one_step = np.asarray(res.fittedvalues, float)
    one_step[0] = log_z[0]  # the first prediction has no information (diffuse start)
    return (np.asarray(fc.predicted_mean, float), np.asarray(fc.var_pred_mean, float), names[kind], one_step)


def fit(history: History, days: pd.DataFrame, horizon: int) -> FittedVolumes:
    """Fit the model to ``history`` (whole days) with its ``days`` table (``SpecialDays.day_table``).

    ``horizon`` is the number of open days ahead the level is forecast for.
    """
    counts = history.counts
    kinds = days["day_type"].to_numpy()
    effect = days["effect"].to_numpy(dtype=float)
    has_event = days["event"].to_numpy() != ""
    open_day = history.open_days
    notes: list[str] = []
    if open_day.sum() < 2:
        raise ValueError("history needs at least two days with calls to forecast from")

    open_slots, profile = _open_slots_and_profiles(counts, kinds, open_day)
    last_open = int(kinds[np.flatnonzero(open_day & (kinds < 7))[-1]]) if (open_day & (kinds < 7)).any() else None
    for t in sorted(set(range(7)) - set(kinds.tolist())):  # a weekday the history never reached: unknown,
        if last_open is not None:                          # not closed; it borrows the latest open weekday
            open_slots[t], profile[t] = open_slots[last_open], profile[last_open]
            notes.append(f"no {_NAMES[t]} in the history: forecast like a {_NAMES[last_open]}")
    totals = _day_totals(counts, kinds, profile)
    ordinary = open_day & (kinds < 7) & ~has_event
    n_open_types = sum(open_slots[t].any() for t in range(7))
    ratios = _week_ratios(totals, ordinary, n_open_types)

    factor = np.full(N_TYPES, np.nan)
    for t in range(7):
        if not open_slots[t].any():
            continue
        r = ratios[ordinary & (kinds == t) & ~np.isnan(ratios)][-12:]
        factor[t] = np.average(r, weights=_weights(r.size, FACTOR_DECAY)) if r.size else 1.0
    factor[:7] = factor[:7] / np.nanmean(factor[:7])
    z_days = ordinary & np.isfinite(totals) & (totals > 0)
    kinds7 = np.minimum(kinds, 6)
    local = (pd.Series(np.where(z_days, totals / np.nan_to_num(factor[kinds7], nan=1.0), np.nan))
             .rolling(15, center=True, min_periods=1).mean().ffill().bfill().to_numpy())
    hol = open_day & (kinds == HOLIDAY) & ~has_event & np.isfinite(totals)
    if open_slots[HOLIDAY].any():
        factor[HOLIDAY] = float(np.exp(np.mean(np.log(totals[hol] / local[hol])))) if hol.any() else 1.0
    elif open_slots[6].any():
        open_slots[HOLIDAY], profile[HOLIDAY], factor[HOLIDAY] = open_slots[6], profile[6], factor[6]
        notes.append("no public holiday in the history: holidays are forecast like Sundays")
    else:
        notes.append("no public holiday and no Sunday in the history: holidays are forecast closed")

    log_z = np.log(totals[z_days] / factor[kinds[z_days]])
    level_mean, level_var, name, one_step = _level(log_z, max(horizon, 1))
    notes.append(f"level: {name} on {log_z.size} ordinary days")

    # learnt event multipliers: day total over what the local level and day type give, per event name
    event_factor: dict = {}
    learn = has_event & open_day & np.isfinite(totals) & np.isnan(effect)
    for name_ in np.unique(days["event"].to_numpy()[learn]):
        i = np.flatnonzero(learn & (days["event"].to_numpy() == name_))
        ratio = totals[i] / (local[i] * factor[kinds[i]])
        ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
        if ratio.size:
            event_factor[str(name_)] = float(np.exp(np.mean(np.log(ratio))))

    # within-day overdispersion around the profile, given each day's own total (method of moments)
    recent = np.flatnonzero(z_days)[-DISPERSION_DAYS:]
    lam = totals[recent, None] * profile[kinds[recent]]
    y = counts[recent]
    ok = ~np.isnan(y) & (lam > 0)
    dispersion = float(max(0.0, np.sum((y[ok] - lam[ok]) ** 2 - y[ok]) / max(np.sum(lam[ok] ** 2), 1e-12)))
    slot_cov, slot_noise = _slot_covariance(counts, kinds, profile, factor, np.flatnonzero(z_days), one_step)
    return FittedVolumes(history.interval_s, open_slots, profile, factor, event_factor, dispersion,
                         level_mean, level_var, notes, slot_cov, slot_noise)


def _slot_covariance(counts, kinds, profile, factor, days, one_step):
    """Covariance across time-of-day slots of log(actual / one-day-ahead expected) on recent ordinary days.

    It carries the day-level shock (shared by all slots) and the within-day persistence (a busy late morning
    is followed by a busy early afternoon); ``predict`` conditions on it for an intraday reforecast.
    Shrunk (``COV_SHRINK``) towards its diagonal so that it stays well-conditioned with fewer days than slots.
    """
    if days.size < 10:
        return None, None
    days, one_step = days[-COV_DAYS:], one_step[-COV_DAYS:]
    lam = np.exp(one_step)[:, None] * factor[kinds[days]][:, None] * profile[kinds[days]]
    y = counts[days]
    ok = ~np.isnan(y) & (lam > 0)
    resid = np.where(ok, np.log((np.nan_to_num(y) + 0.5) / (lam + 0.5)), np.nan)
    col_mean = np.nansum(resid, axis=0) / np.maximum(ok.sum(axis=0), 1)
    resid = np.nan_to_num(resid - col_mean)
    cov = resid.T @ resid / max(days.size - 1, 1)
    noise = np.array([np.mean(1.0 / (lam[ok[:, s], s] + 0.5)) if ok[:, s].any() else 0.0
                      for s in range(lam.shape[1])])
    cov = (1 - COV_SHRINK) * cov + COV_SHRINK * np.diag(np.diag(cov))
    return cov, noise

