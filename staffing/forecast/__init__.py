"""Forecasting call volumes from history: day types (weekday, Chinese holidays and 调休), level and trend,
intraday profiles, count-valued prediction intervals, intraday reforecast and a rolling-origin accuracy report.

>>> import pandas as pd, numpy as np
>>> idx = pd.date_range("2026-03-02 08:00", periods=14 * 48, freq="30min")
>>> hist = pd.Series(20.0, index=idx)[lambda s: (s.index.hour >= 8) & (s.index.hour < 20)]
>>> fc = forecast_volumes(hist, horizon_days=1, country=None)
>>> list(fc.columns[:3]), bool((fc["lo"] <= fc["hi"]).all())
(['calls', 'lo', 'hi'], True)
"""
from staffing.forecast.calendar_cn import SpecialDays, read_events_csv
from staffing.forecast.history import aggregate, read_history_csv, to_history
from staffing.forecast.predict import forecast_volumes

__all__ = ["SpecialDays", "aggregate", "forecast_volumes", "read_events_csv", "read_history_csv", "to_history"]
