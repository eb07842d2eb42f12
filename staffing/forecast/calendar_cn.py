"""Special days: Chinese public holidays, adjusted working weekends (调休) and a planner's own events.

Each date gets a *day type* that the forecast models: 0..6 = behaves like Monday..Sunday, 7 = public
holiday.  A 调休 weekend day (a Saturday or Sunday worked to make a holiday longer) behaves like the weekday
it replaces — the weekday given off in exchange (from the calendar's "Day off (substituted from …)" entry;
Monday when the calendar does not say).

Public holidays and 调休 days come from the ``holidays`` package (``holidays.China``): it is maintained
(monthly releases), lists the State Council's working weekends (``weekend_workdays``) and which weekday each
one replaces, and still gives the statutory holidays for years whose 调休 schedule is not yet announced.

Events file (CSV, UTF-8): ``date, name[, effect]`` — e.g. fee-collection days, water cuts, typhoons.
``effect`` is a multiplier on the day's calls (``1.4``), ``closed`` (no calls, the centre shuts), or empty
(learn the effect from past days with the same name in the history; 1.0 if there are none).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

HOLIDAY = 7
_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")
COUNTRIES = ("CN",)


def read_events_csv(path: str | Path) -> pd.DataFrame:
    """Read an events file -> DataFrame(date, name, effect) with effect a float (NaN = learn) or inf = closed."""
    p = Path(path)
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ValueError(f"events file {str(p)!r} does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read events CSV {str(p)!r}: {exc}") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    return events_frame(raw, source=p.name)


def events_frame(raw: pd.DataFrame, source: str = "events") -> pd.DataFrame:
    """Validate a (date, name[, effect]) table; effect: multiplier > 0, 'closed', or empty (learn)."""
    missing = {"date", "name"} - set(raw.columns)
    if missing:
        raise ValueError(f"{source} lacks column(s) {sorted(missing)}; needed: date, name[, effect]")
    try:
        dates = pd.to_datetime(raw["date"], errors="raise").dt.normalize()
    except (ValueError, TypeError):
        raise ValueError(f"{source}: column 'date' must hold dates such as 2026-03-15") from None
    effects = []
    for i, value in enumerate(raw["effect"] if "effect" in raw.columns else [""] * len(raw)):
        text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()
        if text == "":
            effects.append(np.nan)
        elif text.lower() == "closed":
            effects.append(np.inf)
        else:
            try:
                f = float(text)
            except ValueError:
                f = -1.0
            if not (f > 0 and math.isfinite(f)):
                raise ValueError(f"{source} row {i + 2}: effect must be a multiplier > 0, 'closed' or empty, "
                                 f"got {text!r}")
            effects.append(f)
    return pd.DataFrame({"date": dates.to_numpy(), "name": raw["name"].astype(str).str.strip().to_numpy(),
                         "effect": effects})


@dataclass
class SpecialDays:
    """Country calendar (``"CN"`` or None) plus a planner's events (DataFrame from :func:`read_events_csv`)."""

    country: str | None = "CN"
    events: pd.DataFrame = field(default_factory=lambda: events_frame(pd.DataFrame(columns=["date", "name"])))

    def __post_init__(self):
        if self.country is not None and str(self.country).upper() not in COUNTRIES:
            raise ValueError(f"country calendar must be one of {list(COUNTRIES)} or none, got {self.country!r}")
        self.country = None if self.country is None else str(self.country).upper()

    @classmethod
    def coerce(cls, holidays, country: str | None = "CN") -> "SpecialDays":
        """From None, an events CSV path, an events DataFrame or a SpecialDays."""
        if isinstance(holidays, SpecialDays):
            return holidays
        if holidays is None:
            return cls(country)
        if isinstance(holidays, (str, Path)):
            return cls(country, read_events_csv(holidays))
        if isinstance(holidays, pd.DataFrame):
            return cls(country, events_frame(holidays.rename(columns=str.lower)))
        raise ValueError("holidays must be None, an events CSV path or a DataFrame (date, name[, effect]), "
                         f"got {type(holidays).__name__}")

    def _country_days(self, years: list[int]) -> tuple[dict, dict]:
        """(holiday date -> name, 调休 working weekend date -> weekday it replaces)."""
        if self.country is None:
            return {}, {}
        import holidays as hol

        cal = hol.China(years=years, language="en_US")
        off = {d: name for d, name in cal.items()}
        swaps = {d: 0 for d in cal.weekend_workdays if d.year in years}
        for d, name in off.items():
            m = _SUBSTITUTED.search(name)
            if m:
                worked = dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
                if worked in swaps:
                    swaps[worked] = d.weekday()
        return off, swaps

    def day_table(self, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Per date: ``day_type`` (0..7), ``holiday`` and ``event`` names, ``effect`` (NaN learn, inf closed)."""
        dates = pd.DatetimeIndex(dates).normalize()
        years = sorted({d.year for d in dates})
        off, swaps = self._country_days(years)
        kind = dates.day_of_week.to_numpy().copy()
        holiday = np.array([""] * len(dates), dtype=object)
        for i, d in enumerate(dates.date):
            if d in off:
                kind[i], holiday[i] = HOLIDAY, off[d]
            elif d in swaps:
                kind[i], holiday[i] = swaps[d], "调休 working day"
        ev = self.events.groupby("date").agg(name=("name", " + ".join), effect=("effect", _combine))
        joined = ev.reindex(dates)
        return pd.DataFrame({"day_type": kind, "holiday": holiday,
                             "event": joined["name"].fillna("").to_numpy(),
                             "effect": joined["effect"].to_numpy(dtype=float)}, index=dates)


def _combine(effects: pd.Series) -> float:
    """Several events on one day: closed wins; known multipliers multiply; any unknown -> learn (NaN)."""
    v = effects.to_numpy(dtype=float)
    if np.isinf(v).any():
        return np.inf
    if np.isnan(v).any():
        return np.nan
    return float(np.prod(v))
