"""Rolling-origin backtest: how well the forecast would have done, next to two simple baselines.

For every open day D in the last ``weeks`` weeks of the history, the forecast is made from the history
before D's midnight (the evening before) and scored on D (*day-ahead*) and on D + 6 days (*week-ahead*, the
7th day), and — when ``intraday_at`` is given — again at that clock time on D for the rest of D.  Both
baselines use the same information as the forecast (the days before D):

* **seasonal naive** — the same interval on the latest earlier day with the same weekday that is in the
  history (last week's, or the week before when last week's day is missing, e.g. a holiday);
* **mean of 4** — the mean of that interval over the last four such days.

Measures (over intervals where the actual and every method have a value):
WAPE = Σ|actual − forecast| / Σ actual; MASE = mean |actual − forecast| / mean |actual − seasonal naive|
in the history before the first origin (in-sample one-week naive error); coverage = share of actuals inside
the forecast's prediction interval (the baselines have none).

``intraday_ceiling`` sets the intraday reforecast beside look-ahead oracles (the true day or rest-of-day total
spread by the evening forecast's shape): the most any update of the day's level could gain on that backtest.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from staffing.forecast.calendar_cn import SpecialDays
from staffing.forecast.history import History, to_history
from staffing.forecast.predict import forecast_volumes


@dataclass
class Backtest:
    """``table``: one row per horizon and method; ``points``: every scored interval (for plots)."""

    table: pd.DataFrame
    points: pd.DataFrame
    level: float
    scale: float = np.nan  # MASE denominator (in-sample one-week naive MAE before the first origin)

    def summary(self) -> str:
        return self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}")

    def last_weeks(self, weeks: int) -> "Backtest":
        """The same forecasts scored on the origins of the last ``weeks`` weeks only.

        Identical to a ``weeks``-week backtest except MASE, whose scale stays this run's (before its first
        origin) — one long run gives both a goal period and a longer check of it.
        """
        origins = self.points["origin"]
        first = origins.max().normalize() - pd.Timedelta(days=7 * weeks - 1)
        points = self.points[origins >= first]
        return Backtest(_table(points, self.scale, self.level), points, self.level, self.scale)


def _same_weekday_days(hist: History, d: int, n: int) -> list[int]:
    """Indices of the last ``n`` days before day ``d`` with d's weekday that have rows in the history."""
    out = []
    k = d - 7
    while k >= 0 and len(out) < n:
        if hist.open_days[k]:
            out.append(k)
        k -= 7
    return out


def _baselines(hist: History, origin: int, target: int) -> tuple[np.ndarray, np.ndarray]:
    """(seasonal naive, mean of 4) for day ``target`` using days before ``origin`` only."""
    weeks_ahead = (target - origin) // 7 + 1
    ref = target - 7 * weeks_ahead  # the latest same weekday strictly before origin
    days = _same_weekday_days(hist, ref + 7, 4)
    if not days:
        nan = np.full(hist.slots_per_day, np.nan)
        return nan, nan
    block = hist.counts[days]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean4 = np.where(np.isnan(block).all(axis=0), np.nan, np.nanmean(block, axis=0))
    return block[0], mean4


def naive_scale(hist: History, before: int) -> float:
    """Mean |y − seasonal naive| over the intervals of the days before ``before`` (MASE denominator)."""
    errs = []
    for d in range(before):
        days = _same_weekday_days(hist, d, 1)
        if days and hist.open_days[d]:
            e = np.abs(hist.counts[d] - hist.counts[days[0]])
            errs.append(e[~np.isnan(e)])
    errs = np.concatenate(errs) if errs else np.array([])
    return float(errs.mean()) if errs.size else np.nan


def _score(frame: pd.DataFrame, col: str, scale: float) -> dict:
    err = (frame["actual"] - frame[col]).abs()
    return {"wape": err.sum() / frame["actual"].sum(), "mase": err.mean() / scale}


def backtest(history, weeks: int = 4, level: float = 0.8, holidays=None, *, country: str | None = "CN",
             intraday_at: str | None = "12:00", type_col: str | None = None, seed: int = 0) -> Backtest:
    """Rolling-origin accuracy of ``forecast_volumes`` over the last ``weeks`` weeks (see module doc)."""
    if not (isinstance(weeks, (int, np.integer)) and weeks >= 1):
        raise ValueError(f"weeks must be a whole number >= 1, got {weeks!r}")
    hist = to_history(history, type_col=type_col)
    special = SpecialDays.coerce(holidays, country)
    series = _as_series(hist)
    n_days = len(hist.dates)
    first = n_days - 7 * weeks
    if first < 14 or hist.open_days[:first].sum() < 10:
        raise ValueError(f"history of {n_days} days is too short for a {weeks}-week backtest "
                         "(needs at least two more weeks before the first origin); use fewer weeks")
    noon = None if intraday_at is None else pd.Timedelta(f"{intraday_at}:00" if intraday_at.count(":") == 1
                                                          else intraday_at)
    rows = []
    for origin in range(first, n_days):
        if not hist.open_days[origin]:
            continue
        targets = [(h, origin + h - 1) for h in (1, 7) if origin + h - 1 < n_days and hist.open_days[origin + h - 1]]
        at = series.index[series.index.normalize().isin([hist.dates[t] for _, t in targets])]
        fc = forecast_volumes(series[series.index < hist.dates[origin]], at=at, level=level, holidays=special,
                              seed=seed)
        for h, t in targets:
            naive, mean4 = _baselines(hist, origin, t)
            day = series[series.index.normalize() == hist.dates[t]]
            slots = ((day.index - hist.dates[t]).total_seconds() // hist.interval_s).astype(int)
            f = fc.loc[day.index]
            rows.append(pd.DataFrame({"origin": hist.dates[origin], "horizon": "day-ahead" if h == 1 else "week-ahead",
                                      "actual": day.to_numpy(), "model": f["calls"].to_numpy(),
                                      "lo": f["lo"].to_numpy(), "hi": f["hi"].to_numpy(),
                                      "seasonal_naive": naive[slots], "mean_of_4": mean4[slots]}, index=day.index))
            if h == 1 and noon is not None:
                rows.append(_intraday_rows(series, day, noon, rows[-1], special, level, seed))
    points = pd.concat(rows)
    scale = naive_scale(hist, first)
    return Backtest(_table(points, scale, level), points, level, scale)


def _intraday_rows(series, day, noon, evening, special, level, seed) -> pd.DataFrame:
    cut = day.index[0].normalize() + noon
    later = day[day.index >= cut]
    if later.empty or not (day.index < cut).any():
        return evening.iloc[:0]
    re = forecast_volumes(series[series.index < cut], at=later.index, level=level, holidays=special, seed=seed)
    out = evening.loc[later.index].copy()
    out["horizon"] = "rest of day"
    out["reforecast"] = re["calls"].to_numpy()
    out["re_lo"], out["re_hi"] = re["lo"].to_numpy(), re["hi"].to_numpy()
    return out


def _table(points: pd.DataFrame, scale: float, level: float) -> pd.DataFrame:
    rows = []
    order = ["day-ahead", "week-ahead", "rest of day"]
    for horizon in [h for h in order if h in set(points["horizon"])]:
        part = points[points["horizon"] == horizon]
        cols = ["model", "seasonal_naive", "mean_of_4"] + (["reforecast"] if horizon == "rest of day" else [])
        part = part.dropna(subset=["actual"] + cols)
        n = len(part)
        for col in cols:
            name = {"model": "forecast (evening before)" if horizon == "rest of day" else "forecast",
                    "reforecast": "intraday reforecast"}.get(col, col)
            cover = np.nan
            if col == "model":
                cover = ((part["actual"] >= part["lo"]) & (part["actual"] <= part["hi"])).mean()
            elif col == "reforecast":
                cover = ((part["actual"] >= part["re_lo"]) & (part["actual"] <= part["re_hi"])).mean()
            rows.append({"horizon": horizon, "method": name, **_score(part, col, scale),
                         "coverage": cover, "level": level if np.isfinite(cover) else np.nan, "n": n,
                         "days": part["origin"].nunique()})
    return pd.DataFrame(rows)


def _as_series(hist: History) -> pd.Series:
    day, slot = np.nonzero(~np.isnan(hist.counts))
    idx = hist.dates[day] + pd.to_timedelta(slot * hist.interval_s, unit="s")
    return pd.Series(hist.counts[day, slot], index=idx)


def intraday_ceiling(points: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """How much any rest-of-day update could gain: the reforecast next to look-ahead oracles, per backtest.

    From a backtest's ``points`` (``intraday_at`` given), over the rest-of-day intervals of every origin day:

    * ``evening before`` — the day-ahead forecast (made before the day's midnight), the reference;
    * ``intraday reforecast`` — the forecast made at ``intraday_at`` with the day's actuals so far;
    * ``oracle: true day total`` — the evening forecast rescaled so that the whole day's total is the actual
      total (a perfect update of the day's level, the evening's time-of-day shape kept);
    * ``oracle: true rest-of-day total`` — rescaled to the actual total of the rest of the day (a perfect
      level for exactly the hours scored; no update of the level alone can do better on average);
    * ``Poisson floor (approx.)`` — Σ sqrt(2·y/π) / Σ y, the WAPE of a forecast equal to each interval's
      true expected calls when counts are Poisson (with the actual y standing in for the rate).

    Oracles use the day's actuals (look-ahead): they bound what a rule could reach, they are not forecasts.
    Columns: ``method``, ``wape``, ``reduction`` (1 − WAPE / evening-before WAPE) and, for the reforecast,
    ``ci_lo``/``ci_hi``: a 90 % bootstrap interval of its reduction over days (``n_boot`` resamples, seeded).
    """
    rest = points[points["horizon"] == "rest of day"].dropna(subset=["actual", "model", "reforecast"])
    if rest.empty:
        raise ValueError("points hold no rest-of-day rows: run the backtest with intraday_at set")
    whole = points[(points["horizon"] == "day-ahead") & points["origin"].isin(rest["origin"].unique())]
    whole = whole.dropna(subset=["actual", "model"]).groupby("origin")[["actual", "model"]].sum()
    part = rest.groupby("origin")[["actual", "model"]].transform("sum")
    day_ratio = (whole["actual"] / whole["model"]).reindex(rest["origin"]).to_numpy()
    preds = {
        "evening before": rest["model"].to_numpy(),
        "intraday reforecast": rest["reforecast"].to_numpy(),
        "oracle: true day total": rest["model"].to_numpy() * day_ratio,
        "oracle: true rest-of-day total": (rest["model"] * part["actual"] / part["model"]).to_numpy(),
    }
    y = rest["actual"].to_numpy()
    wape = {k: np.abs(y - p).sum() / y.sum() for k, p in preds.items()}
    wape["Poisson floor (approx.)"] = np.sqrt(2 * y / np.pi).sum() / y.sum()
    base = wape["evening before"]
    table = pd.DataFrame({"method": list(wape), "wape": list(wape.values()),
                          "reduction": [1 - w / base for w in wape.values()], "ci_lo": np.nan, "ci_hi": np.nan})
    # day bootstrap of the reforecast's reduction: resample whole days (errors within a day are correlated)
    err = pd.DataFrame({"origin": rest["origin"].to_numpy(), "e": np.abs(y - preds["evening before"]),
                        "n": np.abs(y - preds["intraday reforecast"])}).groupby("origin").sum()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(err), (n_boot, len(err)))
    e_sum = err["e"].to_numpy()[pick].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):  # a resample of error-free days has no reduction
        red = np.where(e_sum > 0, 1 - err["n"].to_numpy()[pick].sum(axis=1) / e_sum, np.nan)
    row = table.index[table["method"] == "intraday reforecast"][0]
    if np.isfinite(red).any():
        table.loc[row, ["ci_lo", "ci_hi"]] = np.nanquantile(red, [0.05, 0.95])
    return table
