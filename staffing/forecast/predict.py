"""``forecast_volumes``: expected calls and a prediction interval per interval, from a call history.

The forecast fits ``staffing.forecast.model`` to the whole days before the first interval asked for and
simulates counts from it (seeded, so the same call gives the same numbers).  When the history already holds
part of the first day (an *intraday reforecast*), the calls seen so far update the rest of that day: the
log residuals of the day's slots are jointly Gaussian with the history's slot covariance (a shared day shock
plus persistence from one slot to the next), so conditioning on the seen slots raises or lowers the unseen
ones — most for the hours right after "now", by less than the raw ratio when the morning is short or noisy.
With fewer than 10 ordinary days of history a gamma–Poisson update of the day's multiplier is used instead.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from staffing.forecast.calendar_cn import SpecialDays
from staffing.forecast.history import History, to_history
from staffing.forecast.model import RECENT_DAYS, FittedVolumes, fit

N_DRAWS = 4000
TYPE_SHARE_DAYS = 28
TYPE_SHARE_PSEUDO = 50.0  # pseudo-calls of the overall type mix added to each slot's own mix


def _check_level(level: float, name: str = "level") -> float:
    if not (isinstance(level, (int, float)) and 0 < float(level) < 1):
        raise ValueError(f"{name} must be a probability strictly between 0 and 1, got {level!r}")
    return float(level)


def _history_complete_through(hist: History, kinds: np.ndarray) -> pd.Timestamp:
    """Wall-clock time after which the forecast starts: next interval, or next midnight if the day is done."""
    last_day = int(np.flatnonzero(hist.open_days)[-1])
    last_slot = int(np.flatnonzero(~np.isnan(hist.counts[last_day]))[-1])
    same = np.flatnonzero(hist.open_days[:last_day] & (kinds[:last_day] == kinds[last_day]))[-RECENT_DAYS:]
    if same.size:
        seen = (~np.isnan(hist.counts[same])).mean(axis=0) >= 0.5
        day_end = int(np.flatnonzero(seen)[-1]) if seen.any() else last_slot
    else:
        day_end = last_slot
    if last_slot >= day_end:
        return hist.dates[last_day] + pd.Timedelta(days=1)
    return hist.dates[last_day] + pd.Timedelta(seconds=(last_slot + 1) * hist.interval_s)


def _target_index(hist: History, at, horizon_days: int, kinds_hist: np.ndarray):
    """(wall-clock target starts, output tz, explicit?)"""
    if at is None:
        if not (isinstance(horizon_days, (int, np.integer)) and horizon_days >= 1):
            raise ValueError(f"horizon_days must be a whole number of days >= 1, got {horizon_days!r}")
        start = _history_complete_through(hist, kinds_hist)
        end = start.normalize() + pd.Timedelta(days=int(horizon_days))
        return pd.date_range(start, end, freq=f"{hist.interval_s}s", inclusive="left"), hist.tz, False
    idx = pd.DatetimeIndex(at)
    if idx.empty:
        raise ValueError("at must contain at least one interval start")
    tz = idx.tz or hist.tz
    if idx.tz is not None:
        idx = idx.tz_convert(hist.tz or idx.tz).tz_localize(None)
    offsets = (idx - idx.normalize()).total_seconds().to_numpy()
    if np.any(offsets % hist.interval_s):
        raise ValueError(f"at must lie on the history's {hist.interval_s // 60}-minute grid "
                         f"(e.g. {idx[np.flatnonzero(offsets % hist.interval_s)[0]]} does not)")
    return idx, tz, True


def _type_shares(hist: History) -> pd.DataFrame | None:
    """Share of each call type per time-of-day slot over the recent weeks, shrunk to the overall mix."""
    if hist.types is None:
        return None
    recent = hist.types[hist.types.index >= hist.types.index.max().normalize() - pd.Timedelta(days=TYPE_SHARE_DAYS)]
    slot = ((recent.index - recent.index.normalize()).total_seconds() // hist.interval_s).astype(int)
    by_slot = recent.fillna(0).groupby(slot).sum().reindex(range(hist.slots_per_day), fill_value=0.0)
    overall = recent.fillna(0).sum() / max(recent.fillna(0).to_numpy().sum(), 1e-12)
    shares = (by_slot + TYPE_SHARE_PSEUDO * overall) / (by_slot.sum(axis=1).to_numpy()[:, None] + TYPE_SHARE_PSEUDO)
    return shares


def forecast_volumes(history, at=None, horizon_days: int = 7, level: float = 0.8, holidays=None, *,
                     country: str | None = "CN", quantile: float | None = None, type_col: str | None = None,
                     seed: int = 0, n_draws: int = N_DRAWS) -> pd.DataFrame:
    """Forecast calls per interval with a ``level`` prediction interval.

    ``history``: Series of call counts indexed by interval start (tz-aware or naive), or a DataFrame with
    ``calls`` and a call-type column (``type_col``, default ``call_type``/``type``).  ``at``: the interval
    starts to forecast (default: from the end of the history for ``horizon_days`` days); the model learns
    from the whole days before the first of them (plus that day's earlier intervals for an intraday
    reforecast), so later rows of the history are not used — that is how the backtest replays the past.
    ``holidays``: an events CSV path or a DataFrame (date, name[, effect]); ``country``: public-holiday
    calendar (``"CN"``, with 调休 working weekends) or None.  ``quantile``: also give that quantile of the
    calls (to staff to).

    Returns a DataFrame indexed by interval start with ``calls`` (expected calls), ``lo``, ``hi`` (the
    ``level`` prediction interval, calls), ``open`` (False for intervals the centre is closed: calls 0;
    without ``at`` closed intervals get no row), ``quantile`` when asked, ``calls_<type>`` per call type.
    ``.attrs`` holds ``level``, ``interval_s``, ``day_types`` and ``notes``.
    """
    level = _check_level(level)
    if quantile is not None:
        quantile = _check_level(quantile, "quantile")
    if not (isinstance(n_draws, int) and n_draws >= 100):
        raise ValueError(f"n_draws must be an integer >= 100, got {n_draws!r}")
    hist = to_history(history, type_col=type_col)
    special = SpecialDays.coerce(holidays, country)
    kinds_hist = special.day_table(hist.dates)["day_type"].to_numpy()
    target, out_tz, explicit = _target_index(hist, at, horizon_days, kinds_hist)
    first_day = target.min().normalize()
    model_hist = hist.truncated(first_day)
    if not model_hist.open_days.any():
        raise ValueError(f"history has no complete day before {first_day.date()} to forecast from")
    target_days = pd.date_range(model_hist.dates[-1] + pd.Timedelta(days=1), target.max().normalize(), freq="D")
    table = special.day_table(model_hist.dates.append(target_days))
    hist_table, fut_table = table.iloc[:len(model_hist.dates)], table.iloc[len(model_hist.dates):]

    # which future days are open, and their step (count of open days ahead) for the level forecast
    fitted = fit(model_hist, hist_table, horizon=max(len(target_days), 1))
    is_open = ~np.isinf(fut_table["effect"].to_numpy(dtype=float)) & np.array(
        [fitted.type_open(int(t)) for t in fut_table["day_type"]], dtype=bool)
    steps = np.maximum(np.cumsum(is_open), 1)

    rng = np.random.default_rng(seed)
    frames = []
    notes = list(fitted.notes)
    today = hist.truncated(target.min())  # includes the first day's actuals before the first target
    for i, day in enumerate(target_days):
        want = target[target.normalize() == day]
        if want.empty:
            continue
        t = int(fut_table["day_type"].iloc[i])
        slots = ((want - day).total_seconds().to_numpy() // hist.interval_s).astype(int)
        if not is_open[i]:
            frames.append(_closed_frame(want))
            continue
        mu, var = _day_log_mean(fitted, fut_table.iloc[i], steps[i], notes)
        p = fitted.profile[t]
        multiplier = _day_multiplier_draws(rng, var, n_draws)
        if day == first_day and len(today.dates) and today.dates[-1] == day:
            if fitted.slot_cov is not None:
                frames.append(_simulate_intraday(rng, want, slots, fitted, t, np.exp(mu + var / 2), today.counts[-1],
                                                 n_draws, level, quantile, notes))
                continue
            multiplier = _intraday_update(rng, today.counts[-1], p, np.exp(mu + var / 2), var,
                                          fitted.dispersion, n_draws, notes)
        frames.append(_simulate_day(rng, want, slots, fitted.open_slots[t], p, np.exp(mu + var / 2), multiplier,
                                    fitted.dispersion, level, quantile))
    out = pd.concat(frames) if frames else _closed_frame(target)
    out = out.reindex(target) if explicit else out[out["open"]]
    if quantile is not None:
        out["quantile"] = out["quantile"].fillna(0.0)  # closed intervals
    shares = _type_shares(hist)
    if shares is not None:
        slot_of = ((out.index - out.index.normalize()).total_seconds().to_numpy() // hist.interval_s).astype(int)
        for name in shares.columns:
            out[f"calls_{name}"] = out["calls"].to_numpy() * shares[name].to_numpy()[slot_of]
    if out_tz is not None:
        out.index = out.index.tz_localize(hist.tz or out_tz, ambiguous="NaT", nonexistent="shift_forward")
        out.index = out.index.tz_convert(out_tz)
    out.index.name = "interval_start"
    out.attrs.update(level=level, quantile=quantile, interval_s=hist.interval_s, notes=notes,
                     day_types=fut_table.assign(open=is_open, step=steps).loc[
                         fut_table.index >= first_day])
    return out


def _closed_frame(index: pd.DatetimeIndex) -> pd.DataFrame:
    return pd.DataFrame({"calls": 0.0, "lo": 0.0, "hi": 0.0, "open": False}, index=index)


def _day_log_mean(fitted: FittedVolumes, row: pd.Series, step: int, notes: list) -> tuple[float, float]:
    t = int(row["day_type"])
    effect = float(row["effect"])
    if np.isnan(effect):
        name = row["event"]
        effect = fitted.event_factor.get(name, 1.0)
        if name and name not in fitted.event_factor:
            notes.append(f"event {name!r} on {row.name.date()}: no effect given and none in the history; "
                         "forecast as an ordinary day")
    mu = fitted.level_mean[step - 1] + np.log(fitted.factor[t]) + np.log(effect)
    return float(mu), float(fitted.level_var[step - 1])


def _day_multiplier_draws(rng, var: float, n: int) -> np.ndarray:
    """Day-level multiplier with mean 1 (lognormal with the level's forecast variance)."""
    return np.exp(rng.normal(-var / 2, np.sqrt(var), n))


def _intraday_update(rng, today: np.ndarray, p: np.ndarray, total: float, var: float, v: float, n: int,
                     notes: list) -> np.ndarray:
    """Posterior draws of today's multiplier from the calls seen so far (gamma prior × overdispersed counts)."""
    seen = ~np.isnan(today)
    expected = total * p[seen]
    F, A = float(expected.sum()), float(today[seen].sum())
    if F <= 0:
        return _day_multiplier_draws(rng, var, n)
    tau2 = max(np.expm1(var), 1e-6)       # variance of the multiplier (mean 1)
    alpha = 1.0 / tau2
    inflation = 1.0 + v * float((expected ** 2).sum()) / F  # overdispersion shrinks the morning's weight
    shape, rate = alpha + A / inflation, alpha + F / inflation
    notes.append(f"intraday: {A:.0f} calls so far vs {F:.1f} expected; rest of the day × {shape / rate:.3f}")
    return rng.gamma(shape, 1.0 / rate, n)


def _simulate_intraday(rng, want, slots, fitted: FittedVolumes, t: int, total: float, today: np.ndarray,
                       n: int, level: float, quantile, notes: list) -> pd.DataFrame:
    """Rest of today given the calls so far: Gaussian conditioning of the log residuals across slots.

    The residual r[s] = log(calls / expected) of today's slots is modelled as N(−v/2, Σ) with Σ the
    history's slot covariance (``model._slot_covariance``), of which ``noise`` is the count (Poisson) part.
    Conditioning the unseen slots' latent log-multiplier on the seen slots' residuals gives its mean and
    covariance; counts are Poisson around the expected calls times that multiplier.
    """
    lam = total * fitted.profile[t]
    seen = np.flatnonzero(~np.isnan(today) & (lam > 0))
    cov, noise = fitted.slot_cov, fitted.slot_noise
    latent = cov - np.diag(np.minimum(noise, np.diag(cov) * 0.9))
    v = np.diag(latent)
    resid = np.log((today[seen] + 0.5) / (lam[seen] + 0.5)) + v[seen] / 2
    gain = np.linalg.solve(cov[np.ix_(seen, seen)] + 1e-9 * np.eye(seen.size), latent[np.ix_(seen, slots)]).T
    mean_c = -v[slots] / 2 + gain @ resid
    cov_c = latent[np.ix_(slots, slots)] - gain @ latent[np.ix_(seen, slots)]
    cov_c = (cov_c + cov_c.T) / 2
    w, U = np.linalg.eigh(cov_c)
    root = U * np.sqrt(np.clip(w, 0, None))
    log_m = mean_c + rng.standard_normal((n, slots.size)) @ root.T
    rate = lam[slots] * np.exp(log_m)
    draws = rng.poisson(rate).astype(float)
    mean = lam[slots] * np.exp(mean_c + np.clip(np.diag(cov_c), 0, None) / 2)
    notes.append(f"intraday: {today[seen].sum():.0f} calls so far vs {lam[seen].sum():.1f} expected; the rest of "
                 f"the day × {mean.sum() / max(lam[slots].sum(), 1e-12):.3f}")
    return _band_frame(want, fitted.open_slots[t][slots], mean, draws, level, quantile)


def _band_frame(want, is_open, mean, draws, level, quantile) -> pd.DataFrame:
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    qs = [lo_q, hi_q] + ([quantile] if quantile is not None else [])
    band = np.quantile(draws, qs, axis=0, method="inverted_cdf")
    frame = pd.DataFrame({"calls": np.where(is_open, mean, 0.0), "lo": np.where(is_open, band[0], 0.0),
                          "hi": np.where(is_open, band[1], 0.0), "open": is_open}, index=want)
    if quantile is not None:
        frame["quantile"] = np.where(is_open, band[2], 0.0)
    return frame


def _simulate_day(rng, want, slots, open_slots, p, total, multiplier, v, level, quantile) -> pd.DataFrame:
    is_open = open_slots[slots]
    lam = total * p[slots]
    mean = lam * multiplier.mean()
    noise = rng.gamma(1.0 / v, v, (multiplier.size, slots.size)) if v > 1e-9 else 1.0
    draws = rng.poisson(multiplier[:, None] * lam[None, :] * noise).astype(float)
    return _band_frame(want, is_open, mean, draws, level, quantile)
